//! The process (ESE's global state), its run mode, instances (INST) and system parameters.
//!
//! esent.dll keeps its process-wide state in statics: the run mode, the global parameter
//! values, the list of instances. Here that state is an explicit value, [`Engine`], so that
//! tests (each with its own engine) run in parallel and nothing is hidden. A C ABI over this
//! crate would hold exactly one engine for the process, e.g. in a
//! `static ENGINE: std::sync::LazyLock<Engine>`, and pass `JET_INSTANCE`/`JET_SESID` values
//! through [`Instance::raw`]/[`Instance::from_raw`] and [`Sesid::raw`]/[`Sesid::from_raw`]
//! (handles are checked numbers, so a C caller's stale handle is still only an error).
//!
//! # Run modes (reference 01 §2)
//!
//! ```text
//!            create_instance / enable_multi_instance           init(None), no instance yet
//!   MultiInstance ◀──────────────────── NotSet ──────────────────────▶ SingleInstance
//!     init(None) → RunningInMultiInstanceMode  ▲   create_instance → RunningInOneInstanceMode
//!                                              │   init(None) again → AlreadyInitialized
//!                     the last instance ends ──┘
//! ```
//!
//! # An instance's life (reference 01 §3)
//!
//! ```text
//!   create_instance ──▶ Created ──init──▶ Initializing ──▶ Running ──term──▶ Terminating ──▶ gone
//!                          │  (params I-pre writable)        │  (sessions, transactions)
//!                          └── term: freed ──────────────────┴── init fails: freed
//! ```
//!
//! `init` first runs soft recovery when the previous run did not end with a clean term: the
//! instance's attachment list (`<base>.jat` beside the checkpoint) names the databases it had
//! attached, and those whose headers say dirty are recovered by `ese_recovery::recover_instance`
//! (redo from the checkpoint, undo of transactions without a commit), flushed and marked clean;
//! as in ESE they are then detached, for the application to attach again. Then init opens the
//! instance's log (ese-log over the folder of JET_paramLogFilePath, with the checkpoint in
//! JET_paramSystemPath) behind an `ese_recovery::TrxLog` (which keeps checkpoints behind open
//! transactions), its version store (JET_paramMaxVerPages), its buffer cache
//! (JET_paramCacheSizeMax, with a flusher that moves the checkpoint every
//! [`CHECKPOINT_INTERVAL`]), its tree registry with background version cleanup, and its lazy
//! log flusher.
//!
//! ```text
//!   term (clean)  : every database flushed, synced, header clean; list emptied; checkpoint at
//!                   the end of the log           → next init: nothing to recover
//!   term (dirty), : log flushed (dirty) or not (crash); headers stay dirty; list kept
//!   dropped engine                               → next init: recovery
//! ```
//!
//! # Background failures
//!
//! The cache's flusher (page writes, syncs, the checkpoint) and version cleanup run on their
//! own threads. A disk or log failure of either makes the instance unavailable, as a fatal
//! error of a call does: the cleanup thread records it within [`CLEANUP_INTERVAL`], and
//! every call on the instance checks the flusher first, so from the call after the failure
//! on, session, database and table calls get `JET_errInstanceUnavailable` (-1090), or
//! `JET_errInstanceUnavailableDueToFatalLogDiskFull` (-1092) for a full log disk. Committed
//! work is in the log; term returns the same error and leaves the databases dirty, so the
//! next init recovers them.
//!
//! Calls made while an instance is initialising get `JET_errInitInProgress`, while it
//! terminates `JET_errTermInProgress`. Each instance has a gate (a read-write lock over its
//! state, sharded so that calls on different threads lock different cache lines: see
//! `gate`): every call on the instance holds it shared for its duration, and init and term
//! take it exclusively only to change the instance's state, so a state change never overlaps
//! a call.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::time::Duration;

use ese_btree::PageLog;
use ese_cache::{Cache, CacheConfig, WriteAheadLog};
use ese_core::JetErr;
use ese_core::params::{ParamValue, Stage};
use ese_log::{LazyFlusher, Log, LogConfig};
use ese_pageio::Directory;
use ese_txn::{CommitLog, NoLog, Trees, VerConfig, VersionStore};
use parking_lot::Mutex;

use crate::attach::AttachList;
use crate::database::{DbEntry, DbEnv, DbSet};
use crate::gate::Gate;
use crate::instlog::NoWal;

use crate::error::{JetError, Result, fail};
use crate::fs::{FileSystem, LogDirectory, OsFileSystem};
use crate::grbit;
use crate::handle::{HandleDirectory, HandleTable, Instance, Kind, Lookup, Sesid, next_tag};
use crate::params::{self, ParamSet, SystemParamValue, paramid};
use crate::session::SessionEntry;

/// How often an instance's background thread flushes lazily committed work to the log (ESE's
/// log flush thread): a lazy commit becomes durable within about this long.
pub const LAZY_FLUSH_INTERVAL: Duration = Duration::from_millis(25);

/// The process's run mode (reference 01 §2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RunMode {
    /// Nothing created yet, or every instance has ended: global parameters are writable.
    NotSet,
    /// Legacy ("Windows 2000 compatibility") mode: `init(None)` made one implicit instance.
    SingleInstance,
    /// Entered by the first `create_instance` or `enable_multi_instance`.
    MultiInstance,
}

/// One row of [`Engine::get_instance_info`] (JET_INSTANCE_INFO).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InstanceInfo {
    /// The instance's handle (hInstanceId).
    pub instance: Instance,
    /// Its name (szInstanceName), `None` for the NULL name.
    pub name: Option<String>,
    /// Its display name: as given, else the name, else "".
    pub display_name: String,
    /// Whether `init` has completed and `term` has not begun.
    pub is_running: bool,
}

/// What an initialised instance owns.
pub(crate) struct Runtime {
    /// The write-ahead log; `None` with JET_paramRecovery "Off".
    pub(crate) log: Option<Arc<Log>>,
    /// The version store every session of the instance shares.
    pub(crate) ver: Arc<VersionStore>,
    /// Every open B-tree, for rollback and version cleanup.
    pub(crate) trees: Arc<Trees>,
    /// The attached databases.
    pub(crate) dbs: Mutex<DbSet>,
    /// The temporary database, made at the first temporary table.
    pub(crate) temp: Mutex<Option<Arc<crate::temp::TempDb>>>,
    /// What attach, create and detach need.
    pub(crate) dbenv: DbEnv,
    /// JET_paramMaxSessions, fixed at init.
    pub(crate) max_sessions: usize,
    /// Flushes lazy commits in the background; dropped (and joined) at term.
    flusher: Option<LazyFlusher>,
    /// Writes old dirty pages and moves the checkpoint (ESE's checkpoint maintenance); shared
    /// with the cleanup thread, which watches it for failures.
    cache_flusher: Option<Arc<ese_cache::Flusher>>,
    /// Runs version cleanup in the background and records background failures.
    cleaner: Option<Background>,
}

