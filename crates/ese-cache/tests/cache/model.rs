//! A property test against a model: a `HashMap` of page images. Random writes, reads,
//! evictions, flushes and checkpoints on a cache much smaller than the data always read back
//! the latest write, never break the write-ahead rule, and keep the checkpoint honest.

use std::collections::HashMap;
use std::sync::Arc;

use ese_cache::testing::MemLog;
use ese_cache::{Cache, WriteAheadLog};
use ese_core::{Lgpos, Pgno};
use proptest::prelude::*;

use crate::common::*;

#[derive(Clone, Debug)]
enum Op {
    Write { pgno: u32, seed: u8 },
    Read { pgno: u32 },
    Evict { pgno: u32 },
    FlushAll,
    Checkpoint,
    FlushForCheckpoint { depth: u16 },
}

const PAGES: u32 = 12;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1..=PAGES, any::<u8>()).prop_map(|(pgno, seed)| Op::Write { pgno, seed }),
        4 => (1..=PAGES).prop_map(|pgno| Op::Read { pgno }),
        2 => (1..=PAGES).prop_map(|pgno| Op::Evict { pgno }),
        1 => Just(Op::FlushAll),
        1 => Just(Op::Checkpoint),
        1 => any::<u16>().prop_map(|depth| Op::FlushForCheckpoint { depth }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn reads_see_the_latest_write(ops in proptest::collection::vec(op(), 1..150)) {
        let log = Arc::new(MemLog::new());
        let disk = Arc::new(WalCheckingStorage::new(log.clone()));
        let cache = Cache::new(config(3), log.clone());
        cache.attach(DB, disk.storage(), PAGE).unwrap();
        // Model: page -> seed of the latest image.
        let mut model: HashMap<u32, u64> = HashMap::new();
        // Page -> (its first change since it was last written, the page's write count then).
        let mut pending: HashMap<u32, (Lgpos, usize)> = HashMap::new();
        let writes_of = |pgno: u32| {
            let at = WalCheckingStorage::offset(Pgno(pgno));
            disk.writes.lock().iter().filter(|(o, _)| *o == at).count()
        };
        for op in ops {
            match op {
                Op::Write { pgno, seed } => {
                    let mut page = if model.contains_key(&pgno) {
                        cache.write(DB, Pgno(pgno)).unwrap()
                    } else {
                        cache.new_page(DB, Pgno(pgno)).unwrap()
                    };
                    if let Some(&old) = model.get(&pgno) {
                        prop_assert_eq!(&page[BODY], &image(old)[..]);
                    }
                    fill(&mut page, u64::from(seed));
                    let l = log.append(u64::from(seed) + 1);
                    page.mark_dirty(l);
                    disk.changed(Pgno(pgno), l);
                    model.insert(pgno, u64::from(seed));
                    let n = writes_of(pgno);
                    match pending.get(&pgno) {
                        Some(&(_, at)) if at == n => {}
                        _ => {
                            pending.insert(pgno, (l, n));
                        }
                    }
                }
                Op::Read { pgno } => match model.get(&pgno) {
                    Some(&seed) => {
                        let page = cache.read(DB, Pgno(pgno)).unwrap();
                        prop_assert_eq!(&page[BODY], &image(seed)[..]);
                    }
                    None => prop_assert!(cache.read(DB, Pgno(pgno)).is_err()),
                },
                Op::Evict { pgno } => {
                    cache.evict(DB, Pgno(pgno)).unwrap();
                    prop_assert!(!cache.contains(DB, Pgno(pgno)));
                }
                Op::FlushAll => {
                    cache.flush_all().unwrap();
                    prop_assert_eq!(cache.dirty_page_count(), 0);
                    prop_assert_eq!(cache.checkpoint_lgpos(), log.head());
                }
                Op::Checkpoint => {
                    let cp = cache.checkpoint().unwrap();
                    prop_assert!(cp <= log.head());
                    prop_assert!(log.flushed() >= cp);
                }
                Op::FlushForCheckpoint { depth } => {
                    cache.flush_for_checkpoint(u64::from(depth)).unwrap();
                }
            }
            // The checkpoint never passes a change that is not on disk: a page not written
            // since its first pending change holds the checkpoint at or before that change.
            pending.retain(|&p, &mut (_, at)| writes_of(p) == at);
            let cp = cache.checkpoint_lgpos();
            for (&p, &(first, _)) in &pending {
                prop_assert!(cp <= first, "checkpoint {} passes page {}'s change {}", cp, p, first);
            }
            prop_assert!(disk.violations.lock().is_empty(), "{:?}", disk.violations.lock());
            if let Err(e) = cache.check_invariants() {
                prop_assert!(false, "{}", e);
            }
        }
        // Whatever happened, a full flush leaves the disk equal to the model.
        cache.flush_all().unwrap();
        let fresh = Cache::new(config(2), Arc::new(MemLog::new()));
        fresh.attach(DB, disk.storage(), PAGE).unwrap();
        for (&pgno, &seed) in &model {
            let page = fresh.read(DB, Pgno(pgno)).unwrap();
            prop_assert_eq!(&page[BODY], &image(seed)[..], "page {} on disk", pgno);
        }
    }
}
