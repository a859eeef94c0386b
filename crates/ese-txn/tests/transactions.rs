//! Transactions and the version store through their public API: nesting, logging, the size
//! bound, cleanup, undo and failure paths.

use std::sync::Arc;

use ese_core::{DbId, Trx, limits};
use ese_txn::testing::{LogCall, MemStore, RecordingLog};
use ese_txn::{
    CommitMode, Error, LockKind, NoLog, ObjId, Undo, UndoAction, UndoError, VerConfig,
    VersionStore, Visibility,
};

const OBJ: ObjId = ObjId::new(DbId(1), 7);

fn store_with(config: VerConfig) -> (MemStore, Arc<RecordingLog>) {
    let log = RecordingLog::new();
    let ver = VersionStore::new(config, log.clone()).expect("a valid configuration");
    (MemStore::new(ver, OBJ), log)
}

/// An Undo that records what it was asked and can fail.
#[derive(Default)]
struct Recorder {
    seen: Vec<(Vec<u8>, String)>,
    fail: bool,
}

impl Undo for Recorder {
    fn undo(&mut self, _obj: ObjId, key: &[u8], action: UndoAction<'_>) -> Result<(), UndoError> {
        if self.fail {
            return Err("page latch lost".into());
        }
        self.seen.push((key.to_vec(), format!("{action:?}")));
        Ok(())
    }
}

#[test]
fn nesting_is_bounded_by_the_core_limit() {
    let ver = VersionStore::new(VerConfig::default(), Arc::new(NoLog)).unwrap();
    let mut s = ver.begin_session();
    for level in 1..=limits::TRANSACTION_LEVEL_MAX {
        s.begin_transaction().unwrap();
        assert_eq!(s.level(), level);
    }
    let e = s.begin_transaction().unwrap_err();
    assert_eq!(e.jet_code(), -1103);
    assert_eq!(s.level(), 7, "a failed begin changes nothing");
    let begin = s.trx_begin();
    s.commit_transaction(CommitMode::Lazy).unwrap();
    assert_eq!(s.level(), 6);
    assert_eq!(
        s.trx_begin(),
        begin,
        "save points share the level-0 snapshot"
    );
    s.rollback_all(&mut Recorder::default()).unwrap();
    assert_eq!(s.level(), 0);
    assert_eq!(s.trx_begin(), None);
    let not_in = [
        s.commit_transaction(CommitMode::Durable).map(|_| ()),
        s.rollback(&mut Recorder::default()),
        s.rollback_all(&mut Recorder::default()),
        s.version_flag_delete(OBJ, b"k"),
        s.get_lock(OBJ, b"k", LockKind::Read),
        s.version_escrow(OBJ, b"k", 0, 1),
    ];
    for r in not_in {
        assert_eq!(r.map_err(|e| e.jet_code()), Err(-1054));
    }
}

#[test]
fn only_changes_are_logged_and_only_changes_wait() {
    let (store, log) = store_with(VerConfig::default());
    let ver = Arc::clone(store.version_store());
    let mut s = ver.begin_session();

    // An empty transaction, nested or not, logs nothing and waits for nothing.
    s.begin_transaction().unwrap();
    s.begin_transaction().unwrap();
    s.commit_transaction(CommitMode::Durable).unwrap();
    assert_eq!(s.commit_transaction(CommitMode::Durable).unwrap(), None);
    assert_eq!(log.calls(), vec![]);

    // A lock is a version but no log record.
    store.insert(&mut s, b"a", b"1").unwrap();
    log.clear();
    s.begin_transaction().unwrap();
    store.get_lock(&mut s, b"a", LockKind::Read).unwrap();
    assert_eq!(s.commit_transaction(CommitMode::Durable).unwrap(), None);
    assert_eq!(log.calls(), vec![]);

    // A change at level 2 logs the begins of both levels, lazily; the durable commit waits.
    s.begin_transaction().unwrap();
    let trx = s.trx_begin().unwrap();
    s.begin_transaction().unwrap();
    store.replace(&mut s, b"a", b"2").unwrap();
    s.commit_transaction(CommitMode::Lazy).unwrap();
    let lgpos = s.commit_transaction(CommitMode::Durable).unwrap().unwrap();
    let calls = log.calls();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert_eq!(calls[0], LogCall::Begin { trx, level: 0 });
    assert_eq!(calls[1], LogCall::Begin { trx, level: 1 });
    assert!(matches!(
        calls[2],
        LogCall::Commit { trx: t, commit_trx, mode: CommitMode::Durable } if t == trx && commit_trx > trx
    ));
    assert_eq!(calls[3], LogCall::WaitDurable(lgpos));

    // A lazy commit appends but does not wait.
    log.clear();
    s.begin_transaction().unwrap();
    store.replace(&mut s, b"a", b"3").unwrap();
    s.commit_transaction(CommitMode::Lazy).unwrap();
    let calls = log.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(matches!(
        calls[1],
        LogCall::Commit {
            mode: CommitMode::Lazy,
            ..
        }
    ));

    // Work rolled back entirely: the rollback and the commit are logged, but nothing waits.
    log.clear();
    s.begin_transaction().unwrap();
    let trx = s.trx_begin().unwrap();
    s.begin_transaction().unwrap();
    store.replace(&mut s, b"a", b"4").unwrap();
    store.rollback(&mut s).unwrap();
    s.commit_transaction(CommitMode::Durable).unwrap();
    let calls = log.calls();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert_eq!(calls[2], LogCall::Rollback { trx, level: 1 });
    assert!(matches!(calls[3], LogCall::Commit { .. }));
}

