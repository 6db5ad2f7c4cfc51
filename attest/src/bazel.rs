//! Bazel: archives pinned by `http_archive` / `http_file` and by Envoy-style
//! `repository_locations.bzl` dicts, and the modules of a Bzlmod project
//! (`MODULE.bazel`, `MODULE.bazel.lock` and its registry's `source.json`
//! files, with the Go, Cargo and pip pins of its module extensions: see
//! `bazel/bzlmod.rs`), against a distdir or repository cache.
//!
//! **Where pins are read.** `WORKSPACE`, `WORKSPACE.bazel`,
//! `WORKSPACE.bzlmod` and `MODULE.bazel` at the root, and every `*.bzl`
//! file under it, except inside hidden directories, `bazel-*` (Bazel's
//! output symlinks), `node_modules`, `vendor` and the archive stores below;
//! symlinked files are not followed, and `registry-mirror/` (a copy of
//! registry files, see [`MIRROR_DIR`]) is not searched; files a root
//! `MODULE.bazel` `include`s are read too. At most [`MAX_STARLARK_FILES`] files
//! of at most [`MAX_STARLARK_BYTES`] each are read. Files are read by a
//! literal-only Starlark reader (see `starlark.rs`): nothing is executed.
//!
//! - Every call to `http_archive` or `http_file` (also under an alias made
//!   with `load` or `use_repo_rule`, and as `maybe(http_archive, ...)`),
//!   wherever it is, gives one input from its `name`, `url`/`urls`,
//!   `sha256` or `integrity` (SRI), `strip_prefix` and `patches`. A call
//!   inside a `def` whose `name` is not a literal is a wrapper macro
//!   forwarding its parameters, not a pin, and is skipped.
//! - Every top-level assignment of a dict whose values are all dicts with a
//!   `urls` key is an Envoy `repository_locations.bzl` spec: each key is a
//!   repository, with `version`, `sha256`, `strip_prefix`, `urls`,
//!   `use_category`, `cpe` and `license`. As Envoy's
//!   `load_repository_locations_spec` does, `{version}`, `{dash_version}`
//!   and `{underscore_version}` are interpolated into `urls` and
//!   `strip_prefix` when the entry has a `version`. Entries added at load
//!   time by code (Envoy's `_compiled_protoc_deps`) cannot be seen.
//!
//! **What is recorded.** `name` is the repository name; `version` the
//! entry's `version`, else one read from the first URL when it is obvious
//! (a GitHub archive or release tag, `name-1.2.3.tar.gz`), else empty;
//! `purl` is `pkg:github/<owner>/<repo>@<version>` for a GitHub archive or
//! release URL, else `pkg:generic/<name>@<version>?download_url=<url>`;
//! `uri` the first URL; `declared` is `sha256:<hex>`, or the `integrity`
//! SRI string as written; `patches` the patch labels as paths from the root
//! (`//bazel:foo.patch` is `bazel/foo.patch`; a label of another repository
//! is kept as written; `patches` that are not literal strings are not
//! recorded); `categories` Envoy's `use_category`; `license` and `cpe`
//! (`N/A` is none) the entry's.
//!
//! **Where archives are found.** Bazel's own places: each
//! `--repository_cache` (`<cache>/content_addressable/sha256/<hex>/file`,
//! looked up by the declared SHA-256) and each `--distdir` (looked up by
//! each URL's file name), named in the project's `.bazelrc` (any command
//! or config; `%workspace%/` is the root; `import` lines are not followed),
//! and a conventional `distdir/` at the root. Only directories inside the
//! project are read: an absolute or `~` path, or one with `..`, is refused
//! with an error, because the attestation is about the tree, and a cache in
//! a home directory is neither reproducible nor part of it. An archive
//! that is a symlink leaving the project is refused too.
//!
//! **How it is checked.** Each archive found is hashed (in parallel) with
//! the declared algorithm: SHA-256, or the SRI's SHA-256/384/512. Equal is
//! [`Match::Match`]; different is a [`Match::Mismatch`] naming the archive
//! and both digests; no archive is [`Match::NotVendored`] (Bazel downloads
//! it, and checks the declared digest itself). A pin vouch cannot check is
//! a mismatch whose reason says why, as pip's unhashed requirements are: no
//! `sha256` or `integrity` (Bazel then takes whatever the URL serves), one
//! that is malformed or not a literal, a `name` that is not a literal, or
//! `urls` that are not literals when no repository cache holds the
//! archive.

mod bzlmod;
mod lockfile;
mod module;
mod starlark;

pub use bzlmod::{lockfile_pins, module_dependencies, RegistryFileHashes, BCR, MIRROR_DIR};

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use base64::Engine;
use rayon::prelude::*;

use self::starlark::{Call, Module, Value};
use crate::input;
use crate::tree::{join_inside, Root};
use crate::{Ecosystem, Error, Input, Match, Result};

/// The files at the root that make a directory a Bazel workspace.
const ROOT_FILES: [&str; 4] = [
    "WORKSPACE",
    "WORKSPACE.bazel",
    "WORKSPACE.bzlmod",
    "MODULE.bazel",
];
/// The repository rules whose calls are pins.
const RULES: [&str; 2] = ["http_archive", "http_file"];
/// Directories never searched for `.bzl` files (besides hidden ones and
/// `bazel-*`).
const SKIPPED_DIRS: [&str; 2] = ["node_modules", "vendor"];
/// The most Starlark files read.
pub const MAX_STARLARK_FILES: usize = 4096;
/// The largest Starlark file read.
pub const MAX_STARLARK_BYTES: u64 = 8 * 1024 * 1024;
/// The conventional distdir at the root.
const DISTDIR: &str = "distdir";
/// The project's Bazel configuration.
const BAZELRC: &str = ".bazelrc";
/// Archive file name extensions, longest first, for reading a version
/// out of a file name.
const ARCHIVE_EXTENSIONS: [&str; 14] = [
    ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tgz", ".tbz2", ".txz", ".tar", ".zip", ".jar",
    ".gz", ".xz", ".bz2", ".zst",
];

