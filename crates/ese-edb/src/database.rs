//! The public entry point: open a file, read its catalog, list tables, iterate rows, and check
//! every page the trees reach.

use std::collections::BTreeSet;
use std::path::Path;

use crate::btree::TreeCursor;
use crate::catalog::{CATALOG_FDP, Catalog};
use crate::error::{Error, Result};
use crate::header::DbHeader;
use crate::pager::{Correction, Pager};
use crate::rows::Rows;
use crate::schema::{Index, Table};

/// The database root page, which owns the space of the whole file.
const DATABASE_ROOT_FDP: u32 = 1;
/// The root page of MSysObjectsShadow.
const SHADOW_CATALOG_FDP: u32 = 24;
/// Space-header flag: the tree has its own owned/available extent trees.
const SPACE_MULTIPLE_EXTENT: u32 = 0x1;

/// What [`Database::scan_pages`] found on one page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageStatus {
    /// All zero: never written.
    Zero,
    /// The checksum verified (possibly after an ECC repair).
    Valid {
        /// The owning object.
        objid: u32,
        /// The page flags.
        flags: u32,
    },
    /// Reading or verifying failed with this JET code.
    Bad(i32),
}

/// One page's entry in a [`Database::scan_pages`] report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageScan {
    /// The logical page number.
    pub pgno: u32,
    /// What the page holds.
    pub status: PageStatus,
}

/// An ESE database opened read-only.
pub struct Database {
    pager: Pager,
    catalog: Catalog,
}

/// What [`Database::check_pages`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageCheck {
    /// Every page reached from a tree (all of them passed their checksum).
    pub pages: BTreeSet<u32>,
    /// The trees walked (root pages).
    pub trees: usize,
    /// Single-bit errors repaired in memory while reading.
    pub corrections: Vec<Correction>,
}

impl Database {
    /// Open the database file at `path` read-only (ESE's `JetAttachDatabase` +
    /// `JetOpenDatabase` with `JET_bitDbReadOnly`). A dirty database is opened as it is, without
    /// replaying logs; [`DbHeader::state`] says whether it was shut down cleanly.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Database::with_pager(Pager::open(path.as_ref())?)
    }

    /// Open a database image held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Database> {
        Database::with_pager(Pager::from_bytes(bytes)?)
    }

    fn with_pager(pager: Pager) -> Result<Database> {
        let catalog = Catalog::read(&pager)?;
        Ok(Database { pager, catalog })
    }

    /// The database header.
    pub fn header(&self) -> &DbHeader {
        self.pager.header()
    }

    /// Number of logical pages in the file.
    pub fn page_count(&self) -> u32 {
        self.pager.page_count()
    }

    /// Every table in the catalog, system tables included (ESE's `JetGetObjectInfo` list).
    pub fn tables(&self) -> &[Table] {
        &self.catalog.tables
    }

    /// The table named `name` (ESE's `JetOpenTable`, read-only).
    pub fn table(&self, name: &str) -> Result<&Table> {
        self.catalog
            .tables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| Error::TableNotFound(name.to_string()))
    }

    /// The rows of `table` in primary-key order (ESE's `JetMove` + `JetRetrieveColumns`).
    pub fn rows<'a>(&'a self, table: &'a Table) -> Result<Rows<'a>> {
        Rows::new(&self.pager, table)
    }

    /// The entries of a secondary index in key order: each entry's key is the normalised index
    /// key and its data the primary key (bookmark) of the row. For the primary index this walks
    /// the records themselves.
    pub fn index_entries<'a>(&'a self, index: &Index) -> Result<TreeCursor<'a>> {
        TreeCursor::first(&self.pager, index.fdp)
    }

    /// Single-bit page errors repaired in memory so far.
    pub fn corrections(&self) -> Vec<Correction> {
        self.pager.corrections()
    }

    /// Read a page directly (verified and decoded), for tools that inspect pages.
    pub fn page(&self, pgno: u32) -> Result<std::sync::Arc<crate::page::Page>> {
        self.pager.read(pgno)
    }

    /// Walk every tree the catalog names (tables, indexes, long-value trees, the catalog and its
    /// shadow, the database root) and their space trees, verifying the checksum of every page
    /// reached. Pages no tree reaches are not read: they are not guaranteed to hold ESE data.
    pub fn check_pages(&self) -> Result<PageCheck> {
        let mut roots: BTreeSet<u32> = [DATABASE_ROOT_FDP, CATALOG_FDP, SHADOW_CATALOG_FDP].into();
        for t in &self.catalog.tables {
            roots.insert(t.fdp);
            roots.extend(t.indexes.iter().map(|i| i.fdp));
            roots.extend(t.lv_fdp);
        }
        let mut check = PageCheck::default();
        let mut done: BTreeSet<u32> = BTreeSet::new();
        let mut todo: Vec<u32> = roots.into_iter().collect();
        while let Some(root) = todo.pop() {
            if !done.insert(root) {
                continue;
            }
            check.trees += 1;
            let mut cur = TreeCursor::first(&self.pager, root)?;
            for e in cur.by_ref() {
                e?;
            }
            check.pages.extend(cur.visited().iter().copied());
            if let Some((oe, ae)) = self.space_trees(root)? {
                todo.push(oe);
                todo.push(ae);
            }
        }
        check.corrections = self.pager.corrections();
        Ok(check)
    }

    /// Read every page of the file, reachable or not, and report what each holds. Unlike
    /// [`Database::check_pages`] this also reads pages no tree reaches, so a bad checksum here
    /// is not necessarily a problem: ESE does not promise unused pages hold valid data.
    pub fn scan_pages(&self) -> Vec<PageScan> {
        (1..=self.pager.page_count())
            .map(|pgno| {
                let status = match self.pager.read(pgno) {
                    Ok(p) => PageStatus::Valid {
                        objid: p.header.objid_fdp,
                        flags: p.header.flags,
                    },
                    Err(Error::PageNotInitialized { .. }) => PageStatus::Zero,
                    Err(e) => PageStatus::Bad(e.jet_code()),
                };
                PageScan { pgno, status }
            })
            .collect()
    }

    /// The owned- and available-extent tree roots named by a root page's space header.
    fn space_trees(&self, root: u32) -> Result<Option<(u32, u32)>> {
        let page = self.pager.read(root)?;
        if !page.is_root() {
            return Ok(None);
        }
        let h = page.external_header()?;
        if h.len() < 16 {
            return Ok(None);
        }
        let flags = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
        let oe = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
        if flags & SPACE_MULTIPLE_EXTENT == 0 || oe == 0 {
            return Ok(None);
        }
        let ae = oe
            .checked_add(1)
            .ok_or_else(|| Error::corrupt_on(root, "space tree root overflows"))?;
        Ok(Some((oe, ae)))
    }
}
