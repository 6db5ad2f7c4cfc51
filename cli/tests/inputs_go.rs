//! `vouch inputs` on a Go module that vendors its dependencies
//! (testdata/projects/go-sample), in the shape `go mod vendor` writes, made
//! from the module cache in testdata/projects/go-modcache. Every digest is
//! recomputed here from Go's definitions, independently of vouch's code.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::{assert_fails_with, assert_ok, by_name, edit, inputs_json, root, run_vouch, tempdir};
use serde_json::Value;
use vouch_evidence::digest::sha256;

type Files = BTreeMap<String, Vec<u8>>;

fn go_sample() -> PathBuf {
    root().join("testdata/projects/go-sample")
}

fn modcache() -> PathBuf {
    root().join("testdata/projects/go-modcache")
}

/// Every file under `dir`: `/`-separated relative path to bytes.
fn tree(dir: &Path) -> Files {
    fn walk(base: &Path, dir: &Path, out: &mut Files) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let name = path.strip_prefix(base).unwrap().to_str().unwrap();
                out.insert(name.replace('\\', "/"), fs::read(&path).unwrap());
            }
        }
    }
    let mut out = Files::new();
    walk(dir, dir, &mut out);
    out
}

/// The lines Go's `dirhash.Hash1` hashes: `"<sha256 hex>  <name>\n"`,
/// sorted by name (a BTreeMap of Strings sorts bytewise, as Go does).
fn summary(files: &Files) -> String {
    files
        .iter()
        .map(|(name, data)| format!("{}  {name}\n", sha256(data).hex()))
        .collect()
}

/// `dirhash.Hash1` as go.sum writes it: `h1:` and base64.
fn h1(files: &Files) -> String {
    let digest = sha256(summary(files).as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest.0)
    )
}

/// The same hash as vouch records it (`dirHash`, hex).
fn dir_hash_hex(files: &Files) -> String {
    sha256(summary(files).as_bytes()).hex()
}

/// `files` named `<prefix>/<name>`, as in a module zip (`<module>@<version>/...`).
fn prefixed(prefix: &str, files: &Files) -> Files {
    files
        .iter()
        .map(|(name, data)| (format!("{prefix}/{name}"), data.clone()))
        .collect()
}

/// One module of vendor/modules.txt: its path, the module cache directory
/// (`<module>@<version>`) its code comes from, and its packages.
struct Vendored {
    path: String,
    source: String,
    packages: Vec<String>,
}

fn vendored_modules(project: &Path) -> Vec<Vendored> {
    let mut out: Vec<Vendored> = Vec::new();
    let text = fs::read_to_string(project.join("vendor/modules.txt")).unwrap();
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("# ") {
            let fields: Vec<&str> = header.split_whitespace().collect();
            let source = match fields.as_slice() {
                [path, version] => format!("{path}@{version}"),
                [_, _, "=>", path, version] => format!("{path}@{version}"),
                [_, "=>", ..] => continue, // records a replacement of every version
                other => panic!("unexpected module line {other:?}"),
            };
            out.push(Vendored {
                path: fields[0].to_string(),
                source,
                packages: Vec::new(),
            });
        } else if !line.starts_with("## ") {
            out.last_mut().unwrap().packages.push(line.to_string());
        }
    }
    out
}

/// The files of `vendor/<path>` that belong to module `path`, not to a
/// module vendored beneath it.
fn own_vendor_files(project: &Path, path: &str, modules: &[Vendored]) -> Files {
    let nested: Vec<String> = modules
        .iter()
        .filter_map(|m| m.path.strip_prefix(path)?.strip_prefix('/'))
        .map(|sub| format!("{sub}/"))
        .collect();
    tree(&project.join("vendor").join(path))
        .into_iter()
        .filter(|(name, _)| !nested.iter().any(|n| name.starts_with(n.as_str())))
        .collect()
}

