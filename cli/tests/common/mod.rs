//! Helpers shared by the integration tests: the real `vouch` binary, the
//! peer oracles installed by scripts/install-oracles.sh, and the Sigstore
//! conformance data.

pub mod archive;
pub mod debian;
pub mod kms;
pub mod registry;
pub mod release;
pub mod report;
pub mod sigstore;
pub mod stub;
pub mod unbundle;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A command running the `vouch` binary under test, without the
/// environment's `SOURCE_DATE_EPOCH` (`vex create` would date its
/// documents by it; a test that wants one sets it).
pub fn vouch() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
    cmd.env_remove("SOURCE_DATE_EPOCH");
    cmd
}

/// The release build of `vouch` (`target/release/vouch`), which
/// scripts/test.sh builds before the tests: the release tests
/// (`scripts/image.sh`, `scripts/package-deb.sh`, `scripts/release.sh`)
/// pack and attest the binary vouch ships, not the test build.
pub fn release_vouch() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let binary = target.join("release").join("vouch");
    assert!(
        binary.is_file(),
        "{} is missing: run `cargo build --release --locked -p vouch-cli` (scripts/test.sh does)",
        binary.display()
    );
    binary
}

/// `git rev-parse HEAD` of this checkout: the commit the release binary,
/// its image and its provenance must name.
pub fn git_head() -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(root())
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    assert_ok(&out);
    String::from_utf8(out.stdout).unwrap().trim().to_string()
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

/// The working directory of a test, built up with the `with_*` methods:
/// the one fixture every module starts from.
///
/// ```ignore
/// let f = Fixture::demo().with_layout_image("layout", "app").attested();
/// ```
///
/// Every `vouch` it runs ([`Fixture::run`]) has the directory as its
/// working directory and `$HOME`, and a `REGISTRY_AUTH_FILE` and a
/// `DOCKER_CONFIG` inside it (absent unless a test writes them), so that
/// the machine's own credentials are never read.
pub struct Fixture {
    /// The working directory (vouch runs here).
    pub tmp: tempfile::TempDir,
    /// The copy of testdata/projects/demo-service ([`Fixture::with_project`]).
    pub project: PathBuf,
    /// The image attested and verified ([`Fixture::with_image`],
    /// [`Fixture::with_layout_image`]).
    pub image: String,
    /// The image's digest, `sha256:<hex>`, when the fixture made it.
    pub digest: String,
    /// The registry the fixture's images are on ([`Fixture::with_registry`]).
    registry: Option<registry::Registry>,
}

impl Fixture {
    /// An empty working directory.
    pub fn new() -> Fixture {
        let tmp = tempdir();
        Fixture {
            project: tmp.path().join("demo-service"),
            tmp,
            image: String::new(),
            digest: String::new(),
            registry: None,
        }
    }

    /// The `vouch verify` tests' directory: [`Fixture::with_project`], the
    /// key pair `ci.key`/`ci.pub` and [`demo_policy`] as `policy.yaml`;
    /// no image yet.
    pub fn demo() -> Fixture {
        Fixture::new()
            .with_project()
            .with_key("ci")
            .with_policy(&demo_policy())
    }

    /// [`Fixture::demo`] attested with `ci.key` onto a fresh layout image,
    /// `oci:layout:app`: what the `vouch verify` tests start from.
    pub fn demo_attested() -> Fixture {
        Fixture::demo()
            .with_layout_image("layout", "app")
            .attested()
    }

    /// A copy of testdata/projects/demo-service as `demo-service`.
    pub fn with_project(self) -> Fixture {
        copy_tree(
            &root().join("testdata/projects/demo-service"),
            &self.project,
        );
        self
    }

    /// A project of the test's own as `project`, written by `write`.
    pub fn with_project_from(mut self, write: impl FnOnce(&Path)) -> Fixture {
        self.project = self.dir().join("project");
        std::fs::create_dir(&self.project).unwrap();
        write(&self.project);
        self
    }

    /// The key pair `NAME.key`/`NAME.pub` (`vouch keygen --out NAME`).
    pub fn with_key(self, name: &str) -> Fixture {
        keygen(self.dir(), name);
        self
    }

