//! The version store's per-operation cost, without a B-tree: records a version for each of N
//! random 24-byte keys in one transaction, commits, reads every key through a snapshot while
//! the versions exist and again after cleanup, then replaces every key and rolls back.
//!
//! `cargo run --release -p ese-txn --example ver_ops [N]`; under callgrind the functions
//! `VersionStore::record`, `commit`, `visible_version`, `cleanup` and `rollback` split the cost.

use std::sync::Arc;
use std::time::Instant;

use ese_core::DbId;
use ese_txn::{CommitMode, NoLog, ObjId, Undo, UndoAction, UndoError, VerConfig, VersionStore};

/// An undo that changes nothing: rollback's own cost is what is measured.
struct NoUndo;

impl Undo for NoUndo {
    fn undo(&mut self, _obj: ObjId, _key: &[u8], _action: UndoAction<'_>) -> Result<(), UndoError> {
        Ok(())
    }
}

fn keys(n: usize) -> Vec<[u8; 24]> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..n)
        .map(|_| {
            let mut k = [0u8; 24];
            for c in k.chunks_mut(8) {
                c.copy_from_slice(&next().to_le_bytes());
            }
            k
        })
        .collect()
}

fn phase(name: &str, n: usize, f: impl FnOnce()) {
    let t = Instant::now();
    f();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{name:<28} {:>10.0} ops/s  ({:.1} ms)",
        n as f64 / s,
        s * 1e3
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let config = VerConfig {
        max_ver_pages: 1 << 20,
        ..VerConfig::default()
    };
    let ver = VersionStore::new(config, Arc::new(NoLog))?;
    let obj = ObjId::new(DbId(1), 7);
    let keys = keys(n);
    let image = [0x5au8; 150];
    let mut w = ver.begin_session();
    let mut r = ver.begin_session();

    w.begin_transaction()?;
    phase("record insert", n, || {
        for k in &keys {
            w.check_write(obj, k).expect("no conflict");
            w.version_insert(obj, k, None).expect("room");
        }
    });
    r.begin_transaction()?;
    phase("visible (uncommitted)", n, || {
        for k in &keys {
            std::hint::black_box(r.visible_version(obj, k));
        }
    });
    phase("commit", n, || {
        w.commit_transaction(CommitMode::Lazy).expect("commit");
    });
    r.commit_transaction(CommitMode::Lazy)?;
    r.begin_transaction()?;
    phase("visible (committed)", n, || {
        for k in &keys {
            std::hint::black_box(r.visible_version(obj, k));
        }
    });
    r.commit_transaction(CommitMode::Lazy)?;
    phase("cleanup", n, || {
        std::hint::black_box(ver.cleanup());
    });
    r.begin_transaction()?;
    phase("visible (no versions)", n, || {
        for k in &keys {
            std::hint::black_box(r.visible_version(obj, k));
        }
    });
    r.commit_transaction(CommitMode::Lazy)?;

    w.begin_transaction()?;
    phase("record replace", n, || {
        for k in &keys {
            w.check_write(obj, k).expect("no conflict");
            w.version_replace(obj, k, &image).expect("room");
        }
    });
    phase("rollback", n, || {
        w.rollback(&mut NoUndo).expect("rollback");
    });
    w.begin_transaction()?;
    phase("record replace + commit", n, || {
        for k in &keys {
            w.version_replace(obj, k, &image).expect("room");
        }
        w.commit_transaction(CommitMode::Lazy).expect("commit");
    });
    phase("cleanup", n, || {
        std::hint::black_box(ver.cleanup());
    });
    ver.check_invariants()?;
    Ok(())
}
