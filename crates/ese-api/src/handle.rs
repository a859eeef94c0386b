//! Handles: `JET_INSTANCE`, `JET_SESID`, `JET_DBID` and `JET_TABLEID` as checked numbers,
//! never as pointers.
//!
//! In esent.dll a `JET_SESID` is a `PIB*` and a `JET_INSTANCE` an `INST*`, and validation is
//! "best effort". Here a handle is an opaque `u64` that names a slot of a `HandleTable` and
//! is checked against the table on every call, so a stale, forged or foreign handle is an
//! error, never undefined behaviour:
//!
//! ```text
//!    63        48 47  46 45            24 23               0
//!   +------------+-------+---------------+------------------+
//!   | engine tag | kind  |  generation   |    slot index    |
//!   +------------+-------+---------------+------------------+
//! ```
//!
//! * The **engine tag** tells the [`Engine`](crate::Engine) values of one process apart, so a
//!   handle of one engine is refused by another (tags are handed out by a process-wide
//!   counter, the only static in the crate; it holds no engine state).
//! * The two **kind** bits tell instance (0), session (1), database (2) and table (3) handles
//!   apart, so a raw `JET_SESID` passed where a `JET_INSTANCE` is expected (easy through a C
//!   ABI) is refused instead of naming whatever instance shares its slot number.
//! * The **generation** of a slot grows each time the slot is freed, so the handle of an
//!   ended session stays invalid after its slot is reused. It wraps after 2^22 reuses of one
//!   slot; a handle kept that long could then alias, which is the same bound ESE's own
//!   pointer-recycling gives, and far more than any caller keeps a dead handle.
//! * All ones (`!0`) is ESE's nil handle (`JET_sesidNil`, `JET_instanceNil`); no slot ever
//!   encodes to it, because tag `0xFFFF` is never handed out.
//!
//! A slot can also hold a **tombstone**: the session was closed implicitly by the
//! termination of its instance (not by `end_session`). Its handle then reports
//! `JET_errNotInitialized` ("instance not initialised, or gone") rather than
//! `JET_errInvalidSesid`, until the slot is reused.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

const INDEX_BITS: u32 = 24;
const GEN_BITS: u32 = 22;
const KIND_BITS: u32 = 2;
const KIND_SHIFT: u32 = INDEX_BITS + GEN_BITS;
const TAG_SHIFT: u32 = KIND_SHIFT + KIND_BITS;
const _: () = assert!(TAG_SHIFT + 16 == 64);
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;

/// The largest number of slots a table may hold: what the index field can address.
pub const SLOTS_MAX: usize = 1 << INDEX_BITS;

// Every pool the tables hold is bounded well below what a handle can address.
const _: () = assert!(ese_core::limits::MAX_SESSIONS_MAX as usize <= SLOTS_MAX);
const _: () = assert!(ese_core::limits::MAX_INSTANCES_MAX as usize <= SLOTS_MAX);

/// Hands out engine tags: 1, 2, ... up to 0xFFFE, then round again.
static NEXT_TAG: AtomicU16 = AtomicU16::new(1);

/// A fresh engine tag, never 0 and never 0xFFFF (which would let a handle equal nil).
pub(crate) fn next_tag() -> u16 {
    // Bounded: at most two turns, since only 0 and 0xFFFF are skipped.
    loop {
        let tag = NEXT_TAG.fetch_add(1, Ordering::Relaxed);
        if tag != 0 && tag != u16::MAX {
            return tag;
        }
    }
}

/// `JET_INSTANCE`: the handle of an instance (ESE's INST).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Instance(u64);

impl Instance {
    /// `JET_instanceNil`: no instance. Where ESE accepts it (legacy single-instance calls) it
    /// names the process's one implicit instance.
    pub const NIL: Instance = Instance(u64::MAX);

    /// The raw value, as a C caller would hold it.
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// A handle from its raw value; it is checked when used, never trusted.
    pub const fn from_raw(raw: u64) -> Self {
        Instance(raw)
    }

