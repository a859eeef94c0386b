//! Helpers shared by the integration tests.

use std::sync::Arc;

use ese_core::{DbId, Dbtime, Lgpos, Pgno, Trx};
use ese_log::{LogReader, LogRecord, PageOp, ScanEnd};
use ese_pageio::Directory;

/// A deterministic record of varying size for workload step `i`.
pub fn record(i: u64) -> LogRecord {
    match i % 4 {
        0 => LogRecord::BeginTransaction {
            trx: Trx(i),
            level: 0,
        },
        1 | 2 => LogRecord::InsertNode(PageOp {
            trx: Trx(i),
            db: DbId(1),
            pgno: Pgno(i as u32),
            dbtime_before: Dbtime(i),
            dbtime_after: Dbtime(i + 1),
            payload: vec![(i % 251) as u8; (i * 37 % 300) as usize],
            undo: vec![7; (i % 5) as usize],
        }),
        _ => LogRecord::Commit {
            trx: Trx(i),
            commit_trx: Trx(i + 1),
        },
    }
}

/// Reads the whole log in `dir`.
#[allow(dead_code)] // Not every test binary reads the log back.
pub fn read_all(
    dir: Arc<dyn Directory>,
) -> Result<(Vec<(Lgpos, LogRecord)>, ScanEnd), ese_log::Error> {
    LogReader::open(dir, "edb")?.read_all()
}
