//! Recovery against a key-value page model, on crashed images of a real `ese_log::Log`.
//!
//! The model: a page is a dbtime and a map key -> value; every page operation carries
//! `(key, new value)` as payload and `(key, old value)` as undo. A randomized workload of
//! interleaved, nested transactions (writes, nested commits and rollbacks, full rollbacks,
//! durable and lazy commits, checkpoints) runs on a `CrashDirectory`, while the workload keeps
//! every state each page passed through. Each crash image is recovered from a random
//! WAL-respecting choice of page states and compared with the committed prefix of the model;
//! then recovered again (idempotence), and recovered after a crash in the middle of recovery.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ese_core::{DbId, Dbtime, Lgpos, Pgno, Trx};
use ese_log::{CommitMode, Log, LogConfig, LogReader, LogRecord, PageOp};
use ese_pageio::{CrashDirectory, Directory};
use ese_recovery::{
    Error, RecoveryOptions, RedoOutcome, RedoTarget, UndoClass, UndoOutcome, UndoTarget,
    close_losers, recover,
};

const KEYS: u32 = 24;
const PAGES: u32 = 6;
const DB: DbId = DbId(1);
/// Workload seeds of the crash sweep.
const SEEDS: u64 = 8;
/// Crash-image seeds (fates of unsynced writes: lost, kept, torn) per crash point.
const FATES: u64 = 2;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn encode(key: u32, value: Option<u32>) -> Vec<u8> {
    let mut b = key.to_le_bytes().to_vec();
    match value {
        Some(v) => {
            b.push(1);
            b.extend_from_slice(&v.to_le_bytes());
        }
        None => b.extend_from_slice(&[0; 5]),
    }
    b
}

fn decode(b: &[u8]) -> Result<(u32, Option<u32>), String> {
    if b.len() != 9 {
        return Err(format!("bad model payload of {} bytes", b.len()));
    }
    let key = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let v = u32::from_le_bytes([b[5], b[6], b[7], b[8]]);
    Ok((key, (b[4] == 1).then_some(v)))
}

/// The undo field of a model change: "key had `old`".
fn change(key: u32, old: Option<u32>) -> Vec<u8> {
    let mut b = vec![1];
    b.extend(encode(key, old));
    b
}

/// The undo field of a model compensation.
const COMPENSATION: [u8; 1] = [2];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Page {
    dbtime: u64,
    kv: BTreeMap<u32, u32>,
}

impl Page {
    fn set(&mut self, key: u32, value: Option<u32>) {
        match value {
            Some(v) => self.kv.insert(key, v),
            None => self.kv.remove(&key),
        };
    }
}

/// The model page layer recovery runs against.
#[derive(Default)]
struct Model {
    pages: BTreeMap<u32, Page>,
    /// When set, every state each page passes through, and whether undo made it.
    history: Option<BTreeMap<u32, Vec<(Page, bool)>>>,
    /// Fail (simulating a crash) once this many more target calls have been made.
    fail_after: Option<u64>,
    calls: u64,
    /// Where undo logs its compensations (none: undo is not logged).
    log: Option<Log>,
    /// The largest dbtime seen.
    dbtime: u64,
}

impl Model {
    fn tick(&mut self) -> Result<(), String> {
        self.calls += 1;
        if let Some(n) = self.fail_after.as_mut() {
            if *n == 0 {
                return Err("simulated crash".into());
            }
            *n -= 1;
        }
        Ok(())
    }
    fn page_mut(&mut self, pgno: u32) -> &mut Page {
        let page = self.pages.entry(pgno).or_default();
        if let Some(h) = self.history.as_mut() {
            h.entry(pgno).or_insert_with(|| vec![(page.clone(), false)]);
        }
        page
    }
    fn record(&mut self, pgno: u32, by_undo: bool) {
        if let (Some(h), Some(p)) = (self.history.as_mut(), self.pages.get(&pgno)) {
            h.entry(pgno).or_default().push((p.clone(), by_undo));
        }
    }
    fn kv(&self) -> BTreeMap<u32, u32> {
        self.pages.values().flat_map(|p| p.kv.clone()).collect()
    }
}

impl RedoTarget for Model {
    type Error = String;
    fn redo(&mut self, _lgpos: Lgpos, rec: &LogRecord) -> Result<RedoOutcome, String> {
        self.tick()?;
        let op = rec.page_op().ok_or("not a page op")?;
        self.dbtime = self.dbtime.max(op.dbtime_after.0);
        let (key, value) = decode(&op.payload)?;
        let page = self.page_mut(op.pgno.0);
        if page.dbtime >= op.dbtime_after.0 {
            return Ok(RedoOutcome::Skipped);
        }
        if page.dbtime != op.dbtime_before.0 {
            return Ok(RedoOutcome::Unverifiable);
        }
        page.set(key, value);
        page.dbtime = op.dbtime_after.0;
        self.record(op.pgno.0, false);
        Ok(RedoOutcome::Applied)
    }
}

