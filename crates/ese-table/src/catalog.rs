//! The catalog: ESE's MSysObjects, one B-tree of rows describing every table, column and
//! index, changed transactionally like any other tree.
//!
//! # Where it lives
//!
//! The catalog is the first tree of a new database: object id [`CATALOG_OBJID`] (ESE's
//! MSysObjects has objid 2 as well) rooted at [`CATALOG_ROOT`], the first page the space map
//! hands out. [`Catalog::create`] checks that it got that page; [`Catalog::open`] opens it
//! there, so nothing else needs recording in the header.
//!
//! # Rows
//!
//! Keys follow ESE's two catalog indexes (reference 20 §9.1):
//!
//! ```text
//! row:        'R' | ObjidTable u32 BE | Type u16 BE | Id u32 BE      (MSysObjects' primary key)
//! table name: 'T' | folded name                  -> Id (objid) u32 LE   (RootObjects index)
//! sub-name:   'N' | ObjidTable u32 BE | Type u16 BE | folded name -> Id u32 LE  (Name index)
//! ```
//!
//! Folded names are the name with trailing spaces removed and ASCII letters upper-cased, so
//! names compare case-insensitively as ESE's `_stricmp` does, and uniqueness of names is
//! the B-tree's unique keys (a duplicate is JET_errTableDuplicate / ColumnDuplicate /
//! IndexDuplicate). A row's data carries ESE's fields under their names:
//!
//! ```text
//! u8  format (1)
//! u32 ColtypOrPgnoFDP   column: JET_coltyp;  table/index: root page
//! u32 SpaceUsage        column: cbMax;       table/index: density
//! u32 Flags             column: JET_bitColumn*; index: JET_bitIndex*; table: create grbit
//! u32 PagesOrLocale     column: code page;   table: initial pages; index: LCID (0)
//! u8  RootFlag          1 on table rows
//! u8  state             0 live, 1 deleted column (kept so old records still decode)
//! u16 KeyMost           index: cbKeyMost
//! u16 VarSegMac         index: cbVarSegMac
//! u64 Version           table: stamp of its last DDL (below)
//! u16 + bytes  Name
//! u32 + bytes  DefaultValue
//! u16 + bytes  KeyFldIDs  4 bytes per key column: flags (0x01 descending), 0, u16 LE column id
//! ```
//!
//! # DDL and the schema cache
//!
//! Every DDL runs in a save point (an implicit transaction at level 0) and writes catalog
//! rows through the version store, so a rollback removes it and recovery replays or undoes it
//! like any record. Every DDL on a table also replaces the table's row with a fresh
//! **Version stamp**, unique in the process; so two sessions' DDL on one table conflict
//! (JET_errWriteConflict), and a cursor notices DDL by re-reading one row.
//!
//! The decoded [`TableSchema`] is cached per table, under one rule: a schema enters (and is
//! served from) the cache only while the table's row has **no versions** in the version
//! store — when every session sees the same committed row. While DDL is uncommitted, or
//! committed but still visible differently to older snapshots, every open reads the rows
//! through the session's own view. Nothing rolled back can therefore be served from memory.
//!
//! # Cursors and DDL
//!
//! Each table's shared state carries a **DDL generation**, bumped right after every write of
//! the table's row (a DDL's restamp, the table's creation or deletion), once that write's
//! version is in the version store. A cursor remembers the generation at its last check that
//! found the row without versions and carrying the cursor's stamp; while the generation is
//! unchanged no DDL wrote the row since, so its calls skip the catalog entirely. Commit,
//! rollback and cleanup need no hook: a cursor records a generation only when the row has no
//! versions, and from a DDL's write until its versions are cleaned up (or rolled back) the
//! row has one, so every cursor reads it through its session's view meanwhile. The
//! generation lives in this catalog's memory, like the schema cache: one catalog per attached
//! database.
//!
//! Known limits: the B-trees of a table created in a rolled-back transaction, or of a deleted
//! table, are not freed (the B-tree layer has no tree drop yet); their pages stay allocated.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use ese_btree::db::{FIRST_DATA_PGNO, FIRST_TREE_OBJID};
use ese_btree::{BTree, Database, SeekOp};
use ese_core::Pgno;
use ese_core::limits::{
    DENSITY_DEFAULT_PERCENT, DENSITY_PERCENT, NAME_MOST_BYTES, record_most_bytes,
};
use ese_pageio::PageFlags;
use ese_txn::{CommitMode, Session, Trees, VersionStore, VersionedTree};
use parking_lot::Mutex;

use crate::coltyp::{ColumnDef, ColumnGrbit, ColumnId, ColumnSet, ColumnSpec, ColumnType};
use crate::cursor::TableCursor;
use crate::error::{Error, Result, Warning};
use crate::index::{IndexDef, IndexGrbit, KeyColumnName, parse_key_description};
use crate::key::KeyLayout;

/// The catalog's object id (ESE's MSysObjects is objid 2 too).
pub const CATALOG_OBJID: u32 = FIRST_TREE_OBJID;
/// The catalog's root page: the first page a new database hands out.
pub const CATALOG_ROOT: Pgno = Pgno(FIRST_DATA_PGNO);
/// The catalog's name, reserved (JET_errTableDuplicate if a table takes it).
pub const CATALOG_NAME: &str = "MSysObjects";

const ROW: u8 = b'R';
const TABLE_NAME: u8 = b'T';
const SUB_NAME: u8 = b'N';
const ROW_FORMAT: u8 = 1;
const STATE_LIVE: u8 = 0;
const STATE_DELETED: u8 = 1;
const KEY_SEG_DESCENDING: u8 = 0x01;
/// The most rows one table may have in the catalog (columns + indexes + the table row),
/// bounding every catalog scan.
const ROWS_PER_TABLE_MAX: usize = 0x1_0000 + 64;

/// MSysObjects' Type column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum ObjectType {
    /// A table (sysobjTable).
    Table = 1,
    /// A column (sysobjColumn).
    Column = 2,
    /// An index (sysobjIndex).
    Index = 3,
    /// A long-value tree (sysobjLongValue).
    LongValue = 4,
}

impl ObjectType {
    fn from_raw(raw: u16) -> Result<ObjectType> {
        Ok(match raw {
            1 => ObjectType::Table,
            2 => ObjectType::Column,
            3 => ObjectType::Index,
            4 => ObjectType::LongValue,
            _ => return Err(Error::Corrupt("unknown catalog object type")),
        })
    }
}

