//! `vouch inputs` and `vouch sbom` on a real Bazel-module project
//! (testdata/projects/bzlmod-examples: aspect-build/bazel-examples'
//! `MODULE.bazel`, `MODULE.bazel.lock` and extension lockfiles, with the
//! Bazel Central Registry files its lockfile names). What is expected is
//! computed here from the lockfile, the registry files, `go.mod` and the
//! requirements lock, independently of vouch.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use base64::Engine;
use common::{
    assert_fails_with, assert_ok, by_name, copy_tree, inputs_json, mismatched, oracle_script,
    read_json, root, run_vouch, tempdir, venv_bin,
};
use serde_json::Value;
use vouch_evidence::digest::sha256;

const PROJECT: &str = "testdata/projects/bzlmod-examples";
const MIRROR: &str = "registry-mirror/bcr.bazel.build";

/// A fresh copy of the project, in `<tempdir>/p`.
fn project() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempdir();
    let d = dir.path().join("p");
    copy_tree(&root().join(PROJECT), &d);
    (dir, d)
}

/// The lockfile's registry file hashes.
fn registry_hashes(d: &Path) -> BTreeMap<String, String> {
    let lock = read_json(&d.join("MODULE.bazel.lock"));
    lock["registryFileHashes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

/// name -> (version, integrity): the modules Bazel selected, as the
/// lockfile records them (the `source.json` of each, and only those), with
/// the integrity their registry file declares.
fn selected(d: &Path) -> BTreeMap<String, (String, String)> {
    registry_hashes(d)
        .keys()
        .filter_map(|url| {
            let rest = url.strip_prefix("https://bcr.bazel.build/modules/")?;
            let mut parts = rest.split('/');
            let (name, version, file) = (parts.next()?, parts.next()?, parts.next()?);
            (file == "source.json").then(|| {
                let source = read_json(&d.join(MIRROR).join(format!("modules/{rest}")));
                let integrity = source["integrity"].as_str().unwrap().to_string();
                (name.to_string(), (version.to_string(), integrity))
            })
        })
        .collect()
}

/// The bazel modules among the inputs (purl type `bazel`).
fn modules(inputs: &[Value]) -> Vec<&Value> {
    inputs
        .iter()
        .filter(|i| i["purl"].as_str().unwrap().starts_with("pkg:bazel/"))
        .collect()
}

/// Rewrites a registry file and records its new hash in the lockfile, as a
/// registry that really served it would have made Bazel do.
fn rewrite_registry_file(d: &Path, rest: &str, text: &str) {
    fs::write(d.join(MIRROR).join(rest), text).unwrap();
    let lock_path = d.join("MODULE.bazel.lock");
    let mut lock = read_json(&lock_path);
    lock["registryFileHashes"][format!("https://bcr.bazel.build/{rest}")] =
        Value::String(sha256(text.as_bytes()).hex());
    fs::write(lock_path, serde_json::to_vec_pretty(&lock).unwrap()).unwrap();
}

fn sri(bytes: &[u8]) -> String {
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(sha256(bytes).0)
    )
}

#[test]
fn every_module_of_the_resolved_graph_and_every_extension_pin_is_listed() {
    let (_dir, d) = project();
    // The committed registry files are those the lockfile vouches for.
    for (url, hash) in registry_hashes(&d) {
        let path = d
            .join(MIRROR)
            .join(url.strip_prefix("https://bcr.bazel.build/").unwrap());
        assert_eq!(sha256(&fs::read(&path).unwrap()).hex(), hash, "{url}");
    }

    let inputs = inputs_json(&d);
    let expected = selected(&d);
    assert_eq!(expected.len(), 43);
    let listed = modules(&inputs);
    assert_eq!(listed.len(), expected.len(), "{listed:#?}");
    for module in &listed {
        let name = module["name"].as_str().unwrap();
        let (version, integrity) = &expected[name];
        assert_eq!(module["version"], *version, "{name}");
        assert_eq!(module["declared"], *integrity, "{name}");
        assert_eq!(module["ecosystem"], "bazel");
        assert_eq!(module["purl"], format!("pkg:bazel/{name}@{version}"));
        assert_eq!(module["match"]["status"], "not-vendored", "{name}");
        let source = read_json(
            &d.join(MIRROR)
                .join(format!("modules/{name}/{version}/source.json")),
        );
        assert_eq!(module["uri"], source["url"], "{name}");
    }
    // A module with registry patches lists them, as mirrored files.
    let zlib = by_name(&inputs, "zlib");
    assert_eq!(zlib["version"], "1.3.1.bcr.3");
    let patches: Vec<&str> = zlib["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        patches,
        [
            format!("{MIRROR}/modules/zlib/1.3.1.bcr.3/patches/add_build_file.patch"),
            format!("{MIRROR}/modules/zlib/1.3.1.bcr.3/patches/module_dot_bazel.patch"),
        ]
    );

    // go_deps.from_file(go_mod = "//:go.mod"): every require, with its h1.
    let go_mod = fs::read_to_string(d.join("go.mod")).unwrap();
    let go_sum = fs::read_to_string(d.join("go.sum")).unwrap();
    let requires: Vec<(&str, &str)> = go_mod
        .lines()
        .map(str::trim)
        .filter(|l| l.contains(" v") && !l.starts_with("go ") && !l.starts_with("module"))
        .map(|l| {
            let l = l.strip_prefix("require ").unwrap_or(l);
            let mut w = l.split_whitespace();
            (w.next().unwrap(), w.next().unwrap())
        })
        .collect();
    let go: Vec<&Value> = inputs.iter().filter(|i| i["ecosystem"] == "go").collect();
    assert_eq!(go.len(), requires.len());
    assert_eq!(go.len(), 7);
    for (path, version) in requires {
        let input = by_name(&inputs, path);
        let h1 = go_sum
            .lines()
            .find_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w[0] == path && w[1] == version).then(|| w[2].to_string())
            })
            .unwrap();
        assert_eq!(input["version"], version);
        assert_eq!(input["declared"], h1);
    }

    // pip.parse(requirements_lock = "//requirements:all.txt").
    let lock = fs::read_to_string(d.join("requirements/all.txt")).unwrap();
    let pinned: BTreeSet<(String, String)> = lock
        .lines()
        .filter(|l| l.contains("==") && !l.starts_with('#'))
        .map(|l| {
            let (name, rest) = l.split_once("==").unwrap();
            let version = rest.split_whitespace().next().unwrap();
            (name.trim().to_lowercase(), version.to_string())
        })
        .collect();
    let pip: BTreeSet<(String, String)> = inputs
        .iter()
        .filter(|i| i["ecosystem"] == "pip")
        .map(|i| {
            assert!(
                i["declared"].as_str().unwrap().starts_with("sha256:"),
                "{i}"
            );
            (
                i["name"].as_str().unwrap().to_string(),
                i["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(pip, pinned);
    assert_eq!(pip.len(), 12);

    // The use_repo_rule http_archive is there too, as before.
    let pmd = by_name(&inputs, "net_sourceforge_pmd");
    assert_eq!(
        pmd["declared"],
        "sha256:21acf96d43cb40d591cacccc1c20a66fc796eaddf69ea61812594447bac7a11d"
    );
    assert!(mismatched(&inputs).is_empty(), "{:#?}", mismatched(&inputs));
    assert_ok(&run_vouch(&d, "inputs ."));
}

#[test]
fn a_tampered_source_json_is_a_mismatch_naming_it_issue_18() {
    let (_dir, d) = project();
    let rest = "modules/rules_go/0.48.0/source.json";
    let path = d.join(MIRROR).join(rest);
    let text = fs::read_to_string(&path).unwrap();
    let honest = read_json(&path)["integrity"].as_str().unwrap().to_string();
    let forged = sri(b"attacker's archive");
    fs::write(&path, text.replace(&honest, &forged)).unwrap();

    let out = run_vouch(&d, "inputs .");
    assert!(!out.status.success());
    let inputs = inputs_json(&d);
    let rules_go = by_name(&inputs, "rules_go");
    let reason = rules_go["match"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("registry file {MIRROR}/{rest} has sha256"))
            && reason.contains("vouch does not trust it"),
        "{reason}"
    );
    // The forged integrity is not what is declared.
    assert_ne!(rules_go["declared"], forged);
    assert_eq!(mismatched(&inputs).len(), 1);
}

#[test]
fn a_tampered_module_file_stops_discovery_issue_18() {
    let (_dir, d) = project();
    // A registry MODULE.bazel that drops a dependency would change the graph.
    let rest = "modules/rules_go/0.48.0/MODULE.bazel";
    let path = d.join(MIRROR).join(rest);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, format!("{text}\n# changed\n")).unwrap();
    assert_fails_with(
        &run_vouch(&d, "inputs ."),
        &format!("registry file {MIRROR}/{rest} has sha256"),
    );
}

#[test]
fn archives_in_a_repository_cache_or_distdir_are_checked() {
    let (_dir, d) = project();
    // The registry says rules_go is this archive (and the lockfile records
    // that source.json), so the cached archive matches; a flipped byte
    // does not.
    let archive = b"rules_go archive bytes".to_vec();
    let rest = "modules/rules_go/0.48.0/source.json";
    let mut source = read_json(&d.join(MIRROR).join(rest));
    source["integrity"] = Value::String(sri(&archive));
    rewrite_registry_file(&d, rest, &serde_json::to_string_pretty(&source).unwrap());
    let hex = sha256(&archive).hex();
    let cached = format!("cache/content_addressable/sha256/{hex}/file");
    fs::create_dir_all(d.join(&cached).parent().unwrap()).unwrap();
    fs::write(d.join(&cached), &archive).unwrap();
    fs::write(
        d.join(".bazelrc"),
        "common --repository_cache=%workspace%/cache\n",
    )
    .unwrap();

    let inputs = inputs_json(&d);
    let rules_go = by_name(&inputs, "rules_go");
    assert_eq!(rules_go["match"]["status"], "match", "{rules_go}");
    assert_eq!(rules_go["observed"], format!("sha256:{hex}"));
    assert_eq!(rules_go["path"], cached);

    let mut flipped = archive.clone();
    flipped[0] ^= 1;
    fs::write(d.join(&cached), &flipped).unwrap();
    let inputs = inputs_json(&d);
    let reason = by_name(&inputs, "rules_go")["match"]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.starts_with(&format!(
            "archive {cached} has sha256 {}",
            sha256(&flipped).hex()
        )),
        "{reason}"
    );
    assert!(!run_vouch(&d, "inputs .").status.success());
}

