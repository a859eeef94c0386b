//! The result table: engine × workload, each peer's ratio to the baseline, as text, Markdown
//! and JSON, with the machine and the raw fsync rate of the disk that produced it.
//!
//! A ratio is the peer's *cost* divided by the baseline's: time for throughputs
//! (`baseline rate ÷ peer rate`), microseconds for latencies, bytes for sizes. Above 1.00 the
//! baseline wins that row, below 1.00 the peer does; the best value of each row is marked.

use crate::fsync::FsyncRate;
use crate::workloads::{self, Better, Config, Measurement, Unit, WorkloadId};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the benchmark ran on.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    /// Logical CPUs available to the process.
    pub cpus: usize,
    /// CPU model name from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Total memory from `/proc/meminfo`.
    pub memory: String,
    /// Kernel release.
    pub kernel: String,
    /// File system type of the data directory (from `/proc/mounts`).
    pub data_fs: String,
    /// Device of that file system.
    pub data_device: String,
    /// Mount point of that file system.
    pub data_mount: String,
}

impl Machine {
    /// Describes this machine, with the file system that holds `data_dir`.
    pub fn describe(data_dir: &Path) -> Self {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let memory = read("/proc/meminfo")
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0)))
            .unwrap_or_else(|| "unknown".into());
        let (data_device, data_mount, data_fs) = mount_of(data_dir, &read("/proc/mounts"));
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            memory,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            data_fs,
            data_device,
            data_mount,
        }
    }

    /// One line for the table's legend.
    pub fn summary(&self) -> String {
        format!(
            "{} CPUs ({}), {} RAM, Linux {}; data on {} ({} at {})",
            self.cpus,
            self.cpu_model,
            self.memory,
            self.kernel,
            self.data_fs,
            self.data_device,
            self.data_mount
        )
    }
}

/// The (device, mount point, type) of the longest mount point that contains `dir`.
fn mount_of(dir: &Path, mounts: &str) -> (String, String, String) {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut best: Option<(&str, &str, &str)> = None;
    for line in mounts.lines() {
        let mut f = line.split_whitespace();
        let (Some(dev), Some(mnt), Some(fs)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let contains = dir.starts_with(mnt);
        if contains && best.is_none_or(|(_, m, _)| mnt.len() >= m.len()) {
            best = Some((dev, mnt, fs));
        }
    }
    match best {
        Some((d, m, f)) => (d.into(), m.into(), f.into()),
        None => ("unknown".into(), "unknown".into(), "unknown".into()),
    }
}

/// The outcome of one engine: its measurements, or the error that stopped it.
#[derive(Clone, Debug)]
pub struct EngineRun {
    /// Engine name.
    pub name: String,
    /// What was measured (crate, version, configuration).
    pub description: String,
    /// Measurements in table order (possibly partial if `error` is set).
    pub measurements: Vec<Measurement>,
    /// Why the engine stopped early, if it did.
    pub error: Option<String>,
}

impl EngineRun {
    /// The measurement of `workload`, if the engine got that far.
    pub fn get(&self, workload: WorkloadId) -> Option<&Measurement> {
        self.measurements.iter().find(|m| m.workload == workload)
    }
}

/// Everything one run produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// The machine.
    pub machine: Machine,
    /// The workload sizes.
    pub config: Config,
    /// Whether `--quick` chose the sizes.
    pub quick: bool,
    /// Rounds each engine ran (`--repeat`); every cell is the median round's value.
    pub rounds: usize,
    /// The raw fsync rate of the data directory's disk, measured before the first engine.
    pub fsync_before: FsyncRate,
    /// The same, measured after the last engine: the two show how steady the disk was.
    pub fsync_after: Option<FsyncRate>,
    /// Name of the engine every ratio is relative to.
    pub baseline: String,
    /// One entry per engine, in table order.
    pub runs: Vec<EngineRun>,
    /// Seconds since the Unix epoch when the run started.
    pub started_unix: u64,
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch (civil-from-days, H. Hinnant).
pub fn utc(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3_600,
        (secs / 60) % 60
    )
}

