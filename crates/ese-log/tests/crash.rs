//! Crash safety: a workload of 1,000 appends with interleaved durable and lazy commits, cut at
//! every storage operation (so at, before and after every sync) under several seeds. Every crash
//! image must read back as exactly a prefix of the appended records that includes every record
//! whose durable commit had returned, must never look corrupt, and must reopen and continue.

mod common;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{read_all, record};
use ese_core::Lgpos;
use ese_log::{CommitMode, Error, Log, LogConfig, LogRecord};
use ese_pageio::{CrashDirectory, DirOp, Directory, FileOp, InterposedDirectory, Interposer};

const APPENDS: u64 = 1000;
const SEEDS: u64 = 32;

/// Counts every sync (of a file or of the directory), so the sweep can report how many sync
/// points it cut at.
#[derive(Debug, Default)]
struct CountSyncs(AtomicU64);

impl Interposer for CountSyncs {
    fn before_file(&self, _name: &str, op: FileOp<'_>) -> io::Result<()> {
        if op == FileOp::Sync {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }

    fn before_dir(&self, op: DirOp<'_>) -> io::Result<()> {
        if op == DirOp::Sync {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

struct Workload {
    dir: Arc<CrashDirectory>,
    /// Every record appended, with its position.
    appended: Vec<(Lgpos, LogRecord)>,
    /// (operation count when a durable commit returned, records appended by then).
    acked: Vec<(u64, usize)>,
    /// The operation count once the log was open.
    opened_at: u64,
    /// How many syncs (file and directory) the workload issued.
    syncs: u64,
}

fn workload(circular: bool) -> Workload {
    let dir = Arc::new(CrashDirectory::new());
    let syncs = Arc::new(CountSyncs::default());
    let counted = Arc::new(InterposedDirectory::new(dir.clone(), syncs.clone()));
    let mut config = LogConfig::test_min(counted);
    config.circular = circular;
    let log = Log::open(config).expect("test setup");
    let opened_at = dir.op_count();
    let mut appended = Vec::new();
    let mut acked = Vec::new();
    for i in 0..APPENDS {
        let rec = record(i);
        let lgpos = if matches!(rec, LogRecord::Commit { .. }) {
            // Commits alternate in runs: durable, lazy, lazy, durable, ...
            let mode = if (i / 4) % 3 == 0 {
                CommitMode::Durable
            } else {
                CommitMode::Lazy
            };
            let l = log.commit(&rec, mode).expect("test setup");
            if mode == CommitMode::Durable {
                acked.push((dir.op_count(), appended.len() + 1));
            }
            l
        } else {
            log.append(&rec).expect("test setup")
        };
        appended.push((lgpos, rec));
        if circular && i % 100 == 99 {
            log.write_checkpoint(appended[appended.len() - 50].0)
                .expect("test step");
        }
    }
    Workload {
        dir,
        appended,
        acked,
        opened_at,
        syncs: syncs.0.load(Ordering::SeqCst),
    }
}

fn check_image(w: &Workload, ops: u64, seed: u64, reopen: bool, circular: bool) {
    let image: Arc<dyn Directory> = Arc::new(w.dir.crash_image_at(ops, seed));
    let floor = w
        .acked
        .iter()
        .filter(|(at, _)| *at <= ops)
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0);
    let got = match read_all(image.clone()) {
        Ok((got, _end)) => got,
        Err(Error::MissingLogFile { .. }) if ops <= w.opened_at => Vec::new(),
        Err(e) => panic!("ops {ops} seed {seed}: crash image does not read: {e}"),
    };
    // With circular logging the oldest generations may be gone: compare from the first one read.
    let start = match got.first() {
        Some((l, _)) => w
            .appended
            .iter()
            .position(|(a, _)| a == l)
            .unwrap_or_else(|| {
                panic!("ops {ops} seed {seed}: first record {l} was never appended")
            }),
        None => 0,
    };
    assert!(
        circular || start == 0,
        "ops {ops} seed {seed}: log starts late"
    );
    let n = start + got.len();
    assert!(n <= w.appended.len());
    assert!(
        got[..] == w.appended[start..n],
        "ops {ops} seed {seed}: not a prefix of the appended records"
    );
    assert!(
        n >= floor,
        "ops {ops} seed {seed}: {n} records survive, but {floor} were durably committed"
    );
    if reopen {
        let log = Log::open(LogConfig::test_min(image.clone()))
            .unwrap_or_else(|e| panic!("ops {ops} seed {seed}: reopen fails: {e}"));
        let extra = record(7);
        let l = log.commit(&extra, CommitMode::Durable).expect("test step");
        let (again, end) = read_all(image).expect("test step");
        let (last, rest) = again.split_last().expect("test step");
        assert_eq!(
            last,
            &(l, extra),
            "ops {ops} seed {seed}: new record after reopen"
        );
        assert_eq!(
            rest.len(),
            got.len(),
            "ops {ops} seed {seed}: reopen lost records"
        );
        assert!(rest == got, "ops {ops} seed {seed}: reopen changed records");
        assert!(end.head > l);
    }
}

fn sweep(circular: bool) -> (u64, u64, u64, usize) {
    let w = workload(circular);
    let total = w.dir.op_count();
    assert!(w.acked.len() > 50, "the workload commits durably");
    let mut images = 0;
    for ops in 0..=total {
        for seed in 0..SEEDS {
            check_image(&w, ops, seed, true, circular);
            images += 1;
        }
    }
    (total, w.syncs, images, w.acked.len())
}

#[test]
fn every_crash_point_leaves_a_prefix_with_every_durable_commit() {
    let (ops, syncs, images, acked) = sweep(false);
    eprintln!(
        "crash sweep: {ops} operations ({syncs} syncs, {acked} durable commits), \
         {images} crash images checked"
    );
}

#[test]
fn every_crash_point_with_circular_logging() {
    let (ops, syncs, images, acked) = sweep(true);
    eprintln!(
        "crash sweep (circular): {ops} operations ({syncs} syncs, {acked} durable commits), \
         {images} crash images checked"
    );
}
