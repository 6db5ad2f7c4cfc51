//! Python lockfiles: Poetry's `poetry.lock`, uv's `uv.lock` and Pipenv's
//! `Pipfile.lock` (one module each, [`poetry`], [`uv`], [`pipfile`]),
//! checked against a wheelhouse and an installed environment.
//!
//! Each lockfile at the project root is its own ecosystem (all of
//! ecosystem `pip`, purl `pkg:pypi/<name>@<version>`): its packages become
//! [`Input`]s here, by one shared check, so that the three read the disk
//! the same way. Names are PEP 503 normalised ([`crate::pip`]'s rule).
//!
//! ## What is declared
//!
//! `declared` is every archive hash the lockfile gives the package,
//! sorted, as `algorithm:hex` joined with `,`: the notation of a hashed
//! requirement in [`crate::pip`] (Poetry's `files`, uv's `sdist` and
//! `wheels`, Pipfile.lock's `hashes`; any of them is a valid archive). A
//! package the lockfile gives no hash (a git, URL or directory source) is
//! a [`Match::Mismatch`], `not hashed`, as an unhashed requirement is for
//! pip: the installer cannot check what it fetches. The project itself
//! (uv's `virtual`/`editable`/`directory` source inside the project,
//! Poetry's `directory` source inside it, Pipfile's `path`/`editable`
//! entries inside it) is not an input.
//!
//! ## What is observed
//!
//! 1. **The wheelhouse** (`wheelhouse/` at the root, top level only, as
//!    [`crate::pip`] reads it): every file of the package's name and
//!    version must have a SHA-256 among the declared hashes; its digest
//!    joins `observed` as `sha256:<hex>` and its path `path`.
//! 2. **The installed environment**: every `site-packages` directory of a
//!    virtual environment inside the project (`.venv/lib/python3*/site-packages`,
//!    where `uv sync`, `poetry install` with in-project venvs and
//!    `PIPENV_VENV_IN_PROJECT=1 pipenv install` put it, and what an image
//!    ships), and a `site-packages/` directory at the root. The package's
//!    `<name>-<version>.dist-info` (found by normalised name; a copy of
//!    the name at another version is a mismatch saying so) must have a
//!    `METADATA` whose `Name` and `Version` are the locked ones, and every
//!    file its `RECORD` lists with a hash must hash to it (`sha256`,
//!    `sha384` or `sha512`, URL-safe base64 as the wheel spec writes it);
//!    a file missing, or one that resolves outside the project, is a
//!    mismatch naming it. Where the wheelhouse holds a wheel of the package
//!    whose hash is declared, the installed `RECORD` must also list every
//!    file of that wheel's own `RECORD` (but its `.data/` files, which the
//!    installer moves) with the wheel's hash: that ties the installed
//!    files to a declared archive. A `direct_url.json` (PEP 610) must
//!    agree with the lock: its `vcs_info.commit_id` with a git source's
//!    commit, its `archive_info` hash with the declared hashes, and a
//!    local-directory install (`dir_info`) is a mismatch for a package
//!    the lock takes from an index.
//!
//!    The observed digest is the SHA-256 of the `RECORD` file itself, as
//!    `sha256:<hex>`, its path the `RECORD`'s. Why the `RECORD` and not a
//!    directory hash: a distribution's files are not one directory (a
//!    module `six.py` beside other distributions', a package directory,
//!    its `.dist-info`, scripts in `bin/`), and every file `RECORD` lists
//!    has just been checked against the hash it gives, so its digest
//!    commits to all of them; it is also a file, which the evidence
//!    already records as pip's files are (`sha256:`, several joined with
//!    `,`, each an in-toto link product).
//!
//!    **What the installed check cannot say.** The lockfile's hashes are
//!    of archives (wheels, sdists); the archive is gone once installed and
//!    cannot be rebuilt from the tree, so without the wheel in the
//!    wheelhouse the declared hash is not recomputed (the same stance as
//!    [`crate::npm`]): a whole distribution replaced together with a
//!    consistent `RECORD`, at the locked name and version, passes, and its
//!    new `RECORD` digest is what the evidence records (and `vouch diff`
//!    shows). Files `RECORD` lists without a hash (the `RECORD` itself,
//!    and the `__pycache__/*.pyc` pip compiles) are not checked: a
//!    tampered `.pyc` is not seen. `INSTALLER` is checked as any other
//!    file `RECORD` hashes; which installer it names is not judged.
//!
//! 3. **The whole environment**: every file under `site-packages` must be
//!    listed by some installed distribution's `RECORD` (a `.pth` file
//!    dropped in runs at every interpreter start), but `__pycache__/*.pyc`,
//!    which Python writes at run time; and a distribution installed there
//!    that the lock does not pin at its version (the pip and setuptools a
//!    venv is seeded with, the project itself) is not an input, but every
//!    file its `RECORD` hashes must hash so. Either failure is a finding
//!    on every input of the lockfile, since it is about the environment
//!    they run in. A whole extra distribution with a consistent `RECORD`
//!    is not judged: the lock does not say what else may be installed.
//!    The licence is read from the wheelhouse archive's metadata as
//!    [`crate::pip`] reads it, else from the installed `METADATA`.
//!
//! Paths in `RECORD` are relative to `site-packages` and may climb out of
//! it (`../../../bin/tool`, a script of the venv): one that stays inside
//! the project is checked; one that leaves it (or is absolute, or a
//! symlink out) is never read, and is a mismatch naming it.
//!
//! ## Several lockfiles
//!
//! A project with several (a `requirements.txt` exported beside a
//! `poetry.lock`) has each read and checked on its own, each giving its
//! own inputs against the same wheelhouse and environment: nothing one
//! lockfile declares can make another's input match, so a second lockfile
//! cannot hide a tampered file from the first. A package both lock is
//! listed once per lockfile (in-toto links then refuse two records of one
//! name and version, naming it).

