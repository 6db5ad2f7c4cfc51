//! The demo's Debian image (scripts/demo.sh, testdata/demo-os/SOURCE.md)
//! through the real binary, step by step as the demo runs it: the image's
//! one layer is a tar of a Debian 12 root's os-release and real dpkg
//! status stanzas; `vouch sbom` lists what `dpkg-query` lists;
//! `vouch vulns --osv` finds Debian's unfixed zlib record in zlib1g;
//! `vouch attest --os-packages` signs the packages; the policy without
//! the vendor's VEX denies, and with the vendor's OpenPGP-signed CSAF VEX
//! allows, showing the vendor's answer. Negative controls: a CSAF signed
//! by the wrong key, unsigned or changed after signing is refused, and a
//! vendor whose `answersFor` does not cover `pkg:deb/debian/` answers
//! nothing.

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{assert_ok, copy_tree, debian, edit, root, stderr, stdout, Fixture};
use serde_json::Value;
use vouch_evidence::digest::sha256;

/// Debian's record of CVE-2023-45853 (zlib, Debian:12 unfixed).
const RECORD: &str = "DEBIAN-CVE-2023-45853";
/// The vendor's CSAF VEX file, as the policies name it (`os/` is the copy
/// of testdata/demo-os).
const CSAF: &str = "os/vex/debian/cve-2023-45853.json";

/// The demo's image, made as scripts/demo.sh makes it: the tar of
/// testdata/demo-os/rootfs as the one uncompressed layer of an image
/// tagged `v1` in the `oci:` layout `dir/layout`. Returns the reference.
fn demo_image(dir: &Path) -> String {
    let tar = Command::new("tar")
        .args(["--sort=name", "--mtime=@0", "--owner=0", "--group=0"])
        .arg("--numeric-owner")
        .arg("-C")
        .arg(root().join("testdata/demo-os/rootfs"))
        .args(["-cf", "-", "usr/lib/os-release", "var/lib/dpkg/status"])
        .output()
        .unwrap();
    assert!(tar.status.success(), "{tar:?}");
    let layout = dir.join("layout");
    let blobs = layout.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> (String, usize) {
        let hex = sha256(bytes).hex();
        fs::write(blobs.join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let (layer, layer_size) = put(&tar.stdout);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer]},
    });
    let (config, config_size) = put(&serde_json::to_vec(&config).unwrap());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer, "size": layer_size}],
    });
    let (manifest, manifest_size) = put(&serde_json::to_vec(&manifest).unwrap());
    fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest, "size": manifest_size,
                       "annotations": {"org.opencontainers.image.ref.name": "v1"}}],
    });
    fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
    format!("oci:{}:v1", layout.display())
}

/// The demo's directory: the project, `ci.key`, the demo image, and `os/`
/// as the demo copies it (the policies, the vendor's key and VEX, Debian's
/// record in `os/osv/`, `ci.pub`); not attested yet.
fn demo() -> Fixture {
    let f = Fixture::new().with_project().with_key("ci");
    let os = f.dir().join("os");
    copy_tree(&root().join("testdata/demo-os"), &os);
    fs::create_dir(os.join("osv")).unwrap();
    let record = format!("{RECORD}.json");
    fs::copy(
        root().join("testdata/osv-debian-image").join(&record),
        os.join("osv").join(&record),
    )
    .unwrap();
    fs::copy(f.dir().join("ci.pub"), os.join("ci.pub")).unwrap();
    let image = demo_image(f.dir());
    f.with_image(&image)
}

/// [`demo`] with the project and the image's OS packages attested.
fn attested() -> Fixture {
    let f = demo();
    assert_ok(&f.attest("ci.key", &["--os-packages"]));
    f
}

/// The one finding of a verdict or `vulns` JSON, which must be Debian's
/// zlib record in zlib1g.
fn zlib_finding(findings: &Value) -> &Value {
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f["id"], RECORD, "{f}");
    assert_eq!(f["input"]["name"], "zlib1g", "{f}");
    assert_eq!(f["input"]["critical"], true, "{f}");
    f
}

/// `vouch verify IMAGE --policy POLICY --output json`: the exit code and
/// the image's verdict.
fn verify(f: &Fixture, policy: &str) -> (Output, Value) {
    let (out, json) = f.verify(policy);
    let verdict = json["images"][0].clone();
    (out, verdict)
}

