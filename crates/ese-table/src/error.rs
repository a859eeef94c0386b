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
    /// The caller's buffer is too small for the result (JET_errBufferTooSmall, -1038).
    BufferTooSmall,
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
    /// No table (or other object) has this name (JET_errObjectNotFound, -1305).
    ObjectNotFound,
    /// A table with this name exists (JET_errTableDuplicate, -1303).
    TableDuplicate,
    /// The table is open elsewhere, so it cannot be deleted or locked exclusively
    /// (JET_errTableInUse, -1304).
    TableInUse,
    /// A name breaks ESE's naming rules (JET_errInvalidName, -1002).
    InvalidName,
    /// No index has this name (JET_errIndexNotFound, -1404).
    IndexNotFound,
    /// An index with this name exists (JET_errIndexDuplicate, -1403).
    IndexDuplicate,
    /// The table already has a primary index (JET_errIndexHasPrimary, -1402).
    IndexHasPrimary,
    /// A primary index is created on a table holding records (JET_errTableNotEmpty, -1308).
    TableNotEmpty,
    /// The column is a key column of an index (JET_errColumnInUse, -1046).
    ColumnInUse,
    /// The cursor is not on a record (JET_errNoCurrentRecord, -1603).
    NoCurrentRecord,
    /// A seek or goto-position found nothing (JET_errRecordNotFound, -1601).
    RecordNotFound,
    /// The cursor's record was deleted (JET_errRecordDeleted, -1017).
    RecordDeleted,
    /// A unique index already holds this key (JET_errKeyDuplicate, -1605).
    KeyDuplicate,
    /// A replace changed the primary key (JET_errRecordPrimaryChanged, -1604).
    RecordPrimaryChanged,
    /// No update is prepared on the cursor (JET_errUpdateNotPrepared, -1609).
    UpdateNotPrepared,
    /// An update is already prepared on the cursor (JET_errAlreadyPrepared, -1607).
    AlreadyPrepared,
    /// A bookmark that is empty or cannot be one of this table (JET_errInvalidBookmark, -1045).
    InvalidBookmark,
    /// The operation is not valid here, e.g. JetSetIndexRange with no flag
    /// (JET_errInvalidOperation, -1906).
    InvalidOperation,
    /// The next autoincrement value does not fit the column
    /// (JET_errOutOfAutoincrementValues, -1076).
    OutOfAutoincrementValues,
    /// The table's sequential (DBK) counter is exhausted
    /// (JET_errOutOfSequentialIndexValues, -1078).
    OutOfSequentialIndexValues,
    /// Another session changed the record, or holds it, first (JET_errWriteConflict, -1102).
    WriteConflict,
    /// A long-value offset lies beyond the value's end (JET_errColumnNoChunk, -1502).
    ColumnNoChunk,
    /// A long value was set outside a transaction, or an escrow update was made outside one
    /// (JET_errNotInTransaction, -1054).
    NotInTransaction,
    /// Two multi-values have the same normalized key, equal only after truncation
    /// (JET_errMultiValuedDuplicateAfterTruncation, -1528).
    MultiValuedDuplicateAfterTruncation,
    /// An error of the transaction or B-tree layer, carried with its own JET code.
    Storage {
        /// The code the lower layer gave.
        code: JetErr,
        /// Its message.
        message: String,
    },
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
            Error::BufferTooSmall => JetErr::BUFFER_TOO_SMALL,
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
            Error::ObjectNotFound => JetErr::OBJECT_NOT_FOUND,
            Error::TableDuplicate => JetErr::TABLE_DUPLICATE,
            Error::TableInUse => JetErr::TABLE_IN_USE,
            Error::InvalidName => JetErr::INVALID_NAME,
            Error::IndexNotFound => JetErr::INDEX_NOT_FOUND,
            Error::IndexDuplicate => JetErr::INDEX_DUPLICATE,
            Error::IndexHasPrimary => JetErr::INDEX_HAS_PRIMARY,
            Error::TableNotEmpty => JetErr::TABLE_NOT_EMPTY,
            Error::ColumnInUse => JetErr::COLUMN_IN_USE,
            Error::NoCurrentRecord => JetErr::NO_CURRENT_RECORD,
            Error::RecordNotFound => JetErr::RECORD_NOT_FOUND,
            Error::RecordDeleted => JetErr::RECORD_DELETED,
            Error::KeyDuplicate => JetErr::KEY_DUPLICATE,
            Error::RecordPrimaryChanged => JetErr::RECORD_PRIMARY_CHANGED,
            Error::UpdateNotPrepared => JetErr::UPDATE_NOT_PREPARED,
            Error::AlreadyPrepared => JetErr::ALREADY_PREPARED,
            Error::InvalidBookmark => JetErr::INVALID_BOOKMARK,
            Error::InvalidOperation => JetErr::INVALID_OPERATION,
            Error::OutOfAutoincrementValues => JetErr::OUT_OF_AUTOINCREMENT_VALUES,
            Error::OutOfSequentialIndexValues => JetErr::OUT_OF_SEQUENTIAL_INDEX_VALUES,
            Error::WriteConflict => JetErr::WRITE_CONFLICT,
            Error::ColumnNoChunk => JetErr::COLUMN_NO_CHUNK,
            Error::NotInTransaction => JetErr::NOT_IN_TRANSACTION,
            // JET_errMultiValuedDuplicateAfterTruncation; the shared table has no entry.
            Error::MultiValuedDuplicateAfterTruncation => JetErr(-1528),
            Error::Storage { code, .. } => *code,
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
            Error::BufferTooSmall => f.write_str("the buffer is too small for the result"),
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
            Error::ObjectNotFound => f.write_str("no such table"),
            Error::TableDuplicate => f.write_str("a table with this name exists"),
            Error::TableInUse => f.write_str("the table is open"),
            Error::InvalidName => f.write_str("invalid name"),
            Error::IndexNotFound => f.write_str("no such index"),
            Error::IndexDuplicate => f.write_str("an index with this name exists"),
            Error::IndexHasPrimary => f.write_str("the table already has a primary index"),
            Error::TableNotEmpty => f.write_str("the table is not empty"),
            Error::ColumnInUse => f.write_str("the column is a key column of an index"),
            Error::NoCurrentRecord => f.write_str("the cursor is not on a record"),
            Error::RecordNotFound => f.write_str("no record matches"),
            Error::RecordDeleted => f.write_str("the record was deleted"),
            Error::KeyDuplicate => f.write_str("a unique index already holds this key"),
            Error::RecordPrimaryChanged => f.write_str("a replace may not change the primary key"),
            Error::UpdateNotPrepared => f.write_str("no update is prepared"),
            Error::AlreadyPrepared => f.write_str("an update is already prepared"),
            Error::InvalidBookmark => f.write_str("invalid bookmark"),
            Error::InvalidOperation => f.write_str("invalid operation"),
            Error::OutOfAutoincrementValues => f.write_str("autoincrement values are exhausted"),
            Error::OutOfSequentialIndexValues => {
                f.write_str("the sequential index counter is exhausted")
            }
            Error::WriteConflict => f.write_str("write conflict"),
            Error::ColumnNoChunk => f.write_str("the offset lies beyond the long value's end"),
            Error::NotInTransaction => f.write_str("the operation needs a transaction"),
            Error::MultiValuedDuplicateAfterTruncation => {
                f.write_str("an equal value exists once normalized keys are truncated")
            }
            Error::Storage { code, message } => write!(f, "{message} ({code:?})"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The error a transaction-layer failure stands for here: write conflicts and duplicate
    /// keys become [`Error::WriteConflict`] and [`Error::KeyDuplicate`], anything else keeps
    /// its code in [`Error::Storage`].
    pub fn from_code(code: JetErr, message: String) -> Error {
        match code {
            JetErr::WRITE_CONFLICT => Error::WriteConflict,
            JetErr::KEY_DUPLICATE => Error::KeyDuplicate,
            JetErr::RECORD_NOT_FOUND => Error::RecordNotFound,
            JetErr::NOT_IN_TRANSACTION => Error::NotInTransaction,
            _ => Error::Storage { code, message },
        }
    }
}

