//! Unbundling a vendored Cargo project onto Debian's Rust crates.
//!
//! Planning ([`plan`]): the candidates for a crate are the verified
//! archive's packages that carry it (`vouch_unbundle::cargo::carries`); the
//! project's requirements on it are those of every vendored crate's
//! `Cargo.toml` (dependencies, build- and dev-dependencies, target tables,
//! renamed dependencies by their `package`) and of the workspace members
//! (as `cargo metadata --no-deps` reads them, workspace inheritance
//! resolved). A swap also needs the package installed
//! (`/usr/share/cargo/registry/<crate>-<version>` under the distribution
//! root, holding that version) and every feature the project enables on
//! the crate defined by Debian's `Cargo.toml`.
//!
//! Writing ([`write`]): `[patch.crates-io]` entries in the project's
//! `.cargo/config.toml` (the file keeps its formatting and comments), then
//! Cargo itself updates the lockfile, offline; each swapped crate must then
//! be locked without a source at Debian's version, and `cargo metadata
//! --locked` must accept the project. Anything failing restores both files
//! to their exact previous bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};
use semver::{Version, VersionReq};
use vouch_attest::{Input, Root};
use vouch_unbundle::cargo::{require_features, upstream_version};
use vouch_unbundle::{Action, Candidate, Step};

use super::journal::{all_or_nothing, Journal};
use super::{installed, swaps, Archive, Planned, Target};
use crate::args::AptArgs;

/// Where Debian's Rust team installs each crate's source.
pub(crate) const REGISTRY: &str = "/usr/share/cargo/registry";
/// The origin discovery gives a crates.io crate: only these can be
/// replaced through `[patch.crates-io]`.
const CRATES_IO: &str = "https://crates.io/crates/";
/// The config files Cargo reads in a project's `.cargo/`, in its order.
const CONFIGS: [&str; 2] = [".cargo/config.toml", ".cargo/config"];

/// What one dependency entry asks of a crate.
struct Wanted {
    req: VersionReq,
    features: Vec<String>,
}

/// Plans each Cargo input of `dir` against the verified `archive`.
pub fn plan(
    dir: &Path,
    inputs: &[Input],
    archive: &Archive,
    apt: &AptArgs,
) -> Result<Vec<Planned>> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let root = Root::new(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let wanted = requirements(dir, &root)?;
    let candidates = archive.candidates(|_| true);
    // An installed package is weighed at its installed version: the swap
    // takes its files, whichever build put them there.
    let versions = super::installed_versions(apt)?;
    let mut swapped = BTreeSet::new();
    let mut planned = Vec::new();
    for input in inputs {
        let mut carriers: Vec<Candidate> = candidates
            .iter()
            .filter(|c| vouch_unbundle::cargo::carries(&c.package, &input.name))
            .cloned()
            .collect();
        if let Some(reason) = super::go::unlisted(&mut carriers, &versions) {
            planned.push(Planned {
                ecosystem: "cargo",
                step: keep(input, reason),
                target: None,
            });
            continue;
        }
        let (step, target) = plan_one(input, &wanted, &carriers, apt, &swapped)?;
        if step.action == Action::Swap {
            swapped.insert(input.name.clone());
        }
        planned.push(Planned {
            ecosystem: "cargo",
            step,
            target,
        });
    }
    Ok(planned)
}

/// A step that keeps `input`, saying why.
fn keep(input: &Input, reason: String) -> Step {
    Step::keep(&input.name, &input.version, reason)
}

