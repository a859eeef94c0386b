//! Databases: create, attach, detach, open and close (reference 03 §1–2).
//!
//! *Attaching* registers a file with the instance: its header is marked dirty (it stays so
//! until a clean detach or term), it joins the shared cache under a database id (`DbId`,
//! what the cache and the log call it), its catalog is opened, and it is recorded in the
//! instance's attachment list (`<base>.jat`) so that init after a crash knows what to
//! recover. *Opening* it gives a session the database's [`Dbid`]; as in ESE every session
//! that opens one attached file gets the same value, and a session may use it only while it
//! has the database open (`JET_errInvalidDatabaseId` otherwise). Opens nest.
//!
//! ```text
//!   create_database = create file + attach + open          attach_database
//!     header: JustCreated ─▶ DirtyShutdown (attach)           header must be clean, else -550
//!     cache.attach(DbId) ─▶ Database::create ─▶ Catalog      cache.attach ─▶ Database::open ─▶ Catalog
//!   detach_database: no session has it open ─▶ pages flushed and synced ─▶ header CleanShutdown
//! ```
//!
//! Database ids within a running instance are never reused (1, 2, 3, ...), so log records of
//! a file detached earlier can never be replayed into another file attached later under its
//! id; at most [`DATABASES_MAX`] are attached at once, as in ESE.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use ese_btree::{Database, DatabaseConfig, PageLog};
use ese_cache::Cache;
use ese_core::{DbId, JetErr};
use ese_pageio::{DbHeader, DbState, HeaderError, Signature, Storage};
use ese_table::Catalog;
use ese_txn::{TreeVersions, Trees, VersionStore};
use parking_lot::Mutex;

use crate::attach::{AttachList, Attached};
use crate::engine::{Admit, Engine, Runtime};
use crate::error::{JetError, Result, Warning, fail};
use crate::fs::FileSystem;
use crate::grbit;
use crate::handle::{Dbid, Sesid};

/// The most user databases an instance attaches at once (ESE's dbidMax 7 less the
/// temporary database).
pub const DATABASES_MAX: usize = 6;

/// How many times a detach waits a millisecond for background work to release a page.
const DETACH_TRIES: u32 = 1_000;

/// One attached database (ESE's FMP).
pub(crate) struct AttachedDb {
    /// Its handle, the same for every session.
    pub(crate) handle: Dbid,
    /// Its id in the cache and the log.
    pub(crate) db: DbId,
    /// The file's absolute path, as attached.
    pub(crate) path: PathBuf,
    pub(crate) storage: Arc<dyn Storage>,
    /// The header as last written.
    pub(crate) header: Mutex<DbHeader>,
    pub(crate) database: Arc<Database>,
    pub(crate) catalog: Arc<Catalog>,
    /// Opens by every session, not yet closed.
    pub(crate) opens: AtomicU32,
}

impl std::fmt::Debug for AttachedDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachedDb")
            .field("db", &self.db)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// What the process's database table holds for a handle.
pub(crate) struct DbEntry {
    /// The instance the database is attached to.
    pub(crate) inst: crate::handle::Instance,
    pub(crate) att: Arc<AttachedDb>,
}

/// The databases of one running instance.
#[derive(Debug, Default)]
pub(crate) struct DbSet {
    pub(crate) attached: Vec<Arc<AttachedDb>>,
    /// The next database id to hand out.
    next_db: u32,
}

/// What the database calls need of a running instance.
pub(crate) struct DbEnv {
    pub(crate) fs: Arc<dyn FileSystem>,
    pub(crate) cache: Arc<Cache>,
    pub(crate) page_log: Arc<dyn PageLog>,
    pub(crate) ver: Arc<VersionStore>,
    pub(crate) trees: Arc<Trees>,
    /// The log stream's signature as headers record it (`None` without a log).
    pub(crate) log_signature: Option<Signature>,
    /// The instance's log (`None` with JET_paramRecovery "Off").
    pub(crate) log: Option<Arc<ese_log::Log>>,
    pub(crate) list: Option<AttachList>,
    pub(crate) page_size: usize,
    pub(crate) extension_pages: u32,
    pub(crate) create_path: bool,
    /// JET_paramCommitDefault asks for lazy commits: how implicit transactions commit.
    pub(crate) commit_lazy: bool,
    /// The files init recovered and nothing has attached since: their flag-deleted nodes
    /// (whose cleanup the crash lost) are swept at their next attach.
    pub(crate) recovered: Mutex<Vec<PathBuf>>,
}

