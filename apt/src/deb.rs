//! A `.deb`: checked against its `Packages` entry, then read so that a
//! caller can compare the files it installs with a directory on disk.
//!
//! A `.deb` is an ar archive of `debian-binary` (`2.0`), `control.tar[.*]`
//! and `data.tar[.*]`, in that order (deb(5)); the tars are compressed with
//! xz (dpkg-deb's default, read with the pure-Rust lzma-rs), gzip, zstd,
//! or not at all. The data tar's regular files are listed with their
//! SHA-256, and the control tar's `md5sums` (what dpkg checks installed
//! files against) is returned as the package says it.

use std::collections::BTreeMap;
use std::io::Read;

use crate::packages::Entry;
use crate::{sha256, Error, Result};

/// Caps: a decompressed member tar (an xz one is held whole in memory),
/// and the files one may hold.
pub const MAX_TAR: u64 = 1 << 30;
/// The most entries a member tar may hold.
pub const MAX_ENTRIES: usize = 200_000;

/// Checks `bytes` (read at `path`) against its index entry's size and
/// SHA-256, naming the file on a mismatch.
pub fn check(entry: &Entry, path: &str, bytes: &[u8]) -> Result<()> {
    let listed = format!("the index lists {} {} as", entry.package, entry.version);
    crate::same_bytes(path, &listed, &entry.sha256, entry.size, bytes)
}

/// What a `.deb` installs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// The data tar's regular files: path (without the leading `./`, as
    /// dpkg lists it: `usr/share/...`) to lowercase hex SHA-256.
    pub files: BTreeMap<String, String>,
    /// The control tar's `md5sums`: path to lowercase hex MD5 (empty when
    /// the package ships none).
    pub md5sums: BTreeMap<String, String>,
}

/// Reads the `.deb` `bytes` (read at `path`): its data tar's files with
/// their SHA-256, and its `md5sums`.
pub fn contents(path: &str, bytes: &[u8]) -> Result<Contents> {
    let members = ar_members(path, bytes)?;
    let malformed = |why: String| Error::Malformed {
        what: ".deb",
        path: path.to_owned(),
        why,
    };
    match members.first() {
        Some(("debian-binary", version)) if version.starts_with(b"2.") => {}
        _ => {
            return Err(malformed(
                "the first member is not debian-binary 2.x".into(),
            ))
        }
    }
    let find = |stem: &str| {
        members
            .iter()
            .find(|(name, _)| {
                *name == stem || name.strip_prefix(stem).is_some_and(|r| r.starts_with('.'))
            })
            .ok_or_else(|| malformed(format!("no {stem} member")))
    };
    let (control_name, control) = find("control.tar")?;
    let (data_name, data) = find("data.tar")?;
    let mut md5sums = BTreeMap::new();
    let mut files = BTreeMap::new();
    for_each_file(path, control_name, control, |name, item| {
        if let (Item::File(content), "md5sums") = (item, name) {
            md5sums = parse_md5sums(path, content)?;
        }
        Ok(())
    })?;
    for_each_file(path, data_name, data, |name, item| {
        let digest = match item {
            Item::File(content) => sha256(content),
            // A hard link installs the same content under a second path,
            // which dpkg lists as a file of its own.
            Item::HardLink(target) => files.get(&target).cloned().ok_or_else(|| {
                malformed(format!(
                    "{name}: hard link to {target}, not an earlier file"
                ))
            })?,
        };
        files.insert(name.to_owned(), digest);
        Ok(())
    })?;
    Ok(Contents { files, md5sums })
}

/// An `md5sums` file (`bytes`, read at `path`): the control tar's, or the
/// one dpkg keeps for an installed package in
/// `/var/lib/dpkg/info/<package>.md5sums`, in the same `<md5>  <path>`
/// lines. Path to lowercase hex MD5.
pub fn parse_md5sums(path: &str, bytes: &[u8]) -> Result<BTreeMap<String, String>> {
    let malformed = |why: String| Error::Malformed {
        what: "md5sums",
        path: path.to_owned(),
        why,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("not UTF-8".into()))?;
    let mut md5sums = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let (digest, file) = line
            .split_once("  ")
            .filter(|(d, _)| d.len() == 32 && d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| malformed(format!("line {line:?}")))?;
        md5sums.insert(file.to_owned(), digest.to_ascii_lowercase());
    }
    Ok(md5sums)
}

