//! Crash simulation: storages that can show what a disk would hold after a power cut.
//!
//! # The model
//!
//! A [`CrashStorage`] behaves like a file to its user (reads see every completed write), and
//! also records every mutating operation (`write_at`, `set_len`, `sync`) with a sequence number
//! from a clock. [`CrashStorage::crash_image_at`]`(ops, seed)` answers: had the power failed
//! right after the first `ops` operations were issued, what could the disk hold?
//!
//! ```text
//!   op:     0        1        2      3        4         5
//!         write A  write B  sync  write C  set_len  write D   | power cut after op 5
//!         \______ durable ______/ \________ volatile ________/
//!                                   each: lost, kept or torn (chosen from the seed)
//! ```
//!
//! * Everything up to and including the file's last `sync` in the prefix is durable: it is in
//!   the image exactly as written.
//! * Each later write is, by a pure function of `(seed, its sequence number)`, **lost**
//!   (none of it reached the disk), **kept** (all of it did), or **torn**. A torn write is cut at
//!   absolute 512-byte sector boundaries ([`SECTOR_BYTES`]) and each piece is kept or lost on its
//!   own; a sector is never half-written.
//! * Each later `set_len` is applied or lost (growth and truncation alike).
//! * Surviving volatile operations are applied in their original order, so a sector holds the
//!   value of one of the writes that covered it, or its durable value: never a mix, and never an
//!   older write over a newer one.
//!
//! Because an operation's fate depends only on the seed and its own sequence number, the images
//! of one seed at growing cut points are consistent with each other, and a test that finds a bad
//! image can name it by `(ops, seed)` and replay it.
//!
//! A [`CrashDirectory`] extends the model to names. Its files are `CrashStorage`s sharing the
//! directory's clock, so `ops` counts the operations of every file and of the directory in one
//! global order. Creations, renames and removals are durable once [`Directory::sync`] has
//! followed them; before that each is, per seed, applied or lost (a rename as a whole). A
//! file's durable data is visible only under a name that survived.
//!
//! The recorder keeps every byte ever written, so it is meant for test workloads, not for
//! gigabytes.

use ese_core::rng::splitmix64 as mix;
use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ese_core::limits::SECTOR_BYTES;
use parking_lot::Mutex;

use crate::storage::{Directory, MemDirectory, MemStorage, Storage};

/// The hash that decides the fate of operation `seq` under `seed`.
fn op_hash(seed: u64, seq: u64) -> u64 {
    mix(mix(seed) ^ seq.wrapping_mul(0xd6e8_feb8_6659_fd93))
}

/// What happened to one write that was not followed by a sync before the crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum WriteFate {
    /// None of it is on the disk.
    Lost,
    /// All of it is on the disk.
    Kept,
    /// Piece `i` (the write cut at absolute sector boundaries) is on the disk iff `pieces[i]`.
    Torn(Vec<bool>),
}

/// The pieces of a write at `offset` of `len` bytes, cut at absolute sector boundaries, as
/// `(start, end)` offsets relative to the start of the write.
pub(crate) fn sector_pieces(offset: u64, len: usize) -> Vec<(usize, usize)> {
    let sector = SECTOR_BYTES as u64;
    let mut pieces = Vec::new();
    let mut start = 0usize;
    while start < len {
        let abs = offset + start as u64;
        let room = (sector - abs % sector) as usize;
        let end = (start + room).min(len);
        pieces.push((start, end));
        start = end;
    }
    pieces
}

pub(crate) fn write_fate(seed: u64, seq: u64, offset: u64, len: usize) -> WriteFate {
    let h = op_hash(seed, seq);
    match h % 3 {
        0 => WriteFate::Lost,
        1 => WriteFate::Kept,
        _ => {
            let n = sector_pieces(offset, len).len() as u64;
            WriteFate::Torn((0..n).map(|i| mix(h ^ i) & 1 == 1).collect())
        }
    }
}

/// Whether unsynced operation `seq` (a `set_len` or a directory operation) survives.
pub(crate) fn survives(seed: u64, seq: u64) -> bool {
    op_hash(seed, seq) & 1 == 0
}

