//! The database file header, kept twice so that a torn header write is survivable.
//!
//! # File layout
//!
//! A database file is an array of page-sized slots. Slot 0 holds the header, slot 1 an
//! identical shadow copy, and database page `n` (n >= 1) lives in slot `n + 1`, so its offset is
//! `(n + 1) * page_size` ([`page_offset`]). This is ESE's layout.
//!
//! ```text
//!  0            page_size      2*page_size    3*page_size
//!  +------------+--------------+--------------+--------------+---
//!  | header     | shadow       | page 1       | page 2       | ...
//!  +------------+--------------+--------------+--------------+---
//! ```
//!
//! # The record
//!
//! The header itself is a 512-byte record at the start of its slot; the rest of the slot is
//! zero. One sector is the unit the storage is most likely to write whole, and a fixed size lets
//! a reader decode it before it knows the page size.
//!
//! ```text
//!  off  size  field
//!    0     4  checksum: crc32c of bytes 4..512
//!    4     8  magic "ESERSDB\0"
//!   12     4  format version (1)
//!   16     4  page size in bytes: 4096, 8192, 16384 or 32768
//!   20     4  state: 1 just created, 2 dirty shutdown, 3 clean shutdown (ESE's values)
//!   24     8  dbtime: the highest dbtime stamped on any page
//!   32    16  creation signature: u64 random, u64 creation time (unix microseconds)
//!   48    16  log signature: the log stream this database belongs to (zero if none)
//!   64     8  lgpos last consistent: u32 generation, u16 sector, u16 byte
//!   72     8  lgpos last attach (same layout)
//!   80     4  lowest log generation recovery needs (0 when clean)
//!   84     4  highest log generation recovery needs (0 when clean)
//!   88     4  objid last: the highest object id handed out
//!   92   420  reserved, written as zero, ignored when read
//! ```
//!
//! # Writing and reading both copies
//!
//! [`write_header`] writes the primary, syncs, then writes the shadow and syncs. Whenever the
//! power fails, at least one copy is intact: while the primary is being written the shadow
//! still holds the previous header, and once the primary is durable it holds the new one. So the
//! primary, when valid, is never older than the shadow. [`read_header`] takes the primary if it
//! verifies and otherwise falls back to the shadow, and reports when the two disagree so that
//! the caller can rewrite them.

use std::fmt;
use std::io;

use ese_core::limits::{PAGE_SIZES_BYTES, is_valid_page_size};
use ese_core::{Dbtime, Lgpos, Pgno};

use crate::storage::Storage;

/// Size of the header record at the start of each header slot.
pub const HEADER_RECORD_BYTES: usize = 512;
/// The magic bytes that identify an ese-rs database file.
pub const MAGIC: [u8; 8] = *b"ESERSDB\0";
/// The format version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Byte offset of the checksum (u32).
pub const CHECKSUM_OFFSET: usize = 0;
/// Byte offset of the magic (8 bytes).
pub const MAGIC_OFFSET: usize = 4;
/// Byte offset of the format version (u32).
pub const VERSION_OFFSET: usize = 12;
/// Byte offset of the page size (u32).
pub const PAGE_SIZE_OFFSET: usize = 16;
/// Byte offset of the database state (u32).
pub const STATE_OFFSET: usize = 20;
/// Byte offset of the dbtime (u64).
pub const DBTIME_OFFSET: usize = 24;
/// Byte offset of the creation signature (16 bytes).
pub const SIGNATURE_OFFSET: usize = 32;
/// Byte offset of the log signature (16 bytes).
pub const LOG_SIGNATURE_OFFSET: usize = 48;
/// Byte offset of the last consistent log position (8 bytes).
pub const LGPOS_CONSISTENT_OFFSET: usize = 64;
/// Byte offset of the last attach log position (8 bytes).
pub const LGPOS_ATTACH_OFFSET: usize = 72;
/// Byte offset of the lowest log generation recovery needs (u32).
pub const GEN_MIN_REQUIRED_OFFSET: usize = 80;
/// Byte offset of the highest log generation recovery needs (u32).
pub const GEN_MAX_REQUIRED_OFFSET: usize = 84;
/// Byte offset of the highest object id handed out (u32).
pub const OBJID_LAST_OFFSET: usize = 88;
/// Byte offset of the first reserved byte.
pub const RESERVED_OFFSET: usize = 92;

