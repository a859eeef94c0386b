//! Every single-bit flip in a log file is detected, and classified: damage to a finished file,
//! a header, or any flush but the last is mid-log corruption (JET_errLogFileCorrupt); damage to
//! the last flush is a torn tail, and the reader then returns the records before that flush.

mod common;

use std::sync::Arc;

use common::{read_all, record};
use ese_core::Lgpos;
use ese_core::limits::SECTOR_BYTES;
use ese_log::{CommitMode, Error, Log, LogConfig, Tail};
use ese_pageio::{Directory, MemDirectory};

#[test]
fn every_bit_flip_is_detected_and_classified() {
    let dir = Arc::new(MemDirectory::new());
    let log = Log::open(LogConfig::test_min(dir.clone())).unwrap();
    let mut i = 0;
    // Fill two files and part of a third, ending with a durable flush of a few sectors.
    while log.current_generation() < 3 || log.head().sector < 6 {
        let mode = if i % 5 == 0 {
            CommitMode::Durable
        } else {
            CommitMode::Lazy
        };
        log.commit(&record(i), mode).unwrap();
        i += 1;
    }
    for j in 0..6 {
        log.append(&record(1000 + j)).unwrap();
    }
    log.flush_all().unwrap();
    drop(log);
    let (all, end) = read_all(dir.clone()).unwrap();
    assert_eq!(end.tail, Tail::Clean);
    let last_gen = end.head.generation;
    assert_eq!(last_gen, 3);
    let names = dir.list().unwrap();
    let last_file = dir.file("edb.log").unwrap().to_bytes();
    // The last flush ends just before the head; its first sector is in its header.
    let last_sector = usize::from(end.head.sector) - 1;
    let h = &last_file[last_sector * SECTOR_BYTES..];
    let flush_first = usize::from(u16::from_le_bytes([h[12], h[13]]));
    assert!(
        flush_first < last_sector,
        "the last flush spans several sectors"
    );
    let before_last_flush: Vec<_> = all
        .iter()
        .filter(|(l, _)| *l < Lgpos::new(last_gen, flush_first as u16, 0))
        .cloned()
        .collect();

    let (mut corrupt, mut torn, mut flips) = (0u64, 0u64, 0u64);
    for name in names.iter().filter(|n| n.ends_with(".log")) {
        let original = dir.file(name).unwrap().to_bytes();
        let is_last = name == "edb.log";
        for byte in 0..original.len() {
            let sector = byte / SECTOR_BYTES;
            for bit in 0..8u8 {
                let image = Arc::new(MemDirectory::new());
                for other in &names {
                    let mut bytes = dir.file(other).unwrap().to_bytes();
                    if other == name {
                        bytes[byte] ^= 1 << bit;
                    }
                    image
                        .open(other, true)
                        .unwrap()
                        .write_at(0, &bytes)
                        .unwrap();
                }
                flips += 1;
                let result = read_all(image);
                let why = format!("{name} byte {byte} bit {bit} (sector {sector})");
                if !is_last || sector < flush_first {
                    match result {
                        Err(Error::LogFileCorrupt { .. }) => corrupt += 1,
                        other => panic!("{why}: expected corruption, got {other:?}"),
                    }
                } else if sector <= last_sector {
                    match result {
                        Ok((got, end)) if matches!(end.tail, Tail::Torn { .. }) => {
                            assert!(got == before_last_flush, "{why}: wrong records");
                            torn += 1;
                        }
                        other => panic!("{why}: expected a torn tail, got {other:?}"),
                    }
                } else {
                    // Space after the end of the log: the records are whole, and the garbage
                    // is reported.
                    match result {
                        Ok((got, end)) if matches!(end.tail, Tail::Torn { .. }) => {
                            assert!(got == all, "{why}: wrong records");
                            torn += 1;
                        }
                        other => panic!("{why}: expected garbage after the end, got {other:?}"),
                    }
                }
            }
        }
    }
    eprintln!("bit flips: {flips} tried, {corrupt} corruption, {torn} torn tail, 0 missed");
    assert_eq!(corrupt + torn, flips);
}
