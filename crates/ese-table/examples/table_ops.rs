//! The table layer's costs per operation on one table shaped like the benchmark's: a fixed
//! 24-byte Binary primary key column and a variable Binary value column (150 bytes).
//!
//! `cargo run --release -p ese-table --example table_ops -- ROWS` loads ROWS rows in
//! transactions of 1000 puts, then reads every row by key and scans ROWS / 100 ranges of 100
//! rows, printing each phase's rate. Each phase runs in its own function (`phase_load`,
//! `phase_get`, `phase_scan`) so that a profiler can count one phase alone, e.g.
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*phase_get*'`.

use std::hint::black_box;
use std::time::Instant;

use ese_table::testing::TestStack;
use ese_table::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, IndexCreate, IndexGrbit, MOVE_NEXT,
    MakeKeyGrbit, Prep, RetInfo, RetrieveGrbit, SeekGrbit, SetGrbit, SetInfo, TableCreate,
    TableCursor,
};
use ese_txn::Session;

const VALUE_BYTES: usize = 150;

fn key(i: u64) -> [u8; 24] {
    let mut k = [0u8; 24];
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    k[..8].copy_from_slice(&h.to_be_bytes());
    k[8..16].copy_from_slice(&i.to_be_bytes());
    k
}

fn value(i: u64) -> [u8; VALUE_BYTES] {
    let mut v = [0u8; VALUE_BYTES];
    for (n, b) in v.iter_mut().enumerate() {
        *b = (i as u8).wrapping_add(n as u8);
    }
    v
}

struct Table {
    c: TableCursor,
    k: ColumnId,
    v: ColumnId,
}

#[inline(never)]
fn phase_load(stack: &TestStack, s: &mut Session, t: &mut Table, rows: u64) {
    for batch in 0..rows.div_ceil(1000) {
        stack.begin(s).expect("begin");
        for i in batch * 1000..((batch + 1) * 1000).min(rows) {
            t.c.prepare_update(s, Prep::Insert).expect("prepare");
            let info = SetInfo::default();
            t.c.set_column_ex(s, t.k, &key(i), SetGrbit::NONE, info)
                .expect("set key");
            t.c.set_column_ex(s, t.v, &value(i), SetGrbit::NONE, info)
                .expect("set value");
            t.c.update(s).expect("update");
        }
        stack.commit(s).expect("commit");
    }
}

#[inline(never)]
fn phase_get(s: &mut Session, t: &mut Table, rows: u64) {
    let mut buf = [0u8; 255];
    for i in 0..rows {
        let i = (i * 7919) % rows;
        t.c.make_key(&key(i), MakeKeyGrbit::NEW_KEY)
            .expect("make key");
        t.c.seek(s, SeekGrbit::EQ).expect("seek");
        let r =
            t.c.retrieve_column_ex(s, t.v, RetrieveGrbit::NONE, RetInfo::default(), &mut buf)
                .expect("retrieve");
        black_box(r.actual_bytes);
    }
}

#[inline(never)]
fn phase_scan(s: &mut Session, t: &mut Table, rows: u64) {
    let scans = rows / 100;
    let mut seen = 0u64;
    let (mut kbuf, mut vbuf) = ([0u8; 24], [0u8; 255]);
    for n in 0..scans {
        let i = (n * 7919) % rows;
        t.c.make_key(&key(i), MakeKeyGrbit::NEW_KEY)
            .expect("make key");
        if t.c.seek(s, SeekGrbit::GE).is_err() {
            continue;
        }
        for _ in 0..100 {
            // JetRetrieveColumns as ese-api runs it: one read per column into the caller's
            // buffers.
            for (id, buf) in [(t.k, &mut kbuf[..]), (t.v, &mut vbuf[..])] {
                let r =
                    t.c.retrieve_column_ex(s, id, RetrieveGrbit::NONE, RetInfo::default(), buf)
                        .expect("retrieve");
                seen += r.actual_bytes as u64;
            }
            if t.c.move_to(s, MOVE_NEXT).is_err() {
                break;
            }
        }
    }
    black_box(seen);
}

fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let stack = TestStack::with_pages(8192, 8192).expect("stack");
    let mut s = stack.session();
    let fixed = ColumnSpec {
        max_bytes: 24,
        ..ColumnSpec::new(
            ColumnType::Binary,
            ColumnGrbit(ColumnGrbit::FIXED.0 | ColumnGrbit::NOT_NULL.0),
        )
    };
    let create = TableCreate::new("kv")
        .column("k", fixed)
        .column("v", ColumnSpec::new(ColumnType::Binary, ColumnGrbit::NONE))
        .index(IndexCreate::new("pk", b"+k\0\0", IndexGrbit::PRIMARY));
    let (c, _) = stack.catalog.create_table(&mut s, &create).expect("create");
    let k = c.schema().column_id("k").expect("k");
    let v = c.schema().column_id("v").expect("v");
    let mut t = Table { c, k, v };
    // The engine cleans the version store in the background; once the table's creation
    // is cleaned, cursors check the schema with one atomic load.
    stack.trees.cleanup().expect("cleanup");
    let timed = |name: &str, n: u64, f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        let secs = start.elapsed().as_secs_f64();
        println!("{name:>5}: {:>10.0} ops/s", n as f64 / secs);
    };
    timed("load", rows, &mut || {
        phase_load(&stack, &mut s, &mut t, rows)
    });
    timed("get", rows, &mut || phase_get(&mut s, &mut t, rows));
    timed("scan", rows / 100, &mut || phase_scan(&mut s, &mut t, rows));
    println!(
        "catalog row reads for DDL checks: {}",
        stack.catalog.table_version_reads()
    );
}