#[test]
fn log_failures_follow_the_reference() {
    let (store, log) = store_with(VerConfig::default());
    let ver = Arc::clone(store.version_store());
    let mut s = ver.begin_session();
    store.insert(&mut s, b"a", b"1").unwrap();

    // A begin record that cannot be written fails the change and changes nothing.
    s.begin_transaction().unwrap();
    log.fail_appends(true);
    let e = store.replace(&mut s, b"a", b"2").unwrap_err();
    assert_eq!(e.jet_code(), -510);
    assert_eq!(store.get(&s, b"a").unwrap(), b"1");
    log.fail_appends(false);
    store.replace(&mut s, b"a", b"2").unwrap();

    // A commit record that cannot be written leaves the transaction open as it was.
    log.fail_appends(true);
    let e = s.commit_transaction(CommitMode::Durable).unwrap_err();
    assert_eq!(e.jet_code(), -510);
    assert_eq!(s.level(), 1);
    let mut other = ver.begin_session();
    assert_eq!(store.get(&other, b"a").unwrap(), b"1");
    log.fail_appends(false);

    // A failed durable wait: committed in memory, reported as a log failure.
    log.fail_waits(true);
    let e = s.commit_transaction(CommitMode::Durable).unwrap_err();
    assert_eq!(e.jet_code(), -510);
    assert_eq!(s.level(), 0);
    assert_eq!(store.get(&other, b"a").unwrap(), b"2");
    log.fail_waits(false);

    // A rollback record that cannot be written is fatal: the store refuses further work.
    other.begin_transaction().unwrap();
    store.replace(&mut other, b"a", b"3").unwrap();
    log.fail_appends(true);
    let e = store.rollback(&mut other).unwrap_err();
    assert_eq!(e.jet_code(), -1917);
    assert_eq!(s.begin_transaction().unwrap_err().jet_code(), -1090);
}

#[test]
fn a_failed_undo_is_fatal() {
    let ver = VersionStore::new(VerConfig::default(), Arc::new(NoLog)).unwrap();
    let mut s = ver.begin_session();
    s.begin_transaction().unwrap();
    s.version_insert(OBJ, b"a", None).unwrap();
    let e = s
        .rollback(&mut Recorder {
            fail: true,
            ..Recorder::default()
        })
        .unwrap_err();
    assert_eq!(e.jet_code(), -1917);
    assert!(e.to_string().contains("page latch lost"));
    let mut t = ver.begin_session();
    assert_eq!(t.begin_transaction().unwrap_err().jet_code(), -1090);
}

