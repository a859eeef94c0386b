//! One database page: its header, its tag array and the nodes the tags point at.
//!
//! ```text
//!  +--------------------+  0
//!  | page header        |  40 bytes (pages <= 8 KiB) or 80 bytes (16/32 KiB)
//!  +--------------------+  header size = "data start"; tag ib values are relative to it
//!  | node data ...      |
//!  |      free space    |
//!  | ... tag 2 tag 1 t0 |  4-byte tags stored backwards from the end: u16 cb, u16 ib
//!  +--------------------+  page size
//! ```
//!
//! Tag 0 is the page's external header: the space header on a root page, otherwise the key
//! prefix the page's nodes may share. Tags 1.. are nodes in key order. Each node is
//! `[u16 prefix_len if flag 0x4] u16 suffix_len, suffix, data`. On small pages the three node
//! flags are the top bits of the tag's `ib`; on large pages they are the top bits of the node's
//! first u16, which must be masked before it is used as a length.

use crate::error::{Error, Result};

/// Page flag: the page is the root of a tree.
pub const PAGE_FLAG_ROOT: u32 = 0x1;
/// Page flag: the page is a leaf.
pub const PAGE_FLAG_LEAF: u32 = 0x2;
/// Page flag: the page is a branch whose children are leaves.
pub const PAGE_FLAG_PARENT_OF_LEAF: u32 = 0x4;
/// Page flag: the page is empty (freed).
pub const PAGE_FLAG_EMPTY: u32 = 0x8;
/// Page flag: the page belongs to a space tree.
pub const PAGE_FLAG_SPACE_TREE: u32 = 0x20;
/// Page flag: the page belongs to a secondary index.
pub const PAGE_FLAG_INDEX: u32 = 0x40;
/// Page flag: the page belongs to a long-value tree.
pub const PAGE_FLAG_LONG_VALUE: u32 = 0x80;
/// Page flag: records use the new (Windows XP+) record format.
pub const PAGE_FLAG_NEW_RECORD_FORMAT: u32 = 0x800;

/// Node flag: the node has versions in the version store (uncommitted or not yet cleaned up).
pub const NODE_FLAG_VERSIONED: u8 = 0x1;
/// Node flag: the node is flag-deleted.
pub const NODE_FLAG_DELETED: u8 = 0x2;
/// Node flag: the node's key starts with a prefix taken from tag 0.
pub const NODE_FLAG_COMPRESSED_KEY: u8 = 0x4;

/// Header size of pages of 8 KiB and less.
pub const SMALL_PAGE_HEADER_BYTES: usize = 40;
/// Header size of 16 and 32 KiB pages.
pub const LARGE_PAGE_HEADER_BYTES: usize = 80;

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(off)?, *b.get(off + 1)?]))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(off)?,
        *b.get(off + 1)?,
        *b.get(off + 2)?,
        *b.get(off + 3)?,
    ]))
}

/// The fixed header at the start of every page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageHeader {
    /// The stored checksum (block 0).
    pub checksum: u64,
    /// The dbtime of the page's last change.
    pub dbtime: u64,
    /// Left sibling at the same tree level (0 = none).
    pub prev: u32,
    /// Right sibling at the same tree level (0 = none).
    pub next: u32,
    /// The objid of the tree that owns the page.
    pub objid_fdp: u32,
    /// Free bytes on the page.
    pub free_bytes: u16,
    /// Free bytes a rollback could still reclaim.
    pub uncommitted_free_bytes: u16,
    /// First free byte of the data area, relative to the end of the header.
    pub first_free: u16,
    /// Number of tags in use (itagState masked with 0x0FFF).
    pub tag_count: u16,
    /// Page flags (`PAGE_FLAG_*`).
    pub flags: u32,
}

/// A page whose checksum has been verified, with accessors for its tags and nodes.
#[derive(Clone, Debug)]
pub struct Page {
    /// The logical page number.
    pub pgno: u32,
    /// The decoded header.
    pub header: PageHeader,
    data: Vec<u8>,
    is_large: bool,
}

/// One node of a page: its key (prefix from tag 0, then suffix) and its data.
#[derive(Clone, Copy, Debug)]
pub struct Node<'a> {
    /// Node flags (`NODE_FLAG_*`).
    pub flags: u8,
    /// The shared prefix taken from the page's tag 0.
    pub prefix: &'a [u8],
    /// The node's own key bytes.
    pub suffix: &'a [u8],
    /// The node's data.
    pub data: &'a [u8],
}

