//! The LRU-K replacement policy with K = 2, as ESE's BF uses, written as pure policy: no I/O,
//! no latches, only reference histories and the order in which they are evicted.
//!
//! LRU evicts the page whose *last* reference is oldest, so one long scan flushes a hot working
//! set out of the cache. LRU-2 instead ranks pages by their *second-to-last* reference (the
//! "backward 2-distance"): a page touched once by a scan has no second reference and goes
//! first, while a page touched repeatedly keeps a recent second reference and stays:
//!
//! ```text
//!   time ->        1   2   3   4   5   6   7
//!   hot page H     x       x       x            History { prev: 3, last: 5 }
//!   scan page S                        x        History { prev: 0, last: 6 }  <- evicted first
//! ```
//!
//! Victims are chosen by the smallest [`History::eviction_key`]: `(prev, last)`, so pages with
//! a single reference (prev 0) go first in LRU order among themselves, then pages ordered by
//! their second-to-last reference. References at the same tick are *correlated* and count
//! once, as ESE's LRUKCorrInterval does: the cache advances its clock only when a page is
//! brought in, so a burst of hits on one page between two misses is one reference.
//!
//! The simulators below ([`LruSim`], [`LruKSim`], [`opt_hits`]) replay traces of page
//! references so the policy's hit rate can be compared with plain LRU and with Belady's
//! optimal policy (which evicts the page whose next use lies furthest in the future).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// The last two reference ticks of a page; tick 0 means "never".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// The tick of the most recent reference.
    pub last: u64,
    /// The tick of the reference before it, or 0 when there was only one.
    pub prev: u64,
}

impl History {
    /// The history of a page referenced once, at `now`.
    pub const fn first(now: u64) -> Self {
        Self { last: now, prev: 0 }
    }

    /// The history after a reference at `now`; a reference at or before the last one is
    /// correlated with it and changes nothing.
    pub const fn referenced(self, now: u64) -> Self {
        if now <= self.last {
            self
        } else {
            Self {
                last: now,
                prev: self.last,
            }
        }
    }

    /// The eviction rank: the page with the smallest key is the victim.
    pub const fn eviction_key(self) -> (u64, u64) {
        (self.prev, self.last)
    }
}

/// A page-reference replay: a fixed-capacity cache that reports hits.
pub trait Policy {
    /// The policy's name, for reports.
    fn name(&self) -> &'static str;
    /// References `page`; returns whether it was already cached.
    fn access(&mut self, page: u64) -> bool;
}

/// Replays `trace` through `policy` and returns the number of hits.
pub fn hit_count(policy: &mut dyn Policy, trace: &[u64]) -> usize {
    trace.iter().filter(|&&p| policy.access(p)).count()
}

/// Plain LRU, for comparison.
#[derive(Debug)]
pub struct LruSim {
    capacity: usize,
    tick: u64,
    last: HashMap<u64, u64>,
    by_tick: BTreeMap<u64, u64>,
}

impl LruSim {
    /// An empty LRU cache of `capacity` pages (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            tick: 0,
            last: HashMap::new(),
            by_tick: BTreeMap::new(),
        }
    }
}

impl Policy for LruSim {
    fn name(&self) -> &'static str {
        "LRU"
    }

    fn access(&mut self, page: u64) -> bool {
        self.tick += 1;
        if let Some(t) = self.last.insert(page, self.tick) {
            self.by_tick.remove(&t);
            self.by_tick.insert(self.tick, page);
            return true;
        }
        self.by_tick.insert(self.tick, page);
        if self.last.len() > self.capacity {
            if let Some((_, victim)) = self.by_tick.pop_first() {
                self.last.remove(&victim);
            }
        }
        false
    }
}

/// LRU-2 over [`History`], optionally remembering the histories of up to `history_max`
/// evicted pages (ESE's LRUKHistoryMax) so a page that returns keeps its earlier reference.
#[derive(Debug)]
pub struct LruKSim {
    capacity: usize,
    tick: u64,
    resident: HashMap<u64, History>,
    order: BTreeSet<((u64, u64), u64)>,
    retained: HashMap<u64, (History, u64)>,
    retained_order: VecDeque<(u64, u64)>,
    retained_seq: u64,
    history_max: usize,
}

impl LruKSim {
    /// An empty LRU-2 cache of `capacity` pages that keeps no history of evicted pages.
    pub fn new(capacity: usize) -> Self {
        Self::with_history(capacity, 0)
    }

