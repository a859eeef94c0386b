//! Table cursors: a position on a table's primary (clustered) index, a search key, an index
//! range and a prepared update (ESE's FUCB with its copy buffer), with JET's rules for each.
//!
//! # Records and keys
//!
//! A table's records live in its primary tree, keyed by the normalized primary key
//! ([`crate::key`]); with no primary index, by a 4-byte big-endian sequential key (ESE's
//! DBK) counted per table from the largest key found when the table is first used. A key is
//! also the record's bookmark. A secondary index's entry is keyed by its normalized key,
//! followed by the bookmark for a non-unique index, and holds the bookmark; entries change
//! in the same save point as the record.
//!
//! # Currency (reference 12 §1)
//!
//! ```text
//!   DeferredFirst  after open/create/dup: reads resolve to the first record; MoveNext lands
//!                  on the second
//!   BeforeFirst    MoveFirst/MovePrevious off the start, failed SeekLT/LE
//!   AfterLast      MoveNext off the end or past a range, failed SeekGE/GT
//!   On(key)        a record
//!   Virtual(key)   failed SeekEQ: moves go to the first entry above / below the key
//!   Deleted(key)   after JetDelete: reads give RecordDeleted, moves continue from the key
//! ```
//!
//! Moves, seeks and gotos cancel a prepared update; seeks and gotos also drop the index
//! range and consume the search key. A cursor reads the record it lands on once and serves
//! JetRetrieveColumn from that copy until it moves: it keeps the record's bytes as stored
//! (checked as decoding would check them, with where their parts are) and reads each value
//! in place ([`Record::retrieve_stored`]), decoding the whole record only for the calls that
//! need it (copies, replaces, enumerations, value counts). After a move or seek made in
//! place, the copy is the versioned cursor's own copy of the entry, which later changes to
//! the page do not touch; any other move of the versioned cursor forgets it first.
//! The copy is trusted only while the database's dbtime is the one it was read at: this
//! session's own change to the row through another cursor, or a rollback undoing one,
//! writes a page, and the next read then fetches the row again by its bookmark.
//!
//! # Transactions
//!
//! Every change runs in a save point of the catalog ([`crate::Catalog`]): an implicit
//! transaction at level 0, so a failed call changes nothing. Before each positioning or
//! change a cursor checks its table's DDL stamp and reloads the schema when it moved. The
//! check reads the catalog row only when the table's DDL generation (bumped by every write
//! of the row) moved since the cursor last found the row without versions, or while the row
//! has versions (DDL uncommitted, or committed and still seen differently by older
//! snapshots); otherwise it is one atomic load.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ese_txn::{LockKind, Session, VersionedCursor, VersionedTree};

use crate::catalog::{Catalog, ColumnInfo, IndexSchema, TableSchema, TableState};
use crate::coltyp::{ColumnClass, ColumnDef, ColumnGrbit, ColumnId, ColumnSpec, ColumnType};
use crate::error::{Error, Result, Warning};
use crate::index::{IndexGrbit, index_entries};
use crate::key::{KeyLayout, KeyState, SegmentData};
use crate::record::{LvRef, Record, RecordLayout, RetrieveGrbit, SetGrbit, ValueRef};

pub(crate) mod nav;
mod update;

pub use nav::{BookmarkGrbit, SecondaryBookmark, SetIndexGrbit};

pub(crate) use update::PendingLv;
pub use update::{
    EnumColumn, EnumColumnId, EnumValue, EnumerateGrbit, EscrowGrbit, RetInfo, RetrieveColumn,
    Retrieved, SetColumn, SetInfo,
};

/// JET_MoveFirst.
pub const MOVE_FIRST: i32 = i32::MIN;
/// JET_MovePrevious.
pub const MOVE_PREVIOUS: i32 = -1;
/// JET_MoveNext.
pub const MOVE_NEXT: i32 = 1;
/// JET_MoveLast.
pub const MOVE_LAST: i32 = i32::MAX;

/// Bytes of a sequential key (ESE's DBK).
pub const DBK_BYTES: usize = 4;

/// JetPrepareUpdate's `prep` (ESE's values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prep {
    /// JET_prepInsert (0).
    Insert,
    /// JET_prepReplace (2).
    Replace,
    /// JET_prepCancel (3).
    Cancel,
    /// JET_prepReplaceNoLock (4).
    ReplaceNoLock,
    /// JET_prepInsertCopy (5).
    InsertCopy,
}

impl Prep {
    /// The prep with ESE's number `raw`; others are JET_errInvalidParameter.
    pub fn from_raw(raw: u32) -> Result<Prep> {
        Ok(match raw {
            0 => Prep::Insert,
            2 => Prep::Replace,
            3 => Prep::Cancel,
            4 => Prep::ReplaceNoLock,
            5 => Prep::InsertCopy,
            _ => return Err(Error::InvalidParameter("unknown JetPrepareUpdate option")),
        })
    }
}

