//! The engine's limits, each a named constant with the reason for it.
//!
//! Relations between limits are asserted at compile time, so changing one number cannot
//! silently break another layer's assumption.
//!
//! Sources are the reference chapters: 02 (transactions), 03 (databases and files), 05
//! (system parameters), 10 (tables and columns), 11 (indexes and keys), 12 (cursors) and 20
//! (on-disk format). Where ESE's code and its documentation disagree, the code wins, because
//! the code is what wrote the files we must read. Limits that depend on the page size come
//! as a function of it ([`key_most_bytes`], [`record_most_bytes`], …) as well as a table of
//! the four sizes.
//!
//! ```text
//! page size            4 KiB   8 KiB   16 KiB   32 KiB
//! page header bytes       40      40       80       80
//! key most (index max)  1000    2000     2000     2000   (255 unless JET_bitIndexKeyMost)
//! record most           3789    7885    16037    32421   (primary key most 255)
//! LV chunk most         4014    8110     4050     8150
//! ```

use std::ops::RangeInclusive;

// ---------------------------------------------------------------------------------------------
// Pages

/// Smallest database page size ESE supports (JET_paramDatabasePageSize minimum).
pub const PAGE_SIZE_MIN_BYTES: usize = 4 * 1024;
/// Largest database page size ESE supports (JET_paramDatabasePageSize maximum).
pub const PAGE_SIZE_MAX_BYTES: usize = 32 * 1024;
/// ESE's default page size: JET_paramDatabasePageSize is 4096 unless set before init.
pub const PAGE_SIZE_DEFAULT_BYTES: usize = 4 * 1024;
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

/// Pages up to this size are "small": a 40-byte header, 13-bit tag fields (reference 20 §5).
pub const SMALL_PAGE_MAX_BYTES: usize = 8 * 1024;
/// Page header size on small pages (≤ 8 KiB), reference 20 §5.1.
pub const PAGE_HEADER_SMALL_BYTES: usize = 40;
/// Page header size on large pages (16/32 KiB): the small header plus three block checksums,
/// the page number and 12 reserved bytes (reference 20 §5.1).
pub const PAGE_HEADER_LARGE_BYTES: usize = 80;
/// Each line (tag) of a page takes 4 bytes at the end of the page (reference 20 §5.3).
pub const PAGE_TAG_BYTES: usize = 4;

const _: () = assert!(PAGE_HEADER_LARGE_BYTES == PAGE_HEADER_SMALL_BYTES + 3 * 8 + 4 + 12);
const _: () = assert!(PAGE_SIZES_BYTES[1] == SMALL_PAGE_MAX_BYTES);

/// Whether a page of `page_size_bytes` uses the large-page layout (80-byte header).
pub const fn is_large_page(page_size_bytes: usize) -> bool {
    page_size_bytes > SMALL_PAGE_MAX_BYTES
}

/// The page header size for a page of `page_size_bytes`.
pub const fn page_header_bytes(page_size_bytes: usize) -> usize {
    if is_large_page(page_size_bytes) {
        PAGE_HEADER_LARGE_BYTES
    } else {
        PAGE_HEADER_SMALL_BYTES
    }
}

/// The most pages a database may be limited to (`cpgDatabaseSizeMax` ≤ 0x7FFFFFFE; 0 means
/// unlimited), reference 03 §1. One less than the largest page number.
pub const DATABASE_PAGES_MAX: u32 = 0x7FFF_FFFE;

// ---------------------------------------------------------------------------------------------
// Keys

