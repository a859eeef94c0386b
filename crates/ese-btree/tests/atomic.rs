//! Every B-tree call is one atomic change: its page records reach the log as one frame (a page
//! group when it changes several pages), and a call that fails changes no page at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ese_btree::testing::RecordingLog;
use ese_btree::{BTree, Database, DatabaseConfig, Error, LogError, PageLog};
use ese_cache::{Cache, CacheConfig, WriteAheadLog};
use ese_core::{DbId, Lgpos, Pgno, Trx};
use ese_log::LogRecord;
use ese_pageio::{MemStorage, PageFlags, Storage};

const DB: DbId = DbId(1);
const PAGE: usize = 4096;

fn k(i: u32) -> Vec<u8> {
    format!("key{i:06}").into_bytes()
}

/// A recording log whose appends fail while `fail_from` is at or below the append count.
#[derive(Debug)]
struct FlakyLog {
    inner: RecordingLog,
    appends: AtomicU64,
    fail_from: AtomicU64,
}

impl PageLog for FlakyLog {
    fn append(&self, rec: &LogRecord) -> Result<Lgpos, LogError> {
        let n = self.appends.fetch_add(1, Ordering::SeqCst);
        if n >= self.fail_from.load(Ordering::SeqCst) {
            return Err("injected log failure".into());
        }
        self.inner.append(rec)
    }
}

impl WriteAheadLog for FlakyLog {
    fn flushed(&self) -> Lgpos {
        self.inner.flushed()
    }
    fn flush_to(&self, lgpos: Lgpos) -> Result<(), ese_cache::LogError> {
        self.inner.flush_to(lgpos)
    }
    fn head(&self) -> Lgpos {
        self.inner.head()
    }
    fn write_checkpoint(&self, lgpos: Lgpos) -> Result<(), ese_cache::LogError> {
        self.inner.write_checkpoint(lgpos)
    }
}

struct Env {
    log: Arc<FlakyLog>,
    cache: Arc<Cache>,
    db: Arc<Database>,
}

#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn env(cache_pages: usize) -> Env {
    let log = Arc::new(FlakyLog {
        inner: RecordingLog::new(true),
        appends: AtomicU64::new(0),
        fail_from: AtomicU64::new(u64::MAX),
    });
    let mut cc = CacheConfig::with_pages(cache_pages);
    cc.log_file_size_bytes = RecordingLog::log_file_size_bytes();
    let cache = Arc::new(Cache::new(cc, log.clone()));
    let storage = Arc::new(MemStorage::new());
    cache.attach(DB, storage.clone(), PAGE).unwrap();
    let config = DatabaseConfig {
        extension_pages: 4,
        space_group_pages: 16,
        ..DatabaseConfig::new(DB, PAGE)
    };
    let db = Database::create(
        cache.clone(),
        log.clone(),
        Some(storage as Arc<dyn Storage>),
        config,
    )
    .unwrap();
    Env {
        log,
        cache,
        db: Arc::new(db),
    }
}

/// The pages every frame of `frames` changes.
fn pages_of(frame: &LogRecord) -> Vec<Pgno> {
    frame
        .page_records()
        .iter()
        .filter_map(|r| r.page().map(|(_, p)| p))
        .collect()
}

