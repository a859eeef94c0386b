//! Tables, records and cursors on a real stack: B-trees over cached memory pages, the version
//! store, the catalog.

use ese_table::testing::TestStack;
use ese_table::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, Error, IndexCreate, IndexGrbit, MOVE_FIRST,
    MOVE_LAST, MOVE_NEXT, MOVE_PREVIOUS, MakeKeyGrbit, Prep, RangeGrbit, RetrieveGrbit, SeekGrbit,
    SetGrbit, TableCreate, TableCursor, Warning,
};
use ese_txn::Session;

fn spec(t: ColumnType) -> ColumnSpec {
    ColumnSpec::new(t, ColumnGrbit::NONE)
}

/// A table `name` with a Long primary key "id" and a Text column "name".
fn keyed_table(stack: &TestStack, s: &mut Session, name: &str) -> TableCursor {
    let create = TableCreate::new(name)
        .column("id", spec(ColumnType::Long))
        .column("name", spec(ColumnType::Text))
        .index(IndexCreate::new("primary", b"+id\0\0", IndexGrbit::PRIMARY));
    stack
        .catalog
        .create_table(s, &create)
        .expect("test helper")
        .0
}

fn insert_row(c: &mut TableCursor, s: &mut Session, id: i32, name: &str) -> Result<Vec<u8>, Error> {
    let id_col = c.schema().column_id("id").expect("test helper");
    let name_col = c.schema().column_id("name").expect("test helper");
    c.prepare_update(s, Prep::Insert)?;
    c.set_column(id_col, &id.to_le_bytes(), SetGrbit::NONE, 1)?;
    c.set_column(name_col, name.as_bytes(), SetGrbit::NONE, 1)?;
    let r = c.update(s);
    if r.is_err() {
        c.prepare_update(s, Prep::Cancel)?;
    }
    r
}

fn id_of(c: &mut TableCursor, s: &Session) -> i32 {
    let id_col = c.schema().column_id("id").expect("test helper");
    let v = c
        .retrieve_column(s, id_col, 1, RetrieveGrbit::NONE)
        .expect("test helper")
        .expect("test helper");
    i32::from_le_bytes(v.try_into().expect("test helper"))
}

#[test]
fn insert_move_and_retrieve() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = keyed_table(&stack, &mut s, "t");
    for id in [5, 1, 3] {
        insert_row(&mut c, &mut s, id, &format!("n{id}")).unwrap();
    }
    c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(id_of(&mut c, &s), 1);
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(id_of(&mut c, &s), 3);
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(id_of(&mut c, &s), 5);
    assert_eq!(c.move_to(&s, MOVE_NEXT), Err(Error::NoCurrentRecord));
    c.move_to(&s, MOVE_PREVIOUS).unwrap();
    assert_eq!(id_of(&mut c, &s), 5);
    c.move_to(&s, MOVE_LAST).unwrap();
    assert_eq!(id_of(&mut c, &s), 5);
    c.move_to(&s, -2).unwrap();
    assert_eq!(id_of(&mut c, &s), 1);
    assert_eq!(c.move_to(&s, MOVE_PREVIOUS), Err(Error::NoCurrentRecord));
    assert_eq!(c.move_to(&s, 0), Err(Error::NoCurrentRecord));
}

