//! `vouch inputs` on hostile project trees (issue 13, findings 6 to 9 and
//! the file size cap): symlinks out of the project, lockfiles that are
//! devices, fifos or links to `/proc/self/environ`, file names that forge a
//! dirHash line, Cargo.lock names that climb out of `vendor/`, and a sparse
//! file of 100 GB. Each tree is built here, beside a directory outside the
//! project holding a known file that must never be read.

use crate::common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_fails_with, inputs_json, tempdir, vouch};

/// What the outside file holds: it must appear in no output.
const SECRET: &str = "outside-secret-4f1c";

/// A temporary directory holding `project/` and `outside/evil/secret.txt`.
struct Hostile {
    _tmp: tempfile::TempDir,
    project: PathBuf,
    outside: PathBuf,
}

impl Hostile {
    fn new() -> Hostile {
        let tmp = tempdir();
        let project = tmp.path().join("project");
        let outside = tmp.path().join("outside/evil");
        fs::create_dir_all(&project).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("secret.txt"), SECRET).unwrap();
        Hostile {
            _tmp: tmp,
            project,
            outside,
        }
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.project.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn link(&self, target: &Path, relative: &str) {
        let path = self.project.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        symlink(target, path).unwrap();
    }

    /// A Go module requiring `example.com/evil`, vendored (go.sum has an
    /// h1 for it, so nothing but the directory decides the match).
    fn go_module(&self) {
        self.write(
            "go.mod",
            "module example.com/app\n\ngo 1.21\n\nrequire example.com/evil v1.0.0\n",
        );
        self.write(
            "go.sum",
            "example.com/evil v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        );
        self.write(
            "vendor/modules.txt",
            "# example.com/evil v1.0.0\n## explicit\nexample.com/evil\n",
        );
    }

    fn inputs(&self, extra: &[&str]) -> Output {
        vouch()
            .current_dir(&self.project)
            .env("VOUCH_TEST_SECRET", SECRET)
            .args(["inputs", ".", "--output", "json", "--allow-mismatch"])
            .args(extra)
            .output()
            .unwrap()
    }
}

/// The one input's mismatch reason.
fn mismatch(inputs: &[serde_json::Value], name: &str) -> String {
    let input = inputs
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no input {name} in {inputs:?}"));
    assert_eq!(input["match"]["status"], "mismatch", "{input}");
    assert!(input["observed"].is_null(), "hashed: {input}");
    assert!(input["path"].is_null(), "{input}");
    input["match"]["reason"].as_str().unwrap().to_string()
}

fn assert_secret_absent(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(SECRET), "the outside file leaked: {text}");
        assert!(
            !text.contains("secret.txt"),
            "an outside name leaked: {text}"
        );
    }
}

#[test]
fn regression_issue_9_a_symlinked_go_module_directory_is_a_mismatch() {
    let h = Hostile::new();
    h.go_module();
    h.link(&h.outside, "vendor/example.com/evil");
    let inputs = inputs_json(&h.project);
    let reason = mismatch(&inputs, "example.com/evil");
    assert!(
        reason.contains("vendor/example.com/evil") && reason.contains("outside the project"),
        "{reason}"
    );
    assert_secret_absent(&h.inputs(&[]));

    // Through a symlinked intermediate directory: the same.
    let h = Hostile::new();
    h.go_module();
    h.link(h.outside.parent().unwrap(), "vendor/example.com");
    let reason = mismatch(&inputs_json(&h.project), "example.com/evil");
    assert!(reason.contains("outside the project"), "{reason}");

    // A symlink that stays inside the project is followed (negative
    // control): the module is hashed and matches.
    let h = Hostile::new();
    h.go_module();
    h.write("real/evil/ok.go", "package evil\n");
    h.link(&h.project.join("real/evil"), "vendor/example.com/evil");
    let inputs = inputs_json(&h.project);
    assert_eq!(inputs[0]["match"]["status"], "match", "{inputs:?}");
}

#[test]
fn regression_issue_9_a_symlinked_vendor_directory_is_refused() {
    let h = Hostile::new();
    h.go_module();
    let vendor = h.project.join("vendor");
    fs::rename(&vendor, h.outside.join("vendor")).unwrap();
    h.link(&h.outside.join("vendor"), "vendor");
    let out = h.inputs(&[]);
    assert_fails_with(
        &out,
        "refusing vendor/modules.txt: resolves outside the project",
    );
    assert_secret_absent(&out);
}

#[test]
fn regression_issue_9_a_symlinked_node_module_is_a_mismatch() {
    let h = Hostile::new();
    h.write(
        "package-lock.json",
        r#"{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"},
            "node_modules/evil":{"version":"1.0.0","resolved":"https://registry.npmjs.org/evil/-/evil-1.0.0.tgz",
            "integrity":"sha512-AAAA"}}}"#,
    );
    fs::write(
        h.outside.join("package.json"),
        r#"{"name":"evil","version":"1.0.0"}"#,
    )
    .unwrap();
    h.link(&h.outside, "node_modules/evil");
    let reason = mismatch(&inputs_json(&h.project), "evil");
    assert!(
        reason.contains("node_modules/evil") && reason.contains("outside the project"),
        "{reason}"
    );
    assert_secret_absent(&h.inputs(&[]));
}

