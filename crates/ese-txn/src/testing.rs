//! Test doubles for the layers that plug into the version store: a key-value store with
//! B-tree-like nodes, and a log that records every call.
//!
//! [`MemStore`] plays the part the B-tree will play: it keeps one node per key, changed in
//! place (flag-deleted nodes keep their data), asks the version store for a version before
//! each change and for visibility on each read, and implements [`Undo`]. Its one
//! `RwLock` stands for the page latches; it is taken before the version store's lock, the
//! order the B-tree must keep. Values updated with [`MemStore::escrow_update`] are 8-byte
//! little-endian integers, escrow field 0.
//!
//! [`RecordingLog`] is a [`CommitLog`] that lists every call and can be told to fail.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ese_core::{JetErr, Lgpos, Trx};
use parking_lot::{Mutex, RwLock};

use crate::error::Error;
use crate::log::{CommitLog, CommitMode, LogError};
use crate::session::Session;
use crate::undo::{Undo, UndoAction, UndoError};
use crate::ver::{EscrowAdjust, LockKind, ObjId, VersionStore, Visibility};

/// A node of a [`MemStore`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemNode {
    /// The newest data, committed or not.
    pub data: Vec<u8>,
    /// The delete flag.
    pub is_deleted: bool,
}

/// What a [`MemStore`] operation can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The transaction layer refused (write conflict, version store full, ...).
    Txn(Error),
    /// The key exists for this session (JET_errKeyDuplicate, -1605).
    KeyDuplicate,
    /// The key does not exist for this session (JET_errRecordNotFound, -1601).
    RecordNotFound,
}

impl StoreError {
    /// The JET code the error stands for.
    pub fn jet_code(&self) -> i32 {
        match self {
            StoreError::Txn(e) => e.jet_code(),
            StoreError::KeyDuplicate => JetErr::KEY_DUPLICATE.0,
            StoreError::RecordNotFound => JetErr::RECORD_NOT_FOUND.0,
        }
    }

    /// Whether this is a write conflict.
    pub fn is_write_conflict(&self) -> bool {
        matches!(self, StoreError::Txn(e) if e.is_write_conflict())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Txn(e) => e.fmt(f),
            StoreError::KeyDuplicate => f.write_str("the key already exists"),
            StoreError::RecordNotFound => f.write_str("no record with this key"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        StoreError::Txn(e)
    }
}

/// An in-memory key-value store over a [`VersionStore`], one B-tree (`obj`) of it.
#[derive(Debug)]
pub struct MemStore {
    ver: Arc<VersionStore>,
    obj: ObjId,
    nodes: RwLock<BTreeMap<Vec<u8>, MemNode>>,
}

/// The undo side of a [`MemStore`], over its locked nodes.
struct MemUndo<'a> {
    obj: ObjId,
    nodes: &'a mut BTreeMap<Vec<u8>, MemNode>,
}

impl Undo for MemUndo<'_> {
    fn undo(&mut self, obj: ObjId, key: &[u8], action: UndoAction<'_>) -> Result<(), UndoError> {
        if obj != self.obj {
            return Err(format!("undo for object {obj} reached store {}", self.obj).into());
        }
        if action == UndoAction::Remove {
            return match self.nodes.remove(key) {
                Some(_) => Ok(()),
                None => Err("undo of an insert found no node".into()),
            };
        }
        let node = self
            .nodes
            .get_mut(key)
            .ok_or_else(|| format!("undo found no node for key {key:?}"))?;
        match action {
            UndoAction::Remove => {}
            UndoAction::ReDelete { data } => {
                node.data = data.to_vec();
                node.is_deleted = true;
            }
            UndoAction::Restore { data } => node.data = data.to_vec(),
            UndoAction::Undelete => node.is_deleted = false,
            UndoAction::Escrow { field: _, delta } => {
                let value = decode_i64(&node.data).ok_or("escrow undo on a non-integer")?;
                node.data = value.wrapping_add(delta).to_le_bytes().to_vec();
            }
        }
        Ok(())
    }
}

