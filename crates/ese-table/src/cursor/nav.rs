//! Navigation on any index: the current index, moves, seeks, index ranges, bookmarks,
//! positions and counts, and the currency rules after changes (reference 12).
//!
//! The cursor's [`VersionedCursor`](ese_txn::VersionedCursor) walks the current index's
//! tree: the primary tree (records) or a secondary index's tree (entries, see
//! [`crate::maintain`]). A position holds the *tree key* of the entry; the record is reached
//! through the entry's bookmark. Comparisons with search keys and range limits use the
//! entry's *index key* (the tree key without the bookmark suffix of a non-unique index), as
//! memcmp with the shorter key first: so a search key made of fewer columns than the index is
//! below every entry that starts with it, and SeekEQ with it finds nothing (reference 12 §3).
//!
//! # Currency after changes
//!
//! ```text
//!   insert (JetUpdate, insert)    the cursor does not move (the bookmark is returned)
//!   replace (JetUpdate, replace)  on the record: its entry in the current index, found again
//!                                 from its new key (on a secondary index whose key changed,
//!                                 moves continue from the new entry); a record that no longer
//!                                 has an entry (IgnoreNull …) leaves the cursor on the record
//!                                 at the old entry's spot
//!   delete (JetDelete)            on the deleted entry: reads give JET_errRecordDeleted, moves
//!                                 go to the neighbours of its key
//!   DDL through the cursor        before the first entry
//! ```

use std::ops::Bound;

use ese_btree::{Entry, SeekOp};
use ese_core::JetErr;
use ese_core::limits::KEY_MOST_MOST_BYTES;
use ese_txn::{Session, VersionedTree};

use super::{
    CurrentRow, MOVE_FIRST, MOVE_LAST, Position, RangeGrbit, RecordPosition, RowRef, SeekGrbit,
    TableCursor, to_op_result,
};
use crate::catalog::{IndexCreate, IndexSchema};
use crate::error::{Error, Result, Warning};
use crate::index::{IndexGrbit, index_entries};
use crate::key::{MakeKeyGrbit, SegmentData};
use crate::maintain;
use crate::record::{Record, RecordLayout};

/// Bytes of 0xFF appended to a search key to sort after every entry whose index key equals
/// it: more than any bookmark.
const SEEK_PAD_BYTES: usize = KEY_MOST_MOST_BYTES + 1;

/// The tree operation of JetSeek's grbit: the first of EQ, LT, LE, GE, GT it holds.
#[inline]
fn seek_op(grbit: SeekGrbit) -> Option<SeekOp> {
    if grbit.contains(SeekGrbit::EQ) {
        Some(SeekOp::Eq)
    } else if grbit.contains(SeekGrbit::LT) {
        Some(SeekOp::Lt)
    } else if grbit.contains(SeekGrbit::LE) {
        Some(SeekOp::Le)
    } else if grbit.contains(SeekGrbit::GE) {
        Some(SeekOp::Ge)
    } else if grbit.contains(SeekGrbit::GT) {
        Some(SeekOp::Gt)
    } else {
        None
    }
}

/// An error of this crate carrying a JET code that has no variant of its own.
pub(crate) fn jet(code: JetErr, message: &str) -> Error {
    Error::Storage {
        code,
        message: message.to_string(),
    }
}

/// JetSetCurrentIndex2/3/4 grbits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SetIndexGrbit(pub u32);

impl SetIndexGrbit {
    /// JET_bitMoveFirst (0): cancel the update, switch, deferred first entry.
    pub const MOVE_FIRST: SetIndexGrbit = SetIndexGrbit(0);
    /// JET_bitMoveBeforeFirst (0x1): not supported by ESE (JET_errInvalidGrbit).
    pub const MOVE_BEFORE_FIRST: SetIndexGrbit = SetIndexGrbit(0x1);
    /// JET_bitNoMove (0x2): stay on the current record.
    pub const NO_MOVE: SetIndexGrbit = SetIndexGrbit(0x2);
}

/// JetGotoSecondaryIndexBookmark grbits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BookmarkGrbit(pub u32);

impl BookmarkGrbit {
    /// No flags.
    pub const NONE: BookmarkGrbit = BookmarkGrbit(0);
    /// JET_bitBookmarkPermitVirtualCurrency (0x1): a missing entry leaves the cursor there.
    pub const PERMIT_VIRTUAL_CURRENCY: BookmarkGrbit = BookmarkGrbit(0x1);
}

/// What JetGetSecondaryIndexBookmark returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecondaryBookmark {
    /// The entry's normalized secondary key.
    pub secondary_key: Vec<u8>,
    /// The record's primary bookmark.
    pub primary_bookmark: Vec<u8>,
}

impl SeekGrbit {
    /// JET_bitCheckUniqueness (0x40): accepted; JET_wrnUniqueKey is never claimed (ESE
    /// returns it only when uniqueness is cheaply known, which callers cannot rely on).
    pub const CHECK_UNIQUENESS: SeekGrbit = SeekGrbit(0x40);
}

impl TableCursor {
    // ---- the current index ----

    /// The position in `schema.secondary` of the current index; `None` on the clustered one.
    pub(super) fn current_secondary(&self) -> Option<usize> {
        let objid = self.index?;
        self.schema.secondary.iter().position(|i| i.objid == objid)
    }

    fn index_schema(&self) -> Option<&IndexSchema> {
        self.current_secondary().map(|i| &self.schema.secondary[i])
    }

    /// The tree of the current index.
    pub(super) fn index_tree(&self) -> &VersionedTree {
        match self.current_secondary() {
            Some(i) => &self.secondary[i],
            None => &self.primary,
        }
    }

    /// Whether the current index is clustered and sequential (no key columns).
    fn is_sequential(&self) -> bool {
        self.index_schema().is_none() && self.schema.primary.is_none()
    }

    fn suffix_bookmarks(&self) -> bool {
        self.index_schema().is_some_and(|i| !i.is_unique())
    }

