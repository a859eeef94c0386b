//! Escrow updates and their logical undo, compensations, and the JET codes of errors.

use std::collections::BTreeMap;

use ese_btree::testing::TestDb;
use ese_btree::{BTree, Error, EscrowDelta, Redo, UndoInfo, redo};
use ese_core::{JetErr, Pgno, Trx};
use ese_log::LogRecord;
use ese_pageio::PageFlags;

const PAGE: usize = 4096;

/// The undo fields of `records` that are not structural, in log order.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn undo_fields(records: &[LogRecord]) -> Vec<UndoInfo> {
    records
        .iter()
        .filter_map(LogRecord::page_op)
        .map(|op| UndoInfo::decode(&op.undo, op.pgno).unwrap())
        .filter(|u| *u != UndoInfo::Structural)
        .collect()
}

#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn counters(tree: &BTree, key: &[u8]) -> (i32, i64) {
    let data = tree.get(key).unwrap().unwrap();
    (
        i32::from_le_bytes(data[2..6].try_into().unwrap()),
        i64::from_le_bytes(data[6..14].try_into().unwrap()),
    )
}

#[test]
fn escrow_adds_in_place_and_undo_keeps_the_other_transactions_deltas() {
    let env = TestDb::new(PAGE, 16, 8, true).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    // Data: 2 bytes, a 4-byte counter at 2, an 8-byte counter at 6, 2 more bytes.
    let mut data = vec![0xaa, 0xbb];
    data.extend_from_slice(&100i32.to_le_bytes());
    data.extend_from_slice(&(-5i64).to_le_bytes());
    data.extend_from_slice(&[0xcc, 0xdd]);
    for i in 0..200u32 {
        tree.insert(Trx::MIN, format!("row{i:04}").as_bytes(), &data)
            .unwrap();
    }
    let key = b"row0100";
    let mark = env.log.record_count();
    // Two transactions add to the same counters.
    assert_eq!(tree.escrow(Trx(7), key, 2, 4, 10).unwrap(), 100);
    assert_eq!(tree.escrow(Trx(8), key, 2, 4, 1000).unwrap(), 110);
    assert_eq!(tree.escrow(Trx(7), key, 6, 8, -20).unwrap(), -5);
    assert_eq!(tree.escrow(Trx(8), key, 6, 8, 3).unwrap(), -25);
    assert_eq!(counters(&tree, key), (1110, -22));
    let row = tree.get(key).unwrap().unwrap();
    assert_eq!(
        (&row[..2], &row[14..]),
        (&[0xaa, 0xbb][..], &[0xcc, 0xdd][..])
    );
    // Each escrow record carries its delta.
    let fields = undo_fields(&env.log.records()[mark..]);
    let deltas: Vec<EscrowDelta> = fields
        .into_iter()
        .map(|u| match u {
            UndoInfo::Escrow(d) => d,
            other => panic!("not an escrow field: {other:?}"),
        })
        .collect();
    assert_eq!(deltas.len(), 4);
    assert!(
        deltas
            .iter()
            .all(|d| d.objid == 2 && d.root == tree.root() && d.key == key)
    );
    assert_eq!(
        deltas
            .iter()
            .map(|d| (d.width, d.delta))
            .collect::<Vec<_>>(),
        [(4, 10), (4, 1000), (8, -20), (8, 3)]
    );
    // Transaction 7 rolls back, newest first: transaction 8's deltas stay.
    let mark = env.log.record_count();
    for d in [&deltas[2], &deltas[0]] {
        tree.undo_escrow(Trx(7), d).unwrap();
    }
    assert_eq!(counters(&tree, key), (1100, -2));
    let fields = undo_fields(&env.log.records()[mark..]);
    assert_eq!(fields, [UndoInfo::Compensation, UndoInfo::Compensation]);
    tree.check_invariants().unwrap();

    // The whole log replays onto empty pages to the same tree.
    env.cache.flush_all().unwrap();
    let mut pages: BTreeMap<Pgno, Vec<u8>> = BTreeMap::new();
    for rec in env.log.records() {
        let (_, pgno) = rec.page().unwrap();
        let page = pages.entry(pgno).or_insert_with(|| vec![0u8; PAGE]);
        assert_ne!(redo(page, &rec).unwrap(), Redo::NeedsImage);
    }
    let disk = env.storage.to_bytes();
    for (pgno, mut page) in pages {
        ese_pageio::seal(&mut page, pgno);
        let at = (pgno.0 as usize + 1) * PAGE;
        assert!(page[..] == disk[at..at + PAGE], "page {pgno} differs");
    }
}

