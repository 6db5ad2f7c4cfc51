//! `vouch attest` end to end: discovery, criticality, SBOMs, provenance,
//! signing and attaching, into an `oci:` layout and into a real registry
//! (Distribution 2.8), read back with `vouch tree` and `vouch verify-bundle`.

use crate::common;

use std::fs;
use std::path::Path;

use base64::Engine;
use common::registry::Registry;
use common::{
    assert_fails_with, assert_ok, bundle_of_referrer, keygen, oracle_script, statement_of,
    venv_bin, vouch, Fixture,
};
use serde_json::Value;

const PROVENANCE: &str = "https://slsa.dev/provenance/v1";
const CYCLONEDX: &str = "https://cyclonedx.org/bom/v1.6";
const SPDX: &str = "https://spdx.dev/Document/v2.3";

/// The demo project, the `ci` key pair, and a fresh image tagged `app` on
/// the `oci:` layout `layout`, named by its absolute path (vouch runs
/// outside the directory here).
fn fixture() -> Fixture {
    let f = Fixture::new()
        .with_project()
        .with_key("ci")
        .with_layout_image("layout", "app");
    let image = format!("oci:{}:app", f.dir().join("layout").display());
    f.with_image(&image)
}

/// The attachments `vouch tree` lists for the fixture's image.
fn attachments(f: &Fixture) -> Vec<Value> {
    tree(&f.image, &[])["attachments"]
        .as_array()
        .unwrap()
        .clone()
}

fn attest(project: &Path, image: &str, key: &Path, extra: &[&str]) -> std::process::Output {
    vouch()
        .arg("attest")
        .arg(project)
        .args(["--image", image, "--key"])
        .arg(key)
        .args(extra)
        .output()
        .unwrap()
}

