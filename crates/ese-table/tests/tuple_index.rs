//! Tuple (substring) indexes, JET_bitIndexTuples (reference 11 §9): the entries a text
//! value makes, substring searches, maintenance on insert, replace, delete and rollback,
//! a build over existing rows, and the definition errors.

use std::collections::BTreeSet;

use ese_table::index::TupleLimits;
use ese_table::testing::TestStack;
use ese_table::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, IndexCreate, IndexGrbit, MOVE_FIRST, MOVE_NEXT,
    MakeKeyGrbit, Prep, RangeGrbit, RetrieveGrbit, SeekGrbit, SetGrbit, SetIndexGrbit, TableCreate,
    TableCursor,
};
use ese_txn::Session;

struct T {
    c: TableCursor,
    id: ColumnId,
    text: ColumnId,
}

fn table(stack: &TestStack, s: &mut Session, text_type: ColumnType, tuple: bool) -> T {
    let create = TableCreate::new("t")
        .column("id", ColumnSpec::new(ColumnType::Long, ColumnGrbit::NONE))
        .column("text", ColumnSpec::new(text_type, ColumnGrbit::NONE))
        .index(IndexCreate::new("pk", b"+id\0\0", IndexGrbit::PRIMARY));
    let create = if tuple {
        create.index(IndexCreate::new("sub", b"+text\0\0", IndexGrbit::TUPLES))
    } else {
        create
    };
    let (c, _) = stack.catalog.create_table(s, &create).expect("test helper");
    let id = c.schema().column_id("id").expect("test helper");
    let text = c.schema().column_id("text").expect("test helper");
    T { c, id, text }
}

fn insert(t: &mut T, s: &mut Session, id: i32, text: &str) {
    t.c.prepare_update(s, Prep::Insert).expect("test helper");
    t.c.set_column(t.id, &id.to_le_bytes(), SetGrbit::NONE, 1)
        .expect("test helper");
    t.c.set_column(t.text, text.as_bytes(), SetGrbit::NONE, 1)
        .expect("test helper");
    t.c.update(s).expect("test helper");
}

fn id(t: &mut T, s: &Session) -> i32 {
    let v =
        t.c.retrieve_column(s, t.id, 1, RetrieveGrbit::NONE)
            .expect("test helper")
            .expect("test helper");
    i32::from_le_bytes(v.try_into().expect("test helper"))
}

/// Every entry of the tuple index, as the id of the record it points at, in index order.
fn entries(t: &mut T, s: &Session) -> Vec<i32> {
    t.c.set_current_index(s, Some("sub"), SetIndexGrbit::MOVE_FIRST, 0)
        .expect("test helper");
    let mut out = Vec::new();
    if t.c.move_to(s, MOVE_FIRST).is_err() {
        return out;
    }
    out.push(id(t, s));
    while t.c.move_to(s, MOVE_NEXT).is_ok() {
        out.push(id(t, s));
    }
    out
}

/// The ids of the records whose text contains `needle`: the entries with `needle` as a
/// prefix, found by a partial-key seek and an inclusive upper range.
fn containing(t: &mut T, s: &Session, needle: &str) -> BTreeSet<i32> {
    t.c.set_current_index(s, Some("sub"), SetIndexGrbit::MOVE_FIRST, 0)
        .expect("test helper");
    t.c.make_key(
        needle.as_bytes(),
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::PARTIAL_COLUMN_START_LIMIT,
    )
    .expect("test helper");
    let mut out = BTreeSet::new();
    if t.c.seek(s, SeekGrbit::GE).is_err() {
        return out;
    }
    t.c.make_key(
        needle.as_bytes(),
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::PARTIAL_COLUMN_END_LIMIT,
    )
    .expect("test helper");
    if t.c
        .set_index_range(s, RangeGrbit::UPPER_LIMIT | RangeGrbit::INCLUSIVE)
        .is_err()
    {
        return out;
    }
    out.insert(id(t, s));
    while t.c.move_to(s, MOVE_NEXT).is_ok() {
        out.insert(id(t, s));
    }
    out
}

fn ids(v: &[i32]) -> BTreeSet<i32> {
    v.iter().copied().collect()
}

