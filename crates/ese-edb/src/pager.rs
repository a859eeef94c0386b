//! Page reads: find logical page `pgno` in the file, verify its checksum, decode it.
//!
//! The pager never writes. A file is read page by page through a mutex-guarded handle, or held
//! whole in memory (for tests and fuzzing). Logical page `pgno` starts at byte
//! `(pgno + 1) * page_size`: physical pages 0 and 1 hold the header and its shadow. Verified pages
//! are kept in a small cache; ECC corrections are recorded so the caller can report them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use crate::checksum::{ChecksumOutcome, verify_page};
use crate::error::{Error, Result};
use crate::header::DbHeader;
use crate::page::Page;

/// Pages kept in the cache before it is emptied and refilled.
const PAGE_CACHE_MAX: usize = 512;

enum Source {
    Memory(Vec<u8>),
    File(Mutex<File>),
}

/// A single-bit error that the ECC checksum repaired in memory (the file is left untouched).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Correction {
    /// The logical page number.
    pub pgno: u32,
    /// The bit offset from the start of the page.
    pub bit: u32,
}

/// Reads and verifies pages of one database file.
pub struct Pager {
    source: Source,
    header: DbHeader,
    page_size: usize,
    page_count: u32,
    cache: Mutex<HashMap<u32, Arc<Page>>>,
    corrections: Mutex<Vec<Correction>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pager {
    /// Open a file read-only.
    pub fn open(path: &Path) -> Result<Pager> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut start = vec![0u8; (len.min(65536)) as usize];
        file.read_exact(&mut start)?;
        let header = DbHeader::decode_file_start(&start)?;
        Pager::build(Source::File(Mutex::new(file)), header, len)
    }

    /// Use a whole file image held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Pager> {
        let header = DbHeader::decode_file_start(&bytes)?;
        let len = bytes.len() as u64;
        Pager::build(Source::Memory(bytes), header, len)
    }

    fn build(source: Source, header: DbHeader, len: u64) -> Result<Pager> {
        let page_size = header.page_size as usize;
        let physical = len / page_size as u64;
        let page_count = u32::try_from(physical.saturating_sub(2))
            .map_err(|_| Error::Unsupported("file larger than 2^32 pages".into()))?;
        Ok(Pager {
            source,
            header,
            page_size,
            page_count,
            cache: Mutex::new(HashMap::new()),
            corrections: Mutex::new(Vec::new()),
        })
    }

    /// The decoded database header.
    pub fn header(&self) -> &DbHeader {
        &self.header
    }

    /// The page size in bytes.
    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// Number of logical pages the file holds.
    pub fn page_count(&self) -> u32 {
        self.page_count
    }

    /// Every ECC correction made so far.
    pub fn corrections(&self) -> Vec<Correction> {
        lock(&self.corrections).clone()
    }

    fn read_raw(&self, pgno: u32) -> Result<Vec<u8>> {
        let off = (u64::from(pgno) + 1) * self.page_size as u64;
        match &self.source {
            Source::Memory(b) => {
                let start = usize::try_from(off).map_err(|_| Error::PageBeyondEof { pgno })?;
                b.get(start..start + self.page_size)
                    .map(<[u8]>::to_vec)
                    .ok_or(Error::PageBeyondEof { pgno })
            }
            Source::File(f) => {
                let mut f = lock(f);
                f.seek(SeekFrom::Start(off))?;
                let mut buf = vec![0u8; self.page_size];
                f.read_exact(&mut buf)?;
                Ok(buf)
            }
        }
    }

    /// Read logical page `pgno`, verify (and if need be repair) its checksum, decode it.
    pub fn read(&self, pgno: u32) -> Result<Arc<Page>> {
        if pgno == 0 || pgno > self.page_count {
            return Err(Error::PageBeyondEof { pgno });
        }
        if let Some(p) = lock(&self.cache).get(&pgno) {
            return Ok(Arc::clone(p));
        }
        let mut raw = self.read_raw(pgno)?;
        if raw.iter().all(|&b| b == 0) {
            return Err(Error::PageNotInitialized { pgno });
        }
        if let ChecksumOutcome::Corrected(bits) = verify_page(&mut raw, pgno)? {
            let mut c = lock(&self.corrections);
            c.extend(bits.into_iter().map(|bit| Correction { pgno, bit }));
        }
        let page = Arc::new(Page::decode(pgno, raw)?);
        let mut cache = lock(&self.cache);
        if cache.len() >= PAGE_CACHE_MAX {
            cache.clear();
        }
        cache.insert(pgno, Arc::clone(&page));
        Ok(page)
    }
}