/// JetSeek grbits (`JET_bitSeek…`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeekGrbit(pub u32);

impl SeekGrbit {
    /// JET_bitSeekEQ.
    pub const EQ: SeekGrbit = SeekGrbit(0x1);
    /// JET_bitSeekLT.
    pub const LT: SeekGrbit = SeekGrbit(0x2);
    /// JET_bitSeekLE.
    pub const LE: SeekGrbit = SeekGrbit(0x4);
    /// JET_bitSeekGE.
    pub const GE: SeekGrbit = SeekGrbit(0x8);
    /// JET_bitSeekGT.
    pub const GT: SeekGrbit = SeekGrbit(0x10);
    /// JET_bitSetIndexRange: with SeekEQ, also set an inclusive upper range on the key.
    pub const SET_INDEX_RANGE: SeekGrbit = SeekGrbit(0x20);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: SeekGrbit) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for SeekGrbit {
    type Output = SeekGrbit;
    fn bitor(self, rhs: SeekGrbit) -> SeekGrbit {
        SeekGrbit(self.0 | rhs.0)
    }
}

/// JetSetIndexRange grbits (`JET_bitRange…`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RangeGrbit(pub u32);

impl RangeGrbit {
    /// No flags: an exclusive lower limit.
    pub const NONE: RangeGrbit = RangeGrbit(0);
    /// JET_bitRangeInclusive.
    pub const INCLUSIVE: RangeGrbit = RangeGrbit(0x1);
    /// JET_bitRangeUpperLimit.
    pub const UPPER_LIMIT: RangeGrbit = RangeGrbit(0x2);
    /// JET_bitRangeInstantDuration.
    pub const INSTANT_DURATION: RangeGrbit = RangeGrbit(0x4);
    /// JET_bitRangeRemove.
    pub const REMOVE: RangeGrbit = RangeGrbit(0x8);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: RangeGrbit) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for RangeGrbit {
    type Output = RangeGrbit;
    fn bitor(self, rhs: RangeGrbit) -> RangeGrbit {
        RangeGrbit(self.0 | rhs.0)
    }
}

/// JET_RECPOS: entries before the current one, and in all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordPosition {
    /// centriesLT.
    pub entries_lt: u64,
    /// centriesTotal.
    pub entries_total: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Position {
    DeferredFirst,
    BeforeFirst,
    AfterLast,
    On(Vec<u8>),
    Virtual(Vec<u8>),
    Deleted(Vec<u8>),
}

/// The record the cursor is on, as far as it has been read.
#[derive(Debug, Default)]
enum CurrentRow {
    /// Not read yet (or the cursor is on no record).
    #[default]
    None,
    /// The record's bytes as stored, checked, with where their parts are: a read takes
    /// one value from them in place, without decoding the record.
    Stored(Vec<u8>, RecordLayout),
    /// As `Stored`, the bytes being those of the entry the versioned cursor stands on
    /// (its own copy, which no change to the page touches), `len` of them: a move or seek
    /// made in place leaves the row there instead of copying it again. Forgotten by any
    /// later move of the versioned cursor (`TableCursor::vc_mut`).
    InCursor { layout: RecordLayout, len: usize },
    /// The record decoded.
    Record(Record),
}

/// The current record for one read: its stored bytes or the decoded record.
enum RowRef<'a> {
    Stored(&'a [u8], &'a RecordLayout),
    Record(&'a Record),
}

impl<'a> RowRef<'a> {
    /// [`Record::retrieve`] on either form.
    fn retrieve(
        &self,
        schema: &'a crate::coltyp::ColumnSet,
        id: ColumnId,
        itag_sequence: u32,
        grbit: RetrieveGrbit,
    ) -> Result<Option<ValueRef<'a>>> {
        self.retrieve_col(schema, schema.get(id)?, itag_sequence, grbit)
    }

    /// [`RowRef::retrieve`] of `col`, a live column of `schema` already looked up.
    #[inline]
    fn retrieve_col(
        &self,
        schema: &crate::coltyp::ColumnSet,
        col: &'a ColumnDef,
        itag_sequence: u32,
        grbit: RetrieveGrbit,
    ) -> Result<Option<ValueRef<'a>>> {
        match *self {
            RowRef::Stored(bytes, layout) => {
                Record::retrieve_stored_col(bytes, layout, schema, col, itag_sequence, grbit)
            }
            RowRef::Record(r) => r.retrieve_col(col, itag_sequence, grbit),
        }
    }
}

#[derive(Clone, Debug)]
struct Range {
    limit: Vec<u8>,
    inclusive: bool,
    upper: bool,
}

impl Range {
    /// Whether `key` lies on the allowed side of the limit.
    fn admits(&self, key: &[u8]) -> bool {
        match (self.upper, self.inclusive) {
            (true, true) => key <= self.limit.as_slice(),
            (true, false) => key < self.limit.as_slice(),
            (false, true) => key >= self.limit.as_slice(),
            (false, false) => key > self.limit.as_slice(),
        }
    }
}

