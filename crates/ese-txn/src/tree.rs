//! [`ese_btree::VersionCheck`] over the version store: how the B-tree of one database asks
//! whether a node may change and whether a flag-deleted node may be removed.
//!
//! The B-tree names an object by its objid alone, because a tree lives in one database; the
//! version store keys versions by database and objid ([`ObjId`]), so the adapter is made per
//! database.

use std::sync::Arc;

use ese_btree::VersionCheck;
use ese_core::{DbId, Trx};

use crate::ver::{ObjId, VersionStore};

/// The version store as the B-trees of database `db` see it.
#[derive(Debug, Clone)]
pub struct TreeVersions {
    store: Arc<VersionStore>,
    db: DbId,
}

impl TreeVersions {
    /// The adapter for the trees of database `db`.
    pub fn new(store: Arc<VersionStore>, db: DbId) -> Self {
        Self { store, db }
    }
}

impl VersionCheck for TreeVersions {
    fn may_modify(&self, objid: u32, key: &[u8], trx: Trx) -> Result<(), ese_btree::Error> {
        // The probe fails only with a write conflict; it records nothing.
        self.store
            .may_modify(ObjId::new(self.db, objid), key, trx)
            .map_err(|_| ese_btree::Error::WriteConflict)
    }

    fn has_uncommitted_version(&self, objid: u32, key: &[u8]) -> bool {
        self.store.is_versioned(ObjId::new(self.db, objid), key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CommitMode, NoLog, VerConfig};

    #[test]
    fn the_tree_sees_another_sessions_uncommitted_version_as_a_conflict() {
        let store = VersionStore::new(VerConfig::test_min(), Arc::new(NoLog)).unwrap();
        let trees = TreeVersions::new(store.clone(), DbId(1));
        let other_db = TreeVersions::new(store.clone(), DbId(2));
        let mut a = store.begin_session();
        let mut b = store.begin_session();
        a.begin_transaction().unwrap();
        b.begin_transaction().unwrap();
        let b_begin = b.trx_begin().unwrap();
        a.version_replace(ObjId::new(DbId(1), 7), b"k", b"old")
            .unwrap();

        assert!(matches!(
            trees.may_modify(7, b"k", b_begin),
            Err(ese_btree::Error::WriteConflict)
        ));
        assert!(trees.has_uncommitted_version(7, b"k"));
        assert!(trees.may_modify(7, b"other", b_begin).is_ok());
        assert!(trees.may_modify(8, b"k", b_begin).is_ok(), "another tree");
        assert!(other_db.may_modify(7, b"k", b_begin).is_ok(), "another db");
        assert!(!other_db.has_uncommitted_version(7, b"k"));

        // Committed after b began: still a conflict for b, but not for a later transaction.
        a.commit_transaction(CommitMode::Lazy).unwrap();
        assert!(matches!(
            trees.may_modify(7, b"k", b_begin),
            Err(ese_btree::Error::WriteConflict)
        ));
        let mut c = store.begin_session();
        c.begin_transaction().unwrap();
        assert!(trees.may_modify(7, b"k", c.trx_begin().unwrap()).is_ok());
    }
}
