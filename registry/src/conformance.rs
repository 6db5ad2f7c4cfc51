//! The conformance suite every [`Store`](crate::Store) backend passes: the
//! in-memory store (with and without a referrers API) and the layout
//! directory in this crate's tests, and the remote backend against real
//! Distribution registries (plain, and TLS with authentication) in the CLI's.
//!
//! Compiled only with the `conformance` feature, for tests. Each check
//! panics on failure: its assertions are the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;

use vouch_evidence::bundle::Bundle;
use vouch_evidence::digest::sha256;
use vouch_evidence::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use vouch_evidence::keys::{Algorithm, PrivateKey};

use crate::attach::{self, Evidence, Format, Kind};
use crate::oci::{
    referrer_descriptor, Descriptor, ImageManifest, Manifest, EMPTY_JSON, EMPTY_JSON_CONTENT,
    OCI_MANIFEST,
};
use crate::reference::ImageRef;
use crate::{Error, Limits, Repository};

/// Opens repository `name` of the backend under test with `limits`; the
/// same name must give the same repository.
pub type Open<'a> = &'a (dyn Fn(&str, Limits) -> Repository + Send + Sync);

/// Runs every check against one backend, `backend` naming it in messages.
pub async fn run(backend: &str, open: Open<'_>) {
    round_trip(backend, open).await;
    sizes_are_capped(backend, open).await;
    attachments_in_both_formats(backend, open).await;
    concurrent_attaches(backend, open).await;
    too_many_attachments(backend, open).await;
    foreign_fallback_entry(backend, open).await;
    bad_entries_are_skipped(backend, open).await;
    junk_is_filtered_before_the_cap(backend, open).await;
    only_wanted_predicate_types_are_fetched(backend, open).await;
}

/// Pushes a one-layer image tagged `tag`; returns its descriptor.
pub async fn push_image(repo: &Repository, tag: &str, content: &[u8]) -> Descriptor {
    let config = repo
        .put_blob(
            "application/vnd.oci.image.config.v1+json",
            b"{\"os\":\"linux\"}",
        )
        .await
        .unwrap();
    let layer = repo
        .put_blob("application/vnd.oci.image.layer.v1.tar", content)
        .await
        .unwrap();
    let manifest = Manifest::Image(ImageManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.into()),
        artifact_type: None,
        config,
        layers: vec![layer],
        subject: None,
        annotations: BTreeMap::new(),
    });
    repo.put_manifest(&manifest, Some(tag)).await.unwrap()
}

fn statement_for(subject: &Descriptor) -> Vec<u8> {
    format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"{}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{{}}}}"#,
        subject.digest.hex()
    )
    .into_bytes()
}

async fn round_trip(backend: &str, open: Open<'_>) {
    let repo = open("conformance/round-trip", Limits::default());
    let image = push_image(&repo, "rt-v1", b"round-trip layer").await;
    let by_tag: ImageRef = "oci:unused:rt-v1".parse().unwrap();
    assert_eq!(
        repo.resolve(&by_tag).await.unwrap().digest,
        image.digest,
        "{backend}"
    );
    let fetched = repo.manifest(&image.digest).await.unwrap();
    assert_eq!(sha256(&fetched.bytes), image.digest, "{backend}");
    let Manifest::Image(m) = fetched.manifest else {
        panic!("{backend}: not an image")
    };
    assert_eq!(
        repo.blob(&m.layers[0]).await.unwrap(),
        b"round-trip layer",
        "{backend}"
    );
    // Retagging moves the tag.
    let other = push_image(&repo, "rt-v1", b"round-trip other layer").await;
    assert_eq!(
        repo.resolve_tag("rt-v1").await.unwrap().unwrap().digest,
        other.digest,
        "{backend}"
    );
    // Absent things are reported as such.
    let missing: ImageRef = "oci:unused:rt-nope".parse().unwrap();
    let err = repo.resolve(&missing).await.unwrap_err().to_string();
    assert!(err.contains("tag rt-nope not found"), "{backend}: {err}");
    let err = repo
        .manifest(&sha256(b"nothing"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not found"), "{backend}: {err}");
}

async fn sizes_are_capped(backend: &str, open: Open<'_>) {
    let limits = Limits {
        max_blob_bytes: 8,
        ..Limits::default()
    };
    let repo = open("conformance/sizes", limits);
    let big = repo
        .put_blob("application/octet-stream", b"0123456789")
        .await
        .unwrap();
    let err = repo.blob(&big).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                size: 10,
                limit: 8,
                ..
            }
        ),
        "{backend}: {err}"
    );
    // A 10 GiB declaration is refused without reading anything.
    let mut huge = big.clone();
    huge.size = 10 << 30;
    assert!(
        matches!(repo.blob(&huge).await.unwrap_err(), Error::TooLarge { .. }),
        "{backend}"
    );
    // A blob that holds more than it declares is refused.
    let mut lying = big.clone();
    lying.size = 4;
    let err = repo.blob(&lying).await.unwrap_err().to_string();
    assert!(
        err.contains("declared 4 bytes") || err.contains("over the limit"),
        "{backend}: {err}"
    );
    let small = repo
        .put_blob("application/octet-stream", b"0123")
        .await
        .unwrap();
    assert_eq!(repo.blob(&small).await.unwrap(), b"0123", "{backend}");
}