/// The members of an ar archive (names without GNU's trailing `/`).
fn ar_members<'a>(path: &str, bytes: &'a [u8]) -> Result<Vec<(&'a str, &'a [u8])>> {
    let malformed = |why: String| Error::Malformed {
        what: ".deb",
        path: path.to_owned(),
        why,
    };
    let mut rest = bytes
        .strip_prefix(b"!<arch>\n")
        .ok_or_else(|| malformed("not an ar archive".into()))?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if out.len() == 16 {
            return Err(malformed("more than 16 ar members".into()));
        }
        let offset = bytes.len() - rest.len();
        let bad = |why: &str| malformed(format!("ar member at offset {offset}: {why}"));
        let header = rest.get(..60).ok_or_else(|| bad("truncated header"))?;
        if &header[58..60] != b"`\n" {
            return Err(bad("bad header magic"));
        }
        let name = std::str::from_utf8(&header[..16])
            .map_err(|_| bad("name is not UTF-8"))?
            .trim_end_matches(' ');
        let name = name.strip_suffix('/').unwrap_or(name);
        let size: usize = std::str::from_utf8(&header[48..58])
            .ok()
            .and_then(|s| s.trim_end_matches(' ').parse().ok())
            .ok_or_else(|| bad("bad size"))?;
        let data = rest
            .get(60..60 + size)
            .ok_or_else(|| bad("truncated data"))?;
        out.push((name, data));
        // Members are padded to an even offset.
        rest = rest.get(60 + size + size % 2..).unwrap_or_default();
    }
    Ok(out)
}

/// A regular file of a member tar: its content, or the earlier file it is
/// a hard link to (path without `./`).
enum Item<'a> {
    File(&'a [u8]),
    HardLink(String),
}

/// Calls `each` with every regular file and hard link of the member tar
/// `member` (named `name`, compressed as its extension says), its path
/// without `./`; directories and symbolic links are skipped.
fn for_each_file(
    path: &str,
    name: &str,
    member: &[u8],
    mut each: impl FnMut(&str, Item<'_>) -> Result<()>,
) -> Result<()> {
    let at = format!("{path}: {name}");
    let unxz;
    let reader: Box<dyn Read + '_> = match name.rsplit_once(".tar") {
        Some((_, "")) => Box::new(member),
        Some((_, ".xz")) => {
            unxz = crate::unxz(&at, member, MAX_TAR)?;
            Box::new(unxz.as_slice())
        }
        Some((_, ".gz")) => Box::new(flate2::read::MultiGzDecoder::new(member)),
        Some((_, ".zst")) => Box::new(ruzstd::decoding::StreamingDecoder::new(member).map_err(
            |e| Error::Malformed {
                what: ".deb",
                path: at.clone(),
                why: format!("zstd: {e}"),
            },
        )?),
        _ => {
            return Err(Error::Unsupported {
                path: at,
                why: format!("member {name}: only xz, gzip, zstd and uncompressed tars are read"),
            })
        }
    };
    let malformed = |why: String| Error::Malformed {
        what: ".deb",
        path: at.clone(),
        why,
    };
    let too_large = |what| Error::TooLarge {
        what,
        path: at.clone(),
        limit: MAX_TAR,
    };
    let mut archive = tar::Archive::new(reader.take(MAX_TAR + 1));
    let entries = archive
        .entries()
        .map_err(|e| malformed(format!("not a tar: {e}")))?;
    for (n, entry) in entries.enumerate() {
        if n == MAX_ENTRIES {
            return Err(Error::TooLarge {
                what: "tar entries",
                path: at.clone(),
                limit: MAX_ENTRIES as u64,
            });
        }
        let mut entry = entry.map_err(|e| malformed(format!("tar entry {}: {e}", n + 1)))?;
        let kind = entry.header().entry_type();
        if !kind.is_file() && !kind.is_hard_link() {
            continue;
        }
        let bare = |p: &std::path::Path| {
            let p = p.to_string_lossy();
            p.strip_prefix("./").unwrap_or(&p).to_owned()
        };
        let file = bare(
            &entry
                .path()
                .map_err(|e| malformed(format!("tar entry {}: {e}", n + 1)))?,
        );
        if kind.is_hard_link() {
            let target = entry
                .link_name()
                .map_err(|e| malformed(format!("{file}: {e}")))?
                .ok_or_else(|| malformed(format!("{file}: hard link without a target")))?;
            each(&file, Item::HardLink(bare(&target)))?;
            continue;
        }
        let mut content = Vec::new();
        entry
            .read_to_end(&mut content)
            .map_err(|e| malformed(format!("{file}: {e}")))?;
        each(&file, Item::File(&content))?;
    }
    let mut rest = archive.into_inner();
    if rest.limit() == 0 {
        return Err(too_large("decompressed member bytes"));
    }
    // Whatever follows the tar's end is read too, so the cap holds.
    std::io::copy(&mut rest, &mut std::io::sink())
        .map_err(|e| malformed(format!("after the tar: {e}")))?;
    if rest.limit() == 0 {
        return Err(too_large("decompressed member bytes"));
    }
    Ok(())
}
