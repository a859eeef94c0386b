//! Issue 9, item 4: the catalog. DDL is transactional and survives a crash and recovery.

use ese_api::{ColumnGrbit, ColumnType, JetErr, TableCreate};
use ese_tests::{Fixture, col, running};

#[test]
fn ddl_rolls_back_with_its_transaction() {
    let f = Fixture::new("cat-rollback");
    let e = &f.engine;
    e.begin_transaction(f.sesid).unwrap();
    let t = e.create_table(f.sesid, f.dbid, "gone", 0, 0).unwrap();
    e.close_table(f.sesid, t).unwrap();
    assert!(e.open_table(f.sesid, f.dbid, "gone", None, 0).is_ok());
    e.rollback(f.sesid, 0).unwrap();
    assert_eq!(
        e.open_table(f.sesid, f.dbid, "gone", None, 0)
            .unwrap_err()
            .code(),
        -1305,
        "JET_errObjectNotFound"
    );
    assert_eq!(
        e.get_table_names(f.sesid, f.dbid).unwrap(),
        Vec::<String>::new()
    );

    // Committed DDL stays, and a second create of the name is a duplicate.
    e.begin_transaction(f.sesid).unwrap();
    e.create_table(f.sesid, f.dbid, "kept", 0, 0).unwrap();
    e.commit_transaction(f.sesid, 0).unwrap();
    assert_eq!(
        e.create_table(f.sesid, f.dbid, "kept", 0, 0).unwrap_err(),
        JetErr::TABLE_DUPLICATE
    );
    assert_eq!(e.get_table_names(f.sesid, f.dbid).unwrap(), ["kept"]);
}

#[test]
fn ddl_survives_a_crash_and_uncommitted_ddl_does_not() {
    let f = Fixture::new("cat-crash");
    let e = &f.engine;
    let create = TableCreate::new("people")
        .column("id", col(ColumnType::Long, ColumnGrbit::FIXED))
        .column("name", col(ColumnType::Text, ColumnGrbit::NONE));
    let (t, _) = e
        .create_table_column_index(f.sesid, f.dbid, &create)
        .unwrap();
    e.close_table(f.sesid, t).unwrap();
    let other = e.begin_session(f.inst, "", "").unwrap();
    let dbid = e.open_database(other, &f.db_file, None, 0).unwrap();
    e.begin_transaction(other).unwrap();
    e.create_table(other, dbid, "unfinished", 0, 0).unwrap();
    e.commit_transaction(other, 0).unwrap();
    e.begin_transaction(other).unwrap();
    e.create_table(other, dbid, "never", 0, 0).unwrap();
    // Crash: the engine goes without a term; "never" was not committed.
    let Fixture {
        engine,
        dir,
        db_file,
        ..
    } = f;
    drop(engine);

    let e = ese_tests::engine();
    let i = running(&e, "after", &dir.sub("logs"));
    let s = e.begin_session(i, "", "").unwrap();
    e.attach_database(s, &db_file, 0).unwrap();
    let d = e.open_database(s, &db_file, None, 0).unwrap();
    let mut names = e.get_table_names(s, d).unwrap();
    names.sort();
    assert_eq!(names, ["people", "unfinished"]);
    let t = e.open_table(s, d, "people", None, 0).unwrap();
    let cols = e.get_table_column_info(s, t, None).unwrap();
    let shown: Vec<_> = cols.iter().map(|c| (c.name.as_str(), c.coltyp)).collect();
    assert_eq!(
        shown,
        [("id", ColumnType::Long), ("name", ColumnType::Text)]
    );
    e.term(i).unwrap();
}
