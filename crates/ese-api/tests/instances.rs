//! Instances and run modes: names, JET_paramMaxInstances, single- and multi-instance modes,
//! folders in use, init and term in all their modes.

#[allow(dead_code)]
mod common;

use common::{TempDir, engine, place, running};
use ese_api::{Engine, Instance, JetErr, ParamValue, RunMode, grbit, paramid};
use ese_log::LogReader;
use ese_pageio::{Directory, FsDirectory};
use std::sync::Arc;

#[test]
fn instance_names_are_unique_and_null_is_usable_once() {
    let e = engine();
    let a = e.create_instance(Some("a")).unwrap();
    assert_eq!(
        e.create_instance(Some("a")).unwrap_err(),
        JetErr::INSTANCE_NAME_IN_USE
    );
    let null = e.create_instance(None).unwrap();
    assert_eq!(e.create_instance(None).unwrap_err().code(), -1086);
    e.create_instance2(Some("b"), Some("Bee"), 0).unwrap();
    assert_eq!(
        e.create_instance2(Some("c"), None, 1).unwrap_err(),
        JetErr::INVALID_GRBIT
    );
    let mut info = e.get_instance_info();
    info.sort_by(|x, y| x.display_name.cmp(&y.display_name));
    let shown: Vec<(Option<&str>, &str)> = info
        .iter()
        .map(|i| (i.name.as_deref(), i.display_name.as_str()))
        .collect();
    assert_eq!(shown, [(None, ""), (Some("b"), "Bee"), (Some("a"), "a")]);
    assert!(info.iter().all(|i| !i.is_running));

    // A name is free again once its instance is gone.
    e.term(a).unwrap();
    e.create_instance(Some("a")).unwrap();
    e.term(null).unwrap();
    e.create_instance(None).unwrap();
}

#[test]
fn max_instances_is_enforced_and_fixed_once_a_mode_is_chosen() {
    let e = engine();
    e.set_system_parameter(None, None, paramid::MAX_INSTANCES, ParamValue::Int(2))
        .unwrap();
    let a = e.create_instance(Some("a")).unwrap();
    e.create_instance(Some("b")).unwrap();
    assert_eq!(
        e.create_instance(Some("c")).unwrap_err().code(),
        -1214,
        "JET_errTooManyInstances"
    );
    // G pre: too late now; the same value again is fine.
    assert_eq!(
        e.set_system_parameter(None, None, paramid::MAX_INSTANCES, ParamValue::Int(3))
            .unwrap_err(),
        JetErr::ALREADY_INITIALIZED
    );
    e.set_system_parameter(None, None, paramid::MAX_INSTANCES, ParamValue::Int(2))
        .unwrap();
    e.term(a).unwrap();
    e.create_instance(Some("c")).unwrap();
}

#[test]
fn default_max_instances_is_sixteen() {
    let e = engine();
    for i in 0..16 {
        e.create_instance(Some(&format!("i{i}"))).unwrap();
    }
    assert_eq!(
        e.create_instance(Some("i16")).unwrap_err(),
        JetErr::TOO_MANY_INSTANCES
    );
}

#[test]
fn single_instance_mode_has_one_implicit_instance() {
    let dir = TempDir::new("single");
    let e = engine();
    for id in [paramid::LOG_FILE_PATH, paramid::SYSTEM_PATH] {
        e.set_system_parameter(
            None,
            None,
            id,
            ParamValue::Str(dir.path().to_str().unwrap()),
        )
        .unwrap();
    }
    assert_eq!(e.run_mode(), RunMode::NotSet);
    let implicit = e.init(None).unwrap();
    assert_eq!(e.run_mode(), RunMode::SingleInstance);
    assert_eq!(
        e.create_instance(Some("x")).unwrap_err().code(),
        -1080,
        "JET_errRunningInOneInstanceMode"
    );
    assert_eq!(e.init(None).unwrap_err(), JetErr::ALREADY_INITIALIZED);
    assert_eq!(
        e.init(Some(implicit)).unwrap_err(),
        JetErr::ALREADY_INITIALIZED
    );
    assert_eq!(
        e.enable_multi_instance(&[]).unwrap_err(),
        JetErr::RUNNING_IN_ONE_INSTANCE_MODE
    );
    // Nil names the implicit instance for sessions, parameters and term.
    let s = e.begin_session(Instance::NIL, "", "").unwrap();
    assert_eq!(
        e.set_system_parameter(None, None, paramid::MAX_SESSIONS, ParamValue::Int(99))
            .unwrap_err(),
        JetErr::ALREADY_INITIALIZED,
        "no instance means the implicit one, which is initialised"
    );
    e.end_session(s, 0).unwrap();
    e.term(Instance::NIL).unwrap();
    assert_eq!(e.run_mode(), RunMode::NotSet);
    // With the mode gone, everything is allowed again.
    e.create_instance(Some("x")).unwrap();
    assert_eq!(e.run_mode(), RunMode::MultiInstance);
}