/// The Bazel ecosystem.
pub struct Bazel;

/// A hash algorithm a pin may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    /// Its DigestSet key.
    fn key(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }
}

/// The digest a pin declares, decoded to hex.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    algorithm: Algorithm,
    hex: String,
}

/// One pinned archive, as declared: what [`read_pins`] returns.
#[derive(Debug, Clone)]
pub struct Pin {
    /// The declaring file, relative to the root, and its line.
    at: String,
    name: String,
    version: String,
    /// Its URLs, interpolated; or why they cannot be read.
    urls: Result<Vec<String>, String>,
    /// The declared digest as written (`sha256:<hex>` or SRI).
    declared: Option<String>,
    /// The declared digest decoded; or why it cannot be checked.
    expected: Result<Expected, String>,
    /// Why the pin cannot be checked whatever is on disk (a `name` that is
    /// not a literal).
    broken: Option<String>,
    license: Option<String>,
    cpe: Option<String>,
    categories: Vec<String>,
    patches: Vec<String>,
}

/// A directory Bazel takes archives from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Store {
    /// `--distdir`: archives by URL file name.
    Distdir { relative: String, full: PathBuf },
    /// `--repository_cache`: archives by SHA-256.
    Cache { relative: String, full: PathBuf },
}

/// Where a pin's archive is.
struct Found {
    relative: String,
    full: PathBuf,
}

impl Ecosystem for Bazel {
    fn name(&self) -> &'static str {
        "bazel"
    }

    fn detect(&self, root: &Root) -> bool {
        ROOT_FILES.iter().any(|f| root.has(f))
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        let stores = stores(root)?;
        let registries = registry_flags(root)?;
        let modules = bzlmod::discover(root, &stores, &registries)?;
        let mut files = starlark_files(root.path(), &stores)?;
        for (relative, full) in modules.included {
            if !files.iter().any(|(r, _)| *r == relative) {
                files.push((relative, full));
            }
        }
        let mut pins = Vec::new();
        for (relative, full) in files {
            let text = root.read_metadata(&full, "Starlark file")?;
            pins.extend(read_pins(&text, &relative, &full)?);
        }
        // A pin of the same archive as a module (the same digest) is that
        // module, fetched the WORKSPACE way: listed once, as the module.
        let module_digests: Vec<Expected> = modules
            .inputs
            .iter()
            .filter(|i| i.ecosystem == "bazel")
            .filter_map(|i| i.declared.as_deref().and_then(|d| sri_digest(d).ok()))
            .collect();
        pins.retain(|p| {
            p.expected
                .as_ref()
                .map_or(true, |e| !module_digests.contains(e))
        });
        let mut seen = HashSet::new();
        pins.retain(|p| {
            seen.insert((
                p.name.clone(),
                p.version.clone(),
                p.declared.clone(),
                p.urls.clone(),
            ))
        });

        let found: Vec<Option<Found>> = pins
            .iter()
            .map(|pin| locate(root, pin, &stores))
            .collect::<Result<_>>()?;
        let observed: Vec<Option<(Algorithm, String)>> = pins
            .par_iter()
            .zip(&found)
            .map(|(pin, found)| {
                let Some(found) = found.as_ref().filter(|f| f.full.is_file()) else {
                    return Ok(None);
                };
                let algorithm = pin
                    .expected
                    .as_ref()
                    .map_or(Algorithm::Sha256, |e| e.algorithm);
                Ok(Some((algorithm, hash(root, &found.full, algorithm)?)))
            })
            .collect::<Result<_>>()?;

        let mut inputs: Vec<Input> = pins
            .into_iter()
            .zip(found)
            .zip(observed)
            .map(|((pin, found), observed)| input(pin, found, observed))
            .collect::<Result<_>>()?;
        // Envoy's categories (and licence, CPE) of a repository that is
        // also a module of the same name.
        let mut modules = modules.inputs;
        for module in modules.iter_mut().filter(|m| m.ecosystem == "bazel") {
            if let Some(spec) = inputs
                .iter()
                .find(|i| i.name == module.name && !i.categories.is_empty())
            {
                module.categories = spec.categories.clone();
                module.license = module.license.take().or_else(|| spec.license.clone());
                module.cpe = module.cpe.take().or_else(|| spec.cpe.clone());
            }
        }
        inputs.extend(modules);
        Ok(inputs)
    }
}

/// The `--registry` values of the project's `.bazelrc`, in order (any
/// command or config).
fn registry_flags(root: &Root) -> Result<Vec<String>> {
    if !root.has(BAZELRC) {
        return Ok(Vec::new());
    }
    let text = root.read_metadata(&root.path().join(BAZELRC), "bazelrc")?;
    let mut out = Vec::new();
    for line in text.lines() {
        let tokens: Vec<&str> = line
            .split_whitespace()
            .take_while(|t| !t.starts_with('#'))
            .collect();
        let mut options = tokens.iter().skip(1);
        while let Some(option) = options.next() {
            let value = match option.split_once('=') {
                Some(("--registry", value)) => Some(value),
                None if *option == "--registry" => options.next().copied(),
                _ => None,
            };
            if let Some(value) = value.map(|v| v.trim_matches(|c| c == '"' || c == '\'')) {
                if !value.is_empty() && !out.iter().any(|r: &String| r == value) {
                    out.push(value.to_string());
                }
            }
        }
    }
    Ok(out)
}

