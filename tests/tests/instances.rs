//! Issue 9, item 1: instances, their parameters, init with recovery, and term in all modes.

use ese_api::{Engine, JetErr, ParamValue, grbit, paramid};
use ese_tests::{Fixture, TempDir, engine, place, running};

#[test]
fn instances_have_their_own_folders_and_max_instances_applies() {
    let dir = TempDir::new("inst-folders");
    let e = engine();
    let a = running(&e, "a", &dir.sub("a"));
    let b = running(&e, "b", &dir.sub("b"));
    assert!(dir.sub("a").join("edb.log").is_file());
    assert!(dir.sub("b").join("edb.chk").is_file());
    let sa = e.begin_session(a, "", "").unwrap();
    let sb = e.begin_session(b, "", "").unwrap();
    // Each instance has its own databases: a database of `a` is unknown to `b`.
    let file = dir.file("a.edb");
    e.create_database(sa, &file, None, 0).unwrap();
    assert_eq!(
        e.open_database(sb, &file, None, 0).unwrap_err(),
        JetErr::DATABASE_NOT_FOUND
    );
    assert_eq!(
        e.attach_database(sb, &file, 0).unwrap_err(),
        JetErr::DATABASE_SHARING_VIOLATION
    );
    e.term(a).unwrap();
    e.term(b).unwrap();

    let e = engine();
    e.set_system_parameter(None, None, paramid::MAX_INSTANCES, ParamValue::Int(2))
        .unwrap();
    e.create_instance(Some("x")).unwrap();
    e.create_instance(Some("y")).unwrap();
    assert_eq!(
        e.create_instance(Some("z")).unwrap_err(),
        JetErr::TOO_MANY_INSTANCES
    );
}

#[test]
fn parameters_are_validated_and_closed_after_init() {
    let dir = TempDir::new("inst-params");
    let e = engine();
    let i = e.create_instance(Some("p")).unwrap();
    place(&e, i, dir.path());
    assert_eq!(
        e.set_system_parameter(
            Some(i),
            None,
            paramid::MAX_SESSIONS,
            ParamValue::Int(30_001)
        )
        .unwrap_err(),
        JetErr::INVALID_PARAMETER,
        "out of range"
    );
    e.set_system_parameter(Some(i), None, paramid::MAX_SESSIONS, ParamValue::Int(40))
        .unwrap();
    e.init(Some(i)).unwrap();
    assert_eq!(
        e.get_system_parameter(Some(i), None, paramid::MAX_SESSIONS)
            .unwrap()
            .as_int(),
        40
    );
    assert_eq!(
        e.set_system_parameter(Some(i), None, paramid::MAX_SESSIONS, ParamValue::Int(41))
            .unwrap_err(),
        JetErr::ALREADY_INITIALIZED
    );
    e.term(i).unwrap();
}

#[test]
fn clean_term_refuses_open_transactions_and_leaves_databases_clean() {
    let f = Fixture::new("inst-term");
    let e = &f.engine;
    e.begin_transaction(f.sesid).unwrap();
    for bits in [0, grbit::TERM_COMPLETE, grbit::TERM_ABRUPT] {
        assert_eq!(
            e.term2(f.inst, bits).unwrap_err().code(),
            -1059,
            "JET_errTooManyActiveUsers with grbit {bits:#x}"
        );
    }
    // The instance keeps running.
    e.rollback(f.sesid, 0).unwrap();
    e.term(f.inst).unwrap();

    // Clean: another instance with no logs at all attaches it.
    let other = TempDir::new("inst-term-other");
    let e2 = engine();
    let i2 = running(&e2, "other", other.path());
    let s2 = e2.begin_session(i2, "", "").unwrap();
    assert_eq!(e2.attach_database(s2, &f.db_file, 0).unwrap(), None);
    e2.term(i2).unwrap();
}

#[test]
fn dirty_term_returns_dirty_shutdown_and_the_next_init_recovers() {
    let f = Fixture::new("inst-dirty");
    let e = &f.engine;
    e.begin_transaction(f.sesid).unwrap();
    assert_eq!(
        e.term2(f.inst, grbit::TERM_DIRTY).unwrap_err().code(),
        -1116,
        "JET_errDirtyShutdown, although the shutdown happened"
    );
    assert!(
        e.begin_session(f.inst, "", "").is_err(),
        "the instance is gone"
    );

    // The same folders: init recovers the database, which can then be attached.
    let e2 = engine();
    let i2 = running(&e2, "again", &f.logs());
    let s2 = e2.begin_session(i2, "", "").unwrap();
    e2.attach_database(s2, &f.db_file, 0).unwrap();
    e2.open_database(s2, &f.db_file, None, 0).unwrap();
    e2.end_session(s2, 0).unwrap();
    e2.term(i2).unwrap();
}

#[test]
fn a_dropped_engine_is_a_crash_and_init_recovers() {
    let f = Fixture::new("inst-crash");
    let Fixture {
        engine,
        dir,
        db_file,
        ..
    } = f;
    drop(engine);
    let e: Engine = ese_tests::engine();
    let i = running(&e, "after", &dir.sub("logs"));
    let s = e.begin_session(i, "", "").unwrap();
    e.attach_database(s, &db_file, 0).unwrap();
    e.term(i).unwrap();
}

#[test]
fn an_instance_without_a_log_keeps_its_data_through_a_clean_term() {
    use ese_api::table::JET_PREP_INSERT;
    use ese_api::{ColumnGrbit, ColumnType, TableCreate};
    let dir = TempDir::new("inst-nolog");
    let file = dir.file("nolog.edb");
    for round in 0..2 {
        let e = engine();
        let i = e.create_instance(Some("nolog")).unwrap();
        place(&e, i, &dir.sub("logs"));
        e.set_system_parameter(Some(i), None, paramid::RECOVERY, ParamValue::Str("Off"))
            .unwrap();
        e.init(Some(i)).unwrap();
        assert!(!dir.sub("logs").join("edb.log").exists(), "no log");
        let s = e.begin_session(i, "", "").unwrap();
        let t = if round == 0 {
            let d = e.create_database(s, &file, None, 0).unwrap();
            let create = TableCreate::new("t")
                .column("v", ese_tests::col(ColumnType::Long, ColumnGrbit::NONE));
            e.create_table_column_index(s, d, &create).unwrap().0
        } else {
            e.attach_database(s, &file, 0).unwrap();
            let d = e.open_database(s, &file, None, 0).unwrap();
            e.open_table(s, d, "t", None, 0).unwrap()
        };
        let v = e.get_table_column_info(s, t, Some("v")).unwrap()[0].id;
        if round == 0 {
            e.begin_transaction(s).unwrap();
            e.prepare_update(s, t, JET_PREP_INSERT).unwrap();
            e.set_column(s, t, v, &5i32.to_le_bytes(), 0, 0).unwrap();
            e.update(s, t).unwrap();
            e.commit_transaction(s, 0).unwrap();
        } else {
            e.move_cursor(s, t, ese_api::table::JET_MOVE_FIRST, 0)
                .unwrap();
            assert_eq!(
                e.retrieve_column_value(s, t, v, 0, 1).unwrap(),
                Some(5i32.to_le_bytes().to_vec())
            );
        }
        e.term(i).unwrap();
    }
}
