//! Tests of the record format and editor: JetSetColumn/JetRetrieveColumn semantics, defaults,
//! size rules, a model-based property test, and decoding of damaged bytes.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::coltyp::{ColumnSpec, ColumnType};

fn spec(coltyp: ColumnType, grbit: ColumnGrbit, max_bytes: u64, default: &[u8]) -> ColumnSpec {
    ColumnSpec {
        coltyp: coltyp.raw(),
        max_bytes,
        code_page: 0,
        grbit,
        default: default.to_vec(),
    }
}

/// Columns 1 Long, 2 fixed Text(4), 3 Long default 7; 128 Binary(10), 129 Text default "dv";
/// 256 LongBinary multi, 257 Binary(3) default "td", 258 Long tagged NotNULL.
fn schema(record_most_bytes: usize) -> ColumnSet {
    let mut set = ColumnSet::new(record_most_bytes);
    let specs = [
        spec(ColumnType::Long, ColumnGrbit::NONE, 0, &[]),
        spec(ColumnType::Text, ColumnGrbit::FIXED, 4, &[]),
        spec(ColumnType::Long, ColumnGrbit::NONE, 0, &7i32.to_le_bytes()),
        spec(ColumnType::Binary, ColumnGrbit::NONE, 10, &[]),
        spec(ColumnType::Text, ColumnGrbit::NONE, 0, b"dv"),
        spec(ColumnType::LongBinary, ColumnGrbit::MULTI_VALUED, 0, &[]),
        spec(ColumnType::Binary, ColumnGrbit::TAGGED, 3, b"td"),
        spec(
            ColumnType::Long,
            ColumnGrbit::TAGGED | ColumnGrbit::NOT_NULL,
            0,
            &[],
        ),
    ];
    for s in &specs {
        set.add(s, true).unwrap();
    }
    set
}

const LONG: ColumnId = ColumnId(1);
const FIXED_TEXT: ColumnId = ColumnId(2);
const LONG_DEFAULT: ColumnId = ColumnId(3);
const VAR_BIN: ColumnId = ColumnId(128);
const VAR_TEXT_DEFAULT: ColumnId = ColumnId(129);
const MULTI: ColumnId = ColumnId(256);
const TAGGED_DEFAULT: ColumnId = ColumnId(257);
const TAGGED_NOT_NULL: ColumnId = ColumnId(258);

fn get<'a>(r: &'a Record, s: &'a ColumnSet, id: ColumnId, itag: u32) -> Option<&'a [u8]> {
    match r.retrieve(s, id, itag, RetrieveGrbit::NONE).unwrap() {
        Some(ValueRef::Intrinsic(v)) => Some(v),
        Some(ValueRef::Separated(_)) => panic!("unexpected separated value"),
        None => None,
    }
}

fn round_trip(r: &Record, s: &ColumnSet) {
    let bytes = r.encode();
    assert_eq!(bytes.len(), r.encoded_len());
    let back = Record::decode(&bytes, s).unwrap();
    assert_eq!(&back, r);
    assert_eq!(back.encode(), bytes);
}

#[test]
fn values_are_set_and_retrieved_per_class() {
    let s = schema(4000);
    let mut r = Record::new();
    r.set(&s, LONG, 1, &5i32.to_le_bytes(), SetGrbit::NONE)
        .unwrap();
    r.set(&s, VAR_BIN, 1, b"xyz", SetGrbit::NONE).unwrap();
    r.set(&s, MULTI, 1, b"first", SetGrbit::NONE).unwrap();
    assert_eq!(get(&r, &s, LONG, 1), Some(&5i32.to_le_bytes()[..]));
    assert_eq!(get(&r, &s, VAR_BIN, 1), Some(&b"xyz"[..]));
    assert_eq!(get(&r, &s, MULTI, 1), Some(&b"first"[..]));
    assert_eq!(get(&r, &s, MULTI, 2), None);
    assert_eq!(
        r.retrieve(&s, MULTI, 0, RetrieveGrbit::NONE),
        Err(Error::BadItagSequence)
    );
    assert_eq!(
        r.retrieve(&s, ColumnId(300), 1, RetrieveGrbit::NONE),
        Err(Error::ColumnNotFound)
    );
    assert_eq!(
        r.retrieve(&s, ColumnId(0), 1, RetrieveGrbit::NONE),
        Err(Error::BadColumnId(0))
    );
    // Fixed text is space-padded; zero-length on a variable column is not NULL.
    r.set(&s, FIXED_TEXT, 1, b"ab", SetGrbit::NONE).unwrap();
    assert_eq!(get(&r, &s, FIXED_TEXT, 1), Some(&b"ab  "[..]));
    r.set(&s, VAR_BIN, 1, b"", SetGrbit::ZERO_LENGTH).unwrap();
    assert_eq!(get(&r, &s, VAR_BIN, 1), Some(&b""[..]));
    r.set(&s, VAR_BIN, 1, b"", SetGrbit::NONE).unwrap();
    assert_eq!(get(&r, &s, VAR_BIN, 1), None);
    round_trip(&r, &s);
}