/// The input a pin gives, with what was found on disk.
fn input(pin: Pin, found: Option<Found>, observed: Option<(Algorithm, String)>) -> Result<Input> {
    let at = &pin.at;
    let status = if let Some(why) = &pin.broken {
        Match::Mismatch {
            reason: format!("{at}: {why}"),
        }
    } else {
        match (&pin.expected, &found, &observed) {
            (Err(why), _, _) => Match::Mismatch {
                reason: format!("{at}: {why}"),
            },
            (Ok(_), None, _) => match &pin.urls {
                Err(why) => Match::Mismatch {
                    reason: format!("{at}: {why}: vouch cannot look for its archive"),
                },
                Ok(_) => Match::NotVendored,
            },
            (Ok(_), Some(found), None) => Match::Mismatch {
                reason: format!("archive {} is not a regular file", found.relative),
            },
            (Ok(expected), Some(found), Some((algorithm, hex))) if *hex != expected.hex => {
                Match::Mismatch {
                    reason: format!(
                        "archive {} has {} {hex}, {at} declares {}",
                        found.relative,
                        algorithm.key(),
                        pin.declared.as_deref().unwrap_or_default()
                    ),
                }
            }
            (Ok(_), Some(_), Some(_)) => Match::Match,
        }
    };
    let urls = pin.urls.unwrap_or_default();
    let uri = urls.first().cloned().unwrap_or_default();
    let purl = purl(&pin.name, &pin.version, &uri)?;
    Ok(Input {
        declared: pin.declared,
        observed: observed.map(|(algorithm, hex)| format!("{}:{hex}", algorithm.key())),
        status,
        path: found.map(|f| f.relative),
        license: pin.license,
        patches: pin.patches,
        categories: pin.categories,
        cpe: pin.cpe,
        ..Input::declared("bazel", pin.name, pin.version, purl, uri)
    })
}

/// The hex digest of the archive at `path`, hashed through the root (inside
/// the project, a regular file, under the size limit) with SHA-256 or the
/// SRI digest the pin gives.
fn hash(root: &Root, path: &Path, algorithm: Algorithm) -> Result<String> {
    let algorithm = match algorithm {
        Algorithm::Sha256 => &ring::digest::SHA256,
        Algorithm::Sha384 => &ring::digest::SHA384,
        Algorithm::Sha512 => &ring::digest::SHA512,
    };
    root.hash_file_with(path, algorithm)
}

// ------------------------------------------------------------- stores --

/// The distdirs and repository caches of the project: those `.bazelrc`
/// names, then `distdir/` if it exists.
fn stores(root: &Root) -> Result<Vec<Store>> {
    let mut stores: Vec<Store> = Vec::new();
    let rc = root.path().join(BAZELRC);
    if root.has(BAZELRC) {
        let text = root.read_metadata(&rc, "bazelrc")?;
        for (number, line) in text.lines().enumerate() {
            let tokens: Vec<&str> = line
                .split_whitespace()
                .take_while(|t| !t.starts_with('#'))
                .collect();
            let Some((command, options)) = tokens.split_first() else {
                continue;
            };
            if matches!(*command, "import" | "try-import") {
                continue;
            }
            let mut options = options.iter();
            while let Some(option) = options.next() {
                let (name, inline): (&str, Option<&str>) = match option.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (option, None),
                };
                let cache = match name {
                    "--distdir" => false,
                    "--repository_cache" | "--experimental_repository_cache" => true,
                    _ => continue,
                };
                let Some(value) = inline.or_else(|| options.next().copied()) else {
                    continue;
                };
                let value = value.trim_matches(|c| c == '"' || c == '\'');
                if value.is_empty() {
                    continue; // `--repository_cache=` turns the cache off
                }
                let store = store(root.path(), value, cache, name, number + 1)?;
                if !stores.contains(&store) {
                    stores.push(store);
                }
            }
        }
    }
    if root.path().join(DISTDIR).is_dir() {
        let store = store(root.path(), DISTDIR, false, "", 0)?;
        if !stores.contains(&store) {
            stores.push(store);
        }
    }
    Ok(stores)
}

/// One store from a `.bazelrc` value (`option` on line `line`).
fn store(root: &Path, value: &str, cache: bool, option: &str, line: usize) -> Result<Store> {
    let relative = match value.strip_prefix("%workspace%") {
        Some(rest) => rest.trim_start_matches('/'),
        None => value,
    };
    let context = |reason: &str| {
        format!(
            "{reason} (`{option}` on line {line} of {BAZELRC}): vouch reads archives only \
             inside the project tree"
        )
    };
    if relative.starts_with('~') {
        return Err(Error::OutsideTree {
            path: value.into(),
            reason: context("is in a home directory"),
        });
    }
    let full = join_inside(root, relative).map_err(|e| match e {
        Error::OutsideTree { path, reason } => Error::OutsideTree {
            path,
            reason: context(&reason),
        },
        other => other,
    })?;
    let relative = normalise(relative);
    Ok(if cache {
        Store::Cache { relative, full }
    } else {
        Store::Distdir { relative, full }
    })
}

