//! Key normalization: column values turned into byte strings whose `memcmp` order is the
//! index order, and [`KeyBuilder`], JetMakeKey's search-key state machine.
//!
//! A key is the concatenation of one *segment* per key column, in index order (reference 11
//! §6). Each segment opens with a header byte — `0x7F` value, `0x00` NULL (`0xC0` with
//! SortNullsHigh), `0x40` zero-length text/binary — followed by the value bytes:
//!
//! ```text
//! Bit                0x00 if 0 else 0xFF                          7F xx
//! UnsignedByte/Short/…/UnsignedLongLong  big-endian, as is       7F …
//! Short/Long/LongLong/Currency  big-endian, sign bit flipped     7F …
//! IEEESingle/IEEEDouble/DateTime  big-endian; negative: all bits
//!                    inverted, else sign bit flipped             7F …
//! GUID               bytes 10 11 12 13 14 15 8 9 6 7 4 5 0 1 2 3 (DotNetGuid:
//!                    3 2 1 0 5 4 7 6 8 … 15)                     7F + 16
//! Binary, fixed      raw cbMax bytes                             7F + cbMax
//! Binary, variable   8-byte chunks, each followed by 9 if more data follows; the last
//!                    zero-padded and followed by its length 1–8 (9 when cut)
//! Text, cp 1252      bytes up to the first NUL, a–z → A–Z, then 00
//! Text, cp 1200      our collation sort key (below), ending 01 00
//! ```
//!
//! A descending column's segment is inverted whole, header included. Every row but the
//! last follows ESE's code byte for byte (fldnorm.cxx: `FLDNormalizeFixedSegment`,
//! `FLDNormalizeBinarySegment`, `ErrUtilNormText`, the limit helpers and `ErrIsamMakeKey`),
//! including its truncation rules: segments are cut to the key space left (`cbKeyMost`,
//! 255 unless the index declares more), cp 1252 text cut by key space gets no terminator and
//! its last kept byte has 0x20 subtracted (the preserved `_toupper` bug), text and binary
//! source data is cut to 255 bytes first on 255-byte indexes, and `cbVarSegMac` caps text
//! and binary segments without counting as truncation.
//!
//! # Unicode text: our documented rule
//!
//! ESE keys cp 1200 text with Windows `LCMapStringEx(LCMAP_SORTKEY)`, whose tables we do not
//! have; such indexes are not interchangeable with Windows and must be rebuilt (reference 11
//! §6). ese-rs uses **collation "ese-rs-fold-1"**, frozen so keys never change under a
//! compiler or Unicode upgrade:
//!
//! 1. The value is read as UTF-16LE; an odd trailing byte is ignored, surrogate pairs are
//!    combined, an unpaired surrogate stands for itself.
//! 2. Width is ignored for ASCII: fullwidth U+FF01–U+FF5E map to U+0021–U+007E.
//! 3. Case is ignored through a fixed simple upper-case map: ASCII a–z, Latin-1
//!    (U+00E0–U+00FE except U+00F7; U+00FF → U+0178), Latin Extended-A pairs
//!    (U+0100–U+017E), Greek (U+03B1–U+03C9, final sigma U+03C2 → U+03A3, and the tonos
//!    letters) and Cyrillic (U+0430–U+045F). Nothing else is folded.
//! 4. The primary weights are the folded code points in an order-preserving variable-length
//!    code that never uses bytes 0x00 or 0x01: `cp < 0x80` → `cp + 2`; `cp < 0x80 + 94·254`
//!    → two bytes `0x82 + q, 2 + r` (q, r = (cp − 0x80) / 254, % 254); otherwise three bytes
//!    `0xE0 + q, 2 + r1, 2 + r0` over `cp − 0x80 − 94·254` in base 254.
//! 5. The sort key is the weights, then `01` (end of the primary level), then `00`.
//!
//! So memcmp of keys orders text by folded code points, shorter prefixes first, equal when
//! the folded strings are equal — case-insensitive and consistent for a column. The shape
//! matches what ESE relies on in Windows keys: PartialColumn*Limit and SubStrLimit cut at the
//! first `01`, and the key ends with `00`.

use ese_core::limits::{KEY_COLUMNS_MAX, KEY_MOST_LEGACY_BYTES};

use crate::coltyp::{CodePage, ColumnId, ColumnType};
use crate::error::{Error, Result};
use crate::record::pad_text;

