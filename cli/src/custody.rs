//! The chain of custody of a project's provided inputs (issue 16 §3):
//! every input that discovery found patched onto a directory outside the
//! project ([`Input::provided`]) is traced, offline, to the distribution
//! package that installed it and to the archive that signed that package.
//! This module reads the files (apt's lists, dpkg's database, the `.deb`,
//! the installed directory); `vouch_unbundle::custody` decides.
//!
//! A verified input gets its distribution identity and matches; any break
//! (no package owns the directory, no verified index lists it, no `.deb`,
//! an edited file) makes it a mismatch naming the file and the link, so
//! `vouch inputs` flags it and a policy that requires matches denies it.
//! A project without provided inputs reads none of these files.
//!
//! When the build reads an in-project copy of the directory rather than
//! the directory itself (Go's `vendor/<module>`, npm's
//! `node_modules/<name>` installed with `install-links=true`), the input's
//! `path`, the chain goes one link further: every regular file of the copy
//! must be byte-identical to the installed file at the same relative path.
//! The copy may hold fewer files (`go mod vendor` leaves out tests and
//! unused packages); a file that differs, one only in the copy, or
//! anything but a regular file or directory breaks the chain, named. The
//! directories of other inputs nested in the copy (npm's
//! `node_modules/a/node_modules/b`) are theirs, not the copy's.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use md5::Digest as _;
use vouch_apt::packages::Entry;
use vouch_attest::{Input, Match};
use vouch_unbundle::custody::{custody, Chain, Installed, OnDisk, MAX_FILES, SERIES};

use crate::args::AptArgs;
use crate::files::read_capped;
use crate::swap::{distribution_path, dpkg_status, home, installed, Archive, Index};

/// The largest `.list` or `.md5sums` file read.
const MAX_LIST: u64 = 64 << 20;
/// The most `.list` files read.
const MAX_LISTS: usize = 100_000;
/// The largest `.deb` read (Debian's largest are a few hundred MiB).
const MAX_DEB: u64 = 2 << 30;
/// The most refused releases and indexes named in one reason.
const MAX_REFUSED: usize = 8;
/// The most bytes of installed files hashed for one input.
const MAX_INSTALLED_BYTES: u64 = 4 << 30;

/// Verifies the chain of custody of every input with
/// [`Input::provided`], with the archive and database `apt` names, at
/// `now` (and its in-project copy, the input's `path` relative to
/// `project`, against the installed directory): each one either gets its [`Input::distribution`], matches and is
/// observed as its `.deb`'s digest, or is a mismatch naming the break.
/// Nothing is read when no input is provided. A keyring or lists
/// directory that cannot be read is an error: nothing could be verified.
pub fn verify(
    inputs: &mut [Input],
    project: &Path,
    apt: &AptArgs,
    now: jiff::Timestamp,
) -> Result<()> {
    if inputs.iter().all(|i| i.provided.is_none()) {
        return Ok(());
    }
    let dpkg = Dpkg::read(apt)?;
    // Each provided directory as the distribution installs it: the build
    // reads it under the distribution root, and the chain is checked for
    // exactly those files.
    let dirs: Vec<Option<String>> = inputs
        .iter()
        .map(|i| {
            let dir = Path::new(i.provided.as_deref()?.trim_end_matches('/'));
            distribution_path(apt, dir).map(|d| d.display().to_string())
        })
        .collect();
    let owners = dpkg.owners(
        &dirs
            .iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )?;
    // Only the packages that own a provided directory are read from the
    // indexes (every index is still verified whole).
    let wanted: std::collections::BTreeSet<&str> = owners
        .values()
        .flatten()
        .map(|stem| stem.split_once(':').map_or(*stem, |(name, _)| name))
        .collect();
    let archive = Archive::load_where(apt, now, &|name| wanted.contains(name))?;
    let paths: Vec<String> = inputs.iter().filter_map(|i| i.path.clone()).collect();
    for (input, dir) in inputs.iter_mut().zip(&dirs) {
        let Some(provided) = input.provided.clone() else {
            continue;
        };
        let Some(dir) = dir else {
            input.status = Match::Mismatch {
                reason: format!(
                    "chain of custody of {provided}: not under the distribution root {} \
                     (--distro-root), so no installed package can vouch for it",
                    apt.distro_root.display()
                ),
            };
            continue;
        };
        if let Some(home) = home(input.ecosystem, &input.name, &input.version) {
            if Path::new(dir) != home {
                input.status = Match::Mismatch {
                    reason: format!(
                        "chain of custody of {dir}: not where Debian installs {} {} ({}), so \
                         its package does not vouch for this input",
                        input.name,
                        input.version,
                        home.display()
                    ),
                };
                continue;
            }
        }
        let owned = owners.get(dir.as_str()).map_or(&[][..], Vec::as_slice);
        let copy = input.path.as_deref().map(|path| InProject {
            project,
            path,
            nested: paths
                .iter()
                .filter_map(|p| p.strip_prefix(path)?.strip_prefix('/'))
                .collect(),
        });
        match check(&archive, &dpkg, apt, dir, owned, copy.as_ref()) {
            Ok((distribution, deb_sha256)) => {
                input.distribution = Some(distribution);
                input.observed = Some(format!("sha256:{deb_sha256}"));
                input.status = Match::Match;
            }
            Err(reason) => {
                input.status = Match::Mismatch {
                    reason: format!("chain of custody of {dir}: {reason}"),
                }
            }
        }
    }
    Ok(())
}

