//! vouch against its peers on real registries, and against registries that
//! misbehave.
//!
//! - `@sigstore/cli attach` (sigstore-js) attaches a bundle vouch signed to
//!   an image on a real Distribution 2.8; vouch lists it (through the
//!   referrers tag-schema fallback index sigstore-js wrote) and verifies it.
//! - oras-py pulls the bundle referrer `vouch sign` wrote, by digest; the
//!   pulled bundle verifies.
//! - Through `ReferrersProxy` (tests/common/stub.rs: a real registry with
//!   the OCI 1.1 referrers API added), `vouch sign` uses the API and writes
//!   no fallback tag.
//! - `FaultServer` (same file): error statuses, silence, a lying manifest and
//!   a 10 GiB blob each end in a clean `vouch: error:`, in bounded time.
#![allow(clippy::disallowed_macros)]

use crate::common;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::registry::{Registry, PASSWORD, USERNAME};
use common::stub::{Fault, FaultServer, ReferrersProxy, HUGE};
use common::{s, Fixture};
use serde_json::Value;

const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The Sigstore bundle hint of an SPKI PEM public key, computed here from
/// the PEM: base64 of the SHA-256 of the DER.
fn hint_of(public_pem: &Path) -> String {
    let pem = fs::read_to_string(public_pem).unwrap();
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(vouch_evidence::digest::sha256(&der).0)
}

/// The attachments of a `vouch tree --output json` document.
fn attachments(tree: &Value) -> &Vec<Value> {
    tree["attachments"].as_array().unwrap()
}

/// The one attachment of a `vouch tree --output json` document, asserting
/// that there is one and that it is a bundle of `kind`.
fn one_bundle<'a>(tree: &'a Value, kind: &str) -> &'a Value {
    let found = attachments(tree);
    assert_eq!(found.len(), 1, "{tree:#}");
    assert_eq!(found[0]["format"], "bundle");
    assert_eq!(found[0]["kind"], kind);
    &found[0]
}

/// A plain-HTTP GET of `path` on `host`, with Basic auth if given; returns
/// (status, body). Enough for Distribution, which answers with a
/// Content-Length and closes on `Connection: close`.
fn http_get(host: &str, path: &str, basic: Option<(&str, &str)>) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some((user, pass)) = basic {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        request.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no end of headers");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "chunked answer: {head}"
    );
    (status, response[split + 4..].to_vec())
}

// ---------------------------------------------------------------------------
// @sigstore/cli.

/// The `sigstore` command of @sigstore/cli, isolated in `scratch`.
fn sigstore_js(scratch: &Fixture) -> Command {
    let bin = common::oracles().join("npm/node_modules/.bin/sigstore");
    assert!(
        bin.exists(),
        "@sigstore/cli is not installed at {}",
        bin.display()
    );
    let mut cmd = Command::new(bin);
    scratch.isolate(&mut cmd);
    cmd
}

/// An in-toto statement about the image `digest` (`sha256:…`), SLSA
/// provenance v1 predicate.
fn provenance_for(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap();
    serde_json::to_string_pretty(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "vouch/app", "digest": {"sha256": hex}}],
        "predicateType": SLSA_PROVENANCE_V1,
        "predicate": {
            "buildDefinition": {
                "buildType": "https://example.com/vouch-test/build/v1",
                "externalParameters": {"ref": "refs/heads/main"},
            },
            "runDetails": {"builder": {"id": "https://example.com/vouch-test/builder"}},
        },
    }))
    .unwrap()
}

