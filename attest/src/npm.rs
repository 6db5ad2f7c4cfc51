//! npm: `package-lock.json` (lockfileVersion 2 or 3) against `node_modules`.
//!
//! Every entry of the lockfile's `packages` map whose key is a
//! `node_modules/…` path is an input: `node_modules/<name>`, or nested as
//! `node_modules/a/node_modules/b`. The root project (key `""`), workspace
//! members (keys outside `node_modules`) and workspace links (`link: true`)
//! are the project itself, not inputs.
//!
//! The lockfile's `integrity` is the Subresource Integrity hash of the
//! registry *tarball* (`sha512-<base64>`). The tarball is gone once npm has
//! unpacked it, and it cannot be rebuilt byte for byte from the tree, so the
//! declared hash cannot be recomputed from disk (the same stance as Go's
//! `h1` module hashes). What is checked is what can be: the installed
//! package's `package.json` must carry the locked version, and the observed
//! digest records exactly which files are installed: the directory hash of
//! the package's files, excluding its nested `node_modules/` subtree, whose
//! packages are inputs of their own.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::input::purl_segment;
use crate::tree::{dir_hash, files, hash_dirs, join_inside, read_metadata};
use crate::{Ecosystem, Error, Input, Match, Result};

const LOCKFILE: &str = "package-lock.json";
const MANIFEST: &str = "package.json";
const NODE_MODULES: &str = "node_modules";
/// The registry npm uses when the lockfile omits `resolved`
/// (`omit-lockfile-registry-resolved`).
const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org";

/// The npm ecosystem.
pub struct Npm;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lockfile {
    lockfile_version: Option<u64>,
    packages: Option<BTreeMap<String, LockedPackage>>,
}

#[derive(Deserialize)]
struct LockedPackage {
    /// The real package name, when installed under an alias
    /// (`"alias": "npm:real@1.0.0"`).
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    link: bool,
}

#[derive(Deserialize)]
struct Manifest {
    version: Option<String>,
}

/// The package name a `packages` key installs: what follows its last
/// `node_modules` segment (`@scope/name` or `name`), or `None` for keys
/// outside `node_modules` (the root and workspace members).
pub fn name_of_key(key: &str) -> Option<&str> {
    let segments: Vec<&str> = key.split('/').collect();
    let last = segments.iter().rposition(|s| *s == NODE_MODULES)?;
    let rest = &segments[last + 1..];
    let len = match rest {
        [scope, name] if scope.starts_with('@') && scope.len() > 1 && !name.is_empty() => {
            scope.len() + 1 + name.len()
        }
        [name] if !name.is_empty() && !name.starts_with('@') => name.len(),
        _ => return None,
    };
    key.get(key.len() - len..)
}

/// The package URL of `name` (`@scope/name` or `name`) at `version`: the
/// scope is the purl namespace, its `@` encoded as `%40`
/// (`pkg:npm/%40scope/name@1.0.0`).
pub fn purl(name: &str, version: &str) -> String {
    let path = match name.split_once('/') {
        Some((scope, bare)) => format!("{}/{}", purl_segment(scope), purl_segment(bare)),
        None => purl_segment(name),
    };
    format!("pkg:npm/{path}@{}", purl_segment(version))
}

/// Where a locked package comes from: `resolved`, or, when the lockfile
/// omits it for the default registry, the tarball URL npm would fetch.
fn uri_of(package: &LockedPackage, name: &str, version: &str) -> String {
    if let Some(resolved) = &package.resolved {
        return resolved.clone();
    }
    if package.integrity.is_none() {
        return String::new();
    }
    let bare = name.rsplit('/').next().unwrap_or(name);
    format!("{DEFAULT_REGISTRY}/{name}/-/{bare}-{version}.tgz")
}

