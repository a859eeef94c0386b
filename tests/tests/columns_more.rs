//! Issue 10 through the API: tagged multi-valued columns addressed by itagSequence, long
//! values of several MB written in AppendLV chunks and read at offsets, batches,
//! enumeration, and escrow columns under 8 threads.

use std::sync::Arc;

use ese_api::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, EnumColumnId, JetErr, RetInfo, RetrieveColumn,
    SetColumn, SetInfo, TableCreate, Tableid,
    table::{
        JET_BIT_ESCROW_NO_ROLLBACK, JET_BIT_RETRIEVE_COPY, JET_BIT_RETRIEVE_TAG,
        JET_BIT_SET_APPEND_LV, JET_BIT_SET_OVERWRITE_LV, JET_BIT_SET_SEPARATE_LV,
        JET_BIT_SET_SIZE_LV, JET_BIT_SET_UNIQUE_MULTI_VALUES, JET_MOVE_FIRST, JET_PREP_INSERT,
        JET_PREP_REPLACE,
    },
};
use ese_tests::{Fixture, col};

fn id_of(f: &Fixture, t: Tableid, name: &str) -> ColumnId {
    f.engine
        .get_table_column_info(f.sesid, t, Some(name))
        .expect("test helper")[0]
        .id
}

/// The values of multi-valued column `c` of the current record, in itagSequence order.
fn values(f: &Fixture, t: Tableid, c: ColumnId) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for itag in 1.. {
        match f
            .engine
            .retrieve_column_value(f.sesid, t, c, 0, itag)
            .expect("test helper")
        {
            Some(v) => out.push(v),
            None => break,
        }
    }
    out
}

#[test]
fn tagged_multi_values_are_addressed_by_itag_sequence() {
    let f = Fixture::new("colx-mv");
    let (e, s) = (&f.engine, f.sesid);
    let create = TableCreate::new("mv").column(
        "tags",
        col(
            ColumnType::Text,
            ColumnGrbit(ColumnGrbit::TAGGED.0 | ColumnGrbit::MULTI_VALUED.0),
        ),
    );
    let (t, _) = e.create_table_column_index(s, f.dbid, &create).unwrap();
    let tags = id_of(&f, t, "tags");
    assert!(
        tags.0 >= 256,
        "a tagged column's id is in ESE's tagged range"
    );

    e.prepare_update(s, t, JET_PREP_INSERT).unwrap();
    for v in ["red", "green", "blue"] {
        // itagSequence 0 appends.
        e.set_column(s, t, tags, v.as_bytes(), 0, 0).unwrap();
    }
    // JET_SETINFO itagSequence 2 replaces the second value.
    let info = SetInfo {
        ib_long_value: 0,
        itag_sequence: 2,
    };
    e.set_column_ex(s, t, tags, b"GREEN", 0, Some(&info))
        .unwrap();
    assert_eq!(
        e.set_column(s, t, tags, b"red", JET_BIT_SET_UNIQUE_MULTI_VALUES, 0)
            .unwrap_err()
            .code(),
        -1525,
        "JET_errMultiValuedDuplicate"
    );
    // The copy buffer answers JET_bitRetrieveCopy with JET_RETINFO.
    let mut buf = [0u8; 16];
    let mut ri = RetInfo {
        itag_sequence: 3,
        ..RetInfo::default()
    };
    let (n, w) = e
        .retrieve_column_ex(
            s,
            t,
            tags,
            &mut buf,
            JET_BIT_RETRIEVE_COPY | JET_BIT_RETRIEVE_TAG,
            Some(&mut ri),
        )
        .unwrap();
    assert_eq!((&buf[..n], w), (&b"blue"[..], None));
    assert_eq!(ri.itag_sequence, 3, "RetrieveTag reports the value read");
    assert_eq!(ri.columnid_next_tagged, tags);
    let bm = e.update(s, t).unwrap();
    e.goto_bookmark(s, t, &bm).unwrap();
    assert_eq!(
        values(&f, t, tags),
        [b"red".to_vec(), b"GREEN".to_vec(), b"blue".to_vec()]
    );

    // retrieve_columns: itagSequence 0 gives the count, others the value.
    let mut a = [0u8; 8];
    let mut b = [0u8; 2];
    let mut cols = [
        RetrieveColumn {
            itag_sequence: 0,
            ..RetrieveColumn::new(tags, &mut a)
        },
        RetrieveColumn {
            itag_sequence: 2,
            ..RetrieveColumn::new(tags, &mut b)
        },
    ];
    e.retrieve_columns(s, t, &mut cols).unwrap();
    assert_eq!(cols[0].itag_sequence, 3, "the number of values");
    assert_eq!(
        (cols[1].actual, cols[1].err, &cols[1].data[..]),
        (5, 1006, &b"GR"[..]),
        "JET_wrnBufferTruncated with the full length"
    );

    // Setting value 1 to NULL removes it and renumbers the rest.
    e.begin_transaction(s).unwrap();
    e.prepare_update(s, t, JET_PREP_REPLACE).unwrap();
    e.set_column(s, t, tags, &[], 0, 1).unwrap();
    e.update(s, t).unwrap();
    e.commit_transaction(s, 0).unwrap();
    assert_eq!(values(&f, t, tags), [b"GREEN".to_vec(), b"blue".to_vec()]);

    // enumerate_columns lists the record's values.
    let en = e.enumerate_columns(s, t, &[], 64, 0).unwrap();
    assert_eq!(en.len(), 1);
    assert_eq!(en[0].columnid, tags);
    let got: Vec<(u32, Vec<u8>)> = en[0]
        .values
        .iter()
        .map(|v| (v.itag_sequence, v.data.clone()))
        .collect();
    assert_eq!(got, [(1, b"GREEN".to_vec()), (2, b"blue".to_vec())]);
    let one = e
        .enumerate_columns(
            s,
            t,
            &[EnumColumnId {
                id: tags,
                itag_sequences: vec![2],
            }],
            64,
            0,
        )
        .unwrap();
    assert_eq!(one[0].values[0].data, b"blue");
    assert_eq!(
        e.enumerate_columns(s, t, &[], 64, 0x1_0000).unwrap_err(),
        JetErr::INVALID_GRBIT,
        "JET_bitEnumerateLocal"
    );
}

