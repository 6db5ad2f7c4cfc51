//! `vouch diff` between two attested builds of the demo project
//! (testdata/projects/demo-service), each on its own `oci:` layout image:
//! v1 as shipped, v2 with `minijson` bumped to 0.5.0 and `zlib` silently
//! re-hashed (other bytes, declaration updated to match, version 1.3.1
//! unchanged, so `vouch attest` accepts it). Both are attested by `ci`
//! and compared under a copy of testdata/policies/demo-vulns.yaml, with
//! the real OSV records of testdata/osv and the security team's VEX.
//! Then a Bundler project's builds, compared in RubyGems' order.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::registry::layout_image;
use common::{
    assert_fails_with, assert_ok, copy_tree, edit, inputs_json, s, stdout, vex_create, vouch_in,
    Fixture, NOT_AFFECTED,
};
use serde_json::{json, Value};

/// v2's minijson: a GitHub purl, so that OSV records with GIT ranges on
/// that (made-up) repository can match it.
const MINIJSON_V2_PURL: &str = "pkg:github/vouch-test/minijson@0.5.0";

/// A MADE-UP TEST RECORD, not a real advisory: the osv.dev shape of a
/// record with only a GIT range (as in testdata/osv/CVE-2024-50614.json),
/// on minijson's made-up repository, listing tag 0.5.0 as affected.
const MADE_UP_MINIJSON_RECORD: &str = r#"{
  "schema_version": "1.7.3",
  "id": "VOUCH-TEST-2025-0001",
  "published": "2025-01-01T00:00:00Z",
  "modified": "2025-01-01T00:00:00Z",
  "summary": "MADE-UP TEST RECORD: minijson 0.5.0 overflows its stack on deeply nested arrays",
  "details": "Not a real advisory: written for vouch's diff tests.",
  "affected": [
    {
      "ranges": [
        {
          "type": "GIT",
          "repo": "https://github.com/vouch-test/minijson",
          "events": [{"introduced": "0"}]
        }
      ],
      "versions": ["0.5.0"]
    }
  ],
  "severity": [
    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}
  ]
}
"#;

/// Appends `line` to the file at `path`.
fn append(path: &Path, line: &str) {
    let mut text = fs::read_to_string(path).unwrap();
    text.push_str(line);
    fs::write(path, text).unwrap();
}

/// The `declared` and `observed` digests of input `name` as `vouch inputs`
/// reports them for the project at `dir`.
fn digests(dir: &Path, name: &str) -> (String, String) {
    let inputs = inputs_json(dir);
    let input = inputs
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no input {name}: {inputs:?}"));
    (
        input["declared"].as_str().unwrap().to_string(),
        input["observed"].as_str().unwrap().to_string(),
    )
}

/// The working directory: the demo project (`demo-service`, v1) and its
/// edited copy (`demo-service-v2`), each attested by `ci.key` onto a
/// fresh image of its own layout (`oci:v1:app`, `oci:v2:app`), the
/// `security` key pair, demo-vulns.yaml as `policy.yaml` and the real OSV
/// records as `osv/` beside it.
struct Builds {
    f: Fixture,
    v1_digest: String,
    v2_digest: String,
    /// zlib's observed dirHash in v1, `dirHash:<hex>`.
    zlib_v1: String,
    /// zlib's in v2.
    zlib_v2: String,
}

/// The working directory with v1 attested and nothing else built yet.
fn v1_only() -> Fixture {
    Fixture::demo()
        .with_vulns()
        .with_layout_image("v1", "app")
        .attested()
}

