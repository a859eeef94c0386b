//! The byte layout of log files: the file header, the sector header, and file names.
//!
//! A log file has a fixed size, a whole number of 512-byte sectors. Sector 0 is the file
//! header; every later sector carries a 24-byte sector header and 488 bytes of record stream.
//!
//! ```text
//!   file:    | header (sector 0) | sector 1 | sector 2 | ... | sector n-1 |
//!
//!   header:  0 crc32c of bytes 4..512        4 magic "ESERSLG1"     12 version u32
//!           16 generation u32               20 file_sectors u32    24 log signature [16]
//!           40 prev_last_crc u32            44 reserved u32 (0)    48 created_unix_nanos u64
//!           56 six attachment slots: db u32 (u32::MAX = empty), db signature [16]
//!          176 zero to the end of the sector
//!
//!   sector:  0 crc32c of bytes 4..512        4 generation u32        8 sector u16
//!           10 used_end u16                 12 flush_first u16      14 flush_last u16
//!           16 epoch u32                    20 prev_crc u32         24 records ... | zeros |
//! ```
//!
//! * `used_end` is where the record bytes of the sector end; the rest is zero. A flush seals
//!   its last sector, so the next flush starts on a fresh sector and no durable sector is ever
//!   rewritten.
//! * `flush_first..=flush_last` are the sectors of this file written by the same flush (one
//!   write, one sync). The reader accepts a flush only when all of its sectors are valid.
//! * `epoch` is bumped every time the log is opened, and `prev_crc` is the checksum of the
//!   sector before (the header's for sector 1). Together they chain each sector to the one
//!   before it, so a stale sector left behind by an earlier, crashed run can never pass for a
//!   continuation of the new one.
//! * `prev_last_crc` in a header is the checksum of the previous generation's last sector,
//!   which links the files of a stream.
//!
//! Every integer is little-endian. A log position (Lgpos) names generation, sector and byte
//! offset within the sector; a record's position is that of the first byte of its frame.

use ese_core::Lgpos;
use ese_core::limits::SECTOR_BYTES;

use crate::record::RECORD_MAX_BYTES;

/// The bytes of a sector header.
pub const SECTOR_HEADER_BYTES: usize = 24;
/// The record bytes one sector carries.
pub const SECTOR_PAYLOAD_BYTES: usize = SECTOR_BYTES - SECTOR_HEADER_BYTES;
/// The magic number at byte 4 of every log file header.
pub const MAGIC: [u8; 8] = *b"ESERSLG1";
/// The version of this format.
pub const FORMAT_VERSION: u32 = 2;
/// The smallest log file tests may configure: a header and seven data sectors.
pub const FILE_SECTORS_MIN: u32 = 8;
/// The largest log file (JET_paramLogFileSize maximum, 32768 KiB); its last sector number still
/// fits the `u16` sector of an Lgpos.
pub const FILE_BYTES_MAX: u64 = 32768 * 1024;
/// The smallest log file a production configuration may use (JET_paramLogFileSize minimum).
pub const FILE_BYTES_MIN_PRODUCTION: u64 = 64 * 1024;
/// ESE's default log file size (JET_paramLogFileSize default, 5120 KiB).
pub const FILE_BYTES_DEFAULT: u64 = 5120 * 1024;
/// The largest generation ESE hands out before JET_errLogSequenceEnd.
pub const GENERATION_MAX: u32 = 0x7FFF_F000;
/// Attachment slots in a header: ESE's six user databases.
pub const ATTACHMENT_SLOTS: usize = 6;

const _: () = assert!(FILE_BYTES_MAX / SECTOR_BYTES as u64 - 1 <= u16::MAX as u64);
const _: () = assert!(SECTOR_BYTES <= u16::MAX as usize);
const _: () = assert!(56 + ATTACHMENT_SLOTS * 20 <= SECTOR_BYTES);
const _: () = assert!(FILE_BYTES_DEFAULT % SECTOR_BYTES as u64 == 0);
const _: () = assert!(RECORD_MAX_BYTES < FILE_BYTES_DEFAULT as usize);

