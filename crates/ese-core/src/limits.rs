//! The engine's limits, each a named constant with the reason for it.
//!
//! Relations between limits are asserted at compile time, so changing one number cannot
//! silently break another layer's assumption.

/// Smallest database page size ESE supports (JET_paramDatabasePageSize minimum).
pub const PAGE_SIZE_MIN_BYTES: usize = 4 * 1024;
/// Largest database page size ESE supports (JET_paramDatabasePageSize maximum).
pub const PAGE_SIZE_MAX_BYTES: usize = 32 * 1024;
/// ESE's default page size (JET_paramDatabasePageSize default).
pub const PAGE_SIZE_DEFAULT_BYTES: usize = 8 * 1024;
/// Every page size a database may be created with; chosen per database, never process-wide.
pub const PAGE_SIZES_BYTES: [usize; 4] = [4 * 1024, 8 * 1024, 16 * 1024, 32 * 1024];

/// The unit of torn writes: storage is assumed to persist whole 512-byte sectors at best.
pub const SECTOR_BYTES: usize = 512;

const _: () = assert!(PAGE_SIZE_MIN_BYTES % SECTOR_BYTES == 0);
const _: () = assert!(PAGE_SIZES_BYTES[0] == PAGE_SIZE_MIN_BYTES);
const _: () = assert!(PAGE_SIZES_BYTES[3] == PAGE_SIZE_MAX_BYTES);
const _: () = assert!(PAGE_SIZE_DEFAULT_BYTES.is_power_of_two());

/// Whether `bytes` is one of the page sizes a database may use.
pub const fn is_valid_page_size(bytes: usize) -> bool {
    matches!(bytes, 4096 | 8192 | 16384 | 32768)
}
