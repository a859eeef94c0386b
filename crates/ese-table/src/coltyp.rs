//! Column types, column grbits, column definitions and JetAddColumn's validation rules.
//!
//! A column is described to `JetAddColumn` by a type (`JET_coltyp…`), a maximum size, a code
//! page, a set of grbits and an optional default value: here a [`ColumnSpec`]. Validation
//! ([`ColumnSpec::validate`]) follows ESE's `ErrFILEIValidateAddColumn` and `UlCATColumnSize`
//! check by check and in the same order, so the first failing rule gives the same code ESE
//! gives (reference 10 §4–§7):
//!
//! ```text
//! cbMax > 0x7FFFFFFF ............................. InvalidParameter     -1003
//! coltyp 0, 13 (SLV) or >= 19 .................... InvalidColumnType    -1511
//! text code page not 0/1252/1200 ................. InvalidCodePage      -1063
//! Compressed on a non-LV type .................... ColumnCannotBeCompressed -1538
//! Fixed with Tagged or on an LV type ............. InvalidGrbit          -900
//! MultiValued on a fixed/variable column ......... MultiValuedColumnMustBeTagged -1509
//! Escrow: not Long/LongLong, with Version/Autoinc,
//!         no default, Finalize+DeleteOnZero ...... InvalidGrbit          -900
//! Escrow/Version/Autoinc with Tagged ............. CannotBeTagged       -1521
//! Escrow/Autoinc without an exclusive lock ....... ExclusiveTableLockRequired -1322
//! Finalize/DeleteOnZero without Escrow ........... InvalidGrbit          -900
//! Version not Long, Autoinc not Long/LongLong/
//!         UnsignedLongLong/Currency .............. InvalidGrbit          -900
//! UserDefinedDefault with Fixed/NotNULL/... ...... InvalidGrbit          -900
//! default longer than cbMax (LV: 255) ............ DefaultValueTooBig   -1524
//! Text/Binary cbMax > 255 ........................ clamped, wrnColumnMaxTruncated 1512
//! ```
//!
//! (The reference's prose says a wrongly typed Version/Autoincrement column gives
//! InvalidColumnType; ESE's code returns InvalidGrbit, and the code is what we follow.)
//!
//! Where a column lives is decided by type as much as by grbit (`ErrFILEGetNextColumnid`):
//! Tagged or a long-value type → tagged (ids 256–65248); else Fixed or a type with an
//! intrinsic size → fixed (ids 1–127); else (Text/Binary) → variable (ids 128–255).
//! [`ColumnSet`] holds a table's columns and checks the rules that involve more than one
//! column: one version and one autoincrement column per table, the fixed area within the
//! record limit, ids allocated per class and never reused.

use std::collections::BTreeMap;
use std::fmt;

use ese_core::limits::{
    COLUMN_MOST_BYTES, FIXED_COLUMN_IDS, LONG_VALUE_DEFAULT_MOST_BYTES, LONG_VALUE_MOST_BYTES,
    TAGGED_COLUMN_IDS, VARIABLE_COLUMN_IDS,
};

use crate::error::{Error, Result, Warning};
use crate::record;

/// A column type (`JET_COLTYP`), with ESE's numeric values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u32)]
pub enum ColumnType {
    /// JET_coltypBit (1): one byte, 0 = false, anything else = true.
    Bit = 1,
    /// JET_coltypUnsignedByte (2).
    UnsignedByte = 2,
    /// JET_coltypShort (3): signed 16-bit.
    Short = 3,
    /// JET_coltypLong (4): signed 32-bit.
    Long = 4,
    /// JET_coltypCurrency (5): signed 64-bit.
    Currency = 5,
    /// JET_coltypIEEESingle (6).
    IEEESingle = 6,
    /// JET_coltypIEEEDouble (7).
    IEEEDouble = 7,
    /// JET_coltypDateTime (8): an OLE DATE, sorted as a double.
    DateTime = 8,
    /// JET_coltypBinary (9): up to 255 bytes.
    Binary = 9,
    /// JET_coltypText (10): up to 255 bytes, code page 1252 or 1200.
    Text = 10,
    /// JET_coltypLongBinary (11): long value, always tagged.
    LongBinary = 11,
    /// JET_coltypLongText (12): long value, always tagged.
    LongText = 12,
    /// JET_coltypUnsignedLong (14).
    UnsignedLong = 14,
    /// JET_coltypLongLong (15): signed 64-bit.
    LongLong = 15,
    /// JET_coltypGUID (16): 16 bytes.
    Guid = 16,
    /// JET_coltypUnsignedShort (17).
    UnsignedShort = 17,
    /// JET_coltypUnsignedLongLong (18, Windows 10).
    UnsignedLongLong = 18,
}

/// JET_coltypMax on Windows 10: the first value that is not a type.
pub const COLTYP_MAX: u32 = 19;
/// The obsolete JET_coltypSLV, always rejected.
pub const COLTYP_SLV: u32 = 13;

impl ColumnType {
    /// Every type, in numeric order.
    pub const ALL: [ColumnType; 17] = [
        ColumnType::Bit,
        ColumnType::UnsignedByte,
        ColumnType::Short,
        ColumnType::Long,
        ColumnType::Currency,
        ColumnType::IEEESingle,
        ColumnType::IEEEDouble,
        ColumnType::DateTime,
        ColumnType::Binary,
        ColumnType::Text,
        ColumnType::LongBinary,
        ColumnType::LongText,
        ColumnType::UnsignedLong,
        ColumnType::LongLong,
        ColumnType::Guid,
        ColumnType::UnsignedShort,
        ColumnType::UnsignedLongLong,
    ];

    /// The type with ESE's number `raw`; 0, 13 and ≥ 19 are JET_errInvalidColumnType.
    pub fn from_raw(raw: u32) -> Result<ColumnType> {
        ColumnType::ALL
            .iter()
            .copied()
            .find(|t| *t as u32 == raw)
            .ok_or(Error::InvalidColumnType)
    }

    /// ESE's number for this type.
    pub const fn raw(self) -> u32 {
        self as u32
    }

