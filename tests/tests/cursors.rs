//! Issue 9, item 7: cursors on the primary index. Moves, make_key and seek with every grbit
//! on keys sharing prefixes, index ranges, bookmarks, counts and positions.

use ese_api::{
    ColumnGrbit, ColumnId, ColumnType, Engine, IndexCreate, IndexGrbit, JetErr, Sesid, TableCreate,
    Tableid,
    table::{
        JET_BIT_NEW_KEY, JET_BIT_RANGE_INCLUSIVE, JET_BIT_RANGE_REMOVE, JET_BIT_RANGE_UPPER_LIMIT,
        JET_BIT_SEEK_EQ, JET_BIT_SEEK_GE, JET_BIT_SEEK_GT, JET_BIT_SEEK_LE, JET_BIT_SEEK_LT,
        JET_MOVE_FIRST, JET_MOVE_LAST, JET_MOVE_NEXT, JET_MOVE_PREVIOUS, JET_PREP_INSERT,
    },
};
use ese_tests::{Fixture, col};

const KEYS: [&str; 7] = ["a", "ab", "abc", "abcd", "abd", "b", "ba"];

fn table(f: &Fixture) -> (Tableid, ColumnId) {
    let e = &f.engine;
    let create = TableCreate::new("k")
        .column("k", col(ColumnType::Binary, ColumnGrbit::NOT_NULL))
        .index(IndexCreate::new(
            "pk",
            b"+k\0\0",
            IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
        ));
    let (t, _) = e
        .create_table_column_index(f.sesid, f.dbid, &create)
        .expect("test helper");
    let k = e
        .get_table_column_info(f.sesid, t, Some("k"))
        .expect("test helper")[0]
        .id;
    // Inserted out of order: the index sorts them.
    for key in KEYS.iter().rev() {
        e.prepare_update(f.sesid, t, JET_PREP_INSERT)
            .expect("test helper");
        e.set_column(f.sesid, t, k, key.as_bytes(), 0, 0)
            .expect("test helper");
        e.update(f.sesid, t).expect("test helper");
    }
    (t, k)
}

fn current(e: &Engine, s: Sesid, t: Tableid, k: ColumnId) -> String {
    String::from_utf8(
        e.retrieve_column_value(s, t, k, 0, 1)
            .expect("test helper")
            .expect("test helper"),
    )
    .expect("test helper")
}

fn seek(e: &Engine, s: Sesid, t: Tableid, key: &str, grbit: u32) -> ese_api::Result<Option<i32>> {
    e.make_key(s, t, key.as_bytes(), JET_BIT_NEW_KEY)?;
    e.seek(s, t, grbit).map(|w| w.map(|w| w.code()))
}

#[test]
fn moves_visit_the_keys_in_order() {
    let f = Fixture::new("cur-move");
    let (e, s) = (&f.engine, f.sesid);
    let (t, k) = table(&f);
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    let mut seen = vec![current(e, s, t, k)];
    while e.move_cursor(s, t, JET_MOVE_NEXT, 0).is_ok() {
        seen.push(current(e, s, t, k));
    }
    assert_eq!(seen, KEYS);
    e.move_cursor(s, t, JET_MOVE_LAST, 0).unwrap();
    assert_eq!(current(e, s, t, k), "ba");
    e.move_cursor(s, t, JET_MOVE_PREVIOUS, 0).unwrap();
    assert_eq!(current(e, s, t, k), "b");
    e.move_cursor(s, t, -3, 0).unwrap();
    assert_eq!(current(e, s, t, k), "abc");
    e.move_cursor(s, t, 2, 0).unwrap();
    assert_eq!(current(e, s, t, k), "abd");
    assert_eq!(
        e.move_cursor(s, t, 10, 0).unwrap_err(),
        JetErr::NO_CURRENT_RECORD
    );
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    assert_eq!(
        e.move_cursor(s, t, JET_MOVE_PREVIOUS, 0)
            .unwrap_err()
            .code(),
        -1603
    );
}

