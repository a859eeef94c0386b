//! Helpers shared by the integration tests: temporary folders, engines with small log files,
//! and a file system whose syncs can be made to fail or to block.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ese_api::{Engine, FileSystem, Instance, ParamValue, paramid};
use ese_pageio::{DirOp, Directory, FileOp, InterposedDirectory, Interposer, MemDirectory};
use parking_lot::{Condvar, Mutex};

/// A folder under the system temp dir, unique to this test, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "ese-api-{tag}-{}-{n}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("test helper");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A sub-folder path (not created).
    pub fn sub(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An engine whose instances use 64 KiB log files and create missing folders.
pub fn engine() -> Engine {
    small_logs(Engine::new())
}

/// Sets the global defaults the tests rely on.
pub fn small_logs(engine: Engine) -> Engine {
    engine
        .set_system_parameter(None, None, paramid::LOG_FILE_SIZE, ParamValue::Int(64))
        .expect("test helper");
    engine
        .set_system_parameter(
            None,
            None,
            paramid::CREATE_PATH_IF_NOT_EXIST,
            ParamValue::Bool(true),
        )
        .expect("test helper");
    engine
}

/// Points `inst`'s log and system folders at `dir`.
pub fn place(engine: &Engine, inst: Instance, dir: &Path) {
    let s = dir.to_str().expect("test helper");
    for id in [paramid::LOG_FILE_PATH, paramid::SYSTEM_PATH] {
        engine
            .set_system_parameter(Some(inst), None, id, ParamValue::Str(s))
            .expect("test helper");
    }
}

/// Creates `name`, places it in `dir` and initialises it.
pub fn running(engine: &Engine, name: &str, dir: &Path) -> Instance {
    let inst = engine.create_instance(Some(name)).expect("test helper");
    place(engine, inst, dir);
    engine.init(Some(inst)).expect("test helper");
    inst
}

/// What [`TestFs`] storages do on sync.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SyncMode {
    Normal,
    /// Every sync fails (a dying disk).
    Fail,
    /// Every sync fails with a full disk.
    Full,
    /// Every sync waits until the mode changes (a slow disk), after counting itself.
    Block,
}

#[derive(Debug)]
pub struct Ctl {
    mode: Mutex<SyncMode>,
    changed: Condvar,
    blocked: AtomicU64,
}

impl Ctl {
    pub fn set(&self, mode: SyncMode) {
        *self.mode.lock() = mode;
        self.changed.notify_all();
    }

    /// How many syncs have blocked so far.
    pub fn blocked(&self) -> u64 {
        self.blocked.load(Ordering::SeqCst)
    }
}

/// An in-memory file system whose syncs obey a shared [`SyncMode`].
#[derive(Debug)]
pub struct TestFs {
    pub ctl: Arc<Ctl>,
    dirs: Mutex<HashMap<PathBuf, Arc<MemDirectory>>>,
}

impl TestFs {
    pub fn new() -> Arc<Self> {
        Arc::new(TestFs {
            ctl: Arc::new(Ctl {
                mode: Mutex::new(SyncMode::Normal),
                changed: Condvar::new(),
                blocked: AtomicU64::new(0),
            }),
            dirs: Mutex::new(HashMap::new()),
        })
    }

    /// The memory folder behind `path`.
    pub fn dir(&self, path: &Path) -> Option<Arc<MemDirectory>> {
        self.dirs.lock().get(path).cloned()
    }
}

impl FileSystem for TestFs {
    fn open_dir(&self, path: &Path, _create: bool) -> io::Result<Arc<dyn Directory>> {
        let inner = self
            .dirs
            .lock()
            .entry(path.to_path_buf())
            .or_insert_with(|| Arc::new(MemDirectory::new()))
            .clone();
        Ok(Arc::new(InterposedDirectory::new(inner, self.ctl.clone())))
    }
}

fn gate(ctl: &Ctl) -> io::Result<()> {
    let mut mode = ctl.mode.lock();
    if *mode == SyncMode::Block {
        ctl.blocked.fetch_add(1, Ordering::SeqCst);
        while *mode == SyncMode::Block {
            ctl.changed.wait(&mut mode);
        }
    }
    match *mode {
        SyncMode::Fail => Err(io::Error::other("injected sync failure")),
        SyncMode::Full => Err(io::Error::new(
            io::ErrorKind::StorageFull,
            "injected full disk",
        )),
        _ => Ok(()),
    }
}

/// Every sync, of a file or of a folder, obeys the mode.
impl Interposer for Ctl {
    fn before_file(&self, _name: &str, op: FileOp<'_>) -> io::Result<()> {
        match op {
            FileOp::Sync => gate(self),
            _ => Ok(()),
        }
    }

    fn before_dir(&self, op: DirOp<'_>) -> io::Result<()> {
        match op {
            DirOp::Sync => gate(self),
            _ => Ok(()),
        }
    }
}

/// Creates a database holding table "t" (a Binary key column "k", the unique primary key)
/// for session `s` in `dir`, and returns the database's file name. The database stays
/// attached; `s` keeps it open.
pub fn with_table(engine: &Engine, s: ese_api::Sesid, dir: &Path) -> String {
    let file = dir.join("t.edb").to_string_lossy().into_owned();
    let dbid = engine
        .create_database(s, &file, None, 0)
        .expect("test helper");
    let create = ese_api::TableCreate::new("t")
        .column(
            "k",
            ese_api::ColumnSpec::new(ese_api::ColumnType::Binary, ese_api::ColumnGrbit::NOT_NULL),
        )
        .index(ese_api::IndexCreate::new(
            "pk",
            b"+k\0\0",
            ese_api::IndexGrbit(ese_api::IndexGrbit::PRIMARY.0 | ese_api::IndexGrbit::UNIQUE.0),
        ));
    let (t, _) = engine
        .create_table_column_index(s, dbid, &create)
        .expect("test helper");
    engine.close_table(s, t).expect("test helper");
    file
}

/// Inserts a record with key `key` into table "t" of `file` through session `s`, in the
/// session's transaction (or an implicit one at level 0).
pub fn insert_key(
    engine: &Engine,
    s: ese_api::Sesid,
    file: &str,
    key: &[u8],
) -> ese_api::Result<()> {
    let dbid = engine.open_database(s, file, None, 0)?;
    let t = engine.open_table(s, dbid, "t", None, 0)?;
    let k = engine.get_table_column_info(s, t, Some("k"))?[0].id;
    let done = engine
        .prepare_update(s, t, ese_api::table::JET_PREP_INSERT)
        .and_then(|()| engine.set_column(s, t, k, key, 0, 0))
        .and_then(|_| engine.update(s, t));
    engine.close_table(s, t)?;
    engine.close_database(s, dbid, 0)?;
    done.map(drop)
}

/// Whether session `s` sees a record with key `key` in table "t" of `file`.
pub fn sees_key(engine: &Engine, s: ese_api::Sesid, file: &str, key: &[u8]) -> bool {
    let dbid = engine.open_database(s, file, None, 0).expect("test helper");
    let t = engine
        .open_table(s, dbid, "t", None, 0)
        .expect("test helper");
    engine
        .make_key(s, t, key, ese_api::table::JET_BIT_NEW_KEY)
        .expect("test helper");
    let found = engine.seek(s, t, ese_api::table::JET_BIT_SEEK_EQ).is_ok();
    engine.close_table(s, t).expect("test helper");
    engine.close_database(s, dbid, 0).expect("test helper");
    found
}
