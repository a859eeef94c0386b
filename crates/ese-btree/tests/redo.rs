//! Redo: replaying every logged operation of a workload onto the initial page images gives
//! byte-identical pages, from an empty file, from a flushed mid-workload snapshot and from the
//! disk as the cache left it mid-workload; replaying twice changes nothing. Splits that keep
//! the change on the page they split log it compactly, and redo still rebuilds those pages.

use std::collections::{BTreeMap, BTreeSet};

use ese_btree::redo::decode_ops;
use ese_btree::testing::TestDb;
use ese_btree::{BTree, LineOp, Redo, redo};
use ese_core::{Pgno, Trx};
use ese_log::LogRecord;
use ese_pageio::{PageFlags, Storage};

const PAGE: usize = 4096;

fn page_of(image: &[u8], pgno: Pgno) -> Vec<u8> {
    let at = (pgno.0 as usize + 1) * PAGE;
    image
        .get(at..at + PAGE)
        .map_or_else(|| vec![0u8; PAGE], <[u8]>::to_vec)
}

/// A workload with splits, merges, frees and reuse: inserts, replaces, flag deletes and
/// cleanups over two trees, half the deletes cleaned up at once and half in batches
/// (several nodes of a leaf in one record).
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn workload(env: &TestDb, trees: &[BTree], live: &mut [BTreeSet<Vec<u8>>], seed: u64, ops: usize) {
    let mut pending = vec![BTreeSet::new(); trees.len()];
    let mut x = seed;
    for i in 0..ops {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = (x % trees.len() as u64) as usize;
        let key = format!("k{:05}", (x >> 8) % 3000).into_bytes();
        let val = vec![(i % 251) as u8; ((x >> 20) % 700) as usize];
        let tree = &trees[t];
        match (x >> 40) % 4 {
            0 | 1 if !live[t].contains(&key) => {
                tree.insert(Trx(1), &key, &val).unwrap();
                live[t].insert(key);
            }
            0..=2 if live[t].contains(&key) => tree.replace(Trx(1), &key, &val).unwrap(),
            _ if live[t].contains(&key) => {
                tree.delete(Trx(1), &key).unwrap();
                if (x >> 50) & 1 == 0 {
                    tree.cleanup(&key).unwrap();
                } else {
                    // Re-inserted before its batch runs, it is live again and stays.
                    pending[t].insert(key.clone());
                }
                live[t].remove(&key);
            }
            _ => {}
        }
        if i % 97 == 96 || i + 1 == ops {
            for (tree, keys) in trees.iter().zip(&mut pending) {
                let batch: Vec<(&[u8], _)> = keys.iter().map(|k| (&k[..], None)).collect();
                tree.cleanup_batch_latched(&tree.write_latch(), &batch)
                    .unwrap();
                keys.clear();
            }
        }
    }
    for (t, tree) in trees.iter().enumerate() {
        let stats = tree.check_invariants().unwrap();
        assert_eq!(
            (stats.live_nodes, stats.deleted_nodes),
            (live[t].len() as u64, 0)
        );
    }
    env.db
        .check_space(&trees.iter().collect::<Vec<_>>())
        .unwrap();
}

#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn replay(images: &mut BTreeMap<Pgno, Vec<u8>>, records: &[ese_log::LogRecord]) -> (usize, usize) {
    let (mut applied, mut skipped) = (0, 0);
    for rec in records {
        let Some((_, pgno)) = rec.page() else {
            continue;
        };
        let page = images.entry(pgno).or_insert_with(|| vec![0u8; PAGE]);
        match redo(page, rec).unwrap() {
            Redo::Applied => applied += 1,
            Redo::Skipped => skipped += 1,
            Redo::NeedsImage => panic!("redo on a trusted image never needs one"),
        }
    }
    (applied, skipped)
}

/// The records a replay over pages that already hold the whole log applies: each page's image
/// records and every record of the page after its first image.
fn after_first_image(records: &[ese_log::LogRecord]) -> usize {
    let mut imaged = BTreeSet::new();
    let mut n = 0;
    for rec in records {
        let Some((_, pgno)) = rec.page() else {
            continue;
        };
        if matches!(rec, ese_log::LogRecord::PageImage(_)) {
            imaged.insert(pgno);
        }
        n += usize::from(imaged.contains(&pgno));
    }
    n
}

