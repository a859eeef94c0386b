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

use std::collections::BTreeMap;
use std::sync::Arc;

use ese_core::{DbId, JetErr};
use ese_txn::testing::{MemStore, StoreError};
use ese_txn::{CommitMode, LockKind, NoLog, ObjId, Session, VerConfig, VersionStore};

struct Runner {
    store: MemStore,
    sessions: BTreeMap<String, Session>,
}

fn error_name(code: i32) -> String {
    let symbol = JetErr(code).symbol().unwrap_or("unknown");
    symbol.trim_start_matches("JET_err").to_string()
}

fn outcome<T>(r: Result<T, StoreError>, ok: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => ok(v),
        Err(e) => error_name(e.jet_code()),
    }
}

fn text(v: Option<Vec<u8>>) -> String {
    v.map_or_else(
        || "none".into(),
        |b| String::from_utf8_lossy(&b).into_owned(),
    )
}

impl Runner {
    fn new() -> Self {
        let ver = VersionStore::new(VerConfig::default(), Arc::new(NoLog))
            .expect("the default configuration is valid");
        Runner {
            store: MemStore::new(ver, ObjId::new(DbId(1), 2)),
            sessions: BTreeMap::new(),
        }
    }

    fn setup(&mut self, pairs: &[&str], as_int: bool) {
        let ver = Arc::clone(self.store.version_store());
        let mut s = ver.begin_session();
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
            .or_insert_with(|| store.version_store().begin_session());
        let arg = |i: usize| -> &[u8] { args.get(i).expect("missing argument").as_bytes() };
        let int = |i: usize| -> i64 {
            args.get(i)
                .expect("missing argument")
                .parse()
                .expect("an integer argument")
        };
        let ok = |_| "ok".to_string();
        match op {
            "begin" => outcome(s.begin_transaction().map_err(StoreError::from), ok),
            "begin-read-only" => outcome(
                s.begin_transaction_read_only().map_err(StoreError::from),
                ok,
            ),
            "commit" => outcome(
                store
                    .commit(s, CommitMode::Durable)
                    .map_err(StoreError::from),
                |_| "ok".into(),
            ),
            "commit-lazy" => outcome(
                store.commit(s, CommitMode::Lazy).map_err(StoreError::from),
                |_| "ok".into(),
            ),
            "rollback" => outcome(store.rollback(s).map_err(StoreError::from), ok),
            "rollback-all" => outcome(store.rollback_all(s).map_err(StoreError::from), ok),
            "level" => s.level().to_string(),
            "insert" => outcome(store.insert(s, arg(0), arg(1)), ok),
            "replace" => outcome(store.replace(s, arg(0), arg(1)), ok),
            "replace-int" => outcome(store.replace(s, arg(0), &int(1).to_le_bytes()), ok),
            "delete" => outcome(store.delete(s, arg(0)), ok),
            "get" => text(store.get(s, arg(0))),
            "get-int" => store
                .get_i64(s, arg(0))
                .map_or_else(|| "none".into(), |v| v.to_string()),
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
            "escrow" => outcome(store.escrow_update(s, arg(0), int(1)), ok),
            "lock-read" => outcome(store.get_lock(s, arg(0), LockKind::Read), ok),
            "lock-write" => outcome(store.get_lock(s, arg(0), LockKind::Write), ok),
            "cleanup" => store.cleanup().to_string(),
            other => panic!("unknown op {other}"),
        }
    }
}

fn run(name: &str, script: &str) {
    let mut r = Runner::new();
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
            .version_store()
            .check_invariants()
            .expect("invariants hold after every step");
    }
    assert!(
        steps > 5,
        "{name}: a script with {steps} steps proves little"
    );
}

macro_rules! scripts {
    ($($test:ident => $file:literal,)*) => {$(
        #[test]
        fn $test() {
            run($file, include_str!(concat!("scripts/", $file)));
        }
    )*};
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
