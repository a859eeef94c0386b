//! One adapter per peer engine, each behind [`crate::Engine`].
//!
//! Each adapter opens its engine with durable defaults, one table (or tree, keyspace, database)
//! of binary keys and values, and the shared [`crate::CACHE_BYTES`] cache budget where the
//! engine has a cache of its own. A lazy commit uses the engine's own non-syncing commit; a
//! durable commit returns only once the engine says the transaction is on disk.

pub mod ese;
pub mod fjall;
// heed makes opening an environment and changing its flags `unsafe`; see the module docs.
#[allow(unsafe_code)]
pub mod lmdb;
pub mod redb;
pub mod sled;
pub mod sqlite;
