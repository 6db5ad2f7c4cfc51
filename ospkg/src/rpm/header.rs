//! One RPM header as rpmdb stores it (rpm's `headerImport` blob, without
//! the lead-in magic of a header in a `.rpm` file): a big-endian entry
//! count and data length, that many 16-byte index entries (tag, type,
//! offset, count) and the data they point into.
//!
//! Every offset and count is checked against the blob before it is used, and
//! the counts are capped before anything is allocated: the header comes from
//! an image anyone can push.

use crate::{Error, Manager, Package, Result};

/// rpm's own caps (`hdrchkTags`, `hdrchkData` in lib/header.c): at most
/// 0xffff entries and 256 MiB of data in one header.
const MAX_ENTRIES: usize = 0xffff;
const MAX_DATA: usize = 0x1000_0000;

/// The tags read here (rpm's lib/rpmtag.h).
const NAME: u32 = 1000;
const VERSION: u32 = 1001;
const RELEASE: u32 = 1002;
const EPOCH: u32 = 1003;
const VENDOR: u32 = 1011;
const LICENSE: u32 = 1014;
const PACKAGER: u32 = 1015;
const ARCH: u32 = 1022;
const SOURCERPM: u32 = 1044;

/// The entry types (rpm's `rpmTagType`) this reader decodes.
const INT32: u32 = 4;
const STRING: u32 = 6;
const STRING_ARRAY: u32 = 8;
const I18NSTRING: u32 = 9;
/// The largest valid type (`RPM_I18NSTRING_TYPE`); above it the entry is
/// malformed, as rpm's `hdrchkType` says.
const MAX_TYPE: u32 = 9;

/// The name rpmtag.h gives a tag read here, for error messages.
fn tag_name(tag: u32) -> &'static str {
    match tag {
        NAME => "NAME",
        VERSION => "VERSION",
        RELEASE => "RELEASE",
        EPOCH => "EPOCH",
        VENDOR => "VENDOR",
        LICENSE => "LICENSE",
        PACKAGER => "PACKAGER",
        ARCH => "ARCH",
        SOURCERPM => "SOURCERPM",
        _ => "?",
    }
}

/// One index entry, its offset already checked to lie inside the data.
#[derive(Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: u32,
}

/// A parsed header: its index and its data store.
struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
    path: &'a str,
    index: usize,
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

impl<'a> Header<'a> {
    fn parse(path: &'a str, index: usize, blob: &'a [u8]) -> Result<Self> {
        let bad = |why: String| malformed(path, index, why);
        if blob.len() < 8 {
            return Err(bad(format!(
                "{} bytes, shorter than the 8-byte header intro",
                blob.len()
            )));
        }
        let il = be32(blob, 0) as usize;
        let dl = be32(blob, 4) as usize;
        if il == 0 || il > MAX_ENTRIES {
            return Err(bad(format!(
                "{il} index entries (1 to {MAX_ENTRIES} allowed)"
            )));
        }
        if dl > MAX_DATA {
            return Err(bad(format!(
                "{dl} bytes of data (at most {MAX_DATA} allowed)"
            )));
        }
        // Both are capped, so this cannot overflow.
        let need = 8 + il * 16 + dl;
        if blob.len() < need {
            return Err(bad(format!(
                "{il} entries and {dl} data bytes need {need} bytes, the blob has {}",
                blob.len()
            )));
        }
        let data = &blob[8 + il * 16..need];
        let mut entries = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * 16;
            let tag = be32(blob, at);
            let kind = be32(blob, at + 4);
            let offset = be32(blob, at + 8) as usize;
            let count = be32(blob, at + 12);
            if kind > MAX_TYPE {
                return Err(bad(format!(
                    "entry {i} (tag {tag}) has unknown type {kind}"
                )));
            }
            if offset > dl {
                return Err(bad(format!(
                    "entry {i} (tag {tag}) points at offset {offset}, past the {dl} data bytes"
                )));
            }
            entries.push(Entry {
                tag,
                kind,
                offset,
                count,
            });
        }
        Ok(Header {
            entries,
            data,
            path,
            index,
        })
    }

    /// The entry of `tag`. Entries after the immutable region ("dribble"
    /// entries) replace the region's, as in rpm's `headerImport`: the last
    /// one wins.
    fn entry(&self, tag: u32) -> Option<Entry> {
        self.entries.iter().rev().find(|e| e.tag == tag).copied()
    }

    fn bad_tag(&self, tag: u32, why: String) -> Error {
        malformed(
            self.path,
            self.index,
            format!("tag {tag} ({}): {why}", tag_name(tag)),
        )
    }

    /// The NUL-terminated string at `offset`, which must be UTF-8.
    fn string_at(&self, tag: u32, offset: usize) -> Result<String> {
        let rest = &self.data[offset..];
        let Some(end) = rest.iter().position(|&b| b == 0) else {
            return Err(self.bad_tag(tag, format!("string at offset {offset} runs past the data")));
        };
        String::from_utf8(rest[..end].to_vec())
            .map_err(|_| self.bad_tag(tag, format!("string at offset {offset} is not UTF-8")))
    }

    /// A string tag: `STRING`, or the first string of an `I18NSTRING` or
    /// `STRING_ARRAY` (rpm's query format shows the first).
    fn string(&self, tag: u32) -> Result<Option<String>> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        match e.kind {
            STRING | I18NSTRING | STRING_ARRAY if e.count >= 1 => {
                self.string_at(tag, e.offset).map(Some)
            }
            STRING | I18NSTRING | STRING_ARRAY => Err(self.bad_tag(tag, "count 0".into())),
            kind => Err(self.bad_tag(tag, format!("type {kind}, not a string"))),
        }
    }

    /// A string tag that every package has.
    fn required(&self, tag: u32) -> Result<String> {
        self.string(tag)?
            .ok_or_else(|| self.bad_tag(tag, "missing".into()))
    }

    /// `VERSION` or `RELEASE`: rpm refuses to build a package whose version
    /// or release is empty or holds `-` or `:`, and vouch's
    /// `[epoch:]version-release` could not be read back with them (a `1:2`
    /// version would pass for epoch 1).
    fn version_part(&self, tag: u32) -> Result<String> {
        let value = self.required(tag)?;
        if value.is_empty() || value.contains(['-', ':']) {
            return Err(self.bad_tag(
                tag,
                format!("{value:?} is empty or holds '-' or ':', which rpm does not allow"),
            ));
        }
        Ok(value)
    }

    /// An `INT32` tag's first value.
    fn int32(&self, tag: u32) -> Result<Option<u32>> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        if e.kind != INT32 {
            return Err(self.bad_tag(tag, format!("type {}, not INT32", e.kind)));
        }
        if e.count == 0 || e.offset + 4 > self.data.len() {
            return Err(self.bad_tag(
                tag,
                format!("INT32 at offset {} runs past the data", e.offset),
            ));
        }
        Ok(Some(be32(self.data, e.offset)))
    }
}