/// Legacy maximum key size, and the default `cbKeyMost` of every index on every page size
/// (JET_cbKeyMost, JET_cbPrimaryKeyMost, JET_cbSecondaryKeyMost, JET_cbKeyMostMin), ref. 11 §5.
pub const KEY_MOST_LEGACY_BYTES: usize = 255;
/// Largest legacy search key: a key built with a limit option may be one byte longer than
/// `cbKeyMost` (JET_cbLimitKeyMost), reference 11 §5.
pub const LIMIT_KEY_MOST_LEGACY_BYTES: usize = KEY_MOST_LEGACY_BYTES + 1;
/// Largest key an index may declare on 4 KiB pages (JET_cbKeyMost4KBytePage).
pub const KEY_MOST_4K_BYTES: usize = 1000;
/// Largest key an index may declare on 8 KiB pages (JET_cbKeyMost8KBytePage).
pub const KEY_MOST_8K_BYTES: usize = 2000;
/// Largest key an index may declare on 16 KiB pages (JET_cbKeyMost16KBytePage).
pub const KEY_MOST_16K_BYTES: usize = 2000;
/// Largest key an index may declare on 32 KiB pages (JET_cbKeyMost32KBytePage).
pub const KEY_MOST_32K_BYTES: usize = 2000;
/// Largest key on any page size (JET_cbKeyMostMost).
pub const KEY_MOST_MOST_BYTES: usize = 2000;
/// Buffer size that holds any bookmark of an index with the legacy key size
/// (JET_cbBookmarkMost), reference 11 §5 and 12 §5.
pub const BOOKMARK_MOST_BYTES: usize = 256;
/// Most columns in one index key (JET_ccolKeyMost; 12 before Vista), reference 11 §3.
pub const KEY_COLUMNS_MAX: usize = 16;

/// The per-page-size key maxima, in the order of [`PAGE_SIZES_BYTES`].
pub const KEY_MOST_BYTES_BY_PAGE_SIZE: [usize; 4] = [
    KEY_MOST_4K_BYTES,
    KEY_MOST_8K_BYTES,
    KEY_MOST_16K_BYTES,
    KEY_MOST_32K_BYTES,
];

/// The largest key an index may declare (with JET_bitIndexKeyMost) on pages of
/// `page_size_bytes`; this is what JET_paramKeyMost reports.
///
/// Meant for sizes [`is_valid_page_size`] accepts; a smaller size gets the 4 KiB limit and a
/// larger one the 32 KiB limit.
pub const fn key_most_bytes(page_size_bytes: usize) -> usize {
    if page_size_bytes <= 4096 {
        KEY_MOST_4K_BYTES
    } else if page_size_bytes <= 8192 {
        KEY_MOST_8K_BYTES
    } else if page_size_bytes <= 16384 {
        KEY_MOST_16K_BYTES
    } else {
        KEY_MOST_32K_BYTES
    }
}

// A node must leave room for several keys per page, or splits could not make progress: a
// branch page needs at least a few separator keys.
const _: () = assert!(KEY_MOST_4K_BYTES < PAGE_SIZES_BYTES[0] / 4);
const _: () = assert!(KEY_MOST_8K_BYTES < PAGE_SIZES_BYTES[1] / 4);
const _: () = assert!(KEY_MOST_16K_BYTES < PAGE_SIZES_BYTES[2] / 4);
const _: () = assert!(KEY_MOST_32K_BYTES < PAGE_SIZES_BYTES[3] / 4);
const _: () = assert!(KEY_MOST_LEGACY_BYTES <= KEY_MOST_4K_BYTES);
const _: () = assert!(KEY_MOST_MOST_BYTES == KEY_MOST_32K_BYTES);
const _: () = assert!(BOOKMARK_MOST_BYTES == LIMIT_KEY_MOST_LEGACY_BYTES);
// Tag fields hold sizes and offsets in 13 bits on small pages, 15 on large ones.
const _: () = assert!(KEY_MOST_8K_BYTES < 1 << 13);

// ---------------------------------------------------------------------------------------------
// Records

/// Bytes a page reserves beyond its header before record space is counted (the `N = page −
/// header − 8` of `REC::CbRecordMost`, reference 10 §8).
const RECORD_PAGE_RESERVE_BYTES: usize = 8;
/// `cbKeyMost` used for the record limit of a table without a primary index (reference 10 §8).
pub const KEY_MOST_NO_PRIMARY_INDEX_BYTES: usize = 4;

/// The largest record on pages of `page_size_bytes` when the primary index's `cbKeyMost` is
/// `primary_key_most_bytes` (ESE's `REC::CbRecordMost`, reference 10 §8).
///
/// With `N = page − header − 8`: on small pages `N − 2 − max(255, key + 2)`, on large pages
/// `N − 4 − key`. Meant for valid page sizes and keys no larger than [`key_most_bytes`].
pub const fn record_most_bytes_for_key(
    page_size_bytes: usize,
    primary_key_most_bytes: usize,
) -> usize {
    let n = page_size_bytes - page_header_bytes(page_size_bytes) - RECORD_PAGE_RESERVE_BYTES;
    if is_large_page(page_size_bytes) {
        n - 4 - primary_key_most_bytes
    } else {
        let key = if primary_key_most_bytes + 2 > KEY_MOST_LEGACY_BYTES {
            primary_key_most_bytes + 2
        } else {
            KEY_MOST_LEGACY_BYTES
        };
        n - 2 - key
    }
}