/// Segment header of a present value.
pub const PREFIX_DATA: u8 = 0x7F;
/// Segment header of NULL.
pub const PREFIX_NULL: u8 = 0x00;
/// Segment header of NULL in an index with SortNullsHigh.
pub const PREFIX_NULL_HIGH: u8 = 0xC0;
/// Segment header of a zero-length text or binary value.
pub const PREFIX_ZERO_LENGTH: u8 = 0x40;
/// The byte limit keys are filled with.
pub const SENTINEL: u8 = 0xFF;
/// Bytes of data in one chunk of a variable binary segment.
pub const BINARY_CHUNK_BYTES: usize = 8;
/// Bytes one chunk takes in the key: the data and its marker.
pub const BINARY_CHUNK_NORMALIZED_BYTES: usize = 9;
/// The end of the primary weights in a Unicode sort key.
pub const UNICODE_LEVEL_SEPARATOR: u8 = 0x01;
/// The last byte of a Unicode sort key.
pub const UNICODE_TERMINATOR: u8 = 0x00;
/// The byte that ends cp 1252 text in a key.
pub const ASCII_TERMINATOR: u8 = 0x00;

/// One key column, as normalization needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyColumn {
    /// The column.
    pub id: ColumnId,
    /// Its type.
    pub coltyp: ColumnType,
    /// Its code page, for text.
    pub code_page: Option<CodePage>,
    /// Whether the column is in the fixed class (fixed binary keys raw bytes).
    pub is_fixed: bool,
    /// Its `cbMax` (fixed text search data is padded to it).
    pub max_bytes: usize,
    /// Whether the column sorts descending.
    pub descending: bool,
}

/// Everything normalization needs to know about an index's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLayout {
    /// The key columns, 0 (the sequential index) to 16.
    pub columns: Vec<KeyColumn>,
    /// The index's `cbKeyMost` (255 unless JET_bitIndexKeyMost).
    pub key_most_bytes: usize,
    /// `cbVarSegMac`: the most bytes of a text/binary segment, header included; 0 or
    /// `key_most_bytes` means no cap.
    pub var_seg_mac: usize,
    /// JET_bitIndexSortNullsHigh.
    pub sort_nulls_high: bool,
    /// JET_bitIndexDotNetGuid.
    pub dot_net_guid: bool,
    /// JET_bitIndexDisallowTruncation: [`KeyLayout::index_key`] refuses truncated keys.
    pub disallow_truncation: bool,
}

impl KeyLayout {
    /// A layout over `columns` with ESE's defaults (255-byte keys, no options).
    pub fn new(columns: Vec<KeyColumn>) -> KeyLayout {
        KeyLayout {
            columns,
            key_most_bytes: KEY_MOST_LEGACY_BYTES,
            var_seg_mac: 0,
            sort_nulls_high: false,
            dot_net_guid: false,
            disallow_truncation: false,
        }
    }

    /// `cbVarSegMac` as ESE's code uses it: `cbKeyMost + 1` when not set.
    fn effective_var_seg_mac(&self) -> usize {
        if self.var_seg_mac == 0 || self.var_seg_mac >= self.key_most_bytes {
            self.key_most_bytes + 1
        } else {
            self.var_seg_mac
        }
    }

    /// The longest search key: `cbKeyMost + 1`, for limit keys.
    pub fn limit_key_most_bytes(&self) -> usize {
        self.key_most_bytes + 1
    }

