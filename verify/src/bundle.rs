//! Sigstore bundle verification, with a managed key or keyless.
//!
//! **With a key** ([`verify_with_key`]). A bundle that carries signing-time
//! evidence (transparency-log entries or RFC 3161 timestamps) goes to the
//! sigstore-rust verifier, which checks the signature, each log entry's
//! inclusion proof, checkpoint and signed entry timestamp against the
//! trusted root, the timestamps, and the artifact binding. A bundle with no
//! such evidence (what `vouch sign-blob` writes offline) cannot be checked
//! that way, so it is checked here: the signature with the key, and the
//! binding to the artifact (the message digest, or an in-toto subject).
//!
//! **Keyless** ([`verify_keyless`]). The bundle carries a Fulcio signing
//! certificate instead of a key hint. sigstore-verify does every
//! cryptographic check: it establishes the signing times (Rekor v1
//! integrated times under their signed entry timestamps, and RFC 3161
//! timestamps against the root's timestamp authorities), verifies that the
//! certificate chains to one of the root's Fulcio CAs that was valid at
//! each of those times and has the code-signing usage, verifies the
//! certificate's embedded SCT against the root's CT logs, verifies each
//! Rekor v1 or v2 entry's inclusion proof and checkpoint (and a v1 entry's
//! promise and its time within the certificate's validity), the signature
//! with the certificate's key, and that each log entry describes this
//! signature, certificate and artifact. What is left here is what a
//! verifier cannot know: who may sign. The certificate's identity (its SAN
//! and OIDC issuer, see [`CertificateIdentity`]) is handed to the caller's
//! [`IdentityPolicy`] only after all of that holds, so the identity a policy
//! decides on is always a verified one. A bare public key where the
//! certificate belongs is refused before anything else, by name.
//!
//! In both cases a DSSE envelope is finally opened with our own DSSE code,
//! so callers get the payload as [`VerifiedPayload`]: the exact bytes that
//! were signed, and nothing else.

use sigstore_crypto::VerificationKey;
use sigstore_trust_root::{
    TrustedRoot as SigstoreRoot, SIGSTORE_PRODUCTION_TRUSTED_ROOT, SIGSTORE_STAGING_TRUSTED_ROOT,
};
use sigstore_types::VerificationMaterialContent;
use sigstore_types::{
    Artifact as SigstoreArtifact, ArtifactDigest, DerPublicKey, Sha256Hash, SignatureBytes,
};
use sigstore_verify::{PublicKeyVerificationPolicy, SubjectAltName, VerificationPolicy, Verifier};
use spki::der::Decode;
use vouch_evidence::bundle::{Bundle, Content};
use vouch_evidence::digest::{sha256, Sha256};
use vouch_evidence::dsse::{VerifiedPayload, IN_TOTO_PAYLOAD_TYPE};
use vouch_evidence::keys::{Algorithm, KeyId, PublicKey};
use vouch_evidence::statement::Statement;

use crate::{Error, Result};

/// A Sigstore trusted root: the keys of the logs, CAs and timestamp
/// authorities that bundles are checked against.
#[derive(Debug)]
pub struct TrustedRoot(SigstoreRoot);

impl TrustedRoot {
    /// Parses a `trusted_root.json` document.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let text =
            std::str::from_utf8(json).map_err(|e| Error::TrustedRoot(format!("not UTF-8: {e}")))?;
        SigstoreRoot::from_json(text)
            .map(TrustedRoot)
            .map_err(|e| Error::TrustedRoot(e.to_string()))
    }

    /// The Sigstore public-good production root, embedded at build time so
    /// that verification never reaches the network.
    pub fn public_good() -> Result<Self> {
        Self::from_json(SIGSTORE_PRODUCTION_TRUSTED_ROOT.as_bytes())
    }

    /// The Sigstore staging root, embedded likewise.
    pub fn public_good_staging() -> Result<Self> {
        Self::from_json(SIGSTORE_STAGING_TRUSTED_ROOT.as_bytes())
    }
}

/// The artifact a bundle is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// Only the artifact's SHA-256 (not enough for an Ed25519 message
    /// signature, which signs the whole message).
    Digest(Sha256),
}

impl<'a> Artifact<'a> {
    fn sha256(&self) -> Sha256 {
        match self {
            Artifact::Bytes(b) => sha256(b),
            Artifact::Digest(d) => *d,
        }
    }

