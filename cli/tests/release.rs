//! vouch vouches for itself: `scripts/release.sh` attests and signs the
//! release image with the release binary (`common::release_vouch()`),
//! against a real Distribution registry, and `policies/vouch-release.yaml`
//! (with the TEST ONLY key of testdata/release/ in place of the
//! placeholder release key) admits it, in `vouch verify` and in the release
//! binary's own webhook; a rebuilt image with one changed vendored file,
//! and an image signed by another key, are denied. The image is
//! scripts/image.sh's (`common::release::image`, built once per run).
//!
//! The workspace's Cargo.lock is vendored once per test run (`cargo vendor
//! --locked --versioned-dirs`, from crates.io), cached under
//! `target/release-test/` by the hash of Cargo.lock, and handed to each
//! release with `--vendor`, which copies it into the staging project and
//! checks it like any vendored tree.

use crate::common;
use crate::webhook::{message, pod, Webhook, NAMESPACE, SERVICE};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use common::registry::Registry;
use common::sigstore::{Options, Stack};
use common::{assert_ok, release_vouch, root, stderr, stdout, Fixture};
use serde_json::Value;

/// The workspace version: the release image's tag.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The TEST ONLY release key pair (testdata/release/SOURCE.md).
fn test_key(ext: &str) -> PathBuf {
    root().join(format!("testdata/release/release-test.{ext}"))
}

/// The workspace's Cargo.lock vendored once (see the module doc); the
/// `vendor` directory.
fn vendored() -> &'static Path {
    static VENDOR: OnceLock<PathBuf> = OnceLock::new();
    VENDOR.get_or_init(|| {
        let lock = fs::read(root().join("Cargo.lock")).unwrap();
        let hash = vouch_evidence::digest::sha256(&lock).hex();
        let cache = root().join("target/release-test");
        fs::create_dir_all(&cache).unwrap();
        let dir = cache.join(format!("vendor-{}", &hash[..16]));
        // Another test process may be vendoring: wait for its lock.
        let lockfile = fs::File::create(cache.join(".vendor.lock")).unwrap();
        lockfile.lock().unwrap();
        if !dir.join("done").exists() {
            let _ = fs::remove_dir_all(&dir);
            let out = Command::new("cargo")
                .args(["vendor", "--locked", "--versioned-dirs", "--manifest-path"])
                .arg(root().join("Cargo.toml"))
                .arg(dir.join("vendor"))
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "cargo vendor --locked (it needs crates.io): {}",
                stderr(&out)
            );
            fs::write(dir.join("done"), b"").unwrap();
        }
        dir.join("vendor")
    })
}

/// vouch's release image (scripts/image.sh of the release binary, built
/// once per test run: `common::release::image`), as `oci:LAYOUT:VERSION`.
fn image_layout() -> String {
    let image = common::release::image();
    assert_eq!(image.tag, VERSION);
    image.reference()
}

/// `image` with a changed config (a label), so a new digest over the same
/// layers: the stand-in for a rebuild, pushed to `dst`.
fn rebuilt(f: &Fixture, layout: &str, dst: &str) -> String {
    let copy = f.dir().join("rebuilt");
    let tagged = format!("oci:{}:{VERSION}", copy.display());
    assert_ok(&f.run(["copy", layout, &tagged]));
    let out = Command::new("umoci")
        .args(["config", "--image"])
        .arg(format!("{}:{VERSION}", copy.display()))
        .args([
            "--config.label",
            "org.opencontainers.image.revision=rebuilt",
        ])
        .output()
        .unwrap();
    assert_ok(&out);
    assert_ok(&f.run(["copy", &tagged, dst]));
    digest_of(f, dst)
}

/// The digest `image` resolves to.
fn digest_of(f: &Fixture, image: &str) -> String {
    let tree = tree(f, image);
    tree["digest"].as_str().unwrap().to_string()
}

/// The release binary run with `args` in the fixture, isolated.
fn release_bin(f: &Fixture, args: &[&str]) -> Output {
    let mut cmd = Command::new(release_vouch());
    f.isolate(&mut cmd).args(args).output().unwrap()
}

