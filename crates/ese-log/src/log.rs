//! The log writer: appending, group commit, file rollover, checkpoint and circular logging.
//!
//! # Positions and durability
//!
//! [`Log::append`] encodes a record's frame straight into the in-memory log buffer and returns
//! its position, the Lgpos of its first byte. Positions are handed out under the buffer lock, so
//! they are totally ordered in append order. The buffer holds the frames back to back, without
//! sector headers, and the record's position is computed from the head: an append allocates
//! nothing (once the buffer has grown) and holds the lock only for the encode. The flush leader
//! lays the frames out in sectors, fills in their headers and checksums them after it has
//! released the buffer. [`Log::flushed`] is the *flush tip*: every record
//! whose position is below it is on stable storage. A record at `lgpos` is durable exactly when
//! `lgpos < log.flushed()`, which is the test the cache's write-ahead rule needs.
//!
//! # The group commit protocol
//!
//! ```text
//!   A: append ─ leader: gather ─ take buffer ─ write ─ fsync ─ publish tip, wake all
//!   B:   append ─ follower: sleep ──────────────────────────────┐ covered → return
//!   C:     append ─ follower: sleep ────────────────────────────┤ covered → return
//!   D:         append (during A's fsync) ─ follower: sleep ─────┘ not covered → leader:
//!              gather (A, B, C append their next commits) ─ take D, A, B, C ─ write ─ fsync
//! ```
//!
//! A durable commit appends its record, then calls [`Log::commit_wait`] (or [`Log::flush_to`])
//! with the record's position. If no flush is in progress the caller becomes the *leader*: it
//! takes **everything** in the buffer (not just its own record), writes the sectors in one
//! write-through write ([`Storage::write_durable`]: ESE opens its log files write-through and
//! unbuffered, and on Linux files that is `O_DIRECT | O_DSYNC`, cheaper than a buffered write
//! and an `fdatasync`) while holding no lock an appender or a follower needs, publishes the new flush tip and
//! wakes every follower. Appending never waits for a flush: the leader holds the buffer only
//! to take it. A caller that finds a leader at work is a *follower*: it lists itself and parks
//! until that leader publishes, which unparks every listed thread at once. Most followers find
//! that the leader's fsync covered them and return without taking any lock again, so they run
//! side by side instead of handing a lock on one by one; the first that is not covered becomes
//! the next leader.
//!
//! Left at that, committers split into two cohorts that alternate: when a flush ends, the
//! committers it covered have yet to append their next commit, while those that appended
//! during it are already waiting, and the next leader would take only the latter. So a new
//! leader first *gathers*: the group state counts the committers waiting for the next batch
//! and remembers the most committers ever present at once; while fewer are waiting than that,
//! the leader parks. The arrival that completes the group does not wake it: that arrival is
//! running already, so it takes the lead over and writes at once, and the parked gatherer
//! becomes one of its followers. The wait is bounded by half the recent flush time, or twice
//! what recent complete gatherings took when committers are slower than that to come back,
//! but never more than one flush (nor 1 ms). A gathering that times out lowers the expectation to the committers
//! that did come and halves the next one's patience (at most three times, until the
//! expectation holds again), so committers that stop (or are busy elsewhere) cost one short
//! wait, not one per flush. A lone committer never waits: one caller is all it expects. With
//! `k` concurrent committers one fsync thus serves about `k` commits.
//!
//! Only committers count: [`Log::commit_wait`] names its caller as one, while
//! [`Log::flush_all`], checkpoints, the [`LazyFlusher`] and a full buffer never count. A
//! caller of [`Log::flush_to`] (the cache's write-ahead rule) counts as a committer only
//! until the first [`Log::commit_wait`]: once committers name themselves, a page write's
//! flush no longer makes the next leader wait for a committer that is not coming.
//!
//! A flush seals its last sector: the next record starts on a fresh sector, so a durable sector
//! is never rewritten and a torn write can only damage records that were never acknowledged.
//!
//! # Lazy commits
//!
//! [`CommitMode::Lazy`] (JET_bitCommitLazyFlush) only appends. The record becomes durable with
//! the next flush: a durable commit, an explicit [`Log::flush_to`] or [`Log::flush_all`], a
//! checkpoint, a buffer that has reached [`LogConfig::buffer_bytes`], or the periodic flush of
//! a [`LazyFlusher`] (ESE's log flush thread), which bounds how long a lazy commit may wait.
//! An append that finds the buffer half full wakes the flusher at once, so a long run of
//! appends (a large transaction, page images) has its first half written while it fills the
//! second, and rarely stops to write the buffer itself.
//!
//! # Sticky failure
//!
//! If a write or fsync fails, the leader records the error and every caller from then on
//! (waiting committers, later appends and commits) gets it. A failed fsync is never retried:
//! the kernel may already have dropped the dirty pages, so a later "successful" fsync would be
//! a lie. The instance must restart and recover from what is durable.
//!
//! # Rollover
//!
//! Records never span files. When a record does not fit in the rest of the current file, the
//! remaining sectors are written empty and the record goes to the first sector of the next
//! generation. The leader creates that file as `<base>tmp.log` (zero-filled, header written,
//! synced), then renames `<base>.log` to `<base>XXXXX.log` and `<base>tmp.log` to
//! `<base>.log`, syncing the directory after each step, so a crash never loses a generation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

use ese_core::Lgpos;
use ese_core::limits::SECTOR_BYTES;
use ese_pageio::{Directory, Storage};
use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::checkpoint::{Checkpoint, CheckpointFile, read_checkpoint};
use crate::error::Error;
use crate::format::{
    Attachment, FILE_BYTES_DEFAULT, FILE_BYTES_MAX, FILE_SECTORS_MIN, FileHeader, GENERATION_MAX,
    SECTOR_HEADER_BYTES, SECTOR_PAYLOAD_BYTES, SectorHeader, after_sector, archive_name,
    current_name, new_signature, parse_archive_name, sector_start, tmp_name, unix_nanos,
};
use crate::reader::{LogReader, scan_generation};
use crate::record::{LogRecord, RECORD_MAX_BYTES, frame_len_of};

// The cache and every session share one log through an `Arc`.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Log>();
};

/// How [`Log::commit`] waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitMode {
    /// Return once the record is on stable storage.
    Durable,
    /// Return at once; the record is flushed later (JET_bitCommitLazyFlush).
    Lazy,
}

/// How to open a log stream.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// The directory holding the log files and the checkpoint file (JET_paramLogFilePath).
    pub directory: Arc<dyn Directory>,
    /// The three-character prefix of every file name (JET_paramBaseName).
    pub base_name: String,
    /// The size of every log file in bytes (JET_paramLogFileSize, which is in KiB and 64–32768;
    /// tests may go down to [`FILE_SECTORS_MIN`] sectors).
    pub file_bytes: u64,
    /// Delete generations that lie entirely before the checkpoint (JET_paramCircularLog).
    pub circular: bool,
    /// How many unflushed bytes the buffer holds before an append flushes it
    /// (JET_paramLogBuffers, in 512-byte units).
    pub buffer_bytes: usize,
}