    fn to_sigstore(self) -> SigstoreArtifact<'a> {
        match self {
            Artifact::Bytes(bytes) => SigstoreArtifact::from_blob(bytes),
            Artifact::Digest(d) => {
                SigstoreArtifact::from_digest(ArtifactDigest::sha256(Sha256Hash::new(d.0)))
            }
        }
    }
}

/// What a successful keyed verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedVerification {
    /// The key that signed.
    pub key_id: KeyId,
    /// How many transparency-log entries were verified against the trusted
    /// root (0 for an offline bundle).
    pub tlog_entries: usize,
    /// How many RFC 3161 timestamps were verified against the trusted root.
    pub timestamps: usize,
    /// For a DSSE bundle, the verified payload.
    pub payload: Option<VerifiedPayload>,
}

/// Verifies a bundle signed with `key` over `artifact`.
///
/// Every transparency-log entry and timestamp the bundle carries is
/// verified against `root`. A bundle with none is accepted on its signature
/// and artifact binding alone, as `@sigstore/verify` does with thresholds of
/// 0 and cosign with `--insecure-ignore-tlog`; whether a log entry is
/// required is a policy decision made above this function.
pub fn verify_with_key(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    key: &PublicKey,
    root: &TrustedRoot,
) -> Result<KeyedVerification> {
    if bundle.public_key_hint().is_none() {
        return Err(Error::WrongMaterial(
            "bundle was signed with a certificate (keyless), not a key: verify it with \
             --certificate-identity and --certificate-oidc-issuer",
        ));
    }
    let material = &bundle.wire().verification_material;
    let tlog_entries = material.tlog_entries.len();
    let timestamps = material
        .timestamp_verification_data
        .rfc3161_timestamps
        .len();
    let payload = if tlog_entries > 0 || timestamps > 0 {
        verify_with_sigstore(bundle, artifact, key, root)?;
        // Open the envelope the verifier accepted with our own DSSE code,
        // to hand back exactly the signed bytes.
        match bundle.content()? {
            Content::Dsse(envelope) => {
                Some(envelope.verify(envelope.payload_type(), std::slice::from_ref(key), 1)?)
            }
            Content::MessageSignature { .. } => None,
        }
    } else {
        verify_offline(bundle, artifact, key)?
    };
    Ok(KeyedVerification {
        key_id: key.key_id(),
        tlog_entries,
        timestamps,
        payload,
    })
}

fn verify_with_sigstore(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    key: &PublicKey,
    root: &TrustedRoot,
) -> Result<()> {
    let mut policy = PublicKeyVerificationPolicy::new(DerPublicKey::new(key.spki_der().to_vec()));
    if bundle.wire().verification_material.tlog_entries.is_empty() {
        // Signing time comes from the RFC 3161 timestamps alone; they are
        // still verified against the root's timestamp authorities.
        policy = policy.skip_tlog_unsafe();
    }
    Verifier::new(&root.0)?.verify(artifact.to_sigstore(), bundle.wire(), &policy)?;
    Ok(())
}

/// Verifies a bundle that carries no signing-time evidence: the signature
/// with `key`, and the binding to the artifact. Returns the DSSE payload.
fn verify_offline(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    key: &PublicKey,
) -> Result<Option<VerifiedPayload>> {
    // Hashed once: the binding check and the ECDSA check share the digest.
    let artifact_digest = artifact.sha256();
    match bundle.content()? {
        Content::MessageSignature { digest, signature } => {
            if let Some(recorded) = digest.filter(|d| *d != artifact_digest) {
                return Err(Error::ArtifactMismatch(format!(
                    "the bundle signs {recorded}, the artifact is {artifact_digest}"
                )));
            }
            match (key.algorithm(), artifact) {
                (Algorithm::Ed25519, Artifact::Bytes(bytes)) => key.verify(bytes, &signature)?,
                (Algorithm::Ed25519, Artifact::Digest(_)) => {
                    return Err(Error::UnsupportedArtifact(
                        "an Ed25519 message signature covers the whole artifact: \
                         give the file, not its digest",
                    ))
                }
                // ECDSA signs the SHA-256 of the message: check it against
                // the digest (ring has no prehashed verification; aws-lc does).
                (Algorithm::EcdsaP256Sha256, _) => {
                    VerificationKey::from_spki(&DerPublicKey::new(key.spki_der().to_vec()))
                        .and_then(|k| {
                            k.verify_prehashed(&artifact_digest.0, &SignatureBytes::new(signature))
                        })
                        .map_err(|_| vouch_evidence::Error::BadSignature {
                            key_id: key.key_id(),
                        })?
                }
            }
            Ok(None)
        }
        Content::Dsse(envelope) => {
            let payload = envelope.verify(IN_TOTO_PAYLOAD_TYPE, std::slice::from_ref(key), 1)?;
            let statement = Statement::from_json(&payload.payload)?;
            let bound = statement
                .subjects()
                .iter()
                .any(|s| s.digest.as_ref().and_then(|d| d.sha256()) == Some(artifact_digest));
            if !bound {
                return Err(Error::ArtifactMismatch(format!(
                    "{artifact_digest} is not a subject of the signed in-toto statement"
                )));
            }
            Ok(Some(payload))
        }
    }
}

