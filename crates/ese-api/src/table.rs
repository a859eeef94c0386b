//! Tables, columns, records and cursors: the JET calls over `ese-table`'s catalog and table
//! cursors (reference 10–13).
//!
//! Every call here is a thin wrapper: it enters the session (handle, instance state, the
//! one-thread rule), finds the cursor its `JET_TABLEID` names among the session's cursors
//! (`JET_errInvalidTableId` for a stale, foreign or another session's handle), and hands the
//! session's transaction state to `ese-table`, which holds every JET rule (errors, warnings,
//! currency, implicit transactions at level 0). Its errors become JET codes here.
//!
//! ```text
//!   Tableid ──session's cursors──▶ TableCursor ──▶ VersionedTree (ese-txn) ──▶ BTree
//!   Dbid ──session's open databases──▶ AttachedDb ──▶ Catalog (MSysObjects)
//! ```

use std::sync::Arc;

use ese_core::JetErr;
use ese_core::hash::FastHashMap;
use ese_table::{
    ColumnId, ColumnInfo, ColumnSpec, EnumColumnId, EnumerateGrbit, EscrowGrbit, MakeKeyGrbit,
    Prep, RangeGrbit, RecordPosition, RetrieveGrbit, SeekGrbit, SetGrbit, TableCreate, TableCursor,
};

use crate::engine::Engine;
use crate::error::{JetError, Result, Warning, fail};
use crate::grbit;
use crate::handle::{Dbid, Sesid, Tableid};
use crate::session::SessionCore;

/// What a cursor keeps alive while it lives: the attached database it is on (so it stays
/// attached), or the instance's temporary database.
pub(crate) type Holds = Arc<dyn std::any::Any + Send + Sync>;

/// One open cursor of a session (ESE's FUCB).
pub(crate) struct CursorEntry {
    /// The database it is on ([`Dbid::NIL`] for a temporary table).
    pub(crate) dbid: Dbid,
    /// Keeps its database alive while the cursor lives.
    _holds: Holds,
    pub(crate) cursor: TableCursor,
}

/// How many cursors a session keeps in [`Cursors`]' list before it moves them to a hash map.
const CURSORS_LISTED: usize = 8;

/// A session's cursors by their JET_TABLEID's raw value. A session usually has a few open,
/// so they are kept in a short list that a call scans (cheaper than hashing the id); past
/// [`CURSORS_LISTED`] they move to a hash map and stay there until the session closes them
/// all.
pub(crate) struct Cursors<E = CursorEntry> {
    /// The cursors while there are few (and `map` is empty).
    list: Vec<(u64, E)>,
    /// The cursors once there were many (and `list` is empty).
    map: FastHashMap<u64, E>,
}

impl<E> Default for Cursors<E> {
    fn default() -> Self {
        Cursors {
            list: Vec::new(),
            map: FastHashMap::default(),
        }
    }
}

impl<E> Cursors<E> {
    /// The cursor `raw` names.
    #[inline]
    pub(crate) fn get(&self, raw: u64) -> Option<&E> {
        if self.map.is_empty() {
            self.list.iter().find(|(r, _)| *r == raw).map(|(_, e)| e)
        } else {
            self.map.get(&raw)
        }
    }

    /// The cursor `raw` names, to change.
    #[inline]
    pub(crate) fn get_mut(&mut self, raw: u64) -> Option<&mut E> {
        if self.map.is_empty() {
            self.list
                .iter_mut()
                .find(|(r, _)| *r == raw)
                .map(|(_, e)| e)
        } else {
            self.map.get_mut(&raw)
        }
    }

    /// Adds cursor `raw` (a table id just handed out, so not yet present).
    pub(crate) fn insert(&mut self, raw: u64, entry: E) {
        if self.map.is_empty() && self.list.len() < CURSORS_LISTED {
            self.list.push((raw, entry));
            return;
        }
        self.map.extend(self.list.drain(..));
        self.map.insert(raw, entry);
    }

    /// Takes cursor `raw` out.
    pub(crate) fn remove(&mut self, raw: u64) -> Option<E> {
        if self.map.is_empty() {
            let i = self.list.iter().position(|(r, _)| *r == raw)?;
            Some(self.list.swap_remove(i).1)
        } else {
            self.map.remove(&raw)
        }
    }

    /// Keeps only the cursors `keep` is true for.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        self.list.retain(|(_, e)| keep(e));
        self.map.retain(|_, e| keep(e));
    }

    /// Closes every cursor.
    pub(crate) fn clear(&mut self) {
        self.list.clear();
        self.map.clear();
    }

    /// How many cursors there are.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.list.len() + self.map.len()
    }
}

/// One column of [`Engine::set_columns`] (JET_SETCOLUMN).
#[derive(Clone, Debug)]
pub struct SetColumn<'a> {
    /// columnid.
    pub columnid: ColumnId,
    /// pvData/cbData.
    pub data: &'a [u8],
    /// grbit (JET_bitSetZeroLength, JET_bitSetAppendLV, ...).
    pub grbit: u32,
    /// ibLongValue: the offset of JET_bitSetOverwriteLV.
    pub ib_long_value: u64,
    /// itagSequence (0 appends a value to a multi-valued column).
    pub itag_sequence: u32,
    /// err: the column's own result, filled in by the call (0 or a warning).
    pub err: i32,
}