pub mod pipfile;
pub mod poetry;
pub mod uv;

use std::collections::{BTreeMap, BTreeSet};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use base64::Engine;
use rayon::prelude::*;
use ring::digest::{Algorithm, SHA256, SHA384, SHA512};

pub use pipfile::Pipenv;
pub use poetry::Poetry;
pub use uv::Uv;

use crate::input;
use crate::pip::{self, normalise};
use crate::tree::{excerpt, join_inside, Listing, Root};
use crate::{Error, Input, Match, Result};

/// The virtual environment inside the project the tools make.
const VENV: &str = ".venv";
/// A bare `site-packages` directory at the root (copied out of an image).
const SITE_PACKAGES: &str = "site-packages";
/// The most `site-packages` directories read (one per Python version).
const MAX_SITES: usize = 16;

/// One package a lockfile pins: what its parser returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    /// The PEP 503 normalised name.
    pub name: String,
    /// The version pinned.
    pub version: String,
    /// Its archive hashes as `algorithm:hex`, sorted and unique.
    pub hashes: Vec<String>,
    /// Where the lock takes it from.
    pub source: Source,
    /// The packages it depends on: normalised name, and the version where
    /// the lock says which (uv, when a name is locked at several).
    pub dependencies: Vec<(String, Option<String>)>,
    /// The groups the lock puts it in (Poetry's `groups` or `category`,
    /// Pipfile.lock's section), for the criticality rules.
    pub categories: Vec<String>,
}

/// Where a locked package comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A package index (PyPI, or another index's URL).
    Index(String),
    /// A git repository, at a commit where the lock records one.
    Git {
        /// The repository URL as the lock writes it.
        url: String,
        /// The full commit, where the lock records it.
        commit: Option<String>,
    },
    /// A direct URL to an archive.
    Url(String),
    /// A local archive or directory outside the project (one inside it is
    /// the project's own code, dropped by the parsers).
    Path(String),
}

impl Source {
    /// The input's `uri`: PyPI's project page for a PyPI package, else
    /// where it comes from.
    fn uri(&self, name: &str, version: &str) -> String {
        match self {
            Source::Index(index) if is_pypi(index) => {
                format!("https://pypi.org/project/{name}/{version}/")
            }
            Source::Index(url) | Source::Url(url) | Source::Path(url) => url.clone(),
            Source::Git { url, commit } => match commit {
                Some(commit) => format!("git+{url}@{commit}"),
                None => format!("git+{url}"),
            },
        }
    }

    /// The source in words, for a `not hashed` reason.
    fn described(&self) -> String {
        match self {
            Source::Index(url) => format!("index {}", excerpt(url)),
            Source::Git { url, .. } => format!("git {}", excerpt(url)),
            Source::Url(url) => format!("URL {}", excerpt(url)),
            Source::Path(path) => format!("path {}", excerpt(path)),
        }
    }
}