#[test]
fn multi_instance_mode_refuses_legacy_calls() {
    let e = engine();
    assert_eq!(
        e.begin_session(Instance::NIL, "", "").unwrap_err(),
        JetErr::NOT_INITIALIZED
    );
    assert_eq!(e.enable_multi_instance(&[]).unwrap(), 0);
    assert_eq!(e.run_mode(), RunMode::MultiInstance);
    assert_eq!(
        e.enable_multi_instance(&[]).unwrap_err().code(),
        -1082,
        "JET_errSystemParamsAlreadySet, even with no parameters"
    );
    assert_eq!(
        e.init(None).unwrap_err().code(),
        -1081,
        "JET_errRunningInMultiInstanceMode"
    );
    assert_eq!(
        e.term(Instance::NIL).unwrap_err(),
        JetErr::RUNNING_IN_MULTI_INSTANCE_MODE
    );
}

#[test]
fn enable_multi_instance_applies_global_parameters() {
    let e = engine();
    let n = e
        .enable_multi_instance(&[(paramid::DATABASE_PAGE_SIZE, ParamValue::Int(8192))])
        .unwrap();
    assert_eq!(n, 1);
    let page = e
        .get_system_parameter(None, None, paramid::DATABASE_PAGE_SIZE)
        .unwrap();
    assert_eq!(page.as_int(), 8192);
    assert_eq!(
        e.get_system_parameter(None, None, paramid::KEY_MOST)
            .unwrap()
            .as_int(),
        2000,
        "JET_paramKeyMost follows the page size"
    );
}

#[test]
fn each_instance_has_its_own_folders() {
    let dir = TempDir::new("folders");
    let e = engine();
    let a = running(&e, "a", &dir.sub("a"));
    let b = running(&e, "b", &dir.sub("b"));
    assert!(dir.sub("a").join("edb.log").is_file());
    assert!(dir.sub("a").join("edb.chk").is_file());
    assert!(dir.sub("b").join("edb.log").is_file());

    // The same log folder (spelled with a trailing slash) is in use.
    let c = e.create_instance(Some("c")).unwrap();
    let spelled = format!("{}/", dir.sub("a").display());
    e.set_system_parameter(
        Some(c),
        None,
        paramid::LOG_FILE_PATH,
        ParamValue::Str(&spelled),
    )
    .unwrap();
    e.set_system_parameter(
        Some(c),
        None,
        paramid::SYSTEM_PATH,
        ParamValue::Str(dir.sub("c").to_str().unwrap()),
    )
    .unwrap();
    assert_eq!(
        e.init(Some(c)).unwrap_err().code(),
        -1084,
        "LogFilePathInUse"
    );
    // A failed init frees the instance: its handle is gone.
    assert_eq!(e.term(c).unwrap_err(), JetErr::INVALID_PARAMETER);

    let d = e.create_instance(Some("d")).unwrap();
    e.set_system_parameter(
        Some(d),
        None,
        paramid::LOG_FILE_PATH,
        ParamValue::Str(dir.sub("d").to_str().unwrap()),
    )
    .unwrap();
    e.set_system_parameter(
        Some(d),
        None,
        paramid::SYSTEM_PATH,
        ParamValue::Str(dir.sub("b").to_str().unwrap()),
    )
    .unwrap();
    assert_eq!(
        e.init(Some(d)).unwrap_err().code(),
        -1083,
        "SystemPathInUse"
    );

    e.term(a).unwrap();
    e.term(b).unwrap();
}

