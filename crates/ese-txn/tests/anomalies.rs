//! Isolation anomaly scripts, one per anomaly, read as data from `tests/scripts/`.
//!
//! A script is a list of steps, one per line: `<session> <op> [args] [-> expected]`, where
//! sessions are named freely (`s1`, `s2`, ...) and created on first use, and `expected`
//! defaults to `ok`. `#` starts a comment. Results are `ok`, `none` (no such record), a value,
//! a scan's `k=v,k=v` (or `empty`), a level, or an error named by its JET symbol without the
//! `JET_err` prefix (`WriteConflict`). `setup k=v ...` and `setup-int k=n ...` insert and
//! commit rows before the interesting part.
//!
//! Ops: begin, begin-read-only, commit, commit-lazy, rollback, rollback-all, level,
//! insert k v, replace k v, replace-int k n, delete k, get k, get-int k, scan from to,
//! escrow k n, lock-read k, lock-write k, cleanup.
//!
//! Every script runs twice: against `MemStore`, the in-memory model of the protocol, and
//! against a `VersionedTree` over a real B-tree (`common::VStore`), with the same expected
//! outcomes.

// Each test binary uses part of the shared helpers; they unwrap as tests do.
#[allow(dead_code)]
#[cfg(test)]
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::VStore;
use ese_core::{DbId, JetErr};
use ese_txn::testing::MemStore;
use ese_txn::{CommitMode, LockKind, NoLog, ObjId, Session, VerConfig, VersionStore};

/// The calls a script makes, answered by either store; errors are JET codes.
trait Store {
    fn ver(&self) -> Arc<VersionStore>;
    fn insert(&self, s: &mut Session, k: &[u8], v: &[u8]) -> Result<(), i32>;
    fn replace(&self, s: &mut Session, k: &[u8], v: &[u8]) -> Result<(), i32>;
    fn delete(&self, s: &mut Session, k: &[u8]) -> Result<(), i32>;
    fn escrow(&self, s: &mut Session, k: &[u8], d: i64) -> Result<(), i32>;
    fn lock(&self, s: &mut Session, k: &[u8], kind: LockKind) -> Result<(), i32>;
    fn get(&self, s: &Session, k: &[u8]) -> Option<Vec<u8>>;
    fn scan(&self, s: &Session, from: &[u8], to: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)>;
    fn commit(&self, s: &mut Session, mode: CommitMode) -> Result<(), i32>;
    fn rollback(&self, s: &mut Session) -> Result<(), i32>;
    fn rollback_all(&self, s: &mut Session) -> Result<(), i32>;
    fn cleanup(&self) -> usize;
}

impl Store for MemStore {
    fn ver(&self) -> Arc<VersionStore> {
        Arc::clone(self.version_store())
    }
    fn insert(&self, s: &mut Session, k: &[u8], v: &[u8]) -> Result<(), i32> {
        MemStore::insert(self, s, k, v).map_err(|e| e.jet_code())
    }
    fn replace(&self, s: &mut Session, k: &[u8], v: &[u8]) -> Result<(), i32> {
        MemStore::replace(self, s, k, v).map_err(|e| e.jet_code())
    }
    fn delete(&self, s: &mut Session, k: &[u8]) -> Result<(), i32> {
        MemStore::delete(self, s, k).map_err(|e| e.jet_code())
    }
    fn escrow(&self, s: &mut Session, k: &[u8], d: i64) -> Result<(), i32> {
        self.escrow_update(s, k, d).map_err(|e| e.jet_code())
    }
    fn lock(&self, s: &mut Session, k: &[u8], kind: LockKind) -> Result<(), i32> {
        self.get_lock(s, k, kind).map_err(|e| e.jet_code())
    }
    fn get(&self, s: &Session, k: &[u8]) -> Option<Vec<u8>> {
        MemStore::get(self, s, k)
    }
    fn scan(&self, s: &Session, from: &[u8], to: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        MemStore::scan(self, s, from, to)
    }
    fn commit(&self, s: &mut Session, mode: CommitMode) -> Result<(), i32> {
        MemStore::commit(self, s, mode)
            .map(|_| ())
            .map_err(|e| e.jet_code())
    }
    fn rollback(&self, s: &mut Session) -> Result<(), i32> {
        MemStore::rollback(self, s).map_err(|e| e.jet_code())
    }
    fn rollback_all(&self, s: &mut Session) -> Result<(), i32> {
        MemStore::rollback_all(self, s).map_err(|e| e.jet_code())
    }
    fn cleanup(&self) -> usize {
        MemStore::cleanup(self)
    }
}