impl std::fmt::Debug for DbEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbEnv")
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

fn io_code(e: &std::io::Error, missing: JetErr) -> JetError {
    JetError::new(match e.kind() {
        std::io::ErrorKind::NotFound => missing,
        std::io::ErrorKind::PermissionDenied => JetErr::FILE_ACCESS_DENIED,
        std::io::ErrorKind::StorageFull => JetErr::DISK_FULL,
        _ => JetErr::DISK_IO,
    })
}

fn header_code(e: &HeaderError) -> JetError {
    JetError::new(match e {
        HeaderError::Io(io) => return io_code(io, JetErr::FILE_NOT_FOUND),
        HeaderError::PageSizeMismatch { .. } => JetErr::PAGE_SIZE_MISMATCH,
        HeaderError::BothCopiesBad { primary, .. } => match **primary {
            HeaderError::Io(ref io) => return io_code(io, JetErr::FILE_NOT_FOUND),
            HeaderError::BadMagic | HeaderError::Uninitialized | HeaderError::TooShort { .. } => {
                JetErr::INVALID_DATABASE
            }
            _ => JetErr::READ_VERIFY_FAILURE,
        },
        HeaderError::ChecksumMismatch { .. } => JetErr::READ_VERIFY_FAILURE,
        _ => JetErr::INVALID_DATABASE,
    })
}

/// The file name as an absolute, lexically normalised path (no file system access, so it
/// works over any [`FileSystem`]).
pub(crate) fn normalize_path(file: &str) -> Result<PathBuf> {
    if file.is_empty() || file.contains('\0') {
        return fail(JetErr::INVALID_PATH);
    }
    let abs = std::path::absolute(file).map_err(|_| JetError::new(JetErr::INVALID_PATH))?;
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The folder and file name of `path`.
fn split(path: &Path) -> Result<(&Path, &str)> {
    match (path.parent(), path.file_name().and_then(|n| n.to_str())) {
        (Some(parent), Some(name)) => Ok((parent, name)),
        _ => fail(JetErr::INVALID_PATH),
    }
}

/// A fresh signature for a new database.
fn new_signature() -> Signature {
    use std::hash::{BuildHasher, Hasher};
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(micros);
    Signature {
        random: h.finish(),
        created_unix_micros: micros,
    }
}

fn signature_bytes(s: &Signature) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&s.random.to_le_bytes());
    out[8..].copy_from_slice(&s.created_unix_micros.to_le_bytes());
    out
}

impl DbEnv {
    /// The log's current position, for headers' attach and consistent positions.
    fn head(&self) -> ese_core::Lgpos {
        self.log.as_ref().map_or(ese_core::Lgpos::MIN, |l| l.head())
    }

    /// Makes everything logged so far durable (a new database's formatting, before
    /// create returns).
    fn flush_log(&self) -> Result<()> {
        match &self.log {
            Some(l) => l.flush_all().map_err(JetError::from),
            None => Ok(()),
        }
    }

    fn list_entries(set: &DbSet) -> Vec<Attached> {
        set.attached
            .iter()
            .map(|a| Attached {
                db: a.db,
                signature: signature_bytes(&a.header.lock().signature),
                path: a.path.clone(),
            })
            .collect()
    }

    fn write_list(&self, entries: &[Attached]) -> Result<()> {
        match &self.list {
            Some(list) => list.write(entries),
            None => Ok(()),
        }
    }

    /// Writes `header` marked dirty (in use, attached at the log's head).
    fn mark_dirty(&self, storage: &dyn Storage, header: &DbHeader) -> Result<DbHeader> {
        let signature = self.log_signature.unwrap_or(Signature::NONE);
        ese_recovery::mark_dirty(storage, header, signature, self.head())
            .map_err(|e| header_code(&e))
    }

