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
//! * Sessions: [`Engine::begin_session`], [`Engine::dup_session`], [`Engine::end_session`],
//!   session contexts and the one-thread-at-a-time rule ([`session`]).
//! * Transactions at the API: [`Engine::begin_transaction`], [`Engine::commit_transaction`],
//!   [`Engine::rollback`], over `ese-txn`'s version store and `ese-log`'s log.
//! * [`JetError`] and [`Warning`]: every call returns `Result<T, JetError>` carrying the exact
//!   ESE code; warnings travel in `Ok`.
//! * Handles ([`Instance`], [`Sesid`]) are checked numbers with a generation, never pointers.
//!
//! Databases, tables, columns, records and cursors arrive with `ese-btree` and `ese-table`;
//! crash recovery at init arrives with `ese-recovery`.
//!
//! ```text
//!   Engine ── instances (HandleTable<Inst>) ── gate: Created | Initializing | Running | ...
//!     │                                                  Running: Log + VersionStore
//!     └──── sessions (HandleTable<SessionEntry>) ── busy flag, context, ese_txn::Session
//! ```

pub mod engine;
pub mod error;
pub mod fs;
pub mod grbit;
pub mod handle;
pub mod params;
pub mod session;

pub use engine::{Engine, InstanceInfo, LAZY_FLUSH_INTERVAL, RunMode};
pub use error::{JetError, Result, Warning};
pub use fs::{FileSystem, OsFileSystem};
pub use handle::{Instance, Sesid};
pub use params::{SystemParamValue, paramid};
pub use session::{CommitId, NoUndo};

pub use ese_core::JetErr;
pub use ese_core::params::ParamValue;

/// JET_paramErrorToString: the symbol and message of a JET code, e.g.
/// `"JET_errOutOfSessions (-1101): ..."`.
pub fn error_to_string(code: i32) -> String {
    JetErr(code).to_string()
}
