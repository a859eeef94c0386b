//! The workloads of the benchmark issue, run in a fixed order against one engine.
//!
//! ```text
//!   raw fsync probe ─► bulk load (1 txn, N rows) ─► file size ─► 1 row durable commits ─► 1,000-row txns
//!   ─► point reads ─► range scans ─► point reads, 2 threads ─► deletes ─► 4 writer threads
//! ```
//!
//! Rules every workload follows, so that the engines are compared on the same work:
//! - Row `i` is [`rng::key`]`(seed, i)` → [`rng::value`]`(seed, i)`. Rows written after the bulk
//!   load take indices from their own region (`region << 40 | j`), so they never collide with
//!   the loaded rows or with each other.
//! - Durable single-row commits (the latency workload and the 4 writer threads) commit with
//!   [`Commit::Durable`] every time: they measure the commit path and the fsync.
//! - Workloads that write many rows per transaction (the 1,000-row transactions and the deletes)
//!   commit lazily and make only their *last* transaction durable, so the measured time covers
//!   getting every row to disk once, through each engine's own lazy path (SQLite
//!   `synchronous=NORMAL`, LMDB `MDB_NOSYNC`, redb `Durability::None`, fjall and sled buffered).
//! - Point reads run in snapshots of [`READS_PER_SNAPSHOT`] gets, as an application that reads
//!   many rows would; each range scan opens its own snapshot.
//! - Reads only touch loaded rows and run before the deletes, so every get must hit. Each
//!   workload folds what it read into a digest that must be the same for every engine; the
//!   report flags any disagreement.

use crate::rng::{self, Digest, SplitMix64};
use crate::{Commit, Engine, Error, KEY_BYTES, Result, VALUE_BYTES};
use std::path::Path;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Point reads share one read snapshot per this many gets.
pub const READS_PER_SNAPSHOT: usize = 1_000;

/// Index region of the rows of the bulk load.
const REGION_LOADED: u64 = 0;
/// Index region of the rows written by the single-row durable commits.
const REGION_INDIVIDUAL: u64 = 1;
/// Index region of the rows written by the 1,000-row transactions.
const REGION_BATCH: u64 = 2;
/// Index region of the rows written by the concurrent writer threads.
const REGION_CONCURRENT: u64 = 3;
/// Bits of a row index below the region.
const REGION_SHIFT: u32 = 40;

/// Sizes of every workload; [`Config::full`] is the issue's, [`Config::quick`] a smaller run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Seed of every random choice and of the data.
    pub seed: u64,
    /// Rows in the bulk load (N).
    pub rows: u64,
    /// Single-row durable commits in the latency workload.
    pub individual_commits: usize,
    /// Transactions in the many-rows workload.
    pub batch_txns: usize,
    /// Rows in each of those transactions.
    pub batch_rows: usize,
    /// Random point reads (per thread in the 2-thread workload).
    pub point_reads: usize,
    /// Range scans.
    pub range_scans: usize,
    /// Rows read by each range scan.
    pub range_rows: usize,
    /// Threads in the concurrent point-read workload.
    pub reader_threads: usize,
    /// Rows deleted, at random, from the loaded rows.
    pub deletes: usize,
    /// Rows deleted per transaction.
    pub delete_batch: usize,
    /// Threads in the concurrent durable-commit workload.
    pub writer_threads: usize,
    /// Single-row durable commits made by each of those threads.
    pub commits_per_writer: usize,
    /// Most write + fdatasync pairs of the raw disk probe run before each engine.
    pub fsync_probe_iterations: usize,
    /// Longest time that probe may take.
    pub fsync_probe_time: Duration,
}

impl Config {
    /// The sizes the benchmark issue asks for (N = 200,000).
    pub fn full() -> Self {
        Self {
            seed: 0x00E5_E0E5_E0E5_E0E5,
            rows: 200_000,
            individual_commits: 1_000,
            batch_txns: 100,
            batch_rows: 1_000,
            point_reads: 200_000,
            range_scans: 1_000,
            range_rows: 100,
            reader_threads: 2,
            deletes: 50_000,
            delete_batch: 1_000,
            writer_threads: 4,
            commits_per_writer: 250,
            fsync_probe_iterations: 1_000,
            fsync_probe_time: Duration::from_secs(2),
        }
    }

