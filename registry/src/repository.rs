//! One repository of one store, with every check that must hold whatever
//! the backend: digests compared, sizes and counts capped before reading,
//! manifests parsed once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use vouch_evidence::digest::{sha256, Sha256};

use crate::oci::{self, Descriptor, Manifest};
use crate::reference::ImageRef;
use crate::{Error, Result, Store, TagLock};

/// Size and count limits, applied before anything is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Signatures or attestations per image (default 100).
    pub max_attachments: usize,
    /// Layers per manifest, and entries per index (default 1000).
    pub max_layers: usize,
    /// Bytes per blob (default 128 MiB).
    pub max_blob_bytes: u64,
    /// Bytes per manifest (default 4 MiB, as Distribution enforces).
    pub max_manifest_bytes: u64,
    /// Entries listed next to an image (referrers, fallback index entries,
    /// legacy cosign layers) before they are filtered by type; only the
    /// Sigstore bundles and cosign layers among them count against
    /// `max_attachments` (default 10,000).
    pub max_referrers: usize,
    /// Bytes of manifests and blobs read in all through one [`Repository`]
    /// value (default: no limit). The webhook sets it, and reads each
    /// image's evidence through a value of its own, so that what one image
    /// costs in memory is bounded whatever its attachments declare.
    pub max_read_bytes: u64,
    /// Indexes nested above a manifest (default 8): an index of images is
    /// one level, an index of such indexes two. Real images use one or
    /// two; a chain of thousands is only an attack on whatever walks it,
    /// so walks refuse the manifest past the limit, unread, naming it.
    pub max_index_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_attachments: 100,
            max_layers: 1000,
            max_blob_bytes: 128 * 1024 * 1024,
            max_manifest_bytes: 4 * 1024 * 1024,
            max_referrers: 10_000,
            max_read_bytes: u64::MAX,
            max_index_depth: 8,
        }
    }
}

/// A manifest that was fetched by digest and checked against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedManifest {
    /// Its descriptor (digest and size of the exact bytes fetched).
    pub descriptor: Descriptor,
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// The parsed manifest.
    pub manifest: Manifest,
}

/// A repository in a store, with limits.
///
/// Each value counts the bytes of manifests and blobs read through it,
/// against [`Limits::max_read_bytes`]; a clone starts a count of its own.
pub struct Repository {
    store: Arc<dyn Store>,
    name: String,
    limits: Limits,
    read: AtomicU64,
}

impl Clone for Repository {
    fn clone(&self) -> Self {
        Repository::new(self.store.clone(), self.name.clone(), self.limits)
    }
}

impl Repository {
    /// The repository `name` of `store` (any name for a layout).
    pub fn new(store: Arc<dyn Store>, name: impl Into<String>, limits: Limits) -> Self {
        Repository {
            store,
            name: name.into(),
            limits,
            read: AtomicU64::new(0),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Where this repository is, for messages.
    pub fn location(&self) -> String {
        if self.name.is_empty() {
            self.store.location()
        } else {
            format!("{}/{}", self.store.location(), self.name)
        }
    }

    /// Resolves `image` to the descriptor of its manifest: by digest when it
    /// names one (the tag is then ignored), else by tag, once. Everything
    /// after this works by digest.
    pub async fn resolve(&self, image: &ImageRef) -> Result<Descriptor> {
        if let Some(digest) = &image.digest {
            return Ok(self.manifest(digest).await?.descriptor);
        }
        match &image.tag {
            Some(tag) => self.resolve_tag(tag).await?.ok_or_else(|| Error::NotFound {
                what: format!("tag {tag}"),
                location: self.location(),
            }),
            None => Err(Error::Reference {
                reference: image.to_string(),
                reason:
                    "names neither a tag nor a digest: write oci:PATH:TAG or oci:PATH@sha256:<hex>"
                        .into(),
            }),
        }
    }

    /// The descriptor a tag points at, if the tag exists.
    pub async fn resolve_tag(&self, tag: &str) -> Result<Option<Descriptor>> {
        self.store.resolve_tag(&self.name, tag).await
    }

    /// Fetches a manifest by digest, checks it hashes to that digest, caps
    /// its size and its number of layers or entries, and parses it.
    pub async fn manifest(&self, digest: &Sha256) -> Result<FetchedManifest> {
        self.try_manifest(digest)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: format!("manifest {digest}"),
                location: self.location(),
            })
    }

    /// Like [`Repository::manifest`], with `None` for a missing manifest.
    pub async fn try_manifest(&self, digest: &Sha256) -> Result<Option<FetchedManifest>> {
        self.fetch_checked(digest, self.limits.max_layers).await
    }

    /// Like [`Repository::try_manifest`], for a manifest that lists what is
    /// attached to an image (a referrers fallback index, a legacy cosign
    /// image): its entries are capped by `max_referrers` rather than
    /// `max_layers`, since they are filtered by type before any is fetched
    /// or counted as an attachment.
    pub async fn try_attachment_list(&self, digest: &Sha256) -> Result<Option<FetchedManifest>> {
        self.fetch_checked(digest, self.limits.max_referrers).await
    }

