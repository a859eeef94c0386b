//! The update and retrieval side of a cursor that goes beyond one in-record value: long
//! values (JET_SETINFO/JET_RETINFO's ibLongValue, AppendLV, OverwriteLV, SizeLV,
//! SeparateLV, IntrinsicLV), batches (JetSetColumns, JetRetrieveColumns),
//! JetEnumerateColumns, JetEscrowUpdate and DeleteOnZero.
//!
//! # Long values in a prepared update
//!
//! A long value at most [`LONG_VALUE_INTRINSIC_MOST_BYTES`] long stays in the record (also
//! a longer one with JET_bitSetIntrinsicLV, if it fits); a longer one, or any longer than an
//! [`LvRef`] with JET_bitSetSeparateLV, goes to the table's long-value tree
//! ([`crate::lv`]) at once, in the caller's transaction (a long-value set at level 0 is
//! JET_errNotInTransaction, as in ESE). When a set would overflow the record, the record's
//! largest intrinsic long values are moved out first; only then is it JET_errRecordTooBig.
//!
//! A value the update creates is *owned* by it and changed in place; a value the copy
//! buffer took from a stored record is copied before its first change (copy-on-write), so
//! no other record and no cancelled update can see the change. JetUpdate settles the
//! references in the same save point as the record: owned values it keeps are adopted,
//! values taken from the original record and still referenced keep their reference (a
//! copy, JET_prepInsertCopy, adds one), dropped ones are released, and owned values no
//! longer referenced are freed.
//!
//! Owned values not yet adopted are listed in the table's shared state with a weak link to
//! their update. JET_prepCancel frees them; an update dropped without a cancel (a move,
//! JetCloseTable) leaves them to the next long-value call of the same session on the
//! table, which frees them in its own save point.

use std::sync::{Arc, Weak};

use ese_btree::NodeHint;
use ese_core::limits::LONG_VALUE_INTRINSIC_MOST_BYTES;
use ese_txn::{EscrowField, EscrowWidth, Session};

use super::{CurrentRow, Prep, RowRef, TableCursor, Update, index_keys};
use crate::coltyp::{ColumnDef, ColumnGrbit, ColumnId, ColumnType};
use crate::error::{Error, Result, Warning};
use crate::lv::LvTree;
use crate::record::{
    LV_REF_BYTES, LvRef, Record, RetrieveGrbit, SetGrbit, ValueRef, normalized_value,
};

/// A long value a prepared update created and no record has adopted yet.
#[derive(Debug)]
pub(crate) struct PendingLv {
    session: u64,
    owner: Weak<()>,
    lv: LvRef,
}

/// JET_SETINFO: where a JetSetColumn writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetInfo {
    /// ibLongValue: the offset for JET_bitSetOverwriteLV (and with SizeLV).
    pub ib_long_value: u64,
    /// itagSequence: 1-based value; 0 or beyond the last appends.
    pub itag_sequence: u32,
}

impl Default for SetInfo {
    /// What a NULL JET_SETINFO means: itagSequence 1, ibLongValue 0.
    fn default() -> Self {
        SetInfo {
            ib_long_value: 0,
            itag_sequence: 1,
        }
    }
}

/// JET_RETINFO: what a JetRetrieveColumn reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetInfo {
    /// ibLongValue: the offset to read from.
    pub ib_long_value: u64,
    /// itagSequence: the 1-based value.
    pub itag_sequence: u32,
}

impl Default for RetInfo {
    /// What a NULL JET_RETINFO means: itagSequence 1, ibLongValue 0.
    fn default() -> Self {
        RetInfo {
            ib_long_value: 0,
            itag_sequence: 1,
        }
    }
}

/// What one JetRetrieveColumn produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retrieved {
    /// cbActual: the value's size from ibLongValue (0 for NULL).
    pub actual_bytes: usize,
    /// JET_wrnColumnNull or JET_wrnBufferTruncated.
    pub warning: Option<Warning>,
    /// JET_RETINFO.itagSequence on return: with JET_bitRetrieveTag, the value that was read.
    pub itag_sequence: u32,
}

/// One element of JetSetColumns (JET_SETCOLUMN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetColumn<'a> {
    /// columnid.
    pub id: ColumnId,
    /// pvData/cbData.
    pub data: &'a [u8],
    /// grbit.
    pub grbit: SetGrbit,
    /// ibLongValue.
    pub ib_long_value: u64,
    /// itagSequence, used as given (0 appends).
    pub itag_sequence: u32,
    /// err on return: the warning of an element that was applied.
    pub warning: Option<Warning>,
}

/// One element of JetRetrieveColumns (JET_RETRIEVECOLUMN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrieveColumn {
    /// columnid.
    pub id: ColumnId,
    /// cbData: the most bytes to return.
    pub max_bytes: usize,
    /// grbit.
    pub grbit: RetrieveGrbit,
    /// ibLongValue.
    pub ib_long_value: u64,
    /// itagSequence; 0 asks for the number of values, returned here.
    pub itag_sequence: u32,
    /// pvData on return: at most `max_bytes` bytes.
    pub data: Vec<u8>,
    /// cbActual on return.
    pub actual_bytes: usize,
    /// err on return: this element's error or warning.
    pub result: Result<Option<Warning>>,
}

impl RetrieveColumn {
    /// An element reading value `itag_sequence` of `id` into at most `max_bytes` bytes.
    pub fn new(id: ColumnId, itag_sequence: u32, max_bytes: usize) -> RetrieveColumn {
        RetrieveColumn {
            id,
            max_bytes,
            grbit: RetrieveGrbit::NONE,
            ib_long_value: 0,
            itag_sequence,
            data: Vec::new(),
            actual_bytes: 0,
            result: Ok(None),
        }
    }
}

/// JetEscrowUpdate grbits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EscrowGrbit(pub u32);

impl EscrowGrbit {
    /// No flags.
    pub const NONE: EscrowGrbit = EscrowGrbit(0);
    /// JET_bitEscrowNoRollback (0x1): the delta survives a rollback.
    pub const NO_ROLLBACK: EscrowGrbit = EscrowGrbit(0x1);
}