impl LogConfig {
    /// ESE's defaults: base "edb", 5120 KiB files, no circular logging, 126 sectors of buffer.
    pub fn new(directory: Arc<dyn Directory>) -> Self {
        Self {
            directory,
            base_name: "edb".to_owned(),
            file_bytes: FILE_BYTES_DEFAULT,
            circular: false,
            buffer_bytes: 126 * SECTOR_BYTES,
        }
    }

    /// A configuration for tests: 8 KiB files that roll over constantly, a 4 KiB buffer.
    pub fn test_min(directory: Arc<dyn Directory>) -> Self {
        Self {
            file_bytes: 16 * SECTOR_BYTES as u64,
            buffer_bytes: 8 * SECTOR_BYTES,
            ..Self::new(directory)
        }
    }

    /// Sets the file size from JET_paramLogFileSize, in KiB, checking ESE's range (64–32768).
    pub fn with_log_file_size_kb(mut self, kb: u64) -> Result<Self, Error> {
        if !(64..=32768).contains(&kb) {
            return Err(Error::InvalidParameter {
                what: "JET_paramLogFileSize must be 64 to 32768 KiB",
            });
        }
        self.file_bytes = kb * 1024;
        Ok(self)
    }

    fn file_sectors(&self) -> Result<u32, Error> {
        if self.file_bytes % SECTOR_BYTES as u64 != 0 {
            return Err(Error::InvalidParameter {
                what: "log file size is not a whole number of sectors",
            });
        }
        let sectors = self.file_bytes / SECTOR_BYTES as u64;
        if sectors < u64::from(FILE_SECTORS_MIN) || self.file_bytes > FILE_BYTES_MAX {
            return Err(Error::InvalidParameter {
                what: "log file size is out of range",
            });
        }
        // At most FILE_BYTES_MAX / 512, which fits a u32.
        Ok(sectors as u32)
    }

    fn check(&self) -> Result<u32, Error> {
        let b = self.base_name.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphanumeric) {
            return Err(Error::InvalidParameter {
                what: "base name must be exactly 3 letters or digits",
            });
        }
        self.file_sectors()
    }
}

/// A run of record bytes that lie back to back in one generation's file, from `start` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    /// Where the run's first byte goes (always the start of a sector).
    start: Lgpos,
    /// The run's bytes in the batch's stream: `stream[from..to]`.
    from: usize,
    to: usize,
    /// Whether the file ends with this run: the sectors after it, to the end of the file,
    /// are written empty.
    close: bool,
}

/// The sectors one segment fills: `(sector, used_end, payload)`, where `payload` is the
/// range of the stream that goes at byte [`SECTOR_HEADER_BYTES`] (or the segment's start
/// offset) of that sector. Empty closing sectors have an empty payload.
struct SegmentSectors {
    sector: u32,
    offset: usize,
    from: usize,
    to: usize,
    close: bool,
    file_sectors: u32,
}

impl SegmentSectors {
    fn new(seg: &Segment, file_sectors: u32) -> Self {
        SegmentSectors {
            sector: u32::from(seg.start.sector),
            offset: usize::from(seg.start.offset),
            from: seg.from,
            to: seg.to,
            close: seg.close,
            file_sectors,
        }
    }
}

impl Iterator for SegmentSectors {
    type Item = (u16, u16, std::ops::Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.sector >= self.file_sectors || (self.from >= self.to && !self.close) {
            return None;
        }
        let n = (self.to - self.from).min(SECTOR_BYTES - self.offset);
        let item = (
            self.sector as u16,
            (self.offset + n) as u16,
            self.from..self.from + n,
        );
        self.from += n;
        self.sector += 1;
        self.offset = SECTOR_HEADER_BYTES;
        Some(item)
    }
}

/// Where a frame of `n` bytes placed at `pos` ends: the position of the next record.
fn advance(pos: Lgpos, n: usize, file_sectors: u32) -> Lgpos {
    let Lgpos {
        generation,
        sector,
        offset,
    } = pos;
    let end = usize::from(offset) + n;
    if end < SECTOR_BYTES {
        return Lgpos::new(generation, sector, end as u16);
    }
    // The bytes that spill into the sectors after `sector`.
    let rest = end - SECTOR_BYTES;
    if rest == 0 {
        return after_sector(generation, sector, file_sectors);
    }
    let more = rest.div_ceil(SECTOR_PAYLOAD_BYTES);
    // The caller checked that the frame fits the file, so `last` is a sector of it.
    let last = (usize::from(sector) + more) as u16;
    let in_last = rest - (more - 1) * SECTOR_PAYLOAD_BYTES;
    if in_last == SECTOR_PAYLOAD_BYTES {
        after_sector(generation, last, file_sectors)
    } else {
        Lgpos::new(generation, last, (SECTOR_HEADER_BYTES + in_last) as u16)
    }
}

/// Unflushed records and the append position.
///
/// Records are encoded straight into `stream`, back to back and without sector headers; the
/// flush leader lays them out in sectors (and checksums them) after it has released the
/// buffer, so an append under the lock is one encode and a little arithmetic.
#[derive(Debug)]
struct Buffer {
    /// Where the next record starts.
    head: Lgpos,
    /// The frames appended since the last flush took the buffer.
    stream: Vec<u8>,
    /// Where the frames of `stream` go: one segment per generation.
    segments: Vec<Segment>,
}

/// A batch taken by a flush leader.
#[derive(Debug)]
struct Batch {
    stream: Vec<u8>,
    segments: Vec<Segment>,
    /// The flush tip once the batch is durable.
    end: Lgpos,
}

impl Buffer {
    fn new(head: Lgpos) -> Self {
        Buffer {
            head,
            stream: Vec::new(),
            segments: Vec::new(),
        }
    }

    /// Encodes `rec` (whose body is `body_len` bytes) at the head and returns its position.
    fn place(
        &mut self,
        rec: &LogRecord,
        body_len: usize,
        file_sectors: u32,
    ) -> Result<Lgpos, Error> {
        let frame = frame_len_of(body_len);
        let head = self.head;
        if head.generation > GENERATION_MAX {
            return Err(Error::LogSequenceEnd);
        }
        let room = (SECTOR_BYTES - usize::from(head.offset))
            + (file_sectors as usize - 1 - usize::from(head.sector)) * SECTOR_PAYLOAD_BYTES;
        let at = self.stream.len();
        if frame > room {
            // Close this file: its remaining sectors are written empty, so a finished file
            // is valid to its last sector.
            if head.generation >= GENERATION_MAX {
                return Err(Error::LogSequenceEnd);
            }
            match self.segments.last_mut() {
                Some(seg) if seg.start.generation == head.generation => seg.close = true,
                _ => self.segments.push(Segment {
                    start: head,
                    from: at,
                    to: at,
                    close: true,
                }),
            }
            self.head = sector_start(head.generation + 1, 1);
        }
        let start = self.head;
        match self.segments.last_mut() {
            Some(seg) if seg.start.generation == start.generation && !seg.close => {}
            _ => self.segments.push(Segment {
                start,
                from: at,
                to: at,
                close: false,
            }),
        }
        rec.encode_frame(body_len, &mut self.stream);
        let end = self.stream.len();
        if let Some(seg) = self.segments.last_mut() {
            seg.to = end;
        }
        self.head = advance(start, frame, file_sectors);
        Ok(start)
    }

