//! `--keyless` signing (`sign-blob`, `sign`, `attest`, `vex attach`)
//! against the local Sigstore stack (`common::sigstore`: a test OIDC
//! issuer with GitHub Actions' token endpoint, Fulcio, Rekor v1 and v2, a
//! TSA), with real services and no mocks in vouch.
//!
//! What vouch writes is admitted by `vouch verify-bundle` and `vouch
//! verify` (a keyless authority with anchored identities and the stack's
//! trusted root) and by a peer, `@sigstore/verify`
//! (tests/oracles/sigstore_verify.mjs), given only the stack's trusted
//! root; another identity and a tampered bundle are refused by both. Each
//! token source is exercised, in its order of precedence. A failing
//! service or a refused token fails the command within a minute, writing
//! no bundle and leaving the `oci:` layout byte for byte as it was.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::sigstore::{Fault, Options, Service, Stack};
use common::{
    assert_fails_with, assert_ok, bundle_of_referrer, oracle_script, read_json, s, statement_of,
    vex_create, Fixture, NOT_AFFECTED,
};
use serde_json::Value;

/// The identity the tests sign as (an email SAN).
const EMAIL: &str = "keyless-ci@example.test";
/// Another identity, for negative controls.
const OTHER: &str = "someone-else@example.test";
/// How long a failing keyless command may take.
const FAILURE_DEADLINE: Duration = Duration::from_secs(60);

/// Environment variables that would give vouch another token than the
/// test's: cleared from every command.
const TOKEN_VARS: [&str; 4] = [
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "SIGSTORE_ID_TOKEN",
    "GITHUB_ACTIONS",
];

/// `vouch ARGS` in the fixture, with no token in its environment unless
/// `env` puts one there.
fn run(f: &Fixture, args: &[&str], env: &[(String, String)]) -> Output {
    let mut cmd = f.command(args);
    for var in TOKEN_VARS {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.output().unwrap()
}

/// `--keyless` with the stack's signing config (Rekor v1, or v2) and
/// trusted root, and `token` (`TOKEN`, `@FILE`, or none).
fn keyless<'a>(stack: &'a Stack, v2: bool, token: Option<&'a str>) -> Vec<String> {
    let config = if v2 {
        stack.signing_config_v2()
    } else {
        stack.signing_config()
    };
    let mut args = vec![
        "--keyless".to_string(),
        "--signing-config".to_string(),
        s(&config).to_string(),
        "--trusted-root".to_string(),
        s(&stack.trusted_root()).to_string(),
    ];
    if let Some(token) = token {
        args.extend(["--identity-token".to_string(), token.to_string()]);
    }
    args
}

/// `args` followed by `extra`, as `&str`s.
fn with<'a>(args: &[&'a str], extra: &'a [String]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(extra.iter().map(String::as_str));
    all
}

/// `@sigstore/verify` over `bundle` (and `artifact`, or `-` for DSSE),
/// against the stack's trusted root, for `identity` from `issuer`.
fn sigstore_js(
    stack: &Stack,
    dir: &Path,
    bundle: &str,
    artifact: &str,
    identity: &str,
    issuer: &str,
) -> Output {
    oracle_script("sigstore_verify.mjs")
        .current_dir(dir)
        .args(["--trusted-root", s(&stack.trusted_root())])
        .args(["--identity", identity, "--issuer", issuer, bundle, artifact])
        .output()
        .unwrap()
}

/// `vouch verify-bundle` over `bundle` (and `artifact`, a file or
/// `sha256:<hex>` of an in-toto subject), against the stack's trusted root.
fn verify_bundle(
    stack: &Stack,
    f: &Fixture,
    bundle: &str,
    artifact: &str,
    identity: &str,
    issuer: &str,
) -> Output {
    run(
        f,
        &[
            "verify-bundle",
            "--bundle",
            bundle,
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            issuer,
            "--trusted-root",
            s(&stack.trusted_root()),
            artifact,
        ],
        &[],
    )
}

