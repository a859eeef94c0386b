//! Fuzz the log file scan: arbitrary bytes as log files never make a scan or an open panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ese_log::fuzz::log_scan(data));
