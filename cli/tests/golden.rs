//! The demo's JSON outputs held against golden files (testdata/golden),
//! written before the issue 14 restructuring so that it can be shown to
//! change no output: `inputs`, `tree`, `verify` (allowed and denied),
//! `vulns` (before and after the VEX answer) and `diff`, over the same
//! steps as scripts/demo.sh with the test-only keys of
//! testdata/golden/keys.
//!
//! What differs from run to run is masked before comparing: timestamps,
//! the provenance's invocation id, the VEX document id, and the digests of the attachments
//! (their bundles carry the signing time), each numbered in the order
//! `tree` lists it. `VOUCH_BLESS=1` rewrites the golden files.

use crate::common;

use std::fs;
use std::path::Path;

use common::{assert_ok, copy_tree, root, vouch_in};
use serde_json::Value;

/// Stores `bytes` as a blob of the layout at `dir`; its descriptor fields.
fn blob(dir: &Path, bytes: &[u8]) -> (String, usize) {
    let hex = vouch_evidence::digest::sha256(bytes).hex();
    fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    fs::write(dir.join("blobs/sha256").join(&hex), bytes).unwrap();
    (format!("sha256:{hex}"), bytes.len())
}

/// The demo's `image` function: a one-layer linux/amd64 image of `layer`
/// tagged `tag` in the layout at `dir`, byte for byte as demo.sh writes it.
fn demo_image(dir: &Path, tag: &str, layer: &[u8]) {
    let (layer_digest, layer_size) = blob(dir, layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{layer_digest}"]}}}}"#
    );
    let (config_digest, config_size) = blob(dir, config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{layer_size}}}]}}"#
    );
    let (manifest_digest, manifest_size) = blob(dir, manifest.as_bytes());
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{manifest_size},"annotations":{{"org.opencontainers.image.ref.name":"{tag}"}}}}]}}"#
        ),
    )
    .unwrap();
}

/// `vouch ARGS` in `dir`: its JSON standard output, and whether it exited 0.
fn json_of(dir: &Path, args: &[&str]) -> (Value, bool) {
    let out = vouch_in(dir, args);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "vouch {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (json, out.status.success())
}