    /// `yaml` as `policy.yaml`.
    pub fn with_policy(self, yaml: &str) -> Fixture {
        std::fs::write(self.dir().join("policy.yaml"), yaml).unwrap();
        self
    }

    /// The vulnerability gate: testdata/policies/demo-vulns.yaml as
    /// `policy.yaml`, the real OSV records as `osv/` (tinyxml2 10.0.0 has
    /// two findings) and the `security` key pair.
    pub fn with_vulns(self) -> Fixture {
        let policy = root().join("testdata/policies/demo-vulns.yaml");
        let f = self.with_policy(&std::fs::read_to_string(policy).unwrap());
        copy_tree(&root().join("testdata/osv"), &f.dir().join("osv"));
        f.with_key("security")
    }

    /// `image` as the image attested and verified (made elsewhere, or
    /// later by the test).
    pub fn with_image(mut self, image: &str) -> Fixture {
        self.image = image.into();
        self
    }

    /// A fresh one-layer image tagged `tag` in the `oci:` layout `layout`
    /// (relative to the directory), as the image: `oci:LAYOUT:TAG`.
    pub fn with_layout_image(mut self, layout: &str, tag: &str) -> Fixture {
        self.digest = registry::layout_image(&self.dir().join(layout), tag);
        self.image = format!("oci:{layout}:{tag}");
        self
    }

    /// `registry`, kept running as long as the fixture.
    pub fn with_registry(mut self, registry: registry::Registry) -> Fixture {
        self.registry = Some(registry);
        self
    }

    /// A fresh image `REPO:TAG` pushed to the fixture's registry, as the
    /// image.
    pub fn with_registry_image(mut self, repo: &str, tag: &str) -> Fixture {
        self.digest = self.registry().push_image(repo, tag);
        self.image = self.registry().reference(repo, tag);
        self
    }

    /// The demo project attested onto the image with `ci.key`.
    pub fn attested(self) -> Fixture {
        assert_ok(&self.attest("ci.key", &[]));
        self
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// The registry of [`Fixture::with_registry`].
    pub fn registry(&self) -> &registry::Registry {
        self.registry.as_ref().expect("a fixture with_registry")
    }

    /// `cmd` run here, with `$HOME`, `REGISTRY_AUTH_FILE` and
    /// `DOCKER_CONFIG` here, no `VOUCH_REGISTRY_PASSWORD`, and no stdin.
    pub fn isolate<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.current_dir(self.dir())
            .env("HOME", self.dir())
            .env("REGISTRY_AUTH_FILE", self.dir().join("auth.json"))
            .env("DOCKER_CONFIG", self.dir().join(".docker"))
            .env_remove("VOUCH_REGISTRY_PASSWORD")
            .stdin(std::process::Stdio::null())
    }

    /// `vouch ARGS` here, isolated ([`Fixture::isolate`]), not yet run.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = vouch();
        self.isolate(&mut cmd).args(args);
        cmd
    }

    /// `vouch ARGS` here, isolated ([`Fixture::isolate`]).
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command(args).output().unwrap()
    }

    /// `vouch keygen --out NAME` here: the paths of `NAME.key` and
    /// `NAME.pub`.
    pub fn keygen(&self, name: &str) -> (PathBuf, PathBuf) {
        keygen(self.dir(), name)
    }

    /// The key id of `NAME.pub` here.
    pub fn key_id(&self, name: &str) -> String {
        key_id(self.dir(), name)
    }

    /// `vouch attest PROJECT --image IMAGE --key KEY EXTRA...`.
    pub fn attest(&self, key: &str, extra: &[&str]) -> Output {
        let project = self.project.to_str().unwrap();
        let mut args = vec!["attest", project, "--image", &self.image, "--key", key];
        args.extend_from_slice(extra);
        self.run(args)
    }

    /// `vouch verify IMAGE --policy POLICY --output json`, and the JSON
    /// (null when stdout is not JSON).
    pub fn verify(&self, policy: &str) -> (Output, serde_json::Value) {
        let out = self.run([
            "verify",
            &self.image,
            "--policy",
            policy,
            "--output",
            "json",
        ]);
        let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out, json)
    }

    /// `vouch tree IMAGE --output json EXTRA...`, which must succeed,
    /// parsed.
    pub fn tree(&self, image: &str, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["tree", image, "--output", "json"];
        args.extend_from_slice(extra);
        let out = self.run(args);
        assert_ok(&out);
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// `vouch keygen --out NAME` in `dir`: the paths of `NAME.key` and
/// `NAME.pub`.
pub fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    keygen_with(dir, name, "ecdsa-p256")
}

