//! The record format: the leaf data of a table's primary tree.
//!
//! ```text
//!  0  u8   fidFixedLastInRec   highest fixed column id present (1..127, 0 = none)
//!  1  u8   fidVarLastInRec     highest variable column id present (128..255, 127 = none)
//!  2  u16  ibEndOfFixedData    where the variable-offset array starts
//!  4  ...  fixed values, in column-id order, each at its catalog size
//!     ...  null bitmap: ceil(fixed_last / 8) bytes ending at ibEndOfFixedData; bit k = column k+1
//!  ibEndOfFixedData
//!     u16 end offset per variable column (0x8000 = NULL), relative to the variable data
//!     variable data
//!     tagged area: u16 column id + u16 offset per TAGFLD, then the values
//! ```
//!
//! On small pages a TAGFLD offset carries flags 0x4000 (a header byte precedes the value) and
//! 0x2000 (explicit NULL); on large pages the offset is 15 bits and the header byte is always
//! present. 0x8000 marks a column inherited from a template table.

use crate::error::{Error, Result};

/// Tagged header bit: the column is long-value typed.
pub const TAGGED_LONG_VALUE: u8 = 0x01;
/// Tagged header bit: the value is compressed in place.
pub const TAGGED_COMPRESSED: u8 = 0x02;
/// Tagged header bit: the value lives in the LV tree; the data is its LID.
pub const TAGGED_SEPARATED: u8 = 0x04;
/// Tagged header bit: multi-valued.
pub const TAGGED_MULTI_VALUES: u8 = 0x08;
/// Tagged header bit: exactly two values in the compact two-value layout.
pub const TAGGED_TWO_VALUES: u8 = 0x10;
/// Tagged header bit: NULL (large pages).
pub const TAGGED_NULL: u8 = 0x20;
/// Tagged header bit: encrypted.
pub const TAGGED_ENCRYPTED: u8 = 0x40;

/// What a record holds for one fixed or variable column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field<'a> {
    /// The record stops before this column: it reads as the column's default.
    Absent,
    /// The column is explicitly NULL.
    Null,
    /// The stored bytes.
    Data(&'a [u8]),
}

/// One entry of the tagged area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaggedField<'a> {
    /// The column id.
    pub id: u16,
    /// Whether the id refers to the template table's column.
    pub is_derived: bool,
    /// Whether the value is explicitly NULL.
    pub is_null: bool,
    /// The header byte (`TAGGED_*`), 0 when there is none.
    pub header: u8,
    /// The value bytes after the header byte.
    pub data: &'a [u8],
}

/// A parsed view over one record's bytes.
#[derive(Clone, Debug)]
pub struct Record<'a> {
    data: &'a [u8],
    fixed_last: u8,
    var_last: u8,
    end_fixed: usize,
    var_data_start: usize,
    tagged_start: usize,
    is_large_page: bool,
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(off)?, *b.get(off + 1)?]))
}

