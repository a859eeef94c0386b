//! Crash and recovery end to end: init after a crash (a dropped engine) or a dirty term
//! recovers committed rows and drops uncommitted ones, with a cache small enough that pages
//! are evicted and checkpoints move while the work runs.

use ese_api::{
    ColumnGrbit, ColumnType, Engine, IndexCreate, IndexGrbit, JetErr, ParamValue, TableCreate,
    grbit, paramid,
    table::{
        JET_BIT_NEW_KEY, JET_BIT_SEEK_EQ, JET_BIT_SEEK_GE, JET_MOVE_FIRST, JET_MOVE_NEXT,
        JET_PREP_INSERT,
    },
};
use ese_tests::{Fixture, col, running};

const COMMITTED: i32 = 20_000;

/// The text of row `i`: long enough that the rows fill many more pages than the cache holds.
fn text_of(i: i32) -> Vec<u8> {
    format!("row {i:06} {}", "x".repeat(60 + (i % 40) as usize)).into_bytes()
}

fn small_cache() -> Engine {
    let e = ese_tests::engine();
    e.set_system_parameter(None, None, paramid::CACHE_SIZE_MAX, ParamValue::Int(64))
        .expect("test helper");
    e
}

/// Fills the fixture's database: `COMMITTED` rows in durable transactions of 100, then
/// uncommitted rows in an open transaction of another session.
fn work(f: &Fixture) {
    let e = &f.engine;
    let s = f.sesid;
    let create = TableCreate::new("rows")
        .column("id", col(ColumnType::Long, ColumnGrbit::NOT_NULL))
        .column("text", col(ColumnType::LongText, ColumnGrbit::NONE))
        .index(IndexCreate::new(
            "pk",
            b"+id\0\0",
            IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
        ));
    let (t, _) = e
        .create_table_column_index(s, f.dbid, &create)
        .expect("test helper");
    let id = e
        .get_table_column_info(s, t, Some("id"))
        .expect("test helper")[0]
        .id;
    let text = e
        .get_table_column_info(s, t, Some("text"))
        .expect("test helper")[0]
        .id;
    for batch in 0..COMMITTED / 100 {
        e.begin_transaction(s).expect("test helper");
        for i in batch * 100..(batch + 1) * 100 {
            e.prepare_update(s, t, JET_PREP_INSERT)
                .expect("test helper");
            e.set_column(s, t, id, &i.to_le_bytes(), 0, 0)
                .expect("test helper");
            e.set_column(s, t, text, &text_of(i), 0, 0)
                .expect("test helper");
            e.update(s, t).expect("test helper");
        }
        e.commit_transaction(s, 0).expect("test helper");
    }
    let other = e.begin_session(f.inst, "", "").expect("test helper");
    let d = e
        .open_database(other, &f.db_file, None, 0)
        .expect("test helper");
    let t2 = e
        .open_table(other, d, "rows", None, 0)
        .expect("test helper");
    e.begin_transaction(other).expect("test helper");
    for i in COMMITTED..COMMITTED + 500 {
        e.prepare_update(other, t2, JET_PREP_INSERT)
            .expect("test helper");
        e.set_column(other, t2, id, &i.to_le_bytes(), 0, 0)
            .expect("test helper");
        e.update(other, t2).expect("test helper");
    }
}

