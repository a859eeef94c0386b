//! `cargo xtask`: the one entry point for the project's checks.
//!
//! * `cargo xtask test`: formatting, clippy with warnings denied, every test of the workspace
//!   (which includes the tidy rules and the replay of every fuzz corpus), and a `cargo check` of
//!   the crates that are not default members.
//! * `cargo xtask tidy`: the tidy rules alone, with a report of every violation.

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
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("tidy") => tidy_report(),
        _ => {
            eprintln!("usage: cargo xtask <test|tidy>");
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
