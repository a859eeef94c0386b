//! The node format: how keys and data sit in the lines of a B-tree page (ESE's NODE layer).
//!
//! Line 0 of every B-tree page is the page's *key prefix* (ESE keeps it in tag 0, the
//! "external header"): bytes shared by many keys of the page. Every later line is one node,
//! in key order, and says how many bytes of that prefix begin its key, so only the rest (the
//! suffix) is stored:
//!
//! ```text
//!   line 0:  | prefix bytes ...                                          |
//!   line i:  | flags u8 | prefix_used u16 | suffix_len u16 | suffix ... | payload ... |
//!            leaf payload: the data (the rest of the line)
//!            internal payload: the child page number (u32)
//! ```
//!
//! On an internal page, node `i` routes every key `k` with `sep(i-1) < k <= sep(i)` to its
//! child; the last node of every internal page carries [`NodeFlags::INF`] and an empty key,
//! meaning "up to the page's upper bound" (which its parent knows). The prefix is chosen when a
//! page is rebuilt (split, merge, new page) as the common prefix of its keys; a key inserted
//! later uses as much of it as it shares. Decoding checks every length against the line and
//! never panics.

use std::cmp::Ordering;

use ese_core::Dbtime;
use ese_core::Pgno;
use ese_pageio::page::{
    DATA_END_OFFSET, DBTIME_OFFSET, FLAGS_OFFSET, FREE_OFFSET, HEADER_BYTES, LINE_COUNT_OFFSET,
    NEXT_OFFSET, OBJID_OFFSET, PGNO_OFFSET, PREV_OFFSET, TAG_BYTES, UNCOMMITTED_FREE_OFFSET,
};
use ese_pageio::{PageFlags, PageHeader};

use crate::error::{Result, corrupt};

/// Bytes of a node's fixed header (flags, prefix length, suffix length).
pub const NODE_HEADER_BYTES: usize = 5;
/// Bytes of an internal node's payload (the child page number).
pub const CHILD_BYTES: usize = 4;

/// The flags of one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeFlags(pub u8);

impl NodeFlags {
    /// No flag.
    pub const NONE: NodeFlags = NodeFlags(0);
    /// The node is deleted but kept for snapshots that may still see it (ESE's fNDDeleted).
    pub const DELETED: NodeFlags = NodeFlags(0x1);
    /// A version-store entry may exist for the node (ESE's fNDVersion).
    pub const VERSIONED: NodeFlags = NodeFlags(0x2);
    /// The last node of an internal page: no separator, bounded by the parent.
    pub const INF: NodeFlags = NodeFlags(0x4);
    const KNOWN: u8 = 0x7;

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: NodeFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// These flags with those of `other` added.
    pub const fn with(self, other: NodeFlags) -> NodeFlags {
        NodeFlags(self.0 | other.0)
    }

    /// These flags without those of `other`.
    pub const fn without(self, other: NodeFlags) -> NodeFlags {
        NodeFlags(self.0 & !other.0)
    }
}

/// A node decoded out of its page, owning its key and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The node's flags.
    pub flags: NodeFlags,
    /// The whole key (prefix included); empty for an [`NodeFlags::INF`] node.
    pub key: Vec<u8>,
    /// Leaf: the data. Internal: the child page number, little-endian.
    pub payload: Vec<u8>,
}

impl Node {
    /// An internal node routing to `child`.
    pub fn internal(flags: NodeFlags, key: Vec<u8>, child: Pgno) -> Node {
        Node {
            flags,
            key,
            payload: child.0.to_le_bytes().to_vec(),
        }
    }

    /// The child of an internal node (or NULL when the payload is not a page number).
    pub fn child(&self) -> Pgno {
        child_of(&self.payload)
    }

    /// The bytes this node takes (line and tag) on a page whose prefix it shares
    /// `prefix_used` bytes of.
    pub fn size_with_prefix(&self, prefix_used: usize) -> usize {
        NODE_HEADER_BYTES + self.key.len() - prefix_used + self.payload.len() + TAG_BYTES
    }

    /// Encodes the node as a line for a page whose prefix is `prefix`.
    pub fn encode(&self, prefix: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(prefix, &mut out);
        out
    }

    /// [`Node::encode`] into `out` (cleared first; its buffer is reused).
    pub fn encode_into(&self, prefix: &[u8], out: &mut Vec<u8>) {
        let used = if self.flags.contains(NodeFlags::INF) {
            0
        } else {
            common_prefix(prefix, &self.key)
        };
        encode_line_into(self.flags, used, &self.key[used..], &self.payload, out);
    }
}

/// Encodes a node line from its parts.
pub fn encode_line(flags: NodeFlags, prefix_used: usize, suffix: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_line_into(flags, prefix_used, suffix, payload, &mut out);
    out
}

/// [`encode_line`] into `out` (cleared first; its buffer is reused).
pub fn encode_line_into(
    flags: NodeFlags,
    prefix_used: usize,
    suffix: &[u8],
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    out.clear();
    out.reserve(NODE_HEADER_BYTES + suffix.len() + payload.len());
    out.push(flags.0);
    // Keys and lines are bounded by the page size (at most 32 KiB), so both fit in u16.
    out.extend_from_slice(&(prefix_used as u16).to_le_bytes());
    out.extend_from_slice(&(suffix.len() as u16).to_le_bytes());
    out.extend_from_slice(suffix);
    out.extend_from_slice(payload);
}

/// The child page number in an internal payload.
pub fn child_of(payload: &[u8]) -> Pgno {
    match payload {
        [a, b, c, d] => Pgno(u32::from_le_bytes([*a, *b, *c, *d])),
        _ => Pgno::NULL,
    }
}

/// The length of the common prefix of `a` and `b`.
pub fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (x, y) = (&a[..n], &b[..n]);
    let mut done = 0;
    for (p, q) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
        let diff = masked_word(p, 8) ^ masked_word(q, 8);
        if diff != 0 {
            // The first differing byte is the most significant one set in the big-endian xor.
            return done + (diff.leading_zeros() / 8) as usize;
        }
        done += 8;
    }
    done + x[done..]
        .iter()
        .zip(&y[done..])
        .take_while(|(p, q)| p == q)
        .count()
}

/// `a.cmp(b)` in memcmp order, eight bytes at a time: node keys are short, and comparing
/// them in place costs less than a call to memcmp.
#[inline]
pub fn cmp_bytes(a: &[u8], b: &[u8]) -> Ordering {
    cmp_tails(a, a.len(), b, b.len())
}

/// The first `len` bytes of `tail` (at most eight) as the high bytes of a big-endian word,
/// the bytes past `len` zeroed. `tail` may run on past `len` (a suffix read in place runs on
/// into the rest of the page): reading eight bytes at once and masking is cheaper than
/// stopping at the end.
#[inline(always)]
fn masked_word(tail: &[u8], len: usize) -> u64 {
    let w = match tail.first_chunk::<8>() {
        Some(c) => u64::from_be_bytes(*c),
        // A short tail (a page prefix, a key's end) a byte at a time: fewer instructions
        // than the call to memcpy a copy into a zeroed word becomes.
        None => tail
            .iter()
            .zip((0..8).rev())
            .fold(0u64, |w, (&b, at)| w | u64::from(b) << (8 * at)),
    };
    w & WORD_MASKS[len.min(8)]
}

/// `WORD_MASKS[n]` keeps the `n` high bytes of a word.
const WORD_MASKS: [u64; 9] = {
    let mut m = [0u64; 9];
    let mut n = 1;
    while n < 8 {
        m[n] = !(u64::MAX >> (8 * n));
        n += 1;
    }
    m[8] = u64::MAX;
    m
};

/// Compares the first `la` bytes of `a` with the first `lb` bytes of `b` in memcmp order
/// (`la <= a.len()` and `lb <= b.len()`), a word at a time. Two masked words that differ
/// order the strings as memcmp does: their first differing byte is either a real byte of
/// both, or a zero past the end of the shorter string against a nonzero byte of the longer,
/// which memcmp also puts after its prefix. Equal words decide by length once either string
/// ends within them.
#[inline(always)]
fn cmp_tails(mut a: &[u8], mut la: usize, mut b: &[u8], mut lb: usize) -> Ordering {
    loop {
        let (wa, wb) = (masked_word(a, la), masked_word(b, lb));
        if wa != wb {
            return wa.cmp(&wb);
        }
        if la <= 8 || lb <= 8 {
            return la.cmp(&lb);
        }
        if la == lb && la <= 16 {
            // The rest of two equally long strings, as the word that ends each: it overlaps
            // the eight bytes just found equal, so it orders them by the bytes after those.
            if let (Some(ta), Some(tb)) = (a.get(la - 8..la), b.get(lb - 8..lb))
                && let (Some(ta), Some(tb)) = (ta.first_chunk::<8>(), tb.first_chunk::<8>())
            {
                return u64::from_be_bytes(*ta).cmp(&u64::from_be_bytes(*tb));
            }
        }
        a = a.get(8..).unwrap_or_default();
        b = b.get(8..).unwrap_or_default();
        la -= 8;
        lb -= 8;
    }
}

