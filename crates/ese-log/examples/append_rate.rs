//! The append path alone: one thread appends the records of a bulk load (an insert record per
//! row, a page image every 16 rows) to an in-memory log, so the figure is the CPU cost of
//! encoding, buffering, checksumming and writing, without the disk.
//!
//! ```text
//! cargo run --release -p ese-log --example append_rate [rows]
//! ```

use std::sync::Arc;
use std::time::Instant;

use ese_core::{DbId, Dbtime, Pgno, Trx};
use ese_log::{Log, LogConfig, LogRecord, PageImage, PageOp};
use ese_pageio::MemDirectory;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => 200_000,
    };
    let log = Log::open(LogConfig::new(Arc::new(MemDirectory::new())))?;
    let page = vec![0x5au8; 8192];
    // The records are built before the clock starts, so only the log's work is timed.
    let mut records = Vec::with_capacity(rows as usize + rows as usize / 16 + 1);
    for i in 0..rows {
        if i % 16 == 0 {
            let image = PageImage::from_page(DbId(1), Pgno(i as u32), Dbtime(i), &page, 4096..8000);
            records.push(LogRecord::PageImage(image));
        }
        records.push(LogRecord::InsertNode(PageOp {
            trx: Trx(1),
            db: DbId(1),
            pgno: Pgno((i / 16) as u32),
            dbtime_before: Dbtime(i),
            dbtime_after: Dbtime(i + 1),
            payload: vec![(i % 251) as u8; 100],
            undo: vec![1; 12],
        }));
    }
    let bytes: usize = records.iter().map(LogRecord::frame_len).sum();
    let start = Instant::now();
    for rec in &records {
        log.append(rec)?;
    }
    log.flush_all()?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} appends in {secs:.3} s: {:.0} appends/s, {:.0} MiB/s of frames, {} flushes",
        records.len(),
        records.len() as f64 / secs,
        bytes as f64 / secs / (1 << 20) as f64,
        log.flush_count()
    );
    Ok(())
}
