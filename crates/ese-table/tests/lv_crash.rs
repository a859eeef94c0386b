//! Crash recovery of long values: a table with a key, a LongBinary and a LongText column and a
//! secondary index, on a [`CrashDirectory`] holding the database file and a real log, driven by
//! two sessions (inserts, InsertCopy, replaces that append, overwrite, truncate or rewrite long
//! values of up to 64 KiB, some small ones forced out of the record with SeparateLV, deletes;
//! nested levels, rollbacks, durable and lazy level-0 commits, page flushes, cleanup). The disk
//! is cut at every write and sync of the run, recovered with `recover_instance`, reopened
//! through `Catalog::open`, swept, and checked:
//!
//! ```text
//!   records      == the first k commits applied, lo <= k <= hi   (lo: durable commits acked,
//!                                                                 hi: commits issued)
//!   LV roots     == the LIDs the records reference, refs == how many references each
//!   LV nodes     == Σ (1 + ⌈size / chunk⌉): no orphan root or chunk, no flag-deleted node left
//!   trees        each passes check_invariants
//!   space        check_space(catalog, table, LV tree, index): no page leaked or doubly owned
//! ```

use ese_core::rng::{SplitMix64 as Rng, splitmix64 as mix};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ese_btree::node::Node;
use ese_btree::{BTree, Database, DatabaseConfig};
use ese_cache::{Cache, CacheConfig, WriteAheadLog};
use ese_log::{Log, LogConfig};
use ese_pageio::{CrashDirectory, DbHeader, Directory, Signature};
use ese_recovery::sim::{DB, DB_FILE};
use ese_recovery::{
    InstanceError, RecoveryConfig, TrxLog, log_signature, mark_dirty, needs_recovery,
    recover_instance,
};
use ese_table::{
    Catalog, ColumnGrbit as G, ColumnId, ColumnSpec, ColumnType as T, Error, IndexCreate,
    IndexGrbit, LvRef, MOVE_FIRST, MOVE_NEXT, MakeKeyGrbit, Prep, Record, RetrieveGrbit as R,
    SeekGrbit, SetGrbit as S, SetInfo, TableCreate, TableCursor,
};
use ese_txn::{CommitMode, Session, TreeVersions, Trees, VerConfig, VersionStore};

const PAGE: usize = 4096;
const TABLE: &str = "lv";
/// Records each session owns (ids `session + 2 * i`): the sessions never touch the same record.
const IDS_PER_SESSION: i32 = 8;
const SESSIONS: usize = 2;

/// The log: files large enough that a few long values do not roll them over at every
/// commit, and a buffer that holds a whole transaction's records, so that the log is written
/// at commits, page writes and when the buffer fills (each write and sync is a crash point).
fn log_config(dir: Arc<dyn Directory>) -> LogConfig {
    LogConfig {
        file_bytes: 256 * 1024,
        buffer_bytes: 64 * 1024,
        ..LogConfig::new(dir)
    }
}

/// What the workload draws beyond the shared generator's values.
trait Draw {
    fn range(&mut self, lo: usize, hi: usize) -> usize;
    fn bytes(&mut self, lo: usize, hi: usize) -> Vec<u8>;
    fn text(&mut self, lo: usize, hi: usize) -> Vec<u8>;
}

impl Draw for Rng {
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below((hi - lo) as u64) as usize
    }
    /// `lo..hi` bytes of a pattern no other value shares.
    fn bytes(&mut self, lo: usize, hi: usize) -> Vec<u8> {
        let len = self.range(lo, hi);
        let base = self.next_u64();
        (0..len)
            .map(|i| (mix(base ^ (i as u64 / 8)) >> ((i % 8) * 8)) as u8)
            .collect()
    }
    /// `lo..hi` bytes of ASCII text.
    fn text(&mut self, lo: usize, hi: usize) -> Vec<u8> {
        let len = self.range(lo, hi);
        let base = self.next_u64();
        (0..len)
            .map(|i| b'a' + (mix(base ^ i as u64) % 26) as u8)
            .collect()
    }
}

/// One record as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    generation: i32,
    blob: Option<Vec<u8>>,
    memo: Option<Vec<u8>>,
}

impl Row {
    fn short(&self) -> String {
        let len = |v: &Option<Vec<u8>>| v.as_ref().map_or(-1, |v| v.len() as i64);
        format!(
            "gen {} blob {} memo {}",
            self.generation,
            len(&self.blob),
            len(&self.memo)
        )
    }
}

type State = BTreeMap<i32, Row>;
type Writes = BTreeMap<i32, Option<Row>>;