/// One step of a lower-bound search over `lo..hi`: node `mid` compared with the key (`Less`:
/// the node is before it). An equal node is the bound unless an earlier one is, so it is
/// remembered in `equal_at` and the search goes on below it.
#[inline(always)]
fn narrow(ord: Ordering, mid: usize, lo: &mut usize, hi: &mut usize, equal_at: &mut Option<usize>) {
    match ord {
        Ordering::Less => *lo = mid + 1,
        Ordering::Equal => {
            *equal_at = Some(mid);
            *hi = mid;
        }
        Ordering::Greater => *hi = mid,
    }
}

/// A node read in place from its page.
#[derive(Clone, Copy, Debug)]
pub struct NodeRef<'a> {
    /// The node's flags.
    pub flags: NodeFlags,
    /// The part of the page prefix the key begins with.
    pub prefix: &'a [u8],
    /// The rest of the key.
    pub suffix: &'a [u8],
    /// The data (leaf) or the child page number (internal).
    pub payload: &'a [u8],
}

impl NodeRef<'_> {
    /// Compares the node's key with `key` (memcmp order) without copying it.
    pub fn cmp_key(&self, key: &[u8]) -> Ordering {
        let p = self.prefix.len().min(key.len());
        match cmp_bytes(&self.prefix[..p], &key[..p]) {
            Ordering::Equal => {}
            other => return other,
        }
        if key.len() < self.prefix.len() {
            // The key ends inside the prefix: the node's key is longer.
            return Ordering::Greater;
        }
        cmp_bytes(self.suffix, &key[self.prefix.len()..])
    }

    /// The whole key.
    pub fn key(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.prefix.len() + self.suffix.len());
        k.extend_from_slice(self.prefix);
        k.extend_from_slice(self.suffix);
        k
    }

    /// The key's length.
    pub fn key_len(&self) -> usize {
        self.prefix.len() + self.suffix.len()
    }

    /// The node, owning its bytes.
    pub fn to_node(&self) -> Node {
        Node {
            flags: self.flags,
            key: self.key(),
            payload: self.payload.to_vec(),
        }
    }

    /// Copies the node into `out`, reusing its buffers (a scan decodes every node it passes
    /// into one [`Node`] without allocating for each).
    #[inline]
    pub fn copy_into(&self, out: &mut Node) {
        out.flags = self.flags;
        out.key.clear();
        out.key.extend_from_slice(self.prefix);
        out.key.extend_from_slice(self.suffix);
        out.payload.clear();
        out.payload.extend_from_slice(self.payload);
    }

    /// The child of an internal node.
    pub fn child(&self) -> Pgno {
        child_of(self.payload)
    }

    /// Whether the node is visible at this layer (not flag-deleted).
    pub fn is_live(&self) -> bool {
        !self.flags.contains(NodeFlags::DELETED)
    }
}

/// Decodes one node line against the page prefix; never panics.
#[inline]
pub fn decode_line<'a>(pgno: Pgno, line: &'a [u8], prefix: &'a [u8]) -> Result<NodeRef<'a>> {
    if line.len() < NODE_HEADER_BYTES {
        return corrupt(pgno, "a node line is shorter than its header");
    }
    let flags = NodeFlags(line[0]);
    if flags.0 & !NodeFlags::KNOWN != 0 {
        return corrupt(pgno, "a node has unknown flag bits");
    }
    let used = u16::from_le_bytes([line[1], line[2]]) as usize;
    let suffix_len = u16::from_le_bytes([line[3], line[4]]) as usize;
    if used > prefix.len() {
        return corrupt(pgno, "a node uses more prefix than the page has");
    }
    let rest = &line[NODE_HEADER_BYTES..];
    if suffix_len > rest.len() {
        return corrupt(pgno, "a node's key runs past its line");
    }
    let (suffix, payload) = rest.split_at(suffix_len);
    Ok(NodeRef {
        flags,
        prefix: &prefix[..used],
        suffix,
        payload,
    })
}

/// A page read in place without the full structure check, every access bounds-checked.
///
/// The cache verifies a page's checksum when it reads it from disk and every change is made
/// by line operations that keep the structure sound (`PageMut`'s, or the same ones made
/// in place by the calls, see `crate::edit`); reads on the hot path therefore only check
/// what they touch. [`crate::BTree::check_invariants`] runs the full check.
#[derive(Clone, Copy, Debug)]
pub struct RawPage<'a> {
    bytes: &'a [u8],
    /// The header's flags, checked when the page was read.
    flags: PageFlags,
    /// The header's line count, checked against the page size.
    line_count: u16,
    /// The page number the page was read as (errors name it).
    pgno: Pgno,
}

/// Whether `len` is one of the page sizes a database may use (as
/// [`ese_core::limits::is_valid_page_size`] says): the sizes are the powers of two between the
/// smallest and the largest, which two comparisons tell apart more cheaply than a match of
/// each, on every page a read visits.
#[inline(always)]
fn is_page_size(len: usize) -> bool {
    use ese_core::limits::{PAGE_SIZE_MAX_BYTES, PAGE_SIZE_MIN_BYTES};
    len & len.wrapping_sub(1) == 0
        && len.wrapping_sub(PAGE_SIZE_MIN_BYTES) <= PAGE_SIZE_MAX_BYTES - PAGE_SIZE_MIN_BYTES
}

/// The little-endian `u16` at `at` of a header.
#[inline(always)]
fn header_u16(h: &[u8; HEADER_BYTES], at: usize) -> u16 {
    u16::from_le_bytes([h[at], h[at + 1]])
}

/// The little-endian `u32` at `at` of a header.
#[inline(always)]
fn header_u32(h: &[u8; HEADER_BYTES], at: usize) -> u32 {
    u32::from_le_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]])
}

fn raw_u16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |x| u16::from_le_bytes([x[0], x[1]]))
}

impl<'a> RawPage<'a> {
    /// Reads the header of `bytes`, checking the size, the flags, the line count and the
    /// free byte count. Only the fields a read needs on every visit are kept; the others
    /// are read when asked for ([`RawPage::header`]).
    #[inline]
    pub fn new(bytes: &'a [u8], pgno: Pgno) -> Result<RawPage<'a>> {
        if !is_page_size(bytes.len()) {
            return corrupt(pgno, "the page buffer is not a valid page size");
        }
        // Every field at a fixed offset of one fixed-size header: no bounds check each.
        let Some(h) = bytes.first_chunk::<HEADER_BYTES>() else {
            return corrupt(pgno, "the page buffer is not a valid page size");
        };
        let Some(flags) = PageFlags::from_bits(header_u32(h, FLAGS_OFFSET)) else {
            return corrupt(pgno, "unknown page flag bits are set");
        };
        let line_count = header_u16(h, LINE_COUNT_OFFSET);
        if HEADER_BYTES + TAG_BYTES * line_count as usize > bytes.len()
            || header_u16(h, FREE_OFFSET) as usize > bytes.len() - HEADER_BYTES
        {
            return corrupt(pgno, "the line count or free byte count is out of range");
        }
        Ok(RawPage {
            bytes,
            flags,
            line_count,
            pgno,
        })
    }

    /// The fixed-size header (the constructor checked the page holds one).
    #[inline(always)]
    fn head(&self) -> &'a [u8; HEADER_BYTES] {
        self.bytes
            .first_chunk::<HEADER_BYTES>()
            .unwrap_or(&[0; HEADER_BYTES])
    }

    /// The header fields.
    pub fn header(&self) -> PageHeader {
        let h = self.head();
        PageHeader {
            checksum: header_u32(h, 0),
            pgno: self.page_pgno(),
            dbtime: self.dbtime(),
            prev: self.prev(),
            next: self.next(),
            objid: self.objid(),
            flags: self.flags,
            free_bytes: header_u16(h, FREE_OFFSET),
            uncommitted_free_bytes: header_u16(h, UNCOMMITTED_FREE_OFFSET),
            data_end: header_u16(h, DATA_END_OFFSET),
            line_count: self.line_count,
        }
    }

