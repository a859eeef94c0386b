//! Issue 9, item 5: tables and columns. Every column type round-trips with its boundary
//! values; NOT NULL and default values; add, delete and describe columns.

use ese_api::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, Engine, JetErr, Sesid, TableCreate, Tableid,
    table::{JET_MOVE_FIRST, JET_MOVE_NEXT, JET_PREP_INSERT},
};
use ese_tests::{Fixture, col};

/// Boundary values of each fixed-size type, little-endian as ESE stores them.
fn boundaries(t: ColumnType) -> Vec<Vec<u8>> {
    use ColumnType as C;
    match t {
        C::Bit => vec![vec![0], vec![1], vec![0xFF]],
        C::UnsignedByte => vec![vec![0], vec![1], vec![0xFF]],
        C::Short => [i16::MIN, -1, 0, 1, i16::MAX]
            .map(|v| v.to_le_bytes().to_vec())
            .to_vec(),
        C::UnsignedShort => [0u16, 1, u16::MAX]
            .map(|v| v.to_le_bytes().to_vec())
            .to_vec(),
        C::Long => [i32::MIN, -1, 0, 1, i32::MAX]
            .map(|v| v.to_le_bytes().to_vec())
            .to_vec(),
        C::UnsignedLong => [0u32, 1, u32::MAX]
            .map(|v| v.to_le_bytes().to_vec())
            .to_vec(),
        C::LongLong | C::Currency => [i64::MIN, -1, 0, 1, i64::MAX]
            .map(|v| v.to_le_bytes().to_vec())
            .to_vec(),
        C::UnsignedLongLong => [0u64, 1, u64::MAX]
            .map(|v| v.to_le_bytes().to_vec())
            .to_vec(),
        C::IEEESingle => [
            f32::MIN,
            -0.0,
            0.0,
            f32::MIN_POSITIVE,
            f32::MAX,
            f32::INFINITY,
        ]
        .map(|v| v.to_le_bytes().to_vec())
        .to_vec(),
        C::IEEEDouble | C::DateTime => [
            f64::MIN,
            -1.5,
            0.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::NEG_INFINITY,
        ]
        .map(|v| v.to_le_bytes().to_vec())
        .to_vec(),
        C::Guid => vec![vec![0; 16], vec![0xFF; 16], (0..16).collect()],
        C::Binary | C::Text => vec![b"x".to_vec(), vec![0xAB; 255], vec![0]],
        C::LongBinary | C::LongText => vec![b"y".to_vec(), vec![7; 1000], vec![0; 2]],
    }
}

fn insert_one(e: &Engine, s: Sesid, t: Tableid, id: ColumnId, v: &[u8]) -> Vec<u8> {
    e.prepare_update(s, t, JET_PREP_INSERT)
        .expect("test helper");
    assert_eq!(e.set_column(s, t, id, v, 0, 0).expect("test helper"), None);
    e.update(s, t).expect("test helper")
}

#[test]
fn every_column_type_round_trips_with_its_boundary_values() {
    let f = Fixture::new("col-types");
    let e = &f.engine;
    for (n, &ty) in ColumnType::ALL.iter().enumerate() {
        let name = format!("t{n}");
        let create = TableCreate::new(&name).column("c", col(ty, ColumnGrbit::NONE));
        let (t, _) = e
            .create_table_column_index(f.sesid, f.dbid, &create)
            .unwrap();
        let info = e.get_table_column_info(f.sesid, t, Some("c")).unwrap();
        assert_eq!(info[0].coltyp, ty);
        let id = info[0].id;
        let values = boundaries(ty);
        e.begin_transaction(f.sesid).unwrap();
        for v in &values {
            insert_one(e, f.sesid, t, id, v);
        }
        e.commit_transaction(f.sesid, 0).unwrap();
        // The implicit sequential index keeps insertion order.
        e.move_cursor(f.sesid, t, JET_MOVE_FIRST, 0).unwrap();
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                e.move_cursor(f.sesid, t, JET_MOVE_NEXT, 0).unwrap();
            }
            let got = e.retrieve_column_value(f.sesid, t, id, 0, 1).unwrap();
            assert_eq!(got.as_deref(), Some(&v[..]), "{ty:?} value {i}");
        }
        assert_eq!(
            e.move_cursor(f.sesid, t, JET_MOVE_NEXT, 0).unwrap_err(),
            JetErr::NO_CURRENT_RECORD
        );
        e.close_table(f.sesid, t).unwrap();
    }
}

