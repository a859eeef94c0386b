//! Many threads pinning, changing and unpinning pages of a cache smaller than the data set,
//! with the background flusher running; afterwards every page equals the model.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ese_cache::testing::MemLog;
use ese_cache::{Cache, Error};
use ese_core::Pgno;
use ese_pageio::MemStorage;

use crate::common::*;

const PAGES: u32 = 64;
const THREADS: u64 = 4;
const OPS_PER_THREAD: u64 = 100_000;
const COUNTER: std::ops::Range<usize> = 40..48;

/// Writes `count` into the page and a body derived from it, so a torn or mixed image shows.
fn stamp(page: &mut [u8], count: u64) {
    page[COUNTER].copy_from_slice(&count.to_le_bytes());
    page[48..].fill((count % 251) as u8);
}

/// The page's count, checking the body agrees with it.
fn count_of(page: &[u8]) -> u64 {
    let mut c = [0u8; 8];
    c.copy_from_slice(&page[COUNTER]);
    let count = u64::from_le_bytes(c);
    let expect = (count % 251) as u8;
    assert!(
        page[48..].iter().all(|&b| b == expect),
        "page body disagrees with count {count}"
    );
    count
}

#[test]
fn four_threads_of_random_pins_match_the_model() {
    let log = Arc::new(MemLog::new());
    let cfg = ese_cache::CacheConfig {
        checkpoint_depth_max_bytes: 16 * 1024,
        ..config(24)
    };
    let cache = Arc::new(Cache::new(cfg, log.clone()));
    let disk = Arc::new(MemStorage::new());
    cache.attach(DB, disk.clone(), PAGE).unwrap();
    for p in 1..=PAGES {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        stamp(&mut page, 0);
        page.mark_dirty(log.append(20));
    }
    let model: Arc<Vec<AtomicU64>> = Arc::new((0..=PAGES).map(|_| AtomicU64::new(0)).collect());
    let flusher = Cache::spawn_flusher(&cache, Duration::from_millis(2));

    std::thread::scope(|s| {
        for t in 0..THREADS {
            let cache = &cache;
            let log = &log;
            let model = &model;
            s.spawn(move || {
                let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ (t + 1);
                for _ in 0..OPS_PER_THREAD {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let pgno = Pgno(1 + (x % u64::from(PAGES)) as u32);
                    // Two in three pins modify the page; the rest only read it.
                    if (x >> 32) % 3 != 0 {
                        let mut page = loop {
                            match cache.write(DB, pgno) {
                                Ok(page) => break page,
                                // Four threads each pin one page: 24 frames always suffice,
                                // but report anything else.
                                Err(Error::OutOfBuffers { .. }) => std::thread::yield_now(),
                                Err(e) => panic!("write {pgno}: {e}"),
                            }
                        };
                        let count = count_of(&page) + 1;
                        stamp(&mut page, count);
                        page.mark_dirty(log.append(40));
                        model[pgno.0 as usize].fetch_add(1, Ordering::Relaxed);
                    } else {
                        let page = cache.read(DB, pgno).unwrap();
                        count_of(&page);
                    }
                }
            });
        }
    });
    assert!(flusher.stop().is_none());
    cache.check_invariants().unwrap();

    for p in 1..=PAGES {
        let page = cache.read(DB, Pgno(p)).unwrap();
        assert_eq!(
            count_of(&page),
            model[p as usize].load(Ordering::Relaxed),
            "page {p}"
        );
    }
    let checkpoints = log.checkpoints();
    assert!(
        checkpoints.windows(2).all(|w| w[0] <= w[1]),
        "checkpoints move forward"
    );
    cache.flush_all().unwrap();
    let stats = cache.stats();
    assert!(stats.evictions > 1000, "{stats:?}");
    // The disk alone now holds the model.
    let fresh = Cache::new(config(4), Arc::new(MemLog::new()));
    fresh.attach(DB, disk, PAGE).unwrap();
    for p in 1..=PAGES {
        let page = fresh.read(DB, Pgno(p)).unwrap();
        assert_eq!(
            count_of(&page),
            model[p as usize].load(Ordering::Relaxed),
            "page {p} on disk"
        );
    }
}