/// How often the cache's flusher writes pages lagging the checkpoint depth and moves the
/// checkpoint, which bounds how much log recovery reads.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// How often version cleanup runs in the background (ESE's version store cleanup task) when
/// no level-0 commit has asked for a pass sooner.
pub const CLEANUP_INTERVAL: Duration = Duration::from_millis(100);

/// The least time between two cleanup passes: the versions of a stream of commits are
/// cleaned in batches of this much work, and passes stay short, so that no pass holds a
/// tree's latch for long beside the sessions that write it.
pub const CLEANUP_GAP: Duration = Duration::from_millis(10);

/// The cache size an instance gets while JET_paramCacheSizeMax is at its default (ESE then
/// sizes its cache dynamically; here it is fixed at init): 16,384 pages.
pub const CACHE_PAGES_DEFAULT: usize = 16_384;

/// A background thread that runs a task every `period`, or sooner when nudged, at most once
/// every `gap`, until dropped.
///
/// ```text
///   wait ── period passed, or nudged ──► task ── rest `gap` (nudges are kept) ──► wait
/// ```
struct Background {
    signal: Arc<Signal>,
    handle: Option<std::thread::JoinHandle<()>>,
}

/// What a [`Background`] thread waits on.
struct Signal {
    /// Set when the owner is dropped.
    stopped: Mutex<bool>,
    wake: parking_lot::Condvar,
    /// Set by [`Background::nudge`], cleared when a pass starts.
    nudged: AtomicBool,
}

impl Background {
    fn start(
        period: Duration,
        gap: Duration,
        mut task: impl FnMut() + Send + 'static,
    ) -> Background {
        let signal = Arc::new(Signal {
            stopped: Mutex::new(false),
            wake: parking_lot::Condvar::new(),
            nudged: AtomicBool::new(false),
        });
        let s = Arc::clone(&signal);
        let handle = std::thread::spawn(move || {
            let mut stopped = s.stopped.lock();
            while !*stopped {
                // The flag is read under the lock a nudge notifies under: none is missed.
                if !s.nudged.load(Ordering::Acquire) {
                    s.wake.wait_for(&mut stopped, period);
                }
                if *stopped {
                    break;
                }
                drop(stopped);
                s.nudged.store(false, Ordering::Release);
                task();
                stopped = s.stopped.lock();
                let rest_until = std::time::Instant::now() + gap;
                while !*stopped && !s.wake.wait_until(&mut stopped, rest_until).timed_out() {}
            }
        });
        Background {
            signal,
            handle: Some(handle),
        }
    }

    /// Asks for a pass as soon as the rest after the last one ends. Cheap when a pass is
    /// already asked for: one load.
    fn nudge(&self) {
        let s = &*self.signal;
        if !s.nudged.load(Ordering::Relaxed) && !s.nudged.swap(true, Ordering::AcqRel) {
            let _stopped = s.stopped.lock();
            s.wake.notify_one();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        *self.signal.stopped.lock() = true;
        self.signal.wake.notify_all();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Runtime {
    /// Asks version cleanup for a pass soon: a level-0 commit left versions that may be
    /// cleanable once older transactions end.
    #[inline]
    pub(crate) fn cleanup_soon(&self) {
        if let Some(c) = &self.cleaner {
            c.nudge();
        }
    }

    /// Stops the background threads (before term flushes and detaches) and returns the
    /// flusher's write, sync or checkpoint failure not yet recorded, if any.
    fn stop_background(&mut self) -> Option<JetError> {
        self.cleaner.take();
        let flusher = self.cache_flusher.take()?;
        let err = match Arc::try_unwrap(flusher) {
            Ok(f) => f.stop(),
            // The cleanup thread, its only other holder, has been joined; keep the error
            // anyway should a clone survive.
            Err(shared) => shared.take_error(),
        };
        err.and_then(background_fatal)
    }

    /// The background flusher's write, sync or checkpoint failure not yet recorded, if any.
    /// Asked on every call, where it is one flag load unless the flusher failed.
    #[inline(always)]
    fn background_failure(&self) -> Option<JetError> {
        self.cache_flusher
            .as_ref()
            .and_then(|f| f.take_error())
            .and_then(background_fatal)
    }
}

/// The failures of the background flusher that make the instance unavailable: a database
/// page write or sync, the log flush the write-ahead rule asked for, the checkpoint write.
/// Others (a database detached while a round ran) leave the instance usable.
fn background_fatal(err: ese_cache::Error) -> Option<JetError> {
    match err {
        ese_cache::Error::Io { .. }
        | ese_cache::Error::LogFlush { .. }
        | ese_cache::Error::Checkpoint { .. } => Some(JetError::from(err)),
        _ => None,
    }
}

/// Whether a background version cleanup failure is a disk or log failure, which makes the
/// instance unavailable (other failures leave the versions for the next round).
fn is_io_failure(err: JetError) -> bool {
    err.is_fatal() || err == JetErr::DISK_IO || err == JetErr::DISK_FULL
}

/// An instance's sticky fatal state, shared with its background threads: 0 while the
/// instance is usable, else the code every later call gets.
#[derive(Debug, Default)]
pub(crate) struct Unavailable(AtomicI32);

impl Unavailable {
    /// Makes the instance unavailable because of `err` and returns the code later calls get:
    /// `JET_errInstanceUnavailableDueToFatalLogDiskFull` for a full log disk, else
    /// `JET_errInstanceUnavailable`. The first failure decides.
    fn record(&self, err: JetError) -> JetErr {
        let code = if err == JetErr::LOG_DISK_FULL {
            JetErr::INSTANCE_UNAVAILABLE_DUE_TO_FATAL_LOG_DISK_FULL
        } else {
            JetErr::INSTANCE_UNAVAILABLE
        };
        match self
            .0
            .compare_exchange(0, code.value(), Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => code,
            Err(first) => JetErr(first),
        }
    }

    /// The code every call gets, if the instance is unavailable.
    fn get(&self) -> Option<JetErr> {
        match self.0.load(Ordering::Acquire) {
            0 => None,
            code => Some(JetErr(code)),
        }
    }
}

/// The state an instance's gate protects.
pub(crate) enum InstState {
    Created,
    Initializing,
    Running(Arc<Runtime>),
    Terminating,
    /// Terminated (or failed to initialise): handles that still reach it are stale.
    Ended,
}

/// One instance (ESE's INST).
pub(crate) struct Inst {
    pub(crate) handle: Instance,
    name: Option<String>,
    display_name: String,
    pub(crate) gate: Gate,
    pub(crate) params: Mutex<ParamSet>,
    /// A fatal error happened (failed log write, failed rollback, a background page write,
    /// sync or checkpoint failure): only term helps.
    unavailable: Arc<Unavailable>,
    /// A restore is running on the instance (set by restore when it exists; by tests now).
    pub(crate) restoring: AtomicBool,
    /// JetStopServiceInstance was called: most calls are refused.
    pub(crate) stopped: AtomicBool,
    /// Live user sessions, changed under the process lock.
    pub(crate) sessions: AtomicUsize,
}

/// Which calls an instance in a given state lets through (reference 01 §5).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Admit {
    /// Most calls: refused after JetStopServiceInstance.
    Normal,
    /// The calls ESE still allows after JetStopServiceInstance (JetRollback, JetEndSession,
    /// JetResetSessionContext, ...).
    WhenStopped,
}

impl Inst {
    /// Checks the instance-state errors in ESE's order (stop-service, instance-unavailable,
    /// term-in-progress, restore) and returns the runtime of a running instance.
    pub(crate) fn admit<'a>(&self, state: &'a InstState, admit: Admit) -> Result<&'a Runtime> {
        if admit == Admit::Normal && self.stopped.load(Ordering::Acquire) {
            return fail(JetErr::CLIENT_REQUEST_TO_STOP_JET_SERVICE);
        }
        if let Some(err) = self.unavailable() {
            return fail(err);
        }
        match state {
            InstState::Terminating => fail(JetErr::TERM_IN_PROGRESS),
            _ if self.restoring.load(Ordering::Acquire) => fail(JetErr::RESTORE_IN_PROGRESS),
            InstState::Running(rt) => match rt.background_failure() {
                // The flusher failed since the last call: the instance is unavailable now.
                Some(err) => fail(self.unavailable.record(err)),
                None => Ok(rt),
            },
            InstState::Initializing => fail(JetErr::INIT_IN_PROGRESS),
            InstState::Created | InstState::Ended => fail(JetErr::NOT_INITIALIZED),
        }
    }

