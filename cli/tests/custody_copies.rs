//! The chain of custody of Go and npm inputs swapped onto Debian's
//! packages (issue 16 §3 and §4), on the REAL Debian archive of this
//! machine: `vouch unbundle --write` swaps a Go module onto
//! golang-github-pkg-errors-dev and an npm package onto node-ms, which
//! scripts/install-oracles.sh installs with their .debs in
//! target/oracles/debs. The build reads an in-project copy of Debian's
//! directory (`vendor/<module>`, `node_modules/<name>`), so `vouch inputs`
//! traces the input from the InRelease to the installed directory and
//! then checks the copy file by file: a copy edited after the swap must
//! not pass as Debian's.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::unbundle::{flip_byte, sha256_of};
use common::{assert_fails_with, assert_ok, copy_tree, root, tempdir, vouch};
use serde_json::Value;

#[path = "../../tests/oracles/go_npm.rs"]
mod go_npm;
use go_npm::{file_names, go, installed_npm_project};

const ERRORS: &str = "/usr/share/gocode/src/github.com/pkg/errors";
const ERRORS_COPY: &str = "vendor/github.com/pkg/errors";
const MS: &str = "/usr/share/nodejs/ms";

/// The installed version of Debian package `package`, and its .deb, which
/// scripts/install-oracles.sh downloaded into target/oracles/debs.
fn installed(package: &str) -> (String, PathBuf) {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version} ${Architecture}", package])
        .output()
        .unwrap();
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (version, arch) = text.split_once(' ').unwrap();
    let deb = root().join(format!(
        "target/oracles/debs/{package}_{}_{arch}.deb",
        version.replace(':', "%3a")
    ));
    assert!(
        deb.is_file(),
        "{} is missing: run scripts/install-oracles.sh (scripts/test.sh does)",
        deb.display()
    );
    (version.to_owned(), deb)
}

fn debs() -> PathBuf {
    root().join("target/oracles/debs")
}

/// `vouch unbundle DIR --distro debian --all --write --debs DEBS`.
fn unbundle(dir: &Path) {
    let out = vouch()
        .arg("unbundle")
        .arg(dir)
        .args(["--distro", "debian", "--all", "--write", "--debs"])
        .arg(debs())
        .output()
        .unwrap();
    assert_ok(&out);
}

/// `vouch inputs DIR --output json --debs DEBS`.
fn inputs(dir: &Path) -> Output {
    vouch()
        .arg("inputs")
        .arg(dir)
        .args(["--output", "json", "--debs"])
        .arg(debs())
        .output()
        .unwrap()
}

/// The input `name` of a `vouch inputs --output json`.
fn input(out: &Output, name: &str) -> Value {
    let inputs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    common::by_name(&inputs, name).clone()
}

/// The provided input `name` verified onto `package`'s `.deb` (the oracle:
/// sha256sum of the file apt downloaded) and installed directory `dir`.
fn assert_provided(input: &Value, package: &str, dir: &str, copy: &str) {
    let (version, deb) = installed(package);
    let deb_sha256 = format!("sha256:{}", sha256_of(&deb));
    assert_eq!(input["match"]["status"], "match", "{input:#}");
    assert_eq!(input["provided"], dir);
    assert_eq!(input["path"], copy);
    assert_eq!(input["observed"], deb_sha256);
    let d = &input["distribution"];
    assert_eq!(
        d["purl"],
        format!(
            "pkg:deb/debian/{package}@{}?arch=all&distro=debian-12",
            version.replace('+', "%2B")
        ),
        "{d:#}"
    );
    assert_eq!(d["deb"], deb_sha256);
    assert_eq!(d["path"], dir);
}

