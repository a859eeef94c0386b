//! Helpers shared by the cache's integration tests.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use ese_cache::testing::MemLog;
use ese_cache::{Cache, CacheConfig, WriteAheadLog};
use ese_core::{DbId, Lgpos, Pgno};
use ese_pageio::{FileOp, InterposedStorage, Interposer, MemStorage, Storage};
use parking_lot::Mutex;

pub const DB: DbId = DbId(1);
pub const PAGE: usize = 4096;
/// Bytes 0..8 hold the checksum and page number the cache stamps on write; tests compare the
/// rest.
pub const BODY: std::ops::Range<usize> = 8..PAGE;

pub fn config(pages: usize) -> CacheConfig {
    CacheConfig {
        log_file_size_bytes: MemLog::log_file_size_bytes(),
        ..CacheConfig::with_pages(pages)
    }
}

/// A cache of `pages` frames over a fresh model log, with database [`DB`] on `storage`.
pub fn cache_over(pages: usize, storage: Arc<dyn Storage>) -> (Arc<MemLog>, Cache) {
    let log = Arc::new(MemLog::new());
    let cache = Cache::new(config(pages), log.clone());
    cache.attach(DB, storage, PAGE).expect("attach");
    (log, cache)
}

pub fn mem_cache(pages: usize) -> (Arc<MemLog>, Cache, Arc<MemStorage>) {
    let disk = Arc::new(MemStorage::new());
    let (log, cache) = cache_over(pages, disk.clone());
    (log, cache, disk)
}

/// Fills the body of a page with a pattern derived from `seed`.
pub fn fill(page: &mut [u8], seed: u64) {
    for (i, b) in page[BODY].iter_mut().enumerate() {
        *b = (seed.wrapping_mul(31).wrapping_add(i as u64 / 7) % 251) as u8;
    }
}

pub fn image(seed: u64) -> Vec<u8> {
    let mut p = vec![0u8; PAGE];
    fill(&mut p, seed);
    p[BODY].to_vec()
}

/// Creates pages 1..=n with seeds equal to their numbers, logged, and writes them all out.
pub fn create_pages(cache: &Cache, log: &MemLog, n: u32) {
    for p in 1..=n {
        let mut page = cache.new_page(DB, Pgno(p)).expect("new page");
        fill(&mut page, u64::from(p));
        page.mark_dirty(log.append(100));
    }
    cache.flush_all().expect("flush");
}

/// Checks the write-ahead rule on every page write to [`WalCheckingStorage::storage`]: the log
/// must be durable past the last change the test recorded for that page.
#[derive(Debug)]
pub struct WalCheckingStorage {
    pub inner: Arc<MemStorage>,
    pub log: Arc<MemLog>,
    /// Last change per page offset, as the test reports it.
    pub last_change: Mutex<HashMap<u64, Lgpos>>,
    /// Every page write: (offset, flushed tip at the time).
    pub writes: Mutex<Vec<(u64, Lgpos)>>,
    pub violations: Mutex<Vec<String>>,
}

impl WalCheckingStorage {
    pub fn new(log: Arc<MemLog>) -> Self {
        Self {
            inner: Arc::new(MemStorage::new()),
            log,
            last_change: Mutex::new(HashMap::new()),
            writes: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
        }
    }

    /// The checked storage to attach to the cache.
    pub fn storage(self: &Arc<Self>) -> Arc<dyn Storage> {
        Arc::new(InterposedStorage::new(
            self.inner.clone(),
            "db",
            self.clone(),
        ))
    }

    pub fn offset(pgno: Pgno) -> u64 {
        (u64::from(pgno.0) + 1) * PAGE as u64
    }

    pub fn changed(&self, pgno: Pgno, lgpos: Lgpos) {
        self.last_change.lock().insert(Self::offset(pgno), lgpos);
    }
}

impl Interposer for WalCheckingStorage {
    fn before_file(&self, _name: &str, op: FileOp<'_>) -> io::Result<()> {
        if let FileOp::Write { offset, .. } = op {
            let flushed = self.log.flushed();
            if let Some(&last) = self.last_change.lock().get(&offset) {
                if flushed <= last {
                    self.violations.lock().push(format!(
                        "page at {offset} written with flushed {flushed} <= last change {last}"
                    ));
                }
            }
            self.writes.lock().push((offset, flushed));
        }
        Ok(())
    }
}