/// The largest record on pages of `page_size_bytes` with the default primary key size (255):
/// 3789, 7885, 16037, 32421 bytes. Beyond it `JetSetColumn` first moves long values out of
/// the record, then fails with `JET_errRecordTooBig`.
pub const fn record_most_bytes(page_size_bytes: usize) -> usize {
    record_most_bytes_for_key(page_size_bytes, KEY_MOST_LEGACY_BYTES)
}

/// What JET_paramRecordSizeMost (213) reports: page − header − 4 (4052, 8148, 16300, 32684),
/// the figure `JetGetRecordSize` overhead is measured against (reference 10 §8).
pub const fn record_size_most_param_bytes(page_size_bytes: usize) -> usize {
    page_size_bytes - page_header_bytes(page_size_bytes) - 4
}

/// The record maxima for the default primary key size, in the order of [`PAGE_SIZES_BYTES`].
pub const RECORD_MOST_BYTES_BY_PAGE_SIZE: [usize; 4] = [3789, 7885, 16037, 32421];

const _: () = {
    let mut i = 0;
    while i < PAGE_SIZES_BYTES.len() {
        let page = PAGE_SIZES_BYTES[i];
        assert!(record_most_bytes(page) == RECORD_MOST_BYTES_BY_PAGE_SIZE[i]);
        assert!(record_most_bytes(page) < record_size_most_param_bytes(page));
        assert!(record_size_most_param_bytes(page) < page);
        // A record must hold the largest key it can be found by, with room to spare.
        assert!(record_most_bytes_for_key(page, key_most_bytes(page)) > key_most_bytes(page));
        assert!(KEY_MOST_BYTES_BY_PAGE_SIZE[i] == key_most_bytes(page));
        i += 1;
    }
};
const _: () = assert!(record_size_most_param_bytes(4096) == 4052);
const _: () = assert!(record_size_most_param_bytes(32768) == 32684);

// ---------------------------------------------------------------------------------------------
// Columns and long values

/// Fixed columns take field ids 1–127 (reference 10 §4).
pub const FIXED_COLUMN_IDS: RangeInclusive<u32> = 1..=127;
/// Variable columns take field ids 128–255.
pub const VARIABLE_COLUMN_IDS: RangeInclusive<u32> = 128..=255;
/// Tagged (sparse, possibly multi-valued, long-value) columns take field ids 256–65248.
pub const TAGGED_COLUMN_IDS: RangeInclusive<u32> = 256..=0xFEE0;
/// Most fixed columns in a table (JET_ccolFixedMost).
pub const FIXED_COLUMNS_MAX: usize = 127;
/// Most variable columns in a table (JET_ccolVarMost).
pub const VARIABLE_COLUMNS_MAX: usize = 128;
/// Most tagged columns in a table (JET_ccolTaggedMost = 0xFEE0 − 0xFF).
pub const TAGGED_COLUMNS_MAX: usize = 64993;
/// The largest field id, and the most columns a table can have (JET_ccolMost).
pub const COLUMNS_MAX: usize = 0xFEE0;
/// Column id bit marking a column inherited from a template table (reference 10 §1).
pub const COLUMN_ID_TEMPLATE_BIT: u32 = 0x8000_0000;
/// No column (JET_columnidNil).
pub const COLUMN_ID_NIL: u32 = u32::MAX;

const _: () = assert!(*FIXED_COLUMN_IDS.end() as usize == FIXED_COLUMNS_MAX);
const _: () = assert!(*FIXED_COLUMN_IDS.end() + 1 == *VARIABLE_COLUMN_IDS.start());
const _: () = assert!(
    (*VARIABLE_COLUMN_IDS.end() - *VARIABLE_COLUMN_IDS.start() + 1) as usize
        == VARIABLE_COLUMNS_MAX
);
const _: () = assert!(*VARIABLE_COLUMN_IDS.end() + 1 == *TAGGED_COLUMN_IDS.start());
const _: () = assert!(TAGGED_COLUMNS_MAX == COLUMNS_MAX - 0xFF);
const _: () = assert!(*TAGGED_COLUMN_IDS.end() as usize == COLUMNS_MAX);
const _: () = assert!(COLUMNS_MAX < 1 << 16);