#[test]
fn an_archive_override_with_a_wrong_integrity_is_caught() {
    let (_dir, d) = project();
    let archive = b"stardoc fork".to_vec();
    let module = fs::read_to_string(d.join("MODULE.bazel")).unwrap();
    fs::write(
        d.join("MODULE.bazel"),
        format!(
            "{module}\narchive_override(\n    module_name = \"stardoc\",\n    integrity = \"{}\",\n    \
             urls = [\"https://example.com/stardoc-fork.tar.gz\"],\n    patches = [\"//:stardoc.patch\"],\n)\n",
            sri(b"what the author pinned")
        ),
    )
    .unwrap();
    fs::create_dir_all(d.join("distdir")).unwrap();
    fs::write(d.join("distdir/stardoc-fork.tar.gz"), &archive).unwrap();

    let inputs = inputs_json(&d);
    let stardoc = by_name(&inputs, "stardoc");
    let reason = stardoc["match"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "archive distdir/stardoc-fork.tar.gz has sha256 {}",
            sha256(&archive).hex()
        )) && reason.contains("MODULE.bazel:"),
        "{reason}"
    );
    assert_eq!(stardoc["patches"], serde_json::json!(["stardoc.patch"]));
    assert!(stardoc["purl"]
        .as_str()
        .unwrap()
        .contains("download_url=https://example.com/stardoc-fork.tar.gz"));
    // Still one stardoc: the override replaces the registry module.
    assert_eq!(inputs.iter().filter(|i| i["name"] == "stardoc").count(), 1);
}

