//! Storage and the on-disk page: the seam every byte of ese-rs passes through.
//!
//! This crate owns the [`Storage`] trait and its implementations (files, memory, fault
//! injection, crash simulation), the database file header with its shadow copy, and the page
//! format with its crc32c checksum.
//!
//! It must not know about B-trees, logs or caches: it reads and writes bytes and pages.

pub mod storage;

pub use storage::{Directory, FileStorage, FsDirectory, MemDirectory, MemStorage, Storage};
