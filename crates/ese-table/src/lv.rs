//! Long values: a table's long-value tree (ESE's LV tree), where separated LongText and
//! LongBinary values live in chunks.
//!
//! # Layout
//!
//! One B-tree per table (catalog Type 4 row, created with the table's first long-value
//! column). A separated value has a long-value id (LID, a `u64` counted per table) and is
//! stored as a root and its chunks:
//!
//! ```text
//! root:   LID u64 BE                       -> refs u32 LE | size u32 LE   (ESE's LVROOT)
//! chunk:  LID u64 BE | offset u32 BE       -> bytes [offset, offset + n)
//! ```
//!
//! Every chunk but the last holds exactly [`LvTree::chunk_bytes`] bytes (ESE's
//! JET_paramLVChunkSizeMost, bounded by what one node can hold), so the chunk holding any
//! offset is found by arithmetic and a value of `size` bytes has ⌈size / chunk⌉ chunks.
//!
//! # Sharing and freeing
//!
//! `refs` counts the records that reference the value: JET_prepInsertCopy shares a value
//! (+1), and a record's delete, or a replace that drops the reference, releases it (−1);
//! at 0 the root and every chunk are deleted. A value referenced by a stored record is
//! never changed in place: an update that changes it works on a copy it made
//! (copy-on-write), so a cancelled update and every other record sharing the value see it
//! unchanged.
//!
//! Every change goes through [`VersionedTree`] in the caller's transaction, so it is
//! versioned (rolled back with the transaction, invisible to others until commit) and
//! logged like any record; crash recovery redoes or undoes it with the rest.

use std::sync::Arc;

use ese_btree::SeekOp;
use ese_btree::node::Node;
use ese_core::limits::{LONG_VALUE_MOST_BYTES, lv_chunk_most_bytes};
use ese_txn::{Session, VersionedTree};
use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::record::LvRef;

/// Bytes of a root's key (the LID).
pub const ROOT_KEY_BYTES: usize = 8;
/// Bytes of a chunk's key (LID and offset).
pub const CHUNK_KEY_BYTES: usize = 12;
/// Bytes of a root's data.
pub const ROOT_BYTES: usize = 8;

/// A separated value's root: its reference count and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LvRoot {
    /// Records referencing the value.
    pub refs: u32,
    /// The value's size in bytes.
    pub size: u64,
}

impl LvRoot {
    fn encode(self) -> Vec<u8> {
        let mut v = Vec::with_capacity(ROOT_BYTES);
        v.extend_from_slice(&self.refs.to_le_bytes());
        v.extend_from_slice(&(self.size as u32).to_le_bytes());
        v
    }

    fn decode(data: &[u8]) -> Result<LvRoot> {
        let b: [u8; ROOT_BYTES] = data
            .try_into()
            .map_err(|_| Error::Corrupt("a long-value root is not 8 bytes"))?;
        let refs = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let size = u64::from(u32::from_le_bytes([b[4], b[5], b[6], b[7]]));
        if size > LONG_VALUE_MOST_BYTES as u64 || refs == 0 {
            return Err(Error::Corrupt("a long-value root is out of range"));
        }
        Ok(LvRoot { refs, size })
    }
}

fn root_key(lv: LvRef) -> Vec<u8> {
    lv.0.to_be_bytes().to_vec()
}

fn chunk_key(lv: LvRef, offset: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(CHUNK_KEY_BYTES);
    k.extend_from_slice(&lv.0.to_be_bytes());
    k.extend_from_slice(&(offset as u32).to_be_bytes());
    k
}

/// One table's long-value tree.
#[derive(Clone, Debug)]
pub struct LvTree {
    tree: VersionedTree,
    chunk: usize,
    next_lid: Arc<Mutex<Option<u64>>>,
}

