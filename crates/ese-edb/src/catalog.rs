//! The catalog (MSysObjects, rooted at page 4): reading it and building the schema.
//!
//! Each catalog row describes one object, keyed by (ObjidTable, Type, Id): a table (type 1),
//! a column (2), an index (3), a long-value tree (4) or a callback (5). The catalog describes
//! its own columns too, but to read it at all the reader starts from the fixed layout below,
//! which every ESE since Windows 2000 uses.
//!
//! | id | name | type | id | name | type |
//! |---|---|---|---|---|---|
//! | 1 | ObjidTable | Long | 128 | Name | Text |
//! | 2 | Type | Short | 129 | Stats | Binary |
//! | 3 | Id | Long | 130 | TemplateTable | Text |
//! | 4 | ColtypOrPgnoFDP | Long | 131 | DefaultValue | Binary |
//! | 5 | SpaceUsage | Long | 132 | KeyFldIDs | Binary |
//! | 6 | Flags | Long | 133-137 | VarSegMac ... SortID | Binary |
//! | 7 | PagesOrLocale | Long | 256-261 | CallbackData ... LocaleName | LongBinary |
//! | 8 | RootFlag | Bit | | | |
//! | 9 | RecordOffset | Short | | | |
//! | 10 | LCMapFlags | Long | | | |
//! | 11 | KeyMost | UnsignedShort | | | |
//! | 12 | LVChunkMax | Long | | | |

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::pager::Pager;
use crate::rows::Rows;
use crate::schema::{
    Column, Index, KeySegment, OBJECT_COLUMN, OBJECT_INDEX, OBJECT_LONG_VALUE, OBJECT_TABLE, Table,
};
use crate::value::{ColumnType, Value};

/// The root page of MSysObjects.
pub const CATALOG_FDP: u32 = 4;
/// The object id of MSysObjects.
pub const CATALOG_OBJID: u32 = 2;
/// Most templates a derived table may chain through before the reader calls it a cycle.
const MAX_TEMPLATE_DEPTH: usize = 8;
/// Most catalog rows the reader accepts (a catalog of this size would describe ~50,000 tables
/// of 100 columns).
pub const MAX_CATALOG_ROWS: usize = 5_000_000;

const BOOTSTRAP: &[(u32, &str, ColumnType)] = &[
    (1, "ObjidTable", ColumnType::Long),
    (2, "Type", ColumnType::Short),
    (3, "Id", ColumnType::Long),
    (4, "ColtypOrPgnoFDP", ColumnType::Long),
    (5, "SpaceUsage", ColumnType::Long),
    (6, "Flags", ColumnType::Long),
    (7, "PagesOrLocale", ColumnType::Long),
    (8, "RootFlag", ColumnType::Bit),
    (9, "RecordOffset", ColumnType::Short),
    (10, "LCMapFlags", ColumnType::Long),
    (11, "KeyMost", ColumnType::UnsignedShort),
    (12, "LVChunkMax", ColumnType::Long),
    (128, "Name", ColumnType::Text),
    (129, "Stats", ColumnType::Binary),
    (130, "TemplateTable", ColumnType::Text),
    (131, "DefaultValue", ColumnType::Binary),
    (132, "KeyFldIDs", ColumnType::Binary),
    (133, "VarSegMac", ColumnType::Binary),
    (134, "ConditionalColumns", ColumnType::Binary),
    (135, "TupleLimits", ColumnType::Binary),
    (136, "Version", ColumnType::Binary),
    (137, "SortID", ColumnType::Binary),
    (256, "CallbackData", ColumnType::LongBinary),
    (257, "CallbackDependencies", ColumnType::LongBinary),
    (258, "SeparateLV", ColumnType::LongBinary),
    (259, "SpaceHints", ColumnType::LongBinary),
    (260, "SpaceDeferredLVHints", ColumnType::LongBinary),
    (261, "LocaleName", ColumnType::LongBinary),
];

