//! The recovery driver: checkpoint, redo scan with transaction tracking, undo of losers.
//!
//! [`recover`] is generic over the page layer through two traits: [`RedoTarget`] applies one
//! logged page operation (the B-tree's idempotent redo functions implement it) and
//! [`UndoTarget`] reverses one, from the undo information the operation carries. The driver
//! itself never looks inside a payload; it decides *which* operations are redone and undone,
//! and in what order, and the target decides, from the dbtime on the page, whether the page
//! already holds the result.
//!
//! See the crate documentation for the phases and why they are correct.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use ese_core::limits::{SECTOR_BYTES, TRANSACTION_LEVEL_INTERNAL_MAX};
use ese_core::{DbId, Dbtime, Lgpos, Pgno, Trx};
use ese_log::format::{FileHeader, archive_name, current_name};
use ese_log::{LogReader, LogRecord, PageOp, ScanEnd, Tail};
use ese_pageio::{DbHeader, DbState, Directory};

use crate::error::Error;

/// What [`RedoTarget::redo`] did with one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedoOutcome {
    /// The page was older than the record and now holds its result.
    Applied,
    /// The page already held the result (its dbtime is at or past the record's
    /// `dbtime_after`), so nothing was done.
    Skipped,
}

/// What [`UndoTarget::undo`] did with one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UndoOutcome {
    /// The operation's effect was reversed (or was already reversed; undo is idempotent).
    Applied,
    /// The page already holds a state later than the undo (see [`UndoGuard`]).
    Skipped,
}

/// Applies logged page operations during the redo phase.
///
/// The contract, which makes redo idempotent and recovery restartable:
///
/// * `redo` is called for every page operation from the checkpoint on, in log order, with the
///   record's position. It applies the record iff the page's dbtime is older than the record's
///   `dbtime_after`, and then sets the page's dbtime to `dbtime_after`; otherwise it returns
///   [`RedoOutcome::Skipped`]. It must not require the page to be exactly at `dbtime_before`:
///   an undo done by recovery (see [`UndoTarget`]) cannot reproduce the dbtime the runtime's
///   own rollback gave the page.
/// * Non-page records (begin, commit, rollback) are never passed to it.
pub trait RedoTarget {
    /// The target's error type, passed through as [`Error::Target`].
    type Error;

    /// Redoes one page operation (`rec` is one of the page-op variants of [`LogRecord`]).
    fn redo(&mut self, lgpos: Lgpos, rec: &LogRecord) -> Result<RedoOutcome, Self::Error>;
}

/// When an undo must leave the page alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UndoGuard {
    /// If the page's dbtime is at or past this value, the page already reflects a change logged
    /// after the rollback, and therefore also the runtime's own undo: skip. `None`: no later
    /// change to the page is logged; always undo.
    pub skip_if_page_dbtime_at_least: Option<Dbtime>,
}

/// Reverses page operations of rolled-back levels and of transactions that never committed.
///
/// `undo` restores the before-image carried in `op.undo` (for the key-value model: "key k had
/// value v"), so applying it twice is the same as applying it once. It leaves the page's dbtime
/// as it is. It is only called for operations whose `undo` is not empty.
pub trait UndoTarget: RedoTarget {
    /// Undoes `op` (logged at `op_lgpos`) unless `guard` says the page is already past it.
    fn undo(
        &mut self,
        op_lgpos: Lgpos,
        op: &PageOp,
        guard: UndoGuard,
    ) -> Result<UndoOutcome, Self::Error>;
}

/// How to run recovery.
#[derive(Clone, Debug)]
pub struct RecoveryOptions {
    /// The directory holding the log files and the checkpoint (JET_paramLogFilePath).
    pub directory: Arc<dyn Directory>,
    /// The log base name (JET_paramBaseName, "edb" by default).
    pub base_name: String,
    /// The log stream signature the database header records, if known: a log of another stream
    /// fails with JET_errBadLogSignature (-530).
    pub expected_log_signature: Option<[u8; 16]>,
}

impl RecoveryOptions {
    /// Options for the log in `directory` with the default base name "edb".
    pub fn new(directory: Arc<dyn Directory>) -> Self {
        Self {
            directory,
            base_name: "edb".to_owned(),
            expected_log_signature: None,
        }
    }
}

