//! A [`VersionedTree`] on an in-memory database with the calls of `MemStore`, so that tests
//! written for the model run unchanged against the B-tree: changes made at level 0 are wrapped
//! in an implicit transaction (as the table layer does), values updated by escrow are 8-byte
//! little-endian integers at field 0.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ese_btree::node::{Node, NodeFlags};
use ese_btree::testing::{RecordingLog, TestDb};
use ese_btree::{BTree, Database, DatabaseConfig, LogError, PageLog};
use ese_core::{DbId, Lgpos};
use ese_log::LogRecord;
use ese_pageio::{MemStorage, PageFlags, Storage};
use ese_txn::{
    CommitMode, Error, EscrowField, EscrowWidth, LockKind, Session, TreeVersions, Trees,
    VersionStore, VersionedTree,
};

/// The escrow field the tests use: the whole 8-byte value.
pub const FIELD: EscrowField = EscrowField::new(0, EscrowWidth::I64);

/// The page log of the tree's database: the test database's log, failing on request.
pub struct FaultLog {
    inner: Arc<RecordingLog>,
    /// While set, every append fails.
    pub fail: AtomicBool,
}

impl PageLog for FaultLog {
    fn append(&self, rec: &LogRecord) -> Result<Lgpos, LogError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err("injected page log failure".into());
        }
        self.inner.append(rec)
    }
}

/// A versioned tree, its database and the registry rollback goes through.
pub struct VStore {
    /// The test database (id 1); the tree lives in `db` (id 2) on the same cache.
    pub test: TestDb,
    /// The database of the tree, wired to the version store through `TreeVersions`.
    pub db: Arc<Database>,
    /// The tree.
    pub tree: VersionedTree,
    /// The registry.
    pub trees: Arc<Trees>,
    /// The database's page log.
    pub log: Arc<FaultLog>,
}

impl VStore {
    /// An empty tree on 4 KiB pages whose database asks `ver` before every change.
    pub fn new(ver: Arc<VersionStore>) -> VStore {
        Self::with_page_size(ver, 4096)
    }

    /// An empty tree on pages of `page_size` bytes.
    pub fn with_page_size(ver: Arc<VersionStore>, page_size: usize) -> VStore {
        Self::with_options(ver, page_size, false)
    }

    /// An empty tree on pages of `page_size` bytes; `retain` keeps every log record.
    pub fn with_options(ver: Arc<VersionStore>, page_size: usize, retain: bool) -> VStore {
        let test = TestDb::new(page_size, 512, 16, retain).unwrap();
        let log = Arc::new(FaultLog {
            inner: test.log.clone(),
            fail: AtomicBool::new(false),
        });
        let id = DbId(2);
        let storage = Arc::new(MemStorage::new());
        test.cache.attach(id, storage.clone(), page_size).unwrap();
        let mut config = DatabaseConfig::new(id, page_size);
        config.extension_pages = 16;
        let db = Database::create(
            test.cache.clone(),
            log.clone(),
            Some(storage as Arc<dyn Storage>),
            config,
        )
        .unwrap()
        .with_versions(Arc::new(TreeVersions::new(ver.clone(), id)));
        let db = Arc::new(db);
        let tree = BTree::create(&db, 7, PageFlags::NONE).unwrap();
        let trees = Trees::with_version_store(ver.clone());
        trees.register(&tree);
        VStore {
            test,
            db,
            tree: VersionedTree::new(tree, ver),
            trees,
            log,
        }
    }

    /// The version store.
    pub fn ver(&self) -> &Arc<VersionStore> {
        self.tree.version_store()
    }

    fn implicit<T>(
        &self,
        s: &mut Session,
        f: impl FnOnce(&VersionedTree, &mut Session) -> Result<T, Error>,
    ) -> Result<T, Error> {
        if s.level() > 0 {
            return f(&self.tree, s);
        }
        s.begin_transaction()?;
        let result = f(&self.tree, s).and_then(|v| {
            s.commit_transaction(CommitMode::Durable)?;
            Ok(v)
        });
        if result.is_err() && s.level() > 0 {
            self.trees.rollback(s)?;
        }
        result
    }

    pub fn insert(&self, s: &mut Session, k: &[u8], v: &[u8]) -> Result<(), Error> {
        self.implicit(s, |t, s| t.insert(s, k, v))
    }

    pub fn replace(&self, s: &mut Session, k: &[u8], v: &[u8]) -> Result<(), Error> {
        self.implicit(s, |t, s| t.replace(s, k, v))
    }

    pub fn delete(&self, s: &mut Session, k: &[u8]) -> Result<(), Error> {
        self.implicit(s, |t, s| t.delete(s, k))
    }

    pub fn escrow(&self, s: &mut Session, k: &[u8], delta: i64) -> Result<i64, Error> {
        self.tree.escrow_update(s, k, FIELD, delta)
    }

    pub fn lock(&self, s: &mut Session, k: &[u8], kind: LockKind) -> Result<(), Error> {
        self.tree.get_lock(s, k, kind)
    }

    pub fn get(&self, s: &Session, k: &[u8]) -> Option<Vec<u8>> {
        self.tree.get(s, k).unwrap()
    }

    pub fn get_i64(&self, s: &Session, k: &[u8]) -> Option<i64> {
        self.get(s, k)
            .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
            .map(i64::from_le_bytes)
    }

    /// Every key in `[from, to)` with its value, through a cursor.
    pub fn scan(&self, s: &Session, from: &[u8], to: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        use std::ops::Bound;
        self.tree
            .scan(s, Bound::Included(from), Bound::Excluded(to))
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.data))
            .collect()
    }

    pub fn commit(&self, s: &mut Session, mode: CommitMode) -> Result<(), Error> {
        s.commit_transaction(mode).map(|_| ())
    }

    pub fn rollback(&self, s: &mut Session) -> Result<(), Error> {
        self.trees.rollback(s)
    }

    pub fn rollback_all(&self, s: &mut Session) -> Result<(), Error> {
        self.trees.rollback_all(s)
    }

    pub fn cleanup(&self) -> usize {
        self.trees.cleanup().unwrap()
    }

    /// Every node as stored: key -> (data, flag-deleted).
    pub fn raw(&self) -> BTreeMap<Vec<u8>, (Vec<u8>, bool)> {
        raw_nodes(self.tree.tree())
    }
}

/// Every node of `tree` as stored: key -> (data, flag-deleted).
pub fn raw_nodes(tree: &BTree) -> BTreeMap<Vec<u8>, (Vec<u8>, bool)> {
    let mut out = BTreeMap::new();
    tree.cursor()
        .first_with(&mut |n: &Node| {
            out.insert(
                n.key.clone(),
                (n.payload.clone(), n.flags.contains(NodeFlags::DELETED)),
            );
            None
        })
        .unwrap();
    out
}
