//! Cursor semantics, positions and counts, the version-store trait, limits, space growth and
//! corruption detection.

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ese_btree::testing::TestDb;
use ese_btree::{
    BTree, Database, DatabaseConfig, Error, SeekOp, UndoInfo, VersionCheck, data_most_bytes,
};
use ese_core::{Pgno, Trx};
use ese_pageio::{PageFlags, Storage};

fn k(i: u32) -> Vec<u8> {
    format!("key{i:06}").into_bytes()
}

#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn filled(rows: u32, page: usize) -> (TestDb, BTree) {
    let env = TestDb::new(page, 16, 8, false).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    for i in 0..rows {
        // Even keys only, so odd keys are gaps for the seeks.
        tree.insert(Trx::MIN, &k(2 * i), &vec![i as u8; (i % 90) as usize])
            .unwrap();
    }
    (env, tree)
}

#[test]
fn seeks_follow_the_five_operators_across_pages() {
    let (_env, tree) = filled(3000, 4096);
    assert!(tree.check_invariants().unwrap().depth >= 2);
    let key = |e: Option<ese_btree::Entry>| e.map(|e| e.key);
    // (probe, op, expected)
    let cases: Vec<(Vec<u8>, SeekOp, Option<Vec<u8>>)> = vec![
        (k(100), SeekOp::Eq, Some(k(100))),
        (k(101), SeekOp::Eq, None),
        (k(101), SeekOp::Lt, Some(k(100))),
        (k(100), SeekOp::Lt, Some(k(98))),
        (k(100), SeekOp::Le, Some(k(100))),
        (k(101), SeekOp::Le, Some(k(100))),
        (k(101), SeekOp::Ge, Some(k(102))),
        (k(100), SeekOp::Ge, Some(k(100))),
        (k(100), SeekOp::Gt, Some(k(102))),
        (k(0), SeekOp::Lt, None),
        (b"a".to_vec(), SeekOp::Ge, Some(k(0))),
        (k(5998), SeekOp::Gt, None),
        (b"z".to_vec(), SeekOp::Le, Some(k(5998))),
    ];
    for (probe, op, want) in cases {
        assert_eq!(key(tree.seek(&probe, op).unwrap()), want, "{op:?}");
    }
    // Moving both ways over every page boundary visits every record once.
    let mut c = tree.cursor();
    assert_eq!(key(c.last().unwrap()), Some(k(5998)));
    let mut n = 1;
    while c.move_prev().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 3000);
    assert_eq!(
        key(c.move_next().unwrap()),
        Some(k(0)),
        "from no record, next is first"
    );
}

#[test]
fn bookmarks_survive_changes_around_them() {
    let (_env, tree) = filled(2000, 4096);
    let mut c = tree.cursor();
    c.seek(&k(1000), SeekOp::Eq).unwrap();
    let bm = c.bookmark().unwrap();
    // Splits and merges around the bookmarked record do not lose it.
    for i in 0..400 {
        tree.insert(Trx::MIN, &k(2 * 500 + 1 + 2 * i), &[7; 80])
            .unwrap();
    }
    for i in 0..300 {
        tree.delete_now(Trx::MIN, &k(2 * i)).unwrap();
    }
    let e = c.move_next().unwrap().unwrap();
    assert_eq!(
        e.key,
        k(1001),
        "the cursor re-seeks from its bookmark after the page changed"
    );
    let mut c2 = tree.cursor();
    assert_eq!(c2.goto_bookmark(&bm).unwrap().unwrap().key, bm);
    tree.check_invariants().unwrap();
}

#[test]
fn positions_and_range_counts() {
    let (_env, tree) = filled(4000, 4096);
    let mut last = -1.0;
    for i in (0..4000).step_by(97) {
        let f = tree.approximate_position(&k(2 * i)).unwrap();
        assert!(f >= last, "positions grow with keys");
        assert!((f - f64::from(i) / 4000.0).abs() < 0.05, "key {i} at {f}");
        last = f;
    }
    for frac in [0.0, 0.25, 0.5, 0.75, 0.999, 1.0] {
        let e = tree.cursor().goto_position(frac).unwrap().unwrap();
        let back = tree.approximate_position(&e.key).unwrap();
        assert!((back - frac).abs() < 0.05, "{frac} -> {back}");
    }
    let cases = [
        (Bound::Included(k(100)), Bound::Excluded(k(200)), 50),
        (Bound::Included(k(100)), Bound::Included(k(200)), 51),
        (Bound::Excluded(k(100)), Bound::Included(k(201)), 50),
        (Bound::Unbounded, Bound::Unbounded, 4000),
        (Bound::Included(k(7999)), Bound::Unbounded, 0),
    ];
    for (lo, hi, want) in cases {
        let lo = lo.as_ref().map(|v| v.as_slice());
        let hi = hi.as_ref().map(|v| v.as_slice());
        assert_eq!(tree.count_range(lo, hi).unwrap(), want, "{lo:?} {hi:?}");
    }
}

