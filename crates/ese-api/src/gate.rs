//! An instance's gate: a reader-writer lock over its [`InstState`] whose readers, one per
//! call, do not write a cache line that readers on other cores write.
//!
//! Every call on an instance holds its gate shared for the call's duration, so with one
//! reader-writer lock every call on every core writes the lock's word twice, and with two
//! threads making calls that line passes from core to core at each call. Here the state is
//! kept in [`GATE_SHARDS`] copies, each under a lock of its own on cache lines of its own. A
//! thread picks one shard for its life, and its calls lock only that one; a state change
//! (init, term, the engine's end) locks every shard exclusively, in index order, and writes
//! the same state into each.
//!
//! ```text
//!   reader (thread t): shard[t].read_recursive() ─▶ call ─▶ unlock shard[t]
//!   writer:            shard[0].write() ─▶ shard[1].write() ─▶ … ─▶ shard[N-1].write()
//!                      ─▶ every shard = the new state ─▶ unlock all
//! ```
//!
//! A writer holding every shard excludes every reader, so a state change still never
//! overlaps a call. Two writers take the shards in the same order, so neither can hold one
//! that the other has passed. Readers lock with parking_lot's `read_recursive`, as the one
//! lock did: a thread already inside a call holds its shard shared, and a nested call on the
//! same thread locks that same shard again, which a waiting writer does not block, so a
//! nested call never deadlocks against a term waiting for the outer one.
//!
//! The runtime of a running instance lives once, behind an `Arc` of which each shard holds a
//! clone. Readers only ever borrow it through their guard; the clones are made and dropped
//! here only, so once a writer has replaced every shard's state the runtime it takes out is
//! the last one, and term owns it outright.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::engine::{InstState, Runtime};

/// How many copies of the state a gate keeps; threads beyond that share them. A power of
/// two, so an index taken modulo it is a mask the compiler knows is in bounds.
pub(crate) const GATE_SHARDS: usize = 16;
const _: () = assert!(GATE_SHARDS.is_power_of_two());

/// One copy of the state, alone on its cache lines (128 bytes: adjacent-line prefetch pairs).
#[repr(align(128))]
struct Shard(RwLock<InstState>);

/// The gate of one instance (see the module doc).
pub(crate) struct Gate {
    shards: [Shard; GATE_SHARDS],
}

/// A shard index no thread has yet: threads start with it and take theirs at their first call.
const UNASSIGNED: usize = usize::MAX;

thread_local! {
    /// The shard the calling thread locks, once it has made a call.
    static SHARD: Cell<usize> = const { Cell::new(UNASSIGNED) };
}

/// The shard the calling thread uses: threads take the shards in turn.
#[inline]
fn shard_index() -> usize {
    // Past the thread-local's destruction (a call from another thread-local's destructor),
    // the first shard serves; such a call is never nested in one that used another shard.
    let index = SHARD.try_with(Cell::get).unwrap_or(0);
    if index < GATE_SHARDS {
        index
    } else {
        assign_shard()
    }
}

/// Gives the calling thread its shard, at its first call.
#[cold]
#[inline(never)]
fn assign_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let index = NEXT.fetch_add(1, Ordering::Relaxed) % GATE_SHARDS;
    let _ = SHARD.try_with(|s| s.set(index));
    index
}

impl InstState {
    /// Another copy of the state for another shard: a running instance's runtime is shared,
    /// not copied. Private to the gate, so that every clone of the runtime is in a shard.
    fn share(&self) -> InstState {
        match self {
            InstState::Created => InstState::Created,
            InstState::Initializing => InstState::Initializing,
            InstState::Running(rt) => InstState::Running(Arc::clone(rt)),
            InstState::Terminating => InstState::Terminating,
            InstState::Ended => InstState::Ended,
        }
    }
}

/// The shard of the thread that took it, for callers that keep per-thread state already and
/// so can hold it there rather than read the thread-local at every call. Not `Send`: it is
/// only ever the shard of the thread holding it, which is what keeps a nested read on the
/// shard of the outer one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ThreadShard {
    index: usize,
    _not_send: PhantomData<*const ()>,
}

impl ThreadShard {
    /// The calling thread's shard.
    #[inline]
    pub(crate) fn current() -> ThreadShard {
        ThreadShard {
            index: shard_index(),
            _not_send: PhantomData,
        }
    }
}

impl Gate {
    /// A gate over `state`.
    pub(crate) fn new(state: InstState) -> Gate {
        Gate {
            shards: std::array::from_fn(|_| Shard(RwLock::new(state.share()))),
        }
    }

