//! System parameters through the API: range and type checks, windows that close at init or
//! with the run mode, the same value again, and global versus per-instance values.

#[allow(dead_code)]
mod common;

use common::{TempDir, engine, running};
use ese_api::{Engine, Instance, JetErr, ParamValue, Sesid, SystemParamValue, paramid};

/// How far the engine has got when the set is made.
#[derive(Clone, Copy, Debug)]
enum At {
    /// A fresh engine: no run mode.
    Fresh,
    /// One instance created, not initialised (multi-instance mode).
    Created,
    /// One instance running.
    Running,
}

/// Whom the set addresses.
#[derive(Clone, Copy, Debug)]
enum To {
    Global,
    Instance,
    Session,
}

struct Setup {
    e: Engine,
    inst: Option<Instance>,
    sesid: Option<Sesid>,
    _dir: TempDir,
}

fn setup(at: At) -> Setup {
    let dir = TempDir::new("params");
    let e = engine();
    let (inst, sesid) = match at {
        At::Fresh => (None, None),
        At::Created => (
            Some(e.create_instance(Some("p")).expect("test helper")),
            None,
        ),
        At::Running => {
            let inst = running(&e, "p", dir.path());
            (
                Some(inst),
                Some(e.begin_session(inst, "", "").expect("test helper")),
            )
        }
    };
    Setup {
        e,
        inst,
        sesid,
        _dir: dir,
    }
}

