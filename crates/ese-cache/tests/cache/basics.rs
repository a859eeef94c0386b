//! Pins, eviction, the write-ahead rule and the checkpoint, one behaviour per test.

use std::sync::Arc;
use std::time::Duration;

use ese_cache::testing::MemLog;
use ese_cache::{Cache, Error, WriteAheadLog, lgpos_to_bytes};
use ese_core::{DbId, Lgpos, Pgno};
use ese_pageio::MemStorage;

use crate::common::*;

#[test]
fn a_page_written_then_evicted_reads_back_from_disk() {
    let (log, cache, _disk) = mem_cache(4);
    {
        let mut page = cache.new_page(DB, Pgno(5)).unwrap();
        fill(&mut page, 77);
        page.mark_dirty(log.append(10));
        assert!(page.is_dirty());
    }
    assert_eq!(cache.dirty_page_count(), 1);
    assert!(cache.evict(DB, Pgno(5)).unwrap());
    assert!(!cache.contains(DB, Pgno(5)));
    assert_eq!(cache.dirty_page_count(), 0);
    let page = cache.read(DB, Pgno(5)).unwrap();
    assert_eq!(&page[BODY], &image(77)[..]);
    assert_eq!((page.db(), page.pgno()), (DB, Pgno(5)));
    let stats = cache.stats();
    assert_eq!((stats.misses, stats.page_writes), (2, 1), "{stats:?}");
}

#[test]
fn the_write_ahead_rule_holds_on_a_forced_eviction() {
    let log = Arc::new(MemLog::new());
    let disk = Arc::new(WalCheckingStorage::new(log.clone()));
    let cache = Cache::new(config(2), log.clone());
    cache.attach(DB, disk.storage(), PAGE).unwrap();

    let x = {
        let mut page = cache.new_page(DB, Pgno(1)).unwrap();
        fill(&mut page, 1);
        let x = log.append(50);
        page.mark_dirty(x);
        disk.changed(Pgno(1), x);
        x
    };
    assert!(log.flushed() <= x, "the change is not durable yet");
    assert!(disk.writes.lock().is_empty());
    // Two more pages in a two-frame cache force page 1 out.
    for p in 2..=3 {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        page.mark_dirty_unlogged();
    }
    assert!(!cache.contains(DB, Pgno(1)));
    let writes = disk.writes.lock().clone();
    let at = WalCheckingStorage::offset(Pgno(1));
    let (_, flushed_then) = writes
        .iter()
        .find(|(o, _)| *o == at)
        .copied()
        .expect("page 1 was written");
    assert!(
        flushed_then > x,
        "flushed {flushed_then} at the write, change at {x}"
    );
    assert!(log.flush_calls().contains(&x), "{:?}", log.flush_calls());
    assert!(
        disk.violations.lock().is_empty(),
        "{:?}",
        disk.violations.lock()
    );
}

#[test]
fn many_dirty_victims_are_written_and_read_back() {
    let log = Arc::new(MemLog::new());
    let disk = Arc::new(WalCheckingStorage::new(log.clone()));
    let cache = Cache::new(config(4), log.clone());
    cache.attach(DB, disk.storage(), PAGE).unwrap();
    for round in 0..3u64 {
        for p in 1..=32u32 {
            let mut page = if round == 0 {
                cache.new_page(DB, Pgno(p)).unwrap()
            } else {
                cache.write(DB, Pgno(p)).unwrap()
            };
            fill(&mut page, round * 1000 + u64::from(p));
            let l = log.append(30);
            page.mark_dirty(l);
            disk.changed(Pgno(p), l);
        }
    }
    for p in 1..=32u32 {
        let page = cache.read(DB, Pgno(p)).unwrap();
        assert_eq!(&page[BODY], &image(2000 + u64::from(p))[..], "page {p}");
    }
    let stats = cache.stats();
    assert!(stats.evictions >= 90, "{stats:?}");
    assert!(stats.page_writes >= 90, "{stats:?}");
    assert!(
        disk.violations.lock().is_empty(),
        "{:?}",
        disk.violations.lock()
    );
}

