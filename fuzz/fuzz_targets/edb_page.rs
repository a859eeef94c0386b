//! Fuzz `ese-edb` with single pages: tags, nodes, records, tagged fields, decompression.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ese_edb::fuzz::fuzz_page(data);
});