    /// The key of an index entry whose key columns hold `values` (ESE's
    /// `ErrRECIRetrieveKey` for one combination of values). A key cut at `cbKeyMost` is
    /// returned with `truncated` set, or is JET_errKeyTruncated when the index has
    /// DisallowTruncation.
    pub fn index_key(&self, values: &[SegmentData<'_>]) -> Result<Key> {
        self.index_key_in(values, Vec::new())
    }

    /// [`KeyLayout::index_key`] with the key built in `buf` (cleared first: a buffer kept
    /// from an earlier key saves the allocation).
    pub fn index_key_in(&self, values: &[SegmentData<'_>], mut buf: Vec<u8>) -> Result<Key> {
        if values.len() != self.columns.len() {
            return Err(Error::InvalidParameter(
                "one value per key column is needed",
            ));
        }
        let mut key = Vec::new();
        let mut truncated = false;
        for (col, value) in self.columns.iter().zip(values) {
            let avail = self.key_most_bytes - key.len();
            if avail == 0 {
                truncated = true;
                break;
            }
            let value = match *value {
                SegmentData::Value(v) if col.coltyp.is_text() || col.coltyp.is_binary() => {
                    SegmentData::Value(self.legacy_cut(v))
                }
                other => other,
            };
            let seg = self.normalize_segment(col, value, avail, std::mem::take(&mut buf))?;
            truncated |= seg.truncated;
            if key.is_empty() {
                // The first segment's buffer becomes the key's.
                key = seg.bytes;
            } else {
                key.extend_from_slice(&seg.bytes);
            }
        }
        if truncated && self.disallow_truncation {
            return Err(Error::KeyTruncated);
        }
        Ok(Key {
            bytes: key,
            truncated,
        })
    }

    /// On 255-byte indexes ESE cuts source data to 255 bytes before normalizing.
    fn legacy_cut<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        if self.key_most_bytes == KEY_MOST_LEGACY_BYTES {
            &data[..data.len().min(KEY_MOST_LEGACY_BYTES)]
        } else {
            data
        }
    }

    /// One column's segment in at most `avail` bytes (ESE's `ErrFLDNormalizeSegment`
    /// before limits), already inverted if the column is descending.
    /// Normalizes one column's value into a segment built in `buf` (cleared first; a buffer
    /// kept from an earlier segment saves the allocation).
    fn normalize_segment(
        &self,
        col: &KeyColumn,
        value: SegmentData<'_>,
        avail: usize,
        mut buf: Vec<u8>,
    ) -> Result<Segment> {
        // Room for the usual normalized size (header, data, binary chunk markers), so the
        // segment is allocated at most once.
        let capacity = match value {
            SegmentData::Value(data) => (data.len() + data.len() / 8 + 2).min(avail + 1),
            _ => 1,
        };
        buf.clear();
        buf.reserve(capacity);
        let mut seg = Segment {
            bytes: buf,
            ..Segment::default()
        };
        match value {
            SegmentData::Null => seg.bytes.push(self.null_prefix()),
            SegmentData::ZeroLength => {
                let prefix = if col.coltyp.is_text() || col.coltyp.is_binary() {
                    PREFIX_ZERO_LENGTH
                } else {
                    self.null_prefix()
                };
                seg.bytes.push(prefix);
            }
            SegmentData::Value(data) => {
                if col.coltyp.is_text() {
                    self.normalize_text(col, data, avail, &mut seg);
                } else if col.coltyp.is_binary() {
                    self.normalize_binary(col.is_fixed, data, avail, &mut seg);
                } else {
                    normalize_fixed_type(col.coltyp, data, self.dot_net_guid, &mut seg.bytes)?;
                    if seg.bytes.len() > avail {
                        seg.bytes.truncate(avail);
                        seg.truncated = true;
                    }
                }
            }
        }
        if col.descending {
            for b in &mut seg.bytes {
                *b = !*b;
            }
        }
        Ok(seg)
    }

    fn null_prefix(&self) -> u8 {
        if self.sort_nulls_high {
            PREFIX_NULL_HIGH
        } else {
            PREFIX_NULL
        }
    }

    /// ESE's `ErrFLDNormalizeTextSegment`.
    fn normalize_text(&self, col: &KeyColumn, data: &[u8], avail: usize, seg: &mut Segment) {
        let var_seg_mac = self.effective_var_seg_mac();
        let room = avail.min(var_seg_mac) - 1;
        let cp = col.code_page.unwrap_or(CodePage::Western);
        let char_bytes = cp.char_bytes();
        let mut len = data.len() / char_bytes * char_bytes;
        if self.key_most_bytes == KEY_MOST_LEGACY_BYTES {
            len = len.min(KEY_MOST_LEGACY_BYTES.div_ceil(char_bytes) * char_bytes);
        }
        let data = &data[..len];
        seg.bytes.push(PREFIX_DATA);
        let cut = match cp {
            CodePage::Western => normalize_ascii(data, room, &mut seg.bytes),
            CodePage::Unicode => {
                let key = unicode_sort_key(data);
                let n = key.len().min(room);
                seg.bytes.extend_from_slice(&key[..n]);
                n < key.len()
            }
        };
        if cut {
            // A cut made by cbVarSegMac is on purpose and is not truncation.
            let written = seg.bytes.len() - 1;
            if var_seg_mac > self.key_most_bytes || written < var_seg_mac - 1 {
                seg.truncated = true;
            }
        }
    }

    /// ESE's `FLDNormalizeBinarySegment`.
    fn normalize_binary(&self, is_fixed: bool, data: &[u8], avail: usize, seg: &mut Segment) {
        let var_seg_mac = self.effective_var_seg_mac();
        let capped = var_seg_mac < self.key_most_bytes;
        seg.bytes.push(PREFIX_DATA);
        if is_fixed {
            let mut len = data.len() + 1;
            if capped && len > var_seg_mac {
                len = var_seg_mac;
            }
            if len > avail {
                len = avail;
                seg.truncated = true;
            }
            seg.bytes.extend_from_slice(&data[..len - 1]);
            return;
        }
        let chunks = data.len().div_ceil(BINARY_CHUNK_BYTES);
        let mut len = chunks * BINARY_CHUNK_NORMALIZED_BYTES + 1;
        let mut entire = true;
        if capped && len > var_seg_mac {
            len = var_seg_mac;
            entire = false;
        }
        if len > avail {
            len = avail;
            entire = false;
            seg.truncated = true;
        }
        let mut room = len - 1;
        let mut rest = data;
        while room >= BINARY_CHUNK_NORMALIZED_BYTES {
            if rest.len() <= BINARY_CHUNK_BYTES {
                seg.bytes.extend_from_slice(rest);
                seg.binary_delimiter = seg.bytes.len();
                if rest.len() == BINARY_CHUNK_BYTES {
                    // 8 means "ends exactly here", 9 "cut here": a cut value sorts after
                    // the complete one.
                    seg.bytes.push(if entire {
                        BINARY_CHUNK_BYTES as u8
                    } else {
                        BINARY_CHUNK_NORMALIZED_BYTES as u8
                    });
                } else {
                    seg.bytes
                        .resize(seg.bytes.len() + BINARY_CHUNK_BYTES - rest.len(), 0);
                    seg.bytes.push(rest.len() as u8);
                }
                rest = &[];
            } else {
                seg.bytes.extend_from_slice(&rest[..BINARY_CHUNK_BYTES]);
                seg.bytes.push(BINARY_CHUNK_NORMALIZED_BYTES as u8);
                rest = &rest[BINARY_CHUNK_BYTES..];
            }
            room -= BINARY_CHUNK_NORMALIZED_BYTES;
        }
        if room > 0 {
            if rest.len() >= room {
                seg.bytes.extend_from_slice(&rest[..room]);
            } else {
                seg.bytes.extend_from_slice(rest);
                seg.binary_delimiter = seg.bytes.len();
                seg.bytes.resize(seg.bytes.len() + room - rest.len(), 0);
            }
        }
    }
}

/// A column value to normalize.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentData<'a> {
    /// The column is NULL.
    Null,
    /// A zero-length value (text and binary only; NULL for other types).
    ZeroLength,
    /// The value's bytes, as stored (little-endian for numbers).
    Value(&'a [u8]),
}

/// A normalized key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Key {
    /// The key bytes.
    pub bytes: Vec<u8>,
    /// Whether the key was cut at the key size limit (ESE's "key too big").
    pub truncated: bool,
}

