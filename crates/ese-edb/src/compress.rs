//! Decoders for ESE's column compression: 7-bit ASCII, 7-bit Unicode and XPRESS (MS-XCA plain
//! LZ77).
//!
//! A compressed value starts with a lead byte whose top five bits name the scheme:
//!
//! ```text
//!  lead byte  = scheme << 3 | extra
//!  scheme 1   7-bit ASCII    extra + 1 = bits used in the last byte; 7-bit units, LSB first
//!  scheme 2   7-bit Unicode  same packing, each unit widened to a UTF-16LE code unit
//!  scheme 3   XPRESS         then u16 uncompressed size, then the LZ77 stream
//!  scheme 4   scrubbed       (the value was wiped)
//!  5, 6, 7    XPRESS9, XPRESS10, LZ4: reported as unsupported
//! ```
//!
//! Every decoder bounds its output by the size the header declares (or by
//! [`MAX_DECOMPRESSED_BYTES`]), so a hostile value cannot make it allocate without limit.

use crate::error::{Error, Result};

/// The largest value a decoder will produce; ESE's compressed values are at most one LV chunk
/// or one record, far below this.
pub const MAX_DECOMPRESSED_BYTES: usize = 1 << 20;

/// Compression scheme ids (the top five bits of the lead byte).
const SCHEME_7BIT_ASCII: u8 = 1;
const SCHEME_7BIT_UNICODE: u8 = 2;
const SCHEME_XPRESS: u8 = 3;
const SCHEME_SCRUB: u8 = 4;
const SCHEME_XPRESS9: u8 = 5;
const SCHEME_XPRESS10: u8 = 6;
const SCHEME_LZ4: u8 = 7;

/// The compression scheme of a value, from its lead byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// 7-bit packed ASCII.
    SevenBitAscii,
    /// 7-bit packed UTF-16 code units below 0x80.
    SevenBitUnicode,
    /// XPRESS (MS-XCA plain LZ77).
    Xpress,
    /// Anything else (scrubbed, XPRESS9/10, LZ4, or unknown).
    Other(u8),
}

/// The scheme a compressed value uses.
pub fn scheme(data: &[u8]) -> Option<Scheme> {
    let lead = *data.first()?;
    Some(match lead >> 3 {
        SCHEME_7BIT_ASCII => Scheme::SevenBitAscii,
        SCHEME_7BIT_UNICODE => Scheme::SevenBitUnicode,
        SCHEME_XPRESS => Scheme::Xpress,
        other => Scheme::Other(other),
    })
}

/// Decompress a value compressed by ESE.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>> {
    let lead = *data
        .first()
        .ok_or_else(|| Error::Decompression("empty compressed value".into()))?;
    match lead >> 3 {
        SCHEME_7BIT_ASCII => seven_bit(data, false),
        SCHEME_7BIT_UNICODE => seven_bit(data, true),
        SCHEME_XPRESS => {
            if data.len() < 3 {
                return Err(Error::Decompression("XPRESS value without a size".into()));
            }
            let size = usize::from(u16::from_le_bytes([data[1], data[2]]));
            xpress(&data[3..], size)
        }
        SCHEME_SCRUB => Err(Error::Decompression("value was scrubbed".into())),
        SCHEME_XPRESS9 => Err(Error::Unsupported("XPRESS9 compression".into())),
        SCHEME_XPRESS10 => Err(Error::Unsupported("XPRESS10 compression".into())),
        SCHEME_LZ4 => Err(Error::Unsupported("LZ4 compression".into())),
        other => Err(Error::Decompression(format!(
            "unknown compression scheme {other}"
        ))),
    }
}

fn seven_bit(data: &[u8], wide: bool) -> Result<Vec<u8>> {
    if data.len() < 2 {
        return Err(Error::Decompression("7-bit value without data".into()));
    }
    let bits_in_last = usize::from(data[0] & 7) + 1;
    let total_bits = (data.len() - 2) * 8 + bits_in_last;
    if total_bits % 7 != 0 {
        return Err(Error::Decompression(format!(
            "7-bit value of {total_bits} bits is not a whole number of units"
        )));
    }
    let count = total_bits / 7;
    let mut out = Vec::with_capacity(if wide { count * 2 } else { count });
    let mut acc: u32 = 0;
    let mut have = 0u32;
    let mut bytes = data[1..].iter();
    for _ in 0..count {
        while have < 7 {
            let b = bytes
                .next()
                .ok_or_else(|| Error::Decompression("7-bit value truncated".into()))?;
            acc |= u32::from(*b) << have;
            have += 8;
        }
        let unit = (acc & 0x7f) as u8;
        acc >>= 7;
        have -= 7;
        out.push(unit);
        if wide {
            out.push(0);
        }
    }
    Ok(out)
}