/// The layout used to read the catalog before the catalog has been read.
pub fn bootstrap_table() -> Table {
    let columns = BOOTSTRAP
        .iter()
        .map(|&(id, name, coltyp)| Column {
            id,
            name: name.to_string(),
            coltyp,
            max_size: coltyp.fixed_size().map_or(255, |s| s as u32),
            flags: 0,
            codepage: 1252,
            default_value: None,
            is_from_template: false,
            fixed_offset: 0,
        })
        .collect();
    let mut t = Table {
        name: "MSysObjects".into(),
        objid: CATALOG_OBJID,
        fdp: CATALOG_FDP,
        flags: 0,
        columns,
        indexes: Vec::new(),
        lv_fdp: None,
        template_table: None,
    };
    t.layout_fixed();
    t
}

/// One catalog row, with the fields the schema needs.
#[derive(Clone, Debug, PartialEq)]
struct CatalogRow {
    objid_table: u32,
    kind: i16,
    id: u32,
    coltyp_or_fdp: u32,
    space_usage: u32,
    flags: u32,
    pages_or_locale: u32,
    name: String,
    template_table: Option<String>,
    default_value: Option<Vec<u8>>,
    key_fld_ids: Option<Vec<u8>>,
}

fn int(v: Option<&Value>) -> u32 {
    v.and_then(Value::as_i64).map_or(0, |x| x as u32)
}

fn bytes(v: Option<&Value>) -> Option<Vec<u8>> {
    v.and_then(Value::as_bytes).map(<[u8]>::to_vec)
}

fn parse_key(raw: &[u8]) -> Vec<KeySegment> {
    if raw.len() % 4 == 0 {
        raw.chunks_exact(4)
            .map(|c| KeySegment {
                column_id: u32::from(u16::from_le_bytes([c[2], c[3]])),
                is_descending: c[0] & 1 != 0,
            })
            .collect()
    } else {
        raw.chunks_exact(2)
            .map(|c| {
                let v = i16::from_le_bytes([c[0], c[1]]);
                KeySegment {
                    column_id: u32::from(v.unsigned_abs()),
                    is_descending: v < 0,
                }
            })
            .collect()
    }
}

/// The schema read from the catalog.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// Every table, in catalog (object id) order.
    pub tables: Vec<Table>,
}

impl Catalog {
    /// Read the catalog at page 4.
    pub fn read(pager: &Pager) -> Result<Catalog> {
        let boot = bootstrap_table();
        let mut rows = Vec::new();
        for row in Rows::new(pager, &boot)? {
            let row = row?;
            if rows.len() >= MAX_CATALOG_ROWS {
                return Err(Error::corrupt("catalog has too many rows"));
            }
            let name = row
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            rows.push(CatalogRow {
                objid_table: int(row.get("ObjidTable")),
                kind: int(row.get("Type")) as i16,
                id: int(row.get("Id")),
                coltyp_or_fdp: int(row.get("ColtypOrPgnoFDP")),
                space_usage: int(row.get("SpaceUsage")),
                flags: int(row.get("Flags")),
                pages_or_locale: int(row.get("PagesOrLocale")),
                name,
                template_table: row
                    .get("TemplateTable")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                default_value: bytes(row.get("DefaultValue")),
                key_fld_ids: bytes(row.get("KeyFldIDs")),
            });
        }
        Catalog::build(rows)
    }

