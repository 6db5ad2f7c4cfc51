//! The Sigstore conformance suite's bundle-verification cases, run through
//! `vouch verify-bundle` with exactly the argv of CLI_PROTOCOL.md.
//!
//! The case directories are read as the suite's README describes: a
//! `_fail` suffix means verification must fail; `artifact`, `key.pub`,
//! `identity`, `issuer` and `trusted_root.json` are optional, with the
//! documented defaults. Every case is run, keyless and managed-key alike,
//! and all of them must give the expected result.

#![allow(clippy::disallowed_macros)]

use crate::common;

use std::path::Path;
use std::process::Output;

use common::{conformance_suite, vouch};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn run_case(case: &Path, suite: &Path) -> Output {
    let mut cmd = vouch();
    cmd.arg("verify-bundle")
        .arg("--bundle")
        .arg(case.join("bundle.sigstore.json"));
    if case.join("key.pub").exists() {
        cmd.arg("--key").arg(case.join("key.pub"));
    } else {
        let read = |name: &str, default: &str| {
            std::fs::read_to_string(case.join(name))
                .map_or(default.to_string(), |s| s.trim().to_string())
        };
        cmd.arg("--certificate-identity")
            .arg(read("identity", DEFAULT_IDENTITY));
        cmd.arg("--certificate-oidc-issuer")
            .arg(read("issuer", DEFAULT_ISSUER));
    }
    let root = case.join("trusted_root.json");
    let root = if root.exists() {
        root
    } else {
        suite.join("public-good/trusted_root.production.json")
    };
    cmd.arg("--trusted-root").arg(root);
    let artifact = case.join("artifact");
    cmd.arg(if artifact.exists() {
        artifact
    } else {
        suite.join("bundle-verify/a.txt")
    });
    cmd.output().unwrap()
}

/// The number of case directories in the suite this test was written
/// against: a case that goes missing (or a new one) is noticed, not skipped.
const CASES: usize = 70;

#[test]
fn every_case_gives_the_expected_result() {
    let suite = conformance_suite();
    let mut cases: Vec<_> = std::fs::read_dir(suite.join("bundle-verify"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), CASES, "the suite has {CASES} case directories");
    let (mut passing, mut failing) = (0, 0);
    let mut wrong = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let out = run_case(case, &suite);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let must_fail = name.ends_with("_fail");
        if out.status.success() == must_fail {
            wrong.push(format!("{name}: exit {:?}: {stderr}", out.status.code()));
        } else if must_fail {
            // A failure is an ordinary verification error, not a crash or
            // a usage error.
            assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
            assert!(stderr.starts_with("vouch: error: "), "{name}: {stderr}");
            failing += 1;
        } else {
            passing += 1;
        }
        eprintln!("{name}: exit {:?} {}", out.status.code(), stderr.trim());
    }
    eprintln!(
        "conformance: {} of {} cases give the expected result ({passing} verify, {failing} are refused)",
        cases.len() - wrong.len(),
        cases.len()
    );
    assert!(
        wrong.is_empty(),
        "{} of {} cases give an unexpected result:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    // Both outcomes occur: a verifier that accepted (or refused) everything
    // could not pass.
    assert!(passing > 0 && failing > 0);
}

/// The happy-path bundle's log entry is really checked: the same bundle
/// with a corrupted inclusion proof, or its entry's signed timestamp, fails.
#[test]
fn managed_key_log_entry_is_verified_not_just_parsed() {
    let suite = conformance_suite();
    let case = suite.join("bundle-verify/managed-key-happy-path");
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("bundle.sigstore.json")).unwrap()).unwrap();
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 2] = [
        ("inclusion proof root hash", |b| {
            b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["rootHash"] =
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()
        }),
        ("integrated time", |b| {
            b["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = "1766077480".into()
        }),
    ];
    for (what, edit) in edits {
        let dir = common::tempdir();
        std::fs::copy(case.join("key.pub"), dir.path().join("key.pub")).unwrap();
        let mut bundle = original.clone();
        edit(&mut bundle);
        std::fs::write(
            dir.path().join("bundle.sigstore.json"),
            serde_json::to_vec(&bundle).unwrap(),
        )
        .unwrap();
        let out = run_case(dir.path(), &suite);
        common::assert_fails_with(&out, "verification failed");
        eprintln!("{what}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
}

/// With its log entry removed, the happy-path bundle still verifies on its
/// RFC 3161 timestamp, which is checked against the root's TSA: a corrupted
/// timestamp fails.
#[test]
fn managed_key_bundle_with_only_a_timestamp_verifies_the_timestamp() {
    let suite = conformance_suite();
    let case = suite.join("bundle-verify/managed-key-happy-path");
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("bundle.sigstore.json")).unwrap()).unwrap();
    bundle["verificationMaterial"]["tlogEntries"] = serde_json::json!([]);
    let dir = common::tempdir();
    std::fs::copy(case.join("key.pub"), dir.path().join("key.pub")).unwrap();
    let write = |b: &serde_json::Value| {
        std::fs::write(
            dir.path().join("bundle.sigstore.json"),
            serde_json::to_vec(b).unwrap(),
        )
        .unwrap()
    };
    write(&bundle);
    let out = run_case(dir.path(), &suite);
    common::assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("0 transparency-log entries and 1 RFC 3161 timestamp verified"),
        "{stderr}"
    );

    let stamp = &mut bundle["verificationMaterial"]["timestampVerificationData"]
        ["rfc3161Timestamps"][0]["signedTimestamp"];
    let corrupted = format!(
        "{}AAAAAAAA",
        &stamp.as_str().unwrap()[..stamp.as_str().unwrap().len() - 8]
    );
    *stamp = corrupted.into();
    write(&bundle);
    common::assert_fails_with(&run_case(dir.path(), &suite), "timestamp");
}