#[test]
fn default_limits_make_one_entry_per_substring() {
    let l = TupleLimits::default();
    assert_eq!(
        (
            l.length_min,
            l.length_max,
            l.to_index_max,
            l.increment,
            l.start
        ),
        (3, 10, 32767, 1, 0)
    );
    let subs: Vec<&[u8]> = l.substrings(b"abcdef", 1);
    assert_eq!(
        subs,
        vec![&b"abcdef"[..], &b"bcdef"[..], &b"cdef"[..], &b"def"[..]]
    );
    // Substrings are at most chLengthMax characters; shorter than chLengthMin make none.
    let long = l.substrings(b"0123456789abc", 1);
    assert_eq!(long.len(), 11);
    assert_eq!(long[0], b"0123456789");
    assert_eq!(long[10], b"abc");
    assert!(l.substrings(b"ab", 1).is_empty());
    // UTF-16 text counts code units.
    let w: Vec<u8> = "wxyz".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let subs = l.substrings(&w, 2);
    assert_eq!(subs, vec![&w[..], &w[2..]]);
    // Custom limits: start, increment and chToIndexMax.
    let custom = TupleLimits {
        length_min: 2,
        length_max: 3,
        to_index_max: 5,
        increment: 2,
        start: 1,
    };
    custom.validate().unwrap();
    assert_eq!(
        custom.substrings(b"abcdefgh", 1),
        vec![&b"bcd"[..], &b"def"[..]]
    );
}

#[test]
fn invalid_limits_are_index_tuples_invalid_limits() {
    let d = TupleLimits::default();
    for bad in [
        TupleLimits { length_min: 1, ..d },
        TupleLimits {
            length_max: 256,
            ..d
        },
        TupleLimits {
            length_min: 11,
            ..d
        },
        TupleLimits {
            to_index_max: 32768,
            ..d
        },
        TupleLimits { increment: 0, ..d },
    ] {
        assert_eq!(
            bad.validate().map_err(|e| e.jet_code()),
            Err(-1435),
            "{bad:?}"
        );
    }
    d.validate().unwrap();
}

#[test]
fn tuple_entries_for_a_small_text_and_substring_seeks() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut t = table(&stack, &mut s, ColumnType::Text, true);
    insert(&mut t, &mut s, 1, "hello");
    insert(&mut t, &mut s, 2, "yellow");
    insert(&mut t, &mut s, 3, "world");
    insert(&mut t, &mut s, 4, "ab");
    // "hello": hello, ello, llo; "yellow": yellow, ellow, llow, low; "world": world, orld,
    // rld; "ab" is shorter than chLengthMin and makes none.
    let all = entries(&mut t, &s);
    assert_eq!(all.len(), 10);
    assert_eq!(all.iter().filter(|i| **i == 1).count(), 3);
    assert_eq!(all.iter().filter(|i| **i == 2).count(), 4);
    assert_eq!(all.iter().filter(|i| **i == 3).count(), 3);
    assert!(!all.contains(&4));
    assert_eq!(containing(&mut t, &s, "ell"), ids(&[1, 2]));
    assert_eq!(containing(&mut t, &s, "llow"), ids(&[2]));
    assert_eq!(containing(&mut t, &s, "orl"), ids(&[3]));
    // Case folds as the column's key does.
    assert_eq!(containing(&mut t, &s, "LLO"), ids(&[1, 2]));
    assert_eq!(containing(&mut t, &s, "xyz"), ids(&[]));
}

