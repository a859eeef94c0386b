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

/// A move back past the first row.
const MOVE_PREVIOUS_ALL: i32 = -1000;

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

/// Table "kv" with a Long primary key "id" and a variable Binary "v"; row `i` of 1..=`rows`
/// holds [`value_of`]`(i, 0)`. Returns the cursor and the two column ids.
fn kv_table(
    stack: &TestStack,
    s: &mut Session,
    rows: i32,
) -> (TableCursor, crate::ColumnId, crate::ColumnId) {
    let create = TableCreate::new("kv")
        .column("id", spec(ColumnType::Long))
        .column("v", spec(ColumnType::Binary))
        .index(IndexCreate::new("primary", b"+id\0\0", IndexGrbit::PRIMARY));
    let mut c = stack.catalog.create_table(s, &create).unwrap().0;
    let id = c.schema().column_id("id").unwrap();
    let v = c.schema().column_id("v").unwrap();
    for i in 1..=rows {
        c.prepare_update(s, Prep::Insert).unwrap();
        c.set_column(id, &i.to_le_bytes(), SetGrbit::NONE, 1)
            .unwrap();
        c.set_column(v, &value_of(i, 0), SetGrbit::NONE, 1).unwrap();
        c.update(s).unwrap();
    }
    (c, id, v)
}

/// The value of row `i` in generation `g`: lengths differ from row to row and generation
/// to generation, so a layout read for another row would read the wrong bytes; generation 1
/// is longer, so that replacing rows with it splits their page.
fn value_of(i: i32, g: u8) -> Vec<u8> {
    let len = 20 + (i as usize * 7 + usize::from(g) * 13) % 90 + usize::from(g == 1) * 120;
    (0..len).map(|b| (b as u8) ^ (i as u8) ^ g).collect()
}

fn read(c: &mut TableCursor, s: &Session, col: crate::ColumnId, grbit: RetrieveGrbit) -> Vec<u8> {
    c.retrieve_column(s, col, 1, grbit).unwrap().unwrap()
}

fn seek_eq(c: &mut TableCursor, s: &Session, i: i32) {
    c.make_key(&i.to_le_bytes(), crate::MakeKeyGrbit::NEW_KEY)
        .unwrap();
    c.seek(s, super::SeekGrbit::EQ).unwrap();
}

#[test]
fn a_row_read_in_place_stays_readable_while_other_sessions_change_its_page() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, id, v) = kv_table(&stack, &mut s, 300);
    let mut s2 = stack.session();
    let mut other = stack.catalog.open_table(&s2, "kv").unwrap();
    stack.begin(&mut s).unwrap();
    seek_eq(&mut c, &s, 100);
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(100, 0));
    // Another session replaces the row and its neighbours with longer values (splitting
    // their page), deletes the next one and appends rows, then commits.
    stack.begin(&mut s2).unwrap();
    for i in 60..=140 {
        seek_eq(&mut other, &s2, i);
        if i == 101 {
            other.delete(&mut s2).unwrap();
            continue;
        }
        other.prepare_update(&mut s2, Prep::Replace).unwrap();
        other
            .set_column(v, &value_of(i, 1), SetGrbit::NONE, 1)
            .unwrap();
        other.update(&mut s2).unwrap();
    }
    for i in 1_000i32..1_200 {
        other.prepare_update(&mut s2, Prep::Insert).unwrap();
        other
            .set_column(id, &i.to_le_bytes(), SetGrbit::NONE, 1)
            .unwrap();
        other
            .set_column(v, &value_of(i, 1), SetGrbit::NONE, 1)
            .unwrap();
        other.update(&mut s2).unwrap();
    }
    stack.commit(&mut s2).unwrap();
    // The snapshot still reads the row as it was, and every move reads the row it lands on.
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(100, 0));
    assert_eq!(
        read(&mut c, &s, id, RetrieveGrbit::NONE),
        100i32.to_le_bytes()
    );
    for i in 101..=110 {
        c.move_to(&s, MOVE_NEXT).unwrap();
        assert_eq!(
            read(&mut c, &s, v, RetrieveGrbit::NONE),
            value_of(i, 0),
            "row {i}"
        );
        assert_eq!(read(&mut c, &s, id, RetrieveGrbit::NONE), i.to_le_bytes());
    }
    c.move_to(&s, super::MOVE_PREVIOUS).unwrap();
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(109, 0));
    stack.commit(&mut s).unwrap();
    // A new snapshot sees the other session's rows; the deleted one is skipped.
    stack.begin(&mut s).unwrap();
    seek_eq(&mut c, &s, 100);
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(100, 1));
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(
        read(&mut c, &s, id, RetrieveGrbit::NONE),
        102i32.to_le_bytes()
    );
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(102, 1));
    stack.commit(&mut s).unwrap();
}

