//! The redo and undo target over the real page layer: `ese-btree` databases in the shared
//! `ese-cache` cache.
//!
//! Redo hands each record to the B-tree's exact redo on the page in the cache; a page that
//! cannot be read (torn, bad checksum, never written) or whose dbtime does not match is
//! reported unverifiable, and a full page image ([`LogRecord::PageImage`]) rewrites it. Undo
//! decodes the record's undo field, opens the tree it names (by objid and root page), and
//! either puts the before-image back with [`ese_btree::BTree::undo`] or, for an escrow
//! update, adds the negated delta with [`ese_btree::BTree::undo_escrow`] (logical undo: other
//! transactions' deltas in the counter stay); both log the reversal as a compensation
//! record.
//!
//! Databases the target was not given are skipped: their records are neither redone nor
//! undone (a database already shut down cleanly keeps its pages as they are).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use ese_btree::{BTree, Database, DatabaseConfig, PageLog, UndoInfo};
use ese_cache::Cache;
use ese_core::{DbId, Dbtime, Lgpos, Pgno};
use ese_log::LogRecord;
use ese_pageio::Storage;

use crate::recover::{RedoOutcome, RedoTarget, UndoClass, UndoOutcome, UndoTarget};

/// One database the target recovers.
struct Db {
    storage: Arc<dyn Storage>,
    config: DatabaseConfig,
    /// Opened on the first undo, once redo has made the space map current.
    open: Option<Arc<Database>>,
}

/// [`RedoTarget`] and [`UndoTarget`] over B-tree databases attached to one cache.
pub struct BtreeTarget {
    cache: Arc<Cache>,
    log: Arc<dyn PageLog>,
    dbs: BTreeMap<DbId, Db>,
    /// Tree roots known to the caller, for undo records that name no root.
    roots: HashMap<(DbId, u32), Pgno>,
}