fn verify(e: &Engine, logs: &std::path::Path, db_file: &str) {
    let i = running(e, "after", logs);
    let s = e.begin_session(i, "", "").expect("test helper");
    e.attach_database(s, db_file, 0).expect("test helper");
    let d = e.open_database(s, db_file, None, 0).expect("test helper");
    let t = e.open_table(s, d, "rows", None, 0).expect("test helper");
    let id = e
        .get_table_column_info(s, t, Some("id"))
        .expect("test helper")[0]
        .id;
    let text = e
        .get_table_column_info(s, t, Some("text"))
        .expect("test helper")[0]
        .id;
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).expect("test helper");
    let mut n = 0i32;
    loop {
        let got = e
            .retrieve_column_value(s, t, id, 0, 1)
            .expect("test helper")
            .expect("test helper");
        assert_eq!(got, n.to_le_bytes(), "row {n}");
        let txt = e
            .retrieve_column_value(s, t, text, 0, 1)
            .expect("test helper")
            .expect("test helper");
        assert_eq!(txt, text_of(n));
        n += 1;
        if e.move_cursor(s, t, JET_MOVE_NEXT, 0).is_err() {
            break;
        }
    }
    assert_eq!(n, COMMITTED, "every committed row and no uncommitted one");
    e.make_key(s, t, &COMMITTED.to_le_bytes(), JET_BIT_NEW_KEY)
        .expect("test helper");
    assert_eq!(
        e.seek(s, t, JET_BIT_SEEK_EQ).expect_err("test helper"),
        JetErr::RECORD_NOT_FOUND
    );
    // The recovered database takes new work, also on the keys whose inserts were undone,
    // and shuts down cleanly.
    for k in [-1, COMMITTED, COMMITTED + 499] {
        e.prepare_update(s, t, JET_PREP_INSERT)
            .expect("test helper");
        e.set_column(s, t, id, &k.to_le_bytes(), 0, 0)
            .expect("test helper");
        e.update(s, t).expect("test helper");
    }
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).expect("test helper");
    assert_eq!(
        e.index_record_count(s, t, 0).expect("test helper"),
        COMMITTED as u64 + 3
    );
    e.end_session(s, 0).expect("test helper");
    e.term(i).expect("test helper");
}

#[test]
fn init_after_a_crash_recovers_committed_rows_and_drops_uncommitted_ones() {
    let f = Fixture::with_engine("rec-crash", small_cache());
    work(&f);
    let Fixture {
        engine,
        dir,
        db_file,
        ..
    } = f;
    drop(engine);
    verify(&small_cache(), &dir.sub("logs"), &db_file);
}

#[test]
fn init_after_a_dirty_term_recovers_too() {
    let f = Fixture::with_engine("rec-dirty", small_cache());
    work(&f);
    assert_eq!(
        f.engine.term2(f.inst, grbit::TERM_DIRTY).unwrap_err(),
        JetErr::DIRTY_SHUTDOWN
    );
    verify(&small_cache(), &f.logs(), &f.db_file);
}

/// The long value of row `i`: 40–120 KiB, far beyond what stays in a record.
fn blob_of(i: i32) -> Vec<u8> {
    let len = 40 * 1024 + (i as usize * 7919) % (80 * 1024);
    (0..len)
        .map(|b| (b as u32 ^ (i as u32).wrapping_mul(31)) as u8)
        .collect()
}