    /// Whether this is [`Instance::NIL`].
    pub const fn is_nil(self) -> bool {
        self.0 == u64::MAX
    }
}

/// `JET_SESID`: the handle of a session (ESE's PIB).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Sesid(u64);

impl Sesid {
    /// `JET_sesidNil`: no session.
    pub const NIL: Sesid = Sesid(u64::MAX);

    /// The raw value, as a C caller would hold it.
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// A handle from its raw value; it is checked when used, never trusted.
    pub const fn from_raw(raw: u64) -> Self {
        Sesid(raw)
    }

    /// Whether this is [`Sesid::NIL`].
    pub const fn is_nil(self) -> bool {
        self.0 == u64::MAX
    }
}

/// `JET_DBID`: the handle of an attached database. As in ESE, every session that opens the
/// same attached file gets the same value, and a session may use it only while it has the
/// database open.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Dbid(u64);

impl Dbid {
    /// `JET_dbidNil`: no database.
    pub const NIL: Dbid = Dbid(u64::MAX);

    /// The raw value, as a C caller would hold it.
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// A handle from its raw value; it is checked when used, never trusted.
    pub const fn from_raw(raw: u64) -> Self {
        Dbid(raw)
    }
}

/// `JET_TABLEID`: the handle of a cursor on a table (ESE's FUCB), owned by one session.
///
/// A table id carries the engine tag and the table kind like every handle, and a serial number
/// in place of slot and generation: the engine never hands out the same value twice (2^46
/// cursors), so a closed cursor's handle, or another session's, names nothing in the session
/// it is given to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Tableid(u64);

impl Tableid {
    /// `JET_tableidNil`: no cursor.
    pub const NIL: Tableid = Tableid(u64::MAX);

    /// The raw value, as a C caller would hold it.
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// A handle from its raw value; it is checked when used, never trusted.
    pub const fn from_raw(raw: u64) -> Self {
        Tableid(raw)
    }
}

/// The raw value of the `serial`-th table id of the engine with `tag` (`None` once the
/// serial numbers run out).
pub(crate) fn tableid_raw(tag: u16, serial: u64) -> Option<u64> {
    (serial < (1 << KIND_SHIFT))
        .then(|| (u64::from(tag) << TAG_SHIFT) | ((Kind::Table as u64) << KIND_SHIFT) | serial)
}

/// What a slot holds.
#[derive(Debug)]
enum Entry<T> {
    Free,
    Live(T),
    /// Closed by its instance's termination; see the module doc.
    Tombstone,
}

#[derive(Debug)]
struct Slot<T> {
    generation: u32,
    entry: Entry<T>,
}

/// The answer of [`HandleTable::get`].
#[derive(Debug)]
pub(crate) enum Lookup<'a, T> {
    /// The handle names a live entry.
    Live(&'a T),
    /// The handle names an entry closed by its instance's termination.
    Tombstone,
    /// The handle is nil, foreign, stale or forged.
    Invalid,
}

/// Which kind of object a table's handles name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// `JET_INSTANCE`.
    Instance = 0,
    /// `JET_SESID`.
    Session = 1,
    /// `JET_DBID`.
    Database = 2,
    /// `JET_TABLEID`.
    Table = 3,
}

/// Slots addressed by checked handles, reusing freed slots with a new generation.
#[derive(Debug)]
pub(crate) struct HandleTable<T> {
    tag: u16,
    kind: Kind,
    slots: Vec<Slot<T>>,
    /// Free and tombstoned slots, reused last-in first-out.
    free: Vec<u32>,
    live: usize,
}

