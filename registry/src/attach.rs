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
//! Tagged indexes are updated read-merge-write. Where the store can lock
//! (a layout directory), one exclusive lock is held across the whole
//! read-merge-write, so no writer loses another's entry. A registry offers
//! neither a lock nor a conditional write: there, after writing, the writer
//! waits a settle time of three of its own read-merge-write rounds, reads
//! again, and writes again until every entry it has ever seen under the
//! tag, and its own, has been there twice, a settle time apart. A stale
//! write landing within that time is repaired; one from a writer stalled
//! for longer can still erase an entry whose writer has already finished
//! (see docs/decisions.md). Giving up is [`Error::Contention`].
//!
//! Reading is [`list`]: entries are filtered by their descriptors before
//! anything is fetched or counted, and an entry that turns out unreadable
//! is skipped and reported in [`Listing::ignored`], so one bad entry does
//! not hide the good ones; a store that cannot be read fails the listing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

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

pub use vouch_evidence::attachment::{
    Attachment, Evidence, Format, Ignored, Kind, LegacyKeyless, ANNOTATION_BUNDLE_CONTENT,
    ANNOTATION_BUNDLE_PREDICATE_TYPE, BUNDLE_ARTIFACT_TYPE, COSIGN_BUNDLE_ANNOTATION,
    COSIGN_CERTIFICATE_ANNOTATION, COSIGN_RFC3161_ANNOTATION, COSIGN_SIGNATURE_ANNOTATION,
    COSIGN_SIGN_PREDICATE_TYPE, COSIGN_SIMPLE_SIGNING, DSSE_LAYER, PREDICATE_TYPE_ANNOTATION,
};

/// The largest keyless annotation of a legacy layer that is read: a Fulcio
/// leaf is about 3 KiB, a Rekor bundle (whose body holds the
/// certificate again, base64 twice) 8 KiB, an RFC 3161 timestamp 4 KiB.
pub const MAX_KEYLESS_ANNOTATION: usize = 64 * 1024;

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

/// What [`list`] found next to an image.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// What could be read, in listing order: bundle referrers, then legacy
    /// `.sig` layers, then legacy `.att` layers. Nothing here is verified.
    pub attachments: Vec<Attachment>,
    /// What was skipped as unreadable, with why.
    pub ignored: Vec<Ignored>,
}

/// Which entries [`list`] fetches, by the predicate type an entry's
/// descriptor declares (the `dev.sigstore.bundle.predicateType` annotation
/// of a referrer, the `predicateType` annotation of a legacy layer): an
/// entry declaring one the filter refuses is not fetched. An entry that
/// declares none is always fetched. The declaration is never trusted for
/// verification, which reads the verified statement: it only saves fetching
/// what no policy will read.
pub type PredicateFilter = dyn Fn(&str) -> bool + Sync;

/// Whether an error met while reading one entry says something about the
/// entry itself, which every reader sees alike (missing, malformed,
/// oversized, of another subject, not matching its digest): the entry is
/// then skipped and reported. Any other error says the store could not be
/// read (unreachable, an error status, a timeout, an unreadable or
/// irregular file) and fails the whole listing, since skipping the entry
/// could drop evidence a policy needs.
pub(crate) fn is_entry_fault(error: &Error) -> bool {
    matches!(
        error,
        Error::NotFound { .. }
            | Error::DigestMismatch { .. }
            | Error::TooLarge { .. }
            | Error::TooMany { .. }
            | Error::Invalid { .. }
            | Error::Evidence(_)
    )
}

/// A tag whose manifest lists entries that writers update read-merge-write.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tagged {
    /// The tag-schema fallback index of referrers.
    Referrers,
    /// A legacy cosign `.sig` or `.att` image.
    Legacy,
}

impl Tagged {
    /// The entries of the manifest under `tag` (none without one).
    fn entries(
        self,
        repo: &Repository,
        tag: &str,
        current: Option<Manifest>,
    ) -> Result<Vec<Descriptor>> {
        match (self, current) {
            (_, None) => Ok(Vec::new()),
            (Tagged::Referrers, Some(Manifest::Index(index))) => Ok(index.manifests),
            (Tagged::Legacy, Some(Manifest::Image(m))) => Ok(m.layers),
            (Tagged::Referrers, Some(Manifest::Image(_))) => Err(invalid(
                repo,
                format!("referrers fallback tag {tag}"),
                "is an image manifest, not an index",
            )),
            (Tagged::Legacy, Some(Manifest::Index(_))) => Err(invalid(
                repo,
                format!("legacy cosign tag {tag}"),
                "is an index, not an image manifest",
            )),
        }
    }

