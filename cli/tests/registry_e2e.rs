#![allow(clippy::disallowed_macros)] // its measurements are printed as they are
//! End to end: the `vouch` binary against a real Distribution 2.8 registry
//! (plain, and TLS with htpasswd auth), against OCI layouts, and against
//! cosign-format signatures written here byte for byte as cosign lays them
//! out. Every vouch run gets its own HOME and a REGISTRY_AUTH_FILE inside a
//! tempdir, so the machine's own credentials are never read.

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};
use vouch_evidence::attachment::LegacyKeyless;
use vouch_evidence::digest::sha256;
use vouch_evidence::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use vouch_evidence::fixtures::sigstore::{AttestationEntry, TestSigstore};
use vouch_evidence::keys::{PrivateKey, Signer};

use common::registry::{Registry, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST, PASSWORD, USERNAME};
use common::stub::{Fault, FaultServer};
use common::{assert_fails_with, assert_ok, copy_tree, s, stderr, Fixture};

const BUNDLE_ARTIFACT_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";
const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const DSSE_LAYER: &str = "application/vnd.dsse.envelope.v1+json";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

// ---------------------------------------------------------------------------
// Running vouch in a sealed environment: every test's `Fixture` runs vouch
// with a HOME of its own and a REGISTRY_AUTH_FILE path inside it (absent
// unless a test writes it)
// ---------------------------------------------------------------------------

/// Writes a docker config.json with `user:password` for `host` as the
/// fixture's REGISTRY_AUTH_FILE.
fn write_auth(env: &Fixture, host: &str, user: &str, password: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let config = json!({"auths": {host: {"auth": auth}}});
    fs::write(
        env.dir().join("auth.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
}

/// `vouch sign IMAGE --key KEY EXTRA...`, which must succeed.
fn sign(env: &Fixture, image: &str, key: &Path, extra: &[&str]) {
    let out = env.run(args(&["sign", image, "--key", s(key)], extra));
    assert_ok(&out);
}

/// `vouch verify-image IMAGE --key PUBLIC EXTRA...`.
fn verify_image(env: &Fixture, image: &str, public: &Path, extra: &[&str]) -> Output {
    env.run(args(&["verify-image", image, "--key", s(public)], extra))
}

/// `vouch tree IMAGE --output json EXTRA...`, which must succeed.
fn tree_of(env: &Fixture, image: &str, extra: &[&str]) -> Tree {
    Tree(env.tree(image, extra))
}

fn args(base: &[&str], extra: &[&str]) -> Vec<String> {
    base.iter().chain(extra).map(|a| a.to_string()).collect()
}

/// The flags that make vouch trust and log in to the secure registry.
fn secure_flags(registry: &Registry) -> Vec<String> {
    vec![
        "--registry-ca".into(),
        s(registry.ca_pem.as_ref().unwrap()).to_string(),
        "--registry-username".into(),
        USERNAME.into(),
        "--registry-password".into(),
        PASSWORD.into(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The JSON `vouch tree` prints.
struct Tree(Value);

impl Tree {
    fn digest(&self) -> &str {
        self.0["digest"].as_str().unwrap()
    }

    fn attachments(&self) -> &[Value] {
        self.0["attachments"].as_array().unwrap()
    }

    fn signatures(&self) -> Vec<&Value> {
        self.attachments()
            .iter()
            .filter(|a| a["kind"] == "signature")
            .collect()
    }

    fn formats(&self) -> Vec<&str> {
        let mut formats: Vec<&str> = self
            .signatures()
            .iter()
            .map(|a| a["format"].as_str().unwrap())
            .collect();
        formats.sort_unstable();
        formats
    }
}

// ---------------------------------------------------------------------------
// Hand-written OCI layouts (cosign images, huge indexes, corrupted blobs)
// ---------------------------------------------------------------------------

/// An OCI image layout directory written by hand.
struct Layout {
    dir: PathBuf,
}

impl Layout {
    fn create(dir: PathBuf) -> Layout {
        fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
        fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        Layout { dir }
    }

    /// Stores `bytes`; returns the descriptor JSON.
    fn blob(&self, media_type: &str, bytes: &[u8]) -> Value {
        let digest = sha256(bytes);
        fs::write(self.blob_path(&digest.hex()), bytes).unwrap();
        json!({"mediaType": media_type, "digest": digest.to_string(), "size": bytes.len()})
    }

    fn blob_path(&self, hex: &str) -> PathBuf {
        self.dir.join("blobs/sha256").join(hex)
    }

    /// Writes index.json with these (descriptor, tag) entries.
    fn set_tags(&self, entries: &[(&Value, &str)]) {
        let manifests: Vec<Value> = entries
            .iter()
            .map(|(d, tag)| {
                let mut d = (*d).clone();
                d["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
                d
            })
            .collect();
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
        fs::write(
            self.dir.join("index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
    }

    /// A tiny image manifest (empty rootfs); returns its descriptor.
    fn small_image(&self) -> Value {
        let config = self.blob(
            OCI_CONFIG,
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#,
        );
        let manifest = json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [],
        });
        self.blob(OCI_MANIFEST, &serde_json::to_vec(&manifest).unwrap())
    }

    /// A cosign signature or attestation image, exactly as cosign writes it:
    /// the empty-image config whose rootfs lists the one layer, and the
    /// layer with its annotations. Returns the manifest descriptor.
    fn cosign_image(&self, layer_media_type: &str, layer: &[u8], annotations: &Value) -> Value {
        let layer_digest = sha256(layer);
        let config = format!(
            r#"{{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{{"created":"0001-01-01T00:00:00Z"}}],"os":"","rootfs":{{"type":"layers","diff_ids":["{layer_digest}"]}},"config":{{}}}}"#
        );
        let config_digest = sha256(config.as_bytes());
        self.blob(OCI_CONFIG, config.as_bytes());
        self.blob(layer_media_type, layer);
        // Field order as go-containerregistry marshals it.
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"{OCI_CONFIG}","size":{},"digest":"{config_digest}"}},"layers":[{{"mediaType":"{layer_media_type}","size":{},"digest":"{layer_digest}","annotations":{}}}]}}"#,
            config.len(),
            layer.len(),
            serde_json::to_string(annotations).unwrap(),
        );
        self.blob(OCI_MANIFEST, manifest.as_bytes())
    }

    fn oci(&self, tag: &str) -> String {
        format!("oci:{}:{tag}", self.dir.display())
    }
}

/// The simple-signing payload cosign signs for `image` (`sha256:…`).
fn simple_signing_payload(docker_reference: &str, image: &str) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{docker_reference}"}},"image":{{"docker-manifest-digest":"{image}"}},"type":"cosign container image signature"}},"optional":null}}"#
    )
    .into_bytes()
}

