//! Cargo: `Cargo.lock` against a `cargo vendor` directory.
//!
//! The vendored directory is the one a `[source.*] directory = "…"` entry
//! of `.cargo/config.toml` names. For each locked package with a source,
//! the vendored crate's `.cargo-checksum.json` must list every file with
//! its SHA-256 (and no file may be unlisted), and its `package` checksum
//! must equal the lockfile's: the same checks cargo makes, plus the
//! unlisted files cargo ignores.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use crate::tree::{dir_hash, files, hash_dirs, join_inside, read_metadata};
use crate::{Ecosystem, Error, Input, Match, Result};

const CHECKSUM_FILE: &str = ".cargo-checksum.json";

/// The Cargo ecosystem.
pub struct Cargo;

#[derive(Deserialize)]
struct ChecksumFile {
    files: BTreeMap<String, String>,
    package: Option<String>,
}

/// The vendor directory `.cargo/config.toml` (or `.cargo/config`) names.
fn vendor_dir(root: &Path) -> Result<Option<PathBuf>> {
    for name in [".cargo/config.toml", ".cargo/config"] {
        let path = root.join(name);
        if !path.is_file() {
            continue;
        }
        let text = read_metadata(&path, "cargo config")?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| Error::Invalid {
            what: "cargo config",
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let dirs = table
            .get("source")
            .and_then(|s| s.as_table())
            .into_iter()
            .flat_map(|sources| sources.values())
            .filter_map(|source| source.get("directory").and_then(|d| d.as_str()));
        if let Some(dir) = dirs.into_iter().next() {
            return Ok(Some(join_inside(root, dir)?));
        }
    }
    Ok(None)
}

/// The vendored directory of `name` `version`: `name-version`, or `name`
/// when its Cargo.toml has that version. A `name` directory whose
/// Cargo.toml cannot be read is an error, not "not vendored": a broken
/// vendored crate must not pass unnoticed.
fn crate_dir(vendor: &Path, name: &str, version: &str) -> Result<Option<PathBuf>> {
    let versioned = vendor.join(format!("{name}-{version}"));
    if versioned.is_dir() {
        return Ok(Some(versioned));
    }
    let plain = vendor.join(name);
    if !plain.is_dir() {
        return Ok(None);
    }
    let manifest_path = plain.join("Cargo.toml");
    let invalid = |reason: String| Error::Invalid {
        what: "vendored Cargo.toml",
        path: manifest_path.display().to_string(),
        reason,
    };
    let table: toml::Table = read_metadata(&manifest_path, "vendored Cargo.toml")?
        .parse()
        .map_err(|e: toml::de::Error| invalid(e.to_string()))?;
    let found = table
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| invalid("has no package.version".into()))?;
    // Another version of the crate may be vendored under the plain name.
    Ok((found == version).then_some(plain))
}

fn uri_of(package: &cargo_lock::Package) -> String {
    match &package.source {
        Some(source) if source.is_default_registry() => {
            format!(
                "https://crates.io/crates/{}/{}",
                package.name, package.version
            )
        }
        Some(source) if source.is_git() => {
            let rev = source.precise().unwrap_or("");
            format!("git+{}#{rev}", source.url())
        }
        Some(source) => source.url().to_string(),
        None => String::new(),
    }
}

