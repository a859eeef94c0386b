//! ESE's system parameters (`JET_param…`) as data, and the rules for setting them.
//!
//! Every parameter ESE accepts through `JetSetSystemParameter` has an id, a name, a value
//! type, a default, a valid range, a scope and a window in which it may be set. This module
//! holds them as the table [`ALL`] (from reference chapter 05, "System parameters"), so that
//! `ese-api` can validate a set call without knowing any parameter by heart:
//!
//! ```text
//! JetSetSystemParameter(inst, sesid, id, lParam, szParam)
//!        │
//!        ├─ by_id(id)            unknown id           → JET_errInvalidParameter
//!        ├─ validate(…, stage)   wrong type / range   → JET_errInvalidParameter
//!        │                       read-only            → JET_errInvalidParameter
//!        │                       window has closed    → JET_errAlreadyInitialized
//!        └─ store the value
//! ```
//!
//! Setting a parameter to the value it already has always succeeds, even when its window has
//! closed ([`validate_change`]).
//!
//! Defaults are ESE's **legacy** set (configuration 1, `JET_configDefault`); where the
//! reference lists a value for the "small" (low-memory) set it is in
//! [`SystemParam::small_default`]. Where ESE's code and its documentation disagree, the code's
//! value is used. Parameters the reference names without type or scope carry
//! [`ParamType::Unknown`], [`Scope::Unknown`] or [`Settable::Unknown`], so that nothing here
//! is invented; the reference does not say which parameters are "advanced", so there is no
//! such flag.
//!
//! Session parameters (`JetSetSessionParameter`, ids from 4096) are a separate, smaller table:
//! [`SESSION_PARAMS`].

use std::fmt;

use crate::errors::JetErr;
use crate::limits;

/// The kind of value a parameter takes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ParamType {
    /// An integer in `lParam`.
    Integer,
    /// A boolean in `lParam` (any non-zero value is true).
    Boolean,
    /// A set of option bits in `lParam`.
    Grbit,
    /// A string in `szParam`.
    String,
    /// A folder path in `szParam` (ESE expects a trailing backslash).
    Folder,
    /// A file or folder path in `szParam`.
    Path,
    /// A size in bytes that must be a power of two within the range.
    BlockSize,
    /// A function pointer in `lParam`.
    Callback,
    /// `JET_paramErrorToString`: a read-only conversion of an error code to text.
    ErrorToString,
    /// The reference names the parameter but not its type.
    Unknown,
}

/// A parameter's default value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ParamDefault {
    /// An integer, grbit or block size.
    Int(u64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(&'static str),
    /// A null function pointer.
    Null,
    /// Computed at run time (e.g. the current cache size).
    Dynamic,
    /// Depends on the database page size (read-only limits such as JET_paramKeyMost).
    PageSizeDependent,
    /// The reference gives no default.
    Unstated,
}

/// The values a parameter accepts, beyond its type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ParamRange {
    /// Any value of the right type (the reference states no range).
    Any,
    /// An integer between `min` and `max`, both included.
    Int {
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// A power of two between `min` and `max`, both included.
    BlockSize {
        /// Smallest accepted size.
        min: u64,
        /// Largest accepted size.
        max: u64,
    },
    /// A string of at most this many characters.
    MaxChars(usize),
    /// A string of exactly this many characters.
    ExactChars(usize),
    /// One of these strings, compared without regard to ASCII case.
    OneOf(&'static [&'static str]),
}

/// Whom a parameter's value belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Scope {
    /// One value for the whole process ("G").
    Global,
    /// One value per instance ("I"); set without an instance, it is the default copied into
    /// instances created afterwards.
    Instance,
    /// Per instance, or per session when set through a session.
    InstanceOrSession,
    /// Per session only.
    Session,
    /// The reference does not say.
    Unknown,
}

/// When a parameter may be set, in terms of [`Stage`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Settable {
    /// "I pre": until the instance's `JetInit` completes.
    InstancePre,
    /// "G pre": only while the process has no run mode (before the first instance is created
    /// or initialised, or after all have ended).
    GlobalPre,
    /// "any": at any time.
    Any,
    /// Until a database is attached to the instance.
    UntilDatabaseAttached,
    /// Never: the parameter can only be read.
    ReadOnly,
    /// The reference does not say; treated as [`Settable::Any`].
    Unknown,
}

/// How far the process, or the instance a set call targets, has got.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Stage {
    /// No run mode yet: no instance created or initialised (or all have ended).
    NoRunMode,
    /// The target instance exists but its `JetInit` has not completed.
    BeforeInit,
    /// The target instance is initialised.
    Initialized,
    /// A database is attached to the target instance.
    DatabaseAttached,
}

/// A value offered to a parameter: `lParam` as an integer or boolean, or `szParam`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ParamValue<'a> {
    /// An integer, grbit, size or pointer value.
    Int(u64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(&'a str),
}

/// One system parameter: what it takes, its default, and when it may change.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct SystemParam {
    /// The parameter id (`paramid`).
    pub id: u32,
    /// The name as ESE spells it, e.g. `"JET_paramMaxSessions"`.
    pub name: &'static str,
    /// The kind of value.
    pub kind: ParamType,
    /// The legacy default.
    pub default: ParamDefault,
    /// The default in the "small" (low-memory) configuration, where the reference gives one.
    pub small_default: Option<ParamDefault>,
    /// The accepted values.
    pub range: ParamRange,
    /// Whom the value belongs to.
    pub scope: Scope,
    /// When it may be set.
    pub settable: Settable,
    /// Accepted for compatibility but ignored by ESE's current code.
    pub ignored: bool,
}

