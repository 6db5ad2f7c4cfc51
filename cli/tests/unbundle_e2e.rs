//! Issue 16 end to end, through the real binary: a project unbundled
//! (`vouch unbundle --write`), built offline, attested into the real test
//! registry, then the provenance, both SBOMs, the policy gate, `diff`,
//! `report` and `vulns` read the swap back. On the hermetic archive built
//! at test time (common/archive.rs), with an authored vendored crate
//! `tinyz` (critical by the project's vouch.critical.yaml) that the archive
//! packages as librust-tinyz-dev 1.2.3-1 (source rust-tinyz, two Debian
//! patches); and on this machine's real Debian archive with the flate2
//! project of cli/tests/custody.rs.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::archive::{self, Archive, Package, Signer};
use common::registry::Registry;
use common::{
    assert_ok, bundle_of_referrer, root, s, statement_of, stdout, valid_cyclonedx, valid_spdx,
    Fixture,
};
use serde_json::Value;

use common::report::{dump_dom, section, text};
use common::unbundle::{cargo, flate2_debs, flate2_project, sha256_of, vendor_crate};

const PROVENANCE: &str = "https://slsa.dev/provenance/v1";
const CYCLONEDX: &str = "https://cyclonedx.org/bom/v1.6";
const SPDX: &str = "https://spdx.dev/Document/v2.3";
const PATCHES: [&str; 2] = ["fix-bounds.patch", "no-simd.patch"];
const TINYZ_DIR: &str = "/usr/share/cargo/registry/tinyz-1.2.3";
const FLATE2_PURL: &str = "pkg:deb/debian/librust-flate2-dev@1.0.25-1?arch=amd64&distro=debian-12";
const DEB_PURL: &str = "pkg:deb/debian/librust-tinyz-dev@1.2.3-1?arch=all&distro=debian-12";

/// The unbundling policy for this registry's images: provenance by `ci`,
/// every input matching, every critical input provided by the
/// distribution (`require`) or matching `approved`, as `critical` says.
fn policy(critical: &str) -> String {
    policy_with(critical, "")
}

/// [`policy`] with `spec` lines appended.
fn policy_with(critical: &str, spec: &str) -> String {
    format!(
        "apiVersion: vouch.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {{name: unbundle-e2e}}\n\
         spec:\n  images: [{{glob: \"**\"}}]\n  authorities:\n    - name: ci\n      \
         key: {{path: ci.pub}}\n  attestations:\n    - name: provenance\n      \
         predicateType: {PROVENANCE}\n      authorities: [ci]\n  vendoredInputs:\n    \
         requireMatch: true\n    critical: {critical}\n{spec}"
    )
}

/// Two builds of the authored project ([`swapped`]), attested into a real
/// registry with `ci.key` and both SBOMs: `vendored` (tinyz vendored) and
/// `unbundled`.
struct Builds {
    f: Fixture,
    archive: Archive,
    vendored: String,
    unbundled: String,
}

/// The authored project written into `f` (as its project), the hermetic
/// archive packaging tinyz, a copy of the project as vendored
/// (`vendored/`), then `vouch unbundle --write` of the project and its
/// offline build, which runs Debian's tinyz (whose answer is 42, the
/// vendored one's 1).
fn swapped(f: Fixture) -> (Fixture, Archive) {
    let f = f.with_project_from(|dir| {
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\ntinyz = \"1.2\"\n",
        )
        .unwrap();
        fs::write(
            dir.join("src/main.rs"),
            "fn main() {\n    println!(\"{}\", tinyz::answer());\n}\n",
        )
        .unwrap();
        fs::write(
            dir.join("vouch.critical.yaml"),
            "apiVersion: vouch.dev/v1alpha1\nkind: CriticalityRules\ninputs:\n  \
             - name: tinyz\n    reason: decompresses every upload\n",
        )
        .unwrap();
        fs::create_dir_all(dir.join(".cargo")).unwrap();
        fs::write(
            dir.join(".cargo/config.toml"),
            "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n\
             [source.vendored-sources]\ndirectory = \"vendor\"\n",
        )
        .unwrap();
        vendor_crate(dir, "tinyz", "1.2.3", "");
        assert_ok(
            &cargo()
                .args(["generate-lockfile", "--offline"])
                .current_dir(dir)
                .output()
                .unwrap(),
        );
    });
    let archive = archive::builder(&f.dir().join("archive"))
        .release(
            "deb.example.org_debian",
            "bookworm",
            Signer::Archive,
            vec![Package::rust_crate(
                "tinyz",
                "1.2.3",
                "[package]\nname = \"tinyz\"\nversion = \"1.2.3\"\nedition = \"2021\"\n",
                &PATCHES,
            )],
        )
        .build();
    common::copy_tree(&f.project, &f.dir().join("vendored"));
    let mut args = vec![
        "unbundle".to_string(),
        s(&f.project).to_string(),
        "--distro".into(),
        "debian".into(),
        "--write".into(),
    ];
    args.extend(archive.apt_args());
    assert_ok(&f.run(args));
    let out = cargo()
        .args(["run", "--offline", "--quiet"])
        .current_dir(&f.project)
        .env("CARGO_TARGET_DIR", f.dir().join("target"))
        .output()
        .unwrap();
    assert_ok(&out);
    assert_eq!(stdout(&out), "42\n");
    (f, archive)
}

