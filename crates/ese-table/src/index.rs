//! Index definitions: key description strings, index grbits, and the checks that turn a
//! JET_INDEXCREATE into the [`KeyLayout`] key normalization works from.
//!
//! A key description lists the key columns, each a NUL-terminated token, the list ended by
//! a second NUL (reference 11 §3):
//!
//! ```text
//! "+Name\0-Age\0City\0\0"     Name ascending, Age descending, City ascending
//! ```
//!
//! The first token must start with `+` or `-`; later tokens without a sign are ascending.
//! `cbKey` must cover exactly the two final NULs (trailing bytes, the legacy LANGID, are
//! rejected); 1–16 columns. Malformed strings are JET_errIndexInvalidDef, `cbKey` 0 is
//! JET_errInvalidParameter. A column named twice is JET_errIndexInvalidDef too. Names compare
//! case-insensitively and trailing spaces are insignificant (reference 10 §1).

use std::collections::BTreeSet;

use ese_core::JetErr;
use ese_core::limits::{
    KEY_COLUMNS_MAX, KEY_MOST_LEGACY_BYTES, TUPLE_LENGTH_CHARS, TUPLE_LENGTH_MAX_DEFAULT_CHARS,
    TUPLE_LENGTH_MIN_DEFAULT_CHARS, TUPLE_TO_INDEX_MAX_CHARS, key_most_bytes,
};

use crate::coltyp::{CodePage, ColumnClass, ColumnGrbit, ColumnId, ColumnSet};
use crate::error::{Error, Result};
use crate::key::{Key, KeyColumn, KeyLayout, SegmentData};

/// The most index entries one record may produce with CrossProduct; beyond it the
/// definition is refused rather than the update exhausting memory.
pub const CROSS_PRODUCT_ENTRIES_MAX: usize = 1 << 16;

/// One column of a key description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyColumnName {
    /// The column's name, trailing spaces removed.
    pub name: String,
    /// Whether the column sorts descending (`-`).
    pub descending: bool,
}

/// Parses an A-API key description (`szKey`, `cbKey` = `bytes.len()`).
pub fn parse_key_description(bytes: &[u8]) -> Result<Vec<KeyColumnName>> {
    parse_tokens(bytes, |token| {
        String::from_utf8(token.to_vec())
            .map_err(|_| Error::IndexInvalidDef("a column name is not valid text"))
    })
}

/// Parses a W-API key description (UTF-16 code units; `cbKey` = 2 × `units.len()`).
pub fn parse_key_description_utf16(units: &[u16]) -> Result<Vec<KeyColumnName>> {
    parse_tokens(units, |token| {
        String::from_utf16(token)
            .map_err(|_| Error::IndexInvalidDef("a column name is not valid UTF-16"))
    })
}

fn parse_tokens<T: Copy + Into<u32>>(
    units: &[T],
    decode: impl Fn(&[T]) -> Result<String>,
) -> Result<Vec<KeyColumnName>> {
    if units.is_empty() {
        return Err(Error::InvalidParameter("cbKey is 0"));
    }
    let mut out: Vec<KeyColumnName> = Vec::new();
    let mut pos = 0;
    loop {
        let Some(len) = units[pos..].iter().position(|u| (*u).into() == 0) else {
            return Err(Error::IndexInvalidDef(
                "the key description does not end with two NULs",
            ));
        };
        let token = &units[pos..pos + len];
        if token.is_empty() {
            if pos + 1 != units.len() {
                return Err(Error::IndexInvalidDef(
                    "bytes follow the key description's final NUL",
                ));
            }
            break;
        }
        let (descending, name) = match token[0].into() {
            0x2B => (false, &token[1..]),
            0x2D => (true, &token[1..]),
            _ if out.is_empty() => {
                return Err(Error::IndexInvalidDef(
                    "the first key column must start with + or -",
                ));
            }
            _ => (false, token),
        };
        let name = decode(name)?.trim_end_matches(' ').to_string();
        if name.is_empty() {
            return Err(Error::IndexInvalidDef("a key column has no name"));
        }
        if out.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            return Err(Error::IndexInvalidDef("a column appears twice in the key"));
        }
        if out.len() == KEY_COLUMNS_MAX {
            return Err(Error::IndexInvalidDef("more than 16 key columns"));
        }
        out.push(KeyColumnName { name, descending });
        pos += len + 1;
    }
    if out.is_empty() {
        return Err(Error::IndexInvalidDef("the key has no columns"));
    }
    Ok(out)
}

