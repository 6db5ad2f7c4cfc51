//! `vouch inputs` on real Yarn 1, Yarn Berry (Plug'n'Play and
//! node-modules) and pnpm (lockfile 9.0 of pnpm 10, 6.0 of pnpm 8)
//! installs of a few small packages from the npm registry: one scoped,
//! one (ms) at two versions, one whose name pnpm hashes (JSONStream, upper
//! case). The package managers are the oracle installation's
//! (tests/oracles/package.json), each run with its own cache in a
//! temporary directory.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    assert_fails_with, assert_ok, inputs_json, mismatched, oracle_script, oracles, run_vouch,
    tempdir, venv_bin,
};
use serde_json::Value;

/// `debug@2.6.9` depends on `ms@2.0.0` while the project wants `ms@2.1.3`.
const PACKAGE_JSON: &str = r#"{
  "name": "vouch-inputs-js-test",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "@sigstore/protobuf-specs": "0.5.2",
    "JSONStream": "1.3.5",
    "debug": "2.6.9",
    "is-number": "7.0.0",
    "left-pad": "1.3.0",
    "ms": "2.1.3"
  }
}
"#;

/// The packages the install holds (JSONStream brings jsonparse and
/// through), as `name@version`.
const INSTALLED: [&str; 9] = [
    "@sigstore/protobuf-specs@0.5.2",
    "JSONStream@1.3.5",
    "debug@2.6.9",
    "is-number@7.0.0",
    "jsonparse@1.3.1",
    "left-pad@1.3.0",
    "ms@2.0.0",
    "ms@2.1.3",
    "through@2.3.8",
];

const REGISTRY: &str = "https://registry.npmjs.org";

/// A file of the oracle installation's npm packages.
fn npm_oracle(relative: &str) -> PathBuf {
    oracles().join("npm/node_modules").join(relative)
}

/// Runs `node SCRIPT ARGS` in `dir`, with `home` as HOME (its caches).
fn node(dir: &Path, home: &Path, script: &str, args: &[&str]) {
    let out = Command::new("node")
        .arg(npm_oracle(script))
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        // Berry turns immutable installs on under CI.
        .env("YARN_ENABLE_IMMUTABLE_INSTALLS", "false")
        .env("YARN_GLOBAL_FOLDER", home.join("berry"))
        .output()
        .expect("node must be installed");
    assert_ok(&out);
}

/// `yarn install` with Yarn 1, from the npm registry.
fn yarn1_install(dir: &Path, home: &Path) {
    fs::write(dir.join("package.json"), PACKAGE_JSON).unwrap();
    let cache = home.join("yarn1-cache");
    node(
        dir,
        home,
        "yarn/bin/yarn.js",
        &[
            "install",
            "--registry",
            REGISTRY,
            "--ignore-scripts",
            "--non-interactive",
            "--no-progress",
            "--cache-folder",
            cache.to_str().unwrap(),
        ],
    );
}

/// `yarn install` with Yarn Berry and the linker `linker`, its cache in
/// the project (`.yarn/cache`).
fn berry_install(dir: &Path, home: &Path, linker: &str) {
    fs::write(dir.join("package.json"), PACKAGE_JSON).unwrap();
    fs::write(
        dir.join(".yarnrc.yml"),
        format!(
            "enableGlobalCache: false\nenableTelemetry: false\n\
             npmRegistryServer: \"{REGISTRY}\"\nnodeLinker: {linker}\n"
        ),
    )
    .unwrap();
    fs::write(dir.join("yarn.lock"), "").unwrap();
    node(dir, home, "@yarnpkg/cli-dist/bin/yarn.js", &["install"]);
}

/// `pnpm install` with pnpm 10 (`pnpm/bin/pnpm.cjs`, lockfile 9.0) or 8
/// (`pnpm8/bin/pnpm.cjs`, lockfile 6.0).
fn pnpm_install(dir: &Path, home: &Path, pnpm: &str) {
    pnpm_install_manifest(dir, home, pnpm, PACKAGE_JSON);
}

