//! Cargo: `Cargo.lock` against a `cargo vendor` directory.
//!
//! The vendored directory is the one a `[source.*] directory = "…"` entry
//! of `.cargo/config.toml` names. For each locked package with a source,
//! the vendored crate's `.cargo-checksum.json` must list every file with
//! its SHA-256 (and no file may be unlisted), and its `package` checksum
//! must equal the lockfile's: the same checks cargo makes, plus the
//! unlisted files cargo ignores.
//!
//! Each vendored crate's licence is its `Cargo.toml` `package.license`,
//! kept when it is an SPDX expression (Cargo's old `MIT/Apache-2.0` is
//! read as `MIT OR Apache-2.0`; see [`crate::license`]). A crate with only
//! a `license-file` has no licence recorded: the file's text is not an
//! SPDX expression, and a `LicenseRef-` would name a licence the SBOM does
//! not carry. The manifest is read once per vendored crate, under the
//! metadata size cap; crates that are not vendored have no manifest to
//! read, so their licence is unknown.
//!
//! The dependency graph is Cargo.lock's: each package's `dependencies`,
//! as package URLs. Dependencies on workspace members and path crates (no
//! `source`) are left out, as they are the project, not inputs.
//!
//! A crate that a `[patch]` table (`crates-io`, or a source by its URL; in
//! `.cargo/config.toml` or the root `Cargo.toml`) points at a path outside
//! the project is an input all the same: the build takes it from there (`vouch unbundle --write` patches
//! critical crates onto a distribution's installed packages). Cargo.lock
//! lists it without a source; it is recorded with its crates.io identity
//! and the directory in [`Input::provided`], which discovery never reads
//! (the caller verifies that directory's chain of custody). A patch onto a
//! path inside the project keeps the crate part of the project.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rayon::prelude::*;
use serde::Deserialize;

use crate::input;
use crate::license::spdx_expression;
use crate::tree::{
    dir_hash, excerpt, join_inside, outside, parser_message, toml_message, Listing, Root,
};
use crate::{Ecosystem, Error, Input, Match, Result};

const CHECKSUM_FILE: &str = ".cargo-checksum.json";

/// The Cargo ecosystem.
pub struct Cargo;

#[derive(Deserialize)]
struct ChecksumFile {
    files: BTreeMap<String, String>,
    package: Option<String>,
}

/// The project's cargo configuration, `.cargo/config.toml` (or the older
/// `.cargo/config`), parsed, when it has one.
fn cargo_config(root: &Root) -> Result<Option<toml::Table>> {
    match [".cargo/config.toml", ".cargo/config"]
        .into_iter()
        .find(|name| root.has(name))
    {
        Some(name) => toml_file(root, name, "cargo config").map(Some),
        None => Ok(None),
    }
}

/// The TOML file `name` of the project, parsed (`what` names it in errors).
fn toml_file(root: &Root, name: &str, what: &'static str) -> Result<toml::Table> {
    let path = root.path().join(name);
    root.read_metadata(&path, what)?
        .parse()
        .map_err(|e: toml::de::Error| Error::Invalid {
            what,
            path: path.display().to_string(),
            reason: toml_message(&e),
        })
}

/// The vendor directory the cargo configuration names.
fn vendor_dir(root: &Root, config: Option<&toml::Table>) -> Result<Option<PathBuf>> {
    if let Some(table) = config {
        let dirs = table
            .get("source")
            .and_then(|s| s.as_table())
            .into_iter()
            .flat_map(|sources| sources.values())
            .filter_map(|source| source.get("directory").and_then(|d| d.as_str()));
        if let Some(dir) = dirs.into_iter().next() {
            return Ok(Some(join_inside(root.path(), dir)?));
        }
    }
    Ok(None)
}

