//! The local Sigstore stack (tests/sigstore-stack/stack.mjs, driven by
//! `common::sigstore`) held to real peers: sigstore-python signs blobs and
//! in-toto statements against it (Fulcio, Rekor v1 and v2, the TSA, the
//! test OIDC issuer and the GitHub Actions token endpoint), and the bundles
//! it gets are accepted by independent verifiers given only the stack's
//! `trusted_root.json`: `@sigstore/verify` (tests/oracles/sigstore_verify.mjs),
//! sigstore-python's own `verify identity` and `vouch verify-bundle`. Each
//! acceptance has its negative controls: another identity or issuer, a
//! tampered log entry or signature, and tokens Fulcio must refuse.

use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use crate::common::sigstore::{http, http_with_timeout, Fault, Options, Service, Stack};
use crate::common::{assert_ok, oracle_script, venv_bin, vouch};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The in-toto statement sigstore-python attests, about `a.txt` ("artifact\n").
const PREDICATE: &str = r#"{"buildDefinition":{"buildType":"https://example.com/build","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}"#;

/// `sigstore [--trust-config] ARGS` with the identity token `token` (none:
/// ambient credentials, from `env`), in `dir`.
fn python(
    stack: &Stack,
    dir: &Path,
    v2: bool,
    token: Option<&str>,
    env: &[(String, String)],
    args: &[&str],
) -> Output {
    let mut cmd = venv_bin("sigstore");
    cmd.current_dir(dir)
        .arg("--trust-config")
        .arg(stack.client_trust_config(v2))
        .arg(args[0]);
    if let Some(token) = token {
        cmd.args(["--identity-token", token]);
    }
    for var in [
        "GITHUB_ACTIONS",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.args(&args[1..]).output().unwrap()
}

/// sigstore-python signs `a.txt` into `bundle`.
fn python_sign(stack: &Stack, dir: &Path, v2: bool, token: &str, bundle: &str) -> Output {
    python(
        stack,
        dir,
        v2,
        Some(token),
        &[],
        &["sign", "--overwrite", "--bundle", bundle, "a.txt"],
    )
}

/// The three verifiers of a keyless bundle, each given the stack's trusted
/// root and the expected identity: `@sigstore/verify`, sigstore-python and
/// `vouch verify-bundle`.
struct Verifiers<'a> {
    stack: &'a Stack,
    dir: &'a Path,
}

