//! One conformance suite that every Store backend passes: the in-memory
//! store with and without a referrers API, and the OCI layout directory.
//! (The remote backend runs the same checks against a real registry in the
//! CLI's integration tests.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::BTreeMap;
use std::sync::Arc;

use vouch_evidence::bundle::Bundle;
use vouch_evidence::digest::sha256;
use vouch_evidence::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use vouch_evidence::keys::{Algorithm, PrivateKey};
use vouch_registry::attach::{self, Evidence, Format, Kind};
use vouch_registry::layout::LayoutStore;
use vouch_registry::memory::MemoryStore;
use vouch_registry::oci::{Descriptor, ImageManifest, Manifest, OCI_MANIFEST};
use vouch_registry::reference::ImageRef;
use vouch_registry::{Error, Limits, Repository, Store};

type Factory = fn(&tempfile::TempDir) -> Arc<dyn Store>;

fn backends() -> Vec<(&'static str, Factory)> {
    vec![
        ("memory", |_| Arc::new(MemoryStore::new())),
        ("memory+referrers", |_| {
            Arc::new(MemoryStore::with_referrers_api())
        }),
        ("layout", |dir| {
            Arc::new(LayoutStore::create(dir.path().join("layout")).unwrap())
        }),
    ]
}

/// Pushes a one-layer image tagged `tag`; returns its descriptor.
async fn push_image(repo: &Repository, tag: &str, content: &[u8]) -> Descriptor {
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

#[tokio::test]
async fn blobs_manifests_and_tags_round_trip() {
    for (name, make) in backends() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::new(make(&dir), "team/app", Limits::default());
        let image = push_image(&repo, "v1", b"layer").await;
        let image_ref: ImageRef = "oci:unused:v1".parse().unwrap();
        assert_eq!(
            repo.resolve(&image_ref).await.unwrap().digest,
            image.digest,
            "{name}"
        );
        let fetched = repo.manifest(&image.digest).await.unwrap();
        assert_eq!(sha256(&fetched.bytes), image.digest, "{name}");
        let Manifest::Image(m) = fetched.manifest else {
            panic!("{name}: not an image")
        };
        assert_eq!(repo.blob(&m.layers[0]).await.unwrap(), b"layer", "{name}");
        // Retagging moves the tag.
        let other = push_image(&repo, "v1", b"other layer").await;
        assert_eq!(
            repo.resolve_tag("v1").await.unwrap().unwrap().digest,
            other.digest,
            "{name}"
        );
        // Absent things are reported as such.
        let missing: ImageRef = "oci:unused:nope".parse().unwrap();
        let err = repo.resolve(&missing).await.unwrap_err().to_string();
        assert!(err.contains("tag nope not found"), "{name}: {err}");
        let err = repo
            .manifest(&sha256(b"nothing"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("not found"), "{name}: {err}");
    }
}

#[tokio::test]
async fn sizes_are_capped_before_reading() {
    for (name, make) in backends() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            max_blob_bytes: 8,
            ..Limits::default()
        };
        let repo = Repository::new(make(&dir), "app", limits);
        let big = repo.put_blob("x", b"0123456789").await.unwrap();
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
            "{name}: {err}"
        );
        // A 10 GiB declaration is refused without reading anything.
        let mut huge = big.clone();
        huge.size = 10 << 30;
        assert!(
            matches!(repo.blob(&huge).await.unwrap_err(), Error::TooLarge { .. }),
            "{name}"
        );
        // A blob that holds more than it declares is refused.
        let small = repo.put_blob("x", b"0123").await.unwrap();
        let mut lying = Descriptor::of("x", b"0123456789");
        lying.size = 4;
        let err = repo.blob(&lying).await.unwrap_err().to_string();
        assert!(err.contains("declared 4 bytes"), "{name}: {err}");
        assert_eq!(repo.blob(&small).await.unwrap(), b"0123");
    }
}

#[tokio::test]
async fn bundles_and_legacy_attachments_are_written_and_listed() {
    let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    for (name, make) in backends() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::new(make(&dir), "app", Limits::default());
        let image = push_image(&repo, "v1", b"layer").await;
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

        let found = attach::list(&repo, &image.digest).await.unwrap();
        let summary: Vec<(Format, Kind, Option<&str>)> = found
            .iter()
            .map(|a| (a.format, a.kind, a.predicate_type.as_deref()))
            .collect();
        assert_eq!(found.len(), 4, "{name}: {summary:?}");
        assert!(
            summary.contains(&(
                Format::Bundle,
                Kind::Attestation,
                Some("https://slsa.dev/provenance/v1")
            )),
            "{name}"
        );
        assert!(
            summary.contains(&(Format::Bundle, Kind::Signature, None)),
            "{name}"
        );
        assert!(
            summary.contains(&(Format::Legacy, Kind::Signature, None)),
            "{name}"
        );
        assert!(
            summary.contains(&(
                Format::Legacy,
                Kind::Attestation,
                Some("https://slsa.dev/provenance/v1")
            )),
            "{name}"
        );
        for a in &found {
            match &a.evidence {
                Evidence::SimpleSigning {
                    payload: p,
                    signature,
                } => {
                    assert_eq!(p, payload);
                    assert_eq!(signature, b"sig");
                }
                Evidence::Dsse(e) => assert_eq!(e.unverified_payload(), statement),
                Evidence::Bundle(_) => assert_eq!(a.created.as_deref(), Some(created)),
            }
        }
        // Nothing is attached to another image.
        let other = push_image(&repo, "v2", b"other").await;
        assert!(
            attach::list(&repo, &other.digest).await.unwrap().is_empty(),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_attaches_all_survive() {
    for (name, make) in backends() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::new(make(&dir), "app", Limits::default());
        let image = push_image(&repo, "v1", b"layer").await;
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
            attach::list(&repo, &image.digest).await.unwrap().len(),
            8,
            "{name}"
        );
    }
}

#[tokio::test]
async fn too_many_attachments_is_an_error_not_a_truncation() {
    let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    for (name, make) in backends() {
        let dir = tempfile::tempdir().unwrap();
        let store = make(&dir);
        let repo = Repository::new(store.clone(), "app", Limits::default());
        let image = push_image(&repo, "v1", b"layer").await;
        for i in 0..4 {
            let bundle = Bundle::sign_message(&key, format!("{i}").as_bytes()).unwrap();
            attach::attach_bundle(&repo, &image, &bundle, "t", &BTreeMap::new())
                .await
                .unwrap();
        }
        let strict = Repository::new(
            store,
            "app",
            Limits {
                max_attachments: 3,
                ..Limits::default()
            },
        );
        let err = attach::list(&strict, &image.digest).await.unwrap_err();
        assert!(
            matches!(err, Error::TooMany { limit: 3, .. }),
            "{name}: {err}"
        );
    }
}

#[tokio::test]
async fn a_fallback_entry_for_another_subject_is_rejected() {
    let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    let repo = Repository::new(Arc::new(MemoryStore::new()), "app", Limits::default());
    let victim = push_image(&repo, "v1", b"victim").await;
    let other = push_image(&repo, "v2", b"other").await;
    let bundle = Bundle::sign_message(&key, b"x").unwrap();
    attach::attach_bundle(&repo, &other, &bundle, "t", &BTreeMap::new())
        .await
        .unwrap();
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
    let err = attach::list(&repo, &victim.digest)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not name"), "{err}");
}