fn assert_same(images: &BTreeMap<Pgno, Vec<u8>>, disk: &[u8]) {
    for (&pgno, image) in images {
        let mut sealed = image.clone();
        ese_pageio::seal(&mut sealed, pgno);
        assert!(
            sealed == page_of(disk, pgno),
            "page {pgno} differs after redo"
        );
    }
}

#[test]
fn replaying_the_log_rebuilds_every_page_byte_for_byte() {
    let env = TestDb::new(PAGE, 16, 8, true).unwrap();
    let trees = vec![
        BTree::create(&env.db, 2, PageFlags::NONE).unwrap(),
        BTree::create(&env.db, 3, PageFlags::INDEX).unwrap(),
    ];
    let mut live = vec![BTreeSet::new(); trees.len()];
    workload(&env, &trees, &mut live, 0x9e37_79b9, 3000);
    // A snapshot of the disk in the middle of the workload, as a crash might leave it.
    env.cache.flush_all().unwrap();
    let snapshot = env.storage.to_bytes();
    let at_snapshot = env.log.record_count();
    workload(&env, &trees, &mut live, 0x1234_5678, 2000);
    // The disk as the 16-page cache happens to leave it, without a flush: every page at its
    // own point of its history, none beyond the log.
    let unflushed = env.storage.to_bytes();
    workload(&env, &trees, &mut live, 0x5151_7777, 2000);
    env.cache.flush_all().unwrap();
    let disk = env.storage.to_bytes();
    let records = env.log.records();
    assert!(records.len() > at_snapshot);

    // From an empty file: every record applies, and the pages come out identical.
    let mut images = BTreeMap::new();
    let (applied, skipped) = replay(&mut images, &records);
    assert_eq!((applied, skipped), (records.len(), 0));
    assert_same(&images, &disk);

    // Twice: nothing changes. Images overwrite their page unconditionally, so what follows
    // a page's first image is replayed again, and ends at the same bytes.
    let before = images.clone();
    let (applied, _) = replay(&mut images, &records);
    assert_eq!(applied, after_first_image(&records));
    assert!(applied > 0 && applied < records.len());
    assert!(images == before, "a second replay changed a page");

    // From the snapshot: records up to it are skipped (by dbtime), the rest applied.
    let mut images: BTreeMap<Pgno, Vec<u8>> = BTreeMap::new();
    let len = snapshot.len() / PAGE;
    for p in 1..len.saturating_sub(1) {
        let page = page_of(&snapshot, Pgno(p as u32));
        if page.iter().any(|&b| b != 0) {
            images.insert(Pgno(p as u32), page);
        }
    }
    let (applied, skipped) = replay(&mut images, &records);
    assert!(
        skipped >= 1 && applied >= records.len() - at_snapshot,
        "{applied} {skipped}"
    );
    assert_same(&images, &disk);
    let (applied, _) = replay(&mut images, &records);
    assert_eq!(applied, after_first_image(&records));

    // From the unflushed image: each page picks up the log where its own dbtime left off.
    let mut images: BTreeMap<Pgno, Vec<u8>> = BTreeMap::new();
    for p in 1..(unflushed.len() / PAGE).saturating_sub(1) {
        let page = page_of(&unflushed, Pgno(p as u32));
        if page.iter().any(|&b| b != 0) {
            images.insert(Pgno(p as u32), page);
        }
    }
    let (applied, skipped) = replay(&mut images, &records);
    assert!(
        skipped > 0 && applied + skipped == records.len(),
        "pages on disk already held part of the log: {applied} {skipped}"
    );
    assert_same(&images, &disk);
    assert!(env.storage.len().unwrap() >= (env.db.page_count() as u64 + 1) * PAGE as u64);
}