    /// Fetches the manifest `descriptor` names, as [`Repository::manifest`]
    /// does, reading no more than the size it declares: a declaration over
    /// the manifest limit is refused unread, and a manifest of another size
    /// than declared is refused.
    pub async fn described_manifest(&self, descriptor: &Descriptor) -> Result<FetchedManifest> {
        let digest = &descriptor.digest;
        let what = format!("manifest {digest}");
        self.check_size(&what, descriptor.size, self.limits.max_manifest_bytes)?;
        self.count_read(&what, descriptor.size)?;
        let (bytes, content_type) = self
            .store
            .fetch_manifest(&self.name, digest, descriptor.size)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: what.clone(),
                location: self.location(),
            })?;
        let got = bytes.len() as u64;
        if got != descriptor.size {
            let got = if got > descriptor.size {
                "more".to_string()
            } else {
                got.to_string()
            };
            return Err(Error::Invalid {
                what,
                location: self.location(),
                reason: format!("declared {} bytes, got {got}", descriptor.size),
            });
        }
        self.checked(digest, bytes, content_type, self.limits.max_layers)
    }

    /// Fetches a manifest within the size limit, with at most `max_entries`
    /// layers or entries.
    async fn fetch_checked(
        &self,
        digest: &Sha256,
        max_entries: usize,
    ) -> Result<Option<FetchedManifest>> {
        let what = format!("manifest {digest}");
        let limit = self.limits.max_manifest_bytes;
        // No more than what is left of the read limit is read either.
        let left = self
            .limits
            .max_read_bytes
            .saturating_sub(self.read.load(Ordering::SeqCst));
        let Some((bytes, content_type)) = self
            .store
            .fetch_manifest(&self.name, digest, limit.min(left))
            .await?
        else {
            return Ok(None);
        };
        self.check_size(&what, bytes.len() as u64, limit)?;
        self.count_read(&what, bytes.len() as u64)?;
        self.checked(digest, bytes, content_type, max_entries)
            .map(Some)
    }

    /// Checks fetched manifest bytes against their digest, parses them, and
    /// caps their layers or entries at `max_entries`.
    fn checked(
        &self,
        digest: &Sha256,
        bytes: Vec<u8>,
        content_type: Option<String>,
        max_entries: usize,
    ) -> Result<FetchedManifest> {
        self.check_digest("manifest", digest, &bytes)?;
        let manifest =
            Manifest::parse(&bytes, content_type.as_deref()).map_err(|reason| Error::Invalid {
                what: format!("manifest {digest}"),
                location: self.location(),
                reason,
            })?;
        let entries = match &manifest {
            Manifest::Image(m) => m.layers.len(),
            Manifest::Index(i) => i.manifests.len(),
        };
        if entries > max_entries {
            return Err(Error::TooMany {
                what: format!("layers or entries of manifest {digest}"),
                location: self.location(),
                count: entries,
                limit: max_entries,
            });
        }
        let mut descriptor = Descriptor::of(manifest.media_type(), &bytes);
        descriptor.digest = *digest;
        Ok(FetchedManifest {
            descriptor,
            bytes,
            manifest,
        })
    }

    /// The manifest a tag points at, if the tag exists.
    pub async fn tagged(&self, tag: &str) -> Result<Option<FetchedManifest>> {
        match self.resolve_tag(tag).await? {
            Some(d) => self.try_manifest(&d.digest).await,
            None => Ok(None),
        }
    }

    /// Fetches the blob `descriptor` names: its declared size is checked
    /// against the limit before anything is read, no more than the declared
    /// size is accepted, and the bytes must hash to the digest.
    pub async fn blob(&self, descriptor: &Descriptor) -> Result<Vec<u8>> {
        let what = format!("blob {}", descriptor.digest);
        self.check_size(&what, descriptor.size, self.limits.max_blob_bytes)?;
        self.count_read(&what, descriptor.size)?;
        let bytes = self
            .store
            .fetch_blob(&self.name, &descriptor.digest, descriptor.size)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: what.clone(),
                location: self.location(),
            })?;
        if bytes.len() as u64 != descriptor.size {
            return Err(Error::Invalid {
                what,
                location: self.location(),
                reason: format!("declared {} bytes, got {}", descriptor.size, bytes.len()),
            });
        }
        self.check_digest("blob", &descriptor.digest, &bytes)?;
        Ok(bytes)
    }

    /// Stores a blob and returns its descriptor.
    pub async fn put_blob(&self, media_type: &str, content: &[u8]) -> Result<Descriptor> {
        let descriptor = Descriptor::of(media_type, content);
        self.store
            .push_blob(&self.name, &descriptor.digest, content)
            .await?;
        Ok(descriptor)
    }

    /// Stores exact manifest bytes (optionally tagged) and returns their
    /// descriptor.
    pub async fn put_manifest_bytes(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<Descriptor> {
        let descriptor = Descriptor::of(media_type, bytes);
        self.store
            .push_manifest(&self.name, &descriptor.digest, bytes, media_type, tag)
            .await?;
        Ok(descriptor)
    }

    /// Serializes and stores a manifest or index.
    pub async fn put_manifest(&self, manifest: &Manifest, tag: Option<&str>) -> Result<Descriptor> {
        let bytes = match manifest {
            Manifest::Image(m) => oci::to_json(m),
            Manifest::Index(i) => oci::to_json(i),
        };
        self.put_manifest_bytes(&bytes, manifest.media_type(), tag)
            .await
    }

    /// The referrers of `subject` through the referrers API, of every
    /// type, capped at `max_referrers`; `None` when the store has no
    /// referrers API.
    pub async fn referrers(&self, subject: &Sha256) -> Result<Option<Vec<Descriptor>>> {
        let limit = self.limits.max_referrers;
        let found = self.store.referrers(&self.name, subject, limit).await?;
        if let Some(list) = found.as_ref().filter(|l| l.len() > limit) {
            return Err(Error::TooMany {
                what: format!("referrers of {subject}"),
                location: self.location(),
                count: list.len(),
                limit,
            });
        }
        Ok(found)
    }

    /// Locks this repository's tags, where the store can (see
    /// [`Store::lock_tags`]).
    pub async fn lock_tags(&self) -> Result<Option<TagLock>> {
        self.store.lock_tags(&self.name).await
    }

    /// Fails when `count` attachments exceed the limit.
    pub fn check_count(&self, what: &str, count: usize) -> Result<()> {
        if count > self.limits.max_attachments {
            return Err(Error::TooMany {
                what: what.to_string(),
                location: self.location(),
                count,
                limit: self.limits.max_attachments,
            });
        }
        Ok(())
    }

    /// Fails when the manifest `digest`, found with `depth` indexes above
    /// it, is nested deeper than [`Limits::max_index_depth`]: every walk of
    /// nested indexes checks here before it fetches the manifest.
    pub fn check_index_depth(&self, digest: &Sha256, depth: usize) -> Result<()> {
        let limit = self.limits.max_index_depth;
        if depth > limit {
            return Err(Error::TooMany {
                what: format!("indexes nested above manifest {digest}"),
                location: self.location(),
                count: depth,
                limit,
            });
        }
        Ok(())
    }

    /// Adds `size` bytes (of `what`, about to be read or just read) to the
    /// count, or fails, counting nothing, when that would pass
    /// [`Limits::max_read_bytes`]. The failure is [`Error::Budget`], never
    /// an entry's own fault: the listing it happens in fails as a whole.
    fn count_read(&self, what: &str, size: u64) -> Result<()> {
        let max = self.limits.max_read_bytes;
        self.read
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |before| {
                before.checked_add(size).filter(|total| *total <= max)
            })
            .map(drop)
            .map_err(|before| Error::Budget {
                what: what.to_string(),
                location: self.location(),
                size: before.saturating_add(size),
                limit: max,
            })
    }

    fn check_size(&self, what: &str, size: u64, limit: u64) -> Result<()> {
        if size > limit {
            return Err(Error::TooLarge {
                what: what.to_string(),
                location: self.location(),
                size,
                limit,
            });
        }
        Ok(())
    }

    fn check_digest(&self, what: &'static str, expected: &Sha256, bytes: &[u8]) -> Result<()> {
        let actual = sha256(bytes);
        if &actual != expected {
            return Err(Error::DigestMismatch {
                what,
                location: self.location(),
                expected: *expected,
                actual,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    #[tokio::test]
    async fn one_value_reads_no_more_than_max_read_bytes_in_all() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let limits = Limits {
            max_read_bytes: 2500,
            ..Limits::default()
        };
        let repo = Repository::new(store.clone(), "app", limits);
        let mut blobs = Vec::new();
        for i in 0..3u8 {
            blobs.push(repo.put_blob("x", &[i; 1000]).await.unwrap());
        }
        repo.blob(&blobs[0]).await.unwrap();
        repo.blob(&blobs[1]).await.unwrap();
        // The third would pass the limit: refused on its declared size.
        let err = repo.blob(&blobs[2]).await.unwrap_err();
        assert!(matches!(err, Error::Budget { limit: 2500, .. }), "{err}");
        assert!(err.to_string().contains("read in all"), "{err}");
        // A manifest is read only up to what is left (500 bytes): what was
        // refused was not counted.
        let put = |len: usize| {
            let repo = repo.clone();
            async move {
                let body = format!("{{{}}}", " ".repeat(len - 2));
                repo.put_manifest_bytes(body.as_bytes(), crate::oci::OCI_MANIFEST, None)
                    .await
                    .unwrap()
            }
        };
        let (large, small) = (put(600).await, put(400).await);
        let err = repo.manifest(&large.digest).await.unwrap_err();
        assert!(matches!(err, Error::Budget { .. }), "{err}");
        let read = repo.manifest(&small.digest).await;
        assert!(!matches!(read, Err(Error::Budget { .. })), "{read:?}");
        // A clone counts from zero; a value without the limit is not bound.
        repo.clone().blob(&blobs[2]).await.unwrap();
        let unbounded = Repository::new(store, "app", Limits::default());
        for blob in blobs.iter().cycle().take(9) {
            unbounded.blob(blob).await.unwrap();
        }
    }
}