fn too_large() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "offset too large")
}

fn apply_write(bytes: &mut Vec<u8>, offset: u64, data: &[u8]) {
    // As on a real file, writing nothing changes nothing, not even the length.
    if data.is_empty() {
        return;
    }
    // Offsets were checked to fit a usize when the write was recorded.
    let start = offset as usize;
    let end = start + data.len();
    if end > bytes.len() {
        bytes.resize(end, 0);
    }
    bytes[start..end].copy_from_slice(data);
}

#[derive(Debug, Clone)]
enum FileOp {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
    Sync,
}

#[derive(Debug, Default)]
struct FileState {
    /// What a reader sees now: every operation applied.
    current: Vec<u8>,
    /// Every mutating operation, in sequence order.
    log: Vec<(u64, FileOp)>,
}

/// A file in memory that records every mutating operation, so it can show the disk after a
/// simulated power cut (see the module documentation for the model).
#[derive(Debug)]
pub struct CrashStorage {
    clock: Arc<AtomicU64>,
    state: Mutex<FileState>,
}

impl Default for CrashStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl CrashStorage {
    /// An empty file with its own clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(AtomicU64::new(0)))
    }

    fn with_clock(clock: Arc<AtomicU64>) -> Self {
        Self {
            clock,
            state: Mutex::new(FileState::default()),
        }
    }

    /// The number of mutating operations (write_at, set_len, sync) so far on this file's clock.
    /// For a file of a [`CrashDirectory`] the clock is the directory's, shared by all its files.
    pub fn op_count(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// The disk after a power cut now, with the fates of unsynced operations chosen by `seed`.
    pub fn crash_image(&self, seed: u64) -> MemStorage {
        self.crash_image_at(self.op_count(), seed)
    }

    /// The disk after a power cut when only the first `ops` operations (on this file's clock)
    /// had been issued, with the fates of unsynced operations chosen by `seed`.
    pub fn crash_image_at(&self, ops: u64, seed: u64) -> MemStorage {
        MemStorage::from_bytes(self.image_bytes(ops, seed))
    }

    /// A copy of what a reader sees now (every operation applied).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.state.lock().current.clone()
    }

    fn image_bytes(&self, ops: u64, seed: u64) -> Vec<u8> {
        let state = self.state.lock();
        let prefix = state.log.partition_point(|(seq, _)| *seq < ops);
        let log = &state.log[..prefix];
        let durable = log
            .iter()
            .rposition(|(_, op)| matches!(op, FileOp::Sync))
            .map_or(0, |i| i + 1);
        let mut bytes = Vec::new();
        for (i, (seq, op)) in log.iter().enumerate() {
            let volatile = i >= durable;
            match op {
                FileOp::Write { offset, data } => {
                    let fate = if volatile {
                        write_fate(seed, *seq, *offset, data.len())
                    } else {
                        WriteFate::Kept
                    };
                    match fate {
                        WriteFate::Lost => {}
                        WriteFate::Kept => apply_write(&mut bytes, *offset, data),
                        WriteFate::Torn(keep) => {
                            let pieces = sector_pieces(*offset, data.len());
                            for ((start, end), kept) in pieces.into_iter().zip(keep) {
                                if kept {
                                    apply_write(
                                        &mut bytes,
                                        offset + start as u64,
                                        &data[start..end],
                                    );
                                }
                            }
                        }
                    }
                }
                FileOp::SetLen(len) => {
                    if !volatile || survives(seed, *seq) {
                        // Lengths were checked to fit a usize when recorded.
                        bytes.resize(*len as usize, 0);
                    }
                }
                FileOp::Sync => {}
            }
        }
        bytes
    }

    fn record(&self, state: &mut FileState, op: FileOp) {
        let seq = self.clock.fetch_add(1, Ordering::SeqCst);
        state.log.push((seq, op));
    }
}