/// Both verifiers admit `bundle` for [`EMAIL`], and refuse it for
/// [`OTHER`].
fn both_admit(stack: &Stack, f: &Fixture, bundle: &str, artifact: &str, js_artifact: &str) {
    let issuer = stack.oidc_issuer();
    assert_ok(&verify_bundle(stack, f, bundle, artifact, EMAIL, &issuer));
    assert_ok(&sigstore_js(
        stack,
        f.dir(),
        bundle,
        js_artifact,
        EMAIL,
        &issuer,
    ));
    let denied = verify_bundle(stack, f, bundle, artifact, OTHER, &issuer);
    assert_fails_with(&denied, OTHER);
    assert_eq!(
        sigstore_js(stack, f.dir(), bundle, js_artifact, OTHER, &issuer)
            .status
            .code(),
        Some(1),
        "@sigstore/verify admitted {bundle} for another identity"
    );
}

/// Both verifiers refuse `bundle` for [`EMAIL`].
fn both_refuse(stack: &Stack, f: &Fixture, bundle: &str, artifact: &str, js_artifact: &str) {
    let issuer = stack.oidc_issuer();
    let out = verify_bundle(stack, f, bundle, artifact, EMAIL, &issuer);
    assert!(!out.status.success(), "vouch admitted tampered {bundle}");
    assert_eq!(
        sigstore_js(stack, f.dir(), bundle, js_artifact, EMAIL, &issuer)
            .status
            .code(),
        Some(1),
        "@sigstore/verify admitted tampered {bundle}"
    );
}

/// What vouch stores for a keyless signature: a v0.3 bundle with the leaf
/// certificate alone, one log entry of `kind` with its inclusion proof and
/// checkpoint, and an RFC 3161 timestamp (the stack's configs name a TSA).
fn assert_keyless_shape(bundle: &Value, kind: &str, v2: bool) {
    assert_eq!(
        bundle["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let material = &bundle["verificationMaterial"];
    assert!(
        material["certificate"]["rawBytes"].is_string(),
        "{material}"
    );
    assert!(material.get("x509CertificateChain").is_none());
    assert!(material.get("publicKey").is_none());
    let entries = material["tlogEntries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{material}");
    assert_eq!(entries[0]["kindVersion"]["kind"], kind, "{material}");
    let proof = &entries[0]["inclusionProof"];
    assert!(proof["checkpoint"]["envelope"].is_string(), "{material}");
    assert!(!proof["hashes"].as_array().unwrap().is_empty() || proof["treeSize"] == "1");
    if v2 {
        assert!(entries[0].get("inclusionPromise").is_none());
    } else {
        assert!(entries[0]["inclusionPromise"]["signedEntryTimestamp"].is_string());
    }
    let timestamps = material["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()
        .unwrap();
    assert_eq!(timestamps.len(), 1, "{material}");
}

/// Every file of the tree under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn statement(f: &Fixture) {
    let digest = vouch_evidence::digest::sha256(b"artifact\n").hex();
    let st = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a.txt","digest":{{"sha256":"{digest}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{{"buildDefinition":{{"buildType":"https://example.test/b"}}}}}}"#
    );
    fs::write(f.dir().join("st.json"), st).unwrap();
    fs::write(f.dir().join("a.txt"), b"artifact\n").unwrap();
}