    /// Takes every pending record, leaving `spare` (empty) in its place, and seals the last
    /// sector: the head moves past it.
    fn take(&mut self, spare: (Vec<u8>, Vec<Segment>), file_sectors: u32) -> Option<Batch> {
        if self.segments.is_empty() {
            return None;
        }
        if usize::from(self.head.offset) != SECTOR_HEADER_BYTES {
            self.head = after_sector(self.head.generation, self.head.sector, file_sectors);
        }
        Some(Batch {
            stream: std::mem::replace(&mut self.stream, spare.0),
            segments: std::mem::replace(&mut self.segments, spare.1),
            end: self.head,
        })
    }

    /// The bytes of the sectors the next flush will write (the empty ones that close a file
    /// included), counted as if they were in memory.
    fn pending_bytes(&self, file_sectors: u32) -> usize {
        let n = self.segments.len();
        let sectors: usize = self
            .segments
            .iter()
            .enumerate()
            .map(|(i, seg)| {
                let first = usize::from(seg.start.sector);
                if i + 1 < n || self.head.generation != seg.start.generation {
                    // A closed file, or one the last frame filled to its end.
                    file_sectors as usize - first
                } else {
                    let partial = usize::from(self.head.offset) != SECTOR_HEADER_BYTES;
                    usize::from(self.head.sector) - first + usize::from(partial)
                }
            })
            .sum();
        sectors * SECTOR_BYTES
    }
}

/// The state only the flush leader touches.
#[derive(Debug)]
struct Writer {
    file: Arc<dyn Storage>,
    generation: u32,
    /// The checksum of the last sector written to `file` (its header's at first).
    prev_crc: u32,
    epoch: u32,
    attachments: Vec<Attachment>,
    /// The sector images of the flush being written, kept to save an allocation per flush.
    images: Vec<u8>,
}

/// The group commit state, under [`Log::group`].
#[derive(Debug)]
struct Group {
    /// Whether a flush leader is at work (gathering, writing or syncing).
    leading: bool,
    /// Callers of [`Log::flush_to`] waiting whose record is still in the buffer (the next
    /// batch will cover them).
    open: usize,
    /// How many callers a batch can expect to gather: the most that were present at once,
    /// lowered to what actually came when a gathering times out.
    expected: usize,
    /// Gatherings that timed out since the expectation last held; each halves the next
    /// one's patience, down to [`MISSES_MAX`] halvings.
    misses: u32,
    /// The end of the last batch taken from the buffer: records before it are in a batch.
    taken_end: Lgpos,
    /// A moving average of a batch's write and sync, in nanoseconds.
    io_nanos: u64,
    /// A moving average of how long a gathering that saw every expected committer took, in
    /// nanoseconds: how long committers take to come back with their next commit.
    gather_nanos: u64,
    /// The emptied vectors of the last batch, for the next one to take.
    spare: (Vec<u8>, Vec<Segment>),
    /// The leader's gathering, while it waits for the committers it expects.
    gathering: Option<Gathering>,
    /// The number of the last gathering begun.
    gatherings: u64,
    /// The threads asleep until the next flush is published: followers, and a gathering
    /// leader. Each publication unparks them all and empties the list.
    sleepers: Vec<Thread>,
}

/// A leader waiting for the committers it expects before it takes the buffer.
#[derive(Clone, Copy, Debug)]
struct Gathering {
    /// Which gathering this is, so its leader can tell whether it was taken over.
    number: u64,
    began: Instant,
}

impl Group {
    /// Notes that a gathering that began at `began` saw every committer it expected.
    fn note_gathered(&mut self, began: Instant) {
        self.misses = 0;
        let took = u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.gather_nanos = (self.gather_nanos.saturating_mul(7) / 8).saturating_add(took / 8);
    }
}

/// How a leader's gathering ended.
enum Gathered<'a> {
    /// The leader takes the buffer now.
    Lead(MutexGuard<'a, Group>),
    /// The arrival that completed the group took the lead: look again, as a follower.
    TakenOver(MutexGuard<'a, Group>),
    /// The flush of the arrival that took over covered the caller (or the log failed).
    Done(Result<(), Error>),
}

/// The longest a leader waits for more committers, however slow the disk.
const GATHER_MAX_NANOS: u64 = 1_000_000;

/// The most halvings of a gathering's patience after timeouts: an eighth of it is always
/// left, so a burst of timeouts never turns gathering off for good.
const MISSES_MAX: u32 = 3;

/// Who is waiting in [`Log::flush_to`] and its kin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waiter {
    /// A durable commit: counted in the group's expectations, so a leader waits for it.
    Committer,
    /// Anyone else (the write-ahead rule, a checkpoint, the lazy flusher): never counted.
    Other,
}

/// The write-ahead log of one instance (ESE's LOG). Shared between sessions via `Arc`.
#[derive(Debug)]
pub struct Log {
    dir: Arc<dyn Directory>,
    base: String,
    file_sectors: u32,
    circular: bool,
    signature: [u8; 16],
    buf: Mutex<Buffer>,
    /// [`LogConfig::buffer_bytes`], at least one sector.
    buffer_bytes: usize,
    /// The group commit state. Locked before `buf` when both are.
    group: Mutex<Group>,
    /// How many times a leader has published the end of its turn (changed under `group`):
    /// a sleeper that sees it change looks again.
    publications: AtomicU64,
    /// Committers in [`Log::commit_wait`] (or a counted [`Log::flush_to`]) that are waiting
    /// or about to return. Raised under `group`; lowered without it, by a committer on its
    /// way out.
    present: AtomicUsize,
    /// The position of the last record appended in this run ([`Lgpos::MIN`] if none), packed
    /// with [`Lgpos::to_u64`].
    last_start: AtomicU64,
    /// The file being written; only the leader locks it during a flush.
    writer: Mutex<Writer>,
    checkpoint: Mutex<CheckpointFile>,
    /// [`Log::flushed`], packed with [`Lgpos::to_u64`].
    flushed: AtomicU64,
    /// [`Log::head`], packed with [`Lgpos::to_u64`].
    head: AtomicU64,
    is_failed: AtomicBool,
    failure: Mutex<Option<Error>>,
    /// Whether [`Log::commit_wait`] has been called: from then on committers name themselves
    /// and [`Log::flush_to`] no longer counts as one.
    committers_named: AtomicBool,
    /// How many batches have been written and synced.
    flushes: AtomicU64,
    /// Wakes a [`LazyFlusher`] when the buffer is half full, so the log is written beside the
    /// appends instead of by an append that finds the buffer full.
    early: Arc<EarlyFlush>,
}