const _: () = assert!(RESERVED_OFFSET <= HEADER_RECORD_BYTES);
const _: () = assert!(HEADER_RECORD_BYTES == ese_core::limits::SECTOR_BYTES);
const _: () = assert!(HEADER_RECORD_BYTES <= ese_core::limits::PAGE_SIZE_MIN_BYTES);

/// The byte offset of page `pgno` in a database file of `page_size`-byte pages.
pub const fn page_offset(pgno: Pgno, page_size: usize) -> u64 {
    (pgno.0 as u64 + 1) * page_size as u64
}

/// The state of a database (ESE's dbstate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DbState {
    /// Created, and never shut down.
    JustCreated,
    /// In use or not shut down cleanly: recovery must replay the log.
    DirtyShutdown,
    /// Shut down cleanly: consistent without the log.
    CleanShutdown,
}

impl DbState {
    /// ESE's on-disk value for the state.
    pub const fn to_u32(self) -> u32 {
        match self {
            DbState::JustCreated => 1,
            DbState::DirtyShutdown => 2,
            DbState::CleanShutdown => 3,
        }
    }

    /// The state for an on-disk value, if it is one.
    pub const fn from_u32(v: u32) -> Option<DbState> {
        match v {
            1 => Some(DbState::JustCreated),
            2 => Some(DbState::DirtyShutdown),
            3 => Some(DbState::CleanShutdown),
            _ => None,
        }
    }
}

/// A signature: a random number and a creation time, which together name one database or one
/// log stream (ESE's SIGNATURE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Signature {
    /// A random number chosen at creation.
    pub random: u64,
    /// The creation time, in microseconds since the Unix epoch.
    pub created_unix_micros: u64,
}

impl Signature {
    /// No signature (a database created without a log has an all-zero log signature).
    pub const NONE: Signature = Signature {
        random: 0,
        created_unix_micros: 0,
    };
}

/// The database file header (ESE's DBFILEHDR, the parts ese-rs uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbHeader {
    /// The page size in bytes, chosen when the database was created.
    pub page_size: u32,
    /// Whether the database is consistent.
    pub state: DbState,
    /// The highest dbtime stamped on any page.
    pub dbtime: Dbtime,
    /// The database's creation signature.
    pub signature: Signature,
    /// The signature of the log stream the database belongs to.
    pub log_signature: Signature,
    /// Where in the log the database was last made consistent.
    pub lgpos_consistent: Lgpos,
    /// Where in the log the database was last attached.
    pub lgpos_attach: Lgpos,
    /// The lowest log generation recovery needs (0 when clean).
    pub gen_min_required: u32,
    /// The highest log generation recovery needs (0 when clean).
    pub gen_max_required: u32,
    /// The highest object id handed out.
    pub objid_last: u32,
}

impl DbHeader {
    /// The header of a database just created with `page_size`-byte pages.
    pub fn new(page_size: u32, signature: Signature) -> Self {
        Self {
            page_size,
            state: DbState::JustCreated,
            dbtime: Dbtime::START,
            signature,
            log_signature: Signature::NONE,
            lgpos_consistent: Lgpos::MIN,
            lgpos_attach: Lgpos::MIN,
            gen_min_required: 0,
            gen_max_required: 0,
            objid_last: 0,
        }
    }

