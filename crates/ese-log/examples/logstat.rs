//! What a log holds, by record kind: counts, bytes, and the average payload and undo sizes of
//! page records (a summary in the spirit of esentutl /ml). Records inside a page group are
//! counted under their own kinds, prefixed `group:`, as well as in the group.
//!
//! Usage: `logstat DIR [BASE]` (BASE defaults to `edb`). Copy the log files of a running
//! instance elsewhere first: the scan reads every generation present.

use std::collections::BTreeMap;
use std::sync::Arc;

use ese_log::{LogReader, LogRecord};
use ese_pageio::FsDirectory;

/// Counts for one record kind.
#[derive(Default)]
struct Tally {
    records: u64,
    frame_bytes: u64,
    payload_bytes: u64,
    undo_bytes: u64,
}

/// The kind's name, its payload and its undo length.
fn describe(rec: &LogRecord) -> (&'static str, usize, usize) {
    match rec {
        LogRecord::BeginTransaction { .. } => ("BeginTransaction", 0, 0),
        LogRecord::Commit { .. } => ("Commit", 0, 0),
        LogRecord::Rollback { .. } => ("Rollback", 0, 0),
        LogRecord::InsertNode(op) => ("InsertNode", op.payload.len(), op.undo.len()),
        LogRecord::ReplaceNode(op) => ("ReplaceNode", op.payload.len(), op.undo.len()),
        LogRecord::DeleteNode(op) => ("DeleteNode", op.payload.len(), op.undo.len()),
        LogRecord::Split { op, .. } => ("Split", op.payload.len(), op.undo.len()),
        LogRecord::Merge { op, .. } => ("Merge", op.payload.len(), op.undo.len()),
        LogRecord::NewPage(op) => ("NewPage", op.payload.len(), op.undo.len()),
        LogRecord::FreePage(op) => ("FreePage", op.payload.len(), op.undo.len()),
        LogRecord::PageImage(img) => ("PageImage", img.image.len(), 0),
        LogRecord::PageGroup(_) => ("PageGroup", 0, 0),
        _ => ("other", 0, 0),
    }
}

fn tally(rec: &LogRecord, in_group: bool, by: &mut BTreeMap<String, Tally>) {
    let (name, payload, undo) = describe(rec);
    let key = if in_group {
        format!("group:{name}")
    } else {
        name.to_string()
    };
    let t = by.entry(key).or_default();
    t.records += 1;
    t.frame_bytes += rec.frame_len() as u64;
    t.payload_bytes += payload as u64;
    t.undo_bytes += undo as u64;
    if let LogRecord::PageGroup(inner) = rec {
        for r in inner {
            tally(r, true, by);
        }
    }
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: logstat DIR [BASE]");
        return std::process::ExitCode::FAILURE;
    };
    let base = args.next().unwrap_or_else(|| "edb".to_string());
    let records = FsDirectory::open(&dir)
        .map_err(|e| e.to_string())
        .and_then(|d| LogReader::open(Arc::new(d), &base).map_err(|e| e.to_string()))
        .and_then(|r| r.read_all().map_err(|e| e.to_string()));
    let (records, end) = match records {
        Ok(r) => r,
        Err(e) => {
            eprintln!("logstat: {dir}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut by = BTreeMap::new();
    for (_, rec) in &records {
        tally(rec, false, &mut by);
    }
    println!("{} records; the log ends {end:?}", records.len());
    for (kind, t) in &by {
        let n = t.records.max(1) as f64;
        println!(
            "{kind:<24} {:>9} records {:>9.1} MiB  {:>7.1} B each  payload {:>7.1}  undo {:>6.1}",
            t.records,
            t.frame_bytes as f64 / 1_048_576.0,
            t.frame_bytes as f64 / n,
            t.payload_bytes as f64 / n,
            t.undo_bytes as f64 / n
        );
    }
    std::process::ExitCode::SUCCESS
}