/// Largest Text/Binary value, and their `cbMax` when 0 is given (JET_cbColumnMost).
pub const COLUMN_MOST_BYTES: usize = 255;
/// Largest long value, 2 GiB − 1 (JET_cbLVColumnMost), reference 10 §4.
pub const LONG_VALUE_MOST_BYTES: usize = 0x7FFF_FFFF;
/// Long values up to this size stay in the record by default (`cbLVIntrinsicMost`; the docs
/// say "larger than 1024 bytes" are separated), reference 10 §9.
pub const LONG_VALUE_INTRINSIC_MOST_BYTES: usize = 1023;
/// Per-chunk overhead of the long-value tree on small pages (JET_cbColumnLVPageOverhead).
pub const LONG_VALUE_PAGE_OVERHEAD_BYTES: usize = 82;
/// Largest default value of a long-value column (JET_cbLVDefaultValueMost), reference 10 §7.
pub const LONG_VALUE_DEFAULT_MOST_BYTES: usize = 255;

/// Chunk size of separated long values on pages of `page_size_bytes`
/// (JET_paramLVChunkSizeMost): page − 82 on small pages (4014, 8110), 4050 on 16 KiB and 8150
/// on 32 KiB pages (reference 10 §9, from code).
pub const fn lv_chunk_most_bytes(page_size_bytes: usize) -> usize {
    if !is_large_page(page_size_bytes) {
        page_size_bytes - LONG_VALUE_PAGE_OVERHEAD_BYTES
    } else if page_size_bytes <= 16384 {
        4050
    } else {
        8150
    }
}

const _: () = assert!(COLUMN_MOST_BYTES < LONG_VALUE_INTRINSIC_MOST_BYTES);
const _: () = assert!(LONG_VALUE_MOST_BYTES == i32::MAX as usize);
const _: () = assert!(lv_chunk_most_bytes(4096) == 4014 && lv_chunk_most_bytes(8192) == 8110);
const _: () = {
    let mut i = 0;
    while i < PAGE_SIZES_BYTES.len() {
        let page = PAGE_SIZES_BYTES[i];
        assert!(lv_chunk_most_bytes(page) < page);
        assert!(LONG_VALUE_INTRINSIC_MOST_BYTES < record_most_bytes(page));
        i += 1;
    }
};

// ---------------------------------------------------------------------------------------------
// Names, tables and indexes

/// Longest object name (tables, columns, indexes) in bytes for the A API (JET_cbNameMost);
/// the W API allows 128 bytes of UTF-16. Reference 10 §1.
pub const NAME_MOST_BYTES: usize = 64;
/// Default table density when 0 is given, in percent (reference 10 §2).
pub const DENSITY_DEFAULT_PERCENT: u32 = 80;
/// Allowed table densities otherwise (`JET_errDensityInvalid` outside), in percent.
pub const DENSITY_PERCENT: RangeInclusive<u32> = 20..=100;

const _: () = assert!(
    *DENSITY_PERCENT.start() <= DENSITY_DEFAULT_PERCENT
        && DENSITY_DEFAULT_PERCENT <= *DENSITY_PERCENT.end()
);

/// Allowed tuple-index substring lengths (chLengthMin ≤ chLengthMax within this range),
/// reference 11 §9; `JET_errIndexTuplesInvalidLimits` outside.
pub const TUPLE_LENGTH_CHARS: RangeInclusive<u32> = 2..=255;
/// Largest tuple-index chToIndexMax, which is also its default (reference 11 §9).
pub const TUPLE_TO_INDEX_MAX_CHARS: u32 = 32767;
/// Default tuple-index chLengthMin.
pub const TUPLE_LENGTH_MIN_DEFAULT_CHARS: u32 = 3;
/// Default tuple-index chLengthMax.
pub const TUPLE_LENGTH_MAX_DEFAULT_CHARS: u32 = 10;

