//! Reading the log: forward scans from any position, and the end-of-log scan.
//!
//! # What counts as the log
//!
//! A flush writes sectors `flush_first..=flush_last` of one file in one write and syncs them;
//! every one of those sectors names that range in its header. Flushes are written one after
//! another, each synced before the next begins, so when the power fails only the last flush can
//! be damaged. The reader therefore accepts a file's flushes in order while each is *complete*:
//! every sector of the range checksums, belongs to this file and position, carries the same
//! range and epoch, and chains (`prev_crc`) to the sector before. The log ends at the first
//! flush that is not complete.
//!
//! # The torn-tail rule
//!
//! Stopping at an incomplete flush is right only if it was the last flush. Let `f` be the first
//! sector not covered by a complete flush:
//!
//! ```text
//!   sectors:  [ complete flushes ... ][ f: bad ][ ? ][ ? ] ... [ n-1 ]
//!             no later generation exists, and no self-valid sector after f has
//!             flush_first > f              => torn tail: the log ends at f (not an error)
//!             otherwise                    => mid-log corruption (JET_errLogFileCorrupt)
//! ```
//!
//! * A later generation exists only once this file was complete and synced (a file is filled
//!   to its last sector before the next is created), so any bad sector in a file that has a
//!   successor is corruption.
//! * A self-valid sector after `f` with `flush_first > f` was written by a flush that started
//!   after `f`, so the flush covering `f` had finished and been synced: `f` was durable and has
//!   since been damaged. Sectors of the torn flush itself, and stale sectors left behind by an
//!   earlier crashed run, have `flush_first <= f`, because every run resumes writing at the
//!   first sector that was not complete.
//! * Damage inside the last flush cannot be told apart from a torn write; it is reported as a
//!   torn tail, the same answer ESE gives.
//!
//! A torn tail whose sectors are all zero is the ordinary end of the log
//! ([`Tail::Clean`]); anything else there is reported as [`Tail::Torn`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use ese_core::Lgpos;
use ese_core::limits::SECTOR_BYTES;
use ese_pageio::Directory;

use crate::error::Error;
use crate::format::{
    FileHeader, SECTOR_HEADER_BYTES, SectorHeader, current_name, parse_archive_name, sector_start,
};
use crate::record::LogRecord;

/// How the log ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// Nothing but zeros (never-written space) follows the last record.
    Clean,
    /// Damaged or partial sectors of the last flush follow the last record: a torn write.
    Torn {
        /// The first sector that is not part of the log.
        at: Lgpos,
    },
}

/// What an end-of-log scan found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanEnd {
    /// Where the next record would be appended: after the last complete flush.
    pub head: Lgpos,
    /// Whether the end was clean or torn.
    pub tail: Tail,
}

/// One generation, read and checked.
#[derive(Debug)]
pub(crate) struct GenerationScan {
    pub(crate) header: FileHeader,
    pub(crate) records: Vec<(Lgpos, LogRecord)>,
    /// The first sector not covered by a complete flush (`file_sectors` when full).
    pub(crate) valid_end: u32,
    /// The checksum of sector `valid_end - 1` (the header's when it is 0).
    pub(crate) last_crc: u32,
    /// The largest epoch of any self-valid sector in the file.
    pub(crate) max_epoch: u32,
    /// How the file ends, when it is the last generation and not corrupt.
    pub(crate) tail: Tail,
    /// Mid-log corruption found after `records`.
    pub(crate) corrupt: Option<Error>,
}

impl GenerationScan {
    /// Where the next record goes after this generation's complete flushes.
    pub(crate) fn head(&self) -> Lgpos {
        if self.valid_end >= self.header.file_sectors {
            sector_start(self.header.generation.saturating_add(1), 1)
        } else {
            // valid_end < file_sectors <= 65536.
            sector_start(self.header.generation, self.valid_end as u16)
        }
    }
}

fn corrupt(generation: u32, sector: u16, reason: &'static str) -> Error {
    Error::LogFileCorrupt {
        generation,
        sector,
        reason,
    }
}

