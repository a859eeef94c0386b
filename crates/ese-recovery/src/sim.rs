//! The randomized crash-and-fault workload shared by the crash sweep and `cargo xtask sim`.
//!
//! One seed fixes everything: a few sessions interleave transactions on one
//! [`ese_txn::VersionedTree`] (inserts, replaces, deletes, escrow updates of one shared
//! counter, nested levels committed or rolled back, durable and lazy level-0 commits, periodic
//! page flushes and checkpoints) over a real [`ese_log::Log`] and a small
//! [`ese_cache::Cache`], with the database file and the log files in one [`CrashDirectory`]
//! so that one clock orders every write and sync. A model records each level-0 commit's
//! writes and escrow delta, in commit order, and when a durable commit was acknowledged; the
//! counter must hold exactly the deltas of the commits recovered.
//!
//! ```text
//!   workload(seed) ─▶ CrashDirectory (db.edb + edb*.log + edb.chk), commits[], acked op counts
//!   for ops in points:  crash_image_at(ops, fate) ─▶ recover_instance ─▶ read the tree
//!        accept iff state == commits[..k] applied in order (the counter: the sum of their
//!        deltas), for some k with
//!        (every durable commit acknowledged by ops) <= k <= (commits begun by ops)
//!        and the tree and the space map are whole: check_invariants, and check_space (every
//!        page in use belongs to the tree or is a map page, exactly once; nothing leaked)
//!   for a sample: recovery itself on a CrashDirectory, crashed at each of its operations,
//!        recovered again: the same state as the first recovery
//!   faults(seed): the workload again with the n-th write or sync failing; it stops at the
//!        first error (which must carry an ESE code), the disk is cut there, and recovery must
//!        give a state the model accepts
//! ```
//!
//! Everything is deterministic: [`SimReport::digest`] depends only on the configuration.

use ese_core::rng::{SplitMix64 as Rng, splitmix64 as mix};
use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ese_btree::{BTree, Database, DatabaseConfig};
use ese_cache::{Cache, CacheConfig};
use ese_core::Trx;
use ese_core::{DbId, Pgno};
use ese_log::{Log, LogConfig};
use ese_pageio::{
    CrashDirectory, DbHeader, DirOp, Directory, FileOp, InterposedDirectory, Interposer,
    MemDirectory, PageFlags, Signature,
};
use ese_txn::{
    CommitMode, EscrowField, EscrowWidth, Session, TreeVersions, Trees, VerConfig, VersionStore,
    VersionedTree,
};

use crate::instance::{RecoveryConfig, mark_dirty, recover_instance};
use crate::trxlog::TrxLog;

/// The database id of the simulated database.
pub const DB: DbId = DbId(1);
/// The object id of the simulated tree.
pub const OBJID: u32 = 2;
/// The database file's name in the directory.
pub const DB_FILE: &str = "db.edb";
/// The key of the counter the sessions add to with escrow updates (outside the keys of the
/// other operations).
pub const COUNTER_KEY: &[u8] = b"counter";
/// The counter's field: a little-endian `i64` at the start of its data.
const COUNTER_FIELD: EscrowField = EscrowField::new(0, EscrowWidth::I64);
const PAGE_SIZE: usize = 4096;

/// How to run a simulation.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The seed of the workload and of every crash image.
    pub seed: u64,
    /// Workload steps (each is one operation of one session).
    pub steps: u32,
    /// Concurrent sessions.
    pub sessions: usize,
    /// Distinct keys.
    pub keys: u32,
    /// The longest value written (values are 8 bytes and up): larger values mean more pages,
    /// so more splits and merges.
    pub value_most_bytes: usize,
    /// Cache frames (small, so pages are evicted and written mid-run).
    pub cache_pages: usize,
    /// Crash images per crash point (fates of unsynced writes: lost, kept or torn).
    pub fates: u64,
    /// The most crash points to test (spread evenly over the run); `None`: every point.
    pub max_points: Option<u64>,
    /// Of the crash points tested, this many (the first ones, spread over the run) also crash
    /// recovery at each of its operations.
    pub recovery_crash_samples: u64,
    /// Test a failed write or sync at this many points of a shorter run (0: none).
    pub fault_points: u64,
}

