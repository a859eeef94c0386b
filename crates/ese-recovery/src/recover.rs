//! The recovery driver: checkpoint, redo scan with transaction tracking, undo of losers.
//!
//! [`recover`] is generic over the page layer through two traits: [`RedoTarget`] applies one
//! logged page operation (the B-tree's exact redo implements it) and [`UndoTarget`] says what
//! an operation's undo field means (a change, a compensation, or nothing) and reverses a
//! change, logging the reversal. The driver itself never looks inside a payload; it decides
//! *which* operations are redone and undone, and in what order, and the target decides, from
//! the dbtime on the page, whether the page can take a record.
//!
//! See the crate documentation for the phases and why they are correct.

use std::collections::BTreeMap;
use std::sync::Arc;

use ese_core::limits::{SECTOR_BYTES, TRANSACTION_LEVEL_INTERNAL_MAX};
use ese_core::{DbId, Dbtime, Lgpos, Pgno, Trx};
use ese_log::format::{FileHeader, archive_name, current_name};
use ese_log::{LogReader, LogRecord, ScanEnd, Tail};
use ese_pageio::{DbHeader, DbState, Directory};

use crate::error::Error;

/// What [`RedoTarget::redo`] did with one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedoOutcome {
    /// The page was exactly as the record found it (or the record rewrites the whole page: a
    /// full page image or a format) and now holds its result.
    Applied,
    /// The page already held the result (its dbtime is at or past the record's
    /// `dbtime_after`), so nothing was done.
    Skipped,
    /// The page cannot take the record: it is torn, fails its checksum, or holds an image older
    /// than the record's `dbtime_before`. Nothing was done; a later record that rewrites the
    /// whole page must repair it before the end of the log.
    Unverifiable,
}

/// What a page operation means to the undo bookkeeping, as its undo field says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UndoClass {
    /// Nothing to undo (structural and space records, full page images).
    None,
    /// A change its transaction must undo if it never commits.
    Change,
    /// A compensation: written by a rollback, it undid the transaction's newest change not yet
    /// compensated.
    Compensation,
}

/// What [`UndoTarget::undo`] did with one change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UndoOutcome {
    /// The change was reversed, and the reversal logged as a compensation record.
    Applied,
    /// There was nothing left to reverse (nothing was logged).
    Skipped,
}

/// Applies logged page operations during the redo phase.
///
/// The contract, which makes redo exact and recovery restartable:
///
/// * `redo` is called for every page operation from the checkpoint on, in log order, with the
///   record's position. It applies the record iff the page's dbtime is exactly the record's
///   `dbtime_before`, or the record rewrites the whole page (a full page image, a format) and
///   the page is older than its `dbtime_after` or unreadable; it skips it when the page is
///   already at or past `dbtime_after`; otherwise the page is [`RedoOutcome::Unverifiable`].
/// * A record of a database the target does not recover is [`RedoOutcome::Skipped`].
/// * Non-page records (begin, commit, rollback) are never passed to it.
pub trait RedoTarget {
    /// The target's error type, passed through as [`Error::Target`].
    type Error;

    /// Redoes one page operation (`rec` is one of the page-op variants of [`LogRecord`]).
    fn redo(&mut self, lgpos: Lgpos, rec: &LogRecord) -> Result<RedoOutcome, Self::Error>;
}

/// Classifies page operations for the transaction bookkeeping and undoes losers' changes.
///
/// `undo` reverses one change from the undo information it carries (logically: the change is
/// found wherever its key now lives), logging the reversal as a compensation record of the
/// same transaction, so that a later recovery counts it as undone.
pub trait UndoTarget: RedoTarget {
    /// What `rec`'s undo information says (a malformed undo field is the target's error).
    fn classify(&self, rec: &LogRecord) -> Result<UndoClass, Self::Error>;