#[derive(Default)]
struct Segment {
    bytes: Vec<u8>,
    truncated: bool,
    /// Where a variable binary value's data ends (0 if it cannot be told).
    binary_delimiter: usize,
}

/// The segment bytes after the header of a fixed-size type (ESE's
/// `FLDNormalizeFixedSegment`); the value must have exactly the type's size.
fn normalize_fixed_type(
    coltyp: ColumnType,
    data: &[u8],
    dot_net_guid: bool,
    out: &mut Vec<u8>,
) -> Result<()> {
    let size = coltyp.fixed_size().unwrap_or(0);
    if data.len() != size {
        return Err(Error::InvalidBufferSize {
            len: data.len(),
            expected: size,
        });
    }
    out.push(PREFIX_DATA);
    match coltyp {
        ColumnType::Bit => out.push(if data[0] == 0 { 0x00 } else { 0xFF }),
        ColumnType::UnsignedByte => out.push(data[0]),
        ColumnType::Short => out.extend_from_slice(&(le_u64(data) as u16 ^ 0x8000).to_be_bytes()),
        ColumnType::UnsignedShort => out.extend_from_slice(&(le_u64(data) as u16).to_be_bytes()),
        ColumnType::Long => {
            out.extend_from_slice(&(le_u64(data) as u32 ^ 0x8000_0000).to_be_bytes());
        }
        ColumnType::UnsignedLong => out.extend_from_slice(&(le_u64(data) as u32).to_be_bytes()),
        ColumnType::LongLong | ColumnType::Currency => {
            out.extend_from_slice(&(le_u64(data) ^ (1 << 63)).to_be_bytes());
        }
        ColumnType::UnsignedLongLong => out.extend_from_slice(&le_u64(data).to_be_bytes()),
        ColumnType::IEEESingle => {
            let v = le_u64(data) as u32;
            let v = if v & 0x8000_0000 != 0 {
                !v
            } else {
                v ^ 0x8000_0000
            };
            out.extend_from_slice(&v.to_be_bytes());
        }
        ColumnType::IEEEDouble | ColumnType::DateTime => {
            let v = le_u64(data);
            let v = if v & (1 << 63) != 0 {
                !v
            } else {
                v ^ (1 << 63)
            };
            out.extend_from_slice(&v.to_be_bytes());
        }
        ColumnType::Guid => {
            let order: [usize; 16] = if dot_net_guid {
                [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]
            } else {
                [10, 11, 12, 13, 14, 15, 8, 9, 6, 7, 4, 5, 0, 1, 2, 3]
            };
            out.extend(order.iter().map(|&i| data[i]));
        }
        ColumnType::Binary | ColumnType::Text | ColumnType::LongBinary | ColumnType::LongText => {
            return Err(Error::InvalidParameter("not a fixed-size type"));
        }
    }
    Ok(())
}