#[test]
fn includes_leaving_the_project_are_refused_issue_18() {
    let (dir, d) = project();
    let module = fs::read_to_string(d.join("MODULE.bazel")).unwrap();
    fs::write(
        dir.path().join("outside.MODULE.bazel"),
        "bazel_dep(name = \"evil\", version = \"1.0\")\n",
    )
    .unwrap();
    fs::write(
        d.join("MODULE.bazel"),
        format!("{module}\ninclude(\"//..:outside.MODULE.bazel\")\n"),
    )
    .unwrap();
    assert_fails_with(&run_vouch(&d, "inputs ."), "leaves the project");
    // Through a symlink inside the project: refused when read.
    std::os::unix::fs::symlink(
        dir.path().join("outside.MODULE.bazel"),
        d.join("deps.MODULE.bazel"),
    )
    .unwrap();
    fs::write(
        d.join("MODULE.bazel"),
        format!("{module}\ninclude(\"//:deps.MODULE.bazel\")\n"),
    )
    .unwrap();
    assert_fails_with(&run_vouch(&d, "inputs ."), "outside the project");
}

#[test]
fn sboms_of_the_bzlmod_project_validate() {
    let (_dir, d) = project();
    assert_ok(&run_vouch(&d, "sbom . --format cyclonedx -o bom.cdx.json"));
    let oracle = oracle_script("sbom_validate.py")
        .arg(d.join("bom.cdx.json"))
        .output()
        .unwrap();
    assert_ok(&oracle);
    assert_eq!(String::from_utf8_lossy(&oracle.stdout).trim(), "valid");
    let bom = read_json(&d.join("bom.cdx.json"));
    let purls: BTreeSet<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert!(purls.contains("pkg:bazel/rules_go@0.48.0"), "{purls:?}");
    assert!(
        purls.contains("pkg:golang/google.golang.org/grpc@v1.58.2"),
        "{purls:?}"
    );
    assert!(purls.contains("pkg:pypi/requests@2.32.3"), "{purls:?}");

    assert_ok(&run_vouch(&d, "sbom . --format spdx -o sbom.spdx.json"));
    assert_ok(
        &venv_bin("pyspdxtools")
            .arg("-i")
            .arg(d.join("sbom.spdx.json"))
            .output()
            .unwrap(),
    );
    let doc = read_json(&d.join("sbom.spdx.json"));
    // The project, 43 modules, the http_archive, 7 Go modules, 12 pip.
    assert_eq!(
        doc["packages"].as_array().unwrap().len(),
        1 + 43 + 1 + 7 + 12
    );
}

