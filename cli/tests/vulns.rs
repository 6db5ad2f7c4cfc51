//! `vouch vulns`, `vouch vex` and the vulnerability gate of `vouch verify`,
//! on real trees: a `cargo vendor` tree, an `npm install`, pip wheels
//! downloaded from PyPI, and the demo image attested by `vouch attest`,
//! matched against the real OSV records of testdata/osv and answered (or
//! not) by signed OpenVEX documents.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::registry::layout_image;
use common::{
    assert_fails_with, assert_ok, copy_tree, inputs_json, npm_install, pip_download, root, stderr,
    tempdir, venv_bin, vouch, vouch_in, Fixture, NOT_AFFECTED,
};
use serde_json::Value;

/// The real OSV records (testdata/osv/SOURCE.md).
fn osv() -> PathBuf {
    root().join("testdata/osv")
}

/// Asserts a clean configuration error: exit 2 (not "denied"), a
/// `vouch: error:` line naming each of `needles`, and no panic.
fn assert_misconfigured(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(err.contains("vouch: error:"), "stderr: {err}");
    for needle in needles {
        assert!(err.contains(needle), "expected {needle:?} in: {err}");
    }
}

/// `vouch vulns DIR --osv testdata/osv --output json`: its findings.
fn dir_findings(dir: &Path) -> Vec<Value> {
    let out = vouch_in(
        dir,
        &[
            "vulns",
            ".",
            "--osv",
            osv().to_str().unwrap(),
            "--output",
            "json",
        ],
    );
    assert_ok(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["target"], ".", "{json}");
    json["findings"].as_array().unwrap().clone()
}

/// `(id, input name, input version)` of each finding, sorted.
fn summary(findings: &[Value]) -> Vec<(String, String, String)> {
    let mut all: Vec<(String, String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["input"]["name"].as_str().unwrap().to_string(),
                f["input"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

fn triple(id: &str, name: &str, version: &str) -> (String, String, String) {
    (id.into(), name.into(), version.into())
}

/// The one finding with record `id`.
fn finding<'a>(findings: &'a [Value], id: &str) -> &'a Value {
    let found: Vec<&Value> = findings.iter().filter(|f| f["id"] == id).collect();
    assert_eq!(found.len(), 1, "{id}: {findings:?}");
    found[0]
}

/// Asserts that a finding from a directory scan is unanswered and has no
/// VEX at all (a directory has none).
fn assert_unanswered(f: &Value) {
    assert!(f["answer"].is_null(), "{f}");
    assert_eq!(f["ignoredVex"], serde_json::json!([]), "{f}");
}

// ---------------------------------------------------------------- cargo

/// A tiny Cargo project depending on `smallvec` `=<smallvec>` and
/// `regex =1.5.4`, locked and vendored by the real cargo as
/// inputs_cargo.rs does (Cargo.lock, `vendor/`, `.cargo/config.toml`).
/// Any earlier lock and vendor tree are replaced.
fn vendored_cargo_project(dir: &Path, smallvec: &str) {
    for stale in ["vendor", ".cargo"] {
        if dir.join(stale).exists() {
            fs::remove_dir_all(dir.join(stale)).unwrap();
        }
    }
    if dir.join("Cargo.lock").exists() {
        fs::remove_file(dir.join("Cargo.lock")).unwrap();
    }
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"vouch-vulns-test\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nsmallvec = \"={smallvec}\"\nregex = \"=1.5.4\"\n\n\
             # Its own workspace, whatever directory it is in.\n[workspace]\n"
        ),
    )
    .unwrap();
    fs::write(
        dir.join("src/lib.rs"),
        "//! Uses both.\npub use regex::Regex;\npub use smallvec::SmallVec;\n",
    )
    .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for args in [
        &["generate-lockfile", "--quiet"][..],
        &["vendor", "--locked", "--quiet", "vendor"][..],
    ] {
        let out = Command::new(&cargo)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert_ok(&out);
    }
    fs::create_dir_all(dir.join(".cargo")).unwrap();
    fs::write(
        dir.join(".cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n",
    )
    .unwrap();
}

#[test]
fn a_real_cargo_vendor_tree_has_the_smallvec_and_regex_advisories_until_smallvec_is_bumped() {
    let dir = tempdir();
    let d = dir.path();
    vendored_cargo_project(d, "1.6.0");
    // What was vendored, as `vouch inputs` sees it: every crate matches
    // its lock, regex's own dependencies included.
    let inputs = inputs_json(d);
    let mut names: Vec<&str> = inputs.iter().map(|i| i["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "aho-corasick",
            "memchr",
            "regex",
            "regex-syntax",
            "smallvec"
        ],
        "{inputs:?}"
    );
    assert!(
        inputs.iter().all(|i| i["match"]["status"] == "match"),
        "{inputs:?}"
    );

    let findings = dir_findings(d);
    assert_eq!(
        summary(&findings),
        [
            triple("GHSA-m5pq-gvj9-9vr8", "regex", "1.5.4"),
            triple("RUSTSEC-2021-0003", "smallvec", "1.6.0"),
        ]
    );
    // RustSec's record has two introduced/fixed pairs (0.6.3..0.6.14 and
    // 1.0.0..1.6.1): the fix listed is the one of the range 1.6.0 is in.
    let smallvec = finding(&findings, "RUSTSEC-2021-0003");
    assert_eq!(
        smallvec["fixed"],
        serde_json::json!(["1.6.1"]),
        "{smallvec}"
    );
    assert_eq!(
        smallvec["aliases"],
        serde_json::json!(["CVE-2021-25900", "GHSA-43w2-9j62-hq99"])
    );
    assert_eq!(smallvec["severity"], "critical", "CVSS 9.8: {smallvec}");
    assert_eq!(smallvec["score"], 9.8);
    assert_eq!(smallvec["input"]["purl"], "pkg:cargo/smallvec@1.6.0");
    assert_eq!(smallvec["input"]["ecosystem"], "cargo");
    assert_unanswered(smallvec);
    // GitHub's record of the regex ReDoS, in its own format.
    let regex = finding(&findings, "GHSA-m5pq-gvj9-9vr8");
    assert_eq!(regex["fixed"], serde_json::json!(["1.5.5"]), "{regex}");
    assert_eq!(regex["aliases"], serde_json::json!(["CVE-2022-24713"]));
    assert_eq!(regex["severity"], "high", "{regex}");
    assert_eq!(regex["input"]["purl"], "pkg:cargo/regex@1.5.4");
    assert_unanswered(regex);
    // A directory has no gate: findings are listed, never acted on.
    assert!(findings.iter().all(|f| f["action"] == "ignore"));

    // The table says the same.
    let table = vouch_in(d, &["vulns", ".", "--osv", osv().to_str().unwrap()]);
    assert_ok(&table);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("RUSTSEC-2021-0003"), "{text}");
    assert!(text.contains("GHSA-m5pq-gvj9-9vr8"), "{text}");
    assert!(
        text.contains("2 finding(s): 0 answered by trusted VEX, 2 unanswered"),
        "{text}"
    );

    // Control: smallvec 1.6.1, the fixed version, re-vendored: its finding
    // is gone, regex's stays.
    vendored_cargo_project(d, "1.6.1");
    let bumped = inputs_json(d);
    assert!(
        bumped
            .iter()
            .any(|i| i["name"] == "smallvec" && i["version"] == "1.6.1"),
        "{bumped:?}"
    );
    assert_eq!(
        summary(&dir_findings(d)),
        [triple("GHSA-m5pq-gvj9-9vr8", "regex", "1.5.4")]
    );
}

