//! Escrow updates (ESE's JetEscrowUpdate at the B-tree level) and their logical undo.
//!
//! An escrow update adds a delta to a counter inside a node's data: a little-endian signed
//! integer of 4 or 8 bytes at a given offset, wrapping at its width. Several transactions may
//! hold uncommitted deltas on the same counter at once (that is the point of escrow), so a
//! counter cannot be rolled back by restoring a before-image, which would also wipe the
//! others' deltas. Instead:
//!
//! ```text
//!   escrow(trx, key, offset, width, +d)   log: ReplaceNode { Patch(counter) } undo = Escrow(+d)
//!   undo_escrow(trx, Escrow(+d))           log: ReplaceNode { Patch(counter) } undo = Compensation
//!                                              (adds -d to whatever the counter holds now)
//! ```
//!
//! The change is a [`crate::LineOp::Patch`] of the counter's bytes (and of the node's flags
//! byte when it gains the versioned bit), so it never changes the node's size and never
//! splits. Neither function asks [`crate::VersionCheck::may_modify`]: escrow updates of
//! different transactions commute, and the caller's version store records the delta
//! (ese-txn's escrow versions) and refuses conflicting non-escrow changes.

use ese_core::Trx;

use crate::db::RecKind;
use crate::error::{Error, Result, corrupt};
use crate::node::{NODE_HEADER_BYTES, NodeFlags};
use crate::redo::LineOp;
use crate::tree::{BTree, Latch, WriteLatch};
use crate::undo::{EscrowDelta, UndoInfo};

/// Reads the counter of `width` bytes (4 or 8) in `field`.
fn read_counter(field: &[u8], width: u8) -> Option<i64> {
    match width {
        4 => Some(i64::from(i32::from_le_bytes(field.try_into().ok()?))),
        8 => Some(i64::from_le_bytes(field.try_into().ok()?)),
        _ => None,
    }
}

/// The counter `old + delta`, wrapping at `width` bytes, encoded.
fn add_counter(old: i64, delta: i64, width: u8) -> Vec<u8> {
    if width == 4 {
        // Wrapping at 32 bits: only the low half of each operand counts.
        (old as i32)
            .wrapping_add(delta as i32)
            .to_le_bytes()
            .to_vec()
    } else {
        old.wrapping_add(delta).to_le_bytes().to_vec()
    }
}

impl BTree {
    /// Adds `delta` to the little-endian signed integer of `width` bytes (4 or 8, wrapping at
    /// that width) at `offset` in the data of the live node with `key`, and returns the
    /// integer as it was. The change is logged with an escrow undo field
    /// ([`UndoInfo::Escrow`]), so rollback and recovery undo it by adding `-delta`
    /// ([`BTree::undo_escrow`]). A 4-byte counter takes a delta that fits in an `i32`.
    pub fn escrow(&self, trx: Trx, key: &[u8], offset: u16, width: u8, delta: i64) -> Result<i64> {
        let _w = self.db.lock.write();
        self.escrow_unlatched(trx, key, offset, width, delta)
    }

    /// [`BTree::escrow`] under a write latch the caller already holds.
    pub fn escrow_latched(
        &self,
        latch: &WriteLatch<'_>,
        trx: Trx,
        key: &[u8],
        offset: u16,
        width: u8,
        delta: i64,
    ) -> Result<i64> {
        self.check_own_latch(latch)?;
        self.escrow_unlatched(trx, key, offset, width, delta)
    }

    /// Undoes an escrow update logically, adding `-undo.delta` to the counter whatever it
    /// holds now (other transactions' deltas stay), logged as a compensation
    /// ([`UndoInfo::Compensation`]): what rollback and recovery call for an
    /// [`UndoInfo::Escrow`] field. The node may be flag-deleted meanwhile (its counter is
    /// still restored).
    pub fn undo_escrow(&self, trx: Trx, undo: &EscrowDelta) -> Result<()> {
        let _w = self.db.lock.write();
        self.undo_escrow_unlatched(trx, undo)
    }

    /// [`BTree::undo_escrow`] under a write latch the caller already holds.
    pub fn undo_escrow_latched(
        &self,
        latch: &WriteLatch<'_>,
        trx: Trx,
        undo: &EscrowDelta,
    ) -> Result<()> {
        self.check_own_latch(latch)?;
        self.undo_escrow_unlatched(trx, undo)
    }

    fn check_own_latch(&self, latch: &dyn Latch) -> Result<()> {
        if std::ptr::eq(latch.database(), &*self.db) {
            Ok(())
        } else {
            Err(Error::InvalidParameter("a latch of another database"))
        }
    }

