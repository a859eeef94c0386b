//! Failing storage, a failing log, corrupt pages and power cuts: each reported cleanly.

use std::sync::Arc;

use ese_cache::testing::MemLog;
use ese_cache::{Cache, Error, IoOp, WriteAheadLog};
use ese_core::Pgno;
use ese_pageio::page::PageError;
use ese_pageio::{CrashStorage, Fault, FaultOp, FaultyStorage, MemStorage, Storage, is_injected};

use crate::common::*;

fn faulty_cache(pages: usize) -> (Arc<MemLog>, Cache, Arc<FaultyStorage>) {
    let disk = Arc::new(FaultyStorage::new(Arc::new(MemStorage::new())));
    let (log, cache) = cache_over(pages, disk.clone());
    (log, cache, disk)
}

#[test]
fn a_failed_read_is_an_io_error_and_caches_nothing() {
    let (log, cache, disk) = faulty_cache(4);
    create_pages(&cache, &log, 6);
    for p in 1..=6 {
        cache.evict(DB, Pgno(p)).unwrap();
    }
    disk.arm(Fault::once(FaultOp::Read, disk.count(FaultOp::Read)));
    match cache.read(DB, Pgno(2)) {
        Err(Error::Io {
            db: DB,
            pgno: Some(Pgno(2)),
            op: IoOp::Read,
            source,
        }) => assert!(is_injected(&source)),
        other => panic!("expected a read error, got {other:?}"),
    }
    assert!(!cache.contains(DB, Pgno(2)));
    cache.check_invariants().unwrap();
    assert_eq!(&cache.read(DB, Pgno(2)).unwrap()[BODY], &image(2)[..]);
}

#[test]
fn a_failed_victim_write_keeps_the_page_dirty_and_correct() {
    let (log, cache, disk) = faulty_cache(2);
    {
        let mut page = cache.new_page(DB, Pgno(1)).unwrap();
        fill(&mut page, 11);
        page.mark_dirty(log.append(10));
    }
    disk.arm(Fault::sticky(FaultOp::Write, disk.count(FaultOp::Write)));
    // Page 2 fits; page 3 needs a victim, and every victim is dirty and cannot be written.
    {
        let mut page = cache.new_page(DB, Pgno(2)).unwrap();
        page.mark_dirty(log.append(10));
    }
    match cache.new_page(DB, Pgno(3)) {
        Err(Error::Io {
            op: IoOp::Write,
            source,
            ..
        }) => assert!(is_injected(&source)),
        other => panic!("expected a write error, got {other:?}"),
    }
    assert!(cache.contains(DB, Pgno(1)));
    cache.check_invariants().unwrap();
    assert_eq!(&cache.read(DB, Pgno(1)).unwrap()[BODY], &image(11)[..]);
    assert!(matches!(
        cache.flush_all(),
        Err(Error::Io {
            op: IoOp::Write,
            ..
        })
    ));
    assert_eq!(cache.dirty_page_count(), 2);
    disk.disarm();
    cache.flush_all().unwrap();
    assert_eq!(cache.dirty_page_count(), 0);
}

#[test]
fn a_failed_sync_fails_the_checkpoint_and_writes_none() {
    let (log, cache, disk) = faulty_cache(4);
    create_pages(&cache, &log, 2);
    let before = log.checkpoints().len();
    disk.arm(Fault::once(FaultOp::Sync, disk.count(FaultOp::Sync)));
    assert!(matches!(
        cache.checkpoint(),
        Err(Error::Io { op: IoOp::Sync, .. })
    ));
    assert_eq!(log.checkpoints().len(), before);
    cache.checkpoint().unwrap();
    assert_eq!(log.checkpoints().len(), before + 1);
}

#[test]
fn a_failed_log_flush_stops_the_page_write() {
    let log = Arc::new(MemLog::new());
    let disk = Arc::new(WalCheckingStorage::new(log.clone()));
    let cache = Cache::new(config(2), log.clone());
    cache.attach(DB, disk.storage(), PAGE).unwrap();
    let x = log.append(10);
    {
        let mut page = cache.new_page(DB, Pgno(1)).unwrap();
        page.mark_dirty(x);
        disk.changed(Pgno(1), x);
    }
    log.set_fail_flush(true);
    match cache.evict(DB, Pgno(1)) {
        Err(Error::LogFlush { lgpos, .. }) => assert_eq!(lgpos, x),
        other => panic!("expected a log flush error, got {other:?}"),
    }
    assert!(
        disk.writes.lock().is_empty(),
        "no page write without the log"
    );
    assert!(cache.contains(DB, Pgno(1)));
    log.set_fail_flush(false);
    assert!(cache.evict(DB, Pgno(1)).unwrap());
    assert!(log.flushed() > x);
    assert!(disk.violations.lock().is_empty());
}

