#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code
//! `vouch verify` end to end, offline on an `oci:` layout: the image is
//! attested by `vouch attest`, then checked against an ImagePolicy; each
//! kind of tampering the issue names is denied with its reason.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::registry::layout_image;
use common::{assert_ok, root, tempdir, vouch};
use serde_json::Value;

/// A policy trusting `ci.pub` for the provenance and the CycloneDX SBOM of
/// every layout image, with a Rego rule and the vendored-input rules.
const POLICY: &str = r#"apiVersion: vouch.dev/v1alpha1
kind: ImagePolicy
metadata: {name: demo}
spec:
  images: [{glob: "oci:**"}]
  authorities:
    - name: ci
      key: {path: ci.pub}
  attestations:
    - name: provenance
      predicateType: https://slsa.dev/provenance/v1
      authorities: [ci]
      rego: |
        package vouch
        deny contains msg if {
          some dep in input.buildDefinition.resolvedDependencies
          dep.annotations.critical
          dep.annotations.match != "match"
          msg := sprintf("critical input %s does not match its declaration", [dep.name])
        }
    - name: sbom
      predicateType: https://cyclonedx.org/bom/v1.6
      authorities: [ci]
  vendoredInputs: {requireMatch: true}
"#;

struct Fixture {
    tmp: tempfile::TempDir,
    project: PathBuf,
    image: String,
}

impl Fixture {
    /// The demo project attested with `ci.key` onto a fresh layout image.
    fn attested() -> Fixture {
        let tmp = tempdir();
        let project = tmp.path().join("demo-service");
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .arg(root().join("testdata/projects/demo-service"))
            .arg(&project)
            .status()
            .unwrap();
        assert!(copied.success());
        assert_ok(&run(tmp.path(), &["keygen", "--out", "ci"]));
        layout_image(&tmp.path().join("layout"), "app");
        fs::write(tmp.path().join("policy.yaml"), POLICY).unwrap();
        let f = Fixture {
            image: "oci:layout:app".into(),
            project,
            tmp,
        };
        assert_ok(&f.attest("ci.key", &[]));
        f
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    fn attest(&self, key: &str, extra: &[&str]) -> Output {
        let project = self.project.to_str().unwrap();
        let mut args = vec!["attest", project, "--image", &self.image, "--key", key];
        args.extend_from_slice(extra);
        run(self.dir(), &args)
    }

    fn verify(&self, policy: &str) -> (Output, Value) {
        let out = run(
            self.dir(),
            &[
                "verify",
                &self.image,
                "--policy",
                policy,
                "--output",
                "json",
            ],
        );
        let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out, json)
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    vouch().current_dir(dir).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

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
    let f = Fixture::attested();
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
    let table = run(
        f.dir(),
        &["verify", "oci:layout:app", "--policy", "policy.yaml"],
    );
    assert_ok(&table);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains(": ALLOW"), "{text}");
    assert!(text.contains("ok   attestation provenance"), "{text}");
}

#[test]
fn regression_issue_5_an_attestation_signed_by_another_key_does_not_count() {
    let f = Fixture::attested();
    // A fresh image attested only by an unknown key.
    fs::remove_dir_all(f.dir().join("layout")).unwrap();
    layout_image(&f.dir().join("layout"), "app");
    assert_ok(&run(f.dir(), &["keygen", "--out", "mallory"]));
    assert_ok(&f.attest("mallory.key", &[]));
    let (out, verdict) = f.verify("policy.yaml");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(verdict["images"][0]["verdict"], "deny");
    let r = requirement(&verdict, "attestation provenance");
    assert_eq!(r["passed"], false);
    assert!(r["reason"].as_str().unwrap().contains("no verified"), "{r}");
    let ignored = &verdict["images"][0]["evidence"][0]["ignored"][0];
    assert!(ignored.as_str().unwrap().contains("ci:"), "{ignored}");
    assert!(stderr(&out).contains("vouch: error: denied: oci:layout:app"));
}

#[test]
fn regression_issue_5_a_changed_vendored_file_re_attested_is_denied_with_the_input_named() {
    let f = Fixture::attested();
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
    let f = Fixture::attested();
    let policy = POLICY.replace(
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
    let f = Fixture::attested();
    let other = POLICY.replace("oci:**", "registry.example.com/**");
    fs::write(f.dir().join("other.yaml"), other).unwrap();
    let (out, verdict) = f.verify("other.yaml");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        verdict["images"][0]["denials"][0],
        "no policy matches this image"
    );
    let allowed = run(
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
        POLICY.replace("authorities: [ci]", "authorities: [cj]"),
    )
    .unwrap();
    let (out, _) = f.verify("bad.yaml");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bad.yaml"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}