#[test]
fn sbom_of_the_demo_image_lists_the_status_files_installed_packages() {
    let f = demo();
    let out = f.run(["sbom", &f.image, "--format", "cyclonedx", "-o", "bom.json"]);
    assert_ok(&out);
    let bom: Value = serde_json::from_slice(&fs::read(f.dir().join("bom.json")).unwrap()).unwrap();
    let components = bom["components"].as_array().unwrap();
    let listed: BTreeSet<(String, String, String)> = components
        .iter()
        .map(|c| {
            let purl = c["purl"].as_str().unwrap();
            assert!(purl.starts_with("pkg:deb/debian/"), "{purl}");
            assert!(purl.contains("distro=debian-12"), "{purl}");
            let arch = purl
                .split(['?', '&'])
                .find_map(|q| q.strip_prefix("arch="))
                .unwrap();
            (
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap().to_string(),
                arch.to_string(),
            )
        })
        .collect();
    let admindir = root().join("testdata/demo-os/rootfs/var/lib/dpkg");
    let want: BTreeSet<(String, String, String)> = debian::installed(&admindir)
        .into_iter()
        .map(|p| (p.name, p.version, p.architecture))
        .collect();
    assert_eq!(want.len(), 6, "the status file's packages: {want:?}");
    assert_eq!(listed, want);
    assert_eq!(components.len(), listed.len(), "a package listed twice");
    // The vendor's CSAF names zlib1g by the purl vouch gives it.
    let zlib1g = components.iter().find(|c| c["name"] == "zlib1g").unwrap();
    let csaf =
        fs::read_to_string(root().join("testdata/demo-os/vex/debian/cve-2023-45853.json")).unwrap();
    let purl = zlib1g["purl"].as_str().unwrap();
    assert!(csaf.contains(&format!("\"purl\": \"{purl}\"")), "{purl}");
}