#[test]
fn the_checkpoint_is_the_oldest_first_change_or_the_head() {
    let (log, cache, _disk) = mem_cache(8);
    assert_eq!(cache.checkpoint_lgpos(), log.head(), "nothing dirty");

    let l1 = log.append(10);
    let l2 = log.append(10);
    let l3 = log.append(10);
    for (p, first, last) in [(1, l2, l3), (2, l1, l1)] {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        page.mark_dirty(first);
        page.mark_dirty(last);
    }
    assert_eq!(cache.checkpoint_lgpos(), l1);
    assert!(cache.evict(DB, Pgno(2)).unwrap());
    assert_eq!(
        cache.checkpoint_lgpos(),
        l2,
        "page 1's first change, not its last"
    );

    let cp = cache.checkpoint().unwrap();
    assert_eq!(cp, l2);
    assert_eq!(log.checkpoints(), vec![l2]);
    assert!(
        log.flushed() >= l2,
        "the log is durable up to the checkpoint"
    );

    cache.flush_all().unwrap();
    let head = log.head();
    assert_eq!(cache.checkpoint().unwrap(), head);
    assert_eq!(log.checkpoints(), vec![l2, head]);
}

#[test]
fn a_held_write_latch_holds_the_checkpoint_back() {
    let (log, cache, _disk) = mem_cache(8);
    create_pages(&cache, &log, 1);
    let before = cache.checkpoint().unwrap();
    let mut page = cache.write(DB, Pgno(1)).unwrap();
    // The holder may log at any moment; until it marks, the checkpoint must not pass the
    // head as it was when the latch was taken.
    log.append(5000);
    assert!(cache.checkpoint_lgpos() <= before);
    let l = log.append(10);
    page.mark_dirty(l);
    drop(page);
    assert_eq!(cache.checkpoint_lgpos(), l);
}

#[test]
fn flush_for_checkpoint_keeps_the_checkpoint_within_the_depth() {
    let (log, cache, _disk) = mem_cache(64);
    let depth = 8 * 1024;
    let file = MemLog::log_file_size_bytes();
    for p in 1..=40u32 {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        fill(&mut page, u64::from(p));
        page.mark_dirty(log.append(1000));
    }
    let before = cache.checkpoint_lgpos();
    let lag = |cp: Lgpos| lgpos_to_bytes(log.head(), file) - lgpos_to_bytes(cp, file);
    assert!(lag(before) > depth);
    let cp = cache.flush_for_checkpoint(depth).unwrap();
    assert!(lag(cp) <= depth, "lag {} > depth {depth}", lag(cp));
    assert_eq!(log.checkpoints().last(), Some(&cp));
    // The newest pages stay dirty: only pages older than the depth were written.
    assert!(cache.dirty_page_count() > 0);
    assert!(cache.dirty_page_count() < 40);
}

/// A 32-frame cache over a model log, with one memory database, for the flusher's tests.
fn flushed_cache(depth_bytes: u64) -> (Arc<MemLog>, Arc<Cache>) {
    let log = Arc::new(MemLog::new());
    let cfg = ese_cache::CacheConfig {
        checkpoint_depth_max_bytes: depth_bytes,
        ..config(32)
    };
    let cache = Arc::new(Cache::new(cfg, log.clone()));
    cache
        .attach(DB, Arc::new(MemStorage::new()), PAGE)
        .expect("test helper");
    (log, cache)
}

/// Runs the background flusher until it has completed `rounds` rounds (or 10 s passed),
/// then stops it and checks it reported no failure.
fn run_flusher_rounds(cache: &Arc<Cache>, rounds: u64) {
    let flusher = Cache::spawn_flusher(cache, Duration::from_millis(5));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while flusher.rounds() < rounds && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(flusher.stop().is_none());
}