    /// The index key of an entry: its tree key without a non-unique index's bookmark.
    fn entry_key<'e>(&self, e: &'e Entry) -> &'e [u8] {
        if self.suffix_bookmarks() {
            &e.key[..e.key.len().saturating_sub(e.data.len())]
        } else {
            &e.key
        }
    }

    /// The name of the current index (JetGetCurrentIndex): "" for the sequential index.
    pub fn get_current_index(&self) -> String {
        match (self.index_schema(), &self.schema.primary) {
            (Some(i), _) => i.name.clone(),
            (None, Some(p)) => p.name.clone(),
            (None, None) => String::new(),
        }
    }

    fn set_index_objid(&mut self, objid: Option<u32>) {
        if self.index == objid {
            return;
        }
        let mut users = self.state.index_users.lock();
        if let Some(old) = self.index
            && let Some(n) = users.get_mut(&old)
        {
            *n = n.saturating_sub(1);
        }
        if let Some(new) = objid {
            *users.entry(new).or_insert(0) += 1;
        }
        drop(users);
        self.index = objid;
        self.vc_mut();
        self.vc = self.index_tree().cursor();
    }

    /// Selects the current index (JetSetCurrentIndex2/3): `None` or "" is the clustered
    /// index (primary or sequential). [`SetIndexGrbit::MOVE_FIRST`] cancels a prepared update
    /// and puts the cursor on the deferred first entry; [`SetIndexGrbit::NO_MOVE`] keeps the
    /// current record, on its entry for value `itag_sequence` (0 = 1) of the first
    /// multi-valued key column (JET_errNoCurrentRecord when it has none in the index,
    /// JET_errBadItagSequence for a missing value). Selecting the current index changes
    /// nothing. Both remove the index range and the search key.
    ///
    /// Errors: JET_errIndexNotFound, JET_errInvalidGrbit (MoveBeforeFirst or unknown bits),
    /// JET_errIllegalOperation on a temporary table.
    pub fn set_current_index(
        &mut self,
        session: &Session,
        name: Option<&str>,
        grbit: SetIndexGrbit,
        itag_sequence: u32,
    ) -> Result<()> {
        if self.temp.is_some() {
            return Err(jet(
                JetErr::ILLEGAL_OPERATION,
                "temporary tables have one index",
            ));
        }
        if grbit.0 & !SetIndexGrbit::NO_MOVE.0 != 0 {
            return Err(Error::InvalidGrbit(
                "JetSetCurrentIndex takes MoveFirst or NoMove",
            ));
        }
        self.refresh(session)?;
        let target = match name.map(|n| n.trim_end_matches(' ')) {
            None | Some("") => None,
            Some(n) => {
                let idx = self.schema.index(n)?;
                (!idx.is_primary()).then_some(idx.objid)
            }
        };
        if target == self.index {
            return Ok(());
        }
        if grbit == SetIndexGrbit::NO_MOVE {
            let bookmark = self.current_key(session)?;
            let record = self.current_record(session)?.clone();
            let tree_key = match target {
                None => bookmark.clone(),
                Some(objid) => {
                    let idx = self
                        .schema
                        .secondary
                        .iter()
                        .find(|i| i.objid == objid)
                        .ok_or(Error::IndexNotFound)?;
                    self.entry_for_value(idx, &record, &bookmark, itag_sequence.max(1))?
                        .ok_or(Error::NoCurrentRecord)?
                }
            };
            self.range = None;
            self.key.reset();
            self.set_index_objid(target);
            let e = to_op_result(self.vc_mut().seek(session, &tree_key, SeekOp::Eq))?;
            if !self.land(e, Position::BeforeFirst)? {
                return Err(Error::NoCurrentRecord);
            }
            self.current = CurrentRow::Record(record);
            self.stamp_row();
            return Ok(());
        }
        self.update = None;
        self.range = None;
        self.key.reset();
        self.set_index_objid(target);
        self.current = CurrentRow::None;
        self.bm = None;
        self.set_pos(Position::DeferredFirst);
        Ok(())
    }

    /// The tree key of `record`'s entry in `idx` made with value `itag` of the first
    /// multi-valued key column and the first value of every other column; `None` when the
    /// index leaves the record out.
    fn entry_for_value(
        &self,
        idx: &IndexSchema,
        record: &Record,
        bookmark: &[u8],
        itag: u32,
    ) -> Result<Option<Vec<u8>>> {
        let values = record.key_values(&self.schema.columns, &idx.layout)?;
        let multi = values.iter().position(|v| v.len() > 1);
        let mut picked: Vec<Vec<SegmentData<'_>>> = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            let n = if Some(i) == multi || (multi.is_none() && i == 0 && itag > 1) {
                usize::try_from(itag - 1).unwrap_or(usize::MAX)
            } else {
                0
            };
            match v.get(n) {
                Some(x) => picked.push(vec![*x]),
                None if n == 0 => picked.push(Vec::new()),
                None => return Err(Error::BadItagSequence),
            }
        }
        let keys = index_entries(&idx.layout, idx.grbit, &picked)?;
        Ok(keys
            .into_iter()
            .next()
            .map(|k| maintain::tree_key(idx, k.bytes, bookmark)))
    }

    /// Makes this cursor one on a temporary table: its current index is `index` (the
    /// duplicates-keeping index) or the clustered one, and it starts before the first row.
    pub(crate) fn make_temp(
        &mut self,
        shared: std::sync::Arc<crate::temp::TempShared>,
        index: Option<u32>,
    ) {
        self.temp = Some(shared);
        self.set_index_objid(index);
        self.current = CurrentRow::None;
        self.bm = None;
        self.set_pos(Position::BeforeFirst);
    }

    // ---- landing and reading ----

    /// Puts the cursor on `entry` of the current index, or at `otherwise`.
    ///
    /// On the clustered index the record's bytes are checked (a malformed record fails the
    /// move, as decoding it would) and kept as they are: reads take their values from them
    /// in place, and the record is decoded only when a call needs all of it.
    pub(super) fn land(&mut self, entry: Option<Entry>, otherwise: Position) -> Result<bool> {
        match entry {
            Some(e) => {
                if self.current_secondary().is_some() {
                    self.current = CurrentRow::None;
                    self.bm = Some(e.data);
                } else {
                    let layout = RecordLayout::parse(&e.data, &self.schema.columns)?;
                    self.current = CurrentRow::Stored(e.data, layout);
                    self.stamp_row();
                    // The entry's key is the bookmark (`TableCursor::bookmark`).
                    self.bm = None;
                }
                self.set_pos(Position::On(e.key));
                Ok(true)
            }
            None => {
                self.current = CurrentRow::None;
                self.bm = None;
                self.set_pos(otherwise);
                Ok(false)
            }
        }
    }

    /// As [`TableCursor::land_in_place`] after a seek that found the entry whose tree key is
    /// exactly `key` (SeekEQ on the primary or a unique index): the position takes `key`'s
    /// buffer instead of a copy of the entry's key, and its old buffer goes back to the
    /// search key (a failure leaves the position as `land_in_place` would).
    fn land_in_place_at(&mut self, key: Vec<u8>) -> Result<()> {
        // The tree's SeekEQ finds only the key itself (`SeekOp::Eq`), so the bytes are
        // compared in debug builds only; an entry of another length is not reached, and the
        // general landing gives the right answer for it all the same.
        debug_assert!(
            self.vc
                .current()
                .is_none_or(|e| e.key.len() != key.len() || e.key == key)
        );
        if self.vc.current().is_none_or(|e| e.key.len() != key.len()) {
            self.land_in_place()?;
            self.key.recycle(key);
            return Ok(());
        }
        self.land_row_in_place()?;
        if let Position::On(old) = std::mem::replace(&mut self.pos, Position::On(key)) {
            self.key.recycle(old);
        }
        self.pos_in_vc = true;
        Ok(())
    }

    /// As [`TableCursor::land`] on the entry the versioned cursor stands on (after an in-place
    /// move found one), reusing the buffers of the row the cursor was on.
    fn land_in_place(&mut self) -> Result<()> {
        self.land_row_in_place()?;
        let Some(e) = self.vc.current() else {
            return Err(Error::NoCurrentRecord);
        };
        match &mut self.pos {
            // Keys of one index are often all as long (fixed key columns): the key is then
            // copied over the last one, with no length or capacity to change.
            Position::On(k) if k.len() == e.key.len() => k.copy_from_slice(&e.key),
            Position::On(k) => {
                k.clear();
                k.extend_from_slice(&e.key);
            }
            pos => *pos = Position::On(e.key.clone()),
        }
        self.pos_in_vc = true;
        Ok(())
    }

    /// The row half of [`TableCursor::land_in_place`]: `current` and the bookmark, not the
    /// position's key.
    #[inline]
    fn land_row_in_place(&mut self) -> Result<()> {
        let Some(e) = self.vc.current() else {
            return Err(Error::NoCurrentRecord);
        };
        if self.current_secondary().is_some() {
            self.current = CurrentRow::None;
            reuse(&mut self.bm, &e.data);
        } else {
            // The row stays in the versioned cursor's entry, which is the cursor's own copy:
            // it is read from there until the cursor moves.
            let layout = RecordLayout::parse(&e.data, &self.schema.columns)?;
            self.current = CurrentRow::InCursor {
                layout,
                len: e.data.len(),
            };
            // `stamp_row`, spelt out: `e` still borrows the versioned cursor.
            self.row_dbtime = self.catalog.database().dbtime_last().0;
            // The entry's key is the bookmark (`TableCursor::bookmark`): no copy of it.
            self.bm = None;
        }
        Ok(())
    }

    /// Reads the record the cursor is on into `self.current` (its bytes, unless it is
    /// decoded already), resolving a deferred first entry.
    pub(super) fn load_current(&mut self, session: &Session) -> Result<()> {
        if self.pos == Position::DeferredFirst {
            let e = to_op_result(self.vc_mut().first(session))?;
            if !self.land(e, Position::DeferredFirst)? {
                return Err(Error::NoCurrentRecord);
            }
        }
        match &self.pos {
            Position::On(_) => {}
            Position::Deleted(_) => return Err(Error::RecordDeleted),
            _ => return Err(Error::NoCurrentRecord),
        }
        if matches!(self.current, CurrentRow::InCursor { .. }) && self.in_cursor_row().is_none() {
            // Not reached while every move goes through `vc_mut`; reading the record again
            // by its bookmark is the safe answer.
            self.current = CurrentRow::None;
        }
        if !self.row_is_current() {
            // A page of the database changed since the row was read: it may have been this
            // session's change to the row, through another cursor, or the rollback of one.
            self.current = CurrentRow::None;
        }
        if matches!(self.current, CurrentRow::None) {
            // Where the versioned cursor found its entry: on the clustered index the record
            // is read there without a descent while that leaf still holds it (the hint of a
            // secondary index's entry is another tree's, which the primary tree ignores).
            let hint = self.vc.node_hint();
            let bm = self.bookmark().ok_or(Error::NoCurrentRecord)?;
            let data = self
                .primary
                .get_at(session, bm, hint.as_ref())?
                .ok_or(Error::RecordDeleted)?;
            let layout = RecordLayout::parse(&data, &self.schema.columns)?;
            self.current = CurrentRow::Stored(data, layout);
            self.stamp_row();
        }
        Ok(())
    }

    /// Notes that `self.current` was read now: [`TableCursor::row_is_current`] holds until
    /// a page of the database changes.
    pub(super) fn stamp_row(&mut self) {
        self.row_dbtime = self.catalog.database().dbtime_last().0;
    }

    /// Whether the row read into `self.current` is still the one the session sees.
    ///
    /// Other sessions' changes are not the question: the session's snapshot does not see
    /// them (and at level 0 a call sees the row as it was when the cursor landed, as ESE's
    /// copy would). This session's own are: a change through another cursor on the table, or
    /// a rollback undoing a change (which reaches the trees, not the cursors). Each writes a
    /// page, and every page write advances the database's dbtime, so a row read at the
    /// dbtime still current cannot have changed; a later write anywhere makes the next read
    /// fetch the row again by its bookmark.
    #[inline]
    pub(super) fn row_is_current(&self) -> bool {
        self.row_dbtime == self.catalog.database().dbtime_last().0
    }

    /// The record the cursor is on, for reading values, when it has been read already, so
    /// that [`TableCursor::load_current`] would change nothing and cannot fail (what
    /// [`TableCursor::loaded_row`] then returns); `None` when `load_current` must run first.
    pub(super) fn ready_row(&self) -> Option<RowRef<'_>> {
        if !matches!(self.pos, Position::On(_)) || !self.row_is_current() {
            return None;
        }
        match &self.current {
            // `in_cursor_row`, without matching the row again.
            CurrentRow::InCursor { layout, len } => self
                .vc
                .current()
                .filter(|e| e.data.len() == *len)
                .map(|e| RowRef::Stored(e.data.as_slice(), layout)),
            CurrentRow::Stored(data, layout) => Some(RowRef::Stored(data, layout)),
            CurrentRow::Record(r) => Some(RowRef::Record(r)),
            CurrentRow::None => None,
        }
    }

    /// The bytes of a [`CurrentRow::InCursor`] row: the versioned cursor's entry. Every
    /// move of the versioned cursor goes through [`TableCursor::vc_mut`], which forgets
    /// such a row first, so while the row is set the entry is the one it was parsed from
    /// (the length is checked all the same).
    fn in_cursor_row(&self) -> Option<&[u8]> {
        let CurrentRow::InCursor { len, .. } = self.current else {
            return None;
        };
        self.vc
            .current()
            .filter(|e| e.data.len() == len)
            .map(|e| e.data.as_slice())
    }

    /// The versioned cursor, to move it: a row read from its entry is forgotten first, so
    /// that a move that fails half-way (or does not land) never leaves the row pointing at
    /// another entry; [`TableCursor::load_current`] then reads the record by its bookmark.
    pub(super) fn vc_mut(&mut self) -> &mut ese_txn::VersionedCursor {
        if matches!(self.current, CurrentRow::InCursor { .. }) {
            self.current = CurrentRow::None;
        }
        self.pos_in_vc = false;
        &mut self.vc
    }

    /// Sets the position; the versioned cursor is no longer known to stand on its key.
    #[inline]
    pub(super) fn set_pos(&mut self, pos: Position) {
        self.pos = pos;
        self.pos_in_vc = false;
    }

    /// The record the cursor is on, decoded, resolving a deferred first entry.
    pub(super) fn current_record(&mut self, session: &Session) -> Result<&Record> {
        self.load_current(session)?;
        let stored = match &self.current {
            CurrentRow::Stored(data, _) => Some(data.as_slice()),
            CurrentRow::InCursor { .. } => self.in_cursor_row(),
            _ => None,
        };
        if let Some(data) = stored {
            let record = self.decode(data)?;
            self.current = CurrentRow::Record(record);
        }
        match &self.current {
            CurrentRow::Record(r) => Ok(r),
            _ => Err(Error::NoCurrentRecord),
        }
    }

    /// The record the cursor is on for reading values (stored bytes or decoded), resolving
    /// a deferred first entry.
    pub(super) fn current_row(&mut self, session: &Session) -> Result<RowRef<'_>> {
        self.load_current(session)?;
        self.loaded_row()
    }

    /// The record [`TableCursor::load_current`] read, for reading values.
    pub(super) fn loaded_row(&self) -> Result<RowRef<'_>> {
        match &self.current {
            CurrentRow::Stored(data, layout) => Ok(RowRef::Stored(data, layout)),
            CurrentRow::InCursor { layout, .. } => match self.in_cursor_row() {
                Some(data) => Ok(RowRef::Stored(data, layout)),
                None => Err(Error::NoCurrentRecord),
            },
            CurrentRow::Record(r) => Ok(RowRef::Record(r)),
            CurrentRow::None => Err(Error::NoCurrentRecord),
        }
    }

    /// The bookmark (primary key) of the record the cursor is on, with `Position::On`: the
    /// one kept in `bm` (a secondary index's entry holds it; a replace sets it), else, on
    /// the clustered index, the entry's key, which is the record's primary key.
    pub(super) fn bookmark(&self) -> Option<&[u8]> {
        match (&self.bm, &self.pos) {
            (Some(bm), _) => Some(bm),
            (None, Position::On(key)) if self.index.is_none() => Some(key),
            _ => None,
        }
    }

    /// The bookmark (primary key) of the current record.
    pub(super) fn current_key(&mut self, session: &Session) -> Result<Vec<u8>> {
        self.load_current(session)?;
        self.bookmark()
            .map(<[u8]>::to_vec)
            .ok_or(Error::NoCurrentRecord)
    }

    /// The tree key and index key of the current entry.
    fn current_entry(&mut self, session: &Session) -> Result<(Vec<u8>, Vec<u8>)> {
        self.load_current(session)?;
        let (Position::On(t), Some(bm)) = (&self.pos, self.bookmark()) else {
            return Err(Error::NoCurrentRecord);
        };
        let key = if self.suffix_bookmarks() {
            t[..t.len().saturating_sub(bm.len())].to_vec()
        } else {
            t.clone()
        };
        Ok((t.clone(), key))
    }

    // ---- moves ----

    /// Whether a move in direction `forward` may land on `entry`: a range limits only the
    /// moves towards its limit (reference 12 §4).
    fn range_admits(&self, entry: &Entry, forward: bool) -> bool {
        let key = self.entry_key(entry);
        self.range
            .as_ref()
            .is_none_or(|r| r.upper != forward || r.admits(key))
    }

    fn in_sync(&self, k: &[u8]) -> bool {
        self.vc.current().is_some_and(|e| e.key == k)
    }

    fn step_next(&mut self, session: &Session) -> Result<Option<Entry>> {
        match self.pos.clone() {
            Position::DeferredFirst => {
                if to_op_result(self.vc_mut().first(session))?.is_none() {
                    return Ok(None);
                }
                to_op_result(self.vc_mut().next(session))
            }
            Position::BeforeFirst => to_op_result(self.vc_mut().first(session)),
            Position::AfterLast => Ok(None),
            Position::On(k) | Position::Deleted(k) => {
                to_op_result(self.vc_mut().seek(session, &k, SeekOp::Gt))
            }
            Position::Virtual(k) => self.seek_index(session, &k, SeekOp::Ge),
        }
    }

    fn step_prev(&mut self, session: &Session) -> Result<Option<Entry>> {
        match self.pos.clone() {
            Position::DeferredFirst | Position::BeforeFirst => Ok(None),
            Position::AfterLast => to_op_result(self.vc_mut().last(session)),
            Position::On(k) | Position::Deleted(k) => {
                to_op_result(self.vc_mut().seek(session, &k, SeekOp::Lt))
            }
            Position::Virtual(k) => self.seek_index(session, &k, SeekOp::Le),
        }
    }

    /// A move ran off the end it was heading for (or out of the index range): the cursor is
    /// left after the last entry (`forward`) or before the first, on no record.
    fn ran_off(&mut self, forward: bool) -> Error {
        self.current = CurrentRow::None;
        self.bm = None;
        self.set_pos(if forward {
            Position::AfterLast
        } else {
            Position::BeforeFirst
        });
        Error::NoCurrentRecord
    }

    /// Moves the cursor on the current index (JetMove): [`MOVE_FIRST`], [`MOVE_LAST`], or
    /// `rows` entries forward (positive) or back (negative); 0 checks the current record.
    /// Running off either end is JET_errNoCurrentRecord, leaving the cursor after the last
    /// entry (forward, MoveLast) or before the first (backward, MoveFirst); an upper index
    /// range ends forward moves the same way (a lower one backward moves). Cancels a prepared
    /// update, even when it fails; MoveFirst/MoveLast remove the index range.
    pub fn move_to(&mut self, session: &Session, rows: i32) -> Result<()> {
        self.update = None;
        self.refresh(session)?;
        self.temp_before_move(rows)?;
        match rows {
            MOVE_FIRST => {
                self.range = None;
                let e = to_op_result(self.vc_mut().first(session))?;
                if !self.land(e, Position::BeforeFirst)? {
                    return Err(Error::NoCurrentRecord);
                }
                Ok(())
            }
            MOVE_LAST => {
                self.range = None;
                let e = to_op_result(self.vc_mut().last(session))?;
                if !self.land(e, Position::AfterLast)? {
                    return Err(Error::NoCurrentRecord);
                }
                Ok(())
            }
            0 => self.load_current(session),
            n => {
                let forward = n > 0;
                for _ in 0..n.unsigned_abs() {
                    // From an entry the versioned cursor still stands on, the step is made in
                    // place, with no copy of the entry but the row's own.
                    if self.pos_in_vc || matches!(&self.pos, Position::On(k) if self.in_sync(k)) {
                        let found = if forward {
                            self.vc_mut().next_in_place(session)
                        } else {
                            self.vc_mut().prev_in_place(session)
                        }
                        .map_err(Error::from)?;
                        let admitted = found
                            && self
                                .vc
                                .current()
                                .is_some_and(|e| self.range_admits(e, forward));
                        if !admitted {
                            return Err(self.ran_off(forward));
                        }
                        self.land_in_place()?;
                        continue;
                    }
                    let e = if forward {
                        self.step_next(session)?
                    } else {
                        self.step_prev(session)?
                    };
                    let admitted = e.as_ref().is_some_and(|e| self.range_admits(e, forward));
                    if !admitted {
                        return Err(self.ran_off(forward));
                    }
                    self.land(e, Position::BeforeFirst)?;
                }
                Ok(())
            }
        }
    }

    // ---- keys and seeks ----

    /// Adds a key column's value to the search key of the current index (JetMakeKey); on
    /// the sequential index only JET_bitNormalizedKey is accepted (JET_errNoCurrentIndex).
    pub fn make_key(&mut self, data: &[u8], grbit: MakeKeyGrbit) -> Result<()> {
        let secondary = self.current_secondary();
        let schema = &self.schema;
        let layout = match secondary {
            Some(i) => &schema.secondary[i].layout,
            None => match &schema.primary {
                Some(p) => &p.layout,
                None => &self.sequential_layout,
            },
        };
        self.key.make_key(layout, data, grbit)
    }

    /// JetRetrieveKey: the search key being built (`copy`, JET_bitRetrieveCopy; KeyNotMade
    /// if none), or the current entry's normalized key in the current index (the secondary
    /// key on a secondary index; NoCurrentRecord when not on an entry).
    pub fn retrieve_key(&mut self, session: &Session, copy: bool) -> Result<Vec<u8>> {
        if copy {
            return Ok(self.key.key()?.to_vec());
        }
        Ok(self.current_entry(session)?.1)
    }

    /// Repositions the tree cursor on `e` (after probing past it) and returns it again.
    fn reposition(&mut self, session: &Session, e: Option<Entry>) -> Result<Option<Entry>> {
        match e {
            Some(e) => to_op_result(self.vc_mut().seek(session, &e.key, SeekOp::Eq)),
            None => {
                self.vc_mut().reset();
                Ok(None)
            }
        }
    }

    /// The entry `op` finds for the search key `sk` by index-key comparison, the tree cursor
    /// left on it.
    fn seek_index(&mut self, session: &Session, sk: &[u8], op: SeekOp) -> Result<Option<Entry>> {
        let padded = || {
            let mut p = sk.to_vec();
            p.resize(sk.len() + SEEK_PAD_BYTES, 0xFF);
            p
        };
        match op {
            SeekOp::Eq | SeekOp::Ge => {
                let mut e = to_op_result(self.vc_mut().seek(session, sk, SeekOp::Ge))?;
                while e.as_ref().is_some_and(|x| self.entry_key(x) < sk) {
                    e = to_op_result(self.vc_mut().next(session))?;
                }
                if op == SeekOp::Eq && e.as_ref().is_none_or(|x| self.entry_key(x) != sk) {
                    return Ok(None);
                }
                Ok(e)
            }
            SeekOp::Gt => {
                let mut e = to_op_result(self.vc_mut().seek(session, sk, SeekOp::Gt))?;
                if e.as_ref().is_some_and(|x| self.entry_key(x) == sk) {
                    e = to_op_result(self.vc_mut().seek(session, &padded(), SeekOp::Gt))?;
                }
                while e.as_ref().is_some_and(|x| self.entry_key(x) <= sk) {
                    e = to_op_result(self.vc_mut().next(session))?;
                }
                Ok(e)
            }
            SeekOp::Le | SeekOp::Lt => {
                let strict = op == SeekOp::Lt;
                let below = |k: &[u8]| if strict { k < sk } else { k <= sk };
                // Every entry whose tree key is below the search key qualifies; entries
                // after it qualify only when their key equals the search key (LE) or is a
                // proper prefix of it.
                let first = to_op_result(self.vc_mut().seek(session, sk, op))?;
                let probe = to_op_result(self.vc_mut().seek(session, sk, SeekOp::Ge))?;
                match probe {
                    Some(p) if !strict && self.entry_key(&p) == sk => {
                        let mut e =
                            to_op_result(self.vc_mut().seek(session, &padded(), SeekOp::Le))?;
                        while e.as_ref().is_some_and(|x| self.entry_key(x) > sk) {
                            e = to_op_result(self.vc_mut().prev(session))?;
                        }
                        Ok(e)
                    }
                    Some(p) if below(self.entry_key(&p)) => {
                        let mut best = p;
                        while let Some(n) = to_op_result(self.vc_mut().next(session))? {
                            if !below(self.entry_key(&n)) {
                                break;
                            }
                            best = n;
                        }
                        self.reposition(session, Some(best))
                    }
                    _ => self.reposition(session, first),
                }
            }
        }
    }

    /// Seeks with the search key on the current index (JetSeek). Returns JET_wrnSeekNotEqual
    /// for an inexact SeekGE/SeekLE; JET_errRecordNotFound when nothing suits (SeekEQ leaves
    /// the cursor virtually at the key, GE/GT after the last entry, LE/LT before the first).
    /// Consumes the key (JET_errKeyNotMade if none), cancels a prepared update and removes
    /// the index range; with SeekEQ, [`SeekGrbit::SET_INDEX_RANGE`] then sets an inclusive
    /// upper range on the key.
    pub fn seek(&mut self, session: &Session, grbit: SeekGrbit) -> Result<Option<Warning>> {
        let key = self.key.take()?;
        self.update = None;
        self.range = None;
        self.refresh(session)?;
        self.temp_before_seek()?;
        let op = seek_op(grbit).ok_or(Error::InvalidParameter(
            "JetSeek needs one of EQ, LT, LE, GE, GT",
        ))?;
        let key = key.bytes;
        if matches!(op, SeekOp::Eq | SeekOp::Ge) && !self.suffix_bookmarks() {
            return self.seek_unique(session, key, op, grbit);
        }
        let entry = self.seek_index(session, &key, op)?;
        let exact = entry.as_ref().is_some_and(|e| self.entry_key(e) == key);
        if entry.is_none() {
            let miss = match op {
                SeekOp::Eq => Position::Virtual(key),
                SeekOp::Ge | SeekOp::Gt => Position::AfterLast,
                SeekOp::Le | SeekOp::Lt => Position::BeforeFirst,
            };
            self.land(None, miss)?;
            return Err(Error::RecordNotFound);
        }
        self.land(entry, Position::AfterLast)?;
        if op == SeekOp::Eq && grbit.contains(SeekGrbit::SET_INDEX_RANGE) {
            self.range = Some(super::Range {
                limit: key,
                inclusive: true,
                upper: true,
            });
        } else {
            self.key.recycle(key);
        }
        Ok(match op {
            SeekOp::Ge | SeekOp::Le if !exact => Some(Warning::SeekNotEqual),
            _ => None,
        })
    }

    /// [`TableCursor::seek`] with EQ or GE on an index whose tree keys are its index keys
    /// (the primary or a unique index): the tree's own seek lands on the entry, read in place.
    fn seek_unique(
        &mut self,
        session: &Session,
        key: Vec<u8>,
        op: SeekOp,
        grbit: SeekGrbit,
    ) -> Result<Option<Warning>> {
        let found = self
            .vc_mut()
            .seek_in_place(session, &key, op)
            .map_err(Error::from)?;
        if !found {
            let miss = match op {
                SeekOp::Eq => Position::Virtual(key),
                _ => Position::AfterLast,
            };
            self.land(None, miss)?;
            return Err(Error::RecordNotFound);
        }
        if op == SeekOp::Eq {
            // The entry SeekEQ found on this index has the search key as its whole tree key:
            // the search key's buffer becomes the position's, and the position's old buffer
            // is kept for the next search key, so the key is neither compared nor copied.
            let range = grbit
                .contains(SeekGrbit::SET_INDEX_RANGE)
                .then(|| key.clone());
            self.land_in_place_at(key)?;
            if let Some(limit) = range {
                self.range = Some(super::Range {
                    limit,
                    inclusive: true,
                    upper: true,
                });
            }
            return Ok(None);
        }
        let exact = self.vc.current().is_some_and(|e| e.key == key);
        self.land_in_place()?;
        self.key.recycle(key);
        Ok((!exact).then_some(Warning::SeekNotEqual))
    }

    /// Limits moves with the search key (JetSetIndexRange). JET_errNoCurrentRecord when the
    /// current entry lies outside the new range (which stays set, the cursor moving after
    /// the last or before the first entry); [`RangeGrbit::INSTANT_DURATION`] only tests;
    /// [`RangeGrbit::REMOVE`] without a range is JET_errInvalidOperation; the sequential
    /// index is JET_errNoCurrentIndex. Consumes the search key.
    pub fn set_index_range(&mut self, session: &Session, grbit: RangeGrbit) -> Result<()> {
        if grbit.contains(RangeGrbit::REMOVE) {
            return match self.range.take() {
                Some(_) => Ok(()),
                None => Err(Error::InvalidOperation),
            };
        }
        if self.is_sequential() {
            return Err(Error::NoCurrentIndex);
        }
        let key = self.key.take()?;
        let range = super::Range {
            limit: key.bytes,
            inclusive: grbit.contains(RangeGrbit::INCLUSIVE),
            upper: grbit.contains(RangeGrbit::UPPER_LIMIT),
        };
        let (_, current) = self.current_entry(session)?;
        let inside = range.admits(&current);
        let upper = range.upper;
        if !grbit.contains(RangeGrbit::INSTANT_DURATION) {
            self.range = Some(range);
        }
        if !inside {
            return Err(self.ran_off(upper));
        }
        Ok(())
    }

    // ---- bookmarks ----

    /// The current record's bookmark, its primary key or DBK, on any index (JetGetBookmark).
    pub fn get_bookmark(&mut self, session: &Session) -> Result<Vec<u8>> {
        self.current_key(session)
    }

    /// Goes to the record with `bookmark` (JetGotoBookmark); on a secondary index to the
    /// record's entry made with the first value of each key column. JET_errInvalidBookmark
    /// for an empty bookmark; JET_errRecordDeleted if the session sees no such record;
    /// JET_errNoCurrentRecord if it has no entry in the current index. On failure the
    /// position is unchanged. Cancels the update, the range and the search key.
    pub fn goto_bookmark(&mut self, session: &Session, bookmark: &[u8]) -> Result<()> {
        if bookmark.is_empty() {
            return Err(Error::InvalidBookmark);
        }
        self.update = None;
        self.range = None;
        self.key.reset();
        self.refresh(session)?;
        let data = self
            .primary
            .get(session, bookmark)?
            .ok_or(Error::RecordDeleted)?;
        let tree_key = match self.index_schema() {
            None => bookmark.to_vec(),
            Some(idx) => {
                let record = self.decode(&data)?;
                self.entry_for_value(idx, &record, bookmark, 1)?
                    .ok_or(Error::NoCurrentRecord)?
            }
        };
        match to_op_result(self.vc_mut().seek(session, &tree_key, SeekOp::Eq))? {
            Some(e) => {
                self.land(Some(e), Position::BeforeFirst)?;
                Ok(())
            }
            None if self.index.is_some() => Err(Error::NoCurrentRecord),
            None => Err(Error::RecordDeleted),
        }
    }

    /// The current entry's secondary key and primary bookmark
    /// (JetGetSecondaryIndexBookmark): JET_errNoCurrentIndex on the clustered index,
    /// JET_errNoCurrentRecord off an entry.
    pub fn get_secondary_index_bookmark(&mut self, session: &Session) -> Result<SecondaryBookmark> {
        if self.index_schema().is_none() {
            return Err(Error::NoCurrentIndex);
        }
        let (_, key) = self.current_entry(session)?;
        Ok(SecondaryBookmark {
            secondary_key: key,
            primary_bookmark: self
                .bookmark()
                .map(<[u8]>::to_vec)
                .ok_or(Error::NoCurrentRecord)?,
        })
    }

    /// Goes to the exact entry (`secondary_key`, `primary_bookmark`) of the current secondary
    /// index (JetGotoSecondaryIndexBookmark). A non-unique index needs the primary bookmark
    /// (JET_errInvalidBookmark otherwise, as for an empty key); JET_errNoCurrentIndex on the
    /// clustered index; JET_errRecordDeleted when the entry is gone, the position then
    /// unchanged, or with [`BookmarkGrbit::PERMIT_VIRTUAL_CURRENCY`] virtually at the entry
    /// (reads give RecordDeleted, moves go to its neighbours). Cancels the update, the range
    /// and the search key.
    pub fn goto_secondary_index_bookmark(
        &mut self,
        session: &Session,
        secondary_key: &[u8],
        primary_bookmark: &[u8],
        grbit: BookmarkGrbit,
    ) -> Result<()> {
        self.refresh(session)?;
        let Some(idx) = self.index_schema() else {
            return Err(Error::NoCurrentIndex);
        };
        if secondary_key.is_empty() || (!idx.is_unique() && primary_bookmark.is_empty()) {
            return Err(Error::InvalidBookmark);
        }
        let tree_key = maintain::tree_key(idx, secondary_key.to_vec(), primary_bookmark);
        self.update = None;
        self.range = None;
        self.key.reset();
        let e = to_op_result(self.vc_mut().seek(session, &tree_key, SeekOp::Eq))?;
        match e {
            Some(e) if primary_bookmark.is_empty() || e.data == primary_bookmark => {
                self.land(Some(e), Position::BeforeFirst)?;
                Ok(())
            }
            _ => {
                if grbit.0 & BookmarkGrbit::PERMIT_VIRTUAL_CURRENCY.0 != 0 {
                    self.current = CurrentRow::None;
                    self.bm = None;
                    self.set_pos(Position::Deleted(tree_key));
                }
                Err(Error::RecordDeleted)
            }
        }
    }

    // ---- positions and counts ----

    /// The number of entries of the current index from the current one (inclusive) to the
    /// end of the index or of an upper range, at most `max` (0: no cap)
    /// (JetIndexRecordCount2); exact and transaction-consistent. A fresh cursor counts from
    /// the first entry (0 on an empty index); the index range is removed afterwards.
    pub fn index_record_count(&mut self, session: &Session, max: u64) -> Result<u64> {
        self.refresh(session)?;
        self.temp_forbid("JetIndexRecordCount")?;
        let start = if self.pos == Position::DeferredFirst {
            None
        } else {
            Some(self.current_entry(session)?.0)
        };
        let range = self.range.take();
        let mut c = self.index_tree().cursor();
        let mut e = match &start {
            Some(t) => to_op_result(c.seek(session, t, SeekOp::Ge))?,
            None => to_op_result(c.first(session))?,
        };
        let mut n = 0u64;
        while let Some(x) = e {
            let inside = range
                .as_ref()
                .is_none_or(|r| !r.upper || r.admits(self.entry_key(&x)));
            if !inside || (max != 0 && n >= max) {
                break;
            }
            n += 1;
            e = to_op_result(c.next(session))?;
        }
        Ok(n)
    }

    /// The current entry's position in the current index (JetGetRecordPosition): exact here
    /// (ESE's is approximate).
    pub fn get_record_position(&mut self, session: &Session) -> Result<RecordPosition> {
        self.temp_forbid("JetGetRecordPosition")?;
        let (t, _) = self.current_entry(session)?;
        let tree = self.index_tree();
        let lt = tree.count(session, Bound::Unbounded, Bound::Excluded(&t))?;
        let total = tree.count(session, Bound::Unbounded, Bound::Unbounded)?;
        Ok(RecordPosition {
            entries_lt: lt,
            entries_total: total,
        })
    }

    /// Moves to the entry at `entries_lt / entries_total` of the current index
    /// (JetGotoPosition): JET_errInvalidParameter when LT exceeds the total or the total is
    /// 0, JET_errRecordNotFound on an empty index. Cancels the update, range and key.
    pub fn goto_position(&mut self, session: &Session, position: RecordPosition) -> Result<()> {
        if position.entries_lt > position.entries_total || position.entries_total == 0 {
            return Err(Error::InvalidParameter("centriesLT beyond centriesTotal"));
        }
        self.temp_forbid("JetGotoPosition")?;
        self.update = None;
        self.range = None;
        self.key.reset();
        self.refresh(session)?;
        let total = self
            .index_tree()
            .count(session, Bound::Unbounded, Bound::Unbounded)?;
        if total == 0 {
            return Err(Error::RecordNotFound);
        }
        let target = (u128::from(position.entries_lt) * u128::from(total)
            / u128::from(position.entries_total))
        .min(u128::from(total - 1)) as u64;
        let mut entry = to_op_result(self.vc_mut().first(session))?;
        for _ in 0..target {
            match to_op_result(self.vc_mut().next(session))? {
                Some(e) => entry = Some(e),
                None => break,
            }
        }
        if !self.land(entry, Position::BeforeFirst)? {
            return Err(Error::RecordNotFound);
        }
        Ok(())
    }

    // ---- currency after changes ----

    /// Where a replace leaves the cursor: on the record `record` with `bookmark`, at its
    /// entry in the current index (module doc).
    pub(super) fn after_replace(&mut self, session: &Session, bookmark: &[u8], record: Record) {
        let tree_key = match self.index_schema() {
            None => Some(bookmark.to_vec()),
            Some(idx) => self
                .entry_for_value(idx, &record, bookmark, 1)
                .ok()
                .flatten(),
        };
        match tree_key {
            Some(t) => {
                // Re-sync the tree cursor lazily: moves re-seek from the key.
                self.vc_mut().reset();
                self.set_pos(Position::On(t));
            }
            None => {
                if !matches!(self.pos, Position::On(_)) {
                    self.set_pos(Position::BeforeFirst);
                }
            }
        }
        let _ = session;
        self.bm = Some(bookmark.to_vec());
        self.current = CurrentRow::Record(record);
        self.stamp_row();
    }

    /// Where a delete leaves the cursor: on the deleted entry (module doc).
    pub(super) fn after_delete(&mut self, bookmark: &[u8]) {
        let t = match &self.pos {
            Position::On(t) => t.clone(),
            _ => bookmark.to_vec(),
        };
        self.current = CurrentRow::None;
        self.bm = None;
        self.set_pos(Position::Deleted(t));
    }

    // ---- index DDL through the cursor ----

    /// Creates an index (JetCreateIndex / JetCreateIndex2 with one JET_INDEXCREATE): a
    /// secondary index is built from the records the session sees, in the same transaction
    /// (a unique index over equal keys fails with JET_errKeyDuplicate and nothing is
    /// created); a primary index only on an empty table (JET_errTableNotEmpty). The cursor
    /// ends before the first entry of its current index. Errors: JET_errIndexDuplicate,
    /// JET_errIndexHasPrimary, the definition's errors (see [`crate::IndexDef::resolve`]),
    /// JET_errIllegalOperation on a temporary table.
    pub fn create_index(&mut self, session: &mut Session, create: &IndexCreate) -> Result<()> {
        self.temp_forbid("JetCreateIndex")?;
        let catalog = self.catalog.clone();
        let objid = self.schema.objid;
        let primary = self.primary.clone();
        let schema = catalog.atomically(session, |session| {
            if create.grbit.contains(IndexGrbit::PRIMARY) {
                let mut c = primary.cursor();
                if c.first(session)?.is_some() {
                    return Err(Error::TableNotEmpty);
                }
            }
            let schema = catalog.create_index_unbuilt(session, objid, create)?;
            if let Some(idx) = schema.secondary.iter().find(|i| i.name == create.name)
                && !create.grbit.contains(IndexGrbit::EMPTY)
            {
                let tree = catalog.versioned(idx.objid, idx.root)?;
                maintain::build_index(&schema, idx, &primary, &tree, session)?;
            }
            Ok(schema)
        })?;
        self.set_schema(schema)?;
        self.update = None;
        self.range = None;
        self.bm = None;
        self.current = CurrentRow::None;
        self.set_pos(Position::BeforeFirst);
        Ok(())
    }

    /// Deletes a secondary index (JetDeleteIndex): JET_errIndexNotFound, JET_errIndexMustStay
    /// for the primary index, JET_errIndexInUse while it is the current index of any cursor
    /// (this one included). The cursor ends before the first entry. The index's pages stay
    /// allocated (the B-tree layer frees no trees).
    pub fn delete_index(&mut self, session: &mut Session, name: &str) -> Result<()> {
        self.temp_forbid("JetDeleteIndex")?;
        self.refresh(session)?;
        let idx = self.schema.index(name)?;
        if idx.is_primary() {
            return Err(jet(
                JetErr::INDEX_MUST_STAY,
                "the primary index cannot be deleted",
            ));
        }
        let in_use = self
            .state
            .index_users
            .lock()
            .get(&idx.objid)
            .is_some_and(|n| *n > 0);
        if in_use {
            return Err(jet(
                JetErr::INDEX_IN_USE,
                "the index is some cursor's current index",
            ));
        }
        let schema = self
            .catalog
            .delete_index_rows(session, self.schema.objid, name)?;
        self.set_schema(schema)?;
        self.update = None;
        self.range = None;
        self.bm = None;
        self.current = CurrentRow::None;
        self.set_pos(Position::BeforeFirst);
        Ok(())
    }
}

/// Sets `slot` to `bytes`, reusing the buffer it holds.
fn reuse(slot: &mut Option<Vec<u8>>, bytes: &[u8]) {
    match slot {
        Some(b) => {
            b.clear();
            b.extend_from_slice(bytes);
        }
        None => *slot = Some(bytes.to_vec()),
    }
}