    /// Whether two entries are one: a referrer by its digest, a legacy
    /// layer by its digest and annotations (which hold the signature).
    fn same(self, a: &Descriptor, b: &Descriptor) -> bool {
        a.digest == b.digest
            && match self {
                Tagged::Referrers => true,
                Tagged::Legacy => a.annotations == b.annotations,
            }
    }

    /// Adds to `into` each entry of `from` it does not hold yet.
    fn merge(self, into: &mut Vec<Descriptor>, from: &[Descriptor]) {
        for entry in from {
            if !into.iter().any(|e| self.same(e, entry)) {
                into.push(entry.clone());
            }
        }
    }

    /// Writes the manifest listing `entries` (and the blobs it needs)
    /// under `tag`.
    async fn write(self, repo: &Repository, tag: &str, entries: &[Descriptor]) -> Result<()> {
        let manifest = match self {
            Tagged::Referrers => Manifest::Index(ImageIndex {
                manifests: entries.to_vec(),
                ..ImageIndex::empty()
            }),
            Tagged::Legacy => {
                let config_bytes = legacy_config(entries);
                let config = repo.put_blob(LEGACY_CONFIG, &config_bytes).await?;
                Manifest::Image(ImageManifest {
                    schema_version: 2,
                    media_type: Some(OCI_MANIFEST.into()),
                    artifact_type: None,
                    config,
                    layers: entries.to_vec(),
                    subject: None,
                    annotations: BTreeMap::new(),
                })
            }
        };
        repo.put_manifest(&manifest, Some(tag)).await?;
        Ok(())
    }
}

/// The manifest under `tag`, which lists attachments: its entries are
/// capped by `max_referrers`.
async fn tagged_list(repo: &Repository, tag: &str) -> Result<Option<FetchedManifest>> {
    match repo.resolve_tag(tag).await? {
        Some(d) => repo.try_attachment_list(&d.digest).await,
        None => Ok(None),
    }
}

