//! A small real stack for tests of this crate and the API above it: a database on memory
//! storage with a cache, a recording page log, a version store over [`NoLog`] and the trees'
//! registry, with the catalog created as the database's first tree.

use std::sync::Arc;

use ese_btree::testing::RecordingLog;
use ese_btree::{Database, DatabaseConfig};
use ese_cache::{Cache, CacheConfig};
use ese_core::DbId;
use ese_pageio::{MemStorage, Storage};
use ese_txn::{CommitMode, NoLog, Session, TreeVersions, Trees, VerConfig, VersionStore};

use crate::catalog::Catalog;
use crate::error::{Error, Result};

/// One database with everything a table needs.
#[derive(Debug)]
pub struct TestStack {
    /// The database file.
    pub storage: Arc<MemStorage>,
    /// The page log.
    pub log: Arc<RecordingLog>,
    /// The cache.
    pub cache: Arc<Cache>,
    /// The database.
    pub db: Arc<Database>,
    /// The version store.
    pub ver: Arc<VersionStore>,
    /// The registry rollback and cleanup reach the trees through.
    pub trees: Arc<Trees>,
    /// The catalog.
    pub catalog: Arc<Catalog>,
}

fn storage_err(what: &str) -> impl Fn(String) -> Error + '_ {
    move |message| Error::Storage {
        code: ese_core::JetErr::DISK_IO,
        message: format!("{what}: {message}"),
    }
}

impl TestStack {
    /// The database id of the stack.
    pub const DB: DbId = DbId(1);

    /// A stack with 4 KiB pages and a 256-page cache.
    pub fn new() -> Result<TestStack> {
        Self::with_pages(4096, 256)
    }

    /// A stack with pages of `page_size` bytes and a cache of `cache_pages` frames.
    pub fn with_pages(page_size: usize, cache_pages: usize) -> Result<TestStack> {
        let storage = Arc::new(MemStorage::new());
        let log = Arc::new(RecordingLog::new(false));
        let mut cache_config = CacheConfig::with_pages(cache_pages);
        cache_config.log_file_size_bytes = RecordingLog::log_file_size_bytes();
        let cache = Arc::new(Cache::new(cache_config, log.clone()));
        cache
            .attach(Self::DB, storage.clone(), page_size)
            .map_err(|e| storage_err("attach")(e.to_string()))?;
        let ver = VersionStore::new(VerConfig::default(), Arc::new(NoLog))?;
        let mut config = DatabaseConfig::new(Self::DB, page_size);
        config.extension_pages = 64;
        let db = Database::create(
            cache.clone(),
            log.clone(),
            Some(storage.clone() as Arc<dyn Storage>),
            config,
        )?
        .with_versions(Arc::new(TreeVersions::new(ver.clone(), Self::DB)));
        let db = Arc::new(db);
        let trees = Trees::with_version_store(ver.clone());
        let catalog = Catalog::create(&db, &ver, &trees)?;
        Ok(TestStack {
            storage,
            log,
            cache,
            db,
            ver,
            trees,
            catalog,
        })
    }

    /// A new session on the stack's version store.
    pub fn session(&self) -> Session {
        self.ver.begin_session()
    }

    /// Begins a transaction (JetBeginTransaction).
    pub fn begin(&self, session: &mut Session) -> Result<()> {
        Ok(session.begin_transaction()?)
    }

    /// Commits the innermost level (JetCommitTransaction).
    pub fn commit(&self, session: &mut Session) -> Result<()> {
        session.commit_transaction(CommitMode::Durable)?;
        Ok(())
    }

    /// Rolls back the innermost level (JetRollback).
    pub fn rollback(&self, session: &mut Session) -> Result<()> {
        Ok(self.trees.rollback(session)?)
    }

    /// Opens the catalog again over the same database, as an attach after a clean detach
    /// would (the schema cache and counters start empty).
    pub fn reopen_catalog(&self) -> Result<Arc<Catalog>> {
        Catalog::open(&self.db, &self.ver, &self.trees)
    }
}