/// JetEnumerateColumns grbits (`JET_bitEnumerate…`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EnumerateGrbit(pub u32);

impl EnumerateGrbit {
    /// No flags.
    pub const NONE: EnumerateGrbit = EnumerateGrbit(0);
    /// JET_bitEnumerateCopy (0x1): enumerate the copy buffer.
    pub const COPY: EnumerateGrbit = EnumerateGrbit(0x1);
    /// JET_bitEnumerateIgnoreDefault (0x20): skip values that are only defaults.
    pub const IGNORE_DEFAULT: EnumerateGrbit = EnumerateGrbit(0x20);
    /// JET_bitEnumerateLocal (0x10000): rejected (JET_errInvalidGrbit).
    pub const LOCAL: EnumerateGrbit = EnumerateGrbit(0x10000);
    /// JET_bitEnumeratePresenceOnly (0x20000): report presence (JET_wrnColumnPresent), no data.
    pub const PRESENCE_ONLY: EnumerateGrbit = EnumerateGrbit(0x20000);
    /// JET_bitEnumerateTaggedOnly (0x40000): only tagged columns, when enumerating all.
    pub const TAGGED_ONLY: EnumerateGrbit = EnumerateGrbit(0x40000);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: EnumerateGrbit) -> bool {
        self.0 & other.0 == other.0
    }
}

/// One column to enumerate (JET_ENUMCOLUMNID).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumColumnId {
    /// columnid.
    pub id: ColumnId,
    /// rgtagSequence; empty means every value.
    pub itag_sequences: Vec<u32>,
}

/// One enumerated value (JET_ENUMCOLUMNVALUE).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumValue {
    /// itagSequence.
    pub itag_sequence: u32,
    /// err: JET_wrnColumnNull, JET_wrnColumnTruncated, or none.
    pub warning: Option<Warning>,
    /// The data, at most cbDataMost bytes of a separated long value.
    pub data: Vec<u8>,
}

/// One enumerated column (JET_ENUMCOLUMN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumColumn {
    /// columnid.
    pub id: ColumnId,
    /// err: the column's error, or JET_wrnColumnSingleValue (one value, `values[0]`),
    /// JET_wrnColumnDefault, JET_wrnColumnPresent, JET_wrnColumnNull.
    pub result: Result<Option<Warning>>,
    /// The values.
    pub values: Vec<EnumValue>,
}

const LV_OPS: u32 = SetGrbit::APPEND_LV.0 | SetGrbit::OVERWRITE_LV.0 | SetGrbit::SIZE_LV.0;
const UNIQUE_OPS: u32 =
    SetGrbit::UNIQUE_MULTI_VALUES.0 | SetGrbit::UNIQUE_NORMALIZED_MULTI_VALUES.0;

/// A value's current bytes when a long-value operation starts.
enum Current {
    Absent,
    Intrinsic(Vec<u8>),
    Separated(LvRef),
}

impl Update {
    /// A fresh update.
    pub(super) fn new(prep: Prep, record: Record, original: Option<(Vec<u8>, Vec<u8>)>) -> Self {
        Update {
            prep,
            record,
            original,
            created: Vec::new(),
            token: None,
        }
    }
}

impl TableCursor {
    /// The table's long-value tree, if it has one.
    pub fn long_value_tree(&self) -> Result<Option<LvTree>> {
        let Some((objid, root)) = self.schema.long_values else {
            return Ok(None);
        };
        let tree = self.catalog.versioned(objid, root)?;
        Ok(Some(LvTree::new(
            tree,
            self.catalog.database().page_size_bytes(),
            self.state.next_lid.clone(),
        )))
    }

    fn need_lv_tree(&self) -> Result<LvTree> {
        self.long_value_tree()?.ok_or(Error::Corrupt(
            "a table with long-value columns has no long-value tree",
        ))
    }

    /// Frees the long values of updates of `session` that were dropped without a cancel.
    pub(super) fn reap_pending_lvs(&self, session: &mut Session) -> Result<()> {
        let id = session.id();
        let dead: Vec<LvRef> = {
            let mut pending = self.state.pending_lvs.lock();
            let mut dead = Vec::new();
            pending.retain(|p| {
                let orphan = p.session == id && p.owner.strong_count() == 0;
                if orphan {
                    dead.push(p.lv);
                }
                !orphan
            });
            dead
        };
        if dead.is_empty() {
            return Ok(());
        }
        let result = match self.long_value_tree()? {
            Some(lvt) => self.catalog.atomically(session, |s| {
                for lv in &dead {
                    lvt.free(s, *lv)?;
                }
                Ok(())
            }),
            None => Ok(()),
        };
        if result.is_err() {
            let mut pending = self.state.pending_lvs.lock();
            pending.extend(dead.into_iter().map(|lv| PendingLv {
                session: id,
                owner: Weak::new(),
                lv,
            }));
        }
        result
    }

    /// Forgets the pending entries of `lvs` (adopted or freed).
    pub(super) fn unlist_pending(&self, lvs: &[LvRef]) {
        if lvs.is_empty() {
            return;
        }
        self.state
            .pending_lvs
            .lock()
            .retain(|p| !lvs.contains(&p.lv));
    }

    /// Frees every long value the cancelled `update` created (JET_prepCancel).
    pub(super) fn free_created(&self, session: &mut Session, update: &Update) -> Result<()> {
        if update.created.is_empty() {
            return Ok(());
        }
        let lvt = self.need_lv_tree()?;
        self.catalog.atomically(session, |s| {
            for lv in &update.created {
                lvt.free(s, *lv)?;
            }
            Ok(())
        })?;
        self.unlist_pending(&update.created);
        Ok(())
    }

    fn note_created(&mut self, session: &Session, lv: LvRef) -> Result<()> {
        let update = self.update.as_mut().ok_or(Error::UpdateNotPrepared)?;
        update.created.push(lv);
        self.state.pending_lvs.lock().push(PendingLv {
            session: session.id(),
            owner: Arc::downgrade(update.token.get_or_insert_with(|| Arc::new(()))),
            lv,
        });
        Ok(())
    }

