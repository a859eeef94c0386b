//! A database as the B-tree layer sees it: its pages in the cache, its log, its dbtime
//! counter, the lock that orders writers, and its space (SPACE).
//!
//! # Space: a decision
//!
//! ESE keeps, per object, two space trees of extents (owned and available) and a database-wide
//! one. ese-rs keeps something simpler and equally durable: **space map** pages with one bit
//! per page (set = in use). The database is cut into groups of `group_pages` pages (as many as
//! one map page describes, unless configured smaller); group 0's map is page 1, group `g`'s
//! map is the group's first page, `g * group_pages`. Map 0 also records the database's size.
//! Which object owns a page in use is written in that page's header (objid, as ESE does) and
//! is checked by [`crate::BTree::check_invariants`], which also checks that no page of a
//! tree is marked free; [`Database::check_space`] checks that every page in use is a map page
//! or belongs to exactly one of the trees it is given.
//!
//! ```text
//!   map line 0: | magic u32 | page_count u32 (map 0) or group u32 | extension u32 | group_pages u32 |
//!   map line 1: | bitmap: bit i (byte i/8, bit i%8) set = page g*group_pages + i is in use |
//!
//!   pages: | 0 null | 1 map 0 | 2 .. trees ... | G map 1 | G+1 ... | 2G map 2 | ...
//! ```
//!
//! The maps are changed only through logged [`LineOp::Patch`] operations (and formatted by a
//! logged [`LineOp::Format`] when the database grows into a new group), so they are redone
//! like every other page. Allocation takes the first free page at or after a hint (the page
//! after the last one allocated), which keeps a sequential load's leaves contiguous. When no
//! page below `page_count` is free, the database grows by JET_paramDbExtensionSize pages at
//! once: the file is extended, the maps of new groups are formatted, then the new count is
//! logged.
//!
//! # Concurrency: a decision
//!
//! One reader-writer lock per database orders the B-tree operations: any number of readers, or
//! one writer that may restructure several pages (a split touches up to five). Reads take
//! page latches through the cache one page at a time; a writer latches the pages it changed
//! all at once, only while it logs and applies them (below), so the cache's write-ahead rule
//! and eviction work unchanged. ESE's latch coupling (many writers at once) can replace the
//! lock later without changing the page formats. The lock is a [`TreeLock`](crate::latch):
//! its readers write only a counter of their own, so readers on several cores do not pass
//! one cache line between them at every call.
//!
//! # Atomic B-tree calls: a decision
//!
//! One B-tree call may change several pages: a split allocates a page (a space map bit),
//! formats it, cuts the old page, relinks the next page and updates the parent, maybe up to
//! the root; a merge or a page removal does the same backwards. Recovery must never see part
//! of that, or it rebuilds a tree with a dangling sibling link or a page allocated to no one.
//! So every call is **computed, then logged as one record, then applied** (ESE logs a split
//! as one record too):
//!
//! ```text
//!   1 compute  every change goes to a private copy of its page (the group); reads inside the
//!              call see the copies (Database::read_page); nothing in the cache changes yet.
//!              A page the call changes once and never reads back is not copied: its one
//!              operation (or its line deletes, from the last line back, as cleanup makes
//!              them) is checked against the cached page and kept for step 4
//!   2 latch    every page of the group, exclusively, in page order (a page new to the tree
//!              is latched as a new page, not read)
//!   3 log      a PageImage of each latched page that is clean in the cache and whose first
//!              change in the group does not format it, then ONE record holding every page
//!              operation: a LogRecord::PageGroup (a lone operation is logged plain)
//!   4 apply    copy each computed page into its frame (or apply the kept operations to the
//!              frame itself), mark it dirty at its image's position (if any) and at the
//!              group's, unlatch
//! ```
//!
//! A failure before step 4 (a page that cannot be read, a full disk, the log refusing the
//! record, no free frame to latch a page in) abandons the group: no page in the cache changed,
//! the in-memory space counters are put back, and the call returns the error. Step 4 cannot
//! fail: kept operations were checked on the same page (its dbtime is checked again when it
//! is latched), so it fails there only on memory damage. The write-ahead rule holds because a
//! page is changed in the cache only after the record describing it is appended, and is
//! marked with that record's position before its latch is released, so the cache writes it
//! only once the log is durable past the group. The
//! checkpoint cannot pass the group's first image either: every page of the group is latched
//! before the images are appended, and a latched page holds the checkpoint at or before the
//! log head of the moment it was latched (the cache's writer floor) until its marks are
//! published. The cost is a copy of each page changed more than once (most calls change one
//! page once: a node inserted, replaced or flag-deleted where it fits) and, while the record
//! is appended, one latched frame per page the call changes (a split changes about three
//! pages per level it climbs, plus the space map): the cache must hold that many frames, or
//! the call fails with JET_errOutOfBuffers and changes nothing.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ese_cache::{Cache, PageRef};
use ese_core::{DbId, Dbtime, Pgno, Trx};
use ese_log::{LogRecord, PageOp};
use ese_pageio::page::{HEADER_BYTES, TAG_BYTES};
use ese_pageio::{PageFlags, PageView, Storage};
use parking_lot::Mutex;
use smallvec::SmallVec;

use crate::error::{Error, Result, corrupt};
use crate::node::{Node, SearchIndex, TreePage};
use crate::redo::{LineOp, apply_trusted, encode_ops_into, page_dbtime};
use crate::version::{NoVersions, VersionCheck};
use crate::wal::PageLog;

/// The page holding the space map.
pub const SPACE_MAP_PGNO: Pgno = Pgno(1);
/// The object id the space map page is stamped with.
pub const SPACE_OBJID: u32 = 1;
/// The smallest object id a B-tree may have (0 and 1 are reserved).
pub const FIRST_TREE_OBJID: u32 = 2;
/// The first page the space map hands out (0 is the null page, 1 the map).
pub const FIRST_DATA_PGNO: u32 = 2;
const SPACE_MAGIC: u32 = 0x5053_5345; // "ESSP"
const SPACE_HEADER_BYTES: usize = 16;
/// The smallest group of pages one map page may describe.
pub const SPACE_GROUP_MIN_PAGES: u32 = 8;

/// The number of pages one space map page can describe for pages of `page_size` bytes.
pub const fn space_map_capacity_pages(page_size: usize) -> u32 {
    ((page_size - HEADER_BYTES - 2 * TAG_BYTES - SPACE_HEADER_BYTES) * 8) as u32
}

const _: () = assert!(space_map_capacity_pages(ese_core::limits::PAGE_SIZE_MIN_BYTES) > 1000);

/// The parameters a database is created or opened with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// The database's id in the cache and the log.
    pub db: DbId,
    /// The page size (4, 8, 16 or 32 KiB).
    pub page_size_bytes: usize,
    /// JET_paramDbExtensionSize: pages added to the file at once when it must grow.
    pub extension_pages: u32,
    /// The last dbtime used (from the database header); later changes count up from it.
    pub dbtime_last: Dbtime,
    /// Pages per space map page, fixed when the database is created (0: as many as one map
    /// page describes). Small groups make tests cross map pages quickly.
    pub space_group_pages: u32,
    /// Log a full page image before the first change to a page since it was last written, so
    /// a torn page write can be repaired (PostgreSQL's full_page_writes; see
    /// [`crate::redo`](mod@crate::redo)). On by default; turn it off only on storage that writes a page
    /// atomically, or to measure what it costs.
    pub full_page_images: bool,
}