/// A version store that can refuse changes and pin deleted nodes.
#[derive(Default)]
struct Gate {
    refuse: AtomicBool,
    pinned: AtomicBool,
}

impl VersionCheck for Gate {
    fn may_modify(&self, _objid: u32, _key: &[u8], _trx: Trx) -> Result<(), Error> {
        if self.refuse.load(Ordering::SeqCst) {
            Err(Error::WriteConflict)
        } else {
            Ok(())
        }
    }
    fn has_uncommitted_version(&self, _objid: u32, _key: &[u8]) -> bool {
        self.pinned.load(Ordering::SeqCst)
    }
}

#[test]
fn the_version_store_is_asked_before_anything_is_logged() {
    let env = TestDb::new(4096, 16, 8, true).unwrap();
    let gate = Arc::new(Gate::default());
    let db = Database::open(
        env.cache.clone(),
        env.log.clone(),
        None,
        DatabaseConfig::new(TestDb::DB, 4096),
    )
    .unwrap()
    .with_versions(gate.clone());
    let db = Arc::new(db);
    let tree = BTree::create(&db, 5, PageFlags::NONE).unwrap();
    tree.insert(Trx(3), b"a", b"1").unwrap();
    gate.refuse.store(true, Ordering::SeqCst);
    let logged = env.log.record_count();
    assert!(matches!(
        tree.insert(Trx(4), b"b", b"2"),
        Err(Error::WriteConflict)
    ));
    assert!(matches!(
        tree.replace(Trx(4), b"a", b"2"),
        Err(Error::WriteConflict)
    ));
    assert!(matches!(
        tree.delete(Trx(4), b"a"),
        Err(Error::WriteConflict)
    ));
    assert_eq!(
        env.log.record_count(),
        logged,
        "a refused change logs nothing"
    );
    gate.refuse.store(false, Ordering::SeqCst);
    tree.delete(Trx(3), b"a").unwrap();
    assert_eq!(
        tree.get(b"a").unwrap(),
        None,
        "a flag-deleted node is invisible"
    );
    gate.pinned.store(true, Ordering::SeqCst);
    assert!(
        !tree.cleanup(b"a").unwrap(),
        "a node a snapshot needs stays"
    );
    assert_eq!(tree.check_invariants().unwrap().deleted_nodes, 1);
    gate.pinned.store(false, Ordering::SeqCst);
    assert!(tree.cleanup(b"a").unwrap());
    assert_eq!(tree.check_invariants().unwrap().deleted_nodes, 0);
    // Re-inserting over a flag-deleted node revives it.
    tree.insert(Trx(3), b"c", b"1").unwrap();
    tree.delete(Trx(3), b"c").unwrap();
    tree.insert(Trx(3), b"c", b"2").unwrap();
    assert_eq!(tree.get(b"c").unwrap().as_deref(), Some(&b"2"[..]));
}

#[test]
fn keys_and_data_at_their_limits() {
    for page in [4096usize, 8192, 32768] {
        let env = TestDb::new(page, 16, 8, false).unwrap();
        let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
        let kmax = tree.key_most_bytes();
        assert_eq!(kmax, ese_core::limits::key_most_bytes(page));
        let dmax = data_most_bytes(page, kmax);
        for i in 0..12u8 {
            let mut key = vec![i; kmax];
            key[kmax - 1] = 255 - i;
            tree.insert(Trx::MIN, &key, &vec![i; dmax]).unwrap();
        }
        assert!(matches!(
            tree.insert(Trx::MIN, &vec![1; kmax + 1], b""),
            Err(Error::KeyTooLong { .. })
        ));
        assert!(matches!(
            tree.insert(Trx::MIN, b"", b""),
            Err(Error::KeyTooLong { .. })
        ));
        assert!(matches!(
            tree.insert(Trx::MIN, b"k", &vec![0; data_most_bytes(page, 1) + 1]),
            Err(Error::DataTooLong { .. })
        ));
        let s = tree.check_invariants().unwrap();
        assert_eq!(s.live_nodes, 12);
        assert!(s.depth >= 2);
    }
}

