use super::*;
use crate::remote::stub::*;
use crate::Store;

#[test]
fn parses_bearer_and_basic_challenges() {
    let (kind, p) = parse_challenge(
        r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
    );
    assert_eq!(kind, "Bearer");
    assert_eq!(p["realm"], "https://auth.example/token");
    assert_eq!(p["service"], "registry.example");
    assert_eq!(p["scope"], "repository:a/b:pull");
    let (kind, p) = parse_challenge(r#"Basic realm="vouch-test""#);
    assert_eq!(kind, "Basic");
    assert_eq!(p["realm"], "vouch-test");
}

#[tokio::test]
async fn regression_issue_9_a_token_service_elsewhere_gets_nothing() {
    let digest = blob_digest();
    // C: a token service that would hand out a token to anyone.
    let (c, c_log) = stub(vec![answer(200, r#"{"token":"t"}"#); 4], None);
    let realm = format!(r#"Bearer realm="http://{c}/token",service="c""#);
    let challenge = |status| answer(status, "{}").with("WWW-Authenticate", realm.clone());

    // The registry names it itself.
    let (a, _) = stub(
        vec![answer(200, "{}"), challenge(401), challenge(401)],
        None,
    );
    let store = RemoteStore::new(&a, bound_to(&a)).unwrap();
    let err = store.fetch_blob("app", &digest, 10).await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("token service {c} is on another host")),
        "{err}"
    );
    assert!(err.to_string().contains("--registry-token-host"), "{err}");
    // A refusal, not an outage: the webhook denies it even under
    // --fail-open, which waives only outages.
    assert!(!err.is_unavailable(), "{err}");
    assert!(
        c_log.lock().unwrap().is_empty(),
        "{:?}",
        c_log.lock().unwrap()
    );

    // The registry redirects to B, whose 401 names it.
    let (b, b_log) = stub(vec![challenge(401); 2], None);
    let elsewhere = format!("http://{b}/v2/app/blobs/{digest}");
    let redirect = answer(307, "").with("Location", elsewhere);
    let (a, _) = stub(vec![answer(200, "{}"), redirect.clone(), redirect], None);
    let store = RemoteStore::new(&a, bound_to(&a)).unwrap();
    let err = store.fetch_blob("app", &digest, 10).await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("{b} asked for credentials")),
        "{err}"
    );
    assert!(
        c_log.lock().unwrap().is_empty(),
        "{:?}",
        c_log.lock().unwrap()
    );
    assert!(authorizations(&b_log).is_empty());

    // Trusted for the registry, C gets its credentials, and the
    // registry the token.
    let (a, a_log) = stub(
        vec![answer(200, "{}"), challenge(401), answer(200, "x")],
        None,
    );
    let mut options = bound_to(&a);
    options.token_hosts = [(a.clone(), vec![c.clone()])].into();
    let store = RemoteStore::new(&a, options).unwrap();
    assert_eq!(
        store.fetch_blob("app", &digest, 10).await.unwrap().unwrap(),
        b"x"
    );
    assert_eq!(authorizations(&c_log), [BASIC]);
    assert_eq!(authorizations(&a_log), ["Bearer t"]);
}

#[tokio::test]
async fn regression_issue_9_an_upload_location_elsewhere_gets_no_credentials() {
    let digest = blob_digest();
    let (b, b_log) = stub(
        vec![answer(401, "{}").with("WWW-Authenticate", r#"Basic realm="b""#); 2],
        None,
    );
    // The registry's token service is on its own host; its upload
    // Location is on B.
    let (listener, a) = listen();
    let realm = format!(r#"Bearer realm="http://{a}/token""#);
    let a_log = serve(
        listener,
        vec![
            answer(200, "{}"),
            answer(401, "{}").with("WWW-Authenticate", realm),
            answer(200, r#"{"token":"tok"}"#),
            answer(404, ""),
            answer(202, "").with("Location", format!("http://{b}/upload/1?state=x")),
        ],
        None,
    );
    let store = RemoteStore::new(&a, bound_to(&a)).unwrap();
    let err = store.push_blob("app", &digest, b"x").await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("{b} asked for credentials")),
        "{err}"
    );
    let b_log = b_log.lock().unwrap().clone();
    assert!(
        b_log[0]
            .request
            .starts_with("PUT /upload/1?state=x&digest="),
        "{b_log:?}"
    );
    assert!(
        b_log.iter().all(|seen| seen.authorization.is_none()),
        "{b_log:?}"
    );
    // The registry itself got the token.
    assert!(authorizations(&a_log).contains(&"Bearer tok".to_string()));
}

#[tokio::test]
async fn regression_issue_9_an_http_realm_gets_nothing_from_an_https_registry() {
    let digest = blob_digest();
    let (cert, key) = loopback_certificate();
    let https_options = |a: &str, c: &str| {
        let mut options = bound_to(a);
        options.extra_ca_pem = Some(cert.clone().into_bytes());
        // Trusted, so that only the scheme is in question.
        options.token_hosts = [(a.to_string(), vec![c.to_string()])].into();
        options
    };
    let (c, c_log) = stub(vec![answer(200, r#"{"token":"t"}"#); 2], None);
    let realm = format!(r#"Bearer realm="http://{c}/token""#);
    let (a, a_log) = stub(
        vec![
            answer(200, "{}"),
            answer(401, "{}").with("WWW-Authenticate", realm.clone()),
            answer(401, "{}").with("WWW-Authenticate", realm),
        ],
        Some((cert.clone(), key.clone())),
    );
    let store = RemoteStore::new(&a, https_options(&a, &c)).unwrap();
    let err = store.fetch_blob("app", &digest, 10).await.unwrap_err();
    assert!(err.to_string().contains("is not HTTPS (http:)"), "{err}");
    assert!(
        c_log.lock().unwrap().is_empty(),
        "{:?}",
        c_log.lock().unwrap()
    );
    assert!(a_log.lock().unwrap().iter().all(|seen| seen.tls));

    // Nor does a redirect from HTTPS to plain HTTP on the same port
    // carry the credentials.
    let (listener, a) = listen();
    let plain = format!("http://{a}/v2/app/blobs/{digest}");
    let a_log = serve(
        listener,
        vec![
            answer(200, "{}"),
            answer(401, "{}").with("WWW-Authenticate", r#"Basic realm="a""#),
            answer(307, "").with("Location", plain),
            answer(200, "x"),
        ],
        Some((cert.clone(), key)),
    );
    let store = RemoteStore::new(&a, https_options(&a, &c)).unwrap();
    let err = store.fetch_blob("app", &digest, 10).await.unwrap_err();
    assert!(
        err.to_string().contains("from HTTPS to plain HTTP"),
        "{err}"
    );
    let log = a_log.lock().unwrap().clone();
    assert!(
        log.iter()
            .all(|seen| seen.tls || seen.authorization.is_none()),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|seen| seen.authorization.as_deref() == Some(BASIC)),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_401_is_typed_as_unauthorized() {
    const WANTED: &str =
        r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
    let (a, _) = stub(
        vec![
            answer(200, "{}"),
            answer(401, WANTED).with("WWW-Authenticate", r#"Basic realm="a""#),
        ],
        None,
    );
    let store = RemoteStore::new(&a, RemoteOptions::default()).unwrap();
    let err = store
        .fetch_blob("app", &blob_digest(), 10)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Remote { status: Some(Status::Unauthorized), codes, .. }
                if codes == &[crate::error::ErrorCode::Unauthorized]
        ),
        "{err:?}"
    );
    assert!(!err.is_unavailable(), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "registry {a}: authentication failed (no credentials given): UNAUTHORIZED: \
             authentication required"
        )
    );
}