#[test]
fn multi_values_use_one_based_itag_sequences() {
    let s = schema(4000);
    let mut r = Record::new();
    for v in [b"a", b"b", b"c"] {
        r.append(&s, MULTI, v, SetGrbit::NONE).unwrap();
    }
    assert_eq!(r.value_count(&s, MULTI, RetrieveGrbit::NONE), Ok(3));
    r.set(&s, MULTI, 2, b"B", SetGrbit::NONE).unwrap();
    r.set(&s, MULTI, 9, b"d", SetGrbit::NONE).unwrap();
    let all = |r: &Record| -> Vec<Vec<u8>> {
        (1..)
            .map_while(|i| get(r, &s, MULTI, i).map(<[u8]>::to_vec))
            .collect()
    };
    assert_eq!(all(&r), [b"a", b"B", b"c", b"d"]);
    round_trip(&r, &s);
    // NULL at n removes value n and renumbers the rest.
    r.set(&s, MULTI, 1, b"", SetGrbit::NONE).unwrap();
    assert_eq!(all(&r), [b"B", b"c", b"d"]);
    r.set(&s, MULTI, 7, b"", SetGrbit::NONE).unwrap();
    assert_eq!(all(&r).len(), 3);
    assert_eq!(
        r.set(&s, MULTI, 0, b"c", SetGrbit::UNIQUE_MULTI_VALUES),
        Err(Error::MultiValuedDuplicate)
    );
    // Replacing a value with itself is not a duplicate.
    r.set(&s, MULTI, 2, b"c", SetGrbit::UNIQUE_MULTI_VALUES)
        .unwrap();
    r.set_separated(&s, MULTI, 0, LvRef(0xDEAD_BEEF)).unwrap();
    assert_eq!(
        r.retrieve(&s, MULTI, 4, RetrieveGrbit::NONE).unwrap(),
        Some(ValueRef::Separated(LvRef(0xDEAD_BEEF)))
    );
    assert_eq!(
        r.set_separated(&s, VAR_BIN, 1, LvRef(1)),
        Err(Error::InvalidParameter(
            "only long-value columns hold separated values"
        ))
    );
    round_trip(&r, &s);
    for i in (1..=4).rev() {
        r.set(&s, MULTI, i, b"", SetGrbit::NONE).unwrap();
    }
    assert_eq!(r.present_columns(), Vec::new());
}

