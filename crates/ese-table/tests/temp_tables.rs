//! Temporary tables: sorted, unique or not, updatable and scrollable per their grbits,
//! ErrorOnDuplicateInsertion / ForceMaterialization, and the calls they refuse
//! (reference 14 §1–3).

use ese_table::testing::TestStack;
use ese_table::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, Error, MOVE_FIRST, MOVE_LAST, MOVE_NEXT,
    MOVE_PREVIOUS, MakeKeyGrbit, Prep, RetrieveGrbit, SeekGrbit, SetGrbit, SetIndexGrbit,
    TableCursor, TempGrbit, TempTableCreate,
};
use ese_txn::Session;

fn open(stack: &TestStack, grbit: TempGrbit, keyed: bool) -> (TableCursor, Vec<ColumnId>) {
    let key = if keyed {
        ColumnGrbit::TT_KEY | ColumnGrbit::TT_DESCENDING
    } else {
        ColumnGrbit::NONE
    };
    let create = TempTableCreate {
        columns: vec![
            ColumnSpec::new(ColumnType::Long, key),
            ColumnSpec::new(ColumnType::Text, ColumnGrbit::NONE),
        ],
        grbit,
        ..TempTableCreate::default()
    };
    stack.catalog.open_temp_table(&create).expect("test helper")
}

fn put(
    c: &mut TableCursor,
    s: &mut Session,
    ids: &[ColumnId],
    k: i32,
    v: &str,
) -> Result<(), Error> {
    c.prepare_update(s, Prep::Insert)?;
    c.set_column(ids[0], &k.to_le_bytes(), SetGrbit::NONE, 1)?;
    c.set_column(ids[1], v.as_bytes(), SetGrbit::NONE, 1)?;
    let r = c.update(s).map(|_| ());
    if r.is_err() {
        c.prepare_update(s, Prep::Cancel)?;
    }
    r
}

fn rows(c: &mut TableCursor, s: &Session, ids: &[ColumnId]) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    while c.move_to(s, MOVE_NEXT).is_ok() {
        let k = c
            .retrieve_column(s, ids[0], 1, RetrieveGrbit::NONE)
            .expect("test helper")
            .expect("test helper");
        let v = c
            .retrieve_column(s, ids[1], 1, RetrieveGrbit::NONE)
            .expect("test helper")
            .expect("test helper");
        out.push((
            i32::from_le_bytes(k.try_into().expect("test helper")),
            String::from_utf8(v).expect("test helper"),
        ));
    }
    out
}

fn code<T>(r: Result<T, Error>) -> i32 {
    r.map(|_| 0).unwrap_or_else(|e| e.jet_code())
}

#[test]
fn a_sort_drops_duplicates_and_reads_forward_only() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, ids) = open(&stack, TempGrbit::NONE, true);
    assert!(c.is_temp());
    for (k, v) in [(2, "b"), (5, "e"), (2, "dup"), (9, "i")] {
        put(&mut c, &mut s, &ids, k, v).unwrap();
    }
    // Insert phase: reads and replaces are refused.
    assert_eq!(code(c.prepare_update(&mut s, Prep::Replace)), -1312);
    // The first MoveNext lands on the first row; descending key; the duplicate is gone.
    assert_eq!(
        rows(&mut c, &s, &ids),
        vec![(9, "i".into()), (5, "e".into()), (2, "b".into())]
    );
    // Forward only: no backward moves, no seeks without Indexed, no updates.
    assert_eq!(code(c.move_to(&s, MOVE_PREVIOUS)), -1312);
    assert_eq!(code(c.move_to(&s, MOVE_LAST)), -1312);
    c.move_to(&s, MOVE_FIRST).unwrap();
    c.make_key(&5i32.to_le_bytes(), MakeKeyGrbit::NEW_KEY)
        .unwrap();
    assert_eq!(code(c.seek(&s, SeekGrbit::EQ)), -1312);
    assert_eq!(code(put(&mut c, &mut s, &ids, 1, "a")), -1312);
    assert_eq!(code(c.delete(&mut s)), -1312);
    // Never on temporary tables.
    assert_eq!(
        code(c.set_current_index(&s, None, SetIndexGrbit::MOVE_FIRST, 0)),
        -1312
    );
    assert_eq!(code(c.get_record_position(&s)), -1312);
    assert_eq!(code(c.index_record_count(&s, 0)), -1312);
    // Duplicated once reading.
    let mut d = c.dup_cursor().unwrap();
    assert_eq!(
        rows(&mut d, &s, &ids).len(),
        2,
        "a dup starts at the deferred first row"
    );
}

