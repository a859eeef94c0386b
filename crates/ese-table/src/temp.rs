//! Temporary tables (JetOpenTempTable, JetOpenTemporaryTable; reference 14 §1–3).
//!
//! # Storage: a B-tree of the same database, outside the catalog
//!
//! A temporary table is an ordinary table tree (and, for a forward-only sort that keeps
//! duplicates, one secondary index tree) created in the database the catalog belongs to,
//! with fresh object ids that no catalog row names. Its schema lives only in its cursors.
//! So every temporary table has a full cursor underneath, and its changes are versioned like
//! any table's (JET_paramEnableTempTableVersioning's default): rollback undoes them. What
//! ESE's two strategies (an in-memory sort, a materialized B-tree) change for the caller is
//! kept as *rules* over that tree:
//!
//! ```text
//!   materialized     at open: no key column, or ForceMaterialization (= ErrorOnDuplicate-
//!                    Insertion, the same bit 0x20); at the end of the insert phase: Updatable
//!   sort             otherwise; the insert phase ends at the first JetMove or JetSeek
//!   duplicates       (equal keys) a sort drops them silently (the first row inserted stays);
//!                    a materialized table refuses them with JET_errKeyDuplicate; ForwardOnly
//!                    without Unique keeps them, in insertion order
//!   insert phase     JetPrepareUpdate(insert), JetSetColumn, JetUpdate, JetMakeKey,
//!                    JetRetrieveKey, JetMove / JetSeek (which end it)
//!   sort, extract    moves forward (backward and MoveLast only with Scrollable), JetSeek and
//!                    ranges with Indexed, reads, bookmarks, JetDupCursor (not ForwardOnly)
//!   materialized     additionally replaces, deletes and more inserts
//!   never            DDL, JetSetCurrentIndex, positions and counts, secondary bookmarks
//! ```
//!
//! Everything refused is JET_errIllegalOperation (-1312). After the insert phase the cursor
//! is before the first row, so the first JetMove(JET_MoveNext) lands on the first row.
//!
//! Known limits: the trees' pages are not freed when the last cursor closes (the B-tree layer
//! frees no trees), nor when the transaction that opened the table rolls back; they stay
//! allocated in the database. Their object ids are not recorded, so after the catalog is
//! opened again they may be handed out again (to trees on other pages).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ese_btree::BTree;
use ese_core::JetErr;
use ese_core::limits::KEY_MOST_LEGACY_BYTES;
use ese_pageio::PageFlags;

use crate::catalog::{Catalog, IndexCreate, TableState};
use crate::coltyp::{ColumnGrbit, ColumnId, ColumnSpec};
use crate::cursor::nav::jet;
use crate::cursor::{MOVE_FIRST, MOVE_LAST, Prep, TableCursor};
use crate::error::{Error, Result};
use crate::index::IndexGrbit;

/// Temporary-table grbits (`JET_bitTT…`, ESE's values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TempGrbit(pub u32);

impl TempGrbit {
    /// No flags: a forward-only, read-only sorted result without duplicates.
    pub const NONE: TempGrbit = TempGrbit(0);
    /// JET_bitTTIndexed (0x1): JetSeek is allowed.
    pub const INDEXED: TempGrbit = TempGrbit(0x1);
    /// JET_bitTTUnique (0x2): duplicate keys are removed.
    pub const UNIQUE: TempGrbit = TempGrbit(0x2);
    /// JET_bitTTUpdatable (0x4): replaces and deletes after the insert phase.
    pub const UPDATABLE: TempGrbit = TempGrbit(0x4);
    /// JET_bitTTScrollable (0x8): backward moves.
    pub const SCROLLABLE: TempGrbit = TempGrbit(0x8);
    /// JET_bitTTSortNullsHigh (0x10).
    pub const SORT_NULLS_HIGH: TempGrbit = TempGrbit(0x10);
    /// JET_bitTTForceMaterialization (0x20).
    pub const FORCE_MATERIALIZATION: TempGrbit = TempGrbit(0x20);
    /// JET_bitTTErrorOnDuplicateInsertion (0x20, the same bit).
    pub const ERROR_ON_DUPLICATE_INSERTION: TempGrbit = TempGrbit(0x20);
    /// JET_bitTTForwardOnly (0x40).
    pub const FORWARD_ONLY: TempGrbit = TempGrbit(0x40);
    /// JET_bitTTIntrinsicLVsOnly (0x80).
    pub const INTRINSIC_LVS_ONLY: TempGrbit = TempGrbit(0x80);
    /// JET_bitTTDotNetGuid (0x100).
    pub const DOT_NET_GUID: TempGrbit = TempGrbit(0x100);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: TempGrbit) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    pub const fn intersects(self, other: TempGrbit) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for TempGrbit {
    type Output = TempGrbit;
    fn bitor(self, rhs: TempGrbit) -> TempGrbit {
        TempGrbit(self.0 | rhs.0)
    }
}