#[test]
fn the_file_grows_in_chunks_of_the_extension_size() {
    let page = 4096u64;
    let env = TestDb::new(4096, 16, 8, false).unwrap();
    assert_eq!(env.db.page_count(), 8);
    assert_eq!(env.storage.len().unwrap(), 9 * page);
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    for i in 0..2000 {
        tree.insert(Trx::MIN, &k(i), &[1; 100]).unwrap();
    }
    let count = env.db.page_count();
    assert!(count > 8 && count % 8 == 0, "{count}");
    assert_eq!(env.storage.len().unwrap(), (u64::from(count) + 1) * page);
    let used = env
        .db
        .pages_in_use()
        .unwrap()
        .iter()
        .filter(|&&u| u)
        .count();
    assert_eq!(
        used,
        tree.pages().unwrap().len() + 2,
        "the tree, page 0 and the map"
    );
    // Deleting everything frees every page but the root, and they are reused.
    for i in 0..2000 {
        tree.delete_now(Trx::MIN, &k(i)).unwrap();
    }
    assert_eq!(tree.pages().unwrap(), vec![tree.root()]);
    env.db.check_space(&[&tree]).unwrap();
    for i in 0..2000 {
        tree.insert(Trx::MIN, &k(i), &[1; 100]).unwrap();
    }
    assert_eq!(
        env.db.page_count(),
        count,
        "freed pages are reused before the file grows"
    );
}

#[test]
fn a_database_and_tree_reopen_from_disk() {
    let (env, tree) = filled(1500, 4096);
    env.cache.flush_all().unwrap();
    let root = tree.root();
    let db = Arc::new(
        Database::open(
            env.cache.clone(),
            env.log.clone(),
            Some(env.storage.clone()),
            DatabaseConfig {
                dbtime_last: env.db.dbtime_last(),
                ..DatabaseConfig::new(TestDb::DB, 4096)
            },
        )
        .unwrap(),
    );
    let again = BTree::open(&db, 2, root).unwrap();
    assert_eq!(again.check_invariants().unwrap().live_nodes, 1500);
    db.check_space(&[&again]).unwrap();
    assert_eq!(db.page_count(), env.db.page_count());
    assert!(matches!(
        BTree::open(&db, 9, root),
        Err(Error::Corrupt { .. })
    ));
}

#[test]
fn a_pointer_cycle_is_a_corruption_not_a_hang() {
    let (env, tree) = filled(3000, 4096);
    // Point the root's first child at the root itself.
    {
        let mut page = env.cache.write(TestDb::DB, tree.root()).unwrap();
        let view = ese_pageio::PageView::new(&page).unwrap();
        let line = view.line(1).unwrap().to_vec();
        let mut bad = line.clone();
        let n = bad.len();
        bad[n - 4..].copy_from_slice(&tree.root().0.to_le_bytes());
        let mut m = ese_pageio::PageMut::new(&mut page).unwrap();
        m.replace(1, &bad).unwrap();
        page.mark_dirty_unlogged();
    }
    let err = tree.check_invariants().unwrap_err();
    assert_eq!(err.corrupt_pgno(), Some(tree.root()), "{err}");
    let err = tree.seek(&k(0), SeekOp::Ge).unwrap_err();
    assert!(err.corrupt_pgno().is_some(), "{err}");
    // A freed page reached through a tree is corruption too.
    assert!(matches!(
        BTree::open(&env.db, 2, Pgno(1)),
        Err(Error::Corrupt { .. })
    ));
}

#[test]
fn readers_run_beside_a_writer() {
    let (env, tree) = filled(500, 4096);
    let tree = Arc::new(tree);
    let writer = {
        let tree = tree.clone();
        std::thread::spawn(move || {
            for i in 0..1500 {
                tree.insert(Trx::MIN, &k(2 * i + 1), &[3; 40]).unwrap();
                if i % 3 == 0 {
                    tree.delete_now(Trx::MIN, &k(2 * (i % 500))).ok();
                }
            }
        })
    };
    // Every scan sees keys in strictly increasing order, whatever the writer is doing.
    for _ in 0..20 {
        let mut c = tree.cursor();
        let mut last: Option<Vec<u8>> = None;
        let mut e = c.first().unwrap();
        while let Some(x) = e {
            assert!(
                last.as_ref().is_none_or(|l| *l < x.key),
                "scan out of order"
            );
            last = Some(x.key);
            e = c.move_next().unwrap();
        }
    }
    writer.join().unwrap();
    tree.check_invariants().unwrap();
    env.db.check_space(&[&tree]).unwrap();
}