    /// A run about ten times smaller, for `--quick` and for checking that everything works.
    pub fn quick() -> Self {
        Self {
            rows: 20_000,
            individual_commits: 200,
            batch_txns: 20,
            point_reads: 20_000,
            deletes: 5_000,
            commits_per_writer: 50,
            fsync_probe_iterations: 200,
            fsync_probe_time: Duration::from_millis(500),
            ..Self::full()
        }
    }

    /// Bytes of user data after the bulk load: rows × (key + value).
    pub fn raw_bytes(&self) -> u64 {
        self.rows * (KEY_BYTES + VALUE_BYTES) as u64
    }
}

/// Whether a bigger number is a better result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Throughputs.
    Higher,
    /// Latencies and sizes.
    Lower,
}

/// The unit of a measurement, which also fixes how it is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Rows per second.
    RowsPerSec,
    /// Operations (reads, scans, commits) per second.
    OpsPerSec,
    /// Microseconds.
    Micros,
    /// Bytes.
    Bytes,
}

impl Unit {
    /// Short label for table headers.
    pub fn label(self) -> &'static str {
        match self {
            Unit::RowsPerSec => "rows/s",
            Unit::OpsPerSec => "ops/s",
            Unit::Micros => "µs",
            Unit::Bytes => "MiB",
        }
    }

    /// Whether bigger is better in this unit.
    pub fn better(self) -> Better {
        match self {
            Unit::RowsPerSec | Unit::OpsPerSec => Better::Higher,
            Unit::Micros | Unit::Bytes => Better::Lower,
        }
    }
}

/// One row of the result table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkloadId {
    /// Stable identifier, used as the JSON key.
    pub id: &'static str,
    /// Human label for the table.
    pub label: &'static str,
    /// Unit of the measurement.
    pub unit: Unit,
    /// Whether engines are compared on this row (ratio, best mark); false for context rows.
    pub compare: bool,
}

/// The raw fsync rate of the disk just before the engine ran: context, not a comparison. The
/// disk of a shared machine can change speed during a run, and this row shows by how much.
pub const RAW_FSYNC: WorkloadId = WorkloadId {
    id: "raw_fsync_before",
    label: "raw disk: 4 KiB write+fdatasync, just before",
    unit: Unit::OpsPerSec,
    compare: false,
};
/// Bulk load of N rows in one durable transaction.
pub const BULK_LOAD: WorkloadId = WorkloadId {
    id: "bulk_load",
    label: "bulk load, 1 txn",
    unit: Unit::RowsPerSec,
    compare: true,
};
/// Size of the engine's files right after the bulk load.
pub const FILE_SIZE: WorkloadId = WorkloadId {
    id: "file_size",
    label: "file size after bulk load (allocated)",
    unit: Unit::Bytes,
    compare: true,
};
/// Median latency of single-row durable commits.
pub const COMMIT_MEDIAN: WorkloadId = WorkloadId {
    id: "commit_median",
    label: "1-row durable commit, median",
    unit: Unit::Micros,
    compare: true,
};
/// 99th percentile latency of single-row durable commits.
pub const COMMIT_P99: WorkloadId = WorkloadId {
    id: "commit_p99",
    label: "1-row durable commit, p99",
    unit: Unit::Micros,
    compare: true,
};
/// Many transactions of many rows.
pub const BATCH_TXNS: WorkloadId = WorkloadId {
    id: "batch_txns",
    label: "txns of 1,000 rows",
    unit: Unit::RowsPerSec,
    compare: true,
};
/// Random point reads from one thread.
pub const POINT_READS: WorkloadId = WorkloadId {
    id: "point_reads",
    label: "random point reads",
    unit: Unit::OpsPerSec,
    compare: true,
};
/// Range scans of 100 rows from random starting keys.
pub const RANGE_SCANS: WorkloadId = WorkloadId {
    id: "range_scans",
    label: "range scans of 100 rows",
    unit: Unit::OpsPerSec,
    compare: true,
};
/// Random point reads from several threads at once.
pub const POINT_READS_THREADS: WorkloadId = WorkloadId {
    id: "point_reads_2_threads",
    label: "point reads, 2 threads",
    unit: Unit::OpsPerSec,
    compare: true,
};
/// Random deletes in transactions of 1,000.
pub const DELETES: WorkloadId = WorkloadId {
    id: "deletes",
    label: "random deletes, txns of 1,000",
    unit: Unit::RowsPerSec,
    compare: true,
};
/// Single-row durable commits from several threads at once.
pub const CONCURRENT_COMMITS: WorkloadId = WorkloadId {
    id: "concurrent_commits",
    label: "4 threads × 1-row durable commits",
    unit: Unit::OpsPerSec,
    compare: true,
};

