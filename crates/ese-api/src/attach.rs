//! The instance's attachment list: which database files the instance has attached, under
//! which database id, so that init can recover them after a crash.
//!
//! ESE keeps this in its checkpoint file and logs every attach and detach. Here it is a small
//! file beside the checkpoint (in JET_paramSystemPath), `<base>.jat`, rewritten atomically on
//! every attach and detach: written to `<base>.jat.tmp`, synced, renamed over the old list,
//! and the folder synced, so a crash leaves either the old list or the new one.
//!
//! ```text
//!   line 1:   "ESERS-ATTACH 1 <count> <crc32c of the lines below, hex>"
//!   then per database:  "<dbid> <signature hex, 32 digits> <path, rest of the line>"
//! ```
//!
//! Paths are absolute and may hold spaces (the path is the rest of the line) but not line
//! breaks (attach refuses such a name). A list that fails its checksum or does not parse is
//! `JET_errCheckpointCorrupt`, as a damaged checkpoint file would be.

use std::path::PathBuf;
use std::sync::Arc;

use ese_core::{DbId, JetErr};
use ese_pageio::Directory;

use crate::error::{JetError, Result, fail};

const MAGIC: &str = "ESERS-ATTACH";
const VERSION: u32 = 1;

/// The most databases the list holds (ESE's six user databases per instance, with room to
/// spare so a damaged count is still bounded).
const ENTRIES_MAX: usize = 64;

/// One attached database as the list records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attached {
    /// Its id in the instance's cache and log.
    pub(crate) db: DbId,
    /// The database header's signature, so a replaced file is noticed.
    pub(crate) signature: [u8; 16],
    /// The file's absolute path.
    pub(crate) path: PathBuf,
}

/// The attachment list of one instance, in its system folder.
#[derive(Debug)]
pub(crate) struct AttachList {
    dir: Arc<dyn Directory>,
    name: String,
}

fn io_err(e: &std::io::Error) -> JetError {
    JetError::new(match e.kind() {
        std::io::ErrorKind::PermissionDenied => JetErr::FILE_ACCESS_DENIED,
        std::io::ErrorKind::StorageFull => JetErr::DISK_FULL,
        _ => JetErr::DISK_IO,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 16]> {
    if s.len() != 32 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl AttachList {
    /// The list of the log stream with base name `base`, kept in `dir`.
    pub(crate) fn new(dir: Arc<dyn Directory>, base: &str) -> Self {
        AttachList {
            dir,
            name: format!("{base}.jat"),
        }
    }

    /// The databases the list records (none when the file does not exist).
    pub(crate) fn read(&self) -> Result<Vec<Attached>> {
        if !self.dir.exists(&self.name).map_err(|e| io_err(&e))? {
            return Ok(Vec::new());
        }
        let file = self.dir.open(&self.name, false).map_err(|e| io_err(&e))?;
        let len = file.len().map_err(|e| io_err(&e))?;
        // The list is small: a few hundred bytes per database, bounded by ENTRIES_MAX.
        if len > (ENTRIES_MAX as u64) * 8192 {
            return fail(JetErr::CHECKPOINT_CORRUPT);
        }
        let mut buf = vec![0u8; len as usize];
        file.read_at(0, &mut buf).map_err(|e| io_err(&e))?;
        parse(&buf).ok_or(JetError::new(JetErr::CHECKPOINT_CORRUPT))
    }

    /// Replaces the list with `entries`, atomically (see the module doc).
    pub(crate) fn write(&self, entries: &[Attached]) -> Result<()> {
        let text = render(entries)?;
        let tmp = format!("{}.tmp", self.name);
        let file = self.dir.open(&tmp, true).map_err(|e| io_err(&e))?;
        file.set_len(0).map_err(|e| io_err(&e))?;
        file.write_at(0, text.as_bytes()).map_err(|e| io_err(&e))?;
        file.sync().map_err(|e| io_err(&e))?;
        drop(file);
        self.dir.rename(&tmp, &self.name).map_err(|e| io_err(&e))?;
        self.dir.sync().map_err(|e| io_err(&e))
    }
}

fn render(entries: &[Attached]) -> Result<String> {
    let mut body = String::new();
    for e in entries {
        let Some(path) = e.path.to_str() else {
            return fail(JetErr::INVALID_PATH);
        };
        if path.contains(['\n', '\r']) {
            return fail(JetErr::INVALID_PATH);
        }
        body.push_str(&format!("{} {} {}\n", e.db.0, hex(&e.signature), path));
    }
    let crc = crc32c::crc32c(body.as_bytes());
    Ok(format!(
        "{MAGIC} {VERSION} {} {crc:08x}\n{body}",
        entries.len()
    ))
}

fn parse(buf: &[u8]) -> Option<Vec<Attached>> {
    let text = std::str::from_utf8(buf).ok()?;
    let (head, body) = text.split_once('\n')?;
    let mut fields = head.split(' ');
    if fields.next()? != MAGIC || fields.next()?.parse::<u32>().ok()? != VERSION {
        return None;
    }
    let count: usize = fields.next()?.parse().ok()?;
    let crc = u32::from_str_radix(fields.next()?, 16).ok()?;
    if fields.next().is_some() || count > ENTRIES_MAX || crc32c::crc32c(body.as_bytes()) != crc {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for line in body.lines() {
        let mut parts = line.splitn(3, ' ');
        let db = DbId(parts.next()?.parse().ok()?);
        let signature = unhex(parts.next()?)?;
        let path = PathBuf::from(parts.next()?);
        out.push(Attached {
            db,
            signature,
            path,
        });
    }
    (out.len() == count).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ese_pageio::{MemDirectory, Storage};

    #[test]
    fn the_list_round_trips_and_damage_is_an_error() {
        let dir = Arc::new(MemDirectory::new());
        let list = AttachList::new(dir.clone(), "edb");
        assert_eq!(list.read().unwrap(), []);
        let entries = vec![
            Attached {
                db: DbId(1),
                signature: [7; 16],
                path: PathBuf::from("/tmp/a b/x.edb"),
            },
            Attached {
                db: DbId(3),
                signature: [0xab; 16],
                path: PathBuf::from("/y.edb"),
            },
        ];
        list.write(&entries).unwrap();
        assert_eq!(list.read().unwrap(), entries);
        list.write(&entries[1..]).unwrap();
        assert_eq!(list.read().unwrap(), entries[1..]);
        assert!(!dir.exists("edb.jat.tmp").unwrap());

        let file = dir.file("edb.jat").unwrap();
        let mut bytes = file.to_bytes();
        let last = bytes.len() - 2;
        bytes[last] ^= 1;
        file.write_at(0, &bytes).unwrap();
        assert_eq!(list.read().unwrap_err(), JetErr::CHECKPOINT_CORRUPT);
        for cut in 0..bytes.len() {
            assert!(parse(&bytes[..cut]).is_none());
        }
        let bad = Attached {
            db: DbId(1),
            signature: [0; 16],
            path: PathBuf::from("/a\nb"),
        };
        assert_eq!(list.write(&[bad]).unwrap_err(), JetErr::INVALID_PATH);
    }
}