/// One MSysObjects row, with ESE's field names (meanings in the module doc).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogRow {
    /// ObjidTable: the owning table's objid.
    pub objid_table: u32,
    /// Type, raw (see [`ObjectType`]).
    pub obj_type: u16,
    /// Id: table objid, column id or index objid.
    pub id: u32,
    /// ColtypOrPgnoFDP.
    pub coltyp_or_pgno_fdp: u32,
    /// SpaceUsage.
    pub space_usage: u32,
    /// Flags.
    pub flags: u32,
    /// PagesOrLocale.
    pub pages_or_locale: u32,
    /// RootFlag.
    pub root_flag: bool,
    /// Whether the column was deleted (its id stays reserved).
    pub deleted: bool,
    /// KeyMost.
    pub key_most: u16,
    /// VarSegMac.
    pub var_seg_mac: u16,
    /// Version: the stamp of the table's last DDL.
    pub version: u64,
    /// Name.
    pub name: String,
    /// DefaultValue.
    pub default_value: Vec<u8>,
    /// KeyFldIDs.
    pub key_fld_ids: Vec<u8>,
}

impl CatalogRow {
    /// The row's key in the catalog tree.
    pub fn key(&self) -> Vec<u8> {
        row_key(self.objid_table, self.obj_type, self.id)
    }

    /// The row's data (layout in the module doc).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48 + self.name.len() + self.default_value.len());
        out.push(ROW_FORMAT);
        for v in [
            self.coltyp_or_pgno_fdp,
            self.space_usage,
            self.flags,
            self.pages_or_locale,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.push(u8::from(self.root_flag));
        out.push(if self.deleted {
            STATE_DELETED
        } else {
            STATE_LIVE
        });
        out.extend_from_slice(&self.key_most.to_le_bytes());
        out.extend_from_slice(&self.var_seg_mac.to_le_bytes());
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
        out.extend_from_slice(self.name.as_bytes());
        out.extend_from_slice(&(self.default_value.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.default_value);
        out.extend_from_slice(&(self.key_fld_ids.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.key_fld_ids);
        out
    }

    /// Decodes a row from its key and data; malformed bytes are JET_errDatabaseCorrupted.
    pub fn decode(key: &[u8], data: &[u8]) -> Result<CatalogRow> {
        if key.len() != 11 || key[0] != ROW {
            return Err(Error::Corrupt("a catalog row key is malformed"));
        }
        let objid_table = u32::from_be_bytes([key[1], key[2], key[3], key[4]]);
        let obj_type = u16::from_be_bytes([key[5], key[6]]);
        let id = u32::from_be_bytes([key[7], key[8], key[9], key[10]]);
        let mut r = Bytes { b: data, pos: 0 };
        if r.u8()? != ROW_FORMAT {
            return Err(Error::Corrupt("unknown catalog row format"));
        }
        let coltyp_or_pgno_fdp = r.u32()?;
        let space_usage = r.u32()?;
        let flags = r.u32()?;
        let pages_or_locale = r.u32()?;
        let root_flag = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(Error::Corrupt("catalog RootFlag is not 0 or 1")),
        };
        let deleted = match r.u8()? {
            STATE_LIVE => false,
            STATE_DELETED => true,
            _ => return Err(Error::Corrupt("unknown catalog row state")),
        };
        let key_most = r.u16()?;
        let var_seg_mac = r.u16()?;
        let version = r.u64()?;
        let name_len = usize::from(r.u16()?);
        let name = String::from_utf8(r.take(name_len)?.to_vec())
            .map_err(|_| Error::Corrupt("a catalog name is not UTF-8"))?;
        let default_len = r.u32()? as usize;
        let default_value = r.take(default_len)?.to_vec();
        let key_len = usize::from(r.u16()?);
        let key_fld_ids = r.take(key_len)?.to_vec();
        if r.pos != data.len() {
            return Err(Error::Corrupt("trailing bytes after a catalog row"));
        }
        Ok(CatalogRow {
            objid_table,
            obj_type,
            id,
            coltyp_or_pgno_fdp,
            space_usage,
            flags,
            pages_or_locale,
            root_flag,
            deleted,
            key_most,
            var_seg_mac,
            version,
            name,
            default_value,
            key_fld_ids,
        })
    }
}

struct Bytes<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(Error::Corrupt("catalog length overflow"))?;
        let s = self
            .b
            .get(self.pos..end)
            .ok_or(Error::Corrupt("a catalog row ends early"))?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
}

fn row_key(objid_table: u32, obj_type: u16, id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(11);
    k.push(ROW);
    k.extend_from_slice(&objid_table.to_be_bytes());
    k.extend_from_slice(&obj_type.to_be_bytes());
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn rows_prefix(objid_table: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(5);
    k.push(ROW);
    k.extend_from_slice(&objid_table.to_be_bytes());
    k
}

fn table_name_key(folded: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + folded.len());
    k.push(TABLE_NAME);
    k.extend_from_slice(folded);
    k
}

fn sub_name_key(objid_table: u32, obj_type: ObjectType, folded: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(7 + folded.len());
    k.push(SUB_NAME);
    k.extend_from_slice(&objid_table.to_be_bytes());
    k.extend_from_slice(&(obj_type as u16).to_be_bytes());
    k.extend_from_slice(folded);
    k
}

/// Checks an object name as ESE's `ErrUTILICheckName` does (reference 10 §1) and returns it
/// with trailing spaces removed: 1–64 bytes, no leading space, no control characters, none
/// of `! . [ ]`; anything else is JET_errInvalidName.
pub fn check_name(name: &str) -> Result<String> {
    let trimmed = name.trim_end_matches(' ');
    let bytes = trimmed.as_bytes();
    if bytes.is_empty() || bytes.len() > NAME_MOST_BYTES || bytes[0] == b' ' {
        return Err(Error::InvalidName);
    }
    if bytes
        .iter()
        .any(|b| *b < 0x20 || matches!(b, b'!' | b'.' | b'[' | b']'))
    {
        return Err(Error::InvalidName);
    }
    Ok(trimmed.to_string())
}

/// The case-folded form of a checked name that catalog name keys use.
pub fn fold_name(name: &str) -> Vec<u8> {
    name.trim_end_matches(' ')
        .bytes()
        .map(|b| b.to_ascii_uppercase())
        .collect()
}

/// A column of a JET_TABLECREATE (JET_COLUMNCREATE): its name and definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnCreate {
    /// szColumnName.
    pub name: String,
    /// coltyp, cbMax, grbit, cp and the default value.
    pub spec: ColumnSpec,
}

/// An index of a JET_TABLECREATE (JET_INDEXCREATE) or of JetCreateIndex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexCreate {
    /// szIndexName.
    pub name: String,
    /// szKey with its two final NULs (cbKey = its length).
    pub key: Vec<u8>,
    /// grbit.
    pub grbit: IndexGrbit,
    /// ulDensity (0 = 80).
    pub density: u32,
    /// cbKeyMost (with JET_bitIndexKeyMost).
    pub key_most_bytes: usize,
    /// cbVarSegMac (0 = cbKeyMost).
    pub var_seg_mac: usize,
}

