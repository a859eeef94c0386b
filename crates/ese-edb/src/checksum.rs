//! Page and header checksums: the seeded XOR of headers and old pages, and the XOR+ECC ("XE")
//! checksum of new-format pages, including single-bit repair.
//!
//! The XE checksum treats a block as a bit matrix 128 bits (one 16-byte row) wide. The low u32 is
//! the XOR of every u32 of the block, XORed with the page number, so a page read from the wrong
//! offset fails. The high u32 is a Hsiao-style code: for every row and every bit column it
//! accumulates a "double index" (the index in one half, its complement in the other). A single
//! flipped bit makes the difference between the stored and the computed code equal to that bit's
//! index and its complement, which is how it is located. The algorithm restates Microsoft's
//! reference routine `ChecksumNewFormatSlowly` (MIT licence).
//!
//! ```text
//!  small page (<= 8 KiB)       one block, checksum at offset 0
//!  16 KiB page                 4 x 4 KiB blocks
//!  32 KiB page                 4 x 8 KiB blocks
//!  block 0 checksum  -> offset 0      (covers the stored checksums of blocks 1-3)
//!  block k checksum  -> offset 32 + 8k  (k = 1, 2, 3)
//! ```

use crate::error::{Error, Result};

/// The seed of the header and old-format page XOR checksums.
pub const XOR_SEED: u32 = 0x89AB_CDEF;

/// Page flag: the page uses the XE (XOR + ECC) checksum.
pub const PAGE_FLAG_NEW_CHECKSUM: u32 = 0x2000;

/// Bit offset of [`PAGE_FLAG_NEW_CHECKSUM`] inside a page: ECC must never "repair" it, because
/// it selects the scheme the repair relies on.
const NEW_CHECKSUM_FLAG_BIT: u32 = 9 * 32 + 13;

/// Offset of the first of the three extra block checksums of a large page.
const BLOCK_CHECKSUM_OFFSET: usize = 40;

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(off..off + 4) {
        w.copy_from_slice(s);
    }
    u32::from_le_bytes(w)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    if let Some(s) = b.get(off..off + 8) {
        w.copy_from_slice(s);
    }
    u64::from_le_bytes(w)
}

/// The seeded XOR checksum over `block`, skipping its first u32 (where the checksum lives).
/// Used for database headers and for old-format pages.
pub fn xor_checksum(block: &[u8]) -> u32 {
    block.chunks_exact(4).skip(1).fold(XOR_SEED, |acc, w| {
        acc ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]])
    })
}

/// All ones when `v` has an odd number of set bits, else zero.
fn parity_mask(v: u32) -> u32 {
    if v.count_ones() & 1 == 1 { u32::MAX } else { 0 }
}

/// The XE checksum of one block: `(ecc << 32) | (xor ^ pgno)`. `is_header_block` is set for the
/// block that starts the page, whose first 8 bytes (the checksum itself) count as zero.
/// `block.len()` must be a multiple of 32 bytes; other lengths give a checksum that never matches.
pub fn xe_checksum(block: &[u8], pgno: u32, is_header_block: bool) -> u64 {
    let mut p: u32 = 0;
    let (mut p0, mut p1, mut p2, mut p3) = (0u32, 0u32, 0u32, 0u32);
    let mut idxp: u32 = 0xff80_0000;
    for (row, c) in block.chunks_exact(16).enumerate() {
        let (d0, d1) = if is_header_block && row == 0 {
            (0, 0)
        } else {
            (
                u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            )
        };
        let d2 = u32::from_le_bytes([c[8], c[9], c[10], c[11]]);
        let d3 = u32::from_le_bytes([c[12], c[13], c[14], c[15]]);
        p0 ^= d0;
        p1 ^= d1;
        p2 ^= d2;
        p3 ^= d3;
        p ^= idxp & parity_mask(d0 ^ d1 ^ d2 ^ d3);
        idxp = idxp.wrapping_add(0xff80_0080);
    }
    p |= 0x0040_0000 & parity_mask(p0 ^ p1);
    p |= 0x0000_0040 & parity_mask(p2 ^ p3);
    let r0 = p0 ^ p2;
    let r1 = p1 ^ p3;
    p |= 0x0020_0000 & parity_mask(r0);
    p |= 0x0000_0020 & parity_mask(r1);
    let r2 = r0 ^ r1;
    let mut r: u32 = 0;
    let mut idxr: u32 = 0xffff_0000;
    for bit in 0..32 {
        if r2 & (1 << bit) != 0 {
            r ^= idxr;
        }
        idxr = idxr.wrapping_add(0xffff_0001);
    }
    let cb = block.len() as u32;
    let mask = (cb.wrapping_shl(19)).wrapping_sub(1);
    let ecc = (p & 0xffe0_ffe0 & mask) | (r & 0x001f_001f);
    (u64::from(ecc) << 32) | u64::from(r2 ^ pgno)
}