    /// Settles long-value references when `new` replaces `old` (None for inserts) in one
    /// save point (module doc); returns the values adopted or freed, to unlist after commit.
    pub(super) fn settle_lvs(
        &self,
        session: &mut Session,
        update: &Update,
        old: Option<&Record>,
        new: &Record,
    ) -> Result<Vec<LvRef>> {
        let new_refs = new.lv_refs();
        let mut old_refs = old.map(Record::lv_refs).unwrap_or_default();
        if new_refs.is_empty() && old_refs.is_empty() && update.created.is_empty() {
            return Ok(Vec::new());
        }
        let lvt = self.need_lv_tree()?;
        for lv in &new_refs {
            if update.created.contains(lv) {
                // Created in this update: it must still exist (a rollback removes it, and
                // cancels the update in ESE).
                if lvt.tree().get(session, &lv.0.to_be_bytes())?.is_none() {
                    return Err(Error::UpdateNotPrepared);
                }
            } else if let Some(i) = old_refs.iter().position(|o| o == lv) {
                old_refs.swap_remove(i);
            } else {
                lvt.add_ref(session, *lv)?;
            }
        }
        for lv in old_refs {
            lvt.release(session, lv)?;
        }
        for lv in &update.created {
            if !new_refs.contains(lv) {
                lvt.free(session, *lv)?;
            }
        }
        Ok(update.created.clone())
    }

    /// Releases every long value `record` references (its delete).
    pub(super) fn release_lvs(&self, session: &mut Session, record: &Record) -> Result<()> {
        let refs = record.lv_refs();
        if refs.is_empty() {
            return Ok(());
        }
        let lvt = self.need_lv_tree()?;
        for lv in refs {
            lvt.release(session, lv)?;
        }
        Ok(())
    }

    /// Deletes the record at `key` with its index entries and long values, in the caller's
    /// save point; `hint` is where the cursor found its entry (of the primary tree or of one
    /// index's), which the tree it belongs to tries before a descent and the others ignore.
    pub(super) fn delete_record_at(
        &self,
        session: &mut Session,
        key: &[u8],
        hint: Option<&NodeHint>,
    ) -> Result<()> {
        let data = self
            .primary
            .get_at(session, key, hint)?
            .ok_or(Error::RecordDeleted)?;
        let record = self.decode(&data)?;
        for (idx, tree) in self.schema.secondary.iter().zip(&self.secondary) {
            for k in index_keys(&self.schema, idx, &record, key)? {
                tree.delete_at(session, &k, hint)?;
            }
        }
        self.release_lvs(session, &record)?;
        self.primary.delete_at(session, key, hint)?;
        Ok(())
    }

    /// JetSetColumn with a session and JET_SETINFO: every rule of [`TableCursor::set_column`],
    /// and for long values AppendLV, OverwriteLV (at `info.ib_long_value`), SizeLV,
    /// SeparateLV and IntrinsicLV (module doc). Errors besides the value rules:
    /// JET_errNotInTransaction (a long value at level 0), JET_errColumnNoChunk (an offset past
    /// the end), JET_errInvalidGrbit (Unique…MultiValues with an LV operation),
    /// JET_errInvalidParameter (more than 0x7FFFFFFF bytes).
    pub fn set_column_ex(
        &mut self,
        session: &mut Session,
        id: ColumnId,
        data: &[u8],
        grbit: SetGrbit,
        info: SetInfo,
    ) -> Result<Option<Warning>> {
        if self.update.is_none() {
            return Err(Error::UpdateNotPrepared);
        }
        if data.len() > ese_core::limits::LONG_VALUE_MOST_BYTES {
            return Err(Error::InvalidParameter("cbData exceeds 0x7FFFFFFF"));
        }
        let col = self.schema.column(id)?;
        if !col.coltyp.is_long_value() {
            return Self::set_copy_value(
                self.update.as_mut(),
                &self.schema,
                col,
                data,
                grbit,
                info.itag_sequence,
            );
        }
        let col = col.clone();
        if session.level() == 0 {
            return Err(Error::NotInTransaction);
        }
        if grbit.0 & LV_OPS != 0 && grbit.0 & UNIQUE_OPS != 0 {
            return Err(Error::InvalidGrbit(
                "unique multi-values with an append, overwrite or size operation",
            ));
        }
        self.reap_pending_lvs(session)?;
        let itag = info.itag_sequence;
        if grbit.0 & UNIQUE_OPS != 0 && !data.is_empty() {
            self.check_unique_lv(session, &col, itag, data, grbit)?;
        }
        let plain = SetGrbit(grbit.0 & !UNIQUE_OPS & !LV_OPS);
        if grbit.0 & LV_OPS == 0 {
            return self.replace_lv(session, &col, itag, data, plain);
        }
        self.edit_lv(session, &col, itag, data, grbit, info.ib_long_value)
    }

    /// The value at `itag` of the copy buffer, if it exists.
    fn current_value(&self, col: &ColumnDef, itag: u32) -> Result<Current> {
        let update = self.update.as_ref().ok_or(Error::UpdateNotPrepared)?;
        if itag == 0 {
            return Ok(Current::Absent);
        }
        Ok(
            match update.record.retrieve(
                &self.schema.columns,
                col.id,
                itag,
                RetrieveGrbit::IGNORE_DEFAULT,
            )? {
                None => Current::Absent,
                Some(ValueRef::Intrinsic(b)) => Current::Intrinsic(b.to_vec()),
                Some(ValueRef::Separated(lv)) => Current::Separated(lv),
            },
        )
    }

    /// The value's bytes, reading a separated one from the tree.
    fn value_bytes(&self, session: &Session, v: ValueRef<'_>) -> Result<Vec<u8>> {
        match v {
            ValueRef::Intrinsic(b) => Ok(b.to_vec()),
            ValueRef::Separated(lv) => self.need_lv_tree()?.read_all(session, lv),
        }
    }