impl<T> HandleTable<T> {
    /// An empty table whose handles carry `tag` and `kind`.
    pub(crate) fn new(tag: u16, kind: Kind) -> Self {
        HandleTable {
            tag,
            kind,
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }

    /// How many live entries the table holds.
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    fn encode(&self, index: u32, generation: u32) -> u64 {
        (u64::from(self.tag) << TAG_SHIFT)
            | ((self.kind as u64) << KIND_SHIFT)
            | ((u64::from(generation) & GEN_MASK) << INDEX_BITS)
            | (u64::from(index) & INDEX_MASK)
    }

    /// The slot index a handle names, if its tag and generation match a slot.
    fn slot_of(&self, handle: u64) -> Option<usize> {
        let prefix = (u64::from(self.tag) << KIND_BITS) | self.kind as u64;
        if handle == u64::MAX || (handle >> KIND_SHIFT) != prefix {
            return None;
        }
        let index = (handle & INDEX_MASK) as usize;
        let generation = (handle >> INDEX_BITS) & GEN_MASK;
        let slot = self.slots.get(index)?;
        (u64::from(slot.generation) == generation).then_some(index)
    }

    /// Stores the value `make` builds from its handle and returns the handle, or `None` if
    /// the table cannot grow (ESE's `JET_errOutOfMemory`): the slot vector grows with
    /// `try_reserve`, so an allocation failure is reported instead of aborting, and past
    /// [`SLOTS_MAX`] slots no handle can be made.
    pub(crate) fn insert_with(&mut self, make: impl FnOnce(u64) -> T) -> Option<u64> {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                if self.slots.len() >= SLOTS_MAX || self.slots.try_reserve(1).is_err() {
                    return None;
                }
                self.slots.push(Slot {
                    generation: 0,
                    entry: Entry::Free,
                });
                // Fits: bounded by SLOTS_MAX just above.
                (self.slots.len() - 1) as u32
            }
        };
        // The slot is in range: it came from the free list or was just pushed.
        let slot = &mut self.slots[index as usize];
        if matches!(slot.entry, Entry::Tombstone) {
            // A tombstone's handle must stop resolving once the slot is reused.
            slot.generation = slot.generation.wrapping_add(1) & GEN_MASK as u32;
        }
        let generation = slot.generation;
        let handle = self.encode(index, generation);
        self.slots[index as usize].entry = Entry::Live(make(handle));
        self.live += 1;
        Some(handle)
    }

    /// Stores `value` and returns its handle (see [`HandleTable::insert_with`]).
    #[cfg(test)]
    pub(crate) fn insert(&mut self, value: T) -> Option<u64> {
        self.insert_with(|_| value)
    }

    /// What `handle` names.
    pub(crate) fn get(&self, handle: u64) -> Lookup<'_, T> {
        match self.slot_of(handle).map(|i| &self.slots[i].entry) {
            Some(Entry::Live(v)) => Lookup::Live(v),
            Some(Entry::Tombstone) => Lookup::Tombstone,
            Some(Entry::Free) | None => Lookup::Invalid,
        }
    }

    /// Removes the live entry `handle` names; its handle is invalid from now on.
    pub(crate) fn remove(&mut self, handle: u64) -> Option<T> {
        self.take(handle, false)
    }

    /// Removes the live entry `handle` names, leaving a tombstone until the slot is reused.
    pub(crate) fn bury(&mut self, handle: u64) -> Option<T> {
        self.take(handle, true)
    }

    fn take(&mut self, handle: u64, tombstone: bool) -> Option<T> {
        let index = self.slot_of(handle)?;
        let slot = &mut self.slots[index];
        if !matches!(slot.entry, Entry::Live(_)) {
            return None;
        }
        let next = if tombstone {
            Entry::Tombstone
        } else {
            slot.generation = slot.generation.wrapping_add(1) & GEN_MASK as u32;
            Entry::Free
        };
        let Entry::Live(value) = std::mem::replace(&mut slot.entry, next) else {
            return None;
        };
        self.live -= 1;
        // Fits: slot indexes are below SLOTS_MAX.
        self.free.push(index as u32);
        Some(value)
    }

    /// Every live entry with its handle.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &T)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(move |(i, slot)| match &slot.entry {
                // Fits: slot indexes are below SLOTS_MAX.
                Entry::Live(v) => Some((self.encode(i as u32, slot.generation), v)),
                _ => None,
            })
    }
}

