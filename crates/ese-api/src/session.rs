//! Sessions (ESE's PIB): begin, dup and end, session contexts, the one-thread-at-a-time rule,
//! and transactions at the API.
//!
//! # Entering a session
//!
//! Every call on a session *enters* it first, as ESE's `APICALL_SESID` does:
//!
//! ```text
//!   handle ──directory──▶ live? ──instance gate (shared)──▶ stop-service? unavailable?
//!      │ miss: ask the table                                   term? restore?
//!      │ stale/foreign: InvalidSesid                (reference 01 §5, in this order)
//!      │ closed by term: NotInitialized
//!      ▼
//!   context set by another thread? ──▶ SessionSharingViolation
//!   session's state lock (try-lock) held by another call? ──▶ SessionSharingViolation
//!      ▼
//!   the call runs; on a fatal error the instance becomes unavailable
//! ```
//!
//! A live handle is found in the engine's session directory (`handle::HandleDirectory`)
//! under the session's own slot lock, so a call takes no process-wide lock; the session
//! table, under the process lock, answers only for handles the directory does not hold.
//!
//! The session's state lock is what makes a session *serialized*: a call holds it from entry
//! to exit, and a second thread entering meanwhile fails at once instead of waiting (reference
//! 01 §4, "Threading rules"). Only term takes that lock outside a call, and only once every
//! call has left and the gate refuses new ones, so a failed try-lock always means another
//! call is inside the session.
//!
//! # Transaction affinity
//!
//! The outermost `begin_transaction` records who began it: the session context if one is
//! set, else the calling thread. A nested begin, a commit or a rollback by anyone else fails
//! with `JET_errSessionSharingViolation`; so does `end_session` while another thread's
//! transaction (or one begun under a context that is no longer set) is open, leaving the
//! session usable. With a context, the transaction follows
//! the context, not the thread: after `reset_session_context` another thread may set the same
//! context value and carry on.
//!
//! # Contexts
//!
//! `set_session_context` binds the session to the calling thread under a caller's value (0
//! and !0 are refused); a second set, from any thread, is `JET_errSessionContextAlreadySet`.
//! Only the thread that set it may reset it (`JET_errSessionContextNotSetByThisThread`). While
//! a context is set, `end_session` fails with `JET_errSessionInUse`, even for the setter.
//!
//! # Rolling back and ending
//!
//! Rollback goes through the instance's tree registry (`ese_txn::Trees`), which restores
//! every B-tree node the rolled-back levels changed. `end_session` closes the session's
//! cursors and databases and rolls back every open level.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::ThreadId;

use ese_core::params::{ParamValue, Stage, SystemParam};
use ese_core::{JetErr, Lgpos};
use ese_txn::{CommitMode, ObjId, Undo, UndoAction, UndoError};
use parking_lot::Mutex;

use crate::database::AttachedDb;
use crate::engine::{Admit, Engine, Inst, InstState, Runtime};
use crate::error::{Result, fail};
use crate::gate::ThreadShard;
use crate::grbit;
use crate::handle::{Dbid, Instance, Lookup, Sesid};
use crate::table::Cursors;

/// The undo applied by rollback while there are no tables: nothing to restore (see the
/// module doc). The table layer will replace it with one that reaches the B-tree.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoUndo;

impl Undo for NoUndo {
    fn undo(
        &mut self,
        _obj: ObjId,
        _key: &[u8],
        _action: UndoAction<'_>,
    ) -> std::result::Result<(), UndoError> {
        Ok(())
    }
}

/// Who a transaction belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Owner {
    Thread(ThreadId),
    Context(u64),
}

/// A session context: the caller's value and the thread that set it.
#[derive(Clone, Copy, Debug)]
struct Context {
    value: u64,
    thread: ThreadId,
}

/// What the session table holds for a session.
pub(crate) struct SessionEntry {
    /// The session's state; its instance is `shared.inst`.
    pub(crate) shared: Arc<SessionShared>,
}

