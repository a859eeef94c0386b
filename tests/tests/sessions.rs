//! Issue 9, item 2: sessions, dup_session, MaxSessions, ended handles, contexts.

use ese_api::{
    ColumnGrbit, ColumnType, Engine, JetErr, ParamValue, Sesid, TableCreate, grbit, paramid,
    table::{JET_MOVE_FIRST, JET_PREP_INSERT},
};
use ese_tests::{Fixture, TempDir, col, engine, place, running};

fn insert(e: &Engine, s: Sesid, t: ese_api::Tableid, id: ese_api::ColumnId, v: i32) {
    e.prepare_update(s, t, JET_PREP_INSERT)
        .expect("test helper");
    e.set_column(s, t, id, &v.to_le_bytes(), 0, 0)
        .expect("test helper");
    e.update(s, t).expect("test helper");
}

fn count(e: &Engine, s: Sesid, t: ese_api::Tableid) -> u64 {
    match e.move_cursor(s, t, JET_MOVE_FIRST, 0) {
        Ok(()) => e.index_record_count(s, t, 0).expect("test helper"),
        Err(err) if err == JetErr::NO_CURRENT_RECORD => 0,
        Err(err) => panic!("{err}"),
    }
}

#[test]
fn dup_session_is_an_independent_new_session() {
    let f = Fixture::new("ses-dup");
    let e = &f.engine;
    let create = TableCreate::new("t").column("v", col(ColumnType::Long, ColumnGrbit::NONE));
    let (t1, _) = e
        .create_table_column_index(f.sesid, f.dbid, &create)
        .unwrap();
    let v = e.get_table_column_info(f.sesid, t1, Some("v")).unwrap()[0].id;

    e.begin_transaction(f.sesid).unwrap();
    let dup = e.dup_session(f.sesid).unwrap();
    assert_ne!(dup, f.sesid);
    assert_eq!(
        e.transaction_level(dup).unwrap(),
        0,
        "no transaction is copied"
    );
    assert_eq!(
        e.open_table(dup, f.dbid, "t", None, 0).unwrap_err(),
        JetErr::INVALID_DATABASE_ID,
        "no open database is copied"
    );
    let dbid = e.open_database(dup, &f.db_file, None, 0).unwrap();
    assert_eq!(dbid, f.dbid, "every session gets the same JET_DBID");
    let t2 = e.open_table(dup, dbid, "t", None, 0).unwrap();
    assert_eq!(
        e.move_cursor(f.sesid, t2, JET_MOVE_FIRST, 0).unwrap_err(),
        JetErr::INVALID_TABLE_ID,
        "a cursor belongs to its session"
    );

    // A transaction in one does not leak into the other, in either direction.
    insert(e, f.sesid, t1, v, 1);
    assert_eq!(count(e, f.sesid, t1), 1);
    assert_eq!(count(e, dup, t2), 0);
    e.begin_transaction(dup).unwrap();
    insert(e, dup, t2, v, 2);
    assert_eq!(count(e, dup, t2), 1);
    assert_eq!(count(e, f.sesid, t1), 1);
    e.rollback(dup, 0).unwrap();
    e.commit_transaction(f.sesid, 0).unwrap();
    assert_eq!(
        count(e, dup, t2),
        1,
        "committed rows are seen once committed"
    );

    // Ending the duplicate leaves the source alone.
    e.end_session(dup, 0).unwrap();
    assert_eq!(count(e, f.sesid, t1), 1);
    assert_eq!(
        e.dup_session(dup).unwrap_err(),
        JetErr::INVALID_SESID,
        "an ended source"
    );
}