async fn attachments_in_both_formats(backend: &str, open: Open<'_>) {
    let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    let repo = open("conformance/attachments", Limits::default());
    let image = push_image(&repo, "at-v1", b"attachments layer").await;
    let statement = statement_for(&image);
    let dsse = Bundle::sign_dsse(&key, IN_TOTO_PAYLOAD_TYPE, &statement).unwrap();
    let message = Bundle::sign_message(&key, image.digest.to_string().as_bytes()).unwrap();
    let created = "2026-11-26T00:00:00Z";
    attach::attach_bundle(&repo, &image, &dsse, created, &BTreeMap::new())
        .await
        .unwrap();
    attach::attach_bundle(&repo, &image, &message, created, &BTreeMap::new())
        .await
        .unwrap();
    // Attaching the same bundle again adds nothing.
    attach::attach_bundle(&repo, &image, &dsse, created, &BTreeMap::new())
        .await
        .unwrap();
    let payload = b"{\"critical\":{}}";
    attach::attach_legacy_signature(&repo, &image.digest, payload, b"sig")
        .await
        .unwrap();
    let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &statement, &[&key]).unwrap();
    attach::attach_legacy_attestation(
        &repo,
        &image.digest,
        &envelope,
        "https://slsa.dev/provenance/v1",
    )
    .await
    .unwrap();
    attach::attach_legacy_signature(&repo, &image.digest, payload, b"sig")
        .await
        .unwrap();

    let listing = attach::list(&repo, &image.digest, None).await.unwrap();
    assert!(
        listing.ignored.is_empty(),
        "{backend}: {:?}",
        listing.ignored
    );
    let found = listing.attachments;
    let summary: Vec<(Format, Kind, Option<&str>)> = found
        .iter()
        .map(|a| (a.format, a.kind, a.predicate_type.as_deref()))
        .collect();
    assert_eq!(found.len(), 4, "{backend}: {summary:?}");
    for expected in [
        (
            Format::Bundle,
            Kind::Attestation,
            Some("https://slsa.dev/provenance/v1"),
        ),
        (Format::Bundle, Kind::Signature, None),
        (Format::Legacy, Kind::Signature, None),
        (
            Format::Legacy,
            Kind::Attestation,
            Some("https://slsa.dev/provenance/v1"),
        ),
    ] {
        assert!(
            summary.contains(&expected),
            "{backend}: {expected:?} missing from {summary:?}"
        );
    }
    for a in &found {
        match &a.evidence {
            Evidence::SimpleSigning {
                payload: p,
                signature,
            } => {
                assert_eq!(p, payload, "{backend}");
                assert_eq!(signature, b"sig", "{backend}");
            }
            Evidence::Dsse(e) => assert_eq!(e.unverified_payload(), statement, "{backend}"),
            Evidence::Bundle(_) => assert_eq!(a.created.as_deref(), Some(created), "{backend}"),
        }
    }
    // Nothing is attached to another image.
    let other = push_image(&repo, "at-v2", b"attachments other layer").await;
    assert!(
        attach::list(&repo, &other.digest, None)
            .await
            .unwrap()
            .attachments
            .is_empty(),
        "{backend}"
    );
}