    /// Undoes the change `rec` (of class [`UndoClass::Change`], logged at `op_lgpos`) and logs
    /// the compensation.
    fn undo(&mut self, op_lgpos: Lgpos, rec: &LogRecord) -> Result<UndoOutcome, Self::Error>;
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
    /// Page operations skipped because their page was unverifiable at the time (each page was
    /// repaired by a later image, or recovery failed).
    pub ops_unverifiable: u64,
    /// Compensation records seen in the scan (undo done by runtime rollbacks, or by an earlier
    /// recovery that did not finish).
    pub compensations_scanned: u64,
    /// Changes of losers undone by this recovery (each logged as a compensation).
    pub undos_applied: u64,
    /// Changes of losers that had nothing left to undo.
    pub undos_skipped: u64,
    /// Transactions with a commit record.
    pub transactions_committed: u64,
    /// Transactions the log shows rolled back to level 0.
    pub transactions_rolled_back: u64,
    /// Nested levels (above 0) the log shows rolled back.
    pub levels_rolled_back: u64,
    /// Transactions with neither a commit nor a level-0 rollback: undone by recovery. The
    /// caller logs `Rollback { trx, level: 0 }` for each ([`close_losers`]) before new work.
    pub losers: Vec<Trx>,
    /// Transactions with records in the scan but no level-0 begin: they began before the
    /// start and ended within the scan. Their operations are redone; none is undone.
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
/// so that the undo recovery did is closed before the log takes new work.
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

/// The header of database `db` after recovery: clean, consistent at `consistent` (the end of
/// the log once recovery's own records are written), no log generations required, and a
/// dbtime at least `dbtime` and above every one the log gave its pages. Write it (with
/// `ese_pageio::write_header`) only once every page recovery changed is on disk.
pub fn consistent_header(
    header: &DbHeader,
    db: DbId,
    summary: &Summary,
    consistent: Lgpos,
    dbtime: Dbtime,
) -> DbHeader {
    let logged = summary.dbtime_max.get(&db).copied().unwrap_or(Dbtime::NIL);
    DbHeader {
        state: DbState::CleanShutdown,
        dbtime: header.dbtime.max(logged).max(dbtime),
        lgpos_consistent: consistent,
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
    /// Indices (into the scanned records) of the transaction's uncompensated changes.
    ops: Vec<usize>,
}

type PageKey = (DbId, Pgno);

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
/// the end of the log, tracking each transaction's uncompensated changes; fail with
/// [`Error::DamagedPage`] if a page is still unverifiable at the end; then undo every
/// transaction without a commit or level-0 rollback, newest change first, through the target
/// (which logs each undo). A torn tail ends the log and is reported in [`Summary::end`]; it is
/// not an error. The caller then closes the losers ([`close_losers`]).
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
    let mut frames = 0u64;
    for item in scan.by_ref() {
        let (lgpos, rec) = item?;
        frames += 1;
        // A group (one B-tree call's page records, logged in one frame) is redone member by
        // member, each at the group's position: the frame is in the log whole or not at all.
        match rec {
            LogRecord::PageGroup(members) => {
                records.extend(members.into_iter().map(|m| (lgpos, m)));
            }
            other => records.push((lgpos, other)),
        }
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

    let mut summary = Summary {
        start,
        had_checkpoint: checkpoint.is_some(),
        records_scanned: frames,
        ops_redone: 0,
        ops_skipped: 0,
        ops_unverifiable: 0,
        compensations_scanned: 0,
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
    // Transactions seen without their level-0 begin, and whether their end was seen.
    let mut partial: BTreeMap<Trx, bool> = BTreeMap::new();
    // Pages whose last record could not be verified, with the position of that record.
    let mut damaged: BTreeMap<PageKey, Lgpos> = BTreeMap::new();
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
                    if open.contains_key(trx) || partial.contains_key(trx) {
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
                        partial.entry(*trx).or_insert(false);
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
                    partial.insert(*trx, true);
                }
                summary.transactions_committed += 1;
            }
            LogRecord::Rollback { trx, level } => {
                let level = usize::from(*level);
                if level == 0 {
                    summary.transactions_rolled_back += 1;
                } else {
                    summary.levels_rolled_back += 1;
                }
                let Some(t) = open.get_mut(trx) else {
                    // Began before the scan's start: its rollback's compensations are redone
                    // like any record; there is nothing of it to undo here.
                    let ended = partial.entry(*trx).or_insert(false);
                    *ended |= level == 0;
                    continue;
                };
                let Some(&from) = t.savepoints.get(level) else {
                    return Err(invalid(lgpos, "rollback of a level that is not open"));
                };
                if t.ops.len() > from {
                    return Err(invalid(
                        lgpos,
                        "rollback of a level with changes it did not compensate",
                    ));
                }
                t.savepoints.truncate(level);
                if level == 0 {
                    open.remove(trx);
                }
            }
            other => {
                let Some(page) = other.page() else {
                    // A record kind this driver does not know: nothing to redo.
                    continue;
                };
                let stamped = match other {
                    LogRecord::PageImage(img) => img.dbtime,
                    _ => other.page_op().map_or(Dbtime::NIL, |op| op.dbtime_after),
                };
                let max = summary.dbtime_max.entry(page.0).or_insert(Dbtime::NIL);
                *max = (*max).max(stamped);
                match target.redo(lgpos, other).map_err(Error::Target)? {
                    RedoOutcome::Applied => {
                        summary.ops_redone += 1;
                        damaged.remove(&page);
                    }
                    RedoOutcome::Skipped => {
                        summary.ops_skipped += 1;
                        damaged.remove(&page);
                    }
                    RedoOutcome::Unverifiable => {
                        summary.ops_unverifiable += 1;
                        damaged.insert(page, lgpos);
                    }
                }
                let Some(op) = other.page_op() else {
                    continue;
                };
                match target.classify(other).map_err(Error::Target)? {
                    UndoClass::None => {}
                    UndoClass::Change => match open.get_mut(&op.trx) {
                        Some(t) => t.ops.push(i),
                        None => {
                            partial.entry(op.trx).or_insert(false);
                        }
                    },
                    UndoClass::Compensation => {
                        summary.compensations_scanned += 1;
                        match open.get_mut(&op.trx) {
                            Some(t) => {
                                if t.ops.pop().is_none() {
                                    return Err(invalid(
                                        lgpos,
                                        "a compensation with no change left to compensate",
                                    ));
                                }
                            }
                            None => {
                                partial.entry(op.trx).or_insert(false);
                            }
                        }
                    }
                }
            }
        }
    }