/// [`swapped`] in a fixture with `ci.key` and a registry, both builds
/// attested with the archive's flags and both SBOMs.
fn builds() -> Builds {
    let (f, archive) = swapped(
        Fixture::new()
            .with_key("ci")
            .with_registry(Registry::plain()),
    );
    let apt = archive.apt_args();
    let attest = |tag: &str, dir: &Path| {
        f.registry().push_image("team/app", tag);
        let image = f.registry().reference("team/app", tag);
        let mut args = vec![
            "attest",
            s(dir),
            "--image",
            &image,
            "--key",
            "ci.key",
            "--sbom",
            "cyclonedx,spdx",
        ];
        args.extend(apt.iter().map(String::as_str));
        assert_ok(&f.run(args));
        image
    };
    let vendored = attest("vendored", &f.dir().join("vendored"));
    let unbundled = attest("unbundled", &f.project);
    Builds {
        f,
        archive,
        vendored,
        unbundled,
    }
}

/// The statements attached to `image` by predicate type, read from a
/// `vouch copy` of it into a layout.
fn statements(f: &Fixture, image: &str, tag: &str) -> Vec<(String, Value)> {
    let layout = f.dir().join("copies");
    let copy = format!("oci:{}:{tag}", layout.display());
    assert_ok(&f.run(["copy", image, &copy]));
    let tree = f.tree(&copy, &[]);
    tree["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "attestation")
        .map(|a| {
            let file = f.dir().join("bundle.json");
            let bundle = bundle_of_referrer(&layout, a["digest"].as_str().unwrap(), &file);
            (
                a["predicateType"].as_str().unwrap().to_string(),
                statement_of(&bundle)["predicate"].clone(),
            )
        })
        .collect()
}

/// `sha256sum FILE`, as `sha256:<hex>`.
fn sha256sum(path: &Path) -> String {
    format!("sha256:{}", sha256_of(path))
}

/// `vouch verify IMAGE --policy policy.yaml --output json` with `yaml` as
/// the policy.
fn verify(f: &Fixture, image: &str, yaml: &str) -> (Output, Value) {
    fs::write(f.dir().join("policy.yaml"), yaml).unwrap();
    let out = f.run([
        "verify",
        image,
        "--policy",
        "policy.yaml",
        "--output",
        "json",
    ]);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, json)
}

