//! The checkpoint file `<base>.chk`: where soft recovery starts redo.
//!
//! The file holds two copies of the checkpoint, one per 512-byte sector, each with its own
//! checksum and a sequence number. A write always overwrites the *older* copy and syncs, so a
//! torn write can damage at most the copy being replaced, and the newer survivor is read back.
//!
//! ```text
//!   copy (sector 0 or 1):  0 crc32c of bytes 4..512   4 magic "ESERSCK1"   12 version u32
//!                         16 seq u64                  24 lgpos u64 (Lgpos::to_u64)
//!                         32 log signature [16]       48 zero to the end of the sector
//! ```

use std::sync::Arc;

use ese_core::Lgpos;
use ese_core::limits::SECTOR_BYTES;
use ese_pageio::{Directory, Storage};

use crate::error::Error;
use crate::format::{FORMAT_VERSION, checkpoint_name, sector_crc};

/// The magic number of a checkpoint copy.
pub const CHECKPOINT_MAGIC: [u8; 8] = *b"ESERSCK1";

/// A checkpoint as read back from `<base>.chk`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The oldest log position whose changes may be missing from the database files.
    pub lgpos: Lgpos,
    /// The signature of the log stream the checkpoint belongs to.
    pub signature: [u8; 16],
    /// How many times the checkpoint has been written.
    pub seq: u64,
}

