//! The `vouch` binary end to end: keygen, sign-blob, verify-bundle, and a
//! clear error (never a panic) for each kind of bad input.

use crate::common;

use std::fs;
use std::path::Path;

use common::{assert_fails_with, assert_ok, keygen, keygen_with, run_vouch, tempdir};
use vouch_evidence::bundle::Bundle;
use vouch_evidence::digest::sha256;
use vouch_evidence::keys::PrivateKey;

fn statement_for(content: &[u8]) -> String {
    format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a.txt","digest":{{"sha256":"{}"}}}}],"predicateType":"https://example.com/test","predicate":{{}}}}"#,
        sha256(content).hex()
    )
}

#[test]
fn keygen_writes_private_key_0600_and_refuses_to_overwrite() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    keygen(dir.path(), "ci");
    let mode = |p: &str| {
        fs::metadata(dir.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("ci.key"), 0o600);
    assert_eq!(mode("ci.pub"), 0o644);
    let before = fs::read(dir.path().join("ci.key")).unwrap();
    let out = run_vouch(dir.path(), "keygen --out ci");
    assert_fails_with(&out, "refusing to overwrite ci.key: pass --force");
    assert_eq!(fs::read(dir.path().join("ci.key")).unwrap(), before);
    assert_ok(&run_vouch(
        dir.path(),
        "keygen --out ci --force --algorithm ed25519",
    ));
    assert_ne!(fs::read(dir.path().join("ci.key")).unwrap(), before);
    assert_eq!(mode("ci.key"), 0o600);
    let key = PrivateKey::from_pkcs8_pem(&fs::read_to_string(dir.path().join("ci.key")).unwrap())
        .unwrap();
    assert_eq!(
        key.to_pkcs8_pem(),
        fs::read_to_string(dir.path().join("ci.key")).unwrap()
    );
}

#[test]
fn keygen_refuses_when_only_the_public_half_exists() {
    let dir = tempdir();
    fs::write(dir.path().join("ci.pub"), "keep me").unwrap();
    assert_fails_with(
        &run_vouch(dir.path(), "keygen --out ci"),
        "refusing to overwrite ci.pub",
    );
    assert!(
        !dir.path().join("ci.key").exists(),
        "nothing may be written half-way"
    );
}

#[test]
fn sign_and_verify_files_and_statements_with_both_algorithms() {
    for alg in ["ecdsa-p256", "ed25519"] {
        let dir = tempdir();
        let d = dir.path();
        keygen_with(d, "k", alg);
        fs::write(d.join("a.txt"), b"artifact\n").unwrap();
        assert_ok(&run_vouch(
            d,
            "sign-blob --key k.key --bundle a.sig.json a.txt",
        ));
        assert_ok(&run_vouch(
            d,
            "verify-bundle --bundle a.sig.json --key k.pub a.txt",
        ));

        fs::write(d.join("st.json"), statement_for(b"artifact\n")).unwrap();
        assert_ok(&run_vouch(
            d,
            "sign-blob --in-toto --key k.key --bundle st.sig.json st.json",
        ));
        assert_ok(&run_vouch(
            d,
            "verify-bundle --bundle st.sig.json --key k.pub a.txt",
        ));
        let digest = sha256(b"artifact\n").to_string();
        assert_ok(&run_vouch(
            d,
            &format!("verify-bundle --bundle st.sig.json --key k.pub {digest}"),
        ));

        // The signed payload is the statement file, byte for byte.
        let bundle: serde_json::Value =
            serde_json::from_slice(&fs::read(d.join("st.sig.json")).unwrap()).unwrap();
        assert_eq!(
            bundle["dsseEnvelope"]["payloadType"],
            "application/vnd.in-toto+json"
        );
        let parsed = Bundle::from_json(&fs::read(d.join("st.sig.json")).unwrap()).unwrap();
        let vouch_evidence::bundle::Content::Dsse(env) = parsed.content().unwrap() else {
            panic!("not a DSSE bundle")
        };
        assert_eq!(
            env.unverified_payload(),
            fs::read(d.join("st.json")).unwrap()
        );

        // A changed artifact no longer verifies.
        fs::write(d.join("a.txt"), b"tampered\n").unwrap();
        let out = run_vouch(d, "verify-bundle --bundle a.sig.json --key k.pub a.txt");
        assert_fails_with(&out, "artifact mismatch");
        let out = run_vouch(d, "verify-bundle --bundle st.sig.json --key k.pub a.txt");
        assert_fails_with(&out, "is not a subject of the signed in-toto statement");
    }
}

