//! The database page: header, checksum, and lines (ESE's CPAGE and its tags).
//!
//! # Layout
//!
//! Every page, whatever its size (4, 8, 16 or 32 KiB, taken from the buffer's length, never from
//! a global), has the same 40-byte header, then a data area growing up, then a free gap, then the
//! tag array growing down from the end of the page:
//!
//! ```text
//!  0        4       8             16      20      24       28      32   34   36   38   40
//!  +--------+-------+-------------+-------+-------+--------+-------+----+----+----+----+
//!  |checksum| pgno  |   dbtime    | prev  | next  | objid  | flags |free|unc |dend|nlin|
//!  +--------+-------+-------------+-------+-------+--------+-------+----+----+----+----+
//!  40                                     data_end            len - 4*nlines        len
//!  +--------------------------------------+---------------------+------+-----+------+
//!  | line bytes (any order, with holes)   |    contiguous free  |tag n-1| ... | tag 0|
//!  +--------------------------------------+---------------------+------+-----+------+
//!  tag i (4 bytes at len - 4*(i+1)):  u16 offset of the line from the page start, u16 size
//! ```
//!
//! All integers are little-endian. `free` is ESE's cbFree: every byte not used by the header,
//! a line or a tag, holes included. `unc` is cbUncommittedFree: free bytes a rollback may still
//! need, which inserts may not take. `dend` is ibMicFree, the end of the data area.
//!
//! # Checksum
//!
//! The checksum is crc32c over the page number (4 bytes, little-endian) followed by every byte
//! of the page after the checksum field. Mixing the page number in means a correct page written
//! at, or read from, the wrong offset fails verification, and because the page number is also
//! stored at offset 4, [`verify`] can say which page it really is. A CRC detects every single-bit
//! error and every burst of up to 32 bits, at any page size.
//!
//! # Lines
//!
//! Lines are addressed by index. Insert and delete shift the later tags, as ESE's
//! `CPAGE::Insert`/`Delete` do; the line bytes themselves do not move. Deleting, or replacing
//! with something smaller, leaves a hole; an insert or a growing replace that does not fit in the
//! contiguous gap but does fit in the total free space first [`PageMut::reorganize`]s the page
//! (compacts the data area, ESE's `ReorganizePage`). A line that fits in neither returns
//! [`PageError::PageFull`]. Every entry point validates the page's structure first and returns
//! [`PageError::Corrupt`] rather than panicking on a damaged page.

use std::fmt;

use ese_core::limits::{PAGE_SIZE_MAX_BYTES, is_valid_page_size};
use ese_core::{Dbtime, Pgno};

/// Size of the page header, for every page size.
pub const HEADER_BYTES: usize = 40;
/// Size of one tag (line offset and size) in the tag array.
pub const TAG_BYTES: usize = 4;

/// Byte offset of the checksum (u32).
pub const CHECKSUM_OFFSET: usize = 0;
/// Byte offset of the page number (u32).
pub const PGNO_OFFSET: usize = 4;
/// Byte offset of the dbtime of the last change (u64).
pub const DBTIME_OFFSET: usize = 8;
/// Byte offset of the previous page at the same level (u32, 0 = none).
pub const PREV_OFFSET: usize = 16;
/// Byte offset of the next page at the same level (u32, 0 = none).
pub const NEXT_OFFSET: usize = 20;
/// Byte offset of the owning object's id (u32, ESE's objidFDP).
pub const OBJID_OFFSET: usize = 24;
/// Byte offset of the page flags (u32).
pub const FLAGS_OFFSET: usize = 28;
/// Byte offset of the free byte count (u16, ESE's cbFree).
pub const FREE_OFFSET: usize = 32;
/// Byte offset of the uncommitted free byte count (u16, ESE's cbUncommittedFree).
pub const UNCOMMITTED_FREE_OFFSET: usize = 34;
/// Byte offset of the end of the data area (u16, from the page start; ESE's ibMicFree).
pub const DATA_END_OFFSET: usize = 36;
/// Byte offset of the number of lines (u16, ESE's itagMic).
pub const LINE_COUNT_OFFSET: usize = 38;

const _: () = assert!(LINE_COUNT_OFFSET + 2 == HEADER_BYTES);
// Offsets and sizes of lines are u16: the largest page must fit.
const _: () = assert!(ese_core::limits::PAGE_SIZE_MAX_BYTES <= u16::MAX as usize + 1);

/// Why a page could not be verified, decoded or changed. Every variant names the page.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageError {
    /// The buffer is not 4, 8, 16 or 32 KiB long.
    BadSize {
        /// The buffer's length.
        len: usize,
    },
    /// The page is all zeros: it was never written (ESE's JET_errPageNotInitialized).
    Uninitialized {
        /// The page that was read.
        pgno: Pgno,
    },
    /// The checksum does not match the contents (ESE's JET_errReadVerifyFailure).
    ChecksumMismatch {
        /// The page that was read.
        pgno: Pgno,
        /// The checksum stored in the page.
        stored: u32,
        /// The checksum of the contents.
        computed: u32,
    },
    /// The page is intact but is another page: it was written at, or read from, the wrong
    /// offset.
    PgnoMismatch {
        /// The page that was read.
        expected: Pgno,
        /// The page number the contents belong to.
        found: Pgno,
    },
    /// The header or tag array is inconsistent.
    Corrupt {
        /// The page number stored in the page.
        pgno: Pgno,
        /// What is inconsistent.
        what: &'static str,
    },
    /// The page has not enough free space for the change (ESE's errPMOutOfPageSpace).
    PageFull {
        /// The page being changed.
        pgno: Pgno,
        /// Bytes the change needs (line plus tag).
        needed: usize,
        /// Bytes the page can give.
        available: usize,
    },
    /// A line index is past the end of the tag array.
    NoSuchLine {
        /// The page being read or changed.
        pgno: Pgno,
        /// The index asked for.
        index: usize,
        /// The number of lines on the page.
        count: usize,
    },
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::BadSize { len } => {
                write!(f, "page buffer of {len} bytes is not a valid page size")
            }
            PageError::Uninitialized { pgno } => {
                write!(f, "page {pgno} is uninitialized (all zero)")
            }
            PageError::ChecksumMismatch {
                pgno,
                stored,
                computed,
            } => write!(
                f,
                "page {pgno} fails its checksum (stored {stored:#010x}, computed {computed:#010x})"
            ),
            PageError::PgnoMismatch { expected, found } => write!(
                f,
                "page {expected} holds page {found}: page number mismatch (misdirected write)"
            ),
            PageError::Corrupt { pgno, what } => write!(f, "page {pgno} is corrupt: {what}"),
            PageError::PageFull {
                pgno,
                needed,
                available,
            } => write!(
                f,
                "page {pgno} is full: {needed} bytes needed, {available} available"
            ),
            PageError::NoSuchLine { pgno, index, count } => {
                write!(f, "page {pgno} has {count} lines, no line {index}")
            }
        }
    }
}

