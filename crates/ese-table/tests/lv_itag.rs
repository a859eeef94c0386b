//! JET_bitSetAppendLV and itagSequence (reference 13 §3): appends with itagSequence 1 (what a
//! NULL JET_SETINFO means) grow one value, chunk after chunk; itagSequence 0 adds a new
//! instance at every call, on any tagged column, MultiValued or not, as ESE does.

use ese_table::testing::TestStack;
use ese_table::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, MOVE_FIRST, Prep, RetrieveGrbit, SetGrbit,
    SetInfo, TableCreate, TableCursor,
};
use ese_txn::Session;

/// The chunk size of the reported failure: just over 64 KiB, so the value is separated.
const CHUNK: usize = 65_543;

fn chunk(i: usize) -> Vec<u8> {
    (0..CHUNK).map(|j| (i * 31 + j * 7) as u8).collect()
}

fn table(stack: &TestStack, s: &mut Session, grbit: ColumnGrbit) -> (TableCursor, ColumnId) {
    let create =
        TableCreate::new("t").column("blob", ColumnSpec::new(ColumnType::LongBinary, grbit));
    let (c, _) = stack.catalog.create_table(s, &create).expect("test helper");
    let id = c.schema().column_id("blob").expect("test helper");
    (c, id)
}

/// Inserts one record whose `blob` gets `chunks` appended with itagSequence `itag`.
fn append_all(
    stack: &TestStack,
    s: &mut Session,
    c: &mut TableCursor,
    id: ColumnId,
    itag: u32,
    chunks: &[Vec<u8>],
) {
    stack.begin(s).expect("test helper");
    c.prepare_update(s, Prep::Insert).expect("test helper");
    let info = SetInfo {
        ib_long_value: 0,
        itag_sequence: itag,
    };
    for piece in chunks {
        c.set_column_ex(s, id, piece, SetGrbit::APPEND_LV, info)
            .expect("test helper");
    }
    c.update(s).expect("test helper");
    stack.commit(s).expect("test helper");
    c.move_to(s, MOVE_FIRST).expect("test helper");
}

#[test]
fn append_lv_with_itag_one_grows_one_value() {
    let chunks: Vec<Vec<u8>> = (0..4).map(chunk).collect();
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, id) = table(&stack, &mut s, ColumnGrbit::TAGGED);
    append_all(&stack, &mut s, &mut c, id, 1, &chunks);
    assert_eq!(c.value_count(&s, id, RetrieveGrbit::NONE).unwrap(), 1);
    let got = c
        .retrieve_column(&s, id, 1, RetrieveGrbit::NONE)
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 4 * CHUNK);
    assert!(got == chunks.concat(), "the appended bytes differ");
}

#[test]
fn append_lv_with_itag_zero_adds_a_value_per_call_on_any_tagged_column() {
    // Every tagged column may hold several values; MultiValued only changes indexing
    // (JET_SETINFO docs, reference 10 §3): itagSequence 0 starts a new instance each time.
    let chunks: Vec<Vec<u8>> = (0..4).map(chunk).collect();
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, id) = table(&stack, &mut s, ColumnGrbit::TAGGED);
    append_all(&stack, &mut s, &mut c, id, 0, &chunks);
    assert_eq!(c.value_count(&s, id, RetrieveGrbit::NONE).unwrap(), 4);
    for (i, want) in chunks.iter().enumerate() {
        let got = c
            .retrieve_column(&s, id, i as u32 + 1, RetrieveGrbit::NONE)
            .unwrap()
            .unwrap();
        assert!(&got == want, "value {} differs", i + 1);
    }
}

#[test]
fn append_lv_with_itag_zero_on_a_multi_valued_column_adds_values() {
    let chunks: Vec<Vec<u8>> = (0..3).map(|i| vec![i as u8 + 1; 100]).collect();
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let (mut c, id) = table(
        &stack,
        &mut s,
        ColumnGrbit::TAGGED | ColumnGrbit::MULTI_VALUED,
    );
    append_all(&stack, &mut s, &mut c, id, 0, &chunks);
    assert_eq!(c.value_count(&s, id, RetrieveGrbit::NONE).unwrap(), 3);
    for (i, want) in chunks.iter().enumerate() {
        let got = c
            .retrieve_column(&s, id, i as u32 + 1, RetrieveGrbit::NONE)
            .unwrap();
        assert_eq!(got.as_ref(), Some(want));
    }
}
