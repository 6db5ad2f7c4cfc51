//! Poetry: `poetry.lock` (lock format 1.x and 2.x).
//!
//! Each `[[package]]` is an input: `name`, `version`, its archive hashes
//! (format 2.x: the package's `files = [{file, hash}]`; 1.x: the
//! `[metadata.files]` table, keyed by name), its `[package.source]`
//! (`git` with its `resolved_reference` commit, `url`, `file`, `directory`,
//! `legacy` for another index; none for PyPI), its `[package.dependencies]`
//! (a version string, a table, or a list of tables with markers: each
//! names the dependency, which Poetry locks at one version), and its
//! `groups` (2.x) or `category` (1.x) as the input's categories. A
//! `directory` source inside the project is the project's own code, not
//! an input. The checks are [`super`]'s.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{discover, inside_project, invalid, lock_hash, Locked, Source};
use crate::pip::normalise;
use crate::tree::{excerpt, toml_message, Root};
use crate::{Ecosystem, Input, Result};

/// The lockfile at the project root.
pub const LOCKFILE: &str = "poetry.lock";

/// The Poetry ecosystem (inputs of ecosystem `pip`).
pub struct Poetry;

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<Package>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(rename = "lock-version")]
    lock_version: Option<Spanned<String>>,
    /// Format 1.x: the archives of each package, by name.
    #[serde(default)]
    files: BTreeMap<String, Vec<File>>,
}

#[derive(Deserialize)]
struct Package {
    name: Spanned<String>,
    version: String,
    #[serde(default)]
    files: Vec<File>,
    #[serde(default)]
    source: Option<PackageSource>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    category: Option<String>,
}

#[derive(Deserialize)]
struct File {
    #[allow(dead_code)] // read to refuse an entry without one
    file: String,
    hash: Spanned<String>,
}

#[derive(Deserialize)]
struct PackageSource {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    resolved_reference: Option<String>,
}

/// The line of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).unwrap_or(text).matches('\n').count() + 1
}

/// Parses a `poetry.lock` (`path` names it in errors, with the line):
/// every locked package but the project's own directories (`root` decides
/// which are inside the project).
pub fn parse(text: &str, path: &Path, root: &Root) -> Result<Vec<Locked>> {
    let lock: Lockfile =
        toml::from_str(text).map_err(|e| invalid("poetry.lock", path, toml_message(&e)))?;
    let at = |offset: usize, reason: String| {
        invalid(
            "poetry.lock",
            path,
            format!("line {}: {reason}", line_of(text, offset)),
        )
    };
    let mut old_files = BTreeMap::new();
    if let Some(metadata) = lock.metadata {
        if let Some(version) = &metadata.lock_version {
            let major = version.get_ref().split('.').next().unwrap_or_default();
            if !matches!(major, "1" | "2") {
                return Err(at(
                    version.span().start,
                    format!(
                        "lock-version {} is not one vouch reads (1.x, 2.x)",
                        excerpt(version.get_ref())
                    ),
                ));
            }
        }
        for (name, files) in metadata.files {
            old_files.insert(normalise(&name), files);
        }
    }
    let mut locked = Vec::new();
    for package in lock.package {
        let name = normalise(package.name.get_ref());
        if name.is_empty() {
            return Err(at(
                package.name.span().start,
                "a package with no name".into(),
            ));
        }
        let source = match package.source {
            None => Source::Index(String::new()),
            Some(s) => match s.kind.as_str() {
                "git" => Source::Git {
                    url: s.url,
                    commit: s.resolved_reference,
                },
                "directory" if inside_project(root, &s.url) => continue,
                "directory" | "file" => Source::Path(s.url),
                "legacy" => Source::Index(s.url),
                "url" => Source::Url(s.url),
                other => {
                    return Err(at(
                        package.name.span().start,
                        format!(
                            "{name}: source type {} is not one Poetry writes",
                            excerpt(other)
                        ),
                    ))
                }
            },
        };
        let files = if package.files.is_empty() {
            old_files.get(&name).map(Vec::as_slice).unwrap_or_default()
        } else {
            package.files.as_slice()
        };
        let mut hashes = Vec::new();
        for file in files {
            hashes.push(
                lock_hash(file.hash.get_ref())
                    .map_err(|reason| at(file.hash.span().start, reason))?,
            );
        }
        hashes.sort();
        hashes.dedup();
        let mut categories = package.groups;
        categories.extend(package.category);
        let dependencies = package
            .dependencies
            .keys()
            .map(|d| (normalise(d), None))
            .collect();
        locked.push(Locked {
            name,
            version: package.version,
            hashes,
            source,
            dependencies,
            categories,
        });
    }
    Ok(locked)
}

impl Ecosystem for Poetry {
    fn name(&self) -> &'static str {
        "pip"
    }

    fn detect(&self, root: &Root) -> bool {
        root.has(LOCKFILE)
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        let path = root.path().join(LOCKFILE);
        let text = root.read_metadata(&path, "poetry.lock")?;
        let locked = parse(&text, &path, root)?;
        discover(root, LOCKFILE, locked, None)
    }
}