impl From<ese_btree::Error> for Error {
    fn from(e: ese_btree::Error) -> Error {
        use ese_btree::Error as B;
        let code = match &e {
            B::KeyDuplicate => return Error::KeyDuplicate,
            B::RecordNotFound => return Error::RecordNotFound,
            B::WriteConflict => return Error::WriteConflict,
            B::DataTooLong { len, max } => {
                return Error::RecordTooBig {
                    len: *len,
                    max: *max,
                };
            }
            B::Log(_) => JetErr::LOG_WRITE_FAIL,
            B::Io(_) => JetErr::DISK_IO,
            B::KeyTooLong { .. } => JetErr::KEY_TOO_BIG,
            B::DatabaseFull => JetErr::DISK_FULL,
            B::InvalidParameter(_) => JetErr::INVALID_PARAMETER,
            _ if e.corrupt_pgno().is_some() => JetErr::READ_VERIFY_FAILURE,
            _ => JetErr::DISK_IO,
        };
        Error::Storage {
            code,
            message: e.to_string(),
        }
    }
}

impl From<ese_txn::Error> for Error {
    fn from(e: ese_txn::Error) -> Error {
        Error::from_code(e.jet_err(), e.to_string())
    }
}

/// A remark on a successful call (ESE's positive `JET_wrn…` codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// Text/Binary `cbMax` above 255 was clamped, or a variable value was cut to `cbMax`
    /// (JET_wrnColumnMaxTruncated, 1512).
    ColumnMaxTruncated,
    /// The column is NULL (JET_wrnColumnNull, 1004).
    ColumnNull,
    /// The value did not fit the buffer and was cut (JET_wrnBufferTruncated, 1006).
    BufferTruncated,
    /// SeekGE/SeekLE found a greater/lesser entry, not an equal one (JET_wrnSeekNotEqual, 1039).
    SeekNotEqual,
    /// JetEnumerateColumns: the column has one value, given directly
    /// (JET_wrnColumnSingleValue, 1536).
    ColumnSingleValue,
    /// JetEnumerateColumns: the value is the column's default (JET_wrnColumnDefault, 1537).
    ColumnDefault,
    /// JetEnumerateColumns: the value was cut to cbDataMost (JET_wrnColumnTruncated, 1534).
    ColumnTruncated,
    /// JetEnumerateColumns with PresenceOnly: the column has a value
    /// (JET_wrnColumnPresent, 1535).
    ColumnPresent,
}

