//! The buffer cache: ESE's BF layer.
//!
//! This crate will own a fixed-capacity cache of page frames shared by every attached database,
//! with shared and exclusive latches per page, dirty tracking by log position, LRU-K (K=2)
//! eviction, the write-ahead rule (no page is written before the log is durable up to its last
//! change) and the checkpoint.
//!
//! It must not interpret page contents beyond the page header, and must not know about B-trees,
//! transactions or records.