/// `vouch tree IMAGE --output json` of the release binary.
fn tree(f: &Fixture, image: &str) -> Value {
    let out = release_bin(f, &["tree", image, "--output", "json"]);
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A staging project of its own under target/release-test/ (inside the
/// checkout, so that its git source is the repository's; release.sh
/// refuses a stage elsewhere), removed on drop.
fn stage() -> tempfile::TempDir {
    scratch("stage-")
}

/// A directory of its own under target/release-test/ (the file system of
/// the shared vendored tree, so that it can be hard-linked), removed on
/// drop.
fn scratch(prefix: &str) -> tempfile::TempDir {
    let dir = root().join("target/release-test");
    fs::create_dir_all(&dir).unwrap();
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(dir)
        .unwrap()
}

/// `bash scripts/release.sh ARGS` with the release binary and the shared
/// vendored tree, in the fixture (isolated: HOME is the fixture's).
/// `--allow-dirty`: a developer runs the tests with uncommitted changes;
/// CI's checkout is clean either way.
fn release_sh(f: &Fixture, stage: &Path, args: &[&str]) -> Output {
    release_sh_with(f, stage, args, &[])
}

/// The CI environment vouch reads (the builder identity, identity tokens):
/// cleared, so that a test run in CI is not signed or named as CI.
const CI_VARS: [&str; 10] = [
    "GITHUB_ACTIONS",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_SERVER_URL",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITLAB_CI",
    "CI_SERVER_URL",
    "CI_PROJECT_PATH",
    "CI_JOB_URL",
    "SIGSTORE_ID_TOKEN",
];

/// [`release_sh`] with `env` set (after the CI variables are cleared).
fn release_sh_with(f: &Fixture, stage: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    let mut cmd = Command::new("bash");
    for var in CI_VARS {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    f.isolate(&mut cmd)
        .arg(root().join("scripts/release.sh"))
        .arg("--vouch")
        .arg(release_vouch())
        .arg("--stage")
        .arg(stage)
        .arg("--allow-dirty")
        .args(args);
    cmd.output().unwrap()
}

/// policies/vouch-release.yaml with the TEST ONLY release key in place of
/// the placeholder, as `policy.yaml` in the fixture; returns its path.
fn release_policy(f: &Fixture, key: &Path) -> PathBuf {
    let shipped = fs::read_to_string(root().join("policies/vouch-release.yaml")).unwrap();
    let placeholder = "key: {path: keys/vouch-release.pub}";
    assert!(shipped.contains(placeholder), "{shipped}");
    let policy = shipped.replace(placeholder, &format!("key: {{path: {}}}", key.display()));
    let path = f.dir().join("policy.yaml");
    fs::write(&path, policy).unwrap();
    assert_ok(&release_bin(f, &["policy", "check", "policy.yaml"]));
    path
}

/// `vouch verify IMAGE --policy policy.yaml --output json` of the release
/// binary: (output, document).
fn verify(f: &Fixture, image: &str) -> (Output, Value) {
    let out = release_bin(
        f,
        &[
            "verify",
            image,
            "--policy",
            "policy.yaml",
            "--output",
            "json",
        ],
    );
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, json)
}

/// The statement of the attachment of `predicate_type` on `image`, read
/// from a `vouch copy` of the image with its attachments into a layout.
fn statement(f: &Fixture, image: &str, predicate_type: &str) -> Value {
    let layout = f.dir().join("copied");
    let _ = fs::remove_dir_all(&layout);
    let dst = format!("oci:{}:copied", layout.display());
    assert_ok(&release_bin(f, &["copy", image, &dst]));
    let tree = tree(f, &dst);
    let referrer = tree["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["predicateType"] == predicate_type)
        .unwrap_or_else(|| panic!("no {predicate_type} in {tree}"));
    let bundle = common::bundle_of_referrer(
        &layout,
        referrer["digest"].as_str().unwrap(),
        &f.dir().join("bundle.json"),
    );
    common::statement_of(&bundle)
}

/// The release binary's `vouch webhook`, with certificates for its Service
/// and the fixture's `policy.yaml` as its one policy.
fn webhook(f: &Fixture) -> Webhook {
    assert_ok(&release_bin(
        f,
        &[
            "webhook",
            "certs",
            "--service",
            SERVICE,
            "--namespace",
            NAMESPACE,
            "--out",
            "certs",
        ],
    ));
    let policies = f.dir().join("policies");
    fs::create_dir(&policies).unwrap();
    fs::copy(
        f.dir().join("policy.yaml"),
        policies.join("vouch-release.yaml"),
    )
    .unwrap();
    let mut command = Command::new(release_vouch());
    f.isolate(&mut command);
    Webhook::start_in(command, f.dir(), &[])
}

/// A fixture with a registry holding the release image as `vouch:VERSION`;
/// (fixture, registry reference, its digest, the layout it came from).
fn world() -> (Fixture, String, String, String) {
    let f = Fixture::new().with_registry(Registry::plain());
    let layout = image_layout();
    let image = common::release::image().push(f.registry());
    assert_eq!(image, f.registry().reference("vouch", VERSION));
    let digest = digest_of(&f, &image);
    assert_eq!(digest, common::release::image().digest);
    (f, image, digest, layout)
}

#[test]
fn release_sh_attests_vouch_and_the_release_policy_admits_it_in_verify_and_the_webhook() {
    let (f, image, digest, layout) = world();
    let stage = stage();
    let key = test_key("key");
    let out = release_sh(
        &f,
        stage.path(),
        &["--key", key.to_str().unwrap(), "--image", &image],
    );
    assert_ok(&out);
    let pinned = format!("{}@{digest}", image.rsplit_once(':').unwrap().0);
    assert_eq!(stdout(&out).trim(), pinned, "{}", stderr(&out));

    // The image carries the release signature, the provenance and both
    // SBOMs, all about its digest and signed by the release key.
    let tree = tree(&f, &image);
    let attachments = tree["attachments"].as_array().unwrap();
    for (kind, predicate) in [
        ("signature", "https://sigstore.dev/cosign/sign/v1"),
        ("attestation", "https://slsa.dev/provenance/v1"),
        ("attestation", "https://cyclonedx.org/bom/v1.6"),
        ("attestation", "https://spdx.dev/Document/v2.3"),
    ] {
        let found: Vec<&Value> = attachments
            .iter()
            .filter(|a| a["kind"] == kind && a["predicateType"] == predicate)
            .collect();
        assert_eq!(found.len(), 1, "{kind} {predicate}: {tree}");
        assert_eq!(found[0]["subject"], digest.as_str(), "{tree}");
    }

    // The provenance names the checkout's HEAD, this repository, the
    // builder, and every crate of Cargo.lock, vendored and matching, with
    // the critical ones marked; and the image's Debian packages.
    let statement = statement(&f, &image, "https://slsa.dev/provenance/v1");
    let predicate = &statement["predicate"];
    let source = &predicate["buildDefinition"]["externalParameters"]["source"];
    assert_eq!(
        source["digest"]["gitCommit"],
        common::git_head().as_str(),
        "{source}"
    );
    // The repository: its origin when it has one, else its work tree;
    // never the staging directory.
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(root())
            .args(args)
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| stdout(&out).trim().to_string())
    };
    let repo = git(&["remote", "get-url", "origin"])
        .or_else(|| git(&["rev-parse", "--show-toplevel"]))
        .unwrap();
    assert_eq!(source["uri"], format!("git+{repo}"), "{source}");
    let builder = predicate["runDetails"]["builder"]["id"].as_str().unwrap();
    assert!(
        builder.starts_with("file://") && builder.ends_with("/scripts/release.sh"),
        "{builder}"
    );
    let deps = predicate["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap();
    let cargo: Vec<&Value> = deps
        .iter()
        .filter(|d| d["annotations"]["ecosystem"] == "cargo")
        .collect();
    let lock = fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let locked = lock.matches("\nsource = \"registry+").count();
    assert_eq!(cargo.len(), locked, "every crate of Cargo.lock is an input");
    assert!(cargo.iter().all(|d| d["annotations"]["match"] == "match"));
    let rustls = cargo.iter().find(|d| d["name"] == "rustls").unwrap();
    assert_eq!(rustls["annotations"]["critical"], true, "{rustls}");
    assert!(
        deps.iter()
            .any(|d| d["annotations"]["ecosystem"] == "deb" && d["name"] == "libc6"),
        "the image's OS packages are recorded"
    );

    // `vouch verify` under the release policy allows it.
    release_policy(&f, &test_key("pub"));
    let (out, json) = verify(&f, &image);
    assert_ok(&out);
    assert_eq!(json["images"][0]["verdict"], "allow", "{json}");
    assert_eq!(json["images"][0]["digest"], digest.as_str());

    // The same image, attested and signed by another key, under another
    // name: denied (no release signature, no release provenance).
    let other = f.registry().reference("other/vouch", VERSION);
    assert_ok(&f.run(["copy", &layout, &other]));
    let (other_key, _) = f.keygen("other");
    let other_stage = self::stage();
    let out = release_sh(
        &f,
        other_stage.path(),
        &["--key", other_key.to_str().unwrap(), "--image", &other],
    );
    assert_ok(&out);
    let (out, json) = verify(&f, &other);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json["images"][0]["verdict"], "deny", "{json}");

    // The release binary's webhook admits its own image under the release
    // policy, and denies the one signed by another key.
    let webhook = webhook(&f);
    let allowed = webhook.review("/validate?timeout=30s", &pod("vouch-system", &[&image]));
    assert_eq!(allowed["allowed"], true, "{allowed}\n{}", webhook.log());
    let denied = webhook.review("/validate?timeout=30s", &pod("vouch-system", &[&other]));
    assert_eq!(denied["allowed"], false, "{denied}");
    let why = message(&denied);
    assert!(why.contains("vouch-release"), "{why}");
}

#[test]
fn regression_issue_19_a_rebuilt_vouch_with_one_changed_vendored_file_is_denied() {
    let (f, _image, _digest, layout) = world();
    let image = f.registry().reference("vouch", "rebuilt");
    let digest = rebuilt(&f, &layout, &image);
    let key = test_key("key");

    // One byte of one file of a critical crate (flate2) changed in a copy
    // of the vendored tree.
    // (Hard links to the shared tree; the changed file is a new one.)
    let scratch = scratch("vendor-copy-");
    let vendor = scratch.path().join("vendor");
    let out = Command::new("cp")
        .arg("-al")
        .arg(vendored())
        .arg(&vendor)
        .output()
        .unwrap();
    assert_ok(&out);
    let krate = fs::read_dir(&vendor)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("flate2-")
        })
        .unwrap();
    let name = krate.file_name().unwrap().to_str().unwrap().to_string();
    let file = krate.join("src/lib.rs");
    let mut bytes = fs::read(&file).unwrap();
    bytes[0] ^= 1;
    fs::remove_file(&file).unwrap();
    fs::write(&file, bytes).unwrap();
    let shared = fs::read(vendored().join(&name).join("src/lib.rs")).unwrap();
    assert_ne!(
        shared,
        fs::read(&file).unwrap(),
        "the shared tree is untouched"
    );

    // Without --allow-mismatch the release refuses, naming the crate, and
    // attaches nothing.
    let stage = stage();
    let vendor_arg = vendor.to_str().unwrap();
    let args = [
        "--key",
        key.to_str().unwrap(),
        "--image",
        &image,
        "--vendor",
        vendor_arg,
    ];
    let out = release_sh(&f, stage.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("vouch: error: refusing to attest"), "{err}");
    assert!(err.contains("flate2"), "{err}");
    assert!(err.contains("release.sh: error: vouch attest of"), "{err}");
    assert!(err.contains("the image is not signed"), "{err}");
    let tree = self::tree(&f, &image);
    assert_eq!(tree["attachments"], Value::Array(vec![]), "{tree}");

    // A crate of Cargo.lock left out of the vendored tree (it would be
    // recorded as not vendored, which no mismatch rule catches): refused
    // before vouch attest runs, naming it, even with --allow-mismatch.
    let mut allowed = args.to_vec();
    allowed.push("--allow-mismatch");
    let crate_dir = fs::read_dir(&vendor)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with("hex-"))
        .unwrap();
    let dropped = f.dir().join("dropped");
    fs::rename(&crate_dir, &dropped).unwrap();
    let out = release_sh(&f, stage.path(), &allowed);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("release.sh: error: crates of Cargo.lock are not vendored in"),
        "{err}"
    );
    assert!(
        err.contains(crate_dir.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
    let tree = self::tree(&f, &image);
    assert_eq!(tree["attachments"], Value::Array(vec![]), "{tree}");
    fs::rename(&dropped, &crate_dir).unwrap();

    // With it, the rebuild is attested and signed by the release key, the
    // mismatch recorded: the release policy denies it, naming the crate.
    assert_ok(&release_sh(&f, stage.path(), &allowed));
    release_policy(&f, &test_key("pub"));
    let (out, json) = verify(&f, &image);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let verdict = &json["images"][0];
    assert_eq!(verdict["verdict"], "deny", "{json}");
    assert_eq!(verdict["digest"], digest.as_str());
    let denials = verdict["denials"].to_string();
    let version = name.trim_start_matches("flate2-");
    assert!(denials.contains("flate2"), "{denials}");
    assert!(denials.contains(version), "{denials}");

    // The release binary's webhook denies it too, naming the crate.
    let webhook = webhook(&f);
    let denied = webhook.review("/validate?timeout=30s", &pod("vouch-system", &[&image]));
    assert_eq!(denied["allowed"], false, "{denied}");
    let why = message(&denied);
    assert!(why.contains("flate2"), "{why}");
}

#[test]
fn release_sh_refuses_bad_invocations_with_clear_errors() {
    let f = Fixture::new();
    let stage = stage();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--image", "oci:nowhere:1"],
            "no signer: give --key FILE or --keyless",
        ),
        (&["--key", "k", "--bogus"], "unknown option --bogus"),
        (&["--key"], "--key needs a value"),
        (
            &["--key", "k", "--image", "oci:/nonexistent/layout:1"],
            "cannot read the image oci:/nonexistent/layout:1",
        ),
    ];
    for (args, needle) in cases {
        let out = release_sh(&f, stage.path(), args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("release.sh: error: "), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // A modified work tree: the provenance would name a commit that does
    // not describe it. (A checkout of its own holding the script, so that
    // this one is left alone.)
    let repo = f.dir().join("repo");
    fs::create_dir_all(repo.join("scripts")).unwrap();
    fs::copy(
        root().join("scripts/release.sh"),
        repo.join("scripts/release.sh"),
    )
    .unwrap();
    fs::copy(root().join("Cargo.toml"), repo.join("Cargo.toml")).unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.test"])
            .args(args)
            .output()
            .unwrap();
        assert_ok(&out);
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "x"]);
    fs::write(repo.join("uncommitted.rs"), "fn main() {}\n").unwrap();
    let mut cmd = Command::new("bash");
    let out = f
        .isolate(&mut cmd)
        .arg(repo.join("scripts/release.sh"))
        .arg("--vouch")
        .arg(release_vouch())
        .args(["--key", "k"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "release.sh: error: the work tree {} has uncommitted changes",
            repo.display()
        )),
        "{err}"
    );

    // Cargo's own output is never a stage.
    let cargo_out = root().join("target/release");
    let out = release_sh(&f, &cargo_out, &["--key", "k"]);
    assert!(stderr(&out).contains("is cargo's"), "{}", stderr(&out));
    assert!(release_vouch().exists());

    // A stage outside target/ is refused before anything is deleted.
    let outside = f.dir().join("precious");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("keep"), b"x").unwrap();
    let out = release_sh(&f, &outside, &["--key", "k"]);
    assert!(stderr(&out).contains("is not under"), "{}", stderr(&out));
    assert!(outside.join("keep").exists());
}

