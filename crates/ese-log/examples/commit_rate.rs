//! Durable commits per second with 1, 2, 4 and 8 concurrent committers, and the raw fsync rate
//! of the same disk, measured in the same run; then the append rate of one thread loading
//! rows (an insert record per row, a page image every 16 rows), in memory and on the disk.
//!
//! ```text
//! cargo run --release -p ese-log --example commit_rate [directory] [seconds-per-run]
//! ```
//!
//! The directory defaults to a fresh one under the system temp directory (often `/tmp`); pass
//! a path on the disk you care about. Group commit should let 8 committers reach well over 3x
//! the single-committer rate, since one fsync serves every commit waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ese_core::{DbId, Dbtime, Pgno, Trx};
use ese_log::{CommitMode, Log, LogConfig, LogRecord, PageImage, PageOp};
use ese_pageio::{Directory, FileStorage, FsDirectory, MemDirectory, Storage};

/// Appends `rows` records of a bulk load to a fresh log in `dir`, then flushes it. The
/// records are built before the clock starts, so only the log's work is timed. Returns
/// (seconds, log bytes appended).
fn append_run(dir: Arc<dyn Directory>, rows: u64) -> Result<(f64, u64), ese_log::Error> {
    let config = LogConfig::new(dir);
    let file_sectors = config.file_bytes / 512;
    let log = Log::open(config)?;
    let page = vec![0x5au8; 8192];
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
    let start = Instant::now();
    let first = log.head();
    for rec in &records {
        log.append(rec)?;
    }
    log.flush_all()?;
    let secs = start.elapsed().as_secs_f64();
    let end = log.head();
    let sectors = (u64::from(end.generation) - u64::from(first.generation)) * file_sectors
        + u64::from(end.sector)
        - u64::from(first.sector);
    Ok((secs, sectors * 512))
}

/// Raw fsyncs of the same disk for `run`: (count, seconds).
fn fsync_slice(root: &std::path::Path, run: Duration) -> std::io::Result<(f64, f64)> {
    let path = root.join("fsync-probe.dat");
    let file = FileStorage::open(&path, true)?;
    // Preallocate, like a log file, so the loop measures data syncs, not block allocation.
    file.write_at(0, &vec![0u8; 1 << 20])?;
    file.sync()?;
    let sector = [0x5au8; 512];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < run {
        file.write_at((n % 2048) * 512, &sector)?;
        file.sync()?;
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;
    Ok((n as f64, secs))
}

/// One timed slice: `committers` threads commit durably for `run` on a fresh log.
/// Returns (commits, seconds, log flushes).
fn commit_slice(
    root: &std::path::Path,
    committers: u64,
    run: Duration,
) -> Result<(u64, f64, u64), Box<dyn std::error::Error>> {
    let dir_path = root.join(format!("log-{committers}"));
    let _ = std::fs::remove_dir_all(&dir_path);
    let dir = Arc::new(FsDirectory::open(&dir_path)?);
    let log = Arc::new(Log::open(LogConfig::new(dir))?);
    let stop = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..committers)
        .map(|t| {
            let (log, stop, total) = (log.clone(), stop.clone(), total.clone());
            std::thread::spawn(move || -> Result<(), ese_log::Error> {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let trx = Trx(t << 40 | i);
                    let begin = LogRecord::BeginTransaction { trx, level: 0 };
                    log.append(&begin)?;
                    let commit = LogRecord::Commit {
                        trx,
                        commit_trx: trx,
                    };
                    log.commit(&commit, CommitMode::Durable)?;
                    total.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
                Ok(())
            })
        })
        .collect();
    std::thread::sleep(run);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().map_err(|_| "committer panicked")??;
    }
    let secs = start.elapsed().as_secs_f64();
    let flushes = log.flush_count();
    drop(log);
    std::fs::remove_dir_all(&dir_path)?;
    Ok((total.load(Ordering::Relaxed), secs, flushes))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = match args.next() {
        Some(p) => std::path::PathBuf::from(p),
        None => std::env::temp_dir().join(format!("ese-log-commit-rate-{}", std::process::id())),
    };
    let secs: f64 = match args.next() {
        Some(s) => s.parse()?,
        None => 3.0,
    };
    let run = Duration::from_secs_f64(secs);
    std::fs::create_dir_all(&root)?;
    // A virtual disk's fsync latency drifts by an order of magnitude within seconds, so the
    // configurations run interleaved in short slices, round after round, and each total is
    // compared with the fsync rate measured in the same rounds.
    let rounds = 8u32;
    let slice = run / rounds;
    println!(
        "directory: {}  ({secs} s per configuration, in {rounds} interleaved slices)",
        root.display()
    );
    let configs = [1u64, 2, 4, 8];
    let mut sums = [(0u64, 0f64, 0u64); 4];
    let mut fsyncs = (0f64, 0f64);
    for _ in 0..rounds {
        let (n, t) = fsync_slice(&root, slice)?;
        fsyncs.0 += n;
        fsyncs.1 += t;
        for (i, &c) in configs.iter().enumerate() {
            let (commits, t, flushes) = commit_slice(&root, c, slice)?;
            sums[i].0 += commits;
            sums[i].1 += t;
            sums[i].2 += flushes;
        }
    }
    let fsync_rate = fsyncs.0 / fsyncs.1;
    println!("raw fsync (512-byte write + fdatasync): {fsync_rate:>8.0} /s");
    let single = sums[0].0 as f64 / sums[0].1;
    for (i, &c) in configs.iter().enumerate() {
        let rate = sums[i].0 as f64 / sums[i].1;
        let per_flush = sums[i].0 as f64 / sums[i].2.max(1) as f64;
        println!(
            "{c} committer(s): {rate:>8.0} durable commits/s  ({:>5.2}x single, \
             {per_flush:.2} commits per log fsync, {:.2} per raw fsync)",
            rate / single,
            rate / fsync_rate,
        );
    }
    let rows = 200_000u64;
    let mem = (0..3)
        .map(|_| append_run(Arc::new(MemDirectory::new()), rows))
        .collect::<Result<Vec<_>, _>>()?;
    let (secs, bytes) = mem
        .iter()
        .copied()
        .fold((f64::MAX, 0), |a, b| if b.0 < a.0 { b } else { a });
    println!(
        "append, in memory: {:>9.0} rows/s  ({:.0} MiB/s of log; best of 3)",
        rows as f64 / secs,
        bytes as f64 / secs / (1 << 20) as f64
    );
    let disk = root.join("append");
    let _ = std::fs::remove_dir_all(&disk);
    let (secs, bytes) = append_run(Arc::new(FsDirectory::open(&disk)?), rows)?;
    std::fs::remove_dir_all(&disk)?;
    println!(
        "append, on disk:   {:>9.0} rows/s  ({:.0} MiB/s of log)",
        rows as f64 / secs,
        bytes as f64 / secs / (1 << 20) as f64
    );
    let _ = std::fs::remove_dir(&root);
    Ok(())
}