/// A prepared update: the copy buffer and what it was prepared from.
#[derive(Debug)]
pub(crate) struct Update {
    prep: Prep,
    record: Record,
    /// The record's key and data when the update was prepared (replaces).
    original: Option<(Vec<u8>, Vec<u8>)>,
    /// Long values this update created (owned by it until JetUpdate adopts them).
    created: Vec<LvRef>,
    /// Alive while the update is: the table's pending long values point at it weakly.
    /// Made with the update's first long value (an update without any needs none).
    token: Option<Arc<()>>,
}

/// A cursor on one table (one JET_TABLEID): position, search key, index range and copy
/// buffer. Dropping it closes it (JetCloseTable), cancelling a prepared update.
#[derive(Debug)]
pub struct TableCursor {
    catalog: Arc<Catalog>,
    schema: Arc<TableSchema>,
    state: Arc<TableState>,
    primary: VersionedTree,
    secondary: Vec<VersionedTree>,
    vc: VersionedCursor,
    pos: Position,
    /// Whether `pos` is `On` the key of the entry `vc` stands on, as an in-place landing left
    /// them: the next move steps in place without comparing the two keys. Cleared by every
    /// change of `pos` ([`TableCursor::set_pos`]) and move of `vc` (`vc_mut`).
    pos_in_vc: bool,
    /// The current record as read when the cursor landed on it.
    current: CurrentRow,
    /// The database's dbtime when `current` was read
    /// ([`TableCursor::row_is_current`](nav)).
    row_dbtime: u64,
    key: KeyState,
    sequential_layout: KeyLayout,
    range: Option<Range>,
    update: Option<Update>,
    /// The current secondary index's objid; `None` for the clustered index.
    index: Option<u32>,
    /// The bookmark of the entry the cursor is on (with `Position::On`) on a secondary
    /// index, or after a replace; `None` on the clustered index, whose entry's key in `pos`
    /// is the bookmark ([`TableCursor::bookmark`]).
    bm: Option<Vec<u8>>,
    /// A temporary table's shared state ([`crate::temp`]).
    pub(crate) temp: Option<Arc<crate::temp::TempShared>>,
    /// The table's DDL generation at the last check that found the catalog row without
    /// versions and with this cursor's schema stamp; `None` until such a check.
    settled_at: Option<u64>,
    /// The copy buffer of the last insert, kept so that the next `JET_prepInsert` reuses
    /// its buffers ([`Record::reset_insert`]).
    recycled: Option<Record>,
    /// The buffer JetUpdate encodes the record into, kept from one update to the next.
    encoded: Vec<u8>,
    /// The buffer [`TableCursor::update_to`] builds the bookmark in, kept likewise.
    key_buf: Vec<u8>,
}

impl Drop for TableCursor {
    fn drop(&mut self) {
        self.state.open_cursors.fetch_sub(1, Ordering::SeqCst);
        if let Some(objid) = self.index
            && let Some(n) = self.state.index_users.lock().get_mut(&objid)
        {
            *n = n.saturating_sub(1);
        }
    }
}

fn to_op_result(
    r: std::result::Result<Option<ese_btree::Entry>, ese_txn::Error>,
) -> Result<Option<ese_btree::Entry>> {
    r.map_err(Error::from)
}

impl TableCursor {
    pub(crate) fn new(
        catalog: Arc<Catalog>,
        schema: Arc<TableSchema>,
        state: Arc<TableState>,
    ) -> Result<TableCursor> {
        let primary = catalog.versioned(schema.objid, schema.root)?;
        let secondary = schema
            .secondary
            .iter()
            .map(|i| catalog.versioned(i.objid, i.root))
            .collect::<Result<Vec<_>>>()?;
        // The long-value tree is registered too, although it is opened lazily: rollback and
        // the sweep after recovery reach its nodes only through the registry.
        if let Some((objid, root)) = schema.long_values {
            catalog.versioned(objid, root)?;
        }
        state.open_cursors.fetch_add(1, Ordering::SeqCst);
        let vc = primary.cursor();
        Ok(TableCursor {
            catalog,
            schema,
            state,
            primary,
            secondary,
            vc,
            pos: Position::DeferredFirst,
            pos_in_vc: false,
            current: CurrentRow::None,
            row_dbtime: 0,
            key: KeyState::new(),
            sequential_layout: KeyLayout::new(Vec::new()),
            range: None,
            update: None,
            index: None,
            bm: None,
            temp: None,
            settled_at: None,
            recycled: None,
            encoded: Vec::new(),
            key_buf: Vec::new(),
        })
    }

    /// The table's schema as this cursor uses it.
    pub fn schema(&self) -> &Arc<TableSchema> {
        &self.schema
    }

