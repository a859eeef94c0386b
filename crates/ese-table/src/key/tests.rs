//! Tests of key normalization and JetMakeKey: the reference's byte examples, order
//! properties for every type, truncation at the key limits, and the builder's errors.

use std::cmp::Ordering;

use proptest::prelude::*;

use super::*;
use ese_core::limits::key_most_bytes;

fn column(coltyp: ColumnType, code_page: Option<CodePage>, is_fixed: bool) -> KeyColumn {
    KeyColumn {
        id: ColumnId(1),
        coltyp,
        code_page,
        is_fixed,
        max_bytes: coltyp.fixed_size().unwrap_or(255),
        descending: false,
    }
}

fn layout_of(col: KeyColumn) -> KeyLayout {
    KeyLayout::new(vec![col])
}

fn key1(layout: &KeyLayout, v: SegmentData<'_>) -> Vec<u8> {
    layout.index_key(&[v]).unwrap().bytes
}

fn value_key(coltyp: ColumnType, cp: Option<CodePage>, fixed: bool, v: &[u8]) -> Vec<u8> {
    key1(&layout_of(column(coltyp, cp, fixed)), SegmentData::Value(v))
}

#[test]
fn reference_examples_are_byte_exact() {
    let long = |v: i32| value_key(ColumnType::Long, None, true, &v.to_le_bytes());
    assert_eq!(long(5), [0x7F, 0x80, 0, 0, 5]);
    assert_eq!(long(-1), [0x7F, 0x7F, 0xFF, 0xFF, 0xFF]);
    let double = |v: f64| value_key(ColumnType::IEEEDouble, None, true, &v.to_le_bytes());
    assert_eq!(double(1.0), [0x7F, 0xBF, 0xF0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        double(-1.0),
        [0x7F, 0x40, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    );
    assert_eq!(
        value_key(ColumnType::Text, Some(CodePage::Western), false, b"ab"),
        [0x7F, 0x41, 0x42, 0x00]
    );
    assert_eq!(
        value_key(ColumnType::Binary, None, false, b"AB"),
        [0x7F, 0x41, 0x42, 0, 0, 0, 0, 0, 0, 2]
    );
    let l = layout_of(column(ColumnType::Long, None, true));
    assert_eq!(key1(&l, SegmentData::Null), [0x00]);
    let t = layout_of(column(ColumnType::Text, Some(CodePage::Western), false));
    assert_eq!(key1(&t, SegmentData::ZeroLength), [0x40]);
    // Zero-length is text/binary only; other types key it as NULL.
    assert_eq!(key1(&l, SegmentData::ZeroLength), [0x00]);
}

#[test]
fn every_fixed_type_follows_the_table() {
    // (type, little-endian input, expected key)
    let cases: Vec<(ColumnType, Vec<u8>, Vec<u8>)> = vec![
        (ColumnType::Bit, vec![0], vec![0x7F, 0x00]),
        (ColumnType::Bit, vec![7], vec![0x7F, 0xFF]),
        (ColumnType::UnsignedByte, vec![0x9A], vec![0x7F, 0x9A]),
        (ColumnType::Short, vec![0x34, 0x12], vec![0x7F, 0x92, 0x34]),
        (
            ColumnType::UnsignedShort,
            vec![0x34, 0x12],
            vec![0x7F, 0x12, 0x34],
        ),
        (
            ColumnType::UnsignedLong,
            vec![1, 0, 0, 0x80],
            vec![0x7F, 0x80, 0, 0, 1],
        ),
        (
            ColumnType::Currency,
            (-2i64).to_le_bytes().to_vec(),
            vec![0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE],
        ),
        (
            ColumnType::LongLong,
            1i64.to_le_bytes().to_vec(),
            vec![0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1],
        ),
        (
            ColumnType::UnsignedLongLong,
            u64::MAX.to_le_bytes().to_vec(),
            vec![0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        ),
        (
            ColumnType::IEEESingle,
            (-0.0f32).to_le_bytes().to_vec(),
            vec![0x7F, 0x7F, 0xFF, 0xFF, 0xFF],
        ),
        (
            ColumnType::IEEESingle,
            0.0f32.to_le_bytes().to_vec(),
            vec![0x7F, 0x80, 0, 0, 0],
        ),
        (
            ColumnType::DateTime,
            2.5f64.to_le_bytes().to_vec(),
            vec![0x7F, 0xC0, 0x04, 0, 0, 0, 0, 0, 0],
        ),
    ];
    for (t, input, expected) in cases {
        assert_eq!(value_key(t, None, true, &input), expected, "{t:?}");
    }
    // GUID {00112233-4455-6677-8899-AABBCCDDEEFF} as stored (Data1..3 little-endian). ESE
    // permutes the stored bytes without swapping them back, so Data1..3 compare
    // least-significant byte first.
    let guid = [
        0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE,
        0xFF,
    ];
    assert_eq!(
        value_key(ColumnType::Guid, None, true, &guid),
        [
            0x7F, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x88, 0x99, 0x77, 0x66, 0x55, 0x44, 0x33,
            0x22, 0x11, 0x00
        ]
    );
    let mut dot_net = layout_of(column(ColumnType::Guid, None, true));
    dot_net.dot_net_guid = true;
    assert_eq!(
        key1(&dot_net, SegmentData::Value(&guid)),
        [
            0x7F, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC,
            0xDD, 0xEE, 0xFF
        ]
    );
    // Fixed binary is raw; variable binary is chunked with length markers.
    let mut fixed_bin = column(ColumnType::Binary, None, true);
    fixed_bin.max_bytes = 3;
    assert_eq!(
        key1(&layout_of(fixed_bin), SegmentData::Value(&[1, 2, 3])),
        [0x7F, 1, 2, 3]
    );
    let nine: Vec<u8> = (1..=9).collect();
    assert_eq!(
        value_key(ColumnType::Binary, None, false, &nine[..8]),
        [0x7F, 1, 2, 3, 4, 5, 6, 7, 8, 8]
    );
    assert_eq!(
        value_key(ColumnType::LongBinary, None, false, &nine),
        [0x7F, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 0, 0, 0, 0, 0, 0, 0, 1]
    );
    // cp 1252 folds a–z only and stops at the first NUL.
    assert_eq!(
        value_key(
            ColumnType::Text,
            Some(CodePage::Western),
            false,
            b"a\xe9z\0ignored"
        ),
        [0x7F, b'A', 0xE9, b'Z', 0x00]
    );
    // Unicode: our collation, ending 01 00; case and ASCII width ignored.
    let utf16 = |s: &str| {
        s.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    let uni = |s: &str| value_key(ColumnType::Text, Some(CodePage::Unicode), false, &utf16(s));
    assert_eq!(uni("Ab"), [0x7F, 0x43, 0x44, 0x01, 0x00]);
    assert_eq!(uni("aB"), uni("AB"));
    assert_eq!(uni("ÉCOLE"), uni("école"));
    assert_eq!(uni("ΣΊΣΥΦΟΣ"), uni("σίσυφος"));
    assert_eq!(uni("ＡＢＣ"), uni("abc"));
    assert!(uni("a") < uni("ab"));
    assert!(uni("z") < uni("é"));
    assert!(uni("\u{FFFF}") < uni("\u{10000}"));
}

#[test]
fn descending_inverts_the_whole_segment_and_nulls_follow_the_header() {
    let mut col = column(ColumnType::Long, None, true);
    col.descending = true;
    let l = layout_of(col);
    assert_eq!(
        key1(&l, SegmentData::Value(&5i32.to_le_bytes())),
        [0x80, 0x7F, 0xFF, 0xFF, 0xFA]
    );
    assert_eq!(key1(&l, SegmentData::Null), [0xFF]);
    let mut high = layout_of(column(ColumnType::Long, None, true));
    high.sort_nulls_high = true;
    assert_eq!(key1(&high, SegmentData::Null), [0xC0]);
}

// ---------------------------------------------------------------------------------------------
// Order properties

/// The order ESE gives values of `coltyp` (the model the keys must agree with).
fn model_cmp(coltyp: ColumnType, cp: Option<CodePage>, a: &[u8], b: &[u8]) -> Ordering {
    fn arr<const N: usize>(v: &[u8]) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(v);
        out
    }
    match coltyp {
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
        // ESE's float transform is IEEE 754 totalOrder: -NaN < -inf < … < -0 < +0 < … < NaN.
        ColumnType::IEEESingle => f32::from_le_bytes(arr(a)).total_cmp(&f32::from_le_bytes(arr(b))),
        ColumnType::IEEEDouble | ColumnType::DateTime => {
            f64::from_le_bytes(arr(a)).total_cmp(&f64::from_le_bytes(arr(b)))
        }
        ColumnType::Guid => {
            // ESE compares Data4[2..8], Data4[0..2], then the stored bytes of Data3, Data2
            // and Data1 in stored (little-endian) order.
            let order = |g: &[u8]| {
                (
                    g[10..16].to_vec(),
                    g[8..10].to_vec(),
                    g[6..8].to_vec(),
                    g[4..6].to_vec(),
                    g[0..4].to_vec(),
                )
            };
            order(a).cmp(&order(b))
        }
        ColumnType::Binary | ColumnType::LongBinary => a.cmp(b),
        ColumnType::Text | ColumnType::LongText => match cp {
            Some(CodePage::Unicode) => {
                let fold = |v: &[u8]| {
                    utf16_code_points(v)
                        .into_iter()
                        .map(fold_char)
                        .collect::<Vec<u32>>()
                };
                fold(a).cmp(&fold(b))
            }
            _ => {
                let fold = |v: &[u8]| {
                    v.iter()
                        .take_while(|b| **b != 0)
                        .map(u8::to_ascii_uppercase)
                        .collect::<Vec<u8>>()
                };
                fold(a).cmp(&fold(b))
            }
        },
    }
}

/// A type, code page, and two values of it short enough to fit a 255-byte key.
fn typed_pair() -> impl Strategy<Value = (ColumnType, Option<CodePage>, Vec<u8>, Vec<u8>)> {
    let fixed = prop::sample::select(
        ColumnType::ALL
            .iter()
            .copied()
            .filter(|t| t.fixed_size().is_some())
            .collect::<Vec<_>>(),
    )
    .prop_flat_map(|t| {
        let n = t.fixed_size().unwrap_or(1);
        let v = prop::collection::vec(any::<u8>(), n);
        // Small alphabets make ties and near-ties common.
        let small = prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x7F, 0x80, 0xFF]), n);
        let value = prop_oneof![v, small];
        (Just(t), Just(None), value.clone(), value)
    });
    let binary = (
        prop::sample::select(vec![ColumnType::Binary, ColumnType::LongBinary]),
        prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 9, 0xFF]), 0..26),
        prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 9, 0xFF]), 0..26),
    )
        .prop_map(|(t, a, b)| (t, None, a, b));
    let ascii = prop::collection::vec(
        prop::sample::select(vec![0u8, b'a', b'A', b'b', b'Z', b'_', 0x80, 0xE9, 0xFF]),
        0..40,
    );
    let western =
        (ascii.clone(), ascii).prop_map(|(a, b)| (ColumnType::Text, Some(CodePage::Western), a, b));
    let chars = prop::collection::vec(
        prop::sample::select(vec![
            'a',
            'A',
            'b',
            'é',
            'É',
            'ÿ',
            'Ÿ',
            'σ',
            'ς',
            'Σ',
            'ж',
            'Ж',
            'Ａ',
            '中',
            '\u{10437}',
            '\0',
        ]),
        0..30,
    );
    let unicode = (chars.clone(), chars).prop_map(|(a, b)| {
        let enc = |s: Vec<char>| {
            s.into_iter()
                .collect::<String>()
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>()
        };
        (
            ColumnType::LongText,
            Some(CodePage::Unicode),
            enc(a),
            enc(b),
        )
    });
    prop_oneof![4 => fixed, 2 => binary, 1 => western, 1 => unicode]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn key_order_is_value_order((t, cp, a, b) in typed_pair(), descending: bool, nulls_high: bool) {
        let fixed = t.fixed_size().is_some();
        let mut col = column(t, cp, fixed);
        col.descending = descending;
        let mut layout = layout_of(col);
        layout.sort_nulls_high = nulls_high;
        fn data(v: &[u8]) -> SegmentData<'_> {
            if v.is_empty() { SegmentData::ZeroLength } else { SegmentData::Value(v) }
        }
        let ka = layout.index_key(&[data(&a)]).unwrap();
        let kb = layout.index_key(&[data(&b)]).unwrap();
        prop_assert!(!ka.truncated && !kb.truncated);
        let mut expected = match (a.is_empty(), b.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => model_cmp(t, cp, &a, &b),
        };
        if descending {
            expected = expected.reverse();
        }
        prop_assert_eq!(ka.bytes.cmp(&kb.bytes), expected, "{:?} {:?} {:?}", t, a, b);

        // NULL sorts before every value (and zero-length), or after with SortNullsHigh;
        // descending reverses that too.
        let kn = layout.index_key(&[SegmentData::Null]).unwrap();
        let mut null_vs_value = if nulls_high { Ordering::Greater } else { Ordering::Less };
        if descending {
            null_vs_value = null_vs_value.reverse();
        }
        prop_assert_eq!(kn.bytes.cmp(&ka.bytes), null_vs_value);
    }

    #[test]
    fn two_column_keys_order_lexicographically(
        a in (any::<i32>(), "[a-c]{0,4}"),
        b in (any::<i32>(), "[a-c]{0,4}"),
        desc_first: bool,
    ) {
        let mut first = column(ColumnType::Long, None, true);
        first.descending = desc_first;
        let second = column(ColumnType::Text, Some(CodePage::Western), false);
        let layout = KeyLayout::new(vec![first, second]);
        let key = |(n, s): &(i32, String)| {
            let n = n.to_le_bytes();
            layout.index_key(&[SegmentData::Value(&n), SegmentData::Value(s.as_bytes())]).unwrap().bytes
        };
        let first_order = if desc_first { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) };
        let expected = first_order.then_with(|| a.1.cmp(&b.1));
        // Empty text is a value here, so compare through the model with empties as ZeroLength.
        if a.1.is_empty() || b.1.is_empty() {
            return Ok(());
        }
        prop_assert_eq!(key(&a).cmp(&key(&b)), expected);
    }
}

