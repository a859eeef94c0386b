//! Line operations on a page whose structure is already known to be sound.
//!
//! [`ese_pageio::PageMut`] checks a page's whole structure (every tag, lines in bounds and
//! disjoint, the free byte count) before it changes it: the right thing for a page of unknown
//! origin, and what redo does with every page it reads back. A page a B-tree call changes is
//! not of unknown origin: it is a copy of a cache page (verified by checksum when it was read,
//! and changed since only by these operations) or a page the call formatted itself, and every
//! operation keeps the structure sound. Checking all of it again for each change made the
//! check the largest cost of an insert, so the calls' changes go through [`Edit`] instead.
//!
//! `Edit` makes exactly the changes `PageMut` makes, byte for byte (same placement, same
//! compaction, same header counts), so a page changed here and the same page redone from the
//! log through `PageMut` agree. It checks in constant time the header fields it relies on
//! (sizes, the tag array and the data area in range) and, for each line an operation touches
//! or moves, that the line lies in the data area, so damaged input returns an error and never
//! panics; it does not prove that untouched lines are disjoint. Debug builds compare every
//! change with `PageMut`'s ([`crate::redo::apply_trusted`]).

use std::ops::{Deref, DerefMut};

use ese_core::limits::is_valid_page_size;
use ese_core::{Dbtime, Pgno};
use ese_pageio::PageError;
use ese_pageio::PageFlags;
use ese_pageio::page::{
    DATA_END_OFFSET, DBTIME_OFFSET, FLAGS_OFFSET, FREE_OFFSET, HEADER_BYTES, LINE_COUNT_OFFSET,
    NEXT_OFFSET, PGNO_OFFSET, PREV_OFFSET, TAG_BYTES, UNCOMMITTED_FREE_OFFSET,
};

use crate::error::{Error, Result, corrupt};
use crate::redo::LineOp;

fn get_u16(page: &[u8], at: usize) -> usize {
    page.get(at..at + 2)
        .map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])))
}