fn malformed(path: &str, index: usize, why: String) -> Error {
    Error::Malformed {
        what: "RPM header",
        path: path.to_owned(),
        why: format!("package #{index}: {why}"),
    }
}

/// The package one rpmdb header describes. `index` is its position in the
/// database (for error messages).
///
/// The version is rpm's `[epoch:]version-release`; the source package's name
/// and version come from `SOURCERPM` (`zlib-1.2.11-31.el9.src.rpm` gives
/// `zlib` and `1.2.11-31.el9`, with the binary's epoch, which the source RPM
/// file name does not carry). A header without `SOURCERPM` (a source
/// package, or rpm's `gpg-pubkey` pseudo-packages) is its own source.
pub fn package(path: &str, index: usize, blob: &[u8]) -> Result<Package> {
    let h = Header::parse(path, index, blob)?;
    let name = h.required(NAME)?;
    let version = h.version_part(VERSION)?;
    let release = h.version_part(RELEASE)?;
    let epoch = h.int32(EPOCH)?;
    let evr = |v: &str, r: &str| match epoch {
        Some(e) => format!("{e}:{v}-{r}"),
        None => format!("{v}-{r}"),
    };
    let full = evr(&version, &release);
    let source = h.string(SOURCERPM)?;
    let (source_name, source_version) = match source.as_deref().and_then(split_source_rpm) {
        Some((n, v, r)) => (n.to_owned(), evr(v, r)),
        None => (name.clone(), full.clone()),
    };
    Ok(Package {
        manager: Manager::Rpm,
        name,
        version: full,
        architecture: h.string(ARCH)?,
        source_name,
        source_version,
        maintainer: h.string(PACKAGER)?,
        vendor: h.string(VENDOR)?,
        license: h.string(LICENSE)?,
        checksum: None,
    })
}