// ------------------------------------------------------------------ npm

#[test]
fn a_real_npm_install_has_the_debug_and_minimist_advisories_and_ms_2_0_0_is_past_its_fix() {
    let dir = tempdir();
    let d = dir.path();
    // debug 2.6.8 depends on ms 2.0.0.
    npm_install(
        d,
        r#"{
  "name": "vouch-vulns-npm-test",
  "version": "1.0.0",
  "private": true,
  "dependencies": {"debug": "2.6.8", "minimist": "1.2.5", "left-pad": "1.3.0"}
}
"#,
    );
    let inputs = inputs_json(d);
    let mut installed: Vec<(&str, &str)> = inputs
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["version"].as_str().unwrap()))
        .collect();
    installed.sort();
    assert_eq!(
        installed,
        [
            ("debug", "2.6.8"),
            ("left-pad", "1.3.0"),
            ("minimist", "1.2.5"),
            ("ms", "2.0.0")
        ]
    );

    let findings = dir_findings(d);
    assert_eq!(
        summary(&findings),
        [
            triple("GHSA-gxpj-cx7g-858c", "debug", "2.6.8"),
            triple("GHSA-xvch-5gv4-984h", "minimist", "1.2.5"),
        ]
    );
    let debug = finding(&findings, "GHSA-gxpj-cx7g-858c");
    assert_eq!(debug["fixed"], serde_json::json!(["2.6.9"]), "{debug}");
    assert_eq!(debug["input"]["purl"], "pkg:npm/debug@2.6.8");
    assert_unanswered(debug);
    // minimist's record has ranges 1.0.0..1.2.6 and 0..0.2.4.
    let minimist = finding(&findings, "GHSA-xvch-5gv4-984h");
    assert_eq!(
        minimist["fixed"],
        serde_json::json!(["1.2.6"]),
        "{minimist}"
    );
    assert_eq!(minimist["severity"], "critical", "{minimist}");
    assert_unanswered(minimist);
    // GHSA-w9mr-4mfr-499f affects ms below 2.0.0: 2.0.0 is the fix itself.
    assert!(findings.iter().all(|f| f["input"]["name"] != "ms"));

    // Control: ms 0.7.3, below the fix, has it.
    let old = tempdir();
    npm_install(
        old.path(),
        r#"{"name": "vouch-vulns-npm-old-ms", "version": "1.0.0", "private": true,
            "dependencies": {"ms": "0.7.3"}}"#,
    );
    let findings = dir_findings(old.path());
    assert_eq!(
        summary(&findings),
        [triple("GHSA-w9mr-4mfr-499f", "ms", "0.7.3")]
    );
    assert_eq!(
        finding(&findings, "GHSA-w9mr-4mfr-499f")["fixed"],
        serde_json::json!(["2.0.0"])
    );
}

// ------------------------------------------------------------------ pip

/// A requirements.txt pinning each `(name, version, wheel file)` of
/// `dir/wheelhouse` with the wheel's SHA-256, as pip-compile writes it.
fn hashed_requirements(dir: &Path, wheels: &[(&str, &str, &str)]) {
    let mut text = String::from("# pip-compile --generate-hashes\n");
    for (name, version, file) in wheels {
        let bytes = fs::read(dir.join("wheelhouse").join(file)).unwrap();
        let hash = vouch_evidence::digest::sha256(&bytes).hex();
        text.push_str(&format!("{name}=={version} \\\n    --hash=sha256:{hash}\n"));
    }
    fs::write(dir.join("requirements.txt"), text).unwrap();
}

const IDNA_3_6: &str = "idna-3.6-py3-none-any.whl";
const IDNA_3_7: &str = "idna-3.7-py3-none-any.whl";
const REQUESTS: &str = "requests-2.32.0-py3-none-any.whl";

#[test]
fn real_pip_wheels_have_the_idna_and_requests_advisories_and_idna_3_7_has_none() {
    let dir = tempdir();
    let d = dir.path();
    pip_download(
        &d.join("wheelhouse"),
        "--only-binary=:all:",
        &["idna==3.6", "requests==2.32.0"],
    );
    hashed_requirements(
        d,
        &[("idna", "3.6", IDNA_3_6), ("requests", "2.32.0", REQUESTS)],
    );
    let inputs = inputs_json(d);
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    assert!(
        inputs.iter().all(|i| i["match"]["status"] == "match"),
        "{inputs:?}"
    );

    let findings = dir_findings(d);
    assert_eq!(
        summary(&findings),
        [
            triple("GHSA-9wx4-h78v-vm56", "requests", "2.32.0"),
            triple("GHSA-jjg7-2v4v-x38h", "idna", "3.6"),
        ]
    );
    let idna = finding(&findings, "GHSA-jjg7-2v4v-x38h");
    assert_eq!(idna["fixed"], serde_json::json!(["3.7"]), "{idna}");
    assert_eq!(idna["aliases"], serde_json::json!(["CVE-2024-3651"]));
    assert_eq!(idna["input"]["purl"], "pkg:pypi/idna@3.6");
    assert_unanswered(idna);
    // requests 2.32.0 < 2.32.2 in PEP 440 order.
    let requests = finding(&findings, "GHSA-9wx4-h78v-vm56");
    assert_eq!(
        requests["fixed"],
        serde_json::json!(["2.32.2"]),
        "{requests}"
    );
    assert_eq!(requests["input"]["purl"], "pkg:pypi/requests@2.32.0");
    assert_unanswered(requests);

    // Control: idna 3.7 (the fix) beside the same requests wheel: only
    // requests is left.
    let fixed = tempdir();
    let f = fixed.path();
    pip_download(&f.join("wheelhouse"), "--only-binary=:all:", &["idna==3.7"]);
    fs::copy(
        d.join("wheelhouse").join(REQUESTS),
        f.join("wheelhouse").join(REQUESTS),
    )
    .unwrap();
    hashed_requirements(
        f,
        &[("idna", "3.7", IDNA_3_7), ("requests", "2.32.0", REQUESTS)],
    );
    assert!(inputs_json(f)
        .iter()
        .any(|i| i["name"] == "idna" && i["version"] == "3.7" && i["match"]["status"] == "match"));
    assert_eq!(
        summary(&dir_findings(f)),
        [triple("GHSA-9wx4-h78v-vm56", "requests", "2.32.0")]
    );
}

// ------------------------------------------------------- image and VEX