#[test]
fn sign_blob_keyless_bundles_are_admitted_by_vouch_and_sigstore_js() {
    let stack = Stack::start(Options::default());
    let f = Fixture::new();
    statement(&f);
    let token = stack.token(EMAIL);
    let flags = keyless(&stack, false, Some(&token));

    // A blob: a hashedrekord entry.
    let out = run(
        &f,
        &with(&["sign-blob", "--bundle", "a.sig.json", "a.txt"], &flags),
        &[],
    );
    assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(EMAIL) && stderr.contains(&stack.oidc_issuer()),
        "the label is the certificate's identity: {stderr}"
    );
    let bundle = read_json(&f.dir().join("a.sig.json"));
    assert_keyless_shape(&bundle, "hashedrekord", false);
    both_admit(&stack, &f, "a.sig.json", "a.txt", "a.txt");
    // Negative controls: another artifact; a signature from another
    // signing swapped in.
    fs::write(f.dir().join("b.txt"), b"another\n").unwrap();
    both_refuse(&stack, &f, "a.sig.json", "b.txt", "b.txt");

    // An in-toto statement: a dsse entry, the exact bytes signed.
    let out = run(
        &f,
        &with(
            &[
                "sign-blob",
                "--in-toto",
                "--bundle",
                "st.sig.json",
                "st.json",
            ],
            &flags,
        ),
        &[],
    );
    assert_ok(&out);
    let bundle = read_json(&f.dir().join("st.sig.json"));
    assert_keyless_shape(&bundle, "dsse", false);
    assert_eq!(
        statement_of(&bundle),
        read_json(&f.dir().join("st.json")),
        "the payload is the statement given"
    );
    let subject = format!(
        "sha256:{}",
        vouch_evidence::digest::sha256(b"artifact\n").hex()
    );
    both_admit(&stack, &f, "st.sig.json", &subject, "-");

    // Tampered: the payload swapped for another statement.
    let mut forged = bundle.clone();
    let other = read_json(&f.dir().join("st.json"))
        .to_string()
        .replace("example.test/b", "example.test/evil");
    use base64::Engine;
    forged["dsseEnvelope"]["payload"] = base64::engine::general_purpose::STANDARD
        .encode(other)
        .into();
    fs::write(
        f.dir().join("forged.json"),
        serde_json::to_vec(&forged).unwrap(),
    )
    .unwrap();
    both_refuse(&stack, &f, "forged.json", &subject, "-");
    // Tampered: the message bundle's signature replaced by the DSSE one
    // (a valid signature by the same kind of key, over something else).
    let mut swapped = read_json(&f.dir().join("a.sig.json"));
    swapped["messageSignature"]["signature"] =
        bundle["dsseEnvelope"]["signatures"][0]["sig"].clone();
    fs::write(
        f.dir().join("swapped.json"),
        serde_json::to_vec(&swapped).unwrap(),
    )
    .unwrap();
    both_refuse(&stack, &f, "swapped.json", "a.txt", "a.txt");
}

/// A keyless authority for [`EMAIL`] from the stack's issuer (both
/// anchored regular expressions), with the stack's trusted root: it must
/// have signed the image, its provenance and its VEX.
fn keyless_policy(stack: &Stack, email: &str) -> String {
    let anchored = |text: &str| format!("^{}$", text.replace('.', "\\\\."));
    format!(
        r#"apiVersion: vouch.dev/v1alpha1
kind: ImagePolicy
metadata: {{name: keyless}}
spec:
  images: [{{glob: "oci:**"}}]
  authorities:
    - name: ci
      keyless:
        trustedRoot: "{root}"
        identities:
          - issuerRegExp: "{issuer}"
            subjectRegExp: "{subject}"
  signatures: {{authorities: [ci]}}
  attestations:
    - name: provenance
      predicateType: https://slsa.dev/provenance/v1
      authorities: [ci]
    - name: vex
      predicateType: https://openvex.dev/ns/v0.2.0
      authorities: [ci]
"#,
        root = s(&stack.trusted_root()),
        issuer = anchored(&stack.oidc_issuer()),
        subject = anchored(email),
    )
}