/// One level-0 commit.
struct Commit {
    writes: Writes,
    /// The directory's operation count when the commit was issued.
    issued_at: u64,
    /// For a durable commit, the operation count when it returned.
    acked_at: Option<u64>,
}

/// The columns of the table.
#[derive(Clone, Copy)]
struct Cols {
    id: ColumnId,
    generation: ColumnId,
    blob: ColumnId,
    memo: ColumnId,
}

impl Cols {
    #[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
    fn of(c: &TableCursor) -> Cols {
        let s = c.schema();
        Cols {
            id: s.column_id("id").unwrap(),
            generation: s.column_id("gen").unwrap(),
            blob: s.column_id("blob").unwrap(),
            memo: s.column_id("memo").unwrap(),
        }
    }
}

fn at(ib: u64) -> SetInfo {
    SetInfo {
        ib_long_value: ib,
        itag_sequence: 1,
    }
}

/// What the workload left: the directory, the commits, where crash points begin.
struct Run {
    dir: Arc<CrashDirectory>,
    opened_at: u64,
    total: u64,
    commits: Vec<Commit>,
    rollbacks: u64,
    lv_edits: u64,
}

struct Sess {
    s: Session,
    cur: TableCursor,
    /// Per open level, the writes made at it.
    levels: Vec<Writes>,
}

/// The running engine over the directory.
struct Engine {
    cache: Arc<Cache>,
    trees: Arc<Trees>,
    catalog: Arc<Catalog>,
}

/// Creates the database, its catalog and the table, makes them durable and marks the
/// database dirty, as an attach would; returns the engine to run the workload on.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn setup(dir: &Arc<CrashDirectory>, cache_pages: usize) -> Engine {
    let io: Arc<dyn Directory> = dir.clone();
    let log = Arc::new(Log::open(log_config(io.clone())).unwrap());
    let trxlog = TrxLog::new(log.clone());
    let storage = io.open(DB_FILE, true).unwrap();
    io.sync().unwrap();
    let header = DbHeader::new(PAGE as u32, Signature::NONE);
    ese_pageio::write_header(&*storage, &header).unwrap();
    let cache = Arc::new(Cache::new(
        CacheConfig::with_pages(cache_pages),
        trxlog.clone(),
    ));
    cache.attach(DB, storage.clone(), PAGE).unwrap();
    let ver = VersionStore::new(VerConfig::default(), trxlog.clone()).unwrap();
    let config = DatabaseConfig {
        extension_pages: 16,
        space_group_pages: 64,
        ..DatabaseConfig::new(DB, PAGE)
    };
    let db = Arc::new(
        Database::create(cache.clone(), trxlog.clone(), Some(storage.clone()), config)
            .unwrap()
            .with_versions(Arc::new(TreeVersions::new(ver.clone(), DB))),
    );
    let trees = Trees::with_version_store(ver.clone());
    let catalog = Catalog::create(&db, &ver, &trees).unwrap();
    let mut s = ver.begin_session();
    let create = TableCreate::new(TABLE)
        .column("id", ColumnSpec::new(T::Long, G::NONE))
        .column("gen", ColumnSpec::new(T::Long, G::NONE))
        .column("blob", ColumnSpec::new(T::LongBinary, G::NONE))
        .column("memo", ColumnSpec::new(T::LongText, G::NONE))
        .index(IndexCreate::new("primary", b"+id\0\0", IndexGrbit::PRIMARY))
        .index(IndexCreate::new("by_gen", b"+gen\0\0", IndexGrbit::NONE));
    drop(catalog.create_table(&mut s, &create).unwrap());
    cache.flush_all().unwrap();
    log.flush_all().unwrap();
    let header = DbHeader {
        dbtime: db.dbtime_last(),
        ..header
    };
    mark_dirty(&*storage, &header, log_signature(&log), log.head()).unwrap();
    trxlog.write_checkpoint(log.head()).unwrap();
    Engine {
        cache,
        trees,
        catalog,
    }
}

/// The session's view of record `id`: its own levels, then what is committed.
fn view(committed: &State, sess: &Sess, id: i32) -> Option<Row> {
    for level in sess.levels.iter().rev() {
        if let Some(w) = level.get(&id) {
            return w.clone();
        }
    }
    committed.get(&id).cloned()
}

#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn seek(c: &mut TableCursor, s: &Session, id: i32) {
    c.make_key(&id.to_le_bytes(), MakeKeyGrbit::NEW_KEY)
        .unwrap();
    c.seek(s, SeekGrbit::EQ).unwrap();
}

