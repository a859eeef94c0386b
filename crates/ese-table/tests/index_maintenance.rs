//! Secondary index maintenance against a model: a table with three secondary indexes under
//! random inserts, replaces and deletes in committed and rolled-back transactions. After every
//! transaction each index, walked through a cursor, must equal the model's sorted projection
//! (its keys made from the model's values, ordered by key then bookmark), with every entry
//! pointing at a live record that carries that key: no orphan and no missing entry.

use std::collections::BTreeMap;

use ese_table::testing::TestStack;
use ese_table::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, Error, IndexCreate, IndexGrbit, MOVE_FIRST,
    MOVE_NEXT, MakeKeyGrbit, Prep, RetrieveGrbit, SeekGrbit, SegmentData, SetGrbit, SetIndexGrbit,
    TableCreate, TableCursor, index_entries,
};
use ese_txn::Session;
use proptest::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    a: Option<i32>,
    b: Option<String>,
    tags: Vec<String>,
}

#[derive(Clone, Debug)]
enum Op {
    Insert(i32, Row),
    /// Replace the record with this id (if any): new a and b, and a new first tag.
    Update(i32, Option<i32>, Option<String>, Option<String>),
    Delete(i32),
}

struct Cols {
    id: ColumnId,
    a: ColumnId,
    b: ColumnId,
    tags: ColumnId,
}

const INDEXES: [&str; 3] = ["ia", "ib", "itags"];

fn table(stack: &TestStack, s: &mut Session) -> (TableCursor, Cols) {
    let mv = ColumnGrbit::TAGGED | ColumnGrbit::MULTI_VALUED;
    let create = TableCreate::new("t")
        .column("id", ColumnSpec::new(ColumnType::Long, ColumnGrbit::NONE))
        .column("a", ColumnSpec::new(ColumnType::Long, ColumnGrbit::NONE))
        .column("b", ColumnSpec::new(ColumnType::Text, ColumnGrbit::NONE))
        .column("tags", ColumnSpec::new(ColumnType::Text, mv))
        .index(IndexCreate::new("pk", b"+id\0\0", IndexGrbit::PRIMARY))
        // Non-unique with NULLs, descending: duplicates ordered by bookmark.
        .index(IndexCreate::new("ia", b"-a\0\0", IndexGrbit::NONE))
        // Two columns, NULL rows left out, NULLs high.
        .index(IndexCreate::new(
            "ib",
            b"+b\0-a\0\0",
            IndexGrbit::IGNORE_NULL | IndexGrbit::SORT_NULLS_HIGH,
        ))
        // Unique over a multi-valued column: one entry per value, clashes refused.
        .index(IndexCreate::new(
            "itags",
            b"+tags\0\0",
            IndexGrbit::UNIQUE | IndexGrbit::IGNORE_NULL,
        ));
    let (c, _) = stack.catalog.create_table(s, &create).expect("test helper");
    let sc = c.schema().clone();
    let cols = Cols {
        id: sc.column_id("id").expect("test helper"),
        a: sc.column_id("a").expect("test helper"),
        b: sc.column_id("b").expect("test helper"),
        tags: sc.column_id("tags").expect("test helper"),
    };
    (c, cols)
}

/// The model's entries of index `name`: (secondary key, bookmark), sorted.
fn model_entries(
    c: &TableCursor,
    name: &str,
    rows: &BTreeMap<i32, Row>,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let idx = c.schema().index(name).expect("test helper").clone();
    let pk = c.schema().index("pk").expect("test helper").clone();
    let mut out = Vec::new();
    for (id, row) in rows {
        let idb = id.to_le_bytes();
        let bm = index_entries(&pk.layout, pk.grbit, &[vec![SegmentData::Value(&idb)]])
            .expect("test helper")[0]
            .bytes
            .clone();
        let a = row.a.map(i32::to_le_bytes);
        let a_seg = a.as_ref().map_or(vec![], |v| vec![SegmentData::Value(v)]);
        let b_seg = row
            .b
            .as_ref()
            .map_or(vec![], |v| vec![SegmentData::Value(v.as_bytes())]);
        let tag_seg: Vec<_> = row
            .tags
            .iter()
            .map(|t| SegmentData::Value(t.as_bytes()))
            .collect();
        let values = match name {
            "ia" => vec![a_seg],
            "ib" => vec![b_seg, a_seg],
            _ => vec![tag_seg],
        };
        for k in index_entries(&idx.layout, idx.grbit, &values).expect("test helper") {
            out.push((k.bytes, bm.clone()));
        }
    }
    out.sort();
    out
}