impl SimConfig {
    /// The configuration the crash sweep runs in CI for `seed`.
    pub fn ci(seed: u64) -> Self {
        SimConfig {
            seed,
            steps: 1500,
            sessions: 3,
            keys: 200,
            value_most_bytes: 400,
            cache_pages: 8,
            fates: 1,
            max_points: None,
            recovery_crash_samples: 3,
            fault_points: 60,
        }
    }
}

/// What a simulation tested and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimReport {
    /// Crash images recovered and checked.
    pub crash_points: u64,
    /// Crashes during recovery recovered and checked.
    pub recovery_crash_points: u64,
    /// Injected I/O faults tested.
    pub fault_points: u64,
    /// Level-0 commits the workload made.
    pub commits: u64,
    /// Of them, durable ones.
    pub durable_commits: u64,
    /// Of them, ones that added a non-zero escrow delta to the counter.
    pub escrow_commits: u64,
    /// Multi-page B-tree changes (page groups) the workload logged: each one a span of the
    /// run inside which a crash once left half a split or merge behind.
    pub page_groups: u64,
    /// Committed transactions found after recovery, summed over the crash points.
    pub recovered_transactions: u64,
    /// Loser transactions undone by recovery, summed over the crash points.
    pub losers_undone: u64,
    /// Crash points whose recovery failed, or gave a state the model does not accept, or a
    /// tree or space map that is not whole (a broken sibling link, a page leaked): each listed
    /// in `failures`. Must be zero.
    pub failed: u64,
    /// The first failures, as `(ops, fate, message)`.
    pub failures: Vec<(u64, u64, String)>,
    /// A digest of every recovered state, in order.
    pub digest: u64,
}

/// The key-value state of the tree.
pub type State = BTreeMap<Vec<u8>, Vec<u8>>;

/// One level-0 commit of the workload.
#[derive(Clone, Debug)]
pub struct Commit {
    /// The writes, `None` for a delete.
    pub writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// The sum of the escrow deltas the transaction added to the counter.
    pub escrow: i64,
    /// The directory's operation count when the commit was issued.
    pub issued_at: u64,
    /// For a durable commit that returned, the operation count when it did.
    pub acked_at: Option<u64>,
}

/// A workload that ran: its directory, its commits, where crash points begin.
pub struct Run {
    /// The directory holding the database and the log.
    pub dir: Arc<CrashDirectory>,
    /// The operation count when the workload's setup was durable.
    pub opened_at: u64,
    /// The commits, in commit order.
    pub commits: Vec<Commit>,
    /// The root of the tree.
    pub root: Pgno,
    /// The first error that stopped the workload, with its JET code.
    pub error: Option<(i32, String)>,
}

fn key(i: u64) -> Vec<u8> {
    format!("key{i:05}").into_bytes()
}

fn value(rng: &mut Rng, most: usize) -> Vec<u8> {
    let v = rng.next_u64();
    let len = 8 + (v % (most.max(8) as u64 - 7)) as usize;
    let mut out = v.to_le_bytes().to_vec();
    out.resize(len, (v >> 8) as u8);
    out
}

/// The log configuration of the simulation over `dir`.
pub fn log_config(dir: Arc<dyn Directory>) -> LogConfig {
    LogConfig {
        file_bytes: 64 * 1024,
        buffer_bytes: 4096,
        ..LogConfig::new(dir)
    }
}

/// An I/O failure an [`Interposer`] injects at the `n`-th write or sync of a directory.
#[derive(Debug)]
struct FailAt {
    n: u64,
    seen: AtomicU64,
}

impl FailAt {
    fn tick(&self) -> io::Result<()> {
        if self.seen.fetch_add(1, Ordering::SeqCst) == self.n {
            return Err(io::Error::other("injected I/O error"));
        }
        Ok(())
    }
}

