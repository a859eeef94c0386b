//! Hostile input: bit flips in the real basic.edb, random mutations behind valid checksums,
//! and the fuzz corpora. Nothing may panic, and a value is either right or an error.

mod common;

use common::{load, testdata};
use ese_edb::checksum::{ChecksumOutcome, stamp_header, stamp_page, verify_page};
use ese_edb::{Database, Error};
use proptest::prelude::*;

/// Every value of every table, as text, or the first error met.
fn dump(db: &Database) -> Result<String, Error> {
    let mut out = String::new();
    db.check_pages()?;
    for t in db.tables() {
        out.push_str(&t.name);
        out.push('\n');
        for row in db.rows(t)? {
            for (n, v) in row?.iter() {
                out.push_str(&format!("{n}={v}|"));
            }
            out.push('\n');
        }
    }
    Ok(out)
}

/// The pages the trees of an unmodified 4 KiB-page file reach.
fn in_use_pages(bytes: &[u8]) -> Vec<u32> {
    let db = Database::from_bytes(bytes.to_vec()).expect("open");
    db.check_pages().expect("check").pages.into_iter().collect()
}

/// The catalog's rows as text.
fn dump_catalog(db: &Database) -> String {
    let t = db.table("MSysObjects").expect("catalog");
    db.rows(t)
        .expect("rows")
        .map(|r| {
            let r = r.expect("row");
            r.iter()
                .map(|(n, v)| format!("{n}={v}|"))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn basic() -> Option<Vec<u8>> {
    let dir = testdata()?;
    load(&dir, "dissect.esedb/basic.edb")
}

#[test]
fn every_bit_flip_of_every_in_use_page_of_basic_edb_is_corrected_or_rejected() {
    let Some(bytes) = basic() else { return };
    let db = Database::from_bytes(bytes.clone()).unwrap();
    let pages: Vec<u32> = db.check_pages().unwrap().pages.into_iter().collect();
    assert_eq!(pages.len(), 23);
    let ps = 4096usize;
    let counts = std::thread::scope(|s| {
        let handles: Vec<_> = pages
            .chunks(pages.len().div_ceil(2))
            .map(|chunk| {
                let bytes = &bytes;
                s.spawn(move || {
                    let (mut corrected, mut rejected) = (0usize, 0usize);
                    for &pgno in chunk {
                        let off = (pgno as usize + 1) * ps;
                        let orig = &bytes[off..off + ps];
                        let mut page = orig.to_vec();
                        for bit in 0..ps * 8 {
                            page[bit / 8] ^= 1 << (bit % 8);
                            match verify_page(&mut page, pgno) {
                                Ok(ChecksumOutcome::Corrected(bits)) => {
                                    assert_eq!(bits, vec![bit as u32]);
                                    assert_eq!(page, orig, "page {pgno} bit {bit}");
                                    corrected += 1;
                                }
                                Ok(ChecksumOutcome::Verified) => {
                                    panic!("page {pgno} bit {bit}: flip not detected")
                                }
                                Err(e) => {
                                    assert_eq!(e.jet_code(), -1018);
                                    assert_eq!(e.pgno(), Some(pgno));
                                    page.copy_from_slice(orig);
                                    rejected += 1;
                                }
                            }
                        }
                    }
                    (corrected, rejected)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    println!(
        "basic.edb: {} flips corrected, {} rejected",
        counts.0, counts.1
    );
    assert_eq!(counts.0 + counts.1, 23 * 4096 * 8);
    // Only flips inside the stored checksum (64 bits) and of the checksum-format flag cannot
    // be repaired.
    assert!(counts.1 <= 23 * 65, "{counts:?}");

    // End to end on a sample: the whole database reads the same as the original, with the
    // correction reported, or fails with an error.
    let want = dump(&db).unwrap();
    for (i, &pgno) in pages.iter().enumerate() {
        for bit in [i * 331 % 32768, (i * 7919 + 100) % 32768, 300] {
            let mut b = bytes.clone();
            b[(pgno as usize + 1) * ps + bit / 8] ^= 1 << (bit % 8);
            match Database::from_bytes(b).and_then(|db| Ok((dump(&db)?, db.corrections()))) {
                Ok((got, corrections)) => {
                    assert_eq!(got, want, "page {pgno} bit {bit}");
                    assert!(
                        corrections
                            .iter()
                            .any(|c| c.pgno == pgno && c.bit == bit as u32)
                    );
                }
                Err(e) => assert_eq!(e.jet_code(), -1018, "page {pgno} bit {bit}: {e}"),
            }
        }
    }
}

#[test]
fn single_bit_errors_on_16k_and_32k_pages_are_corrected_in_every_block() {
    let Some(dir) = testdata() else { return };
    for (rel, ps) in [
        ("go-ese/qmgr.db", 16384usize),
        ("dissect.esedb/large.edb.gz", 32768),
    ] {
        let Some(bytes) = load(&dir, rel) else {
            continue;
        };
        let db = Database::from_bytes(bytes.clone()).unwrap();
        let want = dump_catalog(&db);
        let catalog_page = 4usize;
        let block = ps / 4;
        // One flip in each of blocks 1-3 of the catalog root, and one inside block 1's stored
        // checksum (offset 40), which block 0's ECC covers; ECC repairs one bit per block.
        let base = (catalog_page + 1) * ps;
        let flips: Vec<usize> = vec![
            8 * 40 + 3,
            8 * (block + 777) + 1,
            8 * (2 * block + 5),
            8 * (3 * block + block - 1) + 7,
        ];
        // A flip in block 1's stored checksum and one in block 1's data would make two
        // errors for block 1, so try blocks 1-3 together, then block 0 alone.
        let mut only_later = bytes.clone();
        for bit in &flips[1..] {
            only_later[base + bit / 8] ^= 1 << (bit % 8);
        }
        let db = Database::from_bytes(only_later).unwrap();
        assert_eq!(dump_catalog(&db), want, "{rel}");
        let fixed: Vec<u32> = db.corrections().iter().map(|c| c.bit).collect();
        assert_eq!(fixed.len(), 3, "{rel}: {fixed:?}");
        let mut only_first = bytes.clone();
        only_first[base + flips[0] / 8] ^= 1 << (flips[0] % 8);
        let db = Database::from_bytes(only_first).unwrap();
        assert_eq!(dump_catalog(&db), want, "{rel}");
        assert_eq!(db.corrections()[0].bit, flips[0] as u32, "{rel}");
        assert_eq!(db.corrections()[0].pgno, catalog_page as u32);
        // Two flips in the same block are beyond repair.
        let mut two = bytes.clone();
        two[base + block + 10] ^= 1;
        two[base + block + 20] ^= 1;
        let err = Database::from_bytes(two).err().unwrap();
        assert_eq!((err.jet_code(), err.pgno()), (-1018, Some(4)), "{rel}");
    }
}

#[test]
fn a_bad_page_reports_1018_with_its_number() {
    let Some(mut bytes) = basic() else { return };
    let db = Database::from_bytes(bytes.clone()).unwrap();
    let t = db.table("basic").unwrap();
    let off = (t.fdp as usize + 1) * 4096;
    bytes[off + 1000] ^= 0x11;
    let db = Database::from_bytes(bytes).unwrap();
    let t = db.table("basic").unwrap();
    let err = db
        .rows(t)
        .err()
        .expect("two flipped bits cannot be corrected");
    assert_eq!(err.jet_code(), -1018);
    assert_eq!(err.pgno(), Some(t.fdp));
    assert!(err.to_string().contains(&format!("page {}", t.fdp)));
}

#[test]
fn a_bad_header_falls_back_to_the_shadow_and_both_bad_is_an_error() {
    let Some(mut bytes) = basic() else { return };
    bytes[100] ^= 1;
    let db = Database::from_bytes(bytes.clone()).unwrap();
    assert!(db.header().used_shadow);
    bytes[4096 + 100] ^= 1;
    let err = Database::from_bytes(bytes).err().unwrap();
    assert_eq!(err.jet_code(), -1018);
}

#[test]
fn truncated_files_are_errors() {
    assert_eq!(
        Database::from_bytes(Vec::new()).err().unwrap().jet_code(),
        -1028
    );
    assert_eq!(
        Database::from_bytes(vec![0; 8192])
            .err()
            .unwrap()
            .jet_code(),
        -1028
    );
    let Some(bytes) = basic() else { return };
    for pages in [1usize, 2, 3, 5, 6, 20, 30, 31] {
        let cut = bytes[..pages * 4096].to_vec();
        match Database::from_bytes(cut.clone()) {
            Ok(db) => {
                let _ = dump(&db);
            }
            Err(e) => assert!(
                [-1028, -4001, -1019, -1018, -1206].contains(&e.jet_code()),
                "{pages} pages: {e}"
            ),
        }
        ese_edb::fuzz::fuzz_file(&cut);
    }
}

fn fuzz_corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("SKIP: no corpus at {}", dir.display());
        return Vec::new();
    };
    entries
        .map(|e| std::fs::read(e.expect("entry").path()).expect("read"))
        .collect()
}

#[test]
fn fuzz_corpora_replay_without_panics() {
    for input in fuzz_corpus("edb_file") {
        ese_edb::fuzz::fuzz_file(&input);
    }
    for input in fuzz_corpus("edb_page") {
        ese_edb::fuzz::fuzz_page(&input);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Random bytes or bit flips written into an in-use page of basic.edb (fixed columns),
    /// binary.edb (long values, XPRESS) or multi.edb (multi-values, 7-bit), with the checksum
    /// re-stamped so that the page, node, record, LV and value decoders see the damage.
    #[test]
    fn mutated_pages_behind_valid_checksums_never_panic(
        file in 0usize..3,
        page_pick in 0usize..64,
        edits in proptest::collection::vec((0usize..4096, any::<u8>(), any::<bool>()), 1..24),
    ) {
        let Some(dir) = testdata() else { return Ok(()) };
        let name = ["basic.edb", "binary.edb", "multi.edb"][file];
        let Some(mut bytes) = load(&dir, &format!("dissect.esedb/{name}")) else {
            return Ok(());
        };
        let pages = in_use_pages(&bytes);
        let pgno = pages[page_pick % pages.len()];
        let off = (pgno as usize + 1) * 4096;
        for (at, v, flip) in edits {
            // Keep the checksum-format flag so the page stays in the XE scheme.
            if (36..40).contains(&at) { continue; }
            if flip {
                bytes[off + at] ^= 1 << (v % 8);
            } else {
                bytes[off + at] = v;
            }
        }
        stamp_page(&mut bytes[off..off + 4096], pgno);
        let _ = ese_edb::fuzz::fuzz_file(&bytes);
        let _ = ese_edb::fuzz::fuzz_page(&bytes[off..off + 4096]);
    }

    /// Random header edits with a re-stamped header checksum.
    #[test]
    fn mutated_headers_never_panic(
        edits in proptest::collection::vec((0usize..700, any::<u8>()), 1..8),
    ) {
        let Some(mut bytes) = basic() else { return Ok(()) };
        for (at, v) in edits {
            bytes[at] = v;
            bytes[4096 + at] = v;
        }
        stamp_header(&mut bytes[..4096]);
        let shadow = bytes[..4096].to_vec();
        bytes[4096..8192].copy_from_slice(&shadow);
        let _ = ese_edb::fuzz::fuzz_file(&bytes);
    }

    /// Arbitrary bytes as a page.
    #[test]
    fn arbitrary_pages_never_panic(data in proptest::collection::vec(any::<u8>(), 0..9000)) {
        let _ = ese_edb::fuzz::fuzz_page(&data);
    }
}