/// A relative path with `/` separators and no `.` components; `.` for the
/// root.
fn normalise(relative: &str) -> String {
    let parts: Vec<String> = Path::new(relative)
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// `dir/name` for display, without a leading `./`.
fn joined(dir: &str, name: &str) -> String {
    if dir == "." {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The file name of a URL: its last path segment, without query or
/// fragment; `None` when there is none usable.
fn url_basename(url: &str) -> Option<&str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = path.rsplit('/').next()?;
    (!name.is_empty() && name != "." && name != "..").then_some(name)
}

/// Finds a pin's archive: in a repository cache by its SHA-256, else in a
/// distdir by a URL's file name. An archive that resolves outside the
/// project is refused.
fn locate(root: &Root, pin: &Pin, stores: &[Store]) -> Result<Option<Found>> {
    let sha256 = match &pin.expected {
        Ok(e) if e.algorithm == Algorithm::Sha256 => Some(e.hex.as_str()),
        _ => None,
    };
    let urls: &[String] = pin.urls.as_deref().unwrap_or(&[]);
    let mut candidates = Vec::new();
    for store in stores {
        if let (Store::Cache { relative, full }, Some(hex)) = (store, sha256) {
            let inner = format!("content_addressable/sha256/{hex}/file");
            candidates.push((joined(relative, &inner), full.join(&inner)));
        }
    }
    for store in stores {
        if let Store::Distdir { relative, full } = store {
            for name in urls.iter().filter_map(|u| url_basename(u)) {
                candidates.push((joined(relative, name), full.join(name)));
            }
        }
    }
    for (relative, full) in candidates {
        if root.resolve(&full)?.is_none() {
            continue;
        }
        return Ok(Some(Found { relative, full }));
    }
    Ok(None)
}

// -------------------------------------------------------------- files --

/// The Starlark files to read, as (relative, full) paths: the root files,
/// then every `*.bzl`, sorted.
fn starlark_files(root: &Path, stores: &[Store]) -> Result<Vec<(String, PathBuf)>> {
    let skipped: Vec<&PathBuf> = stores
        .iter()
        .map(|s| match s {
            Store::Distdir { full, .. } | Store::Cache { full, .. } => full,
        })
        .collect();
    let mut found: Vec<(String, PathBuf)> = ROOT_FILES
        .iter()
        .map(|f| ((*f).to_string(), root.join(f)))
        // Whatever is there is read through the root, which refuses a
        // symlink out of the project or a file that is not regular.
        .filter(|(_, full)| std::fs::symlink_metadata(full).is_ok())
        .collect();
    let walk = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() == 0 || !entry.file_type().is_dir() {
                return true;
            }
            let name = entry.file_name().to_string_lossy();
            !(name.starts_with('.')
                || name.starts_with("bazel-")
                || SKIPPED_DIRS.contains(&name.as_ref())
                || (entry.depth() == 1 && name == MIRROR_DIR)
                || skipped.iter().any(|s| s.as_path() == entry.path()))
        });
    for entry in walk {
        let entry = entry.map_err(|e| Error::Io {
            action: "walk",
            path: root.display().to_string(),
            error: e.into(),
        })?;
        if !entry.file_type().is_file() || !entry.file_name().to_string_lossy().ends_with(".bzl") {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(root)
            .map(|r| normalise(&r.to_string_lossy()))
            .unwrap_or_default();
        found.push((relative, entry.into_path()));
        if found.len() > MAX_STARLARK_FILES {
            return Err(Error::Invalid {
                what: "Bazel project",
                path: root.display().to_string(),
                reason: format!(
                    "more than {MAX_STARLARK_FILES} Starlark files (WORKSPACE, MODULE.bazel, \
                     *.bzl)"
                ),
            });
        }
    }
    for (_, full) in &found {
        let len = std::fs::metadata(full)
            .map_err(|error| Error::Io {
                action: "stat",
                path: full.display().to_string(),
                error,
            })?
            .len();
        if len > MAX_STARLARK_BYTES {
            return Err(Error::Invalid {
                what: "Starlark file",
                path: full.display().to_string(),
                reason: format!("{len} bytes, over the limit of {MAX_STARLARK_BYTES}"),
            });
        }
    }
    Ok(found)
}

// --------------------------------------------------------------- pins --

/// The pins one Starlark file declares, read from its `text`: the calls to
/// repository rules and the entries of Envoy-style location dicts.
/// `relative` is the file's path from the project root, which each pin's
/// location names; `path` names the file in errors. [`Bazel`] reads each
/// Starlark file and calls it; it exists for that, for fuzzing, and for
/// callers that hold a file's bytes.
pub fn read_pins(text: &str, relative: &str, path: &Path) -> Result<Vec<Pin>> {
    let module = starlark::parse(text, &RULES).map_err(|e| Error::Invalid {
        what: "Starlark",
        path: path.display().to_string(),
        reason: format!("line {}: {}", e.line, e.message),
    })?;
    Ok(pins_of(relative, &module))
}

/// The pins one file declares: its rule calls, then its Envoy specs.
fn pins_of(file: &str, module: &Module) -> Vec<Pin> {
    let mut pins: Vec<Pin> = module
        .calls
        .iter()
        .filter_map(|call| pin_of_call(file, call))
        .collect();
    for assignment in &module.assignments {
        let Value::Dict(entries) = &assignment.value else {
            continue;
        };
        let is_spec = !entries.is_empty()
            && entries.iter().all(
                |(_, v)| matches!(v, Value::Dict(fields) if fields.iter().any(|(k, _)| k == "urls")),
            );
        if !is_spec {
            continue;
        }
        for (name, location) in entries {
            if let Value::Dict(fields) = location {
                let at = format!("{file}:{} ({}[{name:?}])", assignment.line, assignment.name);
                pins.push(pin_of_location(at, name, fields));
            }
        }
    }
    pins
}

/// Looks a key up in keyword arguments or dict fields.
fn field<'v>(fields: &'v [(String, Value)], key: &str) -> Option<&'v Value> {
    fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A string field, when it is a literal string.
