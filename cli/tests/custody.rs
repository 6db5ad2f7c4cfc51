//! The chain of custody of an unbundled project (issue 16 §3), on the REAL
//! Debian archive of this machine: a small Cargo project depending on
//! flate2 1.0.25, vendored with `cargo vendor`, then patched
//! (`[patch.crates-io]` in its `.cargo/config.toml`, written here) onto
//! Debian's librust-flate2-dev and the librust packages it needs, which
//! scripts/install-oracles.sh installs (after `apt-get update`) with their
//! .debs in target/oracles/debs. `vouch inputs` and `vouch attest` trace
//! each patched crate from the InRelease apt verified to every installed
//! file; a copy of the installed tree (`--distro-root`) is edited to break
//! each link.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::registry::Registry;
use common::unbundle::{flate2_debs, flate2_project, flip_byte, sha256_of, CRATES, REGISTRY};
use common::{assert_fails_with, assert_ok, root, tempdir, vouch, Fixture};
use serde_json::Value;

const FLATE2: &str = "usr/share/cargo/registry/flate2-1.0.25";
const BOOKWORM: &str = "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease";

/// A copy of the project patched onto the crates under the distribution
/// root `root` instead of the machine's (what `vouch unbundle --write
/// --distro-root ROOT` writes), so that the build reads the files whose
/// chain is checked.
fn project_onto(root: &Path) -> tempfile::TempDir {
    let copy = tempdir();
    let out = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", flate2_project().display()))
        .arg(copy.path())
        .output()
        .unwrap();
    assert_ok(&out);
    let config = copy.path().join(".cargo/config.toml");
    let text = fs::read_to_string(&config).unwrap();
    let onto = text.replace(
        &format!("path = \"{REGISTRY}/"),
        &format!("path = \"{}{REGISTRY}/", root.display()),
    );
    assert_ne!(onto, text);
    fs::write(&config, onto).unwrap();
    copy
}

/// `vouch inputs PROJECT --output json EXTRA...`, with `--debs DEBS`
/// unless `extra` names another.
fn inputs(extra: &[&str]) -> Output {
    inputs_in(flate2_project(), extra)
}

/// `vouch inputs` of `project`, as [`inputs`].
fn inputs_in(project: &Path, extra: &[&str]) -> Output {
    let mut cmd = vouch();
    cmd.arg("inputs").arg(project).args(["--output", "json"]);
    if !extra.contains(&"--debs") {
        cmd.arg("--debs").arg(flate2_debs());
    }
    cmd.args(extra).output().unwrap()
}

#[test]
fn flate2_and_its_dependencies_are_provided_by_debian_with_the_chain_verified() {
    let out = inputs(&[]);
    assert_ok(&out);
    let inputs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inputs.len(), CRATES.len(), "{inputs:#?}");
    for ((name, version, package, package_version), input) in CRATES.iter().zip(&inputs) {
        assert_eq!(input["name"], *name);
        assert_eq!(input["version"], *version);
        assert_eq!(input["purl"], format!("pkg:cargo/{name}@{version}"));
        assert_eq!(input["match"]["status"], "match", "{input:#}");
        assert_eq!(input["provided"], format!("{REGISTRY}/{name}-{version}"));
        let d = &input["distribution"];
        assert_eq!(
            d["purl"],
            format!("pkg:deb/debian/{package}@{package_version}?arch=amd64&distro=debian-12")
        );
        // The oracle: the .deb's own digest, and the released InRelease's.
        let deb = flate2_debs().join(format!("{package}_{package_version}_amd64.deb"));
        let deb_sha256 = sha256_of(&deb);
        assert_eq!(d["deb"], format!("sha256:{deb_sha256}"));
        assert_eq!(input["observed"], format!("sha256:{deb_sha256}"));
        assert_eq!(
            d["release"],
            format!("sha256:{}", sha256_of(Path::new(BOOKWORM)))
        );
        assert_eq!(d["path"], format!("{REGISTRY}/{name}-{version}"));
    }
    let flate2 = &inputs[3];
    assert!(
        flate2["critical"][0]
            .as_str()
            .unwrap()
            .starts_with("compression:"),
        "{flate2:#}"
    );
    assert_eq!(flate2["dependencies"][0], "pkg:cargo/crc32fast@1.3.2");
    let d = &flate2["distribution"];
    assert_eq!(d["sourceName"], "rust-flate2");
    assert_eq!(d["sourceVersion"], "1.0.25-1");
    // Debian's patches, as its series file names them.
    let series = fs::read_to_string(format!("/{FLATE2}/debian/patches/series")).unwrap();
    let named: Vec<&str> = series.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        d["patches"],
        serde_json::json!(named),
        "Debian's flate2 carries patches"
    );
    assert_eq!(named.len(), 3);
    // The signer is a key of Debian's archive keyring (gpg's reading).
    let keys = Command::new("gpg")
        .args(["--batch", "--with-colons", "--show-keys"])
        .arg("/usr/share/keyrings/debian-archive-keyring.gpg")
        .env("GNUPGHOME", tempdir().path())
        .output()
        .unwrap();
    assert_ok(&keys);
    let signer = d["signer"].as_str().unwrap();
    assert!(
        String::from_utf8_lossy(&keys.stdout)
            .lines()
            .any(|l| l.starts_with("fpr:") && l.contains(&format!(":{signer}:"))),
        "{signer} is not in Debian's keyring"
    );
    // The SBOM of the directory reads the same chain.
    let out = vouch()
        .arg("sbom")
        .arg(flate2_project())
        .args(["--format", "cyclonedx", "--debs"])
        .arg(flate2_debs())
        .output()
        .unwrap();
    assert_ok(&out);
}