/// The plan for one input, and with a swap where its files are.
fn plan_one(
    input: &Input,
    wanted: &BTreeMap<String, Vec<Wanted>>,
    candidates: &[Candidate],
    apt: &AptArgs,
    swapped: &BTreeSet<String>,
) -> Result<(Step, Option<Target>)> {
    if !input.uri.starts_with(CRATES_IO) {
        return Ok((
            keep(
                input,
                format!(
                    "not from crates.io ({}): [patch.crates-io] cannot replace it",
                    input.uri
                ),
            ),
            None,
        ));
    }
    if swapped.contains(&input.name) {
        return Ok((
            keep(
                input,
                "another version of the crate is swapped already ([patch.crates-io] holds one \
                 per crate)"
                    .into(),
            ),
            None,
        ));
    }
    let applicable: Vec<&Wanted> = match Version::parse(&input.version) {
        Ok(locked) => wanted
            .get(&input.name)
            .into_iter()
            .flatten()
            .filter(|w| w.req.matches(&locked))
            .collect(),
        Err(_) => Vec::new(),
    };
    let reqs: Vec<VersionReq> = applicable.iter().map(|w| w.req.clone()).collect();
    let mut step = vouch_unbundle::cargo::plan(&input.name, &input.version, &reqs, candidates);
    if step.action != Action::Swap {
        return Ok((step, None));
    }
    let (Some(package), Some(package_version)) =
        (step.package.clone(), step.package_version.clone())
    else {
        return Ok((step, None));
    };
    let Some(upstream) = upstream_version(&package_version) else {
        return Ok((step, None));
    };
    // Debian names the directory by the version without build metadata
    // (`+dfsg`), and so does the crate's own Cargo.toml.
    let mut bare = upstream.clone();
    bare.build = semver::BuildMetadata::EMPTY;
    let dir = installed(
        apt,
        &Path::new(REGISTRY).join(format!("{}-{bare}", input.name)),
    );
    let not_installed = |why: String| {
        let reason = format!("not installed: apt-get install {package} ({why})");
        Ok((step.clone().kept(reason), None))
    };
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return not_installed(format!("no {}", manifest.display()));
    }
    let debian = read_manifest(&manifest)?;
    let field = |name: &str| {
        debian
            .get("package")
            .and_then(|p| p.get(name))
            .and_then(toml::Value::as_str)
    };
    let same_version = field("version")
        .and_then(|v| Version::parse(v).ok())
        .is_some_and(|v| v.cmp_precedence(&bare).is_eq());
    if field("name") != Some(input.name.as_str()) || !same_version {
        return not_installed(format!(
            "{} is not {} {bare}",
            manifest.display(),
            input.name
        ));
    }
    step = require_features(
        step,
        applicable
            .iter()
            .flat_map(|w| w.features.iter().map(String::as_str)),
        &offered_features(&debian),
    );
    step.patches = patches(&dir)?;
    if step.action != Action::Swap {
        return Ok((step, None));
    }
    let dir = std::path::absolute(&dir)
        .with_context(|| format!("cannot make {} absolute", dir.display()))?;
    Ok((
        step,
        Some(Target {
            dir,
            package,
            version: package_version,
        }),
    ))
}

/// Reads a distribution file's `Cargo.toml` (capped, UTF-8).
fn read_manifest(path: &Path) -> Result<toml::Table> {
    let text = vouch_attest::tree::read_metadata(path, "Cargo.toml")?;
    text.parse()
        .with_context(|| format!("invalid Cargo.toml {}", path.display()))
}

/// The features a manifest defines: its `[features]` and its optional
/// dependencies (each an implicit feature).
fn offered_features(manifest: &toml::Table) -> BTreeSet<String> {
    let mut offered: BTreeSet<String> = manifest
        .get("features")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|f| f.keys().cloned())
        .collect();
    for (name, entry) in dependency_entries(manifest) {
        if entry.get("optional").and_then(toml::Value::as_bool) == Some(true) {
            offered.insert(name.to_string());
        }
    }
    offered
}

/// The patches of Debian's `debian/patches/series` in the installed
/// crate's directory, in order (none when it has no series).
fn patches(dir: &Path) -> Result<Vec<String>> {
    let series = dir.join("debian/patches/series");
    if !series.is_file() {
        return Ok(Vec::new());
    }
    let text = vouch_attest::tree::read_metadata(&series, "patch series")?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap_or(l).to_string())
        .collect())
}