fn string(fields: &[(String, Value)], key: &str) -> Option<String> {
    match field(fields, key) {
        Some(Value::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

/// A list-of-strings field; `Err` says why it is not one.
fn strings(value: &Value, key: &str) -> Result<Vec<String>, String> {
    let items = match value {
        Value::List(items) | Value::Tuple(items) => items,
        other => {
            return Err(format!(
                "`{key}` is {}, not a list of strings",
                other.describe()
            ))
        }
    };
    items
        .iter()
        .map(|item| match item {
            Value::Str(s) => Ok(s.clone()),
            other => Err(format!(
                "`{key}` holds {}, not a literal string",
                other.describe()
            )),
        })
        .collect()
}

/// A pin from a rule call; `None` for a wrapper macro's call.
fn pin_of_call(file: &str, call: &Call) -> Option<Pin> {
    let at = format!("{file}:{}", call.line);
    let fields = &call.kwargs;
    let (name, broken) = match field(fields, "name") {
        Some(Value::Str(name)) => (name.clone(), None),
        _ if call.in_def => return None,
        other => (
            format!("{}@{file}:{}", call.rule, call.line),
            Some(format!(
                "`name` of `{}` is {}, not a literal string",
                call.rule,
                other.map_or_else(|| "missing".to_string(), Value::describe)
            )),
        ),
    };
    let mut urls = Ok(Vec::new());
    for key in ["url", "urls"] {
        let more = match field(fields, key) {
            None => continue,
            Some(Value::Str(url)) if key == "url" => Ok(vec![url.clone()]),
            Some(value) => strings(value, key),
        };
        urls = match (urls, more) {
            (Ok(mut all), Ok(more)) => {
                all.extend(more);
                Ok(all)
            }
            (Err(why), _) | (_, Err(why)) => Err(why),
        };
    }
    if let (Ok(list), Some(splat)) = (&urls, &call.splat) {
        if list.is_empty() {
            urls = Err(format!("`urls` is not given, and may come from {splat}"));
        }
    }
    let (declared, expected) = digest(fields, call.splat.as_deref());
    let strip_prefix = string(fields, "strip_prefix");
    let patches = match field(fields, "patches") {
        Some(value) => strings(value, "patches")
            .unwrap_or_default()
            .iter()
            .map(|label| patch_path(label))
            .collect(),
        None => Vec::new(),
    };
    let version = urls
        .as_ref()
        .ok()
        .and_then(|u| version_from(u, strip_prefix.as_deref()))
        .unwrap_or_default();
    Some(Pin {
        at,
        name,
        version,
        urls,
        declared,
        expected,
        broken,
        license: None,
        cpe: None,
        categories: Vec::new(),
        patches,
    })
}

/// A pin from one entry of an Envoy `repository_locations.bzl` spec.
fn pin_of_location(at: String, name: &str, fields: &[(String, Value)]) -> Pin {
    let version = string(fields, "version");
    let interpolate = |template: &str| -> Result<String, String> {
        match &version {
            Some(v) => starlark::format(
                template,
                &[],
                &[
                    ("version".into(), v.clone()),
                    ("dash_version".into(), v.replace('.', "-")),
                    ("underscore_version".into(), v.replace('.', "_")),
                ],
            ),
            None => Ok(template.to_string()),
        }
    };
    let urls = field(fields, "urls")
        .map_or_else(|| Ok(Vec::new()), |v| strings(v, "urls"))
        .and_then(|urls| {
            urls.iter()
                .map(|u| interpolate(u))
                .collect::<Result<Vec<_>, _>>()
        });
    let strip_prefix = string(fields, "strip_prefix").and_then(|s| interpolate(&s).ok());
    let (declared, expected) = digest(fields, None);
    let version = version
        .or_else(|| {
            urls.as_ref()
                .ok()
                .and_then(|u| version_from(u, strip_prefix.as_deref()))
        })
        .unwrap_or_default();
    let categories = field(fields, "use_category")
        .and_then(|v| strings(v, "use_category").ok())
        .unwrap_or_default();
    Pin {
        at,
        name: name.to_string(),
        version,
        urls,
        declared,
        expected,
        broken: None,
        license: string(fields, "license"),
        cpe: string(fields, "cpe").filter(|c| c != "N/A" && !c.is_empty()),
        categories,
        patches: Vec::new(),
    }
}

/// The declared digest of a pin (`sha256`, else `integrity`), as written
/// and decoded; `splat` says where a missing one may hide.
fn digest(
    fields: &[(String, Value)],
    splat: Option<&str>,
) -> (Option<String>, Result<Expected, String>) {
    if let Some(value) = field(fields, "sha256") {
        let Value::Str(hex) = value else {
            return (
                None,
                Err(format!(
                    "`sha256` is {}, not a literal string: vouch cannot check this archive",
                    value.describe()
                )),
            );
        };
        let lower = hex.to_ascii_lowercase();
        let valid = lower.len() == 64 && lower.bytes().all(|b| b.is_ascii_hexdigit());
        return (
            Some(format!("sha256:{hex}")),
            if valid {
                Ok(Expected {
                    algorithm: Algorithm::Sha256,
                    hex: lower,
                })
            } else {
                Err(format!("`sha256` {hex:?} is not 64 hex characters"))
            },
        );
    }
    if let Some(value) = field(fields, "integrity") {
        let Value::Str(sri) = value else {
            return (
                None,
                Err(format!(
                    "`integrity` is {}, not a literal string: vouch cannot check this archive",
                    value.describe()
                )),
            );
        };
        return (Some(sri.clone()), sri_digest(sri));
    }
    let why = match splat {
        Some(splat) => format!(
            "no `sha256` or `integrity` vouch can read (they may come from {splat}): \
             vouch cannot check this archive"
        ),
        None => "declares neither `sha256` nor `integrity`: Bazel accepts whatever the URL \
                 serves"
            .to_string(),
    };
    (None, Err(why))
}

/// Decodes a Subresource Integrity string (`sha256-<base64>`; SHA-384 and
/// SHA-512 too). Of several space-separated hashes, the strongest is
/// taken, as the SRI spec says.
fn sri_digest(sri: &str) -> Result<Expected, String> {
    let mut best: Option<Expected> = None;
    for token in sri.split_whitespace() {
        let (algorithm, rest) = token
            .split_once('-')
            .ok_or_else(|| format!("`integrity` {sri:?} is not `<algorithm>-<base64>`"))?;
        let (algorithm, len) = match algorithm {
            "sha256" => (Algorithm::Sha256, 32),
            "sha384" => (Algorithm::Sha384, 48),
            "sha512" => (Algorithm::Sha512, 64),
            other => {
                return Err(format!(
                    "`integrity` {sri:?} uses `{other}`; vouch checks sha256, sha384 and sha512"
                ))
            }
        };
        let base64 = rest.split('?').next().unwrap_or(rest);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .ok()
            .filter(|b| b.len() == len)
            .ok_or_else(|| {
                format!(
                    "`integrity` {sri:?} is not valid: the {} digest must be {len} bytes of \
                     base64",
                    algorithm.key()
                )
            })?;
        let candidate = Expected {
            algorithm,
            hex: hex::encode(bytes),
        };
        if best
            .as_ref()
            .is_none_or(|b| b.algorithm as u8 <= algorithm as u8)
        {
            best = Some(candidate);
        }
    }
    best.ok_or_else(|| format!("`integrity` {sri:?} is empty"))
}

/// A patch label as a path from the root: `//bazel:foo.patch` and
/// `@//bazel:foo.patch` are `bazel/foo.patch`, `:foo.patch` is
/// `foo.patch`, `//pkg` is `pkg/pkg`. A label of another repository, or
/// one that would leave the tree, is kept as written.
fn patch_path(label: &str) -> String {
    let main = label
        .strip_prefix("@@")
        .or_else(|| label.strip_prefix('@'))
        .unwrap_or(label);
    if label.starts_with('@') && !main.starts_with("//") {
        return label.to_string(); // another repository
    }
    let body = main.strip_prefix("//").unwrap_or(main);
    let path = match body.split_once(':') {
        Some(("", target)) => target.to_string(),
        Some((package, target)) => format!("{package}/{target}"),
        None if main.starts_with("//") => {
            let last = body.rsplit('/').next().unwrap_or(body);
            format!("{body}/{last}")
        }
        None => body.to_string(),
    };
    let safe = !path.is_empty()
        && Path::new(&path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if safe {
        path
    } else {
        label.to_string()
    }
}

// ----------------------------------------------------- versions, purls --

/// A GitHub archive or release URL: owner, repository, and the tag or
/// commit it names (extension and `refs/tags/` removed).
fn github(url: &str) -> Option<(String, String, String)> {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    let segments: Vec<&str> = path.split('/').collect();
    let host = host.to_ascii_lowercase();
    let (owner, repo, reference) = match (host.as_str(), segments.as_slice()) {
        ("github.com" | "www.github.com", [owner, repo, "archive", reference @ ..]) => {
            let joined = reference.join("/");
            let joined = joined
                .strip_prefix("refs/tags/")
                .or_else(|| joined.strip_prefix("refs/heads/"))
                .unwrap_or(&joined)
                .to_string();
            (*owner, *repo, strip_extension(&joined).to_string())
        }
        ("github.com" | "www.github.com", [owner, repo, "releases", "download", tag, _file]) => {
            (*owner, *repo, (*tag).to_string())
        }
        ("codeload.github.com", [owner, repo, _format, reference @ ..]) => {
            let joined = reference.join("/");
            let joined = joined
                .strip_prefix("refs/tags/")
                .unwrap_or(&joined)
                .to_string();
            (*owner, *repo, joined)
        }
        _ => return None,
    };
    if owner.is_empty() || repo.is_empty() || reference.is_empty() {
        return None;
    }
    Some((owner.to_string(), repo.to_string(), reference))
}

/// `name` without its archive extension.
fn strip_extension(name: &str) -> &str {
    ARCHIVE_EXTENSIONS
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(name)
}

/// A tag as a version: `v1.2` is `1.2`.
fn tag_version(tag: &str) -> String {
    match tag.strip_prefix('v') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest.to_string(),
        _ => tag.to_string(),
    }
}

/// Whether `s` is obviously a version: `1.2`, `1.2.3`, `2.1.12-stable`.
fn looks_like_version(s: &str) -> bool {
    let (core, suffix) = match s.find(['-', '+', '~']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && suffix.is_none_or(|x| {
            !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
        })
}

/// The version in `name-1.2.3` (or `name-v1.2.3`, `name_1.2.3`), if any.
fn version_in_name(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    (1..bytes.len()).find_map(|i| {
        if !matches!(bytes[i - 1], b'-' | b'_') {
            return None;
        }
        let candidate = tag_version(&name[i..]);
        looks_like_version(&candidate).then_some(candidate)
    })
}

/// A version read from the first URL (a GitHub tag, or the file name), or
/// from `strip_prefix`, when one is obvious.
fn version_from(urls: &[String], strip_prefix: Option<&str>) -> Option<String> {
    let url = urls.first()?;
    if let Some((_, _, reference)) = github(url) {
        return Some(tag_version(&reference));
    }
    url_basename(url)
        .and_then(|name| version_in_name(strip_extension(name)))
        .or_else(|| {
            strip_prefix
                .and_then(|p| p.split('/').next())
                .and_then(version_in_name)
        })
}

/// The package URL: `pkg:github/...` for a GitHub URL, else
/// `pkg:generic/<name>@<version>?download_url=<url>`.
fn purl(name: &str, version: &str, url: &str) -> Result<String> {
    let version = (!version.is_empty()).then_some(version);
    if let Some((owner, repo, _)) = github(url) {
        // The github purl type's namespace and name are case-insensitive:
        // lower-cased (by packageurl).
        return input::purl("github", Some(&owner), &repo, version, &[]);
    }
    let download: &[(&str, &str)] = if url.is_empty() {
        &[]
    } else {
        &[("download_url", url)]
    };
    input::purl("generic", None, name, version, download)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn write(root: &Path, path: &str, text: &[u8]) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    fn by_name<'i>(inputs: &'i [Input], name: &str) -> &'i Input {
        inputs
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("no {name} in {inputs:#?}"))
    }

    fn reason(input: &Input) -> &str {
        match &input.status {
            Match::Mismatch { reason } => reason,
            other => panic!("{}: {other:?}", input.name),
        }
    }

    #[test]
    fn envoy_spec_interpolates_versions_and_reads_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "WORKSPACE", b"workspace(name = \"x\")\n");
        write(
            d,
            "bazel/repository_locations.bzl",
            format!(
                "PROTOC_VERSIONS = dict(linux = \"{SHA}\")\n\
                 REPOSITORY_LOCATIONS_SPEC = dict(\n\
                 \x20   com_github_unicode_org_icu = dict(\n\
                 \x20       project_name = \"ICU\",\n\
                 \x20       version = \"75.1\",\n\
                 \x20       sha256 = \"{SHA}\",\n\
                 \x20       strip_prefix = \"icu-release-{{dash_version}}\",\n\
                 \x20       urls = [\"https://github.com/unicode-org/icu/releases/download/release-{{dash_version}}/icu4c-{{underscore_version}}-src.tgz\"],\n\
                 \x20       use_category = [\"dataplane_ext\"],\n\
                 \x20       cpe = \"N/A\",\n\
                 \x20       license = \"Unicode-3.0\",\n\
                 \x20   ),\n\
                 \x20   zlib = dict(\n\
                 \x20       version = \"1.3.1\",\n\
                 \x20       sha256 = \"{SHA}\",\n\
                 \x20       urls = [\"https://zlib.net/zlib-{{version}}.tar.gz\"],\n\
                 \x20       use_category = [\"controlplane\", \"dataplane_core\"],\n\
                 \x20       cpe = \"cpe:2.3:a:gnu:zlib:*\",\n\
                 \x20   ),\n\
                 )\n"
            )
            .as_bytes(),
        );
        let inputs = Bazel.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(inputs.len(), 2, "{inputs:#?}");
        let icu = by_name(&inputs, "com_github_unicode_org_icu");
        assert_eq!(
            icu.uri,
            "https://github.com/unicode-org/icu/releases/download/release-75-1/icu4c-75_1-src.tgz"
        );
        assert_eq!(icu.version, "75.1");
        assert_eq!(icu.purl, "pkg:github/unicode-org/icu@75.1");
        assert_eq!(icu.categories, ["dataplane_ext"]);
        assert_eq!(icu.cpe, None);
        assert_eq!(icu.license.as_deref(), Some("Unicode-3.0"));
        assert_eq!(icu.declared, Some(format!("sha256:{SHA}")));
        assert_eq!(icu.status, Match::NotVendored);
        let zlib = by_name(&inputs, "zlib");
        assert_eq!(
            zlib.purl,
            "pkg:generic/zlib@1.3.1?download_url=https://zlib.net/zlib-1.3.1.tar.gz"
        );
        assert_eq!(zlib.cpe.as_deref(), Some("cpe:2.3:a:gnu:zlib:*"));
    }

    #[test]
    fn sri_integrity_is_checked_with_its_own_algorithm() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "distdir/a-1.0.tar.gz", b"hello");
        write(d, "distdir/b-1.0.tar.gz", b"hello");
        write(d, "distdir/c-1.0.tar.gz", b"hellO");
        let sha256 = base64::engine::general_purpose::STANDARD
            .encode(ring::digest::digest(&ring::digest::SHA256, b"hello"));
        let sha512 = base64::engine::general_purpose::STANDARD
            .encode(ring::digest::digest(&ring::digest::SHA512, b"hello"));
        write(
            d,
            "MODULE.bazel",
            format!(
                "http_archive = use_repo_rule(\"@bazel_tools//tools/build_defs/repo:http.bzl\", \"http_archive\")\n\
                 http_archive(name = \"a\", url = \"https://e.com/a-1.0.tar.gz\", integrity = \"sha256-{sha256}\")\n\
                 http_archive(name = \"b\", urls = [\"https://e.com/b-1.0.tar.gz\"], integrity = \"sha512-{sha512}\")\n\
                 http_archive(name = \"c\", urls = [\"https://e.com/c-1.0.tar.gz\"], integrity = \"sha256-{sha256}\")\n\
                 http_archive(name = \"d\", urls = [\"https://e.com/d.tar.gz\"], integrity = \"md5-AAAA\")\n"
            )
            .as_bytes(),
        );
        let inputs = Bazel.discover(&Root::new(d).unwrap()).unwrap();
        let a = by_name(&inputs, "a");
        assert_eq!(a.status, Match::Match, "{a:?}");
        assert_eq!(a.declared, Some(format!("sha256-{sha256}")));
        assert_eq!(a.observed, Some(format!("sha256:{SHA}")));
        assert_eq!(a.version, "1.0");
        assert_eq!(a.path.as_deref(), Some("distdir/a-1.0.tar.gz"));
        let b = by_name(&inputs, "b");
        assert_eq!(b.status, Match::Match, "{b:?}");
        assert!(b.observed.as_deref().unwrap().starts_with("sha512:"));
        let c = reason(by_name(&inputs, "c")).to_string();
        assert!(
            c.starts_with("archive distdir/c-1.0.tar.gz has sha256 ")
                && c.contains(&format!("MODULE.bazel:4 declares sha256-{sha256}")),
            "{c}"
        );
        assert!(reason(by_name(&inputs, "d")).contains("uses `md5`"));
    }

    #[test]
    fn unreadable_pins_are_mismatches_that_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "distdir/x-1.0.tar.gz", b"hello");
        write(
            d,
            "WORKSPACE",
            format!(
                "load(\":deps.bzl\", \"SHA\")\n\
                 http_archive(name = \"no_digest\", urls = [\"https://e.com/x-1.0.tar.gz\"])\n\
                 http_archive(name = \"loaded\", urls = [\"https://e.com/x-1.0.tar.gz\"], sha256 = SHA)\n\
                 http_archive(name = \"bad\", urls = [\"https://e.com/x-1.0.tar.gz\"], sha256 = \"abc\")\n\
                 http_archive(name = \"urls\", urls = select({{}}), sha256 = \"{SHA}\")\n\
                 http_archive(name = NAME, urls = [\"https://e.com/x-1.0.tar.gz\"], sha256 = \"{SHA}\")\n\
                 def wrapper(name, sha256):\n\
                 \x20   http_archive(name = name, sha256 = sha256)\n"
            )
            .as_bytes(),
        );
        let inputs = Bazel.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(inputs.len(), 5, "{inputs:#?}");
        let no_digest = by_name(&inputs, "no_digest");
        assert!(
            reason(no_digest).contains("WORKSPACE:2: declares neither `sha256` nor `integrity`"),
            "{no_digest:?}"
        );
        // What is on disk is still recorded.
        assert_eq!(no_digest.observed, Some(format!("sha256:{SHA}")));
        assert!(reason(by_name(&inputs, "loaded")).contains(
            "`sha256` is `SHA`, which is not assigned earlier at the top level of this file"
        ));
        assert!(reason(by_name(&inputs, "bad")).contains("\"abc\" is not 64 hex characters"));
        assert!(reason(by_name(&inputs, "urls")).contains("`urls` is a call to `select`"));
        let unnamed = by_name(&inputs, "http_archive@WORKSPACE:6");
        assert!(reason(unnamed).contains("`name` of `http_archive` is `NAME`"));
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "WORKSPACE", b"");
        write(d, "third_party/deps.bzl", b"A = 1\nB = [\n");
        let e = Bazel
            .discover(&Root::new(d).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("invalid Starlark in")
                && e.contains("third_party/deps.bzl")
                && e.contains("line 2: the `[` opened here is never closed"),
            "{e}"
        );
    }

    #[test]
    fn stores_come_from_bazelrc_and_stay_inside_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "WORKSPACE", format!("http_archive(name = \"a\", urls = [\"https://e.com/a.tgz?x=1\"], sha256 = \"{SHA}\")\n").as_bytes());
        write(
            d,
            &format!("cache/content_addressable/sha256/{SHA}/file"),
            b"hello",
        );
        write(d, ".bazelrc", b"# comment\nbuild:ci --distdir %workspace%/dl\ncommon --repository_cache=cache # here\n");
        let inputs = Bazel.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(inputs[0].status, Match::Match, "{inputs:?}");
        assert_eq!(
            inputs[0].path.as_deref(),
            Some(format!("cache/content_addressable/sha256/{SHA}/file").as_str())
        );
        assert_eq!(
            stores(&Root::new(d).unwrap()).unwrap(),
            vec![
                Store::Distdir {
                    relative: "dl".into(),
                    full: d.join("dl")
                },
                Store::Cache {
                    relative: "cache".into(),
                    full: d.join("cache")
                },
            ]
        );
        for (rc, needle) in [
            (
                "build --distdir=/srv/distdir\n",
                "is absolute (`--distdir` on line 1",
            ),
            (
                "build --repository_cache ~/.cache/bazel\n",
                "is in a home directory",
            ),
            (
                "\nfetch --distdir=../elsewhere\n",
                "contains `..` (`--distdir` on line 2",
            ),
        ] {
            write(d, ".bazelrc", rc.as_bytes());
            let e = Bazel
                .discover(&Root::new(d).unwrap())
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(needle) && e.contains("only inside the project"),
                "{e}"
            );
        }
        // An archive symlinked out of the project is refused.
        write(d, ".bazelrc", b"");
        std::fs::create_dir_all(d.join("distdir")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", d.join("distdir/a.tgz")).unwrap();
        std::fs::remove_dir_all(d.join("cache")).unwrap();
        let e = Bazel
            .discover(&Root::new(d).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("distdir/a.tgz") && e.contains("outside the project"),
            "{e}"
        );
    }

    #[test]
    fn versions_purls_and_patch_paths() {
        let v = |url: &str| version_from(&[url.to_string()], None);
        assert_eq!(
            v("https://github.com/google/re2/archive/2024-07-02.tar.gz").as_deref(),
            Some("2024-07-02")
        );
        assert_eq!(
            v("https://github.com/google/brotli/archive/refs/tags/v1.1.0.tar.gz").as_deref(),
            Some("1.1.0")
        );
        assert_eq!(v("https://github.com/bazelbuild/rules_cc/releases/download/0.1.1/rules_cc-0.1.1.tar.gz").as_deref(), Some("0.1.1"));
        assert_eq!(
            v("https://mirror.example/bazel-gazelle-v0.47.0.tar.gz").as_deref(),
            Some("0.47.0")
        );
        assert_eq!(
            v("https://mirror.example/libevent-2.1.12-stable.tar.gz").as_deref(),
            Some("2.1.12-stable")
        );
        assert_eq!(v("https://mirror.example/six.tar.gz#md5=1"), None);
        assert_eq!(
            version_from(&["https://e.com/download".into()], Some("pkg-3.4/src")).as_deref(),
            Some("3.4")
        );
        assert_eq!(
            purl(
                "x",
                "1.0",
                "https://GitHub.com/Google/RE2/archive/1.0.tar.gz"
            )
            .unwrap(),
            "pkg:github/google/re2@1.0"
        );
        assert_eq!(
            purl("x", "1.0+b", "https://e.com/a b.tar.gz?q=1").unwrap(),
            "pkg:generic/x@1.0%2Bb?download_url=https://e.com/a%20b.tar.gz%3Fq%3D1"
        );
        assert_eq!(purl("x", "", "").unwrap(), "pkg:generic/x");
        assert_eq!(patch_path("//bazel:foo.patch"), "bazel/foo.patch");
        assert_eq!(patch_path("@//bazel/x:foo.patch"), "bazel/x/foo.patch");
        assert_eq!(patch_path("@@//:foo.patch"), "foo.patch");
        assert_eq!(patch_path(":foo.patch"), "foo.patch");
        assert_eq!(patch_path("//pkg"), "pkg/pkg");
        assert_eq!(
            patch_path("@envoy//bazel:foo.patch"),
            "@envoy//bazel:foo.patch"
        );
        assert_eq!(patch_path("//../x:y"), "//../x:y");
    }
}
