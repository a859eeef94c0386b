//! Every adapter runs every workload on a tiny data set, and all engines must agree on what
//! they read (the per-workload digests), which checks the adapters, not their speed.

use ese_bench::workloads::{self, Config};

/// A run small enough for a test, still crossing several snapshots and batches.
fn tiny() -> Config {
    Config {
        rows: 600,
        individual_commits: 5,
        batch_txns: 3,
        batch_rows: 50,
        point_reads: 1_500,
        range_scans: 20,
        range_rows: 10,
        deletes: 120,
        delete_batch: 50,
        writer_threads: 2,
        commits_per_writer: 5,
        fsync_probe_iterations: 5,
        ..Config::full()
    }
}

#[test]
fn all_engines_agree_on_every_workload() {
    let config = tiny();
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ese-bench-adapters");
    let _ = std::fs::remove_dir_all(&root);
    let mut reference: Option<(String, Vec<(&str, u64)>)> = None;
    for spec in ese_bench::engines() {
        let dir = root.join(spec.name);
        std::fs::create_dir_all(&dir).expect("create engine dir");
        let engine = (spec.open)(&dir).unwrap_or_else(|e| panic!("{}: open: {e}", spec.name));
        let measurements = workloads::run_all(engine.as_ref(), &dir, &config, &mut |_, _| {})
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        drop(engine);
        let ids: Vec<&str> = measurements.iter().map(|m| m.workload.id).collect();
        let expected: Vec<&str> = workloads::ALL.iter().map(|w| w.id).collect();
        assert_eq!(ids, expected, "{}: every workload, in order", spec.name);
        let digests: Vec<(&str, u64)> = measurements
            .iter()
            .map(|m| (m.workload.id, m.digest))
            .collect();
        let scans = measurements
            .iter()
            .find(|m| m.workload == workloads::RANGE_SCANS)
            .and_then(|m| m.extra.iter().find(|(k, _)| *k == "rows_read"))
            .map(|(_, v)| *v);
        assert!(
            scans.is_some_and(|rows| rows > 0.0),
            "{}: range scans read rows",
            spec.name
        );
        match &reference {
            None => reference = Some((spec.name.to_string(), digests)),
            Some((name, expected)) => {
                assert_eq!(&digests, expected, "{} disagrees with {name}", spec.name)
            }
        }
    }
    let _ = std::fs::remove_dir_all(&root);
}