fn le_u64(data: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b[..data.len()].copy_from_slice(data);
    u64::from_le_bytes(b)
}

/// ESE's `ErrUtilNormText` for cp 1252 into `room` bytes; returns whether the text was cut.
fn normalize_ascii(data: &[u8], room: usize, out: &mut Vec<u8>) -> bool {
    let upper = |b: u8| b.to_ascii_uppercase();
    if room > data.len() {
        out.extend(data.iter().copied().take_while(|b| *b != 0).map(upper));
        out.push(ASCII_TERMINATOR);
        false
    } else if room > 0 {
        let n = room - 1;
        let kept: Vec<u8> = data[..n].iter().copied().take_while(|b| *b != 0).collect();
        out.extend(kept.iter().copied().map(upper));
        if kept.len() == n && data[n] != 0 {
            // `_crt_clocale_toupper_broken`: subtracts 0x20 whatever the byte is.
            out.push(data[n].wrapping_sub(0x20));
            true
        } else {
            out.push(ASCII_TERMINATOR);
            false
        }
    } else {
        false
    }
}

/// The "ese-rs-fold-1" upper-case map (module doc, rule 3).
pub fn fold_char(cp: u32) -> u32 {
    let cp = if (0xFF01..=0xFF5E).contains(&cp) {
        cp - 0xFEE0
    } else {
        cp
    };
    match cp {
        0x61..=0x7A => cp - 0x20,
        0xE0..=0xFE if cp != 0xF7 => cp - 0x20,
        0xFF => 0x178,
        0x100..=0x12F | 0x132..=0x137 | 0x14A..=0x177 => cp & !1,
        0x139..=0x148 | 0x179..=0x17E => {
            if cp % 2 == 0 {
                cp - 1
            } else {
                cp
            }
        }
        0x3AC => 0x386,
        0x3AD..=0x3AF => cp - 0x25,
        0x3B1..=0x3C1 | 0x3C3..=0x3C9 => cp - 0x20,
        0x3C2 => 0x3A3,
        0x3CC => 0x38C,
        0x3CD..=0x3CE => cp - 0x3F,
        0x430..=0x44F => cp - 0x20,
        0x450..=0x45F => cp - 0x50,
        _ => cp,
    }
}

/// The code points of UTF-16LE `data` (module doc, rule 1).
pub fn utf16_code_points(data: &[u8]) -> Vec<u32> {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    char::decode_utf16(units.iter().copied())
        .map(|r| match r {
            Ok(c) => u32::from(c),
            Err(e) => u32::from(e.unpaired_surrogate()),
        })
        .collect()
}

const TWO_BYTE_SPAN: u32 = 94 * 254;

/// The sort key of UTF-16LE text under "ese-rs-fold-1" (module doc, rules 1–5).
pub fn unicode_sort_key(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 2);
    for cp in utf16_code_points(data) {
        let cp = fold_char(cp);
        if cp < 0x80 {
            out.push(cp as u8 + 2);
        } else if cp < 0x80 + TWO_BYTE_SPAN {
            let v = cp - 0x80;
            out.push(0x82 + (v / 254) as u8);
            out.push(2 + (v % 254) as u8);
        } else {
            let v = cp - 0x80 - TWO_BYTE_SPAN;
            out.push(0xE0 + (v / (254 * 254)) as u8);
            out.push(2 + (v / 254 % 254) as u8);
            out.push(2 + (v % 254) as u8);
        }
    }
    out.push(UNICODE_LEVEL_SEPARATOR);
    out.push(UNICODE_TERMINATOR);
    out
}

/// JetMakeKey grbits (`JET_bit…`, ESE's values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MakeKeyGrbit(pub u32);