/// How many segments a [`HandleDirectory`] has: segment `k` holds `2^k` slots, so together they
/// address every index below [`SLOTS_MAX`].
const SEGMENTS: usize = INDEX_BITS as usize + 1;

/// One slot of a [`HandleDirectory`]: the handle it was filled for, and the value, on a
/// cache line of its own, so that threads calling on neighbouring handles (two sessions made
/// one after the other) do not pass one line between their cores at every call.
#[repr(align(64))]
struct DirSlot<T>(Mutex<Option<(u64, Arc<T>)>>);

impl<T> std::ops::Deref for DirSlot<T> {
    type Target = Mutex<Option<(u64, Arc<T>)>>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// A copy of a [`HandleTable`]'s live entries that is read without the table's lock.
///
/// The table stays the authority (it alone knows free slots and tombstones) and is changed
/// under its owner's lock; whoever changes it mirrors the change here ([`HandleDirectory::set`],
/// [`HandleDirectory::clear`]) under the same lock. A reader finds the slot its handle's index
/// names through segments that, once made, never move, and takes only that slot's own lock;
/// a handle that does not match the slot (stale, forged, foreign, tombstoned) is a miss,
/// which the caller answers from the table.
pub(crate) struct HandleDirectory<T> {
    segments: [OnceLock<Box<[DirSlot<T>]>>; SEGMENTS],
}

impl<T> Default for HandleDirectory<T> {
    fn default() -> Self {
        HandleDirectory {
            segments: [const { OnceLock::new() }; SEGMENTS],
        }
    }
}

impl<T> std::fmt::Debug for HandleDirectory<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let made = self.segments.iter().filter(|s| s.get().is_some()).count();
        f.debug_struct("HandleDirectory")
            .field("segments", &made)
            .finish()
    }
}

/// The segment and the offset in it of slot `index`.
fn segment_of(index: usize) -> (usize, usize) {
    let n = index + 1;
    let k = (usize::BITS - 1 - n.leading_zeros()) as usize;
    (k, n - (1 << k))
}

impl<T> HandleDirectory<T> {
    /// The slot `handle`'s index names, if its segment exists.
    #[inline]
    fn slot(&self, handle: u64) -> Option<&DirSlot<T>> {
        let (k, off) = segment_of((handle & INDEX_MASK) as usize);
        self.segments.get(k)?.get()?.get(off)
    }

    /// The value filled in for exactly `handle`, if any.
    #[inline]
    pub(crate) fn get(&self, handle: u64) -> Option<Arc<T>> {
        match &*self.slot(handle)?.lock() {
            Some((h, v)) if *h == handle => Some(Arc::clone(v)),
            _ => None,
        }
    }

    /// Fills in `value` for `handle` (a handle its table just handed out).
    pub(crate) fn set(&self, handle: u64, value: Arc<T>) {
        let (k, off) = segment_of((handle & INDEX_MASK) as usize);
        let Some(segment) = self.segments.get(k) else {
            return;
        };
        // Segment k covers indexes 2^k - 1 .. 2^(k+1) - 1, cut at the last one a handle names.
        let len = (1usize << k).min(SLOTS_MAX + 1 - (1 << k));
        let slots = segment.get_or_init(|| (0..len).map(|_| DirSlot(Mutex::new(None))).collect());
        if let Some(slot) = slots.get(off) {
            *slot.lock() = Some((handle, value));
        }
    }