impl Node<'_> {
    /// The full key: prefix followed by suffix.
    pub fn key(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.prefix.len() + self.suffix.len());
        k.extend_from_slice(self.prefix);
        k.extend_from_slice(self.suffix);
        k
    }

    /// Whether the node is flag-deleted.
    pub fn is_deleted(&self) -> bool {
        self.flags & NODE_FLAG_DELETED != 0
    }

    /// Compare the node's full key with `other` without building it.
    pub fn cmp_key(&self, other: &[u8]) -> std::cmp::Ordering {
        let n = self.prefix.len().min(other.len());
        match self.prefix.cmp(&other[..n]) {
            std::cmp::Ordering::Equal if n < self.prefix.len() => std::cmp::Ordering::Greater,
            std::cmp::Ordering::Equal => self.suffix.cmp(&other[n..]),
            o => o,
        }
    }
}

impl Page {
    /// Decode page `pgno` from its (already checksum-verified) bytes.
    pub fn decode(pgno: u32, data: Vec<u8>) -> Result<Page> {
        let is_large = data.len() > 8192;
        let hdr_size = if is_large {
            LARGE_PAGE_HEADER_BYTES
        } else {
            SMALL_PAGE_HEADER_BYTES
        };
        let bad = |what: &str| Error::corrupt_on(pgno, what.to_string());
        if data.len() < 4096 {
            return Err(bad("page shorter than 4 KiB"));
        }
        let f = |off| u32_at(&data, off).unwrap_or(0);
        let g = |off| u16_at(&data, off).unwrap_or(0);
        let header = PageHeader {
            checksum: u64::from(f(0)) | (u64::from(f(4)) << 32),
            dbtime: u64::from(f(8)) | (u64::from(f(12)) << 32),
            prev: f(16),
            next: f(20),
            objid_fdp: f(24),
            free_bytes: g(28),
            uncommitted_free_bytes: g(30),
            first_free: g(32),
            tag_count: g(34) & 0x0fff,
            flags: f(36),
        };
        if is_large && f(64) != pgno {
            return Err(bad("large-page header names another page number"));
        }
        if hdr_size + 4 * usize::from(header.tag_count) > data.len() {
            return Err(bad("tag array overlaps the page header"));
        }
        Ok(Page {
            pgno,
            header,
            data,
            is_large,
        })
    }

    /// The page's raw bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// Whether the page uses the large-page (80-byte header) layout.
    pub fn is_large(&self) -> bool {
        self.is_large
    }

    /// Whether the page is a leaf.
    pub fn is_leaf(&self) -> bool {
        self.header.flags & PAGE_FLAG_LEAF != 0
    }

    /// Whether the page is the root of its tree.
    pub fn is_root(&self) -> bool {
        self.header.flags & PAGE_FLAG_ROOT != 0
    }

    /// Number of tags (tag 0 plus the nodes).
    pub fn tag_count(&self) -> usize {
        usize::from(self.header.tag_count)
    }

    /// Number of nodes (tags 1..).
    pub fn node_count(&self) -> usize {
        self.tag_count().saturating_sub(1)
    }

    fn header_size(&self) -> usize {
        if self.is_large {
            LARGE_PAGE_HEADER_BYTES
        } else {
            SMALL_PAGE_HEADER_BYTES
        }
    }

    /// The bytes of tag `i` and, on small pages, the flags from its `ib`.
    fn tag(&self, i: usize) -> Result<(&[u8], u8)> {
        let bad = |what: &str| Error::corrupt_on(self.pgno, format!("tag {i}: {what}"));
        if i >= self.tag_count() {
            return Err(bad("index past the tag count"));
        }
        let pos = self.data.len() - 4 * (i + 1);
        let cb = u16_at(&self.data, pos).ok_or_else(|| bad("truncated"))?;
        let ib = u16_at(&self.data, pos + 2).ok_or_else(|| bad("truncated"))?;
        let (cb, ib, flags) = if self.is_large {
            (cb & 0x7fff, ib & 0x7fff, 0)
        } else {
            (cb & 0x1fff, ib & 0x1fff, (ib >> 13) as u8)
        };
        let start = self.header_size() + usize::from(ib);
        let end = start + usize::from(cb);
        let limit = self.data.len() - 4 * self.tag_count();
        if end > limit {
            return Err(bad("data runs into the tag array"));
        }
        Ok((&self.data[start..end], flags))
    }

