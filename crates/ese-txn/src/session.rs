//! Sessions and their nested transactions (the transaction half of ESE's PIB).
//!
//! ```text
//!   level 0 ──begin──▶ 1 ──begin──▶ 2 ... ──begin──▶ 7 ──begin──▶ JET_errTransTooDeep
//!           ◀─commit──   ◀─commit──          (nested commit: merge into the parent save point)
//!           ◀rollback─   ◀rollback─          (undo the innermost save point only)
//!   level-0 commit: the only one that makes changes visible to later transactions and durable
//!   rollback_all:   rollback until level 0
//! ```
//!
//! The snapshot is fixed by the begin that enters level 1; save points share it. Every
//! change-making call records a version first and fails, leaving the transaction as it was and
//! usable, on a write conflict or a full version store (reference 02 §6). A session is used by
//! one thread at a time, which `&mut self` enforces.

use std::fmt;
use std::sync::Arc;

use ese_core::{Lgpos, Pgno, Trx};

use crate::error::Error;
use crate::log::CommitMode;
use crate::undo::Undo;
use crate::ver::{LockKind, ObjId, Op, SessionId, VersionStore, Visibility};

/// One session's handle on the version store: its transaction state lives in the store, so
/// that every session's versions and snapshots are judged under one lock.
pub struct Session {
    id: SessionId,
    ver: Arc<VersionStore>,
}

// A session moves between threads (used by one at a time); the store is shared by all.
const _: fn() = || {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<Session>();
    send_sync::<VersionStore>();
};

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("level", &self.level())
            .finish()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // An open transaction is abandoned, not forgotten: see `end_session`.
        self.ver.forget_session(self.id);
    }
}

impl Session {
    pub(crate) fn new(id: SessionId, ver: Arc<VersionStore>) -> Self {
        Session { id, ver }
    }

    /// The session's identity within its version store.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The version store the session belongs to.
    pub fn version_store(&self) -> &Arc<VersionStore> {
        &self.ver
    }

    /// The current transaction level, 0 outside a transaction (JET_sesparamTransactionLevel).
    pub fn level(&self) -> u8 {
        self.ver.level(self.id)
    }

    /// The begin timestamp of the open transaction (its snapshot), if any.
    pub fn trx_begin(&self) -> Option<Trx> {
        self.ver.trx_begin(self.id)
    }

    /// Whether the open transaction was begun read-only.
    pub fn is_read_only(&self) -> bool {
        self.ver.is_read_only(self.id)
    }

    /// Enters a transaction or creates a save point (JetBeginTransaction). The eighth nested
    /// begin fails with [`Error::TransTooDeep`] and changes nothing.
    pub fn begin_transaction(&mut self) -> Result<(), Error> {
        self.ver.begin(self.id, false).map(drop)
    }

    /// [`Session::begin_transaction`], returning the level it opened (1 for the outermost):
    /// one call for a caller that would otherwise ask [`Session::level`] first.
    pub fn begin_level(&mut self) -> Result<u8, Error> {
        self.ver.begin(self.id, false)
    }

    /// As [`Session::begin_transaction`] with JET_bitTransactionReadOnly (JetBeginTransaction2):
    /// the flag counts only on the outermost begin, and changes then fail with
    /// [`Error::TransReadOnly`].
    pub fn begin_transaction_read_only(&mut self) -> Result<(), Error> {
        self.ver.begin(self.id, true).map(drop)
    }

    /// Commits the innermost level (JetCommitTransaction). A nested commit merges it into its
    /// parent and ignores `mode`. A level-0 commit makes the changes visible to transactions
    /// that begin later and, in [`CommitMode::Durable`], returns once the commit record is
    /// durable; a transaction that changed nothing logs nothing and never waits.
    ///
    /// Returns the commit record's position when one was written. If appending the record
    /// fails the transaction is left open as it was; if only the durable wait fails the
    /// transaction is committed in memory and the error says the record may not be durable.
    pub fn commit_transaction(&mut self, mode: CommitMode) -> Result<Option<Lgpos>, Error> {
        let outcome = self.ver.commit(self.id, mode)?;
        if let Some(lgpos) = outcome.lgpos
            && mode == CommitMode::Durable
            && outcome.had_changes
        {
            self.ver.wait_durable(lgpos)?;
        }
        Ok(outcome.lgpos)
    }

    /// Returns once this session's most recent level-0 commit is durable (JetCommitTransaction
    /// with JET_bitWaitLastLevel0Commit, typically after lazy commits; usable outside a
    /// transaction).
    pub fn wait_last_level0_commit(&self) -> Result<(), Error> {
        match self.ver.last_commit(self.id) {
            Some(lgpos) => self.ver.wait_durable(lgpos),
            None => Ok(()),
        }
    }

