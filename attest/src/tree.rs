//! Reading the project tree: safe paths, parallel hashing, and the
//! directory hash.
//!
//! The directory hash is Go's `h1` dirhash algorithm: SHA-256 over the
//! sorted lines `"<sha256 hex of file>  <path>\n"`, paths relative to the
//! directory with `/` separators. vouch records it as hex (DigestSet key
//! `dirHash`), not base64 as Go does.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use ring::digest::{Context, SHA256};

use crate::{Error, Result};

/// The largest lockfile or metadata file read.
pub const MAX_METADATA_BYTES: u64 = 64 * 1024 * 1024;

/// Bytes read per call while hashing: large reads keep the SHA-256 unit fed
/// and the system calls few.
const READ_CHUNK: usize = 256 * 1024;

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.display().to_string();
    move |error| Error::Io {
        action,
        path,
        error,
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

/// Where `full` (`relative` in messages) really is: `None` when nothing is
/// there; refused when it resolves outside the project through a symlink,
/// before anything is read from it.
pub fn resolve_inside(
    canonical_root: &Path,
    full: &Path,
    relative: &str,
) -> Result<Option<PathBuf>> {
    if std::fs::symlink_metadata(full).is_err() {
        return Ok(None);
    }
    let resolved = full.canonicalize().map_err(|error| Error::Io {
        action: "resolve",
        path: full.display().to_string(),
        error,
    })?;
    if !resolved.starts_with(canonical_root) {
        return Err(Error::OutsideTree {
            path: relative.to_string(),
            reason: format!(
                "resolves to {}, outside the project {}",
                resolved.display(),
                canonical_root.display()
            ),
        });
    }
    Ok(Some(resolved))
}

/// Every regular file under `dir`, as sorted `/`-separated relative paths.
/// A symlink whose target leaves `dir` is refused; one that stays inside is
/// listed as the file it points to. A fifo, socket or device is refused:
/// it has no content to attest, and opening a fifo would block.
pub fn files(dir: &Path) -> Result<Vec<String>> {
    let canonical_root = dir.canonicalize().map_err(io("resolve", dir))?;
    let mut found = Vec::new();
    // Sorted so that, of several bad entries, the same one is reported on
    // every run.
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| Error::Io {
            action: "walk",
            path: dir.display().to_string(),
            error: e.into(),
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
            let target_type = std::fs::metadata(&target)
                .map_err(io("stat", &target))?
                .file_type();
            if target_type.is_dir() {
                continue; // its files are listed where they really are
            }
            if !target_type.is_file() {
                return Err(not_regular(entry.path()));
            }
        } else if !file_type.is_file() {
            return Err(not_regular(entry.path()));
        }
        found.push(slash_path(relative));
    }
    // Byte order of the whole path (Go's dirhash order), which the walk's
    // per-directory order is not: `a.rs` sorts before `a/b.rs`.
    found.sort_unstable();
    Ok(found)
}

fn not_regular(path: &Path) -> Error {
    Error::Invalid {
        what: "vendored file",
        path: path.display().to_string(),
        reason: "not a regular file, directory or symlink (a fifo, socket or device)".into(),
    }
}