#[test]
fn sigstore_js_attach_is_read_and_verified_by_vouch() {
    // @sigstore/cli insists on credentials, and speaks only plain HTTP to
    // loopback: a plain-HTTP registry with htpasswd.
    let auth = Registry::plain_with_auth();
    let repo = "vouch/app";
    let digest = auth.push_image(repo, "v1");
    let image = format!("{}/{repo}:v1", auth.host);
    let hex = digest.strip_prefix("sha256:").unwrap();

    let scratch = Fixture::new();
    let (key, public) = scratch.keygen("k");
    fs::write(
        scratch.dir().join("statement.json"),
        provenance_for(&digest),
    )
    .unwrap();
    common::assert_ok(&scratch.run([
        "sign-blob",
        "--in-toto",
        "--key",
        s(&key),
        "--bundle",
        "provenance.sigstore.json",
        "statement.json",
    ]));
    let bundle = fs::read(scratch.dir().join("provenance.sigstore.json")).unwrap();

    // The peer attaches it (by tag: it resolves the digest itself).
    let out = sigstore_js(&scratch)
        .args(["attach", "--attestation", "provenance.sigstore.json"])
        .args(["-u", USERNAME, "-p", PASSWORD])
        .arg(&image)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        out.status.success(),
        "sigstore attach failed: {stderr}\n{}\nregistry log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        auth.log()
    );
    let referrer = stderr
        .split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap_or_else(|| panic!("no referrer digest in: {stderr}"))
        .to_string();

    // Distribution 2.8 has no referrers API: sigstore-js wrote the
    // tag-schema fallback index, and that is the only way to the referrer.
    let (status, _) = http_get(
        &auth.host,
        &format!("/v2/{repo}/referrers/{digest}"),
        Some((USERNAME, PASSWORD)),
    );
    assert_eq!(status, 404, "this registry has a referrers API after all");
    let fallback = auth.inspect_raw(repo, &format!(":sha256-{hex}"), true);
    assert!(
        fallback.status.success(),
        "no fallback tag sha256-{hex}: {}",
        String::from_utf8_lossy(&fallback.stderr)
    );
    let index: Value = serde_json::from_slice(&fallback.stdout).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{index}");
    assert_eq!(entries[0]["digest"], referrer.as_str());
    assert_eq!(entries[0]["artifactType"], BUNDLE_V03);

    // What sigstore-js wrote: a bundle referrer of our image, the bundle as
    // its only layer, byte for byte.
    let manifest = auth.inspect_raw(repo, &format!("@{referrer}"), true);
    assert!(manifest.status.success());
    let manifest: Value = serde_json::from_slice(&manifest.stdout).unwrap();
    assert_eq!(manifest["artifactType"], BUNDLE_V03, "{manifest}");
    assert_eq!(manifest["subject"]["digest"], digest.as_str());
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    let layer = &manifest["layers"][0];
    assert_eq!(layer["mediaType"], BUNDLE_V03);
    let (status, served) = http_get(
        &auth.host,
        &format!("/v2/{repo}/blobs/{}", layer["digest"].as_str().unwrap()),
        Some((USERNAME, PASSWORD)),
    );
    assert_eq!(status, 200);
    assert_eq!(served, bundle, "the attached bundle is not the one signed");

    // vouch finds it, through the fallback index.
    let creds = [
        "--registry-username",
        USERNAME,
        "--registry-password",
        PASSWORD,
    ];
    let tree = scratch.tree(&image, &creds);
    assert_eq!(tree["digest"], digest.as_str());
    let a = one_bundle(&tree, "attestation");
    assert_eq!(a["subject"], digest.as_str());
    assert_eq!(a["digest"], referrer.as_str());
    assert_eq!(a["key"], format!("hint:{}", hint_of(&public)).as_str());
    // sigstore-js writes no dev.sigstore.bundle.predicateType annotation:
    // vouch reads the predicate type from the statement instead.
    assert_eq!(a["predicateType"], SLSA_PROVENANCE_V1, "{a}");
    assert!(a["created"].is_string(), "{a}");

    // The bundle as served by the registry verifies over the image digest;
    // the same bundle over another digest does not.
    fs::write(scratch.dir().join("served.sigstore.json"), &served).unwrap();
    common::assert_ok(&scratch.run([
        "verify-bundle",
        "--bundle",
        "served.sigstore.json",
        "--key",
        s(&public),
        &digest,
    ]));
    let other = format!("sha256:{}", "ab".repeat(32));
    let out = scratch.run([
        "verify-bundle",
        "--bundle",
        "served.sigstore.json",
        "--key",
        s(&public),
        &other,
    ]);
    assert!(!out.status.success(), "verified over another digest");
}

