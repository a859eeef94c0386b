//! Sticky failure: a failed log write or fsync fails the committer and every later append and
//! commit, and is never retried; what was durably committed before survives a restart.

mod common;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{read_all, record};
use ese_log::{CommitMode, Error, Log, LogConfig};
use ese_pageio::{
    Directory, Fault, FaultOp, FaultyStorage, FileOp, InterposedDirectory, Interposer,
    MemDirectory, Storage,
};
use parking_lot::Mutex;

/// Wraps every file the log opens, so a test can arm faults on the file the log writes, and
/// can make every write fail as on a full disk.
#[derive(Debug, Default)]
struct FaultyDir {
    inner: Arc<MemDirectory>,
    files: Mutex<Vec<Arc<FaultyStorage>>>,
    disk_full: AtomicBool,
}

impl FaultyDir {
    /// The directory to hand the log.
    fn directory(self: &Arc<Self>) -> Arc<dyn Directory> {
        Arc::new(InterposedDirectory::new(self.inner.clone(), self.clone()))
    }

    fn last_file(&self) -> Arc<FaultyStorage> {
        self.files.lock().last().expect("test step").clone()
    }
}

impl Interposer for FaultyDir {
    fn before_file(&self, _name: &str, op: FileOp<'_>) -> io::Result<()> {
        if matches!(op, FileOp::Write { .. }) && self.disk_full.load(Ordering::SeqCst) {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        Ok(())
    }

    fn wrap(&self, _name: &str, file: Arc<dyn Storage>) -> Arc<dyn Storage> {
        let f = Arc::new(FaultyStorage::new(file));
        self.files.lock().push(f.clone());
        f
    }
}

fn assert_halted(log: &Log, expect: &Error) {
    assert_eq!(
        &log.append(&record(1)).expect_err("the log is halted"),
        expect
    );
    assert_eq!(
        &log.commit(&record(3), CommitMode::Lazy)
            .expect_err("the log is halted"),
        expect
    );
    assert_eq!(
        &log.commit(&record(3), CommitMode::Durable)
            .expect_err("the log is halted"),
        expect
    );
}

#[test]
fn a_failed_sync_halts_the_log_for_good() {
    for op in [FaultOp::Sync, FaultOp::Write] {
        let dir = Arc::new(FaultyDir::default());
        let mut config = LogConfig::test_min(dir.directory());
        config.file_bytes = 64 * 512;
        let log = Log::open(config).expect("test step");
        let mut durable = Vec::new();
        for i in 0..10 {
            let r = record(i);
            durable.push((log.commit(&r, CommitMode::Durable).expect("test step"), r));
        }
        // The log file was the first file opened (as edbtmp.log, then renamed).
        let file = dir.files.lock()[0].clone();
        // One failure only: the disk "works" again afterwards, and the log must not care.
        file.arm(Fault::once(op, file.count(op)));
        let lazy = log
            .commit(&record(10), CommitMode::Lazy)
            .expect("test step");
        let err = log
            .commit(&record(11), CommitMode::Durable)
            .expect_err("the log is halted");
        assert!(matches!(err, Error::LogWriteFail { .. }), "{err}");
        assert_eq!(err.jet_code(), -510);
        assert!(err.is_fatal());
        assert_halted(&log, &err);
        assert_eq!(log.flush_to(lazy).expect_err("the log is halted"), err);
        assert!(log.flushed() <= lazy, "the failed flush is not published");
        assert_eq!(file.fired(), 1, "the failed operation is never retried");
        drop(log);
        // After a restart, every durable commit is there.
        let (got, _) = read_all(Arc::new(clone_dir(&dir.inner))).expect("test step");
        assert!(got.len() >= durable.len());
        assert_eq!(got[..durable.len()], durable[..]);
    }
}

fn clone_dir(d: &MemDirectory) -> MemDirectory {
    let out = MemDirectory::new();
    for name in d.list().expect("test step") {
        let bytes = d.file(&name).expect("test step").to_bytes();
        out.open(&name, true)
            .expect("test step")
            .write_at(0, &bytes)
            .expect("test step");
    }
    out
}

#[test]
fn a_full_disk_is_log_disk_full_and_sticky() {
    let dir = Arc::new(FaultyDir::default());
    let log = Log::open(LogConfig::test_min(dir.directory())).expect("test step");
    log.commit(&record(0), CommitMode::Durable)
        .expect("test step");
    dir.disk_full.store(true, Ordering::SeqCst);
    let err = log
        .commit(&record(1), CommitMode::Durable)
        .expect_err("the log is halted");
    assert!(matches!(err, Error::LogDiskFull { .. }), "{err}");
    assert_eq!(err.jet_code(), -529);
    dir.disk_full.store(false, Ordering::SeqCst);
    assert_halted(&log, &err);
}

#[test]
fn a_failed_rollover_is_sticky_too() {
    let dir = Arc::new(FaultyDir::default());
    let log = Log::open(LogConfig::test_min(dir.directory())).expect("test step");
    let opened = dir.files.lock().len();
    // Fail the first write of every file opened from now on: the next generation's creation.
    let mut i = 0;
    let err = loop {
        if dir.files.lock().len() > opened {
            dir.last_file().arm(Fault::sticky(FaultOp::Write, 0));
        }
        match log.commit(&record(i), CommitMode::Durable) {
            Ok(_) => i += 1,
            Err(e) => break e,
        }
        assert!(i < 1000, "the log never rolled over");
    };
    // The failure may hit the creation's first write, or the flush after a retried creation.
    assert!(err.is_fatal(), "{err}");
    assert_halted(&log, &err);
}

#[test]
fn waiting_committers_all_see_the_failure() {
    let dir = Arc::new(FaultyDir::default());
    let mut config = LogConfig::test_min(dir.directory());
    config.file_bytes = 256 * 512;
    let log = Arc::new(Log::open(config).expect("test step"));
    let file = dir.files.lock()[0].clone();
    file.arm(Fault::sticky(FaultOp::Sync, file.count(FaultOp::Sync) + 20));
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut ok = Vec::new();
                for i in 0..100 {
                    let r = record(t * 100 + i);
                    match log.commit(&r, CommitMode::Durable) {
                        Ok(l) => ok.push((l, r)),
                        Err(e) => return (ok, Some(e)),
                    }
                }
                (ok, None)
            })
        })
        .collect();
    let mut acked = Vec::new();
    for t in threads {
        let (ok, err) = t.join().expect("test step");
        assert!(err.is_some_and(|e| e.is_fatal()), "every committer fails");
        acked.extend(ok);
    }
    assert_eq!(file.fired(), 1, "one failed fsync, never retried");
    drop(log);
    let (got, _) = read_all(Arc::new(clone_dir(&dir.inner))).expect("test step");
    for rec in &acked {
        assert!(
            got.contains(rec),
            "a durable commit is missing after restart"
        );
    }
}
