//! The B-tree's view of the log: one call, append a record and get its position.
//!
//! [`PageLog`] is implemented for [`ese_log::Log`] and for the in-memory
//! [`crate::testing::RecordingLog`], which keeps every record so tests can replay them.

use ese_core::Lgpos;
use ese_log::LogRecord;

use crate::error::LogError;

/// What the B-tree needs from the write-ahead log.
pub trait PageLog: Send + Sync {
    /// Appends `rec` and returns its position (ESE's ErrLGLogRec); a failure means the change
    /// must not be made.
    fn append(&self, rec: &LogRecord) -> Result<Lgpos, LogError>;
}

impl PageLog for ese_log::Log {
    fn append(&self, rec: &LogRecord) -> Result<Lgpos, LogError> {
        ese_log::Log::append(self, rec).map_err(|e| Box::new(e) as LogError)
    }
}