// ---------------------------------------------------------------------------------------------
// Truncation

#[test]
fn keys_are_truncated_at_the_page_key_limit() {
    for page in [4096usize, 8192] {
        let most = key_most_bytes(page);
        for (t, cp) in [
            (ColumnType::LongBinary, None),
            (ColumnType::LongText, Some(CodePage::Western)),
            (ColumnType::LongText, Some(CodePage::Unicode)),
        ] {
            let mut layout = layout_of(column(t, cp, false));
            layout.key_most_bytes = most;
            let value = vec![b'x'; 3 * most];
            let key = layout.index_key(&[SegmentData::Value(&value)]).unwrap();
            assert_eq!(key.bytes.len(), most, "{page} {t:?} {cp:?}");
            assert!(key.truncated, "{page} {t:?}");
            // A value that just fits is not truncated.
            let small = layout
                .index_key(&[SegmentData::Value(&value[..most / 3])])
                .unwrap();
            assert!(!small.truncated && small.bytes.len() < most, "{page} {t:?}");
            layout.disallow_truncation = true;
            assert_eq!(
                layout.index_key(&[SegmentData::Value(&value)]),
                Err(Error::KeyTruncated)
            );
        }
        // Fixed-size segments are cut at the limit too, and later columns are dropped.
        let mut bin = column(ColumnType::Binary, None, false);
        bin.max_bytes = 255;
        let long = column(ColumnType::Long, None, true);
        let mut layout = KeyLayout::new(vec![bin, long]);
        layout.key_most_bytes = most;
        let chunks = (most - 1) / 9;
        let value = vec![7u8; chunks * 8];
        let n = 1i32.to_le_bytes();
        let key = layout
            .index_key(&[SegmentData::Value(&value), SegmentData::Value(&n)])
            .unwrap();
        assert_eq!(key.bytes.len(), most, "{page}");
        assert!(key.truncated);
        assert_eq!(
            key.bytes[most - (most - 1 - chunks * 9)..],
            [0x7F, 0x80, 0, 0, 1][..most - 1 - chunks * 9]
        );
    }
}