#[test]
fn sign_attest_and_vex_attach_keyless_are_admitted_by_a_keyless_policy_and_sigstore_js() {
    let stack = Stack::start(Options::default());
    let f = Fixture::new()
        .with_project()
        .with_layout_image("layout", "app");
    let token = stack.token(EMAIL);
    let flags = keyless(&stack, false, Some(&token));
    let project = s(&f.project).to_string();

    assert_ok(&run(&f, &with(&["sign", &f.image], &flags), &[]));
    let out = run(
        &f,
        &with(&["attest", &project, "--image", &f.image], &flags),
        &[],
    );
    assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(EMAIL), "{stderr}");
    assert_ok(&vex_create(
        f.dir(),
        &f.image,
        &["CVE-2024-50615"],
        "app.vex.json",
        &NOT_AFFECTED,
    ));
    assert_ok(&run(
        &f,
        &with(&["vex", "attach", &f.image, "app.vex.json"], &flags),
        &[],
    ));

    // vouch verify: admitted for the identity, denied for another.
    fs::write(f.dir().join("policy.yaml"), keyless_policy(&stack, EMAIL)).unwrap();
    let (out, json) = f.verify("policy.yaml");
    assert_ok(&out);
    assert_eq!(json["images"][0]["verdict"], "allow", "{json}");
    fs::write(f.dir().join("other.yaml"), keyless_policy(&stack, OTHER)).unwrap();
    let (out, json) = f.verify("other.yaml");
    assert_eq!(out.status.code(), Some(1), "{json}");
    assert_eq!(json["images"][0]["verdict"], "deny", "{json}");

    // Every attachment's bundle: the shape cosign v3 stores, admitted by
    // vouch verify-bundle (over the image digest, the statements'
    // subject) and by @sigstore/verify.
    let tree = f.tree(&f.image, &[]);
    let attachments = tree["attachments"].as_array().unwrap();
    let types: Vec<&str> = attachments
        .iter()
        .map(|a| a["predicateType"].as_str().unwrap_or_default())
        .collect();
    for wanted in [
        "https://sigstore.dev/cosign/sign/v1",
        "https://slsa.dev/provenance/v1",
        "https://openvex.dev/ns/v0.2.0",
    ] {
        assert!(types.contains(&wanted), "{wanted} not in {tree:#}");
    }
    for (i, a) in attachments.iter().enumerate() {
        assert_eq!(a["format"], "bundle", "{a}");
        let file = format!("attachment{i}.json");
        let bundle = bundle_of_referrer(
            &f.dir().join("layout"),
            a["digest"].as_str().unwrap(),
            &f.dir().join(&file),
        );
        assert_keyless_shape(&bundle, "dsse", false);
        both_admit(&stack, &f, &file, &f.digest, "-");
    }
}

/// `sign-blob --keyless` of `a.txt` into `out` with `token` (flag value, or
/// none) and `env`; the identity its certificate names is then checked by
/// `vouch verify-bundle`.
fn sign_blob(
    stack: &Stack,
    f: &Fixture,
    out: &str,
    token: Option<&str>,
    env: &[(String, String)],
) -> Output {
    let flags = keyless(stack, false, token);
    run(
        f,
        &with(&["sign-blob", "--bundle", out, "a.txt"], &flags),
        env,
    )
}

fn signed_by(stack: &Stack, f: &Fixture, bundle: &str, identity: &str, issuer: &str) {
    assert_ok(&verify_bundle(stack, f, bundle, "a.txt", identity, issuer));
}