/// The happy-path keyless bundle, verified with an identity or an issuer
/// other than its certificate's: refused, naming what was expected and what
/// the certificate says.
#[test]
fn keyless_wrong_identity_or_issuer_names_expected_and_found() {
    let suite = conformance_suite();
    let case = suite.join("bundle-verify/happy-path-v0.3");
    let verify = |identity: &str, issuer: &str| {
        vouch()
            .arg("verify-bundle")
            .arg("--bundle")
            .arg(case.join("bundle.sigstore.json"))
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", issuer])
            .arg(suite.join("bundle-verify/a.txt"))
            .output()
            .unwrap()
    };
    let ok = verify(DEFAULT_IDENTITY, DEFAULT_ISSUER);
    common::assert_ok(&ok);
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(
        stderr.contains(&format!("signed by subject \"{DEFAULT_IDENTITY}\"")),
        "{stderr}"
    );

    let other_identity = "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main";
    let other_issuer = "https://accounts.google.com";
    for (identity, issuer) in [
        (other_identity, DEFAULT_ISSUER),
        (DEFAULT_IDENTITY, other_issuer),
        // A prefix of the real identity is not the identity.
        (
            &DEFAULT_IDENTITY[..DEFAULT_IDENTITY.len() - 5],
            DEFAULT_ISSUER,
        ),
    ] {
        let out = verify(identity, issuer);
        common::assert_fails_with(&out, "certificate identity mismatch");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expected = format!("expected subject \"{identity}\" from issuer \"{issuer}\"");
        let found =
            format!("found subject \"{DEFAULT_IDENTITY}\" from issuer \"{DEFAULT_ISSUER}\"");
        assert!(stderr.contains(&expected), "{stderr}");
        assert!(stderr.contains(&found), "{stderr}");
    }
}

/// `--key` and the identity flags exclude each other, and the identity
/// flags go together: usage errors, exit 2. The negative control is the
/// keyed happy path, which verifies with `--key` alone.
#[test]
fn key_and_identity_flags_are_exclusive_usage() {
    let suite = conformance_suite();
    let case = suite.join("bundle-verify/managed-key-happy-path");
    let base = || {
        let mut cmd = vouch();
        cmd.arg("verify-bundle")
            .arg("--bundle")
            .arg(case.join("bundle.sigstore.json"));
        cmd
    };
    let artifact = suite.join("bundle-verify/a.txt");
    let out = base()
        .arg("--key")
        .arg(case.join("key.pub"))
        .arg(&artifact)
        .output()
        .unwrap();
    common::assert_ok(&out);
    let usage: [&[&str]; 3] = [
        &[
            "--certificate-identity",
            DEFAULT_IDENTITY,
            "--certificate-oidc-issuer",
            DEFAULT_ISSUER,
            "--key",
        ],
        &["--certificate-identity", DEFAULT_IDENTITY],
        &["--certificate-oidc-issuer", DEFAULT_ISSUER],
    ];
    for args in usage {
        let mut cmd = base();
        cmd.args(args);
        if args.last() == Some(&"--key") {
            cmd.arg(case.join("key.pub"));
        }
        let out = cmd.arg(&artifact).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("Usage:"), "{args:?}: {stderr}");
    }
}