#[test]
fn a_replace_and_a_failed_move_leave_no_stale_row_behind() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, _id, v) = kv_table(&stack, &mut s, 50);
    seek_eq(&mut c, &s, 49);
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(50, 0));
    // Prepared: the copy buffer takes the new value, the record keeps its own until the
    // update, which the cursor then reads.
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    c.set_column(v, &value_of(50, 2), SetGrbit::NONE, 1)
        .unwrap();
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::COPY), value_of(50, 2));
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(50, 0));
    c.update(&mut s).unwrap();
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(50, 2));
    // Running off the end leaves no record; moving back lands on the last one again.
    assert_eq!(c.move_to(&s, MOVE_NEXT), Err(Error::NoCurrentRecord));
    assert_eq!(
        c.retrieve_column(&s, v, 1, RetrieveGrbit::NONE),
        Err(Error::NoCurrentRecord)
    );
    c.move_to(&s, super::MOVE_PREVIOUS).unwrap();
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(50, 2));
    c.move_to(&s, super::MOVE_PREVIOUS).unwrap();
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(49, 0));
    // A delete by this cursor: the row reads as deleted, the next move goes on from it.
    c.delete(&mut s).unwrap();
    assert_eq!(
        c.retrieve_column(&s, v, 1, RetrieveGrbit::NONE),
        Err(Error::RecordDeleted)
    );
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(50, 2));
}

/// JetRetrieveColumn into a buffer of `room` bytes, as the API calls it: the bytes that
/// fit, cbActual and the warning.
fn read_into(
    c: &mut TableCursor,
    s: &Session,
    col: crate::ColumnId,
    grbit: RetrieveGrbit,
    room: usize,
) -> Result<(Vec<u8>, usize, Option<crate::Warning>), Error> {
    let mut buf = vec![0u8; room];
    let r = c.retrieve_column_ex(s, col, grbit, super::RetInfo::default(), &mut buf)?;
    buf.truncate(r.actual_bytes.min(room));
    Ok((buf, r.actual_bytes, r.warning))
}

/// The bookmark of row `i`: its normalized primary key, as the search key makes it.
fn bookmark_of(c: &mut TableCursor, s: &Session, i: i32) -> Vec<u8> {
    c.make_key(&i.to_le_bytes(), crate::MakeKeyGrbit::NEW_KEY)
        .unwrap();
    c.retrieve_key(s, true).unwrap()
}

/// What [`read_into`] gives for `value` read whole.
fn whole(value: Vec<u8>) -> Result<(Vec<u8>, usize, Option<crate::Warning>), Error> {
    let len = value.len();
    Ok((value, len, None))
}