    /// The catalog the table belongs to.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// A new cursor on the same table at the deferred first record; nothing else is copied
    /// (JetDupCursor).
    /// On a temporary table the copy shares the table; JET_errIllegalOperation on a
    /// forward-only sort or during a sort's insert phase.
    pub fn dup_cursor(&self) -> Result<TableCursor> {
        self.temp_before_dup()?;
        let mut dup = TableCursor::new(
            self.catalog.clone(),
            self.schema.clone(),
            self.state.clone(),
        )?;
        if let Some(t) = &self.temp {
            let index = self.schema.secondary.first().map(|i| i.objid);
            dup.make_temp(t.clone(), index);
            dup.set_pos(Position::DeferredFirst);
        }
        Ok(dup)
    }

    /// Whether an update is prepared.
    pub fn is_update_prepared(&self) -> bool {
        self.update.is_some()
    }

    /// Reloads the schema if DDL changed it since this cursor last looked.
    ///
    /// The fast path is one atomic load: when the last check found the table's row without
    /// versions (so every session, whatever its snapshot, read the same committed stamp) and
    /// the table's DDL generation has not moved since, no DDL wrote the row in between, and
    /// the stamp this cursor has is still the one `session` sees. The generation is bumped
    /// after a DDL's version is in the store, and loaded here before the row is checked, so
    /// a DDL either shows as a version at the check or moves the generation afterwards;
    /// during the moment between the two, the DDL is still uncommitted in another session.
    /// Otherwise the row is read as `session` sees it (its own uncommitted DDL included,
    /// rolled-back DDL gone), as every call did before.
    #[inline]
    fn refresh(&mut self, session: &Session) -> Result<()> {
        if self.temp.is_some() {
            return Ok(());
        }
        let generation = self.state.ddl_generation.load(Ordering::SeqCst);
        if self.settled_at == Some(generation) {
            return Ok(());
        }
        self.refresh_schema(session, generation)
    }

    /// [`TableCursor::refresh`] once the fast path did not answer: reads the table's row as
    /// `session` sees it. Kept out of line so that the fast path, taken by nearly every call,
    /// inlines into it.
    #[cold]
    #[inline(never)]
    fn refresh_schema(&mut self, session: &Session, generation: u64) -> Result<()> {
        let objid = self.schema.objid;
        let version = self
            .catalog
            .table_version(session, objid)?
            .ok_or(Error::ObjectNotFound)?;
        if version != self.schema.version {
            let schema = self.catalog.schema(session, objid)?;
            self.set_schema(schema)?;
        }
        if self.schema.version == version && self.catalog.table_row_settled(objid) {
            self.settled_at = Some(generation);
        }
        Ok(())
    }

    fn set_schema(&mut self, schema: Arc<TableSchema>) -> Result<()> {
        self.settled_at = None;
        self.secondary = schema
            .secondary
            .iter()
            .map(|i| self.catalog.versioned(i.objid, i.root))
            .collect::<Result<Vec<_>>>()?;
        self.schema = schema;
        self.current = CurrentRow::None;
        // `vc` is replaced below.
        self.pos_in_vc = false;
        if self.index.is_some() && self.current_secondary().is_none() {
            // The current index is gone (its creation rolled back): back to the clustered
            // index, before the first record.
            self.index = None;
            self.vc = self.primary.cursor();
            self.bm = None;
            self.range = None;
            self.set_pos(Position::BeforeFirst);
        } else {
            self.vc = self.index_tree().cursor();
        }
        Ok(())
    }

    fn decode(&self, data: &[u8]) -> Result<Record> {
        Record::decode(data, &self.schema.columns)
    }

    // ---- DDL through the cursor ----

    /// Adds a column (JetAddColumn). Autoincrement and escrow columns need this to be the
    /// only cursor open on the table (JET_errExclusiveTableLockRequired otherwise). The cursor
    /// moves before the first record, as DDL through a cursor does in ESE.
    pub fn add_column(
        &mut self,
        session: &mut Session,
        name: &str,
        spec: &ColumnSpec,
    ) -> Result<(ColumnId, Option<Warning>)> {
        let exclusive = self.state.open_cursors.load(Ordering::SeqCst) == 1;
        let (schema, id, warning) =
            self.catalog
                .add_column(session, self.schema.objid, name, spec, exclusive)?;
        self.set_schema(schema)?;
        self.update = None;
        self.set_pos(Position::BeforeFirst);
        Ok((id, warning))
    }

    /// Deletes a column (JetDeleteColumn): JET_errColumnNotFound, JET_errColumnInUse for a
    /// key column. Stored values stay in records but can no longer be read.
    pub fn delete_column(&mut self, session: &mut Session, name: &str) -> Result<()> {
        let schema = self
            .catalog
            .delete_column(session, self.schema.objid, name)?;
        self.set_schema(schema)?;
        self.update = None;
        self.set_pos(Position::BeforeFirst);
        Ok(())
    }

    /// The JET_COLUMNDEF of the column named `name` (JetGetTableColumnInfo).
    pub fn column_info(&self, name: &str) -> Result<ColumnInfo> {
        self.schema.column_info(name)
    }