// ---------------------------------------------------------------------------
// oras-py pulls what vouch attached.

/// Pulls `target` with oras-py into `outdir`; prints the pulled files and
/// the manifest as one JSON document.
const ORAS_PULL: &str = r#"
import json, sys
import oras.client
target, outdir = sys.argv[1], sys.argv[2]
client = oras.client.OrasClient(insecure=True)
manifest = client.get_manifest(target)
files = client.pull(target=target, outdir=outdir)
print("RESULT " + json.dumps({"files": files, "manifest": manifest}))
"#;

#[test]
fn oras_py_pulls_the_bundle_referrer_vouch_wrote() {
    let registry = Registry::plain();
    let repo = "vouch/app";
    let digest = registry.push_image(repo, "v1");
    let image = registry.reference(repo, "v1");
    let scratch = Fixture::new();
    let (key, public) = scratch.keygen("k");
    common::assert_ok(&scratch.run(["sign", &image, "--key", s(&key)]));

    let tree = scratch.tree(&image, &[]);
    let signature = one_bundle(&tree, "signature");
    let referrer = signature["digest"].as_str().unwrap();
    let hint = hint_of(&public);
    assert_eq!(signature["key"], format!("hint:{hint}").as_str());

    let outdir = scratch.dir().join("pulled");
    let out = scratch
        .isolate(&mut common::venv_bin("python"))
        .args(["-c", ORAS_PULL])
        .arg(format!("{}/{repo}@{referrer}", registry.host))
        .arg(&outdir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "oras pull failed: {}\nregistry log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        registry.log()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no result from the oras script: {stdout}"));
    let result: Value = serde_json::from_str(result).unwrap();
    let manifest = &result["manifest"];
    assert_eq!(manifest["artifactType"], BUNDLE_V03, "{manifest}");
    assert_eq!(manifest["subject"]["digest"], digest.as_str());
    let files = result["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{result}");
    let pulled = PathBuf::from(files[0].as_str().unwrap());
    assert!(pulled.starts_with(&outdir), "{}", pulled.display());

    let bundle: Value = serde_json::from_slice(&fs::read(&pulled).unwrap()).unwrap();
    assert_eq!(bundle["mediaType"], BUNDLE_V03);
    assert_eq!(bundle["dsseEnvelope"]["payloadType"], IN_TOTO_PAYLOAD_TYPE);
    assert_eq!(
        bundle["verificationMaterial"]["publicKey"]["hint"],
        hint.as_str()
    );

    common::assert_ok(&scratch.run([
        "verify-bundle",
        "--bundle",
        s(&pulled),
        "--key",
        s(&public),
        &digest,
    ]));
    // Negative control: another key.
    let (_, other) = scratch.keygen("other");
    let out = scratch.run([
        "verify-bundle",
        "--bundle",
        s(&pulled),
        "--key",
        s(&other),
        &digest,
    ]);
    assert!(!out.status.success(), "verified with another key");
}

// ---------------------------------------------------------------------------
// The referrers API (stub proxy in front of a real registry).