#[test]
fn a_large_recent_lockfile_with_overrides_and_repository_rules() {
    let dir = tempdir();
    let d = dir.path().join("p");
    copy_tree(&root().join("testdata/projects/bzlmod-engflow"), &d);
    for (url, hash) in registry_hashes(&d) {
        let path = d
            .join(MIRROR)
            .join(url.strip_prefix("https://bcr.bazel.build/").unwrap());
        assert_eq!(sha256(&fs::read(&path).unwrap()).hex(), hash, "{url}");
    }
    assert_eq!(
        read_json(&d.join("MODULE.bazel.lock"))["lockFileVersion"],
        26
    );

    let inputs = inputs_json(&d);
    let expected = selected(&d);
    assert_eq!(expected.len(), 81);
    let listed = modules(&inputs);
    assert_eq!(listed.len(), expected.len());
    for module in &listed {
        let name = module["name"].as_str().unwrap();
        let (version, integrity) = &expected[name];
        assert_eq!(module["version"], *version, "{name}");
        assert_eq!(module["declared"], *integrity, "{name}");
    }
    // single_version_override(module_name = "googleapis", patches = [...]):
    // the root's patch after the registry's.
    let googleapis = by_name(&inputs, "googleapis");
    let patches = googleapis["patches"].as_array().unwrap();
    assert_eq!(patches.last().unwrap(), "googleapis-loads.patch");
    assert!(patches.contains(&Value::String(format!(
        "{MIRROR}/modules/googleapis/0.0.0-20260525-ef19b7b7/patches/module_dot_bazel.patch"
    ))));
    // http_file through use_repo_rule is a pin as before.
    let emacs = by_name(&inputs, "emacs");
    assert_eq!(
        emacs["declared"],
        "sha256:1439bf7f24e5769f35601dbf332e74dfc07634da6b1e9500af67188a92340a28"
    );
    // The http_archive of abseil-py 2.1.0 is the abseil-py module's archive
    // (the same SHA-256): listed once, as the module.
    assert!(inputs.iter().all(|i| i["name"] != "io_abseil_py"));
    let abseil_py = by_name(&inputs, "abseil-py");
    let hex = "8a3d0830e4eb4f66c4fa907c06edf6ce1c719ced811a12e26d9d3162f8471758";
    let declared = abseil_py["declared"].as_str().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(declared.strip_prefix("sha256-").unwrap())
        .unwrap();
    let declared_hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(declared_hex, hex);
    // go_deps.from_file(go_mod = "//:go.mod") is the root go.mod: one input.
    let go_cmp: Vec<&Value> = inputs
        .iter()
        .filter(|i| i["name"] == "github.com/google/go-cmp")
        .collect();
    assert_eq!(go_cmp.len(), 1);
    assert!(mismatched(&inputs).is_empty(), "{:#?}", mismatched(&inputs));
}

