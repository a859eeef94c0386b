//! The buffer cache: ESE's BF layer.
//!
//! This crate owns a fixed-capacity cache of page frames shared by every attached database,
//! with shared and exclusive latches per page, dirty tracking by log position, LRU-K (K=2)
//! eviction, the write-ahead rule (no page is written before the log is durable up to its last
//! change) and the checkpoint.
//!
//! It must not interpret page contents beyond the page header, and must not know about B-trees,
//! transactions or records.
//!
//! # The write-ahead rule
//!
//! Every change to a page is described by a log record, and the page remembers the position
//! of the last record that changed it. Recovery redoes logged changes onto the pages it finds
//! on disk, so a page image on disk must never be *newer* than the durable log: if it were, a
//! crash could leave a page holding a change whose record never reached the disk, and nothing
//! could undo it. The cache therefore asks the log to flush up to a page's last change before
//! it writes that page, whether the write is for an eviction, a checkpoint or a shutdown:
//!
//! ```text
//!   writer                 cache                            log            disk
//!   ------                 -----                            ---            ----
//!   latch page (X)
//!   append record    ---------------------------------->  lgpos L
//!   mark_dirty(L)    -->   first = min(first, L), last = max(last, L)
//!   unlatch
//!                          evict / flush page:
//!                          flushed() < last?  -- flush_to(last) -->  durable to >= L
//!                          seal + write page  ----------------------------------->  page
//! ```
//!
//! # The checkpoint
//!
//! The checkpoint is the log position from which recovery must start redoing. Every change
//! logged before it is already in a page image on disk, so it is the oldest *first* change of
//! any page still dirty in the cache, or the log head when nothing is dirty:
//!
//! ```text
//!   log:   ...|====== on disk in pages ======|== needed for redo ==|
//!                                            ^                     ^
//!                             checkpoint = min(first change)     head
//!                                            <----- depth ------->
//! ```
//!
//! Two details keep that computation safe. Pages written since the last checkpoint are only
//! durable after the database files are synced, so [`Cache::checkpoint`] syncs every attached
//! storage before it hands the new position to the log. And a writer that holds an exclusive
//! latch may be about to append a record it has not yet reported with `mark_dirty`; such a
//! frame carries a floor (a log position known to be no later than the head when the latch was
//! taken), and the checkpoint never passes a floor. A flusher ([`Cache::flush_for_checkpoint`]
//! and the optional background [`Flusher`]) writes the pages whose first change lies further
//! than JET_paramCheckpointDepthMax behind the head, which bounds how much log recovery reads.
//! The background flusher writes them oldest first, in small synced chunks, and rests between
//! chunks while durable commits are being made, so that a commit's log sync never waits
//! behind one long burst of page writes; past eight times the depth it stops resting.

//!
//! # Use
//!
//! ```
//! use std::sync::Arc;
//! use ese_cache::{Cache, CacheConfig, testing::MemLog};
//! use ese_core::{DbId, Pgno};
//! use ese_pageio::MemStorage;
//!
//! let log = Arc::new(MemLog::new());
//! let cache = Cache::new(CacheConfig::test_min(), log.clone());
//! cache.attach(DbId(1), Arc::new(MemStorage::new()), 8192)?;
//! {
//!     let mut page = cache.new_page(DbId(1), Pgno(1))?; // exclusive latch
//!     page[100] = 42;
//!     page.mark_dirty(log.append(64)); // the position of the record describing the change
//! } // unlatched and unpinned here
//! assert_eq!(cache.read(DbId(1), Pgno(1))?[100], 42); // shared latch
//! let depth = cache.config().checkpoint_depth_max_bytes;
//! let checkpoint = cache.flush_for_checkpoint(depth)?;
//! assert!(checkpoint <= ese_cache::WriteAheadLog::head(&*log));
//! # Ok::<(), ese_cache::Error>(())
//! ```

mod cache;
mod config;
mod error;
mod io;
pub mod lruk;
pub mod testing;
mod wal;

pub use cache::{Cache, CacheStats, Derived, Flusher, FrameHint, PageMut, PageRef, SharedHint};
pub use config::{CACHE_FRAMES_MAX, CacheConfig};
pub use error::{Error, IoOp};
pub use wal::{LogError, WriteAheadLog, lgpos_from_bytes, lgpos_minus_bytes, lgpos_to_bytes};

/// The cache's result type.
pub type Result<T> = std::result::Result<T, Error>;