#[test]
fn indexed_scrollable_sorts_seek_and_scroll() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, ids) = open(&stack, TempGrbit::INDEXED | TempGrbit::SCROLLABLE, true);
    for k in [3, 1, 2] {
        put(&mut c, &mut s, &ids, k, "x").unwrap();
    }
    c.make_key(&2i32.to_le_bytes(), MakeKeyGrbit::NEW_KEY)
        .unwrap();
    c.seek(&s, SeekGrbit::EQ).unwrap();
    c.move_to(&s, MOVE_PREVIOUS).unwrap();
    let k = c
        .retrieve_column(&s, ids[0], 1, RetrieveGrbit::NONE)
        .unwrap()
        .unwrap();
    assert_eq!(k, 3i32.to_le_bytes());
    c.move_to(&s, MOVE_LAST).unwrap();
    // Still a sort: no updates after the insert phase.
    assert_eq!(code(c.prepare_update(&mut s, Prep::Insert)), -1312);
}

#[test]
fn updatable_and_materialized_tables_refuse_duplicates() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    // ErrorOnDuplicateInsertion (= ForceMaterialization): duplicates fail at insert.
    let (mut c, ids) = open(&stack, TempGrbit::ERROR_ON_DUPLICATE_INSERTION, true);
    put(&mut c, &mut s, &ids, 1, "a").unwrap();
    assert_eq!(put(&mut c, &mut s, &ids, 1, "b"), Err(Error::KeyDuplicate));
    // Updatable: the sort drops duplicates while inserting, then becomes a table.
    let (mut c, ids) = open(&stack, TempGrbit::UPDATABLE | TempGrbit::INDEXED, true);
    put(&mut c, &mut s, &ids, 1, "a").unwrap();
    put(&mut c, &mut s, &ids, 1, "b").unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(put(&mut c, &mut s, &ids, 1, "c"), Err(Error::KeyDuplicate));
    put(&mut c, &mut s, &ids, 7, "g").unwrap();
    // Descending: 7 comes first.
    c.move_to(&s, MOVE_FIRST).unwrap();
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    c.set_column(ids[1], b"z", SetGrbit::NONE, 1).unwrap();
    c.update(&mut s).unwrap();
    c.move_to(&s, MOVE_NEXT).unwrap();
    c.delete(&mut s).unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    c.move_to(&s, MOVE_PREVIOUS).unwrap_err();
    assert_eq!(rows(&mut c, &s, &ids), vec![(7, "z".into())]);
    // Rollback undoes a temporary table's changes too.
    stack.begin(&mut s).unwrap();
    put(&mut c, &mut s, &ids, 8, "h").unwrap();
    stack.rollback(&mut s).unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    c.move_to(&s, MOVE_PREVIOUS).unwrap_err();
    assert_eq!(rows(&mut c, &s, &ids).len(), 1);
}

#[test]
fn forward_only_keeps_duplicates_and_keyless_tables_keep_insertion_order() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, ids) = open(&stack, TempGrbit::FORWARD_ONLY, true);
    for (k, v) in [(1, "a"), (2, "b"), (1, "c")] {
        put(&mut c, &mut s, &ids, k, v).unwrap();
    }
    assert_eq!(
        rows(&mut c, &s, &ids),
        vec![(2, "b".into()), (1, "a".into()), (1, "c".into())]
    );
    assert_eq!(code(c.dup_cursor()), -1312);
    // ForwardOnly cannot be materialized.
    let create = TempTableCreate {
        columns: vec![ColumnSpec::new(ColumnType::Long, ColumnGrbit::TT_KEY)],
        grbit: TempGrbit::FORWARD_ONLY | TempGrbit::SCROLLABLE,
        ..TempTableCreate::default()
    };
    assert_eq!(code(stack.catalog.open_temp_table(&create)), -1113);
    // No key column: insertion order, materialized at once (updatable, duplicates kept).
    let (mut c, ids) = open(&stack, TempGrbit::NONE, false);
    for (k, v) in [(3, "c"), (1, "a"), (3, "c")] {
        put(&mut c, &mut s, &ids, k, v).unwrap();
    }
    assert_eq!(
        rows(&mut c, &s, &ids),
        vec![(3, "c".into()), (1, "a".into()), (3, "c".into())]
    );
}