    /// The natural size of a fixed-size type; `None` for Text, Binary and the long types.
    pub const fn fixed_size(self) -> Option<usize> {
        match self {
            ColumnType::Bit | ColumnType::UnsignedByte => Some(1),
            ColumnType::Short | ColumnType::UnsignedShort => Some(2),
            ColumnType::Long | ColumnType::UnsignedLong | ColumnType::IEEESingle => Some(4),
            ColumnType::Currency
            | ColumnType::IEEEDouble
            | ColumnType::DateTime
            | ColumnType::LongLong
            | ColumnType::UnsignedLongLong => Some(8),
            ColumnType::Guid => Some(16),
            ColumnType::Binary
            | ColumnType::Text
            | ColumnType::LongBinary
            | ColumnType::LongText => None,
        }
    }

    /// Whether this is LongText or LongBinary (ESE's `FRECLongValue`).
    pub const fn is_long_value(self) -> bool {
        matches!(self, ColumnType::LongText | ColumnType::LongBinary)
    }

    /// Whether this is Text or LongText (ESE's `FRECTextColumn`).
    pub const fn is_text(self) -> bool {
        matches!(self, ColumnType::Text | ColumnType::LongText)
    }

    /// Whether this is Binary or LongBinary (ESE's `FRECBinaryColumn`).
    pub const fn is_binary(self) -> bool {
        matches!(self, ColumnType::Binary | ColumnType::LongBinary)
    }
}

/// The code page of a text column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodePage {
    /// 1252, "ASCII": any bytes; keys fold a–z only.
    Western,
    /// 1200: UTF-16LE.
    Unicode,
}

impl CodePage {
    /// ESE's number for the code page.
    pub const fn raw(self) -> u32 {
        match self {
            CodePage::Western => 1252,
            CodePage::Unicode => 1200,
        }
    }

    /// Bytes per character: 2 for UTF-16, 1 otherwise.
    pub const fn char_bytes(self) -> usize {
        match self {
            CodePage::Western => 1,
            CodePage::Unicode => 2,
        }
    }
}

/// Column grbits (`JET_bitColumn…`), with ESE's values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ColumnGrbit(pub u32);

impl ColumnGrbit {
    /// No flags.
    pub const NONE: ColumnGrbit = ColumnGrbit(0);
    /// JET_bitColumnFixed (0x1).
    pub const FIXED: ColumnGrbit = ColumnGrbit(0x1);
    /// JET_bitColumnTagged (0x2).
    pub const TAGGED: ColumnGrbit = ColumnGrbit(0x2);
    /// JET_bitColumnNotNULL (0x4).
    pub const NOT_NULL: ColumnGrbit = ColumnGrbit(0x4);
    /// JET_bitColumnVersion (0x8).
    pub const VERSION: ColumnGrbit = ColumnGrbit(0x8);
    /// JET_bitColumnAutoincrement (0x10).
    pub const AUTOINCREMENT: ColumnGrbit = ColumnGrbit(0x10);
    /// JET_bitColumnUpdatable (0x20), output only.
    pub const UPDATABLE: ColumnGrbit = ColumnGrbit(0x20);
    /// JET_bitColumnTTKey (0x40), temporary tables only.
    pub const TT_KEY: ColumnGrbit = ColumnGrbit(0x40);
    /// JET_bitColumnTTDescending (0x80), temporary tables only.
    pub const TT_DESCENDING: ColumnGrbit = ColumnGrbit(0x80);
    /// JET_bitColumnMultiValued (0x400).
    pub const MULTI_VALUED: ColumnGrbit = ColumnGrbit(0x400);
    /// JET_bitColumnEscrowUpdate (0x800).
    pub const ESCROW_UPDATE: ColumnGrbit = ColumnGrbit(0x800);
    /// JET_bitColumnUnversioned (0x1000).
    pub const UNVERSIONED: ColumnGrbit = ColumnGrbit(0x1000);
    /// JET_bitColumnMaybeNull (0x2000), reserved.
    pub const MAYBE_NULL: ColumnGrbit = ColumnGrbit(0x2000);
    /// JET_bitColumnFinalize (0x4000), deprecated; escrow only.
    pub const FINALIZE: ColumnGrbit = ColumnGrbit(0x4000);
    /// JET_bitColumnUserDefinedDefault (0x8000).
    pub const USER_DEFINED_DEFAULT: ColumnGrbit = ColumnGrbit(0x8000);
    /// JET_bitColumnDeleteOnZero (0x20000); escrow only.
    pub const DELETE_ON_ZERO: ColumnGrbit = ColumnGrbit(0x20000);
    /// JET_bitColumnVariable (0x40000), managed interop only.
    pub const VARIABLE: ColumnGrbit = ColumnGrbit(0x40000);
    /// JET_bitColumnCompressed (0x80000); long values only.
    pub const COMPRESSED: ColumnGrbit = ColumnGrbit(0x80000);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: ColumnGrbit) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    pub const fn intersects(self, other: ColumnGrbit) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for ColumnGrbit {
    type Output = ColumnGrbit;
    fn bitor(self, rhs: ColumnGrbit) -> ColumnGrbit {
        ColumnGrbit(self.0 | rhs.0)
    }
}

/// Where a column's values live in a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColumnClass {
    /// Ids 1–127: always its full width, plus a null bit.
    Fixed,
    /// Ids 128–255: an end offset with a null bit, then data.
    Variable,
    /// Ids 256–65248: present only when set; may hold several values.
    Tagged,
}

/// A column id (`JET_COLUMNID`): its low 16 bits are the field id, which fixes the class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ColumnId(pub u32);

impl ColumnId {
    /// The field id (ESE's FID): the low 16 bits.
    pub const fn fid(self) -> u16 {
        (self.0 & 0xFFFF) as u16
    }

