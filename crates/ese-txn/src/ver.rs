//! The version store (ESE's VER): one chain of versions per node, and the rules that read it.
//!
//! # What a version is
//!
//! ESE changes B-tree nodes in place. The node always holds the newest data, committed or not;
//! what other transactions may need to see instead is kept here, in memory, as a *version*
//! (ESE's RCE) keyed by the node's object and key (its bookmark). A version records which
//! transaction made the change (its begin timestamp), when it committed (`Trx::MAX` while it
//! has not), and what the change was:
//!
//! ```text
//!   Insert  { reused }   the node did not exist for anyone before (or was flag-deleted: `reused`
//!                        holds the deleted node's data, which older snapshots may still read)
//!   Replace { before }   the node's data before the change: the before-image
//!   FlagDelete           the node is marked deleted; its data stays in the node until cleanup
//!   Delta { field, d }   an escrow update added d to a numeric field
//!   Lock(read | write)   JetGetLock: no change, only a claim that makes writers conflict
//! ```
//!
//! # Visibility
//!
//! Timestamps come from one counter: a transaction takes one when it enters level 1 (its begin,
//! ESE's trxBegin0) and another when it commits to level 0 (its commit, trxCommit0). A version
//! is *visible* to a reader if the reader made it, or if it committed before the reader began.
//! To answer "what does this node look like to me", [`VersionStore::visible_version`] starts
//! from the node as stored and walks the chain newest first, undoing, in its head, every version
//! the reader cannot see:
//!
//! ```text
//!   time ──────────────────────────────────────────────────────────────────────────▶
//!        T1 begins   T1 replaces k   T1 commits    R begins   T2 replaces k (open)
//!           │             │  (v1)        │             │           │  (v2)
//!
//!   chain of k, newest first:  v2 Replace{before=B2} by T2, uncommitted
//!                              v1 Replace{before=B1} by T1, committed before R began
//!   node k holds: the data T2 wrote
//!
//!   R walks: v2 invisible (uncommitted)  -> image := B2 (= what T1 wrote)
//!            v1 visible                  -> nothing to undo
//!   R reads B2.  A reader that began before T1 committed undoes v1 as well and reads B1.
//! ```
//!
//! Undoing an Insert makes the node absent (or, over a reused node, gives back its old data);
//! undoing a FlagDelete means "ignore the delete flag"; undoing a Replace substitutes the
//! before-image and forgets the deltas newer than it (the image predates them); undoing a
//! Delta subtracts it from the field. The answer ([`Visibility`]) is one of "use the node",
//! "use this before-image" or "it does not exist for you", with escrow corrections.
//!
//! The walk never stops early because escrow deltas commute: a delta older in the chain may
//! commit after a newer one, so an invisible version can sit below a visible one. For every
//! other kind a write conflict guarantees that the invisible versions are exactly the newest
//! few, so skipping the visible ones is the same as stopping at the first.
//!
//! # Write conflicts
//!
//! A version is *active for me* if another transaction made it and it is uncommitted or
//! committed after I began: I cannot see it. Changing a node with such a version fails with
//! JET_errWriteConflict ("first writer wins", no waiting, reference 02 §4), except that read
//! locks commute with read locks and escrow deltas with deltas. The second half of the rule
//! (committed after my begin) is what stops lost updates: I may not overwrite a change I cannot
//! see.
//!
//! # Cleanup
//!
//! A version committed before the oldest active transaction began is visible to every present
//! and future reader and conflicts with no one, so it can go. Committed transactions queue in
//! commit order and [`VersionStore::cleanup`] pops them from the front. Removing a committed
//! FlagDelete that is the newest version of its node means the node can be removed from the
//! B-tree: cleanup returns such nodes ([`Removable`]).
//!
//! # Size
//!
//! Versions are charged to version pages as ESE charges RCEs to version buckets: a page of
//! JET_paramVerPageSize bytes fills front to back, is freed when its last version goes, and at
//! most JET_paramMaxVerPages exist. When none is free, cleanup runs once; if that frees none,
//! the change fails with JET_errVersionStoreOutOfMemory and nothing else changes. Below
//! JET_paramMaxTransactionSize percent, the oldest transaction's changes fail first.
//!
//! # Storage
//!
//! Versions and chains live in two slabs (vectors whose freed slots are reused), so recording a
//! version allocates nothing of its own once they have grown, beyond a before-image: a chain
//! holds its node's key inline when it is short and links its versions newest first by slab
//! index. One map, keyed by a fast hash of the bookmark, finds a node's chain; chains whose
//! bookmarks share a hash are linked from it. A transaction holds its versions by slab index,
//! so commit stamps them without a lookup and cleanup and rollback reach them directly.
//!
//! # Locking
//!
//! Everything here sits behind one mutex, held for a few map operations per call and never
//! across a durable commit's wait. Readers take it only to walk one chain, so they do not wait
//! for writers' transactions, only for other calls in flight; sharding the chains by hash, as
//! ESE does, is left until a benchmark asks for it. How many nodes have versions is also
//! published outside the lock: while none has (committed data once cleanup has run), a read,
//! a conflict check or `is_versioned` answers without taking it. The count grows in the same
//! critical section that adds a node's first version, so reading 0 answers exactly as a look
//! under the lock at that moment would.

use std::collections::VecDeque;
use std::fmt;
use std::hash::Hasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ese_core::hash::{FastHashMap, FastHasher};
use ese_core::{DbId, Lgpos, Pgno, Trx, limits};
use parking_lot::Mutex;

use crate::error::Error;
use crate::log::{CommitLog, CommitMode};
use crate::session::Session;
use crate::undo::{Undo, UndoAction};

/// JET_paramVerPageSize's default: 16 KiB times the pointer size over four, so 32 KiB on 64-bit
/// machines (reference 02 §8 and 05: "code default is 16 KB × (pointer size / 4)").
pub const VER_PAGE_SIZE_DEFAULT_BYTES: u32 = 16384 * (usize::BITS / 32);

/// Bytes a version costs beyond its key and image: a model of ESE's RCE header (two
/// timestamps, the hash, session and object chain links, object, operation and level fields),
/// which is about this size on 64-bit builds. It makes many small versions fill the store as
/// they do in ESE, not only large before-images.
pub const VERSION_OVERHEAD_BYTES: usize = 96;

const _: () = assert!(VER_PAGE_SIZE_DEFAULT_BYTES >= limits::VER_PAGE_SIZE_MIN_BYTES);
const _: () = assert!(VER_PAGE_SIZE_DEFAULT_BYTES <= limits::VER_PAGE_SIZE_MAX_BYTES);
const _: () = assert!(VER_PAGE_SIZE_DEFAULT_BYTES.is_power_of_two());
// The smallest page must hold at least one version with a short key.
const _: () = assert!(VERSION_OVERHEAD_BYTES * 4 < limits::VER_PAGE_SIZE_MIN_BYTES as usize);

/// A B-tree within an attached database: the first part of a version's key (ESE's ifmp and
/// objidFDP).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ObjId {
    /// The database.
    pub db: DbId,
    /// The B-tree's object id within it.
    pub objid: u32,
}

impl ObjId {
    /// The B-tree `objid` of database `db`.
    pub const fn new(db: DbId, objid: u32) -> Self {
        ObjId { db, objid }
    }
}

impl fmt::Display for ObjId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.db.0, self.objid)
    }
}

/// The kind of lock JetGetLock takes (JET_bitReadLock, JET_bitWriteLock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// Shared with other read locks; clashes with another session's writes (JET_bitReadLock).
    Read,
    /// Clashes with every other session's lock or change (JET_bitWriteLock).
    Write,
}

/// A correction to an escrowed field: add `delta` to `field` of the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EscrowAdjust {
    /// The escrowed field, as named by the layer that made the updates.
    pub field: u32,
    /// What to add to the field's stored value.
    pub delta: i64,
}

/// What a reader should make of a node: the answer of [`VersionStore::visible_version`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Use the node as stored. If `ignore_delete`, the node exists for the reader even if it is
    /// flag-deleted (the delete is not visible); otherwise a flag-deleted node does not exist.
    Current {
        /// Whether to read a flag-deleted node as if it were not deleted.
        ignore_delete: bool,
        /// Corrections for escrow updates the reader cannot see (usually none).
        escrow: Vec<EscrowAdjust>,
    },
    /// Use this before-image instead of the node's data; the node exists for the reader.
    BeforeImage {
        /// The data the reader sees.
        image: Arc<[u8]>,
        /// Corrections for escrow updates the reader cannot see (usually none).
        escrow: Vec<EscrowAdjust>,
    },
    /// The node does not exist for the reader, whatever the B-tree holds.
    Absent,
}

