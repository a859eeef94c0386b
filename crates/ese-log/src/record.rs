//! Typed log records and their byte encoding.
//!
//! A record travels in a *frame*: its body length, then the body, whose first byte names the
//! record type. Every integer is little-endian; byte strings carry a `u32` length.
//!
//! ```text
//!   frame:  | body_len u32 | kind u8 | fields ...                       |
//!   page op fields:
//!           | trx u64 | db u32 | pgno u32 | dbtime_before u64 | dbtime_after u64 |
//!           | payload_len u32 | payload ... | undo_len u32 | undo ... | (extra pgno u32) |
//! ```
//!
//! Frames are protected by the checksums of the sectors that carry them (see `format`), so
//! they carry no checksum of their own. Decoding never panics: every length is checked against
//! the bytes that are left and against [`RECORD_MAX_BYTES`].
//!
//! Adding a record type is one more variant of [`LogRecord`], one more [`kind`] byte, and one
//! arm in each of `encode_body` and `decode_body`.

use ese_core::{DbId, Dbtime, Pgno, Trx};

/// The largest encoded frame: a 32 KiB page image as redo plus one as undo, with room to spare.
pub const RECORD_MAX_BYTES: usize = 256 * 1024;

/// The bytes of a frame's length prefix.
pub const FRAME_HEADER_BYTES: usize = 4;

const _: () = assert!(RECORD_MAX_BYTES > 2 * ese_core::limits::PAGE_SIZE_MAX_BYTES + 1024);

/// The type byte of each record, as stored in the first byte of a body.
pub mod kind {
    /// [`super::LogRecord::BeginTransaction`].
    pub const BEGIN_TRANSACTION: u8 = 1;
    /// [`super::LogRecord::Commit`].
    pub const COMMIT: u8 = 2;
    /// [`super::LogRecord::Rollback`].
    pub const ROLLBACK: u8 = 3;
    /// [`super::LogRecord::InsertNode`].
    pub const INSERT_NODE: u8 = 16;
    /// [`super::LogRecord::ReplaceNode`].
    pub const REPLACE_NODE: u8 = 17;
    /// [`super::LogRecord::DeleteNode`].
    pub const DELETE_NODE: u8 = 18;
    /// [`super::LogRecord::Split`].
    pub const SPLIT: u8 = 19;
    /// [`super::LogRecord::Merge`].
    pub const MERGE: u8 = 20;
    /// [`super::LogRecord::NewPage`].
    pub const NEW_PAGE: u8 = 21;
    /// [`super::LogRecord::FreePage`].
    pub const FREE_PAGE: u8 = 22;
}

/// A change to one page: what redo needs (the page, its dbtime before and after, the redo
/// payload) and what undo needs (the undo payload). The B-tree layer defines the payloads.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PageOp {
    /// The transaction that made the change.
    pub trx: Trx,
    /// The database the page belongs to.
    pub db: DbId,
    /// The page changed.
    pub pgno: Pgno,
    /// The page's dbtime before the change: redo applies the record only to a page at this dbtime.
    pub dbtime_before: Dbtime,
    /// The page's dbtime after the change.
    pub dbtime_after: Dbtime,
    /// What redo applies (opaque here).
    pub payload: Vec<u8>,
    /// What undo needs to reverse the change; empty where undo needs nothing (opaque here).
    pub undo: Vec<u8>,
}

/// Every record the log holds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogRecord {
    /// A transaction began at `level` (0 is the outermost).
    BeginTransaction {
        /// The transaction.
        trx: Trx,
        /// The nesting level it began at.
        level: u8,
    },
    /// A transaction committed to level 0: its changes are durable once this record is.
    Commit {
        /// The transaction.
        trx: Trx,
        /// Its commit timestamp.
        commit_trx: Trx,
    },
    /// A transaction rolled back the level `level` it had begun.
    Rollback {
        /// The transaction.
        trx: Trx,
        /// The level rolled back.
        level: u8,
    },
    /// A node inserted into a page.
    InsertNode(PageOp),
    /// A node replaced in place.
    ReplaceNode(PageOp),
    /// A node deleted (flag-deleted or removed).
    DeleteNode(PageOp),
    /// A page split, moving part of `op.pgno` to `new_pgno`.
    Split {
        /// The page split and its payloads.
        op: PageOp,
        /// The page that receives the moved nodes.
        new_pgno: Pgno,
    },
    /// A page merged into `sibling_pgno`.
    Merge {
        /// The page emptied and its payloads.
        op: PageOp,
        /// The page that receives its nodes.
        sibling_pgno: Pgno,
    },
    /// A page formatted as new.
    NewPage(PageOp),
    /// A page released to free space.
    FreePage(PageOp),
}

