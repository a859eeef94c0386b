//! The cache's view of the log: the four calls the write-ahead rule and the checkpoint need.
//!
//! The cache is written against [`WriteAheadLog`] rather than a concrete log so that tests can
//! substitute a model log that records every flush and checks the write-ahead rule itself
//! ([`crate::testing::MemLog`]).

use ese_core::Lgpos;

/// An error reported by the log, carried through the cache's [`crate::Error`].
pub type LogError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What the buffer cache needs from the write-ahead log.
pub trait WriteAheadLog: Send + Sync {
    /// The flush tip: every record positioned *before* it is durable.
    fn flushed(&self) -> Lgpos;
    /// Returns once every record positioned at or before `lgpos` is durable.
    fn flush_to(&self, lgpos: Lgpos) -> Result<(), LogError>;
    /// The position the next record will be written at (the log's current position).
    fn head(&self) -> Lgpos;
    /// Records `lgpos` as the checkpoint: recovery starts redoing there.
    fn write_checkpoint(&self, lgpos: Lgpos) -> Result<(), LogError>;
    /// The furthest a checkpoint may move now whatever pages are written (a log that keeps
    /// checkpoints behind open transactions returns the oldest one's begin), or `None` when
    /// only dirty pages hold it back. The background flusher writes no page whose first
    /// change lies after it: writing that page could not move the checkpoint.
    fn checkpoint_limit(&self) -> Option<Lgpos> {
        None
    }
}

impl WriteAheadLog for ese_log::Log {
    fn flushed(&self) -> Lgpos {
        ese_log::Log::flushed(self)
    }

    fn flush_to(&self, lgpos: Lgpos) -> Result<(), LogError> {
        ese_log::Log::flush_to(self, lgpos).map_err(|e| Box::new(e) as LogError)
    }

    fn head(&self) -> Lgpos {
        ese_log::Log::head(self)
    }

    fn write_checkpoint(&self, lgpos: Lgpos) -> Result<(), LogError> {
        ese_log::Log::write_checkpoint(self, lgpos).map_err(|e| Box::new(e) as LogError)
    }
}

/// Bytes per log sector: the unit of [`Lgpos::sector`].
const LOG_SECTOR_BYTES: u64 = 512;

/// A log position as a byte count from the start of the log stream, given the log file size.
///
/// Generation `g` starts `g * log_file_size_bytes` bytes into the stream, which is what makes
/// byte distances between positions in different generations meaningful.
pub fn lgpos_to_bytes(lgpos: Lgpos, log_file_size_bytes: u64) -> u64 {
    u64::from(lgpos.generation)
        .saturating_mul(log_file_size_bytes)
        .saturating_add(u64::from(lgpos.sector) * LOG_SECTOR_BYTES)
        .saturating_add(u64::from(lgpos.offset))
}

/// The log position `bytes` into the log stream, given the log file size: the inverse of
/// [`lgpos_to_bytes`] (saturating at the largest generation).
pub fn lgpos_from_bytes(bytes: u64, log_file_size_bytes: u64) -> Lgpos {
    let file = log_file_size_bytes.max(LOG_SECTOR_BYTES);
    let generation = u32::try_from(bytes / file).unwrap_or(u32::MAX);
    let within = bytes % file;
    let sector = u16::try_from(within / LOG_SECTOR_BYTES).unwrap_or(u16::MAX);
    // The remainder of a division by 512 always fits.
    let offset = (within % LOG_SECTOR_BYTES) as u16;
    Lgpos::new(generation, sector, offset)
}

/// The position `bytes` before `lgpos` in a log of `log_file_size_bytes`-byte files, or
/// [`Lgpos::MIN`] when that lies before the start of the log.
pub fn lgpos_minus_bytes(lgpos: Lgpos, bytes: u64, log_file_size_bytes: u64) -> Lgpos {
    let file = log_file_size_bytes.max(LOG_SECTOR_BYTES);
    match lgpos_to_bytes(lgpos, file).checked_sub(bytes) {
        Some(at) => lgpos_from_bytes(at, file),
        None => Lgpos::MIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_distances_cross_generations() {
        let file = 64 * 1024;
        let cases = [
            (Lgpos::new(1, 0, 0), 0, Lgpos::new(1, 0, 0)),
            (Lgpos::new(1, 2, 10), 10, Lgpos::new(1, 2, 0)),
            (Lgpos::new(1, 2, 10), 11, Lgpos::new(1, 1, 511)),
            (Lgpos::new(2, 0, 0), 1, Lgpos::new(1, 127, 511)),
            (Lgpos::new(2, 0, 0), 1 << 40, Lgpos::MIN),
        ];
        for (from, bytes, expected) in cases {
            let got = lgpos_minus_bytes(from, bytes, file);
            assert_eq!(got, expected, "{from} - {bytes}");
            if got != Lgpos::MIN {
                assert_eq!(
                    lgpos_to_bytes(from, file) - lgpos_to_bytes(got, file),
                    bytes
                );
            }
        }
    }
}
