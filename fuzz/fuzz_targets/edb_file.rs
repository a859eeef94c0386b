//! Fuzz `ese-edb` with whole database files: open, check pages, decode every row.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ese_edb::fuzz::fuzz_file(data);
});