impl Storage for CrashStorage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let state = self.state.lock();
        let end = offset.checked_add(buf.len() as u64).ok_or_else(too_large)?;
        if end > state.current.len() as u64 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "read of {} bytes at offset {offset} passes the end of a {}-byte file",
                    buf.len(),
                    state.current.len()
                ),
            ));
        }
        buf.copy_from_slice(&state.current[offset as usize..end as usize]);
        Ok(())
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(too_large)?;
        usize::try_from(end).map_err(|_| too_large())?;
        let mut state = self.state.lock();
        apply_write(&mut state.current, offset, data);
        self.record(
            &mut state,
            FileOp::Write {
                offset,
                data: data.to_vec(),
            },
        );
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.state.lock().current.len() as u64)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let n = usize::try_from(len).map_err(|_| too_large())?;
        let mut state = self.state.lock();
        state.current.resize(n, 0);
        self.record(&mut state, FileOp::SetLen(len));
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        let mut state = self.state.lock();
        self.record(&mut state, FileOp::Sync);
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum DirOp {
    Create { name: String, file: usize },
    Rename { from: String, to: String },
    Remove { name: String },
    Sync,
}

#[derive(Debug, Default)]
struct DirState {
    /// The names a caller sees now, each naming an index into `files`.
    names: BTreeMap<String, usize>,
    /// Every file ever created, removed ones included (an open handle outlives its name).
    files: Vec<Arc<CrashStorage>>,
    /// Every directory operation, in sequence order.
    log: Vec<(u64, DirOp)>,
}

/// A directory in memory whose files are [`CrashStorage`]s on one shared clock, and whose
/// creations, renames and removals are durable only after [`Directory::sync`].
#[derive(Debug)]
pub struct CrashDirectory {
    clock: Arc<AtomicU64>,
    state: Mutex<DirState>,
}

impl Default for CrashDirectory {
    fn default() -> Self {
        Self::new()
    }
}

impl CrashDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self {
            clock: Arc::new(AtomicU64::new(0)),
            state: Mutex::new(DirState::default()),
        }
    }

    /// The number of mutating operations so far: those of every file plus the directory's own
    /// (creation, rename, removal, sync), in one global order.
    pub fn op_count(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// The file called `name` now, as its concrete type.
    pub fn file(&self, name: &str) -> Option<Arc<CrashStorage>> {
        let state = self.state.lock();
        state.names.get(name).map(|&i| state.files[i].clone())
    }

    /// The directory after a power cut now, with the fates of unsynced operations chosen by
    /// `seed`.
    pub fn crash_image(&self, seed: u64) -> MemDirectory {
        self.crash_image_at(self.op_count(), seed)
    }

    /// The directory after a power cut when only the first `ops` operations (global order) had
    /// been issued, with the fates of unsynced operations chosen by `seed`.
    pub fn crash_image_at(&self, ops: u64, seed: u64) -> MemDirectory {
        let state = self.state.lock();
        let prefix = state.log.partition_point(|(seq, _)| *seq < ops);
        let log = &state.log[..prefix];
        let durable = log
            .iter()
            .rposition(|(_, op)| matches!(op, DirOp::Sync))
            .map_or(0, |i| i + 1);
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for (i, (seq, op)) in log.iter().enumerate() {
            if i >= durable && !survives(seed, *seq) {
                continue;
            }
            match op {
                DirOp::Create { name, file } => {
                    names.insert(name.clone(), *file);
                }
                DirOp::Rename { from, to } => {
                    // A rename whose source was lost has nothing to move.
                    if let Some(file) = names.remove(from) {
                        names.insert(to.clone(), file);
                    }
                }
                DirOp::Remove { name } => {
                    names.remove(name);
                }
                DirOp::Sync => {}
            }
        }
        let image = MemDirectory::new();
        for (name, file) in names {
            let bytes = state.files[file].image_bytes(ops, seed);
            // Names were checked when they were created; a MemDirectory accepts the same ones.
            if let Ok(f) = image.open(&name, true) {
                if !bytes.is_empty() {
                    let _ = f.write_at(0, &bytes);
                }
            }
        }
        image
    }

    fn record(&self, state: &mut DirState, op: DirOp) {
        let seq = self.clock.fetch_add(1, Ordering::SeqCst);
        state.log.push((seq, op));
    }
}