/// A directory with a key pair, a signed file and its bundle.
fn signed_fixture() -> tempfile::TempDir {
    let dir = tempdir();
    keygen(dir.path(), "k");
    keygen(dir.path(), "other");
    fs::write(dir.path().join("a.txt"), b"artifact\n").unwrap();
    assert_ok(&run_vouch(
        dir.path(),
        "sign-blob --key k.key --bundle a.sig.json a.txt",
    ));
    dir
}

fn verify_edited(dir: &Path, edit: impl Fn(&mut serde_json::Value)) -> std::process::Output {
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("a.sig.json")).unwrap()).unwrap();
    edit(&mut bundle);
    fs::write(
        dir.join("edited.json"),
        serde_json::to_vec(&bundle).unwrap(),
    )
    .unwrap();
    run_vouch(dir, "verify-bundle --bundle edited.json --key k.pub a.txt")
}

#[test]
fn bad_input_malformed_json() {
    let dir = signed_fixture();
    fs::write(dir.path().join("bad.json"), b"{\"mediaType\": ").unwrap();
    let out = run_vouch(
        dir.path(),
        "verify-bundle --bundle bad.json --key k.pub a.txt",
    );
    assert_fails_with(
        &out,
        "bad bundle in bad.json: malformed JSON in Sigstore bundle",
    );
    // The parser's message is said once, not again as the error's source.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("EOF while parsing").count(), 1, "{stderr}");
    fs::write(dir.path().join("st.json"), b"{\"_type\": ").unwrap();
    let out = run_vouch(
        dir.path(),
        "sign-blob --in-toto --key k.key --bundle o.json st.json",
    );
    assert_fails_with(&out, "bad in-toto statement in st.json: malformed JSON");
    assert!(!dir.path().join("o.json").exists());
}

#[test]
fn bad_input_project_directory_missing_or_not_a_directory() {
    let dir = signed_fixture();
    for (path, why) in [
        ("missing", "No such file or directory"),
        ("a.txt", "not a directory"),
    ] {
        let out = run_vouch(dir.path(), &format!("inputs {path}"));
        assert_fails_with(
            &out,
            &format!("cannot read the project directory {path}: {why}"),
        );
        assert!(out.stdout.is_empty(), "inputs {path} printed a table");
    }
}

#[test]
fn bad_input_bad_base64() {
    let dir = signed_fixture();
    let out = verify_edited(dir.path(), |b| {
        b["messageSignature"]["signature"] = "not*base64".into()
    });
    assert_fails_with(&out, "invalid Sigstore bundle");
    assert_fails_with(&out, "base64");
}