    /// The class the id's range gives, or `None` outside every range.
    #[inline]
    pub fn class(self) -> Option<ColumnClass> {
        // Asked for every value read: one match on constant ranges, which compiles to a
        // few comparisons (`RangeInclusive::contains` does not fold as well).
        const FIXED_FIRST: u32 = *FIXED_COLUMN_IDS.start();
        const FIXED_LAST: u32 = *FIXED_COLUMN_IDS.end();
        const VARIABLE_FIRST: u32 = *VARIABLE_COLUMN_IDS.start();
        const VARIABLE_LAST: u32 = *VARIABLE_COLUMN_IDS.end();
        const TAGGED_FIRST: u32 = *TAGGED_COLUMN_IDS.start();
        const TAGGED_LAST: u32 = *TAGGED_COLUMN_IDS.end();
        if self.0 & !(0xFFFF | ese_core::limits::COLUMN_ID_TEMPLATE_BIT) != 0 {
            return None;
        }
        match u32::from(self.fid()) {
            FIXED_FIRST..=FIXED_LAST => Some(ColumnClass::Fixed),
            VARIABLE_FIRST..=VARIABLE_LAST => Some(ColumnClass::Variable),
            TAGGED_FIRST..=TAGGED_LAST => Some(ColumnClass::Tagged),
            _ => None,
        }
    }

    /// The first id of `class`.
    pub const fn first_of(class: ColumnClass) -> ColumnId {
        match class {
            ColumnClass::Fixed => ColumnId(*FIXED_COLUMN_IDS.start()),
            ColumnClass::Variable => ColumnId(*VARIABLE_COLUMN_IDS.start()),
            ColumnClass::Tagged => ColumnId(*TAGGED_COLUMN_IDS.start()),
        }
    }

    /// The last id of `class`.
    pub const fn last_of(class: ColumnClass) -> ColumnId {
        match class {
            ColumnClass::Fixed => ColumnId(*FIXED_COLUMN_IDS.end()),
            ColumnClass::Variable => ColumnId(*VARIABLE_COLUMN_IDS.end()),
            ColumnClass::Tagged => ColumnId(*TAGGED_COLUMN_IDS.end()),
        }
    }
}

impl fmt::Display for ColumnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What `JetAddColumn` is given: JET_COLUMNDEF's fields and the default value, unchecked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The raw `coltyp`.
    pub coltyp: u32,
    /// The raw `cbMax` (0 = the type's default).
    pub max_bytes: u64,
    /// The raw code page (0 = 1252 for text; ignored for other types).
    pub code_page: u32,
    /// The grbits.
    pub grbit: ColumnGrbit,
    /// The default value; empty means none.
    pub default: Vec<u8>,
}

impl ColumnSpec {
    /// A spec of `coltyp` with `grbit` and everything else defaulted.
    pub fn new(coltyp: ColumnType, grbit: ColumnGrbit) -> ColumnSpec {
        ColumnSpec {
            coltyp: coltyp.raw(),
            grbit,
            ..ColumnSpec::default()
        }
    }

    /// Checks the spec as `JetAddColumn` does (`ErrFILEIValidateAddColumn`), in ESE's order.
    ///
    /// `exclusive_lock` says whether the caller holds the table exclusively, which
    /// autoincrement and escrow columns need. On success the checked column carries its
    /// class, its effective `cbMax`, and a warning when `cbMax` was clamped to 255.
    pub fn validate(&self, exclusive_lock: bool) -> Result<CheckedColumn> {
        let grbit = self.grbit;
        let has_default = !self.default.is_empty();
        if self.max_bytes > LONG_VALUE_MOST_BYTES as u64 {
            return Err(Error::InvalidParameter("cbMax exceeds 0x7FFFFFFF"));
        }
        let coltyp = ColumnType::from_raw(self.coltyp)?;
        let code_page = if coltyp.is_text() {
            match self.code_page {
                0 | 1252 => Some(CodePage::Western),
                1200 => Some(CodePage::Unicode),
                _ => return Err(Error::InvalidCodePage),
            }
        } else {
            None
        };
        if grbit.contains(ColumnGrbit::COMPRESSED) && !coltyp.is_long_value() {
            return Err(Error::ColumnCannotBeCompressed);
        }
        if grbit.contains(ColumnGrbit::TAGGED) || coltyp.is_long_value() {
            if grbit.contains(ColumnGrbit::FIXED) {
                return Err(Error::InvalidGrbit(
                    "Fixed with a tagged or long-value column",
                ));
            }
        } else if grbit.contains(ColumnGrbit::MULTI_VALUED) {
            return Err(Error::MultiValuedColumnMustBeTagged);
        }
        let tagged = grbit.contains(ColumnGrbit::TAGGED);
        if grbit.contains(ColumnGrbit::ESCROW_UPDATE) {
            if !matches!(coltyp, ColumnType::Long | ColumnType::LongLong) {
                return Err(Error::InvalidGrbit(
                    "escrow needs a Long or LongLong column",
                ));
            }
            if tagged {
                return Err(Error::CannotBeTagged);
            }
            if grbit.intersects(ColumnGrbit::VERSION | ColumnGrbit::AUTOINCREMENT) {
                return Err(Error::InvalidGrbit("escrow with version or autoincrement"));
            }
            if !has_default {
                return Err(Error::InvalidGrbit("escrow needs a default value"));
            }
            if !exclusive_lock {
                return Err(Error::ExclusiveTableLockRequired);
            }
            if grbit.contains(ColumnGrbit::FINALIZE | ColumnGrbit::DELETE_ON_ZERO) {
                return Err(Error::InvalidGrbit("Finalize with DeleteOnZero"));
            }
        } else if grbit.intersects(ColumnGrbit::FINALIZE | ColumnGrbit::DELETE_ON_ZERO) {
            return Err(Error::InvalidGrbit(
                "Finalize and DeleteOnZero need an escrow column",
            ));
        } else if grbit.intersects(ColumnGrbit::VERSION | ColumnGrbit::AUTOINCREMENT) {
            if grbit.contains(ColumnGrbit::AUTOINCREMENT) {
                if !matches!(
                    coltyp,
                    ColumnType::Long
                        | ColumnType::LongLong
                        | ColumnType::UnsignedLongLong
                        | ColumnType::Currency
                ) {
                    return Err(Error::InvalidGrbit(
                        "autoincrement needs Long, LongLong, UnsignedLongLong or Currency",
                    ));
                }
            } else if coltyp != ColumnType::Long {
                return Err(Error::InvalidGrbit("a version column must be Long"));
            }
            if tagged {
                return Err(Error::CannotBeTagged);
            }
            if grbit.contains(ColumnGrbit::VERSION | ColumnGrbit::AUTOINCREMENT) {
                return Err(Error::InvalidGrbit("version with autoincrement"));
            }
            if grbit.contains(ColumnGrbit::AUTOINCREMENT) && !exclusive_lock {
                return Err(Error::ExclusiveTableLockRequired);
            }
        }
        if grbit.contains(ColumnGrbit::USER_DEFINED_DEFAULT) {
            let forbidden = ColumnGrbit::FIXED
                | ColumnGrbit::NOT_NULL
                | ColumnGrbit::VERSION
                | ColumnGrbit::AUTOINCREMENT
                | ColumnGrbit::UPDATABLE
                | ColumnGrbit::ESCROW_UPDATE
                | ColumnGrbit::FINALIZE
                | ColumnGrbit::DELETE_ON_ZERO
                | ColumnGrbit::MAYBE_NULL;
            if grbit.intersects(forbidden) {
                return Err(Error::InvalidGrbit(
                    "UserDefinedDefault with an incompatible flag",
                ));
            }
            if !tagged && !coltyp.is_long_value() {
                return Err(Error::InvalidGrbit(
                    "UserDefinedDefault needs a tagged column",
                ));
            }
        }
        let class = if tagged || coltyp.is_long_value() {
            ColumnClass::Tagged
        } else if grbit.contains(ColumnGrbit::FIXED) || coltyp.fixed_size().is_some() {
            ColumnClass::Fixed
        } else {
            ColumnClass::Variable
        };
        let mut warning = None;
        // UlCATColumnSize: fixed-size types get their natural size, Text/Binary 1–255
        // (clamped with a warning), long values keep cbMax, 0 meaning unlimited.
        let max_bytes = match coltyp.fixed_size() {
            Some(size) => size,
            None if coltyp.is_long_value() => self.max_bytes as usize,
            None => {
                if self.max_bytes == 0 {
                    COLUMN_MOST_BYTES
                } else if self.max_bytes > COLUMN_MOST_BYTES as u64 {
                    warning = Some(Warning::ColumnMaxTruncated);
                    COLUMN_MOST_BYTES
                } else {
                    self.max_bytes as usize
                }
            }
        };
        if has_default && !grbit.contains(ColumnGrbit::USER_DEFINED_DEFAULT) {
            let too_big = if coltyp.is_long_value() {
                self.default.len() > LONG_VALUE_DEFAULT_MOST_BYTES
                    || (max_bytes != 0 && self.default.len() > max_bytes)
            } else {
                self.default.len() > max_bytes
            };
            if too_big {
                return Err(Error::DefaultValueTooBig);
            }
        }
        Ok(CheckedColumn {
            class,
            warning,
            coltyp,
            max_bytes,
            code_page,
            grbit,
            default: has_default.then(|| self.default.clone()),
        })
    }
}

