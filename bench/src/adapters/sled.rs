//! sled 0.34: the default tree; a transaction is a `Batch` applied atomically, and a durable
//! commit then calls `flush`, which returns once the log is on disk. Lazy commits leave the
//! flush to sled's background flusher (every 500 ms by default).
//!
//! sled's `flush` makes data stable with `sync_file_range`, which (unlike `fdatasync`) neither
//! flushes the device's write cache nor commits file metadata, so its "durable" commits are
//! cheaper than the other engines' and not durable across a power loss on a disk with a
//! volatile cache. The table keeps sled as it ships; the legend says so.
//!
//! sled has no read snapshots: a read body reads the live tree.

use crate::{Commit, Context, Engine, EngineSpec, ReadBody, Reader, Result, WriteBody, Writer};
use sled::{Batch, Db};
use std::path::Path;

/// How the benchmark names and opens sled.
pub const SPEC: EngineSpec = EngineSpec {
    name: "sled",
    description: "sled 0.34.7, default tree, 256 MiB cache, Batch + flush (durable); \
                  flush syncs with sync_file_range, not fdatasync",
    open,
};

/// An open sled database.
struct Sled {
    db: Db,
}

/// Opens a sled database in `dir`.
fn open(dir: &Path) -> Result<Box<dyn Engine>> {
    let db = sled::Config::new()
        .path(dir)
        .cache_capacity(crate::CACHE_BYTES)
        .open()
        .ctx("sled: open")?;
    Ok(Box::new(Sled { db }))
}

/// Collects the writes of one transaction into a batch.
struct SledWriter {
    batch: Batch,
}

impl Writer for SledWriter {
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.batch.insert(key, value);
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.batch.remove(key);
        Ok(())
    }
}

/// Reads the live tree.
struct SledReader<'a> {
    db: &'a Db,
}

impl Reader for SledReader<'_> {
    fn get(&mut self, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        value.clear();
        match self.db.get(key).ctx("sled: get")? {
            Some(v) => {
                value.extend_from_slice(&v);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn range(
        &mut self,
        start: &[u8],
        limit: usize,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        let mut n = 0;
        for item in self.db.range(start..).take(limit) {
            let (k, v) = item.ctx("sled: range next")?;
            visit(&k, &v);
            n += 1;
        }
        Ok(n)
    }
}

impl Engine for Sled {
    fn write(&self, commit: Commit, body: &mut WriteBody<'_>) -> Result<()> {
        let mut writer = SledWriter {
            batch: Batch::default(),
        };
        body(&mut writer)?;
        self.db.apply_batch(writer.batch).ctx("sled: apply_batch")?;
        if commit == Commit::Durable {
            self.db.flush().ctx("sled: flush")?;
        }
        Ok(())
    }

    fn read(&self, body: &mut ReadBody<'_>) -> Result<()> {
        body(&mut SledReader { db: &self.db })
    }
}