#[test]
fn hermetic_the_swap_is_carried_by_provenance_sboms_gate_diff_and_report() {
    let b = builds();
    let f = &b.f;
    let archive = &b.archive;
    let in_release = archive
        .lists
        .join("deb.example.org_debian_dists_bookworm_InRelease");
    let index = archive
        .lists
        .join("deb.example.org_debian_dists_bookworm_main_binary-amd64_Packages");
    let deb = archive.debs.join("librust-tinyz-dev_1.2.3-1_all.deb");

    let unbundled = statements(f, &b.unbundled, "unbundled");
    let mut types: Vec<&str> = unbundled.iter().map(|(t, _)| t.as_str()).collect();
    types.sort();
    assert_eq!(types, [CYCLONEDX, PROVENANCE, SPDX]);
    let predicate = |t: &str| &unbundled.iter().find(|(k, _)| k == t).unwrap().1;

    // The provenance: the distribution annotations are the archive's facts.
    let deps = predicate(PROVENANCE)["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    let tinyz = deps.iter().find(|d| d["name"] == "tinyz").unwrap();
    let a = &tinyz["annotations"];
    assert_eq!(a["critical"], true, "{tinyz:#}");
    assert_eq!(a["match"], "match", "{tinyz:#}");
    assert_eq!(a["purl"], "pkg:cargo/tinyz@1.2.3");
    assert_eq!(a["distributionPurl"], DEB_PURL);
    assert_eq!(a["distributionSourceName"], "rust-tinyz");
    assert_eq!(a["distributionSourceVersion"], "1.2.3-1");
    assert_eq!(a["distributionDeb"], sha256sum(&deb));
    assert_eq!(a["observed"], sha256sum(&deb));
    assert_eq!(a["distributionRelease"], sha256sum(&in_release));
    assert_eq!(a["distributionPackages"], sha256sum(&index));
    // The signer as gpg reports it: the archive key's fingerprint.
    assert_eq!(a["distributionSigner"], archive.archive_key.as_str());
    assert_eq!(a["distributionPatches"], serde_json::json!(PATCHES));
    assert_eq!(a["distributionPath"], TINYZ_DIR);
    // The release date is the InRelease's Date.
    let released: jiff::Timestamp = a["distributionReleaseDate"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let signed = fs::read_to_string(&in_release).unwrap();
    assert!(
        signed.contains(&format!(
            "\nDate: {}\n",
            released.strftime("%a, %d %b %Y %H:%M:%S UTC")
        )),
        "{released} is not the Date of {signed}"
    );

    // The SBOMs pass their validators and show the pedigree: CycloneDX's
    // component is Debian's build, upstream its ancestor, Debian's patches
    // its patches; SPDX's Debian package is DESCENDANT_OF upstream's.
    let cdx_file = f.dir().join("bom.cdx.json");
    fs::write(&cdx_file, predicate(CYCLONEDX).to_string()).unwrap();
    valid_cyclonedx(&cdx_file);
    let spdx_file = f.dir().join("sbom.spdx.json");
    fs::write(&spdx_file, predicate(SPDX).to_string()).unwrap();
    valid_spdx(&spdx_file);
    let cdx = predicate(CYCLONEDX);
    let component = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purl"] == DEB_PURL)
        .unwrap_or_else(|| panic!("no {DEB_PURL} component in {cdx:#}"));
    assert_eq!(
        (&component["name"], &component["version"]),
        (&"librust-tinyz-dev".into(), &"1.2.3-1".into())
    );
    let ancestors = component["pedigree"]["ancestors"].as_array().unwrap();
    assert_eq!(ancestors.len(), 1, "{component:#}");
    assert_eq!(ancestors[0]["purl"], "pkg:cargo/tinyz@1.2.3");
    let patches: Vec<&str> = component["pedigree"]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["type"], "unofficial");
            p["diff"]["url"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        patches,
        PATCHES.map(|p| format!("debian/patches/{p}")),
        "{component:#}"
    );
    let spdx = predicate(SPDX);
    let spdx_id = |purl: &str| -> String {
        spdx["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| {
                p["externalRefs"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["referenceLocator"] == purl))
            })
            .unwrap_or_else(|| panic!("no package {purl} in {spdx:#}"))["SPDXID"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (debian, upstream) = (spdx_id(DEB_PURL), spdx_id("pkg:cargo/tinyz@1.2.3"));
    assert!(
        spdx["relationships"].as_array().unwrap().iter().any(|r| {
            r["spdxElementId"] == debian.as_str()
                && r["relationshipType"] == "DESCENDANT_OF"
                && r["relatedSpdxElement"] == upstream.as_str()
        }),
        "{:#}",
        spdx["relationships"]
    );

    // The gate: require: distribution allows the unbundled build and denies
    // the vendored one, naming tinyz.
    let require = policy("{require: distribution}");
    assert_ok(&verify(f, &b.unbundled, &require).0);
    let (out, verdict) = verify(f, &b.vendored, &require);
    assert_eq!(out.status.code(), Some(1), "{verdict:#}");
    assert_eq!(
        verdict["images"][0]["denials"],
        serde_json::json!([
            "policy unbundle-e2e: vendoredInputs: critical input tinyz 1.2.3 (cargo) is \
             vendored, not provided by the distribution"
        ])
    );
    // approved with distribution: debian: the same split.
    let approved = policy("{approved: [{name: tinyz, distribution: debian}]}");
    assert_ok(&verify(f, &b.unbundled, &approved).0);
    let (out, verdict) = verify(f, &b.vendored, &approved);
    assert_eq!(out.status.code(), Some(1), "{verdict:#}");
    let denials = verdict["images"][0]["denials"].to_string();
    assert!(
        denials.contains("critical input tinyz 1.2.3 (cargo) (observed dirHash:")
            && denials.contains("is not on the approved list"),
        "{denials}"
    );

    // diff vendored -> unbundled: the swap, and nothing else.
    let diff = |output: &str| {
        let out = f.run([
            "diff",
            &b.vendored,
            &b.unbundled,
            "--key",
            "ci.pub",
            "--output",
            output,
        ]);
        assert_ok(&out);
        stdout(&out)
    };
    let table = diff("table");
    assert!(
        table.contains(
            "Distribution swaps (1)\n  unbundled tinyz 1.2.3 (cargo): vendored -> \
             librust-tinyz-dev 1.2.3-1 [critical]\n"
        ),
        "{table}"
    );
    let json: Value = serde_json::from_str(&diff("json")).unwrap();
    let swaps = json["swaps"].as_array().unwrap();
    assert_eq!(swaps.len(), 1, "{json:#}");
    assert_eq!(swaps[0]["kind"], "unbundled");
    assert_eq!(swaps[0]["old"]["name"], "tinyz");
    assert!(swaps[0]["old"]["distribution"].is_null(), "{json:#}");
    assert_eq!(swaps[0]["new"]["distribution"]["purl"], DEB_PURL);
    assert_eq!(swaps[0]["new"]["distribution"]["deb"], sha256sum(&deb));
    for unchanged in ["added", "removed", "changed", "rehashed"] {
        assert_eq!(
            json[unchanged],
            serde_json::json!([]),
            "{unchanged}: {json:#}"
        );
    }

    // The report's page, rendered by Chromium, names the distribution's
    // build of tinyz with its chain's facts.
    fs::write(f.dir().join("policy.yaml"), &require).unwrap();
    let out = f.run([
        "report",
        &b.unbundled,
        "--policy",
        "policy.yaml",
        "--diff",
        &b.vendored,
        "-o",
        "report.html",
    ]);
    assert_ok(&out);
    let dom = dump_dom(&f.dir().join("report.html"), &[]);
    let inputs = text(section(&dom, "inputs"));
    assert!(
        inputs.contains("1 provided by the distribution"),
        "{inputs}"
    );
    for fact in [
        format!("provided by librust-tinyz-dev 1.2.3-1 ( {DEB_PURL} ), source rust-tinyz 1.2.3-1"),
        format!("signed by {} ;", archive.archive_key),
        "patches: fix-bounds.patch no-simd.patch".to_string(),
    ] {
        assert!(inputs.contains(&fact), "{fact:?} not in {inputs}");
    }
    // With --diff from the vendored build: the swap, vendored -> Debian's.
    let diff = text(section(&dom, "diff"));
    assert!(
        diff.contains("unbundled tinyz 1.2.3 vendored librust-tinyz-dev 1.2.3-1 yes"),
        "{diff}"
    );
}

/// `osv/` in `f`'s directory, holding the records `ids` of
/// testdata/osv-unbundle (authored): RUSTSEC-0000-0001, upstream's record
/// affecting tinyz 1.2.3; DEBIAN-CVE-0000-0101, Debian's of the same flaw
/// in rust-tinyz, fixed in the installed 1.2.3-1; DEBIAN-CVE-0000-0102,
/// Debian's, not yet fixed.
fn osv(f: &Fixture, ids: &[&str]) {
    let dir = f.dir().join("osv");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).unwrap();
    for id in ids {
        let file = format!("{id}.json");
        fs::copy(
            root().join("testdata/osv-unbundle").join(&file),
            dir.join(&file),
        )
        .unwrap();
    }
}

