//! Property test: a `VersionedTree` over a real B-tree against `MemStore`, the in-memory model
//! of the same protocol, under random multi-session workloads (inserts, replaces, deletes,
//! escrow updates, locks, nested begins, commits, rollbacks, cleanup).
//!
//! Both sides run the same operations with their own version store; after every step they
//! must have returned the same outcome, every session must see the same records (through a
//! cursor scan and through point reads), and the nodes as stored, flag-deleted ones included,
//! must be the same. Keys are long so that the tree splits and merges.

// Each test binary uses part of the shared helpers; they unwrap as tests do.
#[allow(dead_code)]
#[cfg(test)]
mod common;

use std::sync::Arc;

use common::VStore;
use ese_core::DbId;
use ese_txn::testing::MemStore;
use ese_txn::{CommitMode, LockKind, NoLog, ObjId, Session, VerConfig, VersionStore};
use proptest::prelude::*;

const SESSIONS: usize = 3;
const KEYS: u8 = 40;

#[derive(Clone, Debug)]
enum Op {
    Begin(usize),
    Commit(usize, bool),
    Rollback(usize),
    RollbackAll(usize),
    Insert(usize, u8, i64),
    Replace(usize, u8, i64),
    Delete(usize, u8),
    Escrow(usize, u8, i64),
    Lock(usize, u8, bool),
    Cleanup,
}

fn op() -> impl Strategy<Value = Op> {
    let s = 0..SESSIONS;
    let k = 0..KEYS;
    let v = -100i64..100;
    prop_oneof![
        4 => s.clone().prop_map(Op::Begin),
        2 => (s.clone(), any::<bool>()).prop_map(|(s, lazy)| Op::Commit(s, lazy)),
        2 => s.clone().prop_map(Op::Rollback),
        1 => s.clone().prop_map(Op::RollbackAll),
        12 => (s.clone(), k.clone(), v.clone()).prop_map(|(s, k, v)| Op::Insert(s, k, v)),
        3 => (s.clone(), k.clone(), v.clone()).prop_map(|(s, k, v)| Op::Replace(s, k, v)),
        2 => (s.clone(), k.clone()).prop_map(|(s, k)| Op::Delete(s, k)),
        2 => (s.clone(), k.clone(), v).prop_map(|(s, k, d)| Op::Escrow(s, k, d)),
        1 => (s, k, any::<bool>()).prop_map(|(s, k, w)| Op::Lock(s, k, w)),
        1 => Just(Op::Cleanup),
    ]
}

/// A 200-byte key, so that a 4 KiB page holds about eighteen nodes.
fn key(k: u8) -> Vec<u8> {
    let mut out = format!("k{k:03}").into_bytes();
    out.resize(200, b'.');
    out
}

struct Pair {
    model: MemStore,
    tree: VStore,
    sessions: Vec<(Session, Session)>,
}

impl Pair {
    fn new() -> Pair {
        let config = VerConfig::default();
        let mver = VersionStore::new(config, Arc::new(NoLog)).expect("a valid configuration");
        let tver = VersionStore::new(config, Arc::new(NoLog)).expect("a valid configuration");
        let sessions = (0..SESSIONS)
            .map(|_| (mver.begin_session(), tver.begin_session()))
            .collect();
        Pair {
            model: MemStore::new(mver, ObjId::new(DbId(2), 7)),
            tree: VStore::new(tver),
            sessions,
        }
    }