impl DatabaseConfig {
    /// A configuration with ESE's default extension size and a fresh dbtime.
    pub fn new(db: DbId, page_size_bytes: usize) -> Self {
        Self {
            db,
            page_size_bytes,
            extension_pages: ese_core::limits::DB_EXTENSION_PAGES_DEFAULT,
            dbtime_last: Dbtime::START,
            space_group_pages: 0,
            full_page_images: true,
        }
    }
}

/// The kind of log record a page change is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecKind {
    Insert,
    Replace,
    Delete,
    Split(Pgno),
    Merge(Pgno),
    NewPage,
    FreePage,
}

#[derive(Clone, Copy, Debug)]
struct SpaceState {
    page_count: u32,
    hint: u32,
    group_pages: u32,
    /// Free pages below `page_count`.
    free: u32,
}

impl SpaceState {
    /// The map page of group `g`.
    fn map_pgno(&self, g: u32) -> Pgno {
        if g == 0 {
            SPACE_MAP_PGNO
        } else {
            Pgno(g * self.group_pages)
        }
    }

    /// The number of groups the database spans.
    fn groups(&self) -> u32 {
        self.page_count.div_ceil(self.group_pages)
    }
}

/// One page's part in a [`Group`].
#[derive(Debug)]
struct GroupPage {
    /// The page as the group has changed it so far.
    content: Content,
    /// The page's dbtime when the group first changed it ([`Dbtime::NIL`] for a new page).
    dbtime_before: Dbtime,
    /// The page was new to the database (formatted from nothing): it is latched without
    /// being read.
    fresh: bool,
    /// The group's first change of the page formats it, so it needs no image.
    formats_first: bool,
}

/// What a [`GroupPage`] holds of its page.
#[derive(Debug)]
enum Content {
    /// A copy with the group's changes so far applied (its free gap zeroed first), shared
    /// with the reads of the call ([`Database::read_page`]) rather than copied for each.
    Copy(Arc<Vec<u8>>),
    /// The group's only change of the page, checked against it but applied nowhere yet.
    /// Most calls change one page once (a node inserted, replaced or flag-deleted where it
    /// fits, or several nodes of a leaf removed by cleanup) and never read the page back:
    /// that change is applied to the latched frame itself once its record is logged, so the
    /// page is never copied. A read of the page within the call, or a second change, first
    /// turns it into a [`Content::Copy`].
    Deferred {
        /// The operations: one, or several line deletes from the last line back (the only
        /// list checked without being applied: [`crate::edit::Edit::check_deletes`]).
        ops: SmallVec<[LineOp; 1]>,
        /// The dbtime it stamps on the page.
        dbtime_after: Dbtime,
    },
}

/// The changes of the B-tree call in progress, not yet in the cache (see the module doc).
#[derive(Debug, Default)]
struct Group {
    /// How many [`Database::atomic`] calls are open; the outermost applies the group.
    depth: u32,
    /// Each page changed, sorted by number (the order pages are latched in). A call changes
    /// one page most of the time and a dozen at most, so they are kept inline and searched.
    pages: SmallVec<[(Pgno, GroupPage); 2]>,
    /// The page records, in the order the changes were made.
    records: SmallVec<[LogRecord; 1]>,
}

impl Group {
    /// The group's page `pgno`, if the group changed it.
    fn page_mut(&mut self, pgno: Pgno) -> Option<&mut GroupPage> {
        match self.pages.binary_search_by_key(&pgno, |(p, _)| *p) {
            Ok(i) => Some(&mut self.pages[i].1),
            Err(_) => None,
        }
    }
}

/// Closes an [`Database::atomic`] scope that unwinds: the group is dropped whole, so no later
/// call joins a group that will never be applied.
struct GroupScope<'a> {
    db: &'a Database,
    outermost: bool,
}

impl Drop for GroupScope<'_> {
    fn drop(&mut self) {
        let mut group = self.db.group.lock();
        group.depth = group.depth.saturating_sub(1);
        if self.outermost {
            *group = Group::default();
        }
    }
}

/// The operations of one page change: borrowed, or a single one given away.
enum Ops<'a> {
    /// Borrowed from the caller (copied if the group keeps them).
    Slice(&'a [LineOp]),
    /// One operation the group may keep as it is.
    One(LineOp),
}

impl Ops<'_> {
    fn as_slice(&self) -> &[LineOp] {
        match self {
            Ops::Slice(ops) => ops,
            Ops::One(op) => std::slice::from_ref(op),
        }
    }
}

/// A page as a descent reads it ([`crate::tree::BTree::descend_then`]): its bytes, and the
/// search index of an internal page that the cache keeps beside a page read from it.
pub(crate) trait DescentPage: Deref<Target = [u8]> {
    /// The search index kept beside this page, if one was built from its bytes as they are.
    fn kept_index(&self) -> Option<&SearchIndex>;

    /// The search index of internal page `tp` (this page, read and checked as one of object
    /// `objid`): the one kept, or one built now and kept when this kind of read builds one.
    fn search_index(&self, tp: &TreePage<'_>, objid: u32) -> Option<&SearchIndex>;
}

/// The search index kept beside `page`, shared: a cursor keeps it to descend through the
/// page again without reading it while the tree lock's epoch is unchanged.
#[inline]
pub(crate) fn kept_search_index<'p>(page: &'p PageRef<'_>) -> Option<&'p Arc<SearchIndex>> {
    page.derived_if_built()?.downcast_ref()
}

impl DescentPage for PageRef<'_> {
    #[inline]
    fn kept_index(&self) -> Option<&SearchIndex> {
        kept_search_index(self).map(|i| &**i)
    }

    /// A reader builds the index of a page it descends through, for every later descent.
    #[inline]
    fn search_index(&self, tp: &TreePage<'_>, objid: u32) -> Option<&SearchIndex> {
        let built = self.derived(|_| {
            SearchIndex::build(tp, objid).map(|i| Box::new(Arc::new(i)) as ese_cache::Derived)
        })?;
        built.downcast_ref::<Arc<SearchIndex>>().map(|i| &**i)
    }
}

impl DescentPage for PageBytes<'_> {
    #[inline]
    fn kept_index(&self) -> Option<&SearchIndex> {
        match self {
            PageBytes::Cached(p) => p.kept_index(),
            PageBytes::Pending(_) => None,
        }
    }

    /// A change's descent uses an index a reader built and builds none: the pages it passes
    /// may be about to change.
    #[inline]
    fn search_index(&self, _tp: &TreePage<'_>, _objid: u32) -> Option<&SearchIndex> {
        self.kept_index()
    }
}

/// A page as a change in progress sees it: in the cache, or the copy its group changed.
pub(crate) enum PageBytes<'a> {
    /// The page in the cache, latched shared.
    Cached(PageRef<'a>),
    /// The group's copy.
    Pending(Arc<Vec<u8>>),
}

impl Deref for PageBytes<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            PageBytes::Cached(p) => p,
            PageBytes::Pending(v) => v,
        }
    }
}