impl<'a> SetColumn<'a> {
    /// An element setting `data` into `columnid` with no grbit, offset or itagSequence.
    pub fn new(columnid: ColumnId, data: &'a [u8]) -> SetColumn<'a> {
        SetColumn {
            columnid,
            data,
            grbit: 0,
            ib_long_value: 0,
            itag_sequence: 0,
            err: 0,
        }
    }
}

/// One column of [`Engine::retrieve_columns`] (JET_RETRIEVECOLUMN).
#[derive(Debug)]
pub struct RetrieveColumn<'a> {
    /// columnid.
    pub columnid: ColumnId,
    /// pvData/cbData: where the value goes.
    pub data: &'a mut [u8],
    /// grbit (JET_bitRetrieveCopy, JET_bitRetrieveTag, ...).
    pub grbit: u32,
    /// ibLongValue: the offset to read a long value from.
    pub ib_long_value: u64,
    /// itagSequence (1 for the first value; 0 asks for the number of values, returned here).
    pub itag_sequence: u32,
    /// columnidNextTagged: filled in with the column read (see [`RetInfo`]).
    pub columnid_next_tagged: ColumnId,
    /// cbActual: the value's full length from ibLongValue, filled in by the call.
    pub actual: usize,
    /// err: the column's own result (0, JET_wrnColumnNull or JET_wrnBufferTruncated).
    pub err: i32,
}

impl<'a> RetrieveColumn<'a> {
    /// An element reading the first value of `columnid` into `data`.
    pub fn new(columnid: ColumnId, data: &'a mut [u8]) -> RetrieveColumn<'a> {
        RetrieveColumn {
            columnid,
            data,
            grbit: 0,
            ib_long_value: 0,
            itag_sequence: 1,
            columnid_next_tagged: columnid,
            actual: 0,
            err: 0,
        }
    }
}

/// JET_SETINFO: where [`Engine::set_column_ex`] writes (ibLongValue, itagSequence; its
/// default is what a NULL JET_SETINFO means). The table layer's own type, as it is.
pub use ese_table::SetInfo;

/// JET_RETINFO: what [`Engine::retrieve_column_ex`] reads, and what it reports back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetInfo {
    /// ibLongValue: the offset to read a long value from.
    pub ib_long_value: u64,
    /// itagSequence: the 1-based value; with JET_bitRetrieveTag, on return, the value read.
    pub itag_sequence: u32,
    /// columnidNextTagged, on return: the column read. (ESE fills it in when columnid 0
    /// asks for every tagged column in turn; that form is not supported,
    /// `JET_errBadColumnId`.)
    pub columnid_next_tagged: ColumnId,
}

impl Default for RetInfo {
    /// What a NULL JET_RETINFO means: ibLongValue 0, itagSequence 1.
    fn default() -> Self {
        RetInfo {
            ib_long_value: 0,
            itag_sequence: 1,
            columnid_next_tagged: ColumnId(0),
        }
    }
}

/// One value of a column [`Engine::enumerate_columns`] returns (JET_ENUMCOLUMNVALUE).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumColumnValue {
    /// itagSequence.
    pub itag_sequence: u32,
    /// err: 0, JET_wrnColumnNull (1004) or JET_wrnColumnTruncated (1005).
    pub err: i32,
    /// pvData/cbData: the value, at most cbDataMost bytes of a separated long value.
    pub data: Vec<u8>,
}

/// One column [`Engine::enumerate_columns`] returns (JET_ENUMCOLUMN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumColumn {
    /// columnid.
    pub columnid: ColumnId,
    /// err: the column's error, or JET_wrnColumnSingleValue (1531), JET_wrnColumnDefault
    /// (1537), JET_wrnColumnPresent (1533), JET_wrnColumnNull (1004), or 0.
    pub err: i32,
    /// rgEnumColumnValue.
    pub values: Vec<EnumColumnValue>,
}

fn warn(w: Option<ese_table::Warning>) -> Option<Warning> {
    w.and_then(|w| Warning::new(w.jet_err()))
}

impl From<ese_table::Error> for JetError {
    fn from(e: ese_table::Error) -> Self {
        JetError::new(e.jet_err())
    }
}

impl Engine {
    /// Runs `f` on the cursor `tableid` names, inside session `sesid`.
    pub(crate) fn with_cursor<R>(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        f: impl FnOnce(&mut TableCursor, &mut ese_txn::Session) -> ese_table::Result<R>,
    ) -> Result<R> {
        self.enter_db(sesid, |_, _, core| {
            let SessionCore { txn, cursors, .. } = core;
            let Some(txn) = txn.as_mut() else {
                return fail(JetErr::INVALID_SESID);
            };
            match cursors.get_mut(tableid.raw()) {
                Some(e) => f(&mut e.cursor, txn).map_err(JetError::from),
                None => fail(JetErr::INVALID_TABLE_ID),
            }
        })
    }

    pub(crate) fn add_cursor(
        &self,
        core: &mut SessionCore,
        dbid: Dbid,
        holds: Holds,
        cursor: TableCursor,
    ) -> Result<Tableid> {
        let entry = CursorEntry {
            dbid,
            _holds: holds,
            cursor,
        };
        let Some(raw) = self.next_tableid() else {
            return fail(JetErr::OUT_OF_MEMORY);
        };
        core.cursors.insert(raw, entry);
        Ok(Tableid::from_raw(raw))
    }