#[test]
fn defaults_are_read_for_absent_columns_only() {
    let s = schema(4000);
    let mut r = Record::new();
    assert_eq!(get(&r, &s, LONG_DEFAULT, 1), Some(&7i32.to_le_bytes()[..]));
    assert_eq!(get(&r, &s, VAR_TEXT_DEFAULT, 1), Some(&b"dv"[..]));
    assert_eq!(get(&r, &s, TAGGED_DEFAULT, 1), Some(&b"td"[..]));
    assert_eq!(get(&r, &s, TAGGED_DEFAULT, 2), None);
    assert_eq!(
        r.retrieve(&s, TAGGED_DEFAULT, 1, RetrieveGrbit::IGNORE_DEFAULT),
        Ok(None)
    );
    assert_eq!(
        r.value_count(&s, TAGGED_DEFAULT, RetrieveGrbit::NONE),
        Ok(1)
    );
    assert_eq!(
        r.value_count(&s, TAGGED_DEFAULT, RetrieveGrbit::IGNORE_DEFAULT),
        Ok(0)
    );
    // Growing the fixed area to id 3 keeps what ids 1 and 2 read (NULL, no default) and
    // gives id 3 the value set.
    r.set(&s, LONG_DEFAULT, 1, &9i32.to_le_bytes(), SetGrbit::NONE)
        .unwrap();
    assert_eq!(get(&r, &s, LONG, 1), None);
    // Setting a variable column past the end fills earlier ones with their defaults.
    r.set(&s, ColumnId(129), 1, b"v", SetGrbit::NONE).unwrap();
    assert_eq!(get(&r, &s, VAR_BIN, 1), None);
    // A stored NULL hides the default.
    r.set(&s, VAR_TEXT_DEFAULT, 1, b"", SetGrbit::NONE).unwrap();
    assert_eq!(get(&r, &s, VAR_TEXT_DEFAULT, 1), None);
    // Tagged: NULL stores an explicit NULL marker hiding the default…
    r.set(&s, TAGGED_DEFAULT, 1, b"", SetGrbit::NONE).unwrap();
    assert_eq!(get(&r, &s, TAGGED_DEFAULT, 1), None);
    assert_eq!(
        r.present_columns().last(),
        Some(&PresentColumn {
            id: TAGGED_DEFAULT,
            values: 0,
            explicit_null: true
        })
    );
    round_trip(&r, &s);
    // …unless RevertToDefaultValue asks for the default back.
    r.set(
        &s,
        TAGGED_DEFAULT,
        1,
        b"",
        SetGrbit::REVERT_TO_DEFAULT_VALUE,
    )
    .unwrap();
    assert_eq!(get(&r, &s, TAGGED_DEFAULT, 1), Some(&b"td"[..]));
    r.set(&s, TAGGED_DEFAULT, 1, b"x", SetGrbit::NONE).unwrap();
    r.set(
        &s,
        TAGGED_DEFAULT,
        1,
        b"",
        SetGrbit::REVERT_TO_DEFAULT_VALUE,
    )
    .unwrap();
    assert_eq!(get(&r, &s, TAGGED_DEFAULT, 1), Some(&b"td"[..]));
    round_trip(&r, &s);
}

#[test]
fn insert_copy_buffer_materializes_defaults() {
    let s = schema(4000);
    let r = Record::new_insert(&s).unwrap();
    assert_eq!(
        r.retrieve(&s, LONG_DEFAULT, 1, RetrieveGrbit::IGNORE_DEFAULT),
        Ok(Some(ValueRef::Intrinsic(&7i32.to_le_bytes())))
    );
    assert_eq!(
        r.retrieve(&s, VAR_TEXT_DEFAULT, 1, RetrieveGrbit::IGNORE_DEFAULT),
        Ok(Some(ValueRef::Intrinsic(b"dv")))
    );
    assert_eq!(
        r.retrieve(&s, TAGGED_DEFAULT, 1, RetrieveGrbit::IGNORE_DEFAULT),
        Ok(None)
    );
    assert_eq!(r.present_columns().len(), 2);
    round_trip(&r, &s);
}

#[test]
fn size_and_null_rules_give_ese_errors_and_change_nothing() {
    let s = schema(60);
    let mut r = Record::new();
    r.set(&s, MULTI, 0, &[1; 20], SetGrbit::NONE).unwrap();
    let before = r.encode();
    // (column, itagSequence, data, grbit, JET code)
    let cases: Vec<(ColumnId, u32, Vec<u8>, SetGrbit, i32)> = vec![
        (LONG, 1, vec![1, 2, 3], SetGrbit::NONE, -1047),
        (FIXED_TEXT, 1, b"abcde".to_vec(), SetGrbit::NONE, -1047),
        (TAGGED_DEFAULT, 1, b"abcd".to_vec(), SetGrbit::NONE, -1506),
        (TAGGED_NOT_NULL, 1, vec![1, 2], SetGrbit::NONE, -1047),
        (TAGGED_NOT_NULL, 1, vec![], SetGrbit::NONE, -1504),
        (MULTI, 1, vec![2; 60], SetGrbit::NONE, -1026),
        (MULTI, 0, vec![1; 20], SetGrbit::UNIQUE_MULTI_VALUES, -1525),
        (ColumnId(131), 1, vec![1], SetGrbit::NONE, -1507),
        (ColumnId(0xFFFF), 1, vec![1], SetGrbit::NONE, -1517),
    ];
    for (id, itag, data, grbit, code) in cases {
        assert_eq!(
            r.set(&s, id, itag, &data, grbit).map_err(|e| e.jet_code()),
            Err(code),
            "{id} {data:?}"
        );
        assert_eq!(r.encode(), before, "{id} changed the record");
    }
    // A variable value over cbMax is cut with a warning.
    assert_eq!(
        r.set(&s, VAR_BIN, 1, &[3; 12], SetGrbit::NONE),
        Ok(Some(Warning::ColumnMaxTruncated))
    );
    assert_eq!(get(&r, &s, VAR_BIN, 1), Some(&[3u8; 10][..]));
    assert!(r.encoded_len() <= 60);
}

