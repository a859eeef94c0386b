//! The cache's one error type.
//!
//! The JET code each variant becomes is named in its doc comment; only ese-api performs that
//! conversion.

use std::fmt;
use std::io;

use ese_core::{DbId, Lgpos, Pgno};
use ese_pageio::PageError;

use crate::wal::LogError;

/// What a storage operation was doing when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoOp {
    /// Reading a page into a frame.
    Read,
    /// Writing a page out of a frame.
    Write,
    /// Syncing a database file.
    Sync,
}

impl fmt::Display for IoOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoOp::Read => "read",
            IoOp::Write => "write",
            IoOp::Sync => "sync",
        })
    }
}

/// Everything the buffer cache can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Every frame is pinned, so no page can be brought in (JET_errOutOfBuffers, -1014).
    OutOfBuffers {
        /// The cache's size in frames.
        capacity_pages: usize,
    },
    /// A database file failed a read, write or sync (JET_errDiskIO, -1022).
    Io {
        /// The database.
        db: DbId,
        /// The page, for reads and writes.
        pgno: Option<Pgno>,
        /// The operation that failed.
        op: IoOp,
        /// The storage's error.
        source: io::Error,
    },
    /// A page read from disk failed its checksum or page-number check and was not cached
    /// (JET_errReadVerifyFailure, -1018).
    ReadVerifyFailure {
        /// The database.
        db: DbId,
        /// The page that failed.
        pgno: Pgno,
        /// What the check found.
        source: PageError,
    },
    /// The log could not be made durable up to a page's last change, so the page was not
    /// written (JET_errLogWriteFail, -510).
    LogFlush {
        /// The position the cache asked the log to flush to.
        lgpos: Lgpos,
        /// The log's error.
        source: LogError,
    },
    /// The log refused the new checkpoint (JET_errCheckpointFileNotFound family, -542).
    Checkpoint {
        /// The checkpoint the cache tried to record.
        lgpos: Lgpos,
        /// The log's error.
        source: LogError,
    },
    /// No database with this id is attached to the cache (JET_errInvalidDatabaseId, -1010).
    UnknownDatabase(DbId),
    /// A database with this id is already attached (JET_errDatabaseInUse, -1202).
    DatabaseAttached(DbId),
    /// The database still has pinned pages, so it cannot be detached (JET_errDatabaseInUse).
    DatabaseInUse(DbId),
    /// The page size is not one ESE supports (JET_errInvalidParameter, -1003).
    InvalidPageSize(usize),
    /// The page number is null or beyond pgnoMax (JET_errInvalidParameter, -1003).
    InvalidPgno(Pgno),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::OutOfBuffers { capacity_pages } => write!(
                f,
                "out of buffers: all {capacity_pages} cache frames are pinned"
            ),
            Error::Io {
                db,
                pgno: Some(pgno),
                op,
                source,
            } => write!(
                f,
                "{op} of page {pgno} of database {} failed: {source}",
                db.0
            ),
            Error::Io {
                db,
                pgno: None,
                op,
                source,
            } => write!(f, "{op} of database {} failed: {source}", db.0),
            Error::ReadVerifyFailure { db, pgno, source } => write!(
                f,
                "page {pgno} of database {} failed verification: {source}",
                db.0
            ),
            Error::LogFlush { lgpos, source } => {
                write!(f, "log flush to {lgpos} failed: {source}")
            }
            Error::Checkpoint { lgpos, source } => {
                write!(f, "writing checkpoint {lgpos} failed: {source}")
            }
            Error::UnknownDatabase(db) => write!(f, "database {} is not attached", db.0),
            Error::DatabaseAttached(db) => write!(f, "database {} is already attached", db.0),
            Error::DatabaseInUse(db) => write!(f, "database {} has pinned pages", db.0),
            Error::InvalidPageSize(n) => write!(f, "{n} bytes is not a supported page size"),
            Error::InvalidPgno(p) => write!(f, "page number {p} is out of range"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::ReadVerifyFailure { source, .. } => Some(source),
            Error::LogFlush { source, .. } | Error::Checkpoint { source, .. } => {
                Some(source.as_ref())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_page() {
        let cases = [
            (
                Error::ReadVerifyFailure {
                    db: DbId(3),
                    pgno: Pgno(42),
                    source: PageError::Uninitialized { pgno: Pgno(42) },
                },
                format!(
                    "page 42 of database 3 failed verification: {}",
                    PageError::Uninitialized { pgno: Pgno(42) }
                ),
            ),
            (
                Error::OutOfBuffers { capacity_pages: 16 },
                "out of buffers: all 16 cache frames are pinned".to_string(),
            ),
            (
                Error::Io {
                    db: DbId(1),
                    pgno: Some(Pgno(7)),
                    op: IoOp::Write,
                    source: io::Error::other("boom"),
                },
                "write of page 7 of database 1 failed: boom".to_string(),
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
    }
}
