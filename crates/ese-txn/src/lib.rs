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
//!      │  flag_delete/escrow, get_lock   version pages, cleanup queue)              wal.rs)
//!      │                                      │
//!      └─ visible_version ◀── B-tree reads    └── rollback ──UndoAction──▶ dyn Undo (B-tree)
//!                                                  cleanup ──Removable──▶ B-tree removes nodes
//!
//!   VersionedTree (one ese_btree::BTree)          Trees (registry ObjId -> BTree)
//!     get/scan/cursor: read latch, node + flags,    rollback/rollback_all/end_session: every
//!       visible_version, resolve                      database's write latch (DbId order),
//!     insert/replace/delete/escrow_update:            then Session::rollback with an Undo of
//!       write latch, check_write, version_*,          logged compensations
//!       BTree::*_latched (logged)                   cleanup, sweep_deleted: remove deleted
//!                                                     nodes no version needs
//! ```
//!
//! - [`ver`]: the version store, its visibility rules (the module doc is the essay), conflicts,
//!   version pages and cleanup;
//! - [`session`]: a session's nested transactions;
//! - [`log`]: the [`CommitLog`] seam to the write-ahead log and [`CommitMode`];
//! - [`undo`]: the [`Undo`] seam rollback reaches the nodes through;
//! - [`vtree`]: [`VersionedTree`], a B-tree read and changed through the version store (with
//!   [`VersionedCursor`] and escrow fields, [`EscrowField`]), and [`Trees`], the registry
//!   rollback and cleanup reach the nodes through;
//! - [`tree`]: [`TreeVersions`], the B-tree's `VersionCheck` over the version store;
//! - [`wal`]: the [`CommitLog`] adapter over `ese_log::Log`;
//! - [`testing`]: [`testing::MemStore`], a key-value store built the way the B-tree will
//!   use the version store, and [`testing::RecordingLog`].
//!
//! The B-tree's `VersionCheck` trait asks two questions, which [`VersionStore::may_modify`] and
//! [`VersionStore::is_versioned`] answer through [`TreeVersions`].
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
pub mod vtree;
pub mod wal;

pub use error::Error;
pub use log::{CommitLog, CommitMode, LogError, NoLog};
pub use session::Session;
pub use tree::TreeVersions;
pub use undo::{Undo, UndoAction, UndoError};
pub use ver::{
    EscrowAdjust, LockKind, ObjId, Removable, VerConfig, VerStats, VersionStore, Visibility,
};
pub use vtree::{EscrowField, EscrowWidth, Trees, VersionedCursor, VersionedTree};