/// Reads `name` as generation `generation` and checks it (see the module documentation).
pub(crate) fn scan_generation(
    dir: &dyn Directory,
    name: &str,
    generation: u32,
    is_last: bool,
) -> Result<GenerationScan, Error> {
    let storage = dir
        .open(name, false)
        .map_err(|e| Error::read("log open", &e))?;
    let len = storage.len().map_err(|e| Error::read("log length", &e))?;
    let mut head = [0u8; SECTOR_BYTES];
    if len < SECTOR_BYTES as u64 {
        return Err(corrupt(generation, 0, "file is shorter than its header"));
    }
    storage
        .read_at(0, &mut head)
        .map_err(|e| Error::read("log header read", &e))?;
    let header = FileHeader::decode(&head).map_err(|i| corrupt(generation, 0, i.0))?;
    if header.generation != generation {
        return Err(Error::InvalidLogSequence { generation });
    }
    let n = header.file_sectors;
    let file_bytes = u64::from(n) * SECTOR_BYTES as u64;
    // The file may be shorter than its header says only if set_len was lost; missing bytes
    // read as the zeros they would have been.
    let have = len.min(file_bytes);
    let mut bytes = vec![0u8; file_bytes as usize];
    storage
        .read_at(0, &mut bytes[..have as usize])
        .map_err(|e| Error::read("log read", &e))?;
    let sector =
        |s: u16| &bytes[usize::from(s) * SECTOR_BYTES..(usize::from(s) + 1) * SECTOR_BYTES];
    let decode = |s: u16| SectorHeader::decode(sector(s), generation, s, n);
    // n <= 65536, checked by FileHeader::decode, so every sector number below n fits a u16.
    let last_sector = (n - 1) as u16;

    // Walk complete flushes. Bounded: every iteration advances `s` by at least one sector.
    let mut stream: Vec<u8> = Vec::new();
    // (stream offset where the sector's records begin, sector, used bytes)
    let mut segments: Vec<(usize, u16, usize)> = Vec::new();
    let mut prev_crc = FileHeader::crc_of(&head);
    let mut max_epoch = 0u32;
    let mut s: u32 = 1;
    'flushes: while s < n {
        let first = s as u16;
        let Ok(h) = decode(first) else { break };
        if h.flush_first != first || h.prev_crc != prev_crc {
            break;
        }
        let mut headers = vec![h];
        let mut crc = h.crc;
        for t in u32::from(first) + 1..=u32::from(h.flush_last) {
            let t = t as u16;
            match decode(t) {
                Ok(ht)
                    if ht.flush_first == first
                        && ht.flush_last == h.flush_last
                        && ht.epoch == h.epoch
                        && ht.prev_crc == crc =>
                {
                    crc = ht.crc;
                    headers.push(ht);
                }
                _ => break 'flushes,
            }
        }
        for ht in &headers {
            let used = usize::from(ht.used_end) - SECTOR_HEADER_BYTES;
            segments.push((stream.len(), ht.sector, used));
            let start = usize::from(ht.sector) * SECTOR_BYTES + SECTOR_HEADER_BYTES;
            stream.extend_from_slice(&bytes[start..start + used]);
        }
        max_epoch = max_epoch.max(h.epoch);
        prev_crc = crc;
        s = u32::from(h.flush_last) + 1;
    }
    let valid_end = s;
    // Only used while valid_end < n, where it fits a sector number.
    let end_sector = s as u16;

    // Records: the valid stream must be whole frames. Bounded: each frame is at least 2 bytes.
    let mut records = Vec::new();
    let mut corrupt_at = None;
    let mut at = 0usize;
    while at < stream.len() {
        // The segment holding `at`: the last one starting at or before it with bytes left.
        let seg = segments.partition_point(|&(start, _, _)| start <= at);
        let Some(&(start, sec, used)) = segments[..seg]
            .iter()
            .rev()
            .find(|&&(start, _, used)| at < start + used)
        else {
            corrupt_at = Some(corrupt(
                generation,
                end_sector,
                "record stream is inconsistent",
            ));
            break;
        };
        debug_assert!(at - start < used);
        let lgpos = Lgpos::new(generation, sec, (SECTOR_HEADER_BYTES + at - start) as u16);
        match LogRecord::decode_prefix(&stream[at..]) {
            Ok((rec, frame)) => {
                records.push((lgpos, rec));
                at += frame;
            }
            Err(c) => {
                corrupt_at = Some(corrupt(generation, sec, c.reason));
                break;
            }
        }
    }

    // Classify what follows the complete flushes.
    let mut tail = Tail::Clean;
    if corrupt_at.is_none() && s < n {
        if !is_last {
            corrupt_at = Some(corrupt(
                generation,
                end_sector,
                "damaged sector in a finished log file",
            ));
        } else {
            for t in end_sector..=last_sector {
                if let Ok(ht) = decode(t) {
                    max_epoch = max_epoch.max(ht.epoch);
                    if ht.flush_first > end_sector && corrupt_at.is_none() {
                        corrupt_at = Some(corrupt(
                            generation,
                            end_sector,
                            "damaged sector before a later flush",
                        ));
                    }
                }
                if tail == Tail::Clean && sector(t).iter().any(|&b| b != 0) {
                    tail = Tail::Torn {
                        at: sector_start(generation, end_sector),
                    };
                }
            }
        }
    }
    Ok(GenerationScan {
        header,
        records,
        valid_end,
        last_crc: prev_crc,
        max_epoch,
        tail,
        corrupt: corrupt_at,
    })
}