impl IndexCreate {
    /// An index named `name` over the key description `key` with `grbit` and default sizes.
    pub fn new(name: &str, key: &[u8], grbit: IndexGrbit) -> IndexCreate {
        IndexCreate {
            name: name.to_string(),
            key: key.to_vec(),
            grbit,
            density: 0,
            key_most_bytes: 0,
            var_seg_mac: 0,
        }
    }
}

/// JET_TABLECREATE's storage-relevant fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableCreate {
    /// szTableName.
    pub name: String,
    /// ulPages (a hint, recorded in PagesOrLocale).
    pub pages: u32,
    /// ulDensity: 0 = 80, else 20–100 (JET_errDensityInvalid).
    pub density: u32,
    /// rgcolumncreate.
    pub columns: Vec<ColumnCreate>,
    /// rgindexcreate.
    pub indexes: Vec<IndexCreate>,
}

impl TableCreate {
    /// A table named `name` with no columns or indexes (JetCreateTable's form).
    pub fn new(name: &str) -> TableCreate {
        TableCreate {
            name: name.to_string(),
            ..TableCreate::default()
        }
    }

    /// Adds a column (builder style).
    pub fn column(mut self, name: &str, spec: ColumnSpec) -> TableCreate {
        self.columns.push(ColumnCreate {
            name: name.to_string(),
            spec,
        });
        self
    }

    /// Adds an index (builder style).
    pub fn index(mut self, index: IndexCreate) -> TableCreate {
        self.indexes.push(index);
        self
    }
}

/// What JetGetTableColumnInfo / JetGetColumnInfo report of one column (JET_COLUMNDEF and
/// JET_COLUMNBASE's fields).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnInfo {
    /// columnid.
    pub id: ColumnId,
    /// The column's name.
    pub name: String,
    /// coltyp.
    pub coltyp: ColumnType,
    /// cbMax.
    pub max_bytes: usize,
    /// cp: 1252 or 1200 for text, 0 otherwise.
    pub code_page: u32,
    /// grbit (with JET_bitColumnUpdatable set for columns the caller may set).
    pub grbit: ColumnGrbit,
    /// The default value.
    pub default: Option<Vec<u8>>,
}

/// One index of a table, as the catalog describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSchema {
    /// The index's name.
    pub name: String,
    /// Its objid (the table's own for the primary index, which shares the table's tree).
    pub objid: u32,
    /// Its root page.
    pub root: Pgno,
    /// Its grbits.
    pub grbit: IndexGrbit,
    /// Its density.
    pub density: u32,
    /// The key columns as named in the key description.
    pub key: Vec<KeyColumnName>,
    /// How its keys are normalized.
    pub layout: KeyLayout,
}

impl IndexSchema {
    /// Whether this is the primary (clustered) index.
    pub fn is_primary(&self) -> bool {
        self.grbit.contains(IndexGrbit::PRIMARY)
    }

    /// Whether keys are unique (primary indexes always are).
    pub fn is_unique(&self) -> bool {
        self.is_primary() || self.grbit.contains(IndexGrbit::UNIQUE)
    }
}

/// A table's schema: its columns (deleted ones kept so old records decode) and indexes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSchema {
    /// The table's name.
    pub name: String,
    /// Its objid (also the objid of its primary tree).
    pub objid: u32,
    /// The root of its primary tree (ESE's pgnoFDP).
    pub root: Pgno,
    /// The stamp of its last DDL (catalog Version).
    pub version: u64,
    /// ulPages.
    pub pages: u32,
    /// ulDensity.
    pub density: u32,
    /// Every column, deleted ones included.
    pub columns: ColumnSet,
    names: BTreeMap<ColumnId, String>,
    deleted: BTreeSet<ColumnId>,
    /// The primary index; `None` means records are keyed by a sequential DBK.
    pub primary: Option<IndexSchema>,
    /// The secondary indexes.
    pub secondary: Vec<IndexSchema>,
    /// The long-value tree (objid and root), made with the first long-value column.
    pub long_values: Option<(u32, Pgno)>,
}

impl TableSchema {
    /// The live column named `name` (case-insensitive); JET_errColumnNotFound otherwise.
    pub fn column_id(&self, name: &str) -> Result<ColumnId> {
        let folded = fold_name(name);
        self.names
            .iter()
            .find(|(_, n)| fold_name(n) == folded)
            .map(|(id, _)| *id)
            .ok_or(Error::ColumnNotFound)
    }

    /// The live column `id`: JET_errBadColumnId outside every range, JET_errColumnNotFound
    /// when absent or deleted.
    #[inline]
    pub fn column(&self, id: ColumnId) -> Result<&ColumnDef> {
        let def = self.columns.get(id)?;
        // Most tables never had a column deleted: the set is then not searched.
        if !self.deleted.is_empty() && self.deleted.contains(&id) {
            return Err(Error::ColumnNotFound);
        }
        Ok(def)
    }

    /// Every live column in id order, with its name.
    pub fn live_columns(&self) -> impl Iterator<Item = (&ColumnDef, &str)> {
        self.columns
            .iter()
            .filter(|c| !self.deleted.contains(&c.id))
            .filter_map(|c| self.names.get(&c.id).map(|n| (c, n.as_str())))
    }

    /// The JET_COLUMNDEF of live column `id`.
    pub fn column_info_by_id(&self, id: ColumnId) -> Result<ColumnInfo> {
        let def = self.column(id)?;
        let name = self.names.get(&id).cloned().unwrap_or_default();
        Ok(info(def, name))
    }

    /// The JET_COLUMNDEF of the live column named `name`.
    pub fn column_info(&self, name: &str) -> Result<ColumnInfo> {
        self.column_info_by_id(self.column_id(name)?)
    }

    /// Every live column's JET_COLUMNDEF, in id order (JET_ColInfoList).
    pub fn columns_info(&self) -> Vec<ColumnInfo> {
        self.live_columns()
            .map(|(c, n)| info(c, n.to_string()))
            .collect()
    }

    /// The index named `name`.
    pub fn index(&self, name: &str) -> Result<&IndexSchema> {
        let folded = fold_name(name);
        self.primary
            .iter()
            .chain(&self.secondary)
            .find(|i| fold_name(&i.name) == folded)
            .ok_or(Error::IndexNotFound)
    }

    /// Whether column `id` is a key column of some index.
    pub fn is_key_column(&self, id: ColumnId) -> bool {
        self.primary
            .iter()
            .chain(&self.secondary)
            .any(|i| i.layout.columns.iter().any(|c| c.id == id))
    }

    /// The autoincrement column, if the table has one.
    pub fn autoincrement_column(&self) -> Option<&ColumnDef> {
        self.live_columns_having(ColumnGrbit::AUTOINCREMENT).next()
    }

    /// The version column, if the table has one.
    pub fn version_column(&self) -> Option<&ColumnDef> {
        self.live_columns_having(ColumnGrbit::VERSION).next()
    }