    /// The header's flags.
    #[inline]
    pub fn flags(&self) -> PageFlags {
        self.flags
    }

    /// The page number the header holds.
    #[inline]
    pub fn page_pgno(&self) -> Pgno {
        Pgno(header_u32(self.head(), PGNO_OFFSET))
    }

    /// The header's object id.
    #[inline]
    pub fn objid(&self) -> u32 {
        header_u32(self.head(), OBJID_OFFSET)
    }

    /// The header's dbtime.
    #[inline]
    pub fn dbtime(&self) -> Dbtime {
        let h = self.head();
        Dbtime(
            u64::from(header_u32(h, DBTIME_OFFSET))
                | (u64::from(header_u32(h, DBTIME_OFFSET + 4)) << 32),
        )
    }

    /// The previous page at this level.
    #[inline]
    pub fn prev(&self) -> Pgno {
        Pgno(header_u32(self.head(), PREV_OFFSET))
    }

    /// The next page at this level.
    #[inline]
    pub fn next(&self) -> Pgno {
        Pgno(header_u32(self.head(), NEXT_OFFSET))
    }

    /// The page size.
    pub fn page_size(&self) -> usize {
        self.bytes.len()
    }

    /// The number of lines.
    #[inline]
    pub fn line_count(&self) -> usize {
        usize::from(self.line_count)
    }

    /// Line `i`, bounds-checked.
    #[inline]
    pub fn line(&self, i: usize) -> Result<&'a [u8]> {
        Ok(self.line_at(i)?.1)
    }

    /// Line `i` and where it starts on the page, bounds-checked.
    #[inline]
    pub fn line_at(&self, i: usize) -> Result<(usize, &'a [u8])> {
        if i >= self.line_count() {
            return corrupt(self.pgno, "a line index is past the tag array");
        }
        let at = self.bytes.len() - TAG_BYTES * (i + 1);
        let offset = raw_u16(self.bytes, at) as usize;
        let size = raw_u16(self.bytes, at + 2) as usize;
        if size == 0 {
            return Ok((at, &[]));
        }
        if offset < HEADER_BYTES || offset + size > at {
            return corrupt(self.pgno, "a line lies outside the data area");
        }
        Ok((offset, &self.bytes[offset..offset + size]))
    }

    /// Free bytes, holes included.
    pub fn free_bytes(&self) -> usize {
        usize::from(header_u16(self.head(), FREE_OFFSET))
    }

    /// Free bytes an insert may take.
    pub fn available_bytes(&self) -> usize {
        self.free_bytes().saturating_sub(usize::from(header_u16(
            self.head(),
            UNCOMMITTED_FREE_OFFSET,
        )))
    }
}

/// A key being searched for on one page, with what [`TreePage::lower_bound`] works out once
/// for all its probes.
struct Probe<'k> {
    /// Where node 0's tag is.
    first_tag: usize,
    /// The whole key.
    key: &'k [u8],
    /// How many bytes of the page prefix the key begins with.
    shared: usize,
    /// The key after those bytes.
    rest: &'k [u8],
    /// The first eight bytes of `rest`, as [`masked_word`] reads them.
    rest_word: u64,
}

/// What a search reads of a node before comparing it ([`TreePage::node_head`]).
#[derive(Clone, Copy)]
struct NodeHead {
    /// Where the node's line starts.
    offset: usize,
    /// Its flag bits.
    flags: u8,
    /// How many bytes of the page prefix its key uses.
    used: usize,
    /// How long its key's suffix is.
    suffix_len: usize,
    /// The eight bytes after its header, unmasked: the suffix's first word if it has one.
    word: u64,
}

impl NodeHead {
    /// The node's first suffix word as [`masked_word`] reads it, when that word alone can be
    /// set against the probe's: a node that is not the INF node and uses exactly the part of
    /// the prefix the key shares (then `used` is within the prefix, so it is sound).
    #[inline(always)]
    fn word_against(&self, probe: &Probe<'_>) -> Option<u64> {
        if self.flags & NodeFlags::INF.0 != 0 || self.used != probe.shared {
            return None;
        }
        // A suffix of eight bytes or more, the usual case, keeps its whole word.
        Some(if self.suffix_len >= 8 {
            self.word
        } else {
            self.word & WORD_MASKS[self.suffix_len & 7]
        })
    }
}

/// A page's layout as one visit found it ([`TreePage::shape`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PageShape {
    flags: PageFlags,
    line_count: u16,
    objid: u32,
    // Offsets on a page, which is at most 32 KiB.
    prefix_at: u16,
    prefix_len: u16,
}

/// A B-tree page read through its lines: the prefix and the nodes.
#[derive(Clone, Copy, Debug)]
pub struct TreePage<'a> {
    /// The page's header and lines.
    pub view: RawPage<'a>,
    /// The page's number.
    pub pgno: Pgno,
    /// The page's key prefix (line 0).
    pub prefix: &'a [u8],
    /// Where the prefix starts on the page (the page runs on past it: its tags follow).
    prefix_at: usize,
}

impl<'a> TreePage<'a> {
    /// Reads the page's header and its prefix line.
    #[inline]
    pub fn new(bytes: &'a [u8], pgno: Pgno) -> Result<TreePage<'a>> {
        let view = RawPage::new(bytes, pgno)?;
        if view.page_pgno() != pgno {
            return corrupt(pgno, "the page holds another page number");
        }
        if view.line_count() == 0 {
            return corrupt(pgno, "a B-tree page has no prefix line");
        }
        let (prefix_at, prefix) = view.line_at(0)?;
        Ok(TreePage {
            view,
            pgno,
            prefix,
            prefix_at,
        })
    }

    /// What [`TreePage::again`] needs to read this page again without parsing it.
    pub(crate) fn shape(&self) -> PageShape {
        PageShape {
            flags: self.view.flags,
            line_count: self.view.line_count,
            objid: self.view.objid(),
            prefix_at: self.prefix_at as u16,
            prefix_len: self.prefix.len() as u16,
        }
    }

    /// The page `bytes` read as it was when `shape` was taken from it, without the checks
    /// of [`TreePage::new`]: for a page whose dbtime is unchanged since (every change stamps
    /// a new one), so its bytes are those the checks passed. The header's flags, line count
    /// and object id are compared all the same, and the prefix must lie on the page; `None`
    /// (parse it) when any differs. Every later read of the page is bounds-checked as ever.
    #[inline]
    pub(crate) fn again(bytes: &'a [u8], pgno: Pgno, shape: &PageShape) -> Option<TreePage<'a>> {
        let h = bytes.first_chunk::<HEADER_BYTES>()?;
        let line_count = usize::from(shape.line_count);
        if header_u32(h, FLAGS_OFFSET) != shape.flags.bits()
            || header_u16(h, LINE_COUNT_OFFSET) != shape.line_count
            || header_u32(h, OBJID_OFFSET) != shape.objid
            || HEADER_BYTES + TAG_BYTES * line_count > bytes.len()
            || line_count == 0
        {
            return None;
        }
        let (at, len) = (usize::from(shape.prefix_at), usize::from(shape.prefix_len));
        let prefix = bytes.get(at..at + len)?;
        Some(TreePage {
            view: RawPage {
                bytes,
                flags: shape.flags,
                line_count: shape.line_count,
                pgno,
            },
            pgno,
            prefix,
            prefix_at: at,
        })
    }

    /// The number of nodes (lines after the prefix).
    pub fn count(&self) -> usize {
        self.view.line_count() - 1
    }

    /// Node `i`.
    ///
    /// The checks of [`RawPage::line`] and [`decode_line`] are folded together (one read of
    /// the tag, one of the node's header); a node that fails any of them is decoded again the
    /// long way, which says what is wrong with it.
    #[inline]
    pub fn node(&self, i: usize) -> Result<NodeRef<'a>> {
        match self.node_quick(i) {
            Some(n) => Ok(n),
            None => self.node_checked(i),
        }
    }

    /// Node `i` if it is sound, by the checks [`TreePage::node_checked`] makes.
    #[inline(always)]
    fn node_quick(&self, i: usize) -> Option<NodeRef<'a>> {
        let bytes = self.view.bytes;
        // Line `i + 1`; the construction checked the tag array fits the page.
        let line_no = i.checked_add(1)?;
        if line_no >= self.view.line_count() {
            return None;
        }
        let at = bytes.len().checked_sub(TAG_BYTES * (line_no + 1))?;
        let tag = u32::from_le_bytes(*bytes.get(at..)?.first_chunk::<TAG_BYTES>()?);
        let (offset, size) = ((tag & 0xffff) as usize, (tag >> 16) as usize);
        // An empty line (size 0) is too short for a node's header as well.
        if size < NODE_HEADER_BYTES || offset < HEADER_BYTES || offset + size > at {
            return None;
        }
        let line = bytes.get(offset..offset + size)?;
        let (head, rest) = line.split_first_chunk::<NODE_HEADER_BYTES>()?;
        let flags = head[0];
        let used = usize::from(u16::from_le_bytes([head[1], head[2]]));
        let suffix_len = usize::from(u16::from_le_bytes([head[3], head[4]]));
        if flags & !NodeFlags::KNOWN != 0 || suffix_len > rest.len() {
            return None;
        }
        let prefix = self.prefix.get(..used)?;
        let (suffix, payload) = rest.split_at_checked(suffix_len)?;
        Some(NodeRef {
            flags: NodeFlags(flags),
            prefix,
            suffix,
            payload,
        })
    }

