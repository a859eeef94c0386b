//! Transactions and the version store: ESE's PIB transaction state and VER.
//!
//! This crate owns nested transactions (up to seven levels) per session, the version store
//! bounded by JET_paramMaxVerPages, snapshot isolation as of the level-0 begin, write conflicts
//! (JET_errWriteConflict), explicit read and write locks, escrow updates, rollback, and cleanup
//! of versions no transaction can see any more.
//!
//! It must not know about records, columns, indexes or the JET API: it sees B-tree nodes by
//! object and bookmark, and implements the visibility trait the B-tree layer defines.
//!
//! # Map
//!
//! ```text
//!   Session ──begin/commit/rollback──▶ VersionStore ──log_begin/commit/rollback──▶ dyn CommitLog
//!      │  version_insert/replace/       (one lock: transactions, version chains,    (ese-log,
//!      │  flag_delete/escrow, get_lock   version pages, cleanup queue)              adapter later)
//!      │                                      │
//!      └─ visible_version ◀── B-tree reads    └── rollback ──UndoAction──▶ dyn Undo (B-tree)
//!                                                  cleanup ──Removable──▶ B-tree removes nodes
//! ```
//!
//! - [`ver`]: the version store, its visibility rules (the module doc is the essay), conflicts,
//!   version pages and cleanup;
//! - [`session`]: a session's nested transactions;
//! - [`log`]: the [`CommitLog`] seam to the write-ahead log and [`CommitMode`];
//! - [`undo`]: the [`Undo`] seam rollback reaches the nodes through;
//! - [`testing`]: [`testing::MemStore`], a key-value store built the way the B-tree will
//!   use the version store, and [`testing::RecordingLog`].
//!
//! The B-tree's `VersionCheck` trait (in `ese-btree`, still settling) asks two questions, which
//! [`VersionStore::may_modify`] and [`VersionStore::is_versioned`] answer; the adapter arrives
//! with the B-tree wiring, as does the [`CommitLog`] adapter over `ese-log`.
//!
//! The caller's protocol for a change: hold the node's latch, record the version
//! (`Session::version_*`; a conflict or full store fails here and changes nothing), then change
//! the node and log the page operation. For a read: hold the latch, ask
//! [`VersionStore::visible_version`], apply the answer.

pub mod error;
pub mod log;
pub mod session;
pub mod testing;
pub mod tree;
pub mod undo;
pub mod ver;
pub mod wal;

pub use error::Error;
pub use log::{CommitLog, CommitMode, LogError, NoLog};
pub use session::Session;
pub use tree::TreeVersions;
pub use undo::{Undo, UndoAction, UndoError};
pub use ver::{
    EscrowAdjust, LockKind, ObjId, Removable, VerConfig, VerStats, VersionStore, Visibility,
};