    /// JetCreateTable: creates table `name` with no columns or indexes and opens a cursor on
    /// it. `pages` is the initial size hint, `density` 0 (80) or 20–100
    /// (`JET_errDensityInvalid`). Errors: `JET_errTableDuplicate` (-1303),
    /// `JET_errInvalidName` (-1002), `JET_errInvalidDatabaseId` (-1010).
    pub fn create_table(
        &self,
        sesid: Sesid,
        dbid: Dbid,
        name: &str,
        pages: u32,
        density: u32,
    ) -> Result<Tableid> {
        let create = TableCreate {
            pages,
            density,
            ..TableCreate::new(name)
        };
        self.create_table_column_index(sesid, dbid, &create)
            .map(|(t, _)| t)
    }

    /// JetCreateTableColumnIndex: creates a table with its columns and indexes at once
    /// (JET_TABLECREATE) and opens a cursor on it; returns one warning slot per column (the
    /// column's `err`). Nothing is created when any part fails.
    pub fn create_table_column_index(
        &self,
        sesid: Sesid,
        dbid: Dbid,
        create: &TableCreate,
    ) -> Result<(Tableid, Vec<Option<Warning>>)> {
        self.enter_db(sesid, |_, _, core| {
            let db = core.open_db(dbid)?;
            let Some(txn) = core.txn.as_mut() else {
                return fail(JetErr::INVALID_SESID);
            };
            let (cursor, warnings) = db.catalog.create_table(txn, create)?;
            let warnings = warnings.into_iter().map(warn).collect();
            let t = self.add_cursor(core, dbid, db, cursor)?;
            Ok((t, warnings))
        })
    }

    /// JetOpenTable: opens a cursor on table `name`, on its primary index, before the first
    /// record. `parameters` is reserved. The table grbits ([`grbit::TABLE_OPEN_ALL`]) are
    /// accepted; deny-read/deny-write locks are not enforced yet. Errors:
    /// `JET_errObjectNotFound` (-1305), `JET_errInvalidDatabaseId`.
    pub fn open_table(
        &self,
        sesid: Sesid,
        dbid: Dbid,
        name: &str,
        parameters: Option<&[u8]>,
        grbit: u32,
    ) -> Result<Tableid> {
        let _ = parameters;
        if grbit & !grbit::TABLE_OPEN_ALL != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        self.enter_db(sesid, |_, _, core| {
            let db = core.open_db(dbid)?;
            let Some(txn) = core.txn.as_ref() else {
                return fail(JetErr::INVALID_SESID);
            };
            let cursor = db.catalog.open_table(txn, name)?;
            self.add_cursor(core, dbid, db, cursor)
        })
    }

    /// JetDupCursor: a second cursor on the same table, on its primary index, before the
    /// first record. `grbit` is reserved (0).
    pub fn dup_cursor(&self, sesid: Sesid, tableid: Tableid, grbit: u32) -> Result<Tableid> {
        if grbit != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        self.enter_db(sesid, |_, _, core| {
            let SessionCore { txn, cursors, .. } = &mut *core;
            if txn.is_none() {
                return fail(JetErr::INVALID_SESID);
            }
            let (dbid, holds, cursor) = match cursors.get(tableid.raw()) {
                Some(e) => (e.dbid, e._holds.clone(), e.cursor.dup_cursor()?),
                None => return fail(JetErr::INVALID_TABLE_ID),
            };
            self.add_cursor(core, dbid, holds, cursor)
        })
    }

    /// JetCloseTable: closes the cursor (a prepared update is cancelled). Still allowed after
    /// JetStopServiceInstance.
    pub fn close_table(&self, sesid: Sesid, tableid: Tableid) -> Result<()> {
        self.enter_db_when_stopped(sesid, |_, _, core| {
            match core.cursors.remove(tableid.raw()) {
                Some(_) => Ok(()),
                None => fail(JetErr::INVALID_TABLE_ID),
            }
        })
    }

    /// JetDeleteTable: deletes table `name` with its columns, indexes and records, in the
    /// session's transaction (or an implicit one). Errors: `JET_errObjectNotFound` (-1305),
    /// `JET_errTableInUse` (-1304) while a cursor has it open.
    pub fn delete_table(&self, sesid: Sesid, dbid: Dbid, name: &str) -> Result<()> {
        self.enter_db(sesid, |_, _, core| {
            let db = core.open_db(dbid)?;
            let Some(txn) = core.txn.as_mut() else {
                return fail(JetErr::INVALID_SESID);
            };
            db.catalog.delete_table(txn, name)?;
            Ok(())
        })
    }

    /// The names of the tables of `dbid` the session sees (JetGetObjectInfo's list of
    /// tables, JET_ObjInfoList).
    pub fn get_table_names(&self, sesid: Sesid, dbid: Dbid) -> Result<Vec<String>> {
        self.enter_db(sesid, |_, _, core| {
            let db = core.open_db(dbid)?;
            let Some(txn) = core.txn.as_ref() else {
                return fail(JetErr::INVALID_SESID);
            };
            Ok(db.catalog.table_names(txn)?)
        })
    }

    /// JetAddColumn: adds column `name` defined by `def` (JET_COLUMNDEF's coltyp, cbMax, cp
    /// and grbit, with the default value) and returns its id, with
    /// `JET_wrnColumnMaxTruncated` when cbMax was clamped. Errors are JetAddColumn's:
    /// `JET_errColumnDuplicate`, `JET_errInvalidColumnType`, `JET_errInvalidGrbit`, ...
    pub fn add_column(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        name: &str,
        def: &ColumnSpec,
    ) -> Result<(ColumnId, Option<Warning>)> {
        self.with_cursor(sesid, tableid, |c, txn| c.add_column(txn, name, def))
            .map(|(id, w)| (id, warn(w)))
    }