impl Store for VStore {
    fn ver(&self) -> Arc<VersionStore> {
        Arc::clone(VStore::ver(self))
    }
    fn insert(&self, s: &mut Session, k: &[u8], v: &[u8]) -> Result<(), i32> {
        VStore::insert(self, s, k, v).map_err(|e| e.jet_code())
    }
    fn replace(&self, s: &mut Session, k: &[u8], v: &[u8]) -> Result<(), i32> {
        VStore::replace(self, s, k, v).map_err(|e| e.jet_code())
    }
    fn delete(&self, s: &mut Session, k: &[u8]) -> Result<(), i32> {
        VStore::delete(self, s, k).map_err(|e| e.jet_code())
    }
    fn escrow(&self, s: &mut Session, k: &[u8], d: i64) -> Result<(), i32> {
        VStore::escrow(self, s, k, d)
            .map(|_| ())
            .map_err(|e| e.jet_code())
    }
    fn lock(&self, s: &mut Session, k: &[u8], kind: LockKind) -> Result<(), i32> {
        VStore::lock(self, s, k, kind).map_err(|e| e.jet_code())
    }
    fn get(&self, s: &Session, k: &[u8]) -> Option<Vec<u8>> {
        VStore::get(self, s, k)
    }
    fn scan(&self, s: &Session, from: &[u8], to: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        VStore::scan(self, s, from, to)
    }
    fn commit(&self, s: &mut Session, mode: CommitMode) -> Result<(), i32> {
        VStore::commit(self, s, mode).map_err(|e| e.jet_code())
    }
    fn rollback(&self, s: &mut Session) -> Result<(), i32> {
        VStore::rollback(self, s).map_err(|e| e.jet_code())
    }
    fn rollback_all(&self, s: &mut Session) -> Result<(), i32> {
        VStore::rollback_all(self, s).map_err(|e| e.jet_code())
    }
    fn cleanup(&self) -> usize {
        VStore::cleanup(self)
    }
}

struct Runner {
    store: Box<dyn Store>,
    sessions: BTreeMap<String, Session>,
}

fn error_name(code: i32) -> String {
    let symbol = JetErr(code).symbol().unwrap_or("unknown");
    symbol.trim_start_matches("JET_err").to_string()
}

fn outcome(r: Result<(), i32>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(code) => error_name(code),
    }
}

fn text(v: Option<Vec<u8>>) -> String {
    v.map_or_else(
        || "none".into(),
        |b| String::from_utf8_lossy(&b).into_owned(),
    )
}

impl Runner {
    fn new(on_tree: bool) -> Self {
        let ver = VersionStore::new(VerConfig::default(), Arc::new(NoLog))
            .expect("the default configuration is valid");
        let store: Box<dyn Store> = if on_tree {
            Box::new(VStore::new(ver))
        } else {
            Box::new(MemStore::new(ver, ObjId::new(DbId(1), 2)))
        };
        Runner {
            store,
            sessions: BTreeMap::new(),
        }
    }

    fn setup(&mut self, pairs: &[&str], as_int: bool) {
        let mut s = self.store.ver().begin_session();
        for pair in pairs {
            let (k, v) = pair.split_once('=').expect("setup takes k=v pairs");
            let value = if as_int {
                v.parse::<i64>()
                    .expect("setup-int takes integers")
                    .to_le_bytes()
                    .to_vec()
            } else {
                v.as_bytes().to_vec()
            };
            self.store
                .insert(&mut s, k.as_bytes(), &value)
                .expect("setup rows insert");
        }
    }