impl Interposer for FailAt {
    fn before_file(&self, _name: &str, op: FileOp<'_>) -> io::Result<()> {
        match op {
            FileOp::Write { .. } | FileOp::Sync | FileOp::SetLen(_) => self.tick(),
            FileOp::Read { .. } => Ok(()),
        }
    }
    fn before_dir(&self, op: DirOp<'_>) -> io::Result<()> {
        match op {
            DirOp::Sync => self.tick(),
            _ => Ok(()),
        }
    }
}

/// An engine failure with its JET code.
fn fail(code: i32, what: impl std::fmt::Display) -> (i32, String) {
    (code, what.to_string())
}

/// What one open level of a transaction did.
#[derive(Default)]
struct Level {
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    escrow: i64,
}

struct Txn {
    /// Per open level, what was done at it.
    levels: Vec<Level>,
}

/// The counter's data holding `value`.
fn counter_data(value: i64) -> Vec<u8> {
    value.to_le_bytes().to_vec()
}

/// Runs the workload of `cfg` on a new directory. With `fault`, the `fault`-th write or sync
/// (counted after setup) fails and the workload stops at the first error.
pub fn workload(cfg: &SimConfig, steps: u32, fault: Option<u64>) -> Run {
    let dir = Arc::new(CrashDirectory::new());
    let setup = setup(&dir);
    let (log, cache, db, tree) = match setup {
        Ok(s) => s,
        Err(e) => {
            return Run {
                dir,
                opened_at: 0,
                commits: Vec::new(),
                root: Pgno::NULL,
                error: Some(e),
            };
        }
    };
    let root = tree.root();
    let opened_at = dir.op_count();
    drop((log, cache, db, tree));
    let io: Arc<dyn Directory> = match fault {
        Some(n) => Arc::new(InterposedDirectory::new(
            dir.clone(),
            Arc::new(FailAt {
                n,
                seen: AtomicU64::new(0),
            }),
        )),
        None => dir.clone(),
    };
    let mut commits = Vec::new();
    let error = run_steps(cfg, steps, &dir, io, root, &mut commits).err();
    Run {
        dir,
        opened_at,
        commits,
        root,
        error,
    }
}

type Opened = (Arc<TrxLog>, Arc<Cache>, Arc<Database>, BTree);

/// Creates the database and its tree, makes them durable, and marks the database dirty.
fn setup(dir: &Arc<CrashDirectory>) -> Result<Opened, (i32, String)> {
    let io: Arc<dyn Directory> = dir.clone();
    let log = Arc::new(Log::open(log_config(io.clone())).map_err(|e| fail(e.jet_code(), e))?);
    let trxlog = TrxLog::new(log.clone());
    let storage = io.open(DB_FILE, true).map_err(|e| fail(-1022, e))?;
    io.sync().map_err(|e| fail(-1022, e))?;
    let header = DbHeader::new(PAGE_SIZE as u32, Signature::NONE);
    ese_pageio::write_header(&*storage, &header).map_err(|e| fail(-1022, e))?;
    let cache = Arc::new(Cache::new(CacheConfig::with_pages(64), trxlog.clone()));
    cache
        .attach(DB, storage.clone(), PAGE_SIZE)
        .map_err(|e| fail(-1022, e))?;
    let config = DatabaseConfig {
        extension_pages: 16,
        space_group_pages: 64,
        ..DatabaseConfig::new(DB, PAGE_SIZE)
    };
    let db = Arc::new(
        Database::create(cache.clone(), trxlog.clone(), Some(storage.clone()), config)
            .map_err(|e| fail(crate::target::btree_jet_code(&e), e))?,
    );
    let tree = BTree::create(&db, OBJID, PageFlags::NONE)
        .map_err(|e| fail(crate::target::btree_jet_code(&e), e))?;
    tree.insert(Trx::MIN, COUNTER_KEY, &counter_data(0))
        .map_err(|e| fail(crate::target::btree_jet_code(&e), e))?;
    cache.flush_all().map_err(|e| fail(-1022, e))?;
    log.flush_all().map_err(|e| fail(e.jet_code(), e))?;
    let header = DbHeader {
        dbtime: db.dbtime_last(),
        ..header
    };
    mark_dirty(
        &*storage,
        &header,
        crate::instance::log_signature(&log),
        log.head(),
    )
    .map_err(|e| fail(-1022, e))?;
    ese_cache::WriteAheadLog::write_checkpoint(&*trxlog, log.head()).map_err(|e| fail(-1022, e))?;
    cache.detach(DB).map_err(|e| fail(-1022, e))?;
    Ok((trxlog, cache, db, tree))
}