/// The checksum of a sector: crc32c of every byte after the checksum field.
pub fn sector_crc(sector: &[u8]) -> u32 {
    crc32c::crc32c(&sector[4..])
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// A database a log stream was attached to when a file was created, and its signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Attachment {
    /// The database's id within the instance.
    pub db: ese_core::DbId,
    /// The database file's signature.
    pub signature: [u8; 16],
}

/// The header of a log file (sector 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// The file's generation.
    pub generation: u32,
    /// The file's size in sectors, header included.
    pub file_sectors: u32,
    /// The signature of the log stream, shared by all its files.
    pub signature: [u8; 16],
    /// The checksum of the last sector of the previous generation (0 for a stream's first file).
    pub prev_last_crc: u32,
    /// When the file was created, in nanoseconds since the Unix epoch.
    pub created_unix_nanos: u64,
    /// The databases attached when the file was created.
    pub attachments: Vec<Attachment>,
}

/// Why a header or sector did not validate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid(pub &'static str);

impl FileHeader {
    /// Writes the header into a whole sector, zeroing every byte it does not use.
    pub fn encode(&self, out: &mut [u8; SECTOR_BYTES]) {
        out.fill(0);
        out[4..12].copy_from_slice(&MAGIC);
        out[12..16].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        out[16..20].copy_from_slice(&self.generation.to_le_bytes());
        out[20..24].copy_from_slice(&self.file_sectors.to_le_bytes());
        out[24..40].copy_from_slice(&self.signature);
        out[40..44].copy_from_slice(&self.prev_last_crc.to_le_bytes());
        out[48..56].copy_from_slice(&self.created_unix_nanos.to_le_bytes());
        for i in 0..ATTACHMENT_SLOTS {
            let at = 56 + i * 20;
            match self.attachments.get(i) {
                Some(a) => {
                    out[at..at + 4].copy_from_slice(&a.db.0.to_le_bytes());
                    out[at + 4..at + 20].copy_from_slice(&a.signature);
                }
                None => out[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes()),
            }
        }
        let crc = sector_crc(&out[..]);
        out[0..4].copy_from_slice(&crc.to_le_bytes());
    }

    /// Reads a header from the first sector of a file.
    pub fn decode(b: &[u8]) -> Result<FileHeader, Invalid> {
        if b.len() < SECTOR_BYTES {
            return Err(Invalid("file is shorter than its header"));
        }
        let b = &b[..SECTOR_BYTES];
        if le_u32(b, 0) != sector_crc(b) {
            return Err(Invalid("header checksum mismatch"));
        }
        if b[4..12] != MAGIC {
            return Err(Invalid("not a log file (bad magic)"));
        }
        if le_u32(b, 12) != FORMAT_VERSION {
            return Err(Invalid("unknown log format version"));
        }
        let file_sectors = le_u32(b, 20);
        if file_sectors < FILE_SECTORS_MIN || u64::from(file_sectors) * 512 > FILE_BYTES_MAX {
            return Err(Invalid("header records an impossible file size"));
        }
        let mut signature = [0u8; 16];
        signature.copy_from_slice(&b[24..40]);
        let mut attachments = Vec::new();
        for i in 0..ATTACHMENT_SLOTS {
            let at = 56 + i * 20;
            let db = le_u32(b, at);
            if db != u32::MAX {
                let mut s = [0u8; 16];
                s.copy_from_slice(&b[at + 4..at + 20]);
                attachments.push(Attachment {
                    db: ese_core::DbId(db),
                    signature: s,
                });
            }
        }
        Ok(FileHeader {
            generation: le_u32(b, 16),
            file_sectors,
            signature,
            prev_last_crc: le_u32(b, 40),
            created_unix_nanos: le_u64(b, 48),
            attachments,
        })
    }

    /// The checksum stored in an encoded header: the chain seed of sector 1.
    pub fn crc_of(encoded: &[u8]) -> u32 {
        le_u32(encoded, 0)
    }
}

