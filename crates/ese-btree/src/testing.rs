//! Test doubles for this layer and the layers above: a log that keeps its records in memory
//! ([`RecordingLog`]) and a database on memory storage with a tiny cache ([`TestDb`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ese_cache::{Cache, CacheConfig, LogError as CacheLogError, WriteAheadLog};
use ese_cache::{lgpos_from_bytes, lgpos_to_bytes};
use ese_core::{DbId, Lgpos};
use ese_log::LogRecord;
use ese_pageio::{MemStorage, Storage};
use parking_lot::Mutex;

use crate::db::{Database, DatabaseConfig};
use crate::error::{LogError, Result};
use crate::wal::PageLog;

/// The log file size the positions of a [`RecordingLog`] assume.
const FILE_BYTES: u64 = 64 * 1024;

/// A log held in memory: positions grow with each record's frame size, flushes are instant,
/// and (when asked to) every record is kept for replay.
#[derive(Debug)]
pub struct RecordingLog {
    head_bytes: AtomicU64,
    flushed: AtomicU64,
    groups: AtomicU64,
    retain: bool,
    records: Mutex<Vec<LogRecord>>,
}

impl RecordingLog {
    /// An empty log whose head is generation 1; `retain` keeps every record.
    pub fn new(retain: bool) -> Self {
        let start = lgpos_to_bytes(Lgpos::new(1, 0, 0), FILE_BYTES);
        Self {
            head_bytes: AtomicU64::new(start),
            flushed: AtomicU64::new(start),
            groups: AtomicU64::new(0),
            retain,
            records: Mutex::new(Vec::new()),
        }
    }

    /// The log file size to give the cache's configuration.
    pub const fn log_file_size_bytes() -> u64 {
        FILE_BYTES
    }

    /// Every page or transaction record appended so far, in order, with each
    /// [`LogRecord::PageGroup`] expanded into its members (empty unless retaining).
    pub fn records(&self) -> Vec<LogRecord> {
        self.records
            .lock()
            .iter()
            .flat_map(|r| r.page_records().iter().cloned())
            .collect()
    }

    /// Every record appended so far as it was appended, groups whole (empty unless
    /// retaining).
    pub fn frames(&self) -> Vec<LogRecord> {
        self.records.lock().clone()
    }

    /// [`RecordingLog::records`] with the position each was logged at (a group's members all
    /// at the group's).
    pub fn positioned_records(&self) -> Vec<(Lgpos, LogRecord)> {
        let mut at = lgpos_to_bytes(Lgpos::new(1, 0, 0), FILE_BYTES);
        let mut out = Vec::new();
        for frame in self.records.lock().iter() {
            let lgpos = lgpos_from_bytes(at, FILE_BYTES);
            out.extend(frame.page_records().iter().map(|r| (lgpos, r.clone())));
            at += frame.frame_len() as u64;
        }
        out
    }

    /// The number of records [`RecordingLog::records`] returns now.
    pub fn record_count(&self) -> usize {
        self.records
            .lock()
            .iter()
            .map(|r| r.page_records().len())
            .sum()
    }

    /// [`LogRecord::PageGroup`] frames appended so far (counted whether or not retaining).
    pub fn groups_appended(&self) -> u64 {
        self.groups.load(Ordering::SeqCst)
    }

    /// Log bytes appended so far.
    pub fn bytes_appended(&self) -> u64 {
        self.head_bytes.load(Ordering::SeqCst) - lgpos_to_bytes(Lgpos::new(1, 0, 0), FILE_BYTES)
    }
}

impl PageLog for RecordingLog {
    fn append(&self, rec: &LogRecord) -> std::result::Result<Lgpos, LogError> {
        let start = self
            .head_bytes
            .fetch_add(rec.frame_len() as u64, Ordering::SeqCst);
        if matches!(rec, LogRecord::PageGroup(_)) {
            self.groups.fetch_add(1, Ordering::SeqCst);
        }
        if self.retain {
            self.records.lock().push(rec.clone());
        }
        Ok(lgpos_from_bytes(start, FILE_BYTES))
    }
}

impl WriteAheadLog for RecordingLog {
    fn flushed(&self) -> Lgpos {
        lgpos_from_bytes(self.flushed.load(Ordering::SeqCst), FILE_BYTES)
    }

    fn flush_to(&self, lgpos: Lgpos) -> std::result::Result<(), CacheLogError> {
        let to = lgpos_to_bytes(lgpos, FILE_BYTES).min(self.head_bytes.load(Ordering::SeqCst));
        self.flushed.fetch_max(to, Ordering::SeqCst);
        Ok(())
    }

    fn head(&self) -> Lgpos {
        lgpos_from_bytes(self.head_bytes.load(Ordering::SeqCst), FILE_BYTES)
    }

    fn write_checkpoint(&self, _lgpos: Lgpos) -> std::result::Result<(), CacheLogError> {
        Ok(())
    }
}

/// A database on memory storage, with its cache and recording log.
#[derive(Debug)]
pub struct TestDb {
    /// The database file.
    pub storage: Arc<MemStorage>,
    /// The log.
    pub log: Arc<RecordingLog>,
    /// The cache.
    pub cache: Arc<Cache>,
    /// The database.
    pub db: Arc<Database>,
}

impl TestDb {
    /// The database id test databases use.
    pub const DB: DbId = DbId(1);

    /// A new database with pages of `page_size` bytes, a cache of `cache_pages` frames and
    /// growth by `extension_pages`; `retain` keeps every log record.
    pub fn new(
        page_size: usize,
        cache_pages: usize,
        extension_pages: u32,
        retain: bool,
    ) -> Result<TestDb> {
        let mut config = DatabaseConfig::new(Self::DB, page_size);
        config.extension_pages = extension_pages;
        Self::with_config(config, cache_pages, retain)
    }

    /// A new database created with `config` (its id must be [`TestDb::DB`]).
    pub fn with_config(config: DatabaseConfig, cache_pages: usize, retain: bool) -> Result<TestDb> {
        Self::with_versions(config, cache_pages, retain, Arc::new(crate::NoVersions))
    }

    /// [`TestDb::with_config`] whose database asks `versions` before its changes and cleanups.
    pub fn with_versions(
        config: DatabaseConfig,
        cache_pages: usize,
        retain: bool,
        versions: Arc<dyn crate::VersionCheck>,
    ) -> Result<TestDb> {
        let storage = Arc::new(MemStorage::new());
        let log = Arc::new(RecordingLog::new(retain));
        let mut cache_config = CacheConfig::with_pages(cache_pages);
        cache_config.log_file_size_bytes = FILE_BYTES;
        let cache = Arc::new(Cache::new(cache_config, log.clone()));
        cache.attach(config.db, storage.clone(), config.page_size_bytes)?;
        let db = Database::create(
            cache.clone(),
            log.clone(),
            Some(storage.clone() as Arc<dyn Storage>),
            config,
        )?
        .with_versions(versions);
        Ok(TestDb {
            storage,
            log,
            cache,
            db: Arc::new(db),
        })
    }
}
