//! Reading a tree: seeks, cursors, bookmarks, approximate positions and range counts (ESE's
//! DIR/BT read paths).
//!
//! A [`Cursor`] holds no latch between calls. It keeps a copy of the leaf it stands on,
//! taken together with that page's dbtime; the next move reads the page's dbtime again and,
//! when it is unchanged, steps through the copy. When the page has changed (or was freed,
//! which stamps it), the cursor seeks again from its current key, its bookmark. Flag-deleted
//! nodes are invisible here: every move skips them.
//!
//! The layer above reads through the `_with` moves instead ([`Cursor::first_with`] and its
//! siblings): each takes a [`Resolve`] closure that is shown every node the move passes, flags
//! included, and says what the caller sees of it (its data, or `None` to skip it). The closure
//! runs while the database's read lock is held, so a node and the answer about it belong to the
//! same moment. A cursor either borrows its tree ([`BTree::cursor`]) or owns a clone of it
//! ([`BTree::into_cursor`]).

use std::borrow::Cow;
use std::ops::Bound;
use std::sync::Arc;

use ese_core::{Dbtime, Pgno};

use crate::error::{Result, corrupt};
use crate::node::{Node, NodeFlags};
use crate::redo::page_dbtime;
use crate::tree::{BTree, MAX_DEPTH};

/// How [`Cursor::seek`] compares keys (ESE's JET_bitSeekEQ, LT, LE, GE, GT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeekOp {
    /// The key itself.
    Eq,
    /// The greatest key below.
    Lt,
    /// The key, or the greatest key below.
    Le,
    /// The key, or the least key above.
    Ge,
    /// The least key above.
    Gt,
}

/// A record as the tree returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The key.
    pub key: Vec<u8>,
    /// The data.
    pub data: Vec<u8>,
}

/// A copy of one leaf, valid while the page's dbtime is unchanged.
#[derive(Clone, Debug)]
struct LeafSnap {
    pgno: Pgno,
    dbtime: Dbtime,
    prev: Pgno,
    next: Pgno,
    nodes: Vec<Node>,
}

/// What a caller sees of a node a cursor passes: its data, or `None` to skip it. Called with
/// the database's read lock held.
pub type Resolve<'r> = &'r mut dyn FnMut(&Node) -> Option<Vec<u8>>;

/// The plain reading: a live node's data; flag-deleted nodes are skipped.
fn live(n: &Node) -> Option<Vec<u8>> {
    (!n.flags.contains(NodeFlags::DELETED)).then(|| n.payload.clone())
}

/// A position in a tree (ESE's FUCB seen from the B-tree).
#[derive(Debug)]
pub struct Cursor<'t> {
    tree: Cow<'t, BTree>,
    leaf: Option<LeafSnap>,
    index: usize,
    current: Option<Entry>,
}