#[test]
fn legacy_indexes_cut_text_and_binary_to_255_bytes_first() {
    let layout = layout_of(column(ColumnType::LongText, Some(CodePage::Western), false));
    let mut a = vec![b'q'; 300];
    let b = a.clone();
    a[280] = b'z';
    let ka = layout.index_key(&[SegmentData::Value(&a)]).unwrap();
    let kb = layout.index_key(&[SegmentData::Value(&b)]).unwrap();
    assert_eq!(ka, kb);
    assert_eq!(ka.bytes.len(), 255);
    assert!(ka.truncated);
    // The cut keeps 253 folded bytes, then the last byte with 0x20 subtracted and no NUL.
    assert_eq!(ka.bytes[1..254], [b'Q'; 253][..]);
    assert_eq!(ka.bytes[254], b'q' - 0x20);
    // The quirk applies to any byte, not only letters.
    let digits = vec![b'1'; 300];
    let k = layout.index_key(&[SegmentData::Value(&digits)]).unwrap();
    assert_eq!(k.bytes[254], b'1' - 0x20);
}

#[test]
fn var_seg_mac_caps_segments_without_truncation() {
    let mut layout = layout_of(column(ColumnType::Text, Some(CodePage::Western), false));
    layout.var_seg_mac = 5;
    let key = layout
        .index_key(&[SegmentData::Value(b"abcdefgh")])
        .unwrap();
    assert_eq!(key.bytes, [0x7F, b'A', b'B', b'C', b'd' - 0x20]);
    assert!(!key.truncated);
    let mut bin = layout_of(column(ColumnType::Binary, None, false));
    bin.var_seg_mac = 12;
    let key = bin.index_key(&[SegmentData::Value(&[1; 20])]).unwrap();
    assert_eq!(key.bytes.len(), 12);
    assert!(!key.truncated);
}