/// The authored Go project (testdata/projects/go-unbundle/SOURCE.md),
/// swapped onto Debian's golang-github-pkg-errors-dev once for the tests
/// of this module, which each take a copy.
fn go_project() -> &'static Path {
    static PROJECT: OnceLock<tempfile::TempDir> = OnceLock::new();
    PROJECT
        .get_or_init(|| {
            installed("golang-github-pkg-errors-dev");
            let tmp = tempdir();
            let dir = tmp.path().join("project");
            copy_tree(&root().join("testdata/projects/go-unbundle"), &dir);
            unbundle(&dir);
            let go_mod = fs::read_to_string(dir.join("go.mod")).unwrap();
            assert!(
                go_mod.contains(&format!(
                    "replace github.com/pkg/errors v0.9.1 => {ERRORS}\n"
                )),
                "{go_mod}"
            );
            tmp
        })
        .path()
}

/// A copy of the swapped Go project, edited by `edit`.
fn go_copy(edit: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    copy_tree(&go_project().join("project"), &dir);
    edit(&dir.join(ERRORS_COPY));
    (tmp, dir)
}

#[test]
fn a_go_module_swapped_onto_debian_is_provided_with_the_copy_verified() {
    let (tmp, dir) = go_copy(|_| {});
    // The swapped project builds from vendor/, offline, and runs.
    let built = go(
        &dir,
        tmp.path(),
        &["build", "-mod=vendor", "-o", "hello", "."],
    );
    assert_ok(&built);
    let run = Command::new(dir.join("hello")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "wrapped: root\n");
    fs::remove_file(dir.join("hello")).unwrap();

    let out = inputs(&dir);
    assert_ok(&out);
    let errors = input(&out, "github.com/pkg/errors");
    assert_provided(&errors, "golang-github-pkg-errors-dev", ERRORS, ERRORS_COPY);
    // Its upstream identity, as before the swap; go.sum's h1 is the
    // upstream zip's, not a claim about Debian's files.
    assert_eq!(errors["purl"], "pkg:golang/github.com/pkg/errors@v0.9.1");
    assert_eq!(
        errors["uri"],
        "https://proxy.golang.org/github.com/pkg/errors/@v/v0.9.1.zip"
    );
    assert!(errors["declared"].is_null(), "{errors:#}");
    assert_eq!(
        errors["distribution"]["sourceName"],
        "golang-github-pkg-errors"
    );
    // The copy holds fewer files than Debian installs (no tests): fine.
    let copied = fs::read_dir(dir.join(ERRORS_COPY)).unwrap().count();
    let debian = fs::read_dir(ERRORS).unwrap().count();
    assert!(
        copied < debian,
        "{copied} files vendored, {debian} installed"
    );
}

#[test]
fn regression_issue_16_a_vendored_go_copy_edited_after_the_swap_is_named() {
    let (version, _) = installed("golang-github-pkg-errors-dev");
    let (_tmp, dir) = go_copy(|copy| flip_byte(&copy.join("errors.go")));
    let out = inputs(&dir);
    assert_fails_with(
        &out,
        &format!(
            "github.com/pkg/errors v0.9.1 (go): chain of custody of {ERRORS}: \
             {ERRORS_COPY}/errors.go differs from {ERRORS}/errors.go, installed by \
             golang-github-pkg-errors-dev {version}"
        ),
    );
    let errors = input(&out, "github.com/pkg/errors");
    assert_eq!(errors["match"]["status"], "mismatch");
    assert!(errors["distribution"].is_null(), "{errors:#}");
}

