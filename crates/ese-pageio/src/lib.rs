//! Storage and the on-disk page: the seam every byte of ese-rs passes through.
//!
//! This crate owns the [`Storage`] trait and its implementations (files, memory, fault
//! injection, crash simulation), the database file header with its shadow copy, and the page
//! format with its crc32c checksum.
//!
//! It must not know about B-trees, logs or caches: it reads and writes bytes and pages.

pub mod crash;
pub mod error;
pub mod faulty;
pub mod fuzz;
pub mod header;
pub mod interpose;
pub mod page;
pub mod storage;

pub use crash::{CrashDirectory, CrashStorage};
pub use error::Error;
pub use faulty::{Fault, FaultOp, FaultyStorage, InjectedFault, is_injected};
pub use header::{
    DbHeader, DbState, HeaderCopy, HeaderError, HeaderRead, Signature, page_offset, read_header,
    write_header,
};
pub use interpose::{DirOp, FileOp, InterposedDirectory, InterposedStorage, Interposer};
pub use page::{
    Page, PageError, PageFlags, PageHeader, PageMut, PageView, seal, seal_checked, verify,
};
pub use storage::{Directory, FileStorage, FsDirectory, MemDirectory, MemStorage, Storage};
