//! fjall 3: one keyspace of a plain (non-transactional) database; a transaction is an atomic
//! `WriteBatch`, committed with `PersistMode::SyncData` (fdatasync of the journal) when
//! durable and `PersistMode::Buffer` (written to the OS) when lazy. Reads use a snapshot.

use crate::{Commit, Context, Engine, EngineSpec, ReadBody, Reader, Result, WriteBody, Writer};
use fjall::{
    Database, Keyspace, KeyspaceCreateOptions, OwnedWriteBatch, PersistMode, Readable, Snapshot,
};
use std::path::Path;

/// How the benchmark names and opens fjall.
pub const SPEC: EngineSpec = EngineSpec {
    name: "fjall",
    description: "fjall 3.1, one keyspace, 256 MiB cache, WriteBatch with SyncData / Buffer",
    open,
};

/// An open fjall database and its keyspace.
struct Fjall {
    db: Database,
    keyspace: Keyspace,
}

/// Opens a fjall database in `dir` with one keyspace.
fn open(dir: &Path) -> Result<Box<dyn Engine>> {
    let db = Database::builder(dir)
        .cache_size(crate::CACHE_BYTES)
        .open()
        .ctx("fjall: open")?;
    let keyspace = db
        .keyspace("kv", KeyspaceCreateOptions::default)
        .ctx("fjall: keyspace")?;
    Ok(Box::new(Fjall { db, keyspace }))
}

/// Adds the writes of one transaction to a write batch.
struct FjallWriter<'a> {
    batch: OwnedWriteBatch,
    keyspace: &'a Keyspace,
}

impl Writer for FjallWriter<'_> {
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.batch.insert(self.keyspace, key, value);
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.batch.remove(self.keyspace, key);
        Ok(())
    }
}

/// Reads one snapshot of the keyspace.
struct FjallReader<'a> {
    snapshot: Snapshot,
    keyspace: &'a Keyspace,
}

impl Reader for FjallReader<'_> {
    fn get(&mut self, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        value.clear();
        match self.snapshot.get(self.keyspace, key).ctx("fjall: get")? {
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
        for guard in self.snapshot.range(self.keyspace, start..).take(limit) {
            let (k, v) = guard.into_inner().ctx("fjall: range next")?;
            visit(&k, &v);
            n += 1;
        }
        Ok(n)
    }
}

impl Engine for Fjall {
    fn write(&self, commit: Commit, body: &mut WriteBody<'_>) -> Result<()> {
        let mode = match commit {
            Commit::Durable => PersistMode::SyncData,
            Commit::Lazy => PersistMode::Buffer,
        };
        let mut writer = FjallWriter {
            batch: self.db.batch().durability(Some(mode)),
            keyspace: &self.keyspace,
        };
        body(&mut writer)?;
        writer.batch.commit().ctx("fjall: commit")
    }

    fn read(&self, body: &mut ReadBody<'_>) -> Result<()> {
        body(&mut FjallReader {
            snapshot: self.db.snapshot(),
            keyspace: &self.keyspace,
        })
    }
}