/// The keys `row` makes in the unique index.
fn tag_keys(c: &TableCursor, row: &Row) -> Vec<Vec<u8>> {
    let idx = c.schema().index("itags").expect("test helper").clone();
    let segs: Vec<_> = row
        .tags
        .iter()
        .map(|t| SegmentData::Value(t.as_bytes()))
        .collect();
    index_entries(&idx.layout, idx.grbit, &[segs])
        .expect("test helper")
        .into_iter()
        .map(|k| k.bytes)
        .collect()
}

fn clashes(c: &TableCursor, rows: &BTreeMap<i32, Row>, id: i32, row: &Row) -> bool {
    let mine = tag_keys(c, row);
    rows.iter()
        .filter(|(other, _)| **other != id)
        .any(|(_, r)| tag_keys(c, r).iter().any(|k| mine.contains(k)))
}

/// Walks index `name` and returns its entries, checking that each points at a live record
/// whose key in the index the entry is.
fn walk(c: &mut TableCursor, s: &Session, cols: &Cols, name: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    c.set_current_index(s, Some(name), SetIndexGrbit::MOVE_FIRST, 0)
        .expect("test helper");
    let mut out = Vec::new();
    let mut r = c.move_to(s, MOVE_FIRST);
    while r.is_ok() {
        let sb = c.get_secondary_index_bookmark(s).expect("test helper");
        assert_eq!(c.get_bookmark(s).expect("test helper"), sb.primary_bookmark);
        // The record is alive and readable through the entry.
        let id = c
            .retrieve_column(s, cols.id, 1, RetrieveGrbit::NONE)
            .expect("test helper");
        assert!(id.is_some(), "orphan entry in {name}");
        out.push((sb.secondary_key, sb.primary_bookmark));
        r = c.move_to(s, MOVE_NEXT);
    }
    assert_eq!(r, Err(Error::NoCurrentRecord));
    c.set_current_index(s, None, SetIndexGrbit::MOVE_FIRST, 0)
        .expect("test helper");
    out
}

fn seek_id(c: &mut TableCursor, s: &Session, id: i32) -> bool {
    c.make_key(&id.to_le_bytes(), MakeKeyGrbit::NEW_KEY)
        .expect("test helper");
    c.seek(s, SeekGrbit::EQ).is_ok()
}

fn set_opt(c: &mut TableCursor, col: ColumnId, v: Option<&[u8]>) {
    c.set_column(col, v.unwrap_or(b""), SetGrbit::NONE, 1)
        .expect("test helper");
}

fn apply(
    c: &mut TableCursor,
    s: &mut Session,
    cols: &Cols,
    rows: &mut BTreeMap<i32, Row>,
    op: &Op,
) {
    match op {
        Op::Insert(id, row) => {
            c.prepare_update(s, Prep::Insert).expect("test helper");
            c.set_column(cols.id, &id.to_le_bytes(), SetGrbit::NONE, 1)
                .expect("test helper");
            let a = row.a.map(i32::to_le_bytes);
            set_opt(c, cols.a, a.as_ref().map(|v| &v[..]));
            set_opt(c, cols.b, row.b.as_ref().map(|v| v.as_bytes()));
            for t in &row.tags {
                c.set_column(cols.tags, t.as_bytes(), SetGrbit::NONE, 0)
                    .expect("test helper");
            }
            let got = c.update(s);
            let expected = if rows.contains_key(id) || clashes(c, rows, *id, row) {
                Err(Error::KeyDuplicate)
            } else {
                Ok(())
            };
            assert_eq!(got.map(|_| ()), expected, "{op:?}");
            if got_ok(&expected) {
                rows.insert(*id, row.clone());
            } else {
                c.prepare_update(s, Prep::Cancel).expect("test helper");
            }
        }
        Op::Update(id, a, b, tag) => {
            if !seek_id(c, s, *id) {
                assert!(!rows.contains_key(id));
                return;
            }
            let mut row = rows[id].clone();
            row.a = *a;
            row.b = b.clone();
            if let Some(t) = tag {
                if row.tags.is_empty() {
                    row.tags.push(t.clone());
                } else {
                    row.tags[0] = t.clone();
                }
            }
            c.prepare_update(s, Prep::Replace).expect("test helper");
            let av = a.map(i32::to_le_bytes);
            set_opt(c, cols.a, av.as_ref().map(|v| &v[..]));
            set_opt(c, cols.b, b.as_ref().map(|v| v.as_bytes()));
            if let Some(t) = tag {
                c.set_column(cols.tags, t.as_bytes(), SetGrbit::NONE, 1)
                    .expect("test helper");
            }
            let got = c.update(s).map(|_| ());
            let expected = if clashes(c, rows, *id, &row) {
                Err(Error::KeyDuplicate)
            } else {
                Ok(())
            };
            assert_eq!(got, expected, "{op:?}");
            if got_ok(&expected) {
                rows.insert(*id, row);
            } else {
                c.prepare_update(s, Prep::Cancel).expect("test helper");
            }
        }
        Op::Delete(id) => {
            if seek_id(c, s, *id) {
                c.delete(s).expect("test helper");
                assert!(rows.remove(id).is_some());
            } else {
                assert!(!rows.contains_key(id));
            }
        }
    }
}

