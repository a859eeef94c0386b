//! Transactional B-trees: the version store wired to `ese-btree`'s trees.
//!
//! A [`VersionedTree`] is one B-tree seen through the version store: every change records a
//! version first (a conflict or a full store fails there and changes nothing), then changes
//! the node, which logs the page operation with its before-image; every read asks the version
//! store what the reading session may see while the tree's latch is held. [`Trees`] is the
//! registry of every open tree of an instance: rollback reaches the nodes through it, and
//! cleanup removes the flag-deleted nodes no snapshot needs any more.
//!
//! Changes need an open transaction ([`Error::NotInTransaction`] otherwise): the layer above
//! wraps a call made at level 0 in an implicit transaction, as ESE does, so that a record and
//! its index entries change together.
//!
//! # Protocol
//!
//! ```text
//!   change:   write latch ─▶ check_write ─▶ read node ─▶ version_* ─▶ BTree::*_latched (logs)
//!   read:     read latch  ─▶ read node (flags too) ─▶ visible_version ─▶ resolve ─▶ unlatch
//!   rollback: every registered database's write latch, in DbId order ─▶ Session::rollback
//!               └─ Undo (under the version store's lock): BTree::restore_latched / purge_latched
//!   cleanup:  VersionStore::cleanup ─▶ per tree: its database's write latch ─▶ in key order:
//!               unversioned? ─▶ BTree::cleanup_batch_latched (each leaf's nodes in one logged
//!               change; a leaf found where the flag-delete recorded it, if it still holds the
//!               node, else by a descent)
//! ```
//!
//! A change or read of the record a cursor stands on may name where the cursor found it
//! ([`NodeHint`], [`VersionedCursor::node_hint`]): [`VersionedTree::delete_at`] and
//! [`VersionedTree::get_at`] then reach the node without a descent while its leaf still
//! holds it. Only the node's finding changes: the conflict check, the version and the logged
//! change are the same.
//!
//! Lock order is always the tree latch (the database's lock, `ese_btree::tree::WriteLatch`),
//! then the version store's. The undo side never takes a latch (rollback holds them all) and
//! never calls the version store (rollback holds its lock).
//!
//! Reads resolve the version store's [`Visibility`] against the node as stored: a node
//! inserted by a transaction the reader cannot see is absent; a flag-deleted node whose delete
//! the reader cannot see is present (`ignore_delete`); a before-image replaces the data; escrow
//! corrections ([`EscrowAdjust`]) are added at their field. A field is named in the version
//! store by [`EscrowField::code`]: the byte offset, plus `0x1_0000` for a 64-bit integer.
//!
//! # A failed change after its version was recorded
//!
//! The B-tree may refuse or fail a change after the version store accepted its version (the
//! log refuses the record, the database cannot grow for a split, a page cannot be read). The
//! node is then read again under the same latch: if it is as it was, the version is forgotten
//! (ESE nullifies the RCE) and the transaction is exactly as before the call. If the node did
//! change, or cannot be read, the version stays, so the node and its version agree and a
//! rollback puts the node back (undo tolerates an insert whose node never appeared). Either
//! way the call returns the B-tree's error as [`Error::Tree`]; after one that is not a
//! conflict, the caller should roll the transaction back.
//!
//! # Escrow updates
//!
//! [`VersionedTree::escrow_update`] records a delta version and then adds the delta in place
//! with the B-tree's logged escrow operation (`BTree::escrow_latched`), whose undo field is the
//! delta itself. Undo, in rollback (`BTree::undo_escrow_latched`) as in crash recovery, is
//! logical: it adds the negated delta to whatever the counter holds, so other sessions'
//! uncommitted deltas on the same counter survive.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use ese_btree::node::{Node, NodeFlags};
use ese_btree::tree::{Latch, WriteLatch};
use ese_btree::undo::EscrowDelta;
use ese_btree::{BTree, Cursor, Database, Entry, NodeHint, SeekOp};
use ese_core::{DbId, Trx};
use parking_lot::Mutex;

use crate::error::Error;
use crate::session::Session;
use crate::undo::{Undo, UndoAction, UndoError};
use crate::ver::{EscrowAdjust, LockKind, ObjId, Released, ReleasedNode, VersionStore, Visibility};

/// The bit of [`EscrowField::code`] that marks a 64-bit field.
const I64_FIELD_BIT: u32 = 1 << 16;

/// The width of an escrowed integer inside a node's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EscrowWidth {
    /// A little-endian `i32` (JET_coltypLong, the only type ESE escrows).
    I32,
    /// A little-endian `i64`.
    I64,
}

impl EscrowWidth {
    /// The integer's size in bytes.
    pub const fn bytes(self) -> usize {
        match self {
            EscrowWidth::I32 => 4,
            EscrowWidth::I64 => 8,
        }
    }
}

/// Where an escrowed integer lives in a node's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EscrowField {
    /// Byte offset within the data.
    pub offset: u16,
    /// Its width.
    pub width: EscrowWidth,
}

impl EscrowField {
    /// The field of `width` at byte `offset`.
    pub const fn new(offset: u16, width: EscrowWidth) -> Self {
        EscrowField { offset, width }
    }

