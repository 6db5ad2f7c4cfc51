//! The chain of custody of an unbundled input (issue 16 §3): from the
//! archive's signed `InRelease` to every file of the directory the build
//! takes the input from. The caller has verified the release
//! ([`vouch_apt::release::verify`]) and checked the index against it
//! ([`vouch_apt::packages::check_index`]), and hands over what it read:
//! the package entry, the `.deb`, the installed directory's files as
//! hashed on disk and dpkg's `md5sums` of the installed package. This
//! module links them, link by link, and either returns the input's
//! distribution identity ([`Distribution`]) or the first [`Break`], naming
//! the file that breaks the chain.
//!
//! Who controls what: the archive signs the release; a mirror or proxy
//! serves the index and the `.deb` (bound to the release by digests); apt
//! and dpkg keep local copies (the lists, `md5sums`) that root on this
//! machine can edit; the installed files are what the build reads. Each
//! link is checked against the one before it, so no local copy is trusted
//! on its own word.

use std::collections::{BTreeMap, BTreeSet};

use vouch_apt::packages::Entry;
use vouch_apt::release::Release;
use vouch_evidence::input::{os_purl, Digest, Distribution};

/// The most files an installed directory may hold (Debian's largest crate
/// directories hold a few thousand): the caller stops reading past it.
pub const MAX_FILES: usize = 50_000;
/// The most patches read from `debian/patches/series`.
pub const MAX_PATCHES: usize = 1_000;
/// The longest `debian/patches/series` read.
pub const MAX_SERIES: usize = 1 << 20;

/// Where the distribution records the patches it applies on top of
/// upstream, relative to the installed directory (Debian's Rust team
/// ships it with each crate).
pub const SERIES: &str = "debian/patches/series";

/// One regular file of the installed directory, hashed as read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnDisk {
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Lowercase hex MD5 (what dpkg's `md5sums` records).
    pub md5: String,
}

/// The installed directory as the caller found it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installed {
    /// The directory relative to the distribution root, without a leading
    /// `/` (`usr/share/cargo/registry/flate2-1.0.25`), as the `.deb` and
    /// dpkg name paths.
    pub dir: String,
    /// Its regular files, by path relative to the root
    /// (`usr/share/cargo/registry/flate2-1.0.25/src/lib.rs`).
    pub files: BTreeMap<String, OnDisk>,
    /// Everything else found under it that is not a directory (symbolic
    /// links, devices, FIFOs), by path relative to the root: never read,
    /// never followed; each one breaks the chain, since the `.deb`'s
    /// digests vouch only for regular files.
    pub others: Vec<String>,
    /// The content of [`SERIES`] under the directory, when it has one
    /// (its digest is checked like every other file's).
    pub series: Option<Vec<u8>>,
}

/// What the caller read for one input: each link of the chain.
#[derive(Debug, Clone, Copy)]
pub struct Chain<'a> {
    /// The verified release.
    pub release: &'a Release,
    /// The `InRelease` file, as the caller names it in errors.
    pub release_path: &'a str,
    /// Lowercase hex SHA-256 of the `InRelease` file verified.
    pub release_sha256: &'a str,
    /// The index's path as the release lists it
    /// (`main/binary-amd64/Packages`).
    pub index_path: &'a str,
    /// Lowercase hex SHA-256 of the decompressed index.
    pub index_sha256: &'a str,
    /// The index's entry for the installed package.
    pub entry: &'a Entry,
    /// The `.deb` file, as the caller names it in errors.
    pub deb_path: &'a str,
    /// Its bytes.
    pub deb: &'a [u8],
    /// The installed directory.
    pub installed: &'a Installed,
    /// dpkg's `md5sums` for the installed package
    /// (`var/lib/dpkg/info/<package>.md5sums`), path to MD5.
    pub dpkg_md5sums: &'a BTreeMap<String, String>,
}