#[test]
fn the_checkpoint_lives_in_the_system_folder() {
    let dir = TempDir::new("split");
    let e = engine();
    let inst = e.create_instance(Some("split")).unwrap();
    e.set_system_parameter(
        Some(inst),
        None,
        paramid::LOG_FILE_PATH,
        ParamValue::Str(dir.sub("logs").to_str().unwrap()),
    )
    .unwrap();
    e.set_system_parameter(
        Some(inst),
        None,
        paramid::SYSTEM_PATH,
        ParamValue::Str(&format!("{}/", dir.sub("system").display())),
    )
    .unwrap();
    e.set_system_parameter(Some(inst), None, paramid::BASE_NAME, ParamValue::Str("abc"))
        .unwrap();
    e.init(Some(inst)).unwrap();
    assert!(dir.sub("logs").join("abc.log").is_file());
    assert!(dir.sub("system").join("abc.chk").is_file());
    assert!(!dir.sub("logs").join("abc.chk").exists());
    e.term(inst).unwrap();
}

#[test]
fn missing_folders_are_an_error_unless_created() {
    let dir = TempDir::new("missing");
    let e = Engine::new();
    e.set_system_parameter(None, None, paramid::LOG_FILE_SIZE, ParamValue::Int(64))
        .unwrap();
    let inst = e.create_instance(Some("m")).unwrap();
    place(&e, inst, &dir.sub("nope"));
    assert_eq!(
        e.init(Some(inst)).unwrap_err().code(),
        -1025,
        "JET_errInvalidLogDirectory"
    );
    let inst = e.create_instance(Some("m")).unwrap();
    place(&e, inst, &dir.sub("nope"));
    e.set_system_parameter(
        Some(inst),
        None,
        paramid::CREATE_PATH_IF_NOT_EXIST,
        ParamValue::Int(1),
    )
    .unwrap();
    e.init(Some(inst)).unwrap();
    assert!(dir.sub("nope").join("edb.log").is_file());
    e.term(inst).unwrap();
}

#[test]
fn init_and_term_follow_the_life_cycle() {
    let dir = TempDir::new("life");
    let e = engine();
    let inst = e.create_instance(Some("life")).unwrap();
    assert_eq!(
        e.begin_session(inst, "", "").unwrap_err(),
        JetErr::NOT_INITIALIZED
    );
    place(&e, inst, dir.path());
    assert_eq!(e.init2(Some(inst), 0x2).unwrap_err(), JetErr::INVALID_GRBIT);
    e.init3(Some(inst), grbit::LOG_STREAM_MUST_EXIST).unwrap();
    assert_eq!(e.init(Some(inst)).unwrap_err(), JetErr::ALREADY_INITIALIZED);
    assert_eq!(e.term2(inst, 0x10).unwrap_err(), JetErr::INVALID_GRBIT);
    e.term2(inst, 0).unwrap();
    assert_eq!(e.term(inst).unwrap_err(), JetErr::INVALID_PARAMETER);
    assert_eq!(e.init(Some(inst)).unwrap_err(), JetErr::INVALID_PARAMETER);
    assert_eq!(e.run_mode(), RunMode::NotSet);
}