/// go.sum's module-zip hashes: `(module, version)` to `h1:...`.
fn go_sum(project: &Path) -> BTreeMap<(String, String), String> {
    fs::read_to_string(project.join("go.sum"))
        .unwrap()
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (!f[1].ends_with("/go.mod")).then(|| ((f[0].into(), f[1].into()), f[2].into()))
        })
        .collect()
}

/// The file name prefixes `go mod vendor` copies from the directories
/// above a vendored package, up to its module root (modcmd/vendor.go).
const METADATA: &[&str] = &[
    "AUTHORS",
    "CONTRIBUTORS",
    "COPYLEFT",
    "COPYING",
    "COPYRIGHT",
    "LEGAL",
    "LICENSE",
    "NOTICE",
    "PATENTS",
];

/// What `go mod vendor` writes under vendor/ for `modules` from the module
/// cache: each package directory's files (not its subdirectories) except
/// `_test.go`, go.mod and go.sum, plus the licence-like files of the
/// directories above it up to the module root.
fn what_go_mod_vendor_writes(modules: &[Vendored]) -> Files {
    let mut out = Files::new();
    for module in modules {
        let upstream = tree(&modcache().join(&module.source));
        for package in &module.packages {
            let sub = package.strip_prefix(&module.path).unwrap();
            let sub = sub.strip_prefix('/').unwrap_or(sub);
            for (name, data) in &upstream {
                let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
                let kept = !file.ends_with("_test.go") && file != "go.mod" && file != "go.sum";
                if dir == sub && kept {
                    out.insert(format!("{package}/{file}"), data.clone());
                }
                let above =
                    !sub.is_empty() && (dir.is_empty() || sub.starts_with(&format!("{dir}/")));
                if above && METADATA.iter().any(|p| file.starts_with(p)) {
                    out.insert(format!("{}/{name}", module.path), data.clone());
                }
            }
        }
    }
    out
}

#[test]
fn h1_is_go_dirhash_hash1() {
    // golang.org/x/mod/sumdb/dirhash hash_test.go, TestHash1 and
    // TestHashDir: files "xyz" and "abc" holding "data for <name>". The
    // expected values were computed from that test's own definition with
    // Python's hashlib, not with this code.
    let files: Files = ["xyz", "abc"]
        .iter()
        .map(|n| (n.to_string(), format!("data for {n}").into_bytes()))
        .collect();
    assert_eq!(
        h1(&files),
        "h1:EP6WfDoQTSk9klnxcjriWJOGztueJUywHNmWeq+efB8="
    );
    assert_eq!(
        h1(&prefixed("prefix", &files)),
        "h1:rLyfpGMAgqOnGE2aKOY5Xb6cOc0/YQhPjHBHBwkblhs="
    );
    // Control: other content, another hash.
    let mut other = files.clone();
    other.insert("abc".into(), b"data for abd".to_vec());
    assert_ne!(h1(&other), h1(&files));
}

#[test]
fn the_fixture_is_what_go_mod_vendor_writes_and_go_sum_holds_real_h1_hashes() {
    let project = go_sample();
    // Every go.sum line is the real h1 of the module (zip lines) or of its
    // go.mod (`/go.mod` lines) in the module cache.
    let text = fs::read_to_string(project.join("go.sum")).unwrap();
    assert_eq!(text.lines().count(), 8);
    for line in text.lines() {
        let [module, version, hash] = line.split_whitespace().collect::<Vec<_>>()[..] else {
            panic!("bad go.sum line {line}");
        };
        let files = match version.strip_suffix("/go.mod") {
            Some(v) => {
                let go_mod = fs::read(modcache().join(format!("{module}@{v}/go.mod"))).unwrap();
                Files::from([(format!("{module}@{v}/go.mod"), go_mod)])
            }
            None => {
                let prefix = format!("{module}@{version}");
                prefixed(&prefix, &tree(&modcache().join(&prefix)))
            }
        };
        assert_eq!(h1(&files), hash, "go.sum line {line}");
    }

    // vendor/ holds exactly what `go mod vendor` copies from the cache.
    let modules = vendored_modules(&project);
    assert_eq!(modules.len(), 4);
    let mut vendored = tree(&project.join("vendor"));
    assert!(vendored.remove("modules.txt").is_some());
    assert_eq!(
        vendored.keys().collect::<Vec<_>>(),
        what_go_mod_vendor_writes(&modules)
            .keys()
            .collect::<Vec<_>>()
    );
    assert_eq!(vendored, what_go_mod_vendor_writes(&modules));

    // Which is why h1 cannot be recomputed from vendor/: vendoring dropped
    // tests, go.mod and unimported packages, so no module's vendored files
    // hash to its go.sum h1.
    let sums = go_sum(&project);
    for module in &modules {
        let (path, version) = module.source.split_once('@').unwrap();
        let declared = &sums[&(path.to_string(), version.to_string())];
        let own = own_vendor_files(&project, &module.path, &modules);
        assert_ne!(
            &h1(&prefixed(&module.source, &own)),
            declared,
            "{}",
            module.path
        );
    }
}

