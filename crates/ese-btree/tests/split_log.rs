//! What a split logs: a page that keeps its number and takes the change is cut and changed in
//! place with line operations, not rewritten whole, and replaying the log from an empty file
//! still rebuilds every page byte for byte.

use std::collections::BTreeMap;

use ese_btree::redo::decode_ops;
use ese_btree::testing::TestDb;
use ese_btree::{BTree, LineOp, Redo, redo};
use ese_core::{Pgno, Trx};
use ese_log::LogRecord;
use ese_pageio::PageFlags;

const PAGE: usize = 4096;

fn page_of(image: &[u8], pgno: Pgno) -> Vec<u8> {
    let at = (pgno.0 as usize + 1) * PAGE;
    image
        .get(at..at + PAGE)
        .map_or_else(|| vec![0u8; PAGE], <[u8]>::to_vec)
}

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
    let mut images: BTreeMap<Pgno, Vec<u8>> = BTreeMap::new();
    for rec in records {
        let Some((_, pgno)) = rec.page() else {
            continue;
        };
        let page = images.entry(pgno).or_insert_with(|| vec![0u8; PAGE]);
        assert_eq!(redo(page, rec).expect("test helper"), Redo::Applied);
    }
    env.cache.flush_all().expect("test helper");
    let disk = env.storage.to_bytes();
    assert!(!images.is_empty());
    for (&pgno, image) in &images {
        let mut sealed = image.clone();
        ese_pageio::seal(&mut sealed, pgno);
        assert!(
            sealed == page_of(&disk, pgno),
            "page {pgno} differs after redo"
        );
    }
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