fn check_name(name: &str) -> io::Result<()> {
    // The same rule as the other directories: one plain path component.
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a plain file name"),
        ));
    }
    Ok(())
}

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("no file {name:?}"))
}

impl Directory for CrashDirectory {
    fn open(&self, name: &str, create: bool) -> io::Result<Arc<dyn Storage>> {
        check_name(name)?;
        let mut state = self.state.lock();
        if let Some(&i) = state.names.get(name) {
            return Ok(state.files[i].clone());
        }
        if !create {
            return Err(not_found(name));
        }
        let file = Arc::new(CrashStorage::with_clock(self.clock.clone()));
        let index = state.files.len();
        state.files.push(file.clone());
        state.names.insert(name.to_owned(), index);
        self.record(
            &mut state,
            DirOp::Create {
                name: name.to_owned(),
                file: index,
            },
        );
        Ok(file)
    }

    fn exists(&self, name: &str) -> io::Result<bool> {
        Ok(self.state.lock().names.contains_key(name))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        check_name(to)?;
        let mut state = self.state.lock();
        let file = state.names.remove(from).ok_or_else(|| not_found(from))?;
        state.names.insert(to.to_owned(), file);
        self.record(
            &mut state,
            DirOp::Rename {
                from: from.to_owned(),
                to: to.to_owned(),
            },
        );
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        let mut state = self.state.lock();
        state.names.remove(name).ok_or_else(|| not_found(name))?;
        self.record(
            &mut state,
            DirOp::Remove {
                name: name.to_owned(),
            },
        );
        Ok(())
    }

    fn list(&self) -> io::Result<Vec<String>> {
        Ok(self.state.lock().names.keys().cloned().collect())
    }