    /// Node `i`, each check made in turn so that a failure says which.
    #[cold]
    #[inline(never)]
    fn node_checked(&self, i: usize) -> Result<NodeRef<'a>> {
        // Past every line, whatever `i` is (`usize::MAX + 1` would read the prefix line).
        let line = self.view.line(i.saturating_add(1))?;
        decode_line(self.pgno, line, self.prefix)
    }

    /// Whether the page is a leaf.
    pub fn is_leaf(&self) -> bool {
        self.view.flags().contains(PageFlags::LEAF)
    }

    /// The first node whose key is `>= key` (the count when there is none) and whether its
    /// key equals `key`. On an internal page, the [`NodeFlags::INF`] node compares greater.
    ///
    /// The key is compared with the page's prefix once. Most nodes use the whole part of the
    /// prefix the key shares (a rebuilt page's prefix is its keys' common prefix), so the
    /// rest of the key is the same for each of them, and its first eight bytes are read as a
    /// word once: such a node then costs one word of its suffix, read in place, and one
    /// comparison, unless their first eight bytes agree.
    #[inline(always)]
    pub fn lower_bound(&self, key: &[u8]) -> Result<(usize, bool)> {
        self.lower_bound_below(key, usize::MAX)
    }

    /// [`TreePage::lower_bound`] for a caller that knows node `hi` (if there is one) is
    /// greater than `key`, say because it is the bound of a greater key: only the nodes
    /// below `hi` are searched, and `hi` is the answer, not equal, when they are all less
    /// than `key`. Node `hi` itself is not compared.
    #[inline(always)]
    pub fn lower_bound_below(&self, key: &[u8], hi: usize) -> Result<(usize, bool)> {
        let shared = self.shared_with_prefix(key);
        let rest = key.get(shared..).unwrap_or_default();
        let probe = Probe {
            first_tag: self.view.bytes.len().wrapping_sub(2 * TAG_BYTES),
            key,
            shared,
            rest,
            rest_word: masked_word(rest, rest.len()),
        };
        let (mut lo, mut hi) = (0usize, hi.min(self.count()));
        let mut equal_at = None;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let Some(head) = self.node_head(mid, &probe) else {
                return self.malformed(mid);
            };
            // Most probes are decided by the first word of the suffix alone.
            if let Some(word) = head.word_against(&probe) {
                if word < probe.rest_word {
                    lo = mid + 1;
                    continue;
                }
                if word > probe.rest_word {
                    hi = mid;
                    continue;
                }
            }
            let Some(ord) = self.cmp_head(head, &probe) else {
                return self.malformed(mid);
            };
            narrow(ord, mid, &mut lo, &mut hi, &mut equal_at);
        }
        // Keys on a page are unique and sorted, so the node equal to `key`, if any, is the
        // bound, and the search compared it on its way there.
        Ok((lo, equal_at == Some(lo)))
    }

    /// How many bytes of the page prefix `key` begins with. A prefix of at most eight bytes
    /// (the usual case) against a key of at least eight is one comparison of words, the
    /// prefix's read in place (the page runs on past the prefix line).
    #[inline(always)]
    fn shared_with_prefix(&self, key: &[u8]) -> usize {
        let len = self.prefix.len();
        let page = self.view.bytes.get(self.prefix_at..).unwrap_or_default();
        match (page.first_chunk::<8>(), key.first_chunk::<8>()) {
            (Some(p), Some(k)) if len <= 8 => {
                let diff = (u64::from_be_bytes(*p) ^ u64::from_be_bytes(*k)) & WORD_MASKS[len];
                if diff == 0 {
                    len
                } else {
                    (diff.leading_zeros() / 8) as usize
                }
            }
            _ => common_prefix(self.prefix, key),
        }
    }

    /// Node `i`'s header and the first word of its suffix, read where they lie on the page;
    /// `None` when the node is malformed. The checks of [`TreePage::node`] are folded
    /// together: a search probes many nodes and decodes none.
    #[inline(always)]
    fn node_head(&self, i: usize, probe: &Probe<'_>) -> Option<NodeHead> {
        let bytes = self.view.bytes;
        // `i` is below the node count (the search's bounds), so the tag lies in the tag
        // array, which the page's construction checked fits the page; a position that
        // wrapped would fail the look-up rather than panic.
        let at = probe.first_tag.wrapping_sub(TAG_BYTES * i);
        let tag = u32::from_le_bytes(*bytes.get(at..)?.first_chunk::<TAG_BYTES>()?);
        let (offset, size) = ((tag & 0xffff) as usize, (tag >> 16) as usize);
        if offset < HEADER_BYTES || offset + size > at {
            return None;
        }
        // The node's header and its suffix's first word, in one look-up: a line of at least
        // a header ends before the tag at `at`, which leaves eight more bytes of tags.
        let line = bytes
            .get(offset..)?
            .first_chunk::<{ NODE_HEADER_BYTES + 8 }>()?;
        let head = u64::from_le_bytes(*line.first_chunk::<8>()?);
        let (flags, used, suffix_len) = (
            head as u8,
            usize::from((head >> 8) as u16),
            usize::from((head >> 24) as u16),
        );
        if flags & !NodeFlags::KNOWN != 0 || NODE_HEADER_BYTES + suffix_len > size {
            return None;
        }
        Some(NodeHead {
            offset,
            flags,
            used,
            suffix_len,
            word: u64::from_be_bytes(*line.last_chunk::<8>()?),
        })
    }

    /// Compares the key of the node whose header is `h` with the probe's key; `None` when the
    /// node is malformed ([`TreePage::malformed`] says how).
    #[inline(always)]
    fn cmp_head(&self, h: NodeHead, probe: &Probe<'_>) -> Option<Ordering> {
        if let Some(word) = h.word_against(probe) {
            if word != probe.rest_word {
                return Some(word.cmp(&probe.rest_word));
            }
            let rest = probe.rest;
            if h.suffix_len <= 8 || rest.len() <= 8 {
                return Some(h.suffix_len.cmp(&rest.len()));
            }
            return cmp_suffix(
                self.view.bytes,
                h.offset + NODE_HEADER_BYTES + 8,
                h.suffix_len - 8,
                rest.get(8..)?,
            );
        }
        if h.flags & NodeFlags::INF.0 != 0 {
            return Some(Ordering::Greater);
        }
        cmp_node_slow(
            self.view.bytes,
            self.prefix,
            h.offset,
            h.used,
            h.suffix_len,
            probe,
        )
    }

    /// The error for node `i`, which a search found malformed: the full decode says what.
    #[cold]
    #[inline(never)]
    fn malformed<T>(self, i: usize) -> Result<T> {
        self.node(i)?;
        corrupt(self.pgno, "a node line is malformed")
    }

    /// Every node, owning its bytes.
    pub fn nodes(&self) -> Result<Vec<Node>> {
        (0..self.count())
            .map(|i| Ok(self.node(i)?.to_node()))
            .collect()
    }

    /// Bytes used by lines and tags (not the header).
    pub fn used_bytes(&self) -> usize {
        self.view.page_size() - HEADER_BYTES - self.view.free_bytes()
    }
}