    /// Runs `op` on both sides; returns both outcomes as JET codes (0 for success).
    fn apply(&mut self, op: &Op) -> (i32, i32) {
        let code = |r: Result<(), i32>| r.err().unwrap_or(0);
        let Pair {
            model,
            tree,
            sessions,
        } = self;
        let mut both = |s: usize,
                        m: &mut dyn FnMut(&mut Session) -> Result<(), i32>,
                        t: &mut dyn FnMut(&mut Session) -> Result<(), i32>| {
            let (ms, ts) = &mut sessions[s];
            (code(m(ms)), code(t(ts)))
        };
        match *op {
            Op::Begin(s) => both(
                s,
                &mut |x| x.begin_transaction().map_err(|e| e.jet_code()),
                &mut |x| x.begin_transaction().map_err(|e| e.jet_code()),
            ),
            Op::Commit(s, lazy) => {
                let mode = if lazy {
                    CommitMode::Lazy
                } else {
                    CommitMode::Durable
                };
                both(
                    s,
                    &mut |x| model.commit(x, mode).map(|_| ()).map_err(|e| e.jet_code()),
                    &mut |x| tree.commit(x, mode).map_err(|e| e.jet_code()),
                )
            }
            Op::Rollback(s) => both(
                s,
                &mut |x| model.rollback(x).map_err(|e| e.jet_code()),
                &mut |x| tree.rollback(x).map_err(|e| e.jet_code()),
            ),
            Op::RollbackAll(s) => both(
                s,
                &mut |x| model.rollback_all(x).map_err(|e| e.jet_code()),
                &mut |x| tree.rollback_all(x).map_err(|e| e.jet_code()),
            ),
            Op::Insert(s, k, v) => both(
                s,
                &mut |x| {
                    model
                        .insert(x, &key(k), &v.to_le_bytes())
                        .map_err(|e| e.jet_code())
                },
                &mut |x| {
                    tree.insert(x, &key(k), &v.to_le_bytes())
                        .map_err(|e| e.jet_code())
                },
            ),
            Op::Replace(s, k, v) => both(
                s,
                &mut |x| {
                    model
                        .replace(x, &key(k), &v.to_le_bytes())
                        .map_err(|e| e.jet_code())
                },
                &mut |x| {
                    tree.replace(x, &key(k), &v.to_le_bytes())
                        .map_err(|e| e.jet_code())
                },
            ),
            Op::Delete(s, k) => both(
                s,
                &mut |x| model.delete(x, &key(k)).map_err(|e| e.jet_code()),
                &mut |x| tree.delete(x, &key(k)).map_err(|e| e.jet_code()),
            ),
            Op::Escrow(s, k, d) => both(
                s,
                &mut |x| model.escrow_update(x, &key(k), d).map_err(|e| e.jet_code()),
                &mut |x| {
                    tree.escrow(x, &key(k), d)
                        .map(|_| ())
                        .map_err(|e| e.jet_code())
                },
            ),
            Op::Lock(s, k, write) => {
                let kind = if write {
                    LockKind::Write
                } else {
                    LockKind::Read
                };
                both(
                    s,
                    &mut |x| model.get_lock(x, &key(k), kind).map_err(|e| e.jet_code()),
                    &mut |x| tree.lock(x, &key(k), kind).map_err(|e| e.jet_code()),
                )
            }
            Op::Cleanup => {
                let m = model.cleanup();
                let t = tree.cleanup();
                (m as i32, t as i32)
            }
        }
    }

    /// Every session's view, and the stored nodes, agree.
    fn compare(&self, step: usize, point_reads: bool) -> Result<(), TestCaseError> {
        for (i, (ms, ts)) in self.sessions.iter().enumerate() {
            let m = self.model.scan(ms, b"", b"\xff");
            let t = self.tree.scan(ts, b"", b"\xff");
            prop_assert_eq!(&m, &t, "step {}: session {} scans differ", step, i);
            prop_assert_eq!(ms.level(), ts.level(), "step {}: levels differ", step);
            if point_reads {
                for k in 0..KEYS {
                    let m = self.model.get(ms, &key(k));
                    let t = self.tree.get(ts, &key(k));
                    prop_assert_eq!(m, t, "step {}: session {} get {}", step, i, k);
                }
            }
        }
        let m: Vec<_> = self
            .model
            .nodes()
            .into_iter()
            .map(|(k, n)| (k, (n.data, n.is_deleted)))
            .collect();
        let t: Vec<_> = self.tree.raw().into_iter().collect();
        prop_assert_eq!(m, t, "step {}: stored nodes differ", step);
        self.model
            .version_store()
            .check_invariants()
            .map_err(TestCaseError::fail)?;
        self.tree
            .ver()
            .check_invariants()
            .map_err(TestCaseError::fail)?;
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn versioned_tree_matches_the_model(ops in prop::collection::vec(op(), 1..300)) {
        let mut pair = Pair::new();
        for (step, op) in ops.iter().enumerate() {
            let (m, t) = pair.apply(op);
            prop_assert_eq!(m, t, "step {}: {:?} returned differently", step, op);
            pair.compare(step, step % 4 == 0)?;
        }
        // End every transaction, clean up, and compare once more: nothing is left behind.
        for s in 0..SESSIONS {
            let (m, t) = pair.apply(&Op::RollbackAll(s));
            prop_assert_eq!(m, t);
        }
        let (m, t) = pair.apply(&Op::Cleanup);
        prop_assert_eq!(m, t);
        pair.compare(ops.len(), true)?;
        pair.tree.tree.tree().check_invariants().map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
}