impl<'a> Record<'a> {
    /// Parse the record header and the variable-offset array.
    pub fn parse(data: &'a [u8], is_large_page: bool) -> Result<Record<'a>> {
        let bad = |what: String| Error::corrupt(format!("record: {what}"));
        if data.len() < 4 {
            return Err(bad(format!(
                "{} bytes is shorter than a header",
                data.len()
            )));
        }
        let fixed_last = data[0];
        let var_last = data[1];
        let end_fixed = usize::from(u16::from_le_bytes([data[2], data[3]]));
        if fixed_last > 127 || var_last < 127 {
            return Err(bad(format!("bad last column ids {fixed_last}/{var_last}")));
        }
        let bitmap = usize::from(fixed_last).div_ceil(8);
        if end_fixed < 4 + bitmap || end_fixed > data.len() {
            return Err(bad(format!("end of fixed data {end_fixed} out of range")));
        }
        let nvar = usize::from(var_last - 127);
        let var_data_start = end_fixed + 2 * nvar;
        if var_data_start > data.len() {
            return Err(bad("variable offsets run past the record".into()));
        }
        let mut tagged_start = var_data_start;
        if nvar > 0 {
            let last = u16_at(data, var_data_start - 2).unwrap_or(0) & 0x7fff;
            tagged_start += usize::from(last);
            if tagged_start > data.len() {
                return Err(bad("variable data runs past the record".into()));
            }
        }
        Ok(Record {
            data,
            fixed_last,
            var_last,
            end_fixed,
            var_data_start,
            tagged_start,
            is_large_page,
        })
    }

    /// The highest fixed column id present.
    pub fn fixed_last(&self) -> u8 {
        self.fixed_last
    }

    /// The highest variable column id present (127 = none).
    pub fn var_last(&self) -> u8 {
        self.var_last
    }

    /// Fixed column `id` (1..=127), stored `size` bytes at `offset` bytes after the header.
    pub fn fixed(&self, id: u32, offset: usize, size: usize) -> Result<Field<'a>> {
        if id == 0 || id > u32::from(self.fixed_last) {
            return Ok(Field::Absent);
        }
        let bitmap_start = self.end_fixed - usize::from(self.fixed_last).div_ceil(8);
        let k = (id - 1) as usize;
        if self.data[bitmap_start + k / 8] & (1 << (k % 8)) != 0 {
            return Ok(Field::Null);
        }
        let start = 4 + offset;
        if start + size > bitmap_start {
            return Err(Error::corrupt(format!(
                "record: fixed column {id} runs into the null bitmap"
            )));
        }
        Ok(Field::Data(&self.data[start..start + size]))
    }

    /// Variable column `id` (128..=255).
    pub fn variable(&self, id: u32) -> Result<Field<'a>> {
        if !(128..=u32::from(self.var_last)).contains(&id) {
            return Ok(Field::Absent);
        }
        let i = (id - 128) as usize;
        let end_raw = u16_at(self.data, self.end_fixed + 2 * i).unwrap_or(0);
        if end_raw & 0x8000 != 0 {
            return Ok(Field::Null);
        }
        let start = if i == 0 {
            0
        } else {
            usize::from(u16_at(self.data, self.end_fixed + 2 * (i - 1)).unwrap_or(0) & 0x7fff)
        };
        let end = usize::from(end_raw);
        let base = self.var_data_start;
        if start > end || base + end > self.tagged_start {
            return Err(Error::corrupt(format!(
                "record: variable column {id} has bad offsets {start}..{end}"
            )));
        }
        Ok(Field::Data(&self.data[base + start..base + end]))
    }

    /// Every entry of the tagged area, in stored (column id) order.
    pub fn tagged(&self) -> Result<Vec<TaggedField<'a>>> {
        let area = &self.data[self.tagged_start..];
        if area.is_empty() {
            return Ok(Vec::new());
        }
        let bad = |what: String| Error::corrupt(format!("record: tagged area: {what}"));
        let mask: u16 = if self.is_large_page { 0x7fff } else { 0x1fff };
        let first = u16_at(area, 2).ok_or_else(|| bad("truncated TAGFLD".into()))?;
        let count = usize::from(first & mask) / 4;
        if count == 0 || count * 4 > area.len() {
            return Err(bad(format!("TAGFLD array of {count} entries does not fit")));
        }
        let mut out = Vec::with_capacity(count);
        let mut prev_id = 0u16;
        for i in 0..count {
            let id = u16_at(area, 4 * i).unwrap_or(0);
            let ib = u16_at(area, 4 * i + 2).unwrap_or(0);
            let start = usize::from(ib & mask);
            let end = if i + 1 < count {
                usize::from(u16_at(area, 4 * i + 6).unwrap_or(0) & mask)
            } else {
                area.len()
            };
            if start < count * 4 || start > end || end > area.len() {
                return Err(bad(format!("column {id} has bad offsets {start}..{end}")));
            }
            if i > 0 && id < prev_id {
                return Err(bad(format!("column ids out of order at {id}")));
            }
            prev_id = id;
            let mut value = &area[start..end];
            let has_header = self.is_large_page || ib & 0x4000 != 0;
            let mut header = 0u8;
            if has_header && !value.is_empty() {
                header = value[0];
                value = &value[1..];
            }
            let is_null = if self.is_large_page {
                header & TAGGED_NULL != 0
            } else {
                ib & 0x2000 != 0
            };
            out.push(TaggedField {
                id,
                is_derived: ib & 0x8000 != 0,
                is_null,
                header,
                data: value,
            });
        }
        Ok(out)
    }
}

