//! Secondary indexes, the current index, secondary-index bookmarks and temporary tables:
//! the JET calls over `ese-table`'s index DDL, cursors and temporary tables (reference 11,
//! 12 and 14).
//!
//! As in [`crate::table`], each call is a thin wrapper: it finds the cursor its
//! `JET_TABLEID` names among the session's cursors and hands the session's transaction
//! state to `ese-table`, which holds every JET rule. A temporary table's cursor is a
//! session's cursor like any other; its table lives in the instance's temporary database
//! (see `temp`), made at the first JetOpenTempTable.
//!
//! ```text
//!   create_index ─▶ TableCursor::create_index (built in the caller's transaction)
//!   set_current_index2 ─▶ TableCursor::set_current_index ─▶ moves/seeks on that index
//!   open_temp_table ─▶ TempDb::of(instance) ─▶ Catalog::open_temp_table ─▶ new Tableid
//! ```

use ese_core::JetErr;
use ese_table::{
    BookmarkGrbit, ColumnId, ColumnSpec, IndexCreate, IndexGrbit, IndexSchema, SecondaryBookmark,
    SetIndexGrbit, TempGrbit, TempTableCreate,
};

use crate::engine::Engine;
use crate::error::{JetError, Result, fail};
use crate::handle::{Dbid, Sesid, Tableid};
use crate::temp::TempDb;

impl Engine {
    /// JetCreateIndex: creates index `name` on the cursor's table from the key description
    /// `key` (`"+col\0-col\0\0"`: `+` ascending, `-` descending, each name NUL-ended, a final
    /// NUL), with `grbit` ([`JET_BIT_INDEX_UNIQUE`], [`JET_BIT_INDEX_PRIMARY`], ...) and
    /// `density` (0 = 80, else 20–100). A secondary index is built from the records the
    /// session sees, in its transaction (or an implicit one). The cursor ends before the
    /// first entry of its current index. Errors: `JET_errIndexDuplicate` (-1403),
    /// `JET_errIndexHasPrimary` (-1402), `JET_errKeyDuplicate` (-1605) for a unique index over
    /// equal keys, `JET_errColumnNotFound`, `JET_errInvalidParameter` for a bad key string,
    /// `JET_errTableNotEmpty` (-1308) for a primary index on a table with records,
    /// `JET_errIllegalOperation` on a temporary table.
    pub fn create_index(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        name: &str,
        grbit: u32,
        key: &[u8],
        density: u32,
    ) -> Result<()> {
        let create = IndexCreate {
            density,
            ..IndexCreate::new(name, key, IndexGrbit(grbit))
        };
        self.create_index2(sesid, tableid, std::slice::from_ref(&create))
    }

