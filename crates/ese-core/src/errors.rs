//! The table of every JET error and warning code, held once for the whole engine.
//!
//! ESE reports every outcome as a signed 32-bit `JET_ERR`:
//!
//! ```text
//!     < 0  error    the call failed                    JET_errWriteConflict  -1102
//!       0  success                                     JET_errSuccess            0
//!     > 0  warning  the call succeeded, with a remark  JET_wrnColumnNull      1004
//! ```
//!
//! Callers of esent.dll test `err < 0`, so a port must keep the exact numbers. Values and
//! symbols come from the reference (`04-errors.md`, which lists them from ESE's public
//! header, plus the codes the other reference chapters cite with a value); the one-line
//! messages are our own.
//!
//! # Design
//!
//! A code is a [`JetErr`], a newtype over the raw `i32` with one associated constant per
//! code (`JetErr::WRITE_CONFLICT` is -1102; warnings carry a `WRN_` prefix, as in
//! `JetErr::WRN_COLUMN_NULL`), so an unknown number coming back from a caller is still
//! representable. Its [`JetErr::info`] finds the [`JetCode`] row in [`ALL`], which holds the
//! symbol exactly as ESE spells it, the [`Category`] and the message. [`by_value`] and
//! [`by_symbol`] look rows up directly.
//!
//! The categories follow the section headings of the reference's error chapter; codes that
//! only other chapters cite are placed by subject (tables, indexes, columns, records), in
//! line with the header's grouping by hundreds. Whether a code is a warning is a matter of
//! its sign, not its category: see [`Kind`].
//!
//! Only `ese-api` turns a layer's error into a `JetErr`; the layers below keep their own
//! error enums and use this table for the numbers and names.

use std::fmt;

/// The subject area of a code, after the section headings of the reference's error chapter.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Category {
    /// General API usage, instance state and callbacks.
    General,
    /// Instances and system parameters.
    Instance,
    /// Sessions and threading.
    Session,
    /// Transactions, locking and the version store.
    Transaction,
    /// Attaching, opening and creating databases.
    Database,
    /// Files and I/O.
    Io,
    /// Page integrity and corruption.
    Corruption,
    /// Logging and recovery.
    Log,
    /// Backup and restore.
    Backup,
    /// Resource quotas: cursors, buffers, open tables, sorts, id counters.
    Resource,
    /// Tables, temporary tables and schema (DDL).
    Table,
    /// Indexes and keys.
    Index,
    /// Columns and column values.
    Column,
    /// Records, updates and positioning.
    Record,
}

impl Category {
    /// A short lower-case name for the category, as used in messages.
    pub const fn name(self) -> &'static str {
        match self {
            Category::General => "general",
            Category::Instance => "instance",
            Category::Session => "session",
            Category::Transaction => "transaction",
            Category::Database => "database",
            Category::Io => "io",
            Category::Corruption => "corruption",
            Category::Log => "log",
            Category::Backup => "backup",
            Category::Resource => "resource",
            Category::Table => "table",
            Category::Index => "index",
            Category::Column => "column",
            Category::Record => "record",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a code reports success, success with a remark, or failure; decided by its sign.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Kind {
    /// Zero: the call succeeded.
    Success,
    /// Positive: the call succeeded and says something more (ESE's `JET_wrn…`).
    Warning,
    /// Negative: the call failed. This includes `JET_wrnNyi` (-1), which ESE names a
    /// warning but gives a negative value, so callers testing `err < 0` see it as a failure.
    Error,
}

/// A JET error or warning code: ESE's `JET_ERR`, kept as the raw number.
///
/// Every known code is an associated constant (`JetErr::OUT_OF_SESSIONS`, and with a `WRN_`
/// prefix for warnings, `JetErr::WRN_COLUMN_NULL`). Numbers not in the table are still valid
/// values; their [`info`](JetErr::info) is `None`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JetErr(pub i32);

impl JetErr {
    /// The raw `JET_ERR` value.
    pub const fn value(self) -> i32 {
        self.0
    }

    /// Success, warning or error, from the sign of the value.
    pub const fn kind(self) -> Kind {
        if self.0 < 0 {
            Kind::Error
        } else if self.0 == 0 {
            Kind::Success
        } else {
            Kind::Warning
        }
    }

    /// Whether this is a warning: a successful call with a remark (value > 0).
    pub const fn is_warning(self) -> bool {
        self.0 > 0
    }

    /// Whether this is a failure (value < 0).
    pub const fn is_error(self) -> bool {
        self.0 < 0
    }

    /// The row of [`ALL`] for this code, or `None` for a number the table does not know.
    pub fn info(self) -> Option<&'static JetCode> {
        by_value(self.0)
    }

    /// The symbol as ESE spells it (`"JET_errWriteConflict"`), or `None` if unknown.
    pub fn symbol(self) -> Option<&'static str> {
        self.info().map(|c| c.symbol)
    }

    /// The one-line message, or a generic one for a number the table does not know.
    pub fn message(self) -> &'static str {
        match self.info() {
            Some(c) => c.message,
            None => "unknown JET error or warning code",
        }
    }

    /// The subject area, or `None` if unknown.
    pub fn category(self) -> Option<Category> {
        self.info().map(|c| c.category)
    }
}

impl fmt::Debug for JetErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.symbol() {
            Some(s) => write!(f, "{s} ({})", self.0),
            None => write!(f, "JetErr({})", self.0),
        }
    }
}

impl fmt::Display for JetErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.symbol() {
            Some(s) => write!(f, "{s} ({}): {}", self.0, self.message()),
            None => write!(f, "JET code {}: {}", self.0, self.message()),
        }
    }
}

impl std::error::Error for JetErr {}

impl From<JetErr> for i32 {
    fn from(e: JetErr) -> i32 {
        e.0
    }
}

/// One row of the code table: value, symbol, category and message.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct JetCode {
    /// The code itself.
    pub err: JetErr,
    /// The symbol exactly as ESE spells it, e.g. `"JET_errOutOfSessions"`. Internal codes
    /// keep ESE's unprefixed name (`"errBackupAbortByCaller"`).
    pub symbol: &'static str,
    /// The subject area.
    pub category: Category,
    /// A one-line description, lower case, without a final period.
    pub message: &'static str,
}

impl JetCode {
    const fn new(
        err: JetErr,
        symbol: &'static str,
        category: Category,
        message: &'static str,
    ) -> Self {
        Self {
            err,
            symbol,
            category,
            message,
        }
    }

    /// The raw value of the code.
    pub const fn value(&self) -> i32 {
        self.err.0
    }
}

/// Every JET code the reference names, sorted by value with no value twice.
pub static ALL: &[JetCode] = TABLE;

/// Other names ESE gives to a code in [`ALL`]; [`by_symbol`] accepts them too.
pub static ALIASES: &[(&str, JetErr)] = &[
    // 04-errors.md: "alias JET_errDatabaseInconsistent".
    (
        "JET_errDatabaseInconsistent",
        JetErr::DATABASE_DIRTY_SHUTDOWN,
    ),
    // 13-updates-and-retrieval.md: "alias JET_errColumnIllegalNull".
    ("JET_errColumnIllegalNull", JetErr::NULL_INVALID),
    // 12-cursors-navigation.md: "JET_wrnRecordFoundGreater/…Less are aliases of it".
    ("JET_wrnRecordFoundGreater", JetErr::WRN_SEEK_NOT_EQUAL),
    ("JET_wrnRecordFoundLess", JetErr::WRN_SEEK_NOT_EQUAL),
];

/// The row for `value`, by binary search over [`ALL`].
pub fn by_value(value: i32) -> Option<&'static JetCode> {
    ALL.binary_search_by_key(&value, |c| c.value())
        .ok()
        .and_then(|i| ALL.get(i))
}

/// The row whose symbol (or one of its [`ALIASES`]) is exactly `symbol`.
///
/// A linear scan: lookups by name are for diagnostics and tests, not hot paths.
pub fn by_symbol(symbol: &str) -> Option<&'static JetCode> {
    if let Some(c) = ALL.iter().find(|c| c.symbol == symbol) {
        return Some(c);
    }
    ALIASES
        .iter()
        .find(|(name, _)| *name == symbol)
        .and_then(|(_, err)| by_value(err.0))
}

// The table is sorted strictly by value, which makes values unique and binary search valid.
const _: () = {
    let mut i = 1;
    while i < TABLE.len() {
        assert!(TABLE[i - 1].err.0 < TABLE[i].err.0);
        i += 1;
    }
};