#[test]
fn crates_pinned_by_the_crate_extension_are_listed_once() {
    let dir = tempdir();
    let d = dir.path().join("p");
    copy_tree(&root().join("testdata/projects/bzlmod-rules-rust"), &d);
    for (url, hash) in registry_hashes(&d) {
        let path = d
            .join(MIRROR)
            .join(url.strip_prefix("https://bcr.bazel.build/").unwrap());
        assert_eq!(sha256(&fs::read(&path).unwrap()).hex(), hash, "{url}");
    }
    let inputs = inputs_json(&d);
    let expected = selected(&d);
    assert_eq!(expected.len(), 24);
    let registry: Vec<&Value> = modules(&inputs)
        .into_iter()
        .filter(|m| m["name"] != "rules_rust")
        .collect();
    assert_eq!(registry.len(), expected.len());
    for module in &registry {
        let name = module["name"].as_str().unwrap();
        assert_eq!(module["version"], expected[name].0, "{name}");
        assert_eq!(module["declared"], expected[name].1, "{name}");
    }
    // rules_rust comes from `local_path_override(path = "../..")`: outside
    // the project, pinned by nothing.
    let rules_rust = by_name(&inputs, "rules_rust");
    assert!(rules_rust["match"]["reason"]
        .as_str()
        .unwrap()
        .contains("`local_path_override` takes ../.., outside the project"));
    assert_eq!(mismatched(&inputs).len(), 1);

    // The crates: Cargo.lock's registry crates, which the lockfile's crate
    // extension also records (with the same sha256): each listed once.
    let cargo_lock = fs::read_to_string(d.join("Cargo.lock")).unwrap();
    let locked: BTreeSet<(String, String, String)> = cargo_lock
        .split("[[package]]")
        .filter(|p| p.contains("source = \"registry+"))
        .map(|p| {
            let field = |k: &str| {
                p.lines()
                    .find_map(|l| l.strip_prefix(&format!("{k} = \"")))
                    .unwrap()
                    .trim_end_matches('"')
                    .to_string()
            };
            (field("name"), field("version"), field("checksum"))
        })
        .collect();
    let lock = read_json(&d.join("MODULE.bazel.lock"));
    let recorded = lock["moduleExtensions"]["@@rules_rust+//crate_universe:extensions.bzl%crate"]
        ["general"]["generatedRepoSpecs"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s["attributes"]["sha256"].as_str())
        .count();
    assert_eq!(recorded, locked.len());
    let crates: BTreeSet<(String, String, String)> = inputs
        .iter()
        .filter(|i| i["ecosystem"] == "cargo")
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_string(),
                i["version"].as_str().unwrap().to_string(),
                i["declared"]
                    .as_str()
                    .unwrap()
                    .strip_prefix("sha256:")
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(crates, locked);
    assert_eq!(
        inputs.iter().filter(|i| i["ecosystem"] == "cargo").count(),
        locked.len()
    );
}