    fn check_unique_lv(
        &self,
        session: &Session,
        col: &ColumnDef,
        itag: u32,
        data: &[u8],
        grbit: SetGrbit,
    ) -> Result<()> {
        let update = self.update.as_ref().ok_or(Error::UpdateNotPrepared)?;
        let count = update.record.value_count(
            &self.schema.columns,
            col.id,
            RetrieveGrbit::IGNORE_DEFAULT,
        )?;
        let new_key = if grbit.contains(SetGrbit::UNIQUE_NORMALIZED_MULTI_VALUES) {
            Some(normalized_value(col, data)?)
        } else {
            None
        };
        for i in 1..=count as u32 {
            if i == itag {
                continue;
            }
            let Some(v) = update.record.retrieve(
                &self.schema.columns,
                col.id,
                i,
                RetrieveGrbit::IGNORE_DEFAULT,
            )?
            else {
                continue;
            };
            let bytes = self.value_bytes(session, v)?;
            if grbit.contains(SetGrbit::UNIQUE_MULTI_VALUES) && bytes == data {
                return Err(Error::MultiValuedDuplicate);
            }
            if let Some(k) = &new_key {
                let old = normalized_value(col, &bytes)?;
                if old.bytes == k.bytes {
                    return Err(if old.truncated || k.truncated {
                        Error::MultiValuedDuplicateAfterTruncation
                    } else {
                        Error::MultiValuedDuplicate
                    });
                }
            }
        }
        Ok(())
    }

    /// Drops an owned value that the copy buffer no longer references.
    fn drop_if_owned(&mut self, session: &mut Session, lv: LvRef) -> Result<()> {
        let owned = self
            .update
            .as_ref()
            .is_some_and(|u| u.created.contains(&lv));
        let still_used = self
            .update
            .as_ref()
            .is_some_and(|u| u.record.lv_refs().contains(&lv));
        if !owned || still_used {
            return Ok(());
        }
        let lvt = self.need_lv_tree()?;
        self.catalog
            .atomically(session, |s| lvt.free(s, lv).map(|_| ()))?;
        if let Some(u) = self.update.as_mut() {
            u.created.retain(|c| *c != lv);
        }
        self.unlist_pending(&[lv]);
        Ok(())
    }

    /// Stores `bytes` as value `itag` of `col`: in the record or separated (module doc).
    fn place_lv(
        &mut self,
        session: &mut Session,
        col: &ColumnDef,
        itag: u32,
        bytes: &[u8],
        grbit: SetGrbit,
    ) -> Result<Option<Warning>> {
        let max = col.value_most_bytes();
        if bytes.len() > max {
            return Err(Error::ColumnTooBig {
                len: bytes.len(),
                max,
            });
        }
        let separate = bytes.len() > LV_REF_BYTES
            && (grbit.contains(SetGrbit::SEPARATE_LV)
                || (bytes.len() > LONG_VALUE_INTRINSIC_MOST_BYTES
                    && !grbit.contains(SetGrbit::INTRINSIC_LV)));
        let schema = self.schema.clone();
        let set_grbit = SetGrbit(grbit.0 & SetGrbit::ZERO_LENGTH.0);
        if !separate {
            let update = self.update.as_mut().ok_or(Error::UpdateNotPrepared)?;
            match update
                .record
                .set(&schema.columns, col.id, itag, bytes, set_grbit)
            {
                Err(Error::RecordTooBig { .. }) if bytes.len() > LV_REF_BYTES => {}
                Err(Error::RecordTooBig { .. }) => {
                    self.make_room(session)?;
                    let update = self.update.as_mut().ok_or(Error::UpdateNotPrepared)?;
                    return update
                        .record
                        .set(&schema.columns, col.id, itag, bytes, set_grbit);
                }
                r => return r,
            }
        }
        let lvt = self.need_lv_tree()?;
        let lv = self.catalog.atomically(session, |s| lvt.create(s, bytes))?;
        self.note_created(session, lv)?;
        let update = self.update.as_mut().ok_or(Error::UpdateNotPrepared)?;
        let mut result = update
            .record
            .set_separated(&schema.columns, col.id, itag, lv);
        if let Err(Error::RecordTooBig { .. }) = result {
            self.make_room(session)?;
            let update = self.update.as_mut().ok_or(Error::UpdateNotPrepared)?;
            result = update
                .record
                .set_separated(&schema.columns, col.id, itag, lv);
        }
        if let Err(e) = result {
            self.drop_if_owned(session, lv)?;
            return Err(e);
        }
        Ok(None)
    }

    /// Moves the copy buffer's largest intrinsic long value to the tree; JET_errRecordTooBig
    /// when there is none.
    fn make_room(&mut self, session: &mut Session) -> Result<()> {
        let schema = self.schema.clone();
        let update = self.update.as_ref().ok_or(Error::UpdateNotPrepared)?;
        let Some((cid, itag, len)) = update.record.largest_intrinsic_lv(&schema.columns) else {
            return Err(Error::RecordTooBig {
                len: update.record.encoded_len(),
                max: schema.columns.record_most_bytes(),
            });
        };
        let bytes = match update.record.retrieve(
            &schema.columns,
            cid,
            itag,
            RetrieveGrbit::IGNORE_DEFAULT,
        )? {
            Some(ValueRef::Intrinsic(b)) if b.len() == len => b.to_vec(),
            _ => return Err(Error::Corrupt("an intrinsic long value moved")),
        };
        let lvt = self.need_lv_tree()?;
        let lv = self
            .catalog
            .atomically(session, |s| lvt.create(s, &bytes))?;
        self.note_created(session, lv)?;
        let update = self.update.as_mut().ok_or(Error::UpdateNotPrepared)?;
        update.record.set_separated(&schema.columns, cid, itag, lv)
    }

    /// A plain set of a long value: the whole value replaced, or NULL.
    fn replace_lv(
        &mut self,
        session: &mut Session,
        col: &ColumnDef,
        itag: u32,
        data: &[u8],
        grbit: SetGrbit,
    ) -> Result<Option<Warning>> {
        let old = self.current_value(col, itag)?;
        let is_null = data.is_empty() && !grbit.contains(SetGrbit::ZERO_LENGTH);
        let schema = self.schema.clone();
        let warning = if is_null {
            let update = self.update.as_mut().ok_or(Error::UpdateNotPrepared)?;
            update
                .record
                .set(&schema.columns, col.id, itag, &[], grbit)?
        } else {
            self.place_lv(session, col, itag, data, grbit)?
        };
        if let Current::Separated(lv) = old {
            self.drop_if_owned(session, lv)?;
        }
        Ok(warning)
    }

