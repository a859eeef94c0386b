//! Issue 11, item 4, through the API: temporary tables sorted and unique, with
//! ErrorOnDuplicateInsertion, seeks on Indexed ones, and the calls a sort refuses.

use ese_api::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, Engine, JetErr, Sesid, Tableid, TempGrbit,
    TempTableCreate,
    index::{
        JET_BIT_TT_ERROR_ON_DUPLICATE_INSERTION, JET_BIT_TT_FORWARD_ONLY, JET_BIT_TT_INDEXED,
        JET_BIT_TT_SCROLLABLE, JET_BIT_TT_UNIQUE, JET_BIT_TT_UPDATABLE,
    },
    table::{
        JET_BIT_NEW_KEY, JET_BIT_SEEK_EQ, JET_BIT_SEEK_GE, JET_MOVE_FIRST, JET_MOVE_NEXT,
        JET_MOVE_PREVIOUS, JET_PREP_CANCEL, JET_PREP_INSERT, JET_PREP_REPLACE,
    },
};
use ese_tests::{Fixture, col};

/// A temporary table keyed by a Long column (descending with `desc`) with a Text payload.
fn open(e: &Engine, s: Sesid, grbit: u32, desc: bool) -> (Tableid, Vec<ColumnId>) {
    let key = if desc {
        ColumnGrbit(ColumnGrbit::TT_KEY.0 | ColumnGrbit::TT_DESCENDING.0)
    } else {
        ColumnGrbit::TT_KEY
    };
    e.open_temp_table(
        s,
        &[
            col(ColumnType::Long, key),
            col(ColumnType::Text, ColumnGrbit::NONE),
        ],
        grbit,
    )
    .expect("test helper")
}

fn put(e: &Engine, s: Sesid, t: Tableid, ids: &[ColumnId], k: i32, v: &str) -> ese_api::Result<()> {
    e.prepare_update(s, t, JET_PREP_INSERT)?;
    e.set_column(s, t, ids[0], &k.to_le_bytes(), 0, 0)?;
    e.set_column(s, t, ids[1], v.as_bytes(), 0, 0)?;
    let r = e.update(s, t).map(|_| ());
    if r.is_err() {
        e.prepare_update(s, t, JET_PREP_CANCEL)?;
    }
    r
}

fn here(e: &Engine, s: Sesid, t: Tableid, ids: &[ColumnId]) -> (i32, String) {
    let k = e
        .retrieve_column_value(s, t, ids[0], 0, 1)
        .expect("test helper")
        .expect("test helper");
    let v = e
        .retrieve_column_value(s, t, ids[1], 0, 1)
        .expect("test helper")
        .expect("test helper");
    (
        i32::from_le_bytes(k.try_into().expect("test helper")),
        String::from_utf8(v).expect("test helper"),
    )
}

fn rows(e: &Engine, s: Sesid, t: Tableid, ids: &[ColumnId]) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    while e.move_cursor(s, t, JET_MOVE_NEXT, 0).is_ok() {
        out.push(here(e, s, t, ids));
    }
    out
}

#[test]
fn a_unique_sort_returns_its_rows_sorted_without_duplicates() {
    let f = Fixture::new("tt-sort");
    let (e, s) = (&f.engine, f.sesid);
    let (t, ids) = open(e, s, JET_BIT_TT_UNIQUE | JET_BIT_TT_SCROLLABLE, false);
    assert_eq!(ids.len(), 2);
    // 500 keys in a scrambled order, every key twice.
    let mut expected = Vec::new();
    for round in 0..2 {
        for n in 0..500 {
            let k = (n * 337) % 500 - 250;
            put(e, s, t, &ids, k, &format!("v{k}/{round}")).unwrap();
            if round == 0 {
                expected.push((k, format!("v{k}/0")));
            }
        }
    }
    expected.sort();
    let got = rows(e, s, t, &ids);
    assert_eq!(got.len(), 500, "duplicates are dropped");
    assert_eq!(
        got.iter().map(|r| r.0).collect::<Vec<_>>(),
        expected.iter().map(|r| r.0).collect::<Vec<_>>(),
        "sorted by the key"
    );
    // Scrollable: it moves backward too.
    e.move_cursor(s, t, JET_MOVE_PREVIOUS, 0).unwrap();
    assert_eq!(here(e, s, t, &ids).0, 249);
    // The sort is not updatable, and has one index.
    assert_eq!(
        e.prepare_update(s, t, JET_PREP_REPLACE).unwrap_err(),
        JetErr::ILLEGAL_OPERATION
    );
    assert_eq!(
        e.set_current_index(s, t, Some("x")).unwrap_err(),
        JetErr::ILLEGAL_OPERATION
    );
    assert_eq!(
        e.create_index(s, t, "x", 0, b"+c1\0\0", 0).unwrap_err(),
        JetErr::ILLEGAL_OPERATION
    );
    e.close_table(s, t).unwrap();
    assert_eq!(
        e.move_cursor(s, t, JET_MOVE_NEXT, 0).unwrap_err(),
        JetErr::INVALID_TABLE_ID
    );
}

