//! Long values: reassembling a separated value from its table's long-value tree.
//!
//! ```text
//!  key LID (big-endian, 4 or 8 bytes)          -> LVROOT: u32 refcount, u32 total size [, u8 flags]
//!  key LID ++ u32 offset (big-endian)          -> chunk bytes (possibly compressed on its own)
//! ```
//!
//! Chunks are read in key order from `LID ++ 0` until the total size is reached. A chunk
//! shorter than the gap to the next chunk's offset is compressed and is decompressed to exactly
//! that gap. The number of chunks is bounded by the total size, and every byte of output comes
//! from a chunk on disk, so a hostile size cannot cause a huge allocation.

use crate::btree::TreeCursor;
use crate::compress::decompress;
use crate::error::{Error, Result};
use crate::pager::Pager;

/// Cap on the up-front allocation for a long value; larger values grow as chunks arrive.
const LV_PREALLOC_MAX: usize = 1 << 20;

/// A long value read from the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongValue {
    /// The reassembled bytes.
    pub data: Vec<u8>,
    /// How many of its chunks were compressed.
    pub compressed_chunks: usize,
}

/// The LID of a separated value, from the bytes the record stores (4 or 8, little-endian).
pub fn lid_from_record(b: &[u8]) -> Result<u64> {
    match b.len() {
        4 => Ok(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        8 => {
            let mut w = [0u8; 8];
            w.copy_from_slice(b);
            Ok(u64::from_le_bytes(w))
        }
        n => Err(Error::corrupt(format!(
            "separated value with a {n}-byte LID"
        ))),
    }
}

/// Read the long value whose record bytes (its LID) are `lid_bytes` from the LV tree at
/// `lv_root`.
pub fn read_long_value(pager: &Pager, lv_root: u32, lid_bytes: &[u8]) -> Result<LongValue> {
    let lid = lid_from_record(lid_bytes)?;
    let key: Vec<u8> = lid_bytes.iter().rev().copied().collect();
    let err = |what: String| Error::LongValue { lid, what };
    let mut cur = TreeCursor::seek(pager, lv_root, &key)?;
    let root = cur
        .next()
        .transpose()?
        .ok_or_else(|| err("not in the long-value tree".into()))?;
    if root.key != key {
        return Err(err("not in the long-value tree".into()));
    }
    if root.data.len() < 8 {
        return Err(err(format!("LVROOT of {} bytes", root.data.len())));
    }
    let size =
        u32::from_le_bytes([root.data[4], root.data[5], root.data[6], root.data[7]]) as usize;
    if root.data.len() > 8 && root.data[8] & 1 != 0 {
        return Err(Error::Unsupported("encrypted long values".into()));
    }
    let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
    while let Some(entry) = cur.next().transpose()? {
        if entry.key.len() != key.len() + 4 || !entry.key.starts_with(&key) {
            break;
        }
        let t = &entry.key[key.len()..];
        let offset = u32::from_be_bytes([t[0], t[1], t[2], t[3]]) as usize;
        if offset >= size {
            return Err(err(format!(
                "chunk at offset {offset} past the size {size}"
            )));
        }
        match chunks.last() {
            Some(last) if offset <= last.0 => {
                return Err(err("chunk offsets do not increase".into()));
            }
            None if offset != 0 => return Err(err(format!("first chunk at offset {offset}"))),
            _ => {}
        }
        chunks.push((offset, entry.data));
    }
    let mut data = Vec::with_capacity(size.min(LV_PREALLOC_MAX));
    let mut compressed_chunks = 0;
    for (i, (offset, bytes)) in chunks.iter().enumerate() {
        let end = chunks.get(i + 1).map_or(size, |c| c.0);
        let want = end
            .checked_sub(*offset)
            .ok_or_else(|| err("chunk past the total size".into()))?;
        if bytes.len() == want {
            data.extend_from_slice(bytes);
        } else if bytes.len() < want {
            let plain = decompress(bytes)?;
            if plain.len() != want {
                return Err(err(format!(
                    "chunk at {offset} decompressed to {} bytes, expected {want}",
                    plain.len()
                )));
            }
            compressed_chunks += 1;
            data.extend_from_slice(&plain);
        } else {
            return Err(err(format!("chunk at {offset} longer than its share")));
        }
    }
    if data.len() != size {
        return Err(err(format!("reassembled {} of {size} bytes", data.len())));
    }
    Ok(LongValue {
        data,
        compressed_chunks,
    })
}
