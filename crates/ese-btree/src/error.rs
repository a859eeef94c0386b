//! The B-tree layer's one error type.
//!
//! The JET code each variant becomes is named in its doc comment and returned by
//! [`Error::jet_err`]; only ese-api reports it to callers. Every damaged structure is reported as [`Error::Corrupt`] with the page it was
//! found on, so it maps to JET_errReadVerifyFailure (-1018).

use std::fmt;

use ese_core::{JetErr, Pgno};
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
    /// Growing the database file failed (JET_errDiskIO, -1022; JET_errDiskFull, -1808, when
    /// the disk is full).
    Io(std::io::Error),
    /// The key is longer than the key limit for the page size (JET_errKeyTooBig, -408); a
    /// zero-length key (`len` 0) is refused too, as no key made (JET_errKeyNotMade, -1608).
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
    /// The JET error this error becomes (ESE's code for it; see each variant's doc).
    pub fn jet_err(&self) -> JetErr {
        match self {
            Error::Corrupt { .. } | Error::Page(_) => JetErr::READ_VERIFY_FAILURE,
            Error::Cache(e) => cache_jet_err(e),
            Error::Log(_) => JetErr::LOG_WRITE_FAIL,
            Error::Io(e) if is_disk_full(e) => JetErr::DISK_FULL,
            Error::Io(_) => JetErr::DISK_IO,
            Error::KeyTooLong { len: 0, .. } => JetErr::KEY_NOT_MADE,
            Error::KeyTooLong { .. } => JetErr::KEY_TOO_BIG,
            Error::DataTooLong { .. } => JetErr::RECORD_TOO_BIG,
            Error::KeyDuplicate => JetErr::KEY_DUPLICATE,
            Error::RecordNotFound => JetErr::RECORD_NOT_FOUND,
            Error::WriteConflict => JetErr::WRITE_CONFLICT,
            Error::DatabaseFull => JetErr::DISK_FULL,
            Error::InvalidParameter(_) => JetErr::INVALID_PARAMETER,
        }
    }

    /// The raw JET error code ([`Error::jet_err`]'s value).
    pub fn jet_code(&self) -> i32 {
        self.jet_err().value()
    }

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

/// Whether an I/O error says the disk is full.
fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

/// The JET error of a cache error, as its variants' docs name them.
fn cache_jet_err(e: &ese_cache::Error) -> JetErr {
    use ese_cache::Error as C;
    match e {
        C::OutOfBuffers { .. } => JetErr::OUT_OF_BUFFERS,
        C::Io { source, .. } if is_disk_full(source) => JetErr::DISK_FULL,
        C::Io { .. } => JetErr::DISK_IO,
        C::ReadVerifyFailure { .. } => JetErr::READ_VERIFY_FAILURE,
        C::LogFlush { .. } => JetErr::LOG_WRITE_FAIL,
        C::Checkpoint { .. } => JetErr::CHECKPOINT_FILE_NOT_FOUND,
        C::UnknownDatabase(_) => JetErr::INVALID_DATABASE_ID,
        C::DatabaseAttached(_) | C::DatabaseInUse(_) => JetErr::DATABASE_IN_USE,
        C::InvalidPageSize(_) | C::InvalidPgno(_) => JetErr::INVALID_PARAMETER,
        // A variant added to the cache later: its JET code is not known here.
        _ => JetErr::INVALID_PARAMETER,
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
