//! Attestation verification: which in-toto statements attached to an image
//! were signed by a given key over exactly this image's digest.
//!
//! The attachments come from the registry crate; nothing here fetches.
//! Only the verified bytes are read after the signature check: the payload
//! type must be in-toto's, the payload must be a statement with no repeated
//! key, and one of its subjects must carry the image's SHA-256. A valid
//! attestation about another digest (the index instead of the platform
//! manifest, or the reverse) is refused with both digests named.

use vouch_evidence::attachment::{Attachment, Evidence, Kind};
use vouch_evidence::bundle::Content;
use vouch_evidence::digest::Sha256;
use vouch_evidence::dsse::{VerifiedPayload, IN_TOTO_PAYLOAD_TYPE};
use vouch_evidence::keys::{KeyId, PublicKey};
use vouch_evidence::statement::Statement;

use crate::bundle::{verify_with_key, Artifact, TrustedRoot};
use crate::{Error, Result};

/// An attestation whose signature and subject were checked.
#[derive(Debug, Clone)]
pub struct VerifiedAttestation {
    /// The statement, parsed from the verified bytes.
    pub statement: Statement,
    /// The key that signed it.
    pub key_id: KeyId,
}

/// The statement inside verified bytes, checked to be about `image`.
pub fn statement_about(payload: &VerifiedPayload, image: &Sha256) -> Result<Statement> {
    if payload.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(Error::ArtifactMismatch(format!(
            "payloadType is {:?}, not {IN_TOTO_PAYLOAD_TYPE:?}",
            payload.payload_type
        )));
    }
    let statement = Statement::from_json(&payload.payload)?;
    let digests: Vec<String> = statement
        .subjects()
        .iter()
        .filter_map(|s| s.digest.as_ref().and_then(|d| d.sha256()))
        .map(|d| d.to_string())
        .collect();
    if !digests.contains(&image.to_string()) {
        return Err(Error::ArtifactMismatch(format!(
            "the statement is about {}, not the image {image}",
            if digests.is_empty() {
                "no sha256 digest".to_string()
            } else {
                digests.join(", ")
            }
        )));
    }
    Ok(statement)
}

/// Verifies one attestation attachment of `image` with `key`: a Sigstore
/// bundle holding a DSSE envelope (log entries and timestamps checked
/// against `root` when present), or a legacy cosign DSSE layer.
pub fn verify_attestation(
    attachment: &Attachment,
    image: &Sha256,
    key: &PublicKey,
    root: &TrustedRoot,
) -> Result<VerifiedAttestation> {
    if attachment.kind != Kind::Attestation {
        return Err(Error::WrongMaterial("not an attestation: a signature"));
    }
    let payload = match &attachment.evidence {
        Evidence::Bundle(bundle) => {
            if let Content::MessageSignature { .. } = bundle.content()? {
                return Err(Error::WrongMaterial(
                    "a message-signature bundle is not an attestation",
                ));
            }
            verify_with_key(bundle, Artifact::Digest(*image), key, root)?
                .payload
                .ok_or(Error::WrongMaterial("the bundle holds no DSSE envelope"))?
        }
        Evidence::Dsse(envelope) => {
            // Any payload type is accepted by the signature check; the
            // statement check below then names a wrong one.
            envelope.verify(envelope.payload_type(), std::slice::from_ref(key), 1)?
        }
        Evidence::SimpleSigning { .. } => {
            return Err(Error::WrongMaterial(
                "a simple-signing layer is a signature, not an attestation",
            ))
        }
    };
    Ok(VerifiedAttestation {
        statement: statement_about(&payload, image)?,
        key_id: key.key_id(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_evidence::attachment::Format;
    use vouch_evidence::bundle::Bundle;
    use vouch_evidence::digest::sha256;
    use vouch_evidence::dsse::Envelope;
    use vouch_evidence::keys::{Algorithm, PrivateKey, Signer};

    fn statement(subject: &Sha256) -> Vec<u8> {
        format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app","digest":{{"sha256":"{}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{{}}}}"#,
            subject.hex()
        )
        .into_bytes()
    }

    fn attachment(evidence: Evidence) -> Attachment {
        Attachment {
            format: Format::Legacy,
            kind: Kind::Attestation,
            predicate_type: None,
            created: None,
            digest: sha256(b"layer"),
            evidence,
            keyless: None,
        }
    }

    fn legacy(key: &PrivateKey, payload_type: &str, payload: &[u8]) -> Attachment {
        attachment(Evidence::Dsse(
            Envelope::sign(payload_type, payload, &[key]).unwrap(),
        ))
    }

    fn check(a: &Attachment, image: &Sha256, key: &PrivateKey) -> Result<VerifiedAttestation> {
        verify_attestation(
            a,
            image,
            key.public_key(),
            &TrustedRoot::public_good().unwrap(),
        )
    }

    #[test]
    fn a_signed_statement_about_the_image_verifies_in_both_formats() {
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let image = sha256(b"manifest");
        let a = legacy(&key, IN_TOTO_PAYLOAD_TYPE, &statement(&image));
        let v = check(&a, &image, &key).unwrap();
        assert_eq!(
            v.statement.predicate_type(),
            "https://slsa.dev/provenance/v1"
        );
        assert_eq!(v.key_id, key.public_key().key_id());
        let bundle = Bundle::sign_dsse(&key, IN_TOTO_PAYLOAD_TYPE, &statement(&image)).unwrap();
        let mut b = attachment(Evidence::Bundle(bundle));
        b.format = Format::Bundle;
        assert!(check(&b, &image, &key).is_ok());
        // Negative control: another key.
        let other = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        assert!(check(&a, &image, &other).is_err());
        assert!(check(&b, &image, &other).is_err());
    }

    #[test]
    fn regression_issue_5_an_attestation_about_another_digest_is_refused() {
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let index = sha256(b"index");
        let platform = sha256(b"platform manifest");
        let a = legacy(&key, IN_TOTO_PAYLOAD_TYPE, &statement(&index));
        let err = check(&a, &platform, &key).unwrap_err().to_string();
        assert!(
            err.contains(&index.to_string()) && err.contains(&platform.to_string()),
            "{err}"
        );
        let bundle = Bundle::sign_dsse(&key, IN_TOTO_PAYLOAD_TYPE, &statement(&index)).unwrap();
        assert!(check(&attachment(Evidence::Bundle(bundle)), &platform, &key).is_err());
    }

    #[test]
    fn regression_issue_5_wrong_payload_type_non_json_and_unknown_type_are_refused() {
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let image = sha256(b"manifest");
        let cases: [(&str, Vec<u8>, &str); 3] = [
            ("application/json", statement(&image), "payloadType"),
            (
                IN_TOTO_PAYLOAD_TYPE,
                b"not json".to_vec(),
                "in-toto statement",
            ),
            (
                IN_TOTO_PAYLOAD_TYPE,
                String::from_utf8(statement(&image))
                    .unwrap()
                    .replace("Statement/v1", "Statement/v9")
                    .into_bytes(),
                "_type",
            ),
        ];
        for (payload_type, payload, needle) in cases {
            let err = check(&legacy(&key, payload_type, &payload), &image, &key)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn a_signature_is_not_an_attestation() {
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let image = sha256(b"manifest");
        let mut a = legacy(&key, IN_TOTO_PAYLOAD_TYPE, &statement(&image));
        a.kind = Kind::Signature;
        assert!(check(&a, &image, &key).is_err());
    }
}