/// Every row of the table, in order.
pub const ALL: [WorkloadId; 11] = [
    RAW_FSYNC,
    BULK_LOAD,
    FILE_SIZE,
    COMMIT_MEDIAN,
    COMMIT_P99,
    BATCH_TXNS,
    POINT_READS,
    RANGE_SCANS,
    POINT_READS_THREADS,
    DELETES,
    CONCURRENT_COMMITS,
];

/// One measured number.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Which row of the table.
    pub workload: WorkloadId,
    /// The number, in `workload.unit`.
    pub value: f64,
    /// Wall time of the workload (zero for sizes).
    pub elapsed: Duration,
    /// Digest of what was read or written; must agree across engines.
    pub digest: u64,
    /// Further numbers worth keeping in the JSON (name, value).
    pub extra: Vec<(&'static str, f64)>,
}

/// Runs every workload on `engine`, whose files live in `dir`, and returns the measurements
/// in table order. `progress` is told the label and wall time of each workload as it ends.
pub fn run_all(
    engine: &dyn Engine,
    dir: &Path,
    config: &Config,
    progress: &mut dyn FnMut(&str, Duration),
) -> Result<Vec<Measurement>> {
    let mut out = Vec::with_capacity(ALL.len());
    let mut step = |out: &mut Vec<Measurement>, m: Measurement| {
        progress(m.workload.label, m.elapsed);
        out.push(m);
    };

    step(&mut out, raw_fsync(dir, config)?);
    step(&mut out, bulk_load(engine, config)?);
    verify_present(engine, config, (0..16).map(|i| row(REGION_LOADED, i)))?;
    step(&mut out, file_size(dir)?);
    let [median, p99] = individual_commits(engine, config)?;
    step(&mut out, median);
    step(&mut out, p99);
    step(&mut out, batch_txns(engine, config)?);
    step(&mut out, point_reads(engine, config)?);
    step(&mut out, range_scans(engine, config)?);
    step(&mut out, point_reads_threads(engine, config)?);
    step(&mut out, deletes(engine, config)?);
    step(&mut out, concurrent_commits(engine, config)?);
    Ok(out)
}

/// The row index of the `j`-th row of `region`.
fn row(region: u64, j: u64) -> u64 {
    (region << REGION_SHIFT) | j
}

/// A rate in units per second, guarded against a zero duration.
pub fn per_sec(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Microseconds at quantile `q` (0..=1) of sorted latencies, nearest rank.
pub fn quantile_micros(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e6
}

/// Fails unless every row in `rows` is present with its value.
fn verify_present(
    engine: &dyn Engine,
    config: &Config,
    rows: impl Iterator<Item = u64>,
) -> Result<()> {
    let rows: Vec<u64> = rows.collect();
    let mut value = Vec::with_capacity(VALUE_BYTES);
    engine.read(&mut |r| {
        for &i in &rows {
            let found = r.get(&rng::key(config.seed, i), &mut value)?;
            if !found || value[..] != rng::value(config.seed, i)[..] {
                return Err(Error::new("verify", format!("row {i:#x} missing or wrong")));
            }
        }
        Ok(())
    })
}

/// Fails unless every row in `rows` is absent.
fn verify_absent(engine: &dyn Engine, config: &Config, rows: &[u64]) -> Result<()> {
    let mut value = Vec::with_capacity(VALUE_BYTES);
    engine.read(&mut |r| {
        for &i in rows {
            if r.get(&rng::key(config.seed, i), &mut value)? {
                return Err(Error::new(
                    "verify",
                    format!("deleted row {i:#x} still there"),
                ));
            }
        }
        Ok(())
    })
}

/// The raw disk probe of [`crate::fsync`], on the engine's own directory.
fn raw_fsync(dir: &Path, config: &Config) -> Result<Measurement> {
    let start = Instant::now();
    let f = crate::fsync::probe(dir, config.fsync_probe_iterations, config.fsync_probe_time)?;
    Ok(Measurement {
        workload: RAW_FSYNC,
        value: f.syncs_per_sec,
        elapsed: start.elapsed(),
        digest: 0,
        extra: vec![("median_us", f.median_us), ("p99_us", f.p99_us)],
    })
}

/// Bulk load: N rows in one transaction, committed durably.
fn bulk_load(engine: &dyn Engine, config: &Config) -> Result<Measurement> {
    let start = Instant::now();
    engine.write(Commit::Durable, &mut |w| {
        for j in 0..config.rows {
            let i = row(REGION_LOADED, j);
            w.put(&rng::key(config.seed, i), &rng::value(config.seed, i))?;
        }
        Ok(())
    })?;
    let elapsed = start.elapsed();
    Ok(Measurement {
        workload: BULK_LOAD,
        value: per_sec(config.rows as usize, elapsed),
        elapsed,
        digest: config.rows,
        extra: vec![("seconds", elapsed.as_secs_f64())],
    })
}

/// Apparent and allocated bytes of every file under `dir`.
fn dir_bytes(dir: &Path) -> Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let mut apparent = 0;
    let mut allocated = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| Error::new(d.display().to_string(), e))? {
            let entry = entry.map_err(|e| Error::new(d.display().to_string(), e))?;
            let meta = entry
                .metadata()
                .map_err(|e| Error::new(entry.path().display().to_string(), e))?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                apparent += meta.len();
                allocated += meta.blocks() * 512;
            }
        }
    }
    Ok((apparent, allocated))
}