#[test]
fn a_record_removing_several_nodes_of_a_leaf_replays_byte_for_byte() {
    let env = TestDb::new(PAGE, 16, 8, true).unwrap();
    let trees = vec![BTree::create(&env.db, 2, PageFlags::NONE).unwrap()];
    let mut live = vec![BTreeSet::new()];
    workload(&env, &trees, &mut live, 0x0bad_cafe, 4000);
    // Two keys in three of a third of the key range, gone in one batch: whole runs of leaves
    // lose several nodes each, and some merge or empty.
    let gone: Vec<Vec<u8>> = live[0]
        .range(b"k01000".to_vec()..b"k02000".to_vec())
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(_, k)| k.clone())
        .collect();
    for key in &gone {
        trees[0].delete(Trx(1), key).unwrap();
        live[0].remove(key);
    }
    let batch: Vec<(&[u8], _)> = gone.iter().map(|k| (&k[..], None)).collect();
    let removed = trees[0]
        .cleanup_batch_latched(&trees[0].write_latch(), &batch)
        .unwrap();
    assert_eq!(removed, gone.len());
    assert_eq!(
        trees[0].check_invariants().unwrap().live_nodes,
        live[0].len() as u64
    );
    let records = env.log.records();
    let multi = records
        .iter()
        .filter_map(|r| match r {
            LogRecord::DeleteNode(op) => Some(decode_ops(&op.payload, op.pgno).unwrap()),
            _ => None,
        })
        .filter(|ops| ops.len() > 1)
        .inspect(|ops| {
            let lines: Vec<u16> = ops
                .iter()
                .filter_map(|o| match o {
                    LineOp::Delete(line) => Some(*line),
                    _ => None,
                })
                .collect();
            assert_eq!(lines.len(), ops.len(), "only line deletes: {ops:?}");
            assert!(lines.windows(2).all(|w| w[0] > w[1]), "{lines:?}");
        })
        .count();
    assert!(multi > 10, "{multi} records removed several nodes");
    assert_redo_rebuilds_every_page(&env, &records);
}

#[test]
fn recovery_through_the_cache_from_a_crashed_disk() {
    let env = TestDb::new(PAGE, 16, 8, true).unwrap();
    let trees = vec![BTree::create(&env.db, 2, PageFlags::NONE).unwrap()];
    let mut live = vec![BTreeSet::new()];
    workload(&env, &trees, &mut live, 0xabcd_ef01, 2500);
    // Changes after the workload's checks (which evicted every dirty page) stay in the cache.
    for i in 0..200u32 {
        let key = format!("z{i:05}").into_bytes();
        trees[0].insert(Trx(1), &key, &[9; 60]).unwrap();
        live[0].insert(key);
    }
    // The crash: the disk as the cache left it, the whole log durable.
    let crashed = env.storage.to_bytes();
    let records = env.log.records();
    env.cache.flush_all().unwrap();
    let expected = env.storage.to_bytes();

    let disk = std::sync::Arc::new(ese_pageio::MemStorage::from_bytes(crashed));
    let log = std::sync::Arc::new(ese_btree::testing::RecordingLog::new(false));
    let mut config = ese_cache::CacheConfig::with_pages(16);
    config.log_file_size_bytes = ese_btree::testing::RecordingLog::log_file_size_bytes();
    let cache = ese_cache::Cache::new(config, log.clone());
    cache.attach(TestDb::DB, disk.clone(), PAGE).unwrap();
    let mut applied = 0;
    for rec in &records {
        let lgpos = ese_btree::PageLog::append(&*log, rec).unwrap();
        if ese_btree::redo_into_cache(&cache, rec, lgpos).unwrap() == Redo::Applied {
            applied += 1;
        }
    }
    assert!(
        applied > 0 && applied < records.len(),
        "{applied} of {}",
        records.len()
    );
    cache.flush_all().unwrap();
    let recovered = disk.to_bytes();
    let len = expected.len().min(recovered.len());
    assert!(
        recovered[..len] == expected[..len],
        "recovered pages differ"
    );
    assert!(recovered[len..].iter().all(|&b| b == 0) && expected[len..].iter().all(|&b| b == 0));
    // The recovered database opens and its tree checks out.
    let db = std::sync::Arc::new(
        ese_btree::Database::open(
            std::sync::Arc::new(cache),
            log,
            None,
            ese_btree::DatabaseConfig::new(TestDb::DB, PAGE),
        )
        .unwrap(),
    );
    let tree = BTree::open(&db, 2, trees[0].root()).unwrap();
    assert_eq!(
        tree.check_invariants().unwrap().live_nodes,
        live[0].len() as u64
    );
}