/// What the [`LazyFlusher`]s of a log wait on besides their period: an early flush asked for
/// by [`Log::append`], or their own stop.
#[derive(Debug, Default)]
struct EarlyFlush {
    /// Held to wait on `wake`, and to notify it.
    lock: Mutex<()>,
    wake: Condvar,
    /// Set by an append that found the buffer half full; cleared as a flusher starts.
    wanted: AtomicBool,
}

impl EarlyFlush {
    /// Asks the flushers for a flush now. One load when it is already asked for.
    fn want(&self) {
        if !self.wanted.load(Ordering::Relaxed) && !self.wanted.swap(true, Ordering::AcqRel) {
            let _lock = self.lock.lock();
            self.wake.notify_all();
        }
    }
}

fn dir_op<T>(op: &'static str, r: std::io::Result<T>) -> Result<T, Error> {
    r.map_err(|e| Error::write(op, &e))
}

/// Creates generation `generation` under the scratch name: zero-filled, header written,
/// synced, and its name made durable. Returns the storage and the header's checksum.
fn create_generation(
    dir: &dyn Directory,
    base: &str,
    header: &FileHeader,
) -> Result<(Arc<dyn Storage>, u32), Error> {
    let tmp = tmp_name(base);
    let file = dir_op("log file create", dir.open(&tmp, true))?;
    let total = u64::from(header.file_sectors) * SECTOR_BYTES as u64;
    // Writing the zeros (instead of set_len) allocates the blocks now, so later flushes do
    // not pay for allocation in their fdatasync.
    const CHUNK: usize = 1 << 20;
    let mut first = vec![0u8; (total as usize).min(CHUNK)];
    let mut encoded = [0u8; SECTOR_BYTES];
    header.encode(&mut encoded);
    first[..SECTOR_BYTES].copy_from_slice(&encoded);
    dir_op("log file write", file.write_at(0, &first))?;
    let zeros = vec![0u8; CHUNK];
    let mut at = first.len() as u64;
    // Bounded by the file size.
    while at < total {
        let n = ((total - at) as usize).min(CHUNK);
        dir_op("log file write", file.write_at(at, &zeros[..n]))?;
        at += n as u64;
    }
    dir_op("log file sync", file.sync())?;
    dir_op("log directory sync", dir.sync())?;
    Ok((file, FileHeader::crc_of(&encoded)))
}

impl Log {
    /// Opens the log stream described by `config`, creating it if the directory holds none.
    /// Finds the end of the log (ignoring a torn tail) and resumes appending there.
    pub fn open(config: LogConfig) -> Result<Log, Error> {
        let file_sectors = config.check()?;
        let dir = config.directory.clone();
        let base = config.base_name.clone();
        let cur = current_name(&base);
        let tmp = tmp_name(&base);
        let names = dir
            .list()
            .map_err(|e| Error::read("log directory list", &e))?;
        let archives: Vec<u32> = names
            .iter()
            .filter_map(|n| parse_archive_name(&base, n))
            .collect();
        let newest_archive = archives.iter().copied().max();
        let has = |n: &str| names.iter().any(|x| x == n);

        if has(&tmp) {
            // A rollover or creation that did not finish. Its file has no records: records
            // are written only once it is the current file. Finish the rename if the old
            // current file was already archived, else start over.
            let header = dir
                .open(&tmp, false)
                .ok()
                .and_then(|f| {
                    let mut b = [0u8; SECTOR_BYTES];
                    f.read_at(0, &mut b).ok().map(|_| b)
                })
                .and_then(|b| FileHeader::decode(&b).ok());
            let next = newest_archive.map_or(1, |g| g.saturating_add(1));
            match header {
                Some(h) if !has(&cur) && h.generation == next => {
                    dir_op("log rename", dir.rename(&tmp, &cur))?;
                }
                _ => dir_op("log remove", dir.remove(&tmp))?,
            }
            dir_op("log directory sync", dir.sync())?;
        }
        let cur_exists = dir
            .exists(&cur)
            .map_err(|e| Error::read("log lookup", &e))?;

        let fresh = !cur_exists;
        let (writer, head, signature, oldest) = if !cur_exists {
            if let Some(g) = newest_archive {
                return Err(Error::MissingLogFile {
                    generation: g.saturating_add(1),
                });
            }
            let header = FileHeader {
                generation: 1,
                file_sectors,
                signature: new_signature(),
                prev_last_crc: 0,
                created_unix_nanos: unix_nanos(),
                attachments: Vec::new(),
            };
            let (file, crc) = create_generation(&*dir, &base, &header)?;
            dir_op("log rename", dir.rename(&tmp, &cur))?;
            dir_op("log directory sync", dir.sync())?;
            let writer = Writer {
                file,
                generation: 1,
                prev_crc: crc,
                epoch: 1,
                attachments: Vec::new(),
                images: Vec::new(),
            };
            (writer, sector_start(1, 1), header.signature, 1)
        } else {
            let scan = scan_generation_current(&*dir, &cur, newest_archive)?;
            if scan.header.file_sectors != file_sectors {
                return Err(Error::LogFileSizeMismatch {
                    expected_bytes: config.file_bytes,
                    found_bytes: u64::from(scan.header.file_sectors) * SECTOR_BYTES as u64,
                });
            }
            if let Some(e) = scan.corrupt.clone() {
                return Err(e);
            }
            let file = dir
                .open(&cur, false)
                .map_err(|e| Error::read("log open", &e))?;
            let generation = scan.header.generation;
            let writer = Writer {
                file,
                generation,
                prev_crc: scan.last_crc,
                epoch: scan.max_epoch.wrapping_add(1),
                attachments: scan.header.attachments.clone(),
                images: Vec::new(),
            };
            let oldest = archives.iter().copied().min().unwrap_or(generation);
            (writer, scan.head(), scan.header.signature, oldest)
        };

        let checkpoint = CheckpointFile::open_or_create(
            &*dir,
            &base,
            Checkpoint {
                lgpos: sector_start(oldest, 1),
                signature,
                seq: 0,
            },
            fresh,
        )?;
        let buffer_bytes = config.buffer_bytes.max(SECTOR_BYTES);
        Ok(Log {
            dir,
            base,
            file_sectors,
            circular: config.circular,
            signature,
            buf: Mutex::new(Buffer::new(head)),
            buffer_bytes,
            group: Mutex::new(Group {
                leading: false,
                open: 0,
                expected: 1,
                misses: 0,
                taken_end: head,
                io_nanos: 0,
                gather_nanos: 0,
                spare: (Vec::new(), Vec::new()),
                gathering: None,
                gatherings: 0,
                sleepers: Vec::new(),
            }),
            publications: AtomicU64::new(0),
            present: AtomicUsize::new(0),
            last_start: AtomicU64::new(Lgpos::MIN.to_u64()),
            writer: Mutex::new(writer),
            checkpoint: Mutex::new(checkpoint),
            flushed: AtomicU64::new(head.to_u64()),
            head: AtomicU64::new(head.to_u64()),
            is_failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            committers_named: AtomicBool::new(false),
            flushes: AtomicU64::new(0),
            early: Arc::default(),
        })
    }

