//! npm packages onto Debian's `node-*` packages (`vouch unbundle`): the
//! plan reads `package-lock.json` for each package's dependents and their
//! ranges and asks [`vouch_unbundle::npm`] which package carries it; the
//! swap makes the project take it from `/usr/share/nodejs/<name>` with
//! npm's own mechanisms, and npm itself, offline, updates the lockfile and
//! `node_modules`:
//!
//! - a direct dependency (the root package declares it) becomes
//!   `file:<distro-root>/usr/share/nodejs/<name>` where the root declares
//!   it (npm refuses an override of a direct dependency);
//! - a transitive one gets an `overrides` entry with that `file:` path,
//!   which replaces every copy of the package in the tree;
//! - `install-links=true` goes in the project's `.npmrc`: npm then
//!   installs a `file:` directory as a package (a copy of Debian's files
//!   in `node_modules`, its dependencies resolved in the project's tree)
//!   instead of a symlink whose dependencies nothing installs, and every
//!   later `npm install` or `npm ci` does the same.
//!
//! npm (11.x) installs an override below a `file:` package from that
//! package's own directory (the override of `wrappy` below a swapped
//! `once` gets once's files), so a transitive package one of whose
//! dependents is swapped too is kept, saying so; the write checks every
//! swapped package's installed name and version in any case.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use vouch_attest::npm::name_of_key;
use vouch_attest::Input;
use vouch_unbundle::{npm, Action, Candidate, Step};

use super::journal::{all_or_nothing, copy_tree, Journal};
use super::{installed, installed_versions, not_installed, swaps, Archive, Planned, Target};
use crate::args::AptArgs;
use crate::files::read_capped;

/// Where Debian's Node packages install.
pub(crate) const NODEJS: &str = "/usr/share/nodejs";
/// The largest package.json or package-lock.json read.
const MAX_MANIFEST: u64 = 64 << 20;
/// The dependency maps of a lock entry whose ranges bind a package.
const RANGES: &[&str] = &["dependencies", "optionalDependencies", "peerDependencies"];
/// The root's: it also declares its development dependencies.
const ROOT_RANGES: &[&str] = &[
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
];
/// Where npm's `install --offline` leaves the project's previous
/// `node_modules` while it runs, to put it back on error.
const BACKUP: &str = ".vouch-unbundle-node_modules";

/// A JSON file of the project.
fn read_json(path: &Path, what: &str) -> Result<Value> {
    let bytes = read_capped(path, MAX_MANIFEST, what)?;
    serde_json::from_slice(&bytes).with_context(|| format!("invalid {what} {}", path.display()))
}

/// The lockfile's `packages` map.
fn lock_packages(lock: &Value, path: &Path) -> Result<serde_json::Map<String, Value>> {
    lock.get("packages")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| {
            anyhow!(
                "{} has no `packages` map (lockfileVersion 2 or 3 has)",
                path.display()
            )
        })
}

/// The key `name` resolves to from the package at `from`, as Node
/// resolves a `require`: `from`'s own `node_modules`, then each enclosing
/// one up to the root's.
fn resolve(packages: &serde_json::Map<String, Value>, from: &str, name: &str) -> Option<String> {
    let mut base = from.to_string();
    loop {
        let key = if base.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{base}/node_modules/{name}")
        };
        if packages.contains_key(&key) {
            return Some(key);
        }
        if base.is_empty() {
            return None;
        }
        base = match base.rfind("/node_modules/") {
            Some(i) => base[..i].to_string(),
            None => String::new(),
        };
    }
}

/// Every `(dependent, dependency name, range)` of the lock.
fn edges(packages: &serde_json::Map<String, Value>) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (key, entry) in packages {
        let maps = if key.is_empty() { ROOT_RANGES } else { RANGES };
        for map in maps {
            for (name, range) in entry
                .get(*map)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(range) = range.as_str() {
                    out.push((key.clone(), name.clone(), range.to_string()));
                }
            }
        }
    }
    out
}