/// A search index of an internal page, built once for a version of the page and used by
/// every descent through it: the bytes every keyed node's key begins with, for each keyed
/// node the next eight bytes of its key as one word, and every node's child. A search step
/// then compares one word of a dense array instead of reading a node, and a descent through
/// the page reads no node at all unless two words are equal.
///
/// ```text
///   nodes:    C a0..   C a1..   C a2..   ...   INF
///   words:    w(a0)    w(a1)    w(a2)    ...          w(x): x's first 8 bytes, zero-padded,
///   children: c0       c1       c2       ...   cN           as a big-endian word
/// ```
///
/// Zero padding keeps the order: keys whose words differ are ordered as their words (see
/// [`cmp_tails`]); a node whose word equals the key's is compared in full on the page. An
/// index is only built from a page that passed the checks a descent makes (its number, its
/// object, not freed, a last INF node, no null child), and kept only while the page's bytes
/// are unchanged ([`ese_cache::PageRef::derived`]), so those checks still hold when it is used.
#[derive(Debug)]
pub(crate) struct SearchIndex {
    /// The page it was built from.
    pgno: Pgno,
    /// The object that page belongs to.
    objid: u32,
    /// The bytes every keyed node's key begins with.
    common: Vec<u8>,
    /// Per keyed node (every node but the last, INF, one), the eight bytes of its key after
    /// `common`.
    words: Box<[u64]>,
    /// Every node's child, the INF node's last.
    children: Box<[Pgno]>,
}

impl SearchIndex {
    /// The index of internal page `tp` of object `objid`, which a descent has checked;
    /// `None` when a node cannot be read, a child is null, or the INF node is missing or not
    /// last (a search without an index then says what is wrong).
    pub(crate) fn build(tp: &TreePage<'_>, objid: u32) -> Option<SearchIndex> {
        let count = tp.count();
        let keyed = count.checked_sub(1)?;
        let mut common = Vec::new();
        let mut children = Vec::with_capacity(count);
        for i in 0..count {
            let n = tp.node(i).ok()?;
            if n.flags.contains(NodeFlags::INF) != (i == keyed) || n.child().is_null() {
                return None;
            }
            children.push(n.child());
            if i == keyed {
                break;
            }
            if i == 0 {
                common.extend_from_slice(n.prefix);
                common.extend_from_slice(n.suffix);
                continue;
            }
            let mut at = common_prefix(&common, n.prefix);
            if at == n.prefix.len() {
                at += common_prefix(common.get(at..).unwrap_or_default(), n.suffix);
            }
            common.truncate(at);
        }
        let skip = common.len();
        let mut words = Vec::with_capacity(keyed);
        for i in 0..keyed {
            let n = tp.node(i).ok()?;
            let mut word = [0u8; 8];
            for (w, &b) in word
                .iter_mut()
                .zip(n.prefix.iter().chain(n.suffix).skip(skip))
            {
                *w = b;
            }
            words.push(u64::from_be_bytes(word));
        }
        Some(SearchIndex {
            pgno: tp.pgno,
            objid,
            common,
            words: words.into_boxed_slice(),
            children: children.into_boxed_slice(),
        })
    }

    /// Whether this is the index of page `pgno` of object `objid`.
    #[inline]
    pub(crate) fn is_of(&self, objid: u32, pgno: Pgno) -> bool {
        self.objid == objid && self.pgno == pgno
    }

    /// The page's node count when the index was built.
    pub(crate) fn count(&self) -> usize {
        self.children.len()
    }

    /// The child of node `i`.
    #[inline]
    pub(crate) fn child(&self, i: usize) -> Option<Pgno> {
        self.children.get(i).copied()
    }

    /// [`SearchIndex::lower_bound`] from the words alone, without the page: `None` when a
    /// node's word equals the key's, which only the node's bytes can settle.
    #[inline]
    pub(crate) fn lower_bound_by_words(&self, key: &[u8]) -> Option<(usize, bool)> {
        self.search(key, |_| Err(())).ok()
    }

    /// [`TreePage::lower_bound`] of the page the index was built from, which `full` compares
    /// node `i` of with `key` when the words cannot tell.
    #[inline]
    pub(crate) fn lower_bound(
        &self,
        key: &[u8],
        full: impl FnMut(usize) -> Result<Ordering>,
    ) -> Result<(usize, bool)> {
        self.search(key, full)
    }

    /// [`SearchIndex::lower_bound`] with the error of `full`, the only one it can fail with.
    #[inline(always)]
    fn search<E>(
        &self,
        key: &[u8],
        mut full: impl FnMut(usize) -> std::result::Result<Ordering, E>,
    ) -> std::result::Result<(usize, bool), E> {
        let keyed = self.words.len();
        let common = self.common.as_slice();
        // Against the bytes every keyed node begins with: a key that differs from them, or
        // ends inside them, lies before every node or after every keyed one.
        let rest = match (key.get(..common.len()), key.get(common.len()..)) {
            (Some(head), Some(rest)) => match cmp_bytes(head, common) {
                Ordering::Equal => rest,
                Ordering::Less => return Ok((0, false)),
                Ordering::Greater => return Ok((keyed, false)),
            },
            _ => {
                let head = common.get(..key.len()).unwrap_or_default();
                return Ok(match cmp_bytes(key, head) {
                    Ordering::Greater => (keyed, false),
                    _ => (0, false),
                });
            }
        };
        let probe = masked_word(rest, rest.len());
        let (mut lo, mut hi) = (0usize, keyed);
        let mut equal_at = None;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let Some(&word) = self.words.get(mid) else {
                break;
            };
            if word < probe {
                lo = mid + 1;
            } else if word > probe {
                hi = mid;
            } else {
                narrow(full(mid)?, mid, &mut lo, &mut hi, &mut equal_at);
            }
        }
        Ok((lo, equal_at == Some(lo)))
    }
}

impl TreePage<'_> {
    /// [`TreePage::lower_bound`] through `index`, built from this page as it is now (the
    /// cache drops an index whenever its page may change); an index that does not fit the
    /// page's number and node count is not used.
    #[inline]
    pub(crate) fn lower_bound_indexed(
        &self,
        key: &[u8],
        index: &SearchIndex,
    ) -> Result<(usize, bool)> {
        if index.count() != self.count() || index.pgno != self.pgno {
            return self.lower_bound(key);
        }
        index.lower_bound(key, |i| Ok(self.node(i)?.cmp_key(key)))
    }
}

/// The suffix of `len` bytes at `at` of page `bytes` against `rest`, past a first word that
/// agreed. Given the page's bytes rather than its [`TreePage`], so a search that inlines
/// [`TreePage::lower_bound`] keeps the page in registers instead of spilling it for this call.
#[inline(never)]
fn cmp_suffix(bytes: &[u8], at: usize, len: usize, rest: &[u8]) -> Option<Ordering> {
    let suffix = bytes.get(at..)?;
    if len > suffix.len() {
        return None;
    }
    Some(cmp_tails(suffix, len, rest, rest.len()))
}

/// [`TreePage::cmp_head`] for a node of page `bytes` (whose prefix is `prefix`) that uses
/// another part of the prefix than the key shares.
#[inline(never)]
fn cmp_node_slow(
    bytes: &[u8],
    prefix: &[u8],
    offset: usize,
    used: usize,
    suffix_len: usize,
    probe: &Probe<'_>,
) -> Option<Ordering> {
    if used > prefix.len() {
        return None;
    }
    if used > probe.shared {
        // The keys part inside the prefix, at `shared`, or `key` ends there.
        return Some(
            match (prefix.get(probe.shared), probe.key.get(probe.shared)) {
                (Some(p), Some(k)) => p.cmp(k),
                _ => Ordering::Greater,
            },
        );
    }
    let rest = probe.key.get(used..).unwrap_or_default();
    cmp_suffix(bytes, offset + NODE_HEADER_BYTES, suffix_len, rest)
}

/// The bytes a group of nodes takes on a rebuilt page (prefix line included), with the prefix
/// [`group_prefix`] chooses.
pub fn group_bytes(nodes: &[Node]) -> usize {
    let prefix = group_prefix(nodes);
    TAG_BYTES
        + prefix.len()
        + nodes
            .iter()
            .map(|n| {
                let used = if n.flags.contains(NodeFlags::INF) {
                    0
                } else {
                    common_prefix(prefix, &n.key)
                };
                n.size_with_prefix(used)
            })
            .sum::<usize>()
}

/// The prefix a rebuilt page of `nodes` gets: the prefix of its first real key that saves the
/// most bytes, counting what each key shares with it and the prefix line's own cost.
pub fn group_prefix(nodes: &[Node]) -> &[u8] {
    group_prefix_of(nodes, false)
}

