//! `vouch unbundle` of Cargo projects: on a hermetic signed archive built
//! at test time (common/archive.rs) with an authored vendored project, and
//! on this machine's real Debian archive with a project vendored from
//! crates.io by `cargo vendor`.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::archive::{self, Archive, Package, Signer};
use crate::common::unbundle::{cargo, vendor_crate};
use crate::common::{assert_fails_with, assert_ok, root, stdout, tempdir, vouch};

/// The project's own Cargo config, with a comment `--write` must keep.
const CONFIG: &str = "# vendored by cargo vendor; keep this comment\n[source.crates-io]\n\
    replace-with = \"vendored-sources\"\n\n[source.vendored-sources]\ndirectory = \"vendor\"\n";

/// The authored project: an application depending on five vendored
/// crates, locked by Cargo itself (offline, from the vendor directory).
fn project(dir: &Path) {
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         foo = \"1.2\"\nbar = \"1\"\nbaz = \"1\"\nqux = \"0.3\"\n\
         feat = { version = \"1\", features = [\"fast\"] }\n",
    )
    .unwrap();
    fs::write(
        dir.join("src/main.rs"),
        "fn main() {\n    println!(\"{}\", foo::answer());\n}\n",
    )
    .unwrap();
    fs::create_dir_all(dir.join(".cargo")).unwrap();
    fs::write(dir.join(".cargo/config.toml"), CONFIG).unwrap();
    vendor_crate(dir, "foo", "1.2.3", "");
    vendor_crate(dir, "bar", "1.0.0", "");
    vendor_crate(dir, "baz", "1.0.0", "");
    vendor_crate(dir, "qux", "0.3.0", "");
    vendor_crate(dir, "feat", "1.0.0", "\n[features]\nfast = []\n");
    let out = cargo()
        .args(["generate-lockfile", "--offline"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_ok(&out);
}

/// A crate's Debian Cargo.toml.
fn manifest(name: &str, version: &str, extra: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n{extra}")
}

/// The hermetic archive: foo newer and compatible (with two patches), bar
/// only in an incompatible major, baz only in a release another key signed,
/// qux not installed, feat without the feature the project enables.
/// `foo_extra` goes into Debian's foo manifest.
fn hermetic(dir: &Path, foo_extra: &str) -> Archive {
    archive::builder(dir)
        .release(
            "deb.example.org_debian",
            "stable",
            Signer::Archive,
            vec![
                Package::rust_crate(
                    "foo",
                    "1.2.5",
                    &manifest("foo", "1.2.5", foo_extra),
                    &["fix-build.patch", "drop-unstable.patch"],
                ),
                Package::rust_crate("bar", "2.0.0", &manifest("bar", "2.0.0", ""), &[]),
                Package::rust_crate("qux", "0.3.1", &manifest("qux", "0.3.1", ""), &[])
                    .not_installed(),
                Package::rust_crate("feat", "1.0.0", &manifest("feat", "1.0.0", ""), &[]),
            ],
        )
        .release(
            "other.example.org_debian",
            "stable",
            Signer::Other,
            vec![Package::rust_crate(
                "baz",
                "1.0.0",
                &manifest("baz", "1.0.0", ""),
                &[],
            )],
        )
        .build()
}

/// `vouch unbundle DIR --distro debian --all` on `archive`, with `extra`.
fn unbundle(dir: &Path, archive: &Archive, extra: &[&str]) -> Output {
    vouch()
        .arg("unbundle")
        .arg(dir)
        .args(["--distro", "debian", "--all"])
        .args(archive.apt_args())
        .args(extra)
        .output()
        .unwrap()
}

/// The plan's step for `name`.
fn step<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step for {name}: {plan:#}"))
}

/// Asserts the plan keeps `name`, for a reason starting with `why`.
fn assert_kept(plan: &serde_json::Value, name: &str, why: &str) {
    let step = step(plan, name);
    assert_eq!(step["action"], "keep", "{step:#}");
    assert!(
        step["reason"].as_str().unwrap().starts_with(why),
        "{step:#}"
    );
}

/// The `[[package]]` entry of Cargo.lock for `name`, as text.
fn lock_entry(lock: &str, name: &str) -> String {
    let start = lock
        .find(&format!("[[package]]\nname = \"{name}\"\n"))
        .unwrap_or_else(|| panic!("{name} is not locked:\n{lock}"));
    lock[start..].split("\n\n").next().unwrap().to_string()
}

#[test]
fn the_plan_swaps_the_packaged_crate_and_says_why_it_keeps_the_others() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    project(&dir);
    let archive = hermetic(&tmp.path().join("archive"), "");
    let before = (
        fs::read(dir.join(".cargo/config.toml")).unwrap(),
        fs::read(dir.join("Cargo.lock")).unwrap(),
    );

    let out = unbundle(&dir, &archive, &["--output", "json"]);
    assert_ok(&out);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["distro"], "debian");
    let releases = plan["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 1, "{plan:#}");
    assert_eq!(releases[0]["signer"], archive.archive_key.as_str());
    // The release another key signed is refused, and said so.
    let refused = plan["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{plan:#}");
    assert!(
        refused[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("other.example.org_debian_dists_stable_InRelease"),
        "{plan:#}"
    );
    assert!(
        refused[0]["reason"]
            .as_str()
            .unwrap()
            .contains("no signature verifies under any of the keyring's 1 keys"),
        "{plan:#}"
    );

    let foo = step(&plan, "foo");
    assert_eq!(foo["action"], "swap", "{foo:#}");
    assert_eq!(foo["ecosystem"], "cargo");
    assert_eq!(foo["version"], "1.2.3");
    assert_eq!(foo["package"], "librust-foo-dev");
    assert_eq!(foo["packageVersion"], "1.2.5-1");
    assert_eq!(foo["delta"], "newer");
    assert_eq!(
        foo["patches"],
        serde_json::json!(["fix-build.patch", "drop-unstable.patch"])
    );
    assert_eq!(
        foo["target"]["dir"],
        archive
            .root
            .join("usr/share/cargo/registry/foo-1.2.5")
            .display()
            .to_string()
    );
    assert_eq!(foo["listed"]["index"], "main/binary-amd64/Packages");

    // Negative control: the same name in another major is not a swap.
    let bar = step(&plan, "bar");
    assert_eq!(
        (&bar["action"], &bar["delta"]),
        (&"keep".into(), &"incompatible".into())
    );
    // Only in the release the keyring does not vouch for: no candidate.
    assert_kept(&plan, "baz", "no package carries the crate");
    assert_kept(
        &plan,
        "qux",
        "not installed: apt-get install librust-qux-dev",
    );
    assert_kept(
        &plan,
        "feat",
        "feature(s) missing from librust-feat-dev: fast (enabled by the project's crates)",
    );
    assert_eq!(plan["summary"]["swap"], 1);
    assert_eq!(plan["summary"]["keep"], 4);

    // The table says the same, with the summary and the refused release.
    let out = unbundle(&dir, &archive, &[]);
    assert_ok(&out);
    let table = stdout(&out);
    let row = table.lines().find(|l| l.contains(" foo ")).unwrap();
    for word in [
        "cargo",
        "1.2.3",
        "swap",
        "librust-foo-dev 1.2.5-1",
        "newer",
        " 2 ",
    ] {
        assert!(row.contains(word), "{word:?} not in {row:?}");
    }
    assert!(
        table.contains("5 input(s) planned: 1 swappable, 4 kept, 0 already provided"),
        "{table}"
    );
    assert!(
        table.contains("kept, package not installed: 1 (qux 0.3.0)"),
        "{table}"
    );
    assert!(
        table.contains("kept, no semver-compatible version packaged: 1 (bar 1.0.0)"),
        "{table}"
    );
    assert!(
        table.contains("refused ")
            && table.contains("other.example.org_debian_dists_stable_InRelease"),
        "{table}"
    );

    // Read-only without --write.
    assert_eq!(fs::read(dir.join(".cargo/config.toml")).unwrap(), before.0);
    assert_eq!(fs::read(dir.join("Cargo.lock")).unwrap(), before.1);

    // Only the critical inputs without --all: none of these is.
    let out = vouch()
        .arg("unbundle")
        .arg(&dir)
        .args(["--distro", "debian", "--output", "json"])
        .args(archive.apt_args())
        .output()
        .unwrap();
    assert_ok(&out);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["steps"], serde_json::json!([]));
    // Debian is the one distribution known.
    let out = unbundle(&dir, &archive, &["--distro", "fedora"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn write_patches_the_config_cargo_locks_debians_crate_and_the_project_builds_offline() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    project(&dir);
    let archive = hermetic(&tmp.path().join("archive"), "");
    let out = unbundle(&dir, &archive, &["--write"]);
    assert_ok(&out);

    let config = fs::read_to_string(dir.join(".cargo/config.toml")).unwrap();
    assert!(
        config.starts_with(CONFIG),
        "the user's config was not kept:\n{config}"
    );
    let foo_dir = archive.root.join("usr/share/cargo/registry/foo-1.2.5");
    assert!(
        config.contains(&format!(
            "[patch.crates-io]\nfoo = {{ path = \"{}\" }}\n",
            foo_dir.display()
        )),
        "{config}"
    );
    let lock = fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    assert_eq!(
        lock_entry(&lock, "foo"),
        "[[package]]\nname = \"foo\"\nversion = \"1.2.5\""
    );
    // The kept crates stay vendored.
    assert!(
        lock_entry(&lock, "bar").contains("source = \"registry+"),
        "{lock}"
    );

    // The build takes Debian's foo (its answer is 42; the vendored one's 1).
    let out = cargo()
        .args(["run", "--offline", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", tmp.path().join("target"))
        .output()
        .unwrap();
    assert_ok(&out);
    assert_eq!(stdout(&out), "42\n");

    // Planned again: foo is no longer a vendored input; nothing to write.
    let out = unbundle(&dir, &archive, &["--write", "--output", "json"]);
    assert_ok(&out);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["summary"]["swap"], 0, "{plan:#}");
    // Provided, its chain of custody verified.
    let foo = step(&plan, "foo");
    assert_eq!(foo["action"], "provided", "{foo:#}");
    assert!(
        foo["reason"]
            .as_str()
            .unwrap()
            .ends_with("(librust-foo-dev 1.2.5-1), chain of custody verified"),
        "{foo:#}"
    );
    assert_eq!(fs::read_to_string(dir.join("Cargo.lock")).unwrap(), lock);
}

/// A crate the project already patches onto a directory outside it is
/// "already provided" only when that directory's chain of custody holds: a
/// patch onto any other directory (here a copy the project's author made)
/// is not the distribution's build, and the plan must not say it is.
#[test]
fn regression_issue_16_a_patch_onto_an_unverified_directory_is_not_provided() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    project(&dir);
    let archive = hermetic(&tmp.path().join("archive"), "");
    let evil = tmp.path().join("evil/foo-1.2.3");
    fs::create_dir_all(evil.join("src")).unwrap();
    fs::write(evil.join("Cargo.toml"), manifest("foo", "1.2.3", "")).unwrap();
    fs::write(
        evil.join("src/lib.rs"),
        "pub fn answer() -> u32 {\n    7\n}\n",
    )
    .unwrap();
    fs::write(
        dir.join(".cargo/config.toml"),
        format!(
            "{CONFIG}\n[patch.crates-io]\nfoo = {{ path = \"{}\" }}\n",
            evil.display()
        ),
    )
    .unwrap();
    assert_ok(
        &cargo()
            .args(["generate-lockfile", "--offline"])
            .current_dir(&dir)
            .output()
            .unwrap(),
    );
    let lock = fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    assert_eq!(
        lock_entry(&lock, "foo"),
        "[[package]]\nname = \"foo\"\nversion = \"1.2.3\"",
        "the patch is used"
    );
    let out = unbundle(&dir, &archive, &["--output", "json"]);
    assert_ok(&out);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let foo = step(&plan, "foo");
    assert_ne!(foo["action"], "provided", "{foo:#}");
    let reason = foo["reason"].as_str().unwrap();
    assert!(
        reason.contains("chain of custody") && reason.contains("not under the distribution root"),
        "{foo:#}"
    );
    assert_eq!(plan["summary"]["provided"], 0, "{plan:#}");
}

/// The verified index lists Debian's librust-foo-dev 1.2.5-1, but what is
/// installed is another build of it (1.2.5-1+local, from a repository the
/// keyring does not verify), in the same directory: the plan must weigh the
/// installed build, which is what the swap would use, and not swap onto it.
#[test]
fn regression_issue_16_cargo_does_not_swap_onto_a_build_no_verified_index_lists() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    project(&dir);
    let mut local = Package::rust_crate("foo", "1.2.5", &manifest("foo", "1.2.5", ""), &[]);
    local.version = "1.2.5-1+local".into();
    let archive = archive::builder(&tmp.path().join("archive"))
        .release(
            "deb.example.org_debian",
            "stable",
            Signer::Archive,
            vec![
                Package::rust_crate("foo", "1.2.5", &manifest("foo", "1.2.5", ""), &[])
                    .not_installed(),
            ],
        )
        .release(
            "other.example.org_debian",
            "stable",
            Signer::Other,
            vec![local],
        )
        .build();
    let out = unbundle(&dir, &archive, &["--output", "json"]);
    assert_ok(&out);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_kept(&plan, "foo", "librust-foo-dev 1.2.5-1+local is installed");
    assert_eq!(plan["summary"]["swap"], 0, "{plan:#}");
}

#[test]
fn a_write_cargo_refuses_leaves_the_config_and_the_lock_byte_identical() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    project(&dir);
    // Debian's foo needs a crate the project does not vendor: Cargo cannot
    // resolve the patched graph offline.
    let archive = hermetic(
        &tmp.path().join("archive"),
        "\n[dependencies]\nnot-vendored = \"1\"\n",
    );
    let (config, lock) = (
        fs::read(dir.join(".cargo/config.toml")).unwrap(),
        fs::read(dir.join("Cargo.lock")).unwrap(),
    );
    let out = unbundle(&dir, &archive, &["--write"]);
    // Cargo leaves a patch it cannot use unused, with a warning only: the
    // lock is checked after the update.
    assert_fails_with(
        &out,
        "crate foo: Cargo.lock does not lock Debian's 1.2.5 after the update",
    );
    assert_fails_with(&out, "and Cargo.lock are unchanged");
    assert_eq!(fs::read(dir.join(".cargo/config.toml")).unwrap(), config);
    assert_eq!(fs::read(dir.join("Cargo.lock")).unwrap(), lock);

    // Cargo itself failing half-way (injected: a wrapper that runs the real
    // Cargo but fails `cargo update`, after `cargo metadata` has re-locked):
    // both files are put back.
    let archive = hermetic(&tmp.path().join("archive2"), "");
    let wrapper = tmp.path().join("cargo-fails-update");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ \"$1\" = update ]; then echo 'error: injected failure' >&2; exit 101; fi\n\
             exec '{}' \"$@\"\n",
            std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
        ),
    )
    .unwrap();
    make_executable(&wrapper);
    let out = vouch()
        .arg("unbundle")
        .arg(&dir)
        .args(["--distro", "debian", "--all", "--write"])
        .args(archive.apt_args())
        .env("CARGO", &wrapper)
        .output()
        .unwrap();
    assert_fails_with(&out, "crate foo: Cargo could not lock Debian's 1.2.5");
    assert_fails_with(&out, "injected failure");
    assert_eq!(fs::read(dir.join(".cargo/config.toml")).unwrap(), config);
    assert_eq!(fs::read(dir.join("Cargo.lock")).unwrap(), lock);

    // An invalid config fails before anything is written.
    fs::write(dir.join(".cargo/config.toml"), "[source.crates-io\n").unwrap();
    let out = unbundle(&dir, &archive, &["--write"]);
    assert_fails_with(&out, "config.toml");
    assert_eq!(
        fs::read(dir.join(".cargo/config.toml")).unwrap(),
        b"[source.crates-io\n"
    );
    assert_eq!(fs::read(dir.join("Cargo.lock")).unwrap(), lock);
}

