//! The log as the running engine should use it: one adapter that keeps every checkpoint at or
//! before the level-0 begin of every transaction that may still be undone.
//!
//! Recovery scans from the checkpoint, so it can only undo a transaction whose level-0 begin
//! lies after it. The cache computes its checkpoint from dirty pages alone; [`TrxLog`] sits
//! between the log and both the version store ([`ese_txn::CommitLog`]) and the cache
//! ([`ese_cache::WriteAheadLog`]) and remembers where each open transaction's level-0 begin was
//! logged. A checkpoint is clamped to the oldest of them. A transaction stops holding the
//! checkpoint back only once its commit or level-0 rollback record is durable: a lazy commit
//! lost in a crash makes the transaction a loser again, and it must then still be undoable.
//!
//! ```text
//!   log:  ... B1 ... op ... ckpt? ... C1(lazy, unflushed) ... | head
//!                \________ T1 holds the checkpoint at B1 until C1 is below the flush tip
//! ```
//!
//! It also implements [`ese_btree::PageLog`], so one value serves the trees, the version store
//! and the cache.

use std::collections::BTreeMap;
use std::sync::Arc;

use ese_core::{Lgpos, Trx};
use ese_log::{Log, LogRecord};
use parking_lot::Mutex;

/// A transaction whose level-0 begin is logged: where, and where its end was logged.
#[derive(Clone, Copy, Debug)]
struct Held {
    begin: Lgpos,
    end: Option<Lgpos>,
}

/// The log with the transaction-aware checkpoint rule (see the module documentation).
#[derive(Debug)]
pub struct TrxLog {
    log: Arc<Log>,
    held: Mutex<BTreeMap<Trx, Held>>,
}

impl TrxLog {
    /// Wraps `log`.
    pub fn new(log: Arc<Log>) -> Arc<TrxLog> {
        Arc::new(TrxLog {
            log,
            held: Mutex::new(BTreeMap::new()),
        })
    }

    /// The log underneath.
    pub fn log(&self) -> &Arc<Log> {
        &self.log
    }

    /// The furthest position a checkpoint may take now: the level-0 begin of the oldest
    /// transaction whose end is not durable, or `None` when no transaction holds it back.
    pub fn checkpoint_limit(&self) -> Option<Lgpos> {
        let flushed = self.log.flushed();
        let mut held = self.held.lock();
        held.retain(|_, h| h.end.is_none_or(|e| e >= flushed));
        held.values().map(|h| h.begin).min()
    }

    fn ended(&self, trx: Trx, at: Lgpos) {
        if let Some(h) = self.held.lock().get_mut(&trx) {
            h.end = Some(at);
        }
    }
}

impl ese_txn::CommitLog for TrxLog {
    fn log_begin(&self, trx: Trx, level: u8) -> Result<(), ese_txn::LogError> {
        let rec = LogRecord::BeginTransaction { trx, level };
        if level > 0 {
            // A nested begin holds nothing back: the level-0 begin before it already does.
            self.log.append(&rec)?;
            return Ok(());
        }
        // The map is updated under the lock that orders the appends of this record, so a
        // checkpoint computed concurrently either sees the begin or lies before it.
        let mut held = self.held.lock();
        let at = self.log.append(&rec)?;
        held.insert(
            trx,
            Held {
                begin: at,
                end: None,
            },
        );
        Ok(())
    }

    fn log_commit(
        &self,
        trx: Trx,
        commit_trx: Trx,
        _mode: ese_txn::CommitMode,
    ) -> Result<Lgpos, ese_txn::LogError> {
        let at = self.log.append(&LogRecord::Commit { trx, commit_trx })?;
        self.ended(trx, at);
        Ok(at)
    }

    fn wait_durable(&self, lgpos: Lgpos) -> Result<(), ese_txn::LogError> {
        Ok(self.log.commit_wait(lgpos)?)
    }

    fn log_rollback(&self, trx: Trx, level: u8) -> Result<(), ese_txn::LogError> {
        let at = self.log.append(&LogRecord::Rollback { trx, level })?;
        if level == 0 {
            self.ended(trx, at);
        }
        Ok(())
    }
}

impl ese_cache::WriteAheadLog for TrxLog {
    fn flushed(&self) -> Lgpos {
        self.log.flushed()
    }

    fn flush_to(&self, lgpos: Lgpos) -> Result<(), ese_cache::LogError> {
        self.log
            .flush_to(lgpos)
            .map_err(|e| Box::new(e) as ese_cache::LogError)
    }

    fn head(&self) -> Lgpos {
        self.log.head()
    }

    fn checkpoint_limit(&self) -> Option<Lgpos> {
        TrxLog::checkpoint_limit(self)
    }

    fn write_checkpoint(&self, lgpos: Lgpos) -> Result<(), ese_cache::LogError> {
        let at = match TrxLog::checkpoint_limit(self) {
            Some(limit) => lgpos.min(limit),
            None => lgpos,
        };
        self.log
            .write_checkpoint(at)
            .map_err(|e| Box::new(e) as ese_cache::LogError)
    }
}

impl ese_btree::PageLog for TrxLog {
    fn append(&self, rec: &LogRecord) -> Result<Lgpos, ese_btree::LogError> {
        self.log
            .append(rec)
            .map_err(|e| Box::new(e) as ese_btree::LogError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ese_log::LogConfig;
    use ese_pageio::MemDirectory;
    use ese_txn::{CommitLog, CommitMode};

    #[test]
    fn only_open_level_zero_begins_hold_the_checkpoint_back() {
        let log = Arc::new(Log::open(LogConfig::test_min(Arc::new(MemDirectory::new()))).unwrap());
        let t = TrxLog::new(log.clone());
        assert_eq!(t.checkpoint_limit(), None);
        let begin = log.head();
        t.log_begin(Trx(1), 0).unwrap();
        t.log_begin(Trx(1), 1).unwrap();
        t.log_begin(Trx(2), 0).unwrap();
        t.log_begin(Trx(2), 1).unwrap();
        assert_eq!(t.checkpoint_limit(), Some(begin));
        // A lazy commit not yet durable still holds it; once durable, the next oldest holds.
        let at = t.log_commit(Trx(1), Trx(10), CommitMode::Lazy).unwrap();
        assert_eq!(t.checkpoint_limit(), Some(begin));
        t.wait_durable(at).unwrap();
        let second = t.checkpoint_limit().expect("trx 2 is open");
        assert!(second > begin);
        t.log_rollback(Trx(2), 1).unwrap();
        assert_eq!(
            t.checkpoint_limit(),
            Some(second),
            "a nested rollback ends nothing"
        );
        t.log_rollback(Trx(2), 0).unwrap();
        log.flush_all().unwrap();
        assert_eq!(t.checkpoint_limit(), None);
    }
}