#[test]
fn a_split_is_one_frame_holding_every_page_it_changes() {
    let e = env(16);
    let tree = BTree::create(&e.db, 2, PageFlags::NONE).unwrap();
    let (mut groups, mut splits) = (0, 0);
    for i in 0..600 {
        let before = e.log.inner.frames().len();
        tree.insert(Trx::MIN, &k(i * 7919 % 600), &[i as u8; 90])
            .unwrap();
        let frames = e.log.inner.frames();
        let new = &frames[before..];
        // The call's page operations are one frame, the last; only images precede it.
        let (last, images) = new.split_last().unwrap();
        assert!(
            images.iter().all(|f| matches!(f, LogRecord::PageImage(_))),
            "insert {i}: {new:?}"
        );
        if let LogRecord::PageGroup(members) = last {
            groups += 1;
            assert!(members.len() > 1);
            assert!(members.iter().all(LogRecord::is_page_record));
            let pages = pages_of(last);
            if members.iter().any(|m| matches!(m, LogRecord::Split { .. })) {
                splits += 1;
                // A split allocates: the space map changes in the same frame as the new page.
                let maps = e.db.space_map_pages();
                assert!(
                    pages.iter().any(|p| maps.contains(p)),
                    "insert {i}: {pages:?}"
                );
            }
            // Each image is of a page the group changes.
            for img in images {
                assert!(pages.contains(&img.page().unwrap().1));
            }
        } else {
            assert!(last.page_op().is_some(), "insert {i}: {last:?}");
        }
    }
    assert!(
        splits > 5 && groups >= splits,
        "{splits} splits in {groups} groups"
    );
    let stats = tree.check_invariants().unwrap();
    assert!(stats.depth >= 2);
    e.db.check_space(&[&tree]).unwrap();
    // Deleting most of it merges and frees pages, each call again one frame.
    for i in 0..580 {
        let before = e.log.inner.frames().len();
        tree.delete_now(Trx::MIN, &k(i)).unwrap();
        let frames = e.log.inner.frames();
        let ops = frames[before..]
            .iter()
            .filter(|f| !matches!(f, LogRecord::PageImage(_)))
            .count();
        // One frame for the flag delete, one for the removal (with its merges and frees).
        assert_eq!(ops, 2, "delete {i}");
    }
    tree.check_invariants().unwrap();
    e.db.check_space(&[&tree]).unwrap();
}

#[test]
fn a_call_whose_record_is_refused_changes_no_page() {
    let e = env(16);
    let tree = BTree::create(&e.db, 2, PageFlags::NONE).unwrap();
    let mut refused = 0;
    let mut live = 0u64;
    for i in 0..400u32 {
        // Every third call, the log refuses the call's records from its first on (an image
        // or the call's one record): nothing of the call may change.
        let fail = i % 3 == 1;
        if fail {
            let base = e.log.appends.load(Ordering::SeqCst);
            e.log.fail_from.store(base, Ordering::SeqCst);
        }
        let key = k(i * 4099 % 400);
        let result = tree.insert(Trx::MIN, &key, &[i as u8; 150]);
        e.log.fail_from.store(u64::MAX, Ordering::SeqCst);
        match result {
            Ok(()) => {
                assert!(!fail, "insert {i} succeeded though its log failed");
                live += 1;
            }
            Err(Error::Log(_)) => {
                assert!(fail);
                refused += 1;
                assert_eq!(tree.get(&key).unwrap(), None, "insert {i} left its node");
            }
            Err(err) => panic!("insert {i}: {err}"),
        }
        assert_eq!(
            tree.check_invariants().unwrap().live_nodes,
            live,
            "insert {i}"
        );
        e.db.check_space(&[&tree]).unwrap();
    }
    assert!(refused > 100);
    assert!(tree.check_invariants().unwrap().depth >= 2);
    e.cache.check_invariants().unwrap();
}

#[test]
fn a_call_that_cannot_latch_its_pages_changes_nothing() {
    // Four frames: enough for a one-page insert, not for a split with its space map, parent
    // and sibling latched at once.
    let e = env(4);
    let tree = BTree::create(&e.db, 2, PageFlags::NONE).unwrap();
    let mut inserted = Vec::new();
    let mut short = 0;
    for i in 0..300u32 {
        let key = k(i * 7 % 300);
        match tree.insert(Trx::MIN, &key, &[1; 300]) {
            Ok(()) => inserted.push(key),
            Err(Error::Cache(ese_cache::Error::OutOfBuffers { .. })) => {
                short += 1;
                assert_eq!(tree.get(&key).unwrap(), None);
            }
            Err(err) => panic!("insert {i}: {err}"),
        }
        tree.check_invariants().unwrap();
        e.db.check_space(&[&tree]).unwrap();
    }
    assert!(short > 0, "no call needed more frames than the cache has");
    for key in &inserted {
        assert!(tree.get(key).unwrap().is_some());
    }
}
