//! B+trees over cached pages: ESE's BT, NODE and DIR layers, and space management (SPACE).
//!
//! This crate owns one B+tree per object (table, secondary index, long-value tree, catalog),
//! each rooted at a fixed page: separator keys on internal pages, keys and data on leaves, key
//! prefix compression ([`node`]), splits with the append optimisation and merges ([`tree`]),
//! durable space ([`db`]), cursors with seeks, bookmarks, approximate positions and range
//! counts ([`cursor`]), the invariant check ([`check`]), the redo functions that replay
//! logged page operations idempotently by dbtime and repair torn pages from logged full page
//! images ([`redo`](mod@redo)), the undo field every node change logs (before-image, escrow
//! delta, or compensation: [`undo`]) and escrow updates with their logical undo ([`escrow`]).
//!
//! Decisions recorded in the module docs: space is a per-database set of bitmap pages rather
//! than ESE's per-object extent trees ([`db`]); writers of one database are ordered by one
//! reader-writer lock rather than latch coupling ([`db`]); every page change is logged as a
//! list of line operations that redo replays through the same code ([`redo`](mod@redo)).
//!
//! Every B-tree call follows one order: ask the version store whether the change is allowed
//! (through [`VersionCheck`], defined here and implemented by `ese-txn`), compute every page
//! change of the call (splits, merges and space map changes included) on private copies of
//! the pages, latch those pages, log the call as one record (a page group of ese-log
//! page-operation records, each with its page's dbtime before and after, through
//! [`PageLog`]), apply the copies, mark each page dirty at the record's log position. A call
//! is atomic: recovery sees all of its page changes or none, and a call that fails changes
//! nothing ([`db`]'s module doc). The first change to a page since it was last written is
//! preceded by a full image of the page ([`Database`]'s torn-page protection).
//!
//! ```text
//!   BTree::insert/replace/delete/escrow/undo/cleanup
//!     └─ VersionCheck::may_modify ─▶ LineOps applied to copies (the group)
//!          ─▶ latch the group's pages ─▶ PageImage per clean page ─▶ PageLog::append(group)
//!          ─▶ copies into the frames ─▶ mark_dirty(image, group) ─▶ unlatch
//!   recovery: LogRecord (group: each member) ─▶ redo_into_cache
//!          ─▶ Applied | Skipped (by dbtime) | NeedsImage (torn)
//! ```
//!
//! It must not know about transactions, records, columns or key normalization: keys are byte
//! strings compared with memcmp, and visibility is asked of the layer above through a trait.

pub mod check;
pub mod cursor;
pub mod db;
mod edit;
pub mod error;
pub mod escrow;
pub mod fuzz;
pub mod latch;
pub mod node;
pub mod redo;
pub mod testing;
pub mod tree;
pub mod undo;
pub mod version;
pub mod wal;

pub use check::TreeStats;
pub use cursor::{Cursor, Entry, NodeHint, Resolve, ResolveInPlace, SeekOp};
pub use db::{Database, DatabaseConfig, SPACE_MAP_PGNO};
pub use error::{Error, LogError, Result};
pub use redo::{LineOp, Redo, rebuilds_page, redo, redo_file_page, redo_into_cache};
pub use tree::{BTree, MAX_DEPTH, data_most_bytes};
pub use undo::{BeforeImage, EscrowDelta, UndoInfo};
pub use version::{NoVersions, VersionCheck};
pub use wal::PageLog;
