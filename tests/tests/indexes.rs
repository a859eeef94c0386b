//! Issue 11 through the API: secondary indexes built on a populated table, seeks and ranges
//! on them, the current index, secondary-index bookmarks, index info and delete_index.

use ese_api::{
    ColumnGrbit, ColumnId, ColumnType, Engine, IndexCreate, IndexGrbit, JetErr, Sesid, TableCreate,
    Tableid,
    index::{
        JET_BIT_BOOKMARK_PERMIT_VIRTUAL_CURRENCY, JET_BIT_CHECK_UNIQUENESS,
        JET_BIT_INDEX_DISALLOW_NULL, JET_BIT_INDEX_UNIQUE, JET_BIT_NO_MOVE,
    },
    table::{
        JET_BIT_NEW_KEY, JET_BIT_RANGE_INCLUSIVE, JET_BIT_RANGE_UPPER_LIMIT, JET_BIT_SEEK_EQ,
        JET_BIT_SEEK_GE, JET_MOVE_FIRST, JET_MOVE_NEXT, JET_PREP_INSERT,
    },
};
use ese_tests::{Fixture, col};

const ROWS: i32 = 300;

/// The city of row `i`: 10 distinct cities, so the index has duplicates.
fn city(i: i32) -> String {
    format!("city{:02}", (i * 7) % 10)
}

struct People {
    t: Tableid,
    id: ColumnId,
    city: ColumnId,
    age: ColumnId,
}

fn people(f: &Fixture) -> People {
    let (e, s) = (&f.engine, f.sesid);
    let create = TableCreate::new("people")
        .column("id", col(ColumnType::Long, ColumnGrbit::NOT_NULL))
        .column("city", col(ColumnType::Text, ColumnGrbit::NONE))
        .column("age", col(ColumnType::Short, ColumnGrbit::NONE))
        .index(IndexCreate::new(
            "pk",
            b"+id\0\0",
            IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
        ));
    let (t, _) = e
        .create_table_column_index(s, f.dbid, &create)
        .expect("test helper");
    let info = |n: &str| e.get_table_column_info(s, t, Some(n)).expect("test helper")[0].id;
    let p = People {
        t,
        id: info("id"),
        city: info("city"),
        age: info("age"),
    };
    e.begin_transaction(s).expect("test helper");
    // Inserted in a scrambled order.
    for k in 0..ROWS {
        let i = (k * 113) % ROWS;
        e.prepare_update(s, t, JET_PREP_INSERT)
            .expect("test helper");
        e.set_column(s, t, p.id, &i.to_le_bytes(), 0, 0)
            .expect("test helper");
        e.set_column(s, t, p.city, city(i).as_bytes(), 0, 0)
            .expect("test helper");
        e.set_column(s, t, p.age, &((i % 90) as i16).to_le_bytes(), 0, 0)
            .expect("test helper");
        e.update(s, t).expect("test helper");
    }
    e.commit_transaction(s, 0).expect("test helper");
    p
}

fn id_here(e: &Engine, s: Sesid, p: &People) -> i32 {
    let v = e
        .retrieve_column_value(s, p.t, p.id, 0, 1)
        .expect("test helper")
        .expect("test helper");
    i32::from_le_bytes(v.try_into().expect("test helper"))
}

fn city_here(e: &Engine, s: Sesid, p: &People) -> String {
    let v = e
        .retrieve_column_value(s, p.t, p.city, 0, 1)
        .expect("test helper")
        .expect("test helper");
    String::from_utf8(v).expect("test helper")
}

