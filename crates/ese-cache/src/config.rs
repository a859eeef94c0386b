//! The cache's configuration: the system parameters that size and pace it.

/// The most frames one cache allocates, whatever JET_paramCacheSizeMax asks for.
///
/// ESE's default JET_paramCacheSizeMax (2,000,000,000 pages) means "as much as memory allows";
/// ese-rs allocates the frame table up front, so it caps it: 2^18 frames hold 2 GiB of 8 KiB
/// pages, and the frame table itself stays near 30 MiB.
pub const CACHE_FRAMES_MAX: usize = 1 << 18;

/// ESE's default JET_paramCacheSizeMax, in pages.
const CACHE_SIZE_MAX_DEFAULT_PAGES: usize = 2_000_000_000;
/// ESE's default JET_paramCacheSizeMin, in pages.
const CACHE_SIZE_MIN_DEFAULT_PAGES: usize = 1;
/// ESE's default JET_paramCheckpointDepthMax, in bytes (20 MiB).
const CHECKPOINT_DEPTH_MAX_DEFAULT_BYTES: u64 = 20 * 1024 * 1024;
/// ESE's default JET_paramLogFileSize (5120 KiB), in bytes.
const LOG_FILE_SIZE_DEFAULT_BYTES: u64 = 5120 * 1024;

const _: () = assert!(CACHE_FRAMES_MAX >= 16, "the small configuration must fit");

/// The system parameters the buffer cache reads once, when it is created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// JET_paramCacheSizeMax: the most pages the cache holds (capped at [`CACHE_FRAMES_MAX`]).
    pub cache_size_max_pages: usize,
    /// JET_paramCacheSizeMin: the fewest pages the cache holds; it wins over the maximum.
    pub cache_size_min_pages: usize,
    /// JET_paramCheckpointDepthMax: how far, in log bytes, the checkpoint may lag the log head.
    pub checkpoint_depth_max_bytes: u64,
    /// JET_paramLogFileSize in bytes: converts log positions to byte distances.
    pub log_file_size_bytes: u64,
}

impl Default for CacheConfig {
    /// ESE's defaults (the frame count is then capped by [`CACHE_FRAMES_MAX`]).
    fn default() -> Self {
        Self {
            cache_size_max_pages: CACHE_SIZE_MAX_DEFAULT_PAGES,
            cache_size_min_pages: CACHE_SIZE_MIN_DEFAULT_PAGES,
            checkpoint_depth_max_bytes: CHECKPOINT_DEPTH_MAX_DEFAULT_BYTES,
            log_file_size_bytes: LOG_FILE_SIZE_DEFAULT_BYTES,
        }
    }
}

impl CacheConfig {
    /// ESE's "small" configuration: 16 pages of cache, 64 KiB of checkpoint depth and 64 KiB
    /// log files, so tests hit eviction and checkpoint flushing constantly.
    pub fn test_min() -> Self {
        Self {
            cache_size_max_pages: 16,
            cache_size_min_pages: 16,
            checkpoint_depth_max_bytes: 64 * 1024,
            log_file_size_bytes: 64 * 1024,
        }
    }

    /// A configuration holding exactly `pages` frames, with the small configuration's log sizes.
    pub fn with_pages(pages: usize) -> Self {
        Self {
            cache_size_max_pages: pages,
            cache_size_min_pages: 1,
            ..Self::test_min()
        }
    }

    /// The number of frames a cache with this configuration allocates: the maximum, raised to
    /// the minimum, capped by [`CACHE_FRAMES_MAX`], and at least one.
    pub fn capacity_pages(&self) -> usize {
        self.cache_size_max_pages
            .max(self.cache_size_min_pages)
            .clamp(1, CACHE_FRAMES_MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_follows_max_with_min_as_floor() {
        let cases = [
            (16, 16, 16),
            (100, 1, 100),
            (8, 64, 64),
            (0, 0, 1),
            (usize::MAX, 1, CACHE_FRAMES_MAX),
        ];
        for (max, min, expected) in cases {
            let c = CacheConfig {
                cache_size_max_pages: max,
                cache_size_min_pages: min,
                ..CacheConfig::test_min()
            };
            assert_eq!(c.capacity_pages(), expected, "max {max} min {min}");
        }
        assert_eq!(CacheConfig::default().capacity_pages(), CACHE_FRAMES_MAX);
    }
}
