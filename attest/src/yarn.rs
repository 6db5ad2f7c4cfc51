//! Yarn: `yarn.lock`, in Yarn 1's own format or Yarn Berry's (2 and
//! later) YAML, against what Yarn installed.
//!
//! # Yarn 1
//!
//! The lockfile (`# yarn lockfile v1`) is neither JSON nor YAML: each entry
//! is a line of the specifiers it resolves (`"@a/b@^1", c@~2:`) and
//! indented fields (`version "1.0.0"`, `resolved "<url>#<sha1>"`,
//! `integrity sha512-…`, `dependencies:` and `optionalDependencies:`
//! with `name "range"` lines). It is read strictly: a line that is none
//! of those is refused, naming it.
//!
//! The lock does not say where each package is installed: Yarn 1 hoists
//! into `node_modules` as npm does. Each location is found as Node finds
//! it: from the project's `package.json` dependencies (also dev and
//! optional), each `name@range` is looked up in the lock and `name` is
//! resolved from the requiring directory (its own `node_modules/<name>`,
//! then each enclosing one, up to the root), and so on from there for the
//! entry's own dependencies. Each (location, entry) found is an input,
//! checked as npm's are (see [`crate::npm`]): the `integrity` (or the
//! SHA-1 of the `resolved` URL's fragment, for old entries) is the
//! tarball's and cannot be recomputed, so the installed `package.json`
//! must carry the locked version and the directory hash is observed. An
//! entry found nowhere is listed, not vendored. The members of Yarn
//! workspaces (`"workspaces": ["packages/*"]`, a directory or every
//! directory of one) are the project: their dependencies are resolved
//! from their own directories as the root's are.
//!
//! # Yarn Berry
//!
//! The lockfile is YAML with `__metadata: {version, cacheKey}` and one
//! entry per resolved package, keyed by its descriptors
//! (`"ms@npm:^2.1.1, ms@npm:2.1.3"`): `version`, `resolution`
//! (`ms@npm:2.1.3`, the locator), `dependencies`, `checksum`
//! (`<cacheKey>/<hex>`, or bare hex before Yarn 4). The checksum is the
//! SHA-512 of the package's *zip* in Yarn's cache, which Yarn names
//! `<slug>-<first 10 hex of the checksum>.zip` in `cacheFolder`
//! (`.yarn/cache` unless `.yarnrc.yml` says otherwise): so here the
//! declared hash *is* recomputed from disk, and a zip whose SHA-512 is not
//! the checksum is a mismatch naming it. It is recorded as `sha512:<hex>`,
//! the cache key dropped (it names Yarn's zip settings, not the content).
//! A zip absent from the project (Yarn 4's global cache, by default) is
//! not vendored.
//!
//! With Plug'n'Play (the default linker), the packages are read from the
//! zips through `.pnp.cjs` (or `.pnp.data.json`): its
//! `packageRegistryData` must map each locator to the zip checked here
//! (or to a directory in Yarn's unplugged folder, `.yarn/unplugged` unless
//! `pnpUnpluggedFolder` says otherwise, then checked as an installed
//! package); a locator mapped anywhere else, or mapped but not locked, is
//! a mismatch. With `nodeLinker:
//! node-modules`, the packages are installed as npm's are, at the
//! locations Yarn records in `node_modules/.yarn-state.yml`, each checked
//! as npm's (its observed digest then carries both, the zip's SHA-512 and
//! the directory hash); a `node_modules` without that file is refused, as
//! nothing then says what it holds.
//!
//! Entries of the project itself are not inputs: `workspace:`
//! (`languageName: unknown`), and `link:` and `portal:` to a directory
//! inside the project. Such a directory outside it is
//! [`Input::provided`], as npm's `file:` directories are. A `patch:`
//! entry is the patched package, its purl the real one, its
//! [`Input::patches`] the patch file (`~/` is the project root); Yarn's
//! built-in patches (`builtin<compat/…>`) carry no file and are not
//! recorded.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::Path;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::npm::{
    installed, license, purl, single_lockfile, Manifest, DEFAULT_REGISTRY, MANIFEST, NODE_MODULES,
};
use crate::tree::{excerpt, join_inside, outside, parser_message, Root, MAX_METADATA_BYTES};
use crate::{Ecosystem, Error, Input, Match, Result};

const LOCKFILE: &str = "yarn.lock";
const YARNRC: &str = ".yarnrc.yml";
const STATE: &str = "node_modules/.yarn-state.yml";
const PNP_CJS: &str = ".pnp.cjs";
const PNP_DATA: &str = ".pnp.data.json";
/// Yarn Berry's default registry.
const YARN_REGISTRY: &str = "https://registry.yarnpkg.com";

/// The Yarn ecosystem (Yarn 1 and Yarn Berry); its inputs are `npm`'s.
pub struct Yarn;

fn invalid(path: &Path, reason: String) -> Error {
    Error::Invalid {
        what: LOCKFILE,
        path: path.display().to_string(),
        reason,
    }
}

/// `spec` (`name@range`, `@scope/name@range`) split at the `@` that ends
/// the name.
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    let (name, range) = (&spec[..at], &spec[at + 1..]);
    (!name.is_empty()).then_some((name, range))
}

/// The package a range installs under an alias (`npm:real@^1`), if any.
fn alias_of(range: &str) -> Option<&str> {
    split_spec(range.strip_prefix("npm:")?).map(|(name, _)| name)
}

/// The registry tarball of `name` at `version`.
fn tarball(registry: &str, name: &str, version: &str) -> String {
    let bare = name.rsplit('/').next().unwrap_or(name);
    format!(
        "{}/{name}/-/{bare}-{version}.tgz",
        registry.trim_end_matches('/')
    )
}

// ---------------------------------------------------------------- Yarn 1 --

/// One entry of a Yarn 1 lockfile.
#[derive(Debug, Default)]
struct V1Entry {
    /// The `name@range` specifiers it resolves.
    specs: Vec<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    /// `(name, range)` of its dependencies and optional dependencies.
    dependencies: Vec<(String, String)>,
}

/// One token of a Yarn 1 line: a JSON-quoted string or a bare word, and
/// what follows it.
fn token(text: &str) -> Option<(String, &str)> {
    if text.starts_with('"') {
        let mut escaped = false;
        for (i, c) in text.char_indices().skip(1) {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    let value: String = serde_json::from_str(&text[..=i]).ok()?;
                    return Some((value, &text[i + 1..]));
                }
                _ => escaped = false,
            }
        }
        None
    } else {
        let end = text.find([' ', ',', ':']).unwrap_or(text.len());
        (end > 0).then(|| (text[..end].to_string(), &text[end..]))
    }
}

