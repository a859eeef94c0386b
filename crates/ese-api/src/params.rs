//! System parameter values: the global set and each instance's copy, validated through
//! `ese_core::params`.
//!
//! ESE keeps one table of parameters with a global value and, for per-instance ("I")
//! parameters, a copy in every instance, taken from the global defaults when the instance is
//! created (reference 05, "How parameters work"). `ParamSet` is one such set of values: it
//! stores only what was explicitly set and falls back to the table's legacy default.
//!
//! Validation is ESE's, in this order: an unknown id, a read-only parameter (refused even when
//! the value is unchanged), then, unless the value equals the current one (always accepted,
//! [`ese_core::params::validate_change`]), a closed window (`JET_errAlreadyInitialized`) and
//! the value's type and range (`JET_errInvalidParameter`).
//! A boolean parameter also accepts an integer (`lParam`), non-zero meaning true, as ESE does.
//!
//! # Paths on Linux
//!
//! ESE's folder parameters (JET_paramSystemPath, JET_paramLogFilePath) must end with a
//! backslash. Here a folder parameter is an ordinary directory path with the trailing
//! separator optional: `"/var/lib/app/logs"`, `"/var/lib/app/logs/"` and the Windows-style
//! `"logs\\"` all name the same directory as their form without the trailing separator, and
//! the default `".\\"` is the current directory. Only a *trailing* `/` or `\` is removed;
//! a backslash inside a path is left alone, since it is an ordinary character in a Linux
//! file name.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ese_core::params::{self, ParamDefault, ParamType, ParamValue, Stage, SystemParam};
use ese_core::{JetErr, limits};

use crate::error::{Result, fail};

/// Ids of the parameters this crate reads, named as ESE names them without `JET_param`.
pub mod paramid {
    /// JET_paramSystemPath (0): the checkpoint folder.
    pub const SYSTEM_PATH: u32 = 0;
    /// JET_paramTempPath (1): the temporary database.
    pub const TEMP_PATH: u32 = 1;
    /// JET_paramLogFilePath (2): the log folder.
    pub const LOG_FILE_PATH: u32 = 2;
    /// JET_paramBaseName (3): the three-character prefix of log and checkpoint files.
    pub const BASE_NAME: u32 = 3;
    /// JET_paramMaxSessions (5): user sessions per instance.
    pub const MAX_SESSIONS: u32 = 5;
    /// JET_paramMaxCursors (8): cursors per instance.
    pub const MAX_CURSORS: u32 = 8;
    /// JET_paramMaxVerPages (9): version store size in version pages.
    pub const MAX_VER_PAGES: u32 = 9;
    /// JET_paramLogFileSize (11): log file size in KiB.
    pub const LOG_FILE_SIZE: u32 = 11;
    /// JET_paramLogBuffers (12): log buffer size in 512-byte sectors.
    pub const LOG_BUFFERS: u32 = 12;
    /// JET_paramCommitDefault (16): default commit grbit (only JET_bitCommitLazyFlush counts).
    pub const COMMIT_DEFAULT: u32 = 16;
    /// JET_paramCircularLog (17): delete logs behind the checkpoint.
    pub const CIRCULAR_LOG: u32 = 17;
    /// JET_paramDbExtensionSize (18): pages a database file grows by.
    pub const DB_EXTENSION_SIZE: u32 = 18;
    /// JET_paramCacheSizeMax (23): the most pages the cache holds.
    pub const CACHE_SIZE_MAX: u32 = 23;
    /// JET_paramCheckpointDepthMax (24): how far, in log bytes, the checkpoint may lag.
    pub const CHECKPOINT_DEPTH_MAX: u32 = 24;
    /// JET_paramRecovery (34): "On" or "Off" (no logging).
    pub const RECOVERY: u32 = 34;
    /// JET_paramTransactionLevel (38): read-only, the session's transaction level.
    pub const TRANSACTION_LEVEL: u32 = 38;
    /// JET_paramCacheSizeMin (60): the fewest pages the cache holds.
    pub const CACHE_SIZE_MIN: u32 = 60;
    /// JET_paramDatabasePageSize (64): one page size per process.
    pub const DATABASE_PAGE_SIZE: u32 = 64;
    /// JET_paramCreatePathIfNotExist (100): create missing folders at init.
    pub const CREATE_PATH_IF_NOT_EXIST: u32 = 100;
    /// JET_paramMaxInstances (104): live instances per process.
    pub const MAX_INSTANCES: u32 = 104;
    /// JET_paramVerPageSize (128): bytes per version page.
    pub const VER_PAGE_SIZE: u32 = 128;
    /// JET_paramKeyMost (134): read-only, the largest key for the page size.
    pub const KEY_MOST: u32 = 134;
    /// JET_paramLVChunkSizeMost (163): read-only, the long-value chunk size.
    pub const LV_CHUNK_SIZE_MOST: u32 = 163;
    /// JET_paramMaxTransactionSize (178): share of the version store the oldest transaction
    /// may use, in percent.
    pub const MAX_TRANSACTION_SIZE: u32 = 178;
    /// JET_paramRecordSizeMost (213): read-only, the largest record for the page size.
    pub const RECORD_SIZE_MOST: u32 = 213;
}

