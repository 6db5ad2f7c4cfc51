//! The Sigstore conformance suite's bundle-verification cases, run through
//! `vouch verify-bundle` with exactly the argv of CLI_PROTOCOL.md.
//!
//! The case directories are read as the suite's README describes: a
//! `_fail` suffix means verification must fail; `artifact`, `key.pub`,
//! `identity`, `issuer` and `trusted_root.json` are optional, with the
//! documented defaults. Keyless verification arrives with a later issue; for
//! now the managed-key cases are run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::path::Path;
use std::process::Output;

use common::{shared, vouch};

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

#[test]
fn managed_key_cases_give_the_expected_result() {
    let suite = shared().join("conformance/sigstore-bundle-verify");
    let mut cases: Vec<_> = std::fs::read_dir(suite.join("bundle-verify"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("managed-key")
        })
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 4, "the suite has four managed-key cases");
    let mut wrong = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let out = run_case(case, &suite);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        if out.status.success() == name.ends_with("_fail") {
            wrong.push(format!("{name}: exit {:?}: {stderr}", out.status.code()));
        }
        eprintln!("{name}: exit {:?} {}", out.status.code(), stderr.trim());
    }
    assert!(
        wrong.is_empty(),
        "unexpected outcomes:\n{}",
        wrong.join("\n")
    );
}

/// The happy-path bundle's log entry is really checked: the same bundle
/// with a corrupted inclusion proof, or its entry's signed timestamp, fails.
#[test]
fn managed_key_log_entry_is_verified_not_just_parsed() {
    let suite = shared().join("conformance/sigstore-bundle-verify");
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
    let suite = shared().join("conformance/sigstore-bundle-verify");
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
