//! The option bits (`grbit`s) of the calls this crate implements, with ESE's values.
//!
//! Names drop ESE's `JET_bit` prefix: `JET_bitTermAbrupt` is [`TERM_ABRUPT`]. A call given a
//! bit it does not know fails with `JET_errInvalidGrbit` (-900).

/// JetInit2/3: JET_bitReplayReplicatedLogFiles (obsolete, accepted).
pub const REPLAY_REPLICATED_LOG_FILES: u32 = 0x1;
/// JetInit2/3: JET_bitReplayIgnoreMissingDB.
pub const REPLAY_IGNORE_MISSING_DB: u32 = 0x4;
/// JetInit2/3: JET_bitRecoveryWithoutUndo.
pub const RECOVERY_WITHOUT_UNDO: u32 = 0x8;
/// JetInit2/3: JET_bitTruncateLogsAfterRecovery.
pub const TRUNCATE_LOGS_AFTER_RECOVERY: u32 = 0x10;
/// JetInit2/3: JET_bitReplayMissingMapEntryDB.
pub const REPLAY_MISSING_MAP_ENTRY_DB: u32 = 0x20;
/// JetInit2/3: JET_bitLogStreamMustExist.
pub const LOG_STREAM_MUST_EXIST: u32 = 0x40;
/// JetInit2/3: JET_bitReplayIgnoreLostLogs.
pub const REPLAY_IGNORE_LOST_LOGS: u32 = 0x80;
/// JetInit2/3: JET_bitKeepDbAttachedAtEndOfRecovery.
pub const KEEP_DB_ATTACHED_AT_END_OF_RECOVERY: u32 = 0x1000;
/// Every public JetInit2/3 bit.
pub const INIT_ALL: u32 = REPLAY_REPLICATED_LOG_FILES
    | REPLAY_IGNORE_MISSING_DB
    | RECOVERY_WITHOUT_UNDO
    | TRUNCATE_LOGS_AFTER_RECOVERY
    | REPLAY_MISSING_MAP_ENTRY_DB
    | LOG_STREAM_MUST_EXIST
    | REPLAY_IGNORE_LOST_LOGS
    | KEEP_DB_ATTACHED_AT_END_OF_RECOVERY;

/// JetTerm2: JET_bitTermComplete, clean shutdown after optional background work.
pub const TERM_COMPLETE: u32 = 0x1;
/// JetTerm2: JET_bitTermAbrupt, clean shutdown with optional work abandoned (JetTerm's mode).
pub const TERM_ABRUPT: u32 = 0x2;
/// JetTerm2: JET_bitTermStopBackup, stop a running backup instead of failing.
pub const TERM_STOP_BACKUP: u32 = 0x4;
/// JetTerm2: JET_bitTermDirty, leave everything dirty; the call returns JET_errDirtyShutdown.
pub const TERM_DIRTY: u32 = 0x8;
/// Every JetTerm2 bit.
pub const TERM_ALL: u32 = TERM_COMPLETE | TERM_ABRUPT | TERM_STOP_BACKUP | TERM_DIRTY;

/// JetEndSession: JET_bitForceSessionClosed (reserved, no effect).
pub const FORCE_SESSION_CLOSED: u32 = 0x1;

/// JetBeginTransaction2/3: JET_bitTransactionReadOnly.
pub const TRANSACTION_READ_ONLY: u32 = 0x1;

/// JetCommitTransaction: JET_bitCommitLazyFlush, return without waiting for the log flush.
pub const COMMIT_LAZY_FLUSH: u32 = 0x1;
/// JetCommitTransaction: JET_bitWaitLastLevel0Commit, wait for this session's last level-0
/// commit to be durable; the only flag, usable outside a transaction.
pub const WAIT_LAST_LEVEL0_COMMIT: u32 = 0x2;
/// JetCommitTransaction: JET_bitWaitAllLevel0Commit, wait for every session's level-0
/// commits; the only flag, usable outside a transaction.
pub const WAIT_ALL_LEVEL0_COMMIT: u32 = 0x8;
/// JetCommitTransaction: JET_bitForceNewLog, force a log rollover; the only flag.
pub const FORCE_NEW_LOG: u32 = 0x10;
/// Every JetCommitTransaction bit.
pub const COMMIT_ALL: u32 =
    COMMIT_LAZY_FLUSH | WAIT_LAST_LEVEL0_COMMIT | WAIT_ALL_LEVEL0_COMMIT | FORCE_NEW_LOG;

