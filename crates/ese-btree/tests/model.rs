//! The tree against a `BTreeMap` model: random inserts, replaces, deletes (flagged, cleaned up
//! at once or later), seeks and scans, keys of 1 to 255 bytes and values of 0 to 2,000 bytes,
//! 10,000 operations per case on a 16-page cache, with every invariant checked after each
//! batch of 500 operations, on 4 KiB or 8 KiB pages. CI runs eight cases; set PROPTEST_CASES for more.

use std::collections::BTreeMap;

use ese_btree::fuzz::model_seek;
use ese_btree::testing::TestDb;
use ese_btree::{BTree, Error, SeekOp};
use ese_core::Trx;
use ese_pageio::PageFlags;
use proptest::prelude::*;

const OPS_PER_CASE: usize = 10_000;
const BATCH: usize = 500;

#[derive(Clone, Debug)]
enum KeySpec {
    New(Vec<u8>),
    Existing(u32),
}

#[derive(Clone, Debug)]
enum Op {
    Insert(KeySpec, usize, u8),
    Replace(KeySpec, usize, u8),
    Delete(KeySpec, bool),
    CleanupAll,
    Seek(KeySpec, u8),
    Scan(KeySpec, u8, bool),
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    let prefixes: [&'static [u8]; 4] = [b"", b"user/", b"user/0000/", &[b'x'; 200]];
    (0usize..4, proptest::collection::vec(any::<u8>(), 1..=255)).prop_map(move |(p, tail)| {
        let mut k = prefixes[p].to_vec();
        k.extend(tail);
        k.truncate(255);
        k
    })
}

fn key_spec() -> impl Strategy<Value = KeySpec> {
    prop_oneof![
        1 => key().prop_map(KeySpec::New),
        1 => any::<u32>().prop_map(KeySpec::Existing),
    ]
}

fn value_len() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 0usize..64, 2 => 0usize..=2000]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (key_spec(), value_len(), any::<u8>()).prop_map(|(k, l, b)| Op::Insert(k, l, b)),
        2 => (key_spec(), value_len(), any::<u8>()).prop_map(|(k, l, b)| Op::Replace(k, l, b)),
        3 => (key_spec(), any::<bool>()).prop_map(|(k, c)| Op::Delete(k, c)),
        1 => Just(Op::CleanupAll),
        2 => (key_spec(), any::<u8>()).prop_map(|(k, o)| Op::Seek(k, o)),
        1 => (key_spec(), any::<u8>(), any::<bool>()).prop_map(|(k, n, f)| Op::Scan(k, n, f)),
    ]
}

fn resolve(spec: &KeySpec, model: &BTreeMap<Vec<u8>, Vec<u8>>) -> Vec<u8> {
    match spec {
        KeySpec::New(k) => k.clone(),
        KeySpec::Existing(i) if !model.is_empty() => model
            .keys()
            .nth(*i as usize % model.len())
            .cloned()
            .unwrap_or_default(),
        KeySpec::Existing(i) => vec![*i as u8],
    }
}

fn value(len: usize, b: u8) -> Vec<u8> {
    (0..len).map(|i| b.wrapping_add((i / 7) as u8)).collect()
}