/// Every column type with its smallest and largest values (and a few edge values between).
#[test]
fn every_column_type_round_trips_with_boundary_values() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let f32b = |v: f32| v.to_le_bytes().to_vec();
    let f64b = |v: f64| v.to_le_bytes().to_vec();
    let cases: Vec<(ColumnType, Vec<Vec<u8>>)> = vec![
        (ColumnType::Bit, vec![vec![0], vec![0xFF]]),
        (ColumnType::UnsignedByte, vec![vec![0], vec![255]]),
        (
            ColumnType::Short,
            vec![
                i16::MIN.to_le_bytes().to_vec(),
                i16::MAX.to_le_bytes().to_vec(),
            ],
        ),
        (
            ColumnType::Long,
            vec![
                i32::MIN.to_le_bytes().to_vec(),
                i32::MAX.to_le_bytes().to_vec(),
            ],
        ),
        (
            ColumnType::Currency,
            vec![
                i64::MIN.to_le_bytes().to_vec(),
                i64::MAX.to_le_bytes().to_vec(),
            ],
        ),
        (
            ColumnType::IEEESingle,
            vec![
                f32b(f32::MIN),
                f32b(f32::MAX),
                f32b(-0.0),
                f32b(f32::INFINITY),
            ],
        ),
        (
            ColumnType::IEEEDouble,
            vec![f64b(f64::MIN), f64b(f64::MAX), f64b(f64::MIN_POSITIVE)],
        ),
        (
            ColumnType::DateTime,
            vec![f64b(-657_434.0), f64b(2_958_465.999)],
        ),
        (ColumnType::Binary, vec![vec![0], vec![0xAB; 255]]),
        (ColumnType::Text, vec![b"a".to_vec(), vec![b'z'; 255]]),
        (ColumnType::LongBinary, vec![vec![1], vec![0x5A; 1200]]),
        (ColumnType::LongText, vec![b"x".to_vec(), vec![b'q'; 1000]]),
        (
            ColumnType::UnsignedLong,
            vec![0u32.to_le_bytes().to_vec(), u32::MAX.to_le_bytes().to_vec()],
        ),
        (
            ColumnType::LongLong,
            vec![
                i64::MIN.to_le_bytes().to_vec(),
                i64::MAX.to_le_bytes().to_vec(),
            ],
        ),
        (ColumnType::Guid, vec![vec![0; 16], vec![0xFF; 16]]),
        (
            ColumnType::UnsignedShort,
            vec![0u16.to_le_bytes().to_vec(), u16::MAX.to_le_bytes().to_vec()],
        ),
        (
            ColumnType::UnsignedLongLong,
            vec![0u64.to_le_bytes().to_vec(), u64::MAX.to_le_bytes().to_vec()],
        ),
    ];
    let mut create = TableCreate::new("types");
    for (t, _) in &cases {
        create = create.column(&format!("c{}", t.raw()), spec(*t));
    }
    let (mut c, warnings) = stack.catalog.create_table(&mut s, &create).unwrap();
    assert!(warnings.iter().all(Option::is_none));
    let ids: Vec<ColumnId> = cases
        .iter()
        .map(|(t, _)| c.schema().column_id(&format!("c{}", t.raw())).unwrap())
        .collect();
    let rows = cases.iter().map(|(_, v)| v.len()).max().unwrap();
    let mut bookmarks = Vec::new();
    stack.begin(&mut s).unwrap();
    for row in 0..rows {
        c.prepare_update(&mut s, Prep::Insert).unwrap();
        for ((_, values), id) in cases.iter().zip(&ids) {
            let v = &values[row % values.len()];
            assert_eq!(c.set_column(*id, v, SetGrbit::NONE, 1).unwrap(), None);
        }
        bookmarks.push(c.update(&mut s).unwrap());
    }
    stack.commit(&mut s).unwrap();
    // Read back from a fresh cursor of another session.
    let s2 = stack.session();
    let mut c2 = stack.catalog.open_table(&s2, "types").unwrap();
    for (row, bm) in bookmarks.iter().enumerate() {
        assert_eq!(bm.len(), 4, "a sequential bookmark is ESE's 4-byte DBK");
        c2.goto_bookmark(&s2, bm).unwrap();
        for ((t, values), id) in cases.iter().zip(&ids) {
            let got = c2
                .retrieve_column(&s2, *id, 1, RetrieveGrbit::NONE)
                .unwrap();
            assert_eq!(got.as_ref(), Some(&values[row % values.len()]), "{t:?}");
        }
    }
    // Sizes are checked: a Long needs exactly 4 bytes, a Short 2.
    c.prepare_update(&mut s, Prep::Insert).unwrap();
    let long = ids[3];
    assert!(matches!(
        c.set_column(long, &[1, 2, 3], SetGrbit::NONE, 1),
        Err(Error::InvalidBufferSize {
            len: 3,
            expected: 4
        })
    ));
    let info = c.column_info("c4").unwrap();
    assert_eq!((info.coltyp, info.max_bytes), (ColumnType::Long, 4));
    assert_eq!(c.column_info("c10").unwrap().max_bytes, 255);
    assert_eq!(c.column_info("nope"), Err(Error::ColumnNotFound));
}

