//! pnpm: `pnpm-lock.yaml` (lockfileVersion `6.x` of pnpm 8, `9.0` of
//! pnpm 9 and 10) against pnpm's virtual store, `node_modules/.pnpm`.
//!
//! Every installed package is an input: a `snapshots` key of a v9 lock
//! (`name@1.0.0`, or with the peers it was resolved with,
//! `name@1.0.0(peer@2.0.0)`), whose `packages` entry (`name@1.0.0`) holds
//! its `resolution`; or a `packages` key of a v6 lock (`/name@1.0.0(…)`),
//! which holds both. Each is installed at
//! `node_modules/.pnpm/<dir>/node_modules/<name>`, `<dir>` being pnpm's
//! `depPathToFilename` of the key: `/` (and the other characters a file
//! name cannot hold) written `+`, the peer suffix `(a@1)(b@2)` as
//! `_a@1_b@2`, and a name longer than `virtualStoreDirMaxLength` (120
//! unless `node_modules/.modules.yaml` says otherwise) or holding an
//! upper-case letter cut and suffixed with a hash of the whole: pnpm 10's
//! (the first 32 hex digits of its SHA-256) is computed; pnpm 8 and 9's
//! (an MD5 in base32) is found as the one directory of the store with
//! that cut prefix.
//!
//! What is checked is what npm's module checks (see [`crate::npm`]): the
//! `integrity` pnpm locks is the registry tarball's, which cannot be
//! recomputed from the unpacked files, so the installed `package.json`
//! must carry the locked version and the observed digest is the directory
//! hash of the installed files. The top-level `node_modules/<name>`
//! entries are pnpm's symlinks into the store, not packages of their own.
//!
//! Node loads a package through pnpm's links, not from the store
//! directory by name: the project's `node_modules/<name>` (each importer's
//! direct dependencies) and, in a package's store entry,
//! `node_modules/.pnpm/<dir>/node_modules/<dependency>`. Each link present
//! must resolve to the store directory of the package the lock names for
//! it; one that leads elsewhere (another version's directory, a directory
//! put in its place, out of the project) makes that package a mismatch
//! naming the link, for the package checked would not be the one that runs.
//!
//! The importers (the project and its workspace packages) are the project,
//! not inputs; a `link:` dependency is a workspace package. A package
//! whose `resolution` is a `directory` outside the project is
//! [`Input::provided`], as npm's `file:` directories are. The dependency
//! graph is the lockfile's: a snapshot's `dependencies` and
//! `optionalDependencies` (an alias, `alias: real@1.0.0`, names its real
//! package).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use crate::npm::{installed, purl, single_lockfile, DEFAULT_REGISTRY, NODE_MODULES};
use crate::tree::{excerpt, join_inside, parser_message, Root};
use crate::{Ecosystem, Error, Input, Match, Result};

const LOCKFILE: &str = "pnpm-lock.yaml";
/// pnpm's record of how it laid out `node_modules`.
const MODULES_YAML: &str = "node_modules/.modules.yaml";
/// The virtual store.
const STORE: &str = "node_modules/.pnpm";
/// pnpm's default `virtualStoreDirMaxLength` on Linux.
const DEFAULT_MAX_LENGTH: usize = 120;

/// The pnpm ecosystem.
pub struct Pnpm;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lockfile {
    /// Read as written (`'9.0'`, or a plain `5.4`).
    lockfile_version: Option<String>,
    #[serde(default)]
    packages: BTreeMap<String, Package>,
    #[serde(default)]
    snapshots: BTreeMap<String, Snapshot>,
    /// The projects of the workspace (`.` the root), by directory.
    #[serde(default)]
    importers: BTreeMap<String, Importer>,
    /// A v6 lock of a single project: the root's own dependencies.
    #[serde(flatten)]
    root: Importer,
}

/// A project's direct dependencies, by name.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Importer {
    #[serde(default)]
    dependencies: BTreeMap<String, Direct>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, Direct>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Direct>,
}

