//! A read-only reader of the one table rpm's sqlite backend keeps headers
//! in (`Packages(hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT
//! NULL)`), straight from SQLite's file format
//! (<https://www.sqlite.org/fileformat.html>): the schema table on page 1
//! names the table's root page, whose table B-tree is walked in rowid
//! (`hnum`) order, the order `rpm -qa` lists. Only table B-tree pages,
//! records and overflow chains are read; indexes, the freelist and any
//! write-ahead log are not (rpm checkpoints its log when it closes the
//! database). Why not SQLite itself: docs/decisions.md.

use super::malformed;
use crate::{Error, Result};

/// The 16-byte header string of every SQLite 3 database.
pub(super) const MAGIC: &[u8] = b"SQLite format 3\0";
/// Table B-tree page types.
const INTERIOR: u8 = 0x05;
const LEAF: u8 = 0x0d;
/// Deeper than any real table B-tree of this size (a 4 KiB-page tree of
/// depth 10 holds far more rows than any rpmdb).
const MAX_DEPTH: usize = 20;

struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    usable: usize,
    pages: usize,
    path: &'a str,
    /// Pages already walked: a page reached twice is a loop.
    visited: Vec<bool>,
}

fn be16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// SQLite's variable-length integer at `at`: its value and length, or
/// `None` past the end.
fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..9 {
        let byte = *b.get(at + i)?;
        if i == 8 {
            return Some(((value << 8) | u64::from(byte), 9));
        }
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

impl<'a> Db<'a> {
    fn bad(&self, why: String) -> Error {
        malformed("RPM SQLite database", self.path, why)
    }

    /// Page `n` (1-based), marked visited.
    fn page(&mut self, n: u32) -> Result<&'a [u8]> {
        let i = n as usize;
        if i == 0 || i > self.pages {
            return Err(self.bad(format!(
                "page {n} referenced, the file has pages 1 to {}",
                self.pages
            )));
        }
        if std::mem::replace(&mut self.visited[i - 1], true) {
            return Err(self.bad(format!("page {n} is reached twice (a loop)")));
        }
        Ok(&self.bytes[(i - 1) * self.page_size..i * self.page_size])
    }

    /// Calls `row` with every row's payload of the table B-tree rooted at
    /// `root`, in rowid order.
    fn walk(
        &mut self,
        root: u32,
        depth: usize,
        row: &mut dyn FnMut(&mut Self, Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.bad(format!("B-tree deeper than {MAX_DEPTH} at page {root}")));
        }
        let page = self.page(root)?;
        let start = if root == 1 { 100 } else { 0 };
        let kind = page[start];
        let header = match kind {
            LEAF => 8,
            INTERIOR => 12,
            other => {
                return Err(self.bad(format!(
                    "page {root} has type {other:#04x}, not a table B-tree page"
                )))
            }
        };
        let cells = be16(page, start + 3);
        let pointers = start + header;
        if pointers + 2 * cells > self.usable {
            return Err(self.bad(format!("page {root} claims {cells} cells")));
        }
        for c in 0..cells {
            let at = be16(page, pointers + 2 * c);
            if at < pointers + 2 * cells || at >= self.usable {
                return Err(self.bad(format!(
                    "page {root}: cell {c} at offset {at} is outside the page"
                )));
            }
            if kind == INTERIOR {
                if at + 4 > self.usable {
                    return Err(self.bad(format!("page {root}: cell {c} is cut off")));
                }
                self.walk(be32(page, at), depth + 1, row)?;
            } else {
                let payload = self.payload(root, page, at)?;
                row(self, payload)?;
            }
        }
        if kind == INTERIOR {
            self.walk(be32(page, start + 8), depth + 1, row)?;
        }
        Ok(())
    }

    /// The whole payload of the leaf cell at `at`, overflow pages included.
    fn payload(&mut self, pgno: u32, page: &'a [u8], at: usize) -> Result<Vec<u8>> {
        let cut = || format!("page {pgno}: the cell at offset {at} is cut off");
        let page = &page[..self.usable];
        let (len, n1) = varint(page, at).ok_or_else(|| self.bad(cut()))?;
        let (_rowid, n2) = varint(page, at + n1).ok_or_else(|| self.bad(cut()))?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= self.bytes.len())
            .ok_or_else(|| {
                self.bad(format!(
                    "page {pgno}: a {len}-byte row is longer than the file"
                ))
            })?;
        let body = at + n1 + n2;
        // The local part's size (fileformat.html, "B-tree Pages").
        let u = self.usable;
        let x = u - 35;
        let local = if len <= x {
            len
        } else {
            let m = ((u - 12) * 32 / 255) - 23;
            let k = m + ((len - m) % (u - 4));
            if k <= x {
                k
            } else {
                m
            }
        };
        let overflow = if local < len { 4 } else { 0 };
        if body + local + overflow > page.len() {
            return Err(self.bad(cut()));
        }
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&page[body..body + local]);
        if overflow == 0 {
            return Ok(out);
        }
        let mut next = be32(page, body + local);
        while out.len() < len {
            if next == 0 {
                return Err(self.bad(format!(
                    "page {pgno}: overflow chain ends after {} of {len} bytes",
                    out.len()
                )));
            }
            let o = self.page(next)?;
            let take = (len - out.len()).min(u - 4);
            out.extend_from_slice(&o[4..4 + take]);
            next = be32(o, 0);
        }
        Ok(out)
    }
}