/// Whether an index URL is PyPI's (what every tool writes for it, or
/// nothing).
fn is_pypi(index: &str) -> bool {
    let trimmed = index.trim_end_matches('/');
    trimmed.is_empty()
        || trimmed == "https://pypi.org/simple"
        || trimmed == "https://pypi.python.org/simple"
        || trimmed == "pypi"
}

/// Whether the local `path` (relative to the root, or absolute) lies inside
/// the project: such a source is the project's own code.
pub(crate) fn inside_project(root: &Root, path: &str) -> bool {
    let path = path.strip_prefix("file://").unwrap_or(path);
    crate::tree::outside(root, path).is_none()
}

/// Reads one lockfile hash (`sha256:<hex>`) as [`pip`]'s `--hash`.
pub(crate) fn lock_hash(value: &str) -> std::result::Result<String, String> {
    pip::hash(value).map_err(|_| {
        format!(
            "hash `{}` is not `<algorithm>:<hex>` with sha256, sha384 or sha512",
            excerpt(value)
        )
    })
}

/// The most characters of a path a `RECORD` gives that a reason quotes.
const MAX_SHOWN_PATH: usize = 240;

/// A path from a `RECORD` (file content, so the attacker's choice) as a
/// reason may carry it: escaped as [`excerpt`] escapes, and cut at
/// [`MAX_SHOWN_PATH`] characters rather than `excerpt`'s few, since real
/// paths in an environment are long and the reason must name the file.
fn shown(path: &str) -> String {
    let mut out = String::new();
    for (i, c) in path.chars().enumerate() {
        if i == MAX_SHOWN_PATH {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out
}

/// One row of an installed distribution's `RECORD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The file, relative to `site-packages` (it may climb out with `..`).
    pub path: String,
    /// Its hash: algorithm (lower case) and URL-safe base64 digest, as
    /// written; `None` for a file listed without one.
    pub hash: Option<(String, String)>,
}

/// The CSV fields of one `RECORD` line (quoted fields with `""` for a
/// quote, as Python's csv module writes them).
fn csv_fields(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut started = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            }
            '"' if !started => {
                quoted = true;
                started = true;
            }
            ',' if !quoted => {
                fields.push(std::mem::take(&mut field));
                started = false;
            }
            c => {
                started = true;
                field.push(c);
            }
        }
    }
    if quoted {
        return Err("an unclosed quote".into());
    }
    fields.push(field);
    Ok(fields)
}

/// Parses a `RECORD` (PEP 376: `path,algorithm=digest,size` per line, the
/// hash and size empty for files not hashed); errors name the line. Public
/// for fuzzing: discovery reads every `RECORD` of the environment with it.
pub fn parse_record(text: &str) -> std::result::Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let at = |reason: String| format!("line {}: {reason}", i + 1);
        let fields = csv_fields(line).map_err(at)?;
        let [path, hash, _size] = fields.as_slice() else {
            return Err(at(format!("`{}` is not `path,hash,size`", excerpt(line))));
        };
        if path.is_empty() {
            return Err(at("an empty path".into()));
        }
        let hash = match hash.as_str() {
            "" => None,
            value => {
                let (algorithm, digest) = value
                    .split_once('=')
                    .ok_or_else(|| at(format!("`{}` is not `algorithm=digest`", excerpt(value))))?;
                Some((algorithm.to_ascii_lowercase(), digest.to_string()))
            }
        };
        rows.push(Row {
            path: path.clone(),
            hash,
        });
    }
    Ok(rows)
}

/// The ring algorithm of a `RECORD` hash name, with its digest length.
fn record_algorithm(name: &str) -> Option<(&'static Algorithm, usize)> {
    match name {
        "sha256" => Some((&SHA256, 32)),
        "sha384" => Some((&SHA384, 48)),
        "sha512" => Some((&SHA512, 64)),
        _ => None,
    }
}

/// The `Name` and `Version` of core metadata (the header, up to the first
/// blank line).
fn name_and_version(text: &str) -> (Option<&str>, Option<&str>) {
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some((field, value)) = line.split_once(':') {
            let value = value.trim();
            if field.eq_ignore_ascii_case("Name") && name.is_none() {
                name = Some(value);
            } else if field.eq_ignore_ascii_case("Version") && version.is_none() {
                version = Some(value);
            }
        }
    }
    (name, version)
}