/// `vouch vulns TARGET --output json EXTRA...` in `f`, which must
/// succeed: the (id, input name) of each finding, sorted.
fn vulns(f: &Fixture, target: &str, extra: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["vulns", target, "--output", "json"];
    args.extend_from_slice(extra);
    let out = f.run(args);
    assert_ok(&out);
    common::finding_pairs(&serde_json::from_slice(&out.stdout).unwrap())
}

/// One finding of `id` in tinyz.
fn in_tinyz(id: &str) -> Vec<(String, String)> {
    vec![(id.to_string(), "tinyz".to_string())]
}

const ALL_RECORDS: [&str; 3] = [
    "RUSTSEC-0000-0001",
    "DEBIAN-CVE-0000-0101",
    "DEBIAN-CVE-0000-0102",
];

#[test]
fn hermetic_vulns_judge_the_unbundled_input_by_debians_records_not_upstreams() {
    let b = builds();
    let f = &b.f;
    fs::write(
        f.dir().join("policy.yaml"),
        policy_with(
            "{require: distribution}",
            "  vulnerabilities:\n    osv: osv\n    critical: deny\n    normal: warn\n",
        ),
    )
    .unwrap();
    let policy = ["--policy", "policy.yaml"];
    // Upstream's record and Debian's, fixed in the installed revision: the
    // vendored build has upstream's, the unbundled one neither.
    osv(f, &ALL_RECORDS[..2]);
    assert_eq!(
        vulns(f, &b.vendored, &policy),
        in_tinyz("RUSTSEC-0000-0001")
    );
    assert_eq!(vulns(f, &b.unbundled, &policy), []);
    assert_ok(&verify_with(f, &b.unbundled).0);
    // The upgrade to the unbundled build fixes upstream's finding, says
    // `vouch diff`.
    let out = f.run([
        "diff",
        &b.vendored,
        &b.unbundled,
        "--policy",
        "policy.yaml",
        "--output",
        "json",
    ]);
    assert_ok(&out);
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        common::finding_pairs(&serde_json::json!({"findings": diff["fixed"]})),
        in_tinyz("RUSTSEC-0000-0001")
    );
    assert_eq!(diff["introduced"], serde_json::json!([]), "{diff:#}");
    // Debian's record not yet fixed: the unbundled build has it.
    osv(f, &ALL_RECORDS);
    assert_eq!(
        vulns(f, &b.unbundled, &policy),
        in_tinyz("DEBIAN-CVE-0000-0102")
    );
    assert_eq!(
        vulns(f, &b.vendored, &policy),
        in_tinyz("RUSTSEC-0000-0001")
    );
    // The gate denies it: unanswered in a critical input.
    let (out, verdict) = verify_with(f, &b.unbundled);
    assert_eq!(out.status.code(), Some(1), "{verdict:#}");
    assert!(
        verdict["images"][0]["denials"]
            .to_string()
            .contains("DEBIAN-CVE-0000-0102"),
        "{verdict:#}"
    );
}