#[test]
fn key_duplicate_on_a_unique_primary_key_changes_nothing() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = keyed_table(&stack, &mut s, "t");
    insert_row(&mut c, &mut s, 7, "first").unwrap();
    let err = insert_row(&mut c, &mut s, 7, "second").unwrap_err();
    assert_eq!(err, Error::KeyDuplicate);
    assert_eq!(err.jet_code(), -1605);
    // Inside a transaction too, and the transaction stays usable.
    stack.begin(&mut s).unwrap();
    insert_row(&mut c, &mut s, 8, "eight").unwrap();
    assert_eq!(
        insert_row(&mut c, &mut s, 7, "again"),
        Err(Error::KeyDuplicate)
    );
    stack.commit(&mut s).unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(c.index_record_count(&s, 0).unwrap(), 2);
    let name = c.schema().column_id("name").unwrap();
    let got = c.retrieve_column(&s, name, 1, RetrieveGrbit::NONE).unwrap();
    assert_eq!(got.as_deref(), Some(&b"first"[..]));
}

/// A table keyed by a Text column holding keys that share prefixes.
fn text_keyed(stack: &TestStack, s: &mut Session) -> TableCursor {
    let create = TableCreate::new("words")
        .column("w", spec(ColumnType::Text))
        .index(IndexCreate::new("pk", b"+w\0\0", IndexGrbit::PRIMARY));
    let mut c = stack
        .catalog
        .create_table(s, &create)
        .expect("test helper")
        .0;
    let w = c.schema().column_id("w").expect("test helper");
    for word in ["abd", "a", "b", "abc", "ab"] {
        c.prepare_update(s, Prep::Insert).expect("test helper");
        c.set_column(w, word.as_bytes(), SetGrbit::NONE, 1)
            .expect("test helper");
        c.update(s).expect("test helper");
    }
    c
}

fn word(c: &mut TableCursor, s: &Session) -> String {
    let w = c.schema().column_id("w").expect("test helper");
    let v = c
        .retrieve_column(s, w, 1, RetrieveGrbit::NONE)
        .expect("test helper")
        .expect("test helper");
    String::from_utf8(v).expect("test helper")
}

