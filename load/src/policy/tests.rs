//! Loading policies from files: directories, what is read and stamped,
//! the files policies name, the shipped policies.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use vouch_verify::policy::{AttestationRequirement, Mode};

use super::*;
use crate::SourceKind;

/// The shipped policies' key, written beside the test policies.
const KEY_PEM: &str = include_str!("../../../policies/keys/ci.pub");

/// A policy whose authority's key is `keys/ci.pub`, beside it.
const POLICY: &str = r#"apiVersion: vouch.dev/v1alpha1
kind: ImagePolicy
metadata: {name: production}
spec:
  mode: enforce
  images: [{glob: "registry.example.com/team/**"}]
  authorities: [{name: ci, key: {path: keys/ci.pub}}]
  attestations: [{name: provenance, predicateType: "https://slsa.dev/provenance/v1", authorities: [ci]}]
  vendoredInputs: {requireMatch: true}
"#;

/// A directory with `keys/ci.pub` and `policy.yaml` holding `yaml`.
fn policy_dir(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("keys")).unwrap();
    fs::write(dir.path().join("keys/ci.pub"), KEY_PEM).unwrap();
    fs::write(dir.path().join("policy.yaml"), yaml).unwrap();
    dir
}

/// [`POLICY`] with `from` replaced by `to` (which must occur).
fn edited(from: &str, to: &str) -> String {
    assert!(POLICY.contains(from), "{from}");
    POLICY.replacen(from, to, 1)
}

/// [`POLICY`] with a `vulnerabilities` section whose OSV records are
/// a copy of testdata/osv beside the policy.
fn with_vulnerabilities(section: &str) -> (tempfile::TempDir, Result<PolicySet>) {
    let dir = policy_dir(&format!("{POLICY}  vulnerabilities:\n{section}"));
    let osv = dir.path().join("osv");
    fs::create_dir(&osv).unwrap();
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv");
    for entry in fs::read_dir(testdata).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, osv.join(path.file_name().unwrap())).unwrap();
    }
    let loaded = load(&dir.path().join("policy.yaml"));
    (dir, loaded)
}

#[test]
fn a_file_a_policy_names_is_read_beside_it_and_one_that_is_not_there_is_named() {
    let dir = policy_dir(POLICY);
    let set = load(&dir.path().join("policy.yaml")).unwrap();
    assert_eq!(set.policies[0].name, "production");
    fs::write(
        dir.path().join("policy.yaml"),
        edited("keys/ci.pub", "keys/missing.pub"),
    )
    .unwrap();
    let err = load(&dir.path().join("policy.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("spec.authorities[0] (ci).key: cannot open ") && err.contains("missing.pub"),
        "{err}"
    );
}

#[test]
fn oversized_policy_files_are_refused_unread() {
    let dir = policy_dir(POLICY);
    let big = format!("{POLICY}# {}\n", "x".repeat(MAX_POLICY_BYTES as usize));
    fs::write(dir.path().join("policy.yaml"), big).unwrap();
    let err = load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("is larger than the limit of"), "{err}");
}

#[test]
fn a_changed_osv_record_changes_the_version() {
    let (dir, loaded) = with_vulnerabilities("    osv: osv\n");
    let set = loaded.unwrap();
    let record = dir.path().join("osv/GHSA-gxpj-cx7g-858c.json");
    let text = fs::read_to_string(&record).unwrap();
    fs::write(&record, text.replace("\"summary\"", " \"summary\"")).unwrap();
    let reloaded = load(&dir.path().join("policy.yaml")).unwrap();
    assert_ne!(reloaded.version, set.version);
}

#[test]
fn directories_load_sorted_and_skip_criticality_rules() {
    let dir = policy_dir(POLICY);
    fs::write(
        dir.path().join("a-warn.yml"),
        edited("name: production", "name: audit").replace("mode: enforce", "mode: warn"),
    )
    .unwrap();
    fs::write(
        dir.path().join("critical.yaml"),
        "apiVersion: vouch.dev/v1alpha1\nkind: CriticalityRules\nrules: []\n",
    )
    .unwrap();
    fs::write(dir.path().join("notes.txt"), "not a policy").unwrap();
    let set = load(dir.path()).unwrap();
    let names: Vec<&str> = set.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["audit", "production"]);
    assert_eq!(set.policies[0].mode, Mode::Warn);
    assert_eq!(set.skipped.len(), 1);
    assert_eq!(set.files.len(), 3);
    // Another kind is an error, not a skip.
    fs::write(
        dir.path().join("other.yaml"),
        "apiVersion: vouch.dev/v1alpha1\nkind: ClusterImagePolicy\n",
    )
    .unwrap();
    let err = load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("other.yaml"), "{err}");
    assert!(err.contains("kind is \"ClusterImagePolicy\""), "{err}");
    // A directory of criticality rules only holds no policy.
    let empty = tempfile::tempdir().unwrap();
    fs::write(
        empty.path().join("critical.yaml"),
        "apiVersion: vouch.dev/v1alpha1\nkind: CriticalityRules\nrules: []\n",
    )
    .unwrap();
    assert!(load(empty.path())
        .unwrap_err()
        .to_string()
        .contains("no `kind: ImagePolicy`"));
}

