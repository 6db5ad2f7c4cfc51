//! DSSE envelopes, byte-exact with the DSSE v1 protocol.
//!
//! PAE lengths are byte lengths; base64 is accepted in both alphabets; a
//! threshold counts distinct trusted keys, never one key twice; and
//! verification hands back only the payload bytes it verified, so nothing
//! downstream can read an unverified payload by accident.

use serde::{Deserialize, Serialize};

use crate::encoding::{decode_b64, encode_b64};
use crate::keys::{KeyId, PublicKey, Signer};
use crate::{Error, Result};

/// The payloadType of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The most signatures one envelope may carry before it is rejected unread.
pub const MAX_SIGNATURES: usize = 100;

/// The Pre-Authentication Encoding that every DSSE signature covers:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in bytes.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let header = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    );
    let mut out = Vec::with_capacity(header.len() + payload.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    out
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeWire {
    payload: String,
    payload_type: String,
    signatures: Vec<SignatureWire>,
}

#[derive(Serialize, Deserialize)]
struct SignatureWire {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    keyid: String,
    sig: String,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The unauthenticated key hint; empty when the signer gave none.
    pub keyid: String,
    /// The raw signature bytes.
    pub sig: Vec<u8>,
}

/// A decoded DSSE envelope with at least one signature.
///
/// The payload is reachable only through [`Envelope::verify`] (or the
/// explicitly named [`Envelope::unverified_payload`]), so code that acts on
/// a payload has to say whether it checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    payload_type: String,
    payload: Vec<u8>,
    signatures: Vec<Signature>,
}

/// The payload of an envelope whose signatures met the threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPayload {
    /// The payload type the signatures covered.
    pub payload_type: String,
    /// The exact payload bytes the signatures covered.
    pub payload: Vec<u8>,
    /// The distinct trusted keys whose signatures verified.
    pub signers: Vec<KeyId>,
}

impl TryFrom<EnvelopeWire> for Envelope {
    type Error = Error;

    fn try_from(wire: EnvelopeWire) -> Result<Self> {
        if wire.signatures.is_empty() {
            return Err(Error::invalid("DSSE envelope", "has no signature"));
        }
        if wire.signatures.len() > MAX_SIGNATURES {
            return Err(Error::invalid(
                "DSSE envelope",
                format!(
                    "has {} signatures, more than the limit of {MAX_SIGNATURES}",
                    wire.signatures.len()
                ),
            ));
        }
        let signatures = wire
            .signatures
            .into_iter()
            .map(|s| {
                Ok(Signature {
                    sig: decode_b64("signatures[].sig", &s.sig)?,
                    keyid: s.keyid,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Envelope {
            payload: decode_b64("payload", &wire.payload)?,
            payload_type: wire.payload_type,
            signatures,
        })
    }
}

impl Envelope {
    /// Parses the JSON envelope.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let wire: EnvelopeWire = serde_json::from_slice(bytes).map_err(|error| Error::Json {
            what: "DSSE envelope",
            error,
        })?;
        wire.try_into()
    }

    /// Builds an envelope from parts already decoded elsewhere (a Sigstore
    /// bundle's envelope, say).
    pub fn from_parts(
        payload_type: String,
        payload: Vec<u8>,
        signatures: Vec<Signature>,
    ) -> Result<Self> {
        if signatures.is_empty() {
            return Err(Error::invalid("DSSE envelope", "has no signature"));
        }
        Ok(Envelope {
            payload_type,
            payload,
            signatures,
        })
    }