/// The log files of one stream, found by name; the starting point of every scan.
#[derive(Debug)]
pub struct LogReader {
    dir: Arc<dyn Directory>,
    /// Generation to file name, the current file included.
    files: BTreeMap<u32, String>,
}

impl LogReader {
    /// Finds the log files of `base` in `dir`: the archived generations and the current file.
    pub fn open(dir: Arc<dyn Directory>, base: &str) -> Result<Self, Error> {
        let names = dir
            .list()
            .map_err(|e| Error::read("log directory list", &e))?;
        let mut files = BTreeMap::new();
        for name in &names {
            if let Some(generation) = parse_archive_name(base, name) {
                files.insert(generation, name.clone());
            }
        }
        let current = current_name(base);
        if names.contains(&current) {
            let storage = dir
                .open(&current, false)
                .map_err(|e| Error::read("log open", &e))?;
            let mut head = [0u8; SECTOR_BYTES];
            let next = files.keys().next_back().map_or(1, |g| g.saturating_add(1));
            storage
                .read_at(0, &mut head)
                .map_err(|_| corrupt(next, 0, "file is shorter than its header"))?;
            let header = FileHeader::decode(&head).map_err(|i| corrupt(next, 0, i.0))?;
            if files.insert(header.generation, current).is_some() {
                return Err(Error::InvalidLogSequence {
                    generation: header.generation,
                });
            }
        }
        if files.is_empty() {
            return Err(Error::MissingLogFile { generation: 1 });
        }
        Ok(Self { dir, files })
    }

    /// The generations present, oldest first.
    pub fn generations(&self) -> Vec<u32> {
        self.files.keys().copied().collect()
    }