/// File size: the bytes allocated on disk to every file in the engine's directory (log, WAL
/// and journal files included), as `du` counts them, with the apparent size (`ls`) kept as an
/// extra. Allocated bytes are the fair measure: fjall and redb extend files sparsely
/// (a 64 MiB journal holding 4 MiB), which costs no disk space.
fn file_size(dir: &Path) -> Result<Measurement> {
    let (apparent, allocated) = dir_bytes(dir)?;
    Ok(Measurement {
        workload: FILE_SIZE,
        value: allocated as f64,
        elapsed: Duration::ZERO,
        digest: 0,
        extra: vec![("apparent_bytes", apparent as f64)],
    })
}

/// 1-row durable commits, one after the other; reports median and p99 latency.
fn individual_commits(engine: &dyn Engine, config: &Config) -> Result<[Measurement; 2]> {
    let mut latencies = Vec::with_capacity(config.individual_commits);
    let start = Instant::now();
    for j in 0..config.individual_commits as u64 {
        let i = row(REGION_INDIVIDUAL, j);
        let (key, value) = (rng::key(config.seed, i), rng::value(config.seed, i));
        let t = Instant::now();
        engine.write(Commit::Durable, &mut |w| w.put(&key, &value))?;
        latencies.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    verify_present(
        engine,
        config,
        (0..config.individual_commits as u64).map(|j| row(REGION_INDIVIDUAL, j)),
    )?;
    latencies.sort_unstable();
    let rate = per_sec(config.individual_commits, elapsed);
    let median = quantile_micros(&latencies, 0.5);
    let p99 = quantile_micros(&latencies, 0.99);
    let extra = vec![
        ("commits_per_sec", rate),
        ("median_us", median),
        ("p99_us", p99),
    ];
    Ok([
        Measurement {
            workload: COMMIT_MEDIAN,
            value: median,
            elapsed,
            digest: config.individual_commits as u64,
            extra: extra.clone(),
        },
        Measurement {
            workload: COMMIT_P99,
            value: p99,
            elapsed,
            digest: config.individual_commits as u64,
            extra,
        },
    ])
}

/// Transactions of 1,000 rows: all lazy but the last, which is durable.
fn batch_txns(engine: &dyn Engine, config: &Config) -> Result<Measurement> {
    let start = Instant::now();
    for t in 0..config.batch_txns {
        let commit = if t + 1 == config.batch_txns {
            Commit::Durable
        } else {
            Commit::Lazy
        };
        engine.write(commit, &mut |w| {
            for r in 0..config.batch_rows {
                let i = row(REGION_BATCH, (t * config.batch_rows + r) as u64);
                w.put(&rng::key(config.seed, i), &rng::value(config.seed, i))?;
            }
            Ok(())
        })?;
    }
    let elapsed = start.elapsed();
    let rows = config.batch_txns * config.batch_rows;
    verify_present(
        engine,
        config,
        (0..rows as u64).step_by(97).map(|j| row(REGION_BATCH, j)),
    )?;
    Ok(Measurement {
        workload: BATCH_TXNS,
        value: per_sec(rows, elapsed),
        elapsed,
        digest: rows as u64,
        extra: vec![("txns_per_sec", per_sec(config.batch_txns, elapsed))],
    })
}

/// `count` random gets of loaded rows from a generator seeded with `seed`, in snapshots of
/// [`READS_PER_SNAPSHOT`]; returns the digest of the first bytes of every value.
fn read_loop(engine: &dyn Engine, config: &Config, seed: u64, count: usize) -> Result<u64> {
    let mut pick = SplitMix64::new(seed);
    let mut digest = Digest::default();
    let mut value = Vec::with_capacity(VALUE_BYTES);
    let mut done = 0;
    while done < count {
        let chunk = READS_PER_SNAPSHOT.min(count - done);
        engine.read(&mut |r| {
            for _ in 0..chunk {
                let i = row(REGION_LOADED, pick.below(config.rows));
                let key = rng::key(config.seed, i);
                if !r.get(&key, &mut value)? || value.len() != VALUE_BYTES {
                    return Err(Error::new("point read", format!("row {i:#x} missing")));
                }
                digest.add(&value[..8]);
            }
            Ok(())
        })?;
        done += chunk;
    }
    Ok(digest.0)
}

/// Random point reads of loaded rows from one thread.
fn point_reads(engine: &dyn Engine, config: &Config) -> Result<Measurement> {
    let start = Instant::now();
    let digest = read_loop(engine, config, config.seed ^ 0x5EAD, config.point_reads)?;
    let elapsed = start.elapsed();
    Ok(Measurement {
        workload: POINT_READS,
        value: per_sec(config.point_reads, elapsed),
        elapsed,
        digest,
        extra: vec![],
    })
}

/// Range scans of 100 rows, each from the key of a random loaded row, each in its own snapshot.
fn range_scans(engine: &dyn Engine, config: &Config) -> Result<Measurement> {
    let mut pick = SplitMix64::new(config.seed ^ 0x5CA7);
    let mut digest = Digest::default();
    let mut rows = 0usize;
    let start = Instant::now();
    for _ in 0..config.range_scans {
        let key = rng::key(config.seed, row(REGION_LOADED, pick.below(config.rows)));
        engine.read(&mut |r| {
            rows += r.range(&key, config.range_rows, &mut |k, v| {
                digest.add(&k[..8]);
                digest.add(&v[..4]);
            })?;
            Ok(())
        })?;
    }
    let elapsed = start.elapsed();
    Ok(Measurement {
        workload: RANGE_SCANS,
        value: per_sec(config.range_scans, elapsed),
        elapsed,
        digest: digest.0 ^ rows as u64,
        extra: vec![
            ("rows_read", rows as f64),
            ("rows_per_sec", per_sec(rows, elapsed)),
        ],
    })
}

/// Random point reads from several threads at once; each does `point_reads` gets.
fn point_reads_threads(engine: &dyn Engine, config: &Config) -> Result<Measurement> {
    let threads = config.reader_threads;
    let barrier = Barrier::new(threads + 1);
    let (elapsed, digests) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    read_loop(
                        engine,
                        config,
                        config.seed ^ (0x7EAD + t as u64),
                        config.point_reads,
                    )
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let digests: Vec<Result<u64>> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::new("reader thread", "panicked")))
            })
            .collect();
        (start.elapsed(), digests)
    });
    let mut digest = 0u64;
    for d in digests {
        digest = digest.rotate_left(1) ^ d?;
    }
    let reads = threads * config.point_reads;
    Ok(Measurement {
        workload: POINT_READS_THREADS,
        value: per_sec(reads, elapsed),
        elapsed,
        digest,
        extra: vec![("threads", threads as f64)],
    })
}

