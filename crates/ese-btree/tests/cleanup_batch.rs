//! Batched cleanup (`BTree::cleanup_batch_latched`): against a `BTreeMap` model of live and
//! flag-deleted nodes, a batch removes exactly its flag-deleted keys the version store no
//! longer holds, through fresh or stale leaf hints, and leaves live, missing and held keys
//! alone; the nodes one leaf loses go in one logged change of that leaf.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ese_btree::redo::decode_ops;
use ese_btree::testing::TestDb;
use ese_btree::{BTree, DatabaseConfig, Error, LineOp, NodeHint, VersionCheck};
use ese_core::{Pgno, Trx};
use ese_log::LogRecord;
use ese_pageio::PageFlags;
use parking_lot::Mutex;
use proptest::prelude::*;

const PAGE: usize = 4096;
const OBJID: u32 = 2;

fn k(i: u32) -> Vec<u8> {
    format!("key{i:06}").into_bytes()
}

fn data(i: u32, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i as usize + j / 5) as u8).collect()
}

/// A version store that holds exactly the keys it is told to.
#[derive(Debug, Default)]
struct Held(Mutex<BTreeSet<Vec<u8>>>);

impl VersionCheck for Held {
    fn may_modify(&self, _objid: u32, _key: &[u8], _trx: Trx) -> Result<(), Error> {
        Ok(())
    }

    fn has_uncommitted_version(&self, objid: u32, key: &[u8]) -> bool {
        objid == OBJID && self.0.lock().contains(key)
    }
}

/// A database whose version store is `held`, with one tree.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn setup(cache_pages: usize, held: &Arc<Held>) -> (TestDb, BTree) {
    let config = DatabaseConfig {
        extension_pages: 16,
        ..DatabaseConfig::new(TestDb::DB, PAGE)
    };
    let env = TestDb::with_versions(config, cache_pages, true, held.clone()).unwrap();
    let tree = BTree::create(&env.db, OBJID, PageFlags::NONE).unwrap();
    (env, tree)
}

/// Flag-deletes `key`, returning the leaf it stays on.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn flag_delete(tree: &BTree, key: &[u8]) -> Result<Pgno, Error> {
    let latch = tree.write_latch();
    let mut leaf = Pgno::NULL;
    tree.delete_at_latched_with::<Error>(&latch, Trx(3), key, None, |_, at| {
        leaf = at;
        Ok(())
    })?;
    Ok(leaf)
}

/// Every live key and its data, by a scan.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn scan(tree: &BTree) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut c = tree.cursor();
    let mut out = Vec::new();
    let mut e = c.first().unwrap();
    while let Some(x) = e {
        out.push((x.key, x.data));
        e = c.move_next().unwrap();
    }
    out
}

/// The page changes logged since `from` (images left out: which pages are clean depends on
/// the cache).
fn changes_since(env: &TestDb, from: usize) -> Vec<LogRecord> {
    let mut r = env.log.records().split_off(from);
    r.retain(|r| !matches!(r, LogRecord::PageImage(_)));
    r
}

#[derive(Clone, Debug)]
struct Round {
    /// Keys to insert, with their data's length.
    inserts: Vec<(u16, u16)>,
    /// Keys to flag-delete.
    deletes: Vec<u16>,
    /// Flag-deleted keys the version store holds, by their place among them.
    holds: Vec<u16>,
    /// Keys of the batch, whatever they are.
    batch: Vec<u16>,
    /// Of each five flag-deleted keys (by key), how many join the batch too.
    sweep: u16,
    /// Whether the batch's keys carry the leaf they were flag-deleted on.
    hints: bool,
}

const KEYS: u16 = 2000;

fn round() -> impl Strategy<Value = Round> {
    (
        proptest::collection::vec(
            (0..KEYS, prop_oneof![3 => 0u16..60, 1 => 0u16..600]),
            0..800,
        ),
        proptest::collection::vec(0..KEYS, 0..800),
        proptest::collection::vec(any::<u16>(), 0..40),
        proptest::collection::vec(0..KEYS, 0..300),
        0u16..=5,
        any::<bool>(),
    )
        .prop_map(|(inserts, deletes, holds, batch, sweep, hints)| Round {
            inserts,
            deletes,
            holds,
            batch,
            sweep,
            hints,
        })
}

/// The model: each key's data and whether it is flag-deleted.
type Model = BTreeMap<Vec<u8>, (Vec<u8>, bool)>;