#[test]
fn reads_into_buffers_follow_the_row_through_moves_seeks_and_changes() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, id, v) = kv_table(&stack, &mut s, 40);
    let none = RetrieveGrbit::NONE;
    stack.begin(&mut s).unwrap();
    seek_eq(&mut c, &s, 10);
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(10, 0)));
    assert_eq!(c.get_bookmark(&s).unwrap(), bookmark_of(&mut c, &s, 10));
    // Every move and seek reads the row it lands on, key and value, and its bookmark.
    for (step, row) in [(MOVE_NEXT, 11), (MOVE_NEXT, 12), (super::MOVE_PREVIOUS, 11)] {
        c.move_to(&s, step).unwrap();
        assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(row, 0)));
        assert_eq!(
            read_into(&mut c, &s, id, none, 4),
            whole(row.to_le_bytes().to_vec())
        );
        assert_eq!(c.get_bookmark(&s).unwrap(), bookmark_of(&mut c, &s, row));
    }
    seek_eq(&mut c, &s, 30);
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(30, 0)));
    assert_eq!(c.get_bookmark(&s).unwrap(), bookmark_of(&mut c, &s, 30));
    // A short buffer gets what fits, the full size and JET_wrnBufferTruncated.
    let full = value_of(30, 0);
    assert_eq!(
        read_into(&mut c, &s, v, none, 5),
        Ok((
            full[..5].to_vec(),
            full.len(),
            Some(crate::Warning::BufferTruncated)
        ))
    );
    // A replace in the same transaction: the copy buffer has the new value until the
    // update, the record the old; after it the record has the new one.
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    c.set_column(v, &value_of(30, 2), SetGrbit::NONE, 1)
        .unwrap();
    let copy = RetrieveGrbit::COPY;
    assert_eq!(read_into(&mut c, &s, v, copy, 300), whole(value_of(30, 2)));
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(30, 0)));
    c.update(&mut s).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(30, 2)));
    assert_eq!(c.get_bookmark(&s).unwrap(), bookmark_of(&mut c, &s, 30));
    // Set to NULL and updated: JET_wrnColumnNull, size 0.
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    c.set_column(v, &[], SetGrbit::NONE, 1).unwrap();
    c.update(&mut s).unwrap();
    assert_eq!(
        read_into(&mut c, &s, v, none, 300),
        Ok((Vec::new(), 0, Some(crate::Warning::ColumnNull)))
    );
    // Moves after the replace read the neighbours, and back the replaced row.
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(31, 0)));
    c.move_to(&s, super::MOVE_PREVIOUS).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 1).map(|r| r.1), Ok(0));
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(31, 0)));
    // A delete: the row reads as deleted; the next move goes on from it.
    c.delete(&mut s).unwrap();
    assert_eq!(
        read_into(&mut c, &s, v, none, 300),
        Err(Error::RecordDeleted)
    );
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(32, 0)));
    assert_eq!(c.get_bookmark(&s).unwrap(), bookmark_of(&mut c, &s, 32));
}

#[test]
fn a_row_read_in_place_shows_the_sessions_own_changes_through_other_cursors_and_rollbacks() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, id, v) = kv_table(&stack, &mut s, 20);
    let mut other = stack.catalog.open_table(&s, "kv").unwrap();
    let none = RetrieveGrbit::NONE;
    stack.begin(&mut s).unwrap();
    seek_eq(&mut c, &s, 5);
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(6, 0)));
    // Another cursor of the session replaces the row `c` stands on: `c` reads the new value.
    seek_eq(&mut other, &s, 6);
    other.prepare_update(&mut s, Prep::Replace).unwrap();
    other
        .set_column(v, &value_of(6, 1), SetGrbit::NONE, 1)
        .unwrap();
    other.update(&mut s).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(6, 1)));
    assert_eq!(read(&mut c, &s, v, none), value_of(6, 1));
    // A save point with a replace of `c`'s own, rolled back: the value before it.
    stack.begin(&mut s).unwrap();
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    c.set_column(v, &value_of(6, 2), SetGrbit::NONE, 1).unwrap();
    c.update(&mut s).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(6, 2)));
    stack.rollback(&mut s).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(6, 1)));
    assert_eq!(read(&mut c, &s, v, none), value_of(6, 1));
    // The other cursor deletes the row: `c` reads it as deleted; the rollback of the whole
    // transaction brings back the row as committed.
    other.delete(&mut s).unwrap();
    assert_eq!(
        read_into(&mut c, &s, v, none, 300),
        Err(Error::RecordDeleted)
    );
    stack.rollback(&mut s).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(6, 0)));
    assert_eq!(
        read_into(&mut c, &s, id, none, 4),
        whole(6i32.to_le_bytes().to_vec())
    );
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(7, 0)));
}