/// A new long value: mostly 2–64 KiB; sometimes small and forced out of the record.
fn new_value(rng: &mut Rng) -> (Vec<u8>, S) {
    if rng.below(5) == 0 {
        (rng.bytes(16, 900), S::SEPARATE_LV)
    } else {
        // Skewed to the small end: most values span a few chunks, some sixteen.
        let most = rng.range(4096, 64 * 1024);
        (rng.bytes(2048, most), S::NONE)
    }
}

/// One edit of the blob: applied to the copy buffer and to the model.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn edit_blob(rng: &mut Rng, sess: &mut Sess, cols: Cols, blob: &mut Option<Vec<u8>>) -> u64 {
    let len = blob.as_ref().map_or(0, Vec::len);
    let (s, c) = (&mut sess.s, &mut sess.cur);
    match rng.below(6) {
        0 if len < 80 * 1024 => {
            let piece = rng.bytes(1, 9000);
            c.set_column_ex(s, cols.blob, &piece, S::APPEND_LV, at(0))
                .unwrap();
            blob.get_or_insert_with(Vec::new).extend_from_slice(&piece);
        }
        1 if len > 0 => {
            let off = rng.range(0, len + 1);
            let piece = rng.bytes(1, 6000);
            c.set_column_ex(s, cols.blob, &piece, S::OVERWRITE_LV, at(off as u64))
                .unwrap();
            let v = blob.get_or_insert_with(Vec::new);
            v.resize(v.len().max(off + piece.len()), 0);
            v[off..off + piece.len()].copy_from_slice(&piece);
        }
        2 if len > 1 => {
            let keep = rng.range(1, len);
            c.set_column_ex(s, cols.blob, &vec![0; keep], S::SIZE_LV, at(0))
                .unwrap();
            if let Some(v) = blob.as_mut() {
                v.truncate(keep);
            }
        }
        3 if len > 0 && rng.below(3) == 0 => {
            c.set_column_ex(s, cols.blob, &[], S::NONE, at(0)).unwrap();
            *blob = None;
        }
        _ => {
            let (v, g) = new_value(rng);
            c.set_column_ex(s, cols.blob, &v, g, at(0)).unwrap();
            *blob = Some(v);
        }
    }
    1
}

/// One edit of the memo (LongText).
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn edit_memo(rng: &mut Rng, sess: &mut Sess, cols: Cols, memo: &mut Option<Vec<u8>>) -> u64 {
    let (s, c) = (&mut sess.s, &mut sess.cur);
    if memo.is_some() && rng.below(2) == 0 {
        let piece = rng.text(100, 5000);
        c.set_column_ex(s, cols.memo, &piece, S::APPEND_LV, at(0))
            .unwrap();
        memo.get_or_insert_with(Vec::new).extend_from_slice(&piece);
    } else if memo.is_some() && rng.below(4) == 0 {
        c.set_column_ex(s, cols.memo, &[], S::NONE, at(0)).unwrap();
        *memo = None;
    } else {
        let v = rng.text(200, 20_000);
        c.set_column_ex(s, cols.memo, &v, S::NONE, at(0)).unwrap();
        *memo = Some(v);
    }
    1
}

/// One record operation of `sess` inside its transaction; returns the long-value edits.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn record_op(rng: &mut Rng, committed: &State, sess: &mut Sess, cols: Cols, owner: usize) -> u64 {
    let id = owner as i32 + 2 * rng.below(IDS_PER_SESSION as u64) as i32;
    let mut edits = 0;
    let row = match view(committed, sess, id) {
        None => {
            let other = owner as i32 + 2 * rng.below(IDS_PER_SESSION as u64) as i32;
            let mut row = match view(committed, sess, other) {
                // JET_prepInsertCopy: the copy shares the source's long values.
                Some(src) if rng.below(3) == 0 => {
                    seek(&mut sess.cur, &sess.s, other);
                    sess.cur
                        .prepare_update(&mut sess.s, Prep::InsertCopy)
                        .unwrap();
                    src
                }
                _ => {
                    sess.cur.prepare_update(&mut sess.s, Prep::Insert).unwrap();
                    Row {
                        generation: 0,
                        blob: None,
                        memo: None,
                    }
                }
            };
            sess.cur
                .set_column(cols.id, &id.to_le_bytes(), S::NONE, 1)
                .unwrap();
            row.generation = rng.below(5) as i32;
            sess.cur
                .set_column(cols.generation, &row.generation.to_le_bytes(), S::NONE, 1)
                .unwrap();
            if row.blob.is_none() || rng.below(3) == 0 {
                edits += edit_blob(rng, sess, cols, &mut row.blob);
            }
            if rng.below(2) == 0 {
                edits += edit_memo(rng, sess, cols, &mut row.memo);
            }
            sess.cur.update(&mut sess.s).unwrap();
            Some(row)
        }
        Some(_) if rng.below(5) == 0 => {
            seek(&mut sess.cur, &sess.s, id);
            sess.cur.delete(&mut sess.s).unwrap();
            None
        }
        Some(mut row) => {
            seek(&mut sess.cur, &sess.s, id);
            sess.cur.prepare_update(&mut sess.s, Prep::Replace).unwrap();
            for _ in 0..rng.range(1, 4) {
                edits += edit_blob(rng, sess, cols, &mut row.blob);
            }
            if rng.below(3) == 0 {
                edits += edit_memo(rng, sess, cols, &mut row.memo);
            }
            if rng.below(3) == 0 {
                row.generation = rng.below(5) as i32;
                sess.cur
                    .set_column(cols.generation, &row.generation.to_le_bytes(), S::NONE, 1)
                    .unwrap();
            }
            sess.cur.update(&mut sess.s).unwrap();
            Some(row)
        }
    };
    sess.levels.last_mut().unwrap().insert(id, row);
    edits
}

