//! A tour of the JET API: an instance and a database in a temporary folder, two sessions
//! (one a `dup_session` of the other), a table with several column types, 100,000 rows
//! inserted from both sessions in transactions, a write conflict, MaxSessions turning into
//! OutOfSessions, a crash, recovery at the next init, and a check of every committed row.
//!
//! Run it from the workspace root: `cargo run --release --example tour`.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ese_api::table::{
    JET_BIT_NEW_KEY, JET_BIT_SEEK_EQ, JET_MOVE_FIRST, JET_MOVE_NEXT, JET_PREP_INSERT,
    JET_PREP_REPLACE,
};
use ese_api::{
    ColumnGrbit, ColumnId, ColumnSpec, ColumnType, Engine, IndexCreate, IndexGrbit, Instance,
    JetErr, ParamValue, Sesid, TableCreate, Tableid, paramid,
};

type Res<T> = Result<T, Box<dyn Error>>;

const ROWS: i32 = 100_000;
const BATCH: i32 = 1_000;
/// Rows a session inserts in a transaction that is still open at the crash.
const UNCOMMITTED: i32 = 250;

/// The columns of the `orders` table.
#[derive(Clone, Copy)]
struct Cols {
    id: ColumnId,
    customer: ColumnId,
    amount: ColumnId,
    quantity: ColumnId,
    price: ColumnId,
    created: ColumnId,
    shipped: ColumnId,
    note: ColumnId,
}

/// The values row `id` holds, as the column bytes.
fn row_values(id: i32) -> [(usize, Option<Vec<u8>>); 7] {
    let note = (id % 100 == 0).then(|| format!("a note on order {id}").into_bytes());
    [
        (0, Some(format!("customer {:05}", id % 5_000).into_bytes())),
        (1, Some((i64::from(id) * 125).to_le_bytes().to_vec())),
        (2, Some(((id % 1_000) as i16).to_le_bytes().to_vec())),
        (3, Some((f64::from(id) * 0.25).to_le_bytes().to_vec())),
        (
            4,
            Some((45_000.0 + f64::from(id) / 1_000.0).to_le_bytes().to_vec()),
        ),
        (5, Some(vec![u8::from(id % 2 == 0)])),
        (6, note),
    ]
}

impl Cols {
    fn data(&self) -> [ColumnId; 7] {
        [
            self.customer,
            self.amount,
            self.quantity,
            self.price,
            self.created,
            self.shipped,
            self.note,
        ]
    }

    fn of(e: &Engine, s: Sesid, t: Tableid) -> Res<Cols> {
        let id =
            |name: &str| -> Res<ColumnId> { Ok(e.get_table_column_info(s, t, Some(name))?[0].id) };
        Ok(Cols {
            id: id("id")?,
            customer: id("customer")?,
            amount: id("amount")?,
            quantity: id("quantity")?,
            price: id("price")?,
            created: id("created")?,
            shipped: id("shipped")?,
            note: id("note")?,
        })
    }
}

fn temp_folder() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!("ese-tour-{}-{nanos}", std::process::id()))
}

fn new_instance(e: &Engine, name: &str, logs: &Path) -> Res<Instance> {
    let inst = e.create_instance(Some(name))?;
    let logs = logs.to_str().ok_or("the temporary folder is not UTF-8")?;
    for id in [paramid::LOG_FILE_PATH, paramid::SYSTEM_PATH] {
        e.set_system_parameter(Some(inst), None, id, ParamValue::Str(logs))?;
    }
    e.set_system_parameter(
        Some(inst),
        None,
        paramid::CREATE_PATH_IF_NOT_EXIST,
        ParamValue::Bool(true),
    )?;
    Ok(inst)
}

fn insert(e: &Engine, s: Sesid, t: Tableid, c: &Cols, id: i32) -> Res<()> {
    e.prepare_update(s, t, JET_PREP_INSERT)?;
    e.set_column(s, t, c.id, &id.to_le_bytes(), 0, 0)?;
    for (i, value) in row_values(id) {
        if let Some(v) = value {
            e.set_column(s, t, c.data()[i], &v, 0, 0)?;
        }
    }
    e.update(s, t)?;
    Ok(())
}

fn seek(e: &Engine, s: Sesid, t: Tableid, id: i32) -> Res<()> {
    e.make_key(s, t, &id.to_le_bytes(), JET_BIT_NEW_KEY)?;
    e.seek(s, t, JET_BIT_SEEK_EQ)?;
    Ok(())
}