impl std::error::Error for PageError {}

fn get_u16(page: &[u8], at: usize) -> u16 {
    match page.get(at..at + 2) {
        Some(b) => u16::from_le_bytes([b[0], b[1]]),
        None => 0,
    }
}

fn get_u32(page: &[u8], at: usize) -> u32 {
    match page.get(at..at + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

fn get_u64(page: &[u8], at: usize) -> u64 {
    match page.get(at..at + 8) {
        Some(b) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_le_bytes(a)
        }
        None => 0,
    }
}

fn put(page: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = page.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

/// The checksum of `page` as page `pgno`: crc32c over the page number, then every byte after
/// the checksum field.
pub fn checksum(page: &[u8], pgno: Pgno) -> u32 {
    let seed = crc32c::crc32c(&pgno.0.to_le_bytes());
    crc32c::crc32c_append(seed, page.get(CHECKSUM_OFFSET + 4..).unwrap_or(&[]))
}

/// Stamps `pgno` into the page and stores its checksum; call just before the page is written.
///
/// A buffer shorter than the header is left alone (it cannot be a page, and [`verify`] rejects
/// it).
pub fn seal(page: &mut [u8], pgno: Pgno) {
    if page.len() < HEADER_BYTES {
        return;
    }
    put(page, PGNO_OFFSET, &pgno.0.to_le_bytes());
    let sum = checksum(page, pgno);
    put(page, CHECKSUM_OFFSET, &sum.to_le_bytes());
}

/// Checks the structure of `page` ([`check`]) and only then [`seal`]s it: what to do with every
/// page just before it is written, so a page damaged in memory is never made to look valid.
pub fn seal_checked(page: &mut [u8], pgno: Pgno) -> Result<(), PageError> {
    check(page)?;
    seal(page, pgno);
    Ok(())
}

/// Checks a page just read as page `pgno`: its size, that it was ever written, its checksum,
/// and that it is page `pgno` and not another. Does not check the structure (see [`check`]).
pub fn verify(page: &[u8], pgno: Pgno) -> Result<(), PageError> {
    if !is_valid_page_size(page.len()) {
        return Err(PageError::BadSize { len: page.len() });
    }
    if page.iter().all(|&b| b == 0) {
        return Err(PageError::Uninitialized { pgno });
    }
    let stored = get_u32(page, CHECKSUM_OFFSET);
    let computed = checksum(page, pgno);
    if stored == computed {
        let found = Pgno(get_u32(page, PGNO_OFFSET));
        // Only reachable if a page was sealed under one number and stamped with another.
        if found != pgno {
            return Err(PageError::PgnoMismatch {
                expected: pgno,
                found,
            });
        }
        return Ok(());
    }
    let found = Pgno(get_u32(page, PGNO_OFFSET));
    if found != pgno && checksum(page, found) == stored {
        return Err(PageError::PgnoMismatch {
            expected: pgno,
            found,
        });
    }
    Err(PageError::ChecksumMismatch {
        pgno,
        stored,
        computed,
    })
}

/// The page flags (ESE's page flags, at the same bit positions).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PageFlags(u32);

impl PageFlags {
    /// No flag set.
    pub const NONE: PageFlags = PageFlags(0);
    /// The root of a B-tree (ESE's fPageRoot).
    pub const ROOT: PageFlags = PageFlags(0x1);
    /// A leaf page (ESE's fPageLeaf).
    pub const LEAF: PageFlags = PageFlags(0x2);
    /// A branch page whose children are leaves (ESE's fPageParentOfLeaf).
    pub const PARENT: PageFlags = PageFlags(0x4);
    /// A freed page, belonging to no tree (ESE's fPageEmpty).
    pub const EMPTY: PageFlags = PageFlags(0x8);
    /// A page touched by repair (ESE's fPageRepair).
    pub const REPAIR: PageFlags = PageFlags(0x10);
    /// A page of a space tree (ESE's fPageSpaceTree).
    pub const SPACE_TREE: PageFlags = PageFlags(0x20);
    /// A page of a secondary index (ESE's fPageIndex).
    pub const INDEX: PageFlags = PageFlags(0x40);
    /// A page of a long-value tree (ESE's fPageLongValue).
    pub const LONG_VALUE: PageFlags = PageFlags(0x80);
    /// An index page whose keys need not be unique (ESE's fPageNonUniqueKeys).
    pub const NON_UNIQUE_KEYS: PageFlags = PageFlags(0x400);

    const KNOWN: u32 = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x400;
    const NAMES: [(PageFlags, &'static str); 9] = [
        (Self::ROOT, "ROOT"),
        (Self::LEAF, "LEAF"),
        (Self::PARENT, "PARENT"),
        (Self::EMPTY, "EMPTY"),
        (Self::REPAIR, "REPAIR"),
        (Self::SPACE_TREE, "SPACE_TREE"),
        (Self::INDEX, "INDEX"),
        (Self::LONG_VALUE, "LONG_VALUE"),
        (Self::NON_UNIQUE_KEYS, "NON_UNIQUE_KEYS"),
    ];

    /// The flags as stored on disk.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The flags from their on-disk value, or `None` when an unknown bit is set.
    pub const fn from_bits(bits: u32) -> Option<PageFlags> {
        if bits & !Self::KNOWN == 0 {
            Some(PageFlags(bits))
        } else {
            None
        }
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: PageFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flags of both.
    pub const fn union(self, other: PageFlags) -> PageFlags {
        PageFlags(self.0 | other.0)
    }

    /// These flags without those of `other`.
    pub const fn difference(self, other: PageFlags) -> PageFlags {
        PageFlags(self.0 & !other.0)
    }
}

impl std::ops::BitOr for PageFlags {
    type Output = PageFlags;
    fn bitor(self, rhs: PageFlags) -> PageFlags {
        self.union(rhs)
    }
}

impl fmt::Debug for PageFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Self::NAMES
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect();
        if names.is_empty() {
            f.write_str("PageFlags(NONE)")
        } else {
            write!(f, "PageFlags({})", names.join(" | "))
        }
    }
}

/// Every header field of a page, as read from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageHeader {
    /// The checksum as stored.
    pub checksum: u32,
    /// The page number as stored.
    pub pgno: Pgno,
    /// The dbtime of the last change.
    pub dbtime: Dbtime,
    /// The previous page at the same level, or [`Pgno::NULL`].
    pub prev: Pgno,
    /// The next page at the same level, or [`Pgno::NULL`].
    pub next: Pgno,
    /// The id of the object (B-tree) that owns the page (ESE's objidFDP).
    pub objid: u32,
    /// The page flags.
    pub flags: PageFlags,
    /// Bytes not used by the header, a line or a tag, holes included (ESE's cbFree).
    pub free_bytes: u16,
    /// Free bytes held back for rollback, which inserts may not take (ESE's cbUncommittedFree).
    pub uncommitted_free_bytes: u16,
    /// The end of the data area, from the page start (ESE's ibMicFree).
    pub data_end: u16,
    /// The number of lines (ESE's tags).
    pub line_count: u16,
}

/// Reads the header fields without checking them.
fn read_header(page: &[u8]) -> PageHeader {
    PageHeader {
        checksum: get_u32(page, CHECKSUM_OFFSET),
        pgno: Pgno(get_u32(page, PGNO_OFFSET)),
        dbtime: Dbtime(get_u64(page, DBTIME_OFFSET)),
        prev: Pgno(get_u32(page, PREV_OFFSET)),
        next: Pgno(get_u32(page, NEXT_OFFSET)),
        objid: get_u32(page, OBJID_OFFSET),
        // Unknown bits are rejected by `check`; here they are kept as they are.
        flags: PageFlags(get_u32(page, FLAGS_OFFSET)),
        free_bytes: get_u16(page, FREE_OFFSET),
        uncommitted_free_bytes: get_u16(page, UNCOMMITTED_FREE_OFFSET),
        data_end: get_u16(page, DATA_END_OFFSET),
        line_count: get_u16(page, LINE_COUNT_OFFSET),
    }
}

fn tag_at(page: &[u8], index: usize) -> (usize, usize) {
    let at = page.len().wrapping_sub(TAG_BYTES * (index + 1));
    (get_u16(page, at) as usize, get_u16(page, at + 2) as usize)
}

fn set_tag(page: &mut [u8], index: usize, offset: usize, size: usize) {
    let at = page.len().wrapping_sub(TAG_BYTES * (index + 1));
    put(page, at, &(offset as u16).to_le_bytes());
    put(page, at + 2, &(size as u16).to_le_bytes());
}

/// Sets the bits `start..end` of `bits`, word by word, and says whether any was already set.
/// Both bounds are at most the page size, which `bits` covers.
fn mark_range(bits: &mut [u64], start: usize, end: usize) -> bool {
    let mut overlap = false;
    let mut at = start;
    while at < end {
        let word = at / 64;
        let lo = at % 64;
        let hi = (end - word * 64).min(64);
        let mask = if hi - lo == 64 {
            u64::MAX
        } else {
            ((1u64 << (hi - lo)) - 1) << lo
        };
        if let Some(w) = bits.get_mut(word) {
            overlap |= *w & mask != 0;
            *w |= mask;
        }
        at = word * 64 + hi;
    }
    overlap
}

/// The bytes the first `count` lines of `page` take, once every line is found inside the data
/// area (before `data_end`) and disjoint from the others, using a bitmap of `WORDS` 64-byte
/// words (at least the page's size in bits / 64).
fn lines_used<const WORDS: usize>(
    page: &[u8],
    count: usize,
    data_end: usize,
) -> Result<usize, &'static str> {
    let mut occupied = [0u64; WORDS];
    let mut used = 0usize;
    for i in 0..count {
        let (offset, size) = tag_at(page, i);
        if size == 0 {
            continue;
        }
        if offset < HEADER_BYTES || offset + size > data_end {
            return Err("a line lies outside the data area");
        }
        if mark_range(&mut occupied, offset, offset + size) {
            return Err("two lines overlap");
        }
        used += size;
    }
    Ok(used)
}

