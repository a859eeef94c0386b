//! The log's one error type, each variant named after its ESE equivalent.
//!
//! I/O errors are kept as their [`io::ErrorKind`] and a short description of the operation, so
//! the error is `Clone`: a sticky failure is handed, unchanged, to every later caller.

use std::fmt;
use std::io;

use ese_core::Lgpos;

/// Everything that can go wrong in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A log file is damaged in the middle of the log, or its header is (JET_errLogFileCorrupt).
    LogFileCorrupt {
        /// The generation of the damaged file.
        generation: u32,
        /// The damaged sector (0 is the file header).
        sector: u16,
        /// What was wrong.
        reason: &'static str,
    },
    /// Writing or syncing the log failed; logging is halted (JET_errLogWriteFail).
    LogWriteFail {
        /// The operation that failed.
        op: &'static str,
        /// The kind of the underlying I/O error.
        kind: io::ErrorKind,
    },
    /// The log disk is full; logging is halted (JET_errLogDiskFull).
    LogDiskFull {
        /// The operation that failed.
        op: &'static str,
    },
    /// Reading the log failed at the I/O level (JET_errDiskIO).
    LogReadFail {
        /// The operation that failed.
        op: &'static str,
        /// The kind of the underlying I/O error.
        kind: io::ErrorKind,
    },
    /// Log generation numbers are exhausted (JET_errLogSequenceEnd).
    LogSequenceEnd,
    /// A log file that must exist does not (JET_errMissingLogFile).
    MissingLogFile {
        /// The generation that is missing.
        generation: u32,
    },
    /// Log files do not follow each other (JET_errInvalidLogSequence).
    InvalidLogSequence {
        /// The generation at which the sequence breaks.
        generation: u32,
    },
    /// A log file belongs to another log stream (JET_errBadLogSignature).
    BadLogSignature {
        /// The generation of the foreign file.
        generation: u32,
    },
    /// A log file's size differs from the configured one (JET_errLogFileSizeMismatch).
    LogFileSizeMismatch {
        /// The configured size.
        expected_bytes: u64,
        /// The size the file's header records.
        found_bytes: u64,
    },
    /// Both copies of the checkpoint are damaged (JET_errCheckpointCorrupt).
    CheckpointCorrupt,
    /// The checkpoint file belongs to another log stream (JET_errBadCheckpointSignature).
    BadCheckpointSignature,
    /// The checkpoint file does not exist (JET_errCheckpointFileNotFound).
    CheckpointFileNotFound,
    /// A record is larger than a log file can hold (JET_errLogBufferTooSmall).
    RecordTooLarge {
        /// The record's encoded size.
        bytes: usize,
        /// The largest record this log accepts.
        max_bytes: usize,
    },
    /// A bad argument or configuration value (JET_errInvalidParameter).
    InvalidParameter {
        /// Which argument, and why.
        what: &'static str,
    },
    /// A position passed to the log lies beyond its end (JET_errInvalidParameter).
    PositionBeyondEnd {
        /// The position asked for.
        lgpos: Lgpos,
        /// The end of the log.
        head: Lgpos,
    },
}

impl Error {
    /// The JET error code the API layer reports for this error.
    pub fn jet_code(&self) -> i32 {
        match self {
            Error::LogFileCorrupt { .. } => -501,
            Error::LogWriteFail { .. } => -510,
            Error::LogDiskFull { .. } => -529,
            Error::LogReadFail { .. } => -1022,
            Error::LogSequenceEnd => -519,
            Error::MissingLogFile { .. } => -528,
            Error::InvalidLogSequence { .. } => -515,
            Error::BadLogSignature { .. } => -530,
            Error::LogFileSizeMismatch { .. } => -541,
            Error::CheckpointCorrupt => -533,
            Error::CheckpointFileNotFound => -542,
            Error::BadCheckpointSignature => -532,
            Error::RecordTooLarge { .. } => -517,
            Error::InvalidParameter { .. } | Error::PositionBeyondEnd { .. } => -1003,
        }
    }