impl JetErr {
    /// `JET_errFileCompressed` (-4005): the file is compressed by the file system and cannot be used.
    pub const FILE_COMPRESSED: JetErr = JetErr(-4005);
    /// `JET_errFileIOBeyondEOF` (-4001): a read went past the end of the file.
    pub const FILE_IO_BEYOND_EOF: JetErr = JetErr(-4001);
    /// `JET_errOSSnapshotNotAllowed` (-2403): a snapshot is not allowed now.
    pub const OS_SNAPSHOT_NOT_ALLOWED: JetErr = JetErr(-2403);
    /// `JET_errOSSnapshotTimeOut` (-2402): the snapshot freeze timed out.
    pub const OS_SNAPSHOT_TIME_OUT: JetErr = JetErr(-2402);
    /// `JET_errOSSnapshotInvalidSequence` (-2401): snapshot functions were called in the wrong order.
    pub const OS_SNAPSHOT_INVALID_SEQUENCE: JetErr = JetErr(-2401);
    /// `JET_errCallbackNotResolved` (-2102): a callback function could not be found.
    pub const CALLBACK_NOT_RESOLVED: JetErr = JetErr(-2102);
    /// `JET_errCallbackFailed` (-2101): a callback function failed.
    pub const CALLBACK_FAILED: JetErr = JetErr(-2101);
    /// `JET_errRollbackError` (-1917): rolling back the transaction failed.
    pub const ROLLBACK_ERROR: JetErr = JetErr(-1917);
    /// `JET_errOneDatabasePerSession` (-1916): the session may open only one database.
    pub const ONE_DATABASE_PER_SESSION: JetErr = JetErr(-1916);
    /// `JET_errSessionInUse` (-1914): the session cannot end while it is in use or has a context attached.
    pub const SESSION_IN_USE: JetErr = JetErr(-1914);
    /// `JET_errSessionContextNotSetByThisThread` (-1913): the session context was set by a different thread.
    pub const SESSION_CONTEXT_NOT_SET_BY_THIS_THREAD: JetErr = JetErr(-1913);
    /// `JET_errSessionContextAlreadySet` (-1912): a context is already attached to the session.
    pub const SESSION_CONTEXT_ALREADY_SET: JetErr = JetErr(-1912);
    /// `JET_errEntryPointNotFound` (-1911): an API entry point could not be found.
    pub const ENTRY_POINT_NOT_FOUND: JetErr = JetErr(-1911);
    /// `JET_errSessionSharingViolation` (-1910): the session or its transaction is in use on another thread.
    pub const SESSION_SHARING_VIOLATION: JetErr = JetErr(-1910);
    /// `JET_errAccessDenied` (-1907): access to the object was denied.
    pub const ACCESS_DENIED: JetErr = JetErr(-1907);
    /// `JET_errInvalidOperation` (-1906): the operation is not valid for this object or in this state.
    pub const INVALID_OPERATION: JetErr = JetErr(-1906);
    /// `JET_errLogCorrupted` (-1852): the log stream is corrupted.
    pub const LOG_CORRUPTED: JetErr = JetErr(-1852);
    /// `JET_errAfterInitialization` (-1850): a restore cannot run after initialization.
    pub const AFTER_INITIALIZATION: JetErr = JetErr(-1850);
    /// `JET_errFileAlreadyExists` (-1814): the file already exists.
    pub const FILE_ALREADY_EXISTS: JetErr = JetErr(-1814);
    /// `JET_errFileInvalidType` (-1812): the file is not of the expected type.
    pub const FILE_INVALID_TYPE: JetErr = JetErr(-1812);
    /// `JET_errFileNotFound` (-1811): the file does not exist.
    pub const FILE_NOT_FOUND: JetErr = JetErr(-1811);
    /// `JET_errPermissionDenied` (-1809): the operation is not permitted, such as a write through a read-only cursor.
    pub const PERMISSION_DENIED: JetErr = JetErr(-1809);
    /// `JET_errDiskFull` (-1808): the disk has no free space left.
    pub const DISK_FULL: JetErr = JetErr(-1808);
    /// `JET_errTooManyAttachedDatabases` (-1805): the instance has attached as many databases as it can.
    pub const TOO_MANY_ATTACHED_DATABASES: JetErr = JetErr(-1805);
    /// `JET_errTempFileOpenError` (-1803): the temporary database file could not be opened.
    pub const TEMP_FILE_OPEN_ERROR: JetErr = JetErr(-1803);
    /// `JET_errInvalidOnSort` (-1702): the operation is not valid on a sort.
    pub const INVALID_ON_SORT: JetErr = JetErr(-1702);
    /// `JET_errTooManySorts` (-1701): no more temporary tables or sorts can be created.
    pub const TOO_MANY_SORTS: JetErr = JetErr(-1701);
    /// `JET_errAutoIncrementNotSet` (-1625): the auto-increment value has not been set.
    pub const AUTO_INCREMENT_NOT_SET: JetErr = JetErr(-1625);
    /// `JET_errSetAutoIncrementTooHigh` (-1624): the auto-increment value is set too high.
    pub const SET_AUTO_INCREMENT_TOO_HIGH: JetErr = JetErr(-1624);
    /// `JET_errUpdateNotPrepared` (-1609): no update has been prepared on the cursor.
    pub const UPDATE_NOT_PREPARED: JetErr = JetErr(-1609);
    /// `JET_errKeyNotMade` (-1608): no search key has been made.
    pub const KEY_NOT_MADE: JetErr = JetErr(-1608);
    /// `JET_errAlreadyPrepared` (-1607): an update is already prepared on the cursor.
    pub const ALREADY_PREPARED: JetErr = JetErr(-1607);
    /// `JET_errKeyDuplicate` (-1605): the key already exists in a unique index.
    pub const KEY_DUPLICATE: JetErr = JetErr(-1605);
    /// `JET_errRecordPrimaryChanged` (-1604): the primary key may not change during a replace.
    pub const RECORD_PRIMARY_CHANGED: JetErr = JetErr(-1604);
    /// `JET_errNoCurrentRecord` (-1603): the cursor is not positioned on a record.
    pub const NO_CURRENT_RECORD: JetErr = JetErr(-1603);
    /// `JET_errRecordNoCopy` (-1602): there is no working copy of the record.
    pub const RECORD_NO_COPY: JetErr = JetErr(-1602);
    /// `JET_errRecordNotFound` (-1601): no record has this key.
    pub const RECORD_NOT_FOUND: JetErr = JetErr(-1601);
    /// `JET_errColumnCannotBeCompressed` (-1538): the column cannot be compressed.
    pub const COLUMN_CANNOT_BE_COMPRESSED: JetErr = JetErr(-1538);
    /// `JET_errLVCorrupted` (-1526): the long-value tree is corrupted.
    pub const LV_CORRUPTED: JetErr = JetErr(-1526);
    /// `JET_errMultiValuedDuplicate` (-1525): the multi-valued column already holds this value.
    pub const MULTI_VALUED_DUPLICATE: JetErr = JetErr(-1525);
    /// `JET_errDefaultValueTooBig` (-1524): the default value is too big.
    pub const DEFAULT_VALUE_TOO_BIG: JetErr = JetErr(-1524);
    /// `JET_errCannotBeTagged` (-1521): version, auto-increment and escrow columns cannot be tagged.
    pub const CANNOT_BE_TAGGED: JetErr = JetErr(-1521);
    /// `JET_errBadItagSequence` (-1518): the multi-value sequence number is not valid.
    pub const BAD_ITAG_SEQUENCE: JetErr = JetErr(-1518);
    /// `JET_errBadColumnId` (-1517): the column id is not valid.
    pub const BAD_COLUMN_ID: JetErr = JetErr(-1517);
    /// `JET_errKeyIsMade` (-1516): the search key is already complete.
    pub const KEY_IS_MADE: JetErr = JetErr(-1516);
    /// `JET_errNoCurrentIndex` (-1515): the cursor has no current index.
    pub const NO_CURRENT_INDEX: JetErr = JetErr(-1515);
    /// `JET_errTaggedNotNULL` (-1514): a tagged column cannot be declared NOT NULL.
    pub const TAGGED_NOT_NULL: JetErr = JetErr(-1514);
    /// `JET_errInvalidColumnType` (-1511): the column type is not valid or the column cannot be set.
    pub const INVALID_COLUMN_TYPE: JetErr = JetErr(-1511);
    /// `JET_errColumnRedundant` (-1510): the column appears twice in the definition.
    pub const COLUMN_REDUNDANT: JetErr = JetErr(-1510);
    /// `JET_errMultiValuedColumnMustBeTagged` (-1509): a multi-valued column must be tagged.
    pub const MULTI_VALUED_COLUMN_MUST_BE_TAGGED: JetErr = JetErr(-1509);
    /// `JET_errColumnDuplicate` (-1508): a column with this name already exists.
    pub const COLUMN_DUPLICATE: JetErr = JetErr(-1508);
    /// `JET_errColumnNotFound` (-1507): the column does not exist.
    pub const COLUMN_NOT_FOUND: JetErr = JetErr(-1507);
    /// `JET_errColumnTooBig` (-1506): the value is larger than the column's maximum size.
    pub const COLUMN_TOO_BIG: JetErr = JetErr(-1506);
    /// `JET_errNullInvalid` (-1504): the column does not accept NULL.
    pub const NULL_INVALID: JetErr = JetErr(-1504);
    /// `JET_errColumnDoesNotFit` (-1503): the value cannot fit in any record.
    pub const COLUMN_DOES_NOT_FIT: JetErr = JetErr(-1503);
    /// `JET_errColumnNoChunk` (-1502): the long-value offset lies beyond its data.
    pub const COLUMN_NO_CHUNK: JetErr = JetErr(-1502);
    /// `JET_errIndexTuplesKeyTooSmall` (-1437): the search key is shorter than the tuple minimum length.
    pub const INDEX_TUPLES_KEY_TOO_SMALL: JetErr = JetErr(-1437);
    /// `JET_errIndexTuplesCannotRetrieveFromIndex` (-1436): a tuple column cannot be retrieved from the index.
    pub const INDEX_TUPLES_CANNOT_RETRIEVE_FROM_INDEX: JetErr = JetErr(-1436);
    /// `JET_errIndexTuplesInvalidLimits` (-1435): the tuple index limits are not valid.
    pub const INDEX_TUPLES_INVALID_LIMITS: JetErr = JetErr(-1435);
    /// `JET_errIndexTuplesTextBinaryColumnsOnly` (-1433): the first column of a tuple index must be text or binary.
    pub const INDEX_TUPLES_TEXT_BINARY_COLUMNS_ONLY: JetErr = JetErr(-1433);
    /// `JET_errIndexTuplesNonUniqueOnly` (-1432): a tuple index cannot be unique.
    pub const INDEX_TUPLES_NON_UNIQUE_ONLY: JetErr = JetErr(-1432);
    /// `JET_errIndexTuplesSecondaryIndexOnly` (-1430): a tuple index must be a secondary index.
    pub const INDEX_TUPLES_SECONDARY_INDEX_ONLY: JetErr = JetErr(-1430);
    /// `JET_errInvalidIndexId` (-1416): the index id is not valid.
    pub const INVALID_INDEX_ID: JetErr = JetErr(-1416);
    /// `JET_errSecondaryIndexCorrupted` (-1414): a secondary index is corrupted or out of date.
    pub const SECONDARY_INDEX_CORRUPTED: JetErr = JetErr(-1414);
    /// `JET_errPrimaryIndexCorrupted` (-1413): the primary index is corrupted or out of date.
    pub const PRIMARY_INDEX_CORRUPTED: JetErr = JetErr(-1413);
    /// `JET_errIndexBuildCorrupted` (-1412): the index build found corrupted data.
    pub const INDEX_BUILD_CORRUPTED: JetErr = JetErr(-1412);
    /// `JET_errMultiValuedIndexViolation` (-1411): too many entries for one record in a multi-valued index.
    pub const MULTI_VALUED_INDEX_VIOLATION: JetErr = JetErr(-1411);
    /// `JET_errTooManyOpenIndexes` (-1410): too many indexes are open.
    pub const TOO_MANY_OPEN_INDEXES: JetErr = JetErr(-1410);
    /// `JET_errInvalidCreateIndex` (-1409): the index creation parameters are not valid.
    pub const INVALID_CREATE_INDEX: JetErr = JetErr(-1409);
    /// `JET_errIndexInvalidDef` (-1406): the index definition is not valid.
    pub const INDEX_INVALID_DEF: JetErr = JetErr(-1406);
    /// `JET_errIndexMustStay` (-1405): the primary index cannot be deleted.
    pub const INDEX_MUST_STAY: JetErr = JetErr(-1405);
    /// `JET_errIndexNotFound` (-1404): the index does not exist.
    pub const INDEX_NOT_FOUND: JetErr = JetErr(-1404);
    /// `JET_errIndexDuplicate` (-1403): an index with this name already exists.
    pub const INDEX_DUPLICATE: JetErr = JetErr(-1403);
    /// `JET_errIndexHasPrimary` (-1402): the table already has a primary index.
    pub const INDEX_HAS_PRIMARY: JetErr = JetErr(-1402);
    /// `JET_errIndexCantBuild` (-1401): the index could not be built.
    pub const INDEX_CANT_BUILD: JetErr = JetErr(-1401);
    /// `JET_errCannotAddFixedVarColumnToDerivedTable` (-1330): only tagged columns may be added to this derived table.
    pub const CANNOT_ADD_FIXED_VAR_COLUMN_TO_DERIVED_TABLE: JetErr = JetErr(-1330);
    /// `JET_errClientRequestToStopJetService` (-1329): the client asked the engine to stop service; most calls are refused.
    pub const CLIENT_REQUEST_TO_STOP_JET_SERVICE: JetErr = JetErr(-1329);
    /// `JET_errInvalidSettings` (-1328): the system parameter settings are inconsistent.
    pub const INVALID_SETTINGS: JetErr = JetErr(-1328);
    /// `JET_errDDLNotInheritable` (-1326): the named table is not a template and cannot be inherited from.
    pub const DDL_NOT_INHERITABLE: JetErr = JetErr(-1326);
    /// `JET_errCannotNestDDL` (-1325): a template table cannot itself be derived from another template.
    pub const CANNOT_NEST_DDL: JetErr = JetErr(-1325);
    /// `JET_errFixedInheritedDDL` (-1324): the schema inherited from the template cannot be changed.
    pub const FIXED_INHERITED_DDL: JetErr = JetErr(-1324);
    /// `JET_errFixedDDL` (-1323): the table's schema is fixed and cannot be changed.
    pub const FIXED_DDL: JetErr = JetErr(-1323);
    /// `JET_errExclusiveTableLockRequired` (-1322): the DDL operation needs an exclusive lock on the table.
    pub const EXCLUSIVE_TABLE_LOCK_REQUIRED: JetErr = JetErr(-1322);
    /// `JET_errCannotDeleteTemplateTable` (-1319): a template table cannot be deleted.
    pub const CANNOT_DELETE_TEMPLATE_TABLE: JetErr = JetErr(-1319);
    /// `JET_errCannotDeleteSystemTable` (-1318): a system table cannot be deleted.
    pub const CANNOT_DELETE_SYSTEM_TABLE: JetErr = JetErr(-1318);
    /// `JET_errCannotDeleteTempTable` (-1317): a temporary table cannot be deleted this way.
    pub const CANNOT_DELETE_TEMP_TABLE: JetErr = JetErr(-1317);
    /// `JET_errTooManyOpenTablesAndCleanupTimedOut` (-1313): too many tables are open and cleanup did not finish in time.
    pub const TOO_MANY_OPEN_TABLES_AND_CLEANUP_TIMED_OUT: JetErr = JetErr(-1313);
    /// `JET_errIllegalOperation` (-1312): the operation is not allowed on this table.
    pub const ILLEGAL_OPERATION: JetErr = JetErr(-1312);
    /// `JET_errTooManyOpenTables` (-1311): the maximum number of open tables has been reached.
    pub const TOO_MANY_OPEN_TABLES: JetErr = JetErr(-1311);
    /// `JET_errInvalidTableId` (-1310): the table id is not valid.
    pub const INVALID_TABLE_ID: JetErr = JetErr(-1310);
    /// `JET_errTableNotEmpty` (-1308): the operation needs an empty table.
    pub const TABLE_NOT_EMPTY: JetErr = JetErr(-1308);
    /// `JET_errDensityInvalid` (-1307): the density must be 0 or between 20 and 100.
    pub const DENSITY_INVALID: JetErr = JetErr(-1307);
    /// `JET_errObjectNotFound` (-1305): the table or object does not exist.
    pub const OBJECT_NOT_FOUND: JetErr = JetErr(-1305);
    /// `JET_errTableInUse` (-1304): the table is in use and cannot be locked exclusively.
    pub const TABLE_IN_USE: JetErr = JetErr(-1304);
    /// `JET_errTableDuplicate` (-1303): a table with this name already exists.
    pub const TABLE_DUPLICATE: JetErr = JetErr(-1303);
    /// `JET_errTableLocked` (-1302): the table is locked exclusively.
    pub const TABLE_LOCKED: JetErr = JetErr(-1302);
    /// `JET_errDatabaseCorruptedNoRepair` (-1224): the database is corrupted and cannot be repaired.
    pub const DATABASE_CORRUPTED_NO_REPAIR: JetErr = JetErr(-1224);
    /// `JET_errDatabaseSignInUse` (-1222): a database with the same signature is already in use.
    pub const DATABASE_SIGN_IN_USE: JetErr = JetErr(-1222);
    /// `JET_errPartiallyAttachedDB` (-1221): the database is only partly attached.
    pub const PARTIALLY_ATTACHED_DB: JetErr = JetErr(-1221);
    /// `JET_errCatalogCorrupted` (-1220): the catalog (system tables) is corrupted.
    pub const CATALOG_CORRUPTED: JetErr = JetErr(-1220);
    /// `JET_errForceDetachNotAllowed` (-1219): a forced detach is not allowed.
    pub const FORCE_DETACH_NOT_ALLOWED: JetErr = JetErr(-1219);
    /// `JET_errDatabaseInvalidPath` (-1217): the database path is not valid.
    pub const DATABASE_INVALID_PATH: JetErr = JetErr(-1217);
    /// `JET_errAttachedDatabaseMismatch` (-1216): the logs refer to databases that are missing or different.
    pub const ATTACHED_DATABASE_MISMATCH: JetErr = JetErr(-1216);
    /// `JET_errDatabaseSharingViolation` (-1215): another instance or session has the database attached.
    pub const DATABASE_SHARING_VIOLATION: JetErr = JetErr(-1215);
    /// `JET_errTooManyInstances` (-1214): the maximum number of instances has been reached.
    pub const TOO_MANY_INSTANCES: JetErr = JetErr(-1214);
    /// `JET_errPageSizeMismatch` (-1213): the file's page size differs from the configured page size.
    pub const PAGE_SIZE_MISMATCH: JetErr = JetErr(-1213);
    /// `JET_errInvalidDatabaseVersion` (-1209): the database format version is not supported.
    pub const INVALID_DATABASE_VERSION: JetErr = JetErr(-1209);
    /// `JET_errDatabaseLocked` (-1207): another session holds the database open exclusively.
    pub const DATABASE_LOCKED: JetErr = JetErr(-1207);
    /// `JET_errDatabaseCorrupted` (-1206): the file is corrupted or not a database.
    pub const DATABASE_CORRUPTED: JetErr = JetErr(-1206);
    /// `JET_errDatabaseInvalidPages` (-1205): the database page count is not valid.
    pub const DATABASE_INVALID_PAGES: JetErr = JetErr(-1205);
    /// `JET_errDatabaseInvalidName` (-1204): the database name is not valid.
    pub const DATABASE_INVALID_NAME: JetErr = JetErr(-1204);
    /// `JET_errDatabaseNotFound` (-1203): the database is not attached or not open.
    pub const DATABASE_NOT_FOUND: JetErr = JetErr(-1203);
    /// `JET_errDatabaseInUse` (-1202): the database is in use.
    pub const DATABASE_IN_USE: JetErr = JetErr(-1202);
    /// `JET_errDatabaseDuplicate` (-1201): the database file already exists.
    pub const DATABASE_DUPLICATE: JetErr = JetErr(-1201);
    /// `JET_errFilteredMoveNotSupported` (-1124): a filtered move is not supported here.
    pub const FILTERED_MOVE_NOT_SUPPORTED: JetErr = JetErr(-1124);
    /// `JET_errRecoveryVerifyFailure` (-1123): recovery found a page that does not match the log.
    pub const RECOVERY_VERIFY_FAILURE: JetErr = JetErr(-1123);
    /// `JET_errFileSystemCorruption` (-1121): the file system reports corruption.
    pub const FILE_SYSTEM_CORRUPTION: JetErr = JetErr(-1121);
    /// `JET_errReadLostFlushVerifyFailure` (-1119): a page read from disk is missing a write that was made (lost flush).
    pub const READ_LOST_FLUSH_VERIFY_FAILURE: JetErr = JetErr(-1119);
    /// `JET_errReadPgnoVerifyFailure` (-1118): a page read from disk carries the wrong page number.
    pub const READ_PGNO_VERIFY_FAILURE: JetErr = JetErr(-1118);
    /// `JET_errDirtyShutdown` (-1116): the instance stopped without a clean shutdown; its databases are left dirty.
    pub const DIRTY_SHUTDOWN: JetErr = JetErr(-1116);
    /// `JET_errInvalidInstance` (-1115): the instance handle is not valid.
    pub const INVALID_INSTANCE: JetErr = JetErr(-1115);
    /// `JET_errCannotMaterializeForwardOnlySort` (-1113): a forward-only sort cannot be materialized.
    pub const CANNOT_MATERIALIZE_FORWARD_ONLY_SORT: JetErr = JetErr(-1113);
    /// `JET_errRecordTooBigForBackwardCompatibility` (-1112): the record is too big for older engine versions.
    pub const RECORD_TOO_BIG_FOR_BACKWARD_COMPATIBILITY: JetErr = JetErr(-1112);
    /// `JET_errSessionWriteConflict` (-1111): two cursors of the same session tried to replace the same record.
    pub const SESSION_WRITE_CONFLICT: JetErr = JetErr(-1111);
    /// `JET_errTransReadOnly` (-1110): an update was attempted in a read-only transaction.
    pub const TRANS_READ_ONLY: JetErr = JetErr(-1110);
    /// `JET_errRollbackRequired` (-1109): the transaction must be rolled back before it can commit or begin again.
    pub const ROLLBACK_REQUIRED: JetErr = JetErr(-1109);
    /// `JET_errInTransaction` (-1108): the operation is not allowed inside a transaction.
    pub const IN_TRANSACTION: JetErr = JetErr(-1108);
    /// `JET_errWriteConflictPrimaryIndex` (-1105): the primary index has an uncommitted change by another transaction.
    pub const WRITE_CONFLICT_PRIMARY_INDEX: JetErr = JetErr(-1105);
    /// `JET_errInvalidSesid` (-1104): the session handle is not valid.
    pub const INVALID_SESID: JetErr = JetErr(-1104);
    /// `JET_errTransTooDeep` (-1103): transactions are nested more than seven levels deep.
    pub const TRANS_TOO_DEEP: JetErr = JetErr(-1103);
    /// `JET_errWriteConflict` (-1102): another transaction locked or changed the record after this one began.
    pub const WRITE_CONFLICT: JetErr = JetErr(-1102);
    /// `JET_errOutOfSessions` (-1101): the maximum number of sessions has been reached.
    pub const OUT_OF_SESSIONS: JetErr = JetErr(-1101);
    /// `JET_errTooManyRecords` (-1094): the table holds too many records for this operation.
    pub const TOO_MANY_RECORDS: JetErr = JetErr(-1094);
    /// `JET_errInvalidSesparamId` (-1093): the session parameter id is not known.
    pub const INVALID_SESPARAM_ID: JetErr = JetErr(-1093);
    /// `JET_errInstanceUnavailableDueToFatalLogDiskFull` (-1092): the instance cannot be used because the log disk filled up.
    pub const INSTANCE_UNAVAILABLE_DUE_TO_FATAL_LOG_DISK_FULL: JetErr = JetErr(-1092);
    /// `JET_errDatabaseUnavailable` (-1091): the database suffered a fatal error and cannot be used.
    pub const DATABASE_UNAVAILABLE: JetErr = JetErr(-1091);
    /// `JET_errInstanceUnavailable` (-1090): the instance suffered a fatal error and refuses all data access.
    pub const INSTANCE_UNAVAILABLE: JetErr = JetErr(-1090);
    /// `JET_errSystemParameterConflict` (-1087): the global system parameters conflict with those already in effect.
    pub const SYSTEM_PARAMETER_CONFLICT: JetErr = JetErr(-1087);
    /// `JET_errInstanceNameInUse` (-1086): an instance with this name already exists in the process.
    pub const INSTANCE_NAME_IN_USE: JetErr = JetErr(-1086);
    /// `JET_errTempPathInUse` (-1085): another instance already uses this temporary path.
    pub const TEMP_PATH_IN_USE: JetErr = JetErr(-1085);
    /// `JET_errLogFilePathInUse` (-1084): another instance already uses this log path.
    pub const LOG_FILE_PATH_IN_USE: JetErr = JetErr(-1084);
    /// `JET_errSystemPathInUse` (-1083): another instance already uses this checkpoint path.
    pub const SYSTEM_PATH_IN_USE: JetErr = JetErr(-1083);
    /// `JET_errSystemParamsAlreadySet` (-1082): the global system parameters have already been fixed.
    pub const SYSTEM_PARAMS_ALREADY_SET: JetErr = JetErr(-1082);
    /// `JET_errRunningInMultiInstanceMode` (-1081): a single-instance API was called while running in multi-instance mode.
    pub const RUNNING_IN_MULTI_INSTANCE_MODE: JetErr = JetErr(-1081);
    /// `JET_errRunningInOneInstanceMode` (-1080): a multi-instance API was called while running in single-instance mode.
    pub const RUNNING_IN_ONE_INSTANCE_MODE: JetErr = JetErr(-1080);
    /// `JET_errOutOfSequentialIndexValues` (-1078): the sequential index counter is exhausted.
    pub const OUT_OF_SEQUENTIAL_INDEX_VALUES: JetErr = JetErr(-1078);
    /// `JET_errOutOfAutoincrementValues` (-1076): the auto-increment counter is exhausted.
    pub const OUT_OF_AUTOINCREMENT_VALUES: JetErr = JetErr(-1076);
    /// `JET_errOutOfLongValueIDs` (-1075): the table has no long-value ids left.
    pub const OUT_OF_LONG_VALUE_IDS: JetErr = JetErr(-1075);
    /// `JET_errOutOfObjectIDs` (-1074): the database has no object ids left.
    pub const OUT_OF_OBJECT_IDS: JetErr = JetErr(-1074);
    /// `JET_errRecordNotDeleted` (-1072): the record has not been deleted.
    pub const RECORD_NOT_DELETED: JetErr = JetErr(-1072);
    /// `JET_errCannotIndex` (-1071): the column cannot be indexed.
    pub const CANNOT_INDEX: JetErr = JetErr(-1071);
    /// `JET_errVersionStoreOutOfMemory` (-1069): the version store is full even after cleanup.
    pub const VERSION_STORE_OUT_OF_MEMORY: JetErr = JetErr(-1069);
    /// `JET_errVersionStoreOutOfMemoryAndCleanupTimedOut` (-1066): the version store is full and cleanup did not finish in time.
    pub const VERSION_STORE_OUT_OF_MEMORY_AND_CLEANUP_TIMED_OUT: JetErr = JetErr(-1066);
    /// `JET_errVersionStoreEntryTooBig` (-1065): a single version record is larger than a version bucket.
    pub const VERSION_STORE_ENTRY_TOO_BIG: JetErr = JetErr(-1065);
    /// `JET_errInvalidLCMapStringFlags` (-1064): the normalization flags are not valid.
    pub const INVALID_LC_MAP_STRING_FLAGS: JetErr = JetErr(-1064);
    /// `JET_errInvalidCodePage` (-1063): the code page is not valid.
    pub const INVALID_CODE_PAGE: JetErr = JetErr(-1063);
    /// `JET_errInvalidLanguageId` (-1062): the language id is not valid.
    pub const INVALID_LANGUAGE_ID: JetErr = JetErr(-1062);
    /// `JET_errTooManyActiveUsers` (-1059): sessions are still inside transactions at shutdown.
    pub const TOO_MANY_ACTIVE_USERS: JetErr = JetErr(-1059);
    /// `JET_errMustRollback` (-1057): an earlier unversioned update failed; the transaction must roll back to level 0.
    pub const MUST_ROLLBACK: JetErr = JetErr(-1057);
    /// `JET_errNotInTransaction` (-1054): the operation needs an open transaction.
    pub const NOT_IN_TRANSACTION: JetErr = JetErr(-1054);
    /// `JET_errNullKeyDisallowed` (-1053): the index does not allow null keys.
    pub const NULL_KEY_DISALLOWED: JetErr = JetErr(-1053);
    /// `JET_errIndexInUse` (-1051): the index is the current index of a cursor.
    pub const INDEX_IN_USE: JetErr = JetErr(-1051);
    /// `JET_errColumnNotUpdatable` (-1048): the column cannot be updated.
    pub const COLUMN_NOT_UPDATABLE: JetErr = JetErr(-1048);
    /// `JET_errInvalidBufferSize` (-1047): the data size does not match what the column needs.
    pub const INVALID_BUFFER_SIZE: JetErr = JetErr(-1047);
    /// `JET_errColumnInUse` (-1046): the column is in use.
    pub const COLUMN_IN_USE: JetErr = JetErr(-1046);
    /// `JET_errInvalidBookmark` (-1045): the bookmark is not valid.
    pub const INVALID_BOOKMARK: JetErr = JetErr(-1045);
    /// `JET_errInvalidFilename` (-1044): the file name is not valid.
    pub const INVALID_FILENAME: JetErr = JetErr(-1044);
    /// `JET_errTooManyColumns` (-1040): no more columns of this class can be added.
    pub const TOO_MANY_COLUMNS: JetErr = JetErr(-1040);
    /// `JET_errBufferTooSmall` (-1038): the caller's buffer is too small for the result.
    pub const BUFFER_TOO_SMALL: JetErr = JetErr(-1038);
    /// `JET_errQueryNotSupported` (-1034): the temporary table does not support this query.
    pub const QUERY_NOT_SUPPORTED: JetErr = JetErr(-1034);
    /// `JET_errFileAccessDenied` (-1032): the file is locked, in use, or access is not permitted.
    pub const FILE_ACCESS_DENIED: JetErr = JetErr(-1032);
    /// `JET_errInitInProgress` (-1031): the instance is still being initialized.
    pub const INIT_IN_PROGRESS: JetErr = JetErr(-1031);
    /// `JET_errAlreadyInitialized` (-1030): the instance is already initialized, or the parameter can no longer be changed.
    pub const ALREADY_INITIALIZED: JetErr = JetErr(-1030);
    /// `JET_errNotInitialized` (-1029): the instance is not initialized or no longer exists.
    pub const NOT_INITIALIZED: JetErr = JetErr(-1029);
    /// `JET_errInvalidDatabase` (-1028): the file is not a database.
    pub const INVALID_DATABASE: JetErr = JetErr(-1028);
    /// `JET_errTooManyOpenDatabases` (-1027): too many databases are open.
    pub const TOO_MANY_OPEN_DATABASES: JetErr = JetErr(-1027);
    /// `JET_errRecordTooBig` (-1026): the record would be larger than the page allows.
    pub const RECORD_TOO_BIG: JetErr = JetErr(-1026);
    /// `JET_errInvalidLogDirectory` (-1025): the log directory is not valid.
    pub const INVALID_LOG_DIRECTORY: JetErr = JetErr(-1025);
    /// `JET_errInvalidSystemPath` (-1024): the system (checkpoint) path is not valid.
    pub const INVALID_SYSTEM_PATH: JetErr = JetErr(-1024);
    /// `JET_errInvalidPath` (-1023): the file path is not valid.
    pub const INVALID_PATH: JetErr = JetErr(-1023);
    /// `JET_errDiskIO` (-1022): the operating system reported a disk I/O error.
    pub const DISK_IO: JetErr = JetErr(-1022);
    /// `JET_errDiskReadVerificationFailure` (-1021): the operating system reported a CRC error on read.
    pub const DISK_READ_VERIFICATION_FAILURE: JetErr = JetErr(-1021);
    /// `JET_errOutOfFileHandles` (-1020): no more file handles are available.
    pub const OUT_OF_FILE_HANDLES: JetErr = JetErr(-1020);
    /// `JET_errPageNotInitialized` (-1019): a page that should hold data is blank.
    pub const PAGE_NOT_INITIALIZED: JetErr = JetErr(-1019);
    /// `JET_errReadVerifyFailure` (-1018): a page read from disk failed its checksum.
    pub const READ_VERIFY_FAILURE: JetErr = JetErr(-1018);
    /// `JET_errRecordDeleted` (-1017): the record has been deleted.
    pub const RECORD_DELETED: JetErr = JetErr(-1017);
    /// `JET_errTooManyKeys` (-1016): the index has too many key columns.
    pub const TOO_MANY_KEYS: JetErr = JetErr(-1016);
    /// `JET_errTooManyIndexes` (-1015): the table has too many indexes.
    pub const TOO_MANY_INDEXES: JetErr = JetErr(-1015);
    /// `JET_errOutOfBuffers` (-1014): no database page buffers are available.
    pub const OUT_OF_BUFFERS: JetErr = JetErr(-1014);
    /// `JET_errOutOfCursors` (-1013): the maximum number of cursors has been reached.
    pub const OUT_OF_CURSORS: JetErr = JetErr(-1013);
    /// `JET_errOutOfDatabaseSpace` (-1012): the database has reached its maximum size.
    pub const OUT_OF_DATABASE_SPACE: JetErr = JetErr(-1012);
    /// `JET_errOutOfMemory` (-1011): a memory allocation failed.
    pub const OUT_OF_MEMORY: JetErr = JetErr(-1011);
    /// `JET_errInvalidDatabaseId` (-1010): the database id is not valid or was not opened by this session.
    pub const INVALID_DATABASE_ID: JetErr = JetErr(-1010);
    /// `JET_errDatabaseFileReadOnly` (-1008): a read-only database file cannot be attached for writing.
    pub const DATABASE_FILE_READ_ONLY: JetErr = JetErr(-1008);
    /// `JET_errInvalidParameter` (-1003): an argument or parameter value is invalid or out of range.
    pub const INVALID_PARAMETER: JetErr = JetErr(-1003);
    /// `JET_errInvalidName` (-1002): the object name is not valid.
    pub const INVALID_NAME: JetErr = JetErr(-1002);
    /// `JET_errFeatureNotAvailable` (-1001): this API is not supported in this build or mode.
    pub const FEATURE_NOT_AVAILABLE: JetErr = JetErr(-1001);
    /// `JET_errTermInProgress` (-1000): the instance is shutting down.
    pub const TERM_IN_PROGRESS: JetErr = JetErr(-1000);
    /// `JET_errInvalidGrbit` (-900): the option flags are invalid or conflict with each other.
    pub const INVALID_GRBIT: JetErr = JetErr(-900);
    /// `JET_errBackupAbortByServer` (-801): the backup was stopped by the server.
    pub const BACKUP_ABORT_BY_SERVER: JetErr = JetErr(-801);
    /// `errBackupAbortByCaller` (-800): the backup was stopped by its client (internal code).
    pub const BACKUP_ABORT_BY_CALLER: JetErr = JetErr(-800);
    /// `JET_errTransactionTooLong` (-618): the transaction spans too many log generations.
    pub const TRANSACTION_TOO_LONG: JetErr = JetErr(-618);
    /// `JET_errSurrogateBackupInProgress` (-617): a surrogate backup is in progress.
    pub const SURROGATE_BACKUP_IN_PROGRESS: JetErr = JetErr(-617);
    /// `JET_errLogFileNotCopied` (-616): a log file was not copied during backup.
    pub const LOG_FILE_NOT_COPIED: JetErr = JetErr(-616);
    /// `JET_errRestoreOfNonBackupDatabase` (-615): hard recovery was run on a database that is not a backup.
    pub const RESTORE_OF_NON_BACKUP_DATABASE: JetErr = JetErr(-615);
    /// `JET_errCheckpointDepthTooDeep` (-614): too many log generations lie between the checkpoint and the end of the log.
    pub const CHECKPOINT_DEPTH_TOO_DEEP: JetErr = JetErr(-614);
    /// `JET_errLogReadVerifyFailure` (-612): a log file failed its checksum.
    pub const LOG_READ_VERIFY_FAILURE: JetErr = JetErr(-612);
    /// `JET_errUnicodeTranslationFail` (-602): Unicode normalization failed.
    pub const UNICODE_TRANSLATION_FAIL: JetErr = JetErr(-602);
    /// `JET_errCommittedLogFileCorrupt` (-586): a log file already committed to the database is corrupted.
    pub const COMMITTED_LOG_FILE_CORRUPT: JetErr = JetErr(-586);
    /// `JET_errRecoveredWithoutUndoDatabasesConsistent` (-584): recovery stopped before undo and the databases are consistent.
    pub const RECOVERED_WITHOUT_UNDO_DATABASES_CONSISTENT: JetErr = JetErr(-584);
    /// `JET_errCommittedLogFilesMissing` (-582): log files already committed to the database are missing.
    pub const COMMITTED_LOG_FILES_MISSING: JetErr = JetErr(-582);
    /// `JET_errRecoveredWithoutUndo` (-579): recovery stopped before the undo phase as requested.
    pub const RECOVERED_WITHOUT_UNDO: JetErr = JetErr(-579);
    /// `JET_errBadRestoreTargetInstance` (-577): the restore target instance is not valid.
    pub const BAD_RESTORE_TARGET_INSTANCE: JetErr = JetErr(-577);
    /// `JET_errMissingFileToBackup` (-569): a log or patch file to back up is missing.
    pub const MISSING_FILE_TO_BACKUP: JetErr = JetErr(-569);
    /// `JET_errDbTimeTooNew` (-567): a page's dbtime is newer than the log record allows.
    pub const DB_TIME_TOO_NEW: JetErr = JetErr(-567);
    /// `JET_errDbTimeTooOld` (-566): a page's dbtime is older than the log record expects.
    pub const DB_TIME_TOO_OLD: JetErr = JetErr(-566);
    /// `JET_errMissingCurrentLogFiles` (-565): the current log files are missing.
    pub const MISSING_CURRENT_LOG_FILES: JetErr = JetErr(-565);
    /// `JET_errDatabaseIncompleteUpgrade` (-563): a previous upgrade of the database did not finish.
    pub const DATABASE_INCOMPLETE_UPGRADE: JetErr = JetErr(-563);
    /// `JET_errDatabaseAlreadyUpgraded` (-562): the database has already been upgraded.
    pub const DATABASE_ALREADY_UPGRADED: JetErr = JetErr(-562);
    /// `JET_errBadBackupDatabaseSize` (-561): the backed-up database file has the wrong size.
    pub const BAD_BACKUP_DATABASE_SIZE: JetErr = JetErr(-561);
    /// `JET_errMissingFullBackup` (-560): an incremental backup needs a full backup first.
    pub const MISSING_FULL_BACKUP: JetErr = JetErr(-560);
    /// `JET_errMissingRestoreLogFiles` (-557): some log files needed for restore are missing.
    pub const MISSING_RESTORE_LOG_FILES: JetErr = JetErr(-557);
    /// `JET_errGivenLogFileIsNotContiguous` (-556): the log files given for restore leave a gap.
    pub const GIVEN_LOG_FILE_IS_NOT_CONTIGUOUS: JetErr = JetErr(-556);
    /// `JET_errGivenLogFileHasBadSignature` (-555): a log file given for restore has the wrong signature.
    pub const GIVEN_LOG_FILE_HAS_BAD_SIGNATURE: JetErr = JetErr(-555);
    /// `JET_errStartingRestoreLogTooHigh` (-554): the first log to restore is newer than the backup needs.
    pub const STARTING_RESTORE_LOG_TOO_HIGH: JetErr = JetErr(-554);
    /// `JET_errEndingRestoreLogTooLow` (-553): the last log to restore is older than the backup needs.
    pub const ENDING_RESTORE_LOG_TOO_LOW: JetErr = JetErr(-553);
    /// `JET_errDatabasePatchFileMismatch` (-552): the patch file does not belong to this database.
    pub const DATABASE_PATCH_FILE_MISMATCH: JetErr = JetErr(-552);
    /// `JET_errConsistentTimeMismatch` (-551): the database's last consistent time does not match the log.
    pub const CONSISTENT_TIME_MISMATCH: JetErr = JetErr(-551);
    /// `JET_errDatabaseDirtyShutdown` (-550): the database was not shut down cleanly; recovery must run first.
    pub const DATABASE_DIRTY_SHUTDOWN: JetErr = JetErr(-550);
    /// `JET_errLogSectorSizeMismatch` (-546): the log's sector size differs from the disk's sector size.
    pub const LOG_SECTOR_SIZE_MISMATCH: JetErr = JetErr(-546);
    /// `JET_errLogFileSizeMismatchDatabasesConsistent` (-545): the log file size differs from the configured one, but the databases are consistent.
    pub const LOG_FILE_SIZE_MISMATCH_DATABASES_CONSISTENT: JetErr = JetErr(-545);
    /// `JET_errSoftRecoveryOnBackupDatabase` (-544): soft recovery was attempted on a restored backup; use restore instead.
    pub const SOFT_RECOVERY_ON_BACKUP_DATABASE: JetErr = JetErr(-544);
    /// `JET_errRequiredLogFilesMissing` (-543): log files that recovery needs are missing.
    pub const REQUIRED_LOG_FILES_MISSING: JetErr = JetErr(-543);
    /// `JET_errCheckpointFileNotFound` (-542): the checkpoint file was not found.
    pub const CHECKPOINT_FILE_NOT_FOUND: JetErr = JetErr(-542);
    /// `JET_errLogFileSizeMismatch` (-541): the log file size differs from the configured log file size.
    pub const LOG_FILE_SIZE_MISMATCH: JetErr = JetErr(-541);
    /// `JET_errDatabaseLogSetMismatch` (-539): the database does not belong to this set of logs.
    pub const DATABASE_LOG_SET_MISMATCH: JetErr = JetErr(-539);
    /// `JET_errPatchFileMissing` (-538): the patch file is missing.
    pub const PATCH_FILE_MISSING: JetErr = JetErr(-538);
    /// `JET_errMissingPatchPage` (-534): a page is missing from the patch file.
    pub const MISSING_PATCH_PAGE: JetErr = JetErr(-534);
    /// `JET_errCheckpointCorrupt` (-533): the checkpoint file is missing or corrupted.
    pub const CHECKPOINT_CORRUPT: JetErr = JetErr(-533);
    /// `JET_errBadCheckpointSignature` (-532): the checkpoint signature does not match the logs.
    pub const BAD_CHECKPOINT_SIGNATURE: JetErr = JetErr(-532);
    /// `JET_errBadDbSignature` (-531): the database signature does not match the one in the log.
    pub const BAD_DB_SIGNATURE: JetErr = JetErr(-531);
    /// `JET_errBadLogSignature` (-530): the log file signature does not match.
    pub const BAD_LOG_SIGNATURE: JetErr = JetErr(-530);
    /// `JET_errLogDiskFull` (-529): the log disk is full.
    pub const LOG_DISK_FULL: JetErr = JetErr(-529);
    /// `JET_errMissingLogFile` (-528): the current log file is missing.
    pub const MISSING_LOG_FILE: JetErr = JetErr(-528);
    /// `JET_errRecoveredWithErrors` (-527): recovery finished but some databases had errors.
    pub const RECOVERED_WITH_ERRORS: JetErr = JetErr(-527);
    /// `JET_errInvalidBackup` (-526): an incremental backup is not possible with circular logging.
    pub const INVALID_BACKUP: JetErr = JetErr(-526);
    /// `JET_errBackupNotAllowedYet` (-523): a backup cannot start now (initialization, recovery or shutdown).
    pub const BACKUP_NOT_ALLOWED_YET: JetErr = JetErr(-523);
    /// `JET_errInvalidBackupSequence` (-521): backup functions were called in the wrong order.
    pub const INVALID_BACKUP_SEQUENCE: JetErr = JetErr(-521);
    /// `JET_errNoBackup` (-520): no backup is in progress.
    pub const NO_BACKUP: JetErr = JetErr(-520);
    /// `JET_errLogSequenceEnd` (-519): no log generation numbers are left.
    pub const LOG_SEQUENCE_END: JetErr = JetErr(-519);
    /// `JET_errLogBufferTooSmall` (-517): the log buffer is too small to hold the log record.
    pub const LOG_BUFFER_TOO_SMALL: JetErr = JetErr(-517);
    /// `JET_errLoggingDisabled` (-516): logging is not enabled.
    pub const LOGGING_DISABLED: JetErr = JetErr(-516);
    /// `JET_errInvalidLogSequence` (-515): the log files do not form a contiguous sequence.
    pub const INVALID_LOG_SEQUENCE: JetErr = JetErr(-515);
    /// `JET_errBadLogVersion` (-514): the log file format version is not supported.
    pub const BAD_LOG_VERSION: JetErr = JetErr(-514);
    /// `JET_errLogGenerationMismatch` (-513): the log file name does not match its internal generation number.
    pub const LOG_GENERATION_MISMATCH: JetErr = JetErr(-513);
    /// `JET_errCannotLogDuringRecoveryRedo` (-512): nothing may be logged during the redo phase of recovery.
    pub const CANNOT_LOG_DURING_RECOVERY_REDO: JetErr = JetErr(-512);
    /// `JET_errLogDisabledDueToRecoveryFailure` (-511): logging is disabled because recovery failed.
    pub const LOG_DISABLED_DUE_TO_RECOVERY_FAILURE: JetErr = JetErr(-511);
    /// `JET_errLogWriteFail` (-510): writing the log failed; logging has stopped.
    pub const LOG_WRITE_FAIL: JetErr = JetErr(-510);
    /// `JET_errMissingPreviousLogFile` (-509): the log file the checkpoint points to is missing.
    pub const MISSING_PREVIOUS_LOG_FILE: JetErr = JetErr(-509);
    /// `JET_errRestoreInProgress` (-506): a restore is running on this instance.
    pub const RESTORE_IN_PROGRESS: JetErr = JetErr(-506);
    /// `JET_errBackupInProgress` (-505): a backup is already running.
    pub const BACKUP_IN_PROGRESS: JetErr = JetErr(-505);
    /// `JET_errBackupDirectoryNotEmpty` (-504): the backup directory is not empty.
    pub const BACKUP_DIRECTORY_NOT_EMPTY: JetErr = JetErr(-504);
    /// `JET_errNoBackupDirectory` (-503): no backup directory was given.
    pub const NO_BACKUP_DIRECTORY: JetErr = JetErr(-503);
    /// `JET_errLogFileCorrupt` (-501): the log file is corrupted.
    pub const LOG_FILE_CORRUPT: JetErr = JetErr(-501);
    /// `JET_errInvalidLoggedOperation` (-500): a logged operation cannot be redone.
    pub const INVALID_LOGGED_OPERATION: JetErr = JetErr(-500);
    /// `JET_errKeyTooBig` (-408): the key is too big.
    pub const KEY_TOO_BIG: JetErr = JetErr(-408);
    /// `JET_errKeyTruncated` (-346): the key was longer than the index allows and truncation is disallowed.
    pub const KEY_TRUNCATED: JetErr = JetErr(-346);
    /// `JET_errBadParentPageLink` (-338): a B-tree parent link is corrupted.
    pub const BAD_PARENT_PAGE_LINK: JetErr = JetErr(-338);
    /// `JET_errBadPageLink` (-327): a B-tree sibling link is corrupted.
    pub const BAD_PAGE_LINK: JetErr = JetErr(-327);
    /// `JET_errDisabledFunctionality` (-112): this functionality has been disabled.
    pub const DISABLED_FUNCTIONALITY: JetErr = JetErr(-112);
    /// `JET_errInternalError` (-107): the engine hit an internal error it cannot recover from.
    pub const INTERNAL_ERROR: JetErr = JetErr(-107);
    /// `JET_errTooManyIO` (-105): too many I/O requests are already outstanding; the system is busy.
    pub const TOO_MANY_IO: JetErr = JetErr(-105);
    /// `JET_errOutOfThreads` (-103): the engine could not start a thread it needs.
    pub const OUT_OF_THREADS: JetErr = JetErr(-103);
    /// `JET_wrnNyi` (-1): the function is not yet implemented.
    pub const WRN_NYI: JetErr = JetErr(-1);
    /// `JET_errSuccess` (0): the operation succeeded.
    pub const SUCCESS: JetErr = JetErr(0);
    /// `JET_wrnRemainingVersions` (321): the version store still holds versions.
    pub const WRN_REMAINING_VERSIONS: JetErr = JetErr(321);
    /// `JET_wrnUniqueKey` (345): the key is unique.
    pub const WRN_UNIQUE_KEY: JetErr = JetErr(345);
    /// `JET_wrnSeparateLongValue` (406): the long value is stored outside the record.
    pub const WRN_SEPARATE_LONG_VALUE: JetErr = JetErr(406);
    /// `JET_wrnTargetInstanceRunning` (578): the restore target instance is running.
    pub const WRN_TARGET_INSTANCE_RUNNING: JetErr = JetErr(578);
    /// `JET_wrnCommittedLogFilesLost` (585): committed log files were lost but the databases are consistent.
    pub const WRN_COMMITTED_LOG_FILES_LOST: JetErr = JetErr(585);
    /// `JET_wrnCommittedLogFilesRemoved` (587): committed log files were removed to let recovery continue.
    pub const WRN_COMMITTED_LOG_FILES_REMOVED: JetErr = JetErr(587);
    /// `JET_wrnColumnNull` (1004): the column value is NULL.
    pub const WRN_COLUMN_NULL: JetErr = JetErr(1004);
    /// `JET_wrnBufferTruncated` (1006): the data was truncated to fit the buffer.
    pub const WRN_BUFFER_TRUNCATED: JetErr = JetErr(1006);
    /// `JET_wrnDatabaseAttached` (1007): the database was already attached.
    pub const WRN_DATABASE_ATTACHED: JetErr = JetErr(1007);
    /// `JET_wrnSortOverflow` (1009): the sort spilled out of memory.
    pub const WRN_SORT_OVERFLOW: JetErr = JetErr(1009);
    /// `JET_wrnSeekNotEqual` (1039): the seek found no exact match and stopped on a neighbouring record.
    pub const WRN_SEEK_NOT_EQUAL: JetErr = JetErr(1039);
    /// `JET_wrnNoErrorInfo` (1055): no extended information is available for this error.
    pub const WRN_NO_ERROR_INFO: JetErr = JetErr(1055);
    /// `JET_wrnNoIdleActivity` (1058): there was no idle work to do.
    pub const WRN_NO_IDLE_ACTIVITY: JetErr = JetErr(1058);
    /// `JET_wrnNoWriteLock` (1067): no write lock was taken because the session is at transaction level 0.
    pub const WRN_NO_WRITE_LOCK: JetErr = JetErr(1067);
    /// `JET_wrnColumnSetNull` (1068): the column was set to NULL.
    pub const WRN_COLUMN_SET_NULL: JetErr = JetErr(1068);
    /// `JET_wrnTableEmpty` (1301): the table is empty.
    pub const WRN_TABLE_EMPTY: JetErr = JetErr(1301);
    /// `JET_wrnTableInUseBySystem` (1327): the table is in use by the engine.
    pub const WRN_TABLE_IN_USE_BY_SYSTEM: JetErr = JetErr(1327);
    /// `JET_wrnSecondaryIndexOutOfDate` (1418): a secondary index may be out of date.
    pub const WRN_SECONDARY_INDEX_OUT_OF_DATE: JetErr = JetErr(1418);
    /// `JET_wrnColumnMaxTruncated` (1512): the value was cut to the column's maximum size.
    pub const WRN_COLUMN_MAX_TRUNCATED: JetErr = JetErr(1512);
    /// `JET_wrnColumnSkipped` (1531): the column was skipped during enumeration.
    pub const WRN_COLUMN_SKIPPED: JetErr = JetErr(1531);
    /// `JET_wrnColumnNotLocal` (1532): the column value is not stored in the record.
    pub const WRN_COLUMN_NOT_LOCAL: JetErr = JetErr(1532);
    /// `JET_wrnColumnMoreTags` (1533): the column has more values than were returned.
    pub const WRN_COLUMN_MORE_TAGS: JetErr = JetErr(1533);
    /// `JET_wrnColumnTruncated` (1534): the column value was truncated during enumeration.
    pub const WRN_COLUMN_TRUNCATED: JetErr = JetErr(1534);
    /// `JET_wrnColumnPresent` (1535): the column has a value.
    pub const WRN_COLUMN_PRESENT: JetErr = JetErr(1535);
    /// `JET_wrnColumnSingleValue` (1536): the column has exactly one value, returned inline.
    pub const WRN_COLUMN_SINGLE_VALUE: JetErr = JetErr(1536);
    /// `JET_wrnColumnDefault` (1537): the column holds its default value.
    pub const WRN_COLUMN_DEFAULT: JetErr = JetErr(1537);
    /// `JET_wrnColumnNotInRecord` (1539): the column is not present in the record.
    pub const WRN_COLUMN_NOT_IN_RECORD: JetErr = JetErr(1539);
    /// `JET_wrnFileOpenReadOnly` (1813): the database was attached or opened read-only.
    pub const WRN_FILE_OPEN_READ_ONLY: JetErr = JetErr(1813);
    /// `JET_wrnIdleFull` (1908): the idle task queue is full.
    pub const WRN_IDLE_FULL: JetErr = JetErr(1908);
    /// `JET_wrnDefragAlreadyRunning` (2000): online defragmentation is already running.
    pub const WRN_DEFRAG_ALREADY_RUNNING: JetErr = JetErr(2000);
    /// `JET_wrnDefragNotRunning` (2001): online defragmentation is not running.
    pub const WRN_DEFRAG_NOT_RUNNING: JetErr = JetErr(2001);
}

