//! Group commit on a slow disk: concurrent committers share fsyncs, a committer left alone
//! after them still commits, and nothing that was acknowledged is lost. (How long a lone
//! committer waits is a figure for `cargo xtask bench log`, not asserted here.)

mod common;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use common::{read_all, record};
use ese_log::{CommitMode, Log, LogConfig};
use ese_pageio::{Directory, FileOp, InterposedDirectory, Interposer, MemDirectory};

/// Makes every file sync take a millisecond, like a slow disk.
#[derive(Debug)]
struct SlowSync;

impl Interposer for SlowSync {
    fn before_file(&self, _name: &str, op: FileOp<'_>) -> io::Result<()> {
        if matches!(op, FileOp::Sync) {
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }
}

/// A log of 64 KiB files on a memory directory whose syncs take a millisecond each.
fn slow_log() -> (Arc<MemDirectory>, Arc<Log>) {
    let mem = Arc::new(MemDirectory::new());
    let dir: Arc<dyn Directory> =
        Arc::new(InterposedDirectory::new(mem.clone(), Arc::new(SlowSync)));
    let mut config = LogConfig::new(dir);
    config.file_bytes = 64 * 1024;
    (mem, Arc::new(Log::open(config).expect("test helper")))
}

#[test]
fn committers_share_fsyncs_and_a_lone_one_still_commits() {
    let (mem, log) = slow_log();
    // Four committers, then one of them alone for as long again.
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                let rounds = if t == 0 { 80 } else { 40 };
                let mut mine = Vec::new();
                for i in 0..rounds {
                    let rec = record(t * 1000 + i);
                    let l = log.commit(&rec, CommitMode::Durable).expect("commit");
                    assert!(
                        l < log.flushed(),
                        "a durable commit returned before its flush"
                    );
                    mine.push((l, rec));
                }
                mine
            })
        })
        .collect();
    let mut all: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("committer"))
        .collect();
    let commits = all.len() as u64;
    assert!(
        log.flush_count() < commits,
        "{} flushes for {commits} durable commits: none were shared",
        log.flush_count()
    );
    all.sort_by_key(|(l, _)| *l);
    drop(log);
    let (got, _) = read_all(mem).expect("read back");
    assert_eq!(got, all);
}

/// Committers that name themselves with `commit_wait` still share fsyncs while another thread
/// keeps calling `flush_to` for the write-ahead rule and a lazy flusher runs; every commit
/// and every write-ahead flush is durable when it returns, and everything reads back.
#[test]
fn named_committers_share_fsyncs_beside_write_ahead_flushes() {
    let (mem, log) = slow_log();
    let flusher = ese_log::LazyFlusher::start(&log, Duration::from_millis(5));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let write_ahead = {
        let (log, done) = (log.clone(), done.clone());
        std::thread::spawn(move || {
            let mut flushes = 0u32;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                // A page's newest record: the last one appended so far.
                let head = log.head();
                let l = log.append(&record(1)).expect("append");
                assert!(l >= head);
                log.flush_to(l).expect("write-ahead flush");
                assert!(l < log.flushed(), "flush_to returned before its flush");
                flushes += 1;
                std::thread::sleep(Duration::from_millis(3));
            }
            flushes
        })
    };
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..40 {
                    let rec = record(t * 1000 + 4 * i + 3);
                    let l = log.append(&rec).expect("append");
                    log.commit_wait(l).expect("commit wait");
                    assert!(
                        l < log.flushed(),
                        "a durable commit returned before its flush"
                    );
                    mine.push(l);
                }
                mine
            })
        })
        .collect();
    let commits: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("committer"))
        .collect();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let write_ahead_flushes = write_ahead.join().expect("write-ahead thread");
    assert!(write_ahead_flushes > 0);
    drop(flusher);
    assert!(
        log.flush_count() < commits.len() as u64,
        "{} flushes for {} durable commits: none were shared",
        log.flush_count(),
        commits.len()
    );
    drop(log);
    let (got, _) = read_all(mem).expect("read back");
    for l in &commits {
        assert!(
            got.iter().any(|(p, _)| p == l),
            "an acknowledged commit is missing"
        );
    }
}

/// Committers that come and go at uneven paces, beside callers that are never counted: the
/// leaders' gatherings keep timing out, being completed by an arrival that takes the lead over,
/// or finding their group already there. Every commit is durable when it returns, none waits
/// forever, and everything reads back.
#[test]
fn uneven_committers_hand_the_lead_over_and_lose_nothing() {
    let (mem, log) = slow_log();
    let threads: Vec<_> = (0..6u64)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                // A fixed, uneven pause per thread and step: some come back at once, others
                // after a flush or two.
                let mut pause = t * 7 + 3;
                for i in 0..30 {
                    let rec = record(t * 1000 + 4 * i + 3);
                    let l = if t == 5 {
                        // Never counted: the write-ahead rule's kind of caller.
                        let l = log.append(&rec).expect("append");
                        log.flush_to(l).expect("flush_to");
                        l
                    } else {
                        log.commit(&rec, CommitMode::Durable).expect("commit")
                    };
                    assert!(l < log.flushed(), "returned before its flush");
                    mine.push(l);
                    pause = (pause * 31 + 11) % 17;
                    if pause > 8 {
                        std::thread::sleep(Duration::from_micros(pause * 150));
                    }
                }
                mine
            })
        })
        .collect();
    let commits: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("committer"))
        .collect();
    assert!(
        log.flush_count() < commits.len() as u64,
        "{} flushes for {} commits: none were shared",
        log.flush_count(),
        commits.len()
    );
    drop(log);
    let (got, _) = read_all(mem).expect("read back");
    for l in &commits {
        assert!(
            got.iter().any(|(p, _)| p == l),
            "an acknowledged commit is missing"
        );
    }
}
