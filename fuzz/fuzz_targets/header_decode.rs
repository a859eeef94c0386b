//! Fuzz the database header decoder and the primary/shadow read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ese_pageio::fuzz::header_decode(data));