#[test]
fn seek_with_every_grbit_on_keys_sharing_prefixes() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = text_keyed(&stack, &mut s);
    let seek = |c: &mut TableCursor, s: &Session, key: &str, g: SeekGrbit| {
        c.make_key(key.as_bytes(), MakeKeyGrbit::NEW_KEY).unwrap();
        c.seek(s, g)
    };
    // (key, grbit, expected word or error, expected warning)
    type Case<'a> = (&'a str, SeekGrbit, Result<&'a str, Error>, Option<Warning>);
    let cases: Vec<Case<'_>> = vec![
        ("ab", SeekGrbit::EQ, Ok("ab"), None),
        ("AB", SeekGrbit::EQ, Ok("ab"), None), // case-insensitive keys
        ("abx", SeekGrbit::EQ, Err(Error::RecordNotFound), None),
        ("ab", SeekGrbit::GE, Ok("ab"), None),
        ("abb", SeekGrbit::GE, Ok("abc"), Some(Warning::SeekNotEqual)),
        ("abz", SeekGrbit::GE, Ok("b"), Some(Warning::SeekNotEqual)),
        ("c", SeekGrbit::GE, Err(Error::RecordNotFound), None),
        ("ab", SeekGrbit::GT, Ok("abc"), None),
        ("abc", SeekGrbit::GT, Ok("abd"), None),
        ("b", SeekGrbit::GT, Err(Error::RecordNotFound), None),
        ("abc", SeekGrbit::LE, Ok("abc"), None),
        ("abz", SeekGrbit::LE, Ok("abd"), Some(Warning::SeekNotEqual)),
        ("0", SeekGrbit::LE, Err(Error::RecordNotFound), None),
        ("ab", SeekGrbit::LT, Ok("a"), None),
        ("abc", SeekGrbit::LT, Ok("ab"), None),
        ("a", SeekGrbit::LT, Err(Error::RecordNotFound), None),
    ];
    for (key, g, expected, warning) in cases {
        let got = seek(&mut c, &s, key, g);
        match expected {
            Ok(w) => {
                assert_eq!(got, Ok(warning), "{key} {g:?}");
                assert_eq!(word(&mut c, &s), w, "{key} {g:?}");
            }
            Err(e) => {
                assert_eq!(got, Err(e), "{key} {g:?}");
                assert_eq!(
                    c.retrieve_column(&s, ColumnId(128), 1, RetrieveGrbit::NONE),
                    Err(Error::NoCurrentRecord)
                );
            }
        }
    }
    // Failed seeks position as ESE: after SeekEQ the cursor is at the key, so MoveNext goes
    // to the first entry above it; after a failed SeekGE it is after the last record.
    assert_eq!(
        seek(&mut c, &s, "abb", SeekGrbit::EQ),
        Err(Error::RecordNotFound)
    );
    c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(word(&mut c, &s), "abc");
    assert_eq!(
        seek(&mut c, &s, "zz", SeekGrbit::GE),
        Err(Error::RecordNotFound)
    );
    c.move_to(&s, MOVE_PREVIOUS).unwrap();
    assert_eq!(word(&mut c, &s), "b");
    // The key is consumed by a seek, success or not.
    assert_eq!(c.seek(&s, SeekGrbit::GE), Err(Error::KeyNotMade));
    // A prefix range: SeekGE "ab", then an upper limit made with a partial-column limit.
    seek(&mut c, &s, "ab", SeekGrbit::GE).unwrap();
    c.make_key(
        b"ab",
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::PARTIAL_COLUMN_END_LIMIT,
    )
    .unwrap();
    c.set_index_range(&s, RangeGrbit::UPPER_LIMIT | RangeGrbit::INCLUSIVE)
        .unwrap();
    let mut seen = vec![word(&mut c, &s)];
    while c.move_to(&s, MOVE_NEXT).is_ok() {
        seen.push(word(&mut c, &s));
    }
    assert_eq!(seen, ["ab", "abc", "abd"]);
    // Past the range the cursor is after the last record of the whole index.
    c.move_to(&s, MOVE_PREVIOUS).unwrap();
    assert_eq!(word(&mut c, &s), "b");
    // Counting within a range, which the count removes.
    seek(&mut c, &s, "ab", SeekGrbit::GE).unwrap();
    c.make_key(b"abc", MakeKeyGrbit::NEW_KEY).unwrap();
    c.set_index_range(&s, RangeGrbit::UPPER_LIMIT | RangeGrbit::INCLUSIVE)
        .unwrap();
    assert_eq!(c.index_record_count(&s, 0).unwrap(), 2);
    assert_eq!(c.index_record_count(&s, 0).unwrap(), 4);
    assert_eq!(c.index_record_count(&s, 3).unwrap(), 3);
    assert_eq!(
        c.set_index_range(&s, RangeGrbit::REMOVE),
        Err(Error::InvalidOperation)
    );
    // A range the current record is outside of: NoCurrentRecord, range in effect.
    seek(&mut c, &s, "b", SeekGrbit::EQ).unwrap();
    c.make_key(b"abc", MakeKeyGrbit::NEW_KEY).unwrap();
    assert_eq!(
        c.set_index_range(&s, RangeGrbit::UPPER_LIMIT),
        Err(Error::NoCurrentRecord)
    );
    // SeekEQ with SetIndexRange limits moves to the equal keys.
    seek(
        &mut c,
        &s,
        "abc",
        SeekGrbit::EQ | SeekGrbit::SET_INDEX_RANGE,
    )
    .unwrap();
    assert_eq!(c.move_to(&s, MOVE_NEXT), Err(Error::NoCurrentRecord));
    // Record positions.
    seek(&mut c, &s, "abc", SeekGrbit::EQ).unwrap();
    let pos = c.get_record_position(&s).unwrap();
    assert_eq!((pos.entries_lt, pos.entries_total), (2, 5));
    c.goto_position(&s, pos).unwrap();
    assert_eq!(word(&mut c, &s), "abc");
}

