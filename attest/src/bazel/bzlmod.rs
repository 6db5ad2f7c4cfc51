//! Bazel modules (Bzlmod): the resolved module graph of `MODULE.bazel` and
//! `MODULE.bazel.lock`, each module's archive from its registry's
//! `source.json`, and the Go, Cargo and pip pins of module extensions.
//!
//! **The graph, as Bazel resolves it.** The root module is the project's
//! `MODULE.bazel` with every file it `include`s. Bazel's resolution is
//! minimal version selection: starting from the root, every `bazel_dep` is
//! followed to that module version's `MODULE.bazel` in its registry
//! (dev dependencies only for the root; a `single_version_override` with a
//! version rewrites every dependency on the module to it); then, per
//! module name, the highest version asked for anywhere is selected (with a
//! `multiple_version_override`, each dependency goes to the lowest allowed
//! version at least as high as it asks, and those versions coexist); then
//! the graph is walked again from the root through the selected versions
//! only, and what is not reached is dropped. Compatibility levels, which
//! only make Bazel fail, are not checked. Bazel's built-in modules
//! (`bazel_tools`) add dependencies of their own, which differ by Bazel
//! release and are written nowhere in the project: a module file the
//! lockfile records that no module file vouch reads asks for was asked for
//! by them, and is taken as a dependency of the root (after the root's
//! overrides). vouch does exactly that, reading
//! each `MODULE.bazel` from a local copy of the registry (below), when
//! every module version reached has its file there. When one is missing,
//! the lockfile is the graph: Bazel records in `registryFileHashes` the
//! `source.json` of each module it selected, and nothing else, so those
//! are the modules (an old lockfile's `moduleDepGraph` is the graph
//! itself).
//!
//! **Registry files are trusted only when the lockfile vouches for them.**
//! Bazel records the SHA-256 of every registry file it read
//! (`registryFileHashes`); vouch never fetches, and reads a registry file
//! only from inside the project: from `registry-mirror/<host>/<path>/`
//! (the registry URL without its scheme: `registry-mirror/bcr.bazel.build/
//! modules/zlib/1.3.1/source.json`), or from the registry's own directory
//! when `.bazelrc` names a `--registry=file://%workspace%/<dir>`. A file
//! whose SHA-256 differs from the lockfile's is not used: a `MODULE.bazel`
//! so changed stops discovery (the graph itself cannot be trusted), a
//! `source.json` so changed makes its module a mismatch naming the file. A
//! registry file in the project that the lockfile does not record (a
//! workspace registry, or a lockfile that predates source.json hashes) is
//! project content and is read as such. Where a module's `source.json`
//! cannot be read, its module is still an input, with no declared digest
//! and not vendored, its `uri` the registry file's URL.
//!
//! **What each module records.** `name` and `version`; `purl`
//! `pkg:bazel/<name>@<version>` (the purl spec's `bazel` type), with
//! `repository_url=<registry>` when the registry is not the BCR, and for a
//! non-registry override the archive's `download_url` or the git
//! `vcs_url`; `uri` the archive's first URL; `declared` the SRI
//! `integrity` of `source.json` (or of `archive_override`); `patches` the
//! registry's patches and overlay files (as paths in the mirror when they
//! are there, each checked against its integrity, else as URLs) and the
//! root's `single_version_override`/`archive_override` patches (as paths
//! from the root). The archive is looked up as WORKSPACE pins are: in the
//! repository caches and distdirs `.bazelrc` names inside the project, and
//! hashed with the integrity's algorithm; a different digest is a mismatch
//! naming the archive. A `git_override` is a module at a commit with no
//! archive digest; without a commit it is a mismatch (Bazel follows a
//! branch or tag); a `local_path_override` inside the project is the
//! project's own code and not an input, outside it a mismatch. A version
//! the lockfile lists in `selectedYankedVersions` is a mismatch that says
//! it was yanked and why.
//!
//! **Extensions.** Tags of `use_extension` proxies in the root module (and
//! its includes), by extension name: `go_deps.module(path, version, sum)`
//! and `go_deps.from_file(go_mod)` (the `go.sum` beside it) give `go`
//! inputs as the Go reader does; `crate.from_cargo(cargo_lockfile |
//! cargo_lock)` the crates of that `Cargo.lock` (`cargo` inputs);
//! `pip.parse(requirements_lock | requirements_by_platform |
//! requirements_linux | requirements_darwin | requirements_windows)` the
//! requirements of those files (`pip` inputs). Labels of other
//! repositories are not in the project and are not read; a label leaving
//! the project is refused. Extensions whose resolution Bazel writes into
//! the lockfile's `moduleExtensions` are read there too: gazelle's
//! `go_deps` (`go_repository` specs: `importpath`, `version`, `sum`) and
//! rules_rust's `crate` (`http_archive` specs of crates.io crates with
//! their `sha256`, which is all a `crate.spec`/`from_specs` project pins).
//! Other extensions (maven, npm, toolchains) are not read.
//!
//! **Counted once.** A lockfile an extension names that vouch's own reader
//! of that ecosystem already reads (the root `go.mod`, `Cargo.lock` or
//! `requirements.txt`) is left to it, and the same extension pin named
//! twice is listed once. A WORKSPACE-era pin (`http_archive` in WORKSPACE,
//! a `.bzl` file, or through `use_repo_rule`) whose declared digest is a
//! module's archive digest is the same bytes and is dropped in favour of
//! the module, which carries the registry's identity; pins with other
//! digests are other archives and stay, so a project that takes one
//! library both ways lists both versions it fetches.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use serde::Deserialize;

use super::lockfile::{self, Lockfile};
use super::module::{self, compare_versions, ModuleFile, Override, Tag, MODULE_FILE};
use super::starlark::Value;
use super::{hash, locate, patch_path, sri_digest, Algorithm, Pin, Store};
use crate::input;
use crate::tree::{join_inside, Root};
use crate::{Error, Input, Match, Result};

/// The lockfile beside `MODULE.bazel`.
pub(crate) const LOCKFILE: &str = "MODULE.bazel.lock";
/// The directory a registry's files are mirrored in, by URL without the
/// scheme.
pub const MIRROR_DIR: &str = "registry-mirror";
/// The default registry.
pub const BCR: &str = "https://bcr.bazel.build";
/// The most `include`d files, and the most module files read for the
/// graph.
const MAX_INCLUDES: usize = 256;
const MAX_MODULES: usize = 20_000;

/// A module of the graph: its name and version.
type Key = (String, String);

/// A registry's `source.json`.
#[derive(Debug, Default, Deserialize)]
struct Source {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    mirror_urls: Vec<String>,
    #[serde(default)]
    integrity: Option<String>,
    #[serde(default)]
    patches: BTreeMap<String, String>,
    #[serde(default)]
    overlay: BTreeMap<String, String>,
    #[serde(default)]
    remote: Option<String>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

/// Where registry files are read from.
struct Registries<'a> {
    root: &'a Root,
    lock: &'a Lockfile,
    /// The registries in the order Bazel asks them.
    order: Vec<String>,
    /// `file://%workspace%/<dir>` registries: URL to root-relative dir.
    workspace: BTreeMap<String, String>,
    /// Whether the project has a lockfile.
    locked: bool,
}

/// A registry file as read: its content, or why it is not used.
enum Fetched {
    /// Read and, where the lockfile records it, matching its hash.
    Trusted(String),
    /// Not in the project.
    Absent,
    /// Its SHA-256 is not the lockfile's.
    Tampered(String),
}