/// A number in `unit`, for humans.
pub fn format_value(unit: Unit, value: f64) -> String {
    match unit {
        Unit::RowsPerSec | Unit::OpsPerSec => {
            if value >= 1e6 {
                format!("{:.2} M", value / 1e6)
            } else if value >= 1e3 {
                format!("{:.1} k", value / 1e3)
            } else {
                format!("{value:.0}")
            }
        }
        Unit::Micros => {
            if value >= 100.0 {
                format!("{value:.0}")
            } else {
                format!("{value:.1}")
            }
        }
        Unit::Bytes => format!("{:.1}", value / (1024.0 * 1024.0)),
    }
}

/// The peer's cost divided by the baseline's (see the module docs).
pub fn cost_ratio(unit: Unit, peer: f64, baseline: f64) -> Option<f64> {
    let r = match unit.better() {
        Better::Higher => baseline / peer,
        Better::Lower => peer / baseline,
    };
    r.is_finite().then_some(r)
}

/// One fsync probe as JSON.
fn fsync_json(f: &FsyncRate) -> Value {
    json!({
        "syncs_per_sec": f.syncs_per_sec,
        "median_us": f.median_us,
        "p99_us": f.p99_us,
        "iterations": f.iterations,
    })
}

/// One cell of the table before rendering.
struct Cell {
    text: String,
    is_best: bool,
}

impl Report {
    /// The run of the baseline engine, if it is in the table.
    fn baseline_run(&self) -> Option<&EngineRun> {
        self.runs.iter().find(|r| r.name == self.baseline)
    }

    /// Rows of cells, one per workload, one cell per engine.
    fn cells(&self) -> Vec<(WorkloadId, Vec<Cell>)> {
        let base = self.baseline_run();
        workloads::ALL
            .iter()
            .map(|&w| {
                let values: Vec<Option<f64>> = self
                    .runs
                    .iter()
                    .map(|r| r.get(w).map(|m| m.value))
                    .collect();
                let best = values
                    .iter()
                    .flatten()
                    .copied()
                    .filter(|_| w.compare)
                    .reduce(|a, b| {
                        let b_wins = match w.unit.better() {
                            Better::Higher => b > a,
                            Better::Lower => b < a,
                        };
                        if b_wins { b } else { a }
                    });
                let base_value = base.and_then(|b| b.get(w)).map(|m| m.value);
                let cells = self
                    .runs
                    .iter()
                    .zip(&values)
                    .map(|(run, v)| match v {
                        None => Cell {
                            text: if run.error.is_some() {
                                "failed".into()
                            } else {
                                "–".into()
                            },
                            is_best: false,
                        },
                        Some(v) => {
                            let mut text = format_value(w.unit, *v);
                            if run.name != self.baseline
                                && w.compare
                                && let Some(r) = base_value.and_then(|b| cost_ratio(w.unit, *v, b))
                            {
                                let _ = write!(text, " ({r:.2}×)");
                            }
                            Cell {
                                text,
                                is_best: Some(*v) == best,
                            }
                        }
                    })
                    .collect();
                (w, cells)
            })
            .collect()
    }

    /// Workloads whose digests differ between engines (a correctness problem, not speed).
    pub fn digest_mismatches(&self) -> Vec<String> {
        let mut out = Vec::new();
        for w in workloads::ALL {
            let digests: Vec<(&str, u64)> = self
                .runs
                .iter()
                .filter_map(|r| r.get(w).map(|m| (r.name.as_str(), m.digest)))
                .collect();
            if let Some(&(_, first)) = digests.first()
                && digests.iter().any(|&(_, d)| d != first)
            {
                let list: Vec<String> = digests
                    .iter()
                    .map(|(n, d)| format!("{n}={d:016x}"))
                    .collect();
                out.push(format!("{}: {}", w.id, list.join(", ")));
            }
        }
        out
    }