#[test]
fn identity_tokens_are_taken_from_the_flag_a_file_github_actions_then_gitlab() {
    let stack = Stack::start(Options::default());
    let f = Fixture::new();
    fs::write(f.dir().join("a.txt"), b"artifact\n").unwrap();
    let issuer = stack.oidc_issuer();
    let gitlab = [("SIGSTORE_ID_TOKEN".to_string(), stack.token(OTHER))];

    // --identity-token TOKEN, over SIGSTORE_ID_TOKEN.
    let token = stack.token(EMAIL);
    assert_ok(&sign_blob(&stack, &f, "flag.json", Some(&token), &gitlab));
    signed_by(&stack, &f, "flag.json", EMAIL, &issuer);
    // --identity-token @FILE (with the newline an editor leaves).
    fs::write(f.dir().join("token.txt"), format!("{token}\n")).unwrap();
    assert_ok(&sign_blob(
        &stack,
        &f,
        "file.json",
        Some("@token.txt"),
        &gitlab,
    ));
    signed_by(&stack, &f, "file.json", EMAIL, &issuer);

    // GitHub Actions, over SIGSTORE_ID_TOKEN: the workflow's identity.
    let mut env: Vec<(String, String)> = stack.github_env().to_vec();
    env.extend(gitlab.iter().cloned());
    assert_ok(&sign_blob(&stack, &f, "github.json", None, &env));
    signed_by(
        &stack,
        &f,
        "github.json",
        &stack.github_identity(),
        &stack.github_issuer(),
    );
    let other = verify_bundle(&stack, &f, "github.json", "a.txt", OTHER, &issuer);
    assert!(
        !other.status.success(),
        "GitHub's token did not take precedence"
    );
    assert_ok(&sigstore_js(
        &stack,
        f.dir(),
        "github.json",
        "a.txt",
        &stack.github_identity(),
        &stack.github_issuer(),
    ));

    // GitLab CI's SIGSTORE_ID_TOKEN alone.
    assert_ok(&sign_blob(&stack, &f, "gitlab.json", None, &gitlab));
    signed_by(&stack, &f, "gitlab.json", OTHER, &issuer);

    // None: an error naming every source, no bundle.
    let out = sign_blob(&stack, &f, "none.json", None, &[]);
    assert_fails_with(&out, "--identity-token");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in [
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "SIGSTORE_ID_TOKEN",
    ] {
        assert!(stderr.contains(name), "{name} not named: {stderr}");
    }
    assert!(!f.dir().join("none.json").exists());

    // GitHub's endpoint refusing the job's bearer token: an error, not a
    // fall back to SIGSTORE_ID_TOKEN.
    let mut env: Vec<(String, String)> = stack
        .github_env()
        .into_iter()
        .map(|(k, v)| {
            let v = if k == "ACTIONS_ID_TOKEN_REQUEST_TOKEN" {
                "wrong".into()
            } else {
                v
            };
            (k, v)
        })
        .collect();
    env.extend(gitlab.iter().cloned());
    let out = sign_blob(&stack, &f, "refused.json", None, &env);
    assert_fails_with(&out, "ACTIONS_ID_TOKEN_REQUEST_URL");
    assert!(!f.dir().join("refused.json").exists());
}

/// `sign`, `attest` and `sign-blob` with `token` against `stack`: each
/// fails, naming `needle`, within [`FAILURE_DEADLINE`], writing no bundle
/// and leaving the layout byte for byte as it was.
fn fails_cleanly(stack: &Stack, token: &str, needle: &str) {
    let f = Fixture::new()
        .with_project()
        .with_layout_image("layout", "app");
    fs::write(f.dir().join("a.txt"), b"artifact\n").unwrap();
    let flags = keyless(stack, false, Some(token));
    let project = s(&f.project).to_string();
    let before = snapshot(&f.dir().join("layout"));
    let commands: [Vec<&str>; 4] = [
        vec!["sign", &f.image],
        vec!["attest", &project, "--image", &f.image],
        vec!["sign-blob", "--bundle", "a.sig.json", "a.txt"],
        vec![
            "sign-blob",
            "--in-toto",
            "--bundle",
            "a.sig.json",
            "st.json",
        ],
    ];
    statement(&f);
    for args in commands {
        let started = Instant::now();
        let out = run(&f, &with(&args, &flags), &[]);
        let took = started.elapsed();
        assert_fails_with(&out, needle);
        assert!(took < FAILURE_DEADLINE, "{args:?} took {took:?}");
        assert!(
            !f.dir().join("a.sig.json").exists(),
            "{args:?} wrote a bundle"
        );
        assert!(
            snapshot(&f.dir().join("layout")) == before,
            "{args:?} changed the layout"
        );
    }
}

#[test]
fn regression_issue_17_rekor_down_fails_within_a_minute_writing_nothing() {
    let stack = Stack::start(Options::default().fault(Service::Rekor, Fault::Down));
    fails_cleanly(&stack, &stack.token(EMAIL), "Rekor");
}