fn copy_fixture(to: &Path) {
    for (name, data) in tree(&go_sample()) {
        let dst = to.join(name);
        fs::create_dir_all(dst.parent().unwrap()).unwrap();
        fs::write(dst, data).unwrap();
    }
}

fn mismatched(inputs: &[Value]) -> Vec<&str> {
    inputs
        .iter()
        .filter(|i| i["match"]["status"] == "mismatch")
        .map(|i| i["name"].as_str().unwrap())
        .collect()
}

fn flip_first_byte(file: &Path) {
    let mut bytes = fs::read(file).unwrap();
    bytes[0] ^= 1;
    fs::write(file, bytes).unwrap();
}

#[test]
fn every_vendored_module_matches_and_a_changed_byte_changes_only_its_digest() {
    let dir = tempdir();
    let d = dir.path();
    copy_fixture(d);
    let modules = vendored_modules(d);
    let sums = go_sum(d);

    let inputs = inputs_json(d);
    assert_eq!(inputs.len(), 4, "{inputs:?}");
    let forks = "v1.5.1-0.20240315093000-1a2b3c4d5e6f";
    let expected = [
        (
            "example.com/legacy/ini",
            "v1.5.0",
            format!("pkg:golang/example.com/forks/ini@{forks}"),
            format!("https://proxy.golang.org/example.com/forks/ini/@v/{forks}.zip"),
        ),
        (
            "example.net/netkit",
            "v0.4.1",
            "pkg:golang/example.net/netkit@v0.4.1".into(),
            "https://proxy.golang.org/example.net/netkit/@v/v0.4.1.zip".into(),
        ),
        (
            "example.net/netkit/ws",
            "v0.2.0",
            "pkg:golang/example.net/netkit/ws@v0.2.0".into(),
            "https://proxy.golang.org/example.net/netkit/ws/@v/v0.2.0.zip".into(),
        ),
        (
            "github.com/acme/strutil",
            "v1.2.0",
            "pkg:golang/github.com/acme/strutil@v1.2.0".into(),
            "https://proxy.golang.org/github.com/acme/strutil/@v/v1.2.0.zip".into(),
        ),
    ];
    for ((name, version, purl, uri), module) in expected.iter().zip(&modules) {
        let input = by_name(&inputs, name);
        assert_eq!(input["match"]["status"], "match", "{input}");
        assert_eq!(input["ecosystem"], "go");
        assert_eq!(input["version"], *version);
        assert_eq!(input["purl"], purl.as_str());
        assert_eq!(input["uri"], uri.as_str());
        assert_eq!(input["path"], format!("vendor/{name}").as_str());
        // Declared: go.sum's h1 of the module that supplies the code (the
        // replacement, for example.com/legacy/ini).
        let (path, v) = module.source.split_once('@').unwrap();
        assert_eq!(module.path, *name);
        assert_eq!(input["declared"], sums[&(path.into(), v.into())].as_str());
        // Observed: the directory hash of its own vendored files.
        let own = own_vendor_files(d, name, &modules);
        assert_eq!(
            input["observed"],
            format!("dirHash:{}", dir_hash_hex(&own)).as_str()
        );
    }
    let out = run_vouch(d, "inputs .");
    assert_ok(&out);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("example.net/netkit/ws"), "{table}");

    // One byte of one vendored file changes. Go declares no per-file
    // digests, so nothing mismatches, but that module's observed digest,
    // and only that one, changes to the hash of what is now on disk.
    flip_first_byte(&d.join("vendor/github.com/acme/strutil/casing/casing.go"));
    let after = inputs_json(d);
    assert!(mismatched(&after).is_empty(), "{after:?}");
    for (before, now) in inputs.iter().zip(&after) {
        if now["name"] == "github.com/acme/strutil" {
            assert_ne!(before["observed"], now["observed"]);
            let own = own_vendor_files(d, "github.com/acme/strutil", &modules);
            assert_eq!(
                now["observed"],
                format!("dirHash:{}", dir_hash_hex(&own)).as_str()
            );
        } else {
            assert_eq!(before["observed"], now["observed"], "{}", now["name"]);
        }
    }

    // A file of the module nested in another's directory counts for that
    // module alone: vendor/example.net/netkit/ws is module netkit/ws.
    flip_first_byte(&d.join("vendor/example.net/netkit/ws/ws.go"));
    let nested = inputs_json(d);
    let ws = |v: &[Value]| by_name(v, "example.net/netkit/ws")["observed"].clone();
    let netkit = |v: &[Value]| by_name(v, "example.net/netkit")["observed"].clone();
    assert_ne!(ws(&after), ws(&nested));
    assert_eq!(netkit(&after), netkit(&nested));
}

