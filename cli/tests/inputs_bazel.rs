//! `vouch inputs` on a Bazel project (testdata/projects/bazel-sample): an
//! Envoy-style `repository_locations.bzl` and two `http_archive` calls in
//! WORKSPACE, against the archives of a distdir named in `.bazelrc`. The
//! expected digests are computed here from the archive bytes, independently
//! of vouch.

use crate::common;

use std::fs;
use std::path::Path;

use base64::Engine;
use common::{
    assert_fails_with, assert_ok, by_name, inputs_json, mismatched, root, run_vouch, tempdir,
};
use serde_json::Value;
use vouch_evidence::digest::sha256;

const LOCATIONS: &str = "bazel/repository_locations.bzl";

/// Copies the fixture into `to`.
fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A fresh copy of the fixture project.
fn project() -> tempfile::TempDir {
    let dir = tempdir();
    copy(&root().join("testdata/projects/bazel-sample"), dir.path());
    dir
}

/// The SHA-256 (hex) of a file of the project.
fn file_sha256(d: &Path, path: &str) -> String {
    sha256(&fs::read(d.join(path)).unwrap()).hex()
}

/// name, version, archive in distdir (`None`: absent), categories, licence.
type Expected = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    Option<&'static str>,
);

const CORE: &[&str] = &["controlplane", "dataplane_core"];
const CORE_REVERSED: &[&str] = &["dataplane_core", "controlplane"];

const EXPECTED: [Expected; 12] = [
    (
        "boringssl",
        "0.20250514.0",
        Some("0.20250514.0.tar.gz"),
        CORE,
        Some("Apache-2.0"),
    ),
    (
        "com_github_c_ares_c_ares",
        "1.34.5",
        Some("c-ares-1.34.5.tar.gz"),
        CORE_REVERSED,
        Some("MIT"),
    ),
    (
        "com_github_google_re2",
        "2024-07-02",
        Some("2024-07-02.tar.gz"),
        CORE,
        Some("BSD-3-Clause"),
    ),
    (
        "com_github_libevent_libevent",
        "2.1.12-stable",
        Some("libevent-2.1.12-stable.tar.gz"),
        &["dataplane_core"],
        Some("BSD-3-Clause"),
    ),
    (
        "com_github_nghttp2_nghttp2",
        "1.66.0",
        Some("nghttp2-1.66.0.tar.gz"),
        CORE,
        Some("MIT"),
    ),
    (
        "com_github_openhistogram_libcircllhist",
        "39f9db724a81ba78f5d037f1cae79c5a07107c8e",
        Some("39f9db724a81ba78f5d037f1cae79c5a07107c8e.tar.gz"),
        &["observability_core"],
        Some("Apache-2.0"),
    ),
    (
        "com_github_unicode_org_icu",
        "75.1",
        None,
        &["dataplane_ext"],
        Some("Unicode-3.0"),
    ),
    (
        "com_google_googletest",
        "1.15.2",
        Some("googletest-1.15.2.tar.gz"),
        &["test_only"],
        Some("BSD-3-Clause"),
    ),
    (
        "com_google_protobuf",
        "29.3",
        Some("protobuf-29.3.tar.gz"),
        CORE_REVERSED,
        Some("BSD-3-Clause"),
    ),
    ("org_brotli", "1.1.0", Some("v1.1.0.tar.gz"), &[], None),
    (
        "rules_cc",
        "0.1.1",
        Some("rules_cc-0.1.1.tar.gz"),
        &[],
        None,
    ),
    (
        "zlib",
        "1.3.1",
        Some("zlib-1.3.1.tar.gz"),
        CORE,
        Some("Zlib"),
    ),
];