#[test]
fn clean_term_with_an_open_transaction_is_too_many_active_users() {
    let dir = TempDir::new("active");
    let e = engine();
    let inst = running(&e, "active", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    let idle = e.begin_session(inst, "", "").unwrap();
    e.begin_transaction(s).unwrap();
    for mode in [0, grbit::TERM_COMPLETE, grbit::TERM_ABRUPT] {
        assert_eq!(
            e.term2(inst, mode).unwrap_err().code(),
            -1059,
            "JET_errTooManyActiveUsers for mode {mode:#x}"
        );
    }
    assert_eq!(e.term(inst).unwrap_err(), JetErr::TOO_MANY_ACTIVE_USERS);
    // The instance keeps running and the transaction is intact.
    assert_eq!(e.transaction_level(s).unwrap(), 1);
    e.commit_transaction(s, 0).unwrap();
    // Sessions at level 0 are closed implicitly.
    e.term2(inst, grbit::TERM_COMPLETE).unwrap();
    assert_eq!(e.dup_session(idle).unwrap_err(), JetErr::NOT_INITIALIZED);
    assert_eq!(e.end_session(s, 0).unwrap_err(), JetErr::NOT_INITIALIZED);
}

fn log_end_and_checkpoint(dir: &std::path::Path) -> (ese_core::Lgpos, ese_core::Lgpos) {
    let fs: Arc<dyn Directory> = Arc::new(FsDirectory::open(dir).expect("test helper"));
    let reader = LogReader::open(fs.clone(), "edb").expect("test helper");
    let (_, end) = reader.end_of_log().expect("test helper");
    let chk = ese_log::read_checkpoint(&*fs, "edb").expect("test helper");
    (end.head, chk.lgpos)
}

/// Makes the session's open transaction hold a change, so that its records reach the log.
fn touch(e: &Engine, s: ese_api::Sesid, key: &[u8]) {
    let obj = ese_txn::ObjId::new(ese_core::DbId(1), 7);
    e.enter_session(s, |txn| txn.version_insert(obj, key, None))
        .expect("test helper")
        .expect("test helper");
}

#[test]
fn clean_term_checkpoints_the_end_of_the_log_and_dirty_term_does_not() {
    for (mode, dirty) in [
        (grbit::TERM_ABRUPT, false),
        (grbit::TERM_COMPLETE, false),
        (0, false),
        (grbit::TERM_STOP_BACKUP, false),
        (grbit::TERM_DIRTY, true),
        (grbit::TERM_DIRTY | grbit::TERM_ABRUPT, true),
    ] {
        let dir = TempDir::new("termmode");
        let e = engine();
        let inst = running(&e, "t", dir.path());
        let s = e.begin_session(inst, "", "").unwrap();
        e.begin_transaction(s).unwrap();
        touch(&e, s, b"committed");
        e.commit_transaction(s, grbit::COMMIT_LAZY_FLUSH).unwrap();
        if dirty {
            // TermDirty ignores open transactions.
            e.begin_transaction(s).unwrap();
            touch(&e, s, b"abandoned");
        }
        let result = e.term2(inst, mode);
        let (head, checkpoint) = log_end_and_checkpoint(dir.path());
        if dirty {
            assert_eq!(result.unwrap_err().code(), -1116, "JET_errDirtyShutdown");
            assert!(checkpoint < head, "a dirty term leaves recovery work");
        } else {
            result.unwrap();
            assert_eq!(checkpoint, head, "a clean term needs no recovery");
        }
        // Either way the lazily committed transaction was flushed and the instance is gone.
        let fs: Arc<dyn Directory> = Arc::new(FsDirectory::open(dir.path()).unwrap());
        let (records, _) = LogReader::open(fs, "edb").unwrap().read_all().unwrap();
        assert!(
            records
                .iter()
                .any(|(_, r)| matches!(r, ese_log::LogRecord::Commit { .. })),
            "mode {mode:#x}"
        );
        assert_eq!(e.run_mode(), RunMode::NotSet);
        assert_eq!(
            e.begin_session(inst, "", "").unwrap_err(),
            JetErr::INVALID_PARAMETER
        );
    }
}

#[test]
fn an_instance_reinitialises_on_its_old_log() {
    let dir = TempDir::new("reinit");
    let e = engine();
    let inst = running(&e, "r", dir.path());
    e.term(inst).unwrap();
    let inst = running(&e, "r", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    e.begin_transaction(s).unwrap();
    touch(&e, s, b"k");
    e.commit_transaction(s, 0).unwrap();
    e.term(inst).unwrap();
    // A log of another file size is refused.
    let inst = e.create_instance(Some("r")).unwrap();
    place(&e, inst, dir.path());
    e.set_system_parameter(
        Some(inst),
        None,
        paramid::LOG_FILE_SIZE,
        ParamValue::Int(128),
    )
    .unwrap();
    assert_eq!(
        e.init(Some(inst)).unwrap_err(),
        JetErr::LOG_FILE_SIZE_MISMATCH
    );
}

#[test]
fn recovery_off_runs_without_a_log() {
    let dir = TempDir::new("nolog");
    let e = engine();
    let inst = e.create_instance(Some("nolog")).unwrap();
    place(&e, inst, &dir.sub("logs"));
    e.set_system_parameter(Some(inst), None, paramid::RECOVERY, ParamValue::Str("off"))
        .unwrap();
    e.init(Some(inst)).unwrap();
    assert!(!dir.sub("logs").exists());
    let s = e.begin_session(inst, "", "").unwrap();
    e.begin_transaction(s).unwrap();
    touch(&e, s, b"k");
    let id = e.commit_transaction2(s, 0, 0).unwrap();
    assert_eq!(id.signature, [0; 16]);
    e.term(inst).unwrap();
}