/// policies/vouch-release.yaml with its keyless authority pointed at the
/// local Sigstore stack: its trusted root and GitHub issuer, and
/// `subject` (a regular expression) for the release workflow; as
/// `policy.yaml` in the fixture.
fn keyless_release_policy(f: &Fixture, stack: &Stack, subject: &str) {
    let shipped = fs::read_to_string(root().join("policies/vouch-release.yaml")).unwrap();
    let keyless = "      keyless:\n        identities:\n";
    let issuer = "- issuer: \"https://token.actions.githubusercontent.com\"";
    let shipped_subject = shipped
        .lines()
        .find_map(|l| l.trim().strip_prefix("subjectRegExp: "))
        .unwrap()
        .to_string();
    for needle in [keyless, issuer] {
        assert!(shipped.contains(needle), "{needle} not in {shipped}");
    }
    // The placeholder release key stays (by its absolute path): it admits
    // nothing.
    let placeholder = "key: {path: keys/vouch-release.pub}";
    assert!(shipped.contains(placeholder), "{shipped}");
    let policy = shipped
        .replace(
            placeholder,
            &format!(
                "key: {{path: {}}}",
                root().join("policies/keys/vouch-release.pub").display()
            ),
        )
        .replace(
            keyless,
            &format!(
                "      keyless:\n        trustedRoot: \"{}\"\n        identities:\n",
                stack.trusted_root().display()
            ),
        )
        .replace(issuer, &format!("- issuer: \"{}\"", stack.github_issuer()))
        .replace(
            &shipped_subject,
            &format!("\"{}\"", subject.replace('\\', "\\\\")),
        );
    fs::write(f.dir().join("policy.yaml"), policy).unwrap();
    assert_ok(&release_bin(f, &["policy", "check", "policy.yaml"]));
}

