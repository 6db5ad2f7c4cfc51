//! Signatures and attestations next to an image.
//!
//! Two formats are written and both are always read:
//! - **Sigstore bundle referrers** (the default): an OCI 1.1 artifact
//!   manifest, `artifactType` `application/vnd.dev.sigstore.bundle.v0.3+json`,
//!   the empty config, one layer holding the bundle, and `subject` set to the
//!   image. Where the store has no referrers API, the OCI tag-schema fallback
//!   index under tag `sha256-<hex>` is kept up to date.
//! - **Legacy cosign**: tag `sha256-<hex>.sig` with simple-signing layers
//!   (the signature in annotation `dev.cosignproject.cosign/signature`), and
//!   tag `sha256-<hex>.att` with DSSE envelope layers (annotation
//!   `predicateType`).
//!
//! Tagged indexes are updated read-merge-write (no registry here offers a
//! conditional write). After writing, the writer waits a settle time of
//! three of its own read-merge-write rounds, reads again, and writes again
//! until its entry has been seen twice, a settle time apart: a concurrent
//! writer's stale write lands within that time, so all writers keep their
//! entries.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use vouch_evidence::bundle::{Bundle, Content};
use vouch_evidence::digest::Sha256;
use vouch_evidence::dsse::Envelope;
use vouch_evidence::statement::Statement;

use crate::oci::{
    referrer_descriptor, Descriptor, ImageIndex, ImageManifest, Manifest, EMPTY_JSON,
    EMPTY_JSON_CONTENT, OCI_MANIFEST,
};
use crate::repository::FetchedManifest;
use crate::{Error, Repository, Result};

/// The artifact type (and layer media type) of a Sigstore bundle v0.3.
pub const BUNDLE_ARTIFACT_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Manifest annotation: what the bundle holds (`dsse-envelope` or `message-signature`).
pub const ANNOTATION_BUNDLE_CONTENT: &str = "dev.sigstore.bundle.content";
/// Manifest annotation: the predicate type of a DSSE bundle.
pub const ANNOTATION_BUNDLE_PREDICATE_TYPE: &str = "dev.sigstore.bundle.predicateType";
/// Legacy cosign simple-signing layer media type.
pub const COSIGN_SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Legacy cosign layer annotation holding the base64 signature.
pub const COSIGN_SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// Legacy cosign attestation layer media type.
pub const DSSE_LAYER: &str = "application/vnd.dsse.envelope.v1+json";
/// Legacy cosign attestation layer annotation.
pub const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";
/// The predicate type cosign v3 uses for an image signature as a statement.
pub const COSIGN_SIGN_PREDICATE_TYPE: &str = "https://sigstore.dev/cosign/sign/v1";

/// How many read-merge-write rounds a tagged index update tries.
const MAX_UPDATE_ATTEMPTS: usize = 12;

/// The tag-schema fallback tag of the referrers of `subject`.
pub fn fallback_tag(subject: &Sha256) -> String {
    format!("sha256-{}", subject.hex())
}

/// The legacy cosign signature tag of `subject`.
pub fn legacy_signature_tag(subject: &Sha256) -> String {
    format!("sha256-{}.sig", subject.hex())
}

/// The legacy cosign attestation tag of `subject`.
pub fn legacy_attestation_tag(subject: &Sha256) -> String {
    format!("sha256-{}.att", subject.hex())
}

/// How an attachment is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Sigstore bundle referrer.
    Bundle,
    /// A legacy cosign `.sig` or `.att` layer.
    Legacy,
}

/// What an attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A signature over the image.
    Signature,
    /// An attestation (an in-toto statement about the image).
    Attestation,
}

/// The evidence an attachment carries, unverified.
#[derive(Debug, Clone)]
pub enum Evidence {
    /// A Sigstore bundle.
    Bundle(Bundle),
    /// A legacy simple-signing payload and its signature.
    SimpleSigning {
        /// The exact signed payload bytes.
        payload: Vec<u8>,
        /// The raw signature.
        signature: Vec<u8>,
    },
    /// A legacy DSSE envelope.
    Dsse(Envelope),
}

/// One signature or attestation found next to an image.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Where it is stored.
    pub format: Format,
    /// Signature or attestation.
    pub kind: Kind,
    /// The predicate type, as the attachment declares it (unverified).
    pub predicate_type: Option<String>,
    /// The `org.opencontainers.image.created` annotation, if any.
    pub created: Option<String>,
    /// The digest of the referrer manifest, or of the legacy layer.
    pub digest: Sha256,
    /// The evidence itself.
    pub evidence: Evidence,
}