/// A Cargo project whose `.cargo/config.toml` vendors into `vendor/`,
/// locking `evil` 1.0.0 from crates.io.
fn cargo_project(h: &Hostile, name: &str) {
    h.write(
        ".cargo/config.toml",
        "[source.crates-io]\nreplace-with = \"v\"\n[source.v]\ndirectory = \"vendor\"\n",
    );
    h.write(
        "Cargo.lock",
        &format!(
            "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n\
             [[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
             checksum = \"{}\"\n",
            "0".repeat(64)
        ),
    );
}

#[test]
fn regression_issue_9_a_symlinked_cargo_vendor_directory_is_a_mismatch() {
    let h = Hostile::new();
    cargo_project(&h, "evil");
    fs::write(
        h.outside.join("Cargo.toml"),
        "[package]\nname = \"evil\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    fs::write(
        h.outside.join(".cargo-checksum.json"),
        format!(r#"{{"files":{{}},"package":"{}"}}"#, "0".repeat(64)),
    )
    .unwrap();
    h.link(h.outside.parent().unwrap(), "vendor");
    fs::rename(
        h.outside.clone(),
        h.outside.parent().unwrap().join("evil-1.0.0"),
    )
    .unwrap();
    let reason = mismatch(&inputs_json(&h.project), "evil");
    assert!(
        reason.contains("vendor/evil-1.0.0") && reason.contains("outside the project"),
        "{reason}"
    );
}

#[test]
fn regression_issue_9_cargo_lock_names_that_climb_out_of_vendor_are_refused() {
    let h = Hostile::new();
    cargo_project(&h, "../../outside/evil");
    let out = h.inputs(&[]);
    assert_fails_with(&out, "is not a crate name");
    assert_secret_absent(&out);
}

#[test]
fn regression_issue_9_lockfiles_linked_out_of_the_tree_are_not_read() {
    // The environment, tokens included, must not reach the error.
    for lockfile in [
        "go.mod",
        "Cargo.lock",
        "requirements.txt",
        "package-lock.json",
    ] {
        let h = Hostile::new();
        h.link(Path::new("/proc/self/environ"), lockfile);
        let out = h.inputs(&[]);
        assert_fails_with(
            &out,
            &format!("refusing {lockfile}: resolves outside the project"),
        );
        assert_secret_absent(&out);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("VOUCH_TEST_SECRET"));
    }
    // /dev/zero: refused before a byte is read, not read without bound.
    let h = Hostile::new();
    h.link(Path::new("/dev/zero"), "go.mod");
    assert_fails_with(
        &h.inputs(&[]),
        "refusing go.mod: resolves outside the project",
    );
}

#[test]
fn regression_issue_9_a_fifo_lockfile_is_refused_not_waited_on() {
    let h = Hostile::new();
    h.write("requirements.txt", "-r more.txt\n");
    let made = std::process::Command::new("mkfifo")
        .arg(h.project.join("more.txt"))
        .status()
        .unwrap();
    assert!(made.success());
    assert_fails_with(&h.inputs(&[]), "more.txt: is a FIFO, not a regular file");
}

#[test]
fn regression_issue_9_a_file_name_with_a_newline_is_a_mismatch() {
    // `{a.c, b.c}` and one file named "a.c\n<sha256 of b.c>  b.c" would
    // share a dirHash: the name is refused, as Go's dirhash refuses it.
    let h = Hostile::new();
    h.go_module();
    let b_sha = vouch_evidence::digest::sha256(b"b").hex();
    h.write(&format!("vendor/example.com/evil/a.c\n{b_sha}  b.c"), "a");
    let reason = mismatch(&inputs_json(&h.project), "example.com/evil");
    assert!(
        reason.contains("a.c\\n") && reason.contains("newline"),
        "{reason}"
    );
}

#[test]
fn regression_issue_9_a_sparse_huge_vendored_file_fails_fast_naming_it() {
    let h = Hostile::new();
    h.go_module();
    h.write("vendor/example.com/evil/ok.go", "package evil\n");
    let huge = fs::File::create(h.project.join("vendor/example.com/evil/huge.bin")).unwrap();
    huge.set_len(100 * 1024 * 1024 * 1024).unwrap();
    let out = h.inputs(&[]);
    assert_fails_with(
        &out,
        "refusing vendored file vendor/example.com/evil/huge.bin: 107374182400 bytes, \
         over the --max-file-bytes limit of 4294967296 bytes",
    );
    // The limit is the flag's.
    drop(huge);
    fs::File::create(h.project.join("vendor/example.com/evil/huge.bin"))
        .unwrap()
        .set_len(4096)
        .unwrap();
    assert_fails_with(
        &h.inputs(&["--max-file-bytes", "1024"]),
        "huge.bin: 4096 bytes, over the --max-file-bytes limit of 1024 bytes",
    );
    let out = h.inputs(&["--max-file-bytes", "4096"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