/// How a certificate names its subject: Fulcio writes an email address for a
/// person and a URI for a workload (a CI job, a service account's SPIFFE id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    /// An `rfc822Name` SAN.
    Email,
    /// A `uniformResourceIdentifier` SAN.
    Uri,
}

/// Who a Fulcio certificate was issued to: what identity policies decide on.
///
/// The two claims `cosign verify --certificate-identity
/// --certificate-oidc-issuer` and policy-controller's `identities` match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIdentity {
    /// The certificate's subject alternative name: the signer's email
    /// address or workload URI.
    pub subject: String,
    /// Whether [`Self::subject`] is an email address or a URI.
    pub subject_kind: SubjectKind,
    /// The OIDC issuer that vouched for the subject, from the Fulcio
    /// extension 1.3.6.1.4.1.57264.1.8, or the legacy 1.3.6.1.4.1.57264.1.1
    /// when a certificate has only that one.
    pub issuer: String,
}

impl std::fmt::Display for CertificateIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "subject {:?} from issuer {:?}",
            self.subject, self.issuer
        )
    }
}

impl CertificateIdentity {
    /// Reads the identity of a DER X.509 certificate, without verifying it.
    ///
    /// Public so that a caller can show who an unverified certificate
    /// claims to be; [`verify_keyless`] returns the identity only once the
    /// certificate is verified. A public key where the certificate belongs
    /// is refused as [`Error::PublicKeyAsCertificate`].
    pub fn from_certificate_der(der: &[u8]) -> Result<Self> {
        refuse_public_key(der)?;
        let info = sigstore_crypto::parse_certificate_info(&sigstore_types::DerCertificate::new(
            der.to_vec(),
        ))
        .map_err(|e| Error::Certificate(e.to_string()))?;
        Self::from_claims(info.identity.as_ref(), info.issuer.as_deref())
    }

    fn from_claims(subject: Option<&SubjectAltName>, issuer: Option<&str>) -> Result<Self> {
        let (subject, subject_kind) = match subject {
            Some(SubjectAltName::Email(email)) => (email.clone(), SubjectKind::Email),
            Some(SubjectAltName::Uri(uri)) => (uri.clone(), SubjectKind::Uri),
            _ => {
                return Err(Error::Certificate(
                    "it names no subject (no email or URI subject alternative name)".into(),
                ))
            }
        };
        let issuer = issuer.ok_or_else(|| {
            Error::Certificate(
                "it names no OIDC issuer (no Fulcio extension 1.3.6.1.4.1.57264.1.8 or .1.1)"
                    .into(),
            )
        })?;
        Ok(CertificateIdentity {
            subject,
            subject_kind,
            issuer: issuer.to_string(),
        })
    }
}

/// Decides whether a verified certificate identity may sign.
///
/// [`verify_keyless`] calls it once, on the identity of a certificate that
/// has already been verified, so an implementation only has to compare
/// strings: [`ExpectedIdentity`] for an exact pair (the CLI), or a policy's
/// list of exact and regular-expression matchers.
pub trait IdentityPolicy {
    /// Whether `found` is an acceptable signer.
    fn admits(&self, found: &CertificateIdentity) -> bool;
    /// What was expected, for the message when [`Self::admits`] says no.
    fn expected(&self) -> String;
}

/// Exactly one subject from exactly one issuer, as `cosign verify-blob
/// --certificate-identity --certificate-oidc-issuer` (and the Sigstore
/// conformance CLI) expect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedIdentity {
    /// The subject alternative name, compared whole (email or URI alike).
    pub subject: String,
    /// The OIDC issuer URL, compared whole.
    pub issuer: String,
}