/// Runs the workload of `seed` for `steps` steps.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn workload(seed: u64, steps: u32, cache_pages: usize) -> Run {
    let dir = Arc::new(CrashDirectory::new());
    let engine = setup(&dir, cache_pages);
    let opened_at = dir.op_count();
    let mut rng = Rng::new(mix(seed));
    let mut sessions: Vec<Sess> = (0..SESSIONS)
        .map(|_| {
            let s = engine.catalog.version_store().begin_session();
            let cur = engine.catalog.open_table(&s, TABLE).unwrap();
            Sess {
                s,
                cur,
                levels: Vec::new(),
            }
        })
        .collect();
    let cols = Cols::of(&sessions[0].cur);
    let mut committed = State::new();
    let mut commits = Vec::new();
    let (mut rollbacks, mut lv_edits) = (0, 0);
    for _ in 0..steps {
        let r = rng.below(100);
        if r < 3 {
            engine.cache.flush_for_checkpoint(0).unwrap();
            continue;
        }
        if r < 5 {
            engine.trees.cleanup().unwrap();
            continue;
        }
        let owner = rng.below(SESSIONS as u64) as usize;
        let sess = &mut sessions[owner];
        if sess.levels.is_empty() {
            sess.s.begin_transaction().unwrap();
            sess.levels.push(Writes::new());
            continue;
        }
        let choice = rng.below(100);
        let depth = sess.levels.len();
        if choice < 50 {
            lv_edits += record_op(&mut rng, &committed, sess, cols, owner);
        } else if choice < 56 && depth < 3 {
            sess.s.begin_transaction().unwrap();
            sess.levels.push(Writes::new());
        } else if choice < 64 && depth > 1 {
            sess.s.commit_transaction(CommitMode::Lazy).unwrap();
            let inner = sess.levels.pop().unwrap();
            sess.levels.last_mut().unwrap().extend(inner);
        } else if choice < 70 {
            engine.trees.rollback(&mut sess.s).unwrap();
            sess.levels.pop();
            rollbacks += 1;
        } else if depth > 1 {
            sess.s.commit_transaction(CommitMode::Lazy).unwrap();
            let inner = sess.levels.pop().unwrap();
            sess.levels.last_mut().unwrap().extend(inner);
        } else {
            let durable = rng.below(2) == 0;
            let writes = sess.levels.pop().unwrap();
            commits.push(Commit {
                writes: writes.clone(),
                issued_at: dir.op_count(),
                acked_at: None,
            });
            let mode = if durable {
                CommitMode::Durable
            } else {
                CommitMode::Lazy
            };
            sess.s.commit_transaction(mode).unwrap();
            if durable {
                commits.last_mut().unwrap().acked_at = Some(dir.op_count());
            }
            apply(&mut committed, &writes);
        }
    }
    let total = dir.op_count();
    // The model agrees with the running engine (a fresh session sees what is committed).
    let fresh = engine.catalog.version_store().begin_session();
    let mut c = engine.catalog.open_table(&fresh, TABLE).unwrap();
    let live = read_table(&mut c, &fresh, cols).unwrap();
    assert_states_equal(&live, &committed, "the running engine");
    drop(c);
    for sess in sessions {
        drop(sess.cur);
        engine.trees.end_session(sess.s).unwrap();
    }
    Run {
        dir,
        opened_at,
        total,
        commits,
        rollbacks,
        lv_edits,
    }
}

