//! Typed log records and their byte encoding.
//!
//! A record travels in a *frame*: its body length, then the body, whose first byte names the
//! record type. Every integer is a *varint* (unsigned LEB128: seven bits per byte, low bits
//! first, the high bit set on every byte but the last; at most 10 bytes, the shortest form
//! only), so the small numbers a record mostly holds take one to three bytes; byte strings
//! carry a varint length. A page operation stores its `dbtime_after` as the zigzag-encoded
//! difference from `dbtime_before` (one byte for the usual `+1`).
//!
//! ```text
//!   frame:  | body_len v | kind u8 | fields ...                         |
//!   page op fields:
//!           | trx v | db v | pgno v | dbtime_before v | zigzag(dbtime_after - before) v |
//!           | payload_len v | payload ... | undo_len v | undo ... | (extra pgno v) |
//!   page image fields (kind 23):
//!           | db v | pgno v | dbtime v | page_bytes v | hole_at v |
//!           | image_len v | image ... |            (the page without its zeroed hole)
//!   page group fields (kind 24):
//!           | count v | (body_len v | body)* |      (count >= 1 page-operation or page
//!                                                    image bodies, kinds 16..=23)
//! ```
//!
//! A [`LogRecord::PageGroup`] carries every page operation of one B-tree call (a split, a
//! merge, a page allocation with the space map change that goes with it) in one frame, so
//! the log holds all of them or none: a crash can never leave recovery a half-logged
//! structural change. Its members are ordinary page records, redone one after the other at
//! the group's position ([`LogRecord::page_records`]).
//!
//! A [`PageImage`] is a whole page as it was before the change logged right after it (as
//! PostgreSQL's full-page writes): redo overwrites the page with it unconditionally, which
//! repairs a page whose last write was torn. To keep it small, the page's free gap (the
//! `hole`, all zeros) is left out: the image holds `page[..hole_at]` then
//! `page[hole_at + hole_len..]`, where `hole_len = page_bytes - image_len`.
//!
//! Frames are protected by the checksums of the sectors that carry them (see `format`), so
//! they carry no checksum of their own. Decoding never panics: every length is checked against
//! the bytes that are left and against [`RECORD_MAX_BYTES`].
//!
//! Adding a record type is one more variant of [`LogRecord`], one more [`kind`] byte, and one
//! arm in each of `encode_body` and `decode_body`.

use ese_core::{DbId, Dbtime, Pgno, Trx};

/// The largest encoded frame: a 32 KiB page image as redo plus one as undo, with room to spare.
pub const RECORD_MAX_BYTES: usize = 256 * 1024;

/// The most bytes of a frame's length prefix (a varint of a length below
/// [`RECORD_MAX_BYTES`]).
pub const FRAME_HEADER_MAX_BYTES: usize = 3;

const _: () = assert!(RECORD_MAX_BYTES < 1 << (7 * FRAME_HEADER_MAX_BYTES));

/// The bytes a varint of `v` takes.
pub const fn varint_len(v: u64) -> usize {
    // 1 for 0..128, one more per further 7 bits.
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// The size of a frame whose body is `body_len` bytes.
pub const fn frame_len_of(body_len: usize) -> usize {
    varint_len(body_len as u64) + body_len
}

/// Maps a signed difference onto small unsigned numbers (0, -1, 1, -2, ... to 0, 1, 2, 3, ...).
fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

/// The inverse of [`zigzag`].
fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

const _: () = assert!(RECORD_MAX_BYTES > 2 * ese_core::limits::PAGE_SIZE_MAX_BYTES + 1024);

/// The type byte of each record, as stored in the first byte of a body.
pub mod kind {
    /// [`super::LogRecord::BeginTransaction`].
    pub const BEGIN_TRANSACTION: u8 = 1;
    /// [`super::LogRecord::Commit`].
    pub const COMMIT: u8 = 2;
    /// [`super::LogRecord::Rollback`].
    pub const ROLLBACK: u8 = 3;
    /// [`super::LogRecord::InsertNode`].
    pub const INSERT_NODE: u8 = 16;
    /// [`super::LogRecord::ReplaceNode`].
    pub const REPLACE_NODE: u8 = 17;
    /// [`super::LogRecord::DeleteNode`].
    pub const DELETE_NODE: u8 = 18;
    /// [`super::LogRecord::Split`].
    pub const SPLIT: u8 = 19;
    /// [`super::LogRecord::Merge`].
    pub const MERGE: u8 = 20;
    /// [`super::LogRecord::NewPage`].
    pub const NEW_PAGE: u8 = 21;
    /// [`super::LogRecord::FreePage`].
    pub const FREE_PAGE: u8 = 22;
    /// [`super::LogRecord::PageImage`].
    pub const PAGE_IMAGE: u8 = 23;
    /// [`super::LogRecord::PageGroup`].
    pub const PAGE_GROUP: u8 = 24;
}

/// A change to one page: what redo needs (the page, its dbtime before and after, the redo
/// payload) and what undo needs (the undo payload). The B-tree layer defines the payloads.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PageOp {
    /// The transaction that made the change.
    pub trx: Trx,
    /// The database the page belongs to.
    pub db: DbId,
    /// The page changed.
    pub pgno: Pgno,
    /// The page's dbtime before the change: redo applies the record only to a page at this dbtime.
    pub dbtime_before: Dbtime,
    /// The page's dbtime after the change.
    pub dbtime_after: Dbtime,
    /// What redo applies (opaque here).
    pub payload: Vec<u8>,
    /// What undo needs to reverse the change; empty where undo needs nothing (opaque here).
    pub undo: Vec<u8>,
}