#[test]
fn ddl_rolls_back() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    // A table created in a rolled-back transaction is gone, name and all.
    stack.begin(&mut s).unwrap();
    let c = keyed_table(&stack, &mut s, "temp");
    drop(c);
    stack.rollback(&mut s).unwrap();
    assert_eq!(
        stack.catalog.open_table(&s, "temp").unwrap_err(),
        Error::ObjectNotFound
    );
    assert_eq!(Error::ObjectNotFound.jet_code(), -1305);
    // The name is free again.
    let c = keyed_table(&stack, &mut s, "temp");
    drop(c);
    let mut c = stack.catalog.open_table(&s, "TEMP").unwrap();
    insert_row(&mut c, &mut s, 1, "one").unwrap();
    // A column added in a rolled-back transaction disappears; its name can be reused.
    stack.begin(&mut s).unwrap();
    let (x, _) = c.add_column(&mut s, "x", &spec(ColumnType::Long)).unwrap();
    assert!(c.schema().column_id("x").is_ok());
    stack.rollback(&mut s).unwrap();
    let mut c2 = stack.catalog.open_table(&s, "temp").unwrap();
    assert_eq!(c2.schema().column_id("x"), Err(Error::ColumnNotFound));
    // The cursor that made the column notices the rollback at its next operation.
    c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(c.schema().column_id("x"), Err(Error::ColumnNotFound));
    assert_eq!(
        c.retrieve_column(&s, x, 1, RetrieveGrbit::NONE),
        Err(Error::ColumnNotFound)
    );
    let (x2, _) = c2.add_column(&mut s, "x", &spec(ColumnType::Long)).unwrap();
    assert!(c2.schema().column_id("x").is_ok());
    assert_eq!(
        c2.add_column(&mut s, "X", &spec(ColumnType::Short)),
        Err(Error::ColumnDuplicate)
    );
    // Deleting a column, rolled back, keeps it.
    stack.begin(&mut s).unwrap();
    c2.delete_column(&mut s, "x").unwrap();
    assert_eq!(c2.schema().column_id("x"), Err(Error::ColumnNotFound));
    stack.rollback(&mut s).unwrap();
    c2.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(c2.schema().column_id("x"), Ok(x2));
    assert_eq!(c2.delete_column(&mut s, "id"), Err(Error::ColumnInUse));
    // A rolled-back delete_table leaves the table and its rows.
    drop(c);
    drop(c2);
    stack.begin(&mut s).unwrap();
    stack.catalog.delete_table(&mut s, "temp").unwrap();
    assert_eq!(
        stack.catalog.open_table(&s, "temp").unwrap_err(),
        Error::ObjectNotFound
    );
    stack.rollback(&mut s).unwrap();
    let mut c = stack.catalog.open_table(&s, "temp").unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(id_of(&mut c, &s), 1);
    // delete_table refuses while a cursor is open, then works.
    assert_eq!(
        stack.catalog.delete_table(&mut s, "temp"),
        Err(Error::TableInUse)
    );
    drop(c);
    stack.catalog.delete_table(&mut s, "temp").unwrap();
    assert_eq!(
        stack.catalog.delete_table(&mut s, "temp"),
        Err(Error::ObjectNotFound)
    );
    assert!(stack.catalog.table_names(&s).unwrap().is_empty());
    // The catalog reopened from disk sees the same.
    let reopened = stack.reopen_catalog().unwrap();
    assert_eq!(
        reopened.open_table(&s, "temp").unwrap_err(),
        Error::ObjectNotFound
    );
}

#[test]
fn records_are_visible_to_other_sessions_only_after_commit() {
    let stack = TestStack::new().unwrap();
    let mut s1 = stack.session();
    let mut s2 = stack.session();
    let mut c1 = keyed_table(&stack, &mut s1, "t");
    let mut c2 = stack.catalog.open_table(&s2, "t").unwrap();
    stack.begin(&mut s1).unwrap();
    let bm = insert_row(&mut c1, &mut s1, 1, "one").unwrap();
    // s2 at level 0 sees nothing yet; s1 sees its own insert.
    assert_eq!(c2.move_to(&s2, MOVE_FIRST), Err(Error::NoCurrentRecord));
    assert_eq!(c2.goto_bookmark(&s2, &bm), Err(Error::RecordDeleted));
    c1.goto_bookmark(&s1, &bm).unwrap();
    assert_eq!(id_of(&mut c1, &s1), 1);
    // s2 begins before the commit: its snapshot never shows the row.
    stack.begin(&mut s2).unwrap();
    stack.commit(&mut s1).unwrap();
    assert_eq!(c2.move_to(&s2, MOVE_FIRST), Err(Error::NoCurrentRecord));
    stack.commit(&mut s2).unwrap();
    c2.move_to(&s2, MOVE_FIRST).unwrap();
    assert_eq!(id_of(&mut c2, &s2), 1);
    // A rolled-back insert is never seen.
    stack.begin(&mut s1).unwrap();
    insert_row(&mut c1, &mut s1, 2, "two").unwrap();
    stack.rollback(&mut s1).unwrap();
    c2.move_to(&s2, MOVE_FIRST).unwrap();
    assert_eq!(c2.index_record_count(&s2, 0).unwrap(), 1);
}

