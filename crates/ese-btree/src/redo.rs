//! Logged page operations and their redo.
//!
//! # One code path for do and redo
//!
//! Every change this crate makes to a page is first written down as a list of [`LineOp`]s
//! (format the page, insert, replace, delete or patch a line, set a sibling link or the
//! flags). That list is the payload of the ese-log page-operation record, and the change is
//! then made by handing the *same* list to [`apply`]. Recovery hands the list it reads back
//! from the log to [`redo`], which calls [`apply`] too. Because the page format's line
//! operations are deterministic, the page redo produces is byte-for-byte the page the original
//! change produced:
//!
//! ```text
//!   do:    ops ──encode──▶ LogRecord { dbtime_before, dbtime_after, payload } ──append──▶ lgpos
//!          ops ──apply(page, dbtime_after)──▶ page ──mark_dirty(lgpos)
//!   redo:  LogRecord ──decode──▶ ops ──apply(page, dbtime_after)──▶ page   (if needed)
//! ```
//!
//! # Idempotence by dbtime
//!
//! Every record carries the page's dbtime before the change and the dbtime the change stamps
//! on it (a database-wide counter, so later changes have larger dbtimes). Redo compares them
//! with the page's own dbtime:
//!
//! * page dbtime `>=` `dbtime_after`: the change is already on the page: [`Redo::Skipped`];
//! * page dbtime `==` `dbtime_before`: the page is exactly as the change found it: apply;
//! * a record that formats the page (a new page) applies whenever the page is older, since
//!   whatever the page held before is overwritten;
//! * anything else means a record is missing: [`Error::Corrupt`] naming the page.
//!
//! Replaying a record twice therefore changes nothing the second time.
//!
//! # Groups
//!
//! The page records of one B-tree call (a split, a merge, a page allocation with its space
//! map change) are logged together as one [`LogRecord::PageGroup`] (see [`crate::Database`]),
//! so the log holds all of them or none. Redo applies the members in order, each by the rules
//! here, all at the group's position: [`redo_into_cache`] takes a group whole; [`redo`] and
//! [`redo_file_page`], which work on one page, take its members one by one
//! ([`LogRecord::page_records`]).
//!
//! # Torn pages: full page images
//!
//! A page write may be torn at any 512-byte boundary, leaving a page that fails its checksum.
//! So that every page can be rebuilt, the first change to a page since it was last written
//! is preceded in the log by a [`LogRecord::PageImage`] of the page as it was
//! ([`crate::Database`] does this), and the page is marked dirty at the image's position, so
//! no checkpoint passes the image before the page is durably written again. A page a crash
//! can leave torn was being written after the last checkpoint (which syncs the database
//! first), and the state that write carried began with an image (or a format) that the
//! checkpoint could not pass. So every such page has, at or after the checkpoint, an image or
//! a format preceding every change the torn write carried; only records older than it (for
//! a page written, synced, then changed and torn again) can find the page torn. The rules
//! redo follows:
//!
//! * an image **overwrites the page unconditionally** (repeat history) and is
//!   [`Redo::Applied`]; the page's later records then apply at exactly their `dbtime_before`;
//! * a record that formats the page applies to a page that fails verification as to a page
//!   never written;
//! * any other record finds a page that fails verification (torn, or never written):
//!   [`Redo::NeedsImage`], and nothing is done. The recovery driver skips the record and
//!   expects a later image (or format) of the page; a page still failing verification when
//!   the scan ends is damage the log cannot repair (JET_errReadVerifyFailure, -1018).
//!
//! [`redo_into_cache`] takes the verification from the cache's read; [`redo_file_page`] checks
//! a page read straight from the database file; [`redo`] trusts the image it is given (all
//! zeros counts as never written).
//!
//! # Payload layout
//!
//! ```text
//!   payload := op*            (little-endian; lengths are u16, every page size fits)
//!   1 Format  | objid u32 | flags u32 | prev u32 | next u32 | lines u16 | (len u16, bytes)* |
//!   2 Insert  | index u16 | len u16 | bytes |
//!   3 Replace | index u16 | len u16 | bytes |
//!   4 Delete  | index u16 |
//!   5 SetPrev | pgno u32 |     6 SetNext | pgno u32 |     7 SetFlags | flags u32 |
//!   8 Patch   | index u16 | offset u16 | len u16 | bytes |   (overwrite bytes inside a line)
//! ```

