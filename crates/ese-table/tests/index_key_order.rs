//! Key order per column type, through a real secondary index: random values of each type are
//! inserted, and walking the index (ascending or descending, NULLs low or high) must give
//! them in the type's ESE order, while memcmp of the normalized keys (JetRetrieveKey) orders
//! them exactly alike (equal keys for equal values only).

use std::cmp::Ordering;

use ese_table::testing::TestStack;
use ese_table::{
    ColumnGrbit, ColumnSpec, ColumnType, IndexCreate, IndexGrbit, MOVE_FIRST, MOVE_NEXT, Prep,
    RetrieveGrbit, SetGrbit, SetIndexGrbit, TableCreate,
};
use proptest::prelude::*;

const TYPES: &[(ColumnType, u32)] = &[
    (ColumnType::Bit, 0),
    (ColumnType::UnsignedByte, 0),
    (ColumnType::Short, 0),
    (ColumnType::UnsignedShort, 0),
    (ColumnType::Long, 0),
    (ColumnType::UnsignedLong, 0),
    (ColumnType::LongLong, 0),
    (ColumnType::UnsignedLongLong, 0),
    (ColumnType::Currency, 0),
    (ColumnType::IEEESingle, 0),
    (ColumnType::IEEEDouble, 0),
    (ColumnType::DateTime, 0),
    (ColumnType::Guid, 0),
    (ColumnType::Binary, 0),
    (ColumnType::Text, 1252),
    (ColumnType::Text, 1200),
];

fn arr<const N: usize>(v: &[u8]) -> [u8; N] {
    v.try_into().expect("test helper")
}

/// The type's order over stored (little-endian) values.
fn model_cmp(t: ColumnType, cp: u32, a: &[u8], b: &[u8]) -> Ordering {
    match t {
        ColumnType::Bit => (a[0] != 0).cmp(&(b[0] != 0)),
        ColumnType::UnsignedByte => a[0].cmp(&b[0]),
        ColumnType::Short => i16::from_le_bytes(arr(a)).cmp(&i16::from_le_bytes(arr(b))),
        ColumnType::UnsignedShort => u16::from_le_bytes(arr(a)).cmp(&u16::from_le_bytes(arr(b))),
        ColumnType::Long => i32::from_le_bytes(arr(a)).cmp(&i32::from_le_bytes(arr(b))),
        ColumnType::UnsignedLong => u32::from_le_bytes(arr(a)).cmp(&u32::from_le_bytes(arr(b))),
        ColumnType::LongLong | ColumnType::Currency => {
            i64::from_le_bytes(arr(a)).cmp(&i64::from_le_bytes(arr(b)))
        }
        ColumnType::UnsignedLongLong => u64::from_le_bytes(arr(a)).cmp(&u64::from_le_bytes(arr(b))),
        ColumnType::IEEESingle => f32::from_le_bytes(arr(a)).total_cmp(&f32::from_le_bytes(arr(b))),
        ColumnType::IEEEDouble | ColumnType::DateTime => {
            f64::from_le_bytes(arr(a)).total_cmp(&f64::from_le_bytes(arr(b)))
        }
        ColumnType::Guid => {
            const ORDER: [usize; 16] = [10, 11, 12, 13, 14, 15, 8, 9, 6, 7, 4, 5, 0, 1, 2, 3];
            let p = |v: &[u8]| ORDER.map(|i| v[i]);
            p(a).cmp(&p(b))
        }
        ColumnType::Text if cp == 1252 => {
            let fold = |v: &[u8]| -> Vec<u8> {
                v.iter()
                    .take_while(|c| **c != 0)
                    .map(|c| c.to_ascii_uppercase())
                    .collect()
            };
            fold(a).cmp(&fold(b))
        }
        ColumnType::Text => {
            let fold = |v: &[u8]| -> Vec<u16> {
                v.chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .map(|u| {
                        if (0x61..=0x7A).contains(&u) {
                            u - 0x20
                        } else {
                            u
                        }
                    })
                    .collect()
            };
            fold(a).cmp(&fold(b))
        }
        _ => a.cmp(b),
    }
}