/// Checks the structure of a page (header fields, tag array, lines in bounds and disjoint, free
/// space accounting) and returns its header. Does not check the checksum (see [`verify`]).
pub fn check(page: &[u8]) -> Result<PageHeader, PageError> {
    let len = page.len();
    if !is_valid_page_size(len) {
        return Err(PageError::BadSize { len });
    }
    let h = read_header(page);
    let corrupt = |what| PageError::Corrupt { pgno: h.pgno, what };
    if PageFlags::from_bits(h.flags.0).is_none() {
        return Err(corrupt("unknown page flag bits are set"));
    }
    let count = h.line_count as usize;
    let tags_bytes = count * TAG_BYTES;
    if HEADER_BYTES + tags_bytes > len {
        return Err(corrupt("the tag array overlaps the header"));
    }
    let tag_start = len - tags_bytes;
    let data_end = h.data_end as usize;
    if data_end < HEADER_BYTES || data_end > tag_start {
        return Err(corrupt("the end of the data area is out of range"));
    }
    // Lines must not overlap. Marking each line's bytes in a bitmap of the data area costs one
    // pass over the tags and no allocation: this check runs on every page change, so a sort of
    // the extents (the obvious way) showed up as a large share of insert time. The bitmap is
    // sized to the page (zeroing one for the largest page cost more than the marking).
    let used = match len {
        4096 => lines_used::<{ 4096 / 64 }>(page, count, data_end),
        8192 => lines_used::<{ 8192 / 64 }>(page, count, data_end),
        16384 => lines_used::<{ 16384 / 64 }>(page, count, data_end),
        _ => lines_used::<{ PAGE_SIZE_MAX_BYTES / 64 }>(page, count, data_end),
    }
    .map_err(corrupt)?;
    if h.free_bytes as usize + used + tags_bytes + HEADER_BYTES != len {
        return Err(corrupt("the free byte count does not match the lines"));
    }
    if h.uncommitted_free_bytes > h.free_bytes {
        return Err(corrupt("uncommitted free bytes exceed free bytes"));
    }
    Ok(h)
}