/// One element of a multi-valued tagged column, before LV resolution and decompression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MultiElement<'a> {
    /// The element bytes (a LID when `is_separated`).
    pub data: &'a [u8],
    /// Whether the element lives in the LV tree.
    pub is_separated: bool,
}

/// Split a multi-valued tagged value (header bit 0x08) into its elements.
pub fn split_multi(header: u8, data: &[u8]) -> Result<Vec<MultiElement<'_>>> {
    let bad = |what: &str| Error::corrupt(format!("record: multi-value: {what}"));
    if header & TAGGED_TWO_VALUES != 0 {
        let first_len = usize::from(*data.first().ok_or_else(|| bad("empty"))?);
        let v1 = data
            .get(1..1 + first_len)
            .ok_or_else(|| bad("first of two values runs past the field"))?;
        let v2 = &data[1 + first_len..];
        return Ok(vec![
            MultiElement {
                data: v1,
                is_separated: false,
            },
            MultiElement {
                data: v2,
                is_separated: false,
            },
        ]);
    }
    let first = usize::from(u16_at(data, 0).ok_or_else(|| bad("truncated offsets"))? & 0x7fff);
    let count = first / 2;
    if count == 0 || first > data.len() {
        return Err(bad("offset array does not fit"));
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let raw = u16_at(data, 2 * i).unwrap_or(0);
        let start = usize::from(raw & 0x7fff);
        let end = if i + 1 < count {
            usize::from(u16_at(data, 2 * i + 2).unwrap_or(0) & 0x7fff)
        } else {
            data.len()
        };
        if start < first || start > end || end > data.len() {
            return Err(bad("element offsets out of range"));
        }
        out.push(MultiElement {
            data: &data[start..end],
            is_separated: raw & 0x8000 != 0,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_variable_and_tagged_small_page() {
        // Fixed: col 1 = u32 7, col 2 NULL (bitmap bit 1); var: 128 = "ab", 129 NULL;
        // tagged: 256 with header 0x00 flag, value "xyz".
        let mut r = vec![2u8, 129, 0, 0];
        r.extend_from_slice(&7u32.to_le_bytes());
        r.extend_from_slice(&[0u8; 2]);
        r.push(0b1111_1110);
        let end_fixed = r.len() as u16;
        r[2..4].copy_from_slice(&end_fixed.to_le_bytes());
        r.extend_from_slice(&2u16.to_le_bytes());
        r.extend_from_slice(&(2u16 | 0x8000).to_le_bytes());
        r.extend_from_slice(b"ab");
        r.extend_from_slice(&256u16.to_le_bytes());
        r.extend_from_slice(&4u16.to_le_bytes());
        r.extend_from_slice(b"xyz");
        let rec = Record::parse(&r, false).unwrap();
        assert_eq!(
            rec.fixed(1, 0, 4).unwrap(),
            Field::Data(&7u32.to_le_bytes())
        );
        assert_eq!(rec.fixed(2, 4, 2).unwrap(), Field::Null);
        assert_eq!(rec.fixed(3, 6, 2).unwrap(), Field::Absent);
        assert_eq!(rec.variable(128).unwrap(), Field::Data(b"ab"));
        assert_eq!(rec.variable(129).unwrap(), Field::Null);
        assert_eq!(rec.variable(130).unwrap(), Field::Absent);
        let t = rec.tagged().unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].id, 256);
        assert_eq!(t[0].data, b"xyz");
    }

    #[test]
    fn multi_values() {
        let data = [4u8, 0, 5, 0, 9, 8, 7];
        let v = split_multi(TAGGED_MULTI_VALUES, &data).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].data, &[9]);
        assert_eq!(v[1].data, &[8, 7]);
        let two = split_multi(TAGGED_MULTI_VALUES | TAGGED_TWO_VALUES, &[1, 5, 6, 7]).unwrap();
        assert_eq!(two[0].data, &[5]);
        assert_eq!(two[1].data, &[6, 7]);
        assert!(split_multi(TAGGED_MULTI_VALUES, &[9, 0]).is_err());
    }
}
