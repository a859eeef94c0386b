//! Transactions at the API: nesting to seven levels, commit and rollback flags, read-only
//! transactions, and durable commits that survive a crash.

#[allow(dead_code)]
mod common;

use std::io;
use std::path::Path;
use std::sync::Arc;

use common::{TempDir, engine, insert_key, place, running, sees_key, small_logs, with_table};
use ese_api::{Engine, FileSystem, JetErr, Sesid, grbit};
use ese_core::DbId;
use ese_log::{LogReader, LogRecord};
use ese_pageio::{CrashDirectory, Directory, FsDirectory};
use ese_txn::ObjId;

const OBJ: ObjId = ObjId::new(DbId(1), 3);

fn touch(e: &Engine, s: Sesid, key: &[u8]) -> Result<(), ese_txn::Error> {
    e.enter_session(s, |txn| txn.version_insert(OBJ, key, None))
        .expect("test helper")
}

#[test]
fn seven_levels_nest_and_the_eighth_is_trans_too_deep() {
    let dir = TempDir::new("deep");
    let e = engine();
    let inst = running(&e, "deep", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    for level in 1..=7 {
        e.begin_transaction(s).unwrap();
        assert_eq!(e.transaction_level(s).unwrap(), level);
    }
    let err = e.begin_transaction(s).unwrap_err();
    assert_eq!(
        (err.code(), err.symbol()),
        (-1103, Some("JET_errTransTooDeep"))
    );
    assert_eq!(e.transaction_level(s).unwrap(), 7, "state unchanged");
    e.commit_transaction(s, 0).unwrap();
    e.rollback(s, 0).unwrap();
    assert_eq!(e.transaction_level(s).unwrap(), 5);
    e.rollback(s, grbit::ROLLBACK_ALL).unwrap();
    assert_eq!(e.transaction_level(s).unwrap(), 0);
    for err in [
        e.commit_transaction(s, 0).unwrap_err(),
        e.commit_transaction(s, grbit::COMMIT_LAZY_FLUSH)
            .unwrap_err(),
        e.rollback(s, 0).unwrap_err(),
        e.rollback(s, grbit::ROLLBACK_ALL).unwrap_err(),
    ] {
        assert_eq!(err.code(), -1054, "JET_errNotInTransaction");
    }
    e.term(inst).unwrap();
}

#[test]
fn grbits_are_checked() {
    let dir = TempDir::new("grbits");
    let e = engine();
    let inst = running(&e, "grbits", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    // The wait flags work outside a transaction, alone.
    e.commit_transaction(s, grbit::WAIT_LAST_LEVEL0_COMMIT)
        .unwrap();
    e.commit_transaction(s, grbit::WAIT_ALL_LEVEL0_COMMIT)
        .unwrap();
    let cases: [(u32, u32, JetErr); 7] = [
        (0x4, 0, JetErr::INVALID_GRBIT),
        (0x100, 0, JetErr::INVALID_GRBIT),
        (
            grbit::WAIT_LAST_LEVEL0_COMMIT | grbit::COMMIT_LAZY_FLUSH,
            0,
            JetErr::INVALID_GRBIT,
        ),
        (
            grbit::WAIT_ALL_LEVEL0_COMMIT | grbit::WAIT_LAST_LEVEL0_COMMIT,
            0,
            JetErr::INVALID_GRBIT,
        ),
        (
            grbit::FORCE_NEW_LOG | grbit::COMMIT_LAZY_FLUSH,
            0,
            JetErr::INVALID_GRBIT,
        ),
        (grbit::FORCE_NEW_LOG, 0, JetErr::FEATURE_NOT_AVAILABLE),
        (0, 100, JetErr::INVALID_PARAMETER),
    ];
    e.begin_transaction(s).unwrap();
    for (bits, ms, expected) in cases {
        assert_eq!(
            e.commit_transaction2(s, bits, ms).unwrap_err(),
            expected,
            "grbit {bits:#x}, {ms} ms"
        );
    }
    assert_eq!(
        e.transaction_level(s).unwrap(),
        1,
        "failed commits change nothing"
    );
    e.commit_transaction2(s, grbit::COMMIT_LAZY_FLUSH, 100)
        .unwrap();
    assert_eq!(e.rollback(s, 0x2).unwrap_err(), JetErr::INVALID_GRBIT);
    assert_eq!(
        e.begin_transaction2(s, 0x2).unwrap_err(),
        JetErr::INVALID_GRBIT
    );
    e.begin_transaction3(s, 1234, 0).unwrap();
    e.rollback(s, 0).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn read_only_transactions_refuse_changes() {
    let dir = TempDir::new("readonly");
    let e = engine();
    let inst = running(&e, "readonly", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    e.begin_transaction2(s, grbit::TRANSACTION_READ_ONLY)
        .unwrap();
    let err: ese_api::JetError = touch(&e, s, b"k").unwrap_err().into();
    assert_eq!(err.code(), -1110, "JET_errTransReadOnly");
    e.commit_transaction(s, 0).unwrap();
    e.begin_transaction(s).unwrap();
    touch(&e, s, b"k").unwrap();
    e.commit_transaction(s, 0).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn a_nested_commit_merges_into_its_parent_and_rollback_undoes_it() {
    let dir = TempDir::new("nested");
    let e = engine();
    let inst = running(&e, "nested", dir.path());
    let a = e.begin_session(inst, "", "").unwrap();
    let b = e.begin_session(inst, "", "").unwrap();
    let file = with_table(&e, a, dir.path());
    e.begin_transaction(a).unwrap();
    e.begin_transaction(a).unwrap();
    insert_key(&e, a, &file, b"k").unwrap();
    e.commit_transaction(a, 0).unwrap();
    // Still a itself's uncommitted change: b conflicts.
    e.begin_transaction(b).unwrap();
    assert_eq!(
        insert_key(&e, b, &file, b"k").unwrap_err(),
        JetErr::WRITE_CONFLICT
    );
    e.rollback(b, 0).unwrap();
    e.rollback(a, 0).unwrap();
    assert!(!sees_key(&e, a, &file, b"k"), "rolled back with its parent");
    // Rolled back with its parent: b may now make it.
    e.begin_transaction(b).unwrap();
    insert_key(&e, b, &file, b"k").unwrap();
    e.commit_transaction(b, 0).unwrap();
    e.term(inst).unwrap();
}

fn commits_in(dir: Arc<dyn Directory>) -> Vec<ese_core::Lgpos> {
    let (records, _) = LogReader::open(dir, "edb")
        .expect("test helper")
        .read_all()
        .expect("test helper");
    records
        .into_iter()
        .filter(|(_, r)| matches!(r, LogRecord::Commit { .. }))
        .map(|(p, _)| p)
        .collect()
}

#[test]
fn a_durable_commit_is_in_the_log_file_even_without_term() {
    let dir = TempDir::new("durable");
    let lgpos = {
        let e = engine();
        let inst = running(&e, "durable", dir.path());
        let s = e.begin_session(inst, "", "").unwrap();
        e.begin_transaction(s).unwrap();
        touch(&e, s, b"k").unwrap();
        let id = e.commit_transaction2(s, 0, 0).unwrap();
        assert_ne!(id.signature, [0; 16]);
        id.lgpos
            .expect("a transaction with changes logs its commit")
        // The engine is dropped here without term: a process exit.
    };
    let fs: Arc<dyn Directory> = Arc::new(FsDirectory::open(dir.path()).unwrap());
    assert_eq!(commits_in(fs), [lgpos]);
    // An empty transaction logs nothing and returns no position.
    let e = engine();
    let inst = running(&e, "durable", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    e.begin_transaction(s).unwrap();
    assert_eq!(e.commit_transaction2(s, 0, 0).unwrap().lgpos, None);
    e.term(inst).unwrap();
}

/// Every instance folder is one crash-simulating directory.
#[derive(Debug)]
struct CrashFs(Arc<CrashDirectory>);

impl FileSystem for CrashFs {
    fn open_dir(&self, _path: &Path, _create: bool) -> io::Result<Arc<dyn Directory>> {
        Ok(self.0.clone())
    }
}

#[test]
fn durable_commits_survive_any_power_cut_after_they_return() {
    let crash = Arc::new(CrashDirectory::new());
    let e = small_logs(Engine::with_file_system(Arc::new(CrashFs(crash.clone()))));
    let inst = e.create_instance(Some("crash")).unwrap();
    place(&e, inst, Path::new("/crash"));
    e.init(Some(inst)).unwrap();
    let s = e.begin_session(inst, "", "").unwrap();
    let mut durable = Vec::new();
    for i in 0..4u8 {
        e.begin_transaction(s).unwrap();
        touch(&e, s, &[i]).unwrap();
        let id = if i % 2 == 0 {
            e.commit_transaction2(s, 0, 0).unwrap()
        } else {
            // A lazy commit becomes durable once waited for.
            let id = e
                .commit_transaction2(s, grbit::COMMIT_LAZY_FLUSH, 0)
                .unwrap();
            e.commit_transaction(s, grbit::WAIT_LAST_LEVEL0_COMMIT)
                .unwrap();
            id
        };
        durable.push(id.lgpos.unwrap());
        for seed in 0..8 {
            let image: Arc<dyn Directory> = Arc::new(crash.crash_image(seed));
            let survived = commits_in(image);
            assert!(
                durable.iter().all(|p| survived.contains(p)),
                "seed {seed}: {durable:?} not all in {survived:?}"
            );
        }
    }
    e.term(inst).unwrap();
}
