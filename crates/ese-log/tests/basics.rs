//! Appending, reading back, reopening, checkpoints and circular logging.

mod common;

use std::sync::Arc;

use common::{read_all, record};
use ese_core::{Lgpos, Trx};
use ese_log::{CommitMode, Error, Log, LogConfig, LogRecord, Tail};
use ese_pageio::{Directory, MemDirectory, Storage};

#[test]
fn records_read_back_across_rollovers_and_reopen() {
    let dir = Arc::new(MemDirectory::new());
    let log = Log::open(LogConfig::test_min(dir.clone())).unwrap();
    let mut expect = Vec::new();
    for i in 0..300 {
        let rec = record(i);
        let mode = if i % 3 == 0 {
            CommitMode::Durable
        } else {
            CommitMode::Lazy
        };
        let lgpos = log.commit(&rec, mode).unwrap();
        if mode == CommitMode::Durable {
            assert!(lgpos < log.flushed());
        }
        expect.push((lgpos, rec));
    }
    log.flush_all().unwrap();
    assert_eq!(log.head(), log.flushed(), "a flush seals the head's sector");
    assert!(log.current_generation() > 5, "tiny files roll over");
    let (got, end) = read_all(dir.clone()).unwrap();
    assert_eq!(got, expect);
    assert_eq!(end.tail, Tail::Clean);
    assert_eq!(end.head, log.flushed());
    let positions: Vec<Lgpos> = expect.iter().map(|(l, _)| *l).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    // A scan from the middle starts exactly at the record named.
    let reader = log.reader().unwrap();
    let from = expect[150].0;
    let tail: Vec<_> = reader.scan(from).map(|r| r.unwrap()).collect();
    assert_eq!(tail, expect[150..]);
    drop(log);

    // Reopen: appends resume after the end, and everything reads back.
    let log = Log::open(LogConfig::test_min(dir.clone())).unwrap();
    assert_eq!(log.flushed(), end.head);
    for i in 300..400 {
        let rec = record(i);
        expect.push((log.commit(&rec, CommitMode::Durable).unwrap(), rec));
    }
    let (got, _) = read_all(dir.clone()).unwrap();
    assert_eq!(got, expect);
}

#[test]
fn checkpoint_and_circular_logging() {
    for circular in [false, true] {
        let dir = Arc::new(MemDirectory::new());
        let mut config = LogConfig::test_min(dir.clone());
        config.circular = circular;
        let log = Log::open(config).unwrap();
        assert_eq!(log.read_checkpoint().unwrap(), Lgpos::new(1, 1, 24));
        let mut positions = Vec::new();
        for i in 0..200 {
            positions.push(log.commit(&record(i), CommitMode::Lazy).unwrap());
        }
        let chk = positions[150];
        log.write_checkpoint(chk).unwrap();
        assert!(chk < log.flushed(), "the checkpoint is durable in the log");
        assert_eq!(log.read_checkpoint().unwrap(), chk);
        // Backwards is ignored; beyond the head is refused.
        log.write_checkpoint(positions[10]).unwrap();
        assert_eq!(log.read_checkpoint().unwrap(), chk);
        assert!(matches!(
            log.write_checkpoint(Lgpos::MAX),
            Err(Error::PositionBeyondEnd { .. })
        ));
        log.flush_all().unwrap();
        let reader = log.reader().unwrap();
        let gens = reader.generations();
        if circular {
            assert_eq!(gens[0], chk.generation, "older generations are deleted");
        } else {
            assert_eq!(
                gens[0], 1,
                "without circular logging every generation is kept"
            );
        }
        let from_chk: Vec<_> = reader.scan(chk).map(|r| r.unwrap().0).collect();
        assert_eq!(from_chk, positions[150..]);
        if circular {
            assert!(matches!(
                reader.scan(Lgpos::new(1, 1, 24)).next(),
                Some(Err(Error::MissingLogFile { generation: 1 }))
            ));
        }
        drop(log);
        // Reopen after circular deletion works.
        let log = Log::open(LogConfig::test_min(dir.clone())).unwrap();
        log.commit(&record(1), CommitMode::Durable).unwrap();
    }
}

#[test]
fn configuration_is_checked() {
    let dir: Arc<dyn Directory> = Arc::new(MemDirectory::new());
    let bad = [
        LogConfig {
            base_name: "edbx".into(),
            ..LogConfig::test_min(dir.clone())
        },
        LogConfig {
            base_name: "e.b".into(),
            ..LogConfig::test_min(dir.clone())
        },
        LogConfig {
            file_bytes: 4 * 512,
            ..LogConfig::test_min(dir.clone())
        },
        LogConfig {
            file_bytes: 8 * 512 + 1,
            ..LogConfig::test_min(dir.clone())
        },
        LogConfig {
            file_bytes: 64 * 1024 * 1024,
            ..LogConfig::test_min(dir.clone())
        },
    ];
    for config in bad {
        assert!(
            matches!(Log::open(config), Err(Error::InvalidParameter { .. })),
            "accepted a bad configuration"
        );
    }
    for kb in [0, 63, 32769] {
        assert!(
            LogConfig::new(dir.clone())
                .with_log_file_size_kb(kb)
                .is_err()
        );
    }
    let sized = LogConfig::new(dir.clone())
        .with_log_file_size_kb(64)
        .unwrap();
    assert_eq!(sized.file_bytes, 65536);
    let log = Log::open(LogConfig::test_min(dir.clone())).unwrap();
    let huge = LogRecord::NewPage(ese_log::PageOp {
        payload: vec![0; 16 * 512],
        ..Default::default()
    });
    assert!(matches!(
        log.append(&huge),
        Err(Error::RecordTooLarge { .. })
    ));
    drop(log);
    let other = LogConfig {
        file_bytes: 32 * 512,
        ..LogConfig::test_min(dir.clone())
    };
    assert!(matches!(
        Log::open(other),
        Err(Error::LogFileSizeMismatch { .. })
    ));
    let custom = LogConfig {
        base_name: "abc".into(),
        ..LogConfig::test_min(dir.clone())
    };
    let log = Log::open(custom).unwrap();
    log.commit(
        &LogRecord::Commit {
            trx: Trx(1),
            commit_trx: Trx(2),
        },
        CommitMode::Durable,
    )
    .unwrap();
    assert!(dir.exists("abc.log").unwrap() && dir.exists("abc.chk").unwrap());
}