#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn run(page_size: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    // 4 KiB databases use small space-map groups, so the model also crosses map pages.
    let config = ese_btree::DatabaseConfig {
        extension_pages: 16,
        space_group_pages: if page_size == 4096 { 64 } else { 0 },
        ..ese_btree::DatabaseConfig::new(TestDb::DB, page_size)
    };
    let env = TestDb::with_config(config, 16, false).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut flagged: Vec<Vec<u8>> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        match op {
            Op::Insert(k, l, b) => {
                let k = resolve(k, &model);
                let v = value(*l, *b);
                let r = tree.insert(Trx::MIN, &k, &v);
                match model.entry(k) {
                    std::collections::btree_map::Entry::Occupied(_) => {
                        prop_assert!(matches!(r, Err(Error::KeyDuplicate)), "{:?}", r);
                    }
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        prop_assert!(r.is_ok(), "insert: {:?}", r);
                        slot.insert(v);
                    }
                }
            }
            Op::Replace(k, l, b) => {
                let k = resolve(k, &model);
                let v = value(*l, *b);
                let r = tree.replace(Trx::MIN, &k, &v);
                if let Some(slot) = model.get_mut(&k) {
                    prop_assert!(r.is_ok(), "replace: {:?}", r);
                    *slot = v;
                } else {
                    prop_assert!(matches!(r, Err(Error::RecordNotFound)), "{:?}", r);
                }
            }
            Op::Delete(k, now) => {
                let k = resolve(k, &model);
                let r = tree.delete(Trx::MIN, &k);
                if model.remove(&k).is_some() {
                    prop_assert!(r.is_ok(), "delete: {:?}", r);
                    if *now {
                        prop_assert!(tree.cleanup(&k).unwrap());
                    } else {
                        flagged.push(k);
                    }
                } else {
                    prop_assert!(matches!(r, Err(Error::RecordNotFound)), "{:?}", r);
                }
            }
            Op::CleanupAll => {
                for k in flagged.drain(..) {
                    // A key re-inserted since its delete is live again and stays.
                    let removed = tree.cleanup(&k).unwrap();
                    prop_assert_eq!(removed, !model.contains_key(&k));
                }
            }
            Op::Seek(k, o) => {
                let k = resolve(k, &model);
                let sop =
                    [SeekOp::Eq, SeekOp::Lt, SeekOp::Le, SeekOp::Ge, SeekOp::Gt][*o as usize % 5];
                let got = tree.seek(&k, sop).unwrap();
                let want = model_seek(&model, &k, sop);
                prop_assert_eq!(
                    got.as_ref().map(|e| e.key.clone()),
                    want.clone(),
                    "seek {:?}",
                    sop
                );
                if let (Some(e), Some(w)) = (got, want) {
                    prop_assert_eq!(Some(&e.data), model.get(&w));
                }
            }
            Op::Scan(k, steps, forward) => {
                let k = resolve(k, &model);
                let mut c = tree.cursor();
                let sop = if *forward { SeekOp::Ge } else { SeekOp::Le };
                let mut e = c.seek(&k, sop).unwrap();
                let want: Vec<Vec<u8>> = if *forward {
                    model
                        .range(k.clone()..)
                        .take(*steps as usize % 40 + 1)
                        .map(|e| e.0.clone())
                        .collect()
                } else {
                    model
                        .range(..=k.clone())
                        .rev()
                        .take(*steps as usize % 40 + 1)
                        .map(|e| e.0.clone())
                        .collect()
                };
                let mut got = Vec::new();
                while let Some(x) = e {
                    got.push(x.key);
                    if got.len() == want.len() {
                        break;
                    }
                    e = if *forward {
                        c.move_next()
                    } else {
                        c.move_prev()
                    }
                    .unwrap();
                }
                prop_assert_eq!(got, want);
            }
        }
        if (n + 1) % BATCH == 0 {
            let stats = tree.check_invariants();
            prop_assert!(stats.is_ok(), "after {} ops: {:?}", n + 1, stats);
            let stats = stats.unwrap();
            prop_assert_eq!(stats.live_nodes, model.len() as u64);
        }
    }
    for k in flagged.drain(..) {
        tree.cleanup(&k).unwrap();
    }
    let stats = tree.check_invariants().unwrap();
    prop_assert_eq!(stats.live_nodes, model.len() as u64);
    prop_assert_eq!(stats.deleted_nodes, 0);
    println!(
        "{} ops on {} B pages: {} rows, depth {}, {} leaves, {} internal, fill {:.1}%, cache {:?}",
        ops.len(),
        page_size,
        stats.live_nodes,
        stats.depth,
        stats.leaf_pages,
        stats.internal_pages,
        stats.leaf_fill() * 100.0,
        env.cache.stats()
    );
    env.db.check_space(&[&tree]).unwrap();
    let mut c = tree.cursor();
    let mut e = c.first().unwrap();
    let mut all = Vec::new();
    while let Some(x) = e {
        all.push((x.key, x.data));
        e = c.move_next().unwrap();
    }
    prop_assert!(
        all == model.into_iter().collect::<Vec<_>>(),
        "full scan differs"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(8),
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    #[test]
    fn tree_matches_a_btreemap_model(
        size in 0usize..2,
        ops in proptest::collection::vec(op(), OPS_PER_CASE),
    ) {
        run([4096, 8192][size], &ops)?;
    }
}