#[test]
fn the_debian_advisory_denies_until_the_vendors_signed_csaf_vex_answers_it() {
    let f = demo();
    // The image's own content: Debian's record reaches zlib1g (source
    // zlib), unanswered.
    let out = f.run(["vulns", &f.image, "--osv", "os/osv", "--output", "json"]);
    assert_ok(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = zlib_finding(&json["findings"]);
    assert_eq!(finding["input"]["os"]["from"], "image");
    assert_eq!(finding["input"]["os"]["sourceName"], "zlib");
    assert!(finding["answer"].is_null(), "{finding}");

    // Signed into the provenance, the finding denies under the gate.
    assert_ok(&f.attest("ci.key", &["--os-packages"]));
    let (out, verdict) = verify(&f, "os/policy.yaml");
    assert_eq!(out.status.code(), Some(1), "{verdict}");
    assert_eq!(verdict["verdict"], "deny", "{verdict}");
    let finding = zlib_finding(&verdict["findings"]);
    assert_eq!(finding["input"]["os"]["from"], "evidence");
    assert!(finding["answer"].is_null(), "{finding}");
    assert!(stderr(&out).contains(RECORD), "{}", stderr(&out));

    // With the vendor's VEX, the image is allowed, and the verdict says
    // which vendor statement answered and why.
    let (out, verdict) = verify(&f, "os/policy-vendor-vex.yaml");
    assert_eq!(out.status.code(), Some(0), "{verdict}");
    assert_eq!(verdict["verdict"], "allow", "{verdict}");
    let answer = &zlib_finding(&verdict["findings"])["answer"];
    assert_eq!(answer["status"], "not_affected", "{answer}");
    assert_eq!(answer["justification"], "vulnerable_code_not_present");
    assert_eq!(answer["vendor"], "demo-vendor");
    assert_eq!(answer["by"], "vendor VEX demo-vendor");
    assert_eq!(answer["document"], "CVE-2023-45853");
    assert_eq!(answer["file"], CSAF);
    assert!(answer["impact"].as_str().unwrap().contains("MiniZip"));

    // The tables show it too.
    let out = f.run(["verify", &f.image, "--policy", "os/policy-vendor-vex.yaml"]);
    assert_ok(&out);
    let table = stdout(&out);
    assert!(
        table.contains(&format!(
            "answered {RECORD} in zlib1g 1:1.2.13.dfsg-1+deb12u1 (deb): not_affected \
             (vulnerable_code_not_present) by vendor VEX demo-vendor in {CSAF}: zlib1g ships"
        )),
        "{table}"
    );
    let out = f.run(["vulns", &f.image, "--policy", "os/policy-vendor-vex.yaml"]);
    assert_ok(&out);
    let table = stdout(&out);
    assert!(
        table.contains(&format!(
            "not_affected (vulnerable_code_not_present) by vendor VEX demo-vendor in {CSAF}"
        )),
        "{table}"
    );
    assert!(
        table.contains("1 answered by trusted VEX, 0 unanswered"),
        "{table}"
    );
}

#[test]
fn regression_issue_15_a_vendor_answers_debians_record_by_the_upstream_cve() {
    // Debian's record is DEBIAN-CVE-2023-45853 and names its CVE only in
    // `upstream`; the vendor speaks of the CVE alone, as vendors do.
    // Neither is rewritten to meet the other: the finding keeps the
    // upstream id, and a statement about it answers.
    let record: Value = serde_json::from_slice(
        &fs::read(root().join(format!("testdata/osv-debian-image/{RECORD}.json"))).unwrap(),
    )
    .unwrap();
    assert!(record.get("aliases").is_none(), "{record}");
    assert_eq!(record["upstream"][0], "CVE-2023-45853");
    let csaf: Value = serde_json::from_slice(
        &fs::read(root().join("testdata/demo-os/vex/debian/cve-2023-45853.json")).unwrap(),
    )
    .unwrap();
    let vulnerabilities = csaf["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulnerabilities.len(), 1);
    assert_eq!(vulnerabilities[0]["cve"], "CVE-2023-45853");
    assert!(vulnerabilities[0].get("ids").is_none());

    let f = attested();
    let out = f.run([
        "vulns",
        &f.image,
        "--policy",
        "os/policy-vendor-vex.yaml",
        "--output",
        "json",
    ]);
    assert_ok(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = zlib_finding(&json["findings"]);
    assert_eq!(finding["upstream"], serde_json::json!(["CVE-2023-45853"]));
    assert_eq!(finding["answer"]["vendor"], "demo-vendor", "{finding}");
}

#[test]
fn a_vendor_csaf_signed_by_the_wrong_key_unsigned_or_changed_is_refused() {
    let f = attested();
    let signature = f.dir().join(format!("{CSAF}.asc"));
    let good = fs::read(&signature).unwrap();
    // Control: as committed, it verifies.
    let (out, _) = verify(&f, "os/policy-vendor-vex.yaml");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let refused = |needle: &str| {
        let (out, verdict) = verify(&f, "os/policy-vendor-vex.yaml");
        assert_eq!(out.status.code(), Some(2), "{verdict}");
        let err = stderr(&out);
        assert!(err.contains("vendorVex[0] (demo-vendor)"), "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    // Signed by another key.
    fs::copy(
        root().join("testdata/demo-os/wrong/cve-2023-45853.json.asc"),
        &signature,
    )
    .unwrap();
    refused(&format!(
        "{CSAF}.asc does not verify over the file's bytes with the named key"
    ));
    // Unsigned.
    fs::remove_file(&signature).unwrap();
    refused(&format!("{CSAF} has no signature"));
    // Changed after signing: the answer turned from affected to not
    // affected would be the attack; any byte will do.
    fs::write(&signature, &good).unwrap();
    edit(
        &f.dir().join(CSAF),
        "\"status\": \"final\"",
        "\"status\": \"interim\"",
    );
    refused(&format!(
        "{CSAF}.asc does not verify over the file's bytes with the named key"
    ));
}

#[test]
fn a_vendor_whose_answers_for_does_not_cover_debian_answers_nothing() {
    let f = attested();
    for (pattern, name) in [
        ("pkg:rpm/redhat/*", "redhat.yaml"),
        ("pkg:deb/ubuntu/*", "ubuntu.yaml"),
        ("pkg:deb/debian/libc6*", "libc6.yaml"),
    ] {
        let policy = f.dir().join("os").join(name);
        fs::copy(f.dir().join("os/policy-vendor-vex.yaml"), &policy).unwrap();
        edit(&policy, "pkg:deb/debian/*", pattern);
        let (out, verdict) = verify(&f, &format!("os/{name}"));
        assert_eq!(out.status.code(), Some(1), "{pattern}: {verdict}");
        assert_eq!(verdict["verdict"], "deny", "{pattern}: {verdict}");
        let finding = zlib_finding(&verdict["findings"]);
        assert!(finding["answer"].is_null(), "{pattern}: {finding}");
        // The vendor's statement is seen, and said to be out of its scope.
        let ignored = finding["ignoredVex"].to_string();
        assert!(
            ignored.contains("vendor VEX demo-vendor")
                && ignored.contains(&format!("is outside its answersFor ({pattern})")),
            "{pattern}: {ignored}"
        );
    }
}