fn apply(state: &mut State, writes: &Writes) {
    for (id, w) in writes {
        match w {
            Some(row) => state.insert(*id, row.clone()),
            None => state.remove(id),
        };
    }
}

fn assert_states_equal(got: &State, want: &State, what: &str) {
    let got_s: Vec<_> = got.iter().map(|(k, r)| (*k, r.short())).collect();
    let want_s: Vec<_> = want.iter().map(|(k, r)| (*k, r.short())).collect();
    assert!(got == want, "{what}: {got_s:?} != model {want_s:?}");
}

/// Every record of the table through the cursor, as `s` sees it.
fn read_table(c: &mut TableCursor, s: &Session, cols: Cols) -> Result<State, Error> {
    let mut out = State::new();
    match c.move_to(s, MOVE_FIRST) {
        Err(Error::NoCurrentRecord) => return Ok(out),
        r => r?,
    }
    for _ in 0..10_000 {
        let long = |v: Option<Vec<u8>>| -> Result<i32, Error> {
            let v = v.ok_or(Error::Corrupt("a Long column is NULL"))?;
            let b: [u8; 4] = v
                .try_into()
                .map_err(|_| Error::Corrupt("a Long column is not 4 bytes"))?;
            Ok(i32::from_le_bytes(b))
        };
        let id = long(c.retrieve_column(s, cols.id, 1, R::NONE)?)?;
        let generation = long(c.retrieve_column(s, cols.generation, 1, R::NONE)?)?;
        let blob = c.retrieve_column(s, cols.blob, 1, R::NONE)?;
        let memo = c.retrieve_column(s, cols.memo, 1, R::NONE)?;
        out.insert(
            id,
            Row {
                generation,
                blob,
                memo,
            },
        );
        match c.move_to(s, MOVE_NEXT) {
            Err(Error::NoCurrentRecord) => return Ok(out),
            r => r?,
        }
    }
    Err(Error::Corrupt("the table does not end"))
}

/// How one crash point went.
enum Outcome {
    /// Everything held; `k` commits survived; `leaked`: the space check found a page in use
    /// that no tree owns (and nothing else wrong).
    Accepted { k: usize, losers: u64, leaked: bool },
    /// A tree is broken (a crash inside a multi-record B-tree operation).
    Structural(String),
    /// Anything else: a defect.
    Failed(String),
}

/// The opened database after recovery.
struct Reopened {
    db: Arc<Database>,
    trees: Arc<Trees>,
    catalog: Arc<Catalog>,
}

fn reopen(image: &Arc<dyn Directory>) -> Result<Reopened, String> {
    let storage = image.open(DB_FILE, false).map_err(|e| e.to_string())?;
    let header = ese_pageio::read_header(&*storage)
        .map_err(|e| e.to_string())?
        .header;
    if needs_recovery(&header) {
        return Err("the database is still dirty after recovery".into());
    }
    let log = Arc::new(Log::open(log_config(image.clone())).map_err(|e| e.to_string())?);
    let cache = Arc::new(Cache::new(CacheConfig::with_pages(64), log.clone()));
    cache
        .attach(DB, storage.clone(), PAGE)
        .map_err(|e| e.to_string())?;
    let ver = VersionStore::new(VerConfig::default(), log.clone()).map_err(|e| e.to_string())?;
    let config = DatabaseConfig {
        extension_pages: 16,
        dbtime_last: header.dbtime,
        ..DatabaseConfig::new(DB, PAGE)
    };
    let db = Arc::new(
        Database::open(cache, log, Some(storage), config)
            .map_err(|e| e.to_string())?
            .with_versions(Arc::new(TreeVersions::new(ver.clone(), DB))),
    );
    let trees = Trees::with_version_store(ver.clone());
    let catalog = Catalog::open(&db, &ver, &trees).map_err(|e| format!("Catalog::open: {e}"))?;
    Ok(Reopened { db, trees, catalog })
}

/// Every tree of the table's database: catalog, primary, long values, the secondary index.
fn all_trees(r: &Reopened, c: &TableCursor) -> Result<Vec<BTree>, String> {
    let schema = c.schema();
    let e = |e: ese_btree::Error| e.to_string();
    let mut out = vec![
        r.catalog.tree().tree().clone(),
        BTree::open(&r.db, schema.objid, schema.root).map_err(e)?,
    ];
    let (lv_objid, lv_root) = schema
        .long_values
        .ok_or("the table has no long-value tree")?;
    out.push(BTree::open(&r.db, lv_objid, lv_root).map_err(e)?);
    for idx in &schema.secondary {
        out.push(BTree::open(&r.db, idx.objid, idx.root).map_err(e)?);
    }
    Ok(out)
}