#[test]
fn regression_issue_8_a_policy_file_is_read_whatever_the_case_of_its_extension() {
    let dir = policy_dir(POLICY);
    fs::write(
        dir.path().join("strict.YAML"),
        edited("name: production", "name: strict"),
    )
    .unwrap();
    fs::write(
        dir.path().join("older.Yml"),
        edited("name: production", "name: older"),
    )
    .unwrap();
    let set = load(dir.path()).unwrap();
    let mut names: Vec<&str> = set.policies.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["older", "production", "strict"]);
}

#[test]
fn other_files_of_a_directory_are_listed_to_warn_about_but_not_named_keys_or_hidden_files() {
    let dir = policy_dir(&POLICY.replace("keys/ci.pub", "ci.pub"));
    fs::write(dir.path().join("ci.pub"), KEY_PEM).unwrap();
    fs::write(dir.path().join("strict.json"), "{}").unwrap();
    fs::write(dir.path().join(".hidden"), "x").unwrap();
    fs::create_dir(dir.path().join("..data")).unwrap();
    let set = load(dir.path()).unwrap();
    assert_eq!(set.ignored, [dir.path().join("strict.json")]);
    let warnings = set.warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .contains("strict.json was not read: a policy file's name ends in .yaml or .yml"),
        "{warnings:?}"
    );
    // A single file has nothing to ignore.
    assert!(load(&dir.path().join("policy.yaml"))
        .unwrap()
        .ignored
        .is_empty());
}

