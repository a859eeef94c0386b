//! The database header (physical page 0) and its shadow copy (physical page 1).
//!
//! ```text
//!  off  size  field
//!    0     4  XOR checksum of the whole header page (seed 0x89ABCDEF)
//!    4     4  signature 0x89ABCDEF
//!    8     4  format version (0x620)
//!   16     8  dbtime
//!   24    28  database signature (random, LOGTIME, computer name)
//!   52     4  state (1 just created, 2 dirty, 3 clean, ...)
//!   56     8  LGPOS of last consistency      64  LOGTIME of it
//!  108    28  log signature
//!  212     4  objidLast     216..228 OS version
//!  232     4  format revision (update-major)   236  page size
//!  296/300    lowest / highest log generation required
//!  340/344    version / revision at creation   644  update-minor
//!  648     4  highest engine format version that attached it
//!  667     1  file type (1 = database)
//! ```

use crate::checksum::xor_checksum;
use crate::error::{Error, Result};

/// The header signature at offset 4.
pub const HEADER_MAGIC: u32 = 0x89AB_CDEF;
/// The size of the header structure the reader needs (the rest of the page is zero).
pub const HEADER_MIN_BYTES: usize = 672;
/// File type value at offset 667 for a database.
pub const FILE_TYPE_DATABASE: u8 = 1;

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

/// A LOGTIME: a calendar time with one-second resolution plus milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LogTime {
    /// Year (full, e.g. 2022).
    pub year: u16,
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month.
    pub day: u8,
    /// Hour.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second.
    pub second: u8,
    /// Milliseconds.
    pub millis: u16,
    /// Whether the time is UTC.
    pub is_utc: bool,
}

impl LogTime {
    /// Decode the 8-byte LOGTIME at the start of `b` (which must be at least 8 bytes).
    pub fn decode(b: &[u8]) -> LogTime {
        LogTime {
            second: b[0],
            minute: b[1],
            hour: b[2],
            day: b[3],
            month: b[4],
            year: 1900 + u16::from(b[5]),
            is_utc: b[6] & 1 != 0,
            millis: u16::from(b[6] >> 1) | (u16::from((b[7] >> 1) & 7) << 7),
        }
    }

    /// Whether every field is zero (an unset time).
    pub fn is_zero(&self) -> bool {
        self.month == 0 && self.day == 0 && self.year == 1900
    }
}

impl std::fmt::Display for LogTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}{}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.millis,
            if self.is_utc { " UTC" } else { "" }
        )
    }
}

/// The database state at header offset 52.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbState {
    /// 1: just created.
    JustCreated,
    /// 2: not shut down cleanly; logs are needed to make it consistent.
    DirtyShutdown,
    /// 3: shut down cleanly.
    CleanShutdown,
    /// 4: being converted.
    BeingConverted,
    /// 5: force-detached.
    ForceDetach,
    /// Any other value.
    Other(u32),
}

impl DbState {
    fn from_u32(v: u32) -> DbState {
        match v {
            1 => DbState::JustCreated,
            2 => DbState::DirtyShutdown,
            3 => DbState::CleanShutdown,
            4 => DbState::BeingConverted,
            5 => DbState::ForceDetach,
            v => DbState::Other(v),
        }
    }
}

/// The fields of the database header that a reader uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbHeader {
    /// The stored header checksum.
    pub checksum: u32,
    /// Format version (0x620 for every modern file).
    pub format_version: u32,
    /// Format revision (ESE's update-major), e.g. 0x14, 0x6E, 0x12C.
    pub format_revision: u32,
    /// ESE's update-minor.
    pub update_minor: u32,
    /// The page size in bytes.
    pub page_size: u32,
    /// The database state.
    pub state: DbState,
    /// The highest dbtime stamped on any page.
    pub dbtime: u64,
    /// The random part of the database signature.
    pub signature_random: u32,
    /// When the database was created.
    pub created: LogTime,
    /// Whether the log signature is all zero (the database was made with logging off).
    pub log_signature_is_zero: bool,
    /// The highest object id handed out.
    pub objid_last: u32,
    /// OS major, minor, build, service pack at the last index update.
    pub os_version: (u32, u32, u32, u32),
    /// Lowest and highest log generation required to recover (both 0 when clean).
    pub gen_required: (u32, u32),
    /// Version and revision when the database was created.
    pub created_as: (u32, u32),
    /// The highest engine format version that attached this database.
    pub efv_max: u32,
    /// Whether the shadow copy (physical page 1) is byte-identical to the header.
    pub shadow_matches: bool,
    /// Whether the header's checksum was bad and the shadow's was used instead.
    pub used_shadow: bool,
}