/// Every dependency entry of a manifest (`[dependencies]`, dev-, build-,
/// and the same under each `[target.*]`), as (key, entry).
fn dependency_entries(manifest: &toml::Table) -> Vec<(&str, &toml::Value)> {
    const KINDS: [&str; 5] = [
        "dependencies",
        "dev-dependencies",
        "dev_dependencies",
        "build-dependencies",
        "build_dependencies",
    ];
    let targets = manifest
        .get("target")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|t| t.values())
        .filter_map(toml::Value::as_table);
    std::iter::once(manifest)
        .chain(targets)
        .flat_map(|table| KINDS.iter().filter_map(|k| table.get(*k)))
        .filter_map(toml::Value::as_table)
        .flat_map(|deps| deps.iter().map(|(k, v)| (k.as_str(), v)))
        .collect()
}

/// The requirements a manifest states, as (crate, version requirement,
/// features enabled): a renamed dependency by its `package`; one without a
/// version (a path or git dependency) states none.
fn stated(manifest: &toml::Table) -> Vec<(&str, &str, Vec<String>)> {
    dependency_entries(manifest)
        .into_iter()
        .filter_map(|(key, entry)| match entry {
            toml::Value::String(req) => Some((key, req.as_str(), Vec::new())),
            toml::Value::Table(t) => {
                let req = t.get("version").and_then(toml::Value::as_str)?;
                let name = t
                    .get("package")
                    .and_then(toml::Value::as_str)
                    .unwrap_or(key);
                let features = t
                    .get("features")
                    .and_then(toml::Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str().map(str::to_string))
                    .collect();
                Some((name, req, features))
            }
            _ => None,
        })
        .collect()
}

/// What the project's crates require of each crate, by its real name: the
/// vendored crates' manifests and the workspace members'.
fn requirements(dir: &Path, root: &Root) -> Result<BTreeMap<String, Vec<Wanted>>> {
    let mut wanted: BTreeMap<String, Vec<Wanted>> = BTreeMap::new();
    let mut add = |name: &str, req: &str, features: Vec<String>| {
        // A requirement Cargo's semver does not read binds nothing here.
        if let Ok(req) = VersionReq::parse(req) {
            wanted
                .entry(name.to_string())
                .or_default()
                .push(Wanted { req, features });
        }
    };
    if let Some((_, vendor)) = vendored_config(root)? {
        let mut crates: Vec<PathBuf> = fs::read_dir(&vendor)
            .with_context(|| format!("cannot read the vendor directory {}", vendor.display()))?
            .map(|e| e.map(|e| e.path().join("Cargo.toml")))
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("cannot read the vendor directory {}", vendor.display()))?;
        crates.sort();
        for manifest in crates.iter().filter(|m| m.is_file()) {
            let text = root.read_metadata(manifest, "Cargo.toml")?;
            let table: toml::Table = text
                .parse()
                .with_context(|| format!("invalid Cargo.toml {}", manifest.display()))?;
            for (name, req, features) in stated(&table) {
                add(name, req, features);
            }
        }
    }
    let members = cargo(dir)
        .args([
            "metadata",
            "--offline",
            "--no-deps",
            "--format-version",
            "1",
        ])
        .output()
        .context("cannot run cargo metadata")?;
    if !members.status.success() {
        bail!(
            "cargo metadata --no-deps failed in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&members.stderr).trim()
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&members.stdout).context("cargo metadata wrote invalid JSON")?;
    for dep in metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["dependencies"].as_array().into_iter().flatten())
    {
        if let (Some(name), Some(req)) = (dep["name"].as_str(), dep["req"].as_str()) {
            let features = dep["features"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect();
            add(name, req, features);
        }
    }
    Ok(wanted)
}