fn value(t: ColumnType, cp: u32) -> BoxedStrategy<Vec<u8>> {
    let bytes = |n: usize| proptest::collection::vec(any::<u8>(), n);
    match t {
        ColumnType::Bit | ColumnType::UnsignedByte => bytes(1).boxed(),
        ColumnType::Short | ColumnType::UnsignedShort => bytes(2).boxed(),
        ColumnType::Long | ColumnType::UnsignedLong => bytes(4).boxed(),
        ColumnType::IEEESingle => any::<f32>()
            .prop_filter("no NaN", |f| !f.is_nan())
            .prop_map(|f| f.to_le_bytes().to_vec())
            .boxed(),
        ColumnType::IEEEDouble | ColumnType::DateTime => any::<f64>()
            .prop_filter("no NaN", |f| !f.is_nan())
            .prop_map(|f| f.to_le_bytes().to_vec())
            .boxed(),
        ColumnType::Guid => bytes(16).boxed(),
        ColumnType::Binary => {
            proptest::collection::vec(prop_oneof![Just(0u8), Just(0xFF), any::<u8>()], 1..20)
                .boxed()
        }
        ColumnType::Text if cp == 1252 => "[ -~]{1,12}".prop_map(String::into_bytes).boxed(),
        ColumnType::Text => "[ -~]{1,12}"
            .prop_map(|s| s.encode_utf16().flat_map(u16::to_le_bytes).collect())
            .boxed(),
        _ => bytes(8).boxed(),
    }
}

fn case() -> impl Strategy<Value = (usize, bool, bool, Vec<Option<Vec<u8>>>)> {
    (0..TYPES.len(), any::<bool>(), any::<bool>()).prop_flat_map(|(i, desc, high)| {
        let (t, cp) = TYPES[i];
        (
            Just(i),
            Just(desc),
            Just(high),
            proptest::collection::vec(proptest::option::weighted(0.85, value(t, cp)), 1..24),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn index_order_is_the_types_order((ti, desc, nulls_high, values) in case()) {
        let (t, cp) = TYPES[ti];
        let stack = TestStack::new().unwrap();
        let mut s = stack.session();
        let spec = ColumnSpec { code_page: cp, ..ColumnSpec::new(t, ColumnGrbit::NONE) };
        let mut grbit = IndexGrbit::NONE;
        if nulls_high {
            grbit = grbit | IndexGrbit::SORT_NULLS_HIGH;
        }
        let key: &[u8] = if desc { b"-v\0\0" } else { b"+v\0\0" };
        let create = TableCreate::new("t")
            .column("v", spec)
            .index(IndexCreate::new("iv", key, grbit));
        let (mut c, _) = stack.catalog.create_table(&mut s, &create).unwrap();
        let v = c.schema().column_id("v").unwrap();
        for x in &values {
            c.prepare_update(&mut s, Prep::Insert).unwrap();
            if let Some(x) = x {
                c.set_column(v, x, SetGrbit::NONE, 1).unwrap();
            }
            c.update(&mut s).unwrap();
        }
        c.set_current_index(&s, Some("iv"), SetIndexGrbit::MOVE_FIRST, 0).unwrap();
        let mut walked: Vec<(Option<Vec<u8>>, Vec<u8>)> = Vec::new();
        let mut r = c.move_to(&s, MOVE_FIRST);
        while r.is_ok() {
            let got = c.retrieve_column(&s, v, 1, RetrieveGrbit::NONE).unwrap();
            walked.push((got, c.retrieve_key(&s, false).unwrap()));
            r = c.move_to(&s, MOVE_NEXT);
        }
        prop_assert_eq!(walked.len(), values.len());
        // NULLs sort low unless SortNullsHigh; descending inverts everything (header too).
        let nulls_first = nulls_high == desc;
        let order = |a: &Option<Vec<u8>>, b: &Option<Vec<u8>>| -> Ordering {
            match (a, b) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => if nulls_first { Ordering::Less } else { Ordering::Greater },
                (Some(_), None) => if nulls_first { Ordering::Greater } else { Ordering::Less },
                (Some(x), Some(y)) => {
                    let o = model_cmp(t, cp, x, y);
                    if desc { o.reverse() } else { o }
                }
            }
        };
        for w in walked.windows(2) {
            let (va, ka) = &w[0];
            let (vb, kb) = &w[1];
            let o = order(va, vb);
            prop_assert!(o != Ordering::Greater, "{:?}: {:?} before {:?}", t, va, vb);
            // memcmp of the keys agrees exactly with the type's order.
            prop_assert_eq!(ka.cmp(kb), o, "{:?}: keys of {:?} and {:?}", t, va, vb);
        }
    }
}