#[test]
fn the_background_flusher_advances_the_checkpoint() {
    let (log, cache) = flushed_cache(2000);
    for p in 1..=20u32 {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        page.mark_dirty(log.append(1000));
    }
    run_flusher_rounds(&cache, 2);
    let file = MemLog::log_file_size_bytes();
    let cp = *log.checkpoints().last().expect("a checkpoint was written");
    assert!(lgpos_to_bytes(log.head(), file) - lgpos_to_bytes(cp, file) <= 2000);
}

#[test]
fn the_background_flusher_writes_no_page_changed_after_the_checkpoint_limit() {
    // An open transaction holds the checkpoint at `limit`: pages first changed before it are
    // written (they hold the checkpoint back), pages changed after it stay dirty, because
    // writing them could not move the checkpoint past the limit.
    let (log, cache) = flushed_cache(0);
    let mut limit = None;
    for p in 1..=20u32 {
        if p == 11 {
            limit = Some(log.append(1));
        }
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        page.mark_dirty(log.append(1000));
    }
    log.set_checkpoint_limit(limit);
    run_flusher_rounds(&cache, 2);
    assert_eq!(
        cache.dirty_page_count(),
        10,
        "only the pages before the limit are written"
    );
    assert_eq!(log.checkpoints().last().copied(), limit);
    // Once nothing holds it back, the same flusher writes the rest.
    log.set_checkpoint_limit(None);
    run_flusher_rounds(&cache, 2);
    assert_eq!(cache.dirty_page_count(), 0);
}

#[test]
fn the_background_flusher_paced_beside_commits_still_writes_every_due_page() {
    // More due pages than one chunk, while a committer keeps moving the log's flush tip: the
    // flusher then rests between chunks, and must still write every page and move the
    // checkpoint with them.
    let log = Arc::new(MemLog::new());
    let cfg = ese_cache::CacheConfig {
        checkpoint_depth_max_bytes: 2000,
        ..config(256)
    };
    let cache = Arc::new(Cache::new(cfg, log.clone()));
    cache
        .attach(DB, Arc::new(MemStorage::new()), PAGE)
        .expect("test helper");
    for p in 1..=150u32 {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        page.mark_dirty(log.append(1000));
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let committer = {
        let (log, done) = (log.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let l = log.append(100);
                log.flush_to(l).expect("model flush");
                std::thread::sleep(Duration::from_micros(100));
            }
        })
    };
    run_flusher_rounds(&cache, 3);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    committer.join().expect("committer");
    assert_eq!(cache.dirty_page_count(), 0, "every due page is written");
    let cp = *log.checkpoints().last().expect("a checkpoint was written");
    let file = MemLog::log_file_size_bytes();
    assert!(
        lgpos_to_bytes(cp, file) >= 150 * 1000,
        "the checkpoint moved past the pages written"
    );
    cache.check_invariants().expect("invariants");
}

#[test]
fn a_long_background_round_moves_the_checkpoint_as_it_goes() {
    // 600 due pages: more than the 512 a round writes between two checkpoints, so the round's
    // first checkpoint lies among the pages' changes, not past them all.
    let log = Arc::new(MemLog::new());
    let cfg = ese_cache::CacheConfig {
        checkpoint_depth_max_bytes: 0,
        ..config(1024)
    };
    let cache = Arc::new(Cache::new(cfg, log.clone()));
    cache
        .attach(DB, Arc::new(MemStorage::new()), PAGE)
        .expect("test helper");
    let mut changes = Vec::new();
    for p in 1..=600u32 {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        let at = log.append(1000);
        page.mark_dirty(at);
        changes.push(at);
    }
    run_flusher_rounds(&cache, 1);
    assert_eq!(cache.dirty_page_count(), 0);
    let first = *log.checkpoints().first().expect("a checkpoint was written");
    assert!(
        first > changes[0] && first <= changes[599],
        "the first checkpoint {first:?} was not taken while the round wrote"
    );
}

