//! Fault injection: a [`Storage`] wrapper that fails chosen operations.
//!
//! [`FaultyStorage`] forwards every call to the storage it wraps and counts the calls of each
//! kind (reads, writes, syncs, length changes) from zero. A test arms faults with a builder:
//!
//! ```
//! use std::sync::Arc;
//! use ese_pageio::{FaultyStorage, MemStorage, Storage};
//!
//! let disk = FaultyStorage::new(Arc::new(MemStorage::new()))
//!     .fail_write(1) // the second write fails and writes nothing
//!     .short_write(2, 100) // the third writes its first 100 bytes, then fails
//!     .fail_syncs_from(0); // every sync fails
//! assert!(disk.write_at(0, b"first").is_ok());
//! assert!(disk.write_at(0, b"second").is_err());
//! assert!(disk.sync().is_err());
//! ```
//!
//! Operation numbers are zero-based, as with [`Iterator::nth`]: `fail_write(0)` fails the first
//! write. A one-shot fault fires once; a `..._from` fault fails that operation and every later one
//! of the same kind, which is how a disk that has died behaves. Every injected error carries an
//! [`InjectedFault`] payload, so a test can tell it apart from a real one with [`is_injected`].
//! Faults can also be armed later, on a shared wrapper, with [`FaultyStorage::arm`].

use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::storage::Storage;

/// The kind of storage operation a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultOp {
    /// [`Storage::read_at`].
    Read,
    /// [`Storage::write_at`].
    Write,
    /// [`Storage::sync`].
    Sync,
    /// [`Storage::set_len`].
    SetLen,
}

impl fmt::Display for FaultOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultOp::Read => "read",
            FaultOp::Write => "write",
            FaultOp::Sync => "sync",
            FaultOp::SetLen => "set_len",
        })
    }
}

/// One armed fault: which operation, from which call on, and what happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The kind of operation that fails.
    pub op: FaultOp,
    /// The zero-based number of the first call (of that kind) that fails.
    pub nth: u64,
    /// Whether every later call of that kind fails too (a dead disk), or only call `nth`.
    pub sticky: bool,
    /// For writes: how many leading bytes reach the inner storage before the error (a short
    /// write). `None` or `Some(0)` writes nothing.
    pub short_write_bytes: Option<usize>,
}

impl Fault {
    /// A one-shot fault on call `nth` of `op`.
    pub const fn once(op: FaultOp, nth: u64) -> Self {
        Self {
            op,
            nth,
            sticky: false,
            short_write_bytes: None,
        }
    }

    /// A fault on call `nth` of `op` and every later call of that kind.
    pub const fn sticky(op: FaultOp, nth: u64) -> Self {
        Self {
            op,
            nth,
            sticky: true,
            short_write_bytes: None,
        }
    }

    fn fires_on(&self, op: FaultOp, n: u64) -> bool {
        self.op == op && (n == self.nth || (self.sticky && n > self.nth))
    }
}

/// The payload of every error [`FaultyStorage`] injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InjectedFault {
    /// The kind of operation that failed.
    pub op: FaultOp,
    /// Its zero-based number among the calls of that kind.
    pub nth: u64,
}

impl fmt::Display for InjectedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "injected fault: {} #{} failed", self.op, self.nth)
    }
}

impl std::error::Error for InjectedFault {}

/// Whether `err` was injected by a [`FaultyStorage`] (as opposed to a real I/O error).
pub fn is_injected(err: &io::Error) -> bool {
    injected(err).is_some()
}

/// The fault that caused `err`, when a [`FaultyStorage`] injected it.
pub fn injected(err: &io::Error) -> Option<InjectedFault> {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<InjectedFault>())
        .copied()
}

/// A [`Storage`] that forwards to another and fails the operations its armed [`Fault`]s name.
#[derive(Debug)]
pub struct FaultyStorage {
    inner: Arc<dyn Storage>,
    faults: Mutex<Vec<Fault>>,
    reads: AtomicU64,
    writes: AtomicU64,
    syncs: AtomicU64,
    set_lens: AtomicU64,
    fired: AtomicU64,
}

