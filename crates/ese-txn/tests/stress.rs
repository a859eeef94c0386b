//! Concurrency stress: 8 threads make 10,000 transfers between 100 accounts over
//! [`MemStore`], retrying on write conflict, while an auditor takes snapshot reads. Every
//! snapshot, and the final state, must show the same total.
//!
//! A second test makes the same kind of transfers with escrow updates, which never conflict.
//! Figures (conflicts, audits, time) are printed; run with `--nocapture` to see them. No test
//! asserts a duration.

use ese_core::rng::SplitMix64 as Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use ese_core::DbId;
use ese_txn::testing::{MemStore, StoreError};
use ese_txn::{CommitMode, NoLog, ObjId, Session, VerConfig, VersionStore};

const THREADS: usize = 8;
const ACCOUNTS: u64 = 100;
const TRANSFERS: u64 = 10_000;
const OPENING_BALANCE: i64 = 1_000;

fn key(i: u64) -> Vec<u8> {
    format!("acct{i:03}").into_bytes()
}

/// 100 accounts in a store of `max_ver_pages` 32 KiB version pages.
fn open_accounts(max_ver_pages: u32) -> Arc<MemStore> {
    let config = VerConfig {
        max_ver_pages,
        ..VerConfig::default()
    };
    let ver = VersionStore::new(config, Arc::new(NoLog)).expect("a valid configuration");
    let store = Arc::new(MemStore::new(Arc::clone(&ver), ObjId::new(DbId(1), 1)));
    let mut s = ver.begin_session();
    s.begin_transaction().expect("begin");
    for i in 0..ACCOUNTS {
        store
            .insert(&mut s, &key(i), &OPENING_BALANCE.to_le_bytes())
            .expect("opening an account");
    }
    s.commit_transaction(CommitMode::Durable).expect("commit");
    store
}

/// The total of every account in one snapshot.
fn audit(store: &MemStore, s: &mut Session) -> i64 {
    s.begin_transaction().expect("begin");
    let rows = store.scan(s, b"acct", b"acct~");
    assert_eq!(rows.len() as u64, ACCOUNTS);
    let total = rows
        .iter()
        .map(|(_, v)| i64::from_le_bytes(v.as_slice().try_into().expect("balances are 8 bytes")))
        .sum();
    s.commit_transaction(CommitMode::Lazy).expect("commit");
    total
}

/// Why a transfer attempt was rolled back.
#[derive(Debug, PartialEq, Eq)]
enum Retry {
    Conflict,
    Full,
}

/// One transfer attempt; `Err` only on a write conflict or a full version store, after
/// rolling back.
fn transfer(
    store: &MemStore,
    s: &mut Session,
    from: u64,
    to: u64,
    amount: i64,
    lazy: bool,
) -> Result<(), Retry> {
    s.begin_transaction().expect("begin");
    let attempt = (|| -> Result<(), StoreError> {
        let a = store
            .get_i64(s, &key(from))
            .expect("accounts are never deleted");
        let b = store
            .get_i64(s, &key(to))
            .expect("accounts are never deleted");
        store.replace(s, &key(from), &(a - amount).to_le_bytes())?;
        store.replace(s, &key(to), &(b + amount).to_le_bytes())?;
        Ok(())
    })();
    match attempt {
        Ok(()) => {
            let mode = if lazy {
                CommitMode::Lazy
            } else {
                CommitMode::Durable
            };
            s.commit_transaction(mode).expect("commit");
            Ok(())
        }
        Err(e) => {
            let retry = match e.jet_code() {
                -1102 => Retry::Conflict,
                -1069 => Retry::Full,
                _ => panic!("a transfer failed: {e}"),
            };
            store.rollback_all(s).expect("rollback");
            Err(retry)
        }
    }
}