impl BTree {
    /// A cursor on this tree, on no record.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor {
            tree: Cow::Borrowed(self),
            leaf: None,
            index: 0,
            current: None,
        }
    }

    /// A cursor that owns this tree (a clone shares the database), on no record.
    pub fn into_cursor(self) -> Cursor<'static> {
        Cursor {
            tree: Cow::Owned(self),
            leaf: None,
            index: 0,
            current: None,
        }
    }

    /// Reads the node with `key`, flags included, and hands it (or `None`) to `resolve`
    /// while the database's read lock is held; returns what `resolve` returns.
    pub fn get_with<T>(&self, key: &[u8], resolve: impl FnOnce(Option<&Node>) -> T) -> Result<T> {
        let _r = self.db.lock.read();
        let node = self.node_unlatched(key)?;
        Ok(resolve(node.as_ref()))
    }

    /// The data of the live record with `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let _r = self.db.lock.read();
        let (_, leaf) = self.descend(key)?;
        let page = self.db.cache().read(self.db.id(), leaf)?;
        let tp = self.tree_page(&page, leaf)?;
        let (i, found) = tp.lower_bound(key)?;
        if !found {
            return Ok(None);
        }
        let n = tp.node(i)?;
        Ok(n.is_live().then(|| n.payload.to_vec()))
    }

    /// The record `op` finds for `key`.
    pub fn seek(&self, key: &[u8], op: SeekOp) -> Result<Option<Entry>> {
        self.cursor().seek(key, op)
    }

    fn load_leaf(&self, pgno: Pgno) -> Result<LeafSnap> {
        let page = self.db.cache().read(self.db.id(), pgno)?;
        let tp = self.tree_page(&page, pgno)?;
        if !tp.is_leaf() {
            return corrupt(pgno, "a leaf-level link leads to an internal page");
        }
        let h = tp.view.header();
        Ok(LeafSnap {
            pgno,
            dbtime: h.dbtime,
            prev: h.prev,
            next: h.next,
            nodes: tp.nodes()?,
        })
    }

    /// The leftmost (or rightmost) leaf.
    fn edge_leaf(&self, rightmost: bool) -> Result<Pgno> {
        let mut pgno = self.root;
        for _ in 0..=MAX_DEPTH {
            let page = self.db.cache().read(self.db.id(), pgno)?;
            let tp = self.tree_page(&page, pgno)?;
            if tp.is_leaf() {
                return Ok(pgno);
            }
            if tp.count() == 0 {
                return corrupt(pgno, "an internal page has no nodes");
            }
            let i = if rightmost { tp.count() - 1 } else { 0 };
            pgno = tp.node(i)?.child();
        }
        corrupt(pgno, "the tree is deeper than the depth limit (a cycle?)")
    }

    /// The number of live records with keys between `lo` and `hi` (ESE's
    /// JetIndexRecordCount over a key range), counted exactly.
    pub fn count_range(&self, lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> Result<u64> {
        let mut c = self.cursor();
        let mut e = match lo {
            Bound::Included(k) => c.seek(k, SeekOp::Ge)?,
            Bound::Excluded(k) => c.seek(k, SeekOp::Gt)?,
            Bound::Unbounded => c.first()?,
        };
        let mut n = 0u64;
        while let Some(entry) = e {
            let inside = match hi {
                Bound::Included(k) => entry.key.as_slice() <= k,
                Bound::Excluded(k) => entry.key.as_slice() < k,
                Bound::Unbounded => true,
            };
            if !inside {
                break;
            }
            n += 1;
            e = c.move_next()?;
        }
        Ok(n)
    }

    /// Where `key` lies in the tree, as a fraction from 0 (first) to 1 (past the last), from
    /// the node counts on the way down (ESE's approximate position, JetGetRecordPosition).
    pub fn approximate_position(&self, key: &[u8]) -> Result<f64> {
        let _r = self.db.lock.read();
        let mut pgno = self.root;
        let (mut frac, mut width) = (0.0f64, 1.0f64);
        for _ in 0..=MAX_DEPTH {
            let page = self.db.cache().read(self.db.id(), pgno)?;
            let tp = self.tree_page(&page, pgno)?;
            let (i, _) = tp.lower_bound(key)?;
            let count = tp.count().max(1) as f64;
            if tp.is_leaf() {
                return Ok((frac + width * (i as f64) / count).clamp(0.0, 1.0));
            }
            if i >= tp.count() {
                return corrupt(pgno, "an internal page does not end with its INF node");
            }
            frac += width * (i as f64) / count;
            width /= count;
            pgno = tp.node(i)?.child();
        }
        corrupt(pgno, "the tree is deeper than the depth limit (a cycle?)")
    }
}

impl<'t> Cursor<'t> {
    /// The tree the cursor reads.
    pub fn tree(&self) -> &BTree {
        &self.tree
    }

    /// The record the cursor is on.
    pub fn entry(&self) -> Option<&Entry> {
        self.current.as_ref()
    }

    /// Forgets the position: the next [`Cursor::move_next`] goes to the first record.
    pub fn reset(&mut self) {
        self.clear();
    }

    /// The bookmark of the current record: its key, unique in the tree (ESE's
    /// JetGetBookmark).
    pub fn bookmark(&self) -> Option<Vec<u8>> {
        self.current.as_ref().map(|e| e.key.clone())
    }

    /// Moves to the record with bookmark `bookmark` (ESE's JetGotoBookmark).
    pub fn goto_bookmark(&mut self, bookmark: &[u8]) -> Result<Option<Entry>> {
        self.seek(bookmark, SeekOp::Eq)
    }

    fn set(&mut self, snap: LeafSnap, i: usize, data: Vec<u8>) -> Option<Entry> {
        let e = Entry {
            key: snap.nodes[i].key.clone(),
            data,
        };
        self.leaf = Some(snap);
        self.index = i;
        self.current = Some(e.clone());
        Some(e)
    }

    fn clear(&mut self) -> Option<Entry> {
        self.leaf = None;
        self.current = None;
        None
    }