#[test]
fn reads_into_buffers_give_the_column_errors() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, _id, v) = kv_table(&stack, &mut s, 3);
    let none = RetrieveGrbit::NONE;
    let (extra, _) = c
        .add_column(&mut s, "extra", &spec(ColumnType::Binary))
        .unwrap();
    let (gone, _) = c
        .add_column(&mut s, "gone", &spec(ColumnType::Long))
        .unwrap();
    c.delete_column(&mut s, "gone").unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(read_into(&mut c, &s, v, none, 300), whole(value_of(1, 0)));
    let cases = [
        // A column added after the row was written reads NULL (it has no default).
        (extra, Ok((Vec::new(), 0, Some(crate::Warning::ColumnNull)))),
        (gone, Err(Error::ColumnNotFound)),
        (crate::ColumnId(140), Err(Error::ColumnNotFound)),
        (crate::ColumnId(0), Err(Error::BadColumnId(0))),
        (crate::ColumnId(0xFFFF), Err(Error::BadColumnId(0xFFFF))),
    ];
    for (col, expected) in cases {
        assert_eq!(read_into(&mut c, &s, col, none, 8), expected, "{col:?}");
    }
    // The column is checked before the record: a bad column off a record is still
    // JET_errColumnNotFound, a good one JET_errNoCurrentRecord.
    assert_eq!(
        c.move_to(&s, MOVE_PREVIOUS_ALL),
        Err(Error::NoCurrentRecord)
    );
    assert_eq!(
        read_into(&mut c, &s, gone, none, 8),
        Err(Error::ColumnNotFound)
    );
    assert_eq!(
        read_into(&mut c, &s, v, none, 8),
        Err(Error::NoCurrentRecord)
    );
}

#[test]
fn reads_into_buffers_answer_as_whole_value_reads_for_every_kind_of_column() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let with_default = |t: ColumnType, grbit: ColumnGrbit, default: &[u8]| ColumnSpec {
        default: default.to_vec(),
        ..ColumnSpec::new(t, grbit)
    };
    let create = TableCreate::new("mix")
        .column("id", spec(ColumnType::Long))
        .column("short", spec(ColumnType::Short))
        .column("var", spec(ColumnType::Binary))
        .column(
            "tags",
            ColumnSpec::new(
                ColumnType::Binary,
                ColumnGrbit::TAGGED | ColumnGrbit::MULTI_VALUED,
            ),
        )
        .index(IndexCreate::new("primary", b"+id\0\0", IndexGrbit::PRIMARY));
    let mut c = stack.catalog.create_table(&mut s, &create).unwrap().0;
    let col = |c: &TableCursor, name: &str| c.schema().column_id(name).unwrap();
    let (id, short, var, tags) = (
        col(&c, "id"),
        col(&c, "short"),
        col(&c, "var"),
        col(&c, "tags"),
    );
    // Rows with every mix of NULL and set values, an empty variable value, and zero to
    // three tagged values.
    for i in 0..12i32 {
        c.prepare_update(&mut s, Prep::Insert).unwrap();
        c.set_column(id, &i.to_le_bytes(), SetGrbit::NONE, 1)
            .unwrap();
        if i % 2 == 0 {
            c.set_column(short, &(i as i16 * 3).to_le_bytes(), SetGrbit::NONE, 1)
                .unwrap();
        }
        match i % 3 {
            0 => {}
            1 => {
                c.set_column(var, &[], SetGrbit::ZERO_LENGTH, 1).unwrap();
            }
            _ => {
                c.set_column(var, &value_of(i, 0), SetGrbit::NONE, 1)
                    .unwrap();
            }
        }
        for t in 0..(i % 4) {
            c.set_column(tags, &value_of(i + t, 3), SetGrbit::NONE, 0)
                .unwrap();
        }
        c.update(&mut s).unwrap();
    }
    // Columns the rows were written before: they read their defaults.
    let (late_fixed, _) = c
        .add_column(
            &mut s,
            "late_fixed",
            &with_default(ColumnType::Long, ColumnGrbit::NONE, &77i32.to_le_bytes()),
        )
        .unwrap();
    let (late_var, _) = c
        .add_column(
            &mut s,
            "late_var",
            &with_default(ColumnType::Binary, ColumnGrbit::NONE, b"late"),
        )
        .unwrap();
    let columns = [
        id,
        short,
        var,
        tags,
        late_fixed,
        late_var,
        crate::ColumnId(9),
        crate::ColumnId(200),
        crate::ColumnId(0),
    ];
    let grbits = [
        RetrieveGrbit::NONE,
        RetrieveGrbit::IGNORE_DEFAULT,
        RetrieveGrbit::TAG,
        RetrieveGrbit::NULL,
        RetrieveGrbit::COPY,
    ];
    c.move_to(&s, MOVE_FIRST).unwrap();
    let mut rows = 0;
    loop {
        for col in columns {
            for grbit in grbits {
                for itag in 1..=3 {
                    let whole = c.retrieve_column(&s, col, itag, grbit);
                    for room in [0usize, 2, 300] {
                        let expected = whole.clone().map(|v| match v {
                            None => (Vec::new(), 0, Some(crate::Warning::ColumnNull)),
                            Some(v) => {
                                let cut = v.len() > room;
                                let len = v.len();
                                let kept = v.into_iter().take(room).collect();
                                (kept, len, cut.then_some(crate::Warning::BufferTruncated))
                            }
                        });
                        let mut buf = vec![0u8; room];
                        let info = super::RetInfo {
                            ib_long_value: 0,
                            itag_sequence: itag,
                        };
                        let got = c
                            .retrieve_column_ex(&s, col, grbit, info, &mut buf)
                            .map(|r| {
                                assert_eq!(r.itag_sequence, itag);
                                buf.truncate(r.actual_bytes.min(room));
                                (buf, r.actual_bytes, r.warning)
                            });
                        assert_eq!(got, expected, "row {rows} {col:?} {grbit:?} {itag} {room}");
                    }
                }
            }
        }
        rows += 1;
        if c.move_to(&s, MOVE_NEXT).is_err() {
            break;
        }
    }
    assert_eq!(rows, 12);
}