    /// The live columns with every bit of `grbit`, in id order ([`TableSchema::live_columns`]
    /// filtered, checking liveness only for the columns that have the bits).
    pub(crate) fn live_columns_having(
        &self,
        grbit: ColumnGrbit,
    ) -> impl Iterator<Item = &ColumnDef> {
        // No column to walk when none has the bits.
        let most = if self.columns.may_have(grbit) {
            usize::MAX
        } else {
            0
        };
        self.columns.iter().take(most).filter(move |c| {
            c.has(grbit) && !self.deleted.contains(&c.id) && self.names.contains_key(&c.id)
        })
    }
}

fn info(def: &ColumnDef, name: String) -> ColumnInfo {
    let mut grbit = def.grbit;
    if !def.has(ColumnGrbit::AUTOINCREMENT) {
        grbit = grbit | ColumnGrbit::UPDATABLE;
    }
    ColumnInfo {
        id: def.id,
        name,
        coltyp: def.coltyp,
        max_bytes: def.max_bytes,
        code_page: def.code_page.map_or(0, |c| c.raw()),
        grbit,
        default: def.default.clone(),
    }
}

/// What every cursor on one table shares: the open count, the DDL generation and the
/// counters of sequential keys and autoincrement values (in memory, found again from the data
/// at first load).
#[derive(Debug)]
pub(crate) struct TableState {
    pub(crate) open_cursors: AtomicUsize,
    /// Bumped after every write of the table's catalog row (each DDL's restamp, the table's
    /// creation and deletion), once the write's version is in the version store; cursors
    /// skip re-reading the row while it is unchanged (module doc, "Cursors and DDL").
    pub(crate) ddl_generation: AtomicU64,
    /// The next DBK; `None` until first needed.
    pub(crate) next_dbk: Mutex<Option<u64>>,
    /// The next autoincrement value; `None` until first needed.
    pub(crate) next_autoinc: Mutex<Option<u64>>,
    /// The next long-value id; `None` until first needed.
    pub(crate) next_lid: Arc<Mutex<Option<u64>>>,
    /// Long values created by prepared updates and not yet adopted by a record.
    pub(crate) pending_lvs: Mutex<Vec<crate::cursor::PendingLv>>,
    /// Bookmarks of records whose DeleteOnZero/Finalize escrow column may have reached 0.
    pub(crate) zero_candidates: Mutex<BTreeSet<Vec<u8>>>,
    /// How many cursors have each secondary index (by objid) as their current index
    /// (JetDeleteIndex's JET_errIndexInUse).
    pub(crate) index_users: Mutex<HashMap<u32, usize>>,
}

impl TableState {
    /// The state of a table no cursor has used yet.
    pub(crate) fn fresh() -> TableState {
        TableState {
            open_cursors: AtomicUsize::new(0),
            ddl_generation: AtomicU64::new(0),
            next_dbk: Mutex::new(None),
            next_autoinc: Mutex::new(None),
            next_lid: Arc::new(Mutex::new(None)),
            pending_lvs: Mutex::new(Vec::new()),
            zero_candidates: Mutex::new(BTreeSet::new()),
            index_users: Mutex::new(HashMap::new()),
        }
    }
}