#[test]
fn write_conflict_between_two_sessions() {
    let stack = TestStack::new().unwrap();
    let mut s1 = stack.session();
    let mut s2 = stack.session();
    let mut c1 = keyed_table(&stack, &mut s1, "t");
    insert_row(&mut c1, &mut s1, 1, "one").unwrap();
    let mut c2 = stack.catalog.open_table(&s2, "t").unwrap();
    let name = c1.schema().column_id("name").unwrap();
    stack.begin(&mut s1).unwrap();
    c1.move_to(&s1, MOVE_FIRST).unwrap();
    c1.prepare_update(&mut s1, Prep::Replace).unwrap();
    c1.set_column(name, b"uno", SetGrbit::NONE, 1).unwrap();
    c1.update(&mut s1).unwrap();
    // s2 inside a transaction: Replace takes the lock at prepare and conflicts there.
    stack.begin(&mut s2).unwrap();
    c2.move_to(&s2, MOVE_FIRST).unwrap();
    let err = c2.prepare_update(&mut s2, Prep::Replace).unwrap_err();
    assert_eq!(err, Error::WriteConflict);
    assert_eq!(err.jet_code(), -1102);
    // ReplaceNoLock conflicts at update; delete conflicts too. The update stays prepared.
    c2.prepare_update(&mut s2, Prep::ReplaceNoLock).unwrap();
    c2.set_column(name, b"eins", SetGrbit::NONE, 1).unwrap();
    assert_eq!(c2.update(&mut s2), Err(Error::WriteConflict));
    assert!(c2.is_update_prepared());
    assert_eq!(c2.delete(&mut s2), Err(Error::WriteConflict));
    stack.rollback(&mut s2).unwrap();
    stack.commit(&mut s1).unwrap();
    // After the commit a transaction begun later may replace it.
    stack.begin(&mut s2).unwrap();
    c2.move_to(&s2, MOVE_FIRST).unwrap();
    c2.prepare_update(&mut s2, Prep::Replace).unwrap();
    c2.set_column(name, b"eins", SetGrbit::NONE, 1).unwrap();
    c2.update(&mut s2).unwrap();
    stack.commit(&mut s2).unwrap();
    c1.move_to(&s1, MOVE_FIRST).unwrap();
    let v = c1
        .retrieve_column(&s1, name, 1, RetrieveGrbit::NONE)
        .unwrap();
    assert_eq!(v.as_deref(), Some(&b"eins"[..]));
}

