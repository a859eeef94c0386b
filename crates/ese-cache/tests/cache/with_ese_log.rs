//! The cache over the real log: the write-ahead rule and the checkpoint file.

use std::sync::Arc;

use ese_cache::{Cache, CacheConfig, WriteAheadLog};
use ese_core::{Dbtime, Pgno, Trx};
use ese_log::{Log, LogConfig, LogRecord, PageOp};
use ese_pageio::{MemDirectory, MemStorage};

use crate::common::*;

fn record(pgno: Pgno) -> LogRecord {
    LogRecord::ReplaceNode(PageOp {
        trx: Trx(1),
        db: DB,
        pgno,
        dbtime_before: Dbtime(1),
        dbtime_after: Dbtime(2),
        payload: vec![7; 40],
        undo: Vec::new(),
    })
}

#[test]
fn evicting_a_page_flushes_the_real_log_first() {
    let dir = Arc::new(MemDirectory::new());
    let log_config = LogConfig::test_min(dir.clone());
    let log_file_size_bytes = log_config.file_bytes;
    let log = Arc::new(Log::open(log_config).unwrap());
    let cache = Cache::new(
        CacheConfig {
            log_file_size_bytes,
            ..CacheConfig::with_pages(2)
        },
        log.clone(),
    );
    cache.attach(DB, Arc::new(MemStorage::new()), PAGE).unwrap();

    let x = {
        let mut page = cache.new_page(DB, Pgno(1)).unwrap();
        fill(&mut page, 1);
        let x = log.append(&record(Pgno(1))).unwrap();
        page.mark_dirty(x);
        x
    };
    assert!(WriteAheadLog::flushed(&*log) <= x);
    assert!(cache.evict(DB, Pgno(1)).unwrap());
    assert!(
        WriteAheadLog::flushed(&*log) > x,
        "the record is durable before the page"
    );
    assert_eq!(&cache.read(DB, Pgno(1)).unwrap()[BODY], &image(1)[..]);

    // The checkpoint reaches the log's checkpoint file.
    let y = {
        let mut page = cache.write(DB, Pgno(1)).unwrap();
        let y = log.append(&record(Pgno(1))).unwrap();
        page.mark_dirty(y);
        y
    };
    assert_eq!(cache.checkpoint().unwrap(), y);
    assert_eq!(log.read_checkpoint().unwrap(), y);
    cache.flush_all().unwrap();
    let cp = cache.checkpoint().unwrap();
    assert_eq!(cp, WriteAheadLog::head(&*log));
    assert_eq!(log.read_checkpoint().unwrap(), cp);
}
