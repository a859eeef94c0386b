//! The version store seen from below: the trait through which the B-tree asks the
//! transaction layer whether a change is allowed and whether a deleted node may be removed.
//!
//! ese-txn implements [`VersionCheck`]; this crate never learns what a transaction is. Every
//! node change asks [`VersionCheck::may_modify`] before anything is logged, and cleanup asks
//! [`VersionCheck::has_uncommitted_version`] before it removes a flag-deleted node.

use ese_core::Trx;

use crate::error::Error;

/// What the B-tree asks of the version store (implemented by ese-txn).
pub trait VersionCheck: Send + Sync {
    /// Whether `trx` may change the node with `key` in object `objid` (ESE's write-conflict
    /// check); an `Err` (usually [`Error::WriteConflict`]) stops the change before it is
    /// logged.
    fn may_modify(&self, objid: u32, key: &[u8], trx: Trx) -> Result<(), Error>;
    /// Whether some transaction may still need the node with `key` as it was: a flag-deleted
    /// node with such a version is not removed by cleanup.
    fn has_uncommitted_version(&self, objid: u32, key: &[u8]) -> bool;
}

/// A version store that allows everything and keeps nothing: for tests and for databases
/// without transactions (such as the temporary database).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoVersions;

impl VersionCheck for NoVersions {
    fn may_modify(&self, _objid: u32, _key: &[u8], _trx: Trx) -> Result<(), Error> {
        Ok(())
    }

    fn has_uncommitted_version(&self, _objid: u32, _key: &[u8]) -> bool {
        false
    }
}