fn tree(image: &str, extra: &[&str]) -> Value {
    let out = vouch()
        .args(["tree", image, "--output", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn predicate_types(tree: &Value) -> Vec<String> {
    let mut types: Vec<String> = tree["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "attestation")
        .map(|a| a["predicateType"].as_str().unwrap().to_string())
        .collect();
    types.sort();
    types
}

#[test]
fn attest_into_an_oci_layout_then_tree_shows_provenance_and_both_sboms() {
    let f = fixture();
    let (tmp, layout, digest, image, public) = (
        &f.tmp,
        &f.dir().join("layout"),
        &f.digest,
        &f.image,
        &f.dir().join("ci.pub"),
    );

    let out = attest(
        &f.project,
        image,
        &f.dir().join("ci.key"),
        &["--sbom", "cyclonedx,spdx"],
    );
    assert_ok(&out);
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains(&format!("Attested oci:{}@{digest}", layout.display())),
        "{summary}"
    );
    assert!(summary.contains("critical    3: "), "{summary}");

    let tree = tree(image, &[]);
    assert_eq!(tree["digest"], digest.as_str());
    assert_eq!(predicate_types(&tree), [CYCLONEDX, PROVENANCE, SPDX]);

    // Each attestation verifies with the public key against the image
    // digest, and says what discovery saw.
    for a in tree["attachments"].as_array().unwrap() {
        let file = tmp.path().join("attestation.json");
        let bundle = bundle_of_referrer(layout, a["digest"].as_str().unwrap(), &file);
        let out = vouch()
            .args(["verify-bundle", "--bundle"])
            .arg(&file)
            .arg("--key")
            .arg(public)
            .arg(digest)
            .output()
            .unwrap();
        assert_ok(&out);
        let statement = statement_of(&bundle);
        assert_eq!(
            statement["subject"][0]["digest"]["sha256"],
            digest.trim_start_matches("sha256:")
        );
        // The SBOMs inside, about the image, pass the peer validators.
        let predicate_file = tmp.path().join("predicate.json");
        fs::write(&predicate_file, statement["predicate"].to_string()).unwrap();
        if a["predicateType"] == CYCLONEDX {
            let out = oracle_script("sbom_validate.py")
                .arg(&predicate_file)
                .output()
                .unwrap();
            assert_ok(&out);
            assert_eq!(
                statement["predicate"]["metadata"]["component"]["type"],
                "container"
            );
        }
        if a["predicateType"] == SPDX {
            let out = venv_bin("pyspdxtools")
                .arg("-i")
                .arg(&predicate_file)
                .output()
                .unwrap();
            assert_ok(&out);
        }
        if a["predicateType"] == PROVENANCE {
            let predicate = &statement["predicate"];
            assert_eq!(
                predicate["buildDefinition"]["buildType"],
                "https://vouch.dev/attest/vendored-inputs/v1"
            );
            let deps = predicate["buildDefinition"]["resolvedDependencies"]
                .as_array()
                .unwrap();
            assert_eq!(deps.len(), 3, "{deps:?}");
            let zlib = deps.iter().find(|d| d["name"] == "zlib").unwrap();
            assert_eq!(zlib["annotations"]["match"], "match");
            assert_eq!(zlib["annotations"]["critical"], true);
            assert_eq!(
                zlib["annotations"]["patches"][0],
                "third_party/patches/zlib-inflate-window.patch"
            );
            assert_eq!(zlib["annotations"]["license"], "Zlib");
            assert_eq!(
                zlib["digest"]["dirHash"].as_str().map(str::len),
                Some(64),
                "{zlib}"
            );
            let minijson = deps.iter().find(|d| d["name"] == "minijson").unwrap();
            assert!(minijson["annotations"]["criticalReasons"][0]
                .as_str()
                .unwrap()
                .contains("vouch.critical.yaml"));
            let tinyxml = deps.iter().find(|d| d["name"] == "tinyxml2").unwrap();
            // An XML parser: the shipped data-format-parsers rule marks it.
            assert_eq!(tinyxml["annotations"]["critical"], true);
            assert!(tinyxml["annotations"]["criticalReasons"][0]
                .as_str()
                .unwrap()
                .starts_with("data-format-parsers:"));
            assert_eq!(
                tinyxml["digest"]["sha256"],
                "240a5416d1b64ed6939c723cd221dc28c9f21b7db9eeb8f5a1fdd2128a1de1fb"
            );
            let metadata = &predicate["runDetails"]["metadata"];
            assert!(metadata["startedOn"].is_string() && metadata["finishedOn"].is_string());
            assert_eq!(
                predicate["runDetails"]["builder"]["id"],
                "https://vouch.dev/builders/local"
            );
        }
    }

    // Negative control: the attestations do not verify under another key.
    let other = tmp.path().join("other");
    fs::create_dir(&other).unwrap();
    let (_, other_public) = keygen(&other, "ci");
    let a = &tree["attachments"][0];
    let file = tmp.path().join("attestation.json");
    bundle_of_referrer(layout, a["digest"].as_str().unwrap(), &file);
    let out = vouch()
        .args(["verify-bundle", "--bundle"])
        .arg(&file)
        .arg("--key")
        .arg(&other_public)
        .arg(digest)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn attest_into_a_real_registry_in_both_formats() {
    let f = Fixture::new()
        .with_project()
        .with_key("ci")
        .with_registry(Registry::plain())
        .with_registry_image("team/app", "v1");
    let (project, key, digest, image) = (&f.project, f.dir().join("ci.key"), &f.digest, &f.image);

    let out = attest(
        project,
        image,
        &key,
        &["--builder-id", "https://ci.example.com/builders/42"],
    );
    assert_ok(&out);
    let tree_json = tree(image, &[]);
    assert_eq!(tree_json["digest"], digest.as_str());
    assert_eq!(predicate_types(&tree_json), [CYCLONEDX, PROVENANCE]);

    // Legacy cosign .att layers, as cosign attest writes them.
    let out = attest(
        project,
        image,
        &key,
        &["--format", "legacy", "--sbom", "spdx"],
    );
    assert_ok(&out);
    let tree_json = tree(image, &[]);
    let legacy: Vec<&Value> = tree_json["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["format"] == "legacy")
        .collect();
    let mut types: Vec<&str> = legacy
        .iter()
        .map(|a| a["predicateType"].as_str().unwrap())
        .collect();
    types.sort_unstable();
    assert_eq!(types, [PROVENANCE, SPDX]);
}

#[test]
fn a_mismatched_tree_is_refused_and_nothing_is_attached() {
    let f = fixture();
    let (project, key, image) = (&f.project, &f.dir().join("ci.key"), &f.image);
    fs::write(
        project.join("third_party/zlib/inflate.c"),
        "/* changed */\n",
    )
    .unwrap();

    let out = attest(project, image, key, &[]);
    assert_fails_with(&out, "zlib");
    assert!(attachments(&f).is_empty());

    // Recorded, not hidden, when allowed.
    let out = attest(project, image, key, &["--allow-mismatch", "--sbom", "none"]);
    assert_ok(&out);
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("1 mismatched"), "{summary}");
    assert_eq!(predicate_types(&tree(image, &[])), [PROVENANCE]);
}

#[test]
fn dry_run_pushes_nothing() {
    let f = fixture();
    let (project, key, image, layout) = (
        &f.project,
        &f.dir().join("ci.key"),
        &f.image,
        &f.dir().join("layout"),
    );
    let before = fs::read_dir(layout.join("blobs/sha256")).unwrap().count();

    let out = attest(
        project,
        image,
        key,
        &["--dry-run", "--sbom", "cyclonedx,spdx"],
    );
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Would attest"));
    assert_eq!(
        fs::read_dir(layout.join("blobs/sha256")).unwrap().count(),
        before
    );
    assert!(attachments(&f).is_empty());
}

#[test]
fn bad_arguments_are_clear_errors() {
    let f = fixture();
    let (tmp, project, key, layout) = (
        &f.tmp,
        &f.project,
        &f.dir().join("ci.key"),
        &f.dir().join("layout"),
    );

    let missing_tag = format!("oci:{}:nope", layout.display());
    assert_fails_with(&attest(project, &missing_tag, key, &[]), "nope");

    let image = format!("oci:{}:app", layout.display());
    let out = attest(project, &image, &tmp.path().join("ci.pub"), &[]);
    assert_fails_with(&out, "ci.pub");

    let rules = tmp.path().join("rules.yaml");
    fs::write(&rules, "apiVersion: vouch.dev/v1alpha1\nkind: CriticalityRules\nrules:\n  - name: x\n    reason: y\n    names: ['[oops']\n").unwrap();
    let out = attest(
        project,
        &image,
        key,
        &["--critical-rules", rules.to_str().unwrap()],
    );
    assert_fails_with(&out, "rules.yaml");
    assert!(String::from_utf8_lossy(&out.stderr).contains("[oops"));
    assert!(attachments(&f).is_empty());
}

#[test]
fn attest_links_with_vouch_layout_pass_in_toto_verify_until_a_vendored_file_changes() {
    let f = fixture();
    let (tmp, project, key, public, image) = (
        &f.tmp,
        &f.project,
        &f.dir().join("ci.key"),
        &f.dir().join("ci.pub"),
        &f.image,
    );
    let owner_dir = tmp.path().join("owner");
    fs::create_dir(&owner_dir).unwrap();
    let (owner_key, owner_public) = keygen(&owner_dir, "ci");
    let links = tmp.path().join("links");

    let out = attest(project, image, key, &["--links", links.to_str().unwrap()]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 link files in"));
    let mut names: Vec<String> = fs::read_dir(&links)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names
        .iter()
        .all(|n| n.starts_with("vendor-") && n.ends_with(".link")));

    let root_layout = tmp.path().join("root.layout");
    let out = vouch()
        .args(["layout", "--key"])
        .arg(&owner_key)
        .arg("--functionary")
        .arg(public)
        .arg("-o")
        .arg(&root_layout)
        .arg(project)
        .output()
        .unwrap();
    assert_ok(&out);

    let verify = || {
        venv_bin("in-toto-verify")
            .current_dir(project)
            .arg("--layout")
            .arg(&root_layout)
            .arg("--verification-keys")
            .arg(&owner_public)
            .arg("--link-dir")
            .arg(&links)
            .output()
            .unwrap()
    };
    assert_ok(&verify());

    let file = project.join("third_party/zlib/inflate.c");
    let mut bytes = fs::read(&file).unwrap();
    bytes[3] ^= 1;
    fs::write(&file, bytes).unwrap();
    let out = verify();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("third_party/zlib/inflate.c"), "{text}");
}

#[test]
fn regression_issue_9_attest_links_sign_no_file_outside_the_project() {
    // A Go module whose vendored directory is a symlink to a directory
    // outside the project: before, it was hashed as a `match` and its
    // files' names and digests were signed into a link and the provenance.
    let f = fixture();
    let (tmp, project, key, image) = (&f.tmp, &f.project, &f.dir().join("ci.key"), &f.image);
    let outside = tmp.path().join("outside/evil");
    fs::create_dir_all(&outside).unwrap();
    let secret = b"outside-secret-9d2e";
    fs::write(outside.join("stolen.key"), secret).unwrap();
    let secret_sha = vouch_evidence::digest::sha256(secret).hex();
    fs::write(
        project.join("go.mod"),
        "module example.com/app\n\ngo 1.21\n\nrequire example.com/evil v1.0.0\n",
    )
    .unwrap();
    fs::write(
        project.join("go.sum"),
        "example.com/evil v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    )
    .unwrap();
    fs::create_dir_all(project.join("vendor/example.com")).unwrap();
    fs::write(
        project.join("vendor/modules.txt"),
        "# example.com/evil v1.0.0\n## explicit\nexample.com/evil\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, project.join("vendor/example.com/evil")).unwrap();
    let links = tmp.path().join("links");
    let links_arg = links.to_str().unwrap();

    // Refused as a mismatch naming the path; nothing attached or written.
    let out = attest(project, image, key, &["--links", links_arg]);
    assert_fails_with(
        &out,
        "refusing vendor/example.com/evil: resolves outside the project",
    );
    assert!(attachments(&f).is_empty());
    assert!(!links.exists());

    // Recorded when allowed: but no link and no provenance names or hashes
    // the outside file.
    let out = attest(
        project,
        image,
        key,
        &["--links", links_arg, "--allow-mismatch"],
    );
    assert_ok(&out);
    let mut signed = String::new();
    for entry in fs::read_dir(&links).unwrap() {
        let envelope: Value =
            serde_json::from_slice(&fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let payload = base64::engine::general_purpose::STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap();
        signed.push_str(&String::from_utf8(payload).unwrap());
    }
    assert!(!signed.is_empty());
    for a in attachments(&f) {
        let file = tmp.path().join("bundle.json");
        let bundle = bundle_of_referrer(
            &f.dir().join("layout"),
            a["digest"].as_str().unwrap(),
            &file,
        );
        signed.push_str(&statement_of(&bundle).to_string());
    }
    assert!(
        signed.contains("vendor/example.com/evil"),
        "the mismatch is recorded"
    );
    for leaked in ["stolen.key", secret_sha.as_str()] {
        assert!(!signed.contains(leaked), "{leaked} was signed");
    }
}