    /// AppendLV / OverwriteLV / SizeLV on value `itag` of `col`.
    fn edit_lv(
        &mut self,
        session: &mut Session,
        col: &ColumnDef,
        itag: u32,
        data: &[u8],
        grbit: SetGrbit,
        ib: u64,
    ) -> Result<Option<Warning>> {
        let current = self.current_value(col, itag)?;
        let lvt = self.need_lv_tree()?;
        let cur_len = match &current {
            Current::Absent => 0,
            Current::Intrinsic(b) => b.len() as u64,
            Current::Separated(lv) => lvt.root(session, *lv)?.size,
        };
        let overwrite = grbit.contains(SetGrbit::OVERWRITE_LV);
        let size = grbit.contains(SetGrbit::SIZE_LV);
        let append = grbit.contains(SetGrbit::APPEND_LV) && !overwrite && !size;
        // (offset, bytes written, final size)
        let (offset, write, final_len): (u64, &[u8], u64) = if append {
            (cur_len, data, cur_len + data.len() as u64)
        } else if overwrite {
            if ib > cur_len {
                return Err(Error::ColumnNoChunk);
            }
            let end = ib + data.len() as u64;
            (ib, data, if size { end } else { cur_len.max(end) })
        } else {
            (cur_len, &[], data.len() as u64)
        };
        let max = col.value_most_bytes() as u64;
        if final_len > max {
            return Err(Error::ColumnTooBig {
                len: usize::try_from(final_len).unwrap_or(usize::MAX),
                max: max as usize,
            });
        }
        let plain = SetGrbit(
            grbit.0
                & (SetGrbit::ZERO_LENGTH.0 | SetGrbit::SEPARATE_LV.0 | SetGrbit::INTRINSIC_LV.0),
        );
        if final_len == 0 && !grbit.contains(SetGrbit::ZERO_LENGTH) && size && !append {
            // SizeLV to 0 is NULL unless ZeroLength.
            return self.replace_lv(session, col, itag, &[], plain);
        }
        if append && data.is_empty() && !matches!(current, Current::Absent) {
            return Ok(None);
        }
        match current {
            Current::Separated(lv) => {
                let owned = self
                    .update
                    .as_ref()
                    .is_some_and(|u| u.created.contains(&lv));
                let target = if owned {
                    lv
                } else {
                    let copy = self.catalog.atomically(session, |s| lvt.copy(s, lv))?;
                    self.note_created(session, copy)?;
                    let schema = self.schema.clone();
                    let update = self.update.as_mut().ok_or(Error::UpdateNotPrepared)?;
                    update
                        .record
                        .set_separated(&schema.columns, col.id, itag, copy)?;
                    copy
                };
                self.catalog.atomically(session, |s| {
                    lvt.write_at(s, target, offset, write)?;
                    let now = lvt.root(s, target)?.size;
                    if now != final_len {
                        lvt.set_size(s, target, final_len)?;
                    }
                    Ok(())
                })?;
                Ok(None)
            }
            Current::Absent | Current::Intrinsic(_) => {
                let mut bytes = match current {
                    Current::Intrinsic(b) => b,
                    _ => Vec::new(),
                };
                let small = final_len <= LONG_VALUE_INTRINSIC_MOST_BYTES as u64
                    || grbit.contains(SetGrbit::INTRINSIC_LV)
                        && final_len <= self.schema.columns.record_most_bytes() as u64;
                if small {
                    bytes.resize(bytes.len().max(offset as usize), 0);
                    let end = offset as usize + write.len();
                    if bytes.len() < end {
                        bytes.resize(end, 0);
                    }
                    bytes[offset as usize..end].copy_from_slice(write);
                    bytes.resize(final_len as usize, 0);
                    let zero = SetGrbit(plain.0 | SetGrbit::ZERO_LENGTH.0);
                    return self.place_lv(session, col, itag, &bytes, zero);
                }
                // Too large for the record: separate what there is, then edit the tree.
                let lv = self.catalog.atomically(session, |s| {
                    let lv = lvt.create(s, &bytes)?;
                    lvt.write_at(s, lv, offset, write)?;
                    lvt.set_size(s, lv, final_len)?;
                    Ok(lv)
                })?;
                self.note_created(session, lv)?;
                let schema = self.schema.clone();
                let update = self.update.as_mut().ok_or(Error::UpdateNotPrepared)?;
                if let Err(e) = update
                    .record
                    .set_separated(&schema.columns, col.id, itag, lv)
                {
                    self.drop_if_owned(session, lv)?;
                    return Err(e);
                }
                Ok(None)
            }
        }
    }