impl UndoTarget for Model {
    fn classify(&self, rec: &LogRecord) -> Result<UndoClass, String> {
        let op = rec.page_op().ok_or("not a page op")?;
        match op.undo.first() {
            None => Ok(UndoClass::None),
            Some(1) => Ok(UndoClass::Change),
            Some(2) => Ok(UndoClass::Compensation),
            Some(_) => Err("bad model undo field".into()),
        }
    }

    fn undo(&mut self, _l: Lgpos, rec: &LogRecord) -> Result<UndoOutcome, String> {
        self.tick()?;
        let op = rec.page_op().ok_or("not a page op")?;
        let (key, old) = decode(op.undo.get(1..).ok_or("empty undo")?)?;
        self.dbtime += 1;
        let dbtime = self.dbtime;
        let page = self.page_mut(op.pgno.0);
        let before = page.dbtime;
        page.set(key, old);
        page.dbtime = dbtime;
        if let Some(log) = &self.log {
            let comp = LogRecord::ReplaceNode(PageOp {
                trx: op.trx,
                db: op.db,
                pgno: op.pgno,
                dbtime_before: Dbtime(before),
                dbtime_after: Dbtime(dbtime),
                payload: encode(key, old),
                undo: COMPENSATION.to_vec(),
            });
            log.append(&comp).map_err(|e| e.to_string())?;
        }
        self.record(op.pgno.0, true);
        Ok(UndoOutcome::Applied)
    }
}

/// A level-0 commit the workload made.
struct Committed {
    /// Index of the commit record in `Workload::appended`.
    index: usize,
    effects: BTreeMap<u32, Option<u32>>,
    /// The operation count when a durable commit returned.
    acked_at: Option<u64>,
}

/// One state of one page at runtime, with the index of the last logged record it reflects.
struct Version {
    needs: Option<usize>,
    page: Page,
}

struct Workload {
    dir: Arc<CrashDirectory>,
    opened_at: u64,
    appended: Vec<(Lgpos, LogRecord)>,
    commits: Vec<Committed>,
    versions: BTreeMap<u32, Vec<Version>>,
    /// (checkpoint position, per page the oldest version the disk may hold).
    checkpoints: Vec<(Lgpos, BTreeMap<u32, usize>)>,
}

struct Txn {
    trx: Trx,
    begin: Lgpos,
    depth: u8,
    /// (level, key, old value, page).
    ops: Vec<(u8, u32, Option<u32>)>,
    keys: BTreeSet<u32>,
}

