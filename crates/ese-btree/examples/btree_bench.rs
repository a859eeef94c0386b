//! B-tree benchmark: inserts/s, point reads/s and range-scan rows/s, plus the leaves' fill
//! after a sequential and a random load (`cargo xtask bench btree`; run in release).
//!
//! Usage: `btree_bench [rows] [page_size] [cache_pages]` (defaults 1,000,000, 8192, 16384).
//! The log is the in-memory recording log (not retaining records) and the database file is
//! memory storage, so the figures measure the B-tree, the cache and the page format.

use std::time::Instant;

use ese_btree::testing::TestDb;
use ese_btree::{BTree, SeekOp};
use ese_core::Trx;
use ese_pageio::PageFlags;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn key(i: u64) -> [u8; 8] {
    i.to_be_bytes()
}

fn shuffled(rows: u64) -> Vec<u64> {
    let mut order: Vec<u64> = (0..rows).collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..order.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order
}

fn main() -> Result<(), ese_btree::Error> {
    let rows = arg(1, 1_000_000) as u64;
    let page_size = arg(2, 8192);
    let cache_pages = arg(3, 16384);
    let value = [0x5au8; 16];
    println!(
        "btree bench: {rows} rows, 8-byte keys, 16-byte values, {page_size}-byte pages, {cache_pages}-page cache"
    );
    for (name, order) in [
        ("sequential", (0..rows).collect::<Vec<u64>>()),
        ("random", shuffled(rows)),
    ] {
        let env = TestDb::new(page_size, cache_pages, 256, false)?;
        let tree = BTree::create(&env.db, 2, PageFlags::NONE)?;
        let t = Instant::now();
        for &i in &order {
            tree.insert(Trx::MIN, &key(i), &value)?;
        }
        let insert_s = t.elapsed().as_secs_f64();
        let stats = tree.check_invariants()?;
        println!(
            "{name:>10} load: {:>10.0} inserts/s  fill {:.1}% over {} leaves, depth {}, {} internal pages, {} KiB of log",
            rows as f64 / insert_s,
            stats.leaf_fill() * 100.0,
            stats.leaf_pages,
            stats.depth,
            stats.internal_pages,
            env.log.bytes_appended() / 1024,
        );
        let reads = shuffled(rows.min(200_000));
        let t = Instant::now();
        for &i in &reads {
            let hit = tree.get(&key(i % rows))?;
            assert!(hit.is_some(), "row {i} is missing");
        }
        let read_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut scanned = 0u64;
        let mut c = tree.cursor();
        let mut e = c.seek(&key(0), SeekOp::Ge)?;
        while e.is_some() {
            scanned += 1;
            e = c.move_next()?;
        }
        let scan_s = t.elapsed().as_secs_f64();
        assert_eq!(scanned, rows);
        println!(
            "{name:>10} tree: {:>10.0} point reads/s  {:>10.0} range-scan rows/s",
            reads.len() as f64 / read_s,
            scanned as f64 / scan_s
        );
    }
    Ok(())
}
