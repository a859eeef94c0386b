//! The crash sweep over the real engine: a randomized multi-session workload through
//! `VersionedTree` on a `CrashDirectory` (database file and log), crashed at every write and
//! sync (unsynced writes lost, kept or torn at 512-byte boundaries), recovered with
//! `recover_instance` and compared with the model; for a sample, recovery itself is crashed at
//! each of its operations and recovered again; and the workload is rerun with an I/O error
//! injected at writes and syncs spread over it (see `ese_recovery::sim`). A recovered tree or
//! space map that is not whole (a broken link, a leaked page) is a failure like any other.

use ese_recovery::sim::{SimConfig, run};

const SEEDS: u64 = 3;

#[test]
fn crash_sweep_at_every_write_and_sync() {
    let (mut points, mut in_recovery, mut faults, mut groups) = (0, 0, 0, 0);
    for seed in 1..=SEEDS {
        let report = run(&SimConfig::ci(seed));
        println!("seed {seed}:\n{report}");
        assert_eq!(report.failed, 0, "seed {seed}: {report}");
        assert!(
            report.commits > 20 && report.durable_commits > 5,
            "{report}"
        );
        assert!(report.losers_undone > 0, "{report}");
        assert!(report.escrow_commits > 0, "{report}");
        assert!(report.recovery_crash_points > 0, "{report}");
        points += report.crash_points;
        in_recovery += report.recovery_crash_points;
        faults += report.fault_points;
        groups += report.page_groups;
    }
    println!(
        "crash sweep: {points} crash points tested, {in_recovery} crashes during recovery, \
         {faults} injected I/O faults; {groups} multi-page B-tree changes logged; 0 failures"
    );
    assert!(points + in_recovery >= 2000, "{points} + {in_recovery}");
}

/// A crash between the page changes of one split or merge must not leave a half-done
/// structure: every B-tree call is logged as one record (a page group), so recovery replays
/// all of it or none. Every crash point of one seed's workload, with no recovery crashes or
/// faults, must recover to a whole tree and space map; the workload must split and merge.
#[test]
fn no_crash_inside_a_split_breaks_the_tree() {
    let mut cfg = SimConfig::ci(4);
    cfg.fault_points = 0;
    cfg.recovery_crash_samples = 0;
    cfg.steps = 1200;
    // Larger values: fewer nodes per page, so more splits and merges per step.
    cfg.keys = 300;
    cfg.value_most_bytes = 700;
    let report = run(&cfg);
    println!("{report}");
    assert!(report.page_groups > 10, "{report}");
    assert!(report.crash_points > 300, "{report}");
    assert_eq!(report.failed, 0, "{report}");
}

/// `cargo xtask sim --seed 7 --points 200 --steps 1500 --faults 20` once found a page that a
/// second recovery could not repair: the first recovery's redo had marked a page dirty that it
/// only looked at (every record already on it), so its undo logged no image before changing
/// it, and its torn write had nothing after the checkpoint to rebuild it from.
#[test]
fn a_crash_during_recovery_never_leaves_an_unrepairable_page() {
    let mut cfg = SimConfig::ci(7);
    cfg.steps = 1500;
    cfg.fates = 2;
    cfg.max_points = Some(200);
    cfg.recovery_crash_samples = 8;
    cfg.fault_points = 20;
    // The workload shape of the run that found it.
    cfg.keys = 120;
    cfg.value_most_bytes = 127;
    let report = run(&cfg);
    println!("{report}");
    assert!(report.recovery_crash_points > 100, "{report}");
    assert_eq!(report.failed, 0, "{report}");
}

/// An I/O error at every write and every sync of a short workload, one run per point: each must
/// surface as an ESE error without a panic, and recovery after a restart must give a state the
/// model accepts.
#[test]
fn an_io_error_at_every_write_and_sync_is_reported_and_recovered() {
    let mut cfg = SimConfig::ci(4);
    cfg.steps = 1600;
    cfg.max_points = Some(20);
    cfg.recovery_crash_samples = 0;
    // More points than the run has operations: a stride of one, so every write and sync fails
    // once.
    cfg.fault_points = u64::MAX;
    let report = run(&cfg);
    println!("every write and sync failed once: {report}");
    assert_eq!(report.failed, 0, "{report}");
    assert!(report.fault_points >= 200, "{report}");
}