/// A database attached to the cache, as the B-tree layer uses it.
pub struct Database {
    cache: Arc<Cache>,
    log: Arc<dyn PageLog>,
    versions: Arc<dyn VersionCheck>,
    storage: Option<Arc<dyn Storage>>,
    config: DatabaseConfig,
    dbtime: AtomicU64,
    pub(crate) lock: crate::latch::TreeLock,
    space: Mutex<SpaceState>,
    /// The before-image the next tree-page record of the current write carries.
    undo_slot: Mutex<Option<Vec<u8>>>,
    /// The changes of the B-tree call in progress (writers hold the write lock, so there is
    /// at most one).
    group: Mutex<Group>,
    /// Page buffers of applied groups, reused by the next calls' copies (at most
    /// [`SPARE_PAGES`]), so a change does not allocate a page each time.
    spare_pages: Mutex<Vec<Vec<u8>>>,
    /// Small byte buffers of applied groups (lines, record payloads, undo fields), reused by
    /// the next calls (at most [`SPARE_BUFFERS`]), so a change does not allocate each one.
    spare_buffers: Mutex<Vec<Vec<u8>>>,
    /// Node lists of finished splits, whose nodes' buffers the next split decodes its page
    /// into (at most [`SPARE_NODE_LISTS`]: one per level a split climbs).
    spare_nodes: Mutex<Vec<Vec<Node>>>,
    /// Line lists of pages a split formatted, whose lines the next split's pages are
    /// encoded into (at most [`SPARE_NODE_LISTS`]).
    spare_lines: Mutex<Vec<Vec<Vec<u8>>>>,
    /// Where the pages the B-tree calls read were found in the cache, by page number modulo
    /// [`PAGE_HINTS`]: a descent re-reads its root and inner pages, and a change re-reads
    /// the page it is about to change, through these without the page-table look-up.
    hints: [ese_cache::SharedHint; PAGE_HINTS],
}

/// How many cache hints a database keeps for its B-tree calls' page reads.
const PAGE_HINTS: usize = 16;

/// How many page buffers a database keeps for reuse (a split touches about a dozen pages).
const SPARE_PAGES: usize = 16;

/// How many small byte buffers a database keeps for reuse (a plain change uses three: its
/// line, its record's payload and its undo field).
const SPARE_BUFFERS: usize = 16;