/// Every code, sorted by value; see [`ALL`].
#[rustfmt::skip]
const TABLE: &[JetCode] = &[
    JetCode::new(JetErr::FILE_COMPRESSED, "JET_errFileCompressed", Category::Io, "the file is compressed by the file system and cannot be used"),
    JetCode::new(JetErr::FILE_IO_BEYOND_EOF, "JET_errFileIOBeyondEOF", Category::Io, "a read went past the end of the file"),
    JetCode::new(JetErr::OS_SNAPSHOT_NOT_ALLOWED, "JET_errOSSnapshotNotAllowed", Category::Backup, "a snapshot is not allowed now"),
    JetCode::new(JetErr::OS_SNAPSHOT_TIME_OUT, "JET_errOSSnapshotTimeOut", Category::Backup, "the snapshot freeze timed out"),
    JetCode::new(JetErr::OS_SNAPSHOT_INVALID_SEQUENCE, "JET_errOSSnapshotInvalidSequence", Category::Backup, "snapshot functions were called in the wrong order"),
    JetCode::new(JetErr::CALLBACK_NOT_RESOLVED, "JET_errCallbackNotResolved", Category::General, "a callback function could not be found"),
    JetCode::new(JetErr::CALLBACK_FAILED, "JET_errCallbackFailed", Category::General, "a callback function failed"),
    JetCode::new(JetErr::ROLLBACK_ERROR, "JET_errRollbackError", Category::Transaction, "rolling back the transaction failed"),
    JetCode::new(JetErr::ONE_DATABASE_PER_SESSION, "JET_errOneDatabasePerSession", Category::Session, "the session may open only one database"),
    JetCode::new(JetErr::SESSION_IN_USE, "JET_errSessionInUse", Category::Session, "the session cannot end while it is in use or has a context attached"),
    JetCode::new(JetErr::SESSION_CONTEXT_NOT_SET_BY_THIS_THREAD, "JET_errSessionContextNotSetByThisThread", Category::Session, "the session context was set by a different thread"),
    JetCode::new(JetErr::SESSION_CONTEXT_ALREADY_SET, "JET_errSessionContextAlreadySet", Category::Session, "a context is already attached to the session"),
    JetCode::new(JetErr::ENTRY_POINT_NOT_FOUND, "JET_errEntryPointNotFound", Category::General, "an API entry point could not be found"),
    JetCode::new(JetErr::SESSION_SHARING_VIOLATION, "JET_errSessionSharingViolation", Category::Session, "the session or its transaction is in use on another thread"),
    JetCode::new(JetErr::ACCESS_DENIED, "JET_errAccessDenied", Category::General, "access to the object was denied"),
    JetCode::new(JetErr::INVALID_OPERATION, "JET_errInvalidOperation", Category::General, "the operation is not valid for this object or in this state"),
    JetCode::new(JetErr::LOG_CORRUPTED, "JET_errLogCorrupted", Category::Log, "the log stream is corrupted"),
    JetCode::new(JetErr::AFTER_INITIALIZATION, "JET_errAfterInitialization", Category::Backup, "a restore cannot run after initialization"),
    JetCode::new(JetErr::FILE_ALREADY_EXISTS, "JET_errFileAlreadyExists", Category::Io, "the file already exists"),
    JetCode::new(JetErr::FILE_INVALID_TYPE, "JET_errFileInvalidType", Category::Io, "the file is not of the expected type"),
    JetCode::new(JetErr::FILE_NOT_FOUND, "JET_errFileNotFound", Category::Io, "the file does not exist"),
    JetCode::new(JetErr::PERMISSION_DENIED, "JET_errPermissionDenied", Category::Io, "the operation is not permitted, such as a write through a read-only cursor"),
    JetCode::new(JetErr::DISK_FULL, "JET_errDiskFull", Category::Io, "the disk has no free space left"),
    JetCode::new(JetErr::TOO_MANY_ATTACHED_DATABASES, "JET_errTooManyAttachedDatabases", Category::Database, "the instance has attached as many databases as it can"),
    JetCode::new(JetErr::TEMP_FILE_OPEN_ERROR, "JET_errTempFileOpenError", Category::Io, "the temporary database file could not be opened"),
    JetCode::new(JetErr::INVALID_ON_SORT, "JET_errInvalidOnSort", Category::Table, "the operation is not valid on a sort"),
    JetCode::new(JetErr::TOO_MANY_SORTS, "JET_errTooManySorts", Category::Resource, "no more temporary tables or sorts can be created"),
    JetCode::new(JetErr::AUTO_INCREMENT_NOT_SET, "JET_errAutoIncrementNotSet", Category::Record, "the auto-increment value has not been set"),
    JetCode::new(JetErr::SET_AUTO_INCREMENT_TOO_HIGH, "JET_errSetAutoIncrementTooHigh", Category::Record, "the auto-increment value is set too high"),
    JetCode::new(JetErr::UPDATE_NOT_PREPARED, "JET_errUpdateNotPrepared", Category::Record, "no update has been prepared on the cursor"),
    JetCode::new(JetErr::KEY_NOT_MADE, "JET_errKeyNotMade", Category::Index, "no search key has been made"),
    JetCode::new(JetErr::ALREADY_PREPARED, "JET_errAlreadyPrepared", Category::Record, "an update is already prepared on the cursor"),
    JetCode::new(JetErr::KEY_DUPLICATE, "JET_errKeyDuplicate", Category::Record, "the key already exists in a unique index"),
    JetCode::new(JetErr::RECORD_PRIMARY_CHANGED, "JET_errRecordPrimaryChanged", Category::Record, "the primary key may not change during a replace"),
    JetCode::new(JetErr::NO_CURRENT_RECORD, "JET_errNoCurrentRecord", Category::Record, "the cursor is not positioned on a record"),
    JetCode::new(JetErr::RECORD_NO_COPY, "JET_errRecordNoCopy", Category::Record, "there is no working copy of the record"),
    JetCode::new(JetErr::RECORD_NOT_FOUND, "JET_errRecordNotFound", Category::Record, "no record has this key"),
    JetCode::new(JetErr::COLUMN_CANNOT_BE_COMPRESSED, "JET_errColumnCannotBeCompressed", Category::Column, "the column cannot be compressed"),
    JetCode::new(JetErr::LV_CORRUPTED, "JET_errLVCorrupted", Category::Corruption, "the long-value tree is corrupted"),
    JetCode::new(JetErr::MULTI_VALUED_DUPLICATE, "JET_errMultiValuedDuplicate", Category::Column, "the multi-valued column already holds this value"),
    JetCode::new(JetErr::DEFAULT_VALUE_TOO_BIG, "JET_errDefaultValueTooBig", Category::Column, "the default value is too big"),
    JetCode::new(JetErr::CANNOT_BE_TAGGED, "JET_errCannotBeTagged", Category::Column, "version, auto-increment and escrow columns cannot be tagged"),
    JetCode::new(JetErr::BAD_ITAG_SEQUENCE, "JET_errBadItagSequence", Category::Column, "the multi-value sequence number is not valid"),
    JetCode::new(JetErr::BAD_COLUMN_ID, "JET_errBadColumnId", Category::Column, "the column id is not valid"),
    JetCode::new(JetErr::KEY_IS_MADE, "JET_errKeyIsMade", Category::Index, "the search key is already complete"),
    JetCode::new(JetErr::NO_CURRENT_INDEX, "JET_errNoCurrentIndex", Category::Index, "the cursor has no current index"),
    JetCode::new(JetErr::TAGGED_NOT_NULL, "JET_errTaggedNotNULL", Category::Column, "a tagged column cannot be declared NOT NULL"),
    JetCode::new(JetErr::INVALID_COLUMN_TYPE, "JET_errInvalidColumnType", Category::Column, "the column type is not valid or the column cannot be set"),
    JetCode::new(JetErr::COLUMN_REDUNDANT, "JET_errColumnRedundant", Category::Column, "the column appears twice in the definition"),
    JetCode::new(JetErr::MULTI_VALUED_COLUMN_MUST_BE_TAGGED, "JET_errMultiValuedColumnMustBeTagged", Category::Column, "a multi-valued column must be tagged"),
    JetCode::new(JetErr::COLUMN_DUPLICATE, "JET_errColumnDuplicate", Category::Column, "a column with this name already exists"),
    JetCode::new(JetErr::COLUMN_NOT_FOUND, "JET_errColumnNotFound", Category::Column, "the column does not exist"),
    JetCode::new(JetErr::COLUMN_TOO_BIG, "JET_errColumnTooBig", Category::Column, "the value is larger than the column's maximum size"),
    JetCode::new(JetErr::NULL_INVALID, "JET_errNullInvalid", Category::Column, "the column does not accept NULL"),
    JetCode::new(JetErr::COLUMN_DOES_NOT_FIT, "JET_errColumnDoesNotFit", Category::Column, "the value cannot fit in any record"),
    JetCode::new(JetErr::COLUMN_NO_CHUNK, "JET_errColumnNoChunk", Category::Column, "the long-value offset lies beyond its data"),
    JetCode::new(JetErr::INDEX_TUPLES_KEY_TOO_SMALL, "JET_errIndexTuplesKeyTooSmall", Category::Index, "the search key is shorter than the tuple minimum length"),
    JetCode::new(JetErr::INDEX_TUPLES_CANNOT_RETRIEVE_FROM_INDEX, "JET_errIndexTuplesCannotRetrieveFromIndex", Category::Index, "a tuple column cannot be retrieved from the index"),
    JetCode::new(JetErr::INDEX_TUPLES_INVALID_LIMITS, "JET_errIndexTuplesInvalidLimits", Category::Instance, "the tuple index limits are not valid"),
    JetCode::new(JetErr::INDEX_TUPLES_TEXT_BINARY_COLUMNS_ONLY, "JET_errIndexTuplesTextBinaryColumnsOnly", Category::Index, "the first column of a tuple index must be text or binary"),
    JetCode::new(JetErr::INDEX_TUPLES_NON_UNIQUE_ONLY, "JET_errIndexTuplesNonUniqueOnly", Category::Index, "a tuple index cannot be unique"),
    JetCode::new(JetErr::INDEX_TUPLES_SECONDARY_INDEX_ONLY, "JET_errIndexTuplesSecondaryIndexOnly", Category::Index, "a tuple index must be a secondary index"),
    JetCode::new(JetErr::INVALID_INDEX_ID, "JET_errInvalidIndexId", Category::Index, "the index id is not valid"),
    JetCode::new(JetErr::SECONDARY_INDEX_CORRUPTED, "JET_errSecondaryIndexCorrupted", Category::Corruption, "a secondary index is corrupted or out of date"),
    JetCode::new(JetErr::PRIMARY_INDEX_CORRUPTED, "JET_errPrimaryIndexCorrupted", Category::Corruption, "the primary index is corrupted or out of date"),
    JetCode::new(JetErr::INDEX_BUILD_CORRUPTED, "JET_errIndexBuildCorrupted", Category::Index, "the index build found corrupted data"),
    JetCode::new(JetErr::MULTI_VALUED_INDEX_VIOLATION, "JET_errMultiValuedIndexViolation", Category::Index, "too many entries for one record in a multi-valued index"),
    JetCode::new(JetErr::TOO_MANY_OPEN_INDEXES, "JET_errTooManyOpenIndexes", Category::Resource, "too many indexes are open"),
    JetCode::new(JetErr::INVALID_CREATE_INDEX, "JET_errInvalidCreateIndex", Category::Index, "the index creation parameters are not valid"),
    JetCode::new(JetErr::INDEX_INVALID_DEF, "JET_errIndexInvalidDef", Category::Index, "the index definition is not valid"),
    JetCode::new(JetErr::INDEX_MUST_STAY, "JET_errIndexMustStay", Category::Index, "the primary index cannot be deleted"),
    JetCode::new(JetErr::INDEX_NOT_FOUND, "JET_errIndexNotFound", Category::Index, "the index does not exist"),
    JetCode::new(JetErr::INDEX_DUPLICATE, "JET_errIndexDuplicate", Category::Index, "an index with this name already exists"),
    JetCode::new(JetErr::INDEX_HAS_PRIMARY, "JET_errIndexHasPrimary", Category::Index, "the table already has a primary index"),
    JetCode::new(JetErr::INDEX_CANT_BUILD, "JET_errIndexCantBuild", Category::Index, "the index could not be built"),
    JetCode::new(JetErr::CANNOT_ADD_FIXED_VAR_COLUMN_TO_DERIVED_TABLE, "JET_errCannotAddFixedVarColumnToDerivedTable", Category::Table, "only tagged columns may be added to this derived table"),
    JetCode::new(JetErr::CLIENT_REQUEST_TO_STOP_JET_SERVICE, "JET_errClientRequestToStopJetService", Category::General, "the client asked the engine to stop service; most calls are refused"),
    JetCode::new(JetErr::INVALID_SETTINGS, "JET_errInvalidSettings", Category::General, "the system parameter settings are inconsistent"),
    JetCode::new(JetErr::DDL_NOT_INHERITABLE, "JET_errDDLNotInheritable", Category::Table, "the named table is not a template and cannot be inherited from"),
    JetCode::new(JetErr::CANNOT_NEST_DDL, "JET_errCannotNestDDL", Category::Table, "a template table cannot itself be derived from another template"),
    JetCode::new(JetErr::FIXED_INHERITED_DDL, "JET_errFixedInheritedDDL", Category::Table, "the schema inherited from the template cannot be changed"),
    JetCode::new(JetErr::FIXED_DDL, "JET_errFixedDDL", Category::Table, "the table's schema is fixed and cannot be changed"),
    JetCode::new(JetErr::EXCLUSIVE_TABLE_LOCK_REQUIRED, "JET_errExclusiveTableLockRequired", Category::Table, "the DDL operation needs an exclusive lock on the table"),
    JetCode::new(JetErr::CANNOT_DELETE_TEMPLATE_TABLE, "JET_errCannotDeleteTemplateTable", Category::Table, "a template table cannot be deleted"),
    JetCode::new(JetErr::CANNOT_DELETE_SYSTEM_TABLE, "JET_errCannotDeleteSystemTable", Category::Table, "a system table cannot be deleted"),
    JetCode::new(JetErr::CANNOT_DELETE_TEMP_TABLE, "JET_errCannotDeleteTempTable", Category::Table, "a temporary table cannot be deleted this way"),
    JetCode::new(JetErr::TOO_MANY_OPEN_TABLES_AND_CLEANUP_TIMED_OUT, "JET_errTooManyOpenTablesAndCleanupTimedOut", Category::Resource, "too many tables are open and cleanup did not finish in time"),
    JetCode::new(JetErr::ILLEGAL_OPERATION, "JET_errIllegalOperation", Category::Table, "the operation is not allowed on this table"),
    JetCode::new(JetErr::TOO_MANY_OPEN_TABLES, "JET_errTooManyOpenTables", Category::Resource, "the maximum number of open tables has been reached"),
    JetCode::new(JetErr::INVALID_TABLE_ID, "JET_errInvalidTableId", Category::Table, "the table id is not valid"),
    JetCode::new(JetErr::TABLE_NOT_EMPTY, "JET_errTableNotEmpty", Category::Table, "the operation needs an empty table"),
    JetCode::new(JetErr::DENSITY_INVALID, "JET_errDensityInvalid", Category::Table, "the density must be 0 or between 20 and 100"),
    JetCode::new(JetErr::OBJECT_NOT_FOUND, "JET_errObjectNotFound", Category::Table, "the table or object does not exist"),
    JetCode::new(JetErr::TABLE_IN_USE, "JET_errTableInUse", Category::Table, "the table is in use and cannot be locked exclusively"),
    JetCode::new(JetErr::TABLE_DUPLICATE, "JET_errTableDuplicate", Category::Table, "a table with this name already exists"),
    JetCode::new(JetErr::TABLE_LOCKED, "JET_errTableLocked", Category::Table, "the table is locked exclusively"),
    JetCode::new(JetErr::DATABASE_CORRUPTED_NO_REPAIR, "JET_errDatabaseCorruptedNoRepair", Category::Database, "the database is corrupted and cannot be repaired"),
    JetCode::new(JetErr::DATABASE_SIGN_IN_USE, "JET_errDatabaseSignInUse", Category::Database, "a database with the same signature is already in use"),
    JetCode::new(JetErr::PARTIALLY_ATTACHED_DB, "JET_errPartiallyAttachedDB", Category::Database, "the database is only partly attached"),
    JetCode::new(JetErr::CATALOG_CORRUPTED, "JET_errCatalogCorrupted", Category::Database, "the catalog (system tables) is corrupted"),
    JetCode::new(JetErr::FORCE_DETACH_NOT_ALLOWED, "JET_errForceDetachNotAllowed", Category::Database, "a forced detach is not allowed"),
    JetCode::new(JetErr::DATABASE_INVALID_PATH, "JET_errDatabaseInvalidPath", Category::Database, "the database path is not valid"),
    JetCode::new(JetErr::ATTACHED_DATABASE_MISMATCH, "JET_errAttachedDatabaseMismatch", Category::Database, "the logs refer to databases that are missing or different"),
    JetCode::new(JetErr::DATABASE_SHARING_VIOLATION, "JET_errDatabaseSharingViolation", Category::Database, "another instance or session has the database attached"),
    JetCode::new(JetErr::TOO_MANY_INSTANCES, "JET_errTooManyInstances", Category::Instance, "the maximum number of instances has been reached"),
    JetCode::new(JetErr::PAGE_SIZE_MISMATCH, "JET_errPageSizeMismatch", Category::Database, "the file's page size differs from the configured page size"),
    JetCode::new(JetErr::INVALID_DATABASE_VERSION, "JET_errInvalidDatabaseVersion", Category::Database, "the database format version is not supported"),
    JetCode::new(JetErr::DATABASE_LOCKED, "JET_errDatabaseLocked", Category::Database, "another session holds the database open exclusively"),
    JetCode::new(JetErr::DATABASE_CORRUPTED, "JET_errDatabaseCorrupted", Category::Database, "the file is corrupted or not a database"),
    JetCode::new(JetErr::DATABASE_INVALID_PAGES, "JET_errDatabaseInvalidPages", Category::Database, "the database page count is not valid"),
    JetCode::new(JetErr::DATABASE_INVALID_NAME, "JET_errDatabaseInvalidName", Category::Database, "the database name is not valid"),
    JetCode::new(JetErr::DATABASE_NOT_FOUND, "JET_errDatabaseNotFound", Category::Database, "the database is not attached or not open"),
    JetCode::new(JetErr::DATABASE_IN_USE, "JET_errDatabaseInUse", Category::Database, "the database is in use"),
    JetCode::new(JetErr::DATABASE_DUPLICATE, "JET_errDatabaseDuplicate", Category::Database, "the database file already exists"),
    JetCode::new(JetErr::FILTERED_MOVE_NOT_SUPPORTED, "JET_errFilteredMoveNotSupported", Category::Record, "a filtered move is not supported here"),
    JetCode::new(JetErr::RECOVERY_VERIFY_FAILURE, "JET_errRecoveryVerifyFailure", Category::Corruption, "recovery found a page that does not match the log"),
    JetCode::new(JetErr::FILE_SYSTEM_CORRUPTION, "JET_errFileSystemCorruption", Category::Corruption, "the file system reports corruption"),
    JetCode::new(JetErr::READ_LOST_FLUSH_VERIFY_FAILURE, "JET_errReadLostFlushVerifyFailure", Category::Corruption, "a page read from disk is missing a write that was made (lost flush)"),
    JetCode::new(JetErr::READ_PGNO_VERIFY_FAILURE, "JET_errReadPgnoVerifyFailure", Category::Corruption, "a page read from disk carries the wrong page number"),
    JetCode::new(JetErr::DIRTY_SHUTDOWN, "JET_errDirtyShutdown", Category::General, "the instance stopped without a clean shutdown; its databases are left dirty"),
    JetCode::new(JetErr::INVALID_INSTANCE, "JET_errInvalidInstance", Category::General, "the instance handle is not valid"),
    JetCode::new(JetErr::CANNOT_MATERIALIZE_FORWARD_ONLY_SORT, "JET_errCannotMaterializeForwardOnlySort", Category::Table, "a forward-only sort cannot be materialized"),
    JetCode::new(JetErr::RECORD_TOO_BIG_FOR_BACKWARD_COMPATIBILITY, "JET_errRecordTooBigForBackwardCompatibility", Category::Record, "the record is too big for older engine versions"),
    JetCode::new(JetErr::SESSION_WRITE_CONFLICT, "JET_errSessionWriteConflict", Category::Transaction, "two cursors of the same session tried to replace the same record"),
    JetCode::new(JetErr::TRANS_READ_ONLY, "JET_errTransReadOnly", Category::Transaction, "an update was attempted in a read-only transaction"),
    JetCode::new(JetErr::ROLLBACK_REQUIRED, "JET_errRollbackRequired", Category::Transaction, "the transaction must be rolled back before it can commit or begin again"),
    JetCode::new(JetErr::IN_TRANSACTION, "JET_errInTransaction", Category::Transaction, "the operation is not allowed inside a transaction"),
    JetCode::new(JetErr::WRITE_CONFLICT_PRIMARY_INDEX, "JET_errWriteConflictPrimaryIndex", Category::Transaction, "the primary index has an uncommitted change by another transaction"),
    JetCode::new(JetErr::INVALID_SESID, "JET_errInvalidSesid", Category::Session, "the session handle is not valid"),
    JetCode::new(JetErr::TRANS_TOO_DEEP, "JET_errTransTooDeep", Category::Transaction, "transactions are nested more than seven levels deep"),
    JetCode::new(JetErr::WRITE_CONFLICT, "JET_errWriteConflict", Category::Transaction, "another transaction locked or changed the record after this one began"),
    JetCode::new(JetErr::OUT_OF_SESSIONS, "JET_errOutOfSessions", Category::Session, "the maximum number of sessions has been reached"),
    JetCode::new(JetErr::TOO_MANY_RECORDS, "JET_errTooManyRecords", Category::Table, "the table holds too many records for this operation"),
    JetCode::new(JetErr::INVALID_SESPARAM_ID, "JET_errInvalidSesparamId", Category::Session, "the session parameter id is not known"),
    JetCode::new(JetErr::INSTANCE_UNAVAILABLE_DUE_TO_FATAL_LOG_DISK_FULL, "JET_errInstanceUnavailableDueToFatalLogDiskFull", Category::General, "the instance cannot be used because the log disk filled up"),
    JetCode::new(JetErr::DATABASE_UNAVAILABLE, "JET_errDatabaseUnavailable", Category::General, "the database suffered a fatal error and cannot be used"),
    JetCode::new(JetErr::INSTANCE_UNAVAILABLE, "JET_errInstanceUnavailable", Category::General, "the instance suffered a fatal error and refuses all data access"),
    JetCode::new(JetErr::SYSTEM_PARAMETER_CONFLICT, "JET_errSystemParameterConflict", Category::Instance, "the global system parameters conflict with those already in effect"),
    JetCode::new(JetErr::INSTANCE_NAME_IN_USE, "JET_errInstanceNameInUse", Category::Instance, "an instance with this name already exists in the process"),
    JetCode::new(JetErr::TEMP_PATH_IN_USE, "JET_errTempPathInUse", Category::Instance, "another instance already uses this temporary path"),
    JetCode::new(JetErr::LOG_FILE_PATH_IN_USE, "JET_errLogFilePathInUse", Category::Instance, "another instance already uses this log path"),
    JetCode::new(JetErr::SYSTEM_PATH_IN_USE, "JET_errSystemPathInUse", Category::Instance, "another instance already uses this checkpoint path"),
    JetCode::new(JetErr::SYSTEM_PARAMS_ALREADY_SET, "JET_errSystemParamsAlreadySet", Category::Instance, "the global system parameters have already been fixed"),
    JetCode::new(JetErr::RUNNING_IN_MULTI_INSTANCE_MODE, "JET_errRunningInMultiInstanceMode", Category::Instance, "a single-instance API was called while running in multi-instance mode"),
    JetCode::new(JetErr::RUNNING_IN_ONE_INSTANCE_MODE, "JET_errRunningInOneInstanceMode", Category::Instance, "a multi-instance API was called while running in single-instance mode"),
    JetCode::new(JetErr::OUT_OF_SEQUENTIAL_INDEX_VALUES, "JET_errOutOfSequentialIndexValues", Category::Resource, "the sequential index counter is exhausted"),
    JetCode::new(JetErr::OUT_OF_AUTOINCREMENT_VALUES, "JET_errOutOfAutoincrementValues", Category::Resource, "the auto-increment counter is exhausted"),
    JetCode::new(JetErr::OUT_OF_LONG_VALUE_IDS, "JET_errOutOfLongValueIDs", Category::Resource, "the table has no long-value ids left"),
    JetCode::new(JetErr::OUT_OF_OBJECT_IDS, "JET_errOutOfObjectIDs", Category::Resource, "the database has no object ids left"),
    JetCode::new(JetErr::RECORD_NOT_DELETED, "JET_errRecordNotDeleted", Category::Record, "the record has not been deleted"),
    JetCode::new(JetErr::CANNOT_INDEX, "JET_errCannotIndex", Category::Index, "the column cannot be indexed"),
    JetCode::new(JetErr::VERSION_STORE_OUT_OF_MEMORY, "JET_errVersionStoreOutOfMemory", Category::Transaction, "the version store is full even after cleanup"),
    JetCode::new(JetErr::VERSION_STORE_OUT_OF_MEMORY_AND_CLEANUP_TIMED_OUT, "JET_errVersionStoreOutOfMemoryAndCleanupTimedOut", Category::Transaction, "the version store is full and cleanup did not finish in time"),
    JetCode::new(JetErr::VERSION_STORE_ENTRY_TOO_BIG, "JET_errVersionStoreEntryTooBig", Category::Transaction, "a single version record is larger than a version bucket"),
    JetCode::new(JetErr::INVALID_LC_MAP_STRING_FLAGS, "JET_errInvalidLCMapStringFlags", Category::Index, "the normalization flags are not valid"),
    JetCode::new(JetErr::INVALID_CODE_PAGE, "JET_errInvalidCodePage", Category::Index, "the code page is not valid"),
    JetCode::new(JetErr::INVALID_LANGUAGE_ID, "JET_errInvalidLanguageId", Category::Index, "the language id is not valid"),
    JetCode::new(JetErr::TOO_MANY_ACTIVE_USERS, "JET_errTooManyActiveUsers", Category::Session, "sessions are still inside transactions at shutdown"),
    JetCode::new(JetErr::MUST_ROLLBACK, "JET_errMustRollback", Category::Transaction, "an earlier unversioned update failed; the transaction must roll back to level 0"),
    JetCode::new(JetErr::NOT_IN_TRANSACTION, "JET_errNotInTransaction", Category::Transaction, "the operation needs an open transaction"),
    JetCode::new(JetErr::NULL_KEY_DISALLOWED, "JET_errNullKeyDisallowed", Category::Index, "the index does not allow null keys"),
    JetCode::new(JetErr::INDEX_IN_USE, "JET_errIndexInUse", Category::Index, "the index is the current index of a cursor"),
    JetCode::new(JetErr::COLUMN_NOT_UPDATABLE, "JET_errColumnNotUpdatable", Category::Column, "the column cannot be updated"),
    JetCode::new(JetErr::INVALID_BUFFER_SIZE, "JET_errInvalidBufferSize", Category::Column, "the data size does not match what the column needs"),
    JetCode::new(JetErr::COLUMN_IN_USE, "JET_errColumnInUse", Category::Column, "the column is in use"),
    JetCode::new(JetErr::INVALID_BOOKMARK, "JET_errInvalidBookmark", Category::Record, "the bookmark is not valid"),
    JetCode::new(JetErr::INVALID_FILENAME, "JET_errInvalidFilename", Category::Io, "the file name is not valid"),
    JetCode::new(JetErr::TOO_MANY_COLUMNS, "JET_errTooManyColumns", Category::Column, "no more columns of this class can be added"),
    JetCode::new(JetErr::BUFFER_TOO_SMALL, "JET_errBufferTooSmall", Category::General, "the caller's buffer is too small for the result"),
    JetCode::new(JetErr::QUERY_NOT_SUPPORTED, "JET_errQueryNotSupported", Category::Table, "the temporary table does not support this query"),
    JetCode::new(JetErr::FILE_ACCESS_DENIED, "JET_errFileAccessDenied", Category::Io, "the file is locked, in use, or access is not permitted"),
    JetCode::new(JetErr::INIT_IN_PROGRESS, "JET_errInitInProgress", Category::General, "the instance is still being initialized"),
    JetCode::new(JetErr::ALREADY_INITIALIZED, "JET_errAlreadyInitialized", Category::General, "the instance is already initialized, or the parameter can no longer be changed"),
    JetCode::new(JetErr::NOT_INITIALIZED, "JET_errNotInitialized", Category::General, "the instance is not initialized or no longer exists"),
    JetCode::new(JetErr::INVALID_DATABASE, "JET_errInvalidDatabase", Category::Database, "the file is not a database"),
    JetCode::new(JetErr::TOO_MANY_OPEN_DATABASES, "JET_errTooManyOpenDatabases", Category::Database, "too many databases are open"),
    JetCode::new(JetErr::RECORD_TOO_BIG, "JET_errRecordTooBig", Category::Record, "the record would be larger than the page allows"),
    JetCode::new(JetErr::INVALID_LOG_DIRECTORY, "JET_errInvalidLogDirectory", Category::Io, "the log directory is not valid"),
    JetCode::new(JetErr::INVALID_SYSTEM_PATH, "JET_errInvalidSystemPath", Category::Io, "the system (checkpoint) path is not valid"),
    JetCode::new(JetErr::INVALID_PATH, "JET_errInvalidPath", Category::Io, "the file path is not valid"),
    JetCode::new(JetErr::DISK_IO, "JET_errDiskIO", Category::Io, "the operating system reported a disk I/O error"),
    JetCode::new(JetErr::DISK_READ_VERIFICATION_FAILURE, "JET_errDiskReadVerificationFailure", Category::Corruption, "the operating system reported a CRC error on read"),
    JetCode::new(JetErr::OUT_OF_FILE_HANDLES, "JET_errOutOfFileHandles", Category::Io, "no more file handles are available"),
    JetCode::new(JetErr::PAGE_NOT_INITIALIZED, "JET_errPageNotInitialized", Category::Corruption, "a page that should hold data is blank"),
    JetCode::new(JetErr::READ_VERIFY_FAILURE, "JET_errReadVerifyFailure", Category::Corruption, "a page read from disk failed its checksum"),
    JetCode::new(JetErr::RECORD_DELETED, "JET_errRecordDeleted", Category::Record, "the record has been deleted"),
    JetCode::new(JetErr::TOO_MANY_KEYS, "JET_errTooManyKeys", Category::Index, "the index has too many key columns"),
    JetCode::new(JetErr::TOO_MANY_INDEXES, "JET_errTooManyIndexes", Category::Index, "the table has too many indexes"),
    JetCode::new(JetErr::OUT_OF_BUFFERS, "JET_errOutOfBuffers", Category::Resource, "no database page buffers are available"),
    JetCode::new(JetErr::OUT_OF_CURSORS, "JET_errOutOfCursors", Category::Resource, "the maximum number of cursors has been reached"),
    JetCode::new(JetErr::OUT_OF_DATABASE_SPACE, "JET_errOutOfDatabaseSpace", Category::Database, "the database has reached its maximum size"),
    JetCode::new(JetErr::OUT_OF_MEMORY, "JET_errOutOfMemory", Category::General, "a memory allocation failed"),
    JetCode::new(JetErr::INVALID_DATABASE_ID, "JET_errInvalidDatabaseId", Category::Database, "the database id is not valid or was not opened by this session"),
    JetCode::new(JetErr::DATABASE_FILE_READ_ONLY, "JET_errDatabaseFileReadOnly", Category::Database, "a read-only database file cannot be attached for writing"),
    JetCode::new(JetErr::INVALID_PARAMETER, "JET_errInvalidParameter", Category::General, "an argument or parameter value is invalid or out of range"),
    JetCode::new(JetErr::INVALID_NAME, "JET_errInvalidName", Category::General, "the object name is not valid"),
    JetCode::new(JetErr::FEATURE_NOT_AVAILABLE, "JET_errFeatureNotAvailable", Category::General, "this API is not supported in this build or mode"),
    JetCode::new(JetErr::TERM_IN_PROGRESS, "JET_errTermInProgress", Category::General, "the instance is shutting down"),
    JetCode::new(JetErr::INVALID_GRBIT, "JET_errInvalidGrbit", Category::General, "the option flags are invalid or conflict with each other"),
    JetCode::new(JetErr::BACKUP_ABORT_BY_SERVER, "JET_errBackupAbortByServer", Category::Backup, "the backup was stopped by the server"),
    JetCode::new(JetErr::BACKUP_ABORT_BY_CALLER, "errBackupAbortByCaller", Category::Backup, "the backup was stopped by its client (internal code)"),
    JetCode::new(JetErr::TRANSACTION_TOO_LONG, "JET_errTransactionTooLong", Category::Transaction, "the transaction spans too many log generations"),
    JetCode::new(JetErr::SURROGATE_BACKUP_IN_PROGRESS, "JET_errSurrogateBackupInProgress", Category::Backup, "a surrogate backup is in progress"),
    JetCode::new(JetErr::LOG_FILE_NOT_COPIED, "JET_errLogFileNotCopied", Category::Backup, "a log file was not copied during backup"),
    JetCode::new(JetErr::RESTORE_OF_NON_BACKUP_DATABASE, "JET_errRestoreOfNonBackupDatabase", Category::Backup, "hard recovery was run on a database that is not a backup"),
    JetCode::new(JetErr::CHECKPOINT_DEPTH_TOO_DEEP, "JET_errCheckpointDepthTooDeep", Category::Transaction, "too many log generations lie between the checkpoint and the end of the log"),
    JetCode::new(JetErr::LOG_READ_VERIFY_FAILURE, "JET_errLogReadVerifyFailure", Category::Corruption, "a log file failed its checksum"),
    JetCode::new(JetErr::UNICODE_TRANSLATION_FAIL, "JET_errUnicodeTranslationFail", Category::Index, "Unicode normalization failed"),
    JetCode::new(JetErr::COMMITTED_LOG_FILE_CORRUPT, "JET_errCommittedLogFileCorrupt", Category::Log, "a log file already committed to the database is corrupted"),
    JetCode::new(JetErr::RECOVERED_WITHOUT_UNDO_DATABASES_CONSISTENT, "JET_errRecoveredWithoutUndoDatabasesConsistent", Category::Log, "recovery stopped before undo and the databases are consistent"),
    JetCode::new(JetErr::COMMITTED_LOG_FILES_MISSING, "JET_errCommittedLogFilesMissing", Category::Log, "log files already committed to the database are missing"),
    JetCode::new(JetErr::RECOVERED_WITHOUT_UNDO, "JET_errRecoveredWithoutUndo", Category::Log, "recovery stopped before the undo phase as requested"),
    JetCode::new(JetErr::BAD_RESTORE_TARGET_INSTANCE, "JET_errBadRestoreTargetInstance", Category::Backup, "the restore target instance is not valid"),
    JetCode::new(JetErr::MISSING_FILE_TO_BACKUP, "JET_errMissingFileToBackup", Category::Backup, "a log or patch file to back up is missing"),
    JetCode::new(JetErr::DB_TIME_TOO_NEW, "JET_errDbTimeTooNew", Category::Log, "a page's dbtime is newer than the log record allows"),
    JetCode::new(JetErr::DB_TIME_TOO_OLD, "JET_errDbTimeTooOld", Category::Log, "a page's dbtime is older than the log record expects"),
    JetCode::new(JetErr::MISSING_CURRENT_LOG_FILES, "JET_errMissingCurrentLogFiles", Category::Log, "the current log files are missing"),
    JetCode::new(JetErr::DATABASE_INCOMPLETE_UPGRADE, "JET_errDatabaseIncompleteUpgrade", Category::Database, "a previous upgrade of the database did not finish"),
    JetCode::new(JetErr::DATABASE_ALREADY_UPGRADED, "JET_errDatabaseAlreadyUpgraded", Category::Database, "the database has already been upgraded"),
    JetCode::new(JetErr::BAD_BACKUP_DATABASE_SIZE, "JET_errBadBackupDatabaseSize", Category::Backup, "the backed-up database file has the wrong size"),
    JetCode::new(JetErr::MISSING_FULL_BACKUP, "JET_errMissingFullBackup", Category::Backup, "an incremental backup needs a full backup first"),
    JetCode::new(JetErr::MISSING_RESTORE_LOG_FILES, "JET_errMissingRestoreLogFiles", Category::Backup, "some log files needed for restore are missing"),
    JetCode::new(JetErr::GIVEN_LOG_FILE_IS_NOT_CONTIGUOUS, "JET_errGivenLogFileIsNotContiguous", Category::Backup, "the log files given for restore leave a gap"),
    JetCode::new(JetErr::GIVEN_LOG_FILE_HAS_BAD_SIGNATURE, "JET_errGivenLogFileHasBadSignature", Category::Backup, "a log file given for restore has the wrong signature"),
    JetCode::new(JetErr::STARTING_RESTORE_LOG_TOO_HIGH, "JET_errStartingRestoreLogTooHigh", Category::Backup, "the first log to restore is newer than the backup needs"),
    JetCode::new(JetErr::ENDING_RESTORE_LOG_TOO_LOW, "JET_errEndingRestoreLogTooLow", Category::Backup, "the last log to restore is older than the backup needs"),
    JetCode::new(JetErr::DATABASE_PATCH_FILE_MISMATCH, "JET_errDatabasePatchFileMismatch", Category::Backup, "the patch file does not belong to this database"),
    JetCode::new(JetErr::CONSISTENT_TIME_MISMATCH, "JET_errConsistentTimeMismatch", Category::Log, "the database's last consistent time does not match the log"),
    JetCode::new(JetErr::DATABASE_DIRTY_SHUTDOWN, "JET_errDatabaseDirtyShutdown", Category::Database, "the database was not shut down cleanly; recovery must run first"),
    JetCode::new(JetErr::LOG_SECTOR_SIZE_MISMATCH, "JET_errLogSectorSizeMismatch", Category::Log, "the log's sector size differs from the disk's sector size"),
    JetCode::new(JetErr::LOG_FILE_SIZE_MISMATCH_DATABASES_CONSISTENT, "JET_errLogFileSizeMismatchDatabasesConsistent", Category::Log, "the log file size differs from the configured one, but the databases are consistent"),
    JetCode::new(JetErr::SOFT_RECOVERY_ON_BACKUP_DATABASE, "JET_errSoftRecoveryOnBackupDatabase", Category::Log, "soft recovery was attempted on a restored backup; use restore instead"),
    JetCode::new(JetErr::REQUIRED_LOG_FILES_MISSING, "JET_errRequiredLogFilesMissing", Category::Log, "log files that recovery needs are missing"),
    JetCode::new(JetErr::CHECKPOINT_FILE_NOT_FOUND, "JET_errCheckpointFileNotFound", Category::Log, "the checkpoint file was not found"),
    JetCode::new(JetErr::LOG_FILE_SIZE_MISMATCH, "JET_errLogFileSizeMismatch", Category::Log, "the log file size differs from the configured log file size"),
    JetCode::new(JetErr::DATABASE_LOG_SET_MISMATCH, "JET_errDatabaseLogSetMismatch", Category::Log, "the database does not belong to this set of logs"),
    JetCode::new(JetErr::PATCH_FILE_MISSING, "JET_errPatchFileMissing", Category::Backup, "the patch file is missing"),
    JetCode::new(JetErr::MISSING_PATCH_PAGE, "JET_errMissingPatchPage", Category::Backup, "a page is missing from the patch file"),
    JetCode::new(JetErr::CHECKPOINT_CORRUPT, "JET_errCheckpointCorrupt", Category::Log, "the checkpoint file is missing or corrupted"),
    JetCode::new(JetErr::BAD_CHECKPOINT_SIGNATURE, "JET_errBadCheckpointSignature", Category::Log, "the checkpoint signature does not match the logs"),
    JetCode::new(JetErr::BAD_DB_SIGNATURE, "JET_errBadDbSignature", Category::Log, "the database signature does not match the one in the log"),
    JetCode::new(JetErr::BAD_LOG_SIGNATURE, "JET_errBadLogSignature", Category::Log, "the log file signature does not match"),
    JetCode::new(JetErr::LOG_DISK_FULL, "JET_errLogDiskFull", Category::Log, "the log disk is full"),
    JetCode::new(JetErr::MISSING_LOG_FILE, "JET_errMissingLogFile", Category::Log, "the current log file is missing"),
    JetCode::new(JetErr::RECOVERED_WITH_ERRORS, "JET_errRecoveredWithErrors", Category::Log, "recovery finished but some databases had errors"),
    JetCode::new(JetErr::INVALID_BACKUP, "JET_errInvalidBackup", Category::Backup, "an incremental backup is not possible with circular logging"),
    JetCode::new(JetErr::BACKUP_NOT_ALLOWED_YET, "JET_errBackupNotAllowedYet", Category::Backup, "a backup cannot start now (initialization, recovery or shutdown)"),
    JetCode::new(JetErr::INVALID_BACKUP_SEQUENCE, "JET_errInvalidBackupSequence", Category::Backup, "backup functions were called in the wrong order"),
    JetCode::new(JetErr::NO_BACKUP, "JET_errNoBackup", Category::Backup, "no backup is in progress"),
    JetCode::new(JetErr::LOG_SEQUENCE_END, "JET_errLogSequenceEnd", Category::Log, "no log generation numbers are left"),
    JetCode::new(JetErr::LOG_BUFFER_TOO_SMALL, "JET_errLogBufferTooSmall", Category::Log, "the log buffer is too small to hold the log record"),
    JetCode::new(JetErr::LOGGING_DISABLED, "JET_errLoggingDisabled", Category::Log, "logging is not enabled"),
    JetCode::new(JetErr::INVALID_LOG_SEQUENCE, "JET_errInvalidLogSequence", Category::Log, "the log files do not form a contiguous sequence"),
    JetCode::new(JetErr::BAD_LOG_VERSION, "JET_errBadLogVersion", Category::Log, "the log file format version is not supported"),
    JetCode::new(JetErr::LOG_GENERATION_MISMATCH, "JET_errLogGenerationMismatch", Category::Log, "the log file name does not match its internal generation number"),
    JetCode::new(JetErr::CANNOT_LOG_DURING_RECOVERY_REDO, "JET_errCannotLogDuringRecoveryRedo", Category::Log, "nothing may be logged during the redo phase of recovery"),
    JetCode::new(JetErr::LOG_DISABLED_DUE_TO_RECOVERY_FAILURE, "JET_errLogDisabledDueToRecoveryFailure", Category::Log, "logging is disabled because recovery failed"),
    JetCode::new(JetErr::LOG_WRITE_FAIL, "JET_errLogWriteFail", Category::Log, "writing the log failed; logging has stopped"),
    JetCode::new(JetErr::MISSING_PREVIOUS_LOG_FILE, "JET_errMissingPreviousLogFile", Category::Log, "the log file the checkpoint points to is missing"),
    JetCode::new(JetErr::RESTORE_IN_PROGRESS, "JET_errRestoreInProgress", Category::Backup, "a restore is running on this instance"),
    JetCode::new(JetErr::BACKUP_IN_PROGRESS, "JET_errBackupInProgress", Category::Backup, "a backup is already running"),
    JetCode::new(JetErr::BACKUP_DIRECTORY_NOT_EMPTY, "JET_errBackupDirectoryNotEmpty", Category::Backup, "the backup directory is not empty"),
    JetCode::new(JetErr::NO_BACKUP_DIRECTORY, "JET_errNoBackupDirectory", Category::Backup, "no backup directory was given"),
    JetCode::new(JetErr::LOG_FILE_CORRUPT, "JET_errLogFileCorrupt", Category::Log, "the log file is corrupted"),
    JetCode::new(JetErr::INVALID_LOGGED_OPERATION, "JET_errInvalidLoggedOperation", Category::Log, "a logged operation cannot be redone"),
    JetCode::new(JetErr::KEY_TOO_BIG, "JET_errKeyTooBig", Category::Index, "the key is too big"),
    JetCode::new(JetErr::KEY_TRUNCATED, "JET_errKeyTruncated", Category::Index, "the key was longer than the index allows and truncation is disallowed"),
    JetCode::new(JetErr::BAD_PARENT_PAGE_LINK, "JET_errBadParentPageLink", Category::Corruption, "a B-tree parent link is corrupted"),
    JetCode::new(JetErr::BAD_PAGE_LINK, "JET_errBadPageLink", Category::Corruption, "a B-tree sibling link is corrupted"),
    JetCode::new(JetErr::DISABLED_FUNCTIONALITY, "JET_errDisabledFunctionality", Category::General, "this functionality has been disabled"),
    JetCode::new(JetErr::INTERNAL_ERROR, "JET_errInternalError", Category::General, "the engine hit an internal error it cannot recover from"),
    JetCode::new(JetErr::TOO_MANY_IO, "JET_errTooManyIO", Category::General, "too many I/O requests are already outstanding; the system is busy"),
    JetCode::new(JetErr::OUT_OF_THREADS, "JET_errOutOfThreads", Category::General, "the engine could not start a thread it needs"),
    JetCode::new(JetErr::WRN_NYI, "JET_wrnNyi", Category::General, "the function is not yet implemented"),
    JetCode::new(JetErr::SUCCESS, "JET_errSuccess", Category::General, "the operation succeeded"),
    JetCode::new(JetErr::WRN_REMAINING_VERSIONS, "JET_wrnRemainingVersions", Category::Transaction, "the version store still holds versions"),
    JetCode::new(JetErr::WRN_UNIQUE_KEY, "JET_wrnUniqueKey", Category::Index, "the key is unique"),
    JetCode::new(JetErr::WRN_SEPARATE_LONG_VALUE, "JET_wrnSeparateLongValue", Category::Column, "the long value is stored outside the record"),
    JetCode::new(JetErr::WRN_TARGET_INSTANCE_RUNNING, "JET_wrnTargetInstanceRunning", Category::Backup, "the restore target instance is running"),
    JetCode::new(JetErr::WRN_COMMITTED_LOG_FILES_LOST, "JET_wrnCommittedLogFilesLost", Category::Log, "committed log files were lost but the databases are consistent"),
    JetCode::new(JetErr::WRN_COMMITTED_LOG_FILES_REMOVED, "JET_wrnCommittedLogFilesRemoved", Category::Log, "committed log files were removed to let recovery continue"),
    JetCode::new(JetErr::WRN_COLUMN_NULL, "JET_wrnColumnNull", Category::Column, "the column value is NULL"),
    JetCode::new(JetErr::WRN_BUFFER_TRUNCATED, "JET_wrnBufferTruncated", Category::Record, "the data was truncated to fit the buffer"),
    JetCode::new(JetErr::WRN_DATABASE_ATTACHED, "JET_wrnDatabaseAttached", Category::Database, "the database was already attached"),
    JetCode::new(JetErr::WRN_SORT_OVERFLOW, "JET_wrnSortOverflow", Category::Table, "the sort spilled out of memory"),
    JetCode::new(JetErr::WRN_SEEK_NOT_EQUAL, "JET_wrnSeekNotEqual", Category::Record, "the seek found no exact match and stopped on a neighbouring record"),
    JetCode::new(JetErr::WRN_NO_ERROR_INFO, "JET_wrnNoErrorInfo", Category::General, "no extended information is available for this error"),
    JetCode::new(JetErr::WRN_NO_IDLE_ACTIVITY, "JET_wrnNoIdleActivity", Category::General, "there was no idle work to do"),
    JetCode::new(JetErr::WRN_NO_WRITE_LOCK, "JET_wrnNoWriteLock", Category::Transaction, "no write lock was taken because the session is at transaction level 0"),
    JetCode::new(JetErr::WRN_COLUMN_SET_NULL, "JET_wrnColumnSetNull", Category::Column, "the column was set to NULL"),
    JetCode::new(JetErr::WRN_TABLE_EMPTY, "JET_wrnTableEmpty", Category::Table, "the table is empty"),
    JetCode::new(JetErr::WRN_TABLE_IN_USE_BY_SYSTEM, "JET_wrnTableInUseBySystem", Category::Table, "the table is in use by the engine"),
    JetCode::new(JetErr::WRN_SECONDARY_INDEX_OUT_OF_DATE, "JET_wrnSecondaryIndexOutOfDate", Category::Index, "a secondary index may be out of date"),
    JetCode::new(JetErr::WRN_COLUMN_MAX_TRUNCATED, "JET_wrnColumnMaxTruncated", Category::Column, "the value was cut to the column's maximum size"),
    JetCode::new(JetErr::WRN_COLUMN_SKIPPED, "JET_wrnColumnSkipped", Category::Column, "the column was skipped during enumeration"),
    JetCode::new(JetErr::WRN_COLUMN_NOT_LOCAL, "JET_wrnColumnNotLocal", Category::Column, "the column value is not stored in the record"),
    JetCode::new(JetErr::WRN_COLUMN_MORE_TAGS, "JET_wrnColumnMoreTags", Category::Column, "the column has more values than were returned"),
    JetCode::new(JetErr::WRN_COLUMN_TRUNCATED, "JET_wrnColumnTruncated", Category::Column, "the column value was truncated during enumeration"),
    JetCode::new(JetErr::WRN_COLUMN_PRESENT, "JET_wrnColumnPresent", Category::Column, "the column has a value"),
    JetCode::new(JetErr::WRN_COLUMN_SINGLE_VALUE, "JET_wrnColumnSingleValue", Category::Column, "the column has exactly one value, returned inline"),
    JetCode::new(JetErr::WRN_COLUMN_DEFAULT, "JET_wrnColumnDefault", Category::Column, "the column holds its default value"),
    JetCode::new(JetErr::WRN_COLUMN_NOT_IN_RECORD, "JET_wrnColumnNotInRecord", Category::Column, "the column is not present in the record"),
    JetCode::new(JetErr::WRN_FILE_OPEN_READ_ONLY, "JET_wrnFileOpenReadOnly", Category::Database, "the database was attached or opened read-only"),
    JetCode::new(JetErr::WRN_IDLE_FULL, "JET_wrnIdleFull", Category::General, "the idle task queue is full"),
    JetCode::new(JetErr::WRN_DEFRAG_ALREADY_RUNNING, "JET_wrnDefragAlreadyRunning", Category::Database, "online defragmentation is already running"),
    JetCode::new(JetErr::WRN_DEFRAG_NOT_RUNNING, "JET_wrnDefragNotRunning", Category::Database, "online defragmentation is not running"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::path::PathBuf;

    fn reference_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ese-reference")
    }

    /// Reads one reference chapter, or returns `None` (with a note) when the reference is not
    /// checked out next to the workspace.
    fn read_reference(name: &str) -> Option<String> {
        let path = reference_dir().join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) => {
                println!("skipping: cannot read {}: {e}", path.display());
                None
            }
        }
    }

    fn parse_int(word: &str) -> Option<i32> {
        word.trim_end_matches([',', '.', ';', ')']).parse().ok()
    }

    /// The codes of the tables (`| JET_xxx | value |`) and of the "Also:" lines of 04.
    fn chapter_04_codes(text: &str) -> Vec<(String, i32)> {
        let mut out = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("| JET_") {
                let cells: Vec<&str> = rest.split('|').map(str::trim).collect();
                let value = parse_int(cells[1]).expect("value column is a number");
                out.push((format!("JET_{}", cells[0]), value));
            } else if let Some(rest) = line.strip_prefix("Also:") {
                let words: Vec<&str> = rest.split_whitespace().collect();
                for pair in words.windows(2) {
                    let name = pair[0];
                    if name.starts_with("err") || name.starts_with("wrn") {
                        let value = parse_int(pair[1]).expect("Also-line entry has a value");
                        out.push((format!("JET_{name}"), value));
                    }
                }
            }
        }
        out
    }

    /// Every `JET_err…`/`JET_wrn…` (or, with `internal`, backticked `err…`) followed by a
    /// number: "`JET_errTransTooDeep` (-1103)", "JET_errFoo -12", across line breaks.
    fn cited_codes(text: &str, prefix: &str) -> Vec<(String, i32)> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(pos) = text[start..].find(prefix) {
            let at = start + pos;
            start = at + prefix.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
                end += 1;
            }
            let name = &text[at..end];
            let rest = &name[prefix.len()..];
            if !(rest.starts_with("err") || rest.starts_with("wrn")) || rest.len() <= 3 {
                continue;
            }
            let mut i = end;
            while i < bytes.len() && b"` \t\r\n(*".contains(&bytes[i]) {
                i += 1;
            }
            let num_start = i;
            if i < bytes.len() && bytes[i] == b'-' {
                i += 1;
            }
            let digits = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let followed_by_word = i < bytes.len() && bytes[i].is_ascii_alphanumeric();
            if i > digits && !followed_by_word {
                if let Ok(v) = text[num_start..i].parse() {
                    out.push((name.to_string(), v));
                }
            }
        }
        out
    }

    fn assert_in_table(found: &[(String, i32)], source: &str) {
        for (symbol, value) in found {
            let row = by_symbol(symbol)
                .unwrap_or_else(|| panic!("{source}: {symbol} ({value}) is missing"));
            assert_eq!(row.value(), *value, "{source}: {symbol}");
        }
    }

    #[test]
    fn table_is_sorted_with_unique_values_and_symbols() {
        assert!(ALL.windows(2).all(|w| w[0].value() < w[1].value()));
        let symbols: HashSet<&str> = ALL.iter().map(|c| c.symbol).collect();
        assert_eq!(symbols.len(), ALL.len(), "a symbol appears twice");
        for (alias, err) in ALIASES {
            assert!(
                !symbols.contains(alias),
                "{alias} is both a symbol and an alias"
            );
            assert!(err.info().is_some(), "{alias} points at an unknown code");
        }
    }

    #[test]
    fn samples_match_the_reference() {
        let cases = [
            ("JET_errOutOfSessions", JetErr::OUT_OF_SESSIONS, -1101),
            ("JET_errWriteConflict", JetErr::WRITE_CONFLICT, -1102),
            ("JET_errTransTooDeep", JetErr::TRANS_TOO_DEEP, -1103),
            (
                "JET_errReadVerifyFailure",
                JetErr::READ_VERIFY_FAILURE,
                -1018,
            ),
            (
                "JET_errDatabaseDirtyShutdown",
                JetErr::DATABASE_DIRTY_SHUTDOWN,
                -550,
            ),
            ("JET_errSessionInUse", JetErr::SESSION_IN_USE, -1914),
            ("JET_errKeyDuplicate", JetErr::KEY_DUPLICATE, -1605),
            ("JET_errInvalidParameter", JetErr::INVALID_PARAMETER, -1003),
            ("JET_wrnColumnNull", JetErr::WRN_COLUMN_NULL, 1004),
            ("JET_errSuccess", JetErr::SUCCESS, 0),
            (
                "errBackupAbortByCaller",
                JetErr::BACKUP_ABORT_BY_CALLER,
                -800,
            ),
        ];
        for (symbol, err, value) in cases {
            assert_eq!(err.value(), value, "{symbol}");
            assert_eq!(err.symbol(), Some(symbol));
            let row = by_value(value).expect("sample is in the table");
            assert_eq!(row.symbol, symbol);
            assert_eq!(by_symbol(symbol).map(JetCode::value), Some(value));
        }
    }

    #[test]
    fn categories_kinds_and_messages() {
        let cases = [
            (JetErr::WRITE_CONFLICT, Category::Transaction, Kind::Error),
            (JetErr::OUT_OF_SESSIONS, Category::Session, Kind::Error),
            (
                JetErr::READ_VERIFY_FAILURE,
                Category::Corruption,
                Kind::Error,
            ),
            (JetErr::LOG_WRITE_FAIL, Category::Log, Kind::Error),
            (JetErr::COLUMN_NOT_FOUND, Category::Column, Kind::Error),
            (JetErr::WRN_COLUMN_NULL, Category::Column, Kind::Warning),
            (JetErr::WRN_SEEK_NOT_EQUAL, Category::Record, Kind::Warning),
            (JetErr::SUCCESS, Category::General, Kind::Success),
            // Named a warning by ESE, but negative: callers see a failure.
            (JetErr::WRN_NYI, Category::General, Kind::Error),
        ];
        for (err, category, kind) in cases {
            assert_eq!(err.category(), Some(category), "{err:?}");
            assert_eq!(err.kind(), kind, "{err:?}");
            assert_eq!(err.is_warning(), kind == Kind::Warning);
            assert_eq!(err.is_error(), kind == Kind::Error);
        }
        for c in ALL {
            assert!(
                !c.message.is_empty() && !c.message.ends_with('.'),
                "{}",
                c.symbol
            );
            assert!(!c.message.contains('\n'), "{}", c.symbol);
            let name = c.symbol.strip_prefix("JET_").unwrap_or(c.symbol);
            if name.starts_with("wrn") && c.err != JetErr::WRN_NYI {
                assert!(c.err.is_warning(), "{} should be positive", c.symbol);
            } else if name.starts_with("err") && c.err != JetErr::SUCCESS {
                assert!(c.err.is_error(), "{} should be negative", c.symbol);
            }
        }
    }

    #[test]
    fn lookups_of_unknown_codes_and_aliases() {
        assert!(by_value(-1_234_567).is_none());
        assert!(by_symbol("JET_errNoSuchThing").is_none());
        assert_eq!(JetErr(-1_234_567).symbol(), None);
        assert_eq!(JetErr(-1_234_567).category(), None);
        assert_eq!(
            by_symbol("JET_errDatabaseInconsistent").map(JetCode::value),
            Some(-550)
        );
        assert_eq!(
            by_symbol("JET_wrnRecordFoundGreater").map(|c| c.symbol),
            Some("JET_wrnSeekNotEqual")
        );
        assert_eq!(
            format!("{}", JetErr::WRITE_CONFLICT),
            format!(
                "JET_errWriteConflict (-1102): {}",
                JetErr::WRITE_CONFLICT.message()
            )
        );
        assert_eq!(
            format!("{:?}", JetErr::TRANS_TOO_DEEP),
            "JET_errTransTooDeep (-1103)"
        );
        assert_eq!(format!("{:?}", JetErr(-7)), "JetErr(-7)");
        assert_eq!(i32::from(JetErr::KEY_DUPLICATE), -1605);
    }

    /// Completeness: every row and every "Also:" entry of the error chapter is in the table
    /// with the same value, and so is the internal code its notes name.
    #[test]
    fn table_holds_every_code_of_the_error_chapter() {
        let Some(text) = read_reference("04-errors.md") else {
            return;
        };
        let codes = chapter_04_codes(&text);
        // Guards against a parser that silently stops matching.
        assert!(codes.len() > 200, "parsed only {} codes", codes.len());
        assert_in_table(&codes, "04-errors.md");
        let internal = cited_codes(&text, "`");
        assert!(internal.iter().any(|(s, _)| s == "`errBackupAbortByCaller"));
        let internal: Vec<(String, i32)> = internal
            .into_iter()
            .map(|(s, v)| (s.trim_start_matches('`').to_string(), v))
            .collect();
        assert_in_table(&internal, "04-errors.md notes");
    }

    /// Every other chapter that cites a `JET_err…`/`JET_wrn…` code with its value agrees
    /// with the table.
    #[test]
    fn table_agrees_with_codes_cited_across_the_reference() {
        let Ok(entries) = std::fs::read_dir(reference_dir()) else {
            println!("skipping: reference directory not found");
            return;
        };
        let mut total = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&path).expect("reference file is readable");
                let cited = cited_codes(&text, "JET_");
                total += cited.len();
                assert_in_table(&cited, &path.display().to_string());
            }
        }
        assert!(total > 200, "found only {total} citations");
    }
}