/// A Yarn 1 lockfile's entries, read strictly.
fn parse_v1(text: &str, path: &Path) -> Result<Vec<V1Entry>> {
    let mut entries: Vec<V1Entry> = Vec::new();
    let mut section: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let bad = |why: &str| {
            invalid(
                path,
                format!("line {}: {why}: \"{}\"", n + 1, excerpt(line.trim_end())),
            )
        };
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = &line[indent..];
        match indent {
            0 => {
                let header = body.strip_suffix(':').ok_or_else(|| bad("not `specs:`"))?;
                let mut specs = Vec::new();
                let mut rest = header;
                loop {
                    let (spec, after) = token(rest).ok_or_else(|| bad("a bad specifier"))?;
                    if split_spec(&spec).is_none() {
                        return Err(bad("a specifier that is not `name@range`"));
                    }
                    specs.push(spec);
                    match after.strip_prefix(", ") {
                        Some(next) => rest = next,
                        None if after.is_empty() => break,
                        None => return Err(bad("a bad specifier list")),
                    }
                }
                entries.push(V1Entry {
                    specs,
                    ..V1Entry::default()
                });
                section = None;
            }
            2 => {
                let entry = entries
                    .last_mut()
                    .ok_or_else(|| bad("a field outside an entry"))?;
                let (key, after) = token(body).ok_or_else(|| bad("a bad field"))?;
                if after == ":" {
                    section = Some(key);
                    continue;
                }
                section = None;
                let raw = after
                    .strip_prefix(' ')
                    .ok_or_else(|| bad("a field with no value"))?;
                let (value, left) = token(raw).ok_or_else(|| bad("a bad value"))?;
                if !left.is_empty() {
                    return Err(bad("text after the value"));
                }
                match key.as_str() {
                    "version" => entry.version = Some(value),
                    "resolved" => entry.resolved = Some(value),
                    "integrity" => entry.integrity = Some(value),
                    _ => {}
                }
            }
            4 => {
                let entry = entries
                    .last_mut()
                    .ok_or_else(|| bad("a field outside an entry"))?;
                let Some(section) = &section else {
                    return Err(bad("an indented line outside a section"));
                };
                let (name, after) = token(body).ok_or_else(|| bad("a bad dependency"))?;
                let raw = after
                    .strip_prefix(' ')
                    .ok_or_else(|| bad("a dependency with no range"))?;
                let (range, left) = token(raw).ok_or_else(|| bad("a bad range"))?;
                if !left.is_empty() {
                    return Err(bad("text after the range"));
                }
                if section == "dependencies" || section == "optionalDependencies" {
                    entry.dependencies.push((name, range));
                }
            }
            _ => return Err(bad("an unexpected indentation")),
        }
    }
    for entry in &entries {
        if entry.version.is_none() {
            return Err(invalid(
                path,
                format!("entry \"{}\" has no version", excerpt(&entry.specs[0])),
            ));
        }
    }
    Ok(entries)
}

/// A parsed Yarn 1 lockfile: its entries, their inputs (same order), and
/// each specifier's entry.
type V1Lock = (Vec<V1Entry>, Vec<Input>, HashMap<String, usize>);

/// The locked inputs of a Yarn 1 lockfile (`text`; `path` names it), one
/// per entry, not vendored, with the dependency graph of the lock, and an
/// index from each `name@range` specifier to its entry.
fn v1_inputs(text: &str, path: &Path) -> Result<V1Lock> {
    let entries = parse_v1(text, path)?;
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        for spec in &entry.specs {
            if index.insert(spec.clone(), i).is_some() {
                return Err(invalid(
                    path,
                    format!("specifier \"{}\" is locked twice", excerpt(spec)),
                ));
            }
        }
    }
    let mut inputs = Vec::with_capacity(entries.len());
    for entry in &entries {
        let (name, range) = split_spec(&entry.specs[0]).unwrap_or_default();
        let real = alias_of(range).unwrap_or(name);
        let version = entry.version.clone().unwrap_or_default();
        let (url, sha1) = match entry.resolved.as_deref() {
            Some(resolved) => match resolved.split_once('#') {
                Some((url, hash)) => (url.to_string(), Some(hash)),
                None => (resolved.to_string(), None),
            },
            None if range.starts_with("file:") => (range.to_string(), None),
            None => (String::new(), None),
        };
        let mut input = Input::declared("npm", name, version.clone(), purl(real, &version)?, url);
        input.declared = entry.integrity.clone().or_else(|| {
            sha1.filter(|h| h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(|h| format!("sha1:{h}"))
        });
        inputs.push(input);
    }
    for (i, entry) in entries.iter().enumerate() {
        let mut dependencies: Vec<String> = entry
            .dependencies
            .iter()
            .filter_map(|(n, r)| index.get(&format!("{n}@{r}")))
            .map(|&j| inputs[j].purl.clone())
            .collect();
        dependencies.sort();
        dependencies.dedup();
        inputs[i].dependencies = dependencies;
    }
    Ok((entries, inputs, index))
}

/// A manifest's or lock entry's dependencies, as `(name, range)`.
type Requirements = Vec<(String, String)>;

/// The dependencies (also dev and optional) of the `package.json` in
/// `dir` (relative to the project; `""` its root), as `(name, range)`, and
/// its Yarn workspace patterns (`"workspaces": [...]` or `{"packages":
/// [...]}`).
fn manifest_dependencies(root: &Root, dir: &str) -> Result<(Requirements, Vec<String>)> {
    let relative = if dir.is_empty() {
        MANIFEST.to_string()
    } else {
        format!("{dir}/{MANIFEST}")
    };
    if !root.has(&relative) {
        return Ok((Vec::new(), Vec::new()));
    }
    let path = join_inside(root.path(), &relative)?;
    let manifest: Value =
        serde_json::from_str(&root.read_metadata(&path, MANIFEST)?).map_err(|e| {
            Error::Invalid {
                what: MANIFEST,
                path: path.display().to_string(),
                reason: parser_message(&e),
            }
        })?;
    let mut out = Vec::new();
    for field in ["dependencies", "devDependencies", "optionalDependencies"] {
        if let Some(map) = manifest.get(field).and_then(Value::as_object) {
            for (name, range) in map {
                if let Some(range) = range.as_str() {
                    out.push((name.clone(), range.to_string()));
                }
            }
        }
    }
    let workspaces = manifest.get("workspaces");
    let patterns = workspaces
        .and_then(Value::as_array)
        .or_else(|| {
            workspaces
                .and_then(|w| w.get("packages"))
                .and_then(Value::as_array)
        })
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok((out, patterns))
}

