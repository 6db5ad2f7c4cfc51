//! uv: `uv.lock` (`version = 1`).
//!
//! Each `[[package]]` is an input: `name`, `version`, the hashes of its
//! `sdist` and `wheels`, its `source` (one of `registry` (an index URL or
//! a local directory of archives), `git` (`<url>?<ref>#<commit>`), `url`,
//! `path`, `directory`, `editable`, `virtual`), and its `dependencies`,
//! `[package.optional-dependencies]` and `[package.dev-dependencies]`,
//! each a `{ name, version? }` resolved to the locked package (uv writes
//! the version when a name is locked at several). A `virtual`,
//! `editable` or `directory` source inside the project is the project (or
//! a workspace member) itself, not an input. The checks are [`super`]'s.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::poetry::line_of;
use super::{discover, inside_project, invalid, lock_hash, Locked, Source};
use crate::pip::normalise;
use crate::tree::{toml_message, Root};
use crate::{Ecosystem, Input, Result};

/// The lockfile at the project root.
pub const LOCKFILE: &str = "uv.lock";

/// The uv ecosystem (inputs of ecosystem `pip`).
pub struct Uv;

#[derive(Deserialize)]
struct Lockfile {
    version: Spanned<u64>,
    #[serde(default)]
    package: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: Spanned<String>,
    version: Option<String>,
    source: Spanned<PackageSource>,
    sdist: Option<Archive>,
    #[serde(default)]
    wheels: Vec<Archive>,
    #[serde(default)]
    dependencies: Vec<Dependency>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<Dependency>>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: BTreeMap<String, Vec<Dependency>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageSource {
    registry: Option<String>,
    git: Option<String>,
    url: Option<String>,
    path: Option<String>,
    directory: Option<String>,
    editable: Option<String>,
    #[serde(rename = "virtual")]
    is_virtual: Option<String>,
}

#[derive(Deserialize)]
struct Archive {
    hash: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
    version: Option<String>,
}

/// A git source's URL and commit: uv writes `<url>?<ref>=<value>#<commit>`.
fn git(value: &str) -> Source {
    let (rest, commit) = match value.rsplit_once('#') {
        Some((rest, commit)) => (rest, Some(commit.to_string())),
        None => (value, None),
    };
    let url = rest.split_once('?').map_or(rest, |(url, _)| url);
    Source::Git {
        url: url.to_string(),
        commit,
    }
}

/// Parses a `uv.lock` (`path` names it in errors, with the line): every
/// locked package but the project's own (`root` decides which local
/// sources are inside the project).
pub fn parse(text: &str, path: &Path, root: &Root) -> Result<Vec<Locked>> {
    let lock: Lockfile =
        toml::from_str(text).map_err(|e| invalid("uv.lock", path, toml_message(&e)))?;
    let at = |offset: usize, reason: String| {
        invalid(
            "uv.lock",
            path,
            format!("line {}: {reason}", line_of(text, offset)),
        )
    };
    if *lock.version.get_ref() != 1 {
        return Err(at(
            lock.version.span().start,
            format!(
                "version {} is not the one vouch reads (1)",
                lock.version.get_ref()
            ),
        ));
    }
    let mut locked = Vec::new();
    for package in lock.package {
        let line = package.name.span().start;
        let name = normalise(package.name.get_ref());
        if name.is_empty() {
            return Err(at(line, "a package with no name".into()));
        }
        let s = package.source.get_ref();
        let given = [
            &s.registry,
            &s.git,
            &s.url,
            &s.path,
            &s.directory,
            &s.editable,
            &s.is_virtual,
        ]
        .iter()
        .filter(|v| v.is_some())
        .count();
        if given != 1 {
            return Err(at(
                package.source.span().start,
                format!("{name}: `source` must name exactly one kind of source"),
            ));
        }
        let source = if let Some(registry) = &s.registry {
            if registry.contains("://") {
                Source::Index(registry.clone())
            } else {
                Source::Path(registry.clone())
            }
        } else if let Some(value) = &s.git {
            git(value)
        } else if let Some(url) = &s.url {
            Source::Url(url.clone())
        } else if let Some(local) = s.path.as_ref() {
            Source::Path(local.clone())
        } else {
            let local = s
                .directory
                .as_ref()
                .or(s.editable.as_ref())
                .or(s.is_virtual.as_ref())
                .cloned()
                .unwrap_or_default();
            if inside_project(root, &local) {
                continue; // the project itself, or a workspace member
            }
            Source::Path(local)
        };
        let Some(version) = package.version else {
            return Err(at(line, format!("{name}: no version")));
        };
        let mut hashes = Vec::new();
        for archive in package.sdist.iter().chain(&package.wheels) {
            if let Some(hash) = &archive.hash {
                hashes.push(lock_hash(hash.get_ref()).map_err(|r| at(hash.span().start, r))?);
            }
        }
        hashes.sort();
        hashes.dedup();
        let dependencies = package
            .dependencies
            .iter()
            .chain(package.optional_dependencies.values().flatten())
            .chain(package.dev_dependencies.values().flatten())
            .map(|d| (normalise(&d.name), d.version.clone()))
            .collect();
        locked.push(Locked {
            name,
            version,
            hashes,
            source,
            dependencies,
            categories: Vec::new(),
        });
    }
    Ok(locked)
}

impl Ecosystem for Uv {
    fn name(&self) -> &'static str {
        "pip"
    }

    fn detect(&self, root: &Root) -> bool {
        root.has(LOCKFILE)
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        let path = root.path().join(LOCKFILE);
        let text = root.read_metadata(&path, "uv.lock")?;
        let locked = parse(&text, &path, root)?;
        discover(root, LOCKFILE, locked, None)
    }
}