/// A whole page as it was before a change: what redo needs to rebuild a torn page.
///
/// The bytes `hole_at .. hole_at + hole_len()` of the page are zero and not stored.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PageImage {
    /// The database the page belongs to.
    pub db: DbId,
    /// The page.
    pub pgno: Pgno,
    /// The page's dbtime (the `dbtime_before` of the change logged after the image).
    pub dbtime: Dbtime,
    /// The page size in bytes.
    pub page_bytes: u32,
    /// Where the omitted zero hole starts.
    pub hole_at: u32,
    /// The page without its hole.
    pub image: Vec<u8>,
}

impl PageImage {
    /// The image of `page`, leaving out the bytes in `hole` (which the caller guarantees are,
    /// or will be made, zero). An empty or out-of-range hole keeps every byte.
    pub fn from_page(
        db: DbId,
        pgno: Pgno,
        dbtime: Dbtime,
        page: &[u8],
        hole: std::ops::Range<usize>,
    ) -> PageImage {
        let (hole_at, hole_end) = if hole.start <= hole.end && hole.end <= page.len() {
            (hole.start, hole.end)
        } else {
            (page.len(), page.len())
        };
        let mut image = Vec::with_capacity(page.len() - (hole_end - hole_at));
        image.extend_from_slice(&page[..hole_at]);
        image.extend_from_slice(&page[hole_end..]);
        PageImage {
            db,
            pgno,
            dbtime,
            // Page sizes are at most 32 KiB.
            page_bytes: page.len() as u32,
            hole_at: hole_at as u32,
            image,
        }
    }

    /// The number of zero bytes left out.
    pub fn hole_len(&self) -> usize {
        (self.page_bytes as usize).saturating_sub(self.image.len())
    }

    /// Whether the fields are consistent: the hole lies inside the page and the image is no
    /// larger than the page. Decoding accepts only consistent images.
    pub fn is_consistent(&self) -> bool {
        let (page, at, len) = (
            self.page_bytes as usize,
            self.hole_at as usize,
            self.image.len(),
        );
        len <= page && at <= len && page <= PAGE_IMAGE_MAX_BYTES
    }

    /// Writes the whole page (hole included) into `page`, which must be `page_bytes` long.
    /// Returns `false`, writing nothing, when the sizes disagree or the image is inconsistent.
    pub fn restore_into(&self, page: &mut [u8]) -> bool {
        if !self.is_consistent() || page.len() != self.page_bytes as usize {
            return false;
        }
        let at = self.hole_at as usize;
        let hole = self.hole_len();
        page[..at].copy_from_slice(&self.image[..at]);
        page[at..at + hole].fill(0);
        page[at + hole..].copy_from_slice(&self.image[at..]);
        true
    }