    /// The field's name in the version store (`EscrowAdjust::field`, `UndoAction::Escrow`):
    /// the offset, plus `0x1_0000` for [`EscrowWidth::I64`].
    pub const fn code(self) -> u32 {
        let width = match self.width {
            EscrowWidth::I32 => 0,
            EscrowWidth::I64 => I64_FIELD_BIT,
        };
        self.offset as u32 | width
    }

    /// The field a [`EscrowField::code`] names; `None` for a value no field has.
    pub fn from_code(code: u32) -> Option<EscrowField> {
        if code & !(I64_FIELD_BIT | 0xffff) != 0 {
            return None;
        }
        let width = if code & I64_FIELD_BIT != 0 {
            EscrowWidth::I64
        } else {
            EscrowWidth::I32
        };
        Some(EscrowField {
            offset: (code & 0xffff) as u16,
            width,
        })
    }

    fn range(self) -> std::ops::Range<usize> {
        let at = usize::from(self.offset);
        at..at + self.width.bytes()
    }

    /// The integer at this field of `data`, sign-extended; `None` if the data is too short.
    pub fn read(self, data: &[u8]) -> Option<i64> {
        let b = data.get(self.range())?;
        Some(match self.width {
            EscrowWidth::I32 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            EscrowWidth::I64 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                i64::from_le_bytes(a)
            }
        })
    }

    /// Adds `delta` to the integer at this field of `data`, wrapping at its width; returns
    /// false (changing nothing) if the data is too short.
    pub fn add(self, data: &mut [u8], delta: i64) -> bool {
        let Some(v) = self.read(data) else {
            return false;
        };
        let range = self.range();
        match self.width {
            // Wrapping at 32 bits: only the low half of the sum counts.
            EscrowWidth::I32 => {
                data[range].copy_from_slice(&(v.wrapping_add(delta) as i32).to_le_bytes())
            }
            EscrowWidth::I64 => data[range].copy_from_slice(&v.wrapping_add(delta).to_le_bytes()),
        }
        true
    }
}

/// Adds the version store's escrow corrections to `data`.
fn apply_escrow(data: &mut [u8], escrow: &[EscrowAdjust]) {
    for a in escrow {
        if let Some(field) = EscrowField::from_code(a.field) {
            field.add(data, a.delta);
        }
    }
}

/// What a reader sees of a node given the version store's answer, decided in place: `data`
/// holds the node's data as stored (whether it is flag-deleted is `deleted`) and is rewritten
/// to what the reader sees (a before-image, escrow corrections); `false` if the record does
/// not exist for the reader.
fn see(vis: Visibility, deleted: bool, data: &mut Vec<u8>) -> bool {
    let escrow = match vis {
        Visibility::Absent => return false,
        Visibility::BeforeImage { image, escrow } => {
            data.clear();
            data.extend_from_slice(&image);
            escrow
        }
        Visibility::Current {
            ignore_delete,
            escrow,
        } => {
            if deleted && !ignore_delete {
                return false;
            }
            escrow
        }
    };
    apply_escrow(data, &escrow);
    true
}

/// What a reader sees of `node` (as stored, `None` if the tree has none) given the version
/// store's answer: the data, or `None` if the record does not exist for it.
fn resolve(node: Option<&Node>, vis: Visibility) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let deleted = match (&vis, node) {
        (Visibility::Current { .. }, None) => return None,
        (Visibility::Current { .. }, Some(n)) => {
            data.extend_from_slice(&n.payload);
            n.flags.contains(NodeFlags::DELETED)
        }
        _ => false,
    };
    see(vis, deleted, &mut data).then_some(data)
}

/// The cursor-side resolve: whether `session` sees each node a move passes, its payload
/// rewritten to what the session sees.
fn resolver(obj: ObjId, session: &Session) -> impl FnMut(&mut Node) -> bool + '_ {
    move |n: &mut Node| {
        // With no node versioned anywhere, every reader sees each node as stored: what
        // `visible_version` answers then, without the call. Asked here, under the page latch
        // the step holds, as that call would be.
        if !session.version_store().has_versions() {
            return !n.flags.contains(NodeFlags::DELETED);
        }
        let vis = session.visible_version(obj, &n.key);
        see(vis, n.flags.contains(NodeFlags::DELETED), &mut n.payload)
    }
}

fn is_live(n: &Node) -> bool {
    !n.flags.contains(NodeFlags::DELETED)
}

/// The begin timestamp a change by `session` is made under, after the checks every change
/// makes first: an open transaction that is not read-only.
fn change_trx(session: &Session) -> Result<Trx, Error> {
    match session.txn_state() {
        None => Err(Error::NotInTransaction),
        Some((true, _)) => Err(Error::TransReadOnly),
        Some((false, trx)) => Ok(trx),
    }
}

/// One B-tree whose reads and changes go through the version store.
#[derive(Clone, Debug)]
pub struct VersionedTree {
    tree: BTree,
    obj: ObjId,
    ver: Arc<VersionStore>,
}

