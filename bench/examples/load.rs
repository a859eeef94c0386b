//! The bulk load alone: ROWS puts of the benchmark's keys and values in one durable
//! transaction, on a fresh directory, so that a profile or an instruction count sees the write
//! path and little else.
//!
//! ```sh
//! valgrind --tool=callgrind --toggle-collect='*EseWriter*put*' \
//!     bench/target/release/examples/load ese-rs 20000 [DIR]
//! ```
//!
//! With DIR the engine's files are kept there (for `cargo run -p ese-log --example logstat`);
//! without it they go to a temporary folder that is removed at the end.

use ese_bench::rng;
use ese_bench::{Commit, Engine, Result};
use std::time::Instant;

/// Seed of the data, the same as the `phases` example's.
const SEED: u64 = 0x00E5_E0E5_E0E5_E0E5;

/// Loads `rows` rows in one durable transaction and prints the rate.
fn run(engine: &dyn Engine, rows: u64) -> Result<()> {
    // The engine's background work after opening (ese-rs: the cleanup of the versions its
    // table's creation left) runs before the load, not at a moment that differs from one
    // run to the next (under valgrind, threads run one at a time).
    std::thread::sleep(std::time::Duration::from_millis(500));
    let start = Instant::now();
    engine.write(Commit::Durable, &mut |w| {
        for i in 0..rows {
            w.put(&rng::key(SEED, i), &rng::value(SEED, i))?;
        }
        Ok(())
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "load {rows} rows {secs:.3} s {:.0} /s",
        rows as f64 / secs.max(1e-9)
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "ese-rs".to_string());
    let rows: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let keep = args.next().map(std::path::PathBuf::from);
    ese_bench::run_example("load", &name, keep.as_deref(), |engine, _| run(engine, rows))
}
