//! Fuzz bodies for the page and header decoders, shared by cargo-fuzz and the corpus replay.
//!
//! The cargo-fuzz targets in `fuzz/fuzz_targets/` are one-line wrappers around these functions,
//! and this crate's tests replay every file of `fuzz/corpus/<target>/` through them on stable,
//! so a crash the fuzzer once found stays fixed. Each body must not panic on any input; the
//! assertions in them state properties (a decoded page re-encodes to an equal page, every
//! successful change leaves a structurally valid page) whose failure is a bug worth a crash.

use ese_core::Pgno;
use ese_core::limits::PAGE_SIZES_BYTES;

use crate::header::{DbHeader, read_header};
use crate::page::{self, Page, PageMut, PageView};
use crate::storage::MemStorage;

/// Builds a page from fuzz input: the first byte picks the page size, the rest is the page's
/// leading bytes, zero-padded. Returns `None` for empty input.
pub fn page_from_input(data: &[u8]) -> Option<Vec<u8>> {
    let (&selector, rest) = data.split_first()?;
    let size = PAGE_SIZES_BYTES[selector as usize % PAGE_SIZES_BYTES.len()];
    let mut page = vec![0u8; size];
    let n = rest.len().min(size);
    page[..n].copy_from_slice(&rest[..n]);
    // Inputs longer than one page put their tail at the end of the page, where the tags live.
    if rest.len() > size {
        let tail = &rest[size..];
        let m = tail.len().min(size);
        page[size - m..].copy_from_slice(&tail[..m]);
    }
    Some(page)
}

/// Fuzz body: verify, check, decode, re-encode and change a page built from `data`.
pub fn page_decode(data: &[u8]) {
    let Some(mut buf) = page_from_input(data) else {
        return;
    };
    let stored = Pgno(u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]));
    let _ = page::verify(&buf, stored);
    let _ = page::verify(&buf, Pgno(1));
    let _ = page::verify(data, stored);
    let Ok(view) = PageView::new(&buf) else {
        return;
    };
    let total: usize = view.lines().map(<[u8]>::len).sum();
    assert_eq!(
        view.free_bytes() + total + view.line_count() * page::TAG_BYTES + page::HEADER_BYTES,
        buf.len()
    );
    // A structurally valid page decodes, and re-encodes to an equal, verifiable page.
    let Ok(decoded) = Page::decode(&buf) else {
        panic!("a page that checks must decode");
    };
    let mut again = vec![0u8; buf.len()];
    assert!(
        decoded.encode(&mut again).is_ok(),
        "a decoded page must re-encode"
    );
    assert!(page::verify(&again, decoded.pgno).is_ok());
    assert_eq!(Page::decode(&again).ok().as_ref(), Some(&decoded));
    // Changes driven by the input keep the page valid, and refused ones report errors.
    let Ok(mut m) = PageMut::new(&mut buf) else {
        panic!("a page that checks must open for changes");
    };
    for chunk in data.chunks(3).take(64) {
        let (op, index, len) = match chunk {
            [a, b, c] => (*a, *b as usize, *c as usize * 8),
            _ => break,
        };
        let count = m.view().line_count();
        let index = if count == 0 { 0 } else { index % (count + 1) };
        let line = vec![op; len];
        let _ = match op % 4 {
            0 => m.insert(index, &line),
            1 => m.replace(index, &line),
            2 => m.delete(index),
            _ => {
                m.reorganize();
                Ok(())
            }
        };
        assert!(page::check(m.bytes()).is_ok(), "a change broke the page");
    }
}

