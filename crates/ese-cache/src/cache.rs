//! The frame table, the page table, pins and latches, eviction, flushing and the checkpoint.
//!
//! ```text
//!   page table: 64 shards, each RwLock<HashMap<(db, pgno), frame>>
//!        |
//!        v
//!   frames: [ Frame 0 | Frame 1 | ... | Frame n-1 ]    fixed at creation
//!             key        (db, pgno) or none; changed only under the shard's write lock
//!             pins       how many guards (and in-flight loads or writes) hold the frame
//!             latch      RwLock<PageBuf>: shared = read, exclusive = write
//!             dirty, first/last change lgpos, writer floor, LRU-2 ticks: atomics
//! ```
//!
//! A hit takes one shard's read lock just long enough to find the frame and add a pin, then
//! updates the frame's reference ticks and takes its latch; nothing on that path is global
//! (the reference clock is only *read* there). A frame changes identity only when it is
//! unpinned and unlatched: the evictor takes the shard's write lock, checks the pin count is
//! zero and the page is clean, takes the frame's exclusive latch without waiting, and unmaps
//! it. Because a pin added under the shard lock is seen there, a pinned frame can never be
//! evicted underneath its holder. A read through a frame hint takes no pin at all: it
//! latches the frame and checks, under the latch, that the frame still names its page, which
//! no eviction or load can change while the latch is held.
//!
//! A dirty victim is written first, under a shared latch, while it is still mapped, so no
//! other thread can read the page's older image from disk in the meantime. The write obeys
//! the write-ahead rule: the log is flushed up to the page's last change before the page goes
//! out. Eviction never waits for a latch (it skips busy frames), so a thread that holds
//! latches and misses cannot deadlock against another; when every frame is pinned the miss
//! fails with [`Error::OutOfBuffers`].

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ese_core::{DbId, Lgpos, Pgno};
use ese_pageio::Storage;
use parking_lot::{Condvar, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::Result;
use crate::config::CacheConfig;
use crate::error::{Error, IoOp};
use crate::io;
use crate::lruk::History;
use crate::wal::{WriteAheadLog, lgpos_minus_bytes, lgpos_to_bytes};

/// The key of a free frame; no real page packs to it because its pgno exceeds pgnoMax.
const KEY_NONE: u64 = u64::MAX;
/// "No position" for first-change and writer-floor atomics: larger than every real lgpos.
const LGPOS_NONE: u64 = u64::MAX;
/// Shards of the page table; enough that two cores rarely meet on one shard lock.
const PAGE_TABLE_SHARDS: usize = 64;
/// Unpinned frames an eviction compares before it picks the one with the oldest LRU-2 rank.
const EVICTION_WINDOW: usize = 64;
/// Eviction rounds a miss tries (each losing a race or finding every frame pinned) before it
/// reports [`Error::OutOfBuffers`].
const EVICTION_ATTEMPTS: usize = 64;

/// Evicted pages whose reference history is remembered, per frame (per generation): enough
/// that a hot page pushed out by a scan still ranks as hot when it returns.
const HISTORY_PER_FRAME: usize = 2;

const _: () = assert!(PAGE_TABLE_SHARDS.is_power_of_two());

fn pack(db: DbId, pgno: Pgno) -> u64 {
    (u64::from(db.0) << 32) | u64::from(pgno.0)
}

fn unpack(key: u64) -> (DbId, Pgno) {
    // Both halves are u32 by construction.
    (DbId((key >> 32) as u32), Pgno(key as u32))
}

/// A multiplicative mix of a packed key: cheap, and good in both the high bits (shard choice)
/// and the low bits (the hash map's bucket).
fn mix(key: u64) -> u64 {
    let h = (key ^ (key >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 32)
}

/// The page table's hasher: keys are already-packed u64s, so SipHash would only cost time.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix(self.0.rotate_left(8) ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = mix(n);
    }
}

type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// One shard's part of the page table, and the reference history of pages it evicted.
#[derive(Default)]
struct Table {
    /// Cached pages: key to frame.
    pages: KeyMap<usize>,
    /// Last reference tick of recently evicted pages (ESE's LRUKHistoryMax), in two
    /// generations: when `recent` fills, it becomes `older` and the old `older` is dropped, so
    /// the history stays bounded at O(1) amortised cost.
    recent: KeyMap<u64>,
    older: KeyMap<u64>,
}

impl Table {
    /// Remembers an evicted page's last reference, so a page that returns keeps its rank.
    fn remember(&mut self, key: u64, last: u64, limit: usize) {
        if self.recent.len() >= limit {
            self.older = std::mem::take(&mut self.recent);
        }
        self.recent.insert(key, last);
    }

    /// Takes the remembered last reference of a page being brought back in.
    fn recall(&mut self, key: u64) -> Option<u64> {
        self.recent.remove(&key).or_else(|| self.older.remove(&key))
    }
}

/// One shard of the page table, on its own cache line.
#[repr(align(64))]
#[derive(Default)]
struct Shard {
    map: RwLock<Table>,
    hits: AtomicU64,
}

/// What a layer above derives from a cached page's bytes and keeps beside them for later
/// readers of the same bytes (the B-tree keeps a search index of a page): see
/// [`PageRef::derived`].
pub type Derived = Box<dyn std::any::Any + Send + Sync>;

/// The contents a frame's latch protects.
#[derive(Default)]
struct PageBuf {
    bytes: Vec<u8>,
    /// Whether `bytes` holds the page named by the frame's key (false while loading, and after
    /// a failed load).
    valid: bool,
    /// What [`PageRef::derived`] built from `bytes` as they are now. Emptied under every
    /// exclusive latch ([`PageBuf::changing`]), before the bytes can change.
    derived: OnceLock<Option<Derived>>,
}

impl PageBuf {
    /// Drops what was derived from the bytes: called under the exclusive latch by everything
    /// that may change them (a writer's [`PageMut`], a load, an eviction).
    #[inline]
    fn changing(&mut self) {
        if self.derived.get().is_some() {
            self.derived = OnceLock::new();
        }
    }
}

/// One cache frame.
#[repr(align(64))]
struct Frame {
    key: AtomicU64,
    pins: AtomicU32,
    dirty: AtomicBool,
    /// The oldest logged change not yet on disk, or [`LGPOS_NONE`].
    first_change: AtomicU64,
    /// The newest logged change not yet on disk, or 0.
    last_change: AtomicU64,
    /// While an exclusive latch is held: a position no later than the log head when it was
    /// taken, below which the holder cannot log. [`LGPOS_NONE`] otherwise.
    writer_floor: AtomicU64,
    hist_last: AtomicU64,
    hist_prev: AtomicU64,
    /// Hits through a frame hint on this frame, whatever page it held: counted here, on a
    /// line the hit writes anyway (its pin and latch), rather than on the shard's, which
    /// every reader of the shard's pages would then pass between cores.
    hinted_hits: AtomicU64,
    page: RwLock<PageBuf>,
}