    /// Flushes `att`'s pages, syncs its file and writes its header clean.
    fn shut_clean(&self, att: &AttachedDb) -> Result<()> {
        self.trees.forget_database(att.db);
        // The background flusher or version cleanup may hold one of its pages for a moment;
        // no session can (none has the database open), so a short wait is enough.
        let mut tries = 0;
        loop {
            match self.cache.detach(att.db) {
                Err(ese_cache::Error::DatabaseInUse(_)) if tries < DETACH_TRIES => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                other => break other.map_err(JetError::from)?,
            }
        }
        let mut header = att.header.lock();
        let clean = ese_recovery::mark_clean(
            &*att.storage,
            &header,
            self.head(),
            att.database.dbtime_last(),
        )
        .map_err(|e| header_code(&e))?;
        *header = clean;
        Ok(())
    }

    /// After recovery the version store no longer knows the flag-deleted nodes a crash
    /// left (undone inserts, deletes whose cleanup never ran): at the first attach of a file
    /// init recovered, every tree of its catalog is opened and swept of them.
    fn sweep_if_recovered(
        &self,
        path: &Path,
        catalog: &Arc<Catalog>,
        core: &crate::session::SessionCore,
    ) -> Result<()> {
        {
            let mut recovered = self.recovered.lock();
            let Some(i) = recovered.iter().position(|p| p == path) else {
                return Ok(());
            };
            recovered.swap_remove(i);
        }
        let Some(txn) = core.txn.as_ref() else {
            return Ok(());
        };
        for name in catalog.table_names(txn)? {
            // Opening registers the table's trees with the registry the sweep walks.
            drop(catalog.open_table(txn, &name)?);
        }
        self.trees.sweep_deleted()?;
        Ok(())
    }

    /// Joins an opened file to the cache and opens (or, with `create`, creates) its
    /// database and catalog under a new id.
    fn join(
        &self,
        set: &mut DbSet,
        path: PathBuf,
        storage: Arc<dyn Storage>,
        header: DbHeader,
        create: bool,
    ) -> Result<(DbId, Arc<Database>, Arc<Catalog>, DbHeader)> {
        if set.attached.len() >= DATABASES_MAX {
            return fail(JetErr::TOO_MANY_ATTACHED_DATABASES);
        }
        let db = set.take_id();
        // The list names the file before its header says dirty: a crash in between leaves
        // a clean file that init leaves alone.
        let mut entries = Self::list_entries(set);
        entries.push(Attached {
            db,
            signature: signature_bytes(&header.signature),
            path,
        });
        self.write_list(&entries)?;
        let header = self.mark_dirty(&*storage, &header)?;
        self.cache
            .attach(db, storage.clone(), self.page_size)
            .map_err(JetError::from)?;
        let config = DatabaseConfig {
            extension_pages: self.extension_pages,
            dbtime_last: header.dbtime,
            ..DatabaseConfig::new(db, self.page_size)
        };
        let versions = Arc::new(TreeVersions::new(self.ver.clone(), db));
        let opened = if create {
            Database::create(
                self.cache.clone(),
                self.page_log.clone(),
                Some(storage),
                config,
            )
        } else {
            Database::open(
                self.cache.clone(),
                self.page_log.clone(),
                Some(storage),
                config,
            )
        };
        let built = opened.map_err(JetError::from).and_then(|d| {
            let database = Arc::new(d.with_versions(versions));
            let catalog = if create {
                Catalog::create(&database, &self.ver, &self.trees)
            } else {
                Catalog::open(&database, &self.ver, &self.trees)
            };
            catalog
                .map(|c| {
                    if self.commit_lazy {
                        c.set_implicit_commit_mode(ese_txn::CommitMode::Lazy);
                    }
                    (database, c)
                })
                .map_err(JetError::from)
        });
        match built {
            Ok((database, catalog)) => Ok((db, database, catalog, header)),
            Err(e) => {
                self.trees.forget_database(db);
                let _ = self.cache.detach(db);
                entries.pop();
                let _ = self.write_list(&entries);
                Err(e)
            }
        }
    }
}