impl Registries<'_> {
    /// The project-relative path a registry file is mirrored at.
    fn local(&self, registry: &str, rest: &str) -> Option<String> {
        if let Some(dir) = self.workspace.get(registry) {
            return Some(if dir.is_empty() {
                rest.to_string()
            } else {
                format!("{dir}/{rest}")
            });
        }
        let bare = registry
            .strip_prefix("https://")
            .or_else(|| registry.strip_prefix("http://"))?;
        Some(format!(
            "{MIRROR_DIR}/{}/{rest}",
            bare.trim_end_matches('/')
        ))
    }

    /// Reads `<registry>/<rest>` from the project, checked against the
    /// lockfile's hash when it records one.
    fn fetch(&self, registry: &str, rest: &str) -> Result<(Fetched, Option<String>)> {
        let url = format!("{registry}/{rest}");
        let Some(local) = self.local(registry, rest) else {
            return Ok((Fetched::Absent, None));
        };
        let full = join_inside(self.root.path(), &local)?;
        if self.root.resolve(&full)?.is_none() {
            return Ok((Fetched::Absent, Some(local)));
        }
        let text = self.root.read_metadata(&full, "registry file")?;
        let recorded = self.lock.registry_file_hashes.get(&url);
        if let Some(None) = recorded {
            return Ok((
                Fetched::Tampered(format!(
                    "registry file {local} is in the project, but {LOCKFILE} records that \
                     {url} does not exist: vouch does not trust it"
                )),
                Some(local),
            ));
        }
        if let Some(Some(expected)) = recorded {
            let got = vouch_evidence::digest::sha256(text.as_bytes()).hex();
            if &got != expected {
                return Ok((
                    Fetched::Tampered(format!(
                        "registry file {local} has sha256 {got}, but {LOCKFILE} records {expected} \
                         for {url}: vouch does not trust it"
                    )),
                    Some(local),
                ));
            }
        }
        Ok((Fetched::Trusted(text), Some(local)))
    }

    /// The registry a module version comes from: the first (in Bazel's
    /// order) whose `MODULE.bazel` the lockfile records, else the first.
    fn of(&self, name: &str, version: &str, preferred: Option<&str>) -> String {
        if let Some(registry) = preferred {
            return registry.trim_end_matches('/').to_string();
        }
        let rest = format!("modules/{name}/{version}/{MODULE_FILE}");
        self.order
            .iter()
            .find(|r| {
                matches!(
                    self.lock.registry_file_hashes.get(&format!("{r}/{rest}")),
                    Some(Some(_))
                )
            })
            .or_else(|| self.order.first())
            .cloned()
            .unwrap_or_else(|| BCR.to_string())
    }
}

/// What the Bzlmod reader found: inputs, and the files it read that may
/// hold WORKSPACE-style pins (included module files).
pub(crate) struct Found {
    /// The modules and extension pins.
    pub inputs: Vec<Input>,
    /// Included files, as (relative, full) paths.
    pub included: Vec<(String, PathBuf)>,
}

/// Reads the project's module graph and extension pins. `registries` are
/// the `--registry` values of `.bazelrc`, in order.
pub(crate) fn discover(root: &Root, stores: &[Store], registries: &[String]) -> Result<Found> {
    if !root.has(MODULE_FILE) {
        return Ok(Found {
            inputs: Vec::new(),
            included: Vec::new(),
        });
    }
    let (root_module, included) = read_root(root)?;
    let lock = if root.has(LOCKFILE) {
        let full = root.path().join(LOCKFILE);
        lockfile::parse(&root.read_metadata(&full, "lockfile")?, LOCKFILE)?
    } else {
        Lockfile::default()
    };
    let has_lock = root.has(LOCKFILE);

    let mut order: Vec<String> = registries
        .iter()
        .map(|r| r.trim_end_matches('/').to_string())
        .collect();
    if order.is_empty() {
        order.push(BCR.to_string());
    }
    for recorded in lock.registries() {
        if !order.contains(&recorded) {
            order.push(recorded);
        }
    }
    let workspace: BTreeMap<String, String> = order
        .iter()
        .filter_map(|r| {
            let dir = r.strip_prefix("file://%workspace%")?;
            Some((r.clone(), dir.trim_matches('/').to_string()))
        })
        .collect();
    let regs = Registries {
        root,
        lock: &lock,
        order,
        workspace,
        locked: has_lock,
    };

    let selected = if !lock.dep_graph.is_empty() {
        lock.dep_graph
            .values()
            .map(|m| (m.name.clone(), m.version.clone()))
            .collect()
    } else {
        resolve(&regs, &root_module, has_lock)?
    };

    let mut inputs = Vec::new();
    let mut pins: Vec<(Pin, ModuleExtra)> = Vec::new();
    for (name, version) in &selected {
        let old_spec = lock
            .dep_graph
            .get(&format!("{name}@{version}"))
            .and_then(|m| m.repo_spec.as_ref());
        if let Some(spec) = old_spec {
            pins.push(graph_pin(name, version, spec)?);
            continue;
        }
        if let Some((over, at)) = root_module.overrides.get(name) {
            if !over.is_registry() {
                // Its version is in its own MODULE.bazel, which is not in
                // the project: the root's `bazel_dep` says which it wants.
                let version = match root_module.deps.iter().find(|d| &d.name == name) {
                    Some(dep) if version.is_empty() => dep.version.as_str(),
                    _ => version.as_str(),
                };
                if let Some(pin) = override_pin(root, name, version, over, at)? {
                    pins.push(pin);
                }
                continue;
            }
        }
        pins.push(module_pin(&regs, &root_module, name, version)?);
    }
    for (pin, extra) in pins {
        inputs.push(finish(root, stores, pin, extra, &lock)?);
    }
    inputs.extend(extension_inputs(root, &root_module.tags, &lock)?);
    Ok(Found { inputs, included })
}

/// Reads the root `MODULE.bazel` and every file it includes (refusing
/// includes that leave the project, cycles and too many files).
fn read_root(root: &Root) -> Result<(ModuleFile, Vec<(String, PathBuf)>)> {
    let mut module = ModuleFile::default();
    let text = root.read_metadata(&root.path().join(MODULE_FILE), "MODULE.bazel")?;
    module::read(&text, MODULE_FILE, true, &mut module)?;
    let mut read: BTreeSet<String> = BTreeSet::new();
    let mut included = Vec::new();
    let mut next = 0;
    while next < module.includes.len() {
        let (relative, at) = module.includes[next].clone();
        next += 1;
        if !read.insert(relative.clone()) {
            continue; // Bazel refuses a file included twice; reading it once is enough
        }
        if read.len() > MAX_INCLUDES {
            return Err(Error::Invalid {
                what: "MODULE.bazel",
                path: at,
                reason: format!("more than {MAX_INCLUDES} included files"),
            });
        }
        let full = join_inside(root.path(), &relative)?;
        if root.resolve(&full)?.is_none() {
            return Err(Error::Invalid {
                what: "MODULE.bazel",
                path: at,
                reason: format!("the included file {relative} does not exist"),
            });
        }
        let text = root.read_metadata(&full, "MODULE.bazel")?;
        module::read(&text, &relative, true, &mut module)?;
        included.push((relative, full));
    }
    Ok((module, included))
}

/// The dependencies of one module file as Bazel follows them: dev
/// dependencies only for the root, each version rewritten by the root's
/// `single_version_override` (or emptied by a non-registry override).
fn edges(file: &ModuleFile, is_root: bool, overrides: &ModuleFile) -> Vec<Key> {
    file.deps
        .iter()
        .filter(|d| is_root || !d.dev)
        .map(|d| rewritten(&d.name, &d.version, overrides))
        .collect()
}

/// A dependency on `name` at `version`, as the root's overrides rewrite
/// it: to a `single_version_override`'s version, or to the empty version
/// of a non-registry override.
fn rewritten(name: &str, version: &str, overrides: &ModuleFile) -> Key {
    let version = match overrides.overrides.get(name) {
        Some((Override::SingleVersion { version, .. }, _)) if !version.is_empty() => {
            version.clone()
        }
        Some((over, _)) if !over.is_registry() => String::new(),
        _ => version.to_string(),
    };
    (name.to_string(), version)
}

