//! Sigstore bundle verification with a managed key.
//!
//! A bundle that carries signing-time evidence (transparency-log entries or
//! RFC 3161 timestamps) goes to the sigstore-rust verifier, which checks the
//! signature, each log entry's inclusion proof, checkpoint and signed entry
//! timestamp against the trusted root, the timestamps, and the artifact
//! binding; it passes the whole Sigstore conformance suite.
//!
//! A bundle with no such evidence (what `vouch sign-blob` writes offline)
//! cannot be checked that way, so it is checked here: the signature with the
//! key, and the binding to the artifact (the message digest, or an in-toto
//! subject). In both cases a DSSE envelope is finally opened with our own
//! DSSE code, so callers get the payload as [`VerifiedPayload`]: the exact
//! bytes that were signed, and nothing else.

use sigstore_crypto::VerificationKey;
use sigstore_trust_root::{
    TrustedRoot as SigstoreRoot, SIGSTORE_PRODUCTION_TRUSTED_ROOT, SIGSTORE_STAGING_TRUSTED_ROOT,
};
use sigstore_types::{
    Artifact as SigstoreArtifact, ArtifactDigest, DerPublicKey, Sha256Hash, SignatureBytes,
};
use sigstore_verify::{PublicKeyVerificationPolicy, Verifier};
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

impl Artifact<'_> {
    fn sha256(&self) -> Sha256 {
        match self {
            Artifact::Bytes(b) => sha256(b),
            Artifact::Digest(d) => *d,
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
    let artifact = match artifact {
        Artifact::Bytes(bytes) => SigstoreArtifact::from_blob(bytes),
        Artifact::Digest(d) => {
            SigstoreArtifact::from_digest(ArtifactDigest::sha256(Sha256Hash::new(d.0)))
        }
    };
    Verifier::new(&root.0)?.verify(artifact, bundle.wire(), &policy)?;
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

#[cfg(test)]
mod tests {
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
}