/// A flag-deleted node that no transaction can see any more: the B-tree may remove it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removable {
    /// Its B-tree.
    pub obj: ObjId,
    /// Its key.
    pub key: Vec<u8>,
    /// The leaf it was flag-deleted on, where it likely still is: a hint for its removal
    /// (`BTree::cleanup_batch_latched`), [`Pgno::NULL`] when unknown.
    pub leaf: Pgno,
}

/// The flag-deleted nodes released by cleanup and not yet handed out, their keys back to back
/// in one buffer: queueing a node allocates nothing once the buffers have grown, and the
/// buffers go back and forth between the store and [`crate::Trees::cleanup`], which reuses
/// them from one pass to the next.
#[derive(Debug, Default)]
pub(crate) struct Released {
    /// Every key, in the order the nodes were released.
    keys: Vec<u8>,
    /// The nodes, in the order they were released.
    nodes: Vec<ReleasedNode>,
}

/// One node of [`Released`]: what a [`Removable`] says, with its key in the shared buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReleasedNode {
    /// Its B-tree.
    pub(crate) obj: ObjId,
    /// As [`Removable::leaf`].
    pub(crate) leaf: Pgno,
    /// Where its key starts in [`Released::keys`].
    start: usize,
    /// Its key's length.
    len: usize,
}

impl Released {
    /// Queues the node (`obj`, `key`) flag-deleted on `leaf`.
    pub(crate) fn push(&mut self, obj: ObjId, key: &[u8], leaf: Pgno) {
        let start = self.keys.len();
        self.keys.extend_from_slice(key);
        self.nodes.push(ReleasedNode {
            obj,
            leaf,
            start,
            len: key.len(),
        });
    }

    /// Forgets the node queued last, if any (its key included).
    fn pop(&mut self) {
        if let Some(n) = self.nodes.pop() {
            self.keys.truncate(n.start);
        }
    }

    /// The nodes, in the order they were released.
    pub(crate) fn nodes(&self) -> &[ReleasedNode] {
        &self.nodes
    }

    /// The key of `node`, one of [`Released::nodes`] (empty for a node of another queue).
    pub(crate) fn key(&self, node: &ReleasedNode) -> &[u8] {
        self.keys
            .get(node.start..node.start.saturating_add(node.len))
            .unwrap_or_default()
    }

    /// Empties the queue, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.nodes.clear();
    }

    /// The queue as [`Removable`]s.
    fn to_removables(&self) -> Vec<Removable> {
        self.nodes
            .iter()
            .map(|n| Removable {
                obj: n.obj,
                key: self.key(n).to_vec(),
                leaf: n.leaf,
            })
            .collect()
    }
}

/// Size and bounds of the version store, checked when it is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerConfig {
    /// JET_paramMaxVerPages: version pages the store may use.
    pub max_ver_pages: u32,
    /// JET_paramVerPageSize: bytes per version page.
    pub ver_page_size_bytes: u32,
    /// JET_paramMaxTransactionSize: once more than this percentage of the version pages is in
    /// use, the oldest transaction's next change fails with JET_errVersionStoreOutOfMemory
    /// (reference 02 §8, ESE's `ErrVERCheckTransactionSize`); 100 turns the check off.
    pub max_transaction_size_percent: u32,
}

impl Default for VerConfig {
    fn default() -> Self {
        VerConfig {
            max_ver_pages: limits::MAX_VER_PAGES_DEFAULT,
            ver_page_size_bytes: VER_PAGE_SIZE_DEFAULT_BYTES,
            max_transaction_size_percent: 100,
        }
    }
}

impl VerConfig {
    /// The smallest legal store (two 1 KiB pages), so that tests hit exhaustion constantly.
    pub fn test_min() -> Self {
        VerConfig {
            max_ver_pages: 2,
            ver_page_size_bytes: limits::VER_PAGE_SIZE_MIN_BYTES,
            max_transaction_size_percent: 100,
        }
    }

    /// Checks every value against the ranges of reference 05.
    pub fn validate(&self) -> Result<(), Error> {
        if self.max_ver_pages < 1 {
            return Err(Error::InvalidParameter(
                "JET_paramMaxVerPages must be at least 1",
            ));
        }
        let size = self.ver_page_size_bytes;
        if !(limits::VER_PAGE_SIZE_MIN_BYTES..=limits::VER_PAGE_SIZE_MAX_BYTES).contains(&size)
            || !size.is_power_of_two()
        {
            return Err(Error::InvalidParameter(
                "JET_paramVerPageSize must be a power of two from 1024 to 65536",
            ));
        }
        if !(1..=100).contains(&self.max_transaction_size_percent) {
            return Err(Error::InvalidParameter(
                "JET_paramMaxTransactionSize must be a percentage from 1 to 100",
            ));
        }
        Ok(())
    }
}

/// A snapshot of the version store's occupancy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerStats {
    /// Versions held, locks included.
    pub versions: usize,
    /// Version pages in use.
    pub pages_in_use: usize,
    /// Transactions open (at any level).
    pub active_transactions: usize,
    /// Committed transactions whose versions cleanup has not yet discarded.
    pub committed_pending_cleanup: usize,
}

/// The identity of a session within a version store.
pub(crate) type SessionId = u64;

/// What a version records.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    Insert {
        reused: Option<Arc<[u8]>>,
    },
    Replace {
        before: Arc<[u8]>,
    },
    /// The flag-delete of a node on leaf `leaf` (a hint for cleanup; [`Pgno::NULL`] if not
    /// known).
    FlagDelete {
        leaf: Pgno,
    },
    Delta {
        field: u32,
        delta: i64,
    },
    Lock(LockKind),
}

/// How a change claims a node, for the conflict rule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Write,
    Delta,
    Read,
}

impl Op {
    fn access(&self) -> Access {
        match self {
            Op::Delta { .. } => Access::Delta,
            Op::Lock(LockKind::Read) => Access::Read,
            _ => Access::Write,
        }
    }

    fn is_lock(&self) -> bool {
        matches!(self, Op::Lock(_))
    }

    fn image_bytes(&self) -> usize {
        match self {
            Op::Insert { reused: Some(d) } | Op::Replace { before: d } => d.len(),
            _ => 0,
        }
    }

    fn undo_action(&self) -> Option<UndoAction<'_>> {
        Some(match self {
            Op::Insert { reused: None } => UndoAction::Remove,
            Op::Insert { reused: Some(d) } => UndoAction::ReDelete { data: d },
            Op::Replace { before } => UndoAction::Restore { data: before },
            Op::FlagDelete { .. } => UndoAction::Undelete,
            Op::Delta { field, delta } => UndoAction::Escrow {
                field: *field,
                delta: delta.wrapping_neg(),
            },
            Op::Lock(_) => return None,
        })
    }
}

fn commutes(a: Access, b: Access) -> bool {
    matches!(
        (a, b),
        (Access::Read, Access::Read) | (Access::Delta, Access::Delta)
    )
}

/// The index that ends a chain: no version, no chain.
const NIL: u32 = u32::MAX;

/// One version (ESE's RCE), held in the store's version slab.
#[derive(Debug)]
struct Version {
    trx_begin: Trx,
    trx_commit: Trx,
    op: Op,
    page: u64,
    /// The chain of its node (an index into `State::chains`).
    chain: u32,
    /// The next older version of the same node, or [`NIL`].
    older: u32,
}

impl Version {
    /// Whether the transaction that began at `reader` sees this version's change.
    fn visible_to(&self, reader: Trx) -> bool {
        self.trx_begin == reader || self.trx_commit < reader
    }
}

/// Keys up to this length are held inside their chain, with no allocation of their own.
const INLINE_KEY_BYTES: usize = 40;

/// A node's key as its chain holds it: inline when short (most keys), else on the heap.
#[derive(Debug)]
enum NodeKey {
    Inline {
        len: u8,
        bytes: [u8; INLINE_KEY_BYTES],
    },
    Heap(Box<[u8]>),
}

impl NodeKey {
    fn new(key: &[u8]) -> Self {
        match u8::try_from(key.len()) {
            Ok(len) if key.len() <= INLINE_KEY_BYTES => {
                let mut bytes = [0u8; INLINE_KEY_BYTES];
                bytes[..key.len()].copy_from_slice(key);
                NodeKey::Inline { len, bytes }
            }
            _ => NodeKey::Heap(Box::from(key)),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            NodeKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            NodeKey::Heap(b) => b,
        }
    }
}

/// The hash of a node's bookmark, which the index is keyed by.
fn node_hash(obj: ObjId, key: &[u8]) -> u64 {
    let mut h = FastHasher::default();
    h.write_u32(obj.db.0);
    h.write_u32(obj.objid);
    h.write(key);
    h.finish()
}

