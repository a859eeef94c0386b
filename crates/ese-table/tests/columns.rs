//! Tagged and multi-valued columns, long values, escrow, autoincrement, version and default
//! columns, batches and enumeration, on a real stack.

use ese_table::testing::TestStack;
use ese_table::{
    ColumnGrbit as G, ColumnId, ColumnSpec, ColumnType as T, EnumColumnId, EnumerateGrbit, Error,
    EscrowGrbit, IndexCreate, IndexGrbit, MOVE_FIRST, MOVE_NEXT, Prep, RetInfo, RetrieveColumn,
    RetrieveGrbit as R, SetColumn, SetGrbit as S, SetInfo, TableCreate, TableCursor, Warning,
};
use ese_txn::Session;

fn spec(t: T, g: G) -> ColumnSpec {
    ColumnSpec::new(t, g)
}

fn info(itag: u32) -> SetInfo {
    SetInfo {
        ib_long_value: 0,
        itag_sequence: itag,
    }
}

fn col(c: &TableCursor, name: &str) -> ColumnId {
    c.schema().column_id(name).expect("test helper")
}

fn get(c: &mut TableCursor, s: &Session, id: ColumnId, itag: u32, g: R) -> Option<Vec<u8>> {
    c.retrieve_column(s, id, itag, g).expect("test helper")
}

fn lv_nodes(c: &TableCursor) -> u64 {
    c.long_value_tree()
        .expect("test helper")
        .expect("test helper")
        .node_count()
        .expect("test helper")
}

/// A table with a Long key "id", a multi-valued tagged Text "tags", a LongBinary "blob"
/// (multi-valued), a LongText "memo" limited to 5000 bytes.
fn lv_table(stack: &TestStack, s: &mut Session, name: &str) -> TableCursor {
    let mut memo = spec(T::LongText, G::NONE);
    memo.max_bytes = 5000;
    let create = TableCreate::new(name)
        .column("id", spec(T::Long, G::NONE))
        .column("tags", spec(T::Text, G::TAGGED | G::MULTI_VALUED))
        .column("blob", spec(T::LongBinary, G::MULTI_VALUED))
        .column("memo", memo)
        .index(IndexCreate::new("primary", b"+id\0\0", IndexGrbit::PRIMARY));
    stack
        .catalog
        .create_table(s, &create)
        .expect("test helper")
        .0
}

fn begin_insert(c: &mut TableCursor, s: &mut Session, id: i32) {
    c.prepare_update(s, Prep::Insert).expect("test helper");
    let idc = col(c, "id");
    c.set_column(idc, &id.to_le_bytes(), S::NONE, 1)
        .expect("test helper");
}

fn seek_id(c: &mut TableCursor, s: &Session, id: i32) {
    c.move_to(s, MOVE_FIRST).expect("test helper");
    let idc = col(c, "id");
    loop {
        let v = get(c, s, idc, 1, R::NONE).expect("test helper");
        if i32::from_le_bytes(v.try_into().expect("test helper")) == id {
            return;
        }
        c.move_to(s, MOVE_NEXT).expect("test helper");
    }
}

