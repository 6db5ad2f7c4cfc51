//! A `Packages` index: checked against the release that lists it, then
//! read into its stanzas.
//!
//! apt keeps indexes decompressed (or recompressed with lz4) in
//! `/var/lib/apt/lists`, and the release lists the uncompressed file's
//! digest beside the compressed ones', so a decompressed index is checked
//! against the uncompressed path; a `.gz` or `.xz` one against its own
//! entry, then decompressed; apt's `.lz4` is decompressed, then checked as
//! the uncompressed path.

use std::io::Read as _;

use crate::release::Release;
use crate::{field, stanzas, Error, Result};

/// Caps: the decompressed index (bookworm's main amd64 is about 45 MiB)
/// and its stanzas (about 64,000).
pub const MAX_INDEX: u64 = 512 << 20;
/// The most stanzas an index may hold.
pub const MAX_STANZAS: usize = 1_000_000;

/// Checks `bytes` (read for the release's `path`, such as
/// `main/binary-amd64/Packages` or `main/binary-amd64/Packages.gz`)
/// against the release's SHA-256 and size for that path, and returns the
/// decompressed index. A `.lz4` path is apt's local recompression
/// (`/var/lib/apt/lists/*_Packages.lz4`), which no release lists: it is
/// decompressed first and checked as the path without `.lz4`. Refused,
/// naming the path: a path the release does not list, a size or digest
/// that differs.
pub fn check_index(release: &Release, path: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    if let Some(plain) = path.strip_suffix(".lz4") {
        let out = inflate("lz4", path, lz4_flex::frame::FrameDecoder::new(bytes))?;
        return check_index(release, plain, &out);
    }
    let entry = release.entry(path)?;
    crate::same_bytes(path, "the release lists", &entry.sha256, entry.size, bytes)?;
    if path.ends_with(".gz") {
        return inflate("gzip", path, flate2::read::MultiGzDecoder::new(bytes));
    }
    if path.ends_with(".xz") {
        return crate::unxz(path, bytes, MAX_INDEX);
    }
    if path.ends_with(".bz2") {
        return Err(Error::Unsupported {
            path: path.to_owned(),
            why: "only uncompressed, .gz, .xz and apt's local .lz4 indexes are read".into(),
        });
    }
    Ok(bytes.to_vec())
}

/// The index `decoder` (a `what` stream read at `path`) yields, capped.
fn inflate(what: &'static str, path: &str, decoder: impl std::io::Read) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    decoder
        .take(MAX_INDEX + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Malformed {
            what,
            path: path.to_owned(),
            why: e.to_string(),
        })?;
    if out.len() as u64 > MAX_INDEX {
        return Err(Error::TooLarge {
            what: "decompressed index",
            path: path.to_owned(),
            limit: MAX_INDEX,
        });
    }
    Ok(out)
}

/// One package of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `Package`.
    pub package: String,
    /// `Version` (Debian's, with epoch and revision).
    pub version: String,
    /// `Architecture` (`amd64`, `all`).
    pub architecture: String,
    /// `Source`: the source package and its version when it differs from
    /// the binary's (`rust-foo (1.2.3-1)`); without the field, the source
    /// is named as the package.
    pub source: Option<(String, Option<String>)>,
    /// `Provides`: virtual packages with their versions
    /// (`librust-foo-1-dev (= 1.2.3-1)`).
    pub provides: Vec<(String, Option<String>)>,
    /// `Filename`, relative to the archive root (`pool/main/...deb`).
    pub filename: String,
    /// `Size` of the `.deb`.
    pub size: u64,
    /// `SHA256` of the `.deb`, lowercase hex.
    pub sha256: String,
    /// `Multi-Arch`.
    pub multi_arch: Option<String>,
    /// `Maintainer`.
    pub maintainer: Option<String>,
    /// `Homepage`: upstream's address, which often names a Go module's
    /// import path where the index has no `Go-Import-Path`.
    pub homepage: Option<String>,
}

/// The entries of a decompressed `Packages` index (`path` names it in
/// errors). Every entry needs `Package`, `Version`, `Architecture`,
/// `Filename`, `Size` and a well-formed `SHA256`, since without them the
/// `.deb` cannot be checked.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Vec<Entry>> {
    parse_where(path, bytes, |_| true)
}