    /// An empty LRU-2 cache that remembers the histories of up to `history_max` evicted pages.
    pub fn with_history(capacity: usize, history_max: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            tick: 0,
            resident: HashMap::new(),
            order: BTreeSet::new(),
            retained: HashMap::new(),
            retained_order: VecDeque::new(),
            retained_seq: 0,
            history_max,
        }
    }

    fn retain(&mut self, page: u64, h: History) {
        if self.history_max == 0 {
            return;
        }
        self.retained_seq += 1;
        self.retained.insert(page, (h, self.retained_seq));
        self.retained_order.push_back((page, self.retained_seq));
        while self.retained_order.len() > self.history_max {
            if let Some((old, seq)) = self.retained_order.pop_front() {
                // A page evicted twice has two queue entries; only the newest one owns the
                // map entry.
                if self.retained.get(&old).is_some_and(|&(_, s)| s == seq) {
                    self.retained.remove(&old);
                }
            }
        }
    }
}

impl Policy for LruKSim {
    fn name(&self) -> &'static str {
        if self.history_max == 0 {
            "LRU-2"
        } else {
            "LRU-2+hist"
        }
    }

    fn access(&mut self, page: u64) -> bool {
        self.tick += 1;
        let now = self.tick;
        if let Some(h) = self.resident.get_mut(&page) {
            self.order.remove(&(h.eviction_key(), page));
            *h = h.referenced(now);
            self.order.insert((h.eviction_key(), page));
            return true;
        }
        if self.resident.len() >= self.capacity {
            if let Some((_, victim)) = self.order.pop_first() {
                if let Some(h) = self.resident.remove(&victim) {
                    self.retain(victim, h);
                }
            }
        }
        let h = match self.retained.remove(&page) {
            Some((old, _)) => old.referenced(now),
            None => History::first(now),
        };
        self.resident.insert(page, h);
        self.order.insert((h.eviction_key(), page));
        false
    }
}

