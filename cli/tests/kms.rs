//! AWS KMS keys (`--key awskms://…`) through the real binary, against moto's
//! KMS on loopback (tests/oracles/moto_kms.py): keygen, public-key,
//! sign-blob checked by vouch and by OpenSSL, attest verified under a
//! policy, and the ways opening a key fails.

use crate::common;

use std::net::TcpListener;
use std::process::Output;
use std::time::{Duration, Instant};

use common::kms::{no_aws, Kms};
use common::{assert_fails_with, assert_ok, demo_policy, read_json, Fixture};

/// `vouch ARGS` in `f`, talking to `kms`.
fn run(f: &Fixture, kms: &Kms, args: &[&str]) -> Output {
    let mut cmd = f.command(args);
    kms.apply(&mut cmd).output().unwrap()
}

/// A blob larger than the 4,096 bytes KMS signs raw.
fn big_blob(f: &Fixture) -> std::path::PathBuf {
    let path = f.dir().join("app.tar");
    std::fs::write(&path, vec![b'x'; 10_000]).unwrap();
    path
}

#[test]
fn a_kms_key_is_created_by_alias_and_signs_what_vouch_and_openssl_verify() {
    let kms = Kms::start();
    let f = Fixture::new();
    assert_ok(&run(
        &f,
        &kms,
        &["keygen", "--kms", "awskms:///alias/ci", "--out", "ci"],
    ));
    let pem = std::fs::read_to_string(f.dir().join("ci.pub")).unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    assert!(!f.dir().join("ci.key").exists());

    // public-key prints the same key.
    let printed = run(&f, &kms, &["public-key", "--key", "awskms:///alias/ci"]);
    assert_ok(&printed);
    assert_eq!(String::from_utf8_lossy(&printed.stdout), pem);

    // The alias exists now: a second keygen is refused, nothing written.
    let again = run(
        &f,
        &kms,
        &["keygen", "--kms", "awskms:///alias/ci", "--out", "other"],
    );
    assert_fails_with(&again, "alias/ci exists in AWS KMS already");
    assert!(!f.dir().join("other.pub").exists());

    // sign-blob over more than KMS's RAW limit, verified by vouch ...
    big_blob(&f);
    assert_ok(&run(
        &f,
        &kms,
        &[
            "sign-blob",
            "--key",
            "awskms:///alias/ci",
            "--bundle",
            "b.json",
            "app.tar",
        ],
    ));
    assert_ok(&f.run([
        "verify-bundle",
        "--bundle",
        "b.json",
        "--key",
        "ci.pub",
        "app.tar",
    ]));
    // ... and by OpenSSL, from the bundle's signature.
    let bundle = read_json(&f.dir().join("b.json"));
    let signature = bundle["messageSignature"]["signature"].as_str().unwrap();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .unwrap();
    std::fs::write(f.dir().join("sig.der"), der).unwrap();
    let openssl = std::process::Command::new("openssl")
        .current_dir(f.dir())
        .args([
            "dgst",
            "-sha256",
            "-verify",
            "ci.pub",
            "-signature",
            "sig.der",
            "app.tar",
        ])
        .output()
        .unwrap();
    assert_ok(&openssl);
    assert!(String::from_utf8_lossy(&openssl.stdout).contains("Verified OK"));
    // A different file does not verify with it (the check can fail).
    std::fs::write(f.dir().join("app.tar"), b"tampered").unwrap();
    let tampered = std::process::Command::new("openssl")
        .current_dir(f.dir())
        .args([
            "dgst",
            "-sha256",
            "-verify",
            "ci.pub",
            "-signature",
            "sig.der",
            "app.tar",
        ])
        .output()
        .unwrap();
    assert!(!tampered.status.success());
}

#[test]
fn an_image_attested_and_signed_with_a_kms_key_is_admitted_by_its_public_key() {
    let kms = Kms::start();
    let f = Fixture::new()
        .with_project()
        .with_policy(&demo_policy())
        .with_layout_image("layout", "app");
    assert_ok(&run(
        &f,
        &kms,
        &["keygen", "--kms", "awskms:///alias/ci", "--out", "ci"],
    ));
    let project = f.project.to_str().unwrap().to_string();
    assert_ok(&run(
        &f,
        &kms,
        &[
            "attest",
            &project,
            "--image",
            &f.image,
            "--key",
            "awskms:///alias/ci",
        ],
    ));
    assert_ok(&run(
        &f,
        &kms,
        &["sign", &f.image, "--key", "awskms:///alias/ci"],
    ));
    let (out, verdict) = f.verify("policy.yaml");
    assert_ok(&out);
    assert_eq!(verdict["images"][0]["verdict"], "allow", "{verdict}");

    // Control: the same policy with another key's ci.pub denies it.
    std::fs::remove_file(f.dir().join("ci.pub")).unwrap();
    f.keygen("ci");
    let (out, verdict) = f.verify("policy.yaml");
    assert!(!out.status.success());
    assert_eq!(verdict["images"][0]["verdict"], "deny", "{verdict}");
}