    fn bound(&self) -> u64 {
        u64::from(self.tree.db.page_count()) + 1
    }

    /// The first node `resolve` accepts at or after `start` on `snap`'s level.
    fn forward(
        &mut self,
        mut snap: LeafSnap,
        mut start: usize,
        resolve: Resolve<'_>,
    ) -> Result<Option<Entry>> {
        for _ in 0..self.bound() {
            if let Some((i, data)) =
                (start..snap.nodes.len()).find_map(|i| resolve(&snap.nodes[i]).map(|d| (i, d)))
            {
                return Ok(self.set(snap, i, data));
            }
            if snap.next.is_null() {
                return Ok(self.clear());
            }
            let from = snap.pgno;
            snap = self.tree.load_leaf(snap.next)?;
            if snap.prev != from {
                return corrupt(snap.pgno, "a leaf's prev link does not match its neighbour");
            }
            start = 0;
        }
        corrupt(
            snap.pgno,
            "a leaf chain is longer than the database (a cycle?)",
        )
    }

    /// The last node `resolve` accepts before `end` on `snap`'s level.
    fn backward(
        &mut self,
        mut snap: LeafSnap,
        mut end: usize,
        resolve: Resolve<'_>,
    ) -> Result<Option<Entry>> {
        for _ in 0..self.bound() {
            if let Some((i, data)) = (0..end.min(snap.nodes.len()))
                .rev()
                .find_map(|i| resolve(&snap.nodes[i]).map(|d| (i, d)))
            {
                return Ok(self.set(snap, i, data));
            }
            if snap.prev.is_null() {
                return Ok(self.clear());
            }
            let from = snap.pgno;
            snap = self.tree.load_leaf(snap.prev)?;
            if snap.next != from {
                return corrupt(snap.pgno, "a leaf's next link does not match its neighbour");
            }
            end = snap.nodes.len();
        }
        corrupt(
            snap.pgno,
            "a leaf chain is longer than the database (a cycle?)",
        )
    }

    /// Moves to the first record (ESE's JetMove JET_MoveFirst).
    pub fn first(&mut self) -> Result<Option<Entry>> {
        self.first_with(&mut live)
    }

    /// Moves to the first node `resolve` accepts.
    pub fn first_with(&mut self, resolve: Resolve<'_>) -> Result<Option<Entry>> {
        let db = Arc::clone(&self.tree.db);
        let _r = db.lock.read();
        self.first_locked(resolve)
    }

    fn first_locked(&mut self, resolve: Resolve<'_>) -> Result<Option<Entry>> {
        let leaf = self.tree.edge_leaf(false)?;
        let snap = self.tree.load_leaf(leaf)?;
        self.forward(snap, 0, resolve)
    }

    /// Moves to the last record (ESE's JetMove JET_MoveLast).
    pub fn last(&mut self) -> Result<Option<Entry>> {
        self.last_with(&mut live)
    }

    /// Moves to the last node `resolve` accepts.
    pub fn last_with(&mut self, resolve: Resolve<'_>) -> Result<Option<Entry>> {
        let db = Arc::clone(&self.tree.db);
        let _r = db.lock.read();
        self.last_locked(resolve)
    }

    fn last_locked(&mut self, resolve: Resolve<'_>) -> Result<Option<Entry>> {
        let leaf = self.tree.edge_leaf(true)?;
        let snap = self.tree.load_leaf(leaf)?;
        let end = snap.nodes.len();
        self.backward(snap, end, resolve)
    }

    /// Moves to the record `op` finds for `key` (ESE's JetSeek); on `None` the cursor is on
    /// no record.
    pub fn seek(&mut self, key: &[u8], op: SeekOp) -> Result<Option<Entry>> {
        self.seek_with(key, op, &mut live)
    }

    /// Moves to the node `op` finds for `key` among those `resolve` accepts; on `None` the
    /// cursor is on no record.
    pub fn seek_with(
        &mut self,
        key: &[u8],
        op: SeekOp,
        resolve: Resolve<'_>,
    ) -> Result<Option<Entry>> {
        let db = Arc::clone(&self.tree.db);
        let _r = db.lock.read();
        self.seek_locked(key, op, resolve)
    }