impl FaultyStorage {
    /// Wraps `inner` with no fault armed; counting starts at zero for every kind.
    pub fn new(inner: Arc<dyn Storage>) -> Self {
        Self {
            inner,
            faults: Mutex::new(Vec::new()),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            syncs: AtomicU64::new(0),
            set_lens: AtomicU64::new(0),
            fired: AtomicU64::new(0),
        }
    }

    /// Builder: adds `fault`.
    pub fn with(self, fault: Fault) -> Self {
        self.arm(fault);
        self
    }

    /// Builder: read number `nth` (zero-based) fails.
    pub fn fail_read(self, nth: u64) -> Self {
        self.with(Fault::once(FaultOp::Read, nth))
    }

    /// Builder: write number `nth` (zero-based) fails and writes nothing.
    pub fn fail_write(self, nth: u64) -> Self {
        self.with(Fault::once(FaultOp::Write, nth))
    }

    /// Builder: sync number `nth` (zero-based) fails.
    pub fn fail_sync(self, nth: u64) -> Self {
        self.with(Fault::once(FaultOp::Sync, nth))
    }

    /// Builder: set_len number `nth` (zero-based) fails and changes nothing.
    pub fn fail_set_len(self, nth: u64) -> Self {
        self.with(Fault::once(FaultOp::SetLen, nth))
    }

    /// Builder: write number `nth` (zero-based) writes only its first `keep_bytes` bytes, then
    /// fails.
    pub fn short_write(self, nth: u64, keep_bytes: usize) -> Self {
        self.with(Fault {
            short_write_bytes: Some(keep_bytes),
            ..Fault::once(FaultOp::Write, nth)
        })
    }

    /// Builder: read number `nth` and every later read fail.
    pub fn fail_reads_from(self, nth: u64) -> Self {
        self.with(Fault::sticky(FaultOp::Read, nth))
    }

    /// Builder: write number `nth` and every later write fail.
    pub fn fail_writes_from(self, nth: u64) -> Self {
        self.with(Fault::sticky(FaultOp::Write, nth))
    }

    /// Builder: sync number `nth` and every later sync fail.
    pub fn fail_syncs_from(self, nth: u64) -> Self {
        self.with(Fault::sticky(FaultOp::Sync, nth))
    }

    /// Arms `fault` on a storage that is already shared. Call numbers still count from the
    /// wrapper's creation; see [`FaultyStorage::count`] to aim at "the next write".
    pub fn arm(&self, fault: Fault) {
        self.faults.lock().push(fault);
    }

    /// Removes every armed fault.
    pub fn disarm(&self) {
        self.faults.lock().clear();
    }

    /// How many calls of kind `op` have been made so far, failed ones included.
    pub fn count(&self, op: FaultOp) -> u64 {
        self.counter(op).load(Ordering::SeqCst)
    }

    /// How many faults have fired so far.
    pub fn fired(&self) -> u64 {
        self.fired.load(Ordering::SeqCst)
    }

    /// The wrapped storage.
    pub fn inner(&self) -> &Arc<dyn Storage> {
        &self.inner
    }

    fn counter(&self, op: FaultOp) -> &AtomicU64 {
        match op {
            FaultOp::Read => &self.reads,
            FaultOp::Write => &self.writes,
            FaultOp::Sync => &self.syncs,
            FaultOp::SetLen => &self.set_lens,
        }
    }

    /// Counts a call of kind `op` and returns the fault that fires on it, if any.
    fn check(&self, op: FaultOp) -> Option<(Fault, InjectedFault)> {
        let nth = self.counter(op).fetch_add(1, Ordering::SeqCst);
        let fault = self
            .faults
            .lock()
            .iter()
            .find(|f| f.fires_on(op, nth))
            .copied()?;
        self.fired.fetch_add(1, Ordering::SeqCst);
        Some((fault, InjectedFault { op, nth }))
    }
}

fn error(fault: InjectedFault) -> io::Error {
    io::Error::other(fault)
}