#[test]
fn rollback_hands_down_undo_actions_newest_first() {
    let ver = VersionStore::new(VerConfig::default(), Arc::new(NoLog)).unwrap();
    let mut s = ver.begin_session();
    s.begin_transaction().unwrap();
    s.version_insert(OBJ, b"new", None).unwrap();
    s.begin_transaction().unwrap();
    s.version_replace(OBJ, b"r", b"before").unwrap();
    s.version_flag_delete(OBJ, b"d").unwrap();
    s.version_escrow(OBJ, b"n", 3, 5).unwrap();
    s.get_lock(OBJ, b"l", LockKind::Write).unwrap();
    s.version_insert(OBJ, b"re", Some(b"old")).unwrap();
    let mut inner = Recorder::default();
    s.rollback(&mut inner).unwrap();
    let expected: Vec<(Vec<u8>, String)> = vec![
        (
            b"re".to_vec(),
            format!("{:?}", UndoAction::ReDelete { data: b"old" }),
        ),
        (
            b"n".to_vec(),
            format!(
                "{:?}",
                UndoAction::Escrow {
                    field: 3,
                    delta: -5
                }
            ),
        ),
        (b"d".to_vec(), format!("{:?}", UndoAction::Undelete)),
        (
            b"r".to_vec(),
            format!("{:?}", UndoAction::Restore { data: b"before" }),
        ),
    ];
    assert_eq!(inner.seen, expected, "locks undo nothing");
    assert_eq!(s.level(), 1);
    let mut outer = Recorder::default();
    s.rollback(&mut outer).unwrap();
    assert_eq!(outer.seen, vec![(b"new".to_vec(), "Remove".to_string())]);
    assert_eq!(ver.stats().versions, 0);
    // The reinsert over a flag-deleted node, undone, leaves a node nobody needs.
    let removable = ver.cleanup();
    assert_eq!(removable.len(), 1);
    assert_eq!(removable[0].key, b"re");
    ver.check_invariants().unwrap();
}

#[test]
fn the_version_store_bound_fails_the_change_but_not_the_transaction() {
    let config = VerConfig::test_min();
    let (store, _log) = store_with(config);
    let ver = Arc::clone(store.version_store());
    let mut s = ver.begin_session();
    s.begin_transaction().unwrap();
    let mut inserted = 0;
    let err = loop {
        let key = format!("key{inserted:04}");
        match store.insert(&mut s, key.as_bytes(), b"value") {
            Ok(()) => inserted += 1,
            Err(e) => break e,
        }
        assert!(inserted < 1000, "a two-page store never filled");
    };
    assert_eq!(err.jet_code(), -1069);
    assert!(err.to_string().contains("2 version pages"));
    // Two 1 KiB pages of (96 + 7)-byte versions: nine per page.
    assert_eq!(inserted, 18);
    assert_eq!(ver.stats().pages_in_use, 2);
    // The failed insert left no node and no version behind, and the transaction is usable.
    assert_eq!(store.nodes().len(), inserted);
    assert_eq!(ver.stats().versions, inserted);
    assert_eq!(store.get(&s, b"key0000").unwrap(), b"value");
    store.rollback(&mut s).unwrap();
    assert!(store.nodes().is_empty());
    assert_eq!(ver.stats().versions, 0);
    ver.check_invariants().unwrap();

    // Committed versions nobody needs are cleaned up to make room, without being asked.
    let mut reader = ver.begin_session();
    for round in 0..100 {
        let key = format!("k{}", round % 5);
        if round < 5 {
            store.insert(&mut s, key.as_bytes(), b"v").unwrap();
        } else {
            store.replace(&mut s, key.as_bytes(), b"w").unwrap();
        }
    }
    // But not those an open transaction may still read.
    reader.begin_transaction().unwrap();
    let mut writes = 0;
    let err = loop {
        match store.replace(&mut s, b"k0", format!("{writes}").as_bytes()) {
            Ok(()) => writes += 1,
            Err(e) => break e,
        }
        assert!(writes < 1000);
    };
    assert_eq!(err.jet_code(), -1069);
    assert_eq!(store.get(&reader, b"k0").unwrap(), b"w");
    reader.commit_transaction(CommitMode::Lazy).unwrap();
    store.replace(&mut s, b"k0", b"again").unwrap();
    ver.check_invariants().unwrap();

    // One version larger than a page.
    s.begin_transaction().unwrap();
    let big = vec![0u8; 2000];
    let err = s.version_replace(OBJ, b"k1", &big).unwrap_err();
    assert_eq!(err.jet_code(), -1065);
    s.commit_transaction(CommitMode::Lazy).unwrap();
}

