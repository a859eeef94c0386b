//! Reading a tree: seeks, cursors, bookmarks, approximate positions and range counts (ESE's
//! DIR/BT read paths).
//!
//! A [`Cursor`] holds no latch between calls. It remembers the leaf it stands on, that
//! page's dbtime and its node index there; the next move reads the page again and, when its
//! dbtime is unchanged (every change stamps a new one, and so does freeing the page), steps on
//! from that index. When the page has changed, the cursor seeks again from its current key,
//! its bookmark. A move reads the nodes in place, under the page's read latch for the length
//! of the call, and decodes only the nodes it passes. Flag-deleted nodes are invisible here:
//! every move skips them.
//!
//! The layer above reads through the `_with` moves instead ([`Cursor::first_with`] and its
//! siblings): each takes a [`Resolve`] closure that is shown every node the move passes, flags
//! included, and says what the caller sees of it (its data, or `None` to skip it). The closure
//! runs while the database's read lock is held, so a node and the answer about it belong to the
//! same moment. A cursor either borrows its tree ([`BTree::cursor`]) or owns a clone of it
//! ([`BTree::into_cursor`]).
//!
//! A cursor also says where its record's node is ([`Cursor::node_hint`]): a change or read of
//! that record given the [`NodeHint`] ([`BTree::delete_at_latched_with`],
//! [`BTree::get_at_with`]) goes straight to the leaf when it still holds the key, and descends
//! otherwise, as a move re-reads its leaf when the dbtime is unchanged and seeks otherwise.

use std::borrow::Cow;
use std::ops::Bound;
use std::sync::Arc;

use std::cell::{Cell, RefCell};

use ese_cache::{FrameHint, PageRef};
use ese_core::{Dbtime, Pgno};

use crate::db::{Database, kept_search_index};
use crate::error::{Result, corrupt};
use crate::node::{Node, NodeFlags, PageShape, SearchIndex, TreePage};
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

/// The leaf a cursor stands on as it last read it; a position on it holds while the page's
/// dbtime is unchanged.
#[derive(Clone, Copy, Debug)]
struct LeafSnap {
    pgno: Pgno,
    dbtime: Dbtime,
    prev: Pgno,
    next: Pgno,
    /// Where the cache held the leaf, so the next move re-latches it without a look-up.
    hint: FrameHint,
    /// The leaf's layout, so the next move reads it without parsing it again while its
    /// dbtime is unchanged.
    shape: PageShape,
}

impl LeafSnap {
    fn of(tp: &TreePage<'_>, hint: FrameHint) -> LeafSnap {
        LeafSnap {
            pgno: tp.pgno,
            dbtime: tp.view.dbtime(),
            prev: tp.view.prev(),
            next: tp.view.next(),
            hint,
            shape: tp.shape(),
        }
    }
}

/// Where a node was found: its tree, its leaf with the leaf's dbtime then, the frame that held
/// the leaf, and its index there. A change or read of the node's key given one goes to that
/// leaf without a descent when the leaf, read again, is still a leaf of the tree that holds
/// the key (at the same index when the dbtime is unchanged), and descends otherwise: a hint
/// is only ever a guess, never trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeHint {
    pub(crate) db: ese_core::DbId,
    pub(crate) objid: u32,
    pub(crate) pgno: Pgno,
    pub(crate) dbtime: Dbtime,
    pub(crate) frame: FrameHint,
    pub(crate) index: usize,
}

impl NodeHint {
    /// A hint that names only leaf `pgno` of tree `objid` in database `db` (no dbtime, no
    /// frame): the node is looked for on that page.
    pub fn leaf(db: ese_core::DbId, objid: u32, pgno: Pgno) -> NodeHint {
        NodeHint {
            db,
            objid,
            pgno,
            dbtime: Dbtime::NIL,
            frame: FrameHint::NONE,
            index: usize::MAX,
        }
    }

    /// The leaf the node was on.
    pub fn pgno(&self) -> Pgno {
        self.pgno
    }
}

/// What a caller sees of a node a cursor passes: its data, or `None` to skip it. Called with
/// the database's read lock held.
pub type Resolve<'r> = &'r mut dyn FnMut(&Node) -> Option<Vec<u8>>;

/// What a caller sees of a node a cursor passes, decided in place: `true` to stop on it, after
/// rewriting its payload to the data the caller sees if that differs; `false` to skip it.
/// Called with the database's read lock held, on a copy of the node the cursor owns (its
/// buffers are reused from move to move, so a move allocates nothing).
pub type ResolveInPlace<'r> = &'r mut dyn FnMut(&mut Node) -> bool;

/// The plain reading: a live node's data; flag-deleted nodes are skipped.
fn live(n: &mut Node) -> bool {
    !n.flags.contains(NodeFlags::DELETED)
}

/// `resolve` as an in-place reading: the data it returns replaces the node's payload.
fn in_place<'r>(resolve: Resolve<'r>) -> impl FnMut(&mut Node) -> bool + 'r {
    move |n: &mut Node| match resolve(n) {
        Some(data) => {
            n.payload = data;
            true
        }
        None => false,
    }
}

/// A position in a tree (ESE's FUCB seen from the B-tree).
#[derive(Debug)]
pub struct Cursor<'t> {
    tree: Cow<'t, BTree>,
    leaf: Option<LeafSnap>,
    index: usize,
    current: Option<Entry>,
    /// The node a move shows its resolve closure, its buffers reused from node to node.
    scratch: Node,
    /// Where the cache held the root when a seek last read it (every seek starts there).
    root_hint: Cell<FrameHint>,
    /// The search indexes of internal pages this cursor's seeks passed, for seeks that pass
    /// them again under the same tree-lock epoch (built at the first seek).
    kept: RefCell<Option<Box<KeptLevels>>>,
    /// Whether the cursor has sought before (from then on its seeks keep pages).
    sought: bool,
}

/// How many internal pages' indexes a cursor keeps: the root and the next level of a tree
/// of a few hundred thousand rows.
const KEPT_LEVELS: usize = 64;

/// One kept internal page: its index, current while the tree lock's epoch is `epoch`.
#[derive(Debug, Default)]
struct KeptLevel {
    pgno: Pgno,
    epoch: u64,
    index: Option<Arc<SearchIndex>>,
}

/// Internal pages' search indexes a cursor keeps, by page number (one slot per number modulo
/// [`KEPT_LEVELS`]).
///
/// Under the tree lock held shared no page changes, and every writer advances the lock's
/// epoch before it changes one ([`crate::latch::TreeLock::epoch`]). An index the cache kept
/// beside a page was built from the page's bytes as they were then, so while the epoch is
/// the one it was taken under it still describes the page as it is, on disk or in the cache,
/// even after the cache let the page go. A seek then passes that page from the index alone:
/// it takes no latch of the page and writes nothing another thread reads, which is what a
/// seek on another core, starting from the same root, would otherwise have to wait for.
#[derive(Debug)]
struct KeptLevels {
    slots: [KeptLevel; KEPT_LEVELS],
}

