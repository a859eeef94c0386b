//! `VersionedTree` and `Trees` beyond the anomaly scripts: a full version store mid-transaction,
//! a B-tree failure after the version was recorded, cursors over snapshots, 32-bit escrow
//! fields, rollback across databases, the compensation records rollback logs, and the sweep
//! of flag-deleted nodes after a crash.

// Each test binary uses part of the shared helpers; they unwrap as tests do.
#[allow(dead_code)]
#[cfg(test)]
mod common;

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{VStore, raw_nodes};
use ese_btree::undo::UndoInfo;
use ese_btree::{BTree, Database, DatabaseConfig, SeekOp};
use ese_core::{DbId, Pgno};
use ese_pageio::{MemStorage, PageFlags, Storage};
use ese_txn::{
    CommitMode, Error, EscrowField, EscrowWidth, LockKind, NoLog, VerConfig, VersionStore,
    VersionedTree,
};

fn store(config: VerConfig) -> VStore {
    VStore::new(VersionStore::new(config, Arc::new(NoLog)).expect("a valid configuration"))
}

fn v(n: u8) -> Vec<u8> {
    vec![n; 16]
}

#[test]
fn a_full_version_store_fails_the_change_and_rollback_restores_the_tree() {
    // Two 1 KiB version pages: about fifteen small versions.
    let st = store(VerConfig::test_min());
    let mut s = st.ver().begin_session();
    for k in 0..4u8 {
        st.insert(&mut s, &[b'a' + k], &v(k)).unwrap();
    }
    st.ver().cleanup();
    let before = st.raw();

    s.begin_transaction().unwrap();
    let mut made = 0;
    let failure = loop {
        let key = [b'a' + (made % 4) as u8, b'x', made as u8];
        let raw = st.raw();
        let r = if made % 2 == 0 {
            st.tree.insert(&mut s, &key, &v(made as u8))
        } else {
            st.tree
                .replace(&mut s, &[b'a' + (made % 4) as u8], &v(100 + made as u8))
        };
        match r {
            Ok(()) => made += 1,
            Err(e) => {
                assert_eq!(st.raw(), raw, "the refused change left the tree as it was");
                break e;
            }
        }
        assert!(made < 100, "the store never filled");
    };
    assert!(
        matches!(failure, Error::VersionStoreOutOfMemory { max_ver_pages: 2 }),
        "{failure}"
    );
    assert_eq!(failure.jet_code(), -1069);
    assert!(made > 4, "only {made} changes fit");
    assert_eq!(s.level(), 1, "the transaction is still open");
    // The transaction still reads its own changes.
    assert_eq!(st.get(&s, b"ax\0"), Some(v(0)));
    st.ver().check_invariants().unwrap();

    st.rollback(&mut s).unwrap();
    assert_eq!(s.level(), 0);
    assert_eq!(st.raw(), before, "rollback put every node back");
    assert_eq!(st.ver().stats().versions, 0);
    st.tree.tree().check_invariants().unwrap();
    // And the store has room again.
    st.insert(&mut s, b"after", &v(9)).unwrap();
}

#[test]
fn a_tree_failure_after_the_version_leaves_no_trace() {
    let st = store(VerConfig::default());
    let mut s = st.ver().begin_session();
    st.insert(&mut s, b"k", &v(1)).unwrap();
    let other = st.ver().begin_session();
    s.begin_transaction().unwrap();
    st.tree.replace(&mut s, b"k", &v(2)).unwrap();
    let versions = st.ver().stats().versions;
    let raw = st.raw();

    st.log.fail.store(true, Ordering::SeqCst);
    let errors = [
        st.tree.insert(&mut s, b"new", &v(3)).unwrap_err(),
        st.tree.replace(&mut s, b"k", &v(4)).unwrap_err(),
        st.tree.delete(&mut s, b"k").unwrap_err(),
        st.tree
            .escrow_update(&mut s, b"k", EscrowField::new(0, EscrowWidth::I64), 5)
            .unwrap_err(),
    ];
    st.log.fail.store(false, Ordering::SeqCst);
    for e in &errors {
        assert!(matches!(e, Error::Tree(ese_btree::Error::Log(_))), "{e}");
        assert_eq!(e.jet_code(), -510);
    }
    assert_eq!(st.raw(), raw, "no failed change reached the tree");
    assert_eq!(
        st.ver().stats().versions,
        versions,
        "every failed change's version was forgotten"
    );
    st.ver().check_invariants().unwrap();
    // The transaction goes on as if the failed calls never happened.
    assert_eq!(st.get(&s, b"k"), Some(v(2)));
    assert_eq!(st.get(&other, b"k"), Some(v(1)));
    assert_eq!(st.get(&s, b"new"), None);
    st.tree.insert(&mut s, b"new", &v(3)).unwrap();
    st.commit(&mut s, CommitMode::Durable).unwrap();
    assert_eq!(st.get(&other, b"new"), Some(v(3)));
}