/// Minimal version selection over the registry's module files (see the
/// module doc); the lockfile's selected `source.json` files when a module
/// file is not in the project.
fn resolve(regs: &Registries, root_module: &ModuleFile, has_lock: bool) -> Result<Vec<Key>> {
    // Discovery: every module version reachable through any version.
    let mut deps: BTreeMap<Key, Vec<Key>> = BTreeMap::new();
    let root_key: Key = (String::new(), String::new());
    let mut queue: Vec<Key> = edges(root_module, true, root_module);
    deps.insert(root_key.clone(), queue.clone());
    let mut complete = true;
    // Module files Bazel read that no module file vouch reads asks for were
    // asked for by Bazel's own built-in modules (`bazel_tools` depends on
    // `rules_java`, `zlib`, `buildozer`, ..., by Bazel release): they are
    // dependencies of the root as far as vouch can see.
    let recorded: Vec<Key> = regs
        .lock
        .recorded(MODULE_FILE)
        .into_iter()
        .map(|(_, name, version)| (name, version))
        .collect();
    loop {
        while let Some(key) = queue.pop() {
            if deps.contains_key(&key) {
                continue;
            }
            if deps.len() > MAX_MODULES {
                return Err(Error::Invalid {
                    what: "Bazel module graph",
                    path: MODULE_FILE.into(),
                    reason: format!("more than {MAX_MODULES} module versions"),
                });
            }
            let (name, version) = &key;
            let non_registry = root_module
                .overrides
                .get(name)
                .is_some_and(|(o, _)| !o.is_registry());
            if non_registry || version.is_empty() {
                deps.insert(key, Vec::new()); // its module file is not in a registry
                continue;
            }
            let preferred = match root_module.overrides.get(name) {
                Some((Override::SingleVersion { registry, .. }, _)) => registry.as_deref(),
                _ => None,
            };
            let registry = regs.of(name, version, preferred);
            let rest = format!("modules/{name}/{version}/{MODULE_FILE}");
            let file = match regs.fetch(&registry, &rest)?.0 {
                Fetched::Trusted(text) => {
                    let mut file = ModuleFile::default();
                    module::read(&text, &format!("{registry}/{rest}"), false, &mut file)?;
                    edges(&file, false, root_module)
                }
                Fetched::Tampered(why) => {
                    return Err(Error::Invalid {
                        what: "Bazel registry file",
                        path: format!("{registry}/{rest}"),
                        reason: why,
                    })
                }
                Fetched::Absent => {
                    complete = false;
                    Vec::new()
                }
            };
            queue.extend(file.iter().cloned());
            deps.insert(key, file);
        }
        let asked: BTreeSet<&Key> = deps.values().flatten().collect();
        let unasked: Vec<Key> = recorded
            .iter()
            .map(|(name, version)| rewritten(name, version, root_module))
            .filter(|k| !asked.contains(k) && !deps.contains_key(k))
            .collect();
        if unasked.is_empty() {
            break;
        }
        if let Some(root_deps) = deps.get_mut(&root_key) {
            root_deps.extend(unasked.iter().cloned());
        }
        queue.extend(unasked);
    }

    if !complete && has_lock {
        // The lockfile records the source.json of each selected module.
        let mut selected: Vec<Key> = regs
            .lock
            .recorded("source.json")
            .into_iter()
            .map(|(_, name, version)| (name, version))
            .collect();
        for (name, (over, _)) in &root_module.overrides {
            if !over.is_registry() && root_module.deps.iter().any(|d| &d.name == name) {
                selected.push((name.clone(), String::new()));
            }
        }
        selected.sort();
        selected.dedup();
        return Ok(selected);
    }

    // Selection: the highest version per name, or per allowed version.
    let mut highest: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, version) in deps.keys().filter(|k| **k != root_key) {
        let entry = highest.entry(name).or_insert(version);
        if compare_versions(version, entry).is_gt() {
            *entry = version;
        }
    }
    let select = |(name, version): &Key| -> Key {
        if let Some((Override::MultipleVersion { versions }, _)) = root_module.overrides.get(name) {
            let mut allowed: Vec<&String> = versions.iter().collect();
            allowed.sort_by(|a, b| compare_versions(a, b));
            if let Some(v) = allowed
                .into_iter()
                .find(|v| compare_versions(v, version).is_ge())
            {
                return (name.clone(), v.clone());
            }
        }
        let version = highest.get(name.as_str()).copied().unwrap_or(version);
        (name.clone(), version.to_string())
    };
    // Pruning: only what the root reaches through selected versions.
    let mut reached: BTreeSet<Key> = BTreeSet::new();
    let mut stack: Vec<Key> = deps[&root_key].iter().map(select).collect();
    while let Some(key) = stack.pop() {
        if !reached.insert(key.clone()) {
            continue;
        }
        if let Some(next) = deps.get(&key) {
            stack.extend(next.iter().map(select));
        }
    }
    Ok(reached.into_iter().collect())
}

/// What a module input carries besides its pin.
struct ModuleExtra {
    purl: String,
    uri: String,
    /// Why the module is a mismatch whatever is on disk.
    broken: Option<String>,
}

/// The pin of a module taken from a registry.
fn module_pin(
    regs: &Registries,
    root_module: &ModuleFile,
    name: &str,
    version: &str,
) -> Result<(Pin, ModuleExtra)> {
    let override_entry = root_module.overrides.get(name);
    let preferred = match override_entry {
        Some((Override::SingleVersion { registry, .. }, _)) => registry.as_deref(),
        _ => None,
    };
    let registry = regs.of(name, version, preferred);
    let rest = format!("modules/{name}/{version}/source.json");
    let url = format!("{registry}/{rest}");
    let qualifiers: Vec<(&str, &str)> = if registry == BCR {
        Vec::new()
    } else {
        vec![("repository_url", registry.as_str())]
    };
    let purl = input::purl("bazel", None, name, Some(version), &qualifiers)?;
    let mut root_patches: Vec<String> = match override_entry {
        Some((Override::SingleVersion { patches, .. }, _)) => {
            patches.iter().map(|p| patch_path(p)).collect()
        }
        _ => Vec::new(),
    };
    let (fetched, local) = regs.fetch(&registry, &rest)?;
    let at = format!("registry file {}", local.as_deref().unwrap_or(&url));
    let mut pin = Pin {
        at: at.clone(),
        name: name.to_string(),
        version: version.to_string(),
        urls: Ok(Vec::new()),
        declared: None,
        expected: Err(String::new()),
        broken: None,
        license: None,
        cpe: None,
        categories: Vec::new(),
        patches: Vec::new(),
    };
    let mut extra = ModuleExtra {
        purl,
        uri: url.clone(),
        broken: None,
    };
    let text = match fetched {
        Fetched::Trusted(text) => text,
        Fetched::Tampered(why) => {
            extra.broken = Some(why);
            pin.patches = root_patches;
            return Ok((pin, extra));
        }
        Fetched::Absent => {
            pin.patches = root_patches;
            if !regs.locked && !regs.workspace.contains_key(&registry) {
                extra.broken = Some(format!(
                    "no {LOCKFILE} records the registry files: Bazel resolves {name} against \
                     {registry} at build time, and nothing pins what it serves"
                ));
            }
            return Ok((pin, extra));
        }
    };
    let source: Source = serde_json::from_str(&text).map_err(|e| Error::Invalid {
        what: "source.json",
        path: local.clone().unwrap_or(url.clone()),
        reason: e.to_string(),
    })?;
    match source.kind.as_deref().unwrap_or("archive") {
        "archive" => {
            let mut urls: Vec<String> = source.url.into_iter().collect();
            urls.extend(source.mirror_urls);
            if let Some(first) = urls.first() {
                extra.uri = first.clone();
            }
            pin.urls = Ok(urls);
            match source.integrity {
                Some(sri) => {
                    pin.expected = sri_digest(&sri);
                    pin.declared = Some(sri);
                }
                None => {
                    pin.expected =
                        Err("declares no `integrity`: Bazel accepts whatever the URL serves".into())
                }
            }
        }
        "git_repository" => {
            let remote = source.remote.unwrap_or_default();
            let commit = source.commit.unwrap_or_default();
            extra.uri = remote.clone();
            if commit.is_empty() {
                extra.broken = Some(format!(
                    "{at} names no `commit`: Bazel follows a tag or branch of {remote}"
                ));
            }
        }
        "local_path" => {
            extra.broken = Some(format!(
                "{at} is a `local_path` module ({}), which no digest pins",
                source.path.unwrap_or_default()
            ));
        }
        other => {
            extra.broken = Some(format!("{at} has type {other:?}, which vouch cannot check"));
        }
    }
    // Registry patches and overlay files: checked where mirrored.
    let base = format!("modules/{name}/{version}");
    let mut bad: Option<String> = None;
    for (dir, files) in [("patches", &source.patches), ("overlay", &source.overlay)] {
        for (file, integrity) in files {
            let rest = format!("{base}/{dir}/{file}");
            let local = regs.local(&registry, &rest);
            let full = match &local {
                Some(l) => Some(join_inside(regs.root.path(), l)?),
                None => None,
            };
            let present = match &full {
                Some(f) => regs.root.resolve(f)?.is_some(),
                None => false,
            };
            match (local, full) {
                (Some(local), Some(full)) if present => {
                    if let Ok(expected) = sri_digest(integrity) {
                        let got = hash(regs.root, &full, expected.algorithm)?;
                        if got != expected.hex && bad.is_none() {
                            bad = Some(format!(
                                "{dir} file {local} has {} {got}, {at} declares {integrity}",
                                expected.algorithm.key()
                            ));
                        }
                    }
                    pin.patches.push(local);
                }
                _ => pin.patches.push(format!("{registry}/{rest}")),
            }
        }
    }
    if extra.broken.is_none() {
        extra.broken = bad;
    }
    if !regs.locked && !regs.workspace.contains_key(&registry) && extra.broken.is_none() {
        extra.broken = Some(format!(
            "no {LOCKFILE} records the registry files: Bazel resolves {name} against \
             {registry} at build time, and nothing pins what it serves"
        ));
    }
    pin.patches.append(&mut root_patches);
    Ok((pin, extra))
}

