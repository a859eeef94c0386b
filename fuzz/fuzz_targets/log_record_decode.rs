//! Fuzz the log record decoder: arbitrary bytes never panic, and what decodes re-encodes exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ese_log::fuzz::record_decode(data));