#[test]
fn cleanup_waits_for_the_oldest_transaction_and_releases_deleted_nodes() {
    let (store, _log) = store_with(VerConfig::default());
    let ver = Arc::clone(store.version_store());
    let mut w = ver.begin_session();
    let mut old = ver.begin_session();
    store.insert(&mut w, b"a", b"1").unwrap();
    store.insert(&mut w, b"b", b"2").unwrap();
    old.begin_transaction().unwrap();
    store.delete(&mut w, b"a").unwrap();
    store.replace(&mut w, b"b", b"3").unwrap();
    assert_eq!(ver.oldest_active_begin(), old.trx_begin());

    // The reader may still need both before-images: nothing goes.
    assert_eq!(store.cleanup(), 0);
    assert_eq!(store.get(&old, b"a").unwrap(), b"1");
    assert_eq!(store.get(&old, b"b").unwrap(), b"2");
    assert!(store.nodes()[b"a".as_slice()].is_deleted);
    assert_eq!(ver.stats().committed_pending_cleanup, 2);

    old.commit_transaction(CommitMode::Lazy).unwrap();
    assert_eq!(store.cleanup(), 1);
    assert!(!store.nodes().contains_key(b"a".as_slice()));
    assert_eq!(ver.stats().versions, 0);
    assert_eq!(ver.stats().pages_in_use, 1);

    // A delete followed by a reinsert: the node is reused, never removed under the insert.
    store.delete(&mut w, b"b").unwrap();
    old.begin_transaction().unwrap();
    store.insert(&mut old, b"b", b"4").unwrap();
    assert_eq!(store.cleanup(), 0);
    old.commit_transaction(CommitMode::Lazy).unwrap();
    assert_eq!(store.cleanup(), 0);
    assert_eq!(store.get(&w, b"b").unwrap(), b"4");
    ver.check_invariants().unwrap();
}

#[test]
fn write_conflicts_cover_both_cases_of_the_rule() {
    let ver = VersionStore::new(VerConfig::default(), Arc::new(NoLog)).unwrap();
    let mut a = ver.begin_session();
    let mut b = ver.begin_session();
    a.begin_transaction().unwrap();
    b.begin_transaction().unwrap();
    let b_begin = b.trx_begin().unwrap();
    // Case 1: uncommitted, another session.
    a.version_replace(OBJ, b"k", b"0").unwrap();
    assert!(
        b.version_replace(OBJ, b"k", b"0")
            .unwrap_err()
            .is_write_conflict()
    );
    assert!(ver.may_modify(OBJ, b"k", b_begin).is_err());
    assert!(ver.may_modify(OBJ, b"k", a.trx_begin().unwrap()).is_ok());
    // Case 2: committed after b began.
    a.commit_transaction(CommitMode::Lazy).unwrap();
    assert!(
        b.version_replace(OBJ, b"k", b"1")
            .unwrap_err()
            .is_write_conflict()
    );
    assert!(
        b.version_flag_delete(OBJ, b"k")
            .unwrap_err()
            .is_write_conflict()
    );
    assert!(
        b.get_lock(OBJ, b"k", LockKind::Write)
            .unwrap_err()
            .is_write_conflict()
    );
    // The transaction stays usable and other keys are free.
    b.version_replace(OBJ, b"other", b"x").unwrap();
    b.commit_transaction(CommitMode::Lazy).unwrap();
    // A transaction that began after the commit may write.
    b.begin_transaction().unwrap();
    b.version_replace(OBJ, b"k", b"1").unwrap();
    assert!(matches!(
        a.visible_version(OBJ, b"k"),
        Visibility::BeforeImage { .. }
    ));
    assert!(b.trx_begin().unwrap() > Trx::MIN);
    b.commit_transaction(CommitMode::Lazy).unwrap();
    ver.check_invariants().unwrap();
}

#[test]
fn errors_name_their_codes() {
    // (error, code) for the variants a caller of this layer sees most.
    let cases = [
        (Error::TransTooDeep, -1103),
        (Error::WriteConflict, -1102),
        (Error::NotInTransaction, -1054),
        (Error::VersionStoreOutOfMemory { max_ver_pages: 64 }, -1069),
    ];
    for (e, code) in cases {
        assert_eq!(e.jet_code(), code);
    }
}