/// A [`ColumnSpec`] that passed validation, waiting for its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedColumn {
    /// Where the column lives, which decides its id range.
    pub class: ColumnClass,
    /// JET_wrnColumnMaxTruncated when Text/Binary `cbMax` was clamped.
    pub warning: Option<Warning>,
    coltyp: ColumnType,
    max_bytes: usize,
    code_page: Option<CodePage>,
    grbit: ColumnGrbit,
    default: Option<Vec<u8>>,
}

impl CheckedColumn {
    /// The definition this column gets with `id`, which must lie in its class's range.
    pub fn with_id(self, id: ColumnId) -> Result<ColumnDef> {
        if id.class() != Some(self.class) {
            return Err(Error::BadColumnId(id.0));
        }
        Ok(ColumnDef {
            id,
            coltyp: self.coltyp,
            max_bytes: self.max_bytes,
            code_page: self.code_page,
            grbit: self.grbit,
            default: self.default,
        })
    }
}

/// A column's definition (JET_COLUMNDEF plus its default), as the catalog keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnDef {
    /// The column id; its range gives the class.
    pub id: ColumnId,
    /// The type.
    pub coltyp: ColumnType,
    /// The effective `cbMax`: the natural size of fixed-size types, 1–255 for Text/Binary,
    /// and for long values the limit or 0 for "up to 2 GiB − 1".
    pub max_bytes: usize,
    /// The code page of a text column; `None` for every other type.
    pub code_page: Option<CodePage>,
    /// The grbits.
    pub grbit: ColumnGrbit,
    /// The default value, if any.
    pub default: Option<Vec<u8>>,
}

impl ColumnDef {
    /// Validates `spec` and gives it `id` in one step (a convenience for tests and for
    /// catalogs read back from disk).
    pub fn new(id: ColumnId, spec: &ColumnSpec) -> Result<ColumnDef> {
        spec.validate(true)?.with_id(id)
    }

    /// The column's class, from its id.
    pub fn class(&self) -> ColumnClass {
        // Ids are checked against their class when the definition is made, so an id
        // outside every range cannot be reached through the public constructors.
        self.id.class().unwrap_or(ColumnClass::Tagged)
    }

    /// The width the column takes in the fixed area (`cbMax`), for fixed columns.
    pub fn fixed_width(&self) -> Option<usize> {
        (self.class() == ColumnClass::Fixed).then_some(self.max_bytes)
    }

    /// The largest value the column accepts: `cbMax`, or 2 GiB − 1 for an unlimited long value.
    pub fn value_most_bytes(&self) -> usize {
        if self.coltyp.is_long_value() && self.max_bytes == 0 {
            LONG_VALUE_MOST_BYTES
        } else {
            self.max_bytes
        }
    }

    /// Whether `grbit` is set on the column.
    pub fn has(&self, grbit: ColumnGrbit) -> bool {
        self.grbit.contains(grbit)
    }
}