#[test]
fn with_a_referrers_api_vouch_writes_no_fallback_tag() {
    let registry = Registry::plain();
    let proxy = ReferrersProxy::start(&registry.host);
    let repo = "vouch/app";
    let digest = registry.push_image(repo, "v1");
    let hex = digest.strip_prefix("sha256:").unwrap();
    let image = format!("{}/{repo}:v1", proxy.host);
    let scratch = Fixture::new();
    let (key, public) = scratch.keygen("k");

    common::assert_ok(&scratch.run(["sign", &image, "--key", s(&key)]));

    let tree = scratch.tree(&image, &[]);
    let signature = one_bundle(&tree, "signature");
    assert_eq!(signature["subject"], digest.as_str());
    let out = scratch.run(["verify-image", &image, "--key", s(&public)]);
    common::assert_ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{}/{repo}@{digest}", proxy.host)
    );

    // The referrers API was asked, and no fallback tag was written: not on
    // the wire, and not in the registry.
    let requests = proxy.requests();
    let api = format!("GET /v2/{repo}/referrers/{digest}");
    assert!(requests.contains(&api), "{requests:#?}");
    assert!(
        !requests
            .iter()
            .any(|r| r.starts_with("PUT") && r.contains("/manifests/sha256-")),
        "{requests:#?}"
    );
    let fallback = registry.inspect_raw(repo, &format!(":sha256-{hex}"), false);
    assert!(
        !fallback.status.success(),
        "a fallback tag was written: {}",
        String::from_utf8_lossy(&fallback.stdout)
    );
    let stderr = String::from_utf8_lossy(&fallback.stderr).to_lowercase();
    assert!(
        stderr.contains("manifest unknown") || stderr.contains("not found"),
        "{stderr}"
    );
    // So the registry alone, without the API, shows nothing attached.
    let direct = scratch.tree(&registry.reference(repo, "v1"), &[]);
    assert!(attachments(&direct).is_empty(), "{direct:#}");
}

// ---------------------------------------------------------------------------
// Registries that misbehave (stub).

/// A digest no registry has.
fn some_digest() -> String {
    vouch_evidence::digest::sha256(b"vouch: some image").to_string()
}

/// `vouch tree IMAGE EXTRA...` must fail cleanly (exit 1, no panic), naming
/// every needle.
fn tree_fails(image: &str, extra: &[&str], needles: &[&str]) -> String {
    let scratch = Fixture::new();
    let mut args = vec!["tree", image];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let out = scratch.run(args);
    let took = started.elapsed();
    // Shown when a test fails, or with --nocapture.
    eprintln!(
        "vouch tree {image}: {took:?}: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    for needle in needles {
        common::assert_fails_with(&out, needle);
    }
    // No timing is asserted: that the command returned at all is what shows
    // a hang is cut off by the timeout.
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn unauthorized_is_reported_with_the_registry_message() {
    let stub = FaultServer::start(Fault::Status(401));
    let host = &stub.host;
    // By tag: HEAD answers carry no body, so no registry message.
    tree_fails(
        &format!("{host}/app:v1"),
        &[],
        &["authentication failed", "no credentials given", host],
    );
    // By digest: GET, with the registry's message.
    let by_digest = format!("{host}/app@{}", some_digest());
    tree_fails(
        &by_digest,
        &[],
        &[
            "authentication failed",
            "UNAUTHORIZED: authentication required (stub)",
        ],
    );
    // With credentials the registry refuses: the same, after one retry.
    tree_fails(
        &by_digest,
        &["--registry-username", "u", "--registry-password", "wrong"],
        &[
            "authentication failed",
            "UNAUTHORIZED: authentication required (stub)",
        ],
    );
}

/// A registry answering every request with `status`: `vouch tree` fails
/// naming `by_tag` by tag (HEAD, no body), `by_digest` by digest (GET, with
/// the registry's message).
fn status_fails(status: u16, by_tag: &[&str], by_digest: &[&str]) {
    let stub = FaultServer::start(Fault::Status(status));
    let host = &stub.host;
    tree_fails(&format!("{host}/app:v1"), &[], by_tag);
    tree_fails(&format!("{host}/app@{}", some_digest()), &[], by_digest);
}

#[test]
fn too_many_requests_is_reported_with_the_registry_message() {
    status_fails(
        429,
        &["429 Too Many Requests"],
        &[
            "429 Too Many Requests",
            "TOOMANYREQUESTS: too many requests, slow down (stub)",
        ],
    );
}

#[test]
fn server_error_is_reported_with_the_registry_message() {
    status_fails(
        500,
        &["500 Internal Server Error"],
        &[
            "500 Internal Server Error",
            "UNKNOWN: the stub broke on purpose",
        ],
    );
}

#[test]
fn not_found_is_reported() {
    let stub = FaultServer::start(Fault::Status(404));
    let host = &stub.host;
    tree_fails(
        &format!("{host}/app:v1"),
        &[],
        &[&format!("tag v1 not found in {host}/app")],
    );
    let digest = some_digest();
    tree_fails(
        &format!("{host}/app@{digest}"),
        &[],
        &[&format!("manifest {digest} not found")],
    );
}

#[test]
fn a_silent_registry_times_out() {
    let stub = FaultServer::start(Fault::Hang);
    // Each attempt (HTTPS, then HTTP on loopback) waits out the timeout.
    let stderr = tree_fails(
        &format!("{}/app:v1", stub.host),
        &["--registry-timeout", "2"],
        &["timed out"],
    );
    assert!(stderr.contains(&stub.host), "{stderr}");
    assert!(!stub.requests().is_empty());
}

#[test]
fn a_manifest_that_does_not_hash_to_its_digest_is_refused() {
    let stub = FaultServer::start(Fault::LyingManifest);
    let host = &stub.host;
    tree_fails(
        &format!("{host}/app:v1"),
        &[],
        &["does not match its digest"],
    );
    let digest = some_digest();
    tree_fails(
        &format!("{host}/app@{digest}"),
        &[],
        &["does not match its digest", &format!("expected {digest}")],
    );
}

/// Runs `vouch tree IMAGE --output json`, which must succeed, and asserts
/// that its one entry was skipped with a reason holding `needle`.
fn tree_ignores(image: &str, needle: &str) {
    let scratch = Fixture::new();
    let out = scratch.run(["tree", image, "--output", "json"]);
    common::assert_ok(&out);
    let tree: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tree["attachments"].as_array().unwrap().len(), 0, "{tree:#}");
    let reason = tree["ignored"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(needle), "expected {needle:?} in {tree:#}");
}

