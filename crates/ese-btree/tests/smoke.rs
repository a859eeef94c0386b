//! Quick end-to-end checks of the tree against a model.

use std::collections::BTreeMap;

use ese_btree::testing::TestDb;
use ese_btree::{BTree, SeekOp};
use ese_core::Trx;
use ese_pageio::PageFlags;

#[test]
fn sequential_and_random_inserts_then_deletes() {
    let env = TestDb::new(4096, 16, 8, false).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    let mut model = BTreeMap::new();
    let mut x: u64 = 12345;
    for i in 0..3000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let key = if i % 2 == 0 {
            format!("seq{i:08}").into_bytes()
        } else {
            format!("rnd{:016x}", x).into_bytes()
        };
        let val = vec![(i % 251) as u8; (x % 300) as usize];
        tree.insert(Trx::MIN, &key, &val).unwrap();
        model.insert(key, val);
        if i % 500 == 0 {
            tree.check_invariants().unwrap();
        }
    }
    let stats = tree.check_invariants().unwrap();
    assert_eq!(stats.live_nodes, model.len() as u64);
    for (k, v) in &model {
        assert_eq!(tree.get(k).unwrap().as_ref(), Some(v));
    }
    let mut c = tree.cursor();
    let mut got = Vec::new();
    let mut e = c.first().unwrap();
    while let Some(x) = e {
        got.push(x.key);
        e = c.move_next().unwrap();
    }
    assert_eq!(got, model.keys().cloned().collect::<Vec<_>>());
    let keys: Vec<Vec<u8>> = model.keys().cloned().collect();
    for (i, k) in keys.iter().enumerate() {
        tree.delete_now(Trx::MIN, k).unwrap();
        model.remove(k);
        if i % 300 == 0 {
            tree.check_invariants().unwrap();
            env.db.check_space(&[&tree]).unwrap();
        }
    }
    let stats = tree.check_invariants().unwrap();
    assert_eq!(stats.live_nodes, 0);
    assert_eq!(stats.depth, 1);
    env.db.check_space(&[&tree]).unwrap();
    assert_eq!(tree.seek(b"m", SeekOp::Ge).unwrap(), None);
}

#[test]
fn long_keys_grow_three_levels_and_shrink_back() {
    let env = TestDb::new(4096, 16, 8, false).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    let mut x: u64 = 99;
    let mut keys = Vec::new();
    for i in 0..4000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // 255-byte keys that differ early, so separators stay long and internal pages fill.
        let mut key = format!("{x:020}").into_bytes();
        key.resize(255, b'.');
        tree.insert(Trx::MIN, &key, &[i as u8; 20]).unwrap();
        keys.push(key);
    }
    let grown = tree.check_invariants().unwrap();
    assert!(grown.depth >= 3, "{grown:?}");
    for (i, key) in keys.iter().enumerate().rev() {
        tree.delete_now(Trx::MIN, key).unwrap();
        if i % 250 == 0 {
            let s = tree.check_invariants().unwrap();
            assert_eq!(s.live_nodes, i as u64);
            env.db.check_space(&[&tree]).unwrap();
        }
    }
    let s = tree.check_invariants().unwrap();
    assert_eq!((s.depth, s.leaf_pages, s.internal_pages), (1, 1, 0));
    assert_eq!(
        env.db
            .pages_in_use()
            .unwrap()
            .iter()
            .filter(|&&u| u)
            .count(),
        3
    );
}
