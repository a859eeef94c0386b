//! Issue 9, item 9: the tour's story at a tenth of its size, as a test. Two sessions (one a
//! dup of the other) insert rows from two threads in transactions, meet a write conflict and
//! OutOfSessions, the engine crashes with a transaction open, and the next init recovers
//! every committed row and none of the others. (`cargo run --release --example tour` runs
//! the full 100,000 rows.)

use ese_api::table::{
    JET_BIT_NEW_KEY, JET_BIT_SEEK_EQ, JET_MOVE_FIRST, JET_MOVE_NEXT, JET_PREP_INSERT,
    JET_PREP_REPLACE,
};
use ese_api::{
    ColumnGrbit, ColumnId, ColumnType, Engine, IndexCreate, IndexGrbit, JetErr, Sesid, TableCreate,
    Tableid,
};
use ese_tests::{Fixture, col, running};

const ROWS: i32 = 10_000;
const BATCH: i32 = 500;

fn insert(e: &Engine, s: Sesid, t: Tableid, c: [ColumnId; 3], id: i32) -> ese_api::Result<()> {
    e.prepare_update(s, t, JET_PREP_INSERT)?;
    e.set_column(s, t, c[0], &id.to_le_bytes(), 0, 0)?;
    e.set_column(s, t, c[1], format!("name {id}").as_bytes(), 0, 0)?;
    e.set_column(s, t, c[2], &f64::from(id).to_le_bytes(), 0, 0)?;
    e.update(s, t).map(drop)
}

fn columns(e: &Engine, s: Sesid, t: Tableid) -> [ColumnId; 3] {
    ["id", "name", "price"]
        .map(|n| e.get_table_column_info(s, t, Some(n)).expect("test helper")[0].id)
}

#[test]
fn the_tour_in_miniature() {
    let f = Fixture::new("tour");
    let e = &f.engine;
    let s1 = f.sesid;
    let s2 = e.dup_session(s1).unwrap();
    let create = TableCreate::new("orders")
        .column("id", col(ColumnType::Long, ColumnGrbit::NOT_NULL))
        .column("name", col(ColumnType::Text, ColumnGrbit::NONE))
        .column("price", col(ColumnType::IEEEDouble, ColumnGrbit::NONE))
        .index(IndexCreate::new(
            "pk",
            b"+id\0\0",
            IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
        ));
    let (t1, _) = e.create_table_column_index(s1, f.dbid, &create).unwrap();
    let c = columns(e, s1, t1);
    let d2 = e.open_database(s2, &f.db_file, None, 0).unwrap();
    let t2 = e.open_table(s2, d2, "orders", None, 0).unwrap();

    std::thread::scope(|scope| {
        let work = |s: Sesid, t: Tableid, parity: i32| {
            for b in (0..ROWS / BATCH).filter(|b| b % 2 == parity) {
                e.begin_transaction(s).expect("test helper");
                for id in b * BATCH..(b + 1) * BATCH {
                    insert(e, s, t, c, id).expect("test helper");
                }
                e.commit_transaction(s, 0).expect("test helper");
            }
        };
        scope.spawn(move || work(s1, t1, 0));
        scope.spawn(move || work(s2, t2, 1));
    });

    // A write conflict on one record.
    let replace = |s: Sesid, t: Tableid, price: f64| -> ese_api::Result<()> {
        e.make_key(s, t, &7i32.to_le_bytes(), JET_BIT_NEW_KEY)?;
        e.seek(s, t, JET_BIT_SEEK_EQ)?;
        e.prepare_update(s, t, JET_PREP_REPLACE)?;
        e.set_column(s, t, c[2], &price.to_le_bytes(), 0, 0)?;
        e.update(s, t).map(drop)
    };
    e.begin_transaction(s1).unwrap();
    e.begin_transaction(s2).unwrap();
    replace(s1, t1, -7.0).unwrap();
    assert_eq!(replace(s2, t2, -8.0).unwrap_err().code(), -1102);
    e.rollback(s2, 0).unwrap();
    e.commit_transaction(s1, 0).unwrap();

    // MaxSessions turns into OutOfSessions.
    let extra: Vec<Sesid> = (2..16)
        .map(|_| e.begin_session(f.inst, "", "").unwrap())
        .collect();
    assert_eq!(
        e.begin_session(f.inst, "", "").unwrap_err(),
        JetErr::OUT_OF_SESSIONS
    );
    assert_eq!(e.dup_session(s1).unwrap_err(), JetErr::OUT_OF_SESSIONS);
    for s in extra {
        e.end_session(s, 0).unwrap();
    }

    // Work left uncommitted, then a crash.
    e.begin_transaction(s2).unwrap();
    for id in ROWS..ROWS + 100 {
        insert(e, s2, t2, c, id).unwrap();
    }
    let Fixture {
        engine,
        dir,
        db_file,
        ..
    } = f;
    drop(engine);

    let e = ese_tests::engine();
    let i = running(&e, "again", &dir.sub("logs"));
    let s = e.begin_session(i, "", "").unwrap();
    e.attach_database(s, &db_file, 0).unwrap();
    let d = e.open_database(s, &db_file, None, 0).unwrap();
    let t = e.open_table(s, d, "orders", None, 0).unwrap();
    let c = columns(&e, s, t);
    e.move_cursor(s, t, JET_MOVE_FIRST, 0).unwrap();
    let mut n = 0i32;
    loop {
        let id = e.retrieve_column_value(s, t, c[0], 0, 1).unwrap();
        assert_eq!(id, Some(n.to_le_bytes().to_vec()));
        let name = e.retrieve_column_value(s, t, c[1], 0, 1).unwrap();
        assert_eq!(name, Some(format!("name {n}").into_bytes()));
        let price = e.retrieve_column_value(s, t, c[2], 0, 1).unwrap();
        let want = if n == 7 { -7.0 } else { f64::from(n) };
        assert_eq!(price, Some(want.to_le_bytes().to_vec()), "row {n}");
        n += 1;
        if e.move_cursor(s, t, JET_MOVE_NEXT, 0).is_err() {
            break;
        }
    }
    assert_eq!(n, ROWS);
    e.end_session(s, 0).unwrap();
    e.term(i).unwrap();
}
