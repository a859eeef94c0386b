//! Fuzz the page decoder: verify, check, decode, re-encode and change arbitrary pages.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ese_pageio::fuzz::page_decode(data));