/// The versions of one node: its bookmark and its newest version; each version links to the
/// next older one.
#[derive(Debug)]
struct Chain {
    obj: ObjId,
    key: NodeKey,
    /// [`node_hash`] of the bookmark.
    hash: u64,
    newest: u32,
    /// The next chain whose bookmark has the same hash, or [`NIL`].
    same_hash: u32,
}

/// A vector of slots indexed by `u32`, whose freed slots are reused: the versions and chains
/// live here, so recording a version allocates nothing once the slab has grown, and a
/// transaction finds its versions again by index, without hashing.
#[derive(Debug)]
struct Slab<T> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    live: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Whether one more item fits (indexes stop short of [`NIL`]).
    fn has_room(&self) -> bool {
        !self.free.is_empty() || self.slots.len() < NIL as usize
    }

    /// Stores `item`; `None` if the slab is full (see [`Slab::has_room`]).
    fn insert(&mut self, item: T) -> Option<u32> {
        let at = match self.free.pop() {
            Some(at) => {
                let slot = self.slots.get_mut(at as usize)?;
                *slot = Some(item);
                at
            }
            None => {
                let at = u32::try_from(self.slots.len()).ok().filter(|&i| i != NIL)?;
                self.slots.push(Some(item));
                at
            }
        };
        self.live += 1;
        Some(at)
    }

    fn get(&self, at: u32) -> Option<&T> {
        self.slots.get(at as usize).and_then(Option::as_ref)
    }

    fn get_mut(&mut self, at: u32) -> Option<&mut T> {
        self.slots.get_mut(at as usize).and_then(Option::as_mut)
    }

    /// Drops item `at` where it lies; whether there was one.
    fn discard(&mut self, at: u32) -> bool {
        let Some(slot) = self.slots.get_mut(at as usize) else {
            return false;
        };
        if slot.is_none() {
            return false;
        }
        *slot = None;
        self.free.push(at);
        self.live -= 1;
        if self.live == 0 {
            // Emptied: start again from the front, keeping the memory.
            self.slots.clear();
            self.free.clear();
        }
        true
    }

    fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((u32::try_from(i).ok()?, s.as_ref()?)))
    }
}

/// A version's index in the version slab: how a transaction holds its changes.
type VersionRef = u32;

/// An open transaction of one session (the transaction half of ESE's PIB).
#[derive(Debug)]
pub(crate) struct Txn {
    trx_begin: Trx,
    read_only: bool,
    /// Index into `changes` where each open level starts; its length is the level.
    level_starts: Vec<usize>,
    /// Every version this transaction holds, oldest first.
    changes: Vec<VersionRef>,
    /// How many of the open levels have had their begin logged (lazily, at their first change).
    logged_levels: usize,
}

/// A committed transaction whose versions await cleanup.
#[derive(Debug)]
struct Committed {
    trx_commit: Trx,
    changes: Vec<VersionRef>,
}

/// How much of a version page is used, and by how many versions.
#[derive(Debug)]
struct PageUse {
    used_bytes: usize,
    live: usize,
}

/// The version pages (ESE's buckets).
#[derive(Debug)]
struct Pool {
    page_bytes: usize,
    max_pages: usize,
    pages: FastHashMap<u64, PageUse>,
    current: Option<u64>,
    next_page: u64,
}

impl Pool {
    fn alloc(&mut self, size: usize) -> Option<u64> {
        if let Some(id) = self.current
            && let Some(p) = self.pages.get_mut(&id)
            && p.used_bytes + size <= self.page_bytes
        {
            p.used_bytes += size;
            p.live += 1;
            return Some(id);
        }
        if self.pages.len() >= self.max_pages {
            return None;
        }
        let id = self.next_page;
        self.next_page += 1;
        self.pages.insert(
            id,
            PageUse {
                used_bytes: size,
                live: 1,
            },
        );
        self.current = Some(id);
        Some(id)
    }

    /// Frees the space of `n` versions on page `id`.
    fn release(&mut self, id: u64, n: usize) {
        let Some(p) = self.pages.get_mut(&id) else {
            return;
        };
        p.live = p.live.saturating_sub(n);
        if p.live == 0 {
            if self.current == Some(id) {
                // The page being filled stays; emptied, it starts again from the front.
                p.used_bytes = 0;
            } else {
                self.pages.remove(&id);
            }
        }
    }
}

/// Which chain holds each node's versions: by [`node_hash`], the first of the chains with that
/// hash (the others follow through `Chain::same_hash`; two bookmarks rarely share a hash).
type Index = FastHashMap<u64, u32>;

/// Everything behind the version store's one lock.
#[derive(Debug)]
struct State {
    /// The next timestamp to hand out; 0 is Trx::MIN, never a real transaction.
    next_trx: u64,
    next_session: SessionId,
    /// Every version held.
    versions: Slab<Version>,
    /// Every node with at least one version; a chain goes with its last version.
    chains: Slab<Chain>,
    /// The chain of each node that has one.
    index: Index,
    txns: FastHashMap<SessionId, Txn>,
    committed: VecDeque<Committed>,
    pool: Pool,
    /// The flag-deleted nodes released and not yet handed to a cleanup caller.
    removable: Released,
    unavailable: bool,
    /// Each session's most recent level-0 commit record (JET_bitWaitLastLevel0Commit).
    last_commits: FastHashMap<SessionId, Lgpos>,
    /// The latest commit record of any session (JET_bitWaitAllLevel0Commit).
    last_commit_any: Option<Lgpos>,
}

/// What [`State::take_version`] removed.
struct Taken {
    /// Whether it was the newest version of its node other than locks.
    newest: bool,
    /// Whether it was its node's last version (the chain is gone).
    last: bool,
}

/// The versions of a chain, newest first.
struct ChainIter<'a> {
    versions: &'a Slab<Version>,
    at: u32,
}

impl<'a> Iterator for ChainIter<'a> {
    type Item = &'a Version;

    fn next(&mut self) -> Option<&'a Version> {
        let v = self.versions.get(self.at)?;
        self.at = v.older;
        Some(v)
    }
}

impl State {
    /// The chain of the node (`obj`, `key`), if it has versions.
    fn chain_of(&self, obj: ObjId, key: &[u8]) -> Option<u32> {
        if self.chains.live == 0 {
            return None;
        }
        self.chain_hashed(node_hash(obj, key), obj, key)
    }

    /// [`State::chain_of`] with the bookmark's hash already made.
    fn chain_hashed(&self, hash: u64, obj: ObjId, key: &[u8]) -> Option<u32> {
        let mut at = *self.index.get(&hash)?;
        for _ in 0..self.chains.live {
            let c = self.chains.get(at)?;
            if c.obj == obj && c.key.as_slice() == key {
                return Some(at);
            }
            at = c.same_hash;
        }
        None
    }

    /// Makes an empty chain for the node (`obj`, `key`), whose hash is `hash`, and indexes it.
    fn new_chain(&mut self, hash: u64, obj: ObjId, key: &[u8]) -> Option<u32> {
        // One probe of the index: the entry gives the chain the new one goes in front of.
        let entry = self.index.entry(hash);
        let same_hash = match &entry {
            std::collections::hash_map::Entry::Occupied(e) => *e.get(),
            std::collections::hash_map::Entry::Vacant(_) => NIL,
        };
        let c = self.chains.insert(Chain {
            obj,
            key: NodeKey::new(key),
            hash,
            newest: NIL,
            same_hash,
        })?;
        entry.insert_entry(c);
        Some(c)
    }