/// The pin of a module from an old lockfile's `moduleDepGraph`: its
/// repository spec's `urls`, `integrity` and `remote_patches` (URL to
/// integrity), which Bazel fetches as they are.
fn graph_pin(name: &str, version: &str, spec: &lockfile::RepoSpec) -> Result<(Pin, ModuleExtra)> {
    let at = format!("{LOCKFILE} (moduleDepGraph[\"{name}@{version}\"])");
    let a = &spec.attributes;
    let urls: Vec<String> = match a.get("urls") {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|u| u.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let patches: Vec<String> = match a.get("remote_patches") {
        Some(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let integrity = a
        .get("integrity")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty());
    let (declared, expected) = match integrity {
        Some(sri) => (Some(sri.to_string()), sri_digest(sri)),
        None if spec.rule_class_name.ends_with("http_archive") => (
            None,
            Err("declares no `integrity`: Bazel accepts whatever the URL serves".to_string()),
        ),
        None => (None, Err(String::new())),
    };
    let pin = Pin {
        at,
        name: name.to_string(),
        version: version.to_string(),
        urls: Ok(urls.clone()),
        declared,
        expected,
        broken: None,
        license: None,
        cpe: None,
        categories: Vec::new(),
        patches,
    };
    let extra = ModuleExtra {
        purl: input::purl(
            "bazel",
            None,
            name,
            (!version.is_empty()).then_some(version),
            &[],
        )?,
        uri: urls.first().cloned().unwrap_or_default(),
        broken: None,
    };
    Ok((pin, extra))
}

/// The pin of a module the root takes from elsewhere than a registry;
/// `None` for a local path inside the project (the project's own code).
fn override_pin(
    root: &Root,
    name: &str,
    version: &str,
    over: &Override,
    at: &str,
) -> Result<Option<(Pin, ModuleExtra)>> {
    let mut pin = Pin {
        at: at.to_string(),
        name: name.to_string(),
        version: version.to_string(),
        urls: Ok(Vec::new()),
        declared: None,
        expected: Err(String::new()),
        broken: None,
        license: None,
        cpe: None,
        categories: Vec::new(),
        patches: Vec::new(),
    };
    let version = (!version.is_empty()).then_some(version);
    let extra = match over {
        Override::Archive {
            urls,
            integrity,
            patches,
            ..
        } => {
            let first = urls.first().cloned().unwrap_or_default();
            let q: Vec<(&str, &str)> = if first.is_empty() {
                Vec::new()
            } else {
                vec![("download_url", first.as_str())]
            };
            pin.urls = Ok(urls.clone());
            pin.patches = patches.iter().map(|p| patch_path(p)).collect();
            match integrity {
                Some(sri) => {
                    pin.expected = sri_digest(sri);
                    pin.declared = Some(sri.clone());
                }
                None => {
                    pin.expected = Err(
                        "`archive_override` declares no `integrity`: Bazel accepts whatever \
                         the URL serves"
                            .into(),
                    )
                }
            }
            ModuleExtra {
                purl: input::purl("bazel", None, name, version, &q)?,
                uri: first,
                broken: None,
            }
        }
        Override::Git { remote, commit } => {
            let vcs = format!("git+{remote}@{commit}");
            ModuleExtra {
                purl: input::purl("bazel", None, name, version, &[("vcs_url", vcs.as_str())])?,
                uri: remote.clone(),
                broken: commit.is_empty().then(|| {
                    format!("{at}: `git_override` names no `commit`: Bazel follows a tag or branch")
                }),
            }
        }
        Override::LocalPath { path } => {
            if crate::tree::outside(root, path).is_none() {
                return Ok(None);
            }
            ModuleExtra {
                purl: input::purl("bazel", None, name, version, &[])?,
                uri: String::new(),
                broken: Some(format!(
                    "{at}: `local_path_override` takes {path}, outside the project, which no \
                     digest pins"
                )),
            }
        }
        Override::SingleVersion { .. } | Override::MultipleVersion { .. } => return Ok(None),
    };
    Ok(Some((pin, extra)))
}

/// A module's input: its pin checked against the stores as WORKSPACE pins
/// are, with its own identity. A pin whose `expected` is an empty error
/// declares nothing (its `source.json` is not in the project, or it is a
/// git module): not vendored, nothing looked up.
fn finish(
    root: &Root,
    stores: &[Store],
    pin: Pin,
    extra: ModuleExtra,
    lock: &Lockfile,
) -> Result<Input> {
    let key = format!("{}@{}", pin.name, pin.version);
    let mut input = if matches!(&pin.expected, Err(e) if e.is_empty()) {
        Input {
            patches: pin.patches,
            ..Input::declared("bazel", pin.name, pin.version, "", "")
        }
    } else {
        let found = locate(root, &pin, stores)?;
        let observed = match found.as_ref().filter(|f| f.full.is_file()) {
            Some(f) => {
                let algorithm = pin
                    .expected
                    .as_ref()
                    .map_or(Algorithm::Sha256, |e| e.algorithm);
                Some((algorithm, hash(root, &f.full, algorithm)?))
            }
            None => None,
        };
        super::input(pin, found, observed)?
    };
    input.purl = extra.purl;
    input.uri = extra.uri;
    if let Some(reason) = extra.broken {
        input.status = Match::Mismatch { reason };
    }
    if let Some(why) = lock.selected_yanked.get(&key) {
        input.status = Match::Mismatch {
            reason: format!("{key} is yanked ({why}); {LOCKFILE} allows it"),
        };
    }
    Ok(input)
}

// ---------------------------------------------------------- extensions --

/// Which extension a tag is of, by the extension's name and the `.bzl`
/// file it is loaded from (so that a project's own extension named `pip`
/// is not read as rules_python's).
fn extension_of(tag: &Tag) -> &'static str {
    let bzl = tag.bzl.as_str();
    match tag.extension.as_str() {
        "go_deps" if bzl.contains("gazelle") => "go_deps",
        "crate"
            if ["rules_rust", "rules_rs", "crate_universe"]
                .iter()
                .any(|r| bzl.contains(r)) =>
        {
            "crate"
        }
        "pip" if bzl.contains("rules_python") => "pip",
        _ => "",
    }
}

/// A root module's `MODULE.bazel` `text` read as discovery reads it, with
/// its includes left unread: each `bazel_dep` as `(name, version)`, every
/// override and extension tag checked. For fuzzing and for callers that
/// hold the bytes; an error names the line.
pub fn module_dependencies(text: &str) -> Result<Vec<(String, String)>> {
    let mut module = ModuleFile::default();
    module::read(text, MODULE_FILE, true, &mut module)?;
    Ok(module
        .deps
        .into_iter()
        .map(|d| (d.name, d.version))
        .collect())
}

/// A lockfile's `registryFileHashes`: each registry file's URL to the
/// SHA-256 hex of its content, `None` for one Bazel recorded as absent.
pub type RegistryFileHashes = BTreeMap<String, Option<String>>;

/// A `MODULE.bazel.lock`'s `text` read as discovery reads it: the registry
/// files it records (URL to SHA-256 hex, `None` for one recorded as
/// absent), and the Go modules and crates its `go_deps` and `crate`
/// extensions pin. For fuzzing and for callers that hold the bytes.
pub fn lockfile_pins(text: &str) -> Result<(RegistryFileHashes, Vec<Input>)> {
    let lock = lockfile::parse(text, LOCKFILE)?;
    let mut pins = locked_go_repositories(&lock)?;
    pins.extend(locked_crates(&lock)?);
    Ok((lock.registry_file_hashes, pins))
}

/// The attributes of each repository the lockfile records an extension
/// generating (`moduleExtensions.<id>.<os>.generatedRepoSpecs`), for the
/// extensions whose id `extension` accepts and the repository rules whose
/// id or class ends with `rule`.
fn generated_repositories<'a>(
    lock: &'a Lockfile,
    extension: impl Fn(&str) -> bool + 'a,
    rule: &'a str,
) -> impl Iterator<Item = &'a serde_json::Value> + 'a {
    lock.module_extensions
        .iter()
        .filter(move |(id, _)| extension(id))
        .filter_map(|(_, e)| e.as_object())
        .flat_map(|per_os| per_os.values())
        .filter_map(|v| v.get("generatedRepoSpecs").and_then(|g| g.as_object()))
        .flat_map(|g| g.values())
        .filter(move |spec| {
            spec.get("repoRuleId")
                .or_else(|| spec.get("ruleClassName"))
                .and_then(|r| r.as_str())
                .is_some_and(|r| r.ends_with(rule))
        })
        .filter_map(|spec| spec.get("attributes"))
}