/// The catalog of one database, with the schema cache and the trees' registry.
pub struct Catalog {
    db: Arc<Database>,
    ver: Arc<VersionStore>,
    trees: Arc<Trees>,
    tree: VersionedTree,
    next_objid: AtomicU32,
    next_stamp: AtomicU64,
    commit_mode: Mutex<CommitMode>,
    schemas: Mutex<HashMap<u32, Arc<TableSchema>>>,
    states: Mutex<HashMap<u32, Arc<TableState>>>,
    /// How many times a table row was read for its DDL stamp ([`Catalog::table_version`]).
    version_reads: AtomicU64,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("db", &self.db.id())
            .field("next_objid", &self.next_objid.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// Creates the catalog of a new database: it must be the database's first tree, so that
    /// [`Catalog::open`] finds it at [`CATALOG_ROOT`] (JetCreateDatabase's catalog).
    pub fn create(
        db: &Arc<Database>,
        ver: &Arc<VersionStore>,
        trees: &Arc<Trees>,
    ) -> Result<Arc<Catalog>> {
        let tree = BTree::create(db, CATALOG_OBJID, PageFlags::NONE)?;
        if tree.root() != CATALOG_ROOT {
            return Err(Error::InvalidParameter(
                "the catalog must be the first tree of a new database",
            ));
        }
        Ok(Self::build(db, ver, trees, tree, CATALOG_OBJID + 1, 1))
    }

    /// Opens the catalog of an existing database (at attach, after recovery).
    pub fn open(
        db: &Arc<Database>,
        ver: &Arc<VersionStore>,
        trees: &Arc<Trees>,
    ) -> Result<Arc<Catalog>> {
        let tree = BTree::open(db, CATALOG_OBJID, CATALOG_ROOT)?;
        // The next objid and DDL stamp continue after the largest on disk. Every row is
        // committed or was undone by recovery, so the plain tree is what everyone sees.
        let mut max_objid = CATALOG_OBJID;
        let mut max_stamp = 0u64;
        let mut cursor = tree.cursor();
        let mut entry = cursor.first()?;
        while let Some(e) = entry {
            if e.key.first() == Some(&ROW) {
                let row = CatalogRow::decode(&e.key, &e.data)?;
                let is_tree = matches!(
                    ObjectType::from_raw(row.obj_type)?,
                    ObjectType::Table | ObjectType::Index | ObjectType::LongValue
                );
                if is_tree {
                    max_objid = max_objid.max(row.id);
                }
                max_stamp = max_stamp.max(row.version);
            }
            entry = cursor.move_next()?;
        }
        drop(cursor);
        Ok(Self::build(
            db,
            ver,
            trees,
            tree,
            max_objid + 1,
            max_stamp + 1,
        ))
    }

    fn build(
        db: &Arc<Database>,
        ver: &Arc<VersionStore>,
        trees: &Arc<Trees>,
        tree: BTree,
        next_objid: u32,
        next_stamp: u64,
    ) -> Arc<Catalog> {
        trees.register(&tree);
        Arc::new(Catalog {
            db: db.clone(),
            ver: ver.clone(),
            trees: trees.clone(),
            tree: VersionedTree::new(tree, ver.clone()),
            next_objid: AtomicU32::new(next_objid),
            next_stamp: AtomicU64::new(next_stamp),
            commit_mode: Mutex::new(CommitMode::Durable),
            schemas: Mutex::new(HashMap::new()),
            states: Mutex::new(HashMap::new()),
            version_reads: AtomicU64::new(0),
        })
    }

    /// The database.
    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// The version store.
    pub fn version_store(&self) -> &Arc<VersionStore> {
        &self.ver
    }

    /// The registry of open trees.
    pub fn trees(&self) -> &Arc<Trees> {
        &self.trees
    }

    /// The catalog's own tree.
    pub fn tree(&self) -> &VersionedTree {
        &self.tree
    }

    /// How implicit transactions (changes made at level 0) commit: durable by default, lazy
    /// when JET_paramCommitDefault asks for JET_bitCommitLazyFlush.
    pub fn set_implicit_commit_mode(&self, mode: CommitMode) {
        *self.commit_mode.lock() = mode;
    }

    /// Runs `f` in a save point (a new transaction at level 0): committed when it succeeds,
    /// rolled back when it fails, so a failed call changes nothing. At the deepest level,
    /// where no save point can be opened, `f` runs in the caller's level.
    pub(crate) fn atomically<T>(
        &self,
        session: &mut Session,
        f: impl FnOnce(&mut Session) -> Result<T>,
    ) -> Result<T> {
        let outer = match session.begin_level() {
            Ok(level) => level - 1,
            Err(ese_txn::Error::TransTooDeep) => return f(session),
            Err(e) => return Err(e.into()),
        };
        match f(session) {
            Ok(v) => {
                let mode = if outer == 0 {
                    *self.commit_mode.lock()
                } else {
                    CommitMode::Lazy
                };
                if let Err(e) = session.commit_transaction(mode) {
                    if session.level() > outer {
                        self.trees.rollback(session)?;
                    }
                    return Err(e.into());
                }
                Ok(v)
            }
            Err(e) => {
                self.trees.rollback(session)?;
                Err(e)
            }
        }
    }

    pub(crate) fn state(&self, objid: u32) -> Arc<TableState> {
        self.states
            .lock()
            .entry(objid)
            .or_insert_with(|| Arc::new(TableState::fresh()))
            .clone()
    }

    /// A versioned view of a tree of this database, registered for rollback.
    pub(crate) fn versioned(&self, objid: u32, root: Pgno) -> Result<VersionedTree> {
        let tree = BTree::open(&self.db, objid, root)?;
        self.trees.register(&tree);
        Ok(VersionedTree::new(tree, self.ver.clone()))
    }

    fn new_stamp(&self) -> u64 {
        self.next_stamp.fetch_add(1, Ordering::SeqCst)
    }

    pub(crate) fn new_objid(&self) -> Result<u32> {
        let id = self.next_objid.fetch_add(1, Ordering::SeqCst);
        if id == u32::MAX {
            return Err(Error::Storage {
                code: ese_core::JetErr::OUT_OF_OBJECT_IDS,
                message: "object ids are exhausted".into(),
            });
        }
        Ok(id)
    }

    /// The objid of the table named `name` as `session` sees it.
    fn table_objid(&self, session: &Session, name: &str) -> Result<u32> {
        let name = check_name(name)?;
        let data = self
            .tree
            .get(session, &table_name_key(&fold_name(&name)))?
            .ok_or(Error::ObjectNotFound)?;
        let bytes: [u8; 4] = data
            .as_slice()
            .try_into()
            .map_err(|_| Error::Corrupt("a catalog name entry is not 4 bytes"))?;
        Ok(u32::from_le_bytes(bytes))
    }

    /// Every row of table `objid` as `session` sees it, in key order.
    fn table_rows(&self, session: &Session, objid: u32) -> Result<Vec<CatalogRow>> {
        let prefix = rows_prefix(objid);
        let mut cursor = self.tree.cursor();
        let mut out = Vec::new();
        let mut entry = cursor.seek(session, &prefix, SeekOp::Ge)?;
        while let Some(e) = entry {
            if !e.key.starts_with(&prefix) {
                break;
            }
            if out.len() >= ROWS_PER_TABLE_MAX {
                return Err(Error::Corrupt("a table has too many catalog rows"));
            }
            out.push(CatalogRow::decode(&e.key, &e.data)?);
            entry = cursor.next(session)?;
        }
        Ok(out)
    }

    /// The schema of table `objid` as `session` sees it, from the cache when the table's row
    /// has no versions (module doc).
    pub(crate) fn schema(&self, session: &Session, objid: u32) -> Result<Arc<TableSchema>> {
        let table_key = row_key(objid, ObjectType::Table as u16, objid);
        let settled = !self.ver.is_versioned(self.tree.obj(), &table_key);
        if settled && let Some(s) = self.schemas.lock().get(&objid) {
            return Ok(s.clone());
        }
        let rows = self.table_rows(session, objid)?;
        let schema = Arc::new(self.build_schema(&rows)?);
        if settled && !self.ver.is_versioned(self.tree.obj(), &table_key) {
            self.schemas.lock().insert(objid, schema.clone());
        }
        Ok(schema)
    }

    /// The stamp of table `objid`'s last DDL as `session` sees it; `None` if the table is
    /// gone for it.
    pub(crate) fn table_version(&self, session: &Session, objid: u32) -> Result<Option<u64>> {
        self.version_reads.fetch_add(1, Ordering::Relaxed);
        let key = row_key(objid, ObjectType::Table as u16, objid);
        match self.tree.get(session, &key)? {
            Some(data) => Ok(Some(CatalogRow::decode(&key, &data)?.version)),
            None => Ok(None),
        }
    }

    /// Whether table `objid`'s row has no versions in the version store: every session,
    /// whatever its snapshot, then reads the same committed row.
    pub(crate) fn table_row_settled(&self, objid: u32) -> bool {
        let key = row_key(objid, ObjectType::Table as u16, objid);
        !self.ver.is_versioned(self.tree.obj(), &key)
    }

    /// How many times cursors have read a table's catalog row to check its DDL stamp, since
    /// the catalog was opened (a diagnostic counter: cursors skip the read while no DDL
    /// touched the table since they last checked).
    pub fn table_version_reads(&self) -> u64 {
        self.version_reads.load(Ordering::Relaxed)
    }

    /// Records that table `objid`'s row was just written (its version is in the store), so
    /// that every cursor on the table re-reads it at its next call.
    fn table_row_written(&self, objid: u32) {
        self.state(objid)
            .ddl_generation
            .fetch_add(1, Ordering::SeqCst);
    }

    fn build_schema(&self, rows: &[CatalogRow]) -> Result<TableSchema> {
        let table = rows
            .iter()
            .find(|r| r.obj_type == ObjectType::Table as u16)
            .ok_or(Error::ObjectNotFound)?;
        let page_size = self.db.page_size_bytes();
        let mut columns = ColumnSet::new(record_most_bytes(page_size));
        let mut names = BTreeMap::new();
        let mut deleted = BTreeSet::new();
        for r in rows
            .iter()
            .filter(|r| r.obj_type == ObjectType::Column as u16)
        {
            let spec = ColumnSpec {
                coltyp: r.coltyp_or_pgno_fdp,
                max_bytes: u64::from(r.space_usage),
                code_page: r.pages_or_locale,
                grbit: ColumnGrbit(r.flags),
                default: r.default_value.clone(),
            };
            let def = ColumnDef::new(ColumnId(r.id), &spec)
                .map_err(|_| Error::Corrupt("a catalog column row does not validate"))?;
            columns
                .insert(def)
                .map_err(|_| Error::Corrupt("catalog column rows clash"))?;
            if r.deleted {
                deleted.insert(ColumnId(r.id));
            } else {
                names.insert(ColumnId(r.id), r.name.clone());
            }
        }
        let mut schema = TableSchema {
            name: table.name.clone(),
            objid: table.id,
            root: Pgno(table.coltyp_or_pgno_fdp),
            version: table.version,
            pages: table.pages_or_locale,
            density: table.space_usage,
            columns,
            names,
            deleted,
            primary: None,
            secondary: Vec::new(),
            long_values: rows
                .iter()
                .find(|r| r.obj_type == ObjectType::LongValue as u16)
                .map(|r| (r.id, Pgno(r.coltyp_or_pgno_fdp))),
        };
        for r in rows
            .iter()
            .filter(|r| r.obj_type == ObjectType::Index as u16)
        {
            let index = index_from_row(&schema, r, page_size)?;
            if index.is_primary() {
                schema.primary = Some(index);
            } else {
                schema.secondary.push(index);
            }
        }
        Ok(schema)
    }

    /// Creates a table with its columns and indexes, and returns a cursor on it with one
    /// warning slot per column (JetCreateTableColumnIndex; JetCreateTable with none).
    ///
    /// Errors: JET_errInvalidName, JET_errTableDuplicate, JET_errDensityInvalid, every
    /// JetAddColumn error of a column, JET_errColumnDuplicate, JET_errIndexHasPrimary (two
    /// primary indexes), JET_errIndexDuplicate, the index-definition errors. Nothing is
    /// created when any fails.
    pub fn create_table(
        self: &Arc<Self>,
        session: &mut Session,
        create: &TableCreate,
    ) -> Result<(TableCursor, Vec<Option<Warning>>)> {
        let name = check_name(&create.name)?;
        if fold_name(&name) == fold_name(CATALOG_NAME) {
            return Err(Error::TableDuplicate);
        }
        let density = check_density(create.density)?;
        let (objid, warnings) = self.atomically(session, |session| {
            let objid = self.new_objid()?;
            let name_key = table_name_key(&fold_name(&name));
            insert_unique(
                &self.tree,
                session,
                &name_key,
                &objid.to_le_bytes(),
                Error::TableDuplicate,
            )?;
            let tree = BTree::create(&self.db, objid, PageFlags::NONE)?;
            self.trees.register(&tree);
            let stamp = self.new_stamp();
            let table = CatalogRow {
                objid_table: objid,
                obj_type: ObjectType::Table as u16,
                id: objid,
                coltyp_or_pgno_fdp: tree.root().0,
                space_usage: density,
                pages_or_locale: create.pages,
                root_flag: true,
                version: stamp,
                name: name.clone(),
                ..CatalogRow::default()
            };
            self.tree.insert(session, &table.key(), &table.encode())?;
            self.table_row_written(objid);
            let mut schema = self.build_schema(std::slice::from_ref(&table))?;
            let mut warnings = Vec::with_capacity(create.columns.len());
            for c in &create.columns {
                let (_, w) = self.add_column_rows(session, &mut schema, &c.name, &c.spec, true)?;
                warnings.push(w);
            }
            for i in &create.indexes {
                self.create_index_rows(session, &mut schema, i, true)?;
            }
            Ok((objid, warnings))
        })?;
        let schema = self.schema(session, objid)?;
        Ok((
            TableCursor::new(self.clone(), schema, self.state(objid))?,
            warnings,
        ))
    }

    /// Writes the rows of a new column into `schema`'s table (the table row's stamp is the
    /// caller's). Returns the new id.
    fn add_column_rows(
        &self,
        session: &mut Session,
        schema: &mut TableSchema,
        name: &str,
        spec: &ColumnSpec,
        exclusive: bool,
    ) -> Result<(ColumnId, Option<Warning>)> {
        let name = check_name(name)?;
        if schema.column_id(&name).is_ok() {
            return Err(Error::ColumnDuplicate);
        }
        let (id, warning) = schema.columns.add(spec, exclusive)?;
        let def = schema.columns.get(id)?.clone();
        let name_key = sub_name_key(schema.objid, ObjectType::Column, &fold_name(&name));
        insert_unique(
            &self.tree,
            session,
            &name_key,
            &id.0.to_le_bytes(),
            Error::ColumnDuplicate,
        )?;
        let row = column_row(schema.objid, &def, &name, false);
        self.tree.insert(session, &row.key(), &row.encode())?;
        schema.names.insert(id, name);
        if def.coltyp.is_long_value() && schema.long_values.is_none() {
            self.create_long_value_tree(session, schema)?;
        }
        Ok((id, warning))
    }

    /// Creates the long-value tree of `schema`'s table with its catalog row (Type 4).
    fn create_long_value_tree(
        &self,
        session: &mut Session,
        schema: &mut TableSchema,
    ) -> Result<()> {
        let objid = self.new_objid()?;
        let tree = BTree::create(&self.db, objid, PageFlags::LONG_VALUE)?;
        self.trees.register(&tree);
        let row = CatalogRow {
            objid_table: schema.objid,
            obj_type: ObjectType::LongValue as u16,
            id: objid,
            coltyp_or_pgno_fdp: tree.root().0,
            space_usage: DENSITY_DEFAULT_PERCENT,
            name: format!("LV{}", schema.objid),
            ..CatalogRow::default()
        };
        self.tree.insert(session, &row.key(), &row.encode())?;
        schema.long_values = Some((objid, tree.root()));
        Ok(())
    }

    /// Writes the row of a new index, creating its tree for a secondary index.
    fn create_index_rows(
        &self,
        session: &mut Session,
        schema: &mut TableSchema,
        create: &IndexCreate,
        table_is_new: bool,
    ) -> Result<()> {
        let name = check_name(&create.name)?;
        if schema.index(&name).is_ok() {
            return Err(Error::IndexDuplicate);
        }
        let def = IndexDef {
            key: parse_key_description(&create.key)?,
            grbit: create.grbit,
            key_most_bytes: create.key_most_bytes,
            var_seg_mac: create.var_seg_mac,
        };
        let layout = def.resolve(
            &schema.columns,
            |n| schema.column_id(n).ok(),
            self.db.page_size_bytes(),
        )?;
        let primary = create.grbit.contains(IndexGrbit::PRIMARY);
        if primary && schema.primary.is_some() {
            return Err(Error::IndexHasPrimary);
        }
        if primary && !table_is_new {
            return Err(Error::TableNotEmpty);
        }
        let density = check_density(create.density)?;
        let (objid, root) = if primary {
            (schema.objid, schema.root)
        } else {
            let objid = self.new_objid()?;
            let mut flags = PageFlags::INDEX;
            if !create.grbit.contains(IndexGrbit::UNIQUE) {
                flags = flags.union(PageFlags::NON_UNIQUE_KEYS);
            }
            let tree = BTree::create(&self.db, objid, flags)?;
            self.trees.register(&tree);
            (objid, tree.root())
        };
        let name_key = sub_name_key(schema.objid, ObjectType::Index, &fold_name(&name));
        insert_unique(
            &self.tree,
            session,
            &name_key,
            &objid.to_le_bytes(),
            Error::IndexDuplicate,
        )?;
        let mut key_fld_ids = Vec::with_capacity(4 * layout.columns.len());
        for c in &layout.columns {
            key_fld_ids.push(if c.descending { KEY_SEG_DESCENDING } else { 0 });
            key_fld_ids.push(0);
            key_fld_ids.extend_from_slice(&c.id.fid().to_le_bytes());
        }
        let row = CatalogRow {
            objid_table: schema.objid,
            obj_type: ObjectType::Index as u16,
            id: objid,
            coltyp_or_pgno_fdp: root.0,
            space_usage: density,
            flags: create.grbit.0,
            key_most: layout.key_most_bytes as u16,
            var_seg_mac: layout.var_seg_mac as u16,
            name: name.clone(),
            key_fld_ids,
            ..CatalogRow::default()
        };
        self.tree.insert(session, &row.key(), &row.encode())?;
        let index = index_from_row(schema, &row, self.db.page_size_bytes())?;
        if primary {
            schema.primary = Some(index);
        } else {
            schema.secondary.push(index);
        }
        Ok(())
    }

    /// Replaces the table row of `schema` with a fresh DDL stamp.
    fn restamp(&self, session: &mut Session, schema: &mut TableSchema) -> Result<()> {
        let key = row_key(schema.objid, ObjectType::Table as u16, schema.objid);
        let data = self.tree.get(session, &key)?.ok_or(Error::ObjectNotFound)?;
        let mut row = CatalogRow::decode(&key, &data)?;
        row.version = self.new_stamp();
        self.tree.replace(session, &key, &row.encode())?;
        self.table_row_written(schema.objid);
        schema.version = row.version;
        Ok(())
    }

    /// Runs one DDL change of table `objid` in a save point: `change` gets a copy of the
    /// table's schema, already restamped, and the cached schema is dropped afterwards (a
    /// failed change rolls back with its save point). Returns the new schema and `change`'s
    /// result.
    fn alter_table<T>(
        &self,
        session: &mut Session,
        objid: u32,
        change: impl FnOnce(&mut Session, &mut TableSchema) -> Result<T>,
    ) -> Result<(Arc<TableSchema>, T)> {
        let out = self.atomically(session, |session| {
            let mut schema = (*self.schema(session, objid)?).clone();
            self.restamp(session, &mut schema)?;
            let out = change(session, &mut schema)?;
            Ok((Arc::new(schema), out))
        })?;
        self.schemas.lock().remove(&objid);
        Ok(out)
    }

    /// JetAddColumn on table `objid`; returns the new schema.
    pub(crate) fn add_column(
        &self,
        session: &mut Session,
        objid: u32,
        name: &str,
        spec: &ColumnSpec,
        exclusive: bool,
    ) -> Result<(Arc<TableSchema>, ColumnId, Option<Warning>)> {
        let (schema, (id, w)) = self.alter_table(session, objid, |session, schema| {
            self.add_column_rows(session, schema, name, spec, exclusive)
        })?;
        Ok((schema, id, w))
    }

    /// JetDeleteColumn on table `objid`: the row stays, marked deleted, so records written
    /// before still decode; the name is free again. Returns the new schema.
    pub(crate) fn delete_column(
        &self,
        session: &mut Session,
        objid: u32,
        name: &str,
    ) -> Result<Arc<TableSchema>> {
        let (schema, ()) = self.alter_table(session, objid, |session, schema| {
            let id = schema.column_id(name)?;
            if schema.is_key_column(id) {
                return Err(Error::ColumnInUse);
            }
            let col_name = schema.names.remove(&id).unwrap_or_default();
            let def = schema.columns.get(id)?.clone();
            let row = column_row(objid, &def, &col_name, true);
            self.tree.replace(session, &row.key(), &row.encode())?;
            let name_key = sub_name_key(objid, ObjectType::Column, &fold_name(&col_name));
            self.tree.delete(session, &name_key)?;
            schema.deleted.insert(id);
            Ok(())
        })?;
        Ok(schema)
    }

    /// The catalog half of JetCreateIndex on table `objid`: rows and an empty tree (the
    /// cursor builds the entries in the same save point); returns the new schema.
    pub(crate) fn create_index_unbuilt(
        &self,
        session: &mut Session,
        objid: u32,
        create: &IndexCreate,
    ) -> Result<Arc<TableSchema>> {
        let empty = create.grbit.contains(IndexGrbit::PRIMARY);
        let (schema, ()) = self.alter_table(session, objid, |session, schema| {
            self.create_index_rows(session, schema, create, empty)
        })?;
        Ok(schema)
    }

    /// The catalog half of JetDeleteIndex on table `objid`: removes the index's row and name
    /// entry (its tree's pages stay allocated); returns the new schema. The cursor checks
    /// IndexMustStay and IndexInUse first.
    pub(crate) fn delete_index_rows(
        &self,
        session: &mut Session,
        objid: u32,
        name: &str,
    ) -> Result<Arc<TableSchema>> {
        let (schema, ()) = self.alter_table(session, objid, |session, schema| {
            let folded = fold_name(name);
            let pos = schema
                .secondary
                .iter()
                .position(|i| fold_name(&i.name) == folded)
                .ok_or(Error::IndexNotFound)?;
            let idx = schema.secondary.remove(pos);
            let key = row_key(objid, ObjectType::Index as u16, idx.objid);
            self.tree.delete(session, &key)?;
            let name_key = sub_name_key(objid, ObjectType::Index, &fold_name(&idx.name));
            self.tree.delete(session, &name_key)?;
            Ok(())
        })?;
        Ok(schema)
    }

    /// The schema of a temporary table: no catalog rows; columns named `c0`, `c1`, … in the
    /// order given, and at most one index (`index`, over those names) whose tree is
    /// `index_tree` (objid, root) for a secondary index.
    pub(crate) fn temp_schema(
        &self,
        objid: u32,
        root: Pgno,
        columns: &[ColumnSpec],
        index: Option<(&IndexCreate, u32, Pgno)>,
    ) -> Result<TableSchema> {
        let page_size = self.db.page_size_bytes();
        let mut schema = TableSchema {
            name: String::new(),
            objid,
            root,
            version: 0,
            pages: 0,
            density: DENSITY_DEFAULT_PERCENT,
            columns: ColumnSet::new(record_most_bytes(page_size)),
            names: BTreeMap::new(),
            deleted: BTreeSet::new(),
            primary: None,
            secondary: Vec::new(),
            long_values: None,
        };
        for (i, spec) in columns.iter().enumerate() {
            let (id, _) = schema.columns.add(spec, true)?;
            schema.names.insert(id, format!("c{i}"));
        }
        if let Some((create, index_objid, index_root)) = index {
            let def = IndexDef {
                key: parse_key_description(&create.key)?,
                grbit: create.grbit,
                key_most_bytes: create.key_most_bytes,
                var_seg_mac: create.var_seg_mac,
            };
            let layout = def.resolve(&schema.columns, |n| schema.column_id(n).ok(), page_size)?;
            let index = IndexSchema {
                name: create.name.clone(),
                objid: index_objid,
                root: index_root,
                grbit: create.grbit,
                density: DENSITY_DEFAULT_PERCENT,
                key: def.key,
                layout,
            };
            if index.is_primary() {
                schema.primary = Some(index);
            } else {
                schema.secondary.push(index);
            }
        }
        Ok(schema)
    }

    /// Opens a cursor on the table named `name`, on its primary index at the deferred first
    /// record (JetOpenTable). JET_errObjectNotFound if the session sees no such table.
    pub fn open_table(self: &Arc<Self>, session: &Session, name: &str) -> Result<TableCursor> {
        let objid = self.table_objid(session, name)?;
        let schema = self.schema(session, objid)?;
        TableCursor::new(self.clone(), schema, self.state(objid))
    }

    /// Deletes the table named `name` with its columns and indexes (JetDeleteTable).
    /// JET_errObjectNotFound if there is none; JET_errTableInUse while any cursor is open
    /// on it; JET_errCannotDeleteSystemTable for the catalog.
    pub fn delete_table(&self, session: &mut Session, name: &str) -> Result<()> {
        if fold_name(name) == fold_name(CATALOG_NAME) {
            return Err(Error::Storage {
                code: ese_core::JetErr::CANNOT_DELETE_SYSTEM_TABLE,
                message: "the catalog cannot be deleted".into(),
            });
        }
        let objid = self.table_objid(session, name)?;
        if self.state(objid).open_cursors.load(Ordering::SeqCst) > 0 {
            return Err(Error::TableInUse);
        }
        self.atomically(session, |session| {
            let rows = self.table_rows(session, objid)?;
            for r in &rows {
                let t = ObjectType::from_raw(r.obj_type)?;
                match t {
                    ObjectType::Table => {
                        self.tree
                            .delete(session, &table_name_key(&fold_name(&r.name)))?;
                    }
                    ObjectType::Column | ObjectType::Index if !r.deleted => {
                        self.tree
                            .delete(session, &sub_name_key(objid, t, &fold_name(&r.name)))?;
                    }
                    _ => {}
                }
                self.tree.delete(session, &r.key())?;
                if t == ObjectType::Table {
                    self.table_row_written(objid);
                }
            }
            Ok(())
        })?;
        self.schemas.lock().remove(&objid);
        Ok(())
    }

    /// The names of the tables `session` sees, in folded-name order (JetGetObjectInfo's
    /// table list).
    pub fn table_names(&self, session: &Session) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut cursor = self.tree.cursor();
        let mut entry = cursor.seek(session, &[TABLE_NAME], SeekOp::Ge)?;
        while let Some(e) = entry {
            if e.key.first() != Some(&TABLE_NAME) {
                break;
            }
            let objid = u32::from_le_bytes(
                e.data
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::Corrupt("a catalog name entry is not 4 bytes"))?,
            );
            let key = row_key(objid, ObjectType::Table as u16, objid);
            if let Some(data) = self.tree.get(session, &key)? {
                out.push(CatalogRow::decode(&key, &data)?.name);
            }
            entry = cursor.next(session)?;
        }
        Ok(out)
    }

    /// How many catalog entries `session` sees (rows and name entries).
    pub fn entry_count(&self, session: &Session) -> Result<u64> {
        Ok(self
            .tree
            .count(session, Bound::Unbounded, Bound::Unbounded)?)
    }
}