fn replace_amount(e: &Engine, s: Sesid, t: Tableid, c: &Cols, id: i32, amount: i64) -> Res<()> {
    seek(e, s, t, id)?;
    e.prepare_update(s, t, JET_PREP_REPLACE)?;
    e.set_column(s, t, c.amount, &amount.to_le_bytes(), 0, 0)?;
    e.update(s, t)?;
    Ok(())
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1_000.0
}

fn main() -> Res<()> {
    let folder = temp_folder();
    let logs = folder.join("logs");
    let db_file = folder.join("tour.edb");
    let db_name = db_file
        .to_str()
        .ok_or("the temporary folder is not UTF-8")?;
    println!("ese-rs tour, in {}", folder.display());
    let result = run(&logs, db_name);
    let _ = std::fs::remove_dir_all(&folder);
    result
}

fn run(logs: &Path, db_name: &str) -> Res<()> {
    let total = Instant::now();

    // 1. An instance, a session and its duplicate.
    let t0 = Instant::now();
    let e = Engine::new();
    let inst = new_instance(&e, "tour", logs)?;
    e.init(Some(inst))?;
    let s1 = e.begin_session(inst, "", "")?;
    let s2 = e.dup_session(s1)?;
    println!(
        "init: instance \"tour\" running, sessions {:#x} and its dup {:#x} ({:.1} ms)",
        s1.raw(),
        s2.raw(),
        ms(t0)
    );

    // 2. A database and a table with several column types.
    let t0 = Instant::now();
    let dbid = e.create_database(s1, db_name, None, 0)?;
    let col = |t: ColumnType, g: ColumnGrbit| ColumnSpec::new(t, g);
    let create = TableCreate::new("orders")
        .column("id", col(ColumnType::Long, ColumnGrbit::NOT_NULL))
        .column("customer", col(ColumnType::Text, ColumnGrbit::NONE))
        .column("amount", col(ColumnType::Currency, ColumnGrbit::NONE))
        .column("quantity", col(ColumnType::Short, ColumnGrbit::NONE))
        .column("price", col(ColumnType::IEEEDouble, ColumnGrbit::NONE))
        .column("created", col(ColumnType::DateTime, ColumnGrbit::NONE))
        .column("shipped", col(ColumnType::Bit, ColumnGrbit::NONE))
        .column("note", col(ColumnType::LongText, ColumnGrbit::NONE))
        .index(IndexCreate::new(
            "primary",
            b"+id\0\0",
            IndexGrbit(IndexGrbit::PRIMARY.0 | IndexGrbit::UNIQUE.0),
        ));
    let (t1, _) = e.create_table_column_index(s1, dbid, &create)?;
    let cols = Cols::of(&e, s1, t1)?;
    let dbid2 = e.open_database(s2, db_name, None, 0)?;
    let t2 = e.open_table(s2, dbid2, "orders", None, 0)?;
    println!(
        "create: database {db_name} and table \"orders\" with {} columns ({:.1} ms)",
        e.get_table_column_info(s1, t1, None)?.len(),
        ms(t0)
    );

    // 3. 100,000 rows, from both sessions at once, each on its own thread, in transactions of
    //    1,000 rows: session 1 the even batches, session 2 the odd ones.
    let t0 = Instant::now();
    let inserted: Res<()> = std::thread::scope(|scope| {
        let work = |s: Sesid, t: Tableid, parity: i32| -> Result<u32, String> {
            let mut commits = 0;
            for batch in (0..ROWS / BATCH).filter(|b| b % 2 == parity) {
                e.begin_transaction(s).map_err(|err| err.to_string())?;
                for id in batch * BATCH..(batch + 1) * BATCH {
                    insert(&e, s, t, &cols, id).map_err(|err| err.to_string())?;
                }
                e.commit_transaction(s, 0).map_err(|err| err.to_string())?;
                commits += 1;
            }
            Ok(commits)
        };
        let a = scope.spawn(move || work(s1, t1, 0));
        let b = scope.spawn(move || work(s2, t2, 1));
        let ca = a.join().map_err(|_| "session 1's thread panicked")??;
        let cb = b.join().map_err(|_| "session 2's thread panicked")??;
        println!(
            "insert: {ROWS} rows, {ca} transactions from session 1 and {cb} from session 2 \
             ({:.0} ms, {:.0} rows/s)",
            ms(t0),
            f64::from(ROWS) / t0.elapsed().as_secs_f64()
        );
        Ok(())
    });
    inserted?;
    e.move_cursor(s1, t1, JET_MOVE_FIRST, 0)?;
    println!(
        "count: session 1 sees {} rows",
        e.index_record_count(s1, t1, 0)?
    );

    // 4. A write conflict: both sessions change order 7 in their own transaction.
    e.begin_transaction(s1)?;
    e.begin_transaction(s2)?;
    replace_amount(&e, s1, t1, &cols, 7, 1)?;
    let conflict = replace_amount(&e, s2, t2, &cols, 7, 2);
    match conflict {
        Err(err) => match err.downcast_ref::<ese_api::JetError>() {
            Some(jet) if *jet == JetErr::WRITE_CONFLICT => {
                println!("conflict: session 2 changing order 7 after session 1 gets {jet}");
            }
            _ => return Err(err),
        },
        Ok(()) => return Err("session 2 changed a record session 1 holds".into()),
    }
    e.rollback(s2, 0)?;
    e.commit_transaction(s1, 0)?;
    println!("conflict: session 2 rolled back, session 1 committed its change");

    // 5. MaxSessions (16 by default) turns into OutOfSessions.
    let mut extra = Vec::new();
    let refused = loop {
        match e.begin_session(inst, "", "") {
            Ok(s) => extra.push(s),
            Err(err) => break err,
        }
        if extra.len() > 64 {
            return Err("JET_paramMaxSessions was not enforced".into());
        }
    };
    let dup_refused = e.dup_session(s1).err();
    println!(
        "sessions: {} more sessions began (2 + {} = JET_paramMaxSessions), then begin_session \
         gets {refused} and dup_session gets {}",
        extra.len(),
        extra.len(),
        dup_refused.map_or("no error".to_string(), |e| e.to_string())
    );
    for s in extra {
        e.end_session(s, 0)?;
    }

    // 6. Work that never commits, then a crash: the engine goes without a term.
    e.begin_transaction(s2)?;
    for id in ROWS..ROWS + UNCOMMITTED {
        insert(&e, s2, t2, &cols, id)?;
    }
    println!(
        "crash: {UNCOMMITTED} rows inserted in an open transaction of session 2, then the process \"dies\""
    );
    drop(e);

    // 7. A new engine on the same folders: init recovers the database.
    let t0 = Instant::now();
    let e = Engine::new();
    let inst = new_instance(&e, "tour-again", logs)?;
    e.init(Some(inst))?;
    println!(
        "recover: init replayed the log and undid the unfinished transaction ({:.0} ms)",
        ms(t0)
    );
    let s = e.begin_session(inst, "", "")?;
    e.attach_database(s, db_name, 0)?;
    let dbid = e.open_database(s, db_name, None, 0)?;
    let t = e.open_table(s, dbid, "orders", None, 0)?;
    let cols = Cols::of(&e, s, t)?;

    // 8. Every committed row, and nothing else.
    let t0 = Instant::now();
    e.move_cursor(s, t, JET_MOVE_FIRST, 0)?;
    let mut expect = 0i32;
    loop {
        let id = e
            .retrieve_column_value(s, t, cols.id, 0, 1)?
            .ok_or("a row without an id")?;
        if id != expect.to_le_bytes() {
            return Err(format!("row {expect}: found id {id:?}").into());
        }
        for (i, want) in row_values(expect) {
            let got = e.retrieve_column_value(s, t, cols.data()[i], 0, 1)?;
            let want = if i == 1 && expect == 7 {
                Some(1i64.to_le_bytes().to_vec())
            } else {
                want
            };
            if got != want {
                return Err(
                    format!("row {expect}, column {i}: {got:?} instead of {want:?}").into(),
                );
            }
        }
        expect += 1;
        match e.move_cursor(s, t, JET_MOVE_NEXT, 0) {
            Ok(()) => {}
            Err(err) if err == JetErr::NO_CURRENT_RECORD => break,
            Err(err) => return Err(err.into()),
        }
    }
    if expect != ROWS {
        return Err(format!("{expect} rows after recovery, not {ROWS}").into());
    }
    println!(
        "verify: all {expect} committed rows are back with every column, order 7 has session 1's \
         change, none of the {UNCOMMITTED} uncommitted rows is ({:.0} ms)",
        ms(t0)
    );

    e.end_session(s, 0)?;
    e.term(inst)?;
    println!(
        "term: clean shutdown; the tour took {:.1} s",
        total.elapsed().as_secs_f64()
    );
    Ok(())
}