#[test]
fn changes_need_a_writable_transaction_and_errors_carry_jet_codes() {
    let st = store(VerConfig::default());
    let mut s = st.ver().begin_session();
    let codes = |r: Result<(), Error>| r.map_err(|e| e.jet_code());
    assert_eq!(codes(st.tree.insert(&mut s, b"a", b"1")), Err(-1054));
    assert_eq!(
        codes(st.tree.get_lock(&mut s, b"a", LockKind::Read)),
        Err(-1054)
    );
    s.begin_transaction().unwrap();
    st.tree.insert(&mut s, b"a", b"1").unwrap();
    assert_eq!(codes(st.tree.insert(&mut s, b"a", b"2")), Err(-1605));
    assert_eq!(codes(st.tree.replace(&mut s, b"b", b"2")), Err(-1601));
    assert_eq!(codes(st.tree.delete(&mut s, b"b")), Err(-1601));
    assert_eq!(codes(st.tree.insert(&mut s, b"", b"2")), Err(-1608));
    assert_eq!(codes(st.tree.insert(&mut s, &[1; 1001], b"2")), Err(-408));
    assert_eq!(
        codes(st.tree.insert(&mut s, b"c", &vec![0; 5000])),
        Err(-1026)
    );
    assert_eq!(
        st.tree
            .escrow_update(&mut s, b"a", EscrowField::new(0, EscrowWidth::I32), 1)
            .map_err(|e| e.jet_code()),
        Err(-1003),
        "a one-byte record has no 32-bit field"
    );
    st.commit(&mut s, CommitMode::Durable).unwrap();
    s.begin_transaction_read_only().unwrap();
    assert_eq!(codes(st.tree.replace(&mut s, b"a", b"3")), Err(-1110));
    assert_eq!(
        codes(st.tree.get_lock(&mut s, b"a", LockKind::Read)),
        Ok(())
    );
    st.commit(&mut s, CommitMode::Lazy).unwrap();
    assert_eq!(
        st.ver().stats().versions,
        1,
        "the committed insert awaits cleanup"
    );
}

#[test]
fn an_insert_over_another_sessions_change_is_a_write_conflict_not_a_duplicate() {
    let st = store(VerConfig::default());
    let mut a = st.ver().begin_session();
    let mut b = st.ver().begin_session();
    let codes = |r: Result<(), Error>| r.map_err(|e| e.jet_code());
    // A committed node, which a later transaction of `a` flag-deletes.
    a.begin_transaction().unwrap();
    st.tree.insert(&mut a, b"gone", b"1").unwrap();
    st.commit(&mut a, CommitMode::Lazy).unwrap();
    a.begin_transaction().unwrap();
    b.begin_transaction().unwrap();
    st.tree.insert(&mut a, b"new", b"1").unwrap();
    st.tree.delete(&mut a, b"gone").unwrap();
    let before = st.raw();
    // Uncommitted insert and uncommitted delete of another session: both conflict.
    assert_eq!(codes(st.tree.insert(&mut b, b"new", b"2")), Err(-1102));
    assert_eq!(codes(st.tree.insert(&mut b, b"gone", b"2")), Err(-1102));
    assert_eq!(st.raw(), before, "a refused insert changes no node");
    // Committed after b began: still conflicts for b, a duplicate for a later transaction.
    st.commit(&mut a, CommitMode::Lazy).unwrap();
    assert_eq!(codes(st.tree.insert(&mut b, b"new", b"2")), Err(-1102));
    st.commit(&mut b, CommitMode::Lazy).unwrap();
    b.begin_transaction().unwrap();
    assert_eq!(codes(st.tree.insert(&mut b, b"new", b"2")), Err(-1605));
    st.tree.insert(&mut b, b"gone", b"3").unwrap();
    st.commit(&mut b, CommitMode::Lazy).unwrap();
    assert_eq!(st.raw().get(&b"gone"[..]), Some(&(b"3".to_vec(), false)));
}

