//! Replays every file of the fuzz corpora on stable, and can regenerate the seed files.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::record;
use ese_log::{CommitMode, Log, LogConfig};
use ese_pageio::{Directory, MemDirectory};

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

fn replay(target: &str, body: fn(&[u8])) {
    let dir = corpus(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("test setup").path();
        body(&std::fs::read(&path).expect("test setup"));
        n += 1;
    }
    assert!(n > 0, "{} is empty", dir.display());
}

#[test]
fn replay_log_record_decode_corpus() {
    replay("log_record_decode", ese_log::fuzz::record_decode);
}

#[test]
fn replay_log_scan_corpus() {
    replay("log_scan", ese_log::fuzz::log_scan);
}

/// Log files of 8 sectors, as `fuzz::log_scan` expects: `[files - 1] ++ file bytes...`.
fn scan_seed(records: u64, torn: bool) -> Vec<u8> {
    let dir = Arc::new(MemDirectory::new());
    let mut config = LogConfig::test_min(dir.clone());
    config.file_bytes = 8 * 512;
    let log = Log::open(config).expect("test setup");
    for i in 0..records {
        log.commit(&record(i), CommitMode::Durable)
            .expect("test setup");
    }
    drop(log);
    let mut names = dir.list().expect("test setup");
    names.retain(|n| n.ends_with(".log"));
    // "edb.log" sorts before the archives (b'.' < b'0'); the current file goes last.
    names.sort_by_key(|n| n == "edb.log");
    let mut out = vec![(names.len() as u8).saturating_sub(1)];
    for name in &names {
        out.extend(dir.file(name).expect("test setup").to_bytes());
    }
    if torn {
        let len = out.len();
        out[len - 2000] ^= 0x10;
    }
    out
}

#[test]
#[ignore = "writes the seed corpus into fuzz/corpus; run by hand"]
fn write_seed_corpus() {
    let rd = corpus("log_record_decode");
    std::fs::create_dir_all(&rd).expect("test step");
    for i in 0..4u64 {
        std::fs::write(
            rd.join(format!("seed-record-{i}")),
            record(i).encode().expect("test step"),
        )
        .expect("test step");
    }
    std::fs::write(rd.join("seed-garbage"), [0xff, 0, 0, 0, 2, 1, 2, 3]).expect("test step");
    // A 4 KiB page image whose free gap (the hole) is left out.
    let mut page = vec![0u8; 4096];
    page[..64]
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = i as u8);
    page[4088..].fill(0xee);
    let image = ese_log::PageImage::from_page(
        ese_core::DbId(1),
        ese_core::Pgno(5),
        ese_core::Dbtime(42),
        &page,
        64..4088,
    );
    std::fs::write(
        rd.join("seed-page-image"),
        ese_log::LogRecord::PageImage(image)
            .encode()
            .expect("test step"),
    )
    .expect("test step");
    let sd = corpus("log_scan");
    std::fs::create_dir_all(&sd).expect("test step");
    std::fs::write(sd.join("seed-one-file"), scan_seed(6, false)).expect("test step");
    std::fs::write(sd.join("seed-two-files"), scan_seed(14, false)).expect("test step");
    std::fs::write(sd.join("seed-torn"), scan_seed(14, true)).expect("test step");
    std::fs::write(sd.join("seed-garbage"), [1, 2, 3, 4, 5]).expect("test step");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// A stable stand-in for the fuzzer: random damage to real log files never panics.
    #[test]
    fn mutated_log_files_never_panic(
        edits in proptest::collection::vec((0usize..8193, proptest::prelude::any::<u8>()), 1..8),
        files in 0u8..3,
    ) {
        let mut data = scan_seed(14, false);
        data[0] = files;
        for (at, byte) in edits {
            let at = at % data.len();
            data[at] = byte;
        }
        ese_log::fuzz::log_scan(&data);
    }
}
