//! The OS packages of the real Debian test image (scripts/debian-test-image.sh)
//! through vouch: `vouch sbom IMAGE` and `vouch vulns IMAGE --osv` on the
//! `oci:` layout and on the image pushed to a real registry, checked
//! against what Debian's own `dpkg-query` lists (name, version,
//! architecture, source name and version), the whiteouts of the second
//! layer (sensible-utils purged, less installed) and the layer each package
//! is attributed to; the SBOMs against the validators the SBOM tests use;
//! the findings against authored Debian OSV records
//! (testdata/osv-debian-image/SOURCE.md).

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::debian::{self, DebianImage};
use common::registry::Registry;
use common::{assert_ok, finding, layout_layers, property, root, tempdir, Fixture};
use serde_json::Value;

/// (name, version, architecture, source, source version) of each installed
/// package, as dpkg-query lists them.
fn oracle(image: &DebianImage) -> BTreeSet<(String, String, String, String, String)> {
    debian::installed(&image.admindir())
        .into_iter()
        .map(|p| {
            (
                p.name,
                p.version,
                p.architecture,
                p.source,
                p.source_version,
            )
        })
        .collect()
}

/// `vouch sbom REFERENCE` in both formats: each passes its validator, and
/// the CycloneDX components are exactly dpkg-query's packages, attributed
/// to their layers.
fn check_sboms(image: &DebianImage, reference: &str) {
    let (_d, cdx, spdx) = common::sboms(reference);

    let bom: Value = serde_json::from_slice(&fs::read(&cdx).unwrap()).unwrap();
    let subject = &bom["metadata"]["component"];
    assert_eq!(subject["type"], "container");
    assert!(subject["purl"].as_str().unwrap().starts_with("pkg:oci/"));
    let components = bom["components"].as_array().unwrap();
    let listed: BTreeSet<_> = components
        .iter()
        .map(|c| {
            let purl = c["purl"].as_str().unwrap();
            assert!(purl.starts_with("pkg:deb/debian/"), "{purl}");
            assert!(purl.contains("distro=debian-12"), "{purl}");
            let arch = purl
                .split(['?', '&'])
                .find_map(|q| q.strip_prefix("arch="))
                .unwrap()
                .to_string();
            assert_eq!(property(c, "vouch:ecosystem"), "deb");
            assert_eq!(property(c, "vouch:database"), "var/lib/dpkg/status");
            assert_eq!(property(c, "vouch:third-party"), "false");
            (
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap().to_string(),
                arch,
                property(c, "vouch:source-name").to_string(),
                property(c, "vouch:source-version").to_string(),
            )
        })
        .collect();
    assert_eq!(listed, oracle(image));
    assert_eq!(components.len(), listed.len(), "a package listed twice");
    // The whiteouts of layer 2 hold; each package is attributed to the
    // layer that wrote its entry.
    let names: BTreeSet<&str> = components
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains("less") && !names.contains("sensible-utils"));
    let layers = layout_layers(&image.layout(), debian::TAG);
    assert_eq!(layers.len(), 2);
    for c in components {
        let want = if c["name"] == "less" {
            &layers[1]
        } else {
            &layers[0]
        };
        assert_eq!(property(c, "vouch:layer"), want, "{}", c["name"]);
    }
    // glibc's binaries are critical by the system-libraries rule, by their
    // source name.
    let libc = components.iter().find(|c| c["name"] == "libc6").unwrap();
    assert_eq!(property(libc, "vouch:critical"), "true");

    let doc: Value = serde_json::from_slice(&fs::read(&spdx).unwrap()).unwrap();
    let packages: BTreeSet<(String, String)> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["externalRefs"].as_array().is_some_and(|refs| {
                refs.iter().any(|r| {
                    r["referenceLocator"]
                        .as_str()
                        .is_some_and(|l| l.starts_with("pkg:deb/"))
                })
            })
        })
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["versionInfo"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> =
        oracle(image).into_iter().map(|(n, v, ..)| (n, v)).collect();
    assert_eq!(packages, want);
}

#[test]
fn sbom_of_the_debian_image_lists_what_dpkg_query_lists_from_a_layout() {
    let image = debian::image();
    check_sboms(image, &image.reference(debian::TAG));
}

#[test]
fn sbom_of_the_debian_image_lists_what_dpkg_query_lists_from_a_registry() {
    let image = debian::image();
    let registry = Registry::plain();
    let reference = image.push(&registry);
    check_sboms(image, &reference);
}

/// `vouch vulns REFERENCE --osv testdata/osv-debian-image --output json`:
/// (finding id, input name) pairs.
fn findings(reference: &str) -> (BTreeSet<(String, String)>, Value) {
    let (pairs, json) =
        common::vulns_findings(reference, &root().join("testdata/osv-debian-image"));
    (pairs.into_iter().collect(), json)
}