#[test]
fn cursors_see_their_snapshot_in_both_directions() {
    let st = store(VerConfig::default());
    let mut w = st.ver().begin_session();
    for k in [b"b", b"d", b"f", b"h"] {
        st.insert(&mut w, k, k).unwrap();
    }
    let mut r = st.ver().begin_session();
    r.begin_transaction().unwrap();
    // After the reader began: b deleted, c inserted, f replaced, all committed.
    w.begin_transaction().unwrap();
    st.tree.delete(&mut w, b"b").unwrap();
    st.tree.insert(&mut w, b"c", b"c").unwrap();
    st.tree.replace(&mut w, b"f", b"F").unwrap();
    st.commit(&mut w, CommitMode::Durable).unwrap();
    // And an uncommitted insert of a, replace of h.
    w.begin_transaction().unwrap();
    st.tree.insert(&mut w, b"a", b"a").unwrap();
    st.tree.replace(&mut w, b"h", b"H").unwrap();

    let keys = |c: &mut ese_txn::VersionedCursor, s: &ese_txn::Session, forward: bool| {
        let mut out = Vec::new();
        let mut e = if forward { c.first(s) } else { c.last(s) }.unwrap();
        while let Some(entry) = e {
            out.push(format!(
                "{}{}",
                String::from_utf8_lossy(&entry.key),
                String::from_utf8_lossy(&entry.data)
            ));
            e = if forward { c.next(s) } else { c.prev(s) }.unwrap();
        }
        out
    };
    let mut c = st.tree.cursor();
    assert_eq!(keys(&mut c, &r, true), ["bb", "dd", "ff", "hh"]);
    assert_eq!(keys(&mut c, &r, false), ["hh", "ff", "dd", "bb"]);
    assert_eq!(keys(&mut c, &w, true), ["aa", "cc", "dd", "fF", "hH"]);
    let latest = st.ver().begin_session();
    assert_eq!(keys(&mut c, &latest, true), ["cc", "dd", "fF", "hh"]);

    // After the last record the cursor stays there; prev comes back to the last.
    assert_eq!(c.last(&r).unwrap().unwrap().key, b"h");
    assert_eq!(c.next(&r).unwrap(), None);
    assert_eq!(c.next(&r).unwrap(), None);
    assert_eq!(c.prev(&r).unwrap().unwrap().key, b"h");
    c.reset();
    assert_eq!(
        c.prev(&r).unwrap(),
        None,
        "before the first, prev finds nothing"
    );
    assert_eq!(c.next(&r).unwrap().unwrap().key, b"b");

    let seek =
        |c: &mut ese_txn::VersionedCursor, k: &[u8], op| c.seek(&r, k, op).unwrap().map(|e| e.key);
    assert_eq!(
        seek(&mut c, b"b", SeekOp::Eq),
        Some(b"b".to_vec()),
        "deleted later"
    );
    assert_eq!(seek(&mut c, b"c", SeekOp::Eq), None, "inserted later");
    assert_eq!(seek(&mut c, b"c", SeekOp::Ge), Some(b"d".to_vec()));
    assert_eq!(seek(&mut c, b"c", SeekOp::Le), Some(b"b".to_vec()));
    assert_eq!(seek(&mut c, b"d", SeekOp::Gt), Some(b"f".to_vec()));
    assert_eq!(seek(&mut c, b"d", SeekOp::Lt), Some(b"b".to_vec()));
    assert_eq!(seek(&mut c, b"a", SeekOp::Le), None);
    assert_eq!(c.current(), None);
    assert_eq!(
        st.tree
            .count(&r, Bound::Excluded(b"b"), Bound::Included(b"h"))
            .unwrap(),
        3
    );
    assert_eq!(
        st.tree
            .count(&w, Bound::Unbounded, Bound::Unbounded)
            .unwrap(),
        5
    );
    st.rollback(&mut w).unwrap();
    assert_eq!(keys(&mut c, &w, true), ["cc", "dd", "fF", "hh"]);
}