impl VersionedTree {
    /// `tree` seen through `ver`.
    pub fn new(tree: BTree, ver: Arc<VersionStore>) -> Self {
        let obj = ObjId::new(tree.database().id(), tree.objid());
        VersionedTree { tree, obj, ver }
    }

    /// The tree underneath.
    pub fn tree(&self) -> &BTree {
        &self.tree
    }

    /// The tree's identity in the version store.
    pub fn obj(&self) -> ObjId {
        self.obj
    }

    /// The version store.
    pub fn version_store(&self) -> &Arc<VersionStore> {
        &self.ver
    }

    /// The data of `key` as `session` sees it.
    pub fn get(&self, session: &Session, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        self.get_at(session, key, None)
    }

    /// [`VersionedTree::get`] through `hint`, where a cursor found the node: read on that
    /// leaf without a descent while it still holds `key` ([`NodeHint`]).
    pub fn get_at(
        &self,
        session: &Session,
        key: &[u8],
        hint: Option<&NodeHint>,
    ) -> Result<Option<Vec<u8>>, Error> {
        let obj = self.obj;
        Ok(self.tree.get_at_with(key, hint, |node| {
            resolve(node, session.visible_version(obj, key))
        })?)
    }

    /// After the B-tree failed a change with `e` once its version was recorded: forgets the
    /// version if the node is as it was, keeps it otherwise (see the module doc).
    fn settle(
        &self,
        session: &mut Session,
        latch: &WriteLatch<'_>,
        key: &[u8],
        before: &Option<Node>,
        e: ese_btree::Error,
    ) -> Error {
        if let Ok(now) = self.tree.node_latched(latch, key)
            && now == *before
        {
            session.unrecord_last(self.obj, key);
        }
        Error::Tree(e)
    }

    /// The outcome of a change whose version was `recorded` before the B-tree made it: a
    /// B-tree failure after the version was recorded is settled ([`VersionedTree::settle`]).
    fn settle_if(
        &self,
        result: Result<(), Error>,
        recorded: bool,
        session: &mut Session,
        latch: &WriteLatch<'_>,
        key: &[u8],
        before: &Option<Node>,
    ) -> Result<(), Error> {
        match result {
            Err(Error::Tree(e)) if recorded => Err(self.settle(session, latch, key, before, e)),
            other => other,
        }
    }

    /// Inserts `key` (KeyDuplicate if the session sees a live node with it).
    pub fn insert(&self, session: &mut Session, key: &[u8], data: &[u8]) -> Result<(), Error> {
        let trx = change_trx(session)?;
        self.tree.validate(key, data)?;
        let latch = self.tree.write_latch();
        let (mut before, mut recorded) = (None, false);
        let result = self
            .tree
            .insert_latched_with(&latch, trx, key, data, |node| {
                before = node.cloned();
                let reused = match node {
                    // A live node is a duplicate only once the conflict check passes: until
                    // then it may be another session's uncommitted change.
                    Some(n) if is_live(n) => {
                        session.check_write(self.obj, key)?;
                        return Err(Error::Tree(ese_btree::Error::KeyDuplicate));
                    }
                    Some(n) => Some(n.payload.as_slice()),
                    None => None,
                };
                session.version_insert(self.obj, key, reused)?;
                recorded = true;
                Ok(())
            });
        self.settle_if(result, recorded, session, &latch, key, &before)
    }

    /// Replaces the data of `key` (RecordNotFound if the session sees no node).
    pub fn replace(&self, session: &mut Session, key: &[u8], data: &[u8]) -> Result<(), Error> {
        let trx = change_trx(session)?;
        self.tree.validate(key, data)?;
        let latch = self.tree.write_latch();
        session.check_write(self.obj, key)?;
        let (mut before, mut recorded) = (None, false);
        let result = self
            .tree
            .replace_latched_with(&latch, trx, key, data, |node| {
                before = node.cloned();
                let Some(old) = node.filter(|n| is_live(n)) else {
                    return Err(Error::Tree(ese_btree::Error::RecordNotFound));
                };
                session.version_replace(self.obj, key, &old.payload)?;
                recorded = true;
                Ok(())
            });
        self.settle_if(result, recorded, session, &latch, key, &before)
    }

    /// Flag-deletes `key`; cleanup removes the node once no snapshot needs it.
    pub fn delete(&self, session: &mut Session, key: &[u8]) -> Result<(), Error> {
        self.delete_at(session, key, None)
    }

    /// [`VersionedTree::delete`] through `hint`, where a cursor found the node: the node is
    /// flag-deleted on that leaf without a descent while it still holds `key` ([`NodeHint`]),
    /// and its version names the leaf, so cleanup may remove it there too.
    pub fn delete_at(
        &self,
        session: &mut Session,
        key: &[u8],
        hint: Option<&NodeHint>,
    ) -> Result<(), Error> {
        let trx = change_trx(session)?;
        let latch = self.tree.write_latch();
        session.check_write(self.obj, key)?;
        let (mut before, mut recorded) = (None, false);
        let result = self
            .tree
            .delete_at_latched_with(&latch, trx, key, hint, |node, leaf| {
                before = node.cloned();
                if !node.is_some_and(is_live) {
                    return Err(Error::Tree(ese_btree::Error::RecordNotFound));
                }
                session.version_flag_delete_at(self.obj, key, leaf)?;
                recorded = true;
                Ok(())
            });
        self.settle_if(result, recorded, session, &latch, key, &before)
    }

