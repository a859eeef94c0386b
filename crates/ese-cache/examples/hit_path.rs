//! The cost of the cache's hit path: nanoseconds per pin + unpin of a cached page, shared and
//! exclusive, with 1 and 2 threads. Run with
//! `cargo run --release -p ese-cache --example hit_path` (what `cargo xtask bench cache` is
//! meant to run). Pass an iteration count to change the default of 2,000,000 per thread.

use std::sync::Arc;
use std::time::Instant;

use ese_cache::testing::MemLog;
use ese_cache::{Cache, CacheConfig};
use ese_core::{DbId, Pgno};
use ese_pageio::MemStorage;

const DB: DbId = DbId(1);
const PAGES: u32 = 1024;

/// This thread's time on a CPU so far, in nanoseconds (Linux's schedstat), so the figure
/// holds up on a loaded machine; `None` where it is not available.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Returns (wall ns, CPU ns) per pin + unpin.
fn run(cache: &Cache, threads: u32, iters: u64, exclusive: bool) -> (f64, Option<f64>) {
    let start = Instant::now();
    let cpu: Vec<Option<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let cpu_start = thread_cpu_ns();
                    // Each thread walks its own pages so exclusive latches do not contend.
                    let mut x = u64::from(t) * 7919 + 1;
                    for _ in 0..iters {
                        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        let pgno = Pgno(1 + t + threads * ((x >> 33) as u32 % (PAGES / threads)));
                        if exclusive {
                            let page = cache.write(DB, pgno).expect("hit");
                            std::hint::black_box(page[100]);
                        } else {
                            let page = cache.read(DB, pgno).expect("hit");
                            std::hint::black_box(page[100]);
                        }
                    }
                    Some(thread_cpu_ns()? - cpu_start?)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread"))
            .collect()
    });
    let ops = iters as f64 * f64::from(threads);
    let wall = start.elapsed().as_nanos() as f64 / ops;
    let cpu: Option<u64> = cpu.into_iter().sum();
    (wall, cpu.map(|c| c as f64 / ops))
}

fn main() {
    let iters: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let cache = Cache::new(
        CacheConfig::with_pages(PAGES as usize),
        Arc::new(MemLog::new()),
    );
    cache
        .attach(DB, Arc::new(MemStorage::new()), 8192)
        .expect("attach");
    for p in 1..=PAGES {
        let mut page = cache.new_page(DB, Pgno(p)).expect("new page");
        page.mark_dirty_unlogged();
    }
    cache.flush_all().expect("flush");
    println!("cache hit path, {PAGES} cached 8 KiB pages, {iters} pins per thread");
    println!(
        "{:<10} {:>8} {:>14} {:>14}",
        "latch", "threads", "wall ns/op", "cpu ns/op"
    );
    for exclusive in [false, true] {
        for threads in [1, 2] {
            let (wall, cpu) = run(&cache, threads, iters, exclusive);
            let latch = if exclusive { "exclusive" } else { "shared" };
            let cpu = cpu.map_or("n/a".to_string(), |c| format!("{c:.1}"));
            println!("{latch:<10} {threads:>8} {wall:>14.1} {cpu:>14}");
        }
    }
    println!("(one op = one pin + unpin of a cached page; cpu ns/op is time on a CPU per op)");
    let stats = cache.stats();
    assert_eq!(stats.misses, u64::from(PAGES), "every timed pin was a hit");
}