#[test]
fn escrow_on_a_32_bit_field_commutes_and_rolls_back_alone() {
    let st = store(VerConfig::default());
    let field = EscrowField::new(4, EscrowWidth::I32);
    let mut data = vec![0xAA; 4];
    data.extend_from_slice(&100i32.to_le_bytes());
    data.extend_from_slice(b"tail");
    let mut a = st.ver().begin_session();
    st.insert(&mut a, b"n", &data).unwrap();
    let mut b = st.ver().begin_session();
    let mut snap = st.ver().begin_session();
    snap.begin_transaction().unwrap();
    a.begin_transaction().unwrap();
    b.begin_transaction().unwrap();
    assert_eq!(st.tree.escrow_update(&mut a, b"n", field, 5).unwrap(), 100);
    assert_eq!(
        st.tree.escrow_update(&mut b, b"n", field, -30).unwrap(),
        100
    );
    assert_eq!(st.tree.escrow_update(&mut a, b"n", field, 1).unwrap(), 105);
    let read = |s: &ese_txn::Session| field.read(&st.get(s, b"n").unwrap()).unwrap();
    assert_eq!(read(&a), 106);
    assert_eq!(read(&b), 70);
    assert_eq!(read(&snap), 100);
    let stored = st.raw()[b"n".as_slice()].0.clone();
    assert_eq!(field.read(&stored), Some(76), "the node holds every delta");
    assert_eq!(&stored[..4], &[0xAA; 4]);
    assert_eq!(&stored[8..], b"tail");
    assert_eq!(
        st.tree
            .escrow_update(&mut a, b"n", field, i64::from(i32::MAX) + 1)
            .map_err(|e| e.jet_code()),
        Err(-1003)
    );
    st.rollback(&mut a).unwrap();
    assert_eq!(read(&b), 70);
    st.commit(&mut b, CommitMode::Durable).unwrap();
    assert_eq!(read(&snap), 100);
    let later = st.ver().begin_session();
    assert_eq!(read(&later), 70);
    assert_eq!(field.read(&st.raw()[b"n".as_slice()].0), Some(70));
    assert_eq!(EscrowField::from_code(field.code()), Some(field));
    let wide = EscrowField::new(9, EscrowWidth::I64);
    assert_eq!(EscrowField::from_code(wide.code()), Some(wide));
    assert_eq!(EscrowField::from_code(1 << 20), None);
}

#[test]
fn rollback_logs_compensations_and_reaches_every_database() {
    let ver = VersionStore::new(VerConfig::default(), Arc::new(NoLog)).unwrap();
    let st = VStore::with_options(ver.clone(), 4096, true);
    // A second database on the same cache, registered with the same trees.
    let id = DbId(3);
    let storage = Arc::new(MemStorage::new());
    st.test.cache.attach(id, storage.clone(), 4096).unwrap();
    let db3 = Arc::new(
        Database::create(
            st.test.cache.clone(),
            st.test.log.clone(),
            Some(storage as Arc<dyn Storage>),
            DatabaseConfig::new(id, 4096),
        )
        .unwrap(),
    );
    let t3 = BTree::create(&db3, 9, PageFlags::NONE).unwrap();
    st.trees.register(&t3);
    let other = VersionedTree::new(t3, ver.clone());

    let mut s = ver.begin_session();
    s.begin_transaction().unwrap();
    st.tree.insert(&mut s, b"x", b"1").unwrap();
    other.insert(&mut s, b"y", b"1").unwrap();
    st.commit(&mut s, CommitMode::Durable).unwrap();
    let before = (st.raw(), raw_nodes(other.tree()));

    s.begin_transaction().unwrap();
    st.tree.replace(&mut s, b"x", b"2").unwrap();
    other.delete(&mut s, b"y").unwrap();
    other.insert(&mut s, b"z", b"3").unwrap();
    st.tree
        .escrow_update(&mut s, b"x", EscrowField::new(0, EscrowWidth::I32), 1)
        .unwrap_err(); // one byte of data: refused before anything is recorded
    let logged = st.test.log.record_count();
    st.trees.rollback(&mut s).unwrap();
    assert_eq!((st.raw(), raw_nodes(other.tree())), before);

    let compensations = st.test.log.records()[logged..]
        .iter()
        .filter_map(|r| r.page_op())
        .filter(|op| {
            matches!(
                UndoInfo::decode(&op.undo, Pgno(0)),
                Ok(UndoInfo::Compensation)
            )
        })
        .count();
    assert_eq!(compensations, 3, "one compensation per change undone");
    ver.check_invariants().unwrap();
    other.tree().check_invariants().unwrap();
}

