//! `vouch inputs` on a real `cargo vendor` tree: this workspace's own
//! dependencies, hundreds of crates.

use crate::common;

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::{
    assert_declared_and_dir_hashed, assert_fails_with, assert_ok, inputs_json, mismatched, root,
    run_vouch, tempdir,
};

/// Vendors this workspace's dependencies into `dir` as a project would:
/// Cargo.lock, `vendor/`, and `.cargo/config.toml` pointing at it.
fn vendored_project(dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["vendor", "--locked", "--quiet", "--manifest-path"])
        .arg(root().join("Cargo.toml"))
        .arg(dir.join("vendor"))
        .output()
        .unwrap();
    assert_ok(&out);
    fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    fs::create_dir_all(dir.join(".cargo")).unwrap();
    fs::write(
        dir.join(".cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n",
    )
    .unwrap();
}

/// The `dependencies` of the locked package `name` as Cargo.lock writes
/// them: `name`, `name version` or `name version (source)`, read from the
/// text independently of vouch.
fn locked_dependencies(lock: &str, name: &str) -> Vec<(String, Option<String>)> {
    let start = lock
        .find(&format!("[[package]]\nname = \"{name}\"\n"))
        .unwrap_or_else(|| panic!("{name} is not locked"));
    let entry = lock[start..].split("\n\n").next().unwrap();
    let Some((_, list)) = entry.split_once("dependencies = [\n") else {
        return Vec::new();
    };
    list.lines()
        .take_while(|line| *line != "]")
        .map(|line| {
            let item = line.trim().trim_end_matches(',').trim_matches('"');
            let mut words = item.split(' ');
            let name = words.next().unwrap().to_string();
            (name, words.next().map(str::to_string))
        })
        .collect()
}

/// The one input named `name`.
fn one<'a>(inputs: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    let found: Vec<&serde_json::Value> = inputs.iter().filter(|i| i["name"] == name).collect();
    assert_eq!(found.len(), 1, "{name}: {found:?}");
    found[0]
}