#[test]
fn vulns_of_the_debian_image_match_its_release_records_by_source_package() {
    let image = debian::image();
    let registry = Registry::plain();
    let pushed = image.push(&registry);
    for reference in [image.reference(debian::TAG), pushed] {
        let (pairs, json) = findings(&reference);
        let pair = |id: &str, name: &str| (id.to_string(), name.to_string());
        // zlib's Debian:12 record reaches zlib1g (by its source, zlib);
        // glibc's reaches every binary built from glibc. The Debian:11
        // record of less and the record under the binary name libc6 do not.
        let want: BTreeSet<_> = [
            pair("DEBIAN-CVE-2023-45853", "zlib1g"),
            pair("DEBIAN-CVE-0000-0002", "libc6"),
            pair("DEBIAN-CVE-0000-0002", "libc-bin"),
        ]
        .into();
        assert_eq!(pairs, want, "{reference}");
        let libc = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["input"]["name"] == "libc6")
            .unwrap();
        assert_eq!(libc["fixed"][0], "2.36-9+deb12u99");
        assert_eq!(libc["input"]["critical"], true);
        assert_eq!(libc["input"]["os"]["from"], "image");
        assert_eq!(libc["input"]["os"]["sourceName"], "glibc");
        assert_eq!(
            libc["input"]["os"]["layer"],
            layout_layers(&image.layout(), debian::TAG)[0].as_str()
        );
    }
    // The table marks what was read from the image's filesystem.
    let out = Fixture::new().run([
        "vulns",
        &image.reference(debian::TAG),
        "--osv",
        root().join("testdata/osv-debian-image").to_str().unwrap(),
    ]);
    assert_ok(&out);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("libc6 [image]"), "{table}");
}

#[test]
fn vulns_of_an_image_without_osv_records_is_a_usage_error() {
    let image = debian::image();
    let out = Fixture::new().run(["vulns", &image.reference(debian::TAG)]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--osv"), "{stderr}");
}

/// The demo project, keys `ci` and `security`, the demo's gated policy
/// over testdata/osv-debian-image, and a private copy of the Debian image
/// (attaching writes into it): the fixture and the copy's reference.
fn gated_copy() -> (Fixture, String) {
    let image = debian::image();
    let policy = fs::read_to_string(root().join("testdata/policies/demo-vulns.yaml")).unwrap();
    let f = Fixture::new()
        .with_project()
        .with_key("ci")
        .with_key("security")
        .with_policy(&policy);
    common::copy_tree(
        &root().join("testdata/osv-debian-image"),
        &f.dir().join("osv"),
    );
    let copy = format!("oci:{}:debian", f.dir().join("layout").display());
    assert_ok(&f.run(["copy", &image.reference(debian::TAG), &copy]));
    (f.with_image(&copy), copy)
}

/// `vouch vulns IMAGE --policy policy.yaml --os-packages --output json`.
fn vulns_with_os_packages(f: &Fixture, image: &str) -> Value {
    let out = f.run([
        "vulns",
        image,
        "--policy",
        "policy.yaml",
        "--os-packages",
        "--output",
        "json",
    ]);
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn attest_os_packages_records_them_signed_and_the_gate_denies_a_critical_one() {
    let (f, copy) = gated_copy();
    // The project's own criticality list applies to the OS packages too.
    let rules = f.project.join("vouch.critical.yaml");
    let mut text = fs::read_to_string(&rules).unwrap();
    text.push_str(
        "  - name: less\n    ecosystem: deb\n    reason: pages every log the service writes\n",
    );
    fs::write(&rules, text).unwrap();
    assert_ok(&f.attest("ci.key", &["--os-packages", "--sbom", "cyclonedx,spdx"]));

    // The attested findings say they came from the evidence.
    let out = f.run([
        "vulns",
        &copy,
        "--policy",
        "policy.yaml",
        "--output",
        "json",
    ]);
    assert_ok(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let libc = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["input"]["name"] == "libc6")
        .unwrap_or_else(|| panic!("no libc6 finding in {json}"));
    assert_eq!(libc["id"], "DEBIAN-CVE-0000-0002");
    assert_eq!(libc["input"]["os"]["from"], "evidence");
    assert_eq!(libc["input"]["critical"], true);
    // With --os-packages the layers list it too: one finding, from both.
    let both = vulns_with_os_packages(&f, &copy);
    let libc = finding(&both, "DEBIAN-CVE-0000-0002", "libc6");
    assert_eq!(libc["input"]["os"]["from"], "evidence+image");
    assert_eq!(
        both["findings"].as_array().unwrap().len(),
        json["findings"].as_array().unwrap().len(),
        "{both}"
    );

    // libc6 is critical and its finding unanswered: the gate denies.
    let (out, verdict) = f.verify("policy.yaml");
    let less = verdict["images"][0]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "less")
        .unwrap_or_else(|| panic!("no less in {verdict}"));
    assert_eq!(less["critical"], true, "{less}");
    assert!(
        less["criticalReasons"][0]
            .as_str()
            .unwrap()
            .contains("pages every log"),
        "{less}"
    );
    assert_eq!(out.status.code(), Some(1), "{verdict}");
    assert_eq!(verdict["images"][0]["verdict"], "deny", "{verdict}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DEBIAN-CVE-0000-0002"), "{err}");
}