/// The Go modules a lockfile's `moduleExtensions` records for gazelle's
/// `go_deps` (`go_repository` specs with `importpath`, `version` and
/// `sum`), as Bazel fetches them.
fn locked_go_repositories(lock: &Lockfile) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    let go_deps = |id: &str| id.contains("gazelle") && id.ends_with("%go_deps");
    for attributes in generated_repositories(lock, go_deps, "go_repository") {
        let text = |k: &str| {
            attributes
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
        };
        let (path, version, sum) = (text("importpath"), text("version"), text("sum"));
        if path.is_empty() || version.is_empty() {
            continue; // a repository from a local path or a VCS, not a module
        }
        let mut input = Input::declared(
            "go",
            path,
            version,
            crate::go::purl(path, version)?,
            crate::go::proxy_uri(path, version),
        );
        if sum.is_empty() {
            input.status = Match::Mismatch {
                reason: format!(
                    "{LOCKFILE} records the go_deps repository {path} {version} with no `sum`"
                ),
            };
        } else {
            input.declared = Some(sum.to_string());
        }
        inputs.push(input);
    }
    Ok(inputs)
}

/// The crates a lockfile's `moduleExtensions` records for rules_rust's
/// `crate` extension (crate_universe, whose `crate.spec`/`from_specs`
/// resolution is written nowhere else): each `http_archive` spec of a
/// crates.io crate (`https://static.crates.io/crates/<name>/<version>/download`
/// or the `crates.io/api/v1` form) with its `sha256`, as the Cargo reader
/// lists a locked crate.
fn locked_crates(lock: &Lockfile) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    let crate_universe = |id: &str| id.contains("crate_universe") && id.contains("%crate");
    for attributes in generated_repositories(lock, crate_universe, "http_archive") {
        let url = attributes
            .get("urls")
            .and_then(|u| u.as_array())
            .and_then(|u| u.first())
            .and_then(|u| u.as_str())
            .unwrap_or_default();
        let crate_path = url
            .strip_prefix("https://static.crates.io/crates/")
            .or_else(|| url.strip_prefix("https://crates.io/api/v1/crates/"));
        let Some((name, version)) = crate_path.and_then(|p| {
            let mut parts = p.split('/');
            let (name, version, download) = (parts.next()?, parts.next()?, parts.next()?);
            (download == "download" && parts.next().is_none()).then_some((name, version))
        }) else {
            continue;
        };
        let mut input = Input::declared(
            "cargo",
            name,
            version,
            input::purl("cargo", None, name, Some(version), &[])?,
            format!("https://crates.io/crates/{name}/{version}"),
        );
        match attributes.get("sha256").and_then(|s| s.as_str()) {
            Some(hex) if !hex.is_empty() => input.declared = Some(format!("sha256:{hex}")),
            _ => {
                input.status = Match::Mismatch {
                    reason: format!(
                        "{LOCKFILE} records the crate {name} {version} with no `sha256`: \
                             Bazel accepts whatever the URL serves"
                    ),
                }
            }
        }
        inputs.push(input);
    }
    Ok(inputs)
}

/// The Go, Cargo and pip inputs the root module's extension tags pin, and
/// the Go modules and crates the lockfile records for `go_deps` and
/// `crate`.
fn extension_inputs(root: &Root, tags: &[Tag], lock: &Lockfile) -> Result<Vec<Input>> {
    let mut inputs: Vec<Input> = Vec::new();
    let mut files_read: BTreeSet<String> = BTreeSet::new();
    for tag in tags {
        let label = |keys: &[&str]| -> Vec<(String, String)> {
            keys.iter()
                .filter_map(|k| {
                    tag.kwargs
                        .iter()
                        .rev()
                        .find(|(key, _)| key == k)
                        .map(|(_, v)| ((*k).to_string(), v.clone()))
                })
                .flat_map(|(k, v)| match v {
                    Value::Str(s) => vec![(k, s)],
                    // requirements_by_platform = {label: platforms}
                    Value::Dict(entries) => {
                        entries.into_iter().map(|(l, _)| (k.clone(), l)).collect()
                    }
                    _ => Vec::new(),
                })
                .collect()
        };
        let string = |key: &str| match tag.kwargs.iter().rev().find(|(k, _)| k == key) {
            Some((_, Value::Str(s))) => Some(s.clone()),
            _ => None,
        };
        match (extension_of(tag), tag.tag.as_str()) {
            ("go_deps", "module") => {
                let (Some(path), Some(version)) = (string("path"), string("version")) else {
                    return Err(tag_error(
                        tag,
                        "`go_deps.module` needs literal `path` and `version`",
                    ));
                };
                let mut input = Input::declared(
                    "go",
                    path.clone(),
                    version.clone(),
                    crate::go::purl(&path, &version)?,
                    crate::go::proxy_uri(&path, &version),
                );
                match string("sum") {
                    Some(sum) => input.declared = Some(sum),
                    None => {
                        input.status = Match::Mismatch {
                            reason: format!(
                                "{}: `go_deps.module` of {path} declares no `sum`",
                                tag.at
                            ),
                        }
                    }
                }
                inputs.push(input);
            }
            ("go_deps", "from_file") => {
                for (_, l) in label(&["go_mod"]) {
                    let Some(path) = file(tag, &l)? else { continue };
                    if path == "go.mod" && crate::Ecosystem::detect(&crate::go::Go, root)
                        || !files_read.insert(path.clone())
                    {
                        continue; // the Go reader lists them
                    }
                    inputs.extend(go_inputs(root, &path)?);
                }
            }
            ("crate", "from_cargo") => {
                for (_, l) in label(&["cargo_lockfile", "cargo_lock"]) {
                    let Some(path) = file(tag, &l)? else { continue };
                    if path == "Cargo.lock" && crate::Ecosystem::detect(&crate::cargo::Cargo, root)
                        || !files_read.insert(path.clone())
                    {
                        continue;
                    }
                    let full = join_inside(root.path(), &path)?;
                    let text = root.read_metadata(&full, "Cargo.lock")?;
                    inputs.extend(crate::cargo::locked_inputs(&text, &full)?);
                }
            }
            ("pip", "parse") => {
                let keys = [
                    "requirements_lock",
                    "requirements_by_platform",
                    "requirements_linux",
                    "requirements_darwin",
                    "requirements_windows",
                ];
                for (_, l) in label(&keys) {
                    let Some(path) = file(tag, &l)? else { continue };
                    if path == "requirements.txt"
                        && crate::Ecosystem::detect(&crate::pip::Pip, root)
                        || !files_read.insert(path.clone())
                    {
                        continue;
                    }
                    let full = join_inside(root.path(), &path)?;
                    let text = root.read_metadata(&full, "requirements file")?;
                    inputs.extend(crate::pip::locked_inputs(&text, &full, &path)?);
                }
            }
            _ => {}
        }
    }
    // Go modules the lockfile records that the Go reader lists from the
    // root go.mod already.
    let root_go: BTreeSet<(String, String)> = if crate::Ecosystem::detect(&crate::go::Go, root) {
        go_inputs(root, "go.mod")?
            .into_iter()
            .map(|i| (i.name, i.version))
            .collect()
    } else {
        BTreeSet::new()
    };
    inputs.extend(
        locked_go_repositories(lock)?
            .into_iter()
            .filter(|i| !root_go.contains(&(i.name.clone(), i.version.clone()))),
    );
    // Likewise crates of the root Cargo.lock.
    let root_crates: BTreeSet<(String, String)> =
        if crate::Ecosystem::detect(&crate::cargo::Cargo, root) {
            let full = root.path().join("Cargo.lock");
            crate::cargo::locked_inputs(&root.read_metadata(&full, "Cargo.lock")?, &full)?
                .into_iter()
                .map(|i| (i.name, i.version))
                .collect()
        } else {
            BTreeSet::new()
        };
    inputs.extend(
        locked_crates(lock)?
            .into_iter()
            .filter(|i| !root_crates.contains(&(i.name.clone(), i.version.clone()))),
    );
    let mut seen = HashMap::new();
    inputs.retain(|i| {
        seen.insert(
            (
                i.ecosystem,
                i.name.clone(),
                i.version.clone(),
                i.declared.clone(),
            ),
            (),
        )
        .is_none()
    });
    Ok(inputs)
}

