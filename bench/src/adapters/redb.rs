//! redb: one table of `&[u8]` keys and values; durable commits use `Durability::Immediate`,
//! lazy ones `Durability::None` (made durable by the next immediate commit).

use crate::{Commit, Context, Engine, EngineSpec, ReadBody, Reader, Result, WriteBody, Writer};
use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use std::path::Path;

/// The benchmark's only table.
const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");

/// How the benchmark names and opens redb.
pub const SPEC: EngineSpec = EngineSpec {
    name: "redb",
    description: "redb 4.6, one table, 256 MiB cache, Durability::Immediate / None",
    open,
};

/// An open redb database.
struct Redb {
    db: Database,
}

/// Creates `dir/bench.redb` and its table.
fn open(dir: &Path) -> Result<Box<dyn Engine>> {
    let db = Database::builder()
        .set_cache_size(crate::CACHE_BYTES as usize)
        .create(dir.join("bench.redb"))
        .ctx("redb: create")?;
    let txn = db.begin_write().ctx("redb: begin_write")?;
    txn.open_table(TABLE).ctx("redb: create table")?;
    txn.commit().ctx("redb: commit")?;
    Ok(Box::new(Redb { db }))
}

/// Writes into the table of an open write transaction.
struct RedbWriter<'t, 'txn> {
    table: &'t mut redb::Table<'txn, &'static [u8], &'static [u8]>,
}

impl Writer for RedbWriter<'_, '_> {
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.table.insert(key, value).ctx("redb: insert")?;
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.table.remove(key).ctx("redb: remove")?;
        Ok(())
    }
}

/// Reads from the table of an open read transaction.
struct RedbReader {
    table: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl Reader for RedbReader {
    fn get(&mut self, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        value.clear();
        match self.table.get(key).ctx("redb: get")? {
            Some(guard) => {
                value.extend_from_slice(guard.value());
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
        for item in self.table.range(start..).ctx("redb: range")?.take(limit) {
            let (k, v) = item.ctx("redb: range next")?;
            visit(k.value(), v.value());
            n += 1;
        }
        Ok(n)
    }
}

impl Engine for Redb {
    fn write(&self, commit: Commit, body: &mut WriteBody<'_>) -> Result<()> {
        let mut txn = self.db.begin_write().ctx("redb: begin_write")?;
        let durability = match commit {
            Commit::Durable => Durability::Immediate,
            Commit::Lazy => Durability::None,
        };
        txn.set_durability(durability).ctx("redb: set_durability")?;
        {
            let mut table = txn.open_table(TABLE).ctx("redb: open_table")?;
            // Dropping `txn` without commit on error aborts the transaction.
            body(&mut RedbWriter { table: &mut table })?;
        }
        txn.commit().ctx("redb: commit")
    }

    fn read(&self, body: &mut ReadBody<'_>) -> Result<()> {
        let txn = self.db.begin_read().ctx("redb: begin_read")?;
        let table = txn.open_table(TABLE).ctx("redb: open_table")?;
        body(&mut RedbReader { table })
    }
}
