//! Read database files written by Windows' own ESE (esent.dll): SRUM's `SRUDB.dat`, BITS'
//! `qmgr.db`, Windows Search, Active Directory's `ntds.dit`, UAL's `.mdb`, and the like.
//!
//! This crate owns the decoding of Windows' on-disk format, read-only: the database header
//! and its shadow, page checksums (old XOR and XOR+ECC, with single-bit repair), page tags and
//! nodes on small and large pages, B-tree walks, the catalog, records (fixed, variable and
//! tagged columns, multi-values, defaults), long values and column compression.
//!
//! It must not write to the file it reads, and it must not depend on the engine layers
//! (`ese-pageio` and up): it depends on `ese-core` alone, so it can be built and used on its
//! own. Every walk that follows an on-disk pointer is bounded, and bad input gives an
//! [`Error`] (with the JET code ESE would report), never a panic, a hang or a huge allocation.
//!
//! A dirty database (state 2) opens as it is, without replaying logs. Flag-deleted nodes are
//! skipped; nodes flagged as versioned are returned, since without the logs nothing can tell
//! whether their versions committed.
//!
//! ```text
//!  Database::open ─ Pager (header, checksums) ─ Page (tags, nodes)
//!        │                                        │
//!        ├─ Catalog (MSysObjects) ── Table/Column/Index
//!        └─ Rows ─ TreeCursor ─ Record ─ Value (+ long values, decompression)
//! ```
//!
//! ```no_run
//! let db = ese_edb::Database::open("SRUDB.dat")?;
//! for table in db.tables() {
//!     for row in db.rows(table)? {
//!         for (name, value) in row?.iter() {
//!             println!("{name} = {value}");
//!         }
//!     }
//! }
//! # Ok::<(), ese_edb::Error>(())
//! ```

pub mod btree;
pub mod catalog;
pub mod checksum;
pub mod compress;
pub mod database;
pub mod error;
pub mod fuzz;
pub mod header;
pub mod lv;
pub mod page;
pub mod pager;
pub mod record;
pub mod rows;
pub mod schema;
pub mod value;

pub use database::{Database, PageCheck, PageScan, PageStatus};
pub use error::{Error, Result};
pub use header::{DbHeader, DbState, LogTime};
pub use pager::Correction;
pub use rows::{DecodeStats, Row, Rows};
pub use schema::{Column, Index, KeySegment, Storage, Table};
pub use value::{ColumnType, Value};