fn check_trees(trees: &[BTree]) -> Result<(), String> {
    for t in trees {
        t.check_invariants()
            .map_err(|e| format!("tree {} (objid {}): {e}", t.root().0, t.objid()))?;
    }
    Ok(())
}

/// The long-value tree holds exactly the values the records reference: one root per
/// referenced LID with the number of references, its chunks and nothing else.
fn check_long_values(
    c: &TableCursor,
    s: &Session,
    trees: &[BTree],
    tally: &mut Tally,
) -> Result<(), String> {
    let schema = c.schema();
    let e = |e: ese_btree::Error| e.to_string();
    let mut refs: BTreeMap<u64, u32> = BTreeMap::new();
    let mut cur = trees[1].cursor();
    let mut entry = cur.first().map_err(e)?;
    while let Some(en) = entry {
        let record = Record::decode(&en.data, &schema.columns).map_err(|e| e.to_string())?;
        for LvRef(lid) in record.lv_refs() {
            *refs.entry(lid).or_default() += 1;
        }
        entry = cur.move_next().map_err(e)?;
    }
    let lvt = c
        .long_value_tree()
        .map_err(|e| e.to_string())?
        .ok_or("no long-value tree")?;
    let chunk = lvt.chunk_bytes() as u64;
    let lids: Vec<u64> = lvt
        .lids(s)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|l| l.0)
        .collect();
    let referenced: Vec<u64> = refs.keys().copied().collect();
    if lids != referenced {
        let orphans: BTreeSet<_> = lids.iter().filter(|l| !refs.contains_key(l)).collect();
        let missing: BTreeSet<_> = referenced.iter().filter(|l| !lids.contains(l)).collect();
        return Err(format!(
            "long-value roots {} vs {} referenced: orphan LIDs {orphans:?}, missing {missing:?}",
            lids.len(),
            referenced.len()
        ));
    }
    let mut sizes = BTreeMap::new();
    let mut expected_nodes = 0u64;
    for (&lid, &n) in &refs {
        let root = lvt.root(s, LvRef(lid)).map_err(|e| e.to_string())?;
        tally.shared += u64::from(n > 1);
        if root.refs != n {
            return Err(format!(
                "LID {lid}: refcount {} but {n} references",
                root.refs
            ));
        }
        sizes.insert(lid, root.size);
        expected_nodes += 1 + root.size.div_ceil(chunk);
    }
    // Every node as stored (flag-deleted ones included) is a live root or one of its chunks.
    let mut cur = trees[2].cursor();
    let mut all = |n: &Node| Some(n.payload.clone());
    let mut entry = cur.first_with(&mut all).map_err(e)?;
    let mut nodes = 0u64;
    while let Some(en) = entry {
        nodes += 1;
        let lid = en
            .key
            .get(..8)
            .map(|b| u64::from_be_bytes(b.try_into().unwrap_or_default()));
        let size = lid.and_then(|l| sizes.get(&l));
        let ok = match (en.key.len(), size) {
            (8, Some(_)) => true,
            (12, Some(&size)) => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&en.key[8..12]);
                let off = u64::from(u32::from_be_bytes(b));
                off % chunk == 0 && off < size
            }
            _ => false,
        };
        if !ok {
            return Err(format!(
                "a long-value node belongs to no live value: key {:02x?}",
                en.key
            ));
        }
        entry = cur.next_with(&mut all).map_err(e)?;
    }
    let counted = lvt.node_count().map_err(|e| e.to_string())?;
    if nodes != expected_nodes || counted != expected_nodes {
        return Err(format!(
            "the long-value tree holds {nodes} nodes ({counted} counted), {expected_nodes} \
             expected"
        ));
    }
    tally.lv_roots += lids.len() as u64;
    Ok(())
}

/// How the trees are found for the sweep after recovery.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Registration {
    /// What the API's attach does: open every table (and drop the cursor), then sweep.
    OpenTable,
    /// Also open the table's long-value tree, which registers it with the registry.
    AlsoLongValues,
}

