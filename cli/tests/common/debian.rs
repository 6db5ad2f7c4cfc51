//! The real Debian test image and its oracle.
//!
//! [`image`] builds it with scripts/debian-test-image.sh (mmdebstrap from
//! Debian's archive, umoci; see the script for what each layer holds) once
//! per test run: it is cached under `target/debian-test-image/<hash of the
//! script>/`, built by one test while the others wait (a `OnceLock` in
//! this process, an flock across processes), and rebuilt only when the
//! script changes. [`installed`] asks Debian's own `dpkg-query` what the
//! image has installed: what vouch's scan of its layers must list.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::registry::Registry;
use super::{assert_ok, root, Fixture};

/// The layout tag of the one-layer base image.
pub const BASE_TAG: &str = "base";
/// The layout tag of the two-layer image (base, then `less` installed and
/// `sensible-utils` purged).
pub const TAG: &str = "debian";

/// A built Debian test image (see scripts/debian-test-image.sh).
pub struct DebianImage {
    dir: PathBuf,
}

impl DebianImage {
    /// The OCI image layout holding [`BASE_TAG`] and [`TAG`].
    pub fn layout(&self) -> PathBuf {
        self.dir.join("oci")
    }

    /// `oci:LAYOUT:tag`.
    pub fn reference(&self, tag: &str) -> String {
        format!("oci:{}:{tag}", self.layout().display())
    }

    /// Pushes [`TAG`] to `registry` as `debian:bookworm` with `vouch copy`
    /// (digests kept); returns that reference.
    pub fn push(&self, registry: &Registry) -> String {
        let dst = registry.reference("debian", "bookworm");
        let out = Fixture::new().run(["copy", &self.reference(TAG), &dst]);
        assert_ok(&out);
        dst
    }

    /// The final image's `var/lib/dpkg` (the dpkg admin directory).
    pub fn admindir(&self) -> PathBuf {
        self.dir.join("dpkg")
    }

    /// The final image's `/usr/lib/os-release`.
    pub fn os_release(&self) -> String {
        fs::read_to_string(self.dir.join("os-release")).unwrap()
    }
}

/// The Debian test image, built on first use (about a minute; it needs
/// root and Debian's archive through apt: the script says which failed).
pub fn image() -> &'static DebianImage {
    static IMAGE: OnceLock<DebianImage> = OnceLock::new();
    IMAGE.get_or_init(build)
}

fn build() -> DebianImage {
    let script = root().join("scripts/debian-test-image.sh");
    let hash = vouch_evidence::digest::sha256(&fs::read(&script).unwrap()).hex();
    let cache = root().join("target/debian-test-image");
    let dir = cache.join(&hash[..16]);
    fs::create_dir_all(&cache).unwrap();
    // Another test process may be building it: wait for its lock.
    let lock = fs::File::create(cache.join(".lock")).unwrap();
    lock.lock().unwrap();
    if !dir.join("seconds").exists() {
        let out = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "scripts/debian-test-image.sh failed ({}): it needs root, mmdebstrap, umoci, zstd and jq \
             (scripts/install-oracles.sh) and Debian's archive through apt\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    DebianImage { dir }
}

/// One package of a dpkg database, as `dpkg-query` reads it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DpkgPackage {
    /// `Package` (the binary package name, without `:arch`).
    pub name: String,
    /// `Version`.
    pub version: String,
    /// `Architecture` (`amd64`, `all`).
    pub architecture: String,
    /// The source package's name (`Source:`, else the binary name).
    pub source: String,
    /// The source package's version (from `Source: name (version)`, else
    /// the binary version).
    pub source_version: String,
    /// `Maintainer`.
    pub maintainer: String,
    /// The dpkg status (`installed`, `config-files`, `half-installed`, ...).
    pub status: String,
}

/// Every package of the dpkg database in `admindir`, by `dpkg-query -W`,
/// sorted by name.
pub fn dpkg_query(admindir: &Path) -> Vec<DpkgPackage> {
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .arg("-W")
        .arg(
            "-f=${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\
             \\t${Maintainer}\\t${db:Status-Status}\\n",
        )
        .stdin(Stdio::null())
        .output()
        .expect("cannot run dpkg-query");
    assert!(
        out.status.success(),
        "dpkg-query --admindir={} failed: {}",
        admindir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut packages: Vec<DpkgPackage> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, version, architecture, source, source_version, maintainer, status] =
                fields[..]
            else {
                panic!("unexpected dpkg-query line {line:?}")
            };
            DpkgPackage {
                name: name.into(),
                version: version.into(),
                architecture: architecture.into(),
                source: source.into(),
                source_version: source_version.into(),
                maintainer: maintainer.into(),
                status: status.into(),
            }
        })
        .collect();
    packages.sort();
    packages
}

/// The packages installed in the dpkg database in `admindir` (status
/// `installed`), sorted by name: what a scan of the image must list.
pub fn installed(admindir: &Path) -> Vec<DpkgPackage> {
    let mut packages = dpkg_query(admindir);
    packages.retain(|p| p.status == "installed");
    packages
}
