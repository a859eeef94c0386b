//! Changes through a node hint (`BTree::delete_at_latched_with`, `BTree::cleanup_at_latched`,
//! `BTree::get_at_with`): the node is changed where a cursor (or the flag-delete) found it
//! when that leaf still holds it, and found by a descent when the tree moved on (the leaf
//! split, merged, was freed, or its nodes moved). Either way the change is the one a
//! descent makes: two twin trees, one changed through hints and one by key, log the same
//! records.

use ese_btree::testing::TestDb;
use ese_btree::{BTree, NodeHint, SeekOp};
use ese_core::rng::SplitMix64;
use ese_core::{Pgno, Trx};
use ese_log::LogRecord;
use ese_pageio::PageFlags;

const TRX: Trx = Trx(7);

fn k(i: u32) -> Vec<u8> {
    format!("key{i:06}").into_bytes()
}

fn data(i: u32) -> Vec<u8> {
    vec![i as u8; 40 + (i % 50) as usize]
}

/// One database and tree, filled with the even keys below `2 * rows`.
struct Twin {
    env: TestDb,
    tree: BTree,
}

#[allow(clippy::unwrap_used)] // test helpers: a failure is the test failing
impl Twin {
    fn new(rows: u32, cache_pages: usize) -> Twin {
        let env = TestDb::new(4096, cache_pages, 16, true).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        for i in 0..rows {
            tree.insert(Trx::MIN, &k(2 * i), &data(2 * i)).unwrap();
        }
        Twin { env, tree }
    }

    /// Where a cursor seeking `key` finds it.
    fn hint(&self, key: &[u8]) -> NodeHint {
        let mut c = self.tree.cursor();
        assert_eq!(
            c.seek(key, SeekOp::Eq).unwrap().map(|e| e.key),
            Some(key.to_vec())
        );
        c.node_hint().unwrap()
    }

    /// Flag-deletes `key` through `hint` (or by key); returns the leaf `first` was shown.
    fn delete(&self, key: &[u8], hint: Option<&NodeHint>) -> Pgno {
        let latch = self.tree.write_latch();
        let mut leaf = Pgno::NULL;
        self.tree
            .delete_at_latched_with::<ese_btree::Error>(&latch, TRX, key, hint, |node, at| {
                assert_eq!(node.map(|n| n.key.as_slice()), Some(key));
                leaf = at;
                Ok(())
            })
            .unwrap();
        leaf
    }

    fn cleanup(&self, key: &[u8], hint: Option<&NodeHint>) -> bool {
        let latch = self.tree.write_latch();
        self.tree.cleanup_at_latched(&latch, key, hint).unwrap()
    }

    /// Inserts the odd keys `from..from + n` (splitting the leaves there).
    fn crowd(&self, from: u32, n: u32) {
        for i in from..from + n {
            let key = 2 * i + 1;
            let _ = self.tree.insert(Trx::MIN, &k(key), &data(key));
        }
    }

    /// Removes the even keys `from..from + n` at once (merging or freeing the leaves there).
    fn thin(&self, from: u32, n: u32) {
        for i in from..from + n {
            let _ = self.tree.delete_now(Trx::MIN, &k(2 * i));
        }
    }
}

/// Asserts that the twins logged the same page changes and hold the same live keys. Page
/// images are left out: which pages the cache wrote (so which first changes log an image)
/// depends on the reads each twin made.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn assert_same(a: &Twin, b: &Twin) {
    let changes = |t: &Twin| {
        let mut r = t.env.log.records();
        r.retain(|r| !matches!(r, LogRecord::PageImage(_)));
        r
    };
    let (ra, rb) = (changes(a), changes(b));
    assert_eq!(
        ra.len(),
        rb.len(),
        "the twins logged different numbers of records"
    );
    for (i, (x, y)) in ra.iter().zip(&rb).enumerate() {
        assert_eq!(x, y, "record {i} differs");
    }
    a.tree.check_invariants().unwrap();
    b.tree.check_invariants().unwrap();
    let keys = |t: &Twin| {
        let mut c = t.tree.cursor();
        let mut out = Vec::new();
        let mut e = c.first().unwrap();
        while let Some(x) = e {
            out.push(x.key);
            e = c.move_next().unwrap();
        }
        out
    };
    assert_eq!(keys(a), keys(b));
}