impl KeptLevels {
    fn new() -> Box<KeptLevels> {
        Box::new(KeptLevels {
            slots: std::array::from_fn(|_| KeptLevel::default()),
        })
    }

    /// The index of page `pgno` kept under `epoch`.
    #[inline]
    fn get(&self, pgno: Pgno, epoch: u64) -> Option<&SearchIndex> {
        let slot = self.slots.get(pgno.0 as usize % KEPT_LEVELS)?;
        if slot.pgno != pgno || slot.epoch != epoch {
            return None;
        }
        slot.index.as_deref()
    }

    /// Keeps `index`, the cache's index of internal page `pgno` under `epoch`.
    #[inline]
    fn keep(&mut self, pgno: Pgno, epoch: u64, index: &Arc<SearchIndex>) {
        let Some(slot) = self.slots.get_mut(pgno.0 as usize % KEPT_LEVELS) else {
            return;
        };
        let same = slot.pgno == pgno
            && slot.epoch == epoch
            && slot.index.as_ref().is_some_and(|i| Arc::ptr_eq(i, index));
        if !same {
            *slot = KeptLevel {
                pgno,
                epoch,
                index: Some(Arc::clone(index)),
            };
        }
    }

    /// Where a descent for `key` from `root` of object `objid` leaves the pages kept under
    /// `epoch`: the first page it would read whose index is not kept (or cannot settle the
    /// key without the page's bytes). A descent from there reads what one from the root
    /// would.
    fn walk(&self, root: Pgno, objid: u32, epoch: u64, key: &[u8]) -> Pgno {
        let mut pgno = root;
        for _ in 0..MAX_DEPTH {
            let Some(index) = self.get(pgno, epoch) else {
                break;
            };
            if !index.is_of(objid, pgno) {
                break;
            }
            let Some(child) = index
                .lower_bound_by_words(key)
                .and_then(|(i, _)| index.child(i))
            else {
                break;
            };
            pgno = child;
        }
        pgno
    }
}

fn empty_node() -> Node {
    Node {
        flags: NodeFlags::NONE,
        key: Vec::new(),
        payload: Vec::new(),
    }
}

/// Where a move that stepped along the cursor's own leaf ended ([`Cursor::step_on_leaf`]).
enum OnLeaf {
    /// On a node `resolve` accepted: the cursor stands on it.
    Found,
    /// Past the leaf's last (or first) node: the move goes on from the leaf's neighbour.
    Passed {
        /// The leaf that was walked.
        pgno: Pgno,
        /// Its neighbour the move's way.
        beside: Pgno,
    },
    /// The leaf no longer reads by the cursor's layout of it: the move parses it.
    Unknown,
}

/// Decodes node `i` of `tp` into `scratch` and asks `resolve` whether the caller sees it.
#[inline]
fn visit(
    tp: &TreePage<'_>,
    i: usize,
    scratch: &mut Node,
    resolve: ResolveInPlace<'_>,
) -> Result<bool> {
    tp.node(i)?.copy_into(scratch);
    Ok(resolve(scratch))
}

