//! The schema the catalog describes: tables, their columns, indexes and long-value trees.

use crate::value::ColumnType;

/// Catalog object type: table.
pub const OBJECT_TABLE: i16 = 1;
/// Catalog object type: column.
pub const OBJECT_COLUMN: i16 = 2;
/// Catalog object type: index.
pub const OBJECT_INDEX: i16 = 3;
/// Catalog object type: long-value tree.
pub const OBJECT_LONG_VALUE: i16 = 4;
/// Catalog object type: callback.
pub const OBJECT_CALLBACK: i16 = 5;

/// First column id of variable columns.
pub const FIRST_VARIABLE_COLUMN: u32 = 128;
/// First column id of tagged columns.
pub const FIRST_TAGGED_COLUMN: u32 = 256;

/// How a column is stored in a record, decided by its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// Ids 1-127: at a fixed offset.
    Fixed,
    /// Ids 128-255: in the variable area.
    Variable,
    /// Ids 256 and up: in the tagged area.
    Tagged,
}

/// One column of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The column id.
    pub id: u32,
    /// The column name.
    pub name: String,
    /// The column type.
    pub coltyp: ColumnType,
    /// The maximum size in bytes (0 = unlimited), or the stored size of a fixed column.
    pub max_size: u32,
    /// Catalog flags.
    pub flags: u32,
    /// Code page of text (1200 = UTF-16LE, 1252 = Windows-1252).
    pub codepage: u32,
    /// The raw default value, if the column has one.
    pub default_value: Option<Vec<u8>>,
    /// Whether the column is inherited from a template table.
    pub is_from_template: bool,
    /// For fixed columns: the offset of the value after the 4-byte record header.
    pub fixed_offset: usize,
}

impl Column {
    /// Where the column lives in a record.
    pub fn storage(&self) -> Storage {
        if self.id < FIRST_VARIABLE_COLUMN {
            Storage::Fixed
        } else if self.id < FIRST_TAGGED_COLUMN {
            Storage::Variable
        } else {
            Storage::Tagged
        }
    }

    /// The number of bytes a fixed column occupies in the record.
    pub fn fixed_size(&self) -> usize {
        self.coltyp.fixed_size().unwrap_or(self.max_size as usize)
    }
}

/// One key segment of an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySegment {
    /// The column id.
    pub column_id: u32,
    /// Whether the segment sorts descending.
    pub is_descending: bool,
}

/// One index of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Index {
    /// The index name.
    pub name: String,
    /// The index's object id.
    pub objid: u32,
    /// Its root page (the table's own FDP for the primary index).
    pub fdp: u32,
    /// Catalog flags (`JET_bitIndex*`).
    pub flags: u32,
    /// The locale (LCID) of the index.
    pub locale: u32,
    /// The key columns in key order.
    pub key: Vec<KeySegment>,
}

/// One table, as the catalog describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The table name.
    pub name: String,
    /// The table's object id.
    pub objid: u32,
    /// The root page of the table's primary tree.
    pub fdp: u32,
    /// Catalog flags.
    pub flags: u32,
    /// The columns in column-id order (template columns included).
    pub columns: Vec<Column>,
    /// The indexes, primary first when there is one.
    pub indexes: Vec<Index>,
    /// The root page of the long-value tree, if the table has one.
    pub lv_fdp: Option<u32>,
    /// The template table this table derives from.
    pub template_table: Option<String>,
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Recompute the offsets of fixed columns from their sizes, in id order.
    pub(crate) fn layout_fixed(&mut self) {
        self.columns.sort_by_key(|c| (c.id, c.is_from_template));
        let mut off = 0usize;
        for c in &mut self.columns {
            if c.storage() == Storage::Fixed {
                c.fixed_offset = off;
                off += c.fixed_size();
            }
        }
    }
}
