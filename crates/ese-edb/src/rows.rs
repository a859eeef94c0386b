//! Turning a record into typed values for every column of its table, and iterating a table's
//! rows.
//!
//! A column reads as its catalog default when the record stops before it (fixed and variable
//! columns) or has no entry for it (tagged columns); an explicit NULL overrides the default.
//! Tagged values may be multi-valued, compressed in place, or separated into the long-value
//! tree; all three are resolved here.

use std::collections::HashMap;

use crate::btree::TreeCursor;
use crate::compress::decompress;
use crate::error::{Error, Result};
use crate::lv::read_long_value;
use crate::page::PAGE_FLAG_NEW_RECORD_FORMAT;
use crate::pager::Pager;
use crate::record::{
    Field, Record, TAGGED_COMPRESSED, TAGGED_ENCRYPTED, TAGGED_MULTI_VALUES, TAGGED_SEPARATED,
    TaggedField, split_multi,
};
use crate::schema::{Column, Storage, Table};
use crate::value::Value;

/// Counts of the storage features met while decoding rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Rows decoded.
    pub rows: u64,
    /// Values read from the long-value tree.
    pub long_values: u64,
    /// Values (or LV chunks) that were decompressed.
    pub compressed_values: u64,
    /// Multi-valued values.
    pub multi_values: u64,
    /// Values taken from a column default.
    pub defaults: u64,
}

impl DecodeStats {
    /// Add another set of counts to this one.
    pub fn add(&mut self, o: &DecodeStats) {
        self.rows += o.rows;
        self.long_values += o.long_values;
        self.compressed_values += o.compressed_values;
        self.multi_values += o.multi_values;
        self.defaults += o.defaults;
    }
}

/// One decoded row: a value for every column of the table, in column-id order.
#[derive(Clone, Debug)]
pub struct Row<'t> {
    table: &'t Table,
    values: Vec<Value>,
}

impl<'t> Row<'t> {
    /// The value of the column named `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        let i = self.table.columns.iter().position(|c| c.name == name)?;
        self.values.get(i)
    }

    /// `(column name, value)` pairs in column-id order.
    pub fn iter(&self) -> impl Iterator<Item = (&'t str, &Value)> {
        self.table
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .zip(self.values.iter())
    }

    /// The values in column-id order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The table the row belongs to.
    pub fn table(&self) -> &'t Table {
        self.table
    }
}

/// Decodes records of one table.
pub(crate) struct RowDecoder<'a> {
    pub(crate) pager: &'a Pager,
    pub(crate) table: &'a Table,
    pub(crate) stats: DecodeStats,
}

impl<'a> RowDecoder<'a> {
    fn typed(&self, col: &Column, bytes: &[u8]) -> Result<Value> {
        Value::decode(col.coltyp, col.codepage, bytes).map_err(|e| match e {
            Error::Corrupt { pgno, what } => Error::Corrupt {
                pgno,
                what: format!("column {:?}: {what}", col.name),
            },
            e => e,
        })
    }

    fn default_of(&mut self, col: &Column) -> Result<Value> {
        match &col.default_value {
            Some(d) => {
                self.stats.defaults += 1;
                self.typed(col, d)
            }
            None => Ok(Value::Null),
        }
    }

    fn long_value(&mut self, lid: &[u8]) -> Result<Vec<u8>> {
        let root = self.table.lv_fdp.ok_or_else(|| {
            Error::corrupt(format!(
                "table {:?} has a separated value but no long-value tree",
                self.table.name
            ))
        })?;
        let lv = read_long_value(self.pager, root, lid)?;
        self.stats.long_values += 1;
        self.stats.compressed_values += lv.compressed_chunks as u64;
        Ok(lv.data)
    }

