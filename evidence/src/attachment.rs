//! Signatures and attestations next to an image, as values: what each
//! is, how it is stored, and the media types and annotations that say so.
//!
//! Pure data: the registry crate (`vouch_registry::attach`) finds and
//! writes them, and the verifier checks them, without depending on the
//! registry's HTTP client. Nothing here is verified.

use crate::bundle::Bundle;
use crate::digest::Sha256;
use crate::dsse::Envelope;

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
/// Legacy cosign layer annotation: the Fulcio signing certificate (PEM) of
/// a keyless signature or attestation.
pub const COSIGN_CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// Legacy cosign layer annotation: the Rekor "bundle" (signed entry
/// timestamp, entry body, integrated time, log index and log id), JSON.
pub const COSIGN_BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// Legacy cosign layer annotation: an RFC 3161 timestamp, JSON.
pub const COSIGN_RFC3161_ANNOTATION: &str = "dev.sigstore.cosign/rfc3161timestamp";
/// The predicate type cosign v3 uses for an image signature as a statement.
pub const COSIGN_SIGN_PREDICATE_TYPE: &str = "https://sigstore.dev/cosign/sign/v1";

/// How an attachment is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Sigstore bundle referrer.
    Bundle,
    /// A legacy cosign `.sig` or `.att` layer.
    Legacy,
}

impl Format {
    /// `bundle` or `legacy`, as reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Bundle => "bundle",
            Format::Legacy => "legacy",
        }
    }
}

/// What an attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A signature over the image.
    Signature,
    /// An attestation (an in-toto statement about the image).
    Attestation,
}

impl Kind {
    /// `signature` or `attestation`, as reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Signature => "signature",
            Kind::Attestation => "attestation",
        }
    }
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

/// The keyless evidence a legacy cosign layer carries in its annotations,
/// as read (capped in size by the registry crate), unparsed and unverified
/// (its `dev.sigstore.cosign/chain` annotation is not read: the chain is
/// built from the trusted root alone):
/// older cosign versions wrote keyless signatures and attestations this
/// way, before Sigstore bundles. `verify` turns it into a bundle and checks
/// it as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyKeyless {
    /// [`COSIGN_CERTIFICATE_ANNOTATION`]: the Fulcio leaf, PEM.
    pub certificate: String,
    /// [`COSIGN_BUNDLE_ANNOTATION`], if present: without it the layer has
    /// no log entry and cannot verify keyless.
    pub rekor_bundle: Option<String>,
    /// [`COSIGN_RFC3161_ANNOTATION`], if present.
    pub rfc3161_timestamp: Option<String>,
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
    /// For a legacy layer signed keyless, what its annotations carry
    /// besides the signature: certificate, chain, Rekor bundle, timestamp.
    pub keyless: Option<LegacyKeyless>,
}

/// An entry next to an image that could not be read as evidence: a
/// referrer of another subject, a layer that is no bundle or envelope, a
/// manifest that is missing or does not match its digest, a tag of the
/// wrong kind. It counts for nothing; it is kept to be reported.
#[derive(Debug, Clone)]
pub struct Ignored {
    /// Where it is stored.
    pub format: Format,
    /// What it declares itself to be (unverified, for reports).
    pub kind: Kind,
    /// The predicate type it declares, if any (unverified, for reports).
    pub predicate_type: Option<String>,
    /// The referrer manifest's or legacy layer's digest, or the manifest
    /// digest of a tag that is unreadable as a whole.
    pub digest: Sha256,
    /// Why it was skipped: the error, naming what and where.
    pub reason: String,
}