impl SystemParam {
    const fn new(
        id: u32,
        name: &'static str,
        kind: ParamType,
        default: ParamDefault,
        range: ParamRange,
        scope: Scope,
        settable: Settable,
    ) -> Self {
        Self {
            id,
            name,
            kind,
            default,
            small_default: None,
            range,
            scope,
            settable,
            ignored: false,
        }
    }

    const fn small(mut self, default: ParamDefault) -> Self {
        self.small_default = Some(default);
        self
    }

    const fn ignored(mut self) -> Self {
        self.ignored = true;
        self
    }

    /// Whether the parameter may be set at `stage` (read-only ones never may).
    pub fn is_settable_at(&self, stage: Stage) -> bool {
        match self.settable {
            Settable::InstancePre => stage <= Stage::BeforeInit,
            Settable::GlobalPre => stage == Stage::NoRunMode,
            Settable::UntilDatabaseAttached => stage < Stage::DatabaseAttached,
            Settable::Any | Settable::Unknown => true,
            Settable::ReadOnly => false,
        }
    }
}

/// A session parameter (`JET_sesparam…`, set with `JetSetSessionParameter`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct SessionParam {
    /// The parameter id; session parameters start at 4096.
    pub id: u32,
    /// The name as ESE spells it, e.g. `"JET_sesparamTransactionLevel"`.
    pub name: &'static str,
}

/// Why a value may not be set; [`ValidationError::jet_err`] gives ESE's code for it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum ValidationError {
    /// No parameter has this id.
    UnknownParam,
    /// The value is of the wrong kind (a string for an integer parameter, or the reverse).
    WrongType,
    /// The value is outside the parameter's range.
    OutOfRange,
    /// The parameter can only be read.
    ReadOnly,
    /// The window for setting the parameter has closed.
    TooLate,
}

impl ValidationError {
    /// ESE's code for this failure: `JET_errAlreadyInitialized` when too late,
    /// `JET_errInvalidParameter` otherwise.
    pub const fn jet_err(self) -> JetErr {
        match self {
            ValidationError::TooLate => JetErr::ALREADY_INITIALIZED,
            ValidationError::UnknownParam
            | ValidationError::WrongType
            | ValidationError::OutOfRange
            | ValidationError::ReadOnly => JetErr::INVALID_PARAMETER,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            ValidationError::UnknownParam => "no system parameter has this id",
            ValidationError::WrongType => "the value has the wrong type for this parameter",
            ValidationError::OutOfRange => "the value is outside the parameter's range",
            ValidationError::ReadOnly => "the parameter is read-only",
            ValidationError::TooLate => "the parameter can no longer be changed",
        };
        write!(f, "{what} ({:?})", self.jet_err())
    }
}

impl std::error::Error for ValidationError {}

/// Checks that `value` may be given to `param` at `stage`.
///
/// A read-only parameter is refused first, then a closed window, then a bad value, so a late
/// call fails with `JET_errAlreadyInitialized` whatever the value (the reference does not fix
/// this order; it is ours). Use [`validate_change`] when the current
/// value is known: setting the same value again always succeeds.
pub fn validate(
    param: &SystemParam,
    value: &ParamValue<'_>,
    stage: Stage,
) -> Result<(), ValidationError> {
    if param.settable == Settable::ReadOnly {
        return Err(ValidationError::ReadOnly);
    }
    if !param.is_settable_at(stage) {
        return Err(ValidationError::TooLate);
    }
    check_value(param, value)
}

/// Like [`validate`], but a value equal to `current` is always accepted (ESE's `ValidateSet`
/// lets a caller repeat a set after the window has closed).
pub fn validate_change(
    param: &SystemParam,
    current: Option<&ParamValue<'_>>,
    value: &ParamValue<'_>,
    stage: Stage,
) -> Result<(), ValidationError> {
    if current == Some(value) {
        return Ok(());
    }
    validate(param, value, stage)
}

/// Checks the type and range of `value` for `param`, ignoring timing.
pub fn check_value(param: &SystemParam, value: &ParamValue<'_>) -> Result<(), ValidationError> {
    let stringy = matches!(
        param.kind,
        ParamType::String | ParamType::Folder | ParamType::Path
    );
    match (value, stringy, param.kind) {
        (_, _, ParamType::Unknown) => {}
        (ParamValue::Str(_), false, _) | (ParamValue::Int(_) | ParamValue::Bool(_), true, _) => {
            return Err(ValidationError::WrongType);
        }
        (ParamValue::Bool(_), false, k) if k != ParamType::Boolean => {
            return Err(ValidationError::WrongType);
        }
        _ => {}
    }
    let in_range = match (param.range, value) {
        (ParamRange::Any, _) => true,
        (ParamRange::Int { min, max }, ParamValue::Int(v)) => (min..=max).contains(v),
        (ParamRange::BlockSize { min, max }, ParamValue::Int(v)) => {
            v.is_power_of_two() && (min..=max).contains(v)
        }
        (ParamRange::MaxChars(n), ParamValue::Str(s)) => s.chars().count() <= n,
        (ParamRange::ExactChars(n), ParamValue::Str(s)) => s.chars().count() == n,
        (ParamRange::OneOf(choices), ParamValue::Str(s)) => {
            choices.iter().any(|c| c.eq_ignore_ascii_case(s))
        }
        // A range of one kind against a value of the other: only reachable for an Unknown
        // type, which has no range.
        _ => false,
    };
    if in_range {
        Ok(())
    } else {
        Err(ValidationError::OutOfRange)
    }
}