#[test]
fn a_cache_whose_frames_are_all_pinned_reports_out_of_buffers() {
    let (log, cache, _disk) = mem_cache(4);
    create_pages(&cache, &log, 6);
    let held: Vec<_> = (1..=4).map(|p| cache.read(DB, Pgno(p)).unwrap()).collect();
    match cache.read(DB, Pgno(5)) {
        Err(Error::OutOfBuffers { capacity_pages: 4 }) => {}
        other => panic!("expected OutOfBuffers, got {other:?}"),
    }
    // A pinned page is still a hit, and shared latches stack.
    let again = cache.read(DB, Pgno(1)).unwrap();
    assert_eq!(&again[BODY], &image(1)[..]);
    drop(again);
    drop(held);
    assert_eq!(&cache.read(DB, Pgno(5)).unwrap()[BODY], &image(5)[..]);
}

#[test]
fn databases_with_different_page_sizes_share_the_cache() {
    let log = Arc::new(MemLog::new());
    let cache = Cache::new(config(4), log.clone());
    let sizes = [(DbId(1), 4096), (DbId(2), 8192), (DbId(3), 32768)];
    for (db, size) in sizes {
        cache.attach(db, Arc::new(MemStorage::new()), size).unwrap();
    }
    for round in 0..3u8 {
        for (db, size) in sizes {
            for p in 1..=3u32 {
                let mut page = if round == 0 {
                    cache.new_page(db, Pgno(p)).unwrap()
                } else {
                    cache.write(db, Pgno(p)).unwrap()
                };
                assert_eq!(page.len(), size);
                page[100] = round;
                page[size - 1] = db.0 as u8 ^ p as u8;
                page.mark_dirty(log.append(10));
            }
        }
    }
    for (db, size) in sizes {
        for p in 1..=3u32 {
            let page = cache.read(db, Pgno(p)).unwrap();
            assert_eq!(
                (page.len(), page[100], page[size - 1]),
                (size, 2, db.0 as u8 ^ p as u8)
            );
        }
    }
    assert!(matches!(
        cache.attach(DbId(2), Arc::new(MemStorage::new()), 8192),
        Err(Error::DatabaseAttached(DbId(2)))
    ));
    assert!(matches!(
        cache.attach(DbId(9), Arc::new(MemStorage::new()), 1000),
        Err(Error::InvalidPageSize(1000))
    ));
    assert!(matches!(
        cache.read(DbId(7), Pgno(1)),
        Err(Error::UnknownDatabase(DbId(7)))
    ));
    assert!(matches!(
        cache.read(DbId(1), Pgno(0)),
        Err(Error::InvalidPgno(Pgno(0)))
    ));
}

#[test]
fn detach_writes_and_drops_a_database() {
    let (log, cache, disk) = mem_cache(8);
    {
        let mut page = cache.new_page(DB, Pgno(3)).unwrap();
        fill(&mut page, 3);
        page.mark_dirty(log.append(10));
    }
    {
        let _held = cache.read(DB, Pgno(3)).unwrap();
        assert!(matches!(cache.detach(DB), Err(Error::DatabaseInUse(DB))));
    }
    cache.detach(DB).unwrap();
    assert!(!cache.contains(DB, Pgno(3)));
    assert!(matches!(
        cache.read(DB, Pgno(3)),
        Err(Error::UnknownDatabase(DB))
    ));
    // Reattached, the page comes back from disk intact.
    cache.attach(DB, disk, PAGE).unwrap();
    assert_eq!(&cache.read(DB, Pgno(3)).unwrap()[BODY], &image(3)[..]);
}

#[test]
fn a_mutation_without_a_mark_is_not_lost() {
    let (_log, cache, _disk) = mem_cache(2);
    {
        let mut page = cache.new_page(DB, Pgno(1)).unwrap();
        fill(&mut page, 9);
    }
    for p in 2..=4 {
        drop(cache.new_page(DB, Pgno(p)).unwrap());
    }
    assert!(!cache.contains(DB, Pgno(1)));
    assert_eq!(&cache.read(DB, Pgno(1)).unwrap()[BODY], &image(9)[..]);
}