#[test]
fn readers_share_a_page_while_writers_wait() {
    let (log, cache, _disk) = mem_cache(8);
    create_pages(&cache, &log, 1);
    let cache = &cache;
    let a = cache.read(DB, Pgno(1)).unwrap();
    let b = cache.read(DB, Pgno(1)).unwrap();
    std::thread::scope(|s| {
        let writer = s.spawn(move || {
            let mut page = cache.write(DB, Pgno(1)).unwrap();
            page[100] = 0xAB;
        });
        std::thread::sleep(Duration::from_millis(20));
        assert!(!writer.is_finished(), "the writer waits for both readers");
        assert_eq!(a[100], b[100]);
        drop(a);
        drop(b);
        writer.join().unwrap();
    });
    assert_eq!(cache.read(DB, Pgno(1)).unwrap()[100], 0xAB);
}

/// A storage that remembers its contents as of its latest sync.
#[derive(Debug, Default)]
struct SnapshotStorage {
    inner: MemStorage,
    at_last_sync: parking_lot::Mutex<Vec<u8>>,
}

impl ese_pageio::Storage for SnapshotStorage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.inner.write_at(offset, data)
    }
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync(&self) -> std::io::Result<()> {
        *self.at_last_sync.lock() = self.inner.to_bytes();
        Ok(())
    }
}

/// A model log that pairs some checkpoints with the database as it was durable then.
struct PairingLog {
    inner: MemLog,
    disk: Arc<SnapshotStorage>,
    seen: AtomicU64,
    pairs: parking_lot::Mutex<Vec<(ese_core::Lgpos, Vec<u8>)>>,
}

impl ese_cache::WriteAheadLog for PairingLog {
    fn flushed(&self) -> ese_core::Lgpos {
        self.inner.flushed()
    }
    fn flush_to(&self, lgpos: ese_core::Lgpos) -> Result<(), ese_cache::LogError> {
        self.inner.flush_to(lgpos)
    }
    fn head(&self) -> ese_core::Lgpos {
        self.inner.head()
    }
    fn write_checkpoint(&self, lgpos: ese_core::Lgpos) -> Result<(), ese_cache::LogError> {
        let n = self.seen.fetch_add(1, Ordering::Relaxed);
        let mut pairs = self.pairs.lock();
        if n % 4 == 0 && pairs.len() < 100 {
            pairs.push((lgpos, self.disk.at_last_sync.lock().clone()));
        }
        self.inner.write_checkpoint(lgpos)
    }
}