fn decode_i64(data: &[u8]) -> Option<i64> {
    <[u8; 8]>::try_from(data).ok().map(i64::from_le_bytes)
}

fn apply_escrow(mut data: Vec<u8>, escrow: &[EscrowAdjust]) -> Vec<u8> {
    let total = escrow.iter().fold(0i64, |acc, a| acc.wrapping_add(a.delta));
    if total != 0
        && let Some(v) = decode_i64(&data)
    {
        data = v.wrapping_add(total).to_le_bytes().to_vec();
    }
    data
}

/// What `session` sees of `node` given the version store's answer.
fn resolve(node: Option<&MemNode>, vis: Visibility) -> Option<Vec<u8>> {
    match vis {
        Visibility::Absent => None,
        Visibility::BeforeImage { image, escrow } => Some(apply_escrow(image.to_vec(), &escrow)),
        Visibility::Current {
            ignore_delete,
            escrow,
        } => {
            let node = node?;
            if node.is_deleted && !ignore_delete {
                None
            } else {
                Some(apply_escrow(node.data.clone(), &escrow))
            }
        }
    }
}

impl MemStore {
    /// An empty store for B-tree `obj` of `ver`.
    pub fn new(ver: Arc<VersionStore>, obj: ObjId) -> Self {
        MemStore {
            ver,
            obj,
            nodes: RwLock::new(BTreeMap::new()),
        }
    }

    /// The version store underneath.
    pub fn version_store(&self) -> &Arc<VersionStore> {
        &self.ver
    }

    /// The value of `key` as `session` sees it.
    pub fn get(&self, session: &Session, key: &[u8]) -> Option<Vec<u8>> {
        let nodes = self.nodes.read();
        resolve(nodes.get(key), session.visible_version(self.obj, key))
    }

    /// The value of `key` as an escrowed integer, as `session` sees it.
    pub fn get_i64(&self, session: &Session, key: &[u8]) -> Option<i64> {
        self.get(session, key).as_deref().and_then(decode_i64)
    }

    /// Every key in `[from, to)` with its value, as `session` sees them.
    pub fn scan(&self, session: &Session, from: &[u8], to: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let nodes = self.nodes.read();
        let range = (Bound::Included(from.to_vec()), Bound::Excluded(to.to_vec()));
        nodes
            .range(range)
            .filter_map(|(k, n)| {
                resolve(Some(n), session.visible_version(self.obj, k)).map(|v| (k.clone(), v))
            })
            .collect()
    }

