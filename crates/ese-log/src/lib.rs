//! The write-ahead log: ESE's LOG layer.
//!
//! This crate will own typed log records, log files named as ESE names them, group and lazy
//! commit, the checkpoint file, forward readers and end-of-log scans, and circular logging.
//!
//! It must not know about pages' contents, the cache or transactions' meaning: records are
//! typed payloads with log positions.
