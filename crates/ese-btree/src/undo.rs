//! Before-images for undo: what a node looked like before a transaction changed it.
//!
//! The record that carries a node change (insert, replace, flag delete) also carries, in the
//! ese-log record's `undo` field, the node's *before-image*: its key and, if the node existed,
//! its flags and data. Undo is logical, as in ESE: [`crate::BTree::undo`] puts the before-image
//! back wherever the key now lives (the page may have split or merged since), as a new logged
//! change. Structural records (splits, merges, space) carry no before-image: they are never
//! undone.
//!
//! ```text
//!   undo := | objid u32 | key_len u16 | key | present u8 | (flags u8 | data_len u16 | data) |
//! ```

use ese_core::Pgno;

use crate::error::{Result, corrupt};
use crate::node::NodeFlags;

/// A node as it was before a change: `before` is `None` when the key did not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BeforeImage {
    /// The tree's object id.
    pub objid: u32,
    /// The key.
    pub key: Vec<u8>,
    /// The node's flags and data before the change, if it existed.
    pub before: Option<(NodeFlags, Vec<u8>)>,
}

impl BeforeImage {
    /// Encodes the before-image for a log record's undo field.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12 + self.key.len());
        out.extend_from_slice(&self.objid.to_le_bytes());
        // Keys and data are bounded by the page size, so their lengths fit in u16.
        out.extend_from_slice(&(self.key.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.key);
        match &self.before {
            None => out.push(0),
            Some((flags, data)) => {
                out.push(1);
                out.push(flags.0);
                out.extend_from_slice(&(data.len() as u16).to_le_bytes());
                out.extend_from_slice(data);
            }
        }
        out
    }

    /// Decodes a log record's undo field; `pgno` names the record's page in errors. An empty
    /// field (a structural record) is `None`. Never panics.
    pub fn decode(bytes: &[u8], pgno: Pgno) -> Result<Option<BeforeImage>> {
        if bytes.is_empty() {
            return Ok(None);
        }
        let bad = || corrupt(pgno, "a logged before-image is malformed");
        let take = |at: usize, n: usize| bytes.get(at..at + n);
        let Some(objid) = take(0, 4) else {
            return bad();
        };
        let objid = u32::from_le_bytes([objid[0], objid[1], objid[2], objid[3]]);
        let Some(kl) = take(4, 2) else { return bad() };
        let kl = u16::from_le_bytes([kl[0], kl[1]]) as usize;
        let Some(key) = take(6, kl) else { return bad() };
        let at = 6 + kl;
        let before = match bytes.get(at) {
            Some(0) if bytes.len() == at + 1 => None,
            Some(1) => {
                let (Some(&flags), Some(dl)) = (bytes.get(at + 1), take(at + 2, 2)) else {
                    return bad();
                };
                let dl = u16::from_le_bytes([dl[0], dl[1]]) as usize;
                match take(at + 4, dl) {
                    Some(data) if bytes.len() == at + 4 + dl => {
                        Some((NodeFlags(flags), data.to_vec()))
                    }
                    _ => return bad(),
                }
            }
            _ => return bad(),
        };
        Ok(Some(BeforeImage {
            objid,
            key: key.to_vec(),
            before,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_images_round_trip_and_garbage_never_panics() {
        let images = [
            BeforeImage {
                objid: 9,
                key: b"key".to_vec(),
                before: None,
            },
            BeforeImage {
                objid: 2,
                key: vec![7; 300],
                before: Some((NodeFlags::DELETED, vec![1, 2, 3])),
            },
        ];
        for img in images {
            let bytes = img.encode();
            assert_eq!(BeforeImage::decode(&bytes, Pgno(1)).unwrap(), Some(img));
            for cut in 1..bytes.len() {
                assert!(BeforeImage::decode(&bytes[..cut], Pgno(1)).is_err());
            }
        }
        assert_eq!(BeforeImage::decode(&[], Pgno(1)).unwrap(), None);
    }
}