/// JetRollback: JET_bitRollbackAll, undo every level.
pub const ROLLBACK_ALL: u32 = 0x1;

/// JetAttachDatabase/JetOpenDatabase: JET_bitDbReadOnly.
pub const DB_READ_ONLY: u32 = 0x1;
/// JetOpenDatabase: JET_bitDbExclusive, no other session may open the database.
pub const DB_EXCLUSIVE: u32 = 0x2;
/// JetCreateDatabase: JET_bitDbRecoveryOff (accepted; every database is logged).
pub const DB_RECOVERY_OFF: u32 = 0x8;
/// JetAttachDatabase: JET_bitDbDeleteCorruptIndexes.
pub const DB_DELETE_CORRUPT_INDEXES: u32 = 0x10;
/// JetCreateDatabase: JET_bitDbShadowingOff (accepted; there is no shadow catalog).
pub const DB_SHADOWING_OFF: u32 = 0x80;
/// JetAttachDatabase: JET_bitDbUpgrade (obsolete, accepted).
pub const DB_UPGRADE: u32 = 0x200;
/// JetCreateDatabase: JET_bitDbOverwriteExisting, delete an existing file first.
pub const DB_OVERWRITE_EXISTING: u32 = 0x200;
/// JetAttachDatabase: JET_bitDbDeleteUnicodeIndexes.
pub const DB_DELETE_UNICODE_INDEXES: u32 = 0x400;
/// JetAttachDatabase: JET_bitDbEnableBackgroundMaintenance.
pub const DB_ENABLE_BACKGROUND_MAINTENANCE: u32 = 0x800;
/// JetAttachDatabase: JET_bitDbPurgeCacheOnAttach.
pub const DB_PURGE_CACHE_ON_ATTACH: u32 = 0x1000;
/// Every JetAttachDatabase bit.
pub const DB_ATTACH_ALL: u32 = DB_READ_ONLY
    | DB_DELETE_CORRUPT_INDEXES
    | DB_UPGRADE
    | DB_DELETE_UNICODE_INDEXES
    | DB_ENABLE_BACKGROUND_MAINTENANCE
    | DB_PURGE_CACHE_ON_ATTACH;

/// JetDetachDatabase2: JET_bitForceDetach.
pub const FORCE_DETACH: u32 = 0x1;
/// JetDetachDatabase2: JET_bitForceCloseAndDetach.
pub const FORCE_CLOSE_AND_DETACH: u32 = 0x3;

/// JetOpenTable: JET_bitTableDenyWrite.
pub const TABLE_DENY_WRITE: u32 = 0x1;
/// JetOpenTable: JET_bitTableDenyRead.
pub const TABLE_DENY_READ: u32 = 0x2;
/// JetOpenTable: JET_bitTableReadOnly.
pub const TABLE_READ_ONLY: u32 = 0x4;
/// JetOpenTable: JET_bitTableUpdatable.
pub const TABLE_UPDATABLE: u32 = 0x8;
/// JetOpenTable: JET_bitTablePermitDDL.
pub const TABLE_PERMIT_DDL: u32 = 0x10;
/// JetOpenTable: JET_bitTableNoCache.
pub const TABLE_NO_CACHE: u32 = 0x20;
/// JetOpenTable: JET_bitTablePreread.
pub const TABLE_PREREAD: u32 = 0x40;
/// JetOpenTable: JET_bitTableSequential.
pub const TABLE_SEQUENTIAL: u32 = 0x8000;
/// Every JetOpenTable bit.
pub const TABLE_OPEN_ALL: u32 = TABLE_DENY_WRITE
    | TABLE_DENY_READ
    | TABLE_READ_ONLY
    | TABLE_UPDATABLE
    | TABLE_PERMIT_DDL
    | TABLE_NO_CACHE
    | TABLE_PREREAD
    | TABLE_SEQUENTIAL;