enum Merge {
    /// The entry is already there: done.
    Present,
    /// Write these blobs, then this manifest under the tag; then check again.
    Write {
        blobs: Vec<(String, Vec<u8>)>,
        manifest: Box<Manifest>,
    },
}

/// Updates the manifest under `tag` with `merge` until it holds our entry.
async fn update_tagged(
    repo: &Repository,
    tag: &str,
    mut merge: impl FnMut(Option<FetchedManifest>) -> Result<Merge>,
) -> Result<()> {
    // The longest read-merge-write round seen: a concurrent writer that read
    // before our write may land its stale write up to about that long after.
    let mut round = Duration::ZERO;
    let mut wrote = false;
    let mut seen_after_write = false;
    for attempt in 0..MAX_UPDATE_ATTEMPTS {
        let started = std::time::Instant::now();
        match merge(repo.tagged(tag).await?)? {
            // Done when our entry is there and, if we wrote it, is still
            // there after the settle time: a stale write would have shown.
            Merge::Present if !wrote || seen_after_write => return Ok(()),
            Merge::Present => seen_after_write = true,
            Merge::Write { blobs, manifest } => {
                for (media_type, content) in &blobs {
                    repo.put_blob(media_type, content).await?;
                }
                repo.put_manifest(&manifest, Some(tag)).await?;
                wrote = true;
                seen_after_write = false;
                round = round.max(started.elapsed());
            }
        }
        tokio::time::sleep(backoff(attempt) + round * 3).await;
    }
    Err(Error::Contention {
        what: format!("tag {tag}"),
        location: repo.location(),
        attempts: MAX_UPDATE_ATTEMPTS,
    })
}

/// 30 ms and up, with jitter from the clock's nanoseconds so that racing
/// writers drift apart.
fn backoff(attempt: usize) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    Duration::from_millis(30 + 10 * attempt as u64 + u64::from(nanos % 40))
}

fn subject_descriptor(subject: &Descriptor) -> Descriptor {
    Descriptor {
        media_type: subject.media_type.clone(),
        digest: subject.digest,
        size: subject.size,
        artifact_type: None,
        platform: None,
        annotations: BTreeMap::new(),
    }
}

/// Attaches a Sigstore bundle to `subject` as an OCI 1.1 referrer, keeping
/// the tag-schema fallback index current where there is no referrers API.
/// Returns the referrer manifest's descriptor.
pub async fn attach_bundle(
    repo: &Repository,
    subject: &Descriptor,
    bundle: &Bundle,
    created: &str,
    extra_annotations: &BTreeMap<String, String>,
) -> Result<Descriptor> {
    let config = repo.put_blob(EMPTY_JSON, EMPTY_JSON_CONTENT).await?;
    let layer = repo
        .put_blob(BUNDLE_ARTIFACT_TYPE, &bundle.to_json())
        .await?;
    let mut annotations = extra_annotations.clone();
    match bundle.content()? {
        Content::MessageSignature { .. } => {
            annotations.insert(ANNOTATION_BUNDLE_CONTENT.into(), "message-signature".into());
        }
        Content::Dsse(envelope) => {
            annotations.insert(ANNOTATION_BUNDLE_CONTENT.into(), "dsse-envelope".into());
            if let Ok(statement) = Statement::from_json(envelope.unverified_payload()) {
                annotations.insert(
                    ANNOTATION_BUNDLE_PREDICATE_TYPE.into(),
                    statement.predicate_type().to_string(),
                );
            }
        }
    }
    annotations.insert(crate::oci::ANNOTATION_CREATED.into(), created.into());
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.into()),
        artifact_type: Some(BUNDLE_ARTIFACT_TYPE.into()),
        config,
        layers: vec![layer],
        subject: Some(subject_descriptor(subject)),
        annotations,
    };
    let bytes = crate::oci::to_json(&manifest);
    let descriptor = repo.put_manifest_bytes(&bytes, OCI_MANIFEST, None).await?;
    register_referrer(
        repo,
        &subject.digest,
        referrer_descriptor(&bytes, &manifest),
    )
    .await?;
    Ok(descriptor)
}