#[test]
fn sixteen_sessions_by_default_and_the_seventeenth_is_out_of_sessions() {
    let dir = TempDir::new("ses-max");
    let e = engine();
    let inst = running(&e, "m", dir.path());
    let first = e.begin_session(inst, "", "").unwrap();
    let mut all = vec![first];
    for i in 1..16 {
        // Half by begin_session, half by dup_session.
        let s = if i % 2 == 0 {
            e.begin_session(inst, "", "").unwrap()
        } else {
            e.dup_session(first).unwrap()
        };
        all.push(s);
    }
    assert_eq!(e.begin_session(inst, "", "").unwrap_err().code(), -1101);
    assert_eq!(e.dup_session(first).unwrap_err().code(), -1101);
    e.end_session(all.pop().unwrap(), 0).unwrap();
    let again = e.dup_session(first).unwrap();
    assert_eq!(
        e.begin_session(inst, "", "").unwrap_err(),
        JetErr::OUT_OF_SESSIONS
    );
    e.end_session(again, 0).unwrap();
    e.term(inst).unwrap();

    // Raised before init, more are allowed.
    let e = engine();
    let inst = e.create_instance(Some("more")).unwrap();
    place(&e, inst, &dir.sub("more"));
    e.set_system_parameter(Some(inst), None, paramid::MAX_SESSIONS, ParamValue::Int(20))
        .unwrap();
    e.init(Some(inst)).unwrap();
    let first = e.begin_session(inst, "", "").unwrap();
    for _ in 1..20 {
        e.dup_session(first).unwrap();
    }
    assert_eq!(e.dup_session(first).unwrap_err(), JetErr::OUT_OF_SESSIONS);
    assert_eq!(
        e.begin_session(inst, "", "").unwrap_err(),
        JetErr::OUT_OF_SESSIONS
    );
}

#[test]
fn an_ended_session_handle_is_an_error() {
    let f = Fixture::new("ses-ended");
    let e = &f.engine;
    let s = e.begin_session(f.inst, "", "").unwrap();
    e.end_session(s, 0).unwrap();
    assert_eq!(e.begin_transaction(s).unwrap_err().code(), -1104);
    assert_eq!(e.end_session(s, 0).unwrap_err(), JetErr::INVALID_SESID);
    assert_eq!(e.dup_session(s).unwrap_err(), JetErr::INVALID_SESID);
    assert_eq!(
        e.open_database(s, &f.db_file, None, 0).unwrap_err(),
        JetErr::INVALID_SESID
    );
    // A forged handle, and one of another engine.
    let forged = Sesid::from_raw(s.raw() ^ 0x5555);
    assert!(e.begin_transaction(forged).is_err());
    let other = engine();
    assert_eq!(
        other.begin_transaction(f.sesid).unwrap_err(),
        JetErr::INVALID_SESID
    );
    // The slot is reused with a new generation: the old handle stays dead.
    let s2 = e.begin_session(f.inst, "", "").unwrap();
    assert_ne!(s2, s);
    assert_eq!(e.begin_transaction(s).unwrap_err(), JetErr::INVALID_SESID);
}

#[test]
fn end_session_rolls_back_and_closes_cursors_and_databases() {
    let f = Fixture::new("ses-end");
    let e = &f.engine;
    let create = TableCreate::new("t").column("v", col(ColumnType::Long, ColumnGrbit::NONE));
    let (t, _) = e
        .create_table_column_index(f.sesid, f.dbid, &create)
        .unwrap();
    let v = e.get_table_column_info(f.sesid, t, Some("v")).unwrap()[0].id;

    let s = e.begin_session(f.inst, "", "").unwrap();
    let dbid = e.open_database(s, &f.db_file, None, 0).unwrap();
    let ts = e.open_table(s, dbid, "t", None, 0).unwrap();
    e.begin_transaction(s).unwrap();
    e.begin_transaction(s).unwrap();
    insert(e, s, ts, v, 7);
    e.end_session(s, 0).unwrap();
    assert_eq!(count(e, f.sesid, t), 0, "every level was rolled back");
    // Its open of the database is closed: detach only waits for the fixture's own.
    e.close_table(f.sesid, t).unwrap();
    e.close_database(f.sesid, f.dbid, 0).unwrap();
    e.detach_database(f.sesid, Some(&f.db_file)).unwrap();
}

#[test]
fn session_contexts_follow_ese_rules() {
    let f = Fixture::new("ses-ctx");
    let e = &f.engine;
    let s = e.begin_session(f.inst, "", "").unwrap();
    e.set_session_context(s, 42).unwrap();
    assert_eq!(e.set_session_context(s, 43).unwrap_err().code(), -1912);
    assert_eq!(e.end_session(s, 0).unwrap_err().code(), -1914);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                assert_eq!(e.reset_session_context(s).unwrap_err().code(), -1913);
                assert_eq!(
                    e.begin_transaction(s).unwrap_err(),
                    JetErr::SESSION_SHARING_VIOLATION
                );
            })
            .join()
            .unwrap();
    });
    e.reset_session_context(s).unwrap();
    e.end_session(s, grbit::FORCE_SESSION_CLOSED).unwrap();
}