impl Engine {
    fn attached_elsewhere(&self, inst: crate::handle::Instance, path: &Path) -> bool {
        self.process
            .lock()
            .databases
            .iter()
            .any(|(_, e)| e.inst != inst && e.att.path == path)
    }

    fn register_db(
        &self,
        inst: crate::handle::Instance,
        make: impl FnOnce(Dbid) -> AttachedDb,
    ) -> Result<Arc<AttachedDb>> {
        let mut p = self.process.lock();
        let mut out = None;
        let raw = p.databases.insert_with(|raw| {
            let att = Arc::new(make(Dbid::from_raw(raw)));
            out = Some(att.clone());
            DbEntry { inst, att }
        });
        match (raw, out) {
            (Some(_), Some(att)) => Ok(att),
            _ => fail(JetErr::OUT_OF_MEMORY),
        }
    }

    /// JetCreateDatabase: `create_database2(sesid, file, 0, grbit)`; `connect` is reserved
    /// and ignored, as in ESE.
    pub fn create_database(
        &self,
        sesid: Sesid,
        file: &str,
        connect: Option<&str>,
        grbit: u32,
    ) -> Result<Dbid> {
        let _ = connect;
        self.create_database2(sesid, file, 0, grbit)
    }

    /// JetCreateDatabase2: creates the database file `file` with pages of
    /// JET_paramDatabasePageSize, attaches it to the session's instance and opens it for the
    /// session, returning its handle. `max_pages` (cpgDatabaseSizeMax, 0 for no limit) is
    /// accepted and not enforced yet.
    ///
    /// Grbits: [`grbit::DB_RECOVERY_OFF`] and [`grbit::DB_SHADOWING_OFF`] are accepted (every
    /// database is logged), [`grbit::DB_OVERWRITE_EXISTING`] deletes an existing file first.
    /// Errors: `JET_errDatabaseDuplicate` (-1201) when the file exists,
    /// `JET_errDatabaseInvalidPath` (-1217) for a missing folder (unless
    /// JET_paramCreatePathIfNotExist), `JET_errInTransaction` (-1108) inside a transaction,
    /// `JET_errTooManyAttachedDatabases` (-1805), `JET_errInvalidPath` for an empty name.
    /// If creation fails once the file exists, the file is deleted.
    pub fn create_database2(
        &self,
        sesid: Sesid,
        file: &str,
        max_pages: u32,
        grbit: u32,
    ) -> Result<Dbid> {
        let _ = max_pages;
        if grbit
            & !(grbit::DB_RECOVERY_OFF | grbit::DB_SHADOWING_OFF | grbit::DB_OVERWRITE_EXISTING)
            != 0
        {
            return fail(JetErr::INVALID_GRBIT);
        }
        let path = normalize_path(file)?;
        self.enter_db(sesid, |inst, rt, core| {
            if core.level() > 0 {
                return fail(JetErr::IN_TRANSACTION);
            }
            let env = &rt.dbenv;
            let mut set = rt.dbs.lock();
            if set.attached.iter().any(|a| a.path == path) || self.attached_elsewhere(inst, &path) {
                return fail(JetErr::DATABASE_DUPLICATE);
            }
            let (folder, name) = split(&path)?;
            let dir = env
                .fs
                .open_dir(folder, env.create_path)
                .map_err(|e| io_code(&e, JetErr::DATABASE_INVALID_PATH))?;
            if dir.exists(name).map_err(|e| io_code(&e, JetErr::DISK_IO))? {
                if grbit & grbit::DB_OVERWRITE_EXISTING == 0 {
                    return fail(JetErr::DATABASE_DUPLICATE);
                }
                dir.remove(name).map_err(|e| io_code(&e, JetErr::DISK_IO))?;
            }
            let storage = dir
                .open(name, true)
                .map_err(|e| io_code(&e, JetErr::DATABASE_INVALID_PATH))?;
            let remove = |e: JetError| {
                let _ = dir.remove(name);
                e
            };
            let header = DbHeader::new(env.page_size as u32, new_signature());
            ese_pageio::write_header(&*storage, &header).map_err(|e| remove(header_code(&e)))?;
            let (db, database, catalog, header) = env
                .join(&mut set, path.clone(), storage.clone(), header, true)
                .map_err(remove)?;
            // ESE's create is durable when it returns: the formatting is in the log.
            env.flush_log()?;
            let att = self.register_db(inst, |handle| AttachedDb {
                handle,
                db,
                path,
                storage,
                header: Mutex::new(header),
                database,
                catalog,
                opens: AtomicU32::new(1),
            })?;
            set.attached.push(att.clone());
            let handle = att.handle;
            core.note_open(att);
            Ok(handle)
        })
    }