/// Makes a stored referrer manifest findable from its subject: nothing to
/// do where the store has a referrers API; otherwise `entry` is merged into
/// the tag-schema fallback index (tag `sha256-<hex>`), all its annotations
/// copied as the distribution spec requires.
pub async fn register_referrer(
    repo: &Repository,
    subject: &Sha256,
    entry: Descriptor,
) -> Result<()> {
    if repo.referrers(subject).await?.is_some() {
        return Ok(());
    }
    let tag = fallback_tag(subject);
    update_tagged(repo, &tag, |current| {
        let mut index = match current.map(|f| f.manifest) {
            None => ImageIndex::empty(),
            Some(Manifest::Index(index)) => index,
            Some(Manifest::Image(_)) => {
                return Err(Error::Invalid {
                    what: format!("referrers fallback tag {tag}"),
                    location: repo.location(),
                    reason: "is an image manifest, not an index".into(),
                })
            }
        };
        if index.manifests.iter().any(|d| d.digest == entry.digest) {
            return Ok(Merge::Present);
        }
        index.manifests.push(entry.clone());
        Ok(Merge::Write {
            blobs: Vec::new(),
            manifest: Box::new(Manifest::Index(index)),
        })
    })
    .await
}

/// Appends a layer (already stored) to the legacy cosign manifest under
/// `tag`, keeping the layers already there; a layer with the same digest
/// and annotations is not added twice.
async fn append_legacy_layer(repo: &Repository, tag: &str, layer: Descriptor) -> Result<()> {
    update_tagged(repo, tag, |current| {
        let mut layers = match current.map(|f| f.manifest) {
            None => Vec::new(),
            Some(Manifest::Image(m)) => m.layers,
            Some(Manifest::Index(_)) => {
                return Err(Error::Invalid {
                    what: format!("legacy cosign tag {tag}"),
                    location: repo.location(),
                    reason: "is an index, not an image manifest".into(),
                })
            }
        };
        if layers
            .iter()
            .any(|l| l.digest == layer.digest && l.annotations == layer.annotations)
        {
            return Ok(Merge::Present);
        }
        layers.push(layer.clone());
        let config_bytes = legacy_config(&layers);
        let config = Descriptor::of(LEGACY_CONFIG, &config_bytes);
        Ok(Merge::Write {
            blobs: vec![(LEGACY_CONFIG.to_string(), config_bytes)],
            manifest: Box::new(Manifest::Image(ImageManifest {
                schema_version: 2,
                media_type: Some(OCI_MANIFEST.into()),
                artifact_type: None,
                config,
                layers,
                subject: None,
                annotations: BTreeMap::new(),
            })),
        })
    })
    .await
}

/// Attaches a legacy cosign signature: a simple-signing `payload` and its
/// raw `signature`, as a layer of tag `sha256-<hex>.sig`.
pub async fn attach_legacy_signature(
    repo: &Repository,
    subject: &Sha256,
    payload: &[u8],
    signature: &[u8],
) -> Result<()> {
    let mut layer = repo.put_blob(COSIGN_SIMPLE_SIGNING, payload).await?;
    layer.annotations.insert(
        COSIGN_SIGNATURE_ANNOTATION.into(),
        base64::engine::general_purpose::STANDARD.encode(signature),
    );
    append_legacy_layer(repo, &legacy_signature_tag(subject), layer).await
}

/// Attaches a legacy cosign attestation: a DSSE envelope as a layer of tag
/// `sha256-<hex>.att`, annotated with its predicate type.
pub async fn attach_legacy_attestation(
    repo: &Repository,
    subject: &Sha256,
    envelope: &Envelope,
    predicate_type: &str,
) -> Result<()> {
    let mut layer = repo.put_blob(DSSE_LAYER, &envelope.to_json()).await?;
    layer
        .annotations
        .insert(PREDICATE_TYPE_ANNOTATION.into(), predicate_type.into());
    append_legacy_layer(repo, &legacy_attestation_tag(subject), layer).await
}

/// The media type of the config of legacy cosign images.
const LEGACY_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// The image config cosign writes for its signature and attestation images:
/// an empty image whose rootfs lists the layers.
fn legacy_config(layers: &[Descriptor]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| l.digest.to_string()).collect();
    let history: Vec<serde_json::Value> = layers
        .iter()
        .map(|_| serde_json::json!({"created": "0001-01-01T00:00:00Z"}))
        .collect();
    crate::oci::to_json(&serde_json::json!({
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": history,
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "config": {}
    }))
}

fn is_bundle_media_type(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.dev.sigstore.bundle")
}

fn kind_of_bundle(bundle: &Bundle, predicate_type: Option<&str>) -> Kind {
    match bundle.content() {
        Ok(Content::MessageSignature { .. }) => Kind::Signature,
        _ if predicate_type == Some(COSIGN_SIGN_PREDICATE_TYPE) => Kind::Signature,
        _ => Kind::Attestation,
    }
}