    /// The error for a failed log write or sync: disk-full kinds become [`Error::LogDiskFull`].
    pub(crate) fn write(op: &'static str, err: &io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Error::LogDiskFull { op },
            kind => Error::LogWriteFail { op, kind },
        }
    }

    /// The error for a failed log read.
    pub(crate) fn read(op: &'static str, err: &io::Error) -> Self {
        Error::LogReadFail {
            op,
            kind: err.kind(),
        }
    }

    /// Whether this error halts logging for good (a failed write or sync).
    pub fn is_fatal(&self) -> bool {
        matches!(self, Error::LogWriteFail { .. } | Error::LogDiskFull { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LogFileCorrupt {
                generation,
                sector,
                reason,
            } => write!(
                f,
                "log file corrupt: generation {generation:#x}, sector {sector}: {reason}"
            ),
            Error::LogWriteFail { op, kind } => {
                write!(f, "log write failed ({op}: {kind}); logging is halted")
            }
            Error::LogDiskFull { op } => write!(f, "log disk full ({op}); logging is halted"),
            Error::LogReadFail { op, kind } => write!(f, "log read failed ({op}: {kind})"),
            Error::LogSequenceEnd => f.write_str("log generation numbers are exhausted"),
            Error::MissingLogFile { generation } => {
                write!(f, "log file of generation {generation:#x} is missing")
            }
            Error::InvalidLogSequence { generation } => write!(
                f,
                "log files are not contiguous at generation {generation:#x}"
            ),
            Error::BadLogSignature { generation } => write!(
                f,
                "log file of generation {generation:#x} belongs to another log stream"
            ),
            Error::LogFileSizeMismatch {
                expected_bytes,
                found_bytes,
            } => write!(
                f,
                "log file size is {found_bytes} bytes, configured {expected_bytes}"
            ),
            Error::CheckpointCorrupt => f.write_str("checkpoint file is corrupt"),
            Error::CheckpointFileNotFound => f.write_str("checkpoint file not found"),
            Error::BadCheckpointSignature => {
                f.write_str("checkpoint file belongs to another log stream")
            }
            Error::RecordTooLarge { bytes, max_bytes } => write!(
                f,
                "log record of {bytes} bytes exceeds the largest this log holds ({max_bytes})"
            ),
            Error::InvalidParameter { what } => write!(f, "invalid parameter: {what}"),
            Error::PositionBeyondEnd { lgpos, head } => {
                write!(
                    f,
                    "log position {lgpos} lies beyond the end of the log ({head})"
                )
            }
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_reference_table() {
        let cases = [
            (
                Error::LogFileCorrupt {
                    generation: 1,
                    sector: 2,
                    reason: "x",
                },
                -501,
            ),
            (
                Error::LogWriteFail {
                    op: "w",
                    kind: io::ErrorKind::Other,
                },
                -510,
            ),
            (Error::LogDiskFull { op: "w" }, -529),
            (Error::LogSequenceEnd, -519),
            (Error::MissingLogFile { generation: 3 }, -528),
            (Error::InvalidLogSequence { generation: 3 }, -515),
            (Error::BadLogSignature { generation: 3 }, -530),
            (Error::CheckpointCorrupt, -533),
            (Error::CheckpointFileNotFound, -542),
            (Error::BadCheckpointSignature, -532),
        ];
        for (e, code) in cases {
            assert_eq!(e.jet_code(), code, "{e}");
            assert!(!e.to_string().is_empty());
        }
        let full = io::Error::new(io::ErrorKind::StorageFull, "full");
        assert_eq!(
            Error::write("sync", &full),
            Error::LogDiskFull { op: "sync" }
        );
        assert!(Error::write("sync", &io::Error::other("x")).is_fatal());
    }
}
