//! Sigstore bundles: read v0.1 to v0.3, write keyed v0.3.
//!
//! The JSON shape is `sigstore-types`' (the sigstore-rust wire types), so
//! what we write is what every Sigstore client reads. [`Bundle`] wraps it
//! after checking what this crate relies on: a known media type and content
//! that decodes. Verification against keys, logs and trusted roots lives in
//! the `verify` crate.

use std::str::FromStr;

use serde::Deserialize;
use sigstore_types as wire;

use crate::digest::{sha256, Sha256};
use crate::dsse::{pae, Envelope, Signature};
use crate::keys::Signer;
use crate::{Error, Result};

/// The media type of the bundles vouch writes.
pub const BUNDLE_V03_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// What a bundle signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A signature over an artifact's bytes, with the artifact's digest.
    MessageSignature {
        /// The SHA-256 of the artifact, when the bundle records it.
        digest: Option<Sha256>,
        /// The raw signature.
        signature: Vec<u8>,
    },
    /// A DSSE envelope (in Sigstore, always exactly one signature).
    Dsse(Envelope),
}

/// A parsed Sigstore bundle with a known media type.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    wire: wire::Bundle,
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
}

fn data_error(source: serde_json::Error) -> Error {
    match source.classify() {
        serde_json::error::Category::Data => Error::invalid("Sigstore bundle", source.to_string()),
        _ => Error::Json {
            what: "Sigstore bundle",
            error: source,
        },
    }
}

