//! The B+tree of one object: descent, node changes, splits and merges (ESE's BT layer).
//!
//! # Shape
//!
//! The root stays at the page the tree was created on, whatever happens below it: a root
//! that must split moves its nodes into new children and becomes their parent, and a root
//! left with a single child takes that child's nodes back (so the depth shrinks again). Every
//! leaf is at the same depth. Pages at one level are linked both ways (prev/next), which the
//! cursors follow.
//!
//! # Splits
//!
//! A change that does not fit on its page gathers the page's nodes with the change applied
//! and cuts them into consecutive groups that each fit, each group becoming a page: the first
//! keeps the page's number, the others are new pages linked in after it. How the cut is made:
//!
//! ```text
//!   append:   change at the end of the level's last page    | old nodes ......... | new |
//!             (a sequential load): old nodes stay, the new  page stays ~full  new page
//!             node starts a new page, so pages fill ~100%.
//!   balanced: otherwise, the cut that makes the two halves' bytes closest (random loads
//!             settle near ln 2 = 69% full).
//!   greedy:   if no two-way cut fits (very large nodes), as many groups as needed.
//! ```
//!
//! The parent's node for the page is replaced by one node per group: leaves send up the
//! shortest key that separates the groups (ESE's suffix truncation); internal pages send up
//! the last separator of the left group, whose node becomes that page's `INF` node. The
//! parent change may itself split, up to the root.
//!
//! The first group is cut in place on its page: the lines past the cut are deleted (and,
//! on an internal page, its new last node becomes the `INF` node), so the page keeps the key
//! prefix its nodes were written against and its record costs a few bytes per moved node.
//! When the group is just the page's own leading nodes (always so for an append), nothing
//! else changes; when it holds the change, the change is applied line by line too, encoded
//! against the page's prefix. Only a group that fits a fresh prefix but not the page's own
//! rewrites the page whole. Every other group is written as a whole new page image (one
//! logged `Format`), with a prefix chosen afresh for its keys.
//!
//! ```text
//!   before:           parent [ .. | s:P | .. ]        P [ a b c d e f ] + g
//!   after a 2-way:    parent [ .. | s1:P | s:N | .. ]  P [ a b c ]  <->  N [ d e f g ]
//!                     s1 = shortest key with c <= s1 < d
//! ```
//!
//! # Deletes, cleanup and merges
//!
//! [`BTree::delete`] only flags the node, so snapshots that still need it can see it;
//! [`BTree::cleanup`] removes flagged nodes the version store no longer needs. Removing a
//! node may empty a page (it is unlinked, its parent node removed, and it is freed) or leave it
//! under a quarter full, when it merges with its sibling under the same parent if both fit in
//! one page at 90% or less. A root left with one child absorbs it.
//!
//! Cleanup takes its keys in ascending batches ([`BTree::cleanup_batch_latched`]; a single
//! key is a batch of one): every removable node of the batch on one leaf goes in one logged
//! change of that leaf (one `Delete` record of several line deletes, last line first), and
//! the leaf is freed or merged once, after all of them, if it needs it. The leaves are
//! visited from the batch's last key back, so a leaf left under-full merges with a right
//! sibling that has already lost its share of the batch.
//!
//! # Atomicity
//!
//! Each public call (insert, replace, delete, escrow, undo, cleanup, create) runs inside
//! `Database::atomic` (see [`crate::db`]): the split, merge or page free it causes, with its
//! space map changes, is logged as one record and applied to the cache only once that record
//! is appended, so a crash never leaves recovery half of it, and a call that fails half-way
//! (a full disk, a refused log record) changes nothing. Reads inside a call go through
//! `Database::read_page`, which sees the call's own pending changes.

use std::sync::Arc;

use crate::latch::{TreeReadGuard, TreeWriteGuard};
use ese_core::limits::key_most_bytes;
use ese_core::{Pgno, Trx};
use ese_pageio::page::HEADER_BYTES;
use ese_pageio::{PageFlags, PageHeader};

use crate::db::{Database, DescentPage, FIRST_TREE_OBJID, RecKind};
use crate::error::{Error, Result, corrupt};
use crate::node::{
    CHILD_BYTES, NODE_HEADER_BYTES, Node, NodeFlags, TreePage, common_prefix, encode_line,
    group_bytes, page_lines, page_lines_into, separator,
};
use crate::redo::LineOp;
use smallvec::SmallVec;

/// The deepest tree a walk accepts; deeper means a pointer cycle or corruption. Four levels
/// of 4 KiB pages with the longest keys already hold billions of rows.
pub const MAX_DEPTH: usize = 16;

/// Flags a tree's pages inherit from its root (what kind of tree it is).
const KIND_FLAGS: PageFlags = PageFlags::INDEX
    .union(PageFlags::LONG_VALUE)
    .union(PageFlags::NON_UNIQUE_KEYS)
    .union(PageFlags::SPACE_TREE);

/// One internal page on the way down, and the node taken there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Level {
    pub(crate) pgno: Pgno,
    pub(crate) index: usize,
}

/// A node a change writes, borrowing its key and payload (a [`Node`] copies them only when
/// the change splits its page).
#[derive(Clone, Copy, Debug)]
struct NewNode<'a> {
    flags: NodeFlags,
    key: &'a [u8],
    payload: &'a [u8],
}

impl<'a> NewNode<'a> {
    /// `node`, borrowed.
    fn of(node: &'a Node) -> NewNode<'a> {
        NewNode {
            flags: node.flags,
            key: &node.key,
            payload: &node.payload,
        }
    }

    /// The node, owning copies of its bytes.
    fn to_node(self) -> Node {
        Node {
            flags: self.flags,
            key: self.key.to_vec(),
            payload: self.payload.to_vec(),
        }
    }

    /// How much of `prefix` the node's line shares (as [`Node::encode`] counts it).
    fn prefix_used(&self, prefix: &[u8]) -> usize {
        if self.flags.contains(NodeFlags::INF) {
            0
        } else {
            common_prefix(prefix, self.key)
        }
    }

    /// The length of the node's line sharing `used` bytes of the page prefix.
    fn line_len(&self, used: usize) -> usize {
        NODE_HEADER_BYTES + self.key.len() - used + self.payload.len()
    }

    /// Appends the node's line sharing `used` bytes of the page prefix to `out`: the bytes
    /// [`encode_line`] makes of it.
    fn encode_into(&self, used: usize, out: &mut Vec<u8>) {
        let suffix = &self.key[used..];
        out.reserve(self.line_len(used));
        out.push(self.flags.0);
        // Keys and lines are bounded by the page size (at most 32 KiB), so both fit in u16.
        out.extend_from_slice(&(used as u16).to_le_bytes());
        out.extend_from_slice(&(suffix.len() as u16).to_le_bytes());
        out.extend_from_slice(suffix);
        out.extend_from_slice(self.payload);
    }
}

/// The internal pages of a descent, root first: kept inline, as trees are a few levels deep.
pub(crate) type Path = SmallVec<[Level; 6]>;

/// The flag-deleted nodes of a cleanup batch found on one leaf.
#[derive(Debug)]
struct LeafCleanup {
    pgno: Pgno,
    /// The leaf's node count and used bytes before the removal.
    count: usize,
    used_bytes: usize,
    /// How many keys at the end of the batch the leaf answers for.
    answered: usize,
    /// In descending node order.
    nodes: SmallVec<[Removal; 8]>,
}

/// One node a cleanup batch removes from its leaf.
#[derive(Clone, Copy, Debug)]
struct Removal {
    /// The node's index on the leaf.
    index: usize,
    /// What removing it frees: its line and its tag.
    line_bytes: usize,
    /// Its key's place in the batch.
    batch_index: usize,
}

/// One B+tree (ESE's FCB with its BT operations), rooted at a fixed page.
#[derive(Clone, Debug)]
pub struct BTree {
    pub(crate) db: Arc<Database>,
    pub(crate) objid: u32,
    pub(crate) root: Pgno,
}

/// The largest data a node with a key of `key_bytes` can hold on pages of `page_size` bytes:
/// what fits in an otherwise empty leaf.
pub const fn data_most_bytes(page_size: usize, key_bytes: usize) -> usize {
    // Header, the prefix line's tag, and the node's header and tag.
    let overhead = HEADER_BYTES + 4 + crate::node::NODE_HEADER_BYTES + 4;
    page_size.saturating_sub(overhead + key_bytes)
}

const _: () = assert!(
    3 * (crate::node::NODE_HEADER_BYTES + ese_core::limits::KEY_MOST_4K_BYTES + CHILD_BYTES + 4)
        + 8
        <= ese_core::limits::PAGE_SIZE_MIN_BYTES - HEADER_BYTES,
    "an internal page must hold three separators of the longest key"
);

/// The state of a page's header a rebuild keeps.
#[derive(Clone, Copy, Debug)]
struct Head {
    flags: PageFlags,
    prev: Pgno,
    next: Pgno,
}

impl From<PageHeader> for Head {
    fn from(h: PageHeader) -> Head {
        Head {
            flags: h.flags,
            prev: h.prev,
            next: h.next,
        }
    }
}

/// A hold on a database's tree latch (today its one reader-writer lock), shared or
/// exclusive: the `_latched` operations of [`BTree`] run under one the caller already holds, so
/// that the layer above can do its own work (ask the version store) between reading a node and
/// changing it, and undo many changes under one hold.
pub trait Latch {
    /// The database whose latch is held.
    fn database(&self) -> &Database;
}

/// The tree latch of a database held shared.
pub struct ReadLatch<'a> {
    db: &'a Database,
    _guard: TreeReadGuard<'a>,
}