/// The hits Belady's optimal policy (OPT, MIN) achieves on `trace` with `capacity` pages.
pub fn opt_hits(trace: &[u64], capacity: usize) -> usize {
    let capacity = capacity.max(1);
    // next[i] is the index of the next reference to trace[i]'s page, or usize::MAX.
    let mut next = vec![usize::MAX; trace.len()];
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for (i, &p) in trace.iter().enumerate().rev() {
        if let Some(j) = seen.insert(p, i) {
            next[i] = j;
        }
    }
    let mut resident: HashMap<u64, usize> = HashMap::new();
    let mut by_next: BTreeSet<(usize, u64)> = BTreeSet::new();
    let mut hits = 0;
    for (i, &p) in trace.iter().enumerate() {
        if let Some(n) = resident.get_mut(&p) {
            hits += 1;
            by_next.remove(&(*n, p));
            *n = next[i];
            by_next.insert((next[i], p));
            continue;
        }
        if resident.len() >= capacity {
            if let Some((_, victim)) = by_next.pop_last() {
                resident.remove(&victim);
            }
        }
        resident.insert(p, next[i]);
        by_next.insert((next[i], p));
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: a deterministic generator so every trace is the same on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// A hot set of `hot` pages referenced uniformly, interleaved with sequential scans over
    /// `cold` pages that are never re-referenced soon: `hot_percent` of references go to the
    /// hot set.
    fn scan_plus_hot(len: usize, hot: u64, cold: u64, hot_percent: u64, seed: u64) -> Vec<u64> {
        let mut rng = Rng(seed);
        let mut scan = 0;
        (0..len)
            .map(|_| {
                if rng.below(100) < hot_percent {
                    rng.below(hot)
                } else {
                    scan = (scan + 1) % cold;
                    1_000_000 + scan
                }
            })
            .collect()
    }

    /// Like [`scan_plus_hot`] but the hot set is skewed: page i of the hot set is chosen with
    /// weight about 1/(i+1).
    fn scan_plus_skewed_hot(len: usize, hot: u64, cold: u64, seed: u64) -> Vec<u64> {
        let mut rng = Rng(seed);
        let mut scan = 0;
        (0..len)
            .map(|_| {
                if rng.below(2) == 0 {
                    // Inverse-transform of a log-uniform variable approximates 1/x weights.
                    let u = (rng.below(1 << 20) as f64 + 1.0) / f64::from(1 << 20);
                    ((hot as f64).powf(u) as u64).saturating_sub(1).min(hot - 1)
                } else {
                    scan = (scan + 1) % cold;
                    1_000_000 + scan
                }
            })
            .collect()
    }

    struct Row {
        name: &'static str,
        capacity: usize,
        lru: f64,
        lruk: f64,
        lruk_hist: f64,
        opt: f64,
    }

    fn measure(name: &'static str, trace: &[u64], capacity: usize) -> Row {
        let rate = |hits: usize| hits as f64 / trace.len() as f64;
        Row {
            name,
            capacity,
            lru: rate(hit_count(&mut LruSim::new(capacity), trace)),
            lruk: rate(hit_count(&mut LruKSim::new(capacity), trace)),
            lruk_hist: rate(hit_count(
                &mut LruKSim::with_history(capacity, capacity * 4),
                trace,
            )),
            opt: rate(opt_hits(trace, capacity)),
        }
    }

    #[test]
    fn history_ranks_single_references_first() {
        let scan = History::first(10);
        let hot = History::first(2).referenced(5);
        assert!(scan.eviction_key() < hot.eviction_key());
        assert_eq!(hot.referenced(5), hot, "same tick is correlated");
        assert_eq!(hot.referenced(9), History { last: 9, prev: 5 });
    }

    #[test]
    fn simulators_agree_on_small_cases() {
        // Trace, capacity, LRU hits, LRU-2 hits, OPT hits, worked out by hand.
        let cases: [(&[u64], usize, usize, usize, usize); 4] = [
            (&[1, 2, 1, 2, 1, 2], 2, 4, 4, 4),
            (&[1, 2, 3, 1, 2, 3], 2, 0, 0, 2),
            // 1 is hot; 2, 3, 4 are a scan. LRU-2 keeps 1; LRU loses it once.
            (&[1, 1, 2, 1, 3, 4, 1], 2, 2, 3, 3),
            (&[1, 1, 2, 3, 1], 2, 1, 2, 2),
        ];
        for (trace, cap, lru, lruk, opt) in cases {
            assert_eq!(
                hit_count(&mut LruSim::new(cap), trace),
                lru,
                "LRU {trace:?}"
            );
            assert_eq!(
                hit_count(&mut LruKSim::new(cap), trace),
                lruk,
                "LRU-2 {trace:?}"
            );
            assert_eq!(opt_hits(trace, cap), opt, "OPT {trace:?}");
        }
    }

    #[test]
    fn lru2_resists_scans_and_opt_bounds_both() {
        let traces = [
            (
                "hot 80 + scan 10k, 50% hot",
                scan_plus_hot(200_000, 80, 10_000, 50, 1),
                100,
            ),
            (
                "hot 80 + scan 10k, 20% hot",
                scan_plus_hot(200_000, 80, 10_000, 20, 2),
                100,
            ),
            (
                "hot 500 + scan 50k, 70% hot",
                scan_plus_hot(200_000, 500, 50_000, 70, 3),
                400,
            ),
            (
                "skewed hot 1000 + scan 20k",
                scan_plus_skewed_hot(200_000, 1000, 20_000, 4),
                200,
            ),
            (
                "cyclic hot 24 + scan 600",
                (0..20_000u64)
                    .flat_map(|i| [1_000_000 + i % 600, i % 24])
                    .collect(),
                32,
            ),
            (
                "pure loop over 150 pages",
                (0..150).cycle().take(30_000).collect(),
                100,
            ),
        ];
        println!(
            "{:<30} {:>5} {:>8} {:>8} {:>11} {:>8}",
            "trace", "cache", "LRU", "LRU-2", "LRU-2+hist", "OPT"
        );
        for (name, trace, capacity) in &traces {
            let r = measure(name, trace, *capacity);
            println!(
                "{:<30} {:>5} {:>7.1}% {:>7.1}% {:>10.1}% {:>7.1}%",
                r.name,
                r.capacity,
                r.lru * 100.0,
                r.lruk * 100.0,
                r.lruk_hist * 100.0,
                r.opt * 100.0
            );
            assert!(
                r.opt >= r.lru && r.opt >= r.lruk && r.opt >= r.lruk_hist,
                "{name}"
            );
            if name.contains("cyclic") {
                // Each hot page returns only after being evicted: without remembered history
                // LRU-2 is plain LRU here, and with it the hot set stays.
                assert!(r.lruk_hist > 0.45, "{name}: LRU-2+hist {}", r.lruk_hist);
            } else if name.contains("scan") {
                assert!(r.lruk > r.lru, "{name}: LRU-2 {} <= LRU {}", r.lruk, r.lru);
            }
        }
    }
}
