//! Records: ese-rs's own byte layout for a row, and the editor JetSetColumn and
//! JetRetrieveColumn work through.
//!
//! The model is ESE's (reference 10 §4, §7–§8 and 13 §3, §8): fixed columns (ids 1–127) always
//! take their full width plus a null bit; variable columns (ids 128–255) take an end offset with
//! a null bit; tagged columns (ids 256–65248) take space only when set, sorted by id, and may
//! hold several values addressed by a 1-based itagSequence. The bytes are our own: nothing here
//! has to be readable by esent.dll (ese-edb reads Windows' format).
//!
//! # Layout
//!
//! Little-endian throughout. `F` fixed columns (ids 1..=F), `V` variable columns
//! (ids 128..128+V) and `T` tagged columns are stored:
//!
//! ```text
//! +0  u8   format (1)
//! +1  u8   F  (0..=127)
//! +2  u8   V  (0..=128)
//! +3  u8   reserved, 0
//! +4  u16  T  (tagged columns present)
//! +6  ⌈F/8⌉ bytes  fixed null bitmap: bit (fid-1) set = NULL; unused bits 0
//!     Σ width(fid), fid 1..=F   fixed data; a NULL column's bytes are 0
//!     V × u16      variable end offsets, from the start of the variable data;
//!                  bit 15 set = NULL (and the offset repeats the previous end)
//!     …            variable data
//!     T × 5 bytes  tagged directory, ids strictly ascending:
//!                    u16 fid | u8 flags | u16 end offset from the start of tagged data
//!     …            tagged data, one slice per directory entry
//! ```
//!
//! Tagged flags: `0x01` explicit NULL (the slice is empty; it hides the column's default),
//! `0x02` multi-valued, `0x04` the single value is a separated long-value reference. A
//! single value's slice is the value itself (or an 8-byte [`LvRef`]). A multi-valued slice
//! (two values or more) is:
//!
//! ```text
//! u16 n (≥ 2) | n × u16 end offset (bit 15 = separated LV) | value bytes…
//! ```
//!
//! Offsets fit in 15 bits because no record exceeds [`FORMAT_MOST_BYTES`]. The encoding is
//! canonical: [`Record::decode`] accepts exactly the bytes [`Record::encode`] can produce, so
//! `encode(decode(b)) == b` for every accepted `b`, and anything else is
//! [`Error::Corrupt`] (JET_errDatabaseCorrupted), never a panic.
//!
//! A reader that needs a few values need not decode: [`RecordLayout::parse`] makes every
//! check of [`Record::decode`] without building the record (only a multi-valued column is
//! still checked by decoding its values) and notes where the parts start, and
//! [`Record::retrieve_stored`] then reads one value in place with [`Record::retrieve`]'s
//! rules.
//!
//! # Defaults and absent columns
//!
//! A record may end before a column that was added later: fixed ids above `F`, variable ids
//! at or above `128 + V`, and absent tagged columns read their default (unless
//! [`RetrieveGrbit::IGNORE_DEFAULT`]) — ESE's virtual defaults. A stored NULL never reads
//! the default. [`Record::new_insert`] materializes fixed and variable defaults, as
//! `JET_prepInsert` copies the table's default record. Growing the fixed or variable area to
//! reach a higher id fills the ids in between with their defaults, so what they read does
//! not change.
//!
//! # Sizes
//!
//! Every set is checked before it changes anything: a value of the wrong size gives
//! JET_errInvalidBufferSize (fixed columns), a variable value longer than `cbMax` is cut with
//! JET_wrnColumnMaxTruncated, a tagged value longer than `cbMax` is JET_errColumnTooBig, and
//! a record that would encode beyond the table's limit is JET_errRecordTooBig with the
//! record unchanged. Long values that belong in the long-value tree are the caller's to
//! separate ([`Record::set_separated`]); that tree is not part of this module.

use std::collections::BTreeMap;

use ese_core::limits::{
    COLUMN_MOST_BYTES, FIXED_COLUMNS_MAX, TAGGED_COLUMN_IDS, VARIABLE_COLUMNS_MAX,
    record_most_bytes,
};

use crate::coltyp::{CodePage, ColumnClass, ColumnDef, ColumnGrbit, ColumnId, ColumnSet};
use crate::error::{Error, Result, Warning};
use crate::key::{KeyColumn, KeyLayout, SegmentData};

/// The format byte that opens every record.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes before the fixed null bitmap.
pub const HEADER_BYTES: usize = 6;
/// Bytes of one tagged directory entry.
pub const TAGGED_ENTRY_BYTES: usize = 5;
/// Bytes of a separated long-value reference in a record.
pub const LV_REF_BYTES: usize = 8;
/// The largest record this format can describe: offsets are 15-bit.
pub const FORMAT_MOST_BYTES: usize = 0x7FFF;

const NULL_BIT: u16 = 0x8000;
const FLAG_NULL: u8 = 0x01;
const FLAG_MULTI: u8 = 0x02;
const FLAG_SEPARATED: u8 = 0x04;
const FIRST_VARIABLE_FID: u16 = 128;

// Every record limit ESE has must be expressible with 15-bit offsets.
const _: () = assert!(record_most_bytes(32 * 1024) <= FORMAT_MOST_BYTES);
const _: () = assert!(FIXED_COLUMNS_MAX <= u8::MAX as usize);
const _: () = assert!(VARIABLE_COLUMNS_MAX <= u8::MAX as usize);
const _: () = assert!(*TAGGED_COLUMN_IDS.end() <= u16::MAX as u32);

/// The bytes a record needs for `count` fixed columns holding `data_bytes` in all, with no
/// variable or tagged column: the least any record of such a table can take.
pub const fn fixed_area_bytes(count: usize, data_bytes: usize) -> usize {
    HEADER_BYTES + count.div_ceil(8) + data_bytes
}

/// A separated long value: the id of its entry in the table's long-value tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LvRef(pub u64);

/// A stored value: its bytes, or a reference to a separated long value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredValue {
    /// The value is in the record.
    Intrinsic(Vec<u8>),
    /// The value is in the long-value tree.
    Separated(LvRef),
}

impl StoredValue {
    fn encoded_len(&self) -> usize {
        match self {
            StoredValue::Intrinsic(v) => v.len(),
            StoredValue::Separated(_) => LV_REF_BYTES,
        }
    }

    fn as_ref(&self) -> ValueRef<'_> {
        match self {
            StoredValue::Intrinsic(v) => ValueRef::Intrinsic(v),
            StoredValue::Separated(lv) => ValueRef::Separated(*lv),
        }
    }
}

/// A retrieved value, borrowed from the record or from the column's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRef<'a> {
    /// The value's bytes.
    Intrinsic(&'a [u8]),
    /// A separated long value, to be read from the long-value tree.
    Separated(LvRef),
}

/// JetSetColumn grbits this module acts on (`JET_bitSet…`, ESE's values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SetGrbit(pub u32);

impl SetGrbit {
    /// No flags: empty data means NULL.
    pub const NONE: SetGrbit = SetGrbit(0);
    /// JET_bitSetAppendLV (0x1): append to a long value.
    pub const APPEND_LV: SetGrbit = SetGrbit(0x1);
    /// JET_bitSetOverwriteLV (0x4): write at ibLongValue, extending but never shrinking.
    pub const OVERWRITE_LV: SetGrbit = SetGrbit(0x4);
    /// JET_bitSetSizeLV (0x8): resize a long value to cbData bytes (zero-extend or cut).
    pub const SIZE_LV: SetGrbit = SetGrbit(0x8);
    /// JET_bitSetSeparateLV (0x40): store the long value in the long-value tree.
    pub const SEPARATE_LV: SetGrbit = SetGrbit(0x40);
    /// JET_bitSetUniqueNormalizedMultiValues (0x100): fail if a value with the same
    /// normalized key exists (JET_errMultiValuedDuplicate, or
    /// JET_errMultiValuedDuplicateAfterTruncation when the keys are equal only once cut).
    pub const UNIQUE_NORMALIZED_MULTI_VALUES: SetGrbit = SetGrbit(0x100);
    /// JET_bitSetIntrinsicLV (0x400): keep the long value in the record if it fits.
    pub const INTRINSIC_LV: SetGrbit = SetGrbit(0x400);
    /// JET_bitSetZeroLength (0x20): empty data is a zero-length value, not NULL (fixed
    /// columns still become NULL).
    pub const ZERO_LENGTH: SetGrbit = SetGrbit(0x20);
    /// JET_bitSetUniqueMultiValues (0x80): fail with JET_errMultiValuedDuplicate if an
    /// equal value (raw bytes) exists.
    pub const UNIQUE_MULTI_VALUES: SetGrbit = SetGrbit(0x80);
    /// JET_bitSetRevertToDefaultValue (0x200): removing a tagged column's last value
    /// shows the default again instead of storing an explicit NULL.
    pub const REVERT_TO_DEFAULT_VALUE: SetGrbit = SetGrbit(0x200);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: SetGrbit) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for SetGrbit {
    type Output = SetGrbit;
    fn bitor(self, rhs: SetGrbit) -> SetGrbit {
        SetGrbit(self.0 | rhs.0)
    }
}