#[test]
fn a_missing_record_is_a_corruption_naming_the_page() {
    let env = TestDb::new(PAGE, 16, 8, true).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    for i in 0..3u8 {
        tree.insert(Trx::MIN, &[b'a' + i], b"v").unwrap();
    }
    let root = tree.root();
    let ops: Vec<_> = env
        .log
        .records()
        .into_iter()
        .filter(|r| r.page_op().is_some_and(|op| op.pgno == root))
        .collect();
    assert_eq!(ops.len(), 4, "the format and three inserts");
    let mut page = vec![0u8; PAGE];
    assert_eq!(redo(&mut page, &ops[0]).unwrap(), Redo::Applied);
    assert_eq!(redo(&mut page, &ops[1]).unwrap(), Redo::Applied);
    // ops[2] is lost: ops[3] finds the page one change behind.
    let err = redo(&mut page, &ops[3]).unwrap_err();
    assert_eq!(err.corrupt_pgno(), Some(root), "{err}");
    assert_eq!(redo(&mut page, &ops[1]).unwrap(), Redo::Skipped);
    // Garbage payloads are errors, never panics.
    for cut in 0..40 {
        let mut rec = ops[3].clone();
        if let ese_log::LogRecord::InsertNode(op) = &mut rec {
            op.payload.truncate(cut);
            op.payload.push(0xee);
        }
        let mut p = page.clone();
        let _ = redo(&mut p, &rec);
    }
}

#[test]
fn a_record_redo_does_not_apply_leaves_its_page_clean() {
    let env = TestDb::new(PAGE, 16, 8, true).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    for i in 0..300u32 {
        tree.insert(Trx::MIN, format!("k{i:05}").as_bytes(), &[3; 50])
            .unwrap();
    }
    env.cache.flush_all().unwrap();
    let records = env.log.records();
    // Every record is already on the disk: redo skips them all and must dirty nothing.
    let disk = std::sync::Arc::new(ese_pageio::MemStorage::from_bytes(env.storage.to_bytes()));
    let log = std::sync::Arc::new(ese_btree::testing::RecordingLog::new(false));
    let mut config = ese_cache::CacheConfig::with_pages(16);
    config.log_file_size_bytes = ese_btree::testing::RecordingLog::log_file_size_bytes();
    let cache = ese_cache::Cache::new(config, log.clone());
    cache.attach(TestDb::DB, disk, PAGE).unwrap();
    for rec in &records {
        let lgpos = ese_btree::PageLog::append(&*log, rec).unwrap();
        assert_eq!(
            ese_btree::redo_into_cache(&cache, rec, lgpos).unwrap(),
            Redo::Skipped
        );
        assert_eq!(cache.dirty_page_count(), 0, "{rec:?}");
    }
    // A record that finds its page at another dbtime (a lost write, say) does not apply and
    // does not dirty the page either.
    let Some(op) = records.iter().rev().find_map(|r| r.page_op()) else {
        panic!("no page operation logged");
    };
    let stale = ese_log::LogRecord::ReplaceNode(ese_log::PageOp {
        dbtime_before: ese_core::Dbtime(op.dbtime_after.0 + 5),
        dbtime_after: ese_core::Dbtime(op.dbtime_after.0 + 6),
        ..op.clone()
    });
    let lgpos = ese_btree::PageLog::append(&*log, &stale).unwrap();
    assert!(ese_btree::redo_into_cache(&cache, &stale, lgpos).is_err());
    assert_eq!(cache.dirty_page_count(), 0);
}

// ---- what a split logs ----
//
// A page that keeps its number and takes the change is cut and changed in place with line
// operations, not rewritten whole, and replaying the log from an empty file still rebuilds
// every page byte for byte.

fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// A 24-byte key sharing a 6-byte prefix with every other key, the rest random.
fn key(x: &mut u64) -> Vec<u8> {
    let mut k = b"order:".to_vec();
    while k.len() < 24 {
        k.extend_from_slice(&next(x).to_be_bytes());
    }
    k.truncate(24);
    k
}

/// Replays every record onto empty pages and checks each page against the flushed disk.
fn assert_redo_rebuilds_every_page(env: &TestDb, records: &[LogRecord]) {
    let mut images = BTreeMap::new();
    let (applied, skipped) = replay(&mut images, records);
    assert!(
        applied > 0 && skipped == 0,
        "{applied} applied, {skipped} skipped"
    );
    env.cache.flush_all().expect("test helper");
    assert_same(&images, &env.storage.to_bytes());
}

