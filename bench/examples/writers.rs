//! The 4-writer workload again and again on one engine: after a bulk load of ROWS rows, ROUNDS
//! rounds of THREADS threads making 1,000 single-row durable commits between them, each
//! round's rate and commit latencies printed. The benchmark runs this workload once per engine
//! and round (1,000 commits, under 100 ms); this shows how much it moves from one round to
//! the next on the same engine and disk, and gives a steady phase to trace.
//!
//! ```sh
//! cargo run --release --manifest-path bench/Cargo.toml --example writers -- \
//!     [ENGINE] [ROWS] [ROUNDS] [THREADS]
//! strace -f -c -e trace=pwrite64,fdatasync bench/target/release/examples/writers ese-rs 2000 5
//! ```

use ese_bench::{Commit, Engine, Result, rng, workloads};
use std::time::Duration;

/// Seed of the data, the same as the `phases` example's.
const SEED: u64 = 0x00E5_E0E5_E0E5_E0E5;

/// Durable commits per round, shared between the threads.
const COMMITS_PER_ROUND: u64 = 1_000;

/// One round's outcome: commits per second, median and p99 latency in microseconds.
struct Round {
    rate: f64,
    p50_us: f64,
    p99_us: f64,
}

/// Runs round `r`: `threads` threads making `per` durable single-row commits each, started
/// together, on keys of their own (apart from the load's and other rounds').
fn round(engine: &dyn Engine, r: u64, threads: u64, per: u64) -> Result<Round> {
    let (elapsed, mut latencies) =
        workloads::durable_committers(engine, SEED, threads as usize, per as usize, &|t, c| {
            (5 << 40) | (r << 20) | (t as u64 * per + c as u64)
        })?;
    latencies.sort_unstable();
    Ok(Round {
        rate: workloads::per_sec(latencies.len(), elapsed),
        p50_us: workloads::quantile_micros(&latencies, 0.5),
        p99_us: workloads::quantile_micros(&latencies, 0.99),
    })
}

/// Loads `rows` rows, then runs and prints `rounds` rounds.
fn run(engine: &dyn Engine, rows: u64, rounds: u64, threads: u64) -> Result<()> {
    engine.write(Commit::Durable, &mut |w| {
        for i in 0..rows {
            w.put(&rng::key(SEED, i), &rng::value(SEED, i))?;
        }
        Ok(())
    })?;
    for r in 0..rounds {
        std::thread::sleep(Duration::from_millis(100));
        let x = round(engine, r, threads, COMMITS_PER_ROUND / threads)?;
        println!(
            "round {r:>3}: {:>8.0} commits/s   p50 {:>6.0} µs   p99 {:>6.0} µs",
            x.rate, x.p50_us, x.p99_us
        );
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "ese-rs".to_string());
    let mut number = |default: u64| args.next().and_then(|n| n.parse().ok()).unwrap_or(default);
    let rows = number(20_000);
    let rounds = number(10);
    let threads = number(4).clamp(1, COMMITS_PER_ROUND);
    ese_bench::run_example("writers", &name, None, |engine, _| {
        run(engine, rows, rounds, threads)
    })
}