/// JetRetrieveColumn grbits this module acts on (`JET_bitRetrieve…`, ESE's values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RetrieveGrbit(pub u32);

impl RetrieveGrbit {
    /// No flags.
    pub const NONE: RetrieveGrbit = RetrieveGrbit(0);
    /// JET_bitRetrieveCopy (0x1): read the prepared update's copy buffer (a cursor's flag;
    /// [`Record::retrieve`] ignores it).
    pub const COPY: RetrieveGrbit = RetrieveGrbit(0x1);
    /// JET_bitRetrieveTag (0x8): report which itagSequence produced the value (the cursor
    /// answers it; [`Record::retrieve`] ignores it).
    pub const TAG: RetrieveGrbit = RetrieveGrbit(0x8);
    /// JET_bitRetrieveNull (0x10): do not skip NULL values. This format stores no NULL
    /// inside a value list (setting NULL removes the value), so the flag changes nothing;
    /// it is accepted for the API's sake.
    pub const NULL: RetrieveGrbit = RetrieveGrbit(0x10);
    /// JET_bitRetrieveIgnoreDefault (0x20): an absent column reads NULL, not its default.
    pub const IGNORE_DEFAULT: RetrieveGrbit = RetrieveGrbit(0x20);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: RetrieveGrbit) -> bool {
        self.0 & other.0 == other.0
    }
}

/// A column physically present in a record, as [`Record::present_columns`] lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresentColumn {
    /// The column.
    pub id: ColumnId,
    /// How many values are stored (0 for an explicit NULL).
    pub values: usize,
    /// Whether the column is an explicit NULL hiding a tagged default.
    pub explicit_null: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct FixedSlot {
    width: usize,
    value: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tagged {
    /// An explicit NULL, stored to hide the column's default.
    Null,
    /// One value or more.
    Values(Vec<StoredValue>),
}

impl Tagged {
    fn data_len(&self) -> usize {
        match self {
            Tagged::Null => 0,
            Tagged::Values(v) if v.len() == 1 => v[0].encoded_len(),
            Tagged::Values(v) => {
                2 + 2 * v.len() + v.iter().map(StoredValue::encoded_len).sum::<usize>()
            }
        }
    }
}

/// A record being read or edited: ESE's copy buffer, decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    fixed: Vec<FixedSlot>,
    variable: Vec<Option<Vec<u8>>>,
    tagged: BTreeMap<u16, Tagged>,
    /// Value buffers of an earlier record, kept by [`Record::reset_insert`] for the values
    /// set next, so that a cursor inserting row after row allocates none.
    spare: Spare,
}

/// Emptied byte buffers a record may reuse. They hold no value: a clone starts without
/// any, and two records compare equal whatever buffers they keep.
#[derive(Default)]
struct Spare(Vec<Vec<u8>>);

impl Spare {
    /// A buffer holding a copy of `data`, reusing a kept one when there is one.
    fn copy_of(&mut self, data: &[u8]) -> Vec<u8> {
        match self.0.pop() {
            Some(mut v) => {
                v.clear();
                v.extend_from_slice(data);
                v
            }
            None => data.to_vec(),
        }
    }
}

impl Clone for Spare {
    fn clone(&self) -> Spare {
        Spare::default()
    }
}

impl PartialEq for Spare {
    fn eq(&self, _: &Spare) -> bool {
        true
    }
}

impl Eq for Spare {}

impl std::fmt::Debug for Spare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} spare buffers", self.0.len())
    }
}

/// The state of one column, saved so a set that overflows the record can be undone.
enum Saved {
    Fixed(usize),
    Variable(usize),
    Tagged(Option<Tagged>),
}

impl Record {
    /// An empty record: every column absent.
    pub fn new() -> Record {
        Record::default()
    }

    /// The copy buffer `JET_prepInsert` starts from: every fixed and variable column of
    /// `schema` present with its default (or NULL), tagged columns absent.
    pub fn new_insert(schema: &ColumnSet) -> Result<Record> {
        let mut record = Record::new();
        record.fill_insert(schema)?;
        Ok(record)
    }

    /// Makes this record what [`Record::new_insert`] returns for `schema`, keeping its value
    /// buffers for the values set next (a cursor's next `JET_prepInsert`).
    pub fn reset_insert(&mut self, schema: &ColumnSet) -> Result<()> {
        // Bounded by the columns a record holds: one buffer per stored value.
        let spare = &mut self.spare.0;
        for slot in &mut self.fixed {
            if let Some(v) = slot.value.take() {
                spare.push(v);
            }
        }
        for v in &mut self.variable {
            if let Some(v) = v.take() {
                spare.push(v);
            }
        }
        self.tagged.clear();
        if let Some((fixed, variable)) = schema.plain_insert() {
            // Every slot starts NULL: the slots are laid out again where they are, and no
            // column needs to be read.
            self.fixed.truncate(fixed);
            for i in 0..fixed {
                let (_, width) = schema
                    .fixed_span(i)
                    .ok_or(Error::Corrupt("fixed column missing from the schema"))?;
                match self.fixed.get_mut(i) {
                    Some(slot) => slot.width = width,
                    None => self.fixed.push(FixedSlot { width, value: None }),
                }
            }
            self.variable.resize(variable, None);
            return Ok(());
        }
        self.fixed.clear();
        self.variable.clear();
        self.fill_insert(schema)
    }

    /// Fills an empty record with the fixed and variable defaults of `schema`.
    fn fill_insert(&mut self, schema: &ColumnSet) -> Result<()> {
        let record = self;
        let (mut last_fixed, mut last_var) = (None, None);
        for c in schema.iter() {
            let last = match c.class() {
                ColumnClass::Fixed => &mut last_fixed,
                ColumnClass::Variable => &mut last_var,
                ColumnClass::Tagged => continue,
            };
            *last = (*last).max(Some(c.id.fid()));
        }
        if let Some(fid) = last_fixed {
            record.fixed.reserve_exact(usize::from(fid));
            record.grow_fixed(schema, usize::from(fid))?;
        }
        if let Some(fid) = last_var {
            record
                .variable
                .reserve_exact(usize::from(fid - FIRST_VARIABLE_FID) + 1);
            record.grow_variable(schema, usize::from(fid - FIRST_VARIABLE_FID) + 1);
        }
        Ok(())
    }

    /// Sets one value, as JetSetColumn does (reference 13 §3); returns
    /// JET_wrnColumnMaxTruncated when a variable value was cut to `cbMax`.
    ///
    /// Empty `data` means NULL unless [`SetGrbit::ZERO_LENGTH`]. For tagged columns
    /// `itag_sequence` 0 or beyond the last value appends, 1..=count replaces, and NULL at
    /// 1..=count removes that value and renumbers the rest. Fixed and variable columns hold
    /// one value and ignore `itag_sequence`. Nothing changes when an error is returned.
    pub fn set(
        &mut self,
        schema: &ColumnSet,
        id: ColumnId,
        itag_sequence: u32,
        data: &[u8],
        grbit: SetGrbit,
    ) -> Result<Option<Warning>> {
        let col = schema.get(id)?;
        self.set_column(schema, col, itag_sequence, data, grbit)
    }