#[test]
fn regression_issue_16_vulns_of_an_unbundled_directory_match_it_as_debians_package() {
    // `vouch vulns DIR` read the inputs without their chain of custody:
    // an unbundled crate was matched by upstream's records, as if
    // vendored, while its attested image is matched by Debian's.
    let (f, archive) = swapped(Fixture::new());
    let apt = archive.apt_args();
    let mut extra = vec!["--osv", "osv"];
    extra.extend(apt.iter().map(String::as_str));
    let (project, vendored) = (s(&f.project), f.dir().join("vendored"));
    osv(&f, &ALL_RECORDS[..2]);
    assert_eq!(
        vulns(&f, s(&vendored), &extra),
        in_tinyz("RUSTSEC-0000-0001")
    );
    assert_eq!(vulns(&f, project, &extra), []);
    osv(&f, &ALL_RECORDS);
    assert_eq!(vulns(&f, project, &extra), in_tinyz("DEBIAN-CVE-0000-0102"));
}

/// `vouch verify IMAGE --policy policy.yaml --output json` with the
/// policy already there.
fn verify_with(f: &Fixture, image: &str) -> (Output, Value) {
    let yaml = fs::read_to_string(f.dir().join("policy.yaml")).unwrap();
    verify(f, image, &yaml)
}