/// The parameter with this id, by binary search over [`ALL`].
pub fn by_id(id: u32) -> Option<&'static SystemParam> {
    ALL.binary_search_by_key(&id, |p| p.id)
        .ok()
        .and_then(|i| ALL.get(i))
}

/// The parameter with exactly this name (`"JET_paramMaxSessions"`).
pub fn by_name(name: &str) -> Option<&'static SystemParam> {
    ALL.iter().find(|p| p.name == name)
}

/// The session parameter with this id; an unknown id is `JET_errInvalidSesparamId` in ESE.
pub fn session_param_by_id(id: u32) -> Option<&'static SessionParam> {
    SESSION_PARAMS.iter().find(|p| p.id == id)
}

/// Every system parameter the reference names, sorted by id with no id twice.
pub static ALL: &[SystemParam] = TABLE;

/// Every session parameter the reference names, sorted by id.
pub static SESSION_PARAMS: &[SessionParam] = &[
    SessionParam {
        id: 4097,
        name: "JET_sesparamCommitDefault",
    },
    SessionParam {
        id: 4098,
        name: "JET_sesparamCommitGenericContext",
    },
    SessionParam {
        id: 4099,
        name: "JET_sesparamTransactionLevel",
    },
    SessionParam {
        id: 4100,
        name: "JET_sesparamOperationContext",
    },
    SessionParam {
        id: 4101,
        name: "JET_sesparamCorrelationID",
    },
    SessionParam {
        id: 4102,
        name: "JET_sesparamCachePriority",
    },
    SessionParam {
        id: 4108,
        name: "JET_sesparamIOPriority",
    },
];

/// 2^31 − 1, the "unlimited" value of several quotas in the small configuration.
const I32_MAX: u64 = i32::MAX as u64;
/// No upper bound stated beyond the type: the largest value `lParam` can carry.
const NO_MAX: u64 = u64::MAX;

use ParamDefault::{Bool, Dynamic, Int, Null, PageSizeDependent, Str, Unstated};
use ParamType as T;
use Scope::{Global, Instance, InstanceOrSession};
use Settable::{Any, GlobalPre, InstancePre, ReadOnly, UntilDatabaseAttached};

const fn int(min: u64, max: u64) -> ParamRange {
    ParamRange::Int { min, max }
}

const fn p(
    id: u32,
    name: &'static str,
    kind: ParamType,
    default: ParamDefault,
    range: ParamRange,
    scope: Scope,
    settable: Settable,
) -> SystemParam {
    SystemParam::new(id, name, kind, default, range, scope, settable)
}

/// A parameter the reference only names with its id (and perhaps a default).
const fn named(id: u32, name: &'static str, kind: ParamType, default: ParamDefault) -> SystemParam {
    SystemParam::new(
        id,
        name,
        kind,
        default,
        ParamRange::Any,
        Scope::Unknown,
        Settable::Unknown,
    )
}

const ANY: ParamRange = ParamRange::Any;