impl Checkpoint {
    fn encode(&self) -> [u8; SECTOR_BYTES] {
        let mut b = [0u8; SECTOR_BYTES];
        b[4..12].copy_from_slice(&CHECKPOINT_MAGIC);
        b[12..16].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        b[16..24].copy_from_slice(&self.seq.to_le_bytes());
        b[24..32].copy_from_slice(&self.lgpos.to_u64().to_le_bytes());
        b[32..48].copy_from_slice(&self.signature);
        let crc = sector_crc(&b);
        b[0..4].copy_from_slice(&crc.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<Checkpoint> {
        if b.len() != SECTOR_BYTES {
            return None;
        }
        let crc = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if crc != sector_crc(b) || b[4..12] != CHECKPOINT_MAGIC {
            return None;
        }
        if b[12..16] != FORMAT_VERSION.to_le_bytes() || b[48..].iter().any(|&x| x != 0) {
            return None;
        }
        let mut u = [0u8; 8];
        u.copy_from_slice(&b[16..24]);
        let seq = u64::from_le_bytes(u);
        u.copy_from_slice(&b[24..32]);
        let lgpos = Lgpos::from_u64(u64::from_le_bytes(u));
        let mut signature = [0u8; 16];
        signature.copy_from_slice(&b[32..48]);
        Some(Checkpoint {
            lgpos,
            signature,
            seq,
        })
    }
}

/// Reads the newest valid copy from a checkpoint file's bytes.
fn newest(storage: &dyn Storage) -> Result<Checkpoint, Error> {
    let len = storage
        .len()
        .map_err(|e| Error::read("checkpoint length", &e))?;
    let mut best: Option<Checkpoint> = None;
    for slot in 0..2u64 {
        let at = slot * SECTOR_BYTES as u64;
        if at + SECTOR_BYTES as u64 > len {
            continue;
        }
        let mut b = [0u8; SECTOR_BYTES];
        storage
            .read_at(at, &mut b)
            .map_err(|e| Error::read("checkpoint read", &e))?;
        if let Some(c) = Checkpoint::decode(&b) {
            if best.is_none_or(|b| c.seq > b.seq) {
                best = Some(c);
            }
        }
    }
    best.ok_or(Error::CheckpointCorrupt)
}

/// Reads `<base>.chk` from `dir` (ESE's checkpoint read at the start of recovery).
pub fn read_checkpoint(dir: &dyn Directory, base: &str) -> Result<Checkpoint, Error> {
    let name = checkpoint_name(base);
    if !dir
        .exists(&name)
        .map_err(|e| Error::read("checkpoint lookup", &e))?
    {
        return Err(Error::CheckpointFileNotFound);
    }
    let storage = dir
        .open(&name, false)
        .map_err(|e| Error::read("checkpoint open", &e))?;
    newest(&*storage)
}

/// The open checkpoint file, owned by the log.
#[derive(Debug)]
pub(crate) struct CheckpointFile {
    storage: Arc<dyn Storage>,
    last: Checkpoint,
}

impl CheckpointFile {
    /// Opens the existing file of the stream signed `initial.signature`, or creates it holding
    /// `initial` (syncing file and directory). A `fresh` stream always starts a new file.
    pub(crate) fn open_or_create(
        dir: &dyn Directory,
        base: &str,
        initial: Checkpoint,
        fresh: bool,
    ) -> Result<Self, Error> {
        let name = checkpoint_name(base);
        let exists = dir
            .exists(&name)
            .map_err(|e| Error::read("checkpoint lookup", &e))?;
        let storage = dir
            .open(&name, true)
            .map_err(|e| Error::write("checkpoint create", &e))?;
        if exists && !fresh {
            if let Ok(last) = newest(&*storage) {
                if last.signature != initial.signature {
                    return Err(Error::BadCheckpointSignature);
                }
                return Ok(Self { storage, last });
            }
        }
        // A new stream, or a file whose creation did not finish: blank copy 0 so no copy of an
        // older stream survives, then write the first copy (sequence 1, into copy 1).
        storage
            .write_at(0, &[0u8; SECTOR_BYTES])
            .map_err(|e| Error::write("checkpoint write", &e))?;
        let mut file = Self {
            storage,
            last: Checkpoint { seq: 0, ..initial },
        };
        file.write(initial.lgpos)?;
        dir.sync()
            .map_err(|e| Error::write("checkpoint directory sync", &e))?;
        Ok(file)
    }

    /// The checkpoint last written or read.
    pub(crate) fn last(&self) -> Checkpoint {
        self.last
    }

    /// Writes `lgpos` over the older copy and syncs.
    pub(crate) fn write(&mut self, lgpos: Lgpos) -> Result<(), Error> {
        let next = Checkpoint {
            lgpos,
            signature: self.last.signature,
            seq: self.last.seq + 1,
        };
        let slot = next.seq % 2;
        self.storage
            .write_at(slot * SECTOR_BYTES as u64, &next.encode())
            .map_err(|e| Error::write("checkpoint write", &e))?;
        self.storage
            .sync()
            .map_err(|e| Error::write("checkpoint sync", &e))?;
        self.last = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ese_pageio::{CrashDirectory, MemDirectory};

    #[test]
    fn newest_copy_wins_and_a_torn_copy_is_survived() {
        let dir = MemDirectory::new();
        let init = Checkpoint {
            lgpos: Lgpos::new(1, 1, 24),
            signature: [5; 16],
            seq: 0,
        };
        let mut f = CheckpointFile::open_or_create(&dir, "edb", init, true).unwrap();
        f.write(Lgpos::new(2, 3, 40)).unwrap();
        let c = read_checkpoint(&dir, "edb").unwrap();
        assert_eq!(
            (c.lgpos, c.seq, c.signature),
            (Lgpos::new(2, 3, 40), 2, [5; 16])
        );
        // Damage the newest copy (slot 0): the older one is read back.
        let file = dir.file("edb.chk").unwrap();
        file.write_at(100, &[0xff]).unwrap();
        assert_eq!(
            read_checkpoint(&dir, "edb").unwrap().lgpos,
            Lgpos::new(1, 1, 24)
        );
        file.write_at(SECTOR_BYTES as u64 + 100, &[0xff]).unwrap();
        assert_eq!(read_checkpoint(&dir, "edb"), Err(Error::CheckpointCorrupt));
        assert_eq!(
            read_checkpoint(&dir, "abc"),
            Err(Error::CheckpointFileNotFound)
        );
    }

    #[test]
    fn every_crash_during_checkpoint_writes_leaves_a_recent_checkpoint() {
        let dir = CrashDirectory::new();
        let init = Checkpoint {
            lgpos: Lgpos::new(1, 1, 24),
            signature: [1; 16],
            seq: 0,
        };
        let mut f = CheckpointFile::open_or_create(&dir, "edb", init, true).unwrap();
        let created = dir.op_count();
        let mut written = vec![(dir.op_count(), Lgpos::new(1, 1, 24))];
        for i in 2..20u16 {
            let l = Lgpos::new(1, i, 24);
            f.write(l).unwrap();
            written.push((dir.op_count(), l));
        }
        for ops in created..=dir.op_count() {
            for seed in 0..8 {
                let image = dir.crash_image_at(ops, seed);
                let got = read_checkpoint(&image, "edb").unwrap().lgpos;
                // The newest checkpoint whose write had returned, or a newer one.
                let floor = written
                    .iter()
                    .filter(|(at, _)| *at <= ops)
                    .map(|(_, l)| *l)
                    .max()
                    .unwrap();
                assert!(got >= floor, "ops {ops} seed {seed}: {got} < {floor}");
            }
        }
    }
}
