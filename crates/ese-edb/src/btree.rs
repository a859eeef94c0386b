//! Walking ESE B+-trees: a cursor that visits every live leaf node in key order, from the
//! start or from a seek position.
//!
//! The cursor descends through branch pages (whose node data is a u32 child page number and
//! whose key is a separator greater than every key in that child) instead of following sibling
//! links, so a broken `next` pointer cannot send it astray. Every walk is bounded: the depth by
//! [`MAX_TREE_DEPTH`], and each page may be entered once per walk, so a cycle is reported as
//! corruption instead of looping.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::page::{PAGE_FLAG_EMPTY, Page};
use crate::pager::Pager;

/// Deepest tree the cursor will descend; real trees are 1-5 levels deep.
pub const MAX_TREE_DEPTH: usize = 16;

/// A live leaf node, copied out of its page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafEntry {
    /// The full key.
    pub key: Vec<u8>,
    /// The node's data.
    pub data: Vec<u8>,
    /// The node flags.
    pub flags: u8,
    /// The page the node lives on.
    pub pgno: u32,
    /// That page's flags.
    pub page_flags: u32,
}

/// A cursor over the leaf nodes of one tree.
pub struct TreeCursor<'a> {
    pager: &'a Pager,
    objid: u32,
    stack: Vec<(Arc<Page>, usize)>,
    visited: HashSet<u32>,
    failed: bool,
}

impl<'a> TreeCursor<'a> {
    /// A cursor at the first leaf node of the tree rooted at `root`.
    pub fn first(pager: &'a Pager, root: u32) -> Result<TreeCursor<'a>> {
        let mut c = TreeCursor::open_root(pager, root)?;
        if let Some(top) = c.stack.last_mut() {
            top.1 = 1;
        }
        Ok(c)
    }

    /// A cursor at the first leaf node whose key is `>= key`.
    pub fn seek(pager: &'a Pager, root: u32, key: &[u8]) -> Result<TreeCursor<'a>> {
        let mut c = TreeCursor::open_root(pager, root)?;
        loop {
            let Some((page, _)) = c.stack.last() else {
                return Ok(c);
            };
            let page = Arc::clone(page);
            let n = page.tag_count();
            let mut at = n;
            for i in 1..n {
                let node = page.node(i)?;
                if node.cmp_key(key) != std::cmp::Ordering::Less {
                    at = i;
                    break;
                }
            }
            if page.is_leaf() {
                if let Some(top) = c.stack.last_mut() {
                    top.1 = at;
                }
                return Ok(c);
            }
            // The last separator is empty and covers everything greater.
            let at = at.min(n.saturating_sub(1)).max(1);
            if let Some(top) = c.stack.last_mut() {
                top.1 = at + 1;
            }
            let child = child_pgno(&page, at)?;
            c.push(child)?;
        }
    }

    fn open_root(pager: &'a Pager, root: u32) -> Result<TreeCursor<'a>> {
        let page = pager.read(root)?;
        let objid = page.header.objid_fdp;
        let mut c = TreeCursor {
            pager,
            objid,
            stack: Vec::new(),
            visited: HashSet::new(),
            failed: false,
        };
        c.check_and_push(page)?;
        Ok(c)
    }

    fn push(&mut self, pgno: u32) -> Result<()> {
        let page = self.pager.read(pgno)?;
        self.check_and_push(page)
    }

    fn check_and_push(&mut self, page: Arc<Page>) -> Result<()> {
        let pgno = page.pgno;
        if self.stack.len() >= MAX_TREE_DEPTH {
            return Err(Error::corrupt_on(pgno, "tree deeper than the depth bound"));
        }
        if !self.visited.insert(pgno) {
            return Err(Error::corrupt_on(
                pgno,
                "page reached twice in one tree walk",
            ));
        }
        if page.header.objid_fdp != self.objid {
            return Err(Error::corrupt_on(
                pgno,
                format!(
                    "page belongs to object {} but was reached from object {}",
                    page.header.objid_fdp, self.objid
                ),
            ));
        }
        if page.header.flags & PAGE_FLAG_EMPTY != 0 {
            return Err(Error::corrupt_on(pgno, "tree points at an empty page"));
        }
        self.stack.push((page, 1));
        Ok(())
    }

    fn step(&mut self) -> Result<Option<LeafEntry>> {
        loop {
            let Some((page, idx)) = self.stack.last_mut() else {
                return Ok(None);
            };
            let page = Arc::clone(page);
            if *idx >= page.tag_count() {
                self.stack.pop();
                continue;
            }
            let i = *idx;
            *idx += 1;
            if page.is_leaf() {
                let node = page.node(i)?;
                if node.is_deleted() {
                    continue;
                }
                return Ok(Some(LeafEntry {
                    key: node.key(),
                    data: node.data.to_vec(),
                    flags: node.flags,
                    pgno: page.pgno,
                    page_flags: page.header.flags,
                }));
            }
            let child = child_pgno(&page, i)?;
            self.push(child)?;
        }
    }

    /// The number of pages this cursor has entered so far.
    pub fn pages_visited(&self) -> usize {
        self.visited.len()
    }

    /// The pages this cursor has entered so far.
    pub fn visited(&self) -> &HashSet<u32> {
        &self.visited
    }
}

fn child_pgno(page: &Page, i: usize) -> Result<u32> {
    let node = page.node(i)?;
    let d = node
        .data
        .get(..4)
        .ok_or_else(|| Error::corrupt_on(page.pgno, format!("branch node {i} has no child")))?;
    Ok(u32::from_le_bytes([d[0], d[1], d[2], d[3]]))
}

impl Iterator for TreeCursor<'_> {
    type Item = Result<LeafEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.step() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
