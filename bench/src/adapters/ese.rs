//! ese-rs through its JET API (`ese-api`): one instance with its log, checkpoint and database
//! in the engine's directory, one table `kv` with a fixed 24-byte `JET_coltypBinary` primary
//! key column `k` and a variable `JET_coltypBinary` value column `v` (up to 255 bytes, so the
//! 150-byte values stay in the record).
//!
//! ```text
//!   Engine ── instance (log + checkpoint + cache in DIR) ── DIR/bench.edb ── table kv (k, v)
//!     pool: one (session, cursor) per thread that is using the engine at the moment
//! ```
//!
//! * [`Engine::write`]: `begin_transaction`; per put `prepare_update(insert)` + one
//!   `set_columns` (key and value) + `update_to` (JetUpdate with no bookmark buffer), and on
//!   `JET_errKeyDuplicate` (-1605) a cancel, `make_key` +
//!   `seek(EQ)` + `prepare_update(replace)` + `set_column` + `update_to`; per delete `make_key` +
//!   `seek(EQ)` + `delete` (a missing key, `JET_errRecordNotFound`, is not an error); then
//!   `commit_transaction` with no flag (durable: returns once the commit record is on disk,
//!   the log file `fdatasync`ed, grouped with concurrent commits) or with
//!   `JET_bitCommitLazyFlush` (lazy: the instance's log flusher makes it durable within
//!   [`ese_api::LAZY_FLUSH_INTERVAL`]). A failing body rolls the transaction back.
//! * [`Engine::read`]: a read-only transaction (`JET_bitTransactionReadOnly`) is the snapshot;
//!   `get` is `make_key` + `seek(EQ)` + `retrieve_column`, `range` is `make_key` + `seek(GE)`,
//!   then per row one `retrieve_columns` (key and value) and `move_cursor(next)`.
//! * A JET session is used by one thread at a time, so the adapter keeps a pool of sessions,
//!   each with its own database handle and cursor on `kv`; a call takes one (or begins a new
//!   one) and gives it back when it ends.
//! * Parameters: 8 KiB pages, a cache of [`crate::CACHE_BYTES`], a version store large enough
//!   for the bulk load's single transaction ([`MAX_VER_PAGES`]), circular logging (log files
//!   behind the checkpoint are deleted, as an application that takes no backups runs ESE).
//!   Dropping the engine ends every session and terms the instance cleanly.

use crate::{
    CACHE_BYTES, Commit, Engine, EngineSpec, Error, KEY_BYTES, ReadBody, Reader, Result, WriteBody,
    Writer,
};
use ese_api::table::{
    JET_BIT_NEW_KEY, JET_BIT_SEEK_EQ, JET_BIT_SEEK_GE, JET_MOVE_NEXT, JET_PREP_CANCEL,
    JET_PREP_INSERT, JET_PREP_REPLACE,
};
use ese_api::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, Dbid, IndexCreate, IndexGrbit, Instance, JetErr,
    JetError, ParamValue, RetrieveColumn, Sesid, SetColumn, TableCreate, Tableid, grbit, paramid,
};
use std::path::Path;
use std::sync::Mutex;

/// How the benchmark names and opens ese-rs.
pub const SPEC: EngineSpec = EngineSpec {
    name: "ese-rs",
    description: "ese-rs via ese-api, one table (fixed Binary(24) primary key, Binary value), \
                  8 KiB pages, 256 MiB cache, 512 MiB version store, circular log; commit with no flag (durable) / \
                  JET_bitCommitLazyFlush (lazy)",
    open,
};

/// Database page size, in bytes (JET_paramDatabasePageSize).
const PAGE_BYTES: u64 = 8 * 1024;

/// The most sessions the instance allows (JET_paramMaxSessions): more than the benchmark's
/// threads, which each hold at most one.
const MAX_SESSIONS: u64 = 64;

/// Version store limit (JET_paramMaxVerPages, pages of JET_paramVerPageSize, 32 KiB here):
/// 512 MiB, so that the bulk load's one transaction of N = 200,000 inserts (about 130 bytes of
/// version each) fits with room to spare, as an application loading in one transaction sets it.
const MAX_VER_PAGES: u64 = 16_384;

/// Log buffer (JET_paramLogBuffers, 512-byte sectors): 8 MiB, so a large transaction's log
/// records are written in big sequential writes rather than every 63 KiB (the default).
const LOG_BUFFERS: u64 = 16_384;

/// Largest value the value column holds (cbMax of a `JET_coltypBinary` column).
const VALUE_MOST: usize = 255;

/// The table's name.
const TABLE: &str = "kv";

/// One pooled session with its database and cursor.
#[derive(Clone, Copy)]
struct Slot {
    sesid: Sesid,
    tableid: Tableid,
}

