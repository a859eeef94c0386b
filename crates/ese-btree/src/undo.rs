//! The undo field of node-change records: what undo needs, and which records are undos.
//!
//! Every page-operation record carries, in the ese-log record's `undo` field, one
//! [`UndoInfo`]. Only the first tree-page record of an operation carries a non-empty one (the
//! others, splits and space changes it caused, are structural):
//!
//! * **Before-image** (insert, replace, flag delete): the tree (objid and root, so recovery can
//!   open it without the catalog), the key, and the node's flags and data before the change,
//!   if it existed. Undo puts it back wherever the key now lives (the page may have split or
//!   merged since), as a new logged change: [`crate::BTree::undo`].
//! * **Escrow delta** ([`crate::BTree::escrow`]): the tree, the key, where in the data the
//!   counter is, its width and the delta added. Other transactions' committed deltas may live
//!   in the same counter, so undo is logical: add `-delta` ([`crate::BTree::undo_escrow`]).
//! * **Compensation**: the record *is* an undo. It undoes the newest change of its
//!   transaction that no earlier compensation has undone (ARIES' compensation log record,
//!   ESE's undo records). Both undo functions log their change this way, at run time and in
//!   recovery alike, so a recovery scanning the log keeps, per transaction, a stack of
//!   undoable changes (before-images and escrow deltas), pops it at every compensation, and
//!   at the end undoes what is left, newest first; nothing is ever undone twice.
//! * **Structural** (an empty field): splits, merges, space maps, page formats. Never undone.
//!
//! ```text
//!   undo := (empty)                                                             structural
//!         | 1 | objid u32 | root u32 | key_len u16 | key | present u8 |
//!               (flags u8 | data_len u16 | data)  -- when present = 1          before-image
//!         | 2 |                                                                compensation
//!         | 3 | objid u32 | root u32 | key_len u16 | key | offset u16 | width u8 |
//!               delta i64                                                      escrow delta
//! ```
//!
//! All integers are little-endian. Decoding never panics and accepts only the exact layout
//! (no trailing bytes, width 4 or 8, a present byte of 0 or 1).

use ese_core::Pgno;

use crate::error::{Result, corrupt};
use crate::node::NodeFlags;

const TAG_BEFORE_IMAGE: u8 = 1;
const TAG_COMPENSATION: u8 = 2;
const TAG_ESCROW: u8 = 3;

/// A node as it was before a change: `before` is `None` when the key did not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BeforeImage {
    /// The tree's object id.
    pub objid: u32,
    /// The tree's root page.
    pub root: Pgno,
    /// The key.
    pub key: Vec<u8>,
    /// The node's flags and data before the change, if it existed.
    pub before: Option<(NodeFlags, Vec<u8>)>,
}

/// An escrow update: `delta` was added to the little-endian signed integer of `width` bytes
/// at `offset` in the data of the node with `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscrowDelta {
    /// The tree's object id.
    pub objid: u32,
    /// The tree's root page.
    pub root: Pgno,
    /// The key.
    pub key: Vec<u8>,
    /// Where the counter starts in the node's data.
    pub offset: u16,
    /// The counter's width in bytes: 4 or 8.
    pub width: u8,
    /// What was added (two's complement, wrapping at the width).
    pub delta: i64,
}

/// What a page-operation record's undo field says (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UndoInfo {
    /// A structural record: never undone (an empty field).
    Structural,
    /// A node change, undone by putting the before-image back.
    BeforeImage(BeforeImage),
    /// This record undoes its transaction's newest change not yet compensated.
    Compensation,
    /// An escrow update, undone by adding `-delta`.
    Escrow(EscrowDelta),
}

fn put_tree_key(out: &mut Vec<u8>, objid: u32, root: Pgno, key: &[u8]) {
    out.extend_from_slice(&objid.to_le_bytes());
    out.extend_from_slice(&root.0.to_le_bytes());
    // Keys are bounded by the page size, so their lengths fit in u16.
    out.extend_from_slice(&(key.len() as u16).to_le_bytes());
    out.extend_from_slice(key);
}

/// Appends the undo field of a [`BeforeImage`] made of these parts to `out`: what
/// [`UndoInfo::encode`] writes for it, without building the image (and copying its key and
/// data) first.
pub(crate) fn encode_before_image(
    out: &mut Vec<u8>,
    objid: u32,
    root: Pgno,
    key: &[u8],
    before: Option<(NodeFlags, &[u8])>,
) {
    out.reserve(16 + key.len() + before.map_or(0, |(_, d)| d.len()));
    out.push(TAG_BEFORE_IMAGE);
    put_tree_key(out, objid, root, key);
    match before {
        None => out.push(0),
        Some((flags, data)) => {
            out.push(1);
            out.push(flags.0);
            // Data is bounded by the page size.
            out.extend_from_slice(&(data.len() as u16).to_le_bytes());
            out.extend_from_slice(data);
        }
    }
}

/// A bounds-checked cursor over an undo field.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Option<i64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(i64::from_le_bytes(a))
    }
    fn tree_key(&mut self) -> Option<(u32, Pgno, Vec<u8>)> {
        let objid = self.u32()?;
        let root = Pgno(self.u32()?);
        let n = usize::from(self.u16()?);
        Some((objid, root, self.take(n)?.to_vec()))
    }
}