impl Verifiers<'_> {
    fn sigstore_js(&self, bundle: &str, artifact: &str, identity: &str, issuer: &str) -> Output {
        oracle_script("sigstore_verify.mjs")
            .current_dir(self.dir)
            .arg("--trusted-root")
            .arg(self.stack.trusted_root())
            .args(["--identity", identity, "--issuer", issuer, bundle, artifact])
            .output()
            .unwrap()
    }

    fn python(&self, bundle: &str, artifact: &str, identity: &str, issuer: &str) -> Output {
        let mut cmd = venv_bin("sigstore");
        cmd.current_dir(self.dir)
            .arg("--trust-config")
            .arg(self.stack.client_trust_config(false))
            .args(["verify", "identity", "--bundle", bundle])
            .args([
                "--cert-identity",
                identity,
                "--cert-oidc-issuer",
                issuer,
                artifact,
            ]);
        cmd.output().unwrap()
    }

    fn vouch(&self, bundle: &str, artifact: &str, identity: &str, issuer: &str) -> Output {
        vouch()
            .current_dir(self.dir)
            .args(["verify-bundle", "--bundle", bundle, "--trusted-root"])
            .arg(self.stack.trusted_root())
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", issuer, artifact])
            .output()
            .unwrap()
    }

    /// Every verifier accepts.
    fn accept(&self, bundle: &str, artifact: &str, identity: &str, issuer: &str) {
        assert_ok(&self.sigstore_js(bundle, artifact, identity, issuer));
        assert_ok(&self.python(bundle, artifact, identity, issuer));
        assert_ok(&self.vouch(bundle, artifact, identity, issuer));
    }

    /// Every verifier refuses (`why` names the case in a failure message).
    fn refuse(&self, why: &str, bundle: &str, artifact: &str, identity: &str, issuer: &str) {
        let js = self.sigstore_js(bundle, artifact, identity, issuer);
        assert_eq!(
            js.status.code(),
            Some(1),
            "sigstore-js accepted {why}: {js:?}"
        );
        let py = self.python(bundle, artifact, identity, issuer);
        assert!(
            !py.status.success(),
            "sigstore-python accepted {why}: {py:?}"
        );
        let ours = self.vouch(bundle, artifact, identity, issuer);
        assert_eq!(
            ours.status.code(),
            Some(1),
            "vouch accepted {why}: {ours:?}"
        );
        assert!(!String::from_utf8_lossy(&ours.stderr).contains("panicked"));
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn write_json(path: &Path, value: &Value) {
    fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// A copy of the bundle `from` whose log entry's canonicalized body has one
/// byte changed (a hex digit of the first `"value":"` in it, or of the first
/// digest), written to `to`.
fn tamper_body(dir: &Path, from: &str, to: &str) {
    let mut bundle = read_json(&dir.join(from));
    let entry = &mut bundle["verificationMaterial"]["tlogEntries"][0];
    let mut body = B64
        .decode(entry["canonicalizedBody"].as_str().unwrap())
        .unwrap();
    let text = String::from_utf8(body.clone()).unwrap();
    let at = ["\"value\":\"", "\"digest\":\""]
        .iter()
        .find_map(|k| text.find(k).map(|i| i + k.len()))
        .expect("a hash in the body");
    body[at] = if body[at] == b'0' { b'1' } else { b'0' };
    entry["canonicalizedBody"] = B64.encode(&body).into();
    write_json(&dir.join(to), &bundle);
}

/// A copy of the bundle `from` whose signature (message signature or the
/// envelope's first) has its last byte changed, written to `to`.
fn tamper_signature(dir: &Path, from: &str, to: &str) {
    let mut bundle = read_json(&dir.join(from));
    let sig = if bundle.get("messageSignature").is_some() {
        &mut bundle["messageSignature"]["signature"]
    } else {
        &mut bundle["dsseEnvelope"]["signatures"][0]["sig"]
    };
    let mut bytes = B64.decode(sig.as_str().unwrap()).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    *sig = B64.encode(&bytes).into();
    write_json(&dir.join(to), &bundle);
}

/// The log entry of a bundle: kind, version, index and audit path length.
fn entry_shape(dir: &Path, bundle: &str) -> (String, String, u64, usize) {
    let b = read_json(&dir.join(bundle));
    let e = &b["verificationMaterial"]["tlogEntries"][0];
    (
        e["kindVersion"]["kind"].as_str().unwrap().to_string(),
        e["kindVersion"]["version"].as_str().unwrap().to_string(),
        e["logIndex"].as_str().unwrap().parse().unwrap(),
        e["inclusionProof"]["hashes"].as_array().unwrap().len(),
    )
}

fn setup() -> (Stack, tempfile::TempDir) {
    let stack = Stack::start(Options::default());
    let dir = crate::common::tempdir();
    fs::write(dir.path().join("a.txt"), b"artifact\n").unwrap();
    fs::write(dir.path().join("predicate.json"), PREDICATE).unwrap();
    (stack, dir)
}

#[test]
fn blob_signed_by_sigstore_python_is_accepted_by_independent_verifiers() {
    let (stack, dir) = setup();
    let d = dir.path();
    let issuer = stack.oidc_issuer();
    // Two entries, so that the second's inclusion proof has an audit path.
    assert_ok(&python_sign(
        &stack,
        d,
        false,
        &stack.token("bob@example.com"),
        "first.json",
    ));
    assert_ok(&python_sign(
        &stack,
        d,
        false,
        &stack.token("alice@example.com"),
        "a.json",
    ));
    assert_eq!(
        entry_shape(d, "a.json"),
        ("hashedrekord".into(), "0.0.1".into(), 1, 1)
    );
    let bundle = read_json(&d.join("a.json"));
    assert_eq!(
        bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "sigstore-python asked the TSA (binary RFC 3161) for a timestamp"
    );

    let v = Verifiers {
        stack: &stack,
        dir: d,
    };
    v.accept("a.json", "a.txt", "alice@example.com", &issuer);

    // Negative controls.
    v.refuse(
        "another identity",
        "a.json",
        "a.txt",
        "bob@example.com",
        &issuer,
    );
    v.refuse(
        "another issuer",
        "a.json",
        "a.txt",
        "alice@example.com",
        "https://accounts.google.com",
    );
    fs::write(d.join("b.txt"), b"another\n").unwrap();
    v.refuse(
        "another artifact",
        "a.json",
        "b.txt",
        "alice@example.com",
        &issuer,
    );
    tamper_body(d, "a.json", "body.json");
    v.refuse(
        "a changed log entry",
        "body.json",
        "a.txt",
        "alice@example.com",
        &issuer,
    );
    tamper_signature(d, "a.json", "sig.json");
    v.refuse(
        "a changed signature",
        "sig.json",
        "a.txt",
        "alice@example.com",
        &issuer,
    );
}

#[test]
fn statement_attested_by_sigstore_python_is_accepted_by_independent_verifiers() {
    let (stack, dir) = setup();
    let d = dir.path();
    let issuer = stack.oidc_issuer();
    let token = stack.token("alice@example.com");
    assert_ok(&python(
        &stack,
        d,
        false,
        Some(&token),
        &[],
        &[
            "attest",
            "--predicate",
            "predicate.json",
            "--predicate-type",
            "https://slsa.dev/provenance/v1",
            "--bundle",
            "st.json",
            "a.txt",
        ],
    ));
    // Rekor's canonical dsse 0.0.1 entry, which the verifiers rebuild.
    assert_eq!(entry_shape(d, "st.json").0, "dsse");
    let b = read_json(&d.join("st.json"));
    let body: Value = serde_json::from_slice(
        &B64.decode(
            b["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]
                .as_str()
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let spec = body["spec"].as_object().unwrap();
    let mut keys: Vec<_> = spec.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["envelopeHash", "payloadHash", "signatures"],
        "{body}"
    );

    let v = Verifiers {
        stack: &stack,
        dir: d,
    };
    v.accept("st.json", "a.txt", "alice@example.com", &issuer);
    v.refuse(
        "another identity",
        "st.json",
        "a.txt",
        "carol@example.com",
        &issuer,
    );
    tamper_body(d, "st.json", "body.json");
    v.refuse(
        "a changed log entry",
        "body.json",
        "a.txt",
        "alice@example.com",
        &issuer,
    );
    tamper_signature(d, "st.json", "sig.json");
    v.refuse(
        "a changed signature",
        "sig.json",
        "a.txt",
        "alice@example.com",
        &issuer,
    );
}

#[test]
fn rekor_v2_entries_are_accepted_by_independent_verifiers() {
    let (stack, dir) = setup();
    let d = dir.path();
    let issuer = stack.oidc_issuer();
    assert_ok(&python_sign(
        &stack,
        d,
        true,
        &stack.token("bob@example.com"),
        "first.json",
    ));
    assert_ok(&python_sign(
        &stack,
        d,
        true,
        &stack.token("alice@example.com"),
        "a.json",
    ));
    assert_eq!(
        entry_shape(d, "a.json"),
        ("hashedrekord".into(), "0.0.2".into(), 1, 1)
    );
    let v = Verifiers {
        stack: &stack,
        dir: d,
    };
    v.accept("a.json", "a.txt", "alice@example.com", &issuer);
    v.refuse(
        "another identity",
        "a.json",
        "a.txt",
        "bob@example.com",
        &issuer,
    );
    tamper_body(d, "a.json", "body.json");
    v.refuse(
        "a changed log entry",
        "body.json",
        "a.txt",
        "alice@example.com",
        &issuer,
    );
}

#[test]
fn github_actions_token_endpoint_gives_a_workflow_identity() {
    let (stack, dir) = setup();
    let d = dir.path();
    let env = stack.github_env();
    // Ambient credentials, as in a GitHub Actions job with id-token: write.
    assert_ok(&python(
        &stack,
        d,
        false,
        None,
        &env,
        &["sign", "--bundle", "a.json", "a.txt"],
    ));
    let v = Verifiers {
        stack: &stack,
        dir: d,
    };
    v.accept(
        "a.json",
        "a.txt",
        &stack.github_identity(),
        &stack.github_issuer(),
    );
    v.refuse(
        "the test issuer",
        "a.json",
        "a.txt",
        &stack.github_identity(),
        &stack.oidc_issuer(),
    );

    // The endpoint answers only the job's request token.
    let url = format!("{}&audience=sigstore", env[1].1);
    let (status, body) = http(
        "GET",
        &url,
        &[("Authorization", &format!("bearer {}", env[2].1))],
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(serde_json::from_slice::<Value>(&body).unwrap()["value"].is_string());
    for auth in ["bearer wrong", "", "basic x"] {
        let (status, _) = http("GET", &url, &[("Authorization", auth)], b"").unwrap();
        assert_eq!(status, 401, "Authorization: {auth}");
    }
}

/// A Fulcio request for `token` with a fresh P-256 key and a proof of
/// possession signed over `signed` (made by the venv's `cryptography`).
fn fulcio_request(token: &str, signed: &str) -> Vec<u8> {
    let script = r#"
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
key = ec.generate_private_key(ec.SECP256R1())
pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
pop = base64.b64encode(key.sign(sys.argv[2].encode(), ec.ECDSA(hashes.SHA256()))).decode()
print(json.dumps({"credentials": {"oidcIdentityToken": sys.argv[1]},
                  "publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": pem}, "proofOfPossession": pop}}))
"#;
    let out = venv_bin("python")
        .args(["-c", script, token, signed])
        .output()
        .unwrap();
    assert_ok(&out);
    out.stdout
}

fn fulcio(stack: &Stack, token: &str, signed: &str) -> (u16, String) {
    let (status, body) = http(
        "POST",
        &format!("{}/api/v2/signingCert", stack.url(Service::Fulcio)),
        &[("Content-Type", "application/json")],
        &fulcio_request(token, signed),
    )
    .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn fulcio_refuses_issue_17_tokens_it_must_not_trust() {
    let (stack, dir) = setup();
    let email = "alice@example.com";
    // The control: a good token and proof are issued a certificate.
    let (status, body) = fulcio(&stack, &stack.token(email), email);
    assert_eq!(status, 201, "{body}");
    assert!(body.contains("BEGIN CERTIFICATE"));

    for (why, query) in [
        ("expired", format!("email={email}&expired=1")),
        (
            "from an issuer Fulcio does not know",
            format!("email={email}&issuer=untrusted"),
        ),
        (
            "signed by a key the issuer never published",
            format!("email={email}&key=foreign"),
        ),
        (
            "for another audience",
            format!("email={email}&aud=not-sigstore"),
        ),
    ] {
        let token = stack.mint(&query);
        let (status, body) = fulcio(&stack, &token, email);
        assert_eq!(status, 401, "Fulcio accepted a token {why}: {body}");
        // A real client is refused too.
        let out = python_sign(&stack, dir.path(), false, &token, "x.json");
        assert!(
            !out.status.success(),
            "sigstore-python signed with a token {why}"
        );
    }
    assert!(stack.log().contains("401"), "{}", stack.log());

    // A proof of possession over another identity is refused; so is an
    // unverified email.
    let (status, body) = fulcio(&stack, &stack.token(email), "mallory@example.com");
    assert_eq!(status, 400, "{body}");
    let token = stack.mint(&format!("email={email}&email_verified=false"));
    assert_eq!(fulcio(&stack, &token, email).0, 400);
}

#[test]
fn faults_make_services_fail_as_asked() {
    let stack = Stack::start(
        Options::default()
            .fault(Service::Rekor, Fault::Error500)
            .fault(Service::Rekor2, Fault::Down)
            .fault(Service::Tsa, Fault::Hang),
    );
    let post = |service, path: &str| {
        http_with_timeout(
            "POST",
            &format!("{}{path}", stack.url(service)),
            &[("Content-Type", "application/json")],
            b"{}",
            Duration::from_secs(2),
        )
    };
    assert_eq!(post(Service::Rekor, "/api/v1/log/entries").unwrap().0, 500);
    let refused = post(Service::Rekor2, "/api/v2/log/entries").unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    let hung = post(Service::Tsa, "/api/v1/timestamp").unwrap_err();
    assert!(
        matches!(
            hung.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{hung:?}"
    );
    // The other services still work.
    let email = "alice@example.com";
    assert_eq!(fulcio(&stack, &stack.token(email), email).0, 201);
}

#[test]
fn a_real_client_fails_on_a_failing_log() {
    let stack = Stack::start(Options::default().fault(Service::Rekor, Fault::Error500));
    let dir = crate::common::tempdir();
    let d = dir.path();
    fs::write(d.join("a.txt"), b"artifact\n").unwrap();
    let out = python_sign(
        &stack,
        d,
        false,
        &stack.token("alice@example.com"),
        "a.json",
    );
    assert!(
        !out.status.success(),
        "signed against a failing log: {out:?}"
    );
    assert!(!d.join("a.json").exists());
    assert!(
        stack.log().contains("rekor: POST /api/v1/log/entries: 500"),
        "{}",
        stack.log()
    );
}

#[test]
fn trust_files_name_the_stacks_services() {
    let stack = Stack::start(Options::default());
    let root = read_json(&stack.trusted_root());
    assert_eq!(
        root["mediaType"],
        "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
    );
    let logs: Vec<_> = root["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["baseUrl"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        logs,
        [stack.url(Service::Rekor), stack.url(Service::Rekor2)]
    );
    assert_eq!(
        root["certificateAuthorities"][0]["uri"],
        stack.url(Service::Fulcio).as_str()
    );
    assert_eq!(
        root["timestampAuthorities"][0]["certChain"]["certificates"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(root["ctlogs"].as_array().unwrap().len(), 1);

    for (path, rekor, major) in [
        (stack.signing_config(), Service::Rekor, 1),
        (stack.signing_config_v2(), Service::Rekor2, 2),
    ] {
        let config = read_json(&path);
        assert_eq!(
            config["mediaType"],
            "application/vnd.dev.sigstore.signingconfig.v0.2+json"
        );
        assert_eq!(config["rekorTlogUrls"].as_array().unwrap().len(), 1);
        assert_eq!(config["rekorTlogUrls"][0]["url"], stack.url(rekor).as_str());
        assert_eq!(config["rekorTlogUrls"][0]["majorApiVersion"], major);
        assert_eq!(
            config["caUrls"][0]["url"],
            stack.url(Service::Fulcio).as_str()
        );
        assert_eq!(config["oidcUrls"][0]["url"], stack.oidc_issuer().as_str());
        assert_eq!(
            config["tsaUrls"][0]["url"],
            format!("{}/api/v1/timestamp", stack.url(Service::Tsa)).as_str()
        );
    }

    // The issuer publishes its discovery document and keys.
    let discovery = format!(
        "{}/.well-known/openid-configuration",
        stack.url(Service::Oidc)
    );
    let (status, body) = http("GET", &discovery, &[], b"").unwrap();
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["issuer"], stack.oidc_issuer().as_str());
    let (status, body) = http("GET", doc["jwks_uri"].as_str().unwrap(), &[], b"").unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["keys"][0]["crv"],
        "P-256"
    );
}