impl std::fmt::Debug for BtreeTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BtreeTarget")
            .field("dbs", &self.dbs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Whether a cache error means the page on disk cannot be trusted or was never written.
fn unreadable(e: &ese_cache::Error) -> bool {
    match e {
        ese_cache::Error::ReadVerifyFailure { .. } => true,
        ese_cache::Error::Io { source, .. } => source.kind() == std::io::ErrorKind::UnexpectedEof,
        _ => false,
    }
}

/// The JET code of a B-tree error, as recovery reports it.
pub fn btree_jet_code(e: &ese_btree::Error) -> i32 {
    use ese_btree::Error as E;
    match e {
        E::Corrupt { .. } | E::Page(_) => -1018,
        E::Cache(c) => cache_jet_code(c),
        E::Log(_) => -510,
        E::Io(_) => -1022,
        E::KeyDuplicate => -1605,
        E::RecordNotFound => -1601,
        E::WriteConflict => -1102,
        E::DatabaseFull => -1808,
        _ => -1003,
    }
}

/// The JET code of a cache error, as recovery reports it.
pub fn cache_jet_code(e: &ese_cache::Error) -> i32 {
    match e {
        ese_cache::Error::ReadVerifyFailure { .. } => -1018,
        ese_cache::Error::Io { .. } => -1022,
        _ => -1003,
    }
}

impl BtreeTarget {
    /// A target over `cache` (every database below must be attached to it), logging undo
    /// through `log`.
    pub fn new(cache: Arc<Cache>, log: Arc<dyn PageLog>) -> Self {
        BtreeTarget {
            cache,
            log,
            dbs: BTreeMap::new(),
            roots: HashMap::new(),
        }
    }

    /// Recovers database `config.db`, stored in `storage`; `config.dbtime_last` is a floor
    /// for the dbtimes undo stamps (the header's dbtime), raised by every record redone.
    pub fn add_database(&mut self, storage: Arc<dyn Storage>, config: DatabaseConfig) {
        self.dbs.insert(
            config.db,
            Db {
                storage,
                config,
                open: None,
            },
        );
    }

    /// Names the root of tree `objid` of `db`, for undo records whose before-image does not
    /// carry it.
    pub fn add_root(&mut self, db: DbId, objid: u32, root: Pgno) {
        self.roots.insert((db, objid), root);
    }

    /// The database `db` as the B-tree layer opened it for undo, if undo needed it.
    pub fn database(&self, db: DbId) -> Option<&Arc<Database>> {
        self.dbs.get(&db).and_then(|d| d.open.as_ref())
    }

    /// The dbtime the next change of `db` must exceed: the configured floor raised by every
    /// record redone, and the counter of the opened database.
    pub fn dbtime_last(&self, db: DbId) -> Option<Dbtime> {
        self.dbs.get(&db).map(|d| {
            let opened = d.open.as_ref().map_or(Dbtime::NIL, |o| o.dbtime_last());
            d.config.dbtime_last.max(opened)
        })
    }

    fn raise_dbtime(&mut self, db: DbId, dbtime: Dbtime) {
        if let Some(d) = self.dbs.get_mut(&db) {
            d.config.dbtime_last = d.config.dbtime_last.max(dbtime);
        }
    }

    /// The root of tree `objid`: the record's, or the one named for it when the record names
    /// none.
    fn root_of(&self, db: DbId, objid: u32, logged: Pgno) -> Pgno {
        if logged.is_null() {
            self.roots.get(&(db, objid)).copied().unwrap_or(logged)
        } else {
            logged
        }
    }

    fn open_database(&mut self, db: DbId) -> Result<Arc<Database>, ese_btree::Error> {
        let Some(d) = self.dbs.get_mut(&db) else {
            return Err(ese_btree::Error::InvalidParameter(
                "an undo record of a database not being recovered",
            ));
        };
        if let Some(open) = &d.open {
            return Ok(open.clone());
        }
        let opened = Arc::new(Database::open(
            self.cache.clone(),
            self.log.clone(),
            Some(d.storage.clone()),
            d.config,
        )?);
        d.open = Some(opened.clone());
        Ok(opened)
    }
}

/// Decodes the undo field of `op`.
fn decode_undo(op: &ese_log::PageOp) -> Result<UndoInfo, ese_btree::Error> {
    UndoInfo::decode(&op.undo, op.pgno)
}

impl RedoTarget for BtreeTarget {
    type Error = ese_btree::Error;

    fn redo(&mut self, lgpos: Lgpos, rec: &LogRecord) -> Result<RedoOutcome, Self::Error> {
        let Some((db, _)) = rec.page() else {
            return Ok(RedoOutcome::Skipped);
        };
        if !self.dbs.contains_key(&db) {
            return Ok(RedoOutcome::Skipped);
        }
        let stamped = match rec {
            LogRecord::PageImage(img) => img.dbtime,
            _ => rec.page_op().map_or(Dbtime::NIL, |op| op.dbtime_after),
        };
        self.raise_dbtime(db, stamped);
        match ese_btree::redo_into_cache(&self.cache, rec, lgpos) {
            Ok(ese_btree::Redo::Applied) => Ok(RedoOutcome::Applied),
            Ok(ese_btree::Redo::Skipped) => Ok(RedoOutcome::Skipped),
            Ok(ese_btree::Redo::NeedsImage) => Ok(RedoOutcome::Unverifiable),
            // A readable page at another dbtime than the record found: a write of it was lost
            // (an older image) or it is damaged; a later image repairs it.
            Err(ese_btree::Error::Corrupt { .. }) | Err(ese_btree::Error::Page(_)) => {
                Ok(RedoOutcome::Unverifiable)
            }
            Err(ese_btree::Error::Cache(e)) if unreadable(&e) => Ok(RedoOutcome::Unverifiable),
            Err(e) => Err(e),
        }
    }
}

impl UndoTarget for BtreeTarget {
    fn classify(&self, rec: &LogRecord) -> Result<UndoClass, Self::Error> {
        let Some(op) = rec.page_op() else {
            return Ok(UndoClass::None);
        };
        Ok(match decode_undo(op)? {
            UndoInfo::Structural => UndoClass::None,
            UndoInfo::BeforeImage(_) | UndoInfo::Escrow(_) => UndoClass::Change,
            UndoInfo::Compensation => UndoClass::Compensation,
        })
    }

    fn undo(&mut self, _op_lgpos: Lgpos, rec: &LogRecord) -> Result<UndoOutcome, Self::Error> {
        let Some(op) = rec.page_op() else {
            return Ok(UndoOutcome::Skipped);
        };
        if !self.dbs.contains_key(&op.db) {
            return Ok(UndoOutcome::Skipped);
        }
        match decode_undo(op)? {
            UndoInfo::BeforeImage(img) => {
                let root = self.root_of(op.db, img.objid, img.root);
                let db = self.open_database(op.db)?;
                BTree::open(&db, img.objid, root)?.undo(op.trx, &img)?;
                Ok(UndoOutcome::Applied)
            }
            UndoInfo::Escrow(delta) => {
                // Logical undo: the counter gets `-delta` added to whatever it holds now, so
                // the deltas of transactions that committed stay in it.
                let root = self.root_of(op.db, delta.objid, delta.root);
                let db = self.open_database(op.db)?;
                BTree::open(&db, delta.objid, root)?.undo_escrow(op.trx, &delta)?;
                Ok(UndoOutcome::Applied)
            }
            UndoInfo::Structural | UndoInfo::Compensation => Ok(UndoOutcome::Skipped),
        }
    }
}