    fn encoded_len(&self) -> usize {
        varint_len(self.db.0.into())
            + varint_len(self.pgno.0.into())
            + varint_len(self.dbtime.0)
            + varint_len(self.page_bytes.into())
            + varint_len(self.hole_at.into())
            + bytes_len(&self.image)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_var(out, self.db.0.into());
        put_var(out, self.pgno.0.into());
        put_var(out, self.dbtime.0);
        put_var(out, self.page_bytes.into());
        put_var(out, self.hole_at.into());
        put_bytes(out, &self.image);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, Corrupt> {
        let img = PageImage {
            db: DbId(r.u32()?),
            pgno: Pgno(r.u32()?),
            dbtime: Dbtime(r.u64()?),
            page_bytes: r.u32()?,
            hole_at: r.u32()?,
            image: r.bytes()?,
        };
        if !img.is_consistent() {
            return corrupt("page image hole or size out of range");
        }
        Ok(img)
    }
}

/// The largest page a [`PageImage`] may describe.
pub const PAGE_IMAGE_MAX_BYTES: usize = ese_core::limits::PAGE_SIZE_MAX_BYTES;

/// Every record the log holds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogRecord {
    /// A transaction began at `level` (0 is the outermost).
    BeginTransaction {
        /// The transaction.
        trx: Trx,
        /// The nesting level it began at.
        level: u8,
    },
    /// A transaction committed to level 0: its changes are durable once this record is.
    Commit {
        /// The transaction.
        trx: Trx,
        /// Its commit timestamp.
        commit_trx: Trx,
    },
    /// A transaction rolled back the level `level` it had begun.
    Rollback {
        /// The transaction.
        trx: Trx,
        /// The level rolled back.
        level: u8,
    },
    /// A node inserted into a page.
    InsertNode(PageOp),
    /// A node replaced in place.
    ReplaceNode(PageOp),
    /// A node deleted (flag-deleted or removed).
    DeleteNode(PageOp),
    /// A page split, moving part of `op.pgno` to `new_pgno`.
    Split {
        /// The page split and its payloads.
        op: PageOp,
        /// The page that receives the moved nodes.
        new_pgno: Pgno,
    },
    /// A page merged into `sibling_pgno`.
    Merge {
        /// The page emptied and its payloads.
        op: PageOp,
        /// The page that receives its nodes.
        sibling_pgno: Pgno,
    },
    /// A page formatted as new.
    NewPage(PageOp),
    /// A page released to free space.
    FreePage(PageOp),
    /// A whole page image, logged before the first change to a page since it was last
    /// written (full-page write): redo overwrites the page with it unconditionally.
    PageImage(PageImage),
    /// The page records of one atomic multi-page change, in the order they were made: page
    /// operations and page images only (never another group), at least one. One frame, so
    /// the log holds all of them or none; redo applies each at the group's position.
    PageGroup(Vec<LogRecord>),
}

/// A decoding failure: the bytes are not a valid frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt {
    /// What was wrong.
    pub reason: &'static str,
}

fn corrupt<T>(reason: &'static str) -> Result<T, Corrupt> {
    Err(Corrupt { reason })
}

/// A bounds-checked cursor over a body, reading varints.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Corrupt> {
        if n > self.bytes.len() {
            return corrupt("record body ends early");
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Corrupt> {
        Ok(self.take(1)?[0])
    }

    /// A varint of at most 64 bits, in its shortest form.
    fn u64(&mut self) -> Result<u64, Corrupt> {
        let mut v = 0u64;
        // Bounded: ten bytes carry 64 bits.
        for i in 0..10 {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if i == 9 && bits > 1 {
                return corrupt("varint exceeds 64 bits");
            }
            v |= bits << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return corrupt("varint not in its shortest form");
                }
                return Ok(v);
            }
        }
        corrupt("varint exceeds 64 bits")
    }

    /// A varint of at most 32 bits.
    fn u32(&mut self) -> Result<u32, Corrupt> {
        u32::try_from(self.u64()?).or_else(|_| corrupt("varint exceeds 32 bits"))
    }

    /// A varint length, then that many bytes.
    fn slice(&mut self) -> Result<&'a [u8], Corrupt> {
        let n = usize::try_from(self.u64()?).or_else(|_| corrupt("length out of range"))?;
        self.take(n)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, Corrupt> {
        Ok(self.slice()?.to_vec())
    }
}

