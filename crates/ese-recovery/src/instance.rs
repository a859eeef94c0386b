//! Full recovery of an instance's databases at init, and the header helpers of attach and term.
//!
//! [`recover_instance`] is what the API layer calls when a database header says dirty
//! shutdown. The order of its steps is what makes it crash-safe:
//!
//! ```text
//!   1 read headers; nothing dirty -> done          (no log is opened)
//!   2 open the log for append (its torn tail is cut off), one cache, the dirty databases
//!   3 recover(): redo from the checkpoint, undo of losers, each undo logged as a compensation
//!   4 Rollback { trx, 0 } per loser, log flushed  (a later recovery finds them closed)
//!   5 every dirty page written, database files synced
//!   6 each header written clean: consistent at the log head, with its dbtime
//!   7 checkpoint at the log head
//! ```
//!
//! A crash before step 6 leaves the headers dirty: the next run redoes the log, now holding
//! whatever part of steps 3 and 4 became durable, and undoes only what is still
//! uncompensated. A crash after a header is written finds that database clean, and its
//! records are skipped. After recovery the version store is empty, so nothing queues the
//! removal of flag-deleted nodes (those of undone inserts, and committed deletes whose cleanup
//! never ran): the layer that knows every tree (the API, through the catalog) sweeps them
//! with `ese_txn`'s cleanup of each tree once the instance is up.
//!
//! # Dbtime
//!
//! A database's dbtime counter must resume above every dbtime on its pages. Records before the
//! checkpoint are not read, so besides the header and the records scanned, recovery reads the
//! dbtime of every page that verifies (a simplification of ESE, which keeps it in the header).

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::Arc;

use ese_btree::DatabaseConfig;
use ese_cache::{Cache, CacheConfig};
use ese_core::{DbId, Dbtime, Lgpos, Pgno};
use ese_log::{Log, LogConfig};
use ese_pageio::{DbHeader, DbState, Directory, HeaderError, Signature, Storage};

use crate::error::Error;
use crate::recover::{RecoveryOptions, Summary, close_losers, consistent_header, needs_recovery};
use crate::target::{BtreeTarget, btree_jet_code, cache_jet_code};

/// What [`recover_instance`] recovers.
#[derive(Clone, Debug)]
pub struct RecoveryConfig {
    /// The instance's log: directory (JET_paramLogFilePath), base name, file size, buffer.
    pub log: LogConfig,
    /// The databases of the instance, each with the id its log records use. Clean ones are
    /// left alone.
    pub databases: Vec<(DbId, Arc<dyn Storage>)>,
    /// The cache recovery runs in (it is dropped afterwards).
    pub cache: CacheConfig,
    /// JET_paramDbExtensionSize, for a database undo must grow.
    pub extension_pages: u32,
    /// Tree roots by (database, objid), for undo records whose before-image does not name its
    /// root (none needed when every record carries it).
    pub roots: Vec<(DbId, u32, Pgno)>,
}

impl RecoveryConfig {
    /// Recovery of `databases` with the log `log` and the default cache and extension size.
    pub fn new(log: LogConfig, databases: Vec<(DbId, Arc<dyn Storage>)>) -> Self {
        RecoveryConfig {
            log,
            databases,
            cache: CacheConfig::with_pages(256),
            extension_pages: ese_core::limits::DB_EXTENSION_PAGES_DEFAULT,
            roots: Vec::new(),
        }
    }
}

/// What [`recover_instance`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceSummary {
    /// The driver's summary, or `None` when no database needed recovery.
    pub summary: Option<Summary>,
    /// Every database given, with its header as it is now on disk.
    pub headers: BTreeMap<DbId, DbHeader>,
    /// The databases recovery ran for.
    pub recovered: Vec<DbId>,
    /// The end of the log after recovery: where the instance's log resumes.
    pub log_head: Option<Lgpos>,
}