    /// JetAttachDatabase: `attach_database2(sesid, file, 0, grbit)`.
    pub fn attach_database(&self, sesid: Sesid, file: &str, grbit: u32) -> Result<Option<Warning>> {
        self.attach_database2(sesid, file, 0, grbit)
    }

    /// JetAttachDatabase2: attaches the database file `file` to the session's instance (it is
    /// then opened with [`Engine::open_database`]). Returns `JET_wrnDatabaseAttached` (1007)
    /// when the instance has it attached already. `max_pages` is accepted and not enforced
    /// yet; [`grbit::DB_READ_ONLY`] and the other attach grbits are accepted and have no
    /// effect yet.
    ///
    /// Errors: `JET_errFileNotFound` (-1811), `JET_errDatabaseDirtyShutdown` (-550) for a file
    /// not shut down cleanly (recovery at init repairs the databases an instance had
    /// attached; a file whose logs are gone stays dirty), `JET_errPageSizeMismatch` (-1213)
    /// for a page size other than JET_paramDatabasePageSize, `JET_errInvalidDatabase` (-1028)
    /// for a file that is not a database, `JET_errDatabaseSharingViolation` (-1215) when
    /// another instance has it attached, `JET_errInTransaction` (-1108),
    /// `JET_errTooManyAttachedDatabases` (-1805).
    pub fn attach_database2(
        &self,
        sesid: Sesid,
        file: &str,
        max_pages: u32,
        grbit: u32,
    ) -> Result<Option<Warning>> {
        let _ = max_pages;
        if grbit & !grbit::DB_ATTACH_ALL != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        let path = normalize_path(file)?;
        self.enter_db(sesid, |inst, rt, core| {
            if core.level() > 0 {
                return fail(JetErr::IN_TRANSACTION);
            }
            let env = &rt.dbenv;
            let mut set = rt.dbs.lock();
            if set.attached.iter().any(|a| a.path == path) {
                return Ok(Warning::new(JetErr::WRN_DATABASE_ATTACHED));
            }
            if self.attached_elsewhere(inst, &path) {
                return fail(JetErr::DATABASE_SHARING_VIOLATION);
            }
            let storage = open_file(&*env.fs, &path)?;
            let read = ese_pageio::read_header(&*storage).map_err(|e| header_code(&e))?;
            let header = read.header;
            if header.page_size as usize != env.page_size {
                return fail(JetErr::PAGE_SIZE_MISMATCH);
            }
            if header.state != DbState::CleanShutdown {
                return fail(JetErr::DATABASE_DIRTY_SHUTDOWN);
            }
            let (db, database, catalog, header) =
                env.join(&mut set, path.clone(), storage.clone(), header, false)?;
            let swept = env.sweep_if_recovered(&path, &catalog, core);
            let att = self.register_db(inst, |handle| AttachedDb {
                handle,
                db,
                path,
                storage,
                header: Mutex::new(header),
                database,
                catalog,
                opens: AtomicU32::new(0),
            })?;
            set.attached.push(att);
            swept?;
            Ok(None)
        })
    }

    /// JetDetachDatabase: `detach_database2(sesid, file, 0)`.
    pub fn detach_database(&self, sesid: Sesid, file: Option<&str>) -> Result<()> {
        self.detach_database2(sesid, file, 0)
    }