    fn step(&mut self, who: &str, op: &str, args: &[&str]) -> String {
        let Runner { store, sessions } = self;
        let s = sessions
            .entry(who.to_string())
            .or_insert_with(|| store.ver().begin_session());
        let arg = |i: usize| -> &[u8] { args.get(i).expect("missing argument").as_bytes() };
        let int = |i: usize| -> i64 {
            args.get(i)
                .expect("missing argument")
                .parse()
                .expect("an integer argument")
        };
        let get_int = |v: Option<Vec<u8>>| {
            v.and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
                .map_or_else(|| "none".into(), |b| i64::from_le_bytes(b).to_string())
        };
        match op {
            "begin" => outcome(s.begin_transaction().map_err(|e| e.jet_code())),
            "begin-read-only" => outcome(s.begin_transaction_read_only().map_err(|e| e.jet_code())),
            "commit" => outcome(store.commit(s, CommitMode::Durable)),
            "commit-lazy" => outcome(store.commit(s, CommitMode::Lazy)),
            "rollback" => outcome(store.rollback(s)),
            "rollback-all" => outcome(store.rollback_all(s)),
            "level" => s.level().to_string(),
            "insert" => outcome(store.insert(s, arg(0), arg(1))),
            "replace" => outcome(store.replace(s, arg(0), arg(1))),
            "replace-int" => outcome(store.replace(s, arg(0), &int(1).to_le_bytes())),
            "delete" => outcome(store.delete(s, arg(0))),
            "get" => text(store.get(s, arg(0))),
            "get-int" => get_int(store.get(s, arg(0))),
            "scan" => {
                let rows = store.scan(s, arg(0), arg(1));
                if rows.is_empty() {
                    "empty".into()
                } else {
                    rows.iter()
                        .map(|(k, v)| {
                            format!(
                                "{}={}",
                                String::from_utf8_lossy(k),
                                String::from_utf8_lossy(v)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                }
            }
            "escrow" => outcome(store.escrow(s, arg(0), int(1))),
            "lock-read" => outcome(store.lock(s, arg(0), LockKind::Read)),
            "lock-write" => outcome(store.lock(s, arg(0), LockKind::Write)),
            "cleanup" => store.cleanup().to_string(),
            other => panic!("unknown op {other}"),
        }
    }
}

fn run(name: &str, script: &str, on_tree: bool) {
    let mut r = Runner::new(on_tree);
    let mut steps = 0;
    for (n, raw) in script.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (action, expected) = match line.split_once("->") {
            Some((a, e)) => (a.trim(), e.trim()),
            None => (line, "ok"),
        };
        let words: Vec<&str> = action.split_whitespace().collect();
        match words[0] {
            "setup" => r.setup(&words[1..], false),
            "setup-int" => r.setup(&words[1..], true),
            who => {
                let got = r.step(who, words[1], &words[2..]);
                assert_eq!(got, expected, "{name}:{}: `{}`", n + 1, raw.trim());
                steps += 1;
            }
        }
        r.store
            .ver()
            .check_invariants()
            .expect("invariants hold after every step");
    }
    assert!(
        steps > 5,
        "{name}: a script with {steps} steps proves little"
    );
}

macro_rules! scripts {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run($file, include_str!(concat!("scripts/", $file)), false);
            }
        )*
        /// The same scripts against a `VersionedTree` over a real B-tree.
        mod on_tree {
            use super::run;
            $(
                #[test]
                fn $test() {
                    run($file, include_str!(concat!("scripts/", $file)), true);
                }
            )*
        }
    };
}

scripts! {
    dirty_read_is_prevented => "dirty_read.txt",
    non_repeatable_read_is_prevented => "non_repeatable_read.txt",
    phantom_is_prevented => "phantom.txt",
    lost_update_is_prevented => "lost_update.txt",
    write_skew_is_allowed => "write_skew.txt",
    write_skew_is_prevented_by_locks => "write_skew_locked.txt",
    escrow_updates_commute => "escrow.txt",
    nesting_follows_the_reference => "nesting.txt",
}
