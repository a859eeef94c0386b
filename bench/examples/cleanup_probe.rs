//! The cost of version cleanup per removed node: ROWS rows loaded in one durable transaction,
//! then DELETES of them, picked at random, deleted in lazy transactions of 1,000, then a rest
//! in which the background cleanup removes the deleted nodes. Meant to be run under callgrind
//! with collection limited to the cleanup passes:
//!
//! ```sh
//! cargo build --release --manifest-path bench/Cargo.toml --example cleanup_probe
//! valgrind --tool=callgrind --toggle-collect='*Trees*cleanup*' \
//!     bench/target/release/examples/cleanup_probe 200000 50000 [prompt|held]
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | head -80
//! ```
//!
//! `prompt` (the default) lets cleanup run as the commits ask for it, which is how the
//! benchmark's delete row meets it: a pass after each commit or each few, each removing the
//! nodes of one to a few transactions. How many passes there are depends on how the threads
//! are scheduled, so the count moves from one run to the next with it. `held` keeps a read
//! snapshot open from before the first delete until after the last commit, so that no pass
//! can release a delete before it ends; then one pass removes them all, and the count repeats
//! from run to run to within about 0.1%. Both include the cleanup of the load's versions.

use ese_bench::rng::{self, SplitMix64};
use ese_bench::{Commit, Engine, Error, Result};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Seed of the data, the same as the `phases` example's.
const SEED: u64 = 0x00E5_E0E5_E0E5_E0E5;

/// Deletes per transaction.
const DELETES_PER_COMMIT: usize = 1_000;

/// The rest after the load and after the deletes, long enough under valgrind for the
/// cleanup passes they cause to finish.
const REST: Duration = Duration::from_millis(1500);

/// When cleanup may release the deletes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// As the commits ask for it.
    Prompt,
    /// Only after the last commit, in one pass: a snapshot is held open across the deletes.
    Held,
}

/// The indexes of `deletes` distinct rows of `rows`, in a random order (a partial
/// Fisher-Yates shuffle).
fn victims(rows: u64, deletes: u64) -> Vec<u64> {
    let mut idx: Vec<u64> = (0..rows).collect();
    let mut pick = SplitMix64::new(SEED ^ 0xDE1E);
    let n = deletes.min(rows) as usize;
    for k in 0..n {
        let other = k + pick.below(rows - k as u64) as usize;
        idx.swap(k, other);
    }
    idx.truncate(n);
    idx
}

/// Deletes the rows of `victims`, `DELETES_PER_COMMIT` to a lazy commit.
fn delete_all(engine: &dyn Engine, victims: &[u64]) -> Result<()> {
    let start = Instant::now();
    for batch in victims.chunks(DELETES_PER_COMMIT) {
        engine.write(Commit::Lazy, &mut |w| {
            for &i in batch {
                w.delete(&rng::key(SEED, i))?;
            }
            Ok(())
        })?;
    }
    println!(
        "deletes {} in {:.3} s",
        victims.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs the probe on `engine`.
fn run(engine: &dyn Engine, rows: u64, deletes: u64, mode: Mode) -> Result<()> {
    engine.write(Commit::Durable, &mut |w| {
        for i in 0..rows {
            w.put(&rng::key(SEED, i), &rng::value(SEED, i))?;
        }
        Ok(())
    })?;
    // The cleanup of the load's versions runs now, not during the deletes.
    std::thread::sleep(REST);
    let victims = victims(rows, deletes);
    match mode {
        Mode::Prompt => delete_all(engine, &victims)?,
        Mode::Held => std::thread::scope(|s| -> Result<()> {
            let (opened, wait_opened) = mpsc::channel();
            let (release, wait_release) = mpsc::channel::<()>();
            let reader = s.spawn(move || {
                engine.read(&mut |r| {
                    // A read makes sure the snapshot is in place before the deletes begin.
                    let mut value = Vec::new();
                    r.get(&rng::key(SEED, 0), &mut value)?;
                    let _ = opened.send(());
                    // Held until the deletes are committed (or the main thread gave up).
                    let _ = wait_release.recv();
                    Ok(())
                })
            });
            let deleted = wait_opened
                .recv()
                .map_err(|e| Error::new("cleanup_probe: the reader ended early", e))
                .and_then(|()| delete_all(engine, &victims));
            drop(release);
            let read = reader
                .join()
                .map_err(|_| Error::new("cleanup_probe", "the reader panicked"))
                .and_then(|r| r);
            deleted.and(read)
        })?,
    }
    std::thread::sleep(REST);
    Ok(())
}

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(200_000);
    let deletes: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(50_000);
    let mode = match args.next().as_deref() {
        None | Some("prompt") => Mode::Prompt,
        Some("held") => Mode::Held,
        Some(other) => {
            eprintln!("cleanup_probe: no mode {other} (prompt or held)");
            return std::process::ExitCode::FAILURE;
        }
    };
    ese_bench::run_example("cleanup_probe", "ese-rs", None, |engine, _| {
        run(engine, rows, deletes, mode)
    })
}
