//! Background failures are sticky: when the cache's flusher cannot write the database file,
//! the instance becomes unavailable (`JET_errInstanceUnavailable`), term reports it and
//! leaves the database dirty, and the next init on a healthy disk recovers every committed
//! row from the log.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ese_api::{
    ColumnGrbit, ColumnType, Engine, FileSystem, IndexCreate, IndexGrbit, JetErr, OsFileSystem,
    ParamValue, TableCreate, grbit, paramid,
    table::{JET_MOVE_FIRST, JET_MOVE_NEXT, JET_PREP_INSERT},
};
use ese_pageio::{Directory, FileOp, InterposedDirectory, Interposer};
use ese_tests::{TempDir, col, place, running};

/// Rows committed before the disk fails, and in all.
const BEFORE: i32 = 100;
const ROWS: i32 = 200;

/// How long the flusher gets to run into the failure (it runs every CHECKPOINT_INTERVAL).
const PATIENCE: Duration = Duration::from_secs(30);

/// Refuses every write and sync of the database files once armed; the log is untouched.
#[derive(Debug, Default)]
struct DeadDatabaseDisk {
    armed: AtomicBool,
    refused: AtomicU64,
}

impl Interposer for DeadDatabaseDisk {
    fn before_file(&self, name: &str, op: FileOp<'_>) -> io::Result<()> {
        let db_write = matches!(op, FileOp::Write { .. } | FileOp::Sync);
        if db_write && name.ends_with(".edb") && self.armed.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(io::Error::other("the database disk is gone"));
        }
        Ok(())
    }
}

/// The operating system's folders behind one [`DeadDatabaseDisk`].
#[derive(Debug)]
struct FailingFs(Arc<DeadDatabaseDisk>);

impl FileSystem for FailingFs {
    fn open_dir(&self, path: &Path, create: bool) -> io::Result<Arc<dyn Directory>> {
        let dir = OsFileSystem.open_dir(path, create)?;
        Ok(Arc::new(InterposedDirectory::new(dir, self.0.clone())))
    }
}

fn text_of(i: i32) -> Vec<u8> {
    format!("row {i:04}").into_bytes()
}

#[test]
fn a_failed_background_write_makes_the_instance_unavailable_and_recovery_keeps_commits() {
    let dir = TempDir::new("bg-write");
    let logs = dir.sub("logs");
    let db_file = dir.file("db.edb");
    let disk = Arc::new(DeadDatabaseDisk::default());
    let e = Engine::with_file_system(Arc::new(FailingFs(disk.clone())));
    e.set_system_parameter(None, None, paramid::LOG_FILE_SIZE, ParamValue::Int(1024))
        .unwrap();
    e.set_system_parameter(
        None,
        None,
        paramid::CREATE_PATH_IF_NOT_EXIST,
        ParamValue::Bool(true),
    )
    .unwrap();
    let inst = e.create_instance(Some("bg-write")).unwrap();
    place(&e, inst, &logs);
    // No checkpoint depth: every flusher round writes every dirty page.
    e.set_system_parameter(
        Some(inst),
        None,
        paramid::CHECKPOINT_DEPTH_MAX,
        ParamValue::Int(0),
    )
    .unwrap();
    e.init(Some(inst)).unwrap();
    let s = e.begin_session(inst, "", "").unwrap();
    let d = e.create_database(s, &db_file, None, 0).unwrap();
    let create = TableCreate::new("rows")
        .column("id", col(ColumnType::Long, ColumnGrbit::NOT_NULL))
        .column("text", col(ColumnType::Text, ColumnGrbit::NONE))
        .index(IndexCreate::new(
            "pk",
            b"+id\0\0",
            IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
        ));
    let (t, _) = e.create_table_column_index(s, d, &create).unwrap();
    let id = e.get_table_column_info(s, t, Some("id")).unwrap()[0].id;
    let text = e.get_table_column_info(s, t, Some("text")).unwrap()[0].id;
    let insert = |range: std::ops::Range<i32>| {
        for batch in range.step_by(10) {
            e.begin_transaction(s).unwrap();
            for i in batch..batch + 10 {
                e.prepare_update(s, t, JET_PREP_INSERT).unwrap();
                e.set_column(s, t, id, &i.to_le_bytes(), 0, 0).unwrap();
                e.set_column(s, t, text, &text_of(i), 0, 0).unwrap();
                e.update(s, t).unwrap();
            }
            // Durable: the commit returns once its log records are on disk.
            e.commit_transaction(s, 0).unwrap();
        }
    };
    insert(0..BEFORE);
    disk.armed.store(true, Ordering::SeqCst);
    insert(BEFORE..ROWS);

    // Until the flusher runs into the dead disk, reads succeed; the first call after it
    // fails with the instance's sticky error.
    let deadline = Instant::now() + PATIENCE;
    let first = loop {
        match e.move_cursor(s, t, JET_MOVE_FIRST, 0) {
            Ok(_) => {
                assert!(Instant::now() < deadline, "the flusher never failed");
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(err) => break err,
        }
    };
    assert_eq!(first, JetErr::INSTANCE_UNAVAILABLE);
    assert!(disk.refused.load(Ordering::SeqCst) > 0);
    // Sticky: session, database and table calls all get it from now on.
    assert_eq!(
        e.retrieve_column_value(s, t, id, 0, 1).unwrap_err(),
        JetErr::INSTANCE_UNAVAILABLE
    );
    assert_eq!(
        e.begin_transaction(s).unwrap_err(),
        JetErr::INSTANCE_UNAVAILABLE
    );
    assert_eq!(
        e.open_database(s, &db_file, None, 0).unwrap_err(),
        JetErr::INSTANCE_UNAVAILABLE
    );
    assert_eq!(
        e.begin_session(inst, "", "").unwrap_err(),
        JetErr::INSTANCE_UNAVAILABLE
    );
    // Term ends the instance, reports the failure, and leaves the database dirty.
    assert_eq!(e.term(inst).unwrap_err(), JetErr::INSTANCE_UNAVAILABLE);
    drop(e);

    // A healthy disk: init recovers the database from the log, with every committed row.
    let e = ese_tests::engine();
    let i = running(&e, "after", &logs);
    let s = e.begin_session(i, "", "").unwrap();
    e.attach_database(s, &db_file, 0).unwrap();
    let d = e.open_database(s, &db_file, None, 0).unwrap();
    let t = e.open_table(s, d, "rows", None, 0).unwrap();
    let id = e.get_table_column_info(s, t, Some("id")).unwrap()[0].id;
    let text = e.get_table_column_info(s, t, Some("text")).unwrap()[0].id;
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    let mut n: i32 = 0;
    loop {
        let got = e.retrieve_column_value(s, t, id, 0, 1).unwrap().unwrap();
        assert_eq!(got, n.to_le_bytes(), "row {n}");
        let got = e.retrieve_column_value(s, t, text, 0, 1).unwrap().unwrap();
        assert_eq!(got, text_of(n));
        n += 1;
        if e.move_cursor(s, t, JET_MOVE_NEXT, 0).is_err() {
            break;
        }
    }
    assert_eq!(n, ROWS, "every committed row is back");
    e.end_session(s, 0).unwrap();
    e.term2(i, grbit::TERM_COMPLETE).unwrap();
}