#[test]
fn multi_values_are_addressed_by_itag_sequence() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = lv_table(&stack, &mut s, "t");
    let tags = col(&c, "tags");
    begin_insert(&mut c, &mut s, 1);
    for (i, v) in ["a", "b", "c"].iter().enumerate() {
        // itagSequence 0 appends; beyond the last appends too.
        let itag = if i == 2 { 9 } else { 0 };
        c.set_column(tags, v.as_bytes(), S::NONE, itag).unwrap();
    }
    c.set_column(tags, b"B", S::NONE, 2).unwrap();
    assert_eq!(
        c.set_column(tags, b"a", S::UNIQUE_MULTI_VALUES, 0),
        Err(Error::MultiValuedDuplicate)
    );
    // Normalized: text folds case.
    assert_eq!(
        c.set_column(tags, b"A", S::UNIQUE_NORMALIZED_MULTI_VALUES, 0),
        Err(Error::MultiValuedDuplicate)
    );
    c.set_column(tags, b"A", S::UNIQUE_MULTI_VALUES, 0).unwrap();
    // NULL at 1 removes the value and renumbers.
    c.set_column(tags, b"", S::NONE, 1).unwrap();
    c.update(&mut s).unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    let values: Vec<_> = (1..=4).map(|i| get(&mut c, &s, tags, i, R::NULL)).collect();
    assert_eq!(
        values,
        vec![
            Some(b"B".to_vec()),
            Some(b"c".to_vec()),
            Some(b"A".to_vec()),
            None
        ]
    );
    assert_eq!(
        c.retrieve_column(&s, tags, 0, R::NONE),
        Err(Error::BadItagSequence)
    );
    let mut buf = [0u8; 1];
    let r = c
        .retrieve_column_ex(
            &s,
            tags,
            R::TAG,
            RetInfo {
                ib_long_value: 0,
                itag_sequence: 2,
            },
            &mut buf,
        )
        .unwrap();
    assert_eq!((r.itag_sequence, r.actual_bytes, r.warning), (2, 1, None));
    assert_eq!(&buf, b"c");
    let r = c
        .retrieve_column_ex(
            &s,
            tags,
            R::NONE,
            RetInfo {
                ib_long_value: 0,
                itag_sequence: 7,
            },
            &mut buf,
        )
        .unwrap();
    assert_eq!(r.warning, Some(Warning::ColumnNull));
    assert_eq!(c.value_count(&s, tags, R::NONE).unwrap(), 3);
}

#[test]
fn unique_normalized_values_equal_only_after_truncation() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = lv_table(&stack, &mut s, "t");
    let blob = col(&c, "blob");
    stack.begin(&mut s).unwrap();
    begin_insert(&mut c, &mut s, 1);
    let mut a = vec![7u8; 600];
    c.set_column_ex(&mut s, blob, &a, S::NONE, info(0)).unwrap();
    a[599] = 8;
    assert_eq!(
        c.set_column_ex(&mut s, blob, &a, S::UNIQUE_NORMALIZED_MULTI_VALUES, info(0)),
        Err(Error::MultiValuedDuplicateAfterTruncation)
    );
    c.set_column_ex(&mut s, blob, &a, S::UNIQUE_MULTI_VALUES, info(0))
        .unwrap();
    assert_eq!(
        c.set_column_ex(
            &mut s,
            blob,
            &a,
            S::UNIQUE_MULTI_VALUES | S::APPEND_LV,
            info(0)
        )
        .map_err(|e| e.jet_code()),
        Err(-900)
    );
    assert_eq!(Error::MultiValuedDuplicateAfterTruncation.jet_code(), -1528);
    stack.commit(&mut s).unwrap();
}