// ---------------------------------------------------------------------------------------------
// JetMakeKey

fn text_long_layout() -> KeyLayout {
    KeyLayout::new(vec![
        column(ColumnType::Text, Some(CodePage::Western), false),
        column(ColumnType::Long, None, true),
    ])
}

#[test]
fn make_key_builds_segments_in_order() {
    let layout = text_long_layout();
    let mut kb = KeyBuilder::new(&layout);
    kb.make_key(b"ab", MakeKeyGrbit::NEW_KEY).unwrap();
    kb.make_key(&5i32.to_le_bytes(), MakeKeyGrbit::NONE)
        .unwrap();
    assert_eq!(
        kb.key().unwrap(),
        [0x7F, b'A', b'B', 0, 0x7F, 0x80, 0, 0, 5]
    );
    assert_eq!(
        layout
            .index_key(&[
                SegmentData::Value(b"ab"),
                SegmentData::Value(&5i32.to_le_bytes())
            ])
            .unwrap()
            .bytes,
        kb.key().unwrap()
    );
    let key = kb.take().unwrap();
    assert_eq!(key.bytes.len(), 9);
    assert_eq!(kb.key(), Err(Error::KeyNotMade));
    // Empty data is NULL, or zero-length with KeyDataZeroLength.
    kb.make_key(b"", MakeKeyGrbit::NEW_KEY).unwrap();
    assert_eq!(kb.key().unwrap(), [0x00]);
    kb.make_key(
        b"",
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::KEY_DATA_ZERO_LENGTH,
    )
    .unwrap();
    assert_eq!(kb.key().unwrap(), [0x40]);
}