/// [`parse`], of the stanzas whose `Package` `keep` accepts: the others are
/// only split off and skipped, never parsed, so that a caller that needs a
/// few packages of an index of 64,000 (a chain of custody) does not pay for
/// every field of every one. The index's digest is checked whole by
/// [`check_index`] before, so a skipped stanza is still vouched for.
pub fn parse_where(path: &str, bytes: &[u8], keep: impl Fn(&str) -> bool) -> Result<Vec<Entry>> {
    let malformed = |why: String| Error::Malformed {
        what: "Packages",
        path: path.to_owned(),
        why,
    };
    if bytes.len() as u64 > MAX_INDEX {
        return Err(Error::TooLarge {
            what: "index bytes",
            path: path.to_owned(),
            limit: MAX_INDEX,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| malformed(format!("not UTF-8: {e}")))?;
    let mut out = Vec::new();
    let mut count = 0;
    for (first_line, chunk) in chunks(text) {
        count += 1;
        if count > MAX_STANZAS {
            return Err(Error::TooLarge {
                what: "stanzas",
                path: path.to_owned(),
                limit: MAX_STANZAS as u64,
            });
        }
        // The name as the stanza's `Package` line gives it; a stanza
        // without one is parsed, and refused below.
        let name = chunk
            .lines()
            .find_map(|l| l.strip_prefix("Package:"))
            .map(str::trim);
        if name.is_some_and(|n| !keep(n)) {
            continue;
        }
        for mut stanza in stanzas("Packages", path, chunk)? {
            stanza.line += first_line - 1;
            out.push(entry(path, &stanza)?);
        }
    }
    Ok(out)
}

/// The stanzas of `text` as (first line number, text) pairs, split at the
/// empty lines that end them (as [`stanzas`] splits them), without
/// reading their fields.
fn chunks(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    let mut start: Option<(usize, usize)> = None;
    let mut lines = text.split_inclusive('\n').enumerate();
    std::iter::from_fn(move || loop {
        match lines.next() {
            Some((n, raw)) => {
                let at = offset;
                offset += raw.len();
                if raw.trim_end_matches(['\n', '\r']).is_empty() {
                    if let Some((line, from)) = start.take() {
                        return Some((line, &text[from..at]));
                    }
                } else if start.is_none() {
                    start = Some((n + 1, at));
                }
            }
            None => return start.take().map(|(line, from)| (line, &text[from..])),
        }
    })
}

/// The [`Entry`] of one parsed stanza, naming its line on a missing or
/// malformed field.
fn entry(path: &str, stanza: &vouch_ospkg::dpkg::Stanza<'_>) -> Result<Entry> {
    let malformed = |why: String| Error::Malformed {
        what: "Packages",
        path: path.to_owned(),
        why,
    };
    let fields = &stanza.fields;
    let need = |name: &str| {
        field(fields, name)
            .map(str::to_owned)
            .ok_or_else(|| malformed(format!("line {}: the stanza has no {name}", stanza.line)))
    };
    let package = need("Package")?;
    let bad = |name: &str| {
        malformed(format!(
            "line {}: package {package}: bad {name}",
            stanza.line
        ))
    };
    let sha256 = need("SHA256")?.to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("SHA256"));
    }
    let source = field(fields, "Source")
        .map(|s| name_and_version(s).ok_or_else(|| bad("Source")))
        .transpose()?;
    let provides = field(fields, "Provides")
        .map(|p| {
            p.split(',')
                .map(|one| name_and_version(one).ok_or_else(|| bad("Provides")))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(Entry {
        version: need("Version")?,
        architecture: need("Architecture")?,
        source,
        provides,
        filename: need("Filename")?,
        size: need("Size")?.parse().map_err(|_| bad("Size"))?,
        sha256,
        multi_arch: field(fields, "Multi-Arch").map(str::to_owned),
        maintainer: field(fields, "Maintainer").map(str::to_owned),
        homepage: field(fields, "Homepage").map(str::to_owned),
        package,
    })
}

/// `name` or `name (version)` (`Source`), `name (= version)` (`Provides`):
/// the name and the version without its relation.
fn name_and_version(text: &str) -> Option<(String, Option<String>)> {
    let text = text.trim();
    let Some((name, rest)) = text.split_once('(') else {
        return (!text.is_empty() && !text.contains(char::is_whitespace))
            .then(|| (text.to_owned(), None));
    };
    let name = name.trim();
    let version = rest.strip_suffix(')')?.trim();
    let version = version.strip_prefix('=').unwrap_or(version).trim();
    if name.is_empty() || version.is_empty() || version.contains(char::is_whitespace) {
        return None;
    }
    Some((name.to_owned(), Some(version.to_owned())))
}