#[test]
fn error_on_duplicate_insertion_refuses_a_duplicate_key() {
    let f = Fixture::new("tt-dup");
    let (e, s) = (&f.engine, f.sesid);
    let (t, ids) = open(
        e,
        s,
        JET_BIT_TT_INDEXED | JET_BIT_TT_UPDATABLE | JET_BIT_TT_ERROR_ON_DUPLICATE_INSERTION,
        true,
    );
    for k in [5, 1, 9, 3] {
        put(e, s, t, &ids, k, &format!("v{k}")).unwrap();
    }
    assert_eq!(
        put(e, s, t, &ids, 9, "again").unwrap_err(),
        JetErr::KEY_DUPLICATE
    );
    // Descending key; Indexed: seeks work.
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    assert_eq!(here(e, s, t, &ids), (9, "v9".to_string()));
    e.make_key(s, t, &3i32.to_le_bytes(), JET_BIT_NEW_KEY)
        .unwrap();
    e.seek(s, t, JET_BIT_SEEK_EQ).unwrap();
    assert_eq!(here(e, s, t, &ids), (3, "v3".to_string()));
    e.make_key(s, t, &4i32.to_le_bytes(), JET_BIT_NEW_KEY)
        .unwrap();
    assert_eq!(
        e.seek(s, t, JET_BIT_SEEK_GE).unwrap().map(|w| w.code()),
        Some(1039)
    );
    assert_eq!(here(e, s, t, &ids).0, 3, "GE in descending order");
    // Materialized and updatable: more inserts and deletes after reading.
    put(e, s, t, &ids, 7, "v7").unwrap();
    e.make_key(s, t, &1i32.to_le_bytes(), JET_BIT_NEW_KEY)
        .unwrap();
    e.seek(s, t, JET_BIT_SEEK_EQ).unwrap();
    e.delete(s, t).unwrap();
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    let mut keys = vec![here(e, s, t, &ids).0];
    keys.extend(rows(e, s, t, &ids).into_iter().map(|r| r.0));
    assert_eq!(keys, [9, 7, 5, 3]);
}

#[test]
fn temp_tables_take_the_full_create_and_check_their_grbits() {
    let f = Fixture::new("tt-create");
    let (e, s) = (&f.engine, f.sesid);
    assert_eq!(
        e.open_temp_table(
            s,
            &[col(ColumnType::Long, ColumnGrbit::TT_KEY)],
            JET_BIT_TT_FORWARD_ONLY | JET_BIT_TT_SCROLLABLE
        )
        .unwrap_err()
        .code(),
        -1113,
        "JET_errCannotMaterializeForwardOnlySort"
    );
    assert_eq!(
        e.open_temp_table(s, &[], 0x8000_0000).unwrap_err(),
        JetErr::INVALID_GRBIT
    );
    // JET_OPENTEMPORARYTABLE: a forward-only sort keeps duplicates, in insertion order.
    let create = TempTableCreate {
        columns: vec![
            ColumnSpec::new(ColumnType::Long, ColumnGrbit::TT_KEY),
            ColumnSpec::new(ColumnType::Text, ColumnGrbit::NONE),
        ],
        grbit: TempGrbit::FORWARD_ONLY,
        ..TempTableCreate::default()
    };
    let (t, ids) = e.open_temporary_table(s, &create).unwrap();
    for (k, v) in [(2, "a"), (1, "b"), (2, "c")] {
        put(e, s, t, &ids, k, v).unwrap();
    }
    assert_eq!(
        rows(e, s, t, &ids),
        [(1, "b".into()), (2, "a".into()), (2, "c".into())]
    );
    // Two temporary tables at once, in another session too.
    let s2 = e.begin_session(f.inst, "", "").unwrap();
    let (t2, ids2) = open(e, s2, 0, false);
    let (t3, ids3) = open(e, s, 0, false);
    put(e, s2, t2, &ids2, 1, "s2").unwrap();
    put(e, s, t3, &ids3, 1, "s").unwrap();
    assert_eq!(rows(e, s2, t2, &ids2), [(1, "s2".into())]);
    assert_eq!(rows(e, s, t3, &ids3), [(1, "s".into())]);
    assert_eq!(
        e.move_cursor(s, t2, JET_MOVE_NEXT, 0).unwrap_err(),
        JetErr::INVALID_TABLE_ID,
        "another session's temporary table"
    );
    e.end_session(s2, 0).unwrap();
}
