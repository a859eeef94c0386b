//! The transaction layer's one error type.
//!
//! Each variant names the JET code it stands for (reference 04, "Transactions, locking, version
//! store"); [`Error::jet_code`] returns it so that `ese-api`, the only layer that hands codes to
//! callers, converts without a second table. The values themselves come from
//! [`ese_core::errors`], where every JET code is defined once.

use std::fmt;

use ese_core::JetErr;

use crate::log::LogError;
use crate::undo::UndoError;

/// Everything a transaction or the version store can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An eighth nested begin (JET_errTransTooDeep, -1103); the session's state is unchanged.
    TransTooDeep,
    /// The node has an uncommitted version of another session, or one committed after this
    /// transaction began (JET_errWriteConflict, -1102); the transaction stays usable.
    WriteConflict,
    /// The call needs an open transaction (JET_errNotInTransaction, -1054).
    NotInTransaction,
    /// An update inside a read-only transaction (JET_errTransReadOnly, -1110).
    TransReadOnly,
    /// The version store is full even after cleanup (JET_errVersionStoreOutOfMemory, -1069);
    /// the transaction can still roll back.
    VersionStoreOutOfMemory {
        /// JET_paramMaxVerPages in force.
        max_ver_pages: u32,
    },
    /// One version is larger than a version page (JET_errVersionStoreEntryTooBig, -1065).
    VersionStoreEntryTooBig {
        /// The bytes the version needs.
        size_bytes: usize,
        /// JET_paramVerPageSize in force.
        ver_page_size_bytes: u32,
    },
    /// A configuration value is out of range (JET_errInvalidParameter, -1003).
    InvalidParameter(&'static str),
    /// The log refused a begin or commit record, or a durable commit's flush failed
    /// (JET_errLogWriteFail, -510).
    Log(LogError),
    /// Undoing a change failed; the version store refuses all further work
    /// (JET_errRollbackError, -1917).
    RollbackError(UndoError),
    /// An earlier rollback failed, so the version store no longer accepts work
    /// (JET_errInstanceUnavailable, -1090).
    InstanceUnavailable,
    /// The B-tree refused or failed a read or change of a [`crate::VersionedTree`]; its JET
    /// code is the B-tree error's (JET_errKeyDuplicate, JET_errRecordNotFound,
    /// JET_errReadVerifyFailure, ...).
    Tree(ese_btree::Error),
}

impl From<ese_btree::Error> for Error {
    fn from(e: ese_btree::Error) -> Self {
        Error::Tree(e)
    }
}

impl Error {
    /// The JET error code this error stands for (reference 04).
    pub fn jet_code(&self) -> i32 {
        self.jet_err().0
    }

    /// The JET error this error stands for, as the shared code table's type.
    pub fn jet_err(&self) -> JetErr {
        match self {
            Error::TransTooDeep => JetErr::TRANS_TOO_DEEP,
            Error::WriteConflict => JetErr::WRITE_CONFLICT,
            Error::NotInTransaction => JetErr::NOT_IN_TRANSACTION,
            Error::TransReadOnly => JetErr::TRANS_READ_ONLY,
            Error::VersionStoreOutOfMemory { .. } => JetErr::VERSION_STORE_OUT_OF_MEMORY,
            Error::VersionStoreEntryTooBig { .. } => JetErr::VERSION_STORE_ENTRY_TOO_BIG,
            Error::InvalidParameter(_) => JetErr::INVALID_PARAMETER,
            Error::Log(_) => JetErr::LOG_WRITE_FAIL,
            Error::RollbackError(_) => JetErr::ROLLBACK_ERROR,
            Error::InstanceUnavailable => JetErr::INSTANCE_UNAVAILABLE,
            Error::Tree(e) => e.jet_err(),
        }
    }

