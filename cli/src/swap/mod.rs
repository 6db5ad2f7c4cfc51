//! `vouch unbundle`'s I/O (issue 16): the distribution's archive as apt
//! left it on this machine, read and verified once ([`Archive::load`]), and
//! the shared shape of a plan ([`Planned`]) that each ecosystem's planner
//! fills and its writer applies. The decisions themselves (which package
//! carries an input, whether its version keeps the project's contract) are
//! `vouch_unbundle`'s, which does no I/O.

pub mod cargo;
pub mod gem;
pub mod go;
pub mod journal;
pub mod npm;
pub mod pip;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vouch_apt::packages::{self, Entry};
use vouch_apt::release::{self, Release};
use vouch_ospkg::Package;
use vouch_unbundle::{Action, Candidate, Step};

use crate::args::AptArgs;
use crate::files::read_capped;

/// The suffix of the release files apt keeps in its lists directory.
const IN_RELEASE: &str = "InRelease";
/// The largest dpkg status read.
const MAX_DPKG_STATUS: u64 = 256 << 20;

/// A release whose `InRelease` verified against the keyring.
pub struct VerifiedRelease {
    /// The `InRelease` file read.
    pub path: PathBuf,
    /// Lowercase hex SHA-256 of that file, as read.
    pub sha256: String,
    /// Its verified fields, file list and signer.
    pub release: Release,
}

/// A `Packages` index a verified release lists, checked and parsed.
pub struct Index {
    /// Which of [`Archive::releases`] lists it.
    pub release: usize,
    /// The path the release lists it under (`main/binary-amd64/Packages`).
    pub path: String,
    /// Lowercase hex SHA-256 of the decompressed index (what the release
    /// lists for `path`).
    pub sha256: String,
    /// Its packages.
    pub entries: Vec<Entry>,
}

/// The archive as apt's lists give it: every release that verified, the
/// indexes each lists, and the releases refused (with why), whose packages
/// are never candidates.
pub struct Archive {
    /// The releases whose signature, dates and keys held.
    pub releases: Vec<VerifiedRelease>,
    /// Their indexes.
    pub indexes: Vec<Index>,
    /// `InRelease` files (or indexes) refused, and why: a repository not
    /// signed by the keyring, a stale release, an index that does not match.
    pub refused: Vec<(PathBuf, String)>,
}

impl Archive {
    /// Reads and verifies every `*_InRelease` of `apt.apt_lists` against
    /// `apt.keyring` at `now`, then every `Packages` index apt keeps beside
    /// each (plain, `.gz`, `.xz` or apt's `.lz4`) against the release's
    /// SHA-256. A release or index that fails is refused, not fatal (a
    /// machine may list third-party repositories); a keyring or lists
    /// directory that cannot be read is an error.
    pub fn load(apt: &AptArgs, now: jiff::Timestamp) -> Result<Archive> {
        Archive::load_where(apt, now, &|_| true)
    }

    /// [`Archive::load`], keeping only the packages `keep` accepts by name:
    /// every release and index is still verified whole, but only those
    /// stanzas are parsed (a chain of custody needs a few packages of
    /// bookworm's 64,000).
    pub fn load_where(
        apt: &AptArgs,
        now: jiff::Timestamp,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Archive> {
        let keyring_bytes = read_capped(&apt.keyring, release::MAX_KEYRING as u64, "keyring")?;
        let keyring = release::read_keyring(&apt.keyring.display().to_string(), &keyring_bytes)
            .with_context(|| format!("cannot read keyring {}", apt.keyring.display()))?;
        let mut names: Vec<String> = fs::read_dir(&apt.apt_lists)
            .with_context(|| format!("cannot read apt lists {}", apt.apt_lists.display()))?
            .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("cannot read apt lists {}", apt.apt_lists.display()))?;
        names.sort();
        let mut archive = Archive {
            releases: Vec::new(),
            indexes: Vec::new(),
            refused: Vec::new(),
        };
        for name in names.iter().filter(|n| n.ends_with(IN_RELEASE)) {
            let path = apt.apt_lists.join(name);
            let bytes = read_capped(&path, release::MAX_IN_RELEASE as u64, "InRelease")?;
            let verified = match release::verify(&path.display().to_string(), &bytes, &keyring, now)
            {
                Ok(release) => release,
                Err(e) => {
                    archive.refused.push((path, e.to_string()));
                    continue;
                }
            };
            let prefix = &name[..name.len() - IN_RELEASE.len()];
            let index = archive.releases.len();
            archive.releases.push(VerifiedRelease {
                path,
                sha256: hex_sha256(&bytes),
                release: verified,
            });
            for list in names.iter().filter_map(|n| n.strip_prefix(prefix)) {
                if let Some(listed) = index_path(list) {
                    archive.read_index(apt, index, prefix, list, &listed, keep);
                }
            }
        }
        Ok(archive)
    }