impl Frame {
    fn new() -> Self {
        Self {
            key: AtomicU64::new(KEY_NONE),
            pins: AtomicU32::new(0),
            dirty: AtomicBool::new(false),
            first_change: AtomicU64::new(LGPOS_NONE),
            last_change: AtomicU64::new(0),
            writer_floor: AtomicU64::new(LGPOS_NONE),
            hist_last: AtomicU64::new(0),
            hist_prev: AtomicU64::new(0),
            hinted_hits: AtomicU64::new(0),
            page: RwLock::new(PageBuf::default()),
        }
    }

    fn history(&self) -> History {
        History {
            last: self.hist_last.load(Ordering::Relaxed),
            prev: self.hist_prev.load(Ordering::Relaxed),
        }
    }
}

/// An attached database.
#[derive(Debug)]
struct Db {
    storage: Arc<dyn Storage>,
    page_size_bytes: usize,
}

/// Counters of what the cache has done since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Pins satisfied from the cache (exact from one thread; may undercount slightly when
    /// several threads hit pages of one page-table shard at the same instant).
    pub hits: u64,
    /// Pins that read the page from disk (or created it).
    pub misses: u64,
    /// Frames taken from one page for another.
    pub evictions: u64,
    /// Page writes, for any reason.
    pub page_writes: u64,
}

/// A holder's claim on a frame: while it exists the frame keeps its page.
struct Pin<'a> {
    frame: &'a Frame,
    idx: usize,
}

/// Where a page was last found in the cache: a hint for [`Cache::read_hinted`], which
/// re-latches that frame without the page-table look-up when it still holds the page. A
/// hint is only ever a guess; a stale one costs the ordinary look-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHint {
    idx: usize,
    /// The page's (database, page number) key; [`KEY_NONE`] for no hint.
    key: u64,
}

impl FrameHint {
    /// No hint: a read through it is an ordinary [`Cache::read`].
    pub const NONE: FrameHint = FrameHint {
        idx: 0,
        key: KEY_NONE,
    };
}

impl Default for FrameHint {
    fn default() -> FrameHint {
        FrameHint::NONE
    }
}

/// A [`FrameHint`] that threads share, read and set without a lock. A read that overlaps a
/// set may mix two hints; that is only a wrong guess, which [`Cache::read_hinted`] finds out
/// (it checks the frame it is pointed at) and answers with the ordinary look-up.
#[derive(Debug)]
pub struct SharedHint {
    idx: AtomicUsize,
    key: AtomicU64,
}

impl SharedHint {
    /// A slot holding no hint.
    pub const fn new() -> SharedHint {
        SharedHint {
            idx: AtomicUsize::new(0),
            key: AtomicU64::new(KEY_NONE),
        }
    }

    /// The hint last set (or [`FrameHint::NONE`]).
    #[inline]
    pub fn get(&self) -> FrameHint {
        FrameHint {
            idx: self.idx.load(Ordering::Relaxed),
            key: self.key.load(Ordering::Relaxed),
        }
    }

    /// Sets the hint, writing the slot only when it changes (readers of the same page on
    /// many threads then leave its cache line shared).
    #[inline]
    pub fn set(&self, hint: FrameHint) {
        if self.get() != hint {
            self.idx.store(hint.idx, Ordering::Relaxed);
            self.key.store(hint.key, Ordering::Relaxed);
        }
    }
}

impl Default for SharedHint {
    fn default() -> SharedHint {
        SharedHint::new()
    }
}

impl Drop for Pin<'_> {
    #[inline]
    fn drop(&mut self) {
        self.frame.pins.fetch_sub(1, Ordering::Release);
    }
}

/// A page held with a shared latch (ESE's read latch): many may read it at once.
///
/// A page found through a frame hint is held by its latch alone: an eviction takes the
/// frame's exclusive latch before it unmaps the frame (and gives up when the latch is busy),
/// and a load takes it before it maps a new page there, so the frame keeps this page for as
/// long as the shared latch is held. A page found through the page table also holds a pin,
/// taken under the shard's lock before the latch.
pub struct PageRef<'a> {
    // Field order matters: the latch is released before the pin.
    latch: RwLockReadGuard<'a, PageBuf>,
    _pin: Option<Pin<'a>>,
    idx: usize,
    db: DbId,
    pgno: Pgno,
}

impl PageRef<'_> {
    /// The database the page belongs to.
    pub fn db(&self) -> DbId {
        self.db
    }

    /// Where this page is in the cache, for a later [`Cache::read_hinted`].
    pub fn hint(&self) -> FrameHint {
        FrameHint {
            idx: self.idx,
            key: pack(self.db, self.pgno),
        }
    }

    /// The page's number.
    pub fn pgno(&self) -> Pgno {
        self.pgno
    }
}

impl PageRef<'_> {
    /// What `build` derives from the page's bytes, built by the first reader of these bytes
    /// and kept for every later one until the page next changes (or leaves the cache): any
    /// exclusive latch drops it. `None` when `build` gave nothing, which is kept as well.
    /// Readers that ask at once wait for the one building; `build` must take no latch.
    #[inline]
    pub fn derived(
        &self,
        build: impl FnOnce(&[u8]) -> Option<Derived>,
    ) -> Option<&(dyn std::any::Any + Send + Sync)> {
        self.latch
            .derived
            .get_or_init(|| build(&self.latch.bytes))
            .as_deref()
    }

    /// What [`PageRef::derived`] built from the page's bytes, if a reader has built it.
    #[inline]
    pub fn derived_if_built(&self) -> Option<&(dyn std::any::Any + Send + Sync)> {
        self.latch.derived.get().and_then(|d| d.as_deref())
    }
}

impl Deref for PageRef<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        &self.latch.bytes
    }
}

impl fmt::Debug for PageRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PageRef(db {}, pgno {})", self.db.0, self.pgno)
    }
}

/// A page pinned with an exclusive latch (ESE's write latch): the only access to it.
///
/// A change made through this guard must be logged while the guard is held, and the record's
/// position reported with [`PageMut::mark_dirty`]. A guard dropped after a mutable access but
/// without a mark still leaves the page dirty (as an unlogged change), so no change is lost.
pub struct PageMut<'a> {
    // Field order matters: the latch is released before the pin.
    latch: RwLockWriteGuard<'a, PageBuf>,
    pin: Pin<'a>,
    db: DbId,
    pgno: Pgno,
    touched: bool,
    marked: bool,
}

