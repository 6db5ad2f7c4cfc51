//! scripts/image.sh: vouch's own release image, built offline from
//! Debian's packages (issue 19). Two builds of one commit give one digest;
//! the image holds exactly the packages its lock names, each recorded as
//! distroless images record them, runs as a non-root user, and its binary
//! is the release binary of this commit; a lock whose package changed
//! stops the build.

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::{assert_ok, release, root, tempdir, vouch};
use serde_json::Value;

/// A blob of `layout`, by its `sha256:<hex>` digest.
fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    fs::read(
        layout
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap()
}

fn json_blob(layout: &Path, digest: &str) -> Value {
    serde_json::from_slice(&blob(layout, digest)).unwrap()
}

/// The lock's `name version` pairs (without comments).
fn locked(lock: &Path) -> BTreeSet<(String, String)> {
    fs::read_to_string(lock)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 4, "lock line {l:?}");
            assert_eq!(f[3].len(), 64, "lock line {l:?}");
            (f[0].to_string(), f[1].to_string())
        })
        .collect()
}

/// The image's one layer, unpacked into a fresh directory (GNU tar, as
/// root: owners and modes as the layer says).
fn unpack(layout: &Path, manifest: &Value) -> tempfile::TempDir {
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1, "one layer: {manifest}");
    assert_eq!(
        layers[0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    let digest = layers[0]["digest"].as_str().unwrap();
    let dir = tempdir();
    let out = Command::new("tar")
        .arg("--extract")
        .arg("--gzip")
        .arg("--same-owner")
        .arg("--file")
        .arg(layout.join("blobs/sha256").join(&digest[7..]))
        .arg("--directory")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_ok(&out);
    dir
}

#[test]
fn image_builds_twice_to_the_same_digest_issue_19() {
    let first = release::image();
    // The second build pins the first one's packages, .deb digests included.
    let tmp = tempdir();
    let second = tmp.path().join("image");
    let out = release::build(&second, &["--lock", first.lock().to_str().unwrap()]);
    assert_ok(&out);
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed.trim().ends_with(&first.digest),
        "second build {printed} != {}",
        first.digest
    );
    // Not just the digest: the same files, byte for byte.
    for file in ["index.json", "oci-layout"] {
        assert_eq!(
            fs::read(first.layout().join(file)).unwrap(),
            fs::read(second.join(file)).unwrap(),
            "{file}"
        );
    }
    let blobs = |dir: &Path| -> BTreeSet<String> {
        fs::read_dir(dir.join("blobs/sha256"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
    };
    assert_eq!(blobs(&first.layout()), blobs(&second));
    assert_eq!(blobs(&second).len(), 3, "manifest, config, one layer");
    assert_eq!(
        fs::read(first.lock()).unwrap(),
        fs::read(tmp.path().join("image.lock")).unwrap()
    );
}

#[test]
fn image_holds_its_lock_runs_as_non_root_and_names_its_commit() {
    let image = release::image();
    let layout = image.layout();
    let index: Value =
        serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["annotations"]["org.opencontainers.image.ref.name"],
        image.tag.as_str()
    );
    assert_eq!(entries[0]["digest"], image.digest.as_str());
    let manifest = json_blob(&layout, &image.digest);
    let commit = common::git_head();
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.revision"],
        commit.as_str()
    );
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.version"],
        image.tag.as_str()
    );
    let config = json_blob(&layout, manifest["config"]["digest"].as_str().unwrap());
    assert_eq!(config["os"], "linux");
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["vouch"]));
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 1);

    // The packages: exactly the lock's, as vouch's own scan lists them.
    let out = vouch()
        .args(["sbom", "--format", "cyclonedx", &image.reference()])
        .output()
        .unwrap();
    assert_ok(&out);
    let sbom: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: BTreeSet<(String, String)> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let lock = locked(&image.lock());
    assert_eq!(listed, lock);
    for name in [
        "libc6",
        "libgcc-s1",
        "ca-certificates",
        "base-files",
        "vouch",
    ] {
        assert!(lock.iter().any(|(n, _)| n == name), "{name} in {lock:?}");
    }
    // Nothing else: no shell, no package manager.
    for name in [
        "dpkg",
        "apt",
        "bash",
        "dash",
        "coreutils",
        "openssl",
        "perl-base",
    ] {
        assert!(!lock.iter().any(|(n, _)| n == name), "{name} in {lock:?}");
    }

    let rootfs = unpack(&layout, &manifest);
    let root_dir = rootfs.path();
    for absent in [
        "bin/sh",
        "usr/bin/dpkg",
        "etc/apt",
        "var/lib/apt",
        "etc/resolv.conf",
    ] {
        assert!(
            fs::symlink_metadata(root_dir.join(absent)).is_err(),
            "{absent} is in the image"
        );
    }
    // Every file a package's md5sums names is there, with that digest
    // (md5sum -c, from the root: the paths are relative to it).
    let status_d = root_dir.join("var/lib/dpkg/status.d");
    let mut checked = 0;
    for entry in fs::read_dir(&status_d).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md5sums") {
            let out = Command::new("md5sum")
                .args(["--check", "--quiet", "--strict"])
                .arg(&path)
                .current_dir(root_dir)
                .output()
                .unwrap();
            assert_ok(&out);
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked} md5sums files");
    // The CA bundle that ca-certificates' maintainer script would write.
    let bundle = fs::read_to_string(root_dir.join("etc/ssl/certs/ca-certificates.crt")).unwrap();
    assert!(bundle.matches("BEGIN CERTIFICATE").count() > 100);

    // The binary is the release binary, and runs in the image as its user,
    // naming this commit.
    assert_eq!(
        fs::read(root_dir.join("usr/bin/vouch")).unwrap(),
        fs::read(common::release_vouch()).unwrap()
    );
    let out = Command::new("chroot")
        .arg("--userspec=65532:65532")
        .arg(root_dir)
        .args(["vouch", "--version"])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .unwrap();
    assert_ok(&out);
    let version = String::from_utf8(out.stdout).unwrap();
    assert!(
        version.starts_with(&format!("vouch {} ", image.tag)),
        "{version}"
    );
    assert!(version.contains(&commit), "{version}");
}