/// The bit (relative to the block) that a single-bit error flipped, if the difference between
/// the stored and computed checksums says it is one correctable flip.
fn correctable_bit(block_len: usize, stored: u64, computed: u64) -> Option<u32> {
    let ecc_diff = ((stored >> 32) ^ (computed >> 32)) as u32;
    let xor_diff = (stored ^ computed) as u32;
    let bits = (block_len as u32).wrapping_shl(3);
    let mask = bits.wrapping_sub(1);
    if ((ecc_diff >> 16) ^ ecc_diff) & mask != mask || xor_diff.count_ones() != 1 {
        return None;
    }
    let bit = ecc_diff & 0xffff;
    (bit < bits).then_some(bit)
}

/// How a page's checksum turned out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChecksumOutcome {
    /// The stored checksum matched.
    Verified,
    /// Single-bit errors were found and repaired in the caller's copy of the page; the values
    /// are bit offsets from the start of the page.
    Corrected(Vec<u32>),
}

/// The block size the XE checksum uses for a page of `page_size` bytes.
fn block_size(page_size: usize) -> usize {
    match page_size {
        s if s <= 8192 => s,
        s if s <= 16384 => 4096,
        _ => 8192,
    }
}

/// Whether every stored checksum on `page` matches, without repairing anything.
fn xe_all_match(page: &[u8], pgno: u32) -> bool {
    let bs = block_size(page.len());
    for (k, block) in page.chunks(bs).enumerate() {
        let computed = xe_checksum(block, pgno, k == 0);
        let stored = if k == 0 {
            u64_at(page, 0)
        } else {
            u64_at(page, BLOCK_CHECKSUM_OFFSET + 8 * (k - 1))
        };
        if k > 3 || computed != stored {
            return false;
        }
    }
    true
}

/// Verify the checksum of logical page `pgno`, whose bytes are `page`. The scheme (old XOR or
/// XE) is chosen by the page's flag bit. Correctable single-bit errors are fixed in `page` and
/// reported; anything else is [`Error::ReadVerifyFailure`].
pub fn verify_page(page: &mut [u8], pgno: u32) -> Result<ChecksumOutcome> {
    let fail = Error::ReadVerifyFailure { pgno };
    if page.len() < 4096 || page.len() % 4096 != 0 {
        return Err(fail);
    }
    let flags = u32_at(page, 36);
    if flags & PAGE_FLAG_NEW_CHECKSUM == 0 {
        let ok = u32_at(page, 0) == xor_checksum(page) && u32_at(page, 4) == pgno;
        return if ok {
            Ok(ChecksumOutcome::Verified)
        } else {
            Err(fail)
        };
    }
    // Block 0 last is not possible (it covers the stored checksums of blocks 1-3), so repair
    // block 0 first; a flip inside those stored checksums is then repaired before the other
    // blocks are compared with them.
    let bs = block_size(page.len());
    let nblocks = page.len() / bs;
    if nblocks > 4 {
        return Err(fail);
    }
    let mut fixed = Vec::new();
    for k in 0..nblocks {
        let start = k * bs;
        let computed = xe_checksum(&page[start..start + bs], pgno, k == 0);
        let stored = if k == 0 {
            u64_at(page, 0)
        } else {
            u64_at(page, BLOCK_CHECKSUM_OFFSET + 8 * (k - 1))
        };
        if computed == stored {
            continue;
        }
        let bit = correctable_bit(bs, stored, computed).ok_or(Error::ReadVerifyFailure { pgno })?;
        if k == 0 && bit == NEW_CHECKSUM_FLAG_BIT {
            return Err(fail);
        }
        let abs = start as u32 * 8 + bit;
        page[(abs / 8) as usize] ^= 1 << (abs % 8);
        fixed.push(abs);
    }
    if fixed.is_empty() {
        return Ok(ChecksumOutcome::Verified);
    }
    if !xe_all_match(page, pgno) {
        return Err(fail);
    }
    Ok(ChecksumOutcome::Corrected(fixed))
}

