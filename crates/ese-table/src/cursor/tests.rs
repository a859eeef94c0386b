//! Tests of the cursor's schema check: moves skip the catalog row while no DDL touched the
//! table, and DDL (uncommitted, committed, rolled back) is still seen exactly as before.

use ese_txn::Session;

use crate::catalog::{IndexCreate, TableCreate};
use crate::coltyp::{ColumnGrbit, ColumnSpec, ColumnType};
use crate::error::Error;
use crate::index::IndexGrbit;
use crate::record::{RetrieveGrbit, SetGrbit};
use crate::testing::TestStack;

use super::{MOVE_FIRST, MOVE_NEXT, Prep, TableCursor};

fn spec(t: ColumnType) -> ColumnSpec {
    ColumnSpec::new(t, ColumnGrbit::NONE)
}

/// Table "t" with a Long primary key "id" and rows 1..=`rows`.
fn table_with_rows(stack: &TestStack, s: &mut Session, rows: i32) -> TableCursor {
    let create = TableCreate::new("t")
        .column("id", spec(ColumnType::Long))
        .index(IndexCreate::new("primary", b"+id\0\0", IndexGrbit::PRIMARY));
    let mut c = stack.catalog.create_table(s, &create).unwrap().0;
    let id = c.schema().column_id("id").unwrap();
    for i in 1..=rows {
        c.prepare_update(s, Prep::Insert).unwrap();
        c.set_column(id, &i.to_le_bytes(), SetGrbit::NONE, 1)
            .unwrap();
        c.update(s).unwrap();
    }
    c
}

/// Catalog row reads made by `n` MoveNext calls of `c`.
fn reads_for_moves(stack: &TestStack, c: &mut TableCursor, s: &Session, n: usize) -> u64 {
    let before = stack.catalog.table_version_reads();
    for _ in 0..n {
        c.move_to(s, MOVE_NEXT).unwrap();
    }
    stack.catalog.table_version_reads() - before
}

#[test]
fn moves_read_the_catalog_row_only_while_it_has_versions() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = table_with_rows(&stack, &mut s, 2_100);
    c.move_to(&s, MOVE_FIRST).unwrap();
    // The creation's versions are still in the store: every call checks the row.
    assert_eq!(reads_for_moves(&stack, &mut c, &s, 1_000), 1_000);
    stack.trees.cleanup().unwrap();
    // Settled: at most the one check that finds the row without versions.
    let settled = reads_for_moves(&stack, &mut c, &s, 1_000);
    assert!(settled <= 1, "{settled} catalog reads per 1000 moves");
    c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(reads_for_moves(&stack, &mut c, &s, 1_000), 0);
    // A new cursor checks once, then no more.
    let mut c2 = stack.catalog.open_table(&s, "t").unwrap();
    c2.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(reads_for_moves(&stack, &mut c2, &s, 1_000), 0);
}

#[test]
fn rolled_back_add_column_is_never_served_to_other_cursors() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let s2 = stack.session();
    let mut maker = table_with_rows(&stack, &mut s, 3);
    stack.trees.cleanup().unwrap();
    let mut same = stack.catalog.open_table(&s, "t").unwrap();
    let mut other = stack.catalog.open_table(&s2, "t").unwrap();
    same.move_to(&s, MOVE_FIRST).unwrap();
    other.move_to(&s2, MOVE_FIRST).unwrap();
    // Both are on the fast path now.
    let before = stack.catalog.table_version_reads();
    same.move_to(&s, MOVE_FIRST).unwrap();
    other.move_to(&s2, MOVE_FIRST).unwrap();
    assert_eq!(stack.catalog.table_version_reads(), before);

    stack.begin(&mut s).unwrap();
    let (x, _) = maker
        .add_column(&mut s, "x", &spec(ColumnType::Long))
        .unwrap();
    // The session's other cursor sees its uncommitted column; another session does not.
    same.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(same.schema().column_id("x"), Ok(x));
    other.move_to(&s2, MOVE_FIRST).unwrap();
    assert_eq!(other.schema().column_id("x"), Err(Error::ColumnNotFound));
    stack.rollback(&mut s).unwrap();
    // After the rollback no cursor keeps the column, on any later call.
    for _ in 0..3 {
        same.move_to(&s, MOVE_FIRST).unwrap();
        assert_eq!(same.schema().column_id("x"), Err(Error::ColumnNotFound));
        assert_eq!(
            same.retrieve_column(&s, x, 1, RetrieveGrbit::NONE),
            Err(Error::ColumnNotFound)
        );
        other.move_to(&s2, MOVE_FIRST).unwrap();
        assert_eq!(other.schema().column_id("x"), Err(Error::ColumnNotFound));
        maker.move_to(&s, MOVE_FIRST).unwrap();
        assert_eq!(maker.schema().column_id("x"), Err(Error::ColumnNotFound));
    }
    // The rollback left the row without versions: the fast path is back.
    let before = stack.catalog.table_version_reads();
    same.move_to(&s, MOVE_FIRST).unwrap();
    other.move_to(&s2, MOVE_FIRST).unwrap();
    assert_eq!(stack.catalog.table_version_reads(), before);
}

#[test]
fn committed_ddl_respects_snapshots_then_settles() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut s2 = stack.session();
    let mut maker = table_with_rows(&stack, &mut s, 3);
    stack.trees.cleanup().unwrap();
    let mut reader = stack.catalog.open_table(&s2, "t").unwrap();
    reader.move_to(&s2, MOVE_FIRST).unwrap();
    // The reader's transaction began before the column was added.
    stack.begin(&mut s2).unwrap();
    reader.move_to(&s2, MOVE_FIRST).unwrap();
    let (y, _) = maker
        .add_column(&mut s, "y", &spec(ColumnType::Long))
        .unwrap();
    for _ in 0..2 {
        reader.move_to(&s2, MOVE_FIRST).unwrap();
        assert_eq!(reader.schema().column_id("y"), Err(Error::ColumnNotFound));
    }
    // The snapshot keeps the version from cleanup.
    stack.trees.cleanup().unwrap();
    reader.move_to(&s2, MOVE_NEXT).unwrap();
    assert_eq!(reader.schema().column_id("y"), Err(Error::ColumnNotFound));
    stack.commit(&mut s2).unwrap();
    reader.move_to(&s2, MOVE_FIRST).unwrap();
    assert_eq!(reader.schema().column_id("y"), Ok(y));
    // Once cleanup removed the version, the reader stops reading the row.
    stack.trees.cleanup().unwrap();
    reader.move_to(&s2, MOVE_FIRST).unwrap();
    let before = stack.catalog.table_version_reads();
    reader.move_to(&s2, MOVE_NEXT).unwrap();
    reader.move_to(&s2, MOVE_FIRST).unwrap();
    assert_eq!(stack.catalog.table_version_reads(), before);
    assert_eq!(reader.schema().column_id("y"), Ok(y));
    // A committed delete seen at level 0 by a cursor on the fast path.
    maker.delete_column(&mut s, "y").unwrap();
    reader.move_to(&s2, MOVE_FIRST).unwrap();
    assert_eq!(reader.schema().column_id("y"), Err(Error::ColumnNotFound));
}
