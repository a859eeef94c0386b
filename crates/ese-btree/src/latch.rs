//! The tree lock of a database: a reader-writer lock whose readers write only a counter of
//! their own, on a cache line of its own.
//!
//! Every B-tree read takes the database's tree lock shared, so with an ordinary reader-writer
//! lock every reader on every core writes the lock's one word, twice per call, and that line
//! passes from core to core at each call. Here a reader counts itself in one of
//! [`READER_SLOTS`] counters, chosen by its thread, and then checks that no writer is at
//! work; a writer takes the writers' mutex, announces itself, and waits for every counter to
//! drain. Readers that come while a writer waits or works step back and wait for the
//! writers' mutex, so a stream of readers never starves a writer.
//!
//! ```text
//!   reader: slot[thread] += 1 ─▶ writing? ─ no ─▶ read ─▶ slot[thread] -= 1
//!                                          └ yes ─▶ slot -= 1 ─▶ wait for the writers' mutex ─▶ again
//!   writer: writers' mutex ─▶ writing = true ─▶ every slot at 0 ─▶ write ─▶ writing = false
//! ```
//!
//! The counter's increment and the writer's announcement are sequentially consistent, so of
//! a reader and a writer that come at once at least one sees the other.
//!
//! Each writer also advances the lock's epoch once the readers have drained, before it
//! changes anything. A reader that sees the epoch it saw before knows that no page of the
//! database has changed since: what it derived from the pages then still holds. Like the lock it
//! replaces, it is not reentrant: a thread holding it shared must not take it again while a
//! writer may be waiting.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use parking_lot::{Mutex, MutexGuard};

/// How many reader counters a tree lock has; threads beyond that share them.
pub const READER_SLOTS: usize = 16;

/// Spins a waiting writer makes before it starts yielding its time slice.
const SPINS_BEFORE_YIELD: u32 = 64;

/// One reader counter, alone on its cache lines (128 bytes: adjacent-line prefetch pairs).
#[repr(align(128))]
#[derive(Default)]
struct ReaderSlot(AtomicUsize);

/// A reader-writer lock for a database's trees (see the module doc).
pub struct TreeLock {
    readers: [ReaderSlot; READER_SLOTS],
    writers: Mutex<()>,
    writing: AtomicBool,
    /// How many times the lock was taken exclusively (see the module doc).
    epoch: AtomicU64,
}

impl Default for TreeLock {
    fn default() -> Self {
        TreeLock::new()
    }
}

impl std::fmt::Debug for TreeLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeLock")
            .field("readers", &self.reader_count())
            .field("writing", &self.writing.load(Ordering::Relaxed))
            .finish()
    }
}

/// The reader counter the calling thread uses: threads take the slots in turn.
fn slot_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed) % READER_SLOTS;
    }
    // Past the thread-local's destruction (a read from another thread-local's destructor),
    // the first slot serves.
    SLOT.try_with(|s| *s).unwrap_or(0)
}

impl TreeLock {
    /// An unlocked tree lock.
    pub fn new() -> TreeLock {
        TreeLock {
            readers: Default::default(),
            writers: Mutex::new(()),
            writing: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
        }
    }

    /// Takes the lock shared, waiting while a writer waits or works.
    #[inline]
    pub fn read(&self) -> TreeReadGuard<'_> {
        // `slot_index` is below READER_SLOTS.
        let slot = &self.readers[slot_index()].0;
        // Bounded in practice: each turn either returns or waits for a writer to finish.
        loop {
            slot.fetch_add(1, Ordering::SeqCst);
            if !self.writing.load(Ordering::SeqCst) {
                return TreeReadGuard { slot };
            }
            slot.fetch_sub(1, Ordering::SeqCst);
            // The writer holds the writers' mutex for as long as it waits or works.
            drop(self.writers.lock());
        }
    }

    /// Takes the lock exclusively, waiting for readers and writers to finish.
    pub fn write(&self) -> TreeWriteGuard<'_> {
        let writers = self.writers.lock();
        self.writing.store(true, Ordering::SeqCst);
        for slot in &self.readers {
            let mut spins = 0u32;
            // Bounded by the readers' calls, which end without taking this lock again.
            while slot.0.load(Ordering::SeqCst) != 0 {
                if spins < SPINS_BEFORE_YIELD {
                    spins += 1;
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
        }
        // Before any change: a reader that comes after this writer sees the new epoch, since
        // it sees the `writing` flag this writer clears last.
        self.epoch.fetch_add(1, Ordering::Relaxed);
        TreeWriteGuard {
            lock: self,
            _writers: writers,
        }
    }

    /// The epoch: how many times the lock was taken exclusively. Read under the lock held
    /// shared, it is the same until the reader lets the lock go, and whatever the reader
    /// derived from the database's pages under an epoch holds while the epoch is unchanged.
    #[inline]
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// How many readers hold the lock now (a snapshot, for diagnostics and tests).
    pub fn reader_count(&self) -> usize {
        self.readers
            .iter()
            .map(|s| s.0.load(Ordering::Relaxed))
            .sum()
    }
}

/// The tree lock held shared.
pub struct TreeReadGuard<'a> {
    slot: &'a AtomicUsize,
}

