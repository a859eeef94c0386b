//! Cursor currency after changes, as a table: for each starting position and each operation
//! (insert before / after, a replace that moves the key, delete of the current record), the
//! return code of the operation and the position and code of the moves that follow
//! (reference 12 §1), on a secondary index and on the clustered index.

use ese_table::testing::TestStack;
use ese_table::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, IndexCreate, IndexGrbit, MOVE_FIRST, MOVE_LAST,
    MOVE_NEXT, MOVE_PREVIOUS, MakeKeyGrbit, Prep, RetrieveGrbit, SeekGrbit, SetGrbit,
    SetIndexGrbit, TableCreate, TableCursor,
};
use ese_txn::Session;

#[derive(Clone, Copy, Debug)]
enum Start {
    Deferred,
    First,
    Middle,
    Last,
    BeforeFirst,
    AfterLast,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    InsertBefore,
    InsertAfter,
    /// Replace the current record's v with 99 (last in the secondary index).
    UpdateMovesKey,
    DeleteCurrent,
}

struct T {
    c: TableCursor,
    id: ColumnId,
    v: ColumnId,
}

fn setup(stack: &TestStack, s: &mut Session, secondary: bool) -> T {
    let spec = |t| ColumnSpec::new(t, ColumnGrbit::NONE);
    let create = TableCreate::new("t")
        .column("id", spec(ColumnType::Long))
        .column("v", spec(ColumnType::Long))
        .index(IndexCreate::new("pk", b"+id\0\0", IndexGrbit::PRIMARY))
        .index(IndexCreate::new("iv", b"+v\0\0", IndexGrbit::NONE));
    let (c, _) = stack.catalog.create_table(s, &create).expect("test helper");
    let id = c.schema().column_id("id").expect("test helper");
    let v = c.schema().column_id("v").expect("test helper");
    let mut t = T { c, id, v };
    for (id, v) in [(10, 1), (20, 2), (30, 3)] {
        insert(&mut t, s, id, v).expect("test helper");
    }
    if secondary {
        t.c.set_current_index(s, Some("iv"), SetIndexGrbit::MOVE_FIRST, 0)
            .expect("test helper");
    }
    t
}

fn insert(t: &mut T, s: &mut Session, id: i32, v: i32) -> Result<(), i32> {
    t.c.prepare_update(s, Prep::Insert)
        .map_err(|e| e.jet_code())?;
    t.c.set_column(t.id, &id.to_le_bytes(), SetGrbit::NONE, 1)
        .expect("test helper");
    t.c.set_column(t.v, &v.to_le_bytes(), SetGrbit::NONE, 1)
        .expect("test helper");
    t.c.update(s).map(|_| ()).map_err(|e| e.jet_code())
}

fn code(r: Result<(), ese_table::Error>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e.jet_code(),
    }
}

/// "id" of the current record, or the error code reading it.
fn read(t: &mut T, s: &Session) -> String {
    match t.c.retrieve_column(s, t.id, 1, RetrieveGrbit::NONE) {
        Ok(Some(v)) => i32::from_le_bytes(v.try_into().expect("test helper")).to_string(),
        Ok(None) => "null".into(),
        Err(e) => e.jet_code().to_string(),
    }
}

fn step(t: &mut T, s: &Session, rows: i32) -> String {
    match t.c.move_to(s, rows) {
        Ok(()) => read(t, s),
        Err(e) => e.jet_code().to_string(),
    }
}

fn start(t: &mut T, s: &Session, at: Start) {
    let seek = |t: &mut T, v: i32| {
        // Both indexes order the rows alike: id 10/20/30 have v 1/2/3.
        let key = if t.c.get_current_index() == "iv" {
            v
        } else {
            v * 10
        };
        t.c.make_key(&key.to_le_bytes(), MakeKeyGrbit::NEW_KEY)
            .expect("test helper");
        t.c.seek(s, SeekGrbit::EQ).expect("test helper");
    };
    match at {
        Start::Deferred => {}
        Start::First => t.c.move_to(s, MOVE_FIRST).expect("test helper"),
        Start::Middle => seek(t, 2),
        Start::Last => t.c.move_to(s, MOVE_LAST).expect("test helper"),
        Start::BeforeFirst => {
            t.c.move_to(s, MOVE_FIRST).expect("test helper");
            assert!(t.c.move_to(s, MOVE_PREVIOUS).is_err());
        }
        Start::AfterLast => {
            t.c.move_to(s, MOVE_LAST).expect("test helper");
            assert!(t.c.move_to(s, MOVE_NEXT).is_err());
        }
    }
}