#[test]
fn regression_issue_17_a_hanging_rekor_fails_within_a_minute_writing_nothing() {
    let stack = Stack::start(Options::default().fault(Service::Rekor, Fault::Hang));
    fails_cleanly(&stack, &stack.token(EMAIL), "Rekor");
}

#[test]
fn regression_issue_17_a_token_fulcio_refuses_fails_writing_nothing() {
    let stack = Stack::start(Options::default());
    // Signed by a key the issuer never published.
    fails_cleanly(
        &stack,
        &stack.mint(&format!("email={EMAIL}&key=foreign")),
        "Fulcio",
    );
    // An issuer Fulcio does not know.
    fails_cleanly(
        &stack,
        &stack.mint(&format!("email={EMAIL}&issuer=untrusted")),
        "Fulcio",
    );
}

#[test]
fn regression_issue_17_a_bundle_the_trusted_root_does_not_trust_is_not_written() {
    // The services work, but the trusted root given is the public-good
    // one: the stack's certificate and log are not in it.
    let stack = Stack::start(Options::default());
    let f = Fixture::new().with_layout_image("layout", "app");
    fs::write(f.dir().join("a.txt"), b"artifact\n").unwrap();
    let token = stack.token(EMAIL);
    let before = snapshot(&f.dir().join("layout"));
    let config = stack.signing_config();
    let args = [
        "--keyless",
        "--signing-config",
        s(&config),
        "--identity-token",
        &token,
    ]
    .map(String::from);
    let out = run(
        &f,
        &with(&["sign-blob", "--bundle", "a.sig.json", "a.txt"], &args),
        &[],
    );
    assert_fails_with(&out, "trusted root");
    assert!(!f.dir().join("a.sig.json").exists());
    let out = run(&f, &with(&["sign", &f.image], &args), &[]);
    assert_fails_with(&out, "trusted root");
    assert!(snapshot(&f.dir().join("layout")) == before);
}

#[test]
fn rekor_v2_keyless_bundles_are_admitted_by_vouch_and_sigstore_js() {
    let stack = Stack::start(Options::default());
    let f = Fixture::new();
    statement(&f);
    let token = stack.token(EMAIL);
    let flags = keyless(&stack, true, Some(&token));
    assert_ok(&run(
        &f,
        &with(&["sign-blob", "--bundle", "a.sig.json", "a.txt"], &flags),
        &[],
    ));
    let bundle = read_json(&f.dir().join("a.sig.json"));
    assert_keyless_shape(&bundle, "hashedrekord", true);
    assert_eq!(
        bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"],
        "0.0.2"
    );
    both_admit(&stack, &f, "a.sig.json", "a.txt", "a.txt");
    fs::write(f.dir().join("b.txt"), b"another\n").unwrap();
    both_refuse(&stack, &f, "a.sig.json", "b.txt", "b.txt");

    // An in-toto statement through Rekor v2: refused, by name, before any
    // request (sigstore-sign would log it as a hashedrekord entry, which
    // @sigstore/verify refuses).
    let out = run(
        &f,
        &with(
            &[
                "sign-blob",
                "--in-toto",
                "--bundle",
                "st.sig.json",
                "st.json",
            ],
            &flags,
        ),
        &[],
    );
    assert_fails_with(&out, "needs a Rekor v1 log");
    assert!(!f.dir().join("st.sig.json").exists());
}

/// A policy admitting the registry's `osv*` artifacts signed keylessly by
/// `email` from the stack's issuer.
fn osv_policy(stack: &Stack, host: &str, email: &str) -> String {
    format!(
        "apiVersion: vouch.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {{name: osv}}\n\
         spec:\n  images: [{{glob: \"{host}/osv*\"}}]\n  authorities:\n    - name: ci\n      \
         keyless:\n        trustedRoot: \"{}\"\n        identities:\n          - issuer: \"{}\"\n            \
         subject: \"{email}\"\n",
        s(&stack.trusted_root()),
        stack.oidc_issuer()
    )
}

