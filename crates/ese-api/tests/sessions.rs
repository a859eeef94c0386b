//! Sessions: begin, dup and end, JET_paramMaxSessions, checked handles, contexts, the
//! one-thread-at-a-time rule, and every error JetDupSession can return.

#[allow(dead_code)]
mod common;

use std::sync::{Arc, Barrier};

use common::{
    SyncMode, TempDir, TestFs, engine, insert_key, place, running, sees_key, small_logs, with_table,
};
use ese_api::{Engine, Instance, JetErr, ParamValue, Sesid, grbit, paramid};
use ese_core::DbId;
use ese_txn::ObjId;

const OBJ: ObjId = ObjId::new(DbId(1), 9);

fn touch(e: &Engine, s: Sesid, key: &[u8]) {
    e.enter_session(s, |txn| txn.version_insert(OBJ, key, None))
        .expect("test helper")
        .expect("test helper");
}

#[test]
fn dup_session_is_an_independent_session_on_the_same_instance() {
    let dir = TempDir::new("dup");
    let e = engine();
    let inst = running(&e, "dup", dir.path());
    let s = e.begin_session(inst, "user", "password").unwrap();
    let file = with_table(&e, s, dir.path());
    e.begin_transaction(s).unwrap();
    e.begin_transaction(s).unwrap();
    insert_key(&e, s, &file, b"mine").unwrap();
    e.set_session_context(s, 77).unwrap();

    let d = e.dup_session(s).unwrap();
    assert_ne!(d, s);
    // Nothing is inherited: no transaction, no context.
    assert_eq!(e.transaction_level(d).unwrap(), 0);
    assert_eq!(e.rollback(d, 0).unwrap_err(), JetErr::NOT_IN_TRANSACTION);
    assert_eq!(
        e.commit_transaction(d, 0).unwrap_err(),
        JetErr::NOT_IN_TRANSACTION
    );
    e.end_session(d, 0).unwrap();

    // The transaction in one does not leak into the other: the duplicate cannot change what
    // the source holds uncommitted, and does not see it.
    let d = e.dup_session(s).unwrap();
    e.begin_transaction(d).unwrap();
    let conflict = insert_key(&e, d, &file, b"mine").unwrap_err();
    assert_eq!(conflict, JetErr::WRITE_CONFLICT);
    assert!(!sees_key(&e, d, &file, b"mine"));
    e.rollback(d, 0).unwrap();
    assert_eq!(
        e.transaction_level(s).unwrap(),
        2,
        "the source is untouched"
    );

    // The duplicate is a full session: it can itself be duplicated, and outlives its source.
    let dd = e.dup_session(d).unwrap();
    e.reset_session_context(s).unwrap();
    e.end_session(s, 0).unwrap();
    e.begin_transaction(dd).unwrap();
    e.commit_transaction(dd, 0).unwrap();
    e.end_session(d, 0).unwrap();
    e.end_session(dd, 0).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn sixteen_sessions_by_default_and_the_seventeenth_is_out_of_sessions() {
    let dir = TempDir::new("max16");
    let e = engine();
    let inst = running(&e, "max16", dir.path());
    let first = e.begin_session(inst, "", "").unwrap();
    let mut sessions = vec![first];
    for _ in 1..8 {
        sessions.push(e.begin_session(inst, "", "").unwrap());
    }
    for _ in 8..16 {
        sessions.push(e.dup_session(first).unwrap());
    }
    assert_eq!(sessions.len(), 16);
    let err = e.begin_session(inst, "", "").unwrap_err();
    assert_eq!(err.code(), -1101);
    assert_eq!(err.symbol(), Some("JET_errOutOfSessions"));
    assert_eq!(e.dup_session(first).unwrap_err().code(), -1101);
    // Ending one frees its place, for either call.
    e.end_session(sessions.pop().unwrap(), 0).unwrap();
    sessions.push(e.dup_session(first).unwrap());
    assert_eq!(
        e.begin_session(inst, "", "").unwrap_err(),
        JetErr::OUT_OF_SESSIONS
    );
    // The quota is per instance.
    let other = running(&e, "other", &dir.sub("other"));
    e.begin_session(other, "", "").unwrap();
    e.term(other).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn raising_max_sessions_before_init_allows_more() {
    let dir = TempDir::new("max40");
    let e = engine();
    let inst = e.create_instance(Some("max40")).unwrap();
    place(&e, inst, dir.path());
    e.set_system_parameter(Some(inst), None, paramid::MAX_SESSIONS, ParamValue::Int(40))
        .unwrap();
    e.init(Some(inst)).unwrap();
    // Too late to change now.
    assert_eq!(
        e.set_system_parameter(Some(inst), None, paramid::MAX_SESSIONS, ParamValue::Int(41))
            .unwrap_err(),
        JetErr::ALREADY_INITIALIZED
    );
    let first = e.begin_session(inst, "", "").unwrap();
    for i in 1..40 {
        if i % 2 == 0 {
            e.begin_session(inst, "", "").unwrap();
        } else {
            e.dup_session(first).unwrap();
        }
    }
    assert_eq!(
        e.begin_session(inst, "", "").unwrap_err(),
        JetErr::OUT_OF_SESSIONS
    );
    assert_eq!(e.dup_session(first).unwrap_err(), JetErr::OUT_OF_SESSIONS);
    e.term(inst).unwrap();

    // And a global default applies to instances created afterwards; 0 allows none.
    e.set_system_parameter(None, None, paramid::MAX_SESSIONS, ParamValue::Int(0))
        .unwrap();
    let none = running(&e, "none", &dir.sub("none"));
    assert_eq!(
        e.begin_session(none, "", "").unwrap_err(),
        JetErr::OUT_OF_SESSIONS
    );
    e.term(none).unwrap();
}

#[test]
fn ended_stale_forged_and_foreign_handles_are_errors() {
    let dir = TempDir::new("handles");
    let e = engine();
    let inst = running(&e, "handles", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    e.begin_transaction(s).unwrap();
    e.end_session(s, 0).unwrap();
    assert!(!e.is_session_live(s));
    // Every call on the ended handle fails with InvalidSesid, including after its slot is
    // reused by a new session.
    let reused = e.begin_session(inst, "", "").unwrap();
    for err in [
        e.dup_session(s).unwrap_err(),
        e.end_session(s, 0).unwrap_err(),
        e.begin_transaction(s).unwrap_err(),
        e.commit_transaction(s, 0).unwrap_err(),
        e.rollback(s, 0).unwrap_err(),
        e.set_session_context(s, 1).unwrap_err(),
        e.reset_session_context(s).unwrap_err(),
        e.transaction_level(s).unwrap_err(),
        e.get_system_parameter(None, Some(s), paramid::TRANSACTION_LEVEL)
            .unwrap_err(),
    ] {
        assert_eq!(err.code(), -1104, "{err}");
    }
    assert!(e.is_session_live(reused));
    assert_eq!(e.transaction_level(reused).unwrap(), 0);

    // Nil, forged and foreign handles.
    let other = small_logs(Engine::new());
    let foreign_inst = running(&other, "foreign", &dir.sub("foreign"));
    let foreign = other.begin_session(foreign_inst, "", "").unwrap();
    for bad in [
        Sesid::NIL,
        Sesid::from_raw(0),
        Sesid::from_raw(reused.raw() ^ (1 << 30)),
        Sesid::from_raw(reused.raw() + 1),
        foreign,
    ] {
        assert_eq!(
            e.dup_session(bad).unwrap_err(),
            JetErr::INVALID_SESID,
            "{bad:?}"
        );
        assert_eq!(e.end_session(bad, 0).unwrap_err(), JetErr::INVALID_SESID);
    }
    assert_eq!(
        e.begin_session(foreign_inst, "", "").unwrap_err(),
        JetErr::INVALID_PARAMETER
    );
    assert_eq!(
        e.begin_session(Instance::from_raw(12345), "", "")
            .unwrap_err(),
        JetErr::INVALID_PARAMETER
    );
    // A session handle is no instance handle, and the reverse.
    assert_eq!(
        e.begin_session(Instance::from_raw(reused.raw()), "", "")
            .unwrap_err(),
        JetErr::INVALID_PARAMETER
    );
    assert_eq!(
        e.dup_session(Sesid::from_raw(inst.raw())).unwrap_err(),
        JetErr::INVALID_SESID
    );
    assert_eq!(e.end_session(reused, 2).unwrap_err(), JetErr::INVALID_GRBIT);
    e.end_session(reused, grbit::FORCE_SESSION_CLOSED).unwrap();
    other.term(foreign_inst).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn end_session_rolls_back_every_level() {
    let dir = TempDir::new("endroll");
    let e = engine();
    let inst = running(&e, "endroll", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    let t = e.begin_session(inst, "", "").unwrap();
    let file = with_table(&e, t, dir.path());
    for _ in 0..3 {
        e.begin_transaction(s).unwrap();
    }
    insert_key(&e, s, &file, b"k").unwrap();
    assert!(sees_key(&e, s, &file, b"k"));
    e.end_session(s, 0).unwrap();
    // The change is gone: another session may now make it.
    assert!(!sees_key(&e, t, &file, b"k"));
    e.begin_transaction(t).unwrap();
    insert_key(&e, t, &file, b"k").unwrap();
    e.commit_transaction(t, 0).unwrap();
    // And the instance has no open transaction left.
    e.term2(inst, grbit::TERM_COMPLETE).unwrap();
}

#[test]
fn session_contexts_follow_esent_rules() {
    let dir = TempDir::new("context");
    let e = engine();
    let inst = running(&e, "context", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    for bad in [0, u64::MAX] {
        assert_eq!(
            e.set_session_context(s, bad).unwrap_err(),
            JetErr::INVALID_PARAMETER
        );
    }
    assert_eq!(
        e.reset_session_context(s).unwrap_err(),
        JetErr::SESSION_CONTEXT_NOT_SET_BY_THIS_THREAD,
        "nothing to reset"
    );
    e.set_session_context(s, 42).unwrap();
    assert_eq!(e.set_session_context(s, 42).unwrap_err().code(), -1912);
    assert_eq!(e.set_session_context(s, 43).unwrap_err().code(), -1912);
    assert_eq!(
        e.end_session(s, 0).unwrap_err().code(),
        -1914,
        "JET_errSessionInUse while a context is set, even by the caller"
    );
    std::thread::scope(|scope| {
        scope.spawn(|| {
            assert_eq!(e.reset_session_context(s).unwrap_err().code(), -1913);
            assert_eq!(e.set_session_context(s, 44).unwrap_err().code(), -1912);
            // The session is bound to the thread that set the context.
            assert_eq!(
                e.begin_transaction(s).unwrap_err(),
                JetErr::SESSION_SHARING_VIOLATION
            );
            assert_eq!(e.end_session(s, 0).unwrap_err(), JetErr::SESSION_IN_USE);
        });
    });
    e.reset_session_context(s).unwrap();
    e.end_session(s, 0).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn a_second_thread_entering_a_busy_session_is_a_sharing_violation() {
    let dir = TempDir::new("sharing");
    let e = engine();
    let inst = running(&e, "sharing", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    let inside = Barrier::new(2);
    let done = Barrier::new(2);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            e.enter_session(s, |_| {
                inside.wait();
                done.wait();
            })
            .unwrap();
        });
        inside.wait();
        // Thread A is inside a call on `s`.
        for err in [
            e.begin_transaction(s).unwrap_err(),
            e.dup_session(s).unwrap_err(),
            e.end_session(s, 0).unwrap_err(),
            e.transaction_level(s).unwrap_err(),
        ] {
            assert_eq!(err.code(), -1910, "{err}");
        }
        // Other sessions are unaffected.
        let t = e.begin_session(inst, "", "").unwrap();
        e.begin_transaction(t).unwrap();
        e.rollback(t, 0).unwrap();
        done.wait();
    });
    // Once the call has left, the session is free again.
    e.begin_transaction(s).unwrap();
    e.rollback(s, 0).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn a_transaction_stays_with_the_thread_that_began_it() {
    let dir = TempDir::new("affinity");
    let e = engine();
    let inst = running(&e, "affinity", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    e.begin_transaction(s).unwrap();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for err in [
                e.begin_transaction(s).unwrap_err(),
                e.commit_transaction(s, 0).unwrap_err(),
                e.rollback(s, 0).unwrap_err(),
                e.end_session(s, 0).unwrap_err(),
            ] {
                assert_eq!(err, JetErr::SESSION_SHARING_VIOLATION);
            }
            // Calls that do not touch the transaction are fine from any thread.
            assert_eq!(e.transaction_level(s).unwrap(), 1);
        });
    });
    assert_eq!(
        e.transaction_level(s).unwrap(),
        1,
        "the session stayed usable"
    );
    e.commit_transaction(s, 0).unwrap();
    // At level 0 the session may move to another thread.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            e.begin_transaction(s).unwrap();
            e.commit_transaction(s, 0).unwrap();
        });
    });
    e.end_session(s, 0).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn table_calls_follow_the_transaction_through_nested_levels() {
    let dir = TempDir::new("affinity-levels");
    let e = engine();
    let inst = running(&e, "affinity-levels", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    let file = with_table(&e, s, dir.path());
    let from_other_thread = |expect_ok: bool, key: &[u8]| {
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let r = insert_key(&e, s, &file, key);
                if expect_ok {
                    r.expect("a session at level 0 may move to another thread");
                } else {
                    assert_eq!(r.unwrap_err(), JetErr::SESSION_SHARING_VIOLATION);
                }
            });
        });
    };
    e.begin_transaction(s).unwrap();
    e.begin_transaction(s).unwrap();
    from_other_thread(false, b"a");
    // Closing the inner level keeps the transaction with this thread.
    e.commit_transaction(s, 0).unwrap();
    from_other_thread(false, b"b");
    e.begin_transaction(s).unwrap();
    e.rollback(s, 0).unwrap();
    from_other_thread(false, b"c");
    insert_key(&e, s, &file, b"mine").unwrap();
    e.commit_transaction(s, 0).unwrap();
    from_other_thread(true, b"other");
    // A rollback of every level frees the session too.
    e.begin_transaction(s).unwrap();
    e.begin_transaction(s).unwrap();
    from_other_thread(false, b"d");
    e.rollback(s, grbit::ROLLBACK_ALL).unwrap();
    assert_eq!(e.transaction_level(s).unwrap(), 0);
    from_other_thread(true, b"later");
    for (key, seen) in [
        (&b"mine"[..], true),
        (b"other", true),
        (b"later", true),
        (b"a", false),
        (b"d", false),
    ] {
        assert_eq!(sees_key(&e, s, &file, key), seen, "{key:?}");
    }
    e.end_session(s, 0).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn with_a_context_the_transaction_follows_the_context() {
    let dir = TempDir::new("ctxtrx");
    let e = engine();
    let inst = running(&e, "ctxtrx", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    e.set_session_context(s, 7).unwrap();
    e.begin_transaction(s).unwrap();
    touch(&e, s, b"k");
    e.reset_session_context(s).unwrap();
    // Without the context the transaction's owner is absent, even on the original thread.
    assert_eq!(
        e.commit_transaction(s, 0).unwrap_err(),
        JetErr::SESSION_SHARING_VIOLATION
    );
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // Another value is another owner.
            e.set_session_context(s, 8).unwrap();
            assert_eq!(
                e.commit_transaction(s, 0).unwrap_err(),
                JetErr::SESSION_SHARING_VIOLATION
            );
            e.reset_session_context(s).unwrap();
            // The same value continues the transaction on this thread.
            e.set_session_context(s, 7).unwrap();
            e.begin_transaction(s).unwrap();
            e.commit_transaction(s, 0).unwrap();
            e.commit_transaction(s, 0).unwrap();
            e.reset_session_context(s).unwrap();
        });
    });
    assert_eq!(e.transaction_level(s).unwrap(), 0);
    e.end_session(s, 0).unwrap();
    e.term(inst).unwrap();
}

