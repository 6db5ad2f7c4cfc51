//! cosign's encrypted private keys through the real binary, against an
//! independent implementation of the format (tests/oracles/cosign_key.py:
//! PyNaCl's SecretBox and hashlib.scrypt) and cosign's own test keys.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::{assert_fails_with, assert_ok, oracle_script, tempdir};

/// `vouch ARGS` in `dir` with neither password variable (whatever the
/// test's own environment holds), standard input not a terminal, and the
/// variables `env` sets.
fn vouch_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = common::vouch();
    cmd.current_dir(dir)
        .env_remove("VOUCH_PASSWORD")
        .env_remove("COSIGN_PASSWORD")
        .stdin(Stdio::null())
        .args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

/// Runs the Python implementation with `password` as VOUCH_PASSWORD and
/// returns its standard output (a public key PEM).
fn python(dir: &Path, password: &str, args: &[&str]) -> String {
    let out = oracle_script("cosign_key.py")
        .current_dir(dir)
        .env("VOUCH_PASSWORD", password)
        .args(args)
        .output()
        .unwrap();
    assert_ok(&out);
    String::from_utf8(out.stdout).unwrap()
}

fn python_fails(dir: &Path, password: &str, args: &[&str]) -> String {
    let out = oracle_script("cosign_key.py")
        .current_dir(dir)
        .env("VOUCH_PASSWORD", password)
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn cosign_vector(name: &str) -> std::path::PathBuf {
    common::root().join("testdata/cosign-keys").join(name)
}

#[test]
fn keygen_encrypt_writes_what_an_independent_implementation_decrypts() {
    let tmp = tempdir();
    let dir = tmp.path();
    let out = vouch_env(
        dir,
        &[("VOUCH_PASSWORD", "correct horse")],
        &["keygen", "--encrypt", "--out", "ci"],
    );
    assert_ok(&out);
    let key = fs::read_to_string(dir.join("ci.key")).unwrap();
    assert!(
        key.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"),
        "{key}"
    );
    assert!(!key.contains("PRIVATE KEY-----\nMI"), "not PKCS#8 in clear");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join("ci.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The oracle checks cosign's default parameters, decrypts, parses the
    // PKCS#8 and derives the public key: it is the key in ci.pub.
    let public = python(dir, "correct horse", &["decrypt", "ci.key"]);
    assert_eq!(public, fs::read_to_string(dir.join("ci.pub")).unwrap());
    // Negative control: the oracle does check the password.
    let err = python_fails(dir, "correct horsE", &["decrypt", "ci.key"]);
    assert!(err.contains("Decryption failed"), "{err}");

    // public-key prints the same key (the password from VOUCH_PASSWORD).
    let out = vouch_env(
        dir,
        &[("VOUCH_PASSWORD", "correct horse")],
        &["public-key", "--key", "ci.key"],
    );
    assert_ok(&out);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        fs::read_to_string(dir.join("ci.pub")).unwrap()
    );
}

#[test]
fn a_key_encrypted_by_an_independent_implementation_signs_and_verifies() {
    let tmp = tempdir();
    let dir = tmp.path();
    fs::write(dir.join("a.txt"), b"artifact\n").unwrap();
    for (label, file) in [
        ("ENCRYPTED SIGSTORE PRIVATE KEY", "py"),
        ("ENCRYPTED COSIGN PRIVATE KEY", "old"),
    ] {
        let key = format!("{file}.key");
        let public = python(dir, "s3cret", &["encrypt", &key, label]);
        fs::write(dir.join(format!("{file}.pub")), &public).unwrap();
        let bundle = format!("{file}.sig.json");
        // VOUCH_PASSWORD, or cosign's variable alone (migration).
        let env = if file == "py" {
            ("VOUCH_PASSWORD", "s3cret")
        } else {
            ("COSIGN_PASSWORD", "s3cret")
        };
        let out = vouch_env(
            dir,
            &[env],
            &["sign-blob", "--key", &key, "--bundle", &bundle, "a.txt"],
        );
        assert_ok(&out);
        let pub_file = format!("{file}.pub");
        let verify: [&str; 6] = [
            "verify-bundle",
            "--bundle",
            &bundle,
            "--key",
            &pub_file,
            "a.txt",
        ];
        assert_ok(&vouch_env(dir, &[], &verify));
        let out = vouch_env(dir, &[env], &["public-key", "--key", &key]);
        assert_ok(&out);
        assert_eq!(String::from_utf8(out.stdout).unwrap(), public);
    }
    // Negative control: the bundle does not verify with another key.
    let verify: [&str; 6] = [
        "verify-bundle",
        "--bundle",
        "py.sig.json",
        "--key",
        "old.pub",
        "a.txt",
    ];
    assert!(!vouch_env(dir, &[], &verify).status.success());
}

#[test]
fn vouch_password_comes_first_and_a_wrong_one_is_an_error_saying_so() {
    let tmp = tempdir();
    let dir = tmp.path();
    fs::write(dir.join("a.txt"), b"artifact\n").unwrap();
    python(dir, "right", &["encrypt", "k.key"]);
    let sign: [&str; 6] = [
        "sign-blob",
        "--key",
        "k.key",
        "--bundle",
        "a.sig.json",
        "a.txt",
    ];
    let out = vouch_env(
        dir,
        &[("VOUCH_PASSWORD", "wrong"), ("COSIGN_PASSWORD", "right")],
        &sign,
    );
    assert_fails_with(&out, "wrong password or corrupted key");
    assert_fails_with(&out, "k.key");
    assert!(!dir.join("a.sig.json").exists(), "nothing written");
    let out = vouch_env(
        dir,
        &[("VOUCH_PASSWORD", "right"), ("COSIGN_PASSWORD", "wrong")],
        &sign,
    );
    assert_ok(&out);
    // Set but empty is the empty password, not "unset".
    let out = vouch_env(
        dir,
        &[("VOUCH_PASSWORD", ""), ("COSIGN_PASSWORD", "right")],
        &["public-key", "--key", "k.key"],
    );
    assert_fails_with(&out, "wrong password or corrupted key");
}

#[test]
fn without_a_password_or_a_terminal_the_error_names_both_variables() {
    let tmp = tempdir();
    let dir = tmp.path();
    python(dir, "pw", &["encrypt", "k.key"]);
    let out = vouch_env(dir, &[], &["public-key", "--key", "k.key"]);
    assert_fails_with(&out, "VOUCH_PASSWORD");
    assert_fails_with(&out, "COSIGN_PASSWORD");
    assert_fails_with(&out, "k.key is encrypted");
    // keygen --encrypt neither prompts nor writes anything.
    let out = vouch_env(dir, &[], &["keygen", "--encrypt", "--out", "new"]);
    assert_fails_with(&out, "VOUCH_PASSWORD");
    assert!(!dir.join("new.key").exists() && !dir.join("new.pub").exists());
    // Nor does it write a key "protected" by the empty password.
    let out = vouch_env(
        dir,
        &[("VOUCH_PASSWORD", "")],
        &["keygen", "--encrypt", "--out", "new"],
    );
    assert_fails_with(&out, "an empty password does not protect");
    assert!(!dir.join("new.key").exists() && !dir.join("new.pub").exists());
    // An unencrypted key still needs no password.
    assert_ok(&vouch_env(dir, &[], &["keygen", "--out", "plain"]));
    assert_ok(&vouch_env(dir, &[], &["public-key", "--key", "plain.key"]));
}

#[test]
fn cosigns_own_test_keys_sign_and_verify() {
    let tmp = tempdir();
    let dir = tmp.path();
    fs::write(dir.join("a.txt"), b"artifact\n").unwrap();
    for name in ["sigstore.key", "cosign.key"] {
        let key = cosign_vector(name);
        let key = key.to_str().unwrap();
        let out = vouch_env(
            dir,
            &[("COSIGN_PASSWORD", "hello")],
            &["public-key", "--key", key],
        );
        assert_ok(&out);
        fs::write(dir.join("v.pub"), &out.stdout).unwrap();
        let sign: [&str; 6] = ["sign-blob", "--key", key, "--bundle", "v.sig.json", "a.txt"];
        assert_ok(&vouch_env(dir, &[("COSIGN_PASSWORD", "hello")], &sign));
        let verify: [&str; 6] = [
            "verify-bundle",
            "--bundle",
            "v.sig.json",
            "--key",
            "v.pub",
            "a.txt",
        ];
        assert_ok(&vouch_env(dir, &[], &verify));
        fs::remove_file(dir.join("v.sig.json")).unwrap();
        let out = vouch_env(
            dir,
            &[("COSIGN_PASSWORD", "goodbye")],
            &["public-key", "--key", key],
        );
        assert_fails_with(&out, "wrong password or corrupted key");
    }
    // The SEC1 key inside cosign's third vector is refused, as cosign does.
    let key = cosign_vector("cosign-sec1.key");
    let out = vouch_env(
        dir,
        &[("COSIGN_PASSWORD", "hello")],
        &["public-key", "--key", key.to_str().unwrap()],
    );
    assert_fails_with(&out, "SEC1");
}

/// A hostile key file asks scrypt for 2^30 × 8 × 128 bytes (1 TiB) of
/// memory: vouch refuses it at once, naming the limit, and runs nothing.
#[test]
fn regression_issue_17_a_key_file_cannot_make_scrypt_take_the_machine() {
    let tmp = tempdir();
    let dir = tmp.path();
    let vector = fs::read_to_string(cosign_vector("sigstore.key")).unwrap();
    let body: String = vector.lines().filter(|l| !l.starts_with("-----")).collect();
    let json = String::from_utf8(base64_decode(&body)).unwrap();
    let hostile = json.replace("\"N\":32768", "\"N\":1073741824");
    assert_ne!(hostile, json);
    fs::write(
        dir.join("hostile.key"),
        format!(
            "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
            base64_encode(hostile.as_bytes())
        ),
    )
    .unwrap();
    let start = Instant::now();
    let out = vouch_env(
        dir,
        &[("VOUCH_PASSWORD", "hello")],
        &["public-key", "--key", "hostile.key"],
    );
    assert_fails_with(&out, "N=1073741824, r=8, p=1 are over vouch's limit");
    assert_fails_with(&out, "hostile.key");
    assert!(start.elapsed() < Duration::from_secs(10));
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    // PEM lines of 64 characters, as cosign writes them.
    text.as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `vouch ARGS` in `dir` on a pseudo-terminal, typing `lines`, without
/// either password variable: returns the exit status and what it showed.
fn vouch_on_tty(dir: &Path, lines: &[&str], args: &[&str]) -> (bool, String) {
    let out = oracle_script("on_tty.py")
        .current_dir(dir)
        .env_remove("VOUCH_PASSWORD")
        .env_remove("COSIGN_PASSWORD")
        .args(lines)
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        // A terminal shows each line break as CR LF.
        String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
    )
}

#[test]
fn on_a_terminal_the_password_is_asked_for_twice_and_never_echoed() {
    let tmp = tempdir();
    let dir = tmp.path();
    let (ok, shown) = vouch_on_tty(
        dir,
        &["tty-pw", "tty-pw"],
        &["keygen", "--encrypt", "--out", "t"],
    );
    assert!(ok, "{shown}");
    assert!(shown.contains("Password for the new key t.key"), "{shown}");
    assert!(shown.contains("The same password again"), "{shown}");
    assert!(!shown.contains("tty-pw"), "echoed: {shown}");
    // The key opens with that password, on the terminal and in the oracle.
    let (ok, shown) = vouch_on_tty(dir, &["tty-pw"], &["public-key", "--key", "t.key"]);
    assert!(ok, "{shown}");
    let public = fs::read_to_string(dir.join("t.pub")).unwrap();
    assert!(shown.contains(public.trim()), "{shown}");
    assert_eq!(python(dir, "tty-pw", &["decrypt", "t.key"]), public);
    // Two different passwords: nothing is written.
    let (ok, shown) = vouch_on_tty(dir, &["one", "two"], &["keygen", "--encrypt", "--out", "u"]);
    assert!(!ok && shown.contains("the two passwords differ"), "{shown}");
    assert!(!dir.join("u.key").exists() && !dir.join("u.pub").exists());
    // A wrong password typed at the prompt is an error saying so.
    let (ok, shown) = vouch_on_tty(dir, &["nope"], &["public-key", "--key", "t.key"]);
    assert!(
        !ok && shown.contains("wrong password or corrupted key"),
        "{shown}"
    );
}
