//! Tables: ESE's catalog (MSysObjects), record format, columns, long values and indexes.
//!
//! This crate owns the catalog of tables, columns and indexes; the record layout (fixed,
//! variable and tagged columns, multi-values, defaults); key normalization for every column
//! type; tables' primary trees and secondary indexes with cursors navigating any of them; the
//! maintenance of secondary index entries in the same transaction as the record; and
//! temporary tables.
//! It must not know about instances, sessions' handles or system parameters: those belong to
//! `ese-api`, which drives this crate and turns its [`Error`]s into JET codes
//! ([`Error::jet_err`]). Every JET rule (errors, warnings, currency) lives here, so the
//! API's wrappers only translate handles and buffers.
//!
//! # Modules
//!
//! - [`coltyp`]: column types, column grbits, [`ColumnDef`] and JetAddColumn's validation
//!   rules, and [`ColumnSet`], a table's columns with the rules that span several of them;
//! - [`record`]: our record byte format and the [`Record`] editor with
//!   JetSetColumn/JetRetrieveColumn semantics, defaults and the record size limit;
//! - [`key`]: key normalization, [`KeyBuilder`]/[`KeyState`] with JetMakeKey's grbits;
//! - [`index`]: key description strings, index grbits, [`IndexDef`] and [`index_entries`];
//! - [`catalog`]: [`Catalog`], the MSysObjects tree with DDL and the schema cache;
//! - [`cursor`]: [`TableCursor`], a cursor on any index of a table with its copy buffer;
//!   its navigation and currency rules are in `cursor::nav`;
//! - [`maintain`]: the entries a record makes in secondary indexes and their maintenance;
//! - [`temp`]: temporary tables ([`TempTableCreate`], [`TempGrbit`]);
//! - [`lv`]: [`LvTree`], a table's long-value tree (separated LongText/LongBinary values);
//! - [`testing`]: [`testing::TestStack`], a database on memory storage with a version store;
//! - [`error`]: the crate's one [`Error`] type and the [`Warning`]s successful calls carry.
//!
//! # The API `ese-api` wraps (each item names the JET call it serves)
//!
//! ```text
//! Catalog::create(db: &Arc<Database>, ver: &Arc<VersionStore>, trees: &Arc<Trees>)
//!     -> Result<Arc<Catalog>>                         new database: catalog is the first tree
//! Catalog::open(db, ver, trees) -> Result<Arc<Catalog>>                 attach / recovery
//! Catalog::set_implicit_commit_mode(&self, CommitMode)  JET_paramCommitDefault for level-0 calls
//! Catalog::create_table(&Arc<Self>, &mut Session, &TableCreate)
//!     -> Result<(TableCursor, Vec<Option<Warning>>)>  JetCreateTable, JetCreateTableColumnIndex
//! Catalog::open_table(&Arc<Self>, &Session, name: &str) -> Result<TableCursor>   JetOpenTable
//! Catalog::delete_table(&self, &mut Session, name: &str) -> Result<()>        JetDeleteTable
//! Catalog::table_names(&self, &Session) -> Result<Vec<String>>   JetGetObjectInfo (list)
//! Catalog::open_temp_table(&Arc<Self>, &TempTableCreate) -> Result<(TableCursor, Vec<ColumnId>)>
//!                          JetOpenTempTable/2/3, JetOpenTemporaryTable/2 (column ids in order)
//!
//! TableCursor (one JET_TABLEID; close = drop, which cancels a prepared update)
//!   .schema() -> &Arc<TableSchema>                 .dup_cursor() -> Result<TableCursor>
//!                                                  JetDupCursor (clustered index, deferred)
//!   .is_temp() -> bool                              whether the table is temporary
//!   .create_index(&mut Session, &IndexCreate) -> Result<()>
//!                         JetCreateIndex, JetCreateIndex2..4 (call once per JET_INDEXCREATE)
//!   .delete_index(&mut Session, name) -> Result<()>                       JetDeleteIndex
//!   .set_current_index(&Session, Option<&str>, SetIndexGrbit, itag_sequence) -> Result<()>
//!                        JetSetCurrentIndex/2/3 (MOVE_FIRST, NO_MOVE); None/"" = clustered
//!   .get_current_index() -> String                 JetGetCurrentIndex ("" = sequential)
//!   .add_column(&mut Session, name, &ColumnSpec) -> Result<(ColumnId, Option<Warning>)>
//!                                                                             JetAddColumn
//!   .delete_column(&mut Session, name) -> Result<()>                       JetDeleteColumn
//!   .column_info(name) / .column_info_by_id(ColumnId) -> Result<ColumnInfo>
//!   .columns() -> Vec<ColumnInfo>               JetGetTableColumnInfo / JetGetColumnInfo
//!   .prepare_update(&mut Session, Prep) -> Result<()>                    JetPrepareUpdate
//!   .set_column(ColumnId, data, SetGrbit, itag_sequence) -> Result<Option<Warning>>
//!                                                                            JetSetColumn
//!   .retrieve_column(&Session, ColumnId, itag, RetrieveGrbit) -> Result<Option<Vec<u8>>>
//!   .retrieve_column_into(&Session, ColumnId, itag, RetrieveGrbit, &mut [u8])
//!     -> Result<(usize, Option<Warning>)>  JetRetrieveColumn (ColumnNull 1004, BufferTruncated 1006)
//!   .set_column_ex(&mut Session, ColumnId, data, SetGrbit, SetInfo) -> Result<Option<Warning>>
//!                     JetSetColumn with JET_SETINFO (ibLongValue, itagSequence); long values
//!                     (AppendLV/OverwriteLV/SizeLV/SeparateLV/IntrinsicLV) need this one
//!   .set_columns(&mut Session, &mut [SetColumn]) -> Result<()>             JetSetColumns
//!   .retrieve_column_ex(&Session, ColumnId, RetrieveGrbit, RetInfo, &mut [u8])
//!     -> Result<Retrieved>   JetRetrieveColumn with JET_RETINFO (ibLongValue, RetrieveTag)
//!   .retrieve_columns(&Session, &mut [RetrieveColumn]) -> Option<Warning>
//!                                        JetRetrieveColumns (itagSequence 0 = value count)
//!   .value_count(&Session, ColumnId, RetrieveGrbit) -> Result<usize>
//!   .enumerate_columns(&Session, &[EnumColumnId], cb_data_most, EnumerateGrbit)
//!     -> Result<Vec<EnumColumn>>                                     JetEnumerateColumns
//!   .escrow_update(&mut Session, ColumnId, delta: &[u8], EscrowGrbit) -> Result<Vec<u8>>
//!                                              JetEscrowUpdate: returns the old value
//!   .delete_zeroed_records(&mut Session) -> Result<usize>
//!                        DeleteOnZero/Finalize: ESE's background delete, run by the caller
//!   .long_value_tree() -> Result<Option<LvTree>>      the table's LV tree (space checks)
//!   .update(&mut Session) -> Result<Vec<u8>>        JetUpdate: returns the bookmark
//!   .delete(&mut Session) -> Result<()>                                         JetDelete
//!   (the calls below work on the current index, clustered or secondary)
//!   .move_to(&Session, rows: i32) -> Result<()>   JetMove (MOVE_FIRST/MOVE_LAST/±n)
//!   .make_key(data, MakeKeyGrbit) -> Result<()>                                JetMakeKey
//!   .retrieve_key(&Session, copy: bool) -> Result<Vec<u8>>                 JetRetrieveKey
//!   .seek(&Session, SeekGrbit) -> Result<Option<Warning>>    JetSeek (SeekNotEqual 1039)
//!   .set_index_range(&Session, RangeGrbit) -> Result<()>               JetSetIndexRange
//!   .get_bookmark(&Session) -> Result<Vec<u8>>                            JetGetBookmark
//!   .goto_bookmark(&Session, &[u8]) -> Result<()>                        JetGotoBookmark
//!   .get_secondary_index_bookmark(&Session) -> Result<SecondaryBookmark>
//!                                                            JetGetSecondaryIndexBookmark
//!   .goto_secondary_index_bookmark(&Session, sec_key, primary_bm, BookmarkGrbit)
//!     -> Result<()>                                         JetGotoSecondaryIndexBookmark
//!   .index_record_count(&Session, max: u64) -> Result<u64>  JetIndexRecordCount(2)
//!   .get_record_position(&Session) -> Result<RecordPosition>       JetGetRecordPosition
//!   .goto_position(&Session, RecordPosition) -> Result<()>              JetGotoPosition
//! ```
//!
//! Every changing call takes `&mut Session`: at level 0 it runs in an implicit transaction
//! committed with the catalog's implicit commit mode (durable unless set lazy, reference 02
//! §6); inside a transaction it runs in a save point that is rolled back if the call fails,
//! so a failed call changes nothing and leaves the user's transaction usable. Rolling back
//! a transaction is the API's call (`Trees::rollback`); it undoes catalog rows and records
//! alike, and the schema cache (see [`catalog`]) never serves what was rolled back.
//!
//! # Designs for what comes next
//!
//! - **Secondary indexes** are implemented ([`maintain`]): one B-tree per index (own objid
//!   and FDP, recorded in the index's catalog row). An entry's key is the normalized
//!   secondary key, followed for a non-unique index by the primary bookmark (so duplicates
//!   sort by primary key, as ESE); its data is the primary bookmark. Insert, replace and
//!   delete apply the difference of the old and new entries
//!   ([`maintain::apply_record_change`]) in the same save point as the record, so conflicts,
//!   rollback and crash recovery treat them together. Tuple indexes (JET_bitIndexTuples) make
//!   one entry per substring of their first column with ESE's default JET_TUPLELIMITS
//!   ([`TupleLimits`]); custom limits (JET_bitIndexTupleLimits) are refused. Not built:
//!   nested-table indexes (JET_errInvalidGrbit), conditional columns, Unversioned creation.
//! - **Long values** are implemented ([`lv`], the cursor's `update` module): a per-table
//!   long-value tree (catalog Type 4 row, made with the first long-value column), keyed by
//!   LID roots (refcount, size) and (LID u64 BE, offset u32 BE) chunks; [`LvRef`] in the
//!   record; InsertCopy shares a value (+1), changes copy first, deletes release it.
//! - **Escrow columns** are implemented: fixed Long/LongLong columns updated through
//!   `VersionedTree::escrow_update` at the column's offset in the stored record.
//! - **Autoincrement and version columns** are implemented: autoincrement values are
//!   assigned at prepare (max + 1 found on the table's first load, then counted in memory,
//!   so after a crash recovery's redone records give the counter back);
//!   version columns become 0 on insert and stored + 1 on replace.
//! - Not done: JetRetrieveColumn with columnid 0 (every tagged column as one sequence,
//!   JET_wrnColumnSetNull), RetrieveTag answering from a secondary index entry (it reports
//!   the itagSequence read), compression, the per-table cbSeparateLV threshold.

