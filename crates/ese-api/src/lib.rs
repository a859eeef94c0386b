//! The JET-shaped API: instances (INST), sessions (PIB, with `dup_session`), databases, tables
//! and cursors (FUCB), with esent.dll's calls, flags and error codes in snake case.
//!
//! This crate owns instance life cycle and system parameters (validated against
//! `ese_core`'s parameter table), session handles and their contexts, database attach and
//! detach, and the translation of every lower layer's error into a JET error code. It is the
//! only crate that turns errors into JET codes.
//!
//! It must not reach below `ese-table` and `ese-txn` into pages or log records directly; the
//! one exception is instance start-up and shutdown, which open, flush and checkpoint the
//! instance's `ese_log::Log` because no layer between owns it.
//!
//! # What exists now
//!
//! * [`Engine`]: the process (ESE's global state, made an explicit value so tests run in
//!   parallel; see [`engine`] for how a C ABI holds one), its [`RunMode`], instances with
//!   [`Engine::create_instance`] / [`Engine::init`] / [`Engine::term2`], and system
//!   parameters, global and per instance ([`Engine::set_system_parameter`]).
//! * An initialised instance owns its log (`ese-log`, behind `ese_recovery::TrxLog`), its
//!   buffer cache (`ese-cache`, JET_paramCacheSizeMax, with its checkpoint flusher), its
//!   version store and tree registry (`ese-txn`), and its attached databases. Init recovers
//!   the databases a crash left dirty (`ese-recovery`), from the instance's attachment list
//!   (`<base>.jat` beside the checkpoint); a clean term flushes them and marks them clean.
//! * Sessions: [`Engine::begin_session`], [`Engine::dup_session`], [`Engine::end_session`],
//!   session contexts and the one-thread-at-a-time rule ([`session`]).
//! * Transactions at the API: [`Engine::begin_transaction`], [`Engine::commit_transaction`],
//!   [`Engine::rollback`].
//! * Databases ([`database`]): [`Engine::create_database`], [`Engine::attach_database`],
//!   [`Engine::detach_database`], [`Engine::open_database`], [`Engine::close_database`].
//! * Tables, columns, records and cursors ([`table`]), over `ese-table`: create/open/close/
//!   delete table, add/delete column, prepare_update/set_column/retrieve_column/update/
//!   delete, move, make_key/seek, index ranges, bookmarks, counts and positions; every
//!   column kind: JET_SETINFO/JET_RETINFO ([`SetInfo`], [`RetInfo`]: itagSequence
//!   addressing, long values at an offset with AppendLV/OverwriteLV/SizeLV), batches
//!   ([`SetColumn`], [`RetrieveColumn`]), enumerate_columns and escrow_update.
//! * Indexes, the current index and temporary tables ([`index`]): create_index(2),
//!   delete_index, set_current_index(2/3), get_current_index, get_table_index_info,
//!   get/goto secondary-index bookmarks, open_temp_table / open_temporary_table (in the
//!   instance's temporary database, on memory storage and unlogged: see `temp`).
//! * [`JetError`] and [`Warning`]: every call returns `Result<T, JetError>` carrying the exact
//!   ESE code; warnings travel in `Ok`.
//! * Handles ([`Instance`], [`Sesid`], [`Dbid`], [`Tableid`]) are checked numbers with a
//!   generation, never pointers.
//!
//! ```text
//!   Engine ── instances (HandleTable<Inst>) ── gate: Created | Initializing | Running | ...
//!     │                 Running: TrxLog(Log) + Cache + VersionStore + Trees + attached dbs
//!     ├──── sessions (HandleTable<SessionEntry>) ── context, state lock: ese_txn::Session,
//!     │       + HandleDirectory (no process lock)    open databases, cursors (Tableid)
//!     ├──── databases (HandleTable<DbEntry>) ── AttachedDb: file, header, Database, Catalog
//!     └──── Running: temp ── TempDb (made at the first temporary table): memory, own cache
//! ```

mod attach;
pub mod database;
pub mod engine;
pub mod error;
pub mod fs;
mod gate;
pub mod grbit;
pub mod handle;
pub mod index;
mod instlog;
pub mod params;
pub mod session;
pub mod table;
mod temp;

pub use database::DATABASES_MAX;
pub use engine::{
    CACHE_PAGES_DEFAULT, CHECKPOINT_INTERVAL, CLEANUP_INTERVAL, Engine, InstanceInfo,
    LAZY_FLUSH_INTERVAL, RunMode,
};
pub use error::{JetError, Result, Warning};
pub use fs::{FileSystem, OsFileSystem};
pub use handle::{Dbid, Instance, Sesid, Tableid};
pub use params::{SystemParamValue, paramid};
pub use session::{CommitId, NoUndo};
pub use table::{EnumColumn, EnumColumnValue, RetInfo, RetrieveColumn, SetColumn, SetInfo};

pub use ese_table::{
    ColumnGrbit, ColumnId, ColumnInfo, ColumnSpec, ColumnType, EnumColumnId, IndexCreate,
    IndexGrbit, IndexSchema, KeyColumnName, RecordPosition, SecondaryBookmark, TableCreate,
    TempGrbit, TempTableCreate,
};

pub use ese_core::JetErr;
pub use ese_core::params::ParamValue;

/// JET_paramErrorToString: the symbol and message of a JET code, e.g.
/// `"JET_errOutOfSessions (-1101): ..."`.
pub fn error_to_string(code: i32) -> String {
    JetErr(code).to_string()
}