#[test]
fn record_limit_is_the_page_limit() {
    for page in [4096usize, 8192] {
        let most = ese_core::limits::record_most_bytes(page);
        let s = schema(most);
        let mut r = Record::new();
        let overhead = HEADER_BYTES + TAGGED_ENTRY_BYTES;
        r.set(&s, MULTI, 1, &vec![9; most - overhead], SetGrbit::NONE)
            .unwrap();
        assert_eq!(r.encoded_len(), most);
        let err = r.set(&s, MULTI, 1, &vec![9; most - overhead + 1], SetGrbit::NONE);
        assert_eq!(
            err,
            Err(Error::RecordTooBig {
                len: most + 1,
                max: most
            })
        );
        round_trip(&r, &s);
    }
}

#[test]
fn a_reset_record_is_a_new_insert_record() {
    let s = schema(4000);
    let mut r = Record::new_insert(&s).unwrap();
    r.set(&s, LONG, 1, &5i32.to_le_bytes(), SetGrbit::NONE)
        .unwrap();
    r.set(&s, LONG_DEFAULT, 1, &9i32.to_le_bytes(), SetGrbit::NONE)
        .unwrap();
    r.set(&s, VAR_BIN, 1, b"xyz", SetGrbit::NONE).unwrap();
    r.set(&s, VAR_TEXT_DEFAULT, 1, b"", SetGrbit::NONE).unwrap();
    r.set(&s, MULTI, 0, b"one", SetGrbit::NONE).unwrap();
    r.set(&s, TAGGED_DEFAULT, 1, b"abc", SetGrbit::NONE)
        .unwrap();
    r.reset_insert(&s).unwrap();
    let fresh = Record::new_insert(&s).unwrap();
    assert_eq!(r, fresh);
    assert_eq!(r.encode(), fresh.encode());
    assert_eq!(get(&r, &s, LONG, 1), None);
    assert_eq!(get(&r, &s, LONG_DEFAULT, 1), Some(&7i32.to_le_bytes()[..]));
    assert_eq!(get(&r, &s, VAR_TEXT_DEFAULT, 1), Some(&b"dv"[..]));
    assert_eq!(get(&r, &s, MULTI, 1), None);
    // Values set into the reset record's kept buffers read back as set.
    r.set(&s, LONG, 1, &6i32.to_le_bytes(), SetGrbit::NONE)
        .unwrap();
    r.set(&s, VAR_BIN, 1, b"ab", SetGrbit::NONE).unwrap();
    assert_eq!(get(&r, &s, LONG, 1), Some(&6i32.to_le_bytes()[..]));
    assert_eq!(get(&r, &s, VAR_BIN, 1), Some(&b"ab"[..]));
    round_trip(&r, &s);

    // A schema without defaults lays the reset record out without reading its columns.
    let m = model_schema();
    assert_eq!(m.plain_insert(), Some((3, 3)));
    assert_eq!(s.plain_insert(), None, "columns 3 and 129 have defaults");
    let mut r = Record::new_insert(&m).unwrap();
    r.set(&m, ColumnId(2), 1, b"12345", SetGrbit::NONE).unwrap();
    r.set(&m, ColumnId(130), 1, b"v", SetGrbit::NONE).unwrap();
    r.set(&m, ColumnId(257), 1, b"t", SetGrbit::NONE).unwrap();
    r.reset_insert(&m).unwrap();
    let fresh = Record::new_insert(&m).unwrap();
    assert_eq!(r, fresh);
    assert_eq!(r.encode(), fresh.encode());
    r.set(&m, ColumnId(2), 1, b"54321", SetGrbit::NONE).unwrap();
    assert_eq!(get(&r, &m, ColumnId(2), 1), Some(&b"54321"[..]));
    round_trip(&r, &m);
}