impl DbHeader {
    /// Decode one header page (its length is the page size it claims or more), checking magic,
    /// file type and checksum.
    pub fn decode_page(page: &[u8]) -> Result<DbHeader> {
        if page.len() < HEADER_MIN_BYTES {
            return Err(Error::NotDatabase("file shorter than a header".into()));
        }
        if u32_at(page, 4) != HEADER_MAGIC {
            return Err(Error::NotDatabase("bad header signature".into()));
        }
        if page[667] != FILE_TYPE_DATABASE {
            return Err(Error::NotDatabase(format!(
                "file type {} is not a database",
                page[667]
            )));
        }
        let page_size = match u32_at(page, 236) {
            0 => 4096,
            s => s,
        };
        if page_size == 2048 {
            return Err(Error::Unsupported("2 KiB pages".into()));
        }
        if !ese_core::limits::PAGE_SIZES_BYTES.contains(&(page_size as usize)) {
            return Err(Error::NotDatabase(format!("page size {page_size}")));
        }
        let block = page
            .get(..page_size as usize)
            .ok_or_else(|| Error::NotDatabase("file shorter than one page".into()))?;
        let stored = u32_at(page, 0);
        let computed = xor_checksum(block);
        if stored != computed {
            return Err(Error::HeaderChecksum { stored, computed });
        }
        Ok(DbHeader {
            checksum: stored,
            format_version: u32_at(page, 8),
            format_revision: u32_at(page, 232),
            update_minor: u32_at(page, 644),
            page_size,
            state: DbState::from_u32(u32_at(page, 52)),
            dbtime: u64_at(page, 16),
            signature_random: u32_at(page, 24),
            created: LogTime::decode(&page[28..36]),
            log_signature_is_zero: page[108..136].iter().all(|&b| b == 0),
            objid_last: u32_at(page, 212),
            os_version: (
                u32_at(page, 216),
                u32_at(page, 220),
                u32_at(page, 224),
                u32_at(page, 228),
            ),
            gen_required: (u32_at(page, 296), u32_at(page, 300)),
            created_as: (u32_at(page, 340), u32_at(page, 344)),
            efv_max: u32_at(page, 648),
            shadow_matches: false,
            used_shadow: false,
        })
    }

    /// Decode the header from the start of a file: try physical page 0, fall back to the shadow
    /// in physical page 1, and record whether the two agree.
    pub fn decode_file_start(bytes: &[u8]) -> Result<DbHeader> {
        match DbHeader::decode_page(bytes) {
            Ok(mut h) => {
                let ps = h.page_size as usize;
                h.shadow_matches = bytes.get(ps..2 * ps) == bytes.get(..ps);
                Ok(h)
            }
            Err(first) => {
                // The header's own page size is untrusted, so try each legal size for the shadow.
                for ps in ese_core::limits::PAGE_SIZES_BYTES {
                    if let Some(shadow) = bytes.get(ps..2 * ps)
                        && let Ok(mut h) = DbHeader::decode_page(shadow)
                        && h.page_size as usize == ps
                    {
                        h.used_shadow = true;
                        return Ok(h);
                    }
                }
                Err(first)
            }
        }
    }

    /// Whether the database was shut down cleanly.
    pub fn is_clean(&self) -> bool {
        self.state == DbState::CleanShutdown
    }

    /// Whether pages use the 80-byte large-page header (16 and 32 KiB pages).
    pub fn is_large_pages(&self) -> bool {
        self.page_size > 8192
    }
}