/// Waits until a sync is blocked in [`TestFs`], for at most ten seconds.
fn wait_blocked(fs: &TestFs) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while fs.ctl.blocked() == 0 {
        assert!(std::time::Instant::now() < deadline, "no sync blocked");
        std::thread::yield_now();
    }
}

/// An engine on [`TestFs`] with one running instance.
fn on_test_fs(name: &str) -> (Engine, Arc<TestFs>, Instance) {
    let fs = TestFs::new();
    let e = small_logs(Engine::with_file_system(fs.clone()));
    let inst = e.create_instance(Some(name)).expect("test helper");
    place(&e, inst, std::path::Path::new("/mem/inst"));
    e.init(Some(inst)).expect("test helper");
    (e, fs, inst)
}

#[test]
fn dup_session_after_a_fatal_error_is_instance_unavailable() {
    let (e, fs, inst) = on_test_fs("fatal");
    let s = e.begin_session(inst, "", "").unwrap();
    e.begin_transaction(s).unwrap();
    touch(&e, s, b"k");
    fs.ctl.set(SyncMode::Fail);
    let err = e.commit_transaction(s, 0).unwrap_err();
    assert_eq!(err.code(), -510, "JET_errLogWriteFail: {err}");
    for err in [
        e.dup_session(s).unwrap_err(),
        e.begin_session(inst, "", "").unwrap_err(),
        e.begin_transaction(s).unwrap_err(),
    ] {
        assert_eq!(err.code(), -1090, "JET_errInstanceUnavailable: {err}");
    }
    fs.ctl.set(SyncMode::Normal);
    // Only term helps; it reports that the log could not be shut cleanly.
    assert_eq!(e.term(inst).unwrap_err(), JetErr::INSTANCE_UNAVAILABLE);
    assert_eq!(e.dup_session(s).unwrap_err(), JetErr::NOT_INITIALIZED);
}