#[test]
fn a_variable_value_set_in_place_keeps_the_record_limit() {
    // Header, 3 fixed columns (4 + 4 + 4 bytes and a bitmap byte), 2 variable offsets.
    let base = HEADER_BYTES + 1 + 12 + 4;
    let s = schema(base + 10);
    let mut r = Record::new_insert(&s).unwrap();
    r.set(&s, VAR_TEXT_DEFAULT, 1, b"", SetGrbit::NONE).unwrap();
    assert_eq!(r.encoded_len(), base);
    r.set(&s, VAR_BIN, 1, &[1; 10], SetGrbit::NONE).unwrap();
    assert_eq!(r.encoded_len(), base + 10);
    let before = r.encode();
    assert_eq!(
        r.set(&s, VAR_TEXT_DEFAULT, 1, b"x", SetGrbit::NONE),
        Err(Error::RecordTooBig {
            len: base + 11,
            max: base + 10
        })
    );
    assert_eq!(r.encode(), before, "a refused set changes nothing");
    // A shorter value in the same slot makes room.
    r.set(&s, VAR_BIN, 1, &[2; 9], SetGrbit::NONE).unwrap();
    r.set(&s, VAR_TEXT_DEFAULT, 1, b"x", SetGrbit::NONE)
        .unwrap();
    assert_eq!(get(&r, &s, VAR_BIN, 1), Some(&[2u8; 9][..]));
    assert_eq!(get(&r, &s, VAR_TEXT_DEFAULT, 1), Some(&b"x"[..]));
    round_trip(&r, &s);
}

// ---------------------------------------------------------------------------------------------
// Model-based property test

/// A stored value in the model.
#[derive(Clone, Debug, PartialEq, Eq)]
enum MValue {
    Bytes(Vec<u8>),
    Lv(u64),
}

/// Schema without defaults or NotNULL, so the model needs only the itag rules:
/// 1 Long, 2 fixed Binary(5), 3 Short; 128 Binary(20), 129 Text(10), 130 Binary;
/// 256 LongBinary, 257 Binary(30), 258 Long tagged, 259 LongText.
fn model_schema() -> ColumnSet {
    let specs = [
        spec(ColumnType::Long, ColumnGrbit::NONE, 0, &[]),
        spec(ColumnType::Binary, ColumnGrbit::FIXED, 5, &[]),
        spec(ColumnType::Short, ColumnGrbit::NONE, 0, &[]),
        spec(ColumnType::Binary, ColumnGrbit::NONE, 20, &[]),
        spec(ColumnType::Text, ColumnGrbit::NONE, 10, &[]),
        spec(ColumnType::Binary, ColumnGrbit::NONE, 0, &[]),
        spec(ColumnType::LongBinary, ColumnGrbit::MULTI_VALUED, 0, &[]),
        spec(ColumnType::Binary, ColumnGrbit::TAGGED, 30, &[]),
        spec(ColumnType::Long, ColumnGrbit::TAGGED, 0, &[]),
        spec(ColumnType::LongText, ColumnGrbit::NONE, 0, &[]),
    ];
    let mut set = ColumnSet::new(400);
    for s in &specs {
        set.add(s, true).unwrap();
    }
    set
}

const MODEL_COLUMNS: [u32; 10] = [1, 2, 3, 128, 129, 130, 256, 257, 258, 259];

#[derive(Clone, Debug)]
enum Op {
    Set(usize, u32, Vec<u8>, bool),
    Delete(usize, u32),
    Append(usize, Vec<u8>),
    Separate(usize, u32, u64),
}

fn op() -> impl Strategy<Value = Op> {
    let col = 0..MODEL_COLUMNS.len();
    let data = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..6),
        prop::collection::vec(any::<u8>(), 0..40),
        prop::collection::vec(any::<u8>(), 2..=2),
        prop::collection::vec(any::<u8>(), 4..=4),
    ];
    prop_oneof![
        4 => (col.clone(), 0..5u32, data.clone(), any::<bool>()).prop_map(|(c, i, d, z)| Op::Set(c, i, d, z)),
        2 => (col.clone(), 0..5u32).prop_map(|(c, i)| Op::Delete(c, i)),
        2 => (col.clone(), data).prop_map(|(c, d)| Op::Append(c, d)),
        1 => (col, 0..5u32, any::<u64>()).prop_map(|(c, i, l)| Op::Separate(c, i, l)),
    ]
}

