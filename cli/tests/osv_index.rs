//! `vouch osv index`, `push` and `pull`, and the index wherever `--osv`
//! or a policy's `vulnerabilities.osv` takes a database: the same answers
//! as the records it was built from, a damaged index refused, and the
//! index carried through a real Distribution registry as a signed
//! artifact, refused when tampered with, signed by another key, or when
//! its tag was moved to another artifact.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::registry::Registry;
use common::{assert_fails_with, assert_ok, edit, root, stderr, stdout, Fixture};
use serde_json::Value;

/// The real OSV records (testdata/osv/SOURCE.md).
fn osv() -> PathBuf {
    root().join("testdata/osv")
}

/// `vouch osv index EXPORT -o OUT` in the fixture's directory.
fn index(f: &Fixture, export: &Path, out: &str) -> Output {
    f.run(["osv", "index", export.to_str().unwrap(), "-o", out])
}

/// The findings of `vouch vulns demo-service --osv OSV --output json`.
fn findings(f: &Fixture, osv: &str) -> Value {
    let project = f.project.to_str().unwrap();
    let out = f.run(["vulns", project, "--osv", osv, "--output", "json"]);
    assert_ok(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json["findings"].clone()
}

/// A configuration error (exit 2, not "found something") naming `needle`.
fn assert_misconfigured(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("vouch: error:") && err.contains(needle),
        "{err}"
    );
}

#[test]
fn vulns_with_an_index_finds_what_the_records_it_was_built_from_find() {
    let f = Fixture::new().with_project();
    let out = index(&f, &osv(), "osv.idx");
    assert_ok(&out);
    assert!(
        stderr(&out).contains("Indexed 10 OSV records"),
        "{}",
        stderr(&out)
    );
    let from_records = findings(&f, osv().to_str().unwrap());
    let from_index = findings(&f, "osv.idx");
    assert_eq!(from_index, from_records);
    let ids: Vec<&str> = from_index
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"CVE-2024-50615"), "{ids:?}");

    // A truncated index and a foreign file are configuration errors
    // naming the problem, never an empty scan.
    let bytes = fs::read(f.dir().join("osv.idx")).unwrap();
    fs::write(f.dir().join("cut.idx"), &bytes[..bytes.len() - 7]).unwrap();
    let project = f.project.to_str().unwrap();
    let out = f.run(["vulns", project, "--osv", "cut.idx"]);
    assert_misconfigured(&out, "the index is truncated or damaged");
    let mut other = bytes.clone();
    other[19] = 9;
    fs::write(f.dir().join("other.idx"), &other).unwrap();
    let out = f.run(["vulns", project, "--osv", "other.idx"]);
    assert_misconfigured(&out, "index format 9");

    // A bad export builds nothing: no file at all at the output.
    let out = index(&f, &root().join("testdata/osv-bad"), "bad.idx");
    assert!(!out.status.success());
    assert!(!f.dir().join("bad.idx").exists());
}

#[test]
fn a_policy_naming_an_index_gates_as_the_same_policy_naming_the_records() {
    let f = Fixture::demo()
        .with_vulns()
        .with_layout_image("layout", "app")
        .attested();
    let (out, by_records) = f.verify("policy.yaml");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_ok(&index(&f, &f.dir().join("osv"), "osv.idx"));
    edit(&f.dir().join("policy.yaml"), "osv: osv ", "osv: osv.idx ");
    fs::remove_dir_all(f.dir().join("osv")).unwrap();
    let (out, by_index) = f.verify("policy.yaml");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let findings = |v: &Value| v["images"][0]["findings"].clone();
    assert!(
        !findings(&by_index).as_array().unwrap().is_empty(),
        "{by_index}"
    );
    assert_eq!(findings(&by_index), findings(&by_records));
    assert_eq!(
        by_index["images"][0]["denials"],
        by_records["images"][0]["denials"]
    );
}

/// A policy admitting any artifact of the registry's `osv` repository
/// signed by `ci.pub`, with no attestation required.
fn osv_policy(registry: &Registry) -> String {
    format!(
        "apiVersion: vouch.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {{name: osv}}\n\
         spec:\n  images: [{{glob: \"{}/osv*\"}}]\n  authorities:\n    - name: ci\n      key: {{path: ci.pub}}\n",
        registry.host
    )
}