/// What a recovery run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Where the scan began: the checkpoint, or [`Lgpos::MIN`] (the oldest log present).
    pub start: Lgpos,
    /// Whether a checkpoint file was found.
    pub had_checkpoint: bool,
    /// Records read from `start` to the end of the log.
    pub records_scanned: u64,
    /// Page operations the target applied.
    pub ops_redone: u64,
    /// Page operations the target skipped because the page was already newer.
    pub ops_skipped: u64,
    /// Undo operations applied (rolled-back levels and losers).
    pub undos_applied: u64,
    /// Undo operations skipped by the guard.
    pub undos_skipped: u64,
    /// Transactions with a commit record.
    pub transactions_committed: u64,
    /// Transactions the log shows rolled back to level 0.
    pub transactions_rolled_back: u64,
    /// Nested levels (above 0) the log shows rolled back.
    pub levels_rolled_back: u64,
    /// Transactions with neither a commit nor a level-0 rollback: undone by recovery. The
    /// caller should log `Rollback { trx, level: 0 }` for each (see [`close_losers`]) before
    /// any new work, so that a later recovery does not undo them after newer changes.
    pub losers: Vec<Trx>,
    /// Transactions with records in the scan but no level-0 begin: they began before the
    /// start. Their operations are redone; none of them is undone (see the crate
    /// documentation for the checkpoint rule that makes this correct).
    pub begun_before_start: Vec<Trx>,
    /// Per database, the largest `dbtime_after` of the page operations scanned: the database's
    /// dbtime counter must resume above it.
    pub dbtime_max: BTreeMap<DbId, Dbtime>,
    /// The position of the last record read, if any.
    pub last_record: Option<Lgpos>,
    /// The end of the log: where the next record goes, and whether the tail was torn.
    pub end: ScanEnd,
}

impl Summary {
    /// Whether the log ended with a torn (partially written) flush, which is not an error.
    pub fn is_torn(&self) -> bool {
        matches!(self.end.tail, Tail::Torn { .. })
    }
}

/// Appends `Rollback { trx, level: 0 }` for every loser of `summary` to `log` and flushes it,
/// so that the undo recovery did is recorded before the log takes new work.
pub fn close_losers(log: &ese_log::Log, summary: &Summary) -> Result<(), ese_log::Error> {
    for &trx in &summary.losers {
        log.append(&LogRecord::Rollback { trx, level: 0 })?;
    }
    log.flush_all()
}

/// Whether a database with this header must be recovered before use: it was not shut down
/// cleanly (JET_dbstateDirtyShutdown; attaching it otherwise fails with -550).
pub fn needs_recovery(header: &DbHeader) -> bool {
    header.state == DbState::DirtyShutdown
}

/// The header of database `db` after recovery: clean, consistent at the end of the log, no log
/// generations required, and a dbtime above every one the log gave its pages. Write it (with
/// `ese_pageio::write_header`) only once every page recovery changed is on disk.
pub fn consistent_header(header: &DbHeader, db: DbId, summary: &Summary) -> DbHeader {
    let logged = summary.dbtime_max.get(&db).copied().unwrap_or(Dbtime::NIL);
    DbHeader {
        state: DbState::CleanShutdown,
        dbtime: header.dbtime.max(logged),
        lgpos_consistent: summary.end.head,
        gen_min_required: 0,
        gen_max_required: 0,
        ..*header
    }
}

/// One open transaction during the scan.
#[derive(Debug, Default)]
struct Open {
    /// `savepoints[l]` is the number of entries of `ops` when level `l` began.
    savepoints: Vec<usize>,
    /// Indices (into the scanned records) of the transaction's undoable page operations.
    ops: Vec<usize>,
}

type PageKey = (DbId, Pgno);

/// The pages an operation touches (its own, and the other page of a split or merge).
fn pages_of(rec: &LogRecord) -> Vec<(PageKey, Dbtime)> {
    let Some(op) = rec.page_op() else {
        return Vec::new();
    };
    let mut out = vec![((op.db, op.pgno), op.dbtime_after)];
    match rec {
        LogRecord::Split { new_pgno, .. } => out.push(((op.db, *new_pgno), op.dbtime_after)),
        LogRecord::Merge { sibling_pgno, .. } => {
            out.push(((op.db, *sibling_pgno), op.dbtime_after));
        }
        _ => {}
    }
    out
}