#[test]
fn moto_without_the_digest_fix_signs_what_vouch_refuses() {
    // moto as released hashes a DIGEST again: its signatures are not over
    // the message, and vouch's own check of each signature says so before
    // anything is written. This is why the launcher patches it.
    let kms = Kms::start_unpatched();
    let f = Fixture::new();
    assert_ok(&run(
        &f,
        &kms,
        &["keygen", "--kms", "awskms:///alias/ci", "--out", "ci"],
    ));
    big_blob(&f);
    let out = run(
        &f,
        &kms,
        &[
            "sign-blob",
            "--key",
            "awskms:///alias/ci",
            "--bundle",
            "b.json",
            "app.tar",
        ],
    );
    assert_fails_with(&out, "does not verify with key");
    assert!(!f.dir().join("b.json").exists());
}

#[test]
fn opening_a_kms_key_fails_by_name_and_writes_nothing() {
    let kms = Kms::start();
    let f = Fixture::new();
    big_blob(&f);
    let sign = |key: &str| {
        run(
            &f,
            &kms,
            &["sign-blob", "--key", key, "--bundle", "b.json", "app.tar"],
        )
    };
    // An alias that does not exist.
    assert_fails_with(
        &sign("awskms:///alias/nobody"),
        "no such key or alias in AWS KMS",
    );
    // Keys of other specs and usages, refused by name.
    kms.create_key("ECC_SECG_P256K1", "SIGN_VERIFY", "alias/k1");
    assert_fails_with(&sign("awskms:///alias/k1"), "spec is ECC_SECG_P256K1");
    kms.create_key("RSA_2048", "SIGN_VERIFY", "alias/rsa");
    assert_fails_with(&sign("awskms:///alias/rsa"), "spec is RSA_2048");
    kms.create_key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "alias/aes");
    assert_fails_with(&sign("awskms:///alias/aes"), "spec is SYMMETRIC_DEFAULT");
    // keygen names a new key by an alias only, and makes P-256 keys only.
    let arn =
        "awskms:///arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_fails_with(
        &run(&f, &kms, &["keygen", "--kms", arn]),
        "name the new key by an alias",
    );
    assert_fails_with(
        &run(
            &f,
            &kms,
            &[
                "keygen",
                "--kms",
                "awskms:///alias/ed",
                "--algorithm",
                "ed25519",
            ],
        ),
        "AWS KMS keys are ecdsa-p256 here",
    );
    assert!(!f.dir().join("b.json").exists());

    // No credentials anywhere.
    let mut cmd = f.command([
        "sign-blob",
        "--key",
        "awskms:///alias/ci",
        "--bundle",
        "b.json",
        "app.tar",
    ]);
    no_aws(&mut cmd).env("AWS_ENDPOINT_URL_KMS", &kms.endpoint);
    assert_fails_with(&cmd.output().unwrap(), "no AWS credentials found");
    assert!(!f.dir().join("b.json").exists());
}

#[test]
fn a_kms_endpoint_that_is_down_or_silent_fails_in_bounded_time() {
    let kms = Kms::start();
    let f = Fixture::new();
    big_blob(&f);
    // Down: nothing listens on the port.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut cmd = f.command([
        "sign-blob",
        "--key",
        "awskms:///alias/ci",
        "--bundle",
        "b.json",
        "app.tar",
    ]);
    kms.apply(&mut cmd).env("AWS_ENDPOINT_URL_KMS", &down);
    let start = Instant::now();
    assert_fails_with(&cmd.output().unwrap(), "cannot reach AWS KMS");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    // Silent: it accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut cmd = f.command(["keygen", "--kms", "awskms:///alias/ci", "--out", "ci"]);
    kms.apply(&mut cmd).env(
        "AWS_ENDPOINT_URL_KMS",
        format!("http://{}", silent.local_addr().unwrap()),
    );
    let start = Instant::now();
    assert_fails_with(&cmd.output().unwrap(), "did not answer");
    assert!(
        start.elapsed() < Duration::from_secs(40),
        "{:?}",
        start.elapsed()
    );
    assert!(!f.dir().join("b.json").exists() && !f.dir().join("ci.pub").exists());
    // An endpoint in the URI is HTTPS, as cosign's: moto speaks plain HTTP
    // there, so the TLS handshake fails, named.
    let host = kms.endpoint.trim_start_matches("http://");
    let out = run(
        &f,
        &kms,
        &["public-key", "--key", &format!("awskms://{host}/alias/ci")],
    );
    assert_fails_with(&out, "AWS KMS");
}