impl IdentityPolicy for ExpectedIdentity {
    fn admits(&self, found: &CertificateIdentity) -> bool {
        found.subject == self.subject && found.issuer == self.issuer
    }

    fn expected(&self) -> String {
        format!("subject {:?} from issuer {:?}", self.subject, self.issuer)
    }
}

/// A transparency-log entry that was verified for a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The entry's index in its log.
    pub log_index: u64,
    /// The Rekor entry kind and version, e.g. `hashedrekord 0.0.1` (Rekor
    /// v1) or `dsse 0.0.2` (Rekor v2).
    pub kind: String,
    /// The log's integrated time: set by Rekor v1 entries, absent from
    /// Rekor v2 ones (whose time comes from an RFC 3161 timestamp).
    pub integrated_time: Option<jiff::Timestamp>,
}

/// What a successful keyless verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessVerification {
    /// The verified signing certificate's identity, which the caller's
    /// [`IdentityPolicy`] admitted.
    pub identity: CertificateIdentity,
    /// The bundle's transparency-log entries, each verified against the
    /// trusted root.
    pub tlog_entries: Vec<LogEntry>,
    /// How many RFC 3161 timestamps were verified against the trusted root.
    pub timestamps: usize,
    /// Every authenticated signing time (log integrated times and RFC 3161
    /// times), at each of which the certificate was valid: what a maximum
    /// signature age is measured from.
    pub signing_times: Vec<jiff::Timestamp>,
    /// For a DSSE bundle, the verified payload.
    pub payload: Option<VerifiedPayload>,
}

/// Verifies a keyless (Fulcio certificate) bundle over `artifact` against
/// `root`, and admits its signer with `identity`.
///
/// Every check listed in the module documentation is made, the identity
/// last: a bundle that is not valid fails as such whoever signed it, and
/// the identity the policy sees is a verified one. A signer the policy
/// refuses fails as [`Error::IdentityMismatch`], naming what was expected
/// and what was found.
pub fn verify_keyless(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    root: &TrustedRoot,
    identity: &dyn IdentityPolicy,
) -> Result<KeylessVerification> {
    let material = &bundle.wire().verification_material;
    let certificates: Vec<&[u8]> = match &material.content {
        VerificationMaterialContent::PublicKey(_) => {
            return Err(Error::WrongMaterial(
                "bundle was signed with a managed key, not a certificate (keyless): verify it \
                 with --key",
            ))
        }
        VerificationMaterialContent::Certificate(c) => vec![c.raw_bytes.as_bytes()],
        VerificationMaterialContent::X509CertificateChain { certificates } => certificates
            .iter()
            .map(|c| c.raw_bytes.as_bytes())
            .collect(),
        _ => {
            return Err(Error::Certificate(
                "the bundle's verification material is of a kind this version does not know".into(),
            ))
        }
    };
    for der in certificates {
        refuse_public_key(der)?;
    }
    // Any identity here: the caller's policy decides below, on the verified
    // certificate, with matchers sigstore-verify does not have (regexps).
    let verified = Verifier::new(&root.0)?.verify(
        artifact.to_sigstore(),
        bundle.wire(),
        &VerificationPolicy::any_identity(),
    )?;
    let found = CertificateIdentity::from_claims(verified.identity(), verified.issuer())?;
    if !identity.admits(&found) {
        return Err(Error::IdentityMismatch {
            expected: identity.expected(),
            found: Box::new(found),
        });
    }
    let payload = match bundle.content()? {
        Content::Dsse(envelope) => {
            let certificate = verified.certificate().ok_or_else(|| {
                Error::Certificate("the verifier returned no signing certificate".into())
            })?;
            let key = PublicKey::from_spki_der(certificate.public_key.as_bytes())?;
            // Open the envelope the verifier accepted with our own DSSE code,
            // to hand back exactly the signed bytes.
            Some(envelope.verify(envelope.payload_type(), std::slice::from_ref(&key), 1)?)
        }
        Content::MessageSignature { .. } => None,
    };
    Ok(KeylessVerification {
        identity: found,
        tlog_entries: material
            .tlog_entries
            .iter()
            .map(|e| LogEntry {
                log_index: e.log_index.get(),
                kind: format!("{} {}", e.kind_version.kind(), e.kind_version.version()),
                integrated_time: e.integrated_time,
            })
            .collect(),
        timestamps: material
            .timestamp_verification_data
            .rfc3161_timestamps
            .len(),
        signing_times: verified.verified_timestamps().to_vec(),
        payload,
    })
}

