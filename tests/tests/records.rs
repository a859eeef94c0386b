//! Issue 9, item 6: records. prepare_update in all its modes, set and retrieve with their
//! warnings, update returning the bookmark, delete, unique keys.

use ese_api::{
    ColumnGrbit, ColumnId, ColumnType, Engine, IndexCreate, IndexGrbit, JetErr, Sesid, TableCreate,
    Tableid,
    table::{
        JET_BIT_NEW_KEY, JET_BIT_SEEK_EQ, JET_MOVE_FIRST, JET_MOVE_NEXT, JET_PREP_CANCEL,
        JET_PREP_INSERT, JET_PREP_INSERT_COPY, JET_PREP_REPLACE, JET_PREP_REPLACE_NO_LOCK,
    },
};
use ese_tests::{Fixture, col};

struct People {
    t: Tableid,
    id: ColumnId,
    name: ColumnId,
}

fn people(f: &Fixture) -> People {
    id_name_table(f, "people", None)
}

/// A table `table` of an id (its primary key) and a name, with `by_name` an index on the name.
fn id_name_table(f: &Fixture, table: &str, by_name: Option<&str>) -> People {
    let e = &f.engine;
    let mut create = TableCreate::new(table)
        .column("id", col(ColumnType::Long, ColumnGrbit::NOT_NULL))
        .column("name", col(ColumnType::Text, ColumnGrbit::NONE))
        .index(IndexCreate::new(
            "pk",
            b"+id\0\0",
            IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
        ));
    if let Some(index) = by_name {
        create = create.index(IndexCreate::new(index, b"+name\0\0", IndexGrbit::NONE));
    }
    let (t, _) = e
        .create_table_column_index(f.sesid, f.dbid, &create)
        .expect("test helper");
    let column = |name| {
        e.get_table_column_info(f.sesid, t, Some(name))
            .expect("test helper")[0]
            .id
    };
    People {
        t,
        id: column("id"),
        name: column("name"),
    }
}

fn insert(e: &Engine, s: Sesid, p: &People, id: i32, name: &str) -> ese_api::Result<Vec<u8>> {
    e.prepare_update(s, p.t, JET_PREP_INSERT)?;
    e.set_column(s, p.t, p.id, &id.to_le_bytes(), 0, 0)?;
    e.set_column(s, p.t, p.name, name.as_bytes(), 0, 0)?;
    let r = e.update(s, p.t);
    if r.is_err() {
        e.prepare_update(s, p.t, JET_PREP_CANCEL)?;
    }
    r
}

fn seek_id(e: &Engine, s: Sesid, p: &People, id: i32) {
    e.make_key(s, p.t, &id.to_le_bytes(), JET_BIT_NEW_KEY)
        .expect("test helper");
    assert_eq!(e.seek(s, p.t, JET_BIT_SEEK_EQ).expect("test helper"), None);
}

fn name_of(e: &Engine, s: Sesid, p: &People) -> Option<String> {
    e.retrieve_column_value(s, p.t, p.name, 0, 1)
        .expect("test helper")
        .map(|v| String::from_utf8(v).expect("test helper"))
}

#[test]
fn a_unique_primary_key_refuses_duplicates() {
    let f = Fixture::new("rec-dup");
    let e = &f.engine;
    let p = people(&f);
    insert(e, f.sesid, &p, 1, "one").unwrap();
    insert(e, f.sesid, &p, 2, "two").unwrap();
    assert_eq!(
        insert(e, f.sesid, &p, 1, "again").unwrap_err().code(),
        -1605,
        "JET_errKeyDuplicate"
    );
    // Inside a transaction too, and the transaction stays usable.
    e.begin_transaction(f.sesid).unwrap();
    insert(e, f.sesid, &p, 3, "three").unwrap();
    assert_eq!(
        insert(e, f.sesid, &p, 3, "dup").unwrap_err(),
        JetErr::KEY_DUPLICATE
    );
    e.commit_transaction(f.sesid, 0).unwrap();
    e.move_cursor(f.sesid, p.t, JET_MOVE_FIRST, 0).unwrap();
    assert_eq!(e.index_record_count(f.sesid, p.t, 0).unwrap(), 3);
    seek_id(e, f.sesid, &p, 1);
    assert_eq!(name_of(e, f.sesid, &p).as_deref(), Some("one"));
}