/// The crates a `[patch]` table (`crates-io`, or any source by its URL)
/// points at a directory outside the project, in the cargo configuration
/// and the root `Cargo.toml`: crate
/// name to the directories, absolute and lexically normal (never
/// resolved: discovery does not leave the project). Relative paths are the
/// project's, as Cargo reads both files at its root. A patch's `package`
/// key renames it, as in Cargo, so one crate may be patched onto several
/// directories (one per version); a key patched in both files is the
/// configuration's, as in Cargo.
fn provided(root: &Root, config: Option<&toml::Table>) -> Result<BTreeMap<String, Vec<String>>> {
    let manifest = match root.has("Cargo.toml") {
        true => Some(toml_file(root, "Cargo.toml", "Cargo.toml")?),
        false => None,
    };
    let mut by_key = BTreeMap::new();
    let tables = [config, manifest.as_ref()];
    // Every patched source: Cargo names crates.io `crates-io` or by its
    // index URL, and a git source or another registry by theirs.
    let patches = tables
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("patch")?.as_table())
        .flat_map(|sources| sources.iter())
        .filter_map(|(source, t)| Some((source, t.as_table()?)))
        .flat_map(|(source, t)| t.iter().map(move |(key, patch)| (source, key, patch)));
    for (source, key, patch) in patches {
        let Some(path) = patch.get("path").and_then(toml::Value::as_str) else {
            continue;
        };
        let name = patch
            .get("package")
            .and_then(toml::Value::as_str)
            .unwrap_or(key);
        by_key
            .entry((source.clone(), key.clone()))
            .or_insert_with(|| (name.to_owned(), outside(root, path)));
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, dir) in by_key.into_values() {
        if let Some(dir) = dir {
            let dirs = out.entry(name).or_default();
            dirs.push(dir);
            dirs.sort();
            dirs.dedup();
        }
    }
    Ok(out)
}

/// The directory of `provided` (a crate's patch directories) that locked
/// version `version` of crate `name` comes from, or why it cannot be told:
/// the one named as the distribution names a crate's directory
/// (`<name>-<version>`, `/usr/share/cargo/registry/flate2-1.0.25`). A
/// directory of another crate or version is never taken for it: its chain
/// of custody would verify while the build reads an unchecked directory,
/// or the record would name another crate's build.
fn provided_dir<'d>(
    name: &str,
    version: &str,
    dirs: &'d [String],
) -> std::result::Result<&'d str, String> {
    let wanted = format!("{name}-{version}");
    let named: Vec<&String> = dirs
        .iter()
        .filter(|d| Path::new(d.as_str()).file_name() == Some(wanted.as_ref()))
        .collect();
    match named[..] {
        [one] => Ok(one),
        _ => Err(format!(
            "crate {name} {version} is patched onto {} outside the project ({}), none of them \
             named {wanted} as a distribution names the crate's directory",
            if dirs.len() == 1 {
                "a directory"
            } else {
                "directories"
            },
            dirs.join(", ")
        )),
    }
}

/// One vendored crate's directory, the licence its manifest declares, and
/// its files.
struct Vendored {
    dir: PathBuf,
    license: Option<String>,
    files: Vec<String>,
}

/// What [`crate_dir`] finds for one locked crate.
enum Found {
    /// Not vendored (or another version is, under the plain name).
    No,
    /// Vendored here.
    Crate(Vendored),
    /// Its directory (or a file in it) resolves outside the project, or
    /// holds a name the directory hash cannot carry: the mismatch reason.
    Refused(String),
}

/// What [`vendored`] finds for one locked crate: [`Found`], with the
/// checksum file read.
enum Checked {
    /// Not vendored.
    No,
    /// Vendored, with its checksum file.
    Crate(Vendored, ChecksumFile),
    /// Cannot be checked: the mismatch reason.
    Refused(String),
}

/// The `package` table of a vendored `Cargo.toml`, parsed once.
fn manifest(root: &Root, path: &Path) -> Result<toml::Table> {
    let invalid = |reason: String| Error::Invalid {
        what: "vendored Cargo.toml",
        path: path.display().to_string(),
        reason,
    };
    let mut table: toml::Table = root
        .read_metadata(path, "vendored Cargo.toml")?
        .parse()
        .map_err(|e: toml::de::Error| invalid(toml_message(&e)))?;
    match table.remove("package") {
        Some(toml::Value::Table(package)) => Ok(package),
        _ => Err(invalid("has no [package] table".into())),
    }
}

/// The licence a `package` table declares, if it is an SPDX expression.
fn license_of(package: &toml::Table) -> Option<String> {
    package
        .get("license")
        .and_then(|l| l.as_str())
        .and_then(spdx_expression)
}