/// How many node lists a database keeps for reuse (a split changes one list per level).
const SPARE_NODE_LISTS: usize = 4;

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("config", &self.config)
            .field("dbtime", &self.dbtime.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn check_config(config: &DatabaseConfig) -> Result<()> {
    if !ese_core::limits::is_valid_page_size(config.page_size_bytes) {
        return Err(Error::InvalidParameter("page size"));
    }
    if config.extension_pages == 0 {
        return Err(Error::InvalidParameter("extension size"));
    }
    Ok(())
}

impl Database {
    fn build(
        cache: Arc<Cache>,
        log: Arc<dyn PageLog>,
        storage: Option<Arc<dyn Storage>>,
        config: DatabaseConfig,
        page_count: u32,
        group_pages: u32,
    ) -> Database {
        Database {
            cache,
            log,
            versions: Arc::new(NoVersions),
            storage,
            config,
            dbtime: AtomicU64::new(config.dbtime_last.0),
            lock: crate::latch::TreeLock::new(),
            space: Mutex::new(SpaceState {
                page_count,
                hint: FIRST_DATA_PGNO,
                group_pages,
                free: 0,
            }),
            undo_slot: Mutex::new(None),
            group: Mutex::new(Group::default()),
            spare_pages: Mutex::new(Vec::new()),
            spare_buffers: Mutex::new(Vec::new()),
            spare_nodes: Mutex::new(Vec::new()),
            spare_lines: Mutex::new(Vec::new()),
            hints: std::array::from_fn(|_| ese_cache::SharedHint::new()),
        }
    }

    /// Formats a new database's space map (the database must be attached to `cache` and
    /// empty). `storage`, when given, is the database file, grown in chunks of
    /// `config.extension_pages`.
    pub fn create(
        cache: Arc<Cache>,
        log: Arc<dyn PageLog>,
        storage: Option<Arc<dyn Storage>>,
        config: DatabaseConfig,
    ) -> Result<Database> {
        check_config(&config)?;
        let capacity = space_map_capacity_pages(config.page_size_bytes);
        let group_pages = match config.space_group_pages {
            0 => capacity,
            n => n.clamp(SPACE_GROUP_MIN_PAGES, capacity),
        };
        let page_count = config
            .extension_pages
            .clamp(FIRST_DATA_PGNO + 1, group_pages);
        let db = Self::build(cache, log, storage, config, page_count, group_pages);
        db.grow_file(page_count)?;
        db.atomic(|| db.format_map(0, page_count, group_pages))?;
        db.space.lock().free = page_count - FIRST_DATA_PGNO;
        Ok(db)
    }

    /// Formats the map page of group `g` (map 0 records `page_count`).
    fn format_map(&self, g: u32, page_count: u32, group_pages: u32) -> Result<()> {
        let second = if g == 0 { page_count } else { g };
        let mut header = Vec::with_capacity(SPACE_HEADER_BYTES);
        for v in [
            SPACE_MAGIC,
            second,
            self.config.extension_pages,
            group_pages,
        ] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        let mut bitmap = vec![0u8; group_pages.div_ceil(8) as usize];
        // Group 0 holds the null page and its map; every other group's first page is its map.
        bitmap[0] = if g == 0 { 0b11 } else { 0b1 };
        let pgno = if g == 0 {
            SPACE_MAP_PGNO
        } else {
            Pgno(g * group_pages)
        };
        self.change_space(
            pgno,
            RecKind::NewPage,
            &[LineOp::Format {
                objid: SPACE_OBJID,
                flags: PageFlags::SPACE_TREE | PageFlags::ROOT,
                prev: Pgno::NULL,
                next: Pgno::NULL,
                lines: vec![header, bitmap],
            }],
            true,
        )?;
        Ok(())
    }

    /// Opens an existing database by reading its space map.
    pub fn open(
        cache: Arc<Cache>,
        log: Arc<dyn PageLog>,
        storage: Option<Arc<dyn Storage>>,
        config: DatabaseConfig,
    ) -> Result<Database> {
        check_config(&config)?;
        let (page_count, group_pages) = {
            let page = cache.read(config.db, SPACE_MAP_PGNO)?;
            let h = read_space_header(&page, SPACE_MAP_PGNO, config.page_size_bytes)?;
            (h.second, h.group_pages)
        };
        if page_count <= FIRST_DATA_PGNO || page_count > ese_core::limits::DATABASE_PAGES_MAX {
            return corrupt(SPACE_MAP_PGNO, "the space map's page count is out of range");
        }
        let db = Self::build(cache, log, storage, config, page_count, group_pages);
        let free = db.pages_in_use()?.iter().filter(|&&used| !used).count();
        db.space.lock().free = free as u32;
        Ok(db)
    }

    /// Uses `versions` for every later change (ese-txn installs its version store here).
    pub fn with_versions(mut self, versions: Arc<dyn VersionCheck>) -> Self {
        self.versions = versions;
        self
    }

    /// The database's id.
    pub fn id(&self) -> DbId {
        self.config.db
    }

    /// The page size.
    pub fn page_size_bytes(&self) -> usize {
        self.config.page_size_bytes
    }

    /// The cache the database's pages live in.
    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    /// The version store consulted before every change.
    pub fn versions(&self) -> &dyn VersionCheck {
        &*self.versions
    }

    /// The last dbtime stamped on a page (for the database header, and for a reader that
    /// checks whether any page changed since it last looked).
    #[inline]
    pub fn dbtime_last(&self) -> Dbtime {
        Dbtime(self.dbtime.load(Ordering::SeqCst))
    }

    /// The database's size in pages, as the space map records it.
    pub fn page_count(&self) -> u32 {
        self.space.lock().page_count
    }

    /// Makes one logged change to page `pgno` as part of the B-tree call in progress (see
    /// the module doc: the change goes to the call's group, and reaches the log and the cache
    /// with the rest of the group when the outermost [`Database::atomic`] returns). The page's
    /// dbtime before the change and the one it stamps are recorded with the operations. The
    /// first tree-page record of a call carries the undo field set by [`Database::set_undo`].
    /// A new page (`new_page`) must be formatted by the first operation.
    ///
    /// # Torn-page protection
    ///
    /// When the group is applied, each page that is clean in the cache (its first change
    /// since it was last written) and whose first change in the group does not format it gets
    /// a [`LogRecord::PageImage`] of itself logged before the group, and is marked dirty at
    /// the image's position, so the checkpoint cannot pass the image until the page is durably
    /// written again. The page's free gap (left out of the image) is zeroed in the group's
    /// copy, so the page and its image agree byte for byte.
    ///
    /// This is the only place pages are changed: every tree and space-map change goes
    /// through it, and [`crate::redo_into_cache`] (recovery) marks pages dirty only at the
    /// positions of records already in the log, after that page's image or format.
    pub(crate) fn change(
        &self,
        pgno: Pgno,
        kind: RecKind,
        trx: Trx,
        ops: &[LineOp],
        new_page: bool,
    ) -> Result<()> {
        self.change_page(pgno, kind, trx, Ops::Slice(ops), new_page, true)
    }

    /// [`Database::change`] with one operation, given away: a change kept for the latched
    /// frame ([`Content::Deferred`]) keeps it as it is instead of a copy.
    pub(crate) fn change_one(&self, pgno: Pgno, kind: RecKind, trx: Trx, op: LineOp) -> Result<()> {
        self.change_page(pgno, kind, trx, Ops::One(op), false, true)
    }

    /// A change to a space map page: it never carries the operation's undo field.
    fn change_space(
        &self,
        pgno: Pgno,
        kind: RecKind,
        ops: &[LineOp],
        new_page: bool,
    ) -> Result<()> {
        self.change_page(pgno, kind, Trx::MIN, Ops::Slice(ops), new_page, false)
    }

    fn change_page(
        &self,
        pgno: Pgno,
        kind: RecKind,
        trx: Trx,
        ops: Ops<'_>,
        new_page: bool,
        takes_undo: bool,
    ) -> Result<()> {
        if self.group.lock().depth == 0 {
            // A change outside any call is a call of its own.
            return self.atomic(|| self.change_page(pgno, kind, trx, ops, new_page, takes_undo));
        }
        let formats = matches!(ops.as_slice().first(), Some(LineOp::Format { .. }));
        if new_page && !formats {
            return corrupt(pgno, "a new page must be formatted by its first change");
        }
        // Encoded first: a deferred change keeps the operation itself.
        let mut payload = self.spare_buffer();
        encode_ops_into(ops.as_slice(), &mut payload);
        let mut group = self.group.lock();
        let group = &mut *group;
        let slot = group.pages.binary_search_by_key(&pgno, |(p, _)| *p);
        let (dbtime_before, dbtime_after) = match slot {
            Ok(at) => {
                let page = &mut group.pages[at].1;
                let bytes = self.materialize(pgno, page)?;
                if new_page {
                    // Freed and allocated again within the call: formatted from nothing.
                    Arc::make_mut(bytes).fill(0);
                }
                let dbtime_before = if new_page {
                    Dbtime::NIL
                } else {
                    page_dbtime(bytes)
                };
                let dbtime_after = self.next_dbtime();
                // A read of the call still holding the page keeps its own copy (none does today).
                let ops = ops.as_slice();
                apply_trusted(Arc::make_mut(bytes).as_mut_slice(), pgno, ops, dbtime_after)?;
                (dbtime_before, dbtime_after)
            }
            Err(at) if new_page => {
                // Not zeroed here: the format (checked above) rewrites every byte.
                let mut bytes = self.spare_page_stale();
                let dbtime_after = self.next_dbtime();
                apply_trusted(&mut bytes, pgno, ops.as_slice(), dbtime_after)?;
                let page = GroupPage {
                    content: Content::Copy(Arc::new(bytes)),
                    dbtime_before: Dbtime::NIL,
                    fresh: true,
                    formats_first: formats,
                };
                group.pages.insert(at, (pgno, page));
                (Dbtime::NIL, dbtime_after)
            }
            Err(at) => {
                let cached = self.read_cached(pgno)?;
                let dbtime_before = page_dbtime(&cached);
                let dbtime_after = self.next_dbtime();
                let content = match ops.as_slice() {
                    [op] if !formats => {
                        crate::edit::Edit::view(&cached)?.check(op)?;
                        let op = match ops {
                            Ops::One(op) => op,
                            Ops::Slice(_) => op.clone(),
                        };
                        Content::Deferred {
                            ops: smallvec::smallvec![op],
                            dbtime_after,
                        }
                    }
                    // A leaf losing several nodes (cleanup): checked as the deletes would
                    // find the page one after the other, then kept for the frame.
                    list if crate::edit::is_descending_deletes(list)
                        && crate::edit::Edit::view(&cached)?.check_deletes(list)? =>
                    {
                        Content::Deferred {
                            ops: list.iter().cloned().collect(),
                            dbtime_after,
                        }
                    }
                    ops => {
                        let mut bytes = self.copy_of(&cached);
                        apply_trusted(&mut bytes, pgno, ops, dbtime_after)?;
                        Content::Copy(Arc::new(bytes))
                    }
                };
                drop(cached);
                let page = GroupPage {
                    content,
                    dbtime_before,
                    fresh: false,
                    formats_first: formats,
                };
                group.pages.insert(at, (pgno, page));
                (dbtime_before, dbtime_after)
            }
        };
        let undo = if takes_undo {
            self.undo_slot.lock().take().unwrap_or_default()
        } else {
            Vec::new()
        };
        let op = PageOp {
            trx,
            db: self.config.db,
            pgno,
            dbtime_before,
            dbtime_after,
            payload,
            undo,
        };
        group.records.push(match kind {
            RecKind::Insert => LogRecord::InsertNode(op),
            RecKind::Replace => LogRecord::ReplaceNode(op),
            RecKind::Delete => LogRecord::DeleteNode(op),
            RecKind::Split(new_pgno) => LogRecord::Split { op, new_pgno },
            RecKind::Merge(sibling_pgno) => LogRecord::Merge { op, sibling_pgno },
            RecKind::NewPage => LogRecord::NewPage(op),
            RecKind::FreePage => LogRecord::FreePage(op),
        });
        Ok(())
    }

    /// Runs `f`, one B-tree call, so that its page changes reach the log and the cache all
    /// together or not at all (see the module doc). Calls nest: only the outermost applies
    /// the group, and only if `f` succeeded; on failure nothing is applied and the space
    /// counters are put back.
    pub(crate) fn atomic<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        // Taken before the group's lock: the space lock is never taken under it.
        let space = *self.space.lock();
        let outermost = {
            let mut group = self.group.lock();
            group.depth += 1;
            group.depth == 1
        };
        let scope = GroupScope {
            db: self,
            outermost,
        };
        let result = f();
        std::mem::forget(scope);
        let mut group = self.group.lock();
        group.depth -= 1;
        if !outermost {
            return result;
        }
        // Applied in place, under the group's lock: only the writer (who holds the database's
        // write lock) ever takes it, and applying takes no other lock that a holder of the
        // group's lock waits for.
        let applied = result.and_then(|v| self.apply_group(&mut group).map(|()| v));
        group.pages.clear();
        group.records.clear();
        drop(group);
        if applied.is_err() {
            *self.space.lock() = space;
        }
        applied
    }

    /// Latches, logs and applies a finished group (steps 2 to 4 of the module doc). Its
    /// pages and records are left behind for the caller to clear (they are emptied on
    /// success, their buffers kept for the next calls).
    fn apply_group(&self, group: &mut Group) -> Result<()> {
        if group.records.is_empty() {
            return Ok(());
        }
        let pages = &group.pages;
        let db = self.config.db;
        let mut guards: SmallVec<[_; 2]> = SmallVec::with_capacity(pages.len());
        // A new page's frame is not zero-filled when it is latched: the group's copy, which
        // the format made whole, replaces it below. A group that fails before then fills it
        // with zeros, as Cache::new_page would have.
        let blank = |guards: &mut SmallVec<[ese_cache::PageMut<'_>; 2]>| {
            for (guard, (_, page)) in guards.iter_mut().zip(pages.iter()) {
                if page.fresh {
                    guard.fill(0);
                }
            }
        };
        for &(pgno, ref page) in pages.iter() {
            let guard = if page.fresh {
                self.cache.new_page_unfilled(db, pgno)
            } else {
                let hint = self.hints[pgno.0 as usize % PAGE_HINTS].get();
                self.cache.write_hinted(db, pgno, hint)
            };
            let guard = match guard {
                Ok(g) => g,
                Err(e) => {
                    blank(&mut guards);
                    return Err(e.into());
                }
            };
            guards.push(guard);
            if !page.fresh && page_dbtime(&guards[guards.len() - 1]) != page.dbtime_before {
                blank(&mut guards);
                return corrupt(
                    pgno,
                    "a page changed in the cache while its group was built",
                );
            }
        }
        let mut images: SmallVec<[Option<ese_core::Lgpos>; 2]> =
            smallvec::smallvec![None; pages.len()];
        if self.config.full_page_images {
            for (i, &(pgno, ref page)) in pages.iter().enumerate() {
                let guard = &guards[i];
                if page.fresh || page.formats_first || guard.is_dirty() {
                    continue;
                }
                let image = ese_log::PageImage::from_page(
                    db,
                    pgno,
                    page.dbtime_before,
                    guard,
                    free_gap(guard),
                );
                let at = match self.log.append(&LogRecord::PageImage(image)) {
                    Ok(at) => at,
                    Err(e) => {
                        blank(&mut guards);
                        return Err(Error::Log(e));
                    }
                };
                images[i] = Some(at);
            }
        }
        let mut many;
        let rec = if group.records.len() == 1 {
            &mut group.records[0]
        } else {
            many = LogRecord::PageGroup(group.records.drain(..).collect());
            &mut many
        };
        let at = match self.log.append(rec) {
            Ok(at) => at,
            Err(e) => {
                blank(&mut guards);
                return Err(Error::Log(e));
            }
        };
        let mut failed = None;
        let pages = &mut group.pages;
        for ((&mut (pgno, ref mut page), guard), image) in
            pages.iter_mut().zip(guards.iter_mut()).zip(images)
        {
            let was_dirty = guard.is_dirty();
            if let Some(image) = image {
                guard.mark_dirty(image);
            }
            match &mut page.content {
                // A copy nothing else holds is exchanged with the frame's buffer, which
                // becomes a spare page below; one still shared is copied.
                Content::Copy(bytes) => {
                    let swapped = Arc::get_mut(bytes).is_some_and(|own| guard.swap_bytes(own));
                    if !swapped {
                        guard.copy_from_slice(bytes);
                    }
                }
                Content::Deferred { ops, dbtime_after } => {
                    // A dirty page's gap is zero already: its first change since it was
                    // read zeroed it, and line operations keep it so (they zero what they
                    // free). A clean page's is zeroed, as its image says it is.
                    if !was_dirty {
                        zero_free_gap(guard);
                    }
                    debug_assert!(
                        guard
                            .get(free_gap(guard))
                            .is_some_and(|g| g.iter().all(|&b| b == 0)),
                        "page {pgno:?}: a dirty page's free gap is not zero"
                    );
                    // Checked when it was made, on this very page (the dbtime is the same),
                    // so it cannot fail here short of memory damage.
                    if let Err(e) = apply_trusted(guard, pgno, ops, *dbtime_after) {
                        failed.get_or_insert(e);
                    }
                }
            }
            guard.mark_dirty(at);
        }
        drop(guards);
        // The record's buffers and the kept lines go back for the next calls.
        let mut buffers: SmallVec<[Vec<u8>; 4]> = SmallVec::new();
        record_buffers(rec, &mut buffers);
        group.records.clear();
        let mut spares = self.spare_pages.lock();
        for (_, page) in group.pages.drain(..) {
            match page.content {
                // A buffer no read still holds goes back for the next call's copies.
                Content::Copy(bytes) => {
                    if spares.len() < SPARE_PAGES
                        && let Ok(bytes) = Arc::try_unwrap(bytes)
                    {
                        spares.push(bytes);
                    }
                }
                Content::Deferred { ops, .. } => {
                    for op in ops {
                        if let LineOp::Insert(_, line) | LineOp::Replace(_, line) = op {
                            buffers.push(line);
                        }
                    }
                }
            }
        }
        drop(spares);
        self.keep_buffers(buffers);
        failed.map_or(Ok(()), Err)
    }

    /// Page `pgno` as the change in progress sees it: its group's copy if the group changed
    /// it, else the page in the cache (latched shared: drop it before changing a page).
    pub(crate) fn read_page(&self, pgno: Pgno) -> Result<PageBytes<'_>> {
        if let Some(page) = self.group.lock().page_mut(pgno) {
            return Ok(PageBytes::Pending(Arc::clone(
                self.materialize(pgno, page)?,
            )));
        }
        Ok(PageBytes::Cached(self.read_cached(pgno)?))
    }

    /// Page `pgno` from the cache (latched shared), through its hint slot.
    fn read_cached(&self, pgno: Pgno) -> Result<PageRef<'_>> {
        let slot = &self.hints[pgno.0 as usize % PAGE_HINTS];
        let page = self.cache.read_hinted(self.config.db, pgno, slot.get())?;
        slot.set(page.hint());
        Ok(page)
    }

    /// The next dbtime, for a change about to be made.
    fn next_dbtime(&self) -> Dbtime {
        Dbtime(self.dbtime.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// An empty page buffer: a spare one if there is one.
    fn spare_page(&self) -> Vec<u8> {
        let mut bytes = self.spare_pages.lock().pop().unwrap_or_default();
        bytes.clear();
        bytes
    }

    /// An empty byte buffer for a line, a record payload or an undo field: a spare one if
    /// there is one.
    pub(crate) fn spare_buffer(&self) -> Vec<u8> {
        self.spare_buffers.lock().pop().unwrap_or_default()
    }

    /// Keeps `buffers` (emptied) for later [`Database::spare_buffer`] calls, as many as there
    /// is room for; page-sized or larger ones are let go.
    fn keep_buffers(&self, buffers: impl IntoIterator<Item = Vec<u8>>) {
        let mut spares = self.spare_buffers.lock();
        for mut b in buffers {
            if spares.len() >= SPARE_BUFFERS {
                break;
            }
            if b.capacity() == 0 || b.capacity() > self.config.page_size_bytes {
                continue;
            }
            b.clear();
            spares.push(b);
        }
    }

    /// A page-sized buffer whose bytes are left over from an earlier page (a spare one if
    /// there is one, else zeroed): for a page about to be formatted, which rewrites them all.
    fn spare_page_stale(&self) -> Vec<u8> {
        let mut bytes = self.spare_pages.lock().pop().unwrap_or_default();
        bytes.resize(self.config.page_size_bytes, 0);
        bytes
    }

    /// A node list left by an earlier split (its nodes still hold that split's bytes, to be
    /// overwritten), or an empty one.
    pub(crate) fn spare_nodes(&self) -> Vec<Node> {
        self.spare_nodes.lock().pop().unwrap_or_default()
    }

    /// A line list left by an earlier split's format (its lines still hold that page's
    /// bytes, to be overwritten), or an empty one.
    pub(crate) fn spare_lines(&self) -> Vec<Vec<u8>> {
        self.spare_lines.lock().pop().unwrap_or_default()
    }

    /// Keeps `lines` for a later [`Database::spare_lines`], if there is room.
    pub(crate) fn keep_lines(&self, lines: Vec<Vec<u8>>) {
        let mut spares = self.spare_lines.lock();
        if spares.len() < SPARE_NODE_LISTS {
            spares.push(lines);
        }
    }

    /// Keeps `nodes` for a later [`Database::spare_nodes`], if there is room.
    pub(crate) fn keep_nodes(&self, nodes: Vec<Node>) {
        let mut spares = self.spare_nodes.lock();
        if spares.len() < SPARE_NODE_LISTS {
            spares.push(nodes);
        }
    }

    /// A copy of the cached page `cached` for a group, with its free gap zeroed: that changes
    /// nothing a reader sees, and makes the page exactly the image logged of it (which leaves
    /// the gap out).
    fn copy_of(&self, cached: &[u8]) -> Vec<u8> {
        let mut bytes = self.spare_page();
        bytes.extend_from_slice(cached);
        zero_free_gap(&mut bytes);
        bytes
    }

    /// The group's copy of `page` (number `pgno`), made now from the cache if its change was
    /// deferred ([`Content::Deferred`]).
    fn materialize<'g>(&self, pgno: Pgno, page: &'g mut GroupPage) -> Result<&'g mut Arc<Vec<u8>>> {
        if let Content::Deferred { ops, dbtime_after } = &page.content {
            let cached = self.cache.read(self.config.db, pgno)?;
            if page_dbtime(&cached) != page.dbtime_before {
                return corrupt(
                    pgno,
                    "a page changed in the cache while its group was built",
                );
            }
            let mut bytes = self.copy_of(&cached);
            drop(cached);
            apply_trusted(&mut bytes, pgno, ops, *dbtime_after)?;
            page.content = Content::Copy(Arc::new(bytes));
        }
        match &mut page.content {
            Content::Copy(bytes) => Ok(bytes),
            Content::Deferred { .. } => corrupt(pgno, "a deferred page change was not applied"),
        }
    }

    /// Sets (or clears) the before-image the next tree-page record carries; writers hold the
    /// database's write lock, so the slot belongs to the one operation in progress.
    pub(crate) fn set_undo(&self, undo: Option<Vec<u8>>) {
        *self.undo_slot.lock() = undo;
    }

    fn grow_file(&self, page_count: u32) -> Result<()> {
        if let Some(storage) = &self.storage {
            // Logical page n lives at (n + 1) * page_size (the header pages come first).
            let len = (u64::from(page_count) + 1) * self.config.page_size_bytes as u64;
            if storage.len()? < len {
                storage.set_len(len)?;
            }
        }
        Ok(())
    }

    /// Reads group `g`'s map and finds its first free page in `from..to` (absolute page
    /// numbers within the group): the page and the bitmap byte holding its bit.
    fn find_in_group(
        &self,
        st: &SpaceState,
        g: u32,
        from: u32,
        to: u32,
    ) -> Result<Option<(u32, u8)>> {
        let map = st.map_pgno(g);
        let page = self.read_page(map)?;
        let bitmap = group_bitmap(&page, map, st.group_pages)?;
        let base = g * st.group_pages;
        Ok(find_free(bitmap, from - base, to - base).map(|i| (base + i, bitmap[i as usize / 8])))
    }

    /// The first free page in `from..to`, with its bitmap byte.
    fn find_free_page(&self, st: &SpaceState, from: u32, to: u32) -> Result<Option<(u32, u8)>> {
        let mut p = from;
        while p < to {
            let g = p / st.group_pages;
            let end = ((g + 1) * st.group_pages).min(to);
            if let Some(found) = self.find_in_group(st, g, p, end)? {
                return Ok(Some(found));
            }
            p = end;
        }
        Ok(None)
    }

    /// Sets or clears page `p`'s bit, given the bitmap byte holding it now.
    fn set_bit(&self, st: &SpaceState, p: u32, byte: u8, used: bool, kind: RecKind) -> Result<()> {
        let g = p / st.group_pages;
        let i = p - g * st.group_pages;
        let mask = 1u8 << (i % 8);
        let byte = if used { byte | mask } else { byte & !mask };
        self.change_space(
            st.map_pgno(g),
            kind,
            &[LineOp::Patch {
                index: 1,
                offset: (i / 8) as u16,
                bytes: vec![byte],
            }],
            false,
        )?;
        Ok(())
    }

    /// Allocates a free page (ESE's SPGetPage), growing the database when none is free.
    pub(crate) fn alloc_page(&self) -> Result<Pgno> {
        let mut st = self.space.lock();
        loop {
            let hint = st.hint.clamp(FIRST_DATA_PGNO, st.page_count);
            let found = match self.find_free_page(&st, hint, st.page_count)? {
                Some(f) => Some(f),
                None => self.find_free_page(&st, FIRST_DATA_PGNO, hint)?,
            };
            if let Some((p, byte)) = found {
                self.set_bit(&st, p, byte, true, RecKind::Replace)?;
                st.hint = p + 1;
                st.free = st.free.saturating_sub(1);
                return Ok(Pgno(p));
            }
            self.grow(&mut st)?;
        }
    }

    /// Makes sure at least `pages` pages are free, growing the database if needed, so that a
    /// split that needs them cannot fail half-way for want of space (or of disk).
    pub(crate) fn reserve(&self, pages: u32) -> Result<()> {
        let mut st = self.space.lock();
        while st.free < pages {
            self.grow(&mut st)?;
        }
        Ok(())
    }

    /// Grows the database by one extension: the file first, then the maps of the groups that
    /// begin in the new pages, then the count that puts them in use.
    fn grow(&self, st: &mut SpaceState) -> Result<()> {
        let grown = st
            .page_count
            .saturating_add(self.config.extension_pages)
            .min(ese_core::limits::DATABASE_PAGES_MAX);
        if grown <= st.page_count {
            return Err(Error::DatabaseFull);
        }
        self.grow_file(grown)?;
        let first_new = st.groups();
        let last_new = grown.div_ceil(st.group_pages);
        for g in first_new..last_new {
            self.format_map(g, grown, st.group_pages)?;
        }
        self.change_space(
            SPACE_MAP_PGNO,
            RecKind::Replace,
            &[LineOp::Patch {
                index: 0,
                offset: 4,
                bytes: grown.to_le_bytes().to_vec(),
            }],
            false,
        )?;
        st.free += grown - st.page_count - (last_new - first_new);
        st.page_count = grown;
        Ok(())
    }

    /// Returns page `pgno` to the free space (ESE's SPFreeExtent of one page).
    pub(crate) fn free_page(&self, pgno: Pgno) -> Result<()> {
        let mut st = self.space.lock();
        if pgno.0 < FIRST_DATA_PGNO || pgno.0 >= st.page_count {
            return corrupt(pgno, "freeing a page outside the database");
        }
        let g = pgno.0 / st.group_pages;
        if st.map_pgno(g) == pgno {
            return corrupt(pgno, "freeing a space map page");
        }
        let byte = {
            let map = st.map_pgno(g);
            let page = self.read_page(map)?;
            let bitmap = group_bitmap(&page, map, st.group_pages)?;
            let i = (pgno.0 - g * st.group_pages) as usize;
            if bitmap[i / 8] & (1 << (i % 8)) == 0 {
                return corrupt(pgno, "freeing a page that is already free");
            }
            bitmap[i / 8]
        };
        // The page itself is reformatted EMPTY (keeping its objid) before its bit is cleared:
        // its dbtime moves on, so no cursor keeps using an image of it, and no walk accepts it
        // as part of a tree. A format needs no page image before it, even on a clean page.
        let objid = PageView::new(&self.read_page(pgno)?)?.header().objid;
        self.change_page(
            pgno,
            RecKind::FreePage,
            Trx::MIN,
            Ops::One(LineOp::Format {
                objid,
                flags: PageFlags::EMPTY,
                prev: Pgno::NULL,
                next: Pgno::NULL,
                lines: Vec::new(),
            }),
            false,
            false,
        )?;
        self.set_bit(&st, pgno.0, byte, false, RecKind::FreePage)?;
        st.hint = st.hint.min(pgno.0);
        st.free += 1;
        Ok(())
    }

    /// Which pages are in use: `result[p]` for every page below the database's size.
    pub fn pages_in_use(&self) -> Result<Vec<bool>> {
        let st = self.space.lock();
        let mut out = Vec::with_capacity(st.page_count as usize);
        for g in 0..st.groups() {
            let map = st.map_pgno(g);
            let page = self.cache.read(self.config.db, map)?;
            let h = read_space_header(&page, map, self.config.page_size_bytes)?;
            let expected = if g == 0 { st.page_count } else { g };
            if h.second != expected || h.group_pages != st.group_pages {
                return corrupt(map, "a space map's header disagrees with the database");
            }
            let bitmap = group_bitmap(&page, map, st.group_pages)?;
            let base = g * st.group_pages;
            let end = (base + st.group_pages).min(st.page_count);
            out.extend((0..end - base).map(|i| bitmap[i as usize / 8] & (1 << (i % 8)) != 0));
        }
        Ok(out)
    }

    /// The space map pages.
    pub fn space_map_pages(&self) -> Vec<Pgno> {
        let st = self.space.lock();
        (0..st.groups()).map(|g| st.map_pgno(g)).collect()
    }

    /// Checks the space maps against `trees`, which must be every tree of the database: every
    /// page in use is a map page, or belongs to exactly one tree; no tree page is free.
    pub fn check_space(&self, trees: &[&crate::BTree]) -> Result<()> {
        let in_use = self.pages_in_use()?;
        let free = in_use.iter().filter(|&&used| !used).count();
        if free != self.space.lock().free as usize {
            return corrupt(
                SPACE_MAP_PGNO,
                "the free page count disagrees with the maps",
            );
        }
        let mut owner = vec![false; in_use.len()];
        for map in self.space_map_pages() {
            let i = map.0 as usize;
            if !in_use.get(i).copied().unwrap_or(false) {
                return corrupt(map, "a space map page is marked free");
            }
            owner[i] = true;
        }
        for t in trees {
            for p in t.pages()? {
                let i = p.0 as usize;
                if i >= owner.len() || !in_use[i] {
                    return corrupt(p, "a tree page is marked free");
                }
                if owner[i] {
                    return corrupt(p, "a page belongs to two trees or is a map page");
                }
                owner[i] = true;
            }
        }
        for (p, used) in in_use.iter().enumerate().skip(FIRST_DATA_PGNO as usize) {
            if *used && !owner[p] {
                return corrupt(Pgno(p as u32), "a page in use belongs to no tree (leaked)");
            }
        }
        Ok(())
    }
}