/// The demo's working directory, nothing attested yet: a fresh layout
/// image `oci:layout:app`, demo-vulns.yaml as `policy.yaml`, the OSV
/// records as `osv/`, and the `ci` and `security` key pairs.
fn demo_prepared() -> Fixture {
    Fixture::demo()
        .with_vulns()
        .with_layout_image("layout", "app")
}

/// [`demo_prepared`] with the demo project attested by `ci`.
fn demo() -> Fixture {
    demo_prepared().attested()
}

/// `vouch vex create` for both tinyxml2 CVEs on the demo image, with
/// `extra` (status and its fields), written to `file`.
fn vex_create(d: &Fixture, file: &str, extra: &[&str]) -> Output {
    common::vex_create(
        d.dir(),
        "oci:layout:app",
        &TINYXML2_CVES_CREATED,
        file,
        extra,
    )
}

/// The order the statements of [`vex_create`] are written in.
const TINYXML2_CVES_CREATED: [&str; 2] = ["CVE-2024-50615", "CVE-2024-50614"];

/// `vex create` of the security team's answer ([`NOT_AFFECTED`]), with
/// `extra`.
fn not_affected(d: &Fixture, file: &str, extra: &[&str]) {
    assert_ok(&vex_create(
        d,
        file,
        &[NOT_AFFECTED.as_slice(), extra].concat(),
    ));
}

/// `vouch vex attach oci:layout:app FILE --key KEY EXTRA...`.
fn attach(d: &Fixture, file: &str, key: &str, extra: &[&str]) -> Output {
    let mut args = vec!["vex", "attach", "oci:layout:app", file, "--key", key];
    args.extend_from_slice(extra);
    vouch_in(d.dir(), &args)
}

/// The image's hex digest.
fn hex_digest(d: &Fixture) -> &str {
    d.digest.strip_prefix("sha256:").unwrap()
}

/// The findings of a verdict's one image.
fn verdict_findings(verdict: &Value) -> Vec<Value> {
    verdict["images"][0]["findings"].as_array().unwrap().clone()
}

const TINYXML2_CVES: [&str; 2] = ["CVE-2024-50614", "CVE-2024-50615"];

/// Asserts the demo image is denied for both tinyxml2 CVEs, unanswered.
fn assert_denied_for_tinyxml2(out: &Output, verdict: &Value) {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    let image = &verdict["images"][0];
    assert_eq!(image["verdict"], "deny", "{verdict}");
    let findings = verdict_findings(verdict);
    assert_eq!(
        summary(&findings),
        TINYXML2_CVES.map(|id| triple(id, "tinyxml2", "10.0.0"))
    );
    for f in &findings {
        assert!(f["answer"].is_null(), "{f}");
        assert_eq!(f["action"], "deny", "{f}");
        assert_eq!(f["input"]["critical"], true, "{f}");
        assert_eq!(f["severity"], "medium", "{f}");
    }
    let err = stderr(out);
    assert!(err.contains("vouch: denied: oci:layout:app"), "{err}");
    for needle in ["CVE-2024-50614", "CVE-2024-50615", "tinyxml2 10.0.0"] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
}

/// Asserts the demo image is allowed, both CVEs answered not_affected by
/// the security team in document `document`.
fn assert_answered_by_security(d: &Fixture, out: &Output, verdict: &Value, document: &str) {
    assert_ok(out);
    assert_eq!(verdict["images"][0]["verdict"], "allow", "{verdict}");
    let findings = verdict_findings(verdict);
    assert_eq!(
        summary(&findings),
        TINYXML2_CVES.map(|id| triple(id, "tinyxml2", "10.0.0"))
    );
    for f in &findings {
        let answer = &f["answer"];
        assert_eq!(answer["status"], "not_affected", "{f}");
        assert_eq!(
            answer["justification"], "vulnerable_code_not_in_execute_path",
            "{f}"
        );
        assert_eq!(
            answer["by"],
            format!("security: key {}", d.key_id("security")).as_str(),
            "{f}"
        );
        assert_eq!(answer["document"], document, "{f}");
        assert_eq!(f["action"], "ignore", "{f}");
    }
}

/// The OpenVEX document written to `file`.
fn document(dir: &Path, file: &str) -> Value {
    serde_json::from_slice(&fs::read(dir.join(file)).unwrap()).unwrap()
}