#[test]
fn an_index_travels_signed_and_is_refused_tampered_wrongly_signed_or_retagged() {
    let f = Fixture::new()
        .with_key("ci")
        .with_key("other")
        .with_registry(Registry::plain());
    assert_ok(&index(&f, &osv(), "osv.idx"));
    let reference = f.registry().reference("osv", "daily");
    let out = f.run(["osv", "push", "osv.idx", &reference, "--key", "ci.key"]);
    assert_ok(&out);
    let pinned = stdout(&out).trim().to_owned();
    assert!(pinned.contains("/osv@sha256:"), "{pinned}");

    // Pulled by tag with the right key: the same bytes, and the digest
    // verified printed for pinning.
    let out = f.run([
        "osv",
        "pull",
        &reference,
        "--key",
        "ci.pub",
        "-o",
        "pulled.idx",
    ]);
    assert_ok(&out);
    assert_eq!(stdout(&out).trim(), pinned);
    let original = fs::read(f.dir().join("osv.idx")).unwrap();
    assert_eq!(fs::read(f.dir().join("pulled.idx")).unwrap(), original);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &fs::metadata(f.dir().join("pulled.idx"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o644, "{mode:o}");
    // What it printed pins the artifact by digest.
    let (_, digest) = pinned.split_once('@').unwrap();
    assert!(digest.starts_with("sha256:"));

    // By a policy that admits it by its signature.
    fs::write(f.dir().join("osv-policy.yaml"), osv_policy(f.registry())).unwrap();
    let out = f.run([
        "osv",
        "pull",
        &reference,
        "--policy",
        "osv-policy.yaml",
        "-o",
        "by-policy.idx",
    ]);
    assert_ok(&out);
    assert_eq!(fs::read(f.dir().join("by-policy.idx")).unwrap(), original);

    // Another key: refused, nothing written.
    let out = f.run([
        "osv",
        "pull",
        &reference,
        "--key",
        "other.pub",
        "-o",
        "wrong.idx",
    ]);
    assert_fails_with(&out, "no signature on");
    assert!(!f.dir().join("wrong.idx").exists());

    // The tag moved to another index signed by another key: refused by
    // the key and by the policy; the pinned digest still gives the
    // original.
    let export = f.dir().join("export");
    common::copy_tree(&osv(), &export);
    fs::remove_file(export.join("GO-2021-0113.json")).unwrap();
    assert_ok(&index(&f, &export, "other.idx"));
    let out = f.run(["osv", "push", "other.idx", &reference, "--key", "other.key"]);
    assert_ok(&out);
    assert_ne!(stdout(&out).trim(), pinned);
    let out = f.run([
        "osv",
        "pull",
        &reference,
        "--key",
        "ci.pub",
        "-o",
        "moved.idx",
    ]);
    assert_fails_with(&out, "no signature on");
    let out = f.run([
        "osv",
        "pull",
        &reference,
        "--policy",
        "osv-policy.yaml",
        "-o",
        "moved.idx",
    ]);
    assert_fails_with(&out, "is not admitted by");
    assert!(!f.dir().join("moved.idx").exists());
    let out = f.run([
        "osv",
        "pull",
        &pinned,
        "--key",
        "ci.pub",
        "-o",
        "pinned.idx",
    ]);
    assert_ok(&out);
    assert_eq!(fs::read(f.dir().join("pinned.idx")).unwrap(), original);

    // Capped before reading: a smaller limit refuses the layer unread.
    let out = f.run([
        "osv",
        "pull",
        &pinned,
        "--key",
        "ci.pub",
        "-o",
        "capped.idx",
        "--max-index-bytes",
        "100",
    ]);
    assert_fails_with(&out, "more than --max-index-bytes 100");
    assert!(!f.dir().join("capped.idx").exists());
}

#[test]
fn a_tampered_index_blob_is_refused_at_pull() {
    let f = Fixture::new().with_key("ci");
    assert_ok(&index(&f, &osv(), "osv.idx"));
    let out = f.run([
        "osv",
        "push",
        "osv.idx",
        "oci:layout:osv",
        "--key",
        "ci.key",
    ]);
    assert_ok(&out);
    // Flip a byte of the stored index (the layout's blob of that size).
    let size = fs::metadata(f.dir().join("osv.idx")).unwrap().len();
    let blobs = f.dir().join("layout/blobs/sha256");
    let blob = fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| fs::metadata(p).unwrap().len() == size)
        .unwrap();
    let mut bytes = fs::read(&blob).unwrap();
    bytes[100] ^= 1;
    fs::write(&blob, bytes).unwrap();
    let out = f.run([
        "osv",
        "pull",
        "oci:layout:osv",
        "--key",
        "ci.pub",
        "-o",
        "t.idx",
    ]);
    assert!(!out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("digest"), "{}", stderr(&out));
    assert!(!f.dir().join("t.idx").exists());
}
