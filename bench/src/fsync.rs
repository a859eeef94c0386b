//! The raw fsync rate of the disk under the data directory, measured in the same run.
//!
//! No engine can make more durable commits per second from one thread than the disk can
//! complete `fdatasync` calls, unless it groups commits; this probe gives that ceiling. It
//! preallocates a 1 MiB file in the data directory, syncs it, then loops: write 4 KiB in place
//! (cycling through the file, so the size and the block map never change) and `fdatasync`.
//! That is the cheapest sync the disk offers; appends that grow a file also commit metadata.

use crate::{Error, Result};
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Bytes written before each sync.
pub const WRITE_BYTES: usize = 4096;

/// Bytes of the preallocated probe file.
const FILE_BYTES: u64 = 1024 * 1024;

/// Result of the probe.
#[derive(Clone, Debug)]
pub struct FsyncRate {
    /// Completed write + fdatasync pairs per second.
    pub syncs_per_sec: f64,
    /// Median latency of one pair, in microseconds.
    pub median_us: f64,
    /// 99th percentile latency of one pair, in microseconds.
    pub p99_us: f64,
    /// Pairs measured.
    pub iterations: usize,
}

/// Runs at most `max_iterations` write + fdatasync pairs, stopping early after `max_time`,
/// on a file in `dir` that is removed afterwards.
pub fn probe(dir: &Path, max_iterations: usize, max_time: Duration) -> Result<FsyncRate> {
    let path = dir.join("fsync-probe.bin");
    let ctx = |e: std::io::Error| Error::new(format!("fsync probe {}", path.display()), e);
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(ctx)?;
    let block = [0xA5u8; WRITE_BYTES];
    let blocks = FILE_BYTES / WRITE_BYTES as u64;
    for b in 0..blocks {
        file.write_all_at(&block, b * WRITE_BYTES as u64)
            .map_err(ctx)?;
    }
    file.sync_all().map_err(ctx)?;

    let mut latencies = Vec::with_capacity(max_iterations);
    let start = Instant::now();
    for i in 0..max_iterations.max(1) as u64 {
        let t = Instant::now();
        file.write_all_at(&block, (i % blocks) * WRITE_BYTES as u64)
            .map_err(ctx)?;
        file.sync_data().map_err(ctx)?;
        latencies.push(t.elapsed());
        if start.elapsed() > max_time {
            break;
        }
    }
    let elapsed = start.elapsed();
    drop(file);
    std::fs::remove_file(&path).map_err(ctx)?;

    latencies.sort_unstable();
    let at = |q: f64| {
        let rank = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        latencies[rank - 1].as_secs_f64() * 1e6
    };
    Ok(FsyncRate {
        syncs_per_sec: latencies.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        median_us: at(0.5),
        p99_us: at(0.99),
        iterations: latencies.len(),
    })
}