/// dpkg's database under the distribution root: the installed packages,
/// and where their file lists are.
struct Dpkg {
    /// `var/lib/dpkg/info` under the root.
    info: PathBuf,
    /// Installed packages: (name, architecture) to version.
    installed: BTreeMap<(String, Option<String>), String>,
    /// The `.list` files' stems (`librust-flate2-dev:amd64`), sorted.
    lists: Vec<String>,
}

impl Dpkg {
    fn read(apt: &AptArgs) -> Result<Dpkg> {
        let packages = dpkg_status(apt)?;
        let info = installed(apt, Path::new("/var/lib/dpkg/info"));
        let mut lists = Vec::new();
        for entry in
            fs::read_dir(&info).with_context(|| format!("cannot read {}", info.display()))?
        {
            let name = entry
                .with_context(|| format!("cannot read {}", info.display()))?
                .file_name();
            if let Some(stem) = name.to_string_lossy().strip_suffix(".list") {
                if lists.len() == MAX_LISTS {
                    anyhow::bail!(
                        "{} holds more than {MAX_LISTS} package file lists",
                        info.display()
                    );
                }
                lists.push(stem.to_owned());
            }
        }
        lists.sort();
        Ok(Dpkg {
            info,
            installed: packages
                .into_iter()
                .map(|p| ((p.name, p.architecture), p.version))
                .collect(),
            lists,
        })
    }

    /// For each of `dirs` (absolute, as dpkg writes them), the packages
    /// whose file list names it, as their `.list` stems; every list read
    /// once.
    fn owners<'d>(&self, dirs: &[&'d str]) -> Result<BTreeMap<&'d str, Vec<&str>>> {
        let mut out: BTreeMap<&str, Vec<&str>> = dirs.iter().map(|d| (*d, Vec::new())).collect();
        for stem in &self.lists {
            let path = self.info.join(format!("{stem}.list"));
            let bytes = read_capped(&path, MAX_LIST, "dpkg file list")?;
            for line in bytes.split(|b| *b == b'\n') {
                if let Some(owners) = std::str::from_utf8(line).ok().and_then(|l| out.get_mut(l)) {
                    owners.push(stem.as_str());
                }
            }
        }
        Ok(out)
    }

    /// The version of the installed package a `.list` stem names
    /// (`name:arch`, or `name` for a package of one architecture).
    fn version(&self, stem: &str) -> Option<(&str, &str, &str)> {
        let (name, arch) = match stem.split_once(':') {
            Some((name, arch)) => (name, Some(arch)),
            None => (stem, None),
        };
        self.installed.iter().find_map(|((n, a), version)| {
            (n == name && (arch.is_none() || a.as_deref() == arch)).then(|| {
                (
                    n.as_str(),
                    a.as_deref().unwrap_or_default(),
                    version.as_str(),
                )
            })
        })
    }
}

/// The in-project copy of a provided directory that the build reads.
struct InProject<'a> {
    /// The project's directory.
    project: &'a Path,
    /// The copy, relative to it (`vendor/github.com/pkg/errors`).
    path: &'a str,
    /// Directories of other inputs inside the copy, relative to it.
    nested: Vec<&'a str>,
}