/// The primary key (column "id") of the row `c` is on.
fn id_of(c: &mut TableCursor, s: &Session, id: crate::ColumnId) -> i32 {
    let b = read(c, s, id, RetrieveGrbit::NONE);
    i32::from_le_bytes(b.try_into().unwrap())
}

#[test]
fn seek_eq_hands_its_key_to_the_position_and_the_next_search_key() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, id, v) = kv_table(&stack, &mut s, 200);
    // Seeks back and forth: each lands on its row, whose bookmark and key are the search
    // key, and consumes the search key.
    for i in [100, 7, 7, 199, 1, 150, 100] {
        seek_eq(&mut c, &s, i);
        assert_eq!(id_of(&mut c, &s, id), i);
        assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(i, 0));
        let bookmark = bookmark_of(&mut c, &s, i);
        // `bookmark_of` made a new search key: the seek's buffer came back empty.
        assert_eq!(c.retrieve_key(&s, true).unwrap(), bookmark);
        c.seek(&s, super::SeekGrbit::EQ).unwrap();
        assert_eq!(c.get_bookmark(&s).unwrap(), bookmark);
        assert_eq!(c.retrieve_key(&s, false).unwrap(), bookmark);
        assert_eq!(c.retrieve_key(&s, true), Err(Error::KeyNotMade));
        // Moves go on from the row the seek found.
        c.move_to(&s, MOVE_NEXT).unwrap();
        assert_eq!(id_of(&mut c, &s, id), i + 1);
        c.move_to(&s, super::MOVE_PREVIOUS).unwrap();
        match c.move_to(&s, super::MOVE_PREVIOUS) {
            Ok(()) => assert_eq!(id_of(&mut c, &s, id), i - 1),
            Err(e) => assert_eq!((i, e), (1, Error::NoCurrentRecord)),
        }
    }
    // A miss leaves the cursor at the key: the next move goes on from it.
    c.prepare_update(&mut s, Prep::Insert).unwrap();
    c.set_column(id, &500i32.to_le_bytes(), SetGrbit::NONE, 1)
        .unwrap();
    c.update(&mut s).unwrap();
    c.make_key(&300i32.to_le_bytes(), crate::MakeKeyGrbit::NEW_KEY)
        .unwrap();
    assert_eq!(c.seek(&s, super::SeekGrbit::EQ), Err(Error::RecordNotFound));
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(id_of(&mut c, &s, id), 500);
    // With SetIndexRange the key also becomes the range's inclusive upper limit.
    c.make_key(&42i32.to_le_bytes(), crate::MakeKeyGrbit::NEW_KEY)
        .unwrap();
    c.seek(&s, super::SeekGrbit::EQ | super::SeekGrbit::SET_INDEX_RANGE)
        .unwrap();
    assert_eq!(id_of(&mut c, &s, id), 42);
    assert_eq!(c.move_to(&s, MOVE_NEXT), Err(Error::NoCurrentRecord));
    seek_eq(&mut c, &s, 42);
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(id_of(&mut c, &s, id), 43);
    // SeekGE: exact without a warning, inexact with JET_wrnSeekNotEqual.
    c.make_key(&43i32.to_le_bytes(), crate::MakeKeyGrbit::NEW_KEY)
        .unwrap();
    assert_eq!(c.seek(&s, super::SeekGrbit::GE), Ok(None));
    assert_eq!(id_of(&mut c, &s, id), 43);
    c.make_key(&201i32.to_le_bytes(), crate::MakeKeyGrbit::NEW_KEY)
        .unwrap();
    assert_eq!(
        c.seek(&s, super::SeekGrbit::GE),
        Ok(Some(crate::Warning::SeekNotEqual))
    );
    assert_eq!(id_of(&mut c, &s, id), 500);
}