#[test]
fn a_full_log_disk_makes_the_instance_unavailable_with_its_own_code() {
    let (e, fs, inst) = on_test_fs("full");
    let s = e.begin_session(inst, "", "").unwrap();
    e.begin_transaction(s).unwrap();
    touch(&e, s, b"k");
    fs.ctl.set(SyncMode::Full);
    assert_eq!(
        e.commit_transaction(s, 0).unwrap_err().code(),
        -529,
        "JET_errLogDiskFull"
    );
    assert_eq!(
        e.dup_session(s).unwrap_err().code(),
        -1092,
        "JET_errInstanceUnavailableDueToFatalLogDiskFull"
    );
    fs.ctl.set(SyncMode::Normal);
    assert_eq!(
        e.term(inst).unwrap_err(),
        JetErr::INSTANCE_UNAVAILABLE_DUE_TO_FATAL_LOG_DISK_FULL
    );
}

#[test]
fn concurrent_begin_session_never_exceeds_max_sessions() {
    let dir = TempDir::new("concurrent");
    let e = engine();
    let inst = e.create_instance(Some("concurrent")).unwrap();
    place(&e, inst, dir.path());
    e.set_system_parameter(Some(inst), None, paramid::MAX_SESSIONS, ParamValue::Int(20))
        .unwrap();
    e.init(Some(inst)).unwrap();
    let seed = e.begin_session(inst, "", "").unwrap();
    let start = Barrier::new(8);
    let results: Vec<Vec<Result<Sesid, ese_api::JetError>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|i| {
                let (e, start) = (&e, &start);
                scope.spawn(move || {
                    start.wait();
                    (0..4)
                        .map(|_| {
                            if i % 2 == 0 {
                                e.begin_session(inst, "", "")
                            } else {
                                // The seed may be busy in another thread's dup: retry then.
                                loop {
                                    match e.dup_session(seed) {
                                        Err(err) if err == JetErr::SESSION_SHARING_VIOLATION => {
                                            std::thread::yield_now();
                                        }
                                        other => break other,
                                    }
                                }
                            }
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let all: Vec<_> = results.into_iter().flatten().collect();
    let ok = all.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 19, "19 more sessions beside the seed");
    assert!(
        all.iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| *e == JetErr::OUT_OF_SESSIONS)
    );
    let mut handles: Vec<Sesid> = all.into_iter().filter_map(Result::ok).collect();
    handles.sort_by_key(|s| s.raw());
    handles.dedup();
    assert_eq!(handles.len(), 19, "every handle is distinct");
    e.term(inst).unwrap();
}

#[test]
fn dup_session_during_restore_is_restore_in_progress() {
    let (e, _fs, inst) = on_test_fs("restore");
    let s = e.begin_session(inst, "", "").unwrap();
    e.set_restore_in_progress(inst, true).unwrap();
    assert_eq!(e.dup_session(s).unwrap_err().code(), -506);
    assert_eq!(
        e.begin_session(inst, "", "").unwrap_err(),
        JetErr::RESTORE_IN_PROGRESS
    );
    assert_eq!(e.term(inst).unwrap_err(), JetErr::RESTORE_IN_PROGRESS);
    e.set_restore_in_progress(inst, false).unwrap();
    e.dup_session(s).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn dup_session_during_term_is_term_in_progress_and_after_it_not_initialized() {
    let (e, fs, inst) = on_test_fs("term");
    let s = e.begin_session(inst, "", "").unwrap();
    // Something for term's checkpoint to cover.
    e.begin_transaction(s).unwrap();
    touch(&e, s, b"k");
    e.commit_transaction(s, 0).unwrap();
    // Term blocks writing its checkpoint; meanwhile the instance is terminating.
    fs.ctl.set(SyncMode::Block);
    std::thread::scope(|scope| {
        let term = scope.spawn(|| e.term(inst));
        wait_blocked(&fs);
        assert_eq!(
            e.dup_session(s).unwrap_err().code(),
            -1000,
            "JET_errTermInProgress"
        );
        assert_eq!(
            e.begin_session(inst, "", "").unwrap_err(),
            JetErr::TERM_IN_PROGRESS
        );
        assert_eq!(e.term(inst).unwrap_err(), JetErr::TERM_IN_PROGRESS);
        fs.ctl.set(SyncMode::Normal);
        term.join().unwrap().unwrap();
    });
    assert_eq!(
        e.dup_session(s).unwrap_err().code(),
        -1029,
        "JET_errNotInitialized"
    );
}

#[test]
fn begin_session_during_init_is_init_in_progress() {
    let fs = TestFs::new();
    let e = small_logs(Engine::with_file_system(fs.clone()));
    let inst = e.create_instance(Some("init")).unwrap();
    place(&e, inst, std::path::Path::new("/mem/init"));
    assert_eq!(
        e.begin_session(inst, "", "").unwrap_err(),
        JetErr::NOT_INITIALIZED
    );
    fs.ctl.set(SyncMode::Block);
    std::thread::scope(|scope| {
        let init = scope.spawn(|| e.init(Some(inst)));
        wait_blocked(&fs);
        assert_eq!(e.begin_session(inst, "", "").unwrap_err().code(), -1031);
        assert_eq!(e.init(Some(inst)).unwrap_err(), JetErr::INIT_IN_PROGRESS);
        assert_eq!(e.term(inst).unwrap_err(), JetErr::INIT_IN_PROGRESS);
        assert_eq!(
            e.set_system_parameter(Some(inst), None, paramid::MAX_SESSIONS, ParamValue::Int(3))
                .unwrap_err(),
            JetErr::ALREADY_INITIALIZED
        );
        fs.ctl.set(SyncMode::Normal);
        init.join().unwrap().unwrap();
    });
    let s = e.begin_session(inst, "", "").unwrap();
    e.end_session(s, 0).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn stop_service_refuses_most_calls() {
    let (e, _fs, inst) = on_test_fs("stop");
    let s = e.begin_session(inst, "", "").unwrap();
    e.set_session_context(s, 5).unwrap();
    e.begin_transaction(s).unwrap();
    e.stop_service_instance(inst).unwrap();
    for err in [
        e.dup_session(s).unwrap_err(),
        e.begin_session(inst, "", "").unwrap_err(),
        e.begin_transaction(s).unwrap_err(),
        e.commit_transaction(s, 0).unwrap_err(),
    ] {
        assert_eq!(err.code(), -1329, "{err}");
    }
    // Still allowed: rollback, reset of the context, end of the session, term.
    e.rollback(s, grbit::ROLLBACK_ALL).unwrap();
    e.reset_session_context(s).unwrap();
    e.end_session(s, 0).unwrap();
    e.term(inst).unwrap();
}

#[test]
fn a_session_a_thread_called_last_is_refused_once_it_ends_anywhere() {
    let dir = TempDir::new("ended-anywhere");
    let e = engine();
    let inst = running(&e, "ended-anywhere", dir.path());
    let (a, b) = (
        e.begin_session(inst, "", "").unwrap(),
        e.begin_session(inst, "", "").unwrap(),
    );
    // Alternating sessions on one thread: each call reaches its own session.
    e.begin_transaction(a).unwrap();
    for _ in 0..3 {
        assert_eq!(e.transaction_level(a).unwrap(), 1);
        assert_eq!(e.transaction_level(b).unwrap(), 0);
    }
    e.rollback(a, 0).unwrap();
    // Ended by another thread while this one last called it.
    assert_eq!(e.transaction_level(a).unwrap(), 0);
    std::thread::scope(|t| {
        t.spawn(|| e.end_session(a, 0).unwrap());
    });
    assert_eq!(e.transaction_level(a).unwrap_err(), JetErr::INVALID_SESID);
    assert_eq!(e.begin_transaction(a).unwrap_err(), JetErr::INVALID_SESID);
    // Ended by this thread, its slot then reused by a new session.
    assert_eq!(e.transaction_level(b).unwrap(), 0);
    e.end_session(b, 0).unwrap();
    let c = e.begin_session(inst, "", "").unwrap();
    assert_eq!(e.transaction_level(b).unwrap_err(), JetErr::INVALID_SESID);
    assert_eq!(e.transaction_level(c).unwrap(), 0);
    // Another engine's session, right after a call to it, is foreign here, and the other
    // way round.
    let other = small_logs(Engine::new());
    let other_inst = running(&other, "ended-anywhere-other", &dir.sub("other"));
    let foreign = other.begin_session(other_inst, "", "").unwrap();
    assert_eq!(other.transaction_level(foreign).unwrap(), 0);
    assert_eq!(
        e.transaction_level(foreign).unwrap_err(),
        JetErr::INVALID_SESID
    );
    assert_eq!(e.transaction_level(c).unwrap(), 0);
    assert_eq!(
        other.transaction_level(c).unwrap_err(),
        JetErr::INVALID_SESID
    );
    // Closed by term: NotInitialized, as for a session no thread remembers.
    assert_eq!(other.transaction_level(foreign).unwrap(), 0);
    other.term(other_inst).unwrap();
    assert_eq!(
        other.transaction_level(foreign).unwrap_err(),
        JetErr::NOT_INITIALIZED
    );
    e.end_session(c, 0).unwrap();
    e.term(inst).unwrap();
}

/// The files under `dir` this process holds open, read from /proc/self/fd.
#[cfg(target_os = "linux")]
fn open_files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let dir = std::fs::canonicalize(dir).expect("the test folder");
    std::fs::read_dir("/proc/self/fd")
        .expect("the process's open files")
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.starts_with(&dir))
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn an_engine_dropped_while_a_live_thread_remembers_its_session_leaves_nothing_running() {
    let dir = TempDir::new("dropped-remembered");
    let e = Arc::new(engine());
    let inst = running(&e, "dropped-remembered", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    let file = with_table(&e, s, dir.path());
    e.begin_transaction(s).unwrap();
    insert_key(&e, s, &file, b"kept").unwrap();
    e.commit_transaction(s, 0).unwrap();
    // A cursor stays open on the database and a transaction stays open, so the session
    // holds the database and the version store.
    let dbid = e.open_database(s, &file, None, 0).unwrap();
    let _t = e.open_table(s, dbid, "t", None, 0).unwrap();
    e.begin_transaction(s).unwrap();
    insert_key(&e, s, &file, b"lost").unwrap();
    assert!(!open_files_under(dir.path()).is_empty());
    let (called, dropped) = (Barrier::new(2), Barrier::new(2));
    std::thread::scope(|t| {
        let worker = Arc::clone(&e);
        let (called, dropped) = (&called, &dropped);
        t.spawn(move || {
            // This thread's last call is to `s`; it lets go of the engine, not of that memory.
            assert_eq!(worker.transaction_level(s).unwrap(), 1);
            drop(worker);
            called.wait();
            dropped.wait();
        });
        called.wait();
        // The last reference: the engine ends here, like the process, while the worker lives.
        let e = Arc::into_inner(e).expect("the worker let go");
        drop(e);
        let open = open_files_under(dir.path());
        dropped.wait();
        assert_eq!(open, Vec::<std::path::PathBuf>::new());
    });
    // The files recover as after a crash: the committed key is there, the open one is not.
    let e = engine();
    let inst = running(&e, "dropped-remembered", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    e.attach_database(s, &file, 0).unwrap();
    assert!(sees_key(&e, s, &file, b"kept"));
    assert!(!sees_key(&e, s, &file, b"lost"));
    e.end_session(s, 0).unwrap();
    e.term(inst).unwrap();
}