#[test]
fn replace_delete_and_rollback_maintain_entries() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut t = table(&stack, &mut s, ColumnType::LongText, true);
    insert(&mut t, &mut s, 1, "banana");
    insert(&mut t, &mut s, 2, "cabana");
    assert_eq!(containing(&mut t, &s, "ana"), ids(&[1, 2]));
    assert_eq!(entries(&mut t, &s).len(), 8);

    // Replace: the old substrings go, the new ones come.
    t.c.set_current_index(&s, None, SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    t.c.make_key(&1i32.to_le_bytes(), MakeKeyGrbit::NEW_KEY)
        .unwrap();
    t.c.seek(&s, SeekGrbit::EQ).unwrap();
    t.c.prepare_update(&mut s, Prep::Replace).unwrap();
    t.c.set_column(t.text, b"cherry", SetGrbit::NONE, 1)
        .unwrap();
    t.c.update(&mut s).unwrap();
    assert_eq!(containing(&mut t, &s, "ana"), ids(&[2]));
    assert_eq!(containing(&mut t, &s, "err"), ids(&[1]));
    assert_eq!(entries(&mut t, &s).len(), 8);

    // A rolled-back replace and a rolled-back insert leave the entries as they were.
    stack.begin(&mut s).unwrap();
    t.c.set_current_index(&s, None, SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    t.c.make_key(&2i32.to_le_bytes(), MakeKeyGrbit::NEW_KEY)
        .unwrap();
    t.c.seek(&s, SeekGrbit::EQ).unwrap();
    t.c.prepare_update(&mut s, Prep::Replace).unwrap();
    t.c.set_column(t.text, b"zzzzzz", SetGrbit::NONE, 1)
        .unwrap();
    t.c.update(&mut s).unwrap();
    insert(&mut t, &mut s, 3, "anagram");
    assert_eq!(containing(&mut t, &s, "ana"), ids(&[3]));
    assert_eq!(containing(&mut t, &s, "zzz"), ids(&[2]));
    stack.rollback(&mut s).unwrap();
    assert_eq!(containing(&mut t, &s, "ana"), ids(&[2]));
    assert_eq!(containing(&mut t, &s, "zzz"), ids(&[]));
    assert_eq!(entries(&mut t, &s).len(), 8);

    // Delete removes every entry of the record.
    t.c.set_current_index(&s, None, SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    t.c.make_key(&2i32.to_le_bytes(), MakeKeyGrbit::NEW_KEY)
        .unwrap();
    t.c.seek(&s, SeekGrbit::EQ).unwrap();
    t.c.delete(&mut s).unwrap();
    assert_eq!(containing(&mut t, &s, "ana"), ids(&[]));
    assert_eq!(entries(&mut t, &s), vec![1, 1, 1, 1]);
}

#[test]
fn a_tuple_index_built_over_rows_and_reopened() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut t = table(&stack, &mut s, ColumnType::Binary, false);
    insert(&mut t, &mut s, 1, "abcd");
    insert(&mut t, &mut s, 2, "xbcx");
    t.c.create_index(
        &mut s,
        &IndexCreate::new("sub", b"+text\0\0", IndexGrbit::TUPLES),
    )
    .unwrap();
    assert_eq!(entries(&mut t, &s).len(), 4);
    assert_eq!(containing(&mut t, &s, "bcd"), ids(&[1]));
    assert_eq!(containing(&mut t, &s, "bcx"), ids(&[2]));
    // The index definition survives a reopen of the catalog.
    let catalog = stack.reopen_catalog().unwrap();
    let c = catalog.open_table(&s, "t").unwrap();
    let idx = c.schema().index("sub").unwrap();
    assert!(idx.grbit.contains(IndexGrbit::TUPLES));
    let mut t2 = T {
        c,
        id: t.id,
        text: t.text,
    };
    insert(&mut t2, &mut s, 3, "abcz");
    assert_eq!(containing(&mut t2, &s, "abc"), ids(&[1, 3]));
    assert_eq!(entries(&mut t2, &s).len(), 6);
}

#[test]
fn tuple_definition_errors() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let create = TableCreate::new("t")
        .column("id", ColumnSpec::new(ColumnType::Long, ColumnGrbit::NONE))
        .column("text", ColumnSpec::new(ColumnType::Text, ColumnGrbit::NONE))
        .column("n", ColumnSpec::new(ColumnType::Long, ColumnGrbit::NONE));
    let (mut c, _) = stack.catalog.create_table(&mut s, &create).unwrap();
    let code = |c: &mut TableCursor, s: &mut Session, create: IndexCreate| {
        c.create_index(s, &create).map_err(|e| e.jet_code())
    };
    let tuples = IndexGrbit::TUPLES;
    // (key, grbit, cbVarSegMac, JET code)
    let cases: &[(&[u8], IndexGrbit, usize, i32)] = &[
        (b"+text\0\0", tuples | IndexGrbit::PRIMARY, 0, -1430),
        (b"+text\0\0", tuples | IndexGrbit::UNIQUE, 0, -1432),
        (b"+n\0\0", tuples, 0, -1433),
        (b"+n\0+text\0\0", tuples, 0, -1433),
        (b"+text\0\0", tuples, 20, -1406),
        (b"+text\0\0", IndexGrbit::TUPLE_LIMITS, 0, -900),
        (b"+missing\0\0", tuples, 0, -1507),
    ];
    for (key, grbit, seg, want) in cases {
        let create = IndexCreate {
            var_seg_mac: *seg,
            ..IndexCreate::new("bad", key, *grbit)
        };
        assert_eq!(
            code(&mut c, &mut s, create),
            Err(*want),
            "{key:?} {grbit:?}"
        );
    }
    // The first column decides: a tuple index may carry further columns after it.
    assert_eq!(
        code(
            &mut c,
            &mut s,
            IndexCreate::new("ok", b"+text\0+n\0\0", tuples)
        ),
        Ok(())
    );
}