/// The error of a tag.
fn tag_error(tag: &Tag, reason: &str) -> Error {
    Error::Invalid {
        what: "MODULE.bazel",
        path: tag.at.clone(),
        reason: reason.to_string(),
    }
}

/// The root-relative path of a file label in a tag; `None` for another
/// repository's.
fn file(tag: &Tag, label: &str) -> Result<Option<String>> {
    module::file_label(label).map_err(|reason| Error::OutsideTree {
        path: format!("{} ({}.{})", tag.at, tag.extension, tag.tag),
        reason,
    })
}

/// The modules a `go.mod` (and the `go.sum` beside it) requires, as the Go
/// reader lists them without a vendor directory.
fn go_inputs(root: &Root, go_mod: &str) -> Result<Vec<Input>> {
    let full = join_inside(root.path(), go_mod)?;
    let parsed = crate::go::parse_go_mod(&root.read_metadata(&full, "go.mod")?, &full)?;
    let sum_rel = match go_mod.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/go.sum"),
        None => "go.sum".to_string(),
    };
    let sum_full = join_inside(root.path(), &sum_rel)?;
    let sums = if root.has(&sum_rel) {
        crate::go::parse_go_sum(&root.read_metadata(&sum_full, "go.sum")?, &sum_full)?
    } else {
        BTreeMap::new()
    };
    let mut inputs = crate::go::required_inputs(&parsed, &sums, go_mod)?;
    // gazelle's go_deps refuses a module go.sum has no hash of.
    for input in &mut inputs {
        if input.declared.is_none() && input.status == Match::NotVendored {
            input.status = Match::Mismatch {
                reason: format!(
                    "{sum_rel} has no h1: hash of {} {}",
                    input.name, input.version
                ),
            };
        }
    }
    Ok(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ecosystem;
    use std::path::Path;

    fn write(root: &Path, path: &str, text: &[u8]) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    fn sri(bytes: &[u8]) -> String {
        use base64::Engine;
        format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD
                .encode(ring::digest::digest(&ring::digest::SHA256, bytes))
        )
    }

    /// The readers of bytes (fuzzing's entry points) agree with the real
    /// rules_rust example: its four `bazel_dep`s, and the one crate and the
    /// registry files its lockfile records.
    #[test]
    fn the_byte_readers_read_the_real_rules_rust_example() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/projects/bzlmod-rules-rust");
        let module = std::fs::read_to_string(dir.join("MODULE.bazel")).unwrap();
        let deps = module_dependencies(&module).unwrap();
        let names: Vec<&str> = deps.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["platforms", "bazel_skylib", "rules_shell", "rules_rust"]
        );
        let lock = std::fs::read_to_string(dir.join("MODULE.bazel.lock")).unwrap();
        let (hashes, pins) = lockfile_pins(&lock).unwrap();
        assert!(hashes.len() > 20, "{}", hashes.len());
        assert!(hashes.values().flatten().all(|h| h.len() == 64));
        assert_eq!(pins.len(), 1, "{pins:?}");
        assert_eq!(pins[0].ecosystem, "cargo");
        assert!(pins[0]
            .declared
            .as_deref()
            .is_some_and(|d| d.starts_with("sha256:")));
        let err = module_dependencies("bazel_dep(name = x)\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1"), "{err}");
        assert!(lockfile_pins("[]").is_err());
    }

    /// A project: a root MODULE.bazel, and registry modules
    /// `(name, version, MODULE.bazel text)`, each with a source.json of a
    /// made-up archive, mirrored and recorded in the lockfile.
    fn project(root_module: &str, modules: &[(&str, &str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "MODULE.bazel", root_module.as_bytes());
        let mut hashes = serde_json::Map::new();
        for (name, version, text) in modules {
            let module_file = format!("{}\n", text);
            let source = format!(
                "{{\"url\": \"https://e.com/{name}-{version}.tar.gz\", \"integrity\": \"{}\"}}",
                sri(format!("{name}-{version}").as_bytes())
            );
            for (file, content) in [("MODULE.bazel", module_file), ("source.json", source)] {
                let rest = format!("modules/{name}/{version}/{file}");
                write(
                    d,
                    &format!("{MIRROR_DIR}/bcr.bazel.build/{rest}"),
                    content.as_bytes(),
                );
                hashes.insert(
                    format!("{BCR}/{rest}"),
                    vouch_evidence::digest::sha256(content.as_bytes())
                        .hex()
                        .into(),
                );
            }
        }
        let lock = serde_json::json!({"lockFileVersion": 13, "registryFileHashes": hashes});
        write(d, LOCKFILE, lock.to_string().as_bytes());
        dir
    }

    /// [`project`], with a lockfile that records only the registry files
    /// of `read` (name, version): those Bazel read.
    fn project_reading(
        root_module: &str,
        modules: &[(&str, &str, &str)],
        read: &[(&str, &str)],
    ) -> tempfile::TempDir {
        let dir = project(root_module, modules);
        let lock = dir.path().join(LOCKFILE);
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
        json["registryFileHashes"]
            .as_object_mut()
            .unwrap()
            .retain(|k, _| {
                read.iter()
                    .any(|(n, v)| k.contains(&format!("/modules/{n}/{v}/")))
            });
        std::fs::write(&lock, json.to_string()).unwrap();
        dir
    }

    fn inputs(dir: &tempfile::TempDir) -> Vec<Input> {
        super::super::Bazel
            .discover(&Root::new(dir.path()).unwrap())
            .unwrap()
    }

    fn versions(inputs: &[Input]) -> Vec<String> {
        let mut v: Vec<String> = inputs
            .iter()
            .filter(|i| i.purl.starts_with("pkg:bazel/"))
            .map(|i| format!("{}@{}", i.name, i.version))
            .collect();
        v.sort();
        v
    }

    fn by_name<'i>(inputs: &'i [Input], name: &str) -> &'i Input {
        inputs
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("no {name} in {inputs:#?}"))
    }

    fn reason(input: &Input) -> &str {
        match &input.status {
            Match::Mismatch { reason } => reason,
            other => panic!("{}: {other:?}", input.name),
        }
    }

    /// a@1 -> c@1 -> e@1; b@1 -> c@2, d@1; c@2 -> nothing.
    const GRAPH: [(&str, &str, &str); 6] = [
        ("a", "1.0", "module(name = \"a\", version = \"1.0\")\nbazel_dep(name = \"c\", version = \"1.0\")"),
        ("b", "1.0", "bazel_dep(name = \"c\", version = \"2.0\")\nbazel_dep(name = \"d\", version = \"1.0\")\nbazel_dep(name = \"x\", version = \"9\", dev_dependency = True)"),
        ("c", "1.0", "bazel_dep(name = \"e\", version = \"1.0\")"),
        ("c", "2.0", ""),
        ("d", "1.0", ""),
        ("e", "1.0", ""),
    ];
    const ROOT: &str =
        "bazel_dep(name = \"a\", version = \"1.0\")\nbazel_dep(name = \"b\", version = \"1.0\")\n";

    #[test]
    fn minimal_version_selection_prunes_what_the_selected_versions_leave() {
        let dir = project(ROOT, &GRAPH);
        let found = inputs(&dir);
        // c@2 wins; e, reached only through c@1, is dropped; b's dev
        // dependency x is not followed.
        assert_eq!(versions(&found), ["a@1.0", "b@1.0", "c@2.0", "d@1.0"]);
        let c = by_name(&found, "c");
        assert_eq!(c.declared, Some(sri(b"c-2.0")));
        assert_eq!(c.uri, "https://e.com/c-2.0.tar.gz");
        assert_eq!(c.purl, "pkg:bazel/c@2.0");
        assert_eq!(c.status, Match::NotVendored);
    }

    #[test]
    fn overrides_change_the_selection_as_bazel_does() {
        // single_version_override pins c to 1.0 everywhere: e comes back.
        let dir = project(
            &format!(
                "{ROOT}single_version_override(module_name = \"c\", version = \"1.0\", patches = [\"//p:c.patch\"])\n"
            ),
            &GRAPH,
        );
        let found = inputs(&dir);
        assert_eq!(
            versions(&found),
            ["a@1.0", "b@1.0", "c@1.0", "d@1.0", "e@1.0"]
        );
        assert_eq!(by_name(&found, "c").patches, ["p/c.patch"]);

        // multiple_version_override: c@1 and c@2 coexist.
        let dir = project(
            &format!("{ROOT}multiple_version_override(module_name = \"c\", versions = [\"1.0\", \"2.0\"])\n"),
            &GRAPH,
        );
        assert_eq!(
            versions(&inputs(&dir)),
            ["a@1.0", "b@1.0", "c@1.0", "c@2.0", "d@1.0", "e@1.0"]
        );

        // Non-registry overrides: the module is not taken from the
        // registry, and what only its registry version asked for is gone
        // (Bazel read none of their registry files, nor recorded them).
        let dir = project_reading(
            &format!(
                "{ROOT}git_override(module_name = \"b\", remote = \"https://e.com/b.git\")\n\
                 local_path_override(module_name = \"a\", path = \"third_party/a\")\n"
            ),
            &GRAPH,
            &[],
        );
        let found = inputs(&dir);
        assert_eq!(versions(&found), ["b@1.0"], "{found:#?}");
        let b = by_name(&found, "b");
        assert_eq!(
            b.purl,
            "pkg:bazel/b@1.0?vcs_url=git%2Bhttps://e.com/b.git%40"
        );
        assert!(
            reason(b).contains("`git_override` names no `commit`"),
            "{b:?}"
        );
        let dir = project(
            &format!("{ROOT}local_path_override(module_name = \"a\", path = \"/opt/a\")\n"),
            &GRAPH,
        );
        let a = inputs(&dir);
        assert!(reason(by_name(&a, "a")).contains("/opt/a, outside the project"));
    }

    #[test]
    fn registry_files_are_trusted_only_as_the_lockfile_records_them_issue_18() {
        let dir = project(ROOT, &GRAPH);
        let d = dir.path();
        // A changed source.json: its module is a mismatch naming the file.
        let source = format!("{MIRROR_DIR}/bcr.bazel.build/modules/d/1.0/source.json");
        let forged = format!(
            "{{\"url\": \"https://evil.example/d.tgz\", \"integrity\": \"{}\"}}",
            sri(b"evil")
        );
        write(d, &source, forged.as_bytes());
        let found = inputs(&dir);
        let d_input = by_name(&found, "d");
        assert!(
            reason(d_input).starts_with(&format!("registry file {source} has sha256 ")),
            "{d_input:?}"
        );
        assert_eq!(d_input.declared, None);
        assert_eq!(d_input.uri, format!("{BCR}/modules/d/1.0/source.json"));

        // A changed MODULE.bazel: the graph cannot be trusted.
        write(
            d,
            &format!("{MIRROR_DIR}/bcr.bazel.build/modules/b/1.0/MODULE.bazel"),
            b"",
        );
        let e = super::super::Bazel
            .discover(&Root::new(d).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("modules/b/1.0/MODULE.bazel has sha256"), "{e}");

        // A registry file the lockfile records as absent is not trusted.
        let dir2 = project(ROOT, &GRAPH);
        let lock = dir2.path().join(LOCKFILE);
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
        json["registryFileHashes"][format!("{BCR}/modules/d/1.0/source.json")] =
            serde_json::Value::Null;
        std::fs::write(&lock, json.to_string()).unwrap();
        let found = inputs(&dir2);
        assert!(
            reason(by_name(&found, "d")).contains("records that"),
            "{found:#?}"
        );

        // A registry file that is not mirrored: listed, nothing declared.
        let dir = project(ROOT, &GRAPH);
        std::fs::remove_file(dir.path().join(format!(
            "{MIRROR_DIR}/bcr.bazel.build/modules/d/1.0/source.json"
        )))
        .unwrap();
        let found = inputs(&dir);
        let d_input = by_name(&found, "d");
        assert_eq!(d_input.status, Match::NotVendored);
        assert_eq!(d_input.declared, None);
        assert_eq!(d_input.uri, format!("{BCR}/modules/d/1.0/source.json"));
    }

    #[test]
    fn without_the_module_files_the_lockfile_is_the_graph() {
        let dir = project(ROOT, &GRAPH);
        // Bazel records the source.json of the selected modules only.
        let lock = dir.path().join(LOCKFILE);
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
        let hashes = json["registryFileHashes"].as_object_mut().unwrap();
        hashes.retain(|k, _| {
            !k.ends_with("/c/1.0/source.json") && !k.ends_with("/e/1.0/source.json")
        });
        std::fs::write(&lock, json.to_string()).unwrap();
        std::fs::remove_dir_all(dir.path().join(MIRROR_DIR)).unwrap();
        assert_eq!(
            versions(&inputs(&dir)),
            ["a@1.0", "b@1.0", "c@2.0", "d@1.0"]
        );
    }

    #[test]
    fn without_a_lockfile_nothing_pins_the_registry_modules() {
        let dir = project(ROOT, &GRAPH);
        std::fs::remove_file(dir.path().join(LOCKFILE)).unwrap();
        let found = inputs(&dir);
        assert_eq!(versions(&found), ["a@1.0", "b@1.0", "c@2.0", "d@1.0"]);
        for module in &found {
            assert!(
                reason(module).starts_with("no MODULE.bazel.lock records the registry files"),
                "{module:?}"
            );
        }
        std::fs::remove_dir_all(dir.path().join(MIRROR_DIR)).unwrap();
        let found = inputs(&dir);
        assert_eq!(versions(&found), ["a@1.0", "b@1.0"]);
        assert!(reason(by_name(&found, "a")).contains("nothing pins what it serves"));
    }

    #[test]
    fn yanked_versions_and_old_lockfiles() {
        let dir = project(ROOT, &GRAPH);
        let lock = dir.path().join(LOCKFILE);
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
        json["selectedYankedVersions"] = serde_json::json!({"d@1.0": "CVE-2099-1"});
        std::fs::write(&lock, json.to_string()).unwrap();
        let found = inputs(&dir);
        assert!(reason(by_name(&found, "d")).contains("d@1.0 is yanked (CVE-2099-1)"));

        // lockFileVersion 3: the graph with its repository specs.
        let old = serde_json::json!({"lockFileVersion": 3, "moduleDepGraph": {
            "<root>": {"name": "", "version": ""},
            "zlib@1.3": {"name": "zlib", "version": "1.3", "repoSpec": {
                "ruleClassName": "http_archive",
                "attributes": {"urls": ["https://e.com/zlib-1.3.tgz"], "integrity": sri(b"z"),
                               "remote_patches": {"https://bcr.bazel.build/p.patch": "sha256-x"}}}}}});
        std::fs::write(&lock, old.to_string()).unwrap();
        std::fs::remove_dir_all(dir.path().join(MIRROR_DIR)).unwrap();
        let found = inputs(&dir);
        assert_eq!(versions(&found), ["zlib@1.3"]);
        let zlib = by_name(&found, "zlib");
        assert_eq!(zlib.declared, Some(sri(b"z")));
        assert_eq!(zlib.patches, ["https://bcr.bazel.build/p.patch"]);
    }

    #[test]
    fn extensions_pin_go_cargo_and_pip_inputs_once() {
        const SUM: &str = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        const CHECKSUM: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        let dir = project(
            "go_deps = use_extension(\"@gazelle//:extensions.bzl\", \"go_deps\")\n\
             go_deps.module(path = \"example.com/pinned\", version = \"v1.2.0\", sum = \"h1:pinned=\")\n\
             go_deps.module(path = \"example.com/nosum\", version = \"v1.0.0\")\n\
             go_deps.from_file(go_mod = \"//tools:go.mod\")\n\
             crate = use_extension(\"@rules_rust//crate_universe:extensions.bzl\", \"crate\")\n\
             crate.from_cargo(name = \"crates\", cargo_lockfile = \"//rust:Cargo.lock\", manifests = [\"//rust:Cargo.toml\"])\n\
             pip = use_extension(\"@rules_python//python/extensions:pip.bzl\", \"pip\")\n\
             pip.parse(hub_name = \"pip\", requirements_lock = \"//py:requirements_lock.txt\")\n\
             pip.parse(hub_name = \"pip2\", requirements_by_platform = {\"//py:requirements_lock.txt\": \"*\"})\n\
             mine = use_extension(\"//:mine.bzl\", \"pip\")\n\
             mine.parse(requirements_lock = \"//py:other.txt\")\n",
            &[],
        );
        let d = dir.path();
        write(
            d,
            "tools/go.mod",
            b"module example.com/tools\n\ngo 1.22\n\nrequire example.com/dep v0.1.0\n",
        );
        write(
            d,
            "tools/go.sum",
            format!("example.com/dep v0.1.0 {SUM}\nexample.com/dep v0.1.0/go.mod h1:x=\n")
                .as_bytes(),
        );
        write(
            d,
            "rust/Cargo.lock",
            format!(
                "version = 3\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\n\
                 source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
                 checksum = \"{CHECKSUM}\"\n\n[[package]]\nname = \"mine\"\nversion = \"0.1.0\"\n"
            )
            .as_bytes(),
        );
        write(
            d,
            "py/requirements_lock.txt",
            format!("idna==3.7 --hash=sha256:{CHECKSUM}\nloose>=1\n").as_bytes(),
        );
        let found = inputs(&dir);
        let pinned = by_name(&found, "example.com/pinned");
        assert_eq!(
            (pinned.ecosystem, pinned.declared.as_deref()),
            ("go", Some("h1:pinned="))
        );
        assert_eq!(pinned.purl, "pkg:golang/example.com/pinned@v1.2.0");
        assert!(reason(by_name(&found, "example.com/nosum")).contains("declares no `sum`"));
        let dep = by_name(&found, "example.com/dep");
        assert_eq!(dep.declared.as_deref(), Some(SUM));
        assert_eq!(dep.status, Match::NotVendored);
        let itoa = by_name(&found, "itoa");
        assert_eq!(itoa.ecosystem, "cargo");
        assert_eq!(itoa.declared, Some(format!("sha256:{CHECKSUM}")));
        assert!(found.iter().all(|i| i.name != "mine"));
        // The lock named twice is read once; an unpinned requirement is a
        // mismatch as pip's reader makes it; the project's own `pip`
        // extension is not rules_python's.
        assert_eq!(found.iter().filter(|i| i.name == "idna").count(), 1);
        assert_eq!(
            by_name(&found, "idna").declared,
            Some(format!("sha256:{CHECKSUM}"))
        );
        assert!(reason(by_name(&found, "loose")).contains("not pinned"));
        assert_eq!(found.len(), 6, "{found:#?}");

        // The root go.mod is the Go reader's: not listed twice.
        write(
            d,
            "MODULE.bazel",
            b"go_deps = use_extension(\"@gazelle//:extensions.bzl\", \"go_deps\")\n\
              go_deps.from_file(go_mod = \"//:go.mod\")\n",
        );
        write(
            d,
            "go.mod",
            b"module example.com/x\n\ngo 1.22\n\nrequire example.com/dep v0.1.0\n",
        );
        assert!(inputs(&dir).iter().all(|i| i.ecosystem != "go"));
        let all = crate::discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(
            all.iter().filter(|i| i.name == "example.com/dep").count(),
            1
        );

        // A label leaving the project is refused.
        write(
            d,
            "MODULE.bazel",
            b"pip = use_extension(\"@rules_python//python/extensions:pip.bzl\", \"pip\")\n\
              pip.parse(requirements_lock = \"//../..:etc/passwd\")\n",
        );
        let e = super::super::Bazel
            .discover(&Root::new(d).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("MODULE.bazel:2 (pip.parse)") && e.contains("leaves the project"),
            "{e}"
        );
    }

    #[test]
    fn lockfile_go_repositories_and_workspace_pins_are_counted_once() {
        let zlib_digest = sri(b"zlib-1.3");
        let dir = project(
            "bazel_dep(name = \"zlib\", version = \"1.3\")\n",
            &[("zlib", "1.3", "")],
        );
        let d = dir.path();
        // The same archive through WORKSPACE (by its hex SHA-256), and
        // another archive.
        let hex = vouch_evidence::digest::sha256(b"zlib-1.3").hex();
        write(
            d,
            "WORKSPACE",
            format!(
                "http_archive(name = \"net_zlib\", urls = [\"https://zlib.net/zlib-1.3.tar.gz\"], sha256 = \"{hex}\")\n\
                 http_archive(name = \"other\", urls = [\"https://e.com/o-1.0.tgz\"], integrity = \"{}\")\n",
                sri(b"other")
            )
            .as_bytes(),
        );
        // Envoy's categories beside MODULE.bazel fill the module's.
        write(
            d,
            "bazel/repository_locations.bzl",
            format!(
                "REPOSITORY_LOCATIONS_SPEC = dict(zlib = dict(version = \"1.2\", sha256 = \"{}\", \
                 urls = [\"https://zlib.net/zlib-{{version}}.tar.gz\"], use_category = [\"dataplane_core\"]))\n",
                "a".repeat(64)
            )
            .as_bytes(),
        );
        let lock = d.join(LOCKFILE);
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
        json["moduleExtensions"] = serde_json::json!({
            "@@gazelle+//:extensions.bzl%go_deps": {"general": {"generatedRepoSpecs": {
                "com_example_m": {"repoRuleId": "@@gazelle+//internal:go_repository.bzl%go_repository",
                    "attributes": {"importpath": "example.com/m", "version": "v1.0.0", "sum": "h1:m="}},
                "local": {"repoRuleId": "@@gazelle+//internal:go_repository.bzl%go_repository",
                    "attributes": {"importpath": "example.com/local", "path": "/src"}}
            }}},
            "@@rules_rust~//crate_universe:extension.bzl%crate%<root>~crate": {"general": {"generatedRepoSpecs": {
                "crates": {"ruleClassName": "_generate_repo", "attributes": {}},
                "crates__libc-0.2.169": {"ruleClassName": "http_archive", "attributes": {
                    "sha256": "b5aba8db14291edd000dfcc4d620c7ebfb122c613afb886ca8803fa4e128a20a",
                    "urls": ["https://static.crates.io/crates/libc/0.2.169/download"]}},
                "crates__nosum-1.0.0": {"ruleClassName": "http_archive", "attributes": {
                    "urls": ["https://static.crates.io/crates/nosum/1.0.0/download"]}}
            }}}
        });
        std::fs::write(&lock, json.to_string()).unwrap();
        let found = inputs(&dir);
        assert!(found.iter().all(|i| i.name != "net_zlib"), "{found:#?}");
        assert_eq!(by_name(&found, "other").declared, Some(sri(b"other")));
        let module = found
            .iter()
            .find(|i| i.purl == "pkg:bazel/zlib@1.3")
            .unwrap();
        assert_eq!(module.declared, Some(zlib_digest));
        assert_eq!(module.categories, ["dataplane_core"]);
        let m = by_name(&found, "example.com/m");
        assert_eq!((m.ecosystem, m.declared.as_deref()), ("go", Some("h1:m=")));
        assert!(found.iter().all(|i| i.name != "example.com/local"));
        let libc = by_name(&found, "libc");
        assert_eq!(libc.ecosystem, "cargo");
        assert_eq!(libc.purl, "pkg:cargo/libc@0.2.169");
        assert_eq!(
            libc.declared.as_deref(),
            Some("sha256:b5aba8db14291edd000dfcc4d620c7ebfb122c613afb886ca8803fa4e128a20a")
        );
        assert!(reason(by_name(&found, "nosum")).contains("with no `sha256`"));
        assert!(found.iter().all(|i| i.name != "crates"));
    }

    #[test]
    fn a_workspace_registry_and_a_distdir_are_read_from_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let archive = b"my archive";
        write(
            d,
            "MODULE.bazel",
            b"bazel_dep(name = \"m\", version = \"1.0\")\n",
        );
        write(d, ".bazelrc", b"common --registry=file://%workspace%/registry\ncommon --registry=https://bcr.bazel.build\n");
        write(
            d,
            "registry/modules/m/1.0/MODULE.bazel",
            b"module(name = \"m\", version = \"1.0\")\n",
        );
        write(
            d,
            "registry/modules/m/1.0/source.json",
            format!(
                "{{\"url\": \"https://e.com/m-1.0.tar.gz\", \"integrity\": \"{}\", \"patches\": {{\"fix.patch\": \"{}\"}}}}",
                sri(archive),
                sri(b"patch")
            )
            .as_bytes(),
        );
        write(d, "registry/modules/m/1.0/patches/fix.patch", b"patch");
        write(d, "distdir/m-1.0.tar.gz", archive);
        let found = inputs(&dir);
        let m = by_name(&found, "m");
        assert_eq!(m.status, Match::Match, "{m:?}");
        assert_eq!(m.path.as_deref(), Some("distdir/m-1.0.tar.gz"));
        assert_eq!(m.patches, ["registry/modules/m/1.0/patches/fix.patch"]);
        assert_eq!(
            m.purl,
            "pkg:bazel/m@1.0?repository_url=file://%25workspace%25/registry"
        );
        // A patch that is not what source.json declares.
        write(d, "registry/modules/m/1.0/patches/fix.patch", b"evil");
        let m = inputs(&dir);
        assert!(reason(by_name(&m, "m"))
            .starts_with("patches file registry/modules/m/1.0/patches/fix.patch has sha256"));
    }
}