/// The chain of the provided directory `dir` (and of its in-project
/// `copy`): its distribution identity and the `.deb`'s SHA-256, or why it
/// does not hold.
fn check(
    archive: &Archive,
    dpkg: &Dpkg,
    apt: &AptArgs,
    dir: &str,
    owners: &[&str],
    copy: Option<&InProject>,
) -> Result<(vouch_evidence::input::Distribution, String), String> {
    let dir = dir.trim_end_matches('/');
    if !dir.starts_with('/') {
        return Err("the directory is not absolute".into());
    }
    let stem = match owners {
        [one] => *one,
        [] => return Err("no installed package owns the directory (dpkg's file lists)".into()),
        many => {
            return Err(format!(
                "several installed packages list the directory: {}",
                many.join(", ")
            ))
        }
    };
    let (package, arch, version) = dpkg
        .version(stem)
        .ok_or_else(|| format!("{stem} owns it but dpkg's status lists it as not installed"))?;
    let entries: Vec<(&Index, &Entry)> = archive
        .packages()
        .filter(|(_, e)| e.package == package && e.version == version && e.architecture == arch)
        .collect();
    if entries.is_empty() {
        let mut why = format!(
            "{package} {version} ({arch}) is in no index of a release the keyring verifies"
        );
        // Why a release or index that might have listed it was refused.
        for (path, refused) in archive.refused.iter().take(MAX_REFUSED) {
            why.push_str(&format!("; {} refused: {refused}", path.display()));
        }
        if archive.refused.len() > MAX_REFUSED {
            why.push_str(&format!(
                "; and {} more refused",
                archive.refused.len() - MAX_REFUSED
            ));
        }
        return Err(why);
    }
    let (deb_path, deb) = read_deb(apt, package, version, arch, entries[0].1)?;
    let deb_sha256 = vouch_evidence::digest::sha256(&deb).hex();
    // Of the entries that list the package (several releases may), the
    // one whose digest the .deb has; else the first, which names the
    // mismatch.
    let (index, entry) = entries
        .iter()
        .find(|(_, e)| e.sha256 == deb_sha256)
        .unwrap_or(&entries[0]);
    let release = &archive.releases[index.release];
    let relative = dir.trim_start_matches('/');
    let on_disk = read_installed(apt, relative)?;
    let md5sums_path = dpkg.info.join(format!("{stem}.md5sums"));
    let dpkg_md5sums = match read_capped(&md5sums_path, MAX_LIST, "dpkg md5sums") {
        Ok(bytes) => vouch_apt::deb::parse_md5sums(&md5sums_path.display().to_string(), &bytes)
            .map_err(|e| e.to_string())?,
        Err(e) if md5sums_path.exists() => return Err(format!("{e:#}")),
        Err(_) => BTreeMap::new(),
    };
    let distribution = custody(&Chain {
        release: &release.release,
        release_path: &release.path.display().to_string(),
        release_sha256: &release.sha256,
        index_path: &index.path,
        index_sha256: &index.sha256,
        entry,
        deb_path: &deb_path.display().to_string(),
        deb: &deb,
        installed: &on_disk,
        dpkg_md5sums: &dpkg_md5sums,
    })
    .map_err(|e| e.to_string())?;
    if let Some(copy) = copy {
        let installed_by = format!("installed by {package} {version}");
        check_copy(copy, apt, &on_disk, &installed_by)?;
    }
    Ok((distribution, deb_sha256))
}

/// Every regular file of `copy` is byte-identical to the file of the
/// verified installed directory `on_disk` at the same relative path
/// (`installed_by` names its package); the copy may hold fewer. Read as
/// the installed tree is, without following a symbolic link.
fn check_copy(
    copy: &InProject,
    apt: &AptArgs,
    on_disk: &Installed,
    installed_by: &str,
) -> Result<(), String> {
    let top = copy.project.join(copy.path);
    let held = walk(&top, copy.path, &copy.nested)?;
    let installed_top = installed(apt, Path::new(&on_disk.dir));
    if let Some(other) = held.others.first() {
        return Err(format!(
            "{other} is not a regular file or a directory (a symbolic link is not followed)"
        ));
    }
    for (path, file) in &held.files {
        let relative = path
            .strip_prefix(copy.path)
            .unwrap_or(path)
            .trim_start_matches('/');
        let theirs = installed_top.join(relative);
        match on_disk.files.get(&format!("{}/{relative}", on_disk.dir)) {
            Some(installed) if installed.sha256 == file.sha256 => {}
            Some(_) => {
                return Err(format!(
                    "{path} differs from {}, {installed_by}",
                    theirs.display()
                ))
            }
            None => {
                return Err(format!(
                    "{path} is only in the copy: there is no {}, {installed_by}",
                    theirs.display()
                ))
            }
        }
    }
    Ok(())
}

