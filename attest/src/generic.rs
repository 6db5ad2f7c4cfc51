//! Generic: inputs no lockfile covers, declared by hand in
//! `vouch.inputs.yaml` at the project root: a vendored C library under
//! `third_party/`, a downloaded archive checked into the tree.
//!
//! ```yaml
//! inputs:
//!   - name: zlib
//!     version: 1.3.1
//!     uri: https://zlib.net/zlib-1.3.1.tar.gz
//!     path: third_party/zlib          # a directory: declare its dirHash
//!     dirHash: 0f3a…(64 hex)
//!     license: Zlib                   # optional, an SPDX expression
//!     cpe: cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*   # optional
//!     categories: [dataplane_core]    # optional, for criticality rules
//!     patches:                        # optional, files in the project
//!       - third_party/patches/zlib-cve.patch
//!   - name: libfoo
//!     version: 2.0                    # kept as written, not read as a number
//!     uri: https://example.com/libfoo-2.0.tar.gz
//!     purl: pkg:github/example/libfoo@2.0   # optional
//!     path: third_party/libfoo-2.0.tar.gz   # a file: declare its sha256
//!     sha256: 9b1c…(64 hex)
//! ```
//!
//! Each entry needs a non-empty `name`, `version` and `uri`; a relative
//! `path` inside the project (no `..`, not absolute, not through a symlink
//! that leaves the project, not the project root itself); and exactly one
//! digest, as 64 lowercase hex: `sha256` of a file, or `dirHash` of a
//! directory (Go's `h1` dirhash as hex, see [`crate::tree`]: the value
//! `vouch inputs` reports as observed). `purl` defaults to
//! `pkg:generic/<name>@<version>`.
//!
//! The optional fields describe the input for the SBOMs and the
//! criticality rules, and are checked as strictly:
//! - `license`: an SPDX expression (see [`crate::license`]); free text is
//!   an error, not a licence.
//! - `cpe`: its CPE, for vulnerability matching: a CPE 2.3 formatted
//!   string (`cpe:2.3:…`) or a CPE 2.2 URI (`cpe:/…`), without white space.
//! - `categories`: free-form words (`dataplane_core`, `test_only`) that
//!   criticality rules can match on.
//! - `patches`: the local patches applied on top of the upstream source,
//!   as paths of files inside the project, held to the same rules as
//!   `path`; each must exist. They are recorded as paths, not hashed: a
//!   patch is the project's own source, covered by the provenance's source
//!   commit, not a vendored input.
//!
//! Any other field is an error, so a misspelt `dirhash` cannot silently
//! leave an input unchecked; so is the same name and version declared
//! twice.
//!
//! A generic input is vendored by definition: a declared path that does not
//! exist is a [`Match::Mismatch`], never [`Match::NotVendored`]. So is a
//! `sha256` declared for a directory or a `dirHash` for a file; the observed
//! digest is then the one that fits what is on disk, ready to be declared.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

use crate::input;
use crate::license::spdx_expression;
use crate::tree::{dir_hash, join_inside, parser_message, Root};
use crate::{Ecosystem, Error, Input, Match, Result};

/// The file declaring generic inputs, at the project root.
pub const INPUTS_FILE: &str = "vouch.inputs.yaml";

/// The generic ecosystem.
pub struct Generic;

/// The wire form of [`INPUTS_FILE`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputsFile {
    inputs: Vec<Declared>,
}

/// One entry as written; validated into an [`Entry`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Declared {
    name: String,
    /// Read as written: serde_norway hands a plain scalar such as `1.10`
    /// to a string field as its text, so it does not become the number 1.1.
    version: String,
    uri: String,
    purl: Option<String>,
    path: String,
    sha256: Option<String>,
    dir_hash: Option<String>,
    /// An SPDX expression.
    license: Option<String>,
    /// A CPE 2.3 formatted string or CPE 2.2 URI.
    cpe: Option<String>,
    /// Paths of local patch files, inside the project.
    #[serde(default)]
    patches: Vec<String>,
    /// Words criticality rules match on.
    #[serde(default)]
    categories: Vec<String>,
}