fn workload(seed: u64, steps: u32) -> Workload {
    let dir = Arc::new(CrashDirectory::new());
    let log = Log::open(LogConfig::test_min(dir.clone())).expect("setup");
    let opened_at = dir.op_count();
    let mut rng = Rng(seed);
    let mut w = Workload {
        dir,
        opened_at,
        appended: Vec::new(),
        commits: Vec::new(),
        versions: (0..PAGES)
            .map(|p| {
                (
                    p,
                    vec![Version {
                        needs: None,
                        page: Page::default(),
                    }],
                )
            })
            .collect(),
        checkpoints: Vec::new(),
    };
    let mut live: BTreeMap<u32, Page> = (0..PAGES).map(|p| (p, Page::default())).collect();
    let mut last_logged: BTreeMap<u32, usize> = BTreeMap::new();
    let mut dbtime = 1u64;
    let mut next_trx = 1u64;
    let mut active: Vec<Txn> = Vec::new();
    let mut locks: BTreeSet<u32> = BTreeSet::new();

    let append = |w: &mut Workload, log: &Log, rec: LogRecord| -> Lgpos {
        let l = log.append(&rec).expect("append");
        w.appended.push((l, rec));
        l
    };
    // Changes one key on the live page; logs it when `trx` is given.
    for _ in 0..steps {
        if active.len() < 3 && rng.below(4) == 0 {
            let trx = Trx(next_trx);
            next_trx += 1;
            let begin = append(&mut w, &log, LogRecord::BeginTransaction { trx, level: 0 });
            active.push(Txn {
                trx,
                begin,
                depth: 1,
                ops: Vec::new(),
                keys: BTreeSet::new(),
            });
            continue;
        }
        if rng.below(40) == 0 {
            // The cache writes every page (after flushing the log), then the checkpoint moves.
            log.flush_all().expect("flush");
            let floors = w.versions.iter().map(|(p, v)| (*p, v.len() - 1)).collect();
            let at = active.iter().map(|t| t.begin).min().unwrap_or(log.head());
            let at = at.min(log.head());
            // A checkpoint that would not move forward is not written.
            if at > log.read_checkpoint().expect("checkpoint") {
                log.write_checkpoint(at).expect("checkpoint");
                w.checkpoints.push((at, floors));
            }
            continue;
        }
        if active.is_empty() {
            continue;
        }
        let ti = rng.below(active.len() as u64) as usize;
        let choice = rng.below(20);
        let t = &mut active[ti];
        match choice {
            0..=9 => {
                let key = rng.below(u64::from(KEYS)) as u32;
                if locks.contains(&key) && !t.keys.contains(&key) {
                    continue;
                }
                let pgno = key % PAGES;
                let page = live.get_mut(&pgno).expect("page");
                let old = page.kv.get(&key).copied();
                let new = (rng.below(5) != 0).then(|| rng.next() as u32);
                let op = PageOp {
                    trx: t.trx,
                    db: DB,
                    pgno: Pgno(pgno),
                    dbtime_before: Dbtime(page.dbtime),
                    dbtime_after: Dbtime(dbtime),
                    payload: encode(key, new),
                    undo: change(key, old),
                };
                page.set(key, new);
                page.dbtime = dbtime;
                dbtime += 1;
                t.ops.push((t.depth - 1, key, old));
                t.keys.insert(key);
                locks.insert(key);
                let trx_rec = if new.is_some() {
                    LogRecord::ReplaceNode(op)
                } else {
                    LogRecord::DeleteNode(op)
                };
                let l = log.append(&trx_rec).expect("append");
                w.appended.push((l, trx_rec));
                let idx = w.appended.len() - 1;
                last_logged.insert(pgno, idx);
                w.versions.get_mut(&pgno).expect("page").push(Version {
                    needs: Some(idx),
                    page: page.clone(),
                });
            }
            10..=11 if t.depth < 7 => {
                let (trx, level) = (t.trx, t.depth);
                t.depth += 1;
                append(&mut w, &log, LogRecord::BeginTransaction { trx, level });
            }
            12 if t.depth > 1 => {
                // Nested commit: not logged; the level's operations join the parent.
                t.depth -= 1;
                for op in &mut t.ops {
                    if op.0 == t.depth {
                        op.0 = t.depth - 1;
                    }
                }
            }
            13..=14 => {
                // Roll back the innermost level (level 0: the whole transaction).
                let level = t.depth - 1;
                while let Some(&(l, key, old)) = t.ops.last() {
                    if l < level {
                        break;
                    }
                    t.ops.pop();
                    // Runtime rollback logs each undo as a compensation (ESE's model).
                    let pgno = key % PAGES;
                    let page = live.get_mut(&pgno).expect("page");
                    let comp = LogRecord::ReplaceNode(PageOp {
                        trx: t.trx,
                        db: DB,
                        pgno: Pgno(pgno),
                        dbtime_before: Dbtime(page.dbtime),
                        dbtime_after: Dbtime(dbtime),
                        payload: encode(key, old),
                        undo: COMPENSATION.to_vec(),
                    });
                    page.set(key, old);
                    page.dbtime = dbtime;
                    dbtime += 1;
                    let l = log.append(&comp).expect("append");
                    w.appended.push((l, comp));
                    let idx = w.appended.len() - 1;
                    last_logged.insert(pgno, idx);
                    w.versions.get_mut(&pgno).expect("page").push(Version {
                        needs: Some(idx),
                        page: page.clone(),
                    });
                }
                let trx = t.trx;
                t.depth -= 1;
                append(&mut w, &log, LogRecord::Rollback { trx, level });
                if level == 0 {
                    let t = active.swap_remove(ti);
                    for k in &t.keys {
                        locks.remove(k);
                    }
                }
            }
            _ if t.depth == 1 => {
                let t = active.swap_remove(ti);
                let effects = t
                    .keys
                    .iter()
                    .map(|k| (*k, live[&(k % PAGES)].kv.get(k).copied()))
                    .collect();
                for k in &t.keys {
                    locks.remove(k);
                }
                let rec = LogRecord::Commit {
                    trx: t.trx,
                    commit_trx: Trx(next_trx),
                };
                next_trx += 1;
                let durable = rng.below(2) == 0;
                let mode = if durable {
                    CommitMode::Durable
                } else {
                    CommitMode::Lazy
                };
                let l = log.commit(&rec, mode).expect("commit");
                w.appended.push((l, rec));
                w.commits.push(Committed {
                    index: w.appended.len() - 1,
                    effects,
                    acked_at: durable.then(|| w.dir.op_count()),
                });
            }
            _ => {}
        }
    }
    w
}

/// The key-value state after the first `n` logged records: the committed transactions among
/// them, in commit order.
fn expected(w: &Workload, n: usize) -> BTreeMap<u32, u32> {
    let mut kv = BTreeMap::new();
    for c in w.commits.iter().filter(|c| c.index < n) {
        for (k, v) in &c.effects {
            match v {
                Some(v) => kv.insert(*k, *v),
                None => kv.remove(k),
            };
        }
    }
    kv
}