    /// JetDetachDatabase2: detaches `file` (`None` or "": every database of the instance).
    /// Its pages are flushed, its file synced and its header marked clean, so it can be
    /// moved without its logs. Errors: `JET_errDatabaseNotFound` (-1203) when not attached,
    /// `JET_errDatabaseInUse` (-1202) while a session has it open, `JET_errInTransaction`.
    /// [`grbit::FORCE_DETACH`] and [`grbit::FORCE_CLOSE_AND_DETACH`] are
    /// `JET_errForceDetachNotAllowed` (-1219), as in ESE's code.
    pub fn detach_database2(&self, sesid: Sesid, file: Option<&str>, grbit: u32) -> Result<()> {
        if grbit & !grbit::FORCE_CLOSE_AND_DETACH != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        if grbit != 0 {
            return fail(JetErr::FORCE_DETACH_NOT_ALLOWED);
        }
        let path = match file.filter(|f| !f.is_empty()) {
            Some(f) => Some(normalize_path(f)?),
            None => None,
        };
        self.enter_db(sesid, |_, rt, core| {
            if core.level() > 0 {
                return fail(JetErr::IN_TRANSACTION);
            }
            let env = &rt.dbenv;
            let mut set = rt.dbs.lock();
            let chosen: Vec<Arc<AttachedDb>> = set
                .attached
                .iter()
                .filter(|a| path.as_ref().is_none_or(|p| a.path == *p))
                .cloned()
                .collect();
            if path.is_some() && chosen.is_empty() {
                return fail(JetErr::DATABASE_NOT_FOUND);
            }
            if chosen.iter().any(|a| a.opens.load(Ordering::Acquire) > 0) {
                return fail(JetErr::DATABASE_IN_USE);
            }
            for att in chosen {
                set.attached.retain(|a| !Arc::ptr_eq(a, &att));
                self.process.lock().databases.remove(att.handle.raw());
                let shut = env.shut_clean(&att);
                env.write_list(&DbEnv::list_entries(&set))?;
                shut?;
            }
            Ok(())
        })
    }

    /// JetOpenDatabase: opens the attached database `file` for the session and returns its
    /// handle (the same for every session). Opens nest: each needs a
    /// [`Engine::close_database`]. `connect` is reserved; [`grbit::DB_READ_ONLY`] and
    /// [`grbit::DB_EXCLUSIVE`] are accepted (exclusive: `JET_errDatabaseLocked` if another
    /// session has it open). Errors: `JET_errDatabaseNotFound` (-1203) when the instance has
    /// not attached the file.
    pub fn open_database(
        &self,
        sesid: Sesid,
        file: &str,
        connect: Option<&str>,
        grbit: u32,
    ) -> Result<Dbid> {
        let _ = connect;
        if grbit & !(grbit::DB_READ_ONLY | grbit::DB_EXCLUSIVE) != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        let path = normalize_path(file)?;
        self.enter_db(sesid, |_, rt, core| {
            let set = rt.dbs.lock();
            let Some(att) = set.attached.iter().find(|a| a.path == path) else {
                return fail(JetErr::DATABASE_NOT_FOUND);
            };
            let mine = core
                .open_dbs
                .iter()
                .find(|(d, _)| Arc::ptr_eq(d, att))
                .map_or(0, |(_, n)| *n);
            if grbit & grbit::DB_EXCLUSIVE != 0 && att.opens.load(Ordering::Acquire) > mine {
                return fail(JetErr::DATABASE_LOCKED);
            }
            att.opens.fetch_add(1, Ordering::AcqRel);
            let handle = att.handle;
            core.note_open(att.clone());
            Ok(handle)
        })
    }

    /// JetCloseDatabase: closes one open of `dbid` by the session; the last close also
    /// closes the session's cursors on it. `grbit` is reserved (0). Errors:
    /// `JET_errInvalidDatabaseId` (-1010) when the session does not have it open.
    pub fn close_database(&self, sesid: Sesid, dbid: Dbid, grbit: u32) -> Result<()> {
        if grbit != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        self.enter_db_when_stopped(sesid, |_, _, core| {
            let (att, last) = core.note_close(dbid)?;
            if last {
                core.close_cursors_of(dbid);
            }
            att.opens.fetch_sub(1, Ordering::AcqRel);
            Ok(())
        })
    }