/// What kind of path a digest is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A file: `sha256`.
    File,
    /// A directory: `dirHash`.
    Dir,
}

impl Kind {
    /// Its DigestSet key.
    fn key(self) -> &'static str {
        match self {
            Kind::File => "sha256",
            Kind::Dir => "dirHash",
        }
    }

    /// What it names, for messages.
    fn noun(self) -> &'static str {
        match self {
            Kind::File => "a file",
            Kind::Dir => "a directory",
        }
    }
}

/// One validated entry.
struct Entry {
    name: String,
    version: String,
    uri: String,
    purl: String,
    /// The path, normalised: `/`-separated, without `.` segments.
    relative: String,
    /// The path joined onto the project root.
    full: PathBuf,
    /// What the declared digest is for.
    kind: Kind,
    /// The declared digest, hex.
    digest: String,
    /// Its licence, an SPDX expression in canonical form.
    license: Option<String>,
    /// Its CPE.
    cpe: Option<String>,
    /// Its patches, normalised like `relative`.
    patches: Vec<String>,
    /// Its categories.
    categories: Vec<String>,
}

/// Whether `value` is a SHA-256 as 64 lowercase hex characters.
fn is_hex64(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A path as written, `/`-separated, without `.` segments.
fn normalised(path: &str) -> String {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `relative` (the `field` of entry `at` in `file`) joined onto `root`; a
/// path that leaves the project is refused, naming where it was declared.
fn join_declared(
    root: &Path,
    relative: &str,
    field: &str,
    at: &str,
    file: &Path,
) -> Result<PathBuf> {
    join_inside(root, relative).map_err(|e| match e {
        Error::OutsideTree { path, reason } => Error::OutsideTree {
            path,
            reason: format!("{reason} (`{field}` of {at} in {})", file.display()),
        },
        other => other,
    })
}

/// Whether `cpe` looks like a CPE: a 2.3 formatted string or a 2.2 URI,
/// with no white space.
fn is_cpe(cpe: &str) -> bool {
    (cpe.starts_with("cpe:2.3:") || cpe.starts_with("cpe:/")) && !cpe.contains(char::is_whitespace)
}

/// Checks one entry (`at` names it in messages) and joins its path and
/// patches onto `root`.
fn validate(root: &Root, file: &Path, at: &str, declared: Declared) -> Result<Entry> {
    let invalid = |reason: String| Error::Invalid {
        what: INPUTS_FILE,
        path: file.display().to_string(),
        reason: format!("{at}: {reason}"),
    };
    for (field, value) in [
        ("name", &declared.name),
        ("version", &declared.version),
        ("uri", &declared.uri),
        ("path", &declared.path),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(format!("`{field}` is empty")));
        }
    }
    let (kind, digest) = match (declared.sha256, declared.dir_hash) {
        (Some(sha256), None) => (Kind::File, sha256),
        (None, Some(dir_hash)) => (Kind::Dir, dir_hash),
        (Some(_), Some(_)) => {
            return Err(invalid(
                "declares both `sha256` and `dirHash`: give `sha256` for a file, \
                 `dirHash` for a directory"
                    .into(),
            ))
        }
        (None, None) => {
            return Err(invalid(
                "declares no digest: give `sha256` for a file, `dirHash` for a directory".into(),
            ))
        }
    };
    if !is_hex64(&digest) {
        return Err(invalid(format!(
            "`{}` {digest:?} is not 64 lowercase hex characters",
            kind.key()
        )));
    }
    let purl = match declared.purl {
        Some(purl) if purl.starts_with("pkg:") => purl,
        Some(purl) => {
            return Err(invalid(format!(
                "`purl` {purl:?} does not start with `pkg:`"
            )))
        }
        None => input::purl(
            "generic",
            None,
            &declared.name,
            Some(&declared.version),
            &[],
        )?,
    };
    let full = join_declared(root.path(), &declared.path, "path", at, file)?;
    let relative = normalised(&declared.path);
    if relative.is_empty() {
        return Err(invalid(format!(
            "`path` {:?} is the project root: name a file or directory inside it",
            declared.path
        )));
    }
    let license = match declared.license {
        Some(text) => Some(spdx_expression(&text).ok_or_else(|| {
            invalid(format!(
                "`license` {text:?} is not an SPDX expression (e.g. `MIT`, \
                 `Apache-2.0 OR MIT`, `LicenseRef-Proprietary`)"
            ))
        })?),
        None => None,
    };
    if let Some(cpe) = declared.cpe.as_deref().filter(|c| !is_cpe(c)) {
        return Err(invalid(format!(
            "`cpe` {cpe:?} is not a CPE (`cpe:2.3:…` or `cpe:/…`)"
        )));
    }
    if declared.categories.iter().any(|c| c.trim().is_empty()) {
        return Err(invalid("`categories` has an empty entry".into()));
    }
    let mut patches = Vec::with_capacity(declared.patches.len());
    for patch in &declared.patches {
        let patch_full = join_declared(root.path(), patch, "patches", at, file)?;
        let patch_relative = normalised(patch);
        match root.resolve(&patch_full)? {
            Some(real) if real.is_file() => patches.push(patch_relative),
            Some(_) => return Err(invalid(format!("patch {patch:?} is not a file"))),
            None => return Err(invalid(format!("patch {patch:?} does not exist"))),
        }
    }
    Ok(Entry {
        name: declared.name,
        version: declared.version,
        uri: declared.uri,
        purl,
        relative,
        full,
        kind,
        digest,
        license,
        cpe: declared.cpe,
        patches,
        categories: declared.categories,
    })
}