/// A break in the chain, naming the file and the link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    /// The release does not name its distribution release (`Version:`),
    /// so the distribution identity cannot be written.
    #[error("{path} has no Version field: the distribution release cannot be named")]
    NoVersion {
        /// The `InRelease` file.
        path: String,
    },
    /// The index is not the one the release lists.
    #[error("index {path} is not the one {release} lists: {why}")]
    Index {
        /// The index's path as the release lists it.
        path: String,
        /// The `InRelease` file.
        release: String,
        /// Expected and actual digest.
        why: String,
    },
    /// The `.deb` is not the one the index lists, or cannot be read.
    #[error("{why}")]
    Deb {
        /// The `.deb` file.
        path: String,
        /// What the apt crate said.
        why: String,
    },
    /// A file on disk under the directory differs from the `.deb`'s.
    #[error("{path} differs from {package} {version}'s .deb")]
    Differs {
        /// The file, relative to the distribution root.
        path: String,
        /// The package.
        package: String,
        /// Its version.
        version: String,
    },
    /// A file on disk under the directory that the `.deb` does not install.
    #[error("{path} is not in {package} {version}'s .deb")]
    Extra {
        /// The file, relative to the distribution root.
        path: String,
        /// The package.
        package: String,
        /// Its version.
        version: String,
    },
    /// Something other than a regular file or directory under the
    /// directory (a symbolic link could point the build anywhere).
    #[error("{path} is not a regular file (the .deb's digests vouch only for regular files)")]
    NotRegular {
        /// The entry, relative to the distribution root.
        path: String,
    },
    /// A file the `.deb` installs under the directory is not on disk.
    #[error("{path} of {package} {version}'s .deb is missing")]
    Missing {
        /// The file, relative to the distribution root.
        path: String,
        /// The package.
        package: String,
        /// Its version.
        version: String,
    },
    /// dpkg's record of an installed file disagrees with the `.deb`'s
    /// `md5sums` (or with the file on disk).
    #[error("dpkg's md5sums for {path} disagree with {what}")]
    Md5sums {
        /// The file, relative to the distribution root.
        path: String,
        /// What it disagrees with.
        what: String,
    },
    /// The package installs no file under the directory: it is not the
    /// one that provides it.
    #[error("{package} {version}'s .deb installs no file under {dir}")]
    Empty {
        /// The directory.
        dir: String,
        /// The package.
        package: String,
        /// Its version.
        version: String,
    },
    /// A count or size cap was reached.
    #[error("{what} exceeds {limit}")]
    TooMany {
        /// What was counted, and where.
        what: String,
        /// The cap.
        limit: usize,
    },
    /// The identity could not be written (a purl or digest the evidence
    /// types refuse).
    #[error("cannot record the distribution identity: {0}")]
    Identity(String),
}

/// Checks every link of `chain` and returns the input's distribution
/// identity, or the first break. Files are compared in path order, so the
/// break named is the same on every run.
pub fn custody(chain: &Chain<'_>) -> Result<Distribution, Break> {
    let Chain {
        release,
        release_path,
        entry,
        installed,
        ..
    } = *chain;
    let major = release
        .version
        .as_deref()
        .and_then(|v| v.split(['.', '-']).next())
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| Break::NoVersion {
            path: release_path.to_owned(),
        })?;
    let listed = release
        .entry(chain.index_path)
        .map_err(|e| index_break(chain, e.to_string()))?;
    if listed.sha256 != chain.index_sha256 {
        return Err(index_break(
            chain,
            format!(
                "the release lists sha256:{}, the index is sha256:{}",
                listed.sha256, chain.index_sha256
            ),
        ));
    }
    let deb_break = |e: vouch_apt::Error| Break::Deb {
        path: chain.deb_path.to_owned(),
        why: e.to_string(),
    };
    vouch_apt::deb::check(entry, chain.deb_path, chain.deb).map_err(deb_break)?;
    let contents = vouch_apt::deb::contents(chain.deb_path, chain.deb).map_err(deb_break)?;
    check_files(chain, &contents)?;
    let patches = patches(chain, &contents)?;

    let (source_name, source_version) = match &entry.source {
        Some((name, Some(version))) => (name.clone(), version.clone()),
        Some((name, None)) => (name.clone(), entry.version.clone()),
        None => (entry.package.clone(), entry.version.clone()),
    };
    let identity = |e: vouch_evidence::Error| Break::Identity(e.to_string());
    let sha256 = |hex: &str| Digest::new("sha256", hex).map_err(identity);
    Ok(Distribution {
        purl: os_purl(
            "deb",
            "debian",
            Some(&format!("debian-{major}")),
            &entry.package,
            &entry.version,
            Some(&entry.architecture),
        )
        .map_err(identity)?,
        source_name,
        source_version,
        deb: sha256(&entry.sha256)?,
        packages: sha256(chain.index_sha256)?,
        release: sha256(chain.release_sha256)?,
        release_date: release.date.to_string(),
        signer: release.signer.clone(),
        patches,
        path: format!("/{}", installed.dir),
    })
}