    if let Some((&(db, pgno), &lgpos)) = damaged.iter().next() {
        return Err(Error::DamagedPage { db, pgno, lgpos });
    }
    if let Some((&trx, _)) = partial.iter().find(|(_, ended)| !**ended) {
        let lgpos = records
            .iter()
            .find(|(_, r)| record_trx(r) == Some(trx))
            .map_or(start, |(l, _)| *l);
        return Err(invalid(
            lgpos,
            "a transaction open at the crash began before the checkpoint",
        ));
    }

    // (c) Undo the losers, newest uncompensated change first across all of them.
    let mut undo: Vec<usize> = open.values().flat_map(|t| t.ops.iter().copied()).collect();
    undo.sort_unstable_by(|a, b| b.cmp(a));
    for j in undo {
        let (op_lgpos, op_rec) = &records[j];
        match target.undo(*op_lgpos, op_rec).map_err(Error::Target)? {
            UndoOutcome::Applied => summary.undos_applied += 1,
            UndoOutcome::Skipped => summary.undos_skipped += 1,
        }
    }
    summary.losers = open.into_keys().collect();
    summary.begun_before_start = partial.into_keys().collect();
    Ok(summary)
}

/// The transaction a record belongs to, if it names one.
fn record_trx(rec: &LogRecord) -> Option<Trx> {
    match rec {
        LogRecord::BeginTransaction { trx, .. }
        | LogRecord::Commit { trx, .. }
        | LogRecord::Rollback { trx, .. } => Some(*trx),
        other => other.page_op().map(|op| op.trx),
    }
}
