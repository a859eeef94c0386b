//! An in-memory model of the log for tests of the cache and the layers above it.
//!
//! [`MemLog`] hands out log positions with [`MemLog::append`], becomes "durable" only when the
//! cache calls [`WriteAheadLog::flush_to`], records every flush and checkpoint, and can be told
//! to fail its flushes, so a test can check the write-ahead rule from the outside.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ese_core::Lgpos;
use parking_lot::Mutex;

use crate::wal::{LogError, WriteAheadLog, lgpos_from_bytes, lgpos_to_bytes};

/// The log files of a [`MemLog`]: 64 KiB, as in ESE's small configuration.
const MEM_LOG_FILE_BYTES: u64 = 64 * 1024;

/// A model write-ahead log held in memory.
#[derive(Debug)]
pub struct MemLog {
    /// The head as a byte count into the stream.
    head_bytes: AtomicU64,
    flushed: AtomicU64,
    fail_flush: AtomicBool,
    flushes: Mutex<Vec<Lgpos>>,
    checkpoints: Mutex<Vec<Lgpos>>,
    /// What [`WriteAheadLog::checkpoint_limit`] answers.
    limit: Mutex<Option<Lgpos>>,
}

impl Default for MemLog {
    fn default() -> Self {
        Self::new()
    }
}

impl MemLog {
    /// An empty log whose head is the start of generation 1.
    pub fn new() -> Self {
        let start = lgpos_to_bytes(Lgpos::new(1, 0, 0), MEM_LOG_FILE_BYTES);
        Self {
            head_bytes: AtomicU64::new(start),
            flushed: AtomicU64::new(lgpos_from_bytes(start, MEM_LOG_FILE_BYTES).to_u64()),
            fail_flush: AtomicBool::new(false),
            flushes: Mutex::new(Vec::new()),
            checkpoints: Mutex::new(Vec::new()),
            limit: Mutex::new(None),
        }
    }

    /// The log file size the positions assume (pass it as `CacheConfig::log_file_size_bytes`).
    pub const fn log_file_size_bytes() -> u64 {
        MEM_LOG_FILE_BYTES
    }

    /// Appends a record of `bytes` bytes (at least one) and returns its position: where it
    /// starts, so a later record always has a larger position.
    pub fn append(&self, bytes: u64) -> Lgpos {
        let start = self.head_bytes.fetch_add(bytes.max(1), Ordering::SeqCst);
        lgpos_from_bytes(start, MEM_LOG_FILE_BYTES)
    }

    /// Sets what [`WriteAheadLog::checkpoint_limit`] answers, as a log holding the checkpoint
    /// behind an open transaction would (`None`: nothing holds it back).
    pub fn set_checkpoint_limit(&self, limit: Option<Lgpos>) {
        *self.limit.lock() = limit;
    }

    /// Makes later flushes fail (or succeed again).
    pub fn set_fail_flush(&self, fail: bool) {
        self.fail_flush.store(fail, Ordering::SeqCst);
    }

    /// Every position the cache asked to flush to, in order.
    pub fn flush_calls(&self) -> Vec<Lgpos> {
        self.flushes.lock().clone()
    }

    /// Every checkpoint written, in order.
    pub fn checkpoints(&self) -> Vec<Lgpos> {
        self.checkpoints.lock().clone()
    }
}

impl WriteAheadLog for MemLog {
    fn flushed(&self) -> Lgpos {
        Lgpos::from_u64(self.flushed.load(Ordering::SeqCst))
    }

    fn flush_to(&self, lgpos: Lgpos) -> Result<(), LogError> {
        self.flushes.lock().push(lgpos);
        if self.fail_flush.load(Ordering::SeqCst) {
            return Err("model log: flush failed".into());
        }
        // Like a group-commit log, one flush makes everything appended so far durable; a
        // record at `lgpos` therefore lies before the new tip.
        if lgpos < self.head() {
            self.flushed
                .fetch_max(self.head().to_u64(), Ordering::SeqCst);
        }
        Ok(())
    }

    fn head(&self) -> Lgpos {
        lgpos_from_bytes(self.head_bytes.load(Ordering::SeqCst), MEM_LOG_FILE_BYTES)
    }

    fn write_checkpoint(&self, lgpos: Lgpos) -> Result<(), LogError> {
        let at = match *self.limit.lock() {
            Some(limit) => lgpos.min(limit),
            None => lgpos,
        };
        self.checkpoints.lock().push(at);
        Ok(())
    }

    fn checkpoint_limit(&self) -> Option<Lgpos> {
        *self.limit.lock()
    }
}
