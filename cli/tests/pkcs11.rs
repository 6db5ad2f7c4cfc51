//! Keys on a PKCS#11 token, against the real SoftHSM2: `keygen --kms`
//! makes the pair on the token, `public-key`, `sign-blob`, `sign` and
//! `attest` use it there, and what they sign verifies with vouch and with
//! OpenSSL; the private key is sensitive, never extractable, and never on
//! disk. Each test has its own token directory (SOFTHSM2_CONF).

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{assert_fails_with, assert_ok, demo_policy, stderr, stdout, Fixture};

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const PIN: &str = "4711-test-pin";
const SO_PIN: &str = "so-4711";

/// SoftHSM2 tokens kept in `<fixture>/tokens`, with their configuration
/// file; `vouch` runs with SOFTHSM2_CONF pointing at it.
struct Tokens {
    f: Fixture,
    conf: PathBuf,
}

impl Tokens {
    /// A fixture with the demo project, the demo policy, a layout image
    /// `oci:layout:app`, the PIN in `pin` (TEST ONLY) and one token `ci`.
    fn new() -> Tokens {
        let f = Fixture::new()
            .with_project()
            .with_policy(&demo_policy())
            .with_layout_image("layout", "app");
        let tokens = f.dir().join("tokens");
        fs::create_dir(&tokens).unwrap();
        let conf = f.dir().join("softhsm2.conf");
        fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        fs::write(f.dir().join("pin"), format!("{PIN}\n")).unwrap();
        let t = Tokens { f, conf };
        t.init_token("ci", PIN);
        t
    }

    fn dir(&self) -> &Path {
        self.f.dir()
    }

    fn init_token(&self, label: &str, pin: &str) {
        let out = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", &self.conf)
            .args([
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                SO_PIN,
                "--pin",
                pin,
            ])
            .output()
            .unwrap();
        assert_ok(&out);
    }

    /// `vouch ARGS` in the fixture, on these tokens, with no PIN in the
    /// environment.
    fn vouch(&self, args: &[&str]) -> Output {
        let mut cmd = self.f.command(args);
        cmd.env("SOFTHSM2_CONF", &self.conf)
            .env_remove("VOUCH_PKCS11_PIN");
        cmd.output().unwrap()
    }

    /// `pkcs11-tool` (OpenSC), the independent control, on token `token`.
    fn pkcs11_tool(&self, token: &str, args: &[&str]) -> Output {
        Command::new("pkcs11-tool")
            .current_dir(self.dir())
            .env("SOFTHSM2_CONF", &self.conf)
            .args(["--module", MODULE, "--token-label", token])
            .args(args)
            .output()
            .unwrap()
    }

    /// The objects on `token`, as pkcs11-tool lists them after login.
    fn objects(&self, token: &str) -> String {
        let out = self.pkcs11_tool(token, &["--login", "--pin", PIN, "--list-objects"]);
        assert_ok(&out);
        stdout(&out)
    }

    /// Every file under the fixture, for the checks that nothing was
    /// written and that no private key is on disk.
    /// (The token directory is left out: SoftHSM2 keeps its own state
    /// there; what is on the token is checked with pkcs11-tool.)
    fn files(&self) -> Vec<PathBuf> {
        self.walk(true)
    }

    fn walk(&self, skip_tokens: bool) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.dir().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if skip_tokens && path == self.dir().join("tokens") {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path);
                } else {
                    out.push(path);
                }
            }
        }
        out.sort();
        out
    }
}

fn uri(token: &str, label: &str) -> String {
    format!("pkcs11:token={token};object={label}?module-path={MODULE}")
}

/// The signature of a `messageSignature` bundle, decoded.
fn bundle_signature(path: &Path) -> Vec<u8> {
    use base64::Engine as _;
    let bundle = common::read_json(path);
    let b64 = bundle["messageSignature"]["signature"].as_str().unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

/// OpenSSL verifies `sig` over `file` with `public` (PEM): `dgst -sha256`
/// for P-256 (ASN.1 DER signature), `pkeyutl -rawin` for Ed25519.
fn openssl_verifies(dir: &Path, public: &str, file: &str, sig: &[u8], ed25519: bool) -> bool {
    fs::write(dir.join("sig.bin"), sig).unwrap();
    let args: Vec<&str> = if ed25519 {
        vec![
            "pkeyutl", "-verify", "-pubin", "-inkey", public, "-rawin", "-in", file, "-sigfile",
            "sig.bin",
        ]
    } else {
        vec![
            "dgst",
            "-sha256",
            "-verify",
            public,
            "-signature",
            "sig.bin",
            file,
        ]
    };
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let ok = out.status.success();
    let _ = fs::remove_file(dir.join("sig.bin"));
    ok
}

/// No PEM private key, in any form, in any file of the fixture.
fn assert_no_private_key_on_disk(t: &Tokens) {
    for path in t.walk(false) {
        let bytes = fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("PRIVATE KEY-----"),
            "{} holds a PEM private key",
            path.display()
        );
    }
}