    fn seek_locked(
        &mut self,
        key: &[u8],
        op: SeekOp,
        resolve: Resolve<'_>,
    ) -> Result<Option<Entry>> {
        let (_, leaf) = self.tree.descend(key)?;
        let snap = self.tree.load_leaf(leaf)?;
        let i = snap.nodes.partition_point(|n| n.key.as_slice() < key);
        let equal = snap.nodes.get(i).is_some_and(|n| n.key == key);
        let found = if equal {
            snap.nodes.get(i).and_then(&mut *resolve)
        } else {
            None
        };
        match op {
            SeekOp::Eq => match found {
                Some(data) => Ok(self.set(snap, i, data)),
                None => Ok(self.clear()),
            },
            SeekOp::Ge => match found {
                Some(data) => Ok(self.set(snap, i, data)),
                None => self.forward(snap, i + usize::from(equal), resolve),
            },
            SeekOp::Gt => self.forward(snap, i + usize::from(equal), resolve),
            SeekOp::Le => match found {
                Some(data) => Ok(self.set(snap, i, data)),
                None => self.backward(snap, i, resolve),
            },
            SeekOp::Lt => self.backward(snap, i, resolve),
        }
    }

    /// Whether the copy of the current leaf still matches the page.
    fn snap_valid(&self) -> Result<bool> {
        let Some(snap) = &self.leaf else {
            return Ok(false);
        };
        let page = self.tree.db.cache().read(self.tree.db.id(), snap.pgno)?;
        Ok(page_dbtime(&page) == snap.dbtime)
    }

    /// Moves to the next record (ESE's JetMove JET_MoveNext); from no record, to the first.
    pub fn move_next(&mut self) -> Result<Option<Entry>> {
        self.next_with(&mut live)
    }

    /// Moves to the next node `resolve` accepts; from no record, to the first.
    pub fn next_with(&mut self, resolve: Resolve<'_>) -> Result<Option<Entry>> {
        let db = Arc::clone(&self.tree.db);
        let _r = db.lock.read();
        let Some(cur) = self.current.as_ref().map(|e| e.key.clone()) else {
            return self.first_locked(resolve);
        };
        if self.snap_valid()?
            && let Some(snap) = self.leaf.take()
        {
            let start = self.index + 1;
            return self.forward(snap, start, resolve);
        }
        self.seek_locked(&cur, SeekOp::Gt, resolve)
    }

    /// Moves to the previous record (ESE's JetMove JET_MovePrevious); from no record, to the
    /// last.
    pub fn move_prev(&mut self) -> Result<Option<Entry>> {
        self.prev_with(&mut live)
    }

    /// Moves to the previous node `resolve` accepts; from no record, to the last.
    pub fn prev_with(&mut self, resolve: Resolve<'_>) -> Result<Option<Entry>> {
        let db = Arc::clone(&self.tree.db);
        let _r = db.lock.read();
        let Some(cur) = self.current.as_ref().map(|e| e.key.clone()) else {
            return self.last_locked(resolve);
        };
        if self.snap_valid()?
            && let Some(snap) = self.leaf.take()
        {
            let end = self.index;
            return self.backward(snap, end, resolve);
        }
        self.seek_locked(&cur, SeekOp::Lt, resolve)
    }

    /// Moves to the record at about `fraction` (0 to 1) of the tree, by node counts on the
    /// way down (ESE's JetGotoPosition); `None` only when the tree is empty.
    pub fn goto_position(&mut self, fraction: f64) -> Result<Option<Entry>> {
        let db = Arc::clone(&self.tree.db);
        let _r = db.lock.read();
        let mut f = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let mut pgno = self.tree.root;
        for _ in 0..=MAX_DEPTH {
            let page = self.tree.db.cache().read(self.tree.db.id(), pgno)?;
            let tp = self.tree.tree_page(&page, pgno)?;
            let count = tp.count();
            let scaled = f * count as f64;
            let i = (scaled.floor() as usize).min(count.saturating_sub(1));
            f = (scaled - i as f64).clamp(0.0, 1.0);
            if tp.is_leaf() {
                drop(page);
                let snap = self.tree.load_leaf(pgno)?;
                if let Some(e) = self.forward(snap.clone(), i, &mut live)? {
                    return Ok(Some(e));
                }
                return self.backward(snap, i, &mut live);
            }
            if count == 0 {
                return corrupt(pgno, "an internal page has no nodes");
            }
            pgno = tp.node(i)?.child();
        }
        corrupt(pgno, "the tree is deeper than the depth limit (a cycle?)")
    }
}