#[test]
fn bad_input_unknown_media_type_or_version() {
    let dir = signed_fixture();
    let out = verify_edited(dir.path(), |b| {
        b["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.4+json".into()
    });
    assert_fails_with(
        &out,
        "unknown Sigstore bundle media type \"application/vnd.dev.sigstore.bundle.v0.4+json\"",
    );
    let out = verify_edited(dir.path(), |b| b["mediaType"] = "application/json".into());
    assert_fails_with(
        &out,
        "unknown Sigstore bundle media type \"application/json\"",
    );
}

#[test]
fn bad_input_payload_type_other_than_expected() {
    let dir = signed_fixture();
    let key =
        PrivateKey::from_pkcs8_pem(&fs::read_to_string(dir.path().join("k.key")).unwrap()).unwrap();
    let statement = statement_for(b"artifact\n");
    let bundle = Bundle::sign_dsse(&key, "text/plain", statement.as_bytes()).unwrap();
    fs::write(dir.path().join("plain.json"), bundle.to_json()).unwrap();
    let out = run_vouch(
        dir.path(),
        "verify-bundle --bundle plain.json --key k.pub a.txt",
    );
    assert_fails_with(
        &out,
        "unexpected DSSE payloadType \"text/plain\": expected \"application/vnd.in-toto+json\"",
    );
}

#[test]
fn bad_input_envelope_without_signature() {
    let dir = signed_fixture();
    let key =
        PrivateKey::from_pkcs8_pem(&fs::read_to_string(dir.path().join("k.key")).unwrap()).unwrap();
    let bundle = Bundle::sign_dsse(
        &key,
        "application/vnd.in-toto+json",
        statement_for(b"artifact\n").as_bytes(),
    )
    .unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&bundle.to_json()).unwrap();
    json["dsseEnvelope"]["signatures"] = serde_json::json!([]);
    fs::write(
        dir.path().join("nosig.json"),
        serde_json::to_vec(&json).unwrap(),
    )
    .unwrap();
    let out = run_vouch(
        dir.path(),
        "verify-bundle --bundle nosig.json --key k.pub a.txt",
    );
    assert_fails_with(&out, "found 0");
}

#[test]
fn bad_input_signature_by_another_key() {
    let dir = signed_fixture();
    let out = run_vouch(
        dir.path(),
        "verify-bundle --bundle a.sig.json --key other.pub a.txt",
    );
    assert_fails_with(&out, "signature does not verify with key");
}

#[test]
fn bad_input_digest_argument_of_wrong_length() {
    let dir = signed_fixture();
    let out = run_vouch(
        dir.path(),
        "verify-bundle --bundle a.sig.json --key k.pub sha256:abcd",
    );
    assert_fails_with(&out, "has 4 hex characters, expected 64");
}

#[test]
fn bad_input_key_file_that_is_not_a_key() {
    let dir = signed_fixture();
    let d = dir.path();
    fs::write(d.join("junk.pem"), b"this is not a key\n").unwrap();
    assert_fails_with(
        &run_vouch(d, "verify-bundle --bundle a.sig.json --key junk.pem a.txt"),
        "bad public key in junk.pem: not a usable public key: not PEM",
    );
    assert_fails_with(
        &run_vouch(d, "verify-bundle --bundle a.sig.json --key k.key a.txt"),
        "expected \"PUBLIC KEY\"",
    );
    assert_fails_with(
        &run_vouch(d, "sign-blob --key k.pub --bundle o.json a.txt"),
        "bad private key in k.pub: not a usable private key: this is a public key",
    );
    assert_fails_with(
        &run_vouch(d, "sign-blob --key missing.key --bundle o.json a.txt"),
        "cannot open private key missing.key",
    );
    assert!(!d.join("o.json").exists());
}

#[test]
fn keyless_form_verifies_the_bundle_and_refuses_a_keyed_one() {
    let dir = signed_fixture();
    let keyless = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"AAAA"}},"messageSignature":{"signature":"AAAA"}}"#;
    fs::write(dir.path().join("keyless.json"), keyless).unwrap();
    let identity =
        "--certificate-identity me@example.com --certificate-oidc-issuer https://issuer.example";
    assert_fails_with(
        &run_vouch(
            dir.path(),
            &format!("verify-bundle --bundle keyless.json {identity} a.txt"),
        ),
        "bundle does not verify: Bundle error: application/vnd.dev.sigstore.bundle.v0.3+json bundle must have an inclusion proof",
    );
    assert_fails_with(
        &run_vouch(
            dir.path(),
            &format!("verify-bundle --bundle a.sig.json {identity} a.txt"),
        ),
        "was signed with a managed key, not a certificate",
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempdir();
    let out = run_vouch(dir.path(), "verify-bundle --bundle x.json a.txt");
    assert_eq!(out.status.code(), Some(2));
    let out = run_vouch(dir.path(), "keygen --out k --algorithm rsa");
    assert_eq!(out.status.code(), Some(2));
}
