//! The write-ahead log: ESE's LOG layer.
//!
//! This crate owns typed log records ([`LogRecord`], among them the full page images that
//! repair torn page writes, [`PageImage`]), log files named as ESE names them
//! (`edb.log`, `edb00001.log`, ...), group and lazy commit ([`Log::commit`]), the checkpoint
//! file (`edb.chk`), forward readers and end-of-log scans ([`LogReader`]), and circular logging.
//!
//! It must not know about pages' contents, the cache or transactions' meaning: records are
//! typed payloads with log positions.
//!
//! ```text
//!   sessions ──append/commit──▶ Log ──(leader: one write + one fsync per group)──▶ edb.log
//!   cache ──flush_to(lgpos) / flushed()──▶ Log            edb00001.log edb00002.log ... edb.chk
//!   recovery ──LogReader::scan(checkpoint)──▶ records, then ScanEnd { head, tail }
//! ```
//!
//! The modules: [`record`] (the record codec), [`format`](mod@format) (file and sector layout),
//! [`log`] (the writer and the group commit protocol), [`reader`] (scans and the torn-tail
//! rule), [`checkpoint`] (the checkpoint file), [`fuzz`] (fuzz target bodies).

pub mod checkpoint;
pub mod error;
pub mod format;
pub mod fuzz;
pub mod log;
pub mod reader;
pub mod record;

pub use checkpoint::{Checkpoint, read_checkpoint};
pub use error::Error;
pub use format::Attachment;
pub use log::{CommitMode, LazyFlusher, Log, LogConfig};
pub use reader::{LogReader, Scan, ScanEnd, Tail};
pub use record::{Corrupt, LogRecord, PageImage, PageOp};