#[test]
fn seeks_beside_a_writer_find_every_key_it_leaves() {
    // Readers' descents build and use the internal pages' search indexes while the writer
    // splits pages (every split changes an internal page, which drops its index) on a
    // 16-page cache that evicts and reloads them: no seek may miss a key that stays, or land
    // anywhere but on the first key at or after its own.
    let (env, tree) = filled(1500, 4096);
    let tree = Arc::new(tree);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (tree, done) = (tree.clone(), done.clone());
        std::thread::spawn(move || {
            for i in 0..3000 {
                tree.insert(Trx::MIN, &k(2 * i + 1), &[5; 60]).unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::Release);
        })
    };
    let readers: Vec<_> = (0..2u32)
        .map(|t| {
            let (tree, done) = (tree.clone(), done.clone());
            std::thread::spawn(move || {
                let mut seeks = 0u32;
                let mut i = t;
                // Bounded by the writer's 3,000 inserts, and at least one full pass.
                while !done.load(std::sync::atomic::Ordering::Acquire) || seeks < 3000 {
                    i = (i * 7 + 13) % 3000;
                    let j = i % 1500;
                    let even = k(2 * j);
                    let got = tree.seek(&even, SeekOp::Eq).unwrap().map(|e| e.key);
                    assert_eq!(got.as_deref(), Some(&even[..]), "a key that stays");
                    // The odd key itself once inserted, else the even key after it (past the
                    // last even key: a later odd one, or nothing yet).
                    let odd = k(2 * j + 1);
                    match tree.seek(&odd, SeekOp::Ge).unwrap().map(|e| e.key) {
                        Some(at) => assert!(
                            at == odd || at == k(2 * j + 2) || (j == 1499 && at > odd),
                            "seek GE {odd:?} landed on {at:?}"
                        ),
                        None => assert_eq!(j, 1499, "seek GE {odd:?} found nothing"),
                    }
                    seeks += 1;
                }
                seeks
            })
        })
        .collect();
    writer.join().unwrap();
    for r in readers {
        assert!(r.join().unwrap() >= 3000);
    }
    tree.check_invariants().unwrap();
    env.db.check_space(&[&tree]).unwrap();
}

#[test]
fn before_images_in_the_log_undo_a_transaction() {
    let env = TestDb::new(4096, 16, 8, true).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    for i in 0..600 {
        tree.insert(Trx::MIN, &k(2 * i), &[1; 50]).unwrap();
    }
    let snapshot = |t: &BTree| {
        let mut c = t.cursor();
        let mut all = Vec::new();
        let mut e = c.first().unwrap();
        while let Some(x) = e {
            all.push(x);
            e = c.move_next().unwrap();
        }
        all
    };
    let before = snapshot(&tree);
    let mark = env.log.record_count();
    // A transaction's changes, with splits (large inserts) along the way.
    for i in 0..300 {
        tree.insert(Trx(7), &k(2 * i + 1), &[2; 120]).unwrap();
        tree.replace(Trx(7), &k(2 * i + 600), &[3; 10]).unwrap();
        tree.delete(Trx(7), &k(2 * i)).unwrap();
    }
    tree.insert(Trx(7), &k(0), b"over a deleted node").unwrap();
    let records = env.log.records();
    let images: Vec<ese_btree::BeforeImage> = records[mark..]
        .iter()
        .filter_map(|r| r.page_op())
        .filter_map(|op| match UndoInfo::decode(&op.undo, op.pgno).unwrap() {
            UndoInfo::BeforeImage(img) => Some(img),
            _ => None,
        })
        .collect();
    assert_eq!(images.len(), 901, "one before-image per node change");
    assert!(images.iter().all(|img| img.root == tree.root()));
    let mark = env.log.record_count();
    for img in images.iter().rev() {
        tree.undo(Trx(7), img).unwrap();
    }
    assert_eq!(snapshot(&tree), before);
    // Every undo logged exactly one compensation, and nothing else carries an undo field.
    let undos: Vec<UndoInfo> = env.log.records()[mark..]
        .iter()
        .filter_map(|r| r.page_op())
        .map(|op| UndoInfo::decode(&op.undo, op.pgno).unwrap())
        .filter(|u| *u != UndoInfo::Structural)
        .collect();
    assert_eq!(undos.len(), 901);
    assert!(undos.iter().all(|u| *u == UndoInfo::Compensation));
    tree.check_invariants().unwrap();
}