/// The model: every column's values in order (fixed/variable columns hold at most one).
type Model = BTreeMap<u32, Vec<MValue>>;

/// The model's expectation for one op: the new value list, or the JET code of the error.
fn model_apply(
    s: &ColumnSet,
    model: &Model,
    op: &Op,
) -> std::result::Result<(u32, Vec<MValue>), i32> {
    let (index, itag, value) = match op {
        Op::Set(c, i, d, zero) => {
            let v = if d.is_empty() && !zero {
                None
            } else {
                Some(MValue::Bytes(d.clone()))
            };
            (*c, *i, v)
        }
        Op::Delete(c, i) => (*c, *i, None),
        Op::Append(c, d) => (*c, 0, (!d.is_empty()).then(|| MValue::Bytes(d.clone()))),
        Op::Separate(c, i, l) => (*c, *i, Some(MValue::Lv(*l))),
    };
    let id = MODEL_COLUMNS[index];
    let col = s.get(ColumnId(id)).map_err(|e| e.jet_code())?;
    let mut values = model.get(&id).cloned().unwrap_or_default();
    let class = col.class();
    if let Some(MValue::Lv(_)) = value
        && !col.coltyp.is_long_value()
    {
        return Err(-1003);
    }
    let value = match (class, value) {
        (ColumnClass::Fixed, Some(MValue::Bytes(d))) if d.is_empty() => None,
        (ColumnClass::Fixed, Some(MValue::Bytes(mut d))) => {
            if col.coltyp.fixed_size().is_some() && d.len() != col.max_bytes
                || d.len() > col.max_bytes
            {
                return Err(-1047);
            }
            d.resize(col.max_bytes, 0);
            Some(MValue::Bytes(d))
        }
        (ColumnClass::Variable, Some(MValue::Bytes(mut d))) => {
            d.truncate(col.max_bytes);
            Some(MValue::Bytes(d))
        }
        (ColumnClass::Tagged, Some(MValue::Bytes(d))) => {
            if let Some(n) = col.coltyp.fixed_size()
                && d.len() != n
            {
                return Err(-1047);
            }
            if d.len() > col.value_most_bytes() {
                return Err(-1506);
            }
            Some(MValue::Bytes(d))
        }
        (_, v) => v,
    };
    if class == ColumnClass::Tagged {
        let i = itag as usize;
        match value {
            None => {
                if (1..=values.len()).contains(&i) {
                    values.remove(i - 1);
                }
            }
            Some(v) if (1..=values.len()).contains(&i) => values[i - 1] = v,
            Some(v) => values.push(v),
        }
    } else {
        values = value.into_iter().collect();
    }
    Ok((id, values))
}