/// The table behind [`ALL`], sorted by id (checked at compile time below).
#[rustfmt::skip]
const TABLE: &[SystemParam] = &[
    p(0, "JET_paramSystemPath", T::Folder, Str(".\\"), ParamRange::MaxChars(246), Instance, InstancePre),
    p(1, "JET_paramTempPath", T::Path, Str("tmp.edb"), ParamRange::MaxChars(247), Instance, InstancePre),
    p(2, "JET_paramLogFilePath", T::Folder, Str(".\\"), ParamRange::MaxChars(246), Instance, InstancePre),
    p(3, "JET_paramBaseName", T::String, Str("edb"), ParamRange::ExactChars(3), Instance, InstancePre),
    p(4, "JET_paramEventSource", T::String, Str(""), ParamRange::MaxChars(259), Instance, InstancePre),
    p(5, "JET_paramMaxSessions", T::Integer, Int(limits::MAX_SESSIONS_DEFAULT as u64), int(0, limits::MAX_SESSIONS_MAX as u64), Instance, InstancePre) .small(Int(limits::MAX_SESSIONS_MAX as u64)),
    p(6, "JET_paramMaxOpenTables", T::Integer, Int(limits::MAX_OPEN_TABLES_DEFAULT as u64), ANY, Instance, InstancePre) .small(Int(I32_MAX)),
    named(7, "JET_paramPreferredMaxOpenTables", T::Unknown, Unstated).ignored(),
    p(8, "JET_paramMaxCursors", T::Integer, Int(limits::MAX_CURSORS_DEFAULT as u64), ANY, Instance, InstancePre) .small(Int(I32_MAX)),
    p(9, "JET_paramMaxVerPages", T::Integer, Int(limits::MAX_VER_PAGES_DEFAULT as u64), int(1, NO_MAX), Instance, InstancePre) .small(Int(I32_MAX)),
    p(10, "JET_paramMaxTemporaryTables", T::Integer, Int(limits::MAX_TEMPORARY_TABLES_DEFAULT as u64), ANY, Instance, InstancePre) .small(Int(I32_MAX)),
    p(11, "JET_paramLogFileSize", T::Integer, Int(limits::LOG_FILE_SIZE_DEFAULT_KIB as u64), int(limits::LOG_FILE_SIZE_MIN_KIB as u64, limits::LOG_FILE_SIZE_MAX_KIB as u64), Instance, InstancePre) .small(Int(limits::LOG_FILE_SIZE_MIN_KIB as u64)),
    p(12, "JET_paramLogBuffers", T::Integer, Int(limits::LOG_BUFFERS_DEFAULT_SECTORS as u64), ANY, Instance, InstancePre) .small(Int(1)),
    named(13, "JET_paramWaitLogFlush", T::Unknown, Unstated).ignored(),
    named(14, "JET_paramLogCheckpointPeriod", T::Integer, Int(1024)).ignored(),
    named(15, "JET_paramLogWaitingUserMax", T::Integer, Int(3)).ignored(),
    p(16, "JET_paramCommitDefault", T::Grbit, Int(0), ANY, InstanceOrSession, Any),
    p(17, "JET_paramCircularLog", T::Boolean, Bool(false), ANY, Instance, InstancePre),
    p(18, "JET_paramDbExtensionSize", T::Integer, Int(limits::DB_EXTENSION_PAGES_DEFAULT as u64), ANY, Instance, Any) .small(Int(16)),
    p(19, "JET_paramPageTempDBMin", T::Integer, Int(0), ANY, Instance, InstancePre) .small(Int(14)),
    named(20, "JET_paramPageFragment", T::Integer, Int(8)),
    named(21, "JET_paramPageReadAheadMax", T::Unknown, Unstated).ignored(),
    named(22, "JET_paramBatchIOBufferMax", T::Integer, Int(256)).ignored(),
    p(23, "JET_paramCacheSizeMax", T::Integer, Int(2_000_000_000), ANY, Global, Any) .small(Int(16)),
    p(24, "JET_paramCheckpointDepthMax", T::Integer, Int(limits::CHECKPOINT_DEPTH_MAX_DEFAULT_BYTES), ANY, Instance, Any) .small(Int(65536)),
    p(25, "JET_paramLRUKCorrInterval", T::Integer, Int(128_000), ANY, Global, GlobalPre),
    p(26, "JET_paramLRUKHistoryMax", T::Integer, Int(100_000), ANY, Global, GlobalPre),
    p(27, "JET_paramLRUKPolicy", T::Integer, Int(2), ANY, Global, GlobalPre),
    p(28, "JET_paramLRUKTimeout", T::Integer, Int(100), ANY, Global, GlobalPre),
    p(30, "JET_paramOutstandingIOMax", T::Integer, Int(1024), ANY, Global, GlobalPre) .small(Int(16)),
    p(31, "JET_paramStartFlushThreshold", T::Integer, Int(20_000_000), ANY, Global, Any) .small(Int(1)),
    p(32, "JET_paramStopFlushThreshold", T::Integer, Int(40_000_000), ANY, Global, Any) .small(Int(2)),
    p(34, "JET_paramRecovery", T::String, Str("On"), ParamRange::OneOf(&["On", "Off"]), Instance, InstancePre),
    p(35, "JET_paramEnableOnlineDefrag", T::Grbit, Int(0xFFFF), ANY, Instance, Any),
    p(38, "JET_paramTransactionLevel", T::Integer, Unstated, ANY, Scope::Session, ReadOnly),
    p(41, "JET_paramCacheSize", T::Integer, Dynamic, ANY, Global, Any),
    named(44, "JET_paramCheckFormatWhenOpenFail", T::Unknown, Unstated).ignored(),
    p(45, "JET_paramEnableIndexChecking", T::Integer, Int(1), int(0, 2), Instance, Any),
    p(46, "JET_paramEnableTempTableVersioning", T::Boolean, Bool(true), ANY, Instance, InstancePre),
    named(47, "JET_paramIgnoreLogVersion", T::Unknown, Unstated).ignored(),
    named(48, "JET_paramDeleteOldLogs", T::Unknown, Unstated).ignored(),
    named(50, "JET_paramNoInformationEvent", T::Boolean, Bool(false)),
    p(51, "JET_paramEventLoggingLevel", T::Integer, Int(100), int(0, 100), Instance, InstancePre),
    named(52, "JET_paramDeleteOutOfRangeLogs", T::Boolean, Bool(false)),
    p(53, "JET_paramAccessDeniedRetryPeriod", T::Integer, Int(10_000), ANY, Global, Any),
    p(54, "JET_paramEnableIndexCleanup", T::Boolean, Bool(true), ANY, Instance, Any),
    p(60, "JET_paramCacheSizeMin", T::Integer, Int(1), ANY, Global, Any) .small(Int(16)),
    p(63, "JET_paramPreferredVerPages", T::Integer, Int(58), ANY, Instance, Any) .small(Int(I32_MAX)),
    p(64, "JET_paramDatabasePageSize", T::BlockSize, Int(4096), ParamRange::BlockSize { min: limits::PAGE_SIZE_MIN_BYTES as u64, max: limits::PAGE_SIZE_MAX_BYTES as u64, }, Global, GlobalPre),
    named(65, "JET_paramDisableCallbacks", T::Unknown, Unstated),
    named(66, "JET_paramBackupChunkSize", T::Unknown, Unstated).ignored(),
    named(67, "JET_paramBackupOutstandingReads", T::Unknown, Unstated).ignored(),
    p(69, "JET_paramLogFileCreateAsynch", T::Boolean, Bool(true), ANY, Instance, InstancePre) .small(Bool(false)),
    p(70, "JET_paramErrorToString", T::ErrorToString, Unstated, ANY, Global, ReadOnly),
    p(71, "JET_paramZeroDatabaseDuringBackup", T::Boolean, Bool(false), ANY, Instance, InstancePre),
    named(72, "JET_paramUnicodeIndexDefault", T::Unknown, Unstated),
    p(73, "JET_paramRuntimeCallback", T::Callback, Null, ANY, Instance, InstancePre),
    // Named in reference 13 §8 rather than 05.
    named(76, "JET_paramEnableSortedRetrieveColumns", T::Unknown, Unstated),
    p(77, "JET_paramCleanupMismatchedLogFiles", T::Boolean, Bool(false), ANY, Instance, InstancePre),
    p(81, "JET_paramGlobalMinVerPages", T::Integer, Int(64), ANY, Global, GlobalPre) .small(Int(1)),
    p(82, "JET_paramOSSnapshotTimeout", T::Integer, Int(70_000), ANY, Global, Any),
    p(98, "JET_paramExceptionAction", T::Integer, Int(4), ANY, Global, Any),
    p(100, "JET_paramCreatePathIfNotExist", T::Boolean, Bool(false), ANY, Instance, Any),
    named(101, "JET_paramPageHintCacheSize", T::Unknown, Unstated),
    p(102, "JET_paramOneDatabasePerSession", T::Boolean, Bool(false), ANY, Instance, InstancePre),
    named(103, "JET_paramMaxDatabasesPerInstance", T::Integer, Int(limits::DATABASES_PER_INSTANCE_MAX as u64)) .ignored(),
    p(104, "JET_paramMaxInstances", T::Integer, Int(limits::MAX_INSTANCES_DEFAULT as u64), int(1, limits::MAX_INSTANCES_MAX as u64), Global, GlobalPre),
    p(105, "JET_paramVersionStoreTaskQueueMax", T::Integer, Int(4), int(1, 127), Instance, Any),
    p(107, "JET_paramDisablePerfmon", T::Boolean, Bool(false), ANY, Global, GlobalPre),
    // Named in reference 11 §9 (tuple indexes) rather than 05.
    named(110, "JET_paramIndexTuplesLengthMin", T::Integer, Int(limits::TUPLE_LENGTH_MIN_DEFAULT_CHARS as u64)),
    named(111, "JET_paramIndexTuplesLengthMax", T::Integer, Int(limits::TUPLE_LENGTH_MAX_DEFAULT_CHARS as u64)),
    named(112, "JET_paramIndexTuplesToIndexMax", T::Integer, Int(limits::TUPLE_TO_INDEX_MAX_CHARS as u64)),
    named(113, "JET_paramAlternateDatabaseRecoveryPath", T::Unknown, Unstated),
    p(125, "JET_paramCachedClosedTables", T::Integer, Int(64), ANY, Instance, Any),
    p(126, "JET_paramEnableFileCache", T::Boolean, Bool(false), ANY, Global, GlobalPre) .small(Bool(true)),
    p(127, "JET_paramEnableViewCache", T::Boolean, Bool(false), ANY, Global, GlobalPre) .small(Bool(true)),
    p(128, "JET_paramVerPageSize", T::BlockSize, Int(32768), ParamRange::BlockSize { min: limits::VER_PAGE_SIZE_MIN_BYTES as u64, max: limits::VER_PAGE_SIZE_MAX_BYTES as u64, }, Global, GlobalPre) .small(Int(8192)),
    p(129, "JET_paramConfiguration", T::Grbit, Int(1), ANY, Instance, InstancePre),
    named(130, "JET_paramEnableAdvanced", T::Boolean, Bool(true)),
    p(131, "JET_paramMaxColtyp", T::Integer, Unstated, ANY, Scope::Unknown, ReadOnly),
    named(132, "JET_paramIndexTupleIncrement", T::Integer, Int(1)),
    named(133, "JET_paramIndexTupleStart", T::Integer, Int(0)),
    p(134, "JET_paramKeyMost", T::Integer, PageSizeDependent, ANY, Global, ReadOnly),
    p(135, "JET_paramCheckpointIOMax", T::Integer, Int(1), ANY, Global, Any),
    p(136, "JET_paramLegacyFileNames", T::Grbit, Int(3), ANY, Instance, InstancePre),
    p(152, "JET_paramIOPriority", T::Grbit, Int(0), ANY, Instance, Any),
    p(153, "JET_paramWaypointLatency", T::Integer, Int(0), int(0, 1023), Instance, InstancePre),
    p(154, "JET_paramCheckpointTooDeep", T::Integer, Int(limits::CHECKPOINT_TOO_DEEP_DEFAULT_GENERATIONS as u64), int(limits::CHECKPOINT_TOO_DEEP_MIN_GENERATIONS as u64, limits::CHECKPOINT_TOO_DEEP_DEFAULT_GENERATIONS as u64), Instance, InstancePre),
    named(156, "JET_paramEnablePersistedCallbacks", T::Boolean, Bool(false)),
    p(163, "JET_paramLVChunkSizeMost", T::Integer, PageSizeDependent, ANY, Scope::Unknown, ReadOnly),
    p(177, "JET_paramCachePriority", T::Integer, Int(100), int(0, 1000), Instance, Any),
    p(178, "JET_paramMaxTransactionSize", T::Integer, Int(100), int(1, 100), Instance, Any),
    p(184, "JET_paramEnableShrinkDatabase", T::Grbit, Int(0), ANY, Instance, InstancePre),
    p(187, "JET_paramDurableCommitCallback", T::Callback, Null, ANY, Instance, InstancePre),
    p(194, "JET_paramEngineFormatVersion", T::Integer, Int(0x4000_0001), ANY, Instance, UntilDatabaseAttached),
    p(213, "JET_paramRecordSizeMost", T::Integer, PageSizeDependent, ANY, Global, ReadOnly),
];