// `ColumnSet::get` finds fixed and variable ids by their place from id 1.
const _: () = assert!(
    *FIXED_COLUMN_IDS.start() == 1
        && *VARIABLE_COLUMN_IDS.start() == *FIXED_COLUMN_IDS.end() + 1
        && *TAGGED_COLUMN_IDS.start() == *VARIABLE_COLUMN_IDS.end() + 1
);

/// A table's columns: the schema records are read and written against.
///
/// It enforces the rules that involve several columns: distinct ids, at most one version
/// and one autoincrement column (JET_errColumnRedundant), and a fixed area that leaves
/// room in a record of `record_most_bytes` (JET_errRecordTooBig). Deleted columns stay in
/// the set (ids are never reused) so that old records still decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSet {
    columns: BTreeMap<ColumnId, ColumnDef>,
    record_most_bytes: usize,
    /// Where fixed columns 1, 2, … end in a record's fixed data area: entry `i` is the sum
    /// of the widths of fixed columns 1 to `i + 1`, for the unbroken run of fixed ids from 1
    /// (a record's fixed area can only hold columns of that run). Kept by every change of
    /// `columns`, so a reader finds a fixed column without walking the set.
    fixed_ends: Vec<usize>,
    /// The union of every column's grbit, so that a question about columns having a flag
    /// most tables give none (version, autoincrement) is answered without walking the set.
    grbits: u32,
    /// How many fixed and variable slots an insert's copy buffer has, when every one of
    /// them starts NULL: no fixed or variable column (deleted ones included) has a default,
    /// and fixed ids run unbroken from 1. `None` otherwise.
    plain_insert: Option<(usize, usize)>,
    /// Copies of the fixed columns' definitions, fixed id `i + 1` at `i` (`None` for an id
    /// not in the set), and of the variable columns', variable id `128 + i` at `i`: a read
    /// finds a column of these classes, the ones records hold first, without a map search.
    /// Kept by every change of `columns`.
    fixed_defs: Vec<Option<ColumnDef>>,
    /// See `fixed_defs`.
    variable_defs: Vec<Option<ColumnDef>>,
}

impl ColumnSet {
    /// An empty set for records of at most `record_most_bytes` (see
    /// [`ese_core::limits::record_most_bytes`]).
    pub fn new(record_most_bytes: usize) -> ColumnSet {
        ColumnSet {
            columns: BTreeMap::new(),
            record_most_bytes,
            fixed_ends: Vec::new(),
            grbits: 0,
            plain_insert: Some((0, 0)),
            fixed_defs: Vec::new(),
            variable_defs: Vec::new(),
        }
    }

    /// A set holding `defs`, checked as if each were added in turn.
    pub fn with_columns(
        record_most_bytes: usize,
        defs: impl IntoIterator<Item = ColumnDef>,
    ) -> Result<ColumnSet> {
        let mut set = ColumnSet::new(record_most_bytes);
        for def in defs {
            set.insert(def)?;
        }
        Ok(set)
    }

    /// The record limit these columns were checked against.
    pub fn record_most_bytes(&self) -> usize {
        self.record_most_bytes
    }

    /// The next free id of `class` (the last id of the class + 1, as ESE allocates);
    /// JET_errTooManyColumns when the class is exhausted.
    pub fn next_id(&self, class: ColumnClass) -> Result<ColumnId> {
        let first = ColumnId::first_of(class);
        let last = ColumnId::last_of(class);
        match self.columns.range(first..=last).next_back() {
            None => Ok(first),
            Some((id, _)) if *id < last => Ok(ColumnId(id.0 + 1)),
            Some(_) => Err(Error::TooManyColumns),
        }
    }

    /// Validates `spec`, gives it the next id of its class and adds it: JetAddColumn's
    /// checks without the catalog. Returns the new id and any warning.
    pub fn add(
        &mut self,
        spec: &ColumnSpec,
        exclusive_lock: bool,
    ) -> Result<(ColumnId, Option<Warning>)> {
        let checked = spec.validate(exclusive_lock)?;
        let warning = checked.warning;
        let id = self.next_id(checked.class)?;
        self.insert(checked.with_id(id)?)?;
        Ok((id, warning))
    }

    /// Adds a column with its id already chosen (e.g. read back from the catalog).
    pub fn insert(&mut self, def: ColumnDef) -> Result<()> {
        let class = def.id.class().ok_or(Error::BadColumnId(def.id.0))?;
        if self.columns.contains_key(&def.id) {
            return Err(Error::ColumnDuplicate);
        }
        for (bit, _) in [
            (ColumnGrbit::VERSION, "version"),
            (ColumnGrbit::AUTOINCREMENT, "autoincrement"),
        ] {
            if def.has(bit) && self.columns.values().any(|c| c.has(bit)) {
                return Err(Error::ColumnRedundant);
            }
        }
        if class == ColumnClass::Fixed {
            let fixed_bytes: usize = self.columns.values().filter_map(|c| c.fixed_width()).sum();
            let fixed_count = self
                .columns
                .keys()
                .filter(|id| id.class() == Some(ColumnClass::Fixed))
                .count();
            let len = record::fixed_area_bytes(fixed_count + 1, fixed_bytes + def.max_bytes);
            if len > self.record_most_bytes {
                return Err(Error::RecordTooBig {
                    len,
                    max: self.record_most_bytes,
                });
            }
        }
        self.grbits |= def.grbit.0;
        self.columns.insert(def.id, def);
        self.index_fixed();
        Ok(())
    }

