//! Transactions and the version store: ESE's PIB transaction state and VER.
//!
//! This crate will own nested transactions (up to seven levels) per session, the version store
//! bounded by JET_paramMaxVerPages, snapshot isolation as of the level-0 begin, write conflicts
//! (JET_errWriteConflict), explicit read and write locks, escrow updates, rollback, and cleanup
//! of versions no transaction can see any more.
//!
//! It must not know about records, columns, indexes or the JET API: it sees B-tree nodes by
//! object and bookmark, and implements the visibility trait the B-tree layer defines.