/// JET_OPENTEMPORARYTABLE's inputs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TempTableCreate {
    /// prgcolumndef: key columns carry [`ColumnGrbit::TT_KEY`] (and
    /// [`ColumnGrbit::TT_DESCENDING`]), in key order; only Fixed and Tagged of the other
    /// options are honoured, defaults are ignored.
    pub columns: Vec<ColumnSpec>,
    /// grbit.
    pub grbit: TempGrbit,
    /// cbKeyMost (0 or 255: legacy 255-byte keys).
    pub key_most_bytes: usize,
    /// cbVarSegMac (0: none).
    pub var_seg_mac: usize,
}

/// What every cursor on one temporary table shares.
#[derive(Debug)]
pub(crate) struct TempShared {
    grbit: TempGrbit,
    /// Whether the insert phase is over.
    extracting: AtomicBool,
    /// Whether the table behaves as a materialized B-tree.
    materialized: AtomicBool,
}

impl TempShared {
    fn end_insert_phase(&self) {
        if !self.extracting.swap(true, Ordering::SeqCst)
            && self.grbit.contains(TempGrbit::UPDATABLE)
        {
            self.materialized.store(true, Ordering::SeqCst);
        }
    }

    fn materialized(&self) -> bool {
        self.materialized.load(Ordering::SeqCst)
    }

    fn extracting(&self) -> bool {
        self.extracting.load(Ordering::SeqCst)
    }
}

fn illegal(message: &str) -> Error {
    jet(JetErr::ILLEGAL_OPERATION, message)
}

impl Catalog {
    /// Opens a temporary table (JetOpenTemporaryTable; JetOpenTempTable* with the defaults)
    /// and returns its cursor with one column id per input column, in order.
    ///
    /// Errors: JET_errCannotMaterializeForwardOnlySort (ForwardOnly with Indexed, Updatable,
    /// Scrollable or ForceMaterialization, or without a key column); every JetAddColumn error
    /// of a column; JET_errIndexInvalidDef for more than 16 key columns or a bad cbKeyMost.
    pub fn open_temp_table(
        self: &Arc<Self>,
        create: &TempTableCreate,
    ) -> Result<(TableCursor, Vec<ColumnId>)> {
        let g = create.grbit;
        let mut columns = Vec::with_capacity(create.columns.len());
        let mut key = Vec::new();
        for (i, c) in create.columns.iter().enumerate() {
            if c.grbit.contains(ColumnGrbit::TT_KEY) {
                key.push(if c.grbit.contains(ColumnGrbit::TT_DESCENDING) {
                    b'-'
                } else {
                    b'+'
                });
                key.extend_from_slice(format!("c{i}").as_bytes());
                key.push(0);
            }
            let kept = c.grbit.0 & (ColumnGrbit::FIXED.0 | ColumnGrbit::TAGGED.0);
            columns.push(ColumnSpec {
                grbit: ColumnGrbit(kept),
                default: Vec::new(),
                ..c.clone()
            });
        }
        let keyed = !key.is_empty();
        let materialize_at_open = !keyed || g.contains(TempGrbit::FORCE_MATERIALIZATION);
        if g.contains(TempGrbit::FORWARD_ONLY)
            && (materialize_at_open
                || g.intersects(TempGrbit::INDEXED | TempGrbit::UPDATABLE | TempGrbit::SCROLLABLE))
        {
            return Err(jet(
                JetErr::CANNOT_MATERIALIZE_FORWARD_ONLY_SORT,
                "a forward-only sort cannot be materialized",
            ));
        }
        // A forward-only sort that keeps duplicates: records in insertion order, navigated
        // through a non-unique index. Otherwise the key columns are the primary key.
        let keep_duplicates = g.contains(TempGrbit::FORWARD_ONLY) && !g.contains(TempGrbit::UNIQUE);
        let index = keyed.then(|| {
            key.push(0);
            let mut grbit = if keep_duplicates {
                IndexGrbit::NONE
            } else {
                IndexGrbit::PRIMARY
            };
            if g.contains(TempGrbit::SORT_NULLS_HIGH) {
                grbit = grbit | IndexGrbit::SORT_NULLS_HIGH;
            }
            if g.contains(TempGrbit::DOT_NET_GUID) {
                grbit = grbit | IndexGrbit::DOT_NET_GUID;
            }
            if create.key_most_bytes > KEY_MOST_LEGACY_BYTES {
                grbit = grbit | IndexGrbit::KEY_MOST;
            }
            IndexCreate {
                key_most_bytes: create.key_most_bytes,
                var_seg_mac: create.var_seg_mac,
                ..IndexCreate::new("TempKey", &key, grbit)
            }
        });
        let db = self.database().clone();
        let objid = self.new_objid()?;
        let table = BTree::create(&db, objid, PageFlags::NONE)?;
        self.trees().register(&table);
        let index_tree = match &index {
            Some(create) if !create.grbit.contains(IndexGrbit::PRIMARY) => {
                let objid = self.new_objid()?;
                let flags = PageFlags::INDEX.union(PageFlags::NON_UNIQUE_KEYS);
                let tree = BTree::create(&db, objid, flags)?;
                self.trees().register(&tree);
                Some((objid, tree.root()))
            }
            _ => None,
        };
        let schema = self.temp_schema(
            objid,
            table.root(),
            &columns,
            index.as_ref().map(|i| {
                let (o, r) = index_tree.unwrap_or((objid, table.root()));
                (i, o, r)
            }),
        )?;
        let ids = (0..columns.len())
            .map(|i| schema.column_id(&format!("c{i}")))
            .collect::<Result<Vec<_>>>()?;
        let secondary = index_tree.map(|(o, _)| o);
        let schema = Arc::new(schema);
        let mut cursor = TableCursor::new(self.clone(), schema, Arc::new(TableState::fresh()))?;
        let shared = TempShared {
            grbit: g,
            extracting: AtomicBool::new(false),
            materialized: AtomicBool::new(materialize_at_open),
        };
        cursor.make_temp(Arc::new(shared), secondary);
        Ok((cursor, ids))
    }
}