/// Random deletes of distinct loaded rows, in transactions of 1,000: all lazy but the last.
fn deletes(engine: &dyn Engine, config: &Config) -> Result<Measurement> {
    let count = config.deletes.min(config.rows as usize);
    // A partial Fisher-Yates shuffle picks `count` distinct rows.
    let mut rows: Vec<u64> = (0..config.rows).collect();
    let mut pick = SplitMix64::new(config.seed ^ 0xDE1E);
    for k in 0..count {
        let other = k + pick.below((rows.len() - k) as u64) as usize;
        rows.swap(k, other);
    }
    rows.truncate(count);
    let keys: Vec<[u8; KEY_BYTES]> = rows
        .iter()
        .map(|&j| rng::key(config.seed, row(REGION_LOADED, j)))
        .collect();
    let batches: Vec<&[[u8; KEY_BYTES]]> = keys.chunks(config.delete_batch.max(1)).collect();
    let start = Instant::now();
    for (b, batch) in batches.iter().enumerate() {
        let commit = if b + 1 == batches.len() {
            Commit::Durable
        } else {
            Commit::Lazy
        };
        engine.write(commit, &mut |w| {
            for key in batch.iter() {
                w.delete(key)?;
            }
            Ok(())
        })?;
    }
    let elapsed = start.elapsed();
    let sample: Vec<u64> = rows
        .iter()
        .step_by(53)
        .map(|&j| row(REGION_LOADED, j))
        .collect();
    verify_absent(engine, config, &sample)?;
    Ok(Measurement {
        workload: DELETES,
        value: per_sec(count, elapsed),
        elapsed,
        digest: count as u64,
        extra: vec![("rows_deleted", count as f64)],
    })
}