/// For the split records of pages that keep their number (the root's excepted): how many
/// there are, how many rewrite the page with a format, and their payload bytes.
fn left_splits(records: &[LogRecord], root: Pgno) -> (usize, usize, usize) {
    let (mut splits, mut formats, mut bytes) = (0, 0, 0);
    for rec in records {
        let LogRecord::Split { op, .. } = rec else {
            continue;
        };
        if op.pgno == root {
            continue;
        }
        let ops = decode_ops(&op.payload, op.pgno).expect("test helper");
        // The next page's back link is logged under the same kind: not a cut.
        if matches!(ops.as_slice(), [LineOp::SetPrev(_)]) {
            continue;
        }
        splits += 1;
        bytes += op.payload.len();
        formats += usize::from(matches!(ops.first(), Some(LineOp::Format { .. })));
    }
    (splits, formats, bytes)
}

#[test]
fn a_random_load_cuts_the_left_page_in_place_and_redo_rebuilds_it() {
    let env = TestDb::new(PAGE, 4096, 64, true).expect("a database");
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).expect("a tree");
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let mut keys = Vec::new();
    for i in 0..6000usize {
        let k = key(&mut x);
        let len = 150 + (next(&mut x) % 250) as usize;
        tree.insert(Trx(1), &k, &vec![(i % 251) as u8; len])
            .expect("insert");
        keys.push(k);
    }
    // Growing nodes in place splits pages by a replace (a change that removes a node).
    for (i, k) in keys.iter().enumerate().step_by(7) {
        let len = 300 + (next(&mut x) % 400) as usize;
        tree.replace(Trx(1), k, &vec![(i % 13) as u8; len])
            .expect("replace");
    }
    let stats = tree.check_invariants().expect("a sound tree");
    assert!(stats.depth >= 3, "internal pages split too: {stats:?}");
    for k in &keys {
        assert!(tree.get(k).expect("get").is_some());
    }

    let records = env.log.records();
    let (splits, formats, bytes) = left_splits(&records, tree.root());
    assert!(splits > 500, "{splits} splits");
    // A random load puts the change in the left half about half of the time; those pages
    // are now cut in place too, and only a page whose prefix cannot hold its group is
    // rebuilt.
    assert!(
        formats * 50 < splits,
        "{formats} of {splits} left pages rewritten whole"
    );
    assert!(
        bytes / splits < PAGE / 8,
        "{} payload bytes per left page",
        bytes / splits
    );
    assert_redo_rebuilds_every_page(&env, &records);
}

#[test]
fn internal_pages_cut_in_place_keep_their_inf_node_under_redo() {
    // Long values keep leaves to a few nodes each, so internal pages split often; keys with
    // no shared prefix and keys with a long one are mixed.
    let env = TestDb::new(PAGE, 4096, 64, true).expect("a database");
    let tree = BTree::create(&env.db, 2, PageFlags::INDEX).expect("a tree");
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let mut keys = Vec::new();
    for i in 0..4000usize {
        let mut k = if i % 3 == 0 {
            next(&mut x).to_be_bytes().to_vec()
        } else {
            key(&mut x)
        };
        k.extend_from_slice(&(i as u32).to_be_bytes());
        tree.insert(Trx(1), &k, &vec![7u8; 900 + i % 300])
            .expect("insert");
        keys.push(k);
    }
    let stats = tree.check_invariants().expect("a sound tree");
    assert!(stats.depth >= 3 && stats.internal_pages > 4, "{stats:?}");
    keys.sort();
    let mut c = tree.cursor();
    let mut e = c.seek(&keys[0], ese_btree::SeekOp::Ge).expect("seek");
    let mut seen = Vec::new();
    while let Some(entry) = e {
        seen.push(entry.key.clone());
        e = c.move_next().expect("next");
    }
    assert_eq!(seen, keys);
    let records = env.log.records();
    let (splits, formats, _) = left_splits(&records, tree.root());
    assert!(formats * 10 < splits, "{formats} of {splits}");
    assert_redo_rebuilds_every_page(&env, &records);
}