/// The workspace members `patterns` name: a directory (`packages/a`), or
/// every directory of one (`packages/*`), inside the project. Other glob
/// forms are not expanded: their members' own dependencies are found
/// only through the root's.
fn workspace_members(root: &Root, patterns: &[String]) -> Vec<String> {
    let mut members = Vec::new();
    for pattern in patterns {
        let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
        if let Some(parent) = pattern.strip_suffix("/*") {
            if parent.contains(['*', '?', '[', '{']) {
                continue;
            }
            let Ok(full) = join_inside(root.path(), parent) else {
                continue;
            };
            let Ok(Some(resolved)) = root.resolve(&full) else {
                continue;
            };
            let Ok(entries) = std::fs::read_dir(resolved) else {
                continue;
            };
            let mut found: Vec<String> = entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| e.file_name().to_str().map(|n| format!("{parent}/{n}")))
                .collect();
            found.sort();
            members.extend(found);
        } else if !pattern.contains(['*', '?', '[', '{'])
            && join_inside(root.path(), pattern).is_ok()
        {
            members.push(pattern.to_string());
        }
    }
    members
}

/// Where Node finds `name` required from the package installed at `from`
/// (`""`: the project): the nearest `node_modules/<name>` going up.
fn find_installed(root: &Root, from: &str, name: &str) -> Option<String> {
    let mut dir = from;
    loop {
        if !(dir == NODE_MODULES || dir.ends_with(&format!("/{NODE_MODULES}"))) {
            let candidate = if dir.is_empty() {
                format!("{NODE_MODULES}/{name}")
            } else {
                format!("{dir}/{NODE_MODULES}/{name}")
            };
            if root.has(&candidate) {
                return Some(candidate);
            }
        }
        if dir.is_empty() {
            return None;
        }
        dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
}

/// Yarn 1: each entry at each location Node resolves it to.
fn discover_v1(root: &Root, text: &str, path: &Path) -> Result<Vec<Input>> {
    let (entries, inputs, index) = v1_inputs(text, path)?;
    let mut found: BTreeSet<(String, usize)> = BTreeSet::new();
    // The project's dependencies, then each workspace member's, required
    // from its own directory.
    let (own, patterns) = manifest_dependencies(root, "")?;
    let mut queue: VecDeque<(String, String, String)> = own
        .into_iter()
        .map(|(n, r)| (String::new(), n, r))
        .collect();
    for member in workspace_members(root, &patterns) {
        let (deps, _) = manifest_dependencies(root, &member)?;
        queue.extend(deps.into_iter().map(|(n, r)| (member.clone(), n, r)));
    }
    while let Some((from, name, range)) = queue.pop_front() {
        let Some(&entry) = index.get(&format!("{name}@{range}")) else {
            continue; // not locked: not an input of this lock
        };
        let Some(at) = find_installed(root, &from, &name) else {
            continue;
        };
        if found.insert((at.clone(), entry)) {
            for (n, r) in &entries[entry].dependencies {
                queue.push_back((at.clone(), n.clone(), r.clone()));
            }
        }
    }
    let mut located: Vec<(Option<String>, Input)> = Vec::new();
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    for (at, entry) in found {
        seen.insert(entry);
        located.push((Some(at), inputs[entry].clone()));
    }
    for (i, input) in inputs.into_iter().enumerate() {
        if !seen.contains(&i) {
            located.push((None, input));
        }
    }
    installed(root, located, LOCKFILE)
}

// ------------------------------------------------------------ Yarn Berry --

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(default, deserialize_with = "scalar")]
    version: Option<String>,
}

/// A YAML scalar as text: Berry writes `version: 10` and `version:
/// 1.0.0` alike, and a value read back through `serde_norway::Value` is a
/// number or a string.
fn scalar<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error as _;
    match Option::<serde_norway::Value>::deserialize(deserializer)? {
        None => Ok(None),
        Some(serde_norway::Value::String(text)) => Ok(Some(text)),
        Some(serde_norway::Value::Number(number)) => Ok(Some(number.to_string())),
        Some(_) => Err(D::Error::custom("expected a string or a number")),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BerryEntry {
    #[serde(default, deserialize_with = "scalar")]
    version: Option<String>,
    resolution: String,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    checksum: Option<String>,
    language_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Yarnrc {
    node_linker: Option<String>,
    cache_folder: Option<String>,
    pnp_unplugged_folder: Option<String>,
    npm_registry_server: Option<String>,
}

/// One package of a Berry lock.
struct BerryPackage {
    /// Its locator (`resolution`).
    locator: String,
    /// Its SHA-512, hex, when the lock declares one.
    checksum: Option<String>,
    input: Input,
}

/// The lowercase hex SHA-512 of Yarn's `makeHash` of `parts`.
fn make_hash(parts: &[&str]) -> String {
    hex::encode(ring::digest::digest(
        &ring::digest::SHA512,
        parts.concat().as_bytes(),
    ))
}

/// Whether `text` is a plain semver version (what `semver.valid` keeps).
fn is_semver(text: &str) -> bool {
    let core = text.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The cache file name Yarn gives the package `name` at `reference`
/// whose checksum's hex is `hex` (Yarn's `getChecksumFilename`).
fn zip_name(name: &str, reference: &str, hex: &str) -> String {
    let (scope, bare) = match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
        Some((scope, bare)) => (Some(scope), bare),
        None => (None, name),
    };
    let ident_hash = make_hash(&[scope.unwrap_or(""), bare]);
    let locator_hash = make_hash(&[&ident_hash, reference]);
    let slug_ident = match scope {
        Some(scope) => format!("@{scope}-{bare}"),
        None => bare.to_string(),
    };
    let (protocol, selector) = match reference.split_once(':') {
        Some((p, s)) if !p.contains('#') => (p, s),
        _ => ("exotic", reference),
    };
    let selector = selector.split('#').next().unwrap_or_default();
    let human = if is_semver(selector) {
        format!("{protocol}-{selector}")
    } else {
        protocol.to_string()
    };
    let hex10: String = hex.chars().take(10).collect();
    format!("{slug_ident}-{human}-{}-{hex10}.zip", &locator_hash[..10])
}

/// `%XX` decoded (Yarn's locators URL-encode the nested descriptor).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A locator without Yarn's `virtual:<hash>#` prefix (a package
/// instantiated for its peers is the same package).
fn devirtualize(locator: &str) -> String {
    match split_spec(locator) {
        Some((name, reference)) if reference.starts_with("virtual:") => {
            match reference.split_once('#') {
                Some((_, real)) => format!("{name}@{real}"),
                None => locator.to_string(),
            }
        }
        _ => locator.to_string(),
    }
}

/// The packages a Berry lockfile declares (`text`; `path` names it), the
/// project's own entries left out.
fn berry_packages(
    root: &Root,
    text: &str,
    path: &Path,
    registry: &str,
) -> Result<Vec<BerryPackage>> {
    let raw: BTreeMap<String, serde_norway::Value> =
        serde_norway::from_str(text).map_err(|e| invalid(path, parser_message(&e)))?;
    let metadata = raw
        .get("__metadata")
        .ok_or_else(|| invalid(path, "no `__metadata`".into()))?;
    let metadata: Metadata = serde_norway::from_value(metadata.clone())
        .map_err(|e| invalid(path, format!("`__metadata`: {}", parser_message(&e))))?;
    if metadata.version.is_none() {
        return Err(invalid(path, "`__metadata` has no version".into()));
    }
    let mut entries: Vec<(String, BerryEntry)> = Vec::new();
    for (key, value) in raw {
        if key == "__metadata" {
            continue;
        }
        let entry: BerryEntry = serde_norway::from_value(value).map_err(|e| {
            invalid(
                path,
                format!("entry \"{}\": {}", excerpt(&key), parser_message(&e)),
            )
        })?;
        entries.push((key, entry));
    }
    // Each descriptor to the locator it resolves to.
    let mut resolves: HashMap<String, String> = HashMap::new();
    for (key, entry) in &entries {
        for descriptor in key.split(", ") {
            resolves.insert(descriptor.to_string(), entry.resolution.clone());
        }
    }
    let mut packages: Vec<BerryPackage> = Vec::new();
    for (key, entry) in &entries {
        let bad = |why: &str| invalid(path, format!("entry \"{}\": {why}", excerpt(key)));
        let (name, reference) =
            split_spec(&entry.resolution).ok_or_else(|| bad("a resolution that is no locator"))?;
        if reference.starts_with("workspace:") || entry.language_name.as_deref() == Some("unknown")
        {
            continue; // the project itself
        }
        let version = entry.version.clone().ok_or_else(|| bad("no version"))?;
        let reference_path = reference.split("::").next().unwrap_or(reference);
        let mut real = name.to_string();
        let mut patches = Vec::new();
        let uri = if let Some(dir) = reference_path
            .strip_prefix("link:")
            .or_else(|| reference_path.strip_prefix("portal:"))
        {
            if outside(root, dir).is_none() {
                continue; // a directory of the project
            }
            format!("file:{dir}")
        } else if let Some(patch) = reference_path.strip_prefix("patch:") {
            let (source, file) = patch.split_once('#').unwrap_or((patch, ""));
            let source = percent_decode(source);
            if let Some((n, _)) = split_spec(&source) {
                real = n.to_string();
            }
            for file in file.split('&') {
                let file = percent_decode(file);
                if file.is_empty() || file.contains("builtin<") {
                    continue;
                }
                patches.push(file.strip_prefix("~/").unwrap_or(&file).to_string());
            }
            tarball(registry, &real, &version)
        } else if reference_path.starts_with("npm:") {
            let (n, v) = alias_of(reference_path)
                .map(|n| (n, version.as_str()))
                .unwrap_or((name, version.as_str()));
            real = n.to_string();
            tarball(registry, n, v)
        } else {
            reference_path.to_string()
        };
        let checksum = entry
            .checksum
            .as_deref()
            .map(|c| c.rsplit('/').next().unwrap_or(c).to_ascii_lowercase());
        if let Some(hex) = &checksum {
            if hex.len() != 128 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("a checksum that is not a SHA-512"));
            }
        }
        let mut input = Input::declared("npm", name, &version, purl(&real, &version)?, uri);
        input.declared = checksum.as_ref().map(|h| format!("sha512:{h}"));
        input.patches = patches;
        packages.push(BerryPackage {
            locator: entry.resolution.clone(),
            checksum,
            input,
        });
    }
    let purls: HashMap<String, String> = packages
        .iter()
        .map(|p| (p.locator.clone(), p.input.purl.clone()))
        .collect();
    for package in &mut packages {
        let entry = entries
            .iter()
            .find(|(_, e)| e.resolution == package.locator)
            .map(|(_, e)| e);
        let mut dependencies: Vec<String> = entry
            .map(|e| {
                e.dependencies
                    .iter()
                    .filter_map(|(n, r)| resolves.get(&format!("{n}@{r}")))
                    .filter_map(|locator| purls.get(locator).cloned())
                    .collect()
            })
            .unwrap_or_default();
        dependencies.sort();
        dependencies.dedup();
        package.input.dependencies = dependencies;
    }
    Ok(packages)
}