    /// Lines under the table: sizes, fsync rate, what a ratio means, the machine, the engines.
    fn legend(&self) -> Vec<String> {
        let c = &self.config;
        let mut lines = vec![
            format!(
                "N = {} rows of {}-byte keys and {}-byte values ({:.1} MiB raw){}; seed {:#x}",
                c.rows,
                crate::KEY_BYTES,
                crate::VALUE_BYTES,
                c.raw_bytes() as f64 / (1024.0 * 1024.0),
                if self.quick { ", --quick" } else { "" },
                c.seed
            ),
            format!(
                "raw disk: write(4 KiB)+fdatasync per second, {}",
                [
                    ("before", Some(&self.fsync_before)),
                    ("after", self.fsync_after.as_ref())
                ]
                .iter()
                .filter_map(|(when, f)| f.map(|f| format!(
                    "{when} the engines {:.0}/s (median {:.0} µs, p99 {:.0} µs, {} runs)",
                    f.syncs_per_sec, f.median_us, f.p99_us, f.iterations
                )))
                .collect::<Vec<_>>()
                .join("; ")
            ),
            format!(
                "ratio = peer's cost ÷ {}'s cost (time, µs or bytes): above 1.00 {} wins; * / bold = best of the row",
                self.baseline, self.baseline
            ),
            format!(
                "workloads: {} 1-row durable commits; {} txns of {} rows (lazy, last durable); {} point reads ({} per snapshot); {} scans of {} rows; {} reader threads × {} reads; {} deletes in txns of {} (lazy, last durable); {} threads × {} durable commits",
                c.individual_commits,
                c.batch_txns,
                c.batch_rows,
                c.point_reads,
                workloads::READS_PER_SNAPSHOT,
                c.range_scans,
                c.range_rows,
                c.reader_threads,
                c.point_reads,
                c.deletes,
                c.delete_batch,
                c.writer_threads,
                c.commits_per_writer
            ),
            format!("machine: {}", self.machine.summary()),
            format!(
                "run: {}, {} round(s) per engine in rotating order{}",
                utc(self.started_unix),
                self.rounds,
                if self.rounds > 1 {
                    ", median shown"
                } else {
                    ""
                }
            ),
        ];
        for r in &self.runs {
            lines.push(format!("{}: {}", r.name, r.description));
            if let Some(e) = &r.error {
                lines.push(format!("{} FAILED: {e}", r.name));
            }
        }
        for m in self.digest_mismatches() {
            lines.push(format!("DIGEST MISMATCH {m}"));
        }
        lines
    }