/// Recovers a crash image taken after `ops` operations; returns how many crashes during
/// recovery were tested, or `None` if the image holds no log.
fn check_image(w: &Workload, ops: u64, seed: u64, sample: bool) -> Option<u64> {
    let image: Arc<dyn Directory> = Arc::new(w.dir.crash_image_at(ops, seed));
    let mut rng = Rng(seed ^ ops.wrapping_mul(0x100_0000_01B3));
    let n = match LogReader::open(image.clone(), "edb").and_then(|r| r.read_all()) {
        Ok((records, _)) => {
            assert!(records.len() <= w.appended.len());
            for (got, want) in records.iter().zip(&w.appended) {
                assert_eq!(
                    got, want,
                    "the image's log is a prefix of what was appended"
                );
            }
            records.len()
        }
        Err(e) => {
            assert!(
                w.commits.iter().all(|c| c.acked_at.is_none_or(|a| a > ops)),
                "no log at {ops}/{seed}: {e}"
            );
            return None;
        }
    };
    // Every durable commit acknowledged before the crash is in the log.
    for c in &w.commits {
        if c.acked_at.is_some_and(|a| a <= ops) {
            assert!(c.index < n, "durable commit lost at {ops}/{seed}");
        }
    }
    // The disk's pages: any version whose log records are durable, not older than what the
    // surviving checkpoint promises.
    let floors = ese_log::read_checkpoint(&*image, "edb")
        .ok()
        .and_then(|c| w.checkpoints.iter().find(|(l, _)| *l == c.lgpos))
        .map(|(_, f)| f.clone())
        .unwrap_or_default();
    let mut initial = BTreeMap::new();
    for (pgno, versions) in &w.versions {
        let floor = floors.get(pgno).copied().unwrap_or(0);
        let ok: Vec<&Version> = versions[floor..]
            .iter()
            .take_while(|v| v.needs.is_none_or(|i| i < n))
            .collect();
        assert!(!ok.is_empty(), "no admissible page version at {ops}/{seed}");
        let v = ok[rng.below(ok.len() as u64) as usize];
        initial.insert(*pgno, v.page.clone());
    }
    let want = expected(w, n);
    // Recovery logs its undo: keep a copy of the image for the crashes during recovery.
    let pristine = copy_dir(&*image, "");
    let opts = RecoveryOptions::new(image.clone());

    let log = Log::open(LogConfig::test_min(image.clone())).expect("reopen log");
    let mut m = Model {
        pages: initial.clone(),
        log: Some(log),
        ..Model::default()
    };
    let s = recover(&opts, &mut m).unwrap_or_else(|e| panic!("recovery at {ops}/{seed}: {e}"));
    assert_eq!(m.kv(), want, "recovered state at {ops}/{seed}");
    assert!(s.records_scanned as usize <= n);
    if let Some(log) = &m.log {
        close_losers(log, &s).expect("close losers");
    }

    // Idempotence: recovering the recovered pages changes nothing and undoes nothing.
    let once = m.pages.clone();
    let s2 = recover(&opts, &mut m).unwrap_or_else(|e| panic!("second recovery: {e}"));
    assert_eq!(m.pages, once, "second recovery at {ops}/{seed}");
    assert_eq!(s2.ops_redone, 0);
    assert!(s2.losers.is_empty());

    // A crash during recovery: the compensations it logged are durable or not, and each page
    // keeps any state recovery gave it that the durable log allows. For a sample of the
    // images at up to 64 evenly spaced points of recovery; otherwise at one random point.
    let calls = m.calls / 2;
    let cuts: Vec<u64> = if sample {
        (0..=calls).step_by((calls / 64).max(1) as usize).collect()
    } else {
        vec![rng.below(calls + 1)]
    };
    for &cut in &cuts {
        let dir: Arc<dyn Directory> = copy_dir(&*pristine, "");
        let mut c = Model {
            pages: initial.clone(),
            history: Some(BTreeMap::new()),
            fail_after: Some(cut),
            log: Some(Log::open(LogConfig::test_min(dir.clone())).expect("log")),
            ..Model::default()
        };
        let copts = RecoveryOptions::new(dir.clone());
        if let Ok(s) = recover(&copts, &mut c) {
            assert_eq!(c.kv(), want);
            if rng.below(2) == 0
                && let Some(log) = &c.log
            {
                close_losers(log, &s).expect("close");
            }
        }
        let flushed = rng.below(2) == 0;
        if flushed && let Some(log) = &c.log {
            log.flush_all().expect("flush");
        }
        c.log = None;
        let history = c.history.take().unwrap_or_default();
        for (pgno, states) in history {
            // Unflushed compensations may be lost: then no page may show undo's work.
            let allowed: Vec<&(Page, bool)> =
                states.iter().filter(|(_, u)| flushed || !u).collect();
            let pick = allowed[rng.below(allowed.len() as u64) as usize].0.clone();
            c.pages.insert(pgno, pick);
        }
        c.fail_after = None;
        c.log = Some(Log::open(LogConfig::test_min(dir.clone())).expect("log"));
        let s = recover(&copts, &mut c)
            .unwrap_or_else(|e| panic!("recovery after a crash in recovery: {e}"));
        assert_eq!(
            c.kv(),
            want,
            "recovery after a crash at call {cut} of recovery at {ops}/{seed}"
        );
        if let Some(log) = &c.log {
            close_losers(log, &s).expect("close");
        }
    }
    Some(cuts.len() as u64)
}