#[test]
fn cleanup_and_the_sweep_remove_only_unneeded_deleted_nodes() {
    let st = store(VerConfig::default());
    let mut s = st.ver().begin_session();
    for k in [b"a", b"b", b"c"] {
        st.insert(&mut s, k, k).unwrap();
    }
    let mut reader = st.ver().begin_session();
    reader.begin_transaction().unwrap();
    st.delete(&mut s, b"a").unwrap();
    assert_eq!(st.cleanup(), 0, "the reader still sees a");
    assert_eq!(st.get(&reader, b"a"), Some(b"a".to_vec()));
    reader.commit_transaction(CommitMode::Lazy).unwrap();
    assert_eq!(st.cleanup(), 1);
    assert!(!st.raw().contains_key(b"a".as_slice()));

    // A crash loses the cleanup queue: model it by running the version store's cleanup alone.
    st.delete(&mut s, b"b").unwrap();
    s.begin_transaction().unwrap();
    st.tree.delete(&mut s, b"c").unwrap();
    st.ver().cleanup();
    assert_eq!(st.cleanup(), 0, "the queue is gone");
    let raw = st.raw();
    assert!(raw[b"b".as_slice()].1 && raw[b"c".as_slice()].1);
    assert_eq!(
        st.tree.sweep_deleted().unwrap(),
        1,
        "b only: c has a version"
    );
    assert!(!st.raw().contains_key(b"b".as_slice()));
    st.rollback(&mut s).unwrap();
    assert_eq!(st.get(&s, b"c"), Some(b"c".to_vec()));
    assert_eq!(st.trees.sweep_deleted().unwrap(), 0);
    st.tree.tree().check_invariants().unwrap();
}

#[test]
fn with_no_version_left_a_flag_deleted_node_is_skipped_by_every_read() {
    let st = store(VerConfig::default());
    let mut s = st.ver().begin_session();
    for k in [b"a", b"b", b"c", b"d"] {
        st.insert(&mut s, k, k).unwrap();
    }
    st.delete(&mut s, b"b").unwrap();
    st.delete(&mut s, b"d").unwrap();
    // The versions go; the nodes stay flag-deleted (the removals are not run).
    st.ver().cleanup();
    assert!(!st.ver().has_versions());
    let raw = st.raw();
    assert!(raw[b"b".as_slice()].1 && raw[b"d".as_slice()].1);

    let r = st.ver().begin_session();
    let mut c = st.tree.cursor();
    let mut forward = Vec::new();
    let mut e = c.first(&r).unwrap();
    while let Some(entry) = e {
        forward.push(entry.key.clone());
        e = c.next(&r).unwrap();
    }
    assert_eq!(forward, [b"a".to_vec(), b"c".to_vec()]);
    assert_eq!(c.last(&r).unwrap().map(|e| e.key), Some(b"c".to_vec()));
    assert_eq!(c.prev(&r).unwrap().map(|e| e.key), Some(b"a".to_vec()));
    assert_eq!(c.seek(&r, b"b", SeekOp::Eq).unwrap(), None);
    assert_eq!(
        c.seek(&r, b"b", SeekOp::Ge).unwrap().map(|e| e.key),
        Some(b"c".to_vec())
    );
    assert_eq!(st.get(&r, b"d"), None);

    // A new version anywhere sends reads back through the store.
    let mut w = st.ver().begin_session();
    w.begin_transaction().unwrap();
    st.tree.insert(&mut w, b"e", b"e").unwrap();
    assert!(st.ver().has_versions());
    assert_eq!(c.seek(&r, b"e", SeekOp::Eq).unwrap(), None, "uncommitted");
    assert_eq!(
        c.seek(&w, b"e", SeekOp::Eq).unwrap().map(|e| e.data),
        Some(b"e".to_vec())
    );
    st.rollback(&mut w).unwrap();
}

fn key(i: u32) -> Vec<u8> {
    format!("k{i:06}").into_bytes()
}

/// A tree holding the even keys below 4,000, committed.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn filled() -> VStore {
    let st = store(VerConfig::default());
    let mut w = st.ver().begin_session();
    w.begin_transaction().unwrap();
    for i in (0..4000).step_by(2) {
        st.tree.insert(&mut w, &key(i), &[i as u8; 40]).unwrap();
    }
    w.commit_transaction(CommitMode::Lazy).unwrap();
    st
}