async fn concurrent_attaches(backend: &str, open: Open<'_>) {
    let repo = open("conformance/concurrent", Limits::default());
    let image = push_image(&repo, "cc-v1", b"concurrent layer").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (repo, image) = (repo.clone(), image.clone());
        tasks.push(tokio::spawn(async move {
            let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
            let bundle =
                Bundle::sign_dsse(&key, IN_TOTO_PAYLOAD_TYPE, &statement_for(&image)).unwrap();
            attach::attach_bundle(
                &repo,
                &image,
                &bundle,
                "2026-11-26T00:00:00Z",
                &BTreeMap::new(),
            )
            .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        attach::list(&repo, &image.digest, None)
            .await
            .unwrap()
            .attachments
            .len(),
        8,
        "{backend}"
    );
}

async fn too_many_attachments(backend: &str, open: Open<'_>) {
    let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    let repo = open("conformance/too-many", Limits::default());
    let image = push_image(&repo, "tm-v1", b"too many layer").await;
    for i in 0..4 {
        let bundle = Bundle::sign_message(&key, format!("{i}").as_bytes()).unwrap();
        attach::attach_bundle(&repo, &image, &bundle, "t", &BTreeMap::new())
            .await
            .unwrap();
    }
    let strict = open(
        "conformance/too-many",
        Limits {
            max_attachments: 3,
            ..Limits::default()
        },
    );
    let err = attach::list(&strict, &image.digest, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::TooMany { limit: 3, .. }),
        "{backend}: {err}"
    );
}

async fn foreign_fallback_entry(backend: &str, open: Open<'_>) {
    let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    let repo = open("conformance/foreign", Limits::default());
    let victim = push_image(&repo, "ff-v1", b"foreign victim").await;
    let other = push_image(&repo, "ff-v2", b"foreign other").await;
    let bundle = Bundle::sign_message(&key, b"x").unwrap();
    attach::attach_bundle(&repo, &other, &bundle, "t", &BTreeMap::new())
        .await
        .unwrap();
    if repo.referrers(&other.digest).await.unwrap().is_some() {
        return; // a referrers API has no fallback tag to forge
    }
    // Copy the other image's fallback index under the victim's fallback tag.
    let index = repo
        .tagged(&attach::fallback_tag(&other.digest))
        .await
        .unwrap()
        .unwrap();
    repo.put_manifest_bytes(
        &index.bytes,
        &index.descriptor.media_type,
        Some(&attach::fallback_tag(&victim.digest)),
    )
    .await
    .unwrap();
    // The entry is skipped, saying why, rather than taken or fatal.
    let listing = attach::list(&repo, &victim.digest, None).await.unwrap();
    assert!(listing.attachments.is_empty(), "{backend}");
    assert_eq!(listing.ignored.len(), 1, "{backend}: {:?}", listing.ignored);
    let reason = &listing.ignored[0].reason;
    assert!(reason.contains("does not name"), "{backend}: {reason}");
}

/// Pushes a manifest whose subject is `subject`, of `artifact_type`, with
/// one layer of `layer_type` holding `layer`, and makes it findable from
/// the subject; returns its referrer descriptor.
pub async fn push_referrer(
    repo: &Repository,
    subject: &Descriptor,
    artifact_type: &str,
    layer_type: &str,
    layer: &[u8],
) -> Descriptor {
    let config = repo.put_blob(EMPTY_JSON, EMPTY_JSON_CONTENT).await.unwrap();
    let layer = repo.put_blob(layer_type, layer).await.unwrap();
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.into()),
        artifact_type: Some(artifact_type.into()),
        config,
        layers: vec![layer],
        subject: Some(Descriptor {
            annotations: BTreeMap::new(),
            ..subject.clone()
        }),
        annotations: BTreeMap::new(),
    };
    let bytes = crate::oci::to_json(&manifest);
    repo.put_manifest_bytes(&bytes, OCI_MANIFEST, None)
        .await
        .unwrap();
    let entry = referrer_descriptor(&bytes, &manifest);
    attach::register_referrers(repo, &subject.digest, std::slice::from_ref(&entry))
        .await
        .unwrap();
    entry
}