/// A deterministic byte pattern for offset `i` of the long value.
fn byte_at(i: usize) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

#[test]
fn a_long_value_of_several_mb_is_appended_in_chunks_and_read_at_offsets() {
    const TOTAL: usize = 6 * 1024 * 1024 + 12_345;
    const CHUNK: usize = 64 * 1024 + 7;
    let f = Fixture::new("colx-lv");
    let (e, s) = (&f.engine, f.sesid);
    let create = TableCreate::new("lv")
        .column("n", col(ColumnType::Long, ColumnGrbit::NONE))
        .column("blob", col(ColumnType::LongBinary, ColumnGrbit::NONE));
    let (t, _) = e.create_table_column_index(s, f.dbid, &create).unwrap();
    let (n, blob) = (id_of(&f, t, "n"), id_of(&f, t, "blob"));
    let data: Vec<u8> = (0..TOTAL).map(byte_at).collect();

    // A long value needs a transaction.
    e.prepare_update(s, t, JET_PREP_INSERT).unwrap();
    assert_eq!(
        e.set_column(s, t, blob, &data[..10], 0, 0).unwrap_err(),
        JetErr::NOT_IN_TRANSACTION
    );
    e.prepare_update(s, t, ese_api::table::JET_PREP_CANCEL)
        .unwrap();

    let started = std::time::Instant::now();
    e.begin_transaction(s).unwrap();
    e.prepare_update(s, t, JET_PREP_INSERT).unwrap();
    e.set_column(s, t, n, &1i32.to_le_bytes(), 0, 0).unwrap();
    for chunk in data.chunks(CHUNK) {
        // A NULL JET_SETINFO: itagSequence 1.
        e.set_column_ex(s, t, blob, chunk, JET_BIT_SET_APPEND_LV, None)
            .unwrap();
    }
    let bm = e.update(s, t).unwrap();
    e.commit_transaction(s, 0).unwrap();
    let written = started.elapsed();

    e.goto_bookmark(s, t, &bm).unwrap();
    let started = std::time::Instant::now();
    // The whole value, then reads at offsets (JET_RETINFO.ibLongValue).
    let mut empty = [0u8; 0];
    let (len, w) = e.retrieve_column(s, t, blob, &mut empty, 0, 1).unwrap();
    assert_eq!(len, TOTAL);
    assert_eq!(w.map(|w| w.code()), Some(1006));
    for ib in [0, 1, CHUNK - 1, CHUNK, 3 * 1024 * 1024 + 5, TOTAL - 100] {
        let mut buf = vec![0u8; 4096];
        let mut info = RetInfo {
            ib_long_value: ib as u64,
            ..RetInfo::default()
        };
        let (actual, _) = e
            .retrieve_column_ex(s, t, blob, &mut buf, 0, Some(&mut info))
            .unwrap();
        assert_eq!(actual, TOTAL - ib, "cbActual counts from the offset");
        let got = actual.min(buf.len());
        assert_eq!(&buf[..got], &data[ib..ib + got], "bytes at offset {ib}");
    }
    let whole = e.retrieve_column_value(s, t, blob, 0, 1).unwrap().unwrap();
    assert!(whole == data, "the whole value reads back");
    let read = started.elapsed();
    eprintln!(
        "long value of {TOTAL} bytes: written in {CHUNK}-byte AppendLV chunks in {written:?}, \
         read back in {read:?}"
    );

    // OverwriteLV at an offset, SizeLV to truncate; an offset past the end is ColumnNoChunk.
    e.begin_transaction(s).unwrap();
    e.prepare_update(s, t, JET_PREP_REPLACE).unwrap();
    let at = SetInfo {
        ib_long_value: 1_000_000,
        itag_sequence: 1,
    };
    e.set_column_ex(
        s,
        t,
        blob,
        b"OVERWRITTEN",
        JET_BIT_SET_OVERWRITE_LV,
        Some(&at),
    )
    .unwrap();
    let past = SetInfo {
        ib_long_value: TOTAL as u64 + 1,
        itag_sequence: 1,
    };
    assert_eq!(
        e.set_column_ex(s, t, blob, b"x", JET_BIT_SET_OVERWRITE_LV, Some(&past))
            .unwrap_err()
            .code(),
        -1502,
        "JET_errColumnNoChunk"
    );
    let size = vec![0u8; 2_000_000];
    e.set_column(s, t, blob, &size, JET_BIT_SET_SIZE_LV, 1)
        .unwrap();
    e.update(s, t).unwrap();
    e.commit_transaction(s, 0).unwrap();
    let after = e.retrieve_column_value(s, t, blob, 0, 1).unwrap().unwrap();
    assert_eq!(after.len(), 2_000_000);
    assert_eq!(&after[1_000_000..1_000_011], b"OVERWRITTEN");
    assert_eq!(&after[..1_000_000], &data[..1_000_000]);
    assert_eq!(&after[1_000_011..], &data[1_000_011..2_000_000]);

    // A small value forced out of the record with SeparateLV, batched with set_columns and
    // read at an offset with retrieve_columns.
    e.begin_transaction(s).unwrap();
    e.prepare_update(s, t, JET_PREP_INSERT).unwrap();
    let two = 2i32.to_le_bytes();
    let mut set = [
        SetColumn::new(n, &two),
        SetColumn {
            grbit: JET_BIT_SET_SEPARATE_LV,
            ..SetColumn::new(blob, b"0123456789abcdef")
        },
    ];
    e.set_columns(s, t, &mut set).unwrap();
    let bm2 = e.update(s, t).unwrap();
    e.commit_transaction(s, 0).unwrap();
    e.goto_bookmark(s, t, &bm2).unwrap();
    let mut out = [0u8; 4];
    let mut cols = [RetrieveColumn {
        ib_long_value: 10,
        ..RetrieveColumn::new(blob, &mut out)
    }];
    e.retrieve_columns(s, t, &mut cols).unwrap();
    assert_eq!((cols[0].actual, cols[0].err), (6, 1006));
    assert_eq!(&out, b"abcd");
}