/// Where `s`'s cursor finds `k`.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn hint_of(st: &VStore, s: &ese_txn::Session, k: &[u8]) -> ese_btree::NodeHint {
    let mut c = st.tree.cursor();
    assert!(c.seek(s, k, SeekOp::Eq).unwrap().is_some());
    c.node_hint().unwrap()
}

#[test]
fn a_delete_through_a_cursor_hint_deletes_its_own_record_after_another_session_split_the_leaf() {
    let st = filled();
    let mut a = st.ver().begin_session();
    let mut b = st.ver().begin_session();
    let mut deleted = Vec::new();
    for (round, i) in (200..3800).step_by(180).enumerate() {
        a.begin_transaction().unwrap();
        let hint = hint_of(&st, &a, &key(i));
        assert_eq!(
            st.tree.get_at(&a, &key(i), Some(&hint)).unwrap(),
            Some(vec![i as u8; 40])
        );
        if round % 2 == 0 {
            // Another session fills the gaps around the key: the leaf splits under the hint.
            b.begin_transaction().unwrap();
            for j in (i - 40..i + 40).filter(|j| j % 2 == 1) {
                st.tree.insert(&mut b, &key(j), &[7; 60]).unwrap();
            }
            b.commit_transaction(CommitMode::Lazy).unwrap();
        }
        st.tree.delete_at(&mut a, &key(i), Some(&hint)).unwrap();
        // A hint of one key given with another: the other's own node is deleted.
        st.tree.delete_at(&mut a, &key(i + 2), Some(&hint)).unwrap();
        assert_eq!(st.tree.get(&a, &key(i)).unwrap(), None);
        assert_eq!(st.tree.get(&a, &key(i + 2)).unwrap(), None);
        assert_eq!(
            st.tree.get(&a, &key(i - 2)).unwrap(),
            Some(vec![(i - 2) as u8; 40])
        );
        assert_eq!(
            st.tree.get(&a, &key(i + 4)).unwrap(),
            Some(vec![(i + 4) as u8; 40])
        );
        // Until commit, the other session still sees both.
        assert_eq!(st.tree.get(&b, &key(i)).unwrap(), Some(vec![i as u8; 40]));
        a.commit_transaction(CommitMode::Lazy).unwrap();
        deleted.extend([key(i), key(i + 2)]);
        if round % 3 == 0 {
            // More splits between the delete and its cleanup: the recorded leaf may be stale.
            b.begin_transaction().unwrap();
            for j in (i + 41..i + 121).filter(|j| j % 2 == 1) {
                st.tree.insert(&mut b, &key(j), &[9; 60]).unwrap();
            }
            b.commit_transaction(CommitMode::Lazy).unwrap();
        }
    }
    assert_eq!(st.trees.cleanup().unwrap(), deleted.len());
    let raw = st.raw();
    for k in &deleted {
        assert!(!raw.contains_key(k.as_slice()), "{k:?} was not removed");
    }
    assert!(
        raw.values().all(|(_, flagged)| !flagged),
        "a flag-deleted node was left"
    );
    assert_eq!(raw.len(), 2000 - deleted.len() + 20 * 40 / 2 + 7 * 40);
    st.tree.tree().check_invariants().unwrap();
}

#[test]
fn a_hinted_delete_conflicts_exactly_as_a_delete_by_key() {
    let st = filled();
    let mut a = st.ver().begin_session();
    let mut b = st.ver().begin_session();
    a.begin_transaction().unwrap();
    let hint = hint_of(&st, &a, &key(1000));
    let other = hint_of(&st, &a, &key(2000));
    // Committed after a began: a may not delete what it cannot see changed.
    b.begin_transaction().unwrap();
    st.tree.replace(&mut b, &key(1000), &[1; 40]).unwrap();
    b.commit_transaction(CommitMode::Lazy).unwrap();
    // Uncommitted by another session.
    b.begin_transaction().unwrap();
    st.tree.delete(&mut b, &key(2000)).unwrap();
    for (k, h) in [(key(1000), hint), (key(2000), other)] {
        let hinted = st.tree.delete_at(&mut a, &k, Some(&h));
        assert!(matches!(hinted, Err(Error::WriteConflict)), "{hinted:?}");
        assert!(matches!(
            st.tree.delete(&mut a, &k),
            Err(Error::WriteConflict)
        ));
    }
    st.trees.rollback(&mut b).unwrap();
    // A record the session cannot see is not found, through a hint or not.
    let mut c = st.ver().begin_session();
    c.begin_transaction().unwrap();
    let h = hint_of(&st, &c, &key(3000));
    st.tree.delete(&mut c, &key(3000)).unwrap();
    let again = st.tree.delete_at(&mut c, &key(3000), Some(&h));
    assert!(
        matches!(again, Err(Error::Tree(ese_btree::Error::RecordNotFound))),
        "{again:?}"
    );
    st.trees.rollback(&mut c).unwrap();
    assert_eq!(
        st.tree.get(&c, &key(3000)).unwrap(),
        Some(vec![(3000u32 % 256) as u8; 40])
    );
    a.commit_transaction(CommitMode::Lazy).unwrap();
    st.tree.tree().check_invariants().unwrap();
}