/// The project's Cargo config that names a directory source (`cargo
/// vendor`'s), and that directory; `None` when none does.
fn vendored_config(root: &Root) -> Result<Option<(PathBuf, PathBuf)>> {
    for name in CONFIGS {
        if !root.has(name) {
            continue;
        }
        let path = root.path().join(name);
        let table: toml::Table = root
            .read_metadata(&path, "cargo config")?
            .parse()
            .with_context(|| format!("invalid cargo config {}", path.display()))?;
        let directory = table
            .get("source")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|s| s.values())
            .find_map(|s| s.get("directory").and_then(toml::Value::as_str));
        if let Some(directory) = directory {
            let vendor = vouch_attest::tree::join_inside(root.path(), directory)?;
            return Ok(Some((path, vendor)));
        }
    }
    Ok(None)
}

/// Cargo, as the user runs it (`$CARGO`, else `cargo` on PATH), in `dir`
/// (Cargo reads `.cargo/config.toml` from the directory it runs in).
fn cargo(dir: &Path) -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(program);
    command.current_dir(dir);
    command
}

/// Runs `cargo ARGS` in `dir`; an error carries Cargo's message.
fn run_cargo(dir: &Path, args: &[&str]) -> Result<()> {
    let out = cargo(dir)
        .args(args)
        .output()
        .with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "cargo {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Applies the swaps of `planned` to the project in `dir`: the patches in
/// its Cargo config, then the lockfile updated by Cargo, offline, and
/// checked. All or nothing: on any error both files get their previous
/// bytes back.
pub fn write(dir: &Path, planned: &[Planned]) -> Result<()> {
    let swaps = swaps(planned, "cargo");
    if swaps.is_empty() {
        return Ok(());
    }
    let lock = dir.join("Cargo.lock");
    if !lock.is_file() {
        bail!(
            "cannot unbundle {}: it has no Cargo.lock (the swap updates the lock, it does not \
             make one)",
            dir.display()
        );
    }
    let root = Root::new(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    let Some((config, _)) = vendored_config(&root)? else {
        bail!(
            "cannot unbundle {}: no .cargo/config.toml names a vendored directory source \
             (run `cargo vendor` first)",
            dir.display()
        );
    };
    let files = format!("{} and Cargo.lock", config.display());
    all_or_nothing(dir, &files, |journal| {
        // Cargo rewrites the lock itself: saved before it runs.
        journal.save(&lock)?;
        apply(dir, journal, &config, &swaps)
    })
}

/// The write itself; `journal` puts the files back on error.
fn apply(
    dir: &Path,
    journal: &mut Journal,
    config: &Path,
    swaps: &[(&Step, &Target)],
) -> Result<()> {
    let before = fs::read(config)
        .with_context(|| format!("cannot read cargo config {}", config.display()))?;
    let text = std::str::from_utf8(&before)
        .map_err(|_| anyhow!("{} is not UTF-8 text", config.display()))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .with_context(|| format!("invalid cargo config {}", config.display()))?;
    let patch = doc
        .entry("patch")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| anyhow!("`patch` in {} is not a table", config.display()))?;
    let crates_io = patch
        .entry("crates-io")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| anyhow!("`patch.crates-io` in {} is not a table", config.display()))?;
    // The versions each swapped crate's Cargo.toml holds, for `--precise`.
    let mut versions = Vec::new();
    for (step, target) in swaps {
        let path = target
            .dir
            .to_str()
            .ok_or_else(|| anyhow!("{}: {} is not UTF-8", step.name, target.dir.display()))?;
        let mut entry = toml_edit::InlineTable::new();
        entry.insert("path", path.into());
        if let Some(existing) = crates_io.get(&step.name) {
            let same = existing
                .as_inline_table()
                .and_then(|t| t.get("path"))
                .and_then(|p| p.as_str())
                == Some(path);
            if !same {
                bail!(
                    "crate {}: {} already patches it elsewhere; remove that entry first",
                    step.name,
                    config.display()
                );
            }
        }
        crates_io.insert(&step.name, toml_edit::value(entry));
        let manifest = read_manifest(&target.dir.join("Cargo.toml"))
            .with_context(|| format!("crate {}", step.name))?;
        let version = manifest
            .get("package")
            .and_then(|p| p.get("version"))
            .and_then(toml::Value::as_str)
            .ok_or_else(|| {
                anyhow!(
                    "crate {}: {} has no package.version",
                    step.name,
                    target.dir.display()
                )
            })?
            .to_string();
        versions.push((step, version));
    }
    journal.write(config, doc.to_string().as_bytes())?;
    // Cargo re-resolves a patch of the locked version by itself; another
    // version needs the locked one named and the new one given.
    let names: Vec<&str> = swaps.iter().map(|(s, _)| s.name.as_str()).collect();
    run_cargo(dir, &["metadata", "--offline", "--format-version", "1"])
        .with_context(|| format!("Cargo did not accept the patches of {}", names.join(", ")))?;
    for (step, version) in &versions {
        if *version == step.version {
            continue;
        }
        let spec = format!("{}@{}", step.name, step.version);
        run_cargo(
            dir,
            &[
                "update",
                "--offline",
                "--package",
                &spec,
                "--precise",
                version,
            ],
        )
        .with_context(|| {
            format!(
                "crate {}: Cargo could not lock Debian's {version}",
                step.name
            )
        })?;
    }
    let lock = dir.join("Cargo.lock");
    let locked: toml::Table = fs::read_to_string(&lock)
        .with_context(|| format!("cannot read {}", lock.display()))?
        .parse()
        .with_context(|| format!("invalid {}", lock.display()))?;
    let packages = locked
        .get("package")
        .and_then(toml::Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (step, version) in &versions {
        let swapped = packages.iter().any(|p| {
            p.get("name").and_then(toml::Value::as_str) == Some(step.name.as_str())
                && p.get("version").and_then(toml::Value::as_str) == Some(version.as_str())
                && p.get("source").is_none()
        });
        if !swapped {
            bail!(
                "crate {}: Cargo.lock does not lock Debian's {version} after the update (Cargo \
                 left the patch unused)",
                step.name
            );
        }
    }
    run_cargo(
        dir,
        &["metadata", "--offline", "--locked", "--format-version", "1"],
    )
    .context("the updated project does not resolve as locked")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_dependency_states_its_requirement_by_the_crates_real_name() {
        let manifest: toml::Table = r#"
            [package]
            name = "a"
            version = "1.0.0"
            [dependencies]
            plain = "1.2"
            z = { package = "flate2", version = "1.0.25", features = ["zlib"] }
            local = { path = "../local" }
            [dev-dependencies.rand]
            version = "0.8"
            [build-dependencies]
            cc = "1"
            [target.'cfg(unix)'.dependencies]
            libc = { version = "0.2", default-features = false }
            [features]
            fast = ["dep:plain"]
            [dependencies.opt]
            version = "3"
            optional = true
        "#
        .parse()
        .unwrap();
        let mut stated: Vec<(&str, &str, Vec<String>)> = stated(&manifest);
        stated.sort();
        assert_eq!(
            stated,
            [
                ("cc", "1", vec![]),
                ("flate2", "1.0.25", vec!["zlib".to_string()]),
                ("libc", "0.2", vec![]),
                ("opt", "3", vec![]),
                ("plain", "1.2", vec![]),
                ("rand", "0.8", vec![]),
            ]
        );
        let offered = offered_features(&manifest);
        assert_eq!(
            offered.into_iter().collect::<Vec<_>>(),
            ["fast".to_string(), "opt".to_string()]
        );
    }

    #[test]
    fn the_patch_series_is_read_in_order_without_comments_or_options() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(patches(dir.path()).unwrap(), Vec::<String>::new());
        fs::create_dir_all(dir.path().join("debian/patches")).unwrap();
        fs::write(
            dir.path().join("debian/patches/series"),
            "# Debian's changes\nb.patch\n\na.patch -p1\nc.diff # why\n",
        )
        .unwrap();
        assert_eq!(
            patches(dir.path()).unwrap(),
            ["b.patch", "a.patch", "c.diff"]
        );
    }
}