    /// Tag 0: the external header (space header on a root, else the shared key prefix).
    pub fn external_header(&self) -> Result<&[u8]> {
        if self.tag_count() == 0 {
            return Ok(&[]);
        }
        Ok(self.tag(0)?.0)
    }

    /// Node `i` (1-based: tag `i`).
    pub fn node(&self, i: usize) -> Result<Node<'_>> {
        if i == 0 {
            return Err(Error::corrupt_on(self.pgno, "tag 0 is not a node"));
        }
        let (bytes, small_flags) = self.tag(i)?;
        let bad = |what: &str| Error::corrupt_on(self.pgno, format!("node {i}: {what}"));
        let first = u16_at(bytes, 0).ok_or_else(|| bad("shorter than its key length"))?;
        let flags = if self.is_large {
            (first >> 13) as u8
        } else {
            small_flags
        };
        let mask = if self.is_large { 0x1fff } else { 0xffff };
        let mut pos = 0usize;
        let mut prefix: &[u8] = &[];
        if flags & NODE_FLAG_COMPRESSED_KEY != 0 {
            let prefix_len = usize::from(first & mask);
            let tag0 = self.external_header()?;
            prefix = tag0
                .get(..prefix_len)
                .ok_or_else(|| bad("key prefix longer than the page's shared prefix"))?;
            pos = 2;
        }
        let raw = u16_at(bytes, pos).ok_or_else(|| bad("truncated key length"))?;
        let suffix_len = usize::from(if pos == 0 { raw & mask } else { raw });
        pos += 2;
        let suffix = bytes
            .get(pos..pos + suffix_len)
            .ok_or_else(|| bad("key runs past the node"))?;
        let data = &bytes[pos + suffix_len..];
        Ok(Node {
            flags,
            prefix,
            suffix,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_page(tags: &[(&[u8], u8)]) -> Page {
        let mut p = vec![0u8; 4096];
        let mut ib = 0usize;
        for (i, (bytes, flags)) in tags.iter().enumerate() {
            let start = SMALL_PAGE_HEADER_BYTES + ib;
            p[start..start + bytes.len()].copy_from_slice(bytes);
            let pos = 4096 - 4 * (i + 1);
            p[pos..pos + 2].copy_from_slice(&(bytes.len() as u16).to_le_bytes());
            let ibf = ib as u16 | (u16::from(*flags) << 13);
            p[pos + 2..pos + 4].copy_from_slice(&ibf.to_le_bytes());
            ib += bytes.len();
        }
        p[34..36].copy_from_slice(&(tags.len() as u16).to_le_bytes());
        p[36..40].copy_from_slice(&PAGE_FLAG_LEAF.to_le_bytes());
        Page::decode(5, p).unwrap()
    }

    #[test]
    fn prefix_compressed_keys_are_rebuilt() {
        let page = small_page(&[
            (b"abcdef", 0),
            (&[3, 0, 2, 0, b'x', b'y', 9, 9], NODE_FLAG_COMPRESSED_KEY),
            (&[1, 0, b'q', 7], NODE_FLAG_DELETED),
        ]);
        let n = page.node(1).unwrap();
        assert_eq!(n.key(), b"abcxy");
        assert_eq!(n.data, &[9, 9]);
        assert_eq!(n.cmp_key(b"abcxy"), std::cmp::Ordering::Equal);
        assert_eq!(n.cmp_key(b"abd"), std::cmp::Ordering::Less);
        assert_eq!(n.cmp_key(b"ab"), std::cmp::Ordering::Greater);
        let d = page.node(2).unwrap();
        assert!(d.is_deleted());
        assert_eq!(d.key(), b"q");
        assert!(page.node(3).is_err());
    }

    #[test]
    fn a_prefix_longer_than_tag0_is_corrupt() {
        let page = small_page(&[(b"ab", 0), (&[5, 0, 0, 0], NODE_FLAG_COMPRESSED_KEY)]);
        assert_eq!(page.node(1).unwrap_err().jet_code(), -1206);
    }
}
