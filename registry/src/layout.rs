//! An OCI image layout directory (`oci:PATH[:TAG]`, as skopeo writes it):
//! the embedded default store, which needs no server.
//!
//! Blobs and manifests live under `blobs/sha256/`, tags are entries of
//! `index.json` annotated `org.opencontainers.image.ref.name`. A layout has
//! no referrers API, so attachments use the OCI tag-schema fallback index
//! (tag `sha256-<hex>`), which also makes them travel with `skopeo copy`.
//! Every write goes through a temporary file renamed into place, and
//! `index.json` is rewritten under an exclusive lock on the `oci-layout`
//! file, so concurrent writers never lose each other's tags. A tagged index
//! of attachments is updated read-merge-write under a second lock, on
//! `.vouch-tags.lock` (see [`Store::lock_tags`]). Only regular files are
//! read: a FIFO, device or socket in the layout is refused, naming it.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use vouch_bounded::open_regular;
use vouch_evidence::digest::Sha256;

use crate::oci::{self, Descriptor, ImageIndex, ANNOTATION_REF_NAME};
use crate::{Error, Result, Store, TagLock};

const LAYOUT_FILE: &str = "oci-layout";
/// The file locked across each read-merge-write of an attachment index.
const TAGS_LOCK_FILE: &str = ".vouch-tags.lock";
const LAYOUT_CONTENT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;
const INDEX_FILE: &str = "index.json";
/// The largest `index.json` read.
const MAX_INDEX_BYTES: u64 = 16 * 1024 * 1024;

/// A store in an OCI image layout directory.
#[derive(Debug, Clone)]
pub struct LayoutStore {
    root: PathBuf,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.display().to_string();
    move |error| Error::Io {
        action,
        path,
        error,
    }
}

impl LayoutStore {
    /// Opens an existing layout; it must have an `oci-layout` file.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let marker = root.join(LAYOUT_FILE);
        if !marker.is_file() {
            return Err(Error::NotFound {
                what: "OCI image layout (no oci-layout file)".into(),
                location: format!("oci:{}", root.display()),
            });
        }
        Ok(LayoutStore { root })
    }

    /// Opens a layout, creating an empty one if the directory has none.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let blobs = root.join("blobs/sha256");
        fs::create_dir_all(&blobs).map_err(io("create", &blobs))?;
        let marker = root.join(LAYOUT_FILE);
        if !marker.exists() {
            write_atomic(&marker, LAYOUT_CONTENT)?;
        }
        let index = root.join(INDEX_FILE);
        if !index.exists() {
            write_atomic(&index, &oci::to_json(&ImageIndex::empty()))?;
        }
        Ok(LayoutStore { root })
    }

    fn blob_path(&self, digest: &Sha256) -> PathBuf {
        self.root.join("blobs/sha256").join(digest.hex())
    }

    fn read_index(&self) -> Result<ImageIndex> {
        let path = self.root.join(INDEX_FILE);
        let bytes = read_capped(&path, MAX_INDEX_BYTES)?.ok_or_else(|| Error::NotFound {
            what: INDEX_FILE.into(),
            location: self.location(),
        })?;
        if bytes.len() as u64 > MAX_INDEX_BYTES {
            return Err(Error::TooLarge {
                what: INDEX_FILE.into(),
                location: self.location(),
                size: bytes.len() as u64,
                limit: MAX_INDEX_BYTES,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
            what: INDEX_FILE.into(),
            location: self.location(),
            reason: e.to_string(),
        })
    }

    fn write_blob(&self, digest: &Sha256, content: &[u8]) -> Result<()> {
        let path = self.blob_path(digest);
        if path.exists() {
            return Ok(()); // content-addressed: already there, already right
        }
        write_atomic(&path, content)
    }
}

fn read_capped(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    let file = match open_regular(path, OpenOptions::new().read(true), false) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", path)(e)),
    };
    // Over the limit, `limit + 1` bytes are returned: the callers check
    // the length and name the limit.
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io("read", path))?;
    Ok(Some(bytes))
}