#[test]
fn max_transaction_size_stops_the_oldest_transaction_only() {
    let config = VerConfig {
        max_ver_pages: 4,
        ver_page_size_bytes: 1024,
        max_transaction_size_percent: 50,
    };
    let ver = VersionStore::new(config, Arc::new(NoLog)).unwrap();
    let mut old = ver.begin_session();
    let mut young = ver.begin_session();
    old.begin_transaction().unwrap();
    young.begin_transaction().unwrap();
    // Nine 103-byte versions per 1 KiB page: the third page makes the store 75 % full.
    let mut n = 0;
    while ver.stats().pages_in_use <= 2 {
        old.version_insert(OBJ, format!("o{n:04}").as_bytes(), None)
            .unwrap();
        n += 1;
    }
    let e = old.version_insert(OBJ, b"o9999", None).unwrap_err();
    assert_eq!(e.jet_code(), -1069);
    // The younger transaction may go on until the store is really full.
    young.version_insert(OBJ, b"y0000", None).unwrap();
    old.rollback(&mut Recorder::default()).unwrap();
    young.rollback(&mut Recorder::default()).unwrap();
    ver.check_invariants().unwrap();
}

#[test]
fn wait_flags_wait_for_the_last_commits() {
    let log = RecordingLog::new();
    let ver = VersionStore::new(VerConfig::default(), log.clone()).unwrap();
    let mut a = ver.begin_session();
    let mut b = ver.begin_session();
    // Nothing committed yet: nothing to wait for.
    a.wait_last_level0_commit().unwrap();
    ver.wait_all_level0_commits().unwrap();
    assert_eq!(log.calls(), vec![]);

    a.begin_transaction().unwrap();
    a.version_insert(OBJ, b"a", None).unwrap();
    let la = a.commit_transaction(CommitMode::Lazy).unwrap().unwrap();
    b.begin_transaction().unwrap();
    b.version_insert(OBJ, b"b", None).unwrap();
    let lb = b.commit_transaction(CommitMode::Lazy).unwrap().unwrap();
    assert!(la < lb);
    log.clear();
    a.wait_last_level0_commit().unwrap();
    ver.wait_all_level0_commits().unwrap();
    assert_eq!(
        log.calls(),
        vec![LogCall::WaitDurable(la), LogCall::WaitDurable(lb)]
    );
}

/// A log whose durable wait blocks until a second committer is waiting too (or a timeout), so
/// a test can see whether two durable commits can wait at once.
#[derive(Default)]
struct MeetingLog {
    inside: parking_lot::Mutex<usize>,
    met: parking_lot::Condvar,
    most_inside: std::sync::atomic::AtomicUsize,
}

impl ese_txn::CommitLog for MeetingLog {
    fn log_begin(&self, _trx: Trx, _level: u8) -> Result<(), ese_txn::LogError> {
        Ok(())
    }

    fn log_commit(
        &self,
        _trx: Trx,
        commit_trx: Trx,
        _mode: CommitMode,
    ) -> Result<ese_core::Lgpos, ese_txn::LogError> {
        Ok(ese_core::Lgpos::from_u64(commit_trx.0))
    }

    fn wait_durable(&self, _lgpos: ese_core::Lgpos) -> Result<(), ese_txn::LogError> {
        use std::sync::atomic::Ordering::SeqCst;
        let mut inside = self.inside.lock();
        *inside += 1;
        self.most_inside.fetch_max(*inside, SeqCst);
        self.met.notify_all();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while self.most_inside.load(SeqCst) < 2
            && !self.met.wait_until(&mut inside, deadline).timed_out()
        {}
        *inside -= 1;
        Ok(())
    }

    fn log_rollback(&self, _trx: Trx, _level: u8) -> Result<(), ese_txn::LogError> {
        Ok(())
    }
}

#[test]
fn durable_waits_do_not_hold_the_version_store() {
    // Two durable committers must be able to wait for the flush at the same time (the log's
    // group commit depends on it); were the wait under the version store's lock, the second
    // could not even reach its commit and the first would time out alone.
    let log = Arc::new(MeetingLog::default());
    let ver = VersionStore::new(VerConfig::default(), log.clone()).unwrap();
    std::thread::scope(|scope| {
        for t in 0..2u8 {
            let ver = Arc::clone(&ver);
            scope.spawn(move || {
                let mut s = ver.begin_session();
                s.begin_transaction().unwrap();
                s.version_insert(OBJ, &[t], None).unwrap();
                s.commit_transaction(CommitMode::Durable).unwrap();
            });
        }
    });
    assert_eq!(log.most_inside.load(std::sync::atomic::Ordering::SeqCst), 2);
}
