//! Reading the project tree: safe paths, parallel hashing, and the
//! directory hash.
//!
//! The directory hash is Go's `h1` dirhash algorithm: SHA-256 over the
//! sorted lines `"<sha256 hex of file>  <path>\n"`, paths relative to the
//! directory with `/` separators. vouch records it as hex (DigestSet key
//! `dirHash`), not base64 as Go does.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::{Error, Result};

/// The largest lockfile or metadata file read.
pub const MAX_METADATA_BYTES: u64 = 64 * 1024 * 1024;

/// Bytes read per call while hashing: large reads keep the SHA-256 unit fed.
const READ_CHUNK: usize = 256 * 1024;

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.display().to_string();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// Reads a lockfile or metadata file (`what` names it in errors), refusing
/// one over [`MAX_METADATA_BYTES`] before reading it.
pub fn read_metadata(path: &Path, what: &'static str) -> Result<String> {
    let len = std::fs::metadata(path).map_err(io("read", path))?.len();
    if len > MAX_METADATA_BYTES {
        return Err(Error::Invalid {
            what,
            path: path.display().to_string(),
            reason: format!("{len} bytes, over the limit of {MAX_METADATA_BYTES}"),
        });
    }
    std::fs::read_to_string(path).map_err(io("read", path))
}

/// Joins a relative path from a lockfile or metadata file onto `root`,
/// refusing absolute paths and `..`.
pub fn join_inside(root: &Path, relative: &str) -> Result<PathBuf> {
    let path = Path::new(relative);
    for component in path.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err(Error::OutsideTree {
                    path: relative.into(),
                    reason: "contains `..`".into(),
                })
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Error::OutsideTree {
                    path: relative.into(),
                    reason: "is absolute".into(),
                })
            }
        }
    }
    Ok(root.join(path))
}

/// Every regular file under `dir`, as sorted `/`-separated relative paths.
/// A symlink whose target leaves `dir` is refused; one that stays inside is
/// listed as the file it points to.
pub fn files(dir: &Path) -> Result<Vec<String>> {
    let canonical_root = dir.canonicalize().map_err(io("resolve", dir))?;
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| Error::Io {
            action: "walk",
            path: dir.display().to_string(),
            source: e.into(),
        })?;
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(dir)
            .map_err(|e| Error::OutsideTree {
                path: entry.path().display().to_string(),
                reason: e.to_string(),
            })?;
        if file_type.is_symlink() {
            let target = entry
                .path()
                .canonicalize()
                .map_err(io("resolve", entry.path()))?;
            if !target.starts_with(&canonical_root) {
                return Err(Error::OutsideTree {
                    path: entry.path().display().to_string(),
                    reason: format!(
                        "is a symlink to {}, outside {}",
                        target.display(),
                        dir.display()
                    ),
                });
            }
            if target.is_dir() {
                continue; // its files are listed where they really are
            }
        }
        let parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        found.push(parts.join("/"));
    }
    found.sort();
    Ok(found)
}

/// The SHA-256 (hex) of one file. Files up to [`READ_CHUNK`] are read in
/// one call into a buffer of their size; larger ones stream through one
/// chunk-sized buffer. (A fresh zeroed chunk per file cost a sixth of the
/// CPU time on a `cargo vendor` tree.)
pub fn hash_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(io("open", path))?;
    let len = file.metadata().map_err(io("stat", path))?.len();
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    if len <= READ_CHUNK as u64 {
        let mut bytes = Vec::with_capacity(len as usize);
        file.read_to_end(&mut bytes).map_err(io("read", path))?;
        context.update(&bytes);
    } else {
        let mut buffer = vec![0u8; READ_CHUNK];
        loop {
            let n = file.read(&mut buffer).map_err(io("read", path))?;
            if n == 0 {
                break;
            }
            context.update(&buffer[..n]);
        }
    }
    Ok(hex(context.finish().as_ref()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes every listed file of every directory, in parallel across cores.
/// Returns, per directory, a map from relative path to SHA-256 hex.
pub fn hash_dirs(dirs: &[(PathBuf, Vec<String>)]) -> Result<Vec<BTreeMap<String, String>>> {
    let jobs: Vec<(usize, &PathBuf, &String)> = dirs
        .iter()
        .enumerate()
        .flat_map(|(i, (dir, files))| files.iter().map(move |f| (i, dir, f)))
        .collect();
    let hashed: Vec<(usize, String, String)> = jobs
        .par_iter()
        .map(|(i, dir, file)| Ok((*i, (*file).clone(), hash_file(&join_inside(dir, file)?)?)))
        .collect::<Result<_>>()?;
    let mut out = vec![BTreeMap::new(); dirs.len()];
    for (i, file, digest) in hashed {
        out[i].insert(file, digest);
    }
    Ok(out)
}

/// The directory hash of a set of file digests (Go `h1`, as hex).
pub fn dir_hash(files: &BTreeMap<String, String>) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for (path, digest) in files {
        context.update(format!("{digest}  {path}\n").as_bytes());
    }
    hex(context.finish().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_hash_is_go_h1_over_sorted_lines() {
        // Go: dirhash.Hash1 over {"a.txt": "hello"} hashes the single line
        // "<sha256(hello)>  a.txt\n".
        let mut files = BTreeMap::new();
        files.insert(
            "a.txt".to_string(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".to_string(),
        );
        let line = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  a.txt\n";
        assert_eq!(
            dir_hash(&files),
            hex(ring::digest::digest(&ring::digest::SHA256, line.as_bytes()).as_ref())
        );
    }

    #[test]
    fn paths_may_not_leave_the_tree() {
        let root = Path::new("/project");
        assert!(join_inside(root, "vendor/a/b.rs").is_ok());
        let err = join_inside(root, "../etc/passwd").unwrap_err().to_string();
        assert!(err.contains("contains `..`"), "{err}");
        let err = join_inside(root, "/etc/passwd").unwrap_err().to_string();
        assert!(err.contains("is absolute"), "{err}");
    }

    #[test]
    fn lists_files_sorted_and_refuses_symlinks_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pkg/src")).unwrap();
        std::fs::write(dir.path().join("pkg/src/lib.rs"), b"x").unwrap();
        std::fs::write(dir.path().join("pkg/Cargo.toml"), b"y").unwrap();
        assert_eq!(
            files(&dir.path().join("pkg")).unwrap(),
            vec!["Cargo.toml", "src/lib.rs"]
        );
        let hashed = hash_dirs(&[(
            dir.path().join("pkg"),
            files(&dir.path().join("pkg")).unwrap(),
        )])
        .unwrap();
        assert_eq!(
            hashed[0]["src/lib.rs"],
            hex(ring::digest::digest(&ring::digest::SHA256, b"x").as_ref())
        );
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("pkg/escape")).unwrap();
        let err = files(&dir.path().join("pkg")).unwrap_err().to_string();
        assert!(err.contains("outside"), "{err}");
    }
}