fn load_key(path: &Path) -> PrivateKey {
    PrivateKey::from_pkcs8_pem(&fs::read_to_string(path).unwrap()).unwrap()
}

/// `skopeo copy --preserve-digests oci:LAYOUT:TAG docker://HOST/REPO:DEST_TAG`.
fn skopeo_push(registry: &Registry, layout: &Layout, tag: &str, repo: &str, dest_tag: &str) {
    let out = registry
        .skopeo()
        .args(["copy", "--quiet", "--preserve-digests"])
        .args(registry.skopeo_args("--dest-", true))
        .arg(layout.oci(tag))
        .arg(format!("docker://{}", registry.reference(repo, dest_tag)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo copy: {}\nregistry log:\n{}",
        stderr(&out),
        registry.log()
    );
}

/// Pushes a cosign `.sig` image for `subject` (`sha256:…`) whose payload
/// names `signed` as the image, signed with `key`.
fn push_cosign_signature(
    registry: &Registry,
    env: &Fixture,
    repo: &str,
    subject: &str,
    signed: &str,
    key: &Path,
) {
    let payload = simple_signing_payload(&format!("{}/{repo}", registry.host), signed);
    let signature = load_key(key).sign(&payload).unwrap();
    let layout = Layout::create(env.dir().join(format!("cosign-sig-{}", &subject[7..19])));
    let manifest = layout.cosign_image(
        SIMPLE_SIGNING,
        &payload,
        &json!({SIGNATURE_ANNOTATION: base64::engine::general_purpose::STANDARD.encode(signature)}),
    );
    layout.set_tags(&[(&manifest, "sig")]);
    skopeo_push(registry, &layout, "sig", repo, &cosign_tag(subject, "sig"));
}

/// `sha256-<hex>` (`suffix` empty) or `sha256-<hex>.SUFFIX`.
fn cosign_tag(digest: &str, suffix: &str) -> String {
    let tag = digest.replace(':', "-");
    if suffix.is_empty() {
        tag
    } else {
        format!("{tag}.{suffix}")
    }
}

// ---------------------------------------------------------------------------
// 1. Plain registry: both formats, tree, verify, the fallback index
// ---------------------------------------------------------------------------

#[test]
fn plain_registry_sign_tree_verify_both_formats() {
    let registry = Registry::plain();
    let env = Fixture::new();
    let digest = registry.push_image("team/app", "v1");
    let image = registry.reference("team/app", "v1");
    let (key, public) = env.keygen("ci");
    let (_, other_public) = env.keygen("other");

    sign(&env, &image, &key, &[]);
    sign(
        &env,
        &image,
        &key,
        &["--format", "legacy", "-a", "build=42"],
    );

    let tree = tree_of(&env, &image, &[]);
    assert_eq!(tree.digest(), digest);
    assert_eq!(tree.0["image"], format!("{}/team/app", registry.host));
    assert_eq!(tree.signatures().len(), 2, "{:#}", tree.0);
    assert_eq!(tree.attachments().len(), 2, "{:#}", tree.0);
    assert_eq!(tree.formats(), ["bundle", "legacy"]);
    let bundle = tree
        .signatures()
        .into_iter()
        .find(|a| a["format"] == "bundle")
        .unwrap();
    assert_eq!(bundle["predicateType"], COSIGN_SIGN_PREDICATE);
    assert_eq!(bundle["subject"], digest);
    assert!(bundle["key"].as_str().unwrap().starts_with("hint:"));

    let out = verify_image(&env, &image, &public, &[]);
    assert_ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{}/team/app@{digest}", registry.host)
    );
    let err = stderr(&out);
    assert!(
        err.contains("Verified: bundle") && err.contains("Verified: legacy"),
        "{err}"
    );

    let out = verify_image(&env, &image, &other_public, &[]);
    assert_fails_with(&out, "no signature on");
    assert_fails_with(&out, "verifies with key");

    // The tag-schema fallback index, as another client sees it.
    let out = registry.inspect_raw("team/app", &format!(":{}", cosign_tag(&digest, "")), false);
    assert!(out.status.success(), "skopeo inspect: {}", stderr(&out));
    let index: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(index["mediaType"], OCI_INDEX);
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{index:#}");
    assert_eq!(entries[0]["artifactType"], BUNDLE_ARTIFACT_TYPE);
    assert_eq!(
        entries[0]["annotations"]["dev.sigstore.bundle.content"],
        "dsse-envelope"
    );
    assert_eq!(
        entries[0]["annotations"]["dev.sigstore.bundle.predicateType"],
        COSIGN_SIGN_PREDICATE
    );
    assert_eq!(entries[0]["digest"], bundle["digest"]);

    // The legacy signature carries the annotation in its signed payload.
    let out = registry.inspect_raw(
        "team/app",
        &format!(":{}", cosign_tag(&digest, "sig")),
        false,
    );
    assert!(out.status.success(), "skopeo inspect: {}", stderr(&out));
    let sig: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sig["layers"][0]["mediaType"], SIMPLE_SIGNING);
    assert!(sig["layers"][0]["annotations"][SIGNATURE_ANNOTATION].is_string());
}

// ---------------------------------------------------------------------------
// 2. Secure registry: TLS with a private CA, htpasswd
// ---------------------------------------------------------------------------