/// The JSON of a `.pnp.cjs`'s `RAW_RUNTIME_STATE`, a JavaScript string
/// literal in single quotes continued over lines.
fn pnp_state(script: &str) -> Option<String> {
    let start = script.find("const RAW_RUNTIME_STATE =")?;
    let rest = &script[start..];
    let open = rest.find('\'')?;
    let mut out = String::new();
    let mut chars = rest[open + 1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => return Some(out),
            '\\' => match chars.next()? {
                '\n' => {}
                '\\' => out.push('\\'),
                '\'' => out.push('\''),
                '"' => out.push('"'),
                'n' => out.push('\n'),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    None
}

/// The Plug'n'Play file read, and each (locator, location) it maps.
type PnpMap = (&'static str, Vec<(String, String)>);

/// The locations `.pnp.cjs` (or `.pnp.data.json`) gives each locator of
/// a registered package, virtual instances under their real locator.
fn pnp_locations(root: &Root) -> Result<Option<PnpMap>> {
    let (file, json) = if root.has(PNP_DATA) {
        let text = root.read_metadata(&root.path().join(PNP_DATA), PNP_DATA)?;
        (PNP_DATA, text)
    } else if root.has(PNP_CJS) {
        let text = root.read_metadata(&root.path().join(PNP_CJS), PNP_CJS)?;
        let state = pnp_state(&text).ok_or_else(|| Error::Invalid {
            what: PNP_CJS,
            path: root.path().join(PNP_CJS).display().to_string(),
            reason: "no RAW_RUNTIME_STATE string literal".into(),
        })?;
        (PNP_CJS, state)
    } else {
        return Ok(None);
    };
    let bad = |reason: String| Error::Invalid {
        what: file,
        path: root.path().join(file).display().to_string(),
        reason,
    };
    let state: Value = serde_json::from_str(&json).map_err(|e| bad(parser_message(&e)))?;
    let registry = state
        .get("packageRegistryData")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no packageRegistryData".into()))?;
    let mut out = Vec::new();
    for package in registry {
        let (Some(name), Some(references)) = (
            package.get(0).and_then(Value::as_str),
            package.get(1).and_then(Value::as_array),
        ) else {
            continue; // the top-level (null) entry
        };
        for reference in references {
            let (Some(reference), Some(location)) = (
                reference.get(0).and_then(Value::as_str),
                reference
                    .get(1)
                    .and_then(|i| i.get("packageLocation"))
                    .and_then(Value::as_str),
            ) else {
                return Err(bad(format!("a malformed entry for \"{}\"", excerpt(name))));
            };
            out.push((
                devirtualize(&format!("{name}@{reference}")),
                location.to_string(),
            ));
        }
    }
    Ok(Some((file, out)))
}

/// `location` (`./…`, relative to the project), with Yarn's virtual
/// folders (`<dir>/__virtual__/<name>/<depth>/<rest>`: `<rest>` from
/// `<depth>` levels above `<dir>`) resolved, lexically. A depth that climbs
/// above the project keeps its `../` segments, so that the location is
/// still seen as outside it.
fn unvirtual(location: &str) -> String {
    let location = location.strip_prefix("./").unwrap_or(location);
    let Some((dir, rest)) = location.split_once("__virtual__/") else {
        return location.to_string();
    };
    let mut parts = rest.splitn(3, '/');
    let (_, depth, rest) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
    let depth: usize = depth.and_then(|d| d.parse().ok()).unwrap_or(0);
    let mut base: Vec<&str> = dir
        .trim_end_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let kept = base.len().saturating_sub(depth);
    let above = depth.saturating_sub(base.len()).min(rest.len() + 1);
    base.truncate(kept);
    let mut out: Vec<&str> = vec![".."; above];
    out.extend(base);
    out.push(rest);
    out.join("/")
}

/// The licence the `package.json` inside a cache zip (at
/// `node_modules/<name>/package.json`, where Yarn puts it) declares; read
/// only from a zip whose SHA-512 matched the lock, and bounded as any
/// metadata file. `None` when there is none or it cannot be read: a
/// licence is recorded, not checked.
fn zip_license(root: &Root, zip: &str, name: &str) -> Option<String> {
    let full = join_inside(root.path(), zip).ok()?;
    let mut archive = zip::ZipArchive::new(root.open_vendored(&full).ok()?).ok()?;
    let member = archive
        .by_name(&format!("{NODE_MODULES}/{name}/{MANIFEST}"))
        .ok()?;
    if member.size() > MAX_METADATA_BYTES {
        return None;
    }
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(member, MAX_METADATA_BYTES),
        &mut text,
    )
    .ok()?;
    let manifest: Manifest = serde_json::from_str(&text).ok()?;
    license(manifest.license.as_ref(), manifest.licenses.as_ref())
}

/// Yarn Berry.
fn discover_berry(root: &Root, text: &str, path: &Path) -> Result<Vec<Input>> {
    let rc: Yarnrc = if root.has(YARNRC) {
        let rc_path = root.path().join(YARNRC);
        serde_norway::from_str(&root.read_metadata(&rc_path, YARNRC)?).map_err(|e| {
            Error::Invalid {
                what: YARNRC,
                path: rc_path.display().to_string(),
                reason: parser_message(&e),
            }
        })?
    } else {
        Yarnrc::default()
    };
    let registry = rc.npm_registry_server.as_deref().unwrap_or(YARN_REGISTRY);
    let registry = if registry.trim_end_matches('/') == DEFAULT_REGISTRY {
        DEFAULT_REGISTRY
    } else {
        registry
    };
    let packages = berry_packages(root, text, path, registry)?;
    let cache = rc
        .cache_folder
        .as_deref()
        .unwrap_or("./.yarn/cache")
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_string();
    let unplugged = rc
        .pnp_unplugged_folder
        .as_deref()
        .unwrap_or("./.yarn/unplugged")
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_string();
    // A cache outside the project is not vendored.
    let cache = outside(root, &cache).is_none().then_some(cache);

    // The zips, hashed in parallel: (expected path, outcome).
    let zips: Vec<Option<String>> = packages
        .iter()
        .map(|p| {
            let (name, reference) = split_spec(&p.locator).unwrap_or_default();
            match (&cache, &p.checksum) {
                (Some(cache), Some(hex)) => {
                    Some(format!("{cache}/{}", zip_name(name, reference, hex)))
                }
                _ => None,
            }
        })
        .collect();
    let hashed: Vec<Result<Option<std::result::Result<String, String>>>> = zips
        .par_iter()
        .map(|zip| {
            let Some(zip) = zip else { return Ok(None) };
            let full = join_inside(root.path(), zip)?;
            match root.resolve(&full) {
                Ok(None) => Ok(None),
                Err(e @ Error::OutsideTree { .. }) => Ok(Some(Err(e.to_string()))),
                Err(e) => Err(e),
                Ok(Some(_)) => Ok(Some(Ok(root.hash_file_with(&full, &ring::digest::SHA512)?))),
            }
        })
        .collect();

    // Where the linker installed each package.
    let linker = rc.node_linker.as_deref().unwrap_or("pnp");
    let mut locations: HashMap<String, Vec<String>> = HashMap::new();
    let mut stray: Vec<Input> = Vec::new();
    let mut pnp_file: Option<&'static str> = None;
    match linker {
        "node-modules" => {
            if root.has(STATE) {
                let state_path = root.path().join(STATE);
                let state: BTreeMap<String, serde_norway::Value> =
                    serde_norway::from_str(&root.read_metadata(&state_path, ".yarn-state.yml")?)
                        .map_err(|e| Error::Invalid {
                            what: ".yarn-state.yml",
                            path: state_path.display().to_string(),
                            reason: parser_message(&e),
                        })?;
                for (locator, value) in state {
                    if locator == "__metadata" {
                        continue;
                    }
                    let list = value
                        .get("locations")
                        .and_then(|l| l.as_sequence())
                        .cloned()
                        .unwrap_or_default();
                    for location in list {
                        if let Some(at) = location.as_str().filter(|a| !a.is_empty()) {
                            locations
                                .entry(devirtualize(&locator))
                                .or_default()
                                .push(at.to_string());
                        }
                    }
                }
            } else if root.has(NODE_MODULES) {
                return Err(Error::Invalid {
                    what: ".yarn-state.yml",
                    path: state_path_shown(root),
                    reason: "missing: with nodeLinker node-modules, it is what says which package \
                             each node_modules directory holds"
                        .into(),
                });
            }
        }
        "pnp" => {
            if let Some((file, mapped)) = pnp_locations(root)? {
                pnp_file = Some(file);
                let locked: HashMap<&str, usize> = packages
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.locator.as_str(), i))
                    .collect();
                for (locator, location) in mapped {
                    let at = unvirtual(&location);
                    let at = at.trim_end_matches('/').to_string();
                    match locked.get(locator.as_str()) {
                        Some(_) => locations.entry(locator).or_default().push(at),
                        None => {
                            // A project directory (workspace, link) is the
                            // project's; anything in a zip or installed
                            // that the lock does not name is a stray.
                            if !(at.contains(".zip/")
                                || at.contains(NODE_MODULES)
                                || at.contains("unplugged"))
                            {
                                continue;
                            }
                            let (name, reference) = split_spec(&locator).unwrap_or((&locator, ""));
                            let version = reference.strip_prefix("npm:").unwrap_or(reference);
                            let mut input = Input::declared("npm", name, version, "", "");
                            input.path = Some(at.clone());
                            input.status = Match::Mismatch {
                                reason: format!(
                                    "{file} maps {} to {}, which {LOCKFILE} does not lock",
                                    excerpt(&locator),
                                    excerpt(&at)
                                ),
                            };
                            stray.push(input);
                        }
                    }
                }
            }
        }
        other => {
            return Err(Error::Invalid {
                what: YARNRC,
                path: root.path().join(YARNRC).display().to_string(),
                reason: format!(
                    "nodeLinker {} is not supported (pnp and node-modules are)",
                    excerpt(other)
                ),
            })
        }
    }

    // Each package: its zip outcome, then its installed copies.
    let mut out: Vec<Input> = Vec::new();
    for ((package, zip), hash) in packages.into_iter().zip(zips).zip(hashed) {
        let hash = hash?;
        let mut zip_status = Match::NotVendored;
        let mut zip_observed = None;
        if let (Some(zip), Some(outcome)) = (&zip, hash) {
            match outcome {
                Ok(hex) => {
                    zip_status = if Some(&hex) == package.checksum.as_ref() {
                        Match::Match
                    } else {
                        Match::Mismatch {
                            reason: format!(
                                "{zip} has SHA-512 {hex}, {LOCKFILE} declares {}",
                                package.checksum.as_deref().unwrap_or_default()
                            ),
                        }
                    };
                    zip_observed = Some(format!("sha512:{hex}"));
                }
                Err(reason) => zip_status = Match::Mismatch { reason },
            }
        }
        let mut dirs: Vec<(Option<String>, Input)> = Vec::new();
        let mut pnp_mismatch: Option<String> = None;
        for at in locations.remove(&package.locator).unwrap_or_default() {
            if let Some(file) = pnp_file {
                match at.split_once(".zip/") {
                    Some((zip_at, _)) => {
                        let zip_at = format!("{zip_at}.zip");
                        if zip.as_deref() != Some(zip_at.as_str()) {
                            pnp_mismatch = Some(format!(
                                "{file} maps {} to {}, not to its cache zip {}",
                                excerpt(&package.locator),
                                excerpt(&zip_at),
                                zip.as_deref().unwrap_or("(none)")
                            ));
                        }
                        continue;
                    }
                    None if outside(root, &at).is_some()
                        && package.input.uri.starts_with("file:") =>
                    {
                        continue
                    }
                    // Unpacked by Yarn (a package with build scripts):
                    // checked as an installed package.
                    None if at.starts_with(&format!("{unplugged}/")) => {}
                    None => {
                        pnp_mismatch = Some(format!(
                            "{file} maps {} to {}, neither its cache zip {} nor Yarn's \
                             unplugged folder {unplugged}",
                            excerpt(&package.locator),
                            excerpt(&at),
                            zip.as_deref().unwrap_or("(none)")
                        ));
                        continue;
                    }
                }
            }
            dirs.push((Some(at), package.input.clone()));
        }
        if dirs.is_empty() {
            let mut input = package.input;
            input.status = zip_status;
            input.observed = zip_observed;
            input.path = zip.filter(|_| input.observed.is_some());
            if input.status == Match::Match {
                if let Some(at) = &input.path {
                    let real = split_spec(&package.locator).map_or("", |(n, _)| n);
                    input.license = zip_license(root, at, real);
                }
            }
            if let Some(reason) = pnp_mismatch {
                input.status = Match::Mismatch { reason };
            }
            if input.uri.starts_with("file:") {
                input.provided = input
                    .uri
                    .strip_prefix("file:")
                    .and_then(|d| outside(root, d));
            }
            out.push(input);
            continue;
        }
        for mut input in installed(root, dirs, LOCKFILE)? {
            if let Some(zip_hex) = &zip_observed {
                input.observed = Some(match input.observed.take() {
                    Some(dir) => format!("{zip_hex},{dir}"),
                    None => zip_hex.clone(),
                });
            }
            if let Some(reason) = &pnp_mismatch {
                input.status = Match::Mismatch {
                    reason: reason.clone(),
                };
            } else if let Match::Mismatch { .. } = zip_status {
                input.status = zip_status.clone();
            } else if input.status == Match::NotVendored && zip_status == Match::Match {
                input.status = Match::Match;
            }
            out.push(input);
        }
    }
    out.extend(stray);
    Ok(out)
}