    fn sync(&self) -> io::Result<()> {
        let mut state = self.state.lock();
        self.record(&mut state, DirOp::Sync);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bytes_of(s: &MemStorage) -> Vec<u8> {
        s.to_bytes()
    }

    #[test]
    fn sector_pieces_cut_at_absolute_boundaries() {
        type Case = (u64, usize, &'static [(usize, usize)]);
        let cases: &[Case] = &[
            (0, 0, &[]),
            (0, 512, &[(0, 512)]),
            (0, 513, &[(0, 512), (512, 513)]),
            (100, 1000, &[(0, 412), (412, 924), (924, 1000)]),
            (511, 2, &[(0, 1), (1, 2)]),
            (1024, 10, &[(0, 10)]),
        ];
        for &(offset, len, expected) in cases {
            assert_eq!(sector_pieces(offset, len), expected, "{offset}+{len}");
        }
    }

    #[test]
    fn synced_data_survives_every_seed() {
        let s = CrashStorage::new();
        s.write_at(0, &[0x11; 3000]).unwrap();
        s.set_len(4096).unwrap();
        s.sync().unwrap();
        s.write_at(5000, &[0x22; 700]).unwrap();
        s.set_len(100).unwrap();
        for seed in 0..300 {
            let img = bytes_of(&s.crash_image(seed));
            // Truncation may survive, so only the bytes still present are checked, and the
            // synced length may only have been cut by the unsynced set_len(100).
            assert!(img.len() == 100 || img.len() >= 4096, "seed {seed}");
            let n = img.len().min(3000);
            assert!(img[..n].iter().all(|&b| b == 0x11), "seed {seed}");
        }
        // The image of the synced prefix alone is exact.
        let at_sync = bytes_of(&s.crash_image_at(3, 7));
        let mut expected = vec![0x11; 3000];
        expected.resize(4096, 0);
        assert_eq!(at_sync, expected);
    }

    #[test]
    fn an_unsynced_write_marked_lost_never_appears() {
        let s = CrashStorage::new();
        s.set_len(16 * 512).unwrap();
        s.sync().unwrap();
        // Sixteen disjoint, sector-aligned writes, each with its own byte value.
        for i in 0..16u64 {
            s.write_at(i * 512, &[i as u8 + 1; 512]).unwrap();
        }
        let (mut lost, mut kept) = (0, 0);
        for seed in 0..200 {
            let img = bytes_of(&s.crash_image(seed));
            assert_eq!(img.len(), 16 * 512);
            for i in 0..16u64 {
                let seq = 2 + i;
                let sector = &img[i as usize * 512..(i as usize + 1) * 512];
                let here = match write_fate(seed, seq, i * 512, 512) {
                    WriteFate::Lost => false,
                    WriteFate::Kept => true,
                    WriteFate::Torn(k) => k[0],
                };
                if here {
                    kept += 1;
                    assert!(
                        sector.iter().all(|&b| b == i as u8 + 1),
                        "seed {seed} op {seq}"
                    );
                } else {
                    lost += 1;
                    assert!(
                        sector.iter().all(|&b| b == 0),
                        "seed {seed} op {seq} was lost"
                    );
                }
            }
        }
        assert!(
            lost > 500 && kept > 500,
            "fates are mixed: {lost} lost, {kept} kept"
        );
    }

    #[test]
    fn torn_writes_tear_only_at_sector_boundaries() {
        let s = CrashStorage::new();
        s.write_at(0, &[0x11; 8192]).unwrap();
        s.sync().unwrap();
        // An unaligned 4 KiB write spanning nine sectors.
        let (offset, len) = (300u64, 4096usize);
        s.write_at(offset, &vec![0xab; len]).unwrap();
        let mut shapes = std::collections::BTreeSet::new();
        for seed in 0..400 {
            let img = bytes_of(&s.crash_image(seed));
            assert_eq!(img.len(), 8192);
            for (i, pair) in img.windows(2).enumerate() {
                let boundary = i + 1;
                if pair[0] != pair[1] {
                    let inside =
                        boundary as u64 > offset && (boundary as u64) < offset + len as u64;
                    if inside {
                        assert_eq!(
                            boundary % SECTOR_BYTES,
                            0,
                            "seed {seed} tears at {boundary}"
                        );
                    }
                }
            }
            assert!(img.iter().all(|&b| b == 0x11 || b == 0xab));
            let new_sectors =
                (0..16).filter(|k| img[k * 512 + 511] == 0xab || img[k * 512] == 0xab);
            shapes.insert(new_sectors.collect::<Vec<_>>());
        }
        // All lost, all kept, and many torn mixtures were seen.
        assert!(shapes.len() > 20, "only {} distinct images", shapes.len());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Write(u64, usize, u8),
        SetLen(u64),
        Sync,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u64..3000, 0usize..1400, any::<u8>()).prop_map(|(o, l, b)| Op::Write(o, l, b)),
            1 => (0u64..4000).prop_map(Op::SetLen),
            2 => Just(Op::Sync),
        ]
    }

    /// The model: the durable bytes, plus the operations since the last sync, applied byte by
    /// byte with the same fates.
    fn model_image(ops: &[Op], cut: usize, seed: u64) -> Vec<u8> {
        let mut durable: Vec<u8> = Vec::new();
        let mut pending: Vec<(u64, &Op)> = Vec::new();
        let apply = |bytes: &mut Vec<u8>, op: &Op, keep_byte: &dyn Fn(u64) -> bool| match *op {
            Op::Write(o, l, b) => {
                if bytes.len() < o as usize + l && (0..l as u64).any(|j| keep_byte(o + j)) {
                    let last = (0..l as u64).rev().find(|&j| keep_byte(o + j)).unwrap_or(0);
                    let end = (o + last + 1) as usize;
                    if bytes.len() < end {
                        bytes.resize(end, 0);
                    }
                }
                for j in 0..l as u64 {
                    if keep_byte(o + j) {
                        bytes[(o + j) as usize] = b;
                    }
                }
            }
            Op::SetLen(n) => bytes.resize(n as usize, 0),
            Op::Sync => {}
        };
        for (seq, op) in ops[..cut].iter().enumerate() {
            if let Op::Sync = op {
                for (_, p) in pending.drain(..) {
                    apply(&mut durable, p, &|_| true);
                }
            } else {
                pending.push((seq as u64, op));
            }
        }
        let mut img = durable;
        for (seq, op) in pending {
            match *op {
                Op::Write(o, l, _) => {
                    let fate = write_fate(seed, seq, o, l);
                    let first_sector = o / SECTOR_BYTES as u64;
                    apply(&mut img, op, &|abs| match &fate {
                        WriteFate::Lost => false,
                        WriteFate::Kept => true,
                        WriteFate::Torn(k) => {
                            k[(abs / SECTOR_BYTES as u64 - first_sector) as usize]
                        }
                    });
                }
                Op::SetLen(_) => {
                    if survives(seed, seq) {
                        apply(&mut img, op, &|_| true);
                    }
                }
                Op::Sync => {}
            }
        }
        img
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn crash_images_match_the_model(
            ops in proptest::collection::vec(op(), 0..30),
            cut_frac in 0.0f64..=1.0,
            seed in any::<u64>(),
        ) {
            let s = CrashStorage::new();
            for op in &ops {
                match *op {
                    Op::Write(o, l, b) => s.write_at(o, &vec![b; l]).unwrap(),
                    Op::SetLen(n) => s.set_len(n).unwrap(),
                    Op::Sync => s.sync().unwrap(),
                }
            }
            prop_assert_eq!(s.op_count(), ops.len() as u64);
            let cut = ((ops.len() as f64) * cut_frac) as usize;
            let img = bytes_of(&s.crash_image_at(cut as u64, seed));
            prop_assert_eq!(&img, &model_image(&ops, cut, seed));
            // Right after a sync, nothing is volatile: the image is what a reader saw.
            s.sync().unwrap();
            prop_assert_eq!(bytes_of(&s.crash_image(seed)), s.to_bytes());
        }
    }