/// A relative path with `/` separators. Where `/` is already the separator
/// and the name is UTF-8 (every real vendored tree), that is the path as is,
/// with no per-component work.
fn slash_path(relative: &Path) -> String {
    if std::path::MAIN_SEPARATOR == '/' {
        if let Some(text) = relative.to_str() {
            return text.to_owned();
        }
    }
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

thread_local! {
    /// Each hashing thread's read buffer, [`READ_CHUNK`] bytes, allocated
    /// and zeroed once per thread rather than once per file: no file's
    /// contents outlive its hashing, and memory stays flat in the size of
    /// the tree.
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The SHA-256 (hex) of one file.
///
/// This is the hot path of discovery, so it costs as few system calls as it
/// can: one open, one `fstat` on the open file (not a second lookup of the
/// path), then reads of up to [`READ_CHUNK`] into the thread's reused
/// buffer, and a close. Each read asks for one byte more than `fstat` says
/// is left, so a file that has not changed since is read to its end in one
/// short read, without the extra read that would only return 0. A file
/// that grew meanwhile is read on to its real end. The SHA-256 is ring's,
/// which uses the CPU's SHA extensions where it has them (see
/// docs/decisions.md, "Hashing").
pub fn hash_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(io("open", path))?;
    HASHED_FILES.fetch_add(1, Ordering::Relaxed);
    let mut left = file.metadata().map_err(io("stat", path))?.len();
    READ_BUFFER.with_borrow_mut(|buffer| {
        if buffer.len() < READ_CHUNK {
            buffer.resize(READ_CHUNK, 0);
        }
        let mut context = Context::new(&SHA256);
        loop {
            let want = left.saturating_add(1).min(READ_CHUNK as u64) as usize;
            let n = match file.read(&mut buffer[..want]) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(io("read", path)(e)),
            };
            if n == 0 {
                break;
            }
            context.update(&buffer[..n]);
            HASHED_BYTES.fetch_add(n as u64, Ordering::Relaxed);
            // A short read at the size fstat gave is the end of the file.
            if n < want && n as u64 >= left {
                break;
            }
            // Past that size (a whole number of chunks, or a file that grew
            // since), read on in whole chunks until a read returns 0.
            left = match left.checked_sub(n as u64) {
                Some(rest) if rest > 0 => rest,
                _ => u64::MAX,
            };
        }
        Ok(hex::encode(context.finish()))
    })
}

/// Files and bytes hashed so far by this process, for progress display:
/// discovery runs in one call, and a caller on another thread polls these.
static HASHED_FILES: AtomicU64 = AtomicU64::new(0);
static HASHED_BYTES: AtomicU64 = AtomicU64::new(0);

/// How many files and bytes [`hash_file`] has hashed in this process so
/// far. Only for progress display: it counts, it never decides anything.
pub fn hashed() -> (u64, u64) {
    (
        HASHED_FILES.load(Ordering::Relaxed),
        HASHED_BYTES.load(Ordering::Relaxed),
    )
}

/// Hashes every listed file of every directory, in parallel across cores.
/// Returns, per directory, a map from relative path to SHA-256 hex.
///
/// The files of all directories form one flat list of jobs, so one large
/// directory is spread over every core like the rest. Only digests travel
/// back from the workers; the maps are then built from the callers' own
/// (usually sorted) file lists.
pub fn hash_dirs(dirs: &[(PathBuf, Vec<String>)]) -> Result<Vec<BTreeMap<String, String>>> {
    let jobs: Vec<(&Path, &str)> = dirs
        .iter()
        .flat_map(|(dir, files)| files.iter().map(move |f| (dir.as_path(), f.as_str())))
        .collect();
    let digests: Vec<String> = jobs
        .par_iter()
        .map(|(dir, file)| hash_file(&join_inside(dir, file)?))
        .collect::<Result<_>>()?;
    let mut digests = digests.into_iter();
    Ok(dirs
        .iter()
        .map(|(_, files)| {
            files
                .iter()
                .cloned()
                .zip(digests.by_ref().take(files.len()))
                .collect()
        })
        .collect())
}

