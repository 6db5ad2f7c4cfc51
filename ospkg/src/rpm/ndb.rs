//! rpm's NDB format (`Packages.db`, SUSE since 15.3; rpm's
//! lib/backend/ndb/rpmpkg.c): a 32-byte database header, then slot pages
//! of 16-byte slots (magic, package index, block offset, block count), and
//! the blobs the slots point to, in 16-byte blocks: a 16-byte blob header
//! (magic, package index, generation, length), the header blob, zero
//! padding, and a 12-byte tail (Adler-32 of everything before it, the
//! length again, magic) ending the blob's last block.

use std::collections::HashSet;

use super::malformed;
use crate::Result;

/// `RpmP`, little-endian, at offset 0.
pub(super) const MAGIC: &[u8] = b"RpmP";
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const TAIL_MAGIC: u32 = u32::from_le_bytes(*b"BlbE");
const PAGE: usize = 4096;
const SLOT: usize = 16;
const BLOCK: usize = 16;
const BLOB_HEAD: usize = 16;
const BLOB_TAIL: usize = 12;

fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Adler-32 (RFC 1950), the blobs' checksum.
fn adler32(bytes: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in bytes.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// Hands every package's header blob to `each`, in slot order.
pub(super) fn blobs(
    path: &str,
    bytes: &[u8],
    each: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let bad = |why: String| malformed("RPM NDB database", path, why);
    if bytes.len() < 32 {
        return Err(bad("shorter than its 32-byte header".into()));
    }
    let version = le32(bytes, 4);
    if version != 0 {
        return Err(bad(format!("format version {version}, only 0 is known")));
    }
    let pages = le32(bytes, 12) as usize;
    let slots_end = pages
        .checked_mul(PAGE)
        .filter(|&end| pages > 0 && end <= bytes.len())
        .ok_or_else(|| {
            bad(format!(
                "{pages} slot pages do not fit in its {} bytes",
                bytes.len()
            ))
        })?;
    // First the slots, checked and their blocks bounded; then the blobs,
    // once no two overlap: rpm never shares blocks between blobs, and
    // overlapping ones would make the checksumming grow with the square of
    // the file's size.
    let mut seen = HashSet::new();
    let mut blobs = Vec::new();
    // The first two slots are the database header.
    for slot in 2..slots_end / SLOT {
        let at = slot * SLOT;
        if le32(bytes, at) != SLOT_MAGIC {
            return Err(bad(format!("slot {slot} has no slot magic")));
        }
        let pkg = le32(bytes, at + 4);
        if pkg == 0 {
            continue;
        }
        if !seen.insert(pkg) {
            return Err(bad(format!("slot {slot} repeats package index {pkg}")));
        }
        let offset = le32(bytes, at + 8) as usize * BLOCK;
        let count = le32(bytes, at + 12) as usize;
        let end = count
            .checked_mul(BLOCK)
            .and_then(|len| offset.checked_add(len))
            .filter(|&end| {
                offset >= slots_end && end <= bytes.len() && end - offset >= BLOB_HEAD + BLOB_TAIL
            })
            .ok_or_else(|| {
                bad(format!(
                    "package {pkg}: blocks at {offset} (count {count}) lie outside the blob area"
                ))
            })?;
        blobs.push((pkg, offset, end));
    }
    let mut ranges: Vec<_> = blobs
        .iter()
        .map(|&(pkg, start, end)| (start, end, pkg))
        .collect();
    ranges.sort_unstable();
    if let Some(w) = ranges.windows(2).find(|w| w[1].0 < w[0].1) {
        return Err(bad(format!(
            "the blobs of packages {} and {} overlap",
            w[0].2, w[1].2
        )));
    }
    for (pkg, offset, end) in blobs {
        let block = &bytes[offset..end];
        let count = block.len() / BLOCK;
        if le32(block, 0) != BLOB_MAGIC {
            return Err(bad(format!(
                "package {pkg}: no blob magic at offset {offset}"
            )));
        }
        if le32(block, 4) != pkg {
            return Err(bad(format!(
                "package {pkg}: its blob at offset {offset} is package {}'s",
                le32(block, 4)
            )));
        }
        let len = le32(block, 12) as usize;
        if (BLOB_HEAD + len + BLOB_TAIL).div_ceil(BLOCK) != count {
            return Err(bad(format!(
                "package {pkg}: a {len}-byte blob does not fill {count} blocks"
            )));
        }
        let tail = block.len() - BLOB_TAIL;
        if le32(block, tail + 8) != TAIL_MAGIC || le32(block, tail + 4) as usize != len {
            return Err(bad(format!(
                "package {pkg}: bad blob tail at offset {}",
                offset + tail
            )));
        }
        if le32(block, tail) != adler32(&block[..tail]) {
            return Err(bad(format!("package {pkg}: blob checksum mismatch")));
        }
        each(&block[BLOB_HEAD..BLOB_HEAD + len])?;
    }
    Ok(())
}