#[test]
fn space_spans_many_map_pages() {
    let config = DatabaseConfig {
        extension_pages: 5,
        space_group_pages: 16,
        ..DatabaseConfig::new(TestDb::DB, 4096)
    };
    let env = TestDb::with_config(config, 16, true).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    let index = BTree::create(&env.db, 3, PageFlags::INDEX).unwrap();
    for i in 0..3000 {
        tree.insert(Trx::MIN, &k(i), &[1; 100]).unwrap();
        if i % 3 == 0 {
            index.insert(Trx::MIN, &k(i), b"").unwrap();
        }
    }
    let maps = env.db.space_map_pages();
    assert!(maps.len() >= 6, "{maps:?}");
    assert_eq!(maps[..3], [Pgno(1), Pgno(16), Pgno(32)]);
    env.db.check_space(&[&tree, &index]).unwrap();
    for i in (0..3000).step_by(2) {
        tree.delete_now(Trx::MIN, &k(i)).unwrap();
    }
    env.db.check_space(&[&tree, &index]).unwrap();
    let count = env.db.page_count();
    for i in (0..3000).step_by(2) {
        tree.insert(Trx::MIN, &k(i), &[2; 100]).unwrap();
    }
    assert!(
        env.db.page_count() <= count + 10,
        "freed pages in every group are reused"
    );
    env.db.check_space(&[&tree, &index]).unwrap();
    tree.check_invariants().unwrap();
    // The maps are logged like every page: a replay from an empty file rebuilds them.
    env.cache.flush_all().unwrap();
    let disk = env.storage.to_bytes();
    let mut images = std::collections::BTreeMap::new();
    for rec in env.log.records() {
        let (_, pgno) = rec.page().unwrap();
        let page = images.entry(pgno).or_insert_with(|| vec![0u8; 4096]);
        ese_btree::redo(page, &rec).unwrap();
    }
    for map in maps {
        let mut image = images[&map].clone();
        ese_pageio::seal(&mut image, map);
        let at = (map.0 as usize + 1) * 4096;
        assert!(image[..] == disk[at..at + 4096], "map page {map} differs");
    }
    // Reopening reads the group size back from map 0.
    let db = Database::open(
        env.cache.clone(),
        env.log.clone(),
        None,
        DatabaseConfig::new(TestDb::DB, 4096),
    )
    .unwrap();
    assert_eq!(db.space_map_pages(), env.db.space_map_pages());
}

#[test]
fn a_failed_file_extension_fails_the_insert_cleanly() {
    use ese_pageio::{FaultyStorage, MemStorage};
    let disk = Arc::new(FaultyStorage::new(Arc::new(MemStorage::new())).fail_set_len(4));
    let log = Arc::new(ese_btree::testing::RecordingLog::new(false));
    let mut cc = ese_cache::CacheConfig::with_pages(16);
    cc.log_file_size_bytes = ese_btree::testing::RecordingLog::log_file_size_bytes();
    let cache = Arc::new(ese_cache::Cache::new(cc, log.clone()));
    cache.attach(TestDb::DB, disk.clone(), 4096).unwrap();
    let config = DatabaseConfig {
        extension_pages: 4,
        ..DatabaseConfig::new(TestDb::DB, 4096)
    };
    let db = Arc::new(Database::create(cache, log, Some(disk.clone()), config).unwrap());
    let tree = BTree::create(&db, 2, PageFlags::NONE).unwrap();
    let mut inserted = Vec::new();
    let mut failed = None;
    for i in 0..2000 {
        match tree.insert(Trx::MIN, &k(i), &[5; 200]) {
            Ok(()) => inserted.push(i),
            Err(Error::Io(e)) => {
                assert!(ese_pageio::is_injected(&e), "{e}");
                failed = Some(i);
                break;
            }
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    let failed = failed.expect("the injected fault fired");
    // Nothing of the failed insert happened, and the tree is whole.
    assert_eq!(tree.get(&k(failed)).unwrap(), None);
    assert_eq!(
        tree.check_invariants().unwrap().live_nodes,
        inserted.len() as u64
    );
    db.check_space(&[&tree]).unwrap();
    // The fault was one-shot: the same insert now succeeds.
    tree.insert(Trx::MIN, &k(failed), &[5; 200]).unwrap();
    tree.check_invariants().unwrap();
    db.check_space(&[&tree]).unwrap();
}