/// Decode an MS-XCA plain LZ77 stream that expands to `size` bytes.
pub fn xpress(input: &[u8], size: usize) -> Result<Vec<u8>> {
    let err = |what: &str| Error::Decompression(format!("XPRESS: {what}"));
    if size > MAX_DECOMPRESSED_BYTES {
        return Err(err("declared size too large"));
    }
    let mut out: Vec<u8> = Vec::with_capacity(size);
    let mut pos = 0usize;
    let mut flags: u32 = 0;
    let mut flag_count = 0u32;
    let mut half_byte_at: Option<usize> = None;
    let byte = |p: usize| input.get(p).copied().ok_or_else(|| err("truncated"));
    while out.len() < size {
        if flag_count == 0 {
            let w = input
                .get(pos..pos + 4)
                .ok_or_else(|| err("truncated flags"))?;
            flags = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            pos += 4;
            flag_count = 32;
        }
        flag_count -= 1;
        if flags & (1 << flag_count) == 0 {
            out.push(byte(pos)?);
            pos += 1;
            continue;
        }
        if pos >= input.len() {
            break;
        }
        let m = u16::from_le_bytes([byte(pos)?, byte(pos + 1)?]);
        pos += 2;
        let offset = usize::from(m >> 3) + 1;
        let mut len = usize::from(m & 7);
        if len == 7 {
            len = match half_byte_at.take() {
                None => {
                    half_byte_at = Some(pos);
                    let v = byte(pos)? & 0x0f;
                    pos += 1;
                    usize::from(v)
                }
                Some(at) => usize::from(byte(at)? >> 4),
            };
            if len == 15 {
                len = usize::from(byte(pos)?);
                pos += 1;
                if len == 255 {
                    len = usize::from(u16::from_le_bytes([byte(pos)?, byte(pos + 1)?]));
                    pos += 2;
                    if len == 0 {
                        let w = input.get(pos..pos + 4).ok_or_else(|| err("truncated"))?;
                        len = u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as usize;
                        pos += 4;
                    }
                    len = len
                        .checked_sub(15 + 7)
                        .ok_or_else(|| err("match length underflow"))?;
                }
                len += 15;
            }
            len += 7;
        }
        len += 3;
        if offset > out.len() {
            return Err(err("match reaches before the start of the output"));
        }
        if out.len() + len > size {
            return Err(err("match runs past the declared size"));
        }
        let from = out.len() - offset;
        for k in 0..len {
            let b = out[from + k];
            out.push(b);
        }
    }
    if out.len() != size {
        return Err(err("stream ended before the declared size"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack7(text: &[u8], scheme: u8) -> Vec<u8> {
        let mut bits: Vec<bool> = Vec::new();
        for &c in text {
            for k in 0..7 {
                bits.push(c & (1 << k) != 0);
            }
        }
        let mut out = vec![0u8];
        for chunk in bits.chunks(8) {
            let mut b = 0u8;
            for (k, &bit) in chunk.iter().enumerate() {
                b |= u8::from(bit) << k;
            }
            out.push(b);
        }
        let last = bits.len() % 8;
        let used = if last == 0 { 8 } else { last };
        out[0] = (scheme << 3) | (used as u8 - 1);
        out
    }

    #[test]
    fn seven_bit_round_trips() {
        for text in [&b"a"[..], b"Record          0", b"hello, world!!"] {
            assert_eq!(decompress(&pack7(text, 1)).unwrap(), text);
            let wide: Vec<u8> = text.iter().flat_map(|&c| [c, 0]).collect();
            assert_eq!(decompress(&pack7(text, 2)).unwrap(), wide);
        }
    }

    #[test]
    fn xpress_literals_and_matches() {
        // Flags: first 3 items literal, then one match (bit 28 set counting from the top).
        let mut s = Vec::new();
        let flags: u32 = 1 << (31 - 3);
        s.extend_from_slice(&flags.to_le_bytes());
        s.extend_from_slice(b"abc");
        // offset 3 (stored 2), length 6 (stored 3).
        let m: u16 = (2 << 3) | 3;
        s.extend_from_slice(&m.to_le_bytes());
        assert_eq!(xpress(&s, 9).unwrap(), b"abcabcabc");
        assert!(xpress(&s, 20).is_err());
        assert!(xpress(&s[..5], 9).is_err());
    }

    #[test]
    fn unsupported_schemes_are_errors() {
        assert_eq!(decompress(&[5 << 3, 0, 0]).unwrap_err().jet_code(), -1001);
        assert!(decompress(&[]).is_err());
    }
}