#[test]
fn every_file_read_is_a_source_that_tells_when_it_changed() {
    let dir = policy_dir(&format!("{POLICY}  vulnerabilities: {{osv: osv}}\n"));
    fs::create_dir(dir.path().join("osv")).unwrap();
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv");
    fs::copy(
        testdata.join("CVE-2024-50614.json"),
        dir.path().join("osv/CVE-2024-50614.json"),
    )
    .unwrap();
    let mut sources = Vec::new();
    load_recorded(dir.path(), None, &mut sources).unwrap();
    let changed = |sources: &[Source]| -> Vec<PathBuf> {
        sources
            .iter()
            .filter(|s| s.changed())
            .map(|s| s.path.strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect()
    };
    let kinds: Vec<(PathBuf, SourceKind)> = sources
        .iter()
        .map(|s| {
            (
                s.path.strip_prefix(dir.path()).unwrap().to_path_buf(),
                s.kind,
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (PathBuf::new(), SourceKind::Directory),
            ("policy.yaml".into(), SourceKind::File(MAX_POLICY_BYTES)),
            ("keys/ci.pub".into(), SourceKind::File(MAX_REFERENCED_BYTES)),
            ("osv".into(), SourceKind::Database),
        ]
    );
    assert!(changed(&sources).is_empty());
    // The key replaced in place, the policy untouched: seen.
    fs::write(
        dir.path().join("keys/ci.pub"),
        KEY_PEM.replace("MFkw", "MFkW"),
    )
    .unwrap();
    assert_eq!(changed(&sources), [PathBuf::from("keys/ci.pub")]);
    fs::write(dir.path().join("keys/ci.pub"), KEY_PEM).unwrap();
    assert!(
        changed(&sources).is_empty(),
        "the same bytes again are no change"
    );
    // A new record in the OSV database; a new file in the directory.
    fs::copy(
        dir.path().join("osv/CVE-2024-50614.json"),
        dir.path().join("osv/copy.json"),
    )
    .unwrap();
    assert_eq!(changed(&sources), [PathBuf::from("osv")]);
    fs::write(dir.path().join("new.yaml"), "x").unwrap();
    assert_eq!(changed(&sources), [PathBuf::new(), PathBuf::from("osv")]);

    // A load that fails records what it tried: the missing key.
    fs::remove_file(dir.path().join("keys/ci.pub")).unwrap();
    fs::remove_file(dir.path().join("new.yaml")).unwrap();
    let mut sources = Vec::new();
    let err = load_recorded(dir.path(), None, &mut sources).unwrap_err();
    assert!(err.to_string().contains("ci.pub"), "{err}");
    assert!(sources.iter().all(|s| !s.changed()));
    fs::write(dir.path().join("keys/ci.pub"), KEY_PEM).unwrap();
    let changed: Vec<&Path> = sources
        .iter()
        .filter(|s| s.changed())
        .map(|s| s.path.as_path())
        .collect();
    assert_eq!(changed, [dir.path().join("keys/ci.pub")]);
}

#[test]
fn a_malformed_osv_record_fails_the_load_naming_its_file_and_field() {
    let (dir, loaded) = with_vulnerabilities("    osv: osv\n");
    assert!(loaded.is_ok());
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv-bad/bad-version.json");
    fs::copy(bad, dir.path().join("osv/bad-version.json")).unwrap();
    let err = load(&dir.path().join("policy.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad-version.json") && err.contains("1.x.y"),
        "{err}"
    );
}

#[test]
fn a_policy_naming_an_index_loads_it_once_and_its_rebuild_changes_the_version() {
    let (dir, _) = with_vulnerabilities("    osv: osv.idx\n");
    let osv = dir.path().join("osv");
    let index = dir.path().join("osv.idx");
    crate::index::build(&osv, &index, jiff::Timestamp::now()).unwrap();
    let second = fs::read_to_string(dir.path().join("policy.yaml"))
        .unwrap()
        .replace("name: production", "name: staging")
        .replace("osv: osv.idx", "osv: ./osv.idx");
    fs::write(dir.path().join("second.yaml"), second).unwrap();
    let mut sources = Vec::new();
    let set = load_recorded(dir.path(), None, &mut sources).unwrap();
    let [a, b] = [&set.policies[0], &set.policies[1]]
        .map(|p| p.vulnerabilities.as_ref().unwrap().database.clone());
    assert!(Arc::ptr_eq(&a, &b), "one index, opened once");
    assert_eq!(a.len(), 10);
    let source = sources
        .iter()
        .find(|s| s.path.ends_with("osv.idx"))
        .unwrap();
    assert!(!source.changed());
    // Rebuilt from the same records: the same version (the index records
    // the export's digest, not its own build time).
    crate::index::build(&osv, &index, jiff::Timestamp::now()).unwrap();
    assert_eq!(load(dir.path()).unwrap().version, set.version);
    // Rebuilt from changed records: seen by the watcher, a new version.
    fs::remove_file(osv.join("GO-2021-0113.json")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    crate::index::build(&osv, &index, jiff::Timestamp::now()).unwrap();
    assert!(source.changed());
    let rebuilt = load(dir.path()).unwrap();
    assert_ne!(rebuilt.version, set.version);
    assert_eq!(
        rebuilt.policies[0]
            .vulnerabilities
            .as_ref()
            .unwrap()
            .database
            .len(),
        9
    );
}

#[test]
fn policies_naming_one_osv_database_share_one_load() {
    let (dir, loaded) = with_vulnerabilities("    osv: osv\n");
    assert!(loaded.is_ok());
    let second = fs::read_to_string(dir.path().join("policy.yaml"))
        .unwrap()
        .replace("name: production", "name: staging")
        .replace("osv: osv", "osv: ./osv/");
    fs::write(dir.path().join("second.yaml"), second).unwrap();
    let set = load(dir.path()).unwrap();
    assert_eq!(set.policies.len(), 2);
    let [a, b] = [&set.policies[0], &set.policies[1]]
        .map(|p| p.vulnerabilities.as_ref().unwrap().database.clone());
    assert!(Arc::ptr_eq(&a, &b), "one database, loaded once");
}

/// Every Rego condition of the shipped policies (policies/, and the demo's
/// testdata/policies/demo.yaml), with its policy's name.
fn shipped_conditions() -> Vec<(String, AttestationRequirement)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut sets = vec![load(&root.join("policies")).unwrap()];
    let demo = tempfile::tempdir().unwrap();
    fs::copy(
        root.join("testdata/policies/demo.yaml"),
        demo.path().join("demo.yaml"),
    )
    .unwrap();
    fs::write(demo.path().join("ci.pub"), KEY_PEM).unwrap();
    sets.push(load(demo.path()).unwrap());
    let conditions: Vec<(String, AttestationRequirement)> = sets
        .iter()
        .flat_map(|set| &set.policies)
        .flat_map(|p| {
            p.attestations
                .iter()
                .map(move |a| (p.name.clone(), a.clone()))
        })
        .filter(|(_, a)| a.rego.is_some())
        .collect();
    assert!(
        conditions.len() >= 2,
        "the shipped policies have Rego conditions"
    );
    conditions
}

#[test]
fn regression_issue_8_shipped_rego_denies_a_provenance_missing_what_it_inspects() {
    let vendored = "https://vouch.dev/attest/vendored-inputs/v1";
    let dep = |annotations: serde_json::Value| {
        serde_json::json!({"buildDefinition": {"buildType": vendored,
            "resolvedDependencies": [{"name": "zlib", "annotations": annotations}]}})
    };
    for (policy, condition) in shipped_conditions() {
        for predicate in [
            serde_json::Value::Null,
            serde_json::json!({}),
            serde_json::json!({"buildDefinition": {}}),
            serde_json::json!({"buildDefinition": {"buildType": vendored}}),
            serde_json::json!({"buildDefinition": {"buildType": vendored, "resolvedDependencies": {}}}),
            dep(serde_json::json!({"critical": true})),
            dep(serde_json::json!({"match": "match"})),
            dep(serde_json::Value::Null),
        ] {
            // An evaluation error denies as well.
            let denied = condition
                .evaluate_rego(&predicate)
                .map_or(true, |denials| !denials.is_empty());
            assert!(denied, "{policy}/{}: passed {predicate}", condition.name);
        }
        // The production policy inspects the build type too.
        if policy == "production" {
            let untyped = serde_json::json!({"buildDefinition": {"resolvedDependencies": []}});
            assert_eq!(
                condition.evaluate_rego(&untyped).unwrap(),
                ["unexpected build type (none)"]
            );
        }
        // Control: a complete provenance with every input matching passes
        // (the release policy also asks for the commit, a builder and a
        // vendored crate).
        let mut complete = dep(serde_json::json!({"critical": true, "match": "match",
            "version": "1.3.1", "ecosystem": "cargo"}));
        complete["buildDefinition"]["externalParameters"] = serde_json::json!({"source": {"digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}}});
        complete["runDetails"] =
            serde_json::json!({"builder": {"id": "https://ci.example/release"}});
        assert_eq!(
            condition.evaluate_rego(&complete).unwrap(),
            Vec::<String>::new(),
            "{policy}/{}",
            condition.name
        );
    }
}

/// [`POLICY`] with a vendor VEX source `redhat` reading `vex/redhat/`
/// (a copy of testdata/vendor-vex/redhat, signed by gpg) with the key
/// `keys/<key>` (testdata/vendor-vex/keys) and `answersFor`; `tamper` may
/// change the copied directory first.
fn with_vendor_vex(
    key: &str,
    answers_for: &str,
    tamper: impl FnOnce(&Path),
) -> (tempfile::TempDir, Result<PolicySet>) {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vendor-vex");
    let section = format!(
        "    osv: osv\n    vendorVex:\n      - {{name: redhat, path: vex/redhat/, key: keys/{key}, \
         answersFor: {answers_for}}}\n"
    );
    let dir = policy_dir(&format!("{POLICY}  vulnerabilities:\n{section}"));
    let osv = dir.path().join("osv");
    fs::create_dir(&osv).unwrap();
    let records = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv");
    for entry in fs::read_dir(records).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, osv.join(path.file_name().unwrap())).unwrap();
    }
    let vex = dir.path().join("vex/redhat");
    fs::create_dir_all(&vex).unwrap();
    for name in ["cve-2025-29087.json", "cve-2025-29087.json.asc"] {
        fs::copy(testdata.join("redhat").join(name), vex.join(name)).unwrap();
    }
    for name in ["vendor.asc", "other.asc"] {
        fs::copy(
            testdata.join("keys").join(name),
            dir.path().join("keys").join(name),
        )
        .unwrap();
    }
    tamper(&vex);
    let loaded = load(&dir.path().join("policy.yaml"));
    (dir, loaded)
}

#[test]
fn a_vendor_vex_directory_is_read_with_each_files_signature() {
    let (dir, loaded) = with_vendor_vex("vendor.asc", r#"["pkg:rpm/redhat/*"]"#, |_| {});
    let set = loaded.unwrap();
    let section = set.policies[0].vulnerabilities.as_ref().unwrap();
    let vendor = &section.vendor_vex[0];
    assert_eq!(vendor.name, "redhat");
    assert_eq!(
        vendor.key.as_deref(),
        Some(dir.path().join("keys/vendor.asc").as_path())
    );
    assert_eq!(vendor.documents.len(), 1);
    assert_eq!(vendor.documents[0].id, "CVE-2025-29087");
    assert_eq!(vendor.documents[0].statements.len(), 85);
    assert!(
        section
            .to_string()
            .contains("vendor VEX redhat (1 documents from "),
        "{section}"
    );

    // A hidden file and a file that is not .json are not read: the set
    // is the same.
    let (_dir, again) = with_vendor_vex("vendor.asc", r#"["pkg:rpm/redhat/*"]"#, |vex| {
        fs::write(vex.join(".hidden.json"), "not json").unwrap();
        fs::write(vex.join("README"), "not json").unwrap();
    });
    assert_eq!(again.unwrap().version, set.version);

    // Another signed document (Ubuntu's OpenVEX, in a subdirectory) is
    // read too, and changes the set's version.
    let ubuntu = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/vendor-vex/ubuntu");
    let (_dir, more) = with_vendor_vex("vendor.asc", r#"["pkg:rpm/redhat/*"]"#, |vex| {
        fs::create_dir(vex.join("2025")).unwrap();
        for name in ["CVE-2025-0395.json", "CVE-2025-0395.json.asc"] {
            fs::copy(ubuntu.join(name), vex.join("2025").join(name)).unwrap();
        }
    });
    let more = more.unwrap();
    let documents = &more.policies[0]
        .vulnerabilities
        .as_ref()
        .unwrap()
        .vendor_vex[0]
        .documents;
    assert_eq!(documents.len(), 2);
    // In name order: `2025/` before `cve-…`.
    assert_eq!(
        documents[0].id,
        "https://github.com/canonical/ubuntu-security-notices/blob/main/vex/cve/2025/CVE-2025-0395"
    );
    assert_eq!(documents[1].id, "CVE-2025-29087");
    assert_ne!(more.version, set.version);
}

#[test]
fn a_vendor_vex_file_that_does_not_verify_fails_the_load_naming_it() {
    let (dir, loaded) = with_vendor_vex("other.asc", r#"["pkg:rpm/redhat/*"]"#, |_| {});
    let e = loaded.unwrap_err().to_string();
    let file = dir.path().join("vex/redhat/cve-2025-29087.json");
    assert!(
        e.contains(&format!(
            "spec.vulnerabilities.vendorVex[0] (redhat): {}.asc does not verify over the file's \
             bytes with the named key",
            file.display()
        )),
        "{e}"
    );

    let (_dir, loaded) = with_vendor_vex("vendor.asc", r#"["pkg:rpm/redhat/*"]"#, |vex| {
        fs::remove_file(vex.join("cve-2025-29087.json.asc")).unwrap();
    });
    let e = loaded.unwrap_err().to_string();
    assert!(e.contains("has no signature"), "{e}");

    let (_dir, loaded) = with_vendor_vex("vendor.asc", r#"["pkg:rpm/redhat/*"]"#, |vex| {
        let path = vex.join("cve-2025-29087.json");
        let mut bytes = fs::read(&path).unwrap();
        let at = bytes.windows(7).position(|w| w == b"Moderat").unwrap();
        bytes[at] = b'm';
        fs::write(path, bytes).unwrap();
    });
    let e = loaded.unwrap_err().to_string();
    assert!(e.contains("does not verify"), "{e}");
}

#[test]
fn a_vendor_vex_source_must_stay_inside_a_namespace() {
    let (_dir, loaded) = with_vendor_vex("vendor.asc", r#"["pkg:rpm/*"]"#, |_| {});
    let e = loaded.unwrap_err().to_string();
    assert!(
        e.contains("spec.vulnerabilities.vendorVex[0] (redhat).answersFor[0]: \"pkg:rpm/*\" names no type and namespace"),
        "{e}"
    );
    let (_dir, loaded) = with_vendor_vex("vendor.asc", "[]", |_| {});
    assert!(loaded
        .unwrap_err()
        .to_string()
        .contains("an empty list answers nothing"));
    let (_dir, loaded) =
        with_vendor_vex("vendor.asc", r#"["pkg:rpm/redhat/*"], trust: all"#, |_| {});
    let e = loaded.unwrap_err().to_string();
    assert!(e.contains("unknown field `trust`"), "{e}");
}