    /// Writes the record, with its checksum, into `buf[..512]` and zeros the rest of `buf`, so
    /// that a whole header slot can be encoded at once.
    pub fn encode(&self, buf: &mut [u8]) -> Result<(), HeaderError> {
        if buf.len() < HEADER_RECORD_BYTES {
            return Err(HeaderError::TooShort { len: buf.len() });
        }
        buf.fill(0);
        let put = |buf: &mut [u8], at: usize, bytes: &[u8]| {
            buf[at..at + bytes.len()].copy_from_slice(bytes);
        };
        put(buf, MAGIC_OFFSET, &MAGIC);
        put(buf, VERSION_OFFSET, &FORMAT_VERSION.to_le_bytes());
        put(buf, PAGE_SIZE_OFFSET, &self.page_size.to_le_bytes());
        put(buf, STATE_OFFSET, &self.state.to_u32().to_le_bytes());
        put(buf, DBTIME_OFFSET, &self.dbtime.0.to_le_bytes());
        for (at, sig) in [
            (SIGNATURE_OFFSET, self.signature),
            (LOG_SIGNATURE_OFFSET, self.log_signature),
        ] {
            put(buf, at, &sig.random.to_le_bytes());
            put(buf, at + 8, &sig.created_unix_micros.to_le_bytes());
        }
        for (at, lgpos) in [
            (LGPOS_CONSISTENT_OFFSET, self.lgpos_consistent),
            (LGPOS_ATTACH_OFFSET, self.lgpos_attach),
        ] {
            put(buf, at, &lgpos.generation.to_le_bytes());
            put(buf, at + 4, &lgpos.sector.to_le_bytes());
            put(buf, at + 6, &lgpos.offset.to_le_bytes());
        }
        put(
            buf,
            GEN_MIN_REQUIRED_OFFSET,
            &self.gen_min_required.to_le_bytes(),
        );
        put(
            buf,
            GEN_MAX_REQUIRED_OFFSET,
            &self.gen_max_required.to_le_bytes(),
        );
        put(buf, OBJID_LAST_OFFSET, &self.objid_last.to_le_bytes());
        let sum = crc32c::crc32c(&buf[CHECKSUM_OFFSET + 4..HEADER_RECORD_BYTES]);
        put(buf, CHECKSUM_OFFSET, &sum.to_le_bytes());
        Ok(())
    }

    /// Decodes and verifies a record from the first 512 bytes of `buf`; never panics.
    pub fn decode(buf: &[u8]) -> Result<DbHeader, HeaderError> {
        let Some(rec) = buf.get(..HEADER_RECORD_BYTES) else {
            return Err(HeaderError::TooShort { len: buf.len() });
        };
        if rec.iter().all(|&b| b == 0) {
            return Err(HeaderError::Uninitialized);
        }
        let u16_at = |at: usize| u16::from_le_bytes([rec[at], rec[at + 1]]);
        let u32_at =
            |at: usize| u32::from_le_bytes([rec[at], rec[at + 1], rec[at + 2], rec[at + 3]]);
        let u64_at = |at: usize| u64::from(u32_at(at)) | (u64::from(u32_at(at + 4)) << 32);
        let stored = u32_at(CHECKSUM_OFFSET);
        let computed = crc32c::crc32c(&rec[CHECKSUM_OFFSET + 4..]);
        if stored != computed {
            return Err(HeaderError::ChecksumMismatch { stored, computed });
        }
        if rec[MAGIC_OFFSET..MAGIC_OFFSET + 8] != MAGIC {
            return Err(HeaderError::BadMagic);
        }
        let version = u32_at(VERSION_OFFSET);
        if version != FORMAT_VERSION {
            return Err(HeaderError::UnsupportedVersion { version });
        }
        let page_size = u32_at(PAGE_SIZE_OFFSET);
        if !is_valid_page_size(page_size as usize) {
            return Err(HeaderError::BadPageSize { page_size });
        }
        let state_value = u32_at(STATE_OFFSET);
        let state =
            DbState::from_u32(state_value).ok_or(HeaderError::BadState { value: state_value })?;
        let sig = |at: usize| Signature {
            random: u64_at(at),
            created_unix_micros: u64_at(at + 8),
        };
        let lgpos = |at: usize| Lgpos::new(u32_at(at), u16_at(at + 4), u16_at(at + 6));
        Ok(DbHeader {
            page_size,
            state,
            dbtime: Dbtime(u64_at(DBTIME_OFFSET)),
            signature: sig(SIGNATURE_OFFSET),
            log_signature: sig(LOG_SIGNATURE_OFFSET),
            lgpos_consistent: lgpos(LGPOS_CONSISTENT_OFFSET),
            lgpos_attach: lgpos(LGPOS_ATTACH_OFFSET),
            gen_min_required: u32_at(GEN_MIN_REQUIRED_OFFSET),
            gen_max_required: u32_at(GEN_MAX_REQUIRED_OFFSET),
            objid_last: u32_at(OBJID_LAST_OFFSET),
        })
    }
}