use ese_core::{Dbtime, Pgno};
use ese_log::LogRecord;
use ese_pageio::page::DBTIME_OFFSET;
use ese_pageio::{PageFlags, PageMut};

use crate::error::{Error, Result, corrupt};

/// One change to a page's lines or header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineOp {
    /// Formats the page as new (every byte rewritten) and fills it with `lines`.
    Format {
        /// The owning object.
        objid: u32,
        /// The page flags.
        flags: PageFlags,
        /// The previous page at the same level.
        prev: Pgno,
        /// The next page at the same level.
        next: Pgno,
        /// The lines, in order.
        lines: Vec<Vec<u8>>,
    },
    /// Inserts a line at an index.
    Insert(u16, Vec<u8>),
    /// Replaces the line at an index.
    Replace(u16, Vec<u8>),
    /// Deletes the line at an index.
    Delete(u16),
    /// Sets the previous-page link.
    SetPrev(Pgno),
    /// Sets the next-page link.
    SetNext(Pgno),
    /// Sets the page flags.
    SetFlags(PageFlags),
    /// Overwrites bytes at an offset inside a line, keeping its length.
    Patch {
        /// The line.
        index: u16,
        /// Where in the line.
        offset: u16,
        /// The new bytes.
        bytes: Vec<u8>,
    },
}

/// What [`redo`] did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redo {
    /// The change was applied to the page (for an image: the page was overwritten).
    Applied,
    /// The page already held the change (or the record changes no page).
    Skipped,
    /// The page fails verification (torn or never written) and the record can neither
    /// rebuild it nor be applied to it: nothing was done, and a later image or format of the
    /// page in the log must repair it (see the module doc).
    NeedsImage,
}