#[test]
fn set_system_parameter_validates_like_esent() {
    use ParamValue::{Bool, Int, Str};
    let long_path = "x".repeat(247);
    // (when, target, id, value, expected code: 0 for success)
    let cases: Vec<(At, To, u32, ParamValue<'_>, i32)> = vec![
        (At::Fresh, To::Global, paramid::MAX_SESSIONS, Int(100), 0),
        (At::Fresh, To::Global, paramid::MAX_SESSIONS, Int(30000), 0),
        (
            At::Fresh,
            To::Global,
            paramid::MAX_SESSIONS,
            Int(30001),
            -1003,
        ),
        (
            At::Fresh,
            To::Global,
            paramid::MAX_SESSIONS,
            Str("16"),
            -1003,
        ),
        (At::Fresh, To::Global, 29, Int(1), -1003),
        (At::Fresh, To::Global, paramid::KEY_MOST, Int(255), -1003),
        (
            At::Fresh,
            To::Global,
            paramid::DATABASE_PAGE_SIZE,
            Int(8192),
            0,
        ),
        (
            At::Fresh,
            To::Global,
            paramid::DATABASE_PAGE_SIZE,
            Int(12288),
            -1003,
        ),
        (At::Fresh, To::Global, paramid::MAX_INSTANCES, Int(0), -1003),
        // G pre: closed once the process has a run mode, unless the value is unchanged.
        (
            At::Created,
            To::Global,
            paramid::DATABASE_PAGE_SIZE,
            Int(8192),
            -1030,
        ),
        (
            At::Created,
            To::Global,
            paramid::DATABASE_PAGE_SIZE,
            Int(4096),
            0,
        ),
        (
            At::Created,
            To::Global,
            paramid::MAX_INSTANCES,
            Int(5),
            -1030,
        ),
        (
            At::Created,
            To::Instance,
            paramid::DATABASE_PAGE_SIZE,
            Int(8192),
            -1030,
        ),
        // G any: always.
        (At::Running, To::Global, 23, Int(1000), 0),
        // I pre: open until init, then closed; the same value is always accepted.
        (
            At::Created,
            To::Instance,
            paramid::MAX_SESSIONS,
            Int(100),
            0,
        ),
        (
            At::Running,
            To::Instance,
            paramid::MAX_SESSIONS,
            Int(100),
            -1030,
        ),
        (At::Running, To::Instance, paramid::MAX_SESSIONS, Int(16), 0),
        (
            At::Running,
            To::Session,
            paramid::MAX_SESSIONS,
            Int(17),
            -1030,
        ),
        // A closed window is reported before a bad value.
        (
            At::Running,
            To::Instance,
            paramid::LOG_FILE_SIZE,
            Int(63),
            -1030,
        ),
        (
            At::Created,
            To::Instance,
            paramid::LOG_FILE_SIZE,
            Int(63),
            -1003,
        ),
        (
            At::Created,
            To::Instance,
            paramid::LOG_FILE_SIZE,
            Int(64),
            0,
        ),
        (
            At::Created,
            To::Instance,
            paramid::LOG_FILE_SIZE,
            Int(32768),
            0,
        ),
        (
            At::Created,
            To::Instance,
            paramid::LOG_FILE_SIZE,
            Int(32769),
            -1003,
        ),
        (
            At::Created,
            To::Instance,
            paramid::BASE_NAME,
            Str("ab"),
            -1003,
        ),
        (
            At::Created,
            To::Instance,
            paramid::BASE_NAME,
            Str("abcd"),
            -1003,
        ),
        (At::Created, To::Instance, paramid::BASE_NAME, Str("abc"), 0),
        (At::Created, To::Instance, paramid::BASE_NAME, Int(3), -1003),
        (
            At::Created,
            To::Instance,
            paramid::RECOVERY,
            Str("maybe"),
            -1003,
        ),
        (At::Created, To::Instance, paramid::RECOVERY, Str("Off"), 0),
        (At::Created, To::Instance, paramid::CIRCULAR_LOG, Int(1), 0),
        (
            At::Created,
            To::Instance,
            paramid::CIRCULAR_LOG,
            Bool(true),
            0,
        ),
        (
            At::Created,
            To::Instance,
            paramid::MAX_VER_PAGES,
            Int(0),
            -1003,
        ),
        (
            At::Created,
            To::Instance,
            paramid::SYSTEM_PATH,
            Str(&long_path),
            -1003,
        ),
        (
            At::Created,
            To::Instance,
            paramid::SYSTEM_PATH,
            Str("/tmp/x/"),
            0,
        ),
        (
            At::Created,
            To::Instance,
            paramid::MAX_TRANSACTION_SIZE,
            Int(101),
            -1003,
        ),
        // I any: also after init.
        (At::Running, To::Instance, 18, Int(512), 0),
        (
            At::Running,
            To::Instance,
            paramid::COMMIT_DEFAULT,
            Int(1),
            0,
        ),
        (At::Running, To::Session, paramid::COMMIT_DEFAULT, Int(1), 0),
        (
            At::Running,
            To::Session,
            paramid::COMMIT_DEFAULT,
            Str("lazy"),
            -1003,
        ),
        // Without an instance, a per-instance parameter sets the default for later ones.
        (At::Running, To::Global, paramid::MAX_SESSIONS, Int(50), 0),
        (
            At::Running,
            To::Global,
            paramid::LOG_FILE_SIZE,
            Int(63),
            -1003,
        ),
        // Read-only parameters.
        (
            At::Running,
            To::Session,
            paramid::TRANSACTION_LEVEL,
            Int(0),
            -1003,
        ),
        (
            At::Running,
            To::Instance,
            paramid::RECORD_SIZE_MOST,
            Int(1),
            -1003,
        ),
    ];
    for (n, (at, to, id, value, expected)) in cases.into_iter().enumerate() {
        let s = setup(at);
        let (inst, sesid) = match to {
            To::Global => (None, None),
            To::Instance => (s.inst, None),
            To::Session => (None, s.sesid),
        };
        let got = s.e.set_system_parameter(inst, sesid, id, value);
        let code = got.err().map_or(0, |e| e.code());
        assert_eq!(
            code, expected,
            "case {n}: {at:?} {to:?} param {id} = {value:?}"
        );
        if expected == 0 {
            let read = s.e.get_system_parameter(inst, sesid, id).unwrap();
            let want = match value {
                Int(v) if id == paramid::CIRCULAR_LOG => SystemParamValue::Bool(v != 0),
                Int(v) => SystemParamValue::Int(v),
                Bool(b) => SystemParamValue::Bool(b),
                Str(x) => SystemParamValue::Str(x.to_owned()),
            };
            assert_eq!(read, want, "case {n}: read back");
        }
    }
}