/// Appends `v` as a varint.
fn put_var(out: &mut Vec<u8>, mut v: u64) {
    // Bounded: each turn drops seven bits.
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The encoded size of a byte string: its varint length, then the bytes.
fn bytes_len(v: &[u8]) -> usize {
    varint_len(v.len() as u64) + v.len()
}

fn put_bytes(out: &mut Vec<u8>, v: &[u8]) {
    put_var(out, v.len() as u64);
    out.extend_from_slice(v);
}

impl PageOp {
    /// The encoded size of the fields.
    /// `dbtime_after` as stored: the zigzag of its difference from `dbtime_before`.
    fn dbtime_step(&self) -> u64 {
        zigzag(self.dbtime_after.0.wrapping_sub(self.dbtime_before.0) as i64)
    }

    /// The encoded size of the fields.
    fn encoded_len(&self) -> usize {
        varint_len(self.trx.0)
            + varint_len(self.db.0.into())
            + varint_len(self.pgno.0.into())
            + varint_len(self.dbtime_before.0)
            + varint_len(self.dbtime_step())
            + bytes_len(&self.payload)
            + bytes_len(&self.undo)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_var(out, self.trx.0);
        put_var(out, self.db.0.into());
        put_var(out, self.pgno.0.into());
        put_var(out, self.dbtime_before.0);
        put_var(out, self.dbtime_step());
        put_bytes(out, &self.payload);
        put_bytes(out, &self.undo);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, Corrupt> {
        let trx = Trx(r.u64()?);
        let db = DbId(r.u32()?);
        let pgno = Pgno(r.u32()?);
        let before = r.u64()?;
        let after = before.wrapping_add(unzigzag(r.u64()?) as u64);
        Ok(PageOp {
            trx,
            db,
            pgno,
            dbtime_before: Dbtime(before),
            dbtime_after: Dbtime(after),
            payload: r.bytes()?,
            undo: r.bytes()?,
        })
    }
}

impl LogRecord {
    /// The record's type byte (see [`kind`]).
    pub fn kind(&self) -> u8 {
        match self {
            LogRecord::BeginTransaction { .. } => kind::BEGIN_TRANSACTION,
            LogRecord::Commit { .. } => kind::COMMIT,
            LogRecord::Rollback { .. } => kind::ROLLBACK,
            LogRecord::InsertNode(_) => kind::INSERT_NODE,
            LogRecord::ReplaceNode(_) => kind::REPLACE_NODE,
            LogRecord::DeleteNode(_) => kind::DELETE_NODE,
            LogRecord::Split { .. } => kind::SPLIT,
            LogRecord::Merge { .. } => kind::MERGE,
            LogRecord::NewPage(_) => kind::NEW_PAGE,
            LogRecord::FreePage(_) => kind::FREE_PAGE,
            LogRecord::PageImage(_) => kind::PAGE_IMAGE,
            LogRecord::PageGroup(_) => kind::PAGE_GROUP,
        }
    }

    /// Whether this record may be a member of a [`LogRecord::PageGroup`]: a page operation
    /// or a page image.
    pub fn is_page_record(&self) -> bool {
        (kind::INSERT_NODE..=kind::PAGE_IMAGE).contains(&self.kind())
    }

    /// The page records this record stands for: a group's members, or the record itself
    /// (a transaction record stands for itself too). Redo walks these in order.
    pub fn page_records(&self) -> &[LogRecord] {
        match self {
            LogRecord::PageGroup(members) => members,
            other => std::slice::from_ref(other),
        }
    }

    /// The page this record rewrites (its own page: for a split or merge, the page named in
    /// its [`PageOp`]), for page operations and page images. `None` for a group, which may
    /// name several: see [`LogRecord::page_records`].
    pub fn page(&self) -> Option<(DbId, Pgno)> {
        match self {
            LogRecord::PageImage(img) => Some((img.db, img.pgno)),
            _ => self.page_op().map(|op| (op.db, op.pgno)),
        }
    }

    /// The page operation this record carries, if it is one.
    pub fn page_op(&self) -> Option<&PageOp> {
        match self {
            LogRecord::InsertNode(op)
            | LogRecord::ReplaceNode(op)
            | LogRecord::DeleteNode(op)
            | LogRecord::NewPage(op)
            | LogRecord::FreePage(op)
            | LogRecord::Split { op, .. }
            | LogRecord::Merge { op, .. } => Some(op),
            LogRecord::BeginTransaction { .. }
            | LogRecord::Commit { .. }
            | LogRecord::Rollback { .. }
            | LogRecord::PageImage(_)
            | LogRecord::PageGroup(_) => None,
        }
    }

    /// The size of the body (type byte and fields), without the frame's length prefix.
    pub fn body_len(&self) -> usize {
        1 + match self {
            LogRecord::BeginTransaction { trx, .. } | LogRecord::Rollback { trx, .. } => {
                varint_len(trx.0) + 1
            }
            LogRecord::Commit { trx, commit_trx } => varint_len(trx.0) + varint_len(commit_trx.0),
            LogRecord::Split { op, new_pgno: p }
            | LogRecord::Merge {
                op,
                sibling_pgno: p,
            } => op.encoded_len() + varint_len(p.0.into()),
            LogRecord::InsertNode(op)
            | LogRecord::ReplaceNode(op)
            | LogRecord::DeleteNode(op)
            | LogRecord::NewPage(op)
            | LogRecord::FreePage(op) => op.encoded_len(),
            LogRecord::PageImage(img) => img.encoded_len(),
            LogRecord::PageGroup(members) => {
                varint_len(members.len() as u64)
                    + members
                        .iter()
                        .map(|m| frame_len_of(m.body_len()))
                        .sum::<usize>()
            }
        }
    }

    /// The size of the whole frame.
    pub fn frame_len(&self) -> usize {
        frame_len_of(self.body_len())
    }

    /// Appends the frame (length prefix and body) to `out`. Returns `None`, writing nothing,
    /// when the frame would exceed [`RECORD_MAX_BYTES`].
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Option<usize> {
        let frame = self.frame_len();
        if frame > RECORD_MAX_BYTES {
            return None;
        }
        self.encode_frame(self.body_len(), out);
        Some(frame)
    }

    /// Appends the frame to `out`, given the body's length as [`LogRecord::body_len`]
    /// computed it. The caller has checked the frame against [`RECORD_MAX_BYTES`].
    pub(crate) fn encode_frame(&self, body_len: usize, out: &mut Vec<u8>) {
        out.reserve(frame_len_of(body_len));
        put_var(out, body_len as u64);
        self.encode_body(out);
    }

    /// The frame as a new vector, or `None` when it would exceed [`RECORD_MAX_BYTES`].
    pub fn encode(&self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.encode_into(&mut out).map(|_| out)
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        out.push(self.kind());
        match self {
            LogRecord::BeginTransaction { trx, level } | LogRecord::Rollback { trx, level } => {
                put_var(out, trx.0);
                out.push(*level);
            }
            LogRecord::Commit { trx, commit_trx } => {
                put_var(out, trx.0);
                put_var(out, commit_trx.0);
            }
            LogRecord::Split { op, new_pgno: p }
            | LogRecord::Merge {
                op,
                sibling_pgno: p,
            } => {
                op.encode(out);
                put_var(out, p.0.into());
            }
            LogRecord::InsertNode(op)
            | LogRecord::ReplaceNode(op)
            | LogRecord::DeleteNode(op)
            | LogRecord::NewPage(op)
            | LogRecord::FreePage(op) => op.encode(out),
            LogRecord::PageImage(img) => img.encode(out),
            LogRecord::PageGroup(members) => {
                put_var(out, members.len() as u64);
                for m in members {
                    put_var(out, m.body_len() as u64);
                    m.encode_body(out);
                }
            }
        }
    }

    fn decode_body(body: &[u8]) -> Result<Self, Corrupt> {
        let mut r = Reader { bytes: body };
        let rec = match r.u8()? {
            kind::BEGIN_TRANSACTION => LogRecord::BeginTransaction {
                trx: Trx(r.u64()?),
                level: r.u8()?,
            },
            kind::COMMIT => LogRecord::Commit {
                trx: Trx(r.u64()?),
                commit_trx: Trx(r.u64()?),
            },
            kind::ROLLBACK => LogRecord::Rollback {
                trx: Trx(r.u64()?),
                level: r.u8()?,
            },
            kind::INSERT_NODE => LogRecord::InsertNode(PageOp::decode(&mut r)?),
            kind::REPLACE_NODE => LogRecord::ReplaceNode(PageOp::decode(&mut r)?),
            kind::DELETE_NODE => LogRecord::DeleteNode(PageOp::decode(&mut r)?),
            kind::SPLIT => LogRecord::Split {
                op: PageOp::decode(&mut r)?,
                new_pgno: Pgno(r.u32()?),
            },
            kind::MERGE => LogRecord::Merge {
                op: PageOp::decode(&mut r)?,
                sibling_pgno: Pgno(r.u32()?),
            },
            kind::NEW_PAGE => LogRecord::NewPage(PageOp::decode(&mut r)?),
            kind::FREE_PAGE => LogRecord::FreePage(PageOp::decode(&mut r)?),
            kind::PAGE_IMAGE => LogRecord::PageImage(PageImage::decode(&mut r)?),
            kind::PAGE_GROUP => {
                let count = r.u32()? as usize;
                if count == 0 {
                    return corrupt("empty page group");
                }
                // Each member takes at least two bytes, which bounds the allocation.
                let mut members = Vec::with_capacity(count.min(r.bytes.len() / 2));
                for _ in 0..count {
                    let body = r.slice()?;
                    // Checked before decoding, so a group never nests (and never recurses).
                    match body.first() {
                        None => return corrupt("empty record body"),
                        Some(k) if !(kind::INSERT_NODE..=kind::PAGE_IMAGE).contains(k) => {
                            return corrupt("a page group member is not a page record");
                        }
                        Some(_) => members.push(Self::decode_body(body)?),
                    }
                }
                LogRecord::PageGroup(members)
            }
            _ => return corrupt("unknown record type"),
        };
        if !r.bytes.is_empty() {
            return corrupt("record body has trailing bytes");
        }
        Ok(rec)
    }

    /// Decodes the frame at the start of `bytes`, returning the record and the frame's length.
    pub fn decode_prefix(bytes: &[u8]) -> Result<(Self, usize), Corrupt> {
        let mut r = Reader { bytes };
        let body_len = r.u32()? as usize;
        if body_len == 0 {
            return corrupt("empty record body");
        }
        if frame_len_of(body_len) > RECORD_MAX_BYTES {
            return corrupt("record length exceeds RECORD_MAX_BYTES");
        }
        let body = r.take(body_len)?;
        Ok((Self::decode_body(body)?, frame_len_of(body_len)))
    }

    /// Decodes a buffer holding exactly one frame.
    pub fn decode(bytes: &[u8]) -> Result<Self, Corrupt> {
        let (rec, used) = Self::decode_prefix(bytes)?;
        if used != bytes.len() {
            return corrupt("bytes follow the record frame");
        }
        Ok(rec)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn arb_page_op() -> impl Strategy<Value = PageOp> {
        (
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..300),
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|(trx, db, pgno, b, a, payload, undo)| PageOp {
                trx: Trx(trx),
                db: DbId(db),
                pgno: Pgno(pgno),
                dbtime_before: Dbtime(b),
                dbtime_after: Dbtime(a),
                payload,
                undo,
            })
    }

    pub(crate) fn arb_record() -> impl Strategy<Value = LogRecord> {
        prop_oneof![
            (any::<u64>(), any::<u8>())
                .prop_map(|(t, level)| LogRecord::BeginTransaction { trx: Trx(t), level }),
            (any::<u64>(), any::<u64>()).prop_map(|(t, c)| LogRecord::Commit {
                trx: Trx(t),
                commit_trx: Trx(c)
            }),
            (any::<u64>(), any::<u8>())
                .prop_map(|(t, level)| LogRecord::Rollback { trx: Trx(t), level }),
            arb_page_op().prop_map(LogRecord::InsertNode),
            arb_page_op().prop_map(LogRecord::ReplaceNode),
            arb_page_op().prop_map(LogRecord::DeleteNode),
            (arb_page_op(), any::<u32>()).prop_map(|(op, p)| LogRecord::Split {
                op,
                new_pgno: Pgno(p)
            }),
            (arb_page_op(), any::<u32>()).prop_map(|(op, p)| LogRecord::Merge {
                op,
                sibling_pgno: Pgno(p)
            }),
            arb_page_op().prop_map(LogRecord::NewPage),
            arb_page_op().prop_map(LogRecord::FreePage),
            arb_page_image().prop_map(LogRecord::PageImage),
            proptest::collection::vec(
                prop_oneof![
                    arb_page_op().prop_map(LogRecord::InsertNode),
                    (arb_page_op(), any::<u32>()).prop_map(|(op, p)| LogRecord::Split {
                        op,
                        new_pgno: Pgno(p)
                    }),
                    arb_page_image().prop_map(LogRecord::PageImage),
                ],
                1..4
            )
            .prop_map(LogRecord::PageGroup),
        ]
    }

    pub(crate) fn arb_page_image() -> impl Strategy<Value = PageImage> {
        (
            any::<u32>(),
            any::<u32>(),
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..400),
            0usize..500,
            0usize..500,
        )
            .prop_map(|(db, pgno, dbtime, page, a, b)| {
                let (lo, hi) = (a.min(b).min(page.len()), a.max(b).min(page.len()));
                PageImage::from_page(DbId(db), Pgno(pgno), Dbtime(dbtime), &page, lo..hi)
            })
    }

    proptest! {
        #[test]
        fn every_record_round_trips(rec in arb_record()) {
            let frame = rec.encode().unwrap();
            prop_assert_eq!(frame.len(), rec.frame_len());
            prop_assert_eq!(LogRecord::decode(&frame).unwrap(), rec.clone());
            prop_assert_eq!(
                rec.page_op().is_some(),
                (kind::INSERT_NODE..kind::PAGE_IMAGE).contains(&rec.kind())
            );
            prop_assert_eq!(rec.page().is_some(), rec.is_page_record());
            match &rec {
                LogRecord::PageGroup(m) => prop_assert_eq!(rec.page_records(), &m[..]),
                other => prop_assert_eq!(rec.page_records(), std::slice::from_ref(other)),
            }
            // Every strict prefix is rejected, never mis-decoded.
            for cut in 0..frame.len() {
                prop_assert!(LogRecord::decode(&frame[..cut]).is_err());
            }
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = LogRecord::decode(&bytes);
        }
    }

    /// One record of every kind, in kind order.
    pub(crate) fn one_of_each() -> Vec<LogRecord> {
        let op = PageOp {
            trx: Trx(3),
            db: DbId(1),
            pgno: Pgno(9),
            dbtime_before: Dbtime(4),
            dbtime_after: Dbtime(5),
            payload: vec![1, 2, 3],
            undo: vec![2],
        };
        let mut page = vec![7u8; 4096];
        page[100..4000].fill(0);
        let image = PageImage::from_page(DbId(1), Pgno(9), Dbtime(4), &page, 100..4000);
        vec![
            LogRecord::BeginTransaction {
                trx: Trx(3),
                level: 1,
            },
            LogRecord::Commit {
                trx: Trx(3),
                commit_trx: Trx(8),
            },
            LogRecord::Rollback {
                trx: Trx(3),
                level: 1,
            },
            LogRecord::InsertNode(op.clone()),
            LogRecord::ReplaceNode(op.clone()),
            LogRecord::DeleteNode(op.clone()),
            LogRecord::Split {
                op: op.clone(),
                new_pgno: Pgno(10),
            },
            LogRecord::Merge {
                op: op.clone(),
                sibling_pgno: Pgno(11),
            },
            LogRecord::NewPage(op.clone()),
            LogRecord::FreePage(op.clone()),
            LogRecord::PageImage(image.clone()),
            LogRecord::PageGroup(vec![
                LogRecord::PageImage(image),
                LogRecord::Split {
                    op: op.clone(),
                    new_pgno: Pgno(10),
                },
                LogRecord::NewPage(PageOp {
                    pgno: Pgno(10),
                    ..op
                }),
            ]),
        ]
    }

    #[test]
    fn every_record_kind_round_trips() {
        let all = one_of_each();
        let kinds: Vec<u8> = all.iter().map(LogRecord::kind).collect();
        assert_eq!(kinds, [1, 2, 3, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
        for rec in all {
            let frame = rec.encode().unwrap();
            assert_eq!(frame[varint_len(rec.body_len() as u64)], rec.kind());
            assert_eq!(frame.len(), rec.frame_len());
            assert_eq!(LogRecord::decode(&frame).unwrap(), rec);
        }
    }

    #[test]
    fn page_images_leave_out_their_hole_and_restore_it() {
        let mut page = vec![0u8; 4096];
        page[..40].fill(0xa5);
        page[4000..].fill(0x5a);
        let img = PageImage::from_page(DbId(1), Pgno(3), Dbtime(77), &page, 40..4000);
        assert_eq!(img.image.len(), 40 + 96);
        assert_eq!(img.hole_len(), 3960);
        let mut back = vec![0xffu8; 4096];
        assert!(img.restore_into(&mut back));
        assert_eq!(back, page);
        assert!(
            !img.restore_into(&mut vec![0u8; 8192]),
            "a page of another size"
        );
        // An out-of-range hole keeps the whole page.
        let whole = PageImage::from_page(DbId(1), Pgno(3), Dbtime(77), &page, 10..9000);
        assert_eq!(whole.image, page);
        // Inconsistent fields never decode.
        for bad in [
            PageImage {
                hole_at: 200,
                ..img.clone()
            },
            PageImage {
                page_bytes: 100,
                ..img.clone()
            },
            PageImage {
                page_bytes: 1 << 20,
                ..img
            },
        ] {
            let frame = LogRecord::PageImage(bad).encode().unwrap();
            assert_eq!(
                LogRecord::decode(&frame),
                Err(Corrupt {
                    reason: "page image hole or size out of range"
                })
            );
        }
    }

    #[test]
    fn page_groups_hold_only_page_records_and_never_nest() {
        let op = PageOp {
            pgno: Pgno(3),
            ..PageOp::default()
        };
        let member = LogRecord::InsertNode(op);
        let group = |members: &[&LogRecord]| {
            let mut body = vec![kind::PAGE_GROUP];
            put_var(&mut body, members.len() as u64);
            for m in members {
                let frame = m.encode().unwrap();
                body.extend_from_slice(&frame);
            }
            let mut frame = Vec::new();
            put_var(&mut frame, body.len() as u64);
            frame.extend_from_slice(&body);
            frame
        };
        let good = group(&[&member, &member]);
        assert_eq!(
            LogRecord::decode(&good).unwrap(),
            LogRecord::PageGroup(vec![member.clone(), member.clone()])
        );
        assert_eq!(
            good,
            LogRecord::PageGroup(vec![member.clone(); 2])
                .encode()
                .unwrap()
        );
        let commit = LogRecord::Commit {
            trx: Trx(1),
            commit_trx: Trx(2),
        };
        let nested = LogRecord::PageGroup(vec![member.clone()]);
        for (bytes, reason) in [
            (group(&[]), "empty page group"),
            (
                group(&[&member, &commit]),
                "a page group member is not a page record",
            ),
            (
                group(&[&nested]),
                "a page group member is not a page record",
            ),
        ] {
            assert_eq!(LogRecord::decode(&bytes), Err(Corrupt { reason }));
        }
        // A deep nest is refused at its first level, without recursing.
        let mut deep = member.encode().unwrap();
        for _ in 0..10_000 {
            let mut body = vec![kind::PAGE_GROUP];
            put_var(&mut body, 1);
            body.extend_from_slice(&deep);
            deep = Vec::new();
            put_var(&mut deep, body.len() as u64);
            deep.extend_from_slice(&body);
            if deep.len() > RECORD_MAX_BYTES / 2 {
                break;
            }
        }
        assert!(LogRecord::decode(&deep).is_err());
    }

    #[test]
    fn varints_round_trip_at_every_width() {
        let mut edges = vec![0u64, 1, u64::MAX, u64::MAX - 1];
        for bits in 1..64 {
            edges.extend([(1u64 << bits) - 1, 1u64 << bits]);
        }
        for v in edges {
            let mut out = Vec::new();
            put_var(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
            let mut r = Reader { bytes: &out };
            assert_eq!(r.u64(), Ok(v));
            assert!(r.bytes.is_empty());
        }
        for d in [0i64, 1, -1, 2, -2, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(d)), d);
        }
        assert_eq!(zigzag(1), 2, "the usual dbtime step takes one byte");
    }

    #[test]
    fn an_insert_frame_is_small() {
        // The fixed fields of a typical insert (a trx, a small database id, a page number in
        // the thousands, a dbtime in the millions, a step of one) take 13 bytes, down from
        // the 45 of fixed-width fields.
        let op = PageOp {
            trx: Trx(90_000),
            db: DbId(1),
            pgno: Pgno(7_000),
            dbtime_before: Dbtime(1_500_000),
            dbtime_after: Dbtime(1_500_001),
            payload: vec![1; 216],
            undo: vec![2; 37],
        };
        let frame = LogRecord::InsertNode(op).frame_len();
        assert_eq!(frame - 216 - 37, 2 + 1 + 3 + 1 + 2 + 3 + 1 + 2 + 1);
    }

    #[test]
    fn malformed_frames_are_rejected() {
        let good = LogRecord::Commit {
            trx: Trx(7),
            commit_trx: Trx(9),
        }
        .encode()
        .unwrap();
        let mut trailing = good.clone();
        trailing.push(0);
        let mut unknown = good.clone();
        unknown[1] = 0xee;
        let mut long_body = good.clone();
        long_body[0] += 1;
        long_body.push(0);
        let huge = [0xff, 0xff, 0xff, 0x7f, kind::COMMIT];
        // A commit whose trx varint runs past 64 bits, and one in a longer form than needed.
        let wide = [
            12,
            kind::COMMIT,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0x02,
            0,
        ];
        let padded = [4, kind::COMMIT, 0x87, 0x00, 9];
        let cases: [(&[u8], &str); 9] = [
            (&[], "record body ends early"),
            (&[0, 0, 0, 0], "empty record body"),
            (&trailing, "bytes follow the record frame"),
            (&unknown, "unknown record type"),
            (&long_body, "record body has trailing bytes"),
            (&huge, "record length exceeds RECORD_MAX_BYTES"),
            (&wide, "varint exceeds 64 bits"),
            (&padded, "varint not in its shortest form"),
            (&[0x80, 0x80], "record body ends early"),
        ];
        for (bytes, reason) in cases {
            assert_eq!(
                LogRecord::decode(bytes),
                Err(Corrupt { reason }),
                "{bytes:?}"
            );
        }
        let too_big = LogRecord::NewPage(PageOp {
            payload: vec![0; RECORD_MAX_BYTES],
            ..PageOp::default()
        });
        assert_eq!(too_big.encode(), None);
    }
}
