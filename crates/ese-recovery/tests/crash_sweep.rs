//! The crash sweep over the real engine: a randomized multi-session workload through
//! `VersionedTree` on a `CrashDirectory` (database file and log), crashed at every write and
//! sync (unsynced writes lost, kept or torn at 512-byte boundaries), recovered with
//! `recover_instance` and compared with the model; for a sample, recovery itself is crashed at
//! each of its operations and recovered again; and the workload is rerun with an I/O error
//! injected at writes and syncs spread over it (see `ese_recovery::sim`).

use ese_recovery::sim::{SimConfig, run};

const SEEDS: u64 = 3;

#[test]
fn crash_sweep_at_every_write_and_sync() {
    let (mut points, mut in_recovery, mut faults, mut structural) = (0, 0, 0, 0);
    for seed in 1..=SEEDS {
        let report = run(&SimConfig::ci(seed));
        println!("seed {seed}:\n{report}");
        assert_eq!(report.failed, 0, "seed {seed}: {report}");
        assert!(
            report.commits > 20 && report.durable_commits > 5,
            "{report}"
        );
        assert!(report.losers_undone > 0, "{report}");
        points += report.crash_points;
        in_recovery += report.recovery_crash_points;
        faults += report.fault_points;
        structural += report.structural + report.leaked;
    }
    println!(
        "crash sweep: {points} crash points tested, {in_recovery} crashes during recovery, \
         {faults} injected I/O faults; {structural} recoveries hit a half-logged B-tree \
         operation"
    );
    assert!(points + in_recovery >= 2000, "{points} + {in_recovery}");
}

/// A crash between the records of one split leaves a half-done split: ese-btree logs a split
/// as several records (space map bit, new page, sibling links, parent), and recovery replays
/// whatever prefix of them reached the log. Kept out of the sweep's pass/fail until the
/// B-tree logs such operations atomically; run with `--ignored` to see it fail.
#[test]
#[ignore = "ese-btree does not yet log a split or merge atomically"]
fn no_crash_inside_a_split_breaks_the_tree() {
    let mut cfg = SimConfig::ci(1);
    cfg.fault_points = 0;
    cfg.recovery_crash_samples = 0;
    let report = run(&cfg);
    println!("{report}");
    assert_eq!(report.structural + report.leaked, 0, "{report}");
}