#[test]
fn osv_push_keyless_is_pulled_by_a_keyless_policy() {
    let stack = Stack::start(Options::default());
    let f = Fixture::new().with_registry(common::registry::Registry::plain());
    assert_ok(&run(
        &f,
        &[
            "osv",
            "index",
            s(&common::root().join("testdata/osv")),
            "-o",
            "osv.idx",
        ],
        &[],
    ));
    let reference = f.registry().reference("osv", "daily");
    let token = stack.token(EMAIL);
    let flags = keyless(&stack, false, Some(&token));
    assert_ok(&run(
        &f,
        &with(&["osv", "push", "osv.idx", &reference], &flags),
        &[],
    ));
    let host = f.registry().host.clone();
    for (email, ok) in [(EMAIL, true), (OTHER, false)] {
        fs::write(f.dir().join("osv.yaml"), osv_policy(&stack, &host, email)).unwrap();
        let out = run(
            &f,
            &[
                "osv",
                "pull",
                &reference,
                "--policy",
                "osv.yaml",
                "-o",
                "pulled.idx",
            ],
            &[],
        );
        assert_eq!(out.status.success(), ok, "{email}: {out:?}");
    }
    assert_eq!(
        fs::read(f.dir().join("pulled.idx")).unwrap(),
        fs::read(f.dir().join("osv.idx")).unwrap()
    );

    // Rekor down: nothing is pushed (the manifest is signed before it is).
    let down = Stack::start(Options::default().fault(Service::Rekor, Fault::Down));
    let token = down.token(EMAIL);
    let flags = keyless(&down, false, Some(&token));
    let f = Fixture::new().with_key("ci");
    assert_ok(&run(
        &f,
        &[
            "osv",
            "index",
            s(&common::root().join("testdata/osv")),
            "-o",
            "osv.idx",
        ],
        &[],
    ));
    assert_ok(&run(
        &f,
        &[
            "osv",
            "push",
            "osv.idx",
            "oci:osvlayout:v1",
            "--key",
            "ci.key",
        ],
        &[],
    ));
    let before = snapshot(&f.dir().join("osvlayout"));
    let started = Instant::now();
    let out = run(
        &f,
        &with(&["osv", "push", "osv.idx", "oci:osvlayout:v2"], &flags),
        &[],
    );
    assert_fails_with(&out, "Rekor");
    assert!(started.elapsed() < FAILURE_DEADLINE);
    assert!(snapshot(&f.dir().join("osvlayout")) == before);
}

#[test]
fn keyless_refuses_what_only_a_key_can_sign() {
    // No service is reached: the refusal comes first.
    let f = Fixture::new()
        .with_project()
        .with_layout_image("layout", "app");
    use base64::Engine;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        r#"{{"iss":"https://issuer.example","sub":"{EMAIL}","exp":{}}}"#,
        jiff::Timestamp::now().as_second() + 600
    ));
    let token = format!("eyJhbGciOiJub25lIn0.{claims}.c2ln");
    let before = snapshot(&f.dir().join("layout"));
    let flags = [
        "--keyless".to_string(),
        "--identity-token".to_string(),
        token,
    ];
    let out = run(
        &f,
        &with(&["sign", &f.image, "--format", "legacy"], &flags),
        &[],
    );
    assert_fails_with(&out, "--format legacy needs a key");
    let project = s(&f.project).to_string();
    let out = run(
        &f,
        &with(
            &["attest", &project, "--image", &f.image, "--links", "links"],
            &flags,
        ),
        &[],
    );
    assert_fails_with(&out, "--links needs a key");
    let out = run(
        &f,
        &with(
            &[
                "attest", &project, "--image", &f.image, "--format", "legacy",
            ],
            &flags,
        ),
        &[],
    );
    assert_fails_with(&out, "--format legacy needs a key");
    assert!(snapshot(&f.dir().join("layout")) == before);
    assert!(!f.dir().join("links").exists());
    // Keyless flags without --keyless are a usage error.
    let out = run(
        &f,
        &["sign", &f.image, "--key", "k.key", "--identity-token", "x"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--identity-token"),
        "{out:?}"
    );
}