#[test]
fn a_secondary_index_is_built_sought_ranged_and_bookmarked() {
    let f = Fixture::new("idx-sec");
    let (e, s) = (&f.engine, f.sesid);
    let p = people(&f);
    // Built on the populated table: ascending city, then descending age.
    e.create_index(s, p.t, "by_city", 0, b"+city\0-age\0\0", 0)
        .unwrap();
    assert_eq!(
        e.create_index(s, p.t, "by_city", 0, b"+age\0\0", 0)
            .unwrap_err()
            .code(),
        -1403,
        "JET_errIndexDuplicate"
    );
    assert_eq!(
        e.create_index(s, p.t, "u_city", JET_BIT_INDEX_UNIQUE, b"+city\0\0", 0)
            .unwrap_err(),
        JetErr::KEY_DUPLICATE,
        "a unique index over equal keys"
    );
    assert_eq!(
        e.create_index(s, p.t, "bad", 0, b"+nosuch\0\0", 0)
            .unwrap_err(),
        JetErr::COLUMN_NOT_FOUND
    );
    // JET_INDEXCREATE form, several at once.
    e.create_index2(
        s,
        p.t,
        &[
            IndexCreate::new("by_age", b"+age\0\0", IndexGrbit::NONE),
            IndexCreate {
                density: 90,
                ..IndexCreate::new(
                    "u_id_desc",
                    b"-id\0\0",
                    IndexGrbit(JET_BIT_INDEX_UNIQUE | JET_BIT_INDEX_DISALLOW_NULL),
                )
            },
        ],
    )
    .unwrap();
    let names: Vec<String> = e
        .get_table_index_info(s, p.t, None)
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names[0] == "pk", "the primary index first: {names:?}");
    let info = e.get_table_index_info(s, p.t, Some("u_id_desc")).unwrap();
    assert!(info[0].grbit.contains(IndexGrbit::UNIQUE));
    assert_eq!(info[0].density, 90);
    assert_eq!(
        e.get_table_index_info(s, p.t, Some("none")).unwrap_err(),
        JetErr::INDEX_NOT_FOUND
    );

    // Walk the whole index: city ascending, age descending within a city.
    assert_eq!(e.get_current_index(s, p.t).unwrap(), "pk");
    e.set_current_index(s, p.t, Some("by_city")).unwrap();
    assert_eq!(e.get_current_index(s, p.t).unwrap(), "by_city");
    e.move_cursor(s, p.t, JET_MOVE_FIRST, 0).unwrap();
    let mut seen = Vec::new();
    loop {
        let i = id_here(e, s, &p);
        seen.push((city(i), -(i % 90), i));
        if e.move_cursor(s, p.t, JET_MOVE_NEXT, 0).is_err() {
            break;
        }
    }
    assert_eq!(seen.len(), ROWS as usize, "one entry per record");
    let mut sorted = seen.clone();
    sorted.sort();
    let keys = |v: &[(String, i32, i32)]| v.iter().map(|x| (x.0.clone(), x.1)).collect::<Vec<_>>();
    assert_eq!(keys(&seen), keys(&sorted), "index order");

    // Seek EQ on the first key column lands on the first entry of that city (text is
    // compared case-insensitively).
    e.make_key(s, p.t, b"CITY03", JET_BIT_NEW_KEY).unwrap();
    assert_eq!(
        e.seek(s, p.t, JET_BIT_SEEK_GE).unwrap().map(|w| w.code()),
        Some(1039),
        "JET_wrnSeekNotEqual: a partial key lands inside the city"
    );
    assert_eq!(city_here(e, s, &p), "city03");
    // A range over that city: [city03, city03 + any age], inclusive upper limit.
    // (age is descending: i16::MIN makes the largest key of the city.)
    e.make_key(s, p.t, b"city03", JET_BIT_NEW_KEY).unwrap();
    e.seek(s, p.t, JET_BIT_SEEK_GE).unwrap();
    e.make_key(s, p.t, b"city03", JET_BIT_NEW_KEY).unwrap();
    e.make_key(s, p.t, &i16::MIN.to_le_bytes(), 0).unwrap();
    e.set_index_range(s, p.t, JET_BIT_RANGE_UPPER_LIMIT | JET_BIT_RANGE_INCLUSIVE)
        .unwrap();
    let mut in_range = 1;
    assert_eq!(city_here(e, s, &p), "city03");
    while e.move_cursor(s, p.t, JET_MOVE_NEXT, 0).is_ok() {
        assert_eq!(city_here(e, s, &p), "city03");
        in_range += 1;
    }
    let expected = (0..ROWS).filter(|&i| city(i) == "city03").count();
    assert_eq!(in_range, expected, "the range holds exactly that city");

    // Secondary bookmark round trip.
    e.make_key(s, p.t, b"city07", JET_BIT_NEW_KEY).unwrap();
    e.seek(s, p.t, JET_BIT_SEEK_GE).unwrap();
    e.move_cursor(s, p.t, JET_MOVE_NEXT, 0).unwrap();
    let here = id_here(e, s, &p);
    let sb = e.get_secondary_index_bookmark(s, p.t).unwrap();
    assert!(!sb.secondary_key.is_empty() && !sb.primary_bookmark.is_empty());
    e.move_cursor(s, p.t, JET_MOVE_FIRST, 0).unwrap();
    assert_ne!(id_here(e, s, &p), here);
    e.goto_secondary_index_bookmark(s, p.t, &sb.secondary_key, &sb.primary_bookmark, 0)
        .unwrap();
    assert_eq!(id_here(e, s, &p), here, "back on the same entry");
    assert_eq!(
        e.goto_secondary_index_bookmark(s, p.t, &sb.secondary_key, &[], 0)
            .unwrap_err(),
        JetErr::INVALID_BOOKMARK,
        "a non-unique index needs the primary bookmark"
    );
    // A missing entry: RecordDeleted, and with PermitVirtualCurrency the cursor sits there.
    let mut gone = sb.primary_bookmark.clone();
    gone.push(0xFF);
    assert_eq!(
        e.goto_secondary_index_bookmark(
            s,
            p.t,
            &sb.secondary_key,
            &gone,
            JET_BIT_BOOKMARK_PERMIT_VIRTUAL_CURRENCY
        )
        .unwrap_err(),
        JetErr::RECORD_DELETED
    );
    // The primary bookmark takes the clustered index to the same record.
    let bm = sb.primary_bookmark.clone();
    e.set_current_index(s, p.t, None).unwrap();
    assert_eq!(
        e.get_secondary_index_bookmark(s, p.t).unwrap_err(),
        JetErr::NO_CURRENT_INDEX
    );
    e.goto_bookmark(s, p.t, &bm).unwrap();
    assert_eq!(id_here(e, s, &p), here);

    // NoMove keeps the record while switching indexes.
    e.set_current_index2(s, p.t, Some("u_id_desc"), JET_BIT_NO_MOVE)
        .unwrap();
    assert_eq!(id_here(e, s, &p), here);
    e.move_cursor(s, p.t, JET_MOVE_NEXT, 0).unwrap();
    assert_eq!(id_here(e, s, &p), here - 1, "descending id");
    e.make_key(s, p.t, &(ROWS - 1).to_le_bytes(), JET_BIT_NEW_KEY)
        .unwrap();
    assert_eq!(
        e.seek(s, p.t, JET_BIT_SEEK_EQ | JET_BIT_CHECK_UNIQUENESS)
            .unwrap(),
        None,
        "JET_bitCheckUniqueness is accepted"
    );
    assert_eq!(id_here(e, s, &p), ROWS - 1);
    e.move_cursor(s, p.t, JET_MOVE_FIRST, 0).unwrap();
    assert_eq!(
        id_here(e, s, &p),
        ROWS - 1,
        "the first of a descending index"
    );

    // delete_index: not while current, and never the primary.
    assert_eq!(
        e.delete_index(s, p.t, "u_id_desc").unwrap_err(),
        JetErr::INDEX_IN_USE
    );
    assert_eq!(
        e.delete_index(s, p.t, "pk").unwrap_err(),
        JetErr::INDEX_MUST_STAY
    );
    e.set_current_index(s, p.t, Some("by_age")).unwrap();
    e.delete_index(s, p.t, "u_id_desc").unwrap();
    assert_eq!(
        e.set_current_index(s, p.t, Some("u_id_desc")).unwrap_err(),
        JetErr::INDEX_NOT_FOUND
    );
    assert_eq!(
        e.delete_index(s, p.t, "u_id_desc").unwrap_err(),
        JetErr::INDEX_NOT_FOUND
    );
}