impl Builds {
    fn new() -> Builds {
        let f = v1_only();
        let v1_digest = f.digest.clone();
        let v2 = f.dir().join("demo-service-v2");
        copy_tree(&f.project, &v2);
        let (minijson_declared, _) = digests(&v2, "minijson");
        let (zlib_declared, zlib_v1) = digests(&v2, "zlib");
        assert_eq!(zlib_declared, zlib_v1, "v1 matches its declaration");

        // New bytes in both inputs.
        append(
            &v2.join("third_party/minijson/src/minijson.c"),
            "/* minijson 0.5.0: nested arrays are parsed iteratively */\n",
        );
        append(
            &v2.join("third_party/zlib/README"),
            "Re-vendored from another tarball of 1.3.1.\n",
        );
        let (_, minijson_v2) = digests(&v2, "minijson");
        let (_, zlib_v2) = digests(&v2, "zlib");
        assert_ne!(zlib_v2, zlib_v1);
        assert_ne!(minijson_v2, minijson_declared);
        let layout = layout_image(&f.dir().join("v2"), "app");
        let attest_v2 = || {
            vouch_in(
                f.dir(),
                &[
                    "attest",
                    "demo-service-v2",
                    "--image",
                    "oci:v2:app",
                    "--key",
                    "ci.key",
                ],
            )
        };
        // Control: undeclared, the new bytes are refused.
        assert_fails_with(&attest_v2(), "zlib 1.3.1 (generic): path third_party/zlib");

        // The bump, declared: version, origin, purl and tree hash.
        let declaration = v2.join("vouch.inputs.yaml");
        edit(&declaration, "version: 0.4.2", "version: 0.5.0");
        edit(
            &declaration,
            "uri: https://example.com/minijson/archive/v0.4.2.tar.gz",
            "uri: https://github.com/vouch-test/minijson/archive/v0.5.0.tar.gz",
        );
        edit(
            &declaration,
            "purl: pkg:generic/minijson@0.4.2",
            &format!("purl: {MINIJSON_V2_PURL}"),
        );
        let hex = |d: &str| d.strip_prefix("dirHash:").unwrap().to_string();
        edit(&declaration, &hex(&minijson_declared), &hex(&minijson_v2));
        // The silent re-hash: same version, the declared hash follows the
        // bytes.
        edit(&declaration, &hex(&zlib_declared), &hex(&zlib_v2));
        assert_ok(&attest_v2());
        assert_ne!(layout, v1_digest);
        Builds {
            f,
            v1_digest,
            v2_digest: layout,
            zlib_v1,
            zlib_v2,
        }
    }

    fn dir(&self) -> &Path {
        self.f.dir()
    }

    /// `vouch diff OLD NEW --policy policy.yaml EXTRA...`.
    fn diff(&self, old: &str, new: &str, extra: &[&str]) -> Output {
        let mut args = vec!["diff", old, new, "--policy", "policy.yaml"];
        args.extend_from_slice(extra);
        vouch_in(self.dir(), &args)
    }

