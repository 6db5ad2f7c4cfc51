use super::*;
use crate::remote::stub::*;
use crate::Store;

#[test]
fn a_url_is_on_a_host_as_references_spell_it() {
    let on = |url: &str, host: &str| same_host(&reqwest::Url::parse(url).unwrap(), host);
    for (url, host) in [
        ("https://Registry.Example/v2/", "registry.example"),
        ("https://registry.example:443/v2/", "registry.example"),
        ("https://registry.example/v2/", "registry.example:443"),
        ("http://registry.example:80/v2/", "registry.example"),
        ("http://127.0.0.1:5000/x", "127.0.0.1:5000"),
        ("http://2130706433:5000/x", "127.0.0.1:5000"),
        ("https://[::1]:5000/x", "[::1]:5000"),
    ] {
        assert!(on(url, host), "{url} on {host}");
    }
    for (url, host) in [
        ("https://registry.example.evil/v2/", "registry.example"),
        (
            "https://registry.example@evil.example/v2/",
            "registry.example",
        ),
        (
            "https://evil.example#@registry.example/",
            "registry.example",
        ),
        ("https://evil.example/registry.example", "registry.example"),
        ("http://127.0.0.1:5001/x", "127.0.0.1:5000"),
        ("http://127.0.0.1/x", "127.0.0.1:5000"),
        ("https://[::1]:5001/x", "[::1]:5000"),
        ("https://registry.example./v2/", "registry.example"),
    ] {
        assert!(!on(url, host), "{url} on {host}");
    }
}

#[tokio::test]
async fn regression_issue_9_what_a_server_said_is_kept_apart() {
    const PAGE: &str = r#"{"errors":[{"code":"DENIED","message":"internal admin page"}]}"#;
    let (a, _) = stub(vec![answer(200, "{}"), answer(403, PAGE)], None);
    let store = RemoteStore::new(&a, RemoteOptions::default()).unwrap();
    let err = store
        .fetch_blob("app", &blob_digest(), 10)
        .await
        .unwrap_err();
    // A local user reads it...
    assert!(err.to_string().contains("internal admin page"), "{err}");
    // ...someone else reads which registry failed, and how.
    let told = err.without_remote_message();
    assert!(!told.contains("internal admin page"), "{told}");
    assert!(told.contains(&format!("registry {a}: GET blob")), "{told}");
    assert!(told.contains("403 Forbidden"), "{told}");
}

#[tokio::test]
async fn errors_say_whether_the_registry_was_unavailable() {
    let digest = crate::oci::Descriptor::of("x", b"x").digest;
    let fetch = |host: String| async move {
        let store = RemoteStore::new(&host, RemoteOptions::default()).unwrap();
        store.fetch_blob("app", &digest, 10).await.unwrap_err()
    };
    // 429 and 5xx (after the retries), and a refused connection.
    for status in [429, 503] {
        let err = fetch(answering(status, 8)).await;
        assert!(err.is_unavailable(), "{status}: {err}");
        assert!(err.to_string().contains(&status.to_string()), "{err}");
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = closed.local_addr().unwrap().to_string();
    drop(closed);
    let err = fetch(host).await;
    assert!(err.is_unavailable(), "{err}");
    // An answer about the request is not.
    let err = fetch(answering(403, 8)).await;
    assert!(!err.is_unavailable(), "{err}");
    assert!(err.to_string().contains("403"), "{err}");
}

#[test]
fn loopback_hosts() {
    for h in [
        "127.0.0.1:5000",
        "localhost",
        "localhost:8080",
        "[::1]:5000",
        "127.1.2.3",
    ] {
        assert!(is_loopback(h), "{h}");
    }
    for h in ["registry.example", "10.0.0.1:5000", "localhost.evil.com"] {
        assert!(!is_loopback(h), "{h}");
    }
}

#[test]
fn an_error_body_is_read_into_its_codes_and_message() {
    let status = Status::BadRequest;
    // Several errors: every code, in order; the message joins them.
    let several = br#"{"errors":[
        {"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:aa"},
        {"code":"NAME_INVALID","message":"invalid repository name"},
        {"message":"no code"},
        {"code":"DENIED"}]}"#;
    let failure = failure_of(status, several);
    assert_eq!(failure.status, status);
    assert_eq!(
        failure.codes,
        [
            ErrorCode::ManifestBlobUnknown,
            ErrorCode::NameInvalid,
            ErrorCode::Denied
        ]
    );
    assert_eq!(
        failure.said,
        "MANIFEST_BLOB_UNKNOWN: blob unknown to registry; NAME_INVALID: invalid repository \
         name; no code; DENIED"
    );
    // A code outside the spec is kept as the registry spelt it.
    let failure = failure_of(
        status,
        br#"{"errors":[{"code":"QUOTA_EXCEEDED","message":"m"}]}"#,
    );
    assert_eq!(failure.codes, [ErrorCode::Other("QUOTA_EXCEEDED".into())]);
    assert_eq!(failure.said, "QUOTA_EXCEEDED: m");
    // A body that is not a distribution error body has no codes, even
    // when its text names one; its start is what the registry said.
    for body in [
        &b"<html>MANIFEST_BLOB_UNKNOWN</html>"[..],
        br#"{"code":"MANIFEST_BLOB_UNKNOWN"}"#,
        br#"{"errors":[]}"#,
    ] {
        let failure = failure_of(status, body);
        assert!(
            failure.codes.is_empty(),
            "{failure:?}",
            failure = failure.said
        );
        assert_eq!(failure.said, String::from_utf8_lossy(body));
    }
    let long = "x".repeat(500);
    assert_eq!(failure_of(status, long.as_bytes()).said, "x".repeat(200));
    // No body: the status's reason phrase.
    assert_eq!(failure_of(Status::Forbidden, b" \n").said, "Forbidden");
    assert_eq!(failure_of(Status::Other(599), b"").said, "no message");
}

#[test]
fn retry_after_is_read_in_seconds_or_as_a_date() {
    let now: jiff::Timestamp = "2015-10-21T07:28:00Z".parse().unwrap();
    let secs = |s| Some(Duration::from_secs(s));
    assert_eq!(retry_after("120", now), secs(120));
    assert_eq!(retry_after(" 0 ", now), secs(0));
    assert_eq!(retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now), secs(120));
    // A date already past asks for no wait.
    assert_eq!(retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), secs(0));
    for bad in ["", "-1", "1.5", "soon", "99999999999999999999999"] {
        assert_eq!(retry_after(bad, now), None, "{bad:?}");
    }
}

#[tokio::test]
async fn a_429_keeps_its_status_and_retry_after() {
    const BUSY: &str = r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#;
    let busy = answer(429, BUSY).with("Retry-After", "7");
    let mut answers = vec![answer(200, "{}")];
    // The first try and each retry.
    answers.extend(vec![busy; MAX_RETRIES as usize + 1]);
    let (host, _) = stub(answers, None);
    let store = RemoteStore::new(&host, RemoteOptions::default()).unwrap();
    let err = store
        .fetch_blob("app", &blob_digest(), 10)
        .await
        .unwrap_err();
    let Error::Remote {
        status: Some(status),
        codes,
        said,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(
        *status,
        Status::TooManyRequests {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert_eq!(codes, &[ErrorCode::TooManyRequests]);
    assert_eq!(said.as_deref(), Some("TOOMANYREQUESTS: slow down"));
    assert!(err.is_unavailable(), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "registry {host}: GET blob {}: 429 Too Many Requests: TOOMANYREQUESTS: slow down",
            blob_digest()
        )
    );
}