#[test]
fn long_values_are_intrinsic_or_separated_by_size_and_grbit() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = lv_table(&stack, &mut s, "t");
    let blob = col(&c, "blob");
    let memo = col(&c, "memo");
    // Long values need a transaction.
    begin_insert(&mut c, &mut s, 1);
    assert_eq!(
        c.set_column_ex(&mut s, blob, b"x", S::NONE, info(1)),
        Err(Error::NotInTransaction)
    );
    assert_eq!(Error::NotInTransaction.jet_code(), -1054);
    stack.begin(&mut s).unwrap();
    c.set_column_ex(&mut s, blob, &[1; 1023], S::NONE, info(0))
        .unwrap();
    assert_eq!(lv_nodes(&c), 0, "1023 bytes stay in the record");
    c.set_column_ex(&mut s, blob, &[2; 1024], S::NONE, info(0))
        .unwrap();
    assert_eq!(lv_nodes(&c), 2, "1024 bytes: a root and one chunk");
    c.set_column_ex(&mut s, blob, &[3; 9], S::SEPARATE_LV, info(0))
        .unwrap();
    assert_eq!(lv_nodes(&c), 4);
    c.set_column_ex(&mut s, blob, &[4; 8], S::SEPARATE_LV, info(0))
        .unwrap();
    assert_eq!(
        lv_nodes(&c),
        4,
        "values up to a LID's size are never separated"
    );
    c.set_column_ex(&mut s, blob, &[5; 2000], S::INTRINSIC_LV, info(0))
        .unwrap();
    assert_eq!(lv_nodes(&c), 4);
    // cbMax of a long value: JET_errColumnTooBig.
    assert_eq!(
        c.set_column_ex(&mut s, memo, &[b'm'; 5001], S::NONE, info(1))
            .map_err(|e| e.jet_code()),
        Err(-1506)
    );
    c.set_column_ex(&mut s, memo, &[b'm'; 5000], S::NONE, info(1))
        .unwrap();
    let bm = c.update(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
    c.goto_bookmark(&s, &bm).unwrap();
    let want: [&[u8]; 5] = [&[1; 1023], &[2; 1024], &[3; 9], &[4; 8], &[5; 2000]];
    for (i, w) in want.iter().enumerate() {
        assert_eq!(get(&mut c, &s, blob, i as u32 + 1, R::NONE).unwrap(), *w);
    }
    assert_eq!(get(&mut c, &s, memo, 1, R::NONE).unwrap(), vec![b'm'; 5000]);
    // Reading at an offset, truncated to the buffer.
    let mut buf = [0u8; 10];
    let r = c
        .retrieve_column_ex(
            &s,
            blob,
            R::NONE,
            RetInfo {
                ib_long_value: 1020,
                itag_sequence: 2,
            },
            &mut buf,
        )
        .unwrap();
    assert_eq!((r.actual_bytes, r.warning), (4, None));
    let r = c
        .retrieve_column_ex(
            &s,
            memo,
            R::NONE,
            RetInfo {
                ib_long_value: 100,
                itag_sequence: 1,
            },
            &mut buf,
        )
        .unwrap();
    assert_eq!(
        (r.actual_bytes, r.warning),
        (4900, Some(Warning::BufferTruncated))
    );
    let r = c
        .retrieve_column_ex(
            &s,
            memo,
            R::NONE,
            RetInfo {
                ib_long_value: 6000,
                itag_sequence: 1,
            },
            &mut buf,
        )
        .unwrap();
    assert_eq!(r.actual_bytes, 0);
}