/// One bad entry does not hide the good ones (issue 8, finding 15): a
/// bundle referrer whose layer is no bundle, one that names another subject
/// (only a fallback index can list it), and a legacy layer without its
/// signature are each skipped with their reason, and the good signatures
/// next to them are still listed.
pub async fn bad_entries_are_skipped(backend: &str, open: Open<'_>) {
    let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    let repo = open("conformance/bad-entries", Limits::default());
    let image = push_image(&repo, "be-v1", b"bad entries victim").await;
    let good = Bundle::sign_message(&key, b"good").unwrap();
    attach::attach_bundle(&repo, &image, &good, "t", &BTreeMap::new())
        .await
        .unwrap();
    let junk = push_referrer(
        &repo,
        &image,
        attach::BUNDLE_ARTIFACT_TYPE,
        attach::BUNDLE_ARTIFACT_TYPE,
        b"{\"not\":\"a bundle\"}",
    )
    .await;
    let has_api = repo.referrers(&image.digest).await.unwrap().is_some();
    let mut foreign = None;
    if !has_api {
        // Another image's referrer, listed in this image's fallback index.
        let other = push_image(&repo, "be-v2", b"bad entries other").await;
        let theirs = Bundle::sign_message(&key, b"theirs").unwrap();
        let d = attach::attach_bundle(&repo, &other, &theirs, "t", &BTreeMap::new())
            .await
            .unwrap();
        let listed = attach::referrers(&repo, &other.digest, &mut Vec::new())
            .await
            .unwrap();
        let entry = listed.into_iter().find(|e| e.digest == d.digest).unwrap();
        attach::register_referrers(&repo, &image.digest, &[entry])
            .await
            .unwrap();
        foreign = Some(d.digest);
    }
    // A legacy image whose first layer lacks its signature annotation.
    let payload = b"{\"critical\":{}}";
    let mut bad_layer = repo
        .put_blob(attach::COSIGN_SIMPLE_SIGNING, b"{\"unsigned\":1}")
        .await
        .unwrap();
    bad_layer.annotations.clear();
    let mut good_layer = repo
        .put_blob(attach::COSIGN_SIMPLE_SIGNING, payload)
        .await
        .unwrap();
    good_layer
        .annotations
        .insert(attach::COSIGN_SIGNATURE_ANNOTATION.into(), "c2ln".into());
    let config = repo
        .put_blob("application/vnd.oci.image.config.v1+json", b"{}")
        .await
        .unwrap();
    let legacy = Manifest::Image(ImageManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.into()),
        artifact_type: None,
        config,
        layers: vec![bad_layer.clone(), good_layer],
        subject: None,
        annotations: BTreeMap::new(),
    });
    repo.put_manifest(&legacy, Some(&attach::legacy_signature_tag(&image.digest)))
        .await
        .unwrap();

    let listing = match attach::list(&repo, &image.digest, None).await {
        Ok(listing) => listing,
        Err(e) => panic!("{backend}: one bad entry hid the good ones: {e}"),
    };
    let summary: Vec<(Format, Kind)> = listing
        .attachments
        .iter()
        .map(|a| (a.format, a.kind))
        .collect();
    assert_eq!(summary.len(), 2, "{backend}: {summary:?}");
    assert!(
        summary.contains(&(Format::Bundle, Kind::Signature))
            && summary.contains(&(Format::Legacy, Kind::Signature)),
        "{backend}: {summary:?}"
    );
    // Each bad entry is reported, saying why.
    let why = |digest| {
        let found = listing.ignored.iter().find(|i| i.digest == digest);
        match found {
            Some(i) => i.reason.clone(),
            None => panic!("{backend}: {digest} not reported: {:?}", listing.ignored),
        }
    };
    assert!(why(junk.digest).contains("bundle layer of"), "{backend}");
    assert!(
        why(bad_layer.digest).contains("has no dev.cosignproject.cosign/signature annotation"),
        "{backend}"
    );
    if let Some(foreign) = foreign {
        let reason = why(foreign);
        assert!(reason.contains("does not name"), "{backend}: {reason}");
    }
    let expected = if has_api { 2 } else { 3 };
    assert_eq!(
        listing.ignored.len(),
        expected,
        "{backend}: {:?}",
        listing.ignored
    );
}