/// The Debian packages that carry npm package `name`: `node-<name>` by
/// its own version, any package that `Provides` it by the version given;
/// an installed package only at its installed version (`versions`). When
/// that leaves none, also why.
fn candidates(
    archive: &Archive,
    name: &str,
    versions: &BTreeMap<String, String>,
) -> (Vec<Candidate>, Option<String>) {
    let wanted = npm::package_name(name);
    let mut out: Vec<Candidate> = Vec::new();
    let mut unlisted = None;
    for (_, e) in archive.packages() {
        if let Some(v) = versions.get(&e.package).filter(|v| **v != e.version) {
            let carries = e.package == wanted || e.provides.iter().any(|(p, _)| *p == wanted);
            if carries {
                unlisted = Some(format!(
                    "{} {v} is installed, but no verified package index lists that version",
                    e.package
                ));
            }
            continue;
        }
        if e.package == wanted {
            out.push(Candidate {
                package: e.package.clone(),
                version: e.version.clone(),
            });
        }
        for (provided, version) in &e.provides {
            if provided == &wanted {
                if let Some(version) = version {
                    out.push(Candidate {
                        package: e.package.clone(),
                        version: version.clone(),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.package, &a.version).cmp(&(&b.package, &b.version)));
    out.dedup();
    let unlisted = unlisted.filter(|_| out.is_empty());
    (out, unlisted)
}

/// Plans the npm inputs among `inputs` of the project in `dir` against the
/// verified `archive`: each package's carriers, the ranges of every
/// dependent the swap would serve (a direct dependency's own; every copy's
/// for an override, which replaces them all), then the installed
/// `<distro-root>/usr/share/nodejs/<name>/package.json` must be that name
/// and version.
pub fn plan(
    dir: &Path,
    inputs: &[Input],
    archive: &Archive,
    apt: &AptArgs,
) -> Result<Vec<Planned>> {
    let inputs: Vec<&Input> = inputs.iter().filter(|i| i.ecosystem == "npm").collect();
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(other) = foreign_lockfile(dir) {
        return plan_foreign(&inputs, archive, apt, other);
    }
    let lock_path = dir.join("package-lock.json");
    let packages = lock_packages(&read_json(&lock_path, "package-lock.json")?, &lock_path)?;
    let edges = edges(&packages);
    let versions = installed_versions(apt)?;
    let root_declares = |name: &str| {
        edges
            .iter()
            .any(|(from, n, _)| from.is_empty() && n == name)
    };
    let mut planned = Vec::new();
    for input in &inputs {
        let name = input.name.as_str();
        let key = input
            .path
            .clone()
            .unwrap_or_else(|| format!("node_modules/{name}"));
        let direct = root_declares(name) && key == format!("node_modules/{name}");
        // The keys the swap replaces: the top-level copy for a direct
        // dependency; every copy of the name for an override.
        let replaced: BTreeSet<String> = if direct {
            BTreeSet::from([key.clone()])
        } else {
            packages
                .keys()
                .filter(|k| name_of_key(k) == Some(name))
                .cloned()
                .collect()
        };
        let ranges: Vec<(String, String)> = edges
            .iter()
            .filter(|(from, n, _)| {
                n == name && resolve(&packages, from, n).is_some_and(|k| replaced.contains(&k))
            })
            .map(|(from, _, range)| {
                let who = if from.is_empty() {
                    "the project".to_string()
                } else {
                    from.clone()
                };
                (who, range.clone())
            })
            .collect();
        let (carriers, unlisted) = candidates(archive, name, &versions);
        let step = npm::plan(name, &input.version, &ranges, &carriers);
        let entry = packages.get(&key);
        let resolved = entry
            .and_then(|e| e.get("resolved"))
            .and_then(Value::as_str);
        let (step, target) = if let Some(from) = resolved.filter(|r| r.starts_with("file:")) {
            (
                step.kept(format!("it is already installed from {from}")),
                None,
            )
        } else if root_declares(name) && !direct {
            let reason = "a nested copy of a package the project declares itself: npm refuses \
                          an override of a direct dependency, and a file: dependency replaces \
                          only the top-level copy"
                .to_string();
            (step.kept(reason), None)
        } else if input.path.is_none() {
            let reason = "it is not installed in node_modules: the swap has npm update the \
                          tree it installed"
                .to_string();
            (step.kept(reason), None)
        } else if let Some(reason) = unlisted {
            (step.kept(reason), None)
        } else if step.action == Action::Swap {
            confirm(step, apt)?
        } else {
            (step, None)
        };
        planned.push((
            key,
            direct,
            Planned {
                ecosystem: "npm",
                step,
                target,
            },
        ));
    }
    // npm misplaces an override below a swapped package: keep those.
    let swapped: BTreeSet<String> = planned
        .iter()
        .filter(|(_, _, p)| p.step.action == Action::Swap)
        .map(|(key, _, _)| key.clone())
        .collect();
    let mut out = Vec::new();
    for (_, direct, mut p) in planned {
        if p.step.action == Action::Swap && !direct {
            let name = p.step.name.clone();
            let below: Vec<&String> = edges
                .iter()
                .filter(|(from, n, _)| n == &name && swapped.contains(from))
                .map(|(from, _, _)| from)
                .collect();
            if let Some(parent) = below.first() {
                p.step = p.step.kept(format!(
                    "its dependent {parent} is swapped too, and npm installs an override below \
                     a file: package from that package's directory"
                ));
                p.target = None;
            }
        }
        out.push(p);
    }
    Ok(out)
}

/// The lockfile of another package manager (Yarn's or pnpm's) that locks
/// the project in `dir` instead of npm's `package-lock.json`, if any.
fn foreign_lockfile(dir: &Path) -> Option<&'static str> {
    if dir.join("package-lock.json").exists() {
        return None;
    }
    ["yarn.lock", "pnpm-lock.yaml"]
        .into_iter()
        .find(|name| dir.join(name).exists())
}

/// The plan of a project Yarn or pnpm locks (`lockfile`): each package
/// still names the Debian package that carries it (weighed against any
/// range: the other manager's ranges are not read), but is kept. The swap
/// is npm's own mechanisms and lockfile; run on a Yarn or pnpm project it
/// would leave `package.json` edited for npm and the other lockfile and
/// `node_modules` out of step: a half-written project.
fn plan_foreign(
    inputs: &[&Input],
    archive: &Archive,
    apt: &AptArgs,
    lockfile: &str,
) -> Result<Vec<Planned>> {
    let versions = installed_versions(apt)?;
    let any = [(lockfile.to_string(), "*".to_string())];
    Ok(inputs
        .iter()
        .map(|input| {
            let (carriers, _) = candidates(archive, &input.name, &versions);
            let step = npm::plan(&input.name, &input.version, &any, &carriers).kept(format!(
                "the project is locked by {lockfile}: --write swaps npm packages through npm \
                 and package-lock.json only"
            ));
            Planned {
                ecosystem: "npm",
                step,
                target: None,
            }
        })
        .collect())
}

/// Refuses `--write` on a project Yarn or pnpm locks when the plan names a
/// Debian package for one of its npm inputs, before anything is written
/// (the writers of the other ecosystems included): the swap is npm's and
/// would half-write the project.
pub fn refuse_foreign(dir: &Path, planned: &[&Planned]) -> Result<()> {
    let Some(lockfile) = foreign_lockfile(dir) else {
        return Ok(());
    };
    let named: Vec<&str> = planned
        .iter()
        .filter(|p| p.ecosystem == "npm" && p.step.package.is_some())
        .map(|p| p.step.name.as_str())
        .collect();
    if !named.is_empty() {
        bail!(
            "cannot unbundle {} in {}: the project is locked by {lockfile}, and --write swaps \
             npm packages through npm and package-lock.json only; nothing was written",
            named.join(", "),
            dir.display()
        );
    }
    Ok(())
}

/// A swap the plan chose, checked against the installed tree.
fn confirm(step: Step, apt: &AptArgs) -> Result<(Step, Option<Target>)> {
    let package = step.package.clone().unwrap_or_default();
    let dir = installed(apt, &Path::new(NODEJS).join(&step.name));
    let manifest = dir.join("package.json");
    if !manifest.is_file() {
        let reason = not_installed(&package, &manifest);
        return Ok((step.kept(reason), None));
    }
    let json = read_json(&manifest, "package.json")?;
    let field = |f: &str| {
        json.get(f)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (name, version) = (field("name"), field("version"));
    if name != step.name || Some(version.as_str()) != step.upstream_version.as_deref() {
        let reason = format!(
            "{} holds {name} {version}, not the {} {} the archive's {package} carries",
            manifest.display(),
            step.name,
            step.upstream_version.as_deref().unwrap_or("")
        );
        return Ok((step.kept(reason), None));
    }
    let target = Target {
        dir,
        package,
        version: step.package_version.clone().unwrap_or_default(),
    };
    Ok((step, Some(target)))
}

/// The section of `package.json` that makes the project take `name` from
/// a directory: the root's declaring section for a direct dependency, else
/// `overrides`.
fn section<'a>(root: &Value, name: &str) -> &'a str {
    ROOT_RANGES
        .iter()
        .find(|s| root.get(**s).and_then(|m| m.get(name)).is_some())
        .copied()
        .unwrap_or("overrides")
}

/// Runs npm in `dir` with `args`, offline, naming the command on failure.
fn npm_run(dir: &Path, args: &[String]) -> Result<()> {
    let out = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .env("NPM_CONFIG_UPDATE_NOTIFIER", "false")
        .env("NPM_CONFIG_FUND", "false")
        .env("NPM_CONFIG_AUDIT", "false")
        .output()
        .context("cannot run npm")?;
    if !out.status.success() {
        bail!(
            "`npm {}` failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// `.npmrc` with `install-links=true`, or an error when it sets it
/// otherwise.
fn npmrc_with_install_links(before: &str, path: &Path) -> Result<Option<String>> {
    for line in before.lines() {
        let line = line.trim();
        if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "install-links" {
                return match value.trim() {
                    "true" => Ok(None),
                    other => bail!(
                        "{} sets install-links={other}: the swap needs install-links=true",
                        path.display()
                    ),
                };
            }
        }
    }
    let mut text = before.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("install-links=true\n");
    Ok(Some(text))
}

/// Applies the npm swaps of `planned` to the project in `dir`, then has
/// npm update the lockfile and `node_modules` offline
/// (`npm install --offline --ignore-scripts`), and checks that each
/// swapped package is installed from its Debian directory at its version.
/// All or nothing: on any error `package.json`, `package-lock.json` and
/// `.npmrc` get their previous bytes back and `node_modules` its previous
/// tree.
pub fn write(dir: &Path, planned: &[Planned]) -> Result<()> {
    let swaps = swaps(planned, "npm");
    if swaps.is_empty() {
        return Ok(());
    }
    let manifest = dir.join("package.json");
    let lock_path = dir.join("package-lock.json");
    let root = read_json(&manifest, "package.json")?;
    let mut lock = read_json(&lock_path, "package-lock.json")?;
    let packages = lock_packages(&lock, &lock_path)?;
    let mut sets = vec!["pkg".to_string(), "set".to_string()];
    let mut dropped: BTreeSet<String> = BTreeSet::new();
    let mut wanted: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (step, target) in &swaps {
        let shown = target.dir.display().to_string();
        if shown.contains(char::is_whitespace) || !target.dir.is_absolute() {
            bail!(
                "cannot unbundle {}: the directory {shown:?} is not a plain absolute path",
                step.name
            );
        }
        let section = section(&root, &step.name);
        sets.push(format!("{section}[{}]=file:{shown}", step.name));
        // A direct dependency replaces the top-level copy; an override
        // every copy.
        let top = format!("node_modules/{}", step.name);
        dropped.extend(
            packages
                .keys()
                .filter(|k| name_of_key(k) == Some(step.name.as_str()))
                .filter(|k| section == "overrides" || **k == top)
                .cloned(),
        );
        let version = step.upstream_version.clone().unwrap_or_default();
        wanted.insert(step.name.clone(), (version, shown));
    }
    let modules = dir.join("node_modules");
    let backup = dir.join(BACKUP);
    if backup.exists() {
        bail!(
            "cannot unbundle {}: {} is left from an earlier run; put it back as node_modules \
             or remove it",
            dir.display(),
            backup.display()
        );
    }
    let had_modules = modules.is_dir();
    if had_modules {
        fs::rename(&modules, &backup)
            .with_context(|| format!("cannot move {} aside", modules.display()))?;
        if let Err(e) = copy_tree(&backup, &modules) {
            let _ = fs::remove_dir_all(&modules);
            fs::rename(&backup, &modules)
                .with_context(|| format!("{e:#}; and cannot put back {}", modules.display()))?;
            return Err(e);
        }
    }
    let result = all_or_nothing(dir, "its files", |journal| {
        edit(dir, journal, &sets, &mut lock, &dropped)?;
        npm_run(
            dir,
            &[
                "install",
                "--offline",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
            ]
            .map(String::from),
        )?;
        check(dir, &wanted)
    });
    let restore = |what: &Path| -> Result<()> {
        if what.exists() {
            fs::remove_dir_all(what)
                .with_context(|| format!("cannot remove {}", what.display()))?;
        }
        Ok(())
    };
    match result {
        Ok(()) => restore(&backup),
        Err(err) => {
            restore(&modules)?;
            if had_modules {
                fs::rename(&backup, &modules).with_context(|| {
                    format!("{err:#}; and cannot put back {}", modules.display())
                })?;
            }
            Err(err)
        }
    }
}

/// The project's files edited for npm: `.npmrc`, `package.json` (by `npm
/// pkg set`), and the lockfile without the swapped packages' entries, whose
/// installed copies are removed so that npm installs them afresh.
fn edit(
    dir: &Path,
    journal: &mut Journal,
    sets: &[String],
    lock: &mut Value,
    dropped: &BTreeSet<String>,
) -> Result<()> {
    let npmrc = dir.join(".npmrc");
    let before = match fs::read(&npmrc) {
        Ok(bytes) => {
            String::from_utf8(bytes).map_err(|_| anyhow!("{} is not UTF-8", npmrc.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", npmrc.display())),
    };
    if let Some(text) = npmrc_with_install_links(&before, &npmrc)? {
        journal.write(&npmrc, text.as_bytes())?;
    }
    journal.save(&dir.join("package.json"))?;
    journal.save(&dir.join("package-lock.json"))?;
    npm_run(dir, sets)?;
    if let Some(map) = lock.get_mut("packages").and_then(Value::as_object_mut) {
        map.retain(|k, _| !dropped.contains(k));
    }
    let text = serde_json::to_string_pretty(lock)?;
    journal.write(
        &dir.join("package-lock.json"),
        format!("{text}\n").as_bytes(),
    )?;
    journal.remove(&dir.join("node_modules/.package-lock.json"))?;
    for key in dropped {
        let installed: PathBuf = dir.join(key);
        journal.check_inside(&installed)?;
        if installed.exists() {
            fs::remove_dir_all(&installed)
                .with_context(|| format!("cannot remove {}", installed.display()))?;
        }
    }
    Ok(())
}

/// Each swapped package as npm installed it: `node_modules/<name>` holds
/// that name and version, and the lockfile says it came from the Debian
/// directory.
fn check(dir: &Path, wanted: &BTreeMap<String, (String, String)>) -> Result<()> {
    let lock_path = dir.join("package-lock.json");
    let packages = lock_packages(&read_json(&lock_path, "package-lock.json")?, &lock_path)?;
    for (name, (version, from)) in wanted {
        let key = format!("node_modules/{name}");
        let manifest = read_json(&dir.join(&key).join("package.json"), "package.json")?;
        let got = |f: &str| {
            manifest
                .get(f)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        if got("name") != *name || got("version") != *version {
            bail!(
                "npm installed {} {} as {key}, not {name} {version} from {from}",
                got("name"),
                got("version")
            );
        }
        let resolved = packages
            .get(&key)
            .and_then(|e| e.get("resolved"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let relative = resolved.strip_prefix("file:").map(|r| dir.join(r));
        let same = relative
            .and_then(|r| fs::canonicalize(r).ok())
            .zip(fs::canonicalize(from).ok())
            .is_some_and(|(a, b)| a == b);
        if !same {
            bail!("the lockfile records {key} as resolved from {resolved:?}, not {from}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use vouch_attest::Ecosystem;
    use vouch_unbundle::Delta;

    use super::*;
    use crate::swap::go_npm::{file_names, installed_npm_project};
    use crate::swap::tests::apt;

    /// A real npm project: `once` (which depends on `wrappy`) installed
    /// from the npm registry with a cache of its own; then the project's
    /// `.npmrc` points npm at an empty cache, so that the swap, which runs
    /// npm `--offline`, can use neither the registry nor a cached package.
    fn project(tmp: &Path, range: &str) -> (PathBuf, Vec<Input>) {
        project_with(tmp, &format!("\"once\": \"{range}\""))
    }

    /// The inputs named `name`.
    fn named(inputs: &[Input], name: &str) -> Vec<Input> {
        inputs.iter().filter(|i| i.name == name).cloned().collect()
    }

    /// [`project`] with `dependencies` (the JSON object's members).
    fn project_with(tmp: &Path, dependencies: &str) -> (PathBuf, Vec<Input>) {
        let dir = installed_npm_project(tmp, dependencies);
        // The inputs as discovery finds them.
        let inputs = vouch_attest::npm::Npm
            .discover(&vouch_attest::Root::new(&dir).unwrap())
            .unwrap();
        (dir, inputs)
    }

    fn node(dir: &Path) -> String {
        let script = "const once = require('once'); let n = 0; const f = once(() => ++n); \
                      f(); f(); console.log(n, require.resolve('wrappy', \
                      {paths: [require('path').dirname(require.resolve('once'))]}))";
        let out = Command::new("node")
            .args(["-e", script])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn same_files(installed: &Path, debian: &Path) {
        assert_eq!(file_names(installed), file_names(debian));
        for name in file_names(debian) {
            assert_eq!(
                fs::read(installed.join(&name)).unwrap(),
                fs::read(debian.join(&name)).unwrap(),
                "{name}"
            );
        }
    }

    #[test]
    fn a_direct_dependency_is_swapped_by_npm_offline_and_its_dependent_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, inputs) = project(tmp.path(), "^1.4.0");
        let apt = apt(Path::new("/"));
        let archive = Archive::load(&apt, jiff::Timestamp::now()).unwrap();
        let refs: Vec<Input> = inputs.clone();
        let planned = plan(&dir, &refs, &archive, &apt).unwrap();
        let step = |name: &str| &planned.iter().find(|p| p.step.name == name).unwrap().step;
        let once = step("once");
        assert_eq!(
            (once.action, once.delta),
            (Action::Swap, Some(Delta::Same)),
            "{}",
            once.reason
        );
        assert_eq!(once.package.as_deref(), Some("node-once"));
        let wrappy = step("wrappy");
        assert_eq!(wrappy.action, Action::Keep);
        assert!(
            wrappy
                .reason
                .contains("its dependent node_modules/once is swapped too"),
            "{}",
            wrappy.reason
        );

        write(&dir, &planned).unwrap();
        let manifest = read_json(&dir.join("package.json"), "package.json").unwrap();
        assert_eq!(
            manifest["dependencies"]["once"],
            "file:/usr/share/nodejs/once"
        );
        let npmrc = fs::read_to_string(dir.join(".npmrc")).unwrap();
        assert!(npmrc.ends_with("\ninstall-links=true\n"), "{npmrc}");
        let lock = read_json(&dir.join("package-lock.json"), "package-lock.json").unwrap();
        let resolved = lock["packages"]["node_modules/once"]["resolved"]
            .as_str()
            .unwrap();
        assert!(
            resolved.starts_with("file:") && resolved.ends_with("/usr/share/nodejs/once"),
            "{resolved}"
        );
        assert!(lock["packages"]["node_modules/wrappy"]["integrity"].is_string());
        same_files(
            &dir.join("node_modules/once"),
            Path::new("/usr/share/nodejs/once"),
        );
        assert!(!dir.join(BACKUP).exists());
        assert!(node(&dir).starts_with("1 "));
        // npm agrees the tree matches the lock, offline.
        let ls = Command::new("npm")
            .args(["ls", "--offline", "--all"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            ls.status.success(),
            "{}",
            String::from_utf8_lossy(&ls.stderr)
        );
    }

    #[test]
    fn a_transitive_dependency_is_swapped_by_an_override() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, inputs) = project(tmp.path(), "^1.4.0");
        let apt = apt(Path::new("/"));
        let archive = Archive::load(&apt, jiff::Timestamp::now()).unwrap();
        let wrappy = named(&inputs, "wrappy");
        let planned = plan(&dir, &wrappy, &archive, &apt).unwrap();
        assert_eq!(
            planned[0].step.action,
            Action::Swap,
            "{}",
            planned[0].step.reason
        );
        assert_eq!(planned[0].step.package.as_deref(), Some("node-wrappy"));
        write(&dir, &planned).unwrap();
        let manifest = read_json(&dir.join("package.json"), "package.json").unwrap();
        assert_eq!(
            manifest["overrides"]["wrappy"],
            "file:/usr/share/nodejs/wrappy"
        );
        assert_eq!(manifest["dependencies"]["once"], "^1.4.0");
        same_files(
            &dir.join("node_modules/wrappy"),
            Path::new("/usr/share/nodejs/wrappy"),
        );
        let out = node(&dir);
        assert!(
            out.starts_with("1 ") && out.contains("/node_modules/wrappy/"),
            "{out}"
        );
    }

    /// The lockfile is the project's: a key whose directory lies under a
    /// symbolic link out of the project (`node_modules/evil` ->
    /// elsewhere) must not have `--write` delete what the link reaches.
    #[test]
    fn regression_issue_16_a_write_removes_nothing_through_a_symlinked_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, inputs) = project(tmp.path(), "^1.4.0");
        let apt = apt(Path::new("/"));
        let archive = Archive::load(&apt, jiff::Timestamp::now()).unwrap();
        let wrappy: Vec<Input> = inputs
            .iter()
            .filter(|i| i.name == "wrappy")
            .cloned()
            .collect();
        let planned = plan(&dir, &wrappy, &archive, &apt).unwrap();
        assert_eq!(
            planned[0].step.action,
            Action::Swap,
            "{}",
            planned[0].step.reason
        );
        let victim = tmp.path().join("elsewhere/node_modules/wrappy/victim.js");
        fs::create_dir_all(victim.parent().unwrap()).unwrap();
        fs::write(&victim, b"mine\n").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("elsewhere"), dir.join("node_modules/evil"))
            .unwrap();
        let lock_path = dir.join("package-lock.json");
        let mut lock = read_json(&lock_path, "package-lock.json").unwrap();
        let entry = lock["packages"]["node_modules/wrappy"].clone();
        lock["packages"]["node_modules/evil/node_modules/wrappy"] = entry;
        let before = serde_json::to_string_pretty(&lock).unwrap();
        fs::write(&lock_path, &before).unwrap();
        let err = write(&dir, &planned).unwrap_err();
        assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        assert_eq!(fs::read(&victim).unwrap(), b"mine\n");
        assert_eq!(fs::read_to_string(&lock_path).unwrap(), before);
    }

    #[test]
    fn a_range_that_excludes_debian_or_a_package_not_installed_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, inputs) = project(tmp.path(), "~1.3.0");
        let refs = named(&inputs, "once");
        assert_eq!(refs[0].version, "1.3.3");
        let apt_here = apt(Path::new("/"));
        let archive = Archive::load(&apt_here, jiff::Timestamp::now()).unwrap();
        let planned = plan(&dir, &refs, &archive, &apt_here).unwrap();
        assert_eq!(
            (planned[0].step.action, planned[0].step.delta),
            (Action::Keep, Some(Delta::Incompatible))
        );
        assert_eq!(
            planned[0].step.reason,
            "node-once carries 1.4.0, outside the range of the project (~1.3.0)"
        );
        let empty = tempfile::tempdir().unwrap();
        let second = tmp.path().join("second");
        fs::create_dir(&second).unwrap();
        let (dir2, inputs2) = project(&second, "^1.4.0");
        let refs2 = named(&inputs2, "once");
        let absent = plan(&dir2, &refs2, &archive, &apt(empty.path())).unwrap();
        assert_eq!(absent[0].step.action, Action::Keep);
        assert!(
            absent[0]
                .step
                .reason
                .starts_with("node-once is not installed"),
            "{}",
            absent[0].step.reason
        );
    }

    #[test]
    fn npmrc_gains_install_links_unless_it_says_otherwise() {
        let path = Path::new(".npmrc");
        let with = |text: &str| npmrc_with_install_links(text, path);
        assert_eq!(with("").unwrap().as_deref(), Some("install-links=true\n"));
        assert_eq!(
            with("cache=/tmp/c").unwrap().as_deref(),
            Some("cache=/tmp/c\ninstall-links=true\n")
        );
        assert_eq!(with("install-links = true\n").unwrap(), None);
        let err = with("install-links=false\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("sets install-links=false"),
            "{err:#}"
        );
    }

    /// debug 2.6.9 wants ms 2.0.0, the project ms 2.1.3 (Debian's node-ms
    /// carries 2.1.3): npm nests one copy under debug.
    #[test]
    fn a_nested_copy_of_a_direct_dependency_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, inputs) = project_with(tmp.path(), "\"debug\": \"2.6.9\", \"ms\": \"2.1.3\"");
        let ms = named(&inputs, "ms");
        assert_eq!(ms.len(), 2);
        let apt = apt(Path::new("/"));
        let archive = Archive::load(&apt, jiff::Timestamp::now()).unwrap();
        let planned = plan(&dir, &ms, &archive, &apt).unwrap();
        let step = |version: &str| {
            &planned
                .iter()
                .find(|p| p.step.version == version)
                .unwrap()
                .step
        };
        let top = step("2.1.3");
        assert_eq!(
            (top.action, top.delta),
            (Action::Swap, Some(Delta::Same)),
            "{}",
            top.reason
        );
        assert_eq!(top.package.as_deref(), Some("node-ms"));
        assert_eq!(top.package_version.as_deref(), Some("2.1.3+~cs0.7.31-3"));
        let nested = step("2.0.0");
        assert_eq!(
            (nested.action, nested.version.as_str()),
            (Action::Keep, "2.0.0")
        );
        assert!(
            nested
                .reason
                .starts_with("a nested copy of a package the project declares"),
            "{}",
            nested.reason
        );
    }

    #[test]
    fn a_failed_write_puts_back_every_file_and_node_modules() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, inputs) = project(tmp.path(), "^1.4.0");
        let apt = apt(Path::new("/"));
        let archive = Archive::load(&apt, jiff::Timestamp::now()).unwrap();
        let once = named(&inputs, "once");
        let mut planned = plan(&dir, &once, &archive, &apt).unwrap();
        assert_eq!(planned[0].step.action, Action::Swap);
        // A directory that is not what the plan checked: npm installs it,
        // and the check after npm refuses it.
        let changed = tmp.path().join("once");
        copy_tree(Path::new("/usr/share/nodejs/once"), &changed).unwrap();
        let text = fs::read_to_string(changed.join("package.json")).unwrap();
        fs::write(
            changed.join("package.json"),
            text.replace("\"1.4.0\"", "\"1.4.1\""),
        )
        .unwrap();
        planned[0].target.as_mut().unwrap().dir = changed;
        let files = [
            "package.json",
            "package-lock.json",
            ".npmrc",
            "node_modules/once/once.js",
        ];
        let before: Vec<Vec<u8>> = files
            .iter()
            .map(|f| fs::read(dir.join(f)).unwrap())
            .collect();
        let err = write(&dir, &planned).unwrap_err();
        assert!(format!("{err:#}").contains("not once 1.4.0"), "{err:#}");
        let after: Vec<Vec<u8>> = files
            .iter()
            .map(|f| fs::read(dir.join(f)).unwrap())
            .collect();
        assert_eq!(before, after);
        assert!(!dir.join(BACKUP).exists());
        assert!(dir.join("node_modules/.package-lock.json").is_file());
    }
}
