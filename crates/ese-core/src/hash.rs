//! A fast hasher for the engine's in-memory maps, whose keys are small integers or short byte
//! strings the engine made itself (page numbers, transaction numbers, bookmarks).
//!
//! The standard library's SipHash resists flooding by chosen keys, which costs several times
//! more per lookup than these maps can afford on their hot paths (a page pin, a version lookup).
//! The keys here never come from an untrusted peer, so a multiply-rotate mix (the scheme of
//! rustc's FxHash) is enough: integers hash in one multiply, byte strings eight bytes at a time.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The multiplier of the mix (a 64-bit odd constant with well-spread bits).
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A multiply-rotate hasher for engine-made keys (see the module documentation).
#[derive(Clone, Copy, Debug, Default)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        // The last, partial word carries the string's length in its top bits (always: a
        // string of zero bytes must not hash like a shorter or empty one).
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(w) ^ ((bytes.len() as u64) << 56));
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // A final rotate puts the well-mixed high bits where hashbrown takes its bucket index.
        self.hash.rotate_left(26)
    }
}

/// The [`std::hash::BuildHasher`] of [`FastHasher`].
pub type FastBuildHasher = BuildHasherDefault<FastHasher>;
/// A `HashMap` keyed by engine-made keys, hashed with [`FastHasher`].
pub type FastHashMap<K, V> = HashMap<K, V, FastBuildHasher>;
/// A `HashSet` of engine-made keys, hashed with [`FastHasher`].
pub type FastHashSet<K> = HashSet<K, FastBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn hash_of<T: std::hash::Hash>(v: T) -> u64 {
        FastBuildHasher::default().hash_one(v)
    }

    #[test]
    fn equal_keys_hash_equal_and_neighbours_differ() {
        assert_eq!(hash_of(42u64), hash_of(42u64));
        assert_eq!(
            hash_of(b"bookmark".as_slice()),
            hash_of(b"bookmark".as_slice())
        );
        let mut seen = FastHashSet::default();
        for i in 0..10_000u64 {
            assert!(
                seen.insert(hash_of(i)),
                "page {i} collides with an earlier one"
            );
        }
        // A trailing zero byte changes the hash: lengths are mixed in, also where the raw
        // bytes are written without the slice's length prefix.
        assert_ne!(
            hash_of([1u8, 2, 3].as_slice()),
            hash_of([1u8, 2, 3, 0].as_slice())
        );
        let raw = |bytes: &[u8]| {
            let mut h = FastHasher::default();
            h.write(bytes);
            h.finish()
        };
        assert_ne!(raw(&[0; 8]), raw(&[0; 16]));
        assert_ne!(raw(&[]), raw(&[0; 8]));
    }

    #[test]
    fn sequential_keys_spread_over_buckets() {
        // Pages 0..4096 over buckets of the hash's low byte and of its top 7 bits (hashbrown
        // takes the bucket from the low bits and the control byte from the top 7): no bucket
        // gets more than 4x its share.
        let mut low = [0u32; 256];
        let mut high = [0u32; 128];
        for i in 0..4096u64 {
            let h = hash_of(i);
            low[(h & 0xff) as usize] += 1;
            high[(h >> 57) as usize] += 1;
        }
        assert!(low.iter().all(|&c| c <= 64), "low bits cluster: {low:?}");
        assert!(
            high.iter().all(|&c| c <= 128),
            "high bits cluster: {high:?}"
        );
    }

    #[test]
    fn a_map_works_as_a_map() {
        let mut m: FastHashMap<u32, &str> = FastHashMap::default();
        m.insert(7, "seven");
        m.insert(8, "eight");
        assert_eq!(m.get(&7), Some(&"seven"));
        assert_eq!(m.remove(&8), Some("eight"));
        assert_eq!(m.len(), 1);
    }
}
