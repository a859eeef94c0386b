//! Page I/O between a frame and its database file: where a page lives, and the checks made
//! just before a page is written and just after it is read.
//!
//! Every page the cache writes goes through [`write_page`] (which seals a copy of the image
//! with its checksum) and every page it reads goes through [`read_page`] (which verifies the
//! checksum and page number), so the page format is consulted in exactly two places.

use ese_core::{DbId, Pgno};
use ese_pageio::{PageError, Storage};

use crate::error::{Error, IoOp};

/// The byte offset of logical page `pgno`: physical pages 0 and 1 hold the database header
/// and its shadow, so logical page n starts at `(n + 1) * page_size`.
pub(crate) fn page_offset(pgno: Pgno, page_size_bytes: usize) -> u64 {
    (u64::from(pgno.0) + 1) * page_size_bytes as u64
}

/// Stamps the checksum and page number into `page` just before it is written.
fn seal(page: &mut [u8], pgno: Pgno) {
    ese_pageio::page::seal(page, pgno);
}

/// Checks the checksum and page number of `page` just after it is read.
fn verify(page: &[u8], pgno: Pgno) -> Result<(), PageError> {
    ese_pageio::page::verify(page, pgno)
}

/// Reads page `pgno` of `db` into `buf` and verifies it; a page that fails the check is
/// reported with its number and must not be cached.
pub(crate) fn read_page(
    storage: &dyn Storage,
    db: DbId,
    pgno: Pgno,
    buf: &mut [u8],
) -> Result<(), Error> {
    storage
        .read_at(page_offset(pgno, buf.len()), buf)
        .map_err(|source| Error::Io {
            db,
            pgno: Some(pgno),
            op: IoOp::Read,
            source,
        })?;
    verify(buf, pgno).map_err(|source| Error::ReadVerifyFailure { db, pgno, source })
}

/// Seals a copy of `image` and writes it as page `pgno` of `db`. The cached image is left
/// untouched, so a shared latch is enough to write it out; its checksum and page-number
/// fields are therefore only meaningful after the page has been read back.
pub(crate) fn write_page(
    storage: &dyn Storage,
    db: DbId,
    pgno: Pgno,
    image: &[u8],
) -> Result<(), Error> {
    let mut sealed = image.to_vec();
    seal(&mut sealed, pgno);
    storage
        .write_at(page_offset(pgno, image.len()), &sealed)
        .map_err(|source| Error::Io {
            db,
            pgno: Some(pgno),
            op: IoOp::Write,
            source,
        })
}
