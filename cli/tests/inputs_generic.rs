//! `vouch inputs` on hand-declared inputs (`vouch.inputs.yaml`): a
//! vendored C library directory and an archive, with digests computed here
//! from the `h1` definition, independently of vouch's own tree code.

use crate::common;

use std::fs;
use std::path::Path;

use common::{assert_fails_with, assert_ok, inputs_json, run_vouch, tempdir};
use vouch_evidence::digest::sha256;

/// Every file under `dir`, as `/`-separated paths relative to `base`.
fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(base, &path, out);
        } else {
            let relative = path.strip_prefix(base).unwrap();
            out.push(relative.to_str().unwrap().replace('\\', "/"));
        }
    }
}

/// Go's `h1` dirhash of `dir`, as hex: SHA-256 over the sorted lines
/// `"<sha256 hex>  <relative/path>\n"`.
fn h1_hex(dir: &Path) -> String {
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    let lines: String = files
        .iter()
        .map(|f| format!("{}  {f}\n", sha256(&fs::read(dir.join(f)).unwrap()).hex()))
        .collect();
    sha256(lines.as_bytes()).hex()
}

/// A project vendoring zlib's sources under `third_party/zlib/`, with a
/// local patch under `third_party/patches/`, and an archive at
/// `third_party/archive.tar.gz`.
fn project(d: &Path) {
    fs::create_dir_all(d.join("third_party/patches")).unwrap();
    fs::write(
        d.join("third_party/patches/zlib-inflate.patch"),
        b"--- a/inflate.c\n+++ b/inflate.c\n@@ -1 +1 @@\n-old\n+new\n",
    )
    .unwrap();
    fs::create_dir_all(d.join("third_party/zlib/contrib/minizip")).unwrap();
    fs::write(
        d.join("third_party/zlib/zlib.h"),
        b"#define ZLIB_VERSION \"1.3.1\"\n",
    )
    .unwrap();
    fs::write(
        d.join("third_party/zlib/adler32.c"),
        b"uLong adler32(void) { return 1; }\n",
    )
    .unwrap();
    fs::write(
        d.join("third_party/zlib/LICENSE"),
        b"(C) 1995-2024 Jean-loup Gailly and Mark Adler\n",
    )
    .unwrap();
    fs::write(
        d.join("third_party/zlib/contrib/minizip/zip.c"),
        b"int zip;\n",
    )
    .unwrap();
    fs::write(
        d.join("third_party/archive.tar.gz"),
        [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3],
    )
    .unwrap();
}

fn declare(d: &Path, dir_hash: &str, file_sha256: &str) {
    fs::write(
        d.join("vouch.inputs.yaml"),
        format!(
            "# Inputs no lockfile covers.\n\
             inputs:\n\
             \x20 - name: zlib\n\
             \x20   version: 1.3.1\n\
             \x20   uri: https://zlib.net/zlib-1.3.1.tar.gz\n\
             \x20   path: third_party/zlib\n\
             \x20   dirHash: {dir_hash}\n\
             \x20   license: Zlib\n\
             \x20   cpe: cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*\n\
             \x20   categories: [dataplane_core]\n\
             \x20   patches:\n\
             \x20     - third_party/patches/zlib-inflate.patch\n\
             \x20 - name: archive\n\
             \x20   version: 2.0\n\
             \x20   uri: https://example.com/archive-2.0.tar.gz\n\
             \x20   purl: pkg:generic/example/archive@2.0\n\
             \x20   path: third_party/archive.tar.gz\n\
             \x20   sha256: {file_sha256}\n"
        ),
    )
    .unwrap();
}