/// An open ese-rs instance with its database and table.
struct Ese {
    engine: ese_api::Engine,
    instance: Instance,
    db_file: String,
    key: ColumnId,
    value: ColumnId,
    pool: Mutex<Vec<Slot>>,
}

/// Maps a JET error into the harness's error.
fn jet<T>(r: ese_api::Result<T>, context: &str) -> Result<T> {
    r.map_err(|e| Error::new(context, e))
}

/// Whether `r` failed with exactly `code`.
fn is_err<T>(r: &ese_api::Result<T>, code: JetErr) -> bool {
    matches!(r, Err(e) if *e == code)
}

/// Creates an instance in `dir`, its database `dir/bench.edb` and the table.
fn open(dir: &Path) -> Result<Box<dyn Engine>> {
    let folder = dir
        .to_str()
        .ok_or_else(|| Error::new("ese-rs: directory", "not UTF-8"))?
        .to_string();
    let db_file = dir
        .join("bench.edb")
        .to_str()
        .ok_or_else(|| Error::new("ese-rs: directory", "not UTF-8"))?
        .to_string();
    let e = ese_api::Engine::new();
    // Global parameters, set before the first instance exists.
    let set_global = |id: u32, v: ParamValue<'_>, what: &str| {
        jet(e.set_system_parameter(None, None, id, v), what)
    };
    set_global(
        paramid::DATABASE_PAGE_SIZE,
        ParamValue::Int(PAGE_BYTES),
        "ese-rs: JET_paramDatabasePageSize",
    )?;
    set_global(
        paramid::CACHE_SIZE_MAX,
        ParamValue::Int(CACHE_BYTES / PAGE_BYTES),
        "ese-rs: JET_paramCacheSizeMax",
    )?;
    let instance = jet(
        e.create_instance(Some("ese-bench")),
        "ese-rs: create_instance",
    )?;
    let params: [(u32, ParamValue<'_>, &str); 7] = [
        (
            paramid::LOG_FILE_PATH,
            ParamValue::Str(&folder),
            "JET_paramLogFilePath",
        ),
        (
            paramid::SYSTEM_PATH,
            ParamValue::Str(&folder),
            "JET_paramSystemPath",
        ),
        (
            paramid::CIRCULAR_LOG,
            ParamValue::Bool(true),
            "JET_paramCircularLog",
        ),
        (
            paramid::MAX_SESSIONS,
            ParamValue::Int(MAX_SESSIONS),
            "JET_paramMaxSessions",
        ),
        (
            paramid::MAX_VER_PAGES,
            ParamValue::Int(MAX_VER_PAGES),
            "JET_paramMaxVerPages",
        ),
        (
            paramid::LOG_BUFFERS,
            ParamValue::Int(LOG_BUFFERS),
            "JET_paramLogBuffers",
        ),
        (
            paramid::CREATE_PATH_IF_NOT_EXIST,
            ParamValue::Bool(true),
            "JET_paramCreatePathIfNotExist",
        ),
    ];
    for (id, value, name) in params {
        jet(
            e.set_system_parameter(Some(instance), None, id, value),
            &format!("ese-rs: {name}"),
        )?;
    }
    jet(e.init(Some(instance)), "ese-rs: init")?;

    let sesid = jet(e.begin_session(instance, "", ""), "ese-rs: begin_session")?;
    let dbid = jet(
        e.create_database(sesid, &db_file, None, 0),
        "ese-rs: create_database",
    )?;
    let key_spec = ColumnSpec {
        max_bytes: KEY_BYTES as u64,
        ..ColumnSpec::new(
            ColumnType::Binary,
            ColumnGrbit(ColumnGrbit::FIXED.0 | ColumnGrbit::NOT_NULL.0),
        )
    };
    let value_spec = ColumnSpec {
        max_bytes: VALUE_MOST as u64,
        ..ColumnSpec::new(ColumnType::Binary, ColumnGrbit::NONE)
    };
    let create = TableCreate::new(TABLE)
        .column("k", key_spec)
        .column("v", value_spec)
        .index(IndexCreate::new(
            "primary",
            b"+k\0\0",
            IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
        ));
    let (tableid, _) = jet(
        e.create_table_column_index(sesid, dbid, &create),
        "ese-rs: create_table_column_index",
    )?;
    let column = |name: &str| -> Result<ColumnId> {
        let info = jet(
            e.get_table_column_info(sesid, tableid, Some(name)),
            "ese-rs: get_table_column_info",
        )?;
        info.first()
            .map(|c| c.id)
            .ok_or_else(|| Error::new("ese-rs: get_table_column_info", name))
    };
    let (key, value) = (column("k")?, column("v")?);
    Ok(Box::new(Ese {
        engine: e,
        instance,
        db_file,
        key,
        value,
        pool: Mutex::new(vec![Slot { sesid, tableid }]),
    }))
}

