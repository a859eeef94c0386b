//! Issue 9, item 3: create, attach, detach, open and close databases, with ESE's errors.

use ese_api::{Dbid, JetErr, ParamValue, grbit, paramid};
use ese_tests::{Fixture, TempDir, engine, running};

#[test]
fn create_refuses_an_existing_file_and_missing_folders() {
    let f = Fixture::new("db-create");
    let e = &f.engine;
    assert_eq!(
        e.create_database(f.sesid, &f.db_file, None, 0)
            .unwrap_err()
            .code(),
        -1201,
        "JET_errDatabaseDuplicate while attached"
    );
    let other = f.dir.file("other.edb");
    std::fs::write(&other, b"not a database").unwrap();
    assert_eq!(
        e.create_database(f.sesid, &other, None, 0).unwrap_err(),
        JetErr::DATABASE_DUPLICATE,
        "an existing file, as ESE"
    );
    // JET_bitDbOverwriteExisting replaces it.
    let d2 = e
        .create_database(f.sesid, &other, None, grbit::DB_OVERWRITE_EXISTING)
        .unwrap();
    assert_ne!(d2, f.dbid);
    assert_eq!(
        e.create_database(f.sesid, "", None, 0).unwrap_err(),
        JetErr::INVALID_PATH
    );
    e.begin_transaction(f.sesid).unwrap();
    assert_eq!(
        e.create_database(f.sesid, &f.dir.file("t.edb"), None, 0)
            .unwrap_err(),
        JetErr::IN_TRANSACTION
    );
    e.rollback(f.sesid, 0).unwrap();
}

#[test]
fn create_uses_the_database_page_size() {
    let dir = TempDir::new("db-pagesize");
    let e = engine();
    e.set_system_parameter(
        None,
        None,
        paramid::DATABASE_PAGE_SIZE,
        ParamValue::Int(8192),
    )
    .unwrap();
    let i = running(&e, "big", &dir.sub("logs"));
    let s = e.begin_session(i, "", "").unwrap();
    let file = dir.file("big.edb");
    e.create_database(s, &file, None, 0).unwrap();
    e.end_session(s, 0).unwrap();
    e.term(i).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes.len() % 8192, 0);
    assert_eq!(
        u32::from_le_bytes(bytes[16..20].try_into().unwrap()),
        8192,
        "the header records the page size"
    );

    // An engine with the default 4 KiB pages refuses it.
    let e = engine();
    let i = running(&e, "small", &dir.sub("logs2"));
    let s = e.begin_session(i, "", "").unwrap();
    assert_eq!(
        e.attach_database(s, &file, 0).unwrap_err().code(),
        -1213,
        "JET_errPageSizeMismatch"
    );
}

#[test]
fn attach_open_close_detach_follow_ese() {
    let f = Fixture::new("db-attach");
    let e = &f.engine;
    let missing = f.dir.file("missing.edb");
    assert_eq!(
        e.attach_database(f.sesid, &missing, 0).unwrap_err().code(),
        -1811
    );
    assert_eq!(
        e.open_database(f.sesid, &missing, None, 0)
            .unwrap_err()
            .code(),
        -1203,
        "JET_errDatabaseNotFound"
    );
    let w = e.attach_database(f.sesid, &f.db_file, 0).unwrap().unwrap();
    assert_eq!(w.code(), 1007, "JET_wrnDatabaseAttached");
    assert_eq!(
        e.detach_database(f.sesid, Some(&f.db_file))
            .unwrap_err()
            .code(),
        -1202,
        "JET_errDatabaseInUse while open"
    );
    assert_eq!(
        e.close_database(f.sesid, Dbid::from_raw(12345), 0)
            .unwrap_err()
            .code(),
        -1010,
        "JET_errInvalidDatabaseId"
    );
    // Opens nest.
    let again = e.open_database(f.sesid, &f.db_file, None, 0).unwrap();
    assert_eq!(again, f.dbid);
    e.close_database(f.sesid, f.dbid, 0).unwrap();
    e.close_database(f.sesid, f.dbid, 0).unwrap();
    assert_eq!(
        e.close_database(f.sesid, f.dbid, 0).unwrap_err(),
        JetErr::INVALID_DATABASE_ID
    );
    assert_eq!(
        e.open_table(f.sesid, f.dbid, "x", None, 0).unwrap_err(),
        JetErr::INVALID_DATABASE_ID,
        "a closed database's id is refused"
    );
    e.detach_database(f.sesid, Some(&f.db_file)).unwrap();
    assert_eq!(
        e.detach_database(f.sesid, Some(&f.db_file)).unwrap_err(),
        JetErr::DATABASE_NOT_FOUND
    );
    // Detached cleanly: it attaches again, here and elsewhere.
    assert_eq!(e.attach_database(f.sesid, &f.db_file, 0).unwrap(), None);
    let d = e.open_database(f.sesid, &f.db_file, None, 0).unwrap();
    assert_ne!(d, f.dbid, "a new attachment has a new handle");
    assert_eq!(
        e.attach_database(f.sesid, &f.db_file, 0x8000_0000)
            .unwrap_err(),
        JetErr::INVALID_GRBIT
    );
}

#[test]
fn a_dirty_database_without_its_logs_is_dirty_shutdown() {
    let f = Fixture::new("db-dirty");
    let e = &f.engine;
    assert_eq!(
        e.term2(f.inst, grbit::TERM_DIRTY).unwrap_err(),
        JetErr::DIRTY_SHUTDOWN
    );
    // Another instance, with a log that knows nothing of it.
    let other = TempDir::new("db-dirty-other");
    let e2 = engine();
    let i2 = running(&e2, "other", other.path());
    let s2 = e2.begin_session(i2, "", "").unwrap();
    assert_eq!(
        e2.attach_database(s2, &f.db_file, 0).unwrap_err().code(),
        -550,
        "JET_errDatabaseDirtyShutdown"
    );
    e2.term(i2).unwrap();

    // Its own logs gone too: init finds nothing to replay, and attach still says -550.
    std::fs::remove_dir_all(f.logs()).unwrap();
    let e3 = engine();
    let i3 = running(&e3, "again", &f.logs());
    let s3 = e3.begin_session(i3, "", "").unwrap();
    assert_eq!(
        e3.attach_database(s3, &f.db_file, 0).unwrap_err(),
        JetErr::DATABASE_DIRTY_SHUTDOWN
    );
}

#[test]
fn at_most_six_databases_are_attached() {
    let f = Fixture::new("db-six");
    let e = &f.engine;
    for i in 1..6 {
        e.create_database(f.sesid, &f.dir.file(&format!("d{i}.edb")), None, 0)
            .unwrap();
    }
    assert_eq!(
        e.create_database(f.sesid, &f.dir.file("d6.edb"), None, 0)
            .unwrap_err()
            .code(),
        -1805,
        "JET_errTooManyAttachedDatabases"
    );
    assert!(
        !f.dir.sub("d6.edb").exists(),
        "a failed create leaves no file"
    );
}