    /// The JET_COLUMNDEF of column `id` (JetGetTableColumnInfo with JET_ColInfoByColid).
    pub fn column_info_by_id(&self, id: ColumnId) -> Result<ColumnInfo> {
        self.schema.column_info_by_id(id)
    }

    /// Every column's JET_COLUMNDEF (JetGetTableColumnInfo with JET_ColInfoList).
    pub fn columns(&self) -> Vec<ColumnInfo> {
        self.schema.columns_info()
    }

    // ---- updates ----

    /// Prepares, or cancels, an update (JetPrepareUpdate).
    ///
    /// Insert starts from the table's default record and takes the next autoincrement value;
    /// InsertCopy starts from the current record (with a new autoincrement value); Replace
    /// takes the write lock now inside a transaction (JET_errWriteConflict) and becomes
    /// ReplaceNoLock at level 0, which checks at JetUpdate that the record did not change.
    /// Errors: JET_errAlreadyPrepared, JET_errUpdateNotPrepared (Cancel with nothing
    /// prepared), JET_errNoCurrentRecord / RecordDeleted for replaces and copies.
    pub fn prepare_update(&mut self, session: &mut Session, prep: Prep) -> Result<()> {
        self.temp_before_prepare(prep)?;
        if prep == Prep::Cancel {
            return match self.update.take() {
                Some(u) => self.free_created(session, &u),
                None => Err(Error::UpdateNotPrepared),
            };
        }
        if self.update.is_some() {
            return Err(Error::AlreadyPrepared);
        }
        self.refresh(session)?;
        self.reap_pending_lvs(session)?;
        let update = match prep {
            Prep::Insert => {
                let mut record = match self.recycled.take() {
                    Some(mut r) => {
                        r.reset_insert(&self.schema.columns)?;
                        r
                    }
                    None => Record::new_insert(&self.schema.columns)?,
                };
                self.assign_autoincrement(&mut record)?;
                Update::new(prep, record, None)
            }
            Prep::InsertCopy => {
                let mut record = self.current_record(session)?.clone();
                self.assign_autoincrement(&mut record)?;
                Update::new(prep, record, None)
            }
            Prep::Replace | Prep::ReplaceNoLock => {
                let key = self.current_key(session)?;
                let data = self
                    .primary
                    .get(session, &key)?
                    .ok_or(Error::RecordDeleted)?;
                let record = self.decode(&data)?;
                let prep = if prep == Prep::Replace && session.level() > 0 {
                    self.primary.get_lock(session, &key, LockKind::Write)?;
                    Prep::Replace
                } else {
                    Prep::ReplaceNoLock
                };
                Update::new(prep, record, Some((key, data)))
            }
            Prep::Cancel => return Err(Error::UpdateNotPrepared),
        };
        self.update = Some(update);
        Ok(())
    }

    fn assign_autoincrement(&self, record: &mut Record) -> Result<()> {
        let Some(col) = self.schema.autoincrement_column().cloned() else {
            return Ok(());
        };
        let mut next = self.state.next_autoinc.lock();
        let value = match *next {
            Some(v) => v,
            None => self.scan_autoincrement(col.id, col.coltyp)? + 1,
        };
        let bytes = match col.coltyp {
            ColumnType::Long => i32::try_from(value)
                .map_err(|_| Error::OutOfAutoincrementValues)?
                .to_le_bytes()
                .to_vec(),
            ColumnType::LongLong | ColumnType::Currency => i64::try_from(value)
                .map_err(|_| Error::OutOfAutoincrementValues)?
                .to_le_bytes()
                .to_vec(),
            _ => value.to_le_bytes().to_vec(),
        };
        *next = Some(
            value
                .checked_add(1)
                .ok_or(Error::OutOfAutoincrementValues)?,
        );
        record.set(&self.schema.columns, col.id, 1, &bytes, SetGrbit::NONE)?;
        Ok(())
    }

    /// The largest autoincrement value stored in any record (0 if none): ESE's scan on a
    /// table's first use. Reads the tree itself, uncommitted records included, so that no
    /// value in flight is handed out again.
    fn scan_autoincrement(&self, id: ColumnId, coltyp: ColumnType) -> Result<u64> {
        let tree = self.primary.tree();
        let mut cursor = tree.cursor();
        let mut max = 0u64;
        let mut entry = cursor.first()?;
        while let Some(e) = entry {
            let record = self.decode(&e.data)?;
            if let Some(ValueRef::Intrinsic(v)) =
                record.retrieve(&self.schema.columns, id, 1, RetrieveGrbit::NONE)?
            {
                let n = match coltyp {
                    ColumnType::Long => v
                        .try_into()
                        .map(|b: [u8; 4]| i32::from_le_bytes(b).max(0) as u64)
                        .unwrap_or(0),
                    _ => v
                        .try_into()
                        .map(|b: [u8; 8]| {
                            if coltyp == ColumnType::UnsignedLongLong {
                                u64::from_le_bytes(b)
                            } else {
                                i64::from_le_bytes(b).max(0) as u64
                            }
                        })
                        .unwrap_or(0),
                };
                max = max.max(n);
            }
            entry = cursor.move_next()?;
        }
        Ok(max)
    }