/// [`pnpm_install`] of the project `package_json`.
fn pnpm_install_manifest(dir: &Path, home: &Path, pnpm: &str, package_json: &str) {
    fs::write(dir.join("package.json"), package_json).unwrap();
    let store = home.join("pnpm-store");
    node(
        dir,
        home,
        pnpm,
        &[
            "install",
            "--ignore-scripts",
            "--store-dir",
            store.to_str().unwrap(),
            &format!("--config.registry={REGISTRY}/"),
            "--config.update-notifier=false",
        ],
    );
}

fn find<'a>(inputs: &'a [Value], name: &str, version: &str) -> &'a Value {
    inputs
        .iter()
        .find(|i| i["name"] == name && i["version"] == version)
        .unwrap_or_else(|| panic!("no input {name}@{version} in {inputs:?}"))
}

/// Every package installed is one input, matching, at the locked version
/// (the installed package.json's, checked against what is on disk here);
/// the graph has debug -> ms@2.0.0 and JSONStream -> jsonparse, through.
fn assert_all_listed_and_matching(d: &Path, inputs: &[Value]) {
    let mut listed: Vec<String> = inputs
        .iter()
        .map(|i| {
            format!(
                "{}@{}",
                i["name"].as_str().unwrap(),
                i["version"].as_str().unwrap()
            )
        })
        .collect();
    listed.sort();
    assert_eq!(listed, INSTALLED, "{inputs:?}");
    for input in inputs {
        assert_eq!(input["match"]["status"], "match", "{input}");
        assert_eq!(input["ecosystem"], "npm", "{input}");
        let path = d.join(input["path"].as_str().unwrap());
        assert!(path.exists(), "{input}");
    }
    let scoped = find(inputs, "@sigstore/protobuf-specs", "0.5.2");
    assert_eq!(scoped["purl"], "pkg:npm/%40sigstore/protobuf-specs@0.5.2");
    assert_eq!(
        scoped["uri"],
        "https://registry.npmjs.org/@sigstore/protobuf-specs/-/protobuf-specs-0.5.2.tgz"
    );
    assert_eq!(
        find(inputs, "debug", "2.6.9")["dependencies"],
        serde_json::json!(["pkg:npm/ms@2.0.0"])
    );
    assert_eq!(
        find(inputs, "JSONStream", "1.3.5")["dependencies"],
        serde_json::json!(["pkg:npm/jsonparse@1.3.1", "pkg:npm/through@2.3.8"])
    );
}

/// Bumps the version in the installed `package.json` at `dir`.
fn bump_version(dir: &Path, from: &str, to: &str) {
    let manifest = dir.join("package.json");
    let text = fs::read_to_string(&manifest).unwrap();
    let needle = format!("\"version\": \"{from}\"");
    assert!(text.contains(&needle), "{text}");
    // A new file, not an edit in place: pnpm's files are hard links into
    // its store.
    fs::remove_file(&manifest).unwrap();
    fs::write(
        &manifest,
        text.replace(&needle, &format!("\"version\": \"{to}\"")),
    )
    .unwrap();
}

/// The one mismatched input, and its reason.
fn only_mismatch(inputs: &[Value]) -> (String, String) {
    let bad = mismatched(inputs);
    assert_eq!(bad.len(), 1, "{bad:?}");
    (
        format!(
            "{}@{}",
            bad[0]["name"].as_str().unwrap(),
            bad[0]["version"].as_str().unwrap()
        ),
        bad[0]["match"]["reason"].as_str().unwrap().to_string(),
    )
}