    /// Adds `delta` to the integer at `field` of `key`'s data without a write conflict with
    /// other escrow updates (JetEscrowUpdate); returns the value before the update as the
    /// session sees it.
    pub fn escrow_update(
        &self,
        session: &mut Session,
        key: &[u8],
        field: EscrowField,
        delta: i64,
    ) -> Result<i64, Error> {
        let trx = change_trx(session)?;
        if field.width == EscrowWidth::I32 && i32::try_from(delta).is_err() {
            return Err(Error::InvalidParameter(
                "an escrow delta wider than its 32-bit field",
            ));
        }
        let latch = self.tree.write_latch();
        let before = self.tree.node_latched(&latch, key)?;
        let seen = resolve(before.as_ref(), session.visible_version(self.obj, key))
            .ok_or(Error::Tree(ese_btree::Error::RecordNotFound))?;
        let value = field.read(&seen).ok_or(Error::InvalidParameter(
            "an escrow field outside the record's data",
        ))?;
        // A delete or replace this session cannot see makes this conflict, so once it passes
        // the node is live; other sessions' uncommitted deltas in it commute with this one.
        session.version_escrow(self.obj, key, field.code(), delta)?;
        let width = field.width.bytes() as u8;
        self.tree
            .escrow_latched(&latch, trx, key, field.offset, width, delta)
            .map_err(|e| self.settle(session, &latch, key, &before, e))?;
        Ok(value)
    }

    /// Locks `key`, which must exist for the session (JetGetLock).
    pub fn get_lock(&self, session: &mut Session, key: &[u8], kind: LockKind) -> Result<(), Error> {
        if session.level() == 0 {
            return Err(Error::NotInTransaction);
        }
        let latch = self.tree.read_latch();
        let node = self.tree.node_latched(&latch, key)?;
        if resolve(node.as_ref(), session.visible_version(self.obj, key)).is_none() {
            return Err(Error::Tree(ese_btree::Error::RecordNotFound));
        }
        session.get_lock(self.obj, key, kind)
    }

    /// The number of records `session` sees with keys between `lo` and `hi`.
    pub fn count(
        &self,
        session: &Session,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
    ) -> Result<u64, Error> {
        let mut n = 0u64;
        self.each(session, lo, hi, |_| n += 1)?;
        Ok(n)
    }

    /// Every record `session` sees with keys between `lo` and `hi`, in key order.
    pub fn scan(
        &self,
        session: &Session,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
    ) -> Result<Vec<Entry>, Error> {
        let mut out = Vec::new();
        self.each(session, lo, hi, |e| out.push(e))?;
        Ok(out)
    }

    fn each(
        &self,
        session: &Session,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
        mut f: impl FnMut(Entry),
    ) -> Result<(), Error> {
        let mut c = self.tree.cursor();
        let mut r = resolver(self.obj, session);
        let mut found = match lo {
            Bound::Included(k) => c.seek_in_place(k, SeekOp::Ge, &mut r)?,
            Bound::Excluded(k) => c.seek_in_place(k, SeekOp::Gt, &mut r)?,
            Bound::Unbounded => c.first_in_place(&mut r)?,
        };
        while found && let Some(entry) = c.entry() {
            let inside = match hi {
                Bound::Included(k) => entry.key.as_slice() <= k,
                Bound::Excluded(k) => entry.key.as_slice() < k,
                Bound::Unbounded => true,
            };
            if !inside {
                break;
            }
            f(entry.clone());
            found = c.next_in_place(&mut r)?;
        }
        Ok(())
    }

    /// Removes every flag-deleted node that has no version (after crash recovery, whose
    /// cleanup queue is lost, or whenever one may have been missed); returns how many.
    pub fn sweep_deleted(&self) -> Result<usize, Error> {
        let mut deleted = Vec::new();
        // One pass over every leaf under one read latch; accepting no node walks them all.
        self.tree.cursor().first_with(&mut |n: &Node| {
            if !is_live(n) {
                deleted.push(n.key.clone());
            }
            None
        })?;
        let latch = self.tree.write_latch();
        let mut removed = 0;
        for key in deleted {
            // Re-checked under the write latch: still deleted (by cleanup_latched) and with
            // no version a transaction may need.
            if !self.ver.is_versioned(self.obj, &key) && self.tree.cleanup_latched(&latch, &key)? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// A cursor on this tree, on no record.
    pub fn cursor(&self) -> VersionedCursor {
        VersionedCursor {
            tree: self.clone(),
            cursor: self.tree.clone().into_cursor(),
            edge: Edge::Before,
        }
    }
}

/// Where a [`VersionedCursor`] is when it is on no record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Edge {
    /// Before the first record (or on one, when the B-tree cursor has an entry).
    Before,
    /// After the last record.
    After,
}

/// A position in a [`VersionedTree`]; every move returns what the given session sees.
#[derive(Debug)]
pub struct VersionedCursor {
    tree: VersionedTree,
    cursor: Cursor<'static>,
    edge: Edge,
}

impl VersionedCursor {
    /// The tree.
    pub fn tree(&self) -> &VersionedTree {
        &self.tree
    }

