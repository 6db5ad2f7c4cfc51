//! Legacy cosign layers signed keyless: the `.sig` and `.att` layers that
//! cosign wrote before Sigstore bundles, verified as the bundles they stand
//! for.
//!
//! Such a layer carries, besides its blob (a simple-signing payload, or a
//! DSSE envelope) and the signature annotation, the Fulcio leaf
//! (`dev.sigstore.cosign/certificate`), its chain
//! (`dev.sigstore.cosign/chain`), the Rekor "bundle"
//! (`dev.sigstore.cosign/bundle`: the signed entry timestamp over the
//! entry's body, integrated time, log index and log id) and perhaps an
//! RFC 3161 timestamp. That is exactly what a Sigstore bundle v0.1 holds,
//! so [`to_bundle`] writes it as one: the leaf as the signing certificate,
//! the Rekor bundle as a log entry with its inclusion promise and
//! canonicalized body, the timestamp as an RFC 3161 timestamp, and the
//! blob as a message signature (over the payload's SHA-256) or a DSSE
//! envelope. [`crate::bundle::verify_keyless`] then verifies it as any
//! keyless bundle, with the same rigour: the leaf chains to a Fulcio CA of
//! the trusted root valid at the entry's integrated time and carries a
//! valid SCT, the SET verifies under the root's Rekor key whose id is the
//! entry's log id, the body binds this signature, this certificate and this
//! payload, the signature verifies over the payload (or its DSSE PAE), and
//! only then is the verified identity handed to the caller's policy.
//!
//! The chain annotation is never used: the chain is built from the trusted
//! root alone, as cosign does when it has one. A layer without the Rekor
//! bundle annotation has no log entry and is refused; nothing weaker (a
//! certificate alone, a timestamp alone) is accepted in its place.
//!
//! Rekor entry kinds: `hashedrekord` 0.0.1 (`.sig`), `intoto` 0.0.2 and
//! `dsse` 0.0.1 (`.att`) are verified, the kinds sigstore-verify checks
//! against a bundle's content. The older `rekord` 0.0.1 and `intoto` 0.0.1
//! (which cosign wrote for attestations) are refused by name: their bodies
//! bind the envelope differently, and no verifier here checks that yet.

use base64::Engine as _;
use serde::Deserialize;
use vouch_evidence::attachment::{Attachment, Evidence, Kind, LegacyKeyless};
use vouch_evidence::bundle::Bundle;
use vouch_evidence::digest::{sha256, Sha256};
use vouch_evidence::statement::Statement;

use crate::attestation::statement_about;
use crate::bundle::{verify_keyless, Artifact, IdentityPolicy, KeylessVerification, TrustedRoot};
use crate::image::check_simple_signing;
use crate::{Error, Result};

/// What a legacy keyless layer established.
#[derive(Debug, Clone)]
pub struct VerifiedLegacy {
    /// The keyless verification of the bundle the layer stands for: the
    /// admitted identity, the log entry, the signing times.
    pub verification: KeylessVerification,
    /// For an attestation, the verified statement about the image.
    pub statement: Option<Statement>,
}

/// Verifies a legacy cosign layer signed keyless as a signature or
/// attestation of `image`, and admits its signer with `identity`.
///
/// The layer is written as a bundle ([`to_bundle`]) and verified by
/// [`verify_keyless`]; then, as for a keyed legacy layer, a `.sig`
/// payload must be a simple-signing document naming `image`, and an
/// `.att` statement must have `image` among its subjects. A layer without
/// a certificate (signed with a key) is refused: it is not keyless.
pub fn verify_keyless_layer(
    attachment: &Attachment,
    image: &Sha256,
    root: &TrustedRoot,
    identity: &dyn IdentityPolicy,
) -> Result<VerifiedLegacy> {
    let keyless = attachment.keyless.as_ref().ok_or(Error::WrongMaterial(
        "keyless verification needs a Fulcio certificate; this legacy layer has none (it was \
         signed with a key)",
    ))?;
    let bundle = to_bundle(attachment.kind, &attachment.evidence, keyless)?;
    match &attachment.evidence {
        Evidence::SimpleSigning { payload, .. } => {
            // The bundle signs the payload's bytes, which must name the image.
            let verification = verify_keyless(&bundle, Artifact::Bytes(payload), root, identity)?;
            check_simple_signing(payload, image)?;
            Ok(VerifiedLegacy {
                verification,
                statement: None,
            })
        }
        _ => {
            let verification = verify_keyless(&bundle, Artifact::Digest(*image), root, identity)?;
            let payload = verification
                .payload
                .as_ref()
                .ok_or(Error::WrongMaterial("the layer holds no DSSE envelope"))?;
            let statement = statement_about(payload, image)?;
            Ok(VerifiedLegacy {
                verification,
                statement: Some(statement),
            })
        }
    }
}