#[test]
fn make_key_misuse_gives_ese_errors() {
    let layout = text_long_layout();
    let n = 1i32.to_le_bytes();
    // (calls before the failing one, failing call, expected JET code)
    type Call<'a> = (&'a [u8], u32);
    let cases: Vec<(Vec<Call<'_>>, Call<'_>, i32)> = vec![
        (vec![], (b"a", 0), -1608),
        (vec![(b"a", 1), (&n, 0)], (&n, 0), -1516),
        (vec![(b"a", 1 | 0x200)], (&n, 0), -1516),
        (vec![(b"a", 1 | 0x100)], (&n, 0), -1516),
        (vec![(b"a", 1)], (b"abc", 0), -1047),
        (vec![(b"a", 1)], (b"", 0x10), -1047),
        (vec![(b"a", 1)], (&n, 0x400), -900),
        (vec![], (b"a", 1 | 0x300), -900),
        (vec![], (b"a", 1 | 0x600), -900),
        (vec![], (&[0u8; 257], 0x8), -1003),
    ];
    for (i, (before, (data, grbit), code)) in cases.into_iter().enumerate() {
        let mut kb = KeyBuilder::new(&layout);
        for (d, g) in before {
            kb.make_key(d, MakeKeyGrbit(g)).unwrap();
        }
        assert_eq!(
            kb.make_key(data, MakeKeyGrbit(grbit))
                .map_err(|e| e.jet_code()),
            Err(code),
            "case {i}"
        );
    }
    let sequential = KeyLayout::new(Vec::new());
    let mut kb = KeyBuilder::new(&sequential);
    assert_eq!(
        kb.make_key(b"a", MakeKeyGrbit::NEW_KEY)
            .map_err(|e| e.jet_code()),
        Err(-1515)
    );
    kb.make_key(&[0, 0, 0, 1], MakeKeyGrbit::NORMALIZED_KEY)
        .unwrap();
    assert_eq!(kb.key().unwrap(), [0, 0, 0, 1]);
    // A normalized key of cbKeyMost + 1 bytes is a limit key.
    kb.make_key(&[9; 256], MakeKeyGrbit::NORMALIZED_KEY)
        .unwrap();
    assert!(kb.is_limit());
    assert_eq!(kb.key().unwrap().len(), 256);
}

