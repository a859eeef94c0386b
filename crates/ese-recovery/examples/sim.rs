//! `cargo xtask sim --seed N [--points M] [--steps S]`: the crash-and-fault workload of
//! `ese_recovery::sim` from one seed, with a reproducible report (crash points, recovered
//! transactions, a digest of every recovered state). Exits non-zero on any failure.

use std::process::ExitCode;

use ese_recovery::sim::{SimConfig, run};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut cfg = SimConfig::ci(1);
    cfg.steps = 6000;
    cfg.fates = 2;
    cfg.recovery_crash_samples = 8;
    cfg.fault_points = 200;
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match (args[i].as_str(), value) {
            ("--seed", Some(v)) => cfg.seed = v,
            ("--points", Some(v)) => cfg.max_points = Some(v),
            ("--steps", Some(v)) => cfg.steps = u32::try_from(v).unwrap_or(u32::MAX),
            ("--faults", Some(v)) => cfg.fault_points = v,
            _ => {
                eprintln!(
                    "usage: sim --seed N [--points M] [--steps S] [--faults F] (bad argument \
                     {:?})",
                    args[i]
                );
                return ExitCode::from(2);
            }
        }
        i += 2;
    }
    println!(
        "sim: seed {} steps {} fates {} points {}",
        cfg.seed,
        cfg.steps,
        cfg.fates,
        cfg.max_points
            .map_or_else(|| "every".to_string(), |p| p.to_string())
    );
    let report = run(&cfg);
    println!("{report}");
    if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