#[test]
fn declared_digests_match_until_one_byte_changes() {
    let dir = tempdir();
    let d = dir.path();
    project(d);
    let dir_hash = h1_hex(&d.join("third_party/zlib"));
    let file_sha256 = sha256(&fs::read(d.join("third_party/archive.tar.gz")).unwrap()).hex();
    declare(d, &dir_hash, &file_sha256);

    let inputs = inputs_json(d);
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    // Sorted by name: archive, then zlib.
    let (archive, zlib) = (&inputs[0], &inputs[1]);
    for input in &inputs {
        assert_eq!(input["match"]["status"], "match", "{input}");
        assert_eq!(input["ecosystem"], "generic");
        assert_eq!(input["observed"], input["declared"], "{input}");
    }
    assert_eq!(zlib["name"], "zlib");
    assert_eq!(zlib["version"], "1.3.1");
    assert_eq!(zlib["purl"], "pkg:generic/zlib@1.3.1");
    assert_eq!(zlib["uri"], "https://zlib.net/zlib-1.3.1.tar.gz");
    assert_eq!(zlib["path"], "third_party/zlib");
    assert_eq!(zlib["observed"], format!("dirHash:{dir_hash}").as_str());
    assert_eq!(zlib["license"], "Zlib");
    assert_eq!(zlib["cpe"], "cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*");
    assert_eq!(zlib["categories"], serde_json::json!(["dataplane_core"]));
    assert_eq!(
        zlib["patches"],
        serde_json::json!(["third_party/patches/zlib-inflate.patch"])
    );
    // Nothing declared, nothing recorded.
    for field in ["license", "cpe", "categories", "patches"] {
        assert!(archive[field].is_null(), "{field}: {archive}");
    }
    assert_eq!(archive["version"], "2.0");
    assert_eq!(archive["purl"], "pkg:generic/example/archive@2.0");
    assert_eq!(
        archive["observed"],
        format!("sha256:{file_sha256}").as_str()
    );
    assert_ok(&run_vouch(d, "inputs ."));

    // One byte of one vendored file changes: the input and its path are named.
    let file = d.join("third_party/zlib/contrib/minizip/zip.c");
    let mut bytes = fs::read(&file).unwrap();
    bytes[0] ^= 1;
    fs::write(&file, bytes).unwrap();
    let out = run_vouch(d, "inputs .");
    assert_fails_with(
        &out,
        "zlib 1.3.1 (generic): path third_party/zlib has dirHash",
    );
    let after = inputs_json(d);
    assert_eq!(after[0]["match"]["status"], "match");
    assert_eq!(after[1]["match"]["status"], "mismatch");
    assert_eq!(
        after[1]["observed"],
        format!("dirHash:{}", h1_hex(&d.join("third_party/zlib"))).as_str()
    );

    // The archive goes missing: a declared path is vendored by definition.
    fs::remove_file(d.join("third_party/archive.tar.gz")).unwrap();
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        "archive 2.0 (generic): path third_party/archive.tar.gz does not exist",
    );
}

#[test]
fn malformed_declarations_are_refused_with_file_and_line() {
    let dir = tempdir();
    let d = dir.path();
    project(d);
    let zero = "0".repeat(64);
    fs::write(
        d.join("vouch.inputs.yaml"),
        format!(
            "inputs:\n  - name: zlib\n    version: 1.3.1\n    uri: u\n    path: third_party/zlib\n    \
             dirhash: {zero}\n"
        ),
    )
    .unwrap();
    let out = run_vouch(d, "inputs . --output json --allow-mismatch");
    assert_fails_with(&out, "invalid vouch.inputs.yaml");
    assert_fails_with(&out, "unknown field `dirhash`");
    assert_fails_with(&out, "at line 6 column 5");

    fs::write(
        d.join("vouch.inputs.yaml"),
        format!("inputs:\n  - {{name: x, version: '1', uri: u, path: ../x, sha256: {zero}}}\n"),
    )
    .unwrap();
    assert_fails_with(&run_vouch(d, "inputs ."), "contains `..`");

    // The optional fields are held to the same rules: a patch path that
    // leaves the project is refused, naming it and where it is declared;
    // a misspelt field is still an error; a licence must be SPDX.
    let entry = |extra: &str| {
        format!(
            "inputs:\n  - name: zlib\n    version: 1.3.1\n    uri: u\n    path: third_party/zlib\n    \
             dirHash: {zero}\n{extra}"
        )
    };
    for (extra, needles) in [
        (
            "    patches: [../fix.patch]\n",
            &[
                "refusing ../fix.patch: contains `..`",
                "`patches` of inputs[0] (zlib 1.3.1) in",
            ][..],
        ),
        (
            "    patches: [third_party/patches/gone.patch]\n",
            &["patch \"third_party/patches/gone.patch\" does not exist"][..],
        ),
        (
            "    patch: [third_party/patches/zlib-inflate.patch]\n",
            &["unknown field `patch`", "at line 7 column 5"][..],
        ),
        (
            "    license: zlib License\n",
            &["`license` \"zlib License\" is not an SPDX expression"][..],
        ),
    ] {
        fs::write(d.join("vouch.inputs.yaml"), entry(extra)).unwrap();
        let out = run_vouch(d, "inputs .");
        for needle in needles {
            assert_fails_with(&out, needle);
        }
    }
    // The negative control: the same entry with its real patch is read.
    fs::write(
        d.join("vouch.inputs.yaml"),
        entry("    patches: [third_party/patches/zlib-inflate.patch]\n"),
    )
    .unwrap();
    let inputs = inputs_json(d);
    assert_eq!(
        inputs[0]["patches"],
        serde_json::json!(["third_party/patches/zlib-inflate.patch"])
    );
}