/// A session's state, shared by the table and the calls inside it. Aligned to a cache line,
/// so that one session's reference count and locks never share a line with another's.
#[repr(align(64))]
pub(crate) struct SessionShared {
    /// The session's instance.
    pub(crate) inst: Arc<Inst>,
    /// Set once the session has ended; later calls that still reach it fail.
    ended: AtomicBool,
    /// Whether `context` holds a context: changed under its lock, read without it by
    /// calls, which take the lock only when one is set.
    has_context: AtomicBool,
    context: Mutex<Option<Context>>,
    core: Mutex<SessionCore>,
}

pub(crate) struct SessionCore {
    /// The transaction half of the session; `None` once ended.
    pub(crate) txn: Option<ese_txn::Session>,
    /// Who began the open transaction.
    owner: Option<Owner>,
    /// JET_paramCommitDefault, copied from the instance at begin.
    pub(crate) commit_default: u64,
    /// The databases the session has open, with how many times.
    pub(crate) open_dbs: Vec<(Arc<AttachedDb>, u32)>,
    /// The session's cursors, by their JET_TABLEID's raw value.
    pub(crate) cursors: Cursors,
}

impl SessionCore {
    /// The transaction level (0 outside a transaction or once ended).
    pub(crate) fn level(&self) -> u8 {
        self.txn.as_ref().map_or(0, ese_txn::Session::level)
    }

    /// Counts one more open of `att`.
    pub(crate) fn note_open(&mut self, att: Arc<AttachedDb>) {
        match self.open_dbs.iter_mut().find(|(a, _)| Arc::ptr_eq(a, &att)) {
            Some((_, n)) => *n += 1,
            None => self.open_dbs.push((att, 1)),
        }
    }

    /// The open database `dbid` names (`JET_errInvalidDatabaseId` if the session does not
    /// have it open).
    pub(crate) fn open_db(&self, dbid: Dbid) -> Result<Arc<AttachedDb>> {
        match self.open_dbs.iter().find(|(a, _)| a.handle == dbid) {
            Some((a, _)) => Ok(a.clone()),
            None => fail(JetErr::INVALID_DATABASE_ID),
        }
    }

    /// Counts one close of `dbid`; returns the database and whether it was the last open.
    pub(crate) fn note_close(&mut self, dbid: Dbid) -> Result<(Arc<AttachedDb>, bool)> {
        let Some(i) = self.open_dbs.iter().position(|(a, _)| a.handle == dbid) else {
            return fail(JetErr::INVALID_DATABASE_ID);
        };
        let (att, n) = &mut self.open_dbs[i];
        let att = att.clone();
        *n -= 1;
        let last = *n == 0;
        if last {
            self.open_dbs.swap_remove(i);
        }
        Ok((att, last))
    }

    /// Closes the session's cursors on database `dbid`.
    pub(crate) fn close_cursors_of(&mut self, dbid: Dbid) {
        self.cursors.retain(|c| c.dbid != dbid);
    }

    /// Closes every cursor and every open database of the session.
    fn close_all(&mut self) {
        self.cursors.clear();
        for (att, n) in self.open_dbs.drain(..) {
            att.opens.fetch_sub(n, Ordering::AcqRel);
        }
    }
}

impl SessionShared {
    /// The transaction level, 0 when none is open or the session has ended.
    pub(crate) fn level(&self) -> u8 {
        self.core
            .lock()
            .txn
            .as_ref()
            .map_or(0, ese_txn::Session::level)
    }

    /// Ends the session as the process ends (its engine dropped): its cursors and databases
    /// close, its transaction is abandoned with the version store, nothing is rolled back.
    pub(crate) fn abandon(&self) {
        self.ended.store(true, Ordering::Release);
        let mut core = self.core.lock();
        core.close_all();
        drop(core.txn.take());
    }

    /// Closes the session as its instance terminates. A clean term has checked that no
    /// transaction is open; a dirty one abandons them (their versions die with the store).
    pub(crate) fn close(&self, dirty: bool, trees: &ese_txn::Trees) {
        self.ended.store(true, Ordering::Release);
        let mut core = self.core.lock();
        core.close_all();
        if let Some(txn) = core.txn.take()
            && !dirty
            && txn.level() > 0
        {
            // Not reached after a clean term's check; rolling back is the safe reading.
            let _ = trees.end_session(txn);
        }
    }
}

