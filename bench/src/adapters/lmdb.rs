//! LMDB through heed: the unnamed database of one environment; durable commits sync as LMDB
//! does by default, lazy ones run with `MDB_NOSYNC` set for that commit.
//!
//! LMDB has no per-transaction "don't sync" flag in heed, but `MDB_NOSYNC` may be changed on a
//! live environment and is read at commit time. The adapter flips it only while it holds the
//! write transaction (LMDB's writer lock), which serialises every change, as LMDB requires.
//! A durable commit after lazy ones syncs the whole data file, so it makes them durable too.
//!
//! heed marks opening an environment and changing its flags `unsafe`; these are the only
//! `unsafe` blocks of the benchmark, each with its reason.

use crate::{Commit, Context, Engine, EngineSpec, ReadBody, Reader, Result, WriteBody, Writer};
use heed::types::Bytes;
use heed::{Database, Env, EnvFlags, EnvOpenOptions, FlagSetMode, RoTxn, RwTxn, WithTls};
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Size of the memory map: far above what the benchmark writes; the file grows only as used.
const MAP_BYTES: usize = 8 * 1024 * 1024 * 1024;

/// How the benchmark names and opens LMDB.
pub const SPEC: EngineSpec = EngineSpec {
    name: "lmdb",
    description: "LMDB via heed 0.22 (lmdb-master-sys 0.2), default flags; lazy = MDB_NOSYNC",
    open,
};

/// An open environment and its unnamed database.
struct Lmdb {
    env: Env,
    db: Database<Bytes, Bytes>,
    /// Whether `MDB_NOSYNC` is currently set; read and changed only under the writer lock.
    no_sync: AtomicBool,
}

/// Opens an environment on `dir` and creates its unnamed database.
fn open(dir: &Path) -> Result<Box<dyn Engine>> {
    // SAFETY: heed requires that the environment's files are not opened twice in one process
    // and not modified by anything but LMDB while mapped. `dir` is a fresh directory that the
    // harness made for this engine alone, and this is the only `Env` opened on it.
    let env = unsafe {
        EnvOpenOptions::new()
            .map_size(MAP_BYTES)
            .max_dbs(1)
            .open(dir)
    }
    .ctx("lmdb: open env")?;
    let mut txn = env.write_txn().ctx("lmdb: write_txn")?;
    let db: Database<Bytes, Bytes> = env
        .create_database(&mut txn, None)
        .ctx("lmdb: create_database")?;
    txn.commit().ctx("lmdb: commit")?;
    Ok(Box::new(Lmdb {
        env,
        db,
        no_sync: AtomicBool::new(false),
    }))
}

impl Lmdb {
    /// Sets or clears `MDB_NOSYNC` for the commit of the write transaction the caller holds.
    fn set_no_sync(&self, _writer_lock: &RwTxn<'_>, no_sync: bool) -> Result<()> {
        if self.no_sync.load(Ordering::SeqCst) == no_sync {
            return Ok(());
        }
        let mode = if no_sync {
            FlagSetMode::Enable
        } else {
            FlagSetMode::Disable
        };
        // SAFETY: LMDB requires that only one thread at a time calls mdb_env_set_flags. The
        // caller holds a write transaction (`_writer_lock`), that is LMDB's writer mutex, and
        // this is the only place that changes flags, so calls are serialised. MDB_NOSYNC only
        // lets a crash lose lazily committed transactions, which is what a lazy commit means.
        unsafe { self.env.set_flags(EnvFlags::NO_SYNC, mode) }.ctx("lmdb: set_flags")?;
        self.no_sync.store(no_sync, Ordering::SeqCst);
        Ok(())
    }
}

/// Writes into an open write transaction.
struct LmdbWriter<'a, 'e> {
    db: Database<Bytes, Bytes>,
    txn: &'a mut RwTxn<'e>,
}

impl Writer for LmdbWriter<'_, '_> {
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.db.put(self.txn, key, value).ctx("lmdb: put")
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.db.delete(self.txn, key).ctx("lmdb: delete")?;
        Ok(())
    }
}

/// Reads from an open read transaction.
struct LmdbReader<'e> {
    db: Database<Bytes, Bytes>,
    txn: RoTxn<'e, WithTls>,
}

impl Reader for LmdbReader<'_> {
    fn get(&mut self, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        value.clear();
        match self.db.get(&self.txn, key).ctx("lmdb: get")? {
            Some(v) => {
                value.extend_from_slice(v);
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
        let bounds: (Bound<&[u8]>, Bound<&[u8]>) = (Bound::Included(start), Bound::Unbounded);
        let mut n = 0;
        for item in self
            .db
            .range(&self.txn, &bounds)
            .ctx("lmdb: range")?
            .take(limit)
        {
            let (k, v) = item.ctx("lmdb: range next")?;
            visit(k, v);
            n += 1;
        }
        Ok(n)
    }
}

impl Engine for Lmdb {
    fn write(&self, commit: Commit, body: &mut WriteBody<'_>) -> Result<()> {
        let mut txn = self.env.write_txn().ctx("lmdb: write_txn")?;
        self.set_no_sync(&txn, commit == Commit::Lazy)?;
        // Dropping `txn` without commit on error aborts the transaction.
        body(&mut LmdbWriter {
            db: self.db,
            txn: &mut txn,
        })?;
        txn.commit().ctx("lmdb: commit")
    }

    fn read(&self, body: &mut ReadBody<'_>) -> Result<()> {
        let txn = self.env.read_txn().ctx("lmdb: read_txn")?;
        body(&mut LmdbReader { db: self.db, txn })
    }
}