/// Why [`recover_instance`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum InstanceError {
    /// A database header could not be read or written (its I/O error is JET_errDiskIO,
    /// -1022; a damaged header JET_errDatabaseCorrupted, -1206).
    Header {
        /// The database.
        db: DbId,
        /// What failed.
        source: HeaderError,
    },
    /// A database needs recovery but the log directory holds no log
    /// (JET_errDatabaseDirtyShutdown, -550).
    DirtyWithoutLog {
        /// The database.
        db: DbId,
    },
    /// Opening or writing the log failed (its own code: -528 missing, -501 corrupt, ...).
    Log(ese_log::Error),
    /// The cache failed (JET_errDiskIO, -1022, or JET_errReadVerifyFailure, -1018).
    Cache(ese_cache::Error),
    /// Listing the log directory failed (JET_errDiskIO, -1022).
    Io(io::Error),
    /// The driver failed (its own code; a page target failure carries the B-tree's code).
    Recovery(Error<ese_btree::Error>),
}

impl InstanceError {
    /// The JET error code ESE reports for this failure.
    pub fn jet_code(&self) -> i32 {
        match self {
            InstanceError::Header { source, .. } => match source {
                HeaderError::Io(_) => -1022,
                _ => -1206,
            },
            InstanceError::DirtyWithoutLog { .. } => -550,
            InstanceError::Log(e) => e.jet_code(),
            InstanceError::Cache(e) => cache_jet_code(e),
            InstanceError::Io(_) => -1022,
            InstanceError::Recovery(Error::Target(e)) => btree_jet_code(e),
            InstanceError::Recovery(e) => e.jet_code(),
        }
    }
}

impl fmt::Display for InstanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceError::Header { db, source } => {
                write!(f, "recovery: header of database {}: {source}", db.0)
            }
            InstanceError::DirtyWithoutLog { db } => write!(
                f,
                "recovery: database {} was not shut down cleanly and no log is present",
                db.0
            ),
            InstanceError::Log(e) => write!(f, "recovery: {e}"),
            InstanceError::Cache(e) => write!(f, "recovery: {e}"),
            InstanceError::Io(e) => write!(f, "recovery: log directory: {e}"),
            InstanceError::Recovery(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for InstanceError {}

impl From<ese_log::Error> for InstanceError {
    fn from(e: ese_log::Error) -> Self {
        InstanceError::Log(e)
    }
}

impl From<ese_cache::Error> for InstanceError {
    fn from(e: ese_cache::Error) -> Self {
        InstanceError::Cache(e)
    }
}

impl From<Error<ese_btree::Error>> for InstanceError {
    fn from(e: Error<ese_btree::Error>) -> Self {
        InstanceError::Recovery(e)
    }
}

/// Whether `dir` holds a log stream named `base` (its current file or any generation).
pub fn log_exists(dir: &dyn Directory, base: &str) -> io::Result<bool> {
    let current = ese_log::format::current_name(base);
    Ok(dir
        .list()?
        .iter()
        .any(|n| *n == current || ese_log::format::parse_archive_name(base, n).is_some()))
}

/// The log stream's signature as a database header stores it.
pub fn log_signature(log: &Log) -> Signature {
    signature_from_bytes(log.signature())
}

fn signature_from_bytes(b: [u8; 16]) -> Signature {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&b[..8]);
    hi.copy_from_slice(&b[8..]);
    Signature {
        random: u64::from_le_bytes(lo),
        created_unix_micros: u64::from_le_bytes(hi),
    }
}

fn signature_to_bytes(s: Signature) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&s.random.to_le_bytes());
    b[8..].copy_from_slice(&s.created_unix_micros.to_le_bytes());
    b
}

/// Marks a database dirty before its first change after attach (ESE's attach): state dirty
/// shutdown, attached at `lgpos` (the log head), belonging to the log stream `log_signature`,
/// needing generations from `lgpos`'s on. Writes both header copies and returns the header.
pub fn mark_dirty(
    storage: &dyn Storage,
    header: &DbHeader,
    log_signature: Signature,
    lgpos: Lgpos,
) -> Result<DbHeader, HeaderError> {
    let h = DbHeader {
        state: DbState::DirtyShutdown,
        log_signature,
        lgpos_attach: lgpos,
        gen_min_required: lgpos.generation,
        gen_max_required: lgpos.generation,
        ..*header
    };
    ese_pageio::write_header(storage, &h)?;
    Ok(h)
}

