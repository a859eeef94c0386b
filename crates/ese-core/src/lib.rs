//! The shared vocabulary of ese-rs: the types and numbers every layer speaks.
//!
//! This crate owns the newtypes that cross layer boundaries ([`Pgno`], [`Dbtime`], [`Lgpos`],
//! [`Trx`], [`DbId`]), the engine's limits with the reasons for them, the table of every JET
//! error and warning code, and the table of system parameters.
//!
//! It must not depend on any other crate of the engine, hold state, or do I/O: it is data and
//! the rules relating that data.

pub mod limits;
pub mod types;

pub use types::{DbId, Dbtime, Lgpos, Pgno, Trx};