#[test]
fn crash_sweep_recovers_the_committed_prefix() {
    let mut points = 0u64;
    let mut recovery_crashes = 0u64;
    for seed in 1..=SEEDS {
        let w = workload(seed, 2500);
        let total = w.dir.op_count();
        for ops in w.opened_at..=total {
            for fate in 0..FATES {
                let sample = (ops + fate) % 256 == 0;
                if let Some(cuts) = check_image(&w, ops, seed.wrapping_mul(7919) + fate, sample) {
                    points += 1;
                    recovery_crashes += cuts;
                }
            }
        }
        let committed = w.commits.len();
        let durable = w.commits.iter().filter(|c| c.acked_at.is_some()).count();
        println!(
            "seed {seed}: {} records, {committed} commits ({durable} durable), {} operations",
            w.appended.len(),
            total - w.opened_at
        );
    }
    println!(
        "recovery crash sweep: {points} crash points tested (each recovered, recovered again, \
         and recovered after {recovery_crashes} crashes during recovery in all)"
    );
    assert!(points > 5000, "{points}");
}

fn model_log(records: &[LogRecord]) -> Arc<CrashDirectory> {
    let dir = Arc::new(CrashDirectory::new());
    let log = Log::open(LogConfig::test_min(dir.clone())).expect("setup");
    for r in records {
        log.append(r).expect("append");
    }
    log.flush_all().expect("flush");
    dir
}

/// Builds a log of model records, keeping each page's dbtime so every record names the
/// dbtime its page is at.
#[derive(Default)]
struct Script {
    dbtime: u64,
    pages: BTreeMap<u32, u64>,
    recs: Vec<LogRecord>,
}

impl Script {
    fn op(&mut self, trx: u64, key: u32, value: Option<u32>, undo: Vec<u8>) -> &mut Self {
        let pgno = key % PAGES;
        let before = self.pages.get(&pgno).copied().unwrap_or(0);
        self.dbtime += 1;
        self.pages.insert(pgno, self.dbtime);
        self.recs.push(LogRecord::ReplaceNode(PageOp {
            trx: Trx(trx),
            db: DB,
            pgno: Pgno(pgno),
            dbtime_before: Dbtime(before),
            dbtime_after: Dbtime(self.dbtime),
            payload: encode(key, value),
            undo,
        }));
        self
    }
    /// `trx` changes `key` from `old` to `new`.
    fn put(&mut self, trx: u64, key: u32, old: Option<u32>, new: Option<u32>) -> &mut Self {
        self.op(trx, key, new, change(key, old))
    }
    /// `trx`'s rollback puts `back` into `key`.
    fn comp(&mut self, trx: u64, key: u32, back: Option<u32>) -> &mut Self {
        self.op(trx, key, back, COMPENSATION.to_vec())
    }
    fn begin(&mut self, trx: u64, level: u8) -> &mut Self {
        self.recs.push(begin(trx, level));
        self
    }
    fn rollback(&mut self, trx: u64, level: u8) -> &mut Self {
        self.recs.push(LogRecord::Rollback {
            trx: Trx(trx),
            level,
        });
        self
    }
    fn commit(&mut self, trx: u64) -> &mut Self {
        self.recs.push(LogRecord::Commit {
            trx: Trx(trx),
            commit_trx: Trx(trx + 1000),
        });
        self
    }
}

fn begin(trx: u64, level: u8) -> LogRecord {
    LogRecord::BeginTransaction {
        trx: Trx(trx),
        level,
    }
}

#[test]
fn nested_rollback_is_compensated_and_losers_are_undone() {
    let mut sc = Script::default();
    sc.begin(1, 0).put(1, 1, None, Some(10));
    sc.begin(1, 1).put(1, 2, None, Some(20)).comp(1, 2, None);
    sc.rollback(1, 1);
    sc.begin(1, 1).put(1, 3, None, Some(30));
    // Level 1 commits (not logged); a new level 1 begins and rolls back.
    sc.begin(1, 1).put(1, 4, None, Some(40)).comp(1, 4, None);
    sc.rollback(1, 1).commit(1);
    sc.begin(2, 0)
        .put(2, 5, None, Some(50))
        .put(2, 1, Some(10), Some(11));
    // Trx 3 began rolling back (one compensation logged) when the crash came.
    sc.begin(3, 0)
        .put(3, 6, None, Some(60))
        .put(3, 7, None, Some(70));
    sc.comp(3, 7, None);
    let dir = model_log(&sc.recs);
    let mut m = Model::default();
    let s = recover(&RecoveryOptions::new(dir), &mut m).expect("recover");
    let kv: Vec<(u32, u32)> = m.kv().into_iter().collect();
    assert_eq!(kv, vec![(1, 10), (3, 30)]);
    assert_eq!(s.losers, vec![Trx(2), Trx(3)]);
    assert_eq!(s.transactions_committed, 1);
    assert_eq!(s.levels_rolled_back, 2);
    assert_eq!(s.ops_redone, 11);
    assert_eq!(s.compensations_scanned, 3);
    // Trx 2's two changes and trx 3's one uncompensated change; trx 3's k7 not twice.
    assert_eq!(s.undos_applied, 3);
    assert_eq!(s.dbtime_max.get(&DB), Some(&Dbtime(11)));
    let dirty = ese_pageio::DbHeader {
        state: ese_pageio::DbState::DirtyShutdown,
        ..ese_pageio::DbHeader::new(8192, ese_pageio::Signature::NONE)
    };
    assert!(ese_recovery::needs_recovery(&dirty));
    let clean = ese_recovery::consistent_header(&dirty, DB, &s, s.end.head, Dbtime(14));
    assert!(!ese_recovery::needs_recovery(&clean));
    assert_eq!(clean.dbtime, Dbtime(14));
    assert_eq!(clean.lgpos_consistent, s.end.head);
    assert!(!s.is_torn());
}