/// Compares the installed `package.json` with the locked version.
fn check(dir: &Path, key: &str, locked: &str) -> Result<Match> {
    let path = dir.join(MANIFEST);
    if !path.is_file() {
        return Ok(Match::Mismatch {
            reason: format!("{key}/{MANIFEST} is missing"),
        });
    }
    let manifest: Manifest =
        serde_json::from_str(&read_metadata(&path, MANIFEST)?).map_err(|e| Error::Invalid {
            what: MANIFEST,
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    Ok(match manifest.version {
        Some(found) if found == locked => Match::Match,
        Some(found) => Match::Mismatch {
            reason: format!("{key}/{MANIFEST} has version {found}, {LOCKFILE} locks {locked}"),
        },
        None => Match::Mismatch {
            reason: format!("{key}/{MANIFEST} has no version, {LOCKFILE} locks {locked}"),
        },
    })
}

/// One input-to-be: a locked package, and its directory if installed.
struct Entry<'a> {
    key: &'a str,
    name: &'a str,
    version: &'a str,
    package: &'a LockedPackage,
    dir: Option<PathBuf>,
}

impl Ecosystem for Npm {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn detect(&self, root: &Path) -> bool {
        root.join(LOCKFILE).is_file()
    }

    fn discover(&self, root: &Path) -> Result<Vec<Input>> {
        let lock_path = root.join(LOCKFILE);
        let invalid = |reason: String| Error::Invalid {
            what: LOCKFILE,
            path: lock_path.display().to_string(),
            reason,
        };
        let lockfile: Lockfile = serde_json::from_str(&read_metadata(&lock_path, LOCKFILE)?)
            .map_err(|e| invalid(e.to_string()))?;
        match lockfile.lockfile_version {
            Some(2 | 3) => {}
            Some(1) => {
                return Err(invalid(
                    "lockfileVersion 1 (npm 6 and older) is not supported: \
                     regenerate it with npm 7 or newer (lockfileVersion 2 or 3)"
                        .into(),
                ))
            }
            Some(other) => {
                return Err(invalid(format!(
                    "lockfileVersion {other} is not supported (2 or 3 is)"
                )))
            }
            None => return Err(invalid("no lockfileVersion".into())),
        }
        let packages = lockfile
            .packages
            .ok_or_else(|| invalid("no `packages` map".into()))?;

        let mut entries: Vec<Entry<'_>> = Vec::new();
        for (key, package) in &packages {
            if package.link {
                continue;
            }
            let Some(name) = name_of_key(key) else {
                if key.split('/').any(|s| s == NODE_MODULES) {
                    return Err(invalid(format!("`packages` key {key:?} names no package")));
                }
                continue; // the root project or a workspace member
            };
            let version = package
                .version
                .as_deref()
                .ok_or_else(|| invalid(format!("package {key:?} has no version")))?;
            let dir = join_inside(root, key)?;
            let dir = dir.is_dir().then_some(dir);
            entries.push(Entry {
                key,
                name,
                version,
                package,
                dir,
            });
        }

        let nested = format!("{NODE_MODULES}/");
        let mut checked: Vec<(usize, Match)> = Vec::new();
        let mut jobs: Vec<(PathBuf, Vec<String>)> = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let Some(dir) = &entry.dir else { continue };
            checked.push((i, check(dir, entry.key, entry.version)?));
            let own: Vec<String> = files(dir)?
                .into_iter()
                .filter(|f| !f.starts_with(&nested))
                .collect();
            jobs.push((dir.clone(), own));
        }
        let hashed = hash_dirs(&jobs)?;
        let mut by_entry: HashMap<usize, (String, Match)> = checked
            .into_iter()
            .zip(&hashed)
            .map(|((i, status), on_disk)| (i, (format!("dirHash:{}", dir_hash(on_disk)), status)))
            .collect();

        let mut inputs = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let (observed, status, path) = match by_entry.remove(&i) {
                Some((hash, status)) => (Some(hash), status, Some(entry.key.to_string())),
                None => (None, Match::NotVendored, None),
            };
            // An alias installs the real package under another directory name.
            let real = entry.package.name.as_deref().unwrap_or(entry.name);
            inputs.push(Input {
                name: entry.name.to_string(),
                version: entry.version.to_string(),
                ecosystem: "npm",
                purl: purl(real, entry.version),
                uri: uri_of(entry.package, real, entry.version),
                declared: entry.package.integrity.clone(),
                observed,
                status,
                path,
                license: None,
                patches: Vec::new(),
                categories: Vec::new(),
                cpe: None,
                dependencies: Vec::new(),
                critical: Vec::new(),
            });
        }
        Ok(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_last_node_modules_segment() {
        assert_eq!(name_of_key("node_modules/ms"), Some("ms"));
        assert_eq!(
            name_of_key("node_modules/debug/node_modules/ms"),
            Some("ms")
        );
        assert_eq!(
            name_of_key("node_modules/@sigstore/protobuf-specs"),
            Some("@sigstore/protobuf-specs")
        );
        assert_eq!(
            name_of_key("node_modules/@a/b/node_modules/@c/d"),
            Some("@c/d")
        );
        assert_eq!(
            name_of_key("packages/app/node_modules/left-pad"),
            Some("left-pad")
        );
        assert_eq!(name_of_key(""), None);
        assert_eq!(name_of_key("packages/app"), None);
        assert_eq!(name_of_key("node_modules/@scope"), None);
        assert_eq!(name_of_key("node_modules/a/b"), None);
    }

    #[test]
    fn purls_percent_encode_the_scope() {
        assert_eq!(purl("ms", "2.1.3"), "pkg:npm/ms@2.1.3");
        assert_eq!(
            purl("@sigstore/protobuf-specs", "0.5.2"),
            "pkg:npm/%40sigstore/protobuf-specs@0.5.2"
        );
        assert_eq!(purl("a", "1.0.0+build.1"), "pkg:npm/a@1.0.0%2Bbuild.1");
    }

    #[test]
    fn a_missing_package_is_not_vendored_and_nested_trees_are_excluded() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join(LOCKFILE),
            r#"{"lockfileVersion": 3, "packages": {
                "": {"name": "p"},
                "node_modules/a": {"version": "1.0.0", "integrity": "sha512-AA=="},
                "node_modules/a/node_modules/b": {"version": "2.0.0"},
                "node_modules/gone": {"version": "3.0.0", "integrity": "sha512-BB=="},
                "node_modules/w": {"resolved": "packages/w", "link": true},
                "packages/w": {"version": "0.1.0"}
            }}"#,
        )
        .unwrap();
        std::fs::create_dir_all(d.join("node_modules/a/node_modules/b")).unwrap();
        std::fs::write(
            d.join("node_modules/a/package.json"),
            r#"{"version":"1.0.0"}"#,
        )
        .unwrap();
        std::fs::write(
            d.join("node_modules/a/node_modules/b/package.json"),
            r#"{"version":"2.0.0"}"#,
        )
        .unwrap();
        let inputs = Npm.discover(d).unwrap();
        assert_eq!(inputs.len(), 3, "{inputs:?}");
        let a = &inputs[0];
        assert_eq!((a.name.as_str(), &a.status), ("a", &Match::Match));
        assert_eq!(a.declared.as_deref(), Some("sha512-AA=="));
        assert_eq!(a.uri, "https://registry.npmjs.org/a/-/a-1.0.0.tgz");
        let before = a.observed.clone();
        std::fs::write(d.join("node_modules/a/node_modules/b/extra.js"), b"x").unwrap();
        assert_eq!(Npm.discover(d).unwrap()[0].observed, before);
        let gone = inputs.iter().find(|i| i.name == "gone").unwrap();
        assert_eq!(gone.status, Match::NotVendored);
        assert_eq!(gone.observed, None);
    }
}
