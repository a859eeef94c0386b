//! Errors of recovery: the log's own errors, errors of the log's content, and the target's.
//!
//! Recovery never panics on a bad log. What the log reader finds (a gap in generations, a
//! corrupt record in the middle of the log, a file of another stream) comes through as
//! [`Error::Log`] with the reader's JET code; what only recovery can see (a checkpoint or a
//! database that names another log stream, a transaction record that makes no sense) has its
//! own variant; a failure of the page layer is passed through untouched as [`Error::Target`].

use std::fmt;

use ese_core::{DbId, Lgpos, Pgno};

/// Why recovery stopped. `E` is the error type of the redo/undo target.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// Reading the log or the checkpoint failed: missing generation (JET_errMissingLogFile,
    /// -528), corrupt record before the end of the log (JET_errLogFileCorrupt, -501), files of
    /// different streams (JET_errBadLogSignature, -530), and the rest of [`ese_log::Error`].
    Log(ese_log::Error),
    /// The log stream is not the one the database (or the caller) expects
    /// (JET_errBadLogSignature, -530).
    BadLogSignature {
        /// The generation whose header carries the unexpected signature.
        generation: u32,
    },
    /// The checkpoint names another log stream than the log files
    /// (JET_errBadCheckpointSignature, -532).
    BadCheckpointSignature,
    /// The checkpoint points into a generation newer than every log file present
    /// (JET_errMissingLogFile, -528: the current log is gone).
    CheckpointBeyondLog {
        /// The checkpoint's generation.
        generation: u32,
        /// The newest generation present.
        newest: u32,
    },
    /// A transaction record contradicts the records before it (JET_errInvalidLoggedOperation,
    /// -500): a level out of range, a second level-0 begin of one transaction, a rollback of a
    /// level that is not open.
    InvalidLoggedOperation {
        /// The record's position.
        lgpos: Lgpos,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A page was still unverifiable at the end of the log: torn or stale on disk with no
    /// later full image to repair it (JET_errReadVerifyFailure, -1018).
    DamagedPage {
        /// The database.
        db: DbId,
        /// The page.
        pgno: Pgno,
        /// The last record that could not be applied to it.
        lgpos: Lgpos,
    },
    /// The redo or undo target failed.
    Target(E),
}

impl<E> Error<E> {
    /// The JET error code ESE reports for this failure (the target's errors report -1003,
    /// JET_errInvalidParameter, only as a placeholder: the caller knows the target's codes).
    pub fn jet_code(&self) -> i32 {
        match self {
            Error::Log(e) => e.jet_code(),
            Error::BadLogSignature { .. } => -530,
            Error::BadCheckpointSignature => -532,
            Error::CheckpointBeyondLog { .. } => -528,
            Error::InvalidLoggedOperation { .. } => -500,
            Error::DamagedPage { .. } => -1018,
            Error::Target(_) => -1003,
        }
    }
}

impl<E> From<ese_log::Error> for Error<E> {
    fn from(e: ese_log::Error) -> Self {
        Error::Log(e)
    }
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Log(e) => write!(f, "recovery: {e}"),
            Error::BadLogSignature { generation } => write!(
                f,
                "recovery: log generation {generation:#x} belongs to another log stream"
            ),
            Error::BadCheckpointSignature => {
                f.write_str("recovery: the checkpoint belongs to another log stream")
            }
            Error::CheckpointBeyondLog { generation, newest } => write!(
                f,
                "recovery: checkpoint generation {generation:#x} is newer than the newest log \
                 file ({newest:#x})"
            ),
            Error::InvalidLoggedOperation { lgpos, reason } => {
                write!(f, "recovery: invalid logged operation at {lgpos}: {reason}")
            }
            Error::DamagedPage { db, pgno, lgpos } => write!(
                f,
                "recovery: page {pgno} of database {} is damaged and no log record after {lgpos} \
                 repairs it",
                db.0
            ),
            Error::Target(e) => write!(f, "recovery: page target failed: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Error<E> {}
