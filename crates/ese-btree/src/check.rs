//! The invariant check of one tree: a full, bounded walk that reports the first broken rule
//! as a corruption naming the page.
//!
//! The walk goes level by level from the root. Each page is checked against the key range
//! its parent gives it (`lo < key <= hi`), and each level's pages must be linked in exactly
//! the order the parents list them. The rules:
//!
//! * keys strictly increase within a page, and every key lies within the page's range, so
//!   keys increase across pages and every separator separates;
//! * every internal page ends with its `INF` node and has no other;
//! * every leaf is at the same depth, flags agree with the level (ROOT, LEAF, PARENT);
//! * no page is reached twice and the depth is at most [`crate::tree::MAX_DEPTH`], so a
//!   pointer cycle is an error, not a hang;
//! * every page is owned by the tree (objid) and marked in use in the space map;
//! * only the root may have no nodes.

use std::collections::HashSet;

use ese_core::Pgno;
use ese_pageio::PageFlags;

use crate::error::{Result, corrupt};
use crate::node::NodeFlags;
use crate::tree::{BTree, MAX_DEPTH};

/// What a check of a tree counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeStats {
    /// Levels, the leaves' included (1 for a tree that is just its root).
    pub depth: usize,
    /// Leaf pages.
    pub leaf_pages: u64,
    /// Internal pages.
    pub internal_pages: u64,
    /// Live (not flag-deleted) leaf nodes.
    pub live_nodes: u64,
    /// Flag-deleted leaf nodes awaiting cleanup.
    pub deleted_nodes: u64,
    /// Bytes used by lines and tags on the leaves.
    pub leaf_used_bytes: u64,
    /// Bytes the leaves could use (page size less header, per leaf).
    pub leaf_capacity_bytes: u64,
}

impl TreeStats {
    /// The leaves' average fill, from 0 to 1.
    pub fn leaf_fill(&self) -> f64 {
        if self.leaf_capacity_bytes == 0 {
            return 0.0;
        }
        self.leaf_used_bytes as f64 / self.leaf_capacity_bytes as f64
    }
}

struct Slot {
    pgno: Pgno,
    lo: Option<Vec<u8>>,
    hi: Option<Vec<u8>>,
}

impl BTree {
    /// Checks every invariant of the tree (see the module doc) and returns its counts.
    pub fn check_invariants(&self) -> Result<TreeStats> {
        let _r = self.db.lock.read();
        self.walk(&mut |_| {})
    }

    /// Every page of the tree, found by a checked walk.
    pub fn pages(&self) -> Result<Vec<Pgno>> {
        let mut pages = Vec::new();
        self.walk(&mut |p| pages.push(p))?;
        Ok(pages)
    }

    fn walk(&self, visit: &mut dyn FnMut(Pgno)) -> Result<TreeStats> {
        let in_use = self.db.pages_in_use()?;
        let page_size = self.db.page_size_bytes();
        let mut stats = TreeStats::default();
        let mut seen = HashSet::new();
        let mut level = vec![Slot {
            pgno: self.root,
            lo: None,
            hi: None,
        }];
        for depth in 0..=MAX_DEPTH {
            stats.depth = depth + 1;
            let mut below = Vec::new();
            let mut leaves = None;
            let mut prev_pgno = Pgno::NULL;
            for (pos, slot) in level.iter().enumerate() {
                let pgno = slot.pgno;
                if !seen.insert(pgno) {
                    return corrupt(pgno, "a page is reached twice (a cycle or a shared child)");
                }
                if !in_use.get(pgno.0 as usize).copied().unwrap_or(false) {
                    return corrupt(pgno, "a tree page is marked free in the space map");
                }
                visit(pgno);
                let page = self.db.cache().read(self.db.id(), pgno)?;
                // The full structure check: tags in bounds, lines disjoint, free space exact.
                ese_pageio::page::check(&page)?;
                let tp = self.tree_page(&page, pgno)?;
                let h = tp.view.header();
                let is_root = pgno == self.root;
                if h.flags.contains(PageFlags::ROOT) != is_root {
                    return corrupt(pgno, "the ROOT flag is on a page other than the root");
                }
                let is_leaf = tp.is_leaf();
                if *leaves.get_or_insert(is_leaf) != is_leaf {
                    return corrupt(pgno, "leaves and internal pages share a level");
                }
                if h.prev != prev_pgno {
                    return corrupt(pgno, "the prev link does not name the page before");
                }
                let expected_next = level.get(pos + 1).map_or(Pgno::NULL, |s| s.pgno);
                if h.next != expected_next {
                    return corrupt(pgno, "the next link does not name the page after");
                }
                prev_pgno = pgno;
                let count = tp.count();
                if count == 0 && !is_root {
                    return corrupt(pgno, "a page other than the root has no nodes");
                }
                let mut last: Option<Vec<u8>> = slot.lo.clone();
                for i in 0..count {
                    let n = tp.node(i)?;
                    let inf = n.flags.contains(NodeFlags::INF);
                    if is_leaf && inf {
                        return corrupt(pgno, "a leaf node is flagged INF");
                    }
                    if !is_leaf && inf != (i + 1 == count) {
                        return corrupt(pgno, "an internal page's INF node is not its last");
                    }
                    let key = if inf { None } else { Some(n.key()) };
                    if let Some(k) = &key {
                        if last.as_ref().is_some_and(|l| k <= l) {
                            return corrupt(pgno, "keys are not in order or below the range");
                        }
                        if slot.hi.as_ref().is_some_and(|hi| k > hi) {
                            return corrupt(pgno, "a key lies above the page's range");
                        }
                    }
                    if is_leaf {
                        if n.is_live() {
                            stats.live_nodes += 1;
                        } else {
                            stats.deleted_nodes += 1;
                        }
                    } else {
                        let child = n.child();
                        if child.is_null() || n.payload.len() != crate::node::CHILD_BYTES {
                            return corrupt(pgno, "an internal node has no valid child");
                        }
                        below.push(Slot {
                            pgno: child,
                            lo: last.clone(),
                            hi: if inf { slot.hi.clone() } else { key.clone() },
                        });
                    }
                    if key.is_some() {
                        last = key;
                    }
                }
                if is_leaf {
                    stats.leaf_pages += 1;
                    stats.leaf_used_bytes += tp.used_bytes() as u64;
                    stats.leaf_capacity_bytes +=
                        (page_size - ese_pageio::page::HEADER_BYTES) as u64;
                } else {
                    stats.internal_pages += 1;
                }
            }
            if leaves == Some(true) {
                return Ok(stats);
            }
            // Every page of the next level is a leaf exactly when this level says PARENT.
            for slot in &level {
                let page = self.db.cache().read(self.db.id(), slot.pgno)?;
                let flags = self.tree_page(&page, slot.pgno)?.view.header().flags;
                let child = below.first().map(|s| s.pgno).unwrap_or(Pgno::NULL);
                let child_leaf = {
                    let cp = self.db.cache().read(self.db.id(), child)?;
                    self.tree_page(&cp, child)?.is_leaf()
                };
                if flags.contains(PageFlags::PARENT) != child_leaf {
                    return corrupt(slot.pgno, "the PARENT flag disagrees with the level below");
                }
            }
            level = below;
        }
        corrupt(
            self.root,
            "the tree is deeper than the depth limit (a cycle?)",
        )
    }
}