/// The media type of the bundles legacy layers are written as: v0.1, the
/// version whose log entries may carry a promise (SET) and no inclusion
/// proof, as the Rekor bundle of a legacy layer does.
pub const LEGACY_BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";

/// The `dev.sigstore.cosign/bundle` annotation, as cosign writes it
/// (`pkg/cosign/bundle.RekorBundle`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RekorBundle {
    #[serde(rename = "SignedEntryTimestamp")]
    signed_entry_timestamp: String,
    #[serde(rename = "Payload")]
    payload: RekorPayload,
}

/// The part of a Rekor entry its SET signs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RekorPayload {
    /// The canonicalized entry body, base64.
    body: String,
    #[serde(rename = "integratedTime")]
    integrated_time: i64,
    #[serde(rename = "logIndex")]
    log_index: i64,
    /// The log's key id, hex.
    #[serde(rename = "logID")]
    log_id: String,
}

/// The `dev.sigstore.cosign/rfc3161timestamp` annotation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rfc3161Timestamp {
    #[serde(rename = "SignedRFC3161Timestamp")]
    signed_rfc3161_timestamp: String,
}

/// What kind of entry a body is.
#[derive(Deserialize)]
struct EntryHead {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
}

fn refuse(why: impl Into<String>) -> Error {
    Error::LegacyKeyless(why.into())
}

/// The one certificate of a PEM text, as DER.
fn certificate_der(pem: &str, what: &str) -> Result<Vec<u8>> {
    let (label, der) = spki::der::pem::decode_vec(pem.trim().as_bytes())
        .map_err(|e| refuse(format!("the {what} is not one PEM certificate: {e}")))?;
    if label != "CERTIFICATE" {
        return Err(refuse(format!(
            "the {what} is a PEM {label:?}, not a CERTIFICATE"
        )));
    }
    Ok(der)
}