#[test]
fn prepare_update_modes() {
    let f = Fixture::new("rec-prep");
    let e = &f.engine;
    let p = people(&f);
    let s = f.sesid;
    assert_eq!(
        e.update(s, p.t).unwrap_err().code(),
        -1609,
        "UpdateNotPrepared"
    );
    assert_eq!(
        e.prepare_update(s, p.t, JET_PREP_REPLACE).unwrap_err(),
        JetErr::NO_CURRENT_RECORD
    );
    let bm = insert(e, s, &p, 10, "ten").unwrap();
    e.goto_bookmark(s, p.t, &bm).unwrap();
    assert_eq!(
        e.get_bookmark(s, p.t).unwrap(),
        bm,
        "update returned the bookmark"
    );

    // Replace.
    e.prepare_update(s, p.t, JET_PREP_REPLACE).unwrap();
    assert_eq!(
        e.prepare_update(s, p.t, JET_PREP_INSERT)
            .unwrap_err()
            .code(),
        -1607,
        "JET_errAlreadyPrepared"
    );
    e.set_column(s, p.t, p.name, b"TEN", 0, 0).unwrap();
    e.update(s, p.t).unwrap();
    seek_id(e, s, &p, 10);
    assert_eq!(name_of(e, s, &p).as_deref(), Some("TEN"));

    // ReplaceNoLock, then Cancel leaves the record as it was.
    e.prepare_update(s, p.t, JET_PREP_REPLACE_NO_LOCK).unwrap();
    e.set_column(s, p.t, p.name, b"lost", 0, 0).unwrap();
    e.prepare_update(s, p.t, JET_PREP_CANCEL).unwrap();
    assert_eq!(name_of(e, s, &p).as_deref(), Some("TEN"));

    // InsertCopy: a new record with the current one's values, here with a new key.
    e.prepare_update(s, p.t, JET_PREP_INSERT_COPY).unwrap();
    e.set_column(s, p.t, p.id, &11i32.to_le_bytes(), 0, 0)
        .unwrap();
    e.update(s, p.t).unwrap();
    seek_id(e, s, &p, 11);
    assert_eq!(name_of(e, s, &p).as_deref(), Some("TEN"));

    // Delete.
    e.delete(s, p.t).unwrap();
    e.make_key(s, p.t, &11i32.to_le_bytes(), JET_BIT_NEW_KEY)
        .unwrap();
    assert_eq!(
        e.seek(s, p.t, JET_BIT_SEEK_EQ).unwrap_err().code(),
        -1601,
        "JET_errRecordNotFound"
    );
    assert_eq!(
        e.prepare_update(s, p.t, 99).unwrap_err(),
        JetErr::INVALID_PARAMETER
    );
}

#[test]
fn retrieve_warns_of_null_and_truncation() {
    let f = Fixture::new("rec-warn");
    let e = &f.engine;
    let p = people(&f);
    let s = f.sesid;
    e.prepare_update(s, p.t, JET_PREP_INSERT).unwrap();
    e.set_column(s, p.t, p.id, &5i32.to_le_bytes(), 0, 0)
        .unwrap();
    e.update(s, p.t).unwrap();
    insert(e, s, &p, 6, "a long name").unwrap();
    e.move_cursor(s, p.t, JET_MOVE_FIRST, 0).unwrap();
    let mut buf = [0u8; 4];
    let (n, w) = e.retrieve_column(s, p.t, p.name, &mut buf, 0, 1).unwrap();
    assert_eq!(
        (n, w.map(|w| w.code())),
        (0, Some(1004)),
        "JET_wrnColumnNull"
    );
    e.move_cursor(s, p.t, JET_MOVE_NEXT, 0).unwrap();
    let (n, w) = e.retrieve_column(s, p.t, p.name, &mut buf, 0, 1).unwrap();
    assert_eq!(n, 11, "cbActual is the full size");
    assert_eq!(w.map(|w| w.code()), Some(1006), "JET_wrnBufferTruncated");
    assert_eq!(&buf, b"a lo");
    let mut big = [0u8; 32];
    let (n, w) = e.retrieve_column(s, p.t, p.name, &mut big, 0, 1).unwrap();
    assert_eq!((n, w), (11, None));

    // From the copy buffer during an update.
    e.prepare_update(s, p.t, JET_PREP_REPLACE).unwrap();
    e.set_column(s, p.t, p.name, b"new", 0, 0).unwrap();
    let copy = e
        .retrieve_column_value(s, p.t, p.name, ese_api::table::JET_BIT_RETRIEVE_COPY, 1)
        .unwrap();
    assert_eq!(copy.as_deref(), Some(&b"new"[..]));
    assert_eq!(name_of(e, s, &p).as_deref(), Some("a long name"));
}

