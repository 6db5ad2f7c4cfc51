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
//!
//! The licence is the installed `package.json`'s `license`, else the lock
//! entry's (lockfiles v2 and v3 copy it for most packages), kept when it
//! is an SPDX expression (see [`crate::license`]): npm's
//! `SEE LICENSE IN <file>` and `UNLICENSED` are not, and are dropped. The
//! deprecated forms `"license": {"type": "MIT", "url": …}` and
//! `"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]` give their
//! types, several joined with `OR` (the package may be used under any of
//! them, which is what listing them meant), and only when every type is
//! an SPDX expression.
//!
//! A package the lockfile says is `resolved` from a `file:` directory
//! outside the project (`vouch unbundle --write` onto a distribution's
//! `/usr/share/nodejs/<name>`; npm writes the path relative to the
//! project, `file:../../usr/share/nodejs/ms`) is not vendored: the
//! directory is its [`Input::provided`] (never read here) and its
//! installed copy (npm's `install-links=true` copies the directory) its
//! `path`, whose `package.json` must carry the locked version. The caller
//! proves the directory's chain of custody and that the copy holds its
//! files. A `file:` directory inside the project stays an installed
//! package like any other.
//!
//! The dependency graph is the lockfile's: an entry's `dependencies`,
//! `optionalDependencies` and `peerDependencies`, each resolved as Node
//! resolves a `require` from the package's directory (its own
//! `node_modules/<name>`, then each enclosing directory's, up to the root),
//! to the purl of the entry found there. A dependency resolved to nothing
//! (an optional or peer dependency not installed) or to a workspace link
//! is left out: it is not an input.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use crate::input;
use crate::license::spdx_expression;
use crate::tree::{dir_hash, excerpt, join_inside, outside, parser_message, Listing, Root};
use crate::{Ecosystem, Error, Input, Match, Result};

const LOCKFILE: &str = "package-lock.json";
pub(crate) const MANIFEST: &str = "package.json";
pub(crate) const NODE_MODULES: &str = "node_modules";
/// Every JavaScript lockfile vouch reads, each by its own ecosystem module
/// over the same `node_modules`: npm's, Yarn's (1 and Berry) and pnpm's.
pub(crate) const JS_LOCKFILES: [&str; 3] = [LOCKFILE, "yarn.lock", "pnpm-lock.yaml"];
/// The registry npm uses when the lockfile omits `resolved`
/// (`omit-lockfile-registry-resolved`).
pub(crate) const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org";