/// Makes the manifest under `tag` list every entry of `own`, keeping the
/// entries already there: under the store's lock where it has one, else
/// confirmed by reading back, re-merging every entry ever seen there until
/// all are present twice, a settle time apart.
async fn update_tagged(
    repo: &Repository,
    kind: Tagged,
    tag: &str,
    own: &[Descriptor],
) -> Result<()> {
    if let Some(_lock) = repo.lock_tags().await? {
        let mut entries =
            kind.entries(repo, tag, tagged_list(repo, tag).await?.map(|f| f.manifest))?;
        let before = entries.len();
        kind.merge(&mut entries, own);
        if entries.len() > before {
            kind.write(repo, tag, &entries).await?;
        }
        return Ok(()); // the lock is released here, after the write
    }
    // The longest read-merge-write round seen: a concurrent writer that read
    // before our write may land its stale write up to about that long after.
    let mut round = Duration::ZERO;
    let mut seen: Vec<Descriptor> = Vec::new();
    let mut wrote = false;
    let mut confirmed = false;
    for attempt in 0..MAX_UPDATE_ATTEMPTS {
        let started = Instant::now();
        let current = kind.entries(repo, tag, tagged_list(repo, tag).await?.map(|f| f.manifest))?;
        kind.merge(&mut seen, &current);
        kind.merge(&mut seen, own);
        if seen.iter().all(|e| current.iter().any(|c| kind.same(c, e))) {
            // Done when everything is there and, if we wrote, is still there
            // after the settle time: a stale write would have shown.
            if !wrote || confirmed {
                return Ok(());
            }
            confirmed = true;
        } else {
            kind.write(repo, tag, &seen).await?;
            wrote = true;
            confirmed = false;
            round = round.max(started.elapsed());
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
    register_referrers(
        repo,
        &subject.digest,
        &[referrer_descriptor(&bytes, &manifest)],
    )
    .await?;
    Ok(descriptor)
}

/// Makes stored referrer manifests findable from their subject: nothing to
/// do where the store has a referrers API; otherwise `entries` are merged
/// into the tag-schema fallback index (tag `sha256-<hex>`), all their
/// annotations copied as the distribution spec requires.
pub async fn register_referrers(
    repo: &Repository,
    subject: &Sha256,
    entries: &[Descriptor],
) -> Result<()> {
    if entries.is_empty() || repo.referrers(subject).await?.is_some() {
        return Ok(());
    }
    update_tagged(repo, Tagged::Referrers, &fallback_tag(subject), entries).await
}

/// Appends layers (already stored) to the legacy cosign image under `tag`,
/// keeping the layers already there; a layer with the same digest and
/// annotations is not added twice.
pub(crate) async fn append_legacy_layers(
    repo: &Repository,
    tag: &str,
    layers: &[Descriptor],
) -> Result<()> {
    if layers.is_empty() {
        return Ok(());
    }
    update_tagged(repo, Tagged::Legacy, tag, layers).await
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
    append_legacy_layers(repo, &legacy_signature_tag(subject), &[layer]).await
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
    append_legacy_layers(repo, &legacy_attestation_tag(subject), &[layer]).await
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

/// What a referrer's descriptor says it is (unverified, for reports).
fn declared_kind(annotations: &BTreeMap<String, String>) -> Kind {
    let content = annotations
        .get(ANNOTATION_BUNDLE_CONTENT)
        .map(String::as_str);
    let predicate = annotations
        .get(ANNOTATION_BUNDLE_PREDICATE_TYPE)
        .map(String::as_str);
    if content == Some("message-signature") || predicate == Some(COSIGN_SIGN_PREDICATE_TYPE) {
        Kind::Signature
    } else {
        Kind::Attestation
    }
}

fn invalid(repo: &Repository, what: String, reason: impl Into<String>) -> Error {
    Error::Invalid {
        what,
        location: repo.location(),
        reason: reason.into(),
    }
}

/// The referrer descriptors of `subject`, of every type: from the
/// referrers API, or else from the tag-schema fallback index, capped at
/// `max_referrers`. A fallback tag that cannot be read as an index is
/// skipped and recorded in `ignored`.
pub async fn referrers(
    repo: &Repository,
    subject: &Sha256,
    ignored: &mut Vec<Ignored>,
) -> Result<Vec<Descriptor>> {
    if let Some(list) = repo.referrers(subject).await? {
        return Ok(list);
    }
    let tag = fallback_tag(subject);
    Ok(match read_tag(repo, Tagged::Referrers, &tag).await? {
        TagRead::Absent => Vec::new(),
        TagRead::Unreadable(digest, e) => {
            ignored.push(Ignored {
                format: Format::Bundle,
                kind: Kind::Attestation,
                predicate_type: None,
                digest,
                reason: e.to_string(),
            });
            Vec::new()
        }
        TagRead::Read(entries) => entries,
    })
}

/// A tag that lists attachments, as read.
pub(crate) enum TagRead {
    /// There is no such tag.
    Absent,
    /// The tag's manifest (digest) is unreadable for a reason of its own.
    Unreadable(Sha256, Error),
    /// The entries the tag's manifest lists.
    Read(Vec<Descriptor>),
}

/// Reads the entries of the manifest under `tag`, which lists attachments
/// of `kind`. A manifest that is missing, malformed, not matching its
/// digest or of the wrong kind is unreadable; one over the size or entry
/// limits, and a store that cannot be read, fail: what it lists cannot be
/// told.
pub(crate) async fn read_tag(repo: &Repository, kind: Tagged, tag: &str) -> Result<TagRead> {
    let Some(d) = repo.resolve_tag(tag).await? else {
        return Ok(TagRead::Absent);
    };
    match repo.try_attachment_list(&d.digest).await {
        Ok(Some(fetched)) => match kind.entries(repo, tag, Some(fetched.manifest)) {
            Ok(entries) => Ok(TagRead::Read(entries)),
            Err(e) => Ok(TagRead::Unreadable(d.digest, e)),
        },
        Ok(None) => Ok(TagRead::Unreadable(
            d.digest,
            Error::NotFound {
                what: format!("manifest {} of tag {tag}", d.digest),
                location: repo.location(),
            },
        )),
        Err(e @ (Error::Invalid { .. } | Error::DigestMismatch { .. })) => {
            Ok(TagRead::Unreadable(d.digest, e))
        }
        Err(e) => Err(e),
    }
}

/// One entry next to an image to fetch, chosen by its descriptor.
enum Candidate {
    /// A Sigstore bundle referrer.
    Bundle(Descriptor),
    /// A layer of a legacy cosign image.
    Legacy {
        tag: String,
        kind: Kind,
        layer: Descriptor,
    },
}

impl Candidate {
    /// The report of this entry as unreadable, for `reason`.
    fn ignored(&self, reason: String) -> Ignored {
        match self {
            Candidate::Bundle(d) => Ignored {
                format: Format::Bundle,
                kind: declared_kind(&d.annotations),
                predicate_type: d.annotations.get(ANNOTATION_BUNDLE_PREDICATE_TYPE).cloned(),
                digest: d.digest,
                reason,
            },
            Candidate::Legacy { kind, layer, .. } => Ignored {
                format: Format::Legacy,
                kind: *kind,
                predicate_type: layer.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned(),
                digest: layer.digest,
                reason,
            },
        }
    }
}

/// Every signature and attestation attached to `subject`, in both formats.
///
/// Entries are chosen by their descriptors before anything is fetched:
/// referrers whose artifact type is a Sigstore bundle, and legacy layers of
/// the cosign media types, once each, and only those whose declared
/// predicate type `wanted` accepts (all without a filter). Only then are
/// they counted against the attachment limit, so entries of other types do
/// not hide the ones that count. Each is then fetched and checked (a
/// referrer must name `subject`, since a fallback index is only a tag
/// anyone can write); one that cannot be read is skipped and reported in
/// [`Listing::ignored`]. A store that cannot be read fails the listing.
pub async fn list(
    repo: &Repository,
    subject: &Sha256,
    wanted: Option<&PredicateFilter>,
) -> Result<Listing> {
    let mut listing = Listing::default();
    let wants = |declared: Option<&String>| match (declared, wanted) {
        (Some(predicate_type), Some(wanted)) => wanted(predicate_type),
        _ => true,
    };
    let mut candidates = Vec::new();
    // Every Sigstore bundle version, as cosign reads them (v0.2 bundles
    // are attached as `application/vnd.dev.sigstore.bundle+json;version=0.2`).
    for d in referrers(repo, subject, &mut listing.ignored).await? {
        if d.artifact_type.as_deref().is_some_and(is_bundle_media_type)
            && wants(d.annotations.get(ANNOTATION_BUNDLE_PREDICATE_TYPE))
            && !candidates
                .iter()
                .any(|c| matches!(c, Candidate::Bundle(b) if b.digest == d.digest))
        {
            candidates.push(Candidate::Bundle(d));
        }
    }
    for (tag, kind, media_type) in [
        (
            legacy_signature_tag(subject),
            Kind::Signature,
            COSIGN_SIMPLE_SIGNING,
        ),
        (
            legacy_attestation_tag(subject),
            Kind::Attestation,
            DSSE_LAYER,
        ),
    ] {
        let layers = match read_tag(repo, Tagged::Legacy, &tag).await? {
            TagRead::Absent => continue,
            TagRead::Unreadable(digest, e) => {
                listing.ignored.push(Ignored {
                    format: Format::Legacy,
                    kind,
                    predicate_type: None,
                    digest,
                    reason: e.to_string(),
                });
                continue;
            }
            TagRead::Read(layers) => layers,
        };
        let mut kept: Vec<Descriptor> = Vec::new();
        for layer in layers {
            // Layers of other kinds are not ours to judge.
            if layer.media_type == media_type
                && wants(layer.annotations.get(PREDICATE_TYPE_ANNOTATION))
                && !kept.iter().any(|k| Tagged::Legacy.same(k, &layer))
            {
                kept.push(layer);
            }
        }
        candidates.extend(kept.into_iter().map(|layer| Candidate::Legacy {
            tag: tag.clone(),
            kind,
            layer,
        }));
    }
    repo.check_count(&format!("attachments of {subject}"), candidates.len())?;
    for candidate in &candidates {
        let read = match candidate {
            Candidate::Bundle(d) => read_bundle(repo, subject, d).await,
            Candidate::Legacy { tag, kind, layer } => read_legacy(repo, tag, *kind, layer).await,
        };
        match read {
            Ok(attachment) => listing.attachments.push(attachment),
            Err(e) if is_entry_fault(&e) => listing.ignored.push(candidate.ignored(e.to_string())),
            Err(e) => return Err(e),
        }
    }
    Ok(listing)
}

/// Fetches and checks one bundle referrer of `subject`.
async fn read_bundle(repo: &Repository, subject: &Sha256, d: &Descriptor) -> Result<Attachment> {
    let what = format!("bundle referrer {}", d.digest);
    let fetched = repo.described_manifest(d).await?;
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
    let bundle = Bundle::from_json(&repo.blob(layer).await?)
        .map_err(|e| invalid(repo, format!("bundle layer of {what}"), e.to_string()))?;
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
    Ok(Attachment {
        format: Format::Bundle,
        kind: kind_of_bundle(&bundle, predicate_type.as_deref()),
        predicate_type,
        created: m.annotations.get(crate::oci::ANNOTATION_CREATED).cloned(),
        digest: d.digest,
        evidence: Evidence::Bundle(bundle),
        keyless: None,
    })
}

/// Fetches and checks one layer of the legacy cosign image under `tag`.
async fn read_legacy(
    repo: &Repository,
    tag: &str,
    kind: Kind,
    layer: &Descriptor,
) -> Result<Attachment> {
    let what = format!("layer {} of {tag}", layer.digest);
    let evidence = match kind {
        Kind::Signature => {
            let encoded = layer
                .annotations
                .get(COSIGN_SIGNATURE_ANNOTATION)
                .ok_or_else(|| {
                    invalid(
                        repo,
                        what.clone(),
                        format!("has no {COSIGN_SIGNATURE_ANNOTATION} annotation"),
                    )
                })?;
            let signature = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| {
                    invalid(
                        repo,
                        format!("signature annotation of {what}"),
                        e.to_string(),
                    )
                })?;
            Evidence::SimpleSigning {
                payload: repo.blob(layer).await?,
                signature,
            }
        }
        Kind::Attestation => Evidence::Dsse(
            Envelope::from_json(&repo.blob(layer).await?)
                .map_err(|e| invalid(repo, what.clone(), e.to_string()))?,
        ),
    };
    Ok(Attachment {
        format: Format::Legacy,
        kind,
        predicate_type: layer.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned(),
        created: None,
        digest: layer.digest,
        evidence,
        keyless: legacy_keyless(repo, &what, layer)?,
    })
}

/// The keyless annotations of a legacy layer, each capped at
/// [`MAX_KEYLESS_ANNOTATION`]; `None` for a layer with no certificate (a
/// keyed signature). Nothing is parsed here: `verify` reads them.
fn legacy_keyless(
    repo: &Repository,
    what: &str,
    layer: &Descriptor,
) -> Result<Option<LegacyKeyless>> {
    let read = |name: &str| -> Result<Option<String>> {
        match layer.annotations.get(name) {
            Some(value) if value.len() > MAX_KEYLESS_ANNOTATION => Err(Error::TooLarge {
                what: format!("annotation {name} of {what}"),
                location: repo.location(),
                size: value.len() as u64,
                limit: MAX_KEYLESS_ANNOTATION as u64,
            }),
            Some(value) => Ok(Some(value.clone())),
            None => Ok(None),
        }
    };
    let Some(certificate) = read(COSIGN_CERTIFICATE_ANNOTATION)? else {
        return Ok(None);
    };
    Ok(Some(LegacyKeyless {
        certificate,
        rekor_bundle: read(COSIGN_BUNDLE_ANNOTATION)?,
        rfc3161_timestamp: read(COSIGN_RFC3161_ANNOTATION)?,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;

    use super::*;
    use crate::memory::hooked::{Hooked, StoreHook};
    use crate::memory::MemoryStore;
    use crate::oci::OCI_MANIFEST;
    use crate::{Limits, Store};

    /// A hook on a memory store (no referrers API) by which, right after
    /// the first write of `tag`, another writer's stale write lands:
    /// `stale` is put back under the tag, as a writer that read before
    /// would.
    struct StaleAfterWrite {
        tag: String,
        stale: Mutex<Option<Vec<u8>>>,
    }

    #[async_trait]
    impl StoreHook for StaleAfterWrite {
        async fn after_manifest(
            &self,
            inner: &MemoryStore,
            r: &str,
            tag: Option<&str>,
        ) -> Result<()> {
            if tag == Some(self.tag.as_str()) {
                let stale = self.stale.lock().unwrap().take();
                if let Some(stale) = stale {
                    let digest = vouch_evidence::digest::sha256(&stale);
                    inner
                        .push_manifest(r, &digest, &stale, crate::oci::OCI_INDEX, tag)
                        .await?;
                }
            }
            Ok(())
        }
    }

    fn entry(name: &str) -> Descriptor {
        let mut d = Descriptor::of(OCI_MANIFEST, name.as_bytes());
        d.artifact_type = Some(BUNDLE_ARTIFACT_TYPE.into());
        d
    }

    /// A legacy `.sig` layer of `subject` with `annotations` besides its
    /// signature, in a memory store.
    async fn legacy_layer(annotations: &[(&str, String)]) -> (Repository, Sha256) {
        let repo = Repository::new(Arc::new(MemoryStore::new()), "app", Limits::default());
        let subject = vouch_evidence::digest::sha256(b"the image");
        let mut layer = repo
            .put_blob(COSIGN_SIMPLE_SIGNING, b"payload")
            .await
            .unwrap();
        layer
            .annotations
            .insert(COSIGN_SIGNATURE_ANNOTATION.into(), "c2ln".into());
        for (name, value) in annotations {
            layer.annotations.insert((*name).into(), value.clone());
        }
        append_legacy_layers(&repo, &legacy_signature_tag(&subject), &[layer])
            .await
            .unwrap();
        (repo, subject)
    }

    #[tokio::test]
    async fn a_legacy_layer_keeps_its_keyless_annotations() {
        let (repo, subject) = legacy_layer(&[
            (COSIGN_CERTIFICATE_ANNOTATION, "leaf".into()),
            // Not read: the chain is built from the trusted root.
            ("dev.sigstore.cosign/chain", "chain".into()),
            (COSIGN_BUNDLE_ANNOTATION, "rekor".into()),
            (COSIGN_RFC3161_ANNOTATION, "tsa".into()),
        ])
        .await;
        let listing = list(&repo, &subject, None).await.unwrap();
        assert_eq!(
            listing.attachments[0].keyless,
            Some(LegacyKeyless {
                certificate: "leaf".into(),
                rekor_bundle: Some("rekor".into()),
                rfc3161_timestamp: Some("tsa".into()),
            })
        );
        // A keyed layer (no certificate) carries none, even with a bundle.
        let (repo, subject) = legacy_layer(&[(COSIGN_BUNDLE_ANNOTATION, "rekor".into())]).await;
        let listing = list(&repo, &subject, None).await.unwrap();
        assert_eq!(listing.attachments[0].keyless, None);
    }

    #[tokio::test]
    async fn regression_issue_17_an_oversized_keyless_annotation_is_skipped() {
        let huge = "A".repeat(MAX_KEYLESS_ANNOTATION + 1);
        let (repo, subject) = legacy_layer(&[
            (COSIGN_CERTIFICATE_ANNOTATION, "leaf".into()),
            (COSIGN_BUNDLE_ANNOTATION, huge),
        ])
        .await;
        let listing = list(&repo, &subject, None).await.unwrap();
        assert!(listing.attachments.is_empty());
        assert!(
            listing.ignored[0].reason.contains(COSIGN_BUNDLE_ANNOTATION),
            "{}",
            listing.ignored[0].reason
        );
    }

    #[tokio::test]
    async fn regression_issue_8_a_stale_write_does_not_erase_an_entry_seen() {
        let subject = vouch_evidence::digest::sha256(b"the image");
        let tag = fallback_tag(&subject);
        let stale = ImageIndex {
            manifests: vec![entry("c")],
            ..ImageIndex::empty()
        };
        let store = Arc::new(Hooked {
            inner: MemoryStore::new(),
            hook: StaleAfterWrite {
                tag: tag.clone(),
                stale: Mutex::new(None),
            },
        });
        let repo = Repository::new(store.clone(), "app", Limits::default());
        // Another writer's entry is there first.
        register_referrers(&repo, &subject, &[entry("x")])
            .await
            .unwrap();
        // Our write is followed by the stale write of a writer that read
        // before x was added, and added c.
        *store.hook.stale.lock().unwrap() = Some(crate::oci::to_json(&stale));
        register_referrers(&repo, &subject, &[entry("a")])
            .await
            .unwrap();
        let listed: Vec<Sha256> = referrers(&repo, &subject, &mut Vec::new())
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