/// Recovers the crash image at `ops` and checks it against the model.
fn check_point(run: &Run, ops: u64, seed: u64, how: Registration, tally: &mut Tally) -> Outcome {
    let lo = run
        .commits
        .iter()
        .rposition(|c| c.acked_at.is_some_and(|a| a <= ops) && !c.writes.is_empty())
        .map_or(0, |i| i + 1);
    let hi = run
        .commits
        .iter()
        .filter(|c| c.issued_at < ops)
        .count()
        .max(lo);
    let image: Arc<dyn Directory> = Arc::new(run.dir.crash_image_at(ops, seed));
    let storage = match image.open(DB_FILE, false) {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(format!("no database file: {e}")),
    };
    let mut rc = RecoveryConfig::new(log_config(image.clone()), vec![(DB, storage)]);
    rc.cache = CacheConfig::with_pages(32);
    rc.extension_pages = 16;
    let losers = match recover_instance(&rc) {
        Ok(s) => s.summary.map_or(0, |s| s.losers.len() as u64),
        Err(
            e @ InstanceError::Recovery(ese_recovery::Error::Target(ese_btree::Error::Corrupt {
                ..
            })),
        ) => return Outcome::Structural(format!("undo found a broken tree: {e}")),
        Err(e) => return Outcome::Failed(format!("recovery failed ({}): {e}", e.jet_code())),
    };
    let r = match reopen(&image) {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(format!("reopening: {e}")),
    };
    let s = r.catalog.version_store().begin_session();
    // Opening the table registers its trees with the registry the sweep walks.
    let mut c = match r.catalog.open_table(&s, TABLE) {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("open_table: {e}")),
    };
    let trees = match all_trees(&r, &c) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(e),
    };
    if let Err(e) = check_trees(&trees) {
        return Outcome::Structural(e);
    }
    if how == Registration::AlsoLongValues
        && let Err(e) = c.long_value_tree()
    {
        return Outcome::Failed(format!("long_value_tree: {e}"));
    }
    // The cleanup queue died with the crash: sweep flag-deleted nodes, then run cleanup.
    match r
        .trees
        .sweep_deleted()
        .and_then(|n| Ok(n + r.trees.cleanup()?))
    {
        Ok(n) => tally.swept += n as u64,
        Err(e) => return Outcome::Failed(format!("sweep: {e}")),
    }
    if let Err(e) = check_trees(&trees) {
        return Outcome::Structural(format!("after the sweep: {e}"));
    }
    let refs: Vec<&BTree> = trees.iter().collect();
    let leaked = match r.db.check_space(&refs) {
        Ok(()) => false,
        Err(ese_btree::Error::Corrupt { what, .. }) if what.contains("leaked") => true,
        Err(e) => return Outcome::Structural(format!("space: {e}")),
    };
    let cols = Cols::of(&c);
    let state = match read_table(&mut c, &s, cols) {
        Ok(st) => st,
        Err(e) => return Outcome::Failed(format!("reading the table: {e}")),
    };
    if let Err(e) = check_long_values(&c, &s, &trees, tally) {
        return Outcome::Failed(e);
    }
    // The secondary index holds one entry per record.
    let mut ic = match c.dup_cursor() {
        Ok(ic) => ic,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let count = ic
        .set_current_index(&s, Some("by_gen"), ese_table::SetIndexGrbit(0), 1)
        .and_then(|()| ic.index_record_count(&s, u64::MAX));
    match count {
        Ok(n) if n == state.len() as u64 => {}
        Ok(n) => {
            return Outcome::Failed(format!(
                "the index holds {n} entries for {} records",
                state.len()
            ));
        }
        Err(Error::NoCurrentRecord) if state.is_empty() => {}
        Err(e) => return Outcome::Failed(format!("the index: {e}")),
    }
    let mut model = State::new();
    for k in 0..=run.commits.len() {
        if k > 0 {
            apply(&mut model, &run.commits[k - 1].writes);
        }
        if k >= lo && k <= hi && model == state {
            return Outcome::Accepted { k, losers, leaked };
        }
    }
    let mut near = State::new();
    for c in &run.commits[..lo] {
        apply(&mut near, &c.writes);
    }
    let differ: Vec<String> = state
        .iter()
        .filter(|(k, v)| near.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}: {}", v.short()))
        .take(4)
        .collect();
    let lacks: Vec<i32> = near
        .keys()
        .filter(|k| !state.contains_key(*k))
        .copied()
        .take(4)
        .collect();
    Outcome::Failed(format!(
        "the recovered table ({} records) is no committed prefix in {lo}..={hi} (against \
         {lo}: differs at {differ:?}, lacks {lacks:?})",
        state.len()
    ))
}

