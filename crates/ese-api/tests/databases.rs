//! Databases through the [`FileSystem`](ese_api::FileSystem) seam: a database on memory
//! storage is created, filled, left by a crash and recovered, without touching the disk.

#[allow(dead_code)]
mod common;

use std::path::Path;

use common::{TestFs, insert_key, place, sees_key, small_logs, with_table};
use ese_api::{Engine, JetErr};

#[test]
fn a_database_on_memory_storage_survives_a_crash() {
    let fs = TestFs::new();
    let logs = Path::new("/mem/logs");
    let file = {
        let e = small_logs(Engine::with_file_system(fs.clone()));
        let inst = e.create_instance(Some("mem")).unwrap();
        place(&e, inst, logs);
        e.init(Some(inst)).unwrap();
        let s = e.begin_session(inst, "", "").unwrap();
        let file = with_table(&e, s, Path::new("/mem/data"));
        e.begin_transaction(s).unwrap();
        insert_key(&e, s, &file, b"kept").unwrap();
        e.commit_transaction(s, 0).unwrap();
        e.begin_transaction(s).unwrap();
        insert_key(&e, s, &file, b"lost").unwrap();
        file
        // The engine is dropped here with the transaction open: a crash.
    };
    assert!(
        fs.dir(Path::new("/mem/data")).is_some(),
        "the file is in memory"
    );
    assert!(!Path::new("/mem/data/t.edb").exists(), "and not on disk");

    let e = small_logs(Engine::with_file_system(fs.clone()));
    let inst = e.create_instance(Some("again")).unwrap();
    place(&e, inst, logs);
    e.init(Some(inst)).unwrap();
    let s = e.begin_session(inst, "", "").unwrap();
    e.attach_database(s, &file, 0).unwrap();
    assert!(sees_key(&e, s, &file, b"kept"));
    assert!(!sees_key(&e, s, &file, b"lost"));
    assert_eq!(
        e.attach_database(s, "/mem/data/none.edb", 0).unwrap_err(),
        JetErr::FILE_NOT_FOUND
    );
    e.end_session(s, 0).unwrap();
    e.term(inst).unwrap();
}