#[test]
fn disagreements_between_go_mod_go_sum_and_modules_txt_are_flagged() {
    let dir = tempdir();
    let d = dir.path();
    copy_fixture(d);
    let go_sum_path = d.join("go.sum");
    let pristine_sum = fs::read_to_string(&go_sum_path).unwrap();
    let strutil_zip = pristine_sum
        .lines()
        .find(|l| l.starts_with("github.com/acme/strutil v1.2.0 h1:"))
        .unwrap();
    let strutil_mod = pristine_sum
        .lines()
        .find(|l| l.starts_with("github.com/acme/strutil v1.2.0/go.mod "))
        .unwrap();

    // The module's go.sum line goes: the module and go.sum are named.
    edit(&go_sum_path, &format!("{strutil_zip}\n"), "");
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        "github.com/acme/strutil v1.2.0 (go): github.com/acme/strutil v1.2.0 has no h1 hash in go.sum",
    );
    let inputs = inputs_json(d);
    assert_eq!(mismatched(&inputs), ["github.com/acme/strutil"]);
    assert_eq!(
        by_name(&inputs, "github.com/acme/strutil")["declared"],
        Value::Null
    );
    // Control: only its `/go.mod` line goes, which is not the module's hash.
    fs::write(&go_sum_path, &pristine_sum).unwrap();
    edit(&go_sum_path, &format!("{strutil_mod}\n"), "");
    assert!(mismatched(&inputs_json(d)).is_empty());
    assert_ok(&run_vouch(d, "inputs ."));
    fs::write(&go_sum_path, &pristine_sum).unwrap();

    // modules.txt vendors another version than go.mod requires.
    let txt = d.join("vendor/modules.txt");
    let pristine_txt = fs::read_to_string(&txt).unwrap();
    edit(
        &txt,
        "# example.net/netkit v0.4.1\n",
        "# example.net/netkit v0.4.2\n",
    );
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        "vendor/modules.txt lists example.net/netkit v0.4.2, go.mod requires example.net/netkit v0.4.1",
    );
    assert_eq!(mismatched(&inputs_json(d)), ["example.net/netkit"]);
    fs::write(&txt, &pristine_txt).unwrap();

    // go.mod requires a module that modules.txt does not list.
    let go_mod = d.join("go.mod");
    edit(
        &go_mod,
        "\tgithub.com/acme/strutil v1.2.0\n",
        "\tgithub.com/acme/strutil v1.2.0\n\texample.org/extra v1.0.0\n",
    );
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        "go.mod requires example.org/extra v1.0.0, vendor/modules.txt does not list it",
    );
    let inputs = inputs_json(d);
    assert_eq!(inputs.len(), 5);
    assert_eq!(mismatched(&inputs), ["example.org/extra"]);
}