/// Writes a legacy layer's evidence and keyless annotations as the
/// Sigstore bundle v0.1 they stand for, to be verified by
/// [`crate::bundle::verify_keyless`].
///
/// `kind` is what the layer was listed as: a `.sig` layer must be a
/// simple-signing payload logged as `hashedrekord`, an `.att` layer a DSSE
/// envelope logged as `intoto` 0.0.2 or `dsse` 0.0.1. Fails, naming the
/// annotation, when one is missing or malformed; never falls back.
pub fn to_bundle(kind: Kind, evidence: &Evidence, keyless: &LegacyKeyless) -> Result<Bundle> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let rekor_json = keyless.rekor_bundle.as_deref().ok_or_else(|| {
        refuse(
            "it has a certificate but no dev.sigstore.cosign/bundle annotation: without its \
             Rekor entry a keyless signature has no verified signing time and is not accepted",
        )
    })?;
    let rekor: RekorBundle = serde_json::from_str(rekor_json)
        .map_err(|e| refuse(format!("the dev.sigstore.cosign/bundle annotation: {e}")))?;
    let body = b64
        .decode(&rekor.payload.body)
        .map_err(|e| refuse(format!("the Rekor entry body is not base64: {e}")))?;
    let head: EntryHead =
        serde_json::from_slice(&body).map_err(|e| refuse(format!("the Rekor entry body: {e}")))?;
    let supported = match kind {
        Kind::Signature => matches!(
            (head.kind.as_str(), head.api_version.as_str()),
            ("hashedrekord", "0.0.1")
        ),
        Kind::Attestation => matches!(
            (head.kind.as_str(), head.api_version.as_str()),
            ("intoto", "0.0.2") | ("dsse", "0.0.1")
        ),
    };
    if !supported {
        return Err(refuse(format!(
            "its Rekor entry is of kind {} {}, which is not verified for a legacy {} \
             (hashedrekord 0.0.1 for a signature; intoto 0.0.2 or dsse 0.0.1 for an attestation)",
            head.kind,
            head.api_version,
            kind.name()
        )));
    }
    let log_id = hex::decode(&rekor.payload.log_id)
        .map_err(|e| refuse(format!("the Rekor log id is not hex: {e}")))?;
    let set = b64
        .decode(&rekor.signed_entry_timestamp)
        .map_err(|e| refuse(format!("the signed entry timestamp is not base64: {e}")))?;
    let leaf = certificate_der(&keyless.certificate, "dev.sigstore.cosign/certificate")?;
    if rekor.payload.log_index < 0 || rekor.payload.integrated_time <= 0 {
        return Err(refuse(
            "the Rekor entry's log index or integrated time is out of range",
        ));
    }
    let entry = serde_json::json!({
        "logIndex": rekor.payload.log_index.to_string(),
        "logId": {"keyId": b64.encode(log_id)},
        "kindVersion": {"kind": head.kind, "version": head.api_version},
        "integratedTime": rekor.payload.integrated_time.to_string(),
        "inclusionPromise": {"signedEntryTimestamp": b64.encode(set)},
        "canonicalizedBody": b64.encode(&body),
    });
    let mut timestamps = Vec::new();
    if let Some(ts) = &keyless.rfc3161_timestamp {
        let ts: Rfc3161Timestamp = serde_json::from_str(ts).map_err(|e| {
            refuse(format!(
                "the dev.sigstore.cosign/rfc3161timestamp annotation: {e}"
            ))
        })?;
        timestamps.push(serde_json::json!({"signedTimestamp": ts.signed_rfc3161_timestamp}));
    }
    let content = match (kind, evidence) {
        (Kind::Signature, Evidence::SimpleSigning { payload, signature }) => (
            "messageSignature",
            serde_json::json!({
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64.encode(sha256(payload).0)},
                "signature": b64.encode(signature),
            }),
        ),
        (Kind::Attestation, Evidence::Dsse(envelope)) => {
            if envelope.signatures().len() != 1 {
                return Err(refuse(format!(
                    "its DSSE envelope has {} signatures; a keyless envelope has one",
                    envelope.signatures().len()
                )));
            }
            let json: serde_json::Value = serde_json::from_slice(&envelope.to_json())
                .map_err(|e| refuse(format!("its DSSE envelope: {e}")))?;
            ("dsseEnvelope", json)
        }
        _ => {
            return Err(refuse(format!(
                "a legacy {} layer holds the other kind of evidence",
                kind.name()
            )))
        }
    };
    // The leaf alone: the chain is built from the trusted root.
    let mut bundle = serde_json::json!({
        "mediaType": LEGACY_BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "x509CertificateChain": {"certificates": [{"rawBytes": b64.encode(leaf)}]},
            "tlogEntries": [entry],
            "timestampVerificationData": {"rfc3161Timestamps": timestamps},
        },
    });
    if let Some(map) = bundle.as_object_mut() {
        map.insert(content.0.into(), content.1);
    }
    let bytes =
        serde_json::to_vec(&bundle).map_err(|e| refuse(format!("cannot write its bundle: {e}")))?;
    Ok(Bundle::from_json(&bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::ExpectedIdentity;
    use vouch_evidence::attachment::Format;
    use vouch_evidence::dsse::IN_TOTO_PAYLOAD_TYPE;
    use vouch_evidence::fixtures::sigstore::{AttestationEntry, TestSigstore};

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
    /// The image the real vector signs.
    const IMAGE: &str = "sha256:5ce2d8cd8e366d76ce012edc346daeb15a5643c26b9b24a2b731e97a99c6de52";
    const SUBJECT: &str = "cosign@cosign-test-384419.iam.gserviceaccount.com";
    const GOOGLE: &str = "https://accounts.google.com";

    fn vector(name: &str) -> Vec<u8> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/cosign-legacy-keyless");
        std::fs::read(dir.join(name)).unwrap()
    }

    /// Layer `index` of a `.sig` manifest of the vectors, with `payload`.
    fn layer(manifest: &str, index: usize, payload: Vec<u8>) -> Attachment {
        let manifest: serde_json::Value = serde_json::from_slice(&vector(manifest)).unwrap();
        let layer = &manifest["layers"][index];
        let annotation = |name: &str| layer["annotations"][name].as_str().map(str::to_string);
        let signature = B64
            .decode(annotation("dev.cosignproject.cosign/signature").unwrap())
            .unwrap();
        Attachment {
            format: Format::Legacy,
            kind: Kind::Signature,
            predicate_type: None,
            created: None,
            digest: layer["digest"].as_str().unwrap().parse().unwrap(),
            evidence: Evidence::SimpleSigning { payload, signature },
            keyless: annotation("dev.sigstore.cosign/certificate").map(|certificate| {
                LegacyKeyless {
                    certificate,
                    rekor_bundle: annotation("dev.sigstore.cosign/bundle"),
                    rfc3161_timestamp: None,
                }
            }),
        }
    }

    /// The real keyless layer of the vectors.
    fn real() -> Attachment {
        layer("sig-manifest.json", 1, vector("sig-payload.json"))
    }

    fn google(subject: &str) -> ExpectedIdentity {
        ExpectedIdentity {
            subject: subject.into(),
            issuer: GOOGLE.into(),
        }
    }

    fn public_good() -> TrustedRoot {
        TrustedRoot::public_good().unwrap()
    }

    fn image() -> Sha256 {
        IMAGE.parse().unwrap()
    }

    fn keyless(a: &mut Attachment) -> &mut LegacyKeyless {
        a.keyless.as_mut().unwrap()
    }

    #[test]
    fn a_real_legacy_keyless_signature_verifies_under_the_public_good_root() {
        let ok = verify_keyless_layer(&real(), &image(), &public_good(), &google(SUBJECT)).unwrap();
        assert_eq!(ok.verification.identity.subject, SUBJECT);
        assert_eq!(ok.verification.identity.issuer, GOOGLE);
        assert_eq!(ok.verification.tlog_entries.len(), 1);
        assert_eq!(ok.verification.tlog_entries[0].kind, "hashedrekord 0.0.1");
        assert_eq!(ok.verification.tlog_entries[0].log_index, 18589865);
        assert_eq!(
            ok.verification.signing_times,
            [jiff::Timestamp::from_second(1682104435).unwrap()]
        );
        assert!(ok.statement.is_none());
    }

    #[test]
    fn regression_issue_17_a_real_legacy_signature_refuses_another_identity() {
        for wrong in [
            google("someone@cosign-test-384419.iam.gserviceaccount.com"),
            ExpectedIdentity {
                subject: SUBJECT.into(),
                issuer: "https://token.actions.githubusercontent.com".into(),
            },
        ] {
            let err = verify_keyless_layer(&real(), &image(), &public_good(), &wrong).unwrap_err();
            assert!(matches!(err, Error::IdentityMismatch { .. }), "{err}");
        }
    }

    #[test]
    fn regression_issue_17_a_real_legacy_signature_refuses_each_change() {
        let fails = |a: &Attachment, image: &Sha256, root: &TrustedRoot| {
            verify_keyless_layer(a, image, root, &google(SUBJECT))
                .unwrap_err()
                .to_string()
        };
        // A changed payload byte (still a simple-signing document).
        let mut payload = vector("sig-payload.json");
        let at = payload
            .windows(11)
            .position(|w| w == b"securebuild")
            .unwrap();
        payload[at] = b'S';
        let err = fails(
            &layer("sig-manifest.json", 1, payload),
            &image(),
            &public_good(),
        );
        assert!(err.contains("does not verify"), "{err}");
        // A changed byte of the signed entry timestamp.
        let mut a = real();
        let mut rekor: serde_json::Value =
            serde_json::from_str(keyless(&mut a).rekor_bundle.as_ref().unwrap()).unwrap();
        let mut set = B64
            .decode(rekor["SignedEntryTimestamp"].as_str().unwrap())
            .unwrap();
        let last = set.len() - 3;
        set[last] ^= 1;
        rekor["SignedEntryTimestamp"] = B64.encode(set).into();
        keyless(&mut a).rekor_bundle = Some(rekor.to_string());
        let err = fails(&a, &image(), &public_good());
        assert!(err.contains("SET verification failed"), "{err}");
        // A genuine Rekor entry of another signature (same log, same kind).
        let other = layer("other-sig-manifest.json", 1, Vec::new());
        let mut a = real();
        keyless(&mut a).rekor_bundle = other.keyless.unwrap().rekor_bundle;
        let err = fails(&a, &image(), &public_good());
        assert!(err.contains("does not verify"), "{err}");
        // A certificate of another CA in place of the leaf.
        let test = TestSigstore::new();
        let (_, leaf) = test.leaf(SUBJECT, GOOGLE);
        let mut a = real();
        keyless(&mut a).certificate =
            spki::der::pem::encode_string("CERTIFICATE", spki::der::pem::LineEnding::LF, &leaf)
                .unwrap();
        let err = fails(&a, &image(), &public_good());
        assert!(err.contains("does not verify"), "{err}");
        // The same layer under another CA's root (staging): nothing chains.
        let err = fails(
            &real(),
            &image(),
            &TrustedRoot::public_good_staging().unwrap(),
        );
        assert!(err.contains("does not verify"), "{err}");
        // The payload names another image.
        let err = fails(&real(), &sha256(b"another image"), &public_good());
        assert!(err.contains(&format!("signature is for {IMAGE}")), "{err}");
    }

    #[test]
    fn regression_issue_17_no_rekor_bundle_is_no_fallback() {
        let mut a = real();
        keyless(&mut a).rekor_bundle = None;
        let err = verify_keyless_layer(&a, &image(), &public_good(), &google(SUBJECT)).unwrap_err();
        assert!(matches!(err, Error::LegacyKeyless(_)), "{err}");
        assert!(
            err.to_string().contains("no dev.sigstore.cosign/bundle"),
            "{err}"
        );
        // Nor does a layer without a certificate verify keyless.
        let keyed = layer("sig-manifest.json", 0, vector("sig-payload.json"));
        assert!(keyed.keyless.is_none());
        let err =
            verify_keyless_layer(&keyed, &image(), &public_good(), &google(SUBJECT)).unwrap_err();
        assert!(matches!(err, Error::WrongMaterial(_)), "{err}");
        // A malformed bundle annotation, or one with unknown fields.
        for bad in [
            "{}",
            "not json",
            r#"{"SignedEntryTimestamp":"","Payload":{"body":"","integratedTime":1,"logIndex":1,"logID":"00"},"Extra":1}"#,
        ] {
            let mut a = real();
            keyless(&mut a).rekor_bundle = Some(bad.into());
            let err =
                verify_keyless_layer(&a, &image(), &public_good(), &google(SUBJECT)).unwrap_err();
            assert!(matches!(err, Error::LegacyKeyless(_)), "{bad}: {err}");
        }
        // A timestamp annotation is verified too, never skipped: a
        // malformed one is refused, and so is one that is no timestamp.
        let mut a = real();
        keyless(&mut a).rfc3161_timestamp = Some("{}".into());
        let err = verify_keyless_layer(&a, &image(), &public_good(), &google(SUBJECT)).unwrap_err();
        assert!(matches!(err, Error::LegacyKeyless(_)), "{err}");
        keyless(&mut a).rfc3161_timestamp = Some(r#"{"SignedRFC3161Timestamp":"AAAA"}"#.into());
        assert!(verify_keyless_layer(&a, &image(), &public_good(), &google(SUBJECT)).is_err());
    }

    const CI: &str = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main";
    const GITHUB: &str = "https://token.actions.githubusercontent.com";

    fn ci() -> ExpectedIdentity {
        ExpectedIdentity {
            subject: CI.into(),
            issuer: GITHUB.into(),
        }
    }

    fn statement(image: &Sha256) -> Vec<u8> {
        format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app","digest":{{"sha256":"{}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{{}}}}"#,
            image.hex()
        )
        .into_bytes()
    }

    fn attestation(envelope: Envelope, keyless: LegacyKeyless) -> Attachment {
        Attachment {
            format: Format::Legacy,
            kind: Kind::Attestation,
            predicate_type: None,
            created: None,
            digest: sha256(&envelope.to_json()),
            evidence: Evidence::Dsse(envelope),
            keyless: Some(keyless),
        }
    }

    use vouch_evidence::dsse::Envelope;

    #[test]
    fn legacy_keyless_attestations_verify_as_cosign_logged_them() {
        let test = TestSigstore::new();
        let root = TrustedRoot::from_json(test.trusted_root().as_bytes()).unwrap();
        let image = sha256(b"manifest");
        for entry in [AttestationEntry::IntotoV002, AttestationEntry::DsseV001] {
            let (envelope, keyless) =
                test.attest_legacy(CI, GITHUB, entry, IN_TOTO_PAYLOAD_TYPE, &statement(&image));
            let a = attestation(envelope, keyless);
            let ok = verify_keyless_layer(&a, &image, &root, &ci()).unwrap();
            assert_eq!(ok.verification.identity.subject, CI);
            assert_eq!(
                ok.statement.unwrap().predicate_type(),
                "https://slsa.dev/provenance/v1"
            );
            // Negative controls: another identity, another root, another image.
            let wrong = ExpectedIdentity {
                subject: format!("{CI}x"),
                issuer: GITHUB.into(),
            };
            assert!(matches!(
                verify_keyless_layer(&a, &image, &root, &wrong).unwrap_err(),
                Error::IdentityMismatch { .. }
            ));
            assert!(verify_keyless_layer(&a, &image, &public_good(), &ci()).is_err());
            let err = verify_keyless_layer(&a, &sha256(b"other"), &root, &ci())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("artifact hash does not match any subject"),
                "{err}"
            );
        }
    }

    #[test]
    fn regression_issue_17_a_legacy_attestation_binds_its_envelope_and_entry() {
        let test = TestSigstore::new();
        let root = TrustedRoot::from_json(test.trusted_root().as_bytes()).unwrap();
        let image = sha256(b"manifest");
        let (envelope, keyless) = test.attest_legacy(
            CI,
            GITHUB,
            AttestationEntry::IntotoV002,
            IN_TOTO_PAYLOAD_TYPE,
            &statement(&image),
        );
        // Another envelope (signed by another leaf, logged elsewhere) with
        // this layer's annotations: the entry does not describe it.
        let (other, other_keyless) = test.attest_legacy(
            CI,
            GITHUB,
            AttestationEntry::IntotoV002,
            IN_TOTO_PAYLOAD_TYPE,
            &statement(&image),
        );
        let err = verify_keyless_layer(
            &attestation(other.clone(), keyless.clone()),
            &image,
            &root,
            &ci(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("does not verify"), "{err}");
        // This envelope with the other entry's Rekor bundle (and its own leaf).
        let mut swapped = keyless.clone();
        swapped.rekor_bundle = other_keyless.rekor_bundle;
        let err = verify_keyless_layer(
            &attestation(envelope.clone(), swapped),
            &image,
            &root,
            &ci(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("does not verify"), "{err}");
        // A signature logged as hashedrekord cannot pass for an attestation,
        // nor the reverse.
        let (_, sig_keyless) = test.sign_legacy(CI, GITHUB, b"payload");
        let err = verify_keyless_layer(&attestation(envelope, sig_keyless), &image, &root, &ci())
            .unwrap_err()
            .to_string();
        assert!(err.contains("hashedrekord 0.0.1"), "{err}");
    }

    #[test]
    fn intoto_v001_entries_are_refused_by_name() {
        let test = TestSigstore::new();
        let root = TrustedRoot::from_json(test.trusted_root().as_bytes()).unwrap();
        let image = sha256(b"manifest");
        let (envelope, keyless) = test.attest_legacy(
            CI,
            GITHUB,
            AttestationEntry::IntotoV001,
            IN_TOTO_PAYLOAD_TYPE,
            &statement(&image),
        );
        let err = verify_keyless_layer(&attestation(envelope, keyless), &image, &root, &ci())
            .unwrap_err();
        assert!(matches!(err, Error::LegacyKeyless(_)), "{err}");
        assert!(err.to_string().contains("intoto 0.0.1"), "{err}");
    }

    #[test]
    fn a_generated_legacy_signature_verifies_under_its_own_root_only() {
        let test = TestSigstore::new();
        let root = TrustedRoot::from_json(test.trusted_root().as_bytes()).unwrap();
        let image = sha256(b"manifest");
        let payload = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"registry.test/app"}},"image":{{"docker-manifest-digest":"{image}"}},"type":"cosign container image signature"}},"optional":null}}"#
        )
        .into_bytes();
        let (signature, keyless) = test.sign_legacy(CI, GITHUB, &payload);
        let a = Attachment {
            format: Format::Legacy,
            kind: Kind::Signature,
            predicate_type: None,
            created: None,
            digest: sha256(&payload),
            evidence: Evidence::SimpleSigning { payload, signature },
            keyless: Some(keyless),
        };
        let ok = verify_keyless_layer(&a, &image, &root, &ci()).unwrap();
        assert_eq!(ok.verification.identity.subject, CI);
        assert!(verify_keyless_layer(&a, &image, &public_good(), &ci()).is_err());
        // Another test Sigstore's root: another CA and another log.
        let stranger =
            TrustedRoot::from_json(TestSigstore::new().trusted_root().as_bytes()).unwrap();
        let err = verify_keyless_layer(&a, &image, &stranger, &ci())
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not verify"), "{err}");
    }
}
