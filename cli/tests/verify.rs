//! `vouch verify` end to end, offline on an `oci:` layout: the image is
//! attested by `vouch attest`, then checked against an ImagePolicy; each
//! kind of tampering the issue names is denied with its reason.

use crate::common;

use std::fs;

use common::registry::layout_image;
use common::{assert_ok, demo_policy, stderr, vouch_in, Fixture};
use serde_json::Value;

fn requirement<'a>(verdict: &'a Value, name: &str) -> &'a Value {
    verdict["images"][0]["policies"][0]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == name)
        .unwrap_or_else(|| panic!("no requirement {name} in {verdict}"))
}

#[test]
fn an_attested_image_is_allowed_and_the_table_says_who_satisfied_what() {
    let f = Fixture::demo_attested();
    let (out, verdict) = f.verify("policy.yaml");
    assert_ok(&out);
    let image = &verdict["images"][0];
    assert_eq!(image["verdict"], "allow", "{verdict}");
    assert!(verdict["policySetVersion"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    for name in [
        "attestation provenance",
        "attestation sbom",
        "vendoredInputs",
    ] {
        let r = requirement(&verdict, name);
        assert_eq!(r["passed"], true, "{r}");
        assert!(r["satisfiedBy"][0]
            .as_str()
            .unwrap()
            .starts_with("ci: key "));
    }
    let table = vouch_in(
        f.dir(),
        &["verify", "oci:layout:app", "--policy", "policy.yaml"],
    );
    assert_ok(&table);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains(": ALLOW"), "{text}");
    assert!(text.contains("ok   attestation provenance"), "{text}");
}

#[test]
fn regression_issue_8_a_reference_with_a_digest_is_shown_with_it_once() {
    let f = Fixture::demo_attested();
    let (_, verdict) = f.verify("policy.yaml");
    let digest = verdict["images"][0]["digest"].as_str().unwrap().to_string();
    let pinned = format!("oci:layout@{digest}");
    let table = vouch_in(f.dir(), &["verify", &pinned, "--policy", "policy.yaml"]);
    assert_ok(&table);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with(&format!("{pinned}: ALLOW\n")), "{text}");
    assert_eq!(text.matches(&digest).count(), 1, "{text}");
    let json = vouch_in(
        f.dir(),
        &[
            "verify",
            &pinned,
            "--policy",
            "policy.yaml",
            "--output",
            "json",
        ],
    );
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["images"][0]["image"], "oci:layout", "{json}");
    assert_eq!(json["images"][0]["digest"], digest.as_str(), "{json}");
}

#[test]
fn regression_issue_5_an_attestation_signed_by_another_key_does_not_count() {
    let f = Fixture::demo_attested();
    // A fresh image attested only by an unknown key.
    fs::remove_dir_all(f.dir().join("layout")).unwrap();
    layout_image(&f.dir().join("layout"), "app");
    assert_ok(&vouch_in(f.dir(), &["keygen", "--out", "mallory"]));
    assert_ok(&f.attest("mallory.key", &[]));
    let (out, verdict) = f.verify("policy.yaml");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(verdict["images"][0]["verdict"], "deny");
    let r = requirement(&verdict, "attestation provenance");
    assert_eq!(r["passed"], false);
    assert!(r["reason"].as_str().unwrap().contains("no verified"), "{r}");
    let ignored = &verdict["images"][0]["evidence"][0]["ignored"][0];
    assert!(ignored.as_str().unwrap().contains("ci:"), "{ignored}");
    assert!(stderr(&out).contains("vouch: denied: oci:layout:app"));
}

#[test]
fn regression_issue_5_a_changed_vendored_file_re_attested_is_denied_with_the_input_named() {
    let f = Fixture::demo_attested();
    // The next build of the image, from a tree with a changed vendored file.
    fs::remove_dir_all(f.dir().join("layout")).unwrap();
    layout_image(&f.dir().join("layout"), "app");
    fs::write(
        f.project.join("third_party/zlib/inflate.c"),
        "/* patched */\n",
    )
    .unwrap();
    assert_ok(&f.attest("ci.key", &["--allow-mismatch"]));
    let (out, verdict) = f.verify("policy.yaml");
    assert_eq!(out.status.code(), Some(1));
    let vendored = requirement(&verdict, "vendoredInputs");
    assert_eq!(vendored["passed"], false);
    assert!(
        vendored["reason"].as_str().unwrap().contains("zlib"),
        "{vendored}"
    );
    let provenance = requirement(&verdict, "attestation provenance");
    assert_eq!(provenance["passed"], false, "the Rego rule denies it too");
    assert!(provenance["reason"]
        .as_str()
        .unwrap()
        .contains("critical input zlib does not match"));
}

#[test]
fn regression_issue_5_a_missing_predicate_is_not_satisfied_by_another_valid_one() {
    let f = Fixture::demo_attested();
    let policy = demo_policy().replace(
        "https://cyclonedx.org/bom/v1.6",
        "https://spdx.dev/Document/v2.3",
    );
    fs::write(f.dir().join("spdx.yaml"), policy).unwrap();
    let (out, verdict) = f.verify("spdx.yaml");
    assert_eq!(out.status.code(), Some(1));
    let r = requirement(&verdict, "attestation sbom");
    assert_eq!(r["passed"], false);
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("other predicate types do not count"),
        "{r}"
    );
    // The other requirements still pass: only the missing one denies.
    assert_eq!(requirement(&verdict, "vendoredInputs")["passed"], true);
}

#[test]
fn no_matching_policy_denies_by_default_and_a_bad_policy_exits_2() {
    let f = Fixture::demo_attested();
    let other = demo_policy().replace("oci:**", "registry.example.com/**");
    fs::write(f.dir().join("other.yaml"), other).unwrap();
    let (out, verdict) = f.verify("other.yaml");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        verdict["images"][0]["denials"][0],
        "no policy matches this image"
    );
    let allowed = vouch_in(
        f.dir(),
        &[
            "verify",
            &f.image,
            "--policy",
            "other.yaml",
            "--no-match",
            "allow",
        ],
    );
    assert_ok(&allowed);

    fs::write(
        f.dir().join("bad.yaml"),
        demo_policy().replace("authorities: [ci]", "authorities: [cj]"),
    )
    .unwrap();
    let (out, _) = f.verify("bad.yaml");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bad.yaml"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn require_distribution_denies_a_critical_input_still_vendored_naming_it() {
    let f = Fixture::demo_attested();
    let policy = demo_policy().replace(
        "vendoredInputs: {requireMatch: true}",
        "vendoredInputs: {requireMatch: true, critical: {require: distribution}}",
    );
    assert!(policy.contains("require: distribution"), "{policy}");
    fs::write(f.dir().join("unbundled.yaml"), policy).unwrap();
    let (out, verdict) = f.verify("unbundled.yaml");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = requirement(&verdict, "vendoredInputs");
    assert_eq!(r["passed"], false, "{r}");
    assert!(
        r["reason"].as_str().unwrap().contains(
            "critical input zlib 1.3.1 (generic) is vendored, not provided by the distribution"
        ),
        "{r}"
    );
    // Control: the same image passes the demo policy.
    let (out, _) = f.verify("policy.yaml");
    assert_ok(&out);
}