    /// Runs `f` inside the session's transaction, or inside an implicit one at level 0 (as ESE
    /// wraps each update call at level 0), rolling that back if `f` fails.
    fn in_transaction<T>(
        &self,
        session: &mut Session,
        nodes: &mut BTreeMap<Vec<u8>, MemNode>,
        f: impl FnOnce(&mut Session, &mut BTreeMap<Vec<u8>, MemNode>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if session.level() > 0 {
            return f(session, nodes);
        }
        session.begin_transaction()?;
        let result = f(session, nodes).and_then(|v| {
            session.commit_transaction(CommitMode::Durable)?;
            Ok(v)
        });
        // A failed call, or a commit record that could not be appended, leaves the implicit
        // transaction open: roll it back so the session is at level 0 again.
        if result.is_err() && session.level() > 0 {
            session.rollback(&mut MemUndo {
                obj: self.obj,
                nodes,
            })?;
        }
        result
    }

    /// Inserts `key` (JetUpdate after JET_prepInsert).
    pub fn insert(
        &self,
        session: &mut Session,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), StoreError> {
        let obj = self.obj;
        let mut nodes = self.nodes.write();
        self.in_transaction(session, &mut nodes, |s, nodes| {
            // The conflict check comes first: once it passes, the node as stored is what this
            // session sees, so the duplicate check can read it directly.
            s.check_write(obj, key)?;
            match nodes.get_mut(key) {
                Some(n) if !n.is_deleted => Err(StoreError::KeyDuplicate),
                Some(n) => {
                    s.version_insert(obj, key, Some(&n.data))?;
                    n.data = value.to_vec();
                    n.is_deleted = false;
                    Ok(())
                }
                None => {
                    s.version_insert(obj, key, None)?;
                    nodes.insert(
                        key.to_vec(),
                        MemNode {
                            data: value.to_vec(),
                            is_deleted: false,
                        },
                    );
                    Ok(())
                }
            }
        })
    }

    /// Replaces the value of `key` (JetUpdate after JET_prepReplace).
    pub fn replace(
        &self,
        session: &mut Session,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), StoreError> {
        let obj = self.obj;
        let mut nodes = self.nodes.write();
        self.in_transaction(session, &mut nodes, |s, nodes| {
            s.check_write(obj, key)?;
            let n = nodes
                .get_mut(key)
                .filter(|n| !n.is_deleted)
                .ok_or(StoreError::RecordNotFound)?;
            s.version_replace(obj, key, &n.data)?;
            n.data = value.to_vec();
            Ok(())
        })
    }

    /// Deletes `key` (JetDelete): the node is flag-deleted and removed by cleanup.
    pub fn delete(&self, session: &mut Session, key: &[u8]) -> Result<(), StoreError> {
        let obj = self.obj;
        let mut nodes = self.nodes.write();
        self.in_transaction(session, &mut nodes, |s, nodes| {
            s.check_write(obj, key)?;
            let n = nodes
                .get_mut(key)
                .filter(|n| !n.is_deleted)
                .ok_or(StoreError::RecordNotFound)?;
            s.version_flag_delete(obj, key)?;
            n.is_deleted = true;
            Ok(())
        })
    }

    /// Adds `delta` to the integer value of `key` (JetEscrowUpdate; needs a transaction).
    pub fn escrow_update(
        &self,
        session: &mut Session,
        key: &[u8],
        delta: i64,
    ) -> Result<(), StoreError> {
        if session.level() == 0 {
            return Err(Error::NotInTransaction.into());
        }
        let mut nodes = self.nodes.write();
        // Existence as this session sees it; a delete it cannot see makes the escrow update
        // below conflict, so once that passes the node is live.
        if resolve(nodes.get(key), session.visible_version(self.obj, key)).is_none() {
            return Err(StoreError::RecordNotFound);
        }
        let n = nodes.get_mut(key).ok_or(StoreError::RecordNotFound)?;
        // The node holds other sessions' uncommitted deltas too; they commute with this one.
        let value = decode_i64(&n.data).ok_or(StoreError::RecordNotFound)?;
        session.version_escrow(self.obj, key, 0, delta)?;
        n.data = value.wrapping_add(delta).to_le_bytes().to_vec();
        Ok(())
    }

    /// Locks `key`, which must exist for the session (JetGetLock; needs a transaction).
    pub fn get_lock(
        &self,
        session: &mut Session,
        key: &[u8],
        kind: LockKind,
    ) -> Result<(), StoreError> {
        if session.level() == 0 {
            return Err(Error::NotInTransaction.into());
        }
        let nodes = self.nodes.read();
        if resolve(nodes.get(key), session.visible_version(self.obj, key)).is_none() {
            return Err(StoreError::RecordNotFound);
        }
        session.get_lock(self.obj, key, kind)?;
        Ok(())
    }

    /// Commits the session's innermost level.
    pub fn commit(&self, session: &mut Session, mode: CommitMode) -> Result<Option<Lgpos>, Error> {
        session.commit_transaction(mode)
    }

    /// Rolls back the session's innermost level.
    pub fn rollback(&self, session: &mut Session) -> Result<(), Error> {
        let mut nodes = self.nodes.write();
        session.rollback(&mut MemUndo {
            obj: self.obj,
            nodes: &mut nodes,
        })
    }

    /// Rolls back every level of the session's transaction.
    pub fn rollback_all(&self, session: &mut Session) -> Result<(), Error> {
        let mut nodes = self.nodes.write();
        session.rollback_all(&mut MemUndo {
            obj: self.obj,
            nodes: &mut nodes,
        })
    }

    /// Runs version-store cleanup and removes the flag-deleted nodes it releases; returns how
    /// many nodes were removed.
    pub fn cleanup(&self) -> usize {
        let mut nodes = self.nodes.write();
        let mut removed = 0;
        for r in self.ver.cleanup() {
            if r.obj != self.obj {
                continue;
            }
            // A queued removal may be stale: the node may have been reinserted since.
            let gone = nodes.get(&r.key).is_some_and(|n| n.is_deleted)
                && !self.ver.is_versioned(self.obj, &r.key);
            if gone {
                nodes.remove(&r.key);
                removed += 1;
            }
        }
        removed
    }

    /// Every node as stored, flag-deleted ones included.
    pub fn nodes(&self) -> BTreeMap<Vec<u8>, MemNode> {
        self.nodes.read().clone()
    }
}

/// One call a [`RecordingLog`] received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogCall {
    /// [`CommitLog::log_begin`].
    Begin {
        /// The transaction.
        trx: Trx,
        /// The level begun.
        level: u8,
    },
    /// [`CommitLog::log_commit`].
    Commit {
        /// The transaction.
        trx: Trx,
        /// Its commit timestamp.
        commit_trx: Trx,
        /// The mode asked for.
        mode: CommitMode,
    },
    /// [`CommitLog::wait_durable`].
    WaitDurable(Lgpos),
    /// [`CommitLog::log_rollback`].
    Rollback {
        /// The transaction.
        trx: Trx,
        /// The level rolled back.
        level: u8,
    },
}

