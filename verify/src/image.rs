//! Image signature verification: which of the signatures attached to an
//! image were made by a given key over exactly this image's digest.
//!
//! The attachments come from the registry crate; nothing here fetches.

use serde::Deserialize;
use vouch_evidence::attachment::{Attachment, Evidence, Kind, COSIGN_SIGN_PREDICATE_TYPE};
use vouch_evidence::digest::Sha256;
use vouch_evidence::keys::PublicKey;
use vouch_evidence::statement::Statement;

use crate::bundle::{verify_with_key, Artifact, TrustedRoot};
use crate::{Error, Result};

/// The `type` of a cosign simple-signing payload.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";

#[derive(Deserialize)]
struct SimpleSigning {
    critical: Critical,
}

#[derive(Deserialize)]
struct Critical {
    image: CriticalImage,
    #[serde(rename = "type")]
    type_: String,
}

#[derive(Deserialize)]
struct CriticalImage {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// Why `bytes`, signed as they are, would verify as image evidence, or
/// `None` when they would not.
///
/// A raw signature over a cosign simple-signing payload is exactly what a
/// legacy `.sig` layer carries, and one over a DSSE pre-authentication
/// encoding (`DSSEv1 ...`) is what a legacy `.att` envelope carries: a key
/// that signs arbitrary blobs would sign images and attestations for
/// whoever hands it such bytes. `vouch sign-blob` refuses both, by the same
/// parser [`verify_signature`] reads them with, so nothing it accepts can
/// pass for one.
pub fn signed_evidence_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(DSSE_PAE_PREFIX) {
        Some("a DSSE pre-authentication encoding (what a signed attestation envelope signs)")
    } else if serde_json::from_slice::<SimpleSigning>(bytes).is_ok() {
        Some("a cosign simple-signing payload (what a legacy image signature signs)")
    } else {
        None
    }
}

/// How every DSSE pre-authentication encoding begins.
const DSSE_PAE_PREFIX: &[u8] = b"DSSEv1 ";

/// Verifies one signature attachment of `image` with `key`.
///
/// - A Sigstore bundle must hold a DSSE in-toto statement of predicate type
///   `https://sigstore.dev/cosign/sign/v1` whose subject is `image` (what
///   cosign v3 and `vouch sign` write), verified as
///   [`verify_with_key`] does, log entries included.
/// - A legacy simple-signing payload must verify under the key, be of type
///   `cosign container image signature`, and name `image` as its
///   `docker-manifest-digest`.
pub fn verify_signature(
    attachment: &Attachment,
    image: &Sha256,
    key: &PublicKey,
    root: &TrustedRoot,
) -> Result<()> {
    if attachment.kind != Kind::Signature {
        return Err(Error::WrongMaterial("not a signature: an attestation"));
    }
    match &attachment.evidence {
        Evidence::Bundle(bundle) => {
            let verified = verify_with_key(bundle, Artifact::Digest(*image), key, root)?;
            let payload = verified.payload.ok_or(Error::WrongMaterial(
                "a message-signature bundle does not say which image it signs",
            ))?;
            let statement = Statement::from_json(&payload.payload)?;
            if statement.predicate_type() != COSIGN_SIGN_PREDICATE_TYPE {
                return Err(Error::ArtifactMismatch(format!(
                    "signed statement is of predicate type {:?}, not an image signature",
                    statement.predicate_type()
                )));
            }
            Ok(())
        }
        Evidence::SimpleSigning { payload, signature } => {
            key.verify(payload, signature)?;
            check_simple_signing(payload, image)
        }
        Evidence::Dsse(_) => Err(Error::WrongMaterial(
            "a DSSE layer is an attestation, not a signature",
        )),
    }
}

/// Checks that verified simple-signing bytes are an image signature of
/// `image`: of type `cosign container image signature`, naming `image` as
/// its `docker-manifest-digest`. The one reading of a legacy `.sig`
/// payload, keyed or keyless.
pub(crate) fn check_simple_signing(payload: &[u8], image: &Sha256) -> Result<()> {
    let parsed: SimpleSigning = serde_json::from_slice(payload).map_err(|e| {
        Error::ArtifactMismatch(format!(
            "signed payload is not a simple-signing document: {e}"
        ))
    })?;
    if parsed.critical.type_ != SIMPLE_SIGNING_TYPE {
        return Err(Error::ArtifactMismatch(format!(
            "signed payload is of type {:?}",
            parsed.critical.type_
        )));
    }
    if parsed.critical.image.docker_manifest_digest != image.to_string() {
        return Err(Error::ArtifactMismatch(format!(
            "signature is for {}, not {image}",
            parsed.critical.image.docker_manifest_digest
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_payloads_that_verify_as_evidence_are_named() {
        let simple = br#"{"critical":{"identity":{"docker-reference":"x"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":null}"#;
        assert!(signed_evidence_kind(simple).is_some());
        // Whitespace and another type still parse as the verifier reads them.
        let pretty = b"{ \"critical\": { \"image\": { \"docker-manifest-digest\": \"d\" }, \"type\": \"t\" } }\n";
        assert!(signed_evidence_kind(pretty).is_some());
        let pae = vouch_evidence::dsse::pae("application/vnd.in-toto+json", b"{}");
        assert!(signed_evidence_kind(&pae).is_some());
        // Other JSON and other bytes are ordinary blobs.
        assert_eq!(signed_evidence_kind(br#"{"critical":{}}"#), None);
        assert_eq!(signed_evidence_kind(b"release artifact\n"), None);
        assert_eq!(signed_evidence_kind(b"DSSEv1"), None);
    }
}