    fn next_dbk(&self) -> Result<Vec<u8>> {
        let mut next = self.state.next_dbk.lock();
        let value = match *next {
            Some(v) => v,
            None => {
                let tree = self.primary.tree();
                let mut cursor = tree.cursor();
                match cursor.last()? {
                    Some(e) => {
                        let b: [u8; DBK_BYTES] = e
                            .key
                            .as_slice()
                            .try_into()
                            .map_err(|_| Error::Corrupt("a sequential key is not 4 bytes"))?;
                        u64::from(u32::from_be_bytes(b)) + 1
                    }
                    None => 1,
                }
            }
        };
        let dbk = u32::try_from(value).map_err(|_| Error::OutOfSequentialIndexValues)?;
        *next = Some(value + 1);
        Ok(dbk.to_be_bytes().to_vec())
    }

    /// Sets one value in the copy buffer (JetSetColumn) without a session: a long value set
    /// here stays in the record (use [`TableCursor::set_column_ex`] for long values);
    /// `itag_sequence` is JET_SETINFO's (1 when none is given; 0 appends to a tagged
    /// column). Errors: JET_errUpdateNotPrepared,
    /// JET_errColumnNotFound / BadColumnId, JET_errInvalidColumnType for an autoincrement
    /// column or a version column in a replace, and every value rule of [`Record::set`].
    pub fn set_column(
        &mut self,
        id: ColumnId,
        data: &[u8],
        grbit: SetGrbit,
        itag_sequence: u32,
    ) -> Result<Option<Warning>> {
        let col = self.schema.column(id)?;
        Self::set_copy_value(
            self.update.as_mut(),
            &self.schema,
            col,
            data,
            grbit,
            itag_sequence,
        )
    }

    /// [`TableCursor::set_column`] of `col`, a live column of `schema`, into the prepared
    /// `update` (the cursor's fields, passed apart so that `col` may borrow the schema).
    pub(crate) fn set_copy_value(
        update: Option<&mut Update>,
        schema: &TableSchema,
        col: &ColumnDef,
        data: &[u8],
        grbit: SetGrbit,
        itag_sequence: u32,
    ) -> Result<Option<Warning>> {
        let update = update.ok_or(Error::UpdateNotPrepared)?;
        let replacing = matches!(update.prep, Prep::Replace | Prep::ReplaceNoLock);
        if col.has(ColumnGrbit::AUTOINCREMENT) || (replacing && col.has(ColumnGrbit::VERSION)) {
            return Err(Error::InvalidColumnType);
        }
        if col.has(ColumnGrbit::ESCROW_UPDATE) && data.is_empty() {
            // An escrow counter is never NULL: its bytes are the field deltas are added to.
            return Err(Error::NullInvalid);
        }
        update
            .record
            .set_column(&schema.columns, col, itag_sequence, data, grbit)
    }

    /// Reads one value (JetRetrieveColumn): from the copy buffer with
    /// [`RetrieveGrbit::COPY`] when an update is prepared, else from the current record.
    /// `None` is NULL. Errors: JET_errNoCurrentRecord, JET_errRecordDeleted,
    /// JET_errColumnNotFound, JET_errBadItagSequence.
    pub fn retrieve_column(
        &mut self,
        session: &Session,
        id: ColumnId,
        itag_sequence: u32,
        grbit: RetrieveGrbit,
    ) -> Result<Option<Vec<u8>>> {
        self.retrieve_value(session, id, itag_sequence, grbit)
    }

    /// JetRetrieveColumn into a caller's buffer: returns the value's full size (cbActual) and
    /// JET_wrnColumnNull (size 0) or JET_wrnBufferTruncated when it did not fit.
    pub fn retrieve_column_into(
        &mut self,
        session: &Session,
        id: ColumnId,
        itag_sequence: u32,
        grbit: RetrieveGrbit,
        buf: &mut [u8],
    ) -> Result<(usize, Option<Warning>)> {
        match self.retrieve_column(session, id, itag_sequence, grbit)? {
            None => Ok((0, Some(Warning::ColumnNull))),
            Some(v) => {
                let n = v.len().min(buf.len());
                buf[..n].copy_from_slice(&v[..n]);
                let warning = (v.len() > buf.len()).then_some(Warning::BufferTruncated);
                Ok((v.len(), warning))
            }
        }
    }