    /// Holds the gate shared, as a call does: locks the calling thread's shard. A thread that
    /// holds it already gets it again even while a writer waits.
    #[inline]
    pub(crate) fn read_recursive(&self) -> RwLockReadGuard<'_, InstState> {
        self.read_in(ThreadShard::current())
    }

    /// [`Gate::read_recursive`] through `shard`, the calling thread's shard.
    #[inline]
    pub(crate) fn read_in(&self, shard: ThreadShard) -> RwLockReadGuard<'_, InstState> {
        self.shards[shard.index % GATE_SHARDS].0.read_recursive()
    }

    /// Holds the gate shared through shard `index` (taken modulo [`GATE_SHARDS`]).
    #[cfg(test)]
    fn read_shard(&self, index: usize) -> RwLockReadGuard<'_, InstState> {
        self.shards[index % GATE_SHARDS].0.read_recursive()
    }

    /// Holds the gate exclusively: locks every shard, in index order, waiting for every call
    /// to leave.
    pub(crate) fn write(&self) -> GateWriteGuard<'_> {
        let [first, rest @ ..] = &self.shards;
        let first = first.0.write();
        let rest = rest.iter().map(|s| s.0.write()).collect();
        GateWriteGuard { first, rest }
    }
}

/// The gate held exclusively: every shard locked, every shard holding the same state.
pub(crate) struct GateWriteGuard<'a> {
    first: RwLockWriteGuard<'a, InstState>,
    rest: Vec<RwLockWriteGuard<'a, InstState>>,
}

impl Deref for GateWriteGuard<'_> {
    type Target = InstState;

    fn deref(&self) -> &InstState {
        &self.first
    }
}