/// The fields of a space map header.
struct SpaceHeader {
    /// Map 0: the database's size in pages; map g: g.
    second: u32,
    group_pages: u32,
}

/// Reads and checks a space map page's header.
fn read_space_header(page: &[u8], map: Pgno, page_size: usize) -> Result<SpaceHeader> {
    let view = PageView::new(page)?;
    if view.line_count() != 2 {
        return corrupt(map, "a space map does not have two lines");
    }
    let h = view.line(0)?;
    let word = |i: usize| -> u32 {
        h.get(i * 4..i * 4 + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if h.len() != SPACE_HEADER_BYTES || word(0) != SPACE_MAGIC {
        return corrupt(map, "a space map has no valid header");
    }
    let group_pages = word(3);
    if !(SPACE_GROUP_MIN_PAGES..=space_map_capacity_pages(page_size)).contains(&group_pages) {
        return corrupt(map, "a space map's group size is out of range");
    }
    Ok(SpaceHeader {
        second: word(1),
        group_pages,
    })
}

/// Moves the payload and undo buffers of the page records in `rec` to `out`.
fn record_buffers(rec: &mut LogRecord, out: &mut SmallVec<[Vec<u8>; 4]>) {
    match rec {
        LogRecord::InsertNode(op)
        | LogRecord::ReplaceNode(op)
        | LogRecord::DeleteNode(op)
        | LogRecord::NewPage(op)
        | LogRecord::FreePage(op)
        | LogRecord::Split { op, .. }
        | LogRecord::Merge { op, .. } => {
            out.push(std::mem::take(&mut op.payload));
            out.push(std::mem::take(&mut op.undo));
        }
        LogRecord::PageGroup(records) => {
            for r in records {
                record_buffers(r, out);
            }
        }
        _ => {}
    }
}

/// The bitmap of a space map page describing `group_pages` pages.
fn group_bitmap(page: &[u8], map: Pgno, group_pages: u32) -> Result<&[u8]> {
    let view = ese_pageio::PageView::new(page)?;
    if view.line_count() != 2 {
        return corrupt(map, "a space map does not have two lines");
    }
    let bitmap = view.line(1)?;
    if bitmap.len() != group_pages.div_ceil(8) as usize {
        return corrupt(map, "a space map's bitmap has the wrong length");
    }
    Ok(bitmap)
}

/// Zeroes the free gap of `page` ([`free_gap`]).
fn zero_free_gap(page: &mut [u8]) {
    let hole = free_gap(page);
    if let Some(gap) = page.get_mut(hole) {
        gap.fill(0);
    }
}

/// The page's contiguous free gap, between the end of the data area and the tag array (empty
/// when the header is not readable as such).
fn free_gap(page: &[u8]) -> std::ops::Range<usize> {
    let u16_at = |at: usize| {
        page.get(at..at + 2)
            .map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let dend = u16_at(ese_pageio::page::DATA_END_OFFSET);
    let tags = page
        .len()
        .saturating_sub(TAG_BYTES * u16_at(ese_pageio::page::LINE_COUNT_OFFSET));
    if HEADER_BYTES <= dend && dend <= tags {
        dend..tags
    } else {
        0..0
    }
}

/// The first clear bit in `from..to`.
fn find_free(bitmap: &[u8], from: u32, to: u32) -> Option<u32> {
    let mut p = from;
    while p < to {
        let byte = *bitmap.get(p as usize / 8)?;
        if byte == 0xff {
            p = (p / 8 + 1) * 8;
            continue;
        }
        if byte & (1 << (p % 8)) == 0 {
            return Some(p);
        }
        p += 1;
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failure is the test failing
mod tests {
    use super::*;
    use crate::testing::TestDb;
    use crate::{BTree, Redo, redo};
    use ese_pageio::page::DATA_END_OFFSET;

    const PAGE: usize = 4096;

    /// A tree of 20 nodes inserted in key order on its root leaf, whose lines 1 to 20 then
    /// lie in the data area in line order (line 20 ends it).
    fn one_leaf() -> (TestDb, BTree) {
        let env = TestDb::new(PAGE, 64, 8, true).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        for i in 0..20u32 {
            let key = format!("key{i:03}");
            tree.insert(Trx::MIN, key.as_bytes(), &[i as u8; 60])
                .unwrap();
        }
        assert_eq!(tree.check_invariants().unwrap().depth, 1);
        (env, tree)
    }

    fn deletes(lines: &[u16]) -> Vec<LineOp> {
        lines.iter().map(|&l| LineOp::Delete(l)).collect()
    }

    /// What the copy path makes of `page` under `ops`: a copy with its free gap zeroed,
    /// changed by the same operations.
    fn copied(db: &Database, page: &[u8], pgno: Pgno, ops: &[LineOp], at: Dbtime) -> Vec<u8> {
        let mut bytes = db.copy_of(page);
        apply_trusted(&mut bytes, pgno, ops, at).unwrap();
        bytes
    }

    /// A change of several line deletes from the last line back is kept for the frame, not
    /// copied, and leaves the page, the log and a replay of the log exactly as the copy of
    /// the page would have: on a dirty page and on a clean one (which gets an image). Other
    /// lists still take the copy.
    #[test]
    fn several_line_deletes_kept_for_the_frame_match_the_copy_byte_for_byte() {
        let cases: [(&[u16], bool); 5] = [
            (&[5, 3], true),
            (&[20, 19, 1], true),
            (&[20, 18, 17, 16, 2], true),
            (&[3, 5], false),
            (&[7, 7], false),
        ];
        for clean in [false, true] {
            for (lines, kept) in cases {
                let (env, tree) = one_leaf();
                if clean {
                    env.cache.flush_all().unwrap();
                }
                let leaf = tree.root();
                let ops = deletes(lines);
                let before = env.cache.read(TestDb::DB, leaf).unwrap().to_vec();
                let dbtime_before = page_dbtime(&before);
                let dbtime_after = Dbtime(env.db.dbtime_last().0 + 1);
                let want = copied(&env.db, &before, leaf, &ops, dbtime_after);
                let spares = env.db.spare_pages.lock().len();
                let from = env.log.record_count();
                env.db
                    .atomic(|| env.db.change(leaf, RecKind::Delete, Trx::MIN, &ops, false))
                    .unwrap();
                let after = env.cache.read(TestDb::DB, leaf).unwrap().to_vec();
                let case = format!("lines {lines:?}, clean {clean}");
                assert!(after == want, "{case}: the page differs from the copy's");
                // The copy path gives the frame's old buffer back as a spare; kept
                // operations leave the frame's buffer where it is.
                let spares_now = env.db.spare_pages.lock().len();
                assert_eq!(
                    spares_now == spares,
                    kept,
                    "{case}: {spares} -> {spares_now}"
                );

                let records = env.log.records()[from..].to_vec();
                let (image, change) = match &records[..] {
                    [LogRecord::PageImage(image), change] if clean => (Some(image), change),
                    [change] if !clean => (None, change),
                    other => panic!("{case}: {other:?}"),
                };
                let LogRecord::DeleteNode(op) = change else {
                    panic!("{case}: {change:?}");
                };
                assert_eq!(
                    (op.trx, op.db, op.pgno, op.dbtime_before, op.dbtime_after),
                    (Trx::MIN, TestDb::DB, leaf, dbtime_before, dbtime_after),
                    "{case}"
                );
                assert_eq!(op.payload, crate::redo::encode_ops(&ops), "{case}");
                assert!(op.undo.is_empty(), "{case}");
                // Recovery: the image (or the page as it was) and the change redo the page.
                let mut replayed = if let Some(image) = image {
                    let mut page = vec![0u8; PAGE];
                    let rec = LogRecord::PageImage(image.clone());
                    assert_eq!(redo(&mut page, &rec).unwrap(), Redo::Applied, "{case}");
                    assert!(page == before, "{case}: the image is not the page");
                    page
                } else {
                    before.clone()
                };
                assert_eq!(
                    redo(&mut replayed, change).unwrap(),
                    Redo::Applied,
                    "{case}"
                );
                assert!(replayed == after, "{case}: redo differs from the page");
                tree.check_invariants().unwrap();
            }
        }
    }

    /// Two lines that overlap on a damaged page: each delete alone would pass on the page
    /// as it is, but once the last line is gone the other runs past the end of the data
    /// area. The check follows the deletes in turn, so the change fails before anything is
    /// logged and the page is left as it was, as the copy path leaves it.
    #[test]
    fn line_deletes_that_would_fail_in_turn_are_refused_before_they_are_logged() {
        let (env, tree) = one_leaf();
        let leaf = tree.root();
        {
            let mut page = env.cache.write(TestDb::DB, leaf).unwrap();
            let len = page.len();
            let data_end = usize::from(u16::from_le_bytes([
                page[DATA_END_OFFSET],
                page[DATA_END_OFFSET + 1],
            ]));
            // Line 19's tag is made to run to the end of the data area, over line 20.
            let tag = len - TAG_BYTES * 20;
            let offset = usize::from(u16::from_le_bytes([page[tag], page[tag + 1]]));
            let size = (data_end - offset) as u16;
            page[tag + 2..tag + 4].copy_from_slice(&size.to_le_bytes());
        }
        let before = env.cache.read(TestDb::DB, leaf).unwrap().to_vec();
        let ops = deletes(&[20, 19]);
        let mut copy = env.db.copy_of(&before);
        let copy_err = apply_trusted(&mut copy, leaf, &ops, Dbtime(u64::MAX)).unwrap_err();
        assert!(matches!(copy_err, Error::Corrupt { .. }), "{copy_err:?}");
        let from = env.log.record_count();
        let err = env
            .db
            .atomic(|| env.db.change(leaf, RecKind::Delete, Trx::MIN, &ops, false))
            .unwrap_err();
        assert_eq!(err.to_string(), copy_err.to_string(), "the copy's error");
        assert_eq!(env.log.record_count(), from, "nothing logged");
        let after = env.cache.read(TestDb::DB, leaf).unwrap().to_vec();
        assert!(after == before, "the page changed");
        // Either delete alone passes the one-operation check on this page.
        for op in &ops {
            crate::edit::Edit::view(&before).unwrap().check(op).unwrap();
        }
    }
}