    /// The table as aligned plain text, for the terminal.
    pub fn to_text(&self) -> String {
        let mut header = vec!["workload".to_string(), "unit".to_string()];
        header.extend(self.runs.iter().map(|r| {
            if r.name == self.baseline {
                format!("{} (baseline)", r.name)
            } else {
                r.name.clone()
            }
        }));
        let mut rows = vec![header];
        for (w, cells) in self.cells() {
            let mut row = vec![w.label.to_string(), w.unit.label().to_string()];
            row.extend(cells.into_iter().map(|c| {
                if c.is_best {
                    format!("{} *", c.text)
                } else {
                    c.text
                }
            }));
            rows.push(row);
        }
        let columns = rows[0].len();
        let widths: Vec<usize> = (0..columns)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for (n, row) in rows.iter().enumerate() {
            for (i, cell) in row.iter().enumerate() {
                let pad = widths[i] - cell.chars().count();
                if i < 2 {
                    let _ = write!(out, "{cell}{}  ", " ".repeat(pad));
                } else {
                    let _ = write!(out, "{}{cell}  ", " ".repeat(pad));
                }
            }
            out.truncate(out.trim_end().len());
            out.push('\n');
            if n == 0 {
                let total: usize = widths.iter().sum::<usize>() + 2 * (columns - 1);
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        out.push('\n');
        for line in self.legend() {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// The table as Markdown, for README and the closing note.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("| workload | unit |");
        for r in &self.runs {
            if r.name == self.baseline {
                let _ = write!(out, " {} (baseline) |", r.name);
            } else {
                let _ = write!(out, " {} |", r.name);
            }
        }
        out.push_str("\n|---|---|");
        for _ in &self.runs {
            out.push_str("---:|");
        }
        out.push('\n');
        for (w, cells) in self.cells() {
            let _ = write!(out, "| {} | {} |", w.label, w.unit.label());
            for c in cells {
                if c.is_best {
                    let _ = write!(out, " **{}** |", c.text);
                } else {
                    let _ = write!(out, " {} |", c.text);
                }
            }
            out.push('\n');
        }
        out.push('\n');
        for line in self.legend() {
            let _ = writeln!(out, "- {line}");
        }
        out
    }

    /// Everything, as JSON, for tools.
    pub fn to_json(&self) -> Value {
        let base = self.baseline_run();
        let c = &self.config;
        let m = &self.machine;
        let engines: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                let results: serde_json::Map<String, Value> = r
                    .measurements
                    .iter()
                    .map(|meas| {
                        let ratio = base
                            .filter(|_| meas.workload.compare)
                            .and_then(|b| b.get(meas.workload))
                            .and_then(|b| cost_ratio(meas.workload.unit, meas.value, b.value));
                        let extra: serde_json::Map<String, Value> = meas
                            .extra
                            .iter()
                            .map(|(k, v)| ((*k).to_string(), json!(v)))
                            .collect();
                        let entry = json!({
                            "label": meas.workload.label,
                            "unit": match meas.workload.unit {
                                Unit::RowsPerSec => "rows/s",
                                Unit::OpsPerSec => "ops/s",
                                Unit::Micros => "us",
                                Unit::Bytes => "bytes",
                            },
                            "higher_is_better": meas.workload.unit.better() == Better::Higher,
                            "value": meas.value,
                            "cost_ratio_to_baseline": ratio,
                            "elapsed_s": meas.elapsed.as_secs_f64(),
                            "digest": format!("{:016x}", meas.digest),
                            "extra": extra,
                        });
                        (meas.workload.id.to_string(), entry)
                    })
                    .collect();
                json!({
                    "name": r.name,
                    "description": r.description,
                    "error": r.error,
                    "results": results,
                })
            })
            .collect();
        json!({
            "started_unix": self.started_unix,
            "started_utc": utc(self.started_unix),
            "quick": self.quick,
            "rounds": self.rounds,
            "baseline": self.baseline,
            "config": {
                "seed": c.seed,
                "rows": c.rows,
                "key_bytes": crate::KEY_BYTES,
                "value_bytes": crate::VALUE_BYTES,
                "raw_bytes": c.raw_bytes(),
                "individual_commits": c.individual_commits,
                "batch_txns": c.batch_txns,
                "batch_rows": c.batch_rows,
                "point_reads": c.point_reads,
                "reads_per_snapshot": workloads::READS_PER_SNAPSHOT,
                "range_scans": c.range_scans,
                "range_rows": c.range_rows,
                "reader_threads": c.reader_threads,
                "deletes": c.deletes,
                "delete_batch": c.delete_batch,
                "writer_threads": c.writer_threads,
                "commits_per_writer": c.commits_per_writer,
                "cache_bytes": crate::CACHE_BYTES,
            },
            "machine": {
                "cpus": m.cpus,
                "cpu_model": m.cpu_model,
                "memory": m.memory,
                "kernel": m.kernel,
                "data_fs": m.data_fs,
                "data_device": m.data_device,
                "data_mount": m.data_mount,
            },
            "fsync": {
                "write_bytes": crate::fsync::WRITE_BYTES,
                "before": fsync_json(&self.fsync_before),
                "after": self.fsync_after.as_ref().map(fsync_json),
            },
            "digest_mismatches": self.digest_mismatches(),
            "engines": engines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
    }

    #[test]
    fn ratios_are_costs() {
        // A peer with half the baseline's throughput costs twice as much.
        assert_eq!(cost_ratio(Unit::OpsPerSec, 50.0, 100.0), Some(2.0));
        // A peer with half the baseline's latency costs half as much.
        assert_eq!(cost_ratio(Unit::Micros, 50.0, 100.0), Some(0.5));
        assert_eq!(cost_ratio(Unit::Bytes, 1.0, 0.0), None);
    }

    #[test]
    fn mount_picks_longest_prefix() {
        let mounts = "/dev/a / ext4 rw 0 0\n/dev/b /work xfs rw 0 0\n";
        let (dev, mnt, fs) = mount_of(Path::new("/work/x/y"), mounts);
        assert_eq!(
            (dev.as_str(), mnt.as_str(), fs.as_str()),
            ("/dev/b", "/work", "xfs")
        );
    }
}
