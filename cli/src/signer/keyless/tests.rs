use super::*;

use std::collections::BTreeMap;

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vouch_evidence::keys::{Algorithm, PrivateKey};

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// An unsigned JWT with these claims (what Fulcio would check is not
/// checked here).
fn jwt(exp: i64) -> String {
    let claims = format!(
        r#"{{"iss":"https://issuer.example","sub":"ci@example.com","email":"ci@example.com","aud":"sigstore","exp":{exp}}}"#
    );
    format!(
        "eyJhbGciOiJub25lIn0.{}.c2ln",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims)
    )
}

fn future_jwt() -> String {
    jwt(jiff::Timestamp::now().as_second() + 600)
}

const GITHUB: [(&str, &str); 2] = [
    (GITHUB_URL_VAR, "http://127.0.0.1:1/token?api-version=2.0"),
    (GITHUB_BEARER_VAR, "bearer-secret"),
];

#[test]
fn the_flag_comes_first_then_github_actions_then_gitlab() {
    let all = env_of(&[GITHUB[0], GITHUB[1], (GITLAB_VAR, "gitlab-token")]);
    assert_eq!(
        locate_token(Some("literal"), &all).unwrap(),
        TokenLocation::Literal("literal".into())
    );
    assert_eq!(
        locate_token(Some("@/run/token"), &all).unwrap(),
        TokenLocation::File("/run/token".into())
    );
    assert_eq!(
        locate_token(None, &all).unwrap(),
        TokenLocation::GitHubActions {
            url: GITHUB[0].1.into(),
            bearer: GITHUB[1].1.into()
        }
    );
    let gitlab = env_of(&[(GITLAB_VAR, "gitlab-token"), (GITHUB_URL_VAR, "")]);
    assert_eq!(
        locate_token(None, &gitlab).unwrap(),
        TokenLocation::GitLab("gitlab-token".into())
    );
}

#[test]
fn no_token_is_an_error_naming_every_source() {
    for env in [
        env_of(&[]),
        env_of(&[
            (GITLAB_VAR, ""),
            (GITHUB_URL_VAR, ""),
            (GITHUB_BEARER_VAR, ""),
        ]),
    ] {
        let err = locate_token(None, &env).unwrap_err().to_string();
        for name in [
            "--identity-token",
            GITHUB_URL_VAR,
            GITHUB_BEARER_VAR,
            GITLAB_VAR,
        ] {
            assert!(err.contains(name), "{name} not in {err}");
        }
    }
}

#[test]
fn half_of_github_actions_pair_is_an_error_not_a_fall_back_to_gitlab() {
    let url_only = env_of(&[GITHUB[0], (GITLAB_VAR, "gitlab-token")]);
    let err = locate_token(None, &url_only).unwrap_err().to_string();
    assert!(
        err.contains(&format!("{GITHUB_BEARER_VAR} is not")) && err.contains("id-token: write"),
        "{err}"
    );
    let bearer_only = env_of(&[GITHUB[1]]);
    let err = locate_token(None, &bearer_only).unwrap_err().to_string();
    assert!(err.contains(&format!("{GITHUB_URL_VAR} is not")), "{err}");
}

#[tokio::test]
async fn a_token_file_is_read_trimmed_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    let client = http_client().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, format!("  {}\n", future_jwt())).unwrap();
    let (token, source) = read_token(TokenLocation::File(path.clone()), &client)
        .await
        .unwrap();
    assert_eq!(token, future_jwt());
    assert_eq!(source, TokenSource::File(path.clone()));

    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'a'; MAX_TOKEN_BYTES as usize + 1]).unwrap();
    let err = read_token(TokenLocation::File(big), &client)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("identity token file"),
        "{err:#}"
    );

    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let err = read_token(TokenLocation::File(empty), &client)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is empty"), "{err}");

    let err = read_token(TokenLocation::File(dir.path().join("absent")), &client)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("absent"), "{err:#}");
}