fn put(page: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = page.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

fn put_u16(page: &mut [u8], at: usize, v: usize) {
    // Offsets, sizes and counts on a page of at most 32 KiB fit in u16.
    put(page, at, &(v as u16).to_le_bytes());
}

/// Whether `ops` is a list of at least two line deletes, strictly from the last line
/// back: a list [`Edit::check_deletes`] can check without applying it.
pub(crate) fn is_descending_deletes(ops: &[LineOp]) -> bool {
    ops.len() >= 2
        && ops.iter().all(|op| matches!(op, LineOp::Delete(_)))
        && ops.windows(2).all(|w| match w {
            [LineOp::Delete(a), LineOp::Delete(b)] => a > b,
            _ => false,
        })
}

/// A page being changed in place by line operations (see the module doc).
#[derive(Debug)]
pub(crate) struct Edit<P> {
    page: P,
}

impl<'a> Edit<&'a mut [u8]> {
    /// Takes `page` for changing after the constant-time checks of its header.
    pub(crate) fn new(page: &'a mut [u8]) -> Result<Self> {
        Self::checked(page)
    }
}

impl<'a> Edit<&'a [u8]> {
    /// Takes `page` for reading only, after the same checks as [`Edit::new`]: what a change
    /// would do can be checked ([`Edit::check`]) before the page may be changed.
    pub(crate) fn view(page: &'a [u8]) -> Result<Self> {
        Self::checked(page)
    }
}

impl<P: Deref<Target = [u8]>> Edit<P> {
    /// `page` after the constant-time checks of its header.
    fn checked(page: P) -> Result<Self> {
        let len = page.len();
        if !is_valid_page_size(len) {
            return Err(Error::Page(PageError::BadSize { len }));
        }
        let e = Edit { page };
        let pgno = e.pgno();
        let flags = e
            .page
            .get(FLAGS_OFFSET..FLAGS_OFFSET + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        if PageFlags::from_bits(flags).is_none() {
            return corrupt(pgno, "unknown page flag bits are set");
        }
        let count = e.count();
        if HEADER_BYTES + TAG_BYTES * count > len {
            return corrupt(pgno, "the tag array overlaps the header");
        }
        let data_end = e.data_end();
        if data_end < HEADER_BYTES || data_end > e.tag_start(count) {
            return corrupt(pgno, "the end of the data area is out of range");
        }
        if e.free() > len - HEADER_BYTES - TAG_BYTES * count {
            return corrupt(pgno, "the free byte count does not match the lines");
        }
        if e.uncommitted() > e.free() {
            return corrupt(pgno, "uncommitted free bytes exceed free bytes");
        }
        Ok(e)
    }

    fn pgno(&self) -> Pgno {
        Pgno(
            self.page
                .get(PGNO_OFFSET..PGNO_OFFSET + 4)
                .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        )
    }

    fn count(&self) -> usize {
        get_u16(&self.page, LINE_COUNT_OFFSET)
    }

    fn free(&self) -> usize {
        get_u16(&self.page, FREE_OFFSET)
    }

    fn uncommitted(&self) -> usize {
        get_u16(&self.page, UNCOMMITTED_FREE_OFFSET)
    }

    fn data_end(&self) -> usize {
        get_u16(&self.page, DATA_END_OFFSET)
    }

    fn tag_start(&self, count: usize) -> usize {
        self.page.len().saturating_sub(TAG_BYTES * count)
    }

    fn tag(&self, index: usize) -> (usize, usize) {
        let at = self.page.len().wrapping_sub(TAG_BYTES * (index + 1));
        (get_u16(&self.page, at), get_u16(&self.page, at + 2))
    }

    fn no_such_line(&self, index: usize, count: usize) -> Error {
        Error::Page(PageError::NoSuchLine {
            pgno: self.pgno(),
            index,
            count,
        })
    }

    fn full(&self, needed: usize, available: usize) -> Error {
        Error::Page(PageError::PageFull {
            pgno: self.pgno(),
            needed,
            available,
        })
    }

    /// Line `index`'s tag, checked to lie in the data area.
    fn extent(&self, index: usize) -> Result<(usize, usize)> {
        let count = self.count();
        if index >= count {
            return Err(self.no_such_line(index, count));
        }
        let (offset, size) = self.tag(index);
        if size > 0 && (offset < HEADER_BYTES || offset + size > self.data_end()) {
            return corrupt(self.pgno(), "a line lies outside the data area");
        }
        Ok((offset, size))
    }

    /// The bytes of line `index`.
    pub(crate) fn line(&self, index: usize) -> Result<&[u8]> {
        let (offset, size) = self.extent(index)?;
        if size == 0 {
            return Ok(&[]);
        }
        match self.page.get(offset..offset + size) {
            Some(b) => Ok(b),
            None => corrupt(self.pgno(), "a line lies outside the page"),
        }
    }

    /// Checks, without changing the page, that the single operation `op` applies to it: its
    /// line exists and lies in the data area, and its bytes fit. The change itself can then
    /// fail only on a page whose untouched lines contradict its header, damage a page
    /// verified by its checksum when it was read does not have. A format is never checked
    /// here: it needs no sound page.
    pub(crate) fn check(&self, op: &LineOp) -> Result<()> {
        let available = self.free().saturating_sub(self.uncommitted());
        match op {
            LineOp::Insert(i, data) => {
                let (index, count) = (usize::from(*i), self.count());
                if index > count {
                    return Err(self.no_such_line(index, count));
                }
                let needed = data.len() + TAG_BYTES;
                if needed > available {
                    return Err(self.full(needed, available));
                }
            }
            LineOp::Replace(i, data) => {
                let (_, size) = self.extent(usize::from(*i))?;
                let extra = data.len().saturating_sub(size);
                if extra > available {
                    return Err(self.full(extra, available));
                }
            }
            LineOp::Delete(i) => {
                self.extent(usize::from(*i))?;
            }
            LineOp::Patch {
                index,
                offset,
                bytes,
            } => {
                let (_, size) = self.extent(usize::from(*index))?;
                if usize::from(*offset) + bytes.len() > size {
                    return corrupt(self.pgno(), "a patch runs past its line");
                }
            }
            LineOp::SetPrev(_) | LineOp::SetNext(_) | LineOp::SetFlags(_) => {}
            LineOp::Format { .. } => {
                return corrupt(self.pgno(), "a page format checked as a line operation");
            }
        }
        Ok(())
    }

    /// Checks that the line deletes `ops` (see [`is_descending_deletes`]), applied in
    /// turn, would succeed, without applying them: each fails as [`Edit::delete`] would on
    /// the page as the deletes before it leave it. Deleting a line moves only the tags of
    /// the lines after it, so every later (lower) line keeps the tag it has now; what a
    /// delete changes that a later one reads is the line count and the end of the data area,
    /// which are followed here. `Ok(false)` for a list that is not descending deletes.
    pub(crate) fn check_deletes(&self, ops: &[LineOp]) -> Result<bool> {
        if !is_descending_deletes(ops) {
            return Ok(false);
        }
        let (mut count, mut data_end) = (self.count(), self.data_end());
        for op in ops {
            let LineOp::Delete(i) = op else {
                return Ok(false);
            };
            let index = usize::from(*i);
            if index >= count {
                return Err(self.no_such_line(index, count));
            }
            let (offset, size) = self.tag(index);
            if size > 0 && (offset < HEADER_BYTES || offset + size > data_end) {
                return corrupt(self.pgno(), "a line lies outside the data area");
            }
            if size > 0 && offset + size == data_end {
                data_end = offset;
            }
            count -= 1;
        }
        Ok(true)
    }
}

impl<P: DerefMut<Target = [u8]>> Edit<P> {
    fn set_tag(&mut self, index: usize, offset: usize, size: usize) {
        let at = self.page.len().wrapping_sub(TAG_BYTES * (index + 1));
        put_u16(&mut self.page, at, offset);
        put_u16(&mut self.page, at + 2, size);
    }

    fn set_counts(&mut self, free: usize, data_end: usize, count: usize) {
        put_u16(&mut self.page, FREE_OFFSET, free);
        put_u16(&mut self.page, DATA_END_OFFSET, data_end);
        put_u16(&mut self.page, LINE_COUNT_OFFSET, count);
    }

    fn zero(&mut self, from: usize, to: usize) {
        if let Some(bytes) = self.page.get_mut(from..to) {
            bytes.fill(0);
        }
    }

    /// Overwrites `bytes.len()` bytes of line `index` from `at` (the same bytes as replacing
    /// the line by a patched copy of the same size, without the copy).
    pub(crate) fn patch(&mut self, index: usize, at: usize, bytes: &[u8]) -> Result<()> {
        let (offset, size) = self.extent(index)?;
        if at + bytes.len() > size {
            return corrupt(self.pgno(), "a patch runs past its line");
        }
        let start = offset + at;
        match self.page.get_mut(start..start + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                Ok(())
            }
            None => corrupt(self.pgno(), "a line lies outside the page"),
        }
    }

    /// Sets the dbtime of the last change.
    pub(crate) fn set_dbtime(&mut self, dbtime: Dbtime) {
        put(&mut self.page, DBTIME_OFFSET, &dbtime.0.to_le_bytes());
    }

    /// Sets the previous page at the same level.
    pub(crate) fn set_prev(&mut self, prev: Pgno) {
        put(&mut self.page, PREV_OFFSET, &prev.0.to_le_bytes());
    }

    /// Sets the next page at the same level.
    pub(crate) fn set_next(&mut self, next: Pgno) {
        put(&mut self.page, NEXT_OFFSET, &next.0.to_le_bytes());
    }

    /// Sets the page flags.
    pub(crate) fn set_flags(&mut self, flags: PageFlags) {
        put(&mut self.page, FLAGS_OFFSET, &flags.bits().to_le_bytes());
    }

    /// Inserts `data` as line `index` (`PageMut::insert`).
    pub(crate) fn insert(&mut self, index: usize, data: &[u8]) -> Result<()> {
        let count = self.count();
        if index > count {
            return Err(self.no_such_line(index, count));
        }
        let free = self.free();
        let needed = data.len() + TAG_BYTES;
        let available = free.saturating_sub(self.uncommitted());
        if needed > available {
            return Err(self.full(needed, available));
        }
        let len = self.page.len();
        if self.data_end() + needed > len - TAG_BYTES * count {
            self.reorganize()?;
        }
        let offset = self.data_end();
        if offset + needed > len - TAG_BYTES * count {
            return corrupt(self.pgno(), "the free byte count does not match the lines");
        }
        put(&mut self.page, offset, data);
        self.page.copy_within(
            len - TAG_BYTES * count..len - TAG_BYTES * index,
            len - TAG_BYTES * (count + 1),
        );
        let stored = if data.is_empty() {
            HEADER_BYTES
        } else {
            offset
        };
        self.set_tag(index, stored, data.len());
        self.set_counts(free - needed, offset + data.len(), count + 1);
        Ok(())
    }

    /// Replaces the bytes of line `index` with `data` (`PageMut::replace`).
    pub(crate) fn replace(&mut self, index: usize, data: &[u8]) -> Result<()> {
        let count = self.count();
        let (offset, size) = self.extent(index)?;
        let tag_start = self.tag_start(count);
        let mut data_end = self.data_end();
        let free = self.free();
        if data.len() <= size {
            put(&mut self.page, offset, data);
            self.zero(offset + data.len(), offset + size);
            if offset + size == data_end {
                data_end = offset + data.len();
            }
            let stored = if data.is_empty() {
                HEADER_BYTES
            } else {
                offset
            };
            self.set_tag(index, stored, data.len());
            self.set_counts(free + size - data.len(), data_end, count);
            return Ok(());
        }
        let extra = data.len() - size;
        let available = free.saturating_sub(self.uncommitted());
        if extra > available {
            return Err(self.full(extra, available));
        }
        let new_offset = if size > 0 && offset + size == data_end && data_end + extra <= tag_start {
            offset
        } else {
            self.zero(offset, offset + size);
            self.set_tag(index, HEADER_BYTES, 0);
            if size > 0 && offset + size == data_end {
                data_end = offset;
            }
            put_u16(&mut self.page, DATA_END_OFFSET, data_end);
            if data_end + data.len() > tag_start {
                self.reorganize()?;
                data_end = self.data_end();
            }
            data_end
        };
        if new_offset + data.len() > tag_start {
            return corrupt(self.pgno(), "the free byte count does not match the lines");
        }
        put(&mut self.page, new_offset, data);
        self.set_tag(index, new_offset, data.len());
        self.set_counts(free - extra, data_end.max(new_offset + data.len()), count);
        Ok(())
    }

    /// Deletes line `index` (`PageMut::delete`).
    pub(crate) fn delete(&mut self, index: usize) -> Result<()> {
        let count = self.count();
        let (offset, size) = self.extent(index)?;
        let len = self.page.len();
        self.zero(offset, offset + size);
        self.page.copy_within(
            len - TAG_BYTES * count..len - TAG_BYTES * (index + 1),
            len - TAG_BYTES * (count - 1),
        );
        self.zero(len - TAG_BYTES * count, len - TAG_BYTES * (count - 1));
        let mut data_end = self.data_end();
        if size > 0 && offset + size == data_end {
            data_end = offset;
        }
        self.set_counts(self.free() + size + TAG_BYTES, data_end, count - 1);
        Ok(())
    }

    /// Compacts the data area (`PageMut::reorganize`), checking that the lines it moves lie in
    /// the data area and do not overlap.
    fn reorganize(&mut self) -> Result<()> {
        let count = self.count();
        let data_end = self.data_end();
        let mut lines: Vec<(usize, usize, usize)> = (0..count)
            .map(|i| {
                let (offset, size) = self.tag(i);
                (offset, size, i)
            })
            .filter(|&(_, size, _)| size > 0)
            .collect();
        lines.sort_unstable();
        let mut pos = HEADER_BYTES;
        for (offset, size, index) in lines {
            if offset < pos || offset + size > data_end {
                return corrupt(self.pgno(), "two lines overlap or leave the data area");
            }
            self.page.copy_within(offset..offset + size, pos);
            self.set_tag(index, pos, size);
            pos += size;
        }
        self.zero(pos, data_end);
        put_u16(&mut self.page, DATA_END_OFFSET, pos);
        Ok(())
    }
}

impl crate::redo::LineEditor for Edit<&mut [u8]> {
    fn pgno(&self) -> Pgno {
        Edit::pgno(self)
    }
    fn line(&self, index: usize) -> Result<&[u8]> {
        Edit::line(self, index)
    }
    fn insert(&mut self, index: usize, data: &[u8]) -> Result<()> {
        Edit::insert(self, index, data)
    }
    fn replace(&mut self, index: usize, data: &[u8]) -> Result<()> {
        Edit::replace(self, index, data)
    }
    fn delete(&mut self, index: usize) -> Result<()> {
        Edit::delete(self, index)
    }
    fn patch(&mut self, index: usize, at: usize, bytes: &[u8]) -> Result<()> {
        Edit::patch(self, index, at, bytes)
    }
    fn set_prev(&mut self, prev: Pgno) {
        Edit::set_prev(self, prev);
    }
    fn set_next(&mut self, next: Pgno) {
        Edit::set_next(self, next);
    }
    fn set_flags(&mut self, flags: PageFlags) {
        Edit::set_flags(self, flags);
    }
    fn set_dbtime(&mut self, dbtime: Dbtime) {
        Edit::set_dbtime(self, dbtime);
    }
}

#[cfg(test)]
mod tests {
    use ese_pageio::PageMut;
    use proptest::prelude::*;

    use super::*;

    /// One line operation, with an index taken modulo the line count (plus one for inserts).
    #[derive(Clone, Debug)]
    enum Op {
        Insert(usize, Vec<u8>),
        Replace(usize, Vec<u8>),
        Delete(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let bytes = || proptest::collection::vec(any::<u8>(), 0..600);
        prop_oneof![
            (any::<usize>(), bytes()).prop_map(|(i, b)| Op::Insert(i, b)),
            (any::<usize>(), bytes()).prop_map(|(i, b)| Op::Replace(i, b)),
            any::<usize>().prop_map(Op::Delete),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every sequence of changes leaves the page exactly as `PageMut` leaves it, fails
        /// where `PageMut` fails (and where `Edit::check` says it will), and keeps the page's
        /// structure sound.
        #[test]
        fn edits_match_page_mut_byte_for_byte(
            ops in proptest::collection::vec(op(), 1..120),
            size in prop_oneof![Just(4096usize), Just(8192usize)],
        ) {
            let mut a = vec![0u8; size];
            PageMut::init(&mut a, Pgno(9), 3, PageFlags::LEAF, Dbtime(1)).expect("init");
            let mut b = a.clone();
            for op in ops {
                let count = ese_pageio::PageView::new(&a).expect("sound").line_count();
                let line_op = match &op {
                    Op::Insert(i, d) => LineOp::Insert((i % (count + 1)) as u16, d.clone()),
                    Op::Replace(i, d) => LineOp::Replace((i % (count + 1)) as u16, d.clone()),
                    Op::Delete(i) => LineOp::Delete((i % (count + 1)) as u16),
                };
                let checked = Edit::view(&b).expect("sound").check(&line_op).is_ok();
                let (ra, rb) = {
                    let mut ma = PageMut::new(&mut a).expect("sound");
                    let mut mb = Edit::new(&mut b).expect("sound");
                    match op {
                        Op::Insert(i, d) => {
                            let i = i % (count + 1);
                            (ma.insert(i, &d).is_ok(), mb.insert(i, &d).is_ok())
                        }
                        Op::Replace(i, d) => {
                            let i = i % (count + 1);
                            (ma.replace(i, &d).is_ok(), mb.replace(i, &d).is_ok())
                        }
                        Op::Delete(i) => {
                            let i = i % (count + 1);
                            (ma.delete(i).is_ok(), mb.delete(i).is_ok())
                        }
                    }
                };
                prop_assert_eq!(ra, rb);
                // The check without a change predicts the change exactly.
                prop_assert_eq!(checked, rb);
                prop_assert!(a == b, "the pages differ");
                prop_assert!(ese_pageio::page::check(&b).is_ok());
            }
        }
    }

    #[test]
    fn a_trusted_change_to_a_page_the_full_check_refuses_does_not_panic() {
        // A free count one byte low: PageMut's full check refuses the page, Edit (which checks
        // only what it touches) makes the change. In debug builds apply_trusted runs both;
        // the damage must not trip its comparison.
        let mut page = vec![0u8; 4096];
        {
            let mut m =
                PageMut::init(&mut page, Pgno(9), 3, PageFlags::LEAF, Dbtime(1)).expect("init");
            m.insert(0, b"hello").expect("insert");
            m.insert(1, b"world").expect("insert");
        }
        let free = u16::from_le_bytes([page[FREE_OFFSET], page[FREE_OFFSET + 1]]) - 1;
        page[FREE_OFFSET..FREE_OFFSET + 2].copy_from_slice(&free.to_le_bytes());
        assert!(PageMut::new(&mut page.clone()).is_err());
        let ops = [crate::redo::LineOp::Delete(0)];
        assert!(crate::redo::apply_trusted(&mut page, Pgno(9), &ops, Dbtime(2)).is_ok());
        assert_eq!(
            Edit::new(&mut page).expect("header").line(0).expect("line"),
            b"world"
        );
    }

    #[test]
    fn damaged_headers_are_refused_without_panicking() {
        let mut page = vec![0u8; 4096];
        PageMut::init(&mut page, Pgno(9), 3, PageFlags::LEAF, Dbtime(1)).expect("init");
        {
            let mut m = Edit::new(&mut page).expect("sound");
            m.insert(0, b"hello").expect("insert");
            m.insert(1, b"world").expect("insert");
        }
        for (at, value) in [
            (LINE_COUNT_OFFSET, 2000u16),
            (DATA_END_OFFSET, 10),
            (DATA_END_OFFSET, 4095),
            (FREE_OFFSET, 4090),
        ] {
            let mut bad = page.clone();
            bad[at..at + 2].copy_from_slice(&value.to_le_bytes());
            assert!(Edit::new(&mut bad).is_err(), "offset {at} = {value}");
        }
        // A tag pointing past the data area: the line is refused when touched.
        let mut bad = page.clone();
        let tag = bad.len() - TAG_BYTES;
        bad[tag..tag + 2].copy_from_slice(&4000u16.to_le_bytes());
        let mut m = Edit::new(&mut bad).expect("the header is sound");
        assert!(m.line(0).is_err());
        assert!(m.replace(0, &[7; 300]).is_err());
        assert!(m.delete(0).is_err());
        // Overlapping lines are found when a compaction moves them.
        let mut bad = page.clone();
        Edit::new(&mut bad)
            .expect("sound")
            .insert(2, b"again")
            .expect("insert");
        let tag = bad.len() - 3 * TAG_BYTES;
        bad[tag..tag + 2].copy_from_slice(&(HEADER_BYTES as u16 + 2).to_le_bytes());
        let mut m = Edit::new(&mut bad).expect("the header is sound");
        m.replace(1, b"").expect("a hole");
        let free = get_u16(m.page, FREE_OFFSET);
        assert!(matches!(
            m.insert(0, &vec![1; free - TAG_BYTES]),
            Err(Error::Corrupt { .. })
        ));
    }
}