/// One `site-packages` directory: root-relative path, path, and its
/// `.dist-info` directories by normalised name (directory name, version).
struct Site {
    relative: String,
    path: PathBuf,
    dists: BTreeMap<String, Vec<(String, String)>>,
}

/// The `site-packages` directories of the project's environments.
fn sites(root: &Root) -> Result<Vec<Site>> {
    let mut candidates: Vec<String> = Vec::new();
    let lib = join_inside(root.path(), &format!("{VENV}/lib"))?;
    if root.resolve(&lib)?.is_some_and(|l| l.is_dir()) {
        let entries = std::fs::read_dir(&lib).map_err(|error| Error::Io {
            action: "list",
            path: lib.display().to_string(),
            error,
        })?;
        let mut names: Vec<String> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| Error::Io {
                action: "list",
                path: lib.display().to_string(),
                error,
            })?;
            if let Some(name) = entry.file_name().to_str() {
                if name.starts_with("python3") {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        candidates.extend(
            names
                .into_iter()
                .map(|n| format!("{VENV}/lib/{n}/site-packages")),
        );
    }
    candidates.push(SITE_PACKAGES.to_string());
    let mut found = Vec::new();
    for relative in candidates {
        let path = join_inside(root.path(), &relative)?;
        // An environment holds many inputs: one that leaves the project is
        // an error, not one input's mismatch.
        if !root.resolve(&path)?.is_some_and(|p| p.is_dir()) {
            continue;
        }
        if found.len() == MAX_SITES {
            return Err(Error::Invalid {
                what: "environment",
                path: root.path().join(VENV).display().to_string(),
                reason: format!("more than {MAX_SITES} site-packages directories"),
            });
        }
        let mut dists: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let entries = std::fs::read_dir(&path).map_err(|error| Error::Io {
            action: "list",
            path: path.display().to_string(),
            error,
        })?;
        for entry in entries {
            let entry = entry.map_err(|error| Error::Io {
                action: "list",
                path: path.display().to_string(),
                error,
            })?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Some((dist, version)) = name
                .strip_suffix(".dist-info")
                .and_then(|stem| stem.rsplit_once('-'))
            else {
                continue;
            };
            let (dist, version) = (normalise(dist), version.to_string());
            dists.entry(dist).or_default().push((name, version));
        }
        for list in dists.values_mut() {
            list.sort();
        }
        found.push(Site {
            relative,
            path,
            dists,
        });
    }
    Ok(found)
}

/// `relative` (a `RECORD` path, relative to `site`) as a path relative
/// to the project root, resolved lexically; `None` when it is absolute or
/// climbs out of the project.
fn record_path(site: &str, relative: &str) -> Option<String> {
    // Absolute: `/x`, `\\x`, or a drive (`C:`).
    if relative.starts_with('/') || relative.starts_with('\\') || relative.get(1..2) == Some(":") {
        return None;
    }
    let mut parts: Vec<&str> = site.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// What the check of one installed distribution found.
struct Installed {
    /// The `RECORD`'s root-relative path and SHA-256 hex.
    record: Option<(String, String)>,
    /// Why it does not match, if it does not.
    problems: Vec<String>,
    /// The licence its `METADATA` declares, read as [`pip`] reads it.
    license: Option<String>,
}

/// Checks the distribution installed at `site/<dist_info>` against the
/// locked package (see the module documentation); `wheels` are the
/// `RECORD`s of the package's verified wheels in the wheelhouse (file
/// name, text).
fn check_installed(
    root: &Root,
    site: &Site,
    dist_info: &str,
    locked: &Locked,
    wheels: &[(String, String)],
) -> Result<Installed> {
    let dir = format!("{}/{dist_info}", site.relative);
    let mut problems = Vec::new();
    let mut license = None;
    let read = |file: &str, what: &'static str| -> Result<Option<String>> {
        let full = site.path.join(dist_info).join(file);
        if !root.has(&format!("{dir}/{file}")) {
            return Ok(None);
        }
        root.read_metadata(&full, what).map(Some)
    };
    match read("METADATA", "distribution metadata")? {
        None => problems.push(format!("{dir}/METADATA is missing")),
        Some(text) => {
            license = pip::metadata_license(&text);
            let (name, version) = name_and_version(&text);
            if name.map(normalise).as_deref() != Some(locked.name.as_str())
                || version != Some(locked.version.as_str())
            {
                problems.push(format!(
                    "{dir}/METADATA gives {} {}, not the locked {} {}",
                    excerpt(name.unwrap_or("no name")),
                    excerpt(version.unwrap_or("no version")),
                    locked.name,
                    locked.version
                ));
            }
        }
    }
    let record_file = format!("{dir}/RECORD");
    let Some(text) = read("RECORD", "installed RECORD")? else {
        problems.push(format!(
            "{record_file} is missing, so no installed file can be checked"
        ));
        return Ok(Installed {
            record: None,
            problems,
            license,
        });
    };
    let digest = vouch_evidence::digest::sha256(text.as_bytes()).hex();
    let rows = match parse_record(&text) {
        Ok(rows) => rows,
        Err(reason) => {
            problems.push(format!("{record_file} is not a RECORD: {reason}"));
            return Ok(Installed {
                record: Some((record_file, digest)),
                problems,
                license,
            });
        }
    };
    // Each path once: the same file listed twice with two hashes is
    // itself a finding, and hashing it once is enough.
    let mut listed: BTreeMap<&str, Option<&(String, String)>> = BTreeMap::new();
    for row in &rows {
        if let Some(previous) = listed.insert(row.path.as_str(), row.hash.as_ref()) {
            if previous != row.hash.as_ref() {
                problems.push(format!(
                    "{record_file} lists {} twice, with two hashes",
                    shown(&row.path)
                ));
            }
        }
    }
    let checks: Vec<Option<String>> = listed
        .par_iter()
        .map(|(path, hash)| check_file(root, site, &record_file, path, *hash))
        .collect::<Result<_>>()?;
    problems.extend(checks.into_iter().flatten());
    if !wheels.is_empty() {
        let results: Vec<std::result::Result<(), String>> = wheels
            .iter()
            .map(|(wheel, record)| same_files(wheel, record, &record_file, &listed))
            .collect();
        if !results.iter().any(|r| r.is_ok()) {
            problems.extend(results.into_iter().filter_map(|r| r.err()).take(1));
        }
    }
    if let Some(text) = read("direct_url.json", "direct_url.json")? {
        problems.extend(direct_url(&format!("{dir}/direct_url.json"), &text, locked));
    }
    Ok(Installed {
        record: Some((record_file, digest)),
        problems,
        license,
    })
}

/// Checks one file a `RECORD` lists: `None` when it hashes to what the
/// `RECORD` says (or the `RECORD` gives no hash), else why not.
fn check_file(
    root: &Root,
    site: &Site,
    record_file: &str,
    path: &str,
    hash: Option<&(String, String)>,
) -> Result<Option<String>> {
    let Some((algorithm, expected)) = hash else {
        return Ok(None);
    };
    let quoted = shown(path);
    let Some((ring_algorithm, length)) = record_algorithm(algorithm) else {
        return Ok(Some(format!(
            "{record_file} hashes {quoted} with {}, not sha256, sha384 or sha512",
            excerpt(algorithm)
        )));
    };
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(expected.trim_end_matches('='))
        .ok()
        .filter(|d| d.len() == length);
    let Some(expected) = expected else {
        return Ok(Some(format!(
            "{record_file} gives {quoted} a {algorithm} that is not URL-safe base64 of {length} bytes"
        )));
    };
    let Some(relative) = record_path(&site.relative, path) else {
        return Ok(Some(format!(
            "{record_file} lists {quoted}, which is outside the project: not read"
        )));
    };
    let full = join_inside(root.path(), &relative)?;
    match root.hash_file_with(&full, ring_algorithm) {
        Ok(found) if found == hex::encode(&expected) => Ok(None),
        Ok(found) => Ok(Some(format!(
            "{} has {algorithm} {found}, not the {} its {record_file} lists",
            shown(&relative),
            hex::encode(&expected)
        ))),
        Err(Error::Io { error, .. }) if error.kind() == ErrorKind::NotFound => Ok(Some(format!(
            "{} is missing: {record_file} lists it",
            shown(&relative)
        ))),
        Err(e @ (Error::OutsideTree { .. } | Error::Invalid { .. })) => Ok(Some(format!(
            "{record_file} lists {quoted}, which cannot be checked: {e}"
        ))),
        Err(e) => Err(e),
    }
}

/// Whether the installed `RECORD` (`listed`) has every file the wheel's
/// own `RECORD` hashes, with the same hash; `.data/` files (moved by the
/// installer to scripts, headers, data) and the `.dist-info` files an
/// installer writes are left out.
fn same_files(
    wheel: &str,
    record: &str,
    record_file: &str,
    listed: &BTreeMap<&str, Option<&(String, String)>>,
) -> std::result::Result<(), String> {
    let rows = parse_record(record)
        .map_err(|reason| format!("the RECORD of wheelhouse/{wheel} is not a RECORD: {reason}"))?;
    for row in rows {
        let Some(hash) = &row.hash else {
            continue;
        };
        let top = row.path.split('/').next().unwrap_or_default();
        if top.ends_with(".data") {
            continue;
        }
        if listed.get(row.path.as_str()).copied().flatten() != Some(hash) {
            return Err(format!(
                "{record_file} does not list {} with the hash the RECORD of wheelhouse/{wheel} gives it",
                shown(&row.path)
            ));
        }
    }
    Ok(())
}

/// What a `direct_url.json` (PEP 610) says against the lock: `None` when
/// it agrees.
fn direct_url(file: &str, text: &str, locked: &Locked) -> Option<String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Some(format!("{file} is not JSON"));
    };
    if let Some(commit) = value
        .pointer("/vcs_info/commit_id")
        .and_then(|c| c.as_str())
    {
        return match &locked.source {
            Source::Git {
                commit: Some(locked_commit),
                ..
            } if locked_commit.eq_ignore_ascii_case(commit) => None,
            Source::Git {
                commit: Some(locked_commit),
                ..
            } => Some(format!(
                "{file} records commit {}, not the locked {locked_commit}",
                excerpt(commit)
            )),
            _ => Some(format!(
                "{file} records a VCS install at commit {}, but the lock does not take it from git",
                excerpt(commit)
            )),
        };
    }
    if value.get("dir_info").is_some() {
        return match locked.source {
            Source::Path(_) => None,
            _ => Some(format!(
                "{file} records an install from a local directory, not from the lock's source"
            )),
        };
    }
    if let Some(info) = value.get("archive_info") {
        let mut hashes: Vec<String> = Vec::new();
        if let Some(map) = info.get("hashes").and_then(|h| h.as_object()) {
            for (algorithm, hex) in map {
                if let Some(hex) = hex.as_str() {
                    hashes.push(format!("{algorithm}:{}", hex.to_ascii_lowercase()));
                }
            }
        }
        if let Some(hash) = info.get("hash").and_then(|h| h.as_str()) {
            if let Some((algorithm, hex)) = hash.split_once('=') {
                hashes.push(format!("{algorithm}:{}", hex.to_ascii_lowercase()));
            }
        }
        if let Some(other) = hashes.iter().find(|h| !locked.hashes.contains(h)) {
            return Some(format!(
                "{file} records archive hash {}, not one the lock declares",
                excerpt(other)
            ));
        }
    }
    None
}

