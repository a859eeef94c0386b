//! The API's error and warning types: every call returns `Result<T, JetError>`.
//!
//! A [`JetError`] is exactly one ESE code (`JET_err…`, always negative), kept as an
//! [`ese_core::JetErr`] so that callers can compare it with the shared table's constants
//! (`err == JetErr::OUT_OF_SESSIONS`) or with the raw number (`err.code() == -1101`). Its
//! `Display` shows the symbol and the value, as ESE's own tools do: `JET_errOutOfSessions
//! (-1101)`.
//!
//! ESE's warnings (`JET_wrn…`, positive) are successes, so they never appear in `Err`: a call
//! that can succeed with a remark returns a [`Warning`] inside its `Ok` value (usually as
//! `Option<Warning>`). This is the only crate that turns lower layers' errors into JET codes;
//! the `From` conversions below are where it happens.

use std::fmt;

use ese_core::JetErr;

/// The result of every API call.
pub type Result<T> = std::result::Result<T, JetError>;

/// A failed call: one ESE error code (`JET_err…`, negative), with its symbol and message from
/// the shared code table.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct JetError(JetErr);

impl JetError {
    /// The error for `err`. A code that is not negative (success or a warning) is not an error;
    /// it is kept as given so that nothing is lost, but no call of this crate makes one.
    pub const fn new(err: JetErr) -> Self {
        JetError(err)
    }

    /// The code as the shared table's type.
    pub const fn err(self) -> JetErr {
        self.0
    }

    /// The raw `JET_ERR` value, e.g. -1101.
    pub const fn code(self) -> i32 {
        self.0.0
    }

    /// The symbol as ESE spells it (`"JET_errOutOfSessions"`), or `None` for an unknown code.
    pub fn symbol(self) -> Option<&'static str> {
        self.0.symbol()
    }

    /// The one-line message of the code.
    pub fn message(self) -> &'static str {
        self.0.message()
    }
}

impl fmt::Debug for JetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for JetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.symbol() {
            Some(s) => write!(f, "{s} ({})", self.code()),
            None => write!(f, "JET error {}", self.code()),
        }
    }
}

impl std::error::Error for JetError {}

impl PartialEq<JetErr> for JetError {
    fn eq(&self, other: &JetErr) -> bool {
        self.0 == *other
    }
}

impl From<JetErr> for JetError {
    fn from(err: JetErr) -> Self {
        JetError(err)
    }
}

impl From<JetError> for JetErr {
    fn from(err: JetError) -> Self {
        err.0
    }
}

impl From<JetError> for i32 {
    fn from(err: JetError) -> Self {
        err.code()
    }
}

impl From<ese_core::ValidationError> for JetError {
    fn from(err: ese_core::ValidationError) -> Self {
        JetError(err.jet_err())
    }
}

impl From<ese_log::Error> for JetError {
    fn from(err: ese_log::Error) -> Self {
        JetError(JetErr(err.jet_code()))
    }
}

impl From<ese_txn::Error> for JetError {
    fn from(err: ese_txn::Error) -> Self {
        // ese-txn reports every log failure as JET_errLogWriteFail; when the log's own error is
        // inside, its more precise code (JET_errLogDiskFull, ...) is the one ESE returns.
        if let ese_txn::Error::Log(inner) = &err
            && let Some(log_err) = inner.downcast_ref::<ese_log::Error>()
        {
            return JetError(JetErr(log_err.jet_code()));
        }
        JetError(err.jet_err())
    }
}

impl From<ese_btree::Error> for JetError {
    fn from(err: ese_btree::Error) -> Self {
        JetError(err.jet_err())
    }
}

impl From<ese_cache::Error> for JetError {
    fn from(err: ese_cache::Error) -> Self {
        // The B-tree layer already maps every cache error to ESE's code for it.
        JetError(ese_btree::Error::Cache(err).jet_err())
    }
}

impl JetError {
    /// Whether this error leaves the instance unusable until it is terminated (ESE's "fatal"
    /// errors: a failed log write, a full log disk, a failed rollback). The API marks the
    /// instance unavailable when a call fails with one, so every later call gets
    /// `JET_errInstanceUnavailable` (-1090).
    pub fn is_fatal(self) -> bool {
        matches!(
            self.0,
            JetErr::LOG_WRITE_FAIL
                | JetErr::LOG_DISK_FULL
                | JetErr::ROLLBACK_ERROR
                | JetErr::INSTANCE_UNAVAILABLE
        )
    }
}

/// A successful call's remark: one ESE warning code (`JET_wrn…`, positive), such as
/// `JET_wrnColumnNull` (1004) or `JET_wrnBufferTruncated` (1006). It travels in `Ok`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Warning(JetErr);

impl Warning {
    /// The warning `err`; `None` unless the code is positive (a real warning).
    pub const fn new(err: JetErr) -> Option<Self> {
        if err.is_warning() {
            Some(Warning(err))
        } else {
            None
        }
    }

    /// The code as the shared table's type.
    pub const fn err(self) -> JetErr {
        self.0
    }

    /// The raw `JET_ERR` value, e.g. 1004.
    pub const fn code(self) -> i32 {
        self.0.0
    }
}

impl fmt::Debug for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.symbol() {
            Some(s) => write!(f, "{s} ({})", self.code()),
            None => write!(f, "JET warning {}", self.code()),
        }
    }
}

impl PartialEq<JetErr> for Warning {
    fn eq(&self, other: &JetErr) -> bool {
        self.0 == *other
    }
}

/// Shorthand for returning a JET error: `fail(JetErr::OUT_OF_SESSIONS)`.
pub(crate) fn fail<T>(err: JetErr) -> Result<T> {
    Err(JetError(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_symbol_and_value() {
        let e = JetError::new(JetErr::OUT_OF_SESSIONS);
        assert_eq!(e.to_string(), "JET_errOutOfSessions (-1101)");
        assert_eq!(e.code(), -1101);
        assert_eq!(e, JetErr::OUT_OF_SESSIONS);
        assert_eq!(
            JetError::new(JetErr(-77777)).to_string(),
            "JET error -77777"
        );
    }

    #[test]
    fn lower_layers_keep_their_exact_codes() {
        let cases: [(JetError, i32); 5] = [
            (ese_txn::Error::TransTooDeep.into(), -1103),
            (ese_txn::Error::NotInTransaction.into(), -1054),
            (ese_log::Error::CheckpointCorrupt.into(), -533),
            (
                ese_txn::Error::Log(Box::new(ese_log::Error::LogDiskFull { op: "sync" })).into(),
                -529,
            ),
            (ese_txn::Error::Log("opaque".into()).into(), -510),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code, "{e}");
        }
        assert!(JetError::new(JetErr::LOG_DISK_FULL).is_fatal());
        assert!(!JetError::new(JetErr::WRITE_CONFLICT).is_fatal());
    }

    #[test]
    fn warnings_are_positive_only() {
        assert_eq!(
            Warning::new(JetErr::WRN_COLUMN_NULL).map(Warning::code),
            Some(1004)
        );
        assert_eq!(Warning::new(JetErr::OUT_OF_SESSIONS), None);
        assert_eq!(Warning::new(JetErr(0)), None);
    }
}