    /// Recomputes [`ColumnSet::fixed_ends`], [`ColumnSet::plain_insert`] and the dense
    /// copies of the fixed and variable definitions from the columns.
    fn index_fixed(&mut self) {
        self.fixed_defs.clear();
        self.variable_defs.clear();
        for c in self.columns.values() {
            let (defs, first) = match c.id.class() {
                Some(ColumnClass::Fixed) if c.id.0 <= *FIXED_COLUMN_IDS.end() => {
                    (&mut self.fixed_defs, *FIXED_COLUMN_IDS.start())
                }
                Some(ColumnClass::Variable) if c.id.0 <= *VARIABLE_COLUMN_IDS.end() => {
                    (&mut self.variable_defs, *VARIABLE_COLUMN_IDS.start())
                }
                // Tagged ids, and ids carrying the template bit, stay with the map.
                _ => continue,
            };
            let Ok(i) = usize::try_from(c.id.0 - first) else {
                continue;
            };
            if defs.len() <= i {
                defs.resize(i + 1, None);
            }
            defs[i] = Some(c.clone());
        }
        self.fixed_ends.clear();
        let mut end = 0usize;
        // Fixed ids come first in id order; the run stops at the first gap or non-fixed id.
        for (i, c) in self.columns.values().enumerate() {
            let Some(width) = c.fixed_width().filter(|_| c.id.0 == i as u32 + 1) else {
                break;
            };
            end += width;
            self.fixed_ends.push(end);
        }
        let (mut fixed, mut variable, mut defaults) = (0, 0, false);
        for c in self.columns.values() {
            let last = match c.class() {
                ColumnClass::Fixed => &mut fixed,
                ColumnClass::Variable => &mut variable,
                ColumnClass::Tagged => continue,
            };
            *last = (*last).max(usize::from(c.id.fid()));
            defaults |= c.default.is_some();
        }
        let variable = variable
            .saturating_sub(usize::from(ColumnId::first_of(ColumnClass::Variable).fid()) - 1);
        self.plain_insert =
            (!defaults && self.fixed_ends.len() == fixed).then_some((fixed, variable));
    }

    /// The fixed and variable slot counts of an insert's copy buffer when all its slots
    /// start NULL (see the field); `None` when some column has a default or fixed ids have
    /// a gap.
    pub fn plain_insert(&self) -> Option<(usize, usize)> {
        self.plain_insert
    }