    /// JetRetrieveColumn with JET_RETINFO into a caller's buffer: copies what fits from
    /// `info.ib_long_value` (long values; ignored for other columns), returning cbActual,
    /// JET_wrnColumnNull or JET_wrnBufferTruncated, and with JET_bitRetrieveTag the
    /// itagSequence of the value read. JET_bitRetrieveNull changes nothing: this format
    /// stores no NULL inside a multi-valued column. A separated value is read chunk by chunk
    /// in the caller's view; at level 0 that view is not a snapshot, so a long value
    /// committed by another session mid-read can mix (ESE opens a read-only transaction).
    pub fn retrieve_column_ex(
        &mut self,
        session: &Session,
        id: ColumnId,
        grbit: RetrieveGrbit,
        info: RetInfo,
        buf: &mut [u8],
    ) -> Result<Retrieved> {
        // A call per column of every row of a scan: a fixed or variable column of the row
        // read when the cursor landed is copied straight from its bytes.
        if let Some(value) = self.landed_plain_value(id, grbit, info.itag_sequence) {
            return Ok(fill_buffer(value, buf, info.itag_sequence));
        }
        let inner = RetrieveGrbit(grbit.0 & !(RetrieveGrbit::COPY.0 | RetrieveGrbit::TAG.0));
        let row = match &self.update {
            Some(u) if grbit.contains(RetrieveGrbit::COPY) => RowRef::Record(&u.record),
            // The row read when the cursor landed is found in one look, and read only when
            // there is none.
            _ => match self.ready_row() {
                Some(row) => row,
                None => {
                    // The column is checked before the record is read, as ESE orders the
                    // errors.
                    self.schema.column(id)?;
                    self.load_current(session)?;
                    self.loaded_row()?
                }
            },
        };
        // The column is looked up once here and the value read through it.
        let col = self.schema.column(id)?;
        let is_long_value = col.coltyp.is_long_value();
        let value = row.retrieve_col(&self.schema.columns, col, info.itag_sequence, inner)?;
        let ib = if is_long_value { info.ib_long_value } else { 0 };
        let total = match value {
            None => {
                return Ok(Retrieved {
                    actual_bytes: 0,
                    warning: Some(Warning::ColumnNull),
                    itag_sequence: info.itag_sequence,
                });
            }
            Some(ValueRef::Intrinsic(b)) => {
                let from = usize::try_from(ib).unwrap_or(usize::MAX).min(b.len());
                let n = (b.len() - from).min(buf.len());
                buf[..n].copy_from_slice(&b[from..from + n]);
                b.len() as u64
            }
            Some(ValueRef::Separated(lv)) => {
                let lvt = self.need_lv_tree()?;
                let (total, bytes) = lvt.read(session, lv, ib, buf.len())?;
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                total
            }
        };
        let actual = usize::try_from(total.saturating_sub(ib)).unwrap_or(usize::MAX);
        Ok(Retrieved {
            actual_bytes: actual,
            warning: (actual > buf.len()).then_some(Warning::BufferTruncated),
            itag_sequence: info.itag_sequence,
        })
    }

    /// [`TableCursor::retrieve_column_ex`]'s answer for the first value of a fixed or
    /// variable column of the row the cursor landed on, still current and read in place,
    /// when the copy buffer is not asked for: `Some(None)` is NULL. `None` leaves the
    /// answer, or the error, to the general read.
    #[inline]
    fn landed_plain_value(
        &self,
        id: ColumnId,
        grbit: RetrieveGrbit,
        itag_sequence: u32,
    ) -> Option<Option<&[u8]>> {
        if itag_sequence != 1 || (grbit.contains(RetrieveGrbit::COPY) && self.update.is_some()) {
            return None;
        }
        let Some(RowRef::Stored(bytes, layout)) = self.ready_row() else {
            return None;
        };
        let col = self.schema.column(id).ok()?;
        Record::stored_plain(bytes, layout, &self.schema.columns, col)
    }

    /// The whole of value `itag_sequence` of `id`, separated long values read from the
    /// tree; `None` is NULL (the record's or, with JET_bitRetrieveCopy, the copy buffer's).
    pub(super) fn retrieve_value(
        &mut self,
        session: &Session,
        id: ColumnId,
        itag_sequence: u32,
        grbit: RetrieveGrbit,
    ) -> Result<Option<Vec<u8>>> {
        self.schema.column(id)?;
        let inner = RetrieveGrbit(grbit.0 & !(RetrieveGrbit::COPY.0 | RetrieveGrbit::TAG.0));
        let schema = self.schema.clone();
        let row = match &self.update {
            Some(u) if grbit.contains(RetrieveGrbit::COPY) => RowRef::Record(&u.record),
            _ => self.current_row(session)?,
        };
        match row.retrieve(&schema.columns, id, itag_sequence, inner)? {
            None => Ok(None),
            Some(ValueRef::Intrinsic(v)) => Ok(Some(v.to_vec())),
            Some(ValueRef::Separated(lv)) => Ok(Some(self.need_lv_tree()?.read_all(session, lv)?)),
        }
    }

    /// How many values column `id` has (JetRetrieveColumns with itagSequence 0).
    pub fn value_count(
        &mut self,
        session: &Session,
        id: ColumnId,
        grbit: RetrieveGrbit,
    ) -> Result<usize> {
        self.schema.column(id)?;
        let inner = RetrieveGrbit(grbit.0 & !(RetrieveGrbit::COPY.0 | RetrieveGrbit::TAG.0));
        let schema = self.schema.clone();
        let record = match &self.update {
            Some(u) if grbit.contains(RetrieveGrbit::COPY) => &u.record,
            _ => self.current_record(session)?,
        };
        record.value_count(&schema.columns, id, inner)
    }

