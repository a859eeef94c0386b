//! The instance's temporary database, where temporary tables live (ESE's temp database,
//! reference 14 §1).
//!
//! It is made at the first JetOpenTempTable of an instance: a database on memory storage
//! with a cache of its own and no log ([`NoWal`]), under a database id no attached file ever
//! gets. Its trees join the instance's tree registry and version store, so a temporary
//! table's changes are versioned and rolled back like any table's (ESE's default, with
//! JET_paramEnableTempTableVersioning); nothing of it reaches the log, so a crash loses it
//! and recovery never sees it. It lives until the instance terminates; the pages of a closed
//! temporary table are not reused before then (`ese-table` frees no trees).
//!
//! ```text
//!   open_temp_table ─▶ Runtime.temp (made once) ─▶ Catalog::open_temp_table ─▶ TableCursor
//!   TempDb: MemStorage ─▶ own Cache(NoWal) ─▶ Database(NoWal, TreeVersions) ─▶ Catalog
//! ```

use std::sync::Arc;

use ese_btree::{Database, DatabaseConfig};
use ese_cache::{Cache, CacheConfig};
use ese_core::DbId;
use ese_pageio::{MemStorage, Storage};
use ese_table::Catalog;
use ese_txn::TreeVersions;

use crate::engine::Runtime;
use crate::error::{JetError, Result};
use crate::instlog::NoWal;

/// Frames of the temporary database's own cache (evicted pages go to its memory storage).
const TEMP_CACHE_PAGES: usize = 512;

/// The temporary database of one instance.
pub(crate) struct TempDb {
    /// Its id in the instance's version store and tree registry.
    pub(crate) db: DbId,
    /// Keeps the cache (and with it the memory storage) alive while a cursor needs it.
    _cache: Arc<Cache>,
    /// The catalog whose database temporary tables are made in (no table is ever in it).
    pub(crate) catalog: Arc<Catalog>,
}

impl std::fmt::Debug for TempDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempDb")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl TempDb {
    /// The instance's temporary database, made on first use.
    pub(crate) fn of(rt: &Runtime) -> Result<Arc<TempDb>> {
        let mut slot = rt.temp.lock();
        if let Some(t) = slot.as_ref() {
            return Ok(t.clone());
        }
        // An id from the same counter as attached files', so none of them ever shares it.
        let db = rt.dbs.lock().take_id();
        let env = &rt.dbenv;
        let storage: Arc<dyn Storage> = Arc::new(MemStorage::new());
        let config = CacheConfig::with_pages(TEMP_CACHE_PAGES);
        let cache = Arc::new(Cache::new(config, Arc::new(NoWal)));
        cache
            .attach(db, storage.clone(), env.page_size)
            .map_err(JetError::from)?;
        let dbconfig = DatabaseConfig {
            extension_pages: env.extension_pages,
            ..DatabaseConfig::new(db, env.page_size)
        };
        let database = Database::create(cache.clone(), Arc::new(NoWal), Some(storage), dbconfig)
            .map_err(JetError::from)?
            .with_versions(Arc::new(TreeVersions::new(env.ver.clone(), db)));
        let database = Arc::new(database);
        let catalog = Catalog::create(&database, &env.ver, &env.trees).map_err(JetError::from)?;
        let temp = Arc::new(TempDb {
            db,
            _cache: cache,
            catalog,
        });
        *slot = Some(temp.clone());
        Ok(temp)
    }
}
