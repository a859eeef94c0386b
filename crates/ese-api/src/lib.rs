//! The JET-shaped API: instances (INST), sessions (PIB, with `dup_session`), databases, tables
//! and cursors (FUCB), with esent.dll's calls, flags and error codes in snake case.
//!
//! This crate will own instance life cycle and system parameters (validated against
//! `ese_core`'s parameter table), session handles and their contexts, database attach and
//! detach, and the translation of every lower layer's error into a JET error code. It is the
//! only crate that turns errors into JET codes.
//!
//! It must not reach below `ese-table` and `ese-txn` into pages or log records directly.
