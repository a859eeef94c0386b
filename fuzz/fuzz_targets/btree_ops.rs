//! Fuzz the B-tree: random operation sequences against a model, with invariants checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ese_btree::fuzz::ops(data));