#[test]
fn one_cleanup_removes_the_deleted_nodes_of_many_leaves_and_trees_leaf_by_leaf() {
    let ver = VersionStore::new(VerConfig::default(), Arc::new(NoLog)).unwrap();
    let st = VStore::with_options(ver, 4096, true);
    let other = VersionedTree::new(
        BTree::create(&st.db, 8, PageFlags::NONE).unwrap(),
        Arc::clone(st.ver()),
    );
    st.trees.register(other.tree());
    let mut w = st.ver().begin_session();
    w.begin_transaction().unwrap();
    for i in 0..3000 {
        st.tree.insert(&mut w, &key(i), &[i as u8; 40]).unwrap();
        if i % 3 == 0 {
            other.insert(&mut w, &key(i), &[1; 20]).unwrap();
        }
    }
    w.commit_transaction(CommitMode::Lazy).unwrap();
    assert_eq!(st.cleanup(), 0);
    assert!(st.tree.tree().check_invariants().unwrap().leaf_pages > 30);

    // One key in three of the first tree and half the second's, deleted in a random order by
    // several transactions; one key deleted and inserted again; one delete left uncommitted.
    let mut order: Vec<u32> = (0..3000).filter(|i| i % 3 == 1).collect();
    let mut rng = ese_core::rng::SplitMix64::new(5);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    for chunk in order.chunks(250) {
        w.begin_transaction().unwrap();
        for &i in chunk {
            st.tree.delete(&mut w, &key(i)).unwrap();
        }
        w.commit_transaction(CommitMode::Lazy).unwrap();
    }
    w.begin_transaction().unwrap();
    for i in (0..3000).step_by(6) {
        other.delete(&mut w, &key(i)).unwrap();
    }
    st.tree.delete(&mut w, &key(2)).unwrap();
    w.commit_transaction(CommitMode::Lazy).unwrap();
    w.begin_transaction().unwrap();
    st.tree.insert(&mut w, &key(2), &[2; 10]).unwrap();
    w.commit_transaction(CommitMode::Lazy).unwrap();
    let mut open = st.ver().begin_session();
    open.begin_transaction().unwrap();
    st.tree.delete(&mut open, &key(5)).unwrap();

    let from = st.test.log.record_count();
    let removed = st.cleanup();
    assert_eq!(removed, order.len() + 500);
    let deletes = st.test.log.records()[from..]
        .iter()
        .filter(|r| matches!(r, ese_log::LogRecord::DeleteNode(_)))
        .count();
    // About twenty nodes a leaf: one record each leaf, not one each node.
    assert!(
        deletes * 10 < removed,
        "{deletes} records for {removed} nodes"
    );

    let raw = st.raw();
    assert_eq!(raw.len(), 3000 - order.len());
    assert!(order.iter().all(|&i| !raw.contains_key(&key(i))));
    assert_eq!(raw[&key(2)], (vec![2; 10], false), "reinserted, it stays");
    assert!(
        raw[&key(5)].1,
        "its delete is uncommitted: it stays flagged"
    );
    assert_eq!(raw.values().filter(|(_, flagged)| *flagged).count(), 1);
    let others = raw_nodes(other.tree());
    assert_eq!(others.len(), 500);
    let want: Vec<Vec<u8>> = (3..3000).step_by(6).map(key).collect();
    assert_eq!(others.keys().cloned().collect::<Vec<_>>(), want);
    assert!(others.values().all(|(_, flagged)| !flagged));
    st.tree.tree().check_invariants().unwrap();
    other.tree().check_invariants().unwrap();

    st.rollback(&mut open).unwrap();
    assert_eq!(st.cleanup(), 0, "its delete undone, the node is live again");
    assert_eq!(st.raw()[&key(5)], (vec![5; 40], false));
}