#[test]
fn write_refuses_a_project_without_a_vendored_source() {
    let tmp = tempdir();
    let dir = tmp.path().join("project");
    project(&dir);
    fs::remove_file(dir.join(".cargo/config.toml")).unwrap();
    let lock = fs::read(dir.join("Cargo.lock")).unwrap();
    let archive = hermetic(&tmp.path().join("archive"), "");
    let out = unbundle(&dir, &archive, &["--write"]);
    assert_fails_with(
        &out,
        "no .cargo/config.toml names a vendored directory source",
    );
    assert!(!dir.join(".cargo/config.toml").exists());
    assert_eq!(fs::read(dir.join("Cargo.lock")).unwrap(), lock);
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Whether Debian's package `name` is installed on this machine.
fn installed(name: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", name])
        .output()
        .is_ok_and(|o| o.stdout == b"install ok installed")
}

#[test]
fn real_debian_flate2_is_unbundled_and_the_project_builds_offline() {
    assert!(
        installed("librust-flate2-dev"),
        "librust-flate2-dev is not installed: run scripts/install-oracles.sh"
    );
    let tmp = tempdir();
    let dir = tmp.path();
    vendored_flate2_project(dir, "vendor");

    // The critical inputs (the shipped compression rule): flate2 and
    // miniz_oxide, both swapped onto the archive this machine verified.
    let out = vouch()
        .arg("unbundle")
        .arg(dir)
        .args(["--distro", "debian", "--output", "json"])
        .output()
        .unwrap();
    assert_ok(&out);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["flate2", "miniz_oxide"], "{plan:#}");
    let flate2 = step(&plan, "flate2");
    assert_eq!(flate2["action"], "swap", "{flate2:#}");
    assert_eq!(flate2["package"], "librust-flate2-dev");
    assert_eq!(flate2["delta"], "same");
    // Debian patches flate2 (zlib-ng and cloudflare zlib dropped).
    assert!(
        flate2["patches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "disable-zlib-ng.patch"),
        "{flate2:#}"
    );
    assert!(
        plan["releases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["codename"] == "bookworm" && r["origin"] == "Debian"),
        "{plan:#}"
    );

    // Every input, flate2's dependencies too, then written and built.
    let out = vouch()
        .arg("unbundle")
        .arg(dir)
        .args(["--distro", "debian", "--all", "--write", "--output", "json"])
        .output()
        .unwrap();
    assert_ok(&out);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for name in ["flate2", "miniz_oxide", "crc32fast", "adler", "cfg-if"] {
        assert_eq!(step(&plan, name)["action"], "swap", "{plan:#}");
    }
    let lock = fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    assert!(
        lock_entry(&lock, "flate2")
            .starts_with("[[package]]\nname = \"flate2\"\nversion = \"1.0.25\"\ndependencies"),
        "{lock}"
    );
    assert!(
        !lock.contains("source = "),
        "every crate is Debian's now:\n{lock}"
    );
    let out = cargo()
        .args(["run", "--offline", "--quiet"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_ok(&out);
    let compressed: usize = stdout(&out).trim().parse().unwrap();
    assert!(
        compressed > 18,
        "a gzip member is longer than its header and trailer"
    );
}

/// A project in `dir` depending on flate2 1.0.25 (Debian bookworm's),
/// locked and vendored from crates.io into `dir/<vendor>`.
fn vendored_flate2_project(dir: &Path, vendor: &str) {
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"gz\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         flate2 = \"1.0.25\"\n",
    )
    .unwrap();
    fs::write(
        dir.join("src/main.rs"),
        "use std::io::Write;\n\nfn main() {\n    let mut e = flate2::write::GzEncoder::new(\
         Vec::new(), flate2::Compression::default());\n    e.write_all(b\"vouch\").unwrap();\n    \
         println!(\"{}\", e.finish().unwrap().len());\n}\n",
    )
    .unwrap();
    // Locked at Debian bookworm's flate2, vendored from crates.io.
    let run = |args: &[&str]| {
        let out = cargo().args(args).current_dir(dir).output().unwrap();
        assert_ok(&out);
    };
    run(&["generate-lockfile", "--quiet"]);
    run(&[
        "update",
        "--quiet",
        "--package",
        "flate2",
        "--precise",
        "1.0.25",
    ]);
    run(&["vendor", "--locked", "--quiet", vendor]);
    fs::create_dir_all(dir.join(".cargo")).unwrap();
    fs::write(
        dir.join(".cargo/config.toml"),
        CONFIG.replace(
            "directory = \"vendor\"",
            &format!("directory = \"{vendor}\""),
        ),
    )
    .unwrap();
}

#[test]
fn regression_issue_16_write_swaps_one_ecosystem_at_a_time() {
    // A project with critical-free Go and Cargo inputs both swappable
    // (--all): the real flate2 crates and Debian's github.com/pkg/errors.
    let tmp = tempdir();
    let dir = tmp.path();
    vendored_flate2_project(dir, "crates");
    let go = root().join("testdata/projects/go-unbundle");
    let out = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", go.display()))
        .arg(dir)
        .output()
        .unwrap();
    assert_ok(&out);
    fs::remove_file(dir.join("SOURCE.md")).unwrap();
    let files = [
        "Cargo.lock",
        ".cargo/config.toml",
        "go.mod",
        "vendor/modules.txt",
    ];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap())
        .collect();
    let write = |extra: &[&str]| {
        vouch()
            .arg("unbundle")
            .arg(dir)
            .args(["--distro", "debian", "--all", "--write"])
            .args(extra)
            .output()
            .unwrap()
    };
    // Both at once: refused before anything is written (a failure in the
    // second writer would leave the first's swap behind).
    assert_fails_with(
        &write(&[]),
        "the plan swaps inputs of 2 ecosystems (cargo, go); --write swaps one at a time",
    );
    let after: Vec<Vec<u8>> = files
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap())
        .collect();
    assert_eq!(before, after, "nothing was written");
    // One at a time: each written.
    assert_ok(&write(&["--ecosystem", "go"]));
    assert!(fs::read_to_string(dir.join("go.mod"))
        .unwrap()
        .contains("=> /usr/share/gocode/src/github.com/pkg/errors"));
    assert_eq!(fs::read(dir.join("Cargo.lock")).unwrap(), before[0]);
    assert_ok(&write(&["--ecosystem", "cargo"]));
    assert!(!fs::read_to_string(dir.join("Cargo.lock"))
        .unwrap()
        .contains("source = "));
}
