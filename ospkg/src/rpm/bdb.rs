//! The read-only subset of BerkeleyDB that rpm's `bdb_ro` backend reads
//! (`Packages` up to RHEL 8 and CentOS 7): a hash database of pages, the
//! first a metadata page; the buckets' hash pages hold key/data pairs, and
//! a header too big for its page lies in a chain of overflow pages. Either
//! byte order (the writer's; s390x images are big-endian), told by the
//! metadata page's magic. Buckets are walked as rpm walks them, so the order
//! is `rpm -qa`'s.

use super::malformed;
use crate::Result;

const HASH_MAGIC: u32 = 0x0006_1561;
/// Page types (BerkeleyDB's db_page.h).
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
/// Hash item types.
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// The generic page header's size (`P_OVERHEAD`).
const OVERHEAD: usize = 26;

/// Whether `bytes` starts with a BerkeleyDB hash metadata page.
pub(super) fn is_hash(bytes: &[u8]) -> bool {
    bytes.len() >= 26 && Order::of(bytes).is_some() && bytes[25] == P_HASHMETA
}

/// The writer's byte order.
#[derive(Clone, Copy)]
enum Order {
    Little,
    Big,
}

impl Order {
    fn of(meta: &[u8]) -> Option<Self> {
        let magic = [meta[12], meta[13], meta[14], meta[15]];
        if u32::from_le_bytes(magic) == HASH_MAGIC {
            Some(Order::Little)
        } else if u32::from_be_bytes(magic) == HASH_MAGIC {
            Some(Order::Big)
        } else {
            None
        }
    }

    fn u32(self, bytes: &[u8], at: usize) -> u32 {
        let b = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        match self {
            Order::Little => u32::from_le_bytes(b),
            Order::Big => u32::from_be_bytes(b),
        }
    }

    fn u16(self, bytes: &[u8], at: usize) -> usize {
        let b = [bytes[at], bytes[at + 1]];
        usize::from(match self {
            Order::Little => u16::from_le_bytes(b),
            Order::Big => u16::from_be_bytes(b),
        })
    }
}

struct Db<'a> {
    bytes: &'a [u8],
    order: Order,
    page_size: usize,
    pages: usize,
    path: &'a str,
    /// Pages already read: each hash and overflow page belongs to one
    /// bucket chain or one item, so a page reached twice is a loop or a
    /// shared chain, and the work stays linear in the file's size.
    visited: Vec<bool>,
}

impl<'a> Db<'a> {
    fn bad(&self, why: String) -> crate::Error {
        malformed("RPM BerkeleyDB database", self.path, why)
    }

    /// Page `pgno`, which must exist, be of one of the `types`, and not have
    /// been read before.
    fn page(&mut self, pgno: u32, types: &[u8]) -> Result<&'a [u8]> {
        let n = pgno as usize;
        if n == 0 || n >= self.pages {
            return Err(self.bad(format!(
                "page {pgno} referenced, the file has pages 1 to {}",
                self.pages - 1
            )));
        }
        let page = &self.bytes[n * self.page_size..(n + 1) * self.page_size];
        if !types.contains(&page[25]) {
            return Err(self.bad(format!(
                "page {pgno} has type {}, expected {types:?}",
                page[25]
            )));
        }
        if std::mem::replace(&mut self.visited[n], true) {
            return Err(self.bad(format!("page {pgno} is reached twice (a loop)")));
        }
        Ok(page)
    }

    /// The bytes of a hash page's item `i` (its type byte first).
    fn item(&self, pgno: u32, page: &'a [u8], i: usize) -> Result<&'a [u8]> {
        let start = self.order.u16(page, OVERHEAD + 2 * i);
        let end = if i == 0 {
            self.page_size
        } else {
            self.order.u16(page, OVERHEAD + 2 * (i - 1))
        };
        let index_end = OVERHEAD + 2 * self.order.u16(page, 20);
        if start < index_end || start >= end || end > self.page_size {
            return Err(self.bad(format!(
                "page {pgno}: item {i} at offsets {start}..{end} lies outside the page"
            )));
        }
        Ok(&page[start..end])
    }

    /// The `len` bytes of an overflow chain starting at `pgno`.
    fn overflow(&mut self, mut pgno: u32, len: usize) -> Result<Vec<u8>> {
        if len > self.bytes.len() {
            return Err(self.bad(format!(
                "an overflow item of {len} bytes is longer than the file"
            )));
        }
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let page = self.page(pgno, &[P_OVERFLOW])?;
            let here = self.order.u16(page, 22);
            if here == 0 || OVERHEAD + here > self.page_size || out.len() + here > len {
                return Err(self.bad(format!(
                    "overflow page {pgno} holds {here} bytes, which does not fit"
                )));
            }
            out.extend_from_slice(&page[OVERHEAD..OVERHEAD + here]);
            pgno = self.order.u32(page, 16);
            if out.len() < len && pgno == 0 {
                return Err(self.bad(format!(
                    "overflow chain ends after {} of its {len} bytes",
                    out.len()
                )));
            }
        }
        Ok(out)
    }
}