impl MakeKeyGrbit {
    /// No flags: append the next column's segment.
    pub const NONE: MakeKeyGrbit = MakeKeyGrbit(0);
    /// JET_bitNewKey (0x1): start a new key; this is column 1.
    pub const NEW_KEY: MakeKeyGrbit = MakeKeyGrbit(0x1);
    /// JET_bitStrLimit (0x2).
    pub const STR_LIMIT: MakeKeyGrbit = MakeKeyGrbit(0x2);
    /// JET_bitSubStrLimit (0x4).
    pub const SUB_STR_LIMIT: MakeKeyGrbit = MakeKeyGrbit(0x4);
    /// JET_bitNormalizedKey (0x8): the data is a whole normalized key.
    pub const NORMALIZED_KEY: MakeKeyGrbit = MakeKeyGrbit(0x8);
    /// JET_bitKeyDataZeroLength (0x10): empty data is zero-length, not NULL.
    pub const KEY_DATA_ZERO_LENGTH: MakeKeyGrbit = MakeKeyGrbit(0x10);
    /// JET_bitFullColumnStartLimit (0x100).
    pub const FULL_COLUMN_START_LIMIT: MakeKeyGrbit = MakeKeyGrbit(0x100);
    /// JET_bitFullColumnEndLimit (0x200).
    pub const FULL_COLUMN_END_LIMIT: MakeKeyGrbit = MakeKeyGrbit(0x200);
    /// JET_bitPartialColumnStartLimit (0x400).
    pub const PARTIAL_COLUMN_START_LIMIT: MakeKeyGrbit = MakeKeyGrbit(0x400);
    /// JET_bitPartialColumnEndLimit (0x800).
    pub const PARTIAL_COLUMN_END_LIMIT: MakeKeyGrbit = MakeKeyGrbit(0x800);
    /// The four limit options, of which at most one may be given (JET_maskLimitOptions).
    pub const LIMIT_MASK: u32 = 0xF00;

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: MakeKeyGrbit) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for MakeKeyGrbit {
    type Output = MakeKeyGrbit;
    fn bitor(self, rhs: MakeKeyGrbit) -> MakeKeyGrbit {
        MakeKeyGrbit(self.0 | rhs.0)
    }
}

/// A cursor's search key under construction: JetMakeKey (reference 11 §7, ESE's
/// `ErrIsamMakeKey`).
///
/// Each [`KeyBuilder::make_key`] appends the next key column's segment; a limit option
/// completes the key (later calls give JET_errKeyIsMade until NewKey). Seeks consume the key
/// with [`KeyBuilder::take`].
#[derive(Clone, Debug)]
pub struct KeyBuilder<'a> {
    layout: &'a KeyLayout,
    state: KeyState,
}

impl<'a> KeyBuilder<'a> {
    /// A builder with no key in progress, for the index `layout` describes.
    pub fn new(layout: &'a KeyLayout) -> KeyBuilder<'a> {
        KeyBuilder {
            layout,
            state: KeyState::new(),
        }
    }

    /// Appends one column's search data, as `JetMakeKey` does (see [`KeyState::make_key`]).
    pub fn make_key(&mut self, data: &[u8], grbit: MakeKeyGrbit) -> Result<()> {
        self.state.make_key(self.layout, data, grbit)
    }

    /// The key built so far (JetRetrieveKey with RetrieveCopy); JET_errKeyNotMade if none.
    pub fn key(&self) -> Result<&[u8]> {
        self.state.key()
    }

    /// How many key columns have been given.
    pub fn column_count(&self) -> usize {
        self.state.column_count()
    }

    /// Whether a limit option completed the key (it may then be `cbKeyMost + 1` bytes).
    pub fn is_limit(&self) -> bool {
        self.state.is_limit()
    }

    /// Whether a segment was cut at the key size limit.
    pub fn is_truncated(&self) -> bool {
        self.state.is_truncated()
    }

    /// Consumes the key, as JetSeek and JetSetIndexRange do, success or not.
    pub fn take(&mut self) -> Result<Key> {
        self.state.take()
    }

    /// Discards any key in progress.
    pub fn reset(&mut self) {
        self.state.reset()
    }
}

/// A search key under construction, without the layout it is made for: what a cursor keeps
/// between JetMakeKey calls ([`KeyBuilder`] pairs it with a layout).
#[derive(Clone, Debug, Default)]
pub struct KeyState {
    key: Vec<u8>,
    columns: usize,
    prepared: bool,
    limit: bool,
    truncated: bool,
    /// The last segment's buffer, reused by the next one (JetMakeKey is called per seek).
    scratch: Vec<u8>,
}

impl KeyState {
    /// No key in progress.
    pub fn new() -> KeyState {
        KeyState {
            key: Vec::new(),
            columns: 0,
            prepared: false,
            limit: false,
            truncated: false,
            scratch: Vec::new(),
        }
    }