fn check_density(density: u32) -> Result<u32> {
    match density {
        0 => Ok(DENSITY_DEFAULT_PERCENT),
        d if DENSITY_PERCENT.contains(&d) => Ok(d),
        _ => Err(Error::Storage {
            code: ese_core::JetErr::DENSITY_INVALID,
            message: "density must be 0 or 20-100".into(),
        }),
    }
}

fn column_row(objid: u32, def: &ColumnDef, name: &str, deleted: bool) -> CatalogRow {
    CatalogRow {
        objid_table: objid,
        obj_type: ObjectType::Column as u16,
        id: def.id.0,
        coltyp_or_pgno_fdp: def.coltyp.raw(),
        space_usage: def.max_bytes as u32,
        flags: def.grbit.0,
        pages_or_locale: def.code_page.map_or(0, |c| c.raw()),
        deleted,
        name: name.to_string(),
        default_value: def.default.clone().unwrap_or_default(),
        ..CatalogRow::default()
    }
}

fn index_from_row(schema: &TableSchema, r: &CatalogRow, page_size: usize) -> Result<IndexSchema> {
    if r.key_fld_ids.len() % 4 != 0 {
        return Err(Error::Corrupt(
            "catalog KeyFldIDs is not a list of segments",
        ));
    }
    let mut key = Vec::with_capacity(r.key_fld_ids.len() / 4);
    for seg in r.key_fld_ids.chunks_exact(4) {
        let id = ColumnId(u32::from(u16::from_le_bytes([seg[2], seg[3]])));
        let name = schema
            .names
            .get(&id)
            .cloned()
            .ok_or(Error::Corrupt("an index names a missing column"))?;
        key.push(KeyColumnName {
            name,
            descending: seg[0] & KEY_SEG_DESCENDING != 0,
        });
    }
    let grbit = IndexGrbit(r.flags);
    let def = IndexDef {
        key: key.clone(),
        grbit,
        key_most_bytes: usize::from(r.key_most),
        var_seg_mac: usize::from(r.var_seg_mac),
    };
    let layout = def
        .resolve(&schema.columns, |n| schema.column_id(n).ok(), page_size)
        .map_err(|_| Error::Corrupt("a catalog index row does not resolve"))?;
    Ok(IndexSchema {
        name: r.name.clone(),
        objid: r.id,
        root: Pgno(r.coltyp_or_pgno_fdp),
        grbit,
        density: r.space_usage,
        key,
        layout,
    })
}

/// Inserts `key`, turning a duplicate into `duplicate` (the name's own error).
fn insert_unique(
    tree: &VersionedTree,
    session: &mut Session,
    key: &[u8],
    data: &[u8],
    duplicate: Error,
) -> Result<()> {
    match tree.insert(session, key, data).map_err(Error::from) {
        Err(Error::KeyDuplicate) => Err(duplicate),
        r => r,
    }
}
