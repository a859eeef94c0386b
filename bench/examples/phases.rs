//! One engine through the benchmark's operations, phase by phase, printing each phase's wall
//! time, rate and its start and end on the monotonic clock, so that a profile recorded with
//! `perf record -k CLOCK_MONOTONIC` can be cut into phases with `perf report --time A,B`.
//!
//! ```sh
//! cargo run --release --manifest-path bench/Cargo.toml --example phases -- [ENGINE] [ROWS]
//! perf record -k CLOCK_MONOTONIC -e cpu-clock -g --call-graph dwarf \
//!     bench/target/release/examples/phases ese-rs 20000
//! ```
//!
//! Phases, on one fresh directory under the system's temporary folder: `load` (ROWS puts in
//! one durable transaction), `commits` (200 single-row durable commits), `batches` (20 lazy
//! transactions of 1,000 puts), `reads` (20,000 random gets, 1,000 per snapshot), `reads2` (2 threads × 100,000 of
//! them), `scans`
//! (1,000 range scans of 100 rows), `deletes` (5,000 deletes, 1,000 per lazy transaction) and
//! `writers` (4 threads × 1,000 durable single-row commits). Between phases the program sleeps
//! 200 ms, so the phases' samples never mix. After the load it lists the engine's files with
//! their apparent and allocated sizes, which shows what the file-size workload counts.

use ese_bench::rng::{self, SplitMix64};
use ese_bench::{Commit, Engine, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// Seed of the data and of every random choice.
const SEED: u64 = 0x00E5_E0E5_E0E5_E0E5;

/// Point reads per reader thread in the `reads2` phase.
const READER_READS: u64 = 100_000;

/// Durable commits per writer thread in the `writers` phase.
const WRITER_COMMITS: u64 = 1000;

/// The `tv_sec.tv_nsec` of an instant (CLOCK_MONOTONIC on Linux), from its `Debug` form.
fn monotonic(t: Instant) -> String {
    let s = format!("{t:?}");
    let field = |name: &str| -> Option<u64> {
        let rest = &s[s.find(name)? + name.len()..];
        let digits: String = rest
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    match (field("tv_sec"), field("tv_nsec")) {
        (Some(sec), Some(nsec)) => format!("{sec}.{nsec:09}"),
        _ => s,
    }
}

/// Runs `f`, which does `count` operations, and prints the phase's line.
fn phase(name: &str, count: usize, f: impl FnOnce() -> Result<()>) -> Result<()> {
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    f()?;
    let end = Instant::now();
    let secs = (end - start).as_secs_f64();
    println!(
        "{name:<8} {:>8.3} s {:>12.0} /s   --time {},{}",
        secs,
        count as f64 / secs.max(1e-9),
        monotonic(start),
        monotonic(end)
    );
    Ok(())
}

/// Runs every phase against `engine` with `rows` loaded rows.
fn run(engine: &dyn Engine, dir: &Path, rows: u64) -> Result<()> {
    phase("load", rows as usize, || {
        engine.write(Commit::Durable, &mut |w| {
            for i in 0..rows {
                w.put(&rng::key(SEED, i), &rng::value(SEED, i))?;
            }
            Ok(())
        })
    })?;
    list_files(dir)?;
    phase("commits", 200, || {
        for j in 0..200u64 {
            let i = (1 << 40) | j;
            engine.write(Commit::Durable, &mut |w| {
                w.put(&rng::key(SEED, i), &rng::value(SEED, i))
            })?;
        }
        Ok(())
    })?;
    phase("batches", 20_000, || {
        for t in 0..20u64 {
            engine.write(Commit::Lazy, &mut |w| {
                for r in 0..1_000u64 {
                    let i = (2 << 40) | (t * 1_000 + r);
                    w.put(&rng::key(SEED, i), &rng::value(SEED, i))?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    let mut value = Vec::new();
    phase("reads", 20_000, || {
        let mut pick = SplitMix64::new(SEED ^ 0x5EAD);
        for _ in 0..20 {
            engine.read(&mut |r| {
                for _ in 0..1_000 {
                    r.get(&rng::key(SEED, pick.below(rows)), &mut value)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    phase("reads2", 2 * READER_READS as usize, || {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..2u64)
                .map(|t| {
                    s.spawn(move || -> Result<()> {
                        let mut pick = SplitMix64::new(SEED ^ 0x5EAD ^ t);
                        let mut value = Vec::new();
                        for _ in 0..READER_READS / 1_000 {
                            engine.read(&mut |r| {
                                for _ in 0..1_000 {
                                    r.get(&rng::key(SEED, pick.below(rows)), &mut value)?;
                                }
                                Ok(())
                            })?;
                        }
                        Ok(())
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(ese_bench::Error::new("reader", "panicked")))
            })
        })
    })?;
    phase("scans", 1_000, || {
        let mut pick = SplitMix64::new(SEED ^ 0x5CA7);
        for _ in 0..1_000 {
            let key = rng::key(SEED, pick.below(rows));
            engine.read(&mut |r| r.range(&key, 100, &mut |_, _| {}).map(drop))?;
        }
        Ok(())
    })?;
    phase("deletes", 5_000, || {
        for b in 0..5u64 {
            engine.write(Commit::Lazy, &mut |w| {
                for j in 0..1_000u64 {
                    w.delete(&rng::key(SEED, (b * 1_000 + j) % rows))?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    phase("writers", 4 * WRITER_COMMITS as usize, || {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4u64)
                .map(|t| {
                    s.spawn(move || -> Result<()> {
                        for c in 0..WRITER_COMMITS {
                            let i = (3 << 40) | (t * WRITER_COMMITS + c);
                            engine.write(Commit::Durable, &mut |w| {
                                w.put(&rng::key(SEED, i), &rng::value(SEED, i))
                            })?;
                        }
                        Ok(())
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(ese_bench::Error::new("writer", "panicked")))
            })
        })
    })
}

/// Prints every file under `dir` with its apparent and allocated size, in KiB.
fn list_files(dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    // Bounded by the directory tree the engine made.
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| ese_bench::Error::new("phases: list", e))? {
            let entry = entry.map_err(|e| ese_bench::Error::new("phases: list", e))?;
            let meta = entry
                .metadata()
                .map_err(|e| ese_bench::Error::new("phases: stat", e))?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                files.push((entry.path(), meta.len(), meta.blocks() * 512));
            }
        }
    }
    files.sort();
    for (path, apparent, allocated) in files {
        let name = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        println!(
            "  {name:<40} {:>10} KiB apparent {:>10} KiB allocated",
            apparent / 1024,
            allocated / 1024
        );
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "ese-rs".to_string());
    let rows: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    ese_bench::run_example("phases", &name, None, |engine, dir| run(engine, dir, rows))
}
