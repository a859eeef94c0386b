//! `ese-bench`: ese-rs against redb, LMDB, SQLite, sled and fjall, in one run, on one disk.
//!
//! The crate is its own Cargo workspace, so that ordinary builds of the engine never compile the
//! peer engines; `cargo xtask bench engines [--quick]` runs it in release mode.
//!
//! ```text
//!            workloads::run_all ──► one Engine at a time, in its own directory
//!   main ──► fsync::probe       ──► the raw fdatasync rate of the same disk (before, after,
//!            │                      and before each engine)
//!            report::Report     ──► table on stdout, bench-engines.md, bench-engines.json
//! ```
//!
//! Every engine sits behind one small trait, [`Engine`]: a write transaction is a closure that
//! receives a [`Writer`] (put, delete) and is committed durably or lazily when the closure
//! returns `Ok`; a read snapshot is a closure that receives a [`Reader`] (get, range). That
//! shape lets one transaction hold any number of puts, and lets each adapter keep the peer's
//! native transaction and table handle alive for the whole transaction, with no buffering.
//!
//! # The baseline
//!
//! ese-rs ([`adapters::ese`], through `ese-api`) is listed first in [`engines`] and is the
//! default baseline ([`DEFAULT_BASELINE`]): every ratio in the table is a peer's cost divided
//! by ese-rs's. `tests/adapters.rs` checks it against every peer on a tiny data set.

pub mod adapters;
pub mod fsync;
pub mod report;
pub mod rng;
pub mod workloads;

use std::fmt;
use std::path::Path;

/// Bytes in every key, as the benchmark issue fixes.
pub const KEY_BYTES: usize = 24;

/// Bytes in every value, as the benchmark issue fixes.
pub const VALUE_BYTES: usize = 150;

/// Cache budget given to every engine that has a configurable cache (ese-rs, redb, SQLite,
/// sled, fjall; LMDB uses the OS page cache). The full data set (200,000 rows, about 35 MB) fits, so
/// read workloads compare in-memory lookup paths rather than cache policies.
pub const CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// Name of the baseline engine when `--baseline` is not given and the engine is selected;
/// otherwise the first selected engine is the baseline.
pub const DEFAULT_BASELINE: Option<&str> = Some("ese-rs");

/// A failure of an engine or of the harness, with what was being done when it happened.
#[derive(Debug)]
pub struct Error {
    /// What the harness was doing, for example `"redb: commit"`.
    pub context: String,
    /// The underlying error, rendered.
    pub message: String,
}

impl Error {
    /// Builds an error from a context and a message.
    pub fn new(context: impl Into<String>, message: impl fmt::Display) -> Self {
        Self {
            context: context.into(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.context, self.message)
    }
}

impl std::error::Error for Error {}

/// Result of every fallible call in this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Attaches a context to any displayable error, so adapters can write `.ctx("redb: commit")?`.
pub trait Context<T> {
    /// Maps the error into an [`Error`] that names `context`.
    fn ctx(self, context: &str) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn ctx(self, context: &str) -> Result<T> {
        self.map_err(|e| Error::new(context, e))
    }
}

/// How a write transaction is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    /// On disk when the commit returns (an fsync or fdatasync, or a group commit that includes one).
    Durable,
    /// Atomic and ordered, but may be lost in a crash until a later durable commit.
    Lazy,
}

/// The writes of one transaction. Keys are [`KEY_BYTES`] long, values [`VALUE_BYTES`].
pub trait Writer {
    /// Inserts `key` or replaces its value.
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()>;
    /// Removes `key`; removing an absent key is not an error.
    fn delete(&mut self, key: &[u8]) -> Result<()>;
}

/// The reads of one consistent snapshot.
pub trait Reader {
    /// Copies the value of `key` into `value` (cleared first) and returns whether it was found.
    fn get(&mut self, key: &[u8], value: &mut Vec<u8>) -> Result<bool>;
    /// Visits up to `limit` rows in key order, starting at the first key `>= start`, and
    /// returns how many were visited.
    fn range(
        &mut self,
        start: &[u8],
        limit: usize,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize>;
}

/// Body of a write transaction: it receives the transaction's [`Writer`].
pub type WriteBody<'a> = dyn FnMut(&mut dyn Writer) -> Result<()> + 'a;

/// Body of a read snapshot: it receives the snapshot's [`Reader`].
pub type ReadBody<'a> = dyn FnMut(&mut dyn Reader) -> Result<()> + 'a;

/// One embedded key-value engine, opened on one directory with one table of binary keys.
///
/// Engines are shared between threads: the multi-threaded workloads call [`Engine::read`] and
/// [`Engine::write`] from several threads at once, and the engine serialises writers itself.
pub trait Engine: Send + Sync {
    /// Runs `body` in one write transaction and commits it as `commit` says if `body` returns
    /// `Ok`; if `body` fails, the transaction is rolled back and the error returned.
    fn write(&self, commit: Commit, body: &mut WriteBody<'_>) -> Result<()>;
    /// Runs `body` against one consistent read snapshot.
    fn read(&self, body: &mut ReadBody<'_>) -> Result<()>;
}

/// Opens an engine on an empty directory, creating its files there.
pub type OpenFn = fn(&Path) -> Result<Box<dyn Engine>>;

/// One engine that the benchmark can run: its name on the command line and its constructor.
#[derive(Clone, Copy)]
pub struct EngineSpec {
    /// Short name used by `--engines`, `--baseline` and in the table.
    pub name: &'static str,
    /// What is measured, for the table's legend (crate and version, configuration).
    pub description: &'static str,
    /// Opens the engine on an empty directory.
    pub open: OpenFn,
}

/// Every engine this build can run, in table order: ese-rs, the baseline, first.
pub fn engines() -> Vec<EngineSpec> {
    vec![
        adapters::ese::SPEC,
        adapters::redb::SPEC,
        adapters::lmdb::SPEC,
        adapters::sqlite::SPEC,
        adapters::sled::SPEC,
        adapters::fjall::SPEC,
    ]
}

/// The frame of the examples (`examples/*.rs`): opens engine `name` on `keep`, or on a fresh
/// temporary directory named after `tool` that is removed afterwards, runs `run` on it with
/// the directory, and turns the outcome into an exit code, printing `tool: error` on failure.
pub fn run_example(
    tool: &str,
    name: &str,
    keep: Option<&Path>,
    run: impl FnOnce(&dyn Engine, &Path) -> Result<()>,
) -> std::process::ExitCode {
    let Some(spec) = engines().into_iter().find(|s| s.name == name) else {
        eprintln!("{tool}: no engine {name}");
        return std::process::ExitCode::FAILURE;
    };
    let dir = keep.map(Path::to_path_buf).unwrap_or_else(|| {
        std::env::temp_dir().join(format!("ese-bench-{tool}-{}", std::process::id()))
    });
    let result = std::fs::create_dir_all(&dir)
        .map_err(|e| Error::new(format!("{tool}: create dir"), e))
        .and_then(|()| (spec.open)(&dir))
        .and_then(|engine| run(engine.as_ref(), &dir));
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{tool}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