/// Replaces what changes from run to run: RFC 3339 times, the invocation
/// id, the VEX document id, and each of `volatile` (attachment digests) by its number.
fn mask(value: &mut Value, volatile: &[String]) {
    match value {
        Value::String(s) => {
            let time = s.len() == 20
                && s.as_bytes()[4] == b'-'
                && s.as_bytes()[10] == b'T'
                && s.ends_with('Z');
            if time {
                *s = "<time>".into();
            } else if s.starts_with("urn:vouch:invocation:") {
                *s = "<invocation>".into();
            } else if s.starts_with("https://vouch.dev/vex/") {
                // The document id hashes the document, its timestamp too.
                *s = "<vex-document>".into();
            } else {
                for (n, digest) in volatile.iter().enumerate() {
                    if s.contains(digest.as_str()) {
                        *s = s.replace(digest.as_str(), &format!("<attachment-{n}>"));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask(v, volatile)),
        Value::Object(map) => map.values_mut().for_each(|v| mask(v, volatile)),
        _ => {}
    }
}

/// Compares `value` with testdata/golden/NAME.json (or writes it, with
/// `VOUCH_BLESS=1`).
fn check(name: &str, value: &Value) {
    let path = root().join("testdata/golden").join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(value).unwrap() + "\n";
    if std::env::var_os("VOUCH_BLESS").is_some() {
        fs::write(&path, text).unwrap();
        return;
    }
    let golden = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (VOUCH_BLESS=1 writes it)", path.display()));
    assert!(
        golden == text,
        "{name}: the output differs from {}:\n{}",
        path.display(),
        text
    );
}

#[test]
fn the_demos_json_outputs_match_the_golden_files() {
    let tmp = common::tempdir();
    let dir = tmp.path();
    // Relative paths: the outputs name the project, not the checkout.
    copy_tree(
        &root().join("testdata/projects/demo-service"),
        &dir.join("demo-service"),
    );
    let project = "demo-service";
    for file in ["ci.key", "ci.pub", "security.key", "security.pub"] {
        fs::copy(
            root().join("testdata/golden/keys").join(file),
            dir.join(file),
        )
        .unwrap();
    }
    demo_image(&dir.join("layout"), "v1", b"release artifact\n");
    let run = |args: &[&str]| assert_ok(&vouch_in(dir, args));
    run(&["sign", "oci:layout:v1", "--key", "ci.key"]);

    let mut outputs: Vec<(&str, Value)> = Vec::new();
    let (inputs, ok) = json_of(dir, &["inputs", project, "--output", "json"]);
    assert!(ok);
    outputs.push(("inputs", inputs));
    run(&[
        "attest",
        project,
        "--image",
        "oci:layout:v1",
        "--key",
        "ci.key",
        "--sbom",
        "cyclonedx,spdx",
        "--links",
        "links",
    ]);
    let (tree, ok) = json_of(dir, &["tree", "oci:layout:v1", "--output", "json"]);
    assert!(ok);
    fs::copy(
        root().join("testdata/policies/demo.yaml"),
        dir.join("policy.yaml"),
    )
    .unwrap();
    let verify = ["verify", "oci:layout:v1", "--output", "json", "--policy"];
    let (allowed, ok) = json_of(dir, &[&verify[..], &["policy.yaml"]].concat());
    assert!(ok, "the demo policy allows the attested image");
    outputs.push(("verify", allowed));

    copy_tree(&root().join("testdata/osv"), &dir.join("osv"));
    fs::copy(
        root().join("testdata/policies/demo-vulns.yaml"),
        dir.join("vuln-policy.yaml"),
    )
    .unwrap();
    let vulns = [
        "vulns",
        "oci:layout:v1",
        "--policy",
        "vuln-policy.yaml",
        "--output",
        "json",
    ];
    let (unanswered, _) = json_of(dir, &vulns);
    outputs.push(("vulns-unanswered", unanswered));
    let (denied, ok) = json_of(dir, &[&verify[..], &["vuln-policy.yaml"]].concat());
    assert!(!ok, "unanswered findings in a critical input are denied");
    outputs.push(("verify-denied", denied));
    run(&[
        "vex",
        "create",
        "--product",
        "oci:layout:v1",
        "--vulnerability",
        "CVE-2024-50614",
        "--vulnerability",
        "CVE-2024-50615",
        "--subcomponent",
        "pkg:github/leethomason/tinyxml2@10.0.0",
        "--status",
        "not_affected",
        "--justification",
        "vulnerable_code_not_in_execute_path",
        "--impact",
        "demo-service parses only the XML configuration it ships",
        "--author",
        "security@demo.example",
        "-o",
        "tinyxml2.vex.json",
    ]);
    run(&[
        "vex",
        "attach",
        "oci:layout:v1",
        "tinyxml2.vex.json",
        "--key",
        "security.key",
    ]);
    let (answered, ok) = json_of(dir, &vulns);
    assert!(ok);
    outputs.push(("vulns-answered", answered));

    // v2: minijson bumped, zlib silently re-hashed (demo.sh's upgrade).
    let v2 = dir.join("project-v2");
    copy_tree(&dir.join(project), &v2);
    let declared = v2.join("vouch.inputs.yaml");
    let mut yaml = fs::read_to_string(&declared)
        .unwrap()
        .replace("0.4.2", "0.5.0");
    let append = |file: &str, text: &str| {
        let path = v2.join(file);
        let mut bytes = fs::read(&path).unwrap();
        bytes.extend_from_slice(text.as_bytes());
        fs::write(path, bytes).unwrap();
    };
    append(
        "third_party/minijson/minijson.h",
        "/* 0.5.0: faster number parsing */\n",
    );
    append(
        "third_party/zlib/inflate.c",
        "/* a change nobody announced */\n",
    );
    let (now, _) = json_of(
        dir,
        &[
            "inputs",
            "project-v2",
            "--output",
            "json",
            "--allow-mismatch",
        ],
    );
    for input in now.as_array().unwrap() {
        let name = input["name"].as_str().unwrap();
        if name == "minijson" || name == "zlib" {
            let observed = input["observed"].as_str().unwrap();
            let was = input["declared"].as_str().unwrap();
            let (_, new) = observed.split_once(':').unwrap();
            let (_, old) = was.split_once(':').unwrap();
            yaml = yaml.replace(old, new);
        }
    }
    fs::write(&declared, yaml).unwrap();
    demo_image(
        &dir.join("layout-v2"),
        "v2",
        b"release artifact, version 2\n",
    );
    run(&[
        "attest",
        "project-v2",
        "--image",
        "oci:layout-v2:v2",
        "--key",
        "ci.key",
    ]);
    let (diff, _) = json_of(
        dir,
        &[
            "diff",
            "oci:layout:v1",
            "oci:layout-v2:v2",
            "--policy",
            "vuln-policy.yaml",
            "--output",
            "json",
        ],
    );
    outputs.push(("diff", diff));

    let (tree_after, ok) = json_of(dir, &["tree", "oci:layout:v1", "--output", "json"]);
    assert!(ok);
    let mut volatile: Vec<String> = Vec::new();
    for t in [&tree, &tree_after] {
        for attachment in t["attachments"].as_array().unwrap() {
            let digest = attachment["digest"].as_str().unwrap().to_owned();
            if !volatile.contains(&digest) {
                volatile.push(digest);
            }
        }
    }
    assert!(volatile.len() >= 5, "signature, 3 attestations and the VEX");
    outputs.push(("tree", tree_after));
    for (name, mut value) in outputs {
        mask(&mut value, &volatile);
        check(name, &value);
    }
}