/// Marks a database clean at a clean detach or term, once every page is flushed and synced:
/// consistent at `lgpos`, with dbtime `dbtime` (the database's last). Writes both copies.
pub fn mark_clean(
    storage: &dyn Storage,
    header: &DbHeader,
    lgpos: Lgpos,
    dbtime: Dbtime,
) -> Result<DbHeader, HeaderError> {
    let h = DbHeader {
        state: DbState::CleanShutdown,
        dbtime: header.dbtime.max(dbtime),
        lgpos_consistent: lgpos,
        gen_min_required: 0,
        gen_max_required: 0,
        ..*header
    };
    ese_pageio::write_header(storage, &h)?;
    Ok(h)
}

/// The largest dbtime on any page of the file that verifies.
fn max_page_dbtime(storage: &dyn Storage, page_size: usize) -> io::Result<Dbtime> {
    let len = storage.len()?;
    let mut buf = vec![0u8; page_size];
    let mut max = Dbtime::NIL;
    let pages = (len / page_size as u64).saturating_sub(1);
    // Bounded by the file's length.
    for p in 1..pages {
        let Ok(pgno) = u32::try_from(p).map(Pgno) else {
            break;
        };
        storage.read_at(ese_pageio::page_offset(pgno, page_size), &mut buf)?;
        if ese_pageio::verify(&buf, pgno).is_ok() {
            max = max.max(ese_btree::redo::page_dbtime(&buf));
        }
    }
    Ok(max)
}

/// Runs full recovery of `config.databases` (see the module documentation for the steps and
/// why a crash at any point of it is safe). Databases already clean are left alone.
pub fn recover_instance(config: &RecoveryConfig) -> Result<InstanceSummary, InstanceError> {
    let mut headers = BTreeMap::new();
    let mut dirty: Vec<(DbId, Arc<dyn Storage>, DbHeader)> = Vec::new();
    for (db, storage) in &config.databases {
        let h = ese_pageio::read_header(&**storage)
            .map_err(|source| InstanceError::Header { db: *db, source })?
            .header;
        headers.insert(*db, h);
        if needs_recovery(&h) {
            dirty.push((*db, storage.clone(), h));
        }
    }
    let Some((first_dirty, _, first_header)) = dirty.first() else {
        return Ok(InstanceSummary {
            summary: None,
            headers,
            recovered: Vec::new(),
            log_head: None,
        });
    };
    let dir = config.log.directory.clone();
    let base = config.log.base_name.clone();
    let present = log_exists(&*dir, &base).map_err(InstanceError::Io)?;
    if !present {
        return Err(InstanceError::DirtyWithoutLog { db: *first_dirty });
    }
    let expected = (first_header.log_signature != Signature::NONE)
        .then(|| signature_to_bytes(first_header.log_signature));

    let log = Arc::new(Log::open(config.log.clone())?);
    let cache = Arc::new(Cache::new(config.cache.clone(), log.clone()));
    let mut target = BtreeTarget::new(cache.clone(), log.clone());
    for (db, storage, h) in &dirty {
        let page_size = h.page_size as usize;
        cache.attach(*db, storage.clone(), page_size)?;
        let on_pages =
            max_page_dbtime(&**storage, page_size).map_err(|e| InstanceError::Header {
                db: *db,
                source: HeaderError::Io(e),
            })?;
        target.add_database(
            storage.clone(),
            DatabaseConfig {
                extension_pages: config.extension_pages.max(1),
                dbtime_last: h.dbtime.max(on_pages),
                ..DatabaseConfig::new(*db, page_size)
            },
        );
    }
    for &(db, objid, root) in &config.roots {
        target.add_root(db, objid, root);
    }
    let opts = RecoveryOptions {
        directory: dir,
        base_name: base,
        expected_log_signature: expected,
    };
    let summary = crate::recover::recover(&opts, &mut target)?;
    close_losers(&log, &summary)?;
    cache.flush_all()?;
    let head = log.head();
    let mut recovered = Vec::new();
    for (db, storage, h) in &dirty {
        let dbtime = target.dbtime_last(*db).unwrap_or(h.dbtime);
        let clean = consistent_header(h, *db, &summary, head, dbtime);
        ese_pageio::write_header(&**storage, &clean)
            .map_err(|source| InstanceError::Header { db: *db, source })?;
        headers.insert(*db, clean);
        recovered.push(*db);
    }
    cache.checkpoint()?;
    drop(target);
    for (db, _, _) in &dirty {
        cache.detach(*db)?;
    }
    Ok(InstanceSummary {
        summary: Some(summary),
        headers,
        recovered,
        log_head: Some(head),
    })
}