/// Index grbits (`JET_bitIndex…`, ESE's values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IndexGrbit(pub u32);

impl IndexGrbit {
    /// No flags.
    pub const NONE: IndexGrbit = IndexGrbit(0);
    /// JET_bitIndexUnique (0x1).
    pub const UNIQUE: IndexGrbit = IndexGrbit(0x1);
    /// JET_bitIndexPrimary (0x2).
    pub const PRIMARY: IndexGrbit = IndexGrbit(0x2);
    /// JET_bitIndexDisallowNull (0x4).
    pub const DISALLOW_NULL: IndexGrbit = IndexGrbit(0x4);
    /// JET_bitIndexIgnoreNull (0x8).
    pub const IGNORE_NULL: IndexGrbit = IndexGrbit(0x8);
    /// JET_bitIndexIgnoreAnyNull (0x20).
    pub const IGNORE_ANY_NULL: IndexGrbit = IndexGrbit(0x20);
    /// JET_bitIndexIgnoreFirstNull (0x40).
    pub const IGNORE_FIRST_NULL: IndexGrbit = IndexGrbit(0x40);
    /// JET_bitIndexLazyFlush (0x80).
    pub const LAZY_FLUSH: IndexGrbit = IndexGrbit(0x80);
    /// JET_bitIndexEmpty (0x100).
    pub const EMPTY: IndexGrbit = IndexGrbit(0x100);
    /// JET_bitIndexUnversioned (0x200).
    pub const UNVERSIONED: IndexGrbit = IndexGrbit(0x200);
    /// JET_bitIndexSortNullsHigh (0x400).
    pub const SORT_NULLS_HIGH: IndexGrbit = IndexGrbit(0x400);
    /// JET_bitIndexUnicode (0x800).
    pub const UNICODE: IndexGrbit = IndexGrbit(0x800);
    /// JET_bitIndexTuples (0x1000).
    pub const TUPLES: IndexGrbit = IndexGrbit(0x1000);
    /// JET_bitIndexTupleLimits (0x2000).
    pub const TUPLE_LIMITS: IndexGrbit = IndexGrbit(0x2000);
    /// JET_bitIndexCrossProduct (0x4000).
    pub const CROSS_PRODUCT: IndexGrbit = IndexGrbit(0x4000);
    /// JET_bitIndexKeyMost (0x8000).
    pub const KEY_MOST: IndexGrbit = IndexGrbit(0x8000);
    /// JET_bitIndexDisallowTruncation (0x10000).
    pub const DISALLOW_TRUNCATION: IndexGrbit = IndexGrbit(0x10000);
    /// JET_bitIndexNestedTable (0x20000).
    pub const NESTED_TABLE: IndexGrbit = IndexGrbit(0x20000);
    /// JET_bitIndexDotNetGuid (0x40000).
    pub const DOT_NET_GUID: IndexGrbit = IndexGrbit(0x40000);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: IndexGrbit) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    pub const fn intersects(self, other: IndexGrbit) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for IndexGrbit {
    type Output = IndexGrbit;
    fn bitor(self, rhs: IndexGrbit) -> IndexGrbit {
        IndexGrbit(self.0 | rhs.0)
    }
}

/// JET_TUPLELIMITS: which substrings of its first key column a tuple index holds
/// (reference 11 §9). Lengths and offsets count characters: bytes for Binary and code-page
/// 1252 text, UTF-16 code units for code-page 1200 text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TupleLimits {
    /// chLengthMin: shorter substrings make no entry (default 3).
    pub length_min: u32,
    /// chLengthMax: the longest substring indexed (default 10).
    pub length_max: u32,
    /// chToIndexMax: only start offsets below this are indexed (default 32767).
    pub to_index_max: u32,
    /// cchIncrement: the step between start offsets (default 1).
    pub increment: u32,
    /// ichStart: the first start offset (default 0).
    pub start: u32,
}

impl Default for TupleLimits {
    fn default() -> TupleLimits {
        TupleLimits {
            length_min: TUPLE_LENGTH_MIN_DEFAULT_CHARS,
            length_max: TUPLE_LENGTH_MAX_DEFAULT_CHARS,
            to_index_max: TUPLE_TO_INDEX_MAX_CHARS,
            increment: 1,
            start: 0,
        }
    }
}