/// Entries that are no Sigstore bundles by their descriptor are dropped
/// before the attachment cap is applied (issue 8, finding 15): more of them
/// than the cap allows do not hide the one signature.
pub async fn junk_is_filtered_before_the_cap(backend: &str, open: Open<'_>) {
    let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    let repo = open("conformance/junk", Limits::default());
    let image = push_image(&repo, "jk-v1", b"junk victim").await;
    for i in 0..5 {
        push_referrer(
            &repo,
            &image,
            "application/vnd.example.sbom+json",
            "application/json",
            format!("{{\"junk\":{i}}}").as_bytes(),
        )
        .await;
    }
    let bundle = Bundle::sign_message(&key, b"one").unwrap();
    attach::attach_bundle(&repo, &image, &bundle, "t", &BTreeMap::new())
        .await
        .unwrap();
    let strict = open(
        "conformance/junk",
        Limits {
            max_attachments: 2,
            ..Limits::default()
        },
    );
    let listing = match attach::list(&strict, &image.digest, None).await {
        Ok(listing) => listing,
        Err(e) => panic!("{backend}: junk referrers hid the signature: {e}"),
    };
    assert_eq!(listing.attachments.len(), 1, "{backend}");
    assert_eq!(listing.attachments[0].kind, Kind::Signature, "{backend}");
    // Entries of other types are not ours to report.
    assert!(
        listing.ignored.is_empty(),
        "{backend}: {:?}",
        listing.ignored
    );
}

/// With a predicate-type filter, only the entries whose declared type it
/// accepts, and those declaring none, are fetched: here the one of another
/// type is unreadable, and it is not even reported.
pub async fn only_wanted_predicate_types_are_fetched(backend: &str, open: Open<'_>) {
    let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    let repo = open("conformance/wanted", Limits::default());
    let image = push_image(&repo, "wt-v1", b"wanted").await;
    let statement = statement_for(&image);
    let provenance = Bundle::sign_dsse(&key, IN_TOTO_PAYLOAD_TYPE, &statement).unwrap();
    attach::attach_bundle(&repo, &image, &provenance, "t", &BTreeMap::new())
        .await
        .unwrap();
    let message = Bundle::sign_message(&key, b"sig").unwrap();
    attach::attach_bundle(&repo, &image, &message, "t", &BTreeMap::new())
        .await
        .unwrap();
    // An SBOM referrer whose layer is no bundle at all.
    let sbom = "https://cyclonedx.org/bom";
    let config = repo.put_blob(EMPTY_JSON, EMPTY_JSON_CONTENT).await.unwrap();
    let layer = repo
        .put_blob(attach::BUNDLE_ARTIFACT_TYPE, b"not a bundle")
        .await
        .unwrap();
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.into()),
        artifact_type: Some(attach::BUNDLE_ARTIFACT_TYPE.into()),
        config,
        layers: vec![layer],
        subject: Some(Descriptor {
            annotations: BTreeMap::new(),
            ..image.clone()
        }),
        annotations: BTreeMap::from([(
            attach::ANNOTATION_BUNDLE_PREDICATE_TYPE.to_string(),
            sbom.to_string(),
        )]),
    };
    let bytes = crate::oci::to_json(&manifest);
    repo.put_manifest_bytes(&bytes, OCI_MANIFEST, None)
        .await
        .unwrap();
    attach::register_referrers(
        &repo,
        &image.digest,
        &[referrer_descriptor(&bytes, &manifest)],
    )
    .await
    .unwrap();

    let all = attach::list(&repo, &image.digest, None).await.unwrap();
    assert_eq!(all.attachments.len(), 2, "{backend}");
    assert_eq!(all.ignored.len(), 1, "{backend}: {:?}", all.ignored);
    assert_eq!(
        all.ignored[0].predicate_type.as_deref(),
        Some(sbom),
        "{backend}"
    );
    let provenance_only = |p: &str| p == "https://slsa.dev/provenance/v1";
    let some = attach::list(&repo, &image.digest, Some(&provenance_only))
        .await
        .unwrap();
    assert!(some.ignored.is_empty(), "{backend}: {:?}", some.ignored);
    let mut kinds: Vec<Kind> = some.attachments.iter().map(|a| a.kind).collect();
    kinds.sort_by_key(|k| *k == Kind::Signature);
    assert_eq!(kinds, [Kind::Attestation, Kind::Signature], "{backend}");
}