    /// The largest frame this log accepts: a record must fit one file.
    pub fn max_record_bytes(&self) -> usize {
        RECORD_MAX_BYTES.min((self.file_sectors as usize - 1) * SECTOR_PAYLOAD_BYTES)
    }

    /// The signature of this log stream, stored in every file header and the checkpoint.
    pub fn signature(&self) -> [u8; 16] {
        self.signature
    }

    /// The databases recorded in the headers of files created from now on.
    pub fn set_attachments(&self, attachments: &[Attachment]) -> Result<(), Error> {
        if attachments.len() > crate::format::ATTACHMENT_SLOTS {
            return Err(Error::InvalidParameter {
                what: "more attachments than a log file header holds",
            });
        }
        self.writer.lock().attachments = attachments.to_vec();
        Ok(())
    }

    fn check_failed(&self) -> Result<(), Error> {
        if self.is_failed.load(Ordering::Acquire) {
            let e = self.failure.lock().clone();
            return Err(e.unwrap_or(Error::LogWriteFail {
                op: "earlier failure",
                kind: std::io::ErrorKind::Other,
            }));
        }
        Ok(())
    }

    fn fail(&self, e: Error) -> Error {
        let mut f = self.failure.lock();
        let first = f.get_or_insert(e).clone();
        self.is_failed.store(true, Ordering::Release);
        first
    }

    /// Appends `rec` to the log buffer and returns its position. The record is not durable
    /// until the flush tip passes it (see [`Log::flush_to`]).
    pub fn append(&self, rec: &LogRecord) -> Result<Lgpos, Error> {
        let max = self.max_record_bytes();
        let body_len = rec.body_len();
        let frame = frame_len_of(body_len);
        if frame > max {
            return Err(Error::RecordTooLarge {
                bytes: frame,
                max_bytes: max,
            });
        }
        self.check_failed()?;
        let mut buf = self.buf.lock();
        let mut pending = buf.pending_bytes(self.file_sectors);
        if pending >= self.buffer_bytes {
            // Back-pressure: flush what is there (joining a flush in progress), then append.
            drop(buf);
            self.flush_all()?;
            buf = self.buf.lock();
            pending = buf.pending_bytes(self.file_sectors);
        }
        // Checked under the buffer lock, so no append lands after a failure is published and
        // then pretends to have succeeded.
        self.check_failed()?;
        let lgpos = buf.place(rec, body_len, self.file_sectors)?;
        self.head.store(buf.head.to_u64(), Ordering::Release);
        self.last_start.store(lgpos.to_u64(), Ordering::Release);
        drop(buf);
        // Half full: a flusher writes this half while appends fill the other.
        if pending >= self.buffer_bytes / 2 {
            self.early.want();
        }
        Ok(lgpos)
    }

    /// Appends a commit record (or any record) and, for [`CommitMode::Durable`], returns only
    /// once it is on stable storage (JetCommitTransaction).
    pub fn commit(&self, rec: &LogRecord, mode: CommitMode) -> Result<Lgpos, Error> {
        let lgpos = self.append(rec)?;
        if mode == CommitMode::Durable {
            self.commit_wait(lgpos)?;
        }
        Ok(lgpos)
    }

    /// The flush tip: every record positioned before it is durable. Lock-free.
    pub fn flushed(&self) -> Lgpos {
        Lgpos::from_u64(self.flushed.load(Ordering::Acquire))
    }

    /// Where the next record will start: at or after the end of the last record appended.
    pub fn head(&self) -> Lgpos {
        Lgpos::from_u64(self.head.load(Ordering::Acquire))
    }

    /// Returns once every record positioned at or before `lgpos` is durable (the write-ahead
    /// rule: call it with a page's newest record position before writing the page). Concurrent
    /// callers share one write and one fsync; see the module documentation.
    ///
    /// Until [`Log::commit_wait`] has been called once, a caller here is taken for a durable
    /// commit and counted in the group commit's expectations; from then on it is not (it is
    /// the write-ahead rule or a checkpoint), so a leader never waits for it to come back.
    pub fn flush_to(&self, lgpos: Lgpos) -> Result<(), Error> {
        let who = if self.committers_named.load(Ordering::Relaxed) {
            Waiter::Other
        } else {
            Waiter::Committer
        };
        self.flush_as(lgpos, who)
    }

    /// Returns once the durable commit whose record is at `lgpos` is on stable storage (the
    /// wait of JetCommitTransaction). Like [`Log::flush_to`], but the caller is counted as a
    /// committer that will soon commit again, so a flush leader briefly waits for it; once
    /// this has been called, [`Log::flush_to`] no longer counts as a committer.
    pub fn commit_wait(&self, lgpos: Lgpos) -> Result<(), Error> {
        if !self.committers_named.load(Ordering::Relaxed) {
            self.committers_named.store(true, Ordering::Relaxed);
        }
        self.flush_as(lgpos, Waiter::Committer)
    }

    /// [`Log::flush_to`] for a caller of the given kind.
    fn flush_as(&self, lgpos: Lgpos, who: Waiter) -> Result<(), Error> {
        let target = lgpos.min(Lgpos::from_u64(self.last_start.load(Ordering::Acquire)));
        if target < self.flushed() {
            return Ok(());
        }
        self.check_failed()?;
        let mut g = self.group.lock();
        let counted = who == Waiter::Committer;
        let mut take_over = false;
        if counted {
            let present = self.present.fetch_add(1, Ordering::Relaxed) + 1;
            g.expected = g.expected.max(present);
            if target >= g.taken_end {
                // The next batch will cover this caller: count it. If it completes the group
                // a leader is gathering, it leads in that leader's place: it is on a CPU
                // now, while waking the gatherer would cost a wake-up before the write.
                g.open += 1;
                if g.open >= g.expected
                    && let Some(gathering) = g.gathering.take()
                {
                    g.note_gathered(gathering.began);
                    take_over = true;
                }
            }
        }
        let result = self.wait_or_lead(g, target, take_over);
        if counted {
            self.present.fetch_sub(1, Ordering::Relaxed);
        }
        result
    }

