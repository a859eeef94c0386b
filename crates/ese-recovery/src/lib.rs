//! Crash recovery: redo from the checkpoint, then undo of transactions that never committed.
//!
//! This crate owns the replay of the write-ahead log at instance init: it reads the
//! checkpoint, scans forward to the end of the log, applies each page operation through the
//! B-tree's idempotent redo functions (skipping pages whose dbtime is already newer), and rolls
//! back every transaction that has no commit record, so that afterwards every database is
//! consistent and can be marked clean.
//!
//! It must not know about tables, columns or sessions beyond the transaction ids in the log.
//! The page layer is reached only through the [`RedoTarget`] and [`UndoTarget`] traits, so the
//! driver is tested here against a model and the B-tree plugs in later.
//!
//! # The phases
//!
//! ```text
//!   log:  ... | ckpt |  B1  op  B2  op  op  R1(2)  op  C1  B3  op  op  B4  op  C4 ... | end (torn?)
//!               (a)   \___________________ (b) redo, in log order __________________/
//!                           op = redo(op): the target applies it iff page dbtime < op's
//!                           R1(2) = rollback of level 2: undo the ops of level 2, newest first
//!                           C = commit at level 0: the transaction is done
//!                                                                   (c) undo of losers (T3),
//!                                                                   newest op first  <-----
//! ```
//!
//! **(a) Checkpoint.** Every change logged before the checkpoint is already in the database
//! files (the cache wrote those pages before the checkpoint moved), and the checkpoint never
//! lies after the level-0 begin of a transaction still open when it was taken. Without a
//! checkpoint file, recovery starts at the oldest generation from which none is missing, as
//! ESE does (redoing more than needed is harmless, because redo is idempotent). A corrupt
//! checkpoint file (both copies bad) is an error, not a fallback.
//!
//! A transaction can still have records after the checkpoint without its level-0 begin: it
//! was open at the checkpoint's *position* but had ended when the checkpoint was *taken*, so
//! everything it did, its runtime rollbacks included, was on the pages the checkpoint covers.
//! Recovery redoes its operations (the dbtime decides) and undoes none of them; it is listed in
//! [`Summary::begun_before_start`]. This asks of the cache and the transaction layer the rule
//! above, plus one for unlogged undo: a page changed by a runtime rollback is marked dirty with
//! the position of the operation undone (not the current log head), so that no checkpoint
//! passes that operation before the page, with its undo, is written.
//!
//! **(b) Redo ("repeat history").** Each page operation is handed to the target in log order;
//! the target applies it iff the page's dbtime is older than the record's `dbtime_after`. Each
//! page therefore moves forward through exactly the states the running engine gave it, from
//! whatever (WAL-respecting) state the crash left on disk. While scanning, the driver tracks
//! each transaction's levels: a `BeginTransaction { level: l }` opens a savepoint at `l`
//! (implicitly closing levels `>= l` left open: nested commits are not logged and merge into
//! the parent), a page operation joins the transaction's innermost level, a `Commit` ends the
//! transaction, and a `Rollback { level: l }` undoes the operations of levels `>= l`.
//!
//! **Rollback records.** ESE logs every undo as a compensation record; here the transaction
//! layer logs only `Rollback { trx, level }`, *after* it has undone the operations on the
//! pages. So recovery repeats the rollback itself, at the rollback record's place in the log,
//! through [`UndoTarget::undo`]. The runtime's undo gave the page a dbtime the log does not
//! know, so the undo carries an [`UndoGuard`]: the dbtime of the *next* logged change to the
//! same page. If the page already reflects that change, it also reflects the runtime's undo
//! (the undo was done before the rollback record was logged, and the change after it), and the
//! undo is skipped; otherwise the page holds no change logged after the rollback, and
//! restoring the before-image is correct whether or not the runtime's undo reached the disk
//! (a before-image restore is idempotent, and no other transaction touched those nodes before
//! the rollback released them).
//!
//! **(c) Undo of losers.** Every transaction with neither a `Commit` nor a level-0 `Rollback`
//! is undone, newest operation first. No change to its nodes can follow in the log (they were
//! locked to the end), so no guard is needed. Recovery writes nothing to the log; before new
//! work the caller logs a level-0 rollback for each loser ([`close_losers`]), which turns a
//! later recovery's undo of them into a guarded rollback in the middle of the log.
//!
//! **Restartable.** Every decision depends only on the log (which recovery does not change)
//! and on the state of the one page concerned, and every step moves a page forward along the
//! same path, so a crash at any point of recovery, losing any subset of the pages it wrote,
//! leaves states that a second recovery completes to the same result; and recovering a
//! recovered database changes nothing. The tests check both on crashed images of a real log.
//!
//! **Errors.** A gap in the generations the checkpoint needs is JET_errMissingLogFile (-528),
//! a bad record or sector before the end of the log JET_errLogFileCorrupt (-501), a log or
//! checkpoint of another stream JET_errBadLogSignature (-530) or JET_errBadCheckpointSignature
//! (-532), a checkpoint past the end of the log JET_errMissingLogFile (-528), and a transaction
//! record that contradicts the ones before it JET_errInvalidLoggedOperation (-500). A torn tail
//! is the end of the log, not an error ([`Summary::end`]). Loops run over the records read,
//! which the log reader bounds by the files present; nothing here follows an on-disk pointer.

pub mod error;
pub mod recover;

pub use error::Error;
pub use recover::{
    RecoveryOptions, RedoOutcome, RedoTarget, Summary, UndoGuard, UndoOutcome, UndoTarget,
    close_losers, consistent_header, needs_recovery, recover,
};
