//! The log of an instance without one.
//!
//! A logging instance gives its version store, cache and B-trees one `ese_recovery::TrxLog`
//! over its `ese_log::Log` (which keeps every checkpoint behind the level-0 begin of each
//! transaction that may still be undone). With JET_paramRecovery "Off" there is no log:
//! [`NoWal`] stands in for the cache and the B-trees (everything is "durable" at once,
//! nothing is recorded), and the version store gets `ese_txn::NoLog`.

use ese_btree::PageLog;
use ese_cache::WriteAheadLog;
use ese_core::Lgpos;
use ese_log::LogRecord;

/// The log of an instance with JET_paramRecovery "Off": nothing is recorded and everything
/// is durable at once.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NoWal;

impl WriteAheadLog for NoWal {
    fn flushed(&self) -> Lgpos {
        Lgpos::MAX
    }

    fn flush_to(&self, _lgpos: Lgpos) -> Result<(), ese_cache::LogError> {
        Ok(())
    }

    fn head(&self) -> Lgpos {
        Lgpos::MIN
    }

    fn write_checkpoint(&self, _lgpos: Lgpos) -> Result<(), ese_cache::LogError> {
        Ok(())
    }
}

impl PageLog for NoWal {
    fn append(&self, _rec: &LogRecord) -> Result<Lgpos, ese_btree::LogError> {
        Ok(Lgpos::MIN)
    }
}
