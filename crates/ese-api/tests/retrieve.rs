//! JetRetrieveColumn without a JET_RETINFO answers exactly as with one: the same bytes,
//! cbActual, warnings and errors, for every row, column, buffer size and tag.

#[allow(dead_code)]
mod common;

use common::{TempDir, running};
use ese_api::table::{
    JET_BIT_NEW_KEY, JET_BIT_RETRIEVE_COPY, JET_BIT_SEEK_EQ, JET_MOVE_FIRST, JET_MOVE_NEXT,
    JET_PREP_INSERT, JET_PREP_REPLACE,
};
use ese_api::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, Engine, IndexCreate, IndexGrbit, RetInfo, Sesid,
    TableCreate, Tableid,
};

/// What one read returns: the bytes that fit, cbActual and the warning, or the error code.
type Read = Result<(Vec<u8>, usize, Option<i32>), i32>;

fn plain(
    e: &Engine,
    s: Sesid,
    t: Tableid,
    col: ColumnId,
    room: usize,
    grbit: u32,
    itag: u32,
) -> Read {
    let mut buf = vec![0u8; room];
    let (n, w) = e
        .retrieve_column(s, t, col, &mut buf, grbit, itag)
        .map_err(|e| e.code())?;
    buf.truncate(n.min(room));
    Ok((buf, n, w.map(|w| w.code())))
}

fn with_info(
    e: &Engine,
    s: Sesid,
    t: Tableid,
    col: ColumnId,
    room: usize,
    grbit: u32,
    itag: u32,
) -> Read {
    let mut buf = vec![0u8; room];
    let mut info = RetInfo {
        itag_sequence: itag,
        ..RetInfo::default()
    };
    let (n, w) = e
        .retrieve_column_ex(s, t, col, &mut buf, grbit, Some(&mut info))
        .map_err(|e| e.code())?;
    buf.truncate(n.min(room));
    Ok((buf, n, w.map(|w| w.code())))
}

/// Both reads of every column, buffer size and tag on the row the cursor is on agree.
fn agree(e: &Engine, s: Sesid, t: Tableid, cols: &[ColumnId], grbit: u32) -> Vec<Read> {
    let mut out = Vec::new();
    for &col in cols {
        for room in [0, 3, 24, 200] {
            for itag in [1, 2] {
                let a = plain(e, s, t, col, room, grbit, itag);
                assert_eq!(
                    a,
                    with_info(e, s, t, col, room, grbit, itag),
                    "{col:?} {room} {itag}"
                );
                out.push(a);
            }
        }
    }
    out
}

#[test]
fn retrieve_column_answers_as_retrieve_column_ex() {
    let dir = TempDir::new("retrieve-plain");
    let e = Engine::new();
    let inst = running(&e, "retrieve-plain", dir.path());
    let s = e.begin_session(inst, "", "").unwrap();
    let file = dir.path().join("r.edb").to_string_lossy().into_owned();
    let dbid = e.create_database(s, &file, None, 0).unwrap();
    let key_spec = ColumnSpec {
        max_bytes: 24,
        ..ColumnSpec::new(
            ColumnType::Binary,
            ColumnGrbit(ColumnGrbit::FIXED.0 | ColumnGrbit::NOT_NULL.0),
        )
    };
    let create = TableCreate::new("kv")
        .column("k", key_spec)
        .column("v", ColumnSpec::new(ColumnType::Binary, ColumnGrbit::NONE))
        .column("n", ColumnSpec::new(ColumnType::Long, ColumnGrbit::NONE))
        .index(IndexCreate::new(
            "primary",
            b"+k\0\0",
            IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
        ));
    let (t, _) = e.create_table_column_index(s, dbid, &create).unwrap();
    let id = |name| e.get_table_column_info(s, t, Some(name)).unwrap()[0].id;
    let (k, v, n) = (id("k"), id("v"), id("n"));
    let cols = [k, v, n, ColumnId(0), ColumnId(200)];
    for i in 0u8..5 {
        e.prepare_update(s, t, JET_PREP_INSERT).unwrap();
        e.set_column(s, t, k, &[i; 24], 0, 0).unwrap();
        if i != 2 {
            // Row 2 leaves "v" NULL.
            e.set_column(s, t, v, &vec![i; 10 + usize::from(i) * 50], 0, 0)
                .unwrap();
        }
        e.update(s, t).unwrap();
    }
    e.begin_transaction(s).unwrap();
    // Every row, read in a scan and after a seek.
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    let mut scanned = vec![agree(&e, s, t, &cols, 0)];
    while e.move_cursor(s, t, JET_MOVE_NEXT, 0).is_ok() {
        scanned.push(agree(&e, s, t, &cols, 0));
    }
    assert_eq!(scanned.len(), 5);
    // The NULL value, the truncated one, the short buffer and the unknown column.
    assert_eq!(scanned[2][8], Ok((Vec::new(), 0, Some(1004))));
    assert_eq!(scanned[4][10], Ok((vec![4; 3], 210, Some(1006))));
    assert_eq!(scanned[4][0], Ok((Vec::new(), 24, Some(1006))));
    assert!(
        scanned[0][24].is_err() && scanned[0][32].is_err(),
        "no such columns"
    );
    for i in 0u8..5 {
        e.make_key(s, t, &[i; 24], JET_BIT_NEW_KEY).unwrap();
        e.seek(s, t, JET_BIT_SEEK_EQ).unwrap();
        assert_eq!(agree(&e, s, t, &cols, 0), scanned[usize::from(i)]);
    }
    // Changed under the cursor: a replace through it, then the copy buffer of a new one.
    e.prepare_update(s, t, JET_PREP_REPLACE).unwrap();
    e.set_column(s, t, v, b"replaced", 0, 0).unwrap();
    e.update(s, t).unwrap();
    let replaced = agree(&e, s, t, &cols, 0);
    assert_eq!(replaced[14], Ok((b"replaced".to_vec(), 8, None)));
    e.prepare_update(s, t, JET_PREP_REPLACE).unwrap();
    e.set_column(s, t, v, b"in the copy", 0, 0).unwrap();
    let copy = agree(&e, s, t, &cols, JET_BIT_RETRIEVE_COPY);
    assert_eq!(copy[14], Ok((b"in the copy".to_vec(), 11, None)));
    assert_eq!(agree(&e, s, t, &cols, 0), replaced);
    // Rolled back: the row reads as it was before the transaction.
    e.rollback(s, 0).unwrap();
    assert_eq!(agree(&e, s, t, &cols, 0), scanned[4]);
}