fn invalid(repo: &Repository, what: String, reason: impl Into<String>) -> Error {
    Error::Invalid {
        what,
        location: repo.location(),
        reason: reason.into(),
    }
}

/// The referrer descriptors of `subject`: from the referrers API, or else
/// from the tag-schema fallback index, capped by the attachment limit.
pub async fn referrers(repo: &Repository, subject: &Sha256) -> Result<Vec<Descriptor>> {
    if let Some(list) = repo.referrers(subject).await? {
        return Ok(list);
    }
    let tag = fallback_tag(subject);
    match repo.tagged(&tag).await?.map(|f| f.manifest) {
        None => Ok(Vec::new()),
        Some(Manifest::Index(index)) => {
            repo.check_count(&format!("referrers of {subject}"), index.manifests.len())?;
            Ok(index.manifests)
        }
        Some(Manifest::Image(_)) => Err(invalid(
            repo,
            format!("referrers fallback tag {tag}"),
            "is not an index",
        )),
    }
}

/// Every signature and attestation attached to `subject`, in both formats.
///
/// Referrers come from the referrers API, or else from the fallback index;
/// a referrer whose manifest names another subject is rejected, since the
/// fallback index is only a tag anyone can write. Counts are capped by the
/// repository's limits before anything is fetched.
pub async fn list(repo: &Repository, subject: &Sha256) -> Result<Vec<Attachment>> {
    let mut found = Vec::new();
    let referrers = referrers(repo, subject).await?;
    // Every Sigstore bundle version, as cosign reads them (v0.2 bundles
    // are attached as `application/vnd.dev.sigstore.bundle+json;version=0.2`).
    let bundles: Vec<&Descriptor> = referrers
        .iter()
        .filter(|d| d.artifact_type.as_deref().is_some_and(is_bundle_media_type))
        .collect();
    repo.check_count(&format!("bundle referrers of {subject}"), bundles.len())?;
    for d in bundles {
        let fetched = repo.manifest(&d.digest).await?;
        let what = format!("bundle referrer {}", d.digest);
        let Manifest::Image(m) = fetched.manifest else {
            return Err(invalid(repo, what, "is not an image manifest"));
        };
        if m.subject.as_ref().map(|s| s.digest) != Some(*subject) {
            return Err(invalid(
                repo,
                what,
                format!("does not name {subject} as its subject"),
            ));
        }
        let layer = match m.layers.as_slice() {
            [layer] if is_bundle_media_type(&layer.media_type) => layer,
            _ => return Err(invalid(repo, what, "must have exactly one bundle layer")),
        };
        let bundle = Bundle::from_json(&repo.blob(layer).await?)?;
        // The annotation is optional (`@sigstore/cli attach` writes none):
        // fall back to the statement itself. Either is unverified here, for
        // listing; verification reads the verified statement.
        let predicate_type = m
            .annotations
            .get(ANNOTATION_BUNDLE_PREDICATE_TYPE)
            .cloned()
            .or_else(|| match bundle.content() {
                Ok(Content::Dsse(envelope)) => Statement::from_json(envelope.unverified_payload())
                    .ok()
                    .map(|s| s.predicate_type().to_string()),
                _ => None,
            });
        found.push(Attachment {
            format: Format::Bundle,
            kind: kind_of_bundle(&bundle, predicate_type.as_deref()),
            predicate_type,
            created: m.annotations.get(crate::oci::ANNOTATION_CREATED).cloned(),
            digest: d.digest,
            evidence: Evidence::Bundle(bundle),
        });
    }
    for (tag, kind) in [
        (legacy_signature_tag(subject), Kind::Signature),
        (legacy_attestation_tag(subject), Kind::Attestation),
    ] {
        let Some(fetched) = repo.tagged(&tag).await? else {
            continue;
        };
        let Manifest::Image(m) = fetched.manifest else {
            return Err(invalid(
                repo,
                format!("legacy cosign tag {tag}"),
                "is not an image manifest",
            ));
        };
        repo.check_count(&format!("layers of {tag}"), m.layers.len())?;
        for layer in &m.layers {
            let evidence = match (kind, layer.media_type.as_str()) {
                (Kind::Signature, COSIGN_SIMPLE_SIGNING) => {
                    let encoded = layer
                        .annotations
                        .get(COSIGN_SIGNATURE_ANNOTATION)
                        .ok_or_else(|| {
                            invalid(
                                repo,
                                format!("layer {} of {tag}", layer.digest),
                                format!("has no {COSIGN_SIGNATURE_ANNOTATION} annotation"),
                            )
                        })?;
                    let signature = base64::engine::general_purpose::STANDARD
                        .decode(encoded)
                        .map_err(|e| {
                            invalid(
                                repo,
                                format!("signature annotation of layer {} of {tag}", layer.digest),
                                e.to_string(),
                            )
                        })?;
                    Evidence::SimpleSigning {
                        payload: repo.blob(layer).await?,
                        signature,
                    }
                }
                (Kind::Attestation, DSSE_LAYER) => {
                    Evidence::Dsse(Envelope::from_json(&repo.blob(layer).await?)?)
                }
                _ => continue, // a layer of another kind: not ours to judge
            };
            found.push(Attachment {
                format: Format::Legacy,
                kind,
                predicate_type: layer.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned(),
                created: None,
                digest: layer.digest,
                evidence,
            });
        }
    }
    repo.check_count(&format!("attachments of {subject}"), found.len())?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;

    use super::*;
    use crate::memory::MemoryStore;
    use crate::oci::OCI_MANIFEST;
    use crate::{Limits, Store};

    /// A memory store (no referrers API) on which, right after the first
    /// write of `tag`, another writer's stale write lands: `stale` is put
    /// back under the tag, as a writer that read before would.
    struct StaleAfterWrite {
        inner: MemoryStore,
        tag: String,
        stale: Mutex<Option<Vec<u8>>>,
    }

    #[async_trait]
    impl Store for StaleAfterWrite {
        fn location(&self) -> String {
            self.inner.location()
        }
        async fn resolve_tag(&self, r: &str, tag: &str) -> Result<Option<Descriptor>> {
            self.inner.resolve_tag(r, tag).await
        }
        async fn fetch_manifest(
            &self,
            r: &str,
            d: &Sha256,
            limit: u64,
        ) -> Result<Option<(Vec<u8>, Option<String>)>> {
            self.inner.fetch_manifest(r, d, limit).await
        }
        async fn fetch_blob(&self, r: &str, d: &Sha256, limit: u64) -> Result<Option<Vec<u8>>> {
            self.inner.fetch_blob(r, d, limit).await
        }
        async fn push_blob(&self, r: &str, d: &Sha256, content: &[u8]) -> Result<()> {
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
            self.inner
                .push_manifest(r, d, content, media_type, tag)
                .await?;
            if tag == Some(self.tag.as_str()) {
                let stale = self.stale.lock().unwrap().take();
                if let Some(stale) = stale {
                    let digest = vouch_evidence::digest::sha256(&stale);
                    self.inner
                        .push_manifest(r, &digest, &stale, crate::oci::OCI_INDEX, tag)
                        .await?;
                }
            }
            Ok(())
        }
        async fn referrers(
            &self,
            r: &str,
            s: &Sha256,
            limit: usize,
        ) -> Result<Option<Vec<Descriptor>>> {
            self.inner.referrers(r, s, limit).await
        }
    }

    fn entry(name: &str) -> Descriptor {
        let mut d = Descriptor::of(OCI_MANIFEST, name.as_bytes());
        d.artifact_type = Some(BUNDLE_ARTIFACT_TYPE.into());
        d
    }

    #[tokio::test]
    async fn regression_issue_8_a_stale_write_does_not_erase_an_entry_seen() {
        let subject = vouch_evidence::digest::sha256(b"the image");
        let tag = fallback_tag(&subject);
        let stale = ImageIndex {
            manifests: vec![entry("c")],
            ..ImageIndex::empty()
        };
        let store = Arc::new(StaleAfterWrite {
            inner: MemoryStore::new(),
            tag: tag.clone(),
            stale: Mutex::new(None),
        });
        let repo = Repository::new(store.clone(), "app", Limits::default());
        // Another writer's entry is there first.
        register_referrer(&repo, &subject, entry("x")).await.unwrap();
        // Our write is followed by the stale write of a writer that read
        // before x was added, and added c.
        *store.stale.lock().unwrap() = Some(crate::oci::to_json(&stale));
        register_referrer(&repo, &subject, entry("a")).await.unwrap();
        let listed: Vec<Sha256> = referrers(&repo, &subject)
            .await
            .unwrap()
            .iter()
            .map(|d| d.digest)
            .collect();
        for name in ["x", "a", "c"] {
            assert!(
                listed.contains(&entry(name).digest),
                "entry {name} lost: {listed:?}"
            );
        }
    }
}
