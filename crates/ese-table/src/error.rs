//! The table layer's one error type, and the warnings its successful calls carry.
//!
//! Each [`Error`] variant names the JET code it stands for in its doc comment;
//! [`Error::jet_err`] returns that code so that `ese-api`, the only layer that hands codes to
//! callers, converts without a second table. The numbers come from [`ese_core::errors`], where
//! every JET code is defined once. Warnings are successes, so they travel in `Ok` as a
//! [`Warning`], never in `Err`.

use std::fmt;

use ese_core::JetErr;

/// Everything the column, record, key and index-definition code can fail with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The column type is 0, 13 (SLV) or beyond the last known type
    /// (JET_errInvalidColumnType, -1511); also an update of a column that is not updatable.
    InvalidColumnType,
    /// A text column's code page is neither 1252 nor 1200 (JET_errInvalidCodePage, -1063).
    InvalidCodePage,
    /// A flag combination ESE rejects (JET_errInvalidGrbit, -900).
    InvalidGrbit(&'static str),
    /// An argument is out of range (JET_errInvalidParameter, -1003).
    InvalidParameter(&'static str),
    /// MultiValued on a column that is neither tagged nor a long value
    /// (JET_errMultiValuedColumnMustBeTagged, -1509).
    MultiValuedColumnMustBeTagged,
    /// Version, autoincrement or escrow on a tagged column (JET_errCannotBeTagged, -1521).
    CannotBeTagged,
    /// The default value is larger than the column allows (JET_errDefaultValueTooBig, -1524).
    DefaultValueTooBig,
    /// Compressed on a column that is not a long value (JET_errColumnCannotBeCompressed, -1538).
    ColumnCannotBeCompressed,
    /// Autoincrement or escrow columns need the table locked exclusively
    /// (JET_errExclusiveTableLockRequired, -1322).
    ExclusiveTableLockRequired,
    /// A second version or autoincrement column in one table (JET_errColumnRedundant, -1510).
    ColumnRedundant,
    /// A column class has no free id left (JET_errTooManyColumns, -1040).
    TooManyColumns,
    /// Two columns share an id or a name (JET_errColumnDuplicate, -1508).
    ColumnDuplicate,
    /// The column id is outside every column class, or not of the expected class
    /// (JET_errBadColumnId, -1517).
    BadColumnId(u32),
    /// No column has this id or name (JET_errColumnNotFound, -1507).
    ColumnNotFound,
    /// A value's size does not suit the column: a fixed-size type not given exactly its
    /// size, fixed text/binary longer than `cbMax`, a zero-length key segment on a fixed
    /// column (JET_errInvalidBufferSize, -1047).
    InvalidBufferSize {
        /// The size given.
        len: usize,
        /// The size the column needs (its maximum for fixed text/binary).
        expected: usize,
    },
    /// A tagged or long value larger than the column's `cbMax` (JET_errColumnTooBig, -1506).
    ColumnTooBig {
        /// The value's size.
        len: usize,
        /// The column's maximum.
        max: usize,
    },
    /// The change would make the record larger than the page allows (JET_errRecordTooBig,
    /// -1026); the record is unchanged.
    RecordTooBig {
        /// The encoded size the change would produce.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// NULL set into a NotNULL column (JET_errNullInvalid, -1504).
    NullInvalid,
    /// itagSequence 0 where a value is addressed (JET_errBadItagSequence, -1518).
    BadItagSequence,
    /// An equal value already exists in the multi-valued column
    /// (JET_errMultiValuedDuplicate, -1525).
    MultiValuedDuplicate,
    /// Stored record bytes are malformed (JET_errDatabaseCorrupted, -1206).
    Corrupt(&'static str),
    /// A key column was added with no key in progress and no NewKey (JET_errKeyNotMade, -1608).
    KeyNotMade,
    /// Every key column is already given, or a limit was applied (JET_errKeyIsMade, -1516).
    KeyIsMade,
    /// A key was truncated on an index with DisallowTruncation (JET_errKeyTruncated, -346).
    KeyTruncated,
    /// The index definition is malformed: a bad key description, too many or duplicate key
    /// columns, a bad cbKeyMost (JET_errIndexInvalidDef, -1406).
    IndexInvalidDef(&'static str),
    /// The column cannot be indexed, e.g. an escrow column (JET_errCannotIndex, -1071).
    CannotIndex,
    /// A column key was made on the sequential index, which has no columns
    /// (JET_errNoCurrentIndex, -1515).
    NoCurrentIndex,
    /// A key column is NULL in an index with DisallowNull (JET_errNullKeyDisallowed, -1053).
    NullKeyDisallowed,
}

impl Error {
    /// The JET error code this error stands for (reference 04).
    pub fn jet_code(&self) -> i32 {
        self.jet_err().0
    }

    /// The JET error this error stands for, as the shared code table's type.
    pub fn jet_err(&self) -> JetErr {
        match self {
            Error::InvalidColumnType => JetErr::INVALID_COLUMN_TYPE,
            Error::InvalidCodePage => JetErr::INVALID_CODE_PAGE,
            Error::InvalidGrbit(_) => JetErr::INVALID_GRBIT,
            Error::InvalidParameter(_) => JetErr::INVALID_PARAMETER,
            Error::MultiValuedColumnMustBeTagged => JetErr::MULTI_VALUED_COLUMN_MUST_BE_TAGGED,
            Error::CannotBeTagged => JetErr::CANNOT_BE_TAGGED,
            Error::DefaultValueTooBig => JetErr::DEFAULT_VALUE_TOO_BIG,
            Error::ColumnCannotBeCompressed => JetErr::COLUMN_CANNOT_BE_COMPRESSED,
            Error::ExclusiveTableLockRequired => JetErr::EXCLUSIVE_TABLE_LOCK_REQUIRED,
            Error::ColumnRedundant => JetErr::COLUMN_REDUNDANT,
            Error::TooManyColumns => JetErr::TOO_MANY_COLUMNS,
            Error::ColumnDuplicate => JetErr::COLUMN_DUPLICATE,
            Error::BadColumnId(_) => JetErr::BAD_COLUMN_ID,
            Error::ColumnNotFound => JetErr::COLUMN_NOT_FOUND,
            Error::InvalidBufferSize { .. } => JetErr::INVALID_BUFFER_SIZE,
            Error::ColumnTooBig { .. } => JetErr::COLUMN_TOO_BIG,
            Error::RecordTooBig { .. } => JetErr::RECORD_TOO_BIG,
            Error::NullInvalid => JetErr::NULL_INVALID,
            Error::BadItagSequence => JetErr::BAD_ITAG_SEQUENCE,
            Error::MultiValuedDuplicate => JetErr::MULTI_VALUED_DUPLICATE,
            Error::Corrupt(_) => JetErr::DATABASE_CORRUPTED,
            Error::KeyNotMade => JetErr::KEY_NOT_MADE,
            Error::KeyIsMade => JetErr::KEY_IS_MADE,
            Error::KeyTruncated => JetErr::KEY_TRUNCATED,
            Error::IndexInvalidDef(_) => JetErr::INDEX_INVALID_DEF,
            Error::CannotIndex => JetErr::CANNOT_INDEX,
            Error::NoCurrentIndex => JetErr::NO_CURRENT_INDEX,
            Error::NullKeyDisallowed => JetErr::NULL_KEY_DISALLOWED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidColumnType => f.write_str("invalid column type"),
            Error::InvalidCodePage => f.write_str("text columns take code page 1252 or 1200"),
            Error::InvalidGrbit(what) => write!(f, "invalid flag combination: {what}"),
            Error::InvalidParameter(what) => write!(f, "invalid parameter: {what}"),
            Error::MultiValuedColumnMustBeTagged => {
                f.write_str("a multi-valued column must be tagged")
            }
            Error::CannotBeTagged => {
                f.write_str("version, autoincrement and escrow columns cannot be tagged")
            }
            Error::DefaultValueTooBig => f.write_str("the default value is too big"),
            Error::ColumnCannotBeCompressed => {
                f.write_str("only long-value columns can be compressed")
            }
            Error::ExclusiveTableLockRequired => {
                f.write_str("the table must be locked exclusively")
            }
            Error::ColumnRedundant => {
                f.write_str("a table has at most one version and one autoincrement column")
            }
            Error::TooManyColumns => f.write_str("no column id is left in this column class"),
            Error::ColumnDuplicate => f.write_str("the column already exists"),
            Error::BadColumnId(id) => write!(f, "bad column id {id}"),
            Error::ColumnNotFound => f.write_str("no such column"),
            Error::InvalidBufferSize { len, expected } => {
                write!(
                    f,
                    "a value of {len} bytes given where {expected} are needed"
                )
            }
            Error::ColumnTooBig { len, max } => {
                write!(f, "a value of {len} bytes exceeds the column's {max} bytes")
            }
            Error::RecordTooBig { len, max } => {
                write!(
                    f,
                    "the record would be {len} bytes, beyond the {max}-byte limit"
                )
            }
            Error::NullInvalid => f.write_str("NULL is not allowed in this column"),
            Error::BadItagSequence => f.write_str("itagSequence 0 addresses no value"),
            Error::MultiValuedDuplicate => {
                f.write_str("an equal value already exists in the multi-valued column")
            }
            Error::Corrupt(what) => write!(f, "corrupt record: {what}"),
            Error::KeyNotMade => f.write_str("no search key is in progress"),
            Error::KeyIsMade => f.write_str("the search key is already complete"),
            Error::KeyTruncated => f.write_str("the key was truncated"),
            Error::IndexInvalidDef(what) => write!(f, "invalid index definition: {what}"),
            Error::CannotIndex => f.write_str("this column cannot be indexed"),
            Error::NoCurrentIndex => f.write_str("the sequential index has no key columns"),
            Error::NullKeyDisallowed => f.write_str("the index does not allow NULL key columns"),
        }
    }
}

impl std::error::Error for Error {}

/// A remark on a successful call (ESE's positive `JET_wrn…` codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// Text/Binary `cbMax` above 255 was clamped, or a variable value was cut to `cbMax`
    /// (JET_wrnColumnMaxTruncated, 1512).
    ColumnMaxTruncated,
}

impl Warning {
    /// The JET warning code this warning stands for.
    pub fn jet_err(self) -> JetErr {
        match self {
            Warning::ColumnMaxTruncated => JetErr::WRN_COLUMN_MAX_TRUNCATED,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ColumnMaxTruncated => f.write_str("the value was cut to the column maximum"),
        }
    }
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_reference() {
        let cases: Vec<(Error, i32, &str)> = vec![
            (Error::InvalidColumnType, -1511, "JET_errInvalidColumnType"),
            (Error::InvalidCodePage, -1063, "JET_errInvalidCodePage"),
            (Error::InvalidGrbit("x"), -900, "JET_errInvalidGrbit"),
            (
                Error::InvalidParameter("x"),
                -1003,
                "JET_errInvalidParameter",
            ),
            (
                Error::MultiValuedColumnMustBeTagged,
                -1509,
                "JET_errMultiValuedColumnMustBeTagged",
            ),
            (Error::CannotBeTagged, -1521, "JET_errCannotBeTagged"),
            (
                Error::DefaultValueTooBig,
                -1524,
                "JET_errDefaultValueTooBig",
            ),
            (
                Error::ColumnCannotBeCompressed,
                -1538,
                "JET_errColumnCannotBeCompressed",
            ),
            (
                Error::ExclusiveTableLockRequired,
                -1322,
                "JET_errExclusiveTableLockRequired",
            ),
            (Error::ColumnRedundant, -1510, "JET_errColumnRedundant"),
            (Error::TooManyColumns, -1040, "JET_errTooManyColumns"),
            (Error::ColumnDuplicate, -1508, "JET_errColumnDuplicate"),
            (Error::BadColumnId(0), -1517, "JET_errBadColumnId"),
            (Error::ColumnNotFound, -1507, "JET_errColumnNotFound"),
            (
                Error::InvalidBufferSize {
                    len: 3,
                    expected: 4,
                },
                -1047,
                "JET_errInvalidBufferSize",
            ),
            (
                Error::ColumnTooBig { len: 9, max: 8 },
                -1506,
                "JET_errColumnTooBig",
            ),
            (
                Error::RecordTooBig { len: 9, max: 8 },
                -1026,
                "JET_errRecordTooBig",
            ),
            (Error::NullInvalid, -1504, "JET_errNullInvalid"),
            (Error::BadItagSequence, -1518, "JET_errBadItagSequence"),
            (
                Error::MultiValuedDuplicate,
                -1525,
                "JET_errMultiValuedDuplicate",
            ),
            (Error::Corrupt("x"), -1206, "JET_errDatabaseCorrupted"),
            (Error::KeyNotMade, -1608, "JET_errKeyNotMade"),
            (Error::KeyIsMade, -1516, "JET_errKeyIsMade"),
            (Error::KeyTruncated, -346, "JET_errKeyTruncated"),
            (Error::IndexInvalidDef("x"), -1406, "JET_errIndexInvalidDef"),
            (Error::CannotIndex, -1071, "JET_errCannotIndex"),
            (Error::NoCurrentIndex, -1515, "JET_errNoCurrentIndex"),
            (Error::NullKeyDisallowed, -1053, "JET_errNullKeyDisallowed"),
        ];
        for (e, code, symbol) in cases {
            assert_eq!(e.jet_code(), code, "{e}");
            assert_eq!(e.jet_err().symbol(), Some(symbol), "{e}");
            assert!(!e.to_string().is_empty());
        }
        assert_eq!(Warning::ColumnMaxTruncated.jet_err().value(), 1512);
    }
}