/// Why a header copy could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum HeaderError {
    /// Fewer than 512 bytes were available.
    TooShort {
        /// The bytes available.
        len: usize,
    },
    /// The record is all zeros: never written.
    Uninitialized,
    /// The checksum does not match: the record is torn or corrupt.
    ChecksumMismatch {
        /// The checksum stored in the record.
        stored: u32,
        /// The checksum of the contents.
        computed: u32,
    },
    /// The record does not start with [`MAGIC`]: this is not an ese-rs database.
    BadMagic,
    /// The format version is not [`FORMAT_VERSION`].
    UnsupportedVersion {
        /// The version found.
        version: u32,
    },
    /// The page size is not 4, 8, 16 or 32 KiB.
    BadPageSize {
        /// The page size found.
        page_size: u32,
    },
    /// The state is not one of [`DbState`]'s values.
    BadState {
        /// The value found.
        value: u32,
    },
    /// The page size is fine but does not match the slot the copy was found in, or the page
    /// size the caller expected.
    PageSizeMismatch {
        /// The page size found in the record.
        found: u32,
        /// The page size expected.
        expected: u32,
    },
    /// Neither the primary nor the shadow copy is usable.
    BothCopiesBad {
        /// Why the primary was rejected.
        primary: Box<HeaderError>,
        /// Why the shadow was rejected.
        shadow: Box<HeaderError>,
    },
    /// Reading or writing the storage failed.
    Io(io::Error),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::TooShort { len } => {
                write!(f, "database header: only {len} bytes, a header needs 512")
            }
            HeaderError::Uninitialized => {
                f.write_str("database header is uninitialized (all zero)")
            }
            HeaderError::ChecksumMismatch { stored, computed } => write!(
                f,
                "database header fails its checksum (stored {stored:#010x}, computed {computed:#010x})"
            ),
            HeaderError::BadMagic => {
                f.write_str("database header has a bad magic: not an ese-rs database")
            }
            HeaderError::UnsupportedVersion { version } => {
                write!(
                    f,
                    "database header has unsupported format version {version}"
                )
            }
            HeaderError::BadPageSize { page_size } => {
                write!(f, "database header has invalid page size {page_size}")
            }
            HeaderError::BadState { value } => {
                write!(f, "database header has invalid state {value}")
            }
            HeaderError::PageSizeMismatch { found, expected } => write!(
                f,
                "database header has page size {found} where {expected} was expected"
            ),
            HeaderError::BothCopiesBad { primary, shadow } => write!(
                f,
                "both database header copies are bad: primary: {primary}; shadow: {shadow}"
            ),
            HeaderError::Io(e) => write!(f, "database header I/O failed: {e}"),
        }
    }
}

impl std::error::Error for HeaderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HeaderError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for HeaderError {
    fn from(e: io::Error) -> Self {
        HeaderError::Io(e)
    }
}