    /// Appends one column's search data, as `JetMakeKey` does (`make_key`).
    ///
    /// Errors: JET_errKeyNotMade (no NewKey and nothing in progress), JET_errKeyIsMade (all
    /// columns given or a limit applied), JET_errNoCurrentIndex (a column key on the
    /// sequential index, which takes only NormalizedKey), JET_errInvalidGrbit (two
    /// limit options, or a partial limit on a column that has no delimiter),
    /// JET_errInvalidBufferSize (wrong size for a fixed column, zero-length on a fixed or
    /// non-text/binary column), JET_errInvalidParameter (a normalized key longer than
    /// `cbKeyMost + 1` and 255).
    pub fn make_key(&mut self, layout: &KeyLayout, data: &[u8], grbit: MakeKeyGrbit) -> Result<()> {
        if grbit.contains(MakeKeyGrbit::NORMALIZED_KEY) {
            let limit_most = layout.limit_key_most_bytes();
            if data.len() > limit_most && data.len() > KEY_MOST_LEGACY_BYTES {
                return Err(Error::InvalidParameter("normalized key too long"));
            }
            let n = data.len().min(limit_most);
            self.reset();
            self.columns = 1;
            self.key.extend_from_slice(&data[..n]);
            self.prepared = true;
            self.limit = n > layout.key_most_bytes;
            return Ok(());
        }
        if layout.columns.is_empty() {
            return Err(Error::NoCurrentIndex);
        }
        if grbit.contains(MakeKeyGrbit::NEW_KEY) {
            self.reset();
        } else if self.limit {
            return Err(Error::KeyIsMade);
        } else if !self.prepared {
            return Err(Error::KeyNotMade);
        }
        let Some(col) = layout.columns.get(self.columns) else {
            return Err(Error::KeyIsMade);
        };
        // A fixed binary column given exactly its size, with no limit option, room for it
        // and no cap on its segment, normalizes to the data prefix and its bytes (the fixed
        // case of `normalize_binary`): appended here in place, as every point read's key is.
        let plain = MakeKeyGrbit::NEW_KEY.0 | MakeKeyGrbit::KEY_DATA_ZERO_LENGTH.0;
        if col.is_fixed
            && col.coltyp.is_binary()
            && !col.descending
            && !data.is_empty()
            && data.len() == col.max_bytes
            && grbit.0 & !plain == 0
            && !self.truncated
            && self.key.len() + data.len() < layout.key_most_bytes
            && data.len() < layout.effective_var_seg_mac()
        {
            self.key.reserve(data.len() + 1);
            self.key.push(PREFIX_DATA);
            self.key.extend_from_slice(data);
            self.columns += 1;
            self.prepared = true;
            return Ok(());
        }
        let padded;
        let given_len = data.len();
        let mut data = layout.legacy_cut(data);
        if col.is_fixed && given_len > 0 && given_len != col.max_bytes {
            if col.coltyp == ColumnType::Text && given_len < col.max_bytes {
                let mut v = data.to_vec();
                pad_text(
                    &mut v,
                    col.max_bytes,
                    col.code_page.unwrap_or(CodePage::Western),
                );
                padded = v;
                data = &padded;
            } else {
                return Err(Error::InvalidBufferSize {
                    len: given_len,
                    expected: col.max_bytes,
                });
            }
        }
        let limit = grbit.0 & MakeKeyGrbit::LIMIT_MASK;
        match limit {
            0x400 | 0x800 => {
                if !col.coltyp.is_text() && (col.is_fixed || !col.coltyp.is_binary()) {
                    return Err(Error::InvalidGrbit(
                        "partial limits need a text or variable binary column",
                    ));
                }
            }
            0 | 0x100 | 0x200 => {}
            _ => return Err(Error::InvalidGrbit("more than one limit option")),
        }
        let mut seg = Segment::default();
        if !self.truncated && self.key.len() < layout.key_most_bytes {
            let avail = layout.key_most_bytes - self.key.len();
            let value = if !data.is_empty() {
                SegmentData::Value(data)
            } else if grbit.contains(MakeKeyGrbit::KEY_DATA_ZERO_LENGTH) {
                if col.is_fixed || !(col.coltyp.is_text() || col.coltyp.is_binary()) {
                    return Err(Error::InvalidBufferSize {
                        len: 0,
                        expected: col.max_bytes,
                    });
                }
                SegmentData::ZeroLength
            } else {
                SegmentData::Null
            };
            seg = layout.normalize_segment(col, value, avail, std::mem::take(&mut self.scratch))?;
            self.truncated |= seg.truncated;
            let with_suffix = avail + 1;
            let text_cp = col
                .coltyp
                .is_text()
                .then(|| col.code_page.unwrap_or(CodePage::Western));
            match limit {
                0x100 => self.limit = true,
                0x200 => {
                    full_column_limit(&mut seg.bytes, with_suffix, true);
                    self.limit = true;
                }
                0x400 | 0x800 => {
                    let sentinel = limit == 0x800;
                    match text_cp {
                        Some(cp) => partial_limit_text(
                            &mut seg.bytes,
                            with_suffix,
                            col.descending,
                            sentinel,
                            cp,
                        ),
                        None => partial_limit_binary(
                            &mut seg.bytes,
                            with_suffix,
                            seg.binary_delimiter,
                            sentinel,
                        ),
                    }
                    self.limit = true;
                }
                _ => {
                    if let (true, Some(cp)) = (grbit.contains(MakeKeyGrbit::SUB_STR_LIMIT), text_cp)
                    {
                        partial_limit_text(&mut seg.bytes, with_suffix, col.descending, true, cp);
                        self.limit = true;
                    } else if grbit.contains(MakeKeyGrbit::STR_LIMIT) {
                        partial_limit_binary(
                            &mut seg.bytes,
                            with_suffix,
                            seg.binary_delimiter,
                            true,
                        );
                        self.limit = true;
                    }
                }
            }
        }
        self.columns += 1;
        let room = layout.limit_key_most_bytes() - self.key.len();
        seg.bytes.truncate(room);
        self.key.extend_from_slice(&seg.bytes);
        self.scratch = seg.bytes;
        self.prepared = true;
        Ok(())
    }