    /// JetSetColumns: [`TableCursor::set_column_ex`] for each element in order (itagSequence
    /// as given), writing each applied element's warning; stops at the first error and
    /// returns it, earlier values staying in the copy buffer.
    pub fn set_columns(&mut self, session: &mut Session, cols: &mut [SetColumn<'_>]) -> Result<()> {
        for c in cols.iter_mut() {
            let info = SetInfo {
                ib_long_value: c.ib_long_value,
                itag_sequence: c.itag_sequence,
            };
            c.warning = self.set_column_ex(session, c.id, c.data, c.grbit, info)?;
        }
        Ok(())
    }

    /// JetRetrieveColumns: each element read as [`TableCursor::retrieve_column_ex`] with its
    /// own result (itagSequence 0 returns the number of values there); returns
    /// JET_wrnBufferTruncated if any element was truncated.
    pub fn retrieve_columns(
        &mut self,
        session: &Session,
        cols: &mut [RetrieveColumn],
    ) -> Option<Warning> {
        let mut truncated = false;
        for c in cols.iter_mut() {
            c.data.clear();
            c.actual_bytes = 0;
            if c.itag_sequence == 0 {
                c.result = self.value_count(session, c.id, c.grbit).map(|n| {
                    c.itag_sequence = n as u32;
                    None
                });
                continue;
            }
            // The element's own buffer is reused (JetRetrieveColumns is called per row).
            let mut buf = std::mem::take(&mut c.data);
            buf.resize(c.max_bytes, 0);
            let info = RetInfo {
                ib_long_value: c.ib_long_value,
                itag_sequence: c.itag_sequence,
            };
            c.result = self
                .retrieve_column_ex(session, c.id, c.grbit, info, &mut buf)
                .map(|r| {
                    buf.truncate(r.actual_bytes.min(c.max_bytes));
                    c.data = std::mem::take(&mut buf);
                    c.actual_bytes = r.actual_bytes;
                    c.itag_sequence = r.itag_sequence;
                    r.warning
                });
            truncated |= matches!(c.result, Ok(Some(Warning::BufferTruncated)));
        }
        truncated.then_some(Warning::BufferTruncated)
    }

    /// JetEnumerateColumns (basics): the values of `ids` (empty: every column with a value,
    /// tagged only with TaggedOnly), each column's status and each value's data; separated
    /// long values are cut to `data_most` bytes (JET_wrnColumnTruncated). A bad id is that
    /// element's error, the rest still enumerated. JET_bitEnumerateLocal is
    /// JET_errInvalidGrbit.
    pub fn enumerate_columns(
        &mut self,
        session: &Session,
        ids: &[EnumColumnId],
        data_most: usize,
        grbit: EnumerateGrbit,
    ) -> Result<Vec<EnumColumn>> {
        if grbit.contains(EnumerateGrbit::LOCAL) {
            return Err(Error::InvalidGrbit("JET_bitEnumerateLocal"));
        }
        let rgrbit = RetrieveGrbit(
            (if grbit.contains(EnumerateGrbit::COPY) {
                RetrieveGrbit::COPY.0
            } else {
                0
            }) | (if grbit.contains(EnumerateGrbit::IGNORE_DEFAULT) {
                RetrieveGrbit::IGNORE_DEFAULT.0
            } else {
                0
            }),
        );
        let schema = self.schema.clone();
        let all = ids.is_empty();
        let wanted: Vec<EnumColumnId> = if all {
            schema
                .live_columns()
                .map(|(c, _)| c)
                .filter(|c| {
                    !grbit.contains(EnumerateGrbit::TAGGED_ONLY)
                        || c.class() == crate::coltyp::ColumnClass::Tagged
                })
                .map(|c| EnumColumnId {
                    id: c.id,
                    itag_sequences: Vec::new(),
                })
                .collect()
        } else {
            ids.to_vec()
        };
        let mut out = Vec::with_capacity(wanted.len());
        for want in wanted {
            let col = match schema.column(want.id) {
                Ok(c) => c.clone(),
                Err(e) => {
                    out.push(EnumColumn {
                        id: want.id,
                        result: Err(e),
                        values: Vec::new(),
                    });
                    continue;
                }
            };
            let count = self.value_count(session, col.id, rgrbit)?;
            if count == 0 {
                if !all {
                    out.push(EnumColumn {
                        id: col.id,
                        result: Ok(Some(Warning::ColumnNull)),
                        values: Vec::new(),
                    });
                }
                continue;
            }
            let stored = self.value_count(
                session,
                col.id,
                RetrieveGrbit(rgrbit.0 | RetrieveGrbit::IGNORE_DEFAULT.0),
            )?;
            let is_default = stored == 0;
            if grbit.contains(EnumerateGrbit::PRESENCE_ONLY) {
                out.push(EnumColumn {
                    id: col.id,
                    result: Ok(Some(Warning::ColumnPresent)),
                    values: Vec::new(),
                });
                continue;
            }
            let itags: Vec<u32> = if want.itag_sequences.is_empty() {
                (1..=count as u32).collect()
            } else {
                want.itag_sequences.clone()
            };
            let mut values = Vec::with_capacity(itags.len());
            for itag in &itags {
                let mut buf = vec![0u8; data_most.max(1)];
                let info = RetInfo {
                    ib_long_value: 0,
                    itag_sequence: *itag,
                };
                if *itag == 0 {
                    values.push(EnumValue {
                        itag_sequence: 0,
                        warning: None,
                        data: Vec::new(),
                    });
                    continue;
                }
                let separated = self.is_separated(session, col.id, *itag, rgrbit)?;
                let (data, warning) = if separated {
                    let r = self.retrieve_column_ex(session, col.id, rgrbit, info, &mut buf)?;
                    buf.truncate(r.actual_bytes.min(data_most));
                    let w = match r.warning {
                        Some(Warning::BufferTruncated) => Some(Warning::ColumnTruncated),
                        w => w,
                    };
                    (buf, w)
                } else {
                    match self.retrieve_value(session, col.id, *itag, rgrbit)? {
                        Some(v) => (v, None),
                        None => (Vec::new(), Some(Warning::ColumnNull)),
                    }
                };
                values.push(EnumValue {
                    itag_sequence: *itag,
                    warning,
                    data,
                });
            }
            let result = if is_default {
                Some(Warning::ColumnDefault)
            } else if values.len() == 1
                && want.itag_sequences.is_empty()
                && values[0].warning.is_none()
            {
                Some(Warning::ColumnSingleValue)
            } else {
                None
            };
            out.push(EnumColumn {
                id: col.id,
                result: Ok(result),
                values,
            });
        }
        Ok(out)
    }

    fn is_separated(
        &mut self,
        session: &Session,
        id: ColumnId,
        itag: u32,
        grbit: RetrieveGrbit,
    ) -> Result<bool> {
        let inner = RetrieveGrbit(grbit.0 & !RetrieveGrbit::COPY.0);
        let schema = self.schema.clone();
        let record = match &self.update {
            Some(u) if grbit.contains(RetrieveGrbit::COPY) => &u.record,
            _ => self.current_record(session)?,
        };
        Ok(matches!(
            record.retrieve(&schema.columns, id, itag, inner)?,
            Some(ValueRef::Separated(_))
        ))
    }

    /// JetEscrowUpdate: adds the little-endian delta `delta` (4 bytes for Long, 8 for
    /// LongLong) to escrow column `id` of the current record without conflicting with other
    /// sessions' escrow updates, and returns the value before the delta as the session saw
    /// it. Errors, in ESE's order: JET_errNotInTransaction, JET_errInvalidOperation (not an
    /// escrow column), JET_errInvalidBufferSize, JET_errAlreadyPrepared, then
    /// JET_errNoCurrentRecord / RecordDeleted, JET_errWriteConflict (a replace or delete by
    /// another session), JET_errNullInvalid (a NULL counter).
    ///
    /// With [`EscrowGrbit::NO_ROLLBACK`] the delta is committed at once in a transaction of
    /// its own, so the caller's rollback keeps it (the record must then be committed, and
    /// a change of the caller's own to the record conflicts). On a DeleteOnZero or Finalize
    /// column the record is noted for [`TableCursor::delete_zeroed_records`].
    pub fn escrow_update(
        &mut self,
        session: &mut Session,
        id: ColumnId,
        delta: &[u8],
        grbit: EscrowGrbit,
    ) -> Result<Vec<u8>> {
        if session.level() == 0 {
            return Err(Error::NotInTransaction);
        }
        let col = self.schema.column(id)?.clone();
        if !col.has(ColumnGrbit::ESCROW_UPDATE) {
            return Err(Error::InvalidOperation);
        }
        let width = match col.coltyp {
            ColumnType::Long => EscrowWidth::I32,
            _ => EscrowWidth::I64,
        };
        if delta.len() != width.bytes() {
            return Err(Error::InvalidBufferSize {
                len: delta.len(),
                expected: width.bytes(),
            });
        }
        if self.update.is_some() {
            return Err(Error::AlreadyPrepared);
        }
        let d = match width {
            EscrowWidth::I32 => {
                i64::from(i32::from_le_bytes([delta[0], delta[1], delta[2], delta[3]]))
            }
            EscrowWidth::I64 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(delta);
                i64::from_le_bytes(a)
            }
        };
        let key = self.current_key(session)?;
        let fid = col.id.fid();
        let schema = self.schema.clone();
        let primary = self.primary.clone();
        let apply = |s: &mut Session| -> Result<i64> {
            let data = primary.get(s, &key)?.ok_or(Error::RecordDeleted)?;
            let mut record = Record::decode(&data, &schema.columns)?;
            let offset = match record.fixed_offset(fid) {
                Some(o) => o,
                None => {
                    // A record written before the column existed: store its default first.
                    record.materialize_fixed(&schema.columns, fid)?;
                    primary.replace(s, &key, &record.encode())?;
                    record
                        .fixed_offset(fid)
                        .ok_or(Error::Corrupt("an escrow field is missing"))?
                }
            };
            if !record.fixed_is_set(fid) {
                return Err(Error::NullInvalid);
            }
            let offset = u16::try_from(offset)
                .map_err(|_| Error::Corrupt("an escrow field beyond the record format"))?;
            Ok(primary.escrow_update(s, &key, EscrowField::new(offset, width), d)?)
        };
        let old = if grbit.0 & EscrowGrbit::NO_ROLLBACK.0 != 0 {
            let mut own = self.catalog.version_store().begin_session();
            self.catalog.atomically(&mut own, apply)?
        } else {
            self.catalog.atomically(session, apply)?
        };
        self.current = CurrentRow::None;
        if col.has(ColumnGrbit::DELETE_ON_ZERO) || col.has(ColumnGrbit::FINALIZE) {
            self.state.zero_candidates.lock().insert(key);
        }
        Ok(match width {
            EscrowWidth::I32 => (old as i32).to_le_bytes().to_vec(),
            EscrowWidth::I64 => old.to_le_bytes().to_vec(),
        })
    }