#[test]
fn a_scan_does_not_flush_the_hot_set_out() {
    // 24 hot pages, each re-referenced after 24 scan pages and 23 other hot pages: a reuse
    // distance of 47 pages, beyond a 32-frame cache, so LRU would lose every hot page. LRU-2
    // ranks the scan pages (one reference each) below the hot pages and keeps the hot set.
    let (log, cache, _disk) = mem_cache(32);
    let hot = 24u32;
    let scan = 600u32;
    for p in 1..=hot + scan {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        fill(&mut page, u64::from(p));
        page.mark_dirty(log.append(10));
    }
    cache.flush_all().unwrap();
    for p in 1..=hot + scan {
        cache.evict(DB, Pgno(p)).unwrap();
    }
    let step = |i: u32| {
        let _scan = cache.read(DB, Pgno(hot + 1 + i % scan)).unwrap();
        let h = cache.read(DB, Pgno(1 + i % hot)).unwrap();
        assert_eq!(&h[BODY], &image(u64::from(1 + i % hot))[..]);
    };
    // Two rounds over the hot set give every hot page its second reference.
    for i in 0..2 * hot {
        step(i);
    }
    let before = cache.stats();
    let measured = 400;
    for i in 2 * hot..2 * hot + measured {
        step(i);
    }
    let after = cache.stats();
    let hot_hits = after.hits - before.hits;
    assert!(
        hot_hits >= u64::from(measured) * 95 / 100,
        "{hot_hits} hot hits of {measured}: {after:?}"
    );
    for p in 1..=hot {
        assert!(cache.contains(DB, Pgno(p)), "hot page {p} was evicted");
    }
}

#[test]
fn the_cache_hit_rate_tracks_the_lru2_simulation() {
    use ese_cache::lruk::{LruKSim, LruSim, hit_count, opt_hits};
    // Hot set of 80 pages taking half the references, plus a sequential scan over 2,000
    // pages, through a 100-frame cache.
    let (hot, cold, frames) = (80u64, 2000u64, 100usize);
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut scan = 0;
    let trace: Vec<u64> = (0..40_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x % 2 == 0 {
                (x >> 8) % hot
            } else {
                scan = (scan + 1) % cold;
                hot + scan
            }
        })
        .collect();
    let (log, cache, _disk) = mem_cache(frames);
    for p in 0..hot + cold {
        let mut page = cache.new_page(DB, Pgno(p as u32 + 1)).unwrap();
        page.mark_dirty(log.append(10));
    }
    cache.flush_all().unwrap();
    for p in 0..hot + cold {
        cache.evict(DB, Pgno(p as u32 + 1)).unwrap();
    }
    let before = cache.stats();
    for &p in &trace {
        drop(cache.read(DB, Pgno(p as u32 + 1)).unwrap());
    }
    let after = cache.stats();
    let rate = |hits: u64| hits as f64 * 100.0 / trace.len() as f64;
    let real = rate(after.hits - before.hits);
    let lru = rate(hit_count(&mut LruSim::new(frames), &trace) as u64);
    let lru2 = rate(hit_count(&mut LruKSim::with_history(frames, frames * 4), &trace) as u64);
    let opt = rate(opt_hits(&trace, frames) as u64);
    println!(
        "hot 80 + scan 2000, 50% hot, {frames} frames: cache {real:.1}%, LRU {lru:.1}%, \
         LRU-2+hist {lru2:.1}%, OPT {opt:.1}%"
    );
    assert!(
        real > lru + 10.0,
        "the cache ({real:.1}%) must beat LRU ({lru:.1}%)"
    );
    assert!(
        real > lru2 - 5.0,
        "the cache ({real:.1}%) is near LRU-2 ({lru2:.1}%)"
    );
}