#[test]
fn limits_fill_with_the_sentinel_after_inversion() {
    let layout = text_long_layout();
    let mut kb = KeyBuilder::new(&layout);
    kb.make_key(
        b"ab",
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::FULL_COLUMN_END_LIMIT,
    )
    .unwrap();
    let key = kb.key().unwrap();
    assert_eq!(key.len(), 256);
    assert_eq!(key[..4], [0x7F, b'A', b'B', 0]);
    assert!(key[4..].iter().all(|b| *b == 0xFF));
    assert!(kb.is_limit());

    kb.make_key(
        b"ab",
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::FULL_COLUMN_START_LIMIT,
    )
    .unwrap();
    assert_eq!(kb.key().unwrap(), [0x7F, b'A', b'B', 0]);

    kb.make_key(
        b"ab",
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::PARTIAL_COLUMN_START_LIMIT,
    )
    .unwrap();
    assert_eq!(kb.key().unwrap(), [0x7F, b'A', b'B']);

    for grbit in [
        MakeKeyGrbit::PARTIAL_COLUMN_END_LIMIT,
        MakeKeyGrbit::SUB_STR_LIMIT,
    ] {
        kb.make_key(b"ab", MakeKeyGrbit::NEW_KEY | grbit).unwrap();
        let key = kb.key().unwrap();
        assert_eq!(key.len(), 256);
        assert_eq!(key[..3], [0x7F, b'A', b'B']);
        assert!(key[3..].iter().all(|b| *b == 0xFF));
    }
    // StrLimit on text without SubStrLimit is a full-column end limit.
    kb.make_key(b"ab", MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::STR_LIMIT)
        .unwrap();
    assert_eq!(kb.key().unwrap()[3], 0x00);

    // Descending text: the terminator is 0xFF after inversion and is still found.
    let mut desc = column(ColumnType::Text, Some(CodePage::Western), false);
    desc.descending = true;
    let d = KeyLayout::new(vec![desc]);
    let mut kb = KeyBuilder::new(&d);
    kb.make_key(
        b"ab",
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::PARTIAL_COLUMN_START_LIMIT,
    )
    .unwrap();
    assert_eq!(kb.key().unwrap(), [0x80, !b'A', !b'B']);

    // Unicode: partial limits cut at the first 01.
    let u = KeyLayout::new(vec![column(
        ColumnType::Text,
        Some(CodePage::Unicode),
        false,
    )]);
    let mut kb = KeyBuilder::new(&u);
    let ab: Vec<u8> = "ab".encode_utf16().flat_map(u16::to_le_bytes).collect();
    kb.make_key(
        &ab,
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::PARTIAL_COLUMN_START_LIMIT,
    )
    .unwrap();
    assert_eq!(kb.key().unwrap(), [0x7F, 0x43, 0x44]);

    // Variable binary: StrLimit fills from the end of the data.
    let b = KeyLayout::new(vec![column(ColumnType::Binary, None, false)]);
    let mut kb = KeyBuilder::new(&b);
    kb.make_key(b"AB", MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::STR_LIMIT)
        .unwrap();
    assert_eq!(
        kb.key().unwrap(),
        [
            0x7F, 0x41, 0x42, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF
        ]
    );
    kb.make_key(
        b"AB",
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::PARTIAL_COLUMN_START_LIMIT,
    )
    .unwrap();
    assert_eq!(kb.key().unwrap(), [0x7F, 0x41, 0x42]);
}