/// A parameter's value as [`Engine::get_system_parameter`](crate::Engine::get_system_parameter)
/// returns it: `lParam` as an integer or boolean, or `szParam`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum SystemParamValue {
    /// An integer, grbit, size or pointer value.
    Int(u64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(String),
}

impl SystemParamValue {
    /// The value as ESE's `lParam`: integers as they are, booleans as 0 or 1, strings as 0.
    pub fn as_int(&self) -> u64 {
        match self {
            SystemParamValue::Int(v) => *v,
            SystemParamValue::Bool(b) => u64::from(*b),
            SystemParamValue::Str(_) => 0,
        }
    }

    /// The value as ESE's `szParam`, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            SystemParamValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a boolean: non-zero integers are true.
    pub fn as_bool(&self) -> bool {
        self.as_int() != 0
    }

    fn borrow(&self) -> ParamValue<'_> {
        match self {
            SystemParamValue::Int(v) => ParamValue::Int(*v),
            SystemParamValue::Bool(b) => ParamValue::Bool(*b),
            SystemParamValue::Str(s) => ParamValue::Str(s),
        }
    }

    fn owned(value: &ParamValue<'_>) -> Self {
        match value {
            ParamValue::Int(v) => SystemParamValue::Int(*v),
            ParamValue::Bool(b) => SystemParamValue::Bool(*b),
            ParamValue::Str(s) => SystemParamValue::Str((*s).to_owned()),
        }
    }
}

/// The parameter `id`, or `JET_errInvalidParameter` for an id no parameter has.
pub(crate) fn lookup(id: u32) -> Result<&'static SystemParam> {
    match params::by_id(id) {
        Some(p) => Ok(p),
        None => fail(JetErr::INVALID_PARAMETER),
    }
}

/// Whether the parameter has one value for the whole process.
pub(crate) fn is_global(param: &SystemParam) -> bool {
    param.scope == params::Scope::Global
}

/// The table's legacy default as a value, when it states one.
fn default_value(param: &SystemParam) -> Option<SystemParamValue> {
    match param.default {
        ParamDefault::Int(v) => Some(SystemParamValue::Int(v)),
        ParamDefault::Bool(b) => Some(SystemParamValue::Bool(b)),
        ParamDefault::Str(s) => Some(SystemParamValue::Str(s.to_owned())),
        ParamDefault::Null
        | ParamDefault::Dynamic
        | ParamDefault::PageSizeDependent
        | ParamDefault::Unstated => None,
    }
}

/// A boolean parameter given an integer takes non-zero as true (ESE reads `lParam`).
fn normalize<'a>(param: &SystemParam, value: ParamValue<'a>) -> ParamValue<'a> {
    match (param.kind, value) {
        (ParamType::Boolean, ParamValue::Int(v)) => ParamValue::Bool(v != 0),
        _ => value,
    }
}

/// One set of parameter values: the process's global set or one instance's copy.
#[derive(Clone, Debug, Default)]
pub(crate) struct ParamSet {
    values: BTreeMap<u32, SystemParamValue>,
}

impl ParamSet {
    /// A copy holding only this set's per-instance values (what a new instance starts with).
    pub(crate) fn instance_copy(&self) -> ParamSet {
        let values = self
            .values
            .iter()
            .filter(|(id, _)| params::by_id(**id).is_some_and(|p| !is_global(p)))
            .map(|(id, v)| (*id, v.clone()))
            .collect();
        ParamSet { values }
    }

    /// The value of `param`: as set, else the table's default, else 0 (parameters whose value
    /// is computed, such as JET_paramKeyMost, are answered by the engine before this).
    pub(crate) fn get(&self, param: &SystemParam) -> SystemParamValue {
        self.values
            .get(&param.id)
            .cloned()
            .or_else(|| default_value(param))
            .unwrap_or(SystemParamValue::Int(0))
    }