#[test]
fn a_hinted_read_finds_the_page_and_falls_back_when_the_frame_moved_on() {
    let (log, cache, _disk) = mem_cache(2);
    create_pages(&cache, &log, 3);
    let hint = cache.read(DB, Pgno(1)).unwrap().hint();
    // Still there: the hinted read latches it without a look-up, and counts a hit.
    let before = cache.stats();
    {
        let page = cache.read_hinted(DB, Pgno(1), hint).unwrap();
        assert_eq!((page.pgno(), page.hint()), (Pgno(1), hint));
    }
    let after = cache.stats();
    assert_eq!((after.hits, after.misses), (before.hits + 1, before.misses));
    // A hint for another page, or no hint, is an ordinary read.
    let other = cache.read_hinted(DB, Pgno(2), hint).unwrap();
    assert_eq!(other.pgno(), Pgno(2));
    drop(other);
    assert_eq!(
        cache
            .read_hinted(DB, Pgno(3), ese_cache::FrameHint::NONE)
            .unwrap()
            .pgno(),
        Pgno(3)
    );
    // Evicted, and its frame reused for other pages: the hint is stale, the page read again.
    cache.flush_all().unwrap();
    cache.evict(DB, Pgno(1)).unwrap();
    assert!(!cache.contains(DB, Pgno(1)));
    for p in [2, 3] {
        drop(cache.read(DB, Pgno(p)).unwrap());
    }
    let page = cache.read_hinted(DB, Pgno(1), hint).unwrap();
    assert_eq!(page.pgno(), Pgno(1));
    let reread = cache.read(DB, Pgno(1)).unwrap();
    assert_eq!(&page[..], &reread[..]);
    drop((page, reread));
    cache.check_invariants().unwrap();
}

#[test]
fn a_page_held_through_a_hint_is_not_evicted() {
    let (log, cache, _disk) = mem_cache(4);
    create_pages(&cache, &log, 2);
    cache.flush_all().unwrap();
    let hint = cache.read(DB, Pgno(1)).unwrap().hint();
    let page = cache.read_hinted(DB, Pgno(1), hint).unwrap();
    assert!(!cache.evict(DB, Pgno(1)).unwrap(), "a latched page stays");
    assert!(cache.contains(DB, Pgno(1)));
    drop(page);
    assert!(cache.evict(DB, Pgno(1)).unwrap());
    assert!(!cache.contains(DB, Pgno(1)));
    cache.check_invariants().unwrap();
}

#[test]
fn a_page_held_through_a_hint_keeps_its_database_attached_and_its_frame() {
    // A hinted read holds its latch and no pin: detach and eviction must still see it in use.
    let (log, cache, _disk) = mem_cache(2);
    create_pages(&cache, &log, 4);
    let hint = cache.read(DB, Pgno(1)).unwrap().hint();
    let held = cache.read_hinted(DB, Pgno(1), hint).unwrap();
    assert!(matches!(cache.detach(DB), Err(Error::DatabaseInUse(DB))));
    // The other frame is taken in turn by every other page; the held one never is.
    for p in [2, 3, 4, 2, 3, 4] {
        assert_eq!(
            &cache.read(DB, Pgno(p)).unwrap()[BODY],
            &image(u64::from(p))[..]
        );
        assert_eq!(held.hint(), hint);
        assert_eq!(&held[BODY], &image(1)[..]);
    }
    // With the held frame and a second hinted hold, no frame is free for another page.
    let hint3 = cache.read(DB, Pgno(3)).unwrap().hint();
    let held3 = cache.read_hinted(DB, Pgno(3), hint3).unwrap();
    assert!(matches!(
        cache.read(DB, Pgno(2)),
        Err(Error::OutOfBuffers { capacity_pages: 2 })
    ));
    drop((held, held3));
    assert_eq!(&cache.read(DB, Pgno(2)).unwrap()[BODY], &image(2)[..]);
    cache.check_invariants().unwrap();
    cache.detach(DB).unwrap();
}

