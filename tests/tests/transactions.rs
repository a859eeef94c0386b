//! Issue 9, item 8: errors and transactions. Exact codes in `Err`, warnings in `Ok`; begin,
//! commit (also lazy), rollback undoing records; write conflicts between sessions.

use ese_api::{
    ColumnGrbit, ColumnId, ColumnType, Engine, IndexCreate, IndexGrbit, JetErr, Sesid, TableCreate,
    Tableid, grbit,
    table::{JET_BIT_NEW_KEY, JET_BIT_SEEK_EQ, JET_MOVE_FIRST, JET_PREP_INSERT, JET_PREP_REPLACE},
};
use ese_tests::{Fixture, col};

fn table(f: &Fixture, s: Sesid, dbid: ese_api::Dbid) -> (Tableid, ColumnId, ColumnId) {
    let e = &f.engine;
    let t = match e.open_table(s, dbid, "t", None, 0) {
        Ok(t) => t,
        Err(_) => {
            let create = TableCreate::new("t")
                .column("id", col(ColumnType::Long, ColumnGrbit::NOT_NULL))
                .column("v", col(ColumnType::LongLong, ColumnGrbit::NONE))
                .index(IndexCreate::new(
                    "pk",
                    b"+id\0\0",
                    IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
                ));
            e.create_table_column_index(s, dbid, &create)
                .expect("test helper")
                .0
        }
    };
    let id = e
        .get_table_column_info(s, t, Some("id"))
        .expect("test helper")[0]
        .id;
    let v = e
        .get_table_column_info(s, t, Some("v"))
        .expect("test helper")[0]
        .id;
    (t, id, v)
}

fn put(e: &Engine, s: Sesid, t: Tableid, id: ColumnId, v: ColumnId, k: i32, val: i64) {
    e.prepare_update(s, t, JET_PREP_INSERT)
        .expect("test helper");
    e.set_column(s, t, id, &k.to_le_bytes(), 0, 0)
        .expect("test helper");
    e.set_column(s, t, v, &val.to_le_bytes(), 0, 0)
        .expect("test helper");
    e.update(s, t).expect("test helper");
}

fn rows(e: &Engine, s: Sesid, t: Tableid) -> u64 {
    match e.move_cursor(s, t, JET_MOVE_FIRST, 0) {
        Ok(()) => e.index_record_count(s, t, 0).expect("test helper"),
        Err(err) if err == JetErr::NO_CURRENT_RECORD => 0,
        Err(err) => panic!("{err}"),
    }
}

fn seek(e: &Engine, s: Sesid, t: Tableid, k: i32) -> ese_api::Result<()> {
    e.make_key(s, t, &k.to_le_bytes(), JET_BIT_NEW_KEY)?;
    e.seek(s, t, JET_BIT_SEEK_EQ).map(drop)
}

#[test]
fn errors_carry_the_exact_code_and_symbol() {
    let f = Fixture::new("txn-codes");
    let e = &f.engine;
    let err = e.commit_transaction(f.sesid, 0).unwrap_err();
    assert_eq!(err.code(), -1054);
    assert_eq!(err.symbol(), Some("JET_errNotInTransaction"));
    assert_eq!(err.to_string(), "JET_errNotInTransaction (-1054)");
    assert_eq!(
        e.rollback(f.sesid, 0).unwrap_err(),
        JetErr::NOT_IN_TRANSACTION
    );
    for _ in 0..7 {
        e.begin_transaction(f.sesid).unwrap();
    }
    assert_eq!(e.begin_transaction(f.sesid).unwrap_err().code(), -1103);
    e.rollback(f.sesid, grbit::ROLLBACK_ALL).unwrap();
    assert_eq!(e.transaction_level(f.sesid).unwrap(), 0);
}

#[test]
fn rollback_undoes_records_level_by_level() {
    let f = Fixture::new("txn-rollback");
    let e = &f.engine;
    let s = f.sesid;
    let (t, id, v) = table(&f, s, f.dbid);
    put(e, s, t, id, v, 1, 10);
    e.begin_transaction(s).unwrap();
    put(e, s, t, id, v, 2, 20);
    e.begin_transaction(s).unwrap();
    put(e, s, t, id, v, 3, 30);
    seek(e, s, t, 1).unwrap();
    e.prepare_update(s, t, JET_PREP_REPLACE).unwrap();
    e.set_column(s, t, v, &11i64.to_le_bytes(), 0, 0).unwrap();
    e.update(s, t).unwrap();
    assert_eq!(rows(e, s, t), 3);
    e.rollback(s, 0).unwrap();
    assert_eq!(rows(e, s, t), 2, "level 2 undone");
    seek(e, s, t, 1).unwrap();
    assert_eq!(
        e.retrieve_column_value(s, t, v, 0, 1).unwrap(),
        Some(10i64.to_le_bytes().to_vec()),
        "the replace was undone"
    );
    e.commit_transaction(s, grbit::COMMIT_LAZY_FLUSH).unwrap();
    assert_eq!(rows(e, s, t), 2);
    e.commit_transaction(s, grbit::WAIT_LAST_LEVEL0_COMMIT)
        .unwrap();
}

#[test]
fn two_sessions_changing_one_record_conflict() {
    let f = Fixture::new("txn-conflict");
    let e = &f.engine;
    let a = f.sesid;
    let (ta, id, v) = table(&f, a, f.dbid);
    put(e, a, ta, id, v, 1, 100);
    let b = e.begin_session(f.inst, "", "").unwrap();
    let dbid = e.open_database(b, &f.db_file, None, 0).unwrap();
    let (tb, _, _) = table(&f, b, dbid);

    e.begin_transaction(a).unwrap();
    e.begin_transaction(b).unwrap();
    seek(e, a, ta, 1).unwrap();
    e.prepare_update(a, ta, JET_PREP_REPLACE).unwrap();
    e.set_column(a, ta, v, &101i64.to_le_bytes(), 0, 0).unwrap();
    e.update(a, ta).unwrap();

    seek(e, b, tb, 1).unwrap();
    let tried = e.prepare_update(b, tb, JET_PREP_REPLACE).and_then(|()| {
        e.set_column(b, tb, v, &102i64.to_le_bytes(), 0, 0)?;
        e.update(b, tb).map(drop)
    });
    assert_eq!(tried.unwrap_err().code(), -1102, "JET_errWriteConflict");
    // b still sees the value before a's change (snapshot isolation).
    assert_eq!(
        e.retrieve_column_value(b, tb, v, 0, 1).unwrap(),
        Some(100i64.to_le_bytes().to_vec())
    );
    e.rollback(b, 0).unwrap();
    e.commit_transaction(a, 0).unwrap();
    // A later transaction of b may change it.
    e.begin_transaction(b).unwrap();
    seek(e, b, tb, 1).unwrap();
    e.prepare_update(b, tb, JET_PREP_REPLACE).unwrap();
    e.set_column(b, tb, v, &103i64.to_le_bytes(), 0, 0).unwrap();
    e.update(b, tb).unwrap();
    e.commit_transaction(b, 0).unwrap();
}