    /// Deletes the records noted by escrow updates on DeleteOnZero/Finalize columns whose
    /// every such column now reads 0 for `session`, each in its own save point (ESE does
    /// this in the background some time after the commit). A record still changed by
    /// another transaction stays noted for a later call. Returns how many were deleted.
    pub fn delete_zeroed_records(&mut self, session: &mut Session) -> Result<usize> {
        let candidates: Vec<Vec<u8>> = std::mem::take(&mut *self.state.zero_candidates.lock())
            .into_iter()
            .collect();
        let schema = self.schema.clone();
        let zero_cols: Vec<ColumnDef> = schema
            .live_columns()
            .map(|(c, _)| c)
            .filter(|c| c.has(ColumnGrbit::DELETE_ON_ZERO) || c.has(ColumnGrbit::FINALIZE))
            .cloned()
            .collect();
        let mut deleted = 0;
        let mut keep = Vec::new();
        for key in candidates {
            let Some(data) = self.primary.get(session, &key)? else {
                continue;
            };
            let record = self.decode(&data)?;
            let mut zero = !zero_cols.is_empty();
            for c in &zero_cols {
                let v = record.retrieve(&schema.columns, c.id, 1, RetrieveGrbit::NONE)?;
                zero &= matches!(v, Some(ValueRef::Intrinsic(b)) if b.iter().all(|x| *x == 0));
            }
            if !zero {
                // Changes not everyone sees yet may still bring it to 0.
                if self
                    .catalog
                    .version_store()
                    .is_versioned(self.primary.obj(), &key)
                {
                    keep.push(key);
                }
                continue;
            }
            let catalog = self.catalog.clone();
            match catalog.atomically(session, |s| self.delete_record_at(s, &key, None)) {
                Ok(()) => deleted += 1,
                Err(Error::WriteConflict) => keep.push(key),
                Err(e) => {
                    self.state.zero_candidates.lock().extend(keep);
                    return Err(e);
                }
            }
        }
        self.state.zero_candidates.lock().extend(keep);
        if deleted > 0 {
            self.current = CurrentRow::None;
        }
        Ok(deleted)
    }
}

/// What JetRetrieveColumn returns for an in-record `value` (`None` is NULL) copied into
/// `buf`: cbActual, and JET_wrnColumnNull or JET_wrnBufferTruncated.
#[inline]
fn fill_buffer(value: Option<&[u8]>, buf: &mut [u8], itag_sequence: u32) -> Retrieved {
    let Some(value) = value else {
        return Retrieved {
            actual_bytes: 0,
            warning: Some(Warning::ColumnNull),
            itag_sequence,
        };
    };
    let n = value.len().min(buf.len());
    if let (Some(to), Some(from)) = (buf.get_mut(..n), value.get(..n)) {
        to.copy_from_slice(from);
    }
    Retrieved {
        actual_bytes: value.len(),
        warning: (value.len() > buf.len()).then_some(Warning::BufferTruncated),
        itag_sequence,
    }
}