#[test]
fn yarn1_every_installed_package_is_listed_and_a_changed_one_is_named() {
    let (dir, home) = (tempdir(), tempdir());
    let d = dir.path();
    yarn1_install(d, home.path());
    let lock = fs::read_to_string(d.join("yarn.lock")).unwrap();
    assert!(lock.contains("# yarn lockfile v1"), "{lock}");
    assert!(d.join("node_modules/debug/node_modules/ms").is_dir());

    let inputs = inputs_json(d);
    assert_all_listed_and_matching(d, &inputs);
    for input in &inputs {
        // The lock's integrity, and the directory hash of what is there.
        let declared = input["declared"].as_str().unwrap();
        assert!(declared.starts_with("sha512-"), "{input}");
        assert!(lock.contains(&format!("integrity {declared}")), "{input}");
        assert!(lock.contains(&format!(
            "version \"{}\"",
            input["version"].as_str().unwrap()
        )));
        assert!(input["observed"].as_str().unwrap().starts_with("dirHash:"));
    }
    // Hoisted as Node finds them: the nested ms is debug's.
    assert_eq!(
        find(&inputs, "ms", "2.0.0")["path"],
        "node_modules/debug/node_modules/ms"
    );
    assert_eq!(find(&inputs, "ms", "2.1.3")["path"], "node_modules/ms");
    assert_eq!(find(&inputs, "ms", "2.1.3")["license"], "MIT");
    assert_ok(&run_vouch(d, "inputs ."));

    // A changed installed package is named, with both versions.
    bump_version(&d.join("node_modules/is-number"), "7.0.0", "7.0.1");
    let (which, reason) = only_mismatch(&inputs_json(d));
    assert_eq!(which, "is-number@7.0.0");
    assert_eq!(
        reason,
        "node_modules/is-number/package.json has version 7.0.1, yarn.lock locks 7.0.0"
    );
    assert_fails_with(&run_vouch(d, "inputs ."), "mismatch");
    bump_version(&d.join("node_modules/is-number"), "7.0.1", "7.0.0");

    // A package gone from disk is listed, not vendored: the lock still
    // declares it, the build would fetch it.
    fs::remove_dir_all(d.join("node_modules/left-pad")).unwrap();
    let inputs = inputs_json(d);
    let gone = find(&inputs, "left-pad", "1.3.0");
    assert_eq!(gone["match"]["status"], "not-vendored", "{gone}");
    assert_eq!(gone["path"], Value::Null);
    assert!(mismatched(&inputs).is_empty());
}

/// The SHA-512 of `path`, hex, by coreutils.
fn sha512sum(path: &Path) -> String {
    let out = Command::new("sha512sum").arg(path).output().unwrap();
    assert_ok(&out);
    String::from_utf8(out.stdout).unwrap()[..128].to_string()
}

/// The Berry lock's checksum (hex, cache key dropped) of the entry that
/// resolves to `locator`.
fn berry_checksum(lock: &str, locator: &str) -> String {
    let lock: serde_norway::Value = serde_norway::from_str(lock).unwrap();
    let entry = lock
        .as_mapping()
        .unwrap()
        .values()
        .find(|e| e["resolution"].as_str() == Some(locator))
        .unwrap_or_else(|| panic!("no entry resolves to {locator}"));
    let checksum = entry["checksum"].as_str().unwrap();
    checksum.rsplit('/').next().unwrap().to_string()
}