#[test]
fn regression_issue_15_vulns_with_a_policy_checks_the_os_packages_read_from_the_image() {
    // Attested WITHOUT --os-packages: the signed evidence lists the
    // project's inputs only, and `vulns --policy --os-packages` still
    // checks the OS packages it reads from the image's layers (the digest
    // pins them), each answered by the image's own trusted VEX like any
    // input.
    let (f, copy) = gated_copy();
    assert_ok(&f.attest("ci.key", &["--sbom", "cyclonedx"]));
    let vulns = |f: &Fixture| vulns_with_os_packages(f, &copy);
    let json = vulns(&f);
    let libc = finding(&json, "DEBIAN-CVE-0000-0002", "libc6");
    assert_eq!(libc["input"]["os"]["from"], "image");
    assert_eq!(libc["action"], "deny", "{libc}");
    assert!(libc["answer"].is_null(), "{libc}");
    let zlib = finding(&json, "DEBIAN-CVE-2023-45853", "zlib1g");
    assert_eq!(zlib["input"]["os"]["from"], "image");

    // The security team answers the finding in libc6 alone (by its purl).
    let purl = libc["input"]["purl"].as_str().unwrap().to_string();
    assert_ok(&f.run([
        "vex",
        "create",
        "--product",
        &copy,
        "--vulnerability",
        "DEBIAN-CVE-0000-0002",
        "--status",
        "not_affected",
        "--justification",
        "vulnerable_code_not_in_execute_path",
        "--subcomponent",
        &purl,
        "-o",
        "libc.vex.json",
    ]));
    assert_ok(&f.run([
        "vex",
        "attach",
        &copy,
        "libc.vex.json",
        "--key",
        "security.key",
    ]));
    let json = vulns(&f);
    let libc = finding(&json, "DEBIAN-CVE-0000-0002", "libc6");
    assert_eq!(libc["answer"]["status"], "not_affected", "{libc}");
    assert_eq!(libc["action"], "ignore", "{libc}");
    // libc-bin, built from the same source, is another product: still open.
    let bin = finding(&json, "DEBIAN-CVE-0000-0002", "libc-bin");
    assert!(bin["answer"].is_null(), "{bin}");

    // Admission judges the signed evidence alone: no OS package finding.
    let (_, verdict) = f.verify("policy.yaml");
    let findings = verdict["images"][0]["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["input"]["os"].is_null()),
        "{verdict}"
    );
}

/// An authored NodeSource-style dpkg stanza (NodeSource's `nodistro`
/// packages: a maintainer at nodesource.com, a `nodesource1` revision).
const NODESOURCE_STANZA: &str = "Package: nodejs
Status: install ok installed
Priority: optional
Section: web
Installed-Size: 200000
Maintainer: Ivan Iguaran <ivan@nodesource.com>
Architecture: amd64
Version: 20.12.2-1nodesource1
Depends: libc6 (>= 2.28)
Description: Node.js event-based server-side javascript engine
 Node.js is similar in design to and influenced by systems like
 Ruby's Event Machine or Python's Twisted.
Homepage: https://nodejs.org
";