/// Reads and validates [`INPUTS_FILE`] of the project at `root`, whose
/// files are all read through it.
fn read(root: &Root) -> Result<Vec<Entry>> {
    let file = root.path().join(INPUTS_FILE);
    let parsed: InputsFile = serde_norway::from_str(&root.read_metadata(&file, INPUTS_FILE)?)
        .map_err(|e| Error::Invalid {
            what: INPUTS_FILE,
            path: file.display().to_string(),
            reason: parser_message(&e),
        })?;
    let mut entries: Vec<Entry> = Vec::with_capacity(parsed.inputs.len());
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (i, declared) in parsed.inputs.into_iter().enumerate() {
        let at = if declared.name.is_empty() {
            format!("inputs[{i}]")
        } else {
            format!("inputs[{i}] ({} {})", declared.name, declared.version)
        };
        let entry = validate(root, &file, &at, declared)?;
        let key = (entry.name.clone(), entry.version.clone());
        if let Some(first) = seen.insert(key, i) {
            return Err(Error::Invalid {
                what: INPUTS_FILE,
                path: file.display().to_string(),
                reason: format!(
                    "{at}: {} {} is already declared by inputs[{first}]",
                    entry.name, entry.version
                ),
            });
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// What a declared path is on disk.
enum OnDisk {
    /// Nothing there.
    Missing,
    /// Neither a file nor a directory (a socket, a device, a FIFO).
    Other,
    /// A regular file.
    File,
    /// A directory, with its files.
    Dir(Vec<String>),
}

/// Looks at `entry`'s path, refusing one that resolves outside the project
/// (through a symlink) before anything is read from it.
fn inspect(root: &Root, entry: &Entry) -> Result<OnDisk> {
    let Some(resolved) = root.resolve(&entry.full)? else {
        return Ok(OnDisk::Missing);
    };
    if resolved.is_dir() {
        Ok(OnDisk::Dir(root.files(&entry.full)?))
    } else if resolved.is_file() {
        Ok(OnDisk::File)
    } else {
        Ok(OnDisk::Other)
    }
}

/// Compares what is on disk (`observed` hex of the `found` kind, if any)
/// with the declaration.
fn check(entry: &Entry, found: Option<(Kind, &str)>) -> Match {
    let path = &entry.relative;
    let declared = entry.kind;
    match found {
        None => Match::Mismatch {
            reason: format!("path {path} is neither a file nor a directory"),
        },
        Some((kind, _)) if kind != declared => Match::Mismatch {
            reason: format!(
                "path {path} is {}, but {INPUTS_FILE} declares a `{}`, which is for {}: \
                 declare its `{}`",
                kind.noun(),
                declared.key(),
                declared.noun(),
                kind.key()
            ),
        },
        Some((_, observed)) if observed != entry.digest => Match::Mismatch {
            reason: format!(
                "path {path} has {} {observed}, {INPUTS_FILE} declares {}",
                declared.key(),
                entry.digest
            ),
        },
        Some(_) => Match::Match,
    }
}

impl Ecosystem for Generic {
    fn name(&self) -> &'static str {
        "generic"
    }

    fn detect(&self, root: &Root) -> bool {
        root.has(INPUTS_FILE)
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        let entries = read(root)?;
        let on_disk: Vec<OnDisk> = entries
            .iter()
            .map(|entry| inspect(root, entry))
            .collect::<Result<_>>()?;

        // Directories: every file of every one, in parallel.
        let mut dir_jobs: Vec<(PathBuf, Vec<String>)> = Vec::new();
        let mut dir_of: HashMap<usize, usize> = HashMap::new();
        for (i, (entry, disk)) in entries.iter().zip(&on_disk).enumerate() {
            if let OnDisk::Dir(listed) = disk {
                dir_of.insert(i, dir_jobs.len());
                dir_jobs.push((entry.full.clone(), listed.clone()));
            }
        }
        let dir_hashes: Vec<String> = root.hash_dirs(&dir_jobs)?.iter().map(dir_hash).collect();
        // Files (archives, often the largest inputs), in parallel too.
        let file_hashes: HashMap<usize, String> = entries
            .par_iter()
            .zip(&on_disk)
            .enumerate()
            .filter(|(_, (_, disk))| matches!(disk, OnDisk::File))
            .map(|(i, (entry, _))| Ok((i, root.hash_file(&entry.full)?)))
            .collect::<Result<_>>()?;

        let mut inputs = Vec::with_capacity(entries.len());
        for (i, (entry, disk)) in entries.into_iter().zip(&on_disk).enumerate() {
            let found: Option<(Kind, &str)> = match disk {
                OnDisk::Dir(_) => dir_of
                    .get(&i)
                    .and_then(|j| dir_hashes.get(*j))
                    .map(|h| (Kind::Dir, h.as_str())),
                OnDisk::File => file_hashes.get(&i).map(|h| (Kind::File, h.as_str())),
                OnDisk::Missing | OnDisk::Other => None,
            };
            let status = match disk {
                OnDisk::Missing => Match::Mismatch {
                    reason: format!("path {} does not exist", entry.relative),
                },
                _ => check(&entry, found),
            };
            inputs.push(Input {
                declared: Some(format!("{}:{}", entry.kind.key(), entry.digest)),
                observed: found.map(|(kind, hex)| format!("{}:{hex}", kind.key())),
                status,
                path: Some(entry.relative),
                license: entry.license,
                patches: entry.patches,
                categories: entry.categories,
                cpe: entry.cpe,
                ..Input::declared("generic", entry.name, entry.version, entry.purl, entry.uri)
            });
        }
        Ok(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZERO: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    /// A project with `third_party/lib/` (two files) and
    /// `third_party/lib.tar.gz`, and the digests they have, computed here
    /// by the `h1` definition rather than through [`crate::tree`].
    fn project() -> (tempfile::TempDir, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("third_party/lib/src")).unwrap();
        std::fs::write(d.join("third_party/lib/src/a.c"), b"int a;").unwrap();
        std::fs::write(d.join("third_party/lib/README"), b"lib").unwrap();
        std::fs::write(d.join("third_party/lib.tar.gz"), b"archive").unwrap();
        let sha = |b: &[u8]| vouch_evidence::digest::sha256(b).hex();
        let lines = format!("{}  README\n{}  src/a.c\n", sha(b"lib"), sha(b"int a;"));
        (dir, sha(lines.as_bytes()), sha(b"archive"))
    }

    fn write(d: &Path, yaml: &str) {
        std::fs::write(d.join(INPUTS_FILE), yaml).unwrap();
    }

    fn err(d: &Path) -> String {
        match Generic.discover(&Root::new(d).unwrap()) {
            Ok(inputs) => panic!("expected an error, got {inputs:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_directory_and_a_file_match_their_digests() {
        let (dir, dir_hash, file_hash) = project();
        let d = dir.path();
        write(
            d,
            &format!(
                "inputs:\n\
                 - name: lib\n  version: 1.3.1\n  uri: https://example.com/lib-1.3.1.tar.gz\n  \
                   path: ./third_party/lib/\n  dirHash: {dir_hash}\n  license: Zlib\n\
                 - name: archive\n  version: \"2.0\"\n  uri: https://example.com/a.tar.gz\n  \
                   purl: pkg:github/example/archive@2.0\n  path: third_party/lib.tar.gz\n  \
                   sha256: {file_hash}\n"
            ),
        );
        assert!(Generic.detect(&Root::new(d).unwrap()));
        let inputs = Generic.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(inputs.len(), 2);
        let lib = &inputs[0];
        assert_eq!(lib.status, Match::Match, "{lib:?}");
        assert_eq!(lib.ecosystem, "generic");
        assert_eq!(lib.purl, "pkg:generic/lib@1.3.1");
        assert_eq!(lib.path.as_deref(), Some("third_party/lib"));
        assert_eq!(lib.declared, Some(format!("dirHash:{dir_hash}")));
        assert_eq!(lib.observed, lib.declared);
        assert_eq!(lib.license.as_deref(), Some("Zlib"));
        let archive = &inputs[1];
        assert_eq!(archive.status, Match::Match, "{archive:?}");
        assert_eq!(archive.version, "2.0");
        assert_eq!(archive.purl, "pkg:github/example/archive@2.0");
        assert_eq!(archive.observed, Some(format!("sha256:{file_hash}")));
        assert_eq!(archive.license, None);
        assert!(archive.patches.is_empty() && archive.categories.is_empty());
    }

    #[test]
    fn licence_cpe_categories_and_patches_are_recorded() {
        let (dir, dir_hash, _) = project();
        let d = dir.path();
        std::fs::create_dir_all(d.join("patches")).unwrap();
        std::fs::write(d.join("patches/a.patch"), b"--- a\n+++ b\n").unwrap();
        std::fs::write(d.join("patches/b.patch"), b"--- a\n+++ b\n").unwrap();
        write(
            d,
            &format!(
                "inputs:\n\
                 - name: lib\n  version: 1.3.1\n  uri: u\n  path: third_party/lib\n  \
                   dirHash: {dir_hash}\n  license: MIT/Apache-2.0\n  \
                   cpe: cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*\n  \
                   categories: [dataplane_core, controlplane]\n  \
                   patches:\n    - ./patches/a.patch\n    - patches/b.patch\n"
            ),
        );
        let inputs = Generic.discover(&Root::new(d).unwrap()).unwrap();
        let lib = &inputs[0];
        assert_eq!(lib.status, Match::Match, "{lib:?}");
        assert_eq!(lib.license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(
            lib.cpe.as_deref(),
            Some("cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*")
        );
        assert_eq!(lib.categories, ["dataplane_core", "controlplane"]);
        assert_eq!(lib.patches, ["patches/a.patch", "patches/b.patch"]);
        // A patch is recorded, not hashed: editing it changes no digest.
        std::fs::write(d.join("patches/a.patch"), b"changed").unwrap();
        assert_eq!(
            Generic.discover(&Root::new(d).unwrap()).unwrap()[0].observed,
            lib.observed
        );
    }

    #[test]
    fn bad_licences_cpes_categories_and_patches_are_refused_naming_them() {
        let (dir, dir_hash, _) = project();
        let d = dir.path();
        std::fs::create_dir_all(d.join("patches")).unwrap();
        std::fs::write(d.join("patches/a.patch"), b"--- a\n").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", d.join("patches/out.patch")).unwrap();
        let head = format!(
            "inputs:\n- name: lib\n  version: 1.0.0\n  uri: u\n  path: third_party/lib\n  \
             dirHash: {dir_hash}\n"
        );
        for (extra, needle) in [
            (
                "  license: Apache License 2.0\n",
                "inputs[0] (lib 1.0.0): `license` \"Apache License 2.0\" is not an SPDX expression",
            ),
            ("  cpe: zlib\n", "`cpe` \"zlib\" is not a CPE"),
            (
                "  categories: [core, '']\n",
                "`categories` has an empty entry",
            ),
            (
                "  patches: [../outside.patch]\n",
                "refusing ../outside.patch: contains `..` (`patches` of inputs[0] (lib 1.0.0)",
            ),
            (
                "  patches: [/etc/hostname]\n",
                "refusing /etc/hostname: is absolute",
            ),
            (
                "  patches: [patches/gone.patch]\n",
                "patch \"patches/gone.patch\" does not exist",
            ),
            ("  patches: [patches]\n", "patch \"patches\" is not a file"),
            (
                "  patches: [patches/out.patch]\n",
                "refusing patches/out.patch: resolves outside the project",
            ),
            ("  patches: patches/a.patch\n", "invalid type"),
            ("  patch: [patches/a.patch]\n", "unknown field `patch`"),
            ("  category: [core]\n", "unknown field `category`"),
        ] {
            write(d, &format!("{head}{extra}"));
            let e = err(d);
            assert!(e.contains(needle), "{extra}: {needle:?} not in {e}");
        }
        // The negative control: the same entry with a good patch passes.
        write(d, &format!("{head}  patches: [patches/a.patch]\n"));
        assert_eq!(
            Generic.discover(&Root::new(d).unwrap()).unwrap()[0].patches,
            ["patches/a.patch"]
        );
    }

    #[test]
    fn tampered_missing_and_wrong_kind_paths_are_mismatches_naming_the_path() {
        let (dir, dir_hash, file_hash) = project();
        let d = dir.path();
        write(
            d,
            &format!(
                "inputs:\n\
                 - {{name: a, version: '1', uri: u, path: third_party/lib.tar.gz, sha256: {file_hash}}}\n\
                 - {{name: b, version: '1', uri: u, path: third_party/gone, dirHash: {dir_hash}}}\n\
                 - {{name: c, version: '1', uri: u, path: third_party/lib, sha256: {dir_hash}}}\n\
                 - {{name: d, version: '1', uri: u, path: third_party/lib.tar.gz, dirHash: {file_hash}}}\n"
            ),
        );
        std::fs::write(d.join("third_party/lib.tar.gz"), b"archivE").unwrap();
        let inputs = Generic.discover(&Root::new(d).unwrap()).unwrap();
        let reason = |i: usize| match &inputs[i].status {
            Match::Mismatch { reason } => reason.clone(),
            other => panic!("{other:?}"),
        };
        let observed = vouch_evidence::digest::sha256(b"archivE").hex();
        assert_eq!(
            reason(0),
            format!(
                "path third_party/lib.tar.gz has sha256 {observed}, {INPUTS_FILE} declares {file_hash}"
            )
        );
        assert_eq!(reason(1), "path third_party/gone does not exist");
        assert_eq!(inputs[1].observed, None);
        assert!(
            reason(2).contains("third_party/lib is a directory")
                && reason(2).contains("declare its `dirHash`"),
            "{}",
            reason(2)
        );
        assert_eq!(inputs[2].observed, Some(format!("dirHash:{dir_hash}")));
        assert!(
            reason(3).contains("third_party/lib.tar.gz is a file"),
            "{}",
            reason(3)
        );
    }

    #[test]
    fn unknown_fields_are_refused_by_name_with_their_line() {
        let (dir, dir_hash, _) = project();
        let d = dir.path();
        write(
            d,
            &format!(
                "inputs:\n- name: lib\n  version: 1.0.0\n  uri: u\n  path: third_party/lib\n  \
                 dirhash: {dir_hash}\n"
            ),
        );
        let e = err(d);
        assert!(e.contains("unknown field `dirhash`"), "{e}");
        assert!(e.contains(INPUTS_FILE), "{e}");
        assert!(e.contains("line 6"), "{e}");
    }

    #[test]
    fn digests_must_be_exactly_one_and_lowercase_hex() {
        let (dir, dir_hash, file_hash) = project();
        let d = dir.path();
        let head = "inputs:\n- name: lib\n  version: 1.0.0\n  uri: u\n  path: third_party/lib\n";
        for (digests, needle) in [
            (
                format!("  dirHash: {dir_hash}\n  sha256: {file_hash}\n"),
                "inputs[0] (lib 1.0.0): declares both `sha256` and `dirHash`",
            ),
            (String::new(), "declares no digest"),
            (
                format!("  dirHash: {}\n", dir_hash.to_uppercase()),
                "is not 64 lowercase hex characters",
            ),
            (format!("  sha256: {}\n", &file_hash[..63]), "`sha256`"),
        ] {
            write(d, &format!("{head}{digests}"));
            let e = err(d);
            assert!(e.contains(needle), "{needle:?} not in {e}");
            assert!(e.contains(INPUTS_FILE), "{e}");
        }
    }

    #[test]
    fn paths_must_stay_inside_the_project() {
        let (dir, _, _) = project();
        let d = dir.path();
        for (path, needle) in [
            ("../outside", "contains `..`"),
            ("third_party/../../x", "contains `..`"),
            ("/etc/passwd", "is absolute"),
            (".", "is the project root"),
        ] {
            write(
                d,
                &format!("inputs:\n- {{name: x, version: '1', uri: u, path: '{path}', sha256: {ZERO}}}\n"),
            );
            let e = err(d);
            assert!(e.contains(needle), "{path}: {e}");
        }
        std::os::unix::fs::symlink("/etc", d.join("third_party/etc")).unwrap();
        write(
            d,
            &format!("inputs:\n- {{name: x, version: '1', uri: u, path: third_party/etc/hostname, sha256: {ZERO}}}\n"),
        );
        let e = err(d);
        assert!(e.contains("outside the project"), "{e}");
    }

    #[test]
    fn plain_scalar_versions_are_kept_as_written() {
        let (dir, _, file_hash) = project();
        let d = dir.path();
        for version in ["1.10", "2", "1e3", "0x10", "true"] {
            write(
                d,
                &format!("inputs:\n- {{name: x, version: {version}, uri: u, path: third_party/lib.tar.gz, sha256: {file_hash}}}\n"),
            );
            let inputs = Generic.discover(&Root::new(d).unwrap()).unwrap();
            assert_eq!(inputs[0].version, version);
            assert_eq!(inputs[0].status, Match::Match);
        }
    }

    #[test]
    fn other_malformed_declarations_are_refused() {
        let (dir, _, _) = project();
        let d = dir.path();
        let entry = |fields: &str| {
            format!(
                "inputs:\n- {{{fields}, uri: u, path: third_party/lib.tar.gz, sha256: {ZERO}}}\n"
            )
        };
        for (yaml, needle) in [
            (entry("name: '', version: '1'"), "`name` is empty"),
            (entry("name: x, version: ' '"), "`version` is empty"),
            (
                entry("name: x, version: '1', purl: x"),
                "does not start with `pkg:`",
            ),
            (
                format!(
                    "{}{}",
                    entry("name: x, version: '1'"),
                    &entry("name: x, version: '1'")[8..]
                ),
                "inputs[1] (x 1): x 1 is already declared by inputs[0]",
            ),
            ("inputs: 3\n".to_string(), "invalid type"),
            ("{}\n".to_string(), "missing field `inputs`"),
        ] {
            write(d, &yaml);
            let e = err(d);
            assert!(e.contains(needle), "{yaml}: {needle:?} not in {e}");
        }
    }
}