/// keygen --kms, public-key and sign-blob for one algorithm: the bundle
/// verifies with vouch and with OpenSSL, and not over other bytes.
fn keygen_sign_blob_verify(alg: &str, label: &str) {
    let t = Tokens::new();
    let key = uri("ci", label);
    let made = t.vouch(&[
        "keygen",
        "--kms",
        &key,
        "--algorithm",
        alg,
        "--pin-file",
        "pin",
        "--out",
        "ci",
    ]);
    assert_ok(&made);
    let ci_pub = fs::read_to_string(t.dir().join("ci.pub")).unwrap();
    assert!(!t.dir().join("ci.key").exists());

    // public-key prints the same key; with the PIN from the environment.
    let mut cmd = t.f.command(["public-key", "--key", &key]);
    let shown = cmd
        .env("SOFTHSM2_CONF", &t.conf)
        .env("VOUCH_PKCS11_PIN", PIN)
        .output()
        .unwrap();
    assert_ok(&shown);
    assert_eq!(stdout(&shown), ci_pub);

    // The URI's own PIN forms (cosign's), and --pin-file before a wrong
    // VOUCH_PKCS11_PIN.
    let pin_file = t.dir().join("pin");
    for with_pin in [
        format!("{key}&pin-value={PIN}"),
        format!("{key}&pin-source=file:{}", pin_file.display()),
    ] {
        let shown = t.vouch(&["public-key", "--key", &with_pin]);
        assert_ok(&shown);
        assert_eq!(stdout(&shown), ci_pub);
    }
    let mut cmd =
        t.f.command(["public-key", "--key", &key, "--pin-file", "pin"]);
    let shown = cmd
        .env("SOFTHSM2_CONF", &t.conf)
        .env("VOUCH_PKCS11_PIN", "not-the-pin")
        .output()
        .unwrap();
    assert_ok(&shown);
    assert_eq!(stdout(&shown), ci_pub);

    // The token's own view (pkcs11-tool) agrees on the curve and label.
    let objects = t.objects("ci");
    let key_type = if alg == "ed25519" { "EC_EDWARDS" } else { "EC" };
    assert!(
        objects.contains(&format!(
            "Private Key Object; {key_type}\n  label:      {label}"
        )),
        "{objects}"
    );

    if alg == "ecdsa-p256" {
        // pkcs11-tool reads the public key object itself (by its id, as
        // it ignores labels), and OpenSSL converts it: the same key as
        // vouch's. (OpenSC 0.23 does not export Ed25519 public keys.)
        let id = objects
            .lines()
            .find_map(|l| l.trim().strip_prefix("ID:"))
            .unwrap()
            .trim();
        assert_ok(&t.pkcs11_tool(
            "ci",
            &[
                "--read-object",
                "--type",
                "pubkey",
                "--id",
                id,
                "-o",
                "tool.der",
            ],
        ));
        let pem = Command::new("openssl")
            .current_dir(t.dir())
            .args(["pkey", "-pubin", "-inform", "DER", "-in", "tool.der"])
            .output()
            .unwrap();
        assert_ok(&pem);
        assert_eq!(stdout(&pem), ci_pub);
        fs::remove_file(t.dir().join("tool.der")).unwrap();
    }

    fs::write(t.dir().join("artifact.txt"), b"release 1.2.3\n").unwrap();
    assert_ok(&t.vouch(&[
        "sign-blob",
        "--key",
        &key,
        "--pin-file",
        "pin",
        "--bundle",
        "artifact.sigstore.json",
        "artifact.txt",
    ]));
    assert_ok(&t.vouch(&[
        "verify-bundle",
        "--bundle",
        "artifact.sigstore.json",
        "--key",
        "ci.pub",
        "artifact.txt",
    ]));
    let sig = bundle_signature(&t.dir().join("artifact.sigstore.json"));
    let ed = alg == "ed25519";
    assert!(openssl_verifies(
        t.dir(),
        "ci.pub",
        "artifact.txt",
        &sig,
        ed
    ));
    // Negative control: the peer refuses the signature over other bytes.
    fs::write(t.dir().join("other.txt"), b"release 1.2.4\n").unwrap();
    assert!(!openssl_verifies(t.dir(), "ci.pub", "other.txt", &sig, ed));
    let other = t.vouch(&[
        "verify-bundle",
        "--bundle",
        "artifact.sigstore.json",
        "--key",
        "ci.pub",
        "other.txt",
    ]);
    assert!(!other.status.success(), "{}", stdout(&other));
    assert_no_private_key_on_disk(&t);
}

