//! Loading policies from files: the policy files of a file or directory,
//! then every file their policies name, read for `vouch-verify` to build
//! the set with.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vouch_evidence::digest::{sha256, Sha256};
use vouch_evidence::osv::Lookup;
use vouch_verify::policy::vendor_vex::{
    MAX_VENDOR_VEX_BYTES, MAX_VENDOR_VEX_FILES, MAX_VENDOR_VEX_TOTAL_BYTES,
};
use vouch_verify::policy::{
    self, GivenOsv, PolicySet, Reference, Resolved, VexFile, MAX_POLICY_BYTES, MAX_REFERENCED_BYTES,
};

use crate::source::{push_part, Source, SourceKind};
use crate::Result;

/// Loads the policies of one file, or of every `.yaml` and `.yml` file
/// (in any case) of a directory (not recursive; hidden files are passed
/// over), sorted by name; the directory's other files are listed in
/// [`PolicySet::ignored`]. A file may hold several documents separated by
/// `---`. Any invalid document, or a file or directory with no
/// `ImagePolicy` at all, fails the whole load.
pub fn load(path: &Path) -> Result<PolicySet> {
    load_with_osv(path, None)
}

/// [`load`], with `osv` (when given) standing for every policy's
/// `vulnerabilities.osv`, which is then not read.
pub fn load_with_osv(path: &Path, osv: Option<GivenOsv>) -> Result<PolicySet> {
    load_recorded(path, osv, &mut Vec::new())
}

/// [`load_with_osv`], recording in `sources` everything it read or tried
/// to, also when it fails: a watcher tries again once one of them has
/// changed ([`Source::changed`]), and not before.
pub fn load_recorded(
    path: &Path,
    osv: Option<GivenOsv>,
    sources: &mut Vec<Source>,
) -> Result<PolicySet> {
    let (files, listed) = if path.is_dir() {
        let listed = list_directory(path);
        sources.push(Source {
            path: path.to_path_buf(),
            kind: SourceKind::Directory,
            stamp: listed.as_ref().ok().map(|files| listing_stamp(files)),
        });
        let listed =
            listed.map_err(|e| invalid(path, format!("cannot list the directory: {e}")))?;
        let files: Vec<PathBuf> = listed
            .iter()
            .filter(|p| is_policy_file(p))
            .cloned()
            .collect();
        (files, listed)
    } else {
        (vec![path.to_path_buf()], Vec::new())
    };
    let mut read_files = Vec::new();
    for file in files {
        let read = read_capped(&file, MAX_POLICY_BYTES);
        sources.push(Source::file(&file, MAX_POLICY_BYTES, read.as_deref().ok()));
        let bytes = read.map_err(|e| invalid(&file, e))?;
        read_files.push((file, bytes));
    }
    let parsed: Vec<policy::PolicyFile> = read_files
        .into_iter()
        .map(|(file, bytes)| policy::parse(&file, bytes))
        .collect();
    let mut resolved = Resolved::new(osv);
    // A database several policies name, by its canonical path, is read
    // and held once.
    let mut databases: HashMap<PathBuf, (Arc<dyn Lookup>, Sha256)> = HashMap::new();
    for reference in parsed.iter().flat_map(policy::PolicyFile::references) {
        if resolved.contains(&reference) {
            continue;
        }
        match reference {
            Reference::File(path) => {
                let read = read_capped(&path, MAX_REFERENCED_BYTES);
                sources.push(Source::file(
                    &path,
                    MAX_REFERENCED_BYTES,
                    read.as_deref().ok(),
                ));
                resolved.insert_file(path, read);
            }
            Reference::Osv(_) if resolved.has_given_osv() => {}
            Reference::Osv(path) => {
                // Stamped before it is read: a change during the read is seen.
                sources.push(Source::now(&path, SourceKind::Database));
                let key = canonical_path(&path);
                let loaded = match databases.get(&key) {
                    Some(loaded) => Ok(loaded.clone()),
                    None => crate::osv::open(&path)
                        .inspect(|loaded| {
                            databases.insert(key, loaded.clone());
                        })
                        .map_err(|e| e.to_string()),
                };
                resolved.insert_osv(path, loaded);
            }
            Reference::VendorVex(path) => {
                // Stamped before it is read: a change during the read is seen.
                sources.push(Source::now(&path, SourceKind::Database));
                let read = read_vendor_vex(&path);
                resolved.insert_vendor_vex(path, read);
            }
        }
    }
    let mut set = policy::build(path, parsed, &resolved)?;
    let read: BTreeSet<PathBuf> = sources.iter().map(|s| canonical_path(&s.path)).collect();
    set.ignored = listed
        .into_iter()
        .filter(|file| !is_policy_file(file) && !read.contains(&canonical_path(file)))
        .collect();
    Ok(set)
}