/// [`keygen`] with `--algorithm ALG`.
pub fn keygen_with(dir: &Path, name: &str, alg: &str) -> (PathBuf, PathBuf) {
    assert_ok(&vouch_in(
        dir,
        &["keygen", "--out", name, "--algorithm", alg],
    ));
    (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    )
}

/// The key id of `NAME.pub` in `dir`.
pub fn key_id(dir: &Path, name: &str) -> String {
    let pem = std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap();
    vouch_evidence::keys::PublicKey::from_pem(&pem)
        .unwrap()
        .key_id()
        .to_string()
}

/// A command's stdout, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A command's stderr, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A path as `&str` (test paths are UTF-8).
pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Replaces the one occurrence of `from` in the file at `path` by `to`.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} in {}:\n{text}",
        path.display()
    );
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// The JSON file at `path`, parsed.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The input named `name` of a `vouch inputs --output json` list.
pub fn by_name<'a>(inputs: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    inputs
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no input {name} in {inputs:#?}"))
}

/// Asserts that an input of a `vouch inputs --output json` list is declared
/// by a digest starting `declared_prefix` (`sha256:`, SRI's `sha512-`) and
/// was observed as a `dirHash:` of 64 hex digits.
pub fn assert_declared_and_dir_hashed(input: &serde_json::Value, declared_prefix: &str) {
    assert!(
        input["declared"]
            .as_str()
            .unwrap()
            .starts_with(declared_prefix),
        "{input}"
    );
    let observed = input["observed"].as_str().unwrap();
    assert_eq!(
        observed.strip_prefix("dirHash:").unwrap().len(),
        64,
        "{input}"
    );
}