/// What a call inside a session sees.
pub(crate) struct Entered<'a> {
    pub(crate) inst: &'a Arc<Inst>,
    pub(crate) rt: &'a Runtime,
    /// Who is calling: the session context if set, else the thread.
    who: Owner,
}

/// The identity of a level-0 commit (JET_COMMIT_ID).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CommitId {
    /// The log stream's signature; zero when the instance runs without a log.
    pub signature: [u8; 16],
    /// The commit record's position, `None` when nothing was logged (an empty or nested
    /// commit, or a wait).
    pub lgpos: Option<Lgpos>,
}

thread_local! {
    /// The calling thread's id, read once per thread rather than through a thread handle
    /// (a reference-counted clone) on every call.
    static THREAD_ID: ThreadId = std::thread::current().id();
}

thread_local! {
    /// The session this thread entered last (see [`Engine::enter`]).
    static LAST_SESSION: RefCell<Option<LastSession>> = const { RefCell::new(None) };
}

/// A session a thread entered, remembered so that its next call on the same handle reaches
/// the session's state without the directory's slot lock and without a reference count
/// taken and dropped around the call.
struct LastSession {
    /// [`Engine::serial`] of the engine whose handle this is.
    engine: u64,
    /// The handle's raw value.
    handle: u64,
    shared: Arc<SessionShared>,
    /// The thread that remembers it: its id, without a second thread-local read per call.
    thread: ThreadId,
    /// The thread's shard of the instance gate, for the same reason.
    shard: ThreadShard,
}

/// Forgets the session this thread remembers if it belongs to the engine `serial`.
pub(crate) fn forget_last_session(serial: u64) {
    let stale = LAST_SESSION
        .try_with(|last| {
            let mut last = last.try_borrow_mut().ok()?;
            if last.as_ref().is_some_and(|l| l.engine == serial) {
                last.take()
            } else {
                None
            }
        })
        .ok()
        .flatten();
    // Dropped outside the thread-local's borrow.
    drop(stale);
}

fn current_thread() -> ThreadId {
    // Past the thread-local's destruction (a call from another thread-local's destructor),
    // ask the thread itself.
    THREAD_ID
        .try_with(|id| *id)
        .unwrap_or_else(|_| std::thread::current().id())
}

impl Engine {
    /// The session `sesid` names (its instance is `inst`). A live handle is found in the
    /// engine's session directory, under that session's own slot lock; anything else is
    /// answered by the session table under the process lock (tombstone or invalid).
    #[inline]
    fn resolve_session(&self, sesid: Sesid) -> Result<Arc<SessionShared>> {
        match self.session_dir.get(sesid.raw()) {
            Some(shared) => Ok(shared),
            None => self.resolve_session_in_table(sesid),
        }
    }

    /// [`Engine::resolve_session`] for a handle the directory does not hold: the session
    /// table answers, under the process lock. Kept out of line so that the directory's hit,
    /// which every call on a live session takes, stays small enough to inline.
    #[cold]
    #[inline(never)]
    fn resolve_session_in_table(&self, sesid: Sesid) -> Result<Arc<SessionShared>> {
        let p = self.process.lock();
        match p.sessions.get(sesid.raw()) {
            Lookup::Live(e) => Ok(Arc::clone(&e.shared)),
            Lookup::Tombstone => fail(JetErr::NOT_INITIALIZED),
            Lookup::Invalid => fail(JetErr::INVALID_SESID),
        }
    }

    /// The instance of session `sesid`.
    pub(crate) fn session_instance(&self, sesid: Sesid) -> Result<Arc<Inst>> {
        self.resolve_session(sesid).map(|s| Arc::clone(&s.inst))
    }

