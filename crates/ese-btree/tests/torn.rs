//! Torn page writes: a power cut may leave any page write cut at a 512-byte boundary. With full
//! page images in the log, redo from the checkpoint repairs every such page, and the recovered
//! database is the one the workload left, byte for byte; without them it cannot be.

use std::collections::BTreeSet;
use std::sync::Arc;

use ese_btree::testing::RecordingLog;
use ese_btree::{BTree, Database, DatabaseConfig, Redo, redo_file_page, redo_into_cache};
use ese_cache::{Cache, CacheConfig};
use ese_core::{DbId, Dbtime, Lgpos, Pgno, Trx};
use ese_log::LogRecord;
use ese_pageio::{CrashStorage, MemStorage, PageFlags, Storage};

const PAGE: usize = 4096;
const DB: DbId = DbId(1);

struct Env {
    storage: Arc<CrashStorage>,
    log: Arc<RecordingLog>,
    cache: Arc<Cache>,
    db: Arc<Database>,
}

#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn cache_on(storage: Arc<dyn Storage>, log: Arc<RecordingLog>, pages: usize) -> Arc<Cache> {
    let mut config = CacheConfig::with_pages(pages);
    config.log_file_size_bytes = RecordingLog::log_file_size_bytes();
    let cache = Arc::new(Cache::new(config, log));
    cache.attach(DB, storage, PAGE).unwrap();
    cache
}

#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn env(full_page_images: bool) -> Env {
    let storage = Arc::new(CrashStorage::new());
    let log = Arc::new(RecordingLog::new(true));
    let cache = cache_on(storage.clone(), log.clone(), 16);
    let config = DatabaseConfig {
        extension_pages: 8,
        full_page_images,
        ..DatabaseConfig::new(DB, PAGE)
    };
    let db = Database::create(
        cache.clone(),
        log.clone(),
        Some(storage.clone() as Arc<dyn Storage>),
        config,
    )
    .unwrap();
    Env {
        storage,
        log,
        cache,
        db: Arc::new(db),
    }
}

/// Inserts, replaces and deletes with splits and merges; the 16-page cache writes pages out
/// as it goes.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn workload(tree: &BTree, live: &mut BTreeSet<Vec<u8>>, seed: u64, ops: usize) {
    let mut x = seed;
    for i in 0..ops {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let key = format!("k{:05}", (x >> 8) % 2000).into_bytes();
        let val = vec![(i % 251) as u8; ((x >> 20) % 600) as usize];
        match (x >> 40) % 4 {
            0 | 1 if !live.contains(&key) => {
                tree.insert(Trx(1), &key, &val).unwrap();
                live.insert(key);
            }
            0..=2 if live.contains(&key) => tree.replace(Trx(1), &key, &val).unwrap(),
            _ if live.contains(&key) => {
                tree.delete(Trx(1), &key).unwrap();
                tree.cleanup(&key).unwrap();
                live.remove(&key);
            }
            _ => {}
        }
    }
}

/// A workload, a checkpoint taken with dirty pages in the cache (so it lies at the first
/// change of one of them), and more work, during which the cache writes pages it evicts.
/// Returns the tree, its live keys and the checkpoint.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn before_the_crash(e: &Env) -> (BTree, BTreeSet<Vec<u8>>, Lgpos) {
    let tree = BTree::create(&e.db, 2, PageFlags::NONE).unwrap();
    let mut live = BTreeSet::new();
    workload(&tree, &mut live, 0x9e37_79b9, 1500);
    // Without a flush, the hot space map would hold the checkpoint at the first record.
    e.cache.flush_all().unwrap();
    workload(&tree, &mut live, 0x5151_7777, 100);
    let checkpoint = e.cache.checkpoint().unwrap();
    workload(&tree, &mut live, 0x1234_5678, 1500);
    (tree, live, checkpoint)
}

/// Every record (groups expanded) with the position the recording log gave it.
fn positioned(log: &RecordingLog) -> (Vec<LogRecord>, Vec<Lgpos>) {
    let (at, records) = log.positioned_records().into_iter().unzip();
    (records, at)
}

/// The pages of `bytes` that fail verification (torn, or never written but in the file).
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn bad_pages(bytes: &[u8]) -> Vec<Pgno> {
    (1..(bytes.len() / PAGE).saturating_sub(1))
        .map(|p| Pgno(p as u32))
        .filter(|&p| {
            let at = (p.0 as usize + 1) * PAGE;
            let page = &bytes[at..at + PAGE];
            page.iter().any(|&b| b != 0) && ese_pageio::page::verify(page, p).is_err()
        })
        .collect()
}

struct Recovered {
    bytes: Vec<u8>,
    /// The records redo skipped with [`Redo::NeedsImage`].
    needs_image: Vec<usize>,
    cache: Arc<Cache>,
    log: Arc<RecordingLog>,
}

/// Redo of `records[from..]` into a fresh cache over `disk`, then a flush.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn recover(disk: MemStorage, records: &[LogRecord], at: &[Lgpos], from: usize) -> Recovered {
    let disk = Arc::new(disk);
    let log = Arc::new(RecordingLog::new(false));
    let cache = cache_on(disk.clone(), log.clone(), 16);
    let mut needs_image = Vec::new();
    for (i, (rec, &lgpos)) in records.iter().zip(at).enumerate().skip(from) {
        // The recovery log's head moves with the records redone, so flushes cover them.
        ese_btree::PageLog::append(&*log, rec).unwrap();
        match redo_into_cache(&cache, rec, lgpos).unwrap() {
            Redo::NeedsImage => needs_image.push(i),
            Redo::Applied | Redo::Skipped => {}
        }
    }
    cache.flush_all().unwrap();
    Recovered {
        bytes: disk.to_bytes(),
        needs_image,
        cache,
        log,
    }
}