/// A one-shot HTTP server on loopback answering `response`: its URL, and
/// the request it received.
async fn serve_once(response: Vec<u8>) -> (String, tokio::task::JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/token?api-version=2.0",
        listener.local_addr().unwrap()
    );
    let handle = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let _ = stream.write_all(&response).await;
        let _ = stream.shutdown().await;
        String::from_utf8_lossy(&request).to_string()
    });
    (url, handle)
}

fn http_response(status: &str, body: &[u8], length: bool) -> Vec<u8> {
    let mut head =
        format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n");
    if length {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

#[tokio::test]
async fn github_actions_token_is_asked_for_audience_sigstore_with_the_bearer() {
    let token = future_jwt();
    let body = format!(r#"{{"count":1,"value":"{token}"}}"#);
    let (url, request) = serve_once(http_response("200 OK", body.as_bytes(), true)).await;
    let env = env_of(&[
        (GITHUB_URL_VAR, &url),
        (GITHUB_BEARER_VAR, "bearer-secret"),
        (GITLAB_VAR, "gitlab-token"),
    ]);
    let location = locate_token(None, &env).unwrap();
    let (got, source) = read_token(location, &http_client().unwrap()).await.unwrap();
    assert_eq!((got, source), (token, TokenSource::GitHubActions));
    let request = request.await.unwrap();
    assert!(
        request.starts_with("GET /token?api-version=2.0&audience=sigstore HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request
            .to_ascii_lowercase()
            .contains("authorization: bearer bearer-secret\r\n"),
        "{request}"
    );
}

#[tokio::test]
async fn github_actions_failures_are_errors_naming_the_endpoint() {
    let client = http_client().unwrap();
    let github = |url: &str| TokenLocation::GitHubActions {
        url: url.into(),
        bearer: "b".into(),
    };
    // Refused, and no fall back to SIGSTORE_ID_TOKEN (locate_token chose).
    let err = read_token(github(GITHUB[0].1), &client).await.unwrap_err();
    assert!(err.to_string().contains(GITHUB_URL_VAR), "{err:#}");

    let (url, _) = serve_once(http_response("403 Forbidden", b"{}", true)).await;
    let err = read_token(github(&url), &client).await.unwrap_err();
    assert!(format!("{err:#}").contains("403"), "{err:#}");

    let (url, _) = serve_once(http_response("200 OK", b"{\"token\":\"x\"}", true)).await;
    let err = read_token(github(&url), &client).await.unwrap_err();
    assert!(format!("{err:#}").contains("value"), "{err:#}");

    // Too large, declared or streamed without a length.
    let huge = vec![b' '; MAX_TOKEN_RESPONSE_BYTES as usize + 10];
    for length in [true, false] {
        let (url, _) = serve_once(http_response("200 OK", &huge, length)).await;
        let err = read_token(github(&url), &client).await.unwrap_err();
        assert!(format!("{err:#}").contains("larger than"), "{err:#}");
    }
}

fn config(rekor: &[(&str, u32)], tsa: bool) -> SigningConfig {
    let endpoint = |url: &str, v: u32| serde_json::json!({"url": url, "majorApiVersion": v, "validFor": {"start": "2020-01-01T00:00:00Z"}});
    let json = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "caUrls": [endpoint("http://fulcio.test", 1)],
        "oidcUrls": [],
        "rekorTlogUrls": rekor.iter().map(|(u, v)| endpoint(u, *v)).collect::<Vec<_>>(),
        "tsaUrls": if tsa { vec![endpoint("http://tsa.test/api/v1/timestamp", 1)] } else { vec![] },
        "rekorTlogConfig": {"selector": "ANY"},
        "tsaConfig": {"selector": "ANY"},
    });
    SigningConfig::from_json(&json.to_string()).unwrap()
}

#[test]
fn services_come_from_the_signing_config() {
    let public = select_services(&load_signing_config(None).unwrap()).unwrap();
    assert_eq!(public.fulcio_url(), "https://fulcio.sigstore.dev");
    assert_eq!(public.rekor_url(), "https://rekor.sigstore.dev");
    assert!(public.tsa_url().unwrap().contains("timestamp.sigstore.dev"));

    let v1 = select_services(&config(&[("http://rekor.test", 1)], true)).unwrap();
    assert_eq!(
        (v1.rekor_url(), v1.rekor_api_version()),
        ("http://rekor.test", RekorApiVersion::V1)
    );
    assert_eq!(v1.tsa_url(), Some("http://tsa.test/api/v1/timestamp"));

    // Rekor v2 is preferred when both are named.
    let both = config(&[("http://rekor.test", 1), ("http://rekor2.test", 2)], true);
    let v2 = select_services(&both).unwrap();
    assert_eq!(
        (v2.rekor_url(), v2.rekor_api_version()),
        ("http://rekor2.test", RekorApiVersion::V2)
    );

    // No TSA: Rekor v1's signed entry timestamp dates the signature.
    let no_tsa = select_services(&config(&[("http://rekor.test", 1)], false)).unwrap();
    assert_eq!(no_tsa.tsa_url(), None);
    assert_eq!(no_tsa.fulcio_url(), "http://fulcio.test");
    // ... but Rekor v2 has none, so it needs a TSA.
    let err = select_services(&config(&[("http://rekor2.test", 2)], false)).unwrap_err();
    assert!(err.to_string().contains("RFC 3161"), "{err}");
    // No log at all.
    let err = select_services(&config(&[], true)).unwrap_err();
    assert!(err.to_string().contains("Rekor"), "{err}");
}

#[test]
fn a_bad_signing_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sc.json");
    std::fs::write(&path, r#"{"mediaType":"application/x-other"}"#).unwrap();
    let err = load_signing_config(Some(&path)).unwrap_err().to_string();
    assert!(err.contains("sc.json"), "{err}");
    let err = load_signing_config(Some(&dir.path().join("absent.json")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("absent.json"), "{err}");
}

/// A signer whose services listen nowhere: anything that reaches them
/// fails as Fulcio.
fn offline(token: &str) -> Result<Keyless> {
    Keyless::with_token(
        SigningServices::new("http://127.0.0.1:1", "http://127.0.0.1:1"),
        TrustedRoot::public_good().unwrap(),
        token,
        TokenSource::Flag,
        http_client().unwrap(),
    )
}

#[test]
fn tokens_that_cannot_be_used_are_refused_before_any_request() {
    let err = offline("not-a-jwt").err().unwrap().to_string();
    assert!(
        err.contains("not a JWT") && err.contains("--identity-token"),
        "{err}"
    );
    let err = offline(&jwt(1_000_000_000)).err().unwrap().to_string();
    assert!(err.contains("expired"), "{err}");
}

#[tokio::test]
async fn keyless_signs_in_toto_statements_only_and_has_no_key() {
    let signer = offline(&future_jwt()).unwrap();
    assert!(signer.key().is_none());
    let label = signer.label();
    assert!(
        label.contains("ci@example.com") && label.contains("not yet certified"),
        "{label}"
    );
    let err = signer
        .sign_dsse("text/plain", b"payload")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("in-toto statements"), "{err}");
    // A statement whose subjects have no sha256 cannot be bound by the
    // verifier: refused before Fulcio is asked.
    let sha512_only = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha512":"00"}}],"predicateType":"https://example.com/p","predicate":{}}"#;
    let err = signer
        .sign_dsse(IN_TOTO_PAYLOAD_TYPE, sha512_only)
        .await
        .unwrap_err();
    assert!(!format!("{err:#}").contains("Fulcio"), "{err:#}");
    // A statement that can be signed reaches Fulcio, which is down.
    let ok = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}}],"predicateType":"https://example.com/p","predicate":{}}"#;
    let err = signer
        .sign_dsse(IN_TOTO_PAYLOAD_TYPE, ok)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Fulcio at http://127.0.0.1:1"), "{err}");
}

#[test]
fn a_bundle_without_a_certificate_is_not_trusted() {
    let signer = offline(&future_jwt()).unwrap();
    let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
    let keyed = Bundle::sign_message(&key, b"artifact").unwrap();
    let err = signer
        .check(keyed.wire().clone(), Artifact::Bytes(b"artifact"), None)
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("not a single leaf certificate"),
        "{err:#}"
    );
}