#[test]
fn concurrent_committers_share_flushes_and_lose_nothing() {
    let dir = Arc::new(MemDirectory::new());
    let log = Arc::new(Log::open(LogConfig::test_min(dir.clone())).unwrap());
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..200 {
                    let rec = record(t * 1000 + i);
                    let mode = if i % 2 == 0 {
                        CommitMode::Durable
                    } else {
                        CommitMode::Lazy
                    };
                    let l = log.commit(&rec, mode).unwrap();
                    if mode == CommitMode::Durable {
                        assert!(l < log.flushed());
                    }
                    mine.push((l, rec));
                }
                mine
            })
        })
        .collect();
    let mut all: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_by_key(|(l, _)| *l);
    log.flush_all().unwrap();
    let (got, _) = read_all(dir).unwrap();
    assert_eq!(got, all);
}

#[test]
fn a_checkpoint_of_another_stream_is_refused_and_a_new_stream_resets_it() {
    let dir = Arc::new(MemDirectory::new());
    let log = Log::open(LogConfig::test_min(dir.clone())).unwrap();
    for i in 0..100 {
        log.commit(&record(i), CommitMode::Lazy).unwrap();
    }
    let head = log.head();
    log.write_checkpoint(head).unwrap();
    let (last, end) = log.reader().unwrap().end_of_log().unwrap();
    assert!(last.unwrap() < head && end.head == log.flushed());
    drop(log);
    // Deleting the log files starts a new stream, whose checkpoint starts afresh.
    for name in dir.list().unwrap() {
        if name.ends_with(".log") {
            dir.remove(&name).unwrap();
        }
    }
    let log = Log::open(LogConfig::test_min(dir.clone())).unwrap();
    assert_eq!(log.read_checkpoint().unwrap(), Lgpos::new(1, 1, 24));
    drop(log);
    // A checkpoint file from another stream is refused.
    let other = Arc::new(MemDirectory::new());
    drop(Log::open(LogConfig::test_min(other.clone())).unwrap());
    let chk = other.file("edb.chk").unwrap().to_bytes();
    dir.file("edb.chk").unwrap().write_at(0, &chk).unwrap();
    assert_eq!(
        Log::open(LogConfig::test_min(dir)).unwrap_err(),
        Error::BadCheckpointSignature
    );
}

#[test]
fn a_lazy_flusher_makes_lazy_commits_durable() {
    let dir = Arc::new(MemDirectory::new());
    let log = Arc::new(Log::open(LogConfig::test_min(dir.clone())).unwrap());
    let flusher = ese_log::LazyFlusher::start(&log, std::time::Duration::from_millis(5));
    let l = log.commit(&record(3), CommitMode::Lazy).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while log.flushed() <= l {
        assert!(std::time::Instant::now() < deadline, "never flushed");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    drop(flusher);
    // The thread also ends by itself when the log goes away.
    let _second = ese_log::LazyFlusher::start(&log, std::time::Duration::from_millis(1));
    drop(log);
}

#[test]
fn a_lazy_flusher_writes_a_half_full_buffer_at_once() {
    // An hour between periodic flushes: only the early flush can make these records durable,
    // and the buffer never fills, so no append flushes it either.
    let dir = Arc::new(MemDirectory::new());
    let config = LogConfig {
        file_bytes: 1024 * 512,
        buffer_bytes: 64 * 512,
        ..LogConfig::test_min(dir.clone())
    };
    let log = Arc::new(Log::open(config).unwrap());
    let flusher = ese_log::LazyFlusher::start(&log, std::time::Duration::from_secs(3600));
    let start = log.head();
    // Past half the buffer (32 sectors): some append then found it half full. The flush it
    // asks for may start at once and take the buffer as it is then, so what is checked is
    // that a flush came and wrote at least the half, not that it wrote the last record.
    let mut i = 0;
    while log.head().sector < start.sector + 33 {
        log.commit(&record(i), CommitMode::Lazy).unwrap();
        i += 1;
    }
    assert!(
        log.head().sector < start.sector + 60,
        "the buffer stays short of full"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while log.flushed().sector < start.sector + 31 {
        assert!(
            std::time::Instant::now() < deadline,
            "the half-full buffer was never written"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    drop(flusher);
}