fn put_u16(out: &mut Vec<u8>, v: usize) {
    // Every index, offset and length on a page of at most 32 KiB fits in u16.
    out.extend_from_slice(&(v as u16).to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Encodes a list of operations as a log payload.
pub fn encode_ops(ops: &[LineOp]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_ops_into(ops, &mut out);
    out
}

/// [`encode_ops`], appended to `out` (a buffer kept for reuse: no allocation once it is
/// large enough).
pub fn encode_ops_into(ops: &[LineOp], out: &mut Vec<u8>) {
    // Sized once: each operation's fixed part is at most 19 bytes, then its bytes.
    let capacity = ops
        .iter()
        .map(|op| match op {
            LineOp::Format { lines, .. } => 19 + lines.iter().map(|l| 2 + l.len()).sum::<usize>(),
            LineOp::Insert(_, b) | LineOp::Replace(_, b) => 5 + b.len(),
            LineOp::Patch { bytes, .. } => 7 + bytes.len(),
            LineOp::Delete(_) | LineOp::SetPrev(_) | LineOp::SetNext(_) | LineOp::SetFlags(_) => 5,
        })
        .sum();
    out.reserve(capacity);
    for op in ops {
        match op {
            LineOp::Format {
                objid,
                flags,
                prev,
                next,
                lines,
            } => {
                out.push(1);
                put_u32(out, *objid);
                put_u32(out, flags.bits());
                put_u32(out, prev.0);
                put_u32(out, next.0);
                put_u16(out, lines.len());
                for l in lines {
                    put_u16(out, l.len());
                    out.extend_from_slice(l);
                }
            }
            LineOp::Insert(i, b) | LineOp::Replace(i, b) => {
                out.push(if matches!(op, LineOp::Insert(..)) {
                    2
                } else {
                    3
                });
                put_u16(out, usize::from(*i));
                put_u16(out, b.len());
                out.extend_from_slice(b);
            }
            LineOp::Delete(i) => {
                out.push(4);
                put_u16(out, usize::from(*i));
            }
            LineOp::SetPrev(p) => {
                out.push(5);
                put_u32(out, p.0);
            }
            LineOp::SetNext(p) => {
                out.push(6);
                put_u32(out, p.0);
            }
            LineOp::SetFlags(f) => {
                out.push(7);
                put_u32(out, f.bits());
            }
            LineOp::Patch {
                index,
                offset,
                bytes,
            } => {
                out.push(8);
                put_u16(out, usize::from(*index));
                put_u16(out, usize::from(*offset));
                put_u16(out, bytes.len());
                out.extend_from_slice(bytes);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pgno: Pgno,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.bytes.len() {
            return corrupt(self.pgno, "a logged page operation ends early");
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn bytes(&mut self) -> Result<Vec<u8>> {
        let n = usize::from(self.u16()?);
        Ok(self.take(n)?.to_vec())
    }
    fn flags(&mut self) -> Result<PageFlags> {
        let bits = self.u32()?;
        match PageFlags::from_bits(bits) {
            Some(f) => Ok(f),
            None => corrupt(self.pgno, "a logged page operation has unknown page flags"),
        }
    }
}

/// Decodes a log payload into operations; `pgno` names the page in errors. Never panics.
pub fn decode_ops(payload: &[u8], pgno: Pgno) -> Result<Vec<LineOp>> {
    let mut r = Reader {
        bytes: payload,
        pgno,
    };
    let mut ops = Vec::new();
    while !r.bytes.is_empty() {
        let kind = r.take(1)?[0];
        let op = match kind {
            1 => {
                let objid = r.u32()?;
                let flags = r.flags()?;
                let prev = Pgno(r.u32()?);
                let next = Pgno(r.u32()?);
                let n = usize::from(r.u16()?);
                let mut lines = Vec::with_capacity(n.min(r.bytes.len() / 2));
                for _ in 0..n {
                    lines.push(r.bytes()?);
                }
                LineOp::Format {
                    objid,
                    flags,
                    prev,
                    next,
                    lines,
                }
            }
            2 => LineOp::Insert(r.u16()?, r.bytes()?),
            3 => LineOp::Replace(r.u16()?, r.bytes()?),
            4 => LineOp::Delete(r.u16()?),
            5 => LineOp::SetPrev(Pgno(r.u32()?)),
            6 => LineOp::SetNext(Pgno(r.u32()?)),
            7 => LineOp::SetFlags(r.flags()?),
            8 => LineOp::Patch {
                index: r.u16()?,
                offset: r.u16()?,
                bytes: r.bytes()?,
            },
            _ => return corrupt(pgno, "a logged page operation has an unknown kind"),
        };
        ops.push(op);
    }
    Ok(ops)
}

/// The dbtime stored in a page image, read without checking the page.
pub fn page_dbtime(page: &[u8]) -> Dbtime {
    match page.get(DBTIME_OFFSET..DBTIME_OFFSET + 8) {
        Some(b) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            Dbtime(u64::from_le_bytes(a))
        }
        None => Dbtime::NIL,
    }
}

/// Applies `ops` to page `pgno` and stamps `dbtime_after` on it. A list that does not begin
/// with [`LineOp::Format`] needs a structurally valid page.
pub fn apply(page: &mut [u8], pgno: Pgno, ops: &[LineOp], dbtime_after: Dbtime) -> Result<()> {
    let mut rest = ops;
    let mut m = match ops.first() {
        Some(LineOp::Format {
            objid,
            flags,
            prev,
            next,
            lines,
        }) => {
            rest = &ops[1..];
            let mut m = PageMut::init(page, pgno, *objid, *flags, dbtime_after)?;
            m.set_prev(*prev);
            m.set_next(*next);
            for (i, l) in lines.iter().enumerate() {
                m.insert(i, l)?;
            }
            m
        }
        _ => PageMut::new(page)?,
    };
    apply_ops(&mut m, pgno, rest, dbtime_after)
}

/// [`apply`] for a page known to be sound (a B-tree call's own copy of a cache page, or one
/// it formatted): the same change, made without checking the whole page first (see
/// [`crate::edit`]). Debug builds make the change through [`apply`] too and compare.
pub(crate) fn apply_trusted(
    page: &mut [u8],
    pgno: Pgno,
    ops: &[LineOp],
    dbtime_after: Dbtime,
) -> Result<()> {
    #[cfg(debug_assertions)]
    let checked = {
        let mut copy = page.to_vec();
        apply(&mut copy, pgno, ops, dbtime_after).map(|()| copy)
    };
    let result = if matches!(ops.first(), Some(LineOp::Format { .. })) {
        // A format checks nothing: `apply` already is the unchecked path.
        apply(page, pgno, ops, dbtime_after)
    } else {
        apply_edit(page, pgno, ops, dbtime_after)
    };
    // Where PageMut accepts, the edit must make the same bytes. The converse does not hold:
    // PageMut also refuses damage Edit does not look for (a wrong free count, overlapping
    // lines it does not touch), so a damaged page must not trip an assertion here.
    #[cfg(debug_assertions)]
    if let Ok(copy) = &checked {
        debug_assert!(result.is_ok(), "page {pgno:?}: {result:?}");
        debug_assert!(
            copy[..] == page[..],
            "page {pgno:?}: the edit differs from PageMut's"
        );
    }
    result
}

fn apply_edit(page: &mut [u8], pgno: Pgno, ops: &[LineOp], dbtime_after: Dbtime) -> Result<()> {
    let mut m = crate::edit::Edit::new(page)?;
    apply_ops(&mut m, pgno, ops, dbtime_after)
}

/// The line changes a page operation list makes, on a page checked ([`PageMut`]) or known
/// sound ([`crate::edit::Edit`]): one loop serves both, so they cannot drift apart.
pub(crate) trait LineEditor {
    /// The page number in the page's header (for errors).
    fn pgno(&self) -> Pgno;
    /// The bytes of line `index`.
    fn line(&self, index: usize) -> Result<&[u8]>;
    /// Inserts `data` as line `index`.
    fn insert(&mut self, index: usize, data: &[u8]) -> Result<()>;
    /// Replaces line `index` with `data`.
    fn replace(&mut self, index: usize, data: &[u8]) -> Result<()>;
    /// Deletes line `index`.
    fn delete(&mut self, index: usize) -> Result<()>;
    /// Overwrites `bytes.len()` bytes of line `index` from `at`: the line replaced by a
    /// patched copy of itself (what a checked page does), or written in place.
    fn patch(&mut self, index: usize, at: usize, bytes: &[u8]) -> Result<()> {
        let mut line = self.line(index)?.to_vec();
        match line.get_mut(at..at + bytes.len()) {
            Some(dst) => dst.copy_from_slice(bytes),
            None => return corrupt(self.pgno(), "a patch runs past its line"),
        }
        self.replace(index, &line)
    }
    /// Sets the previous page.
    fn set_prev(&mut self, prev: Pgno);
    /// Sets the next page.
    fn set_next(&mut self, next: Pgno);
    /// Sets the page flags.
    fn set_flags(&mut self, flags: PageFlags);
    /// Stamps the page's dbtime.
    fn set_dbtime(&mut self, dbtime: Dbtime);
}

impl LineEditor for PageMut<'_> {
    fn pgno(&self) -> Pgno {
        self.header().pgno
    }
    fn line(&self, index: usize) -> Result<&[u8]> {
        Ok(PageMut::line(self, index)?)
    }
    fn insert(&mut self, index: usize, data: &[u8]) -> Result<()> {
        Ok(PageMut::insert(self, index, data)?)
    }
    fn replace(&mut self, index: usize, data: &[u8]) -> Result<()> {
        Ok(PageMut::replace(self, index, data)?)
    }
    fn delete(&mut self, index: usize) -> Result<()> {
        Ok(PageMut::delete(self, index)?)
    }
    fn set_prev(&mut self, prev: Pgno) {
        PageMut::set_prev(self, prev);
    }
    fn set_next(&mut self, next: Pgno) {
        PageMut::set_next(self, next);
    }
    fn set_flags(&mut self, flags: PageFlags) {
        PageMut::set_flags(self, flags);
    }
    fn set_dbtime(&mut self, dbtime: Dbtime) {
        PageMut::set_dbtime(self, dbtime);
    }
}

/// Applies `ops` (none of them a format) to `m`, then stamps `dbtime_after`.
fn apply_ops(
    m: &mut impl LineEditor,
    pgno: Pgno,
    ops: &[LineOp],
    dbtime_after: Dbtime,
) -> Result<()> {
    for op in ops {
        match op {
            LineOp::Format { .. } => {
                return corrupt(pgno, "a page format inside a list of page operations");
            }
            LineOp::Insert(i, b) => m.insert(usize::from(*i), b)?,
            LineOp::Replace(i, b) => m.replace(usize::from(*i), b)?,
            LineOp::Delete(i) => m.delete(usize::from(*i))?,
            LineOp::SetPrev(p) => m.set_prev(*p),
            LineOp::SetNext(p) => m.set_next(*p),
            LineOp::SetFlags(f) => m.set_flags(*f),
            LineOp::Patch {
                index,
                offset,
                bytes,
            } => m.patch(usize::from(*index), usize::from(*offset), bytes)?,
        }
    }
    m.set_dbtime(dbtime_after);
    Ok(())
}

/// Whether `rec` rebuilds its page from nothing: an image, or an operation list that begins
/// with [`LineOp::Format`]. Such a record needs no readable page.
pub fn rebuilds_page(rec: &LogRecord) -> Result<bool> {
    if matches!(rec, LogRecord::PageImage(_)) {
        return Ok(true);
    }
    let Some(op) = rec.page_op() else {
        return Ok(false);
    };
    Ok(matches!(
        decode_ops(&op.payload, op.pgno)?.first(),
        Some(LineOp::Format { .. })
    ))
}

/// Overwrites `page` with the image (the page's size must match).
fn restore_image(page: &mut [u8], img: &ese_log::PageImage) -> Result<Redo> {
    if !img.restore_into(page) {
        return corrupt(img.pgno, "a logged page image does not match the page size");
    }
    Ok(Redo::Applied)
}

/// Redoes one logged operation on the image of its page (ESE's redo of a page operation),
/// idempotently by dbtime, and overwrites the page with a logged page image (see the module
/// doc). The page is trusted as given: an all-zero page is one never written. Records that
/// change no page are skipped; a [`LogRecord::PageGroup`] is refused
/// ([`Error::InvalidParameter`]): redo its members ([`LogRecord::page_records`]).
pub fn redo(page: &mut [u8], rec: &LogRecord) -> Result<Redo> {
    if let LogRecord::PageImage(img) = rec {
        return restore_image(page, img);
    }
    if let LogRecord::PageGroup(_) = rec {
        return Err(Error::InvalidParameter(
            "a page group names several pages: redo each of its records",
        ));
    }
    let Some(op) = rec.page_op() else {
        return Ok(Redo::Skipped);
    };
    let ops = decode_ops(&op.payload, op.pgno)?;
    let current = page_dbtime(page);
    if current >= op.dbtime_after && page.iter().any(|&b| b != 0) {
        return Ok(Redo::Skipped);
    }
    let formats = matches!(ops.first(), Some(LineOp::Format { .. }));
    if !formats && current != op.dbtime_before {
        return Err(Error::Corrupt {
            pgno: op.pgno,
            what: "redo: the page's dbtime is not the record's dbtime before",
        });
    }
    apply(page, op.pgno, &ops, op.dbtime_after)?;
    Ok(Redo::Applied)
}

/// Redoes one logged record on a page read straight from the database file (sealed, as the
/// cache writes it): the page is verified first, and a page that fails verification takes
/// only a record that rebuilds it ([`Redo::NeedsImage`] otherwise, page untouched). The
/// checksum of a changed page is stale afterwards; seal it before writing it back. A
/// [`LogRecord::PageGroup`] is refused, as by [`redo`].
pub fn redo_file_page(page: &mut [u8], rec: &LogRecord) -> Result<Redo> {
    let Some((_, pgno)) = rec.page() else {
        // A group is refused by `redo`; any other record changes no page.
        return redo(page, rec);
    };
    if ese_pageio::page::verify(page, pgno).is_err() {
        if !rebuilds_page(rec)? {
            return Ok(Redo::NeedsImage);
        }
        page.fill(0);
    }
    redo(page, rec)
}

/// Whether a cache error means the page on disk cannot be used as it is: it fails
/// verification (torn, overwritten, never written) or lies past the end of the file.
fn unreadable(e: &ese_cache::Error) -> bool {
    match e {
        ese_cache::Error::ReadVerifyFailure { .. } => true,
        ese_cache::Error::Io { source, .. } => source.kind() == std::io::ErrorKind::UnexpectedEof,
        _ => false,
    }
}

/// Redoes one logged record on its page in the cache (what recovery calls for every page
/// operation and page image from the checkpoint on): the page is latched, [`redo`] decides
/// by dbtime (an image overwrites it), and an applied change marks the page dirty at
/// `lgpos`, the record's position. A page that fails verification on disk (torn, or never
/// written) is rebuilt when the record is an image or formats it, and otherwise left alone
/// with [`Redo::NeedsImage`].
///
/// A [`LogRecord::PageGroup`] is redone member by member, each at the group's position; the
/// result is [`Redo::NeedsImage`] if any member needed one, else [`Redo::Applied`] if any
/// applied. (A recovery that tracks damaged pages redoes the members itself, one by one:
/// [`LogRecord::page_records`].)
pub fn redo_into_cache(
    cache: &ese_cache::Cache,
    rec: &LogRecord,
    lgpos: ese_core::Lgpos,
) -> Result<Redo> {
    if let LogRecord::PageGroup(members) = rec {
        let mut outcome = Redo::Skipped;
        for member in members {
            match redo_into_cache(cache, member, lgpos)? {
                Redo::NeedsImage => outcome = Redo::NeedsImage,
                Redo::Applied if outcome == Redo::Skipped => outcome = Redo::Applied,
                Redo::Applied | Redo::Skipped => {}
            }
        }
        return Ok(outcome);
    }
    let Some((db, pgno)) = rec.page() else {
        return Ok(Redo::Skipped);
    };
    let mut page = match cache.write(db, pgno) {
        Ok(page) => page,
        Err(e) if unreadable(&e) => {
            if !rebuilds_page(rec)? {
                return Ok(Redo::NeedsImage);
            }
            cache.new_page(db, pgno)?
        }
        Err(e) => return Err(Error::Cache(e)),
    };
    // Redo works on a copy: the frame is written to (and so marked) only when the record
    // applies. Writing through the guard for a record that is skipped, or that finds the page
    // at another dbtime, would leave the page dirty with no logged change; a page dirty that
    // way takes no image before its next change (see `Database`), so recovery's own write of
    // it could then tear with nothing in the log after the checkpoint to repair it.
    let mut copy = page.to_vec();
    let done = redo(&mut copy, rec)?;
    if done == Redo::Applied {
        page.copy_from_slice(&copy);
        page.mark_dirty(lgpos);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_round_trip_and_garbage_never_panics() {
        let ops = vec![
            LineOp::Format {
                objid: 7,
                flags: PageFlags::LEAF,
                prev: Pgno(3),
                next: Pgno(9),
                lines: vec![b"pre".to_vec(), vec![1, 2, 3]],
            },
            LineOp::Insert(1, b"x".to_vec()),
            LineOp::Replace(2, b"yy".to_vec()),
            LineOp::Delete(1),
            LineOp::SetPrev(Pgno(4)),
            LineOp::SetNext(Pgno(0)),
            LineOp::SetFlags(PageFlags::LEAF | PageFlags::ROOT),
            LineOp::Patch {
                index: 0,
                offset: 1,
                bytes: b"R".to_vec(),
            },
        ];
        let bytes = encode_ops(&ops);
        assert_eq!(decode_ops(&bytes, Pgno(1)).unwrap(), ops);
        for cut in 0..bytes.len() {
            let _ = decode_ops(&bytes[..cut], Pgno(1));
        }
        let mut page = vec![0u8; 4096];
        apply(&mut page, Pgno(5), &ops, Dbtime(11)).unwrap();
        let v = ese_pageio::PageView::new(&page).unwrap();
        assert_eq!(v.header().dbtime, Dbtime(11));
        assert_eq!(v.header().prev, Pgno(4));
        assert_eq!(v.line(0).unwrap(), b"pRe");
        assert_eq!(v.line(1).unwrap(), b"yy");
    }
}