/// Counts over the accepted crash points.
#[derive(Default, Debug)]
struct Tally {
    /// Live long values checked.
    lv_roots: u64,
    /// Of them, values two records share (JET_prepInsertCopy).
    shared: u64,
    /// Flag-deleted nodes the sweep after recovery removed.
    swept: u64,
}

/// What a sweep found.
#[derive(Default, Debug)]
struct Sweep {
    points: u64,
    recovered_commits: u64,
    losers: u64,
    tally: Tally,
    leaked: u64,
    structural: Vec<(u64, String)>,
    failed: Vec<(u64, String)>,
}

fn sweep(run: &Run, seed: u64, points: std::ops::RangeInclusive<u64>, how: Registration) -> Sweep {
    let mut out = Sweep::default();
    for ops in points {
        out.points += 1;
        match check_point(run, ops, mix(seed ^ mix(ops)), how, &mut out.tally) {
            Outcome::Accepted { k, losers, leaked } => {
                out.recovered_commits += k as u64;
                out.losers += losers;
                out.leaked += u64::from(leaked);
            }
            Outcome::Structural(e) => out.structural.push((ops, e)),
            Outcome::Failed(e) => out.failed.push((ops, e)),
        }
    }
    out
}

const SEED: u64 = 10;
const STEPS: u32 = 160;
const CACHE_PAGES: usize = 64;

#[test]
fn long_values_survive_a_crash_at_every_write_and_sync() {
    let t0 = std::time::Instant::now();
    let run = workload(SEED, STEPS, CACHE_PAGES);
    let durable = run.commits.iter().filter(|c| c.acked_at.is_some()).count();
    let log_files = run
        .dir
        .list()
        .unwrap()
        .iter()
        .filter(|n| n.ends_with(".log"))
        .count();
    println!(
        "workload: {} commits ({durable} durable), {} rollbacks, {} long-value edits, \
         {log_files} log files, {} crash points, in {:?}",
        run.commits.len(),
        run.rollbacks,
        run.lv_edits,
        run.total - run.opened_at + 1,
        t0.elapsed()
    );
    // Opening a table does not register its long-value tree with the registry the sweep
    // walks (see the next test); the sweep here opens it too.
    let found = sweep(
        &run,
        SEED,
        run.opened_at..=run.total,
        Registration::AlsoLongValues,
    );
    println!(
        "crash points tested: {} in {:?}; recovered commits {}, losers undone {}, live \
         long values checked {} ({} shared), flag-deleted nodes swept {}; failures {}; leaked pages {}, \
         broken trees {}",
        found.points,
        t0.elapsed(),
        found.recovered_commits,
        found.losers,
        found.tally.lv_roots,
        found.tally.shared,
        found.tally.swept,
        found.failed.len(),
        found.leaked,
        found.structural.len()
    );
    for (ops, e) in found.failed.iter().take(10) {
        println!("  failed at {ops}: {e}");
    }
    for (ops, e) in found.structural.iter().take(10) {
        println!("  broken tree at {ops}: {e}");
    }
    assert!(run.commits.len() >= 20 && durable >= 8, "too few commits");
    assert!(run.rollbacks >= 5 && run.lv_edits >= 60, "too little work");
    assert!(found.points >= 300, "only {} crash points", found.points);
    assert!(log_files >= 3, "the log never rolled over");
    assert!(found.losers > 0, "no crash point left a loser");
    assert!(
        found.tally.shared > 0,
        "no crash point kept a shared long value"
    );
    assert!(found.failed.is_empty(), "{:?}", found.failed.first());
    assert_eq!(
        (found.leaked, found.structural.len()),
        (0, 0),
        "{:?}",
        found.structural.first()
    );
}

/// After recovery the API opens every table and sweeps the registered trees (ese-api's
/// `sweep_if_recovered`); the flag-deleted chunks of a loser's long values must go too.
/// Opening a table must register its long-value tree as well as its primary tree and indexes,
/// or the chunks an undone insert left would stay in the tree for good.
#[test]
fn the_sweep_after_opening_a_table_frees_undone_long_values() {
    let run = workload(SEED, STEPS / 4, CACHE_PAGES);
    let end = run.total.min(run.opened_at + 120);
    let found = sweep(&run, SEED, run.opened_at..=end, Registration::OpenTable);
    println!(
        "{} crash points: {} failures, first {:?}",
        found.points,
        found.failed.len(),
        found.failed.first()
    );
    assert!(found.failed.is_empty(), "{:?}", found.failed.first());
    assert!(
        found.losers > 0 && found.tally.swept > 0,
        "no loser left a node to sweep"
    );
}