    /// Drops chain `cid` and its index entry.
    fn drop_chain(&mut self, cid: u32) {
        let Some(&Chain {
            hash, same_hash, ..
        }) = self.chains.get(cid)
        else {
            return;
        };
        self.chains.discard(cid);
        // One probe of the index: the entry is the chain itself (the usual case) or the first
        // of the chains sharing its hash.
        let first = match self.index.entry(hash) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let first = *e.get();
                if first == cid {
                    if same_hash == NIL {
                        e.remove();
                    } else {
                        e.insert(same_hash);
                    }
                    return;
                }
                first
            }
            std::collections::hash_map::Entry::Vacant(_) => return,
        };
        let mut at = first;
        for _ in 0..=self.chains.live {
            let Some(prev) = self.chains.get_mut(at) else {
                return;
            };
            if prev.same_hash == cid {
                prev.same_hash = same_hash;
                return;
            }
            at = prev.same_hash;
        }
    }

    /// The versions of chain `chain`, newest first.
    fn walk(&self, chain: u32) -> ChainIter<'_> {
        ChainIter {
            versions: &self.versions,
            at: self.chains.get(chain).map_or(NIL, |c| c.newest),
        }
    }

    /// The versions of the node (`obj`, `key`), newest first (none if it has no chain).
    fn chain(&self, obj: ObjId, key: &[u8]) -> ChainIter<'_> {
        match self.chain_of(obj, key) {
            Some(c) => self.walk(c),
            None => ChainIter {
                versions: &self.versions,
                at: NIL,
            },
        }
    }

    /// The node version `vid` belongs to.
    fn node_of(&self, vid: VersionRef) -> Option<&Chain> {
        self.versions
            .get(vid)
            .and_then(|v| self.chains.get(v.chain))
    }

    /// Removes version `vid` from its chain, frees its page space, and drops the chain once
    /// empty.
    fn take_version(&mut self, vid: VersionRef) -> Option<Taken> {
        let (taken, page) = self.unlink_version(vid)?;
        self.pool.release(page, 1);
        Some(taken)
    }

    /// [`State::take_version`] but for the page space: returns the version's page, for the
    /// caller to release.
    fn unlink_version(&mut self, vid: VersionRef) -> Option<(Taken, u64)> {
        let version = self.versions.get(vid)?;
        let (cid, older, page) = (version.chain, version.older, version.page);
        // Find the version's newer neighbour; every version newer than it is walked.
        let mut newer = NIL;
        let mut at = self.chains.get(cid)?.newest;
        let mut newest = true;
        let mut steps = self.versions.live;
        while at != vid {
            let v = self.versions.get(at)?;
            newest &= v.op.is_lock();
            newer = at;
            at = v.older;
            steps = steps.checked_sub(1)?;
        }
        self.versions.discard(vid);
        // With a newer neighbour the chain keeps its newest version, so it is not emptied.
        let last = match self.versions.get_mut(newer) {
            Some(n) => {
                n.older = older;
                false
            }
            None => self.chains.get_mut(cid).is_some_and(|c| {
                c.newest = older;
                older == NIL
            }),
        };
        if last {
            self.drop_chain(cid);
        }
        Some((Taken { newest, last }, page))
    }

    fn oldest_begin(&self) -> Trx {
        self.txns
            .values()
            .map(|t| t.trx_begin)
            .min()
            .unwrap_or(Trx(self.next_trx))
    }

    /// Discards every version that all present and future readers see; returns how many.
    fn cleanup(&mut self) -> usize {
        let oldest = self.oldest_begin();
        let mut removed = 0;
        while self
            .committed
            .front()
            .is_some_and(|c| c.trx_commit < oldest)
        {
            let Some(done) = self.committed.pop_front() else {
                break;
            };
            // Versions made one after the other share a page: the page's count drops once
            // for each run of them.
            let mut run: Option<(u64, usize)> = None;
            for vid in done.changes {
                // Only a delete may release its node. Its bookmark is queued before the
                // version (and maybe the chain holding the key) goes, and taken back if the
                // delete was not the node's newest version.
                let queued = match self.versions.get(vid) {
                    Some(&Version {
                        op: Op::FlagDelete { leaf },
                        chain,
                        ..
                    }) => self.chains.get(chain).is_some_and(|c| {
                        self.removable.push(c.obj, c.key.as_slice(), leaf);
                        true
                    }),
                    _ => false,
                };
                match self.unlink_version(vid) {
                    Some((taken, page)) => {
                        removed += 1;
                        if queued && !taken.newest {
                            self.removable.pop();
                        }
                        run = match run {
                            Some((p, n)) if p == page => Some((p, n + 1)),
                            Some((p, n)) => {
                                self.pool.release(p, n);
                                Some((page, 1))
                            }
                            None => Some((page, 1)),
                        };
                    }
                    None if queued => self.removable.pop(),
                    None => {}
                }
            }
            if let Some((p, n)) = run {
                self.pool.release(p, n);
            }
        }
        removed
    }
}

/// The version store of one instance, shared by all its sessions (ESE's VER plus the
/// transaction bookkeeping of its PIBs).
pub struct VersionStore {
    config: VerConfig,
    log: Arc<dyn CommitLog>,
    state: Mutex<State>,
    /// How many nodes have versions, published under the lock whenever a node gets its first:
    /// a reader that sees 0 needs no lock to know the node as stored is what it sees.
    versioned_nodes: AtomicUsize,
}

impl fmt::Debug for VersionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VersionStore")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

/// What a level-0 commit did under the lock, for the wait outside it.
pub(crate) struct CommitOutcome {
    /// The commit record's position, if one was logged.
    pub(crate) lgpos: Option<Lgpos>,
    /// Whether the transaction still held changes (so a durable commit must wait).
    pub(crate) had_changes: bool,
}

impl VersionStore {
    /// A version store bounded by `config`, logging transactions to `log`.
    pub fn new(config: VerConfig, log: Arc<dyn CommitLog>) -> Result<Arc<Self>, Error> {
        config.validate()?;
        let pool = Pool {
            page_bytes: config.ver_page_size_bytes as usize,
            max_pages: config.max_ver_pages as usize,
            pages: FastHashMap::default(),
            current: None,
            next_page: 0,
        };
        Ok(Arc::new(VersionStore {
            config,
            log,
            state: Mutex::new(State {
                next_trx: 1,
                next_session: 1,
                versions: Slab::default(),
                chains: Slab::default(),
                index: FastHashMap::default(),
                txns: FastHashMap::default(),
                committed: VecDeque::new(),
                pool,
                removable: Released::default(),
                unavailable: false,
                last_commits: FastHashMap::default(),
                last_commit_any: None,
            }),
            versioned_nodes: AtomicUsize::new(0),
        }))
    }

    /// The configuration the store was created with.
    pub fn config(&self) -> VerConfig {
        self.config
    }

    /// Opens a session on this store (the transaction side of JetBeginSession).
    pub fn begin_session(self: &Arc<Self>) -> Session {
        let id = {
            let mut st = self.state.lock();
            let id = st.next_session;
            st.next_session += 1;
            id
        };
        Session::new(id, Arc::clone(self))
    }

    /// How `reader` must read the node `key` of `obj`: its snapshot as of its level-0 begin
    /// plus its own changes, or, outside a transaction, everything committed so far.
    ///
    /// The caller must hold whatever lock keeps the node from changing (the page latch) from
    /// reading the node until it has applied this answer.
    pub fn visible_version(&self, reader: &Session, obj: ObjId, key: &[u8]) -> Visibility {
        debug_assert!(
            std::ptr::eq(Arc::as_ptr(reader.version_store()), self),
            "a session of another version store"
        );
        if self.versioned_nodes.load(Ordering::Acquire) == 0 {
            return Visibility::Current {
                ignore_delete: false,
                escrow: Vec::new(),
            };
        }
        let st = self.state.lock();
        let at = st
            .txns
            .get(&reader.id())
            .map_or(Trx(st.next_trx), |t| t.trx_begin);
        visibility(st.chain(obj, key), at)
    }

    /// Whether any node has a version: when none has, every reader sees each node as it is
    /// stored ([`VersionStore::visible_version`] answers `Current` with nothing to apply).
    #[inline]
    pub fn has_versions(&self) -> bool {
        self.versioned_nodes.load(Ordering::Acquire) != 0
    }

    /// Whether some transaction may still need the node's history: a version other than a lock
    /// exists for it. A flag-deleted node without one may be removed.
    pub fn is_versioned(&self, obj: ObjId, key: &[u8]) -> bool {
        if self.versioned_nodes.load(Ordering::Acquire) == 0 {
            return false;
        }
        let st = self.state.lock();
        st.chain(obj, key).any(|v| !v.op.is_lock())
    }

    /// Publishes how many nodes have versions; called under the lock after every change that
    /// may add or drop a chain.
    fn publish(&self, st: &State) {
        self.versioned_nodes
            .store(st.chains.live, Ordering::Release);
    }

    /// Discards the versions no transaction can see any more (ESE's RCE clean) and returns
    /// the flag-deleted nodes that may now be removed, including any found by a cleanup the
    /// store ran itself when it was full.
    pub fn cleanup(&self) -> Vec<Removable> {
        let mut released = Released::default();
        self.cleanup_into(&mut released);
        released.to_removables()
    }

    /// [`VersionStore::cleanup`] into `out` (emptied first), whose buffers the store keeps
    /// for the next nodes it releases: a caller that hands the same queue back each time
    /// allocates nothing once the buffers have grown.
    pub(crate) fn cleanup_into(&self, out: &mut Released) {
        out.clear();
        let mut st = self.state.lock();
        st.cleanup();
        self.publish(&st);
        std::mem::swap(&mut st.removable, out);
    }

