//! The B-tree layer's one error type.
//!
//! The JET code each variant becomes is named in its doc comment; only ese-api performs that
//! conversion. Every damaged structure is reported as [`Error::Corrupt`] with the page it was
//! found on, so it maps to JET_errReadVerifyFailure (-1018).

use std::fmt;

use ese_core::Pgno;
use ese_pageio::PageError;

/// An error reported by the log behind [`crate::PageLog`].
pub type LogError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything the B-tree layer can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A page holds something a B-tree page cannot (JET_errReadVerifyFailure, -1018).
    Corrupt {
        /// The page the damage was found on.
        pgno: Pgno,
        /// What is wrong.
        what: &'static str,
    },
    /// A page could not be read or changed at the page-format level; corruption variants map
    /// to JET_errReadVerifyFailure (-1018).
    Page(PageError),
    /// The buffer cache failed (its own JET code).
    Cache(ese_cache::Error),
    /// The log refused the record describing a change, so nothing was changed
    /// (JET_errLogWriteFail, -510).
    Log(LogError),
    /// Growing the database file failed (JET_errDiskIO, -1022).
    Io(std::io::Error),
    /// The key is longer than the key limit for the page size (JET_errKeyTooBig, -408
    /// family); zero-length keys are refused too (JET_errKeyIsMade family).
    KeyTooLong {
        /// The key's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The data does not fit in a page beside its key (JET_errRecordTooBig, -1026).
    DataTooLong {
        /// The data's length.
        len: usize,
        /// The limit for this key.
        max: usize,
    },
    /// A live node with this key exists (JET_errKeyDuplicate, -1605).
    KeyDuplicate,
    /// No live node has this key (JET_errRecordNotFound, -1601).
    RecordNotFound,
    /// The version store refused the change (JET_errWriteConflict, -1102).
    WriteConflict,
    /// The database cannot grow further (JET_errDiskFull, -1808).
    DatabaseFull,
    /// A page size, extension size or object id is out of range (JET_errInvalidParameter, -1003).
    InvalidParameter(&'static str),
}

impl Error {
    /// The page a corruption was found on, if this error is one.
    pub fn corrupt_pgno(&self) -> Option<Pgno> {
        match self {
            Error::Corrupt { pgno, .. } => Some(*pgno),
            Error::Page(
                PageError::Corrupt { pgno, .. }
                | PageError::ChecksumMismatch { pgno, .. }
                | PageError::Uninitialized { pgno },
            ) => Some(*pgno),
            Error::Page(PageError::PgnoMismatch { expected, .. }) => Some(*expected),
            Error::Cache(ese_cache::Error::ReadVerifyFailure { pgno, .. }) => Some(*pgno),
            _ => None,
        }
    }
}

/// A corruption error on `pgno`.
pub(crate) fn corrupt<T>(pgno: Pgno, what: &'static str) -> Result<T> {
    Err(Error::Corrupt { pgno, what })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Corrupt { pgno, what } => write!(f, "page {pgno} is corrupt: {what}"),
            Error::Page(e) => write!(f, "page error: {e}"),
            Error::Cache(e) => write!(f, "cache error: {e}"),
            Error::Log(e) => write!(f, "log error: {e}"),
            Error::Io(e) => write!(f, "database file I/O failed: {e}"),
            Error::KeyTooLong { len, max } => {
                write!(f, "key of {len} bytes is outside 1..={max} bytes")
            }
            Error::DataTooLong { len, max } => {
                write!(f, "data of {len} bytes exceeds {max} bytes for this key")
            }
            Error::KeyDuplicate => f.write_str("a record with this key already exists"),
            Error::RecordNotFound => f.write_str("no record with this key"),
            Error::WriteConflict => f.write_str("the version store refused the change"),
            Error::DatabaseFull => f.write_str("the database cannot grow any further"),
            Error::InvalidParameter(what) => write!(f, "invalid parameter: {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Page(e) => Some(e),
            Error::Cache(e) => Some(e),
            Error::Log(e) => Some(e.as_ref()),
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<PageError> for Error {
    fn from(e: PageError) -> Self {
        Error::Page(e)
    }
}

impl From<ese_cache::Error> for Error {
    fn from(e: ese_cache::Error) -> Self {
        Error::Cache(e)
    }
}

impl From<ese_log::Error> for Error {
    fn from(e: ese_log::Error) -> Self {
        Error::Log(Box::new(e))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
