//! The one trait every backend implements.

use async_trait::async_trait;
use vouch_evidence::digest::Sha256;

use crate::oci::Descriptor;
use crate::Result;

/// An exclusive lock on a store's tags, released when dropped; see
/// [`Store::lock_tags`].
pub type TagLock = Box<dyn std::any::Any + Send>;

/// A content-addressed store of manifests and blobs, with tags: a registry,
/// a layout directory, or memory.
///
/// The required methods move bytes and nothing more. Checking digests,
/// capping sizes and counts, and parsing manifests happen once, in
/// [`crate::Repository`], so no backend can forget them. A backend must
/// never read more than `limit + 1` bytes for a `limit` it is given, so that
/// an oversized answer is detected without being read whole.
#[async_trait]
pub trait Store: Send + Sync {
    /// Where the store is, for messages (`oci:/path`, `https://host`).
    fn location(&self) -> String;

    /// The descriptor (digest, size, media type) of the manifest `tag`
    /// points at, or `None` when there is no such tag.
    async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Descriptor>>;

    /// A manifest's bytes and content type, or `None` when absent.
    async fn fetch_manifest(
        &self,
        repository: &str,
        digest: &Sha256,
        limit: u64,
    ) -> Result<Option<(Vec<u8>, Option<String>)>>;

    /// A blob's bytes, or `None` when absent.
    async fn fetch_blob(
        &self,
        repository: &str,
        digest: &Sha256,
        limit: u64,
    ) -> Result<Option<Vec<u8>>>;

    /// Stores a blob under its digest (already computed by the caller).
    async fn push_blob(&self, repository: &str, digest: &Sha256, content: &[u8]) -> Result<()>;

    /// Stores a manifest under its digest and, if given, points `tag` at it.
    async fn push_manifest(
        &self,
        repository: &str,
        digest: &Sha256,
        content: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<()>;

    /// The OCI 1.1 referrers API: descriptors of the manifests whose
    /// `subject` is `subject`, at most `limit + 1` of them; `None` when the
    /// store has no referrers API and the tag-schema fallback must be used.
    async fn referrers(
        &self,
        repository: &str,
        subject: &Sha256,
        limit: usize,
    ) -> Result<Option<Vec<Descriptor>>>;

    /// Locks the tags of `repository` against every other writer that takes
    /// the same lock, until the returned guard is dropped. Attachments hold
    /// it across each read-merge-write of a tagged index, so that no
    /// writer's entry is lost to another's stale write. `None` (the
    /// default) where the store cannot lock, as a remote registry, which
    /// offers no conditional write either: the writer then confirms its
    /// write by reading it back.
    async fn lock_tags(&self, _repository: &str) -> Result<Option<TagLock>> {
        Ok(None)
    }
}