/// The `@id` an independent canonical-JSON encoder (securesystemslib's
/// OLPC `encode_canonical`, in the oracle venv) derives for the document
/// in `file`: SHA-256 of the document without `@id`.
fn oracle_document_id(file: &Path) -> String {
    let out = venv_bin("python")
        .args([
            "-c",
            "import hashlib, json, sys\n\
             from securesystemslib.formats import encode_canonical\n\
             d = json.load(open(sys.argv[1]))\n\
             d.pop('@id')\n\
             print('https://vouch.dev/vex/' + hashlib.sha256(encode_canonical(d).encode()).hexdigest())\n",
        ])
        .arg(file)
        .output()
        .unwrap();
    assert_ok(&out);
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn the_demo_image_is_denied_until_the_security_team_answers_its_tinyxml2_findings() {
    let d = demo();
    let (out, verdict) = d.verify("policy.yaml");
    assert_denied_for_tinyxml2(&out, &verdict);
    let gate = verdict["images"][0]["policies"][0]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == "vulnerabilities")
        .unwrap()
        .clone();
    assert_eq!(gate["passed"], false, "{gate}");
    assert!(
        gate["reason"]
            .as_str()
            .unwrap()
            .starts_with("unanswered at or above medium: "),
        "{gate}"
    );

    // The OpenVEX document, field by field.
    assert_ok(&vex_create(
        &d,
        "t.vex.json",
        &[
            "--status",
            "not_affected",
            "--justification",
            "vulnerable_code_not_in_execute_path",
            "--impact",
            "the service only parses its own bundled configuration",
            "--author",
            "Security Team <security@example.com>",
        ],
    ));
    let doc = document(d.dir(), "t.vex.json");
    assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0", "{doc}");
    let id = doc["@id"].as_str().unwrap();
    let hex = id.strip_prefix("https://vouch.dev/vex/").unwrap();
    assert!(
        hex.len() == 64 && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
        "{id}"
    );
    assert_eq!(id, oracle_document_id(&d.dir().join("t.vex.json")));
    assert_eq!(doc["author"], "Security Team <security@example.com>");
    assert_eq!(doc["version"], 1);
    let timestamp = doc["timestamp"].as_str().unwrap();
    let parsed: jiff::Timestamp = timestamp.parse().unwrap();
    assert_eq!(parsed.subsec_nanosecond(), 0, "{timestamp}");
    assert!(timestamp.ends_with('Z'), "{timestamp}");
    let statements = doc["statements"].as_array().unwrap();
    let named: Vec<&str> = statements
        .iter()
        .map(|s| s["vulnerability"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["CVE-2024-50615", "CVE-2024-50614"]);
    let product = format!("pkg:oci/layout@sha256%3A{}", hex_digest(&d));
    for s in statements {
        assert_eq!(
            s["products"],
            serde_json::json!([{
                "@id": product,
                "subcomponents": [{"@id": "pkg:github/leethomason/tinyxml2@10.0.0"}],
            }]),
            "{s}"
        );
        assert_eq!(s["status"], "not_affected");
        assert_eq!(s["justification"], "vulnerable_code_not_in_execute_path");
        assert_eq!(
            s["impact_statement"],
            "the service only parses its own bundled configuration"
        );
        assert!(s.get("action_statement").is_none(), "{s}");
    }

    // Signed by ci: ci is an authority of the policy but not one of its
    // vexAuthorities. Still denied; the finding says whose VEX it ignored.
    assert_ok(&attach(&d, "t.vex.json", "ci.key", &[]));
    let (out, verdict) = d.verify("policy.yaml");
    assert_denied_for_tinyxml2(&out, &verdict);
    for f in verdict_findings(&verdict) {
        let ignored = f["ignoredVex"].as_array().unwrap();
        assert_eq!(ignored.len(), 1, "{f}");
        let note = ignored[0].as_str().unwrap();
        assert!(
            note.starts_with(&format!("not_affected from ci: key {}", d.key_id("ci"))),
            "{note}"
        );
        assert!(note.contains(id), "{note}");
        assert!(note.ends_with("not a trusted VEX authority"), "{note}");
    }
    // ci's statements were read (its signature verified), untrusted.
    let vex = verdict["images"][0]["vex"].as_array().unwrap();
    assert_eq!(vex.len(), 2, "{verdict}");
    assert!(vex.iter().all(|v| v["trusted"] == false), "{vex:?}");

    // Signed by security: allowed, both answered by security.
    assert_ok(&attach(&d, "t.vex.json", "security.key", &[]));
    let (out, verdict) = d.verify("policy.yaml");
    assert_answered_by_security(&d, &out, &verdict, id);
    for f in verdict_findings(&verdict) {
        assert_eq!(
            f["answer"]["impact"],
            "the service only parses its own bundled configuration"
        );
        assert_eq!(f["answer"]["timestamp"], timestamp);
        // ci's copy is still listed, still unused.
        assert_eq!(f["ignoredVex"].as_array().unwrap().len(), 1, "{f}");
    }
    let gate = verdict["images"][0]["policies"][0]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requirement"] == "vulnerabilities")
        .unwrap()
        .clone();
    assert_eq!(gate["passed"], true, "{gate}");
    assert!(
        gate["reason"]
            .as_str()
            .unwrap()
            .contains("2 answered by trusted VEX"),
        "{gate}"
    );

    // `vouch vulns` on the image reads the same evidence the same way.
    let out = vouch_in(
        d.dir(),
        &[
            "vulns",
            "oci:layout:app",
            "--policy",
            "policy.yaml",
            "--output",
            "json",
        ],
    );
    assert_ok(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["target"].as_str().unwrap().ends_with(&d.digest),
        "{json}"
    );
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{json}");
    for f in findings {
        assert_eq!(f["answer"]["status"], "not_affected", "{f}");
        assert!(f["answer"]["by"]
            .as_str()
            .unwrap()
            .starts_with("security: key "));
    }
    let table = vouch_in(
        d.dir(),
        &["vulns", "oci:layout:app", "--policy", "policy.yaml"],
    );
    assert_ok(&table);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("not_affected (vulnerable_code_not_in_execute_path) by security: key"),
        "{text}"
    );
    assert!(
        text.contains("2 finding(s): 2 answered by trusted VEX, 0 unanswered"),
        "{text}"
    );
}

#[test]
fn a_vex_statement_about_another_version_of_the_subcomponent_answers_nothing() {
    let d = demo();
    // tinyxml2 9.0.0 is not what the image holds.
    let out = vouch_in(
        d.dir(),
        &[
            "vex",
            "create",
            "--product",
            "oci:layout:app",
            "--vulnerability",
            "CVE-2024-50615",
            "--vulnerability",
            "CVE-2024-50614",
            "--subcomponent",
            "pkg:github/leethomason/tinyxml2@9.0.0",
            "--status",
            "not_affected",
            "--justification",
            "vulnerable_code_not_present",
            "-o",
            "other-version.vex.json",
        ],
    );
    assert_ok(&out);
    assert_ok(&attach(&d, "other-version.vex.json", "security.key", &[]));
    let (out, verdict) = d.verify("policy.yaml");
    assert_denied_for_tinyxml2(&out, &verdict);
    // Control: without a version, the purl names every version.
    let out = vouch_in(
        d.dir(),
        &[
            "vex",
            "create",
            "--product",
            "oci:layout:app",
            "--vulnerability",
            "CVE-2024-50615",
            "--vulnerability",
            "CVE-2024-50614",
            "--subcomponent",
            "pkg:github/leethomason/tinyxml2",
            "--status",
            "not_affected",
            "--justification",
            "vulnerable_code_not_in_execute_path",
            "-o",
            "any-version.vex.json",
        ],
    );
    assert_ok(&out);
    assert_ok(&attach(&d, "any-version.vex.json", "security.key", &[]));
    let (out, verdict) = d.verify("policy.yaml");
    let id = document(d.dir(), "any-version.vex.json")["@id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_answered_by_security(&d, &out, &verdict, &id);
}

#[test]
fn legacy_vex_attestations_are_read_like_bundles() {
    let d = demo();
    not_affected(&d, "t.vex.json", &[]);
    let id = document(d.dir(), "t.vex.json")["@id"]
        .as_str()
        .unwrap()
        .to_string();
    // ci's legacy attestation verifies, and is not trusted for VEX.
    assert_ok(&attach(&d, "t.vex.json", "ci.key", &["--format", "legacy"]));
    let (out, verdict) = d.verify("policy.yaml");
    assert_denied_for_tinyxml2(&out, &verdict);
    for f in verdict_findings(&verdict) {
        let ignored = f["ignoredVex"][0].as_str().unwrap();
        assert!(
            ignored.contains(&format!("from ci: key {}", d.key_id("ci"))),
            "{f}"
        );
    }
    // security's legacy attestation answers.
    assert_ok(&attach(
        &d,
        "t.vex.json",
        "security.key",
        &["--format", "legacy"],
    ));
    let (out, verdict) = d.verify("policy.yaml");
    assert_answered_by_security(&d, &out, &verdict, &id);
    let legacy: Vec<&Value> = verdict["images"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["format"] == "legacy" && e["predicateType"] == "https://openvex.dev/ns/v0.2.0"
        })
        .collect();
    assert_eq!(legacy.len(), 2, "{verdict}");
    let mut by: Vec<&str> = legacy
        .iter()
        .map(|e| e["verifiedBy"][0].as_str().unwrap())
        .collect();
    by.sort();
    assert_eq!(by, ["demo-vulns/ci", "demo-vulns/security"]);
}

/// `hours` hours ago, in whole seconds (RFC 3339): a VEX document made
/// then is well within the default `vexMaxAge` (30 days).
fn hours_ago(hours: i64) -> String {
    let at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours);
    jiff::Timestamp::from_second(at.as_second())
        .unwrap()
        .to_string()
}