    /// The handles and paths of the databases attached to `instance` (not an ESE call;
    /// JetGetAttachInfo gives the paths).
    pub fn attached_databases(&self, instance: crate::handle::Instance) -> Result<Vec<PathBuf>> {
        let inst = self.resolve_instance(instance)?;
        let gate = inst.gate.read_recursive();
        let rt = inst.admit(&gate, Admit::Normal)?;
        Ok(rt
            .dbs
            .lock()
            .attached
            .iter()
            .map(|a| a.path.clone())
            .collect())
    }
}

/// Opens the existing file at `path` (`JET_errFileNotFound` when it or its folder is missing).
fn open_file(fs: &dyn FileSystem, path: &Path) -> Result<Arc<dyn Storage>> {
    let (folder, name) = split(path)?;
    let dir = fs
        .open_dir(folder, false)
        .map_err(|e| io_code(&e, JetErr::FILE_NOT_FOUND))?;
    if !dir
        .exists(name)
        .map_err(|e| io_code(&e, JetErr::FILE_NOT_FOUND))?
    {
        return fail(JetErr::FILE_NOT_FOUND);
    }
    dir.open(name, false)
        .map_err(|e| io_code(&e, JetErr::FILE_NOT_FOUND))
}

/// A database of the attachment list, opened: its entry, its file and its header.
pub(crate) type Listed = (Attached, Arc<dyn Storage>, DbHeader);

/// Opens the files an instance's attachment list names, for recovery at init: each with
/// its id. A missing file is `JET_errAttachedDatabaseMismatch` (-1216) unless `ignore_missing`
/// (JET_bitReplayIgnoreMissingDB), when it is left out.
pub(crate) fn open_listed(
    fs: &dyn FileSystem,
    listed: &[Attached],
    ignore_missing: bool,
) -> Result<Vec<Listed>> {
    let mut out = Vec::with_capacity(listed.len());
    for entry in listed {
        let storage = match open_file(fs, &entry.path) {
            Ok(s) => s,
            Err(e) if e == JetErr::FILE_NOT_FOUND && ignore_missing => continue,
            Err(e) if e == JetErr::FILE_NOT_FOUND => {
                return fail(JetErr::ATTACHED_DATABASE_MISMATCH);
            }
            Err(e) => return Err(e),
        };
        let header = ese_pageio::read_header(&*storage)
            .map_err(|e| header_code(&e))?
            .header;
        if signature_bytes(&header.signature) != entry.signature {
            // Another file now has the name: it is not what the log describes.
            if ignore_missing {
                continue;
            }
            return fail(JetErr::ATTACHED_DATABASE_MISMATCH);
        }
        out.push((entry.clone(), storage, header));
    }
    Ok(out)
}

/// Detaches every database of a terminating instance: cleanly (flushed, header clean, list
/// emptied), or, for a dirty term, not at all (the headers stay dirty for recovery).
pub(crate) fn shut_all(rt: &Runtime, clean: bool) -> Result<()> {
    let mut set = rt.dbs.lock();
    let mut first_err = None;
    if clean {
        for att in std::mem::take(&mut set.attached) {
            if let Err(e) = rt.dbenv.shut_clean(&att) {
                first_err.get_or_insert(e);
            }
        }
        if first_err.is_none()
            && let Err(e) = rt.dbenv.write_list(&[])
        {
            first_err = Some(e);
        }
    } else {
        set.attached.clear();
    }
    first_err.map_or(Ok(()), Err)
}

impl DbSet {
    /// An empty set whose first id is 1.
    pub(crate) fn new() -> Self {
        DbSet {
            attached: Vec::new(),
            next_db: 1,
        }
    }

    /// A database id never handed out before in this instance.
    pub(crate) fn take_id(&mut self) -> DbId {
        self.next_db = self.next_db.max(1);
        let db = DbId(self.next_db);
        self.next_db += 1;
        db
    }
}