    /// Reads, checks and parses one index of release `index`, or records
    /// why it was refused.
    fn read_index(
        &mut self,
        apt: &AptArgs,
        index: usize,
        prefix: &str,
        list: &str,
        listed: &str,
        keep: &dyn Fn(&str) -> bool,
    ) {
        let file = apt.apt_lists.join(format!("{prefix}{list}"));
        let release = &self.releases[index].release;
        let read = || -> Result<Index> {
            let bytes = read_capped(&file, packages::MAX_INDEX, "Packages index")?;
            let plain = packages::check_index(release, listed, &bytes)?;
            let path = listed
                .trim_end_matches(".lz4")
                .trim_end_matches(".gz")
                .trim_end_matches(".xz")
                .to_string();
            let entries = packages::parse_where(&file.display().to_string(), &plain, keep)?;
            Ok(Index {
                release: index,
                sha256: hex_sha256(&plain),
                path,
                entries,
            })
        };
        match read() {
            Ok(read) => self.indexes.push(read),
            Err(e) => self.refused.push((file, format!("{e:#}"))),
        }
    }

    /// Every package of every verified index, with the index that lists it.
    pub fn packages(&self) -> impl Iterator<Item = (&Index, &Entry)> {
        self.indexes
            .iter()
            .flat_map(|index| index.entries.iter().map(move |e| (index, e)))
    }

    /// The packages `carries` accepts, as the plan's candidates (each by
    /// its own name and version), sorted and without repeats (an index
    /// listed by two releases lists a package twice).
    pub fn candidates(&self, carries: impl Fn(&Entry) -> bool) -> Vec<Candidate> {
        let mut candidates: Vec<Candidate> = self
            .packages()
            .filter(|(_, e)| carries(e))
            .map(|(_, e)| Candidate {
                package: e.package.clone(),
                version: e.version.clone(),
            })
            .collect();
        candidates.sort_by(|a, b| (&a.package, &a.version).cmp(&(&b.package, &b.version)));
        candidates.dedup();
        candidates
    }
}

/// The release-relative path of a lists file's tail
/// (`main_binary-amd64_Packages.lz4` is `main/binary-amd64/Packages.lz4`),
/// or `None` for anything that is not a `Packages` index.
fn index_path(list: &str) -> Option<String> {
    let stem = list
        .strip_suffix(".lz4")
        .or_else(|| list.strip_suffix(".gz"))
        .or_else(|| list.strip_suffix(".xz"))
        .unwrap_or(list);
    stem.ends_with("_Packages").then(|| list.replace('_', "/"))
}

/// Lowercase hex SHA-256.
fn hex_sha256(bytes: &[u8]) -> String {
    vouch_evidence::digest::sha256(bytes).hex()
}

/// One input's step of the plan, with what a swap needs.
pub struct Planned {
    /// The input's ecosystem (`cargo`, `go`, `npm`, `pip`).
    pub ecosystem: &'static str,
    /// The decision and its reason.
    pub step: vouch_unbundle::Step,
    /// With a swap: where the distribution installed the files the build
    /// will use, and the package that installed them.
    pub target: Option<Target>,
}

/// The swaps among `planned` of `ecosystem`: each step the plan swaps,
/// with where its files are. What each ecosystem's writer applies.
fn swaps<'a>(planned: &'a [Planned], ecosystem: &str) -> Vec<(&'a Step, &'a Target)> {
    planned
        .iter()
        .filter(|p| p.ecosystem == ecosystem && p.step.action == Action::Swap)
        .filter_map(|p| Some((&p.step, p.target.as_ref()?)))
        .collect()
}