/// A [`CommitLog`] that records every call and fails on request.
#[derive(Debug, Default)]
pub struct RecordingLog {
    calls: Mutex<Vec<LogCall>>,
    fail_appends: AtomicBool,
    fail_waits: AtomicBool,
}

impl RecordingLog {
    /// A log that succeeds.
    pub fn new() -> Arc<Self> {
        Arc::new(RecordingLog::default())
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<LogCall> {
        self.calls.lock().clone()
    }

    /// Forgets the calls recorded so far.
    pub fn clear(&self) {
        self.calls.lock().clear();
    }

    /// Makes every later append (begin, commit, rollback) fail, or succeed again.
    pub fn fail_appends(&self, fail: bool) {
        self.fail_appends.store(fail, Ordering::SeqCst);
    }

    /// Makes every later durable wait fail, or succeed again.
    pub fn fail_waits(&self, fail: bool) {
        self.fail_waits.store(fail, Ordering::SeqCst);
    }

    fn append(&self, call: LogCall) -> Result<Lgpos, LogError> {
        if self.fail_appends.load(Ordering::SeqCst) {
            return Err("injected log append failure".into());
        }
        let mut calls = self.calls.lock();
        calls.push(call);
        let n = u16::try_from(calls.len()).unwrap_or(u16::MAX);
        Ok(Lgpos::new(1, n, 0))
    }
}

impl CommitLog for RecordingLog {
    fn log_begin(&self, trx: Trx, level: u8) -> Result<(), LogError> {
        self.append(LogCall::Begin { trx, level }).map(|_| ())
    }

    fn log_commit(&self, trx: Trx, commit_trx: Trx, mode: CommitMode) -> Result<Lgpos, LogError> {
        self.append(LogCall::Commit {
            trx,
            commit_trx,
            mode,
        })
    }

    fn wait_durable(&self, lgpos: Lgpos) -> Result<(), LogError> {
        if self.fail_waits.load(Ordering::SeqCst) {
            return Err("injected fsync failure".into());
        }
        self.calls.lock().push(LogCall::WaitDurable(lgpos));
        Ok(())
    }

    fn log_rollback(&self, trx: Trx, level: u8) -> Result<(), LogError> {
        self.append(LogCall::Rollback { trx, level }).map(|_| ())
    }
}