impl BTree {
    /// A cursor on this tree, on no record.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor {
            tree: Cow::Borrowed(self),
            leaf: None,
            index: 0,
            current: None,
            scratch: empty_node(),
            root_hint: Cell::new(FrameHint::NONE),
            kept: RefCell::new(None),
            sought: false,
        }
    }

    /// A cursor that owns this tree (a clone shares the database), on no record.
    pub fn into_cursor(self) -> Cursor<'static> {
        Cursor {
            tree: Cow::Owned(self),
            leaf: None,
            index: 0,
            current: None,
            scratch: empty_node(),
            root_hint: Cell::new(FrameHint::NONE),
            kept: RefCell::new(None),
            sought: false,
        }
    }

    /// Reads the node with `key`, flags included, and hands it (or `None`) to `resolve`
    /// while the database's read lock is held; returns what `resolve` returns.
    pub fn get_with<T>(&self, key: &[u8], resolve: impl FnOnce(Option<&Node>) -> T) -> Result<T> {
        let _r = self.db.lock.read();
        let node = self.node_unlatched(key)?;
        Ok(resolve(node.as_ref()))
    }

    /// [`BTree::get_with`] through `hint`, where a cursor found the node: read on the hinted
    /// leaf without a descent when that page still holds `key` (see [`NodeHint`]), else by a
    /// descent.
    pub fn get_at_with<T>(
        &self,
        key: &[u8],
        hint: Option<&NodeHint>,
        resolve: impl FnOnce(Option<&Node>) -> T,
    ) -> Result<T> {
        let _r = self.db.lock.read();
        let hinted = hint.and_then(|h| self.locate_hinted(key, h));
        let node = match hinted {
            Some((_, _, n)) => Some(n),
            None => self.node_unlatched(key)?,
        };
        Ok(resolve(node.as_ref()))
    }

    /// The data of the live record with `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let _r = self.db.lock.read();
        // Under the read lock no call is in progress, so the cache holds every page as is.
        let (leaf, page) =
            self.descend_with(key, None, |p| Ok(self.db.cache().read(self.db.id(), p)?))?;
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

    /// `page` read as a leaf of this tree.
    fn leaf_page<'a>(&self, page: &'a PageRef<'_>) -> Result<TreePage<'a>> {
        let tp = self.tree_page(page, page.pgno())?;
        if !tp.is_leaf() {
            return corrupt(tp.pgno, "a leaf-level link leads to an internal page");
        }
        Ok(tp)
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

    /// Where the current record's node is, for a change or read of it without a descent
    /// ([`NodeHint`]); `None` on no record.
    pub fn node_hint(&self) -> Option<NodeHint> {
        let snap = self.leaf.as_ref()?;
        self.current.as_ref()?;
        Some(NodeHint {
            db: self.tree.db.id(),
            objid: self.tree.objid,
            pgno: snap.pgno,
            dbtime: snap.dbtime,
            frame: snap.hint,
            index: self.index,
        })
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

    /// Stops on the node in `scratch`, node `index` of the leaf `snap`: its key and data
    /// become the current entry, and the entry's old buffers become the scratch node's.
    fn settle(&mut self, snap: LeafSnap, index: usize) -> bool {
        self.leaf = Some(snap);
        self.stand(index)
    }

    /// [`Cursor::settle`] on the leaf the cursor's snapshot already describes.
    fn stand(&mut self, index: usize) -> bool {
        self.index = index;
        let cur = self.current.get_or_insert_with(|| Entry {
            key: Vec::new(),
            data: Vec::new(),
        });
        std::mem::swap(&mut cur.key, &mut self.scratch.key);
        std::mem::swap(&mut cur.data, &mut self.scratch.payload);
        true
    }

    fn clear(&mut self) -> bool {
        self.leaf = None;
        self.current = None;
        false
    }

    /// A copy of the entry a move stopped on (`found`), for the moves that return one.
    fn found(&self, found: bool) -> Option<Entry> {
        if found { self.current.clone() } else { None }
    }

    fn bound(&self) -> u64 {
        u64::from(self.tree.db.page_count()) + 1
    }

    /// `page` read as a leaf, with its snapshot.
    #[inline]
    fn leaf_view<'p>(&self, page: &'p PageRef<'_>) -> Result<(TreePage<'p>, LeafSnap)> {
        let tp = self.tree.leaf_page(page)?;
        let snap = LeafSnap::of(&tp, page.hint());
        Ok((tp, snap))
    }

    /// The first node `resolve` accepts at or after `start` on `page`'s level.
    ///
    /// `from` is the leaf the move came from, when it left one already: `page`'s prev link
    /// must name it.
    fn forward<'d>(
        &mut self,
        db: &'d Database,
        mut page: PageRef<'d>,
        mut start: usize,
        mut from: Option<Pgno>,
        resolve: ResolveInPlace<'_>,
    ) -> Result<bool> {
        let (mut hops, mut bound) = (u64::from(from.is_some()), None);
        loop {
            let (tp, snap) = self.leaf_view(&page)?;
            if let Some(from) = from
                && snap.prev != from
            {
                return corrupt(snap.pgno, "a leaf's prev link does not match its neighbour");
            }
            for i in start..tp.count() {
                if visit(&tp, i, &mut self.scratch, resolve)? {
                    return Ok(self.settle(snap, i));
                }
            }
            if snap.next.is_null() {
                return Ok(self.clear());
            }
            hops += 1;
            // The chain's bound (the database's size) is read only when a move leaves its page.
            if hops >= *bound.get_or_insert_with(|| self.bound()) {
                break;
            }
            drop(page);
            page = db.cache().read(db.id(), snap.next)?;
            from = Some(snap.pgno);
            start = 0;
        }
        corrupt(
            page.pgno(),
            "a leaf chain is longer than the database (a cycle?)",
        )
    }

    /// The last node `resolve` accepts before `end` on `page`'s level.
    ///
    /// `from` is the leaf the move came from, when it left one already: `page`'s next link
    /// must name it.
    fn backward<'d>(
        &mut self,
        db: &'d Database,
        mut page: PageRef<'d>,
        mut end: usize,
        mut from: Option<Pgno>,
        resolve: ResolveInPlace<'_>,
    ) -> Result<bool> {
        let (mut hops, mut bound) = (u64::from(from.is_some()), None);
        loop {
            let (tp, snap) = self.leaf_view(&page)?;
            if let Some(from) = from
                && snap.next != from
            {
                return corrupt(snap.pgno, "a leaf's next link does not match its neighbour");
            }
            for i in (0..end.min(tp.count())).rev() {
                if visit(&tp, i, &mut self.scratch, resolve)? {
                    return Ok(self.settle(snap, i));
                }
            }
            if snap.prev.is_null() {
                return Ok(self.clear());
            }
            hops += 1;
            // The chain's bound (the database's size) is read only when a move leaves its page.
            if hops >= *bound.get_or_insert_with(|| self.bound()) {
                break;
            }
            drop(page);
            page = db.cache().read(db.id(), snap.prev)?;
            from = Some(snap.pgno);
            end = usize::MAX;
        }
        corrupt(
            page.pgno(),
            "a leaf chain is longer than the database (a cycle?)",
        )
    }

    /// Moves to the first record (ESE's JetMove JET_MoveFirst).
    pub fn first(&mut self) -> Result<Option<Entry>> {
        let found = self.first_in_place(&mut live)?;
        Ok(self.found(found))
    }

    /// Moves to the first node `resolve` accepts.
    pub fn first_with(&mut self, resolve: Resolve<'_>) -> Result<Option<Entry>> {
        let found = self.first_in_place(&mut in_place(resolve))?;
        Ok(self.found(found))
    }

    /// Moves to the first node `resolve` accepts; whether there is one. The cursor's
    /// [`Cursor::entry`] is then what `resolve` left of it.
    pub fn first_in_place(&mut self, resolve: ResolveInPlace<'_>) -> Result<bool> {
        let db = Arc::clone(&self.tree.db);
        let _r = db.lock.read();
        self.first_locked(&db, resolve)
    }

    fn first_locked(&mut self, db: &Database, resolve: ResolveInPlace<'_>) -> Result<bool> {
        let leaf = self.tree.edge_leaf(false)?;
        let page = db.cache().read(db.id(), leaf)?;
        self.forward(db, page, 0, None, resolve)
    }

    /// Moves to the last record (ESE's JetMove JET_MoveLast).
    pub fn last(&mut self) -> Result<Option<Entry>> {
        let found = self.last_in_place(&mut live)?;
        Ok(self.found(found))
    }

    /// Moves to the last node `resolve` accepts.
    pub fn last_with(&mut self, resolve: Resolve<'_>) -> Result<Option<Entry>> {
        let found = self.last_in_place(&mut in_place(resolve))?;
        Ok(self.found(found))
    }

    /// Moves to the last node `resolve` accepts; whether there is one.
    pub fn last_in_place(&mut self, resolve: ResolveInPlace<'_>) -> Result<bool> {
        let db = Arc::clone(&self.tree.db);
        let _r = db.lock.read();
        self.last_locked(&db, resolve)
    }

    fn last_locked(&mut self, db: &Database, resolve: ResolveInPlace<'_>) -> Result<bool> {
        let leaf = self.tree.edge_leaf(true)?;
        let page = db.cache().read(db.id(), leaf)?;
        self.backward(db, page, usize::MAX, None, resolve)
    }

    /// Moves to the record `op` finds for `key` (ESE's JetSeek); on `None` the cursor is on
    /// no record.
    pub fn seek(&mut self, key: &[u8], op: SeekOp) -> Result<Option<Entry>> {
        let found = self.seek_in_place(key, op, &mut live)?;
        Ok(self.found(found))
    }

    /// Moves to the node `op` finds for `key` among those `resolve` accepts; on `None` the
    /// cursor is on no record.
    pub fn seek_with(
        &mut self,
        key: &[u8],
        op: SeekOp,
        resolve: Resolve<'_>,
    ) -> Result<Option<Entry>> {
        let found = self.seek_in_place(key, op, &mut in_place(resolve))?;
        Ok(self.found(found))
    }

    /// Moves to the node `op` finds for `key` among those `resolve` accepts; whether there is
    /// one (when not, the cursor is on no record).
    pub fn seek_in_place(
        &mut self,
        key: &[u8],
        op: SeekOp,
        resolve: ResolveInPlace<'_>,
    ) -> Result<bool> {
        let db = Arc::clone(&self.tree.db);
        let _r = db.lock.read();
        self.seek_locked(&db, key, op, resolve)
    }

    fn seek_locked(
        &mut self,
        db: &Database,
        key: &[u8],
        op: SeekOp,
        resolve: ResolveInPlace<'_>,
    ) -> Result<bool> {
        // Only the inclusive seeks can stop on the node equal to `key`.
        let inclusive = matches!(op, SeekOp::Eq | SeekOp::Ge | SeekOp::Le);
        // A cursor keeps pages from its second seek on: one made for a single seek (a
        // look-up, a range read) allocates nothing and shares no index.
        let keeping = std::mem::replace(&mut self.sought, true);
        let (scratch, leaf) = (&mut self.scratch, &mut self.leaf);
        let (root, root_hint, kept) = (self.tree.root, &self.root_hint, &self.kept);
        // The pages whose indexes this cursor kept under this epoch are passed without a
        // read; the descent starts at the first that is not.
        let epoch = db.lock.epoch();
        let start = match kept.borrow().as_deref() {
            Some(levels) => levels.walk(root, self.tree.objid, epoch, key),
            None => root,
        };
        // Under the read lock no call is in progress, so the cache holds every page as is.
        let read = |p: Pgno| -> Result<PageRef<'_>> {
            let page = if p != root {
                db.cache().read(db.id(), p)?
            } else {
                let page = db.cache().read_hinted(db.id(), p, root_hint.get())?;
                root_hint.set(page.hint());
                page
            };
            // An internal page's index, built by an earlier descent: kept for the next seeks.
            if keeping && let Some(index) = kept_search_index(&page) {
                kept.borrow_mut()
                    .get_or_insert_with(KeptLevels::new)
                    .keep(p, epoch, index);
            }
            Ok(page)
        };
        let (page, (i, equal, found)) = self.tree.descend_from(start, key, None, read, |tp| {
            let (i, equal) = tp.lower_bound(key)?;
            if !(equal && inclusive) {
                return Ok((i, equal, false));
            }
            // The node's key is `key`: copied from there in one piece, not from the page's
            // prefix and the node's suffix.
            let node = tp.node(i)?;
            scratch.flags = node.flags;
            scratch.key.clear();
            scratch.key.extend_from_slice(key);
            scratch.payload.clear();
            scratch.payload.extend_from_slice(node.payload);
            let found = resolve(scratch);
            if found {
                // Recorded here, where the leaf's header is at hand.
                *leaf = Some(LeafSnap::of(&tp, FrameHint::NONE));
            }
            Ok((i, equal, found))
        })?;
        if found {
            if let Some(snap) = self.leaf.as_mut() {
                snap.hint = page.hint();
            }
            return Ok(self.stand(i));
        }
        match op {
            SeekOp::Eq => Ok(self.clear()),
            SeekOp::Ge | SeekOp::Gt => {
                self.forward(db, page, i + usize::from(equal), None, resolve)
            }
            SeekOp::Le | SeekOp::Lt => self.backward(db, page, i, None, resolve),
        }
    }

    /// One move along the cursor's leaf `page`, unchanged since the cursor's snapshot of it
    /// (its dbtime is the one the snapshot holds): the nodes after the cursor's (`forward`) or
    /// before it are shown to `resolve` in turn, read by the snapshot's layout, and the cursor
    /// stops on the first it accepts. The snapshot itself is kept as it is (only the frame
    /// that held the leaf is updated), so a step costs the nodes it decodes and no more.
    /// Past the leaf's end, or when the leaf no longer fits the layout, the cursor holds no
    /// snapshot any more and the caller goes on (see [`OnLeaf`]); so it does on an error.
    #[inline(always)]
    fn step_on_leaf(
        &mut self,
        page: &PageRef<'_>,
        forward: bool,
        resolve: ResolveInPlace<'_>,
    ) -> Result<OnLeaf> {
        let Some(snap) = self.leaf.as_mut() else {
            return Ok(OnLeaf::Unknown);
        };
        let Some(tp) = TreePage::again(page, snap.pgno, &snap.shape) else {
            self.leaf = None;
            return Ok(OnLeaf::Unknown);
        };
        snap.hint = page.hint();
        let (pgno, beside) = (snap.pgno, if forward { snap.next } else { snap.prev });
        let count = tp.count();
        let mut i = self.index;
        loop {
            if forward {
                i = i.saturating_add(1);
                if i >= count {
                    break;
                }
            } else {
                let top = i.min(count);
                if top == 0 {
                    break;
                }
                i = top - 1;
            }
            let node = match tp.node(i) {
                Ok(node) => node,
                Err(e) => {
                    self.leaf = None;
                    return Err(e);
                }
            };
            node.copy_into(&mut self.scratch);
            if resolve(&mut self.scratch) {
                self.stand(i);
                return Ok(OnLeaf::Found);
            }
        }
        self.leaf = None;
        Ok(OnLeaf::Passed { pgno, beside })
    }

    /// The current leaf, read again, when its dbtime is still the one the cursor saw; the
    /// cursor's position on it is then still good.
    #[inline]
    fn unchanged_leaf<'d>(&mut self, db: &'d Database) -> Result<Option<PageRef<'d>>> {
        let Some(snap) = self.leaf.as_ref() else {
            return Ok(None);
        };
        let page = db.cache().read_hinted(db.id(), snap.pgno, snap.hint)?;
        if page_dbtime(&page) == snap.dbtime {
            return Ok(Some(page));
        }
        self.leaf = None;
        Ok(None)
    }

    /// Moves to the next record (ESE's JetMove JET_MoveNext); from no record, to the first.
    pub fn move_next(&mut self) -> Result<Option<Entry>> {
        let found = self.next_in_place(&mut live)?;
        Ok(self.found(found))
    }

    /// Moves to the next node `resolve` accepts; from no record, to the first.
    pub fn next_with(&mut self, resolve: Resolve<'_>) -> Result<Option<Entry>> {
        let found = self.next_in_place(&mut in_place(resolve))?;
        Ok(self.found(found))
    }

    /// Moves to the next node `resolve` accepts, from no record to the first; whether there
    /// is one.
    pub fn next_in_place(&mut self, resolve: ResolveInPlace<'_>) -> Result<bool> {
        self.step_in_place(true, resolve)
    }

    /// A move one node on, `forward` or back, to one `resolve` accepts; from no record, to
    /// the first or the last. On an unchanged leaf the step reads it in place; off it, or on
    /// a leaf that changed, the walk or a seek past the current key takes over.
    // Inlined into each direction's move, where `forward` is a constant.
    #[inline(always)]
    fn step_in_place(&mut self, forward: bool, resolve: ResolveInPlace<'_>) -> Result<bool> {
        let db = Arc::clone(&self.tree.db);
        let _r = db.lock.read();
        if self.current.is_none() {
            return if forward {
                self.first_locked(&db, resolve)
            } else {
                self.last_locked(&db, resolve)
            };
        }
        if let Some(page) = self.unchanged_leaf(&db)? {
            let (page, from, at) = match self.step_on_leaf(&page, forward, resolve)? {
                OnLeaf::Found => return Ok(true),
                OnLeaf::Passed { beside, .. } if beside.is_null() => return Ok(self.clear()),
                OnLeaf::Passed { pgno, beside } => {
                    drop(page);
                    let page = db.cache().read(db.id(), beside)?;
                    (page, Some(pgno), if forward { 0 } else { usize::MAX })
                }
                OnLeaf::Unknown => {
                    let at = if forward { self.index + 1 } else { self.index };
                    (page, None, at)
                }
            };
            return if forward {
                self.forward(&db, page, at, from, resolve)
            } else {
                self.backward(&db, page, at, from, resolve)
            };
        }
        let cur = self
            .current
            .as_ref()
            .map(|e| e.key.clone())
            .unwrap_or_default();
        let op = if forward { SeekOp::Gt } else { SeekOp::Lt };
        self.seek_locked(&db, &cur, op, resolve)
    }

    /// Moves to the previous record (ESE's JetMove JET_MovePrevious); from no record, to the
    /// last.
    pub fn move_prev(&mut self) -> Result<Option<Entry>> {
        let found = self.prev_in_place(&mut live)?;
        Ok(self.found(found))
    }

    /// Moves to the previous node `resolve` accepts; from no record, to the last.
    pub fn prev_with(&mut self, resolve: Resolve<'_>) -> Result<Option<Entry>> {
        let found = self.prev_in_place(&mut in_place(resolve))?;
        Ok(self.found(found))
    }

    /// Moves to the previous node `resolve` accepts, from no record to the last; whether
    /// there is one.
    pub fn prev_in_place(&mut self, resolve: ResolveInPlace<'_>) -> Result<bool> {
        self.step_in_place(false, resolve)
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
            let page = db.cache().read(db.id(), pgno)?;
            let tp = self.tree.tree_page(&page, pgno)?;
            let count = tp.count();
            let scaled = f * count as f64;
            let i = (scaled.floor() as usize).min(count.saturating_sub(1));
            f = (scaled - i as f64).clamp(0.0, 1.0);
            if tp.is_leaf() {
                let found = self.forward(&db, page, i, None, &mut live)? || {
                    let page = db.cache().read(db.id(), pgno)?;
                    self.backward(&db, page, i, None, &mut live)?
                };
                return Ok(self.found(found));
            }
            if count == 0 {
                return corrupt(pgno, "an internal page has no nodes");
            }
            pgno = tp.node(i)?.child();
        }
        corrupt(pgno, "the tree is deeper than the depth limit (a cycle?)")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::ops::Bound::{Excluded, Unbounded};

    use ese_core::Trx;
    use ese_pageio::PageFlags;
    use ese_pageio::page::{LINE_COUNT_OFFSET, NEXT_OFFSET, PREV_OFFSET, TAG_BYTES};

    use super::*;
    use crate::error::Error;
    use crate::testing::TestDb;

    fn k(i: u32) -> Vec<u8> {
        i.to_be_bytes().to_vec()
    }

    /// Walks the whole tree one way, changing it between moves (inserts right beside the
    /// cursor, flag-deletes and removals of its neighbours, splits), against a model.
    fn walk_with_changes(forward: bool) {
        let env = TestDb::new(4096, 256, 16, false).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        let mut model = BTreeMap::new();
        for i in (0..3000).step_by(3) {
            tree.insert(Trx::MIN, &k(i), &[1; 40]).unwrap();
            model.insert(k(i), vec![1u8; 40]);
        }
        let mut c = tree.cursor();
        let mut e = if forward { c.first() } else { c.last() }.unwrap();
        let mut steps = 0;
        while let Some(entry) = e {
            assert_eq!(model.get(&entry.key), Some(&entry.data));
            assert_eq!(c.entry(), Some(&entry));
            let at = u32::from_be_bytes(entry.key.as_slice().try_into().unwrap());
            let beside = if forward { at + 1 } else { at.wrapping_sub(1) };
            match steps % 5 {
                // A new key right beside the cursor, on its leaf: the next move finds it.
                0 if beside % 3 != 0 && beside < 3000 => {
                    tree.insert(Trx::MIN, &k(beside), &[2; 40]).unwrap();
                    model.insert(k(beside), vec![2u8; 40]);
                }
                // The next key is flag-deleted, or removed: the next move skips it.
                1 | 3 => {
                    let next = if forward {
                        model.range((Excluded(k(at)), Unbounded)).next()
                    } else {
                        model.range(..k(at)).next_back()
                    };
                    if let Some(next) = next.map(|(key, _)| key.clone()) {
                        if steps % 5 == 1 {
                            tree.delete(Trx::MIN, &next).unwrap();
                        } else {
                            tree.delete_now(Trx::MIN, &next).unwrap();
                        }
                        model.remove(&next);
                    }
                }
                _ => {}
            }
            let want = if forward {
                model.range((Excluded(k(at)), Unbounded)).next()
            } else {
                model.range(..k(at)).next_back()
            }
            .map(|(key, _)| key.clone());
            e = if forward {
                c.move_next()
            } else {
                c.move_prev()
            }
            .unwrap();
            assert_eq!(e.as_ref().map(|x| x.key.clone()), want, "after {at}");
            steps += 1;
        }
        assert!(steps > model.len() / 2, "the walk saw {steps} records");
        assert_eq!(c.entry(), None);
        tree.check_invariants().unwrap();
    }

    #[test]
    fn in_place_moves_show_what_resolve_leaves_and_skip_what_it_rejects() {
        let env = TestDb::new(4096, 256, 16, false).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        for i in 0..2000u32 {
            tree.insert(Trx::MIN, &k(i), &[7; 30]).unwrap();
        }
        // Odd keys are hidden; even ones read as their key's low byte, three times.
        let mut resolve = |n: &mut Node| {
            let last = n.key[3];
            if last % 2 == 1 {
                return false;
            }
            n.payload.clear();
            n.payload.extend_from_slice(&[last; 3]);
            true
        };
        let mut c = tree.cursor();
        let mut seen = Vec::new();
        let mut found = c.first_in_place(&mut resolve).unwrap();
        while found {
            let e = c.entry().unwrap();
            assert_eq!(e.data, vec![e.key[3]; 3]);
            seen.push(u32::from_be_bytes(e.key.as_slice().try_into().unwrap()));
            found = c.next_in_place(&mut resolve).unwrap();
        }
        assert_eq!(seen, (0..2000).step_by(2).collect::<Vec<_>>());
        assert_eq!(c.entry(), None);
        // Backward from the end, the same records in reverse.
        let mut back = Vec::new();
        let mut found = c.last_in_place(&mut resolve).unwrap();
        while found {
            let e = c.entry().unwrap();
            back.push(u32::from_be_bytes(e.key.as_slice().try_into().unwrap()));
            found = c.prev_in_place(&mut resolve).unwrap();
        }
        back.reverse();
        assert_eq!(back, seen);
        // An exact seek of a hidden key finds nothing and leaves the cursor on no record; a
        // GE seek moves on to the next record it sees.
        assert!(!c.seek_in_place(&k(501), SeekOp::Eq, &mut resolve).unwrap());
        assert_eq!(c.entry(), None);
        assert!(c.seek_in_place(&k(501), SeekOp::Ge, &mut resolve).unwrap());
        assert_eq!(c.entry().map(|e| e.key.clone()), Some(k(502)));
        assert!(c.seek_in_place(&k(501), SeekOp::Le, &mut resolve).unwrap());
        assert_eq!(c.entry().map(|e| e.key.clone()), Some(k(500)));
        // The copying moves agree with the in-place ones.
        assert_eq!(
            c.seek(&k(501), SeekOp::Eq).unwrap().map(|e| e.data),
            Some(vec![7; 30])
        );
    }

    #[test]
    fn moves_and_seeks_stay_right_when_the_hinted_frames_are_evicted_and_reused() {
        // Eight frames for a tree of many pages: between two moves, the cursor's leaf and
        // the root are evicted and their frames reused for other pages.
        let env = TestDb::new(4096, 8, 16, false).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        let data = |i: u32| [k(i * 3), vec![7; 200]].concat();
        for i in 0..3000u32 {
            tree.insert(Trx::MIN, &k(i), &data(i)).unwrap();
        }
        env.db.cache().flush_all().unwrap();
        let mut c = tree.cursor();
        let mut other = tree.cursor();
        let mut e = c.seek(&k(0), SeekOp::Ge).unwrap();
        let mut n = 0u32;
        while let Some(x) = e {
            assert_eq!(x.key, k(n));
            assert_eq!(x.data, data(n));
            if n % 7 == 0 {
                // Reads far away push the cursor's pages out of the small cache.
                let far = (n + 1500) % 3000;
                let got = other.seek(&k(far), SeekOp::Eq).unwrap().map(|x| x.data);
                assert_eq!(got, Some(data(far)));
                assert_eq!(
                    c.seek(&k(n), SeekOp::Eq).unwrap().map(|x| x.key),
                    Some(k(n))
                );
            }
            n += 1;
            e = c.move_next().unwrap();
        }
        assert_eq!(n, 3000);
        let evictions = env.db.cache().stats().evictions;
        assert!(evictions > 100, "the walk evicted {evictions} pages");
        env.db.cache().check_invariants().unwrap();
    }

    #[test]
    fn seeks_pass_kept_internal_pages_without_reading_them_until_a_change() {
        let env = TestDb::new(4096, 2048, 16, false).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        let data = |i: u32| vec![(i % 251) as u8; 100];
        for i in 0..20_000u32 {
            tree.insert(Trx::MIN, &k(i * 2), &data(i)).unwrap();
        }
        let hits = || env.db.cache().stats().hits;
        let mut c = tree.cursor();
        // Pages read by one seek of `key`, which must find it.
        let mut seek = |key: u32| {
            let before = hits();
            let got = c.seek(&k(key * 2), SeekOp::Eq).unwrap().map(|e| e.data);
            assert_eq!(got, Some(data(key)));
            hits() - before
        };
        let depth = seek(5_000);
        assert!(
            depth >= 3,
            "a tree of 20,000 rows three levels deep, not {depth}"
        );
        // The second seek keeps the indexes the first one built; the third passes them.
        seek(5_000);
        assert_eq!(seek(5_000), 1, "only the leaf is read");
        assert_eq!(seek(5_001), 1, "a key beside it passes the same pages");
        // A change anywhere in the database: every page is read again. A page the change
        // left with no index (a split's parent) is indexed by that seek and kept by the next.
        tree.insert(Trx::MIN, &k(1), &data(0)).unwrap();
        assert_eq!(seek(5_000), depth);
        assert!(seek(5_000) <= 2);
        assert_eq!(seek(5_000), 1);
        // Keys on other branches find their own way, and a miss is still a miss.
        for key in (0..20_000).step_by(97) {
            seek(key);
        }
        // A cursor that seeks once keeps nothing (its first seek only marks it).
        let mut once = tree.cursor();
        assert!(once.seek(&k(0), SeekOp::Eq).unwrap().is_some());
        assert!(once.kept.borrow().is_none());
        assert!(once.seek(&k(2), SeekOp::Eq).unwrap().is_some());
        assert!(once.kept.borrow().is_some());
        assert_eq!(c.seek(&k(3), SeekOp::Eq).unwrap(), None);
        assert_eq!(
            c.seek(&k(3), SeekOp::Ge).unwrap().map(|e| e.key),
            Some(k(4))
        );
    }

    #[test]
    fn seeks_through_kept_pages_whose_words_tie_read_the_page_and_find_every_key() {
        // Keys alike in their eight bytes after any shared start: the kept index cannot
        // settle them, and the seek reads the page to compare the nodes themselves.
        let env = TestDb::new(4096, 2048, 16, false).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        let key = |i: u32| [vec![(i % 3) as u8], vec![0; 10], k(i)].concat();
        for i in 0..6_000u32 {
            tree.insert(Trx::MIN, &key(i), &[5; 60]).unwrap();
        }
        let mut c = tree.cursor();
        for round in 0..3 {
            for i in (0..6_000u32).step_by(7) {
                let got = c.seek(&key(i), SeekOp::Eq).unwrap().map(|e| e.key);
                assert_eq!(got, Some(key(i)), "round {round}");
            }
        }
        let mut gt = tree.cursor();
        let got = gt.seek(&key(2), SeekOp::Gt).unwrap().map(|e| e.key);
        assert_eq!(got, Some(key(5)));
    }

    #[test]
    fn a_forward_walk_sees_changes_made_between_moves() {
        walk_with_changes(true);
    }

    #[test]
    fn a_backward_walk_sees_changes_made_between_moves() {
        walk_with_changes(false);
    }

    #[test]
    fn a_step_sees_a_leaf_changed_in_place_with_as_many_nodes() {
        // Replacing the next record's data changes the leaf (a new dbtime) but not its node
        // count: the step must read the leaf afresh, not by the layout it saw before.
        let env = TestDb::new(4096, 256, 16, false).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        for i in 0..600 {
            tree.insert(Trx::MIN, &k(i), &[1; 20]).unwrap();
        }
        let mut c = tree.cursor();
        let mut e = c.first().unwrap();
        let mut n = 0u32;
        while let Some(x) = e {
            assert_eq!(x.key, k(n));
            let want = if n % 2 == 1 {
                vec![2u8; 30 + n as usize % 7]
            } else {
                vec![1; 20]
            };
            assert_eq!(x.data, want, "record {n}");
            let next = n + 1;
            if next % 2 == 1 && next < 600 {
                let data = vec![2u8; 30 + next as usize % 7];
                tree.replace(Trx::MIN, &k(next), &data).unwrap();
            }
            n += 1;
            e = c.move_next().unwrap();
        }
        assert_eq!(n, 600);
        tree.check_invariants().unwrap();
    }

    /// A tree of 600 records over several leaves, and the keys at which a forward walk
    /// stands on the last node of its leaf (the leaf, the key, the next key).
    fn leaf_ends(env: &TestDb) -> (BTree, Vec<(Pgno, u32)>) {
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        for i in 0..600 {
            tree.insert(Trx::MIN, &k(i), &[5; 40]).unwrap();
        }
        let mut c = tree.cursor();
        let mut ends = Vec::new();
        let mut e = c.first().unwrap();
        let mut at: Option<(Pgno, u32)> = None;
        while let Some(x) = e {
            let leaf = c.node_hint().unwrap().pgno();
            let n = u32::from_be_bytes(x.key[..].try_into().unwrap());
            if let Some((p, m)) = at
                && p != leaf
            {
                ends.push((p, m));
            }
            at = Some((leaf, n));
            e = c.move_next().unwrap();
        }
        assert!(ends.len() >= 3, "the tree has {} leaves", ends.len() + 1);
        (tree, ends)
    }

    /// Damages page `pgno` in the cache in place, its dbtime left as it is: what a cursor's
    /// layout of the page must not be trusted past.
    fn damage(env: &TestDb, pgno: Pgno, f: impl FnOnce(&mut [u8])) {
        let mut page = env.db.cache().write(env.db.id(), pgno).unwrap();
        f(&mut page);
        page.mark_dirty_unlogged();
    }

    fn line_count(page: &[u8]) -> u16 {
        u16::from_le_bytes([page[LINE_COUNT_OFFSET], page[LINE_COUNT_OFFSET + 1]])
    }

    #[test]
    fn a_step_reads_a_leaf_afresh_when_its_header_no_longer_fits_the_layout() {
        let env = TestDb::new(4096, 256, 16, false).unwrap();
        let (tree, ends) = leaf_ends(&env);
        let (leaf, last) = ends[1];
        // The cursor stands on the node before the leaf's last; the leaf then loses its last
        // line from its header, its dbtime unchanged. A step by the old layout would still
        // see the last node; read afresh, the leaf ends where the cursor stands.
        let mut c = tree.cursor();
        assert!(c.seek(&k(last - 1), SeekOp::Eq).unwrap().is_some());
        let dbtime = {
            let page = env.db.cache().read(env.db.id(), leaf).unwrap();
            page_dbtime(&page)
        };
        damage(&env, leaf, |page| {
            let n = line_count(page) - 1;
            page[LINE_COUNT_OFFSET..LINE_COUNT_OFFSET + 2].copy_from_slice(&n.to_le_bytes());
        });
        let page = env.db.cache().read(env.db.id(), leaf).unwrap();
        assert_eq!(page_dbtime(&page), dbtime);
        drop(page);
        let next = c.move_next().unwrap().map(|x| x.key);
        assert_eq!(next, Some(k(last + 1)));
        // Backward over the same leaf, from the next leaf's first node: the lost node stays
        // lost, and the walk goes on to the node before it.
        let prev = c.move_prev().unwrap().map(|x| x.key);
        assert_eq!(prev, Some(k(last - 1)));
    }

    #[test]
    fn a_step_onto_a_damaged_node_of_an_unchanged_leaf_fails_as_corruption() {
        for forward in [true, false] {
            let env = TestDb::new(4096, 256, 16, false).unwrap();
            let (tree, ends) = leaf_ends(&env);
            let (leaf, last) = ends[1];
            let mut c = tree.cursor();
            // Forward: from the node before the last onto the last. Backward: from the last
            // onto the one before it.
            let (from, onto) = if forward {
                (last - 1, last)
            } else {
                (last, last - 1)
            };
            assert!(c.seek(&k(from), SeekOp::Eq).unwrap().is_some());
            let index = {
                let page = env.db.cache().read(env.db.id(), leaf).unwrap();
                let tp = tree.leaf_page(&page).unwrap();
                let (i, found) = tp.lower_bound(&k(onto)).unwrap();
                assert!(found);
                i
            };
            // The node's tag now points at the header.
            damage(&env, leaf, |page| {
                let at = page.len() - TAG_BYTES * (index + 2);
                page[at..at + 2].copy_from_slice(&8u16.to_le_bytes());
            });
            let got = if forward {
                c.move_next()
            } else {
                c.move_prev()
            };
            match got {
                Err(Error::Corrupt { pgno, .. }) => assert_eq!(pgno, leaf),
                other => panic!("forward {forward}: {other:?}"),
            }
            // The cursor keeps its record but trusts its layout of the leaf no more: the next
            // move seeks from the record's key, and meets the damage again.
            assert_eq!(c.entry().map(|e| e.key.clone()), Some(k(from)));
            assert!(c.leaf.is_none());
            let again = if forward {
                c.move_next()
            } else {
                c.move_prev()
            };
            assert!(matches!(again, Err(Error::Corrupt { .. })), "{again:?}");
        }
    }

    #[test]
    fn a_step_off_an_unchanged_leaf_checks_the_neighbour_links_back() {
        for forward in [true, false] {
            let env = TestDb::new(4096, 256, 16, false).unwrap();
            let (tree, ends) = leaf_ends(&env);
            let (leaf, last) = ends[1];
            let (from, beside, offset) = if forward {
                (last, ends[2].0, PREV_OFFSET)
            } else {
                (last + 1, leaf, NEXT_OFFSET)
            };
            let mut c = tree.cursor();
            assert!(c.seek(&k(from), SeekOp::Eq).unwrap().is_some());
            // The neighbour the step goes to names another page as the one beside it.
            damage(&env, beside, |page| {
                page[offset..offset + 4].copy_from_slice(&tree.root().0.to_le_bytes());
            });
            let got = if forward {
                c.move_next()
            } else {
                c.move_prev()
            };
            match got {
                Err(Error::Corrupt { pgno, what }) => {
                    assert_eq!(pgno, beside);
                    assert!(what.contains("link"), "{what}");
                }
                other => panic!("forward {forward}: {other:?}"),
            }
        }
    }

    #[test]
    fn steps_on_one_leaf_see_changes_made_between_them_both_ways() {
        // Every step changes the leaf under the cursor (a new dbtime): the node after (or
        // before) it is rewritten, one is inserted beside it, or one is removed.
        for forward in [true, false] {
            let env = TestDb::new(4096, 256, 16, false).unwrap();
            let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
            let mut model = BTreeMap::new();
            for i in (0..40).map(|i| i * 4) {
                tree.insert(Trx::MIN, &k(i), &[1; 8]).unwrap();
                model.insert(i, vec![1u8; 8]);
            }
            let mut c = tree.cursor();
            let mut e = if forward { c.first() } else { c.last() }.unwrap();
            let mut step = 0u32;
            while let Some(x) = e {
                let at = u32::from_be_bytes(x.key[..].try_into().unwrap());
                assert_eq!(model.get(&at), Some(&x.data), "at {at}");
                let beyond: Vec<u32> = if forward {
                    model.range(at + 1..).map(|(k, _)| *k).take(1).collect()
                } else {
                    model.range(..at).rev().map(|(k, _)| *k).take(1).collect()
                };
                match (step % 3, beyond.first()) {
                    (0, Some(&n)) => {
                        let data = vec![step as u8; 8 + step as usize % 5];
                        tree.replace(Trx::MIN, &k(n), &data).unwrap();
                        model.insert(n, data);
                    }
                    (1, _) => {
                        let n = if forward { at + 1 } else { at.wrapping_sub(1) };
                        if n < 160 && !model.contains_key(&n) {
                            tree.insert(Trx::MIN, &k(n), &[9; 8]).unwrap();
                            model.insert(n, vec![9; 8]);
                        }
                    }
                    (2, Some(&n)) => {
                        tree.delete_now(Trx::MIN, &k(n)).unwrap();
                        model.remove(&n);
                    }
                    _ => {}
                }
                let want = if forward {
                    model.range(at + 1..).next()
                } else {
                    model.range(..at).next_back()
                }
                .map(|(k, _)| *k);
                e = if forward {
                    c.move_next()
                } else {
                    c.move_prev()
                }
                .unwrap();
                let got = e
                    .as_ref()
                    .map(|x| u32::from_be_bytes(x.key[..].try_into().unwrap()));
                assert_eq!(got, want, "after {at}, step {step}");
                step += 1;
            }
            assert!(step > 20, "the walk took {step} steps");
        }
    }

    #[test]
    fn an_exact_seek_shows_and_returns_the_whole_key_on_pages_with_a_prefix() {
        // Long keys sharing most of their bytes: every page keeps a long prefix, and a node
        // holds only the rest of its key.
        let env = TestDb::new(4096, 256, 16, false).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        let key = |i: u32| [&[7u8; 30][..], &i.to_be_bytes()].concat();
        for i in 0..1500 {
            tree.insert(Trx::MIN, &key(i), &k(i * 3)).unwrap();
        }
        let mut c = tree.cursor();
        for i in (0..1500).step_by(37) {
            let mut shown = Vec::new();
            let found = c
                .seek_in_place(&key(i), SeekOp::Eq, &mut |n: &mut Node| {
                    shown.push(n.key.clone());
                    true
                })
                .unwrap();
            assert!(found);
            assert_eq!(shown, vec![key(i)]);
            assert_eq!(
                c.entry().map(|e| (e.key.clone(), e.data.clone())),
                Some((key(i), k(i * 3)))
            );
            // The position the seek recorded is the node's: a read through it finds the key
            // at the hinted index, and the next move goes on from there.
            let hint = c.node_hint().unwrap();
            let (_, at, node) = tree.locate_hinted(&key(i), &hint).unwrap();
            assert_eq!((at, node.key), (hint.index, key(i)));
            assert_eq!(c.move_next().unwrap().map(|e| e.key), Some(key(i + 1)));
        }
        // A key of the page's prefix alone, or one longer than a stored key: no exact match.
        assert_eq!(c.seek(&[7u8; 30], SeekOp::Eq).unwrap(), None);
        assert_eq!(
            c.seek(&[&key(5)[..], &[0]].concat(), SeekOp::Eq).unwrap(),
            None
        );
    }

    #[test]
    fn an_unchanged_leaf_is_walked_in_place_both_ways() {
        let env = TestDb::new(4096, 256, 16, false).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        for i in 0..2000 {
            tree.insert(Trx::MIN, &k(i), &k(i * 7)).unwrap();
        }
        for i in (0..2000).step_by(4) {
            tree.delete(Trx::MIN, &k(i)).unwrap();
        }
        let live: Vec<u32> = (0..2000).filter(|i| i % 4 != 0).collect();
        let mut c = tree.cursor();
        let mut got = Vec::new();
        let mut e = c.seek(&k(0), SeekOp::Ge).unwrap();
        while let Some(x) = e {
            assert_eq!(
                x.data,
                k(u32::from_be_bytes(x.key[..].try_into().unwrap()) * 7)
            );
            got.push(u32::from_be_bytes(x.key[..].try_into().unwrap()));
            e = c.move_next().unwrap();
        }
        assert_eq!(got, live);
        got.clear();
        let mut e = c.move_prev().unwrap();
        while let Some(x) = e {
            got.push(u32::from_be_bytes(x.key[..].try_into().unwrap()));
            e = c.move_prev().unwrap();
        }
        got.reverse();
        assert_eq!(got, live);
        // Flag-deleted nodes are shown to a resolve closure, and skipped when it says so.
        let mut seen = 0;
        let e = c
            .seek_with(&k(400), SeekOp::Eq, &mut |n: &Node| {
                seen += 1;
                n.flags
                    .contains(NodeFlags::DELETED)
                    .then(|| b"ghost".to_vec())
            })
            .unwrap();
        assert_eq!(e.map(|x| x.data), Some(b"ghost".to_vec()));
        assert_eq!(seen, 1);
        assert_eq!(c.seek(&k(400), SeekOp::Eq).unwrap(), None);
        assert_eq!(
            c.seek(&k(400), SeekOp::Ge).unwrap().map(|x| x.key),
            Some(k(401))
        );
        assert_eq!(
            c.seek(&k(400), SeekOp::Le).unwrap().map(|x| x.key),
            Some(k(399))
        );
    }
}
