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

use common::{assert_fails_with, inputs_json, vouch, Fixture};

/// What the outside file holds: it must appear in no output.
const SECRET: &str = "outside-secret-4f1c";

/// A fixture holding an empty `project/` and, outside it,
/// `outside/evil/secret.txt`.
fn hostile() -> Fixture {
    let f = Fixture::new().with_project_from(|_| ());
    fs::create_dir_all(outside(&f)).unwrap();
    fs::write(outside(&f).join("secret.txt"), SECRET).unwrap();
    f
}

/// The directory outside the project.
fn outside(h: &Fixture) -> PathBuf {
    h.dir().join("outside/evil")
}

/// Writes `text` to `relative` in the project.
fn write(h: &Fixture, relative: &str, text: &str) {
    let path = h.project.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A symbolic link `relative` in the project, to `target`.
fn link(h: &Fixture, target: &Path, relative: &str) {
    let path = h.project.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    symlink(target, path).unwrap();
}

/// A Go module requiring `example.com/evil`, vendored (go.sum has an
/// h1 for it, so nothing but the directory decides the match).
fn go_module(h: &Fixture) {
    write(
        h,
        "go.mod",
        "module example.com/app\n\ngo 1.21\n\nrequire example.com/evil v1.0.0\n",
    );
    write(
        h,
        "go.sum",
        "example.com/evil v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    );
    write(
        h,
        "vendor/modules.txt",
        "# example.com/evil v1.0.0\n## explicit\nexample.com/evil\n",
    );
}

/// `vouch inputs . --output json --allow-mismatch EXTRA...` in the project.
fn run_inputs(h: &Fixture, extra: &[&str]) -> Output {
    vouch()
        .current_dir(&h.project)
        .env("VOUCH_TEST_SECRET", SECRET)
        .args(["inputs", ".", "--output", "json", "--allow-mismatch"])
        .args(extra)
        .output()
        .unwrap()
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
    let h = hostile();
    go_module(&h);
    link(&h, &outside(&h), "vendor/example.com/evil");
    let inputs = inputs_json(&h.project);
    let reason = mismatch(&inputs, "example.com/evil");
    assert!(
        reason.contains("vendor/example.com/evil") && reason.contains("outside the project"),
        "{reason}"
    );
    assert_secret_absent(&run_inputs(&h, &[]));

    // Through a symlinked intermediate directory: the same.
    let h = hostile();
    go_module(&h);
    link(&h, outside(&h).parent().unwrap(), "vendor/example.com");
    let reason = mismatch(&inputs_json(&h.project), "example.com/evil");
    assert!(reason.contains("outside the project"), "{reason}");

    // A symlink that stays inside the project is followed (negative
    // control): the module is hashed and matches.
    let h = hostile();
    go_module(&h);
    write(&h, "real/evil/ok.go", "package evil\n");
    link(&h, &h.project.join("real/evil"), "vendor/example.com/evil");
    let inputs = inputs_json(&h.project);
    assert_eq!(inputs[0]["match"]["status"], "match", "{inputs:?}");
}

#[test]
fn regression_issue_9_a_symlinked_vendor_directory_is_refused() {
    let h = hostile();
    go_module(&h);
    let vendor = h.project.join("vendor");
    fs::rename(&vendor, outside(&h).join("vendor")).unwrap();
    link(&h, &outside(&h).join("vendor"), "vendor");
    let out = run_inputs(&h, &[]);
    assert_fails_with(
        &out,
        "refusing vendor/modules.txt: resolves outside the project",
    );
    assert_secret_absent(&out);
}

#[test]
fn regression_issue_9_a_symlinked_node_module_is_a_mismatch() {
    let h = hostile();
    write(
        &h,
        "package-lock.json",
        r#"{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"},
            "node_modules/evil":{"version":"1.0.0","resolved":"https://registry.npmjs.org/evil/-/evil-1.0.0.tgz",
            "integrity":"sha512-AAAA"}}}"#,
    );
    fs::write(
        outside(&h).join("package.json"),
        r#"{"name":"evil","version":"1.0.0"}"#,
    )
    .unwrap();
    link(&h, &outside(&h), "node_modules/evil");
    let reason = mismatch(&inputs_json(&h.project), "evil");
    assert!(
        reason.contains("node_modules/evil") && reason.contains("outside the project"),
        "{reason}"
    );
    assert_secret_absent(&run_inputs(&h, &[]));
}