/// [`group_prefix`], the last node taken as an [`NodeFlags::INF`] node when `inf_last`.
fn group_prefix_of(nodes: &[Node], inf_last: bool) -> &[u8] {
    let last = nodes.len().wrapping_sub(1);
    let mut real = nodes
        .iter()
        .enumerate()
        .filter(|&(i, n)| !(n.flags.contains(NodeFlags::INF) || (inf_last && i == last)))
        .map(|(_, n)| n);
    let Some(first) = real.next() else {
        return &[];
    };
    // shared[i]: how much of the first key node i shares; the first shares all of itself.
    // Sized once: the filter hides the count from `collect`, which would grow it step by step.
    let mut shared: Vec<usize> = Vec::with_capacity(nodes.len());
    shared.push(first.key.len());
    shared.extend(real.map(|n| common_prefix(&first.key, &n.key)));
    shared.sort_unstable_by(|a, b| b.cmp(a));
    // With a prefix of length L, the saving is sum(min(L, shared)) - L; it is piecewise
    // linear in L, so the best L is one of the shared lengths. Walking them in decreasing
    // order, the j + 1 nodes sharing at least L each save L; ties go to the shorter prefix,
    // which more later keys share.
    let (mut best_len, mut best_saving) = (0usize, 0isize);
    let mut below = shared.iter().sum::<usize>() as isize;
    for (j, &len) in shared.iter().enumerate() {
        below -= len as isize;
        let saving = (j as isize + 1) * len as isize + below - len as isize;
        if saving >= best_saving {
            best_saving = saving;
            best_len = len;
        }
    }
    // For a single key the saving is zero; keeping the key as the prefix still helps the keys
    // that follow it in a sequential load.
    if nodes.len() == 1 {
        best_len = first.key.len();
    }
    &first.key[..best_len]
}

/// The lines of a rebuilt page of `nodes`: the prefix line, then one line per node.
pub fn page_lines(nodes: &[Node]) -> Vec<Vec<u8>> {
    page_lines_of(nodes, false)
}

/// [`page_lines`], the last node written as an [`NodeFlags::INF`] node (that flag alone, no
/// key, its payload) when `inf_last`: the left page of an internal split, without copying
/// its nodes to change the last one.
pub(crate) fn page_lines_of(nodes: &[Node], inf_last: bool) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    page_lines_into(nodes, inf_last, &mut lines);
    lines
}

/// [`page_lines_of`] into `lines`, whose line buffers are reused (a list kept from an
/// earlier page saves allocating each line).
pub(crate) fn page_lines_into(nodes: &[Node], inf_last: bool, lines: &mut Vec<Vec<u8>>) {
    let prefix = group_prefix_of(nodes, inf_last);
    lines.resize_with(nodes.len() + 1, Vec::new);
    let last = nodes.len().wrapping_sub(1);
    let (head, rest) = lines.split_at_mut(1);
    head[0].clear();
    head[0].extend_from_slice(prefix);
    for (i, (n, line)) in nodes.iter().zip(rest).enumerate() {
        if inf_last && i == last {
            encode_line_into(NodeFlags::INF, 0, &[], &n.payload, line);
        } else {
            n.encode_into(prefix, line);
        }
    }
}