impl PageMut<'_> {
    /// The database the page belongs to.
    pub fn db(&self) -> DbId {
        self.db
    }

    /// The page's number.
    pub fn pgno(&self) -> Pgno {
        self.pgno
    }

    /// Marks the page dirty with the position of the log record that describes the change
    /// (ESE's BFDirty with an lgpos): the page will not be written before the log is durable
    /// up to `lgpos`, and the checkpoint will not pass its first change.
    pub fn mark_dirty(&mut self, lgpos: Lgpos) {
        let frame = self.pin.frame;
        let v = lgpos.to_u64();
        frame.first_change.fetch_min(v, Ordering::SeqCst);
        frame.last_change.fetch_max(v, Ordering::SeqCst);
        frame.dirty.store(true, Ordering::SeqCst);
        self.marked = true;
    }

    /// Marks the page dirty with no log record (for unlogged databases such as the temporary
    /// one): it will be written on eviction, and holds back neither the log nor the checkpoint.
    pub fn mark_dirty_unlogged(&mut self) {
        self.pin.frame.dirty.store(true, Ordering::SeqCst);
        self.marked = true;
    }

    /// Whether the page holds changes not yet written to disk.
    pub fn is_dirty(&self) -> bool {
        self.pin.frame.dirty.load(Ordering::SeqCst)
    }

    /// Makes `bytes` the page's bytes and leaves the page's old bytes in `bytes`, without
    /// copying either, when `bytes` has the page's length (a change as
    /// `copy_from_slice(bytes)` makes, for a caller done with its copy). Returns whether
    /// they were exchanged; nothing changes otherwise.
    pub fn swap_bytes(&mut self, bytes: &mut Vec<u8>) -> bool {
        if bytes.len() != self.latch.bytes.len() {
            return false;
        }
        self.touched = true;
        std::mem::swap(&mut self.latch.bytes, bytes);
        true
    }
}

impl Deref for PageMut<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        &self.latch.bytes
    }
}

impl DerefMut for PageMut<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.touched = true;
        &mut self.latch.bytes
    }
}

impl Drop for PageMut<'_> {
    fn drop(&mut self) {
        let frame = self.pin.frame;
        if self.touched && !self.marked {
            frame.dirty.store(true, Ordering::SeqCst);
        }
        // The mark (if any) is published before the floor is lifted, so a checkpoint that
        // sees no floor sees the mark.
        frame.writer_floor.store(LGPOS_NONE, Ordering::SeqCst);
    }
}

impl fmt::Debug for PageMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PageMut(db {}, pgno {})", self.db.0, self.pgno)
    }
}

/// How a pin latches its page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Read,
    Write,
    /// Exclusive, and the page is created zero-filled instead of read.
    New,
}

/// A pinned frame: either found in the table (latch not yet taken) or just brought in, with
/// the exclusive latch its load held.
enum Pinned<'a> {
    Hit(Pin<'a>),
    Loaded(Pin<'a>, RwLockWriteGuard<'a, PageBuf>),
}

/// The buffer cache shared by every database of an instance (ESE's BF).
pub struct Cache {
    frames: Box<[Frame]>,
    shards: Box<[Shard]>,
    /// Where pages were last found, direct-mapped by key: a [`Cache::read`] tries the frame
    /// its slot names before the page table, as [`Cache::read_hinted`] does (a slot is only a
    /// guess, checked under the frame's latch). A hit this way takes no shard lock and no
    /// hash look-up; a slot is written only when it changes, so readers of the same pages on
    /// many threads leave its cache line shared.
    recent: Box<[SharedHint]>,
    dbs: RwLock<HashMap<DbId, Arc<Db>>>,
    log: Arc<dyn WriteAheadLog>,
    config: CacheConfig,
    /// The LRU-2 clock: advanced when a page is brought in, only read on a hit.
    clock: AtomicU64,
    /// Where the next eviction window starts.
    hand: AtomicUsize,
    /// How many evicted pages' histories each shard remembers per generation.
    history_per_shard: usize,
    /// A position known to be no later than the log head; seeds writer floors.
    head_hint: AtomicU64,
    /// The last checkpoint written; its lock serialises checkpoints.
    checkpoint: Mutex<Lgpos>,
    misses: AtomicU64,
    evictions: AtomicU64,
    page_writes: AtomicU64,
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("capacity_pages", &self.frames.len())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// A cache of `config.capacity_pages()` frames over `log`, with no database attached.
    pub fn new(config: CacheConfig, log: Arc<dyn WriteAheadLog>) -> Self {
        let capacity = config.capacity_pages();
        let head = log.head();
        Self {
            frames: (0..capacity).map(|_| Frame::new()).collect(),
            shards: (0..PAGE_TABLE_SHARDS).map(|_| Shard::default()).collect(),
            recent: (0..capacity.next_power_of_two())
                .map(|_| SharedHint::new())
                .collect(),
            dbs: RwLock::new(HashMap::new()),
            log,
            config,
            clock: AtomicU64::new(1),
            hand: AtomicUsize::new(0),
            history_per_shard: (capacity * HISTORY_PER_FRAME / PAGE_TABLE_SHARDS).max(4),
            head_hint: AtomicU64::new(head.to_u64()),
            checkpoint: Mutex::new(Lgpos::MIN),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            page_writes: AtomicU64::new(0),
        }
    }

    /// The number of frames.
    pub fn capacity_pages(&self) -> usize {
        self.frames.len()
    }