#[test]
fn berry_pnp_cache_zips_are_hashed_against_the_lock_and_a_flipped_byte_is_named() {
    let (dir, home) = (tempdir(), tempdir());
    let d = dir.path();
    berry_install(d, home.path(), "pnp");
    assert!(d.join(".pnp.cjs").is_file());
    assert!(!d.join("node_modules").exists());
    let lock = fs::read_to_string(d.join("yarn.lock")).unwrap();
    assert!(lock.contains("__metadata:"), "{lock}");

    let inputs = inputs_json(d);
    assert_all_listed_and_matching(d, &inputs);
    for input in &inputs {
        let locator = format!(
            "{}@npm:{}",
            input["name"].as_str().unwrap(),
            input["version"].as_str().unwrap()
        );
        let hex = berry_checksum(&lock, &locator);
        assert_eq!(input["declared"], format!("sha512:{hex}"), "{input}");
        // Recomputed from disk, by another implementation.
        let zip = d.join(input["path"].as_str().unwrap());
        assert!(zip.starts_with(d.join(".yarn/cache")), "{input}");
        assert_eq!(sha512sum(&zip), hex, "{input}");
        assert_eq!(input["observed"], format!("sha512:{hex}"), "{input}");
    }

    // The licence is the package.json's inside the zip.
    assert_eq!(find(&inputs, "ms", "2.1.3")["license"], "MIT");
    assert_eq!(
        find(&inputs, "@sigstore/protobuf-specs", "0.5.2")["license"],
        "Apache-2.0"
    );

    // A flipped byte in a cached zip: that package is a mismatch naming
    // its zip.
    let ms = find(&inputs, "ms", "2.1.3")["path"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bytes = fs::read(d.join(&ms)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    fs::write(d.join(&ms), &bytes).unwrap();
    let (which, reason) = only_mismatch(&inputs_json(d));
    assert_eq!(which, "ms@2.1.3");
    assert!(
        reason.starts_with(&format!("{ms} has SHA-512 ")),
        "{reason}"
    );
    assert!(reason.contains("yarn.lock declares"), "{reason}");
    bytes[middle] ^= 1;
    fs::write(d.join(&ms), &bytes).unwrap();

    // A zip gone from the cache: not vendored (Yarn would fetch it).
    let left_pad = find(&inputs, "left-pad", "1.3.0")["path"]
        .as_str()
        .unwrap()
        .to_string();
    fs::remove_file(d.join(&left_pad)).unwrap();
    let inputs = inputs_json(d);
    assert_eq!(
        find(&inputs, "left-pad", "1.3.0")["match"]["status"],
        "not-vendored"
    );
    assert!(mismatched(&inputs).is_empty());
}

#[test]
fn a_pnp_map_sending_a_package_to_another_zip_is_caught_issue_18() {
    // The zips all match the lock, but .pnp.cjs, which Node loads them
    // through, sends `ms@npm:2.1.3` to the 2.0.0 zip: what runs is not
    // what is locked.
    let (dir, home) = (tempdir(), tempdir());
    let d = dir.path();
    berry_install(d, home.path(), "pnp");
    let inputs = inputs_json(d);
    let path = |version: &str| {
        find(&inputs, "ms", version)["path"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (new, old) = (path("2.1.3"), path("2.0.0"));
    let pnp = fs::read_to_string(d.join(".pnp.cjs")).unwrap();
    let count = pnp.matches(&new).count();
    assert_eq!(count, 1, "one location for ms 2.1.3");
    fs::write(d.join(".pnp.cjs"), pnp.replace(&new, &old)).unwrap();
    let (which, reason) = only_mismatch(&inputs_json(d));
    assert_eq!(which, "ms@2.1.3");
    // The location read from .pnp.cjs is quoted cut, as any text of the
    // project is; the expected zip is vouch's own.
    assert!(
        reason.starts_with(".pnp.cjs maps ms@npm:2.1.3 to .yarn/cache/ms-npm-2.0.0-"),
        "{reason}"
    );
    assert!(
        reason.ends_with(&format!(", not to its cache zip {new}")),
        "{reason}"
    );
    assert!(old.starts_with(".yarn/cache/ms-npm-2.0.0-"), "{old}");
}

#[test]
fn berry_node_modules_checks_zips_and_installed_copies() {
    let (dir, home) = (tempdir(), tempdir());
    let d = dir.path();
    berry_install(d, home.path(), "node-modules");
    let lock = fs::read_to_string(d.join("yarn.lock")).unwrap();

    let inputs = inputs_json(d);
    assert_all_listed_and_matching(d, &inputs);
    for input in &inputs {
        let locator = format!(
            "{}@npm:{}",
            input["name"].as_str().unwrap(),
            input["version"].as_str().unwrap()
        );
        let hex = berry_checksum(&lock, &locator);
        assert_eq!(input["declared"], format!("sha512:{hex}"), "{input}");
        // Both: the cache zip's SHA-512 and the installed directory's hash.
        let observed = input["observed"].as_str().unwrap();
        let (zip, dir_hash) = observed.split_once(',').unwrap();
        assert_eq!(zip, format!("sha512:{hex}"), "{input}");
        assert_eq!(dir_hash.strip_prefix("dirHash:").unwrap().len(), 64);
        assert!(input["path"].as_str().unwrap().starts_with("node_modules/"));
    }
    assert_eq!(
        find(&inputs, "ms", "2.0.0")["path"],
        "node_modules/debug/node_modules/ms"
    );

    bump_version(&d.join("node_modules/is-number"), "7.0.0", "7.0.1");
    let (which, reason) = only_mismatch(&inputs_json(d));
    assert_eq!(which, "is-number@7.0.0");
    assert_eq!(
        reason,
        "node_modules/is-number/package.json has version 7.0.1, yarn.lock locks 7.0.0"
    );
}

#[test]
fn berry_node_modules_without_its_state_file_is_refused_issue_18() {
    // Without .yarn-state.yml nothing says what node_modules holds: it is
    // refused, not passed on the zips alone.
    let (dir, home) = (tempdir(), tempdir());
    let d = dir.path();
    berry_install(d, home.path(), "node-modules");
    fs::remove_file(d.join("node_modules/.yarn-state.yml")).unwrap();
    assert_fails_with(&run_vouch(d, "inputs ."), ".yarn-state.yml");
}

/// The pnpm lock's integrity of each package key.
fn pnpm_integrities(d: &Path) -> Vec<(String, String)> {
    let lock: serde_norway::Value =
        serde_norway::from_str(&fs::read_to_string(d.join("pnpm-lock.yaml")).unwrap()).unwrap();
    lock["packages"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().trim_start_matches('/').to_string(),
                v["resolution"]["integrity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pnpm_checks(pnpm: &str, lockfile_version: &str) {
    let (dir, home) = (tempdir(), tempdir());
    let d = dir.path();
    pnpm_install(d, home.path(), pnpm);
    let lock = fs::read_to_string(d.join("pnpm-lock.yaml")).unwrap();
    assert!(
        lock.starts_with(&format!("lockfileVersion: '{lockfile_version}'")),
        "{lock}"
    );
    let integrities = pnpm_integrities(d);
    assert_eq!(integrities.len(), INSTALLED.len());

    let inputs = inputs_json(d);
    assert_all_listed_and_matching(d, &inputs);
    for input in &inputs {
        let key = format!(
            "{}@{}",
            input["name"].as_str().unwrap(),
            input["version"].as_str().unwrap()
        );
        let (_, integrity) = integrities.iter().find(|(k, _)| *k == key).unwrap();
        assert_eq!(input["declared"], *integrity, "{input}");
        assert!(input["observed"].as_str().unwrap().starts_with("dirHash:"));
        let path = input["path"].as_str().unwrap();
        assert!(path.starts_with("node_modules/.pnpm/"), "{input}");
        assert!(path.ends_with(&format!(
            "/node_modules/{}",
            input["name"].as_str().unwrap()
        )));
    }
    assert_eq!(
        find(&inputs, "@sigstore/protobuf-specs", "0.5.2")["path"],
        "node_modules/.pnpm/@sigstore+protobuf-specs@0.5.2/node_modules/@sigstore/protobuf-specs"
    );
    // An upper-case name: pnpm hashes its store directory.
    let hashed = find(&inputs, "JSONStream", "1.3.5")["path"]
        .as_str()
        .unwrap();
    assert!(
        hashed.starts_with("node_modules/.pnpm/JSONStream@1.3.5_"),
        "{hashed}"
    );
    assert_eq!(find(&inputs, "ms", "2.1.3")["license"], "MIT");

    let store = "node_modules/.pnpm/is-number@7.0.0/node_modules/is-number";
    bump_version(&d.join(store), "7.0.0", "7.0.1");
    let (which, reason) = only_mismatch(&inputs_json(d));
    assert_eq!(which, "is-number@7.0.0");
    assert_eq!(
        reason,
        format!("{store}/package.json has version 7.0.1, pnpm-lock.yaml locks 7.0.0")
    );
    bump_version(&d.join(store), "7.0.1", "7.0.0");

    // Node loads what pnpm's links lead to: the project's node_modules/ms
    // sent to the store's ms 2.0.0, or debug's ms to 2.1.3, is caught on
    // the package the lock wanted there (issue 18: every store directory
    // matching, yet another package running).
    let link = d.join("node_modules/ms");
    let original = fs::read_link(&link).unwrap();
    fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(".pnpm/ms@2.0.0/node_modules/ms", &link).unwrap();
    let (which, reason) = only_mismatch(&inputs_json(d));
    assert_eq!(which, "ms@2.1.3");
    assert!(
        reason.starts_with("node_modules/ms leads to node_modules/.pnpm/ms@2.0.0/"),
        "{reason}"
    );
    assert!(
        reason.ends_with(
            ", not to node_modules/.pnpm/ms@2.1.3/node_modules/ms, which pnpm-lock.yaml locks"
        ),
        "{reason}"
    );
    // A real directory in place of the link, claiming the locked version.
    fs::remove_file(&link).unwrap();
    fs::create_dir(&link).unwrap();
    fs::write(link.join("package.json"), r#"{"version": "2.1.3"}"#).unwrap();
    let (which, reason) = only_mismatch(&inputs_json(d));
    assert_eq!(which, "ms@2.1.3");
    assert!(
        reason.starts_with("node_modules/ms leads to node_modules/ms,"),
        "{reason}"
    );
    fs::remove_dir_all(&link).unwrap();
    std::os::unix::fs::symlink(&original, &link).unwrap();
    let nested = d.join("node_modules/.pnpm/debug@2.6.9/node_modules/ms");
    let original = fs::read_link(&nested).unwrap();
    fs::remove_file(&nested).unwrap();
    std::os::unix::fs::symlink("../../ms@2.1.3/node_modules/ms", &nested).unwrap();
    let (which, reason) = only_mismatch(&inputs_json(d));
    assert_eq!(which, "ms@2.0.0");
    assert!(
        reason.starts_with("node_modules/.pnpm/debug@2.6.9/node_modules/ms leads to "),
        "{reason}"
    );
    fs::remove_file(&nested).unwrap();
    std::os::unix::fs::symlink(&original, &nested).unwrap();
    assert!(mismatched(&inputs_json(d)).is_empty());

    fs::remove_dir_all(d.join("node_modules/.pnpm/left-pad@1.3.0")).unwrap();
    let inputs = inputs_json(d);
    assert_eq!(
        find(&inputs, "left-pad", "1.3.0")["match"]["status"],
        "not-vendored"
    );
    assert!(mismatched(&inputs).is_empty());
}

#[test]
fn pnpm_10_lockfile_9_every_package_in_the_store_is_listed_and_checked_issue_18() {
    pnpm_checks("pnpm/bin/pnpm.cjs", "9.0");
}

#[test]
fn pnpm_8_lockfile_6_every_package_in_the_store_is_listed_and_checked_issue_18() {
    pnpm_checks("pnpm8/bin/pnpm.cjs", "6.0");
}

#[test]
fn a_second_lockfile_is_refused_not_reported_issue_18() {
    // A yarn.lock next to pnpm-lock.yaml (or package-lock.json): which one
    // the build installed from is not written anywhere, so neither may
    // vouch for node_modules.
    let (dir, home) = (tempdir(), tempdir());
    let d = dir.path();
    pnpm_install(d, home.path(), "pnpm/bin/pnpm.cjs");
    assert_ok(&run_vouch(d, "inputs ."));
    fs::write(d.join("yarn.lock"), "# yarn lockfile v1\n").unwrap();
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        "several lockfiles (yarn.lock, pnpm-lock.yaml)",
    );
    fs::remove_file(d.join("yarn.lock")).unwrap();
    fs::write(d.join("package-lock.json"), "{}").unwrap();
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        "several lockfiles (package-lock.json, pnpm-lock.yaml)",
    );
}

#[test]
fn sbom_of_a_pnpm_project_passes_both_validators() {
    let (dir, home) = (tempdir(), tempdir());
    let d = dir.path();
    pnpm_install(d, home.path(), "pnpm/bin/pnpm.cjs");
    assert_ok(&run_vouch(d, "sbom . --format cyclonedx -o bom.cdx.json"));
    let out = oracle_script("sbom_validate.py")
        .arg(d.join("bom.cdx.json"))
        .output()
        .unwrap();
    assert_ok(&out);
    let bom: Value = serde_json::from_slice(&fs::read(d.join("bom.cdx.json")).unwrap()).unwrap();
    let purls: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    // The purl spec lower-cases npm names.
    assert!(purls.contains(&"pkg:npm/jsonstream@1.3.5"), "{purls:?}");
    assert_eq!(purls.len(), INSTALLED.len(), "{purls:?}");
    assert_ok(&run_vouch(d, "sbom . --format spdx -o sbom.spdx.json"));
    let out = venv_bin("pyspdxtools")
        .arg("-i")
        .arg(d.join("sbom.spdx.json"))
        .output()
        .unwrap();
    assert_ok(&out);
}

#[test]
fn unbundle_of_a_pnpm_project_names_debians_package_but_write_refuses_issue_18() {
    // ms 2.1.3 is what Debian's node-ms carries (installed by
    // scripts/install-oracles.sh). The plan names it; --write, whose swap
    // is npm's own (package.json, package-lock.json), must not half-write
    // a pnpm project: it refuses, and nothing changes.
    let (dir, home) = (tempdir(), tempdir());
    let d = dir.path();
    pnpm_install_manifest(
        d,
        home.path(),
        "pnpm/bin/pnpm.cjs",
        r#"{"name": "p", "version": "1.0.0", "private": true, "dependencies": {"ms": "2.1.3"}}"#,
    );
    let debs = oracles().join("debs");
    let unbundle = |extra: &[&str]| {
        common::vouch()
            .arg("unbundle")
            .arg(d)
            .args(["--distro", "debian", "--all", "--debs"])
            .arg(&debs)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = unbundle(&["--output", "json"]);
    assert_ok(&out);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = plan.to_string();
    assert!(text.contains("node-ms"), "{plan:#}");
    assert!(
        text.contains("the project is locked by pnpm-lock.yaml"),
        "{plan:#}"
    );
    let before = (
        fs::read(d.join("package.json")).unwrap(),
        fs::read(d.join("pnpm-lock.yaml")).unwrap(),
        inputs_json(d),
    );
    let out = unbundle(&["--write"]);
    assert_fails_with(
        &out,
        "the project is locked by pnpm-lock.yaml, and --write swaps npm packages through npm",
    );
    assert!(!d.join("package-lock.json").exists());
    assert!(!d.join(".npmrc").exists());
    let after = (
        fs::read(d.join("package.json")).unwrap(),
        fs::read(d.join("pnpm-lock.yaml")).unwrap(),
        inputs_json(d),
    );
    assert!(before == after, "the project changed");
}