#[test]
fn a_page_held_through_a_hint_keeps_its_bytes_while_another_thread_churns_the_frames() {
    let (log, cache, _disk) = mem_cache(3);
    create_pages(&cache, &log, 30);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut x = 5u64;
            for _ in 0..4000 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let p = (x >> 33) % 30 + 1;
                // A miss may find every frame held for a moment; that is not a wrong page.
                if let Ok(page) = cache.read(DB, Pgno(p as u32)) {
                    assert_eq!(&page[BODY], &image(p)[..], "page {p}");
                }
            }
        });
        for round in 0..2000u64 {
            let p = round % 30 + 1;
            let Ok(first) = cache.read(DB, Pgno(p as u32)) else {
                continue;
            };
            let hint = first.hint();
            drop(first);
            let Ok(held) = cache.read_hinted(DB, Pgno(p as u32), hint) else {
                continue;
            };
            assert_eq!(&held[BODY], &image(p)[..], "page {p}");
            std::thread::yield_now();
            assert_eq!(&held[BODY], &image(p)[..], "page {p} after a yield");
        }
    });
    cache.check_invariants().unwrap();
}

#[test]
fn swapped_bytes_become_the_page_and_an_unfilled_new_page_keeps_the_frame_bytes() {
    let (log, cache, _disk) = mem_cache(1);
    let mut page = cache.new_page(DB, Pgno(1)).unwrap();
    fill(&mut page, 3);
    let mut short = vec![9u8; PAGE - 1];
    assert!(
        !page.swap_bytes(&mut short),
        "a buffer of another length is refused"
    );
    assert_eq!(short, vec![9u8; PAGE - 1]);
    let mut mine = vec![0u8; PAGE];
    fill(&mut mine, 4);
    assert!(page.swap_bytes(&mut mine));
    assert_eq!(&mine[BODY], &image(3)[..], "the page's old bytes come back");
    assert_eq!(&page[BODY], &image(4)[..]);
    page.mark_dirty(log.append(10));
    drop(page);
    // Written and evicted by the next page in the one-frame cache; the frame is reused as it
    // was, not zeroed.
    let page = cache.new_page_unfilled(DB, Pgno(2)).unwrap();
    assert_eq!(&page[BODY], &image(4)[..]);
    drop(page);
    assert_eq!(&cache.read(DB, Pgno(1)).unwrap()[BODY], &image(4)[..]);
}

#[test]
fn a_hinted_write_latches_the_page_with_or_without_a_good_hint() {
    let (log, cache, _disk) = mem_cache(2);
    create_pages(&cache, &log, 2);
    let shared = ese_cache::SharedHint::new();
    assert_eq!(shared.get(), ese_cache::FrameHint::NONE);
    let hint = cache.read(DB, Pgno(1)).unwrap().hint();
    shared.set(hint);
    assert_eq!(shared.get(), hint);
    {
        let mut page = cache.write_hinted(DB, Pgno(1), shared.get()).unwrap();
        assert_eq!(&page[BODY], &image(1)[..]);
        fill(&mut page, 9);
        page.mark_dirty(log.append(10));
    }
    // A hint for another page (or none) is only a wrong guess: the look-up finds the page.
    for wrong in [hint, ese_cache::FrameHint::NONE] {
        let page = cache.write_hinted(DB, Pgno(2), wrong).unwrap();
        assert_eq!((page.pgno(), &page[BODY]), (Pgno(2), &image(2)[..]));
    }
    assert_eq!(&cache.read(DB, Pgno(1)).unwrap()[BODY], &image(9)[..]);
}

#[test]
fn reads_through_the_recent_frame_table_never_return_another_page() {
    // Four frames for forty pages: the table's slots and the frames they name are reused
    // all the time, on one thread and on two at once.
    let (log, cache, _disk) = mem_cache(4);
    create_pages(&cache, &log, 40);
    let walk = |seed: u64| {
        let mut x = seed;
        for _ in 0..3000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let p = (x >> 33) % 40 + 1;
            let page = cache.read(DB, Pgno(p as u32)).unwrap();
            assert_eq!(page.pgno(), Pgno(p as u32));
            assert_eq!(&page[BODY], &image(p)[..], "page {p}");
        }
    };
    walk(7);
    std::thread::scope(|s| {
        s.spawn(|| walk(11));
        s.spawn(|| walk(13));
    });
    // A page read again at once is found through its slot, and counted as a hit.
    drop(cache.read(DB, Pgno(3)).unwrap());
    let before = cache.stats();
    drop(cache.read(DB, Pgno(3)).unwrap());
    let after = cache.stats();
    assert_eq!((after.hits, after.misses), (before.hits + 1, before.misses));
    cache.check_invariants().unwrap();
}