    /// JetCreateIndex2: creates each index of `indexes` (JET_INDEXCREATE: name, key
    /// string, grbit, density, cbKeyMost with [`JET_BIT_INDEX_KEY_MOST`], cbVarSegMac) in
    /// order, as [`Engine::create_index`]; stops at the first error, the indexes before it
    /// staying created.
    pub fn create_index2(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        indexes: &[IndexCreate],
    ) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, txn| {
            for create in indexes {
                c.create_index(txn, create)?;
            }
            Ok(())
        })
    }

    /// JetDeleteIndex: deletes secondary index `name`. Errors: `JET_errIndexNotFound`
    /// (-1404), `JET_errIndexMustStay` (-1405) for the primary index, `JET_errIndexInUse`
    /// (-1051) while it is some cursor's current index (this one included).
    pub fn delete_index(&self, sesid: Sesid, tableid: Tableid, name: &str) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, txn| c.delete_index(txn, name))
    }

    /// JetSetCurrentIndex: `set_current_index2(sesid, tableid, name, JET_bitMoveFirst)`.
    pub fn set_current_index(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        name: Option<&str>,
    ) -> Result<()> {
        self.set_current_index3(sesid, tableid, name, JET_BIT_MOVE_FIRST, 1)
    }

    /// JetSetCurrentIndex2: `set_current_index3` with itagSequence 1.
    pub fn set_current_index2(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        name: Option<&str>,
        grbit: u32,
    ) -> Result<()> {
        self.set_current_index3(sesid, tableid, name, grbit, 1)
    }

    /// JetSetCurrentIndex3: makes index `name` the cursor's current index (`None` or "":
    /// the clustered index). [`JET_BIT_MOVE_FIRST`] cancels a prepared update and puts the
    /// cursor before the first entry (deferred: a read gives the first record);
    /// [`JET_BIT_NO_MOVE`] keeps the current record, on its entry for value
    /// `itag_sequence` of a multi-valued key column. Both drop the index range and the
    /// search key. Errors: `JET_errIndexNotFound` (-1404), `JET_errInvalidGrbit`,
    /// `JET_errNoCurrentRecord` (NoMove off a record or with no entry for it),
    /// `JET_errIllegalOperation` on a temporary table.
    pub fn set_current_index3(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        name: Option<&str>,
        grbit: u32,
        itag_sequence: u32,
    ) -> Result<()> {
        self.with_cursor(sesid, tableid, |c, txn| {
            c.set_current_index(txn, name, SetIndexGrbit(grbit), itag_sequence)
        })
    }

    /// JetGetCurrentIndex: the name of the cursor's current index ("" for a table's
    /// sequential clustered index).
    pub fn get_current_index(&self, sesid: Sesid, tableid: Tableid) -> Result<String> {
        self.with_cursor(sesid, tableid, |c, _| Ok(c.get_current_index()))
    }

    /// JetGetTableIndexInfo (JET_IdxInfo / JET_IdxInfoList basics): the definition of index
    /// `name`, or of every index with `None` (the primary first): its name, objid, grbit,
    /// density, key columns and key layout. `JET_errIndexNotFound` for an unknown name.
    pub fn get_table_index_info(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        name: Option<&str>,
    ) -> Result<Vec<IndexSchema>> {
        self.with_cursor(sesid, tableid, |c, _| {
            let schema = c.schema();
            let all = schema.primary.iter().chain(schema.secondary.iter());
            Ok(match name {
                None => all.cloned().collect(),
                Some(n) => all
                    .filter(|i| i.name.eq_ignore_ascii_case(n.trim_end_matches(' ')))
                    .cloned()
                    .collect(),
            })
        })
        .and_then(|v: Vec<IndexSchema>| match (name, v.is_empty()) {
            (Some(_), true) => fail(JetErr::INDEX_NOT_FOUND),
            _ => Ok(v),
        })
    }

    /// JetGetSecondaryIndexBookmark: the current entry's secondary key and its record's
    /// primary bookmark. Errors: `JET_errNoCurrentIndex` (-1515) on the clustered index,
    /// `JET_errNoCurrentRecord` (-1603) off an entry.
    pub fn get_secondary_index_bookmark(
        &self,
        sesid: Sesid,
        tableid: Tableid,
    ) -> Result<SecondaryBookmark> {
        self.with_cursor(sesid, tableid, |c, txn| c.get_secondary_index_bookmark(txn))
    }

    /// JetGotoSecondaryIndexBookmark: moves to the entry (`secondary_key`,
    /// `primary_bookmark`) of the current secondary index. A non-unique index needs the
    /// primary bookmark (`JET_errInvalidBookmark`, -1045). A missing entry is
    /// `JET_errRecordDeleted` (-1017), the cursor unmoved, or with
    /// [`JET_BIT_BOOKMARK_PERMIT_VIRTUAL_CURRENCY`] virtually on it. Errors also:
    /// `JET_errNoCurrentIndex` on the clustered index.
    pub fn goto_secondary_index_bookmark(
        &self,
        sesid: Sesid,
        tableid: Tableid,
        secondary_key: &[u8],
        primary_bookmark: &[u8],
        grbit: u32,
    ) -> Result<()> {
        if grbit & !JET_BIT_BOOKMARK_PERMIT_VIRTUAL_CURRENCY != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        self.with_cursor(sesid, tableid, |c, txn| {
            c.goto_secondary_index_bookmark(
                txn,
                secondary_key,
                primary_bookmark,
                BookmarkGrbit(grbit),
            )
        })
    }

    /// JetOpenTempTable: `open_temporary_table` with `columns` (JET_COLUMNDEFs; key
    /// columns carry `ColumnGrbit::TT_KEY`, and `TT_DESCENDING`, in key order) and `grbit`
    /// ([`JET_BIT_TT_INDEXED`], [`JET_BIT_TT_UNIQUE`], ...), with ESE's default key sizes.
    /// Returns the new cursor and one column id per column, in order.
    pub fn open_temp_table(
        &self,
        sesid: Sesid,
        columns: &[ColumnSpec],
        grbit: u32,
    ) -> Result<(Tableid, Vec<ColumnId>)> {
        let create = TempTableCreate {
            columns: columns.to_vec(),
            grbit: TempGrbit(grbit),
            ..TempTableCreate::default()
        };
        self.open_temporary_table(sesid, &create)
    }

    /// JetOpenTemporaryTable (JET_OPENTEMPORARYTABLE: column definitions, grbit, cbKeyMost,
    /// cbVarSegMac): opens a temporary table in the instance's temporary database and
    /// returns its cursor (before the first record) and its column ids. A sort takes
    /// inserts until the first move or seek; duplicates of the key are dropped, or, with
    /// [`JET_BIT_TT_ERROR_ON_DUPLICATE_INSERTION`] (the same bit as
    /// [`JET_BIT_TT_FORCE_MATERIALIZATION`]), refused with `JET_errKeyDuplicate` (-1605).
    /// What a sort refuses is `JET_errIllegalOperation` (-1312). Errors:
    /// `JET_errCannotMaterializeForwardOnlySort` (-1113) for ForwardOnly
    /// with Indexed/Updatable/Scrollable/ForceMaterialization, `JET_errInvalidGrbit`, a
    /// column's JetAddColumn error. Its changes are versioned like any table's; closing
    /// the last cursor ends the table.
    pub fn open_temporary_table(
        &self,
        sesid: Sesid,
        create: &TempTableCreate,
    ) -> Result<(Tableid, Vec<ColumnId>)> {
        if create.grbit.0 & !JET_BIT_TT_ALL != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        self.enter_db(sesid, |_, rt, core| {
            if core.txn.is_none() {
                return fail(JetErr::INVALID_SESID);
            }
            let temp = TempDb::of(rt)?;
            let (cursor, ids) = temp
                .catalog
                .open_temp_table(create)
                .map_err(JetError::from)?;
            let t = self.add_cursor(core, Dbid::NIL, temp, cursor)?;
            Ok((t, ids))
        })
    }
}

