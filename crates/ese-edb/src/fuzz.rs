//! Entry points for fuzzing: feed arbitrary bytes through every decoder and require that
//! nothing panics, hangs or allocates without bound. The `fuzz/` targets call these, and the
//! crate's tests replay the fuzz corpora through them on stable.

use crate::compress::decompress;
use crate::page::Page;
use crate::record::{Record, TAGGED_MULTI_VALUES, split_multi};
use crate::{Database, Value};

/// Rows decoded per table before the fuzz entry point moves on (keeps each run short).
const FUZZ_ROWS_PER_TABLE: usize = 10_000;

/// Treat `data` as a whole database file: open it, check its pages, decode every row of every
/// table. Returns how many values were decoded (so the work cannot be optimised away).
pub fn fuzz_file(data: &[u8]) -> usize {
    let Ok(db) = Database::from_bytes(data.to_vec()) else {
        return 0;
    };
    let _ = db.check_pages();
    let mut n = 0;
    for t in db.tables() {
        let Ok(rows) = db.rows(t) else { continue };
        for row in rows.take(FUZZ_ROWS_PER_TABLE).flatten() {
            n += row
                .values()
                .iter()
                .filter(|v| !matches!(v, Value::Null))
                .count();
            n += row.iter().map(|(_, v)| v.to_string().len()).sum::<usize>();
        }
    }
    n
}

/// Treat `data` as one page (padded or cut to the nearest legal page size, checksum ignored):
/// decode its nodes, and each node's data as a record with its tagged fields, multi-values and
/// compressed values.
pub fn fuzz_page(data: &[u8]) -> usize {
    let size = match data.len() {
        0..=4096 => 4096,
        4097..=8192 => 8192,
        8193..=16384 => 16384,
        _ => 32768,
    };
    let mut bytes = data.to_vec();
    bytes.resize(size, 0);
    let Ok(page) = Page::decode(1, bytes) else {
        return 0;
    };
    let mut n = 0;
    let _ = page.external_header();
    for i in 1..page.tag_count() {
        let Ok(node) = page.node(i) else { continue };
        n += node.key().len();
        let Ok(rec) = Record::parse(node.data, page.is_large()) else {
            continue;
        };
        for id in 1..=u32::from(rec.fixed_last()) {
            let _ = rec.fixed(id, (id as usize - 1) * 4, 4);
        }
        for id in 128..=u32::from(rec.var_last()) {
            let _ = rec.variable(id);
        }
        let Ok(tagged) = rec.tagged() else { continue };
        for f in tagged {
            n += f.data.len();
            if f.header & TAGGED_MULTI_VALUES != 0 {
                let _ = split_multi(f.header, f.data);
            }
            let _ = decompress(f.data);
        }
    }
    n
}