/// A hand-written OpenVEX v0.2.0 document about CVE-2024-50615 in the
/// image with hex digest `hex`, with `@id` `https://example.com/vex/<id>`,
/// made at `timestamp` (the statement has none of its own); `extra` is
/// the statement's `status` and its fields, as JSON members.
fn hand_written_vex(hex: &str, id: &str, timestamp: &str, extra: &str) -> String {
    format!(
        r#"{{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/{id}",
  "author": "Example Security <security@example.com>",
  "role": "Document Creator",
  "timestamp": "{timestamp}",
  "version": 1,
  "statements": [
    {{
      "vulnerability": {{"name": "CVE-2024-50615"}},
      "products": [{{"@id": "pkg:oci/layout@sha256%3A{hex}"}}],
      {extra}
    }}
  ]
}}
"#
    )
}

#[test]
fn the_newest_trusted_statement_decides_whatever_the_order_of_attachment() {
    let d = demo();
    // Three documents made three, two and one hour ago (`--timestamp`:
    // no waiting for the clock), their times distinct (asserted below).
    let (three, two, one) = (hours_ago(3), hours_ago(2), hours_ago(1));
    /// `affected`, asking for the upgrade, made at `at`.
    fn affected_at(at: &str) -> [&str; 6] {
        [
            "--status",
            "affected",
            "--action",
            "upgrade tinyxml2 to 10.1.0",
            "--timestamp",
            at,
        ]
    }
    assert_ok(&vex_create(
        &d,
        "old-affected.vex.json",
        &affected_at(&three),
    ));
    not_affected(&d, "not-affected.vex.json", &["--timestamp", &two]);
    let times = |file: &str| {
        document(d.dir(), file)["timestamp"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(times("old-affected.vex.json") < times("not-affected.vex.json"));
    let not_affected_id = document(d.dir(), "not-affected.vex.json")["@id"]
        .as_str()
        .unwrap()
        .to_string();

    assert_ok(&attach(&d, "not-affected.vex.json", "security.key", &[]));
    let (out, verdict) = d.verify("policy.yaml");
    assert_answered_by_security(&d, &out, &verdict, &not_affected_id);

    // An older `affected`, attached later: the newer not_affected stands,
    // and the older one is listed as superseded.
    assert_ok(&attach(&d, "old-affected.vex.json", "security.key", &[]));
    let (out, verdict) = d.verify("policy.yaml");
    assert_answered_by_security(&d, &out, &verdict, &not_affected_id);
    for f in verdict_findings(&verdict) {
        let ignored = f["ignoredVex"].as_array().unwrap();
        assert_eq!(ignored.len(), 1, "{f}");
        let note = ignored[0].as_str().unwrap();
        assert!(note.starts_with("affected from security: key "), "{note}");
        assert!(note.contains("superseded by a newer statement"), "{note}");
    }

    // A newer `affected` from security re-opens both findings: denied,
    // with the action it asks for.
    assert_ok(&vex_create(&d, "new-affected.vex.json", &affected_at(&one)));
    assert!(times("not-affected.vex.json") < times("new-affected.vex.json"));
    assert_ok(&attach(&d, "new-affected.vex.json", "security.key", &[]));
    let (out, verdict) = d.verify("policy.yaml");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(verdict["images"][0]["verdict"], "deny", "{verdict}");
    let findings = verdict_findings(&verdict);
    assert_eq!(findings.len(), 2, "{verdict}");
    for f in &findings {
        assert_eq!(f["answer"]["status"], "affected", "{f}");
        assert_eq!(f["answer"]["action"], "upgrade tinyxml2 to 10.1.0", "{f}");
        assert_eq!(
            f["answer"]["timestamp"],
            times("new-affected.vex.json").as_str()
        );
        assert_eq!(f["action"], "deny", "{f}");
        assert_eq!(f["ignoredVex"].as_array().unwrap().len(), 2, "{f}");
    }
    let err = stderr(&out);
    for needle in ["CVE-2024-50614", "CVE-2024-50615", "tinyxml2 10.0.0"] {
        assert!(err.contains(needle), "{needle} in {err}");
    }
}

#[test]
fn trusted_statements_made_at_the_same_second_that_disagree_fail_closed() {
    let d = demo();
    let at = hours_ago(1);
    let at = at.as_str();
    fs::write(
        d.dir().join("not-affected.json"),
        hand_written_vex(
            hex_digest(&d),
            "1",
            at,
            r#""status": "not_affected", "justification": "vulnerable_code_not_in_execute_path""#,
        ),
    )
    .unwrap();
    fs::write(
        d.dir().join("affected.json"),
        hand_written_vex(
            hex_digest(&d),
            "2",
            at,
            r#""status": "affected", "action_statement": "upgrade""#,
        ),
    )
    .unwrap();
    // Control: the not_affected alone answers CVE-2024-50615 (and only it).
    assert_ok(&attach(&d, "not-affected.json", "security.key", &[]));
    let (out, verdict) = d.verify("policy.yaml");
    assert_eq!(out.status.code(), Some(1), "CVE-2024-50614 is still open");
    let findings = verdict_findings(&verdict);
    assert_eq!(
        finding(&findings, "CVE-2024-50615")["answer"]["status"],
        "not_affected"
    );
    assert_eq!(finding(&findings, "CVE-2024-50615")["action"], "ignore");
    assert!(finding(&findings, "CVE-2024-50614")["answer"].is_null());
    // The same second, the other answer: the one that does not clear wins.
    assert_ok(&attach(&d, "affected.json", "security.key", &[]));
    let (_, verdict) = d.verify("policy.yaml");
    let findings = verdict_findings(&verdict);
    let f = finding(&findings, "CVE-2024-50615");
    assert_eq!(f["answer"]["status"], "affected", "{f}");
    assert_eq!(f["answer"]["document"], "https://example.com/vex/2", "{f}");
    assert_eq!(f["action"], "deny", "{f}");
}

#[test]
fn regression_issue_7_an_untrusted_vex_statement_never_answers_a_finding() {
    let d = demo();
    not_affected(&d, "t.vex.json", &[]);
    let id = document(d.dir(), "t.vex.json")["@id"]
        .as_str()
        .unwrap()
        .to_string();
    // mallory is in no authority of the policy at all; ci is an authority,
    // but not a VEX authority. Each signs the answer, in both formats.
    d.keygen("mallory");
    let mallory = d.key_id("mallory");
    for key in ["mallory.key", "ci.key"] {
        for format in ["bundle", "legacy"] {
            assert_ok(&attach(&d, "t.vex.json", key, &["--format", format]));
        }
    }
    let (out, verdict) = d.verify("policy.yaml");
    assert_denied_for_tinyxml2(&out, &verdict);
    let image = &verdict["images"][0];
    // mallory's attachments verified under no authority: listed as
    // ignored evidence, never read as VEX.
    let openvex: Vec<&Value> = image["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["predicateType"] == "https://openvex.dev/ns/v0.2.0")
        .collect();
    assert_eq!(openvex.len(), 4, "{verdict}");
    let unverified: Vec<&&Value> = openvex
        .iter()
        .filter(|e| e["verifiedBy"] == serde_json::json!([]))
        .collect();
    assert_eq!(unverified.len(), 2, "{verdict}");
    for e in &unverified {
        let why = e["ignored"][0].as_str().unwrap();
        assert!(
            why.contains("none of the 1 signature(s) verifies with the trusted key(s)"),
            "{why}"
        );
    }
    assert!(!verdict.to_string().contains(&mallory), "{verdict}");
    // ci's were read and listed as untrusted; nothing answers.
    for f in verdict_findings(&verdict) {
        let ignored = f["ignoredVex"].as_array().unwrap();
        assert_eq!(ignored.len(), 2, "{f}");
        assert!(ignored
            .iter()
            .all(|n| n.as_str().unwrap().ends_with("not a trusted VEX authority")));
    }
    assert!(image["vex"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["trusted"] == false));
    // `vouch vulns` agrees.
    let out = vouch_in(
        d.dir(),
        &[
            "vulns",
            "oci:layout:app",
            "--policy",
            "policy.yaml",
            "--output",
            "json",
        ],
    );
    assert_ok(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    for f in json["findings"].as_array().unwrap() {
        assert!(f["answer"].is_null(), "{f}");
        assert_eq!(f["action"], "deny", "{f}");
    }

    // Control: the very same document signed by security answers.
    assert_ok(&attach(&d, "t.vex.json", "security.key", &[]));
    let (out, verdict) = d.verify("policy.yaml");
    assert_answered_by_security(&d, &out, &verdict, &id);
}

// ------------------------------------------------------------ bad input

#[test]
fn malformed_osv_records_are_configuration_errors_naming_file_and_field() {
    let dir = tempdir();
    let d = dir.path();
    let project = d.join("demo-service");
    copy_tree(&root().join("testdata/projects/demo-service"), &project);
    let project = project.to_str().unwrap();
    let cases: [(&str, &[&str]); 3] = [
        ("missing-id", &["missing field `id`"]),
        (
            "bad-ecosystem",
            &[
                "affected[0].package.ecosystem",
                "unknown OSV ecosystem \"cargo\"",
            ],
        ),
        (
            "bad-version",
            &[
                "affected[0].ranges[0].events[1].fixed",
                "\"1.x.y\" is not a valid SemVer version",
            ],
        ),
    ];
    for (name, needles) in cases {
        let db = d.join(name);
        fs::create_dir(&db).unwrap();
        fs::copy(
            root().join("testdata/osv-bad").join(format!("{name}.json")),
            db.join(format!("{name}.json")),
        )
        .unwrap();
        let out = vouch_in(d, &["vulns", project, "--osv", name]);
        let file = format!("invalid OSV record in {name}/{name}.json: ");
        let mut all = vec![file.as_str()];
        all.extend_from_slice(needles);
        assert_misconfigured(&out, &all);
        assert!(out.stdout.is_empty(), "{out:?}");
    }
    // Control: the good records, on the same project.
    let out = vouch_in(d, &["vulns", project, "--osv", osv().to_str().unwrap()]);
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("CVE-2024-50615"));

    // Neither --osv for a directory, nor --policy (or --osv, which scans
    // its OS packages) for an image.
    assert_misconfigured(&vouch_in(d, &["vulns", project]), &["--osv"]);
    assert_misconfigured(
        &vouch_in(d, &["vulns", "oci:layout:app"]),
        &["--policy", "--osv"],
    );
}

#[test]
fn a_policy_whose_osv_holds_a_bad_record_is_refused_naming_the_record() {
    let d = demo();
    let bad = d.dir().join("osv/bad-version.json");
    fs::copy(root().join("testdata/osv-bad/bad-version.json"), &bad).unwrap();
    let out = vouch_in(d.dir(), &["policy", "check", "policy.yaml"]);
    assert_fails_with(
        &out,
        "invalid policy in policy.yaml: spec.vulnerabilities.osv",
    );
    assert_fails_with(&out, "osv/bad-version.json");
    assert_fails_with(&out, "\"1.x.y\" is not a valid SemVer version");
    // verify cannot decide under it: a configuration error, not a denial.
    let (out, verdict) = d.verify("policy.yaml");
    assert_misconfigured(&out, &["osv/bad-version.json"]);
    assert!(verdict.is_null(), "{verdict}");
    // Given --osv, the policy's own records are not read at all.
    let osv = osv();
    let args = [
        "vulns",
        "oci:layout:app",
        "--policy",
        "policy.yaml",
        "--osv",
    ];
    let out = vouch_in(
        d.dir(),
        &[&args[..], &[osv.to_str().unwrap(), "--output", "json"]].concat(),
    );
    assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    finding(doc["findings"].as_array().unwrap(), "CVE-2024-50614");
    // Control: without it, the policy checks and describes the gate.
    fs::remove_file(&bad).unwrap();
    let out = vouch_in(d.dir(), &["policy", "check", "policy.yaml"]);
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("vulnerabilities: 10 OSV records from osv"),
        "{text}"
    );
    assert!(text.contains("VEX trusted from security"), "{text}");
}

#[test]
fn vex_create_refuses_a_statement_missing_what_its_status_needs() {
    let d = demo();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--status", "not_affected"],
            "refusing to write an invalid VEX document: invalid OpenVEX document: statements[0]: \
             status not_affected needs a justification or an impact_statement",
        ),
        (
            &["--status", "affected"],
            "statements[0]: status affected needs an action_statement",
        ),
        (
            &["--status", "not_affected", "--justification", "nonsense"],
            "invalid --justification: invalid VEX justification: unknown justification \"nonsense\"",
        ),
        (
            &["--status", "notaffected", "--justification", "component_not_present"],
            "invalid --status: invalid VEX status: unknown status \"notaffected\"",
        ),
    ];
    for (extra, needle) in cases {
        assert_fails_with(&vex_create(&d, "bad.vex.json", extra), needle);
        assert!(!d.dir().join("bad.vex.json").exists(), "{extra:?}");
    }
    // Controls: an impact statement alone will do for not_affected, and an
    // action for affected.
    for extra in [
        &[
            "--status",
            "not_affected",
            "--impact",
            "only its own config",
        ][..],
        &["--status", "affected", "--action", "upgrade"][..],
    ] {
        assert_ok(&vex_create(&d, "good.vex.json", extra));
        let doc = document(d.dir(), "good.vex.json");
        assert_eq!(doc["statements"][0]["status"], extra[1], "{doc}");
    }
}