    /// The configuration the cache was created with.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// What the cache has done so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self
                .shards
                .iter()
                .map(|s| s.hits.load(Ordering::Relaxed))
                .chain(
                    self.frames
                        .iter()
                        .map(|f| f.hinted_hits.load(Ordering::Relaxed)),
                )
                .sum(),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            page_writes: self.page_writes.load(Ordering::Relaxed),
        }
    }

    /// The number of frames holding changes not yet written.
    pub fn dirty_page_count(&self) -> usize {
        self.frames
            .iter()
            .filter(|f| {
                f.key.load(Ordering::Acquire) != KEY_NONE && f.dirty.load(Ordering::Acquire)
            })
            .count()
    }

    /// Attaches database `db`, stored in `storage` with pages of `page_size_bytes`.
    pub fn attach(
        &self,
        db: DbId,
        storage: Arc<dyn Storage>,
        page_size_bytes: usize,
    ) -> Result<()> {
        if !ese_core::limits::is_valid_page_size(page_size_bytes) {
            return Err(Error::InvalidPageSize(page_size_bytes));
        }
        if db == DbId::NIL {
            return Err(Error::UnknownDatabase(db));
        }
        let mut dbs = self.dbs.write();
        if dbs.contains_key(&db) {
            return Err(Error::DatabaseAttached(db));
        }
        dbs.insert(
            db,
            Arc::new(Db {
                storage,
                page_size_bytes,
            }),
        );
        Ok(())
    }

    /// Writes every dirty page of `db`, syncs its file and drops its pages from the cache.
    /// Fails with [`Error::DatabaseInUse`] while any of its pages is pinned; the caller stops
    /// using the database before detaching it.
    pub fn detach(&self, db: DbId) -> Result<()> {
        let entry = self.db(db)?;
        for idx in 0..self.frames.len() {
            let key = self.frames[idx].key.load(Ordering::Acquire);
            if key == KEY_NONE || unpack(key).0 != db {
                continue;
            }
            if self.evict_frame(idx)? {
                self.release_claimed(idx);
            } else if self.frames[idx].key.load(Ordering::Acquire) == key {
                return Err(Error::DatabaseInUse(db));
            }
        }
        sync(db, &*entry.storage)?;
        self.dbs.write().remove(&db);
        Ok(())
    }

    /// Pins page `pgno` of `db` with a shared latch, reading and verifying it on a miss (ESE's
    /// BFReadLatch). The frame the page was last found in is tried first, without the page
    /// table.
    #[inline]
    pub fn read(&self, db: DbId, pgno: Pgno) -> Result<PageRef<'_>> {
        let key = pack(db, pgno);
        let slot = self.recent_slot(key);
        if let Some(page) = self.read_at(db, pgno, key, slot.get()) {
            return Ok(page);
        }
        let page = self.read_mapped(db, pgno)?;
        slot.set(page.hint());
        Ok(page)
    }

    /// The slot of [`Cache::recent`] for `key`.
    #[inline]
    fn recent_slot(&self, key: u64) -> &SharedHint {
        // The low bits of the mix choose the slot (the shard takes the top ones); the table
        // is a power of two long and never empty.
        let mask = self.recent.len().wrapping_sub(1);
        &self.recent[mix(key) as usize & mask]
    }

    /// [`Cache::read`] through the page table.
    fn read_mapped(&self, db: DbId, pgno: Pgno) -> Result<PageRef<'_>> {
        let key = pack(db, pgno);
        loop {
            let (pin, latch) = match self.pin(db, pgno, Mode::Read)? {
                Pinned::Loaded(pin, latch) => (pin, RwLockWriteGuard::downgrade(latch)),
                Pinned::Hit(pin) => {
                    let latch = pin.frame.page.read();
                    (pin, latch)
                }
            };
            if latch.valid && pin.frame.key.load(Ordering::Acquire) == key {
                return Ok(PageRef {
                    latch,
                    idx: pin.idx,
                    _pin: Some(pin),
                    db,
                    pgno,
                });
            }
            // The load this pin waited for failed; start over (and most likely fail the same
            // way, so this caller sees the error too).
        }
    }

    /// [`Cache::read`] through `hint`, where the page was found before: when that frame still
    /// holds the page, it is pinned and latched without the page-table look-up; otherwise (no
    /// hint, the page evicted or moved) this is [`Cache::read`].
    pub fn read_hinted(&self, db: DbId, pgno: Pgno, hint: FrameHint) -> Result<PageRef<'_>> {
        match self.read_at(db, pgno, pack(db, pgno), hint) {
            Some(page) => Ok(page),
            None => self.read(db, pgno),
        }
    }

    /// The page with `key` latched in the frame `hint` names, if that frame holds it.
    ///
    /// No pin is taken: the shared latch alone keeps the frame's page (see [`PageRef`]). The
    /// latch is taken first and the frame's key checked under it; a load maps a frame only
    /// under its exclusive latch with the buffer marked not valid, and an eviction unmaps it
    /// only under that latch, so a frame that is valid and names the page while the latch is
    /// held holds that page's bytes.
    #[inline]
    fn read_at(&self, db: DbId, pgno: Pgno, key: u64, hint: FrameHint) -> Option<PageRef<'_>> {
        if hint.key != key || key == KEY_NONE {
            return None;
        }
        let frame = self.frames.get(hint.idx)?;
        let latch = frame.page.read();
        if latch.valid && frame.key.load(Ordering::Acquire) == key {
            self.count_hinted_hit(frame);
            return Some(PageRef {
                latch,
                _pin: None,
                idx: hint.idx,
                db,
                pgno,
            });
        }
        None
    }

    /// Pins the frame `hint` names when it holds the page with `key`, outside the shard lock:
    /// an eviction that counted no pin may be under way, but it takes the frame's latch
    /// before it unmaps the frame, so a frame that still names the page once the caller holds
    /// its latch (which the caller checks again) holds it, valid, until the latch is let go.
    fn pin_hinted(&self, key: u64, hint: FrameHint) -> Option<(&Frame, Pin<'_>)> {
        if hint.key != key || key == KEY_NONE {
            return None;
        }
        let frame = self.frames.get(hint.idx)?;
        frame.pins.fetch_add(1, Ordering::AcqRel);
        let pin = Pin {
            frame,
            idx: hint.idx,
        };
        (frame.key.load(Ordering::Acquire) == key).then_some((frame, pin))
    }

    /// Counts a hit through a frame hint, as the page-table path counts its hits (a plain
    /// load and store, as there: the count is statistics).
    fn count_hinted_hit(&self, frame: &Frame) {
        self.touch(frame);
        frame.hinted_hits.store(
            frame.hinted_hits.load(Ordering::Relaxed) + 1,
            Ordering::Relaxed,
        );
    }

    /// [`Cache::write`] through `hint`, as [`Cache::read_hinted`] is [`Cache::read`]: when
    /// the hinted frame still holds the page, it is pinned and latched exclusively without
    /// the page-table look-up.
    pub fn write_hinted(&self, db: DbId, pgno: Pgno, hint: FrameHint) -> Result<PageMut<'_>> {
        let key = pack(db, pgno);
        if let Some((frame, pin)) = self.pin_hinted(key, hint) {
            let latch = frame.page.write();
            if latch.valid && frame.key.load(Ordering::Acquire) == key {
                self.count_hinted_hit(frame);
                return Ok(self.granted(latch, pin, db, pgno));
            }
        }
        self.write(db, pgno)
    }

    /// Pins page `pgno` of `db` with an exclusive latch, reading and verifying it on a miss
    /// (ESE's BFWriteLatch).
    pub fn write(&self, db: DbId, pgno: Pgno) -> Result<PageMut<'_>> {
        self.write_mode(db, pgno, Mode::Write)
    }

    /// Pins page `pgno` of `db` with an exclusive latch as a new, zero-filled page, without
    /// reading it (ESE's BFWriteLatch of a new page). The caller formats and marks it.
    pub fn new_page(&self, db: DbId, pgno: Pgno) -> Result<PageMut<'_>> {
        let mut page = self.write_mode(db, pgno, Mode::New)?;
        page.fill(0);
        Ok(page)
    }

    /// [`Cache::new_page`] for a caller that overwrites every byte of the page before it lets
    /// the latch go (with [`PageMut::swap_bytes`] or a full copy), or else zero-fills it:
    /// the bytes are left as the frame held them, not zeroed first.
    pub fn new_page_unfilled(&self, db: DbId, pgno: Pgno) -> Result<PageMut<'_>> {
        self.write_mode(db, pgno, Mode::New)
    }

    fn write_mode(&self, db: DbId, pgno: Pgno, mode: Mode) -> Result<PageMut<'_>> {
        let key = pack(db, pgno);
        loop {
            let (pin, latch) = match self.pin(db, pgno, mode)? {
                Pinned::Loaded(pin, latch) => (pin, latch),
                Pinned::Hit(pin) => {
                    let latch = pin.frame.page.write();
                    (pin, latch)
                }
            };
            if !(latch.valid && pin.frame.key.load(Ordering::Acquire) == key) {
                continue;
            }
            return Ok(self.granted(latch, pin, db, pgno));
        }
    }

    /// The exclusive latch on a pinned frame that holds the page, as a [`PageMut`].
    fn granted<'a>(
        &'a self,
        mut latch: RwLockWriteGuard<'a, PageBuf>,
        pin: Pin<'a>,
        db: DbId,
        pgno: Pgno,
    ) -> PageMut<'a> {
        // The holder may change the bytes: what readers derived from them goes.
        latch.changing();
        // Taken under the exclusive latch: any record this holder logs lies at or after it.
        pin.frame
            .writer_floor
            .store(self.head_hint.load(Ordering::SeqCst), Ordering::SeqCst);
        PageMut {
            latch,
            pin,
            db,
            pgno,
            touched: false,
            marked: false,
        }
    }

    /// Whether page `pgno` of `db` is in the cache.
    pub fn contains(&self, db: DbId, pgno: Pgno) -> bool {
        self.shard(pack(db, pgno))
            .map
            .read()
            .pages
            .contains_key(&pack(db, pgno))
    }

    /// Evicts page `pgno` of `db` if it is cached and unpinned, writing it first when dirty
    /// (log flushed first). Returns whether the page left the cache.
    pub fn evict(&self, db: DbId, pgno: Pgno) -> Result<bool> {
        let key = pack(db, pgno);
        let Some(&idx) = self.shard(key).map.read().pages.get(&key) else {
            return Ok(false);
        };
        if self.evict_frame(idx)? {
            self.release_claimed(idx);
            return Ok(true);
        }
        Ok(false)
    }

    /// Writes every dirty page (the log flushed first), then syncs every database file.
    ///
    /// It waits for latches, so the calling thread must not hold a guard of this cache.
    pub fn flush_all(&self) -> Result<()> {
        for idx in 0..self.frames.len() {
            let frame = &self.frames[idx];
            let key = frame.key.load(Ordering::Acquire);
            if key != KEY_NONE && frame.dirty.load(Ordering::Acquire) {
                self.write_frame(idx, key, true)?;
            }
        }
        self.sync_all()
    }

    /// The checkpoint the cache can vouch for now: the oldest first change of any dirty page,
    /// or the log head when nothing is dirty (never past a writer's floor).
    pub fn checkpoint_lgpos(&self) -> Lgpos {
        // The head is read before the scan: a writer whose floor the scan misses latched
        // after this read, so everything it logs lies at or after `head`.
        let head = self.log.head().to_u64();
        self.head_hint.fetch_max(head, Ordering::SeqCst);
        let mut cp = head;
        for frame in self.frames.iter() {
            // The floor is read before the first change: a writer publishes its mark before
            // it lifts its floor.
            cp = cp.min(frame.writer_floor.load(Ordering::SeqCst));
            cp = cp.min(frame.first_change.load(Ordering::SeqCst));
        }
        Lgpos::from_u64(cp)
    }

    /// Computes the checkpoint, makes every page written so far durable (sync), flushes the
    /// log up to the checkpoint and records it through the log. Returns the checkpoint, which
    /// never moves backwards.
    pub fn checkpoint(&self) -> Result<Lgpos> {
        let mut last = self.checkpoint.lock();
        let cp = self.checkpoint_lgpos().max(*last);
        self.sync_all()?;
        if self.log.flushed() < cp {
            self.log
                .flush_to(cp)
                .map_err(|source| Error::LogFlush { lgpos: cp, source })?;
        }
        self.log
            .write_checkpoint(cp)
            .map_err(|source| Error::Checkpoint { lgpos: cp, source })?;
        *last = cp;
        Ok(cp)
    }

    /// Writes the dirty pages whose first change lies more than `depth_bytes` of log behind
    /// the head, then records the new checkpoint (see [`Cache::checkpoint`]). Pages latched
    /// at the moment are skipped until the next call, so this never waits for a latch.
    pub fn flush_for_checkpoint(&self, depth_bytes: u64) -> Result<Lgpos> {
        self.flush_behind(depth_bytes, None, None)
    }

    /// [`Cache::flush_for_checkpoint`], writing no page whose first change lies at or after
    /// `limit`: the background flusher passes [`WriteAheadLog::checkpoint_limit`], because
    /// while a transaction holds the checkpoint back, writing a page changed after the
    /// transaction began cannot move the checkpoint, and only costs a write (and the page
    /// image its next change logs).
    ///
    /// With `rest` (the background flusher), the pages go oldest first change first, in
    /// chunks of [`PACE_CHUNK_PAGES`], each synced; see [`Cache::pause_after_chunk`] for the
    /// pause after each. `rest` sleeps for the pause and returns `false` when the flusher is
    /// stopping, which ends the round early (the checkpoint then covers what was written).
    fn flush_behind(
        &self,
        depth_bytes: u64,
        limit: Option<Lgpos>,
        rest: Option<&dyn Fn(Duration) -> bool>,
    ) -> Result<Lgpos> {
        let head = self.log.head();
        let mut target =
            lgpos_minus_bytes(head, depth_bytes, self.config.log_file_size_bytes).to_u64();
        if let Some(limit) = limit {
            target = target.min(limit.to_u64());
        }
        let due = |frame: &Frame| {
            frame.dirty.load(Ordering::Acquire)
                && frame.first_change.load(Ordering::Acquire) < target
        };
        let Some(rest) = rest else {
            for idx in 0..self.frames.len() {
                let frame = &self.frames[idx];
                let key = frame.key.load(Ordering::Acquire);
                if key != KEY_NONE && due(frame) {
                    self.write_frame(idx, key, false)?;
                }
            }
            return self.checkpoint();
        };
        let mut pages: Vec<(u64, usize)> = (0..self.frames.len())
            .filter(|&idx| {
                let frame = &self.frames[idx];
                frame.key.load(Ordering::Acquire) != KEY_NONE && due(frame)
            })
            .map(|idx| (self.frames[idx].first_change.load(Ordering::Acquire), idx))
            .collect();
        pages.sort_unstable();
        for (n, chunk) in pages.chunks(PACE_CHUNK_PAGES).enumerate() {
            let began = Instant::now();
            let flushed = self.log.flushed();
            for &(_, idx) in chunk {
                let frame = &self.frames[idx];
                // Looked at again: since the list was made the page may have been written,
                // evicted, or replaced by another.
                let key = frame.key.load(Ordering::Acquire);
                if key != KEY_NONE && due(frame) {
                    self.write_frame(idx, key, false)?;
                }
            }
            self.sync_all()?;
            if (n + 1) % PACE_CHUNKS_PER_CHECKPOINT == 0 {
                // A long paced round moves the checkpoint as it goes, not only at its end.
                self.checkpoint()?;
            }
            // The oldest first change left to write: the list is in that order.
            let Some(&(oldest_left, _)) = pages.get((n + 1) * PACE_CHUNK_PAGES) else {
                break;
            };
            let pause = self.pause_after_chunk(began.elapsed(), flushed, oldest_left, depth_bytes);
            if !pause.is_zero() && !rest(pause) {
                break;
            }
        }
        self.checkpoint()
    }

    /// How long the background flusher pauses after a chunk that took `took`, when the log's
    /// flush tip was at `flushed_before` as the chunk began and the oldest first change left
    /// to write is `oldest_left` (packed). Page writes and the log's syncs
    /// share a disk, and a log sync issued behind a burst of page writes waits for all of
    /// them: so while durable commits are being made (the tip moved during the chunk), the
    /// flusher rests [`PACE_REST_PER_CHUNK`] times the chunk's own time, leaving the disk to
    /// the log seven eighths of the time. When nothing is committing, or when the dirty
    /// pages lag more than [`PACE_DEPTH_FACTOR`] times the checkpoint depth behind the head
    /// (the log and recovery must stay bounded), it does not pause.
    fn pause_after_chunk(
        &self,
        took: Duration,
        flushed_before: Lgpos,
        oldest_left: u64,
        depth: u64,
    ) -> Duration {
        if self.log.flushed() == flushed_before {
            return Duration::ZERO;
        }
        let file = self.config.log_file_size_bytes;
        let lag = lgpos_to_bytes(self.log.head(), file)
            .saturating_sub(lgpos_to_bytes(Lgpos::from_u64(oldest_left), file));
        if lag > depth.saturating_mul(PACE_DEPTH_FACTOR) {
            return Duration::ZERO;
        }
        took.saturating_mul(PACE_REST_PER_CHUNK)
    }

    /// Starts a background thread that calls [`Cache::flush_for_checkpoint`] with
    /// JET_paramCheckpointDepthMax every `period`, until the returned [`Flusher`] is stopped
    /// or dropped.
    pub fn spawn_flusher(cache: &Arc<Cache>, period: Duration) -> Flusher {
        let shared = Arc::new(FlusherShared {
            stop: Mutex::new(false),
            wake: Condvar::new(),
            error: Mutex::new(None),
            failed: AtomicBool::new(false),
            rounds: AtomicU64::new(0),
        });
        let cache = Arc::clone(cache);
        let s = Arc::clone(&shared);
        let handle = std::thread::spawn(move || {
            let mut stop = s.stop.lock();
            while !*stop {
                s.wake.wait_for(&mut stop, period);
                if *stop {
                    break;
                }
                drop(stop);
                let depth = cache.config.checkpoint_depth_max_bytes;
                let limit = cache.log.checkpoint_limit();
                let rest = |pause: Duration| {
                    let mut stop = s.stop.lock();
                    if !*stop {
                        s.wake.wait_for(&mut stop, pause);
                    }
                    !*stop
                };
                if let Err(e) = cache.flush_behind(depth, limit, Some(&rest)) {
                    let mut error = s.error.lock();
                    error.get_or_insert(e);
                    s.failed.store(true, Ordering::Release);
                }
                s.rounds.fetch_add(1, Ordering::Relaxed);
                stop = s.stop.lock();
            }
        });
        Flusher {
            shared,
            handle: Some(handle),
        }
    }

    /// Checks the cache's structural invariants; meant for tests, at a moment when no thread
    /// holds a guard or is inside a cache call. Returns a description of the first violation.
    ///
    /// * The page table and the frames agree: each mapped key names a frame holding that key,
    ///   each frame with a key is mapped exactly once, and no page is in two frames.
    /// * No frame is pinned or latched, and no writer floor is left behind.
    /// * A dirty frame holds a valid page of an attached database, and its first logged
    ///   change is no later than its last; a clean frame records no change.
    pub fn check_invariants(&self) -> std::result::Result<(), String> {
        let mut mapped = vec![false; self.frames.len()];
        for (s, shard) in self.shards.iter().enumerate() {
            let table = shard.map.read();
            for (&key, &idx) in &table.pages {
                if !std::ptr::eq(self.shard(key), shard) {
                    return Err(format!("key {key:#x} is in shard {s}, not its own"));
                }
                let frame = self
                    .frames
                    .get(idx)
                    .ok_or(format!("key {key:#x} maps to frame {idx}, past the end"))?;
                if frame.key.load(Ordering::Acquire) != key {
                    return Err(format!(
                        "key {key:#x} maps to frame {idx}, which holds another key"
                    ));
                }
                if std::mem::replace(&mut mapped[idx], true) {
                    return Err(format!("frame {idx} is mapped twice"));
                }
            }
        }
        let dbs = self.dbs.read();
        for (idx, frame) in self.frames.iter().enumerate() {
            let key = frame.key.load(Ordering::Acquire);
            if key != KEY_NONE && !mapped[idx] {
                return Err(format!("frame {idx} holds key {key:#x} but is not mapped"));
            }
            if frame.pins.load(Ordering::Acquire) != 0 {
                return Err(format!("frame {idx} is still pinned"));
            }
            if frame.writer_floor.load(Ordering::SeqCst) != LGPOS_NONE {
                return Err(format!("frame {idx} has a writer floor but no writer"));
            }
            let Some(buf) = frame.page.try_read() else {
                return Err(format!("frame {idx} is latched exclusively"));
            };
            let first = frame.first_change.load(Ordering::SeqCst);
            let last = frame.last_change.load(Ordering::SeqCst);
            if frame.dirty.load(Ordering::SeqCst) {
                let (db, pgno) = unpack(key);
                if key == KEY_NONE || !buf.valid {
                    return Err(format!("frame {idx} is dirty but holds no valid page"));
                }
                match dbs.get(&db) {
                    Some(entry) if entry.page_size_bytes == buf.bytes.len() => {}
                    _ => {
                        return Err(format!(
                            "dirty page {pgno} has no database {} of its size",
                            db.0
                        ));
                    }
                }
                if first != LGPOS_NONE && first > last {
                    return Err(format!("page {pgno}: first change after last change"));
                }
            } else if first != LGPOS_NONE || last != 0 {
                return Err(format!("frame {idx} is clean but records a change"));
            }
        }
        Ok(())
    }

    fn db(&self, db: DbId) -> Result<Arc<Db>> {
        self.dbs
            .read()
            .get(&db)
            .cloned()
            .ok_or(Error::UnknownDatabase(db))
    }

    fn shard(&self, key: u64) -> &Shard {
        // The top bits of the mix choose the shard; the map uses the low bits.
        &self.shards[(mix(key) >> 58) as usize % PAGE_TABLE_SHARDS]
    }

    fn sync_all(&self) -> Result<()> {
        let dbs: Vec<(DbId, Arc<Db>)> = self
            .dbs
            .read()
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        for (db, entry) in dbs {
            sync(db, &*entry.storage)?;
        }
        Ok(())
    }

    /// Records a reference at the current clock tick; a hit between two misses is correlated
    /// with the previous reference at that tick and costs no write.
    fn touch(&self, frame: &Frame) {
        let now = self.clock.load(Ordering::Relaxed);
        let h = frame.history();
        let next = h.referenced(now);
        if next != h {
            frame.hist_prev.store(next.prev, Ordering::Relaxed);
            frame.hist_last.store(next.last, Ordering::Relaxed);
        }
    }

    /// Finds and pins the frame of `key` under its shard's read lock.
    fn lookup(&self, key: u64) -> Option<usize> {
        let shard = self.shard(key);
        let map = shard.map.read();
        let idx = *map.pages.get(&key)?;
        self.frames[idx].pins.fetch_add(1, Ordering::AcqRel);
        // A plain load and store, not a locked add: the count is statistics, and a locked
        // instruction here cost a fifth of the hit path. Two threads hitting one shard at the
        // same instant may therefore count once.
        shard
            .hits
            .store(shard.hits.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        Some(idx)
    }

    /// Pins page `pgno` of `db`, bringing it in on a miss. A hit returns the pin alone (the
    /// caller latches and checks the frame still holds a valid page); a miss returns the
    /// exclusive latch the load held.
    fn pin(&self, db: DbId, pgno: Pgno, mode: Mode) -> Result<Pinned<'_>> {
        if pgno.is_null() || pgno > Pgno::MAX {
            return Err(Error::InvalidPgno(pgno));
        }
        let key = pack(db, pgno);
        loop {
            if let Some(idx) = self.lookup(key) {
                let frame = &self.frames[idx];
                self.touch(frame);
                return Ok(Pinned::Hit(Pin { frame, idx }));
            }
            let entry = self.db(db)?;
            let idx = self.claim_frame()?;
            let frame = &self.frames[idx];
            let pin = Pin { frame, idx };
            // An unmapped frame with no other pin has no latch holder (a hinted read that
            // pinned it meanwhile only holds its latch for a moment), so this hardly waits.
            let mut buf = frame.page.write();
            buf.valid = false;
            buf.changing();
            {
                let mut map = self.shard(key).map.write();
                if map.pages.contains_key(&key) {
                    // Another thread brought the page in first; use its frame.
                    drop(map);
                    drop(buf);
                    drop(pin);
                    continue;
                }
                map.pages.insert(key, idx);
                frame.key.store(key, Ordering::Release);
                let tick = self.clock.fetch_add(1, Ordering::Relaxed) + 1;
                let h = match map.recall(key) {
                    Some(last) => History::first(last).referenced(tick),
                    None => History::first(tick),
                };
                frame.hist_prev.store(h.prev, Ordering::Relaxed);
                frame.hist_last.store(h.last, Ordering::Relaxed);
            }
            // A read overwrites the whole buffer and a new page is zeroed by its caller, so
            // only a change of page size needs a resize.
            if buf.bytes.len() != entry.page_size_bytes {
                buf.bytes.resize(entry.page_size_bytes, 0);
            }
            let loaded = match mode {
                Mode::New => Ok(()),
                Mode::Read | Mode::Write => {
                    io::read_page(&*entry.storage, db, pgno, &mut buf.bytes)
                }
            };
            if let Err(e) = loaded {
                // A page that failed to load is not cached: unmap it so the frame is free once
                // every waiter has let go.
                let mut map = self.shard(key).map.write();
                if map.pages.get(&key) == Some(&idx) {
                    map.pages.remove(&key);
                }
                frame.key.store(KEY_NONE, Ordering::Release);
                drop(map);
                drop(buf);
                drop(pin);
                return Err(e);
            }
            buf.valid = true;
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Ok(Pinned::Loaded(pin, buf));
        }
    }

    /// Takes a frame for a new page: a free one, or the LRU-2 victim of a window of unpinned
    /// frames. The frame is returned unmapped, with one pin held by the caller.
    fn claim_frame(&self) -> Result<usize> {
        let n = self.frames.len();
        for _ in 0..EVICTION_ATTEMPTS {
            let start = self.hand.fetch_add(EVICTION_WINDOW, Ordering::Relaxed) % n;
            let mut best: Option<((u64, u64), usize)> = None;
            let mut seen = 0;
            for i in 0..n {
                let idx = (start + i) % n;
                let frame = &self.frames[idx];
                // A latched frame is in use even without a pin (a hinted read holds only
                // the latch), and its eviction would give up.
                if frame.pins.load(Ordering::Acquire) != 0 || frame.page.is_locked() {
                    continue;
                }
                if frame.key.load(Ordering::Acquire) == KEY_NONE {
                    if frame
                        .pins
                        .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed)
                        .is_ok()
                    {
                        if frame.key.load(Ordering::Acquire) == KEY_NONE {
                            return Ok(idx);
                        }
                        // It was claimed and mapped between the two loads; let it go.
                        frame.pins.fetch_sub(1, Ordering::Release);
                    }
                    continue;
                }
                let rank = frame.history().eviction_key();
                if best.is_none_or(|(b, _)| rank < b) {
                    best = Some((rank, idx));
                }
                seen += 1;
                if seen >= EVICTION_WINDOW {
                    break;
                }
            }
            match best {
                Some((_, victim)) => {
                    if self.evict_frame(victim)? {
                        self.evictions.fetch_add(1, Ordering::Relaxed);
                        return Ok(victim);
                    }
                }
                // Every frame is pinned; pins are often brief, so look again a few times.
                None => std::thread::yield_now(),
            }
        }
        Err(Error::OutOfBuffers { capacity_pages: n })
    }

    /// Unmaps the unpinned frame `idx`, writing it first if dirty. On success the frame is
    /// free and pinned once for the caller.
    fn evict_frame(&self, idx: usize) -> Result<bool> {
        let frame = &self.frames[idx];
        let key = frame.key.load(Ordering::Acquire);
        if key == KEY_NONE {
            return Ok(false);
        }
        // A dirty page is written while still mapped, so no one can read its old image.
        if frame.dirty.load(Ordering::Acquire) && !self.write_frame(idx, key, false)? {
            return Ok(false);
        }
        let mut map = self.shard(key).map.write();
        if map.pages.get(&key) != Some(&idx) {
            return Ok(false);
        }
        // Pins are added under the shard lock, which is held, except by a hinted read
        // (`read_hinted`): zero may become more, but such a reader only uses the frame under
        // its latch and after seeing the page's key in it.
        if frame
            .pins
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            return Ok(false);
        }
        // The exclusive latch, held while the frame is unmapped: a hinted reader latched now
        // keeps the page (the eviction gives up), and one that latches later sees the frame
        // name no page.
        let Some(mut latch) = frame.page.try_write() else {
            frame.pins.fetch_sub(1, Ordering::Release);
            return Ok(false);
        };
        if frame.dirty.load(Ordering::Acquire) {
            drop(latch);
            frame.pins.fetch_sub(1, Ordering::Release);
            return Ok(false);
        }
        map.pages.remove(&key);
        map.remember(
            key,
            frame.hist_last.load(Ordering::Relaxed),
            self.history_per_shard,
        );
        frame.key.store(KEY_NONE, Ordering::Release);
        latch.changing();
        drop(latch);
        Ok(true)
    }

    /// Lets go of a frame claimed by [`Cache::evict_frame`] without using it.
    fn release_claimed(&self, idx: usize) {
        self.frames[idx].pins.fetch_sub(1, Ordering::Release);
    }

    /// Writes frame `idx` (holding `key`) if it is dirty, flushing the log first. Returns
    /// whether the page is now clean; `false` when it changed identity or, with `wait` unset,
    /// its latch was busy.
    fn write_frame(&self, idx: usize, key: u64, wait: bool) -> Result<bool> {
        let frame = &self.frames[idx];
        {
            let map = self.shard(key).map.read();
            if map.pages.get(&key) != Some(&idx) {
                return Ok(false);
            }
            frame.pins.fetch_add(1, Ordering::AcqRel);
        }
        let _pin = Pin { frame, idx };
        let buf = if wait {
            frame.page.read()
        } else {
            match frame.page.try_read() {
                Some(buf) => buf,
                None => return Ok(false),
            }
        };
        if !buf.valid {
            return Ok(false);
        }
        if !frame.dirty.load(Ordering::Acquire) {
            return Ok(true);
        }
        let (db, pgno) = unpack(key);
        let entry = self.db(db)?;
        // The write-ahead rule: the log must be durable up to the page's last change.
        // Only records positioned before the flush tip are durable, hence `<=`.
        let last = Lgpos::from_u64(frame.last_change.load(Ordering::Acquire));
        if last != Lgpos::MIN && self.log.flushed() <= last {
            self.log.flush_to(last).map_err(|source| Error::LogFlush {
                lgpos: last,
                source,
            })?;
        }
        io::write_page(&*entry.storage, db, pgno, &buf.bytes)?;
        // No one can mark the page while this shared latch is held, so the image written is
        // exactly the one these positions describe.
        frame.first_change.store(LGPOS_NONE, Ordering::SeqCst);
        frame.last_change.store(0, Ordering::SeqCst);
        frame.dirty.store(false, Ordering::SeqCst);
        self.page_writes.fetch_add(1, Ordering::Relaxed);
        Ok(true)
    }
}