    /// Runs an undo's node change with a compensation riding on its first tree-page record
    /// (see [`crate::undo`]).
    pub(crate) fn compensate(&self, change: impl FnOnce() -> Result<bool>) -> Result<()> {
        self.db.atomic(|| {
            self.db.set_undo(Some(UndoInfo::Compensation.encode()));
            let result = change();
            self.db.set_undo(None);
            result.map(|_| ())
        })
    }

    fn escrow_unlatched(
        &self,
        trx: Trx,
        key: &[u8],
        offset: u16,
        width: u8,
        delta: i64,
    ) -> Result<i64> {
        if width == 4 && i32::try_from(delta).is_err() {
            return Err(Error::InvalidParameter(
                "an escrow delta wider than its counter",
            ));
        }
        let undo = UndoInfo::Escrow(EscrowDelta {
            objid: self.objid,
            root: self.root,
            key: key.to_vec(),
            offset,
            width,
            delta,
        });
        let versioned = trx != Trx::MIN;
        self.db.atomic(|| {
            self.db.set_undo(Some(undo.encode()));
            let result = self.patch_counter(trx, key, offset, width, delta, false, versioned);
            self.db.set_undo(None);
            result
        })
    }

    fn undo_escrow_unlatched(&self, trx: Trx, undo: &EscrowDelta) -> Result<()> {
        if undo.objid != self.objid {
            return Err(Error::InvalidParameter("an escrow undo of another tree"));
        }
        self.compensate(|| {
            self.patch_counter(
                trx,
                &undo.key,
                undo.offset,
                undo.width,
                undo.delta.wrapping_neg(),
                true,
                false,
            )
            .map(|_| false)
        })
    }

    /// Adds `delta` to the counter of the node with `key` as one logged patch (carrying the
    /// undo field already set), and returns the old value. `deleted_ok` accepts a
    /// flag-deleted node; `versioned` sets the node's versioned bit.
    #[allow(clippy::too_many_arguments)]
    fn patch_counter(
        &self,
        trx: Trx,
        key: &[u8],
        offset: u16,
        width: u8,
        delta: i64,
        deleted_ok: bool,
        versioned: bool,
    ) -> Result<i64> {
        if width != 4 && width != 8 {
            return Err(Error::InvalidParameter("an escrow width other than 4 or 8"));
        }
        let (_, leaf) = self.descend(key)?;
        let (ops, old) = {
            let page = self.db.read_page(leaf)?;
            let tp = self.tree_page(&page, leaf)?;
            let (i, found) = tp.lower_bound(key)?;
            if !found {
                return Err(Error::RecordNotFound);
            }
            let node = tp.node(i)?;
            if node.flags.contains(NodeFlags::DELETED) && !deleted_ok {
                return Err(Error::RecordNotFound);
            }
            let at = usize::from(offset);
            let Some(field) = node.payload.get(at..at + usize::from(width)) else {
                return Err(Error::InvalidParameter(
                    "an escrow counter outside the data",
                ));
            };
            let Some(old) = read_counter(field, width) else {
                return corrupt(leaf, "an escrow counter could not be read");
            };
            // The line is | flags | prefix_used u16 | suffix_len u16 | suffix | data |.
            let Ok(data_at) = u16::try_from(NODE_HEADER_BYTES + node.suffix.len() + at) else {
                return corrupt(leaf, "an escrow counter lies past any page");
            };
            let Ok(index) = u16::try_from(i + 1) else {
                return corrupt(leaf, "a node index past any page");
            };
            let mut ops = Vec::with_capacity(2);
            let flags = if versioned {
                node.flags.with(NodeFlags::VERSIONED)
            } else {
                node.flags
            };
            if flags != node.flags {
                ops.push(LineOp::Patch {
                    index,
                    offset: 0,
                    bytes: vec![flags.0],
                });
            }
            ops.push(LineOp::Patch {
                index,
                offset: data_at,
                bytes: add_counter(old, delta, width),
            });
            (ops, old)
        };
        self.db.change(leaf, RecKind::Replace, trx, &ops, false)?;
        Ok(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_wrap_at_their_width() {
        assert_eq!(read_counter(&7i32.to_le_bytes(), 4), Some(7));
        assert_eq!(read_counter(&(-7i64).to_le_bytes(), 8), Some(-7));
        assert_eq!(read_counter(&[0; 3], 4), None);
        assert_eq!(read_counter(&[0; 4], 5), None);
        assert_eq!(
            add_counter(i64::from(i32::MAX), 1, 4),
            i32::MIN.to_le_bytes()
        );
        assert_eq!(add_counter(i64::MAX, 1, 8), i64::MIN.to_le_bytes());
        assert_eq!(add_counter(5, -7, 8), (-2i64).to_le_bytes());
    }
}