#[test]
fn instances_copy_the_global_defaults_when_created() {
    let e = engine();
    let get = |inst: Option<Instance>| {
        e.get_system_parameter(inst, None, paramid::MAX_SESSIONS)
            .unwrap()
            .as_int()
    };
    assert_eq!(get(None), 16);
    e.set_system_parameter(None, None, paramid::MAX_SESSIONS, ParamValue::Int(5))
        .unwrap();
    let a = e.create_instance(Some("a")).unwrap();
    e.set_system_parameter(None, None, paramid::MAX_SESSIONS, ParamValue::Int(7))
        .unwrap();
    let b = e.create_instance(Some("b")).unwrap();
    assert_eq!((get(Some(a)), get(Some(b)), get(None)), (5, 7, 7));
    e.set_system_parameter(Some(a), None, paramid::MAX_SESSIONS, ParamValue::Int(9))
        .unwrap();
    assert_eq!((get(Some(a)), get(Some(b)), get(None)), (9, 7, 7));

    // A global parameter has one value, whichever instance it is read through.
    let page = |inst| {
        e.get_system_parameter(inst, None, paramid::DATABASE_PAGE_SIZE)
            .unwrap()
            .as_int()
    };
    assert_eq!(
        (page(None), page(Some(a)), page(Some(b))),
        (4096, 4096, 4096)
    );
    e.set_system_parameter(Some(a), None, 23, ParamValue::Int(777))
        .unwrap();
    let cache = e.get_system_parameter(Some(b), None, 23).unwrap();
    assert_eq!(cache.as_int(), 777);
    // Limits computed from the page size read the same through any target.
    for target in [None, Some(a)] {
        let read = |id| e.get_system_parameter(target, None, id).unwrap().as_int();
        assert_eq!(read(paramid::KEY_MOST), 1000);
        assert_eq!(read(paramid::LV_CHUNK_SIZE_MOST), 4014);
        assert!(read(paramid::RECORD_SIZE_MOST) > 3000);
    }
    // Defaults come from the table.
    let base = e
        .get_system_parameter(Some(b), None, paramid::BASE_NAME)
        .unwrap();
    assert_eq!(base.as_str(), Some("edb"));
    assert_eq!(
        e.get_system_parameter(None, None, 29).unwrap_err(),
        JetErr::INVALID_PARAMETER
    );
    assert_eq!(
        e.get_system_parameter(None, None, paramid::TRANSACTION_LEVEL)
            .unwrap_err(),
        JetErr::INVALID_PARAMETER
    );
    assert_eq!(
        e.get_system_parameter(Some(Instance::from_raw(5)), None, paramid::MAX_SESSIONS)
            .unwrap_err(),
        JetErr::INVALID_PARAMETER
    );
}

#[test]
fn session_parameters_belong_to_the_session() {
    let dir = TempDir::new("sesparam");
    let e = engine();
    let inst = running(&e, "s", dir.path());
    e.set_system_parameter(
        Some(inst),
        None,
        paramid::COMMIT_DEFAULT,
        ParamValue::Int(1),
    )
    .unwrap();
    let s = e.begin_session(inst, "", "").unwrap();
    let commit_default = |s| {
        e.get_system_parameter(None, Some(s), paramid::COMMIT_DEFAULT)
            .unwrap()
            .as_int()
    };
    assert_eq!(commit_default(s), 1, "copied from the instance at begin");
    e.set_system_parameter(None, Some(s), paramid::COMMIT_DEFAULT, ParamValue::Int(0))
        .unwrap();
    assert_eq!(commit_default(s), 0);
    let d = e.dup_session(s).unwrap();
    assert_eq!(
        commit_default(d),
        1,
        "dup_session copies no session setting"
    );
    let level = |s| {
        e.get_system_parameter(None, Some(s), paramid::TRANSACTION_LEVEL)
            .unwrap()
            .as_int()
    };
    e.begin_transaction(s).unwrap();
    e.begin_transaction(s).unwrap();
    assert_eq!((level(s), level(d)), (2, 0));
    e.rollback(s, ese_api::grbit::ROLLBACK_ALL).unwrap();
    e.term(inst).unwrap();
}