/// `vouch attest PROJECT --image IMAGE --key ci.key --debs DEBS EXTRA...`
/// in `f`.
fn attest(f: &Fixture, extra: &[&str]) -> Output {
    attest_in(f, flate2_project(), extra)
}

/// `vouch attest` of `project`, as [`attest`].
fn attest_in(f: &Fixture, project: &Path, extra: &[&str]) -> Output {
    let debs = flate2_debs().display().to_string();
    let mut args = vec![
        "attest",
        project.to_str().unwrap(),
        "--image",
        &f.image,
        "--key",
        "ci.key",
        "--debs",
        &debs,
    ];
    args.extend_from_slice(extra);
    f.run(args)
}

#[test]
fn attest_records_the_verified_inputs_and_refuses_an_edited_one() {
    let f = Fixture::new()
        .with_key("ci")
        .with_registry(Registry::plain())
        .with_registry_image("team/unbundled", "v1");
    // Verified: attested (a mismatch would be refused without
    // --allow-mismatch), the provenance attached.
    assert_ok(&attest(&f, &[]));
    let tree = f.tree(&f.image, &[]);
    assert!(
        tree["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["predicateType"] == "https://slsa.dev/provenance/v1"),
        "{tree:#}"
    );
    // The demo's policy (vendoredInputs.requireMatch, critical inputs must
    // match) for this registry's images: allowed.
    let policy = common::demo_policy().replace("glob: \"oci:**\"", "glob: \"**\"");
    fs::write(f.dir().join("policy.yaml"), policy).unwrap();
    let (out, _) = f.verify("policy.yaml");
    assert_ok(&out);
    // An edited installed file: refused, naming it.
    let edited = edited_root(|root| flip_byte(&root.join(FLATE2).join("src/lib.rs")));
    let onto = project_onto(edited.path());
    let distro = edited.path().to_str().unwrap();
    let out = attest_in(&f, onto.path(), &["--distro-root", distro]);
    assert_fails_with(
        &out,
        &format!("{FLATE2}/src/lib.rs differs from librust-flate2-dev 1.0.25-1's .deb"),
    );
    // Attested anyway onto another image, the mismatch is recorded, and
    // the policy denies it.
    let f = f.with_registry_image("team/unbundled", "edited");
    let out = attest_in(
        &f,
        onto.path(),
        &["--distro-root", distro, "--allow-mismatch"],
    );
    assert_ok(&out);
    let (out, verdict) = f.verify("policy.yaml");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = verdict.to_string();
    assert!(
        text.contains("critical input flate2 does not match its declaration"),
        "{verdict:#}"
    );
}

/// A distribution root holding copies of the installed crates and of
/// dpkg's records of them (status, file lists, md5sums), edited by `edit`.
fn edited_root(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempdir();
    let root = dir.path();
    let registry = root.join("usr/share/cargo/registry");
    let info = root.join("var/lib/dpkg/info");
    fs::create_dir_all(&registry).unwrap();
    fs::create_dir_all(&info).unwrap();
    for (name, version, _, _) in CRATES {
        let out = Command::new("cp")
            .arg("-a")
            .arg(format!("{REGISTRY}/{name}-{version}"))
            .arg(&registry)
            .output()
            .unwrap();
        assert_ok(&out);
    }
    fs::copy("/var/lib/dpkg/status", root.join("var/lib/dpkg/status")).unwrap();
    for entry in fs::read_dir("/var/lib/dpkg/info").unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if CRATES
            .iter()
            .any(|(_, _, package, _)| name.starts_with(&format!("{package}:")))
        {
            fs::copy(entry.path(), info.join(&name)).unwrap();
        }
    }
    edit(root);
    dir
}