#[test]
fn update_cycle_rules_warnings_and_special_columns() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut must = spec(ColumnType::Long);
    must.grbit = ColumnGrbit::NOT_NULL;
    let mut defaulted = spec(ColumnType::Short);
    defaulted.default = 42i16.to_le_bytes().to_vec();
    let create = TableCreate::new("t")
        .column(
            "auto",
            ColumnSpec::new(ColumnType::Long, ColumnGrbit::AUTOINCREMENT),
        )
        .column(
            "ver",
            ColumnSpec::new(ColumnType::Long, ColumnGrbit::VERSION),
        )
        .column("must", must)
        .column("dflt", defaulted)
        .column("name", spec(ColumnType::Text))
        .index(IndexCreate::new("pk", b"+auto\0\0", IndexGrbit::PRIMARY))
        .index(IndexCreate::new("byname", b"+name\0\0", IndexGrbit::UNIQUE));
    let (mut c, _) = stack.catalog.create_table(&mut s, &create).unwrap();
    let col = |c: &TableCursor, n: &str| c.schema().column_id(n).unwrap();
    let (auto, ver, must, dflt, name) = (
        col(&c, "auto"),
        col(&c, "ver"),
        col(&c, "must"),
        col(&c, "dflt"),
        col(&c, "name"),
    );
    assert_eq!(
        c.set_column(name, b"x", SetGrbit::NONE, 1),
        Err(Error::UpdateNotPrepared)
    );
    assert_eq!(c.update(&mut s), Err(Error::UpdateNotPrepared));
    assert_eq!(
        c.prepare_update(&mut s, Prep::Cancel),
        Err(Error::UpdateNotPrepared)
    );
    let mut bookmarks = Vec::new();
    for (i, n) in ["a", "b", "c"].iter().enumerate() {
        c.prepare_update(&mut s, Prep::Insert).unwrap();
        assert_eq!(
            c.prepare_update(&mut s, Prep::Insert),
            Err(Error::AlreadyPrepared)
        );
        // The autoincrement value is assigned at prepare and readable from the copy buffer.
        let a = c.retrieve_column(&s, auto, 1, RetrieveGrbit::COPY).unwrap();
        assert_eq!(a, Some((i as i32 + 1).to_le_bytes().to_vec()));
        assert_eq!(
            c.set_column(auto, &9i32.to_le_bytes(), SetGrbit::NONE, 1),
            Err(Error::InvalidColumnType)
        );
        c.set_column(name, n.as_bytes(), SetGrbit::NONE, 1).unwrap();
        // NOT NULL is checked at update; the update stays prepared.
        assert_eq!(c.update(&mut s), Err(Error::NullInvalid));
        c.set_column(must, &7i32.to_le_bytes(), SetGrbit::NONE, 1)
            .unwrap();
        bookmarks.push(c.update(&mut s).unwrap());
    }
    // A unique secondary index refuses a second "b"; nothing is inserted.
    c.prepare_update(&mut s, Prep::Insert).unwrap();
    c.set_column(name, b"b", SetGrbit::NONE, 1).unwrap();
    c.set_column(must, &1i32.to_le_bytes(), SetGrbit::NONE, 1)
        .unwrap();
    assert_eq!(c.update(&mut s), Err(Error::KeyDuplicate));
    c.prepare_update(&mut s, Prep::Cancel).unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(c.index_record_count(&s, 0).unwrap(), 3);
    // Defaults, version 0 after insert, warnings on retrieval.
    c.goto_bookmark(&s, &bookmarks[1]).unwrap();
    let mut buf = [0u8; 2];
    assert_eq!(
        c.retrieve_column_into(&s, dflt, 1, RetrieveGrbit::NONE, &mut buf)
            .unwrap(),
        (2, None)
    );
    assert_eq!(i16::from_le_bytes(buf), 42);
    assert_eq!(
        c.retrieve_column(&s, ver, 1, RetrieveGrbit::NONE).unwrap(),
        Some(0i32.to_le_bytes().to_vec())
    );
    let mut one = [0u8; 1];
    assert_eq!(
        c.retrieve_column_into(&s, must, 1, RetrieveGrbit::NONE, &mut one)
            .unwrap(),
        (4, Some(Warning::BufferTruncated))
    );
    // Replace: version + 1; the key cannot change; the version column cannot be set.
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    assert_eq!(
        c.set_column(ver, &5i32.to_le_bytes(), SetGrbit::NONE, 1),
        Err(Error::InvalidColumnType)
    );
    c.set_column(name, &[], SetGrbit::NONE, 1).unwrap();
    assert_eq!(
        c.retrieve_column_into(&s, name, 1, RetrieveGrbit::COPY, &mut one)
            .unwrap(),
        (0, Some(Warning::ColumnNull))
    );
    assert_eq!(c.update(&mut s).unwrap(), bookmarks[1]);
    assert_eq!(
        c.retrieve_column(&s, ver, 1, RetrieveGrbit::NONE).unwrap(),
        Some(1i32.to_le_bytes().to_vec())
    );
    // The name "b" was removed from the unique index by the replace: it can be used again.
    c.prepare_update(&mut s, Prep::Insert).unwrap();
    c.set_column(name, b"b", SetGrbit::NONE, 1).unwrap();
    c.set_column(must, &1i32.to_le_bytes(), SetGrbit::NONE, 1)
        .unwrap();
    let fourth = c.update(&mut s).unwrap();
    // Delete: the cursor stays on the deleted record, and moves continue from it.
    c.goto_bookmark(&s, &bookmarks[1]).unwrap();
    c.delete(&mut s).unwrap();
    assert_eq!(
        c.retrieve_column(&s, name, 1, RetrieveGrbit::NONE),
        Err(Error::RecordDeleted)
    );
    c.move_to(&s, MOVE_NEXT).unwrap();
    let a = c.retrieve_column(&s, auto, 1, RetrieveGrbit::NONE).unwrap();
    assert_eq!(a, Some(3i32.to_le_bytes().to_vec()));
    assert_eq!(
        c.goto_bookmark(&s, &bookmarks[1]),
        Err(Error::RecordDeleted)
    );
    assert_eq!(c.goto_bookmark(&s, &[]), Err(Error::InvalidBookmark));
    // The failed insert consumed value 4, as ESE's do.
    c.goto_bookmark(&s, &fourth).unwrap();
    let a = c.retrieve_column(&s, auto, 1, RetrieveGrbit::NONE).unwrap();
    assert_eq!(a, Some(5i32.to_le_bytes().to_vec()));
    // The autoincrement counter continues after the catalog is reopened.
    drop(c);
    let reopened = stack.reopen_catalog().unwrap();
    let mut c = reopened.open_table(&s, "t").unwrap();
    c.prepare_update(&mut s, Prep::Insert).unwrap();
    let a = c.retrieve_column(&s, auto, 1, RetrieveGrbit::COPY).unwrap();
    assert_eq!(a, Some(6i32.to_le_bytes().to_vec()));
}