impl UndoInfo {
    /// Encodes the field for a log record's `undo`.
    pub fn encode(&self) -> Vec<u8> {
        // Sized once: the tag, the tree and key (10 bytes and the key), then the rest.
        let mut out = Vec::with_capacity(match self {
            UndoInfo::BeforeImage(img) => {
                16 + img.key.len() + img.before.as_ref().map_or(0, |(_, d)| d.len())
            }
            UndoInfo::Escrow(e) => 24 + e.key.len(),
            UndoInfo::Structural | UndoInfo::Compensation => 1,
        });
        match self {
            UndoInfo::Structural => {}
            UndoInfo::BeforeImage(img) => {
                let before = img.before.as_ref().map(|(f, d)| (*f, d.as_slice()));
                encode_before_image(&mut out, img.objid, img.root, &img.key, before);
            }
            UndoInfo::Compensation => out.push(TAG_COMPENSATION),
            UndoInfo::Escrow(e) => {
                out.push(TAG_ESCROW);
                put_tree_key(&mut out, e.objid, e.root, &e.key);
                out.extend_from_slice(&e.offset.to_le_bytes());
                out.push(e.width);
                out.extend_from_slice(&e.delta.to_le_bytes());
            }
        }
        out
    }

    /// Decodes a log record's undo field; `pgno` names the record's page in errors. Never
    /// panics; anything but the exact layout is a corruption (JET_errReadVerifyFailure).
    pub fn decode(bytes: &[u8], pgno: Pgno) -> Result<UndoInfo> {
        match Self::parse(bytes) {
            Some(info) => Ok(info),
            None => corrupt(pgno, "a logged undo field is malformed"),
        }
    }

    fn parse(bytes: &[u8]) -> Option<UndoInfo> {
        let mut r = Reader { bytes };
        let info = match r.u8() {
            None => return Some(UndoInfo::Structural),
            Some(TAG_BEFORE_IMAGE) => {
                let (objid, root, key) = r.tree_key()?;
                let before = match r.u8()? {
                    0 => None,
                    1 => {
                        let flags = NodeFlags(r.u8()?);
                        let n = usize::from(r.u16()?);
                        Some((flags, r.take(n)?.to_vec()))
                    }
                    _ => return None,
                };
                UndoInfo::BeforeImage(BeforeImage {
                    objid,
                    root,
                    key,
                    before,
                })
            }
            Some(TAG_COMPENSATION) => UndoInfo::Compensation,
            Some(TAG_ESCROW) => {
                let (objid, root, key) = r.tree_key()?;
                let offset = r.u16()?;
                let width = r.u8()?;
                if width != 4 && width != 8 {
                    return None;
                }
                UndoInfo::Escrow(EscrowDelta {
                    objid,
                    root,
                    key,
                    offset,
                    width,
                    delta: r.i64()?,
                })
            }
            Some(_) => return None,
        };
        r.bytes.is_empty().then_some(info)
    }

    /// Whether recovery must undo this record if its transaction never committed (a
    /// before-image or an escrow delta).
    pub fn is_undoable(&self) -> bool {
        matches!(self, UndoInfo::BeforeImage(_) | UndoInfo::Escrow(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn samples() -> Vec<UndoInfo> {
        vec![
            UndoInfo::Structural,
            UndoInfo::BeforeImage(BeforeImage {
                objid: 9,
                root: Pgno(4),
                key: b"key".to_vec(),
                before: None,
            }),
            UndoInfo::BeforeImage(BeforeImage {
                objid: 2,
                root: Pgno(77),
                key: vec![7; 300],
                before: Some((NodeFlags::DELETED, vec![1, 2, 3])),
            }),
            UndoInfo::Compensation,
            UndoInfo::Escrow(EscrowDelta {
                objid: 3,
                root: Pgno(5),
                key: b"counter".to_vec(),
                offset: 12,
                width: 8,
                delta: -5,
            }),
            UndoInfo::Escrow(EscrowDelta {
                objid: 3,
                root: Pgno(5),
                key: Vec::new(),
                offset: 0,
                width: 4,
                delta: i64::from(i32::MIN),
            }),
        ]
    }

    #[test]
    fn every_kind_round_trips_and_every_cut_is_rejected() {
        for info in samples() {
            let bytes = info.encode();
            assert_eq!(UndoInfo::decode(&bytes, Pgno(1)).unwrap(), info);
            for cut in 1..bytes.len() {
                let err = UndoInfo::decode(&bytes[..cut], Pgno(1)).unwrap_err();
                assert_eq!(err.corrupt_pgno(), Some(Pgno(1)), "{info:?} cut at {cut}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(UndoInfo::decode(&longer, Pgno(1)).is_err(), "{info:?}");
        }
        assert_eq!(
            UndoInfo::decode(&[], Pgno(1)).unwrap(),
            UndoInfo::Structural
        );
        assert!(!UndoInfo::Compensation.is_undoable());
        assert!(!UndoInfo::Structural.is_undoable());
    }

    #[test]
    fn bad_tags_widths_and_present_bytes_are_rejected() {
        assert!(UndoInfo::decode(&[0], Pgno(1)).is_err());
        assert!(UndoInfo::decode(&[4], Pgno(1)).is_err());
        let mut escrow = samples()[4].encode();
        let width_at = escrow.len() - 9;
        escrow[width_at] = 5;
        assert!(UndoInfo::decode(&escrow, Pgno(1)).is_err());
        let mut img = samples()[1].encode();
        let last = img.len() - 1;
        img[last] = 2;
        assert!(UndoInfo::decode(&img, Pgno(1)).is_err());
    }

    proptest! {
        #[test]
        fn garbage_never_panics_and_what_decodes_re_encodes(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            tag in 1u8..4,
        ) {
            let mut tagged = vec![tag];
            tagged.extend_from_slice(&bytes);
            for input in [&bytes[..], &tagged[..]] {
                if let Ok(info) = UndoInfo::decode(input, Pgno(3)) {
                    prop_assert_eq!(info.encode(), input.to_vec());
                }
            }
        }
    }
}
