//! Hand-built evidence for the tests of the crates that read it (feature
//! `fixtures`, enabled by their dev-dependencies only): one place that
//! knows how to make a record, so that a test says only what it is about.
#![allow(clippy::expect_used)] // test fixtures: a bad constant is a test bug

#[cfg(feature = "fixtures")]
pub mod sigstore;

use crate::input::{os_purl, Digest, Distribution, InputRecord, Match, Purl};

/// The fingerprint of Debian 12's archive signing key, as a release's
/// signer.
pub const DEBIAN_12_SIGNER: &str = "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8";

/// The purl of Debian 12's build of `package` `version` (`arch=all`), as
/// `vouch attest` records a swapped input's distribution package.
pub fn debian_12(package: &str, version: &str) -> Purl {
    os_purl(
        "deb",
        "debian",
        Some("debian-12"),
        package,
        version,
        Some("all"),
    )
    .expect("a valid deb purl")
}

/// The distribution identity of the package `purl` (any distribution),
/// built from source `source_name` at the package's version, with
/// `patches`: made-up digests (`.deb` `sha256:cd…`, `Packages`
/// `sha256:ef…`, `InRelease` `sha256:12…`), [`DEBIAN_12_SIGNER`], released
/// 2028-01-01 (the clock of the test archive), installed at
/// `/usr/share/cargo/registry/<source name>`.
pub fn distribution(purl: Purl, source_name: &str, patches: &[&str]) -> Distribution {
    let sha = |b: &str| Digest::new("sha256", b.repeat(32)).expect("a SHA-256 hex digest");
    let version = purl.package_url().version().unwrap_or_default().to_string();
    // Where Debian installs crate `C` `V` from source `rust-C`.
    let path = format!(
        "/usr/share/cargo/registry/{}-{}",
        source_name.strip_prefix("rust-").unwrap_or(source_name),
        version.split(['-', '~']).next().unwrap_or_default()
    );
    Distribution {
        source_name: source_name.into(),
        source_version: version,
        deb: sha("cd"),
        packages: sha("ef"),
        release: sha("12"),
        release_date: "2028-01-01T00:00:00Z".into(),
        signer: DEBIAN_12_SIGNER.into(),
        patches: patches.iter().map(|p| p.to_string()).collect(),
        path,
        purl,
    }
}

/// A critical crates.io input `name` `version` as `vouch attest` records
/// a vendored crate that matches its lockfile (no digests, no path): set
/// its `distribution` to make it an unbundled one.
pub fn cargo_input(name: &str, version: &str) -> InputRecord {
    InputRecord {
        name: name.into(),
        ecosystem: "cargo".into(),
        version: Some(version.into()),
        purl: Some(Purl::build("cargo", None, name, Some(version), &[]).expect("a cargo purl")),
        origin: Some("registry+https://github.com/rust-lang/crates.io-index".into()),
        declared: None,
        observed: Vec::new(),
        status: Some(Match::Match),
        path: None,
        license: None,
        cpe: None,
        categories: Vec::new(),
        patches: Vec::new(),
        critical: true,
        critical_reasons: vec!["compression: a parser of untrusted data".into()],
        os: None,
        distribution: None,
    }
}