/// Which copy of the header a read used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderCopy {
    /// The primary, in slot 0.
    Primary,
    /// The shadow, in slot 1.
    Shadow,
}

/// The outcome of [`read_header`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderRead {
    /// The header.
    pub header: DbHeader,
    /// The copy it came from.
    pub copy: HeaderCopy,
    /// Whether the copies are not both valid and equal, so the caller should rewrite them with
    /// [`write_header`].
    pub needs_repair: bool,
}

/// Writes both copies of `header`: the primary, a sync, the shadow, a sync (see the module
/// documentation for why that order survives a crash at any point).
pub fn write_header(storage: &dyn Storage, header: &DbHeader) -> Result<(), HeaderError> {
    let size = header.page_size as usize;
    if !is_valid_page_size(size) {
        return Err(HeaderError::BadPageSize {
            page_size: header.page_size,
        });
    }
    let mut slot = vec![0u8; size];
    header.encode(&mut slot)?;
    storage.write_at(0, &slot)?;
    storage.sync()?;
    storage.write_at(size as u64, &slot)?;
    storage.sync()?;
    Ok(())
}

fn read_copy(storage: &dyn Storage, offset: u64) -> Result<DbHeader, HeaderError> {
    let len = storage.len()?;
    let available = len.saturating_sub(offset).min(HEADER_RECORD_BYTES as u64) as usize;
    if available < HEADER_RECORD_BYTES {
        return Err(HeaderError::TooShort { len: available });
    }
    let mut rec = vec![0u8; available];
    storage.read_at(offset, &mut rec)?;
    DbHeader::decode(&rec)
}