impl<'a> ReadLatch<'a> {
    /// Takes `db`'s tree latch shared, waiting for a writer to finish.
    pub fn new(db: &'a Database) -> Self {
        ReadLatch {
            db,
            _guard: db.lock.read(),
        }
    }
}

impl Latch for ReadLatch<'_> {
    fn database(&self) -> &Database {
        self.db
    }
}

impl std::fmt::Debug for ReadLatch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadLatch")
            .field("db", &self.db.id())
            .finish()
    }
}

/// The tree latch of a database held exclusively. The latch is not reentrant: while one is
/// held, only the `_latched` operations may be used on the database's trees.
pub struct WriteLatch<'a> {
    db: &'a Database,
    _guard: TreeWriteGuard<'a>,
}

impl<'a> WriteLatch<'a> {
    /// Takes `db`'s tree latch exclusively, waiting for readers and writers to finish.
    pub fn new(db: &'a Database) -> Self {
        WriteLatch {
            db,
            _guard: db.lock.write(),
        }
    }
}

impl Latch for WriteLatch<'_> {
    fn database(&self) -> &Database {
        self.db
    }
}

impl std::fmt::Debug for WriteLatch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteLatch")
            .field("db", &self.db.id())
            .finish()
    }
}

impl BTree {
    /// Creates an empty tree for object `objid` on a newly allocated root page; `kind` adds
    /// page flags such as [`PageFlags::INDEX`] or [`PageFlags::LONG_VALUE`].
    pub fn create(db: &Arc<Database>, objid: u32, kind: PageFlags) -> Result<BTree> {
        if objid < FIRST_TREE_OBJID {
            return Err(Error::InvalidParameter("object id"));
        }
        let _w = db.lock.write();
        // Only the flags that say what kind of tree it is are taken from `kind`.
        let kind = kind.difference(kind.difference(KIND_FLAGS));
        let flags = PageFlags::ROOT | PageFlags::LEAF | kind;
        // The root's allocation and its format are one atomic change.
        let root = db.atomic(|| {
            let root = db.alloc_page()?;
            db.change(
                root,
                RecKind::NewPage,
                Trx::MIN,
                &[LineOp::Format {
                    objid,
                    flags,
                    prev: Pgno::NULL,
                    next: Pgno::NULL,
                    lines: vec![Vec::new()],
                }],
                true,
            )?;
            Ok(root)
        })?;
        Ok(BTree {
            db: db.clone(),
            objid,
            root,
        })
    }

    /// Opens the tree of object `objid` rooted at `root`, checking the root page.
    pub fn open(db: &Arc<Database>, objid: u32, root: Pgno) -> Result<BTree> {
        let tree = BTree {
            db: db.clone(),
            objid,
            root,
        };
        let page = db.cache().read(db.id(), root)?;
        let tp = tree.tree_page(&page, root)?;
        if !tp.view.header().flags.contains(PageFlags::ROOT) {
            return corrupt(root, "the root page is not flagged as a root");
        }
        Ok(tree)
    }

    /// The root page.
    pub fn root(&self) -> Pgno {
        self.root
    }

    /// The object id.
    pub fn objid(&self) -> u32 {
        self.objid
    }

    /// The database the tree lives in.
    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// The longest key the tree accepts (ese_core's key limit for the page size).
    pub fn key_most_bytes(&self) -> usize {
        key_most_bytes(self.db.page_size_bytes())
    }