    /// Marks the instance unavailable if `err` is fatal; returns `err`. Later calls get
    /// `JET_errInstanceUnavailable`, or `JET_errInstanceUnavailableDueToFatalLogDiskFull`
    /// when the fatal error was a full log disk.
    pub(crate) fn note(&self, err: JetError) -> JetError {
        if err.is_fatal() {
            self.unavailable.record(err);
        }
        err
    }

    /// The error every call gets after a fatal error, if one happened.
    pub(crate) fn unavailable(&self) -> Option<JetErr> {
        self.unavailable.get()
    }
}

/// The process-wide state behind the engine's lock.
pub(crate) struct Process {
    mode: RunMode,
    /// Global parameters, and the defaults copied into instances created afterwards.
    globals: ParamSet,
    pub(crate) instances: HandleTable<Arc<Inst>>,
    pub(crate) sessions: HandleTable<SessionEntry>,
    /// Attached databases' handles (JET_DBID), for every instance.
    pub(crate) databases: HandleTable<DbEntry>,
    /// The implicit instance of single-instance mode.
    implicit: Option<Instance>,
    /// Folders claimed by initialised instances: (instance, log folder, system folder).
    paths: Vec<(Instance, PathBuf, PathBuf)>,
}

/// ESE's process: run mode, global parameters, instances and sessions (see the module doc).
pub struct Engine {
    fs: Arc<dyn FileSystem>,
    pub(crate) process: Mutex<Process>,
    /// The live sessions of `process.sessions`, reached by their handles without the process
    /// lock (changed with the table, under that lock).
    pub(crate) session_dir: HandleDirectory<crate::session::SessionShared>,
    /// The engine's tag, which its table ids carry.
    tag: u16,
    /// A number no other engine of the process has (tags may come round again).
    pub(crate) serial: u64,
    /// The serial number of the next table id.
    next_cursor: std::sync::atomic::AtomicU64,
}

