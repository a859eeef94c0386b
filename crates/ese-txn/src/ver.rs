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
//! # Locking
//!
//! Everything here sits behind one mutex, held for a few map operations per call and never
//! across a durable commit's wait. Readers take it only to walk one chain, so they do not wait
//! for writers' transactions, only for other calls in flight; sharding the chains by hash, as
//! ESE does, is left until a benchmark asks for it.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use ese_core::{DbId, Lgpos, Trx, limits};
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
    Insert { reused: Option<Arc<[u8]>> },
    Replace { before: Arc<[u8]> },
    FlagDelete,
    Delta { field: u32, delta: i64 },
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
            Op::FlagDelete => UndoAction::Undelete,
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

/// One version (ESE's RCE).
#[derive(Debug)]
struct Version {
    id: u64,
    trx_begin: Trx,
    trx_commit: Trx,
    op: Op,
    page: u64,
}

impl Version {
    /// Whether the transaction that began at `reader` sees this version's change.
    fn visible_to(&self, reader: Trx) -> bool {
        self.trx_begin == reader || self.trx_commit < reader
    }
}

/// A version a transaction made, found again through its node's chain.
#[derive(Debug)]
struct Change {
    obj: ObjId,
    key: Vec<u8>,
    id: u64,
}

/// An open transaction of one session (the transaction half of ESE's PIB).
#[derive(Debug)]
pub(crate) struct Txn {
    trx_begin: Trx,
    read_only: bool,
    /// Index into `changes` where each open level starts; its length is the level.
    level_starts: Vec<usize>,
    /// Every version this transaction holds, oldest first.
    changes: Vec<Change>,
    /// How many of the open levels have had their begin logged (lazily, at their first change).
    logged_levels: usize,
}

/// A committed transaction whose versions await cleanup.
#[derive(Debug)]
struct Committed {
    trx_commit: Trx,
    changes: Vec<Change>,
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
    pages: HashMap<u64, PageUse>,
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