/// The Debian image plus a layer installing NodeSource's `nodejs` (its
/// dpkg status, rewritten whole as dpkg does), as `oci:DIR/layout:nodesource`
/// built with GNU tar and gzip: returns the reference.
fn nodesource_image(image: &DebianImage, dir: &Path) -> String {
    use std::process::Command;
    use vouch_evidence::digest::sha256;
    let layout = dir.join("layout");
    let out = Fixture::new().run([
        "copy",
        &image.reference(debian::TAG),
        &format!("oci:{}:debian", layout.display()),
    ]);
    assert_ok(&out);
    let root_dir = dir.join("rootfs");
    fs::create_dir_all(root_dir.join("var/lib/dpkg")).unwrap();
    let mut status = fs::read_to_string(image.admindir().join("status")).unwrap();
    status.push('\n');
    status.push_str(NODESOURCE_STANZA);
    fs::write(root_dir.join("var/lib/dpkg/status"), status).unwrap();
    let tar = Command::new("tar")
        .args(["--owner=0", "--group=0", "--numeric-owner", "--sort=name"])
        .args(["--mtime=@0", "-C"])
        .arg(&root_dir)
        .args(["-cf", "-", "var/lib/dpkg/status"])
        .output()
        .unwrap();
    assert!(tar.status.success());
    let mut gzip = Command::new("gzip")
        .args(["-n", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        gzip.stdin.take().unwrap().write_all(&tar.stdout).unwrap();
    }
    let gz = gzip.wait_with_output().unwrap().stdout;
    let blobs = layout.join("blobs/sha256");
    let put = |bytes: &[u8]| -> String {
        let hex = sha256(bytes).hex();
        fs::write(blobs.join(&hex), bytes).unwrap();
        format!("sha256:{hex}")
    };
    let read = |digest: &str| -> Value {
        let hex = digest.strip_prefix("sha256:").unwrap();
        serde_json::from_slice(&fs::read(blobs.join(hex)).unwrap()).unwrap()
    };
    let layer = put(&gz);
    let index_path = layout.join("index.json");
    let mut index: Value = serde_json::from_slice(&fs::read(&index_path).unwrap()).unwrap();
    let entry = index["manifests"][0].clone();
    let mut manifest = read(entry["digest"].as_str().unwrap());
    let mut config = read(manifest["config"]["digest"].as_str().unwrap());
    config["rootfs"]["diff_ids"]
        .as_array_mut()
        .unwrap()
        .push(format!("sha256:{}", sha256(&tar.stdout).hex()).into());
    let config_bytes = serde_json::to_vec(&config).unwrap();
    manifest["config"]["digest"] = put(&config_bytes).into();
    manifest["config"]["size"] = config_bytes.len().into();
    manifest["layers"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": layer,
            "size": gz.len(),
        }));
    let manifest_bytes = serde_json::to_vec(&manifest).unwrap();
    let mut new_entry = entry.clone();
    new_entry["digest"] = put(&manifest_bytes).into();
    new_entry["size"] = manifest_bytes.len().into();
    new_entry["annotations"]["org.opencontainers.image.ref.name"] = "nodesource".into();
    index["manifests"].as_array_mut().unwrap().push(new_entry);
    fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    format!("oci:{}:nodesource", layout.display())
}

#[test]
fn a_third_party_package_is_marked_and_matches_no_distribution_record() {
    let image = debian::image();
    let d = tempdir();
    let reference = nodesource_image(image, d.path());
    let out = Fixture::new().run(["sbom", &reference, "--format", "cyclonedx"]);
    assert_ok(&out);
    let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
    let node = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "nodejs")
        .unwrap();
    assert_eq!(property(node, "vouch:third-party"), "true");
    assert_eq!(node["version"], "20.12.2-1nodesource1");
    // Debian's own nodejs record (DEBIAN-CVE-0000-0004) does not reach it;
    // the Debian packages' findings are unchanged.
    let (pairs, _) = findings(&reference);
    assert!(pairs.iter().all(|(_, name)| name != "nodejs"), "{pairs:?}");
    assert!(pairs.contains(&("DEBIAN-CVE-2023-45853".into(), "zlib1g".into())));
}

#[test]
fn platform_flags_select_what_the_image_has_and_name_what_it_lacks() {
    let image = debian::image();
    let reference = image.reference(debian::TAG);
    let sbom = |extra: &[&str]| {
        let mut args = vec!["sbom", reference.as_str(), "--format", "cyclonedx"];
        args.extend_from_slice(extra);
        Fixture::new().run(args)
    };
    let default = sbom(&[]);
    assert_ok(&default);
    let all = sbom(&["--all-platforms"]);
    assert_ok(&all);
    let amd64 = sbom(&["--platform", "linux/amd64"]);
    assert_ok(&amd64);
    let components = |out: &std::process::Output| {
        let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
        bom["components"].clone()
    };
    assert_eq!(components(&all), components(&default));
    assert_eq!(components(&amd64), components(&default));
    let arm = sbom(&["--platform", "linux/arm64"]);
    assert_eq!(arm.status.code(), Some(1));
    let err = String::from_utf8_lossy(&arm.stderr);
    assert!(
        err.contains("no manifest for platform linux/arm64; it has: linux/amd64"),
        "{err}"
    );
    assert!(arm.stdout.is_empty());
    let both = sbom(&["--platform", "linux/amd64", "--all-platforms"]);
    assert_eq!(both.status.code(), Some(2));
}