    #[derive(Debug, Clone)]
    enum DOp {
        Create(u8),
        Rename(u8, u8),
        Remove(u8),
        Write(u8, u8),
        FileSync(u8),
        DirSync,
    }

    fn dop() -> impl Strategy<Value = DOp> {
        let name = 0u8..4;
        prop_oneof![
            3 => name.clone().prop_map(DOp::Create),
            2 => (name.clone(), name.clone()).prop_map(|(a, b)| DOp::Rename(a, b)),
            1 => name.clone().prop_map(DOp::Remove),
            3 => (name.clone(), any::<u8>()).prop_map(|(a, b)| DOp::Write(a, b)),
            2 => name.prop_map(DOp::FileSync),
            2 => Just(DOp::DirSync),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Names in a directory image follow the model: durable operations all applied,
        /// unsynced ones applied exactly when the seed says they survive; each surviving name
        /// holds its file's crash image.
        #[test]
        fn directory_images_match_the_model(
            ops in proptest::collection::vec(dop(), 0..40),
            cut_frac in 0.0f64..=1.0,
            seed in any::<u64>(),
        ) {
            let d = CrashDirectory::new();
            let n = |i: u8| format!("f{i}");
            // The model's log: (seq, op on names, file id).
            let mut log: Vec<(u64, DOp, usize)> = Vec::new();
            let mut ids: BTreeMap<String, usize> = BTreeMap::new();
            let mut next_id = 0usize;
            for op in &ops {
                let seq = d.op_count();
                match *op {
                    DOp::Create(a) => {
                        if !d.exists(&n(a)).unwrap() {
                            d.open(&n(a), true).unwrap();
                            ids.insert(n(a), next_id);
                            log.push((seq, op.clone(), next_id));
                            next_id += 1;
                        }
                    }
                    DOp::Rename(a, b) => {
                        if d.rename(&n(a), &n(b)).is_ok() {
                            let id = ids.remove(&n(a)).unwrap();
                            ids.insert(n(b), id);
                            log.push((seq, op.clone(), id));
                        }
                    }
                    DOp::Remove(a) => {
                        if d.remove(&n(a)).is_ok() {
                            let id = ids.remove(&n(a)).unwrap();
                            log.push((seq, op.clone(), id));
                        }
                    }
                    DOp::Write(a, b) => {
                        if let Some(f) = d.file(&n(a)) {
                            f.write_at(u64::from(b) * 7, &[b; 600]).unwrap();
                        }
                    }
                    DOp::FileSync(a) => {
                        if let Some(f) = d.file(&n(a)) {
                            f.sync().unwrap();
                        }
                    }
                    DOp::DirSync => {
                        d.sync().unwrap();
                        log.push((seq, op.clone(), 0));
                    }
                }
            }
            prop_assert_eq!(d.list().unwrap(), ids.keys().cloned().collect::<Vec<_>>());
            let cut = (d.op_count() as f64 * cut_frac) as u64;
            let prefix: Vec<_> = log.iter().filter(|(seq, _, _)| *seq < cut).collect();
            let last_sync = prefix.iter().rposition(|(_, op, _)| matches!(op, DOp::DirSync));
            let mut names: BTreeMap<String, usize> = BTreeMap::new();
            for (i, (seq, op, id)) in prefix.iter().enumerate() {
                let durable = last_sync.is_some_and(|s| i <= s);
                if !durable && !survives(seed, *seq) {
                    continue;
                }
                match *op {
                    DOp::Create(a) => {
                        names.insert(n(a), *id);
                    }
                    DOp::Rename(a, b) => {
                        if let Some(id) = names.remove(&n(a)) {
                            names.insert(n(b), id);
                        }
                    }
                    DOp::Remove(a) => {
                        names.remove(&n(a));
                    }
                    _ => {}
                }
            }
            let img = d.crash_image_at(cut, seed);
            prop_assert_eq!(img.list().unwrap(), names.keys().cloned().collect::<Vec<_>>());
            let files = d.state.lock().files.clone();
            for (name, id) in names {
                let expected = files[id].image_bytes(cut, seed);
                prop_assert_eq!(img.file(&name).unwrap().to_bytes(), expected);
            }
        }
    }

    #[test]
    fn directory_operations_are_durable_only_after_a_directory_sync() {
        let d = CrashDirectory::new();
        let a = d.open("a", true).unwrap(); // op 0
        a.write_at(0, b"alpha").unwrap(); // op 1
        a.sync().unwrap(); // op 2
        d.sync().unwrap(); // op 3
        let b = d.open("b", true).unwrap(); // op 4
        b.write_at(0, b"beta").unwrap(); // op 5
        b.sync().unwrap(); // op 6
        d.rename("a", "c").unwrap(); // op 7
        assert_eq!(d.op_count(), 8);
        assert_eq!(a.len().unwrap(), 5);
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..100 {
            let img = d.crash_image(seed);
            let names = img.list().unwrap();
            // "a" was durably created and synced: it is under exactly one of its names.
            assert_eq!(
                img.exists("a").unwrap() as u8 + img.exists("c").unwrap() as u8,
                1,
                "seed {seed}: {names:?}"
            );
            let alpha = if img.exists("a").unwrap() { "a" } else { "c" };
            assert_eq!(img.file(alpha).unwrap().to_bytes(), b"alpha");
            if let Some(f) = img.file("b") {
                assert_eq!(f.to_bytes(), b"beta", "b's data was synced");
            }
            seen.insert(names);
        }
        assert!(
            seen.len() == 4,
            "every combination of the two unsynced ops: {seen:?}"
        );
        // Cut before the directory sync: "a" itself may be lost, but never half-named.
        for seed in 0..50 {
            let img = d.crash_image_at(3, seed);
            let names = img.list().unwrap();
            assert!(names.is_empty() || names == ["a"], "{names:?}");
        }
        // After a directory sync everything is fixed, whatever the seed.
        d.sync().unwrap();
        d.remove("b").unwrap();
        d.sync().unwrap();
        for seed in 0..20 {
            assert_eq!(d.crash_image(seed).list().unwrap(), ["c"]);
        }
    }

    #[test]
    fn a_removed_file_keeps_working_through_its_handle() {
        let d = CrashDirectory::new();
        let f = d.open("x", true).unwrap();
        d.remove("x").unwrap();
        f.write_at(0, b"still here").unwrap();
        assert!(!d.exists("x").unwrap());
        assert!(d.open("x", false).is_err());
        assert_eq!(d.file("x").map(|f| f.to_bytes()), None);
        let mut buf = [0u8; 10];
        f.read_at(0, &mut buf).unwrap();
        assert_eq!(&buf, b"still here");
        assert_eq!(
            d.open("a/b", true).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