    /// Where fixed column `i + 1` lies in a record's fixed data area: its offset from the
    /// area's start and its width; `None` when fixed columns 1 to `i + 1` are not all in
    /// the set (no record of this schema can then hold column `i + 1`).
    #[inline]
    pub fn fixed_span(&self, i: usize) -> Option<(usize, usize)> {
        let end = *self.fixed_ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(before) => self.fixed_ends[before],
            None => 0,
        };
        Some((start, end - start))
    }

    /// The total width of fixed columns 1 to `count`; `None` when they are not all in the
    /// set.
    #[inline]
    pub fn fixed_area_width(&self, count: usize) -> Option<usize> {
        match count.checked_sub(1) {
            None => Some(0),
            Some(last) => self.fixed_ends.get(last).copied(),
        }
    }

    /// The column with `id`: JET_errBadColumnId outside every id range,
    /// JET_errColumnNotFound when no such column exists.
    #[inline]
    pub fn get(&self, id: ColumnId) -> Result<&ColumnDef> {
        // Fixed and variable ids (without the template bit) index the dense copies; the
        // answer is the map's, which they mirror.
        let dense = match id.0 {
            0 => return Err(Error::BadColumnId(id.0)),
            raw if raw <= *FIXED_COLUMN_IDS.end() => {
                Some((&self.fixed_defs, raw - *FIXED_COLUMN_IDS.start()))
            }
            raw if raw <= *VARIABLE_COLUMN_IDS.end() => {
                Some((&self.variable_defs, raw - *VARIABLE_COLUMN_IDS.start()))
            }
            _ => None,
        };
        if let Some((defs, i)) = dense {
            return usize::try_from(i)
                .ok()
                .and_then(|i| defs.get(i))
                .and_then(Option::as_ref)
                .ok_or(Error::ColumnNotFound);
        }
        if id.class().is_none() {
            return Err(Error::BadColumnId(id.0));
        }
        self.columns.get(&id).ok_or(Error::ColumnNotFound)
    }

    /// Whether some column (deleted ones included) may have every bit of `grbit`: `false`
    /// means none has.
    pub fn may_have(&self, grbit: ColumnGrbit) -> bool {
        self.grbits & grbit.0 == grbit.0
    }

    /// Every column, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &ColumnDef> {
        self.columns.values()
    }

    /// The width of fixed column `fid` (1–127), if that column exists.
    pub fn fixed_width(&self, fid: u16) -> Option<usize> {
        self.columns
            .get(&ColumnId(u32::from(fid)))
            .and_then(ColumnDef::fixed_width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(coltyp: u32, grbit: u32) -> ColumnSpec {
        ColumnSpec {
            coltyp,
            grbit: ColumnGrbit(grbit),
            ..ColumnSpec::default()
        }
    }

    #[test]
    fn types_have_ese_numbers_and_sizes() {
        let cases = [
            (ColumnType::Bit, 1, Some(1)),
            (ColumnType::UnsignedByte, 2, Some(1)),
            (ColumnType::Short, 3, Some(2)),
            (ColumnType::Long, 4, Some(4)),
            (ColumnType::Currency, 5, Some(8)),
            (ColumnType::IEEESingle, 6, Some(4)),
            (ColumnType::IEEEDouble, 7, Some(8)),
            (ColumnType::DateTime, 8, Some(8)),
            (ColumnType::Binary, 9, None),
            (ColumnType::Text, 10, None),
            (ColumnType::LongBinary, 11, None),
            (ColumnType::LongText, 12, None),
            (ColumnType::UnsignedLong, 14, Some(4)),
            (ColumnType::LongLong, 15, Some(8)),
            (ColumnType::Guid, 16, Some(16)),
            (ColumnType::UnsignedShort, 17, Some(2)),
            (ColumnType::UnsignedLongLong, 18, Some(8)),
        ];
        for (t, raw, size) in cases {
            assert_eq!(t.raw(), raw);
            assert_eq!(ColumnType::from_raw(raw), Ok(t));
            assert_eq!(t.fixed_size(), size, "{t:?}");
        }
        for raw in [0, COLTYP_SLV, COLTYP_MAX, 100] {
            assert_eq!(ColumnType::from_raw(raw), Err(Error::InvalidColumnType));
        }
    }

    #[test]
    fn validation_errors_follow_ese() {
        use ColumnGrbit as G;
        let long = ColumnType::Long as u32;
        let text = ColumnType::Text as u32;
        let lt = ColumnType::LongText as u32;
        let ll = ColumnType::LongLong as u32;
        let with_default = |mut s: ColumnSpec| {
            s.default = vec![0; 4];
            s
        };
        // (spec, exclusive lock, expected JET code)
        let cases: Vec<(ColumnSpec, bool, i32)> = vec![
            (spec(0, 0), true, -1511),
            (spec(13, 0), true, -1511),
            (spec(19, 0), true, -1511),
            (
                ColumnSpec {
                    coltyp: text,
                    code_page: 437,
                    ..ColumnSpec::default()
                },
                true,
                -1063,
            ),
            (
                ColumnSpec {
                    coltyp: long,
                    max_bytes: 0x8000_0000,
                    ..ColumnSpec::default()
                },
                true,
                -1003,
            ),
            (spec(long, G::COMPRESSED.0), true, -1538),
            (spec(text, G::FIXED.0 | G::TAGGED.0), true, -900),
            (spec(lt, G::FIXED.0), true, -900),
            (spec(long, G::MULTI_VALUED.0), true, -1509),
            (spec(text, G::MULTI_VALUED.0), true, -1509),
            (with_default(spec(text, G::ESCROW_UPDATE.0)), true, -900),
            (
                with_default(spec(long, G::ESCROW_UPDATE.0 | G::TAGGED.0)),
                true,
                -1521,
            ),
            (spec(long, G::ESCROW_UPDATE.0), true, -900),
            (
                with_default(spec(long, G::ESCROW_UPDATE.0 | G::VERSION.0)),
                true,
                -900,
            ),
            (with_default(spec(long, G::ESCROW_UPDATE.0)), false, -1322),
            (
                with_default(spec(
                    long,
                    G::ESCROW_UPDATE.0 | G::FINALIZE.0 | G::DELETE_ON_ZERO.0,
                )),
                true,
                -900,
            ),
            (spec(long, G::DELETE_ON_ZERO.0), true, -900),
            (spec(long, G::FINALIZE.0), true, -900),
            (spec(ColumnType::Short as u32, G::VERSION.0), true, -900),
            (spec(text, G::AUTOINCREMENT.0), true, -900),
            (spec(long, G::VERSION.0 | G::TAGGED.0), true, -1521),
            (spec(ll, G::AUTOINCREMENT.0 | G::TAGGED.0), true, -1521),
            (spec(long, G::VERSION.0 | G::AUTOINCREMENT.0), true, -900),
            (spec(long, G::AUTOINCREMENT.0), false, -1322),
            (
                spec(lt, G::USER_DEFINED_DEFAULT.0 | G::NOT_NULL.0),
                true,
                -900,
            ),
            (spec(text, G::USER_DEFINED_DEFAULT.0), true, -900),
            (
                ColumnSpec {
                    coltyp: text,
                    max_bytes: 3,
                    default: vec![1; 4],
                    ..ColumnSpec::default()
                },
                true,
                -1524,
            ),
            (
                ColumnSpec {
                    coltyp: lt,
                    default: vec![1; 256],
                    ..ColumnSpec::default()
                },
                true,
                -1524,
            ),
            (
                ColumnSpec {
                    coltyp: long,
                    default: vec![1; 5],
                    ..ColumnSpec::default()
                },
                true,
                -1524,
            ),
        ];
        for (i, (s, exclusive, code)) in cases.iter().enumerate() {
            let got = s.validate(*exclusive).map(|_| ()).map_err(|e| e.jet_code());
            assert_eq!(got, Err(*code), "case {i}: {s:?}");
        }
    }

    #[test]
    fn valid_columns_get_their_class_size_and_code_page() {
        use ColumnGrbit as G;
        type Case = (
            ColumnSpec,
            ColumnClass,
            usize,
            Option<CodePage>,
            Option<Warning>,
        );
        let cases: Vec<Case> = vec![
            (spec(4, 0), ColumnClass::Fixed, 4, None, None),
            (spec(16, G::TAGGED.0), ColumnClass::Tagged, 16, None, None),
            (
                spec(10, 0),
                ColumnClass::Variable,
                255,
                Some(CodePage::Western),
                None,
            ),
            (
                ColumnSpec {
                    coltyp: 10,
                    max_bytes: 300,
                    code_page: 1200,
                    ..ColumnSpec::default()
                },
                ColumnClass::Variable,
                255,
                Some(CodePage::Unicode),
                Some(Warning::ColumnMaxTruncated),
            ),
            (
                ColumnSpec {
                    coltyp: 9,
                    max_bytes: 10,
                    grbit: G::FIXED,
                    ..ColumnSpec::default()
                },
                ColumnClass::Fixed,
                10,
                None,
                None,
            ),
            (
                spec(11, G::MULTI_VALUED.0),
                ColumnClass::Tagged,
                0,
                None,
                None,
            ),
            (
                ColumnSpec {
                    coltyp: 4,
                    grbit: G::ESCROW_UPDATE,
                    default: vec![0; 4],
                    ..ColumnSpec::default()
                },
                ColumnClass::Fixed,
                4,
                None,
                None,
            ),
        ];
        for (s, class, max, cp, warning) in cases {
            let c = s.validate(true).unwrap();
            assert_eq!(c.class, class, "{s:?}");
            assert_eq!(c.warning, warning, "{s:?}");
            let def = c.with_id(ColumnId::first_of(class)).unwrap();
            assert_eq!(def.max_bytes, max, "{s:?}");
            assert_eq!(def.code_page, cp, "{s:?}");
        }
    }

    /// What `ColumnSet::get` answers from the map alone.
    fn get_by_map(set: &ColumnSet, id: ColumnId) -> Result<&ColumnDef> {
        if id.class().is_none() {
            return Err(Error::BadColumnId(id.0));
        }
        set.columns.get(&id).ok_or(Error::ColumnNotFound)
    }

    #[test]
    fn dense_lookups_answer_as_the_map() {
        let template = ese_core::limits::COLUMN_ID_TEMPLATE_BIT;
        let mut set = ColumnSet::new(ese_core::limits::record_most_bytes(4096));
        let fixed = spec(ColumnType::Long.raw(), 0);
        let variable = spec(ColumnType::Binary.raw(), 0);
        let tagged = spec(ColumnType::Binary.raw(), ColumnGrbit::TAGGED.0);
        // Gaps in both classes, a template-bit id, and tagged columns.
        let ids = [
            (1, &fixed),
            (2, &fixed),
            (7, &fixed),
            (127, &fixed),
            (128, &variable),
            (131, &variable),
            (255, &variable),
            (256, &tagged),
            (300, &tagged),
            (template | 3, &fixed),
            (template | 140, &variable),
        ];
        let probes: Vec<u32> = (0..=310)
            .chain([0xFEE0, 0xFEE1, 0xFFFF, 0x1_0001])
            .flat_map(|raw| [raw, raw | template])
            .collect();
        for (raw, spec) in ids {
            set.insert(ColumnDef::new(ColumnId(raw), spec).unwrap())
                .unwrap();
            for &probe in &probes {
                let id = ColumnId(probe);
                assert_eq!(set.get(id), get_by_map(&set, id), "id {probe:#x}");
            }
        }
        assert_eq!(set.get(ColumnId(7)).map(|c| c.id), Ok(ColumnId(7)));
        assert_eq!(set.get(ColumnId(8)), Err(Error::ColumnNotFound));
        assert_eq!(set.get(ColumnId(0)), Err(Error::BadColumnId(0)));
    }

    #[test]
    fn id_ranges_give_the_class() {
        let template = ese_core::limits::COLUMN_ID_TEMPLATE_BIT;
        let cases = [
            (0, None),
            (1, Some(ColumnClass::Fixed)),
            (127, Some(ColumnClass::Fixed)),
            (128, Some(ColumnClass::Variable)),
            (255, Some(ColumnClass::Variable)),
            (256, Some(ColumnClass::Tagged)),
            (0xFEE0, Some(ColumnClass::Tagged)),
            (0xFEE1, None),
            (0xFFFF, None),
            (template | 5, Some(ColumnClass::Fixed)),
            (template | 300, Some(ColumnClass::Tagged)),
            (0x1_0001, None),
            (0x4000_0080, None),
        ];
        for (raw, class) in cases {
            assert_eq!(ColumnId(raw).class(), class, "id {raw:#x}");
        }
    }

    #[test]
    fn ids_are_allocated_per_class_and_checked() {
        let mut set = ColumnSet::new(ese_core::limits::record_most_bytes(4096));
        assert_eq!(set.add(&spec(4, 0), true).unwrap().0, ColumnId(1));
        assert_eq!(set.add(&spec(4, 0), true).unwrap().0, ColumnId(2));
        assert_eq!(set.add(&spec(10, 0), true).unwrap().0, ColumnId(128));
        assert_eq!(set.add(&spec(11, 0), true).unwrap().0, ColumnId(256));
        assert_eq!(
            set.add(&spec(4, ColumnGrbit::VERSION.0), true).unwrap().0,
            ColumnId(3)
        );
        assert_eq!(
            set.add(&spec(4, ColumnGrbit::VERSION.0), true),
            Err(Error::ColumnRedundant)
        );
        assert_eq!(set.get(ColumnId(0)), Err(Error::BadColumnId(0)));
        assert_eq!(set.get(ColumnId(9)), Err(Error::ColumnNotFound));
        let c = spec(4, 0).validate(true).unwrap();
        assert_eq!(c.with_id(ColumnId(128)), Err(Error::BadColumnId(128)));
        for _ in 3..127 {
            set.add(&spec(4, 0), true).unwrap();
        }
        assert_eq!(set.add(&spec(4, 0), true), Err(Error::TooManyColumns));
    }

    #[test]
    fn fixed_spans_follow_every_added_column() {
        let mut set = ColumnSet::new(ese_core::limits::record_most_bytes(4096));
        assert_eq!(set.fixed_span(0), None);
        assert_eq!(set.fixed_area_width(0), Some(0));
        // Long (4 bytes), then a variable column, then a Currency (8 bytes): the variable
        // column is no part of the fixed area.
        set.add(&spec(4, 0), true).unwrap();
        assert_eq!(set.fixed_span(0), Some((0, 4)));
        set.add(&spec(10, 0), true).unwrap();
        set.add(&spec(5, 0), true).unwrap();
        assert_eq!(set.fixed_span(1), Some((4, 8)));
        assert_eq!(set.fixed_area_width(2), Some(12));
        assert_eq!(set.fixed_span(2), None);
        assert_eq!(set.fixed_area_width(3), None);
        // A set read back with a gap in its fixed ids (column 2 missing) holds column 1 only.
        let def = |id: u32, coltyp: u32| {
            spec(coltyp, 0)
                .validate(true)
                .unwrap()
                .with_id(ColumnId(id))
        };
        let gapped = ColumnSet::with_columns(
            ese_core::limits::record_most_bytes(4096),
            [
                def(1, 3).unwrap(),
                def(3, 4).unwrap(),
                def(128, 10).unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(gapped.fixed_span(0), Some((0, 2)));
        assert_eq!(gapped.fixed_span(1), None);
        assert_eq!(gapped.fixed_area_width(2), None);
        // Inserted out of order, the run is whole again once the gap is filled.
        let mut filled = gapped.clone();
        filled.insert(def(2, 5).unwrap()).unwrap();
        assert_eq!(filled.fixed_span(1), Some((2, 8)));
        assert_eq!(filled.fixed_span(2), Some((10, 4)));
        assert_eq!(filled.fixed_area_width(3), Some(14));
    }

    #[test]
    fn fixed_area_is_bounded_by_the_record_limit() {
        let mut set = ColumnSet::new(100);
        let bin = ColumnSpec {
            coltyp: 9,
            max_bytes: 40,
            grbit: ColumnGrbit::FIXED,
            ..ColumnSpec::default()
        };
        set.add(&bin, true).unwrap();
        set.add(&bin, true).unwrap();
        assert_eq!(
            set.add(&bin, true).map(|_| ()).map_err(|e| e.jet_code()),
            Err(-1026)
        );
    }
}
