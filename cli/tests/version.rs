//! `vouch --version`: the version, the commit the binary was built from and
//! whether the tree had tracked changes, checked against git itself at test
//! time (cli/build.rs computes it at build time; a stale answer fails here).

use crate::common;

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

/// What `vouch --version` must say in this checkout, as git sees it now.
pub fn expected_long_version() -> String {
    let root = common::root();
    let version = env!("CARGO_PKG_VERSION");
    let top = git(&root, &["rev-parse", "--show-toplevel"]);
    let in_checkout = top
        .map(|top| Path::new(&top).canonicalize().unwrap() == root.canonicalize().unwrap())
        .unwrap_or(false);
    if !in_checkout {
        // Built from an exported tree: only what the build was told.
        return match option_env!("VOUCH_BUILD_COMMIT") {
            Some(commit) => format!("vouch {version} (commit {commit}, supplied)"),
            None => format!("vouch {version} (commit unknown)"),
        };
    }
    let head = git(&root, &["rev-parse", "HEAD"]).unwrap();
    // Tracked files, staged or not, against HEAD, stat information
    // refreshed in memory (as `git diff-index --quiet HEAD` after `git
    // update-index --refresh`, without rewriting the index).
    let diff = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["--no-optional-locks", "diff", "--quiet", "HEAD", "--"])
        .status()
        .unwrap();
    let state = match diff.code() {
        Some(0) => "clean",
        Some(1) => "modified",
        other => panic!("git diff --quiet HEAD failed: {other:?}"),
    };
    format!("vouch {version} (commit {head}, {state})")
}

#[test]
fn version_names_the_commit_and_whether_the_tree_was_clean() {
    let out = common::vouch().arg("--version").output().unwrap();
    common::assert_ok(&out);
    let line = common::stdout(&out);
    assert_eq!(line.trim_end(), expected_long_version());
    // The commit is the full object name, never an abbreviation.
    let commit = line.split("(commit ").nth(1).unwrap();
    let commit = commit.split([',', ')']).next().unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{line}"
    );
}

#[test]
fn short_version_is_the_version_alone() {
    let out = common::vouch().arg("-V").output().unwrap();
    common::assert_ok(&out);
    assert_eq!(
        common::stdout(&out),
        format!("vouch {}\n", env!("CARGO_PKG_VERSION"))
    );
}