/// JetCreateIndex: JET_bitIndexUnique.
pub const JET_BIT_INDEX_UNIQUE: u32 = IndexGrbit::UNIQUE.0;
/// JetCreateIndex: JET_bitIndexPrimary.
pub const JET_BIT_INDEX_PRIMARY: u32 = IndexGrbit::PRIMARY.0;
/// JetCreateIndex: JET_bitIndexDisallowNull.
pub const JET_BIT_INDEX_DISALLOW_NULL: u32 = IndexGrbit::DISALLOW_NULL.0;
/// JetCreateIndex: JET_bitIndexIgnoreNull.
pub const JET_BIT_INDEX_IGNORE_NULL: u32 = IndexGrbit::IGNORE_NULL.0;
/// JetCreateIndex: JET_bitIndexIgnoreAnyNull.
pub const JET_BIT_INDEX_IGNORE_ANY_NULL: u32 = IndexGrbit::IGNORE_ANY_NULL.0;
/// JetCreateIndex: JET_bitIndexIgnoreFirstNull.
pub const JET_BIT_INDEX_IGNORE_FIRST_NULL: u32 = IndexGrbit::IGNORE_FIRST_NULL.0;
/// JetCreateIndex: JET_bitIndexLazyFlush.
pub const JET_BIT_INDEX_LAZY_FLUSH: u32 = IndexGrbit::LAZY_FLUSH.0;
/// JetCreateIndex: JET_bitIndexEmpty.
pub const JET_BIT_INDEX_EMPTY: u32 = IndexGrbit::EMPTY.0;
/// JetCreateIndex: JET_bitIndexSortNullsHigh.
pub const JET_BIT_INDEX_SORT_NULLS_HIGH: u32 = IndexGrbit::SORT_NULLS_HIGH.0;
/// JetCreateIndex: JET_bitIndexUnicode.
pub const JET_BIT_INDEX_UNICODE: u32 = IndexGrbit::UNICODE.0;
/// JetCreateIndex: JET_bitIndexTuples (a substring index on its first key column).
pub const JET_BIT_INDEX_TUPLES: u32 = IndexGrbit::TUPLES.0;
/// JetCreateIndex: JET_bitIndexKeyMost (cbKeyMost is set).
pub const JET_BIT_INDEX_KEY_MOST: u32 = IndexGrbit::KEY_MOST.0;
/// JetCreateIndex: JET_bitIndexDisallowTruncation.
pub const JET_BIT_INDEX_DISALLOW_TRUNCATION: u32 = IndexGrbit::DISALLOW_TRUNCATION.0;