const _: () = assert!(*TUPLE_LENGTH_CHARS.start() <= TUPLE_LENGTH_MIN_DEFAULT_CHARS);
const _: () = assert!(TUPLE_LENGTH_MIN_DEFAULT_CHARS <= TUPLE_LENGTH_MAX_DEFAULT_CHARS);
const _: () = assert!(TUPLE_LENGTH_MAX_DEFAULT_CHARS <= *TUPLE_LENGTH_CHARS.end());

// ---------------------------------------------------------------------------------------------
// Transactions, sessions, instances

/// Deepest user transaction nesting: the 8th nested begin fails with `JET_errTransTooDeep`
/// (`levelUserMost`, reference 02 §2; JET_DbInfoTransactions also reports 7).
pub const TRANSACTION_LEVEL_MAX: u8 = 7;
/// Deepest nesting including the engine's internal per-call levels (`levelMax`).
pub const TRANSACTION_LEVEL_INTERNAL_MAX: u8 = 11;

const _: () = assert!(TRANSACTION_LEVEL_MAX < TRANSACTION_LEVEL_INTERNAL_MAX);

/// Default JET_paramMaxSessions: user sessions per instance (legacy default set).
pub const MAX_SESSIONS_DEFAULT: u32 = 16;
/// Largest JET_paramMaxSessions (also its "small" configuration default).
pub const MAX_SESSIONS_MAX: u32 = 30000;
/// Default JET_paramMaxCursors: cursors per instance.
pub const MAX_CURSORS_DEFAULT: u32 = 1024;
/// Default JET_paramMaxOpenTables: B-tree slots per instance.
pub const MAX_OPEN_TABLES_DEFAULT: u32 = 300;
/// Default JET_paramMaxTemporaryTables; 0 would disable the temporary database.
pub const MAX_TEMPORARY_TABLES_DEFAULT: u32 = 20;
/// Default JET_paramMaxVerPages: version-store pages per instance.
pub const MAX_VER_PAGES_DEFAULT: u32 = 64;
/// Default JET_paramMaxInstances: instances per process.
pub const MAX_INSTANCES_DEFAULT: u32 = 16;
/// Largest JET_paramMaxInstances in code (the docs say 1024).
pub const MAX_INSTANCES_MAX: u32 = 10240;

const _: () = assert!(MAX_SESSIONS_DEFAULT <= MAX_SESSIONS_MAX);
const _: () = assert!(MAX_INSTANCES_DEFAULT <= MAX_INSTANCES_MAX);
// Every session may hold at least one cursor.
const _: () = assert!(MAX_SESSIONS_DEFAULT <= MAX_CURSORS_DEFAULT);

/// Databases an instance can attach, counting the temporary database as id 0 (`dbidMax`;
/// the docs say 7 databases), reference 03 §1.
pub const DATABASES_PER_INSTANCE_MAX: usize = 7;
/// User databases an instance can attach: ids 1–6, six path slots in the log header.
pub const USER_DATABASES_PER_INSTANCE_MAX: usize = DATABASES_PER_INSTANCE_MAX - 1;

// ---------------------------------------------------------------------------------------------
// Log and checkpoint

/// Smallest JET_paramLogFileSize, in KiB.
pub const LOG_FILE_SIZE_MIN_KIB: u32 = 64;
/// Largest JET_paramLogFileSize, in KiB.
pub const LOG_FILE_SIZE_MAX_KIB: u32 = 32768;
/// Default JET_paramLogFileSize, in KiB (5 MiB).
pub const LOG_FILE_SIZE_DEFAULT_KIB: u32 = 5120;
/// Default JET_paramLogBuffers, in 512-byte sectors.
pub const LOG_BUFFERS_DEFAULT_SECTORS: u32 = 126;
/// The last log generation ESE's code allows, approximately (the reference gives
/// "≈ 0x7FFFF000"; old docs say 1 048 575). Past it: `JET_errLogSequenceEnd`.
pub const LOG_GENERATION_MAX: u32 = 0x7FFF_F000;
/// Default JET_paramCheckpointDepthMax: how far the checkpoint may lag the log, in bytes.
pub const CHECKPOINT_DEPTH_MAX_DEFAULT_BYTES: u64 = 20 * 1024 * 1024;
/// Default (and largest) JET_paramCheckpointTooDeep: log generations a transaction may span
/// before updates fail with `JET_errTransactionTooLong`.
pub const CHECKPOINT_TOO_DEEP_DEFAULT_GENERATIONS: u32 = 65536;
/// Smallest JET_paramCheckpointTooDeep.
pub const CHECKPOINT_TOO_DEEP_MIN_GENERATIONS: u32 = 32;