#[test]
fn checkpoints_taken_under_load_are_enough_for_redo() {
    // Writers change pages and "log" each change as (lgpos, page, new count) while the
    // background flusher and another thread take checkpoints. For every checkpoint, the
    // database as durable at that checkpoint must hold every change logged before it, which
    // is what lets redo start there.
    let pages = 48u32;
    let disk = Arc::new(SnapshotStorage::default());
    let log = Arc::new(PairingLog {
        inner: MemLog::new(),
        disk: disk.clone(),
        seen: AtomicU64::new(0),
        pairs: parking_lot::Mutex::new(Vec::new()),
    });
    let cfg = ese_cache::CacheConfig {
        checkpoint_depth_max_bytes: 4 * 1024,
        ..config(16)
    };
    let cache = Arc::new(Cache::new(cfg, log.clone()));
    cache.attach(DB, disk.clone(), PAGE).unwrap();
    for p in 1..=pages {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        stamp(&mut page, 0);
        page.mark_dirty(log.inner.append(20));
    }
    cache.flush_all().unwrap();
    cache.checkpoint().unwrap();
    let records = parking_lot::Mutex::new(Vec::new());
    let flusher = Cache::spawn_flusher(&cache, Duration::from_millis(1));
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                cache.checkpoint().unwrap();
                std::thread::yield_now();
            }
        });
        let writers: Vec<_> = (0..2u64)
            .map(|t| {
                let (cache, log, records) = (&cache, &log, &records);
                s.spawn(move || {
                    let mut x = 0x1234_5678_9abc_def1u64 ^ (t * 0x9e37);
                    for _ in 0..20_000 {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let pgno = Pgno(1 + (x % u64::from(pages)) as u32);
                        let mut page = loop {
                            match cache.write(DB, pgno) {
                                Ok(page) => break page,
                                Err(Error::OutOfBuffers { .. }) => std::thread::yield_now(),
                                Err(e) => panic!("{e}"),
                            }
                        };
                        let count = count_of(&page) + 1;
                        stamp(&mut page, count);
                        let l = log.inner.append(40);
                        records.lock().push((l, pgno.0, count));
                        // Widen the window between logging a change and reporting it, which
                        // a checkpoint must not slip through.
                        std::thread::yield_now();
                        page.mark_dirty(l);
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    assert!(flusher.stop().is_none());
    cache.check_invariants().unwrap();
    let mut records = records.into_inner();
    records.sort_unstable();
    let pairs = log.pairs.lock();
    assert!(pairs.len() >= 5, "only {} checkpoints sampled", pairs.len());
    for (cp, image) in pairs.iter() {
        // The newest count each page was logged with before the checkpoint.
        let mut needed = vec![0u64; pages as usize + 1];
        for &(_, p, c) in &records[..records.partition_point(|(l, _, _)| l < cp)] {
            needed[p as usize] = needed[p as usize].max(c);
        }
        for p in 1..=pages {
            let at = (p as usize + 1) * PAGE;
            let page = &image[at..at + PAGE];
            ese_pageio::page::verify(page, Pgno(p)).unwrap();
            let on_disk = count_of(page);
            assert!(
                on_disk >= needed[p as usize],
                "checkpoint {cp}: page {p} holds count {on_disk} on disk, but count {} was \
                 logged before the checkpoint",
                needed[p as usize]
            );
        }
    }
}

#[test]
fn nested_pins_on_a_tiny_cache_fail_cleanly_and_never_deadlock() {
    // Four threads each hold one page exclusively while pinning a second (in ascending page
    // order, as callers must) on a cache of four frames: some pins find every frame
    // pinned and fail with OutOfBuffers, which the thread answers by letting go and retrying.
    let pages = 12u32;
    let (log, cache, _disk) = mem_cache(4);
    for p in 1..=pages {
        let mut page = cache.new_page(DB, Pgno(p)).unwrap();
        stamp(&mut page, 0);
        page.mark_dirty(log.append(10));
    }
    let model: Vec<AtomicU64> = (0..=pages).map(|_| AtomicU64::new(0)).collect();
    let out_of_buffers = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let (cache, log, model, oob) = (&cache, &log, &model, &out_of_buffers);
            s.spawn(move || {
                let mut x = 0xdead_beef_u64 + t * 0x1_0000_0001;
                let mut done = 0;
                while done < 5_000 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let a = 1 + (x % u64::from(pages)) as u32;
                    let b = 1 + ((x >> 20) % u64::from(pages)) as u32;
                    let (a, b) = (a.min(b), a.max(b));
                    if a == b {
                        continue;
                    }
                    let mut first = match cache.write(DB, Pgno(a)) {
                        Ok(page) => page,
                        Err(Error::OutOfBuffers { .. }) => {
                            oob.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        Err(e) => panic!("{e}"),
                    };
                    let mut second = match cache.write(DB, Pgno(b)) {
                        Ok(page) => page,
                        Err(Error::OutOfBuffers { .. }) => {
                            oob.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        Err(e) => panic!("{e}"),
                    };
                    for page in [&mut first, &mut second] {
                        let c = count_of(page) + 1;
                        stamp(page, c);
                        page.mark_dirty(log.append(10));
                    }
                    model[a as usize].fetch_add(1, Ordering::Relaxed);
                    model[b as usize].fetch_add(1, Ordering::Relaxed);
                    done += 1;
                }
            });
        }
    });
    cache.check_invariants().unwrap();
    for p in 1..=pages {
        let page = cache.read(DB, Pgno(p)).unwrap();
        assert_eq!(
            count_of(&page),
            model[p as usize].load(Ordering::Relaxed),
            "page {p}"
        );
    }
    println!(
        "nested pins: {} OutOfBuffers answered by retrying",
        out_of_buffers.load(Ordering::Relaxed)
    );
}