#[test]
fn set_columns_and_retrieve_columns_report_per_column() {
    let f = Fixture::new("rec-many");
    let e = &f.engine;
    let p = people(&f);
    let s = f.sesid;
    e.prepare_update(s, p.t, JET_PREP_INSERT).unwrap();
    let id = 9i32.to_le_bytes();
    let long = [b'n'; 300];
    let mut set = [
        ese_api::SetColumn {
            columnid: p.id,
            data: &id,
            grbit: 0,
            ib_long_value: 0,
            itag_sequence: 0,
            err: -1,
        },
        ese_api::SetColumn {
            columnid: p.name,
            data: &long,
            grbit: 0,
            ib_long_value: 0,
            itag_sequence: 0,
            err: -1,
        },
    ];
    e.set_columns(s, p.t, &mut set).unwrap();
    assert_eq!(
        (set[0].err, set[1].err),
        (0, 1512),
        "JET_wrnColumnMaxTruncated"
    );
    e.update(s, p.t).unwrap();
    e.move_cursor(s, p.t, JET_MOVE_FIRST, 0).unwrap();
    let (mut a, mut b) = ([0u8; 4], [0u8; 10]);
    let mut get = [
        ese_api::RetrieveColumn {
            columnid: p.id,
            data: &mut a,
            grbit: 0,
            ib_long_value: 0,
            itag_sequence: 1,
            columnid_next_tagged: ese_api::ColumnId(0),
            actual: 0,
            err: -1,
        },
        ese_api::RetrieveColumn {
            columnid: p.name,
            data: &mut b,
            grbit: 0,
            ib_long_value: 0,
            itag_sequence: 1,
            columnid_next_tagged: ese_api::ColumnId(0),
            actual: 0,
            err: -1,
        },
    ];
    e.retrieve_columns(s, p.t, &mut get).unwrap();
    assert_eq!((get[0].actual, get[0].err), (4, 0));
    assert_eq!(
        (get[1].actual, get[1].err),
        (255, 1006),
        "JET_wrnBufferTruncated"
    );
    assert_eq!(a, id);
    assert_eq!(b, [b'n'; 10]);
}

#[test]
fn closed_and_foreign_table_ids_are_refused() {
    let f = Fixture::new("rec-tableid");
    let e = &f.engine;
    let p = people(&f);
    e.close_table(f.sesid, p.t).unwrap();
    assert_eq!(
        e.move_cursor(f.sesid, p.t, JET_MOVE_FIRST, 0)
            .unwrap_err()
            .code(),
        -1310,
        "JET_errInvalidTableId"
    );
    let t = e.open_table(f.sesid, f.dbid, "people", None, 0).unwrap();
    assert_ne!(t, p.t, "table ids are never reused");
    let other = e.begin_session(f.inst, "", "").unwrap();
    assert_eq!(
        e.move_cursor(other, t, JET_MOVE_FIRST, 0).unwrap_err(),
        JetErr::INVALID_TABLE_ID
    );
    assert_eq!(
        e.move_cursor(f.sesid, ese_api::Tableid::NIL, JET_MOVE_FIRST, 0)
            .unwrap_err(),
        JetErr::INVALID_TABLE_ID
    );
    e.end_session(f.sesid, 0).unwrap();
    assert_eq!(
        e.move_cursor(f.sesid, t, JET_MOVE_FIRST, 0).unwrap_err(),
        JetErr::INVALID_SESID
    );
}

/// A table keyed by id with a secondary index on a long name, so that records fill leaves
/// quickly and changes near a record split them.
fn roster(f: &Fixture) -> People {
    id_name_table(f, "roster", Some("by_name"))
}

fn roster_name(id: i32, size: usize) -> String {
    format!("{id:06}{}", "x".repeat(size))
}

/// Whether the record with name `name` is found through the name index of `t`.
fn has_name(e: &Engine, s: Sesid, t: Tableid, name: &str) -> bool {
    e.set_current_index(s, t, Some("by_name"))
        .expect("test helper");
    e.make_key(s, t, name.as_bytes(), JET_BIT_NEW_KEY)
        .expect("test helper");
    let found = match e.seek(s, t, JET_BIT_SEEK_EQ) {
        Ok(_) => true,
        Err(err) if err == JetErr::RECORD_NOT_FOUND => false,
        Err(err) => panic!("seek by name: {err:?}"),
    };
    e.set_current_index(s, t, None).expect("test helper");
    found
}

