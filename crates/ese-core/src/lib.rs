//! The shared vocabulary of ese-rs: the types and numbers every layer speaks.
//!
//! This crate owns:
//!
//! - [`types`]: the newtypes that cross layer boundaries ([`Pgno`], [`Dbtime`], [`Lgpos`],
//!   [`Trx`], [`DbId`]);
//! - [`limits`]: the engine's limits (page, key and record sizes, column id ranges, nesting
//!   depth, quotas, log sizes), each with the reason for it, related by compile-time asserts;
//! - [`errors`]: the table of every JET error and warning code ([`JetErr`], [`JetCode`]) with
//!   symbol, category and message, looked up by value or by symbol;
//! - [`params`]: the table of system parameters ([`SystemParam`]) with type, default, range,
//!   scope and when each may be set, and the validation `ese-api` applies to a set call.
//! - [`hash`]: a fast hasher for the engine's in-memory maps of engine-made keys;
//! - [`rng`]: splitmix64, the one seeded mixer and generator crash schedules, simulations
//!   and tests derive their choices from.
//!
//! It must not depend on any other crate of the engine, hold state, or do I/O: it is data and
//! the rules relating that data.

pub mod errors;
pub mod hash;
pub mod limits;
pub mod params;
pub mod rng;
pub mod types;

pub use errors::{Category, JetCode, JetErr, Kind};
pub use params::{SystemParam, ValidationError};
pub use types::{DbId, Dbtime, Lgpos, Pgno, Trx};