impl Storage for FaultyStorage {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        match self.check(FaultOp::Read) {
            Some((_, e)) => Err(error(e)),
            None => self.inner.read_at(offset, buf),
        }
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        match self.check(FaultOp::Write) {
            Some((fault, e)) => {
                let keep = fault.short_write_bytes.unwrap_or(0).min(data.len());
                if keep > 0 {
                    self.inner.write_at(offset, &data[..keep])?;
                }
                Err(error(e))
            }
            None => self.inner.write_at(offset, data),
        }
    }

    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        match self.check(FaultOp::SetLen) {
            Some((_, e)) => Err(error(e)),
            None => self.inner.set_len(len),
        }
    }

    fn sync(&self) -> io::Result<()> {
        match self.check(FaultOp::Sync) {
            Some((_, e)) => Err(error(e)),
            None => self.inner.sync(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemStorage;

    fn mem() -> (Arc<MemStorage>, Arc<dyn Storage>) {
        let m = Arc::new(MemStorage::new());
        let s: Arc<dyn Storage> = m.clone();
        (m, s)
    }

    #[test]
    fn the_nth_call_of_each_kind_fails_once() {
        let (m, s) = mem();
        let f = FaultyStorage::new(s)
            .fail_read(1)
            .fail_write(2)
            .fail_sync(0)
            .fail_set_len(1);
        // Writes: #0 ok, #1 ok, #2 fails, #3 ok.
        f.write_at(0, b"a").unwrap();
        f.write_at(1, b"b").unwrap();
        let e = f.write_at(2, b"c").unwrap_err();
        assert_eq!(
            injected(&e),
            Some(InjectedFault {
                op: FaultOp::Write,
                nth: 2
            })
        );
        assert_eq!(e.to_string(), "injected fault: write #2 failed");
        f.write_at(3, b"d").unwrap();
        assert_eq!(m.to_bytes(), b"ab\0d", "the failed write wrote nothing");
        // Reads.
        let mut b = [0u8; 1];
        f.read_at(0, &mut b).unwrap();
        assert!(is_injected(&f.read_at(0, &mut b).unwrap_err()));
        f.read_at(0, &mut b).unwrap();
        // Syncs.
        assert!(is_injected(&f.sync().unwrap_err()));
        f.sync().unwrap();
        // set_len: #1 fails and changes nothing.
        f.set_len(4).unwrap();
        assert!(is_injected(&f.set_len(1).unwrap_err()));
        assert_eq!(f.len().unwrap(), 4);
        assert_eq!(f.count(FaultOp::Write), 4);
        assert_eq!(f.count(FaultOp::Read), 3);
        assert_eq!(f.count(FaultOp::Sync), 2);
        assert_eq!(f.count(FaultOp::SetLen), 2);
        assert_eq!(f.fired(), 4);
    }

    #[test]
    fn a_short_write_writes_a_prefix_then_fails() {
        let (m, s) = mem();
        let f = FaultyStorage::new(s).short_write(0, 3).short_write(1, 99);
        let e = f.write_at(10, b"abcdef").unwrap_err();
        assert!(is_injected(&e));
        assert_eq!(&m.to_bytes()[10..], b"abc");
        // A prefix longer than the data is clamped: all of it lands, and it still fails.
        assert!(f.write_at(0, b"xy").is_err());
        assert_eq!(&m.to_bytes()[..2], b"xy");
    }

    #[test]
    fn sticky_faults_fail_every_later_call() {
        let (_, s) = mem();
        let f = FaultyStorage::new(s)
            .fail_writes_from(1)
            .fail_reads_from(0)
            .fail_syncs_from(2);
        f.write_at(0, b"a").unwrap();
        for _ in 0..5 {
            assert!(f.write_at(0, b"a").is_err());
            assert!(f.read_at(0, &mut [0u8; 1]).is_err());
        }
        f.sync().unwrap();
        f.sync().unwrap();
        for _ in 0..3 {
            assert!(f.sync().is_err());
        }
    }

    #[test]
    fn faults_armed_later_count_from_creation_and_disarm_clears_them() {
        let (_, s) = mem();
        let f = FaultyStorage::new(s);
        f.write_at(0, b"a").unwrap();
        f.arm(Fault::once(FaultOp::Write, f.count(FaultOp::Write)));
        assert!(f.write_at(0, b"b").is_err());
        f.arm(Fault::sticky(FaultOp::Write, 0));
        assert!(f.write_at(0, b"c").is_err());
        f.disarm();
        f.write_at(0, b"d").unwrap();
        // A real error is not mistaken for an injected one.
        let real = f.read_at(100, &mut [0u8; 1]).unwrap_err();
        assert!(!is_injected(&real));
        assert_eq!(real.kind(), io::ErrorKind::UnexpectedEof);
    }
}