#[test]
fn a_delete_removes_the_cursors_own_record_after_its_page_changed_under_it() {
    let f = Fixture::new("rec-del-moved");
    let e = &f.engine;
    let s = f.sesid;
    let p = roster(&f);
    e.begin_transaction(s).unwrap();
    for id in (0..1200).step_by(2) {
        insert(e, s, &p, id, &roster_name(id, 60)).unwrap();
    }
    e.commit_transaction(s, 0).unwrap();
    // Another session, and a second cursor of the deleting session, on the same table.
    let b = e.begin_session(f.inst, "", "").unwrap();
    let bdb = e.open_database(b, &f.db_file, None, 0).unwrap();
    let bt = e.open_table(b, bdb, "roster", None, 0).unwrap();
    let bp = People { t: bt, ..p };
    let t2 = e.open_table(s, f.dbid, "roster", None, 0).unwrap();
    let p2 = People { t: t2, ..p };
    let mut names = std::collections::BTreeMap::new();
    for id in (0..1200).step_by(2) {
        names.insert(id, roster_name(id, 60));
    }
    for (round, id) in (40..1160).step_by(56).enumerate() {
        e.begin_transaction(s).unwrap();
        seek_id(e, s, &p, id);
        match round % 4 {
            // Another session fills the gaps around the record: its leaf splits.
            0 => {
                e.begin_transaction(b).unwrap();
                for j in (id - 30..id + 30).filter(|j| j % 2 == 1) {
                    insert(e, b, &bp, j, &roster_name(j, 90)).unwrap();
                    names.insert(j, roster_name(j, 90));
                }
                e.commit_transaction(b, 0).unwrap();
            }
            // The same session, through its other cursor, grows the record before it: the
            // record's place on its leaf moves.
            1 => {
                seek_id(e, s, &p2, id - 2);
                e.prepare_update(s, p2.t, JET_PREP_REPLACE).unwrap();
                let grown = roster_name(id - 2, 200);
                e.set_column(s, p2.t, p2.name, grown.as_bytes(), 0, 0)
                    .unwrap();
                e.update(s, p2.t).unwrap();
                names.insert(id - 2, grown);
            }
            // The same session deletes its neighbours first.
            2 => {
                for j in [id - 2, id + 2] {
                    seek_id(e, s, &p2, j);
                    e.delete(s, p2.t).unwrap();
                    names.remove(&j);
                }
            }
            _ => {}
        }
        e.delete(s, p.t).unwrap();
        let name = names.remove(&id).expect("the record existed");
        e.make_key(s, p.t, &id.to_le_bytes(), JET_BIT_NEW_KEY)
            .unwrap();
        assert_eq!(
            e.seek(s, p.t, JET_BIT_SEEK_EQ).unwrap_err(),
            JetErr::RECORD_NOT_FOUND
        );
        assert!(
            !has_name(e, s, p.t, &name),
            "the index entry of {id} stayed"
        );
        // The other session sees the record until the delete commits.
        assert!(has_name(e, b, bt, &name));
        e.commit_transaction(s, 0).unwrap();
        assert!(!has_name(e, b, bt, &name));
        for j in [id - 4, id - 2, id + 2, id + 4] {
            if let Some(n) = names.get(&j) {
                seek_id(e, s, &p, j);
                assert_eq!(name_of(e, s, &p).as_deref(), Some(n.as_str()), "record {j}");
                assert!(has_name(e, s, p.t, n), "the index entry of {j}");
            }
        }
    }
    let count = names.len() as u64;
    e.move_cursor(s, p.t, JET_MOVE_FIRST, 0).unwrap();
    assert_eq!(e.index_record_count(s, p.t, 0).unwrap(), count);
    e.set_current_index(s, p.t, Some("by_name")).unwrap();
    assert_eq!(e.index_record_count(s, p.t, 0).unwrap(), count);
    let mut seen = Vec::new();
    let mut at = e.move_cursor(s, p.t, JET_MOVE_FIRST, 0);
    while at.is_ok() {
        seen.push(name_of(e, s, &p).expect("a name"));
        at = e.move_cursor(s, p.t, JET_MOVE_NEXT, 0);
    }
    let want: Vec<String> = names.values().cloned().collect();
    let mut sorted = want.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    e.end_session(b, 0).unwrap();
}

