//! Helpers shared by the integration tests: the real `vouch` binary, the
//! peer oracles installed by scripts/install-oracles.sh, and the Sigstore
//! conformance data.

pub mod registry;
pub mod stub;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A command running the `vouch` binary under test.
pub fn vouch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
}

/// `vouch webhook` on a free loopback port, with the policies in
/// `policies/` and the certificates in `certs/` of its directory.
pub const WEBHOOK_ARGS: [&str; 9] = [
    "webhook",
    "--policy",
    "policies",
    "--tls-cert",
    "certs/tls.crt",
    "--tls-key",
    "certs/tls.key",
    "--listen",
    "127.0.0.1:0",
];

/// Runs `vouch` in `dir` with the arguments of `command_line`, split on
/// white space (test arguments never contain any).
pub fn run_vouch(dir: &Path, command_line: &str) -> Output {
    vouch()
        .current_dir(dir)
        .args(command_line.split_whitespace())
        .output()
        .unwrap()
}

/// Asserts that `out` is a clean failure: non-zero exit, a `vouch: error:`
/// line naming `needle`, and no panic.
pub fn assert_fails_with(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure, got success; stderr: {stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert!(stderr.contains("vouch: error:"), "stderr: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
}

/// Asserts that `out` succeeded.
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The oracle installation (Python venv, npm packages). Missing oracles are
/// a failure, never a skip: install them with scripts/install-oracles.sh.
pub fn oracles() -> PathBuf {
    let dir = root().join("target/oracles");
    assert!(
        dir.join("venv/bin/python").exists() && dir.join("npm/node_modules").exists(),
        "peer oracles are not installed in {}: run scripts/install-oracles.sh (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// A command running a program of the oracle Python venv.
pub fn venv_bin(name: &str) -> Command {
    Command::new(oracles().join("venv/bin").join(name))
}

/// A command running one of the oracle scripts in tests/oracles.
pub fn oracle_script(script: &str) -> Command {
    let path = root().join("tests/oracles").join(script);
    if script.ends_with(".py") {
        let mut cmd = venv_bin("python");
        cmd.arg(path);
        cmd
    } else {
        oracles();
        let mut cmd = Command::new("node");
        cmd.arg(path);
        cmd
    }
}

/// The Sigstore conformance cases, copied into the checkout
/// (testdata/sigstore-conformance/SOURCE.md names their upstream commit).
pub fn conformance_suite() -> PathBuf {
    root().join("testdata/sigstore-conformance")
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Runs `vouch ARGS` in `dir` (arguments as given, spaces allowed).
pub fn vouch_in(dir: &Path, args: &[&str]) -> Output {
    vouch().current_dir(dir).args(args).output().unwrap()
}

/// The demo's ImagePolicy (testdata/policies/demo.yaml, which
/// scripts/demo.sh applies too): `ci.pub` must have signed the provenance
/// and the CycloneDX SBOM of every layout image, with a Rego rule and the
/// vendored-input rules.
pub fn demo_policy() -> String {
    std::fs::read_to_string(root().join("testdata/policies/demo.yaml")).unwrap()
}

/// The `vouch verify` tests' working directory: a copy of the demo
/// project, the key pair `ci.key`/`ci.pub`, [`demo_policy`] as
/// `policy.yaml`, and the image evidence is attached to.
pub struct Fixture {
    /// The working directory (vouch runs here).
    pub tmp: tempfile::TempDir,
    /// The copy of testdata/projects/demo-service.
    pub project: PathBuf,
    /// The image attested and verified.
    pub image: String,
}

impl Fixture {
    /// The demo project attested with `ci.key` onto a fresh layout image,
    /// `oci:layout:app`.
    pub fn attested() -> Fixture {
        let f = Fixture::prepared("oci:layout:app");
        registry::layout_image(&f.dir().join("layout"), "app");
        assert_ok(&f.attest("ci.key", &[]));
        f
    }

    /// [`Fixture::prepared`] for the vulnerability gate: demo-vulns.yaml
    /// as `policy.yaml`, the real OSV records as `osv/` (tinyxml2 10.0.0
    /// has two findings) and the `security` key pair.
    pub fn with_vulns(image: &str) -> Fixture {
        let f = Fixture::prepared(image);
        std::fs::copy(
            root().join("testdata/policies/demo-vulns.yaml"),
            f.dir().join("policy.yaml"),
        )
        .unwrap();
        copy_tree(&root().join("testdata/osv"), &f.dir().join("osv"));
        assert_ok(&vouch_in(f.dir(), &["keygen", "--out", "security"]));
        f
    }

    /// The working directory for `image`, with nothing attached yet.
    pub fn prepared(image: &str) -> Fixture {
        let tmp = tempdir();
        let project = tmp.path().join("demo-service");
        let copied = Command::new("cp")
            .arg("-a")
            .arg(root().join("testdata/projects/demo-service"))
            .arg(&project)
            .status()
            .unwrap();
        assert!(copied.success());
        assert_ok(&vouch_in(tmp.path(), &["keygen", "--out", "ci"]));
        std::fs::write(tmp.path().join("policy.yaml"), demo_policy()).unwrap();
        Fixture {
            image: image.into(),
            project,
            tmp,
        }
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// `vouch attest PROJECT --image IMAGE --key KEY EXTRA...`.
    pub fn attest(&self, key: &str, extra: &[&str]) -> Output {
        let project = self.project.to_str().unwrap();
        let mut args = vec!["attest", project, "--image", &self.image, "--key", key];
        args.extend_from_slice(extra);
        vouch_in(self.dir(), &args)
    }

    /// `vouch verify IMAGE --policy POLICY --output json`, and the JSON
    /// (null when stdout is not JSON).
    pub fn verify(&self, policy: &str) -> (Output, serde_json::Value) {
        let out = vouch_in(
            self.dir(),
            &[
                "verify",
                &self.image,
                "--policy",
                policy,
                "--output",
                "json",
            ],
        );
        let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out, json)
    }
}

/// `vouch inputs DIR --output json --allow-mismatch`, parsed.
pub fn inputs_json(dir: &Path) -> Vec<serde_json::Value> {
    let out = run_vouch(dir, "inputs . --output json --allow-mismatch");
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `cp -a from to`.
pub fn copy_tree(from: &Path, to: &Path) {
    let copied = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(copied.success());
}
