//! `ese-bench`: runs every selected engine through the workloads, one engine at a time, each in
//! a fresh directory, then prints the table and writes it as Markdown and JSON.
//!
//! ```text
//! ese-bench [--quick] [--engines a,b] [--baseline NAME] [--dir PATH] [--out DIR]
//!           [--rows N] [--repeat K] [--keep] [--list]
//! ```
//!
//! With `--repeat K` every engine runs K times, the order of the engines rotating between
//! rounds so that no engine always meets the disk in the same state, and each cell of the
//! table is the median of the K values (min and max are kept in the JSON).

use ese_bench::report::{EngineRun, Machine, Report};
use ese_bench::workloads::{self, Config};
use ese_bench::{EngineSpec, fsync};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Usage text for `--help` and argument errors.
const USAGE: &str = "\
usage: ese-bench [options]
  --quick            smaller run (N = 20,000), for checking that everything works
  --engines a,b      engines to run, in table order (default: all; see --list)
  --baseline NAME    engine every ratio is relative to (default: the first engine run)
  --dir PATH         data directory (default: target/bench-data); each engine gets PATH/NAME
  --out DIR          where bench-engines.md and bench-engines.json go (default: target)
  --rows N           override N, the rows of the bulk load
  --repeat K         run every engine K times in rotating order; cells are medians (default 1)
  --keep             keep each engine's files instead of removing them after its run
  --list             list the engines and exit";

/// Parsed command line.
struct Args {
    quick: bool,
    engines: Option<Vec<String>>,
    baseline: Option<String>,
    dir: PathBuf,
    out: PathBuf,
    rows: Option<u64>,
    repeat: usize,
    keep: bool,
    list: bool,
}

/// Parses the command line; `Err` carries the message to print.
fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        quick: false,
        engines: None,
        baseline: None,
        dir: PathBuf::from("target/bench-data"),
        out: PathBuf::from("target"),
        rows: None,
        repeat: 1,
        keep: false,
        list: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--keep" => args.keep = true,
            "--list" => args.list = true,
            "--engines" => {
                let list = value("--engines")?;
                args.engines = Some(
                    list.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                );
            }
            "--baseline" => args.baseline = Some(value("--baseline")?),
            "--dir" => args.dir = PathBuf::from(value("--dir")?),
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--rows" => {
                let n = value("--rows")?;
                let n: u64 = n
                    .parse()
                    .map_err(|_| format!("--rows: not a number: {n}"))?;
                if n == 0 {
                    return Err("--rows must be at least 1".into());
                }
                args.rows = Some(n);
            }
            "--repeat" => {
                let k = value("--repeat")?;
                args.repeat = k
                    .parse()
                    .ok()
                    .filter(|&k| k >= 1)
                    .ok_or_else(|| format!("--repeat: not a count of at least 1: {k}"))?;
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(args)
}

/// The selected engines, in the order given, or an error naming an unknown one.
fn select(all: &[EngineSpec], names: Option<&[String]>) -> Result<Vec<EngineSpec>, String> {
    let Some(names) = names else {
        return Ok(all.to_vec());
    };
    let mut out = Vec::new();
    for name in names {
        let spec = all
            .iter()
            .find(|s| s.name == name.as_str())
            .ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|s| s.name).collect();
                format!("unknown engine {name}; known: {}", known.join(", "))
            })?;
        if !out.iter().any(|s: &EngineSpec| s.name == spec.name) {
            out.push(*spec);
        }
    }
    if out.is_empty() {
        return Err("--engines selected nothing".into());
    }
    Ok(out)
}

/// Runs one engine in a fresh `dir`, reporting progress on stderr.
fn run_engine(spec: &EngineSpec, dir: &std::path::Path, config: &Config, keep: bool) -> EngineRun {
    let mut run = EngineRun {
        name: spec.name.to_string(),
        description: spec.description.to_string(),
        measurements: Vec::new(),
        error: None,
    };
    if dir.exists()
        && let Err(e) = std::fs::remove_dir_all(dir)
    {
        run.error = Some(format!("removing old {}: {e}", dir.display()));
        return run;
    }
    if let Err(e) = std::fs::create_dir_all(dir) {
        run.error = Some(format!("creating {}: {e}", dir.display()));
        return run;
    }
    let started = Instant::now();
    let result = (spec.open)(dir).and_then(|engine| {
        let mut progress = |label: &str, took: Duration| {
            eprintln!("[{}] {label}: {:.2}s", spec.name, took.as_secs_f64());
        };
        workloads::run_all(engine.as_ref(), dir, config, &mut progress)
        // The engine is dropped (and closed) here, before its files are removed.
    });
    match result {
        Ok(m) => run.measurements = m,
        Err(e) => run.error = Some(e.to_string()),
    }
    eprintln!(
        "[{}] done in {:.1}s{}",
        spec.name,
        started.elapsed().as_secs_f64(),
        run.error
            .as_deref()
            .map(|e| format!(" — FAILED: {e}"))
            .unwrap_or_default()
    );
    if !keep && let Err(e) = std::fs::remove_dir_all(dir) {
        eprintln!("[{}] could not remove {}: {e}", spec.name, dir.display());
    }
    run
}