/// `name-version-release.src.rpm` (or `.nosrc.rpm`) split into its three
/// parts; the name may hold dashes, version and release may not, nor `:`
/// (else the package is taken as its own source, as without `SOURCERPM`).
fn split_source_rpm(file: &str) -> Option<(&str, &str, &str)> {
    let stem = file
        .strip_suffix(".src.rpm")
        .or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() || stem.contains(':') {
        return None;
    }
    Some((name, version, release))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header built entry by entry, in rpmdb's layout.
    fn build(entries: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, bytes) in entries {
            while *kind == INT32 && data.len() % 4 != 0 {
                data.push(0);
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&kind.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
            data.extend_from_slice(bytes);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend_from_slice(&index);
        blob.extend_from_slice(&data);
        blob
    }

    fn zlib(epoch: Option<u32>) -> Vec<u8> {
        let e = epoch.map(u32::to_be_bytes);
        let mut entries: Vec<(u32, u32, &[u8])> = vec![
            (NAME, STRING, b"zlib\0"),
            (VERSION, STRING, b"1.2.11\0"),
            (RELEASE, STRING, b"31.el9\0"),
            (ARCH, STRING, b"x86_64\0"),
            (SOURCERPM, STRING, b"zlib-1.2.11-31.el9.src.rpm\0"),
            (LICENSE, STRING, b"zlib and Boost\0"),
        ];
        if let Some(e) = &e {
            entries.push((EPOCH, INT32, e));
        }
        build(&entries)
    }

    #[test]
    fn reads_the_fields_and_splits_the_source_rpm() {
        let p = package("var/lib/rpm/rpmdb.sqlite", 0, &zlib(Some(1))).unwrap();
        assert_eq!(p.name, "zlib");
        assert_eq!(p.version, "1:1.2.11-31.el9");
        assert_eq!(p.source_name, "zlib");
        assert_eq!(p.source_version, "1:1.2.11-31.el9");
        assert_eq!(p.architecture.as_deref(), Some("x86_64"));
        assert_eq!(p.license.as_deref(), Some("zlib and Boost"));
        assert_eq!(p.vendor, None);
        assert_eq!(p.maintainer, None);
        let p = package("x", 0, &zlib(None)).unwrap();
        assert_eq!(p.version, "1.2.11-31.el9");
    }

    #[test]
    fn source_rpm_names_with_dashes() {
        assert_eq!(
            split_source_rpm("python-setuptools-53.0.0-12.el9.src.rpm"),
            Some(("python-setuptools", "53.0.0", "12.el9"))
        );
        assert_eq!(split_source_rpm("x-1-2.nosrc.rpm"), Some(("x", "1", "2")));
        assert_eq!(split_source_rpm("zlib-1.2.src.rpm"), None);
        assert_eq!(split_source_rpm("zlib-1:1.2-3.src.rpm"), None);
        assert_eq!(split_source_rpm("zlib-1.2-3:4.src.rpm"), None);
        assert_eq!(split_source_rpm("zlib-1.2-3.rpm"), None);
    }

    fn why(blob: &[u8]) -> String {
        match package("var/lib/rpm/Packages", 7, blob) {
            Err(Error::Malformed { what, path, why }) => {
                assert_eq!(what, "RPM header");
                assert_eq!(path, "var/lib/rpm/Packages");
                assert!(why.starts_with("package #7: "), "{why}");
                why
            }
            other => panic!("expected a malformed header, got {other:?}"),
        }
    }

    #[test]
    fn every_truncation_is_a_typed_error() {
        let blob = zlib(Some(1));
        for len in 0..blob.len() {
            why(&blob[..len]);
        }
    }

    #[test]
    fn hostile_counts_and_offsets() {
        // Huge entry count: refused before allocating.
        let mut blob = zlib(None);
        blob[0..4].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
        assert!(why(&blob).contains("index entries"));
        // Huge data length.
        let mut blob = zlib(None);
        blob[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(why(&blob).contains("bytes of data"));
        // An offset past the data, naming the entry and its tag.
        let mut blob = zlib(None);
        blob[8 + 8..8 + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(why(&blob).contains("tag 1000"), "{}", why(&blob));
        // A string without its NUL: the last entry's string ends the data.
        let mut blob = zlib(None);
        let last = blob.len() - 1;
        blob[last] = b'x';
        assert!(why(&blob).contains("(LICENSE)"));
        // NAME with the wrong type.
        let mut blob = zlib(None);
        blob[8 + 4..8 + 8].copy_from_slice(&INT32.to_be_bytes());
        assert!(why(&blob).contains("tag 1000 (NAME): type 4"));
        // An unknown type.
        let mut blob = zlib(None);
        blob[8 + 4..8 + 8].copy_from_slice(&77u32.to_be_bytes());
        assert!(why(&blob).contains("unknown type 77"));
        // A version that would read as an epoch (found by the fuzzer), or
        // with a dash, or empty.
        for bad in [&b"1:2\0"[..], b"1-2\0", b"\0"] {
            let blob = build(&[
                (NAME, STRING, b"a\0"),
                (VERSION, STRING, bad),
                (RELEASE, STRING, b"1\0"),
            ]);
            assert!(why(&blob).contains("(VERSION): "), "{}", why(&blob));
        }
        // A missing NAME.
        let blob = build(&[(VERSION, STRING, b"1\0"), (RELEASE, STRING, b"1\0")]);
        assert!(why(&blob).contains("(NAME): missing"));
        // EPOCH at the very end, shorter than four bytes.
        let mut blob = build(&[
            (NAME, STRING, b"a\0"),
            (VERSION, STRING, b"1\0"),
            (RELEASE, STRING, b"1\0"),
            (EPOCH, INT32, b"\0\0\0\x01"),
        ]);
        let n = blob.len();
        blob[4..8].copy_from_slice(&((n - 8 - 64 - 2) as u32).to_be_bytes());
        blob.truncate(n - 2);
        assert!(why(&blob).contains("(EPOCH)"), "{}", why(&blob));
    }
}