#[test]
fn index_entries_follow_inserts_and_rollback_in_the_same_transaction() {
    let f = Fixture::new("idx-txn");
    let (e, s) = (&f.engine, f.sesid);
    let p = people(&f);
    e.create_index(s, p.t, "by_city", 0, b"+city\0\0", 0)
        .unwrap();
    e.set_current_index(s, p.t, Some("by_city")).unwrap();
    let count_city = |c: &str| {
        e.make_key(s, p.t, c.as_bytes(), JET_BIT_NEW_KEY).unwrap();
        if e.seek(s, p.t, JET_BIT_SEEK_EQ).is_err() {
            return 0;
        }
        e.make_key(s, p.t, c.as_bytes(), JET_BIT_NEW_KEY).unwrap();
        e.set_index_range(s, p.t, JET_BIT_RANGE_UPPER_LIMIT | JET_BIT_RANGE_INCLUSIVE)
            .unwrap();
        e.index_record_count(s, p.t, 0).unwrap()
    };
    assert_eq!(count_city("zzz"), 0);
    e.begin_transaction(s).unwrap();
    for i in 0..5 {
        e.prepare_update(s, p.t, JET_PREP_INSERT).unwrap();
        e.set_column(s, p.t, p.id, &(ROWS + i).to_le_bytes(), 0, 0)
            .unwrap();
        e.set_column(s, p.t, p.city, b"zzz", 0, 0).unwrap();
        e.update(s, p.t).unwrap();
    }
    assert_eq!(count_city("zzz"), 5, "the transaction sees its own entries");
    e.rollback(s, 0).unwrap();
    assert_eq!(count_city("zzz"), 0, "rollback removes the entries too");
    let c3 = (0..ROWS).filter(|&i| city(i) == "city03").count() as u64;
    assert_eq!(count_city("city03"), c3);
}