/// A page whose structure has been checked, for reading its lines.
#[derive(Clone, Copy, Debug)]
pub struct PageView<'a> {
    page: &'a [u8],
    header: PageHeader,
}

impl<'a> PageView<'a> {
    /// Checks the structure of `page` (not its checksum) and gives a view of it.
    pub fn new(page: &'a [u8]) -> Result<Self, PageError> {
        let header = check(page)?;
        Ok(Self { page, header })
    }

    /// Verifies `page` as page `pgno` ([`verify`]), then checks its structure: what to do with
    /// every page just read.
    pub fn verified(page: &'a [u8], pgno: Pgno) -> Result<Self, PageError> {
        verify(page, pgno)?;
        Self::new(page)
    }

    /// The header fields.
    pub fn header(&self) -> PageHeader {
        self.header
    }

    /// The page size in bytes.
    pub fn page_size(&self) -> usize {
        self.page.len()
    }

    /// The number of lines.
    pub fn line_count(&self) -> usize {
        self.header.line_count as usize
    }

    /// The bytes of line `index`.
    pub fn line(&self, index: usize) -> Result<&'a [u8], PageError> {
        if index >= self.line_count() {
            return Err(PageError::NoSuchLine {
                pgno: self.header.pgno,
                index,
                count: self.line_count(),
            });
        }
        let (offset, size) = tag_at(self.page, index);
        if size == 0 {
            return Ok(&[]);
        }
        // `check` proved every non-empty line lies inside the page.
        self.page
            .get(offset..offset + size)
            .ok_or(PageError::Corrupt {
                pgno: self.header.pgno,
                what: "a line lies outside the page",
            })
    }

    /// Every line, in index order.
    pub fn lines(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.line_count()).filter_map(|i| self.line(i).ok())
    }

    /// Free bytes, holes included (ESE's cbFree).
    pub fn free_bytes(&self) -> usize {
        self.header.free_bytes as usize
    }

    /// Free bytes an insert may take: free bytes less those held for rollback.
    pub fn available_bytes(&self) -> usize {
        self.free_bytes()
            .saturating_sub(self.header.uncommitted_free_bytes as usize)
    }

    /// Free bytes between the data area and the tag array, usable without reorganizing.
    pub fn contiguous_free_bytes(&self) -> usize {
        (self.page.len() - TAG_BYTES * self.line_count())
            .saturating_sub(self.header.data_end as usize)
    }
}

/// The largest line a page of `page_size` bytes can hold (alone, with its tag).
pub const fn max_line_bytes(page_size: usize) -> usize {
    page_size - HEADER_BYTES - TAG_BYTES
}

/// A page whose structure has been checked, for changing it in place.
///
/// Every change keeps the structure valid; none updates the checksum, which [`seal`] sets just
/// before the page is written.
#[derive(Debug)]
pub struct PageMut<'a> {
    page: &'a mut [u8],
}

impl<'a> PageMut<'a> {
    /// Checks the structure of `page` (not its checksum) and gives it for changing.
    pub fn new(page: &'a mut [u8]) -> Result<Self, PageError> {
        check(page)?;
        Ok(Self { page })
    }

    /// Formats `page` as an empty page (ESE's CPAGE::Init): every byte is rewritten.
    pub fn init(
        page: &'a mut [u8],
        pgno: Pgno,
        objid: u32,
        flags: PageFlags,
        dbtime: Dbtime,
    ) -> Result<Self, PageError> {
        let len = page.len();
        if !is_valid_page_size(len) {
            return Err(PageError::BadSize { len });
        }
        page.fill(0);
        put(page, PGNO_OFFSET, &pgno.0.to_le_bytes());
        put(page, OBJID_OFFSET, &objid.to_le_bytes());
        put(page, FLAGS_OFFSET, &flags.0.to_le_bytes());
        put(page, DBTIME_OFFSET, &dbtime.0.to_le_bytes());
        put(
            page,
            FREE_OFFSET,
            &((len - HEADER_BYTES) as u16).to_le_bytes(),
        );
        put(page, DATA_END_OFFSET, &(HEADER_BYTES as u16).to_le_bytes());
        Ok(Self { page })
    }