/// `vouch inputs` of the project patched onto the distribution root
/// `root`, with that root.
fn inputs_under(root: &Path) -> Output {
    let onto = project_onto(root);
    inputs_in(onto.path(), &["--distro-root", root.to_str().unwrap()])
}

#[test]
fn regression_issue_16_a_patch_outside_the_distribution_root_is_not_vouched_for() {
    // The project builds from the machine's crates; the chain is asked of
    // an untouched copy elsewhere. The copy must not vouch for the files
    // the build reads.
    let copy = edited_root(|_| {});
    assert_ok(&inputs_under(copy.path()));
    assert_fails_with(
        &inputs(&["--distro-root", copy.path().to_str().unwrap()]),
        &format!(
            "chain of custody of {REGISTRY}/flate2-1.0.25: not under the distribution root {}",
            copy.path().display()
        ),
    );
}

#[test]
fn regression_issue_16_one_byte_changed_in_the_installed_tree_is_named() {
    // The untouched copy verifies: the control.
    let copy = edited_root(|_| {});
    assert_ok(&inputs_under(copy.path()));
    let edited = edited_root(|root| flip_byte(&root.join(FLATE2).join("src/lib.rs")));
    let out = inputs_under(edited.path());
    assert_fails_with(
        &out,
        &format!(
            "flate2 1.0.25 (cargo): chain of custody of {REGISTRY}/flate2-1.0.25: \
             {FLATE2}/src/lib.rs differs from librust-flate2-dev 1.0.25-1's .deb"
        ),
    );
    let inputs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(inputs[3]["distribution"].is_null(), "{:#}", inputs[3]);
    assert_eq!(inputs[3]["match"]["status"], "mismatch");
    // The other crates still verify.
    assert_eq!(inputs[2]["match"]["status"], "match");
}