    /// The record the cursor is on, as last read.
    pub fn current(&self) -> Option<&Entry> {
        self.cursor.entry()
    }

    /// Where the record the cursor is on was found, for a read or change of it without a
    /// descent ([`VersionedTree::get_at`], [`VersionedTree::delete_at`]).
    pub fn node_hint(&self) -> Option<NodeHint> {
        self.cursor.node_hint()
    }

    /// The entry a move stopped on (`found`), copied out.
    fn found(&self, found: bool) -> Option<Entry> {
        if found { self.current().cloned() } else { None }
    }

    /// Moves to the first record the session sees.
    pub fn first(&mut self, session: &Session) -> Result<Option<Entry>, Error> {
        let mut r = resolver(self.tree.obj, session);
        self.edge = Edge::After;
        let found = self.cursor.first_in_place(&mut r)?;
        Ok(self.found(found))
    }

    /// Moves to the last record the session sees.
    pub fn last(&mut self, session: &Session) -> Result<Option<Entry>, Error> {
        let mut r = resolver(self.tree.obj, session);
        self.edge = Edge::Before;
        let found = self.cursor.last_in_place(&mut r)?;
        Ok(self.found(found))
    }

    /// Moves to the next record the session sees; `None` leaves the cursor after the last.
    pub fn next(&mut self, session: &Session) -> Result<Option<Entry>, Error> {
        let found = self.next_in_place(session)?;
        Ok(self.found(found))
    }

    /// As [`VersionedCursor::next`], without copying the record out: whether there is one;
    /// [`VersionedCursor::current`] is then what the session sees of it.
    pub fn next_in_place(&mut self, session: &Session) -> Result<bool, Error> {
        if self.cursor.entry().is_none() && self.edge == Edge::After {
            return Ok(false);
        }
        let mut r = resolver(self.tree.obj, session);
        self.edge = Edge::After;
        Ok(self.cursor.next_in_place(&mut r)?)
    }

    /// Moves to the previous record the session sees; `None` leaves it before the first.
    pub fn prev(&mut self, session: &Session) -> Result<Option<Entry>, Error> {
        let found = self.prev_in_place(session)?;
        Ok(self.found(found))
    }

    /// As [`VersionedCursor::prev`], without copying the record out: whether there is one.
    pub fn prev_in_place(&mut self, session: &Session) -> Result<bool, Error> {
        if self.cursor.entry().is_none() && self.edge == Edge::Before {
            return Ok(false);
        }
        let mut r = resolver(self.tree.obj, session);
        self.edge = Edge::Before;
        Ok(self.cursor.prev_in_place(&mut r)?)
    }

    /// Moves to the record `op` finds for `key` among those the session sees; on `None` the
    /// cursor is on no record, before the first.
    pub fn seek(
        &mut self,
        session: &Session,
        key: &[u8],
        op: SeekOp,
    ) -> Result<Option<Entry>, Error> {
        let found = self.seek_in_place(session, key, op)?;
        Ok(self.found(found))
    }

    /// As [`VersionedCursor::seek`], without copying the record out: whether there is one.
    pub fn seek_in_place(
        &mut self,
        session: &Session,
        key: &[u8],
        op: SeekOp,
    ) -> Result<bool, Error> {
        let mut r = resolver(self.tree.obj, session);
        self.edge = Edge::Before;
        Ok(self.cursor.seek_in_place(key, op, &mut r)?)
    }

