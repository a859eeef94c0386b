//! Secondary index maintenance: the entries a record makes in each secondary index, and the
//! changes a record's insert, replace or delete makes to them.
//!
//! An entry of a **unique** index is keyed by the normalized secondary key alone; an entry of
//! a **non-unique** index by the key followed by the primary bookmark, so that duplicates
//! sort by bookmark in ascending byte order (reference 11 §1). Either way the entry's data is
//! the bookmark. Within one index no entry key is a proper prefix of another (every
//! segment's encoding is prefix-free, [`crate::key`]), so the tree's order over
//! `key ‖ bookmark` is the order over (key, bookmark).
//!
//! Changes are made through the index trees' [`VersionedTree`]s in the caller's save point,
//! the same one as the record's, so a conflict or a failure undoes both and rollback and
//! recovery treat them together. A unique index refuses a second record with the same key
//! with JET_errKeyDuplicate (NULL segments are ordinary bytes: two rows whose key columns are
//! NULL collide unless an Ignore*Null bit leaves them out).

use ese_txn::{Session, VersionedTree};

use crate::catalog::{IndexSchema, TableSchema};
use crate::error::{Error, Result};
use crate::index::index_entries;
use crate::record::Record;

/// The tree keys of the entries `record` (whose bookmark is `bookmark`) makes in secondary
/// index `idx`, sorted and without duplicates.
pub fn entry_keys(
    schema: &TableSchema,
    idx: &IndexSchema,
    record: &Record,
    bookmark: &[u8],
) -> Result<Vec<Vec<u8>>> {
    let values = record.key_values(&schema.columns, &idx.layout)?;
    let keys = index_entries(&idx.layout, idx.grbit, &values)?;
    Ok(keys
        .into_iter()
        .map(|k| tree_key(idx, k.bytes, bookmark))
        .collect())
}

/// The tree key of the entry with secondary key `key` for `bookmark` in `idx`.
pub fn tree_key(idx: &IndexSchema, mut key: Vec<u8>, bookmark: &[u8]) -> Vec<u8> {
    if !idx.is_unique() {
        key.extend_from_slice(bookmark);
    }
    key
}

/// Applies to every secondary index of `schema` (whose trees are `trees`, in the same order)
/// the change of the record with `bookmark` from `old` to `new`: `None` → `Some` is an
/// insert, `Some` → `None` a delete, `Some` → `Some` a replace, which touches only the
/// entries that differ. Must run in the save point that changes the record.
///
/// Errors: JET_errKeyDuplicate (a unique index already holds a new key),
/// JET_errNullKeyDisallowed, JET_errKeyTruncated (DisallowTruncation), the trees' errors.
pub fn apply_record_change(
    schema: &TableSchema,
    trees: &[VersionedTree],
    session: &mut Session,
    bookmark: &[u8],
    old: Option<&Record>,
    new: Option<&Record>,
) -> Result<()> {
    if trees.len() != schema.secondary.len() {
        return Err(Error::Corrupt("index trees do not match the schema"));
    }
    for (idx, tree) in schema.secondary.iter().zip(trees) {
        let before = match old {
            Some(r) => entry_keys(schema, idx, r, bookmark)?,
            None => Vec::new(),
        };
        let after = match new {
            Some(r) => entry_keys(schema, idx, r, bookmark)?,
            None => Vec::new(),
        };
        // Both lists are sorted: deletes first, so a key that moves between records of a
        // unique index within one change is free again.
        for k in before.iter().filter(|k| after.binary_search(k).is_err()) {
            tree.delete(session, k)?;
        }
        for k in after.iter().filter(|k| before.binary_search(k).is_err()) {
            tree.insert(session, k, bookmark)?;
        }
    }
    Ok(())
}

/// Builds the entries of secondary index `idx` (tree `tree`) from every record of the
/// primary tree `primary` that `session` sees (JetCreateIndex on a populated table).
/// Errors as [`apply_record_change`]; JET_errKeyDuplicate for a unique index over rows
/// with equal keys.
pub fn build_index(
    schema: &TableSchema,
    idx: &IndexSchema,
    primary: &VersionedTree,
    tree: &VersionedTree,
    session: &mut Session,
) -> Result<u64> {
    let mut c = primary.cursor();
    let mut entry = c.first(session)?;
    let mut n = 0u64;
    while let Some(e) = entry {
        let record = Record::decode(&e.data, &schema.columns)?;
        for k in entry_keys(schema, idx, &record, &e.key)? {
            tree.insert(session, &k, &e.key)?;
            n += 1;
        }
        entry = c.next(session)?;
    }
    Ok(n)
}
