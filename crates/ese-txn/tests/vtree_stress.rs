//! Concurrency stress over a `VersionedTree` on a real B-tree: 8 threads make 10,000
//! transfers in total between 100 accounts (each account a node holding an `i64` balance),
//! replace-based, retrying on write conflict, while snapshot readers sum every balance. Every
//! snapshot, and the final state, must show the same total.
//!
//! Figures (conflicts retried, audits, time) are printed; run with `--nocapture` to see them.
//! No test asserts a duration.

// Each test binary uses part of the shared helpers; they unwrap as tests do.
#[allow(dead_code)]
#[cfg(test)]
mod common;

use ese_core::rng::SplitMix64 as Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use common::VStore;
use ese_txn::{CommitMode, Error, NoLog, Session, VerConfig, VersionStore};

const THREADS: usize = 8;
const ACCOUNTS: u64 = 100;
const TRANSFERS: u64 = 10_000;
const OPENING_BALANCE: i64 = 1_000;

fn key(i: u64) -> Vec<u8> {
    format!("acct{i:03}").into_bytes()
}

fn balance(store: &VStore, s: &Session, i: u64) -> Result<i64, Error> {
    let data = store.tree.get(s, &key(i))?.expect("every account exists");
    Ok(i64::from_le_bytes(
        data.try_into().expect("8-byte balances"),
    ))
}

/// One transfer inside an open transaction: read both balances, write both.
fn transfer(store: &VStore, s: &mut Session, from: u64, to: u64, amount: i64) -> Result<(), Error> {
    let a = balance(store, s, from)?;
    let b = balance(store, s, to)?;
    store
        .tree
        .replace(s, &key(from), &(a - amount).to_le_bytes())?;
    store
        .tree
        .replace(s, &key(to), &(b + amount).to_le_bytes())?;
    Ok(())
}

/// The sum of every balance `s` sees, through a cursor.
#[allow(clippy::unwrap_used)] // a test helper: a failure is the test failing
fn audit(store: &VStore, s: &Session) -> (i64, usize) {
    let mut c = store.tree.cursor();
    let mut total = 0;
    let mut n = 0;
    let mut e = c.first(s).unwrap();
    while let Some(entry) = e {
        total += i64::from_le_bytes(entry.data.try_into().unwrap());
        n += 1;
        e = c.next(s).unwrap();
    }
    (total, n)
}

#[test]
fn transfers_keep_the_total_under_concurrent_snapshots() {
    let ver = VersionStore::new(VerConfig::default(), Arc::new(NoLog)).unwrap();
    let store = Arc::new(VStore::new(ver.clone()));
    let mut s = ver.begin_session();
    s.begin_transaction().unwrap();
    for i in 0..ACCOUNTS {
        store
            .tree
            .insert(&mut s, &key(i), &OPENING_BALANCE.to_le_bytes())
            .unwrap();
    }
    s.commit_transaction(CommitMode::Durable).unwrap();
    let expected = OPENING_BALANCE * ACCOUNTS as i64;

    let conflicts = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let auditor = {
        let (store, ver, done) = (store.clone(), ver.clone(), done.clone());
        std::thread::spawn(move || {
            let mut s = ver.begin_session();
            let mut audits = 0u64;
            let mut cleaned = 0usize;
            while !done.load(Ordering::SeqCst) || audits == 0 {
                s.begin_transaction_read_only().unwrap();
                let (first, n) = audit(&store, &s);
                assert_eq!(n as u64, ACCOUNTS, "a snapshot lost or gained an account");
                assert_eq!(first, expected, "a snapshot saw money appear or vanish");
                // The same snapshot read again, after more transfers committed, is unchanged.
                let (again, _) = audit(&store, &s);
                assert_eq!(again, first, "a snapshot changed under its reader");
                s.commit_transaction(CommitMode::Lazy).unwrap();
                cleaned += store.trees.cleanup().unwrap();
                audits += 1;
            }
            (audits, cleaned)
        })
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (store, ver, conflicts) = (store.clone(), ver.clone(), conflicts.clone());
            std::thread::spawn(move || {
                let mut rng = Rng::new(t as u64 + 1);
                let mut s = ver.begin_session();
                for _ in 0..TRANSFERS / THREADS as u64 {
                    let from = rng.below(ACCOUNTS);
                    let to = (from + 1 + rng.below(ACCOUNTS - 1)) % ACCOUNTS;
                    let amount = rng.below(50) as i64;
                    loop {
                        s.begin_transaction().unwrap();
                        match transfer(&store, &mut s, from, to, amount) {
                            Ok(()) => {
                                s.commit_transaction(CommitMode::Lazy).unwrap();
                                break;
                            }
                            Err(e) if e.is_write_conflict() => {
                                conflicts.fetch_add(1, Ordering::Relaxed);
                                store.trees.rollback(&mut s).unwrap();
                            }
                            Err(e) => panic!("transfer failed: {e}"),
                        }
                    }
                }
                store.trees.end_session(s).unwrap();
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let (audits, _cleaned) = auditor.join().unwrap();
    let elapsed = started.elapsed();

    let reader = ver.begin_session();
    let (total, n) = audit(&store, &reader);
    assert_eq!(n as u64, ACCOUNTS);
    assert_eq!(total, expected);
    store.tree.tree().check_invariants().unwrap();
    ver.check_invariants().unwrap();
    println!(
        "{TRANSFERS} transfers on {THREADS} threads: {} write conflicts retried, {audits} \
         snapshot audits, {:.2?}",
        conflicts.load(Ordering::Relaxed),
        elapsed
    );
    assert!(audits > 0);
}