    /// Forgets the position (before the first record).
    pub fn reset(&mut self) {
        self.cursor.reset();
        self.edge = Edge::Before;
    }
}

/// Every open tree of an instance: what rollback, end of session and cleanup reach the nodes
/// through.
///
/// Rollback takes the write latch of every registered tree's database, in DbId order, before
/// the version store's lock, so a tree must be registered before any session changes it.
/// Cleanup needs the version store: it is given by [`Trees::with_version_store`] or
/// [`Trees::set_version_store`], or learned from the first session rolled back or ended here.
#[derive(Debug, Default)]
pub struct Trees {
    trees: Mutex<BTreeMap<ObjId, BTree>>,
    ver: Mutex<Option<Arc<VersionStore>>>,
    /// The buffers of the last cleanup pass's released nodes, handed to the next pass.
    released: Mutex<Released>,
}

/// Where a released node goes in a cleanup pass's order: by tree, then by key (its first
/// eight bytes compared as a number, the rest only when they agree), then in the order the
/// nodes were released, so the first release of a key comes first among its duplicates.
#[derive(Clone, Copy, Debug)]
struct CleanupOrder {
    /// The tree, as a number in [`ObjId`]'s order (database, then objid).
    tree: u64,
    /// The key's first eight bytes, big-endian, zero-padded: a shorter key and a longer one
    /// that continues with zeros compare equal here and are told apart by the whole key.
    head: u64,
    /// The node's place in [`Released::nodes`].
    at: usize,
}

/// From how many entries [`radix_sort`] orders a cleanup pass: below, its fixed cost (its
/// digit counts) is more than a comparison sort's.
const RADIX_SORT_MIN: usize = 256;

/// Sorts `order` by (tree, head), stably: a least-significant-digit radix sort on the
/// sixteen bytes of the two numbers. One pass counts every digit; a digit that every entry
/// shares (the tree's, mostly, and the keys' common first byte) costs no other pass, and
/// each of the others moves the entries once.
fn radix_sort(order: &mut Vec<CleanupOrder>) {
    const DIGITS: usize = 16;
    let digit = |o: &CleanupOrder, d: usize| -> usize {
        let word = if d < 8 { o.head } else { o.tree };
        usize::from((word >> (8 * (d % 8))) as u8)
    };
    let n = order.len();
    let mut counts = vec![[0usize; 256]; DIGITS];
    for o in order.iter() {
        for (d, c) in counts.iter_mut().enumerate() {
            c[digit(o, d)] += 1;
        }
    }
    let Some(&first) = order.first() else {
        return;
    };
    let mut from = std::mem::take(order);
    let mut to = vec![first; n];
    for (d, c) in counts.iter_mut().enumerate() {
        if c.contains(&n) {
            continue;
        }
        // Each digit's first place in the pass's output.
        let mut at = 0;
        for slot in c.iter_mut() {
            let k = *slot;
            *slot = at;
            at += k;
        }
        for o in &from {
            let slot = &mut c[digit(o, d)];
            if let Some(place) = to.get_mut(*slot) {
                *place = *o;
            }
            *slot += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    *order = from;
}

/// The nodes of `released` by tree and key, each (tree, key) once, by its first release: a
/// key released twice (deleted, reinserted and deleted again) is removed once.
fn cleanup_order(released: &Released) -> Vec<CleanupOrder> {
    let nodes = released.nodes();
    let key_of = |o: &CleanupOrder| nodes.get(o.at).map_or(&[][..], |n| released.key(n));
    let mut order: Vec<CleanupOrder> = nodes
        .iter()
        .enumerate()
        .map(|(at, n)| CleanupOrder::of(at, n, released.key(n)))
        .collect();
    // By (tree, head), ties left in release order. Then each run of entries whose heads
    // agree, which is rare, by (key, release): the order is the one a stable sort by (tree,
    // key) gives.
    if order.len() < RADIX_SORT_MIN {
        // Unstable, but no two entries are equal (`at` differs).
        order.sort_unstable_by_key(|o| (o.tree, o.head, o.at));
    } else {
        radix_sort(&mut order);
    }
    let mut rest = &mut order[..];
    while let Some(first) = rest.first().copied() {
        let run = rest
            .iter()
            .position(|o| (o.tree, o.head) != (first.tree, first.head))
            .unwrap_or(rest.len());
        let (same, after) = rest.split_at_mut(run);
        if same.len() > 1 {
            same.sort_by(|a, b| key_of(a).cmp(key_of(b)).then(a.at.cmp(&b.at)));
        }
        rest = after;
    }
    order.dedup_by(|a, b| a.tree == b.tree && a.head == b.head && key_of(a) == key_of(b));
    order
}

impl CleanupOrder {
    fn of(at: usize, node: &ReleasedNode, key: &[u8]) -> Self {
        let mut head = [0u8; 8];
        let n = key.len().min(8);
        head[..n].copy_from_slice(&key[..n]);
        CleanupOrder {
            tree: (u64::from(node.obj.db.0) << 32) | u64::from(node.obj.objid),
            head: u64::from_be_bytes(head),
            at,
        }
    }
}

/// The undo side of rollback: node changes made under latches the caller holds, never asking
/// the version store (whose lock rollback holds).
struct TreeUndo<'a> {
    trees: &'a BTreeMap<ObjId, BTree>,
    latches: &'a [WriteLatch<'a>],
    trx: Trx,
}

impl Undo for TreeUndo<'_> {
    fn undo(&mut self, obj: ObjId, key: &[u8], action: UndoAction<'_>) -> Result<(), UndoError> {
        let tree = self
            .trees
            .get(&obj)
            .ok_or_else(|| format!("rollback reached tree {obj}, which is not registered"))?;
        let latch = self
            .latches
            .iter()
            .find(|l| std::ptr::eq(l.database(), &**tree.database()))
            .ok_or_else(|| format!("rollback holds no latch for the database of tree {obj}"))?;
        let node = tree.node_latched(latch, key)?;
        let trx = self.trx;
        let Some(n) = node else {
            // An insert whose node never appeared (the B-tree failed it) has nothing to undo.
            return match action {
                UndoAction::Remove => Ok(()),
                _ => Err(format!("undo found no node {key:?} in tree {obj}").into()),
            };
        };
        let before = match action {
            UndoAction::Remove => {
                // The undo is logged (a compensation of the insert); the node is then invisible
                // to everyone and goes at once.
                tree.restore_latched(latch, trx, key, None)?;
                tree.purge_latched(latch, key)?;
                return Ok(());
            }
            UndoAction::ReDelete { data } => (n.flags.with(NodeFlags::DELETED), data.to_vec()),
            UndoAction::Restore { data } => (n.flags, data.to_vec()),
            UndoAction::Undelete => (n.flags.without(NodeFlags::DELETED), n.payload),
            UndoAction::Escrow { field, delta } => {
                let field = EscrowField::from_code(field)
                    .ok_or_else(|| format!("escrow undo names no field ({field:#x})"))?;
                // The B-tree's undo adds the negation of the update it is given.
                let undo = EscrowDelta {
                    objid: tree.objid(),
                    root: tree.root(),
                    key: key.to_vec(),
                    offset: field.offset,
                    width: field.width.bytes() as u8,
                    delta: delta.wrapping_neg(),
                };
                tree.undo_escrow_latched(latch, trx, &undo)?;
                return Ok(());
            }
        };
        tree.restore_latched(latch, trx, key, Some(before))?;
        Ok(())
    }
}