impl Bundle {
    /// Parses a bundle, checking its media type before anything else so
    /// that an unknown version is reported as such, not as a field error.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let head: Head = serde_json::from_slice(bytes).map_err(data_error)?;
        let media_type = head
            .media_type
            .ok_or_else(|| Error::invalid("Sigstore bundle", "has no `mediaType`"))?;
        wire::MediaType::from_str(&media_type)
            .map_err(|_| Error::BundleMediaType(media_type.clone()))?;
        let wire: wire::Bundle = serde_json::from_slice(bytes).map_err(data_error)?;
        let bundle = Bundle { wire };
        bundle.content()?;
        Ok(bundle)
    }

    fn keyed(signer: &dyn Signer, content: wire::SignatureContent) -> Self {
        let hint = signer.public_key().key_id().hint();
        let material = wire::VerificationMaterial::new(
            wire::VerificationMaterialContent::PublicKey(wire::PublicKeyIdentifier::new(hint)),
        );
        Bundle {
            wire: wire::Bundle::new(wire::MediaType::Bundle0_3, material, content),
        }
    }

    /// Signs `artifact` and records its SHA-256: a `messageSignature` bundle.
    pub fn sign_message(signer: &dyn Signer, artifact: &[u8]) -> Result<Self> {
        let signature = signer.sign(artifact)?;
        let digest = wire::MessageDigest::new(
            wire::HashAlgorithm::Sha2256,
            wire::DigestBytes::new(sha256(artifact).0.to_vec()),
        );
        let content = wire::SignatureContent::MessageSignature(
            wire::MessageSignature::new(wire::SignatureBytes::new(signature))
                .with_message_digest(digest),
        );
        Ok(Self::keyed(signer, content))
    }

    /// Signs `payload` as a DSSE envelope of `payload_type`.
    pub fn sign_dsse(signer: &dyn Signer, payload_type: &str, payload: &[u8]) -> Result<Self> {
        let signature = signer.sign(&pae(payload_type, payload))?;
        let envelope = wire::DsseEnvelope::new(
            payload_type,
            wire::PayloadBytes::new(payload.to_vec()),
            wire::DsseSignature::new(wire::SignatureBytes::new(signature), wire::KeyId::default()),
        );
        Ok(Self::keyed(
            signer,
            wire::SignatureContent::DsseEnvelope(envelope),
        ))
    }

    /// The bundle as compact JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.wire).unwrap_or_default()
    }

    /// The bundle's media type string.
    pub fn media_type(&self) -> &'static str {
        self.wire.media_type.as_str()
    }

    /// The `publicKey.hint`, when the bundle was signed with a managed key.
    pub fn public_key_hint(&self) -> Option<&str> {
        match &self.wire.verification_material.content {
            wire::VerificationMaterialContent::PublicKey(k) => Some(&k.hint),
            _ => None,
        }
    }

    /// What the bundle signs, decoded.
    pub fn content(&self) -> Result<Content> {
        match &self.wire.content {
            wire::SignatureContent::MessageSignature(m) => {
                let digest = match &m.message_digest {
                    None => None,
                    Some(d) if d.algorithm == wire::HashAlgorithm::Sha2256 => {
                        let bytes: [u8; 32] = d.digest.as_bytes().try_into().map_err(|_| {
                            Error::invalid("Sigstore bundle `messageDigest`", "is not 32 bytes")
                        })?;
                        Some(Sha256(bytes))
                    }
                    Some(d) => {
                        return Err(Error::invalid(
                            "Sigstore bundle `messageDigest`",
                            format!("algorithm {:?} is not SHA2_256", d.algorithm),
                        ))
                    }
                };
                Ok(Content::MessageSignature {
                    digest,
                    signature: m.signature.as_bytes().to_vec(),
                })
            }
            wire::SignatureContent::DsseEnvelope(e) => Ok(Content::Dsse(Envelope::from_parts(
                e.payload_type.clone(),
                e.payload.as_bytes().to_vec(),
                vec![Signature {
                    keyid: e.signature.keyid.to_string(),
                    sig: e.signature.sig.as_bytes().to_vec(),
                }],
            )?)),
            _ => Err(Error::invalid(
                "Sigstore bundle",
                "signs content that is neither `messageSignature` nor `dsseEnvelope`",
            )),
        }
    }

    /// The wire form, for the sigstore-rust verifier.
    pub fn wire(&self) -> &wire::Bundle {
        &self.wire
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsse::IN_TOTO_PAYLOAD_TYPE;
    use crate::keys::{Algorithm, PrivateKey};
    use crate::statement::Statement;

    #[test]
    fn message_bundle_round_trips_with_hint_and_digest() {
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let bundle = Bundle::sign_message(&key, b"artifact").unwrap();
        let json = bundle.to_json();
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["mediaType"], BUNDLE_V03_MEDIA_TYPE);
        assert_eq!(
            value["verificationMaterial"]["publicKey"]["hint"],
            key.public_key().key_id().hint()
        );
        assert_eq!(
            value["messageSignature"]["messageDigest"]["algorithm"],
            "SHA2_256"
        );
        let parsed = Bundle::from_json(&json).unwrap();
        let Content::MessageSignature { digest, signature } = parsed.content().unwrap() else {
            panic!("expected a message signature");
        };
        assert_eq!(digest, Some(sha256(b"artifact")));
        key.public_key().verify(b"artifact", &signature).unwrap();
    }

    #[test]
    fn dsse_bundle_carries_a_verifiable_envelope() {
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let statement =
            Statement::from_json(include_bytes!("../../testdata/intoto/slsa-statement.json"))
                .unwrap();
        let bundle = Bundle::sign_dsse(&key, IN_TOTO_PAYLOAD_TYPE, &statement.to_json()).unwrap();
        let parsed = Bundle::from_json(&bundle.to_json()).unwrap();
        let Content::Dsse(envelope) = parsed.content().unwrap() else {
            panic!("expected a DSSE envelope");
        };
        let verified = envelope
            .verify(IN_TOTO_PAYLOAD_TYPE, &[key.public_key().clone()], 1)
            .unwrap();
        assert_eq!(Statement::from_json(&verified.payload).unwrap(), statement);
    }

    #[test]
    fn reads_every_media_type_of_the_conformance_suite() {
        for mt in [
            "application/vnd.dev.sigstore.bundle+json;version=0.1",
            "application/vnd.dev.sigstore.bundle+json;version=0.2",
            "application/vnd.dev.sigstore.bundle+json;version=0.3",
            "application/vnd.dev.sigstore.bundle.v0.3+json",
        ] {
            let json = format!(
                r#"{{"mediaType":"{mt}","verificationMaterial":{{"publicKey":{{"hint":"h"}}}},"messageSignature":{{"signature":"AAAA"}}}}"#
            );
            Bundle::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("{mt}: {e}"));
        }
    }

    #[test]
    fn bad_bundles_name_the_problem() {
        let cases: [(&str, &str); 5] = [
            ("{", "malformed JSON in Sigstore bundle"),
            (r#"{"verificationMaterial":{}}"#, "has no `mediaType`"),
            (
                r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.9+json"}"#,
                "unknown Sigstore bundle media type \"application/vnd.dev.sigstore.bundle.v0.9+json\"",
            ),
            (
                r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"h"}},"messageSignature":{"signature":"!!!"}}"#,
                "invalid Sigstore bundle",
            ),
            (
                r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"h"}}}"#,
                "invalid Sigstore bundle",
            ),
        ];
        for (json, needle) in cases {
            let err = Bundle::from_json(json.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(needle), "{json}: {err}");
        }
    }
}