#[test]
fn a_delete_through_an_unchanged_leaf_needs_no_descent_and_logs_what_a_descent_does() {
    let (a, b) = (Twin::new(3000, 256), Twin::new(3000, 256));
    assert!(a.tree.check_invariants().unwrap().depth >= 2);
    let mut rng = SplitMix64::new(11);
    for _ in 0..300 {
        let key = k(2 * rng.below(3000) as u32);
        if a.tree.get(&key).unwrap().is_none() {
            continue;
        }
        let hint = a.hint(&key);
        let before = a.env.cache.stats().hits;
        let leaf = a.delete(&key, Some(&hint));
        let hinted = a.env.cache.stats().hits - before;
        let before = b.env.cache.stats().hits;
        let by_key = b.delete(&key, None);
        let descended = b.env.cache.stats().hits - before;
        assert_eq!(leaf, hint.pgno());
        assert_eq!(leaf, by_key);
        // The descent reads the root (and any internal pages) first; the hint only the leaf.
        assert!(
            hinted < descended,
            "{hinted} pins through the hint, {descended} by key"
        );
        assert_eq!(a.tree.get(&key).unwrap(), None);
    }
    assert_same(&a, &b);
}

#[test]
fn a_delete_after_its_leaf_split_changed_or_emptied_acts_on_its_own_key() {
    let (a, b) = (Twin::new(2000, 256), Twin::new(2000, 256));
    let mut rng = SplitMix64::new(12);
    for round in 0..200u32 {
        let i = 20 + rng.below(1900) as u32;
        let key = k(2 * i);
        if a.tree.get(&key).unwrap().is_none() {
            continue;
        }
        let hint = a.hint(&key);
        // Between the seek and the delete the leaf changes under the hint, on both twins.
        match round % 4 {
            // Keys inserted around it: the leaf splits, the key may move to a new page.
            0 => {
                a.crowd(i - 10, 20);
                b.crowd(i - 10, 20);
            }
            // One key inserted just before it: its index on the leaf moves by one.
            1 => {
                a.crowd(i - 1, 1);
                b.crowd(i - 1, 1);
            }
            // Its neighbours removed: the leaf may merge with its sibling or be freed.
            2 => {
                a.thin(i - 15, 15);
                b.thin(i - 15, 15);
                a.thin(i + 1, 15);
                b.thin(i + 1, 15);
            }
            _ => {}
        }
        let leaf = a.delete(&key, Some(&hint));
        assert_eq!(leaf, b.delete(&key, None), "round {round}");
        assert_eq!(a.tree.get(&key).unwrap(), None);
    }
    assert_same(&a, &b);
}

#[test]
fn cleanup_through_the_delete_leaf_removes_the_node_a_descent_would_and_merges_the_same() {
    let (a, b) = (Twin::new(3000, 256), Twin::new(3000, 256));
    let mut rng = SplitMix64::new(13);
    let mut queued = Vec::new();
    // Runs of neighbours are deleted too, so removals leave leaves under-full to merge or free.
    for round in 0..600u32 {
        let i = rng.below(3000) as u32;
        for j in i..(i + if round % 3 == 0 { 12 } else { 1 }).min(3000) {
            let key = k(2 * j);
            if a.tree.get(&key).unwrap().is_none() {
                continue;
            }
            let leaf = a.delete(&key, None);
            assert_eq!(leaf, b.delete(&key, None));
            queued.push((key, leaf));
        }
        // Between the flag-deletes and their cleanup the tree keeps changing.
        if round % 50 == 49 {
            let at = rng.below(2900) as u32;
            a.crowd(at, 40);
            b.crowd(at, 40);
        }
    }
    let mut removed = 0;
    for (key, leaf) in &queued {
        let hint = NodeHint::leaf(ese_btree::testing::TestDb::DB, a.tree.objid(), *leaf);
        let ra = a.cleanup(key, Some(&hint));
        assert_eq!(ra, b.cleanup(key, None));
        removed += usize::from(ra);
    }
    assert_eq!(removed, queued.len());
    assert_same(&a, &b);
}

