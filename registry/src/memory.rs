//! An in-memory store, for tests: it can have a referrers API or not, so
//! both of the paths attach takes are exercised without a server.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use vouch_evidence::digest::Sha256;

use crate::oci::{referrer_descriptor, Descriptor, Manifest};
use crate::{Result, Store};

#[derive(Default)]
struct Repo {
    blobs: HashMap<Sha256, Vec<u8>>,
    manifests: HashMap<Sha256, (Vec<u8>, String)>,
    tags: HashMap<String, Sha256>,
}

/// Manifests, blobs and tags in memory, per repository.
#[derive(Default)]
pub struct MemoryStore {
    repos: Mutex<HashMap<String, Repo>>,
    referrers_api: bool,
}

impl MemoryStore {
    /// A store without a referrers API, like Distribution 2.8.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// A store with a referrers API, like an OCI 1.1 registry.
    pub fn with_referrers_api() -> Self {
        MemoryStore {
            referrers_api: true,
            ..MemoryStore::default()
        }
    }

    fn with_repo<T>(&self, repository: &str, f: impl FnOnce(&mut Repo) -> T) -> T {
        let mut repos = self
            .repos
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(repos.entry(repository.to_string()).or_default())
    }
}

fn capped(bytes: &[u8], limit: u64) -> Vec<u8> {
    bytes[..bytes.len().min(limit.saturating_add(1) as usize)].to_vec()
}

#[async_trait]
impl Store for MemoryStore {
    fn location(&self) -> String {
        "memory:".to_string()
    }

    async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Descriptor>> {
        Ok(self.with_repo(repository, |r| {
            let digest = r.tags.get(tag)?;
            let (bytes, media_type) = r.manifests.get(digest)?;
            Some(Descriptor::of(media_type, bytes))
        }))
    }

    async fn fetch_manifest(
        &self,
        repository: &str,
        digest: &Sha256,
        limit: u64,
    ) -> Result<Option<(Vec<u8>, Option<String>)>> {
        Ok(self.with_repo(repository, |r| {
            r.manifests
                .get(digest)
                .map(|(bytes, media_type)| (capped(bytes, limit), Some(media_type.clone())))
        }))
    }

    async fn fetch_blob(
        &self,
        repository: &str,
        digest: &Sha256,
        limit: u64,
    ) -> Result<Option<Vec<u8>>> {
        Ok(self.with_repo(repository, |r| {
            r.blobs.get(digest).map(|b| capped(b, limit))
        }))
    }

    async fn push_blob(&self, repository: &str, digest: &Sha256, content: &[u8]) -> Result<()> {
        self.with_repo(repository, |r| r.blobs.insert(*digest, content.to_vec()));
        Ok(())
    }

    async fn push_manifest(
        &self,
        repository: &str,
        digest: &Sha256,
        content: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<()> {
        self.with_repo(repository, |r| {
            r.manifests
                .insert(*digest, (content.to_vec(), media_type.to_string()));
            if let Some(tag) = tag {
                r.tags.insert(tag.to_string(), *digest);
            }
        });
        Ok(())
    }

    async fn referrers(
        &self,
        repository: &str,
        subject: &Sha256,
        limit: usize,
    ) -> Result<Option<Vec<Descriptor>>> {
        if !self.referrers_api {
            return Ok(None);
        }
        Ok(Some(self.with_repo(repository, |r| {
            let mut found: Vec<Descriptor> = r
                .manifests
                .values()
                .filter_map(
                    |(bytes, media_type)| match Manifest::parse(bytes, Some(media_type)) {
                        Ok(Manifest::Image(m))
                            if m.subject.as_ref().is_some_and(|s| &s.digest == subject) =>
                        {
                            Some(referrer_descriptor(bytes, &m))
                        }
                        _ => None,
                    },
                )
                .take(limit.saturating_add(1))
                .collect();
            found.sort_by_key(|d| d.digest);
            found
        })))
    }
}

/// stub: injected faults and observed reads, for tests only (this crate's,
/// and other crates' through the `conformance` feature). A [`MemoryStore`]
/// whose reads go through a [`StoreHook`] first (to count them, or hold
/// them), and whose writes go through it first (to fail them, as a registry
/// that went away would) and after (to land another writer's write behind
/// them).
#[cfg(any(test, feature = "conformance"))]
pub mod hooked {
    use super::*;

    /// What happens around each read and write of a [`Hooked`] store; every
    /// method does nothing unless a hook says otherwise.
    #[async_trait]
    pub trait StoreHook: Send + Sync {
        /// Before each read: a tag, a manifest, a blob or a referrers lookup.
        fn before_read(&self) {}
        /// Before each referrers lookup, after [`StoreHook::before_read`]:
        /// it may wait, to hold a verification at its first request.
        async fn before_referrers(&self) {}
        /// Before each blob or manifest write; an error fails it unmade.
        fn before_write(&self, _inner: &MemoryStore) -> Result<()> {
            Ok(())
        }
        /// After each manifest write, with its tag.
        async fn after_manifest(
            &self,
            _inner: &MemoryStore,
            _repository: &str,
            _tag: Option<&str>,
        ) -> Result<()> {
            Ok(())
        }
    }

    /// A memory store with a [`StoreHook`] around its reads and writes.
    pub struct Hooked<H> {
        /// The store read and written.
        pub inner: MemoryStore,
        /// What happens around each read and write.
        pub hook: H,
    }

    #[async_trait]
    impl<H: StoreHook> Store for Hooked<H> {
        fn location(&self) -> String {
            self.inner.location()
        }
        async fn resolve_tag(&self, r: &str, tag: &str) -> Result<Option<Descriptor>> {
            self.hook.before_read();
            self.inner.resolve_tag(r, tag).await
        }
        async fn fetch_manifest(
            &self,
            r: &str,
            d: &Sha256,
            limit: u64,
        ) -> Result<Option<(Vec<u8>, Option<String>)>> {
            self.hook.before_read();
            self.inner.fetch_manifest(r, d, limit).await
        }
        async fn fetch_blob(&self, r: &str, d: &Sha256, limit: u64) -> Result<Option<Vec<u8>>> {
            self.hook.before_read();
            self.inner.fetch_blob(r, d, limit).await
        }
        async fn push_blob(&self, r: &str, d: &Sha256, content: &[u8]) -> Result<()> {
            self.hook.before_write(&self.inner)?;
            self.inner.push_blob(r, d, content).await
        }
        async fn push_manifest(
            &self,
            r: &str,
            d: &Sha256,
            content: &[u8],
            media_type: &str,
            tag: Option<&str>,
        ) -> Result<()> {
            self.hook.before_write(&self.inner)?;
            self.inner
                .push_manifest(r, d, content, media_type, tag)
                .await?;
            self.hook.after_manifest(&self.inner, r, tag).await
        }
        async fn referrers(
            &self,
            r: &str,
            s: &Sha256,
            limit: usize,
        ) -> Result<Option<Vec<Descriptor>>> {
            self.hook.before_read();
            self.hook.before_referrers().await;
            self.inner.referrers(r, s, limit).await
        }
    }
}
