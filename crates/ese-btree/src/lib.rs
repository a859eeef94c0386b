//! B+trees over cached pages: ESE's BT, NODE and DIR layers, and space management (SPACE).
//!
//! This crate will own one B+tree per object (table, secondary index, long-value tree, catalog),
//! each rooted at a fixed page: separator keys on internal pages, keys and data on leaves, key
//! prefix compression, splits with the append optimisation, merges, space trees of owned and
//! available extents, cursors (seek, move, bookmarks, approximate position) and the redo
//! functions that replay logged page operations idempotently by dbtime.
//!
//! Every page change follows one order: ask the version store whether the change is allowed
//! (through a trait defined here and implemented by `ese-txn`), log it, apply it, mark the page
//! dirty at the record's log position.
//!
//! It must not know about transactions, records, columns or key normalization: keys are byte
//! strings compared with memcmp, and visibility is asked of the layer above through a trait.