#[test]
fn fixed_columns_refuse_a_wrong_size_and_text_is_limited() {
    let f = Fixture::new("col-sizes");
    let e = &f.engine;
    let create = TableCreate::new("t")
        .column("l", col(ColumnType::Long, ColumnGrbit::NONE))
        .column("s", col(ColumnType::Text, ColumnGrbit::NONE));
    let (t, _) = e
        .create_table_column_index(f.sesid, f.dbid, &create)
        .unwrap();
    let l = e.get_table_column_info(f.sesid, t, Some("l")).unwrap()[0].id;
    let s = e.get_table_column_info(f.sesid, t, Some("s")).unwrap()[0].id;
    e.prepare_update(f.sesid, t, JET_PREP_INSERT).unwrap();
    assert_eq!(
        e.set_column(f.sesid, t, l, &[1, 2, 3], 0, 0)
            .unwrap_err()
            .code(),
        -1047,
        "JET_errInvalidBufferSize"
    );
    let w = e.set_column(f.sesid, t, s, &[b'a'; 300], 0, 0).unwrap();
    assert_eq!(w.map(|w| w.code()), Some(1512), "JET_wrnColumnMaxTruncated");
    e.update(f.sesid, t).unwrap();
    e.move_cursor(f.sesid, t, JET_MOVE_FIRST, 0).unwrap();
    let got = e
        .retrieve_column_value(f.sesid, t, s, 0, 1)
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 255);
}

#[test]
fn not_null_and_default_values() {
    let f = Fixture::new("col-null");
    let e = &f.engine;
    let mut with_default = col(ColumnType::Long, ColumnGrbit::NONE);
    with_default.default = 42i32.to_le_bytes().to_vec();
    let create = TableCreate::new("t")
        .column("must", col(ColumnType::Long, ColumnGrbit::NOT_NULL))
        .column("dflt", with_default);
    let (t, _) = e
        .create_table_column_index(f.sesid, f.dbid, &create)
        .unwrap();
    let must = e.get_table_column_info(f.sesid, t, Some("must")).unwrap()[0].id;
    let dflt = e.get_table_column_info(f.sesid, t, Some("dflt")).unwrap()[0].id;
    e.prepare_update(f.sesid, t, JET_PREP_INSERT).unwrap();
    assert_eq!(
        e.update(f.sesid, t).unwrap_err().code(),
        -1504,
        "JET_errNullInvalid"
    );
    e.set_column(f.sesid, t, must, &7i32.to_le_bytes(), 0, 0)
        .unwrap();
    e.update(f.sesid, t).unwrap();
    e.move_cursor(f.sesid, t, JET_MOVE_FIRST, 0).unwrap();
    assert_eq!(
        e.retrieve_column_value(f.sesid, t, dflt, 0, 1).unwrap(),
        Some(42i32.to_le_bytes().to_vec()),
        "the default value"
    );
}

#[test]
fn columns_are_added_described_and_deleted() {
    let f = Fixture::new("col-ddl");
    let e = &f.engine;
    let t = e.create_table(f.sesid, f.dbid, "t", 0, 0).unwrap();
    let (a, w) = e
        .add_column(
            f.sesid,
            t,
            "a",
            &col(ColumnType::LongLong, ColumnGrbit::NONE),
        )
        .unwrap();
    assert_eq!(w, None);
    let (b, _) = e
        .add_column(f.sesid, t, "b", &col(ColumnType::Binary, ColumnGrbit::NONE))
        .unwrap();
    assert_ne!(a, b);
    assert_eq!(
        e.add_column(f.sesid, t, "a", &col(ColumnType::Long, ColumnGrbit::NONE))
            .unwrap_err()
            .code(),
        -1508,
        "JET_errColumnDuplicate"
    );
    let bad = ColumnSpec {
        coltyp: 13,
        ..col(ColumnType::Long, ColumnGrbit::NONE)
    };
    assert_eq!(
        e.add_column(f.sesid, t, "c", &bad).unwrap_err(),
        JetErr::INVALID_COLUMN_TYPE
    );
    let all = e.get_table_column_info(f.sesid, t, None).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        e.get_table_column_info_by_id(f.sesid, t, b).unwrap().name,
        "b"
    );
    e.delete_column(f.sesid, t, "a").unwrap();
    assert_eq!(
        e.get_table_column_info(f.sesid, t, Some("a"))
            .unwrap_err()
            .code(),
        -1507,
        "JET_errColumnNotFound"
    );
    assert_eq!(e.delete_column(f.sesid, t, "a").unwrap_err().code(), -1507);
}

#[test]
fn tables_are_created_opened_closed_and_deleted() {
    let f = Fixture::new("col-tables");
    let e = &f.engine;
    let t = e.create_table(f.sesid, f.dbid, "t", 0, 0).unwrap();
    assert_eq!(
        e.create_table(f.sesid, f.dbid, "t", 0, 0)
            .unwrap_err()
            .code(),
        -1303,
        "JET_errTableDuplicate"
    );
    e.close_table(f.sesid, t).unwrap();
    assert_eq!(
        e.close_table(f.sesid, t).unwrap_err(),
        JetErr::INVALID_TABLE_ID
    );
    let t2 = e.open_table(f.sesid, f.dbid, "t", None, 0).unwrap();
    let dup = e.dup_cursor(f.sesid, t2, 0).unwrap();
    e.close_table(f.sesid, t2).unwrap();
    e.close_table(f.sesid, dup).unwrap();
    e.delete_table(f.sesid, f.dbid, "t").unwrap();
    assert_eq!(
        e.open_table(f.sesid, f.dbid, "t", None, 0).unwrap_err(),
        JetErr::OBJECT_NOT_FOUND
    );
    assert_eq!(
        e.delete_table(f.sesid, f.dbid, "t").unwrap_err(),
        JetErr::OBJECT_NOT_FOUND
    );
}