/// The workload's steps, on the database set up in `dir`, through `io`.
fn run_steps(
    cfg: &SimConfig,
    steps: u32,
    dir: &Arc<CrashDirectory>,
    io: Arc<dyn Directory>,
    root: Pgno,
    commits: &mut Vec<Commit>,
) -> Result<(), (i32, String)> {
    let mut rng = Rng::new(mix(cfg.seed));
    let log = Arc::new(Log::open(log_config(io.clone())).map_err(|e| fail(e.jet_code(), e))?);
    let trxlog = TrxLog::new(log.clone());
    let storage = io.open(DB_FILE, false).map_err(|e| fail(-1022, e))?;
    let cache = Arc::new(Cache::new(
        CacheConfig::with_pages(cfg.cache_pages),
        trxlog.clone(),
    ));
    cache
        .attach(DB, storage.clone(), PAGE_SIZE)
        .map_err(|e| fail(-1022, e))?;
    let header = ese_pageio::read_header(&*storage)
        .map_err(|e| fail(-1022, e))?
        .header;
    let ver = VersionStore::new(VerConfig::default(), trxlog.clone())
        .map_err(|e| fail(e.jet_code(), e))?;
    let config = DatabaseConfig {
        extension_pages: 16,
        dbtime_last: header.dbtime,
        ..DatabaseConfig::new(DB, PAGE_SIZE)
    };
    let db = Arc::new(
        Database::open(cache.clone(), trxlog.clone(), Some(storage), config)
            .map_err(|e| fail(crate::target::btree_jet_code(&e), e))?
            .with_versions(Arc::new(TreeVersions::new(ver.clone(), DB))),
    );
    let tree =
        BTree::open(&db, OBJID, root).map_err(|e| fail(crate::target::btree_jet_code(&e), e))?;
    let trees = Trees::with_version_store(ver.clone());
    trees.register(&tree);
    let vt = VersionedTree::new(tree, ver.clone());
    let mut sessions: Vec<(Session, Option<Txn>)> = (0..cfg.sessions.max(1))
        .map(|_| (ver.begin_session(), None))
        .collect();
    let txn_err = |e: ese_txn::Error| fail(e.jet_code(), e);
    for _ in 0..steps {
        let r = rng.below(100);
        if r < 3 {
            cache
                .flush_for_checkpoint(0)
                .map_err(|e| fail(crate::target::cache_jet_code(&e), e))?;
            continue;
        }
        if r < 5 {
            trees.cleanup().map_err(txn_err)?;
            continue;
        }
        let si = rng.below(sessions.len() as u64) as usize;
        let (session, txn) = &mut sessions[si];
        let Some(t) = txn else {
            session.begin_transaction().map_err(txn_err)?;
            *txn = Some(Txn {
                levels: vec![Level::default()],
            });
            continue;
        };
        let choice = rng.below(100);
        if choice < 8 {
            // An escrow update of the shared counter: never a write conflict with another.
            let delta = rng.below(41) as i64 - 20;
            match vt.escrow_update(session, COUNTER_KEY, COUNTER_FIELD, delta) {
                Ok(_) => {
                    if let Some(level) = t.levels.last_mut() {
                        level.escrow = level.escrow.wrapping_add(delta);
                    }
                }
                Err(ese_txn::Error::VersionStoreOutOfMemory { .. }) => {}
                Err(e) => return Err(txn_err(e)),
            }
        } else if choice < 70 {
            let k = key(rng.below(u64::from(cfg.keys)));
            let seen = vt.get(session, &k).map_err(txn_err)?;
            let outcome = match (&seen, rng.below(4)) {
                (None, _) => {
                    let v = value(&mut rng, cfg.value_most_bytes);
                    vt.insert(session, &k, &v).map(|()| Some(v))
                }
                (Some(_), 0) => vt.delete(session, &k).map(|()| None),
                (Some(_), _) => {
                    let v = value(&mut rng, cfg.value_most_bytes);
                    vt.replace(session, &k, &v).map(|()| Some(v))
                }
            };
            match outcome {
                Ok(v) => {
                    if let Some(level) = t.levels.last_mut() {
                        level.writes.insert(k, v);
                    }
                }
                // A conflict or a full version store leaves the transaction usable.
                Err(ese_txn::Error::WriteConflict)
                | Err(ese_txn::Error::VersionStoreOutOfMemory { .. }) => {}
                Err(e) => return Err(txn_err(e)),
            }
        } else if choice < 78 && t.levels.len() < 7 {
            session.begin_transaction().map_err(txn_err)?;
            t.levels.push(Level::default());
        } else if choice < 84 && t.levels.len() > 1 {
            session
                .commit_transaction(CommitMode::Lazy)
                .map_err(txn_err)?;
            if let Some(inner) = t.levels.pop()
                && let Some(parent) = t.levels.last_mut()
            {
                parent.writes.extend(inner.writes);
                parent.escrow = parent.escrow.wrapping_add(inner.escrow);
            }
        } else if choice < 90 {
            trees.rollback(session).map_err(txn_err)?;
            t.levels.pop();
            if t.levels.is_empty() {
                *txn = None;
            }
        } else if t.levels.len() == 1 {
            let durable = rng.below(2) == 0;
            let mode = if durable {
                CommitMode::Durable
            } else {
                CommitMode::Lazy
            };
            let Level { writes, escrow } = t.levels.pop().unwrap_or_default();
            *txn = None;
            commits.push(Commit {
                writes,
                escrow,
                issued_at: dir.op_count(),
                acked_at: None,
            });
            session.commit_transaction(mode).map_err(txn_err)?;
            if durable && let Some(c) = commits.last_mut() {
                c.acked_at = Some(dir.op_count());
            }
        }
    }
    Ok(())
}