const _: () = assert!(LOG_FILE_SIZE_MIN_KIB <= LOG_FILE_SIZE_DEFAULT_KIB);
const _: () = assert!(LOG_FILE_SIZE_DEFAULT_KIB <= LOG_FILE_SIZE_MAX_KIB);
// A log file must hold at least one page image of the largest size, or a page could not be
// logged whole.
const _: () = assert!(LOG_FILE_SIZE_MIN_KIB as usize * 1024 > PAGE_SIZE_MAX_BYTES);
const _: () = assert!((LOG_FILE_SIZE_MIN_KIB as usize * 1024) % SECTOR_BYTES == 0);
const _: () =
    assert!(CHECKPOINT_TOO_DEEP_MIN_GENERATIONS <= CHECKPOINT_TOO_DEEP_DEFAULT_GENERATIONS);
const _: () = assert!((CHECKPOINT_TOO_DEEP_DEFAULT_GENERATIONS as u64) < LOG_GENERATION_MAX as u64);

/// Default JET_paramDbExtensionSize: pages a database file grows by at a time.
pub const DB_EXTENSION_PAGES_DEFAULT: u32 = 256;
/// Smallest JET_paramVerPageSize, in bytes.
pub const VER_PAGE_SIZE_MIN_BYTES: u32 = 1024;
/// Largest JET_paramVerPageSize, in bytes.
pub const VER_PAGE_SIZE_MAX_BYTES: u32 = 65536;

const _: () = assert!(VER_PAGE_SIZE_MIN_BYTES.is_power_of_two());
const _: () = assert!(VER_PAGE_SIZE_MAX_BYTES.is_power_of_two());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_page_size_limits_match_the_reference() {
        // (page, header, key most, record most, RecordSizeMost param, LV chunk)
        let cases = [
            (4096, 40, 1000, 3789, 4052, 4014),
            (8192, 40, 2000, 7885, 8148, 8110),
            (16384, 80, 2000, 16037, 16300, 4050),
            (32768, 80, 2000, 32421, 32684, 8150),
        ];
        for (page, header, key, record, param, chunk) in cases {
            assert!(is_valid_page_size(page));
            assert_eq!(page_header_bytes(page), header, "{page}");
            assert_eq!(key_most_bytes(page), key, "{page}");
            assert_eq!(record_most_bytes(page), record, "{page}");
            assert_eq!(record_size_most_param_bytes(page), param, "{page}");
            assert_eq!(lv_chunk_most_bytes(page), chunk, "{page}");
        }
        for page in [0, 2048, 4095, 65536] {
            assert!(!is_valid_page_size(page), "{page}");
        }
    }

    #[test]
    fn record_limit_depends_on_the_primary_key_size() {
        // Small pages reserve at least 255 bytes of key whatever the index declares.
        assert_eq!(
            record_most_bytes_for_key(8192, KEY_MOST_NO_PRIMARY_INDEX_BYTES),
            7887
        );
        assert_eq!(record_most_bytes_for_key(8192, 2000), 8144 - 2 - 2002);
        // Large pages reserve exactly the declared key.
        assert_eq!(record_most_bytes_for_key(16384, 2000), 16296 - 4 - 2000);
        assert_eq!(
            record_most_bytes_for_key(16384, KEY_MOST_NO_PRIMARY_INDEX_BYTES),
            16288
        );
    }

    #[test]
    fn column_id_classes_do_not_overlap() {
        for id in [0u32, 127, 128, 255, 256, 0xFEE0, 0xFEE1] {
            let classes = [&FIXED_COLUMN_IDS, &VARIABLE_COLUMN_IDS, &TAGGED_COLUMN_IDS]
                .iter()
                .filter(|r| r.contains(&id))
                .count();
            let expected = usize::from((1..=0xFEE0).contains(&id));
            assert_eq!(classes, expected, "column id {id}");
        }
    }
}
