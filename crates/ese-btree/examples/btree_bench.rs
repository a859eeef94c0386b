//! B-tree benchmark: inserts/s, point reads/s and range-scan rows/s, plus the leaves' fill
//! after a sequential and a random load (`cargo xtask bench btree`; run in release), and the
//! cost of full page images (torn-page protection): log bytes and insert and durable-commit
//! throughput with images on and off.
//!
//! Usage: `btree_bench [rows] [page_size] [cache_pages] [flush_every] [commits] [value_bytes]`
//! (defaults 1,000,000, 8192, 16384, 20,000, 3,000, 16). The load runs keep the log in memory (the
//! recording log, not retaining records) and the database file in memory storage, so they
//! measure the B-tree, the cache and the page format; every `flush_every` inserts the cache
//! writes every dirty page, as a checkpoint would, so the next change to each page logs an
//! image. The commit runs use a real log in a directory under the system temp directory
//! (`ESE_BENCH_DIR` overrides it): one insert and one durable commit per transaction, with a
//! checkpoint flush every 100 commits.

use std::sync::Arc;
use std::time::Instant;

use ese_btree::testing::TestDb;
use ese_btree::{BTree, Database, DatabaseConfig, SeekOp};
use ese_cache::{Cache, CacheConfig};
use ese_core::{DbId, Trx};
use ese_log::{CommitMode, Log, LogConfig, LogRecord};
use ese_pageio::{FsDirectory, MemStorage, PageFlags, Storage};

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

/// One load with or without page images: (inserts/s, log bytes, page groups logged).
fn image_load(
    order: &[u64],
    page_size: usize,
    cache_pages: usize,
    flush_every: usize,
    images: bool,
    value: &[u8],
) -> Result<(f64, u64, u64), ese_btree::Error> {
    let mut config = DatabaseConfig::new(TestDb::DB, page_size);
    config.extension_pages = 256;
    config.full_page_images = images;
    let env = TestDb::with_config(config, cache_pages, false)?;
    let tree = BTree::create(&env.db, 2, PageFlags::NONE)?;
    let t = Instant::now();
    for (n, &i) in order.iter().enumerate() {
        tree.insert(Trx::MIN, &key(i), value)?;
        if (n + 1) % flush_every.max(1) == 0 {
            env.cache.flush_all()?;
        }
    }
    Ok((
        order.len() as f64 / t.elapsed().as_secs_f64(),
        env.log.bytes_appended(),
        env.log.groups_appended(),
    ))
}

/// Durable commits of one insert each on a real log: (commits/s, log bytes).
fn commit_run(
    commits: u64,
    page_size: usize,
    images: bool,
) -> Result<(f64, u64), Box<dyn std::error::Error>> {
    let root = std::env::var_os("ESE_BENCH_DIR")
        .map_or_else(std::env::temp_dir, std::path::PathBuf::from)
        .join(format!("ese-btree-bench-{}-{images}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = Arc::new(FsDirectory::open(&root)?);
    let log_config = LogConfig::new(dir);
    let file_bytes = log_config.file_bytes;
    let log = Arc::new(Log::open(log_config)?);
    let mut cache_config = CacheConfig::with_pages(4096);
    cache_config.log_file_size_bytes = file_bytes;
    let cache = Arc::new(Cache::new(cache_config, log.clone()));
    let db_id = DbId(1);
    let storage = Arc::new(MemStorage::new());
    cache.attach(db_id, storage.clone(), page_size)?;
    let mut config = DatabaseConfig::new(db_id, page_size);
    config.full_page_images = images;
    let db = Arc::new(Database::create(
        cache.clone(),
        log.clone(),
        Some(storage as Arc<dyn Storage>),
        config,
    )?);
    let tree = BTree::create(&db, 2, PageFlags::NONE)?;
    let order = shuffled(commits);
    let start = log.head();
    let t = Instant::now();
    for (n, &i) in order.iter().enumerate() {
        let trx = Trx(n as u64 + 2);
        tree.insert(trx, &key(i), &[0x5a; 16])?;
        log.commit(
            &LogRecord::Commit {
                trx,
                commit_trx: trx,
            },
            CommitMode::Durable,
        )?;
        if (n + 1) % 100 == 0 {
            cache.flush_all()?;
        }
    }
    let rate = commits as f64 / t.elapsed().as_secs_f64();
    // Log positions advanced: records, sector headers and the padding of sealed sectors.
    let bytes = ese_cache::lgpos_to_bytes(log.head(), file_bytes)
        - ese_cache::lgpos_to_bytes(start, file_bytes);
    drop(tree);
    drop(db);
    drop(cache);
    drop(log);
    let _ = std::fs::remove_dir_all(&root);
    Ok((rate, bytes))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows = arg(1, 1_000_000) as u64;
    let page_size = arg(2, 8192);
    let cache_pages = arg(3, 16384);
    let flush_every = arg(4, 20_000);
    let commits = arg(5, 3_000) as u64;
    let value_bytes = arg(6, 16);
    let value = vec![0x5au8; value_bytes];
    println!(
        "btree bench: {rows} rows, 8-byte keys, {value_bytes}-byte values, {page_size}-byte pages, {cache_pages}-page cache"
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
    println!("full page images: a cache flush every {flush_every} inserts");
    for (name, order) in [
        ("sequential", (0..rows).collect::<Vec<u64>>()),
        ("random", shuffled(rows)),
    ] {
        let (on_rate, on_bytes, groups) =
            image_load(&order, page_size, cache_pages, flush_every, true, &value)?;
        let (off_rate, off_bytes, _) =
            image_load(&order, page_size, cache_pages, flush_every, false, &value)?;
        println!(
            "{name:>10} load: images on {on_rate:>10.0} inserts/s {:>8} KiB of log ({:.1} B/insert); off {off_rate:>10.0} inserts/s {:>8} KiB ({:.1} B/insert)",
            on_bytes / 1024,
            on_bytes as f64 / rows as f64,
            off_bytes / 1024,
            off_bytes as f64 / rows as f64,
        );
        // A multi-page call logged as one group costs 9 bytes (its frame length, kind and
        // count) over the same records logged one by one.
        println!(
            "{name:>10} load: {groups} multi-page calls logged as page groups, {} bytes of \
             grouping ({:.4}% of the log with images)",
            9 * groups,
            900.0 * groups as f64 / on_bytes.max(1) as f64,
        );
    }
    let (on_rate, on_bytes) = commit_run(commits, page_size, true)?;
    let (off_rate, off_bytes) = commit_run(commits, page_size, false)?;
    println!(
        "   commits: images on {on_rate:>8.0} durable commits/s {:.0} B/commit; off {off_rate:>8.0} commits/s {:.0} B/commit",
        on_bytes as f64 / commits as f64,
        off_bytes as f64 / commits as f64,
    );
    Ok(())
}