/// Hands every package's header blob to `each`, bucket by bucket.
pub(super) fn blobs(
    path: &str,
    bytes: &[u8],
    each: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let bad = |why: String| malformed("RPM BerkeleyDB database", path, why);
    if bytes.len() < 512 {
        return Err(bad("shorter than a metadata page".into()));
    }
    let order = Order::of(bytes).ok_or_else(|| bad("no hash magic".into()))?;
    if bytes[24] != 0 {
        return Err(bad("encrypted".into()));
    }
    let page_size = order.u32(bytes, 20) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(bad(format!("page size {page_size}")));
    }
    let pages = bytes.len() / page_size;
    let mut db = Db {
        bytes,
        order,
        page_size,
        pages,
        path,
        visited: vec![false; pages],
    };
    let max_bucket = order.u32(bytes, 72);
    if max_bucket as usize >= db.pages {
        return Err(bad(format!(
            "{} buckets in {} pages",
            u64::from(max_bucket) + 1,
            db.pages
        )));
    }
    for bucket in 0..=max_bucket {
        // BerkeleyDB's BUCKET_TO_PAGE: bucket + spares[ceil(log2(bucket + 1))].
        let log2 = (u64::from(bucket) + 1).next_power_of_two().trailing_zeros() as usize;
        let spare = order.u32(bytes, 96 + 4 * log2);
        let mut pgno = bucket
            .checked_add(spare)
            .ok_or_else(|| bad(format!("bucket {bucket}'s page overflows")))?;
        while pgno != 0 {
            let page = db.page(pgno, &[P_HASH, P_HASH_UNSORTED])?;
            let entries = order.u16(page, 20);
            if OVERHEAD + 2 * entries > page_size || entries % 2 != 0 {
                return Err(bad(format!("hash page {pgno} claims {entries} entries")));
            }
            for pair in 0..entries / 2 {
                let key = db.item(pgno, page, 2 * pair)?;
                if key[0] == H_KEYDATA && key[1..].iter().all(|&b| b == 0) {
                    // Record 0 is rpm's next-instance counter, no header.
                    continue;
                }
                let data = db.item(pgno, page, 2 * pair + 1)?;
                match data[0] {
                    H_KEYDATA => each(&data[1..])?,
                    H_OFFPAGE if data.len() >= 12 => {
                        let first = order.u32(data, 4);
                        let len = order.u32(data, 8) as usize;
                        each(&db.overflow(first, len)?)?;
                    }
                    kind => {
                        return Err(bad(format!(
                            "hash page {pgno}: item {} has type {kind}, not a header",
                            2 * pair + 1
                        )))
                    }
                }
            }
            pgno = order.u32(page, 16);
        }
    }
    Ok(())
}