#[test]
fn redo_from_the_checkpoint_repairs_every_torn_page() {
    let e = env(true);
    let (tree, live, checkpoint) = before_the_crash(&e);
    let writes_after = e.storage.op_count();
    let (records, at) = positioned(&e.log);
    let from = at.partition_point(|&p| p < checkpoint);
    assert!(from > 0 && from < records.len());
    // What the database holds once everything is written.
    let mut crashed: Vec<MemStorage> = (0..12u64).map(|s| e.storage.crash_image(s)).collect();
    e.cache.flush_all().unwrap();
    let expected = e.storage.to_bytes();
    assert!(e.storage.op_count() > writes_after);

    let (mut torn_total, mut needs_total) = (0, 0);
    for (seed, disk) in crashed.drain(..).enumerate() {
        let torn = bad_pages(&disk.to_bytes());
        torn_total += torn.len();
        let got = recover(disk, &records, &at, from);
        // A record finds its page torn only if the page was written (and synced by the
        // checkpoint) after it, and then torn by a later write, which a later image precedes.
        for &i in &got.needs_image {
            let page = records[i].page();
            assert!(
                records[i + 1..]
                    .iter()
                    .any(|r| r.page() == page && ese_btree::rebuilds_page(r).unwrap()),
                "seed {seed}: record {i} skipped, and no image of its page follows"
            );
        }
        needs_total += got.needs_image.len();
        assert!(bad_pages(&got.bytes).is_empty(), "seed {seed}: {torn:?}");
        let len = expected.len().min(got.bytes.len());
        assert!(
            got.bytes[..len] == expected[..len],
            "seed {seed}: recovered pages differ (torn before: {torn:?})"
        );
        // The recovered database opens, and its tree and space check out.
        let db = Arc::new(
            Database::open(
                got.cache.clone(),
                got.log.clone(),
                None,
                DatabaseConfig {
                    dbtime_last: Dbtime(e.db.dbtime_last().0),
                    ..DatabaseConfig::new(DB, PAGE)
                },
            )
            .unwrap(),
        );
        let again = BTree::open(&db, 2, tree.root()).unwrap();
        assert_eq!(
            again.check_invariants().unwrap().live_nodes,
            live.len() as u64
        );
        db.check_space(&[&again]).unwrap();
    }
    assert!(
        torn_total > 0,
        "no crash image tore a page: the test proves nothing"
    );
    assert!(needs_total > 0, "no record waited for an image");
}

#[test]
fn without_images_a_torn_page_cannot_be_repaired() {
    let e = env(false);
    let (_tree, _live, checkpoint) = before_the_crash(&e);
    let (records, at) = positioned(&e.log);
    assert!(
        !records.iter().any(|r| matches!(r, LogRecord::PageImage(_))),
        "images are off"
    );
    let from = at.partition_point(|&p| p < checkpoint);
    let mut unrepaired = 0;
    for seed in 0..12u64 {
        let disk = e.storage.crash_image(seed);
        if bad_pages(&disk.to_bytes()).is_empty() {
            continue;
        }
        let got = recover(disk, &records, &at, from);
        if !got.needs_image.is_empty() || !bad_pages(&got.bytes).is_empty() {
            unrepaired += 1;
        }
    }
    assert!(unrepaired > 0, "some torn page stays torn without images");
}

#[test]
fn a_torn_page_waits_for_its_image() {
    let e = env(true);
    let tree = BTree::create(&e.db, 2, PageFlags::NONE).unwrap();
    for i in 0..20u8 {
        tree.insert(Trx::MIN, &[b'a', i], &[i; 40]).unwrap();
    }
    e.cache.flush_all().unwrap();
    let root = tree.root();
    let on_disk = {
        let bytes = e.storage.to_bytes();
        let at = (root.0 as usize + 1) * PAGE;
        bytes[at..at + PAGE].to_vec()
    };
    let mark = e.log.record_count();
    // The root is clean: its next change is preceded by its image.
    tree.insert(Trx::MIN, b"b", b"one").unwrap();
    tree.insert(Trx::MIN, b"c", b"two").unwrap();
    let records = e.log.records()[mark..].to_vec();
    let kinds: Vec<u8> = records.iter().map(LogRecord::kind).collect();
    assert_eq!(
        kinds,
        [ese_log::record::kind::PAGE_IMAGE, 16, 16],
        "an image, then the two inserts (no second image: the page is dirty)"
    );
    let LogRecord::PageImage(img) = &records[0] else {
        unreachable!()
    };
    assert_eq!(img.pgno, root);
    assert!(img.image.len() < PAGE / 2, "the free gap is left out");

    // The page as the disk holds it after a write torn at its second sector: new bytes first,
    // the rest still the old page's.
    let mut torn = on_disk.clone();
    torn[512..].fill(0x3c);
    // An ordinary record cannot be applied to it, however its dbtime reads.
    let mut page = torn.clone();
    assert_eq!(
        redo_file_page(&mut page, &records[1]).unwrap(),
        Redo::NeedsImage
    );
    assert!(page == torn, "the page is left alone");
    // The image repairs it; the records after it apply at exactly their dbtime.
    assert_eq!(
        redo_file_page(&mut page, &records[0]).unwrap(),
        Redo::Applied
    );
    assert_eq!(
        ese_btree::redo(&mut page, &records[1]).unwrap(),
        Redo::Applied
    );
    assert_eq!(
        ese_btree::redo(&mut page, &records[2]).unwrap(),
        Redo::Applied
    );
    // And they match the running engine's page.
    let live = e.cache.read(DB, root).unwrap().to_vec();
    assert!(
        page[4..] == live[4..],
        "repaired page differs from the live one"
    );
}