#[test]
fn a_replacement_by_a_local_directory_is_flagged() {
    let dir = tempdir();
    let d = dir.path();
    copy_fixture(d);
    // As `go mod vendor` writes it after `replace github.com/acme/strutil
    // => ./third_party/strutil`: the module line, and the record of the
    // replacement of every version at the end.
    let go_mod = d.join("go.mod");
    let mut text = fs::read_to_string(&go_mod).unwrap();
    text.push_str("\nreplace github.com/acme/strutil => ./third_party/strutil\n");
    fs::write(&go_mod, text).unwrap();
    let txt = d.join("vendor/modules.txt");
    edit(
        &txt,
        "# github.com/acme/strutil v1.2.0\n",
        "# github.com/acme/strutil v1.2.0 => ./third_party/strutil\n",
    );
    let mut records = fs::read_to_string(&txt).unwrap();
    records.push_str("# github.com/acme/strutil => ./third_party/strutil\n");
    fs::write(&txt, records).unwrap();

    assert_fails_with(
        &run_vouch(d, "inputs ."),
        "github.com/acme/strutil is replaced by the local directory ./third_party/strutil in vendor/modules.txt",
    );
    let inputs = inputs_json(d);
    assert_eq!(mismatched(&inputs), ["github.com/acme/strutil"]);
    let strutil = by_name(&inputs, "github.com/acme/strutil");
    assert!(strutil["match"]["reason"]
        .as_str()
        .unwrap()
        .contains("local"));
    assert_eq!(strutil["declared"], Value::Null);
    assert_eq!(strutil["uri"], "");
    // What was built is still recorded.
    assert_eq!(strutil["path"], "vendor/github.com/acme/strutil");
    assert!(strutil["observed"]
        .as_str()
        .unwrap()
        .starts_with("dirHash:"));
    // Control: the replacement by a module version in the same file matches.
    assert_eq!(
        by_name(&inputs, "example.com/legacy/ini")["match"]["status"],
        "match"
    );
}

#[test]
fn malformed_files_are_refused_naming_file_and_line() {
    let dir = tempdir();
    let d = dir.path();
    copy_fixture(d);
    let go_mod = d.join("go.mod");
    let pristine = fs::read_to_string(&go_mod).unwrap();
    edit(
        &go_mod,
        "\texample.net/netkit v0.4.1\n",
        "\texample.net/netkit\n",
    );
    let out = run_vouch(d, "inputs .");
    assert_fails_with(&out, "invalid go.mod in ./go.mod: line 7: usage: require");
    fs::write(&go_mod, pristine).unwrap();

    let go_sum = d.join("go.sum");
    let mut text = fs::read_to_string(&go_sum).unwrap();
    text.push_str("example.org/extra v1.0.0\n");
    fs::write(&go_sum, text).unwrap();
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        "invalid go.sum in ./go.sum: line 9: 2 fields",
    );
    copy_fixture(d);

    edit(
        &d.join("vendor/modules.txt"),
        "# example.net/netkit/ws v0.2.0\n",
        "# example.net/netkit/ws\n",
    );
    assert_fails_with(
        &run_vouch(d, "inputs ."),
        "invalid vendor/modules.txt in ./vendor/modules.txt: line 7:",
    );
    // Control: the fixture as written parses.
    copy_fixture(d);
    assert_ok(&run_vouch(d, "inputs ."));
}