// Sorted strictly by id, so ids are unique and binary search is valid.
const _: () = {
    let mut i = 1;
    while i < TABLE.len() {
        assert!(TABLE[i - 1].id < TABLE[i].id);
        i += 1;
    }
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::path::PathBuf;

    fn read_reference(name: &str) -> Option<String> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/ese-reference")
            .join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) => {
                println!("skipping: cannot read {}: {e}", path.display());
                None
            }
        }
    }

    fn param(name: &str) -> &'static SystemParam {
        by_name(name).unwrap_or_else(|| panic!("{name} is in the table"))
    }

    #[test]
    fn table_is_sorted_with_unique_ids_and_names() {
        assert!(ALL.windows(2).all(|w| w[0].id < w[1].id));
        let names: HashSet<&str> = ALL.iter().map(|p| p.name).collect();
        assert_eq!(names.len(), ALL.len());
        assert!(SESSION_PARAMS.windows(2).all(|w| w[0].id < w[1].id));
        assert!(SESSION_PARAMS.iter().all(|p| p.id >= 4096));
        for p in ALL {
            assert!(p.name.starts_with("JET_param"), "{}", p.name);
            assert_eq!(by_id(p.id).map(|q| q.name), Some(p.name));
            // A stated default must itself pass the range.
            let value = match p.default {
                Int(v) => ParamValue::Int(v),
                Bool(b) => ParamValue::Bool(b),
                Str(s) => ParamValue::Str(s),
                _ => continue,
            };
            assert_eq!(check_value(p, &value), Ok(()), "default of {}", p.name);
        }
    }

    #[test]
    fn samples_match_the_reference() {
        let max_sessions = param("JET_paramMaxSessions");
        assert_eq!(max_sessions.id, 5);
        assert_eq!(max_sessions.default, Int(16));
        assert_eq!(max_sessions.small_default, Some(Int(30000)));
        assert_eq!(max_sessions.range, int(0, 30000));
        assert_eq!(
            (max_sessions.scope, max_sessions.settable),
            (Instance, InstancePre)
        );

        let log_file_size = param("JET_paramLogFileSize");
        assert_eq!(log_file_size.id, 11);
        assert_eq!(log_file_size.default, Int(5120));
        assert_eq!(log_file_size.range, int(64, 32768));

        let base_name = param("JET_paramBaseName");
        assert_eq!(base_name.id, 3);
        assert_eq!(base_name.default, Str("edb"));
        assert_eq!(base_name.range, ParamRange::ExactChars(3));

        let page_size = param("JET_paramDatabasePageSize");
        assert_eq!((page_size.id, page_size.default), (64, Int(4096)));
        assert_eq!((page_size.scope, page_size.settable), (Global, GlobalPre));

        assert_eq!(param("JET_paramSystemPath").default, Str(".\\"));
        assert_eq!(param("JET_paramRecovery").default, Str("On"));
        assert_eq!(param("JET_paramCircularLog").default, Bool(false));
        assert_eq!(param("JET_paramMaxInstances").range, int(1, 10240));
        assert_eq!(param("JET_paramCheckpointTooDeep").range, int(32, 65536));
        assert_eq!(
            param("JET_paramEngineFormatVersion").settable,
            UntilDatabaseAttached
        );
        assert_eq!(param("JET_paramKeyMost").settable, ReadOnly);
        assert!(param("JET_paramMaxDatabasesPerInstance").ignored);
        assert_eq!(by_id(29), None);
        assert_eq!(
            session_param_by_id(4099).map(|p| p.name),
            Some("JET_sesparamTransactionLevel")
        );
        assert_eq!(session_param_by_id(4103), None);
    }

    #[test]
    fn validation_reports_esent_reasons() {
        use ParamValue as V;
        use ValidationError as E;
        let cases: [(&str, ParamValue<'_>, Stage, Result<(), E>); 20] = [
            (
                "JET_paramMaxSessions",
                V::Int(16),
                Stage::BeforeInit,
                Ok(()),
            ),
            (
                "JET_paramMaxSessions",
                V::Int(30000),
                Stage::NoRunMode,
                Ok(()),
            ),
            (
                "JET_paramMaxSessions",
                V::Int(30001),
                Stage::BeforeInit,
                Err(E::OutOfRange),
            ),
            (
                "JET_paramMaxSessions",
                V::Int(16),
                Stage::Initialized,
                Err(E::TooLate),
            ),
            (
                "JET_paramMaxSessions",
                V::Str("16"),
                Stage::BeforeInit,
                Err(E::WrongType),
            ),
            (
                "JET_paramLogFileSize",
                V::Int(63),
                Stage::BeforeInit,
                Err(E::OutOfRange),
            ),
            (
                "JET_paramLogFileSize",
                V::Int(64),
                Stage::BeforeInit,
                Ok(()),
            ),
            (
                "JET_paramLogFileSize",
                V::Int(32769),
                Stage::BeforeInit,
                Err(E::OutOfRange),
            ),
            (
                "JET_paramBaseName",
                V::Str("abc"),
                Stage::BeforeInit,
                Ok(()),
            ),
            (
                "JET_paramBaseName",
                V::Str("ab"),
                Stage::BeforeInit,
                Err(E::OutOfRange),
            ),
            (
                "JET_paramBaseName",
                V::Str("abcd"),
                Stage::BeforeInit,
                Err(E::OutOfRange),
            ),
            (
                "JET_paramDatabasePageSize",
                V::Int(8192),
                Stage::NoRunMode,
                Ok(()),
            ),
            (
                "JET_paramDatabasePageSize",
                V::Int(8192),
                Stage::BeforeInit,
                Err(E::TooLate),
            ),
            (
                "JET_paramDatabasePageSize",
                V::Int(12288),
                Stage::NoRunMode,
                Err(E::OutOfRange),
            ),
            (
                "JET_paramDatabasePageSize",
                V::Int(2048),
                Stage::NoRunMode,
                Err(E::OutOfRange),
            ),
            (
                "JET_paramRecovery",
                V::Str("off"),
                Stage::BeforeInit,
                Ok(()),
            ),
            (
                "JET_paramRecovery",
                V::Str("maybe"),
                Stage::BeforeInit,
                Err(E::OutOfRange),
            ),
            (
                "JET_paramCircularLog",
                V::Bool(true),
                Stage::BeforeInit,
                Ok(()),
            ),
            (
                "JET_paramKeyMost",
                V::Int(255),
                Stage::NoRunMode,
                Err(E::ReadOnly),
            ),
            (
                "JET_paramEngineFormatVersion",
                V::Int(1),
                Stage::DatabaseAttached,
                Err(E::TooLate),
            ),
        ];
        for (name, value, stage, expected) in cases {
            assert_eq!(
                validate(param(name), &value, stage),
                expected,
                "{name} {value:?} {stage:?}"
            );
        }
        assert_eq!(E::OutOfRange.jet_err(), JetErr::INVALID_PARAMETER);
        assert_eq!(E::TooLate.jet_err(), JetErr::ALREADY_INITIALIZED);
        assert_eq!(E::TooLate.jet_err().value(), -1030);
        assert_eq!(E::WrongType.jet_err().value(), -1003);
    }

    #[test]
    fn setting_the_current_value_again_always_succeeds() {
        let p = param("JET_paramMaxSessions");
        let v = ParamValue::Int(100);
        assert_eq!(validate_change(p, Some(&v), &v, Stage::Initialized), Ok(()));
        assert_eq!(
            validate_change(p, Some(&v), &ParamValue::Int(101), Stage::Initialized),
            Err(ValidationError::TooLate)
        );
        assert_eq!(
            validate_change(p, None, &ParamValue::Int(101), Stage::BeforeInit),
            Ok(())
        );
    }

    /// Strips markdown emphasis and turns `"\\"` into `\`.
    fn clean(cell: &str) -> String {
        cell.replace("**", "").replace("\\\\", "\\")
    }

    /// The legacy default a table cell states plainly (a number, a boolean or a quoted
    /// string before any remark), or `None` when the cell needs a human to read it.
    fn plain_default(cell: &str) -> Option<ParamDefault> {
        let cell = clean(cell);
        let head = cell
            .split(" (")
            .next()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        if head == "true" || head == "false" {
            return Some(Bool(head == "true"));
        }
        if head.len() >= 2 && head.starts_with('"') && head.ends_with('"') {
            return Some(Str(Box::leak(
                head[1..head.len() - 1].to_string().into_boxed_str(),
            )));
        }
        let digits: String = head.chars().filter(|c| *c != ' ').collect();
        digits.parse().ok().map(Int)
    }

    fn parse_number(s: &str) -> Option<u64> {
        if s == "2^31-1" {
            return Some(I32_MAX);
        }
        s.trim().parse().ok()
    }

    /// Completeness and consistency with chapter 05: every `| JET_paramXxx | id |` row is in
    /// the table with the same id, and its plainly stated default, small default, range,
    /// scope and window match.
    #[test]
    fn table_matches_every_row_of_the_parameter_chapter() {
        let Some(text) = read_reference("05-system-parameters.md") else {
            return;
        };
        let mut rows = 0;
        for line in text.lines().filter(|l| l.starts_with("| JET_param")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (name, id, kind, default, when) =
                (cells[1], cells[2], cells[3], cells[4], cells[5]);
            let row = param(name);
            assert_eq!(Some(row.id), id.parse().ok(), "{name}");
            rows += 1;

            if let Some(d) = plain_default(default) {
                assert_eq!(row.default, d, "{name} default");
            }
            if let Some(small) = clean(default).split("small: ").nth(1) {
                let small = small.split(')').next().unwrap_or("");
                let expected = match small {
                    "true" => Some(Bool(true)),
                    "false" => Some(Bool(false)),
                    other => parse_number(other).map(Int),
                };
                assert_eq!(row.small_default, expected, "{name} small default");
            }
            // Ranges written `a–b` in the type column.
            if let Some((lo, hi)) = kind.split_once('–') {
                let lo: String = lo.chars().rev().take_while(char::is_ascii_digit).collect();
                let lo: String = lo.chars().rev().collect();
                let hi: String = hi.chars().take_while(char::is_ascii_digit).collect();
                let (lo, hi) = (parse_number(&lo), parse_number(&hi));
                let (lo, hi) = (lo.expect("range start"), hi.expect("range end"));
                let expected = if kind.starts_with("block size") {
                    ParamRange::BlockSize { min: lo, max: hi }
                } else {
                    int(lo, hi)
                };
                assert_eq!(row.range, expected, "{name} range");
            }
            if let Some(n) = kind.split('≤').nth(1) {
                let n: String = n.chars().take_while(char::is_ascii_digit).collect();
                assert_eq!(
                    row.range,
                    ParamRange::MaxChars(n.parse().expect("length")),
                    "{name}"
                );
            }
            if kind.contains("≥1") {
                assert_eq!(row.range, int(1, NO_MAX), "{name} range");
            }
            if kind.contains("read-only") {
                assert_eq!(row.settable, ReadOnly, "{name}");
            }
            let expected_when = match when.split(" (").next().unwrap_or("") {
                "I pre" => Some((Instance, InstancePre)),
                "G pre" => Some((Global, GlobalPre)),
                "I any" => Some((Instance, Any)),
                "G any" => Some((Global, Any)),
                _ => None,
            };
            if let Some(expected) = expected_when {
                assert_eq!((row.scope, row.settable), expected, "{name} scope/when");
            }
        }
        assert!(rows > 50, "parsed only {rows} rows");
    }

    /// Every chapter that cites a `JET_param…` with its id ("`JET_paramMaxSessions` (5)")
    /// agrees with the table.
    #[test]
    fn table_agrees_with_ids_cited_across_the_reference() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ese-reference");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            println!("skipping: reference directory not found");
            return;
        };
        let mut cited = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("reference file is readable");
            let mut rest = text.as_str();
            while let Some(at) = rest.find("JET_param") {
                rest = &rest[at..];
                let end = rest
                    .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .unwrap_or(rest.len());
                let name = &rest[..end];
                rest = &rest[end..];
                let after = rest.trim_start_matches(['`', ' ', '\n']);
                let Some(after) = after.strip_prefix('(') else {
                    continue;
                };
                let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
                let closes = after[digits.len()..].starts_with([')', ',', ';']);
                if digits.is_empty() || !closes || name == "JET_param" {
                    continue;
                }
                let row = by_name(name)
                    .unwrap_or_else(|| panic!("{}: {name} is missing", path.display()));
                assert_eq!(
                    Some(row.id),
                    digits.parse().ok(),
                    "{}: {name}",
                    path.display()
                );
                cited += 1;
            }
        }
        assert!(cited > 20, "found only {cited} citations");
    }

    /// The parameters the chapter lists outside its table ("Also:", ignored, LRU-K, session
    /// parameters) as `Name id` are all present with that id.
    #[test]
    fn table_holds_the_parameters_listed_in_prose() {
        let Some(text) = read_reference("05-system-parameters.md") else {
            return;
        };
        let start = text.find("\nAlso:").expect("Also line");
        let end = text.find("## Notes").expect("Notes section");
        let prose = text[start..end].replace(['\n', ',', '(', ')', ';', ':', '`'], " ");
        let words: Vec<&str> = prose.split_whitespace().collect();
        let mut found = 0;
        for pair in words.windows(2) {
            let (name, id) = (pair[0], pair[1]);
            let Ok(id) = id.parse::<u32>() else { continue };
            if !name.starts_with(|c: char| c.is_ascii_uppercase()) || name.starts_with("JET_") {
                continue;
            }
            if id >= 4096 {
                let full = format!("JET_sesparam{name}");
                assert_eq!(session_param_by_id(id).map(|p| p.name), Some(full.as_str()));
            } else if let Some(row) = by_name(&format!("JET_param{name}")) {
                assert_eq!(row.id, id, "{name}");
            } else {
                // Words such as "LRUKCorrInterval 25" must all be parameters; a capitalised
                // word followed by a number that is not one would be a parser slip.
                panic!("{name} {id} is not in the table");
            }
            found += 1;
        }
        assert!(found >= 30, "found only {found}");
        // The ignored ones are marked as such.
        for name in [
            "WaitLogFlush",
            "PreferredMaxOpenTables",
            "BackupOutstandingReads",
        ] {
            assert!(param(&format!("JET_param{name}")).ignored, "{name}");
        }
    }
}