#[test]
fn transfers_keep_the_total_in_every_snapshot() {
    // Four version pages hold about 1,200 versions: a thread descheduled inside a transaction
    // pins them all, so exhaustion and cleanup-on-exhaustion happen under concurrency too, and
    // a transfer that meets a full store rolls back and retries like one that meets a conflict.
    let store = open_accounts(4);
    let expected = OPENING_BALANCE * ACCOUNTS as i64;
    let next = AtomicU64::new(0);
    let conflicts = AtomicU64::new(0);
    let full = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let started = Instant::now();
    let audits = std::thread::scope(|scope| {
        let auditor = scope.spawn(|| {
            let mut s = store.version_store().begin_session();
            let mut audits = 0u64;
            while !done.load(Ordering::SeqCst) {
                assert_eq!(audit(&store, &mut s), expected, "a snapshot lost money");
                audits += 1;
                if audits % 8 == 0 {
                    store.cleanup();
                }
            }
            audits
        });
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (store, next, conflicts, full) = (&store, &next, &conflicts, &full);
                scope.spawn(move || {
                    let mut s = store.version_store().begin_session();
                    let mut rng = Rng::new(t as u64 + 1);
                    while next.fetch_add(1, Ordering::SeqCst) < TRANSFERS {
                        let from = rng.below(ACCOUNTS);
                        let to = (from + 1 + rng.below(ACCOUNTS - 1)) % ACCOUNTS;
                        let amount = 1 + rng.below(50) as i64;
                        let lazy = rng.below(2) == 0;
                        let mut tries = 0u32;
                        while let Err(why) = transfer(store, &mut s, from, to, amount, lazy) {
                            let counter = if why == Retry::Conflict {
                                conflicts
                            } else {
                                full
                            };
                            counter.fetch_add(1, Ordering::Relaxed);
                            tries += 1;
                            assert!(tries < 10_000, "a transfer starved");
                            // Back off, as the reference prescribes, before retrying.
                            for _ in 0..(rng.below(u64::from(tries.min(16))) + 1) {
                                std::thread::yield_now();
                            }
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        auditor.join().unwrap()
    });
    let elapsed = started.elapsed();
    let ver = store.version_store();
    let mut s = ver.begin_session();
    assert_eq!(
        audit(&store, &mut s),
        expected,
        "the final state lost money"
    );
    store.cleanup();
    assert_eq!(
        ver.stats().versions,
        0,
        "every version is cleaned up at the end"
    );
    ver.check_invariants().unwrap();
    println!(
        "{TRANSFERS} transfers by {THREADS} threads over {ACCOUNTS} accounts: {} write conflicts \
         and {} full-store failures retried, {audits} snapshot audits, {elapsed:?}",
        conflicts.load(Ordering::Relaxed),
        full.load(Ordering::Relaxed)
    );
    assert!(audits > 0, "the auditor never ran");
}

#[test]
fn escrow_transfers_never_conflict() {
    const ESCROW_TRANSFERS: u64 = 10_000;
    let store = open_accounts(ese_core::limits::MAX_VER_PAGES_DEFAULT);
    let expected = OPENING_BALANCE * ACCOUNTS as i64;
    let next = AtomicU64::new(0);
    let rolled_back = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (store, next, rolled_back) = (&store, &next, &rolled_back);
            scope.spawn(move || {
                let mut s = store.version_store().begin_session();
                let mut rng = Rng::new(0x1234_5678 ^ (t as u64 + 1));
                while next.fetch_add(1, Ordering::SeqCst) < ESCROW_TRANSFERS {
                    let from = rng.below(ACCOUNTS);
                    let to = (from + 1 + rng.below(ACCOUNTS - 1)) % ACCOUNTS;
                    let amount = 1 + rng.below(50) as i64;
                    s.begin_transaction().unwrap();
                    store.escrow_update(&mut s, &key(from), -amount).unwrap();
                    store.escrow_update(&mut s, &key(to), amount).unwrap();
                    if rng.below(8) == 0 {
                        // Rollback undoes only this transaction's deltas.
                        store.rollback(&mut s).unwrap();
                        rolled_back.fetch_add(1, Ordering::Relaxed);
                    } else {
                        s.commit_transaction(CommitMode::Lazy).unwrap();
                    }
                    if rng.below(16) == 0 {
                        assert_eq!(
                            audit(store, &mut s),
                            expected,
                            "an escrow snapshot lost money"
                        );
                    }
                    if rng.below(64) == 0 {
                        store.cleanup();
                    }
                }
            });
        }
    });
    let ver = store.version_store();
    let mut s = ver.begin_session();
    assert_eq!(audit(&store, &mut s), expected);
    store.cleanup();
    assert_eq!(ver.stats().versions, 0);
    ver.check_invariants().unwrap();
    println!(
        "{ESCROW_TRANSFERS} escrow transfers by {THREADS} threads ({} rolled back): no conflicts, {:?}",
        rolled_back.load(Ordering::Relaxed),
        started.elapsed()
    );
}