    pub(crate) fn tree_page<'a>(&self, bytes: &'a [u8], pgno: Pgno) -> Result<TreePage<'a>> {
        let tp = TreePage::new(bytes, pgno)?;
        if tp.view.objid() != self.objid {
            return corrupt(pgno, "the page belongs to another object");
        }
        if tp.view.flags().contains(PageFlags::EMPTY) {
            return corrupt(pgno, "the tree reaches a freed page");
        }
        Ok(tp)
    }

    fn capacity(&self) -> usize {
        self.db.page_size_bytes() - HEADER_BYTES
    }

    fn check_key_data(&self, key: &[u8], data: &[u8]) -> Result<()> {
        let max = self.key_most_bytes();
        if key.is_empty() || key.len() > max {
            return Err(Error::KeyTooLong {
                len: key.len(),
                max,
            });
        }
        let max = data_most_bytes(self.db.page_size_bytes(), key.len());
        if data.len() > max {
            return Err(Error::DataTooLong {
                len: data.len(),
                max,
            });
        }
        Ok(())
    }

    /// Walks from the root to the leaf that holds (or would hold) `key`.
    pub(crate) fn descend(&self, key: &[u8]) -> Result<(Path, Pgno)> {
        let mut path = Path::new();
        let (leaf, _) = self.descend_with(key, Some(&mut path), |p| self.db.read_page(p))?;
        Ok((path, leaf))
    }

    /// Walks from the root to the leaf that holds (or would hold) `key`, reading each page
    /// with `read` and recording the internal pages passed in `path` (when given). Returns
    /// the leaf with its page, still held: the caller reads it without reading it again.
    pub(crate) fn descend_with<P: DescentPage>(
        &self,
        key: &[u8],
        path: Option<&mut Path>,
        read: impl Fn(Pgno) -> Result<P>,
    ) -> Result<(Pgno, P)> {
        let (page, leaf) = self.descend_then(key, path, read, |tp| Ok(tp.pgno))?;
        Ok((leaf, page))
    }

    /// [`BTree::descend_with`], running `at_leaf` on the leaf as the descent read it, so the
    /// caller does not read the leaf's header and prefix again. Returns the leaf's page and
    /// what `at_leaf` returned.
    pub(crate) fn descend_then<P: DescentPage, T>(
        &self,
        key: &[u8],
        path: Option<&mut Path>,
        read: impl Fn(Pgno) -> Result<P>,
        at_leaf: impl FnOnce(TreePage<'_>) -> Result<T>,
    ) -> Result<(P, T)> {
        self.descend_from(self.root, key, path, read, at_leaf)
    }

    /// [`BTree::descend_then`] from page `start` of the tree rather than its root: a page the
    /// descent from the root would pass for `key` (the pages above it are not in `path`).
    #[inline]
    pub(crate) fn descend_from<P: DescentPage, T>(
        &self,
        start: Pgno,
        key: &[u8],
        mut path: Option<&mut Path>,
        read: impl Fn(Pgno) -> Result<P>,
        at_leaf: impl FnOnce(TreePage<'_>) -> Result<T>,
    ) -> Result<(P, T)> {
        let mut pgno = start;
        for _ in 0..MAX_DEPTH + 2 {
            let page = read(pgno)?;
            // An internal page indexed since it last changed: the checks below passed when the
            // index was built, on these very bytes, so the index alone leads to the child.
            if let Some(index) = page.kept_index()
                && index.is_of(self.objid, pgno)
            {
                let (i, _) = index.lower_bound(key, |i| {
                    Ok(self.tree_page(&page, pgno)?.node(i)?.cmp_key(key))
                })?;
                let Some(child) = index.child(i) else {
                    return corrupt(pgno, "an internal page does not end with its INF node");
                };
                if let Some(path) = path.as_deref_mut() {
                    path.push(Level { pgno, index: i });
                }
                pgno = child;
                continue;
            }
            let tp = self.tree_page(&page, pgno)?;
            if tp.is_leaf() {
                // Handed over by value: a reference would make every level's page struct
                // live in memory rather than in registers.
                let t = at_leaf(tp)?;
                return Ok((page, t));
            }
            let (i, _) = match page.search_index(&tp, self.objid) {
                Some(index) => tp.lower_bound_indexed(key, index)?,
                None => tp.lower_bound(key)?,
            };
            if i >= tp.count() {
                return corrupt(pgno, "an internal page does not end with its INF node");
            }
            let child = tp.node(i)?.child();
            if child.is_null() {
                return corrupt(pgno, "an internal node has no child");
            }
            if let Some(path) = path.as_deref_mut() {
                path.push(Level { pgno, index: i });
            }
            pgno = child;
        }
        corrupt(pgno, "the tree is deeper than the depth limit (a cycle?)")
    }

    /// Finds `key` on its leaf: the path, the leaf, the node index, and the node if present.
    fn locate(&self, key: &[u8]) -> Result<(Path, Pgno, usize, Option<Node>)> {
        let mut path = Path::new();
        // Searched on the leaf as the descent read it, not after reading its header again.
        let (_, (leaf, i, node)) = self.descend_then(
            key,
            Some(&mut path),
            |p| self.db.read_page(p),
            |tp| {
                let (i, found) = tp.lower_bound(key)?;
                let node = if found {
                    Some(tp.node(i)?.to_node())
                } else {
                    None
                };
                Ok((tp.pgno, i, node))
            },
        )?;
        Ok((path, leaf, i, node))
    }

    /// Finds `key` on the leaf `hint` names, without a descent, when that page is still a
    /// leaf of this tree holding a node with exactly `key`: keys are unique in a tree and a
    /// page leaves it only by being freed (reformatted `EMPTY`), so that node is the one a
    /// descent would find. At the hint's index when the leaf's dbtime is unchanged, else by a
    /// search of the page. `None` (descend instead) for a hint of another tree, a page that
    /// moved on, a key no longer there, or a page that cannot be read; the caller holds the
    /// database's lock and no call is under way, so the cache holds every page as is.
    pub(crate) fn locate_hinted(
        &self,
        key: &[u8],
        hint: &crate::cursor::NodeHint,
    ) -> Option<(Pgno, usize, Node)> {
        self.at_hinted(key, hint, |tp, i| Ok((tp.pgno, i, tp.node(i)?.to_node())))
    }

    /// Runs `at` on the leaf `hint` names and the index of `key` there, when
    /// [`BTree::locate_hinted`] would find the key on it; `None` when it would not, or when
    /// `at` fails (the descent that follows reads the page again and reports what is wrong).
    fn at_hinted<T>(
        &self,
        key: &[u8],
        hint: &crate::cursor::NodeHint,
        at: impl FnOnce(&TreePage<'_>, usize) -> Result<T>,
    ) -> Option<T> {
        if hint.objid != self.objid || hint.db != self.db.id() || hint.pgno.is_null() {
            return None;
        }
        // Any failure to read the page as a leaf of this tree leaves the answer to the descent.
        let Ok(page) = self
            .db
            .cache()
            .read_hinted(self.db.id(), hint.pgno, hint.frame)
        else {
            return None;
        };
        let found = || -> Result<Option<T>> {
            let tp = self.tree_page(&page, hint.pgno)?;
            if !tp.is_leaf() {
                return Ok(None);
            }
            let at_index = tp.view.dbtime() == hint.dbtime
                && hint.index < tp.count()
                && tp.node(hint.index)?.cmp_key(key).is_eq();
            let i = if at_index {
                hint.index
            } else {
                match tp.lower_bound(key)? {
                    (i, true) => i,
                    _ => return Ok(None),
                }
            };
            at(&tp, i).map(Some)
        };
        found().unwrap_or(None)
    }

    fn versioned(trx: Trx) -> NodeFlags {
        if trx == Trx::MIN {
            NodeFlags::NONE
        } else {
            NodeFlags::VERSIONED
        }
    }

    /// Inserts `key` with `data` (ESE's BTInsert); a flag-deleted node with the same key is
    /// replaced. Fails with [`Error::KeyDuplicate`] when a live node has the key.
    pub fn insert(&self, trx: Trx, key: &[u8], data: &[u8]) -> Result<()> {
        self.check_key_data(key, data)?;
        let _w = self.db.lock.write();
        self.insert_with(trx, key, data, true, |_| Ok(()))
    }

    /// The insert, with `first` shown the node stored under `key` (if any) once the one
    /// descent has found it: `first` may refuse the insert with its own error. With `probe`
    /// the tree asks [`VersionCheck::may_modify`](crate::version::VersionCheck::may_modify)
    /// whether the node may change; without it `first` has answered that question.
    fn insert_with<E: From<Error>>(
        &self,
        trx: Trx,
        key: &[u8],
        data: &[u8],
        probe: bool,
        first: impl FnOnce(Option<&Node>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let (path, leaf, i, existing) = self.locate(key)?;
        first(existing.as_ref())?;
        if existing
            .as_ref()
            .is_some_and(|n| !n.flags.contains(NodeFlags::DELETED))
        {
            return Err(Error::KeyDuplicate.into());
        }
        if probe {
            self.db.versions().may_modify(self.objid, key, trx)?;
        }
        let node = NewNode {
            flags: Self::versioned(trx),
            key,
            payload: data,
        };
        let remove = usize::from(existing.is_some());
        let before = existing.as_ref().map(|n| (n.flags, n.payload.as_slice()));
        Ok(self.logged_node_change(key, before, || {
            self.update(&path, leaf, i, remove, &[node], RecKind::Insert, trx)
        })?)
    }

    /// Replaces the data of the live node with `key` (ESE's BTReplace).
    pub fn replace(&self, trx: Trx, key: &[u8], data: &[u8]) -> Result<()> {
        self.check_key_data(key, data)?;
        let _w = self.db.lock.write();
        self.replace_with(trx, key, data, |_| Ok(()))
    }

    /// The replace, with `first` shown the node stored under `key` as [`BTree::insert_with`].
    fn replace_with<E: From<Error>>(
        &self,
        trx: Trx,
        key: &[u8],
        data: &[u8],
        first: impl FnOnce(Option<&Node>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let (path, leaf, i, existing) = self.locate(key)?;
        first(existing.as_ref())?;
        let Some(old) = existing.filter(|n| !n.flags.contains(NodeFlags::DELETED)) else {
            return Err(Error::RecordNotFound.into());
        };
        self.db.versions().may_modify(self.objid, key, trx)?;
        let node = NewNode {
            flags: old.flags.with(Self::versioned(trx)),
            key,
            payload: data,
        };
        let before = Some((old.flags, old.payload.as_slice()));
        Ok(self.logged_node_change(key, before, || {
            self.update(&path, leaf, i, 1, &[node], RecKind::Replace, trx)
        })?)
    }

    /// Flag-deletes the live node with `key` (ESE's BTFlagDelete): it stays on the page for
    /// snapshots that may still see it, invisible to this layer's reads, until
    /// [`BTree::cleanup`] removes it.
    pub fn delete(&self, trx: Trx, key: &[u8]) -> Result<()> {
        let _w = self.db.lock.write();
        self.delete_with(trx, key, None, |_, _| Ok(()))
    }

    /// The flag-delete, with `first` shown the node stored under `key` and its leaf as
    /// [`BTree::insert_with`]; through `hint` when it still names the node's leaf, else by a
    /// descent.
    fn delete_with<E: From<Error>>(
        &self,
        trx: Trx,
        key: &[u8],
        hint: Option<&crate::cursor::NodeHint>,
        first: impl FnOnce(Option<&Node>, Pgno) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let hinted = hint.and_then(|h| self.locate_hinted(key, h));
        // A flag-delete rewrites its node's line at the same length, so it never splits the
        // leaf and never needs the path a hinted find does not know.
        let (path, leaf, i, existing) = match hinted {
            Some((leaf, i, node)) => (Path::new(), leaf, i, Some(node)),
            None => self.locate(key)?,
        };
        first(existing.as_ref(), leaf)?;
        let Some(old) = existing.filter(|n| !n.flags.contains(NodeFlags::DELETED)) else {
            return Err(Error::RecordNotFound.into());
        };
        self.db.versions().may_modify(self.objid, key, trx)?;
        let before = Some((old.flags, old.payload.as_slice()));
        let node = NewNode {
            flags: old
                .flags
                .with(NodeFlags::DELETED)
                .with(Self::versioned(trx)),
            ..NewNode::of(&old)
        };
        Ok(self.logged_node_change(key, before, || {
            self.update(&path, leaf, i, 1, &[node], RecKind::Delete, trx)
        })?)
    }

    /// Runs one node change, with every split or merge it causes, as one atomic change (see
    /// [`Database`]'s module doc), its before-image riding on its first tree-page record.
    fn logged_node_change(
        &self,
        key: &[u8],
        before: Option<(NodeFlags, &[u8])>,
        change: impl FnOnce() -> Result<bool>,
    ) -> Result<()> {
        let mut image = self.db.spare_buffer();
        crate::undo::encode_before_image(&mut image, self.objid, self.root, key, before);
        self.db.atomic(|| {
            self.db.set_undo(Some(image));
            let result = change();
            self.db.set_undo(None);
            result.map(|_| ())
        })
    }

    /// Puts a before-image back (logical undo, ESE's rollback of a node operation): the node
    /// gets its old flags and data, or, if it did not exist, is flag-deleted for cleanup. The
    /// version store is not asked: the transaction undoing its own change holds the node.
    pub fn undo(&self, trx: Trx, image: &crate::undo::BeforeImage) -> Result<()> {
        if image.objid != self.objid {
            return Err(Error::InvalidParameter("a before-image of another tree"));
        }
        let _w = self.db.lock.write();
        self.undo_unlatched(trx, image)
    }

    fn undo_unlatched(&self, trx: Trx, image: &crate::undo::BeforeImage) -> Result<()> {
        let (path, leaf, i, existing) = self.locate(&image.key)?;
        let remove = usize::from(existing.is_some());
        let node = match (&image.before, &existing) {
            (Some((flags, data)), _) => NewNode {
                flags: *flags,
                key: &image.key,
                payload: data,
            },
            (None, Some(n)) => NewNode {
                flags: n.flags.with(NodeFlags::DELETED),
                ..NewNode::of(n)
            },
            // Nothing to put back, but the compensation is still logged (an empty change of
            // the leaf), so every undone change has its compensation record.
            (None, None) => {
                return self
                    .compensate(|| self.update(&path, leaf, i, 0, &[], RecKind::Replace, trx));
            }
        };
        self.compensate(|| self.update(&path, leaf, i, remove, &[node], RecKind::Replace, trx))
    }

    /// Removes the flag-deleted node with `key` if the version store no longer needs it
    /// (ESE's cleanup of a deleted node), merging or freeing under-full pages. Returns whether
    /// a node was removed.
    pub fn cleanup(&self, key: &[u8]) -> Result<bool> {
        let _w = self.db.lock.write();
        self.cleanup_unlatched(key, true)
    }

    /// Removes the flag-deleted node with `key`, asking the version store first when
    /// `ask_versions`; returns whether a node was removed.
    fn cleanup_unlatched(&self, key: &[u8], ask_versions: bool) -> Result<bool> {
        self.cleanup_at(key, ask_versions, None)
    }

    /// [`BTree::cleanup_unlatched`] through `hint` when it still names the node's leaf (see
    /// [`BTree::locate_hinted`]), else by a descent: a batch of one key.
    fn cleanup_at(
        &self,
        key: &[u8],
        ask_versions: bool,
        hint: Option<&crate::cursor::NodeHint>,
    ) -> Result<bool> {
        Ok(self.cleanup_batch(&[(key, hint.copied())], ask_versions)? == 1)
    }

    /// Removes the flag-deleted nodes of `batch` (keys strictly ascending, each with the leaf
    /// it was flag-deleted on when known), one leaf at a time: every node of the batch on a
    /// leaf goes in one logged change of that leaf, which is then freed or merged if it needs
    /// it. Returns how many nodes were removed.
    ///
    /// A key not in the tree, a live node, and (when `ask_versions`) a node the version store
    /// still needs are left alone. After an error the batch's other keys are still tried and
    /// the first error is returned.
    ///
    /// The leaves are visited from the batch's last key back to its first. A leaf left
    /// under-full merges with its right sibling ([`BTree::try_merge`]), which by then has lost
    /// its own nodes of the batch: a batch that thins a run of leaves packs what is left of
    /// them together, where visiting them forwards would find each right sibling still full
    /// and leave every leaf of the run under-full.
    fn cleanup_batch(
        &self,
        batch: &[(&[u8], Option<crate::cursor::NodeHint>)],
        ask_versions: bool,
    ) -> Result<usize> {
        if batch.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(Error::InvalidParameter(
                "a cleanup batch's keys are not strictly ascending",
            ));
        }
        let mut removed = 0;
        let mut first_error = None;
        let mut rest = batch;
        // Each turn answers for at least the last key left, so the loop ends after at most
        // one turn per key, whatever the pages say.
        while !rest.is_empty() {
            let (answered, result) = self.cleanup_leaf(rest, ask_versions);
            match result {
                Ok(n) => removed += n,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
            rest = &rest[..rest.len() - answered.clamp(1, rest.len())];
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(removed),
        }
    }

    /// Removes the nodes of `batch` that lie on the leaf holding (or routing) its last key,
    /// as [`BTree::cleanup_batch`] describes. Returns how many keys at the end of `batch` the
    /// leaf answered for (at least one, unless the leaf could not be found) and how many
    /// nodes were removed.
    fn cleanup_leaf(
        &self,
        batch: &[(&[u8], Option<crate::cursor::NodeHint>)],
        ask_versions: bool,
    ) -> (usize, Result<usize>) {
        let Some(&(key, hint)) = batch.last() else {
            return (0, Ok(0));
        };
        let hinted = hint
            .and_then(|h| self.at_hinted(key, &h, |tp, i| self.leaf_cleanup(tp, batch, Some(i))));
        let (path, mut found, descended) = match hinted {
            Some(found) => (Path::new(), found, false),
            None => {
                let mut path = Path::new();
                let leaf = self.descend_then(
                    key,
                    Some(&mut path),
                    |p| self.db.read_page(p),
                    |tp| self.leaf_cleanup(&tp, batch, None),
                );
                match leaf {
                    Ok((_, found)) => (path, found, true),
                    Err(e) => return (1, Err(e)),
                }
            }
        };
        // Asked with the page released, as a single node's cleanup always has.
        if ask_versions {
            found.nodes.retain(|n| {
                !self
                    .db
                    .versions()
                    .has_uncommitted_version(self.objid, batch[n.batch_index].0)
            });
        }
        let Some(one) = found.nodes.first().map(|n| batch[n.batch_index].0) else {
            return (found.answered, Ok(0));
        };
        let freed: usize = found.nodes.iter().map(|n| n.line_bytes).sum();
        // Whether the leaf keeps enough after the removal that rebalancing it does nothing:
        // decided from the page as it is, before the removal's private copy of it exists.
        let settled = found.pgno != self.root
            && !self.needs_rebalance(
                found.count.saturating_sub(found.nodes.len()),
                found.used_bytes.saturating_sub(freed),
            );
        let leaf = found.pgno;
        // The removal and the merges or frees it causes are one atomic change.
        let result = self.db.atomic(|| {
            // Removing nodes always fits their page: no split, so no path needed for it.
            if let [only] = found.nodes[..] {
                let op = LineOp::Delete((only.index + 1) as u16);
                self.db.change_one(leaf, RecKind::Delete, Trx::MIN, op)?;
            } else {
                // From the last line back (the order they were found in), so each index
                // still names its node when its delete is applied.
                let ops: SmallVec<[LineOp; 8]> = found
                    .nodes
                    .iter()
                    .map(|n| LineOp::Delete((n.index + 1) as u16))
                    .collect();
                self.db
                    .change(leaf, RecKind::Delete, Trx::MIN, &ops, false)?;
            }
            if !settled {
                if descended {
                    self.rebalance(&path, leaf)?;
                } else {
                    self.rebalance_found(one, leaf)?;
                }
            }
            Ok(found.nodes.len())
        });
        (found.answered, result)
    }

    /// The nodes of `batch` that leaf `tp` holds flag-deleted (the version store not asked
    /// yet), and how many keys at the end of `batch` the leaf answers for: the last key,
    /// which was found on it or routed to it, and every earlier one down to the leaf's first
    /// node's key (a key in that range is on this leaf if it is in the tree at all).
    /// `last_at` is the index of the batch's last key on the leaf when the caller found it
    /// there already (through a hint), so it is not searched for again.
    fn leaf_cleanup(
        &self,
        tp: &TreePage<'_>,
        batch: &[(&[u8], Option<crate::cursor::NodeHint>)],
        last_at: Option<usize>,
    ) -> Result<LeafCleanup> {
        let mut found = LeafCleanup {
            pgno: tp.pgno,
            count: tp.count(),
            used_bytes: tp.used_bytes(),
            answered: 0,
            nodes: SmallVec::new(),
        };
        let mut below = usize::MAX;
        for (n, &(key, _)) in batch.iter().enumerate().rev() {
            // Below the leaf's first node: an earlier leaf's, unless it is the key the leaf
            // was found by. Most leaves hold one key of a batch, so the key after it is
            // first set against the first node alone, not searched for.
            if found.answered > 0 && (tp.count() == 0 || tp.node(0)?.cmp_key(key).is_gt()) {
                break;
            }
            // Keys go down, so each one's bound is at most the one before's.
            let (i, exact) = match last_at {
                Some(i) if found.answered == 0 => (i, true),
                _ => tp.lower_bound_below(key, below)?,
            };
            below = i;
            found.answered += 1;
            if exact && tp.node(i)?.flags.contains(NodeFlags::DELETED) {
                found.nodes.push(Removal {
                    index: i,
                    // Deleting a line frees exactly its bytes and its tag.
                    line_bytes: tp.view.line(i + 1)?.len() + ese_pageio::page::TAG_BYTES,
                    batch_index: n,
                });
            }
        }
        Ok(found)
    }

    /// [`BTree::rebalance`] of leaf `pgno`, which needs it, where `key` was found without a
    /// descent: the path a merge or a free needs is found by descending to `key` (the leaf's
    /// parents are as they were).
    fn rebalance_found(&self, key: &[u8], pgno: Pgno) -> Result<()> {
        if pgno == self.root {
            return self.rebalance(&[], pgno);
        }
        let (path, leaf) = self.descend(key)?;
        if leaf != pgno {
            return corrupt(
                pgno,
                "a leaf that held a key is not where the tree routes it",
            );
        }
        self.rebalance(&path, pgno)
    }

    /// Whether a non-root page of `count` nodes using `used` bytes is emptied or under-full
    /// enough for [`BTree::rebalance`] to free or merge it.
    fn needs_rebalance(&self, count: usize, used: usize) -> bool {
        count == 0 || used < self.capacity() / 4
    }

    /// Deletes `key` and removes it at once (flag delete, then cleanup): for data no snapshot
    /// can see, such as a temporary table's.
    pub fn delete_now(&self, trx: Trx, key: &[u8]) -> Result<()> {
        self.delete(trx, key)?;
        self.cleanup(key)?;
        Ok(())
    }

    /// The node with `key`, flags included, if the leaf holds one; the caller holds the
    /// database's lock.
    pub(crate) fn node_unlatched(&self, key: &[u8]) -> Result<Option<Node>> {
        Ok(self.locate(key)?.3)
    }

    fn check_latch(&self, latch: &dyn Latch) -> Result<()> {
        if std::ptr::eq(latch.database(), &*self.db) {
            Ok(())
        } else {
            Err(Error::InvalidParameter("a latch of another database"))
        }
    }

    /// Fails as [`BTree::insert`] would on a key or data it can never hold (empty or too long
    /// a key, too long data), touching nothing: a check to make before recording a version.
    pub fn validate(&self, key: &[u8], data: &[u8]) -> Result<()> {
        self.check_key_data(key, data)
    }

    /// Takes the database's tree latch shared (what every read of [`BTree`] takes).
    pub fn read_latch(&self) -> ReadLatch<'_> {
        ReadLatch::new(&self.db)
    }

    /// Takes the database's tree latch exclusively (what every change of [`BTree`] takes).
    pub fn write_latch(&self) -> WriteLatch<'_> {
        WriteLatch::new(&self.db)
    }

    /// The node with `key`, flags included (flag-deleted nodes too), read under `latch`.
    pub fn node_latched(&self, latch: &dyn Latch, key: &[u8]) -> Result<Option<Node>> {
        self.check_latch(latch)?;
        self.node_unlatched(key)
    }

    /// [`BTree::insert`] under a write latch the caller already holds, first showing `first`
    /// the node stored under `key` (if any, flag-deleted or not), which may refuse the insert
    /// with its own error (`|_| Ok(())` refuses nothing): the layer above
    /// checks the node and records its version on the insert's own descent, instead of
    /// reading the node with a descent of its own first. Nothing is changed before `first`
    /// returns, and nothing if it fails. `first` also answers for the write-conflict check
    /// (it records the version, which makes that check): the tree does not ask
    /// [`VersionCheck::may_modify`](crate::version::VersionCheck::may_modify) again.
    pub fn insert_latched_with<E: From<Error>>(
        &self,
        latch: &WriteLatch<'_>,
        trx: Trx,
        key: &[u8],
        data: &[u8],
        first: impl FnOnce(Option<&Node>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.check_latch(latch)?;
        self.check_key_data(key, data)?;
        self.insert_with(trx, key, data, false, first)
    }

    /// [`BTree::replace`] under a write latch the caller already holds, first showing `first`
    /// the node stored under `key`, as [`BTree::insert_latched_with`] does.
    pub fn replace_latched_with<E: From<Error>>(
        &self,
        latch: &WriteLatch<'_>,
        trx: Trx,
        key: &[u8],
        data: &[u8],
        first: impl FnOnce(Option<&Node>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.check_latch(latch)?;
        self.check_key_data(key, data)?;
        self.replace_with(trx, key, data, first)
    }

    /// [`BTree::delete`] under a write latch the caller already holds, first showing `first`
    /// the node stored under `key`, as [`BTree::insert_latched_with`] does.
    pub fn delete_latched_with<E: From<Error>>(
        &self,
        latch: &WriteLatch<'_>,
        trx: Trx,
        key: &[u8],
        first: impl FnOnce(Option<&Node>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.check_latch(latch)?;
        self.delete_with(trx, key, None, |node, _| first(node))
    }

    /// [`BTree::delete_latched_with`] through `hint`, where a cursor found the node (see
    /// [`crate::cursor::NodeHint`]): when the hinted leaf still holds `key`, the node is
    /// changed there without a descent, logging exactly what the descent's change logs;
    /// otherwise (no hint, or one the tree moved past) the tree is descended. `first` is also
    /// shown the leaf the node is on, where it stays once flag-deleted.
    pub fn delete_at_latched_with<E: From<Error>>(
        &self,
        latch: &WriteLatch<'_>,
        trx: Trx,
        key: &[u8],
        hint: Option<&crate::cursor::NodeHint>,
        first: impl FnOnce(Option<&Node>, Pgno) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.check_latch(latch)?;
        self.delete_with(trx, key, hint, first)
    }

    /// [`BTree::undo`] under a write latch the caller already holds (rollback takes every
    /// latch first, then undoes under the version store's lock).
    pub fn undo_latched(
        &self,
        latch: &WriteLatch<'_>,
        trx: Trx,
        image: &crate::undo::BeforeImage,
    ) -> Result<()> {
        self.check_latch(latch)?;
        if image.objid != self.objid {
            return Err(Error::InvalidParameter("a before-image of another tree"));
        }
        self.undo_unlatched(trx, image)
    }

    /// Gives the node with `key` the flags and data of `before` (or, for `None`, flag-deletes
    /// it), as [`BTree::undo_latched`] does with a before-image built from them.
    pub fn restore_latched(
        &self,
        latch: &WriteLatch<'_>,
        trx: Trx,
        key: &[u8],
        before: Option<(NodeFlags, Vec<u8>)>,
    ) -> Result<()> {
        let image = crate::undo::BeforeImage {
            objid: self.objid,
            root: self.root,
            key: key.to_vec(),
            before,
        };
        self.undo_latched(latch, trx, &image)
    }

    /// [`BTree::cleanup`] under a write latch the caller already holds.
    pub fn cleanup_latched(&self, latch: &WriteLatch<'_>, key: &[u8]) -> Result<bool> {
        self.check_latch(latch)?;
        self.cleanup_unlatched(key, true)
    }

    /// [`BTree::cleanup_latched`] through `hint`, the leaf the node was flag-deleted on: when
    /// that page still holds `key` the node is removed there without a descent (the tree is
    /// descended only when the removal leaves the leaf to free or merge, which needs its
    /// parents), logging exactly what the descent's removal logs; otherwise the tree is
    /// descended.
    pub fn cleanup_at_latched(
        &self,
        latch: &WriteLatch<'_>,
        key: &[u8],
        hint: Option<&crate::cursor::NodeHint>,
    ) -> Result<bool> {
        self.check_latch(latch)?;
        self.cleanup_at(key, true, hint)
    }

    /// [`BTree::cleanup_at_latched`] for many nodes of this tree at once: removes each
    /// flag-deleted node of `batch` that the version store no longer needs, every one found
    /// on the same leaf in one logged change of that leaf (which is then freed or merged if
    /// it needs it, once). The keys must be strictly ascending (else
    /// [`Error::InvalidParameter`], nothing changed); each comes with the leaf it was
    /// flag-deleted on when known, tried before a descent as [`BTree::cleanup_at_latched`]
    /// does. Keys not in the tree, live nodes and nodes with a version are left alone.
    /// Returns how many nodes were removed; after an error the later keys are still tried and
    /// the first error is returned.
    pub fn cleanup_batch_latched(
        &self,
        latch: &WriteLatch<'_>,
        batch: &[(&[u8], Option<crate::cursor::NodeHint>)],
    ) -> Result<usize> {
        self.check_latch(latch)?;
        self.cleanup_batch(batch, true)
    }

    /// Removes the flag-deleted node with `key` without asking the version store, under a
    /// write latch the caller holds: for a node the caller knows no one can see (the undo of an
    /// insert, inside rollback, which holds the version store's lock). Returns whether a node
    /// was removed; a live node is left alone.
    pub fn purge_latched(&self, latch: &WriteLatch<'_>, key: &[u8]) -> Result<bool> {
        self.check_latch(latch)?;
        self.cleanup_unlatched(key, false)
    }

    /// Replaces nodes `start..start + remove` of page `pgno` by `new`, splitting the page when
    /// the result does not fit. Returns whether the page split (or was rebuilt).
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        path: &[Level],
        pgno: Pgno,
        start: usize,
        remove: usize,
        new: &[NewNode<'_>],
        kind: RecKind,
        trx: Trx,
    ) -> Result<bool> {
        let (fast, nodes, head, shape) = {
            let page = self.db.read_page(pgno)?;
            let tp = self.tree_page(&page, pgno)?;
            let count = tp.count();
            if start + remove > count {
                return corrupt(pgno, "a node change lies past the page's nodes");
            }
            let mut removed = 0;
            for i in start..start + remove {
                removed += tp.view.line(i + 1)?.len() + ese_pageio::page::TAG_BYTES;
            }
            let added: usize = new
                .iter()
                .map(|n| n.line_len(n.prefix_used(tp.prefix)) + ese_pageio::page::TAG_BYTES)
                .sum();
            let head = Head::from(tp.view.header());
            if added <= tp.view.available_bytes() + removed {
                let keep = remove.min(new.len());
                let mut ops: SmallVec<[LineOp; 2]> = SmallVec::new();
                let line = |i: usize| (i + 1) as u16;
                for i in (start + keep..start + remove).rev() {
                    ops.push(LineOp::Delete(line(i)));
                }
                for (j, n) in new.iter().enumerate() {
                    let mut l = self.db.spare_buffer();
                    n.encode_into(n.prefix_used(tp.prefix), &mut l);
                    ops.push(if j < keep {
                        LineOp::Replace(line(start + j), l)
                    } else {
                        LineOp::Insert(line(start + j), l)
                    });
                }
                (Some(ops), Vec::new(), head, (None, 0, 0, count))
            } else {
                // Decoded into a spare list's nodes, reusing their buffers: a split rewrites
                // every node of its page, so it would otherwise allocate each one twice.
                let mut nodes = self.db.spare_nodes();
                for i in 0..count {
                    let node = tp.node(i)?;
                    match nodes.get_mut(i) {
                        Some(n) => node.copy_into(n),
                        None => nodes.push(node.to_node()),
                    }
                }
                nodes.truncate(count);
                nodes.splice(start..start + remove, new.iter().map(|n| n.to_node()));
                // The append optimisation: a change at the end of a level's last page.
                let append = head.next.is_null() && start > 0 && start + remove == count;
                let at = if append { Some(start) } else { None };
                (None, nodes, head, (at, start, remove, count))
            }
        };
        if let Some(mut ops) = fast {
            match ops.pop() {
                Some(op) if ops.is_empty() => self.db.change_one(pgno, kind, trx, op)?,
                Some(op) => {
                    ops.push(op);
                    self.db.change(pgno, kind, trx, &ops, false)?;
                }
                None => self.db.change(pgno, kind, trx, &[], false)?,
            }
            return Ok(false);
        }
        // Every level up to the root may split, each into at most three pages, and the root
        // into new children: reserve the space first so a full disk fails the change cleanly.
        let split = self
            .db
            .reserve(3 * (path.len() as u32 + 2))
            .and_then(|()| self.split(path, pgno, &nodes, head, shape, trx));
        self.db.keep_nodes(nodes);
        split.map(|()| true)
    }

    /// Cuts `nodes` into consecutive groups that each fit on a page (see the module doc).
    /// The first `unchanged` nodes are the page's own, unchanged: a first group within them
    /// stays on the page as it is, so it fits whatever prefix a rebuild would choose.
    #[allow(clippy::single_range_in_vec_init)] // one group is one range: no split needed
    fn choose_groups(
        &self,
        nodes: &[Node],
        append_at: Option<usize>,
        unchanged: usize,
    ) -> Result<Vec<std::ops::Range<usize>>> {
        let cap = self.capacity();
        let n = nodes.len();
        let fits = |r: std::ops::Range<usize>| {
            (r.start == 0 && r.end <= unchanged) || group_bytes(&nodes[r]) <= cap
        };
        if group_bytes(nodes) <= cap {
            return Ok(vec![0..n]);
        }
        if let Some(k) = append_at
            && k > 0
            && k < n
            && fits(0..k)
            && fits(k..n)
        {
            return Ok(vec![0..k, k..n]);
        }
        // Cuts ranked by how even their halves are (sizes without prefixes), then the first
        // whose halves really fit.
        let raw: Vec<usize> = nodes.iter().map(|x| x.size_with_prefix(0)).collect();
        let total: usize = raw.iter().sum();
        let mut cuts: Vec<(usize, usize)> = Vec::with_capacity(n);
        let mut left = 0usize;
        for (k, r) in raw.iter().enumerate().take(n.saturating_sub(1)) {
            left += r;
            cuts.push((left.max(total - left), k + 1));
        }
        cuts.sort_unstable();
        if let Some(&(_, k)) = cuts.iter().find(|&&(_, k)| fits(0..k) && fits(k..n)) {
            return Ok(vec![0..k, k..n]);
        }
        let mut groups = Vec::new();
        let mut i = 0;
        while i < n {
            let mut j = i + 1;
            if !fits(i..j) {
                return corrupt(Pgno::NULL, "a node does not fit on an empty page");
            }
            while j < n && fits(i..j + 1) {
                j += 1;
            }
            groups.push(i..j);
            i = j;
        }
        Ok(groups)
    }

    /// The line operations that leave page `pgno` holding `nodes[..end]` (the page's nodes
    /// with a change applied that replaced its nodes `start..start + remove` of `old_count`)
    /// without rebuilding it: the lines past the group are deleted, the change is applied
    /// line by line against the page's own prefix and, with `inf_last`, the group's last node
    /// becomes the page's `INF` node. `None` when the group does not fit under that prefix
    /// (at every step of the operations), so the page must be rebuilt instead.
    fn cut_changed(
        &self,
        pgno: Pgno,
        nodes: &[Node],
        end: usize,
        (start, remove, old_count): (usize, usize, usize),
        inf_last: bool,
    ) -> Result<Option<Vec<LineOp>>> {
        let page = self.db.read_page(pgno)?;
        let tp = self.tree_page(&page, pgno)?;
        let Some(added) = (nodes.len() + remove).checked_sub(old_count) else {
            return Ok(None);
        };
        if tp.count() != old_count
            || start + remove > old_count
            || end <= start
            || end > nodes.len()
        {
            return Ok(None);
        }
        let encode = |j: usize| {
            if inf_last && j + 1 == end {
                encode_line(NodeFlags::INF, 0, &[], &nodes[j].payload)
            } else {
                nodes[j].encode(tp.prefix)
            }
        };
        // The new nodes that stay, and the first old node past the group.
        let new_kept = (end - start).min(added);
        let old_end = if end > start + added {
            end - added + remove
        } else {
            start + remove
        };
        if old_end > old_count {
            return Ok(None);
        }
        let line = |i: usize| (i + 1) as u16;
        let mut ops: Vec<LineOp> = (old_end..old_count)
            .rev()
            .map(|i| LineOp::Delete(line(i)))
            .collect();
        let keep = remove.min(new_kept);
        ops.extend(
            (start + keep..start + remove)
                .rev()
                .map(|i| LineOp::Delete(line(i))),
        );
        ops.extend((0..keep).map(|j| LineOp::Replace(line(start + j), encode(start + j))));
        ops.extend((keep..new_kept).map(|j| LineOp::Insert(line(start + j), encode(start + j))));
        if inf_last && end > start + new_kept {
            ops.push(LineOp::Replace(line(end - 1), encode(end - 1)));
        }
        // Every step must fit the page, as redo applies them one by one.
        let tag = ese_pageio::page::TAG_BYTES;
        let mut lens = Vec::with_capacity(tp.view.line_count());
        for i in 0..tp.view.line_count() {
            lens.push(tp.view.line(i)?.len());
        }
        let limit = self
            .capacity()
            .saturating_sub(usize::from(tp.view.header().uncommitted_free_bytes));
        let mut used = tp.used_bytes();
        for op in &ops {
            match op {
                LineOp::Delete(i) => {
                    let Some(&len) = lens.get(usize::from(*i)) else {
                        return Ok(None);
                    };
                    lens.remove(usize::from(*i));
                    used = used.saturating_sub(len + tag);
                }
                LineOp::Replace(i, b) => {
                    let Some(len) = lens.get_mut(usize::from(*i)) else {
                        return Ok(None);
                    };
                    used = (used + b.len()).saturating_sub(*len);
                    *len = b.len();
                }
                LineOp::Insert(i, b) => {
                    if usize::from(*i) > lens.len() {
                        return Ok(None);
                    }
                    lens.insert(usize::from(*i), b.len());
                    used += b.len() + tag;
                }
                _ => return Ok(None),
            }
            if used > limit {
                return Ok(None);
            }
        }
        Ok(Some(ops))
    }

    /// Splits page `pgno` (whose nodes, with the change applied, are `nodes`; the change
    /// replaced the page's nodes `unchanged..unchanged + removed` of its `old_count`).
    fn split(
        &self,
        path: &[Level],
        pgno: Pgno,
        nodes: &[Node],
        head: Head,
        (append_at, unchanged, removed, old_count): (Option<usize>, usize, usize, usize),
        trx: Trx,
    ) -> Result<()> {
        let is_root = pgno == self.root;
        // A root moves every group into new children, so none of them stays as it is.
        let unchanged = if is_root { 0 } else { unchanged };
        let groups = self.choose_groups(nodes, append_at, unchanged)?;
        let is_leaf = head.flags.contains(PageFlags::LEAF);
        if groups.len() == 1 {
            // The change fits once the page is rebuilt with a fresh prefix.
            self.db.change(
                pgno,
                RecKind::Replace,
                trx,
                &[LineOp::Format {
                    objid: self.objid,
                    flags: head.flags,
                    prev: head.prev,
                    next: head.next,
                    lines: page_lines(nodes),
                }],
                false,
            )?;
            return Ok(());
        }
        // The pages the groups go to: a root moves every group into new children.
        let mut pages = Vec::with_capacity(groups.len());
        if !is_root {
            pages.push(pgno);
        }
        while pages.len() < groups.len() {
            pages.push(self.db.alloc_page()?);
        }
        let k = groups.len();
        let child_flags = head.flags.difference(PageFlags::ROOT);
        let mut seps = Vec::with_capacity(k - 1);
        for (gi, g) in groups.iter().enumerate() {
            // The group's nodes are written from `nodes` in place; on an internal page every
            // group but the last sends its last separator up and keeps that node as its INF
            // node.
            let gnodes = &nodes[g.clone()];
            let inf_last = !is_leaf && gi + 1 < k;
            if gi + 1 < k {
                let sep = if is_leaf {
                    let last = &nodes[g.end - 1].key;
                    let first = &nodes[g.end].key;
                    separator(last, first)
                } else {
                    match gnodes.last() {
                        Some(last) => last.key.clone(),
                        None => return corrupt(pgno, "an empty group in a split"),
                    }
                };
                seps.push(sep);
            }
            let (prev, next) = if is_root {
                (
                    if gi == 0 { Pgno::NULL } else { pages[gi - 1] },
                    if gi + 1 == k {
                        Pgno::NULL
                    } else {
                        pages[gi + 1]
                    },
                )
            } else {
                (
                    if gi == 0 { head.prev } else { pages[gi - 1] },
                    if gi + 1 == k {
                        head.next
                    } else {
                        pages[gi + 1]
                    },
                )
            };
            let first_in_place = !is_root && gi == 0;
            let kind = if first_in_place {
                RecKind::Split(pages[1])
            } else {
                RecKind::NewPage
            };
            if first_in_place && g.end <= unchanged {
                // The first group is the page's own first nodes: cut the rest off in place
                // (and, on an internal page, turn the new last node into its INF node).
                let mut ops: Vec<LineOp> = (g.end..old_count)
                    .rev()
                    .map(|i| LineOp::Delete((i + 1) as u16))
                    .collect();
                if !is_leaf && let Some(last) = gnodes.last() {
                    ops.push(LineOp::Replace(
                        g.end as u16,
                        encode_line(NodeFlags::INF, 0, &[], &last.payload),
                    ));
                }
                ops.push(LineOp::SetNext(next));
                self.db.change(pages[gi], kind, trx, &ops, false)?;
                continue;
            }
            if first_in_place {
                let change = (unchanged, removed, old_count);
                if let Some(mut ops) = self.cut_changed(pgno, nodes, g.end, change, inf_last)? {
                    ops.push(LineOp::SetNext(next));
                    self.db.change(pages[gi], kind, trx, &ops, false)?;
                    continue;
                }
            }
            // Encoded into a kept line list, which goes back once the change has copied it.
            let mut lines = self.db.spare_lines();
            page_lines_into(gnodes, inf_last, &mut lines);
            let ops = [LineOp::Format {
                objid: self.objid,
                flags: child_flags,
                prev,
                next,
                lines,
            }];
            let changed = self.db.change(pages[gi], kind, trx, &ops, !first_in_place);
            if let [LineOp::Format { lines, .. }] = ops {
                self.db.keep_lines(lines);
            }
            changed?;
        }
        if is_root {
            let mut root_nodes: Vec<Node> = seps
                .into_iter()
                .zip(&pages)
                .map(|(sep, &p)| Node::internal(NodeFlags::NONE, sep, p))
                .collect();
            root_nodes.push(Node::internal(NodeFlags::INF, Vec::new(), pages[k - 1]));
            if group_bytes(&root_nodes) > self.capacity() {
                return corrupt(pgno, "a root split produced more separators than fit");
            }
            let mut flags = head
                .flags
                .difference(PageFlags::LEAF.union(PageFlags::PARENT));
            if is_leaf {
                flags = flags.union(PageFlags::PARENT);
            }
            self.db.change(
                pgno,
                RecKind::Split(pages[0]),
                trx,
                &[LineOp::Format {
                    objid: self.objid,
                    flags,
                    prev: Pgno::NULL,
                    next: Pgno::NULL,
                    lines: page_lines(&root_nodes),
                }],
                false,
            )?;
            return Ok(());
        }
        if !head.next.is_null() {
            self.db.change(
                head.next,
                RecKind::Split(pgno),
                trx,
                &[LineOp::SetPrev(pages[k - 1])],
                false,
            )?;
        }
        let Some((parent, above)) = path.split_last() else {
            return corrupt(pgno, "a non-root page has no parent on the path");
        };
        let old = {
            let page = self.db.read_page(parent.pgno)?;
            let tp = self.tree_page(&page, parent.pgno)?;
            tp.node(parent.index)?.to_node()
        };
        if old.child() != pgno {
            return corrupt(
                parent.pgno,
                "the parent does not point at the page it routed to",
            );
        }
        let mut up: Vec<Node> = seps
            .into_iter()
            .zip(&pages)
            .map(|(sep, &p)| Node::internal(NodeFlags::NONE, sep, p))
            .collect();
        up.push(Node::internal(old.flags, old.key, pages[k - 1]));
        let up: SmallVec<[NewNode<'_>; 4]> = up.iter().map(NewNode::of).collect();
        self.update(
            above,
            parent.pgno,
            parent.index,
            1,
            &up,
            RecKind::Insert,
            trx,
        )?;
        Ok(())
    }

    /// After nodes were removed from `pgno`: frees it if empty, merges it if under-full,
    /// and lets a root with one child absorb it.
    fn rebalance(&self, path: &[Level], pgno: Pgno) -> Result<()> {
        if pgno == self.root {
            return self.collapse_root();
        }
        let (count, used, head) = {
            let page = self.db.read_page(pgno)?;
            let tp = self.tree_page(&page, pgno)?;
            (tp.count(), tp.used_bytes(), Head::from(tp.view.header()))
        };
        if count == 0 {
            return self.remove_page(path, pgno, head);
        }
        if self.needs_rebalance(count, used) {
            return self.try_merge(path);
        }
        Ok(())
    }

    /// Unlinks and frees the empty page `pgno`, removing its node from the parent.
    fn remove_page(&self, path: &[Level], pgno: Pgno, head: Head) -> Result<()> {
        let Some((parent, above)) = path.split_last() else {
            return corrupt(pgno, "a non-root page has no parent on the path");
        };
        self.unlink(pgno, head)?;
        self.db.free_page(pgno)?;
        let (pc, last, before) = {
            let page = self.db.read_page(parent.pgno)?;
            let tp = self.tree_page(&page, parent.pgno)?;
            let last = tp.node(parent.index)?.to_node();
            let before = if parent.index > 0 {
                Some(tp.node(parent.index - 1)?.to_node())
            } else {
                None
            };
            (tp.count(), last, before)
        };
        if pc == 1 {
            if parent.pgno == self.root {
                let flags = {
                    let page = self.db.read_page(self.root)?;
                    self.tree_page(&page, self.root)?.view.header().flags
                };
                let flags = flags.difference(PageFlags::PARENT).union(PageFlags::LEAF);
                self.db.change(
                    self.root,
                    RecKind::Merge(pgno),
                    Trx::MIN,
                    &[LineOp::Format {
                        objid: self.objid,
                        flags,
                        prev: Pgno::NULL,
                        next: Pgno::NULL,
                        lines: vec![Vec::new()],
                    }],
                    false,
                )?;
                return Ok(());
            }
            let phead = {
                let page = self.db.read_page(parent.pgno)?;
                Head::from(self.tree_page(&page, parent.pgno)?.view.header())
            };
            return self.remove_page(above, parent.pgno, phead);
        }
        let split = if parent.index + 1 == pc {
            // The last node covers up to the page's bound: its left neighbour takes it over.
            let Some(before) = before else {
                return corrupt(parent.pgno, "an internal page lost its nodes");
            };
            let merged = Node::internal(last.flags, last.key, before.child());
            self.update(
                above,
                parent.pgno,
                parent.index - 1,
                2,
                &[NewNode::of(&merged)],
                RecKind::Delete,
                Trx::MIN,
            )?
        } else {
            self.update(
                above,
                parent.pgno,
                parent.index,
                1,
                &[],
                RecKind::Delete,
                Trx::MIN,
            )?
        };
        if !split {
            self.rebalance(above, parent.pgno)?;
        }
        Ok(())
    }

    /// Takes `pgno` out of its level's sibling chain.
    fn unlink(&self, pgno: Pgno, head: Head) -> Result<()> {
        if !head.prev.is_null() {
            self.db.change(
                head.prev,
                RecKind::Merge(pgno),
                Trx::MIN,
                &[LineOp::SetNext(head.next)],
                false,
            )?;
        }
        if !head.next.is_null() {
            self.db.change(
                head.next,
                RecKind::Merge(pgno),
                Trx::MIN,
                &[LineOp::SetPrev(head.prev)],
                false,
            )?;
        }
        Ok(())
    }

    /// Merges the under-full page at the end of `path` with a sibling under the same parent,
    /// when both fit in one page at 90% or less.
    fn try_merge(&self, path: &[Level]) -> Result<()> {
        let Some((parent, above)) = path.split_last() else {
            return Ok(());
        };
        let (li, left_node, right_child) = {
            let page = self.db.read_page(parent.pgno)?;
            let tp = self.tree_page(&page, parent.pgno)?;
            let pc = tp.count();
            if pc < 2 {
                return Ok(());
            }
            let li = if parent.index + 1 < pc {
                parent.index
            } else {
                parent.index - 1
            };
            (li, tp.node(li)?.to_node(), tp.node(li + 1)?.child())
        };
        let left = left_node.child();
        let (mut nodes, lhead) = self.page_nodes(left)?;
        let (right_nodes, rhead) = self.page_nodes(right_child)?;
        if !lhead.flags.contains(PageFlags::LEAF) {
            match nodes.last_mut() {
                Some(last) if last.flags.contains(NodeFlags::INF) => {
                    last.flags = NodeFlags::NONE;
                    last.key = left_node.key.clone();
                }
                _ => return corrupt(left, "an internal page does not end with its INF node"),
            }
        }
        nodes.extend(right_nodes);
        if group_bytes(&nodes) * 10 > self.capacity() * 9 {
            return Ok(());
        }
        self.db.change(
            right_child,
            RecKind::Merge(left),
            Trx::MIN,
            &[LineOp::Format {
                objid: self.objid,
                flags: rhead.flags,
                prev: lhead.prev,
                next: rhead.next,
                lines: page_lines(&nodes),
            }],
            false,
        )?;
        if !lhead.prev.is_null() {
            self.db.change(
                lhead.prev,
                RecKind::Merge(left),
                Trx::MIN,
                &[LineOp::SetNext(right_child)],
                false,
            )?;
        }
        self.db.free_page(left)?;
        let split = self.update(above, parent.pgno, li, 1, &[], RecKind::Delete, Trx::MIN)?;
        if !split {
            self.rebalance(above, parent.pgno)?;
        }
        Ok(())
    }

    fn page_nodes(&self, pgno: Pgno) -> Result<(Vec<Node>, Head)> {
        let page = self.db.read_page(pgno)?;
        let tp = self.tree_page(&page, pgno)?;
        Ok((tp.nodes()?, Head::from(tp.view.header())))
    }

    /// While the root is an internal page with one child, moves the child's nodes into it.
    fn collapse_root(&self) -> Result<()> {
        for _ in 0..MAX_DEPTH {
            let child = {
                let page = self.db.read_page(self.root)?;
                let tp = self.tree_page(&page, self.root)?;
                if tp.is_leaf() || tp.count() != 1 {
                    return Ok(());
                }
                tp.node(0)?.child()
            };
            let (nodes, chead) = self.page_nodes(child)?;
            if group_bytes(&nodes) > self.capacity() {
                return Ok(());
            }
            self.db.change(
                self.root,
                RecKind::Merge(child),
                Trx::MIN,
                &[LineOp::Format {
                    objid: self.objid,
                    flags: chead.flags.union(PageFlags::ROOT),
                    prev: Pgno::NULL,
                    next: Pgno::NULL,
                    lines: page_lines(&nodes),
                }],
                false,
            )?;
            self.db.free_page(child)?;
        }
        corrupt(self.root, "the root keeps collapsing past the depth limit")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;

    fn leaf(i: u8, data_bytes: usize) -> Node {
        let mut key = vec![b'a'; 5];
        key.extend(std::iter::repeat_n(b'b', 245));
        key.push(i);
        Node {
            flags: NodeFlags::NONE,
            key,
            payload: vec![i; data_bytes],
        }
    }

    #[test]
    fn a_borrowed_node_encodes_the_line_an_owned_node_does() {
        let inf = Node {
            flags: NodeFlags::INF,
            key: Vec::new(),
            payload: 7u32.to_le_bytes().to_vec(),
        };
        let nodes = [leaf(1, 0), leaf(2, 30), inf];
        let prefixes: [&[u8]; 4] = [b"", b"aaa", b"aaaaab", b"zz"];
        for n in &nodes {
            for prefix in prefixes {
                let new = NewNode::of(n);
                let used = new.prefix_used(prefix);
                let mut line = vec![9u8];
                new.encode_into(used, &mut line);
                assert_eq!(line[1..], n.encode(prefix)[..]);
                assert_eq!(new.line_len(used), line.len() - 1);
                assert_eq!(new.to_node(), *n);
            }
        }
    }

    #[test]
    fn a_changed_group_is_cut_in_place_only_while_the_page_prefix_holds_it() {
        let env = TestDb::new(4096, 64, 8, false).expect("a database");
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).expect("a tree");
        let root = tree.root();
        // Twelve nodes sharing 250 bytes among themselves but only 5 with the page's prefix.
        let nodes: Vec<Node> = (0..12u8).map(|i| leaf(i, 40)).collect();
        let prefix = vec![b'a'; 250];
        let mut lines = vec![prefix.clone()];
        lines.extend(nodes.iter().map(|n| n.encode(&prefix)));
        let flags = {
            let page = env.db.read_page(root).expect("the root");
            tree.tree_page(&page, root)
                .expect("a tree page")
                .view
                .header()
                .flags
        };
        let format = LineOp::Format {
            objid: tree.objid,
            flags,
            prev: Pgno::NULL,
            next: Pgno::NULL,
            lines,
        };
        env.db
            .change(root, RecKind::Replace, Trx::MIN, &[format], false)
            .expect("the page");

        // Node 2 grows a little: the page keeps nodes 0..3 under its own prefix.
        let mut small = nodes.clone();
        small[2].payload = vec![2; 80];
        let ops = tree
            .cut_changed(root, &small, 3, (2, 1, 12), false)
            .expect("ops")
            .expect("the group fits under the page's prefix");
        assert_eq!(ops.len(), 10);
        assert!(ops[..9].iter().all(|op| matches!(op, LineOp::Delete(_))));
        assert_eq!(ops[9], LineOp::Replace(3, small[2].encode(&prefix)));
        env.db
            .change(root, RecKind::Replace, Trx::MIN, &ops, false)
            .expect("the cut");
        let (kept, _) = tree.page_nodes(root).expect("the nodes");
        assert_eq!(kept, small[..3]);

        // Node 2 grows past what the page's prefix leaves room for, though a fresh prefix
        // would hold the group: the page must be rebuilt.
        let mut big = small[..3].to_vec();
        big[2].payload = vec![2; 3250];
        big.push(leaf(20, 40));
        assert!(group_bytes(&big[..3]) <= tree.capacity());
        let cut = tree
            .cut_changed(root, &big, 3, (2, 1, 3), false)
            .expect("ops");
        assert!(cut.is_none());
        // A change whose nodes do not match the page's count is never cut.
        let cut = tree
            .cut_changed(root, &small, 3, (2, 1, 12), false)
            .expect("ops");
        assert!(cut.is_none());
    }
}