#[test]
fn escrow_wraps_at_its_width_and_undo_restores_exactly() {
    let env = TestDb::new(PAGE, 16, 8, true).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    let mut data = i32::MAX.to_le_bytes().to_vec();
    data.extend_from_slice(&i64::MIN.to_le_bytes());
    tree.insert(Trx::MIN, b"k", &data).unwrap();
    assert_eq!(
        tree.escrow(Trx(3), b"k", 0, 4, 1).unwrap(),
        i64::from(i32::MAX)
    );
    assert_eq!(tree.escrow(Trx(3), b"k", 4, 8, -1).unwrap(), i64::MIN);
    let row = tree.get(b"k").unwrap().unwrap();
    assert_eq!(row[..4], i32::MIN.to_le_bytes());
    assert_eq!(row[4..], i64::MAX.to_le_bytes());
    let deltas: Vec<EscrowDelta> = undo_fields(&env.log.records())
        .into_iter()
        .filter_map(|u| match u {
            UndoInfo::Escrow(d) => Some(d),
            _ => None,
        })
        .collect();
    for d in deltas.iter().rev() {
        tree.undo_escrow(Trx(3), d).unwrap();
    }
    assert_eq!(tree.get(b"k").unwrap().unwrap(), data);
}

#[test]
fn escrow_refuses_what_it_cannot_do_and_changes_nothing() {
    let env = TestDb::new(PAGE, 16, 8, true).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    tree.insert(Trx::MIN, b"k", &[0; 8]).unwrap();
    tree.insert(Trx::MIN, b"gone", &[0; 8]).unwrap();
    tree.delete(Trx::MIN, b"gone").unwrap();
    let mark = env.log.record_count();
    let cases: [(&[u8], u16, u8, i64, JetErr); 6] = [
        (b"nope", 0, 4, 1, JetErr::RECORD_NOT_FOUND),
        (b"gone", 0, 4, 1, JetErr::RECORD_NOT_FOUND),
        (b"k", 5, 4, 1, JetErr::INVALID_PARAMETER),
        (b"k", 1, 8, 1, JetErr::INVALID_PARAMETER),
        (b"k", 0, 2, 1, JetErr::INVALID_PARAMETER),
        (
            b"k",
            0,
            4,
            i64::from(i32::MAX) + 1,
            JetErr::INVALID_PARAMETER,
        ),
    ];
    for (key, offset, width, delta, jet) in cases {
        let err = tree.escrow(Trx(2), key, offset, width, delta).unwrap_err();
        assert_eq!(err.jet_err(), jet, "{err}");
    }
    assert_eq!(env.log.record_count(), mark, "nothing was logged");
    let other = EscrowDelta {
        objid: 9,
        root: tree.root(),
        key: b"k".to_vec(),
        offset: 0,
        width: 4,
        delta: 1,
    };
    assert!(matches!(
        tree.undo_escrow(Trx(2), &other),
        Err(Error::InvalidParameter(_))
    ));
    assert_eq!(tree.get(b"k").unwrap().unwrap(), [0; 8]);
}

#[test]
fn an_undo_with_nothing_to_put_back_still_logs_its_compensation() {
    let env = TestDb::new(PAGE, 16, 8, true).unwrap();
    let tree = BTree::create(&env.db, 2, PageFlags::NONE).unwrap();
    let image = ese_btree::BeforeImage {
        objid: 2,
        root: tree.root(),
        key: b"never".to_vec(),
        before: None,
    };
    let mark = env.log.record_count();
    tree.undo(Trx(4), &image).unwrap();
    assert_eq!(
        undo_fields(&env.log.records()[mark..]),
        [UndoInfo::Compensation]
    );
    assert_eq!(tree.get(b"never").unwrap(), None);
}

#[test]
fn every_error_has_its_ese_code() {
    let io = |kind| Error::Io(std::io::Error::from(kind));
    let cases = [
        (
            Error::Corrupt {
                pgno: Pgno(3),
                what: "x",
            },
            -1018,
        ),
        (
            Error::Page(ese_pageio::PageError::Uninitialized { pgno: Pgno(3) }),
            -1018,
        ),
        (
            Error::Cache(ese_cache::Error::OutOfBuffers { capacity_pages: 1 }),
            -1014,
        ),
        (
            Error::Cache(ese_cache::Error::UnknownDatabase(ese_core::DbId(4))),
            -1010,
        ),
        (Error::Log("refused".into()), -510),
        (io(std::io::ErrorKind::Other), -1022),
        (io(std::io::ErrorKind::StorageFull), -1808),
        (Error::KeyTooLong { len: 300, max: 255 }, -408),
        (Error::KeyTooLong { len: 0, max: 255 }, -1608),
        (
            Error::DataTooLong {
                len: 9000,
                max: 4000,
            },
            -1026,
        ),
        (Error::KeyDuplicate, -1605),
        (Error::RecordNotFound, -1601),
        (Error::WriteConflict, -1102),
        (Error::DatabaseFull, -1808),
        (Error::InvalidParameter("x"), -1003),
    ];
    for (err, code) in cases {
        assert_eq!(err.jet_code(), code, "{err}");
        assert_eq!(err.jet_err(), JetErr(code));
        assert!(err.jet_err().symbol().is_some(), "{err}");
    }
}
