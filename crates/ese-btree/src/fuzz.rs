//! Bodies of the fuzz targets in `fuzz/fuzz_targets/`, kept here so they build on stable and
//! the corpus is replayed by an ordinary test.

use std::collections::BTreeMap;

use ese_core::Trx;
use ese_pageio::PageFlags;

use crate::cursor::SeekOp;
use crate::testing::TestDb;
use crate::tree::BTree;

/// Target `btree_ops`: a random sequence of inserts, replaces, deletes, cleanups, seeks and
/// scans on a tree with 4 KiB pages and a 16-page cache, checked against a `BTreeMap` model,
/// with the tree's invariants checked every 32 operations and at the end. Panics on any
/// disagreement.
pub fn ops(data: &[u8]) {
    let env = TestDb::new(4096, 16, 8, false).expect("a memory database opens");
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).expect("an empty tree is created");
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut flagged: Vec<Vec<u8>> = Vec::new();
    let mut bytes = data.iter().copied();
    let mut step = 0usize;
    while let (Some(op), Some(k1), Some(k2), Some(v)) =
        (bytes.next(), bytes.next(), bytes.next(), bytes.next())
    {
        // Keys from a small alphabet collide often; lengths 1..=64, the tail repeating.
        let key_len = usize::from(k2 % 64) + 1;
        let key: Vec<u8> = (0..key_len)
            .map(|i| b'a' + ((usize::from(k1) * 7 + i * usize::from(k2 | 1)) % 5) as u8)
            .collect();
        let value = vec![v; usize::from(v) * 3 % 1500];
        match op % 8 {
            0..=2 => {
                let r = tree.insert(Trx::MIN, &key, &value);
                if let std::collections::btree_map::Entry::Vacant(e) = model.entry(key.clone()) {
                    r.expect("insert of a new key");
                    e.insert(value);
                } else {
                    assert!(matches!(r, Err(crate::Error::KeyDuplicate)), "{r:?}");
                }
            }
            3 => {
                let r = tree.replace(Trx::MIN, &key, &value);
                if let Some(slot) = model.get_mut(&key) {
                    r.expect("replace of a present key");
                    *slot = value;
                } else {
                    assert!(matches!(r, Err(crate::Error::RecordNotFound)), "{r:?}");
                }
            }
            4 => {
                let r = tree.delete(Trx::MIN, &key);
                if model.remove(&key).is_some() {
                    r.expect("delete of a present key");
                    if v % 2 == 0 {
                        assert!(tree.cleanup(&key).expect("cleanup"));
                    } else {
                        flagged.push(key.clone());
                    }
                } else {
                    assert!(matches!(r, Err(crate::Error::RecordNotFound)), "{r:?}");
                }
            }
            5 => {
                for k in flagged.drain(..) {
                    tree.cleanup(&k).expect("cleanup");
                }
            }
            6 => {
                let ops = [SeekOp::Eq, SeekOp::Lt, SeekOp::Le, SeekOp::Ge, SeekOp::Gt];
                let sop = ops[usize::from(v) % 5];
                let got = tree.seek(&key, sop).expect("seek").map(|e| e.key);
                assert_eq!(got, model_seek(&model, &key, sop), "seek {sop:?}");
            }
            _ => {
                let mut c = tree.cursor();
                let mut got = Vec::new();
                let mut e = if v % 2 == 0 { c.first() } else { c.last() }.expect("move");
                while let Some(x) = e {
                    got.push(x.key);
                    e = if v % 2 == 0 {
                        c.move_next()
                    } else {
                        c.move_prev()
                    }
                    .expect("move");
                }
                let mut want: Vec<Vec<u8>> = model.keys().cloned().collect();
                if v % 2 == 1 {
                    want.reverse();
                }
                assert_eq!(got, want, "scan");
            }
        }
        step += 1;
        if step % 32 == 0 {
            tree.check_invariants().expect("invariants hold");
        }
    }
    let stats = tree.check_invariants().expect("invariants hold");
    assert_eq!(stats.live_nodes, model.len() as u64);
    env.db.check_space(&[&tree]).expect("space is consistent");
}

/// What a seek finds in a `BTreeMap` model.
pub fn model_seek(model: &BTreeMap<Vec<u8>, Vec<u8>>, key: &[u8], op: SeekOp) -> Option<Vec<u8>> {
    use std::ops::Bound::{Excluded, Included, Unbounded};
    let k = key.to_vec();
    match op {
        SeekOp::Eq => model.get(key).map(|_| k),
        SeekOp::Lt => model
            .range((Unbounded, Excluded(k)))
            .next_back()
            .map(|e| e.0.clone()),
        SeekOp::Le => model
            .range((Unbounded, Included(k)))
            .next_back()
            .map(|e| e.0.clone()),
        SeekOp::Ge => model
            .range((Included(k), Unbounded))
            .next()
            .map(|e| e.0.clone()),
        SeekOp::Gt => model
            .range((Excluded(k), Unbounded))
            .next()
            .map(|e| e.0.clone()),
    }
}

#[cfg(test)]
mod tests {
    /// Replays the checked-in corpus of the `btree_ops` fuzz target.
    #[test]
    fn corpus_replays() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/btree_ops");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("the corpus directory exists") {
            let path = entry.expect("a corpus entry").path();
            super::ops(&std::fs::read(&path).expect("a corpus file"));
            n += 1;
        }
        assert!(n >= 3, "only {n} corpus files in {}", dir.display());
    }
}