    /// [`Builds::diff`] with `--output json`, parsed.
    fn diff_json(&self, old: &str, new: &str, extra: &[&str]) -> Value {
        let mut args = vec!["--output", "json"];
        args.extend_from_slice(extra);
        let out = self.diff(old, new, &args);
        assert_ok(&out);
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// Asserts that the lists `keys` of a diff are empty.
fn assert_empty(d: &Value, keys: &[&str]) {
    for key in keys {
        assert_eq!(d[*key], json!([]), "{key}: {d}");
    }
}

const ALL: [&str; 8] = [
    "added",
    "removed",
    "changed",
    "rehashed",
    "critical",
    "fixed",
    "introduced",
    "staleVex",
];

#[test]
fn a_bumped_and_a_silently_rehashed_input_are_reported_in_json_table_and_markdown() {
    let b = Builds::new();
    let d = b.diff_json("oci:v1:app", "oci:v2:app", &[]);
    assert_eq!(d["old"], format!("oci:v1:app@{}", b.v1_digest), "{d}");
    assert_eq!(d["new"], format!("oci:v2:app@{}", b.v2_digest), "{d}");

    // zlib: same version, other bytes.
    let rehashed = d["rehashed"].as_array().unwrap();
    assert_eq!(rehashed.len(), 1, "{d}");
    let zlib = &rehashed[0];
    for side in ["old", "new"] {
        assert_eq!(zlib[side]["name"], "zlib", "{zlib}");
        assert_eq!(zlib[side]["version"], "1.3.1", "{zlib}");
        assert_eq!(zlib[side]["critical"], true, "{zlib}");
    }
    assert_eq!(zlib["old"]["digests"], json!([b.zlib_v1]), "{zlib}");
    assert_eq!(zlib["new"]["digests"], json!([b.zlib_v2]), "{zlib}");

    // minijson: a minor bump, with its new origin.
    let changed = d["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{d}");
    let minijson = &changed[0];
    assert_eq!(minijson["old"]["name"], "minijson", "{minijson}");
    assert_eq!(minijson["new"]["name"], "minijson", "{minijson}");
    assert_eq!(minijson["old"]["version"], "0.4.2", "{minijson}");
    assert_eq!(minijson["new"]["version"], "0.5.0", "{minijson}");
    assert_eq!(minijson["old"]["purl"], "pkg:generic/minijson@0.4.2");
    assert_eq!(minijson["new"]["purl"], MINIJSON_V2_PURL);
    assert_eq!(minijson["bump"], "minor", "{minijson}");

    // tinyxml2 is unchanged, both images have its two CVEs unanswered,
    // and the real records know nothing of minijson 0.5.0.
    assert_empty(
        &d,
        &[
            "added",
            "removed",
            "critical",
            "fixed",
            "introduced",
            "staleVex",
        ],
    );

    // The table: the re-hash comes first, loudly, then the bump.
    let table = b.diff("oci:v1:app", "oci:v2:app", &[]);
    assert_ok(&table);
    let text = stdout(&table);
    let loud = text
        .find("DIGEST CHANGED, VERSION UNCHANGED (1)")
        .unwrap_or_else(|| panic!("{text}"));
    let bumps = text
        .find("Version changes (1)")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(loud < bumps, "{text}");
    assert!(
        text.contains(&format!(
            "WARNING zlib (1.3.1): {} -> {} [critical]",
            b.zlib_v1, b.zlib_v2
        )),
        "{text}"
    );
    assert!(
        text.contains("minijson (generic): 0.4.2 -> 0.5.0 [minor] [critical]"),
        "{text}"
    );
    assert!(!text.contains("No changes"), "{text}");

    // Markdown, for a pull-request comment.
    let markdown = b.diff("oci:v1:app", "oci:v2:app", &["--output", "markdown"]);
    assert_ok(&markdown);
    let md = stdout(&markdown);
    assert!(md.starts_with("## vouch diff\n"), "{md}");
    assert!(
        md.contains("\n### DIGEST CHANGED, VERSION UNCHANGED (1)\n"),
        "{md}"
    );
    assert!(md.contains("\n### Version changes (1)\n"), "{md}");
    assert!(md.contains("- **warning** `zlib` (`1.3.1`): "), "{md}");

    // The other way round, the bump is a downgrade.
    let back = b.diff_json("oci:v2:app", "oci:v1:app", &[]);
    assert_eq!(back["changed"][0]["bump"], "downgrade", "{back}");
    assert_eq!(back["changed"][0]["new"]["version"], "0.4.2", "{back}");

    // Control: v1 against itself.
    let same = b.diff_json("oci:v1:app", "oci:v1:app", &[]);
    assert_empty(&same, &ALL);
    let same = b.diff("oci:v1:app", "oci:v1:app", &[]);
    assert_ok(&same);
    let text = stdout(&same);
    assert!(
        text.contains("No changes in inputs, critical set, vulnerabilities or VEX."),
        "{text}"
    );
    assert!(!text.contains("DIGEST CHANGED"), "{text}");
}

/// The osv/ records plus [`MADE_UP_MINIJSON_RECORD`], in `extra-osv/`.
fn osv_with_made_up_record(dir: &Path) -> PathBuf {
    let extra = dir.join("extra-osv");
    copy_tree(&dir.join("osv"), &extra);
    fs::write(
        extra.join("VOUCH-TEST-2025-0001.json"),
        MADE_UP_MINIJSON_RECORD,
    )
    .unwrap();
    extra
}

#[test]
fn an_answer_for_the_old_image_is_stale_on_the_new_and_a_record_for_the_bump_is_introduced() {
    let b = Builds::new();
    // The security team answers CVE-2024-50615, for v1 only.
    assert_ok(&vex_create(
        b.dir(),
        "oci:v1:app",
        &["CVE-2024-50615"],
        "v1.vex.json",
        &NOT_AFFECTED,
    ));
    assert_ok(&vouch_in(
        b.dir(),
        &[
            "vex",
            "attach",
            "oci:v1:app",
            "v1.vex.json",
            "--key",
            "security.key",
        ],
    ));

    let d = b.diff_json("oci:v1:app", "oci:v2:app", &[]);
    let stale = d["staleVex"].as_array().unwrap();
    assert_eq!(stale.len(), 1, "only the answered CVE: {d}");
    let s = &stale[0];
    assert_eq!(s["finding"]["id"], "CVE-2024-50615", "{s}");
    assert_eq!(s["finding"]["input"]["name"], "tinyxml2", "{s}");
    assert_eq!(s["finding"]["answer"]["status"], "not_affected", "{s}");
    assert!(
        s["finding"]["answer"]["by"]
            .as_str()
            .unwrap()
            .starts_with("security: key "),
        "{s}"
    );
    let why = s["why"].as_str().unwrap();
    assert!(
        why.contains("NEW still has CVE-2024-50615 in tinyxml2 10.0.0")
            && why.contains("no trusted answer"),
        "{why}"
    );
    let table = b.diff("oci:v1:app", "oci:v2:app", &[]);
    assert_ok(&table);
    let text = stdout(&table);
    assert!(
        text.contains("VEX answers that no longer apply (1)\n  CVE-2024-50615: NEW still has"),
        "{text}"
    );
    // Control: against itself, v1's answer still applies.
    assert_empty(&b.diff_json("oci:v1:app", "oci:v1:app", &[]), &ALL);

    // --osv with one more record, affecting minijson 0.5.0 only.
    let extra = osv_with_made_up_record(b.dir());
    let extra = extra.to_str().unwrap();
    let d = b.diff_json("oci:v1:app", "oci:v2:app", &["--osv", extra]);
    let introduced = d["introduced"].as_array().unwrap();
    assert_eq!(introduced.len(), 1, "{d}");
    let f = &introduced[0];
    assert_eq!(f["id"], "VOUCH-TEST-2025-0001", "{f}");
    assert_eq!(f["severity"], "high", "{f}");
    assert_eq!(f["input"]["name"], "minijson", "{f}");
    assert_eq!(f["input"]["version"], "0.5.0", "{f}");
    assert_eq!(f["input"]["critical"], true, "{f}");
    assert!(f["answer"].is_null(), "{f}");
    assert_empty(&d, &["fixed"]);
    assert_eq!(d["staleVex"].as_array().unwrap().len(), 1, "{d}");
    let table = b.diff("oci:v1:app", "oci:v2:app", &["--osv", extra]);
    assert_ok(&table);
    let text = stdout(&table);
    assert!(
        text.contains(
            "Vulnerabilities introduced (1)\n  VOUCH-TEST-2025-0001 (high) in minijson 0.5.0, critical"
        ),
        "{text}"
    );
    // Control: the other way round, the same record is fixed, not
    // introduced (v1's minijson has no repository it could match by).
    let back = b.diff_json("oci:v2:app", "oci:v1:app", &["--osv", extra]);
    assert_empty(&back, &["introduced", "staleVex"]);
    assert_eq!(back["fixed"][0]["id"], "VOUCH-TEST-2025-0001", "{back}");
    assert_eq!(back["fixed"].as_array().unwrap().len(), 1, "{back}");
}

#[test]
fn an_image_without_attestations_is_refused_naming_it() {
    let f = v1_only();
    layout_image(&f.dir().join("bare"), "app");
    let out = vouch_in(
        f.dir(),
        &[
            "diff",
            "oci:v1:app",
            "oci:bare:app",
            "--policy",
            "policy.yaml",
        ],
    );
    assert_fails_with(&out, "oci:bare:app");
    assert_fails_with(&out, "no provenance or CycloneDX SBOM of it verifies");
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    // Either side.
    let out = vouch_in(
        f.dir(),
        &[
            "diff",
            "oci:bare:app",
            "oci:v1:app",
            "--policy",
            "policy.yaml",
        ],
    );
    assert_fails_with(&out, "no verified inputs in oci:bare:app");
    // Control: the attested image against itself is fine.
    let out = vouch_in(
        f.dir(),
        &[
            "diff",
            "oci:v1:app",
            "oci:v1:app",
            "--policy",
            "policy.yaml",
        ],
    );
    assert_ok(&out);
}

/// A Gemfile.lock pinning `rack` at `version`, as Bundler 2.5 writes one.
fn rack_lockfile(version: &str) -> String {
    format!(
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack ({version})\n\n\
         PLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n\nBUNDLED WITH\n   2.5.3\n"
    )
}

/// Gems flow through `attest`, `verify` and `diff` like any input, and
/// the diff weighs their versions in RubyGems' order: three builds of a
/// Bundler project, each attested onto its own layout image, with the
/// real rack advisory GHSA-22f2-v57c-j9cx (fixed in 2.2.8.1) as the OSV
/// records. A move to a pre-release of the same release, which no numeric
/// reading orders, is a downgrade.
#[test]
fn gems_are_diffed_in_rubygems_order_with_their_advisories_issue_18() {
    let f = Fixture::new().with_key("ci").with_vulns();
    let osv = f.dir().join("osv");
    fs::remove_dir_all(&osv).unwrap();
    copy_tree(&common::root().join("testdata/osv-rubygems"), &osv);
    for (build, rack) in [("v1", "2.2.9"), ("v2", "2.2.8"), ("v3", "2.2.9.rc1")] {
        let project = f.dir().join(format!("project-{build}"));
        fs::create_dir(&project).unwrap();
        fs::write(project.join("Gemfile.lock"), rack_lockfile(rack)).unwrap();
        layout_image(&f.dir().join(build), "app");
        let image = format!("oci:{build}:app");
        let out = vouch_in(
            f.dir(),
            &["attest", s(&project), "--image", &image, "--key", "ci.key"],
        );
        assert_ok(&out);
    }
    let diff = |old: &str, new: &str| -> Value {
        let out = vouch_in(
            f.dir(),
            &[
                "diff",
                old,
                new,
                "--policy",
                "policy.yaml",
                "--output",
                "json",
            ],
        );
        assert_ok(&out);
        serde_json::from_slice(&out.stdout).unwrap()
    };

    // 2.2.9 -> 2.2.8: a downgrade into the advisory's range.
    let d = diff("oci:v1:app", "oci:v2:app");
    let changed = d["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{d}");
    assert_eq!(changed[0]["old"]["ecosystem"], "gem", "{d}");
    assert_eq!(changed[0]["new"]["version"], "2.2.8", "{d}");
    assert_eq!(changed[0]["new"]["purl"], "pkg:gem/rack@2.2.8", "{d}");
    assert_eq!(changed[0]["bump"], "downgrade", "{d}");
    let introduced: Vec<&str> = d["introduced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(introduced, ["GHSA-22f2-v57c-j9cx"], "{d}");
    // And back: an upgrade out of it.
    let back = diff("oci:v2:app", "oci:v1:app");
    assert_eq!(back["changed"][0]["bump"], "patch", "{back}");
    assert_eq!(back["fixed"].as_array().unwrap().len(), 1, "{back}");

    // 2.2.9 -> 2.2.9.rc1: the same release, then a pre-release of it;
    // RubyGems orders the pre-release first, so it is a downgrade, not
    // "other" (and 2.2.9.rc1 is above 2.2.8.1: no finding).
    let d = diff("oci:v1:app", "oci:v3:app");
    assert_eq!(d["changed"][0]["new"]["version"], "2.2.9.rc1", "{d}");
    assert_eq!(d["changed"][0]["bump"], "downgrade", "{d}");
    assert_empty(&d, &["introduced", "fixed", "added", "removed"]);
}