#[test]
fn a_compensated_change_is_never_undone_again() {
    // T1 writes k1 on page 1; T2 writes k7 (same page); T1 rolls back (compensated), T2 and
    // then T3 (k1 again) commit. The page on disk already holds T3's write.
    let mut sc = Script::default();
    sc.begin(1, 0).put(1, 1, None, Some(10));
    sc.begin(2, 0).put(2, 7, None, Some(70));
    sc.comp(1, 1, None).rollback(1, 0).commit(2);
    sc.begin(3, 0).put(3, 1, None, Some(12)).commit(3);
    let dir = model_log(&sc.recs);
    let mut m = Model::default();
    m.pages.insert(
        1,
        Page {
            dbtime: 4,
            kv: [(1, 12), (7, 70)].into_iter().collect(),
        },
    );
    let s = recover(&RecoveryOptions::new(dir.clone()), &mut m).expect("recover");
    assert_eq!(m.kv(), [(1, 12), (7, 70)].into_iter().collect());
    assert_eq!(s.undos_applied, 0);
    assert_eq!(s.ops_skipped, 4);
    // From scratch, the same result.
    let mut fresh = Model::default();
    recover(&RecoveryOptions::new(dir), &mut fresh).expect("recover");
    assert_eq!(fresh.kv(), m.kv());
}

#[test]
fn a_page_that_matches_no_record_is_damaged() {
    let mut sc = Script::default();
    sc.begin(1, 0)
        .put(1, 1, None, Some(10))
        .put(1, 1, Some(10), Some(11));
    sc.commit(1);
    let dir = model_log(&sc.recs);
    // The page on disk claims a dbtime no record leads from (a stale or foreign image).
    let mut m = Model::default();
    m.pages.insert(
        1,
        Page {
            dbtime: 0,
            kv: BTreeMap::new(),
        },
    );
    m.pages.get_mut(&1).expect("page").dbtime = 0;
    let ok = recover(&RecoveryOptions::new(dir.clone()), &mut m).expect("exact replay");
    assert_eq!(ok.ops_redone, 2);
    let mut bad = Model::default();
    bad.pages.insert(
        1,
        Page {
            dbtime: 1_000_000,
            kv: BTreeMap::new(),
        },
    );
    let s = recover(&RecoveryOptions::new(dir.clone()), &mut bad).expect("newer page");
    assert_eq!(s.ops_skipped, 2);
    let mut torn = Model::default();
    // Not at the first record's dbtime_before (0), not past it: unverifiable to the end.
    torn.pages.insert(
        1,
        Page {
            dbtime: 0,
            kv: BTreeMap::new(),
        },
    );
    let mut sc2 = Script::default();
    sc2.begin(1, 0)
        .put(1, 1, None, Some(10))
        .put(1, 1, Some(10), Some(11));
    sc2.commit(1);
    let LogRecord::ReplaceNode(op) = &mut sc2.recs[1] else {
        unreachable!("a page op")
    };
    op.dbtime_before = Dbtime(5);
    op.dbtime_after = Dbtime(6);
    let err = recover(&RecoveryOptions::new(model_log(&sc2.recs)), &mut torn)
        .expect_err("a page no record repairs");
    assert_eq!(err.jet_code(), -1018, "{err}");
    assert!(matches!(err, Error::DamagedPage { .. }), "{err}");
}

fn copy_dir(from: &dyn Directory, skip: &str) -> Arc<ese_pageio::MemDirectory> {
    let to = Arc::new(ese_pageio::MemDirectory::new());
    for name in from.list().expect("list") {
        if name == skip {
            continue;
        }
        let src = from.open(&name, false).expect("open");
        let len = src.len().expect("len") as usize;
        let mut buf = vec![0u8; len];
        src.read_at(0, &mut buf).expect("read");
        let dst = to.open(&name, true).expect("create");
        dst.write_at(0, &buf).expect("write");
    }
    to
}