#[test]
fn reads_and_changes_through_hints_survive_eviction_and_foreign_hints() {
    // Eight frames: the hinted leaf's frame is taken by other pages between seek and change.
    let (a, b) = (Twin::new(2000, 8), Twin::new(2000, 8));
    let other = BTree::create(&a.env.db, 3, PageFlags::NONE).unwrap();
    let twin_other = BTree::create(&b.env.db, 3, PageFlags::NONE).unwrap();
    for i in 0..500 {
        other.insert(Trx::MIN, &k(2 * i), &data(i)).unwrap();
        twin_other.insert(Trx::MIN, &k(2 * i), &data(i)).unwrap();
    }
    let mut rng = SplitMix64::new(14);
    for round in 0..200u32 {
        let key = k(2 * rng.below(2000) as u32);
        if a.tree.get(&key).unwrap().is_none() {
            continue;
        }
        let hint = a.hint(&key);
        let far = k(2 * ((rng.below(2000) as u32 + 1000) % 2000));
        assert!(a.tree.seek(&far, SeekOp::Ge).unwrap().is_some());
        assert!(b.tree.seek(&far, SeekOp::Ge).unwrap().is_some());
        // A hint of another tree (the same keys live there) is ignored.
        let foreign = {
            let mut c = other.cursor();
            c.seek(&k(2 * (round % 500)), SeekOp::Eq)
                .unwrap()
                .map(|_| c.node_hint().unwrap())
        };
        let got = a
            .tree
            .get_at_with(&key, Some(&hint), |n| n.map(|n| n.payload.clone()))
            .unwrap();
        assert_eq!(got, b.tree.get(&key).unwrap());
        let foreign_key = k(2 * (round % 500));
        if a.tree.get(&foreign_key).unwrap().is_some() {
            let leaf = a.delete(&foreign_key, foreign.as_ref());
            assert_eq!(leaf, b.delete(&foreign_key, None));
            assert!(
                other.get(&foreign_key).unwrap().is_some(),
                "the other tree was changed"
            );
        }
        if a.tree.get(&key).unwrap().is_some() {
            a.delete(&key, Some(&hint));
            b.delete(&key, None);
        }
    }
    assert!(a.env.cache.stats().evictions > 100);
    assert_same(&a, &b);
}

#[test]
fn a_hint_to_a_key_gone_from_its_leaf_finds_nothing_and_changes_nothing() {
    let a = Twin::new(2000, 256);
    for i in (100..1900).step_by(97) {
        let key = k(2 * i);
        let hint = a.hint(&key);
        // The key goes (its neighbours stay on the leaf, at and past its index).
        a.tree.delete_now(Trx::MIN, &key).unwrap();
        let logged = a.env.log.record_count();
        let latch = a.tree.write_latch();
        let mut shown = None;
        let result = a.tree.delete_at_latched_with::<ese_btree::Error>(
            &latch,
            TRX,
            &key,
            Some(&hint),
            |n, _| {
                shown = Some(n.cloned());
                Ok(())
            },
        );
        assert!(
            matches!(result, Err(ese_btree::Error::RecordNotFound)),
            "{result:?}"
        );
        assert_eq!(shown, Some(None), "the delete was shown another node");
        assert!(
            !a.tree
                .cleanup_at_latched(&latch, &key, Some(&hint))
                .unwrap()
        );
        drop(latch);
        let read = a
            .tree
            .get_at_with(&key, Some(&hint), |n| n.cloned())
            .unwrap();
        assert_eq!(read, None);
        assert_eq!(a.env.log.record_count(), logged, "a change was logged");
        assert!(a.tree.get(&k(2 * i + 2)).unwrap().is_some());
    }
    a.tree.check_invariants().unwrap();
}