    /// Signs `payload` with every signer, each signature carrying its key id.
    pub fn sign(payload_type: &str, payload: &[u8], signers: &[&dyn Signer]) -> Result<Self> {
        let message = pae(payload_type, payload);
        let signatures = signers
            .iter()
            .map(|s| {
                Ok(Signature {
                    keyid: s.public_key().key_id().to_string(),
                    sig: s.sign(&message)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Self::from_parts(payload_type.to_string(), payload.to_vec(), signatures)
    }

    /// The JSON envelope, standard base64, fields in the spec's order.
    pub fn to_json(&self) -> Vec<u8> {
        let wire = EnvelopeWire {
            payload: encode_b64(&self.payload),
            payload_type: self.payload_type.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|s| SignatureWire {
                    keyid: s.keyid.clone(),
                    sig: encode_b64(&s.sig),
                })
                .collect(),
        };
        // Serializing plain strings to JSON cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// The declared payload type (authenticated only once verified).
    pub fn payload_type(&self) -> &str {
        &self.payload_type
    }

    /// The signatures, in envelope order.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// The payload bytes without any check. For display and diagnostics
    /// only: never act on them.
    pub fn unverified_payload(&self) -> &[u8] {
        &self.payload
    }

    /// Verifies the envelope against `keys` and returns the payload.
    ///
    /// It succeeds when signatures by at least `threshold` distinct keys of
    /// `keys` verify over the PAE, and the payload type is
    /// `expected_payload_type`. A key id in a signature is only a hint: it
    /// never excludes a key, since peers use ids of their own.
    pub fn verify(
        &self,
        expected_payload_type: &str,
        keys: &[PublicKey],
        threshold: usize,
    ) -> Result<VerifiedPayload> {
        if threshold == 0 {
            return Err(Error::invalid("threshold", "must be at least 1"));
        }
        let message = pae(&self.payload_type, &self.payload);
        let mut signers: Vec<KeyId> = Vec::new();
        for signature in &self.signatures {
            if signers.len() >= threshold {
                break;
            }
            let verified = keys.iter().find(|key| {
                !signers.contains(&key.key_id()) && key.verify(&message, &signature.sig).is_ok()
            });
            if let Some(key) = verified {
                signers.push(key.key_id());
            }
        }
        if signers.len() < threshold {
            return Err(Error::Threshold {
                verified: signers.len(),
                threshold,
                signatures: self.signatures.len(),
            });
        }
        if self.payload_type != expected_payload_type {
            return Err(Error::PayloadType {
                expected: expected_payload_type.to_string(),
                found: self.payload_type.clone(),
            });
        }
        Ok(VerifiedPayload {
            payload_type: self.payload_type.clone(),
            payload: self.payload.clone(),
            signers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Algorithm, PrivateKey};

    const VECTORS: &str = include_str!("../../testdata/dsse/vectors.json");

    fn ed25519_spki(raw_hex: &str) -> PublicKey {
        let der = hex::decode(format!("302a300506032b6570032100{raw_hex}")).unwrap();
        PublicKey::from_spki_der(&der).unwrap()
    }

    #[test]
    fn pae_uses_byte_lengths() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("é", "ø".as_bytes()), "DSSEv1 2 é 2 ø".as_bytes());
        assert_eq!(pae("t", b""), b"DSSEv1 1 t 0 ");
    }

    #[test]
    fn dsse_spec_worked_example_verifies() {
        let key =
            PublicKey::from_pem(include_str!("../../testdata/dsse/spec-example.pub")).unwrap();
        let env =
            Envelope::from_json(include_bytes!("../../testdata/dsse/spec-example.json")).unwrap();
        let verified = env
            .verify(
                "http://example.com/HelloWorld",
                std::slice::from_ref(&key),
                1,
            )
            .unwrap();
        assert_eq!(verified.payload, b"hello world");
        assert_eq!(verified.signers, vec![key.key_id()]);
        let err = env.verify(IN_TOTO_PAYLOAD_TYPE, &[key], 1).unwrap_err();
        assert!(matches!(err, Error::PayloadType { .. }), "{err}");
    }

    #[test]
    fn dsse_repository_test_vectors() {
        let doc: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
        let keys = doc["keys"].as_object().unwrap();
        let vectors = doc["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 9);
        for v in vectors {
            let id = v["id"].as_str().unwrap();
            let env_json = serde_json::to_vec(&v["envelope"]).unwrap();
            let env = Envelope::from_json(&env_json).unwrap();
            let accept = v["expect"] == "accept";
            // `pae` is what the signatures cover; for an accepted vector that
            // must be the PAE of the envelope as it stands.
            if accept {
                assert_eq!(
                    hex::encode(pae(env.payload_type(), env.unverified_payload())),
                    v["pae"].as_str().unwrap(),
                    "{id}: PAE"
                );
            }
            let trusted: Vec<PublicKey> = v["trustedKeys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|name| ed25519_spki(keys[name.as_str().unwrap()]["public"].as_str().unwrap()))
                .collect();
            let supported: Vec<&str> = v["supportedPayloadTypes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            let expected_type = if supported.contains(&env.payload_type()) {
                env.payload_type()
            } else {
                supported[0]
            };
            let threshold = v["threshold"].as_u64().unwrap() as usize;
            let result = env.verify(expected_type, &trusted, threshold);
            if accept {
                let payload = result.unwrap_or_else(|e| panic!("{id}: {e}"));
                assert_eq!(payload.signers.len(), threshold, "{id}");
            } else {
                assert!(result.is_err(), "{id} must be rejected");
            }
        }
    }

    #[test]
    fn sign_then_verify_with_thresholds_of_distinct_keys() {
        let a = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let b = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let env = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{}", &[&a, &b]).unwrap();
        let reparsed = Envelope::from_json(&env.to_json()).unwrap();
        assert_eq!(reparsed, env);
        let keys = [a.public_key().clone(), b.public_key().clone()];
        assert_eq!(
            reparsed
                .verify(IN_TOTO_PAYLOAD_TYPE, &keys, 2)
                .unwrap()
                .signers
                .len(),
            2
        );
        let err = reparsed
            .verify(IN_TOTO_PAYLOAD_TYPE, &keys, 3)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("only 2 distinct trusted key(s) signed, 3 required"),
            "{err}"
        );

        // One key listed twice still counts once.
        let doubled = [a.public_key().clone(), a.public_key().clone()];
        let only_a = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{}", &[&a, &a]).unwrap();
        assert!(only_a.verify(IN_TOTO_PAYLOAD_TYPE, &doubled, 2).is_err());
    }

    #[test]
    fn signature_by_another_key_is_rejected() {
        let signer = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let other = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let env = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{}", &[&signer]).unwrap();
        let err = env
            .verify(IN_TOTO_PAYLOAD_TYPE, &[other.public_key().clone()], 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("none of the 1 signature(s) verifies"), "{err}");
    }

    #[test]
    fn bad_envelopes_name_the_problem() {
        let cases: [(&[u8], &str); 5] = [
            (b"{not json", "malformed JSON in DSSE envelope"),
            (
                br#"{"payload":"e30=","payloadType":"t","signatures":[]}"#,
                "has no signature",
            ),
            (
                br#"{"payload":"e30=","payloadType":"t"}"#,
                "missing field `signatures`",
            ),
            (
                br#"{"payload":"!!","payloadType":"t","signatures":[{"sig":"AA=="}]}"#,
                "bad base64 in field `payload`",
            ),
            (
                br#"{"payload":"e30=","payloadType":"t","signatures":[{"sig":"%%"}]}"#,
                "bad base64 in field `signatures[].sig`",
            ),
        ];
        for (json, needle) in cases {
            let err = Envelope::from_json(json).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
        let many = format!(
            r#"{{"payload":"e30=","payloadType":"t","signatures":[{}]}}"#,
            vec![r#"{"sig":"AA=="}"#; MAX_SIGNATURES + 1].join(",")
        );
        let err = Envelope::from_json(many.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("more than the limit"), "{err}");
    }
}