/// The shadow copy: in slot 1 of the primary's page size when that is known, otherwise
/// wherever one of the page sizes puts slot 1 and the record there agrees.
fn read_shadow(storage: &dyn Storage, page_size: Option<u32>) -> Result<DbHeader, HeaderError> {
    let check = |h: DbHeader, expected: u32| {
        if h.page_size == expected {
            Ok(h)
        } else {
            Err(HeaderError::PageSizeMismatch {
                found: h.page_size,
                expected,
            })
        }
    };
    if let Some(size) = page_size {
        return read_copy(storage, u64::from(size)).and_then(|h| check(h, size));
    }
    let mut first_err = None;
    for size in PAGE_SIZES_BYTES {
        match read_copy(storage, size as u64).and_then(|h| check(h, size as u32)) {
            Ok(h) => return Ok(h),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or(HeaderError::Uninitialized))
}

/// Reads the header: the primary if it verifies, otherwise the shadow.
pub fn read_header(storage: &dyn Storage) -> Result<HeaderRead, HeaderError> {
    match read_copy(storage, 0) {
        Ok(primary) => {
            let shadow = read_shadow(storage, Some(primary.page_size));
            let needs_repair = !matches!(shadow, Ok(s) if s == primary);
            Ok(HeaderRead {
                header: primary,
                copy: HeaderCopy::Primary,
                needs_repair,
            })
        }
        Err(HeaderError::Io(e)) => Err(HeaderError::Io(e)),
        Err(primary_err) => match read_shadow(storage, None) {
            Ok(shadow) => Ok(HeaderRead {
                header: shadow,
                copy: HeaderCopy::Shadow,
                needs_repair: true,
            }),
            Err(shadow_err) => Err(HeaderError::BothCopiesBad {
                primary: Box::new(primary_err),
                shadow: Box::new(shadow_err),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crash::CrashStorage;
    use crate::storage::MemStorage;

    fn sample(page_size: u32) -> DbHeader {
        DbHeader {
            page_size,
            state: DbState::DirtyShutdown,
            dbtime: Dbtime(0x0102_0304_0506_0708),
            signature: Signature {
                random: 0xdead_beef_cafe_f00d,
                created_unix_micros: 1_700_000_000_000_000,
            },
            log_signature: Signature {
                random: 7,
                created_unix_micros: 8,
            },
            lgpos_consistent: Lgpos::new(3, 4, 5),
            lgpos_attach: Lgpos::new(6, 7, 8),
            gen_min_required: 3,
            gen_max_required: 9,
            objid_last: 1234,
        }
    }

    #[test]
    fn encode_decode_round_trip_and_layout() {
        let h = sample(8192);
        let mut slot = vec![0xffu8; 8192];
        h.encode(&mut slot).unwrap();
        assert!(slot[HEADER_RECORD_BYTES..].iter().all(|&b| b == 0));
        assert_eq!(&slot[MAGIC_OFFSET..MAGIC_OFFSET + 8], b"ESERSDB\0");
        assert_eq!(
            slot[PAGE_SIZE_OFFSET..PAGE_SIZE_OFFSET + 4],
            8192u32.to_le_bytes()
        );
        assert_eq!(slot[STATE_OFFSET], 2);
        assert_eq!(slot[LGPOS_CONSISTENT_OFFSET], 3);
        assert_eq!(slot[LGPOS_CONSISTENT_OFFSET + 4], 4);
        assert_eq!(slot[LGPOS_CONSISTENT_OFFSET + 6], 5);
        assert_eq!(DbHeader::decode(&slot).unwrap(), h);
        assert_eq!(DbHeader::decode(&slot[..512]).unwrap(), h);
        let fresh = DbHeader::new(4096, h.signature);
        let mut rec = [0u8; 512];
        fresh.encode(&mut rec).unwrap();
        assert_eq!(DbHeader::decode(&rec).unwrap().state, DbState::JustCreated);
    }

    #[test]
    fn decode_rejects_each_kind_of_damage() {
        let mut good = [0u8; 512];
        sample(4096).encode(&mut good).unwrap();
        let reseal = |r: &mut [u8; 512]| {
            let sum = crc32c::crc32c(&r[4..]);
            r[..4].copy_from_slice(&sum.to_le_bytes());
        };
        let mut cases: Vec<([u8; 512], &str)> = Vec::new();
        let mut r = good;
        r[100] ^= 1;
        cases.push((r, "fails its checksum"));
        let mut r = good;
        r[MAGIC_OFFSET] = b'X';
        reseal(&mut r);
        cases.push((r, "bad magic"));
        let mut r = good;
        r[VERSION_OFFSET] = 2;
        reseal(&mut r);
        cases.push((r, "unsupported format version 2"));
        let mut r = good;
        r[PAGE_SIZE_OFFSET + 1] = 0x11;
        reseal(&mut r);
        cases.push((r, "invalid page size"));
        let mut r = good;
        r[STATE_OFFSET] = 9;
        reseal(&mut r);
        cases.push((r, "invalid state 9"));
        cases.push(([0u8; 512], "uninitialized"));
        for (rec, what) in cases {
            let err = DbHeader::decode(&rec).unwrap_err();
            assert!(err.to_string().contains(what), "{what}: {err}");
        }
        assert!(matches!(
            DbHeader::decode(&good[..511]),
            Err(HeaderError::TooShort { len: 511 })
        ));
        assert!(sample(4096).encode(&mut [0u8; 100]).is_err());
    }

    #[test]
    fn both_copies_are_written_and_a_torn_primary_falls_back_to_the_shadow() {
        for size in PAGE_SIZES_BYTES {
            let disk = MemStorage::new();
            let h = sample(size as u32);
            write_header(&disk, &h).unwrap();
            let bytes = disk.to_bytes();
            assert_eq!(bytes.len(), 2 * size);
            assert_eq!(bytes[..size], bytes[size..], "shadow is identical");
            assert_eq!(
                read_header(&disk).unwrap(),
                HeaderRead {
                    header: h,
                    copy: HeaderCopy::Primary,
                    needs_repair: false
                }
            );
            // Tear the primary inside its first sector: the new bytes reached only half of it.
            disk.write_at(200, &[0x5a; 100]).unwrap();
            let r = read_header(&disk).unwrap();
            assert_eq!(
                (r.header, r.copy, r.needs_repair),
                (h, HeaderCopy::Shadow, true)
            );
            // Repair rewrites both copies.
            write_header(&disk, &r.header).unwrap();
            assert!(!read_header(&disk).unwrap().needs_repair);
            // A bad shadow under a good primary is reported for repair too.
            disk.write_at(size as u64 + 10, &[1]).unwrap();
            let r = read_header(&disk).unwrap();
            assert_eq!((r.copy, r.needs_repair), (HeaderCopy::Primary, true));
            // Both bad: the error says why for each.
            disk.write_at(10, &[1]).unwrap();
            let err = read_header(&disk).unwrap_err();
            assert!(matches!(err, HeaderError::BothCopiesBad { .. }), "{err}");
            assert!(
                err.to_string()
                    .contains("primary: database header fails its checksum")
            );
        }
        let empty = MemStorage::new();
        assert!(matches!(
            read_header(&empty),
            Err(HeaderError::BothCopiesBad { .. })
        ));
    }

    #[test]
    fn a_header_update_survives_a_crash_at_every_point() {
        let disk = CrashStorage::new();
        let old = sample(8192);
        write_header(&disk, &old).unwrap();
        let start = disk.op_count();
        let new = DbHeader {
            state: DbState::CleanShutdown,
            dbtime: Dbtime(99),
            ..old
        };
        write_header(&disk, &new).unwrap();
        let end = disk.op_count();
        let mut seen_old = false;
        for ops in start..=end {
            for seed in 0..64 {
                let image = disk.crash_image_at(ops, seed);
                let r =
                    read_header(&image).unwrap_or_else(|e| panic!("cut {ops} seed {seed}: {e}"));
                assert!(r.header == old || r.header == new, "cut {ops} seed {seed}");
                if ops == end {
                    assert_eq!(r.header, new, "a completed write_header is durable");
                }
                seen_old |= r.header == old;
            }
        }
        assert!(seen_old);
    }

    #[test]
    fn a_short_primary_write_or_failed_sync_is_reported_and_survivable() {
        use crate::faulty::{FaultyStorage, is_injected};
        use std::sync::Arc;
        let mem = Arc::new(MemStorage::new());
        let old = sample(4096);
        write_header(&*mem, &old).unwrap();
        let new = DbHeader {
            dbtime: Dbtime(5),
            ..old
        };
        // The primary write stops after 20 bytes, before the new dbtime: the primary is torn
        // (new checksum, old contents), the shadow is old. (A prefix of 92 bytes or more would
        // carry every field, and the primary would be whole.)
        let disk = FaultyStorage::new(mem.clone()).short_write(0, 20);
        let HeaderError::Io(e) = write_header(&disk, &new).unwrap_err() else {
            panic!("expected an I/O error");
        };
        assert!(is_injected(&e));
        let r = read_header(&*mem).unwrap();
        assert_eq!((r.header, r.copy), (old, HeaderCopy::Shadow));
        // The first sync fails: write_header stops before touching the shadow.
        let disk = FaultyStorage::new(mem.clone()).fail_sync(0);
        assert!(write_header(&disk, &new).is_err());
        assert_eq!(disk.count(crate::faulty::FaultOp::Write), 1);
        assert_eq!(read_header(&*mem).unwrap().header, new);
        assert!(read_header(&*mem).unwrap().needs_repair);
    }

    #[test]
    fn page_offsets_follow_the_two_header_slots() {
        assert_eq!(page_offset(Pgno(1), 8192), 2 * 8192);
        assert_eq!(page_offset(Pgno(10), 4096), 11 * 4096);
        assert_eq!(page_offset(Pgno::MAX, 32768), (0x7fff_ffffu64 + 1) * 32768);
    }
}