fn sync(db: DbId, storage: &dyn Storage) -> Result<()> {
    storage.sync().map_err(|source| Error::Io {
        db,
        pgno: None,
        op: IoOp::Sync,
        source,
    })
}

struct FlusherShared {
    stop: Mutex<bool>,
    wake: Condvar,
    error: Mutex<Option<Error>>,
    /// Whether `error` may hold one: read on every call of the instance above, so that the
    /// common answer (none) takes no lock.
    failed: AtomicBool,
    rounds: AtomicU64,
}

/// Pages the background flusher writes between two syncs of the database files (128 KiB of
/// 8 KiB pages): small enough that a log sync waiting behind them waits well under a
/// millisecond.
const PACE_CHUNK_PAGES: usize = 16;

/// How many chunks a paced round writes between two checkpoints (4 MiB of 8 KiB pages).
const PACE_CHUNKS_PER_CHECKPOINT: usize = 32;

/// How many times a chunk's own time the background flusher rests after it while commits are
/// being made.
const PACE_REST_PER_CHUNK: u32 = 7;

/// Past this many times the checkpoint depth of lag, the background flusher writes without
/// resting, so the log and the work of recovery stay bounded under any load.
const PACE_DEPTH_FACTOR: u64 = 8;

/// The background checkpoint flusher started by [`Cache::spawn_flusher`]; dropping it stops
/// the thread.
pub struct Flusher {
    shared: Arc<FlusherShared>,
    handle: Option<JoinHandle<()>>,
}