/// The most files an environment finding names before it counts the rest.
const MAX_NAMED: usize = 5;

/// The first [`MAX_NAMED`] of `items` joined with `sep`, and how many more:
/// a hostile environment (a RECORD listing a million missing files) makes
/// a message of bounded size, copied into every input it concerns.
fn named_with(items: &[String], sep: &str) -> String {
    let mut text = items
        .iter()
        .take(MAX_NAMED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(sep);
    if let Some(n) = items.len().checked_sub(MAX_NAMED).filter(|n| *n > 0) {
        text.push_str(&format!(" and {n} more"));
    }
    text
}

/// What holds for the whole environment `site`, whatever the package:
/// the files of `site-packages` that no `.dist-info/RECORD` lists
/// (Python's own `__pycache__/*.pyc`, written at run time, aside), and,
/// for each distribution installed there that the lock does not pin at
/// its version (the installer's pip and setuptools, the project itself),
/// the files its `RECORD` hashes that do not hash so.
fn environment(
    root: &Root,
    site: &Site,
    lockfile: &str,
    locked: &BTreeSet<(&str, &str)>,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut claimed: BTreeSet<String> = BTreeSet::new();
    for (name, installed) in &site.dists {
        for (dist_info, version) in installed {
            let full = site.path.join(dist_info).join("RECORD");
            if !root.has(&format!("{}/{dist_info}/RECORD", site.relative)) {
                continue; // its files are unclaimed, and said so below
            }
            let record_file = format!("{}/{dist_info}/RECORD", site.relative);
            let text = root.read_metadata(&full, "installed RECORD")?;
            let Ok(rows) = parse_record(&text) else {
                problems.push(format!("{record_file} is not a RECORD"));
                continue;
            };
            let is_locked = locked.contains(&(name.as_str(), version.as_str()));
            let mut unlocked: Vec<(&str, Option<&(String, String)>)> = Vec::new();
            for row in &rows {
                if let Some(path) = record_path(&site.relative, &row.path) {
                    claimed.insert(path);
                }
                if !is_locked {
                    unlocked.push((row.path.as_str(), row.hash.as_ref()));
                }
            }
            // The lock's packages are checked as inputs; the others here.
            let found: Vec<Option<String>> = unlocked
                .par_iter()
                .map(|(path, hash)| check_file(root, site, &record_file, path, *hash))
                .collect::<Result<_>>()?;
            problems.extend(
                found
                    .into_iter()
                    .flatten()
                    .map(|p| format!("{p} (a distribution {lockfile} does not pin)")),
            );
        }
    }
    let files = match root.vendored(&site.path)? {
        Listing::Files(files) => files,
        Listing::Missing => Vec::new(),
        // A symlink out of the environment, a name no listing can carry.
        Listing::Refused(reason) => {
            problems.push(reason);
            Vec::new()
        }
    };
    let unclaimed: Vec<String> = files
        .into_iter()
        .filter(|f| {
            let bytecode = f.ends_with(".pyc") && f.split('/').any(|c| c == "__pycache__");
            !bytecode && !claimed.contains(&format!("{}/{f}", site.relative))
        })
        .collect();
    if !unclaimed.is_empty() {
        let shown: Vec<String> = unclaimed.iter().map(|f| shown(f)).collect();
        problems.push(format!(
            "{} holds files no installed distribution's RECORD lists: {}",
            site.relative,
            named_with(&shown, ", ")
        ));
    }
    Ok(problems)
}

/// The inputs of `locked` (read from `lockfile`, root-relative), checked
/// against the wheelhouse and the installed environments; `stale` is a
/// finding that holds for every input (Pipfile.lock older than its
/// Pipfile).
pub(crate) fn discover(
    root: &Root,
    lockfile: &str,
    locked: Vec<Locked>,
    stale: Option<String>,
) -> Result<Vec<Input>> {
    let house = pip::wheelhouse(root, pip::WHEELHOUSE)?;
    let sites = sites(root)?;
    // The wheelhouse files of each package, hashed once.
    let files: Vec<Vec<&str>> = locked
        .iter()
        .map(|l| {
            house.as_ref().map_or_else(Vec::new, |h| {
                h.names
                    .iter()
                    .filter(|n| pip::is_distribution(n, &l.name, &l.version))
                    .map(String::as_str)
                    .collect()
            })
        })
        .collect();
    let digests = match &house {
        Some(h) => {
            let wanted: BTreeSet<&str> = files.iter().flatten().copied().collect();
            let jobs = vec![(
                h.path.clone(),
                wanted.into_iter().map(str::to_string).collect(),
            )];
            root.hash_dirs(&jobs)?.pop().unwrap_or_default()
        }
        None => BTreeMap::new(),
    };
    // Purls by name, to resolve the dependency graph.
    let mut purls: BTreeMap<&str, Vec<(&str, String)>> = BTreeMap::new();
    for l in &locked {
        purls.entry(&l.name).or_default().push((
            &l.version,
            input::purl("pypi", None, &l.name, Some(&l.version), &[])?,
        ));
    }
    let pinned: BTreeSet<(&str, &str)> = locked
        .iter()
        .map(|l| (l.name.as_str(), l.version.as_str()))
        .collect();
    let mut everywhere: Vec<String> = stale.into_iter().collect();
    for site in &sites {
        everywhere.extend(environment(root, site, lockfile, &pinned)?);
    }
    if everywhere.len() > MAX_NAMED {
        // Copied into every input below: one bounded message.
        everywhere = vec![named_with(&everywhere, "; ")];
    }
    let mut inputs = Vec::new();
    for (l, files) in locked.iter().zip(&files) {
        let mut problems: Vec<String> = everywhere.clone();
        if l.hashes.is_empty() {
            problems.push(format!(
                "not hashed: {lockfile} gives {} {} no archive hash ({}), so the installer cannot check what it fetches",
                l.name,
                l.version,
                l.source.described()
            ));
        }
        let mut observed: Vec<(String, String)> = Vec::new();
        let mut wheels: Vec<(String, String)> = Vec::new();
        let mut archives: Vec<PathBuf> = Vec::new();
        if let Some(h) = &house {
            for file in files {
                let Some(digest) = digests.get(*file) else {
                    continue;
                };
                let path = format!("{}/{file}", h.relative);
                let declared = l.hashes.contains(&format!("sha256:{digest}"));
                if !declared && !l.hashes.is_empty() {
                    problems.push(format!(
                        "{path} has sha256 {digest}, not one of the {} hashes {lockfile} gives {} {}",
                        l.hashes.len(),
                        l.name,
                        l.version
                    ));
                }
                let full = h.path.join(file);
                if declared && file.ends_with(".whl") {
                    if let Some(record) = pip::wheel_record(&full) {
                        wheels.push((file.to_string(), record));
                    }
                }
                archives.push(full);
                observed.push((path, digest.clone()));
            }
        }
        let mut installed_license = None;
        for site in &sites {
            let Some(installed) = site.dists.get(&l.name) else {
                continue;
            };
            let at_version = installed
                .iter()
                .find(|(_, v)| v.eq_ignore_ascii_case(&l.version));
            let Some((dist_info, _)) = at_version else {
                let versions: Vec<&str> = installed.iter().map(|(_, v)| v.as_str()).collect();
                problems.push(format!(
                    "{} has {} {}, not the locked {}",
                    site.relative,
                    l.name,
                    excerpt(&versions.join(", ")),
                    l.version
                ));
                continue;
            };
            let found = check_installed(root, site, dist_info, l, &wheels)?;
            problems.extend(found.problems);
            installed_license = installed_license.or(found.license);
            observed.extend(found.record);
        }
        observed.sort();
        let status = match problems.first() {
            Some(_) => Match::Mismatch {
                reason: named_with(&problems, "; "),
            },
            None if observed.is_empty() => Match::NotVendored,
            None => Match::Match,
        };
        let digests: BTreeSet<String> = observed
            .iter()
            .map(|(_, d)| format!("sha256:{d}"))
            .collect();
        let digests: Vec<String> = digests.into_iter().collect();
        let paths: Vec<&str> = observed.iter().map(|(p, _)| p.as_str()).collect();
        let mut dependencies: Vec<String> = l
            .dependencies
            .iter()
            .filter_map(|(name, version)| {
                let candidates = purls.get(name.as_str())?;
                match version {
                    Some(v) => candidates.iter().find(|(cv, _)| cv == v),
                    None if candidates.len() == 1 => candidates.first(),
                    None => None,
                }
                .map(|(_, purl)| purl.clone())
            })
            .collect();
        dependencies.sort();
        dependencies.dedup();
        // The archive's metadata first (its hash is declared), else the
        // installed copy's.
        let license = archives
            .iter()
            .find_map(|file| {
                pip::distribution_metadata(file)
                    .as_deref()
                    .and_then(pip::metadata_license)
            })
            .or(installed_license);
        inputs.push(Input {
            declared: pip::joined(&l.hashes),
            observed: pip::joined(&digests),
            status,
            path: pip::joined(&paths),
            license,
            categories: l.categories.clone(),
            dependencies,
            ..Input::declared(
                "pip",
                l.name.clone(),
                l.version.clone(),
                input::purl("pypi", None, &l.name, Some(&l.version), &[])?,
                l.source.uri(&l.name, &l.version),
            )
        });
    }
    Ok(inputs)
}

/// The error of a lockfile its parser refused.
pub(crate) fn invalid(what: &'static str, path: &Path, reason: String) -> Error {
    Error::Invalid {
        what,
        path: path.display().to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests;