#[test]
fn a_p256_key_made_on_the_token_signs_blobs_that_vouch_and_openssl_verify() {
    keygen_sign_blob_verify("ecdsa-p256", "signer");
}

/// SoftHSM2 2.6 has CKM_EDDSA and CKM_EC_EDWARDS_KEY_PAIR_GEN.
#[test]
fn an_ed25519_key_made_on_the_token_signs_blobs_that_vouch_and_openssl_verify() {
    keygen_sign_blob_verify("ed25519", "signer-ed");
}

#[test]
fn sign_and_attest_with_a_token_key_are_admitted_by_a_key_authority() {
    let t = Tokens::new();
    let key = uri("ci", "release");
    // The demo policy's authority is ci.pub: the token key's public half.
    assert_ok(&t.vouch(&["keygen", "--kms", &key, "--pin-file", "pin", "--out", "ci"]));
    let attested = t.vouch(&[
        "attest",
        t.f.project.to_str().unwrap(),
        "--image",
        &t.f.image,
        "--key",
        &key,
        "--pin-file",
        "pin",
    ]);
    assert_ok(&attested);
    let (out, verdict) = t.f.verify("policy.yaml");
    assert_ok(&out);
    assert_eq!(verdict["images"][0]["verdict"], "allow", "{verdict}");

    assert_ok(&t.vouch(&["sign", &t.f.image, "--key", &key, "--pin-file", "pin"]));
    assert_ok(&t.vouch(&["verify-image", &t.f.image, "--key", "ci.pub"]));
    // Negative control: another key does not verify the image's signature.
    common::keygen(t.dir(), "other");
    let other = t.vouch(&["verify-image", &t.f.image, "--key", "other.pub"]);
    assert!(!other.status.success(), "{}", stdout(&other));
    fs::remove_file(t.dir().join("other.key")).unwrap();
    assert_no_private_key_on_disk(&t);
}

#[test]
fn the_private_key_is_sensitive_and_never_extractable() {
    let t = Tokens::new();
    let key = uri("ci", "guarded");
    assert_ok(&t.vouch(&["keygen", "--kms", &key, "--pin-file", "pin"]));
    // OpenSC reads the private key object's CKA_SENSITIVE,
    // CKA_ALWAYS_SENSITIVE, CKA_EXTRACTABLE (absent: false),
    // CKA_NEVER_EXTRACTABLE and CKA_LOCAL.
    let objects = t.objects("ci");
    let private = objects
        .split("Private Key Object")
        .nth(1)
        .unwrap_or_else(|| panic!("no private key: {objects}"));
    let private = private.split("Object;").next().unwrap();
    assert!(
        private.contains("Access:     sensitive, always sensitive, never extractable, local"),
        "{private}"
    );
    assert!(private.contains("Usage:      sign\n"), "{private}");
    // pkcs11-tool cannot read it out either.
    let read = t.pkcs11_tool(
        "ci",
        &[
            "--login",
            "--pin",
            PIN,
            "--read-object",
            "--type",
            "privkey",
            "--label",
            "guarded",
            "-o",
            "key.der",
        ],
    );
    assert!(!t.dir().join("key.der").exists(), "{}", stderr(&read));

    assert_no_private_key_on_disk(&t);
}

#[test]
fn regression_issue_17_keygen_does_not_shadow_a_key_already_on_the_token() {
    let t = Tokens::new();
    let key = uri("ci", "taken");
    assert_ok(&t.vouch(&[
        "keygen",
        "--kms",
        &key,
        "--pin-file",
        "pin",
        "--out",
        "first",
    ]));
    let first = fs::read_to_string(t.dir().join("first.pub")).unwrap();
    let again = t.vouch(&[
        "keygen",
        "--kms",
        &key,
        "--pin-file",
        "pin",
        "--out",
        "second",
    ]);
    assert_fails_with(&again, "a key labelled \"taken\" exists already");
    assert!(!t.dir().join("second.pub").exists());
    let shown = t.vouch(&["public-key", "--key", &key, "--pin-file", "pin"]);
    assert_eq!(stdout(&shown), first);
    assert_eq!(t.objects("ci").matches("label:      taken").count(), 2);
}

