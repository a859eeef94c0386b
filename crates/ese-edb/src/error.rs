//! The one error type of `ese-edb`, with the JET code ESE would report for each case.
//!
//! Every decoding routine in this crate returns [`Error`] instead of panicking. The variants are
//! coarse on purpose: a caller needs to know *which page* is bad and *what ESE would have said*,
//! not which byte of a record failed a bounds check.

use std::fmt;

/// ESE's `JET_errReadVerifyFailure`: a page failed its checksum.
pub const JET_ERR_READ_VERIFY_FAILURE: i32 = -1018;
/// ESE's `JET_errPageNotInitialized`: a tree pointed at a page that was never written.
pub const JET_ERR_PAGE_NOT_INITIALIZED: i32 = -1019;
/// ESE's `JET_errDiskIO`: the operating system failed a read.
pub const JET_ERR_DISK_IO: i32 = -1022;
/// ESE's `JET_errDatabaseCorrupted`: a structure on a page is inconsistent.
pub const JET_ERR_DATABASE_CORRUPTED: i32 = -1206;
/// ESE's `JET_errInvalidDatabase`: the file is not an ESE database.
pub const JET_ERR_INVALID_DATABASE: i32 = -1028;
/// ESE's `JET_errFileIOBeyondEOF`: a page number points past the end of the file.
pub const JET_ERR_FILE_IO_BEYOND_EOF: i32 = -4001;
/// ESE's `JET_errObjectNotFound`: no table of that name.
pub const JET_ERR_OBJECT_NOT_FOUND: i32 = -1305;
/// ESE's `JET_errColumnNotFound`: no column of that name.
pub const JET_ERR_COLUMN_NOT_FOUND: i32 = -1603;
/// ESE's `JET_errLVCorrupted`: a long value is missing or inconsistent.
pub const JET_ERR_LV_CORRUPTED: i32 = -1526;
/// ESE's `JET_errDecompressionFailed`: a compressed value does not decode.
pub const JET_ERR_DECOMPRESSION_FAILED: i32 = -1620;
/// ESE's `JET_errFeatureNotAvailable`: the file uses something this reader does not implement.
pub const JET_ERR_FEATURE_NOT_AVAILABLE: i32 = -1001;

/// What went wrong while reading an ESE file.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The operating system failed to open or read the file.
    Io(std::io::Error),
    /// The file is not an ESE database (bad signature, file type or page size).
    NotDatabase(String),
    /// The header page and its shadow both fail their checksum.
    HeaderChecksum {
        /// The checksum stored at offset 0.
        stored: u32,
        /// The checksum computed over the page.
        computed: u32,
    },
    /// A page failed its checksum and could not be corrected (ESE's -1018).
    ReadVerifyFailure {
        /// The logical page number.
        pgno: u32,
    },
    /// A tree pointed at an all-zero (never written) page.
    PageNotInitialized {
        /// The logical page number.
        pgno: u32,
    },
    /// A page number lies past the end of the file.
    PageBeyondEof {
        /// The logical page number.
        pgno: u32,
    },
    /// A structure is inconsistent; `pgno` is the page it was found on, when known.
    Corrupt {
        /// The page on which the problem was found, if any.
        pgno: Option<u32>,
        /// A short description of what is wrong.
        what: String,
    },
    /// A long value is missing from, or inconsistent in, the long-value tree.
    LongValue {
        /// The long-value id.
        lid: u64,
        /// A short description of what is wrong.
        what: String,
    },
    /// A compressed value does not decode.
    Decompression(String),
    /// The file uses a feature this reader does not implement.
    Unsupported(String),
    /// No table of that name exists.
    TableNotFound(String),
    /// No column of that name exists in the table.
    ColumnNotFound(String),
}

impl Error {
    /// The JET error code ESE would return for this error.
    pub fn jet_code(&self) -> i32 {
        match self {
            Error::Io(_) => JET_ERR_DISK_IO,
            Error::NotDatabase(_) => JET_ERR_INVALID_DATABASE,
            Error::HeaderChecksum { .. } | Error::ReadVerifyFailure { .. } => {
                JET_ERR_READ_VERIFY_FAILURE
            }
            Error::PageNotInitialized { .. } => JET_ERR_PAGE_NOT_INITIALIZED,
            Error::PageBeyondEof { .. } => JET_ERR_FILE_IO_BEYOND_EOF,
            Error::Corrupt { .. } => JET_ERR_DATABASE_CORRUPTED,
            Error::LongValue { .. } => JET_ERR_LV_CORRUPTED,
            Error::Decompression(_) => JET_ERR_DECOMPRESSION_FAILED,
            Error::Unsupported(_) => JET_ERR_FEATURE_NOT_AVAILABLE,
            Error::TableNotFound(_) => JET_ERR_OBJECT_NOT_FOUND,
            Error::ColumnNotFound(_) => JET_ERR_COLUMN_NOT_FOUND,
        }
    }

    /// The page the error was found on, when there is one.
    pub fn pgno(&self) -> Option<u32> {
        match self {
            Error::ReadVerifyFailure { pgno }
            | Error::PageNotInitialized { pgno }
            | Error::PageBeyondEof { pgno } => Some(*pgno),
            Error::Corrupt { pgno, .. } => *pgno,
            _ => None,
        }
    }

    /// A corruption error found on page `pgno`.
    pub(crate) fn corrupt_on(pgno: u32, what: impl Into<String>) -> Error {
        Error::Corrupt {
            pgno: Some(pgno),
            what: what.into(),
        }
    }

    /// A corruption error not tied to one page.
    pub(crate) fn corrupt(what: impl Into<String>) -> Error {
        Error::Corrupt {
            pgno: None,
            what: what.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.jet_code();
        match self {
            Error::Io(e) => write!(f, "I/O error ({code}): {e}"),
            Error::NotDatabase(why) => write!(f, "not an ESE database ({code}): {why}"),
            Error::HeaderChecksum { stored, computed } => write!(
                f,
                "database header checksum mismatch ({code}): stored {stored:#010x}, computed {computed:#010x}"
            ),
            Error::ReadVerifyFailure { pgno } => {
                write!(f, "page {pgno} failed its checksum ({code})")
            }
            Error::PageNotInitialized { pgno } => {
                write!(f, "page {pgno} is not initialised ({code})")
            }
            Error::PageBeyondEof { pgno } => {
                write!(f, "page {pgno} lies beyond the end of the file ({code})")
            }
            Error::Corrupt {
                pgno: Some(pgno),
                what,
            } => write!(f, "corrupt database, page {pgno} ({code}): {what}"),
            Error::Corrupt { pgno: None, what } => write!(f, "corrupt database ({code}): {what}"),
            Error::LongValue { lid, what } => {
                write!(f, "long value {lid:#x} is corrupt ({code}): {what}")
            }
            Error::Decompression(what) => write!(f, "decompression failed ({code}): {what}"),
            Error::Unsupported(what) => write!(f, "unsupported feature ({code}): {what}"),
            Error::TableNotFound(name) => write!(f, "no table named {name:?} ({code})"),
            Error::ColumnNotFound(name) => write!(f, "no column named {name:?} ({code})"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