fn run(secondary: bool, at: Start, op: Op) -> String {
    let stack = TestStack::new().expect("test helper");
    let mut s = stack.session();
    let mut t = setup(&stack, &mut s, secondary);
    start(&mut t, &s, at);
    let r = match op {
        Op::InsertBefore => insert(&mut t, &mut s, 5, 0).err().unwrap_or(0),
        Op::InsertAfter => insert(&mut t, &mut s, 40, 4).err().unwrap_or(0),
        Op::UpdateMovesKey => match t.c.prepare_update(&mut s, Prep::Replace) {
            Err(e) => e.jet_code(),
            Ok(()) => {
                t.c.set_column(t.v, &99i32.to_le_bytes(), SetGrbit::NONE, 1)
                    .expect("test helper");
                code(t.c.update(&mut s).map(|_| ()))
            }
        },
        Op::DeleteCurrent => code(t.c.delete(&mut s)),
    };
    let read1 = read(&mut t, &s);
    let next = step(&mut t, &s, MOVE_NEXT);
    let prev = step(&mut t, &s, MOVE_PREVIOUS);
    format!("{r} {read1} {next} {prev}")
}

/// (start, op, "op-code read next prev") on the secondary index "iv", whose rows are
/// id 10, 20, 30 (then 5 before them, 40 after them, or the moved record last).
const SECONDARY: &[(Start, Op, &str)] = &[
    // A fresh cursor resolves its deferred first entry when read: the new first row.
    (Start::Deferred, Op::InsertBefore, "0 5 10 5"),
    (Start::Deferred, Op::InsertAfter, "0 10 20 10"),
    (Start::Deferred, Op::UpdateMovesKey, "0 10 -1603 10"),
    (Start::Deferred, Op::DeleteCurrent, "0 -1017 20 -1603"),
    // An insert never moves the cursor.
    (Start::First, Op::InsertBefore, "0 10 20 10"),
    (Start::First, Op::InsertAfter, "0 10 20 10"),
    // The replaced record is current at its new (last) entry; moves go from there.
    (Start::First, Op::UpdateMovesKey, "0 10 -1603 10"),
    // A deleted current entry: RecordDeleted, then moves to the neighbours of its key.
    (Start::First, Op::DeleteCurrent, "0 -1017 20 -1603"),
    (Start::Middle, Op::InsertBefore, "0 20 30 20"),
    (Start::Middle, Op::InsertAfter, "0 20 30 20"),
    (Start::Middle, Op::UpdateMovesKey, "0 20 -1603 20"),
    (Start::Middle, Op::DeleteCurrent, "0 -1017 30 10"),
    (Start::Last, Op::InsertBefore, "0 30 -1603 30"),
    (Start::Last, Op::InsertAfter, "0 30 40 30"),
    (Start::Last, Op::UpdateMovesKey, "0 30 -1603 30"),
    (Start::Last, Op::DeleteCurrent, "0 -1017 -1603 20"),
    // Before the first / after the last entry: sticky; the next move starts from the edge.
    (Start::BeforeFirst, Op::InsertBefore, "0 -1603 5 -1603"),
    (Start::BeforeFirst, Op::InsertAfter, "0 -1603 10 -1603"),
    (
        Start::BeforeFirst,
        Op::UpdateMovesKey,
        "-1603 -1603 10 -1603",
    ),
    (
        Start::BeforeFirst,
        Op::DeleteCurrent,
        "-1603 -1603 10 -1603",
    ),
    (Start::AfterLast, Op::InsertBefore, "0 -1603 -1603 30"),
    (Start::AfterLast, Op::InsertAfter, "0 -1603 -1603 40"),
    (Start::AfterLast, Op::UpdateMovesKey, "-1603 -1603 -1603 30"),
    (Start::AfterLast, Op::DeleteCurrent, "-1603 -1603 -1603 30"),
];

#[test]
fn currency_on_a_secondary_index() {
    let mut failures = Vec::new();
    for (at, op, want) in SECONDARY {
        let got = run(true, *at, *op);
        if got != *want {
            failures.push(format!("{at:?} {op:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// On the clustered index a replace cannot move the key (v is not a key column there): the
/// cursor stays on the record.
#[test]
fn currency_on_the_clustered_index() {
    let cases: &[(Start, Op, &str)] = &[
        (Start::Deferred, Op::InsertBefore, "0 5 10 5"),
        (Start::First, Op::InsertBefore, "0 10 20 10"),
        (Start::First, Op::UpdateMovesKey, "0 10 20 10"),
        (Start::Middle, Op::UpdateMovesKey, "0 20 30 20"),
        (Start::Middle, Op::DeleteCurrent, "0 -1017 30 10"),
        (Start::Last, Op::InsertAfter, "0 30 40 30"),
        (Start::Last, Op::DeleteCurrent, "0 -1017 -1603 20"),
        (Start::BeforeFirst, Op::InsertBefore, "0 -1603 5 -1603"),
        (Start::AfterLast, Op::InsertAfter, "0 -1603 -1603 40"),
        (Start::AfterLast, Op::DeleteCurrent, "-1603 -1603 -1603 30"),
    ];
    let mut failures = Vec::new();
    for (at, op, want) in cases {
        let got = run(false, *at, *op);
        if got != *want {
            failures.push(format!("{at:?} {op:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