#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn run(rounds: &[Round]) -> Result<(), TestCaseError> {
    let held = Arc::new(Held::default());
    let (env, tree) = setup(32, &held);
    let mut model = Model::new();
    let mut leaves: BTreeMap<Vec<u8>, Pgno> = BTreeMap::new();
    for (n, r) in rounds.iter().enumerate() {
        for &(i, len) in &r.inserts {
            let (key, v) = (k(u32::from(i)), data(u32::from(i) + n as u32, len.into()));
            let got = tree.insert(Trx::MIN, &key, &v);
            match model.get(&key) {
                Some((_, false)) => {
                    prop_assert!(matches!(got, Err(Error::KeyDuplicate)), "{:?}", got);
                }
                _ => {
                    prop_assert!(got.is_ok(), "insert: {:?}", got);
                    model.insert(key, (v, false));
                }
            }
        }
        for &i in &r.deletes {
            let key = k(u32::from(i));
            let got = flag_delete(&tree, &key);
            match model.get_mut(&key) {
                Some((_, deleted @ false)) => {
                    *deleted = true;
                    leaves.insert(key, got.unwrap());
                }
                _ => prop_assert!(matches!(got, Err(Error::RecordNotFound)), "{:?}", got),
            }
        }
        let deleted: Vec<u16> = (0..KEYS)
            .filter(|&i| matches!(model.get(&k(u32::from(i))), Some((_, true))))
            .collect();
        *held.0.lock() = r
            .holds
            .iter()
            .filter(|_| !deleted.is_empty())
            .map(|&h| k(u32::from(deleted[usize::from(h) % deleted.len()])))
            .collect();
        let swept = deleted.iter().filter(|&&i| i % 5 < r.sweep);
        let keys: BTreeSet<Vec<u8>> = r
            .batch
            .iter()
            .chain(swept)
            .map(|&i| k(u32::from(i)))
            .collect();
        let batch: Vec<(&[u8], Option<NodeHint>)> = keys
            .iter()
            .map(|key| {
                // Hints of the flag-delete's leaf, which later changes may have made stale.
                let hint = leaves
                    .get(key)
                    .filter(|_| r.hints)
                    .map(|&leaf| NodeHint::leaf(TestDb::DB, OBJID, leaf));
                (key.as_slice(), hint)
            })
            .collect();
        let expected: Vec<Vec<u8>> = keys
            .iter()
            .filter(|key| {
                matches!(model.get(*key), Some((_, true))) && !held.0.lock().contains(*key)
            })
            .cloned()
            .collect();
        let removed = tree
            .cleanup_batch_latched(&tree.write_latch(), &batch)
            .unwrap();
        prop_assert_eq!(removed, expected.len());
        for key in &expected {
            model.remove(key);
        }

        let stats = tree.check_invariants();
        prop_assert!(stats.is_ok(), "round {}: {:?}", n, stats);
        let stats = stats.unwrap();
        let deleted = model.values().filter(|(_, d)| *d).count() as u64;
        prop_assert_eq!(stats.live_nodes, model.len() as u64 - deleted);
        prop_assert_eq!(stats.deleted_nodes, deleted);
        let live: Vec<(Vec<u8>, Vec<u8>)> = model
            .iter()
            .filter(|(_, (_, d))| !d)
            .map(|(key, (v, _))| (key.clone(), v.clone()))
            .collect();
        prop_assert!(scan(&tree) == live, "round {}: the live keys differ", n);
        let latch = tree.read_latch();
        for key in model.iter().filter(|(_, (_, d))| *d).map(|e| e.0) {
            let node = tree.node_latched(&latch, key).unwrap();
            prop_assert!(
                node.is_some_and(|n| n.flags.contains(ese_btree::node::NodeFlags::DELETED)),
                "{:?} should still be flag-deleted",
                key
            );
        }
    }
    env.db.check_space(&[&tree]).unwrap();
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(8),
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_batch_removes_exactly_its_deleted_unheld_keys(
        rounds in proptest::collection::vec(round(), 4..16),
    ) {
        run(&rounds)?;
    }
}

/// A tree of `rows` keys with 40 bytes of data each, on a cache big enough to hold it.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn filled(rows: u32) -> (TestDb, BTree) {
    let (env, tree) = setup(512, &Arc::new(Held::default()));
    for i in 0..rows {
        tree.insert(Trx::MIN, &k(i), &data(i, 40)).unwrap();
    }
    (env, tree)
}

/// Flag-deletes up to `n` keys from `from` on, all on the leaf of `from`: their keys.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn delete_on_one_leaf(tree: &BTree, from: u32, n: usize) -> (Pgno, Vec<Vec<u8>>) {
    let leaf = flag_delete(tree, &k(from)).unwrap();
    let mut keys = vec![k(from)];
    let mut i = from + 1;
    while keys.len() < n {
        let key = k(i);
        assert_eq!(
            flag_delete(tree, &key).unwrap(),
            leaf,
            "{n} keys from {from} span leaves"
        );
        keys.push(key);
        i += 1;
    }
    (leaf, keys)
}