/// The state before the first commit: the counter at zero.
fn initial_state() -> State {
    State::from([(COUNTER_KEY.to_vec(), counter_data(0))])
}

/// Applies commits `from..k` to `base` (the state after the first `from` commits).
fn state_after(commits: &[Commit], k: usize, base: &mut State, from: usize) {
    for c in commits.iter().take(k).skip(from) {
        for (key, v) in &c.writes {
            match v {
                Some(v) => base.insert(key.clone(), v.clone()),
                None => base.remove(key),
            };
        }
        if c.escrow != 0
            && let Some(counter) = base.get_mut(COUNTER_KEY)
        {
            let mut now = [0u8; 8];
            if let Some(b) = counter.get(..8) {
                now.copy_from_slice(b);
            }
            *counter = counter_data(i64::from_le_bytes(now).wrapping_add(c.escrow));
        }
    }
}

/// Recovers the database and log in `image`; returns the recovery's losers and whether it ran.
fn recover_image(image: Arc<dyn Directory>, root: Pgno) -> Result<u64, (i32, String)> {
    let storage = image.open(DB_FILE, false).map_err(|e| fail(-1022, e))?;
    let mut rc = RecoveryConfig::new(log_config(image.clone()), vec![(DB, storage)]);
    rc.cache = CacheConfig::with_pages(16);
    rc.extension_pages = 16;
    rc.roots.push((DB, OBJID, root));
    let s = recover_instance(&rc).map_err(|e| fail(e.jet_code(), e))?;
    Ok(s.summary.map_or(0, |s| s.losers.len() as u64))
}