impl LvTree {
    /// The long-value tree `tree` on pages of `page_size` bytes; `next_lid` is the table's
    /// LID counter, shared by every cursor (`None` until first needed).
    pub fn new(tree: VersionedTree, page_size: usize, next_lid: Arc<Mutex<Option<u64>>>) -> Self {
        let node_most = ese_btree::tree::data_most_bytes(page_size, CHUNK_KEY_BYTES);
        let chunk = lv_chunk_most_bytes(page_size).min(node_most).max(1);
        LvTree {
            tree,
            chunk,
            next_lid,
        }
    }

    /// The bytes of every chunk but a value's last.
    pub fn chunk_bytes(&self) -> usize {
        self.chunk
    }

    /// The tree underneath.
    pub fn tree(&self) -> &VersionedTree {
        &self.tree
    }

    fn alloc_lid(&self) -> Result<LvRef> {
        let mut next = self.next_lid.lock();
        let lid = match *next {
            Some(v) => v,
            None => {
                // The largest LID in the tree as stored, uncommitted and deleted nodes
                // included, so that no LID in flight is handed out again.
                let mut c = self.tree.tree().cursor();
                match c.last_with(&mut |n: &Node| Some(n.payload.clone()))? {
                    Some(e) => {
                        let b: [u8; 8] = e
                            .key
                            .get(..8)
                            .and_then(|s| s.try_into().ok())
                            .ok_or(Error::Corrupt("a long-value key is too short"))?;
                        u64::from_be_bytes(b).checked_add(1).ok_or(Error::Storage {
                            code: ese_core::JetErr::OUT_OF_LONG_VALUE_IDS,
                            message: "long-value ids are exhausted".into(),
                        })?
                    }
                    None => 1,
                }
            }
        };
        *next = Some(lid.checked_add(1).ok_or(Error::Storage {
            code: ese_core::JetErr::OUT_OF_LONG_VALUE_IDS,
            message: "long-value ids are exhausted".into(),
        })?);
        Ok(LvRef(lid))
    }

    /// Stores a new value with one reference and returns its LID.
    pub fn create(&self, session: &mut Session, data: &[u8]) -> Result<LvRef> {
        if data.len() > LONG_VALUE_MOST_BYTES {
            return Err(Error::InvalidParameter(
                "a long value beyond 2 GiB - 1 bytes",
            ));
        }
        let lv = self.alloc_lid()?;
        let root = LvRoot {
            refs: 1,
            size: data.len() as u64,
        };
        self.tree.insert(session, &root_key(lv), &root.encode())?;
        for (i, chunk) in data.chunks(self.chunk).enumerate() {
            let offset = (i * self.chunk) as u64;
            self.tree.insert(session, &chunk_key(lv, offset), chunk)?;
        }
        Ok(lv)
    }

    /// The root of `lv` as `session` sees it; a missing root is JET_errDatabaseCorrupted (a
    /// record references it).
    pub fn root(&self, session: &Session, lv: LvRef) -> Result<LvRoot> {
        let data = self
            .tree
            .get(session, &root_key(lv))?
            .ok_or(Error::Corrupt("a record references a missing long value"))?;
        LvRoot::decode(&data)
    }

    fn put_root(&self, session: &mut Session, lv: LvRef, root: LvRoot) -> Result<()> {
        Ok(self.tree.replace(session, &root_key(lv), &root.encode())?)
    }

    /// The size of chunk `index` of a value of `size` bytes.
    fn chunk_len(&self, size: u64, index: u64) -> usize {
        let start = index * self.chunk as u64;
        size.saturating_sub(start).min(self.chunk as u64) as usize
    }

    fn get_chunk(&self, session: &Session, lv: LvRef, size: u64, index: u64) -> Result<Vec<u8>> {
        let offset = index * self.chunk as u64;
        let data = self
            .tree
            .get(session, &chunk_key(lv, offset))?
            .ok_or(Error::Corrupt("a long-value chunk is missing"))?;
        if data.len() != self.chunk_len(size, index) {
            return Err(Error::Corrupt("a long-value chunk has the wrong size"));
        }
        Ok(data)
    }