impl TableCursor {
    /// Whether this cursor is on a temporary table.
    pub fn is_temp(&self) -> bool {
        self.temp.is_some()
    }

    /// JET_errIllegalOperation on a temporary table (calls ESE never supports on one).
    pub(crate) fn temp_forbid(&self, _call: &str) -> Result<()> {
        match self.temp {
            Some(_) => Err(illegal("not supported on a temporary table")),
            None => Ok(()),
        }
    }

    /// JetMove's rules on a temporary table: ends the insert phase; a sort that is not
    /// Scrollable moves only forward (MoveFirst included).
    pub(crate) fn temp_before_move(&self, rows: i32) -> Result<()> {
        let Some(t) = &self.temp else {
            return Ok(());
        };
        t.end_insert_phase();
        let backward = rows == MOVE_LAST || (rows < 0 && rows != MOVE_FIRST);
        if backward && !t.materialized() && !t.grbit.contains(TempGrbit::SCROLLABLE) {
            return Err(illegal("a forward-only sort cannot move backward"));
        }
        Ok(())
    }

    /// JetSeek's rules on a temporary table: ends the insert phase; needs Indexed (or a
    /// materialized table).
    pub(crate) fn temp_before_seek(&self) -> Result<()> {
        let Some(t) = &self.temp else {
            return Ok(());
        };
        t.end_insert_phase();
        if !t.materialized() && !t.grbit.contains(TempGrbit::INDEXED) {
            return Err(illegal("JetSeek needs JET_bitTTIndexed"));
        }
        Ok(())
    }

    /// JetPrepareUpdate's rules on a temporary table: only inserts in the insert phase,
    /// everything once materialized, nothing on a sort being read.
    pub(crate) fn temp_before_prepare(&self, prep: Prep) -> Result<()> {
        let Some(t) = &self.temp else {
            return Ok(());
        };
        if prep == Prep::Cancel || t.materialized() {
            return Ok(());
        }
        if !t.extracting() && prep == Prep::Insert {
            return Ok(());
        }
        Err(illegal("the sort cannot be updated"))
    }

    /// JetDelete's rules on a temporary table: materialized ones only.
    pub(crate) fn temp_before_delete(&self) -> Result<()> {
        match &self.temp {
            Some(t) if !t.materialized() => Err(illegal("the sort cannot be updated")),
            _ => Ok(()),
        }
    }

    /// What an insert's error becomes on a temporary table: a sort drops a duplicate
    /// silently (`Ok`), anything else stays an error.
    pub(crate) fn temp_insert_error(&self, e: Error) -> Result<()> {
        match &self.temp {
            Some(t) if e == Error::KeyDuplicate && !t.materialized() => Ok(()),
            _ => Err(e),
        }
    }

    /// JetDupCursor's rule on a temporary table: not on a forward-only sort, nor in the
    /// insert phase of a sort.
    pub(crate) fn temp_before_dup(&self) -> Result<()> {
        match &self.temp {
            Some(t)
                if t.grbit.contains(TempGrbit::FORWARD_ONLY)
                    || (!t.materialized() && !t.extracting()) =>
            {
                Err(illegal("the sort cannot be duplicated now"))
            }
            _ => Ok(()),
        }
    }
}