/// A log of several generations with a checkpoint in a later one.
fn multi_generation() -> (Arc<CrashDirectory>, Vec<String>) {
    let dir = Arc::new(CrashDirectory::new());
    let log = Log::open(LogConfig::test_min(dir.clone())).expect("setup");
    let mut sc = Script::default();
    for i in 0..500u64 {
        sc.recs.clear();
        sc.begin(i + 1, 0)
            .put(i + 1, (i % 20) as u32, None, Some(i as u32));
        for r in &sc.recs {
            log.append(r).expect("append");
        }
        log.commit(
            &LogRecord::Commit {
                trx: Trx(i + 1),
                commit_trx: Trx(i + 1000),
            },
            CommitMode::Lazy,
        )
        .expect("commit");
        if i == 375 {
            log.write_checkpoint(log.head()).expect("checkpoint");
        }
    }
    log.flush_all().expect("flush");
    let names = dir.list().expect("list");
    // What the tests below rely on: archived generations up to at least 3, and the
    // checkpoint past generation 1.
    assert!(
        names.contains(&ese_log::format::archive_name("edb", 3)),
        "{names:?}"
    );
    let cp = ese_log::read_checkpoint(&*dir, "edb").expect("checkpoint");
    assert!(cp.lgpos.generation > 1, "{:?}", cp.lgpos);
    (dir, names)
}

#[test]
fn a_missing_generation_the_checkpoint_needs_is_missing_log_file() {
    let (dir, _) = multi_generation();
    let cp = ese_log::read_checkpoint(&*dir, "edb").expect("checkpoint");
    let gen_name = ese_log::format::archive_name("edb", cp.lgpos.generation);
    let image = copy_dir(&*dir, &gen_name);
    let err = recover(&RecoveryOptions::new(image), &mut Model::default()).expect_err("gap");
    assert_eq!(err.jet_code(), -528, "{err}");
    // A generation older than the checkpoint is not needed, given the pages the checkpoint
    // vouches for (here: the final pages, from a recovery of the whole log).
    let mut full = Model::default();
    recover(&RecoveryOptions::new(copy_dir(&*dir, "edb.chk")), &mut full).expect("whole log");
    let image = copy_dir(&*dir, &ese_log::format::archive_name("edb", 1));
    let mut m = Model {
        pages: full.pages.clone(),
        ..Model::default()
    };
    let s = recover(&RecoveryOptions::new(image), &mut m).expect("recover");
    assert!(s.had_checkpoint);
    assert_eq!(m.kv(), full.kv());
    // Without those pages, the records after the checkpoint match no page: damaged.
    let image = copy_dir(&*dir, &ese_log::format::archive_name("edb", 1));
    let err = recover(&RecoveryOptions::new(image), &mut Model::default()).expect_err("pages");
    assert_eq!(err.jet_code(), -1018, "{err}");
}

#[test]
fn a_corrupt_record_before_the_end_is_log_file_corrupt() {
    let (dir, _) = multi_generation();
    let image = copy_dir(&*dir, "");
    let name = ese_log::format::archive_name("edb", 3);
    let f = image.open(&name, false).expect("open");
    let mut b = [0u8; 1];
    f.read_at(3 * 512 + 40, &mut b).expect("read");
    f.write_at(3 * 512 + 40, &[b[0] ^ 0x10]).expect("write");
    let mut opts = RecoveryOptions::new(image);
    let err = recover(&opts, &mut Model::default()).expect_err("corrupt");
    assert_eq!(err.jet_code(), -501, "{err}");
    opts.base_name = "xyz".into();
    let err = recover(&opts, &mut Model::default()).expect_err("no log");
    assert_eq!(err.jet_code(), -528, "{err}");
}

#[test]
fn a_log_of_another_stream_is_bad_log_signature() {
    let (dir, _) = multi_generation();
    let image = copy_dir(&*dir, "");
    let mut opts = RecoveryOptions::new(image.clone());
    opts.expected_log_signature = Some([0xAB; 16]);
    let err = recover(&opts, &mut Model::default()).expect_err("foreign");
    assert_eq!(err.jet_code(), -530, "{err}");
    assert!(matches!(err, Error::BadLogSignature { .. }));
    // The checkpoint of another stream.
    let (other, _) = multi_generation();
    let chk = other.open("edb.chk", false).expect("chk");
    let mut buf = vec![0u8; chk.len().expect("len") as usize];
    chk.read_at(0, &mut buf).expect("read");
    image
        .open("edb.chk", false)
        .expect("chk")
        .write_at(0, &buf)
        .expect("write");
    let err = recover(&RecoveryOptions::new(image), &mut Model::default()).expect_err("foreign");
    assert_eq!(err.jet_code(), -532, "{err}");
}

#[test]
fn a_torn_tail_is_the_end_of_the_log() {
    let dir = Arc::new(CrashDirectory::new());
    let log = Log::open(LogConfig::test_min(dir.clone())).expect("setup");
    let mut sc = Script::default();
    sc.begin(1, 0).put(1, 1, None, Some(1));
    for r in &sc.recs {
        log.append(r).expect("append");
    }
    log.commit(
        &LogRecord::Commit {
            trx: Trx(1),
            commit_trx: Trx(2),
        },
        CommitMode::Durable,
    )
    .expect("commit");
    sc.recs.clear();
    sc.begin(2, 0);
    for i in 0..40 {
        sc.put(2, 2, Some(i), Some(i + 1));
    }
    for r in &sc.recs {
        log.append(r).expect("append");
    }
    log.flush_all().expect("flush");
    let image = copy_dir(&*dir, "");
    // Tear the last flush: zero its last sector's record bytes.
    let f = image.open("edb.log", false).expect("open");
    let mut used = 0;
    let len = f.len().expect("len");
    for s in 1..len / 512 {
        let mut b = [0u8; 512];
        f.read_at(s * 512, &mut b).expect("read");
        if b.iter().any(|&x| x != 0) {
            used = s;
        }
    }
    f.write_at(used * 512 + 100, &[0xFF; 8]).expect("write");
    let mut m = Model::default();
    let s = recover(&RecoveryOptions::new(image), &mut m).expect("a torn tail is not an error");
    assert!(s.is_torn(), "{s:?}");
    assert_eq!(m.kv(), [(1, 1)].into_iter().collect());
}