fn write_atomic(path: &Path, content: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".vouch-")
        .tempfile_in(dir)
        .map_err(io("create a file in", dir))?;
    tmp.write_all(content)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(io("write", path))?;
    tmp.persist(path).map_err(|e| io("write", path)(e.error))?;
    Ok(())
}

#[async_trait]
impl Store for LayoutStore {
    fn location(&self) -> String {
        format!("oci:{}", self.root.display())
    }

    async fn resolve_tag(&self, _repository: &str, tag: &str) -> Result<Option<Descriptor>> {
        let index = self.read_index()?;
        Ok(index
            .manifests
            .into_iter()
            .rev()
            .find(|d| d.annotations.get(ANNOTATION_REF_NAME).map(String::as_str) == Some(tag))
            .map(|mut d| {
                d.annotations.remove(ANNOTATION_REF_NAME);
                d
            }))
    }

    async fn fetch_manifest(
        &self,
        _repository: &str,
        digest: &Sha256,
        limit: u64,
    ) -> Result<Option<(Vec<u8>, Option<String>)>> {
        Ok(read_capped(&self.blob_path(digest), limit)?.map(|b| (b, None)))
    }

    async fn fetch_blob(
        &self,
        _repository: &str,
        digest: &Sha256,
        limit: u64,
    ) -> Result<Option<Vec<u8>>> {
        read_capped(&self.blob_path(digest), limit)
    }

    async fn push_blob(&self, _repository: &str, digest: &Sha256, content: &[u8]) -> Result<()> {
        self.write_blob(digest, content)
    }

    async fn push_manifest(
        &self,
        _repository: &str,
        digest: &Sha256,
        content: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<()> {
        self.write_blob(digest, content)?;
        let Some(tag) = tag else { return Ok(()) };
        let marker = self.root.join(LAYOUT_FILE);
        let lock = open_regular(&marker, OpenOptions::new().read(true), false)
            .map_err(io("open", &marker))?;
        lock.lock().map_err(io("lock", &marker))?;
        let mut index = self.read_index()?;
        index
            .manifests
            .retain(|d| d.annotations.get(ANNOTATION_REF_NAME).map(String::as_str) != Some(tag));
        let mut entry = Descriptor::of(media_type, content);
        entry
            .annotations
            .insert(ANNOTATION_REF_NAME.into(), tag.into());
        index.manifests.push(entry);
        let result = write_atomic(&self.root.join(INDEX_FILE), &oci::to_json(&index));
        drop(lock); // unlocks
        result
    }

    async fn referrers(
        &self,
        _repository: &str,
        _subject: &Sha256,
        _limit: usize,
    ) -> Result<Option<Vec<Descriptor>>> {
        Ok(None)
    }

    /// An flock on `.vouch-tags.lock` (created if missing), which every
    /// vouch writer of this layout takes, in this process or another. It is
    /// taken on a blocking thread, so that waiting for another writer
    /// never stalls the async runtime this one's lock holder runs on.
    async fn lock_tags(&self, _repository: &str) -> Result<Option<TagLock>> {
        let path = self.root.join(TAGS_LOCK_FILE);
        let file = open_regular(&path, OpenOptions::new().write(true).create(true), false)
            .map_err(io("open", &path))?;
        let locked = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|locked| locked)
            .map_err(io("lock", &path))?;
        Ok(Some(Box::new(locked)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

    use std::time::Duration;

    use super::*;

    #[test]
    fn regression_issue_8_a_fifo_in_a_layout_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let store = LayoutStore::create(dir.path().join("layout")).unwrap();
        let digest = vouch_evidence::digest::sha256(b"a blob that is a FIFO");
        let path = store.blob_path(&digest);
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        // Read on a thread of its own: a hang fails the test, not the run.
        let (done, result) = std::sync::mpsc::channel();
        let reader = store.clone();
        std::thread::spawn(move || {
            let read = block_on(reader.fetch_blob("", &digest, 1024));
            let _ = done.send(read.map(|b| b.map(|b| b.len())));
        });
        let read = result
            .recv_timeout(Duration::from_secs(10))
            .expect("reading a FIFO blob hung");
        let err = read.unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("FIFO"), "{err}");
    }

    /// Runs a future on a one-thread runtime of its own.
    fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }
}