    /// [`Record::set`] of `col`, a column of `schema` the caller has looked up.
    pub fn set_column(
        &mut self,
        schema: &ColumnSet,
        col: &ColumnDef,
        itag_sequence: u32,
        data: &[u8],
        grbit: SetGrbit,
    ) -> Result<Option<Warning>> {
        let class = col.class();
        let is_null = data.is_empty()
            && (class == ColumnClass::Fixed || !grbit.contains(SetGrbit::ZERO_LENGTH));
        if is_null {
            if col.has(ColumnGrbit::NOT_NULL) {
                return Err(Error::NullInvalid);
            }
            self.apply(schema, col, |r| {
                r.set_null(schema, col, itag_sequence, grbit)
            })?;
            return Ok(None);
        }
        if let Some(warning) = self.set_in_place(schema, col, data)? {
            return Ok(warning);
        }
        let mut warning = None;
        let value: Vec<u8> = match class {
            ColumnClass::Fixed => fixed_value(col, data)?,
            ColumnClass::Variable => {
                let (data, truncated) = variable_value(col, data);
                warning = truncated;
                data.to_vec()
            }
            ColumnClass::Tagged => {
                if let Some(size) = col.coltyp.fixed_size()
                    && data.len() != size
                {
                    return Err(Error::InvalidBufferSize {
                        len: data.len(),
                        expected: size,
                    });
                }
                if data.len() > col.value_most_bytes() {
                    return Err(Error::ColumnTooBig {
                        len: data.len(),
                        max: col.value_most_bytes(),
                    });
                }
                data.to_vec()
            }
        };
        self.apply(schema, col, |r| {
            r.put(
                schema,
                col,
                itag_sequence,
                StoredValue::Intrinsic(value),
                grbit,
            )
        })?;
        Ok(warning)
    }

    /// [`Record::set`] of a non-NULL value into a fixed or variable slot the record already
    /// has, without the general path's save and restore: a fixed value of the column's
    /// width leaves the record's size as it was, and a variable one is checked against the
    /// limit before anything changes. `None` when the general path must do the set.
    fn set_in_place(
        &mut self,
        schema: &ColumnSet,
        col: &ColumnDef,
        data: &[u8],
    ) -> Result<Option<Option<Warning>>> {
        let fid = usize::from(col.id.fid());
        let (slot, data, warning) = match col.class() {
            ColumnClass::Fixed => {
                let Some(slot) = self.fixed.get_mut(fid.wrapping_sub(1)) else {
                    return Ok(None);
                };
                if data.len() != col.max_bytes || slot.width != col.max_bytes {
                    return Ok(None);
                }
                (&mut slot.value, data, None)
            }
            ColumnClass::Variable => {
                let index = fid.wrapping_sub(usize::from(FIRST_VARIABLE_FID));
                if index >= self.variable.len() {
                    return Ok(None);
                }
                let (data, warning) = variable_value(col, data);
                let old = self.variable[index].as_ref().map_or(0, Vec::len);
                let len = self.encoded_len() - old + data.len();
                let max = schema.record_most_bytes().min(FORMAT_MOST_BYTES);
                if len > max {
                    return Err(Error::RecordTooBig { len, max });
                }
                (&mut self.variable[index], data, warning)
            }
            ColumnClass::Tagged => return Ok(None),
        };
        match slot {
            Some(v) => {
                v.clear();
                v.extend_from_slice(data);
            }
            None => *slot = Some(self.spare.copy_of(data)),
        }
        Ok(Some(warning))
    }

    /// Stores a separated long-value reference as one value of a LongText/LongBinary column
    /// (same itagSequence rules as [`Record::set`]); other columns give
    /// JET_errInvalidParameter.
    pub fn set_separated(
        &mut self,
        schema: &ColumnSet,
        id: ColumnId,
        itag_sequence: u32,
        lv: LvRef,
    ) -> Result<()> {
        let col = schema.get(id)?;
        if !col.coltyp.is_long_value() {
            return Err(Error::InvalidParameter(
                "only long-value columns hold separated values",
            ));
        }
        self.apply(schema, col, |r| {
            r.put(
                schema,
                col,
                itag_sequence,
                StoredValue::Separated(lv),
                SetGrbit::NONE,
            )
        })
    }

    /// Appends a value to a tagged column (itagSequence 0).
    pub fn append(
        &mut self,
        schema: &ColumnSet,
        id: ColumnId,
        data: &[u8],
        grbit: SetGrbit,
    ) -> Result<Option<Warning>> {
        self.set(schema, id, 0, data, grbit)
    }

