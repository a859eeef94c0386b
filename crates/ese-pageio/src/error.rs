//! The crate's error type: everything that can go wrong reading or writing pages and headers.

use std::fmt;
use std::io;

use crate::header::HeaderError;
use crate::page::PageError;

/// Any failure of this crate; the layers above convert it with `From`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The storage failed.
    Io(io::Error),
    /// A page failed verification or a page operation was refused.
    Page(PageError),
    /// The database header could not be read or written.
    Header(HeaderError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Page(e) => e.fmt(f),
            Error::Header(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Page(e) => Some(e),
            Error::Header(e) => Some(e),
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<PageError> for Error {
    fn from(e: PageError) -> Self {
        Error::Page(e)
    }
}

impl From<HeaderError> for Error {
    fn from(e: HeaderError) -> Self {
        match e {
            HeaderError::Io(e) => Error::Io(e),
            other => Error::Header(other),
        }
    }
}