impl Warning {
    /// The JET warning code this warning stands for.
    pub fn jet_err(self) -> JetErr {
        match self {
            Warning::ColumnMaxTruncated => JetErr::WRN_COLUMN_MAX_TRUNCATED,
            Warning::ColumnNull => JetErr::WRN_COLUMN_NULL,
            Warning::BufferTruncated => JetErr::WRN_BUFFER_TRUNCATED,
            Warning::SeekNotEqual => JetErr::WRN_SEEK_NOT_EQUAL,
            Warning::ColumnSingleValue => JetErr::WRN_COLUMN_SINGLE_VALUE,
            Warning::ColumnDefault => JetErr::WRN_COLUMN_DEFAULT,
            Warning::ColumnTruncated => JetErr::WRN_COLUMN_TRUNCATED,
            Warning::ColumnPresent => JetErr::WRN_COLUMN_PRESENT,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ColumnMaxTruncated => f.write_str("the value was cut to the column maximum"),
            Warning::ColumnNull => f.write_str("the column is NULL"),
            Warning::BufferTruncated => f.write_str("the value was cut to the buffer"),
            Warning::SeekNotEqual => f.write_str("the entry found is not equal to the key"),
            Warning::ColumnSingleValue => f.write_str("the column has a single value"),
            Warning::ColumnDefault => f.write_str("the value is the column's default"),
            Warning::ColumnTruncated => f.write_str("the value was cut to cbDataMost"),
            Warning::ColumnPresent => f.write_str("the column has a value"),
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
            (Error::BufferTooSmall, -1038, "JET_errBufferTooSmall"),
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
            (Error::ObjectNotFound, -1305, "JET_errObjectNotFound"),
            (Error::TableDuplicate, -1303, "JET_errTableDuplicate"),
            (Error::TableInUse, -1304, "JET_errTableInUse"),
            (Error::InvalidName, -1002, "JET_errInvalidName"),
            (Error::IndexNotFound, -1404, "JET_errIndexNotFound"),
            (Error::IndexDuplicate, -1403, "JET_errIndexDuplicate"),
            (Error::IndexHasPrimary, -1402, "JET_errIndexHasPrimary"),
            (Error::TableNotEmpty, -1308, "JET_errTableNotEmpty"),
            (Error::ColumnInUse, -1046, "JET_errColumnInUse"),
            (Error::NoCurrentRecord, -1603, "JET_errNoCurrentRecord"),
            (Error::RecordNotFound, -1601, "JET_errRecordNotFound"),
            (Error::RecordDeleted, -1017, "JET_errRecordDeleted"),
            (Error::KeyDuplicate, -1605, "JET_errKeyDuplicate"),
            (
                Error::RecordPrimaryChanged,
                -1604,
                "JET_errRecordPrimaryChanged",
            ),
            (Error::UpdateNotPrepared, -1609, "JET_errUpdateNotPrepared"),
            (Error::AlreadyPrepared, -1607, "JET_errAlreadyPrepared"),
            (Error::InvalidBookmark, -1045, "JET_errInvalidBookmark"),
            (Error::InvalidOperation, -1906, "JET_errInvalidOperation"),
            (
                Error::OutOfAutoincrementValues,
                -1076,
                "JET_errOutOfAutoincrementValues",
            ),
            (
                Error::OutOfSequentialIndexValues,
                -1078,
                "JET_errOutOfSequentialIndexValues",
            ),
            (Error::WriteConflict, -1102, "JET_errWriteConflict"),
        ];
        for (e, code, symbol) in cases {
            assert_eq!(e.jet_code(), code, "{e}");
            assert_eq!(e.jet_err().symbol(), Some(symbol), "{e}");
            assert!(!e.to_string().is_empty());
        }
        assert_eq!(Warning::ColumnMaxTruncated.jet_err().value(), 1512);
        assert_eq!(Warning::ColumnNull.jet_err().value(), 1004);
        assert_eq!(Warning::BufferTruncated.jet_err().value(), 1006);
        assert_eq!(Warning::SeekNotEqual.jet_err().value(), 1039);
        let e = Error::from(ese_txn::Error::TransTooDeep);
        assert_eq!(e.jet_code(), -1103);
        assert_eq!(
            Error::from(ese_txn::Error::WriteConflict),
            Error::WriteConflict
        );
    }
}