    /// Sets `param` to `value` if ESE allows it at `stage`.
    pub(crate) fn set(
        &mut self,
        param: &SystemParam,
        value: ParamValue<'_>,
        stage: Stage,
    ) -> Result<()> {
        // A read-only parameter has no setter in ESE, so even its current value is refused
        // (ese-core's `validate_change` would accept an unchanged value first).
        if param.settable == params::Settable::ReadOnly {
            return fail(JetErr::INVALID_PARAMETER);
        }
        let value = normalize(param, value);
        let current = self.get(param);
        params::validate_change(param, Some(&current.borrow()), &value, stage)?;
        self.values
            .insert(param.id, SystemParamValue::owned(&value));
        Ok(())
    }

    /// An integer parameter's value (booleans as 0/1).
    pub(crate) fn int(&self, id: u32) -> u64 {
        params::by_id(id).map_or(0, |p| self.get(p).as_int())
    }

    /// A boolean parameter's value.
    pub(crate) fn bool(&self, id: u32) -> bool {
        self.int(id) != 0
    }

    /// A string parameter's value ("" if it has none).
    pub(crate) fn string(&self, id: u32) -> String {
        params::by_id(id)
            .and_then(|p| self.get(p).as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// A folder parameter's value as a directory path (see the module doc): a trailing `/` or `\`
/// is optional, and an empty remainder is the current directory.
pub fn folder_path(value: &str) -> PathBuf {
    let trimmed = value.trim_end_matches(['/', '\\']);
    if trimmed.is_empty() && !value.starts_with('/') {
        PathBuf::from(".")
    } else if trimmed.is_empty() {
        PathBuf::from("/")
    } else {
        PathBuf::from(trimmed)
    }
}

/// The value of a read-only parameter computed from the page size, if `id` is one.
pub(crate) fn page_size_dependent(id: u32, page_size_bytes: usize) -> Option<SystemParamValue> {
    let v = match id {
        paramid::KEY_MOST => limits::key_most_bytes(page_size_bytes),
        paramid::RECORD_SIZE_MOST => limits::record_size_most_param_bytes(page_size_bytes),
        paramid::LV_CHUNK_SIZE_MOST => limits::lv_chunk_most_bytes(page_size_bytes),
        _ => return None,
    };
    Some(SystemParamValue::Int(v as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_paths_take_an_optional_trailing_separator() {
        let cases = [
            (".\\", "."),
            ("", "."),
            ("/", "/"),
            ("/tmp/logs", "/tmp/logs"),
            ("/tmp/logs/", "/tmp/logs"),
            ("logs\\", "logs"),
            ("a\\b", "a\\b"),
        ];
        for (value, path) in cases {
            assert_eq!(folder_path(value), PathBuf::from(path), "{value:?}");
        }
    }

    #[test]
    fn sets_validate_and_repeat_the_current_value() {
        let mut set = ParamSet::default();
        let max_sessions = lookup(paramid::MAX_SESSIONS).unwrap();
        assert_eq!(set.get(max_sessions), SystemParamValue::Int(16));
        set.set(max_sessions, ParamValue::Int(40), Stage::BeforeInit)
            .unwrap();
        assert_eq!(set.int(paramid::MAX_SESSIONS), 40);
        let late = set.set(max_sessions, ParamValue::Int(41), Stage::Initialized);
        assert_eq!(late.unwrap_err(), JetErr::ALREADY_INITIALIZED);
        set.set(max_sessions, ParamValue::Int(40), Stage::Initialized)
            .unwrap();
        let circ = lookup(paramid::CIRCULAR_LOG).unwrap();
        set.set(circ, ParamValue::Int(5), Stage::BeforeInit)
            .unwrap();
        assert!(set.bool(paramid::CIRCULAR_LOG));
        assert_eq!(lookup(29).unwrap_err(), JetErr::INVALID_PARAMETER);
    }

    #[test]
    fn an_instance_copy_holds_only_per_instance_values() {
        let mut set = ParamSet::default();
        let page = lookup(paramid::DATABASE_PAGE_SIZE).unwrap();
        set.set(page, ParamValue::Int(8192), Stage::NoRunMode)
            .unwrap();
        let sessions = lookup(paramid::MAX_SESSIONS).unwrap();
        set.set(sessions, ParamValue::Int(3), Stage::NoRunMode)
            .unwrap();
        let copy = set.instance_copy();
        assert_eq!(copy.int(paramid::MAX_SESSIONS), 3);
        assert_eq!(
            copy.int(paramid::DATABASE_PAGE_SIZE),
            4096,
            "global stays global"
        );
    }
}