#[test]
fn secure_registry_needs_credentials_and_ca() {
    let registry = Registry::secure();
    let env = Fixture::new();
    let digest = registry.push_image("team/private", "v1");
    let image = registry.reference("team/private", "v1");
    let (key, public) = env.keygen("ci");
    let ca = s(registry.ca_pem.as_ref().unwrap());

    // Trusted, but anonymous: refused with the 401. A tag is resolved by
    // HEAD, whose answer has no body, so only the status is there...
    let out = env.run(["tree", &image, "--registry-ca", ca]);
    assert_fails_with(
        &out,
        "authentication failed (no credentials given): Unauthorized",
    );
    // ...while a GET by digest carries the registry's own error body.
    let pinned = format!("{}/team/private@{digest}", registry.host);
    let out = env.run(["tree", &pinned, "--registry-ca", ca]);
    assert_fails_with(
        &out,
        "authentication failed (no credentials given): UNAUTHORIZED: authentication required",
    );
    let out = env.run(["sign", &image, "--key", s(&key), "--registry-ca", ca]);
    assert_fails_with(&out, "authentication failed");

    // CA and credentials as flags.
    let flags = secure_flags(&registry);
    sign(&env, &image, &key, &strs(&flags));
    let legacy = [
        vec!["--format".to_string(), "legacy".to_string()],
        flags.clone(),
    ]
    .concat();
    sign(&env, &image, &key, &strs(&legacy));
    let tree = tree_of(&env, &image, &strs(&flags));
    assert_eq!(tree.digest(), digest);
    assert_eq!(tree.formats(), ["bundle", "legacy"]);
    assert_ok(&verify_image(&env, &image, &public, &strs(&flags)));

    // Credentials from a docker config.json in $REGISTRY_AUTH_FILE.
    write_auth(&env, &registry.host, USERNAME, PASSWORD);
    let ca_only = ["--registry-ca", ca];
    let (key2, public2) = env.keygen("second");
    sign(&env, &image, &key2, &ca_only);
    let tree = tree_of(&env, &image, &ca_only);
    assert_eq!(tree.formats(), ["bundle", "bundle", "legacy"]);
    assert_ok(&verify_image(&env, &image, &public2, &ca_only));
    assert_ok(&verify_image(&env, &image, &public, &ca_only));

    // A wrong password in the file is refused.
    write_auth(&env, &registry.host, USERNAME, "wrong-password");
    let out = env.run(["tree", &image, "--registry-ca", ca]);
    assert_fails_with(&out, "authentication failed");
    write_auth(&env, &registry.host, USERNAME, PASSWORD);

    // Without the CA the server certificate is not trusted (and there is
    // no silent fall-back to plain HTTP on this loopback registry).
    let out = env.run(["tree", &image]);
    assert_fails_with(&out, "invalid peer certificate");
    let out = verify_image(&env, &image, &public, &[]);
    assert_fails_with(&out, "certificate");
}

// ---------------------------------------------------------------------------
// 3. Multi-arch: --recursive
// ---------------------------------------------------------------------------