/// Reads the tree in `image` (after recovery), checks the tree and the space map, sweeps
/// flag-deleted nodes and checks both again; returns the state.
fn read_state(image: Arc<dyn Directory>, root: Pgno) -> Result<State, (i32, String)> {
    let storage = image.open(DB_FILE, false).map_err(|e| fail(-1022, e))?;
    let header = ese_pageio::read_header(&*storage)
        .map_err(|e| fail(-1206, e))?
        .header;
    if crate::needs_recovery(&header) {
        return Err(fail(-550, "the database is still dirty after recovery"));
    }
    let log = Arc::new(Log::open(log_config(image.clone())).map_err(|e| fail(e.jet_code(), e))?);
    let cache = Arc::new(Cache::new(CacheConfig::with_pages(16), log.clone()));
    cache
        .attach(DB, storage.clone(), PAGE_SIZE)
        .map_err(|e| fail(-1022, e))?;
    let ver =
        VersionStore::new(VerConfig::default(), log.clone()).map_err(|e| fail(e.jet_code(), e))?;
    let config = DatabaseConfig {
        extension_pages: 16,
        dbtime_last: header.dbtime,
        ..DatabaseConfig::new(DB, PAGE_SIZE)
    };
    let bt = |e: ese_btree::Error| fail(crate::target::btree_jet_code(&e), e);
    let db = Arc::new(
        Database::open(cache.clone(), log.clone(), Some(storage), config)
            .map_err(bt)?
            .with_versions(Arc::new(TreeVersions::new(ver.clone(), DB))),
    );
    let tree = BTree::open(&db, OBJID, root).map_err(bt)?;
    let structure = |e: ese_btree::Error| {
        fail(
            crate::target::btree_jet_code(&e),
            format!("{STRUCTURE_PREFIX}{e}"),
        )
    };
    tree.check_invariants().map_err(structure)?;
    db.check_space(&[&tree]).map_err(structure)?;
    let mut state = State::new();
    let mut c = tree.cursor();
    let mut e = c.first().map_err(bt)?;
    let mut guard = 0u64;
    while let Some(entry) = e {
        state.insert(entry.key, entry.data);
        guard += 1;
        if guard > 1_000_000 {
            return Err(fail(-1018, "the tree does not end"));
        }
        e = c.move_next().map_err(bt)?;
    }
    // The cleanup queue died with the crash: sweep flag-deleted nodes, then check again.
    let vt = VersionedTree::new(tree.clone(), ver);
    vt.sweep_deleted().map_err(|e| fail(e.jet_code(), e))?;
    tree.check_invariants().map_err(structure)?;
    db.check_space(&[&tree]).map_err(structure)?;
    Ok(state)
}

/// How the message of a tree or space map found broken starts.
const STRUCTURE_PREFIX: &str = "the recovered tree is broken: ";

/// Checks `state` against the commits: some prefix `k` in `lo..=hi`; returns `k`.
fn accept(commits: &[Commit], lo: usize, hi: usize, state: &State) -> Option<usize> {
    let mut s = initial_state();
    state_after(commits, lo, &mut s, 0);
    for k in lo..=hi.min(commits.len()) {
        if k > lo {
            state_after(commits, k, &mut s, k - 1);
        }
        if &s == state {
            return Some(k);
        }
    }
    None
}

fn digest_state(state: &State) -> u64 {
    let mut h = 0u64;
    for (k, v) in state {
        for b in k.iter().chain(v.iter()) {
            h = mix(h ^ u64::from(*b));
        }
        h = mix(h ^ 0xff);
    }
    h
}

/// A copy of a directory's files into a [`CrashDirectory`], synced (the durable baseline of a
/// crash during recovery).
fn to_crash_dir(from: &dyn Directory) -> io::Result<Arc<CrashDirectory>> {
    let to = Arc::new(CrashDirectory::new());
    for name in from.list()? {
        let src = from.open(&name, false)?;
        let mut buf = vec![0u8; usize::try_from(src.len()?).unwrap_or(0)];
        src.read_at(0, &mut buf)?;
        let dst = to.open(&name, true)?;
        if !buf.is_empty() {
            dst.write_at(0, &buf)?;
        }
        dst.sync()?;
    }
    to.sync()?;
    Ok(to)
}

fn memdir(image: MemDirectory) -> Arc<dyn Directory> {
    Arc::new(image)
}