/// Folds the rounds of one engine into one run whose every measurement is the median round's.
///
/// A failed round makes the whole run failed (its error is kept); rounds that read different
/// data (digests that differ) are an error too, since the workloads are deterministic.
fn median_run(mut rounds: Vec<EngineRun>) -> EngineRun {
    if rounds.len() == 1 {
        return rounds.remove(0);
    }
    let Some(first) = rounds.first() else {
        return EngineRun {
            name: String::new(),
            description: String::new(),
            measurements: Vec::new(),
            error: Some("no round ran".into()),
        };
    };
    let mut out = EngineRun {
        name: first.name.clone(),
        description: first.description.clone(),
        measurements: Vec::new(),
        error: rounds.iter().find_map(|r| r.error.clone()),
    };
    if out.error.is_some() {
        out.measurements = first.measurements.clone();
        return out;
    }
    for w in workloads::ALL {
        let mut ms: Vec<&workloads::Measurement> = rounds.iter().filter_map(|r| r.get(w)).collect();
        if ms.is_empty() {
            continue;
        }
        if ms.iter().any(|m| m.digest != ms[0].digest) {
            out.error = Some(format!("{}: rounds read different data", w.id));
        }
        ms.sort_by(|a, b| a.value.total_cmp(&b.value));
        let mut median = ms[(ms.len() - 1) / 2].clone();
        median.extra.push(("rounds", ms.len() as f64));
        median.extra.push(("min", ms[0].value));
        median.extra.push(("max", ms[ms.len() - 1].value));
        out.measurements.push(median);
    }
    out
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("ese-bench: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let all = ese_bench::engines();
    if args.list {
        for s in &all {
            println!("{:8} {}", s.name, s.description);
        }
        return ExitCode::SUCCESS;
    }
    let specs = match select(&all, args.engines.as_deref()) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("ese-bench: {msg}");
            return ExitCode::from(2);
        }
    };
    let baseline = match &args.baseline {
        Some(b) if specs.iter().any(|s| s.name == b.as_str()) => b.clone(),
        Some(b) => {
            eprintln!("ese-bench: baseline {b} is not among the engines run");
            return ExitCode::from(2);
        }
        None => ese_bench::DEFAULT_BASELINE
            .filter(|d| specs.iter().any(|s| s.name == *d))
            .unwrap_or(specs[0].name)
            .to_string(),
    };

    let mut config = if args.quick {
        Config::quick()
    } else {
        Config::full()
    };
    if let Some(n) = args.rows {
        config.rows = n;
        config.point_reads = n as usize;
    }

    if let Err(e) = std::fs::create_dir_all(&args.dir) {
        eprintln!("ese-bench: creating {}: {e}", args.dir.display());
        return ExitCode::FAILURE;
    }
    let started_unix = ese_bench::report::unix_now();
    let machine = Machine::describe(&args.dir);
    eprintln!("machine: {}", machine.summary());
    let (probe_count, probe_time) = (config.fsync_probe_iterations, config.fsync_probe_time);
    let fsync_before = match fsync::probe(&args.dir, probe_count, probe_time) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("ese-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "raw disk: {:.0} fdatasync/s (median {:.0} µs)",
        fsync_before.syncs_per_sec, fsync_before.median_us
    );

    let mut rounds: Vec<Vec<EngineRun>> = vec![Vec::new(); specs.len()];
    for round in 0..args.repeat {
        if args.repeat > 1 {
            eprintln!("round {} of {}", round + 1, args.repeat);
        }
        for k in 0..specs.len() {
            let i = (k + round) % specs.len();
            let spec = &specs[i];
            rounds[i].push(run_engine(
                spec,
                &args.dir.join(spec.name),
                &config,
                args.keep,
            ));
        }
    }
    let runs: Vec<EngineRun> = rounds.into_iter().map(median_run).collect();
    // A second probe shows whether the disk stayed steady while the engines ran.
    let fsync_after = fsync::probe(&args.dir, probe_count, probe_time)
        .inspect_err(|e| eprintln!("ese-bench: second fsync probe: {e}"))
        .ok();
    let failed = runs.iter().any(|r| r.error.is_some());
    let report = Report {
        machine,
        config,
        quick: args.quick,
        rounds: args.repeat,
        fsync_before,
        fsync_after,
        baseline,
        runs,
        started_unix,
    };
    let mismatched = !report.digest_mismatches().is_empty();

    print!("\n{}", report.to_text());
    let written = std::fs::create_dir_all(&args.out).and_then(|()| {
        let md = args.out.join("bench-engines.md");
        let json = args.out.join("bench-engines.json");
        std::fs::write(&md, report.to_markdown())?;
        let mut text = serde_json::to_string_pretty(&report.to_json())?;
        text.push('\n');
        std::fs::write(&json, text)?;
        Ok((md, json))
    });
    match written {
        Ok((md, json)) => eprintln!("wrote {} and {}", md.display(), json.display()),
        Err(e) => {
            eprintln!("ese-bench: writing to {}: {e}", args.out.display());
            return ExitCode::FAILURE;
        }
    }
    if failed || mismatched {
        eprintln!("ese-bench: an engine failed or engines disagree on what they read");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