#[test]
fn the_nodes_one_leaf_loses_are_one_logged_change() {
    for n in [1usize, 2, 6, 12] {
        let (env, tree) = filled(2000);
        assert!(tree.check_invariants().unwrap().depth >= 2);
        let (leaf, keys) = delete_on_one_leaf(&tree, 1000, n);
        // Every second one named by its leaf, the others found by a descent.
        let batch: Vec<(&[u8], Option<NodeHint>)> = keys
            .iter()
            .enumerate()
            .map(|(j, key)| {
                let hint = (j % 2 == 0).then(|| NodeHint::leaf(TestDb::DB, OBJID, leaf));
                (key.as_slice(), hint)
            })
            .collect();
        let from = env.log.record_count();
        let latch = tree.write_latch();
        assert_eq!(tree.cleanup_batch_latched(&latch, &batch).unwrap(), n);
        drop(latch);
        let changes = changes_since(&env, from);
        assert_eq!(changes.len(), 1, "{n} removals: {changes:?}");
        let LogRecord::DeleteNode(op) = &changes[0] else {
            panic!("not a node delete: {:?}", changes[0]);
        };
        assert_eq!(op.pgno, leaf);
        let ops = decode_ops(&op.payload, op.pgno).unwrap();
        let lines: Vec<u16> = ops
            .iter()
            .map(|o| match o {
                LineOp::Delete(line) => *line,
                other => panic!("not a line delete: {other:?}"),
            })
            .collect();
        assert_eq!(lines.len(), n);
        assert!(lines.windows(2).all(|w| w[0] > w[1]), "{lines:?}");
        // The deleted keys were consecutive, so their lines are too.
        assert_eq!(lines[0] - lines[n - 1], n as u16 - 1);
        let stats = tree.check_invariants().unwrap();
        assert_eq!(
            (stats.live_nodes, stats.deleted_nodes),
            (2000 - n as u64, 0)
        );
        for key in &keys {
            assert!(
                tree.node_latched(&tree.read_latch(), key)
                    .unwrap()
                    .is_none()
            );
        }
    }
}

#[test]
fn one_key_at_a_time_logs_one_change_per_key_and_ends_at_the_same_tree() {
    let (a, ta) = filled(2000);
    let (b, tb) = filled(2000);
    let (_, keys) = delete_on_one_leaf(&ta, 1000, 6);
    delete_on_one_leaf(&tb, 1000, 6);
    let (fa, fb) = (a.log.record_count(), b.log.record_count());
    let batch: Vec<(&[u8], Option<NodeHint>)> = keys.iter().map(|k| (&k[..], None)).collect();
    assert_eq!(
        ta.cleanup_batch_latched(&ta.write_latch(), &batch).unwrap(),
        6
    );
    for key in &keys {
        assert!(tb.cleanup_at_latched(&tb.write_latch(), key, None).unwrap());
    }
    assert_eq!(changes_since(&a, fa).len(), 1);
    assert_eq!(changes_since(&b, fb).len(), 6);
    assert!(scan(&ta) == scan(&tb));
}

#[test]
fn a_batch_over_many_leaves_logs_at_most_one_call_per_leaf_and_merges_them() {
    let (env, tree) = filled(3000);
    let before = tree.check_invariants().unwrap();
    assert!(before.leaf_pages > 20);
    // Nine keys in ten: most leaves fall under a quarter full and merge, some empty.
    let mut keys = Vec::new();
    let mut hints = BTreeMap::new();
    for i in (0..3000).filter(|i| i % 10 != 3) {
        let leaf = flag_delete(&tree, &k(i)).unwrap();
        hints.insert(k(i), leaf);
        keys.push(k(i));
    }
    let batch: Vec<(&[u8], Option<NodeHint>)> = keys
        .iter()
        .map(|key| {
            let hint = NodeHint::leaf(TestDb::DB, OBJID, hints[key]);
            (key.as_slice(), Some(hint))
        })
        .collect();
    let frames = env.log.frames().len();
    let removed = tree
        .cleanup_batch_latched(&tree.write_latch(), &batch)
        .unwrap();
    assert_eq!(removed, keys.len());
    // One frame per leaf changed, at most (page images, which depend on the cache, aside).
    let calls = env.log.frames()[frames..]
        .iter()
        .filter(|f| !matches!(f, LogRecord::PageImage(_)))
        .count();
    assert!(
        calls <= before.leaf_pages as usize,
        "{calls} frames for {} leaves",
        before.leaf_pages
    );
    let after = tree.check_invariants().unwrap();
    assert_eq!((after.live_nodes, after.deleted_nodes), (300, 0));
    // Visited from the last leaf back, each under-full leaf merged into its already thinned
    // right sibling: what is left is packed, not spread over as many leaves as before.
    assert!(after.leaf_fill() > 0.5, "{after:?}");
    let want: Vec<Vec<u8>> = (0..3000).filter(|i| i % 10 == 3).map(k).collect();
    assert_eq!(
        scan(&tree).into_iter().map(|e| e.0).collect::<Vec<_>>(),
        want
    );
    env.db.check_space(&[&tree]).unwrap();
}

#[test]
fn an_unsorted_batch_is_refused_and_changes_nothing() {
    let (env, tree) = filled(200);
    for i in [5, 6] {
        flag_delete(&tree, &k(i)).unwrap();
    }
    let from = env.log.record_count();
    let (k5, k6) = (k(5), k(6));
    for batch in [
        vec![(&k6[..], None), (&k5[..], None)],
        vec![(&k5[..], None), (&k5[..], None)],
    ] {
        let got = tree.cleanup_batch_latched(&tree.write_latch(), &batch);
        assert!(matches!(got, Err(Error::InvalidParameter(_))), "{got:?}");
    }
    assert_eq!(env.log.record_count(), from);
    assert_eq!(tree.check_invariants().unwrap().deleted_nodes, 2);
}