/// A break of the release → index link.
fn index_break(chain: &Chain<'_>, why: String) -> Break {
    Break::Index {
        path: chain.index_path.to_owned(),
        release: chain.release_path.to_owned(),
        why,
    }
}

/// Every file under the directory against the `.deb`, and dpkg's record
/// against both.
fn check_files(chain: &Chain<'_>, contents: &vouch_apt::deb::Contents) -> Result<(), Break> {
    let (entry, installed) = (chain.entry, chain.installed);
    let (package, version) = (&entry.package, &entry.version);
    if installed.files.len() > MAX_FILES {
        return Err(Break::TooMany {
            what: format!("the files under {}", installed.dir),
            limit: MAX_FILES,
        });
    }
    if let Some(other) = installed.others.first() {
        return Err(Break::NotRegular {
            path: other.clone(),
        });
    }
    let prefix = format!("{}/", installed.dir.trim_end_matches('/'));
    let shipped: BTreeMap<&str, &str> = contents
        .files
        .iter()
        .filter(|(path, _)| path.starts_with(&prefix))
        .map(|(path, sha)| (path.as_str(), sha.as_str()))
        .collect();
    if shipped.is_empty() {
        return Err(Break::Empty {
            dir: installed.dir.clone(),
            package: package.clone(),
            version: version.clone(),
        });
    }
    let names = |path: &str| (path.to_owned(), package.clone(), version.clone());
    // Every path, on disk or in the .deb, in order.
    let paths: BTreeSet<&str> = shipped
        .keys()
        .copied()
        .chain(installed.files.keys().map(String::as_str))
        .collect();
    for path in paths {
        let (on_disk, in_deb) = (installed.files.get(path), shipped.get(path));
        let (on_disk, in_deb) = match (on_disk, in_deb) {
            (Some(d), Some(s)) => (d, *s),
            (Some(_), None) => {
                let (path, package, version) = names(path);
                return Err(Break::Extra {
                    path,
                    package,
                    version,
                });
            }
            (None, _) => {
                let (path, package, version) = names(path);
                return Err(Break::Missing {
                    path,
                    package,
                    version,
                });
            }
        };
        if on_disk.sha256 != in_deb {
            let (path, package, version) = names(path);
            return Err(Break::Differs {
                path,
                package,
                version,
            });
        }
        let md5 = |what: String| Break::Md5sums {
            path: path.to_owned(),
            what,
        };
        let recorded = chain
            .dpkg_md5sums
            .get(path)
            .ok_or_else(|| md5("the .deb: dpkg lists no MD5 for it".into()))?;
        match contents.md5sums.get(path) {
            Some(shipped) if shipped == recorded => {}
            Some(shipped) => {
                return Err(md5(format!(
                    "the .deb's: dpkg has {recorded}, the .deb {shipped}"
                )))
            }
            None => return Err(md5("the .deb's, which list no MD5 for it".into())),
        }
        if &on_disk.md5 != recorded {
            return Err(md5(format!(
                "the file on disk: dpkg has {recorded}, the file {}",
                on_disk.md5
            )));
        }
    }
    Ok(())
}

/// The patches `debian/patches/series` names, in order (comments and blank
/// lines skipped, a patch's options dropped), once its content is checked
/// against the `.deb`'s. No series: no patches.
fn patches(chain: &Chain<'_>, contents: &vouch_apt::deb::Contents) -> Result<Vec<String>, Break> {
    let installed = chain.installed;
    let Some(series) = &installed.series else {
        return Ok(Vec::new());
    };
    let path = format!("{}/{SERIES}", installed.dir.trim_end_matches('/'));
    if series.len() > MAX_SERIES {
        return Err(Break::TooMany {
            what: format!("the bytes of {path}"),
            limit: MAX_SERIES,
        });
    }
    let sha = vouch_evidence::digest::sha256(series).hex();
    // check_files has compared the file on disk with the .deb; this
    // compares the bytes handed over with both.
    if contents.files.get(&path) != Some(&sha)
        || installed.files.get(&path).map(|f| &f.sha256) != Some(&sha)
    {
        return Err(Break::Differs {
            path,
            package: chain.entry.package.clone(),
            version: chain.entry.version.clone(),
        });
    }
    let text = String::from_utf8_lossy(series);
    let patches: Vec<String> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    if patches.len() > MAX_PATCHES {
        return Err(Break::TooMany {
            what: format!("the patches of {path}"),
            limit: MAX_PATCHES,
        });
    }
    Ok(patches)
}

#[cfg(test)]
mod tests;