/// Checks one crash image: recovery succeeds and the state is an accepted prefix. Returns the
/// state and the prefix length.
fn check_point(
    run: &Run,
    image: Arc<dyn Directory>,
    ops: u64,
) -> Result<(State, usize, u64), String> {
    let lo = run
        .commits
        .iter()
        // An empty transaction's durable commit waits for nothing, so it vouches for nothing.
        .rposition(|c| {
            c.acked_at.is_some_and(|a| a <= ops) && (!c.writes.is_empty() || c.escrow != 0)
        })
        .map_or(0, |i| i + 1);
    // A commit issued at the crash point wrote nothing yet, unless it needed no I/O at all
    // (an empty transaction): then it is acknowledged, and counted by `lo`.
    let hi = run
        .commits
        .iter()
        .filter(|c| c.issued_at < ops)
        .count()
        .max(lo);
    let losers = recover_image(image.clone(), run.root)
        .map_err(|(code, e)| format!("recovery failed ({code}): {e}"))?;
    let state = read_state(image, run.root)
        .map_err(|(code, e)| format!("reading the recovered database failed ({code}): {e}"))?;
    match accept(&run.commits, lo, hi.max(lo), &state) {
        Some(k) => Ok((state, k, losers)),
        None => {
            let mut near = initial_state();
            state_after(&run.commits, lo, &mut near, 0);
            let extra: Vec<String> = state
                .iter()
                .filter(|(k, v)| near.get(*k) != Some(*v))
                .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
                .take(4)
                .collect();
            let missing: Vec<String> = near
                .keys()
                .filter(|k| !state.contains_key(*k))
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .take(4)
                .collect();
            Err(format!(
                "the recovered state ({} keys) is no committed prefix in {lo}..={hi} (against \
                 {lo}: differs at {extra:?}, lacks {missing:?})",
                state.len()
            ))
        }
    }
}

/// Runs the simulation of `cfg`.
pub fn run(cfg: &SimConfig) -> SimReport {
    let mut report = SimReport::default();
    let run = workload(cfg, cfg.steps, None);
    report.commits = run.commits.len() as u64;
    report.durable_commits = run.commits.iter().filter(|c| c.acked_at.is_some()).count() as u64;
    report.escrow_commits = run.commits.iter().filter(|c| c.escrow != 0).count() as u64;
    report.page_groups = count_page_groups(run.dir.clone());
    let note = note_failure;
    if let Some((code, e)) = &run.error {
        note(
            &mut report,
            0,
            0,
            format!("the workload failed ({code}): {e}"),
        );
        return report;
    }
    let total = run.dir.op_count();
    let span = total.saturating_sub(run.opened_at) + 1;
    let stride = cfg.max_points.map_or(1, |m| span.div_ceil(m.max(1)).max(1));
    let mut sampled = 0u64;
    let sample_every = (span / stride / cfg.recovery_crash_samples.max(1)).max(1);
    let mut h = 0u64;
    let mut index = 0u64;
    let mut ops = run.opened_at;
    while ops <= total {
        for fate in 0..cfg.fates.max(1) {
            let seed = mix(cfg.seed ^ mix(ops) ^ fate);
            let image = memdir(run.dir.crash_image_at(ops, seed));
            // Keep the crash image before recovery changes it, for the recovery crashes.
            let sample = cfg.recovery_crash_samples > sampled && index % sample_every == 0;
            let baseline = if sample {
                to_crash_dir(&*image).ok()
            } else {
                None
            };
            report.crash_points += 1;
            match check_point(&run, image, ops) {
                Ok((state, k, losers)) => {
                    report.recovered_transactions += k as u64;
                    report.losers_undone += losers;
                    h = mix(h ^ digest_state(&state) ^ (k as u64));
                    if let Some(base) = baseline {
                        sampled += 1;
                        recovery_crashes(&run, &base, ops, seed, &state, &mut report);
                    }
                }
                Err(msg) => note(&mut report, ops, fate, msg),
            }
            index += 1;
        }
        ops += stride;
    }
    if cfg.fault_points > 0 {
        faults(cfg, &mut report);
    }
    report.digest = h;
    report
}