/// Where a swapped input's files are, and whose they are.
pub struct Target {
    /// The installed directory (`/usr/share/cargo/registry/flate2-1.0.25`).
    pub dir: PathBuf,
    /// The binary package that installs it (`librust-flate2-dev`).
    pub package: String,
    /// Its version (`1.0.25-1`).
    pub version: String,
}

/// The directory `path` (absolute, as the distribution installs it) under
/// the distribution root `apt.distro_root`.
pub fn installed(apt: &AptArgs, path: &Path) -> PathBuf {
    distro_root(apt).join(path.strip_prefix("/").unwrap_or(path))
}

/// Where Debian installs the build of input `name` `version` of
/// `ecosystem`, as dpkg lists it: the one directory a swap may point the
/// build at, so that a chain of custody verified for another package's
/// directory never vouches for this input. `None` for an ecosystem
/// Debian does not install this way.
pub fn home(ecosystem: &str, name: &str, version: &str) -> Option<PathBuf> {
    match ecosystem {
        "cargo" => Some(Path::new(cargo::REGISTRY).join(format!("{name}-{version}"))),
        "go" => Some(Path::new(go::GOCODE).join(name)),
        "npm" => Some(Path::new(npm::NODEJS).join(name)),
        _ => None,
    }
}

/// The distribution path (`/usr/share/...`, as dpkg lists it) of `dir`,
/// a directory the build reads under the distribution root
/// `apt.distro_root`: the inverse of [`installed`]. `None` when `dir` is
/// not under the root, so that the chain checked is always that of the
/// files the build reads.
pub fn distribution_path(apt: &AptArgs, dir: &Path) -> Option<PathBuf> {
    let rest = dir.strip_prefix(distro_root(apt)).ok()?;
    Some(Path::new("/").join(rest))
}

/// The distribution root, absolute (a relative `--distro-root` is taken
/// from the current directory, as the paths written into a project must
/// not depend on where the build runs).
fn distro_root(apt: &AptArgs) -> PathBuf {
    std::path::absolute(&apt.distro_root).unwrap_or_else(|_| apt.distro_root.clone())
}

/// dpkg's status under the distribution root `apt.distro_root`: the
/// installed packages (an error when the root has no dpkg database).
pub fn dpkg_status(apt: &AptArgs) -> Result<Vec<Package>> {
    let status_path = installed(apt, Path::new("/var/lib/dpkg/status"));
    let status = read_capped(&status_path, MAX_DPKG_STATUS, "dpkg status")?;
    vouch_ospkg::dpkg::status(&status_path.display().to_string(), &status)
        .with_context(|| format!("cannot read {}", status_path.display()))
}

/// The packages installed under the distribution root, name to version,
/// from dpkg's status; none when the root has no dpkg database. The plan
/// weighs the installed build, which is what the swap will use.
pub(crate) fn installed_versions(apt: &AptArgs) -> Result<BTreeMap<String, String>> {
    if !installed(apt, Path::new("/var/lib/dpkg/status")).exists() {
        return Ok(BTreeMap::new());
    }
    Ok(dpkg_status(apt)?
        .into_iter()
        .map(|p| (p.name, p.version))
        .collect())
}

/// The reason a swap is kept when `package` is not installed: `path`, which
/// it installs, does not exist under the distribution root.
fn not_installed(package: &str, path: &Path) -> String {
    format!(
        "{package} is not installed: {} does not exist (apt-get install {package})",
        path.display()
    )
}

/// The real tools the swaps' tests prove them with, shared with the CLI's
/// integration tests.
#[cfg(test)]
#[path = "../../../tests/oracles/go_npm.rs"]
mod go_npm;

/// The swaps' tests' shared setup.
#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use crate::args::AptArgs;

    /// This machine's apt lists and Debian's keyring, with the
    /// distribution installed under `distro_root` (`/`: the packages
    /// scripts/install-oracles.sh installed, golang-github-pkg-errors-dev,
    /// node-once, node-wrappy, node-ms and python3-six among them).
    pub(crate) fn apt(distro_root: &Path) -> AptArgs {
        AptArgs {
            apt_lists: "/var/lib/apt/lists".into(),
            keyring: "/usr/share/keyrings/debian-archive-keyring.gpg".into(),
            debs: "/var/cache/apt/archives".into(),
            distro_root: distro_root.into(),
        }
    }
}