fn state_path_shown(root: &Root) -> String {
    root.path().join(STATE).display().to_string()
}

/// The inputs a `yarn.lock` declares (either format; `path` names it in
/// errors), none of them vendored: for fuzzing and for callers that hold
/// the lockfile's bytes. Berry's `link:`/`portal:` entries are judged
/// against `root`.
pub fn locked_inputs(root: &Root, text: &str, path: &Path) -> Result<Vec<Input>> {
    if is_berry(text) {
        Ok(berry_packages(root, text, path, YARN_REGISTRY)?
            .into_iter()
            .map(|p| p.input)
            .collect())
    } else {
        Ok(v1_inputs(text, path)?.1)
    }
}

/// Whether a `yarn.lock` is Berry's YAML (it has `__metadata`) rather
/// than Yarn 1's format.
fn is_berry(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("__metadata:"))
}

impl Ecosystem for Yarn {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn detect(&self, root: &Root) -> bool {
        root.has(LOCKFILE)
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        single_lockfile(root)?;
        let path = root.path().join(LOCKFILE);
        let text = root.read_metadata(&path, LOCKFILE)?;
        if is_berry(&text) {
            discover_berry(root, &text, &path)
        } else {
            discover_v1(root, &text, &path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@scope/a@^1.0.0", "@scope/a@^1.1.0":
  version "1.2.0"
  resolved "https://registry.yarnpkg.com/@scope/a/-/a-1.2.0.tgz#0123456789abcdef0123456789abcdef01234567"
  integrity sha512-AA==
  dependencies:
    b "^2.0.0"
  optionalDependencies:
    "@x/y" "1.0.0"

"alias@npm:real@^3":
  version "3.1.0"
  resolved "https://registry.yarnpkg.com/real/-/real-3.1.0.tgz#89abcdef0123456789abcdef0123456789abcdef"

b@^2.0.0:
  version "2.0.1"
  resolved "https://registry.yarnpkg.com/b/-/b-2.0.1.tgz"
  integrity sha512-BB==

"ext@file:../outside/ext":
  version "0.1.0"
"#;

    #[test]
    fn yarn1_entries_specifiers_aliases_and_the_graph() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(dir.path()).unwrap();
        let inputs = locked_inputs(&root, V1, Path::new(LOCKFILE)).unwrap();
        assert_eq!(inputs.len(), 4);
        let a = &inputs[0];
        assert_eq!(
            (a.name.as_str(), a.version.as_str(), a.purl.as_str()),
            ("@scope/a", "1.2.0", "pkg:npm/%40scope/a@1.2.0")
        );
        assert_eq!(a.uri, "https://registry.yarnpkg.com/@scope/a/-/a-1.2.0.tgz");
        assert_eq!(a.declared.as_deref(), Some("sha512-AA=="));
        assert_eq!(a.dependencies, ["pkg:npm/b@2.0.1"], "@x/y is not locked");
        // An alias is installed under its own name, its purl the real one;
        // an entry without integrity declares the resolved URL's SHA-1.
        let alias = &inputs[1];
        assert_eq!(
            (alias.name.as_str(), alias.purl.as_str()),
            ("alias", "pkg:npm/real@3.1.0")
        );
        assert_eq!(
            alias.declared.as_deref(),
            Some("sha1:89abcdef0123456789abcdef0123456789abcdef")
        );
        assert_eq!(inputs[3].uri, "file:../outside/ext");
    }

    #[test]
    fn yarn1_installed_as_node_resolves_and_a_directory_outside_is_provided() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join(LOCKFILE), V1).unwrap();
        std::fs::write(
            d.join(MANIFEST),
            r#"{"dependencies": {"@scope/a": "^1.0.0", "alias": "npm:real@^3", "ext": "file:../outside/ext"}, "devDependencies": {"b": "^2.0.0"}}"#,
        )
        .unwrap();
        for (at, version) in [
            ("node_modules/@scope/a", "1.2.0"),
            ("node_modules/@scope/a/node_modules/b", "2.0.1"),
            ("node_modules/alias", "3.1.0"),
            ("node_modules/ext", "0.1.0"),
        ] {
            std::fs::create_dir_all(d.join(at)).unwrap();
            std::fs::write(
                d.join(at).join(MANIFEST),
                format!(r#"{{"version": "{version}"}}"#),
            )
            .unwrap();
        }
        let inputs = Yarn.discover(&Root::new(d).unwrap()).unwrap();
        let at = |name: &str| {
            inputs
                .iter()
                .filter(|i| i.name == name)
                .map(|i| (i.path.clone(), i.status.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            at("b"),
            [(
                Some("node_modules/@scope/a/node_modules/b".to_string()),
                Match::Match
            )],
            "required by @scope/a and the root: Node finds a's own copy from a, \
             none at the root"
        );
        assert_eq!(
            at("alias"),
            [(Some("node_modules/alias".to_string()), Match::Match)]
        );
        let ext = inputs.iter().find(|i| i.name == "ext").unwrap();
        assert_eq!(ext.status, Match::NotVendored);
        assert!(ext.provided.as_deref().unwrap().ends_with("/outside/ext"));
    }

    #[test]
    fn yarn1_workspace_members_dependencies_are_resolved_from_their_directories() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join(LOCKFILE),
            "b@^2.0.0:\n  version \"2.0.1\"\n\nb@^1.0.0:\n  version \"1.0.0\"\n",
        )
        .unwrap();
        std::fs::write(
            d.join(MANIFEST),
            r#"{"workspaces": {"packages": ["packages/*"]}}"#,
        )
        .unwrap();
        for (at, text) in [
            ("packages/one", r#"{"dependencies": {"b": "^2.0.0"}}"#),
            ("packages/two", r#"{"devDependencies": {"b": "^1.0.0"}}"#),
            ("node_modules/b", r#"{"version": "2.0.1"}"#),
            ("packages/two/node_modules/b", r#"{"version": "1.0.0"}"#),
        ] {
            std::fs::create_dir_all(d.join(at)).unwrap();
            std::fs::write(d.join(at).join(MANIFEST), text).unwrap();
        }
        let inputs = Yarn.discover(&Root::new(d).unwrap()).unwrap();
        let found: Vec<(Option<&str>, &str, &Match)> = inputs
            .iter()
            .map(|i| (i.path.as_deref(), i.version.as_str(), &i.status))
            .collect();
        assert_eq!(
            found,
            [
                (Some("node_modules/b"), "2.0.1", &Match::Match),
                (Some("packages/two/node_modules/b"), "1.0.0", &Match::Match),
            ]
        );
    }

    #[test]
    fn yarn1_malformed_lines_are_refused_naming_the_line() {
        let path = Path::new(LOCKFILE);
        for (text, line) in [
            ("a@^1:\n  version \"1.0.0\"\n   bad\n", "line 3"),
            ("a@^1\n", "line 1"),
            ("a@^1:\n  version \"1.0.0\" x\n", "line 2"),
            ("  version \"1.0.0\"\n", "line 1"),
            ("a@^1:\n    b \"1\"\n", "line 2"),
            ("noversion:\n", "line 1"),
        ] {
            let err = parse_v1(text, path).err().unwrap().to_string();
            assert!(err.contains(line), "{text:?}: {err}");
        }
        let err = parse_v1("a@^1:\n  resolved \"x\"\n", path)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("has no version"), "{err}");
        let err = v1_inputs("a@^1:\n  version \"1\"\n\na@^1:\n  version \"2\"\n", path)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("locked twice"), "{err}");
    }

    #[test]
    fn berry_zip_names_and_virtual_locations_follow_yarn() {
        // As Yarn 4.18 names them (cli/tests/inputs_yarn_pnpm.rs installs
        // them for real).
        let hex = "d924b57e7312b3b63ad21fc5b3dc0af5e78d61a1fc7cfb5457edaf26326bf62b";
        assert_eq!(
            zip_name("ms", "npm:2.1.3", hex),
            "ms-npm-2.1.3-81ff3cfac1-d924b57e73.zip"
        );
        assert_eq!(
            zip_name("@sigstore/protobuf-specs", "npm:0.5.2", "c0c5da18bdaf"),
            "@sigstore-protobuf-specs-npm-0.5.2-5056d4f2c0-c0c5da18bd.zip"
        );
        assert!(zip_name("ms", "patch:ms@npm%3A2.1.3#~/p.patch", hex).starts_with("ms-patch-"));
        assert_eq!(
            unvirtual("./.yarn/__virtual__/debug-virtual-c3b30420af/0/cache/debug.zip/node_modules/debug/"),
            ".yarn/cache/debug.zip/node_modules/debug/"
        );
        assert_eq!(
            unvirtual("./.yarn/__virtual__/x-virtual-1/1/up/x.zip/"),
            "up/x.zip/"
        );
        // A depth past the project root stays outside it, and a huge one
        // costs nothing (it comes from `.pnp.cjs`, which the tree controls).
        assert_eq!(
            unvirtual("./.yarn/__virtual__/x-virtual-1/4/etc/x.zip/"),
            "../../../etc/x.zip/"
        );
        assert!(unvirtual("./a/__virtual__/x/18446744073709551615/b").starts_with("../"));
        assert_eq!(
            devirtualize("debug@virtual:a0712d#npm:2.6.9"),
            "debug@npm:2.6.9"
        );
        assert_eq!(
            pnp_state("const RAW_RUNTIME_STATE =\n'{\\\n  \"a\": \"it\\'s \\\\\\\\\"\\\n}';\n")
                .as_deref(),
            Some("{  \"a\": \"it's \\\\\"}"),
            "a line continued with a backslash loses the newline"
        );
    }

    /// The status of the unpatched input `name`.
    fn status_of(inputs: &[Input], name: &str) -> Match {
        inputs
            .iter()
            .find(|i| i.name == name && i.patches.is_empty())
            .map(|i| i.status.clone())
            .unwrap()
    }

    #[test]
    fn berry_protocols_workspaces_links_portals_and_patches() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let zip = b"PK not really a zip";
        let hex = hex::encode(ring::digest::digest(&ring::digest::SHA512, zip));
        let lock = format!(
            r#"__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    ms: "npm:2.1.3"
    ext: "portal:../outside/ext"
  languageName: unknown
  linkType: soft

"ms@npm:2.1.3":
  version: 2.1.3
  resolution: "ms@npm:2.1.3"
  checksum: 10c0/{hex}
  languageName: node
  linkType: hard

"ms@patch:ms@npm%3A2.1.3#~/.yarn/patches/ms-npm-2.1.3-1.patch::locator=app%40workspace%3A.":
  version: 2.1.3
  resolution: "ms@patch:ms@npm%3A2.1.3#~/.yarn/patches/ms-npm-2.1.3-1.patch::version=2.1.3&hash=1&locator=app%40workspace%3A."
  languageName: node
  linkType: hard

"local@link:./lib/local::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "local@link:./lib/local::locator=app%40workspace%3A."
  languageName: node
  linkType: soft

"ext@portal:../outside/ext::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "ext@portal:../outside/ext::locator=app%40workspace%3A."
  languageName: node
  linkType: soft
"#
        );
        std::fs::write(d.join(LOCKFILE), lock).unwrap();
        std::fs::create_dir_all(d.join(".yarn/cache")).unwrap();
        let name = zip_name("ms", "npm:2.1.3", &hex);
        std::fs::write(d.join(".yarn/cache").join(&name), zip).unwrap();
        let root = Root::new(d).unwrap();
        let inputs = Yarn.discover(&root).unwrap();
        assert_eq!(inputs.len(), 3, "{inputs:?}");
        let find = |patched: bool| {
            inputs
                .iter()
                .find(|i| i.name == "ms" && i.patches.is_empty() != patched)
                .unwrap()
        };
        let ms = find(false);
        assert_eq!(ms.status, Match::Match, "{ms:?}");
        assert_eq!(
            ms.declared.as_deref(),
            Some(format!("sha512:{hex}").as_str())
        );
        assert_eq!(ms.observed, ms.declared);
        assert_eq!(
            ms.path.as_deref(),
            Some(format!(".yarn/cache/{name}").as_str())
        );
        let patched = find(true);
        assert_eq!(patched.purl, "pkg:npm/ms@2.1.3");
        assert_eq!(patched.patches, [".yarn/patches/ms-npm-2.1.3-1.patch"]);
        assert_eq!(patched.status, Match::NotVendored);
        let ext = inputs.iter().find(|i| i.name == "ext").unwrap();
        assert!(
            ext.provided.as_deref().unwrap().ends_with("/outside/ext"),
            "{ext:?}"
        );

        // One byte of the zip changed: a mismatch naming it.
        std::fs::write(d.join(".yarn/cache").join(&name), b"PK not really a zip!").unwrap();
        let inputs = Yarn.discover(&root).unwrap();
        let ms = inputs
            .iter()
            .find(|i| i.name == "ms" && i.patches.is_empty())
            .unwrap();
        let Match::Mismatch { reason } = &ms.status else {
            panic!("{ms:?}");
        };
        assert!(
            reason.starts_with(&format!(".yarn/cache/{name} has SHA-512 ")),
            "{reason}"
        );

        std::fs::write(d.join(".yarn/cache").join(&name), zip).unwrap();

        // The Plug'n'Play map: ms to its zip is fine; ms to a directory of
        // the project (not Yarn's unplugged folder), or a package the lock
        // does not name, is a mismatch.
        let pnp = |ms_at: &str| {
            format!(
                r#"{{"packageRegistryData": [
                    [null, [[null, {{"packageLocation": "./", "linkType": "SOFT"}}]]],
                    ["ms", [["npm:2.1.3", {{"packageLocation": "{ms_at}", "linkType": "HARD"}}]]],
                    ["evil", [["npm:6.6.6", {{"packageLocation": "./.yarn/cache/evil.zip/node_modules/evil/", "linkType": "HARD"}}]]]
                ]}}"#
            )
        };
        std::fs::write(
            d.join(PNP_DATA),
            pnp(&format!("./.yarn/cache/{name}/node_modules/ms/")),
        )
        .unwrap();
        let inputs = Yarn.discover(&root).unwrap();
        let status = |name: &str| {
            inputs
                .iter()
                .find(|i| i.name == name && i.patches.is_empty())
                .map(|i| i.status.clone())
                .unwrap()
        };
        assert_eq!(status("ms"), Match::Match);
        let Match::Mismatch { reason } = status("evil") else {
            panic!("{inputs:?}");
        };
        assert!(reason.contains("evil@npm:6.6.6"), "{reason}");
        assert!(
            reason.ends_with("which yarn.lock does not lock"),
            "{reason}"
        );
        std::fs::create_dir_all(d.join("lib/ms")).unwrap();
        std::fs::write(d.join("lib/ms").join(MANIFEST), r#"{"version": "2.1.3"}"#).unwrap();
        std::fs::write(d.join(PNP_DATA), pnp("./lib/ms/")).unwrap();
        let inputs = Yarn.discover(&root).unwrap();
        let Match::Mismatch { reason } = status_of(&inputs, "ms") else {
            panic!("{inputs:?}");
        };
        assert_eq!(
            reason,
            format!(
                ".pnp.data.json maps ms@npm:2.1.3 to lib/ms, neither its cache zip \
                 .yarn/cache/{name} nor Yarn's unplugged folder .yarn/unplugged"
            )
        );
        // In the unplugged folder: checked as an installed package.
        std::fs::create_dir_all(d.join(".yarn/unplugged/ms/node_modules/ms")).unwrap();
        std::fs::write(
            d.join(".yarn/unplugged/ms/node_modules/ms").join(MANIFEST),
            r#"{"version": "2.1.4"}"#,
        )
        .unwrap();
        std::fs::write(
            d.join(PNP_DATA),
            pnp("./.yarn/unplugged/ms/node_modules/ms/"),
        )
        .unwrap();
        let inputs = Yarn.discover(&root).unwrap();
        let Match::Mismatch { reason } = status_of(&inputs, "ms") else {
            panic!("{inputs:?}");
        };
        assert_eq!(
            reason,
            ".yarn/unplugged/ms/node_modules/ms/package.json has version 2.1.4, yarn.lock locks 2.1.3"
        );
        std::fs::remove_file(d.join(PNP_DATA)).unwrap();

        // A checksum that is no SHA-512 is refused.
        let bad = std::fs::read_to_string(d.join(LOCKFILE))
            .unwrap()
            .replace(&format!("10c0/{hex}"), "10c0/abc");
        let err = locked_inputs(&root, &bad, Path::new(LOCKFILE))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("not a SHA-512"), "{err}");
    }
}
