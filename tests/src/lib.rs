//! Helpers shared by the cross-crate tests: temporary folders, engines with small logs, and
//! an instance with a session and an open database.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ese_api::{
    ColumnGrbit, ColumnSpec, ColumnType, Dbid, Engine, Instance, ParamValue, Sesid, paramid,
};

/// A folder under the system temp dir, unique to one test, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty folder whose name contains `tag`.
    pub fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "ese-tests-{tag}-{}-{n}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("test helper: temp dir");
        TempDir(path)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside the folder (not created).
    pub fn sub(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// A path inside the folder as a string, for the API's file names.
    pub fn file(&self, name: &str) -> String {
        self.sub(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An engine whose instances use 1 MiB log files and create missing folders.
pub fn engine() -> Engine {
    let e = Engine::new();
    e.set_system_parameter(None, None, paramid::LOG_FILE_SIZE, ParamValue::Int(1024))
        .expect("test helper: log size");
    e.set_system_parameter(
        None,
        None,
        paramid::CREATE_PATH_IF_NOT_EXIST,
        ParamValue::Bool(true),
    )
    .expect("test helper: create paths");
    e
}

/// Points `inst`'s log and system folders at `dir`.
pub fn place(engine: &Engine, inst: Instance, dir: &Path) {
    let s = dir.to_str().expect("test helper: utf-8 path");
    for id in [paramid::LOG_FILE_PATH, paramid::SYSTEM_PATH] {
        engine
            .set_system_parameter(Some(inst), None, id, ParamValue::Str(s))
            .expect("test helper: place");
    }
}

/// Creates instance `name` with its files in `dir` and initialises it.
pub fn running(engine: &Engine, name: &str, dir: &Path) -> Instance {
    let inst = engine
        .create_instance(Some(name))
        .expect("test helper: create");
    place(engine, inst, dir);
    engine.init(Some(inst)).expect("test helper: init");
    inst
}

/// A column spec of type `coltyp` with `grbit`.
pub fn col(coltyp: ColumnType, grbit: ColumnGrbit) -> ColumnSpec {
    ColumnSpec::new(coltyp, grbit)
}

/// A running instance with one session and a database it created and has open.
#[derive(Debug)]
pub struct Fixture {
    /// The engine (dropped last but one: before the folder).
    pub engine: Engine,
    /// The instance.
    pub inst: Instance,
    /// The session that created the database.
    pub sesid: Sesid,
    /// The database, open in `sesid`.
    pub dbid: Dbid,
    /// The database file's name.
    pub db_file: String,
    /// The folder everything lives in (`logs/` and `db.edb`).
    pub dir: TempDir,
}

impl Fixture {
    /// A fixture whose folder's name contains `tag`.
    pub fn new(tag: &str) -> Fixture {
        Self::with_engine(tag, engine())
    }

    /// A fixture on `engine` (its global parameters already set).
    pub fn with_engine(tag: &str, engine: Engine) -> Fixture {
        let dir = TempDir::new(tag);
        let inst = running(&engine, tag, &dir.sub("logs"));
        let sesid = engine
            .begin_session(inst, "", "")
            .expect("test helper: session");
        let db_file = dir.file("db.edb");
        let dbid = engine
            .create_database(sesid, &db_file, None, 0)
            .expect("test helper: create database");
        Fixture {
            engine,
            inst,
            sesid,
            dbid,
            db_file,
            dir,
        }
    }

    /// The log folder.
    pub fn logs(&self) -> PathBuf {
        self.dir.sub("logs")
    }
}