/// The npm ecosystem.
pub struct Npm;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lockfile {
    lockfile_version: Option<u64>,
    packages: Option<BTreeMap<String, LockedPackage>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LockedPackage {
    /// The real package name, when installed under an alias
    /// (`"alias": "npm:real@1.0.0"`).
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    link: bool,
    /// As in `package.json`: read leniently by [`license`].
    license: Option<Value>,
    /// The names it depends on (the ranges are npm's business).
    #[serde(default)]
    dependencies: BTreeMap<String, IgnoredAny>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, IgnoredAny>,
    #[serde(default)]
    peer_dependencies: BTreeMap<String, IgnoredAny>,
}

/// An installed package's `package.json`: what is checked of it.
#[derive(Deserialize)]
pub(crate) struct Manifest {
    /// The installed version.
    pub(crate) version: Option<String>,
    /// Any JSON: a malformed licence must not make the manifest unreadable.
    pub(crate) license: Option<Value>,
    /// The deprecated list form.
    pub(crate) licenses: Option<Value>,
}

/// The licence a `license` (string, or the deprecated `{"type": …}`) or
/// deprecated `licenses` array field gives, as an SPDX expression.
pub(crate) fn license(license: Option<&Value>, licenses: Option<&Value>) -> Option<String> {
    let kind = |value: &Value| match value {
        Value::String(text) => spdx_expression(text),
        Value::Object(object) => object
            .get("type")
            .and_then(Value::as_str)
            .and_then(spdx_expression),
        _ => None,
    };
    if let Some(value) = license {
        return kind(value);
    }
    let kinds = licenses?
        .as_array()?
        .iter()
        .map(kind)
        .collect::<Option<Vec<String>>>()?;
    crate::license::any_of(&kinds)
}

/// The `packages` key of the entry a package at `key` gets for `name`: as
/// Node resolves a `require`, the nearest `node_modules/<name>` going up
/// from the package's own directory (directories named `node_modules`
/// hold no `node_modules` of their own and are passed over).
fn resolve<'a>(
    packages: &'a BTreeMap<String, LockedPackage>,
    key: &str,
    name: &str,
) -> Option<&'a str> {
    let mut dir = key;
    loop {
        if !(dir == NODE_MODULES || dir.ends_with(&format!("/{NODE_MODULES}"))) {
            let candidate = if dir.is_empty() {
                format!("{NODE_MODULES}/{name}")
            } else {
                format!("{dir}/{NODE_MODULES}/{name}")
            };
            if let Some((found, _)) = packages.get_key_value(&candidate) {
                return Some(found);
            }
        }
        if dir.is_empty() {
            return None;
        }
        dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
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
pub fn purl(name: &str, version: &str) -> Result<String> {
    let (scope, bare) = match name.split_once('/') {
        Some((scope, bare)) => (Some(scope), bare),
        None => (None, name),
    };
    input::purl("npm", scope, bare, Some(version), &[])
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

/// Compares the installed `package.json` with the version `lockfile`
/// locks; also returns the licence it declares.
pub(crate) fn check(
    root: &Root,
    dir: &Path,
    key: &str,
    locked: &str,
    lockfile: &str,
) -> Result<(Match, Option<String>)> {
    let path = dir.join(MANIFEST);
    if std::fs::symlink_metadata(&path).is_err() {
        let reason = format!("{key}/{MANIFEST} is missing");
        return Ok((Match::Mismatch { reason }, None));
    }
    let manifest: Manifest =
        serde_json::from_str(&root.read_metadata(&path, MANIFEST)?).map_err(|e| {
            Error::Invalid {
                what: MANIFEST,
                path: path.display().to_string(),
                reason: parser_message(&e),
            }
        })?;
    let status = match manifest.version {
        Some(found) if found == locked => Match::Match,
        Some(found) => Match::Mismatch {
            reason: format!("{key}/{MANIFEST} has version {found}, {lockfile} locks {locked}"),
        },
        None => Match::Mismatch {
            reason: format!("{key}/{MANIFEST} has no version, {lockfile} locks {locked}"),
        },
    };
    let license = license(manifest.license.as_ref(), manifest.licenses.as_ref());
    Ok((status, license))
}

/// The inputs a `package-lock.json` declares (`text`; `path` names it in
/// errors), each with its `packages` key (its install directory, relative
/// to the project root), in key order: every `node_modules/…` entry but
/// workspace links, with its purl (the real package of an alias), where it
/// comes from, its integrity, the licence the lock gives, and its
/// dependencies resolved within the lock. Nothing on disk is looked at:
/// each is not vendored until [`Npm`] finds it installed. This exists for
/// that, for fuzzing, and for callers that hold the lockfile's bytes.
pub fn locked_inputs(text: &str, path: &Path) -> Result<Vec<(String, Input)>> {
    let invalid = |reason: String| Error::Invalid {
        what: LOCKFILE,
        path: path.display().to_string(),
        reason,
    };
    let lockfile: Lockfile = serde_json::from_str(text).map_err(|e| invalid(parser_message(&e)))?;
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

    // Each locked package: its key, installed name, version and entry.
    let mut entries: Vec<(&str, &str, &str, &LockedPackage)> = Vec::new();
    for (key, package) in &packages {
        if package.link {
            continue;
        }
        let Some(name) = name_of_key(key) else {
            if key.split('/').any(|s| s == NODE_MODULES) {
                return Err(invalid(format!(
                    "`packages` key \"{}\" names no package",
                    excerpt(key)
                )));
            }
            continue; // the root project or a workspace member
        };
        let version = package
            .version
            .as_deref()
            .ok_or_else(|| invalid(format!("package \"{}\" has no version", excerpt(key))))?;
        entries.push((key, name, version, package));
    }

    // An alias installs the real package under another directory name.
    let purls: HashMap<&str, String> = entries
        .iter()
        .map(|&(key, name, version, package)| {
            Ok((key, purl(package.name.as_deref().unwrap_or(name), version)?))
        })
        .collect::<Result<_>>()?;
    Ok(entries
        .iter()
        .map(|&(key, name, version, package)| {
            let mut dependencies: Vec<String> = package
                .dependencies
                .keys()
                .chain(package.optional_dependencies.keys())
                .chain(package.peer_dependencies.keys())
                .filter_map(|name| resolve(&packages, key, name))
                .filter_map(|key| purls.get(key).cloned())
                .collect();
            dependencies.sort();
            dependencies.dedup();
            let real = package.name.as_deref().unwrap_or(name);
            let mut input = Input::declared(
                "npm",
                name,
                version,
                purls[key].clone(),
                uri_of(package, real, version),
            );
            input.declared = package.integrity.clone();
            input.license = license(package.license.as_ref(), None);
            input.dependencies = dependencies;
            (key.to_string(), input)
        })
        .collect())
}

impl Ecosystem for Npm {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn detect(&self, root: &Root) -> bool {
        root.has(LOCKFILE)
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        single_lockfile(root)?;
        let lock_path = root.path().join(LOCKFILE);
        let inputs = locked_inputs(&root.read_metadata(&lock_path, LOCKFILE)?, &lock_path)?;
        installed(
            root,
            inputs.into_iter().map(|(k, i)| (Some(k), i)).collect(),
            LOCKFILE,
        )
    }
}

/// Refuses a project with more than one JavaScript lockfile
/// ([`JS_LOCKFILES`]): each would be checked against the one
/// `node_modules`, and which of them the build installed from is not
/// written anywhere. Reporting each would let a second, stale lockfile
/// vouch for a tree another package manager laid out (or the reverse);
/// picking one would let the other hide what the build really used. The
/// user removes the one the build does not use.
pub(crate) fn single_lockfile(root: &Root) -> Result<()> {
    let found: Vec<&str> = JS_LOCKFILES
        .into_iter()
        .filter(|name| root.has(name))
        .collect();
    if found.len() > 1 {
        return Err(Error::Invalid {
            what: "JavaScript lockfiles",
            path: root.path().display().to_string(),
            reason: format!(
                "several lockfiles ({}): which one the build installed \
                 `node_modules` from is ambiguous; remove the ones it does not use",
                found.join(", ")
            ),
        });
    }
    Ok(())
}

/// Checks each locked input against its installed directory, `key` (the
/// directory relative to the project root; `None`: installed nowhere, not
/// vendored): its `package.json` must carry the version `lockfile` locks,
/// and the directory hash of its files, excluding any nested
/// `node_modules/` (packages of their own), is its observed digest. A
/// package resolved from a `file:` directory outside the project is
/// [`Input::provided`] (see the module documentation). Shared by npm,
/// Yarn and pnpm, which lay out `node_modules` each its own way but
/// install the same unpacked packages.
pub(crate) fn installed(
    root: &Root,
    mut inputs: Vec<(Option<String>, Input)>,
    lockfile: &str,
) -> Result<Vec<Input>> {
    let nested = format!("{NODE_MODULES}/");
    let mut checked: Vec<(usize, (Match, Option<String>))> = Vec::new();
    let mut jobs: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for (i, (key, input)) in inputs.iter_mut().enumerate() {
        let provided = input
            .uri
            .strip_prefix("file:")
            .and_then(|from| outside(root, from));
        let Some(key) = key else {
            input.provided = provided;
            continue;
        };
        let dir = join_inside(root.path(), key)?;
        let all = match root.vendored(&dir)? {
            Listing::Missing => {
                input.provided = provided;
                continue;
            }
            Listing::Refused(reason) => {
                input.status = Match::Mismatch { reason };
                continue;
            }
            Listing::Files(all) => all,
        };
        if let Some(provided) = provided {
            // The installed copy of a directory outside the project:
            // the caller proves the directory's chain of custody and
            // that the copy holds its files; here, only that it is the
            // locked version.
            let (status, license) = check(root, &dir, key, &input.version, lockfile)?;
            input.path = Some(key.clone());
            input.license = license.or(input.license.take());
            match status {
                Match::Match => input.provided = Some(provided),
                mismatch => input.status = mismatch,
            }
            continue;
        }
        checked.push((i, check(root, &dir, key, &input.version, lockfile)?));
        let own: Vec<String> = all
            .into_iter()
            .filter(|f| !f.starts_with(&nested))
            .collect();
        jobs.push((dir, own));
    }
    let hashed = root.hash_dirs(&jobs)?;
    for ((i, (status, license)), on_disk) in checked.into_iter().zip(&hashed) {
        let (key, input) = &mut inputs[i];
        input.observed = Some(format!("dirHash:{}", dir_hash(on_disk)));
        input.status = status;
        input.path = key.clone();
        // The installed package.json's licence wins over the lock's copy.
        if license.is_some() {
            input.license = license;
        }
    }
    Ok(inputs.into_iter().map(|(_, input)| input).collect())
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
        assert_eq!(purl("ms", "2.1.3").unwrap(), "pkg:npm/ms@2.1.3");
        assert_eq!(
            purl("@sigstore/protobuf-specs", "0.5.2").unwrap(),
            "pkg:npm/%40sigstore/protobuf-specs@0.5.2"
        );
        assert_eq!(
            purl("a", "1.0.0+build.1").unwrap(),
            "pkg:npm/a@1.0.0%2Bbuild.1"
        );
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
        let inputs = Npm.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(inputs.len(), 3, "{inputs:?}");
        let a = &inputs[0];
        assert_eq!((a.name.as_str(), &a.status), ("a", &Match::Match));
        assert_eq!(a.declared.as_deref(), Some("sha512-AA=="));
        assert_eq!(a.uri, "https://registry.npmjs.org/a/-/a-1.0.0.tgz");
        let before = a.observed.clone();
        std::fs::write(d.join("node_modules/a/node_modules/b/extra.js"), b"x").unwrap();
        assert_eq!(
            Npm.discover(&Root::new(d).unwrap()).unwrap()[0].observed,
            before
        );
        let gone = inputs.iter().find(|i| i.name == "gone").unwrap();
        assert_eq!(gone.status, Match::NotVendored);
        assert_eq!(gone.observed, None);
    }

    #[test]
    fn a_package_resolved_from_a_directory_outside_is_provided() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let root = Root::new(d).unwrap();
        // As npm 11 writes a `file:/usr/share/nodejs/ms` dependency with
        // install-links=true: relative to the project, no integrity.
        let up = "../".repeat(root.canonical().components().count() - 1);
        let lock = format!(
            r#"{{"lockfileVersion": 3, "packages": {{
                "": {{"name": "p", "dependencies": {{"ms": "file:/usr/share/nodejs/ms"}}}},
                "node_modules/ms": {{"version": "2.1.3", "resolved": "file:{up}usr/share/nodejs/ms", "license": "MIT"}},
                "node_modules/own": {{"version": "1.0.0", "resolved": "file:lib/own"}},
                "node_modules/gone": {{"version": "3.0.0", "resolved": "file:/usr/share/nodejs/gone"}}
            }}}}"#
        );
        std::fs::write(d.join(LOCKFILE), lock).unwrap();
        for (name, version) in [("ms", "2.1.3"), ("own", "1.0.0")] {
            std::fs::create_dir_all(d.join(NODE_MODULES).join(name)).unwrap();
            std::fs::write(
                d.join(NODE_MODULES).join(name).join(MANIFEST),
                format!(r#"{{"version":"{version}"}}"#),
            )
            .unwrap();
        }
        let inputs = Npm.discover(&root).unwrap();
        let find = |name: &str| inputs.iter().find(|i| i.name == name).unwrap();
        let ms = find("ms");
        assert_eq!(ms.status, Match::NotVendored, "{ms:?}");
        assert_eq!(ms.provided.as_deref(), Some("/usr/share/nodejs/ms"));
        assert_eq!(ms.path.as_deref(), Some("node_modules/ms"));
        assert_eq!(
            (ms.purl.as_str(), ms.observed.as_deref()),
            ("pkg:npm/ms@2.1.3", None)
        );
        assert_eq!(ms.license.as_deref(), Some("MIT"));
        // Not installed: provided all the same, with no copy.
        let gone = find("gone");
        assert_eq!(gone.provided.as_deref(), Some("/usr/share/nodejs/gone"));
        assert_eq!(gone.path, None);
        // A file: directory inside the project: an installed package.
        let own = find("own");
        assert_eq!(
            (&own.status, own.provided.as_deref()),
            (&Match::Match, None)
        );
        // A copy of another version is a mismatch, not provided.
        std::fs::write(
            d.join("node_modules/ms").join(MANIFEST),
            r#"{"version":"2.1.2"}"#,
        )
        .unwrap();
        let inputs = Npm.discover(&root).unwrap();
        let ms = inputs.iter().find(|i| i.name == "ms").unwrap();
        assert_eq!(
            ms.status,
            Match::Mismatch {
                reason:
                    "node_modules/ms/package.json has version 2.1.2, package-lock.json locks 2.1.3"
                        .into()
            }
        );
        assert_eq!(ms.provided, None);
    }

    #[test]
    fn licences_in_every_form_but_free_text() {
        let json = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        let one = |text: &str| license(Some(&json(text)), None);
        assert_eq!(one(r#""MIT""#).as_deref(), Some("MIT"));
        assert_eq!(
            one(r#""(MIT OR Apache-2.0)""#).as_deref(),
            Some("(MIT OR Apache-2.0)")
        );
        assert_eq!(
            one(r#"{"type": "BSD-3-Clause", "url": "https://x"}"#).as_deref(),
            Some("BSD-3-Clause")
        );
        assert_eq!(one(r#""SEE LICENSE IN LICENSE.md""#), None);
        assert_eq!(one(r#""UNLICENSED""#), None);
        assert_eq!(one("5"), None);
        let many = |text: &str| license(None, Some(&json(text)));
        assert_eq!(
            many(r#"[{"type": "MIT"}, {"type": "Apache-2.0 AND BSD-3-Clause"}]"#).as_deref(),
            Some("MIT OR (Apache-2.0 AND BSD-3-Clause)")
        );
        assert_eq!(many(r#"["ISC"]"#).as_deref(), Some("ISC"));
        assert_eq!(many(r#"[{"type": "MIT"}, {"type": "Custom"}]"#), None);
        assert_eq!(many("[]"), None);
        // `license` wins over the deprecated `licenses`.
        assert_eq!(
            license(Some(&json(r#""0BSD""#)), Some(&json(r#"["MIT"]"#))).as_deref(),
            Some("0BSD")
        );
    }

    #[test]
    fn dependencies_resolve_as_node_does_and_licences_fall_back_to_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join(LOCKFILE),
            r#"{"lockfileVersion": 3, "packages": {
                "": {"name": "p", "dependencies": {"a": "^1", "b": "^1"}},
                "node_modules/a": {"version": "1.0.0", "license": "ISC",
                    "dependencies": {"b": "^2", "c": "^1"},
                    "optionalDependencies": {"fsevents": "^2"},
                    "peerDependencies": {"w": "*"}},
                "node_modules/a/node_modules/b": {"version": "2.0.0",
                    "dependencies": {"c": "^1"}},
                "node_modules/b": {"version": "1.0.0", "license": "SEE LICENSE IN LICENSE"},
                "node_modules/c": {"version": "1.0.0", "license": "ISC",
                    "dependencies": {"alias": "npm:real@^3"}},
                "node_modules/alias": {"name": "real", "version": "3.0.0",
                    "license": {"type": "Apache-2.0"}},
                "node_modules/old": {"version": "0.1.0"},
                "node_modules/w": {"resolved": "packages/w", "link": true},
                "packages/w": {"version": "0.1.0", "dependencies": {"c": "^1"}}
            }}"#,
        )
        .unwrap();
        for (dir, manifest) in [
            (
                "node_modules/a",
                r#"{"version": "1.0.0", "license": "MIT"}"#,
            ),
            (
                "node_modules/old",
                r#"{"version": "0.1.0", "licenses": [{"type": "MIT"}, {"type": "GPL-2.0"}]}"#,
            ),
        ] {
            std::fs::create_dir_all(d.join(dir)).unwrap();
            std::fs::write(d.join(dir).join(MANIFEST), manifest).unwrap();
        }
        let inputs = Npm.discover(&Root::new(d).unwrap()).unwrap();
        let find = |name: &str, version: &str| {
            inputs
                .iter()
                .find(|i| i.name == name && i.version == version)
                .unwrap()
        };
        assert_eq!(inputs.len(), 6, "{inputs:?}");
        let a = find("a", "1.0.0");
        // a's own b is the nested 2.0.0, not the root's 1.0.0; the missing
        // optional fsevents and the workspace link w are not inputs.
        assert_eq!(a.dependencies, ["pkg:npm/b@2.0.0", "pkg:npm/c@1.0.0"]);
        // The installed package.json wins over the lock.
        assert_eq!(a.license.as_deref(), Some("MIT"));
        // The nested b finds c at the root, two levels up.
        let nested = find("b", "2.0.0");
        assert_eq!(nested.dependencies, ["pkg:npm/c@1.0.0"]);
        assert_eq!(nested.license, None);
        // An alias resolves to the real package's purl.
        let c = find("c", "1.0.0");
        assert_eq!(c.dependencies, ["pkg:npm/real@3.0.0"]);
        assert_eq!(c.license.as_deref(), Some("ISC"), "from the lock");
        assert_eq!(
            find("alias", "3.0.0").license.as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(find("b", "1.0.0").license, None, "free text");
        assert_eq!(
            find("old", "0.1.0").license.as_deref(),
            Some("MIT OR GPL-2.0")
        );
    }
}