/// The `.deb` of `package` `version` under `apt.debs`: apt's archive
/// cache name (`name_version_arch.deb`, the epoch's `:` as `%3a`), else
/// the pool's file name.
fn read_deb(
    apt: &AptArgs,
    package: &str,
    version: &str,
    arch: &str,
    entry: &Entry,
) -> Result<(PathBuf, Vec<u8>), String> {
    let cache = apt.debs.join(format!(
        "{package}_{}_{arch}.deb",
        version.replace(':', "%3a")
    ));
    let pool = entry
        .filename
        .rsplit('/')
        .next()
        .map(|name| apt.debs.join(name));
    let path = [Some(cache.clone()), pool]
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "no .deb of {package} {version} in {} (looked for {})",
                apt.debs.display(),
                cache.display()
            )
        })?;
    let bytes = read_capped(&path, MAX_DEB, ".deb").map_err(|e| format!("{e:#}"))?;
    Ok((path, bytes))
}

/// The installed directory `relative` (to the distribution root), read
/// without following a symbolic link: its regular files hashed, anything
/// else listed, the patch series kept. Capped in files and bytes.
fn read_installed(apt: &AptArgs, relative: &str) -> Result<Installed, String> {
    walk(&installed(apt, Path::new(relative)), relative, &[])
}

/// The directory `top`, named `relative` in the result, read without
/// following a symbolic link: its regular files hashed, anything else
/// listed, the patch series kept, the subdirectories `skip` (relative to
/// `top`) left out. Capped in files and bytes.
fn walk(top: &Path, relative: &str, skip: &[&str]) -> Result<Installed, String> {
    let meta = fs::symlink_metadata(top).map_err(|e| format!("{}: {e}", top.display()))?;
    if !meta.is_dir() {
        return Err(format!(
            "{} is not a directory (a symbolic link is not followed)",
            top.display()
        ));
    }
    let mut out = Installed {
        dir: relative.to_owned(),
        ..Installed::default()
    };
    let series = format!("{relative}/{SERIES}");
    let (mut budget, mut entries) = (MAX_INSTALLED_BYTES, 0);
    let skip: Vec<String> = skip.iter().map(|s| format!("{relative}/{s}")).collect();
    let mut stack = vec![(top.to_path_buf(), relative.to_owned())];
    while let Some((dir, name)) = stack.pop() {
        let unreadable = |e: std::io::Error| format!("{}: {e}", dir.display());
        for entry in fs::read_dir(&dir).map_err(unreadable)? {
            let entry = entry.map_err(unreadable)?;
            let path = entry.path();
            let child = format!("{name}/{}", entry.file_name().to_string_lossy());
            let kind = entry.file_type().map_err(unreadable)?;
            // Directories count too: a tree of empty ones is no cheaper.
            entries += 1;
            if entries > MAX_FILES {
                return Err(format!("{relative} holds more than {MAX_FILES} entries"));
            }
            if kind.is_dir() {
                if !skip.contains(&child) {
                    stack.push((path, child));
                }
            } else if kind.is_file() {
                let bytes = read_no_follow(&path, budget)?;
                budget -= bytes.len() as u64;
                out.files.insert(
                    child.clone(),
                    OnDisk {
                        sha256: vouch_evidence::digest::sha256(&bytes).hex(),
                        md5: md5::Md5::digest(&bytes)
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect(),
                    },
                );
                if child == series {
                    out.series = Some(bytes);
                }
            } else {
                out.others.push(child);
            }
        }
    }
    out.others.sort();
    Ok(out)
}

/// The regular file `path`, opened without following a symbolic link put
/// there since it was listed (and refused if it is no longer a regular
/// file), read up to `budget` bytes: what is left of
/// [`MAX_INSTALLED_BYTES`] for the directory.
fn read_no_follow(path: &Path, budget: u64) -> Result<Vec<u8>, String> {
    let unreadable = |e: std::io::Error| format!("{}: {e}", path.display());
    let file = vouch_bounded::open_regular(path, fs::OpenOptions::new().read(true), true)
        .map_err(unreadable)?;
    vouch_bounded::read_bounded(file, budget)
        .map_err(unreadable)?
        .ok_or_else(|| {
            format!(
                "{}: the directory's files hold more than {MAX_INSTALLED_BYTES} bytes",
                path.display()
            )
        })
}
