//! Hostile databases: the real fixtures (testdata/rpmdb/) cut short,
//! corrupted at random, and altered where a container can loop or point
//! outside itself. Each must give a typed error naming the problem, never a
//! panic, and never an allocation beyond the input's size.

use std::path::Path;

use super::packages;
use crate::Error;

fn fixture(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/rpmdb")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const SQLITE: &str = "sqlite-cbl-mariner-2.0/rpmdb.sqlite";
const NDB: &str = "ndb-sle15-bci/Packages.db";
const BDB: &str = "bdb-libuuid/Packages";

/// The error's `what` and `why`, which must name the database's path.
fn error(bytes: &[u8]) -> (&'static str, String) {
    match packages("var/lib/rpm/db", bytes) {
        Err(Error::Malformed { what, path, why }) => {
            assert_eq!(path, "var/lib/rpm/db");
            (what, why)
        }
        Err(other) => panic!("expected a malformed database, got {other}"),
        Ok(listed) => panic!(
            "expected a malformed database, got {} packages",
            listed.len()
        ),
    }
}

fn le32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn unknown_content_is_refused_by_magic() {
    assert_eq!(error(b"").0, "RPM database");
    assert_eq!(error(b"not a database at all").0, "RPM database");
    // The file name does not decide: NDB bytes under the sqlite name are read as NDB.
    let ndb = fixture(NDB);
    assert_eq!(
        packages("var/lib/rpm/rpmdb.sqlite", &ndb).unwrap().len(),
        35
    );
}

#[test]
fn every_fixture_cut_short_is_an_error() {
    for (rel, what) in [
        (SQLITE, "RPM SQLite database"),
        (NDB, "RPM NDB database"),
        (BDB, "RPM BerkeleyDB database"),
    ] {
        let bytes = fixture(rel);
        for k in 0..32 {
            let cut = &bytes[..bytes.len() * k / 32];
            let (got, why) = error(cut);
            assert!(
                got == what || got == "RPM database",
                "{rel} cut at {}: {got}: {why}",
                cut.len()
            );
        }
    }
}

/// A small deterministic generator (xorshift64), so that a failure can be
/// replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_corruption_never_panics() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for rel in [SQLITE, NDB, BDB] {
        let clean = fixture(rel);
        for _ in 0..200 {
            let mut bytes = clean.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() % bytes.len() as u64) as usize;
                bytes[at] = rng.next() as u8;
            }
            // Either answer is fine (a byte in a licence string may change
            // harmlessly); a panic fails the test.
            let _ = packages("var/lib/rpm/db", &bytes);
        }
    }
}

#[test]
fn sqlite_with_another_schema() {
    let clean = fixture(SQLITE);
    // The schema table's rows: wherever they lie, every occurrence.
    let replace = |from: &[u8], to: &[u8]| {
        let mut bytes = clean.clone();
        let mut n = 0;
        for at in 0..bytes.len() - from.len() {
            if &bytes[at..at + from.len()] == from {
                bytes[at..at + to.len()].copy_from_slice(to);
                n += 1;
            }
        }
        assert!(n > 0, "{from:?} is not in the file");
        bytes
    };
    let (_, why) = error(&replace(b"blob BLOB", b"blob TEXT"));
    assert!(why.contains("Packages table is not rpm's"), "{why}");
    let (_, why) = error(&replace(b"Packages", b"Packagez"));
    assert!(why.contains("no Packages table"), "{why}");
    // Another encoding than UTF-8.
    let mut bytes = clean.clone();
    bytes[56..60].copy_from_slice(&2u32.to_be_bytes());
    assert!(error(&bytes).1.contains("text encoding 2"));
}

#[test]
fn sqlite_loops_and_huge_counts() {
    let clean = fixture(SQLITE);
    // Packages' root is page 2 (offset 4096), an interior page: point its
    // right-most child back at itself.
    assert_eq!(clean[4096], 0x05);
    let mut bytes = clean.clone();
    bytes[4096 + 8..4096 + 12].copy_from_slice(&2u32.to_be_bytes());
    assert!(error(&bytes).1.contains("page 2 is reached twice"));
    // A child past the end of the file.
    let mut bytes = clean.clone();
    bytes[4096 + 8..4096 + 12].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(error(&bytes).1.contains("page 4294967295 referenced"));
    // More cells than the page can point to.
    let mut bytes = clean.clone();
    bytes[4096 + 3..4096 + 5].copy_from_slice(&0xffffu16.to_be_bytes());
    assert!(error(&bytes).1.contains("claims 65535 cells"));
}

#[test]
fn ndb_slots_that_repeat_or_point_anywhere() {
    let clean = fixture(NDB);
    // Slot 3 (offset 48) claims slot 2's package: a second walk of one blob.
    let mut bytes = clean.clone();
    le32(&mut bytes, 48 + 4, 1);
    assert!(error(&bytes).1.contains("slot 3 repeats package index 1"));
    // A blob inside the slot pages.
    let mut bytes = clean.clone();
    le32(&mut bytes, 32 + 8, 0);
    assert!(error(&bytes).1.contains("outside the blob area"));
    // A block count far past the end.
    let mut bytes = clean.clone();
    le32(&mut bytes, 32 + 12, u32::MAX);
    assert!(error(&bytes).1.contains("outside the blob area"));
    // More slot pages than the file holds.
    let mut bytes = clean.clone();
    le32(&mut bytes, 12, u32::MAX);
    assert!(error(&bytes).1.contains("slot pages do not fit"));
    // A changed byte inside a blob: the checksum says so.
    let mut bytes = clean.clone();
    let blob = 256 * 16 + 16 + 100;
    bytes[blob] ^= 0x20;
    assert!(error(&bytes)
        .1
        .contains("package 1: blob checksum mismatch"));
    // Slot 3's blocks begin inside slot 2's blob.
    let mut bytes = clean.clone();
    le32(&mut bytes, 48 + 8, 256 + 10);
    assert!(error(&bytes)
        .1
        .contains("the blobs of packages 1 and 2 overlap"));
    // A broken slot magic.
    let mut bytes = clean;
    bytes[32] = b's';
    assert!(error(&bytes).1.contains("slot 2 has no slot magic"));
}