impl Flusher {
    /// The first error a round reported, if any, taken so the next one can be seen. Asked on
    /// every API call: one flag load inlined into the caller, the rest out of line.
    #[inline(always)]
    pub fn take_error(&self) -> Option<Error> {
        if !self.shared.failed.load(Ordering::Acquire) {
            return None;
        }
        self.take_reported()
    }

    /// [`Flusher::take_error`] once the flag says a round failed.
    #[cold]
    #[inline(never)]
    fn take_reported(&self) -> Option<Error> {
        let mut error = self.shared.error.lock();
        self.shared.failed.store(false, Ordering::Release);
        error.take()
    }

    /// How many rounds have completed.
    pub fn rounds(&self) -> u64 {
        self.shared.rounds.load(Ordering::Relaxed)
    }

    /// Stops the thread, waits for it, and returns the first error it reported, if any.
    pub fn stop(mut self) -> Option<Error> {
        self.halt();
        self.take_error()
    }

    fn halt(&mut self) {
        *self.shared.stop.lock() = true;
        self.shared.wake.notify_all();
        if let Some(handle) = self.handle.take() {
            // A panic in the flusher thread is already reported on stderr; nothing to add.
            let _ = handle.join();
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.halt();
    }
}

impl fmt::Debug for Flusher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flusher")
            .field("rounds", &self.rounds())
            .finish_non_exhaustive()
    }
}
