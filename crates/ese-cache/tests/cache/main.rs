//! Integration tests of the buffer cache: the write-ahead rule, eviction, the checkpoint,
//! faults, crashes, concurrency, a model-based property test, and the real ese-log.

mod basics;
mod common;
mod concurrency;
mod faults;
mod model;
mod with_ese_log;
