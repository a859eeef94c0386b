//! Navigation on secondary indexes: set_current_index, seeks with every grbit and warning,
//! partial and limit keys, index ranges, bookmarks and secondary-index bookmarks, positions,
//! counts and duplicated cursors (reference 11 §7, 12).

use ese_table::testing::TestStack;
use ese_table::{
    BookmarkGrbit, ColumnGrbit, ColumnId, ColumnSpec, ColumnType, Error, IndexCreate, IndexGrbit,
    MOVE_FIRST, MOVE_LAST, MOVE_NEXT, MOVE_PREVIOUS, MakeKeyGrbit, Prep, RangeGrbit,
    RecordPosition, RetrieveGrbit, SeekGrbit, SetGrbit, SetIndexGrbit, TableCreate, TableCursor,
    Warning,
};
use ese_txn::Session;

struct T {
    c: TableCursor,
    id: ColumnId,
    name: ColumnId,
    n: ColumnId,
    tags: ColumnId,
}

/// Rows (id, name, n, tags): the "by_name" index is "+name\0+n\0\0" non-unique.
fn setup(stack: &TestStack, s: &mut Session) -> T {
    let spec = |t| ColumnSpec::new(t, ColumnGrbit::NONE);
    let create = TableCreate::new("t")
        .column("id", spec(ColumnType::Long))
        .column("name", spec(ColumnType::Text))
        .column("n", spec(ColumnType::Long))
        .column(
            "tags",
            ColumnSpec::new(
                ColumnType::Text,
                ColumnGrbit::TAGGED | ColumnGrbit::MULTI_VALUED,
            ),
        )
        .index(IndexCreate::new("pk", b"+id\0\0", IndexGrbit::PRIMARY))
        .index(IndexCreate::new(
            "by_name",
            b"+name\0+n\0\0",
            IndexGrbit::NONE,
        ))
        .index(IndexCreate::new("by_n_desc", b"-n\0\0", IndexGrbit::NONE))
        .index(IndexCreate::new(
            "by_tag",
            b"+tags\0\0",
            IndexGrbit::IGNORE_NULL,
        ));
    let (c, _) = stack.catalog.create_table(s, &create).expect("test helper");
    let col = |n: &str| c.schema().column_id(n).expect("test helper");
    let (id, name, n, tags) = (col("id"), col("name"), col("n"), col("tags"));
    let mut t = T {
        c,
        id,
        name,
        n,
        tags,
    };
    let rows: &[(i32, &str, i32, &[&str])] = &[
        (1, "bob", 2, &["x", "y"]),
        (2, "alice", 5, &[]),
        (3, "bob", 1, &["y"]),
        (4, "carol", 2, &["z"]),
        (5, "bobby", 7, &[]),
        (6, "Bob", 1, &[]),
    ];
    for (id, name, n, tags) in rows {
        t.c.prepare_update(s, Prep::Insert).expect("test helper");
        t.c.set_column(t.id, &id.to_le_bytes(), SetGrbit::NONE, 1)
            .expect("test helper");
        t.c.set_column(t.name, name.as_bytes(), SetGrbit::NONE, 1)
            .expect("test helper");
        t.c.set_column(t.n, &n.to_le_bytes(), SetGrbit::NONE, 1)
            .expect("test helper");
        for tag in *tags {
            t.c.set_column(t.tags, tag.as_bytes(), SetGrbit::NONE, 0)
                .expect("test helper");
        }
        t.c.update(s).expect("test helper");
    }
    t
}

fn id(t: &mut T, s: &Session) -> i32 {
    let v =
        t.c.retrieve_column(s, t.id, 1, RetrieveGrbit::NONE)
            .expect("test helper")
            .expect("test helper");
    i32::from_le_bytes(v.try_into().expect("test helper"))
}

/// Every id from the current position forward.
fn ids_forward(t: &mut T, s: &Session) -> Vec<i32> {
    let mut out = vec![id(t, s)];
    while t.c.move_to(s, MOVE_NEXT).is_ok() {
        out.push(id(t, s));
    }
    out
}

fn all(t: &mut T, s: &Session) -> Vec<i32> {
    t.c.move_to(s, MOVE_FIRST).expect("test helper");
    ids_forward(t, s)
}