impl Trees {
    /// An empty registry.
    pub fn new() -> Arc<Self> {
        Arc::new(Trees::default())
    }

    /// An empty registry whose cleanup uses `ver`.
    pub fn with_version_store(ver: Arc<VersionStore>) -> Arc<Self> {
        let trees = Trees::default();
        *trees.ver.lock() = Some(ver);
        Arc::new(trees)
    }

    /// Makes cleanup use `ver` (one instance has one version store).
    pub fn set_version_store(&self, ver: Arc<VersionStore>) {
        *self.ver.lock() = Some(ver);
    }

    fn learn(&self, ver: &Arc<VersionStore>) {
        let mut known = self.ver.lock();
        if known.is_none() {
            *known = Some(Arc::clone(ver));
        }
    }

    fn store(&self) -> Result<Arc<VersionStore>, Error> {
        self.ver.lock().clone().ok_or(Error::InvalidParameter(
            "the tree registry knows no version store yet (Trees::with_version_store)",
        ))
    }

    /// Makes `tree` reachable by rollback and cleanup (idempotent).
    pub fn register(&self, tree: &BTree) {
        let obj = ObjId::new(tree.database().id(), tree.objid());
        self.trees.lock().insert(obj, tree.clone());
    }

    /// As [`Trees::register`] for a [`VersionedTree`], whose version store cleanup then uses
    /// if none is known yet.
    pub fn register_versioned(&self, tree: &VersionedTree) {
        self.learn(tree.version_store());
        self.register(tree.tree());
    }

    /// The registered tree `obj`, if any.
    pub fn get(&self, obj: ObjId) -> Option<BTree> {
        self.trees.lock().get(&obj).cloned()
    }

    /// Forgets every tree of database `db` (at detach).
    pub fn forget_database(&self, db: DbId) {
        self.trees.lock().retain(|obj, _| obj.db != db);
    }

    /// Forgets one tree (after its table or index is deleted and committed).
    pub fn forget(&self, obj: ObjId) {
        self.trees.lock().remove(&obj);
    }

    /// Runs `f` with `session` and an [`Undo`] over every registered tree, holding every
    /// registered database's write latch (taken in DbId order).
    fn latched<T>(
        &self,
        session: &mut Session,
        f: impl FnOnce(&mut Session, &mut dyn Undo) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.learn(session.version_store());
        let trees = self.trees.lock().clone();
        let mut dbs: BTreeMap<DbId, Arc<Database>> = BTreeMap::new();
        for t in trees.values() {
            dbs.entry(t.database().id())
                .or_insert_with(|| Arc::clone(t.database()));
        }
        let latches: Vec<WriteLatch<'_>> = dbs.values().map(|db| WriteLatch::new(db)).collect();
        let mut undo = TreeUndo {
            trees: &trees,
            latches: &latches,
            trx: session.trx_begin().unwrap_or(Trx::MIN),
        };
        f(session, &mut undo)
    }

    /// Rolls back the session's innermost level (JetRollback).
    pub fn rollback(&self, session: &mut Session) -> Result<(), Error> {
        self.latched(session, |s, undo| s.rollback(undo))
    }

    /// Rolls back every level (JetRollback with JET_bitRollbackAll).
    pub fn rollback_all(&self, session: &mut Session) -> Result<(), Error> {
        self.latched(session, |s, undo| s.rollback_all(undo))
    }

    /// Rolls back every level and ends the session (JetEndSession).
    pub fn end_session(&self, mut session: Session) -> Result<(), Error> {
        if session.level() == 0 {
            return Ok(());
        }
        self.latched(&mut session, |s, undo| s.rollback_all(undo))
    }