    /// The key built so far (JetRetrieveKey with RetrieveCopy); JET_errKeyNotMade if none.
    pub fn key(&self) -> Result<&[u8]> {
        if self.prepared {
            Ok(&self.key)
        } else {
            Err(Error::KeyNotMade)
        }
    }

    /// How many key columns have been given.
    pub fn column_count(&self) -> usize {
        self.columns
    }

    /// Whether a limit option completed the key (it may then be `cbKeyMost + 1` bytes).
    pub fn is_limit(&self) -> bool {
        self.limit
    }

    /// Whether a segment was cut at the key size limit.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Consumes the key, as JetSeek and JetSetIndexRange do, success or not.
    pub fn take(&mut self) -> Result<Key> {
        if !self.prepared {
            return Err(Error::KeyNotMade);
        }
        let key = Key {
            bytes: std::mem::take(&mut self.key),
            truncated: self.truncated,
        };
        self.reset();
        Ok(key)
    }

    /// Takes back the buffer of a key [`KeyState::take`] gave out and that is no longer
    /// needed, so the next key is built without a new allocation. Nothing else changes.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.key.capacity() == 0 {
            buf.clear();
            self.key = buf;
        }
    }

    /// Discards any key in progress.
    pub fn reset(&mut self) {
        self.key.clear();
        self.columns = 0;
        self.prepared = false;
        self.limit = false;
        self.truncated = false;
    }
}

/// ESE's `FLDISetFullColumnLimit`.
fn full_column_limit(seg: &mut Vec<u8>, with_suffix: usize, sentinel: bool) {
    if sentinel && seg.len() < with_suffix {
        seg.resize(with_suffix, SENTINEL);
    }
}

/// ESE's `FLDISetPartialColumnLimitOnTextColumn`.
fn partial_limit_text(
    seg: &mut Vec<u8>,
    with_suffix: usize,
    descending: bool,
    sentinel: bool,
    cp: CodePage,
) {
    if seg.len() < 2 {
        full_column_limit(seg, with_suffix, sentinel);
        return;
    }
    let mask = if descending { 0xFF } else { 0x00 };
    let suffix = with_suffix - 1;
    let mut end = match cp {
        CodePage::Unicode => {
            let delimiter = UNICODE_LEVEL_SEPARATOR ^ mask;
            let mut i = 1;
            while i < suffix && seg.get(i).is_some_and(|b| *b != delimiter) {
                i += 1;
            }
            i
        }
        CodePage::Western => {
            let terminator = ASCII_TERMINATOR ^ mask;
            if seg.last() == Some(&terminator) {
                seg.len() - 1
            } else {
                seg.len()
            }
        }
    };
    end = end.min(suffix).min(seg.len());
    seg.truncate(end);
    if sentinel {
        seg.resize(with_suffix, SENTINEL);
    }
}

/// ESE's `FLDITrySetPartialColumnLimitOnBinaryColumn`.
fn partial_limit_binary(seg: &mut Vec<u8>, with_suffix: usize, delimiter: usize, sentinel: bool) {
    if delimiter == 0 {
        full_column_limit(seg, with_suffix, sentinel);
    } else if sentinel {
        let len = seg.len() + 1;
        seg.resize(len, 0);
        for b in &mut seg[delimiter..] {
            *b = SENTINEL;
        }
    } else {
        seg.truncate(delimiter);
    }
}

/// The most key columns an index may have (JET_ccolKeyMost).
pub const KEY_COLUMNS_MOST: usize = KEY_COLUMNS_MAX;

#[cfg(test)]
mod tests;