/// Fuzz body: decode a header record from `data`, and read both copies from `data` as a file.
pub fn header_decode(data: &[u8]) {
    if let Ok(h) = DbHeader::decode(data) {
        let mut rec = vec![0u8; crate::header::HEADER_RECORD_BYTES];
        assert!(h.encode(&mut rec).is_ok());
        assert_eq!(DbHeader::decode(&rec).ok(), Some(h), "header round trip");
    }
    // As a whole file: at most two 32 KiB slots and a record matter.
    let file = &data[..data.len().min(2 * 32 * 1024 + 512)];
    let storage = MemStorage::from_bytes(file.to_vec());
    if let Ok(r) = read_header(&storage) {
        assert!(ese_core::limits::is_valid_page_size(
            r.header.page_size as usize
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::{DbState, Signature, write_header};
    use crate::page::{PageFlags, seal};
    use ese_core::Dbtime;
    use std::path::{Path, PathBuf};

    fn corpus(target: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus")
            .join(target)
    }

    fn replay(target: &str, body: fn(&[u8])) {
        let dir = corpus(target);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                body(&std::fs::read(&path).unwrap());
                n += 1;
            }
        }
        assert!(n >= 3, "{}: only {n} corpus files", dir.display());
    }

    #[test]
    fn page_decode_corpus_replays() {
        replay("page_decode", page_decode);
    }

    #[test]
    fn header_decode_corpus_replays() {
        replay("header_decode", header_decode);
    }

    /// Seeds: `(name, bytes)` for each corpus; small, and each reaching a different path.
    type Seeds = Vec<(&'static str, Vec<u8>)>;

    fn seeds() -> (Seeds, Seeds) {
        let mut pages = Vec::new();
        // Selector 0 = 4 KiB. An empty page, a page with a few lines, a page with holes.
        let mut buf = vec![0u8; 4096];
        PageMut::init(&mut buf, Pgno(5), 3, PageFlags::LEAF, Dbtime(7)).unwrap();
        seal(&mut buf, Pgno(5));
        pages.push(("empty_4k", trimmed(&buf)));
        let mut m = PageMut::init(&mut buf, Pgno(6), 3, PageFlags::ROOT, Dbtime(8)).unwrap();
        for (i, line) in [&b"alpha"[..], b"", b"gamma-gamma", b"delta"]
            .iter()
            .enumerate()
        {
            m.insert(i, line).unwrap();
        }
        m.delete(0).unwrap();
        m.replace(1, b"a longer gamma line").unwrap();
        seal(&mut buf, Pgno(6));
        pages.push(("lines_4k", with_selector(0, &buf)));
        pages.push(("garbage", b"\x01not a page at all".to_vec()));
        pages.push(("ops", vec![0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
        let mut headers = Vec::new();
        let mut h = DbHeader::new(
            8192,
            Signature {
                random: 1,
                created_unix_micros: 2,
            },
        );
        let mut rec = vec![0u8; 512];
        h.encode(&mut rec).unwrap();
        headers.push(("record", rec.clone()));
        h.state = DbState::CleanShutdown;
        let disk = MemStorage::new();
        h.page_size = 4096;
        write_header(&disk, &h).unwrap();
        let mut file = disk.to_bytes();
        file[20] ^= 0xff; // a torn primary, so the read takes the shadow
        headers.push(("torn_primary", file));
        headers.push(("short", b"ESERSDB".to_vec()));
        (pages, headers)
    }

    fn with_selector(selector: u8, page: &[u8]) -> Vec<u8> {
        let mut v = vec![selector];
        v.extend_from_slice(page);
        v
    }

    /// The page without its trailing zeros (which `page_from_input` restores), with selector 0.
    fn trimmed(page: &[u8]) -> Vec<u8> {
        let end = page.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        with_selector(0, &page[..end])
    }

    /// Rewrites the seed files: `cargo test -p ese-pageio -- --ignored write_corpus_seeds`.
    #[test]
    #[ignore]
    fn write_corpus_seeds() {
        let (pages, headers) = seeds();
        for (target, files) in [("page_decode", pages), ("header_decode", headers)] {
            let dir = corpus(target);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in files {
                std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
            }
        }
    }

    #[test]
    fn seeds_reach_the_paths_they_are_named_for() {
        let (pages, headers) = seeds();
        let page = |name: &str| {
            let bytes = &pages.iter().find(|(n, _)| *n == name).unwrap().1;
            page_from_input(bytes).unwrap()
        };
        PageView::verified(&page("empty_4k"), Pgno(5)).unwrap();
        let lines = PageView::verified(&page("lines_4k"), Pgno(6))
            .unwrap()
            .lines()
            .map(<[u8]>::to_vec)
            .collect::<Vec<_>>();
        assert_eq!(
            lines,
            [
                b"".to_vec(),
                b"a longer gamma line".to_vec(),
                b"delta".to_vec()
            ]
        );
        let torn = &headers
            .iter()
            .find(|(n, _)| *n == "torn_primary")
            .unwrap()
            .1;
        let r = read_header(&MemStorage::from_bytes(torn.clone())).unwrap();
        assert_eq!(r.copy, crate::header::HeaderCopy::Shadow);
        for (_, bytes) in pages {
            page_decode(&bytes);
        }
        for (_, bytes) in headers {
            header_decode(&bytes);
        }
    }
}