/// Compute and store the XE checksums of an in-memory page image (all four blocks of a large
/// page). This crate never writes files; tests and fuzzers use this to build pages whose
/// checksums are valid so that the decoders behind the checksum get exercised.
pub fn stamp_page(page: &mut [u8], pgno: u32) {
    let bs = block_size(page.len());
    let nblocks = (page.len() / bs).min(4);
    for k in 1..nblocks {
        let c = xe_checksum(&page[k * bs..(k + 1) * bs], pgno, false);
        let off = BLOCK_CHECKSUM_OFFSET + 8 * (k - 1);
        page[off..off + 8].copy_from_slice(&c.to_le_bytes());
    }
    let c = xe_checksum(&page[..bs], pgno, true);
    page[..8].copy_from_slice(&c.to_le_bytes());
}

/// Compute and store the header XOR checksum of an in-memory header page.
pub fn stamp_header(page: &mut [u8]) {
    let c = xor_checksum(page);
    page[..4].copy_from_slice(&c.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_page(size: usize, pgno: u32) -> Vec<u8> {
        let mut p = vec![0u8; size];
        for (i, b) in p.iter_mut().enumerate().skip(80) {
            *b = (i * 7 + 3) as u8;
        }
        p[36..40].copy_from_slice(&(PAGE_FLAG_NEW_CHECKSUM | 0x800).to_le_bytes());
        stamp_page(&mut p, pgno);
        p
    }

    #[test]
    fn every_single_bit_flip_is_corrected_or_rejected_never_accepted_wrongly() {
        for size in [4096usize, 8192, 16384, 32768] {
            let good = make_page(size, 77);
            assert_eq!(
                verify_page(&mut good.clone(), 77).unwrap(),
                ChecksumOutcome::Verified
            );
            assert!(verify_page(&mut good.clone(), 78).is_err(), "wrong pgno");
            let step = if size > 8192 { 97 } else { 13 };
            for bit in (0..size * 8).step_by(step) {
                let mut bad = good.clone();
                bad[bit / 8] ^= 1 << (bit % 8);
                match verify_page(&mut bad, 77) {
                    Ok(ChecksumOutcome::Corrected(bits)) => {
                        assert_eq!(bits, vec![bit as u32], "size {size}");
                        assert_eq!(bad, good);
                    }
                    Ok(ChecksumOutcome::Verified) => panic!("flip of bit {bit} went unnoticed"),
                    Err(e) => assert_eq!(e.jet_code(), -1018),
                }
            }
        }
    }

    #[test]
    fn old_format_pages_use_the_seeded_xor_and_the_page_number() {
        let mut p = vec![0u8; 4096];
        p[100] = 7;
        p[4..8].copy_from_slice(&12u32.to_le_bytes());
        let c = xor_checksum(&p);
        p[..4].copy_from_slice(&c.to_le_bytes());
        assert_eq!(
            verify_page(&mut p.clone(), 12).unwrap(),
            ChecksumOutcome::Verified
        );
        assert!(verify_page(&mut p.clone(), 13).is_err());
        p[200] ^= 1;
        assert_eq!(verify_page(&mut p, 12).unwrap_err().jet_code(), -1018);
    }

    #[test]
    fn two_flips_in_one_block_are_rejected() {
        let good = make_page(4096, 9);
        let mut bad = good.clone();
        bad[1000] ^= 1;
        bad[2000] ^= 4;
        let e = verify_page(&mut bad, 9).unwrap_err();
        assert_eq!(e.jet_code(), -1018);
        assert_eq!(e.pgno(), Some(9));
    }
}