#[test]
fn every_vendored_crate_is_reported_and_matches_until_one_byte_changes() {
    let dir = tempdir();
    let d = dir.path();
    vendored_project(d);
    let locked = fs::read_to_string(d.join("Cargo.lock"))
        .unwrap()
        .matches("\nsource = ")
        .count();
    assert!(
        locked > 100,
        "expected hundreds of locked crates, got {locked}"
    );

    let inputs = inputs_json(d);
    assert_eq!(
        inputs.len(),
        locked,
        "one input per locked crate with a source"
    );
    for input in &inputs {
        assert_eq!(input["match"]["status"], "match", "{input}");
        assert_eq!(input["ecosystem"], "cargo");
        // `+` (semver build metadata) is percent-encoded in a purl.
        let purl = format!(
            "pkg:cargo/{}@{}",
            input["name"].as_str().unwrap(),
            input["version"].as_str().unwrap().replace('+', "%2B")
        );
        assert_eq!(input["purl"], purl.as_str());
        assert_declared_and_dir_hashed(input, "sha256:");
    }
    assert_ok(&run_vouch(d, "inputs ."));

    // Licences come from each vendored Cargo.toml, Cargo's old `/` read as
    // SPDX `OR`.
    assert_eq!(one(&inputs, "serde")["license"], "MIT OR Apache-2.0");
    let walkdir = one(&inputs, "walkdir");
    let manifest =
        fs::read_to_string(d.join(walkdir["path"].as_str().unwrap()).join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("license = \"Unlicense/MIT\""),
        "{manifest}"
    );
    assert_eq!(walkdir["license"], "Unlicense OR MIT");
    let licensed: Vec<&str> = inputs
        .iter()
        .filter_map(|i| i["license"].as_str())
        .collect();
    assert!(licensed.len() > 100, "{licensed:?}");
    assert!(licensed.iter().all(|l| !l.contains('/')), "{licensed:?}");

    // The graph is Cargo.lock's: each crate's dependencies, as the purls
    // of other inputs.
    let lock = fs::read_to_string(d.join("Cargo.lock")).unwrap();
    let purls: HashSet<&str> = inputs.iter().map(|i| i["purl"].as_str().unwrap()).collect();
    let mut edges = 0;
    for input in &inputs {
        for dependency in input["dependencies"].as_array().into_iter().flatten() {
            assert!(purls.contains(dependency.as_str().unwrap()), "{input}");
            edges += 1;
        }
    }
    assert!(edges > 100, "{edges} edges");
    for name in ["serde_json", "walkdir", "itoa"] {
        let mut expected: Vec<&str> = locked_dependencies(&lock, name)
            .iter()
            .map(|(dependency, version)| {
                let found: Vec<&serde_json::Value> = inputs
                    .iter()
                    .filter(|i| {
                        i["name"] == dependency.as_str()
                            && version.as_ref().is_none_or(|v| i["version"] == v.as_str())
                    })
                    .collect();
                assert_eq!(found.len(), 1, "{name} -> {dependency} {version:?}");
                found[0]["purl"].as_str().unwrap()
            })
            .collect();
        expected.sort();
        let actual: Vec<&str> = one(&inputs, name)["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(actual, expected, "{name}");
    }
    let serde_json = &one(&inputs, "serde_json")["dependencies"];
    assert!(
        serde_json
            .as_array()
            .unwrap()
            .contains(&one(&inputs, "serde")["purl"]),
        "{serde_json}"
    );
    assert!(one(&inputs, "itoa")["dependencies"].is_null(), "no edges");

    // One byte of one vendored file changes: exactly that crate is flagged,
    // and the message names the file.
    let victim = inputs.iter().find(|i| i["name"] == "base64").unwrap();
    let crate_dir = d.join(victim["path"].as_str().unwrap());
    let file = crate_dir.join("src/lib.rs");
    let mut bytes = fs::read(&file).unwrap();
    bytes[0] ^= 1;
    fs::write(&file, bytes).unwrap();
    let out = run_vouch(d, "inputs .");
    assert_fails_with(&out, "file src/lib.rs has sha256");
    let after = inputs_json(d);
    let flagged = mismatched(&after);
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0]["name"], "base64");
    assert!(flagged[0]["match"]["reason"]
        .as_str()
        .unwrap()
        .contains("src/lib.rs"));

    // A vendored crate (under its plain name) whose manifest is broken is
    // an error, not "not vendored".
    let plain = inputs.iter().find(|i| i["name"] == "hex").unwrap();
    assert_eq!(plain["path"], "vendor/hex", "{plain}");
    let manifest = d.join("vendor/hex/Cargo.toml");
    let saved = fs::read(&manifest).unwrap();
    fs::write(&manifest, b"[package\n").unwrap();
    assert_fails_with(&run_vouch(d, "inputs ."), "invalid vendored Cargo.toml");
    fs::write(&manifest, saved).unwrap();

    // A file cargo would not check, added next to the others, is flagged too.
    fs::write(crate_dir.join("src/extra.rs"), b"// not listed").unwrap();
    assert_fails_with(&run_vouch(d, "inputs ."), "base64");
}

#[test]
fn a_lockfile_checksum_other_than_the_vendored_package_is_flagged() {
    let dir = tempdir();
    let d = dir.path();
    vendored_project(d);
    let inputs = inputs_json(d);
    let victim = inputs.iter().find(|i| i["name"] == "hex").unwrap();
    let declared = victim["declared"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    let lock = fs::read_to_string(d.join("Cargo.lock")).unwrap();
    let forged = "0".repeat(64);
    fs::write(d.join("Cargo.lock"), lock.replace(declared, &forged)).unwrap();
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        &format!("Cargo.lock declares {forged}"),
    );
}

#[test]
fn bad_project_trees_are_refused_clearly() {
    let dir = tempdir();
    let d = dir.path();
    fs::write(d.join("Cargo.lock"), b"this is not toml [").unwrap();
    assert_fails_with(&run_vouch(d, "inputs ."), "invalid Cargo.lock");
    fs::copy(root().join("Cargo.lock"), d.join("Cargo.lock")).unwrap();
    fs::create_dir_all(d.join(".cargo")).unwrap();
    fs::write(
        d.join(".cargo/config.toml"),
        "[source.v]\ndirectory = \"../outside\"\n",
    )
    .unwrap();
    assert_fails_with(&run_vouch(d, "inputs ."), "contains `..`");
}