/// A decoding failure: the bytes are not a valid frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt {
    /// What was wrong.
    pub reason: &'static str,
}

fn corrupt<T>(reason: &'static str) -> Result<T, Corrupt> {
    Err(Corrupt { reason })
}

/// A bounds-checked little-endian cursor over a body.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Corrupt> {
        if n > self.bytes.len() {
            return corrupt("record body ends early");
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Corrupt> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, Corrupt> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, Corrupt> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn bytes(&mut self) -> Result<Vec<u8>, Corrupt> {
        let n = self.u32()? as usize;
        Ok(self.take(n)?.to_vec())
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, v: &[u8]) {
    // Lengths are bounded by RECORD_MAX_BYTES before anything is encoded.
    put_u32(out, v.len() as u32);
    out.extend_from_slice(v);
}

impl PageOp {
    /// The encoded size of the fields.
    fn encoded_len(&self) -> usize {
        8 + 4 + 4 + 8 + 8 + 4 + self.payload.len() + 4 + self.undo.len()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_u64(out, self.trx.0);
        put_u32(out, self.db.0);
        put_u32(out, self.pgno.0);
        put_u64(out, self.dbtime_before.0);
        put_u64(out, self.dbtime_after.0);
        put_bytes(out, &self.payload);
        put_bytes(out, &self.undo);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, Corrupt> {
        Ok(PageOp {
            trx: Trx(r.u64()?),
            db: DbId(r.u32()?),
            pgno: Pgno(r.u32()?),
            dbtime_before: Dbtime(r.u64()?),
            dbtime_after: Dbtime(r.u64()?),
            payload: r.bytes()?,
            undo: r.bytes()?,
        })
    }
}

impl LogRecord {
    /// The record's type byte (see [`kind`]).
    pub fn kind(&self) -> u8 {
        match self {
            LogRecord::BeginTransaction { .. } => kind::BEGIN_TRANSACTION,
            LogRecord::Commit { .. } => kind::COMMIT,
            LogRecord::Rollback { .. } => kind::ROLLBACK,
            LogRecord::InsertNode(_) => kind::INSERT_NODE,
            LogRecord::ReplaceNode(_) => kind::REPLACE_NODE,
            LogRecord::DeleteNode(_) => kind::DELETE_NODE,
            LogRecord::Split { .. } => kind::SPLIT,
            LogRecord::Merge { .. } => kind::MERGE,
            LogRecord::NewPage(_) => kind::NEW_PAGE,
            LogRecord::FreePage(_) => kind::FREE_PAGE,
        }
    }

    /// The page operation this record carries, if it is one.
    pub fn page_op(&self) -> Option<&PageOp> {
        match self {
            LogRecord::InsertNode(op)
            | LogRecord::ReplaceNode(op)
            | LogRecord::DeleteNode(op)
            | LogRecord::NewPage(op)
            | LogRecord::FreePage(op)
            | LogRecord::Split { op, .. }
            | LogRecord::Merge { op, .. } => Some(op),
            LogRecord::BeginTransaction { .. }
            | LogRecord::Commit { .. }
            | LogRecord::Rollback { .. } => None,
        }
    }

    /// The size of the body (type byte and fields), without the frame's length prefix.
    pub fn body_len(&self) -> usize {
        1 + match self {
            LogRecord::BeginTransaction { .. } | LogRecord::Rollback { .. } => 8 + 1,
            LogRecord::Commit { .. } => 16,
            LogRecord::Split { op, .. } | LogRecord::Merge { op, .. } => op.encoded_len() + 4,
            LogRecord::InsertNode(op)
            | LogRecord::ReplaceNode(op)
            | LogRecord::DeleteNode(op)
            | LogRecord::NewPage(op)
            | LogRecord::FreePage(op) => op.encoded_len(),
        }
    }

    /// The size of the whole frame.
    pub fn frame_len(&self) -> usize {
        FRAME_HEADER_BYTES + self.body_len()
    }

    /// Appends the frame (length prefix and body) to `out`. Returns `None`, writing nothing,
    /// when the frame would exceed [`RECORD_MAX_BYTES`].
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Option<usize> {
        let frame = self.frame_len();
        if frame > RECORD_MAX_BYTES {
            return None;
        }
        out.reserve(frame);
        // frame <= RECORD_MAX_BYTES, so the body length fits a u32.
        put_u32(out, self.body_len() as u32);
        self.encode_body(out);
        Some(frame)
    }

    /// The frame as a new vector, or `None` when it would exceed [`RECORD_MAX_BYTES`].
    pub fn encode(&self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.encode_into(&mut out).map(|_| out)
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        out.push(self.kind());
        match self {
            LogRecord::BeginTransaction { trx, level } | LogRecord::Rollback { trx, level } => {
                put_u64(out, trx.0);
                out.push(*level);
            }
            LogRecord::Commit { trx, commit_trx } => {
                put_u64(out, trx.0);
                put_u64(out, commit_trx.0);
            }
            LogRecord::Split { op, new_pgno: p }
            | LogRecord::Merge {
                op,
                sibling_pgno: p,
            } => {
                op.encode(out);
                put_u32(out, p.0);
            }
            LogRecord::InsertNode(op)
            | LogRecord::ReplaceNode(op)
            | LogRecord::DeleteNode(op)
            | LogRecord::NewPage(op)
            | LogRecord::FreePage(op) => op.encode(out),
        }
    }

    fn decode_body(body: &[u8]) -> Result<Self, Corrupt> {
        let mut r = Reader { bytes: body };
        let rec = match r.u8()? {
            kind::BEGIN_TRANSACTION => LogRecord::BeginTransaction {
                trx: Trx(r.u64()?),
                level: r.u8()?,
            },
            kind::COMMIT => LogRecord::Commit {
                trx: Trx(r.u64()?),
                commit_trx: Trx(r.u64()?),
            },
            kind::ROLLBACK => LogRecord::Rollback {
                trx: Trx(r.u64()?),
                level: r.u8()?,
            },
            kind::INSERT_NODE => LogRecord::InsertNode(PageOp::decode(&mut r)?),
            kind::REPLACE_NODE => LogRecord::ReplaceNode(PageOp::decode(&mut r)?),
            kind::DELETE_NODE => LogRecord::DeleteNode(PageOp::decode(&mut r)?),
            kind::SPLIT => LogRecord::Split {
                op: PageOp::decode(&mut r)?,
                new_pgno: Pgno(r.u32()?),
            },
            kind::MERGE => LogRecord::Merge {
                op: PageOp::decode(&mut r)?,
                sibling_pgno: Pgno(r.u32()?),
            },
            kind::NEW_PAGE => LogRecord::NewPage(PageOp::decode(&mut r)?),
            kind::FREE_PAGE => LogRecord::FreePage(PageOp::decode(&mut r)?),
            _ => return corrupt("unknown record type"),
        };
        if !r.bytes.is_empty() {
            return corrupt("record body has trailing bytes");
        }
        Ok(rec)
    }

    /// Decodes the frame at the start of `bytes`, returning the record and the frame's length.
    pub fn decode_prefix(bytes: &[u8]) -> Result<(Self, usize), Corrupt> {
        let mut r = Reader { bytes };
        let body_len = r.u32()? as usize;
        if body_len == 0 {
            return corrupt("empty record body");
        }
        if body_len > RECORD_MAX_BYTES - FRAME_HEADER_BYTES {
            return corrupt("record length exceeds RECORD_MAX_BYTES");
        }
        let body = r.take(body_len)?;
        Ok((Self::decode_body(body)?, FRAME_HEADER_BYTES + body_len))
    }

    /// Decodes a buffer holding exactly one frame.
    pub fn decode(bytes: &[u8]) -> Result<Self, Corrupt> {
        let (rec, used) = Self::decode_prefix(bytes)?;
        if used != bytes.len() {
            return corrupt("bytes follow the record frame");
        }
        Ok(rec)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn arb_page_op() -> impl Strategy<Value = PageOp> {
        (
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..300),
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|(trx, db, pgno, b, a, payload, undo)| PageOp {
                trx: Trx(trx),
                db: DbId(db),
                pgno: Pgno(pgno),
                dbtime_before: Dbtime(b),
                dbtime_after: Dbtime(a),
                payload,
                undo,
            })
    }

    pub(crate) fn arb_record() -> impl Strategy<Value = LogRecord> {
        prop_oneof![
            (any::<u64>(), any::<u8>())
                .prop_map(|(t, level)| LogRecord::BeginTransaction { trx: Trx(t), level }),
            (any::<u64>(), any::<u64>()).prop_map(|(t, c)| LogRecord::Commit {
                trx: Trx(t),
                commit_trx: Trx(c)
            }),
            (any::<u64>(), any::<u8>())
                .prop_map(|(t, level)| LogRecord::Rollback { trx: Trx(t), level }),
            arb_page_op().prop_map(LogRecord::InsertNode),
            arb_page_op().prop_map(LogRecord::ReplaceNode),
            arb_page_op().prop_map(LogRecord::DeleteNode),
            (arb_page_op(), any::<u32>()).prop_map(|(op, p)| LogRecord::Split {
                op,
                new_pgno: Pgno(p)
            }),
            (arb_page_op(), any::<u32>()).prop_map(|(op, p)| LogRecord::Merge {
                op,
                sibling_pgno: Pgno(p)
            }),
            arb_page_op().prop_map(LogRecord::NewPage),
            arb_page_op().prop_map(LogRecord::FreePage),
        ]
    }

    proptest! {
        #[test]
        fn every_record_round_trips(rec in arb_record()) {
            let frame = rec.encode().unwrap();
            prop_assert_eq!(frame.len(), rec.frame_len());
            prop_assert_eq!(LogRecord::decode(&frame).unwrap(), rec.clone());
            prop_assert_eq!(rec.page_op().is_some(), rec.kind() >= kind::INSERT_NODE);
            // Every strict prefix is rejected, never mis-decoded.
            for cut in 0..frame.len() {
                prop_assert!(LogRecord::decode(&frame[..cut]).is_err());
            }
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = LogRecord::decode(&bytes);
        }
    }

    #[test]
    fn malformed_frames_are_rejected() {
        let good = LogRecord::Commit {
            trx: Trx(7),
            commit_trx: Trx(9),
        }
        .encode()
        .unwrap();
        let mut trailing = good.clone();
        trailing.push(0);
        let mut unknown = good.clone();
        unknown[4] = 0xee;
        let mut long_body = good.clone();
        long_body[0] += 1;
        long_body.push(0);
        let huge = [0xff, 0xff, 0xff, 0x7f, kind::COMMIT];
        let cases: [(&[u8], &str); 6] = [
            (&[], "record body ends early"),
            (&[0, 0, 0, 0], "empty record body"),
            (&trailing, "bytes follow the record frame"),
            (&unknown, "unknown record type"),
            (&long_body, "record body has trailing bytes"),
            (&huge, "record length exceeds RECORD_MAX_BYTES"),
        ];
        for (bytes, reason) in cases {
            assert_eq!(
                LogRecord::decode(bytes),
                Err(Corrupt { reason }),
                "{bytes:?}"
            );
        }
        let too_big = LogRecord::NewPage(PageOp {
            payload: vec![0; RECORD_MAX_BYTES],
            ..PageOp::default()
        });
        assert_eq!(too_big.encode(), None);
    }
}