/// The files of a policy directory (symbolic links followed), sorted, but
/// not hidden ones: a mounted ConfigMap keeps its own `..data` entries.
pub(crate) fn list_directory(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !hidden && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The stamp of a directory's listing.
pub(crate) fn listing_stamp(files: &[PathBuf]) -> Sha256 {
    let mut all = Vec::new();
    for file in files {
        push_part(&mut all, file.to_string_lossy().as_bytes());
    }
    sha256(&all)
}

/// Whether a directory's file is a policy file: `.yaml` or `.yml`, in any
/// case (`strict.YAML` is one).
fn is_policy_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Reads at most `limit` bytes of `path`, or says why not.
pub(crate) fn read_capped(path: &Path, limit: u64) -> std::result::Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    vouch_bounded::read_bounded(file, limit)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .ok_or_else(|| {
            format!(
                "{} is larger than the limit of {limit} bytes",
                path.display()
            )
        })
}

/// The largest detached signature read beside a vendor VEX file.
const MAX_SIGNATURE_BYTES: u64 = 64 * 1024;

/// Every `.json` file below the vendor VEX directory `dir` (links
/// followed, hidden entries passed over as in a policy directory), in name
/// order, each with the `<file>.asc` beside it when there is one; at most
/// [`MAX_VENDOR_VEX_FILES`] files and [`MAX_VENDOR_VEX_TOTAL_BYTES`]
/// together, each read capped and only if it is a regular file.
fn read_vendor_vex(dir: &Path) -> std::result::Result<Vec<VexFile>, String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let mut files = Vec::new();
    let mut total = 0u64;
    let walk = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        if files.len() == MAX_VENDOR_VEX_FILES {
            return Err(format!(
                "{} holds more than {MAX_VENDOR_VEX_FILES} VEX files",
                dir.display()
            ));
        }
        let left = MAX_VENDOR_VEX_TOTAL_BYTES - total;
        let bytes = read_capped(path, MAX_VENDOR_VEX_BYTES.min(left)).map_err(|e| {
            if left < MAX_VENDOR_VEX_BYTES {
                format!(
                    "{e}: {} holds more than {MAX_VENDOR_VEX_TOTAL_BYTES} bytes of VEX files",
                    dir.display()
                )
            } else {
                e
            }
        })?;
        total += bytes.len() as u64;
        let mut asc = path.as_os_str().to_owned();
        asc.push(".asc");
        let asc = PathBuf::from(asc);
        let signature = match asc.symlink_metadata() {
            Ok(_) => Some(read_capped(&asc, MAX_SIGNATURE_BYTES)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}", asc.display())),
        };
        files.push(VexFile {
            path: path.to_path_buf(),
            bytes,
            signature,
        });
    }
    Ok(files)
}

/// `path` with its links resolved, when it exists.
fn canonical_path(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A policy error of the loader's own (a file or directory it could not
/// read), worded as the verifier words its own.
fn invalid(path: &Path, reason: impl Into<String>) -> crate::Error {
    crate::Error::Verify(vouch_verify::Error::Policy {
        path: path.display().to_string(),
        reason: reason.into(),
    })
}

#[cfg(test)]
mod tests;