/// The header of a data sector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectorHeader {
    /// The checksum of the sector.
    pub crc: u32,
    /// The generation of the file the sector was written for.
    pub generation: u32,
    /// The sector's own number.
    pub sector: u16,
    /// Where the sector's record bytes end.
    pub used_end: u16,
    /// The first sector of the flush that wrote this one.
    pub flush_first: u16,
    /// The last sector of the flush that wrote this one.
    pub flush_last: u16,
    /// The epoch (open count) of the run that wrote it.
    pub epoch: u32,
    /// The checksum of the sector before it.
    pub prev_crc: u32,
}

impl SectorHeader {
    /// Fills in the header fields of `sector` (whose payload is already in place) and its
    /// checksum; returns the checksum.
    pub fn seal(&self, sector: &mut [u8]) -> u32 {
        sector[4..8].copy_from_slice(&self.generation.to_le_bytes());
        sector[8..10].copy_from_slice(&self.sector.to_le_bytes());
        sector[10..12].copy_from_slice(&self.used_end.to_le_bytes());
        sector[12..14].copy_from_slice(&self.flush_first.to_le_bytes());
        sector[14..16].copy_from_slice(&self.flush_last.to_le_bytes());
        sector[16..20].copy_from_slice(&self.epoch.to_le_bytes());
        sector[20..24].copy_from_slice(&self.prev_crc.to_le_bytes());
        let crc = sector_crc(sector);
        sector[0..4].copy_from_slice(&crc.to_le_bytes());
        crc
    }

    /// Checks that `b` is a sector of `generation` at number `sector` in a file of
    /// `file_sectors`, whole and self-consistent, and returns its header.
    pub fn decode(
        b: &[u8],
        generation: u32,
        sector: u16,
        file_sectors: u32,
    ) -> Result<Self, Invalid> {
        if b.len() != SECTOR_BYTES {
            return Err(Invalid("sector is short"));
        }
        let h = SectorHeader {
            crc: le_u32(b, 0),
            generation: le_u32(b, 4),
            sector: le_u16(b, 8),
            used_end: le_u16(b, 10),
            flush_first: le_u16(b, 12),
            flush_last: le_u16(b, 14),
            epoch: le_u32(b, 16),
            prev_crc: le_u32(b, 20),
        };
        if h.crc != sector_crc(b) {
            return Err(Invalid("sector checksum mismatch"));
        }
        if h.generation != generation || h.sector != sector {
            return Err(Invalid("sector belongs elsewhere"));
        }
        let used = usize::from(h.used_end);
        if !(SECTOR_HEADER_BYTES..=SECTOR_BYTES).contains(&used) {
            return Err(Invalid("sector used_end out of range"));
        }
        if h.flush_first == 0
            || h.flush_first > sector
            || h.flush_last < sector
            || u32::from(h.flush_last) >= file_sectors
        {
            return Err(Invalid("sector flush range is impossible"));
        }
        if b[used..].iter().any(|&x| x != 0) {
            return Err(Invalid("sector padding is not zero"));
        }
        Ok(h)
    }
}

/// The name of the current log file: `<base>.log`.
pub fn current_name(base: &str) -> String {
    format!("{base}.log")
}

/// The scratch name a new generation is prepared under: `<base>tmp.log`.
pub fn tmp_name(base: &str) -> String {
    format!("{base}tmp.log")
}

/// The name of the checkpoint file: `<base>.chk`.
pub fn checkpoint_name(base: &str) -> String {
    format!("{base}.chk")
}

/// The name of a finished generation: `<base>XXXXX.log` with five hex digits, or eight once the
/// generation passes 0xFFFFF, as ESE names them.
pub fn archive_name(base: &str, generation: u32) -> String {
    if generation <= 0xF_FFFF {
        format!("{base}{generation:05X}.log")
    } else {
        format!("{base}{generation:08X}.log")
    }
}