/// The shortest separator `s` with `left <= s < right` (ESE's key-suffix truncation), given
/// `left < right`: a proper prefix of `right` when one is greater than `left`, else `left`.
pub fn separator(left: &[u8], right: &[u8]) -> Vec<u8> {
    let cp = common_prefix(left, right);
    let len = cp + 1;
    if len < right.len() {
        right[..len].to_vec()
    } else {
        left.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of `page_bytes` formatted as page 7 of object `objid` with `lines` (the prefix,
    /// then the nodes), a leaf or an internal page.
    fn formatted(page_bytes: usize, objid: u32, leaf: bool, lines: Vec<Vec<u8>>) -> Vec<u8> {
        let mut page = vec![0u8; page_bytes];
        let ops = [crate::redo::LineOp::Format {
            objid,
            flags: if leaf {
                PageFlags::LEAF
            } else {
                PageFlags::NONE
            },
            prev: Pgno::NULL,
            next: Pgno::NULL,
            lines,
        }];
        crate::redo::apply(&mut page, Pgno(7), &ops, Dbtime(3)).expect("fits");
        page
    }

    /// A node's flags, prefix, suffix and payload.
    type Parts = (NodeFlags, Vec<u8>, Vec<u8>, Vec<u8>);

    /// A node's parts, to compare two reads of it.
    fn parts(n: Option<NodeRef<'_>>) -> Option<Parts> {
        n.map(|n| {
            (
                n.flags,
                n.prefix.to_vec(),
                n.suffix.to_vec(),
                n.payload.to_vec(),
            )
        })
    }

    #[test]
    fn a_node_read_in_one_pass_matches_one_checked_step_by_step() {
        // Every way a node line can be wrong, one at a time, on a sound page.
        let nodes: Vec<Node> = (0..4u8)
            .map(|i| Node {
                flags: NodeFlags::NONE,
                key: vec![b'p', b'q', i],
                payload: vec![i; 6],
            })
            .collect();
        let page = formatted(4096, 2, true, page_lines(&nodes));
        let tag_of = |i: usize| page.len() - TAG_BYTES * (i + 2);
        let line_of = |page: &[u8], i: usize| {
            let at = tag_of(i);
            usize::from(u16::from_le_bytes([page[at], page[at + 1]]))
        };
        type Damage = fn(&mut [u8], usize, usize);
        let cases: [(&str, Damage); 7] = [
            ("empty line", |p, t, _| {
                p[t + 2..t + 4].copy_from_slice(&0u16.to_le_bytes())
            }),
            ("short line", |p, t, _| {
                p[t + 2..t + 4].copy_from_slice(&4u16.to_le_bytes())
            }),
            ("in the header", |p, t, _| {
                p[t..t + 2].copy_from_slice(&8u16.to_le_bytes())
            }),
            ("over the tags", |p, t, _| {
                p[t..t + 2].copy_from_slice(&4090u16.to_le_bytes())
            }),
            ("unknown flag", |p, _, l| p[l] = 0x40),
            ("too much prefix", |p, _, l| {
                p[l + 1..l + 3].copy_from_slice(&9u16.to_le_bytes())
            }),
            ("long suffix", |p, _, l| {
                p[l + 3..l + 5].copy_from_slice(&60u16.to_le_bytes())
            }),
        ];
        for (what, damage) in cases {
            for i in 0..nodes.len() {
                let mut bad = page.clone();
                let line = line_of(&bad, i);
                damage(&mut bad, tag_of(i), line);
                let tp = TreePage::new(&bad, Pgno(7)).expect("the header is sound");
                assert!(tp.node_quick(i).is_none(), "{what}, node {i}");
                assert!(tp.node_checked(i).is_err(), "{what}, node {i}");
                assert!(
                    matches!(tp.node(i), Err(crate::Error::Corrupt { .. })),
                    "{what}"
                );
                for j in (0..nodes.len()).filter(|&j| j != i) {
                    assert_eq!(tp.node(j).expect("sound").to_node(), nodes[j], "{what}");
                }
            }
        }
        let tp = TreePage::new(&page, Pgno(7)).expect("sound");
        assert!(tp.node_quick(nodes.len()).is_none());
        assert!(tp.node(usize::MAX).is_err());
    }

    #[test]
    fn lines_encoded_into_a_kept_list_match_fresh_ones() {
        let leaf = |k: &[u8], v: &[u8]| Node {
            flags: NodeFlags::NONE,
            key: k.to_vec(),
            payload: v.to_vec(),
        };
        let big: Vec<Node> = (0..6u8)
            .map(|i| leaf(&[b'k', b'e', b'y', i, i], &[i; 40]))
            .collect();
        let small = vec![leaf(b"ab", b"1"), leaf(b"abc", b"22"), leaf(b"b", b"")];
        for inf_last in [false, true] {
            let mut kept = Vec::new();
            page_lines_into(&big, inf_last, &mut kept);
            assert_eq!(kept.len(), big.len() + 1);
            page_lines_into(&small, inf_last, &mut kept);
            assert_eq!(kept, page_lines_of(&small, inf_last), "inf_last {inf_last}");
            assert_eq!(kept[0], b"ab".to_vec(), "the prefix line comes first");
        }
    }

    #[test]
    fn page_sizes_are_those_the_limits_allow() {
        for len in (0..=70_000).chain([usize::MAX, usize::MAX / 2 + 1, 1 << 40]) {
            assert_eq!(
                is_page_size(len),
                ese_core::limits::is_valid_page_size(len),
                "{len}"
            );
        }
    }

    #[test]
    fn separators_split_correctly() {
        let cases: [(&[u8], &[u8], &[u8]); 5] = [
            (b"abc", b"abd", b"abc"),
            (b"abc", b"abzz", b"abz"),
            (b"a", b"b", b"a"),
            (b"ab", b"abcd", b"abc"),
            (b"", b"x", b""),
        ];
        for (l, r, want) in cases {
            let s = separator(l, r);
            assert_eq!(s, want, "{l:?} {r:?}");
            assert!(l <= &s[..] && &s[..] < r);
        }
    }

    #[test]
    fn lines_round_trip_and_garbage_never_panics() {
        let prefix = b"hello wor".to_vec();
        let n = Node {
            flags: NodeFlags::DELETED,
            key: b"hello world".to_vec(),
            payload: b"data".to_vec(),
        };
        let line = n.encode(&prefix);
        assert_eq!(line.len(), NODE_HEADER_BYTES + 2 + 4);
        let r = decode_line(Pgno(3), &line, &prefix).unwrap();
        assert_eq!(r.to_node(), n);
        let mut reused = Node {
            flags: NodeFlags::INF,
            key: b"an older, longer key".to_vec(),
            payload: vec![9; 40],
        };
        r.copy_into(&mut reused);
        assert_eq!(reused, n);
        assert_eq!(r.cmp_key(b"hello world"), Ordering::Equal);
        assert_eq!(r.cmp_key(b"hello"), Ordering::Greater);
        assert_eq!(r.cmp_key(b"hello worle"), Ordering::Less);
        assert_eq!(r.cmp_key(b"hello world!"), Ordering::Less);
        for len in 0..line.len() + 3 {
            let mut bytes = line.clone();
            bytes.resize(len, 0xff);
            let _ = decode_line(Pgno(3), &bytes, &prefix);
            let _ = decode_line(Pgno(3), &bytes, b"");
        }
        assert!(decode_line(Pgno(3), &[0x80, 0, 0, 0, 0], b"").is_err());
    }

    #[test]
    fn an_index_is_built_only_from_a_page_a_descent_would_pass() {
        let node =
            |key: &[u8], child: u32| Node::internal(NodeFlags::NONE, key.to_vec(), Pgno(child));
        let inf = |child: u32| Node::internal(NodeFlags::INF, Vec::new(), Pgno(child));
        let index_of = |nodes: &[Node]| {
            let page = formatted(8192, 2, false, page_lines(nodes));
            let tp = TreePage::new(&page, Pgno(7)).expect("sound");
            SearchIndex::build(&tp, 2)
                .map(|i| (i.common.clone(), i.words.to_vec(), i.children.to_vec()))
        };
        let (common, words, children) =
            index_of(&[node(b"key-a1", 10), node(b"key-b", 11), inf(12)]).expect("an index");
        assert_eq!(common, b"key-");
        assert_eq!(
            words,
            [
                u64::from_be_bytes(*b"a1\0\0\0\0\0\0"),
                u64::from_be_bytes(*b"b\0\0\0\0\0\0\0")
            ]
        );
        assert_eq!(children, [Pgno(10), Pgno(11), Pgno(12)]);
        // A null child, no INF node, or one that is not last: no index.
        assert!(index_of(&[node(b"a", 10), node(b"b", 0), inf(12)]).is_none());
        assert!(index_of(&[node(b"a", 10), inf(0)]).is_none());
        assert!(index_of(&[node(b"a", 10), node(b"b", 11)]).is_none());
        assert!(index_of(&[inf(10), node(b"b", 11), inf(12)]).is_none());
        assert!(index_of(&[]).is_none());
        // The INF node alone: every key goes to its child.
        let page = formatted(8192, 2, false, page_lines(&[inf(9)]));
        let tp = TreePage::new(&page, Pgno(7)).expect("sound");
        let index = SearchIndex::build(&tp, 2).expect("an index");
        assert!(index.is_of(2, Pgno(7)) && !index.is_of(3, Pgno(7)) && !index.is_of(2, Pgno(8)));
        assert_eq!(tp.lower_bound_indexed(b"any", &index).unwrap(), (0, false));
        assert_eq!(index.child(0), Some(Pgno(9)));
    }

    #[test]
    fn group_sizes_count_the_shared_prefix_once() {
        let nodes: Vec<Node> = (0..3)
            .map(|i| Node {
                flags: NodeFlags::NONE,
                key: format!("key{i:04}").into_bytes(),
                payload: vec![1; 3],
            })
            .collect();
        assert_eq!(group_prefix(&nodes), b"key000");
        let mixed: Vec<Node> = [&b"a"[..], b"bbbb1", b"bbbb2", b"bbbb3"]
            .iter()
            .map(|k| Node {
                flags: NodeFlags::NONE,
                key: k.to_vec(),
                payload: Vec::new(),
            })
            .collect();
        // The first key is an outlier: no prefix beats one it shares nothing with.
        assert_eq!(group_prefix(&mixed), b"");
        assert_eq!(group_prefix(&mixed[1..]), b"bbbb");
        let lines = page_lines(&nodes);
        let exact: usize = lines.iter().map(|l| l.len() + TAG_BYTES).sum();
        assert_eq!(group_bytes(&nodes), exact);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// The in-place comparison is memcmp order, for keys sharing any prefix.
        #[test]
        fn byte_comparison_is_memcmp_order(
            common in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20),
            a in proptest::collection::vec(0u8..4, 0..20),
            b in proptest::collection::vec(0u8..4, 0..20),
        ) {
            let a = [&common[..], &a[..]].concat();
            let b = [&common[..], &b[..]].concat();
            proptest::prop_assert_eq!(cmp_bytes(&a, &b), a.cmp(&b));
            proptest::prop_assert_eq!(cmp_bytes(&b, &a), b.cmp(&a));
            proptest::prop_assert_eq!(cmp_bytes(&a, &a), std::cmp::Ordering::Equal);
            let shared = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            proptest::prop_assert_eq!(common_prefix(&a, &b), shared);
        }

        /// A comparison of strings read in place, with other bytes running on past their
        /// ends, is memcmp order: across the eight-byte words, at every length, with zero
        /// bytes (which the masking of a word's tail must not confuse with an end).
        #[test]
        fn in_place_comparison_ignores_what_runs_on_past_the_ends(
            common in proptest::collection::vec(0u8..3, 0..24),
            a in proptest::collection::vec(0u8..3, 0..12),
            b in proptest::collection::vec(0u8..3, 0..12),
            junk_a in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12),
            junk_b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12),
        ) {
            let a = [&common[..], &a[..]].concat();
            let b = [&common[..], &b[..]].concat();
            let (ta, tb) = ([&a[..], &junk_a[..]].concat(), [&b[..], &junk_b[..]].concat());
            proptest::prop_assert_eq!(cmp_tails(&ta, a.len(), &tb, b.len()), a.cmp(&b));
            proptest::prop_assert_eq!(cmp_tails(&tb, b.len(), &ta, a.len()), b.cmp(&a));
            proptest::prop_assert_eq!(cmp_tails(&ta, a.len(), &a, a.len()), Ordering::Equal);
        }

        /// Equally long strings of nine to sixteen bytes, whose tails are compared as one
        /// overlapping word, are in memcmp order, however near alike.
        #[test]
        fn equally_long_short_strings_compare_in_memcmp_order(
            a in proptest::collection::vec(0u8..3, 9..=16),
            flips in proptest::collection::vec((0usize..16, 0u8..3), 0..3),
            junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12),
        ) {
            let mut b = a.clone();
            for (at, v) in flips {
                let n = b.len();
                b[at % n] = v;
            }
            let (ta, tb) = ([&a[..], &junk[..]].concat(), [&b[..], &junk[..]].concat());
            proptest::prop_assert_eq!(cmp_tails(&ta, a.len(), &tb, b.len()), a.cmp(&b));
            proptest::prop_assert_eq!(cmp_tails(&b, b.len(), &a, a.len()), b.cmp(&a));
        }

        /// The search agrees with a walk of the page's nodes, whatever prefix the page has.
        #[test]
        fn lower_bound_agrees_with_a_linear_walk(
            keys in proptest::collection::btree_set(
                proptest::collection::vec(0u8..3, 1..12), 1..60),
            probes in proptest::collection::vec(proptest::collection::vec(0u8..3, 0..12), 1..30),
            head in proptest::collection::vec(0u8..3, 0..6),
            internal in proptest::prelude::any::<bool>(),
        ) {
            let mut nodes: Vec<Node> = keys
                .iter()
                .map(|k| Node {
                    flags: NodeFlags::NONE,
                    key: [&head[..], &k[..]].concat(),
                    payload: vec![1, 2, 3, 4],
                })
                .collect();
            if internal {
                nodes.push(Node { flags: NodeFlags::INF, key: Vec::new(), payload: vec![5; 4] });
            }
            let page = formatted(8192, 2, !internal, page_lines(&nodes));
            let tp = TreePage::new(&page, Pgno(7)).expect("sound");
            proptest::prop_assert_eq!(tp.nodes().expect("nodes"), nodes.clone());
            let index = SearchIndex::build(&tp, 2);
            proptest::prop_assert_eq!(index.is_some(), internal, "only an internal page has one");
            for probe in probes.iter().chain(keys.iter()) {
                let probe = [&head[..], &probe[..]].concat();
                let want = nodes
                    .iter()
                    .position(|n| n.flags.contains(NodeFlags::INF) || n.key >= probe)
                    .unwrap_or(nodes.len());
                let equal = nodes.get(want).is_some_and(|n| {
                    !n.flags.contains(NodeFlags::INF) && n.key == probe
                });
                proptest::prop_assert_eq!(tp.lower_bound(&probe).expect("search"), (want, equal));
                if let Some(index) = &index {
                    proptest::prop_assert_eq!(
                        tp.lower_bound_indexed(&probe, index).expect("search"),
                        (want, equal)
                    );
                }
                // Searched below any node greater than the probe, the answer is the same.
                let greater = if equal { want + 1 } else { want };
                for hi in [greater, greater + 1, nodes.len(), usize::MAX] {
                    proptest::prop_assert_eq!(
                        tp.lower_bound_below(&probe, hi).expect("search"),
                        (want, equal),
                        "below {}", hi
                    );
                }
                let short = &probe[..probe.len().min(head.len() / 2)];
                let want = nodes
                    .iter()
                    .position(|n| n.flags.contains(NodeFlags::INF) || n.key[..] >= *short)
                    .unwrap_or(nodes.len());
                proptest::prop_assert_eq!(tp.lower_bound(short).expect("search").0, want);
                if let Some(index) = &index {
                    proptest::prop_assert_eq!(tp.lower_bound_indexed(short, index).expect("search").0, want);
                }
            }
        }

        /// The search agrees with a walk when nodes use different lengths of the page
        /// prefix (as keys inserted after the page was rebuilt do), keys run across the
        /// eight-byte words, and keys are prefixes of one another.
        #[test]
        fn lower_bound_agrees_with_a_walk_when_nodes_use_less_of_the_prefix(
            keys in proptest::collection::btree_set(
                proptest::collection::vec(0u8..3, 0..20), 1..60),
            uses in proptest::collection::vec(proptest::prelude::any::<u8>(), 60),
            probes in proptest::collection::vec(proptest::collection::vec(0u8..3, 0..22), 1..30),
            prefix in proptest::collection::vec(0u8..3, 0..14),
            internal in proptest::prelude::any::<bool>(),
        ) {
            let mut lines = vec![prefix.clone()];
            for (k, u) in keys.iter().zip(&uses) {
                let can = common_prefix(&prefix, k);
                let used = usize::from(*u) % (can + 1);
                lines.push(encode_line(NodeFlags::NONE, used, &k[used..], &[1, 2, 3, 4]));
            }
            if internal {
                lines.push(encode_line(NodeFlags::INF, 0, &[], &[5; 4]));
            }
            let page = formatted(8192, 2, !internal, lines);
            let tp = TreePage::new(&page, Pgno(7)).expect("sound");
            let sorted: Vec<&Vec<u8>> = keys.iter().collect();
            let index = SearchIndex::build(&tp, 2);
            proptest::prop_assert_eq!(index.is_some(), internal, "only an internal page has one");
            for probe in probes.iter().chain(keys.iter()) {
                let want = sorted.iter().position(|k| *k >= probe).unwrap_or(sorted.len());
                let equal = sorted.get(want).is_some_and(|k| *k == probe);
                proptest::prop_assert_eq!(tp.lower_bound(probe).expect("search"), (want, equal));
                if let Some(index) = &index {
                    proptest::prop_assert_eq!(
                        tp.lower_bound_indexed(probe, index).expect("search"),
                        (want, equal)
                    );
                }
            }
        }

        /// A page read again by its shape reads as a parse of it does; a page whose flags,
        /// line count or object id moved on is parsed instead; any bytes under a shape never
        /// panic.
        #[test]
        fn a_page_read_again_by_its_shape_matches_a_parse_and_garbage_never_panics(
            keys in proptest::collection::btree_set(
                proptest::collection::vec(0u8..3, 1..12), 2..40),
            head in proptest::collection::vec(0u8..3, 0..10),
            probe in proptest::collection::vec(0u8..3, 0..14),
            junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            junk_at in 0usize..4096,
        ) {
            let nodes: Vec<Node> = keys
                .iter()
                .map(|k| Node {
                    flags: NodeFlags::NONE,
                    key: [&head[..], &k[..]].concat(),
                    payload: vec![9; 3],
                })
                .collect();
            let format = |nodes: &[Node], objid: u32| formatted(4096, objid, true, page_lines(nodes));
            let page = format(&nodes, 2);
            let tp = TreePage::new(&page, Pgno(7)).expect("sound");
            let shape = tp.shape();
            let again = TreePage::again(&page, Pgno(7), &shape).expect("the same page");
            proptest::prop_assert_eq!(again.nodes().expect("nodes"), nodes.clone());
            proptest::prop_assert_eq!(again.prefix, tp.prefix);
            let probe = [&head[..], &probe[..]].concat();
            proptest::prop_assert_eq!(
                again.lower_bound(&probe).expect("search"),
                tp.lower_bound(&probe).expect("search")
            );
            // One node fewer, or another object: the shape no longer fits.
            proptest::prop_assert!(TreePage::again(&format(&nodes[1..], 2), Pgno(7), &shape).is_none());
            proptest::prop_assert!(TreePage::again(&format(&nodes, 3), Pgno(7), &shape).is_none());
            // Junk over the page (header included, sometimes): never a panic.
            let mut bad = page.clone();
            for (i, b) in junk.iter().enumerate() {
                let at = (junk_at + i) % bad.len();
                bad[at] = *b;
            }
            if let Some(tp) = TreePage::again(&bad, Pgno(7), &shape) {
                let _ = tp.lower_bound(&probe);
                if let Some(index) = SearchIndex::build(&tp, 2) {
                    let _ = tp.lower_bound_indexed(&probe, &index);
                }
                let _ = tp.nodes();
                for i in 0..tp.count() + 2 {
                    proptest::prop_assert_eq!(parts(tp.node_quick(i)), parts(tp.node_checked(i).ok()));
                }
            }
            let _ = TreePage::again(&bad[..64], Pgno(7), &shape);
        }

        /// Any bytes as a page: reading its nodes and searching it never panics.
        #[test]
        fn garbage_pages_never_panic(
            header in proptest::collection::vec(proptest::prelude::any::<u8>(), 40),
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            probe in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20),
            lines in 0u16..40,
        ) {
            let mut page = vec![0u8; 4096];
            page[..40].copy_from_slice(&header);
            // Mostly known flag bits, so more pages get past the header check.
            page[FLAGS_OFFSET + 1] &= 0x04;
            page[FLAGS_OFFSET + 2] = 0;
            page[FLAGS_OFFSET + 3] = 0;
            page[LINE_COUNT_OFFSET..LINE_COUNT_OFFSET + 2].copy_from_slice(&lines.to_le_bytes());
            let n = tail.len();
            page[4096 - n..].copy_from_slice(&tail);
            page[40..40 + n].copy_from_slice(&tail);
            let pgno = Pgno(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
            if let Ok(tp) = TreePage::new(&page, pgno) {
                let _ = tp.lower_bound(&probe);
                if let Some(index) = SearchIndex::build(&tp, 2) {
                    let _ = tp.lower_bound_indexed(&probe, &index);
                }
                let _ = tp.nodes();
                for i in 0..tp.count() + 2 {
                    if let Ok(n) = tp.node(i) {
                        let _ = n.cmp_key(&probe);
                    }
                    // The folded checks accept exactly the nodes the step-by-step ones do.
                    proptest::prop_assert_eq!(parts(tp.node_quick(i)), parts(tp.node_checked(i).ok()));
                }
            }
        }
    }
}