#[test]
fn every_pin_is_reported_and_the_distdir_archives_match() {
    let dir = project();
    let d = dir.path();
    let inputs = inputs_json(d);
    assert_eq!(inputs.len(), EXPECTED.len(), "{inputs:#?}");
    let locations = fs::read_to_string(d.join(LOCATIONS)).unwrap();
    let workspace = fs::read_to_string(d.join("WORKSPACE")).unwrap();
    for (input, (name, version, archive, categories, license)) in inputs.iter().zip(EXPECTED) {
        assert_eq!(input["name"], name, "{input}");
        assert_eq!(input["ecosystem"], "bazel");
        assert_eq!(input["version"], version, "{input}");
        let got: Vec<&str> = input["categories"]
            .as_array()
            .map(|c| c.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(got, categories, "{input}");
        assert_eq!(input["license"].as_str(), license, "{input}");
        match archive {
            Some(archive) => {
                let path = format!("distdir/{archive}");
                let hex = file_sha256(d, &path);
                assert_eq!(input["match"]["status"], "match", "{input}");
                assert_eq!(input["path"], path.as_str());
                assert_eq!(input["observed"], format!("sha256:{hex}").as_str());
                // The declaration really is that digest (sha256 in the
                // files, or its SRI form for brotli): the match is not an
                // artefact of comparing vouch with itself.
                if name == "org_brotli" {
                    let sri = format!(
                        "sha256-{}",
                        base64::engine::general_purpose::STANDARD
                            .encode(sha256(&fs::read(d.join(&path)).unwrap()).0)
                    );
                    assert_eq!(input["declared"], sri.as_str());
                    assert!(workspace.contains(&sri));
                } else {
                    assert_eq!(input["declared"], format!("sha256:{hex}").as_str());
                    assert!(
                        locations.contains(&hex) || workspace.contains(&hex),
                        "{name}: {hex} is not declared"
                    );
                }
            }
            None => {
                assert_eq!(input["match"]["status"], "not-vendored", "{input}");
                assert_eq!(input["observed"], Value::Null);
                assert_eq!(input["path"], Value::Null);
            }
        }
    }

    let zlib = by_name(&inputs, "zlib");
    assert_eq!(zlib["uri"], "https://zlib.net/zlib-1.3.1.tar.gz");
    assert_eq!(
        zlib["purl"],
        "pkg:generic/zlib@1.3.1?download_url=https://zlib.net/zlib-1.3.1.tar.gz"
    );
    assert_eq!(zlib["cpe"], "cpe:2.3:a:gnu:zlib:*");
    let icu = by_name(&inputs, "com_github_unicode_org_icu");
    assert_eq!(
        icu["uri"],
        "https://github.com/unicode-org/icu/releases/download/release-75-1/icu4c-75_1-src.tgz"
    );
    assert_eq!(icu["purl"], "pkg:github/unicode-org/icu@75.1");
    let re2 = by_name(&inputs, "com_github_google_re2");
    assert_eq!(
        re2["uri"],
        "https://github.com/google/re2/archive/2024-07-02.tar.gz"
    );
    assert_eq!(re2["cpe"], Value::Null, "N/A is no CPE");
    let brotli = by_name(&inputs, "org_brotli");
    assert_eq!(brotli["patches"], serde_json::json!(["bazel/brotli.patch"]));
    assert_eq!(brotli["purl"], "pkg:github/google/brotli@1.1.0");
    // The not-vendored input does not fail the command; nothing mismatches.
    assert_ok(&run_vouch(d, "inputs ."));
}

#[test]
fn one_flipped_byte_makes_exactly_that_archive_a_mismatch() {
    let dir = project();
    let d = dir.path();
    let path = "distdir/nghttp2-1.66.0.tar.gz";
    let declared = file_sha256(d, path);
    let mut bytes = fs::read(d.join(path)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    fs::write(d.join(path), &bytes).unwrap();
    let observed = sha256(&bytes).hex();

    let inputs = inputs_json(d);
    let flagged = mismatched(&inputs);
    assert_eq!(flagged.len(), 1, "{inputs:#?}");
    let nghttp2 = flagged[0];
    assert_eq!(nghttp2["name"], "com_github_nghttp2_nghttp2");
    assert_eq!(nghttp2["observed"], format!("sha256:{observed}").as_str());
    let reason = nghttp2["match"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "archive {path} has sha256 {observed}, {LOCATIONS}:"
        )) && reason.ends_with(&format!("declares sha256:{declared}")),
        "{reason}"
    );
    // The others still match (negative control: the flip is what differs).
    let matching = inputs
        .iter()
        .filter(|i| i["match"]["status"] == "match")
        .count();
    assert_eq!(matching, EXPECTED.len() - 2);
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        &format!("com_github_nghttp2_nghttp2 1.66.0 (bazel): archive {path} has sha256 {observed}"),
    );
}

#[test]
fn a_wrong_sha256_in_the_bzl_is_a_mismatch() {
    let dir = project();
    let d = dir.path();
    let real = file_sha256(d, "distdir/zlib-1.3.1.tar.gz");
    let last = if real.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &real[..63]);
    assert_ne!(real, wrong);
    let locations = fs::read_to_string(d.join(LOCATIONS)).unwrap();
    assert_eq!(locations.matches(&real).count(), 1);
    fs::write(d.join(LOCATIONS), locations.replace(&real, &wrong)).unwrap();

    let inputs = inputs_json(d);
    let zlib = by_name(&inputs, "zlib");
    assert_eq!(zlib["declared"], format!("sha256:{wrong}").as_str());
    assert_eq!(zlib["observed"], format!("sha256:{real}").as_str());
    let reason = zlib["match"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("archive distdir/zlib-1.3.1.tar.gz has sha256")
            && reason.contains(&format!("declares sha256:{wrong}")),
        "{reason}"
    );
    let others_ok = inputs
        .iter()
        .filter(|i| i["name"] != "zlib")
        .all(|i| i["match"]["status"] != "mismatch");
    assert!(others_ok, "{inputs:#?}");
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        "zlib 1.3.1 (bazel): archive distdir/zlib-1.3.1.tar.gz",
    );
}

#[test]
fn a_syntax_error_names_the_file_and_line() {
    let dir = project();
    let d = dir.path();
    let locations = fs::read_to_string(d.join(LOCATIONS)).unwrap();
    // Drop the closing quote of the first `version` value.
    let broken = locations.replacen("version = \"1.3.1\",", "version = \"1.3.1,", 1);
    assert_ne!(broken, locations);
    let line = broken
        .lines()
        .position(|l| l.contains("version = \"1.3.1,"))
        .unwrap()
        + 1;
    fs::write(d.join(LOCATIONS), broken).unwrap();
    let out = run_vouch(d, "inputs . --output json --allow-mismatch");
    assert_fails_with(&out, "invalid Starlark in");
    assert_fails_with(
        &out,
        &format!("{LOCATIONS}: line {line}: unterminated string"),
    );
}
