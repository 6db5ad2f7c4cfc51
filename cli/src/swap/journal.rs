//! All-or-nothing edits of a project's files for `vouch unbundle --write`:
//! every file is saved (its bytes and mode, or its absence) before it is
//! first changed, so that an error anywhere puts back the exact previous
//! bytes; each write is itself atomic ([`write_atomic`]).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::files::{write_atomic, Overwrite};

/// What a file held before its first change: its bytes and mode, or
/// `None` when it did not exist.
type Before = Option<(Vec<u8>, u32)>;

/// The files changed so far, with what they held before.
pub struct Journal {
    /// The project directory: every path changed lies under it, reached
    /// through no symbolic link (the project's author controls its tree,
    /// and a linked directory would carry a write out of it).
    root: PathBuf,
    /// Each path touched, first touch first, with its previous bytes and
    /// mode (`None`: it did not exist).
    saved: Vec<(PathBuf, Before)>,
    /// Directories created, first created first.
    created: Vec<PathBuf>,
}

impl Journal {
    /// Records what `path` holds, once, before its first change (by this
    /// journal, or by a tool run on the project).
    pub fn save(&mut self, path: &Path) -> Result<()> {
        if self.saved.iter().any(|(p, _)| p == path) {
            return Ok(());
        }
        self.check_inside(path)?;
        let before = match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() => {
                let bytes =
                    fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
                Some((bytes, mode(&meta)))
            }
            Ok(_) => anyhow::bail!("{} is not a regular file", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        self.saved.push((path.to_path_buf(), before));
        Ok(())
    }

    /// Refuses `path` unless it lies under the project directory with no
    /// `..` and no symbolic link among the directories below the root
    /// that lead to it: what a swap may change or remove.
    pub fn check_inside(&self, path: &Path) -> Result<()> {
        let relative = path.strip_prefix(&self.root).map_err(|_| {
            anyhow::anyhow!(
                "refusing to write {}: not under {}",
                path.display(),
                self.root.display()
            )
        })?;
        let mut dir = self.root.clone();
        let mut parents = relative.components().peekable();
        while let Some(component) = parents.next() {
            let std::path::Component::Normal(name) = component else {
                anyhow::bail!(
                    "refusing to write {}: the path climbs out of {}",
                    path.display(),
                    self.root.display()
                );
            };
            if parents.peek().is_none() {
                break;
            }
            dir.push(name);
            if fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
                anyhow::bail!(
                    "refusing to write {}: {} is a symbolic link, which could lead out of the \
                     project",
                    path.display(),
                    dir.display()
                );
            }
        }
        Ok(())
    }

    /// Writes `bytes` to `path` (mode 0644 for a new file, else its own),
    /// creating missing parent directories.
    pub fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.save(path)?;
        if let Some(parent) = path.parent() {
            let mut missing = Vec::new();
            let mut dir = parent;
            while !dir.as_os_str().is_empty() && !dir.exists() {
                missing.push(dir.to_path_buf());
                dir = dir.parent().unwrap_or(Path::new(""));
            }
            for dir in missing.into_iter().rev() {
                fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
                self.created.push(dir);
            }
        }
        let mode = self
            .saved
            .iter()
            .find(|(p, _)| p == path)
            .and_then(|(_, before)| before.as_ref().map(|(_, m)| *m))
            .unwrap_or(0o644);
        write_atomic(path, bytes, mode, Overwrite::Yes)
    }

    /// Removes the file `path`.
    pub fn remove(&mut self, path: &Path) -> Result<()> {
        self.save(path)?;
        match fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {}", path.display()))
            }
            _ => Ok(()),
        }
    }

    /// Puts every file back as it was, last change first, and removes the
    /// directories created; the first failure is returned after trying
    /// every file.
    pub fn rollback(self) -> Result<()> {
        let mut first = None;
        for (path, before) in self.saved.into_iter().rev() {
            let result = match before {
                Some((bytes, mode)) => write_atomic(&path, &bytes, mode, Overwrite::Yes),
                None => match fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(e).with_context(|| format!("cannot remove {}", path.display()))
                    }
                    _ => Ok(()),
                },
            };
            if let Err(e) = result {
                first.get_or_insert(e.context(format!("cannot restore {}", path.display())));
            }
        }
        for dir in self.created.into_iter().rev() {
            let _ = fs::remove_dir(&dir); // only when empty again
        }
        first.map_or(Ok(()), Err)
    }
}

/// Runs `edit` with a fresh journal: on error every change is undone and
/// the error returned, saying that `files` of the project in `dir` are
/// unchanged (`its files`, `<config> and Cargo.lock`), or, if undoing
/// failed too, what to do.
pub fn all_or_nothing(
    dir: &Path,
    files: &str,
    edit: impl FnOnce(&mut Journal) -> Result<()>,
) -> Result<()> {
    let mut journal = Journal {
        root: dir.to_path_buf(),
        saved: Vec::new(),
        created: Vec::new(),
    };
    match edit(&mut journal) {
        Ok(()) => Ok(()),
        Err(err) => match journal.rollback() {
            Ok(()) => Err(err.context(format!(
                "cannot unbundle {}; {files} are unchanged",
                dir.display()
            ))),
            Err(undo) => Err(err.context(format!(
                "cannot unbundle {}, and undoing failed ({undo:#}): restore it from version \
                 control",
                dir.display()
            ))),
        },
    }
}

#[cfg(unix)]
fn mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode(_meta: &fs::Metadata) -> u32 {
    0o644
}

/// Copies the tree `from` to `to` (which must not exist): directories,
/// regular files with their modes, and symlinks as symlinks.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", from.display()))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", src.display()))?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_symlink() {
            let target =
                fs::read_link(&src).with_context(|| format!("cannot read {}", src.display()))?;
            symlink(&target, &dst).with_context(|| format!("cannot create {}", dst.display()))?;
        } else {
            fs::copy(&src, &dst).with_context(|| format!("cannot copy {}", src.display()))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(format!(
        "{}: symlinks are copied on Unix only",
        link.display()
    )))
}
