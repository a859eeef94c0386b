//! A round-trip property test against a model: random column sets of every type (NULL and
//! not NULL, multi-values, long values written in random chunks) are inserted, read back,
//! replaced, read back again and deleted, and the long-value tree ends empty.

use ese_table::testing::TestStack;
use ese_table::{
    ColumnGrbit as G, ColumnId, ColumnSpec, ColumnType as T, MOVE_FIRST, Prep, RetrieveGrbit,
    SetGrbit, SetInfo, TableCreate, TableCursor,
};
use proptest::prelude::*;

/// The table's columns: (name, type, grbit, most values, most bytes per value).
fn columns() -> Vec<(String, T, G, usize, usize)> {
    let mut out: Vec<(String, T, G, usize, usize)> = T::ALL
        .iter()
        .filter_map(|t| {
            t.fixed_size()
                .map(|n| (format!("f{}", t.raw()), *t, G::NONE, 1, n))
        })
        .collect();
    out.push(("text".into(), T::Text, G::NONE, 1, 255));
    out.push(("bin".into(), T::Binary, G::NONE, 1, 255));
    out.push((
        "mvbin".into(),
        T::Binary,
        G::TAGGED | G::MULTI_VALUED,
        3,
        100,
    ));
    out.push(("mvlong".into(), T::Long, G::TAGGED | G::MULTI_VALUED, 3, 4));
    out.push(("lt".into(), T::LongText, G::NONE, 1, 30_000));
    out.push(("lb".into(), T::LongBinary, G::MULTI_VALUED, 2, 30_000));
    out
}

/// Values for each column: `None` leaves it alone, `Some(vec![])` makes it NULL.
type RowSet = Vec<Option<Vec<Vec<u8>>>>;

fn value(t: T, most: usize) -> BoxedStrategy<Vec<u8>> {
    match t.fixed_size() {
        Some(n) => proptest::collection::vec(any::<u8>(), n..=n).boxed(),
        // Long values: a repeated byte pattern of random length keeps generation cheap.
        None if t.is_long_value() => (1..=most, any::<u8>())
            .prop_map(|(n, b)| (0..n).map(|i| b.wrapping_add((i / 7) as u8)).collect())
            .boxed(),
        None => proptest::collection::vec(any::<u8>(), 1..=most).boxed(),
    }
}

fn row_set() -> impl Strategy<Value = RowSet> {
    let per_column: Vec<BoxedStrategy<Option<Vec<Vec<u8>>>>> = columns()
        .into_iter()
        .map(|(_, t, _, max_values, most)| {
            proptest::option::of(proptest::collection::vec(value(t, most), 0..=max_values)).boxed()
        })
        .collect();
    per_column
}

fn ids(c: &TableCursor) -> Vec<ColumnId> {
    columns()
        .iter()
        .map(|(n, ..)| c.schema().column_id(n).expect("test helper"))
        .collect()
}

/// Writes `set` into the prepared update, long values as appends cut at `cuts`.
fn apply(
    c: &mut TableCursor,
    s: &mut ese_txn::Session,
    model: &mut [Vec<Vec<u8>>],
    set: &RowSet,
    cuts: &[usize],
) {
    let cols = columns();
    let ids = ids(c);
    for (i, values) in set.iter().enumerate() {
        let Some(values) = values else { continue };
        let id = ids[i];
        // Clear what is there: NULL at 1 removes the first value each time.
        for _ in 0..model[i].len().max(1) {
            c.set_column_ex(s, id, &[], SetGrbit::NONE, SetInfo::default())
                .expect("test helper");
        }
        for (j, v) in values.iter().enumerate() {
            let itag = j as u32 + 1;
            if cols[i].1.is_long_value() {
                let mut at = 0;
                for cut in cuts.iter().map(|c| c % (v.len() + 1)).chain([v.len()]) {
                    if cut <= at {
                        continue;
                    }
                    let info = SetInfo {
                        ib_long_value: 0,
                        itag_sequence: itag,
                    };
                    c.set_column_ex(s, id, &v[at..cut], SetGrbit::APPEND_LV, info)
                        .expect("test helper");
                    at = cut;
                }
            } else {
                let info = SetInfo {
                    ib_long_value: 0,
                    itag_sequence: itag,
                };
                c.set_column_ex(s, id, v, SetGrbit::NONE, info)
                    .expect("test helper");
            }
        }
        model[i] = values.clone();
    }
}

fn check(c: &mut TableCursor, s: &ese_txn::Session, model: &[Vec<Vec<u8>>]) {
    let ids = ids(c);
    for (i, want) in model.iter().enumerate() {
        let id = ids[i];
        let n = c
            .value_count(s, id, RetrieveGrbit::NONE)
            .expect("test helper");
        assert_eq!(n, want.len(), "column {i}");
        for (j, w) in want.iter().enumerate() {
            let got = c
                .retrieve_column(s, id, j as u32 + 1, RetrieveGrbit::NONE)
                .expect("test helper");
            assert_eq!(got.as_ref(), Some(w), "column {i} value {j}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn columns_round_trip_against_a_model(
        first in row_set(),
        second in row_set(),
        cuts in proptest::collection::vec(0usize..30_000, 0..6),
    ) {
        let stack = TestStack::new().unwrap();
        let mut s = stack.session();
        let mut create = TableCreate::new("m");
        for (name, t, g, ..) in columns() {
            create = create.column(&name, ColumnSpec::new(t, g));
        }
        let mut c = stack.catalog.create_table(&mut s, &create).unwrap().0;
        let mut model: Vec<Vec<Vec<u8>>> = vec![Vec::new(); columns().len()];
        stack.begin(&mut s).unwrap();
        c.prepare_update(&mut s, Prep::Insert).unwrap();
        apply(&mut c, &mut s, &mut model, &first, &cuts);
        let bm = c.update(&mut s).unwrap();
        stack.commit(&mut s).unwrap();
        c.goto_bookmark(&s, &bm).unwrap();
        check(&mut c, &s, &model);

        stack.begin(&mut s).unwrap();
        c.prepare_update(&mut s, Prep::Replace).unwrap();
        apply(&mut c, &mut s, &mut model, &second, &cuts);
        c.update(&mut s).unwrap();
        stack.commit(&mut s).unwrap();
        c.move_to(&s, MOVE_FIRST).unwrap();
        check(&mut c, &s, &model);

        stack.begin(&mut s).unwrap();
        c.delete(&mut s).unwrap();
        stack.commit(&mut s).unwrap();
        stack.trees.cleanup().unwrap();
        let lvt = c.long_value_tree().unwrap().unwrap();
        prop_assert_eq!(lvt.node_count().unwrap(), 0);
    }
}