    fn release(&mut self, id: u64) {
        let Some(p) = self.pages.get_mut(&id) else {
            return;
        };
        p.live = p.live.saturating_sub(1);
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

type Chains = HashMap<ObjId, HashMap<Vec<u8>, Vec<Version>>>;

/// Everything behind the version store's one lock.
#[derive(Debug)]
struct State {
    /// The next timestamp to hand out; 0 is Trx::MIN, never a real transaction.
    next_trx: u64,
    next_session: SessionId,
    next_version: u64,
    /// Each node's versions, oldest first.
    chains: Chains,
    txns: HashMap<SessionId, Txn>,
    committed: VecDeque<Committed>,
    pool: Pool,
    removable: Vec<Removable>,
    unavailable: bool,
    /// Each session's most recent level-0 commit record (JET_bitWaitLastLevel0Commit).
    last_commits: HashMap<SessionId, Lgpos>,
    /// The latest commit record of any session (JET_bitWaitAllLevel0Commit).
    last_commit_any: Option<Lgpos>,
}

/// Removes version `id` from the chain of (`obj`, `key`), frees its page space, and drops the
/// chain once empty. Returns the version and whether it was the newest non-lock version.
fn take_version(
    chains: &mut Chains,
    pool: &mut Pool,
    obj: ObjId,
    key: &[u8],
    id: u64,
) -> Option<(Version, bool)> {
    let per_obj = chains.get_mut(&obj)?;
    let chain = per_obj.get_mut(key)?;
    let pos = chain.iter().position(|v| v.id == id)?;
    let v = chain.remove(pos);
    let newest = chain[pos..].iter().all(|later| later.op.is_lock());
    pool.release(v.page);
    if chain.is_empty() {
        per_obj.remove(key);
        if per_obj.is_empty() {
            chains.remove(&obj);
        }
    }
    Some((v, newest))
}

impl State {
    fn chain(&self, obj: ObjId, key: &[u8]) -> Option<&[Version]> {
        self.chains
            .get(&obj)
            .and_then(|m| m.get(key))
            .map(Vec::as_slice)
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
            for change in done.changes {
                let taken = take_version(
                    &mut self.chains,
                    &mut self.pool,
                    change.obj,
                    &change.key,
                    change.id,
                );
                if let Some((v, newest)) = taken {
                    removed += 1;
                    if matches!(v.op, Op::FlagDelete) && newest {
                        self.removable.push(Removable {
                            obj: change.obj,
                            key: change.key,
                        });
                    }
                }
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
            pages: HashMap::new(),
            current: None,
            next_page: 0,
        };
        Ok(Arc::new(VersionStore {
            config,
            log,
            state: Mutex::new(State {
                next_trx: 1,
                next_session: 1,
                next_version: 1,
                chains: HashMap::new(),
                txns: HashMap::new(),
                committed: VecDeque::new(),
                pool,
                removable: Vec::new(),
                unavailable: false,
                last_commits: HashMap::new(),
                last_commit_any: None,
            }),
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
        let st = self.state.lock();
        let at = st
            .txns
            .get(&reader.id())
            .map_or(Trx(st.next_trx), |t| t.trx_begin);
        match st.chain(obj, key) {
            Some(chain) => visibility(chain, at),
            None => Visibility::Current {
                ignore_delete: false,
                escrow: Vec::new(),
            },
        }
    }

    /// Whether some transaction may still need the node's history: a version other than a lock
    /// exists for it. A flag-deleted node without one may be removed.
    pub fn is_versioned(&self, obj: ObjId, key: &[u8]) -> bool {
        let st = self.state.lock();
        st.chain(obj, key)
            .is_some_and(|c| c.iter().any(|v| !v.op.is_lock()))
    }

    /// Discards the versions no transaction can see any more (ESE's RCE clean) and returns
    /// the flag-deleted nodes that may now be removed, including any found by a cleanup the
    /// store ran itself when it was full.
    pub fn cleanup(&self) -> Vec<Removable> {
        let mut st = self.state.lock();
        st.cleanup();
        std::mem::take(&mut st.removable)
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
            versions: st
                .chains
                .values()
                .flat_map(HashMap::values)
                .map(Vec::len)
                .sum(),
            pages_in_use: st.pool.pages.len(),
            active_transactions: st.txns.len(),
            committed_pending_cleanup: st.committed.len(),
        }
    }

    /// Checks the store's internal consistency; returns a description of the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        let st = self.state.lock();
        let find = |c: &Change| -> Option<&Version> {
            st.chain(c.obj, &c.key)
                .and_then(|chain| chain.iter().find(|v| v.id == c.id))
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
            for c in &t.changes {
                match find(c) {
                    Some(v) if v.trx_begin == t.trx_begin && v.trx_commit == Trx::MAX => {}
                    other => return Err(format!("session {sid}: change {c:?} is {other:?}")),
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
            for c in &done.changes {
                match find(c) {
                    Some(v) if v.trx_commit == done.trx_commit && !v.op.is_lock() => {}
                    other => return Err(format!("committed change {c:?} is {other:?}")),
                }
            }
            owned += done.changes.len();
        }
        let mut held = 0usize;
        for chain in st.chains.values().flat_map(HashMap::values) {
            if chain.is_empty() {
                return Err("an empty chain was kept".into());
            }
            held += chain.len();
        }
        if held != owned {
            return Err(format!(
                "{held} versions in chains, {owned} owned by transactions"
            ));
        }
        let live: usize = st.pool.pages.values().map(|p| p.live).sum();
        if live != held {
            return Err(format!("{live} versions charged to pages, {held} held"));
        }
        if st.pool.pages.len() > st.pool.max_pages {
            return Err("more version pages than JET_paramMaxVerPages".into());
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

    pub(crate) fn begin(&self, sid: SessionId, read_only: bool) -> Result<(), Error> {
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
        Ok(())
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
        if let Some(chain) = st.chain(obj, key) {
            let conflict = chain.iter().any(|v| {
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
        let page = match st.pool.alloc(size) {
            Some(p) => p,
            None => {
                st.cleanup();
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
                    st.pool.release(page);
                    return Err(Error::Log(e));
                }
                if let Some(t) = st.txns.get_mut(&sid) {
                    t.logged_levels = usize::from(level) + 1;
                }
            }
        }
        let id = st.next_version;
        st.next_version += 1;
        st.chains
            .entry(obj)
            .or_default()
            .entry(key.to_vec())
            .or_default()
            .push(Version {
                id,
                trx_begin: me,
                trx_commit: Trx::MAX,
                op,
                page,
            });
        let t = st
            .txns
            .get_mut(&sid)
            .expect("the transaction was found above, under the same lock");
        t.changes.push(Change {
            obj,
            key: key.to_vec(),
            id,
        });
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
        let id = match t.changes.last() {
            Some(c) if t.changes.len() > start && c.obj == obj && c.key == key => c.id,
            _ => return false,
        };
        t.changes.pop();
        take_version(&mut st.chains, &mut st.pool, obj, key, id).is_some()
    }

    /// Fails with [`Error::WriteConflict`] if the transaction that began at `trx` could not
    /// change the node (`obj`, `key`) now; records nothing. This is the question the B-tree's
    /// `VersionCheck::may_modify` asks, by begin timestamp rather than by session.
    pub fn may_modify(&self, obj: ObjId, key: &[u8], trx: Trx) -> Result<(), Error> {
        let st = self.state.lock();
        Self::conflict_probe(&st, obj, key, trx)
    }

    /// Checks whether `sid` could change the node (`obj`, `key`) without a write conflict,
    /// creating no version.
    pub(crate) fn check_write(&self, sid: SessionId, obj: ObjId, key: &[u8]) -> Result<(), Error> {
        let st = self.state.lock();
        let me = st.txns.get(&sid).map_or(Trx(st.next_trx), |t| t.trx_begin);
        Self::conflict_probe(&st, obj, key, me)
    }

    fn conflict_probe(st: &State, obj: ObjId, key: &[u8], me: Trx) -> Result<(), Error> {
        let conflict = st
            .chain(obj, key)
            .is_some_and(|chain| chain.iter().any(|v| v.trx_begin != me && v.trx_commit > me));
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
        let mut kept = Vec::with_capacity(t.changes.len());
        for change in t.changes {
            let chain = st
                .chains
                .get_mut(&change.obj)
                .and_then(|m| m.get_mut(&change.key));
            let Some(v) = chain.and_then(|c| c.iter_mut().find(|v| v.id == change.id)) else {
                continue;
            };
            if v.op.is_lock() {
                // Locks last until the outermost commit and leave nothing behind.
                take_version(
                    &mut st.chains,
                    &mut st.pool,
                    change.obj,
                    &change.key,
                    change.id,
                );
            } else {
                v.trx_commit = commit_trx;
                kept.push(change);
            }
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
        let State {
            txns,
            chains,
            pool,
            removable,
            unavailable,
            ..
        } = st;
        let t = txns.get_mut(&sid).ok_or(Error::NotInTransaction)?;
        let start = *t
            .level_starts
            .last()
            .expect("an open transaction has at least one level");
        let levels = t.level_starts.len();
        while t.changes.len() > start {
            let Some(change) = t.changes.last() else {
                break;
            };
            let action_result = chains
                .get(&change.obj)
                .and_then(|m| m.get(&change.key))
                .and_then(|c| c.iter().find(|v| v.id == change.id))
                .and_then(|v| v.op.undo_action())
                .map(|action| undo.undo(change.obj, &change.key, action));
            if let Some(Err(e)) = action_result {
                *unavailable = true;
                return Err(Error::RollbackError(e));
            }
            if let Some((v, _)) = take_version(chains, pool, change.obj, &change.key, change.id)
                && matches!(v.op, Op::Insert { reused: Some(_) })
                && chains
                    .get(&change.obj)
                    .and_then(|m| m.get(&change.key))
                    .is_none()
            {
                // The node is flag-deleted again and nothing refers to it any more.
                removable.push(Removable {
                    obj: change.obj,
                    key: change.key.clone(),
                });
            }
            t.changes.pop();
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

/// The walk described in the module doc: `chain` oldest first, `reader` a begin timestamp.
fn visibility(chain: &[Version], reader: Trx) -> Visibility {
    // None: as the node says. Some(b): known.
    let mut exists: Option<bool> = None;
    // None: the node's data.
    let mut image: Option<Arc<[u8]>> = None;
    let mut escrow: Vec<EscrowAdjust> = Vec::new();
    for v in chain.iter().rev() {
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
            Op::FlagDelete => exists = Some(true),
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

    fn v(id: u64, begin: u64, commit: Option<u64>, op: Op) -> Version {
        Version {
            id,
            trx_begin: Trx(begin),
            trx_commit: commit.map_or(Trx::MAX, Trx),
            op,
            page: 0,
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
        let replace1 = || v(1, 2, Some(3), Op::Replace { before: img("B1") });
        let replace2 = || v(2, 5, None, Op::Replace { before: img("B2") });
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
                vec![v(1, 2, None, Op::Insert { reused: None })],
                4,
                Visibility::Absent,
            ),
            (
                "own insert",
                vec![v(1, 2, None, Op::Insert { reused: None })],
                2,
                current(),
            ),
            (
                "delete committed after my begin",
                vec![v(1, 3, Some(6), Op::FlagDelete)],
                4,
                Visibility::Current {
                    ignore_delete: true,
                    escrow: vec![],
                },
            ),
            (
                "delete committed before my begin",
                vec![v(1, 3, Some(4), Op::FlagDelete)],
                5,
                current(),
            ),
            (
                "reinsert over a delete I cannot see",
                vec![
                    v(1, 3, Some(6), Op::FlagDelete),
                    v(
                        2,
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
                    v(1, 3, Some(4), Op::FlagDelete),
                    v(
                        2,
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
                    v(1, 2, Some(9), Op::Delta { field: 0, delta: 5 }),
                    v(2, 3, Some(4), Op::Delta { field: 0, delta: 7 }),
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
                    v(1, 2, Some(7), Op::Replace { before: img("B") }),
                    v(2, 8, None, Op::Delta { field: 0, delta: 5 }),
                ],
                6,
                before("B"),
            ),
            (
                "locks change nothing",
                vec![v(1, 2, None, Op::Lock(LockKind::Write))],
                4,
                current(),
            ),
        ];
        for (name, chain, reader, expected) in cases {
            assert_eq!(visibility(&chain, Trx(reader)), expected, "{name}");
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
            pages: HashMap::new(),
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
        p.release(a);
        assert_eq!(p.pages.len(), 1);
        let c = p.alloc(60).unwrap();
        assert_ne!(c, b);
        p.release(b);
        p.release(c);
        assert_eq!(p.pages.len(), 1, "the current page is kept, emptied");
        assert_eq!(p.pages.values().map(|u| u.used_bytes).sum::<usize>(), 0);
    }
}
