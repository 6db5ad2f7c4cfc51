//! `vouch inputs` on a real `npm install`: a few small packages from the
//! npm registry, one scoped and one nested under another's `node_modules`.

use crate::common;

use std::fs;
use std::path::Path;

use common::{
    assert_declared_and_dir_hashed, assert_fails_with, assert_ok, inputs_json, mismatched,
    npm_install, run_vouch, tempdir,
};

/// `debug@2.6.9` depends on `ms@2.0.0` while the project wants `ms@2.1.3`,
/// so npm nests one at `node_modules/debug/node_modules/ms`.
const PACKAGE_JSON: &str = r#"{
  "name": "vouch-inputs-npm-test",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "@sigstore/protobuf-specs": "0.5.2",
    "debug": "2.6.9",
    "is-number": "7.0.0",
    "left-pad": "1.3.0",
    "ms": "2.1.3"
  }
}
"#;

fn locked_packages(dir: &Path) -> serde_json::Map<String, serde_json::Value> {
    let lock: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("package-lock.json")).unwrap()).unwrap();
    let mut packages = lock["packages"].as_object().unwrap().clone();
    packages.remove("");
    packages
}

#[test]
fn every_installed_package_is_reported_and_matches_until_a_version_changes() {
    let dir = tempdir();
    let d = dir.path();
    npm_install(d, PACKAGE_JSON);
    let locked = locked_packages(d);
    assert!(
        locked.contains_key("node_modules/debug/node_modules/ms"),
        "expected a nested ms: {:?}",
        locked.keys().collect::<Vec<_>>()
    );

    let inputs = inputs_json(d);
    assert_eq!(inputs.len(), locked.len(), "one input per locked package");
    for (key, entry) in &locked {
        let input = inputs
            .iter()
            .find(|i| i["path"] == key.as_str())
            .unwrap_or_else(|| panic!("no input for {key}"));
        assert_eq!(input["match"]["status"], "match", "{input}");
        assert_eq!(input["ecosystem"], "npm");
        assert_eq!(input["version"], entry["version"], "{input}");
        assert!(key.ends_with(input["name"].as_str().unwrap()), "{input}");
        assert_eq!(input["declared"], entry["integrity"], "{input}");
        // npm copies each package's SPDX licence into the lock.
        assert!(entry["license"].is_string(), "{entry}");
        assert_eq!(input["license"], entry["license"], "{input}");
        assert_declared_and_dir_hashed(input, "sha512-");
    }
    let scoped = inputs
        .iter()
        .find(|i| i["name"] == "@sigstore/protobuf-specs")
        .unwrap();
    assert_eq!(scoped["purl"], "pkg:npm/%40sigstore/protobuf-specs@0.5.2");
    assert_eq!(
        scoped["uri"],
        "https://registry.npmjs.org/@sigstore/protobuf-specs/-/protobuf-specs-0.5.2.tgz"
    );
    let ms: Vec<&str> = inputs
        .iter()
        .filter(|i| i["name"] == "ms")
        .map(|i| i["purl"].as_str().unwrap())
        .collect();
    assert_eq!(ms, ["pkg:npm/ms@2.0.0", "pkg:npm/ms@2.1.3"]);
    let licence = |inputs: &[serde_json::Value], name: &str| {
        inputs.iter().find(|i| i["name"] == name).unwrap()["license"].clone()
    };
    assert_eq!(licence(&inputs, "left-pad"), "WTFPL");
    assert_eq!(licence(&inputs, "@sigstore/protobuf-specs"), "Apache-2.0");
    // The graph: debug@2.6.9 needs ms 2.0.0, which npm nested under it;
    // resolved as Node does, the edge goes to the nested ms, not the root's
    // 2.1.3. No other package has dependencies.
    for input in &inputs {
        let expected = if input["name"] == "debug" {
            serde_json::json!(["pkg:npm/ms@2.0.0"])
        } else {
            serde_json::Value::Null
        };
        assert_eq!(input["dependencies"], expected, "{input}");
    }
    assert_ok(&run_vouch(d, "inputs ."));

    // The installed package.json's licence is what is recorded; where it is
    // free text, the lock's stands.
    let manifest = d.join("node_modules/ms/package.json");
    let text = fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("\"license\": \"MIT\""), "{text}");
    fs::write(
        &manifest,
        text.replace("\"license\": \"MIT\"", "\"license\": \"ISC\""),
    )
    .unwrap();
    let at = |inputs: &[serde_json::Value], path: &str| {
        inputs.iter().find(|i| i["path"] == path).unwrap()["license"].clone()
    };
    assert_eq!(at(&inputs_json(d), "node_modules/ms"), "ISC");
    fs::write(
        &manifest,
        text.replace(
            "\"license\": \"MIT\"",
            "\"license\": \"SEE LICENSE IN LICENSE\"",
        ),
    )
    .unwrap();
    assert_eq!(at(&inputs_json(d), "node_modules/ms"), "MIT");
    fs::write(&manifest, text).unwrap();

    // debug's digest covers its own files, not the nested ms: changing a
    // file of ms changes ms's digest only.
    let observed = |inputs: &[serde_json::Value], path: &str| {
        inputs.iter().find(|i| i["path"] == path).unwrap()["observed"].clone()
    };
    fs::write(d.join("node_modules/debug/node_modules/ms/extra.js"), b"1").unwrap();
    let after = inputs_json(d);
    assert_eq!(
        observed(&after, "node_modules/debug"),
        observed(&inputs, "node_modules/debug")
    );
    assert_ne!(
        observed(&after, "node_modules/debug/node_modules/ms"),
        observed(&inputs, "node_modules/debug/node_modules/ms")
    );

    // One installed package.json claims another version: exactly that
    // package is flagged, naming both versions.
    let manifest = d.join("node_modules/is-number/package.json");
    let text = fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("\"version\": \"7.0.0\""), "{text}");
    fs::write(
        &manifest,
        text.replace("\"version\": \"7.0.0\"", "\"version\": \"7.0.1\""),
    )
    .unwrap();
    let out = run_vouch(d, "inputs .");
    assert_fails_with(&out, "is-number 7.0.0 (npm)");
    assert_fails_with(&out, "has version 7.0.1, package-lock.json locks 7.0.0");
    let after = inputs_json(d);
    let flagged = mismatched(&after);
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0]["name"], "is-number");

    // A package removed from node_modules is declared but not vendored.
    fs::remove_dir_all(d.join("node_modules/left-pad")).unwrap();
    let after = inputs_json(d);
    let gone = after.iter().find(|i| i["name"] == "left-pad").unwrap();
    assert_eq!(gone["match"]["status"], "not-vendored", "{gone}");
    assert!(gone["observed"].is_null(), "{gone}");
    // Its licence is still known, from the lock.
    assert_eq!(gone["license"], "WTFPL", "{gone}");
}

#[test]
fn old_and_malformed_lockfiles_are_refused_clearly() {
    let dir = tempdir();
    let d = dir.path();
    fs::write(
        d.join("package-lock.json"),
        r#"{"name": "old", "lockfileVersion": 1, "requires": true, "dependencies": {}}"#,
    )
    .unwrap();
    let out = run_vouch(d, "inputs .");
    assert_fails_with(&out, "package-lock.json");
    assert_fails_with(&out, "lockfileVersion 1");

    fs::write(d.join("package-lock.json"), b"{ not json").unwrap();
    assert_fails_with(&run_vouch(d, "inputs ."), "invalid package-lock.json");

    fs::write(
        d.join("package-lock.json"),
        r#"{"lockfileVersion": 3, "packages": {"../node_modules/etc": {"version": "1.0.0"}}}"#,
    )
    .unwrap();
    assert_fails_with(&run_vouch(d, "inputs ."), "contains `..`");
}