    /// Up to `max` bytes of `lv` from `offset`, and the value's size. An offset at or past
    /// the end reads nothing.
    pub fn read(
        &self,
        session: &Session,
        lv: LvRef,
        offset: u64,
        max: usize,
    ) -> Result<(u64, Vec<u8>)> {
        let root = self.root(session, lv)?;
        if offset >= root.size || max == 0 {
            return Ok((root.size, Vec::new()));
        }
        let end = root.size.min(offset.saturating_add(max as u64));
        let mut out = Vec::with_capacity((end - offset) as usize);
        let c = self.chunk as u64;
        for index in offset / c..end.div_ceil(c) {
            let data = self.get_chunk(session, lv, root.size, index)?;
            let start = index * c;
            let from = offset.saturating_sub(start) as usize;
            let to = ((end - start) as usize).min(data.len());
            out.extend_from_slice(&data[from..to]);
        }
        Ok((root.size, out))
    }

    /// The whole of `lv`.
    pub fn read_all(&self, session: &Session, lv: LvRef) -> Result<Vec<u8>> {
        let root = self.root(session, lv)?;
        let max = usize::try_from(root.size)
            .map_err(|_| Error::Corrupt("a long value larger than memory"))?;
        Ok(self.read(session, lv, 0, max)?.1)
    }

    /// Writes `data` at `offset` (at most the current size), extending the value when it
    /// runs past the end; JET_errColumnNoChunk for an offset beyond the end.
    pub fn write_at(
        &self,
        session: &mut Session,
        lv: LvRef,
        offset: u64,
        data: &[u8],
    ) -> Result<()> {
        let mut root = self.root(session, lv)?;
        if offset > root.size {
            return Err(Error::ColumnNoChunk);
        }
        let end = offset
            .checked_add(data.len() as u64)
            .filter(|e| *e <= LONG_VALUE_MOST_BYTES as u64)
            .ok_or(Error::ColumnTooBig {
                len: usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .saturating_add(data.len()),
                max: LONG_VALUE_MOST_BYTES,
            })?;
        if data.is_empty() {
            return Ok(());
        }
        let new_size = root.size.max(end);
        let c = self.chunk as u64;
        for index in offset / c..end.div_ceil(c) {
            let start = index * c;
            let exists = start < root.size;
            let mut bytes = if exists {
                self.get_chunk(session, lv, root.size, index)?
            } else {
                Vec::new()
            };
            bytes.resize(self.chunk_len(new_size, index), 0);
            let from = offset.max(start);
            let to = end.min(start + c);
            let src = &data[(from - offset) as usize..(to - offset) as usize];
            bytes[(from - start) as usize..(to - start) as usize].copy_from_slice(src);
            let key = chunk_key(lv, start);
            if exists {
                self.tree.replace(session, &key, &bytes)?;
            } else {
                self.tree.insert(session, &key, &bytes)?;
            }
        }
        if new_size != root.size {
            root.size = new_size;
            self.put_root(session, lv, root)?;
        }
        Ok(())
    }

    /// Sets the size of `lv`: truncates, or extends with zero bytes (JET_bitSetSizeLV).
    pub fn set_size(&self, session: &mut Session, lv: LvRef, size: u64) -> Result<()> {
        if size > LONG_VALUE_MOST_BYTES as u64 {
            return Err(Error::ColumnTooBig {
                len: usize::try_from(size).unwrap_or(usize::MAX),
                max: LONG_VALUE_MOST_BYTES,
            });
        }
        let mut root = self.root(session, lv)?;
        let c = self.chunk as u64;
        if size > root.size {
            let zeros = vec![0u8; self.chunk];
            let mut at = root.size;
            while at < size {
                // Fill up to the next chunk boundary (or the new end) each time.
                let n = (c - at % c).min(size - at) as usize;
                self.write_at(session, lv, at, &zeros[..n])?;
                at += n as u64;
            }
            return Ok(());
        }
        if size == root.size {
            return Ok(());
        }
        let keep = size.div_ceil(c);
        for index in keep..root.size.div_ceil(c) {
            self.tree.delete(session, &chunk_key(lv, index * c))?;
        }
        if size % c != 0 {
            let index = size / c;
            let mut bytes = self.get_chunk(session, lv, root.size, index)?;
            bytes.truncate(self.chunk_len(size, index));
            self.tree
                .replace(session, &chunk_key(lv, index * c), &bytes)?;
        }
        root.size = size;
        self.put_root(session, lv, root)
    }

