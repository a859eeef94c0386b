//! `cargo xtask`: the one entry point for the project's checks.
//!
//! * `cargo xtask test`: formatting, clippy with warnings denied, every test of the workspace
//!   (which includes the tidy rules and the replay of every fuzz corpus), and a `cargo check` of
//!   the two workspaces kept apart: `fuzz/` and `bench/`.
//! * `cargo xtask tidy`: the tidy rules alone, with a report of every violation.
//! * `cargo xtask bench [NAME...]`: the release-mode benchmark programs of the layers (all of
//!   them when no name is given), each printing its own table; `cargo xtask bench engines
//!   [--quick]` runs the comparison with other engines in `bench/`. Speed is measured here,
//!   never in a test.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

mod tidy;

fn root() -> PathBuf {
    // xtask lives one level below the workspace root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run(step: &str, program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: {step}: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| format!("{step}: cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

fn tidy_report() -> Result<(), String> {
    let violations = tidy::check(&root()).map_err(|e| format!("tidy: {e}"))?;
    if violations.is_empty() {
        eprintln!("xtask: tidy: clean");
        return Ok(());
    }
    for v in &violations {
        eprintln!("tidy: {v}");
    }
    Err(format!("tidy found {} violation(s)", violations.len()))
}

fn test() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    run("fmt", &cargo, &["fmt", "--all", "--", "--check"])?;
    tidy_report()?;
    run(
        "clippy",
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run("test", &cargo, &["test", "--workspace", "--locked"])?;
    // The fuzz targets build only with cargo-fuzz on nightly, but they type-check on stable:
    // checking them keeps a wrapper from rotting while its corpus replay keeps passing.
    run(
        "check fuzz",
        &cargo,
        &["check", "--manifest-path", "fuzz/Cargo.toml", "--locked"],
    )?;
    // The engine comparison is its own workspace because it builds the peer engines; checking
    // it here keeps it from rotting without putting the peers into every ordinary build.
    run(
        "check bench",
        &cargo,
        &[
            "check",
            "--manifest-path",
            "bench/Cargo.toml",
            "--all-targets",
            "--locked",
        ],
    )?;
    Ok(())
}

/// The benchmarks: name, the package that holds the program, and the example's name.
const BENCHES: &[(&str, &str, &str)] = &[
    ("log", "ese-log", "commit_rate"),
    ("cache", "ese-cache", "hit_path"),
    ("btree", "ese-btree", "btree_bench"),
];

fn bench(names: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let (flags, names): (Vec<&String>, Vec<&String>) =
        names.iter().partition(|n| n.starts_with("--"));
    for name in &names {
        if name.as_str() != "engines" && !BENCHES.iter().any(|(n, _, _)| n == name) {
            let mut known: Vec<&str> = BENCHES.iter().map(|(n, _, _)| *n).collect();
            known.push("engines");
            return Err(format!(
                "no benchmark {name:?}; known: {}",
                known.join(", ")
            ));
        }
    }
    let engines = names.iter().any(|n| n.as_str() == "engines");
    if !flags.is_empty() && !engines {
        return Err("flags such as --quick apply only to `cargo xtask bench engines`".to_string());
    }
    for (name, package, example) in BENCHES {
        if !names.is_empty() && !names.iter().any(|n| n == name) {
            continue;
        }
        // The layer programs take no flags; `--quick` and the like are for `engines`.
        let args = vec![
            "run",
            "--release",
            "--package",
            package,
            "--example",
            example,
        ];
        run(&format!("bench {name}"), &cargo, &args)?;
    }
    // The comparison with other engines builds them all and takes minutes: only when named.
    if engines {
        let mut args = vec![
            "run",
            "--release",
            "--locked",
            "--manifest-path",
            "bench/Cargo.toml",
            "--",
        ];
        args.extend(flags.iter().map(|f| f.as_str()));
        run("bench engines", &cargo, &args)?;
    }
    Ok(())
}

/// `cargo xtask sim --seed N [--points M]`: the crash-and-fault simulation of ese-recovery
/// (its `sim` example, built with optimisations), with a reproducible report.
fn sim(args: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = vec![
        "run",
        "--release",
        "--package",
        "ese-recovery",
        "--example",
        "sim",
        "--",
    ];
    cmd.extend(args.iter().map(String::as_str));
    run("sim", &cargo, &cmd)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("tidy") => tidy_report(),
        Some("bench") => bench(&args[1..]),
        Some("sim") => sim(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <test|tidy|bench [log|cache|btree|engines]... [--quick]|sim \
                 --seed N [--points M]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