/// A direct dependency: the version (with its peers) it resolved to.
#[derive(Deserialize)]
struct Direct {
    version: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Package {
    resolution: Option<Resolution>,
    /// For a package not from the registry (a tarball URL, git), whose key
    /// does not carry its name and version.
    name: Option<String>,
    version: Option<String>,
    /// v6 only: its dependencies (v9 has them in `snapshots`).
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Snapshot {
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Resolution {
    integrity: Option<String>,
    tarball: Option<String>,
    directory: Option<String>,
    repo: Option<String>,
    commit: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModulesYaml {
    virtual_store_dir_max_length: Option<usize>,
}

/// A dependency path's name and version: `/name@1.0.0(peer@2)` or
/// `@scope/name@1.0.0` gives `name`/`@scope/name` and `1.0.0`.
fn name_version(dep_path: &str) -> Option<(&str, &str)> {
    let path = dep_path.strip_prefix('/').unwrap_or(dep_path);
    let base = path.split_once('(').map_or(path, |(base, _)| base);
    let at = base.get(1..)?.find('@')? + 1;
    let (name, version) = (&base[..at], &base[at + 1..]);
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

/// The dependency path a dependency `name: value` of a snapshot names:
/// `name@value`, or `value` itself for an alias (`real@1.0.0`), `None`
/// for a `link:` to a workspace package. `v6` keys start with `/`.
fn dep_path(name: &str, value: &str, v6: bool) -> Option<String> {
    if value.starts_with("link:") {
        return None;
    }
    let base = value.split_once('(').map_or(value, |(base, _)| base);
    let slash = if v6 { "/" } else { "" };
    if value.starts_with('/') {
        Some(value.to_string())
    } else if base.get(1..).is_some_and(|rest| rest.contains('@')) {
        Some(format!("{slash}{value}"))
    } else {
        Some(format!("{slash}{name}@{value}"))
    }
}

/// pnpm's `depPathToFilename` before the hash: the directory of the
/// virtual store a dependency path is installed under.
fn store_name(dep_path: &str) -> String {
    let unescaped = if dep_path.starts_with("file:") {
        dep_path.replacen(':', "+", 1)
    } else {
        let path = dep_path.strip_prefix('/').unwrap_or(dep_path);
        path.to_string()
    };
    let mut name: String = unescaped
        .chars()
        .map(|c| match c {
            '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '#' => '+',
            c => c,
        })
        .collect();
    if name.contains('(') {
        if name.ends_with(')') {
            name.pop();
        }
        name = name.replace(")(", "_").replace(['(', ')'], "_");
    }
    name
}

/// Whether pnpm hashes the directory name `name` (too long, or not all
/// lower case).
fn hashed(name: &str, max: usize) -> bool {
    name.len() > max || (name != name.to_lowercase() && !name.starts_with("file+"))
}

/// The directory of the virtual store (relative to the project) holding
/// the package at `dep_path`, or `None` when no such directory exists.
fn store_dir(root: &Root, dep_path: &str, name: &str, max: usize) -> Result<Option<String>> {
    let plain = store_name(dep_path);
    let at = |dir: &str| format!("{STORE}/{dir}/{NODE_MODULES}/{name}");
    if !hashed(&plain, max) {
        return Ok(Some(at(&plain)));
    }
    // pnpm 10: the first 32 hex digits of the SHA-256 of the name.
    let cut = |n: usize| plain.chars().take(n).collect::<String>();
    let sha = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        plain.as_bytes(),
    ));
    let ten = format!("{}_{}", cut(max.saturating_sub(33)), &sha[..32]);
    if root.has(&format!("{STORE}/{ten}")) {
        return Ok(Some(at(&ten)));
    }
    // pnpm 8 and 9: an MD5 in base32 (26 characters), not computed here:
    // the one directory with that prefix.
    let prefix = format!("{}_", cut(max.saturating_sub(27)));
    let store = join_inside(root.path(), STORE)?;
    let Some(resolved) = root.resolve(&store)? else {
        return Ok(None);
    };
    let mut found: Vec<String> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&resolved) {
        for entry in entries.flatten() {
            if let Some(dir) = entry.file_name().to_str() {
                if dir.len() == prefix.len() + 26 && dir.starts_with(&prefix) {
                    found.push(dir.to_string());
                }
            }
        }
    }
    Ok(match found.as_slice() {
        [one] => Some(at(one)),
        _ => None,
    })
}

/// A package's dependencies by name, as the lock writes them.
type Deps = BTreeMap<String, String>;

/// Why the link `link` (relative to the project) does not lead to the
/// store directory `expected`, if it does not; nothing when no link is
/// there (an optional package not installed).
fn astray(root: &Root, link: &str, expected: &str) -> Result<Option<String>> {
    let Ok(link_full) = join_inside(root.path(), link) else {
        return Ok(None); // a workspace outside the project's tree
    };
    let found = match root.resolve(&link_full) {
        // Nothing there, or a dangling link: nothing to load, the package
        // itself is then not vendored.
        Ok(None) | Err(Error::Io { .. }) => return Ok(None),
        Ok(Some(found)) => found,
        Err(e @ Error::OutsideTree { .. }) => return Ok(Some(e.to_string())),
        Err(e) => return Err(e),
    };
    let wanted = match root.resolve(&join_inside(root.path(), expected)?) {
        Ok(Some(wanted)) => Some(wanted),
        Ok(None) | Err(Error::OutsideTree { .. }) => None,
        Err(e) => return Err(e),
    };
    if wanted.as_ref() == Some(&found) {
        return Ok(None);
    }
    let shown = found
        .strip_prefix(root.canonical())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    Ok(Some(format!(
        "{link} leads to {}, not to {expected}, which {LOCKFILE} locks",
        excerpt(&shown)
    )))
}

/// One package of the lock, before it is looked for on disk.
struct Locked {
    dep_path: String,
    name: String,
    input: Input,
    /// Its dependencies: each name and the dependency path it links to.
    links: Vec<(String, String)>,
}

/// A link pnpm makes to an installed package: the directory it is made in
/// (a project, or a package's directory of the store), the name, and the
/// dependency path it must lead to.
type Link = (String, String, String);

/// The packages a `pnpm-lock.yaml` declares (`text`; `path` names it in
/// errors), each with its dependency path, in key order, with its purl,
/// where it comes from, its integrity and its dependencies resolved within
/// the lock. Nothing on disk is looked at.
fn locked(text: &str, path: &Path) -> Result<(Vec<Locked>, Vec<Link>)> {
    let invalid = |reason: String| Error::Invalid {
        what: LOCKFILE,
        path: path.display().to_string(),
        reason,
    };
    let lockfile: Lockfile =
        serde_norway::from_str(text).map_err(|e| invalid(parser_message(&e)))?;
    let version = lockfile
        .lockfile_version
        .ok_or_else(|| invalid("no lockfileVersion".into()))?;
    let v6 = match version.split('.').next() {
        Some("9") => false,
        Some("6") => true,
        _ => {
            return Err(invalid(format!(
                "lockfileVersion {} is not supported (6.x of pnpm 8, or 9.0 of pnpm 9 and 10, is)",
                excerpt(&version)
            )))
        }
    };
    let empty = Package::default();
    // Each installed package: its key, and its dependencies by name.
    let keys: Vec<(&String, &Deps, &Deps)> = if v6 {
        lockfile
            .packages
            .iter()
            .map(|(k, p)| (k, &p.dependencies, &p.optional_dependencies))
            .collect()
    } else {
        lockfile
            .snapshots
            .iter()
            .map(|(k, s)| (k, &s.dependencies, &s.optional_dependencies))
            .collect()
    };
    let mut out: Vec<(Locked, Vec<String>)> = Vec::new();
    for (key, dependencies, optional) in keys {
        let (key_name, key_version) = name_version(key)
            .ok_or_else(|| invalid(format!("key \"{}\" names no package", excerpt(key))))?;
        let package = if v6 {
            lockfile.packages.get(key)
        } else {
            let base = key.split_once('(').map_or(key.as_str(), |(b, _)| b);
            Some(lockfile.packages.get(base).ok_or_else(|| {
                invalid(format!(
                    "snapshot \"{}\" has no `packages` entry",
                    excerpt(key)
                ))
            })?)
        }
        .unwrap_or(&empty);
        let name = package.name.as_deref().unwrap_or(key_name);
        let version = package.version.as_deref().unwrap_or(key_version);
        let resolution = package.resolution.as_ref();
        let integrity = resolution.and_then(|r| r.integrity.clone());
        let uri = match resolution {
            Some(Resolution {
                tarball: Some(url), ..
            }) => url.clone(),
            Some(Resolution {
                directory: Some(dir),
                ..
            }) => format!("file:{dir}"),
            Some(Resolution {
                repo: Some(repo),
                commit: Some(commit),
                ..
            }) => format!("git+{repo}#{commit}"),
            _ if integrity.is_some() => {
                let bare = name.rsplit('/').next().unwrap_or(name);
                format!("{DEFAULT_REGISTRY}/{name}/-/{bare}-{version}.tgz")
            }
            _ => String::new(),
        };
        let mut input = Input::declared("npm", key_name, version, purl(name, version)?, uri);
        input.declared = integrity;
        let links: Vec<(String, String)> = dependencies
            .iter()
            .chain(optional)
            .filter_map(|(n, v)| Some((n.clone(), dep_path(n, v, v6)?)))
            .collect();
        let deps: Vec<String> = links.iter().map(|(_, d)| d.clone()).collect();
        out.push((
            Locked {
                dep_path: key.clone(),
                name: key_name.to_string(),
                input,
                links,
            },
            deps,
        ));
    }
    let purls: HashMap<String, String> = out
        .iter()
        .map(|(l, _)| (l.dep_path.clone(), l.input.purl.clone()))
        .collect();
    let packages = out
        .into_iter()
        .map(|(mut locked, deps)| {
            let mut dependencies: Vec<String> =
                deps.iter().filter_map(|d| purls.get(d).cloned()).collect();
            dependencies.sort();
            dependencies.dedup();
            locked.input.dependencies = dependencies;
            locked
        })
        .collect();
    let mut importers: Vec<(&String, &Importer)> = lockfile.importers.iter().collect();
    let dot = ".".to_string();
    if importers.is_empty() {
        importers.push((&dot, &lockfile.root));
    }
    let mut links = Vec::new();
    for (dir, importer) in importers {
        for (name, direct) in importer
            .dependencies
            .iter()
            .chain(&importer.dev_dependencies)
            .chain(&importer.optional_dependencies)
        {
            if let Some(target) = dep_path(name, &direct.version, v6) {
                let from = if dir == "." {
                    String::new()
                } else {
                    dir.clone()
                };
                links.push((from, name.clone(), target));
            }
        }
    }
    Ok((packages, links))
}

/// The packages a `pnpm-lock.yaml` declares, as inputs none of which is
/// vendored yet: for fuzzing and for callers that hold the lockfile's
/// bytes.
pub fn locked_inputs(text: &str, path: &Path) -> Result<Vec<Input>> {
    Ok(locked(text, path)?.0.into_iter().map(|l| l.input).collect())
}

impl Ecosystem for Pnpm {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn detect(&self, root: &Root) -> bool {
        root.has(LOCKFILE)
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        single_lockfile(root)?;
        let lock_path = root.path().join(LOCKFILE);
        let (packages, mut links) = locked(&root.read_metadata(&lock_path, LOCKFILE)?, &lock_path)?;
        let modules = root.path().join(MODULES_YAML);
        let max = if root.has(MODULES_YAML) {
            // JSON (pnpm 10) or YAML (pnpm 8 and 9): YAML reads both.
            let text = root.read_metadata(&modules, ".modules.yaml")?;
            let parsed: ModulesYaml =
                serde_norway::from_str(&text).map_err(|e| Error::Invalid {
                    what: ".modules.yaml",
                    path: modules.display().to_string(),
                    reason: parser_message(&e),
                })?;
            parsed
                .virtual_store_dir_max_length
                .unwrap_or(DEFAULT_MAX_LENGTH)
        } else {
            DEFAULT_MAX_LENGTH
        };
        let mut inputs = Vec::with_capacity(packages.len());
        let mut dirs: HashMap<String, (usize, Option<String>)> = HashMap::new();
        for (i, locked) in packages.into_iter().enumerate() {
            let dir = store_dir(root, &locked.dep_path, &locked.name, max)?;
            // The links pnpm made beside the package, in its store entry.
            if let Some(base) = dir
                .as_deref()
                .and_then(|d| d.strip_suffix(&format!("/{}", locked.name)))
                .and_then(|d| d.strip_suffix(&format!("/{NODE_MODULES}")))
            {
                for (name, target) in &locked.links {
                    links.push((base.to_string(), name.clone(), target.clone()));
                }
            }
            dirs.insert(locked.dep_path.clone(), (i, dir.clone()));
            inputs.push((dir, locked.input));
        }
        let mut inputs = installed(root, inputs, LOCKFILE)?;
        // Node loads what the links lead to: each must lead to the store
        // directory checked here, or the package checked is not the one
        // that runs.
        for (from, name, target) in links {
            let Some((i, Some(expected))) = dirs.get(&target) else {
                continue;
            };
            let link = if from.is_empty() {
                format!("{NODE_MODULES}/{name}")
            } else {
                format!("{from}/{NODE_MODULES}/{name}")
            };
            if let Some(reason) = astray(root, &link, expected)? {
                inputs[*i].status = Match::Mismatch { reason };
            }
        }
        Ok(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_follow_pnpm() {
        assert_eq!(store_name("ms@2.1.3"), "ms@2.1.3");
        assert_eq!(store_name("/ms@2.1.3"), "ms@2.1.3");
        assert_eq!(
            store_name("@sigstore/protobuf-specs@0.5.2"),
            "@sigstore+protobuf-specs@0.5.2"
        );
        assert_eq!(
            store_name("a@1.0.0(b@2.0.0)(@c/d@3.0.0)"),
            "a@1.0.0_b@2.0.0_@c+d@3.0.0"
        );
        assert!(hashed("JSONStream@1.3.5", 120));
        assert!(!hashed("ms@2.1.3", 120));
        assert!(hashed(&"a".repeat(121), 120));
    }

    #[test]
    fn dependency_paths_and_names() {
        assert_eq!(name_version("/ms@2.1.3"), Some(("ms", "2.1.3")));
        assert_eq!(name_version("@a/b@1.0.0(c@2.0.0)"), Some(("@a/b", "1.0.0")));
        assert_eq!(name_version("ms"), None);
        assert_eq!(dep_path("ms", "2.0.0", false).as_deref(), Some("ms@2.0.0"));
        assert_eq!(dep_path("ms", "2.0.0", true).as_deref(), Some("/ms@2.0.0"));
        assert_eq!(
            dep_path("sw", "string-width@4.2.3", false).as_deref(),
            Some("string-width@4.2.3")
        );
        assert_eq!(
            dep_path("a", "1.0.0(b@2.0.0)", false).as_deref(),
            Some("a@1.0.0(b@2.0.0)")
        );
        assert_eq!(dep_path("w", "link:../w", false), None);
    }

    #[test]
    fn malformed_and_old_lockfiles_are_refused_with_where() {
        let path = Path::new(LOCKFILE);
        let err = locked("lockfileVersion: '5.4'\n", path)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("lockfileVersion 5.4 is not supported"),
            "{err}"
        );
        let err = locked(
            "lockfileVersion: '9.0'\npackages:\n  ms@1.0.0:\n    resolution: [\n",
            path,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("line"), "{err}");
        let err = locked("lockfileVersion: '9.0'\nsnapshots:\n  ms@1.0.0: {}\n", path)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("has no `packages` entry"), "{err}");
    }
}
