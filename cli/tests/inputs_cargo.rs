//! `vouch inputs` on a real `cargo vendor` tree: this workspace's own
//! dependencies, hundreds of crates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{assert_fails_with, assert_ok, inputs_json, root, run_vouch, tempdir};

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
        let purl = format!(
            "pkg:cargo/{}@{}",
            input["name"].as_str().unwrap(),
            input["version"].as_str().unwrap()
        );
        assert_eq!(input["purl"], purl.as_str());
        assert!(
            input["declared"].as_str().unwrap().starts_with("sha256:"),
            "{input}"
        );
        let observed = input["observed"].as_str().unwrap();
        assert_eq!(
            observed.strip_prefix("dirHash:").unwrap().len(),
            64,
            "{input}"
        );
    }
    assert_ok(&run_vouch(d, "inputs ."));

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
    let flagged: Vec<&serde_json::Value> = after
        .iter()
        .filter(|i| i["match"]["status"] == "mismatch")
        .collect();
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