    /// The primary key a record would have, built in `buf` when it can be (a buffer kept
    /// from an earlier key saves the allocation).
    fn primary_key(&self, record: &Record, buf: Vec<u8>) -> Result<Option<Vec<u8>>> {
        let Some(p) = &self.schema.primary else {
            return Ok(None);
        };
        if let Some(key) = self.single_primary_key(record, p, buf)? {
            return Ok(Some(key));
        }
        let values = record.key_values(&self.schema.columns, &p.layout)?;
        let keys = index_entries(&p.layout, p.grbit, &values)?;
        match keys.as_slice() {
            [k] => Ok(Some(k.bytes.clone())),
            _ => Err(Error::Corrupt("a primary index made other than one key")),
        }
    }

    /// The primary key of `record` built from values read in place, when its key columns
    /// can make one combination only (no multi-valued column, no tuples): `None` means the
    /// general path of [`index_entries`] must decide.
    fn single_primary_key(
        &self,
        record: &Record,
        p: &IndexSchema,
        buf: Vec<u8>,
    ) -> Result<Option<Vec<u8>>> {
        const MOST: usize = 16;
        let columns = &self.schema.columns;
        if p.layout.columns.len() > MOST
            || p.grbit.intersects(
                IndexGrbit::TUPLES | IndexGrbit::TUPLE_LIMITS | IndexGrbit::NESTED_TABLE,
            )
        {
            return Ok(None);
        }
        let mut values = [SegmentData::Null; MOST];
        for (slot, key_col) in values.iter_mut().zip(&p.layout.columns) {
            let col = columns.get(key_col.id)?;
            if col.class() == ColumnClass::Tagged && col.has(ColumnGrbit::MULTI_VALUED) {
                return Ok(None);
            }
            *slot = match record.retrieve(columns, col.id, 1, RetrieveGrbit::NONE)? {
                None => SegmentData::Null,
                Some(v) => crate::record::key_segment(v)?,
            };
        }
        let values = &values[..p.layout.columns.len()];
        match crate::index::single_entry_in(&p.layout, p.grbit, values, buf)? {
            Some(k) => Ok(Some(k.bytes)),
            None => Err(Error::Corrupt("a primary index made other than one key")),
        }
    }

    /// Applies the prepared update (JetUpdate) and returns the record's bookmark. Checks
    /// NOT NULL columns (JET_errNullInvalid), unique keys (JET_errKeyDuplicate), a changed
    /// primary key in a replace (JET_errRecordPrimaryChanged), and for ReplaceNoLock that
    /// the record is unchanged (JET_errWriteConflict). A failed update changes nothing and
    /// stays prepared. An insert leaves the cursor where it was; a replace leaves it on the
    /// record.
    pub fn update(&mut self, session: &mut Session) -> Result<Vec<u8>> {
        self.update_keyed(session, Vec::new(), None)
    }

    /// JetUpdate with the caller's bookmark buffer (pvBookmark and cbBookmark; `None` is a
    /// NULL pvBookmark): as [`TableCursor::update`], with the bookmark copied into
    /// `bookmark`, and returns its full size (cbActual). An insert whose bookmark does not
    /// fit fails with JET_errBufferTooSmall before it inserts anything; a replace copies as
    /// much as fits. The bookmark is built in a buffer the cursor keeps, so an update asks
    /// the allocator for nothing.
    pub fn update_to(
        &mut self,
        session: &mut Session,
        bookmark: Option<&mut [u8]>,
    ) -> Result<usize> {
        let key_buf = std::mem::take(&mut self.key_buf);
        let room = bookmark.as_ref().map(|b| b.len());
        let key = self.update_keyed(session, key_buf, room)?;
        if let Some(out) = bookmark {
            let n = key.len().min(out.len());
            out[..n].copy_from_slice(&key[..n]);
        }
        let len = key.len();
        self.key_buf = key;
        Ok(len)
    }

    /// [`TableCursor::update`] with the primary key built in `key_buf` and the bookmark
    /// room of [`TableCursor::update_to`].
    fn update_keyed(
        &mut self,
        session: &mut Session,
        key_buf: Vec<u8>,
        bookmark_room: Option<usize>,
    ) -> Result<Vec<u8>> {
        // The update is applied where it is, and taken only once it succeeded: a failed
        // update stays prepared, unchanged.
        let mut encoded = std::mem::take(&mut self.encoded);
        let applied = match &self.update {
            Some(update) => {
                self.apply_update(session, update, &mut encoded, key_buf, bookmark_room)
            }
            None => Err(Error::UpdateNotPrepared),
        };
        self.encoded = encoded;
        let (key, versioned) = applied?;
        let Some(update) = self.update.take() else {
            return Err(Error::UpdateNotPrepared);
        };
        if update.original.is_some() {
            let record = versioned.unwrap_or(update.record);
            self.after_replace(session, &key, record);
        } else {
            self.recycled = Some(update.record);
        }
        Ok(key)
    }