    /// Undoes the innermost level only, newest change first, through `undo` (JetRollback).
    pub fn rollback(&mut self, undo: &mut dyn Undo) -> Result<(), Error> {
        self.ver.rollback(self.id, undo)
    }

    /// Undoes every level (JetRollback with JET_bitRollbackAll).
    pub fn rollback_all(&mut self, undo: &mut dyn Undo) -> Result<(), Error> {
        if self.level() == 0 {
            return Err(Error::NotInTransaction);
        }
        while self.level() > 0 {
            self.ver.rollback(self.id, undo)?;
        }
        Ok(())
    }

    /// Ends the session (JetEndSession), rolling back any open transaction through `undo`.
    ///
    /// Dropping a session inside a transaction instead abandons it: its versions stay, still
    /// uncommitted, so no one ever reads its changes, but cleanup stops at its begin.
    pub fn end_session(mut self, undo: &mut dyn Undo) -> Result<(), Error> {
        if self.level() > 0 {
            self.rollback_all(undo)?;
        }
        Ok(())
    }

    /// How this session must read the node `key` of `obj` (see
    /// [`VersionStore::visible_version`]).
    pub fn visible_version(&self, obj: ObjId, key: &[u8]) -> Visibility {
        self.ver.visible_version(self, obj, key)
    }

    /// Fails with [`Error::WriteConflict`] if this session could not change the node now;
    /// records nothing (a probe for JetPrepareUpdate without a lock).
    pub fn check_write(&self, obj: ObjId, key: &[u8]) -> Result<(), Error> {
        self.ver.check_write(self.id, obj, key)
    }

    /// Records the insert of node `key` into `obj`, before the B-tree makes it. `reused` is the
    /// data of the flag-deleted node the insert takes over, if there is one.
    pub fn version_insert(
        &mut self,
        obj: ObjId,
        key: &[u8],
        reused: Option<&[u8]>,
    ) -> Result<(), Error> {
        let op = Op::Insert {
            reused: reused.map(Arc::from),
        };
        self.ver.record(self.id, obj, key, op)
    }

    /// Records the replacement of the node's data; `before` is the data being replaced.
    pub fn version_replace(&mut self, obj: ObjId, key: &[u8], before: &[u8]) -> Result<(), Error> {
        let op = Op::Replace {
            before: Arc::from(before),
        };
        self.ver.record(self.id, obj, key, op)
    }

    /// Records the flag-delete of the node (its data stays in the node until cleanup).
    pub fn version_flag_delete(&mut self, obj: ObjId, key: &[u8]) -> Result<(), Error> {
        self.version_flag_delete_at(obj, key, Pgno::NULL)
    }

    /// [`Session::version_flag_delete`] of a node on leaf `leaf`, which cleanup tries first
    /// when it removes the node.
    pub fn version_flag_delete_at(
        &mut self,
        obj: ObjId,
        key: &[u8],
        leaf: Pgno,
    ) -> Result<(), Error> {
        self.ver.record(self.id, obj, key, Op::FlagDelete { leaf })
    }

    /// Records an escrow update adding `delta` to `field` of the node (JetEscrowUpdate): it
    /// conflicts with no other session's deltas, only with their other changes and locks.
    pub fn version_escrow(
        &mut self,
        obj: ObjId,
        key: &[u8],
        field: u32,
        delta: i64,
    ) -> Result<(), Error> {
        self.ver
            .record(self.id, obj, key, Op::Delta { field, delta })
    }

    /// The read-only flag and begin timestamp of the open transaction, read at once; `None`
    /// at level 0.
    pub(crate) fn txn_state(&self) -> Option<(bool, Trx)> {
        self.ver.txn_state(self.id)
    }

    /// Forgets this session's newest version if it is for the node (`obj`, `key`): the
    /// change it was recorded for failed before touching the node. Returns whether one was.
    pub(crate) fn unrecord_last(&mut self, obj: ObjId, key: &[u8]) -> bool {
        self.ver.unrecord_last(self.id, obj, key)
    }

    /// Locks the node until the outermost commit or rollback (JetGetLock): read locks are
    /// shared with other read locks, write locks with nothing. Taking read locks on what a
    /// transaction reads prevents write skew.
    pub fn get_lock(&mut self, obj: ObjId, key: &[u8], kind: LockKind) -> Result<(), Error> {
        self.ver.record(self.id, obj, key, Op::Lock(kind))
    }
}
