//! The operating-system layer of an image: which packages its package
//! managers installed, read from their databases as the image's layers
//! leave them. Bytes in, packages out: the caller fetches the layers (from a
//! registry or an `oci:` layout); this crate does no I/O, so that it can be
//! fuzzed and tested from committed fixtures.
#![forbid(unsafe_code)]

pub mod apk;
pub mod dpkg;
pub mod layers;
pub mod os_release;
pub mod rpm;
pub mod scan;

/// The package manager whose database listed a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Manager {
    /// Debian and Ubuntu's dpkg (`var/lib/dpkg/status`, `status.d/*`).
    Dpkg,
    /// Alpine's, Wolfi's and Chainguard's apk (`lib/apk/db/installed`).
    Apk,
    /// RPM (Red Hat, SUSE, Rocky, AlmaLinux, ...): sqlite, NDB or BerkeleyDB.
    Rpm,
}

/// One installed package, as its package manager's database records it.
///
/// `version` is the full version in the manager's own syntax, the string
/// its version order compares: dpkg's `[epoch:]upstream[-revision]`, apk's
/// `1.2.3-r0`, RPM's `[epoch:]version-release`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Which database listed it.
    pub manager: Manager,
    /// The binary package's name (`zlib1g`).
    pub name: String,
    /// The binary package's version (`1:1.2.13.dfsg-1`).
    pub version: String,
    /// Its architecture (`amd64`, `x86_64`, `noarch`), where recorded.
    pub architecture: Option<String>,
    /// The source package it was built from (`zlib`): distributions publish
    /// their advisories by source package. Equal to `name` where the
    /// database names no other.
    pub source_name: String,
    /// The source package's version (`1:1.2.13.dfsg-1`); dpkg's may differ
    /// from the binary's (binNMUs, `Source: zlib (1:1.2.13.dfsg-1)`).
    pub source_version: String,
    /// Who maintains it (dpkg's `Maintainer`, apk's `m`, RPM's `Packager`).
    pub maintainer: Option<String>,
    /// Who built it (RPM's `Vendor`): tells a distribution's package from a
    /// third party's.
    pub vendor: Option<String>,
    /// Its licence as the database records it, where it does.
    pub license: Option<String>,
    /// The installed build's checksum as the database records it, in
    /// DigestSet notation: apk's `C:` (`Q1` and the base64 SHA-1 of the
    /// package's signed control section, `sha1:<hex>`), which names the
    /// exact package file apk installed. dpkg's status and vouch's RPM
    /// reading record none.
    pub checksum: Option<String>,
}

/// Everything that can go wrong reading an image's OS layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A package database (or os-release) is not what its format allows.
    #[error("malformed {what} in {path}: {why}")]
    Malformed {
        /// The format ("dpkg status", "RPM header", ...).
        what: &'static str,
        /// The path inside the image.
        path: String,
        /// Why, with the entry or offset where known.
        why: String,
    },
    /// A size or count cap was reached before the data was read whole.
    #[error("{what} in {path} exceeds the limit of {limit}")]
    TooLarge {
        /// What was being counted ("bytes", "packages", "tar entries", ...).
        what: &'static str,
        /// Where.
        path: String,
        /// The cap.
        limit: u64,
    },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