#[test]
fn a_crash_keeps_committed_long_values_and_index_entries() {
    use ese_api::table::{JET_BIT_SET_APPEND_LV, JET_BIT_SET_SEPARATE_LV};
    const KEPT: i32 = 40;
    let f = Fixture::with_engine("rec-lv", small_cache());
    let (e, s) = (&f.engine, f.sesid);
    let create = TableCreate::new("docs")
        .column("id", col(ColumnType::Long, ColumnGrbit::NOT_NULL))
        .column("tag", col(ColumnType::Text, ColumnGrbit::NONE))
        .column("body", col(ColumnType::LongBinary, ColumnGrbit::NONE))
        .index(IndexCreate::new(
            "pk",
            b"+id\0\0",
            IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
        ));
    let (t, _) = e.create_table_column_index(s, f.dbid, &create).unwrap();
    let info = |n: &str| e.get_table_column_info(s, t, Some(n)).unwrap()[0].id;
    let (id, tag, body) = (info("id"), info("tag"), info("body"));
    e.create_index(s, t, "by_tag", 0, b"-tag\0+id\0\0", 0)
        .unwrap();
    for i in 0..KEPT {
        e.begin_transaction(s).unwrap();
        e.prepare_update(s, t, JET_PREP_INSERT).unwrap();
        e.set_column(s, t, id, &i.to_le_bytes(), 0, 0).unwrap();
        e.set_column(s, t, tag, format!("tag{:03}", i % 7).as_bytes(), 0, 0)
            .unwrap();
        let blob = blob_of(i);
        let (head, tail) = blob.split_at(blob.len() / 3);
        e.set_column(s, t, body, head, JET_BIT_SET_SEPARATE_LV, 0)
            .unwrap();
        e.set_column(s, t, body, tail, JET_BIT_SET_APPEND_LV, 1)
            .unwrap();
        e.update(s, t).unwrap();
        e.commit_transaction(s, 0).unwrap();
    }
    // Uncommitted: a new row with its long value and index entry, and the deletion of row 0.
    let other = e.begin_session(f.inst, "", "").unwrap();
    let d = e.open_database(other, &f.db_file, None, 0).unwrap();
    let t2 = e.open_table(other, d, "docs", None, 0).unwrap();
    e.begin_transaction(other).unwrap();
    e.prepare_update(other, t2, JET_PREP_INSERT).unwrap();
    e.set_column(other, t2, id, &KEPT.to_le_bytes(), 0, 0)
        .unwrap();
    e.set_column(other, t2, tag, b"lost", 0, 0).unwrap();
    e.set_column(other, t2, body, &blob_of(KEPT), 0, 0).unwrap();
    e.update(other, t2).unwrap();
    e.make_key(other, t2, &0i32.to_le_bytes(), JET_BIT_NEW_KEY)
        .unwrap();
    e.seek(other, t2, JET_BIT_SEEK_EQ).unwrap();
    e.delete(other, t2).unwrap();
    let Fixture {
        engine,
        dir,
        db_file,
        ..
    } = f;
    drop(engine);

    let e = small_cache();
    let i = running(&e, "after-lv", &dir.sub("logs"));
    let s = e.begin_session(i, "", "").unwrap();
    e.attach_database(s, &db_file, 0).unwrap();
    let d = e.open_database(s, &db_file, None, 0).unwrap();
    let t = e.open_table(s, d, "docs", None, 0).unwrap();
    let mut n = 0i32;
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    loop {
        let got = e.retrieve_column_value(s, t, id, 0, 1).unwrap().unwrap();
        assert_eq!(got, n.to_le_bytes());
        let b = e.retrieve_column_value(s, t, body, 0, 1).unwrap().unwrap();
        assert!(b == blob_of(n), "the long value of row {n} survives whole");
        n += 1;
        if e.move_cursor(s, t, JET_MOVE_NEXT, 0).is_err() {
            break;
        }
    }
    assert_eq!(n, KEPT, "row 0 is back, the uncommitted row is gone");
    // The secondary index has exactly the committed entries, in its order.
    e.set_current_index(s, t, Some("by_tag")).unwrap();
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    assert_eq!(e.index_record_count(s, t, 0).unwrap(), KEPT as u64);
    let first = e.retrieve_column_value(s, t, tag, 0, 1).unwrap().unwrap();
    assert_eq!(first, b"tag006", "descending tag");
    // Nothing at or after "lost" in descending order but the undone insert's entry.
    e.make_key(s, t, b"lost", JET_BIT_NEW_KEY).unwrap();
    assert_eq!(
        e.seek(s, t, JET_BIT_SEEK_GE).unwrap_err(),
        JetErr::RECORD_NOT_FOUND,
        "no index entry of the uncommitted insert"
    );
    e.make_key(s, t, b"tag003", JET_BIT_NEW_KEY).unwrap();
    e.make_key(s, t, &10i32.to_le_bytes(), 0).unwrap();
    e.seek(s, t, JET_BIT_SEEK_EQ).unwrap();
    let b = e.retrieve_column_value(s, t, body, 0, 1).unwrap().unwrap();
    assert!(b == blob_of(10), "reached through the index");
    e.end_session(s, 0).unwrap();
    e.term(i).unwrap();
}