fn check_against_model(
    r: &Record,
    s: &ColumnSet,
    model: &Model,
) -> std::result::Result<(), TestCaseError> {
    for id in MODEL_COLUMNS {
        let expected = model.get(&id).cloned().unwrap_or_default();
        let count = r
            .value_count(s, ColumnId(id), RetrieveGrbit::NONE)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(count, expected.len(), "count of {}", id);
        for itag in 1..=expected.len() as u32 + 1 {
            let got = r
                .retrieve(s, ColumnId(id), itag, RetrieveGrbit::NONE)
                .map_err(|e| TestCaseError::fail(e.to_string()))?
                .map(|v| match v {
                    ValueRef::Intrinsic(b) => MValue::Bytes(b.to_vec()),
                    ValueRef::Separated(l) => MValue::Lv(l.0),
                });
            prop_assert_eq!(
                got,
                expected.get(itag as usize - 1).cloned(),
                "{} #{}",
                id,
                itag
            );
        }
    }
    let bytes = r.encode();
    prop_assert_eq!(bytes.len(), r.encoded_len());
    prop_assert!(bytes.len() <= s.record_most_bytes());
    let back = Record::decode(&bytes, s).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, r);
    prop_assert_eq!(back.encode(), bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn records_match_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let s = model_schema();
        let mut r = Record::new();
        let mut model = Model::new();
        for op in &ops {
            let before = r.encode();
            let result = apply_real(&mut r, &s, op);
            match (model_apply(&s, &model, op), result) {
                (Ok((id, values)), Ok(())) => {
                    if values.is_empty() {
                        model.remove(&id);
                    } else {
                        model.insert(id, values);
                    }
                }
                // The model does not track sizes; a record overflow must leave it unchanged.
                (Ok(_), Err(Error::RecordTooBig { len, max })) => {
                    prop_assert!(len > max);
                    prop_assert_eq!(r.encode(), before);
                }
                (Err(code), Err(e)) => {
                    prop_assert_eq!(e.jet_code(), code, "{:?}", op);
                    prop_assert_eq!(r.encode(), before);
                }
                (expected, got) => prop_assert!(false, "{:?}: model {:?}, record {:?}", op, expected, got),
            }
            check_against_model(&r, &s, &model)?;
        }
    }

    #[test]
    fn decoding_random_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let s = model_schema();
        if let Ok(r) = Record::decode(&bytes, &s) {
            prop_assert_eq!(r.encode(), bytes);
        }
    }

    #[test]
    fn decoding_damaged_records_never_panics(
        ops in prop::collection::vec(op(), 1..30),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..4),
    ) {
        let s = model_schema();
        let mut r = Record::new();
        for op in &ops {
            let _ = apply_real(&mut r, &s, op);
        }
        let mut bytes = r.encode();
        for (at, byte, kind) in damage {
            match kind {
                0 if !bytes.is_empty() => {
                    let i = at.index(bytes.len());
                    bytes[i] ^= byte | 1;
                }
                1 if !bytes.is_empty() => {
                    let i = at.index(bytes.len());
                    bytes.truncate(i);
                }
                _ => {
                    let i = at.index(bytes.len() + 1);
                    bytes.insert(i, byte);
                }
            }
        }
        if let Ok(decoded) = Record::decode(&bytes, &s) {
            // Whatever decodes is canonical: it encodes back to the same bytes.
            prop_assert_eq!(decoded.encode(), bytes);
        }
    }
}

/// Applies `op` to the record under test.
fn apply_real(r: &mut Record, s: &ColumnSet, op: &Op) -> Result<()> {
    match op {
        Op::Set(c, i, d, z) => {
            let g = if *z {
                SetGrbit::ZERO_LENGTH
            } else {
                SetGrbit::NONE
            };
            r.set(s, ColumnId(MODEL_COLUMNS[*c]), *i, d, g).map(|_| ())
        }
        Op::Delete(c, i) => r
            .set(s, ColumnId(MODEL_COLUMNS[*c]), *i, &[], SetGrbit::NONE)
            .map(|_| ()),
        Op::Append(c, d) => r
            .append(s, ColumnId(MODEL_COLUMNS[*c]), d, SetGrbit::NONE)
            .map(|_| ()),
        Op::Separate(c, i, l) => r.set_separated(s, ColumnId(MODEL_COLUMNS[*c]), *i, LvRef(*l)),
    }
}

/// [`model_schema`] with a column of each class added after it, each with a default, so
/// that records made under [`model_schema`] read those defaults as absent columns.
fn wider_model_schema() -> ColumnSet {
    let mut set = model_schema();
    let extra = [
        spec(ColumnType::Long, ColumnGrbit::NONE, 0, &9i32.to_le_bytes()),
        spec(ColumnType::Binary, ColumnGrbit::NONE, 8, b"var"),
        spec(ColumnType::Binary, ColumnGrbit::TAGGED, 8, b"tag"),
    ];
    for s in &extra {
        set.add(s, true).unwrap();
    }
    set
}

/// The one-pass parse accepts exactly what the step-by-step parse accepts, with the same
/// layout: a record `encode` wrote (`intact`) must take the one pass.
fn check_one_pass_parse(
    bytes: &[u8],
    s: &ColumnSet,
    intact: bool,
) -> std::result::Result<(), TestCaseError> {
    let checked = RecordLayout::parse_checked(bytes, s);
    match RecordLayout::parse_valid(bytes, s) {
        Some(layout) => prop_assert_eq!(Ok(layout), checked),
        None => {
            prop_assert!(checked.is_err(), "one pass refused {:?}", bytes);
            prop_assert!(!intact, "one pass refused an encoded record");
        }
    }
    Ok(())
}

