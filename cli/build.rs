//! The build script of `vouch`: computes what `vouch --version` says after
//! the version (see `src/version.rs`) and hands it to the compiler as
//! `VOUCH_LONG_VERSION`.
//!
//! In a git checkout of this workspace it asks git for HEAD and whether a
//! tracked file differs from it; outside one (a crate tarball, an exported
//! tree) it takes the commit from `VOUCH_BUILD_COMMIT`, or says "unknown".
//! It tells cargo to run it again when HEAD moves, the branch it points at
//! moves, the index changes (`git add`, a commit) or a tracked file is
//! edited, so that the flag is never stale, and on nothing else: not
//! `target/`, not untracked files.

// Cargo reads a build script's directives from its standard output, and
// shows its standard error only when it fails: no terminal to escape for.
#![allow(clippy::disallowed_macros)]

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "src/version.rs"]
mod version;

use version::{parse_commit, resolve, Origin, COMMIT_VARIABLE};

fn main() {
    if let Err(error) = run() {
        eprintln!("vouch build script: error: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/version.rs");
    println!("cargo:rerun-if-env-changed={COMMIT_VARIABLE}");
    let supplied = match std::env::var_os(COMMIT_VARIABLE) {
        None => None,
        Some(value) => {
            let text = value
                .to_str()
                .ok_or_else(|| format!("{COMMIT_VARIABLE} is not UTF-8"))?;
            Some(parse_commit(text).map_err(|why| format!("{COMMIT_VARIABLE}: {why}"))?)
        }
    };
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .parent()
        .ok_or("the crate directory has no parent")?;
    let origin = resolve(checkout(workspace)?, supplied)?;
    println!(
        "cargo:rustc-env=VOUCH_LONG_VERSION={} {}",
        env("CARGO_PKG_VERSION")?,
        origin.describe()
    );
    Ok(())
}

/// HEAD of the git checkout whose top level is `workspace` and whether a
/// tracked file differs from it, after telling cargo what to watch; `None`
/// when `workspace` is not the top of a checkout (no git, no `.git`, or the
/// sources exported into some other repository, whose HEAD says nothing of
/// them).
fn checkout(workspace: &Path) -> Result<Option<Origin>, String> {
    let Some(top) = git(workspace, &["rev-parse", "--show-toplevel"]) else {
        return Ok(None);
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(top.trim_end_matches('\n')), workspace) {
        return Ok(None);
    }
    // A repository without a commit yet has no HEAD to name.
    let Some(head) = git(workspace, &["rev-parse", "--verify", "-q", "HEAD"]) else {
        return Ok(None);
    };
    let commit = parse_commit(&head).map_err(|why| format!("git rev-parse HEAD: {why}"))?;
    watch_git(workspace)?;
    watch_tracked(workspace)?;
    // Tracked files only, staged or not, against HEAD: what `git
    // diff-index --quiet HEAD` says after `git update-index --refresh`
    // (the `--dirty` of `git describe`), but with the index refreshed in
    // memory only: writing it would change a file this script watches.
    let status = git(
        workspace,
        &[
            "--no-optional-locks",
            "status",
            "--porcelain",
            "--untracked-files=no",
        ],
    )
    .ok_or("git status failed in the checkout being built")?;
    Ok(Some(Origin::Checkout {
        commit,
        modified: !status.is_empty(),
    }))
}

/// Tells cargo to run this script again when HEAD, the branch it points at
/// (a loose ref, or `packed-refs`) or the index changes. Paths come from
/// `git rev-parse --git-path`, which knows where a worktree keeps each.
fn watch_git(workspace: &Path) -> Result<(), String> {
    let mut names = vec!["HEAD".to_owned(), "index".into(), "packed-refs".into()];
    if let Some(branch) = git(workspace, &["symbolic-ref", "-q", "HEAD"]) {
        names.push(branch.trim_end_matches('\n').to_owned());
    }
    for name in names {
        let path = git(workspace, &["rev-parse", "--git-path", &name])
            .ok_or_else(|| format!("git rev-parse --git-path {name} failed"))?;
        let path = workspace.join(path.trim_end_matches('\n'));
        // A path that does not exist would make cargo run this script on
        // every build; a branch only in packed-refs is watched through its
        // directory, where it appears when it moves.
        if path.exists() {
            watch(&path);
        } else if let Some(parent) = path.parent().filter(|parent| parent.is_dir()) {
            watch(parent);
        }
    }
    Ok(())
}

/// Tells cargo to run this script again when a tracked file is edited or
/// removed: every path the index lists (not directories, which would take in
/// untracked files and build output).
fn watch_tracked(workspace: &Path) -> Result<(), String> {
    let files = git(workspace, &["ls-files", "-z"]).ok_or("git ls-files failed")?;
    for file in files.split('\0').filter(|file| !file.is_empty()) {
        let path = workspace.join(file);
        // A file already missing counts as modified; watching it would only
        // make cargo run this script again on every build.
        if path.exists() {
            watch(&path);
        }
    }
    Ok(())
}

fn watch(path: &Path) {
    // cargo reads one directive a line: a path with a line break in it
    // cannot be named (the tree is "modified" by it anyway if it changes
    // with anything else).
    if let Some(path) = path.to_str().filter(|path| !path.contains('\n')) {
        println!("cargo:rerun-if-changed={path}");
    }
}

/// The output of `git ARGS` run in `dir`, if it ran and succeeded.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("cargo did not set {name}"))
}