/// The generation an archive name stands for, if `name` is one for `base`.
pub fn parse_archive_name(base: &str, name: &str) -> Option<u32> {
    let digits = name.strip_prefix(base)?.strip_suffix(".log")?;
    if !(digits.len() == 5 || digits.len() == 8) || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let generation = u32::from_str_radix(digits, 16).ok()?;
    // Each generation has exactly one spelling.
    (archive_name(base, generation) == name).then_some(generation)
}

/// The position of the first record byte of `sector` in `generation`.
pub const fn sector_start(generation: u32, sector: u16) -> Lgpos {
    Lgpos::new(generation, sector, SECTOR_HEADER_BYTES as u16)
}

/// The position where a stream of `file_sectors`-sector files resumes after sector `sector`
/// of `generation`: the next sector, or the first data sector of the next generation.
pub fn after_sector(generation: u32, sector: u16, file_sectors: u32) -> Lgpos {
    if u32::from(sector) + 1 >= file_sectors {
        sector_start(generation.saturating_add(1), 1)
    } else {
        sector_start(generation, sector + 1)
    }
}

/// A signature for a new log stream: unique enough to tell streams apart, without a random
/// number generator.
pub fn new_signature() -> [u8; 16] {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = unix_nanos();
    let mut s = [0u8; 16];
    s[0..8].copy_from_slice(&nanos.to_le_bytes());
    s[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    s[12..16].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    s
}

/// Nanoseconds since the Unix epoch (0 if the clock is before it).
pub fn unix_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ese_core::DbId;

    #[test]
    fn names_follow_ese() {
        let cases = [
            (1, "edb00001.log"),
            (0x1A, "edb0001A.log"),
            (0xF_FFFF, "edbFFFFF.log"),
            (0x10_0000, "edb00100000.log"),
        ];
        for (generation, name) in cases {
            assert_eq!(archive_name("edb", generation), name);
            assert_eq!(parse_archive_name("edb", name), Some(generation));
        }
        for bad in [
            "edb.log",
            "edbtmp.log",
            "edb0001.log",
            "edb0001a.log",
            "abc00001.log",
            "edb00001.chk",
            "edb000100000.log",
            "edb0000001.log",
        ] {
            assert_eq!(parse_archive_name("edb", bad), None, "{bad}");
        }
        assert_eq!(current_name("abc"), "abc.log");
        assert_eq!(checkpoint_name("edb"), "edb.chk");
    }

    #[test]
    fn header_round_trips_and_detects_every_bit_flip() {
        let h = FileHeader {
            generation: 7,
            file_sectors: 16,
            signature: [3; 16],
            prev_last_crc: 0xdead_beef,
            created_unix_nanos: 42,
            attachments: vec![Attachment {
                db: DbId(1),
                signature: [9; 16],
            }],
        };
        let mut b = [0u8; SECTOR_BYTES];
        h.encode(&mut b);
        assert_eq!(FileHeader::decode(&b), Ok(h));
        for bit in 0..SECTOR_BYTES * 8 {
            let mut f = b;
            f[bit / 8] ^= 1 << (bit % 8);
            assert!(FileHeader::decode(&f).is_err(), "bit {bit}");
        }
    }

    #[test]
    fn sector_validation() {
        let mut s = vec![0u8; SECTOR_BYTES];
        s[SECTOR_HEADER_BYTES] = 5;
        let h = SectorHeader {
            crc: 0,
            generation: 3,
            sector: 4,
            used_end: SECTOR_HEADER_BYTES as u16 + 1,
            flush_first: 2,
            flush_last: 5,
            epoch: 1,
            prev_crc: 77,
        };
        let crc = h.seal(&mut s);
        let back = SectorHeader::decode(&s, 3, 4, 16).unwrap();
        assert_eq!(back, SectorHeader { crc, ..h });
        assert!(SectorHeader::decode(&s, 2, 4, 16).is_err());
        assert!(SectorHeader::decode(&s, 3, 5, 16).is_err());
        assert!(SectorHeader::decode(&s, 3, 4, 5).is_err());
        assert_eq!(after_sector(3, 14, 16), sector_start(3, 15));
        assert_eq!(after_sector(3, 15, 16), sector_start(4, 1));
    }
}