pub mod catalog;
pub mod coltyp;
pub mod cursor;
pub mod error;
pub mod index;
pub mod key;
pub mod lv;
pub mod maintain;
pub mod record;
pub mod temp;
pub mod testing;

pub use catalog::{
    Catalog, ColumnCreate, ColumnInfo, IndexCreate, IndexSchema, ObjectType, TableCreate,
    TableSchema,
};
pub use coltyp::{
    CodePage, ColumnClass, ColumnDef, ColumnGrbit, ColumnId, ColumnSet, ColumnSpec, ColumnType,
};
pub use cursor::{
    BookmarkGrbit, MOVE_FIRST, MOVE_LAST, MOVE_NEXT, MOVE_PREVIOUS, Prep, RangeGrbit,
    RecordPosition, SecondaryBookmark, SeekGrbit, SetIndexGrbit, TableCursor,
};
pub use cursor::{
    EnumColumn, EnumColumnId, EnumValue, EnumerateGrbit, EscrowGrbit, RetInfo, RetrieveColumn,
    Retrieved, SetColumn, SetInfo,
};
pub use error::{Error, Result, Warning};
pub use index::{
    IndexDef, IndexGrbit, KeyColumnName, TupleLimits, index_entries, index_entries_with,
    parse_key_description,
};
pub use key::{Key, KeyBuilder, KeyColumn, KeyLayout, KeyState, MakeKeyGrbit, SegmentData};
pub use lv::{LvRoot, LvTree};
pub use record::{LvRef, Record, RetrieveGrbit, SetGrbit, ValueRef};
pub use temp::{TempGrbit, TempTableCreate};
