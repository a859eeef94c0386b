//! Crash and recovery end to end: init after a crash (a dropped engine) or a dirty term
//! recovers committed rows and drops uncommitted ones, with a cache small enough that pages
//! are evicted and checkpoints move while the work runs.

use ese_api::{
    ColumnGrbit, ColumnType, Engine, IndexCreate, IndexGrbit, JetErr, ParamValue, TableCreate,
    grbit, paramid,
    table::{JET_BIT_NEW_KEY, JET_BIT_SEEK_EQ, JET_MOVE_FIRST, JET_MOVE_NEXT, JET_PREP_INSERT},
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