/// The vendored directory of `name` `version`: `name-version`, or `name`
/// when its Cargo.toml has that version. A `name` directory whose
/// Cargo.toml cannot be read is an error, not "not vendored": a broken
/// vendored crate must not pass unnoticed. Under `name-version`, a
/// manifest that cannot be read only leaves the licence unknown: the file
/// checks against `.cargo-checksum.json` report the damage, naming the
/// file.
fn crate_dir(root: &Root, vendor: &Path, name: &str, version: &str) -> Result<Found> {
    let versioned = vendor.join(format!("{name}-{version}"));
    match root.vendored(&versioned)? {
        Listing::Refused(reason) => return Ok(Found::Refused(reason)),
        Listing::Files(files) => {
            let license = manifest(root, &versioned.join("Cargo.toml"))
                .ok()
                .as_ref()
                .and_then(license_of);
            return Ok(Found::Crate(Vendored {
                dir: versioned,
                license,
                files,
            }));
        }
        Listing::Missing => {}
    }
    let plain = vendor.join(name);
    let files = match root.vendored(&plain)? {
        Listing::Refused(reason) => return Ok(Found::Refused(reason)),
        Listing::Missing => return Ok(Found::No),
        Listing::Files(files) => files,
    };
    let manifest_path = plain.join("Cargo.toml");
    let package = manifest(root, &manifest_path)?;
    let found = package
        .get("version")
        .and_then(|v| v.as_str())
        .ok_or_else(|| Error::Invalid {
            what: "vendored Cargo.toml",
            path: manifest_path.display().to_string(),
            reason: "has no package.version".into(),
        })?;
    // Another version of the crate may be vendored under the plain name.
    if found != version {
        return Ok(Found::No);
    }
    Ok(Found::Crate(Vendored {
        license: license_of(&package),
        dir: plain,
        files,
    }))
}

/// The package URL of crate `name` at `version`.
fn purl(name: &str, version: &str) -> Result<String> {
    input::purl("cargo", None, name, Some(version), &[])
}