impl TupleLimits {
    /// Checks the limits: 2 ≤ chLengthMin ≤ chLengthMax ≤ 255, 1 ≤ chToIndexMax ≤ 32767,
    /// 1 ≤ cchIncrement ≤ 32767, ichStart ≤ 32767; else JET_errIndexTuplesInvalidLimits.
    pub fn validate(&self) -> Result<()> {
        let ok = TUPLE_LENGTH_CHARS.contains(&self.length_min)
            && TUPLE_LENGTH_CHARS.contains(&self.length_max)
            && self.length_min <= self.length_max
            && (1..=TUPLE_TO_INDEX_MAX_CHARS).contains(&self.to_index_max)
            && (1..=TUPLE_TO_INDEX_MAX_CHARS).contains(&self.increment)
            && self.start <= TUPLE_TO_INDEX_MAX_CHARS;
        if ok {
            Ok(())
        } else {
            Err(tuple_error(
                JetErr::INDEX_TUPLES_INVALID_LIMITS,
                "the tuple index limits are not valid",
            ))
        }
    }

    /// The substrings of `value` a tuple index holds, in start-offset order: from each
    /// offset ichStart, ichStart + cchIncrement, … below min(length, chToIndexMax), up to
    /// chLengthMax characters, kept if at least chLengthMin long. `char_bytes` is the width
    /// of one character (2 for UTF-16 text, else 1); a trailing partial character is
    /// ignored.
    pub fn substrings<'a>(&self, value: &'a [u8], char_bytes: usize) -> Vec<&'a [u8]> {
        let width = char_bytes.max(1);
        let chars = value.len() / width;
        let end = chars.min(self.to_index_max as usize);
        let step = (self.increment as usize).max(1);
        let (min, max) = (self.length_min as usize, self.length_max as usize);
        let mut out = Vec::new();
        let mut ich = self.start as usize;
        while ich < end {
            let len = max.min(chars - ich);
            if len < min {
                // Later offsets only give shorter substrings.
                break;
            }
            out.push(&value[ich * width..(ich + len) * width]);
            ich += step;
        }
        out
    }
}

/// An error of the tuple-index family, carried with its JET code.
fn tuple_error(code: JetErr, message: &str) -> Error {
    Error::Storage {
        code,
        message: message.to_string(),
    }
}

/// The storage-free part of a JET_INDEXCREATE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexDef {
    /// The key columns, from the key description.
    pub key: Vec<KeyColumnName>,
    /// The grbits.
    pub grbit: IndexGrbit,
    /// `cbKeyMost`, used only with [`IndexGrbit::KEY_MOST`].
    pub key_most_bytes: usize,
    /// `cbVarSegMac`; 0 means `cbKeyMost`.
    pub var_seg_mac: usize,
}

impl IndexDef {
    /// A definition from a key description string with `grbit` and default sizes.
    pub fn new(key_description: &[u8], grbit: IndexGrbit) -> Result<IndexDef> {
        Ok(IndexDef {
            key: parse_key_description(key_description)?,
            grbit,
            key_most_bytes: 0,
            var_seg_mac: 0,
        })
    }