    /// A read-only view of the page as it is now.
    pub fn view(&self) -> PageView<'_> {
        PageView {
            header: read_header(self.page),
            page: self.page,
        }
    }

    /// The page bytes.
    pub fn bytes(&self) -> &[u8] {
        self.page
    }

    /// The header fields.
    pub fn header(&self) -> PageHeader {
        read_header(self.page)
    }

    /// Sets the dbtime of the last change.
    pub fn set_dbtime(&mut self, dbtime: Dbtime) {
        put(self.page, DBTIME_OFFSET, &dbtime.0.to_le_bytes());
    }

    /// Sets the previous page at the same level.
    pub fn set_prev(&mut self, prev: Pgno) {
        put(self.page, PREV_OFFSET, &prev.0.to_le_bytes());
    }

    /// Sets the next page at the same level.
    pub fn set_next(&mut self, next: Pgno) {
        put(self.page, NEXT_OFFSET, &next.0.to_le_bytes());
    }

    /// Sets the owning object's id.
    pub fn set_objid(&mut self, objid: u32) {
        put(self.page, OBJID_OFFSET, &objid.to_le_bytes());
    }

    /// Sets the page flags.
    pub fn set_flags(&mut self, flags: PageFlags) {
        put(self.page, FLAGS_OFFSET, &flags.0.to_le_bytes());
    }

    /// Sets the free bytes held back for rollback; they may not exceed the free bytes.
    pub fn set_uncommitted_free_bytes(&mut self, bytes: u16) -> Result<(), PageError> {
        let h = self.header();
        if bytes > h.free_bytes {
            return Err(PageError::PageFull {
                pgno: h.pgno,
                needed: bytes as usize,
                available: h.free_bytes as usize,
            });
        }
        put(self.page, UNCOMMITTED_FREE_OFFSET, &bytes.to_le_bytes());
        Ok(())
    }

    /// The bytes of line `index`.
    pub fn line(&self, index: usize) -> Result<&[u8], PageError> {
        let view = self.view();
        let count = view.line_count();
        if index >= count {
            return Err(self.no_such_line(index, count));
        }
        let (offset, size) = tag_at(self.page, index);
        if size == 0 {
            return Ok(&[]);
        }
        self.page
            .get(offset..offset + size)
            .ok_or(PageError::Corrupt {
                pgno: view.header.pgno,
                what: "a line lies outside the page",
            })
    }

    fn no_such_line(&self, index: usize, count: usize) -> PageError {
        PageError::NoSuchLine {
            pgno: self.header().pgno,
            index,
            count,
        }
    }

    fn set_counts(&mut self, free: usize, data_end: usize, count: usize) {
        put(self.page, FREE_OFFSET, &(free as u16).to_le_bytes());
        put(self.page, DATA_END_OFFSET, &(data_end as u16).to_le_bytes());
        put(self.page, LINE_COUNT_OFFSET, &(count as u16).to_le_bytes());
    }

    fn zero(&mut self, from: usize, to: usize) {
        if let Some(bytes) = self.page.get_mut(from..to) {
            bytes.fill(0);
        }
    }

    /// Inserts `data` as line `index`, shifting later lines up by one (ESE's CPAGE::Insert).
    /// `index` may be the line count, to append.
    pub fn insert(&mut self, index: usize, data: &[u8]) -> Result<(), PageError> {
        let h = self.header();
        let count = h.line_count as usize;
        if index > count {
            return Err(self.no_such_line(index, count));
        }
        let needed = data.len() + TAG_BYTES;
        let available = h.free_bytes.saturating_sub(h.uncommitted_free_bytes) as usize;
        if needed > available {
            return Err(PageError::PageFull {
                pgno: h.pgno,
                needed,
                available,
            });
        }
        let len = self.page.len();
        if h.data_end as usize + needed > len - TAG_BYTES * count {
            self.reorganize();
        }
        let offset = self.header().data_end as usize;
        put(self.page, offset, data);
        // Tags index..count move one slot toward the data area.
        self.page.copy_within(
            len - TAG_BYTES * count..len - TAG_BYTES * index,
            len - TAG_BYTES * (count + 1),
        );
        let offset_stored = if data.is_empty() {
            HEADER_BYTES
        } else {
            offset
        };
        set_tag(self.page, index, offset_stored, data.len());
        self.set_counts(
            h.free_bytes as usize - needed,
            offset + data.len(),
            count + 1,
        );
        Ok(())
    }

    /// Replaces the bytes of line `index` with `data` (ESE's CPAGE::Replace).
    pub fn replace(&mut self, index: usize, data: &[u8]) -> Result<(), PageError> {
        let h = self.header();
        let count = h.line_count as usize;
        if index >= count {
            return Err(self.no_such_line(index, count));
        }
        let (offset, size) = tag_at(self.page, index);
        let len = self.page.len();
        let tag_start = len - TAG_BYTES * count;
        let mut data_end = h.data_end as usize;
        let free = h.free_bytes as usize;
        if data.len() <= size {
            // Shrinks in place; the tail becomes a hole, or gap if the line ends the data.
            put(self.page, offset, data);
            self.zero(offset + data.len(), offset + size);
            if offset + size == data_end {
                data_end = offset + data.len();
            }
            let stored = if data.is_empty() {
                HEADER_BYTES
            } else {
                offset
            };
            set_tag(self.page, index, stored, data.len());
            self.set_counts(free + size - data.len(), data_end, count);
            return Ok(());
        }
        let extra = data.len() - size;
        let available = free.saturating_sub(h.uncommitted_free_bytes as usize);
        if extra > available {
            return Err(PageError::PageFull {
                pgno: h.pgno,
                needed: extra,
                available,
            });
        }
        let new_offset = if size > 0 && offset + size == data_end && data_end + extra <= tag_start {
            // The line ends the data area and the gap can take the growth.
            offset
        } else {
            // Free the old bytes, and compact if the gap cannot take the whole new line.
            self.zero(offset, offset + size);
            set_tag(self.page, index, HEADER_BYTES, 0);
            if size > 0 && offset + size == data_end {
                data_end = offset;
            }
            put(self.page, DATA_END_OFFSET, &(data_end as u16).to_le_bytes());
            if data_end + data.len() > tag_start {
                self.reorganize();
                data_end = self.header().data_end as usize;
            }
            data_end
        };
        put(self.page, new_offset, data);
        set_tag(self.page, index, new_offset, data.len());
        self.set_counts(free - extra, data_end.max(new_offset + data.len()), count);
        Ok(())
    }

    /// Deletes line `index`, shifting later lines down by one (ESE's CPAGE::Delete).
    pub fn delete(&mut self, index: usize) -> Result<(), PageError> {
        let h = self.header();
        let count = h.line_count as usize;
        if index >= count {
            return Err(self.no_such_line(index, count));
        }
        let (offset, size) = tag_at(self.page, index);
        let len = self.page.len();
        self.zero(offset, offset + size);
        // Tags index+1..count move one slot toward the end of the page.
        self.page.copy_within(
            len - TAG_BYTES * count..len - TAG_BYTES * (index + 1),
            len - TAG_BYTES * (count - 1),
        );
        self.zero(len - TAG_BYTES * count, len - TAG_BYTES * (count - 1));
        let mut data_end = h.data_end as usize;
        if size > 0 && offset + size == data_end {
            data_end = offset;
        }
        self.set_counts(
            h.free_bytes as usize + size + TAG_BYTES,
            data_end,
            count - 1,
        );
        Ok(())
    }

    /// Compacts the data area so that all free space is one gap before the tag array (ESE's
    /// CPAGE::ReorganizePage). Lines keep their indexes and bytes; only their offsets change.
    pub fn reorganize(&mut self) {
        let h = self.header();
        let count = h.line_count as usize;
        let mut lines: Vec<(usize, usize, usize)> = (0..count)
            .map(|i| {
                let (offset, size) = tag_at(self.page, i);
                (offset, size, i)
            })
            .filter(|&(_, size, _)| size > 0)
            .collect();
        lines.sort_unstable();
        let mut pos = HEADER_BYTES;
        for (offset, size, index) in lines {
            // Lines move only toward the header, and in offset order, so none is overwritten
            // before it has moved.
            self.page.copy_within(offset..offset + size, pos);
            set_tag(self.page, index, pos, size);
            pos += size;
        }
        self.zero(pos, h.data_end as usize);
        put(self.page, DATA_END_OFFSET, &(pos as u16).to_le_bytes());
    }
}