    /// Enters session `sesid` (see the module doc) and runs `f` inside it.
    pub(crate) fn enter<R>(
        &self,
        sesid: Sesid,
        admit: Admit,
        check_binding: bool,
        f: impl FnOnce(&Entered<'_>, &mut SessionCore) -> Result<R>,
    ) -> Result<R> {
        // The session this thread called last, if `sesid` names it and it has not ended: a
        // session that ended (by JetEndSession or term, on any thread) is left to the look-up
        // below, which answers with the error its handle now gets. An end that races with
        // this call is caught under the session's lock, as on the look-up's path.
        let mut f = Some(f);
        let remembered = LAST_SESSION
            .try_with(|last| {
                let last = last.try_borrow().ok()?;
                let last = last.as_ref()?;
                if last.engine != self.serial
                    || last.handle != sesid.raw()
                    || last.shared.ended.load(Ordering::Acquire)
                {
                    return None;
                }
                Some(self.enter_shared(
                    &last.shared,
                    last.thread,
                    last.shard,
                    admit,
                    check_binding,
                    f.take()?,
                ))
            })
            .ok()
            .flatten();
        if let Some(result) = remembered {
            return result;
        }
        let shared = self.resolve_session(sesid)?;
        let me = current_thread();
        let shard = ThreadShard::current();
        // Not remembered while an outer call of this thread is inside the one it remembers.
        let replaced = LAST_SESSION
            .try_with(|last| {
                let mut last = last.try_borrow_mut().ok()?;
                last.replace(LastSession {
                    engine: self.serial,
                    handle: sesid.raw(),
                    shared: Arc::clone(&shared),
                    thread: me,
                    shard,
                })
            })
            .ok()
            .flatten();
        // Dropped outside the thread-local's borrow.
        drop(replaced);
        match f.take() {
            Some(f) => self.enter_shared(&shared, me, shard, admit, check_binding, f),
            // The remembered path takes `f` only once it runs the call, and then returns.
            None => fail(JetErr::INTERNAL_ERROR),
        }
    }

    /// [`Engine::enter`] once the session is found; `me` is the calling thread and `shard` its
    /// shard of the instance gate. Inlined into both of its paths, so a call pays for one
    /// function entry, not two.
    #[inline(always)]
    fn enter_shared<R>(
        &self,
        shared: &SessionShared,
        me: ThreadId,
        shard: ThreadShard,
        admit: Admit,
        check_binding: bool,
        f: impl FnOnce(&Entered<'_>, &mut SessionCore) -> Result<R>,
    ) -> Result<R> {
        let inst = &shared.inst;
        let gate = inst.gate.read_in(shard);
        let rt = inst.admit(&gate, admit)?;
        let context = if shared.has_context.load(Ordering::Acquire) {
            *shared.context.lock()
        } else {
            None
        };
        if check_binding && context.is_some_and(|c| c.thread != me) {
            return fail(JetErr::SESSION_SHARING_VIOLATION);
        }
        // Held for the whole call: another thread entering meanwhile fails at once.
        let Some(mut core) = shared.core.try_lock() else {
            return fail(JetErr::SESSION_SHARING_VIOLATION);
        };
        if core.txn.is_none() || shared.ended.load(Ordering::Acquire) {
            return fail(JetErr::INVALID_SESID);
        }
        let entered = Entered {
            inst,
            rt,
            who: context.map_or(Owner::Thread(me), |c| Owner::Context(c.value)),
        };
        f(&entered, &mut core).map_err(|e| inst.note(e))
    }

    /// Enters session `sesid` for a database or table call: `f` gets the instance's handle,
    /// its runtime and the session's state.
    pub(crate) fn enter_db<R>(
        &self,
        sesid: Sesid,
        f: impl FnOnce(Instance, &Runtime, &mut SessionCore) -> Result<R>,
    ) -> Result<R> {
        self.enter(sesid, Admit::Normal, true, |e, core| {
            // A transaction stays with the thread (or context) that began it. The level is
            // asked only when another owner is recorded: it is a look-up in the instance's
            // version store, under that store's lock.
            if core.owner.is_some_and(|o| o != e.who) && core.level() > 0 {
                return fail(JetErr::SESSION_SHARING_VIOLATION);
            }
            f(e.inst.handle, e.rt, core)
        })
    }

    /// As [`Engine::enter_db`] for the calls ESE still allows after JetStopServiceInstance
    /// (JetCloseDatabase, JetCloseTable).
    pub(crate) fn enter_db_when_stopped<R>(
        &self,
        sesid: Sesid,
        f: impl FnOnce(Instance, &Runtime, &mut SessionCore) -> Result<R>,
    ) -> Result<R> {
        self.enter(sesid, Admit::WhenStopped, true, |e, core| {
            f(e.inst.handle, e.rt, core)
        })
    }

    /// Adds a session to `inst`, which the caller holds running (its gate shared).
    fn open_session(&self, inst: &Arc<Inst>, rt: &Runtime) -> Result<Sesid> {
        let commit_default = inst
            .params
            .lock()
            .int(crate::params::paramid::COMMIT_DEFAULT);
        let mut p = self.process.lock();
        if inst.sessions.load(Ordering::Acquire) >= rt.max_sessions {
            return fail(JetErr::OUT_OF_SESSIONS);
        }
        let shared = Arc::new(SessionShared {
            inst: Arc::clone(inst),
            ended: AtomicBool::new(false),
            has_context: AtomicBool::new(false),
            context: Mutex::new(None),
            core: Mutex::new(SessionCore {
                txn: Some(rt.ver.begin_session()),
                owner: None,
                commit_default,
                open_dbs: Vec::new(),
                cursors: Cursors::default(),
            }),
        });
        let entry = SessionEntry {
            shared: Arc::clone(&shared),
        };
        let Some(raw) = p.sessions.insert_with(|_| entry) else {
            return fail(JetErr::OUT_OF_MEMORY);
        };
        self.session_dir.set(raw, shared);
        inst.sessions.fetch_add(1, Ordering::AcqRel);
        Ok(Sesid::from_raw(raw))
    }

    /// JetBeginSession: a new session on `instance` (nil: the implicit instance of
    /// single-instance mode) at transaction level 0, with no databases, cursors or context,
    /// and the instance's JET_paramCommitDefault. `user` and `password` are reserved and
    /// ignored, as in ESE.
    ///
    /// Errors: `JET_errOutOfSessions` (-1101) when JET_paramMaxSessions sessions exist,
    /// `JET_errNotInitialized`, `JET_errInitInProgress`, `JET_errTermInProgress`,
    /// `JET_errRestoreInProgress`, `JET_errInstanceUnavailable`,
    /// `JET_errClientRequestToStopJetService`, `JET_errOutOfMemory` (the session table cannot
    /// grow: Rust aborts on a failed allocation elsewhere, so this is the one place it shows),
    /// and `JET_errInvalidParameter` for a bad instance handle.
    pub fn begin_session(&self, instance: Instance, user: &str, password: &str) -> Result<Sesid> {
        let _ = (user, password);
        let inst = self.resolve_instance(instance)?;
        let gate = inst.gate.read_recursive();
        let rt = inst.admit(&gate, Admit::Normal)?;
        self.open_session(&inst, rt)
    }

    /// JetDupSession: a new session on `sesid`'s instance, exactly as
    /// [`Engine::begin_session`] would make it. Nothing is copied: no transaction or snapshot,
    /// no databases, cursors, context or session commit default.
    ///
    /// The call enters the source session first, so that session must not be busy on another
    /// thread (`JET_errSessionSharingViolation`). Errors: `JET_errInvalidSesid` (-1104) for a
    /// nil, stale, forged or foreign handle (ESE's `JET_errInvalidParameter` is for a NULL
    /// out-pointer, which Rust cannot pass); `JET_errNotInitialized` once the source's
    /// instance has terminated; and every error of [`Engine::begin_session`].
    pub fn dup_session(&self, sesid: Sesid) -> Result<Sesid> {
        self.enter(sesid, Admit::Normal, true, |e, _| {
            self.open_session(e.inst, e.rt)
        })
    }

    /// JetEndSession: rolls back every open level, frees the session, and makes its handle
    /// invalid (`JET_errInvalidSesid` from then on). `grbit` may hold
    /// [`grbit::FORCE_SESSION_CLOSED`], which is reserved and has no effect.
    ///
    /// Fails, leaving the session usable, with `JET_errSessionInUse` (-1914) while a session
    /// context is set (even by the caller: reset it first), and with
    /// `JET_errSessionSharingViolation` while another thread's transaction is open.
    pub fn end_session(&self, sesid: Sesid, grbit: u32) -> Result<()> {
        if grbit & !grbit::FORCE_SESSION_CLOSED != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        let shared = self.resolve_session(sesid)?;
        self.enter(sesid, Admit::WhenStopped, false, |e, core| {
            // Holding the context lock to the end claims the session against a concurrent set.
            let context = shared.context.lock();
            if context.is_some() {
                return fail(JetErr::SESSION_IN_USE);
            }
            let level = core.txn.as_ref().map_or(0, ese_txn::Session::level);
            if level > 0 && core.owner.is_some_and(|o| o != e.who) {
                return fail(JetErr::SESSION_SHARING_VIOLATION);
            }
            shared.ended.store(true, Ordering::Release);
            core.close_all();
            let ended = match core.txn.take() {
                Some(txn) => e.rt.trees.end_session(txn),
                None => Ok(()),
            };
            core.owner = None;
            drop(context);
            let mut p = self.process.lock();
            if p.sessions.remove(sesid.raw()).is_some() {
                e.inst.sessions.fetch_sub(1, Ordering::AcqRel);
            }
            self.session_dir.clear(sesid.raw());
            ended.map_err(Into::into)
        })
    }

    /// JetSetSessionContext: binds the session to the calling thread under `context`, the
    /// caller's value (0 and !0: `JET_errInvalidParameter`). A second set, from any thread, is
    /// `JET_errSessionContextAlreadySet` (-1912). Set it before `begin_transaction` to tie the
    /// transaction to the context rather than to the thread.
    pub fn set_session_context(&self, sesid: Sesid, context: u64) -> Result<()> {
        let shared = self.resolve_session(sesid)?;
        let gate = shared.inst.gate.read_recursive();
        shared.inst.admit(&gate, Admit::Normal)?;
        if context == 0 || context == u64::MAX {
            return fail(JetErr::INVALID_PARAMETER);
        }
        let mut slot = shared.context.lock();
        if shared.ended.load(Ordering::Acquire) {
            return fail(JetErr::INVALID_SESID);
        }
        if slot.is_some() {
            return fail(JetErr::SESSION_CONTEXT_ALREADY_SET);
        }
        *slot = Some(Context {
            value: context,
            thread: current_thread(),
        });
        shared.has_context.store(true, Ordering::Release);
        Ok(())
    }

    /// JetResetSessionContext: unbinds the session from its context. Only the thread that
    /// set it may (`JET_errSessionContextNotSetByThisThread`, -1913, also when none is set).
    /// Still allowed after JetStopServiceInstance.
    pub fn reset_session_context(&self, sesid: Sesid) -> Result<()> {
        let shared = self.resolve_session(sesid)?;
        let gate = shared.inst.gate.read_recursive();
        shared.inst.admit(&gate, Admit::WhenStopped)?;
        let mut slot = shared.context.lock();
        if shared.ended.load(Ordering::Acquire) {
            return fail(JetErr::INVALID_SESID);
        }
        match *slot {
            Some(c) if c.thread == current_thread() => {
                *slot = None;
                shared.has_context.store(false, Ordering::Release);
                Ok(())
            }
            _ => fail(JetErr::SESSION_CONTEXT_NOT_SET_BY_THIS_THREAD),
        }
    }

    /// JetBeginTransaction: enters a transaction (level 0 → 1) or creates a save point. The
    /// eighth nested level fails with `JET_errTransTooDeep` (-1103), changing nothing.
    pub fn begin_transaction(&self, sesid: Sesid) -> Result<()> {
        self.begin_transaction3(sesid, 0, 0)
    }

    /// JetBeginTransaction2: as [`Engine::begin_transaction`]; `grbit` may hold
    /// [`grbit::TRANSACTION_READ_ONLY`] (counted on the outermost begin only).
    pub fn begin_transaction2(&self, sesid: Sesid, grbit: u32) -> Result<()> {
        self.begin_transaction3(sesid, 0, grbit)
    }

    /// JetBeginTransaction3: as [`Engine::begin_transaction2`] with a caller-chosen id for
    /// tracing (`trxid`, accepted and not used yet). The outermost begin ties the transaction
    /// to the session context or the calling thread; a nested begin by anyone else is
    /// `JET_errSessionSharingViolation`.
    pub fn begin_transaction3(&self, sesid: Sesid, trxid: i64, grbit: u32) -> Result<()> {
        let _ = trxid;
        if grbit & !grbit::TRANSACTION_READ_ONLY != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        self.enter(sesid, Admit::Normal, true, |e, core| {
            let Some(txn) = core.txn.as_mut() else {
                return fail(JetErr::INVALID_SESID);
            };
            let level = txn.level();
            if level > 0 && core.owner.is_some_and(|o| o != e.who) {
                return fail(JetErr::SESSION_SHARING_VIOLATION);
            }
            if grbit & grbit::TRANSACTION_READ_ONLY != 0 {
                txn.begin_transaction_read_only()?;
            } else {
                txn.begin_transaction()?;
            }
            if level == 0 {
                core.owner = Some(e.who);
            }
            Ok(())
        })
    }

    /// JetCommitTransaction: commits the innermost level (see [`Engine::commit_transaction2`]).
    pub fn commit_transaction(&self, sesid: Sesid, grbit: u32) -> Result<()> {
        self.commit_transaction2(sesid, grbit, 0).map(drop)
    }

    /// JetCommitTransaction2: commits the innermost level and returns the commit's identity.
    ///
    /// * No flag: a level-0 commit returns once its record is durable (a transaction that
    ///   changed nothing writes nothing and does not wait); a nested commit merges into its
    ///   parent.
    /// * [`grbit::COMMIT_LAZY_FLUSH`] (or JET_paramCommitDefault with it): return without
    ///   waiting; the instance's log flusher makes the commit durable within about
    ///   [`LAZY_FLUSH_INTERVAL`](crate::LAZY_FLUSH_INTERVAL), which also bounds
    ///   `durable_commit_ms` (accepted only with a lazy commit, else
    ///   `JET_errInvalidParameter`).
    /// * [`grbit::WAIT_LAST_LEVEL0_COMMIT`] / [`grbit::WAIT_ALL_LEVEL0_COMMIT`]: only wait for
    ///   this session's / every session's level-0 commits to be durable; usable outside a
    ///   transaction; must be the only flag (`JET_errInvalidGrbit`).
    /// * [`grbit::FORCE_NEW_LOG`]: `JET_errFeatureNotAvailable` (the log has no forced
    ///   rollover yet).
    ///
    /// Outside a transaction: `JET_errNotInTransaction`. By another thread or context than
    /// the one that began the transaction: `JET_errSessionSharingViolation`.
    pub fn commit_transaction2(
        &self,
        sesid: Sesid,
        grbit: u32,
        durable_commit_ms: u32,
    ) -> Result<CommitId> {
        if grbit & !grbit::COMMIT_ALL != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        let only = |bit: u32| grbit & bit != 0 && grbit != bit;
        if only(grbit::WAIT_LAST_LEVEL0_COMMIT)
            || only(grbit::WAIT_ALL_LEVEL0_COMMIT)
            || only(grbit::FORCE_NEW_LOG)
        {
            return fail(JetErr::INVALID_GRBIT);
        }
        self.enter(sesid, Admit::Normal, true, |e, core| {
            let signature = e.rt.log.as_ref().map_or([0; 16], |l| l.signature());
            let waited = CommitId {
                signature,
                lgpos: None,
            };
            let Some(txn) = core.txn.as_mut() else {
                return fail(JetErr::INVALID_SESID);
            };
            match grbit {
                grbit::WAIT_LAST_LEVEL0_COMMIT => {
                    txn.wait_last_level0_commit()?;
                    return Ok(waited);
                }
                grbit::WAIT_ALL_LEVEL0_COMMIT => {
                    e.rt.ver.wait_all_level0_commits()?;
                    return Ok(waited);
                }
                grbit::FORCE_NEW_LOG => return fail(JetErr::FEATURE_NOT_AVAILABLE),
                _ => {}
            }
            let lazy = (grbit | core.commit_default as u32) & grbit::COMMIT_LAZY_FLUSH != 0;
            if durable_commit_ms > 0 && !lazy {
                return fail(JetErr::INVALID_PARAMETER);
            }
            let level = txn.level();
            if level == 0 {
                return fail(JetErr::NOT_IN_TRANSACTION);
            }
            if core.owner.is_some_and(|o| o != e.who) {
                return fail(JetErr::SESSION_SHARING_VIOLATION);
            }
            let mode = if lazy {
                CommitMode::Lazy
            } else {
                CommitMode::Durable
            };
            let lgpos = txn.commit_transaction(mode)?;
            // A commit closes exactly the innermost level.
            if level == 1 {
                core.owner = None;
                e.rt.cleanup_soon();
            }
            Ok(CommitId { signature, lgpos })
        })
    }

    /// JetRollback: undoes the innermost level, or with [`grbit::ROLLBACK_ALL`] every level.
    /// Outside a transaction: `JET_errNotInTransaction`; by another thread or context than
    /// the one that began the transaction: `JET_errSessionSharingViolation`. Still allowed
    /// after JetStopServiceInstance.
    pub fn rollback(&self, sesid: Sesid, grbit: u32) -> Result<()> {
        if grbit & !grbit::ROLLBACK_ALL != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        self.enter(sesid, Admit::WhenStopped, true, |e, core| {
            let Some(txn) = core.txn.as_mut() else {
                return fail(JetErr::INVALID_SESID);
            };
            let level = txn.level();
            if level == 0 {
                return fail(JetErr::NOT_IN_TRANSACTION);
            }
            if core.owner.is_some_and(|o| o != e.who) {
                return fail(JetErr::SESSION_SHARING_VIOLATION);
            }
            let all = grbit & grbit::ROLLBACK_ALL != 0;
            if all {
                e.rt.trees.rollback_all(txn)?;
            } else {
                e.rt.trees.rollback(txn)?;
            }
            // A rollback closes the innermost level, or every level.
            if all || level == 1 {
                core.owner = None;
            }
            Ok(())
        })
    }

    /// The session's transaction level (JET_sesparamTransactionLevel, legacy
    /// JET_paramTransactionLevel).
    pub fn transaction_level(&self, sesid: Sesid) -> Result<u8> {
        self.enter(sesid, Admit::Normal, true, |_, core| {
            Ok(core.txn.as_ref().map_or(0, ese_txn::Session::level))
        })
    }

    /// Enters session `sesid` and runs `f` on its transaction state: the seam through which
    /// the table and cursor layers will reach the version store (recording versions before
    /// changing nodes), and through which tests make a transaction hold changes. Not an ESE
    /// call. The session is entered as for any call (handle, instance state, context binding,
    /// state lock), so while `f` runs, other threads entering the session get
    /// `JET_errSessionSharingViolation`, and so does a call on the same session from inside
    /// `f`; `f` must not terminate the instance (term waits for every call to leave). A
    /// transaction that `f` begins or ends is tracked as if begun or ended through the API.
    pub fn enter_session<R>(
        &self,
        sesid: Sesid,
        f: impl FnOnce(&mut ese_txn::Session) -> R,
    ) -> Result<R> {
        self.enter(sesid, Admit::Normal, true, |e, core| {
            let Some(txn) = core.txn.as_mut() else {
                return fail(JetErr::INVALID_SESID);
            };
            let out = f(txn);
            if txn.level() == 0 {
                core.owner = None;
            } else if core.owner.is_none() {
                core.owner = Some(e.who);
            }
            Ok(out)
        })
    }

    /// The session's JET_paramCommitDefault.
    pub(crate) fn session_commit_default(&self, sesid: Sesid) -> Result<u64> {
        self.enter(
            sesid,
            Admit::Normal,
            true,
            |_, core| Ok(core.commit_default),
        )
    }

    /// Sets the session's JET_paramCommitDefault (allowed at any time).
    pub(crate) fn set_session_commit_default(
        &self,
        sesid: Sesid,
        param: &SystemParam,
        value: ParamValue<'_>,
    ) -> Result<()> {
        self.enter(sesid, Admit::Normal, true, |_, core| {
            let current = ParamValue::Int(core.commit_default);
            ese_core::params::validate_change(param, Some(&current), &value, Stage::Initialized)?;
            let ParamValue::Int(v) = value else {
                return fail(JetErr::INVALID_PARAMETER);
            };
            core.commit_default = v;
            Ok(())
        })
    }

    /// Whether `sesid` names a live session (for tests and diagnostics; not an ESE call).
    pub fn is_session_live(&self, sesid: Sesid) -> bool {
        self.resolve_session(sesid).is_ok_and(|shared| {
            !shared.ended.load(Ordering::Acquire)
                && matches!(*shared.inst.gate.read_recursive(), InstState::Running(_))
        })
    }
}