impl Ese {
    /// Takes a pooled session, or begins one with its own database handle and cursor.
    fn take(&self) -> Result<Slot> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(slot) = pooled {
            return Ok(slot);
        }
        let e = &self.engine;
        let sesid = jet(
            e.begin_session(self.instance, "", ""),
            "ese-rs: begin_session",
        )?;
        let opened = (|| -> ese_api::Result<Tableid> {
            let dbid: Dbid = e.open_database(sesid, &self.db_file, None, 0)?;
            e.open_table(sesid, dbid, TABLE, None, 0)
        })();
        match opened {
            Ok(tableid) => Ok(Slot { sesid, tableid }),
            Err(err) => {
                let _ = e.end_session(sesid, 0);
                Err(Error::new("ese-rs: open_database/open_table", err))
            }
        }
    }

    /// Gives a session back to the pool.
    fn give(&self, slot: Slot) {
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(slot);
    }

    /// Ends a session that is left in an unknown state instead of pooling it.
    fn discard(&self, slot: Slot) {
        let _ = self.engine.rollback(slot.sesid, grbit::ROLLBACK_ALL);
        let _ = self.engine.end_session(slot.sesid, 0);
    }
}

/// The puts and deletes of one transaction, on one session's cursor.
struct EseWriter<'a> {
    ese: &'a Ese,
    slot: Slot,
}

impl EseWriter<'_> {
    /// Makes `key` the search key and seeks to it; `Ok(false)` when no record has it.
    fn seek_eq(&self, key: &[u8]) -> Result<bool> {
        let (e, s) = (&self.ese.engine, self.slot);
        jet(
            e.make_key(s.sesid, s.tableid, key, JET_BIT_NEW_KEY),
            "ese-rs: make_key",
        )?;
        match e.seek(s.sesid, s.tableid, JET_BIT_SEEK_EQ) {
            Ok(_) => Ok(true),
            Err(err) if err == JetErr::RECORD_NOT_FOUND => Ok(false),
            Err(err) => Err(Error::new("ese-rs: seek", err)),
        }
    }
}

impl Writer for EseWriter<'_> {
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let (e, s, ese) = (&self.ese.engine, self.slot, self.ese);
        jet(
            e.prepare_update(s.sesid, s.tableid, JET_PREP_INSERT),
            "ese-rs: prepare_update(insert)",
        )?;
        // Both columns in one JetSetColumns call, as the two JetSetColumn calls would set them.
        let mut cols = [SetColumn::new(ese.key, key), SetColumn::new(ese.value, value)];
        jet(
            e.set_columns(s.sesid, s.tableid, &mut cols),
            "ese-rs: set_columns(k, v)",
        )?;
        // No bookmark wanted (pvBookmark NULL), as an application loading rows passes.
        let inserted = e.update_to(s.sesid, s.tableid, None);
        if !is_err(&inserted, JetErr::KEY_DUPLICATE) {
            return jet(inserted, "ese-rs: update(insert)").map(drop);
        }
        // The key exists: cancel the insert and replace the record's value instead.
        jet(
            e.prepare_update(s.sesid, s.tableid, JET_PREP_CANCEL),
            "ese-rs: prepare_update(cancel)",
        )?;
        if !self.seek_eq(key)? {
            return Err(Error::new(
                "ese-rs: put",
                "insert said the key exists, seek found no record",
            ));
        }
        jet(
            e.prepare_update(s.sesid, s.tableid, JET_PREP_REPLACE),
            "ese-rs: prepare_update(replace)",
        )?;
        jet(
            e.set_column(s.sesid, s.tableid, ese.value, value, 0, 0),
            "ese-rs: set_column(v)",
        )?;
        jet(
            e.update_to(s.sesid, s.tableid, None),
            "ese-rs: update(replace)",
        )
        .map(drop)
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        if !self.seek_eq(key)? {
            return Ok(());
        }
        let (e, s) = (&self.ese.engine, self.slot);
        jet(e.delete(s.sesid, s.tableid), "ese-rs: delete")
    }
}

/// The reads of one read-only transaction, on one session's cursor.
struct EseReader<'a> {
    ese: &'a Ese,
    slot: Slot,
    key_buf: [u8; KEY_BYTES],
    value_buf: [u8; VALUE_MOST],
}