    /// Whether this is [`Error::WriteConflict`], the error a client retries on.
    pub fn is_write_conflict(&self) -> bool {
        matches!(
            self,
            Error::WriteConflict | Error::Tree(ese_btree::Error::WriteConflict)
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TransTooDeep => f.write_str("transactions are nested more than seven levels"),
            Error::WriteConflict => f.write_str(
                "write conflict: the node was changed by a transaction this one cannot see",
            ),
            Error::NotInTransaction => f.write_str("the operation needs a transaction"),
            Error::TransReadOnly => f.write_str("update inside a read-only transaction"),
            Error::VersionStoreOutOfMemory { max_ver_pages } => write!(
                f,
                "version store out of memory: all {max_ver_pages} version pages are in use"
            ),
            Error::VersionStoreEntryTooBig {
                size_bytes,
                ver_page_size_bytes,
            } => write!(
                f,
                "a version of {size_bytes} bytes does not fit a {ver_page_size_bytes}-byte version page"
            ),
            Error::InvalidParameter(what) => write!(f, "invalid parameter: {what}"),
            Error::Log(e) => write!(f, "log write failed: {e}"),
            Error::RollbackError(e) => write!(f, "rollback failed: {e}"),
            Error::InstanceUnavailable => {
                f.write_str("the version store is unavailable after a failed rollback")
            }
            Error::Tree(e) => write!(f, "B-tree: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Log(e) | Error::RollbackError(e) => Some(e.as_ref()),
            Error::Tree(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_reference() {
        // (error, JET code from reference 04, symbol)
        let cases: Vec<(Error, i32, &str)> = vec![
            (Error::TransTooDeep, -1103, "JET_errTransTooDeep"),
            (Error::WriteConflict, -1102, "JET_errWriteConflict"),
            (Error::NotInTransaction, -1054, "JET_errNotInTransaction"),
            (Error::TransReadOnly, -1110, "JET_errTransReadOnly"),
            (
                Error::VersionStoreOutOfMemory { max_ver_pages: 64 },
                -1069,
                "JET_errVersionStoreOutOfMemory",
            ),
            (
                Error::VersionStoreEntryTooBig {
                    size_bytes: 99_999,
                    ver_page_size_bytes: 1024,
                },
                -1065,
                "JET_errVersionStoreEntryTooBig",
            ),
            (
                Error::InvalidParameter("x"),
                -1003,
                "JET_errInvalidParameter",
            ),
            (Error::Log("disk".into()), -510, "JET_errLogWriteFail"),
            (
                Error::RollbackError("bad".into()),
                -1917,
                "JET_errRollbackError",
            ),
            (
                Error::InstanceUnavailable,
                -1090,
                "JET_errInstanceUnavailable",
            ),
            (
                Error::Tree(ese_btree::Error::KeyDuplicate),
                -1605,
                "JET_errKeyDuplicate",
            ),
            (
                Error::Tree(ese_btree::Error::RecordNotFound),
                -1601,
                "JET_errRecordNotFound",
            ),
            (
                Error::Tree(ese_btree::Error::Corrupt {
                    pgno: ese_core::Pgno(3),
                    what: "test",
                }),
                -1018,
                "JET_errReadVerifyFailure",
            ),
            (
                Error::Tree(ese_btree::Error::DatabaseFull),
                -1808,
                "JET_errDiskFull",
            ),
        ];
        for (e, code, symbol) in cases {
            assert_eq!(e.jet_code(), code, "{e}");
            assert_eq!(e.jet_err().symbol(), Some(symbol), "{e}");
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn display_carries_the_figures() {
        assert_eq!(
            Error::VersionStoreOutOfMemory { max_ver_pages: 3 }.to_string(),
            "version store out of memory: all 3 version pages are in use"
        );
        assert_eq!(
            Error::Log("fsync failed".into()).to_string(),
            "log write failed: fsync failed"
        );
        assert!(Error::WriteConflict.is_write_conflict());
        assert!(!Error::TransTooDeep.is_write_conflict());
    }
}