/// JetSetCurrentIndex2: JET_bitMoveFirst.
pub const JET_BIT_MOVE_FIRST: u32 = SetIndexGrbit::MOVE_FIRST.0;
/// JetSetCurrentIndex2: JET_bitNoMove.
pub const JET_BIT_NO_MOVE: u32 = SetIndexGrbit::NO_MOVE.0;

/// JetGotoSecondaryIndexBookmark: JET_bitBookmarkPermitVirtualCurrency.
pub const JET_BIT_BOOKMARK_PERMIT_VIRTUAL_CURRENCY: u32 = BookmarkGrbit::PERMIT_VIRTUAL_CURRENCY.0;

/// JetSeek: JET_bitCheckUniqueness (accepted; JET_wrnUniqueKey is not claimed).
pub const JET_BIT_CHECK_UNIQUENESS: u32 = ese_table::SeekGrbit::CHECK_UNIQUENESS.0;

/// JetOpenTempTable: JET_bitTTIndexed.
pub const JET_BIT_TT_INDEXED: u32 = TempGrbit::INDEXED.0;
/// JetOpenTempTable: JET_bitTTUnique.
pub const JET_BIT_TT_UNIQUE: u32 = TempGrbit::UNIQUE.0;
/// JetOpenTempTable: JET_bitTTUpdatable.
pub const JET_BIT_TT_UPDATABLE: u32 = TempGrbit::UPDATABLE.0;
/// JetOpenTempTable: JET_bitTTScrollable.
pub const JET_BIT_TT_SCROLLABLE: u32 = TempGrbit::SCROLLABLE.0;
/// JetOpenTempTable: JET_bitTTSortNullsHigh.
pub const JET_BIT_TT_SORT_NULLS_HIGH: u32 = TempGrbit::SORT_NULLS_HIGH.0;
/// JetOpenTempTable: JET_bitTTForceMaterialization.
pub const JET_BIT_TT_FORCE_MATERIALIZATION: u32 = TempGrbit::FORCE_MATERIALIZATION.0;
/// JetOpenTempTable: JET_bitTTErrorOnDuplicateInsertion (the same bit as
/// ForceMaterialization).
pub const JET_BIT_TT_ERROR_ON_DUPLICATE_INSERTION: u32 = TempGrbit::ERROR_ON_DUPLICATE_INSERTION.0;
/// JetOpenTempTable: JET_bitTTForwardOnly.
pub const JET_BIT_TT_FORWARD_ONLY: u32 = TempGrbit::FORWARD_ONLY.0;
/// JetOpenTempTable: JET_bitTTIntrinsicLVsOnly.
pub const JET_BIT_TT_INTRINSIC_LVS_ONLY: u32 = TempGrbit::INTRINSIC_LVS_ONLY.0;
/// JetOpenTempTable: JET_bitTTDotNetGuid.
pub const JET_BIT_TT_DOT_NET_GUID: u32 = TempGrbit::DOT_NET_GUID.0;
/// Every JetOpenTempTable bit.
pub const JET_BIT_TT_ALL: u32 = JET_BIT_TT_INDEXED
    | JET_BIT_TT_UNIQUE
    | JET_BIT_TT_UPDATABLE
    | JET_BIT_TT_SCROLLABLE
    | JET_BIT_TT_SORT_NULLS_HIGH
    | JET_BIT_TT_FORCE_MATERIALIZATION
    | JET_BIT_TT_FORWARD_ONLY
    | JET_BIT_TT_INTRINSIC_LVS_ONLY
    | JET_BIT_TT_DOT_NET_GUID;