#[test]
fn a_delete_through_a_secondary_index_removes_the_record_and_its_entry() {
    let f = Fixture::new("rec-del-index");
    let e = &f.engine;
    let s = f.sesid;
    let p = roster(&f);
    e.begin_transaction(s).unwrap();
    for id in 0..600 {
        insert(e, s, &p, id, &roster_name(id, 60)).unwrap();
    }
    e.commit_transaction(s, 0).unwrap();
    e.set_current_index(s, p.t, Some("by_name")).unwrap();
    for id in (5..600).step_by(13) {
        e.begin_transaction(s).unwrap();
        let name = roster_name(id, 60);
        e.make_key(s, p.t, name.as_bytes(), JET_BIT_NEW_KEY)
            .unwrap();
        assert_eq!(e.seek(s, p.t, JET_BIT_SEEK_EQ).unwrap(), None);
        e.delete(s, p.t).unwrap();
        e.commit_transaction(s, 0).unwrap();
        // The name index's entry is gone, and so is the record on the primary index.
        assert!(!has_name(e, s, p.t, &name));
        e.make_key(s, p.t, &id.to_le_bytes(), JET_BIT_NEW_KEY)
            .unwrap();
        assert_eq!(
            e.seek(s, p.t, JET_BIT_SEEK_EQ).unwrap_err(),
            JetErr::RECORD_NOT_FOUND
        );
        seek_id(e, s, &p, id + 1);
        assert_eq!(name_of(e, s, &p), Some(roster_name(id + 1, 60)));
        e.set_current_index(s, p.t, Some("by_name")).unwrap();
    }
    let left = 600 - (5..600).step_by(13).count() as u64;
    e.move_cursor(s, p.t, JET_MOVE_FIRST, 0).unwrap();
    assert_eq!(e.index_record_count(s, p.t, 0).unwrap(), left);
    e.set_current_index(s, p.t, None).unwrap();
    assert_eq!(e.index_record_count(s, p.t, 0).unwrap(), left);
}

#[test]
fn update_to_copies_the_bookmark_and_refuses_a_short_buffer_before_inserting() {
    let f = Fixture::new("rec-update-to");
    let e = &f.engine;
    let s = f.sesid;
    let p = people(&f);
    let bookmark = insert(e, s, &p, 1, "one").unwrap();
    let prepare = |id: i32, name: &str| {
        e.prepare_update(s, p.t, JET_PREP_INSERT).unwrap();
        e.set_column(s, p.t, p.id, &id.to_le_bytes(), 0, 0).unwrap();
        e.set_column(s, p.t, p.name, name.as_bytes(), 0, 0).unwrap();
    };
    // No buffer: no bookmark, only its size.
    prepare(2, "two");
    assert_eq!(e.update_to(s, p.t, None).unwrap(), bookmark.len());
    // A buffer one byte short: nothing is inserted and the update stays prepared.
    prepare(3, "three");
    let mut short = vec![0u8; bookmark.len() - 1];
    assert_eq!(
        e.update_to(s, p.t, Some(&mut short)).unwrap_err().code(),
        -1038,
        "JET_errBufferTooSmall"
    );
    // The still-prepared insert goes in with a buffer that fits (had the refused one
    // inserted, this would be a duplicate); the bookmark is the key update() returns.
    let mut room = vec![0xAAu8; bookmark.len() + 3];
    assert_eq!(
        e.update_to(s, p.t, Some(&mut room)).unwrap(),
        bookmark.len()
    );
    seek_id(e, s, &p, 3);
    assert_eq!(name_of(e, s, &p).as_deref(), Some("three"));
    let three = e.get_bookmark(s, p.t).unwrap();
    assert_eq!(&room[..bookmark.len()], &three[..]);
    assert_eq!(
        &room[bookmark.len()..],
        &[0xAA; 3],
        "bytes past the bookmark untouched"
    );
    // A replace copies what fits.
    seek_id(e, s, &p, 2);
    e.prepare_update(s, p.t, JET_PREP_REPLACE).unwrap();
    e.set_column(s, p.t, p.name, b"deux", 0, 0).unwrap();
    let mut two = [0u8; 2];
    assert_eq!(e.update_to(s, p.t, Some(&mut two)).unwrap(), bookmark.len());
    let full = e.get_bookmark(s, p.t).unwrap();
    assert_eq!(&two[..], &full[..2]);
    assert_eq!(name_of(e, s, &p).as_deref(), Some("deux"));
}