#[test]
fn regression_issue_16_a_file_only_in_the_vendored_go_copy_is_named() {
    let (version, _) = installed("golang-github-pkg-errors-dev");
    // A Go file added beside Debian's: compiled into the package.
    let (_tmp, dir) = go_copy(|copy| {
        fs::write(
            copy.join("zz_extra.go"),
            "package errors\n\nvar Extra = 1\n",
        )
        .unwrap()
    });
    assert_fails_with(
        &inputs(&dir),
        &format!(
            "{ERRORS_COPY}/zz_extra.go is only in the copy: there is no {ERRORS}/zz_extra.go, \
             installed by golang-github-pkg-errors-dev {version}"
        ),
    );
    // In a subdirectory too.
    let (_tmp, dir) = go_copy(|copy| {
        fs::create_dir(copy.join("internal")).unwrap();
        fs::write(copy.join("internal/x.go"), "package internal\n").unwrap();
    });
    assert_fails_with(
        &inputs(&dir),
        &format!("{ERRORS_COPY}/internal/x.go is only in the copy"),
    );
    // A vendored file that is a link to Debian's own (identical bytes):
    // discovery refuses a link out of the copy...
    let (_tmp, dir) = go_copy(|copy| {
        fs::remove_file(copy.join("stack.go")).unwrap();
        std::os::unix::fs::symlink(format!("{ERRORS}/stack.go"), copy.join("stack.go")).unwrap();
    });
    assert_fails_with(
        &inputs(&dir),
        "/vendor/github.com/pkg/errors/stack.go: is a symlink that resolves outside",
    );
    // ...and the chain one inside it (Debian's stack.go moved aside in
    // the copy): never followed.
    let (_tmp, dir) = go_copy(|copy| {
        fs::create_dir(copy.join("aside")).unwrap();
        fs::rename(copy.join("stack.go"), copy.join("aside/stack.go")).unwrap();
        std::os::unix::fs::symlink("aside/stack.go", copy.join("stack.go")).unwrap();
    });
    assert_fails_with(
        &inputs(&dir),
        &format!(
            "{ERRORS_COPY}/stack.go is not a regular file or a directory (a symbolic link is \
             not followed)"
        ),
    );
}

/// A real npm project in `tmp/project` with `dependencies` (the JSON
/// object's members), installed from the npm registry with a cache of its
/// own, as cli/src/swap/npm.rs's tests do ([`installed_npm_project`]); then
/// `vouch unbundle --all --write` swaps what it can onto Debian's node-*
/// packages with npm offline.
fn npm_swapped(tmp: &Path, dependencies: &str) -> PathBuf {
    let dir = installed_npm_project(tmp, dependencies);
    // Before the swap: the registry's packages, plain matches.
    let out = inputs(&dir);
    assert_ok(&out);
    let before: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        before.iter().all(|i| i["provided"].is_null()),
        "{before:#?}"
    );
    unbundle(&dir);
    dir
}

/// [`npm_swapped`] with ms 2.1.3 (the version Debian's node-ms carries),
/// done once for the tests of this module, which each take a copy.
fn npm_project() -> &'static Path {
    static PROJECT: OnceLock<tempfile::TempDir> = OnceLock::new();
    PROJECT
        .get_or_init(|| {
            installed("node-ms");
            let tmp = tempdir();
            let dir = npm_swapped(tmp.path(), "\"ms\": \"2.1.3\"");
            let lock = common::read_json(&dir.join("package-lock.json"));
            let resolved = lock["packages"]["node_modules/ms"]["resolved"]
                .as_str()
                .unwrap();
            // npm writes the directory relative to the project.
            assert!(
                resolved.starts_with("file:../") && resolved.ends_with(MS),
                "{resolved}"
            );
            tmp
        })
        .path()
}

/// A copy of the swapped npm project (at the same depth, so that the
/// lockfile's relative `file:` path names the same directory), edited by
/// `edit`.
fn npm_copy(edit: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    copy_tree(&npm_project().join("project"), &dir);
    edit(&dir.join("node_modules/ms"));
    (tmp, dir)
}