// One engine serves every thread of the process.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Engine>();
};

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.process.lock();
        f.debug_struct("Engine")
            .field("mode", &p.mode)
            .field("instances", &p.instances.live())
            .field("sessions", &p.sessions.live())
            .finish()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// A process with no run mode, default global parameters, and files on the operating
    /// system's file system (not an ESE call: esent.dll's process state exists implicitly). Dropping an engine without terminating its instances is a
    /// process exit: nothing is flushed or checkpointed, so the next init of the same files
    /// finds a log that needs recovery.
    pub fn new() -> Engine {
        Engine::with_file_system(Arc::new(OsFileSystem))
    }

    /// As [`Engine::new`], with instances' folders opened through `fs` (memory, fault or
    /// crash storage in tests). Not an ESE call.
    pub fn with_file_system(fs: Arc<dyn FileSystem>) -> Engine {
        let tag = next_tag();
        static NEXT_SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Engine {
            fs,
            tag,
            serial: NEXT_SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            next_cursor: std::sync::atomic::AtomicU64::new(0),
            session_dir: HandleDirectory::default(),
            process: Mutex::new(Process {
                mode: RunMode::NotSet,
                globals: ParamSet::default(),
                instances: HandleTable::new(tag, Kind::Instance),
                sessions: HandleTable::new(tag, Kind::Session),
                databases: HandleTable::new(tag, Kind::Database),
                implicit: None,
                paths: Vec::new(),
            }),
        }
    }

    /// A fresh table id's raw value, never handed out before.
    pub(crate) fn next_tableid(&self) -> Option<u64> {
        let serial = self.next_cursor.fetch_add(1, Ordering::Relaxed);
        crate::handle::tableid_raw(self.tag, serial)
    }

    /// The process's current run mode (not an ESE call; esent.dll keeps it internal).
    pub fn run_mode(&self) -> RunMode {
        self.process.lock().mode
    }

    /// The instance `instance` names. Nil means the implicit instance of single-instance mode.
    pub(crate) fn resolve_instance(&self, instance: Instance) -> Result<Arc<Inst>> {
        let p = self.process.lock();
        Self::resolve_in(&p, instance)
    }

    fn resolve_in(p: &Process, instance: Instance) -> Result<Arc<Inst>> {
        let instance = match (instance.is_nil(), p.implicit) {
            (true, Some(implicit)) => implicit,
            (true, None) if p.mode == RunMode::NotSet => return fail(JetErr::NOT_INITIALIZED),
            (true, None) => return fail(JetErr::INVALID_PARAMETER),
            (false, _) => instance,
        };
        match p.instances.get(instance.raw()) {
            Lookup::Live(inst) => Ok(Arc::clone(inst)),
            Lookup::Tombstone | Lookup::Invalid => fail(JetErr::INVALID_PARAMETER),
        }
    }

    /// JetCreateInstance: a new, uninitialised instance named `name` (`None` is ESE's NULL
    /// name, usable once), with copies of the global parameter defaults.
    pub fn create_instance(&self, name: Option<&str>) -> Result<Instance> {
        self.create_instance2(name, None, 0)
    }

    /// JetCreateInstance2: as [`Engine::create_instance`] with a display name (falling back to
    /// the name, then ""); `grbit` is reserved and must be 0.
    ///
    /// Fails with `JET_errRunningInOneInstanceMode` in single-instance mode,
    /// `JET_errInstanceNameInUse` for a name already used, `JET_errTooManyInstances` when
    /// JET_paramMaxInstances instances exist.
    pub fn create_instance2(
        &self,
        name: Option<&str>,
        display_name: Option<&str>,
        grbit: u32,
    ) -> Result<Instance> {
        if grbit != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        let mut p = self.process.lock();
        if p.mode == RunMode::SingleInstance {
            return fail(JetErr::RUNNING_IN_ONE_INSTANCE_MODE);
        }
        let inst = Self::new_instance(&mut p, name, display_name)?;
        p.mode = RunMode::MultiInstance;
        Ok(inst)
    }

    fn new_instance(
        p: &mut Process,
        name: Option<&str>,
        display_name: Option<&str>,
    ) -> Result<Instance> {
        if p.instances
            .iter()
            .any(|(_, inst)| inst.name.as_deref() == name)
        {
            return fail(JetErr::INSTANCE_NAME_IN_USE);
        }
        let max = p.globals.int(paramid::MAX_INSTANCES);
        if p.instances.live() as u64 >= max {
            return fail(JetErr::TOO_MANY_INSTANCES);
        }
        let params = p.globals.instance_copy();
        let display_name = display_name.or(name).unwrap_or("").to_owned();
        let name = name.map(str::to_owned);
        let made = p.instances.insert_with(|raw| {
            Arc::new(Inst {
                handle: Instance::from_raw(raw),
                name,
                display_name,
                gate: Gate::new(InstState::Created),
                params: Mutex::new(params),
                unavailable: Arc::default(),
                restoring: AtomicBool::new(false),
                stopped: AtomicBool::new(false),
                sessions: AtomicUsize::new(0),
            })
        });
        match made {
            Some(raw) => Ok(Instance::from_raw(raw)),
            None => fail(JetErr::OUT_OF_MEMORY),
        }
    }

    /// JetEnableMultiInstance: enters multi-instance mode, applying the global parameters in
    /// `params` with the switch, and returns how many were set (pcSucceeded). The first that
    /// fails is the call's error: those before it stay set and the mode does not change.
    /// Already in multi-instance mode: `JET_errSystemParamsAlreadySet`, even with no
    /// parameters; in single-instance mode: `JET_errRunningInOneInstanceMode`.
    pub fn enable_multi_instance(&self, params: &[(u32, ParamValue<'_>)]) -> Result<usize> {
        let mut p = self.process.lock();
        match p.mode {
            RunMode::MultiInstance => return fail(JetErr::SYSTEM_PARAMS_ALREADY_SET),
            RunMode::SingleInstance => return fail(JetErr::RUNNING_IN_ONE_INSTANCE_MODE),
            RunMode::NotSet => {}
        }
        // The switch happens only once every parameter is applied.
        for (id, value) in params {
            let param = params::lookup(*id)?;
            p.globals.set(param, *value, Stage::NoRunMode)?;
        }
        p.mode = RunMode::MultiInstance;
        Ok(params.len())
    }

    /// JetGetInstanceInfo: every instance of the process (empty if there is none).
    pub fn get_instance_info(&self) -> Vec<InstanceInfo> {
        let insts: Vec<Arc<Inst>> = {
            let p = self.process.lock();
            p.instances.iter().map(|(_, i)| Arc::clone(i)).collect()
        };
        insts
            .iter()
            .map(|inst| InstanceInfo {
                instance: inst.handle,
                name: inst.name.clone(),
                display_name: inst.display_name.clone(),
                is_running: matches!(*inst.gate.read_recursive(), InstState::Running(_)),
            })
            .collect()
    }

    /// JetSetSystemParameter: sets parameter `paramid` globally (`instance` `None` or nil, and
    /// no session), for one instance, or through a session (`sesid`: the session's instance,
    /// and for JET_paramCommitDefault the session itself).
    ///
    /// A global ("G") parameter always sets the one process value, whatever the target; "G
    /// pre" ones only while the process has no run mode. Per-instance ("I") parameters set
    /// without an instance change the default copied into instances created afterwards (at
    /// any time); in single-instance mode no instance means the implicit one. An "I pre"
    /// parameter of an instance closes when its init begins. Errors:
    /// `JET_errInvalidParameter` for an unknown id, a read-only parameter, a value of the
    /// wrong type or out of range; `JET_errAlreadyInitialized` when the parameter can no
    /// longer change. Setting the current value again always succeeds.
    pub fn set_system_parameter(
        &self,
        instance: Option<Instance>,
        sesid: Option<Sesid>,
        paramid: u32,
        value: ParamValue<'_>,
    ) -> Result<()> {
        let param = params::lookup(paramid)?;
        if let Some(sesid) = sesid.filter(|s| !s.is_nil())
            && paramid == params::paramid::COMMIT_DEFAULT
        {
            return self.set_session_commit_default(sesid, param, value);
        }
        let target = self.param_target(instance, sesid)?;
        if params::is_global(param) {
            let mut p = self.process.lock();
            let stage = if p.mode == RunMode::NotSet {
                Stage::NoRunMode
            } else {
                Stage::BeforeInit
            };
            return p.globals.set(param, value, stage);
        }
        match target {
            Some(inst) => {
                let gate = inst.gate.read_recursive();
                let stage = match *gate {
                    InstState::Created => Stage::BeforeInit,
                    InstState::Ended => return fail(JetErr::INVALID_PARAMETER),
                    _ => Stage::Initialized,
                };
                inst.params.lock().set(param, value, stage)
            }
            None => self
                .process
                .lock()
                .globals
                .set(param, value, Stage::BeforeInit),
        }
    }

    /// JetGetSystemParameter: the value of `paramid` for the same targets as
    /// [`Engine::set_system_parameter`]. Read-only limits (JET_paramKeyMost,
    /// JET_paramRecordSizeMost, JET_paramLVChunkSizeMost) are computed from the page size;
    /// JET_paramTransactionLevel needs a session. Parameters whose value the reference does
    /// not state read as 0. JET_paramErrorToString is [`error_to_string`](crate::error_to_string).
    pub fn get_system_parameter(
        &self,
        instance: Option<Instance>,
        sesid: Option<Sesid>,
        paramid: u32,
    ) -> Result<SystemParamValue> {
        let param = params::lookup(paramid)?;
        let sesid = sesid.filter(|s| !s.is_nil());
        match (paramid, sesid) {
            (params::paramid::TRANSACTION_LEVEL, Some(s)) => {
                return self
                    .transaction_level(s)
                    .map(|l| SystemParamValue::Int(l.into()));
            }
            (params::paramid::TRANSACTION_LEVEL, None) => return fail(JetErr::INVALID_PARAMETER),
            (params::paramid::COMMIT_DEFAULT, Some(s)) => {
                return self.session_commit_default(s).map(SystemParamValue::Int);
            }
            (70, _) => return fail(JetErr::INVALID_PARAMETER),
            _ => {}
        }
        let target = self.param_target(instance, sesid)?;
        {
            let p = self.process.lock();
            let page = p.globals.int(paramid::DATABASE_PAGE_SIZE) as usize;
            if let Some(v) = params::page_size_dependent(paramid, page) {
                return Ok(v);
            }
            if params::is_global(param) {
                return Ok(p.globals.get(param));
            }
        }
        match target {
            Some(inst) => Ok(inst.params.lock().get(param)),
            None => Ok(self.process.lock().globals.get(param)),
        }
    }

    /// The instance a parameter call addresses, or `None` for the global set.
    fn param_target(
        &self,
        instance: Option<Instance>,
        sesid: Option<Sesid>,
    ) -> Result<Option<Arc<Inst>>> {
        if let Some(sesid) = sesid.filter(|s| !s.is_nil()) {
            return self.session_instance(sesid).map(Some);
        }
        let p = self.process.lock();
        match instance.filter(|i| !i.is_nil()) {
            Some(i) => Self::resolve_in(&p, i).map(Some),
            None => Ok(p.implicit.and_then(|i| Self::resolve_in(&p, i).ok())),
        }
    }

    /// JetInit: initialises `instance` (see [`Engine::init3`]).
    pub fn init(&self, instance: Option<Instance>) -> Result<Instance> {
        self.init3(instance, 0)
    }

    /// JetInit2: as [`Engine::init`] with JetInit2's grbits.
    pub fn init2(&self, instance: Option<Instance>, grbit: u32) -> Result<Instance> {
        self.init3(instance, grbit)
    }

    /// JetInit3 (without JET_RSTINFO, which needs restore): initialises `instance` and returns
    /// its handle. `None` or nil with no instance in the process enters single-instance mode
    /// with an implicit instance (a second such call: `JET_errAlreadyInitialized`; in
    /// multi-instance mode: `JET_errRunningInMultiInstanceMode`).
    ///
    /// Opens the log in JET_paramLogFilePath (base name JET_paramBaseName, file size
    /// JET_paramLogFileSize, circular with JET_paramCircularLog, no log at all with
    /// JET_paramRecovery "Off") with the checkpoint in JET_paramSystemPath, and creates the
    /// version store (JET_paramMaxVerPages), cache and tree registry; before that it recovers
    /// the databases a crash left dirty (see the module doc). Recovery errors are init's:
    /// `JET_errAttachedDatabaseMismatch` (-1216) for a listed database that is gone (skipped
    /// with [`grbit::REPLAY_IGNORE_MISSING_DB`]), `JET_errMissingLogFile` (-528),
    /// `JET_errLogFileCorrupt` (-501), ... The other grbits are checked (`JET_errInvalidGrbit`
    /// for unknown ones) and have no effect yet. A missing
    /// folder is created with JET_paramCreatePathIfNotExist, else it is
    /// `JET_errInvalidLogDirectory` / `JET_errInvalidSystemPath`; a folder another initialised
    /// instance uses is `JET_errLogFilePathInUse` / `JET_errSystemPathInUse`.
    ///
    /// As in ESE, an instance whose init fails is freed: do not term it.
    pub fn init3(&self, instance: Option<Instance>, grbit: u32) -> Result<Instance> {
        if grbit & !grbit::INIT_ALL != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        let inst = {
            let mut p = self.process.lock();
            match instance.filter(|i| !i.is_nil()) {
                Some(i) => Self::resolve_in(&p, i)?,
                None => match p.mode {
                    RunMode::MultiInstance => {
                        return fail(JetErr::RUNNING_IN_MULTI_INSTANCE_MODE);
                    }
                    RunMode::SingleInstance => return fail(JetErr::ALREADY_INITIALIZED),
                    RunMode::NotSet => {
                        let handle = Self::new_instance(&mut p, None, None)?;
                        p.mode = RunMode::SingleInstance;
                        p.implicit = Some(handle);
                        Self::resolve_in(&p, handle)?
                    }
                },
            }
        };
        {
            let mut gate = inst.gate.write();
            match *gate {
                InstState::Created => {}
                InstState::Initializing => return fail(JetErr::INIT_IN_PROGRESS),
                InstState::Running(_) => return fail(JetErr::ALREADY_INITIALIZED),
                InstState::Terminating => return fail(JetErr::TERM_IN_PROGRESS),
                InstState::Ended => return fail(JetErr::INVALID_PARAMETER),
            }
            if inst.restoring.load(Ordering::Acquire) {
                return fail(JetErr::RESTORE_IN_PROGRESS);
            }
            gate.set(InstState::Initializing);
        }
        match self.start(&inst, grbit) {
            Ok(rt) => {
                inst.gate.write().set(InstState::Running(Arc::new(rt)));
                Ok(inst.handle)
            }
            Err(e) => {
                inst.gate.write().set(InstState::Ended);
                self.free_instance(&inst);
                Err(e)
            }
        }
    }

    /// Opens the instance's folders, recovers the databases it had attached when that is
    /// needed, and opens its log, version store, cache and tree registry.
    fn start(&self, inst: &Arc<Inst>, grbit: u32) -> Result<Runtime> {
        let ip = inst.params.lock().clone();
        let (ver_page_size, page_size, cache_max, cache_min) = {
            let p = self.process.lock();
            (
                p.globals.int(paramid::VER_PAGE_SIZE),
                p.globals.int(paramid::DATABASE_PAGE_SIZE),
                p.globals.int(paramid::CACHE_SIZE_MAX),
                p.globals.int(paramid::CACHE_SIZE_MIN),
            )
        };
        let create = ip.bool(paramid::CREATE_PATH_IF_NOT_EXIST);
        let logging = !ip.string(paramid::RECOVERY).eq_ignore_ascii_case("off");
        let log_path = params::folder_path(&ip.string(paramid::LOG_FILE_PATH));
        let system_path = params::folder_path(&ip.string(paramid::SYSTEM_PATH));
        let base = ip.string(paramid::BASE_NAME);
        let log_file_kb = ip.int(paramid::LOG_FILE_SIZE);
        let cache_config = CacheConfig {
            cache_size_max_pages: if cache_max == CACHE_SIZE_MAX_LEGACY_DEFAULT {
                CACHE_PAGES_DEFAULT
            } else {
                usize::try_from(cache_max).unwrap_or(usize::MAX)
            },
            cache_size_min_pages: usize::try_from(cache_min).unwrap_or(1),
            checkpoint_depth_max_bytes: ip.int(paramid::CHECKPOINT_DEPTH_MAX),
            log_file_size_bytes: log_file_kb.saturating_mul(1024),
        };

        let extension_pages = u32::try_from(ip.int(paramid::DB_EXTENSION_SIZE))
            .unwrap_or(u32::MAX)
            .max(1);
        let mut list = None;
        let mut recovered = Vec::new();
        let log = if logging {
            let log_dir = self.open_folder(&log_path, create, JetErr::INVALID_LOG_DIRECTORY)?;
            let system_dir = self.open_folder(&system_path, create, JetErr::INVALID_SYSTEM_PATH)?;
            let log_canon = canonical(&log_path);
            let system_canon = canonical(&system_path);
            self.claim_paths(inst.handle, &log_canon, &system_canon)?;
            let separate = log_canon != system_canon;
            let dir: Arc<dyn Directory> = Arc::new(LogDirectory::new(
                log_dir,
                separate.then_some(system_dir.clone()),
                ese_log::format::checkpoint_name(&base),
            ));
            let mut config = LogConfig::new(dir.clone());
            config.base_name = base.clone();
            config.circular = ip.bool(paramid::CIRCULAR_LOG);
            config.buffer_bytes = usize::try_from(ip.int(paramid::LOG_BUFFERS))
                .unwrap_or(usize::MAX / 1024)
                .saturating_mul(ese_core::limits::SECTOR_BYTES);
            let attach_list = AttachList::new(system_dir, &base);
            let opened = config
                .with_log_file_size_kb(log_file_kb)
                .map_err(JetError::from)
                .and_then(|config| {
                    recovered = self.recover(
                        &attach_list,
                        &config,
                        &dir,
                        &cache_config,
                        extension_pages,
                        grbit,
                    )?;
                    Log::open(config).map_err(JetError::from)
                });
            match opened {
                Ok(log) => {
                    list = Some(attach_list);
                    Some(Arc::new(log))
                }
                Err(e) => {
                    self.release_paths(inst.handle);
                    return Err(e);
                }
            }
        } else {
            None
        };
        let ver_config = VerConfig {
            max_ver_pages: u32::try_from(ip.int(paramid::MAX_VER_PAGES)).unwrap_or(u32::MAX),
            ver_page_size_bytes: u32::try_from(ver_page_size).unwrap_or(u32::MAX),
            max_transaction_size_percent: u32::try_from(ip.int(paramid::MAX_TRANSACTION_SIZE))
                .unwrap_or(100),
        };
        let inst_log = log.as_ref().map(|l| ese_recovery::TrxLog::new(l.clone()));
        let (commit_log, wal, page_log): (
            Arc<dyn CommitLog>,
            Arc<dyn WriteAheadLog>,
            Arc<dyn PageLog>,
        ) = match &inst_log {
            Some(il) => (il.clone(), il.clone(), il.clone()),
            None => (Arc::new(NoLog), Arc::new(NoWal), Arc::new(NoWal)),
        };
        let ver = match VersionStore::new(ver_config, commit_log) {
            Ok(ver) => ver,
            Err(e) => {
                self.release_paths(inst.handle);
                return Err(e.into());
            }
        };
        let cache = Arc::new(Cache::new(cache_config, wal));
        let trees = Trees::with_version_store(Arc::clone(&ver));
        let flusher = log
            .as_ref()
            .map(|log| LazyFlusher::start(log, LAZY_FLUSH_INTERVAL));
        let cache_flusher = Arc::new(Cache::spawn_flusher(&cache, CHECKPOINT_INTERVAL));
        let cleaner = {
            let trees = Arc::clone(&trees);
            let watched = Arc::clone(&cache_flusher);
            let unavailable = Arc::clone(&inst.unavailable);
            Some(Background::start(
                CLEANUP_INTERVAL,
                CLEANUP_GAP,
                move || {
                    // A disk or log failure of the flusher or of cleanup makes the instance
                    // unavailable; any other cleanup failure leaves the versions for the next
                    // round. Once unavailable, nothing more is changed.
                    if let Some(err) = watched.take_error().and_then(background_fatal) {
                        unavailable.record(err);
                    }
                    if unavailable.get().is_some() {
                        return;
                    }
                    if let Err(err) = trees.cleanup().map_err(JetError::from)
                        && is_io_failure(err)
                    {
                        unavailable.record(err);
                    }
                },
            ))
        };
        let cache_flusher = Some(cache_flusher);
        let log_signature = log.as_ref().map(|l| ese_recovery::log_signature(l));
        let dbenv = DbEnv {
            fs: Arc::clone(&self.fs),
            cache: Arc::clone(&cache),
            page_log,
            ver: Arc::clone(&ver),
            trees: Arc::clone(&trees),
            log_signature,
            log: log.clone(),
            list,
            page_size: usize::try_from(page_size).unwrap_or(4096),
            extension_pages,
            create_path: create,
            recovered: Mutex::new(recovered),
            commit_lazy: ip.int(paramid::COMMIT_DEFAULT) & u64::from(grbit::COMMIT_LAZY_FLUSH) != 0,
        };
        Ok(Runtime {
            log,
            ver,
            trees,
            dbs: Mutex::new(DbSet::new()),
            temp: Mutex::new(None),
            dbenv,
            max_sessions: usize::try_from(ip.int(paramid::MAX_SESSIONS)).unwrap_or(usize::MAX),
            flusher,
            cache_flusher,
            cleaner,
        })
    }

    /// Soft recovery at init (reference 03 §5): the databases the attachment list names
    /// whose headers say dirty are recovered from the log (redo from the checkpoint, undo of
    /// transactions without a commit), flushed and marked clean. As in ESE they are then
    /// detached: the list is emptied and the application attaches them again. A dirty
    /// database whose log is gone stays dirty (attaching it gives
    /// `JET_errDatabaseDirtyShutdown`).
    fn recover(
        &self,
        list: &AttachList,
        config: &LogConfig,
        dir: &Arc<dyn Directory>,
        cache_config: &CacheConfig,
        extension_pages: u32,
        grbit: u32,
    ) -> Result<Vec<std::path::PathBuf>> {
        let mut recovered = Vec::new();
        let listed = list.read()?;
        if listed.is_empty() {
            return Ok(recovered);
        }
        let ignore_missing = grbit & grbit::REPLAY_IGNORE_MISSING_DB != 0;
        let opened = crate::database::open_listed(&*self.fs, &listed, ignore_missing)?;
        let dirty: Vec<_> = opened
            .into_iter()
            .filter(|(_, _, header)| ese_recovery::needs_recovery(header))
            .map(|(entry, storage, _)| (entry.db, storage))
            .collect();
        let has_log = ese_recovery::log_exists(&**dir, &config.base_name)
            .map_err(|_| JetError::new(JetErr::DISK_IO))?;
        if !dirty.is_empty() && has_log {
            let mut rc = ese_recovery::RecoveryConfig::new(config.clone(), dirty);
            rc.cache = cache_config.clone();
            rc.extension_pages = extension_pages;
            let summary = ese_recovery::recover_instance(&rc)
                .map_err(|e| JetError::new(JetErr(e.jet_code())))?;
            recovered.extend(
                listed
                    .iter()
                    .filter(|l| summary.recovered.contains(&l.db))
                    .map(|l| l.path.clone()),
            );
        }
        list.write(&[])?;
        Ok(recovered)
    }

    fn open_folder(
        &self,
        path: &std::path::Path,
        create: bool,
        missing: JetErr,
    ) -> Result<Arc<dyn Directory>> {
        self.fs.open_dir(path, create).map_err(|e| {
            JetError::new(match e.kind() {
                std::io::ErrorKind::NotFound => missing,
                std::io::ErrorKind::PermissionDenied => JetErr::FILE_ACCESS_DENIED,
                _ => JetErr::DISK_IO,
            })
        })
    }

    fn claim_paths(&self, inst: Instance, log: &PathBuf, system: &PathBuf) -> Result<()> {
        let mut p = self.process.lock();
        for (other, other_log, other_system) in &p.paths {
            if *other == inst {
                continue;
            }
            if other_log == log {
                return fail(JetErr::LOG_FILE_PATH_IN_USE);
            }
            if other_system == system {
                return fail(JetErr::SYSTEM_PATH_IN_USE);
            }
        }
        p.paths.push((inst, log.clone(), system.clone()));
        Ok(())
    }

    fn release_paths(&self, inst: Instance) {
        self.process.lock().paths.retain(|(i, _, _)| *i != inst);
    }

    /// Removes an ended instance from the process; the run mode returns to "not set" with the
    /// last one.
    fn free_instance(&self, inst: &Arc<Inst>) {
        let mut p = self.process.lock();
        p.instances.remove(inst.handle.raw());
        p.paths.retain(|(i, _, _)| *i != inst.handle);
        if p.implicit == Some(inst.handle) {
            p.implicit = None;
        }
        if p.instances.live() == 0 {
            p.mode = RunMode::NotSet;
        }
    }

    /// JetTerm: `term2(instance, TERM_ABRUPT)`, as in ESE's code.
    pub fn term(&self, instance: Instance) -> Result<()> {
        self.term2(instance, grbit::TERM_ABRUPT)
    }

    /// JetTerm2: shuts `instance` down (nil: the implicit instance of single-instance mode).
    ///
    /// * 0, [`grbit::TERM_COMPLETE`], [`grbit::TERM_ABRUPT`]: a clean shutdown. If any session
    ///   has an open transaction the call fails with `JET_errTooManyActiveUsers` (-1059) and
    ///   the instance keeps running. Otherwise every attached database is flushed, synced,
    ///   marked clean and detached, every session (with its cursors and open databases) is
    ///   closed, the log is flushed and the checkpoint moved to its end, so the next init
    ///   needs no recovery. (Complete would
    ///   first finish optional background work; there is none yet, so the two are alike.)
    /// * [`grbit::TERM_DIRTY`]: open transactions are abandoned (not rolled back, not
    ///   logged as rolled back), no database page is written, the databases stay dirty and
    ///   the checkpoint is left where it was, so the next init has to recover them; the log is
    ///   still flushed, so lazily committed work survives. The call
    ///   returns `JET_errDirtyShutdown` (-1116) although the shutdown happened.
    /// * [`grbit::TERM_STOP_BACKUP`] is accepted; there is no backup to stop yet.
    ///
    /// An instance that was created but never initialised is simply freed. Calls on the
    /// instance during term get `JET_errTermInProgress`; its session handles then report
    /// `JET_errNotInitialized`. A failure other than TooManyActiveUsers (a failed flush)
    /// still destroys the instance and is returned, leaving the log needing recovery. So is
    /// the error of an instance that became unavailable (a fatal call, or a background page
    /// write, sync or checkpoint failure): its databases stay dirty and the next init
    /// recovers them from the log.
    pub fn term2(&self, instance: Instance, grbit: u32) -> Result<()> {
        if grbit & !grbit::TERM_ALL != 0 {
            return fail(JetErr::INVALID_GRBIT);
        }
        let dirty = grbit & grbit::TERM_DIRTY != 0;
        let inst = {
            let p = self.process.lock();
            if instance.is_nil() && p.mode == RunMode::MultiInstance {
                return fail(JetErr::RUNNING_IN_MULTI_INSTANCE_MODE);
            }
            Self::resolve_in(&p, instance)?
        };
        let rt = {
            let mut gate = inst.gate.write();
            match *gate {
                InstState::Created => {
                    gate.set(InstState::Ended);
                    drop(gate);
                    self.free_instance(&inst);
                    return Ok(());
                }
                InstState::Initializing => return fail(JetErr::INIT_IN_PROGRESS),
                InstState::Terminating => return fail(JetErr::TERM_IN_PROGRESS),
                InstState::Ended => return fail(JetErr::INVALID_PARAMETER),
                InstState::Running(_) => {}
            }
            if inst.restoring.load(Ordering::Acquire) {
                return fail(JetErr::RESTORE_IN_PROGRESS);
            }
            if let InstState::Running(rt) = &*gate
                && let Some(err) = rt.background_failure()
            {
                inst.unavailable.record(err);
            }
            let usable = inst.unavailable().is_none();
            if !dirty && usable && self.any_open_transaction(&inst) {
                return fail(JetErr::TOO_MANY_ACTIVE_USERS);
            }
            match gate.take_runtime(InstState::Terminating) {
                Some(rt) => rt,
                // Running, as checked just above under the same lock, and the shards hold
                // the only references to its runtime.
                None => return fail(JetErr::INTERNAL_ERROR),
            }
        };
        // From here on, calls see TermInProgress; none is inside the instance (the gate was
        // held exclusively), so the sessions can be closed without waiting. The log is shut
        // first so that, while it flushes, the sessions' handles still report
        // TermInProgress rather than NotInitialized.
        let mut rt = rt;
        if let Some(err) = rt.stop_background() {
            inst.unavailable.record(err);
        }
        // A clean term writes every database's pages and marks it clean before the
        // checkpoint moves to the end of the log; a dirty one (or one after a fatal error)
        // leaves them dirty for recovery.
        let clean = !dirty && inst.unavailable().is_none();
        let shut = crate::database::shut_all(&rt, clean);
        let logged = Self::shut_log(&rt, dirty || shut.is_err(), inst.unavailable());
        let sessions = self.bury_sessions(&inst);
        for shared in sessions {
            shared.close(dirty, &rt.trees);
        }
        self.forget_databases(inst.handle);
        let result = shut.and(logged);
        drop(rt);
        inst.gate.write().set(InstState::Ended);
        self.free_instance(&inst);
        result?;
        if dirty {
            return fail(JetErr::DIRTY_SHUTDOWN);
        }
        Ok(())
    }

    /// Flushes the log and, for a clean term, moves the checkpoint to its end.
    fn shut_log(rt: &Runtime, dirty: bool, unavailable: Option<JetErr>) -> Result<()> {
        let Some(log) = &rt.log else { return Ok(()) };
        if let Some(err) = unavailable {
            // The databases stay dirty for recovery. After a database or checkpoint failure
            // the log still takes what the buffer holds (lazy commits); after a log failure
            // it refuses. Either way the instance's failure is the answer.
            let _ = log.flush_all();
            return fail(err);
        }
        log.flush_all()?;
        if !dirty {
            log.write_checkpoint(log.head())?;
        }
        Ok(())
    }

    /// Removes every database handle of `inst`.
    fn forget_databases(&self, inst: Instance) {
        let mut p = self.process.lock();
        let handles: Vec<u64> = p
            .databases
            .iter()
            .filter(|(_, e)| e.inst == inst)
            .map(|(h, _)| h)
            .collect();
        for h in handles {
            p.databases.remove(h);
        }
    }

    /// Whether any session of `inst` is inside a transaction. Called with the instance's gate
    /// held exclusively, so no call is running and every session's state is at rest.
    fn any_open_transaction(&self, inst: &Arc<Inst>) -> bool {
        let sessions: Vec<_> = {
            let p = self.process.lock();
            p.sessions
                .iter()
                .filter(|(_, e)| Arc::ptr_eq(&e.shared.inst, inst))
                .map(|(_, e)| Arc::clone(&e.shared))
                .collect()
        };
        sessions.iter().any(|s| s.level() > 0)
    }

    /// Leaves a tombstone for every session of `inst` and returns their states.
    fn bury_sessions(&self, inst: &Arc<Inst>) -> Vec<Arc<crate::session::SessionShared>> {
        let mut p = self.process.lock();
        let handles: Vec<u64> = p
            .sessions
            .iter()
            .filter(|(_, e)| Arc::ptr_eq(&e.shared.inst, inst))
            .map(|(h, _)| h)
            .collect();
        let mut out = Vec::with_capacity(handles.len());
        for h in handles {
            if let Some(e) = p.sessions.bury(h) {
                self.session_dir.clear(h);
                out.push(e.shared);
            }
        }
        inst.sessions.store(0, Ordering::Release);
        out
    }

    /// JetStopServiceInstance: stops background work and then refuses most calls with
    /// `JET_errClientRequestToStopJetService` (-1329); JetRollback, JetEndSession and
    /// JetResetSessionContext still work, and so does term. It does not terminate.
    pub fn stop_service_instance(&self, instance: Instance) -> Result<()> {
        let inst = self.resolve_instance(instance)?;
        let gate = inst.gate.read_recursive();
        inst.admit(&gate, Admit::Normal)?;
        inst.stopped.store(true, Ordering::Release);
        Ok(())
    }

    /// Marks `instance` as being restored, or no longer. Restore (JetRestoreInstance) does not
    /// exist yet; this is the state flag it will set, so that the calls that ESE refuses
    /// during a restore return `JET_errRestoreInProgress` (-506) already. Not an ESE call.
    pub fn set_restore_in_progress(&self, instance: Instance, restoring: bool) -> Result<()> {
        let inst = self.resolve_instance(instance)?;
        inst.restoring.store(restoring, Ordering::Release);
        Ok(())
    }
}

impl Drop for Engine {
    /// The end of the process: every session is abandoned and every instance still running
    /// stops here, as a crash (nothing is flushed; see the runtime's drop). Done explicitly
    /// because a thread may still remember one of this engine's sessions (see
    /// `Engine::enter`), and neither that session's cursors nor its instance may keep files
    /// open or threads running behind it.
    fn drop(&mut self) {
        crate::session::forget_last_session(self.serial);
        let p = self.process.get_mut();
        // Sessions first, as when they go with the engine's tables: a remembered one keeps
        // only its emptied state.
        for (_, entry) in p.sessions.iter() {
            entry.shared.abandon();
        }
        let instances: Vec<Arc<Inst>> = p.instances.iter().map(|(_, i)| Arc::clone(i)).collect();
        for inst in instances {
            // Taken out under the gate and dropped after it, since stopping the background
            // threads waits for them.
            let state = inst.gate.write().replace(InstState::Ended);
            drop(state);
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Stop the background threads before the log and cache go, so none outlives the
        // instance. Nothing is flushed: dropping a running instance is a crash.
        let _ = self.stop_background();
        self.flusher.take();
    }
}

/// ESE's legacy default of JET_paramCacheSizeMax: "as large as memory allows".
const CACHE_SIZE_MAX_LEGACY_DEFAULT: u64 = 2_000_000_000;

/// The folder's canonical form when it exists (to detect two spellings of one folder).
fn canonical(path: &std::path::Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Long enough that a test waiting this much has failed, short enough to end it.
    const DEADLINE: Duration = Duration::from_secs(30);

    /// A period no test waits out.
    const NEVER: Duration = Duration::from_secs(3600);

    #[test]
    fn a_nudge_runs_the_background_task_before_its_period() {
        let (tx, rx) = mpsc::channel();
        let bg = Background::start(NEVER, Duration::ZERO, move || {
            let _ = tx.send(());
        });
        bg.nudge();
        assert_eq!(rx.recv_timeout(DEADLINE), Ok(()));
        bg.nudge();
        assert_eq!(
            rx.recv_timeout(DEADLINE),
            Ok(()),
            "a second nudge runs it again"
        );
    }

    #[test]
    fn a_nudge_made_during_a_pass_runs_another() {
        let (ran, runs) = mpsc::channel();
        let (go, gate) = mpsc::channel::<()>();
        let bg = Background::start(NEVER, Duration::ZERO, move || {
            let _ = ran.send(());
            let _ = gate.recv_timeout(DEADLINE);
        });
        bg.nudge();
        assert_eq!(runs.recv_timeout(DEADLINE), Ok(()));
        // The first pass is still running: this nudge must not be lost when it ends.
        bg.nudge();
        go.send(()).unwrap();
        assert_eq!(runs.recv_timeout(DEADLINE), Ok(()));
        go.send(()).unwrap();
    }

    #[test]
    fn dropping_the_background_task_ends_its_rest() {
        let (tx, rx) = mpsc::channel();
        let bg = Background::start(NEVER, NEVER, move || {
            let _ = tx.send(());
        });
        bg.nudge();
        assert_eq!(rx.recv_timeout(DEADLINE), Ok(()));
        let (done, dropped) = mpsc::channel();
        std::thread::spawn(move || {
            drop(bg);
            let _ = done.send(());
        });
        assert_eq!(
            dropped.recv_timeout(DEADLINE),
            Ok(()),
            "drop waited out the rest"
        );
    }

    #[test]
    fn the_first_background_failure_decides_the_code() {
        let u = Unavailable::default();
        assert_eq!(u.get(), None);
        assert_eq!(
            u.record(JetError::new(JetErr::LOG_DISK_FULL)),
            JetErr::INSTANCE_UNAVAILABLE_DUE_TO_FATAL_LOG_DISK_FULL
        );
        assert_eq!(
            u.record(JetError::new(JetErr::DISK_IO)),
            JetErr::INSTANCE_UNAVAILABLE_DUE_TO_FATAL_LOG_DISK_FULL
        );
        assert_eq!(
            u.get(),
            Some(JetErr::INSTANCE_UNAVAILABLE_DUE_TO_FATAL_LOG_DISK_FULL)
        );
        let u = Unavailable::default();
        assert_eq!(
            u.record(JetError::new(JetErr::DISK_IO)),
            JetErr::INSTANCE_UNAVAILABLE
        );
    }

    #[test]
    fn only_disk_and_log_failures_of_cleanup_are_fatal() {
        assert!(is_io_failure(JetError::new(JetErr::DISK_IO)));
        assert!(is_io_failure(JetError::new(JetErr::LOG_WRITE_FAIL)));
        assert!(!is_io_failure(JetError::new(JetErr::WRITE_CONFLICT)));
        assert!(background_fatal(ese_cache::Error::UnknownDatabase(ese_core::DbId(1))).is_none());
    }
}