    /// JetDeleteColumn: deletes column `name` (`JET_errColumnNotFound` if there is none,
    /// `JET_errColumnInUse` for a key column).
    pub fn delete_column(&self, sesid: Sesid, tableid: Tableid, name: &str) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, txn| c.delete_column(txn, name))
    }

    /// JetGetTableColumnInfo: the definition of column `name`, or of every column with
    /// `None` (JET_ColInfoList).
    pub fn get_table_column_info(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        name: Option<&str>,
    ) -> Result<Vec<ColumnInfo>> {
        self.with_cursor(sesid, tableid, |c, _| match name {
            Some(n) => c.column_info(n).map(|i| vec![i]),
            None => Ok(c.columns()),
        })
    }

    /// JetGetTableColumnInfo by id (JET_ColInfoByColid): the definition of column `id`.
    pub fn get_table_column_info_by_id(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        id: ColumnId,
    ) -> Result<ColumnInfo> {
        self.with_cursor(sesid, tableid, |c, _| c.column_info_by_id(id))
    }

    /// JetPrepareUpdate: starts an insert ([`JET_PREP_INSERT`]), a replace of the current
    /// record ([`JET_PREP_REPLACE`], [`JET_PREP_REPLACE_NO_LOCK`]), an insert copying it
    /// ([`JET_PREP_INSERT_COPY`]), or cancels the prepared update ([`JET_PREP_CANCEL`]).
    /// Errors: `JET_errNoCurrentRecord` (-1603) for a replace off a record,
    /// `JET_errAlreadyPrepared` (-1607), `JET_errUpdateNotPrepared` (-1609) for a cancel,
    /// `JET_errWriteConflict` (-1102) when another session's transaction changed the record.
    pub fn prepare_update(&self, sesid: Sesid, tableid: Tableid, prep: u32) -> Result<()> {
        let prep = Prep::from_raw(prep).map_err(JetError::from)?;
        self.with_cursor(sesid, tableid, |c, txn| c.prepare_update(txn, prep))
    }

    /// JetSetColumn with a NULL JET_SETINFO but for `itag_sequence`:
    /// [`Engine::set_column_ex`] with ibLongValue 0. Empty `data` means NULL unless `grbit`
    /// has JET_bitSetZeroLength; `itag_sequence` picks a value of a multi-valued column
    /// (0 appends).
    pub fn set_column(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        columnid: ColumnId,
        data: &[u8],
        grbit: u32,
        itag_sequence: u32,
    ) -> Result<Option<Warning>> {
        let info = SetInfo {
            ib_long_value: 0,
            itag_sequence,
        };
        self.set_column_ex(sesid, tableid, columnid, data, grbit, Some(&info))
    }

    /// JetSetColumn with its JET_SETINFO (`None`: itagSequence 1, ibLongValue 0): sets a
    /// column of the prepared update's copy buffer. Long values (LongText, LongBinary) take
    /// [`JET_BIT_SET_APPEND_LV`], [`JET_BIT_SET_OVERWRITE_LV`] (at `ib_long_value`),
    /// [`JET_BIT_SET_SIZE_LV`], [`JET_BIT_SET_SEPARATE_LV`] and [`JET_BIT_SET_INTRINSIC_LV`];
    /// a large one is written to the table's long-value tree at once, so a long value needs
    /// a transaction (`JET_errNotInTransaction`, -1054). Multi-valued columns take
    /// [`JET_BIT_SET_UNIQUE_MULTI_VALUES`] and [`JET_BIT_SET_UNIQUE_NORMALIZED_MULTI_VALUES`]
    /// (`JET_errMultiValuedDuplicate`, -1525). Other errors: `JET_errUpdateNotPrepared`,
    /// `JET_errColumnNoChunk` (-1502) for an offset past the end, `JET_errColumnTooBig`,
    /// `JET_errRecordTooBig`, `JET_errNullInvalid`, `JET_errInvalidBufferSize`.
    pub fn set_column_ex(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        columnid: ColumnId,
        data: &[u8],
        grbit: u32,
        setinfo: Option<&SetInfo>,
    ) -> Result<Option<Warning>> {
        let info = setinfo.copied().unwrap_or_default();
        self.with_cursor(sesid, tableid, |c, txn| {
            c.set_column_ex(txn, columnid, data, SetGrbit(grbit), info)
        })
        .map(warn)
    }

    /// JetSetColumns: [`Engine::set_column_ex`] for each column in order (with its
    /// ibLongValue and itagSequence), stopping at the first error, which is returned; each
    /// applied column's warning is left in its `err`.
    pub fn set_columns(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        columns: &mut [SetColumn<'_>],
    ) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, txn| {
            for col in columns.iter_mut() {
                let info = SetInfo {
                    ib_long_value: col.ib_long_value,
                    itag_sequence: col.itag_sequence,
                };
                let w = c
                    .set_column_ex(txn, col.columnid, col.data, SetGrbit(col.grbit), info)
                    .inspect_err(|e| col.err = e.jet_err().0)?;
                col.err = w.map_or(0, |w| w.jet_err().0);
            }
            Ok(())
        })
    }

    /// JetRetrieveColumn with a NULL JET_RETINFO but for `itag_sequence`:
    /// [`Engine::retrieve_column_ex`] from offset 0. Returns cbActual, the value's full
    /// length, with `JET_wrnColumnNull` (1004) for NULL and `JET_wrnBufferTruncated` (1006)
    /// when `buf` was too small. `itag_sequence` 1 is the first value.
    pub fn retrieve_column(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        columnid: ColumnId,
        buf: &mut [u8],
        grbit: u32,
        itag_sequence: u32,
    ) -> Result<(usize, Option<Warning>)> {
        // `retrieve_column_ex` with a JET_RETINFO of `itag_sequence` from offset 0, whose
        // outputs nobody reads: the table cursor is asked directly.
        let info = ese_table::RetInfo {
            ib_long_value: 0,
            itag_sequence,
        };
        let r = self.with_cursor(sesid, tableid, |c, txn| {
            c.retrieve_column_ex(txn, columnid, RetrieveGrbit(grbit), info, buf)
        })?;
        Ok((r.actual_bytes, warn(r.warning)))
    }

    /// JetRetrieveColumn with its JET_RETINFO (`None`: itagSequence 1, ibLongValue 0):
    /// copies value `itag_sequence` of a column of the current record (or, with
    /// [`JET_BIT_RETRIEVE_COPY`], of the copy buffer) into `buf`, a long value from
    /// `ib_long_value`. Returns cbActual (the length from the offset), with
    /// `JET_wrnColumnNull` (1004) or `JET_wrnBufferTruncated` (1006); `retinfo` gets the
    /// value read ([`JET_BIT_RETRIEVE_TAG`]) and the column. [`JET_BIT_RETRIEVE_NULL`] and
    /// [`JET_BIT_RETRIEVE_IGNORE_DEFAULT`] as in ESE. Errors: `JET_errNoCurrentRecord`,
    /// `JET_errRecordDeleted`, `JET_errColumnNotFound`, `JET_errBadColumnId`.
    #[inline]
    pub fn retrieve_column_ex(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        columnid: ColumnId,
        buf: &mut [u8],
        grbit: u32,
        retinfo: Option<&mut RetInfo>,
    ) -> Result<(usize, Option<Warning>)> {
        let given = retinfo.as_deref().copied().unwrap_or_default();
        let info = ese_table::RetInfo {
            ib_long_value: given.ib_long_value,
            itag_sequence: given.itag_sequence,
        };
        let r = self.with_cursor(sesid, tableid, |c, txn| {
            c.retrieve_column_ex(txn, columnid, RetrieveGrbit(grbit), info, buf)
        })?;
        if let Some(out) = retinfo {
            out.itag_sequence = r.itag_sequence;
            out.columnid_next_tagged = columnid;
        }
        Ok((r.actual_bytes, warn(r.warning)))
    }

    /// JetRetrieveColumn with a buffer as large as the value: the whole value (a separated
    /// long value read from its tree), or `None` for NULL (JET_wrnColumnNull).
    pub fn retrieve_column_value(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        columnid: ColumnId,
        grbit: u32,
        itag_sequence: u32,
    ) -> Result<Option<Vec<u8>>> {
        self.with_cursor(sesid, tableid, |c, txn| {
            c.retrieve_column(txn, columnid, itag_sequence, RetrieveGrbit(grbit))
        })
    }

    /// JetRetrieveColumns: [`Engine::retrieve_column_ex`] for each column with its grbit,
    /// ibLongValue and itagSequence; itagSequence 0 asks for the number of values, returned
    /// in `itag_sequence`. Each column's cbActual, warning and columnidNextTagged are left in
    /// it. Stops at the first error, which is also left in its `err`.
    pub fn retrieve_columns(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        columns: &mut [RetrieveColumn<'_>],
    ) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, txn| {
            for col in columns.iter_mut() {
                col.actual = 0;
                col.columnid_next_tagged = col.columnid;
                if col.itag_sequence == 0 {
                    let n = c
                        .value_count(txn, col.columnid, RetrieveGrbit(col.grbit))
                        .inspect_err(|e| col.err = e.jet_err().0)?;
                    col.itag_sequence = u32::try_from(n).unwrap_or(u32::MAX);
                    col.err = 0;
                    continue;
                }
                let info = ese_table::RetInfo {
                    ib_long_value: col.ib_long_value,
                    itag_sequence: col.itag_sequence,
                };
                let r = c
                    .retrieve_column_ex(txn, col.columnid, RetrieveGrbit(col.grbit), info, col.data)
                    .inspect_err(|e| col.err = e.jet_err().0)?;
                col.actual = r.actual_bytes;
                col.itag_sequence = r.itag_sequence;
                col.err = r.warning.map_or(0, |w| w.jet_err().0);
            }
            Ok(())
        })
    }

    /// JetEnumerateColumns (basics): the values of the columns `columnids` names (empty:
    /// every column with a value; tagged ones only with [`JET_BIT_ENUMERATE_TAGGED_ONLY`]),
    /// each column with its status and each value with its data, separated long values cut
    /// to `cb_data_most` bytes (JET_wrnColumnTruncated). A bad column id is that column's
    /// `err`. Grbits: [`JET_BIT_ENUMERATE_COPY`], [`JET_BIT_ENUMERATE_IGNORE_DEFAULT`],
    /// [`JET_BIT_ENUMERATE_PRESENCE_ONLY`], [`JET_BIT_ENUMERATE_TAGGED_ONLY`]; others are
    /// `JET_errInvalidGrbit`.
    pub fn enumerate_columns(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        columnids: &[EnumColumnId],
        cb_data_most: usize,
        grbit: u32,
    ) -> Result<Vec<EnumColumn>> {
        let known = JET_BIT_ENUMERATE_COPY
            | JET_BIT_ENUMERATE_IGNORE_DEFAULT
            | JET_BIT_ENUMERATE_PRESENCE_ONLY
            | JET_BIT_ENUMERATE_TAGGED_ONLY;
        if grbit & !known != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        let out = self.with_cursor(sesid, tableid, |c, txn| {
            c.enumerate_columns(txn, columnids, cb_data_most, EnumerateGrbit(grbit))
        })?;
        Ok(out
            .into_iter()
            .map(|col| EnumColumn {
                columnid: col.id,
                err: match col.result {
                    Ok(w) => w.map_or(0, |w| w.jet_err().0),
                    Err(e) => e.jet_err().0,
                },
                values: col
                    .values
                    .into_iter()
                    .map(|v| EnumColumnValue {
                        itag_sequence: v.itag_sequence,
                        err: v.warning.map_or(0, |w| w.jet_err().0),
                        data: v.data,
                    })
                    .collect(),
            })
            .collect())
    }

    /// JetEscrowUpdate: adds the little-endian `delta` (4 bytes for a Long column, 8 for a
    /// LongLong one) to escrow column `columnid` of the current record, without conflicting
    /// with other sessions' escrow updates of it, and returns the value before the delta.
    /// [`JET_BIT_ESCROW_NO_ROLLBACK`]: the delta is kept even if the transaction rolls back.
    /// Errors, in ESE's order: `JET_errNotInTransaction` (-1054), `JET_errInvalidOperation`
    /// (-1906, not an escrow column), `JET_errInvalidBufferSize` (-1047),
    /// `JET_errAlreadyPrepared` (-1607), `JET_errNoCurrentRecord`, `JET_errWriteConflict`
    /// (another session replaced or deleted the record).
    pub fn escrow_update(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        columnid: ColumnId,
        delta: &[u8],
        grbit: u32,
    ) -> Result<Vec<u8>> {
        if grbit & !JET_BIT_ESCROW_NO_ROLLBACK != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        self.with_cursor(sesid, tableid, |c, txn| {
            c.escrow_update(txn, columnid, delta, EscrowGrbit(grbit))
        })
    }

    /// JetUpdate: writes the prepared insert or replace and returns the record's bookmark.
    /// Errors: `JET_errUpdateNotPrepared` (-1609), `JET_errKeyDuplicate` (-1605),
    /// `JET_errNullInvalid` (-1504) for a NOT NULL column left NULL, `JET_errWriteConflict`.
    pub fn update(&self, sesid: Sesid, tableid: Tableid) -> Result<Vec<u8>> {
        self.with_cursor(sesid, tableid, |c, txn| c.update(txn))
    }

    /// JetUpdate with its bookmark buffer: `bookmark` is pvBookmark and cbBookmark (`None`
    /// for a NULL pvBookmark, when the caller wants no bookmark), and the result is
    /// cbActual, the bookmark's full size. An insert whose bookmark does not fit fails with
    /// `JET_errBufferTooSmall` (-1038) and inserts nothing; a replace copies as much of the
    /// bookmark as fits. Other errors as [`Engine::update`].
    pub fn update_to(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        bookmark: Option<&mut [u8]>,
    ) -> Result<usize> {
        self.with_cursor(sesid, tableid, |c, txn| c.update_to(txn, bookmark))
    }

    /// JetDelete: deletes the current record (`JET_errNoCurrentRecord` off a record). The
    /// cursor stays where the record was.
    pub fn delete(&self, sesid: Sesid, tableid: Tableid) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, txn| c.delete(txn))
    }

    /// JetMove: to the first ([`JET_MOVE_FIRST`]) or last ([`JET_MOVE_LAST`]) record, or by
    /// `rows` records (`JET_MOVE_NEXT` is 1, `JET_MOVE_PREVIOUS` -1), within the index range
    /// if one is set. Moving past either end is `JET_errNoCurrentRecord` (-1603). `grbit`
    /// may hold JET_bitMoveKeyNE (0x1), not supported yet (`JET_errInvalidGrbit`).
    pub fn move_cursor(&self, sesid: Sesid, tableid: Tableid, rows: i32, grbit: u32) -> Result<()> {
        if grbit != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        self.with_cursor(sesid, tableid, |c, txn| c.move_to(txn, rows))
    }

    /// JetMakeKey: adds a column value to the cursor's search key (JET_bitNewKey starts a new
    /// one; JET_bitStrLimit, JET_bitSubStrLimit, JET_bitFullColumnStartLimit, ... as in ESE).
    pub fn make_key(&self, sesid: Sesid, tableid: Tableid, data: &[u8], grbit: u32) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, _| c.make_key(data, MakeKeyGrbit(grbit)))
    }

    /// JetRetrieveKey: the current record's normalised key, or with `copy` the search key
    /// being built.
    pub fn retrieve_key(&self, sesid: Sesid, tableid: Tableid, copy: bool) -> Result<Vec<u8>> {
        self.with_cursor(sesid, tableid, |c, txn| c.retrieve_key(txn, copy))
    }

    /// JetSeek: finds a record by the search key with JET_bitSeekEQ, LT, LE, GE or GT
    /// ([`JET_BIT_SEEK_EQ`], ...); `JET_wrnSeekNotEqual` (1039) when GE/LE found an unequal
    /// key; `JET_errRecordNotFound` (-1601) when nothing qualifies; `JET_errKeyNotMade`
    /// (-1608) without a search key.
    pub fn seek(&self, sesid: Sesid, tableid: Tableid, grbit: u32) -> Result<Option<Warning>> {
        self.with_cursor(sesid, tableid, |c, txn| c.seek(txn, SeekGrbit(grbit)))
            .map(warn)
    }

    /// JetSetIndexRange: limits the cursor's moves to the records up to (or, with
    /// JET_bitRangeUpperLimit clear... as in ESE) the search key; JET_bitRangeRemove removes
    /// the range. `JET_errNoCurrentRecord` when the current record is already outside it.
    pub fn set_index_range(&self, sesid: Sesid, tableid: Tableid, grbit: u32) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, txn| {
            c.set_index_range(txn, RangeGrbit(grbit))
        })
    }

    /// JetGetBookmark: the current record's bookmark (`JET_errNoCurrentRecord` off one).
    pub fn get_bookmark(&self, sesid: Sesid, tableid: Tableid) -> Result<Vec<u8>> {
        self.with_cursor(sesid, tableid, |c, txn| c.get_bookmark(txn))
    }

    /// JetGotoBookmark: moves to the record with `bookmark` (`JET_errRecordDeleted` (-1017)
    /// when it is gone).
    pub fn goto_bookmark(&self, sesid: Sesid, tableid: Tableid, bookmark: &[u8]) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, txn| c.goto_bookmark(txn, bookmark))
    }

    /// JetIndexRecordCount: the number of records from the current one to the end of the
    /// index (or range), counting at most `max` (0: no limit).
    pub fn index_record_count(&self, sesid: Sesid, tableid: Tableid, max: u64) -> Result<u64> {
        self.with_cursor(sesid, tableid, |c, txn| c.index_record_count(txn, max))
    }

    /// JetGetRecordPosition: the current record's approximate position (JET_RECPOS).
    pub fn get_record_position(&self, sesid: Sesid, tableid: Tableid) -> Result<RecordPosition> {
        self.with_cursor(sesid, tableid, |c, txn| c.get_record_position(txn))
    }

    /// JetGotoPosition: moves to the record at an approximate position (JET_RECPOS).
    pub fn goto_position(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        position: RecordPosition,
    ) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, txn| c.goto_position(txn, position))
    }
}

