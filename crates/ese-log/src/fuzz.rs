//! Bodies of the fuzz targets in `fuzz/fuzz_targets/`, kept here so they build on stable and
//! the corpus is replayed by an ordinary test.

use std::sync::Arc;

use ese_core::Lgpos;
use ese_pageio::{Directory, MemDirectory};

use crate::format::{archive_name, current_name};
use crate::log::{Log, LogConfig};
use crate::reader::LogReader;
use crate::record::LogRecord;

/// Target `log_record_decode`: decoding arbitrary bytes never panics, and whatever decodes
/// re-encodes to the same bytes.
pub fn record_decode(data: &[u8]) {
    if let Ok(rec) = LogRecord::decode(data) {
        let again = rec.encode();
        assert_eq!(
            again.as_deref(),
            Some(data),
            "decode then encode changed the bytes"
        );
    }
    if let Ok((rec, used)) = LogRecord::decode_prefix(data) {
        assert!(used <= data.len());
        assert_eq!(rec.frame_len(), used);
    }
}

/// Target `log_scan`: arbitrary bytes as log files never make a scan or an open panic.
///
/// The first byte chooses how many files (1 to 3) the rest is cut into, in equal parts: the
/// oldest archived generations first and the current file `edb.log` last.
pub fn log_scan(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let files = usize::from(first % 3) + 1;
    let part = rest.len().div_ceil(files).max(1);
    let dir = Arc::new(MemDirectory::new());
    let chunks: Vec<&[u8]> = rest.chunks(part).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let name = if i + 1 == chunks.len() {
            current_name("edb")
        } else {
            archive_name("edb", i as u32 + 1)
        };
        if let Ok(f) = dir.open(&name, true) {
            let _ = f.write_at(0, chunk);
        }
    }
    if let Ok(reader) = LogReader::open(dir.clone(), "edb") {
        // Bounded by the number of records the bytes can hold.
        for item in reader.scan(Lgpos::MIN) {
            if item.is_err() {
                break;
            }
        }
        let _ = reader.read_all();
    }
    let mut config = LogConfig::test_min(dir);
    config.file_bytes = 8 * 512;
    let _ = Log::open(config).map(|log| {
        let _ = log.commit(
            &LogRecord::Commit {
                trx: ese_core::Trx(1),
                commit_trx: ese_core::Trx(2),
            },
            crate::log::CommitMode::Durable,
        );
    });
}