fn got_ok(r: &Result<(), Error>) -> bool {
    r.is_ok()
}

fn row() -> impl Strategy<Value = Row> {
    (
        proptest::option::weighted(0.8, -3i32..4),
        proptest::option::weighted(0.7, "[a-cA-C]{0,2}"),
        proptest::collection::vec("[a-zA-Z]{1,2}", 0..3),
    )
        .prop_map(|(a, b, tags)| Row {
            a,
            b: b.filter(|v| !v.is_empty()),
            tags,
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0i32..24, row()).prop_map(|(id, r)| Op::Insert(id, r)),
        3 => (
            0i32..24,
            proptest::option::weighted(0.8, -3i32..4),
            proptest::option::weighted(0.7, "[a-cA-C]{0,2}"),
            proptest::option::of("[a-zA-Z]{1,2}"),
        )
            .prop_map(|(id, a, b, t)| Op::Update(id, a, b.filter(|v| !v.is_empty()), t)),
        2 => (0i32..24).prop_map(Op::Delete),
    ]
}

fn check(c: &mut TableCursor, s: &Session, cols: &Cols, rows: &BTreeMap<i32, Row>) {
    for name in INDEXES {
        let got = walk(c, s, cols, name);
        let want = model_entries(c, name, rows);
        assert_eq!(got, want, "index {name}");
    }
    assert_eq!(
        c.index_record_count(s, 0).expect("test helper"),
        rows.len() as u64
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn indexes_equal_the_models_projection(
        txns in proptest::collection::vec((proptest::collection::vec(op(), 1..10), any::<bool>()), 1..8)
    ) {
        let stack = TestStack::new().unwrap();
        let mut s = stack.session();
        let (mut c, cols) = table(&stack, &mut s);
        let mut rows: BTreeMap<i32, Row> = BTreeMap::new();
        for (ops, commit) in &txns {
            let saved = rows.clone();
            stack.begin(&mut s).unwrap();
            for op in ops {
                apply(&mut c, &mut s, &cols, &mut rows, op);
            }
            // Inside the transaction the session sees its own changes.
            check(&mut c, &s, &cols, &rows);
            if *commit {
                stack.commit(&mut s).unwrap();
            } else {
                stack.rollback(&mut s).unwrap();
                rows = saved;
            }
            check(&mut c, &s, &cols, &rows);
        }
        // Another session sees exactly the committed state.
        let s2 = stack.session();
        let mut c2 = stack.catalog.open_table(&s2, "t").unwrap();
        check(&mut c2, &s2, &cols, &rows);
    }
}

/// Building an index on a populated table inside a transaction: visible to the builder at
/// once, gone after a rollback, kept after a commit; a unique build over equal keys fails
/// and creates nothing.
#[test]
fn building_on_a_populated_table_is_transactional() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, cols) = table(&stack, &mut s);
    let mut rows = BTreeMap::new();
    for id in 0..20 {
        let r = Row {
            a: Some(id % 3),
            b: Some(format!("n{}", id % 5)),
            tags: vec![format!("t{id}")],
        };
        apply(&mut c, &mut s, &cols, &mut rows, &Op::Insert(id, r));
    }
    stack.begin(&mut s).unwrap();
    c.create_index(
        &mut s,
        &IndexCreate::new("ia2", b"+a\0+b\0\0", IndexGrbit::NONE),
    )
    .unwrap();
    c.set_current_index(&s, Some("ia2"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    assert_eq!(c.index_record_count(&s, 0).unwrap(), 20);
    c.set_current_index(&s, None, SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    stack.rollback(&mut s).unwrap();
    assert_eq!(
        c.set_current_index(&s, Some("ia2"), SetIndexGrbit::MOVE_FIRST, 0),
        Err(Error::IndexNotFound)
    );
    let dup = IndexCreate::new("ua", b"+a\0\0", IndexGrbit::UNIQUE);
    assert_eq!(c.create_index(&mut s, &dup), Err(Error::KeyDuplicate));
    assert_eq!(c.schema().index("ua").err(), Some(Error::IndexNotFound));
    c.create_index(
        &mut s,
        &IndexCreate::new("ia2", b"+a\0+b\0\0", IndexGrbit::NONE),
    )
    .unwrap();
    check(&mut c, &s, &cols, &rows);
    let walked = walk(&mut c, &s, &cols, "ia2");
    assert_eq!(walked.len(), 20);
    assert!(walked.windows(2).all(|w| w[0] <= w[1]));
    // delete_index: in use while current somewhere, then gone.
    let mut other = c.dup_cursor().unwrap();
    other
        .set_current_index(&s, Some("ia2"), SetIndexGrbit::MOVE_FIRST, 0)
        .unwrap();
    assert_eq!(
        c.delete_index(&mut s, "ia2").map_err(|e| e.jet_code()),
        Err(-1051)
    );
    drop(other);
    assert_eq!(
        c.delete_index(&mut s, "pk").map_err(|e| e.jet_code()),
        Err(-1405)
    );
    assert_eq!(c.delete_index(&mut s, "nope"), Err(Error::IndexNotFound));
    c.delete_index(&mut s, "ia2").unwrap();
    assert_eq!(c.schema().index("ia2").err(), Some(Error::IndexNotFound));
    // The remaining indexes are still maintained.
    apply(&mut c, &mut s, &cols, &mut rows, &Op::Delete(3));
    check(&mut c, &s, &cols, &rows);
}

/// Two sessions changing records whose entries touch the same unique key: the second waits
/// for nothing and gets a conflict; its failed update changes nothing.
#[test]
fn index_entries_conflict_like_records() {
    let stack = TestStack::new().unwrap();
    let mut s1 = stack.session();
    let (mut c1, cols) = table(&stack, &mut s1);
    let mut rows = BTreeMap::new();
    let r = |t: &str| Row {
        a: Some(1),
        b: None,
        tags: vec![t.to_string()],
    };
    apply(&mut c1, &mut s1, &cols, &mut rows, &Op::Insert(1, r("x")));
    let mut s2 = stack.session();
    let mut c2 = stack.catalog.open_table(&s2, "t").unwrap();
    stack.begin(&mut s1).unwrap();
    stack.begin(&mut s2).unwrap();
    // s1 inserts tag "y" (uncommitted); s2 trying the same unique key conflicts.
    apply(&mut c1, &mut s1, &cols, &mut rows, &Op::Insert(2, r("y")));
    c2.prepare_update(&mut s2, Prep::Insert).unwrap();
    c2.set_column(cols.id, &3i32.to_le_bytes(), SetGrbit::NONE, 1)
        .unwrap();
    c2.set_column(cols.tags, b"Y", SetGrbit::NONE, 0).unwrap();
    let got = c2.update(&mut s2).map_err(|e| e.jet_code());
    assert!(matches!(got, Err(-1102) | Err(-1605)), "{got:?}");
    c2.prepare_update(&mut s2, Prep::Cancel).unwrap();
    stack.rollback(&mut s2).unwrap();
    stack.commit(&mut s1).unwrap();
    check(&mut c2, &s2, &cols, &rows);
}