    /// Reads value `itag_sequence` (1-based) of a column, as JetRetrieveColumn does:
    /// `None` is NULL (JET_wrnColumnNull). Absent columns read their default unless
    /// [`RetrieveGrbit::IGNORE_DEFAULT`]; itagSequence 0 is JET_errBadItagSequence.
    pub fn retrieve<'a>(
        &'a self,
        schema: &'a ColumnSet,
        id: ColumnId,
        itag_sequence: u32,
        grbit: RetrieveGrbit,
    ) -> Result<Option<ValueRef<'a>>> {
        self.retrieve_col(schema.get(id)?, itag_sequence, grbit)
    }

    /// [`Record::retrieve`] of `col`, a column of the record's schema already looked up.
    pub fn retrieve_col<'a>(
        &'a self,
        col: &'a ColumnDef,
        itag_sequence: u32,
        grbit: RetrieveGrbit,
    ) -> Result<Option<ValueRef<'a>>> {
        check_itag(itag_sequence)?;
        let default = || absent_value(col, itag_sequence, grbit);
        let id = col.id;
        let fid = usize::from(id.fid());
        Ok(match col.class() {
            ColumnClass::Fixed => match self.fixed.get(fid - 1) {
                Some(slot) if itag_sequence == 1 => slot.value.as_deref().map(ValueRef::Intrinsic),
                Some(_) => None,
                None => default(),
            },
            ColumnClass::Variable => {
                match self.variable.get(fid - usize::from(FIRST_VARIABLE_FID)) {
                    Some(v) if itag_sequence == 1 => v.as_deref().map(ValueRef::Intrinsic),
                    Some(_) => None,
                    None => default(),
                }
            }
            ColumnClass::Tagged => match self.tagged.get(&id.fid()) {
                None => default(),
                Some(Tagged::Null) => None,
                Some(Tagged::Values(values)) => {
                    let index = usize::try_from(itag_sequence - 1).unwrap_or(usize::MAX);
                    values.get(index).map(StoredValue::as_ref)
                }
            },
        })
    }

    /// How many values the column has (what JetRetrieveColumns reports for itagSequence 0):
    /// a default counts as one value unless [`RetrieveGrbit::IGNORE_DEFAULT`].
    pub fn value_count(
        &self,
        schema: &ColumnSet,
        id: ColumnId,
        grbit: RetrieveGrbit,
    ) -> Result<usize> {
        let col = schema.get(id)?;
        if col.class() == ColumnClass::Tagged
            && let Some(Tagged::Values(values)) = self.tagged.get(&id.fid())
        {
            return Ok(values.len());
        }
        Ok(usize::from(self.retrieve(schema, id, 1, grbit)?.is_some()))
    }

    /// Every separated long value the record references, in column and itagSequence order
    /// (a LID appears once per reference).
    pub fn lv_refs(&self) -> Vec<LvRef> {
        self.tagged
            .values()
            .filter_map(|t| match t {
                Tagged::Values(v) => Some(v),
                Tagged::Null => None,
            })
            .flatten()
            .filter_map(|v| match v {
                StoredValue::Separated(lv) => Some(*lv),
                StoredValue::Intrinsic(_) => None,
            })
            .collect()
    }

    /// The largest long value stored in the record itself and longer than an [`LvRef`]:
    /// `(column, itagSequence, bytes)`, the one to move out first when the record is full.
    pub fn largest_intrinsic_lv(&self, schema: &ColumnSet) -> Option<(ColumnId, u32, usize)> {
        let mut best: Option<(ColumnId, u32, usize)> = None;
        for (fid, t) in &self.tagged {
            let id = ColumnId(u32::from(*fid));
            let is_lv = schema.get(id).is_ok_and(|c| c.coltyp.is_long_value());
            let Tagged::Values(values) = t else { continue };
            if !is_lv {
                continue;
            }
            for (i, v) in values.iter().enumerate() {
                if let StoredValue::Intrinsic(bytes) = v
                    && bytes.len() > LV_REF_BYTES
                    && best.is_none_or(|b| bytes.len() > b.2)
                {
                    best = Some((id, i as u32 + 1, bytes.len()));
                }
            }
        }
        best
    }

    /// Where fixed column `fid`'s bytes start in [`Record::encode`]'s output, if the record
    /// stores that column (escrow updates address the field there).
    pub fn fixed_offset(&self, fid: u16) -> Option<usize> {
        let index = usize::from(fid).checked_sub(1)?;
        if index >= self.fixed.len() {
            return None;
        }
        let before: usize = self.fixed[..index].iter().map(|s| s.width).sum();
        Some(fixed_area_bytes(self.fixed.len(), before))
    }

    /// Whether fixed column `fid` is stored and not NULL.
    pub fn fixed_is_set(&self, fid: u16) -> bool {
        usize::from(fid)
            .checked_sub(1)
            .and_then(|i| self.fixed.get(i))
            .is_some_and(|s| s.value.is_some())
    }

    /// Materializes fixed columns up to `fid` with their defaults (so a later escrow update
    /// finds its field in the stored bytes).
    pub fn materialize_fixed(&mut self, schema: &ColumnSet, fid: u16) -> Result<()> {
        self.grow_fixed(schema, usize::from(fid))
    }

    /// The columns physically stored in the record, in id order: non-NULL fixed and variable
    /// columns, and every tagged column (explicit NULLs included).
    pub fn present_columns(&self) -> Vec<PresentColumn> {
        let mut out = Vec::new();
        for (i, slot) in self.fixed.iter().enumerate() {
            if slot.value.is_some() {
                out.push(PresentColumn {
                    id: ColumnId(i as u32 + 1),
                    values: 1,
                    explicit_null: false,
                });
            }
        }
        for (i, v) in self.variable.iter().enumerate() {
            if v.is_some() {
                out.push(PresentColumn {
                    id: ColumnId(u32::from(FIRST_VARIABLE_FID) + i as u32),
                    values: 1,
                    explicit_null: false,
                });
            }
        }
        for (fid, t) in &self.tagged {
            out.push(PresentColumn {
                id: ColumnId(u32::from(*fid)),
                values: match t {
                    Tagged::Null => 0,
                    Tagged::Values(v) => v.len(),
                },
                explicit_null: matches!(t, Tagged::Null),
            });
        }
        out
    }

    /// The values each key column of `layout` contributes to index entries, in
    /// itagSequence order, for [`crate::index::index_entries`]: every value of a
    /// MultiValued column, the first value (or the default) of any other. An empty list is
    /// NULL. A separated long value must be read from the long-value tree by the caller,
    /// so it is JET_errInvalidParameter here.
    pub fn key_values<'a>(
        &'a self,
        schema: &'a ColumnSet,
        layout: &KeyLayout,
    ) -> Result<Vec<Vec<SegmentData<'a>>>> {
        let mut out = Vec::with_capacity(layout.columns.len());
        for key_col in &layout.columns {
            let col = schema.get(key_col.id)?;
            let count = if col.class() == ColumnClass::Tagged && col.has(ColumnGrbit::MULTI_VALUED)
            {
                self.value_count(schema, col.id, RetrieveGrbit::NONE)?
            } else {
                1
            };
            let mut values = Vec::with_capacity(count);
            for itag in 1..=count as u32 {
                if let Some(v) = self.retrieve(schema, col.id, itag, RetrieveGrbit::NONE)? {
                    values.push(key_segment(v)?);
                }
            }
            out.push(values);
        }
        Ok(out)
    }

    /// The size [`Record::encode`] will produce.
    pub fn encoded_len(&self) -> usize {
        let untagged = fixed_area_bytes(
            self.fixed.len(),
            self.fixed.iter().map(|s| s.width).sum::<usize>(),
        ) + 2 * self.variable.len()
            + self.variable.iter().flatten().map(Vec::len).sum::<usize>();
        if self.tagged.is_empty() {
            // Most records of most tables: no walk of the (empty) tagged map.
            return untagged;
        }
        untagged
            + TAGGED_ENTRY_BYTES * self.tagged.len()
            + self.tagged.values().map(Tagged::data_len).sum::<usize>()
    }

    /// The record's bytes (layout in the module doc).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// [`Record::encode`] into `out`, which is cleared first (its buffer is reused).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(self.encoded_len());
        out.push(FORMAT_VERSION);
        out.push(self.fixed.len() as u8);
        out.push(self.variable.len() as u8);
        out.push(0);
        out.extend_from_slice(&(self.tagged.len() as u16).to_le_bytes());
        for slots in self.fixed.chunks(8) {
            let mut bits = 0u8;
            for (i, slot) in slots.iter().enumerate() {
                if slot.value.is_none() {
                    bits |= 1 << i;
                }
            }
            out.push(bits);
        }
        for slot in &self.fixed {
            match &slot.value {
                Some(v) => out.extend_from_slice(v),
                None => out.resize(out.len() + slot.width, 0),
            }
        }
        let mut end = 0usize;
        for v in &self.variable {
            match v {
                Some(v) => {
                    end += v.len();
                    out.extend_from_slice(&(end as u16).to_le_bytes());
                }
                None => out.extend_from_slice(&(end as u16 | NULL_BIT).to_le_bytes()),
            }
        }
        for v in self.variable.iter().flatten() {
            out.extend_from_slice(v);
        }
        if self.tagged.is_empty() {
            return;
        }
        let mut end = 0usize;
        for (fid, t) in &self.tagged {
            end += t.data_len();
            let flags = match t {
                Tagged::Null => FLAG_NULL,
                Tagged::Values(v) if v.len() > 1 => FLAG_MULTI,
                Tagged::Values(v) => match v[0] {
                    StoredValue::Separated(_) => FLAG_SEPARATED,
                    StoredValue::Intrinsic(_) => 0,
                },
            };
            out.extend_from_slice(&fid.to_le_bytes());
            out.push(flags);
            out.extend_from_slice(&(end as u16).to_le_bytes());
        }
        for t in self.tagged.values() {
            let Tagged::Values(values) = t else { continue };
            if values.len() > 1 {
                out.extend_from_slice(&(values.len() as u16).to_le_bytes());
                let mut end = 0usize;
                for v in values {
                    end += v.encoded_len();
                    let sep = if matches!(v, StoredValue::Separated(_)) {
                        NULL_BIT
                    } else {
                        0
                    };
                    out.extend_from_slice(&(end as u16 | sep).to_le_bytes());
                }
            }
            for v in values {
                match v {
                    StoredValue::Intrinsic(bytes) => out.extend_from_slice(bytes),
                    StoredValue::Separated(lv) => out.extend_from_slice(&lv.0.to_le_bytes()),
                }
            }
        }
    }

    /// Reads a record written by [`Record::encode`]; `schema` gives the fixed columns'
    /// widths. Malformed bytes are [`Error::Corrupt`]; this never panics.
    pub fn decode(bytes: &[u8], schema: &ColumnSet) -> Result<Record> {
        let layout = RecordLayout::parse(bytes, schema)?;
        let mut record = Record::new();
        record.fixed.reserve_exact(layout.fixed_count());
        for i in 0..layout.fixed_count() {
            let (start, width) = schema
                .fixed_span(i)
                .ok_or(Error::Corrupt("fixed column missing from the schema"))?;
            let data = slice_at(bytes, layout.fixed_data() + start, width)?;
            record.fixed.push(FixedSlot {
                width,
                value: (!layout.fixed_is_null(bytes, i)).then(|| data.to_vec()),
            });
        }
        record.variable.reserve_exact(layout.var_count());
        for index in 0..layout.var_count() {
            record
                .variable
                .push(layout.variable(bytes, index)?.map(<[u8]>::to_vec));
        }
        for i in 0..layout.tagged_count() {
            let (fid, flags, slice) = layout.tagged_entry(bytes, i)?;
            record.tagged.insert(fid, tagged_value(flags, slice)?);
        }
        Ok(record)
    }

    /// [`Record::retrieve`] on a record's bytes, read in place: `layout` is what
    /// [`RecordLayout::parse`] returned for `bytes` under the same `schema`.
    pub fn retrieve_stored<'a>(
        bytes: &'a [u8],
        layout: &RecordLayout,
        schema: &'a ColumnSet,
        id: ColumnId,
        itag_sequence: u32,
        grbit: RetrieveGrbit,
    ) -> Result<Option<ValueRef<'a>>> {
        Self::retrieve_stored_col(bytes, layout, schema, schema.get(id)?, itag_sequence, grbit)
    }

    /// [`Record::retrieve_stored`] of `col`, a column of `schema` already looked up (so a
    /// read that has checked the column does not look it up again).
    #[inline(always)]
    pub fn retrieve_stored_col<'a>(
        bytes: &'a [u8],
        layout: &RecordLayout,
        schema: &ColumnSet,
        col: &'a ColumnDef,
        itag_sequence: u32,
        grbit: RetrieveGrbit,
    ) -> Result<Option<ValueRef<'a>>> {
        check_itag(itag_sequence)?;
        // Fixed and variable columns, a read per column of every row of a scan, are read
        // here (inlined into the caller); tagged columns take a call of their own.
        let fid = col.id.fid();
        match col.class() {
            ColumnClass::Fixed => {
                let i = usize::from(fid).wrapping_sub(1);
                if i >= layout.fixed_count() {
                    return Ok(absent_value(col, itag_sequence, grbit));
                }
                if itag_sequence != 1 || layout.fixed_is_null(bytes, i) {
                    return Ok(None);
                }
                let (start, width) = schema
                    .fixed_span(i)
                    .ok_or(Error::Corrupt("fixed column missing from the schema"))?;
                Ok(Some(ValueRef::Intrinsic(slice_at(
                    bytes,
                    layout.fixed_data() + start,
                    width,
                )?)))
            }
            ColumnClass::Variable => {
                let index = usize::from(fid.wrapping_sub(FIRST_VARIABLE_FID));
                if index >= layout.var_count() {
                    return Ok(absent_value(col, itag_sequence, grbit));
                }
                if itag_sequence != 1 {
                    return Ok(None);
                }
                Ok(layout.variable(bytes, index)?.map(ValueRef::Intrinsic))
            }
            ColumnClass::Tagged => {
                Self::retrieve_stored_tagged(bytes, layout, col, itag_sequence, grbit)
            }
        }
    }

    /// The first value of `col`, a fixed or variable column of `schema`, read in place when
    /// the record stores the column: `Some(None)` is NULL. `None` leaves the answer to
    /// [`Record::retrieve_stored_col`]: a tagged column, a column the record ends before
    /// (its default), or bytes that fail a check (its error). Where both answer, they agree.
    #[inline(always)]
    pub(crate) fn stored_plain<'a>(
        bytes: &'a [u8],
        layout: &RecordLayout,
        schema: &ColumnSet,
        col: &ColumnDef,
    ) -> Option<Option<&'a [u8]>> {
        let fid = usize::from(col.id.fid());
        match col.class() {
            ColumnClass::Fixed => {
                let i = fid.wrapping_sub(1);
                if i >= layout.fixed_count() {
                    return None;
                }
                if layout.fixed_is_null(bytes, i) {
                    return Some(None);
                }
                let (start, width) = schema.fixed_span(i)?;
                let at = layout.fixed_data() + start;
                bytes.get(at..at + width).map(Some)
            }
            ColumnClass::Variable => {
                let index = fid.wrapping_sub(usize::from(FIRST_VARIABLE_FID));
                if index >= layout.var_count() {
                    return None;
                }
                layout.variable(bytes, index).ok()
            }
            ColumnClass::Tagged => None,
        }
    }

    /// [`Record::retrieve_stored_col`] of a tagged column (`itag_sequence` checked).
    fn retrieve_stored_tagged<'a>(
        bytes: &'a [u8],
        layout: &RecordLayout,
        col: &'a ColumnDef,
        itag_sequence: u32,
        grbit: RetrieveGrbit,
    ) -> Result<Option<ValueRef<'a>>> {
        Ok(match layout.find_tagged(bytes, col.id.fid())? {
            None => absent_value(col, itag_sequence, grbit),
            Some((flags, slice)) => {
                let index = usize::try_from(itag_sequence - 1).unwrap_or(usize::MAX);
                match flags {
                    FLAG_NULL => None,
                    FLAG_MULTI => multi_value(slice, index)?,
                    _ if index != 0 => None,
                    FLAG_SEPARATED => Some(ValueRef::Separated(lv_id(slice)?)),
                    _ => Some(ValueRef::Intrinsic(slice)),
                }
            }
        })
    }

    /// Runs `change` on the record; if it fails, or leaves the record larger than the
    /// schema's limit, puts the column back as it was.
    fn apply(
        &mut self,
        schema: &ColumnSet,
        col: &ColumnDef,
        change: impl FnOnce(&mut Record) -> Result<()>,
    ) -> Result<()> {
        let fid = col.id.fid();
        let saved = match col.class() {
            ColumnClass::Fixed => Saved::Fixed(self.fixed.len()),
            ColumnClass::Variable => Saved::Variable(self.variable.len()),
            ColumnClass::Tagged => Saved::Tagged(self.tagged.get(&fid).cloned()),
        };
        // Fixed and variable sets change one slot and maybe grow the area; saving the slot
        // value and the old length is enough to undo either.
        let old_slot = match col.class() {
            ColumnClass::Fixed => self
                .fixed
                .get(usize::from(fid) - 1)
                .map(|s| s.value.clone()),
            ColumnClass::Variable => self
                .variable
                .get(usize::from(fid - FIRST_VARIABLE_FID))
                .cloned(),
            ColumnClass::Tagged => None,
        };
        let result = change(self).and_then(|()| {
            let len = self.encoded_len();
            let max = schema.record_most_bytes().min(FORMAT_MOST_BYTES);
            if len > max {
                Err(Error::RecordTooBig { len, max })
            } else {
                Ok(())
            }
        });
        if result.is_err() {
            match saved {
                Saved::Fixed(len) => {
                    self.fixed.truncate(len);
                    if let (Some(old), Some(slot)) =
                        (old_slot, self.fixed.get_mut(usize::from(fid) - 1))
                    {
                        slot.value = old;
                    }
                }
                Saved::Variable(len) => {
                    self.variable.truncate(len);
                    if let (Some(old), Some(slot)) = (
                        old_slot,
                        self.variable.get_mut(usize::from(fid - FIRST_VARIABLE_FID)),
                    ) {
                        *slot = old;
                    }
                }
                Saved::Tagged(old) => match old {
                    Some(t) => {
                        self.tagged.insert(fid, t);
                    }
                    None => {
                        self.tagged.remove(&fid);
                    }
                },
            }
        }
        result
    }

    fn grow_fixed(&mut self, schema: &ColumnSet, count: usize) -> Result<()> {
        while self.fixed.len() < count {
            let fid = self.fixed.len() as u32 + 1;
            let col = schema.get(ColumnId(fid))?;
            self.fixed.push(FixedSlot {
                width: col.max_bytes,
                value: col.default.clone(),
            });
        }
        Ok(())
    }

    fn grow_variable(&mut self, schema: &ColumnSet, count: usize) {
        while self.variable.len() < count {
            let fid = u32::from(FIRST_VARIABLE_FID) + self.variable.len() as u32;
            let default = schema
                .get(ColumnId(fid))
                .ok()
                .and_then(|c| c.default.clone());
            self.variable.push(default);
        }
    }

    fn set_null(
        &mut self,
        schema: &ColumnSet,
        col: &ColumnDef,
        itag_sequence: u32,
        grbit: SetGrbit,
    ) -> Result<()> {
        let fid = col.id.fid();
        match col.class() {
            ColumnClass::Fixed => {
                self.grow_fixed(schema, usize::from(fid))?;
                self.fixed[usize::from(fid) - 1].value = None;
            }
            ColumnClass::Variable => {
                let index = usize::from(fid - FIRST_VARIABLE_FID);
                self.grow_variable(schema, index + 1);
                self.variable[index] = None;
            }
            ColumnClass::Tagged => {
                let hide_default =
                    col.default.is_some() && !grbit.contains(SetGrbit::REVERT_TO_DEFAULT_VALUE);
                match self.tagged.get_mut(&fid) {
                    Some(Tagged::Values(values)) => {
                        let index = usize::try_from(itag_sequence).unwrap_or(usize::MAX);
                        if (1..=values.len()).contains(&index) {
                            values.remove(index - 1);
                        }
                        if values.is_empty() {
                            if hide_default {
                                self.tagged.insert(fid, Tagged::Null);
                            } else {
                                self.tagged.remove(&fid);
                            }
                        }
                    }
                    Some(Tagged::Null) => {
                        if !hide_default {
                            self.tagged.remove(&fid);
                        }
                    }
                    None => {
                        if hide_default && itag_sequence <= 1 {
                            self.tagged.insert(fid, Tagged::Null);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn put(
        &mut self,
        schema: &ColumnSet,
        col: &ColumnDef,
        itag_sequence: u32,
        value: StoredValue,
        grbit: SetGrbit,
    ) -> Result<()> {
        let fid = col.id.fid();
        match (col.class(), value) {
            (ColumnClass::Fixed, StoredValue::Intrinsic(v)) => {
                self.grow_fixed(schema, usize::from(fid))?;
                self.fixed[usize::from(fid) - 1].value = Some(v);
            }
            (ColumnClass::Variable, StoredValue::Intrinsic(v)) => {
                let index = usize::from(fid - FIRST_VARIABLE_FID);
                self.grow_variable(schema, index + 1);
                self.variable[index] = Some(v);
            }
            (ColumnClass::Tagged, value) => {
                let entry = self.tagged.entry(fid).or_insert(Tagged::Null);
                if matches!(entry, Tagged::Null) {
                    *entry = Tagged::Values(Vec::new());
                }
                let Tagged::Values(values) = entry else {
                    return Err(Error::Corrupt("tagged column lost its values"));
                };
                let index = usize::try_from(itag_sequence).unwrap_or(usize::MAX);
                let replacing = (1..=values.len()).contains(&index);
                let others = || {
                    values
                        .iter()
                        .enumerate()
                        .filter(move |(i, _)| !(replacing && i + 1 == index))
                        .map(|(_, v)| v)
                };
                let mut duplicate = None;
                if grbit.contains(SetGrbit::UNIQUE_MULTI_VALUES) && others().any(|v| *v == value) {
                    duplicate = Some(Error::MultiValuedDuplicate);
                }
                if duplicate.is_none()
                    && grbit.contains(SetGrbit::UNIQUE_NORMALIZED_MULTI_VALUES)
                    && let StoredValue::Intrinsic(new) = &value
                {
                    let new_key = normalized_value(col, new)?;
                    for v in others() {
                        if let StoredValue::Intrinsic(old) = v {
                            let old_key = normalized_value(col, old)?;
                            if old_key.bytes == new_key.bytes {
                                duplicate = Some(if old_key.truncated || new_key.truncated {
                                    Error::MultiValuedDuplicateAfterTruncation
                                } else {
                                    Error::MultiValuedDuplicate
                                });
                                break;
                            }
                        }
                    }
                }
                if let Some(e) = duplicate {
                    if values.is_empty() {
                        self.tagged.remove(&fid);
                    }
                    return Err(e);
                }
                if replacing {
                    values[index - 1] = value;
                } else {
                    values.push(value);
                }
            }
            (_, StoredValue::Separated(_)) => {
                return Err(Error::InvalidParameter(
                    "only tagged columns hold separated values",
                ));
            }
        }
        Ok(())
    }
}

/// The normalized key of one value of `col` (for UniqueNormalizedMultiValues), as an
/// ascending one-column index with ESE's default key size would make it.
pub fn normalized_value(col: &ColumnDef, value: &[u8]) -> Result<crate::key::Key> {
    let layout = KeyLayout::new(vec![KeyColumn {
        id: col.id,
        coltyp: col.coltyp,
        code_page: col.code_page,
        is_fixed: col.class() == ColumnClass::Fixed,
        max_bytes: col.max_bytes,
        descending: false,
    }]);
    let data = if value.is_empty() {
        SegmentData::ZeroLength
    } else {
        SegmentData::Value(value)
    };
    layout.index_key(&[data])
}

/// The part of `data` a variable column `col` stores: at most its maximum length, with
/// JET_wrnColumnMaxTruncated when it was cut.
fn variable_value<'d>(col: &ColumnDef, data: &'d [u8]) -> (&'d [u8], Option<Warning>) {
    match data.get(..col.max_bytes) {
        Some(kept) if kept.len() < data.len() => (kept, Some(Warning::ColumnMaxTruncated)),
        _ => (data, None),
    }
}

/// A fixed column's stored bytes for `data`: fixed-size types need their exact size; fixed
/// text is padded with spaces and fixed binary with zeros up to `cbMax`.
fn fixed_value(col: &ColumnDef, data: &[u8]) -> Result<Vec<u8>> {
    let width = col.max_bytes;
    if data.len() == width {
        return Ok(data.to_vec());
    }
    let paddable = col.coltyp.fixed_size().is_none() && data.len() < width;
    if !paddable {
        return Err(Error::InvalidBufferSize {
            len: data.len(),
            expected: width,
        });
    }
    let mut v = data.to_vec();
    if col.coltyp.is_text() {
        pad_text(&mut v, width, col.code_page.unwrap_or(CodePage::Western));
    } else {
        v.resize(width, 0);
    }
    Ok(v)
}

/// Pads text to `width` bytes with spaces (U+0020 as UTF-16LE for code page 1200), as ESE's
/// `RECTextColumnPadding` does; an odd byte left over is zero.
pub fn pad_text(v: &mut Vec<u8>, width: usize, code_page: CodePage) {
    debug_assert!(width <= COLUMN_MOST_BYTES);
    match code_page {
        CodePage::Western => v.resize(width, b' '),
        CodePage::Unicode => {
            if v.len() % 2 == 1 {
                v.push(0);
            }
            while v.len() + 2 <= width {
                v.extend_from_slice(&[b' ', 0]);
            }
            v.resize(width, 0);
        }
    }
}

fn lv_ref(slice: &[u8]) -> Result<StoredValue> {
    lv_id(slice).map(StoredValue::Separated)
}

/// A stored value as a key segment: a zero-length value is one, and a separated long value
/// must be read from the long-value tree first.
pub(crate) fn key_segment(v: ValueRef<'_>) -> Result<SegmentData<'_>> {
    match v {
        ValueRef::Intrinsic([]) => Ok(SegmentData::ZeroLength),
        ValueRef::Intrinsic(bytes) => Ok(SegmentData::Value(bytes)),
        ValueRef::Separated(_) => Err(Error::InvalidParameter(
            "a separated long value must be read from the long-value tree",
        )),
    }
}

/// What every read of value `itag_sequence` starts with (JetRetrieveColumn's check):
/// itagSequence 0 is JET_errBadItagSequence.
#[inline]
fn check_itag(itag_sequence: u32) -> Result<()> {
    if itag_sequence == 0 {
        return Err(Error::BadItagSequence);
    }
    Ok(())
}

/// What value `itag_sequence` of `col` reads as when the record does not store the column:
/// its default for itagSequence 1 unless [`RetrieveGrbit::IGNORE_DEFAULT`]. Worked out only
/// on that path, as most reads find the column stored.
fn absent_value(col: &ColumnDef, itag_sequence: u32, grbit: RetrieveGrbit) -> Option<ValueRef<'_>> {
    if itag_sequence == 1 && !grbit.contains(RetrieveGrbit::IGNORE_DEFAULT) {
        col.default.as_deref().map(ValueRef::Intrinsic)
    } else {
        None
    }
}

fn lv_id(slice: &[u8]) -> Result<LvRef> {
    let bytes: [u8; LV_REF_BYTES] = slice
        .try_into()
        .map_err(|_| Error::Corrupt("a long-value reference is not 8 bytes"))?;
    Ok(LvRef(u64::from_le_bytes(bytes)))
}

fn decode_multi(slice: &[u8]) -> Result<Vec<StoredValue>> {
    let mut r = Reader {
        bytes: slice,
        pos: 0,
    };
    let count = usize::from(r.u16()?);
    if count < 2 {
        return Err(Error::Corrupt(
            "a multi-valued column with fewer than 2 values",
        ));
    }
    let mut ends = Vec::with_capacity(count.min(slice.len()));
    let mut prev = 0usize;
    for _ in 0..count {
        let raw = r.u16()?;
        let end = usize::from(raw & !NULL_BIT);
        if end < prev {
            return Err(Error::Corrupt("multi-value offsets out of order"));
        }
        ends.push((raw & NULL_BIT != 0, prev, end));
        prev = end;
    }
    let data = r.take(prev)?;
    if r.pos != slice.len() {
        return Err(Error::Corrupt("trailing bytes after the values"));
    }
    ends.into_iter()
        .map(|(separated, start, end)| {
            let v = &data[start..end];
            if separated {
                lv_ref(v)
            } else {
                Ok(StoredValue::Intrinsic(v.to_vec()))
            }
        })
        .collect()
}

/// Whether a multi-valued slice passes every check of `decode_multi`, without building
/// its values.
fn is_valid_multi(slice: &[u8]) -> bool {
    let Some((&[c0, c1], rest)) = slice.split_first_chunk() else {
        return false;
    };
    let count = usize::from(u16::from_le_bytes([c0, c1]));
    let Some(offsets) = rest.get(..2 * count) else {
        return false;
    };
    if count < 2 {
        return false;
    }
    let mut prev = 0usize;
    for raw in offsets.chunks_exact(2) {
        let raw = u16::from_le_bytes([raw[0], raw[1]]);
        let end = usize::from(raw & !NULL_BIT);
        if end < prev || (raw & NULL_BIT != 0 && end - prev != LV_REF_BYTES) {
            return false;
        }
        prev = end;
    }
    rest.len() == 2 * count + prev
}

/// Where the parts of a record's bytes start, found by [`RecordLayout::parse`] with every
/// check [`Record::decode`] makes: what reading one value in place
/// ([`Record::retrieve_stored`]) needs, without decoding the whole record.
///
/// Eight bytes, so that a cursor keeps one per row it lands on and passes it around in a
/// register: the counts from the header and the two offsets that depend on the data (every
/// other start follows from them), each at most [`FORMAT_MOST_BYTES`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordLayout {
    fixed_count: u8,
    var_count: u8,
    tagged_count: u16,
    var_offsets: u16,
    tagged_dir: u16,
}

// The counts and offsets fit the layout's fields.
const _: () = assert!(FORMAT_MOST_BYTES <= u16::MAX as usize);

impl RecordLayout {
    /// Checks a record written by [`Record::encode`] (`schema` gives the fixed columns'
    /// widths) and returns where its parts are. Malformed bytes are [`Error::Corrupt`],
    /// exactly as [`Record::decode`] reports them; this never panics.
    ///
    /// A cursor parses every record it lands on, so the checks run first in one pass that
    /// only says yes or no; bytes it turns down are parsed again step by step, which names
    /// the first fault.
    #[inline]
    pub fn parse(bytes: &[u8], schema: &ColumnSet) -> Result<RecordLayout> {
        match Self::parse_valid(bytes, schema) {
            Some(layout) => Ok(layout),
            None => Self::parse_checked(bytes, schema),
        }
    }

    /// [`RecordLayout::parse`] of well-formed bytes in one pass: every check of
    /// [`RecordLayout::parse_checked`], made without naming the fault. `None` means the
    /// bytes failed a check (and `parse_checked` says which); `Some` is exactly what
    /// `parse_checked` returns.
    #[inline(always)]
    fn parse_valid(bytes: &[u8], schema: &ColumnSet) -> Option<RecordLayout> {
        let (&[format, fixed_byte, var_byte, reserved, t0, t1], _) = bytes.split_first_chunk()?;
        // Every offset below is bounded by the record's length, so none can overflow.
        if bytes.len() > FORMAT_MOST_BYTES || format != FORMAT_VERSION || reserved != 0 {
            return None;
        }
        let (fixed_count, var_count) = (usize::from(fixed_byte), usize::from(var_byte));
        let tagged_raw = u16::from_le_bytes([t0, t1]);
        let tagged_count = usize::from(tagged_raw);
        if fixed_count > FIXED_COLUMNS_MAX || var_count > VARIABLE_COLUMNS_MAX {
            return None;
        }
        let fixed_data = HEADER_BYTES + fixed_count.div_ceil(8);
        let var_offsets = fixed_data + schema.fixed_area_width(fixed_count)?;
        let var_data = var_offsets + 2 * var_count;
        let offsets = bytes.get(var_offsets..var_data)?;
        let bitmap = bytes.get(HEADER_BYTES..fixed_data)?;
        if fixed_count % 8 != 0 && bitmap.last().is_some_and(|b| b >> (fixed_count % 8) != 0) {
            return None;
        }
        if bitmap.iter().any(|b| *b != 0)
            && !Self::nulls_are_zero(bitmap, bytes, fixed_data, schema)
        {
            return None;
        }
        let mut prev = 0usize;
        for raw in offsets.chunks_exact(2) {
            let raw = u16::from_le_bytes([raw[0], raw[1]]);
            let end = usize::from(raw & !NULL_BIT);
            if end < prev || (raw & NULL_BIT != 0 && end != prev) {
                return None;
            }
            prev = end;
        }
        let tagged_dir = var_data + prev;
        let tagged_end = if tagged_count == 0 {
            tagged_dir
        } else {
            Self::valid_tagged_end(bytes, tagged_dir, tagged_count)?
        };
        if tagged_end != bytes.len() {
            return None;
        }
        // Both offsets are below the record's length, checked against FORMAT_MOST_BYTES.
        Some(RecordLayout {
            fixed_count: fixed_byte,
            var_count: var_byte,
            tagged_count: tagged_raw,
            var_offsets: u16::try_from(var_offsets).ok()?,
            tagged_dir: u16::try_from(tagged_dir).ok()?,
        })
    }

    /// Whether every fixed column `bitmap` marks NULL holds only zero bytes in `bytes`
    /// (whose fixed data starts at `fixed_data`). Kept out of [`RecordLayout::parse_valid`]:
    /// most records have no NULL fixed column.
    #[cold]
    fn nulls_are_zero(bitmap: &[u8], bytes: &[u8], fixed_data: usize, schema: &ColumnSet) -> bool {
        for (byte_index, &bits) in bitmap.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let i = byte_index * 8 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let Some((start, width)) = schema.fixed_span(i)
                    && bytes
                        .get(fixed_data + start..fixed_data + start + width)
                        .is_some_and(|d| d.iter().any(|b| *b != 0))
                {
                    return false;
                }
            }
        }
        true
    }

    /// [`RecordLayout::parse_valid`]'s checks of a tagged directory of `count` entries at
    /// `dir` and of each entry's data: where the tagged data ends, or `None`.
    fn valid_tagged_end(bytes: &[u8], dir: usize, count: usize) -> Option<usize> {
        let data = dir + TAGGED_ENTRY_BYTES * count;
        let entries = bytes.get(dir..data)?;
        let (mut prev_fid, mut prev) = (0u16, 0usize);
        for entry in entries.chunks_exact(TAGGED_ENTRY_BYTES) {
            let fid = u16::from_le_bytes([entry[0], entry[1]]);
            let end = usize::from(u16::from_le_bytes([entry[3], entry[4]]));
            if !TAGGED_COLUMN_IDS.contains(&u32::from(fid)) || fid <= prev_fid || end < prev {
                return None;
            }
            let slice = bytes.get(data + prev..data + end)?;
            let valid = match entry[2] {
                FLAG_NULL => slice.is_empty(),
                0 => true,
                FLAG_SEPARATED => slice.len() == LV_REF_BYTES,
                FLAG_MULTI => is_valid_multi(slice),
                _ => false,
            };
            if !valid {
                return None;
            }
            prev_fid = fid;
            prev = end;
        }
        Some(data + prev)
    }

    /// [`RecordLayout::parse`] step by step, naming the first fault it finds.
    fn parse_checked(bytes: &[u8], schema: &ColumnSet) -> Result<RecordLayout> {
        if bytes.len() > FORMAT_MOST_BYTES {
            return Err(Error::Corrupt("record longer than the format allows"));
        }
        let mut r = Reader { bytes, pos: 0 };
        if r.u8()? != FORMAT_VERSION {
            return Err(Error::Corrupt("unknown record format"));
        }
        let fixed_count_byte = r.u8()?;
        let var_count_byte = r.u8()?;
        let (fixed_count, var_count) = (usize::from(fixed_count_byte), usize::from(var_count_byte));
        if r.u8()? != 0 {
            return Err(Error::Corrupt("reserved header byte is not zero"));
        }
        let tagged_count_raw = r.u16()?;
        let tagged_count = usize::from(tagged_count_raw);
        if fixed_count > FIXED_COLUMNS_MAX || var_count > VARIABLE_COLUMNS_MAX {
            return Err(Error::Corrupt("column count out of range"));
        }
        let bitmap = r.take(fixed_count.div_ceil(8))?;
        if fixed_count % 8 != 0
            && let Some(last) = bitmap.last()
            && last >> (fixed_count % 8) != 0
        {
            return Err(Error::Corrupt("unused null bits are set"));
        }
        let fixed_data = r.pos;
        let fixed_width = schema
            .fixed_area_width(fixed_count)
            .ok_or(Error::Corrupt("fixed column missing from the schema"))?;
        r.take(fixed_width)?;
        // Only the NULL columns' bytes need a look (they must be zero).
        if !Self::nulls_are_zero(bitmap, bytes, fixed_data, schema) {
            return Err(Error::Corrupt("a NULL fixed column holds data"));
        }
        let var_offsets = r.pos;
        let mut prev = 0usize;
        for _ in 0..var_count {
            let raw = r.u16()?;
            let end = usize::from(raw & !NULL_BIT);
            let is_null = raw & NULL_BIT != 0;
            if end < prev || (is_null && end != prev) {
                return Err(Error::Corrupt("variable offsets out of order"));
            }
            prev = end;
        }
        let var_data = r.pos;
        r.take(prev)?;
        let tagged_dir = r.pos;
        let mut prev_fid = 0u16;
        let mut prev = 0usize;
        for _ in 0..tagged_count {
            let fid = r.u16()?;
            r.u8()?;
            let end = usize::from(r.u16()?);
            if !TAGGED_COLUMN_IDS.contains(&u32::from(fid)) || fid <= prev_fid {
                return Err(Error::Corrupt("tagged ids out of range or order"));
            }
            if end < prev {
                return Err(Error::Corrupt("tagged offsets out of order"));
            }
            prev_fid = fid;
            prev = end;
        }
        let tagged_data = r.pos;
        r.take(prev)?;
        if r.pos != bytes.len() {
            return Err(Error::Corrupt("trailing bytes after the record"));
        }
        let offset = |at: usize| {
            u16::try_from(at).map_err(|_| Error::Corrupt("record longer than the format allows"))
        };
        let layout = RecordLayout {
            fixed_count: fixed_count_byte,
            var_count: var_count_byte,
            tagged_count: tagged_count_raw,
            var_offsets: offset(var_offsets)?,
            tagged_dir: offset(tagged_dir)?,
        };
        debug_assert_eq!(
            (layout.fixed_data(), layout.var_data(), layout.tagged_data()),
            (fixed_data, var_data, tagged_data)
        );
        for i in 0..tagged_count {
            let (_, flags, slice) = layout.tagged_entry(bytes, i)?;
            match flags {
                FLAG_NULL if slice.is_empty() => {}
                0 => {}
                FLAG_SEPARATED => {
                    lv_ref(slice)?;
                }
                FLAG_MULTI => {
                    decode_multi(slice)?;
                }
                _ => return Err(Error::Corrupt("unknown tagged flags")),
            }
        }
        Ok(layout)
    }

    /// How many fixed columns the record stores.
    #[inline]
    fn fixed_count(&self) -> usize {
        usize::from(self.fixed_count)
    }

    /// How many variable columns the record stores.
    #[inline]
    fn var_count(&self) -> usize {
        usize::from(self.var_count)
    }

    /// How many tagged columns the record stores.
    #[inline]
    fn tagged_count(&self) -> usize {
        usize::from(self.tagged_count)
    }

    /// Where the fixed data starts: after the header and the null bitmap.
    #[inline]
    fn fixed_data(&self) -> usize {
        HEADER_BYTES + self.fixed_count().div_ceil(8)
    }

    /// Where the variable end offsets start.
    #[inline]
    fn var_offsets(&self) -> usize {
        usize::from(self.var_offsets)
    }

    /// Where the variable data starts.
    #[inline]
    fn var_data(&self) -> usize {
        self.var_offsets() + 2 * self.var_count()
    }

    /// Where the tagged directory starts.
    #[inline]
    fn tagged_dir(&self) -> usize {
        usize::from(self.tagged_dir)
    }

    /// Where the tagged data starts.
    #[inline]
    fn tagged_data(&self) -> usize {
        self.tagged_dir() + TAGGED_ENTRY_BYTES * self.tagged_count()
    }

    /// Whether fixed column `i` (0-based) is NULL.
    fn fixed_is_null(&self, bytes: &[u8], i: usize) -> bool {
        bytes
            .get(HEADER_BYTES + i / 8)
            .is_some_and(|b| b & (1 << (i % 8)) != 0)
    }

    /// Variable column `index` (0-based): `None` is NULL.
    #[inline(always)]
    fn variable<'a>(&self, bytes: &'a [u8], index: usize) -> Result<Option<&'a [u8]>> {
        let raw = u16_at(bytes, self.var_offsets() + 2 * index)?;
        if raw & NULL_BIT != 0 {
            return Ok(None);
        }
        let start = match index {
            0 => 0,
            _ => usize::from(u16_at(bytes, self.var_offsets() + 2 * (index - 1))? & !NULL_BIT),
        };
        let end = usize::from(raw);
        let len = end
            .checked_sub(start)
            .ok_or(Error::Corrupt("variable offsets out of order"))?;
        slice_at(bytes, self.var_data() + start, len).map(Some)
    }

    /// Tagged directory entry `i`: its fid, flags and slice of tagged data.
    fn tagged_entry<'a>(&self, bytes: &'a [u8], i: usize) -> Result<(u16, u8, &'a [u8])> {
        let at = self.tagged_dir() + TAGGED_ENTRY_BYTES * i;
        let fid = u16_at(bytes, at)?;
        let flags = *bytes
            .get(at + 2)
            .ok_or(Error::Corrupt("record ends early"))?;
        let end = usize::from(u16_at(bytes, at + 3)?);
        let start = match i {
            0 => 0,
            _ => usize::from(u16_at(bytes, at + 3 - TAGGED_ENTRY_BYTES)?),
        };
        let len = end
            .checked_sub(start)
            .ok_or(Error::Corrupt("tagged offsets out of order"))?;
        Ok((
            fid,
            flags,
            slice_at(bytes, self.tagged_data() + start, len)?,
        ))
    }

    /// The flags and slice of tagged column `fid`, if the record stores it.
    fn find_tagged<'a>(&self, bytes: &'a [u8], fid: u16) -> Result<Option<(u8, &'a [u8])>> {
        // Ids are strictly ascending (checked by `parse`): a binary search finds `fid`.
        let (mut lo, mut hi) = (0usize, self.tagged_count());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = u16_at(bytes, self.tagged_dir() + TAGGED_ENTRY_BYTES * mid)?;
            match at.cmp(&fid) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let (_, flags, slice) = self.tagged_entry(bytes, mid)?;
                    return Ok(Some((flags, slice)));
                }
            }
        }
        Ok(None)
    }
}