/// The inputs of a `vouch inputs --output json` list that do not match
/// their declaration.
pub fn mismatched(inputs: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    inputs
        .iter()
        .filter(|i| i["match"]["status"] == "mismatch")
        .collect()
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

/// The demo's tinyxml2 10.0.0 (two real findings), as VEX statements name
/// it.
pub const TINYXML2: &str = "pkg:github/leethomason/tinyxml2@10.0.0";

/// The security team's answer: not_affected, the vulnerable code is not in
/// the execute path.
pub const NOT_AFFECTED: [&str; 4] = [
    "--status",
    "not_affected",
    "--justification",
    "vulnerable_code_not_in_execute_path",
];

/// `vouch vex create` in `dir`: one statement per vulnerability of
/// `cves` in [`TINYXML2`] of `product`, written to `file`, with `extra`
/// (the status and its fields, e.g. [`NOT_AFFECTED`]).
pub fn vex_create(dir: &Path, product: &str, cves: &[&str], file: &str, extra: &[&str]) -> Output {
    let mut args = vec!["vex", "create", "--product", product];
    for cve in cves {
        args.extend(["--vulnerability", cve]);
    }
    args.extend(["--subcomponent", TINYXML2, "-o", file]);
    args.extend_from_slice(extra);
    vouch_in(dir, &args)
}

/// Writes `package_json` into `dir` and installs it with the real npm.
pub fn npm_install(dir: &Path, package_json: &str) {
    std::fs::write(dir.join("package.json"), package_json).unwrap();
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(dir)
        .output()
        .expect("npm must be installed");
    assert_ok(&out);
}

/// Downloads `packages` (no dependencies) into `dest` with the oracle
/// venv's pip, from PyPI alone, in the format `format` asks for
/// (`--only-binary=:all:`, `--no-binary=:all:`).
pub fn pip_download(dest: &Path, format: &str, packages: &[&str]) {
    let out = venv_bin("pip")
        .env_remove("PIP_FIND_LINKS")
        .args(["download", "--quiet", "--no-deps", format])
        .arg("-d")
        .arg(dest)
        .args(packages)
        .output()
        .unwrap();
    assert_ok(&out);
}

/// The bundle a referrer manifest in the `oci:` layout `layout` carries,
/// written to the file `out`, parsed.
pub fn bundle_of_referrer(layout: &Path, referrer: &str, out: &Path) -> serde_json::Value {
    let blob = |digest: &str| {
        std::fs::read(
            layout
                .join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap()
    };
    let manifest: serde_json::Value = serde_json::from_slice(&blob(referrer)).unwrap();
    let bytes = blob(manifest["layers"][0]["digest"].as_str().unwrap());
    std::fs::write(out, &bytes).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The in-toto statement inside a DSSE bundle.
pub fn statement_of(bundle: &serde_json::Value) -> serde_json::Value {
    use base64::Engine;
    let payload = base64::engine::general_purpose::STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// The layer digests of the image tagged `tag` in the `oci:` layout
/// `layout`, bottom first.
pub fn layout_layers(layout: &Path, tag: &str) -> Vec<String> {
    let blob = |digest: &str| -> serde_json::Value {
        let hex = digest.strip_prefix("sha256:").unwrap();
        read_json(&layout.join("blobs/sha256").join(hex))
    };
    let index = read_json(&layout.join("index.json"));
    let entry = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap();
    let manifest = blob(entry["digest"].as_str().unwrap());
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

/// `vouch sbom TARGET --format FORMAT -o FILE` in both formats, each of
/// which must succeed and pass its validator: the temporary directory
/// holding them, and the CycloneDX and the SPDX file.
pub fn sboms(target: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let d = tempdir();
    let cdx = d.path().join("bom.cdx.json");
    let spdx = d.path().join("sbom.spdx.json");
    for (format, path) in [("cyclonedx", &cdx), ("spdx", &spdx)] {
        let out = Fixture::new().run(["sbom", target, "--format", format, "-o", s(path)]);
        assert_ok(&out);
    }
    valid_cyclonedx(&cdx);
    valid_spdx(&spdx);
    (d, cdx, spdx)
}

/// The CycloneDX file at `path` passes cyclonedx-python-lib's validator.
pub fn valid_cyclonedx(path: &Path) {
    assert_ok(
        &oracle_script("sbom_validate.py")
            .arg(path)
            .output()
            .unwrap(),
    );
}

/// The SPDX file at `path` passes spdx-tools' validator.
pub fn valid_spdx(path: &Path) {
    assert_ok(
        &venv_bin("pyspdxtools")
            .arg("-i")
            .arg(path)
            .output()
            .unwrap(),
    );
}

/// A CycloneDX component's property `name` (`vouch:layer`), which it
/// must have.
pub fn property<'a>(component: &'a serde_json::Value, name: &str) -> &'a str {
    component["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {component}"))["value"]
        .as_str()
        .unwrap()
}

/// The finding of `id` in the input `name` of a `--output json` listing.
pub fn finding<'a>(json: &'a serde_json::Value, id: &str, name: &str) -> &'a serde_json::Value {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id && f["input"]["name"] == name)
        .unwrap_or_else(|| panic!("no {id} finding in {name} in {json}"))
}

/// `vouch vulns IMAGE --osv OSV --output json`, which must succeed: the
/// (finding id, input name) of each finding, sorted, and the JSON.
pub fn vulns_findings(image: &str, osv: &Path) -> (Vec<(String, String)>, serde_json::Value) {
    let out = Fixture::new().run(["vulns", image, "--osv", s(osv), "--output", "json"]);
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (finding_pairs(&json), json)
}

/// The (finding id, input name) of each finding of a `vulns --output
/// json` document, sorted.
pub fn finding_pairs(json: &serde_json::Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["input"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}