#[test]
fn seek_with_every_grbit_on_keys_sharing_prefixes() {
    let f = Fixture::new("cur-seek");
    let (e, s) = (&f.engine, f.sesid);
    let (t, k) = table(&f);
    // (search key, grbit, found key or None for RecordNotFound, SeekNotEqual?)
    let cases: &[(&str, u32, Option<&str>, bool)] = &[
        ("ab", JET_BIT_SEEK_EQ, Some("ab"), false),
        ("abc", JET_BIT_SEEK_EQ, Some("abc"), false),
        ("abcc", JET_BIT_SEEK_EQ, None, false),
        ("aa", JET_BIT_SEEK_EQ, None, false),
        ("ab", JET_BIT_SEEK_GE, Some("ab"), false),
        ("abb", JET_BIT_SEEK_GE, Some("abc"), true),
        ("abce", JET_BIT_SEEK_GE, Some("abd"), true),
        ("bb", JET_BIT_SEEK_GE, None, false),
        ("ab", JET_BIT_SEEK_GT, Some("abc"), false),
        ("abc", JET_BIT_SEEK_GT, Some("abcd"), false),
        ("ba", JET_BIT_SEEK_GT, None, false),
        ("abc", JET_BIT_SEEK_LE, Some("abc"), false),
        ("abcz", JET_BIT_SEEK_LE, Some("abcd"), true),
        ("abca", JET_BIT_SEEK_LE, Some("abc"), true),
        ("0", JET_BIT_SEEK_LE, None, false),
        ("abc", JET_BIT_SEEK_LT, Some("ab"), false),
        ("abd", JET_BIT_SEEK_LT, Some("abcd"), false),
        ("a", JET_BIT_SEEK_LT, None, false),
        ("zz", JET_BIT_SEEK_LT, Some("ba"), false),
    ];
    for &(key, grbit, found, not_equal) in cases {
        let got = seek(e, s, t, key, grbit);
        match found {
            Some(want) => {
                let w = got.unwrap_or_else(|err| panic!("seek {key:?} {grbit:#x}: {err}"));
                assert_eq!(current(e, s, t, k), want, "seek {key:?} {grbit:#x}");
                assert_eq!(w, not_equal.then_some(1039), "seek {key:?} {grbit:#x}");
            }
            None => assert_eq!(
                got.unwrap_err(),
                JetErr::RECORD_NOT_FOUND,
                "seek {key:?} {grbit:#x}"
            ),
        }
    }
}

#[test]
fn seek_without_a_key_is_key_not_made() {
    let f = Fixture::new("cur-nokey");
    let (t, _) = table(&f);
    assert_eq!(
        f.engine
            .seek(f.sesid, t, JET_BIT_SEEK_EQ)
            .unwrap_err()
            .code(),
        -1608,
        "JET_errKeyNotMade"
    );
}

#[test]
fn index_ranges_bookmarks_counts_and_positions() {
    let f = Fixture::new("cur-range");
    let (e, s) = (&f.engine, f.sesid);
    let (t, k) = table(&f);
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    assert_eq!(e.index_record_count(s, t, 0).unwrap(), 7);
    assert_eq!(
        e.index_record_count(s, t, 3).unwrap(),
        3,
        "counts at most max"
    );

    // The records from "ab" up to "abd" inclusive.
    assert_eq!(seek(e, s, t, "ab", JET_BIT_SEEK_GE).unwrap(), None);
    e.make_key(s, t, b"abd", JET_BIT_NEW_KEY).unwrap();
    e.set_index_range(s, t, JET_BIT_RANGE_UPPER_LIMIT | JET_BIT_RANGE_INCLUSIVE)
        .unwrap();
    let mut seen = vec![current(e, s, t, k)];
    while e.move_cursor(s, t, JET_MOVE_NEXT, 0).is_ok() {
        seen.push(current(e, s, t, k));
    }
    assert_eq!(seen, ["ab", "abc", "abcd", "abd"]);
    // Exclusive of the limit, counted (the count removes the range).
    assert_eq!(seek(e, s, t, "abc", JET_BIT_SEEK_GE).unwrap(), None);
    e.make_key(s, t, b"abd", JET_BIT_NEW_KEY).unwrap();
    e.set_index_range(s, t, JET_BIT_RANGE_UPPER_LIMIT).unwrap();
    assert_eq!(e.index_record_count(s, t, 0).unwrap(), 2);
    assert_eq!(
        e.set_index_range(s, t, JET_BIT_RANGE_REMOVE).unwrap_err(),
        JetErr::INVALID_OPERATION
    );
    // A range the current record is outside of.
    assert_eq!(seek(e, s, t, "b", JET_BIT_SEEK_EQ).unwrap(), None);
    e.make_key(s, t, b"abd", JET_BIT_NEW_KEY).unwrap();
    assert_eq!(
        e.set_index_range(s, t, JET_BIT_RANGE_UPPER_LIMIT)
            .unwrap_err(),
        JetErr::NO_CURRENT_RECORD
    );
    e.set_index_range(s, t, JET_BIT_RANGE_REMOVE).unwrap();

    // Bookmarks.
    assert_eq!(seek(e, s, t, "abcd", JET_BIT_SEEK_EQ).unwrap(), None);
    let bm = e.get_bookmark(s, t).unwrap();
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    e.goto_bookmark(s, t, &bm).unwrap();
    assert_eq!(current(e, s, t, k), "abcd");

    // Positions.
    let pos = e.get_record_position(s, t).unwrap();
    assert_eq!((pos.entries_lt, pos.entries_total), (3, 7));
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    e.goto_position(s, t, pos).unwrap();
    assert_eq!(current(e, s, t, k), "abcd");
}