/// JetPrepareUpdate: JET_prepInsert.
pub const JET_PREP_INSERT: u32 = 0;
/// JetPrepareUpdate: JET_prepReplace.
pub const JET_PREP_REPLACE: u32 = 2;
/// JetPrepareUpdate: JET_prepCancel.
pub const JET_PREP_CANCEL: u32 = 3;
/// JetPrepareUpdate: JET_prepReplaceNoLock.
pub const JET_PREP_REPLACE_NO_LOCK: u32 = 4;
/// JetPrepareUpdate: JET_prepInsertCopy.
pub const JET_PREP_INSERT_COPY: u32 = 5;

/// JetMove: JET_MoveFirst.
pub const JET_MOVE_FIRST: i32 = ese_table::MOVE_FIRST;
/// JetMove: JET_MoveLast.
pub const JET_MOVE_LAST: i32 = ese_table::MOVE_LAST;
/// JetMove: JET_MoveNext.
pub const JET_MOVE_NEXT: i32 = ese_table::MOVE_NEXT;
/// JetMove: JET_MovePrevious.
pub const JET_MOVE_PREVIOUS: i32 = ese_table::MOVE_PREVIOUS;

/// JetSeek: JET_bitSeekEQ.
pub const JET_BIT_SEEK_EQ: u32 = 0x1;
/// JetSeek: JET_bitSeekLT.
pub const JET_BIT_SEEK_LT: u32 = 0x2;
/// JetSeek: JET_bitSeekLE.
pub const JET_BIT_SEEK_LE: u32 = 0x4;
/// JetSeek: JET_bitSeekGE.
pub const JET_BIT_SEEK_GE: u32 = 0x8;
/// JetSeek: JET_bitSeekGT.
pub const JET_BIT_SEEK_GT: u32 = 0x10;
/// JetSeek: JET_bitSetIndexRange (with SeekEQ/GE: set a range on the key).
pub const JET_BIT_SET_INDEX_RANGE: u32 = 0x20;