#[test]
fn recursive_signing_of_an_index() {
    let registry = Registry::plain();
    let env = Fixture::new();
    let (index, platforms) = registry.push_index("team/multi", "v1");
    let image = registry.reference("team/multi", "v1");
    let (key, public) = env.keygen("ci");

    sign(&env, &image, &key, &["--recursive"]);
    let tree = tree_of(&env, &image, &[]);
    assert_eq!(tree.digest(), index);
    let signed: BTreeSet<&str> = tree
        .signatures()
        .iter()
        .map(|a| a["subject"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = std::iter::once(index.as_str())
        .chain(platforms.iter().map(String::as_str))
        .collect();
    assert_eq!(signed, expected);
    assert_eq!(tree.signatures().len(), 3, "{:#}", tree.0);

    for platform in &platforms {
        let by_digest = format!("{}/team/multi@{platform}", registry.host);
        assert_ok(&verify_image(&env, &by_digest, &public, &[]));
    }
    assert_ok(&verify_image(&env, &image, &public, &[]));

    // A single image has no platforms to recurse into.
    registry.push_image("team/single", "v1");
    let out = env.run([
        "sign",
        &registry.reference("team/single", "v1"),
        "--key",
        s(&key),
        "--recursive",
    ]);
    assert_fails_with(&out, "is a single image, not an index");
}

// ---------------------------------------------------------------------------
// 4. Concurrency: 8 signers at once
// ---------------------------------------------------------------------------

#[test]
fn concurrent_signers_all_keep_their_signatures() {
    const SIGNERS: usize = 8;
    let registry = Registry::plain();
    let env = Fixture::new();
    registry.push_image("team/busy", "v1");
    let image = registry.reference("team/busy", "v1");
    let keys: Vec<(PathBuf, PathBuf)> =
        (0..SIGNERS).map(|i| env.keygen(&format!("k{i}"))).collect();

    let children: Vec<_> = keys
        .iter()
        .map(|(key, _)| {
            env.command(["sign", &image, "--key", s(key)])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        assert_ok(&child.wait_with_output().unwrap());
    }

    let tree = tree_of(&env, &image, &[]);
    assert_eq!(tree.formats(), vec!["bundle"; SIGNERS], "{:#}", tree.0);
    let hints: BTreeSet<&str> = tree
        .signatures()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    assert_eq!(hints.len(), SIGNERS, "one signature per key");
    for (_, public) in &keys {
        assert_ok(&verify_image(&env, &image, public, &[]));
    }
}

// ---------------------------------------------------------------------------
// 5. Copy: registry -> layout -> secure registry
// ---------------------------------------------------------------------------

#[test]
fn copy_registry_to_layout_to_secure_registry() {
    let plain = Registry::plain();
    let secure = Registry::secure();
    let env = Fixture::new();
    let digest = plain.push_image("team/app", "v1");
    let src = plain.reference("team/app", "v1");
    let (key, public) = env.keygen("ci");
    sign(&env, &src, &key, &[]);
    sign(&env, &src, &key, &["--format", "legacy"]);

    let layout = format!("oci:{}/audit/layout:v1", env.dir().display());
    assert_ok(&env.run(["copy", &src, &layout]));
    let out = verify_image(&env, &layout, &public, &[]);
    assert_ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("oci:{}/audit/layout@{digest}", env.dir().display())
    );
    let tree = tree_of(&env, &layout, &[]);
    assert_eq!(tree.digest(), digest);
    assert_eq!(tree.formats(), ["bundle", "legacy"]);

    let flags = secure_flags(&secure);
    let dst = secure.reference("other/app", "v1");
    assert_ok(&env.run(args(&["copy", &layout, &dst], &strs(&flags))));
    let out = verify_image(&env, &dst, &public, &strs(&flags));
    assert_ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{}/other/app@{digest}", secure.host)
    );
    let tree = tree_of(&env, &dst, &strs(&flags));
    assert_eq!(tree.digest(), digest);
    assert_eq!(tree.formats(), ["bundle", "legacy"]);
}

/// `vouch copy SRC DST --registry-username …` logs in to DST, the registry
/// written to: SRC gets only its own credentials (`--registry-credentials`
/// or the docker config), never DST's.
#[test]
fn regression_issue_9_copy_sends_each_registry_only_its_own_credentials() {
    let env = Fixture::new();
    let mirror = Registry::plain_with_auth();
    let dst = mirror.reference("mirror/app", "v1");
    let login = [
        "--registry-username",
        USERNAME,
        "--registry-password",
        PASSWORD,
    ];
    // A source that asks everyone for credentials.
    let source = FaultServer::start(Fault::Status(401));
    let src = format!("{}/team/app:v1", source.host);
    let out = env.run(args(&["copy", &src, &dst], &login));
    assert_fails_with(
        &out,
        &format!(
            "registry {}: authentication failed (no credentials given)",
            source.host
        ),
    );
    assert_eq!(source.authorizations(), Vec::<String>::new());

    // Its own, bound to it, and nothing else.
    fs::write(env.dir().join("reader.token"), "read-only-token\n").unwrap();
    let bound = format!("{}=reader:@reader.token", source.host);
    let out = env.run(args(
        &["copy", &src, &dst, "--registry-credentials", &bound],
        &login,
    ));
    assert_fails_with(&out, "authentication failed");
    let basic = base64::engine::general_purpose::STANDARD.encode("reader:read-only-token");
    assert_eq!(source.authorizations(), [format!("Basic {basic}")]);

    // The destination's are used for the destination: a real copy, which
    // fails without them.
    let plain = Registry::plain();
    let digest = plain.push_image("team/app", "v1");
    let from = plain.reference("team/app", "v1");
    let out = env.run(["copy", &from, &dst]);
    assert_fails_with(&out, "authentication failed");
    assert_ok(&env.run(args(&["copy", &from, &dst], &login)));
    let flags = [
        "--registry-credentials",
        &format!("{}={USERNAME}:@pw", mirror.host),
    ];
    fs::write(env.dir().join("pw"), PASSWORD).unwrap();
    assert_eq!(tree_of(&env, &dst, &flags).digest(), digest);
}

/// Credentials given on the command line are for one registry: a command
/// reading images on two refuses them rather than guess, and the second
/// registry is never asked.
#[test]
fn regression_issue_9_command_line_credentials_are_for_one_registry() {
    let env = Fixture::new();
    let plain = Registry::plain();
    plain.push_image("team/app", "v1");
    let first = plain.reference("team/app", "v1");
    let other = FaultServer::start(Fault::Status(401));
    let second = format!("{}/team/app:v1", other.host);
    let login = [
        "--registry-username",
        USERNAME,
        "--registry-password",
        PASSWORD,
    ];
    let policy = env.dir().join("policy.yaml");
    fs::write(
        &policy,
        "apiVersion: vouch.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {name: open}\n\
         spec:\n  images: [{glob: \"**\"}]\n  authorities: [{name: any, static: pass}]\n",
    )
    .unwrap();
    let policy = s(&policy);
    let out = env.run(args(
        &["verify", &first, &second, "--policy", policy],
        &login,
    ));
    assert_fails_with(
        &out,
        &format!(
            "--registry-username/--registry-password are for one registry, and this command reads {} and {}",
            plain.host, other.host
        ),
    );
    assert_eq!(other.requests(), Vec::<String>::new());
    // Negative control: each image alone is verified with them.
    assert_ok(&env.run(args(&["verify", &first, "--policy", policy], &login)));
}

// ---------------------------------------------------------------------------
// 6. Signatures and attestations laid out by cosign
// ---------------------------------------------------------------------------

#[test]
fn reads_legacy_cosign_signatures_and_attestations() {
    let registry = Registry::plain();
    let env = Fixture::new();
    let repo = "team/cosigned";
    let digest = registry.push_image(repo, "v1");
    let image = registry.reference(repo, "v1");
    let (key, public) = env.keygen("cosign");

    push_cosign_signature(&registry, &env, repo, &digest, &digest, &key);

    // The attestation: a DSSE envelope over an in-toto statement.
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": format!("{}/{repo}", registry.host), "digest": {"sha256": &digest[7..]}}],
        "predicateType": SLSA_PROVENANCE_V1,
        "predicate": {"buildDefinition": {"buildType": "https://example.com/build/v1"}},
    });
    let signer = load_key(&key);
    let envelope = Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        &serde_json::to_vec(&statement).unwrap(),
        &[&signer as &dyn Signer],
    )
    .unwrap();
    let layout = Layout::create(env.dir().join("cosign-att"));
    let att = layout.cosign_image(
        DSSE_LAYER,
        &envelope.to_json(),
        &json!({"predicateType": SLSA_PROVENANCE_V1, SIGNATURE_ANNOTATION: ""}),
    );
    layout.set_tags(&[(&att, "att")]);
    skopeo_push(&registry, &layout, "att", repo, &cosign_tag(&digest, "att"));

    let tree = tree_of(&env, &image, &[]);
    assert_eq!(tree.attachments().len(), 2, "{:#}", tree.0);
    assert_eq!(tree.formats(), ["legacy"]);
    let attestation = tree
        .attachments()
        .iter()
        .find(|a| a["kind"] == "attestation")
        .unwrap();
    assert_eq!(attestation["format"], "legacy");
    assert_eq!(attestation["predicateType"], SLSA_PROVENANCE_V1);
    assert_eq!(attestation["subject"], digest);
    assert_ok(&verify_image(&env, &image, &public, &[]));
    let (_, stranger) = env.keygen("stranger");
    let out = verify_image(&env, &image, &stranger, &[]);
    assert_fails_with(&out, "signature does not verify with key");

    // A signature whose payload names another image does not count.
    let other = registry.push_image(repo, "v2");
    push_cosign_signature(&registry, &env, repo, &other, &digest, &key);
    let out = verify_image(&env, &registry.reference(repo, "v2"), &public, &[]);
    assert_fails_with(&out, &format!("is for {digest}"));
}

// ---------------------------------------------------------------------------
// Legacy keyless cosign layers (before Sigstore bundles)
// ---------------------------------------------------------------------------

const RELEASE: &str = "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main";
const GITHUB: &str = "https://token.actions.githubusercontent.com";

/// A policy whose one keyless authority admits `subject` from GitHub
/// Actions, under the test Sigstore's root (root.json), for the image
/// signature and the provenance.
fn legacy_keyless_policy(subject: &str) -> String {
    format!(
        r#"apiVersion: vouch.dev/v1alpha1
kind: ImagePolicy
metadata: {{name: legacy-keyless}}
spec:
  images: [{{glob: "oci:**"}}]
  authorities:
    - name: release
      keyless:
        trustedRoot: root.json
        identities:
          - issuer: {GITHUB}
            subject: {subject}
  signatures: {{authorities: [release]}}
  attestations:
    - name: provenance
      predicateType: {SLSA_PROVENANCE_V1}
      authorities: [release]
"#
    )
}