    /// Checks the definition against the table's columns and pages of `page_size_bytes`
    /// and gives the layout keys are normalized with. `lookup` finds a column id by name
    /// (case-insensitively, as the catalog does).
    ///
    /// Errors: JET_errColumnNotFound, JET_errCannotIndex (escrow columns),
    /// JET_errIndexInvalidDef (cbKeyMost outside 255..=page maximum, cbVarSegMac beyond
    /// cbKeyMost, a multi-valued column in a primary index), JET_errInvalidGrbit (Ignore*Null
    /// on a primary index, Empty without IgnoreAnyNull, NestedTable with CrossProduct), and
    /// for a tuple index the JET_errIndexTuples… codes of its checks (reference 11 §9).
    pub fn resolve(
        &self,
        columns: &ColumnSet,
        lookup: impl Fn(&str) -> Option<ColumnId>,
        page_size_bytes: usize,
    ) -> Result<KeyLayout> {
        let g = self.grbit;
        let primary = g.contains(IndexGrbit::PRIMARY);
        if primary
            && g.intersects(
                IndexGrbit::IGNORE_NULL
                    | IndexGrbit::IGNORE_ANY_NULL
                    | IndexGrbit::IGNORE_FIRST_NULL,
            )
        {
            return Err(Error::InvalidGrbit("a primary index cannot ignore NULLs"));
        }
        if g.contains(IndexGrbit::NESTED_TABLE) {
            // ESE has nested-table indexes; ese-rs does not build them yet, and refuses them
            // when the index is defined rather than at the first update.
            return Err(Error::InvalidGrbit(
                "nested-table indexes are not supported",
            ));
        }
        if g.intersects(IndexGrbit::TUPLES | IndexGrbit::TUPLE_LIMITS) {
            self.check_tuples(columns, &lookup)?;
        }
        if g.contains(IndexGrbit::EMPTY) && !g.contains(IndexGrbit::IGNORE_ANY_NULL) {
            return Err(Error::InvalidGrbit("Empty needs IgnoreAnyNull"));
        }
        if g.contains(IndexGrbit::NESTED_TABLE | IndexGrbit::CROSS_PRODUCT) {
            return Err(Error::InvalidGrbit("NestedTable with CrossProduct"));
        }
        let key_most = if g.contains(IndexGrbit::KEY_MOST) {
            if !(KEY_MOST_LEGACY_BYTES..=key_most_bytes(page_size_bytes))
                .contains(&self.key_most_bytes)
            {
                return Err(Error::IndexInvalidDef("cbKeyMost out of range"));
            }
            self.key_most_bytes
        } else {
            KEY_MOST_LEGACY_BYTES
        };
        if self.var_seg_mac > key_most {
            return Err(Error::IndexInvalidDef("cbVarSegMac beyond cbKeyMost"));
        }
        let mut key_columns = Vec::with_capacity(self.key.len());
        for k in &self.key {
            let id = lookup(&k.name).ok_or(Error::ColumnNotFound)?;
            let col = columns.get(id)?;
            if col.has(ColumnGrbit::ESCROW_UPDATE) {
                return Err(Error::CannotIndex);
            }
            if primary && col.has(ColumnGrbit::MULTI_VALUED) {
                return Err(Error::IndexInvalidDef(
                    "a primary index cannot have multi-valued columns",
                ));
            }
            key_columns.push(KeyColumn {
                id,
                coltyp: col.coltyp,
                code_page: col.code_page,
                is_fixed: col.class() == ColumnClass::Fixed,
                max_bytes: col.max_bytes,
                descending: k.descending,
            });
        }
        Ok(KeyLayout {
            columns: key_columns,
            key_most_bytes: key_most,
            var_seg_mac: self.var_seg_mac,
            sort_nulls_high: g.contains(IndexGrbit::SORT_NULLS_HIGH)
                && !g.contains(IndexGrbit::DISALLOW_NULL),
            dot_net_guid: g.contains(IndexGrbit::DOT_NET_GUID),
            disallow_truncation: g.contains(IndexGrbit::DISALLOW_TRUNCATION),
        })
    }
}

impl IndexDef {
    /// The checks of a tuple index (reference 11 §9), in ESE's order: secondary only
    /// (JET_errIndexTuplesSecondaryIndexOnly), non-unique only
    /// (JET_errIndexTuplesNonUniqueOnly), no cbVarSegMac (JET_errIndexInvalidDef: the
    /// shared code table has no JET_errIndexTuplesVarSegMacNotAllowed), the first key
    /// column Text, LongText, Binary or LongBinary
    /// (JET_errIndexTuplesTextBinaryColumnsOnly). Custom limits
    /// (JET_bitIndexTupleLimits) cannot be carried by an [`IndexDef`] and are
    /// JET_errInvalidGrbit; the index uses [`TupleLimits::default`].
    fn check_tuples(
        &self,
        columns: &ColumnSet,
        lookup: &impl Fn(&str) -> Option<ColumnId>,
    ) -> Result<()> {
        let g = self.grbit;
        if g.contains(IndexGrbit::PRIMARY) {
            return Err(tuple_error(
                JetErr::INDEX_TUPLES_SECONDARY_INDEX_ONLY,
                "a tuple index must be a secondary index",
            ));
        }
        if g.contains(IndexGrbit::UNIQUE) {
            return Err(tuple_error(
                JetErr::INDEX_TUPLES_NON_UNIQUE_ONLY,
                "a tuple index cannot be unique",
            ));
        }
        if g.contains(IndexGrbit::TUPLE_LIMITS) {
            return Err(Error::InvalidGrbit(
                "custom tuple limits are not carried by the index definition",
            ));
        }
        if self.var_seg_mac != 0 {
            return Err(Error::IndexInvalidDef(
                "a tuple index cannot set cbVarSegMac",
            ));
        }
        let first = self
            .key
            .first()
            .ok_or(Error::IndexInvalidDef("the key has no columns"))?;
        let id = lookup(&first.name).ok_or(Error::ColumnNotFound)?;
        let coltyp = columns.get(id)?.coltyp;
        if !(coltyp.is_text() || coltyp.is_binary()) {
            return Err(tuple_error(
                JetErr::INDEX_TUPLES_TEXT_BINARY_COLUMNS_ONLY,
                "the first column of a tuple index must be text or binary",
            ));
        }
        TupleLimits::default().validate()
    }
}

