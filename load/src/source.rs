//! What a policy load read, stamped, so that a change is seen.

use std::path::{Path, PathBuf};

use vouch_evidence::digest::{sha256, Sha256};

use crate::policy::{list_directory, listing_stamp, read_capped};

/// A file or directory a policy load read (or tried to), with a stamp of
/// what it held then, so that a watcher (the webhook's hot reload) can
/// tell when anything the set was made from has changed: a policy file,
/// the listing of a policy directory, a key, a trusted root, an OSV
/// database. A key file replaced in place is seen like an edited policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Where.
    pub path: PathBuf,
    /// What was read there.
    pub kind: SourceKind,
    /// What it held: `None` when it could not be read.
    pub(crate) stamp: Option<Sha256>,
}

/// What a [`Source`] is, and so how it is stamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A file read whole, up to this many bytes (a policy, key or trusted
    /// root): stamped with the digest of its content.
    File(u64),
    /// A policy directory: stamped with the names of its files.
    Directory,
    /// An OSV database: stamped with each record file's name, size and
    /// modification time, so that a large export is read again only when
    /// that listing changes, not on every poll.
    Database,
}

impl Source {
    /// A file as the loader read it (`None`: it could not).
    pub(crate) fn file(path: &Path, limit: u64, bytes: Option<&[u8]>) -> Source {
        Source {
            path: path.to_path_buf(),
            kind: SourceKind::File(limit),
            stamp: bytes.map(sha256),
        }
    }

    /// `path` stamped as it is now.
    pub(crate) fn now(path: &Path, kind: SourceKind) -> Source {
        Source {
            path: path.to_path_buf(),
            kind,
            stamp: stamp(path, kind),
        }
    }

    /// Whether it holds something else now than when it was read.
    pub fn changed(&self) -> bool {
        stamp(&self.path, self.kind) != self.stamp
    }
}

/// The stamp of `path` as `kind` (see [`SourceKind`]).
fn stamp(path: &Path, kind: SourceKind) -> Option<Sha256> {
    match kind {
        SourceKind::File(limit) => read_capped(path, limit).ok().map(|b| sha256(&b)),
        SourceKind::Directory => list_directory(path).ok().map(|files| listing_stamp(&files)),
        SourceKind::Database => {
            let mut all = Vec::new();
            for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
                let entry = entry.ok()?;
                let meta = entry.metadata().ok()?;
                push_part(&mut all, entry.path().to_string_lossy().as_bytes());
                all.extend_from_slice(&meta.len().to_be_bytes());
                if let Ok(Ok(at)) = meta
                    .modified()
                    .map(|m| m.duration_since(std::time::UNIX_EPOCH))
                {
                    all.extend_from_slice(&at.as_nanos().to_be_bytes());
                }
            }
            Some(sha256(&all))
        }
    }
}

/// Appends `part` to bytes to be digested, length first, so that no two
/// different lists of parts hash alike.
pub(crate) fn push_part(canonical: &mut Vec<u8>, part: &[u8]) {
    canonical.extend_from_slice(&(part.len() as u64).to_be_bytes());
    canonical.extend_from_slice(part);
}