/// `vouch vex create` of [`NOT_AFFECTED`] for a digest, in `dir`, with
/// `SOURCE_DATE_EPOCH` set to `epoch` (or unset) and `extra`.
fn vex_create_at(dir: &Path, epoch: Option<&str>, file: &str, extra: &[&str]) -> Output {
    let mut cmd = vouch();
    cmd.current_dir(dir)
        .args([
            "vex",
            "create",
            "--product",
            &format!("sha256:{}", "ab".repeat(32)),
        ])
        .args([
            "--vulnerability",
            "CVE-2024-50614",
            "--vulnerability",
            "CVE-2024-50615",
        ])
        .args(NOT_AFFECTED)
        .args(["-o", file])
        .args(extra);
    if let Some(epoch) = epoch {
        cmd.env("SOURCE_DATE_EPOCH", epoch);
    }
    cmd.output().unwrap()
}

/// The document's timestamp and each of its statements' (its own, else
/// the document's, as OpenVEX reads a statement without one).
fn timestamps(dir: &Path, file: &str) -> Vec<String> {
    let doc = document(dir, file);
    let made = doc["timestamp"].as_str().unwrap();
    let mut times = vec![made.to_string()];
    for statement in doc["statements"].as_array().unwrap() {
        let own = statement.get("timestamp").map(|t| t.as_str().unwrap());
        times.push(own.unwrap_or(made).to_string());
    }
    times
}