/// `threads` threads started together, each making `per` single-row durable commits, commit
/// `c` of thread `t` writing row `row_of(t, c)` (the data of `seed`): the time from the start
/// until the last thread ended, and every commit's latency, unsorted.
pub fn durable_committers(
    engine: &dyn Engine,
    seed: u64,
    threads: usize,
    per: usize,
    row_of: &(dyn Fn(usize, usize) -> u64 + Sync),
) -> Result<(Duration, Vec<Duration>)> {
    let barrier = Barrier::new(threads + 1);
    let (elapsed, results) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                s.spawn(move || -> Result<Vec<Duration>> {
                    let mut latencies = Vec::with_capacity(per);
                    barrier.wait();
                    for c in 0..per {
                        let i = row_of(t, c);
                        let (key, value) = (rng::key(seed, i), rng::value(seed, i));
                        let start = Instant::now();
                        engine.write(Commit::Durable, &mut |w| w.put(&key, &value))?;
                        latencies.push(start.elapsed());
                    }
                    Ok(latencies)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let results: Vec<Result<Vec<Duration>>> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::new("writer thread", "panicked")))
            })
            .collect();
        (start.elapsed(), results)
    });
    let mut latencies = Vec::with_capacity(threads * per);
    for r in results {
        latencies.extend(r?);
    }
    Ok((elapsed, latencies))
}

/// Several threads, each making single-row durable commits as fast as the engine lets it.
fn concurrent_commits(engine: &dyn Engine, config: &Config) -> Result<Measurement> {
    let threads = config.writer_threads;
    let per = config.commits_per_writer;
    let (elapsed, mut latencies) = durable_committers(engine, config.seed, threads, per, &|t, c| {
        row(REGION_CONCURRENT, (t * per + c) as u64)
    })?;
    latencies.sort_unstable();
    let commits = threads * per;
    verify_present(
        engine,
        config,
        (0..commits as u64)
            .step_by(7)
            .map(|j| row(REGION_CONCURRENT, j)),
    )?;
    Ok(Measurement {
        workload: CONCURRENT_COMMITS,
        value: per_sec(commits, elapsed),
        elapsed,
        digest: commits as u64,
        extra: vec![
            ("threads", threads as f64),
            ("median_us", quantile_micros(&latencies, 0.5)),
            ("p99_us", quantile_micros(&latencies, 0.99)),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_nearest_rank() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(quantile_micros(&d, 0.5), 50.0);
        assert_eq!(quantile_micros(&d, 0.99), 99.0);
        assert_eq!(quantile_micros(&d[..1], 0.99), 1.0);
        assert_eq!(quantile_micros(&[], 0.5), 0.0);
    }

    #[test]
    fn regions_do_not_overlap() {
        let c = Config::full();
        assert!(c.rows < 1 << REGION_SHIFT);
        assert_ne!(row(REGION_LOADED, 5), row(REGION_BATCH, 5));
    }
}
