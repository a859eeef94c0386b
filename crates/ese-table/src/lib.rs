//! Tables: ESE's catalog (MSysObjects), record format, columns, long values and indexes.
//!
//! This crate will own the catalog of tables, columns and indexes; the record layout (fixed,
//! variable and tagged columns, multi-values, defaults); long values in each table's long-value
//! tree; key normalization for every column type; and the maintenance of secondary index
//! entries in the same transaction as the record.
//!
//! It must not know about instances, sessions' handles or system parameters: those belong to
//! `ese-api`, which drives this crate.