/// The package URLs of the inputs `package` depends on directly, sorted:
/// registry and git crates, and crates `provided` from outside the
/// project, not workspace members or path crates.
fn dependencies_of(
    package: &cargo_lock::Package,
    provided: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<String>> {
    let mut purls: Vec<String> = package
        .dependencies
        .iter()
        .filter(|d| d.source.is_some() || provided.contains_key(d.name.as_str()))
        .map(|d| purl(d.name.as_str(), &d.version.to_string()))
        .collect::<Result<_>>()?;
    purls.sort();
    purls.dedup();
    Ok(purls)
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

    fn detect(&self, root: &Root) -> bool {
        root.has("Cargo.lock")
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        let lock_path = root.path().join("Cargo.lock");
        let lockfile = lock(&root.read_metadata(&lock_path, "Cargo.lock")?, &lock_path)?;
        let config = cargo_config(root)?;
        let provided = provided(root, config.as_ref())?;
        let mut inputs = lockfile
            .packages
            .iter()
            .filter(|p| p.source.is_some())
            .map(|p| declared(p, &provided))
            .collect::<Result<Vec<_>>>()?;
        let vendor = vendor_dir(root, config.as_ref())?;
        // Per package, in parallel: its vendored directory (with licence),
        // checksum file and the files to hash, if vendored.
        let found: Vec<Option<(Vendored, ChecksumFile)>> = match vendor.as_deref() {
            Some(v) => inputs
                .par_iter()
                .map(|input| vendored(root, v, &input.name, &input.version))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .zip(inputs.iter_mut())
                .map(|(found, input)| match found {
                    Checked::No => None,
                    Checked::Crate(found, checksum) => Some((found, checksum)),
                    Checked::Refused(reason) => {
                        input.status = Match::Mismatch { reason };
                        None
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        // Per vendored crate: its package index, licence and checksum file,
        // and (in step) its directory with the files to hash.
        let mut checked: Vec<(usize, Option<String>, ChecksumFile)> = Vec::new();
        let mut jobs: Vec<(PathBuf, Vec<String>)> = Vec::new();
        for (i, crate_found) in found.into_iter().enumerate() {
            if let Some((
                Vendored {
                    dir,
                    license,
                    files,
                },
                checksum,
            )) = crate_found
            {
                checked.push((i, license, checksum));
                jobs.push((dir, files));
            }
        }
        let hashed = root.hash_dirs(&jobs)?;
        for (((i, license, checksum), (dir, _)), on_disk) in
            checked.into_iter().zip(&jobs).zip(&hashed)
        {
            let input = &mut inputs[i];
            let lock_checksum = input
                .declared
                .as_deref()
                .and_then(|d| d.strip_prefix("sha256:"));
            input.status = check(lock_checksum, &checksum, on_disk);
            input.observed = Some(format!("dirHash:{}", dir_hash(on_disk)));
            input.path = Some(
                dir.strip_prefix(root.path())
                    .unwrap_or(dir)
                    .display()
                    .to_string(),
            );
            input.license = license;
        }
        // Crates patched onto a directory outside the project: inputs with
        // their crates.io identity, the directory left to the caller.
        let outside = lockfile
            .packages
            .iter()
            .filter(|p| p.source.is_none() && provided.contains_key(p.name.as_str()));
        for package in outside {
            let name = package.name.as_str();
            let version = package.version.to_string();
            let mut input = declared(package, &provided)?;
            input.uri = format!("https://crates.io/crates/{name}/{version}");
            match provided_dir(name, &version, &provided[name]) {
                Ok(dir) => input.provided = Some(dir.to_owned()),
                Err(reason) => input.status = Match::Mismatch { reason },
            }
            inputs.push(input);
        }
        Ok(inputs)
    }
}

/// The inputs a `Cargo.lock` declares (`text`; `path` names it in errors):
/// every locked package with a source, as a not-vendored input, in lockfile
/// order. Workspace members and path crates (no source) are the project,
/// not inputs. [`Cargo`] reads the lockfile and checks these against the
/// vendor directory; this exists for that, for fuzzing, and for callers
/// that hold the lockfile's bytes.
pub fn locked_inputs(text: &str, path: &Path) -> Result<Vec<Input>> {
    lock(text, path)?
        .packages
        .iter()
        .filter(|p| p.source.is_some())
        .map(|p| declared(p, &BTreeMap::new()))
        .collect()
}

/// The lockfile `text` (read at `path`), parsed, with its checksums and
/// package names checked.
fn lock(text: &str, path: &Path) -> Result<cargo_lock::Lockfile> {
    let invalid = |reason: String| Error::Invalid {
        what: "Cargo.lock",
        path: path.display().to_string(),
        reason,
    };
    check_checksums(text).map_err(invalid)?;
    let lockfile = cargo_lock::Lockfile::from_str(text).map_err(|e| invalid(parser_message(&e)))?;
    for package in &lockfile.packages {
        check_name(package).map_err(invalid)?;
    }
    Ok(lockfile)
}

/// Refuses a checksum that is not ASCII, in `[[package]]` (lockfile v2
/// and later) or `[metadata]` (v1), before cargo-lock reads it: cargo-lock
/// 11.1.0 slices a checksum by bytes and panics on one of 64 bytes that
/// holds a multi-byte character (rustsec/rustsec#1689, fixed upstream after
/// that release). Every other malformed checksum is cargo-lock's to refuse
/// (or, in v1 metadata, where `<none>` is usual, to ignore).
fn check_checksums(text: &str) -> std::result::Result<(), String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| toml_message(&e))?;
    let ascii = |value: &toml::Value| value.as_str().is_none_or(str::is_ascii);
    let packages = table.get("package").and_then(toml::Value::as_array);
    for (i, package) in packages.into_iter().flatten().enumerate() {
        if package.get("checksum").is_some_and(|c| !ascii(c)) {
            return Err(format!("package[{i}].checksum is not ASCII hex"));
        }
    }
    let metadata = table.get("metadata").and_then(toml::Value::as_table);
    for (key, value) in metadata.into_iter().flatten() {
        if key.starts_with("checksum ") && !ascii(value) {
            return Err(format!("metadata \"{}\" is not ASCII hex", excerpt(key)));
        }
    }
    Ok(())
}

/// The longest crate name crates.io accepts.
const MAX_CRATE_NAME: usize = 64;

/// Refuses a package name cargo would not accept, before it is joined
/// under the vendor directory (`../../outside/othercrate` would climb out
/// of it). A crates.io crate has crates.io's rules: ASCII letters, digits,
/// `-` and `_`, starting with a letter, at most [`MAX_CRATE_NAME`]
/// characters. A git, path or other-registry crate has cargo's own, which
/// also allow other Unicode letters and digits and a leading `_`, under
/// the same length bound. Either way no `/`, `\`, `.` or control
/// character can be in a name.
fn check_name(package: &cargo_lock::Package) -> std::result::Result<(), String> {
    let name = package.name.as_str();
    let crates_io = package
        .source
        .as_ref()
        .is_some_and(cargo_lock::SourceId::is_default_registry);
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| {
        if crates_io {
            c.is_ascii_alphabetic()
        } else {
            c.is_alphabetic() || c == '_'
        }
    });
    let rest_ok = chars.all(|c| {
        c == '-'
            || c == '_'
            || if crates_io {
                c.is_ascii_alphanumeric()
            } else {
                c.is_alphanumeric()
            }
    });
    if first_ok && rest_ok && name.chars().count() <= MAX_CRATE_NAME {
        return Ok(());
    }
    Err(format!(
        "package name \"{}\" is not a crate name (letters, digits, `-` and `_`, starting \
         with a letter, at most {MAX_CRATE_NAME} characters)",
        excerpt(name)
    ))
}

/// A locked package as a not-vendored input: what Cargo.lock alone says
/// about it (its graph with the crates `provided` from outside).
fn declared(
    package: &cargo_lock::Package,
    provided: &BTreeMap<String, Vec<String>>,
) -> Result<Input> {
    let (name, version) = (package.name.as_str(), package.version.to_string());
    let mut input = Input::declared(
        "cargo",
        name,
        version.as_str(),
        purl(name, &version)?,
        uri_of(package),
    );
    input.declared = package.checksum.as_ref().map(|c| format!("sha256:{c}"));
    input.dependencies = dependencies_of(package, provided)?;
    Ok(input)
}

/// Finds crate `name` `version` under `vendor` and reads what checking it
/// needs: its checksum file and the files to hash (all but that one).
fn vendored(root: &Root, vendor: &Path, name: &str, version: &str) -> Result<Checked> {
    let mut found = match crate_dir(root, vendor, name, version)? {
        Found::No => return Ok(Checked::No),
        Found::Refused(reason) => return Ok(Checked::Refused(reason)),
        Found::Crate(found) => found,
    };
    let checksum_path = found.dir.join(CHECKSUM_FILE);
    let checksum: ChecksumFile =
        serde_json::from_str(&root.read_metadata(&checksum_path, CHECKSUM_FILE)?).map_err(|e| {
            Error::Invalid {
                what: CHECKSUM_FILE,
                path: checksum_path.display().to_string(),
                reason: parser_message(&e),
            }
        })?;
    found.files.retain(|f| f != CHECKSUM_FILE);
    Ok(Checked::Crate(found, checksum))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTRY: &str = "registry+https://github.com/rust-lang/crates.io-index";

    /// Vendors a crate under `dir` with `manifest` as its only file and a
    /// checksum file listing it, with `package` as the package checksum.
    fn vendor(dir: &Path, manifest: &str, package: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        let sha = vouch_evidence::digest::sha256(manifest.as_bytes()).hex();
        std::fs::write(
            dir.join(CHECKSUM_FILE),
            format!(r#"{{"files":{{"Cargo.toml":"{sha}"}},"package":"{package}"}}"#),
        )
        .unwrap();
    }

    /// A project whose registry crate `a` depends on the registry crate
    /// `c` and on `b`, patched to a path crate; `a` is vendored as
    /// `a-1.0.0`, `c` under its plain name, `d` not at all.
    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (a, c, d_sum) = ("a".repeat(64), "c".repeat(64), "d".repeat(64));
        std::fs::write(
            d.join("Cargo.lock"),
            format!(
                "version = 4\n\n\
                 [[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{REGISTRY}\"\n\
                 checksum = \"{a}\"\ndependencies = [\n \"b\",\n \"c\",\n]\n\n\
                 [[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
                 dependencies = [\n \"a\",\n \"d\",\n]\n\n\
                 [[package]]\nname = \"b\"\nversion = \"0.1.0\"\n\n\
                 [[package]]\nname = \"c\"\nversion = \"3.0.0+build.1\"\nsource = \"{REGISTRY}\"\n\
                 checksum = \"{c}\"\n\n\
                 [[package]]\nname = \"d\"\nversion = \"4.0.0\"\nsource = \"{REGISTRY}\"\n\
                 checksum = \"{d_sum}\"\ndependencies = [\n \"c\",\n]\n"
            ),
        )
        .unwrap();
        std::fs::create_dir_all(d.join(".cargo")).unwrap();
        std::fs::write(
            d.join(".cargo/config.toml"),
            "[source.vendored]\ndirectory = \"vendor\"\n",
        )
        .unwrap();
        vendor(
            &d.join("vendor/a-1.0.0"),
            "[package]\nname = \"a\"\nversion = \"1.0.0\"\nlicense = \"MIT/Apache-2.0\"\n",
            &a,
        );
        vendor(
            &d.join("vendor/c"),
            "[package]\nname = \"c\"\nversion = \"3.0.0+build.1\"\nlicense-file = \"LICENSE\"\n",
            &c,
        );
        dir
    }

    #[test]
    fn licences_come_from_vendored_manifests_and_the_graph_from_the_lockfile() {
        let dir = project();
        let inputs = Cargo.discover(&Root::new(dir.path()).unwrap()).unwrap();
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["a", "c", "d"], "path crates are not inputs");
        let (a, c, d) = (&inputs[0], &inputs[1], &inputs[2]);
        assert_eq!(a.status, Match::Match, "{a:?}");
        assert_eq!(a.path.as_deref(), Some("vendor/a-1.0.0"));
        // Cargo's old `/` is SPDX `OR`.
        assert_eq!(a.license.as_deref(), Some("MIT OR Apache-2.0"));
        // The path crate `b` is the project, not an input: no edge to it.
        assert_eq!(a.dependencies, ["pkg:cargo/c@3.0.0%2Bbuild.1"]);
        assert_eq!(c.status, Match::Match, "{c:?}");
        assert_eq!(c.purl, "pkg:cargo/c@3.0.0%2Bbuild.1");
        assert_eq!(c.license, None, "a licence file is not an SPDX expression");
        assert!(c.dependencies.is_empty());
        // Not vendored: no manifest to read, but the graph is the lock's.
        assert_eq!(d.status, Match::NotVendored);
        assert_eq!(d.license, None);
        assert_eq!(d.dependencies, ["pkg:cargo/c@3.0.0%2Bbuild.1"]);
    }

    #[test]
    fn a_licence_that_is_not_an_spdx_expression_is_not_recorded() {
        let dir = project();
        let manifest = "[package]\nname = \"a\"\nversion = \"1.0.0\"\nlicense = \"Apache 2\"\n";
        vendor(
            &dir.path().join("vendor/a-1.0.0"),
            manifest,
            &"a".repeat(64),
        );
        let inputs = Cargo.discover(&Root::new(dir.path()).unwrap()).unwrap();
        assert_eq!(inputs[0].status, Match::Match, "{:?}", inputs[0]);
        assert_eq!(inputs[0].license, None);
    }

    #[test]
    fn a_broken_manifest_under_name_version_is_a_mismatch_naming_it() {
        let dir = project();
        let manifest = dir.path().join("vendor/a-1.0.0/Cargo.toml");
        std::fs::write(&manifest, "[package\n").unwrap();
        let inputs = Cargo.discover(&Root::new(dir.path()).unwrap()).unwrap();
        assert!(
            matches!(&inputs[0].status,
                Match::Mismatch { reason } if reason.starts_with("file Cargo.toml has sha256")),
            "{:?}",
            inputs[0]
        );
        assert_eq!(inputs[0].license, None);
        // Under the plain name the manifest gives the version: an error.
        std::fs::write(dir.path().join("vendor/c/Cargo.toml"), "[package\n").unwrap();
        let err = Cargo
            .discover(&Root::new(dir.path()).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid vendored Cargo.toml"), "{err}");
    }

    #[test]
    fn a_crate_patched_outside_the_project_is_a_provided_input() {
        let dir = project();
        let d = dir.path();
        let config = "[source.vendored]\ndirectory = \"vendor\"\n\n\
                      [patch.crates-io]\nb = { path = \"/usr/share/cargo/registry/./b-0.1.0\" }\n";
        std::fs::write(d.join(".cargo/config.toml"), config).unwrap();
        let inputs = Cargo.discover(&Root::new(d).unwrap()).unwrap();
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["a", "c", "d", "b"]);
        let b = &inputs[3];
        assert_eq!(b.purl, "pkg:cargo/b@0.1.0");
        assert_eq!(b.uri, "https://crates.io/crates/b/0.1.0");
        assert_eq!(b.status, Match::NotVendored);
        assert_eq!(b.declared, None);
        assert_eq!(b.observed, None);
        assert_eq!(
            b.provided.as_deref(),
            Some("/usr/share/cargo/registry/b-0.1.0")
        );
        // The graph now has the edge to it.
        assert_eq!(
            inputs[0].dependencies,
            ["pkg:cargo/b@0.1.0", "pkg:cargo/c@3.0.0%2Bbuild.1"]
        );
        // The root Cargo.toml's patch, relative, climbing out: the same.
        std::fs::write(
            d.join(".cargo/config.toml"),
            "[source.vendored]\ndirectory = \"vendor\"\n",
        )
        .unwrap();
        std::fs::write(
            d.join("Cargo.toml"),
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n\
             [patch.crates-io]\nbee = { path = \"../elsewhere/b-0.1.0\", package = \"b\" }\n",
        )
        .unwrap();
        let inputs = Cargo.discover(&Root::new(d).unwrap()).unwrap();
        let outside = d
            .canonicalize()
            .unwrap()
            .parent()
            .unwrap()
            .join("elsewhere/b-0.1.0");
        assert_eq!(
            inputs[3].provided.as_deref(),
            Some(outside.to_str().unwrap())
        );
    }

    /// Two `[patch]` entries can give Cargo two versions of one crate
    /// from two directories (`flate2_0_2 = { path = ..., package =
    /// "flate2" }`): each locked version must be traced to its own
    /// directory, never to the other one's (whose chain would verify while
    /// the build reads an unchecked directory).
    #[test]
    fn regression_issue_16_two_patches_of_one_crate_are_not_confused() {
        let dir = project();
        let d = dir.path();
        let lock = std::fs::read_to_string(d.join("Cargo.lock")).unwrap();
        std::fs::write(
            d.join("Cargo.lock"),
            format!("{lock}\n[[package]]\nname = \"b\"\nversion = \"0.2.7\"\n"),
        )
        .unwrap();
        let config = "[source.vendored]\ndirectory = \"vendor\"\n\n\
                      [patch.crates-io]\nb = { path = \"/usr/share/cargo/registry/b-0.1.0\" }\n\
                      b_old = { path = \"/tmp/elsewhere/b\", package = \"b\" }\n";
        std::fs::write(d.join(".cargo/config.toml"), config).unwrap();
        let inputs = Cargo.discover(&Root::new(d).unwrap()).unwrap();
        let b: Vec<&Input> = inputs.iter().filter(|i| i.name == "b").collect();
        assert_eq!(b.len(), 2, "{inputs:?}");
        let (new, old) = (b[0], b[1]);
        assert_eq!(new.version, "0.1.0");
        assert_eq!(
            new.provided.as_deref(),
            Some("/usr/share/cargo/registry/b-0.1.0")
        );
        assert_eq!(old.version, "0.2.7");
        assert_ne!(
            old.provided.as_deref(),
            Some("/usr/share/cargo/registry/b-0.1.0"),
            "0.2.7 is not in b-0.1.0"
        );
        assert!(
            matches!(&old.status, Match::Mismatch { reason }
                if reason.contains("/tmp/elsewhere/b") && reason.contains("b-0.1.0")),
            "{old:?}"
        );
        // One patch, onto the directory of another crate: not this one's.
        let config = "[source.vendored]\ndirectory = \"vendor\"\n\n\
                      [patch.crates-io]\nb = { path = \"/usr/share/cargo/registry/c-3.0.0\" }\n";
        std::fs::write(d.join(".cargo/config.toml"), config).unwrap();
        let inputs = Cargo.discover(&Root::new(d).unwrap()).unwrap();
        for b in inputs.iter().filter(|i| i.name == "b") {
            assert_eq!(b.provided, None, "{b:?}");
            assert!(
                matches!(&b.status, Match::Mismatch { reason } if reason.contains("c-3.0.0")),
                "{b:?}"
            );
        }
    }

    /// Cargo takes a `[patch]` table by the URL of the source it patches
    /// as well as by registry name: crates.io patched as
    /// `[patch."https://github.com/rust-lang/crates.io-index"]` (or a git
    /// source patched) onto a directory outside the project is an input
    /// all the same, never left out as if it were the project.
    #[test]
    fn regression_issue_16_a_patch_by_source_url_is_an_input() {
        let dir = project();
        let d = dir.path();
        for table in [
            "\"https://github.com/rust-lang/crates.io-index\"",
            "\"https://github.com/example/b\"",
        ] {
            let config = format!(
                "[source.vendored]\ndirectory = \"vendor\"\n\n\
                 [patch.{table}]\nb = {{ path = \"/usr/share/cargo/registry/b-0.1.0\" }}\n"
            );
            std::fs::write(d.join(".cargo/config.toml"), config).unwrap();
            let inputs = Cargo.discover(&Root::new(d).unwrap()).unwrap();
            let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
            assert_eq!(names, ["a", "c", "d", "b"], "{table}");
            assert_eq!(
                inputs[3].provided.as_deref(),
                Some("/usr/share/cargo/registry/b-0.1.0"),
                "{table}"
            );
        }
    }

    #[test]
    fn a_crate_patched_inside_the_project_stays_the_project() {
        let dir = project();
        let d = dir.path();
        let absolute = d.canonicalize().unwrap().join("crates/b");
        for path in ["crates/b", "./crates/../b", absolute.to_str().unwrap()] {
            std::fs::write(
                d.join("Cargo.toml"),
                format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[patch.crates-io]\nb = {{ path = \"{path}\" }}\n"),
            )
            .unwrap();
            let inputs = Cargo.discover(&Root::new(d).unwrap()).unwrap();
            let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
            assert_eq!(names, ["a", "c", "d"], "{path}");
        }
    }

    /// Found by fuzzing (fuzz/seeds/cargo_lock/crash-non-ascii-checksum):
    /// a checksum of 64 bytes that are not 64 characters made cargo-lock
    /// slice inside a character and panic.
    #[test]
    fn regression_issue_8_fuzz_non_ascii_checksum() {
        let checksum = format!("{}\u{15d}{}", "a".repeat(25), "b".repeat(37));
        assert_eq!(checksum.len(), 64);
        let locks = [
            format!("version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{REGISTRY}\"\nchecksum = \"{checksum}\"\n"),
            format!("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"{REGISTRY}\"\n[metadata]\n\"checksum a 1.0.0 ({REGISTRY})\" = \"{checksum}\"\n"),
            "[[package]]\nchecksum = \"ddc6f9cc9\u{45b}67c0e21af7eda3a010fd3af78ebf6e096aa6e2e13c79749cce400\"\n".into(),
        ];
        for lock in locks {
            let err = locked_inputs(&lock, Path::new("Cargo.lock"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("invalid Cargo.lock") && err.contains("is not ASCII hex"),
                "{err}"
            );
        }
    }

    #[test]
    fn regression_issue_9_cargo_lock_names_are_crate_names() {
        let lock = |name: &str, source: &str| {
            format!(
                "version = 3\n\n[[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\n\
                 source = \"{source}\"\n"
            )
        };
        let git = "git+https://example.com/x.git#0123456789abcdef0123456789abcdef01234567";
        for name in [
            "../../outside/othercrate",
            "a/b",
            "a\\\\b",
            "..",
            ".hidden",
            "1abc",
            "-a",
        ] {
            for source in [REGISTRY, git] {
                let err = locked_inputs(&lock(name, source), Path::new("Cargo.lock"))
                    .unwrap_err()
                    .to_string();
                assert!(err.contains("is not a crate name"), "{name}: {err}");
            }
        }
        let long = "a".repeat(MAX_CRATE_NAME + 1);
        assert!(locked_inputs(&lock(&long, REGISTRY), Path::new("Cargo.lock")).is_err());
        // crates.io is ASCII and starts with a letter; cargo allows more
        // for git crates.
        assert!(locked_inputs(&lock("_x", REGISTRY), Path::new("Cargo.lock")).is_err());
        assert!(locked_inputs(&lock("_x", git), Path::new("Cargo.lock")).is_ok());
        assert!(locked_inputs(&lock("café", git), Path::new("Cargo.lock")).is_ok());
        assert!(locked_inputs(&lock("café", REGISTRY), Path::new("Cargo.lock")).is_err());
        // Negative control.
        let name = "a".repeat(MAX_CRATE_NAME);
        assert!(locked_inputs(&lock(&name, REGISTRY), Path::new("Cargo.lock")).is_ok());
        assert!(locked_inputs(&lock("serde_json-x2", REGISTRY), Path::new("Cargo.lock")).is_ok());
    }
}