#[test]
fn escrow_from_8_threads_equals_the_committed_sum() {
    const THREADS: i32 = 8;
    const ROUNDS: i32 = 60;
    let f = Fixture::new("colx-escrow");
    let (e, s) = (&f.engine, f.sesid);
    let counter = ColumnSpec {
        default: 0i32.to_le_bytes().to_vec(),
        ..col(ColumnType::Long, ColumnGrbit::ESCROW_UPDATE)
    };
    let create = TableCreate::new("esc")
        .column("plain", col(ColumnType::Long, ColumnGrbit::NONE))
        .column("count", counter);
    let (t, _) = e.create_table_column_index(s, f.dbid, &create).unwrap();
    let (plain, count) = (id_of(&f, t, "plain"), id_of(&f, t, "count"));
    e.prepare_update(s, t, JET_PREP_INSERT).unwrap();
    let bm = e.update(s, t).unwrap();
    e.goto_bookmark(s, t, &bm).unwrap();

    // ESE's errors, in its order.
    assert_eq!(
        e.escrow_update(s, t, count, &1i32.to_le_bytes(), 0)
            .unwrap_err(),
        JetErr::NOT_IN_TRANSACTION
    );
    e.begin_transaction(s).unwrap();
    assert_eq!(
        e.escrow_update(s, t, plain, &1i32.to_le_bytes(), 0)
            .unwrap_err()
            .code(),
        -1906,
        "JET_errInvalidOperation: not an escrow column"
    );
    assert_eq!(
        e.escrow_update(s, t, count, &1i64.to_le_bytes(), 0)
            .unwrap_err()
            .code(),
        -1047,
        "JET_errInvalidBufferSize"
    );
    // NoRollback: the delta survives the rollback.
    let old = e
        .escrow_update(
            s,
            t,
            count,
            &1000i32.to_le_bytes(),
            JET_BIT_ESCROW_NO_ROLLBACK,
        )
        .unwrap();
    assert_eq!(old, 0i32.to_le_bytes());
    e.rollback(s, 0).unwrap();

    let engine = Arc::new(f);
    let handles: Vec<_> = (0..THREADS)
        .map(|n| {
            let f = engine.clone();
            std::thread::spawn(move || {
                let e = &f.engine;
                let s = e.begin_session(f.inst, "", "").unwrap();
                let d = e.open_database(s, &f.db_file, None, 0).unwrap();
                let t = e.open_table(s, d, "esc", None, 0).unwrap();
                let mut committed = 0i64;
                for r in 0..ROUNDS {
                    let delta = (n + 1) * 10 + r % 7 - 3;
                    e.begin_transaction(s).unwrap();
                    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
                    e.escrow_update(s, t, count, &delta.to_le_bytes(), 0)
                        .unwrap();
                    if r % 5 == 4 {
                        e.rollback(s, 0).unwrap();
                    } else {
                        e.commit_transaction(s, 0).unwrap();
                        committed += i64::from(delta);
                    }
                }
                e.end_session(s, 0).unwrap();
                committed
            })
        })
        .collect();
    let sum: i64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let f = &*engine;
    let e = &f.engine;
    e.move_cursor(f.sesid, t, JET_MOVE_FIRST, 0).unwrap();
    let v = e
        .retrieve_column_value(f.sesid, t, count, 0, 1)
        .unwrap()
        .unwrap();
    let got = i32::from_le_bytes(v.try_into().unwrap());
    eprintln!("escrow: {THREADS} threads x {ROUNDS} rounds, committed sum {sum}");
    assert_eq!(
        i64::from(got),
        1000 + sum,
        "the NoRollback delta and every committed delta"
    );
}