/// JetMakeKey: JET_bitNewKey.
pub const JET_BIT_NEW_KEY: u32 = 0x1;
/// JetMakeKey: JET_bitStrLimit.
pub const JET_BIT_STR_LIMIT: u32 = 0x2;
/// JetMakeKey: JET_bitSubStrLimit.
pub const JET_BIT_SUB_STR_LIMIT: u32 = 0x4;
/// JetMakeKey: JET_bitFullColumnStartLimit.
pub const JET_BIT_FULL_COLUMN_START_LIMIT: u32 = 0x100;
/// JetMakeKey: JET_bitFullColumnEndLimit.
pub const JET_BIT_FULL_COLUMN_END_LIMIT: u32 = 0x200;

/// JetSetIndexRange: JET_bitRangeInclusive.
pub const JET_BIT_RANGE_INCLUSIVE: u32 = 0x1;
/// JetSetIndexRange: JET_bitRangeUpperLimit.
pub const JET_BIT_RANGE_UPPER_LIMIT: u32 = 0x2;
/// JetSetIndexRange: JET_bitRangeInstantDuration.
pub const JET_BIT_RANGE_INSTANT_DURATION: u32 = 0x4;
/// JetSetIndexRange: JET_bitRangeRemove.
pub const JET_BIT_RANGE_REMOVE: u32 = 0x8;

