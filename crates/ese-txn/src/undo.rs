//! Undo plumbing: what rollback asks the layer that owns the nodes to do.
//!
//! The version store knows every change a transaction made, but not where the node lives: the
//! B-tree (and above it the table layer) does. A rollback therefore walks the rolled-back
//! save point's versions newest first and hands each one, as an [`UndoAction`], to an [`Undo`]
//! implementation, then forgets the version. Both happen under the version store's lock, so a
//! reader that holds the owner's lock (a page latch, in the B-tree) while it asks
//! [`crate::VersionStore::visible_version`] never sees the node undone while its version still
//! exists, or the version gone while the node still holds the change.
//!
//! ```text
//!   change made            version kept                     undo handed down
//!   insert (new node)      Insert { reused: None }          Remove
//!   insert (over a         Insert { reused: Some(data) }    ReDelete { data }
//!     flag-deleted node)
//!   replace                Replace { before }               Restore { data: before }
//!   flag-delete            FlagDelete                       Undelete
//!   escrow +d              Delta { field, d }               Escrow { field, delta: -d }
//!   read/write lock        Lock                             (nothing)
//! ```
//!
//! Lock order: the owner's lock first, then the version store's. An [`Undo`] implementation must
//! not call back into the version store.

use crate::ver::ObjId;

/// An error reported by an [`Undo`] implementation, carried in [`crate::Error::RollbackError`].
pub type UndoError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One change to reverse, handed to [`Undo::undo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UndoAction<'a> {
    /// The transaction inserted a new node: remove it (nobody else can see it).
    Remove,
    /// The transaction inserted over a flag-deleted node: put `data` back and set the node's
    /// delete flag again.
    ReDelete {
        /// The flag-deleted node's data before the insert.
        data: &'a [u8],
    },
    /// The transaction replaced the node's data: put `data` back.
    Restore {
        /// The before-image.
        data: &'a [u8],
    },
    /// The transaction flag-deleted the node: clear the delete flag (the data never left).
    Undelete,
    /// The transaction made an escrow update: add `delta` (the negated update) to `field`.
    Escrow {
        /// The escrowed field, as named by the layer that made the update.
        field: u32,
        /// What to add to the field.
        delta: i64,
    },
}

/// Applies rollback's undo actions to the nodes (implemented by the B-tree or table layer).
pub trait Undo {
    /// Reverses one change to the node `key` of `obj`.
    fn undo(&mut self, obj: ObjId, key: &[u8], action: UndoAction<'_>) -> Result<(), UndoError>;
}