    fn tagged_value(&mut self, col: &Column, f: &TaggedField<'_>) -> Result<Value> {
        if f.is_null {
            return Ok(Value::Null);
        }
        if f.header & TAGGED_ENCRYPTED != 0 {
            return Err(Error::Unsupported(format!(
                "encrypted column {:?}",
                col.name
            )));
        }
        if f.header & TAGGED_MULTI_VALUES != 0 {
            self.stats.multi_values += 1;
            let elems = split_multi(f.header, f.data)?;
            let mut out = Vec::with_capacity(elems.len());
            for (i, e) in elems.iter().enumerate() {
                let mut bytes = if e.is_separated {
                    self.long_value(e.data)?
                } else {
                    e.data.to_vec()
                };
                // ESE compresses only the first instance of a multi-valued column.
                if i == 0 && f.header & TAGGED_COMPRESSED != 0 && !e.is_separated {
                    bytes = decompress(&bytes)?;
                    self.stats.compressed_values += 1;
                }
                out.push(self.typed(col, &bytes)?);
            }
            return Ok(Value::Multi(out));
        }
        let bytes = if f.header & TAGGED_SEPARATED != 0 {
            self.long_value(f.data)?
        } else if f.header & TAGGED_COMPRESSED != 0 {
            self.stats.compressed_values += 1;
            decompress(f.data)?
        } else {
            f.data.to_vec()
        };
        self.typed(col, &bytes)
    }

    /// Decode one record into a value per column.
    pub(crate) fn decode(&mut self, data: &[u8]) -> Result<Vec<Value>> {
        let rec = Record::parse(data, self.pager.header().is_large_pages())?;
        let tagged = rec.tagged()?;
        let by_id: HashMap<(u16, bool), &TaggedField<'_>> =
            tagged.iter().map(|f| ((f.id, f.is_derived), f)).collect();
        let derived = self.table.template_table.is_some();
        let mut out = Vec::with_capacity(self.table.columns.len());
        for col in &self.table.columns {
            let v = match col.storage() {
                Storage::Fixed => match rec.fixed(col.id, col.fixed_offset, col.fixed_size())? {
                    Field::Absent => self.default_of(col)?,
                    Field::Null => Value::Null,
                    Field::Data(b) => {
                        // A fixed UTF-16 column declared with an odd size (255 is common) has
                        // one byte of padding that holds no code unit.
                        let b = if col.coltyp.is_text() && col.codepage == 1200 {
                            &b[..b.len() & !1]
                        } else {
                            b
                        };
                        self.typed(col, b)?
                    }
                },
                Storage::Variable => match rec.variable(col.id)? {
                    Field::Absent => self.default_of(col)?,
                    Field::Null => Value::Null,
                    Field::Data(b) => self.typed(col, b)?,
                },
                Storage::Tagged => {
                    let key = (col.id as u16, derived && col.is_from_template);
                    match by_id.get(&key) {
                        Some(f) => self.tagged_value(col, f)?,
                        None => self.default_of(col)?,
                    }
                }
            };
            out.push(v);
        }
        self.stats.rows += 1;
        Ok(out)
    }
}

/// An iterator over the rows of one table, in primary-key order.
pub struct Rows<'a> {
    cursor: TreeCursor<'a>,
    decoder: RowDecoder<'a>,
}

impl<'a> Rows<'a> {
    pub(crate) fn new(pager: &'a Pager, table: &'a Table) -> Result<Rows<'a>> {
        Ok(Rows {
            cursor: TreeCursor::first(pager, table.fdp)?,
            decoder: RowDecoder {
                pager,
                table,
                stats: DecodeStats::default(),
            },
        })
    }

    /// Counts of what decoding has met so far.
    pub fn stats(&self) -> DecodeStats {
        self.decoder.stats
    }
}

impl<'a> Iterator for Rows<'a> {
    type Item = Result<Row<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let entry = match self.cursor.next()? {
            Ok(e) => e,
            Err(e) => return Some(Err(e)),
        };
        let table = self.decoder.table;
        if entry.page_flags & PAGE_FLAG_NEW_RECORD_FORMAT == 0 {
            // Pages written before Windows XP lay tagged columns out differently.
            return Some(Err(Error::Unsupported(format!(
                "old record format on page {}",
                entry.pgno
            ))));
        }
        Some(
            self.decoder
                .decode(&entry.data)
                .map(|values| Row { table, values })
                .map_err(|e| match e {
                    Error::Corrupt { pgno: None, what } => Error::Corrupt {
                        pgno: Some(entry.pgno),
                        what,
                    },
                    e => e,
                }),
        )
    }
}