/// The keyless identity of policies/vouch-release.yaml (a regular
/// expression), as written there (a YAML double-quoted string).
fn shipped_subject() -> String {
    let shipped = fs::read_to_string(root().join("policies/vouch-release.yaml")).unwrap();
    let quoted = shipped
        .lines()
        .find_map(|l| l.trim().strip_prefix("subjectRegExp: "))
        .unwrap();
    quoted.trim_matches('"').replace("\\\\", "\\")
}

/// Regular-expression escapes of `text`'s dots.
fn escaped(text: &str) -> String {
    text.replace('.', "\\.")
}

#[test]
fn release_sh_signs_keylessly_and_the_release_workflow_identity_is_pinned_to_tags() {
    let stack = Stack::start(Options::default());
    let (f, image, digest, _layout) = world();
    let stage = stage();

    // As GitHub Actions runs it: the job's OIDC token, the workflow as
    // builder.id.
    let identity = stack.github_identity();
    let workflow = identity.strip_prefix("https://github.com/").unwrap();
    let mut env = stack.github_env().to_vec();
    env.push(("GITHUB_SERVER_URL".into(), "https://github.com".into()));
    env.push(("GITHUB_WORKFLOW_REF".into(), workflow.into()));
    let signing_config = stack.signing_config();
    let trusted_root = stack.trusted_root();
    let out = release_sh_with(
        &f,
        stage.path(),
        &[
            "--keyless",
            "--signing-config",
            signing_config.to_str().unwrap(),
            "--trusted-root",
            trusted_root.to_str().unwrap(),
            "--image",
            &image,
        ],
        &env,
    );
    assert_ok(&out);
    let statement = statement(&f, &image, "https://slsa.dev/provenance/v1");
    assert_eq!(
        statement["predicate"]["runDetails"]["builder"]["id"],
        identity.as_str()
    );
    assert_eq!(
        statement["predicate"]["buildDefinition"]["externalParameters"]["source"]["digest"]
            ["gitCommit"],
        common::git_head().as_str()
    );

    // The release policy's keyless authority, pinned to that workflow
    // file: admitted.
    keyless_release_policy(&f, &stack, &escaped(&identity));
    let (out, json) = verify(&f, &image);
    assert_ok(&out);
    assert_eq!(json["images"][0]["verdict"], "allow", "{json}");
    assert_eq!(json["images"][0]["digest"], digest.as_str());

    // The shipped pin (the workflow at a version tag, with the test
    // repository in place of OWNER/vouch): this run was on a branch
    // (`refs/heads/main`), so it is denied.
    let (repo, _) = workflow.split_once("/.github/").unwrap();
    assert!(identity.contains("@refs/heads/"), "{identity}");
    let shipped = shipped_subject();
    assert!(shipped.contains("/OWNER/vouch/"), "{shipped}");
    let shipped = shipped.replace("OWNER/vouch", &escaped(repo));
    keyless_release_policy(&f, &stack, &shipped);
    let (out, json) = verify(&f, &image);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json["images"][0]["verdict"], "deny", "{json}");
}