/// JetSetColumn: JET_bitSetZeroLength.
pub const JET_BIT_SET_ZERO_LENGTH: u32 = 0x20;
/// JetRetrieveColumn: JET_bitRetrieveCopy.
pub const JET_BIT_RETRIEVE_COPY: u32 = 0x1;

/// JetSetColumn: JET_bitSetAppendLV.
pub const JET_BIT_SET_APPEND_LV: u32 = 0x1;
/// JetSetColumn: JET_bitSetOverwriteLV.
pub const JET_BIT_SET_OVERWRITE_LV: u32 = 0x4;
/// JetSetColumn: JET_bitSetSizeLV.
pub const JET_BIT_SET_SIZE_LV: u32 = 0x8;
/// JetSetColumn: JET_bitSetSeparateLV.
pub const JET_BIT_SET_SEPARATE_LV: u32 = 0x40;
/// JetSetColumn: JET_bitSetUniqueMultiValues.
pub const JET_BIT_SET_UNIQUE_MULTI_VALUES: u32 = 0x80;
/// JetSetColumn: JET_bitSetUniqueNormalizedMultiValues.
pub const JET_BIT_SET_UNIQUE_NORMALIZED_MULTI_VALUES: u32 = 0x100;
/// JetSetColumn: JET_bitSetRevertToDefaultValue.
pub const JET_BIT_SET_REVERT_TO_DEFAULT_VALUE: u32 = 0x200;
/// JetSetColumn: JET_bitSetIntrinsicLV.
pub const JET_BIT_SET_INTRINSIC_LV: u32 = 0x400;