    /// Scans forward from `from` (a record's position, or [`Lgpos::MIN`] for the oldest
    /// record present), yielding every record at or after it. A scan from [`Lgpos::MIN`]
    /// starts at the oldest generation from which no generation is missing.
    pub fn scan(&self, from: Lgpos) -> Scan<'_> {
        let last = self.files.keys().next_back().copied().unwrap_or(1);
        // The oldest generation from which every later one is present. Circular logging
        // deletes from the oldest end, but a crash may keep any subset of those deletions, so
        // an older island can survive a gap; a scan from the start ignores it.
        let mut first = last;
        // Bounded by the number of files.
        while first > 1 && self.files.contains_key(&(first - 1)) {
            first -= 1;
        }
        let mut scan = Scan {
            reader: self,
            from,
            next_generation: from.generation.clamp(first, last),
            last,
            queue: VecDeque::new(),
            error: None,
            end: None,
            prev: None,
        };
        if from != Lgpos::MIN && from.generation < first {
            scan.error = Some(Error::MissingLogFile {
                generation: from.generation,
            });
            scan.next_generation = last + 1;
        }
        scan
    }

    /// The end-of-log scan without keeping the records: the position of the last valid record
    /// (`None` if the log holds none) and how the log ends.
    pub fn end_of_log(&self) -> Result<(Option<Lgpos>, ScanEnd), Error> {
        let mut scan = self.scan(Lgpos::MIN);
        let mut last = None;
        for item in scan.by_ref() {
            last = Some(item?.0);
        }
        match scan.end() {
            Some(end) => Ok((last, end)),
            None => Err(Error::MissingLogFile { generation: 1 }),
        }
    }

    /// Scans the whole log to its end and returns every record and how the log ends: the
    /// end-of-log scan.
    pub fn read_all(&self) -> Result<(Vec<(Lgpos, LogRecord)>, ScanEnd), Error> {
        let mut scan = self.scan(Lgpos::MIN);
        let mut out = Vec::new();
        for item in scan.by_ref() {
            out.push(item?);
        }
        match scan.end() {
            Some(end) => Ok((out, end)),
            None => Err(Error::MissingLogFile { generation: 1 }),
        }
    }
}

/// A forward scan: an iterator of records with their positions. After it returns `None`,
/// [`Scan::end`] tells where and how the log ended.
#[derive(Debug)]
pub struct Scan<'r> {
    reader: &'r LogReader,
    from: Lgpos,
    next_generation: u32,
    last: u32,
    queue: VecDeque<(Lgpos, LogRecord)>,
    error: Option<Error>,
    end: Option<ScanEnd>,
    /// The signature and last checksum of the generation read before.
    prev: Option<([u8; 16], u32, u32)>,
}

impl Scan<'_> {
    /// How the log ended, once the scan has reached its end without an error.
    pub fn end(&self) -> Option<ScanEnd> {
        self.end
    }

    fn load_next(&mut self) -> Result<(), Error> {
        let generation = self.next_generation;
        let Some(name) = self.reader.files.get(&generation) else {
            return Err(Error::MissingLogFile { generation });
        };
        let is_last = generation == self.last;
        let g = scan_generation(&*self.reader.dir, name, generation, is_last)?;
        if let Some((signature, last_crc, file_sectors)) = self.prev {
            if g.header.signature != signature {
                return Err(Error::BadLogSignature { generation });
            }
            if g.header.file_sectors != file_sectors {
                return Err(Error::LogFileSizeMismatch {
                    expected_bytes: u64::from(file_sectors) * SECTOR_BYTES as u64,
                    found_bytes: u64::from(g.header.file_sectors) * SECTOR_BYTES as u64,
                });
            }
            if g.header.prev_last_crc != last_crc {
                return Err(Error::InvalidLogSequence { generation });
            }
        }
        self.prev = Some((g.header.signature, g.last_crc, g.header.file_sectors));
        let head = g.head();
        let from = self.from;
        self.queue
            .extend(g.records.into_iter().filter(|(l, _)| *l >= from));
        if let Some(e) = g.corrupt {
            self.error = Some(e);
            self.next_generation = self.last + 1;
            return Ok(());
        }
        self.next_generation = generation + 1;
        if is_last {
            self.end = Some(ScanEnd { head, tail: g.tail });
        }
        Ok(())
    }
}

impl Iterator for Scan<'_> {
    type Item = Result<(Lgpos, LogRecord), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        // Bounded by the number of generations: each turn loads one or stops.
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(Ok(item));
            }
            if let Some(e) = self.error.take() {
                return Some(Err(e));
            }
            if self.next_generation > self.last || self.end.is_some() {
                return None;
            }
            if let Err(e) = self.load_next() {
                self.next_generation = self.last + 1;
                return Some(Err(e));
            }
        }
    }
}