impl GateWriteGuard<'_> {
    /// Makes `state` the state of every shard.
    pub(crate) fn set(&mut self, state: InstState) {
        drop(self.replace(state));
    }

    /// Makes `state` the state of every shard and returns the one they held. The other
    /// shards' copies are dropped here, so a running instance's runtime in the value returned
    /// is its last reference.
    pub(crate) fn replace(&mut self, state: InstState) -> InstState {
        for shard in &mut self.rest {
            drop(std::mem::replace(&mut **shard, state.share()));
        }
        std::mem::replace(&mut *self.first, state)
    }

    /// Takes a running instance's runtime out, leaving `next` in every shard. `None`, with the
    /// state as it was, when the instance is not running or its runtime is still shared.
    pub(crate) fn take_runtime(&mut self, next: InstState) -> Option<Runtime> {
        match self.replace(next) {
            InstState::Running(rt) => match Arc::try_unwrap(rt) {
                Ok(rt) => Some(rt),
                Err(rt) => {
                    self.set(InstState::Running(rt));
                    None
                }
            },
            other => {
                self.set(other);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::time::{Duration, Instant};

    /// Long enough that a thread which can go on has done so.
    const BLOCKED: Duration = Duration::from_millis(150);
    /// How long a test waits for something that must happen before it fails.
    const DEADLINE: Duration = Duration::from_secs(20);

    /// A stage of the life cycle that holds no runtime, as a number to compare.
    fn stage(state: &InstState) -> u8 {
        match state {
            InstState::Created => 0,
            InstState::Initializing => 1,
            InstState::Running(_) => 2,
            InstState::Terminating => 3,
            InstState::Ended => 4,
        }
    }

    /// Waits until `cond` holds, failing the test after [`DEADLINE`].
    fn wait_until(what: &str, cond: impl Fn() -> bool) {
        let start = Instant::now();
        while !cond() {
            assert!(start.elapsed() < DEADLINE, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn threads_take_the_shards_in_turn() {
        let indexes: Vec<usize> = (0..GATE_SHARDS)
            .map(|_| std::thread::spawn(shard_index).join().unwrap())
            .collect();
        // Other tests' threads take shards too, so the turns are not ours alone; each index
        // is in range and a thread keeps the one it got.
        assert!(indexes.iter().all(|&i| i < GATE_SHARDS));
        assert_eq!(shard_index(), shard_index());
        let mut distinct = indexes.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 1, "{indexes:?}");
    }

    // The threads of these tests are not scoped: a test whose threads deadlock fails at its
    // deadline and leaves them behind, rather than hanging while it joins them.

    #[test]
    fn readers_on_different_threads_hold_the_gate_at_once() {
        let gate = Arc::new(Gate::new(InstState::Initializing));
        let (held_tx, held_rx) = mpsc::channel();
        let mut releases = Vec::new();
        for _ in 0..2 {
            let (gate, held_tx) = (Arc::clone(&gate), held_tx.clone());
            let (release_tx, release_rx) = mpsc::channel::<()>();
            releases.push(release_tx);
            std::thread::spawn(move || {
                let g = gate.read_recursive();
                held_tx.send(stage(&g)).unwrap();
                // Held until the main thread has seen both readers inside (or for longer
                // than it waits for them).
                let _ = release_rx.recv_timeout(DEADLINE * 2);
                drop(g);
            });
        }
        for _ in 0..2 {
            assert_eq!(held_rx.recv_timeout(DEADLINE), Ok(1));
        }
        // Both hold it now: the gate is shared on two threads, whichever shards they use.
        drop(releases);
    }

    #[test]
    fn a_writer_waits_for_a_reader_on_any_shard() {
        for reader_shard in [0, GATE_SHARDS / 2, GATE_SHARDS - 1] {
            let gate = Arc::new(Gate::new(InstState::Created));
            let read = gate.read_shard(reader_shard);
            let (done_tx, done_rx) = mpsc::channel();
            let writer = Arc::clone(&gate);
            std::thread::spawn(move || {
                writer.write().set(InstState::Ended);
                done_tx.send(()).unwrap();
            });
            assert_eq!(
                done_rx.recv_timeout(BLOCKED),
                Err(RecvTimeoutError::Timeout),
                "the writer got in past a reader of shard {reader_shard}"
            );
            // The reader still sees the state it entered with.
            assert_eq!(stage(&read), 0);
            drop(read);
            assert_eq!(done_rx.recv_timeout(DEADLINE), Ok(()));
            assert_eq!(stage(&gate.read_recursive()), 4);
        }
    }

    #[test]
    fn a_reader_waits_for_a_writer() {
        let gate = Arc::new(Gate::new(InstState::Created));
        let mut w = gate.write();
        let (seen_tx, seen_rx) = mpsc::channel();
        let reader = Arc::clone(&gate);
        std::thread::spawn(move || {
            seen_tx.send(stage(&reader.read_recursive())).unwrap();
        });
        assert_eq!(
            seen_rx.recv_timeout(BLOCKED),
            Err(RecvTimeoutError::Timeout)
        );
        w.set(InstState::Terminating);
        drop(w);
        // The reader comes in after the change and sees it.
        assert_eq!(seen_rx.recv_timeout(DEADLINE), Ok(3));
    }

    #[test]
    fn a_nested_read_does_not_wait_for_a_waiting_writer() {
        let gate = Arc::new(Gate::new(InstState::Initializing));
        let (shard_tx, shard_rx) = mpsc::channel();
        let (nested_tx, nested_rx) = mpsc::channel();
        let reader = Arc::clone(&gate);
        // The reader: inside a call, it makes a nested one once the writer waits for it.
        std::thread::spawn(move || {
            let outer = reader.read_recursive();
            let index = shard_index();
            shard_tx.send(index).unwrap();
            let shard = &reader.shards[index].0;
            wait_until("the writer waits on the reader's shard", || {
                shard.is_locked_exclusive()
            });
            let inner = reader.read_recursive();
            nested_tx.send(stage(&inner)).unwrap();
            drop(inner);
            drop(outer);
        });
        let index = shard_rx.recv_timeout(DEADLINE).unwrap();
        assert!(gate.shards[index].0.is_locked());
        // The writer: it takes every shard before the reader's and waits there.
        let (written_tx, written_rx) = mpsc::channel();
        let writer = Arc::clone(&gate);
        std::thread::spawn(move || {
            writer.write().set(InstState::Ended);
            written_tx.send(()).unwrap();
        });
        assert_eq!(nested_rx.recv_timeout(DEADLINE), Ok(1));
        assert_eq!(written_rx.recv_timeout(DEADLINE), Ok(()));
        assert_eq!(stage(&gate.read_recursive()), 4);
    }

    #[test]
    fn every_shard_holds_the_state_a_writer_set() {
        let gate = Gate::new(InstState::Created);
        for (state, expected) in [
            (InstState::Initializing, 1),
            (InstState::Terminating, 3),
            (InstState::Ended, 4),
        ] {
            gate.write().set(state);
            for index in 0..GATE_SHARDS {
                assert_eq!(stage(&gate.read_shard(index)), expected, "shard {index}");
            }
            // And through read_recursive, on threads of their own.
            std::thread::scope(|s| {
                let seen: Vec<_> = (0..GATE_SHARDS)
                    .map(|_| s.spawn(|| stage(&gate.read_recursive())))
                    .collect();
                for h in seen {
                    assert_eq!(h.join().unwrap(), expected);
                }
            });
        }
    }

    #[test]
    fn replace_returns_the_state_every_shard_held() {
        let gate = Gate::new(InstState::Initializing);
        let mut w = gate.write();
        assert_eq!(stage(&w.replace(InstState::Terminating)), 1);
        assert_eq!(stage(&w), 3);
        // Nothing is running: no runtime to take, and the state stays.
        assert!(w.take_runtime(InstState::Ended).is_none());
        assert_eq!(stage(&w), 3);
        drop(w);
        for index in 0..GATE_SHARDS {
            assert_eq!(stage(&gate.read_shard(index)), 3, "shard {index}");
        }
    }
}