#[test]
fn fixed_text_search_data_is_space_padded() {
    let mut col = column(ColumnType::Text, Some(CodePage::Western), true);
    col.max_bytes = 4;
    let layout = KeyLayout::new(vec![col]);
    let mut kb = KeyBuilder::new(&layout);
    kb.make_key(b"ab", MakeKeyGrbit::NEW_KEY).unwrap();
    assert_eq!(kb.key().unwrap(), [0x7F, b'A', b'B', b' ', b' ', 0]);
    assert_eq!(
        kb.make_key(b"abcde", MakeKeyGrbit::NEW_KEY)
            .map_err(|e| e.jet_code()),
        Err(-1047)
    );
}

#[test]
fn search_keys_stop_growing_at_the_limit() {
    for page in [4096usize, 8192] {
        let mut layout = KeyLayout::new(vec![
            column(ColumnType::LongBinary, None, false),
            column(ColumnType::Long, None, true),
        ]);
        layout.key_most_bytes = key_most_bytes(page);
        let mut kb = KeyBuilder::new(&layout);
        kb.make_key(&vec![1u8; 4000], MakeKeyGrbit::NEW_KEY)
            .unwrap();
        assert!(kb.is_truncated());
        assert_eq!(kb.key().unwrap().len(), layout.key_most_bytes);
        // The next column adds nothing once the key is full.
        kb.make_key(&1i32.to_le_bytes(), MakeKeyGrbit::FULL_COLUMN_END_LIMIT)
            .unwrap();
        assert_eq!(kb.key().unwrap().len(), layout.key_most_bytes);
        assert_eq!(kb.column_count(), 2);
    }
}