/// A record's columns (fileformat.html, "Record Format"): each column's
/// serial type and bytes.
fn columns(record: &[u8]) -> Option<Vec<(u64, &[u8])>> {
    let (header_len, mut at) = varint(record, 0)?;
    let header_len = usize::try_from(header_len).ok()?;
    if header_len > record.len() {
        return None;
    }
    let mut body = header_len;
    let mut out = Vec::new();
    while at < header_len {
        let (serial, n) = varint(record, at)?;
        at += n;
        let size = match serial {
            0 | 8 | 9 => 0,
            1..=4 => serial as usize,
            5 => 6,
            6 | 7 => 8,
            10 | 11 => return None,
            n => usize::try_from((n - 12) / 2).ok()?,
        };
        let end = body.checked_add(size).filter(|&e| e <= record.len())?;
        out.push((serial, &record[body..end]));
        body = end;
    }
    Some(out)
}

/// A text column's value (the database's encoding is checked to be UTF-8).
fn text<'r>(cols: &[(u64, &'r [u8])], i: usize) -> Option<&'r str> {
    let (serial, bytes) = cols.get(i)?;
    (*serial >= 13 && serial % 2 == 1)
        .then(|| std::str::from_utf8(bytes).ok())
        .flatten()
}

/// Whether a `CREATE TABLE` statement is rpm's `Packages`: `hnum` the
/// integer primary key (the rowid), then `blob`.
fn is_rpm_schema(sql: &str) -> bool {
    let sql = sql.to_ascii_lowercase();
    let Some((_, body)) = sql.split_once('(') else {
        return false;
    };
    let mut cols = body.split(',').map(str::trim);
    cols.next()
        .is_some_and(|c| c.starts_with("hnum integer primary key"))
        && cols.next().is_some_and(|c| c.starts_with("blob blob"))
}

/// Hands every row's header blob to `each`, in `hnum` order.
pub(super) fn blobs(
    path: &str,
    bytes: &[u8],
    each: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let bad = |why: String| malformed("RPM SQLite database", path, why);
    if bytes.len() < 100 {
        return Err(bad("shorter than its 100-byte header".into()));
    }
    let page_size = match be16(bytes, 16) {
        1 => 65536,
        n => n,
    };
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(bad(format!("page size {page_size}")));
    }
    let usable = page_size - usize::from(bytes[20]);
    if usable < 480 {
        return Err(bad(format!("{usable} usable bytes per page")));
    }
    if be32(bytes, 56) != 1 {
        return Err(bad(format!("text encoding {}, not UTF-8", be32(bytes, 56))));
    }
    let pages = bytes.len() / page_size;
    let mut db = Db {
        bytes,
        page_size,
        usable,
        pages,
        path,
        visited: vec![false; pages],
    };
    let mut root = None;
    db.walk(1, 0, &mut |db, row| {
        let cols = columns(&row).ok_or_else(|| db.bad("a malformed schema row".into()))?;
        if text(&cols, 0) == Some("table") && text(&cols, 1) == Some("Packages") {
            let sql = text(&cols, 4).unwrap_or_default();
            if !is_rpm_schema(sql) {
                return Err(db.bad(format!("its Packages table is not rpm's: {sql:?}")));
            }
            let page = match cols.get(3) {
                Some((1, b)) => u32::from(b[0]),
                Some((2, b)) => u32::from(u16::from_be_bytes([b[0], b[1]])),
                Some((3, b)) => u32::from_be_bytes([0, b[0], b[1], b[2]]),
                Some((4, b)) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                _ => return Err(db.bad("the Packages table has no root page".into())),
            };
            root = Some(page);
        }
        Ok(())
    })?;
    let root = root.ok_or_else(|| bad("no Packages table: not an rpm database".into()))?;
    let mut n = 0usize;
    db.walk(root, 0, &mut |db, row| {
        n += 1;
        match columns(&row).as_deref() {
            Some([_, (serial, blob), ..]) if *serial >= 12 && serial % 2 == 0 => each(blob),
            _ => Err(db.bad(format!("Packages row {n} holds no header blob"))),
        }
    })
}