#[test]
fn a_corrupt_page_reports_its_number_and_is_not_cached() {
    let (log, cache, disk) = mem_cache(4);
    create_pages(&cache, &log, 3);
    cache.evict(DB, Pgno(2)).unwrap();
    let at = WalCheckingStorage::offset(Pgno(2)) + 1000;
    let mut byte = [0u8; 1];
    disk.read_at(at, &mut byte).unwrap();
    disk.write_at(at, &[byte[0] ^ 0x40]).unwrap();
    match cache.read(DB, Pgno(2)) {
        Err(Error::ReadVerifyFailure {
            db: DB,
            pgno: Pgno(2),
            source: PageError::ChecksumMismatch { pgno: Pgno(2), .. },
        }) => {}
        other => panic!("expected a verify failure for page 2, got {other:?}"),
    }
    assert!(!cache.contains(DB, Pgno(2)));
    cache.check_invariants().unwrap();
    // A write latch fails the same way; a never-written page is reported as such.
    assert!(matches!(
        cache.write(DB, Pgno(2)),
        Err(Error::ReadVerifyFailure { pgno: Pgno(2), .. })
    ));
    disk.set_len(WalCheckingStorage::offset(Pgno(9))).unwrap();
    assert!(matches!(
        cache.read(DB, Pgno(8)),
        Err(Error::ReadVerifyFailure {
            source: PageError::Uninitialized { .. },
            ..
        })
    ));
    // Repaired, it reads.
    disk.write_at(at, &byte).unwrap();
    assert_eq!(&cache.read(DB, Pgno(2)).unwrap()[BODY], &image(2)[..]);
}

#[test]
fn after_flush_and_sync_every_page_survives_a_power_cut() {
    let disk = Arc::new(CrashStorage::new());
    let (log, cache) = cache_over(6, disk.clone());
    let pages = 20u32;
    for round in 0..3u64 {
        for p in 1..=pages {
            let mut page = if round == 0 {
                cache.new_page(DB, Pgno(p)).unwrap()
            } else {
                cache.write(DB, Pgno(p)).unwrap()
            };
            fill(&mut page, round * 100 + u64::from(p));
            page.mark_dirty(log.append(64));
        }
    }
    cache.flush_all().unwrap();
    // Everything was synced, so whatever fate the seed picks for unsynced operations, every
    // page is on the crashed disk, verifies, and holds its last image.
    for seed in 0..16 {
        let image_disk = disk.crash_image(seed);
        let reopened = Cache::new(config(4), Arc::new(MemLog::new()));
        reopened.attach(DB, Arc::new(image_disk), PAGE).unwrap();
        for p in 1..=pages {
            let page = reopened
                .read(DB, Pgno(p))
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!(
                &page[BODY],
                &image(200 + u64::from(p))[..],
                "seed {seed} page {p}"
            );
        }
    }
}

#[test]
fn a_crash_between_flushes_keeps_every_page_verifiable_or_old() {
    // Pages written but not yet synced may be lost or torn by a power cut; a torn page must
    // fail verification (never read back as a mix), and a synced page must survive.
    let disk = Arc::new(CrashStorage::new());
    let (log, cache) = cache_over(4, disk.clone());
    for p in 1..=8u32 {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        fill(&mut page, u64::from(p));
        page.mark_dirty(log.append(64));
    }
    cache.flush_all().unwrap();
    for p in 1..=8u32 {
        let mut page = cache.write(DB, Pgno(p)).unwrap();
        fill(&mut page, 500 + u64::from(p));
        page.mark_dirty(log.append(64));
    }
    // Evict everything without a sync.
    for p in 1..=8u32 {
        cache.evict(DB, Pgno(p)).unwrap();
    }
    for seed in 0..32 {
        let reopened = Cache::new(config(4), Arc::new(MemLog::new()));
        reopened
            .attach(DB, Arc::new(disk.crash_image(seed)), PAGE)
            .unwrap();
        for p in 1..=8u32 {
            match reopened.read(DB, Pgno(p)) {
                Ok(page) => {
                    let body = &page[BODY];
                    assert!(
                        body == &image(u64::from(p))[..] || body == &image(500 + u64::from(p))[..],
                        "seed {seed} page {p}: a mix of two images passed verification"
                    );
                }
                Err(Error::ReadVerifyFailure { pgno, .. }) => assert_eq!(pgno, Pgno(p)),
                Err(e) => panic!("seed {seed} page {p}: {e}"),
            }
        }
    }
}
