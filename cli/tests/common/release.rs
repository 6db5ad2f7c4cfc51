//! vouch's own release image, as scripts/image.sh builds it.
//!
//! [`image`] builds it once per test run from the release binary
//! ([`super::release_vouch`], packaged by scripts/package-deb.sh), into a
//! directory that lives as long as the test process: the image, signing
//! and admission tests share it. [`build`] runs the script again, for the
//! tests that compare two builds or refuse one.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use super::registry::Registry;
use super::{assert_ok, release_vouch, root, tempdir, Fixture};

/// A built release image: the layout `DIR/image`, its lock `DIR/image.lock`.
pub struct ReleaseImage {
    dir: tempfile::TempDir,
    /// The tag the script gave it (the workspace version).
    pub tag: String,
    /// The manifest digest the script printed.
    pub digest: String,
}

impl ReleaseImage {
    /// The OCI image layout.
    pub fn layout(&self) -> PathBuf {
        self.dir.path().join("image")
    }

    /// `DIR.lock`: each package's name, version, architecture and the
    /// SHA-256 of its .deb.
    pub fn lock(&self) -> PathBuf {
        self.dir.path().join("image.lock")
    }

    /// `oci:LAYOUT:TAG`.
    pub fn reference(&self) -> String {
        format!("oci:{}:{}", self.layout().display(), self.tag)
    }

    /// Pushes the image to `registry` as `vouch:TAG` with `vouch copy`
    /// (digests kept, with whatever evidence the layout holds); returns
    /// that reference.
    pub fn push(&self, registry: &Registry) -> String {
        let dst = registry.reference("vouch", &self.tag);
        assert_ok(&Fixture::new().run(["copy", &self.reference(), &dst]));
        dst
    }
}

/// `bash scripts/image.sh --out OUT --binary RELEASE ARGS...`.
pub fn build(out: &Path, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(root().join("scripts/image.sh"))
        .arg("--out")
        .arg(out)
        .arg("--binary")
        .arg(release_vouch())
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The release image, built on first use (about half a minute: it needs
/// root and Debian's archive through apt; the script says which failed).
pub fn image() -> &'static ReleaseImage {
    static IMAGE: OnceLock<ReleaseImage> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let dir = tempdir();
        let out = build(&dir.path().join("image"), &[]);
        assert_ok(&out);
        let printed = String::from_utf8(out.stdout).unwrap();
        let (reference, digest) = printed
            .trim()
            .split_once(' ')
            .unwrap_or_else(|| panic!("image.sh printed {printed:?}"));
        let tag = reference.rsplit(':').next().unwrap().to_string();
        assert!(digest.starts_with("sha256:"), "{printed}");
        assert!(fs::metadata(dir.path().join("image.lock")).is_ok());
        ReleaseImage {
            dir,
            tag,
            digest: digest.to_string(),
        }
    })
}