/// The keys of the index entries one record makes (reference 11 §8), sorted and without
/// duplicates.
///
/// `column_values[i]` holds the values of key column `i` in itagSequence order (an empty
/// list is NULL; [`crate::Record::key_values`] gathers them, expanding only MultiValued
/// columns). By default the first key column with several values makes one entry per value
/// while the others contribute their first value; with CrossProduct every combination is
/// made. Rows are skipped per IgnoreNull (all NULL), IgnoreAnyNull and IgnoreFirstNull;
/// DisallowNull makes any NULL segment JET_errNullKeyDisallowed.
///
/// A tuple index (JET_bitIndexTuples, reference 11 §9) first replaces the values of its
/// first key column by their substrings per [`TupleLimits::default`] and then proceeds as
/// above, one entry per substring; a non-NULL value with no substring long enough makes no
/// entry. NestedTable indexes are not handled (JET_errInvalidGrbit, also from
/// [`IndexDef::resolve`]).
pub fn index_entries(
    layout: &KeyLayout,
    grbit: IndexGrbit,
    column_values: &[Vec<SegmentData<'_>>],
) -> Result<Vec<Key>> {
    index_entries_with(layout, grbit, &TupleLimits::default(), column_values)
}

/// [`index_entries`] with the tuple limits `tuples` (used only by a tuple index).
pub fn index_entries_with(
    layout: &KeyLayout,
    grbit: IndexGrbit,
    tuples: &TupleLimits,
    column_values: &[Vec<SegmentData<'_>>],
) -> Result<Vec<Key>> {
    if grbit.contains(IndexGrbit::NESTED_TABLE) {
        return Err(Error::InvalidGrbit(
            "nested-table indexes are not supported yet",
        ));
    }
    const NULL: [SegmentData<'static>; 1] = [SegmentData::Null];
    let mut tuple_values: Vec<SegmentData<'_>> = Vec::new();
    let is_tuple = grbit.intersects(IndexGrbit::TUPLES | IndexGrbit::TUPLE_LIMITS);
    if is_tuple {
        tuples.validate()?;
        let (Some(first), Some(values)) = (layout.columns.first(), column_values.first()) else {
            return Err(Error::IndexInvalidDef("a tuple index has no key column"));
        };
        let char_bytes = match first.code_page {
            Some(CodePage::Unicode) if first.coltyp.is_text() => 2,
            _ => 1,
        };
        for v in values {
            if let SegmentData::Value(bytes) = v {
                tuple_values.extend(
                    tuples
                        .substrings(bytes, char_bytes)
                        .into_iter()
                        .map(SegmentData::Value),
                );
            }
        }
        if !values.is_empty() && tuple_values.is_empty() {
            return Ok(Vec::new());
        }
    }
    if !is_tuple && column_values.iter().all(|v| v.len() <= 1) {
        // One combination only (every column has one value or is NULL): its entry, if any.
        let values: Vec<SegmentData<'_>> = column_values
            .iter()
            .map(|v| v.first().copied().unwrap_or(SegmentData::Null))
            .collect();
        return Ok(single_entry(layout, grbit, &values)?.into_iter().collect());
    }
    let lists: Vec<&[SegmentData<'_>]> = column_values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if is_tuple && i == 0 && !tuple_values.is_empty() {
                &tuple_values[..]
            } else if v.is_empty() {
                &NULL[..]
            } else {
                &v[..]
            }
        })
        .collect();
    let combos: Vec<Vec<usize>> = if grbit.contains(IndexGrbit::CROSS_PRODUCT) {
        let total = lists
            .iter()
            .try_fold(1usize, |acc, l| acc.checked_mul(l.len()))
            .filter(|n| *n <= CROSS_PRODUCT_ENTRIES_MAX)
            .ok_or(Error::InvalidParameter(
                "too many cross-product index entries",
            ))?;
        (0..total)
            .map(|mut n| {
                let mut pick = vec![0; lists.len()];
                for (i, l) in lists.iter().enumerate().rev() {
                    pick[i] = n % l.len();
                    n /= l.len();
                }
                pick
            })
            .collect()
    } else {
        match lists.iter().position(|l| l.len() > 1) {
            Some(mv) => (0..lists[mv].len())
                .map(|k| {
                    let mut pick = vec![0; lists.len()];
                    pick[mv] = k;
                    pick
                })
                .collect(),
            None => vec![vec![0; lists.len()]],
        }
    };
    let mut keys = BTreeSet::new();
    for pick in combos {
        let values: Vec<SegmentData<'_>> = pick.iter().zip(&lists).map(|(k, l)| l[*k]).collect();
        if let Some(key) = single_entry(layout, grbit, &values)? {
            keys.insert((key.bytes, key.truncated));
        }
    }
    let mut out: Vec<Key> = Vec::with_capacity(keys.len());
    for (bytes, truncated) in keys {
        // The same bytes made once truncated and once not are one entry.
        if out.last().is_some_and(|k| k.bytes == bytes) {
            continue;
        }
        out.push(Key { bytes, truncated });
    }
    Ok(out)
}

/// The entry of one combination of key values (one per key column, [`SegmentData::Null`]
/// for NULL) in an index with `grbit`: `None` when the index ignores the combination's
/// NULLs; JET_errNullKeyDisallowed when it disallows them.
pub(crate) fn single_entry(
    layout: &KeyLayout,
    grbit: IndexGrbit,
    values: &[SegmentData<'_>],
) -> Result<Option<Key>> {
    single_entry_in(layout, grbit, values, Vec::new())
}

/// [`single_entry`] with the key built in `buf` (a buffer kept from an earlier key saves
/// the allocation).
pub(crate) fn single_entry_in(
    layout: &KeyLayout,
    grbit: IndexGrbit,
    values: &[SegmentData<'_>],
    buf: Vec<u8>,
) -> Result<Option<Key>> {
    let is_null = |v: &SegmentData<'_>| matches!(v, SegmentData::Null);
    let any_null = values.iter().any(is_null);
    if any_null && grbit.contains(IndexGrbit::DISALLOW_NULL) {
        return Err(Error::NullKeyDisallowed);
    }
    let skip = (grbit.contains(IndexGrbit::IGNORE_NULL) && values.iter().all(is_null))
        || (grbit.contains(IndexGrbit::IGNORE_ANY_NULL) && any_null)
        || (grbit.contains(IndexGrbit::IGNORE_FIRST_NULL) && values.first().is_some_and(is_null));
    if skip {
        return Ok(None);
    }
    layout.index_key_in(values, buf).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coltyp::{ColumnSpec, ColumnType};

    fn col(name: &str, descending: bool) -> KeyColumnName {
        KeyColumnName {
            name: name.to_string(),
            descending,
        }
    }

    #[test]
    fn key_descriptions_parse() {
        assert_eq!(
            parse_key_description(b"+Name\0-Age\0City \0\0").unwrap(),
            vec![col("Name", false), col("Age", true), col("City", false)]
        );
        assert_eq!(
            parse_key_description(b"-a\0\0").unwrap(),
            vec![col("a", true)]
        );
        let w: Vec<u16> = "+Nom\0-Âge\0\0".encode_utf16().collect();
        assert_eq!(
            parse_key_description_utf16(&w).unwrap(),
            vec![col("Nom", false), col("Âge", true)]
        );
        let sixteen: String = (0..16).map(|i| format!("+c{i}\0")).collect::<String>() + "\0";
        assert_eq!(parse_key_description(sixteen.as_bytes()).unwrap().len(), 16);
    }

    #[test]
    fn malformed_key_descriptions_are_rejected() {
        let seventeen: String = (0..17).map(|i| format!("+c{i}\0")).collect::<String>() + "\0";
        // (description, JET code)
        let cases: Vec<(&[u8], i32)> = vec![
            (b"", -1003),
            (b"Name\0\0", -1406),
            (b"+Name\0", -1406),
            (b"+Name", -1406),
            (b"\0", -1406),
            (b"\0\0", -1406),
            (b"+\0\0", -1406),
            (b"+   \0\0", -1406),
            (b"+Name\0\0\x09\x04", -1406),
            (b"+Name\0\0\0", -1406),
            (b"+a\0-A\0\0", -1406),
            (b"+a\0\xff\0\0", -1406),
            (seventeen.as_bytes(), -1406),
        ];
        for (desc, code) in cases {
            let got = parse_key_description(desc).map_err(|e| e.jet_code());
            assert_eq!(got, Err(code), "{desc:?}");
        }
        // The W API follows the same rules over UTF-16 code units.
        let w = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
        for (desc, code) in [
            ("", -1003),
            ("a\0\0", -1406),
            ("+a\0", -1406),
            ("+a\0\0x", -1406),
        ] {
            let got = parse_key_description_utf16(&w(desc)).map_err(|e| e.jet_code());
            assert_eq!(got, Err(code), "{desc:?}");
        }
        assert_eq!(
            parse_key_description_utf16(&[0x2B, 0xD800, 0, 0]).map_err(|e| e.jet_code()),
            Err(-1406)
        );
    }

    #[test]
    fn definitions_resolve_against_columns() {
        let mut set = ColumnSet::new(ese_core::limits::record_most_bytes(8192));
        let (a, _) = set
            .add(&ColumnSpec::new(ColumnType::Long, ColumnGrbit::NONE), true)
            .unwrap();
        let (t, _) = set
            .add(&ColumnSpec::new(ColumnType::Text, ColumnGrbit::NONE), true)
            .unwrap();
        let escrow = ColumnSpec {
            default: vec![0; 4],
            ..ColumnSpec::new(ColumnType::Long, ColumnGrbit::ESCROW_UPDATE)
        };
        let (e, _) = set.add(&escrow, true).unwrap();
        let (m, _) = set
            .add(
                &ColumnSpec::new(
                    ColumnType::Long,
                    ColumnGrbit::TAGGED | ColumnGrbit::MULTI_VALUED,
                ),
                true,
            )
            .unwrap();
        let lookup = |name: &str| match name.to_ascii_lowercase().as_str() {
            "a" => Some(a),
            "t" => Some(t),
            "e" => Some(e),
            "m" => Some(m),
            _ => None,
        };
        let def = IndexDef::new(b"+A\0-t\0\0", IndexGrbit::SORT_NULLS_HIGH).unwrap();
        let layout = def.resolve(&set, lookup, 8192).unwrap();
        assert_eq!(layout.key_most_bytes, 255);
        assert!(layout.sort_nulls_high);
        assert_eq!(layout.columns.len(), 2);
        assert!(layout.columns[1].descending && !layout.columns[1].is_fixed);

        let mut big = IndexDef::new(b"+a\0\0", IndexGrbit::KEY_MOST).unwrap();
        big.key_most_bytes = 2000;
        assert_eq!(
            big.resolve(&set, lookup, 8192).unwrap().key_most_bytes,
            2000
        );
        // (definition, JET code)
        let bad = |desc: &[u8], grbit: IndexGrbit, key_most: usize, seg: usize| IndexDef {
            key_most_bytes: key_most,
            var_seg_mac: seg,
            ..IndexDef::new(desc, grbit).unwrap()
        };
        let cases = vec![
            (bad(b"+x\0\0", IndexGrbit::NONE, 0, 0), 8192, -1507),
            (bad(b"+e\0\0", IndexGrbit::NONE, 0, 0), 8192, -1071),
            (bad(b"+m\0\0", IndexGrbit::PRIMARY, 0, 0), 8192, -1406),
            (bad(b"+a\0\0", IndexGrbit::KEY_MOST, 2000, 0), 4096, -1406),
            (bad(b"+a\0\0", IndexGrbit::KEY_MOST, 254, 0), 4096, -1406),
            (bad(b"+a\0\0", IndexGrbit::NONE, 0, 256), 4096, -1406),
            (
                bad(
                    b"+a\0\0",
                    IndexGrbit::PRIMARY | IndexGrbit::IGNORE_NULL,
                    0,
                    0,
                ),
                4096,
                -900,
            ),
            (bad(b"+a\0\0", IndexGrbit::EMPTY, 0, 0), 4096, -900),
            (
                bad(
                    b"+a\0\0",
                    IndexGrbit::NESTED_TABLE | IndexGrbit::CROSS_PRODUCT,
                    0,
                    0,
                ),
                4096,
                -900,
            ),
        ];
        for (def, page, code) in cases {
            let got = def
                .resolve(&set, lookup, page)
                .map(|_| ())
                .map_err(|e| e.jet_code());
            assert_eq!(got, Err(code), "{def:?}");
        }
    }

    #[test]
    fn records_make_one_entry_per_multi_value() {
        use crate::record::{Record, SetGrbit};
        let mut set = ColumnSet::new(ese_core::limits::record_most_bytes(4096));
        let (n, _) = set
            .add(&ColumnSpec::new(ColumnType::Long, ColumnGrbit::NONE), true)
            .unwrap();
        let mv = ColumnSpec::new(
            ColumnType::Text,
            ColumnGrbit::TAGGED | ColumnGrbit::MULTI_VALUED,
        );
        let (tags, _) = set.add(&mv, true).unwrap();
        let (other, _) = set.add(&mv, true).unwrap();
        let (plain, _) = set
            .add(
                &ColumnSpec::new(ColumnType::Text, ColumnGrbit::TAGGED),
                true,
            )
            .unwrap();
        let lookup = |name: &str| match name {
            "n" => Some(n),
            "tags" => Some(tags),
            "other" => Some(other),
            "plain" => Some(plain),
            _ => None,
        };
        let mut r = Record::new();
        r.set(&set, n, 1, &3i32.to_le_bytes(), SetGrbit::NONE)
            .unwrap();
        for v in [b"b", b"a", b"B"] {
            r.append(&set, tags, v, SetGrbit::NONE).unwrap();
        }
        for v in [b"x", b"y"] {
            r.append(&set, other, v, SetGrbit::NONE).unwrap();
            r.append(&set, plain, v, SetGrbit::NONE).unwrap();
        }
        let entries = |r: &Record, desc: &[u8], grbit: IndexGrbit| {
            let layout = IndexDef::new(desc, grbit)
                .unwrap()
                .resolve(&set, lookup, 4096)
                .unwrap();
            let values = r.key_values(&set, &layout).unwrap();
            index_entries(&layout, grbit, &values)
                .map(|keys| keys.into_iter().map(|k| k.bytes).collect::<Vec<_>>())
        };
        // "b" and "B" normalize alike: one entry each for A and B.
        assert_eq!(
            entries(&r, b"+tags\0+n\0\0", IndexGrbit::NONE).unwrap(),
            vec![
                vec![0x7F, b'A', 0, 0x7F, 0x80, 0, 0, 3],
                vec![0x7F, b'B', 0, 0x7F, 0x80, 0, 0, 3],
            ]
        );
        // Only the first multi-valued column expands; a non-MultiValued tagged column
        // contributes its first value.
        assert_eq!(
            entries(&r, b"+tags\0+other\0\0", IndexGrbit::NONE)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            entries(&r, b"+plain\0\0", IndexGrbit::NONE).unwrap().len(),
            1
        );
        assert_eq!(
            entries(&r, b"+tags\0+other\0\0", IndexGrbit::CROSS_PRODUCT)
                .unwrap()
                .len(),
            4
        );
        // NULL handling.
        r.set(&set, n, 1, b"", SetGrbit::NONE).unwrap();
        assert_eq!(
            entries(&r, b"+n\0\0", IndexGrbit::NONE).unwrap(),
            vec![vec![0x00]]
        );
        assert_eq!(
            entries(&r, b"+n\0\0", IndexGrbit::IGNORE_NULL)
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            entries(&r, b"+n\0+tags\0\0", IndexGrbit::IGNORE_NULL)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            entries(&r, b"+n\0+tags\0\0", IndexGrbit::IGNORE_ANY_NULL)
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            entries(&r, b"+tags\0+n\0\0", IndexGrbit::IGNORE_FIRST_NULL)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            entries(&r, b"+n\0+tags\0\0", IndexGrbit::IGNORE_FIRST_NULL)
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            entries(&r, b"+tags\0+n\0\0", IndexGrbit::DISALLOW_NULL).map_err(|e| e.jet_code()),
            Err(-1053)
        );
    }
}