#[test]
fn regression_issue_16_dpkg_md5sums_edited_to_match_do_not_hide_an_edit() {
    let edited = edited_root(|root| {
        let file = root.join(FLATE2).join("src/lib.rs");
        flip_byte(&file);
        // dpkg's record rewritten to the edited file's MD5, as `debsums`
        // would then report nothing.
        let md5 = Command::new("md5sum").arg(&file).output().unwrap();
        let md5 = String::from_utf8_lossy(&md5.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        let list = root.join("var/lib/dpkg/info/librust-flate2-dev:amd64.md5sums");
        let text = fs::read_to_string(&list).unwrap();
        let line = format!("  {FLATE2}/src/lib.rs\n");
        let edited: String = text
            .lines()
            .map(|l| {
                if format!("{}\n", &l[32..]) == line {
                    format!("{md5}{line}")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        assert_ne!(edited, text);
        fs::write(&list, edited).unwrap();
    });
    assert_fails_with(
        &inputs_under(edited.path()),
        &format!("{FLATE2}/src/lib.rs differs from librust-flate2-dev 1.0.25-1's .deb"),
    );
    // dpkg's record edited alone: its disagreement with the .deb is named.
    let edited = edited_root(|root| {
        let list = root.join("var/lib/dpkg/info/librust-flate2-dev:amd64.md5sums");
        let text = fs::read_to_string(&list).unwrap();
        let line = format!("  {FLATE2}/src/lib.rs");
        let start = text.find(&line).unwrap() - 32;
        let mut bytes = text.into_bytes();
        bytes[start] = if bytes[start] == b'0' { b'1' } else { b'0' };
        fs::write(&list, bytes).unwrap();
    });
    assert_fails_with(
        &inputs_under(edited.path()),
        &format!("dpkg's md5sums for {FLATE2}/src/lib.rs disagree with the .deb's"),
    );
}

#[test]
fn regression_issue_16_a_symbolic_link_in_the_installed_tree_is_not_followed() {
    // A file replaced by a link to identical content outside the tree.
    let edited = edited_root(|root| {
        let file = root.join(FLATE2).join("src/lib.rs");
        let outside = root.join("lib.rs");
        fs::rename(&file, &outside).unwrap();
        std::os::unix::fs::symlink(&outside, &file).unwrap();
    });
    assert_fails_with(
        &inputs_under(edited.path()),
        &format!("{FLATE2}/src/lib.rs is not a regular file"),
    );
    // The crate's directory itself a link to the real, untouched one.
    let edited = edited_root(|root| {
        let dir = root.join(FLATE2);
        fs::remove_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(format!("/{FLATE2}"), &dir).unwrap();
    });
    assert_fails_with(
        &inputs_under(edited.path()),
        "flate2-1.0.25 is not a directory (a symbolic link is not followed)",
    );
    // A file the .deb does not install, added.
    let edited = edited_root(|root| {
        fs::write(root.join(FLATE2).join("build.rs"), "fn main() {}\n").unwrap();
    });
    assert_fails_with(
        &inputs_under(edited.path()),
        &format!("{FLATE2}/build.rs is not in librust-flate2-dev 1.0.25-1's .deb"),
    );
}

#[test]
fn a_directory_no_installed_package_owns_is_not_provided() {
    let edited = edited_root(|root| {
        fs::remove_file(root.join("var/lib/dpkg/info/librust-flate2-dev:amd64.list")).unwrap();
    });
    assert_fails_with(
        &inputs_under(edited.path()),
        "chain of custody of /usr/share/cargo/registry/flate2-1.0.25: no installed package owns \
         the directory",
    );
}

#[test]
fn an_in_release_signed_by_another_key_is_refused_naming_it() {
    let other = root().join("testdata/apt/other-keyring.gpg");
    let out = inputs(&["--keyring", other.to_str().unwrap()]);
    assert_fails_with(
        &out,
        "librust-flate2-dev 1.0.25-1 (amd64) is in no index of a release the keyring verifies",
    );
    assert_fails_with(
        &out,
        &format!("{BOOKWORM} refused: signature in {BOOKWORM} refused"),
    );
}

#[test]
fn a_deb_whose_bytes_differ_is_named_and_a_missing_one_too() {
    let dir = tempdir();
    let deb = dir.path().join("librust-flate2-dev_1.0.25-1_amd64.deb");
    fs::copy(
        flate2_debs().join("librust-flate2-dev_1.0.25-1_amd64.deb"),
        &deb,
    )
    .unwrap();
    let mut bytes = fs::read(&deb).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&deb, bytes).unwrap();
    let debs_arg = ["--debs", dir.path().to_str().unwrap()];
    let out = inputs(&debs_arg);
    assert_fails_with(
        &out,
        &format!(
            "digest mismatch in {}: the index lists librust-flate2-dev 1.0.25-1 as sha256:",
            deb.display()
        ),
    );
    // No .deb of the others there: each named.
    assert_fails_with(
        &out,
        &format!(
            "no .deb of librust-adler-dev 1.0.2-2 in {}",
            dir.path().display()
        ),
    );
}

#[test]
fn regression_issue_16_a_project_without_provided_inputs_reads_no_apt_file() {
    // The demo project: nothing provided, so none of the (missing) apt
    // files is read and the output is what it was.
    let demo = root().join("testdata/projects/demo-service");
    let plain = vouch()
        .arg("inputs")
        .arg(&demo)
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert_ok(&plain);
    let missing = vouch()
        .arg("inputs")
        .arg(&demo)
        .args([
            "--output",
            "json",
            "--keyring",
            "/nonexistent/keyring.gpg",
            "--apt-lists",
            "/nonexistent/lists",
            "--distro-root",
            "/nonexistent",
        ])
        .output()
        .unwrap();
    assert_ok(&missing);
    assert_eq!(plain.stdout, missing.stdout);
    // A provided project with an unreadable keyring is an error, not a pass.
    assert_fails_with(
        &inputs(&["--keyring", "/nonexistent/keyring.gpg"]),
        "cannot open keyring /nonexistent/keyring.gpg",
    );
}

#[test]
fn unbundle_reports_the_swapped_crates_as_provided_with_their_chain() {
    let run = |project: &Path, extra: &[&str]| {
        vouch()
            .arg("unbundle")
            .arg(project)
            .args(["--distro", "debian", "--output", "json", "--debs"])
            .arg(flate2_debs())
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(flate2_project(), &[]);
    assert_ok(&out);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let flate2 = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "flate2")
        .unwrap_or_else(|| panic!("{plan:#}"));
    assert_eq!(flate2["action"], "provided", "{flate2:#}");
    assert_eq!(flate2["package"], "librust-flate2-dev");
    assert_eq!(flate2["packageVersion"], "1.0.25-1");
    assert!(
        flate2["reason"]
            .as_str()
            .unwrap()
            .ends_with("chain of custody verified"),
        "{flate2:#}"
    );
    // An edited installed file: not provided, kept, its chain's break named.
    let edited = edited_root(|root| flip_byte(&root.join(FLATE2).join("src/lib.rs")));
    let onto = project_onto(edited.path());
    let out = run(
        onto.path(),
        &["--distro-root", edited.path().to_str().unwrap()],
    );
    assert_ok(&out);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let flate2 = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "flate2")
        .unwrap();
    assert_eq!(flate2["action"], "keep", "{flate2:#}");
    let reason = flate2["reason"].as_str().unwrap();
    assert!(
        reason.contains("which is not provided: chain of custody of")
            && reason.contains(&format!("{FLATE2}/src/lib.rs differs")),
        "{reason}"
    );
}