/// The directory hash of a set of file digests (Go `h1`, as hex). Each
/// line is built in one reused buffer: no allocation per file.
pub fn dir_hash(files: &BTreeMap<String, String>) -> String {
    let mut context = Context::new(&SHA256);
    let mut line = String::new();
    for (path, digest) in files {
        line.clear();
        line.push_str(digest);
        line.push_str("  ");
        line.push_str(path);
        line.push('\n');
        context.update(line.as_bytes());
    }
    hex::encode(context.finish())
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
            hex::encode(ring::digest::digest(&SHA256, line.as_bytes()))
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
            hex::encode(ring::digest::digest(&SHA256, b"x"))
        );
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("pkg/escape")).unwrap();
        let err = files(&dir.path().join("pkg")).unwrap_err().to_string();
        assert!(err.contains("outside"), "{err}");
    }

    #[test]
    fn whole_path_order_not_walk_order() {
        // The walk visits directory `a` (and so `a/b.rs`) before `a.rs`;
        // byte order of the whole path puts `a.rs` ('.' is 0x2e) before
        // `a/b.rs` ('/' is 0x2f), as Go's dirhash does.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/b.rs"), b"1").unwrap();
        std::fs::write(dir.path().join("a.rs"), b"2").unwrap();
        assert_eq!(files(dir.path()).unwrap(), vec!["a.rs", "a/b.rs"]);
    }

    #[test]
    fn hashes_every_byte_at_each_read_boundary() {
        let dir = tempfile::tempdir().unwrap();
        // Largest first: a small file hashed after a large one on the same
        // thread must not pick up the large one's bytes from the reused
        // buffer.
        let sizes = [
            3 * READ_CHUNK + 7,
            2 * READ_CHUNK,
            READ_CHUNK + 1,
            READ_CHUNK,
            READ_CHUNK - 1,
            4096,
            1,
            0,
        ];
        for size in sizes {
            let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let path = dir.path().join(format!("f{size}"));
            std::fs::write(&path, &content).unwrap();
            let expected = hex::encode(ring::digest::digest(&SHA256, &content));
            assert_eq!(hash_file(&path).unwrap(), expected, "size {size}");
            if size > 0 {
                // Negative control: the last byte changed, the digest changes,
                // so the tail of every file is read.
                let mut changed = content.clone();
                *changed.last_mut().unwrap() ^= 1;
                std::fs::write(&path, &changed).unwrap();
                assert_ne!(hash_file(&path).unwrap(), expected, "size {size}");
            }
        }
        let err = hash_file(&dir.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot open") && err.contains("missing"),
            "{err}"
        );
    }

    #[test]
    fn hash_dirs_keeps_each_file_with_its_directory() {
        // The same relative names in two directories, with other contents,
        // hashed as one flat parallel job list: each digest must land in
        // its own directory's map.
        let root = tempfile::tempdir().unwrap();
        let mut dirs = Vec::new();
        for (d, tag) in [("one", "1"), ("two", "2"), ("empty", "")] {
            let dir = root.path().join(d);
            std::fs::create_dir(&dir).unwrap();
            if !tag.is_empty() {
                for f in ["a", "b", "c"] {
                    std::fs::write(dir.join(f), format!("{f}{tag}")).unwrap();
                }
            }
            dirs.push((dir.clone(), files(&dir).unwrap()));
        }
        let hashed = hash_dirs(&dirs).unwrap();
        assert_eq!(hashed.len(), 3);
        for (map, tag) in hashed.iter().zip(["1", "2"]) {
            assert_eq!(map.len(), 3);
            for f in ["a", "b", "c"] {
                let want = hex::encode(ring::digest::digest(
                    &SHA256,
                    format!("{f}{tag}").as_bytes(),
                ));
                assert_eq!(map[f], want, "{f}{tag}");
            }
        }
        assert!(hashed[2].is_empty());
        assert_ne!(dir_hash(&hashed[0]), dir_hash(&hashed[1]));
        // A listed file that is gone is an error naming it, not a skip.
        let gone = vec![(
            root.path().join("one"),
            vec!["a".to_string(), "zz".to_string()],
        )];
        let err = hash_dirs(&gone).unwrap_err().to_string();
        assert!(err.contains("zz"), "{err}");
    }

    #[test]
    fn refuses_fifos_and_symlinks_to_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ok.rs"), b"x").unwrap();
        std::os::unix::fs::symlink("ok.rs", dir.path().join("link.rs")).unwrap();
        // Negative control: a regular file and a symlink to one inside.
        assert_eq!(files(dir.path()).unwrap(), vec!["link.rs", "ok.rs"]);
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("z-pipe"))
            .status()
            .unwrap();
        assert!(made.success());
        // Walked before the fifo itself: refused through the symlink.
        std::os::unix::fs::symlink("z-pipe", dir.path().join("a-link")).unwrap();
        let err = files(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("a-link") && err.contains("not a regular file"),
            "{err}"
        );
        std::fs::remove_file(dir.path().join("a-link")).unwrap();
        let err = files(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("z-pipe") && err.contains("not a regular file"),
            "{err}"
        );
        std::fs::remove_file(dir.path().join("z-pipe")).unwrap();
        assert_eq!(files(dir.path()).unwrap(), vec!["link.rs", "ok.rs"]);
    }
}