/// Compares one vendored crate with its lock entry.
fn check(
    declared: Option<&str>,
    checksum: &ChecksumFile,
    on_disk: &BTreeMap<String, String>,
) -> Match {
    if let (Some(declared), Some(package)) = (declared, &checksum.package) {
        if declared != package {
            return Match::Mismatch {
                reason: format!(
                    "{CHECKSUM_FILE} `package` is {package}, Cargo.lock declares {declared}"
                ),
            };
        }
    }
    for (file, expected) in &checksum.files {
        match on_disk.get(file) {
            None => {
                return Match::Mismatch {
                    reason: format!("file {file} is missing"),
                }
            }
            Some(actual) if actual != expected => {
                return Match::Mismatch {
                    reason: format!(
                        "file {file} has sha256 {actual}, {CHECKSUM_FILE} lists {expected}"
                    ),
                }
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = on_disk.keys().find(|f| !checksum.files.contains_key(*f)) {
        return Match::Mismatch {
            reason: format!("file {extra} is not listed in {CHECKSUM_FILE}"),
        };
    }
    Match::Match
}

impl Ecosystem for Cargo {
    fn name(&self) -> &'static str {
        "cargo"
    }

    fn detect(&self, root: &Path) -> bool {
        root.join("Cargo.lock").is_file()
    }

    fn discover(&self, root: &Path) -> Result<Vec<Input>> {
        let lock_path = root.join("Cargo.lock");
        let lockfile = cargo_lock::Lockfile::from_str(&read_metadata(&lock_path, "Cargo.lock")?)
            .map_err(|e| Error::Invalid {
                what: "Cargo.lock",
                path: lock_path.display().to_string(),
                reason: e.to_string(),
            })?;
        let vendor = vendor_dir(root)?;
        // Workspace members (no source) are the project, not inputs.
        let packages: Vec<&cargo_lock::Package> = lockfile
            .packages
            .iter()
            .filter(|p| p.source.is_some())
            .collect();
        // Per vendored crate: its package index and checksum file, and (in
        // step) its directory with the files to hash.
        let mut vendored: Vec<(usize, ChecksumFile)> = Vec::new();
        let mut jobs: Vec<(PathBuf, Vec<String>)> = Vec::new();
        for (i, package) in packages.iter().enumerate() {
            let found = match vendor.as_deref() {
                Some(v) => crate_dir(v, package.name.as_str(), &package.version.to_string())?,
                None => None,
            };
            let Some(dir) = found else {
                continue;
            };
            let checksum_path = dir.join(CHECKSUM_FILE);
            let checksum: ChecksumFile =
                serde_json::from_str(&read_metadata(&checksum_path, CHECKSUM_FILE)?).map_err(
                    |e| Error::Invalid {
                        what: CHECKSUM_FILE,
                        path: checksum_path.display().to_string(),
                        reason: e.to_string(),
                    },
                )?;
            let listed: Vec<String> = files(&dir)?
                .into_iter()
                .filter(|f| f != CHECKSUM_FILE)
                .collect();
            vendored.push((i, checksum));
            jobs.push((dir, listed));
        }
        let hashed = hash_dirs(&jobs)?;
        let mut by_package: HashMap<usize, (String, Match, String)> = HashMap::new();
        for (((i, checksum), (dir, _)), on_disk) in vendored.iter().zip(&jobs).zip(&hashed) {
            let declared = packages[*i].checksum.as_ref().map(|c| c.to_string());
            let status = check(declared.as_deref(), checksum, on_disk);
            let relative = dir.strip_prefix(root).unwrap_or(dir).display().to_string();
            by_package.insert(
                *i,
                (format!("dirHash:{}", dir_hash(on_disk)), status, relative),
            );
        }
        Ok(packages
            .iter()
            .enumerate()
            .map(|(i, package)| {
                let (observed, status, path) = match by_package.remove(&i) {
                    Some((hash, status, path)) => (Some(hash), status, Some(path)),
                    None => (None, Match::NotVendored, None),
                };
                Input {
                    name: package.name.to_string(),
                    version: package.version.to_string(),
                    ecosystem: "cargo",
                    purl: format!("pkg:cargo/{}@{}", package.name, package.version),
                    uri: uri_of(package),
                    declared: package.checksum.as_ref().map(|c| format!("sha256:{c}")),
                    observed,
                    status,
                    path,
                    license: None,
                    patches: Vec::new(),
                    categories: Vec::new(),
                    cpe: None,
                    dependencies: Vec::new(),
                    critical: Vec::new(),
                }
            })
            .collect())
    }
}