/// Every read `retrieve_stored` makes of `bytes` equals the decoded record's.
fn check_in_place_reads(bytes: &[u8], s: &ColumnSet) -> std::result::Result<(), TestCaseError> {
    let layout = RecordLayout::parse(bytes, s);
    let decoded = Record::decode(bytes, s);
    let (layout, decoded) = match (layout, decoded) {
        (Ok(l), Ok(d)) => (l, d),
        (Err(a), Err(b)) => {
            prop_assert_eq!(a, b);
            return Ok(());
        }
        (a, b) => {
            prop_assert!(false, "parse {:?} but decode {:?}", a, b);
            return Ok(());
        }
    };
    let ids = s
        .iter()
        .map(|c| c.id)
        .chain([ColumnId(5), ColumnId(140), ColumnId(300)]);
    for id in ids {
        for itag in 0..=4 {
            for grbit in [RetrieveGrbit::NONE, RetrieveGrbit::IGNORE_DEFAULT] {
                let stored = Record::retrieve_stored(bytes, &layout, s, id, itag, grbit);
                let expected = decoded.retrieve(s, id, itag, grbit);
                prop_assert_eq!(stored, expected, "column {:?} itag {}", id, itag);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn in_place_reads_match_the_decoded_record(
        ops in prop::collection::vec(op(), 1..40),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..2),
    ) {
        let s = model_schema();
        let mut r = Record::new();
        for op in &ops {
            let _ = apply_real(&mut r, &s, op);
        }
        let mut bytes = r.encode();
        check_one_pass_parse(&bytes, &s, true)?;
        let intact = damage.is_empty();
        for (at, byte) in damage {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] ^= byte | 1;
            }
        }
        check_one_pass_parse(&bytes, &s, intact)?;
        check_one_pass_parse(&bytes, &wider_model_schema(), intact)?;
        check_in_place_reads(&bytes, &s)?;
        check_in_place_reads(&bytes, &wider_model_schema())?;
    }
}

/// Records of the model schema with every part the format has: NULL and set fixed columns,
/// NULL and set variable columns, and tagged columns with one value, several values, a
/// separated value among several and alone, and an explicit NULL.
fn varied_records() -> Vec<Vec<u8>> {
    let s = model_schema();
    let set = |r: &mut Record, id: u32, itag: u32, v: &[u8]| {
        r.set(&s, ColumnId(id), itag, v, SetGrbit::NONE).unwrap();
    };
    let mut full = Record::new();
    set(&mut full, 1, 1, &7i32.to_le_bytes());
    set(&mut full, 3, 1, &3i16.to_le_bytes());
    set(&mut full, 128, 1, b"variable");
    set(&mut full, 130, 1, b"x");
    set(&mut full, 256, 1, b"first");
    set(&mut full, 256, 2, b"second");
    full.set_separated(&s, ColumnId(256), 3, LvRef(9)).unwrap();
    set(&mut full, 257, 1, b"tagged");
    full.set_separated(&s, ColumnId(259), 1, LvRef(0x0102_0304))
        .unwrap();
    let mut nulls = Record::new();
    set(&mut nulls, 2, 1, b"abcde");
    set(&mut nulls, 129, 1, b"t");
    set(&mut nulls, 258, 1, &5i32.to_le_bytes());
    set(&mut nulls, 257, 1, b"gone");
    nulls
        .set(&s, ColumnId(257), 1, &[], SetGrbit::NONE)
        .unwrap();
    let mut multi = Record::new();
    multi.set_separated(&s, ColumnId(256), 1, LvRef(1)).unwrap();
    multi.set_separated(&s, ColumnId(256), 2, LvRef(2)).unwrap();
    set(&mut multi, 258, 1, &1i32.to_le_bytes());
    vec![
        Record::new().encode(),
        Record::new_insert(&s).unwrap().encode(),
        full.encode(),
        nulls.encode(),
        multi.encode(),
    ]
}

#[test]
fn the_one_pass_parse_refuses_every_damage_the_checked_parse_refuses() {
    let s = model_schema();
    for record in varied_records() {
        check_one_pass_parse(&record, &s, true).unwrap();
        for at in 0..record.len() {
            for mask in [1u8, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0xFF, 0x03] {
                let mut bytes = record.clone();
                bytes[at] ^= mask;
                check_one_pass_parse(&bytes, &s, false).unwrap();
            }
        }
        for len in 0..record.len() {
            check_one_pass_parse(&record[..len], &s, false).unwrap();
        }
    }
}