#[test]
fn moves_in_place_follow_the_row_through_changes_of_position() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, id, v) = kv_table(&stack, &mut s, 60);
    let mut other = stack.catalog.open_table(&s, "kv").unwrap();
    seek_eq(&mut c, &s, 10);
    // Another cursor of the session deletes the next row and replaces the one after: the
    // step from row 10 skips the deleted row and reads the new value.
    stack.begin(&mut s).unwrap();
    seek_eq(&mut other, &s, 11);
    other.delete(&mut s).unwrap();
    seek_eq(&mut other, &s, 12);
    other.prepare_update(&mut s, Prep::Replace).unwrap();
    other
        .set_column(v, &value_of(12, 2), SetGrbit::NONE, 1)
        .unwrap();
    other.update(&mut s).unwrap();
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(id_of(&mut c, &s, id), 12);
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(12, 2));
    // Rolled back: row 11 is back, row 12 has its old value.
    stack.rollback(&mut s).unwrap();
    c.move_to(&s, super::MOVE_PREVIOUS).unwrap();
    assert_eq!(id_of(&mut c, &s, id), 11);
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(12, 0));
    // A replace through the cursor, then a delete through it: moves go on from the row.
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    c.set_column(v, &value_of(12, 1), SetGrbit::NONE, 1)
        .unwrap();
    c.update(&mut s).unwrap();
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(id_of(&mut c, &s, id), 13);
    c.delete(&mut s).unwrap();
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(id_of(&mut c, &s, id), 14);
    c.move_to(&s, super::MOVE_PREVIOUS).unwrap();
    assert_eq!(id_of(&mut c, &s, id), 12);
    assert_eq!(read(&mut c, &s, v, RetrieveGrbit::NONE), value_of(12, 1));
    // A goto-bookmark, then a scan to the end: every row once, in order.
    let bookmark = bookmark_of(&mut c, &s, 40);
    c.goto_bookmark(&s, &bookmark).unwrap();
    let mut seen = vec![id_of(&mut c, &s, id)];
    while c.move_to(&s, MOVE_NEXT).is_ok() {
        seen.push(id_of(&mut c, &s, id));
    }
    assert_eq!(seen, (40..=60).collect::<Vec<_>>());
    // Off the end; moving back lands on the last row.
    c.move_to(&s, super::MOVE_PREVIOUS).unwrap();
    assert_eq!(id_of(&mut c, &s, id), 60);
}