/// Reads the signature of log generation `generation`, if its file can be decoded.
fn log_signature(dir: &dyn Directory, base: &str, generation: u32) -> Option<[u8; 16]> {
    for name in [archive_name(base, generation), current_name(base)] {
        let Ok(true) = dir.exists(&name) else {
            continue;
        };
        let Ok(storage) = dir.open(&name, false) else {
            continue;
        };
        let mut head = [0u8; SECTOR_BYTES];
        if storage.read_at(0, &mut head).is_err() {
            continue;
        }
        if let Ok(h) = FileHeader::decode(&head)
            && h.generation == generation
        {
            return Some(h.signature);
        }
    }
    None
}

/// Runs soft recovery over the log in `opts.directory` against `target`.
///
/// Phases: read the checkpoint (a missing checkpoint file means: start at the oldest log
/// generation from which none is missing, as ESE does); redo every page operation from there to
/// the end of the log, undoing rolled-back nested levels where their rollback record lies;
/// then undo every transaction without a commit, newest operation first. A torn tail ends the
/// log and is reported in [`Summary::end`]; it is not an error. Recovery writes nothing to the
/// log; see [`close_losers`].
pub fn recover<T: UndoTarget>(
    opts: &RecoveryOptions,
    target: &mut T,
) -> Result<Summary, Error<T::Error>> {
    let dir = &opts.directory;
    let base = opts.base_name.as_str();
    let reader = LogReader::open(dir.clone(), base)?;
    let generations = reader.generations();
    let newest = generations.last().copied().unwrap_or(1);

    // (a) The checkpoint.
    let checkpoint = match ese_log::read_checkpoint(&**dir, base) {
        Ok(c) => Some(c),
        Err(ese_log::Error::CheckpointFileNotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let start = checkpoint.map_or(Lgpos::MIN, |c| c.lgpos);
    // The first generation the scan reads: the checkpoint's, or the oldest contiguous one.
    let first = match checkpoint {
        Some(c) => c.lgpos.generation.clamp(1, newest),
        None => {
            let mut g = newest;
            while g > 1 && generations.binary_search(&(g - 1)).is_ok() {
                g -= 1;
            }
            g
        }
    };
    if let Some(sig) = log_signature(&**dir, base, first) {
        if let Some(c) = checkpoint
            && c.signature != sig
        {
            return Err(Error::BadCheckpointSignature);
        }
        if let Some(expected) = opts.expected_log_signature
            && expected != sig
        {
            return Err(Error::BadLogSignature { generation: first });
        }
    }

    // (b) Read the log from the start to its end. A missing generation or a corrupt record
    // before the end surfaces here as the reader's error.
    let mut scan = reader.scan(start);
    let mut records: Vec<(Lgpos, LogRecord)> = Vec::new();
    for item in scan.by_ref() {
        records.push(item?);
    }
    let Some(end) = scan.end() else {
        return Err(ese_log::Error::MissingLogFile { generation: newest }.into());
    };

    // A checkpoint may sit at the start of the generation after a full file whose successor
    // was not created yet; any later position means log files are missing.
    if let Some(c) = checkpoint
        && c.lgpos > end.head
    {
        return Err(Error::CheckpointBeyondLog {
            generation: c.lgpos.generation,
            newest,
        });
    }

    // Per page, the records that change it, in log order, for the undo guard.
    let mut page_index: HashMap<PageKey, Vec<(usize, Dbtime)>> = HashMap::new();
    for (i, (_, rec)) in records.iter().enumerate() {
        for (key, dbtime) in pages_of(rec) {
            page_index.entry(key).or_default().push((i, dbtime));
        }
    }
    let guard_after = |at: usize, op: &PageOp| -> UndoGuard {
        let next = page_index.get(&(op.db, op.pgno)).and_then(|v| {
            let p = v.partition_point(|&(i, _)| i <= at);
            v.get(p).map(|&(_, d)| d)
        });
        UndoGuard {
            skip_if_page_dbtime_at_least: next,
        }
    };

    let mut summary = Summary {
        start,
        had_checkpoint: checkpoint.is_some(),
        records_scanned: records.len() as u64,
        ops_redone: 0,
        ops_skipped: 0,
        undos_applied: 0,
        undos_skipped: 0,
        transactions_committed: 0,
        transactions_rolled_back: 0,
        levels_rolled_back: 0,
        losers: Vec::new(),
        begun_before_start: Vec::new(),
        dbtime_max: BTreeMap::new(),
        last_record: records.last().map(|(l, _)| *l),
        end,
    };
    let mut open: BTreeMap<Trx, Open> = BTreeMap::new();
    let mut partial: BTreeSet<Trx> = BTreeSet::new();
    let invalid =
        |lgpos: Lgpos, reason: &'static str| Error::InvalidLoggedOperation { lgpos, reason };

    for (i, (lgpos, rec)) in records.iter().enumerate() {
        let lgpos = *lgpos;
        match rec {
            LogRecord::BeginTransaction { trx, level } => {
                let level = *level;
                if level > TRANSACTION_LEVEL_INTERNAL_MAX {
                    return Err(invalid(lgpos, "transaction level out of range"));
                }
                let level = usize::from(level);
                if level == 0 {
                    if open.contains_key(trx) {
                        return Err(invalid(lgpos, "level-0 begin of an open transaction"));
                    }
                    open.insert(
                        *trx,
                        Open {
                            savepoints: vec![0],
                            ops: Vec::new(),
                        },
                    );
                } else {
                    let Some(t) = open.get_mut(trx) else {
                        partial.insert(*trx);
                        continue;
                    };
                    if t.savepoints.len() < level {
                        return Err(invalid(lgpos, "begin skips a nesting level"));
                    }
                    // Levels at or above `level` that were open have committed into their
                    // parent (nested commits are not logged).
                    t.savepoints.truncate(level);
                    t.savepoints.push(t.ops.len());
                }
            }
            LogRecord::Commit { trx, .. } => {
                if open.remove(trx).is_none() {
                    partial.insert(*trx);
                }
                summary.transactions_committed += 1;
            }
            LogRecord::Rollback { trx, level } => {
                let level = usize::from(*level);
                let Some(t) = open.get_mut(trx) else {
                    // Began before the scan's start: its rollback was done on the pages before
                    // the checkpoint was taken (see the crate documentation).
                    partial.insert(*trx);
                    if level == 0 {
                        summary.transactions_rolled_back += 1;
                    } else {
                        summary.levels_rolled_back += 1;
                    }
                    continue;
                };
                let Some(&from) = t.savepoints.get(level) else {
                    return Err(invalid(lgpos, "rollback of a level that is not open"));
                };
                let undo: Vec<usize> = t.ops.drain(from..).rev().collect();
                t.savepoints.truncate(level);
                for j in undo {
                    let (op_lgpos, op_rec) = &records[j];
                    if let Some(op) = op_rec.page_op() {
                        match target
                            .undo(*op_lgpos, op, guard_after(i, op))
                            .map_err(Error::Target)?
                        {
                            UndoOutcome::Applied => summary.undos_applied += 1,
                            UndoOutcome::Skipped => summary.undos_skipped += 1,
                        }
                    }
                }
                if level == 0 {
                    open.remove(trx);
                    summary.transactions_rolled_back += 1;
                } else {
                    summary.levels_rolled_back += 1;
                }
            }
            other => {
                let Some(op) = other.page_op() else {
                    // A record kind this driver does not know: nothing to redo.
                    continue;
                };
                let max = summary.dbtime_max.entry(op.db).or_insert(Dbtime::NIL);
                *max = (*max).max(op.dbtime_after);
                match target.redo(lgpos, other).map_err(Error::Target)? {
                    RedoOutcome::Applied => summary.ops_redone += 1,
                    RedoOutcome::Skipped => summary.ops_skipped += 1,
                }
                if !op.undo.is_empty() {
                    match open.get_mut(&op.trx) {
                        Some(t) => t.ops.push(i),
                        None => {
                            partial.insert(op.trx);
                        }
                    }
                }
            }
        }
    }

    // (c) Undo the losers, newest operation first across all of them.
    let mut undo: Vec<usize> = open.values().flat_map(|t| t.ops.iter().copied()).collect();
    undo.sort_unstable_by(|a, b| b.cmp(a));
    for j in undo {
        let (op_lgpos, op_rec) = &records[j];
        if let Some(op) = op_rec.page_op() {
            let guard = UndoGuard {
                skip_if_page_dbtime_at_least: None,
            };
            match target.undo(*op_lgpos, op, guard).map_err(Error::Target)? {
                UndoOutcome::Applied => summary.undos_applied += 1,
                UndoOutcome::Skipped => summary.undos_skipped += 1,
            }
        }
    }
    summary.losers = open.into_keys().collect();
    summary.begun_before_start = partial.into_iter().collect();
    Ok(summary)
}