/// The annotations cosign writes on a keyless layer (`chain` included,
/// though vouch builds the chain from the trusted root).
fn keyless_annotations(signature: &[u8], keyless: &LegacyKeyless, chain: &str) -> Value {
    let mut annotations = json!({
        SIGNATURE_ANNOTATION: base64::engine::general_purpose::STANDARD.encode(signature),
        "dev.sigstore.cosign/certificate": keyless.certificate,
        "dev.sigstore.cosign/chain": chain,
    });
    if let Some(bundle) = &keyless.rekor_bundle {
        annotations["dev.sigstore.cosign/bundle"] = bundle.as_str().into();
    }
    annotations
}

/// An `oci:` layout with one image, tagged `v1`, whose `.sig` and `.att`
/// tags hold keyless layers signed by `subject` through `sigstore`, as
/// cosign wrote them before bundles (`bundle_annotation` false drops the
/// Rekor bundle from both). Returns the layout.
fn legacy_keyless_image(
    env: &Fixture,
    sigstore: &TestSigstore,
    subject: &str,
    bundle_annotation: bool,
) -> Layout {
    let layout = Layout::create(env.dir().join(format!("layout-{bundle_annotation}")));
    let image = layout.small_image();
    let digest = image["digest"].as_str().unwrap().to_string();
    let payload = simple_signing_payload("registry.test/app", &digest);
    let (signature, mut sig_keyless) = sigstore.sign_legacy(subject, GITHUB, &payload);
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": SLSA_PROVENANCE_V1,
        "subject": [{"name": "registry.test/app", "digest": {"sha256": &digest[7..]}}],
        "predicate": {"buildDefinition": {"buildType": "https://example.com/build/v1"}},
    });
    let (envelope, mut att_keyless) = sigstore.attest_legacy(
        subject,
        GITHUB,
        AttestationEntry::IntotoV002,
        IN_TOTO_PAYLOAD_TYPE,
        &serde_json::to_vec(&statement).unwrap(),
    );
    if !bundle_annotation {
        sig_keyless.rekor_bundle = None;
        att_keyless.rekor_bundle = None;
    }
    let sig = layout.cosign_image(
        SIMPLE_SIGNING,
        &payload,
        &keyless_annotations(&signature, &sig_keyless, &sigstore.chain_pem()),
    );
    let mut annotations = keyless_annotations(b"", &att_keyless, &sigstore.chain_pem());
    annotations["predicateType"] = SLSA_PROVENANCE_V1.into();
    let att = layout.cosign_image(DSSE_LAYER, &envelope.to_json(), &annotations);
    let (sig_tag, att_tag) = (cosign_tag(&digest, "sig"), cosign_tag(&digest, "att"));
    layout.set_tags(&[(&image, "v1"), (&sig, &sig_tag), (&att, &att_tag)]);
    layout
}

fn verify_with(env: &Fixture, layout: &Layout, policy: &str) -> (Output, Value) {
    fs::write(env.dir().join("policy.yaml"), policy).unwrap();
    let out = env.run([
        "verify",
        &layout.oci("v1"),
        "--policy",
        "policy.yaml",
        "--output",
        "json",
    ]);
    let verdict = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, verdict)
}

