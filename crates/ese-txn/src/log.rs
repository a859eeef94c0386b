//! The transaction layer's view of the write-ahead log: begin, commit and rollback records.
//!
//! `ese-txn` is written against [`CommitLog`] rather than `ese-log` itself, so that its core is
//! tested without files and so that the log's API may change without touching visibility code.
//! The adapter over `ese-log` (which has exactly these three record kinds:
//! `BeginTransaction { trx, level }`, `Commit { trx, commit_trx }`, `Rollback { trx, level }`)
//! is [`crate::wal`].
//!
//! # When each call is made
//!
//! ```text
//!   begin (any level)          nothing: a transaction that changes nothing logs nothing
//!   first change at level n    log_begin(trx, l) for every open level l not yet logged, 0..=n-1
//!   rollback of level n        log_rollback(trx, n-1), only if that level's begin was logged
//!   nested commit              nothing (ESE logs no nested commit; a later begin at the same
//!                              level is logged again, which tells recovery the save point merged)
//!   level-0 commit             log_commit(trx, commit_trx) if the begin was logged, under the
//!                              version store's lock; then, outside it, wait_durable(lgpos) for a
//!                              durable commit that still holds changes
//! ```
//!
//! The durable wait runs outside the version store's lock so that many committers can share one
//! fsync (the log's group commit). An empty transaction, or one whose changes were all rolled
//! back, never waits for a flush (reference 02 §5: "the wait is skipped if the transaction
//! created no versions").

use ese_core::{Lgpos, Trx};

/// An error reported by the log, carried in [`crate::Error::Log`].
pub type LogError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How a level-0 commit waits for the log (JetCommitTransaction's grbit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CommitMode {
    /// Return only once the commit record is on stable storage (no grbit; the default).
    #[default]
    Durable,
    /// Return once the commit record is in the log buffer (JET_bitCommitLazyFlush); a crash
    /// before the next flush rolls the transaction back.
    Lazy,
}

/// What the transaction layer needs from the write-ahead log.
pub trait CommitLog: Send + Sync {
    /// Appends a begin record for `level` (0 is the outermost) of transaction `trx`.
    fn log_begin(&self, trx: Trx, level: u8) -> Result<(), LogError>;
    /// Appends the level-0 commit record of `trx`, stamped `commit_trx`, without waiting for it
    /// to be durable; `mode` is what the committer asked for. Returns the record's position.
    fn log_commit(&self, trx: Trx, commit_trx: Trx, mode: CommitMode) -> Result<Lgpos, LogError>;
    /// Returns once the log is durable at least up to `lgpos` (a durable commit's wait).
    fn wait_durable(&self, lgpos: Lgpos) -> Result<(), LogError>;
    /// Appends a record saying that `level` of transaction `trx` was rolled back.
    fn log_rollback(&self, trx: Trx, level: u8) -> Result<(), LogError>;
}

/// A log that records nothing and is always durable: for a version store with logging off
/// (ESE's JET_paramRecovery "off", temporary databases) and for tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLog;

impl CommitLog for NoLog {
    fn log_begin(&self, _trx: Trx, _level: u8) -> Result<(), LogError> {
        Ok(())
    }

    fn log_commit(
        &self,
        _trx: Trx,
        _commit_trx: Trx,
        _mode: CommitMode,
    ) -> Result<Lgpos, LogError> {
        Ok(Lgpos::MIN)
    }

    fn wait_durable(&self, _lgpos: Lgpos) -> Result<(), LogError> {
        Ok(())
    }

    fn log_rollback(&self, _trx: Trx, _level: u8) -> Result<(), LogError> {
        Ok(())
    }
}