#[test]
fn an_npm_package_swapped_onto_debian_is_provided_with_the_copy_verified() {
    let (_tmp, dir) = npm_copy(|_| {});
    // Node loads Debian's ms from the installed copy.
    let out = Command::new("node")
        .args(["-e", "console.log(require('ms')('1h'))"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3600000\n");
    let out = inputs(&dir);
    assert_ok(&out);
    let ms = input(&out, "ms");
    assert_provided(&ms, "node-ms", MS, "node_modules/ms");
    assert_eq!(ms["purl"], "pkg:npm/ms@2.1.3");
    // npm's install-links copy is whole: every installed file.
    assert_eq!(
        file_names(&dir.join("node_modules/ms")),
        file_names(Path::new(MS))
    );
}

#[test]
fn regression_issue_16_an_installed_npm_copy_edited_after_the_swap_is_named() {
    let (version, _) = installed("node-ms");
    let (_tmp, dir) = npm_copy(|copy| flip_byte(&copy.join("index.js")));
    let out = inputs(&dir);
    assert_fails_with(
        &out,
        &format!(
            "ms 2.1.3 (npm): chain of custody of {MS}: node_modules/ms/index.js differs from \
             {MS}/index.js, installed by node-ms {version}"
        ),
    );
    assert_eq!(input(&out, "ms")["match"]["status"], "mismatch");
    // The registry's files left beside Debian's (an install that kept the
    // old copy): named.
    let (_tmp, dir) = npm_copy(|copy| fs::write(copy.join("readme.md"), "# ms\n").unwrap());
    assert_fails_with(
        &inputs(&dir),
        &format!("node_modules/ms/readme.md is only in the copy: there is no {MS}/readme.md"),
    );
}

#[test]
fn a_swapped_npm_package_with_a_dependency_is_provided_and_the_dependency_kept() {
    installed("node-once");
    let tmp = tempdir();
    // once 1.4.0 depends on wrappy: once is swapped onto node-once, wrappy
    // kept (npm would misplace its override below a file: package).
    let dir = npm_swapped(tmp.path(), "\"once\": \"^1.4.0\"");
    let out = inputs(&dir);
    assert_ok(&out);
    let once = input(&out, "once");
    assert_provided(
        &once,
        "node-once",
        "/usr/share/nodejs/once",
        "node_modules/once",
    );
    let wrappy = input(&out, "wrappy");
    assert_eq!(wrappy["match"]["status"], "match", "{wrappy:#}");
    assert!(wrappy["provided"].is_null(), "{wrappy:#}");
    assert!(wrappy["distribution"].is_null(), "{wrappy:#}");
}

#[test]
fn packages_nested_in_an_npm_copy_are_their_own_inputs() {
    // A package npm nests below the copy is another input, not the copy's:
    // left out of the comparison when the lockfile lists it...
    let nest = |lock_it: bool| {
        npm_copy(|copy| {
            let nested = copy.join("node_modules/x");
            fs::create_dir_all(&nested).unwrap();
            fs::write(
                nested.join("package.json"),
                "{\"name\":\"x\",\"version\":\"1.0.0\"}",
            )
            .unwrap();
            if lock_it {
                let project = copy.parent().unwrap().parent().unwrap();
                let path = project.join("package-lock.json");
                let mut lock = common::read_json(&path);
                lock["packages"]["node_modules/ms/node_modules/x"] =
                    serde_json::json!({"version": "1.0.0"});
                fs::write(&path, serde_json::to_string_pretty(&lock).unwrap()).unwrap();
            }
        })
    };
    let (_tmp, dir) = nest(true);
    let out = inputs(&dir);
    assert_ok(&out);
    assert_eq!(input(&out, "ms")["match"]["status"], "match");
    assert_eq!(input(&out, "x")["path"], "node_modules/ms/node_modules/x");
    // ...and named when it lists none.
    let (_tmp, dir) = nest(false);
    assert_fails_with(
        &inputs(&dir),
        &format!("node_modules/ms/node_modules/x/package.json is only in the copy: there is no {MS}/node_modules/x/package.json"),
    );
}

#[test]
fn regression_issue_16_a_package_resolved_from_another_packages_directory_is_refused() {
    // The lock says ms comes from Debian's wrappy directory: wrappy's
    // chain verifies, but it does not vouch for ms.
    installed("node-wrappy");
    let (_tmp, dir) = npm_copy(|_| {});
    let lock_path = dir.join("package-lock.json");
    let lock = fs::read_to_string(&lock_path).unwrap();
    let edited = lock.replace("/usr/share/nodejs/ms\"", "/usr/share/nodejs/wrappy\"");
    assert_ne!(edited, lock);
    fs::write(&lock_path, edited).unwrap();
    let out = inputs(&dir);
    assert_fails_with(
        &out,
        &format!(
            "ms 2.1.3 (npm): chain of custody of /usr/share/nodejs/wrappy: not where Debian \
             installs ms 2.1.3 ({MS})"
        ),
    );
    assert_eq!(input(&out, "ms")["match"]["status"], "mismatch");
}