#[test]
fn append_overwrite_and_size_edit_long_values() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = lv_table(&stack, &mut s, "t");
    let blob = col(&c, "blob");
    stack.begin(&mut s).unwrap();
    begin_insert(&mut c, &mut s, 1);
    let mut model: Vec<u8> = Vec::new();
    // A new instance with OverwriteLV must start at 0.
    assert_eq!(
        c.set_column_ex(
            &mut s,
            blob,
            b"zz",
            S::OVERWRITE_LV,
            SetInfo {
                ib_long_value: 1,
                itag_sequence: 1
            }
        ),
        Err(Error::ColumnNoChunk)
    );
    for i in 0..5u8 {
        let piece = vec![i; 3000];
        c.set_column_ex(&mut s, blob, &piece, S::APPEND_LV, info(1))
            .unwrap();
        model.extend_from_slice(&piece);
    }
    let at = |ib| SetInfo {
        ib_long_value: ib,
        itag_sequence: 1,
    };
    c.set_column_ex(&mut s, blob, &[9; 5000], S::OVERWRITE_LV, at(4000))
        .unwrap();
    model[4000..9000].fill(9);
    c.set_column_ex(&mut s, blob, &[8; 10], S::OVERWRITE_LV, at(15_000))
        .unwrap();
    model.extend_from_slice(&[8; 10]);
    assert_eq!(
        c.set_column_ex(&mut s, blob, &[8; 10], S::OVERWRITE_LV, at(15_011)),
        Err(Error::ColumnNoChunk)
    );
    assert_eq!(Error::ColumnNoChunk.jet_code(), -1502);
    c.set_column_ex(&mut s, blob, &[0; 12_345], S::SIZE_LV, at(0))
        .unwrap();
    model.truncate(12_345);
    c.set_column_ex(&mut s, blob, &[0; 20_000], S::SIZE_LV, at(0))
        .unwrap();
    model.resize(20_000, 0);
    c.set_column_ex(&mut s, blob, &[6; 3], S::OVERWRITE_LV | S::SIZE_LV, at(100))
        .unwrap();
    model[100..103].fill(6);
    model.truncate(103);
    assert_eq!(get(&mut c, &s, blob, 1, R::COPY).unwrap(), model);
    // 103 bytes are intrinsic again only when rewritten; they stay readable either way.
    let bm = c.update(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
    c.goto_bookmark(&s, &bm).unwrap();
    assert_eq!(get(&mut c, &s, blob, 1, R::NONE).unwrap(), model);
    // SizeLV 0 is NULL.
    stack.begin(&mut s).unwrap();
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    c.set_column_ex(&mut s, blob, &[], S::SIZE_LV, at(0))
        .unwrap();
    c.update(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
    assert_eq!(get(&mut c, &s, blob, 1, R::NONE), None);
}

#[test]
fn insert_copy_shares_long_values_safely_and_deletes_free_them() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = lv_table(&stack, &mut s, "t");
    let blob = col(&c, "blob");
    let idc = col(&c, "id");
    let big: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    stack.begin(&mut s).unwrap();
    begin_insert(&mut c, &mut s, 1);
    c.set_column_ex(&mut s, blob, &big, S::NONE, info(1))
        .unwrap();
    c.update(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
    let nodes = lv_nodes(&c);
    assert_eq!(nodes, 1 + big.len().div_ceil(4014) as u64);
    // Copy the record: the value is shared (no new chunks).
    seek_id(&mut c, &s, 1);
    stack.begin(&mut s).unwrap();
    c.prepare_update(&mut s, Prep::InsertCopy).unwrap();
    c.set_column(idc, &2i32.to_le_bytes(), S::NONE, 1).unwrap();
    c.update(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
    assert_eq!(lv_nodes(&c), nodes);
    // Changing the copy copies the value first: the original is unchanged.
    seek_id(&mut c, &s, 2);
    stack.begin(&mut s).unwrap();
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    c.set_column_ex(
        &mut s,
        blob,
        b"CHANGED",
        S::OVERWRITE_LV,
        SetInfo {
            ib_long_value: 10,
            itag_sequence: 1,
        },
    )
    .unwrap();
    c.update(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
    let mut changed = big.clone();
    changed[10..17].copy_from_slice(b"CHANGED");
    assert_eq!(get(&mut c, &s, blob, 1, R::NONE).unwrap(), changed);
    seek_id(&mut c, &s, 1);
    assert_eq!(get(&mut c, &s, blob, 1, R::NONE).unwrap(), big);
    assert_eq!(lv_nodes(&c), 2 * nodes);
    // A cancelled change leaves nothing behind, and neither does a dropped update.
    stack.begin(&mut s).unwrap();
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    c.set_column_ex(&mut s, blob, &big, S::APPEND_LV, info(1))
        .unwrap();
    c.prepare_update(&mut s, Prep::Cancel).unwrap();
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    c.set_column_ex(&mut s, blob, &big, S::NONE, info(0))
        .unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    stack.commit(&mut s).unwrap();
    // Deleting both records frees everything once cleanup runs.
    stack.begin(&mut s).unwrap();
    seek_id(&mut c, &s, 1);
    c.delete(&mut s).unwrap();
    seek_id(&mut c, &s, 2);
    c.delete(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
    let lvt = c.long_value_tree().unwrap().unwrap();
    assert_eq!(lvt.entry_count(&s).unwrap(), 0);
    stack.trees.cleanup().unwrap();
    assert_eq!(lvt.node_count().unwrap(), 0, "no long-value node leaks");
}

#[test]
fn a_ten_megabyte_value_written_in_random_chunks() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = lv_table(&stack, &mut s, "t");
    let blob = col(&c, "blob");
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    const SIZE: usize = 10 * 1024 * 1024;
    let mut model = Vec::with_capacity(SIZE);
    stack.begin(&mut s).unwrap();
    begin_insert(&mut c, &mut s, 1);
    while model.len() < SIZE {
        let n = ((next() % 400_000) as usize + 1).min(SIZE - model.len());
        let fill = next() as u8;
        let piece: Vec<u8> = (0..n).map(|i| fill.wrapping_add(i as u8)).collect();
        c.set_column_ex(&mut s, blob, &piece, S::APPEND_LV, info(1))
            .unwrap();
        model.extend_from_slice(&piece);
        // Commit now and then: the version store holds a bounded amount.
        stack.commit(&mut s).unwrap();
        stack.begin(&mut s).unwrap();
    }
    for _ in 0..40 {
        let at = (next() % SIZE as u64) as usize;
        let n = ((next() % 20_000) as usize).min(SIZE - at);
        let piece = vec![next() as u8; n];
        c.set_column_ex(
            &mut s,
            blob,
            &piece,
            S::OVERWRITE_LV,
            SetInfo {
                ib_long_value: at as u64,
                itag_sequence: 1,
            },
        )
        .unwrap();
        model[at..at + n].copy_from_slice(&piece);
    }
    let bm = c.update(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
    c.goto_bookmark(&s, &bm).unwrap();
    let got = get(&mut c, &s, blob, 1, R::NONE).unwrap();
    assert_eq!(got.len(), SIZE);
    assert!(got == model, "the 10 MB value reads back as written");
    // Random reads at offsets.
    for _ in 0..20 {
        let at = next() % SIZE as u64;
        let mut buf = vec![0u8; 5000];
        let r = c
            .retrieve_column_ex(
                &s,
                blob,
                R::NONE,
                RetInfo {
                    ib_long_value: at,
                    itag_sequence: 1,
                },
                &mut buf,
            )
            .unwrap();
        let n = r.actual_bytes.min(5000);
        assert_eq!(&buf[..n], &model[at as usize..at as usize + n]);
    }
    stack.begin(&mut s).unwrap();
    c.delete(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
    stack.trees.cleanup().unwrap();
    assert_eq!(lv_nodes(&c), 0);
}

#[test]
fn record_size_rules_are_checked_before_anything_changes() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut create = TableCreate::new("t");
    for i in 0..20 {
        create = create.column(&format!("b{i}"), spec(T::Binary, G::TAGGED));
    }
    let mut small = spec(T::Binary, G::TAGGED);
    small.max_bytes = 10;
    create = create
        .column("small", small)
        .column("lv", spec(T::LongBinary, G::NONE));
    let mut c = stack.catalog.create_table(&mut s, &create).unwrap().0;
    c.prepare_update(&mut s, Prep::Insert).unwrap();
    let small = col(&c, "small");
    assert_eq!(
        c.set_column(small, &[0; 11], S::NONE, 1),
        Err(Error::ColumnTooBig { len: 11, max: 10 })
    );
    let mut failed = None;
    for i in 0..20 {
        let id = col(&c, &format!("b{i}"));
        if let Err(e) = c.set_column(id, &[i as u8; 255], S::NONE, 1) {
            failed = Some((i, id, e));
            break;
        }
    }
    let (i, id, e) = failed.unwrap();
    assert_eq!(e.jet_code(), -1026, "{e}");
    assert_eq!(
        get(&mut c, &s, id, 1, R::COPY),
        None,
        "the failed set changed nothing"
    );
    let prev = col(&c, &format!("b{}", i - 1));
    assert_eq!(
        get(&mut c, &s, prev, 1, R::COPY).unwrap(),
        vec![i as u8 - 1; 255]
    );
    // A long value that does not fit the record is separated instead.
    stack.begin(&mut s).unwrap();
    let lv = col(&c, "lv");
    c.set_column_ex(&mut s, lv, &[1; 900], S::INTRINSIC_LV, info(1))
        .unwrap();
    assert_eq!(get(&mut c, &s, lv, 1, R::COPY).unwrap(), vec![1; 900]);
    assert!(lv_nodes(&c) > 0);
    c.update(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
}

#[test]
fn defaults_version_and_autoincrement_columns() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut dflt = spec(T::Text, G::TAGGED);
    dflt.default = b"hello".to_vec();
    let create = TableCreate::new("t")
        .column("auto", spec(T::LongLong, G::AUTOINCREMENT))
        .column("ver", spec(T::Long, G::VERSION))
        .column("d", dflt);
    let mut c = stack.catalog.create_table(&mut s, &create).unwrap().0;
    let auto = col(&c, "auto");
    let ver = col(&c, "ver");
    let d = col(&c, "d");
    for _ in 0..3 {
        c.prepare_update(&mut s, Prep::Insert).unwrap();
        assert_eq!(
            c.set_column(auto, &1i64.to_le_bytes(), S::NONE, 1),
            Err(Error::InvalidColumnType)
        );
        c.update(&mut s).unwrap();
    }
    c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(get(&mut c, &s, d, 1, R::NONE).unwrap(), b"hello");
    assert_eq!(get(&mut c, &s, d, 1, R::IGNORE_DEFAULT), None);
    assert_eq!(
        get(&mut c, &s, ver, 1, R::NONE).unwrap(),
        0i32.to_le_bytes()
    );
    for v in 1..=2i32 {
        c.prepare_update(&mut s, Prep::Replace).unwrap();
        c.update(&mut s).unwrap();
        assert_eq!(get(&mut c, &s, ver, 1, R::NONE).unwrap(), v.to_le_bytes());
    }
    let values = |c: &mut TableCursor, s: &Session| {
        let mut out = Vec::new();
        c.move_to(s, MOVE_FIRST).unwrap();
        loop {
            let v = get(c, s, auto, 1, R::NONE).unwrap();
            out.push(i64::from_le_bytes(v.try_into().unwrap()));
            if c.move_to(s, MOVE_NEXT).is_err() {
                return out;
            }
        }
    };
    assert_eq!(values(&mut c, &s), vec![1, 2, 3]);
    drop(c);
    // A new catalog (a restart) continues after the largest stored value: the counter is
    // derived from logged records, so recovery restores it too.
    let catalog = stack.reopen_catalog().unwrap();
    let mut c = catalog.open_table(&s, "t").unwrap();
    c.prepare_update(&mut s, Prep::Insert).unwrap();
    assert_eq!(
        get(&mut c, &s, auto, 1, R::COPY).unwrap(),
        4i64.to_le_bytes()
    );
    c.update(&mut s).unwrap();
    assert_eq!(values(&mut c, &s), vec![1, 2, 3, 4]);
}

fn escrow_table(stack: &TestStack, s: &mut Session, name: &str, extra: G) -> TableCursor {
    let mut e = spec(T::Long, G::ESCROW_UPDATE | extra);
    e.default = 0i32.to_le_bytes().to_vec();
    let create = TableCreate::new(name)
        .column("id", spec(T::Long, G::NONE))
        .column("n", e)
        .index(IndexCreate::new("primary", b"+id\0\0", IndexGrbit::PRIMARY));
    stack
        .catalog
        .create_table(s, &create)
        .expect("test helper")
        .0
}

#[test]
fn escrow_under_eight_threads_sums_committed_deltas() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = escrow_table(&stack, &mut s, "e", G::NONE);
    begin_insert(&mut c, &mut s, 1);
    c.update(&mut s).unwrap();
    drop(c);
    let total: i64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let catalog = stack.catalog.clone();
                let stack = &stack;
                scope.spawn(move || {
                    let mut s = stack.session();
                    let mut c = catalog.open_table(&s, "e").unwrap();
                    let n = col(&c, "n");
                    let mut committed = 0i64;
                    for i in 0..60i32 {
                        let delta = (t * 100 + i) % 17 - 5;
                        stack.begin(&mut s).unwrap();
                        c.move_to(&s, MOVE_FIRST).unwrap();
                        c.escrow_update(&mut s, n, &delta.to_le_bytes(), EscrowGrbit::NONE)
                            .unwrap();
                        if i % 3 == 0 {
                            stack.rollback(&mut s).unwrap();
                        } else {
                            stack.commit(&mut s).unwrap();
                            committed += i64::from(delta);
                        }
                    }
                    committed
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let mut c = stack.catalog.open_table(&s, "e").unwrap();
    let n = col(&c, "n");
    let v = get(&mut c, &s, n, 1, R::NONE).unwrap();
    assert_eq!(i64::from(i32::from_le_bytes(v.try_into().unwrap())), total);
}

#[test]
fn escrow_rules_no_rollback_and_delete_on_zero() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = escrow_table(&stack, &mut s, "e", G::DELETE_ON_ZERO);
    let n = col(&c, "n");
    let idc = col(&c, "id");
    begin_insert(&mut c, &mut s, 1);
    c.update(&mut s).unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    let one = 1i32.to_le_bytes();
    assert_eq!(
        c.escrow_update(&mut s, n, &one, EscrowGrbit::NONE),
        Err(Error::NotInTransaction)
    );
    stack.begin(&mut s).unwrap();
    assert_eq!(
        c.escrow_update(&mut s, idc, &one, EscrowGrbit::NONE),
        Err(Error::InvalidOperation)
    );
    assert_eq!(
        c.escrow_update(&mut s, n, &[1, 0], EscrowGrbit::NONE)
            .map_err(|e| e.jet_code()),
        Err(-1047)
    );
    c.prepare_update(&mut s, Prep::Replace).unwrap();
    assert_eq!(
        c.escrow_update(&mut s, n, &one, EscrowGrbit::NONE),
        Err(Error::AlreadyPrepared)
    );
    assert_eq!(c.set_column(n, &[], S::NONE, 1), Err(Error::NullInvalid));
    c.prepare_update(&mut s, Prep::Cancel).unwrap();
    // Old value returned; the delta rolls back.
    let old = c
        .escrow_update(&mut s, n, &5i32.to_le_bytes(), EscrowGrbit::NONE)
        .unwrap();
    assert_eq!(old, 0i32.to_le_bytes());
    stack.rollback(&mut s).unwrap();
    // NoRollback survives the rollback.
    stack.begin(&mut s).unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    c.escrow_update(&mut s, n, &7i32.to_le_bytes(), EscrowGrbit::NO_ROLLBACK)
        .unwrap();
    stack.rollback(&mut s).unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    assert_eq!(get(&mut c, &s, n, 1, R::NONE).unwrap(), 7i32.to_le_bytes());
    // A concurrent replace conflicts with an escrow update.
    let mut s2 = stack.session();
    let mut c2 = stack.catalog.open_table(&s2, "e").unwrap();
    stack.begin(&mut s2).unwrap();
    c2.move_to(&s2, MOVE_FIRST).unwrap();
    c2.prepare_update(&mut s2, Prep::Replace).unwrap();
    stack.begin(&mut s).unwrap();
    assert_eq!(
        c.escrow_update(&mut s, n, &one, EscrowGrbit::NONE),
        Err(Error::WriteConflict)
    );
    stack.rollback(&mut s2).unwrap();
    drop(c2);
    // Bringing it to 0 deletes the record once committed.
    c.escrow_update(&mut s, n, &(-7i32).to_le_bytes(), EscrowGrbit::NONE)
        .unwrap();
    assert_eq!(
        c.delete_zeroed_records(&mut s2).unwrap(),
        0,
        "not committed yet"
    );
    stack.commit(&mut s).unwrap();
    assert_eq!(c.delete_zeroed_records(&mut s).unwrap(), 1);
    assert_eq!(c.move_to(&s, MOVE_FIRST), Err(Error::NoCurrentRecord));
}

#[test]
fn batches_and_enumeration() {
    let stack = TestStack::new().unwrap();
    let mut s = stack.session();
    let mut c = lv_table(&stack, &mut s, "t");
    let (idc, tags, blob, memo) = (
        col(&c, "id"),
        col(&c, "tags"),
        col(&c, "blob"),
        col(&c, "memo"),
    );
    stack.begin(&mut s).unwrap();
    c.prepare_update(&mut s, Prep::Insert).unwrap();
    let id = 5i32.to_le_bytes();
    let big = vec![3u8; 3000];
    let mut sets = vec![
        SetColumn {
            id: idc,
            data: &id,
            grbit: S::NONE,
            ib_long_value: 0,
            itag_sequence: 1,
            warning: None,
        },
        SetColumn {
            id: tags,
            data: b"x",
            grbit: S::NONE,
            ib_long_value: 0,
            itag_sequence: 0,
            warning: None,
        },
        SetColumn {
            id: tags,
            data: b"y",
            grbit: S::NONE,
            ib_long_value: 0,
            itag_sequence: 0,
            warning: None,
        },
        SetColumn {
            id: blob,
            data: &big,
            grbit: S::NONE,
            ib_long_value: 0,
            itag_sequence: 0,
            warning: None,
        },
        SetColumn {
            id: ColumnId(999),
            data: b"z",
            grbit: S::NONE,
            ib_long_value: 0,
            itag_sequence: 0,
            warning: None,
        },
    ];
    assert_eq!(c.set_columns(&mut s, &mut sets), Err(Error::ColumnNotFound));
    c.update(&mut s).unwrap();
    stack.commit(&mut s).unwrap();
    c.move_to(&s, MOVE_FIRST).unwrap();
    let mut rets = vec![
        RetrieveColumn::new(idc, 1, 4),
        RetrieveColumn::new(tags, 0, 0),
        RetrieveColumn::new(tags, 2, 10),
        RetrieveColumn::new(blob, 1, 100),
        RetrieveColumn::new(memo, 1, 10),
    ];
    assert_eq!(
        c.retrieve_columns(&s, &mut rets),
        Some(Warning::BufferTruncated)
    );
    assert_eq!(rets[0].data, id);
    assert_eq!(rets[1].itag_sequence, 2, "itagSequence 0 counts the values");
    assert_eq!(rets[2].data, b"y");
    assert_eq!(
        (rets[3].actual_bytes, rets[3].data.len(), &rets[3].result),
        (3000, 100, &Ok(Some(Warning::BufferTruncated)))
    );
    assert_eq!(rets[4].result, Ok(Some(Warning::ColumnNull)));
    let all = c
        .enumerate_columns(&s, &[], 50, EnumerateGrbit::NONE)
        .unwrap();
    let ids: Vec<_> = all.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![idc, tags, blob]);
    assert_eq!(all[0].result, Ok(Some(Warning::ColumnSingleValue)));
    assert_eq!(all[1].values.len(), 2);
    assert_eq!(all[2].values[0].warning, Some(Warning::ColumnTruncated));
    assert_eq!(all[2].values[0].data.len(), 50);
    let some = c
        .enumerate_columns(
            &s,
            &[
                EnumColumnId {
                    id: memo,
                    itag_sequences: vec![],
                },
                EnumColumnId {
                    id: ColumnId(0),
                    itag_sequences: vec![],
                },
                EnumColumnId {
                    id: tags,
                    itag_sequences: vec![],
                },
            ],
            50,
            EnumerateGrbit::PRESENCE_ONLY,
        )
        .unwrap();
    assert_eq!(some[0].result, Ok(Some(Warning::ColumnNull)));
    assert_eq!(
        some[1].result.as_ref().map_err(|e| e.jet_code()),
        Err(-1517)
    );
    assert_eq!(some[2].result, Ok(Some(Warning::ColumnPresent)));
    assert_eq!(
        c.enumerate_columns(&s, &[], 0, EnumerateGrbit::LOCAL)
            .map_err(|e| e.jet_code()),
        Err(-900)
    );
}