#[test]
fn regression_issue_14_vex_create_takes_its_timestamp_from_the_flag_or_source_date_epoch() {
    let dir = tempdir();
    let d = dir.path();
    let nov_2 = "2024-11-02T10:00:00Z";
    // --timestamp: the document's and every statement's.
    assert_ok(&vex_create_at(
        d,
        None,
        "flag.json",
        &["--timestamp", nov_2],
    ));
    assert_eq!(timestamps(d, "flag.json"), [nov_2; 3]);
    // SOURCE_DATE_EPOCH (1730541600 s is 2024-11-02T10:00:00Z), as
    // reproducible-builds tools read it: the same document, byte for byte.
    assert_ok(&vex_create_at(d, Some("1730541600"), "epoch.json", &[]));
    assert_eq!(timestamps(d, "epoch.json"), [nov_2; 3]);
    assert_eq!(
        fs::read(d.join("epoch.json")).unwrap(),
        fs::read(d.join("flag.json")).unwrap()
    );
    // The flag wins over the variable.
    let new_year = "2025-01-01T00:00:00Z";
    let both = vex_create_at(
        d,
        Some("1730541600"),
        "both.json",
        &["--timestamp", new_year],
    );
    assert_ok(&both);
    assert_eq!(timestamps(d, "both.json"), [new_year; 3]);
    // Control: with neither, the time now, rounded to whole seconds (so
    // up to half a second past the end of the run).
    let before = jiff::Timestamp::now().as_second();
    assert_ok(&vex_create_at(d, None, "now.json", &[]));
    let after = jiff::Timestamp::now().as_second() + 1;
    for time in timestamps(d, "now.json") {
        let at: jiff::Timestamp = time.parse().unwrap();
        assert_eq!(at.subsec_nanosecond(), 0, "{time}");
        assert!((before..=after).contains(&at.as_second()), "{time}");
    }
}

#[test]
fn vex_create_refuses_an_invalid_timestamp_or_source_date_epoch() {
    let dir = tempdir();
    let d = dir.path();
    let cases: [(Option<&str>, &[&str], &str); 4] = [
        (
            None,
            &["--timestamp", "yesterday"],
            "invalid --timestamp \"yesterday\"",
        ),
        (
            None,
            &["--timestamp", "2024-11-02"],
            "expected RFC 3339, like 2024-11-02T10:00:00Z",
        ),
        (
            Some("last tuesday"),
            &[],
            "invalid SOURCE_DATE_EPOCH \"last tuesday\": expected whole seconds since 1970-01-01",
        ),
        (Some("1e9"), &[], "invalid SOURCE_DATE_EPOCH \"1e9\""),
    ];
    for (epoch, extra, needle) in cases {
        let out = vex_create_at(d, epoch, "bad.json", extra);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "a usage error: {err}");
        assert!(!err.contains("panicked"), "panic: {err}");
        assert!(err.contains("vouch: error: "), "{err}");
        assert!(err.contains(needle), "expected {needle:?} in: {err}");
        assert!(!d.join("bad.json").exists(), "{epoch:?} {extra:?}");
    }
    // An invalid variable does not matter when the flag is given.
    let out = vex_create_at(
        d,
        Some("last tuesday"),
        "good.json",
        &["--timestamp", "2024-11-02T10:00:00Z"],
    );
    assert_ok(&out);
}