/// Refuses a bare public key (DER SubjectPublicKeyInfo, or PEM) where a
/// certificate belongs: the one check that makes a key smuggled into a
/// keyless bundle fail by name, not as an unreadable certificate.
fn refuse_public_key(der: &[u8]) -> Result<()> {
    let is_pem_key = der.starts_with(b"-----BEGIN PUBLIC KEY-----");
    if is_pem_key || spki::SubjectPublicKeyInfoRef::from_der(der).is_ok() {
        return Err(Error::PublicKeyAsCertificate);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use vouch_evidence::digest::sha256;
    use vouch_evidence::digest::DigestSet;
    use vouch_evidence::keys::{Algorithm, PrivateKey, Signer};
    use vouch_evidence::statement::{ResourceDescriptor, Statement};

    fn root() -> TrustedRoot {
        TrustedRoot::public_good().unwrap()
    }

    #[test]
    fn keyed_message_bundles_verify_and_bind_the_artifact() {
        for alg in [Algorithm::EcdsaP256Sha256, Algorithm::Ed25519] {
            let key = PrivateKey::generate(alg).unwrap();
            let bundle = Bundle::sign_message(&key, b"artifact").unwrap();
            let ok = verify_with_key(
                &bundle,
                Artifact::Bytes(b"artifact"),
                key.public_key(),
                &root(),
            )
            .unwrap();
            assert_eq!(ok.key_id, key.public_key().key_id());
            assert_eq!(ok.tlog_entries, 0);
            let err = verify_with_key(
                &bundle,
                Artifact::Bytes(b"other"),
                key.public_key(),
                &root(),
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("artifact mismatch"), "{alg}: {err}");
        }
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let bundle = Bundle::sign_message(&key, b"artifact").unwrap();
        verify_with_key(
            &bundle,
            Artifact::Digest(sha256(b"artifact")),
            key.public_key(),
            &root(),
        )
        .unwrap();
        let ed = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let ed_bundle = Bundle::sign_message(&ed, b"artifact").unwrap();
        let err = verify_with_key(
            &ed_bundle,
            Artifact::Digest(sha256(b"artifact")),
            ed.public_key(),
            &root(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("give the file, not its digest"), "{err}");
    }

    #[test]
    fn signature_by_another_key_fails() {
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let other = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let bundle = Bundle::sign_message(&key, b"artifact").unwrap();
        let err = verify_with_key(
            &bundle,
            Artifact::Bytes(b"artifact"),
            other.public_key(),
            &root(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("signature"), "{err}");
    }

    #[test]
    fn dsse_bundle_returns_the_verified_statement_and_checks_the_subject() {
        for alg in [Algorithm::EcdsaP256Sha256, Algorithm::Ed25519] {
            let key = PrivateKey::generate(alg).unwrap();
            let subject =
                ResourceDescriptor::named("a.txt", DigestSet::from_sha256(sha256(b"subject")));
            let st = Statement::new(
                vec![subject],
                "https://example.com/p",
                serde_json::json!({"k": "v"}),
            )
            .unwrap();
            let bundle = Bundle::sign_dsse(&key, IN_TOTO_PAYLOAD_TYPE, &st.to_json()).unwrap();
            let ok = verify_with_key(
                &bundle,
                Artifact::Bytes(b"subject"),
                key.public_key(),
                &root(),
            )
            .unwrap();
            let payload = ok.payload.unwrap();
            assert_eq!(Statement::from_json(&payload.payload).unwrap(), st);
            let err = verify_with_key(
                &bundle,
                Artifact::Bytes(b"not the subject"),
                key.public_key(),
                &root(),
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("artifact mismatch"), "{alg}: {err}");
        }
    }

    #[test]
    fn key_material_mismatch_is_explained() {
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let keyless = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"AAAA"}},"messageSignature":{"signature":"AAAA"}}"#;
        let bundle = Bundle::from_json(keyless).unwrap();
        let err = verify_with_key(&bundle, Artifact::Bytes(b"x"), key.public_key(), &root())
            .unwrap_err()
            .to_string();
        assert!(err.contains("keyless"), "{err}");
        assert!(TrustedRoot::from_json(b"{}")
            .unwrap_err()
            .to_string()
            .contains("invalid trusted root"));
    }
    /// A case directory of the Sigstore conformance suite
    /// (testdata/sigstore-conformance).
    pub(crate) fn conformance_case(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/sigstore-conformance/bundle-verify")
            .join(name)
    }

    /// A conformance case's artifact (the suite's `a.txt`) and bundle.
    fn conformance_artifact_and_bundle(name: &str) -> (Vec<u8>, Bundle) {
        let case = conformance_case(name);
        let artifact = std::fs::read(case.join("../a.txt")).unwrap();
        let bundle =
            Bundle::from_json(&std::fs::read(case.join("bundle.sigstore.json")).unwrap()).unwrap();
        (artifact, bundle)
    }

    /// The identity that signed the keyless conformance cases: the
    /// sigstore-conformance beacon workflow on GitHub Actions.
    fn beacon() -> ExpectedIdentity {
        ExpectedIdentity {
            subject: BEACON.into(),
            issuer: GITHUB.into(),
        }
    }

    fn conformance_bundle(name: &str) -> serde_json::Value {
        let path = conformance_case(name).join("bundle.sigstore.json");
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
    }

    fn leaf_der(bundle: &serde_json::Value) -> Vec<u8> {
        use base64::Engine;
        let raw = bundle["verificationMaterial"]["certificate"]["rawBytes"]
            .as_str()
            .unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .unwrap()
    }

    const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    const GITHUB: &str = "https://token.actions.githubusercontent.com";
    /// The DER of OID 1.3.6.1.4.1.57264.1.1 (the legacy Fulcio issuer).
    const ISSUER_V1_OID: &[u8] = &[
        0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x01,
    ];

    fn find(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    }

    #[test]
    fn identity_is_read_from_uri_and_email_certificates() {
        let uri = CertificateIdentity::from_certificate_der(&leaf_der(&conformance_bundle(
            "happy-path-v0.3",
        )))
        .unwrap();
        assert_eq!(
            uri,
            CertificateIdentity {
                subject: BEACON.into(),
                subject_kind: SubjectKind::Uri,
                issuer: GITHUB.into(),
            }
        );
        let email = CertificateIdentity::from_certificate_der(&leaf_der(&conformance_bundle(
            "integrated-time-in-future_fail",
        )))
        .unwrap();
        assert_eq!(
            email.subject,
            "untrusted-sa@sigstore-conformance.iam.gserviceaccount.com"
        );
        assert_eq!(email.subject_kind, SubjectKind::Email);
        assert_eq!(email.issuer, "https://accounts.google.com");
    }

    /// The issuer comes from extension .1.8 when present, and from the
    /// legacy .1.1 only when .1.8 is absent. The certificates are edited in
    /// place (their signature no longer matters: reading the identity does
    /// not verify them).
    #[test]
    fn issuer_prefers_the_current_extension_and_falls_back_to_the_legacy_one() {
        let mut der = leaf_der(&conformance_bundle("happy-path-v0.3"));
        // Change the legacy extension's value only: the current one wins.
        let legacy = find(&der, ISSUER_V1_OID);
        let value = legacy + find(&der[legacy..], b"https://token");
        der[value + 8..value + 13].copy_from_slice(b"TOKEN");
        let read = CertificateIdentity::from_certificate_der(&der).unwrap();
        assert_eq!(read.issuer, GITHUB);
        // Rename the current extension (1.8 becomes 1.127): the legacy value
        // is used.
        let mut current_oid = ISSUER_V1_OID.to_vec();
        *current_oid.last_mut().unwrap() = 0x08;
        let current = find(&der, &current_oid);
        der[current + current_oid.len() - 1] = 0x7f;
        let read = CertificateIdentity::from_certificate_der(&der).unwrap();
        assert_eq!(read.issuer, "https://TOKEN.actions.githubusercontent.com");
        assert_eq!(read.subject, BEACON);
        // With neither, there is no issuer, and that is an error.
        der[legacy + ISSUER_V1_OID.len() - 1] = 0x7e;
        let err = CertificateIdentity::from_certificate_der(&der)
            .unwrap_err()
            .to_string();
        assert!(err.contains("names no OIDC issuer"), "{err}");
    }

    #[test]
    fn a_public_key_where_the_certificate_belongs_is_refused_by_name() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let spki = key.public_key().spki_der().to_vec();
        let pem = key.public_key().to_pem().into_bytes();
        for (what, raw) in [("DER", spki), ("PEM", pem)] {
            assert!(
                matches!(
                    CertificateIdentity::from_certificate_der(&raw),
                    Err(Error::PublicKeyAsCertificate)
                ),
                "{what}"
            );
            let mut bundle = conformance_bundle("happy-path-v0.3");
            bundle["verificationMaterial"]["certificate"]["rawBytes"] = b64.encode(&raw).into();
            let bundle = Bundle::from_json(&serde_json::to_vec(&bundle).unwrap()).unwrap();
            let err =
                verify_keyless(&bundle, Artifact::Bytes(b"x"), &root(), &beacon()).unwrap_err();
            assert!(
                matches!(err, Error::PublicKeyAsCertificate),
                "{what}: {err}"
            );
            assert!(err
                .to_string()
                .contains("public key where its signing certificate belongs"));
        }
        // Negative control: the certificate itself is not taken for a key.
        refuse_public_key(&leaf_der(&conformance_bundle("happy-path-v0.3"))).unwrap();
    }

    #[test]
    fn keyless_bundle_verifies_and_the_identity_policy_decides() {
        let (artifact, bundle) = conformance_artifact_and_bundle("happy-path-v0.3");
        let expected = beacon();
        let ok = verify_keyless(&bundle, Artifact::Bytes(&artifact), &root(), &expected).unwrap();
        assert_eq!(ok.identity.subject, BEACON);
        assert_eq!(ok.tlog_entries.len(), 1);
        assert_eq!(ok.tlog_entries[0].kind, "hashedrekord 0.0.1");
        assert!(ok.tlog_entries[0].integrated_time.is_some());
        assert!(!ok.signing_times.is_empty());
        assert!(ok.payload.is_none());
        // The same bundle by digest.
        verify_keyless(
            &bundle,
            Artifact::Digest(sha256(&artifact)),
            &root(),
            &expected,
        )
        .unwrap();

        // A policy that admits another subject or issuer refuses the signer,
        // naming both sides.
        for wrong in [
            ExpectedIdentity {
                subject: format!("{BEACON}x"),
                issuer: GITHUB.into(),
            },
            ExpectedIdentity {
                subject: BEACON.into(),
                issuer: "https://accounts.google.com".into(),
            },
        ] {
            let err =
                verify_keyless(&bundle, Artifact::Bytes(&artifact), &root(), &wrong).unwrap_err();
            let Error::IdentityMismatch { expected, found } = &err else {
                panic!("{err}");
            };
            assert_eq!(expected, &wrong.expected());
            assert_eq!(found.subject, BEACON);
            let text = err.to_string();
            assert!(
                text.contains(&wrong.subject) && text.contains(&wrong.issuer),
                "{text}"
            );
        }
        // A bundle that does not verify fails as such, whatever the policy.
        let err = verify_keyless(&bundle, Artifact::Bytes(b"other"), &root(), &expected)
            .unwrap_err()
            .to_string();
        assert!(err.contains("artifact mismatch"), "{err}");
        // A keyed bundle is not verified keyless.
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let keyed = Bundle::sign_message(&key, &artifact).unwrap();
        let err =
            verify_keyless(&keyed, Artifact::Bytes(&artifact), &root(), &expected).unwrap_err();
        assert!(matches!(err, Error::WrongMaterial(_)), "{err}");
    }

    #[test]
    fn keyless_dsse_bundle_returns_the_verified_statement() {
        let (artifact, bundle) = conformance_artifact_and_bundle("happy-path-intoto-in-dsse-v3");
        let expected = beacon();
        let ok = verify_keyless(&bundle, Artifact::Bytes(&artifact), &root(), &expected).unwrap();
        let payload = ok.payload.unwrap();
        assert_eq!(payload.payload_type, IN_TOTO_PAYLOAD_TYPE);
        let statement = Statement::from_json(&payload.payload).unwrap();
        assert!(statement
            .subjects()
            .iter()
            .any(|s| s.digest.as_ref().and_then(|d| d.sha256()) == Some(sha256(&artifact))));
        let Content::Dsse(envelope) = bundle.content().unwrap() else {
            panic!("not DSSE");
        };
        assert_eq!(payload.payload, envelope.unverified_payload());
    }
}