#[test]
fn closing_losers_keeps_a_later_recovery_from_undoing_newer_work() {
    let dir = Arc::new(CrashDirectory::new());
    let mut sc = Script::default();
    {
        let log = Log::open(LogConfig::test_min(dir.clone())).expect("setup");
        sc.begin(1, 0).put(1, 1, None, Some(10)).commit(1);
        sc.begin(2, 0).put(2, 1, Some(10), Some(20));
        for r in &sc.recs {
            log.append(r).expect("append");
        }
        log.flush_all().expect("flush");
    }
    let opts = RecoveryOptions::new(dir.clone());
    let mut m = Model {
        log: Some(Log::open(LogConfig::test_min(dir.clone())).expect("reopen")),
        ..Model::default()
    };
    let s = recover(&opts, &mut m).expect("recover");
    assert_eq!(s.losers, vec![Trx(2)]);
    assert_eq!(s.undos_applied, 1);
    assert_eq!(m.kv(), [(1, 10)].into_iter().collect());
    {
        let log = m.log.take().expect("log");
        close_losers(&log, &s).expect("close losers");
        // New work on the key the loser had changed, from the page as recovery left it.
        sc.recs.clear();
        sc.dbtime = m.dbtime;
        sc.pages.insert(1, m.pages[&1].dbtime);
        sc.begin(3, 0).put(3, 1, Some(10), Some(30)).commit(3);
        for r in &sc.recs {
            log.append(r).expect("append");
        }
        log.flush_all().expect("flush");
    }
    let s = recover(&opts, &mut m).expect("recover again");
    assert!(s.losers.is_empty(), "{s:?}");
    assert_eq!(m.kv(), [(1, 30)].into_iter().collect());
    let mut fresh = Model::default();
    let s = recover(&opts, &mut fresh).expect("recover from scratch");
    assert_eq!(s.undos_applied, 0, "the recovery's own undo is compensated");
    assert_eq!(fresh.kv(), [(1, 30)].into_iter().collect());
}

#[test]
fn contradictory_transaction_records_are_invalid_logged_operation() {
    let cases: [&[LogRecord]; 6] = [
        &[begin(1, 0), begin(1, 0)],
        &[
            begin(1, 0),
            LogRecord::Rollback {
                trx: Trx(1),
                level: 2,
            },
        ],
        &[begin(1, 0), begin(1, 3)],
        // A rollback record with a change it did not compensate.
        &Script::default()
            .begin(1, 0)
            .put(1, 1, None, Some(1))
            .rollback(1, 0)
            .recs
            .clone(),
        // A compensation with nothing to compensate.
        &Script::default().begin(1, 0).comp(1, 1, None).recs.clone(),
        // A transaction still open that began before the scan.
        &Script::default().put(9, 1, None, Some(1)).recs.clone(),
    ];
    for records in cases {
        let dir = model_log(records);
        let err = recover(&RecoveryOptions::new(dir), &mut Model::default()).expect_err("bad");
        assert_eq!(err.jet_code(), -500, "{err}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn damaged_logs_and_checkpoints_give_errors_not_panics() {
    let (dir, names) = multi_generation();
    let mut rng = Rng(42);
    let (mut ok, mut failed) = (0u32, 0u32);
    for _ in 0..300 {
        let image = copy_dir(&*dir, "");
        let name = &names[rng.below(names.len() as u64) as usize];
        let f = image.open(name, false).expect("open");
        let len = f.len().expect("len");
        let at = rng.below(len);
        let mut b = [0u8; 1];
        f.read_at(at, &mut b).expect("read");
        f.write_at(at, &[b[0] ^ (1 << rng.below(8))])
            .expect("write");
        match recover(&RecoveryOptions::new(image), &mut Model::default()) {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(e.jet_code() < 0, "{e}");
                failed += 1;
            }
        }
    }
    println!("bit flips: {ok} recovered, {failed} refused with an error");
    // Both copies of the checkpoint damaged: JET_errCheckpointCorrupt, not a silent fallback.
    let image = copy_dir(&*dir, "");
    let chk = image.open("edb.chk", false).expect("chk");
    chk.write_at(100, &[0xFF]).expect("write");
    chk.write_at(612, &[0xFF]).expect("write");
    let err = recover(&RecoveryOptions::new(image), &mut Model::default()).expect_err("bad chk");
    assert_eq!(err.jet_code(), -533, "{err}");
}