#[test]
fn primary_key_change_and_sequential_keys() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = keyed_table(&stack, &mut s, "keyed");
    insert_row(&mut c, &mut s, 1, "one").unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    let id = c.schema().column_id("id").unwrap();
    c.set_column(id, &2i32.to_le_bytes(), SetGrbit::NONE, 1)
        .unwrap();
    assert_eq!(c.update(&mut s), Err(Error::RecordPrimaryChanged));
    assert_eq!(Error::RecordPrimaryChanged.jet_code(), -1604);
    // InsertCopy makes a new record from the current one.
    c.prepare_update(&mut s, Prep::Cancel).unwrap();
    c.prepare_update(&mut s, Prep::InsertCopy).unwrap();
    c.set_column(id, &3i32.to_le_bytes(), SetGrbit::NONE, 1)
        .unwrap();
    c.update(&mut s).unwrap();
    c.move_to(&s, MOVE_LAST).unwrap();
    let name = c.schema().column_id("name").unwrap();
    let v = c.retrieve_column(&s, name, 1, RetrieveGrbit::NONE).unwrap();
    assert_eq!(v.as_deref(), Some(&b"one"[..]));
    // A table without a primary index: 4-byte sequential bookmarks that keep counting after
    // the catalog is reopened; make_key takes only normalized keys there.
    let create = TableCreate::new("seq").column("v", spec(ColumnType::Long));
    let (mut q, _) = stack.catalog.create_table(&mut s, &create).unwrap();
    let v = q.schema().column_id("v").unwrap();
    let mut last = Vec::new();
    for i in 0..3i32 {
        q.prepare_update(&mut s, Prep::Insert).unwrap();
        q.set_column(v, &i.to_le_bytes(), SetGrbit::NONE, 1)
            .unwrap();
        last = q.update(&mut s).unwrap();
    }
    assert_eq!(last, 3u32.to_be_bytes());
    assert_eq!(
        q.make_key(&1i32.to_le_bytes(), MakeKeyGrbit::NEW_KEY),
        Err(Error::NoCurrentIndex)
    );
    q.make_key(&2u32.to_be_bytes(), MakeKeyGrbit::NORMALIZED_KEY)
        .unwrap();
    q.seek(&s, SeekGrbit::EQ).unwrap();
    let got = q.retrieve_column(&s, v, 1, RetrieveGrbit::NONE).unwrap();
    assert_eq!(got, Some(1i32.to_le_bytes().to_vec()));
    drop(q);
    let reopened = stack.reopen_catalog().unwrap();
    let mut q = reopened.open_table(&s, "seq").unwrap();
    q.prepare_update(&mut s, Prep::Insert).unwrap();
    q.set_column(v, &9i32.to_le_bytes(), SetGrbit::NONE, 1)
        .unwrap();
    assert_eq!(q.update(&mut s).unwrap(), 4u32.to_be_bytes());
    assert_eq!(
        stack.catalog.table_names(&s).unwrap(),
        ["keyed".to_string(), "seq".to_string()]
    );
}