impl Drop for TreeReadGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.slot.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The tree lock held exclusively.
pub struct TreeWriteGuard<'a> {
    lock: &'a TreeLock,
    // Released after `writing` is cleared (fields drop after `drop` runs).
    _writers: MutexGuard<'a, ()>,
}

impl Drop for TreeWriteGuard<'_> {
    fn drop(&mut self) {
        self.lock.writing.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn readers_share_and_a_writer_excludes_them() {
        let lock = TreeLock::new();
        let (a, b) = (lock.read(), lock.read());
        assert_eq!(lock.reader_count(), 2);
        drop((a, b));
        assert_eq!(lock.reader_count(), 0);
        let w = lock.write();
        assert!(lock.writing.load(Ordering::SeqCst));
        drop(w);
        assert!(!lock.writing.load(Ordering::SeqCst));
        let _r = lock.read();
        assert_eq!(lock.reader_count(), 1);
    }

    #[test]
    fn each_writer_advances_the_epoch_and_readers_do_not() {
        let lock = TreeLock::new();
        let e0 = lock.epoch();
        drop(lock.read());
        assert_eq!(lock.epoch(), e0);
        drop(lock.write());
        assert_eq!(lock.epoch(), e0 + 1);
        drop(lock.write());
        drop(lock.read());
        assert_eq!(lock.epoch(), e0 + 2);
    }

    #[test]
    fn a_value_read_under_an_epoch_is_the_same_whenever_that_epoch_is_seen_again() {
        // A writer changes `value` under the lock, each time only once a reader has seen the
        // value before, so the readers see every value; they remember what they saw under
        // each epoch. Whenever a reader sees an epoch again, it must see the same value.
        const WRITES: u64 = 200;
        let lock = TreeLock::new();
        let value = AtomicU64::new(0);
        let observed = AtomicU64::new(0);
        let gave_up = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
                for i in 1..=WRITES {
                    // Until a reader has seen the value before, or (the readers failed) the
                    // deadline passed: the scope then reports the readers' panic.
                    while observed.load(Ordering::Acquire) < i - 1 {
                        if std::time::Instant::now() > deadline {
                            gave_up.store(true, Ordering::Release);
                            return;
                        }
                        std::thread::yield_now();
                    }
                    let _w = lock.write();
                    value.store(i, Ordering::Relaxed);
                }
            });
            for _ in 0..2 {
                s.spawn(|| {
                    let mut seen: Option<(u64, u64)> = None;
                    loop {
                        let (epoch, v) = {
                            let _r = lock.read();
                            (lock.epoch(), value.load(Ordering::Relaxed))
                        };
                        if let Some((e, was)) = seen
                            && e == epoch
                        {
                            assert_eq!(v, was, "epoch {epoch} showed two values");
                        }
                        seen = Some((epoch, v));
                        observed.fetch_max(v, Ordering::AcqRel);
                        if v == WRITES || gave_up.load(Ordering::Acquire) {
                            break;
                        }
                    }
                });
            }
        });
    }

    #[test]
    fn a_writer_waits_for_a_reader_and_a_reader_for_a_writer() {
        let lock = TreeLock::new();
        let phase = AtomicU64::new(0);
        std::thread::scope(|s| {
            let r = lock.read();
            s.spawn(|| {
                let _w = lock.write();
                // The reader below let go first.
                assert_eq!(phase.load(Ordering::SeqCst), 1);
                phase.store(2, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                phase.store(3, Ordering::SeqCst);
            });
            std::thread::sleep(std::time::Duration::from_millis(20));
            phase.store(1, Ordering::SeqCst);
            drop(r);
            // Wait until the writer holds the lock, then read: only after it is done.
            while phase.load(Ordering::SeqCst) < 2 {
                std::thread::yield_now();
            }
            let _r = lock.read();
            assert_eq!(phase.load(Ordering::SeqCst), 3);
        });
    }

    #[test]
    fn writers_never_overlap_readers_or_each_other() {
        // A pair of counters a writer changes in two steps: a reader that ever sees them
        // differ, or a writer that finds them already differing, saw an overlap.
        let lock = TreeLock::new();
        let (x, y) = (AtomicU64::new(0), AtomicU64::new(0));
        std::thread::scope(|s| {
            for t in 0..4 {
                let (lock, x, y) = (&lock, &x, &y);
                s.spawn(move || {
                    for i in 0..3000u64 {
                        if (i + t) % 7 == 0 {
                            let _w = lock.write();
                            let v = x.load(Ordering::Relaxed);
                            assert_eq!(y.load(Ordering::Relaxed), v, "writers overlapped");
                            x.store(v + 1, Ordering::Relaxed);
                            std::hint::spin_loop();
                            y.store(v + 1, Ordering::Relaxed);
                        } else {
                            let _r = lock.read();
                            let a = x.load(Ordering::Relaxed);
                            std::hint::spin_loop();
                            let b = y.load(Ordering::Relaxed);
                            assert_eq!(a, b, "a reader overlapped a writer");
                        }
                    }
                });
            }
        });
        assert_eq!(lock.reader_count(), 0);
        assert_eq!(x.load(Ordering::Relaxed), y.load(Ordering::Relaxed));
    }
}
