//! Crash recovery: redo from the checkpoint, then undo of transactions that never committed.
//!
//! This crate owns the replay of the write-ahead log at instance init: it reads the
//! checkpoint, scans forward to the end of the log, replays each page operation onto its page
//! exactly (full page images repair torn pages), and rolls back every transaction that has no
//! commit record, logging that rollback, so that afterwards every database is consistent and
//! can be marked clean.
//!
//! It must not know about tables, columns or sessions beyond the transaction ids in the log.
//!
//! # Use at instance init (the API layer's part)
//!
//! ```text
//!   attach / init:   read_header(db)  ──needs_recovery?──▶ recover_instance(&RecoveryConfig {
//!                                                             log: LogConfig (dir, base, sizes),
//!                                                             databases: [(DbId, Storage)],
//!                                                             cache: CacheConfig })
//!                                                          ─▶ Ok(InstanceSummary) | Err(InstanceError)
//!   dirty header but no log (log_exists == false)  ─▶ the API reports JET_errDatabaseDirtyShutdown
//!                     (recover_instance itself returns InstanceError::DirtyWithoutLog, -550)
//!   before the first change after attach:  mark_dirty(storage, &header, log_signature, lgpos)
//!   at a clean term/detach (pages flushed): mark_clean(storage, &header, lgpos, dbtime)
//!   while running:   TrxLog wraps the Log for the version store (CommitLog) and the cache
//!                    (WriteAheadLog), so no checkpoint passes the level-0 begin of an open
//!                    transaction (recovery relies on it)
//!   after recovery:  the cleanup queue is gone: call ese_txn::Trees::cleanup-style sweep over
//!                    each tree (see [`instance`]) so flag-deleted nodes without versions go
//! ```
//!
//! * [`recover_instance`]`(&RecoveryConfig) -> Result<InstanceSummary, InstanceError>` runs
//!   full recovery of every database given: checkpoint, redo (with torn-page repair), undo of
//!   the losers through the B-tree (each undo logged as a compensation record), a level-0
//!   rollback record per loser, every page flushed and synced, each database header written
//!   clean with its consistent position, and the checkpoint moved to the end of the log. It is
//!   crash-safe: a crash at any point of it, then running it again, gives the same databases.
//!   A database whose header is already clean is left alone (its records are skipped).
//! * [`needs_recovery`]`(&DbHeader) -> bool`, [`log_exists`]`(&dyn Directory, base) ->
//!   io::Result<bool>`, [`mark_dirty`], [`mark_clean`], [`log_signature`] (the log stream's
//!   signature as the header stores it).
//! * [`InstanceError::jet_code`] gives the ESE code: a missing generation is
//!   JET_errMissingLogFile (-528), a corrupt record before the end of the log
//!   JET_errLogFileCorrupt (-501), a log of another stream JET_errBadLogSignature (-530), a
//!   page still damaged after redo JET_errReadVerifyFailure (-1018), a dirty database without
//!   logs JET_errDatabaseDirtyShutdown (-550).
//!
//! # The phases
//!
//! ```text
//!   log:  ... | ckpt |  B1  op  B2  img op op  c(op)  R1(2)  op  C1  B3  op  op  B4  op  C4 ... | end
//!               (a)   \___________________ (b) redo, in log order __________________________/
//!                     op     = redo: applied iff page dbtime == dbtime_before (exact replay)
//!                     img    = full page image: overwrites the page, then replay continues
//!                     c(op)  = compensation (logged by runtime rollback): redone like any op,
//!                              and cancels the transaction's newest uncompensated change
//!                     R1(2)  = rollback of level 2: its changes are all compensated before it
//!                     C      = commit at level 0: the transaction is done
//!                                                           (c) undo of losers (T3), newest
//!                                                               uncompensated change first,
//!                                                               each undo logged  <---------
//! ```
//!
//! **(a) Checkpoint.** Every change logged before the checkpoint is already in the database
//! files (the cache wrote and synced those pages before the checkpoint moved), and the
//! checkpoint never lies after the level-0 begin of a transaction still open when it was taken
//! ([`TrxLog`] enforces this). Without a checkpoint file, recovery starts at the oldest
//! generation from which none is missing, as ESE does. A corrupt checkpoint file (both copies
//! bad) is an error, not a fallback.
//!
//! A transaction can still have records after the checkpoint without its level-0 begin: it
//! was open at the checkpoint's *position* but had ended when the checkpoint was *taken*, so
//! its end record lies in the scan. Recovery redoes its operations and undoes none of them; it
//! is listed in [`Summary::begun_before_start`]. One with no end record in the scan breaks the
//! checkpoint rule and fails recovery with JET_errInvalidLoggedOperation (-500) rather than be
//! half undone.
//!
//! **(b) Redo ("repeat history").** Each page operation is handed to the target in log order; a
//! page group (the page records of one B-tree call, one frame, so all in the log or none) is
//! handed over member by member, every member at the group's position, so a crash can never
//! leave half a split, merge or page allocation to replay. A page's dbtime always equals the
//! `dbtime_after` of the last record applied to it, and each record names the dbtime it found
//! (`dbtime_before`), so the target replays a record iff the page's dbtime is exactly
//! `dbtime_before`; a page at or past `dbtime_after` already holds it.
//! Anything else (the page is torn, fails its checksum, or holds an older image because a write
//! was lost) is *unverifiable*: its records are skipped until a record that rewrites the whole
//! page arrives (a full page image, logged before a page's first change after each write, or a
//! page format), after which replay is exact again. A page still unverifiable at the end of
//! the log is damaged beyond repair: JET_errReadVerifyFailure (-1018) naming it.
//!
//! A record the target does not apply leaves its page untouched and clean in the cache.
//! Recovery writes the pages it changed, and a crash may tear those writes; the next recovery
//! starts from the same checkpoint, so every page the first one writes must be rebuildable
//! from the log after it. A page redo applied records to descends from an image or format
//! after the checkpoint; a page that undo changes for the first time gets an image logged
//! first, as at run time, which is only right if pages redo merely looked at are not marked
//! dirty.
//!
//! While scanning, the driver tracks each transaction's levels: a `BeginTransaction { level: l
//! }` opens a savepoint at `l` (implicitly closing levels `>= l` left open: nested commits are
//! not logged and merge into the parent), an undoable page operation joins the transaction's
//! innermost level, a *compensation* record (one written by a rollback) cancels the
//! transaction's newest uncompensated change, a `Commit` ends the transaction, and a
//! `Rollback { level: l }` closes levels `>= l`, whose changes the runtime rollback has already
//! undone and compensated. Nothing is ever undone twice.
//!
//! **(c) Undo of losers.** Every transaction with neither a `Commit` nor a level-0 `Rollback`
//! is undone, newest uncompensated change first across all losers, through
//! [`UndoTarget::undo`], which logs each undo as a compensation record (escrow deltas are
//! undone logically, by adding the negated delta). The caller then logs a level-0 rollback for
//! each loser ([`close_losers`]).
//!
//! **Restartable.** Redo is exact and the undo of recovery is logged like runtime rollback, so
//! a crash at any point of recovery leaves a log whose second recovery redoes the compensations
//! already durable, undoes only what is still uncompensated, and reaches the same state; and
//! recovering a recovered database changes nothing.
//!
//! **Errors.** A gap in the generations the checkpoint needs is JET_errMissingLogFile (-528),
//! a bad record or sector before the end of the log JET_errLogFileCorrupt (-501), a log or
//! checkpoint of another stream JET_errBadLogSignature (-530) or JET_errBadCheckpointSignature
//! (-532), a checkpoint past the end of the log JET_errMissingLogFile (-528), and a transaction
//! record that contradicts the ones before it JET_errInvalidLoggedOperation (-500). A torn tail
//! is the end of the log, not an error ([`Summary::end`]). Loops run over the records read,
//! which the log reader bounds by the files present; nothing here follows an on-disk pointer.
//!
//! # Modules
//!
//! [`recover`](mod@recover) is the driver, generic over [`RedoTarget`] and [`UndoTarget`] and
//! tested against a model; [`target`] implements them over `ese-btree` and the shared cache;
//! [`instance`] is full recovery of an instance's databases and the header helpers; [`trxlog`]
//! is the log adapter that keeps checkpoints behind open transactions; [`sim`] is the
//! randomized crash-and-fault workload the crash sweep and `cargo xtask sim` run.

pub mod error;
pub mod instance;
pub mod recover;
pub mod sim;
pub mod target;
pub mod trxlog;

pub use error::Error;
pub use instance::{
    InstanceError, InstanceSummary, RecoveryConfig, log_exists, log_signature, mark_clean,
    mark_dirty, recover_instance,
};
pub use recover::{
    RecoveryOptions, RedoOutcome, RedoTarget, Summary, UndoClass, UndoOutcome, UndoTarget,
    close_losers, consistent_header, needs_recovery, recover,
};
pub use target::BtreeTarget;
pub use trxlog::TrxLog;