    /// Runs version cleanup and removes the flag-deleted nodes it releases; returns how many
    /// nodes were removed.
    ///
    /// The nodes are grouped by tree and handed to [`BTree::cleanup_batch_latched`] in key
    /// order, under their database's write latch (held for each tree's batch), so the nodes
    /// one leaf loses go in one logged change. Each node is checked again under the
    /// latch: still flag-deleted, and with no version (it may have been reinserted, or deleted
    /// again, since it was queued). A node of a tree that is not registered stays until
    /// [`Trees::sweep_deleted`]. After a B-tree error the other trees are still tried and the
    /// first error is returned.
    pub fn cleanup(&self) -> Result<usize, Error> {
        let ver = self.store()?;
        let mut released = std::mem::take(&mut *self.released.lock());
        ver.cleanup_into(&mut released);
        let result = self.remove_released(&ver, &released);
        released.clear();
        *self.released.lock() = released;
        result
    }

    /// The removal half of [`Trees::cleanup`], for the nodes `released` by `ver`.
    fn remove_released(&self, ver: &VersionStore, released: &Released) -> Result<usize, Error> {
        let nodes = released.nodes();
        if nodes.is_empty() {
            return Ok(0);
        }
        let trees = self.trees.lock().clone();
        let order = cleanup_order(released);
        let mut removed = 0;
        let mut first_error = None;
        for group in order.chunk_by(|a, b| a.tree == b.tree) {
            let Some(obj) = group.first().and_then(|o| nodes.get(o.at)).map(|n| n.obj) else {
                continue;
            };
            let Some(tree) = trees.get(&obj) else {
                continue;
            };
            // The keys are checked for versions under the latch that removes them: no change
            // to them can come in between.
            let latch = tree.write_latch();
            let batch: Vec<(&[u8], Option<NodeHint>)> = group
                .iter()
                .filter_map(|o| nodes.get(o.at))
                .filter(|n| !ver.is_versioned(obj, released.key(n)))
                .map(|n| {
                    let hint =
                        (!n.leaf.is_null()).then(|| NodeHint::leaf(obj.db, obj.objid, n.leaf));
                    (released.key(n), hint)
                })
                .collect();
            if batch.is_empty() {
                continue;
            }
            match tree.cleanup_batch_latched(&latch, &batch) {
                Ok(n) => removed += n,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(Error::Tree(e)),
            None => Ok(removed),
        }
    }

    /// [`VersionedTree::sweep_deleted`] over every registered tree (after crash recovery);
    /// returns how many nodes were removed.
    pub fn sweep_deleted(&self) -> Result<usize, Error> {
        let ver = self.store()?;
        let trees = self.trees.lock().clone();
        let mut removed = 0;
        for tree in trees.into_values() {
            removed += VersionedTree::new(tree, Arc::clone(&ver)).sweep_deleted()?;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ese_core::Pgno;
    use proptest::prelude::*;

    /// Keys that often share their first eight bytes, differ only past them, or end inside
    /// them, so the head comparison ties and the whole-key comparison decides.
    fn key() -> impl Strategy<Value = Vec<u8>> {
        (5usize..10, proptest::collection::vec(0u8..2, 0..4)).prop_map(|(lead, tail)| {
            let mut k = vec![b'k'; lead];
            k.extend(tail);
            k
        })
    }

    proptest! {
        /// The cleanup order is what sorting (tree, key) stably and keeping the first of each
        /// gives.
        #[test]
        fn cleanup_order_is_a_stable_sort_by_tree_and_key_keeping_first_releases(
            nodes in proptest::collection::vec((0u32..3, 0u32..3, key(), 0u32..100), 0..600)
        ) {
            let mut released = Released::default();
            for (db, objid, key, leaf) in &nodes {
                released.push(ObjId::new(DbId(*db), *objid), key, Pgno(*leaf));
            }
            let got: Vec<(ObjId, Vec<u8>, Pgno)> = cleanup_order(&released)
                .iter()
                .map(|o| {
                    let n = released.nodes()[o.at];
                    (n.obj, released.key(&n).to_vec(), n.leaf)
                })
                .collect();
            let mut want: Vec<(ObjId, Vec<u8>, Pgno)> = nodes
                .iter()
                .map(|(db, objid, key, leaf)| (ObjId::new(DbId(*db), *objid), key.clone(), Pgno(*leaf)))
                .collect();
            want.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            want.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
            prop_assert_eq!(got, want);
        }

        /// The radix sort is a stable sort by (tree, head), at any size: digits that vary,
        /// digits that all entries share, trees and heads that differ only in high bytes.
        #[test]
        fn radix_sort_is_a_stable_sort_by_tree_and_head(
            entries in proptest::collection::vec(
                (0u64..3, 0u64..3, any::<u8>(), 0u64..4), 0..400)
        ) {
            let order: Vec<CleanupOrder> = entries
                .iter()
                .enumerate()
                .map(|(at, &(tree, high, low, mid))| CleanupOrder {
                    tree: tree << 40 | tree,
                    head: high << 56 | mid << 24 | u64::from(low),
                    at,
                })
                .collect();
            let mut got = order.clone();
            radix_sort(&mut got);
            let mut want = order;
            want.sort_by_key(|o| (o.tree, o.head));
            let key = |o: &CleanupOrder| (o.tree, o.head, o.at);
            prop_assert_eq!(
                got.iter().map(key).collect::<Vec<_>>(),
                want.iter().map(key).collect::<Vec<_>>()
            );
        }
    }
}