#[test]
fn regression_issue_17_a_wrong_pin_an_unknown_label_or_another_tokens_key_fail_clearly_and_write_nothing(
) {
    let t = Tokens::new();
    t.init_token("other", PIN);
    assert_ok(&t.vouch(&[
        "keygen",
        "--kms",
        &uri("other", "theirs"),
        "--pin-file",
        "pin",
    ]));
    assert_ok(&t.vouch(&["keygen", "--kms", &uri("ci", "ours"), "--pin-file", "pin"]));
    fs::write(t.dir().join("artifact.txt"), b"x").unwrap();
    fs::write(t.dir().join("wrong-pin"), "1234-not-it\n").unwrap();
    let before = t.files();
    let objects_before = t.objects("ci");

    let sign = |key: &str, pin_file: &str| {
        t.vouch(&[
            "sign-blob",
            "--key",
            key,
            "--pin-file",
            pin_file,
            "--bundle",
            "out.json",
            "artifact.txt",
        ])
    };
    // Wrong PIN: said as such, the PIN itself never shown.
    let wrong = sign(&uri("ci", "ours"), "wrong-pin");
    assert_fails_with(&wrong, "token \"ci\": wrong PIN (CKR_PIN_INCORRECT)");
    assert!(
        !stderr(&wrong).contains("1234-not-it"),
        "{}",
        stderr(&wrong)
    );
    let made = t.vouch(&[
        "keygen",
        "--kms",
        &uri("ci", "new"),
        "--pin-file",
        "wrong-pin",
        "--out",
        "new",
    ]);
    assert_fails_with(&made, "wrong PIN (CKR_PIN_INCORRECT)");
    // A PIN in the URI is not echoed either.
    let in_uri = t.vouch(&[
        "public-key",
        "--key",
        &format!("{}&pin-value=1234-not-it", uri("ci", "ours")),
    ]);
    assert_fails_with(&in_uri, "wrong PIN");
    assert!(!stderr(&in_uri).contains("1234-not-it"));

    // Unknown label; another token's key; an unknown token.
    assert_fails_with(
        &sign(&uri("ci", "nosuch"), "pin"),
        "token \"ci\": no private key labelled \"nosuch\"",
    );
    assert_fails_with(
        &sign(&uri("ci", "theirs"), "pin"),
        "token \"ci\": no private key labelled \"theirs\"",
    );
    let no_token = sign(&uri("nosuch", "ours"), "pin");
    assert_fails_with(
        &no_token,
        "no token labelled \"nosuch\" in PKCS#11 module /usr/lib/softhsm/libsofthsm2.so \
         (its tokens: ",
    );
    // The tokens there are listed (in the module's order).
    assert!(stderr(&no_token).contains("\"ci\"") && stderr(&no_token).contains("\"other\""));
    // A module that is not there, or not a PKCS#11 module.
    let missing = uri("ci", "ours").replace(MODULE, "/nonexistent/libp11.so");
    assert_fails_with(
        &sign(&missing, "pin"),
        "PKCS#11 module /nonexistent/libp11.so: no such file",
    );
    let not_module = t.dir().join("pin");
    let not_module = uri("ci", "ours").replace(MODULE, not_module.to_str().unwrap());
    assert_fails_with(&sign(&not_module, "pin"), "is not a PKCS#11 module");
    // A malformed URI names its attribute.
    assert_fails_with(
        &sign(&uri("ci", "ours").replace("object=", "label="), "pin"),
        "unknown path attribute \"label\"",
    );

    assert_eq!(t.files(), before, "a failed command wrote a file");
    assert_eq!(
        t.objects("ci"),
        objects_before,
        "a failed keygen made an object"
    );
}

#[test]
fn regression_issue_17_two_keys_under_one_label_are_refused_not_the_first_one_taken() {
    let t = Tokens::new();
    let tool = |args: &[&str]| {
        let mut all = vec!["--login", "--pin", PIN, "--keypairgen"];
        all.extend_from_slice(args);
        assert_ok(&t.pkcs11_tool("ci", &all));
    };
    tool(&[
        "--key-type",
        "EC:prime256v1",
        "--label",
        "twin",
        "--id",
        "01",
    ]);
    tool(&[
        "--key-type",
        "EC:prime256v1",
        "--label",
        "twin",
        "--id",
        "02",
    ]);
    tool(&[
        "--key-type",
        "EC:secp384r1",
        "--label",
        "p384",
        "--id",
        "03",
    ]);
    tool(&["--key-type", "rsa:2048", "--label", "rsa", "--id", "04"]);
    let public_key = |key: &str| t.vouch(&["public-key", "--key", key, "--pin-file", "pin"]);
    assert_fails_with(
        &public_key(&uri("ci", "twin")),
        "token \"ci\": 2 private keys labelled \"twin\"",
    );
    // The id (percent-encoded) tells the twins apart.
    let first = public_key(&format!(
        "pkcs11:token=ci;object=twin;id=%01?module-path={MODULE}"
    ));
    assert_ok(&first);
    let second = public_key(&format!(
        "pkcs11:token=ci;object=twin;id=%02?module-path={MODULE}"
    ));
    assert_ok(&second);
    assert_ne!(stdout(&first), stdout(&second));
    assert_fails_with(
        &public_key(&uri("ci", "p384")),
        "a CKK_EC key on another curve (CKA_EC_PARAMS 06052b81040022), not P-256 or Ed25519",
    );
    assert_fails_with(
        &public_key(&uri("ci", "rsa")),
        "a CKK_RSA key, not P-256 or Ed25519",
    );
}
