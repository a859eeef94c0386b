//! SQLite through rusqlite (bundled): one `WITHOUT ROWID` table, so rows live in the primary
//! key's B-tree as in ESE's clustered index; WAL journal, `synchronous=FULL` for durable
//! commits and `NORMAL` for lazy ones (set on the writer connection before each transaction).
//!
//! A `Connection` is not `Sync`, so the adapter keeps one writer connection behind a mutex (the
//! usual way to serialise SQLite writers in one process, and cheaper than letting several
//! connections spin on `SQLITE_BUSY`) and a pool of reader connections, one per reading thread.

use crate::{Commit, Context, Engine, EngineSpec, ReadBody, Reader, Result, WriteBody, Writer};
use rusqlite::{CachedStatement, Connection};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// How the benchmark names and opens SQLite.
pub const SPEC: EngineSpec = EngineSpec {
    name: "sqlite",
    description: "SQLite 3.54 via rusqlite 0.43 bundled, WITHOUT ROWID, WAL, \
                  synchronous=FULL (durable) / NORMAL (lazy), 256 MiB cache per connection",
    open,
};

/// Table creation, run once by [`open`].
const SCHEMA: &str = "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID";
/// Upsert of one row.
const PUT: &str = "INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)";
/// Removal of one row.
const DELETE: &str = "DELETE FROM kv WHERE k = ?1";
/// Point read.
const GET: &str = "SELECT v FROM kv WHERE k = ?1";
/// Range scan from a key.
const RANGE: &str = "SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k LIMIT ?2";

/// The writer connection and the `synchronous` level it is set to.
struct WriterConn {
    conn: Connection,
    synchronous_full: bool,
}

/// An open SQLite database.
struct Sqlite {
    path: PathBuf,
    writer: Mutex<WriterConn>,
    readers: Mutex<Vec<Connection>>,
}

/// Opens a connection on `path` with the settings every connection shares.
fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).ctx("sqlite: open")?;
    conn.busy_timeout(Duration::from_secs(10))
        .ctx("sqlite: busy_timeout")?;
    let cache_kib = -((crate::CACHE_BYTES / 1024) as i64);
    conn.pragma_update(None, "cache_size", cache_kib)
        .ctx("sqlite: cache_size")?;
    Ok(conn)
}

/// Creates `dir/bench.sqlite`, switches it to WAL and creates the table.
fn open(dir: &Path) -> Result<Box<dyn Engine>> {
    let path = dir.join("bench.sqlite");
    let conn = connect(&path)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .ctx("sqlite: journal_mode")?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(crate::Error::new(
            "sqlite: journal_mode",
            format!("got {mode}"),
        ));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .ctx("sqlite: synchronous")?;
    conn.execute_batch(SCHEMA).ctx("sqlite: create table")?;
    Ok(Box::new(Sqlite {
        path,
        writer: Mutex::new(WriterConn {
            conn,
            synchronous_full: true,
        }),
        readers: Mutex::new(Vec::new()),
    }))
}

impl Sqlite {
    /// Locks the writer connection; a poisoned lock only means another writer panicked.
    fn writer(&self) -> MutexGuard<'_, WriterConn> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a reader connection from the pool, or opens one.
    fn take_reader(&self) -> Result<Connection> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => connect(&self.path),
        }
    }

    /// Returns a reader connection to the pool.
    fn give_reader(&self, conn: Connection) {
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
    }
}

/// Writes through the prepared statements of an open transaction.
struct SqliteWriter<'c> {
    put: CachedStatement<'c>,
    delete: CachedStatement<'c>,
}

impl Writer for SqliteWriter<'_> {
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.put.execute((key, value)).ctx("sqlite: insert")?;
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.delete.execute((key,)).ctx("sqlite: delete")?;
        Ok(())
    }
}

/// Reads through the prepared statements of an open read transaction.
struct SqliteReader<'c> {
    get: CachedStatement<'c>,
    range: CachedStatement<'c>,
}

impl Reader for SqliteReader<'_> {
    fn get(&mut self, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        value.clear();
        let mut rows = self.get.query((key,)).ctx("sqlite: get")?;
        match rows.next().ctx("sqlite: get step")? {
            Some(row) => {
                let v = row.get_ref(0).ctx("sqlite: get column")?;
                value.extend_from_slice(v.as_blob().ctx("sqlite: get blob")?);
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
        let limit = i64::try_from(limit).ctx("sqlite: range limit")?;
        let mut rows = self.range.query((start, limit)).ctx("sqlite: range")?;
        let mut n = 0;
        while let Some(row) = rows.next().ctx("sqlite: range step")? {
            let k = row.get_ref(0).ctx("sqlite: range key")?;
            let v = row.get_ref(1).ctx("sqlite: range value")?;
            visit(
                k.as_blob().ctx("sqlite: key blob")?,
                v.as_blob().ctx("sqlite: value blob")?,
            );
            n += 1;
        }
        Ok(n)
    }
}

impl Engine for Sqlite {
    fn write(&self, commit: Commit, body: &mut WriteBody<'_>) -> Result<()> {
        let mut guard = self.writer();
        let full = commit == Commit::Durable;
        if guard.synchronous_full != full {
            let level = if full { "FULL" } else { "NORMAL" };
            guard
                .conn
                .pragma_update(None, "synchronous", level)
                .ctx("sqlite: synchronous")?;
            guard.synchronous_full = full;
        }
        // Dropping `txn` without commit on error rolls the transaction back.
        let txn = guard.conn.transaction().ctx("sqlite: begin")?;
        {
            let mut writer = SqliteWriter {
                put: txn.prepare_cached(PUT).ctx("sqlite: prepare insert")?,
                delete: txn.prepare_cached(DELETE).ctx("sqlite: prepare delete")?,
            };
            body(&mut writer)?;
        }
        txn.commit().ctx("sqlite: commit")
    }

    fn read(&self, body: &mut ReadBody<'_>) -> Result<()> {
        let mut conn = self.take_reader()?;
        let result = (|| {
            // A deferred transaction turns into one WAL read snapshot at the first SELECT.
            let txn = conn.transaction().ctx("sqlite: begin read")?;
            {
                let mut reader = SqliteReader {
                    get: txn.prepare_cached(GET).ctx("sqlite: prepare get")?,
                    range: txn.prepare_cached(RANGE).ctx("sqlite: prepare range")?,
                };
                body(&mut reader)?;
            }
            txn.commit().ctx("sqlite: end read")
        })();
        self.give_reader(conn);
        result
    }
}