/// JetRetrieveColumn: JET_bitRetrieveTag.
pub const JET_BIT_RETRIEVE_TAG: u32 = 0x8;
/// JetRetrieveColumn: JET_bitRetrieveNull.
pub const JET_BIT_RETRIEVE_NULL: u32 = 0x10;
/// JetRetrieveColumn: JET_bitRetrieveIgnoreDefault.
pub const JET_BIT_RETRIEVE_IGNORE_DEFAULT: u32 = 0x20;

/// JetEnumerateColumns: JET_bitEnumerateCopy.
pub const JET_BIT_ENUMERATE_COPY: u32 = 0x1;
/// JetEnumerateColumns: JET_bitEnumerateIgnoreDefault.
pub const JET_BIT_ENUMERATE_IGNORE_DEFAULT: u32 = 0x20;
/// JetEnumerateColumns: JET_bitEnumeratePresenceOnly.
pub const JET_BIT_ENUMERATE_PRESENCE_ONLY: u32 = 0x20000;
/// JetEnumerateColumns: JET_bitEnumerateTaggedOnly.
pub const JET_BIT_ENUMERATE_TAGGED_ONLY: u32 = 0x40000;

/// JetEscrowUpdate: JET_bitEscrowNoRollback.
pub const JET_BIT_ESCROW_NO_ROLLBACK: u32 = 0x1;

#[cfg(test)]
mod tests {
    use super::{CURSORS_LISTED, Cursors};

    #[test]
    fn cursors_are_found_closed_and_kept_past_the_list() {
        let mut c: Cursors<u32> = Cursors::default();
        let n = CURSORS_LISTED as u64 * 3;
        for raw in 0..n {
            c.insert(raw + 100, raw as u32);
            assert_eq!(c.len(), raw as usize + 1);
            for seen in 0..=raw {
                assert_eq!(c.get(seen + 100), Some(&(seen as u32)), "{raw}: {seen}");
            }
            assert_eq!(c.get(raw + 101), None, "not handed out yet");
        }
        *c.get_mut(105).expect("present") = 999;
        assert_eq!(c.get(105), Some(&999));
        assert_eq!(c.remove(105), Some(999));
        assert_eq!(c.remove(105), None, "closed twice");
        assert_eq!(c.get_mut(105), None);
        c.retain(|v| v % 2 == 0);
        for raw in 0..n {
            let want = (raw != 5 && raw % 2 == 0).then_some(raw as u32);
            assert_eq!(c.get(raw + 100).copied(), want, "{raw}");
        }
        c.clear();
        assert_eq!(c.len(), 0);
        assert_eq!(c.get(100), None);
        // Empty again: new cursors go back to the list and are found there.
        c.insert(7, 70);
        c.insert(8, 80);
        assert_eq!(c.get(7), Some(&70));
        assert_eq!(c.remove(8), Some(80));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn a_short_list_closes_any_member() {
        let mut c: Cursors<u32> = Cursors::default();
        for raw in 1..=4 {
            c.insert(raw, raw as u32 * 10);
        }
        assert_eq!(c.remove(1), Some(10));
        assert_eq!(c.get(4), Some(&40), "moved by the removal, still found");
        assert_eq!(c.get(1), None);
        c.retain(|v| *v != 30);
        assert_eq!(c.get(3), None);
        assert_eq!(c.get(2), Some(&20));
        assert_eq!(c.len(), 2);
    }
}