    /// Empties the slot of `handle` if it holds `handle`'s value.
    pub(crate) fn clear(&self, handle: u64) {
        if let Some(slot) = self.slot(handle) {
            let mut slot = slot.lock();
            if slot.as_ref().is_some_and(|(h, _)| *h == handle) {
                *slot = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_foreign_and_nil_handles_are_refused() {
        let mut a = HandleTable::new(7, Kind::Session);
        let b: HandleTable<&str> = HandleTable::new(8, Kind::Session);
        let h1 = a.insert("one").unwrap();
        assert!(matches!(a.get(h1), Lookup::Live(&"one")));
        let mut instances: HandleTable<&str> = HandleTable::new(7, Kind::Instance);
        let i1 = instances.insert("inst").unwrap();
        assert_ne!(i1, h1, "same tag and slot, other kind");
        assert!(
            matches!(instances.get(h1), Lookup::Invalid),
            "a sesid is no instance"
        );
        assert!(
            matches!(a.get(i1), Lookup::Invalid),
            "an instance is no sesid"
        );
        assert!(matches!(b.get(h1), Lookup::Invalid), "foreign tag");
        assert!(matches!(a.get(u64::MAX), Lookup::Invalid), "nil");
        assert_eq!(a.remove(h1), Some("one"));
        assert!(matches!(a.get(h1), Lookup::Invalid), "ended");
        let h2 = a.insert("two").unwrap();
        assert_ne!(h1, h2, "the slot is reused with a new generation");
        assert!(matches!(a.get(h1), Lookup::Invalid));
        assert!(matches!(a.get(h2 ^ 1), Lookup::Invalid), "forged index");
        assert_eq!(a.live(), 1);
    }

    #[test]
    fn tombstones_report_until_the_slot_is_reused() {
        let mut t = HandleTable::new(3, Kind::Session);
        let h = t.insert(1).unwrap();
        assert_eq!(t.bury(h), Some(1));
        assert!(matches!(t.get(h), Lookup::Tombstone));
        assert_eq!(t.remove(h), None);
        let h2 = t.insert(2).unwrap();
        assert!(matches!(t.get(h), Lookup::Invalid));
        assert!(matches!(t.get(h2), Lookup::Live(&2)));
        assert_eq!(t.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn directory_answers_only_the_exact_live_handle() {
        let mut t = HandleTable::new(5, Kind::Session);
        let dir: HandleDirectory<u32> = HandleDirectory::default();
        let mut handles = Vec::new();
        for i in 0..40 {
            let h = t.insert(i).unwrap();
            dir.set(h, Arc::new(i));
            handles.push(h);
        }
        for (i, &h) in handles.iter().enumerate() {
            assert_eq!(dir.get(h).as_deref(), Some(&(i as u32)));
        }
        assert!(dir.get(u64::MAX).is_none(), "nil");
        let other: HandleTable<u32> = HandleTable::new(6, Kind::Session);
        let foreign = other.encode(0, 0);
        assert!(dir.get(foreign).is_none(), "another tag, same slot");
        let h = handles[3];
        assert_eq!(t.remove(h), Some(3));
        dir.clear(h);
        assert!(dir.get(h).is_none(), "removed");
        let h2 = t.insert(99).unwrap();
        dir.set(h2, Arc::new(99));
        assert_ne!(h, h2);
        assert!(dir.get(h).is_none(), "the old generation stays a miss");
        assert_eq!(dir.get(h2).as_deref(), Some(&99));
        dir.clear(h);
        assert_eq!(
            dir.get(h2).as_deref(),
            Some(&99),
            "clearing a stale handle is a no-op"
        );
        assert_eq!(segment_of(0), (0, 0));
        assert_eq!(segment_of(1), (1, 0));
        assert_eq!(segment_of(2), (1, 1));
        assert_eq!(segment_of(3), (2, 0));
        assert_eq!(segment_of(SLOTS_MAX - 1), (INDEX_BITS as usize, 0));
    }

    #[test]
    fn tags_skip_nil() {
        for _ in 0..3 {
            let t = next_tag();
            assert!(t != 0 && t != u16::MAX);
        }
    }
}