#[test]
fn real_debian_flate2_unbundled_is_allowed_under_require_distribution_and_its_sbom_names_debian() {
    let project = flate2_project();
    let debs = flate2_debs();
    let f = Fixture::new()
        .with_key("ci")
        .with_registry(Registry::plain())
        .with_registry_image("team/flate2", "unbundled");
    assert_ok(&f.run([
        "attest",
        s(project),
        "--image",
        &f.image,
        "--key",
        "ci.key",
        "--debs",
        s(&debs),
    ]));
    // flate2 and miniz_oxide are critical (compression), both Debian's.
    let (out, verdict) = verify(&f, &f.image, &policy("{require: distribution}"));
    assert_ok(&out);
    let inputs = verdict["images"][0]["inputs"].as_array().unwrap();
    let critical: Vec<(&str, &str)> = inputs
        .iter()
        .filter(|i| i["critical"] == true)
        .map(|i| {
            (
                i["name"].as_str().unwrap(),
                i["distribution"]["purl"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        critical,
        [
            ("flate2", FLATE2_PURL),
            (
                "miniz_oxide",
                "pkg:deb/debian/librust-miniz-oxide-dev@0.6.2-1?arch=amd64&distro=debian-12"
            )
        ],
        "{verdict:#}"
    );
    // The control: the same project with its crates vendored (the patch
    // dropped, Cargo re-locking onto the vendored sources) is denied,
    // naming both critical inputs.
    let vendored = f.dir().join("vendored");
    common::copy_tree(project, &vendored);
    let config = vendored.join(".cargo/config.toml");
    let text = fs::read_to_string(&config).unwrap();
    fs::write(&config, &text[..text.find("[patch.crates-io]").unwrap()]).unwrap();
    assert_ok(
        &cargo()
            .args(["generate-lockfile", "--offline", "--quiet"])
            .current_dir(&vendored)
            .output()
            .unwrap(),
    );
    let image = f.registry().reference("team/flate2", "vendored");
    f.registry().push_image("team/flate2", "vendored");
    assert_ok(&f.run([
        "attest",
        s(&vendored),
        "--image",
        &image,
        "--key",
        "ci.key",
        "--debs",
        s(&debs),
    ]));
    let (out, verdict) = verify(&f, &image, &policy("{require: distribution}"));
    assert_eq!(out.status.code(), Some(1), "{verdict:#}");
    let denials = verdict["images"][0]["denials"].to_string();
    for name in ["flate2 1.0.25", "miniz_oxide 0.6.2"] {
        assert!(
            denials.contains(&format!(
                "critical input {name} (cargo) is vendored, not provided by the distribution"
            )),
            "{denials}"
        );
    }

    let out = f.run([
        "sbom",
        s(project),
        "--format",
        "cyclonedx",
        "--debs",
        s(&debs),
        "-o",
        "flate2.cdx.json",
    ]);
    assert_ok(&out);
    let file = f.dir().join("flate2.cdx.json");
    valid_cyclonedx(&file);
    let bom = common::read_json(&file);
    let flate2 = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purl"] == FLATE2_PURL)
        .unwrap_or_else(|| panic!("no {FLATE2_PURL} in {bom:#}"));
    assert_eq!(
        flate2["pedigree"]["ancestors"],
        serde_json::json!([{
            "type": "library",
            "name": "flate2",
            "version": "1.0.25",
            "purl": "pkg:cargo/flate2@1.0.25",
            "externalReferences": [
                {"type": "distribution", "url": "https://crates.io/crates/flate2/1.0.25"}
            ]
        }]),
        "{flate2:#}"
    );
    // Debian's patches of flate2, as its series names them.
    assert!(
        flate2["pedigree"]["patches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["diff"]["url"] == "debian/patches/disable-zlib-ng.patch"),
        "{flate2:#}"
    );
}