/// `len` bytes of `bytes` from `pos`, or [`Error::Corrupt`].
#[inline]
fn slice_at(bytes: &[u8], pos: usize, len: usize) -> Result<&[u8]> {
    pos.checked_add(len)
        .and_then(|end| bytes.get(pos..end))
        .ok_or(Error::Corrupt("record ends early"))
}

/// The little-endian u16 at `pos`, or [`Error::Corrupt`].
#[inline]
fn u16_at(bytes: &[u8], pos: usize) -> Result<u16> {
    let s = slice_at(bytes, pos, 2)?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

/// A tagged column's stored state from its directory flags and slice.
fn tagged_value(flags: u8, slice: &[u8]) -> Result<Tagged> {
    Ok(match flags {
        FLAG_NULL if slice.is_empty() => Tagged::Null,
        0 => Tagged::Values(vec![StoredValue::Intrinsic(slice.to_vec())]),
        FLAG_SEPARATED => Tagged::Values(vec![lv_ref(slice)?]),
        FLAG_MULTI => Tagged::Values(decode_multi(slice)?),
        _ => return Err(Error::Corrupt("unknown tagged flags")),
    })
}

/// Value `index` (0-based) of a multi-valued slice checked by `decode_multi`.
fn multi_value(slice: &[u8], index: usize) -> Result<Option<ValueRef<'_>>> {
    let count = usize::from(u16_at(slice, 0)?);
    if index >= count {
        return Ok(None);
    }
    let raw = u16_at(slice, 2 + 2 * index)?;
    let start = match index {
        0 => 0,
        _ => usize::from(u16_at(slice, 2 * index)? & !NULL_BIT),
    };
    let end = usize::from(raw & !NULL_BIT);
    let len = end
        .checked_sub(start)
        .ok_or(Error::Corrupt("multi-value offsets out of order"))?;
    let v = slice_at(slice, 2 + 2 * count + start, len)?;
    Ok(Some(if raw & NULL_BIT != 0 {
        ValueRef::Separated(lv_id(v)?)
    } else {
        ValueRef::Intrinsic(v)
    }))
}

/// A bounds-checked cursor over stored bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(Error::Corrupt("length overflow"))?;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or(Error::Corrupt("record ends early"))?;
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
}

#[cfg(test)]
mod tests;