#[test]
fn a_bundle_layer_declared_at_10_gib_is_refused_unread() {
    let stub = FaultServer::start(Fault::HugeBlob { layer_size: HUGE });
    tree_ignores(
        &format!("{}/app:v1", stub.host),
        &format!("is {HUGE} bytes, over the limit of 134217728"),
    );
    let requests = stub.requests();
    assert!(
        requests.iter().any(|r| r.contains("/manifests/sha256-")),
        "the fallback index was not read: {requests:#?}"
    );
    assert!(
        !requests.iter().any(|r| r.contains("/blobs/")),
        "the blob was requested: {requests:#?}"
    );
}

#[test]
fn a_blob_answered_with_10_gib_is_refused_on_its_content_length() {
    let stub = FaultServer::start(Fault::HugeBlob { layer_size: 1024 });
    tree_ignores(
        &format!("{}/app:v1", stub.host),
        &format!("is {HUGE} bytes, over the limit of 1024"),
    );
    let requests = stub.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET") && r.contains("/blobs/")),
        "the blob was not requested: {requests:#?}"
    );
}

/// Where even the version check (`GET /v2/`) fails, vouch cannot tell HTTPS
/// from HTTP: it reports the HTTPS failure ("tls handshake eof"), and the
/// HTTP status the registry did send (429, 500, 404) goes unnamed. It still
/// fails cleanly and at once; that is what is checked here.
#[test]
fn a_registry_failing_its_version_check_is_refused_cleanly() {
    for (status, needle) in [(429, "429"), (500, "500"), (404, "not found")] {
        let stub = FaultServer::start(Fault::StatusEverywhere(status));
        let code = needle.to_string();
        tree_fails(&format!("{}/app:v1", stub.host), &[], &[&stub.host, &code]);
        assert!(stub.requests().contains(&"GET /v2/".to_string()));
    }
}