#[test]
fn image_lock_refuses_a_changed_package_issue_19() {
    let image = release::image();
    let tmp = tempdir();
    // libc6's .deb digest is not the one locked: apt fetches the locked
    // version, its bytes differ, and the build stops naming the package.
    let text = fs::read_to_string(image.lock()).unwrap();
    let forged: String = text
        .lines()
        .map(|l| {
            if l.starts_with("libc6 ") {
                let (rest, _sha) = l.rsplit_once(' ').unwrap();
                format!("{rest} {}\n", "0".repeat(64))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_ne!(forged, text);
    let lock = tmp.path().join("forged.lock");
    fs::write(&lock, forged).unwrap();
    let out_dir = tmp.path().join("image");
    let out = release::build(&out_dir, &["--lock", lock.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("image.sh: error: the packages differ"),
        "{stderr}"
    );
    assert!(stderr.contains("libc6"), "{stderr}");
    // Nothing written: no layout, no lock, no scratch directory.
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["forged.lock"]);
}

#[test]
fn containerfile_builds_what_image_sh_builds() {
    // The Containerfile (for builders with a network) cannot run here (no
    // container engine, no Docker Hub): it must at least agree with
    // scripts/image.sh on what the image is.
    let text = fs::read_to_string(root().join("Containerfile")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "a build stage and a runtime stage");
    assert!(lines.contains(&"USER 65532:65532"));
    assert!(lines.contains(&r#"ENTRYPOINT ["vouch"]"#));
    assert!(lines
        .iter()
        .any(|l| l.contains("cargo build --release --locked -p vouch-cli")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("COPY --from=build") && l.ends_with("/usr/bin/vouch")));
}