fn key(t: &mut T, name: &str, n: Option<i32>, last: MakeKeyGrbit) {
    match n {
        None => {
            t.c.make_key(name.as_bytes(), MakeKeyGrbit::NEW_KEY | last)
                .expect("test helper")
        }
        Some(n) => {
            t.c.make_key(name.as_bytes(), MakeKeyGrbit::NEW_KEY)
                .expect("test helper");
            t.c.make_key(&n.to_le_bytes(), last).expect("test helper");
        }
    }
}

#[test]
fn moves_follow_each_index_order() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut t = setup(&stack, &mut s);
    assert_eq!(t.c.get_current_index(), "pk");
    assert_eq!(all(&mut t, &s), vec![1, 2, 3, 4, 5, 6]);
    t.c.set_current_index(&s, Some("by_name"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    assert_eq!(t.c.get_current_index(), "by_name");
    // Case-insensitive names; equal names by n; bookmarks break the tie of (BOB, 1).
    assert_eq!(all(&mut t, &s), vec![2, 3, 6, 1, 5, 4]);
    t.c.move_to(&s, MOVE_LAST).unwrap();
    assert_eq!(id(&mut t, &s), 4);
    t.c.move_to(&s, -2).unwrap();
    assert_eq!(id(&mut t, &s), 1);
    t.c.set_current_index(&s, Some("by_n_desc"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    // Descending n; duplicates still by ascending bookmark.
    assert_eq!(all(&mut t, &s), vec![5, 2, 1, 4, 3, 6]);
    // One entry per tag value; rows without tags are left out (IgnoreNull).
    t.c.set_current_index(&s, Some("by_tag"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    assert_eq!(all(&mut t, &s), vec![1, 1, 3, 4]);
    // After the last entry: nothing to count from.
    assert_eq!(t.c.index_record_count(&s, 0), Err(Error::NoCurrentRecord));
    t.c.set_current_index(&s, Some("by_tag"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    // Deferred first: a count from the first entry.
    t.c.set_current_index(&s, None, SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    t.c.set_current_index(&s, Some("by_tag"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    assert_eq!(t.c.index_record_count(&s, 0).unwrap(), 4);
    assert_eq!(t.c.index_record_count(&s, 3).unwrap(), 3);
    assert_eq!(
        t.c.set_current_index(&s, Some("nope"), SetIndexGrbit::MOVE_FIRST, 0),
        Err(Error::IndexNotFound)
    );
    assert_eq!(
        t.c.set_current_index(&s, Some("pk"), SetIndexGrbit::MOVE_BEFORE_FIRST, 0)
            .map_err(|e| e.jet_code()),
        Err(-900)
    );
    // "" selects the clustered index; MoveFirst gives the deferred first record.
    t.c.set_current_index(&s, Some(""), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    assert_eq!(id(&mut t, &s), 1);
}

#[test]
fn no_move_keeps_the_record_and_picks_the_value() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut t = setup(&stack, &mut s);
    t.c.make_key(&1i32.to_le_bytes(), MakeKeyGrbit::NEW_KEY)
        .unwrap();
    t.c.seek(&s, SeekGrbit::EQ).unwrap();
    t.c.set_current_index(&s, Some("by_tag"), SetIndexGrbit::NO_MOVE, 2)
        .unwrap();
    // On record 1's "y" entry: the next entry is record 3's "y".
    assert_eq!(id(&mut t, &s), 1);
    assert_eq!(ids_forward(&mut t, &s), vec![1, 3, 4]);
    t.c.make_key(b"x", MakeKeyGrbit::NEW_KEY).unwrap();
    t.c.seek(&s, SeekGrbit::EQ).unwrap();
    assert_eq!(
        t.c.set_current_index(&s, Some("by_name"), SetIndexGrbit::NO_MOVE, 0),
        Ok(())
    );
    assert_eq!(ids_forward(&mut t, &s), vec![1, 5, 4]);
    // Record 2 has no tag: no entry in by_tag.
    t.c.set_current_index(&s, None, SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    t.c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(id(&mut t, &s), 2);
    assert_eq!(
        t.c.set_current_index(&s, Some("by_tag"), SetIndexGrbit::NO_MOVE, 0),
        Err(Error::NoCurrentRecord)
    );
    t.c.set_current_index(&s, None, SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    assert_eq!(
        t.c.set_current_index(&s, Some("by_tag"), SetIndexGrbit::NO_MOVE, 3),
        Err(Error::BadItagSequence)
    );
}

/// (name, n, grbit, result, id landed on).
type SeekCase = (
    &'static str,
    Option<i32>,
    SeekGrbit,
    Result<Option<Warning>, Error>,
    Option<i32>,
);

#[test]
fn seeks_give_eses_results_and_warnings() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut t = setup(&stack, &mut s);
    t.c.set_current_index(&s, Some("by_name"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    // Entries: (ALICE,5)2 (BOB,1)3 (BOB,1)6 (BOB,2)1 (BOBBY,7)5 (CAROL,2)4
    let cases: &[SeekCase] = &[
        ("bob", Some(1), SeekGrbit::EQ, Ok(None), Some(3)),
        ("bob", Some(1), SeekGrbit::GE, Ok(None), Some(3)),
        ("bob", Some(1), SeekGrbit::LE, Ok(None), Some(6)),
        ("bob", Some(1), SeekGrbit::GT, Ok(None), Some(1)),
        ("bob", Some(1), SeekGrbit::LT, Ok(None), Some(2)),
        (
            "bob",
            Some(3),
            SeekGrbit::EQ,
            Err(Error::RecordNotFound),
            None,
        ),
        (
            "bob",
            Some(3),
            SeekGrbit::GE,
            Ok(Some(Warning::SeekNotEqual)),
            Some(5),
        ),
        (
            "bob",
            Some(3),
            SeekGrbit::LE,
            Ok(Some(Warning::SeekNotEqual)),
            Some(1),
        ),
        // A partial key is below every entry that starts with it.
        ("bob", None, SeekGrbit::EQ, Err(Error::RecordNotFound), None),
        (
            "bob",
            None,
            SeekGrbit::GE,
            Ok(Some(Warning::SeekNotEqual)),
            Some(3),
        ),
        ("bob", None, SeekGrbit::GT, Ok(None), Some(3)),
        ("bob", None, SeekGrbit::LT, Ok(None), Some(2)),
        ("zed", None, SeekGrbit::GE, Err(Error::RecordNotFound), None),
        ("aaa", None, SeekGrbit::LE, Err(Error::RecordNotFound), None),
        (
            "carol",
            Some(2),
            SeekGrbit::GT,
            Err(Error::RecordNotFound),
            None,
        ),
        (
            "alice",
            Some(5),
            SeekGrbit::LT,
            Err(Error::RecordNotFound),
            None,
        ),
    ];
    for (name, n, grbit, want, at) in cases {
        key(&mut t, name, *n, MakeKeyGrbit::NONE);
        let got = t.c.seek(&s, *grbit);
        assert_eq!(&got, want, "{name} {n:?} {grbit:?}");
        if let Some(at) = at {
            assert_eq!(id(&mut t, &s), *at, "{name} {n:?} {grbit:?}");
        } else {
            assert_eq!(
                t.c.retrieve_column(&s, t.id, 1, RetrieveGrbit::NONE),
                Err(Error::NoCurrentRecord)
            );
        }
    }
    // Limit keys: the last entry of a prefix with LE / LT, the first after it with GT.
    key(&mut t, "bob", None, MakeKeyGrbit::FULL_COLUMN_END_LIMIT);
    assert_eq!(t.c.seek(&s, SeekGrbit::LE), Ok(Some(Warning::SeekNotEqual)));
    assert_eq!(id(&mut t, &s), 1);
    key(&mut t, "bob", None, MakeKeyGrbit::PARTIAL_COLUMN_END_LIMIT);
    assert_eq!(t.c.seek(&s, SeekGrbit::LT), Ok(None));
    assert_eq!(id(&mut t, &s), 5);
    key(&mut t, "bob", None, MakeKeyGrbit::FULL_COLUMN_END_LIMIT);
    assert_eq!(t.c.seek(&s, SeekGrbit::GT), Ok(None));
    assert_eq!(id(&mut t, &s), 5);
    // A failed SeekEQ leaves the cursor virtually at the key: moves go to its neighbours.
    key(&mut t, "bob", Some(3), MakeKeyGrbit::NONE);
    assert_eq!(t.c.seek(&s, SeekGrbit::EQ), Err(Error::RecordNotFound));
    t.c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(id(&mut t, &s), 5);
    key(&mut t, "bob", Some(3), MakeKeyGrbit::NONE);
    assert_eq!(t.c.seek(&s, SeekGrbit::EQ), Err(Error::RecordNotFound));
    t.c.move_to(&s, MOVE_PREVIOUS).unwrap();
    assert_eq!(id(&mut t, &s), 1);
    // The key is consumed, success or not.
    assert_eq!(t.c.seek(&s, SeekGrbit::EQ), Err(Error::KeyNotMade));
    key(&mut t, "bob", None, MakeKeyGrbit::NONE);
    assert!(matches!(
        t.c.seek(&s, SeekGrbit(0)),
        Err(Error::InvalidParameter(_))
    ));
    // SeekEQ with SetIndexRange: the duplicates of one key.
    key(&mut t, "bob", Some(1), MakeKeyGrbit::NONE);
    t.c.seek(&s, SeekGrbit::EQ | SeekGrbit::SET_INDEX_RANGE)
        .unwrap();
    assert_eq!(ids_forward(&mut t, &s), vec![3, 6]);
    // retrieve_key gives the secondary key, which seeks back to the entry's key.
    t.c.move_to(&s, MOVE_LAST).unwrap();
    let k = t.c.retrieve_key(&s, false).unwrap();
    t.c.make_key(&k, MakeKeyGrbit::NORMALIZED_KEY).unwrap();
    t.c.seek(&s, SeekGrbit::EQ).unwrap();
    assert_eq!(id(&mut t, &s), 4);
}

#[test]
fn index_ranges_limit_moves() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut t = setup(&stack, &mut s);
    t.c.set_current_index(&s, Some("by_name"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    // The prefix loop: SeekGE on "bob", upper inclusive limit "bob" + FullColumnEndLimit.
    key(&mut t, "bob", None, MakeKeyGrbit::NONE);
    t.c.seek(&s, SeekGrbit::GE).unwrap();
    key(&mut t, "bob", None, MakeKeyGrbit::FULL_COLUMN_END_LIMIT);
    t.c.set_index_range(&s, RangeGrbit::UPPER_LIMIT | RangeGrbit::INCLUSIVE)
        .unwrap();
    assert_eq!(ids_forward(&mut t, &s), vec![3, 6, 1]);
    // The end of a range parks the cursor after the last entry of the index.
    assert_eq!(t.c.move_to(&s, MOVE_PREVIOUS), Ok(()));
    assert_eq!(id(&mut t, &s), 4);
    // An exclusive upper limit on (BOB, 2) stops before it; backward moves are free.
    key(&mut t, "bob", Some(1), MakeKeyGrbit::NONE);
    t.c.seek(&s, SeekGrbit::GE).unwrap();
    key(&mut t, "bob", Some(2), MakeKeyGrbit::NONE);
    t.c.set_index_range(&s, RangeGrbit::UPPER_LIMIT).unwrap();
    assert_eq!(ids_forward(&mut t, &s), vec![3, 6]);
    t.c.move_to(&s, MOVE_LAST).unwrap();
    // A lower range limits backward moves.
    key(&mut t, "bob", Some(2), MakeKeyGrbit::NONE);
    t.c.seek(&s, SeekGrbit::EQ).unwrap();
    key(&mut t, "bob", Some(1), MakeKeyGrbit::NONE);
    t.c.set_index_range(&s, RangeGrbit::NONE).unwrap();
    assert_eq!(t.c.move_to(&s, MOVE_PREVIOUS), Err(Error::NoCurrentRecord));
    // Before the first entry of the whole index.
    assert_eq!(t.c.move_to(&s, MOVE_NEXT), Ok(()));
    assert_eq!(id(&mut t, &s), 2);
    // The current entry outside a new range: NoCurrentRecord, the range in effect.
    t.c.move_to(&s, MOVE_LAST).unwrap();
    key(&mut t, "bob", None, MakeKeyGrbit::NONE);
    assert_eq!(
        t.c.set_index_range(&s, RangeGrbit::UPPER_LIMIT),
        Err(Error::NoCurrentRecord)
    );
    assert_eq!(t.c.move_to(&s, MOVE_NEXT), Err(Error::NoCurrentRecord));
    // InstantDuration only tests; Remove removes, and without a range is InvalidOperation.
    t.c.move_to(&s, MOVE_FIRST).unwrap();
    key(&mut t, "bob", None, MakeKeyGrbit::NONE);
    t.c.set_index_range(&s, RangeGrbit::UPPER_LIMIT | RangeGrbit::INSTANT_DURATION)
        .unwrap();
    assert_eq!(
        t.c.set_index_range(&s, RangeGrbit::REMOVE),
        Err(Error::InvalidOperation)
    );
    key(&mut t, "bob", None, MakeKeyGrbit::NONE);
    t.c.set_index_range(&s, RangeGrbit::UPPER_LIMIT).unwrap();
    assert_eq!(t.c.move_to(&s, MOVE_NEXT), Err(Error::NoCurrentRecord));
    t.c.move_to(&s, MOVE_FIRST).unwrap();
    key(&mut t, "bob", None, MakeKeyGrbit::NONE);
    t.c.set_index_range(&s, RangeGrbit::UPPER_LIMIT).unwrap();
    t.c.set_index_range(&s, RangeGrbit::REMOVE).unwrap();
    assert_eq!(ids_forward(&mut t, &s), vec![2, 3, 6, 1, 5, 4]);
    // index_record_count honours the range, then removes it.
    key(&mut t, "bob", Some(1), MakeKeyGrbit::NONE);
    t.c.seek(&s, SeekGrbit::EQ | SeekGrbit::SET_INDEX_RANGE)
        .unwrap();
    assert_eq!(t.c.index_record_count(&s, 0).unwrap(), 2);
    assert_eq!(t.c.index_record_count(&s, 0).unwrap(), 5);
}

#[test]
fn bookmarks_positions_and_dup_cursors() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut t = setup(&stack, &mut s);
    t.c.set_current_index(&s, Some("by_name"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    key(&mut t, "bob", Some(2), MakeKeyGrbit::NONE);
    t.c.seek(&s, SeekGrbit::EQ).unwrap();
    let bm = t.c.get_bookmark(&s).unwrap();
    let sb = t.c.get_secondary_index_bookmark(&s).unwrap();
    assert_eq!(sb.primary_bookmark, bm);
    assert_eq!(sb.secondary_key, t.c.retrieve_key(&s, false).unwrap());
    let pos = t.c.get_record_position(&s).unwrap();
    assert_eq!(
        pos,
        RecordPosition {
            entries_lt: 3,
            entries_total: 6
        }
    );
    t.c.move_to(&s, MOVE_FIRST).unwrap();
    // Goto bookmark on a secondary index: the record's entry in it.
    t.c.goto_bookmark(&s, &bm).unwrap();
    assert_eq!(ids_forward(&mut t, &s), vec![1, 5, 4]);
    t.c.goto_secondary_index_bookmark(
        &s,
        &sb.secondary_key,
        &sb.primary_bookmark,
        BookmarkGrbit::NONE,
    )
    .unwrap();
    assert_eq!(id(&mut t, &s), 1);
    t.c.goto_position(&s, pos).unwrap();
    assert_eq!(id(&mut t, &s), 1);
    t.c.goto_position(
        &s,
        RecordPosition {
            entries_lt: 0,
            entries_total: 6,
        },
    )
    .unwrap();
    assert_eq!(id(&mut t, &s), 2);
    assert!(matches!(
        t.c.goto_position(
            &s,
            RecordPosition {
                entries_lt: 7,
                entries_total: 6
            }
        ),
        Err(Error::InvalidParameter(_))
    ));
    // Errors.
    assert_eq!(t.c.goto_bookmark(&s, &[]), Err(Error::InvalidBookmark));
    assert_eq!(
        t.c.goto_secondary_index_bookmark(&s, &sb.secondary_key, &[], BookmarkGrbit::NONE),
        Err(Error::InvalidBookmark)
    );
    let mut gone = sb.primary_bookmark.clone();
    *gone.last_mut().unwrap() = 99;
    t.c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(t.c.goto_bookmark(&s, &gone), Err(Error::RecordDeleted));
    assert_eq!(
        t.c.goto_secondary_index_bookmark(&s, &sb.secondary_key, &gone, BookmarkGrbit::NONE),
        Err(Error::RecordDeleted)
    );
    // The position is unchanged on failure...
    assert_eq!(id(&mut t, &s), 2);
    // ...unless virtual currency is permitted: reads fail, moves go on from the spot.
    assert_eq!(
        t.c.goto_secondary_index_bookmark(
            &s,
            &sb.secondary_key,
            &gone,
            BookmarkGrbit::PERMIT_VIRTUAL_CURRENCY
        ),
        Err(Error::RecordDeleted)
    );
    assert_eq!(
        t.c.retrieve_column(&s, t.id, 1, RetrieveGrbit::NONE),
        Err(Error::RecordDeleted)
    );
    t.c.move_to(&s, MOVE_NEXT).unwrap();
    assert_eq!(id(&mut t, &s), 5);
    // Goto bookmark to a record with no entry in the index.
    t.c.set_current_index(&s, Some("by_tag"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    let two = {
        let mut c = t.c.dup_cursor().unwrap();
        c.move_to(&s, MOVE_NEXT).unwrap();
        c.get_bookmark(&s).unwrap()
    };
    assert_eq!(t.c.goto_bookmark(&s, &two), Err(Error::NoCurrentRecord));
    // The clustered index has no secondary bookmark.
    let mut d = t.c.dup_cursor().unwrap();
    assert_eq!(d.get_current_index(), "pk");
    assert_eq!(id_of(&mut d, &s, t.id), 1);
    assert_eq!(
        d.get_secondary_index_bookmark(&s),
        Err(Error::NoCurrentIndex)
    );
    assert_eq!(
        d.goto_secondary_index_bookmark(&s, b"k", b"b", BookmarkGrbit::NONE),
        Err(Error::NoCurrentIndex)
    );
}

fn id_of(c: &mut TableCursor, s: &Session, col: ColumnId) -> i32 {
    let v = c
        .retrieve_column(s, col, 1, RetrieveGrbit::NONE)
        .expect("test helper")
        .expect("test helper");
    i32::from_le_bytes(v.try_into().expect("test helper"))
}

#[test]
fn a_sequential_table_has_no_key_but_secondary_indexes_work() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let create = TableCreate::new("seq")
        .column("v", ColumnSpec::new(ColumnType::Long, ColumnGrbit::NONE))
        .index(IndexCreate::new("iv", b"-v\0\0", IndexGrbit::UNIQUE));
    let (mut c, _) = stack.catalog.create_table(&mut s, &create).unwrap();
    let v = c.schema().column_id("v").unwrap();
    for x in [3, 1, 2] {
        c.prepare_update(&mut s, Prep::Insert).unwrap();
        c.set_column(v, &i32::to_le_bytes(x), SetGrbit::NONE, 1)
            .unwrap();
        c.update(&mut s).unwrap();
    }
    assert_eq!(c.get_current_index(), "");
    c.move_to(&s, MOVE_FIRST).unwrap();
    key_is_not(&mut c, &s);
    c.set_current_index(&s, Some("iv"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    let mut got = vec![id_of(&mut c, &s, v)];
    while c.move_to(&s, MOVE_NEXT).is_ok() {
        got.push(id_of(&mut c, &s, v));
    }
    assert_eq!(got, vec![3, 2, 1]);
    c.prepare_update(&mut s, Prep::Insert).unwrap();
    c.set_column(v, &2i32.to_le_bytes(), SetGrbit::NONE, 1)
        .unwrap();
    assert_eq!(c.update(&mut s), Err(Error::KeyDuplicate));
}

fn key_is_not(c: &mut TableCursor, s: &Session) {
    assert_eq!(
        c.make_key(b"x", MakeKeyGrbit::NEW_KEY),
        Err(Error::NoCurrentIndex)
    );
    assert_eq!(
        c.set_index_range(s, RangeGrbit::UPPER_LIMIT),
        Err(Error::NoCurrentIndex)
    );
}