#[test]
fn vex_attach_refuses_a_document_for_another_image_and_an_invalid_one() {
    let d = demo();
    // Another image, in another layout: a document about it is refused.
    let other = layout_image(&d.dir().join("other"), "other");
    let out = vouch_in(
        d.dir(),
        &[
            "vex",
            "create",
            "--product",
            "oci:other:other",
            "--vulnerability",
            "CVE-2024-50615",
            "--status",
            "not_affected",
            "--justification",
            "component_not_present",
            "-o",
            "other.vex.json",
        ],
    );
    assert_ok(&out);
    let other_hex = other.strip_prefix("sha256:").unwrap();
    assert_eq!(
        document(d.dir(), "other.vex.json")["statements"][0]["products"][0]["@id"],
        format!("pkg:oci/other@sha256%3A{other_hex}").as_str()
    );
    let out = attach(&d, "other.vex.json", "security.key", &[]);
    assert_fails_with(
        &out,
        &format!(
            "VEX document for another product in other.vex.json: statements[0] (CVE-2024-50615) \
             names pkg:oci/other@sha256%3A{other_hex}, not oci:layout@{}",
            d.digest
        ),
    );
    // Nothing was attached.
    let (_, verdict) = d.verify("policy.yaml");
    assert_eq!(
        verdict["images"][0]["vex"],
        serde_json::json!([]),
        "{verdict}"
    );

    // A hand-written document (another producer's, with `role`) whose
    // statement lacks a justification is refused, naming the file and the
    // statement.
    let at = hours_ago(1);
    let at = at.as_str();
    fs::write(
        d.dir().join("hand.json"),
        hand_written_vex(hex_digest(&d), "3", at, r#""status": "not_affected""#),
    )
    .unwrap();
    let out = attach(&d, "hand.json", "security.key", &[]);
    assert_fails_with(&out, "hand.json");
    assert_fails_with(
        &out,
        "invalid OpenVEX document: statements[0]: status not_affected needs a justification or an impact_statement",
    );
    fs::write(d.dir().join("hand.json"), b"{ not json").unwrap();
    assert_fails_with(
        &attach(&d, "hand.json", "security.key", &[]),
        "malformed JSON in OpenVEX document",
    );
    // Control: with the justification, it attaches and answers
    // CVE-2024-50615.
    fs::write(
        d.dir().join("hand.json"),
        hand_written_vex(
            hex_digest(&d),
            "3",
            at,
            r#""status": "not_affected", "justification": "inline_mitigations_already_exist""#,
        ),
    )
    .unwrap();
    assert_ok(&attach(&d, "hand.json", "security.key", &[]));
    let (_, verdict) = d.verify("policy.yaml");
    let findings = verdict_findings(&verdict);
    let answer = &finding(&findings, "CVE-2024-50615")["answer"];
    assert_eq!(answer["status"], "not_affected", "{answer}");
    assert_eq!(answer["justification"], "inline_mitigations_already_exist");
    assert_eq!(answer["document"], "https://example.com/vex/3");
    assert_eq!(answer["timestamp"], at);
}

/// A pip project pinning idna at `version`, not downloaded (a hash is
/// declared; the wheel would be fetched at build time).
fn pip_pin(dir: &Path, version: &str) {
    fs::write(
        dir.join("requirements.txt"),
        format!("idna=={version} --hash=sha256:{}\n", "0".repeat(64)),
    )
    .unwrap();
}

/// The `version-unknown` reason of idna pinned at "not.a.version".
const IDNA_UNREADABLE: &str = "input idna not.a.version (pip) cannot be checked for \
    vulnerabilities: \"not.a.version\" is not a valid PEP 440 version";

#[test]
fn an_input_version_its_ecosystem_cannot_read_is_a_finding_not_a_clean_bill() {
    let dir = tempdir();
    let d = dir.path();
    let osv = osv();
    let osv = osv.to_str().unwrap();
    pip_pin(d, "not.a.version");
    let out = vouch_in(d, &["vulns", ".", "--osv", osv]);
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("version-unknown: {IDNA_UNREADABLE}")),
        "{text}"
    );
    assert_eq!(
        summary(&dir_findings(d)),
        [triple("version-unknown", "idna", "not.a.version")]
    );
    // Control: a PEP 440 version is matched.
    pip_pin(d, "3.6");
    assert_eq!(
        summary(&dir_findings(d)),
        [triple("GHSA-jjg7-2v4v-x38h", "idna", "3.6")]
    );

    // Attested onto an image, the unreadable version is a finding that
    // acts as an unanswered one in that input: idna is not critical, so it
    // warns (a critical input's would deny). Control: the same project
    // pinning 3.6 has the real finding instead.
    pip_pin(d, "not.a.version");
    let demo = demo_prepared();
    assert_ok(&attest_project(&demo, d));
    let (out, verdict) = demo.verify("policy.yaml");
    assert_ok(&out);
    let findings = verdict_findings(&verdict);
    assert_eq!(
        summary(&findings),
        [triple("version-unknown", "idna", "not.a.version")]
    );
    assert_eq!(findings[0]["action"], "warn", "{verdict}");
    assert_eq!(findings[0]["summary"], IDNA_UNREADABLE, "{verdict}");
    let warnings = verdict["images"][0]["warnings"].to_string();
    assert!(
        warnings.contains("unanswered vulnerability version-unknown"),
        "{warnings}"
    );
    pip_pin(d, "3.6");
    let demo = demo_prepared();
    assert_ok(&attest_project(&demo, d));
    let (out, verdict) = demo.verify("policy.yaml");
    assert_ok(&out);
    assert_eq!(verdict["images"][0]["verdict"], "allow", "{verdict}");
    let findings = verdict_findings(&verdict);
    assert_eq!(
        summary(&findings),
        [triple("GHSA-jjg7-2v4v-x38h", "idna", "3.6")]
    );
    assert_eq!(findings[0]["action"], "warn");
    let warnings = verdict["images"][0]["warnings"].to_string();
    assert!(warnings.contains("GHSA-jjg7-2v4v-x38h"), "{verdict}");
}

/// `vouch attest PROJECT --image oci:layout:app --key ci.key` in the
/// demo's directory.
fn attest_project(demo: &Fixture, project: &Path) -> Output {
    vouch_in(
        demo.dir(),
        &[
            "attest",
            project.to_str().unwrap(),
            "--image",
            "oci:layout:app",
            "--key",
            "ci.key",
        ],
    )
}

/// Found while writing these tests: `vouch vulns IMAGE` printed "no known
/// vulnerabilities" (exit 0) for an image whose attested input has a
/// version its ecosystem cannot read. The listing must not read as a
/// clean bill: it lists that input's `version-unknown` finding.
#[test]
fn vouch_vulns_on_an_image_does_not_pass_over_an_input_it_cannot_check() {
    let project = tempdir();
    pip_pin(project.path(), "not.a.version");
    let demo = demo_prepared();
    assert_ok(&attest_project(&demo, project.path()));
    let out = vouch_in(
        demo.dir(),
        &["vulns", "oci:layout:app", "--policy", "policy.yaml"],
    );
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("no known vulnerabilities"), "{text}");
    assert!(
        text.contains(&format!("version-unknown: {IDNA_UNREADABLE}")),
        "{text}"
    );
}

/// `vouch vulns oci:layout:app --osv osv --output json ARGS...`.
fn vulns_with(d: &Fixture, trust: &[&str]) -> Output {
    let mut args = vec![
        "vulns",
        "oci:layout:app",
        "--osv",
        "osv",
        "--output",
        "json",
    ];
    args.extend_from_slice(trust);
    vouch_in(d.dir(), &args)
}

#[test]
fn keys_on_the_command_line_stand_in_for_a_policy() {
    let d = demo();
    // ci signed the provenance: its inputs are read and matched.
    let out = vulns_with(&d, &["--key", "ci.pub"]);
    assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let ids: Vec<&str> = findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["CVE-2024-50614", "CVE-2024-50615"], "{doc}");
    assert!(findings.iter().all(|f| f["answer"].is_null()));
    // security's VEX answers once security's key is given too.
    not_affected(&d, "t.vex.json", &[]);
    assert_ok(&attach(&d, "t.vex.json", "security.key", &[]));
    let out = vulns_with(&d, &["--key", "ci.pub", "--key", "security.pub"]);
    assert_ok(&out);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["answer"]["status"], "not_affected", "{f}");
        assert!(f["answer"]["by"]
            .as_str()
            .unwrap()
            .starts_with("security: key "));
    }
    // Controls: security alone signed no provenance, so nothing is read;
    // and neither trust nor --osv (which scans the image's OS packages) is
    // a configuration error.
    let out = vulns_with(&d, &["--key", "security.pub"]);
    assert_fails_with(&out, "no verified inputs in oci:layout:app");
    assert_misconfigured(
        &vouch_in(d.dir(), &["vulns", "oci:layout:app"]),
        &["--policy", "--key"],
    );
}

#[test]
fn regression_issue_8_a_provenance_signed_by_the_vex_key_supplies_no_inputs() {
    // ci attested the demo project: tinyxml2's CVEs deny it.
    let d = demo();
    // Later, the security key, trusted for VEX only, signs a provenance of
    // a project with no inputs at all: the newest verified provenance.
    let empty = tempdir();
    std::thread::sleep(Duration::from_millis(1100));
    assert_ok(&vouch_in(
        d.dir(),
        &[
            "attest",
            empty.path().to_str().unwrap(),
            "--image",
            "oci:layout:app",
            "--key",
            "security.key",
        ],
    ));
    let (out, verdict) = d.verify("policy.yaml");
    assert_denied_for_tinyxml2(&out, &verdict);
    let from = verdict["images"][0]["inputsFrom"].as_str().unwrap();
    assert!(
        from.starts_with(&format!("provenance signed by ci: key {}", d.key_id("ci"))),
        "{from}"
    );
}