    /// The loop of [`Log::flush_to`] and [`Log::commit_wait`], from the group state locked:
    /// sleep until the leader at work publishes, or lead, until `target` is durable or the
    /// log has failed. With `take_over` the caller already holds the lead (see
    /// [`Log::flush_as`]).
    fn wait_or_lead<'a>(
        &'a self,
        mut g: MutexGuard<'a, Group>,
        target: Lgpos,
        mut take_over: bool,
    ) -> Result<(), Error> {
        // Bounded in practice: each turn returns, sleeps until a leader publishes, or leads
        // one flush that covers `target`.
        loop {
            if target < self.flushed() {
                return Ok(());
            }
            self.check_failed()?;
            if !take_over {
                if g.leading {
                    // Follower: sleep until the current leader publishes, then re-check.
                    if let Some(result) = self.sleep(g, target, None) {
                        return result;
                    }
                    g = self.group.lock();
                    continue;
                }
                g.leading = true;
                match self.gather(g, target) {
                    Gathered::Lead(locked) => g = locked,
                    Gathered::TakenOver(locked) => {
                        g = locked;
                        continue;
                    }
                    Gathered::Done(result) => return result,
                }
            }
            take_over = false;
            let result = self.lead(&mut g);
            g.leading = false;
            self.publish(&mut g);
            result?;
        }
    }

    /// Ends a leader's turn: tells every sleeper to look again. The sleepers a flush covered
    /// return without taking the group lock, so they all run at once rather than one after
    /// another.
    fn publish(&self, g: &mut MutexGuard<'_, Group>) {
        self.publications.fetch_add(1, Ordering::Release);
        for sleeper in g.sleepers.drain(..) {
            sleeper.unpark();
        }
    }

    /// Releases the group lock and sleeps until a leader publishes (or `deadline` passes).
    /// Returns the caller's result if the flush published covered `target` or the log failed,
    /// or `None` when the caller must lock the group again and look.
    fn sleep(
        &self,
        mut g: MutexGuard<'_, Group>,
        target: Lgpos,
        deadline: Option<Instant>,
    ) -> Option<Result<(), Error>> {
        // Read under the lock that publications change under, as the sleeper is listed: a
        // publication after this point unparks this thread.
        let seen = self.publications.load(Ordering::Acquire);
        g.sleepers.push(std::thread::current());
        drop(g);
        // Bounded: a publication ends it, and so does the deadline; a wake-up without either
        // (parking may return spuriously) parks again.
        while self.publications.load(Ordering::Acquire) == seen {
            match deadline {
                None => std::thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return None;
                    }
                    std::thread::park_timeout(deadline - now);
                }
            }
        }
        if target < self.flushed() {
            return Some(Ok(()));
        }
        if let Err(e) = self.check_failed() {
            return Some(Err(e));
        }
        None
    }

    /// Before taking the buffer, waits briefly for the committers the leader can expect: the
    /// ones the last flush released are about to append their next commit, and waiting the
    /// moment that takes lets one fsync serve them all instead of leaving them for the next.
    /// Only waits when more committers were recently present at once than are now waiting,
    /// and never longer than one typical flush (half of one unless committers have lately
    /// taken longer to come back; less after each wait that was in vain), so a lone committer
    /// never waits at all. The arrival that completes the group takes the lead over (see
    /// [`Log::flush_as`]), and the gatherer becomes its follower.
    fn gather<'a>(&'a self, mut g: MutexGuard<'a, Group>, target: Lgpos) -> Gathered<'a> {
        if g.open >= g.expected {
            // Everyone expected is here: the expectation holds, so patience is restored.
            g.misses = 0;
            return Gathered::Lead(g);
        }
        if g.open == 0 || g.io_nanos == 0 {
            return Gathered::Lead(g);
        }
        // Half a flush, or twice what recent complete gatherings took if committers take
        // longer than that to come back (busy CPUs), but never more than a whole flush.
        let patience = (g.io_nanos / 2)
            .max(g.gather_nanos.saturating_mul(2))
            .min(g.io_nanos)
            .min(GATHER_MAX_NANOS)
            >> g.misses.min(MISSES_MAX);
        if patience == 0 {
            return Gathered::Lead(g);
        }
        let began = Instant::now();
        g.gatherings += 1;
        let number = g.gatherings;
        g.gathering = Some(Gathering { number, began });
        let deadline = began + Duration::from_nanos(patience);
        if let Some(result) = self.sleep(g, target, Some(deadline)) {
            return Gathered::Done(result);
        }
        let mut g = self.group.lock();
        if g.gathering.is_some_and(|x| x.number == number) {
            // Some of the expected committers are not coming (they finished, or are busy):
            // expect only those that came, and be less patient next time.
            g.gathering = None;
            g.expected = g.open.max(1);
            g.misses = (g.misses + 1).min(MISSES_MAX);
            Gathered::Lead(g)
        } else {
            Gathered::TakenOver(g)
        }
    }

    /// The leader's work: take the whole buffer, write it and sync it without holding any lock
    /// an appender or a follower needs, publish the new tip.
    fn lead(&self, g: &mut MutexGuard<'_, Group>) -> Result<(), Error> {
        self.check_failed()?;
        let batch = {
            let mut buf = self.buf.lock();
            if buf.segments.is_empty() {
                return Ok(());
            }
            let spare = std::mem::take(&mut g.spare);
            let batch = buf.take(spare, self.file_sectors);
            // Sealing moved the head past the last sector; keep head() >= flushed().
            self.head.store(buf.head.to_u64(), Ordering::Release);
            batch
        };
        let Some(mut batch) = batch else {
            return Ok(());
        };
        g.taken_end = batch.end;
        g.open = 0;
        let began = Instant::now();
        let written = MutexGuard::unlocked(g, || {
            let mut writer = self.writer.lock();
            self.write_batch(&mut writer, &batch)
        });
        let io = u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX);
        g.io_nanos = if g.io_nanos == 0 {
            io
        } else {
            (g.io_nanos.saturating_mul(7) / 8).saturating_add(io / 8)
        };
        match written {
            Ok(()) => {
                self.flushed.store(batch.end.to_u64(), Ordering::Release);
                self.flushes.fetch_add(1, Ordering::Relaxed);
                batch.stream.clear();
                batch.segments.clear();
                g.spare = (batch.stream, batch.segments);
                Ok(())
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// How many flushes (one write and one fsync per file touched) this log has made since it
    /// was opened; with group commit, far fewer than its durable commits.
    pub fn flush_count(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// Makes every record appended so far durable. The caller is never counted as a
    /// committer.
    pub fn flush_all(&self) -> Result<(), Error> {
        self.flush_as(Lgpos::MAX, Waiter::Other)
    }

    /// Writes one batch, file by file: each file's run of sectors in one write-through write.
    fn write_batch(&self, w: &mut Writer, batch: &Batch) -> Result<(), Error> {
        for seg in &batch.segments {
            let generation = seg.start.generation;
            if generation != w.generation {
                self.roll(w, generation)?;
            }
            let first = seg.start.sector;
            let count = SegmentSectors::new(seg, self.file_sectors).count();
            if count == 0 {
                continue;
            }
            // count <= file_sectors, and the last sector number fits a u16.
            let last = first + (count - 1) as u16;
            let mut images = std::mem::take(&mut w.images);
            images.clear();
            images.reserve(count * SECTOR_BYTES);
            for (k, (sector, used_end, payload)) in
                SegmentSectors::new(seg, self.file_sectors).enumerate()
            {
                // Each byte is written once: the header's room and any gap before the
                // payload as zeros, the payload, then zeros to the end of the sector.
                let base = k * SECTOR_BYTES;
                images.resize(base + usize::from(used_end) - payload.len(), 0);
                images.extend_from_slice(&batch.stream[payload]);
                images.resize(base + SECTOR_BYTES, 0);
                let image = &mut images[base..];
                let h = SectorHeader {
                    crc: 0,
                    generation,
                    sector,
                    used_end,
                    flush_first: first,
                    flush_last: last,
                    epoch: w.epoch,
                    prev_crc: w.prev_crc,
                };
                w.prev_crc = h.seal(image);
            }
            let offset = u64::from(first) * SECTOR_BYTES as u64;
            // Write-through (ESE's unbuffered log writes): the run is durable when the write
            // returns, without a separate fdatasync.
            let written = w
                .file
                .write_durable(offset, &images)
                .map_err(|e| Error::write("log write", &e));
            w.images = images;
            written?;
        }
        Ok(())
    }

    /// Makes `generation` (the successor of the writer's) the current file.
    fn roll(&self, w: &mut Writer, generation: u32) -> Result<(), Error> {
        if generation != w.generation.wrapping_add(1) || generation > GENERATION_MAX {
            return Err(Error::LogSequenceEnd);
        }
        let header = FileHeader {
            generation,
            file_sectors: self.file_sectors,
            signature: self.signature,
            prev_last_crc: w.prev_crc,
            created_unix_nanos: unix_nanos(),
            attachments: w.attachments.clone(),
        };
        let dir = &*self.dir;
        let (file, crc) = create_generation(dir, &self.base, &header)?;
        let cur = current_name(&self.base);
        dir_op(
            "log rename",
            dir.rename(&cur, &archive_name(&self.base, w.generation)),
        )?;
        dir_op("log directory sync", dir.sync())?;
        dir_op("log rename", dir.rename(&tmp_name(&self.base), &cur))?;
        dir_op("log directory sync", dir.sync())?;
        w.file = file;
        w.generation = generation;
        w.prev_crc = crc;
        Ok(())
    }

    /// Records `lgpos` as the checkpoint in `<base>.chk`, after making the log durable up to
    /// it. With circular logging, generations that lie entirely before it are then deleted.
    /// The checkpoint never moves backwards: a position at or before the current one is
    /// ignored. A position past [`Log::head`] is [`Error::PositionBeyondEnd`].
    pub fn write_checkpoint(&self, lgpos: Lgpos) -> Result<(), Error> {
        let head = self.head();
        if lgpos > head {
            return Err(Error::PositionBeyondEnd { lgpos, head });
        }
        self.flush_as(lgpos, Waiter::Other)?;
        let mut chk = self.checkpoint.lock();
        if lgpos <= chk.last().lgpos {
            // The checkpoint only moves forward (generations before it may already be gone).
            return Ok(());
        }
        chk.write(lgpos)?;
        if self.circular {
            let names = dir_op("log directory list", self.dir.list())?;
            let mut removed = false;
            for name in names {
                if let Some(g) = parse_archive_name(&self.base, &name) {
                    if g < lgpos.generation {
                        dir_op("log remove", self.dir.remove(&name))?;
                        removed = true;
                    }
                }
            }
            if removed {
                dir_op("log directory sync", self.dir.sync())?;
            }
        }
        Ok(())
    }

    /// The checkpoint as last written to `<base>.chk`, read back from the file.
    pub fn read_checkpoint(&self) -> Result<Lgpos, Error> {
        read_checkpoint(&*self.dir, &self.base).map(|c| c.lgpos)
    }

    /// A reader over this log's files (for recovery, or tests, after flushing).
    pub fn reader(&self) -> Result<LogReader, Error> {
        LogReader::open(self.dir.clone(), &self.base)
    }

    /// The generation of the current log file.
    pub fn current_generation(&self) -> u32 {
        self.writer.lock().generation
    }
}

/// A background thread that flushes the log every interval while there is something to flush,
/// so a lazy commit becomes durable within about one interval, and at once when an append
/// finds the buffer half full, so the buffer is written beside the appends that fill it
/// rather than by the append that finds it full. Dropping it stops the thread.
#[derive(Debug)]
pub struct LazyFlusher {
    signal: Arc<EarlyFlush>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LazyFlusher {
    /// Starts flushing `log` every `interval`. The thread holds only a weak reference: it ends
    /// by itself once the log is dropped. A flush failure is left for the next caller to see
    /// (it is sticky).
    pub fn start(log: &Arc<Log>, interval: std::time::Duration) -> LazyFlusher {
        let weak = Arc::downgrade(log);
        let signal = Arc::clone(&log.early);
        let stop = Arc::new(AtomicBool::new(false));
        let (s, stopping) = (Arc::clone(&signal), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("ese-log-flush".into())
            .spawn(move || {
                // Ends when told to stop, when the flusher is dropped, or when the log is gone.
                // Both flags are read under the lock they are notified under: no wake is missed.
                let mut lock = s.lock.lock();
                while !stopping.load(Ordering::Acquire) {
                    if !s.wanted.load(Ordering::Acquire) {
                        s.wake.wait_for(&mut lock, interval);
                    }
                    if stopping.load(Ordering::Acquire) {
                        break;
                    }
                    drop(lock);
                    s.wanted.store(false, Ordering::Release);
                    let Some(log) = weak.upgrade() else { break };
                    if log.head() > log.flushed() && log.flush_all().is_err() {
                        break;
                    }
                    drop(log);
                    lock = s.lock.lock();
                }
            })
            .ok();
        LazyFlusher {
            signal,
            stop,
            thread,
        }
    }
}

impl Drop for LazyFlusher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        {
            let _lock = self.signal.lock.lock();
            self.signal.wake.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Scans the current file and checks that it follows the newest archive.
fn scan_generation_current(
    dir: &dyn Directory,
    cur: &str,
    newest_archive: Option<u32>,
) -> Result<crate::reader::GenerationScan, Error> {
    let storage = dir
        .open(cur, false)
        .map_err(|e| Error::read("log open", &e))?;
    let mut b = [0u8; SECTOR_BYTES];
    let expected = newest_archive.map_or(1, |g| g.saturating_add(1));
    storage
        .read_at(0, &mut b)
        .map_err(|_| Error::LogFileCorrupt {
            generation: expected,
            sector: 0,
            reason: "file is shorter than its header",
        })?;
    let header = FileHeader::decode(&b).map_err(|i| Error::LogFileCorrupt {
        generation: expected,
        sector: 0,
        reason: i.0,
    })?;
    if newest_archive.is_some_and(|g| g >= header.generation) {
        return Err(Error::InvalidLogSequence {
            generation: header.generation,
        });
    }
    scan_generation(dir, cur, header.generation, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::arb_record;
    use ese_pageio::MemDirectory;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any sequence of records, appended with any mix of durable and lazy commits and
        /// checkpoints, reads back identical across file rollovers and a reopen.
        #[test]
        fn any_records_read_back_across_rollovers(
            ops in proptest::collection::vec((arb_record(), 0u8..4), 1..120),
            split in 0usize..120,
        ) {
            let dir = Arc::new(MemDirectory::new());
            let mut log = Log::open(LogConfig::test_min(dir.clone())).unwrap();
            let mut expect = Vec::new();
            for (i, (rec, how)) in ops.iter().enumerate() {
                if i == split {
                    log.flush_all().unwrap();
                    drop(log);
                    log = Log::open(LogConfig::test_min(dir.clone())).unwrap();
                }
                let lgpos = match how {
                    0 => log.commit(rec, CommitMode::Durable).unwrap(),
                    1 => log.commit(rec, CommitMode::Lazy).unwrap(),
                    _ => log.append(rec).unwrap(),
                };
                prop_assert!(lgpos >= log.flushed() || *how == 0);
                prop_assert!(lgpos < log.head());
                prop_assert!(log.flushed() <= log.head());
                expect.push((lgpos, rec.clone()));
            }
            log.flush_all().unwrap();
            let (got, end) = log.reader().unwrap().read_all().unwrap();
            prop_assert_eq!(got, expect);
            prop_assert_eq!(end.head, log.flushed());
        }
    }

    /// The `(generation, sector, used_end)` of every sector a batch writes, in order.
    fn slots(batch: &Batch, file_sectors: u32) -> Vec<(u32, u16, u16)> {
        batch
            .segments
            .iter()
            .flat_map(|seg| {
                SegmentSectors::new(seg, file_sectors)
                    .map(|(s, used, _)| (seg.start.generation, s, used))
            })
            .collect()
    }

    /// A record whose frame is exactly `frame` bytes long.
    fn record_of_frame(frame: usize) -> LogRecord {
        let op = crate::record::PageOp {
            trx: ese_core::Trx(1),
            db: ese_core::DbId(1),
            pgno: ese_core::Pgno(2),
            dbtime_before: ese_core::Dbtime(3),
            dbtime_after: ese_core::Dbtime(4),
            payload: Vec::new(),
            undo: Vec::new(),
        };
        let bare = LogRecord::InsertNode(op.clone()).frame_len();
        // Varint lengths grow with the payload: find the payload (and a byte or two of undo)
        // that make the frame exactly `frame` bytes.
        let mut fits = None;
        'search: for payload in (frame - bare).saturating_sub(8)..=frame - bare {
            for undo in 0..4 {
                let rec = LogRecord::InsertNode(crate::record::PageOp {
                    payload: vec![0xab; payload],
                    undo: vec![0xcd; undo],
                    ..op.clone()
                });
                if rec.frame_len() == frame {
                    fits = Some(rec);
                    break 'search;
                }
            }
        }
        let rec = fits.expect("a frame of that size");
        assert_eq!(rec.frame_len(), frame);
        rec
    }

    fn place(b: &mut Buffer, rec: &LogRecord, n: u32) -> Result<Lgpos, Error> {
        b.place(rec, rec.body_len(), n)
    }

    #[test]
    fn the_buffer_places_records_and_seals_flushes() {
        let mut b = Buffer::new(sector_start(1, 1));
        let n = 8;
        let spare = || (Vec::new(), Vec::new());
        // A frame that spans a sector boundary.
        let rec = record_of_frame(SECTOR_PAYLOAD_BYTES + 10);
        assert_eq!(place(&mut b, &rec, n).unwrap(), Lgpos::new(1, 1, 24));
        assert_eq!(b.head, Lgpos::new(1, 2, 34));
        let batch = b.take(spare(), n).unwrap();
        assert_eq!(slots(&batch, n), vec![(1, 1, 512), (1, 2, 34)]);
        assert_eq!(batch.stream, rec.encode().unwrap());
        assert_eq!(
            batch.end,
            sector_start(1, 3),
            "a flush seals its last sector"
        );
        assert!(b.take(spare(), n).is_none());
        // A frame that does not fit the rest of the file closes it with empty sectors.
        let big = record_of_frame(5 * SECTOR_PAYLOAD_BYTES + 1);
        assert_eq!(place(&mut b, &big, n).unwrap(), sector_start(2, 1));
        let batch = b.take(spare(), n).unwrap();
        let closing: Vec<_> = slots(&batch, n).into_iter().filter(|s| s.0 == 1).collect();
        assert_eq!(
            closing,
            [(1, 3, 24), (1, 4, 24), (1, 5, 24), (1, 6, 24), (1, 7, 24)]
        );
        b.head = sector_start(GENERATION_MAX, 7);
        assert_eq!(place(&mut b, &big, n), Err(Error::LogSequenceEnd));
    }

    #[test]
    fn the_buffer_lays_out_frames_as_the_sector_stream_does() {
        // Frames of every size from tiny to several sectors, placed back to back across
        // rollovers, land where a byte-by-byte copy into sectors would put them.
        let n = 8;
        let mut b = Buffer::new(sector_start(1, 1));
        let mut model = sector_start(1, 1);
        let mut expect = Vec::new();
        for (i, len) in (0..60).map(|i| (i, 45 + (i * 97) % (3 * SECTOR_PAYLOAD_BYTES))) {
            let rec = record_of_frame(len);
            // The model: close the file if the frame does not fit, then copy byte by byte.
            let room = (SECTOR_BYTES - usize::from(model.offset))
                + (n as usize - 1 - usize::from(model.sector)) * SECTOR_PAYLOAD_BYTES;
            if len > room {
                model = sector_start(model.generation + 1, 1);
            }
            let start = model;
            for _ in 0..len {
                model.offset += 1;
                if usize::from(model.offset) == SECTOR_BYTES {
                    model = after_sector(model.generation, model.sector, n);
                }
            }
            assert_eq!(place(&mut b, &rec, n).unwrap(), start, "frame {i}");
            assert_eq!(b.head, model, "frame {i}");
            expect.push(start);
            if i % 7 == 3 {
                let pending = b.pending_bytes(n);
                let batch = b.take((Vec::new(), Vec::new()), n).unwrap();
                assert_eq!(pending, slots(&batch, n).len() * SECTOR_BYTES, "frame {i}");
                for w in slots(&batch, n).windows(2) {
                    assert!(w[0] < w[1], "sectors are written in order");
                }
                if usize::from(model.offset) != SECTOR_HEADER_BYTES {
                    model = after_sector(model.generation, model.sector, n);
                }
                assert_eq!(batch.end, model);
            }
        }
        assert_eq!(expect.len(), 60);
    }
}