/// A page as plain values: the header fields that are not derived, and the lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The page number.
    pub pgno: Pgno,
    /// The dbtime of the last change.
    pub dbtime: Dbtime,
    /// The previous page at the same level.
    pub prev: Pgno,
    /// The next page at the same level.
    pub next: Pgno,
    /// The owning object's id.
    pub objid: u32,
    /// The page flags.
    pub flags: PageFlags,
    /// Free bytes held back for rollback.
    pub uncommitted_free_bytes: u16,
    /// The lines, in index order.
    pub lines: Vec<Vec<u8>>,
}

impl Page {
    /// Decodes a page after checking its structure (not its checksum: see [`verify`]).
    pub fn decode(page: &[u8]) -> Result<Page, PageError> {
        let view = PageView::new(page)?;
        let h = view.header();
        Ok(Page {
            pgno: h.pgno,
            dbtime: h.dbtime,
            prev: h.prev,
            next: h.next,
            objid: h.objid,
            flags: h.flags,
            uncommitted_free_bytes: h.uncommitted_free_bytes,
            lines: view.lines().map(<[u8]>::to_vec).collect(),
        })
    }

    /// Encodes the page into `page` (whose length is the page size), compacted, every byte
    /// written, and sealed.
    pub fn encode(&self, page: &mut [u8]) -> Result<(), PageError> {
        let mut m = PageMut::init(page, self.pgno, self.objid, self.flags, self.dbtime)?;
        m.set_prev(self.prev);
        m.set_next(self.next);
        for (i, line) in self.lines.iter().enumerate() {
            m.insert(i, line)?;
        }
        m.set_uncommitted_free_bytes(self.uncommitted_free_bytes)?;
        seal(page, self.pgno);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{MemStorage, Storage};
    use ese_core::limits::PAGE_SIZES_BYTES;
    use proptest::prelude::*;

    /// A full 8 KiB leaf page: lines of varied sizes until no more fit, then sealed.
    fn sample_page(pgno: Pgno) -> Vec<u8> {
        let mut buf = vec![0u8; 8192];
        let mut m = PageMut::init(
            &mut buf,
            pgno,
            42,
            PageFlags::LEAF | PageFlags::ROOT,
            Dbtime(0x1234_5678),
        )
        .unwrap();
        m.set_prev(Pgno(3));
        m.set_next(Pgno(9));
        let mut i = 0usize;
        loop {
            let line: Vec<u8> = (0..(i * 37) % 300 + 1)
                .map(|j| (i * 31 + j) as u8)
                .collect();
            if m.insert(i, &line).is_err() {
                break;
            }
            i += 1;
        }
        // Fill the last few bytes exactly, so the page has no zero tail to hide in.
        let rest = m.view().available_bytes();
        if rest >= TAG_BYTES {
            m.insert(i, &vec![0x5a; rest - TAG_BYTES]).unwrap();
        }
        assert_eq!(m.view().free_bytes(), 0);
        seal(&mut buf, pgno);
        buf
    }

    #[test]
    fn every_single_bit_flip_of_a_full_8k_page_is_detected() {
        let pgno = Pgno(77);
        let mut page = sample_page(pgno);
        verify(&page, pgno).unwrap();
        let total = page.len() * 8;
        let mut detected = 0usize;
        for bit in 0..total {
            page[bit / 8] ^= 1 << (bit % 8);
            if verify(&page, pgno).is_err() {
                detected += 1;
            }
            page[bit / 8] ^= 1 << (bit % 8);
        }
        println!("single-bit flips detected: {detected} of {total}");
        assert_eq!(total, 65_536);
        assert_eq!(detected, total);
        verify(&page, pgno).unwrap();
    }

    #[test]
    fn a_page_written_at_the_wrong_offset_is_detected() {
        let disk = MemStorage::new();
        let size = 8192u64;
        for n in 1..=8u32 {
            disk.write_at(u64::from(n) * size, &sample_page(Pgno(n)))
                .unwrap();
        }
        // A misdirected write: page 5's image lands where page 7 belongs.
        disk.write_at(7 * size, &sample_page(Pgno(5))).unwrap();
        let mut buf = vec![0u8; 8192];
        disk.read_at(7 * size, &mut buf).unwrap();
        let err = verify(&buf, Pgno(7)).unwrap_err();
        assert_eq!(
            err,
            PageError::PgnoMismatch {
                expected: Pgno(7),
                found: Pgno(5)
            }
        );
        assert!(err.to_string().contains("page 7"), "{err}");
        // Even with the stamped page number forged to 7, the checksum (keyed by 5) fails.
        buf[PGNO_OFFSET..PGNO_OFFSET + 4].copy_from_slice(&7u32.to_le_bytes());
        assert!(matches!(
            verify(&buf, Pgno(7)),
            Err(PageError::ChecksumMismatch { pgno: Pgno(7), .. })
        ));
        disk.read_at(6 * size, &mut buf).unwrap();
        verify(&buf, Pgno(6)).unwrap();
    }

    #[test]
    fn a_torn_page_write_is_detected_after_a_crash() {
        use crate::crash::CrashStorage;
        let disk = CrashStorage::new();
        let pgno = Pgno(3);
        let old = sample_page(pgno);
        let mut new = old.clone();
        let mut m = PageMut::new(&mut new).unwrap();
        // Changes spread over the page: the header, a line near the start, one near the end.
        m.replace(0, &[0xc3]).unwrap();
        let last = m.view().line_count() - 1;
        let len = m.line(last).unwrap().len();
        m.replace(last, &vec![0x3c; len]).unwrap();
        m.set_dbtime(Dbtime(0x9999));
        seal(&mut new, pgno);
        disk.write_at(8192, &old).unwrap();
        disk.sync().unwrap();
        disk.write_at(8192, &new).unwrap();
        let (mut kept, mut lost, mut torn) = (0, 0, 0);
        for seed in 0..300 {
            let image = disk.crash_image(seed);
            let mut buf = vec![0u8; 8192];
            image.read_at(8192, &mut buf).unwrap();
            match verify(&buf, pgno) {
                Ok(()) if buf == new => kept += 1,
                Ok(()) if buf == old => lost += 1,
                Ok(()) => panic!("seed {seed}: a page that verifies is neither version"),
                Err(PageError::ChecksumMismatch { pgno: p, .. }) => {
                    assert_eq!(p, pgno);
                    torn += 1;
                }
                Err(e) => panic!("seed {seed}: {e}"),
            }
        }
        println!("torn page write, 300 seeds: {kept} kept, {lost} lost, {torn} torn and detected");
        assert!(
            kept > 0 && lost > 0 && torn > 0,
            "{kept} kept, {lost} lost, {torn} torn"
        );
    }

    #[test]
    fn verify_names_the_page_and_what_failed() {
        let zero = vec![0u8; 4096];
        let err = verify(&zero, Pgno(12)).unwrap_err();
        assert_eq!(err, PageError::Uninitialized { pgno: Pgno(12) });
        assert_eq!(err.to_string(), "page 12 is uninitialized (all zero)");
        let mut page = sample_page(Pgno(4));
        page[1000] ^= 0x10;
        let err = verify(&page, Pgno(4)).unwrap_err();
        assert!(matches!(
            err,
            PageError::ChecksumMismatch { pgno: Pgno(4), .. }
        ));
        assert!(
            err.to_string().starts_with("page 4 fails its checksum"),
            "{err}"
        );
        assert_eq!(
            verify(&[0u8; 100], Pgno(1)),
            Err(PageError::BadSize { len: 100 })
        );
        // A 4 KiB page cut from an 8 KiB one is not mistaken for a page.
        assert!(verify(&sample_page(Pgno(4))[..4096], Pgno(4)).is_err());
    }

    #[test]
    fn every_page_size_works_with_no_global() {
        for &size in &PAGE_SIZES_BYTES {
            let mut buf = vec![0u8; size];
            let mut m =
                PageMut::init(&mut buf, Pgno(2), 7, PageFlags::LEAF, Dbtime::START).unwrap();
            let big = vec![0xee; max_line_bytes(size)];
            m.insert(0, &big).unwrap();
            assert_eq!(m.view().free_bytes(), 0);
            assert!(matches!(
                m.insert(1, b""),
                Err(PageError::PageFull {
                    needed: 4,
                    available: 0,
                    ..
                })
            ));
            seal(&mut buf, Pgno(2));
            let v = PageView::verified(&buf, Pgno(2)).unwrap();
            assert_eq!(v.page_size(), size);
            assert_eq!(v.line(0).unwrap(), &big[..]);
        }
        assert_eq!(
            PageMut::init(&mut [0u8; 2048], Pgno(1), 0, PageFlags::NONE, Dbtime::NIL).unwrap_err(),
            PageError::BadSize { len: 2048 }
        );
    }

    #[test]
    fn a_full_page_reorganizes_before_it_refuses() {
        let mut buf = vec![0u8; 4096];
        let mut m = PageMut::init(&mut buf, Pgno(1), 1, PageFlags::LEAF, Dbtime::START).unwrap();
        // Ten 400-byte lines fill the page but for 4096-40-10*404 = 16 bytes.
        for i in 0..10 {
            m.insert(i, &[i as u8; 400]).unwrap();
        }
        // Deleting every other line leaves holes; a 1000-byte line fits only after compaction.
        for i in (0..10).step_by(2).rev() {
            m.delete(i).unwrap();
        }
        assert!(m.view().contiguous_free_bytes() < 1004);
        m.insert(0, &[0xaa; 1000]).unwrap();
        check(m.bytes()).unwrap();
        let lines: Vec<Vec<u8>> = m.view().lines().map(<[u8]>::to_vec).collect();
        let mut expected = vec![vec![0xaa; 1000]];
        expected.extend([1u8, 3, 5, 7, 9].iter().map(|&b| vec![b; 400]));
        assert_eq!(lines, expected);
        let before = m.bytes().to_vec();
        let err = m.insert(0, &[0u8; 3000]).unwrap_err();
        assert!(
            matches!(err, PageError::PageFull { pgno: Pgno(1), .. }),
            "{err}"
        );
        assert_eq!(m.bytes(), &before[..], "a refused insert changes nothing");
        assert!(matches!(
            m.replace(9, b"x"),
            Err(PageError::NoSuchLine {
                index: 9,
                count: 6,
                ..
            })
        ));
        // Held-back bytes are not handed to inserts.
        let free = m.view().free_bytes() as u16;
        m.set_uncommitted_free_bytes(free).unwrap();
        assert!(m.insert(0, b"").is_err());
        assert!(m.set_uncommitted_free_bytes(free + 1).is_err());
    }

    #[test]
    fn check_rejects_inconsistent_structure() {
        let good = {
            let mut buf = vec![0u8; 4096];
            let mut m =
                PageMut::init(&mut buf, Pgno(3), 1, PageFlags::LEAF, Dbtime::START).unwrap();
            m.insert(0, &[1; 100]).unwrap();
            m.insert(1, &[2; 50]).unwrap();
            buf
        };
        check(&good).unwrap();
        let tag1 = 4096 - 8;
        type Damage = Box<dyn Fn(&mut Vec<u8>)>;
        let cases: Vec<(&str, Damage)> = vec![
            (
                "unknown page flag",
                Box::new(|p| p[FLAGS_OFFSET + 3] = 0x80),
            ),
            (
                "the tag array overlaps",
                Box::new(|p| p[LINE_COUNT_OFFSET + 1] = 0x10),
            ),
            (
                "the end of the data area",
                Box::new(|p| p[DATA_END_OFFSET] = 10),
            ),
            (
                "outside the data area",
                Box::new(move |p| p[tag1 + 2] = 0xff),
            ),
            ("does not match", Box::new(|p| p[FREE_OFFSET] ^= 1)),
            (
                "uncommitted",
                Box::new(|p| p[UNCOMMITTED_FREE_OFFSET + 1] = 0xff),
            ),
            ("overlap", Box::new(move |p| p[tag1] = 60)),
        ];
        for (what, damage) in cases {
            let mut p = good.clone();
            damage(&mut p);
            let err = check(&p).unwrap_err();
            assert!(err.to_string().contains(what), "{what}: {err}");
            assert!(err.to_string().starts_with("page 3"), "{err}");
            assert!(Page::decode(&p).is_err());
            assert!(PageMut::new(&mut p).is_err());
        }
    }

    #[test]
    fn mark_range_agrees_with_a_byte_model() {
        // Ranges that start and end on and off word boundaries, touch, overlap and nest.
        let ranges = [
            (40, 41),
            (41, 64),
            (64, 128),
            (127, 129),
            (200, 600),
            (300, 301),
            (600, 700),
            (699, 1000),
            (5000, 5064),
            (32767, 32768),
            (0, 1),
        ];
        let mut bits = [0u64; PAGE_SIZE_MAX_BYTES / 64];
        let mut model = vec![false; PAGE_SIZE_MAX_BYTES];
        for (start, end) in ranges {
            let expected = model[start..end].iter().any(|b| *b);
            model[start..end].iter_mut().for_each(|b| *b = true);
            assert_eq!(
                mark_range(&mut bits, start, end),
                expected,
                "{start}..{end}"
            );
        }
        for (i, set) in model.iter().enumerate() {
            assert_eq!(bits[i / 64] >> (i % 64) & 1 == 1, *set, "byte {i}");
        }
    }

    #[test]
    fn seal_checked_refuses_a_damaged_page() {
        let mut page = sample_page(Pgno(8));
        seal_checked(&mut page, Pgno(8)).unwrap();
        verify(&page, Pgno(8)).unwrap();
        page[FREE_OFFSET] ^= 1;
        let before = page.clone();
        assert!(matches!(
            seal_checked(&mut page, Pgno(8)),
            Err(PageError::Corrupt { pgno: Pgno(8), .. })
        ));
        assert_eq!(page, before, "nothing was sealed");
        assert!(verify(&page, Pgno(8)).is_err());
    }

    #[test]
    fn flags_show_their_names() {
        let f = PageFlags::ROOT | PageFlags::SPACE_TREE;
        assert_eq!(format!("{f:?}"), "PageFlags(ROOT | SPACE_TREE)");
        assert!(f.contains(PageFlags::ROOT) && !f.contains(PageFlags::LEAF));
        assert_eq!(f.difference(PageFlags::ROOT), PageFlags::SPACE_TREE);
        assert_eq!(PageFlags::from_bits(0x21), Some(f));
        assert_eq!(PageFlags::from_bits(0x2000), None);
        assert_eq!(format!("{:?}", PageFlags::NONE), "PageFlags(NONE)");
    }

    #[derive(Debug, Clone)]
    enum LineOp {
        Insert(usize, Vec<u8>),
        Replace(usize, Vec<u8>),
        Delete(usize),
        Reorganize,
    }

    fn data() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            3 => proptest::collection::vec(any::<u8>(), 0..64),
            2 => proptest::collection::vec(any::<u8>(), 0..700),
            1 => (0usize..5000, any::<u8>()).prop_map(|(n, b)| vec![b; n]),
        ]
    }

    fn line_op() -> impl Strategy<Value = LineOp> {
        prop_oneof![
            5 => (any::<usize>(), data()).prop_map(|(i, d)| LineOp::Insert(i, d)),
            3 => (any::<usize>(), data()).prop_map(|(i, d)| LineOp::Replace(i, d)),
            3 => any::<usize>().prop_map(LineOp::Delete),
            1 => Just(LineOp::Reorganize),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn line_ops_match_a_vec_model_and_survive_a_round_trip(
            size_index in 0usize..4,
            ops in proptest::collection::vec(line_op(), 0..120),
        ) {
            let size = PAGE_SIZES_BYTES[size_index];
            let pgno = Pgno(1000 + size_index as u32);
            let mut buf = vec![0u8; size];
            let mut m = PageMut::init(&mut buf, pgno, 5, PageFlags::LEAF, Dbtime(9)).unwrap();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for op in ops {
                let before = m.bytes().to_vec();
                let used: usize = model.iter().map(|l| l.len() + TAG_BYTES).sum();
                let free = size - HEADER_BYTES - used;
                let result = match &op {
                    LineOp::Insert(i, d) => {
                        let i = i % (model.len() + 2); // sometimes one past the end
                        let r = m.insert(i, d);
                        let ok = i <= model.len() && d.len() + TAG_BYTES <= free;
                        prop_assert_eq!(r.is_ok(), ok, "insert {} of {}", i, d.len());
                        if ok {
                            model.insert(i, d.clone());
                        }
                        r
                    }
                    LineOp::Replace(i, d) => {
                        let i = i % (model.len() + 1);
                        let r = m.replace(i, d);
                        let ok = i < model.len() && d.len() <= free + model[i].len();
                        prop_assert_eq!(r.is_ok(), ok, "replace {} of {}", i, d.len());
                        if ok {
                            model[i] = d.clone();
                        }
                        r
                    }
                    LineOp::Delete(i) => {
                        let i = i % (model.len() + 1);
                        let r = m.delete(i);
                        prop_assert_eq!(r.is_ok(), i < model.len());
                        if i < model.len() {
                            model.remove(i);
                        }
                        r
                    }
                    LineOp::Reorganize => {
                        m.reorganize();
                        prop_assert_eq!(m.view().contiguous_free_bytes(), free);
                        Ok(())
                    }
                };
                if result.is_err() {
                    prop_assert_eq!(m.bytes(), &before[..], "a refused {:?} changed the page", op);
                }
                prop_assert!(check(m.bytes()).is_ok(), "{:?}", check(m.bytes()));
                prop_assert_eq!(m.view().free_bytes(), size - HEADER_BYTES
                    - model.iter().map(|l| l.len() + TAG_BYTES).sum::<usize>());
                prop_assert_eq!(m.view().line_count(), model.len());
            }
            let lines: Vec<Vec<u8>> = m.view().lines().map(<[u8]>::to_vec).collect();
            prop_assert_eq!(&lines, &model);
            // Round trip: seal, verify, decode, re-encode into a fresh buffer, decode again.
            seal(&mut buf, pgno);
            let view = PageView::verified(&buf, pgno).unwrap();
            prop_assert_eq!(view.line_count(), model.len());
            let page = Page::decode(&buf).unwrap();
            prop_assert_eq!(&page.lines, &model);
            prop_assert_eq!(page.pgno, pgno);
            let mut again = vec![0xffu8; size];
            page.encode(&mut again).unwrap();
            verify(&again, pgno).unwrap();
            prop_assert_eq!(Page::decode(&again).unwrap(), page);
        }
    }
}
