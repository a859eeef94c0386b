//! Crash recovery: redo from the checkpoint, then undo of transactions that never committed.
//!
//! This crate will own the replay of the write-ahead log at instance init: it reads the
//! checkpoint, scans forward to the end of the log, applies each page operation through the
//! B-tree's idempotent redo functions (skipping pages whose dbtime is already newer), and rolls
//! back every transaction that has no commit record, so that afterwards every database is
//! consistent and can be marked clean.
//!
//! It must not know about tables, columns or sessions beyond the transaction ids in the log.
