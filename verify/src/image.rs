//! Image signature verification: which of the signatures attached to an
//! image were made by a given key over exactly this image's digest.
//!
//! The attachments come from the registry crate; nothing here fetches.

use serde::Deserialize;
use vouch_evidence::digest::Sha256;
use vouch_evidence::keys::PublicKey;
use vouch_evidence::statement::Statement;
use vouch_registry::attach::{Attachment, Evidence, Kind, COSIGN_SIGN_PREDICATE_TYPE};

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
        Evidence::Dsse(_) => Err(Error::WrongMaterial(
            "a DSSE layer is an attestation, not a signature",
        )),
    }
}
