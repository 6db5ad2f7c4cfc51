//! The Go and npm toolchains (golang-go and npm, which
//! scripts/install-oracles.sh installs) as the unbundling tests run them:
//! offline, each with caches of its own; and the listing that compares a
//! swapped copy with Debian's directory. Shared by the swaps' unit tests
//! (cli/src/swap/mod.rs) and the CLI's custody tests
//! (cli/tests/custody_copies.rs), each including this file with `#[path]`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `go ARGS` in `dir` offline (no proxy, the local toolchain), with
/// its build cache and module path under `tmp`.
pub fn go(dir: &Path, tmp: &Path, args: &[&str]) -> Output {
    Command::new("go")
        .args(args)
        .current_dir(dir)
        .env("GOFLAGS", "")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", tmp.join("gocache"))
        .env("GOPATH", tmp.join("gopath"))
        .output()
        .expect("go (golang-go, scripts/install-oracles.sh) runs")
}

/// A real npm project in `tmp/project` with `dependencies` (the JSON
/// object's members), installed from the npm registry with a cache of its
/// own (`tmp/install-cache`); then its `.npmrc` points npm at an empty
/// cache, so that a swap, which runs npm `--offline`, can use neither the
/// registry nor a cached package.
pub fn installed_npm_project(tmp: &Path, dependencies: &str) -> PathBuf {
    let dir = tmp.join("project");
    fs::create_dir(&dir).unwrap();
    fs::write(
        dir.join("package.json"),
        format!(
            "{{\n  \"name\": \"unbundle-npm\",\n  \"version\": \"1.0.0\",\n  \"private\": true,\n  \
             \"dependencies\": {{\n    {dependencies}\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let npmrc = |cache: &str| {
        fs::write(
            dir.join(".npmrc"),
            format!("cache={}\n", tmp.join(cache).display()),
        )
        .unwrap()
    };
    npmrc("install-cache");
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    npmrc("empty-cache");
    dir
}

/// The names of the entries of directory `dir`, sorted: what a swapped
/// copy and Debian's directory must agree on.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