/// A Cargo project whose `.cargo/config.toml` vendors into `vendor/`,
/// locking `evil` 1.0.0 from crates.io.
fn cargo_project(h: &Fixture, name: &str) {
    write(
        h,
        ".cargo/config.toml",
        "[source.crates-io]\nreplace-with = \"v\"\n[source.v]\ndirectory = \"vendor\"\n",
    );
    write(
        h,
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
    let h = hostile();
    cargo_project(&h, "evil");
    fs::write(
        outside(&h).join("Cargo.toml"),
        "[package]\nname = \"evil\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    fs::write(
        outside(&h).join(".cargo-checksum.json"),
        format!(r#"{{"files":{{}},"package":"{}"}}"#, "0".repeat(64)),
    )
    .unwrap();
    link(&h, outside(&h).parent().unwrap(), "vendor");
    fs::rename(
        outside(&h),
        outside(&h).parent().unwrap().join("evil-1.0.0"),
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
    let h = hostile();
    cargo_project(&h, "../../outside/evil");
    let out = run_inputs(&h, &[]);
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
        let h = hostile();
        link(&h, Path::new("/proc/self/environ"), lockfile);
        let out = run_inputs(&h, &[]);
        assert_fails_with(
            &out,
            &format!("refusing {lockfile}: resolves outside the project"),
        );
        assert_secret_absent(&out);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("VOUCH_TEST_SECRET"));
    }
    // /dev/zero: refused before a byte is read, not read without bound.
    let h = hostile();
    link(&h, Path::new("/dev/zero"), "go.mod");
    assert_fails_with(
        &run_inputs(&h, &[]),
        "refusing go.mod: resolves outside the project",
    );
}

#[test]
fn regression_issue_9_a_fifo_lockfile_is_refused_not_waited_on() {
    let h = hostile();
    write(&h, "requirements.txt", "-r more.txt\n");
    let made = std::process::Command::new("mkfifo")
        .arg(h.project.join("more.txt"))
        .status()
        .unwrap();
    assert!(made.success());
    assert_fails_with(
        &run_inputs(&h, &[]),
        "more.txt: is a FIFO, not a regular file",
    );
}

#[test]
fn regression_issue_9_a_file_name_with_a_newline_is_a_mismatch() {
    // `{a.c, b.c}` and one file named "a.c\n<sha256 of b.c>  b.c" would
    // share a dirHash: the name is refused, as Go's dirhash refuses it.
    let h = hostile();
    go_module(&h);
    let b_sha = vouch_evidence::digest::sha256(b"b").hex();
    write(
        &h,
        &format!("vendor/example.com/evil/a.c\n{b_sha}  b.c"),
        "a",
    );
    let reason = mismatch(&inputs_json(&h.project), "example.com/evil");
    assert!(
        reason.contains("a.c\\n") && reason.contains("newline"),
        "{reason}"
    );
}

#[test]
fn regression_issue_9_a_sparse_huge_vendored_file_fails_fast_naming_it() {
    let h = hostile();
    go_module(&h);
    write(&h, "vendor/example.com/evil/ok.go", "package evil\n");
    let huge = fs::File::create(h.project.join("vendor/example.com/evil/huge.bin")).unwrap();
    huge.set_len(100 * 1024 * 1024 * 1024).unwrap();
    let out = run_inputs(&h, &[]);
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
        &run_inputs(&h, &["--max-file-bytes", "1024"]),
        "huge.bin: 4096 bytes, over the --max-file-bytes limit of 1024 bytes",
    );
    let out = run_inputs(&h, &["--max-file-bytes", "4096"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