/// A [`ese_cache::Derived`] that says which build made it.
fn derived_build(builds: &std::cell::Cell<u32>, bytes: &[u8]) -> Option<ese_cache::Derived> {
    builds.set(builds.get() + 1);
    Some(Box::new((builds.get(), bytes[BODY.start])))
}

#[test]
fn what_readers_derive_from_a_page_is_built_once_and_dropped_when_it_may_change() {
    let (log, cache, _disk) = mem_cache(4);
    create_pages(&cache, &log, 2);
    let builds = std::cell::Cell::new(0);
    let read_derived = |p: u32| -> Option<(u32, u8)> {
        let page = cache.read(DB, Pgno(p)).unwrap();
        let d = page.derived(|b| derived_build(&builds, b))?;
        d.downcast_ref::<(u32, u8)>().copied()
    };
    let first = read_derived(1).unwrap();
    assert_eq!(builds.get(), 1);
    // Later readers of the same bytes, through the table or a hint, get the same one.
    assert_eq!(read_derived(1), Some(first));
    let hint = cache.read(DB, Pgno(1)).unwrap().hint();
    let hinted = cache.read_hinted(DB, Pgno(1), hint).unwrap();
    assert_eq!(
        hinted
            .derived_if_built()
            .and_then(|d| d.downcast_ref::<(u32, u8)>().copied()),
        Some(first)
    );
    drop(hinted);
    assert_eq!(builds.get(), 1);
    // Another page has its own.
    assert_ne!(read_derived(2), Some(first));
    assert_eq!(builds.get(), 2);
    // An exclusive latch drops it, whether or not the holder changed the bytes.
    drop(cache.write(DB, Pgno(1)).unwrap());
    assert_eq!(
        cache
            .read(DB, Pgno(1))
            .unwrap()
            .derived_if_built()
            .map(|_| ()),
        None
    );
    let mut page = cache.write(DB, Pgno(1)).unwrap();
    page[BODY.start] ^= 0xFF;
    page.mark_dirty(log.append(100));
    drop(page);
    let after = read_derived(1).unwrap();
    assert_eq!(
        after,
        (3, first.1 ^ 0xFF),
        "built again from the changed bytes"
    );
    // A build that gives nothing is kept too, until the page changes.
    let page = cache.read(DB, Pgno(2)).unwrap();
    assert!(page.derived_if_built().is_some());
    drop(page);
    drop(cache.write(DB, Pgno(2)).unwrap());
    let page = cache.read(DB, Pgno(2)).unwrap();
    assert!(page.derived(|_| None).is_none());
    assert!(page.derived(|b| derived_build(&builds, b)).is_none());
    drop(page);
    assert_eq!(builds.get(), 3);
    cache.check_invariants().unwrap();
}

#[test]
fn what_readers_derive_from_a_page_goes_with_its_frame() {
    let (log, cache, _disk) = mem_cache(2);
    create_pages(&cache, &log, 3);
    cache.flush_all().unwrap();
    let builds = std::cell::Cell::new(0);
    let page = cache.read(DB, Pgno(1)).unwrap();
    assert!(page.derived(|b| derived_build(&builds, b)).is_some());
    drop(page);
    assert!(cache.evict(DB, Pgno(1)).unwrap());
    // The frame is taken by other pages, then page 1 is read back into some frame: no
    // reader finds anything derived from bytes that frame held before.
    for p in [2, 3, 1] {
        let page = cache.read(DB, Pgno(p)).unwrap();
        assert!(page.derived_if_built().is_none(), "page {p}");
    }
    cache.check_invariants().unwrap();
}