    /// The begin timestamp of the oldest open transaction, which bounds cleanup.
    pub fn oldest_active_begin(&self) -> Option<Trx> {
        let st = self.state.lock();
        st.txns.values().map(|t| t.trx_begin).min()
    }

    /// How full the store is.
    pub fn stats(&self) -> VerStats {
        let st = self.state.lock();
        VerStats {
            versions: st.versions.live,
            pages_in_use: st.pool.pages.len(),
            active_transactions: st.txns.len(),
            committed_pending_cleanup: st.committed.len(),
        }
    }

    /// Checks the store's internal consistency; returns a description of the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        let st = self.state.lock();
        let mut owners = vec![0u8; st.versions.slots.len()];
        let mut own = |vid: VersionRef| -> Result<&Version, String> {
            let v = st
                .versions
                .get(vid)
                .ok_or_else(|| format!("version {vid} is owned but not held"))?;
            let n = owners
                .get_mut(vid as usize)
                .ok_or_else(|| format!("version {vid} outside the slab"))?;
            *n += 1;
            if *n > 1 {
                return Err(format!("version {vid} is owned twice"));
            }
            Ok(v)
        };
        let mut owned = 0usize;
        for (sid, t) in &st.txns {
            if t.level_starts.is_empty()
                || t.level_starts.len() > usize::from(limits::TRANSACTION_LEVEL_MAX)
            {
                return Err(format!("session {sid}: {} levels", t.level_starts.len()));
            }
            if t.level_starts.windows(2).any(|w| w[0] > w[1])
                || t.level_starts.iter().any(|&s| s > t.changes.len())
            {
                return Err(format!("session {sid}: level starts {:?}", t.level_starts));
            }
            if t.logged_levels > t.level_starts.len() {
                return Err(format!("session {sid}: more levels logged than open"));
            }
            for &c in &t.changes {
                let v = own(c)?;
                if v.trx_begin != t.trx_begin || v.trx_commit != Trx::MAX {
                    return Err(format!("session {sid}: change {c} is {v:?}"));
                }
            }
            owned += t.changes.len();
        }
        let mut last = Trx::MIN;
        for done in &st.committed {
            if done.trx_commit <= last {
                return Err("committed queue out of commit order".into());
            }
            last = done.trx_commit;
            for &c in &done.changes {
                let v = own(c)?;
                if v.trx_commit != done.trx_commit || v.op.is_lock() {
                    return Err(format!("committed change {c} is {v:?}"));
                }
            }
            owned += done.changes.len();
        }
        let mut held = 0usize;
        for (cid, chain) in st.chains.iter() {
            let mut len = 0usize;
            for v in st.walk(cid) {
                if v.chain != cid {
                    return Err(format!("a version of chain {cid} names chain {}", v.chain));
                }
                len += 1;
                if len > st.versions.live {
                    return Err(format!("chain {cid} loops"));
                }
            }
            if len == 0 {
                return Err("an empty chain was kept".into());
            }
            if chain.hash != node_hash(chain.obj, chain.key.as_slice())
                || st.chain_of(chain.obj, chain.key.as_slice()) != Some(cid)
            {
                return Err(format!("chain {cid} of {} is not indexed", chain.obj));
            }
            held += len;
        }
        let mut indexed = 0usize;
        for &first in st.index.values() {
            let mut at = first;
            while at != NIL && indexed <= st.chains.live {
                indexed += 1;
                at = st.chains.get(at).map_or(NIL, |c| c.same_hash);
            }
        }
        if indexed != st.chains.live {
            return Err(format!(
                "{indexed} nodes indexed, {} chains",
                st.chains.live
            ));
        }
        if held != owned || held != st.versions.live {
            return Err(format!(
                "{held} versions in chains, {} held, {owned} owned by transactions",
                st.versions.live
            ));
        }
        let live: usize = st.pool.pages.values().map(|p| p.live).sum();
        if live != held {
            return Err(format!("{live} versions charged to pages, {held} held"));
        }
        if st.pool.pages.len() > st.pool.max_pages {
            return Err("more version pages than JET_paramMaxVerPages".into());
        }
        if self.versioned_nodes.load(Ordering::Acquire) < st.chains.live {
            return Err("fewer versioned nodes published than held".into());
        }
        Ok(())
    }

    // ----- the session side, called by `Session` -------------------------------------------

    pub(crate) fn level(&self, sid: SessionId) -> u8 {
        let st = self.state.lock();
        st.txns.get(&sid).map_or(0, |t| {
            // At most TRANSACTION_LEVEL_MAX (7) levels are ever open.
            u8::try_from(t.level_starts.len()).unwrap_or(u8::MAX)
        })
    }

    pub(crate) fn trx_begin(&self, sid: SessionId) -> Option<Trx> {
        self.state.lock().txns.get(&sid).map(|t| t.trx_begin)
    }

    pub(crate) fn is_read_only(&self, sid: SessionId) -> bool {
        self.state
            .lock()
            .txns
            .get(&sid)
            .is_some_and(|t| t.read_only)
    }

    /// The read-only flag and begin timestamp of `sid`'s transaction, under one lock; `None`
    /// outside a transaction (an open one has at least one level).
    pub(crate) fn txn_state(&self, sid: SessionId) -> Option<(bool, Trx)> {
        let st = self.state.lock();
        st.txns.get(&sid).map(|t| (t.read_only, t.trx_begin))
    }

    /// Begins a level of `sid`'s transaction; returns the level now open (1 for the
    /// outermost).
    pub(crate) fn begin(&self, sid: SessionId, read_only: bool) -> Result<u8, Error> {
        let mut st = self.state.lock();
        if st.unavailable {
            return Err(Error::InstanceUnavailable);
        }
        let next = Trx(st.next_trx);
        match st.txns.get_mut(&sid) {
            Some(t) => {
                if t.level_starts.len() >= usize::from(limits::TRANSACTION_LEVEL_MAX) {
                    return Err(Error::TransTooDeep);
                }
                // JET_bitTransactionReadOnly counts only on the outermost begin.
                t.level_starts.push(t.changes.len());
                // At most TRANSACTION_LEVEL_MAX (7) levels are ever open.
                return Ok(u8::try_from(t.level_starts.len()).unwrap_or(u8::MAX));
            }
            None => {
                st.next_trx += 1;
                st.txns.insert(
                    sid,
                    Txn {
                        trx_begin: next,
                        read_only,
                        level_starts: vec![0],
                        changes: Vec::new(),
                        logged_levels: 0,
                    },
                );
            }
        }
        Ok(1)
    }

    /// Creates the version for a change of the node (`obj`, `key`) by session `sid`, after
    /// checking for a write conflict. Nothing changes when it fails.
    pub(crate) fn record(
        &self,
        sid: SessionId,
        obj: ObjId,
        key: &[u8],
        op: Op,
    ) -> Result<(), Error> {
        let mut guard = self.state.lock();
        let st = &mut *guard;
        if st.unavailable {
            return Err(Error::InstanceUnavailable);
        }
        let (me, levels, logged) = {
            let t = st.txns.get(&sid).ok_or(Error::NotInTransaction)?;
            if t.read_only && op.access() != Access::Read {
                return Err(Error::TransReadOnly);
            }
            (t.trx_begin, t.level_starts.len(), t.logged_levels)
        };
        let access = op.access();
        let hash = node_hash(obj, key);
        let mut chain = st.chain_hashed(hash, obj, key);
        if let Some(c) = chain {
            let conflict = st.walk(c).any(|v| {
                v.trx_begin != me && v.trx_commit > me && !commutes(access, v.op.access())
            });
            if conflict {
                return Err(Error::WriteConflict);
            }
        }
        let percent = self.config.max_transaction_size_percent as usize;
        if percent < 100
            && st.pool.pages.len() * 100 > st.pool.max_pages * percent
            && st.oldest_begin() == me
        {
            // The oldest transaction holds back cleanup the most: it is the one stopped.
            return Err(Error::VersionStoreOutOfMemory {
                max_ver_pages: self.config.max_ver_pages,
            });
        }
        let size = VERSION_OVERHEAD_BYTES + key.len() + op.image_bytes();
        if size > st.pool.page_bytes {
            return Err(Error::VersionStoreEntryTooBig {
                size_bytes: size,
                ver_page_size_bytes: self.config.ver_page_size_bytes,
            });
        }
        if !st.versions.has_room() || !st.chains.has_room() {
            return Err(Error::VersionStoreOutOfMemory {
                max_ver_pages: self.config.max_ver_pages,
            });
        }
        let page = match st.pool.alloc(size) {
            Some(p) => p,
            None => {
                st.cleanup();
                self.publish(st);
                // Cleanup may have emptied the node's chain.
                chain = st.chain_hashed(hash, obj, key);
                st.pool.alloc(size).ok_or(Error::VersionStoreOutOfMemory {
                    max_ver_pages: self.config.max_ver_pages,
                })?
            }
        };
        if !op.is_lock() {
            for level in logged..levels {
                // At most seven levels, so the level always fits a byte.
                let level = u8::try_from(level).unwrap_or(u8::MAX);
                if let Err(e) = self.log.log_begin(me, level) {
                    st.pool.release(page, 1);
                    return Err(Error::Log(e));
                }
                if let Some(t) = st.txns.get_mut(&sid) {
                    t.logged_levels = usize::from(level) + 1;
                }
            }
        }
        let new_chain = match chain {
            Some(c) => c,
            None => {
                let Some(c) = st.new_chain(hash, obj, key) else {
                    st.pool.release(page, 1);
                    return Err(Error::VersionStoreOutOfMemory {
                        max_ver_pages: self.config.max_ver_pages,
                    });
                };
                self.publish(st);
                c
            }
        };
        let older = st.chains.get(new_chain).map_or(NIL, |c| c.newest);
        let made = st.versions.insert(Version {
            trx_begin: me,
            trx_commit: Trx::MAX,
            op,
            page,
            chain: new_chain,
            older,
        });
        let Some(vid) = made else {
            // Room was checked above, under the same lock; still, leave no empty chain.
            st.pool.release(page, 1);
            if chain.is_none() {
                st.drop_chain(new_chain);
                self.publish(st);
            }
            return Err(Error::VersionStoreOutOfMemory {
                max_ver_pages: self.config.max_ver_pages,
            });
        };
        if let Some(c) = st.chains.get_mut(new_chain) {
            c.newest = vid;
        }
        let t = st
            .txns
            .get_mut(&sid)
            .expect("the transaction was found above, under the same lock");
        t.changes.push(vid);
        Ok(())
    }

    /// Forgets the newest version of `sid` if it is for the node (`obj`, `key`) (ESE's
    /// nullify of a failed DML version): the change it recorded was never made. Returns
    /// whether a version was forgotten.
    pub(crate) fn unrecord_last(&self, sid: SessionId, obj: ObjId, key: &[u8]) -> bool {
        let mut guard = self.state.lock();
        let st = &mut *guard;
        let Some(t) = st.txns.get_mut(&sid) else {
            return false;
        };
        let start = t.level_starts.last().copied().unwrap_or(0);
        let Some(&vid) = t.changes.last().filter(|_| t.changes.len() > start) else {
            return false;
        };
        if !st
            .node_of(vid)
            .is_some_and(|c| c.obj == obj && c.key.as_slice() == key)
        {
            return false;
        }
        if let Some(t) = st.txns.get_mut(&sid) {
            t.changes.pop();
        }
        let taken = st.take_version(vid).is_some();
        self.publish(st);
        taken
    }

    /// Fails with [`Error::WriteConflict`] if the transaction that began at `trx` could not
    /// change the node (`obj`, `key`) now; records nothing. This is the question the B-tree's
    /// `VersionCheck::may_modify` asks, by begin timestamp rather than by session.
    pub fn may_modify(&self, obj: ObjId, key: &[u8], trx: Trx) -> Result<(), Error> {
        if self.versioned_nodes.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        let st = self.state.lock();
        Self::conflict_probe(&st, obj, key, trx)
    }

    /// Checks whether `sid` could change the node (`obj`, `key`) without a write conflict,
    /// creating no version.
    pub(crate) fn check_write(&self, sid: SessionId, obj: ObjId, key: &[u8]) -> Result<(), Error> {
        if self.versioned_nodes.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        let st = self.state.lock();
        let me = st.txns.get(&sid).map_or(Trx(st.next_trx), |t| t.trx_begin);
        Self::conflict_probe(&st, obj, key, me)
    }

    fn conflict_probe(st: &State, obj: ObjId, key: &[u8], me: Trx) -> Result<(), Error> {
        let conflict = st
            .chain(obj, key)
            .any(|v| v.trx_begin != me && v.trx_commit > me);
        if conflict {
            Err(Error::WriteConflict)
        } else {
            Ok(())
        }
    }

    /// Commits the innermost level of `sid`. A nested commit merges it into its parent; a
    /// level-0 commit logs the commit record and makes the versions visible to later
    /// transactions. The durable wait is the caller's, outside the lock.
    pub(crate) fn commit(&self, sid: SessionId, mode: CommitMode) -> Result<CommitOutcome, Error> {
        let mut guard = self.state.lock();
        let st = &mut *guard;
        if st.unavailable {
            return Err(Error::InstanceUnavailable);
        }
        let t = st.txns.get_mut(&sid).ok_or(Error::NotInTransaction)?;
        if t.level_starts.len() > 1 {
            t.level_starts.pop();
            t.logged_levels = t.logged_levels.min(t.level_starts.len());
            return Ok(CommitOutcome {
                lgpos: None,
                had_changes: false,
            });
        }
        let commit_trx = Trx(st.next_trx);
        let lgpos = if t.logged_levels > 0 {
            // A failed append leaves the transaction as it was (reference 02 §5).
            Some(
                self.log
                    .log_commit(t.trx_begin, commit_trx, mode)
                    .map_err(Error::Log)?,
            )
        } else {
            None
        };
        st.next_trx += 1;
        let t = st
            .txns
            .remove(&sid)
            .expect("the transaction was found above, under the same lock");
        let mut kept = t.changes;
        let mut locks = Vec::new();
        // Each change is found by its index: no lookup by key, no hashing.
        kept.retain(|&vid| match st.versions.get_mut(vid) {
            // Locks last until the outermost commit and leave nothing behind.
            Some(v) if v.op.is_lock() => {
                locks.push(vid);
                false
            }
            Some(v) => {
                v.trx_commit = commit_trx;
                true
            }
            None => false,
        });
        if !locks.is_empty() {
            for vid in locks {
                st.take_version(vid);
            }
            self.publish(st);
        }
        let had_changes = !kept.is_empty();
        if let Some(at) = lgpos {
            st.last_commits.insert(sid, at);
            st.last_commit_any = st.last_commit_any.max(Some(at));
        }
        if had_changes {
            st.committed.push_back(Committed {
                trx_commit: commit_trx,
                changes: kept,
            });
        }
        Ok(CommitOutcome { lgpos, had_changes })
    }

    /// Waits for a durable commit's record, outside the lock.
    pub(crate) fn wait_durable(&self, lgpos: Lgpos) -> Result<(), Error> {
        self.log.wait_durable(lgpos).map_err(Error::Log)
    }

    /// The most recent level-0 commit record of `sid`, if it wrote one.
    pub(crate) fn last_commit(&self, sid: SessionId) -> Option<Lgpos> {
        self.state.lock().last_commits.get(&sid).copied()
    }

    /// Forgets a session that ends.
    pub(crate) fn forget_session(&self, sid: SessionId) {
        self.state.lock().last_commits.remove(&sid);
    }

    /// Returns once every level-0 commit of every session so far is durable
    /// (JetCommitTransaction with JET_bitWaitAllLevel0Commit, usable outside a transaction).
    pub fn wait_all_level0_commits(&self) -> Result<(), Error> {
        let last = self.state.lock().last_commit_any;
        match last {
            Some(lgpos) => self.wait_durable(lgpos),
            None => Ok(()),
        }
    }

    /// Rolls back the innermost level of `sid`, handing each change to `undo` newest first.
    pub(crate) fn rollback(&self, sid: SessionId, undo: &mut dyn Undo) -> Result<(), Error> {
        let mut guard = self.state.lock();
        let st = &mut *guard;
        if st.unavailable {
            return Err(Error::InstanceUnavailable);
        }
        let t = st.txns.get_mut(&sid).ok_or(Error::NotInTransaction)?;
        let start = *t
            .level_starts
            .last()
            .expect("an open transaction has at least one level");
        let levels = t.level_starts.len();
        // Held aside while the versions go, and put back before any return.
        let mut changes = std::mem::take(&mut t.changes);
        let mut failed = None;
        while changes.len() > start {
            let Some(&vid) = changes.last() else {
                break;
            };
            // The bookmark of a reinsert, which may leave a flag-deleted node to remove.
            let mut reinserted = None;
            if let Some(v) = st.versions.get(vid)
                && let Some(c) = st.chains.get(v.chain)
            {
                if let Some(action) = v.op.undo_action()
                    && let Err(e) = undo.undo(c.obj, c.key.as_slice(), action)
                {
                    failed = Some(e);
                    break;
                }
                if matches!(v.op, Op::Insert { reused: Some(_) }) {
                    reinserted = Some((c.obj, c.key.as_slice().to_vec()));
                }
            }
            if let Some(taken) = st.take_version(vid)
                && taken.last
                && let Some((obj, key)) = reinserted
            {
                // The node is flag-deleted again and nothing refers to it any more.
                st.removable.push(obj, &key, Pgno::NULL);
            }
            changes.pop();
        }
        self.publish(st);
        let State {
            txns, unavailable, ..
        } = st;
        let t = txns
            .get_mut(&sid)
            .expect("the transaction was found above, under the same lock");
        t.changes = changes;
        if let Some(e) = failed {
            *unavailable = true;
            return Err(Error::RollbackError(e));
        }
        if t.logged_levels >= levels {
            let level = u8::try_from(levels - 1).unwrap_or(u8::MAX);
            if let Err(e) = self.log.log_rollback(t.trx_begin, level) {
                // The undo is done in memory but not in the log: nothing can be trusted.
                *unavailable = true;
                return Err(Error::RollbackError(e));
            }
        }
        t.level_starts.pop();
        t.logged_levels = t.logged_levels.min(t.level_starts.len());
        if t.level_starts.is_empty() {
            txns.remove(&sid);
        }
        Ok(())
    }
}

