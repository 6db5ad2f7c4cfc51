use super::*;
use crate::remote::stub::*;
use crate::remote::RemoteOptions;

#[test]
fn follows_next_links_on_the_same_host_only() {
    let store = RemoteStore::new("127.0.0.1:5000", RemoteOptions::default()).unwrap();
    *store.scheme.lock().unwrap() = Some("http");
    assert_eq!(
        store
            .next_link(r#"</v2/app/referrers/sha256:00?n=10&last=x>; rel="next""#)
            .as_deref(),
        Some("http://127.0.0.1:5000/v2/app/referrers/sha256:00?n=10&last=x")
    );
    assert_eq!(
        store.next_link(r#"<https://evil.example/v2/x>; rel="next""#),
        None
    );
    assert_eq!(store.next_link(r#"</v2/app/tags/list>; rel="prev""#), None);
}

/// Distribution refuses a manifest as naming an unknown blob while
/// another client pushes one of its blobs again (the flaky
/// `concurrent_attaches` conformance check); the push is tried again,
/// and a blob that stays unknown is still an error that names it.
#[tokio::test]
async fn a_manifest_refused_for_a_blob_being_relinked_is_pushed_again() {
    const UNKNOWN: &str =
        r#"{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]}"#;
    let digest = crate::oci::Descriptor::of("x", b"x").digest;
    let push = |answers| async move {
        // The first answer is the scheme probe's.
        let mut all = vec![(200, "{}")];
        all.extend(answers);
        let store = RemoteStore::new(&scripted(all), RemoteOptions::default()).unwrap();
        store
            .push_manifest("app", &digest, b"{}", crate::oci::OCI_MANIFEST, None)
            .await
    };
    push(vec![(400, UNKNOWN), (201, "")]).await.unwrap();
    let err = push(vec![(400, UNKNOWN); 4]).await.unwrap_err();
    assert!(err.to_string().contains("MANIFEST_BLOB_UNKNOWN"), "{err}");
    assert!(!err.is_unavailable(), "{err}");
    // Any other refusal is final at once.
    const INVALID: &str = r#"{"errors":[{"code":"MANIFEST_INVALID","message":"bad"}]}"#;
    let err = push(vec![(400, INVALID), (201, "")]).await.unwrap_err();
    assert!(err.to_string().contains("MANIFEST_INVALID"), "{err}");
}

/// The retry is decided on the typed code of the registry's error body,
/// not on its text: a refusal for another reason whose message happens to
/// name `MANIFEST_BLOB_UNKNOWN` is final at once.
#[tokio::test]
async fn regression_issue_14_a_manifest_push_is_retried_on_the_code_not_the_text() {
    const NAMED: &str =
        r#"{"errors":[{"code":"MANIFEST_INVALID","message":"not a MANIFEST_BLOB_UNKNOWN"}]}"#;
    let digest = crate::oci::Descriptor::of("x", b"x").digest;
    let store = RemoteStore::new(
        &scripted(vec![(200, "{}"), (400, NAMED), (201, "")]),
        RemoteOptions::default(),
    )
    .unwrap();
    let err = store
        .push_manifest("app", &digest, b"{}", crate::oci::OCI_MANIFEST, None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Remote { status: Some(Status::BadRequest), codes, .. }
                if codes == &[ErrorCode::ManifestInvalid]
        ),
        "{err:?}"
    );
}

/// A registry without the referrers API answers its first page with a
/// 404 (or, older ones, 400 or 405): the caller falls back to the tag
/// schema. Any other status, or one on a later page, is an error that
/// keeps it.
#[tokio::test]
async fn referrers_fall_back_on_the_typed_status() {
    let subject = crate::oci::Descriptor::of("x", b"x").digest;
    let referrers = |answers: Vec<(u16, &'static str)>| async move {
        let mut all = vec![(200, "{}")];
        all.extend(answers);
        let store = RemoteStore::new(&scripted(all), RemoteOptions::default()).unwrap();
        store.referrers("app", &subject, 10).await
    };
    for status in [404, 400, 405] {
        assert_eq!(
            referrers(vec![(status, "")]).await.unwrap(),
            None,
            "{status}"
        );
    }
    let err = referrers(vec![(403, "")]).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Remote {
                status: Some(Status::Forbidden),
                ..
            }
        ),
        "{err:?}"
    );
    let err = referrers(vec![(503, ""); 4]).await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert!(
        err.to_string().ends_with(&format!(
            "GET referrers of {subject}: 503 Service Unavailable: Service Unavailable"
        )),
        "{err}"
    );
    // A 404 after the first page is not a missing API.
    let next = format!(r#"</v2/app/referrers/{subject}?last=x>; rel="next""#);
    let (host, _) = stub(
        vec![
            answer(200, "{}"),
            answer(200, r#"{"schemaVersion":2,"manifests":[]}"#).with("Link", next),
            answer(404, ""),
        ],
        None,
    );
    let store = RemoteStore::new(&host, RemoteOptions::default()).unwrap();
    let err = store.referrers("app", &subject, 10).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Remote {
                status: Some(Status::NotFound),
                ..
            }
        ),
        "{err:?}"
    );
}