    /// Adds a reference to `lv` (a record sharing it).
    pub fn add_ref(&self, session: &mut Session, lv: LvRef) -> Result<()> {
        let mut root = self.root(session, lv)?;
        root.refs = root
            .refs
            .checked_add(1)
            .ok_or(Error::Corrupt("a long-value reference count overflows"))?;
        self.put_root(session, lv, root)
    }

    /// Drops a reference to `lv`, deleting the value with its last reference.
    pub fn release(&self, session: &mut Session, lv: LvRef) -> Result<()> {
        let mut root = self.root(session, lv)?;
        if root.refs <= 1 {
            return self.delete_value(session, lv, root.size);
        }
        root.refs -= 1;
        self.put_root(session, lv, root)
    }

    fn delete_value(&self, session: &mut Session, lv: LvRef, size: u64) -> Result<()> {
        let c = self.chunk as u64;
        for index in 0..size.div_ceil(c) {
            self.tree.delete(session, &chunk_key(lv, index * c))?;
        }
        Ok(self.tree.delete(session, &root_key(lv))?)
    }

    /// Deletes `lv` whatever its reference count, if `session` sees it: for values no
    /// record adopted (an update cancelled after creating them). Returns whether it existed.
    pub fn free(&self, session: &mut Session, lv: LvRef) -> Result<bool> {
        let Some(data) = self.tree.get(session, &root_key(lv))? else {
            return Ok(false);
        };
        let root = LvRoot::decode(&data)?;
        self.delete_value(session, lv, root.size)?;
        Ok(true)
    }

    /// A new value with one reference holding the bytes of `lv` (copy-on-write).
    pub fn copy(&self, session: &mut Session, lv: LvRef) -> Result<LvRef> {
        let root = self.root(session, lv)?;
        let new = self.alloc_lid()?;
        let c = self.chunk as u64;
        self.tree.insert(
            session,
            &root_key(new),
            &LvRoot {
                refs: 1,
                size: root.size,
            }
            .encode(),
        )?;
        for index in 0..root.size.div_ceil(c) {
            let data = self.get_chunk(session, lv, root.size, index)?;
            self.tree
                .insert(session, &chunk_key(new, index * c), &data)?;
        }
        Ok(new)
    }

    /// The roots and chunks `session` sees.
    pub fn entry_count(&self, session: &Session) -> Result<u64> {
        Ok(self.tree.count(
            session,
            std::ops::Bound::Unbounded,
            std::ops::Bound::Unbounded,
        )?)
    }

    /// The nodes in the tree as stored, flag-deleted ones included (what cleanup has not
    /// removed yet): 0 means no long-value space is held.
    pub fn node_count(&self) -> Result<u64> {
        let mut c = self.tree.tree().cursor();
        let mut all = |n: &Node| Some(n.payload.clone());
        let mut n = 0u64;
        let mut e = c.first_with(&mut all)?;
        while e.is_some() {
            n += 1;
            e = c.next_with(&mut all)?;
        }
        Ok(n)
    }

    /// The LIDs whose roots `session` sees, in order (for checks and tests).
    pub fn lids(&self, session: &Session) -> Result<Vec<LvRef>> {
        let mut out = Vec::new();
        let mut c = self.tree.cursor();
        let mut e = c.seek(session, &[0u8; ROOT_KEY_BYTES], SeekOp::Ge)?;
        while let Some(entry) = e {
            if entry.key.len() == ROOT_KEY_BYTES {
                let b: [u8; 8] = entry
                    .key
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::Corrupt("a long-value key is malformed"))?;
                out.push(LvRef(u64::from_be_bytes(b)));
            }
            e = c.next(session)?;
        }
        Ok(out)
    }
}