#[test]
fn unicode_ignores_an_odd_trailing_byte_and_descending_limits_still_fill_with_ff() {
    let u = layout_of(column(ColumnType::Text, Some(CodePage::Unicode), false));
    assert_eq!(
        key1(&u, SegmentData::Value(&[b'a', 0, b'b'])),
        key1(&u, SegmentData::Value(&[b'A', 0]))
    );
    let mut desc = column(ColumnType::Long, None, true);
    desc.descending = true;
    let d = KeyLayout::new(vec![desc]);
    let mut kb = KeyBuilder::new(&d);
    kb.make_key(
        &0i32.to_le_bytes(),
        MakeKeyGrbit::NEW_KEY | MakeKeyGrbit::FULL_COLUMN_END_LIMIT,
    )
    .unwrap();
    let key = kb.key().unwrap();
    assert_eq!(key[..5], [0x80, 0x7F, 0xFF, 0xFF, 0xFF]);
    assert_eq!(key.len(), 256);
    assert!(key[5..].iter().all(|b| *b == 0xFF));
}

#[test]
fn fixed_binary_search_keys_equal_index_keys_at_every_size_and_cap() {
    // The in-place path of a fixed binary column and the general normalization must give
    // the same bytes: two fixed binary columns, at sizes around each cap and limit.
    for key_most in [KEY_MOST_LEGACY_BYTES, 1000] {
        for var_seg_mac in [0, 9, 24, 25, 26] {
            for (w1, w2) in [(24, 8), (8, 24), (200, 60), (250, 4), (254, 1), (255, 3)] {
                for descending in [false, true] {
                    let mut c1 = column(ColumnType::Binary, None, true);
                    c1.max_bytes = w1;
                    c1.descending = descending;
                    let mut c2 = column(ColumnType::Binary, None, true);
                    c2.id = ColumnId(2);
                    c2.max_bytes = w2;
                    let mut layout = KeyLayout::new(vec![c1, c2]);
                    layout.key_most_bytes = key_most;
                    layout.var_seg_mac = var_seg_mac;
                    let (d1, d2) = (vec![0xA5u8; w1], vec![0x01u8; w2]);
                    let mut kb = KeyBuilder::new(&layout);
                    kb.make_key(&d1, MakeKeyGrbit::NEW_KEY).unwrap();
                    kb.make_key(&d2, MakeKeyGrbit::KEY_DATA_ZERO_LENGTH)
                        .unwrap();
                    let want = layout
                        .index_key(&[SegmentData::Value(&d1), SegmentData::Value(&d2)])
                        .unwrap();
                    let case = (key_most, var_seg_mac, w1, w2, descending);
                    assert_eq!(kb.key().unwrap(), want.bytes.as_slice(), "{case:?}");
                    // A column that finds the key already full is not flagged by JetMakeKey
                    // (as before this path existed); everywhere else the flags agree.
                    if want.bytes.len() > w1 + 1 || w1 + 1 > key_most {
                        assert_eq!(kb.is_truncated(), want.truncated, "{case:?}");
                    }
                    // A wrong size is still refused, a key of both columns is complete.
                    assert_eq!(
                        kb.make_key(&d2, MakeKeyGrbit::NONE),
                        Err(Error::KeyIsMade),
                        "{case:?}"
                    );
                    let mut kb = KeyBuilder::new(&layout);
                    assert!(matches!(
                        kb.make_key(&d1[1..], MakeKeyGrbit::NEW_KEY),
                        Err(Error::InvalidBufferSize { .. })
                    ));
                }
            }
        }
    }
}