impl Reader for EseReader<'_> {
    fn get(&mut self, key: &[u8], value: &mut Vec<u8>) -> Result<bool> {
        value.clear();
        let (e, s) = (&self.ese.engine, self.slot);
        jet(
            e.make_key(s.sesid, s.tableid, key, JET_BIT_NEW_KEY),
            "ese-rs: make_key",
        )?;
        match e.seek(s.sesid, s.tableid, JET_BIT_SEEK_EQ) {
            Ok(_) => {}
            Err(err) if err == JetErr::RECORD_NOT_FOUND => return Ok(false),
            Err(err) => return Err(Error::new("ese-rs: seek", err)),
        }
        let (n, _) = jet(
            e.retrieve_column(
                s.sesid,
                s.tableid,
                self.ese.value,
                &mut self.value_buf,
                0,
                1,
            ),
            "ese-rs: retrieve_column(v)",
        )?;
        value.extend_from_slice(&self.value_buf[..n.min(VALUE_MOST)]);
        Ok(true)
    }

    fn range(
        &mut self,
        start: &[u8],
        limit: usize,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize> {
        let (e, s) = (&self.ese.engine, self.slot);
        if limit == 0 {
            return Ok(0);
        }
        jet(
            e.make_key(s.sesid, s.tableid, start, JET_BIT_NEW_KEY),
            "ese-rs: make_key",
        )?;
        match e.seek(s.sesid, s.tableid, JET_BIT_SEEK_GE) {
            Ok(_) => {}
            Err(err) if err == JetErr::RECORD_NOT_FOUND => return Ok(0),
            Err(err) => return Err(Error::new("ese-rs: seek", err)),
        }
        let mut n = 0;
        loop {
            let mut cols = [
                RetrieveColumn::new(self.ese.key, &mut self.key_buf),
                RetrieveColumn::new(self.ese.value, &mut self.value_buf),
            ];
            jet(
                e.retrieve_columns(s.sesid, s.tableid, &mut cols),
                "ese-rs: retrieve_columns",
            )?;
            let (kn, vn) = (
                cols[0].actual.min(KEY_BYTES),
                cols[1].actual.min(VALUE_MOST),
            );
            visit(&self.key_buf[..kn], &self.value_buf[..vn]);
            n += 1;
            if n == limit {
                return Ok(n);
            }
            match e.move_cursor(s.sesid, s.tableid, JET_MOVE_NEXT, 0) {
                Ok(()) => {}
                Err(err) if err == JetErr::NO_CURRENT_RECORD => return Ok(n),
                Err(err) => return Err(Error::new("ese-rs: move_cursor(next)", err)),
            }
        }
    }
}

impl Ese {
    /// Runs one transaction on `slot`: `begin`, `body`, then `end` on success or a rollback.
    fn transact(
        &self,
        slot: Slot,
        begin: impl FnOnce() -> ese_api::Result<()>,
        body: impl FnOnce() -> Result<()>,
        end: impl FnOnce() -> ese_api::Result<()>,
    ) -> Result<()> {
        jet(begin(), "ese-rs: begin_transaction")?;
        let result = body();
        match result {
            Ok(()) => jet(end(), "ese-rs: commit_transaction"),
            Err(err) => {
                jet(self.engine.rollback(slot.sesid, 0), "ese-rs: rollback")?;
                Err(err)
            }
        }
    }

    /// Takes a session, runs `f` on it, and pools it again unless `f` failed.
    fn with_slot(&self, f: impl FnOnce(Slot) -> Result<()>) -> Result<()> {
        let slot = self.take()?;
        let result = f(slot);
        if result.is_ok() {
            self.give(slot);
        } else {
            self.discard(slot);
        }
        result
    }
}

impl Engine for Ese {
    fn write(&self, commit: Commit, body: &mut WriteBody<'_>) -> Result<()> {
        let e = &self.engine;
        let flags = match commit {
            Commit::Durable => 0,
            Commit::Lazy => grbit::COMMIT_LAZY_FLUSH,
        };
        self.with_slot(|slot| {
            self.transact(
                slot,
                || e.begin_transaction(slot.sesid),
                || body(&mut EseWriter { ese: self, slot }),
                || e.commit_transaction(slot.sesid, flags),
            )
        })
    }

    fn read(&self, body: &mut ReadBody<'_>) -> Result<()> {
        let e = &self.engine;
        self.with_slot(|slot| {
            let mut reader = EseReader {
                ese: self,
                slot,
                key_buf: [0; KEY_BYTES],
                value_buf: [0; VALUE_MOST],
            };
            self.transact(
                slot,
                || e.begin_transaction2(slot.sesid, grbit::TRANSACTION_READ_ONLY),
                || body(&mut reader),
                || e.commit_transaction(slot.sesid, 0),
            )
        })
    }
}

impl Drop for Ese {
    fn drop(&mut self) {
        let slots = std::mem::take(self.pool.get_mut().unwrap_or_else(|e| e.into_inner()));
        for slot in slots {
            let _ = self.engine.end_session(slot.sesid, 0);
        }
        let _: std::result::Result<(), JetError> = self.engine.term(self.instance);
    }
}