/// The walk described in the module doc: `newest_first` a node's versions, `reader` a begin
/// timestamp.
fn visibility<'a>(newest_first: impl Iterator<Item = &'a Version>, reader: Trx) -> Visibility {
    // None: as the node says. Some(b): known.
    let mut exists: Option<bool> = None;
    // None: the node's data.
    let mut image: Option<Arc<[u8]>> = None;
    let mut escrow: Vec<EscrowAdjust> = Vec::new();
    for v in newest_first {
        if v.visible_to(reader) {
            continue;
        }
        match &v.op {
            Op::Lock(_) => {}
            Op::Insert { reused } => {
                exists = Some(false);
                image.clone_from(reused);
                escrow.clear();
            }
            Op::Replace { before } => {
                exists = Some(true);
                image = Some(Arc::clone(before));
                escrow.clear();
            }
            Op::FlagDelete { .. } => exists = Some(true),
            Op::Delta { field, delta } => {
                let undo = delta.wrapping_neg();
                match escrow.iter_mut().find(|a| a.field == *field) {
                    Some(a) => a.delta = a.delta.wrapping_add(undo),
                    None => escrow.push(EscrowAdjust {
                        field: *field,
                        delta: undo,
                    }),
                }
            }
        }
    }
    escrow.retain(|a| a.delta != 0);
    match (exists, image) {
        (Some(false), _) => Visibility::Absent,
        (_, Some(image)) => Visibility::BeforeImage { image, escrow },
        (e, None) => Visibility::Current {
            ignore_delete: e == Some(true),
            escrow,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Version `_id` of a chain (the id only names it in the cases below).
    fn v(begin: u64, commit: Option<u64>, op: Op) -> Version {
        Version {
            trx_begin: Trx(begin),
            trx_commit: commit.map_or(Trx::MAX, Trx),
            op,
            page: 0,
            chain: 0,
            older: NIL,
        }
    }

    fn img(s: &str) -> Arc<[u8]> {
        Arc::from(s.as_bytes())
    }

    fn current() -> Visibility {
        Visibility::Current {
            ignore_delete: false,
            escrow: vec![],
        }
    }

    fn before(s: &str) -> Visibility {
        Visibility::BeforeImage {
            image: img(s),
            escrow: vec![],
        }
    }

    #[test]
    fn the_walk_answers_as_the_essay_says() {
        // (name, chain oldest first, reader begin, expected)
        let replace1 = || v(2, Some(3), Op::Replace { before: img("B1") });
        let replace2 = || v(5, None, Op::Replace { before: img("B2") });
        let cases: Vec<(&str, Vec<Version>, u64, Visibility)> = vec![
            ("no versions", vec![], 9, current()),
            (
                "after T1, T2 open",
                vec![replace1(), replace2()],
                4,
                before("B2"),
            ),
            (
                "before T1 committed",
                vec![replace1(), replace2()],
                1,
                before("B1"),
            ),
            ("T2 itself", vec![replace1(), replace2()], 5, current()),
            (
                "uncommitted insert",
                vec![v(2, None, Op::Insert { reused: None })],
                4,
                Visibility::Absent,
            ),
            (
                "own insert",
                vec![v(2, None, Op::Insert { reused: None })],
                2,
                current(),
            ),
            (
                "delete committed after my begin",
                vec![v(3, Some(6), Op::FlagDelete { leaf: Pgno::NULL })],
                4,
                Visibility::Current {
                    ignore_delete: true,
                    escrow: vec![],
                },
            ),
            (
                "delete committed before my begin",
                vec![v(3, Some(4), Op::FlagDelete { leaf: Pgno::NULL })],
                5,
                current(),
            ),
            (
                "reinsert over a delete I cannot see",
                vec![
                    v(3, Some(6), Op::FlagDelete { leaf: Pgno::NULL }),
                    v(
                        7,
                        None,
                        Op::Insert {
                            reused: Some(img("old")),
                        },
                    ),
                ],
                4,
                before("old"),
            ),
            (
                "reinsert, delete visible",
                vec![
                    v(3, Some(4), Op::FlagDelete { leaf: Pgno::NULL }),
                    v(
                        7,
                        None,
                        Op::Insert {
                            reused: Some(img("old")),
                        },
                    ),
                ],
                5,
                Visibility::Absent,
            ),
            (
                "deltas: older one invisible, newer visible",
                vec![
                    v(2, Some(9), Op::Delta { field: 0, delta: 5 }),
                    v(3, Some(4), Op::Delta { field: 0, delta: 7 }),
                ],
                6,
                Visibility::Current {
                    ignore_delete: false,
                    escrow: vec![EscrowAdjust {
                        field: 0,
                        delta: -5,
                    }],
                },
            ),
            (
                "delta newer than an invisible replace is forgotten",
                vec![
                    v(2, Some(7), Op::Replace { before: img("B") }),
                    v(8, None, Op::Delta { field: 0, delta: 5 }),
                ],
                6,
                before("B"),
            ),
            (
                "locks change nothing",
                vec![v(2, None, Op::Lock(LockKind::Write))],
                4,
                current(),
            ),
        ];
        for (name, chain, reader, expected) in cases {
            assert_eq!(
                visibility(chain.iter().rev(), Trx(reader)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn conflict_kinds_commute_as_the_reference_says() {
        use Access::*;
        // (mine, theirs, commutes)
        let cases = [
            (Read, Read, true),
            (Delta, Delta, true),
            (Read, Write, false),
            (Write, Read, false),
            (Delta, Write, false),
            (Write, Delta, false),
            (Delta, Read, false),
            (Write, Write, false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(commutes(a, b), expected);
        }
    }

    #[test]
    fn config_ranges_are_checked() {
        assert!(VerConfig::default().validate().is_ok());
        assert!(VerConfig::test_min().validate().is_ok());
        assert_eq!(VerConfig::default().ver_page_size_bytes, 32768);
        let bad = [
            VerConfig {
                max_ver_pages: 0,
                ..VerConfig::default()
            },
            VerConfig {
                ver_page_size_bytes: 512,
                ..VerConfig::default()
            },
            VerConfig {
                ver_page_size_bytes: 3000,
                ..VerConfig::default()
            },
            VerConfig {
                ver_page_size_bytes: 131072,
                ..VerConfig::default()
            },
            VerConfig {
                max_transaction_size_percent: 0,
                ..VerConfig::default()
            },
            VerConfig {
                max_transaction_size_percent: 101,
                ..VerConfig::default()
            },
        ];
        for c in bad {
            assert_eq!(c.validate().map_err(|e| e.jet_code()), Err(-1003), "{c:?}");
        }
    }

    #[test]
    fn pool_frees_a_page_with_its_last_version() {
        let mut p = Pool {
            page_bytes: 100,
            max_pages: 2,
            pages: FastHashMap::default(),
            current: None,
            next_page: 0,
        };
        let a = p.alloc(60).unwrap();
        let b = p.alloc(60).unwrap();
        assert_ne!(a, b);
        assert_eq!(
            p.alloc(60),
            None,
            "two pages of 100 bytes hold two 60-byte versions"
        );
        p.release(a, 1);
        assert_eq!(p.pages.len(), 1);
        let c = p.alloc(60).unwrap();
        assert_ne!(c, b);
        p.release(b, 1);
        p.release(c, 1);
        assert_eq!(p.pages.len(), 1, "the current page is kept, emptied");
        assert_eq!(p.pages.values().map(|u| u.used_bytes).sum::<usize>(), 0);
    }

    #[test]
    fn pool_release_of_several_versions_frees_the_page_only_with_its_last() {
        let mut p = Pool {
            page_bytes: 100,
            max_pages: 2,
            pages: FastHashMap::default(),
            current: None,
            next_page: 0,
        };
        let a = p.alloc(30).unwrap();
        assert_eq!(p.alloc(30), Some(a));
        assert_eq!(p.alloc(30), Some(a));
        let b = p.alloc(30).unwrap();
        assert_ne!(a, b);
        p.release(a, 2);
        assert_eq!(p.pages.get(&a).map(|u| u.live), Some(1));
        p.release(a, 1);
        assert!(
            !p.pages.contains_key(&a),
            "emptied, and not the current page"
        );
        assert_eq!(p.pages.get(&b).map(|u| u.live), Some(1));
    }

    #[test]
    fn cleanup_frees_interleaved_transactions_pages_as_their_last_versions_go() {
        let config = VerConfig {
            max_ver_pages: 64,
            ver_page_size_bytes: limits::VER_PAGE_SIZE_MIN_BYTES,
            max_transaction_size_percent: 100,
        };
        let store = VersionStore::new(config, Arc::new(crate::log::NoLog)).expect("valid");
        let obj = ObjId::new(DbId(1), 2);
        let mut a = store.begin_session();
        let mut b = store.begin_session();
        a.begin_transaction().expect("begin");
        b.begin_transaction().expect("begin");
        // About ten versions to a page, the two transactions' taking turns on each page.
        for i in 0..40u32 {
            let key = format!("key{i:04}");
            let s = if i % 2 == 0 { &mut a } else { &mut b };
            s.version_flag_delete(obj, key.as_bytes()).expect("room");
        }
        let pages = store.stats().pages_in_use;
        assert!(pages >= 4, "{pages} pages");
        a.commit_transaction(CommitMode::Lazy).expect("commit");
        // b is still open, but began before a committed: a's versions are not cleaned yet.
        assert!(store.cleanup().is_empty());
        b.commit_transaction(CommitMode::Lazy).expect("commit");
        let mut c = store.begin_session();
        c.begin_transaction().expect("begin");
        let got: Vec<Vec<u8>> = store.cleanup().into_iter().map(|r| r.key).collect();
        let want: Vec<Vec<u8>> = (0..40u32)
            .step_by(2)
            .chain((1..40u32).step_by(2))
            .map(|i| format!("key{i:04}").into_bytes())
            .collect();
        assert_eq!(got, want, "a's keys first, in a's order, then b's");
        assert_eq!(store.stats().versions, 0);
        assert_eq!(
            store.stats().pages_in_use,
            1,
            "only the page being filled stays"
        );
        store.check_invariants().expect("consistent");
    }

    #[test]
    fn a_delete_that_is_no_longer_its_nodes_newest_version_releases_nothing() {
        let store = big_store();
        let obj = ObjId::new(DbId(1), 2);
        let mut a = store.begin_session();
        let mut b = store.begin_session();
        a.begin_transaction().expect("begin");
        a.version_flag_delete(obj, b"gone").expect("room");
        a.version_flag_delete(obj, b"back").expect("room");
        a.commit_transaction(CommitMode::Lazy).expect("commit");
        b.begin_transaction().expect("begin");
        b.version_insert(obj, b"back", None).expect("room");
        let released = store.cleanup();
        assert_eq!(
            released,
            vec![Removable {
                obj,
                key: b"gone".to_vec(),
                leaf: Pgno::NULL,
            }],
            "the reinserted node stays"
        );
        store.check_invariants().expect("consistent");
    }

    fn big_store() -> Arc<VersionStore> {
        let config = VerConfig {
            max_ver_pages: 64,
            ..VerConfig::default()
        };
        VersionStore::new(config, Arc::new(crate::log::NoLog)).expect("a valid configuration")
    }

    #[test]
    fn chains_sharing_a_hash_are_told_apart_and_unlinked_from_anywhere() {
        let store = big_store();
        let obj = ObjId::new(DbId(1), 2);
        let other = ObjId::new(DbId(1), 3);
        let mut guard = store.state.lock();
        let st = &mut *guard;
        // Four bookmarks forced onto one hash: the index holds the newest, the rest follow.
        let nodes = [(obj, &b"a"[..]), (obj, b"b"), (other, b"a"), (obj, b"c")];
        let made: Vec<u32> = nodes
            .iter()
            .map(|&(o, k)| st.new_chain(42, o, k).expect("room"))
            .collect();
        for (&(o, k), &c) in nodes.iter().zip(&made) {
            assert_eq!(st.chain_hashed(42, o, k), Some(c), "{o} {k:?}");
        }
        assert_eq!(st.chain_hashed(42, other, b"b"), None);
        assert_eq!(st.chain_hashed(43, obj, b"a"), None);
        // Unlink one from the middle, then the head, then the tail.
        st.drop_chain(made[1]);
        assert_eq!(st.chain_hashed(42, obj, b"b"), None);
        assert_eq!(st.chain_hashed(42, obj, b"c"), Some(made[3]));
        assert_eq!(st.chain_hashed(42, obj, b"a"), Some(made[0]));
        st.drop_chain(made[3]);
        assert_eq!(st.chain_hashed(42, obj, b"c"), None);
        assert_eq!(st.chain_hashed(42, other, b"a"), Some(made[2]));
        assert_eq!(st.chain_hashed(42, obj, b"a"), Some(made[0]));
        st.drop_chain(made[0]);
        assert_eq!(st.chain_hashed(42, obj, b"a"), None);
        assert_eq!(st.chain_hashed(42, other, b"a"), Some(made[2]));
        st.drop_chain(made[2]);
        assert!(st.index.is_empty());
        assert_eq!(st.chains.live, 0);
    }

    #[test]
    fn short_and_long_keys_keep_their_versions_apart() {
        let store = big_store();
        let obj = ObjId::new(DbId(1), 2);
        let keys: Vec<Vec<u8>> = [0usize, 1, 39, 40, 41, 255, 256, 1000]
            .iter()
            .map(|&n| (0..n).map(|i| (i % 251) as u8).collect())
            .collect();
        let mut w = store.begin_session();
        let mut r = store.begin_session();
        w.begin_transaction().expect("begin");
        for (i, k) in keys.iter().enumerate() {
            w.version_replace(obj, k, &[i as u8]).expect("room");
        }
        store.check_invariants().expect("consistent");
        r.begin_transaction().expect("begin");
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(
                r.visible_version(obj, k),
                Visibility::BeforeImage {
                    image: Arc::from(&[i as u8][..]),
                    escrow: vec![],
                },
                "key of {} bytes",
                k.len()
            );
            assert_eq!(w.visible_version(obj, k), current());
        }
        let mut longer = keys[7].clone();
        longer.push(0);
        assert_eq!(r.visible_version(obj, &longer), current());
        w.commit_transaction(CommitMode::Lazy).expect("commit");
        r.commit_transaction(CommitMode::Lazy).expect("commit");
        store.check_invariants().expect("consistent");
        assert!(store.cleanup().is_empty());
        assert_eq!(store.stats().versions, 0);
        store.check_invariants().expect("consistent");
    }

    #[test]
    fn a_store_emptied_by_cleanup_sees_the_next_version_at_once() {
        let store = big_store();
        let obj = ObjId::new(DbId(1), 2);
        let mut a = store.begin_session();
        let mut b = store.begin_session();
        a.begin_transaction().expect("begin");
        a.version_flag_delete(obj, b"k").expect("room");
        a.commit_transaction(CommitMode::Lazy).expect("commit");
        let removable = store.cleanup();
        assert_eq!(
            removable,
            vec![Removable {
                obj,
                key: b"k".to_vec(),
                leaf: Pgno::NULL,
            }]
        );
        assert_eq!(store.stats().versions, 0);
        b.begin_transaction().expect("begin");
        assert_eq!(b.visible_version(obj, b"k"), current());
        assert!(!store.is_versioned(obj, b"k"));
        assert!(b.check_write(obj, b"k").is_ok());
        // A new version after the store was empty: a conflict and a change the reader
        // cannot see, although no other node has a version.
        a.begin_transaction().expect("begin");
        a.version_insert(obj, b"k", None).expect("room");
        assert_eq!(b.visible_version(obj, b"k"), Visibility::Absent);
        assert!(store.is_versioned(obj, b"k"));
        assert!(matches!(
            b.check_write(obj, b"k"),
            Err(Error::WriteConflict)
        ));
        assert!(matches!(
            store.may_modify(obj, b"k", b.trx_begin().expect("open")),
            Err(Error::WriteConflict)
        ));
        store.check_invariants().expect("consistent");
    }
}