    fn build(rows: Vec<CatalogRow>) -> Result<Catalog> {
        let mut tables: BTreeMap<u32, Table> = BTreeMap::new();
        for r in &rows {
            if r.kind == OBJECT_TABLE {
                tables.insert(
                    r.objid_table,
                    Table {
                        name: r.name.clone(),
                        objid: r.objid_table,
                        fdp: r.coltyp_or_fdp,
                        flags: r.flags,
                        columns: Vec::new(),
                        indexes: Vec::new(),
                        lv_fdp: None,
                        template_table: r.template_table.clone().filter(|s| !s.is_empty()),
                    },
                );
            }
        }
        for r in &rows {
            let Some(t) = tables.get_mut(&r.objid_table) else {
                continue;
            };
            match r.kind {
                OBJECT_COLUMN => t.columns.push(Column {
                    id: r.id,
                    name: r.name.clone(),
                    coltyp: ColumnType::from_u32(r.coltyp_or_fdp),
                    max_size: r.space_usage,
                    flags: r.flags,
                    codepage: r.pages_or_locale,
                    default_value: r.default_value.clone(),
                    is_from_template: false,
                    fixed_offset: 0,
                }),
                OBJECT_INDEX => {
                    let index = Index {
                        name: r.name.clone(),
                        objid: r.id,
                        fdp: r.coltyp_or_fdp,
                        flags: r.flags,
                        locale: r.pages_or_locale,
                        key: r.key_fld_ids.as_deref().map(parse_key).unwrap_or_default(),
                    };
                    if index.fdp == t.fdp {
                        t.indexes.insert(0, index);
                    } else {
                        t.indexes.push(index);
                    }
                }
                OBJECT_LONG_VALUE => t.lv_fdp = Some(r.coltyp_or_fdp),
                _ => {}
            }
        }
        // Derived tables inherit the columns of their template (which may itself derive).
        let snapshot: Vec<Table> = tables.values().cloned().collect();
        for t in tables.values_mut() {
            let mut name = t.template_table.clone();
            let mut depth = 0;
            while let Some(n) = name {
                depth += 1;
                if depth > MAX_TEMPLATE_DEPTH {
                    return Err(Error::corrupt(format!(
                        "template chain of table {:?} is too long",
                        t.name
                    )));
                }
                let tmpl = snapshot.iter().find(|s| s.name == n).ok_or_else(|| {
                    Error::corrupt(format!("template table {n:?} of {:?} is missing", t.name))
                })?;
                for c in &tmpl.columns {
                    let mut c = c.clone();
                    c.is_from_template = true;
                    t.columns.push(c);
                }
                name = tmpl.template_table.clone();
            }
            t.layout_fixed();
        }
        Ok(Catalog {
            tables: tables.into_values().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(objid_table: u32, kind: i16, id: u32, coltyp_or_fdp: u32, name: &str) -> CatalogRow {
        CatalogRow {
            objid_table,
            kind,
            id,
            coltyp_or_fdp,
            space_usage: 0,
            flags: 0,
            pages_or_locale: 1252,
            name: name.into(),
            template_table: None,
            default_value: None,
            key_fld_ids: None,
        }
    }

    #[test]
    fn derived_tables_inherit_template_columns_and_fixed_offsets_follow_ids() {
        let mut derived = row(9, OBJECT_TABLE, 9, 40, "derived");
        derived.template_table = Some("tmpl".into());
        let mut index = row(8, OBJECT_INDEX, 10, 31, "primary");
        index.key_fld_ids = Some(vec![1, 0, 1, 0, 0, 0, 0, 1]);
        let rows = vec![
            row(8, OBJECT_TABLE, 8, 31, "tmpl"),
            row(8, OBJECT_COLUMN, 1, 4, "a"),
            row(8, OBJECT_COLUMN, 256, 11, "blob"),
            index,
            row(8, OBJECT_LONG_VALUE, 11, 33, "LV"),
            derived,
            row(9, OBJECT_COLUMN, 2, 17, "b"),
        ];
        let cat = Catalog::build(rows).unwrap();
        let t = cat.tables.iter().find(|t| t.name == "derived").unwrap();
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "blob"]);
        assert!(t.columns[0].is_from_template && !t.columns[1].is_from_template);
        assert_eq!(
            (t.columns[0].fixed_offset, t.columns[1].fixed_offset),
            (0, 4)
        );
        let tmpl = cat.tables.iter().find(|t| t.name == "tmpl").unwrap();
        assert_eq!(tmpl.lv_fdp, Some(33));
        assert_eq!(tmpl.indexes[0].key.len(), 2);
        assert!(tmpl.indexes[0].key[0].is_descending);
        assert_eq!(tmpl.indexes[0].key[1].column_id, 256);
    }

    #[test]
    fn a_missing_or_cyclic_template_is_corrupt() {
        let mut a = row(8, OBJECT_TABLE, 8, 31, "a");
        a.template_table = Some("b".into());
        let mut b = row(9, OBJECT_TABLE, 9, 32, "b");
        b.template_table = Some("a".into());
        assert_eq!(
            Catalog::build(vec![a.clone(), b]).unwrap_err().jet_code(),
            -1206
        );
        assert_eq!(Catalog::build(vec![a]).unwrap_err().jet_code(), -1206);
    }
}