/// The page groups in the log of `dir` (as it is, unsynced writes included).
fn count_page_groups(dir: Arc<CrashDirectory>) -> u64 {
    let Ok(reader) = ese_log::LogReader::open(dir, "edb") else {
        return 0;
    };
    reader
        .scan(ese_core::Lgpos::MIN)
        .filter(|r| matches!(r, Ok((_, ese_log::LogRecord::PageGroup(_)))))
        .count() as u64
}

/// Records a failed crash point.
fn note_failure(report: &mut SimReport, ops: u64, fate: u64, msg: String) {
    report.failed += 1;
    if report.failures.len() < 10 {
        report.failures.push((ops, fate, msg));
    }
}

/// Crashes recovery of `base` at each of its operations and recovers again: the state must be
/// `want`, what the uninterrupted recovery gave.
fn recovery_crashes(
    run: &Run,
    base: &Arc<CrashDirectory>,
    ops: u64,
    seed: u64,
    want: &State,
    report: &mut SimReport,
) {
    let start = base.op_count();
    if let Err((code, e)) = recover_image(base.clone(), run.root) {
        note_failure(
            report,
            ops,
            seed,
            format!("recovery on the crash directory ({code}): {e}"),
        );
        return;
    }
    let end = base.op_count();
    for cut in start..end {
        let image = memdir(base.crash_image_at(cut, mix(seed ^ cut)));
        report.recovery_crash_points += 1;
        let got = recover_image(image.clone(), run.root).and_then(|_| read_state(image, run.root));
        match got {
            Ok(state) if &state == want => {}
            Ok(state) => {
                note_failure(
                    report,
                    ops,
                    cut,
                    format!(
                        "recovery crashed at its operation {} gives {} keys, not the {} of the \
                         first recovery",
                        cut - start,
                        state.len(),
                        want.len()
                    ),
                );
            }
            Err((code, e)) => note_failure(
                report,
                ops,
                cut,
                format!("recovery after a crash in recovery ({code}): {e}"),
            ),
        }
    }
}

/// The workload again with one write or sync failing, at `cfg.fault_points` points spread over
/// a shorter run: each must stop with an ESE error, and recovery must give an accepted state.
fn faults(cfg: &SimConfig, report: &mut SimReport) {
    let steps = (cfg.steps / 4).max(50);
    let clean = workload(cfg, steps, None);
    let writes = clean.dir.op_count().saturating_sub(clean.opened_at);
    let stride = writes.div_ceil(cfg.fault_points.max(1)).max(1);
    let mut n = 0;
    while n < writes {
        let run = workload(cfg, steps, Some(n));
        report.fault_points += 1;
        match &run.error {
            Some((code, _)) if *code < 0 => {}
            Some((code, e)) => note_failure(
                report,
                n,
                0,
                format!("fault {n}: error without an ESE code ({code}): {e}"),
            ),
            // A fault at a write the run did not reach is no failure.
            None => {}
        }
        let ops = run.dir.op_count();
        let image = memdir(run.dir.crash_image_at(ops, mix(cfg.seed ^ n)));
        match check_point(&run, image, ops) {
            Ok(_) => {}
            Err(msg) => note_failure(report, n, 0, format!("after fault {n}: {msg}")),
        }
        n += stride;
    }
}

impl std::fmt::Display for SimReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "crash points tested: {} (plus {} crashes during recovery, {} injected I/O faults)",
            self.crash_points, self.recovery_crash_points, self.fault_points
        )?;
        writeln!(
            f,
            "workload commits: {} ({} durable, {} with escrow deltas); page groups logged: {}; \
             recovered transactions: {}; losers undone: {}",
            self.commits,
            self.durable_commits,
            self.escrow_commits,
            self.page_groups,
            self.recovered_transactions,
            self.losers_undone
        )?;
        writeln!(f, "failures: {}", self.failed)?;
        for (ops, fate, msg) in &self.failures {
            writeln!(f, "  at {ops}/{fate}: {msg}")?;
        }
        write!(f, "digest: {:016x}", self.digest)
    }
}