#[test]
fn berkeleydb_loops_and_huge_counts() {
    let clean = fixture(BDB);
    let page = |n: usize| n * 4096;
    // The header's overflow chain runs through pages 3 to 22: send page 10
    // back to page 3, and the chain would never end.
    let mut bytes = clean.clone();
    le32(&mut bytes, page(10) + 16, 3);
    assert!(error(&bytes).1.contains("page 3 is reached twice"));
    // The chain ends early.
    let mut bytes = clean.clone();
    le32(&mut bytes, page(10) + 16, 0);
    assert!(error(&bytes).1.contains("overflow chain ends"));
    // A bucket's hash page chained to itself.
    let mut bytes = clean.clone();
    le32(&mut bytes, page(2) + 16, 2);
    assert!(error(&bytes).1.contains("page 2 is reached twice"));
    // Bucket 0's record 0 made a second reference to the header's overflow
    // chain: two items sharing pages would make the work grow with the
    // square of the file's size, so a page is read once.
    let mut bytes = clean.clone();
    let item = |bytes: &[u8], page_start: usize, i: usize| {
        usize::from(u16::from_le_bytes([
            bytes[page_start + 26 + 2 * i],
            bytes[page_start + 27 + 2 * i],
        ]))
    };
    let shared = page(2) + item(&bytes, page(2), 1);
    let key = item(&bytes, page(1), 0);
    bytes[page(1) + key + 1] = 9; // record 9, no longer the skipped record 0
                                  // Its data item, grown to the 12 bytes of an off-page reference below
                                  // the key, is a copy of page 2's.
    let data = key - 12;
    bytes[page(1) + 28..page(1) + 30].copy_from_slice(&(data as u16).to_le_bytes());
    bytes.copy_within(shared..shared + 12, page(1) + data);
    assert!(error(&bytes).1.contains("page 3 is reached twice"));
    // More buckets than pages.
    let mut bytes = clean.clone();
    le32(&mut bytes, 72, u32::MAX);
    assert!(error(&bytes).1.contains("buckets in 23 pages"));
    // A header longer than the file.
    let mut bytes = clean.clone();
    let data_item = (page(2)..page(3))
        .find(|&at| bytes[at] == 3 && bytes[at + 4..at + 8] == 3u32.to_le_bytes())
        .expect("the off-page item naming page 3");
    le32(&mut bytes, data_item + 8, u32::MAX);
    assert!(error(&bytes).1.contains("longer than the file"));
    // An overflow chain into a hash page.
    let mut bytes = clean;
    le32(&mut bytes, page(10) + 16, 1);
    assert!(error(&bytes).1.contains("page 1 has type 13"));
}

/// The little-endian fixture rewritten in big-endian byte order, as an
/// s390x machine would have written it: every field this reader uses (the
/// metadata page's, each page header's, the hash pages' item offsets,
/// off-page references and keys). Headers are big-endian in both.
fn big_endian(le: &[u8]) -> Vec<u8> {
    let mut be = le.to_vec();
    let swap32 = |b: &mut [u8], at: usize| b[at..at + 4].reverse();
    let swap16 = |b: &mut [u8], at: usize| b[at..at + 2].reverse();
    let u16le = |at: usize| usize::from(u16::from_le_bytes([le[at], le[at + 1]]));
    let ps = 4096;
    // The metadata page's 32-bit fields (bytes 24 to 27 are single bytes:
    // encryption, type, flags).
    for at in (0..24)
        .step_by(4)
        .chain((28..52).step_by(4))
        .chain((72..224).step_by(4))
    {
        swap32(&mut be, at);
    }
    for n in 1..le.len() / ps {
        let p = n * ps;
        for at in [0, 4, 8, 12, 16] {
            swap32(&mut be, p + at);
        }
        swap16(&mut be, p + 20);
        swap16(&mut be, p + 22);
        if le[p + 25] != 13 {
            continue;
        }
        let entries = u16le(p + 20);
        for i in 0..entries {
            let start = u16le(p + 26 + 2 * i);
            let end = if i == 0 {
                ps
            } else {
                u16le(p + 26 + 2 * (i - 1))
            };
            swap16(&mut be, p + 26 + 2 * i);
            match le[p + start] {
                3 => {
                    swap32(&mut be, p + start + 4);
                    swap32(&mut be, p + start + 8);
                }
                1 if end - start == 5 => swap32(&mut be, p + start + 1),
                _ => {}
            }
        }
    }
    be
}

#[test]
fn berkeleydb_in_big_endian_order_lists_the_same() {
    let le = fixture(BDB);
    let be = big_endian(&le);
    assert_ne!(le, be);
    assert_eq!(be[12..16], [0x00, 0x06, 0x15, 0x61]);
    let want = packages("var/lib/rpm/Packages", &le).unwrap();
    assert_eq!(want.len(), 1);
    assert_eq!(packages("var/lib/rpm/Packages", &be).unwrap(), want);
}