    /// JetUpdate's work for [`TableCursor::update`]: returns the bookmark, and the record as
    /// stored when the version column made it differ from the copy buffer.
    fn apply_update(
        &self,
        session: &mut Session,
        update: &Update,
        buf: &mut Vec<u8>,
        key_buf: Vec<u8>,
        bookmark_room: Option<usize>,
    ) -> Result<(Vec<u8>, Option<Record>)> {
        let schema = self.schema.clone();
        for col in schema.live_columns_having(ColumnGrbit::NOT_NULL) {
            if !col.has(ColumnGrbit::AUTOINCREMENT)
                && update
                    .record
                    .retrieve(&schema.columns, col.id, 1, RetrieveGrbit::NONE)?
                    .is_none()
            {
                return Err(Error::NullInvalid);
            }
        }
        let mut versioned = None;
        if let Some(vcol) = schema.version_column() {
            let stored = update
                .record
                .retrieve(&schema.columns, vcol.id, 1, RetrieveGrbit::NONE)?
                .and_then(|v| match v {
                    ValueRef::Intrinsic(b) => b.try_into().ok().map(i32::from_le_bytes),
                    ValueRef::Separated(_) => None,
                });
            let value = match (update.prep, stored) {
                (Prep::Replace | Prep::ReplaceNoLock, Some(v)) => Some(v.wrapping_add(1)),
                (Prep::Replace | Prep::ReplaceNoLock, None) => Some(1),
                (_, None) => Some(0),
                (_, Some(_)) => None,
            };
            if let Some(v) = value {
                let mut record = update.record.clone();
                record.set(
                    &schema.columns,
                    vcol.id,
                    1,
                    &v.to_le_bytes(),
                    SetGrbit::NONE,
                )?;
                versioned = Some(record);
            }
        }
        let record = versioned.as_ref().unwrap_or(&update.record);
        // Encoded into the cursor's buffer, which goes back to it once the update is applied.
        record.encode_into(buf);
        let data = std::mem::take(buf);
        let computed = self.primary_key(record, key_buf)?;
        let catalog = self.catalog.clone();
        let key = match &update.original {
            Some((orig_key, orig_data)) => {
                if computed.as_ref().is_some_and(|k| k != orig_key) {
                    return Err(Error::RecordPrimaryChanged);
                }
                let key = orig_key.clone();
                let old = self.decode(orig_data)?;
                let check_unchanged = update.prep == Prep::ReplaceNoLock;
                let settled = catalog.atomically(session, |session| {
                    let now = self
                        .primary
                        .get(session, &key)?
                        .ok_or(Error::RecordDeleted)?;
                    if check_unchanged && &now != orig_data {
                        return Err(Error::WriteConflict);
                    }
                    self.primary.replace(session, &key, &data)?;
                    crate::maintain::apply_record_change(
                        &self.schema,
                        &self.secondary,
                        session,
                        &key,
                        Some(&old),
                        Some(record),
                    )?;
                    self.settle_lvs(session, update, Some(&old), record)
                })?;
                self.unlist_pending(&settled);
                key
            }
            None => {
                let key = match computed {
                    Some(k) => k,
                    None => self.next_dbk()?,
                };
                if bookmark_room.is_some_and(|room| key.len() > room) {
                    // Checked before the insert, which then does not happen.
                    return Err(Error::BufferTooSmall);
                }
                let settled = catalog
                    .atomically(session, |session| {
                        self.primary.insert(session, &key, &data)?;
                        crate::maintain::apply_record_change(
                            &schema,
                            &self.secondary,
                            session,
                            &key,
                            None,
                            Some(record),
                        )?;
                        self.settle_lvs(session, update, None, record)
                    })
                    .or_else(|e| self.temp_insert_error(e).map(|()| Vec::new()))?;
                self.unlist_pending(&settled);
                key
            }
        };
        *buf = data;
        Ok((key, versioned))
    }

    /// Deletes the current record with its index entries and its long-value references
    /// (JetDelete). A prepared update is cancelled first; the cursor stays on the deleted
    /// record (reads give JET_errRecordDeleted, moves continue from it).
    pub fn delete(&mut self, session: &mut Session) -> Result<()> {
        self.temp_before_delete()?;
        if let Some(u) = self.update.take() {
            self.free_created(session, &u)?;
        }
        self.refresh(session)?;
        self.reap_pending_lvs(session)?;
        let key = self.current_key(session)?;
        // Where the cursor found its entry: the record (or index entry) is read and changed
        // there without a descent while that leaf still holds it.
        let hint = self.vc.node_hint();
        let catalog = self.catalog.clone();
        catalog.atomically(session, |session| {
            self.delete_record_at(session, &key, hint.as_ref())
        })?;
        self.after_delete(&key);
        Ok(())
    }
}

/// The keys of the entries `record` makes in secondary index `idx`
/// ([`crate::maintain::entry_keys`]).
fn index_keys(
    schema: &TableSchema,
    idx: &IndexSchema,
    record: &Record,
    bookmark: &[u8],
) -> Result<Vec<Vec<u8>>> {
    crate::maintain::entry_keys(schema, idx, record, bookmark)
}

#[cfg(test)]
mod tests;