/// Every reason an attachment was not used, under any policy.
fn ignored(verdict: &Value) -> String {
    verdict["images"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["ignored"].as_array().unwrap().iter())
        .map(|r| r.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn legacy_keyless_cosign_layers_verify_under_a_keyless_authority() {
    let env = Fixture::new();
    let sigstore = TestSigstore::new();
    fs::write(env.dir().join("root.json"), sigstore.trusted_root()).unwrap();
    let layout = legacy_keyless_image(&env, &sigstore, RELEASE, true);

    let (out, verdict) = verify_with(&env, &layout, &legacy_keyless_policy(RELEASE));
    assert_ok(&out);
    assert_eq!(verdict["images"][0]["verdict"], "allow", "{verdict:#}");
    let requirements = verdict["images"][0]["policies"][0]["requirements"]
        .as_array()
        .unwrap();
    assert_eq!(requirements.len(), 2, "{verdict:#}");
    for r in requirements {
        assert_eq!(r["passed"], true, "{r}");
        let by = r["satisfiedBy"][0].as_str().unwrap();
        assert!(by.starts_with("release: ") && by.contains(RELEASE), "{r}");
    }
    let formats: Vec<&str> = verdict["images"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["legacy", "legacy"], "{verdict:#}");

    // Another identity: the same layers verify, but the signer is refused.
    let other = RELEASE.replace("release.yml", "nightly.yml");
    let (out, verdict) = verify_with(&env, &layout, &legacy_keyless_policy(&other));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(verdict["images"][0]["verdict"], "deny", "{verdict:#}");
    assert!(
        ignored(&verdict).contains("certificate identity mismatch"),
        "{verdict:#}"
    );
}

#[test]
fn regression_issue_17_legacy_keyless_layers_need_their_rekor_bundle_and_root() {
    let env = Fixture::new();
    let sigstore = TestSigstore::new();
    // Without the Rekor bundle annotation: refused by name, nothing weaker.
    fs::write(env.dir().join("root.json"), sigstore.trusted_root()).unwrap();
    let layout = legacy_keyless_image(&env, &sigstore, RELEASE, false);
    let (out, verdict) = verify_with(&env, &layout, &legacy_keyless_policy(RELEASE));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(verdict["images"][0]["verdict"], "deny", "{verdict:#}");
    assert!(
        ignored(&verdict).contains("no dev.sigstore.cosign/bundle annotation"),
        "{verdict:#}"
    );
    // Under another Sigstore's root (another CA, another log): refused.
    let layout = legacy_keyless_image(&env, &sigstore, RELEASE, true);
    fs::write(
        env.dir().join("root.json"),
        TestSigstore::new().trusted_root(),
    )
    .unwrap();
    let (out, verdict) = verify_with(&env, &layout, &legacy_keyless_policy(RELEASE));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(verdict["images"][0]["verdict"], "deny", "{verdict:#}");
    assert!(ignored(&verdict).contains("does not verify"), "{verdict:#}");
}

// ---------------------------------------------------------------------------
// 7. Bad input
// ---------------------------------------------------------------------------

#[test]
fn malformed_reference_and_missing_tag() {
    let registry = Registry::plain();
    let env = Fixture::new();
    let out = env.run(["tree", "UPPER/Case"]);
    assert_fails_with(&out, "bad image reference");
    let out = env.run(["tree", &format!("{}/team/NoSuch", registry.host)]);
    assert_fails_with(&out, "bad image reference");

    registry.push_image("team/app", "v1");
    let out = env.run(["tree", &registry.reference("team/app", "missing")]);
    assert_fails_with(&out, "tag missing not found");
    let out = env.run(["tree", &registry.reference("team/absent", "v1")]);
    assert_fails_with(&out, "not found");
}

#[test]
fn ten_thousand_attachments_hit_the_limits() {
    const FAKES: usize = 10_000;
    let env = Fixture::new();
    let layout = Layout::create(env.dir().join("flood"));
    let image = layout.small_image();
    let subject = image["digest"].as_str().unwrap().to_string();
    layout.set_tags(&[(&image, "v1")]);
    common::registry::flood_referrers(&layout.dir, &subject, FAKES);
    let target = layout.oci("v1");

    // Defaults: the listing is read, but it names more Sigstore bundles
    // than the attachment limit (100): refused before any is fetched.
    let started = Instant::now();
    let out = env.run(["tree", &target]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_fails_with(&out, "10000 is over the limit of 100");
    assert_fails_with(&out, &format!("attachments of {subject}"));

    // A listing longer than --max-referrers is refused as a whole.
    let out = env.run(["tree", &target, "--max-referrers", "5000"]);
    assert_fails_with(&out, "10000 is over the limit of 5000");

    // Room for them all: each made-up referrer is fetched, found missing,
    // and reported; none is an attachment.
    let out = env.run([
        "tree",
        &target,
        "--max-attachments",
        "20000",
        "--output",
        "json",
    ]);
    assert_ok(&out);
    let tree: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tree["attachments"].as_array().unwrap().len(), 0);
    let ignored = tree["ignored"].as_array().unwrap();
    assert_eq!(ignored.len(), FAKES);
    assert!(ignored
        .iter()
        .all(|i| i["reason"].as_str().unwrap().contains("not found")));
}

#[test]
fn corrupted_blob_in_a_layout_is_refused() {
    let env = Fixture::new();
    let layout = Layout::create(env.dir().join("layout"));
    let image = layout.small_image();
    layout.set_tags(&[(&image, "v1")]);
    let target = layout.oci("v1");
    let (key, public) = env.keygen("ci");
    sign(&env, &target, &key, &[]);
    assert_ok(&verify_image(&env, &target, &public, &[]));

    // The bundle layer is a few hundred bytes: over a 10-byte blob limit.
    // The signature is reported unreadable, and so does not verify.
    let tree = tree_of(&env, &target, &["--max-blob-bytes", "10"]);
    assert!(tree.signatures().is_empty(), "{:#}", tree.0);
    let reason = tree.0["ignored"][0]["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("over the limit of 10"), "{reason}");
    let out = verify_image(&env, &target, &public, &["--max-blob-bytes", "10"]);
    assert_fails_with(&out, "over the limit of 10");

    let tree = tree_of(&env, &target, &[]);
    assert_eq!(tree.signatures().len(), 1);
    let referrer = tree.signatures()[0]["digest"].as_str().unwrap().to_string();
    let path = layout.blob_path(&referrer[7..]);
    let honest = fs::read(&path).unwrap();
    let mut bytes = honest.clone();
    let last = bytes.len() - 1;
    bytes[last] = b' '; // the closing brace, gone
    fs::write(&path, &bytes).unwrap();

    let tree = tree_of(&env, &target, &[]);
    assert!(tree.signatures().is_empty(), "{:#}", tree.0);
    let reason = tree.0["ignored"][0]["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("does not match its digest"), "{reason}");
    assert!(reason.contains(&format!("expected {referrer}")), "{reason}");
    let out = verify_image(&env, &target, &public, &[]);
    assert_fails_with(&out, "does not match its digest");

    // Longer than its descriptor says: refused after that many bytes.
    bytes.push(b'}');
    fs::write(&path, &bytes).unwrap();
    let tree = tree_of(&env, &target, &[]);
    let reason = tree.0["ignored"][0]["reason"].as_str().unwrap().to_string();
    assert!(
        reason.contains(&format!("declared {} bytes, got more", honest.len())),
        "{reason}"
    );
}

#[test]
fn a_moved_tag_is_not_signed() {
    let registry = Registry::plain();
    let env = Fixture::new();
    let old = registry.push_image("team/moving", "v1");
    let image = registry.reference("team/moving", "v1");
    let (key, public) = env.keygen("ci");
    sign(&env, &image, &key, &[]);
    assert_ok(&verify_image(&env, &image, &public, &[]));

    let new = registry.push_image("team/moving", "v1");
    assert_ne!(old, new);
    let out = verify_image(&env, &image, &public, &[]);
    assert_fails_with(
        &out,
        &format!(
            "no signature is attached to {}/team/moving@{new}",
            registry.host
        ),
    );
    let pinned = format!("{}/team/moving@{old}", registry.host);
    assert_ok(&verify_image(&env, &pinned, &public, &[]));
}

// ---------------------------------------------------------------------------
// 8. Issue 8: concurrent writers, copies, FIFOs, unreadable entries
// ---------------------------------------------------------------------------

/// Runs `cmd` to completion, failing the test if it takes over 30 s (it is
/// then killed): a hang is a failure, not a stuck test run.
fn run_with_deadline(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("hung; killed after 30 s. stderr: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn regression_issue_8_a_stalled_signer_does_not_erase_another_signers_entry() {
    let env = Fixture::new();
    let layout = Layout::create(env.dir().join("layout"));
    let image = layout.small_image();
    layout.set_tags(&[(&image, "v1")]);
    let target = layout.oci("v1");
    let (slow_key, slow_public) = env.keygen("slow");
    let (fast_key, fast_public) = env.keygen("fast");

    // The slow signer waits 3 s before each flock(2) it makes (strace's
    // fault injection), as if descheduled between reading the fallback
    // index and writing it back.
    let vouch = common::vouch();
    let mut slow = Command::new("strace");
    env.isolate(&mut slow)
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=flock"])
        .args(["-e", "inject=flock:delay_enter=3000000", "--"])
        .arg(vouch.get_program())
        .args(["sign", &target, "--key", s(&slow_key)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut slow = slow
        .spawn()
        .expect("strace not found: run scripts/install-oracles.sh");
    std::thread::sleep(Duration::from_secs(1));
    // Meanwhile another signer signs, and says it is done.
    assert_ok(&env.run(["sign", &target, "--key", s(&fast_key)]));
    assert!(
        slow.try_wait().unwrap().is_none(),
        "the slow signer was not slow: the two did not overlap"
    );
    assert_ok(&slow.wait_with_output().unwrap());

    let tree = tree_of(&env, &target, &[]);
    assert_eq!(tree.formats(), ["bundle", "bundle"], "{:#}", tree.0);
    assert_ok(&verify_image(&env, &target, &fast_public, &[]));
    assert_ok(&verify_image(&env, &target, &slow_public, &[]));
}

#[test]
fn regression_issue_8_an_unconfirmed_write_exits_3() {
    let registry = Registry::plain();
    let proxy = common::stub::ReferrersProxy::start(&registry.host);
    let env = Fixture::new();
    let digest = registry.push_image("team/lost", "v1");
    let image = format!("{}/team/lost:v1", proxy.host);
    let (key, _) = env.keygen("ci");
    proxy.drop_tag_writes("team/lost", &cosign_tag(&digest, "sig"));
    let out = env.run(["sign", &image, "--key", s(&key), "--format", "legacy"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("vouch: error:"), "{err}");
    assert!(err.contains(&cosign_tag(&digest, "sig")), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn regression_issue_8_copy_keeps_the_destinations_signatures() {
    let env = Fixture::new();
    let src_layout = Layout::create(env.dir().join("src"));
    let image = src_layout.small_image();
    src_layout.set_tags(&[(&image, "v1")]);
    let src = src_layout.oci("v1");
    // The destination holds the same image, signed by three other keys in
    // both formats.
    copy_tree(&src_layout.dir, &env.dir().join("dst"));
    let dst = format!("oci:{}/dst:v1", env.dir().display());
    let keys: Vec<(PathBuf, PathBuf)> = (0..4).map(|i| env.keygen(&format!("k{i}"))).collect();
    for (key, _) in &keys[1..] {
        sign(&env, &dst, key, &["--format", "legacy"]);
        sign(&env, &dst, key, &[]);
    }
    sign(&env, &src, &keys[0].0, &["--format", "legacy"]);
    sign(&env, &src, &keys[0].0, &[]);

    assert_ok(&env.run(["copy", &src, &dst]));
    let tree = tree_of(&env, &dst, &[]);
    let formats = tree.formats();
    let legacy = formats.iter().filter(|f| **f == "legacy").count();
    assert_eq!((formats.len(), legacy), (8, 4), "{:#}", tree.0);
    for (_, public) in &keys {
        assert_ok(&verify_image(&env, &dst, public, &[]));
    }
    // Copying again adds nothing: entries are merged by content.
    assert_ok(&env.run(["copy", &src, &dst]));
    let again = tree_of(&env, &dst, &[]);
    assert_eq!(again.signatures().len(), 8, "{:#}", again.0);
}

#[test]
fn regression_issue_8_a_fifo_in_a_layout_is_refused_naming_it() {
    let env = Fixture::new();
    let layout = Layout::create(env.dir().join("layout"));
    let image = layout.small_image();
    layout.set_tags(&[(&image, "v1")]);
    let target = layout.oci("v1");
    let (key, _) = env.keygen("ci");
    sign(&env, &target, &key, &[]);
    let tree = tree_of(&env, &target, &[]);
    let referrer = tree.signatures()[0]["digest"].as_str().unwrap().to_string();

    // The referrer manifest becomes a FIFO nobody writes to.
    let path = layout.blob_path(&referrer[7..]);
    fs::remove_file(&path).unwrap();
    let made = Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    let out = run_with_deadline(&mut env.command(["tree", &target]));
    assert_fails_with(&out, s(&path));
    assert_fails_with(&out, "FIFO");

    // So does index.json.
    let index = layout.dir.join("index.json");
    fs::remove_file(&index).unwrap();
    let made = Command::new("mkfifo").arg(&index).status().unwrap();
    assert!(made.success());
    let out = run_with_deadline(&mut env.command(["tree", &target]));
    assert_fails_with(&out, s(&index));
}

#[test]
fn regression_issue_8_a_missing_referrer_is_skipped_but_an_unanswered_one_fails() {
    use common::stub::{Fault, FaultServer};
    // 404: the entry points at nothing; it is reported, not fatal.
    let stub = FaultServer::start(Fault::ReferrerStatus(404));
    let env = Fixture::new();
    let image = format!("{}/app:v1", stub.host);
    let out = env.run(["tree", &image, "--output", "json"]);
    assert_ok(&out);
    let tree: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tree["attachments"].as_array().unwrap().len(), 0, "{tree:#}");
    let ignored = tree["ignored"].as_array().unwrap();
    assert_eq!(ignored.len(), 1, "{tree:#}");
    assert!(
        ignored[0]["reason"].as_str().unwrap().contains("not found"),
        "{tree:#}"
    );

    // 500: the registry cannot say what the entry holds, and skipping it
    // could drop evidence a policy needs: the whole listing fails.
    let stub = FaultServer::start(Fault::ReferrerStatus(500));
    let out = env.run(["tree", &format!("{}/app:v1", stub.host)]);
    assert_fails_with(&out, "500");
    assert_fails_with(&out, "the referrer is not served (stub)");
}

// ---------------------------------------------------------------------------
// 9. Issue 13: copies that cannot be turned against themselves
// ---------------------------------------------------------------------------

/// The requests (`METHOD /path?query`) in the registry's access log after
/// its first `since` bytes.
fn requests_since(registry: &Registry, since: usize) -> Vec<String> {
    let log = registry.log();
    log.get(since..)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let request = line.split_once("] \"")?.1;
            let (request, _) = request.split_once(" HTTP/")?;
            Some(request.to_string())
        })
        .collect()
}

/// How many of `requests` are `METHOD` on a path ending in `suffix`.
fn count(requests: &[String], method: &str, suffix: &str) -> usize {
    requests
        .iter()
        .filter_map(|r| r.strip_prefix(method)?.strip_prefix(' '))
        .filter(|path| path.split('?').next().unwrap_or_default().ends_with(suffix))
        .count()
}

/// An OCI index whose entries are `entries`; returns its descriptor.
fn index_of(layout: &Layout, entries: Vec<Value>) -> Value {
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    layout.blob(OCI_INDEX, &serde_json::to_vec(&index).unwrap())
}

#[test]
fn regression_issue_9_copy_fetches_each_repeated_child_once() {
    let registry = Registry::plain();
    let env = Fixture::new();
    // An index of 30 entries naming one index of 30 entries naming one
    // image: 900 paths to the same image, 3 manifests and 1 blob.
    let layout = Layout::create(env.dir().join("src"));
    let image = layout.small_image();
    let inner = index_of(&layout, vec![image.clone(); 30]);
    let outer = index_of(&layout, vec![inner.clone(); 30]);
    layout.set_tags(&[(&outer, "v1")]);
    let manifest: Value = serde_json::from_slice(
        &fs::read(layout.blob_path(&image["digest"].as_str().unwrap()[7..])).unwrap(),
    )
    .unwrap();
    let config = manifest["config"]["digest"].as_str().unwrap().to_string();
    let digest = |d: &Value| d["digest"].as_str().unwrap().to_string();
    let remote = registry.reference("team/nested", "v1");

    // Into the registry: each manifest and blob written once (the index
    // twice: by digest, then by tag, last).
    let before = registry.log().len();
    let started = Instant::now();
    assert_ok(&env.run(["copy", &layout.oci("v1"), &remote]));
    let push_time = started.elapsed();
    let pushed = requests_since(&registry, before);
    eprintln!(
        "30x30 copy into the registry: {} requests in {push_time:?}",
        pushed.len()
    );
    for d in [&image, &inner] {
        let path = format!("/manifests/{}", digest(d));
        assert_eq!(count(&pushed, "PUT", &path), 1, "{path}: {pushed:#?}");
    }
    assert_eq!(
        count(&pushed, "PUT", &format!("/manifests/{}", digest(&outer))),
        1
    );
    assert_eq!(count(&pushed, "PUT", "/manifests/v1"), 1, "{pushed:#?}");
    assert_eq!(
        count(&pushed, "HEAD", &format!("/blobs/{config}")),
        1,
        "{pushed:#?}"
    );

    // Out of it: each manifest and blob fetched once.
    let before = registry.log().len();
    let started = Instant::now();
    let dst = format!("oci:{}:v1", env.dir().join("dst").display());
    assert_ok(&env.run(["copy", &remote, &dst]));
    let pull_time = started.elapsed();
    let fetched = requests_since(&registry, before);
    eprintln!(
        "30x30 copy out of the registry: {} requests in {pull_time:?}",
        fetched.len()
    );
    for d in [digest(&image), digest(&inner), digest(&outer)] {
        let path = format!("/manifests/{d}");
        assert_eq!(count(&fetched, "GET", &path), 1, "{path}: {fetched:#?}");
    }
    assert_eq!(
        count(&fetched, "GET", &format!("/blobs/{config}")),
        1,
        "{fetched:#?}"
    );
    // The copy is whole: the image verifies at the other end, by digest.
    let tree = tree_of(&env, &dst, &[]);
    assert_eq!(tree.digest(), digest(&outer));
}

#[test]
fn regression_issue_9_copy_refuses_indexes_nested_past_the_depth_limit() {
    let env = Fixture::new();
    let layout = Layout::create(env.dir().join("src"));
    // 2,000 indexes, each the only entry of the next: chain[k] has k
    // indexes above it once the last is tagged.
    let mut chain = vec![layout.small_image()];
    for _ in 0..2000 {
        let below = chain.last().unwrap().clone();
        chain.push(index_of(&layout, vec![below]));
    }
    chain.reverse();
    layout.set_tags(&[(&chain[0], "v1")]);
    let dst = env.dir().join("dst");
    let out = run_with_deadline(&mut env.command([
        "copy",
        &layout.oci("v1"),
        &format!("oci:{}:v1", dst.display()),
    ]));
    // The default limit is 8: the manifest with 9 indexes above it is
    // named, unread.
    let too_deep = chain[9]["digest"].as_str().unwrap();
    assert_fails_with(&out, too_deep);
    assert_fails_with(&out, "9 is over the limit of 8");
    // Nothing was tagged at the destination.
    let tags = fs::read_to_string(dst.join("index.json")).unwrap_or_default();
    assert!(!tags.contains("\"v1\""), "{tags}");

    // The limit is a flag, like the other limits.
    let out = env.run([
        "copy",
        &layout.oci("v1"),
        &format!("oci:{}:v1", dst.display()),
        "--max-index-depth",
        "3",
    ]);
    assert_fails_with(&out, chain[4]["digest"].as_str().unwrap());
    assert_fails_with(&out, "4 is over the limit of 3");
}
#[test]
fn regression_issue_9_copy_stops_at_its_deadline() {
    use common::stub::{Fault, FaultServer};
    // stub: a registry that accepts connections and never answers; each
    // request alone would wait --registry-timeout (10 minutes here).
    let stub = FaultServer::start(Fault::Hang);
    let env = Fixture::new();
    let dst = env.dir().join("dst");
    let out = run_with_deadline(&mut env.command([
        "copy",
        &format!("{}/app:v1", stub.host),
        &format!("oci:{}:v1", dst.display()),
        "--registry-timeout",
        "600",
        "--timeout",
        "2s",
    ]));
    assert_fails_with(&out, "vouch copy");
    assert_fails_with(&out, "--timeout 2s");
    // Nothing was written: not even the destination layout.
    assert!(!dst.exists());
    // The webhook serves until stopped; its reviews have their own bound.
    let out = env.run([
        "webhook",
        "--timeout",
        "1m",
        "--policy",
        "p",
        "--tls-cert",
        "c",
        "--tls-key",
        "k",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--timeout does not apply to `vouch webhook`"));
}

#[test]
fn regression_issue_9_sign_and_tree_take_each_repeated_entry_once() {
    let env = Fixture::new();
    let layout = Layout::create(env.dir().join("layout"));
    let image = layout.small_image();
    let index = index_of(&layout, vec![image.clone(); 30]);
    layout.set_tags(&[(&index, "v1")]);
    let target = layout.oci("v1");
    let (key, _) = env.keygen("ci");
    sign(&env, &target, &key, &["--recursive"]);
    // One signature on the index, one on its one image: not 30.
    let tree = tree_of(&env, &target, &[]);
    let subjects: Vec<&str> = tree
        .signatures()
        .iter()
        .map(|a| a["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        [
            index["digest"].as_str().unwrap(),
            image["digest"].as_str().unwrap()
        ],
        "{:#}",
        tree.0
    );
}
