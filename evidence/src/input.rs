//! One input of a project as vouch's evidence records it: the single
//! vocabulary `vouch attest` writes and `vouch verify` reads.
//!
//! An [`InputRecord`] is written as an SLSA `resolvedDependencies` entry
//! (a [`ResourceDescriptor`] with the [`annotation`] keys, see
//! docs/provenance.md) and as a CycloneDX component (with the
//! [`property`] names, which are also the SPDX package comment lines), and
//! read back from both. Every key is spelt once, here: the writer and the
//! reader share the constants, so renaming one renames it on both sides,
//! and a record vouch wrote that lacks one is refused rather than read as
//! "not critical" or "no mismatch".
//!
//! Package URLs are [`Purl`]s: built and parsed with the `packageurl`
//! crate, and kept in the spelling they were written in (see
//! [`Purl::build`]), so that evidence reads back byte for byte.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use packageurl::PackageUrl;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::cyclonedx::{
    Component, ComponentType, Diff, ExternalReference, ExternalReferenceType, Hash, HashAlg,
    LicenseChoice, NamedLicense, Patch, PatchType, Pedigree, Property,
};
use crate::digest::DigestSet;
use crate::spdx::ExternalRef;
use crate::statement::ResourceDescriptor;
use crate::{Error, Result};

/// The annotation keys of a `resolvedDependencies` entry
/// (docs/provenance.md).
pub mod annotation {
    /// vouch's ecosystem name: `cargo`, `go`, `npm`, `pip`, `bazel`, `generic`.
    pub const ECOSYSTEM: &str = "ecosystem";
    /// The pinned version.
    pub const VERSION: &str = "version";
    /// The package URL (empty when the input has none).
    pub const PURL: &str = "purl";
    /// What the lockfile declares, in its own notation.
    pub const DECLARED: &str = "declared";
    /// The observed digests, `<key>:<hex>`, comma-separated.
    pub const OBSERVED: &str = "observed";
    /// `match`, `mismatch` or `not-vendored`.
    pub const MATCH: &str = "match";
    /// With `mismatch`: which file or field differs.
    pub const MISMATCH_REASON: &str = "mismatchReason";
    /// Where it is vendored, relative to the project.
    pub const PATH: &str = "path";
    /// Its licence, as the metadata gives it.
    pub const LICENSE: &str = "license";
    /// Its CPE name.
    pub const CPE: &str = "cpe";
    /// Its ecosystem's categories (e.g. Envoy's `use_category`).
    pub const CATEGORIES: &str = "categories";
    /// Local patches, as project paths.
    pub const PATCHES: &str = "patches";
    /// `true` when a criticality rule marked it.
    pub const CRITICAL: &str = "critical";
    /// One `<rule>: <reason>` per rule that marked it.
    pub const CRITICAL_REASONS: &str = "criticalReasons";
    /// An OS package's source package name ([`super::OsOrigin::source_name`]).
    pub const SOURCE_NAME: &str = "sourceName";
    /// An OS package's source package version.
    pub const SOURCE_VERSION: &str = "sourceVersion";
    /// The digest of the image layer that last wrote an OS package's entry.
    pub const LAYER: &str = "layer";
    /// The path of the package database that lists an OS package.
    pub const DATABASE: &str = "database";
    /// `true` when an OS package is a third party's, not the distribution's.
    pub const THIRD_PARTY: &str = "thirdParty";
    /// An unbundled input's distribution package purl
    /// ([`super::Distribution::purl`]).
    pub const DISTRIBUTION_PURL: &str = "distributionPurl";
    /// Its distribution package's source package name.
    pub const DISTRIBUTION_SOURCE_NAME: &str = "distributionSourceName";
    /// Its distribution package's source package version.
    pub const DISTRIBUTION_SOURCE_VERSION: &str = "distributionSourceVersion";
    /// The `.deb`'s digest, `sha256:<hex>`.
    pub const DISTRIBUTION_DEB: &str = "distributionDeb";
    /// The decompressed `Packages` index's digest, `sha256:<hex>`.
    pub const DISTRIBUTION_PACKAGES: &str = "distributionPackages";
    /// The `InRelease` file's digest, `sha256:<hex>`.
    pub const DISTRIBUTION_RELEASE: &str = "distributionRelease";
    /// The release's `Date` (RFC 3339).
    pub const DISTRIBUTION_RELEASE_DATE: &str = "distributionReleaseDate";
    /// The fingerprint of the archive key that signed the release.
    pub const DISTRIBUTION_SIGNER: &str = "distributionSigner";
    /// The distribution's patches, in order (a list, empty when none).
    pub const DISTRIBUTION_PATCHES: &str = "distributionPatches";
    /// Where the distribution installs the files the build uses.
    pub const DISTRIBUTION_PATH: &str = "distributionPath";
}

/// The names of vouch's CycloneDX properties, which are also the keys of
/// the `<name> = <value>` lines of an SPDX package comment.
pub mod property {
    /// vouch's ecosystem name.
    pub const ECOSYSTEM: &str = "vouch:ecosystem";
    /// `match`, `mismatch` or `not-vendored`.
    pub const MATCH: &str = "vouch:match";
    /// With `mismatch`: which file or field differs.
    pub const MISMATCH_REASON: &str = "vouch:mismatch-reason";
    /// `true` or `false`.
    pub const CRITICAL: &str = "vouch:critical";
    /// One per rule that marked the input critical.
    pub const CRITICAL_REASON: &str = "vouch:critical-reason";
    /// One per category.
    pub const CATEGORY: &str = "vouch:category";
    /// Where it is vendored.
    pub const PATH: &str = "vouch:path";
    /// What the lockfile declares, as it wrote it.
    pub const DECLARED: &str = "vouch:declared";
    /// The observed directory hash (hex): no file digest, so no CycloneDX hash.
    pub const OBSERVED_DIRHASH: &str = "vouch:observed-dirhash";
    /// One per local patch (SPDX only: CycloneDX has `pedigree.patches`).
    pub const PATCH: &str = "vouch:patch";
    /// A CPE that is no CPE 2.3 name (SPDX only: CycloneDX has `cpe`).
    pub const CPE: &str = "vouch:cpe";
    /// An OS package's source package name.
    pub const SOURCE_NAME: &str = "vouch:source-name";
    /// An OS package's source package version.
    pub const SOURCE_VERSION: &str = "vouch:source-version";
    /// The digest of the image layer that last wrote an OS package's entry.
    pub const LAYER: &str = "vouch:layer";
    /// The path of the package database that lists an OS package.
    pub const DATABASE: &str = "vouch:database";
    /// `true` when an OS package is a third party's, not the distribution's.
    pub const THIRD_PARTY: &str = "vouch:third-party";
    /// An unbundled input's distribution source package name (the
    /// distribution package itself is the CycloneDX component, its purl
    /// the component's; in SPDX it is a package of its own).
    pub const DISTRIBUTION_SOURCE_NAME: &str = "vouch:distribution-source-name";
    /// Its distribution source package version.
    pub const DISTRIBUTION_SOURCE_VERSION: &str = "vouch:distribution-source-version";
    /// The `.deb`'s digest, `sha256:<hex>`.
    pub const DISTRIBUTION_DEB: &str = "vouch:distribution-deb";
    /// The decompressed `Packages` index's digest, `sha256:<hex>`.
    pub const DISTRIBUTION_PACKAGES: &str = "vouch:distribution-packages";
    /// The `InRelease` file's digest, `sha256:<hex>`.
    pub const DISTRIBUTION_RELEASE: &str = "vouch:distribution-release";
    /// The release's `Date` (RFC 3339).
    pub const DISTRIBUTION_RELEASE_DATE: &str = "vouch:distribution-release-date";
    /// The fingerprint of the archive key that signed the release.
    pub const DISTRIBUTION_SIGNER: &str = "vouch:distribution-signer";
    /// One per distribution patch, in order.
    pub const DISTRIBUTION_PATCH: &str = "vouch:distribution-patch";
    /// Where the distribution installs the files the build uses.
    pub const DISTRIBUTION_PATH: &str = "vouch:distribution-path";
}

/// vouch's ecosystem names for the packages of an image's operating
/// system (dpkg, apk and RPM databases); project inputs never use them.
pub const OS_ECOSYSTEMS: [&str; 3] = ["deb", "apk", "rpm"];

/// Where an OS package of an image was found, and what the distribution's
/// advisories need to match it: they are published by source package.
/// Present on a record exactly when its ecosystem is one of
/// [`OS_ECOSYSTEMS`]; written all together, read back all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OsOrigin {
    /// The source package it was built from (`zlib` for `zlib1g`).
    pub source_name: String,
    /// The source package's version (differs from the binary's for a
    /// binNMU: `1.2-3` for `1.2-3+b1`).
    pub source_version: String,
    /// The digest of the layer that last wrote its database entry.
    pub layer: String,
    /// The path of the database that lists it (`var/lib/dpkg/status`).
    pub database: String,
    /// A third party's package (NodeSource, Docker, ...): distribution
    /// records and VEX do not speak for it.
    pub third_party: bool,
}

/// Where a project input that was unbundled onto a distribution's build
/// comes from (`vouch unbundle`, issue 16): the distribution package that
/// now provides it, and the chain of custody `vouch attest` verified, from
/// the archive's signed `InRelease` to the `.deb` whose files are on disk.
/// The input keeps its upstream identity (name, version, `pkg:cargo/...`
/// purl); this is its second, the distribution's. Present exactly when the
/// input is provided by a distribution package; written all together, read
/// back all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Distribution {
    /// The distribution package's purl
    /// (`pkg:deb/debian/librust-flate2-dev@1.0.25-1?arch=amd64&distro=debian-12`),
    /// built by [`os_purl`].
    pub purl: Purl,
    /// The source package it was built from (`rust-flate2`): the
    /// distribution's advisories are published by source package.
    pub source_name: String,
    /// The source package's version (`1.0.25-1`), in the distribution's
    /// version ordering.
    pub source_version: String,
    /// The SHA-256 of the `.deb` the files were checked against, as the
    /// verified `Packages` entry lists it.
    pub deb: Digest,
    /// The SHA-256 of the decompressed `Packages` index that lists it, as
    /// the verified release lists it.
    pub packages: Digest,
    /// The SHA-256 of the `InRelease` file whose signature was verified.
    pub release: Digest,
    /// The release's `Date` (RFC 3339).
    pub release_date: String,
    /// Uppercase hex fingerprint of the archive key that signed the
    /// release.
    pub signer: String,
    /// The patches the distribution applies on top of upstream, as its
    /// `debian/patches/series` names them, in order.
    pub patches: Vec<String>,
    /// Where the distribution installs the files the build uses
    /// (`/usr/share/cargo/registry/flate2-1.0.25`).
    pub path: String,
}

impl Distribution {
    /// The distribution package's name (`librust-flate2-dev`), as its
    /// purl gives it.
    pub fn package(&self) -> &str {
        self.purl.package_url().name()
    }

    /// The distribution package's version (`1.0.25-1`), as its purl gives
    /// it (an RPM's without its epoch).
    pub fn version(&self) -> &str {
        self.purl.package_url().version().unwrap_or("")
    }

    /// The reference of one of its patches in its source package
    /// (`debian/patches/<name>`, as `debian/patches/series` names it): the
    /// `diff.url` of the CycloneDX patch.
    pub fn patch_url(name: &str) -> String {
        format!("{DISTRIBUTION_PATCH_DIR}{name}")
    }

    /// Whether this is Debian's build of crate `name` `version`: its
    /// package carries the crate ([`carries_crate`]) and the directory the build
    /// reads is that version's (`/usr/share/cargo/registry/<name>-<version>`,
    /// where Debian installs it). A record about another crate or another
    /// version says nothing about this one.
    pub fn builds_crate(&self, name: &str, version: &str) -> bool {
        carries_crate(self.package(), name)
            && std::path::Path::new(&self.path).file_name()
                == Some(format!("{name}-{version}").as_ref())
    }
}

/// The name of the Debian package that carries crate `name`'s default
/// version (`serde_json` -> `librust-serde-json-dev`).
pub fn crate_package_name(name: &str) -> String {
    format!(
        "librust-{}-dev",
        name.to_ascii_lowercase().replace('_', "-")
    )
}

/// Whether `package` carries crate `name`'s source: `librust-C-dev`, or a
/// versioned `librust-C-<version>-dev` (`librust-nom-4-dev`), but not a
/// feature package (`librust-nom+std-dev`) nor another crate whose name
/// extends this one (`librust-nom-derive-dev`).
pub fn carries_crate(package: &str, name: &str) -> bool {
    let base = crate_package_name(name);
    if package == base {
        return true;
    }
    let stem = &base[..base.len() - "-dev".len()];
    package
        .strip_prefix(stem)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.strip_suffix("-dev"))
        .is_some_and(|v| {
            !v.is_empty()
                && v.starts_with(|c: char| c.is_ascii_digit())
                && v.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
}

/// Where a Debian source package keeps its patches, relative to its root;
/// the prefix of [`Distribution::patch_url`].
pub const DISTRIBUTION_PATCH_DIR: &str = "debian/patches/";

/// The keys a [`Distribution`] is written under: the annotations of a
/// resolved dependency, or the properties of a CycloneDX component (whose
/// own purl is the distribution package's, so it has no purl key).
struct DistributionKeys {
    purl: Option<&'static str>,
    source_name: &'static str,
    source_version: &'static str,
    deb: &'static str,
    packages: &'static str,
    release: &'static str,
    release_date: &'static str,
    signer: &'static str,
    path: &'static str,
    patches: &'static str,
}

impl DistributionKeys {
    /// The keys of its single texts, in the order written.
    fn texts(&self) -> [&'static str; 8] {
        [
            self.source_name,
            self.source_version,
            self.deb,
            self.packages,
            self.release,
            self.release_date,
            self.signer,
            self.path,
        ]
    }
}

const DISTRIBUTION_ANNOTATIONS: DistributionKeys = DistributionKeys {
    purl: Some(annotation::DISTRIBUTION_PURL),
    source_name: annotation::DISTRIBUTION_SOURCE_NAME,
    source_version: annotation::DISTRIBUTION_SOURCE_VERSION,
    deb: annotation::DISTRIBUTION_DEB,
    packages: annotation::DISTRIBUTION_PACKAGES,
    release: annotation::DISTRIBUTION_RELEASE,
    release_date: annotation::DISTRIBUTION_RELEASE_DATE,
    signer: annotation::DISTRIBUTION_SIGNER,
    path: annotation::DISTRIBUTION_PATH,
    patches: annotation::DISTRIBUTION_PATCHES,
};

const DISTRIBUTION_PROPERTIES: DistributionKeys = DistributionKeys {
    purl: None,
    source_name: property::DISTRIBUTION_SOURCE_NAME,
    source_version: property::DISTRIBUTION_SOURCE_VERSION,
    deb: property::DISTRIBUTION_DEB,
    packages: property::DISTRIBUTION_PACKAGES,
    release: property::DISTRIBUTION_RELEASE,
    release_date: property::DISTRIBUTION_RELEASE_DATE,
    signer: property::DISTRIBUTION_SIGNER,
    path: property::DISTRIBUTION_PATH,
    patches: property::DISTRIBUTION_PATCH,
};

/// Reads a [`Distribution`] through `text` under `keys`: `None` when none
/// of its keys is given; else all of them are required (a record that
/// names a distribution package but not its chain of custody is refused,
/// naming the missing key, never read as vendored), each of its type, and
/// refused on an OS package, which is the distribution's own. `purl` is
/// the text of its purl key (annotations) or the component's purl
/// (CycloneDX); `patches` the patch list, `None` when its key is absent.
fn read_distribution(
    ecosystem: &str,
    keys: &DistributionKeys,
    text: impl Fn(&str) -> Result<Option<String>>,
    purl: Option<String>,
    patches: Option<Vec<String>>,
) -> Result<Option<Distribution>> {
    let mut given: Vec<&str> = Vec::new();
    if let (Some(key), Some(_)) = (keys.purl, &purl) {
        given.push(key);
    }
    for key in keys.texts() {
        if text(key)?.is_some() {
            given.push(key);
        }
    }
    if patches
        .as_ref()
        .is_some_and(|p| keys.purl.is_some() || !p.is_empty())
    {
        given.push(keys.patches);
    }
    let Some(first) = given.first() else {
        return Ok(None);
    };
    if OS_ECOSYSTEMS.contains(&ecosystem) {
        return Err(Error::invalid(
            format!("`{first}`"),
            format!("is given for a {ecosystem} package, which is the distribution's own"),
        ));
    }
    let missing = |key: &str| {
        Error::invalid(
            format!("`{key}`"),
            "is missing (vouch writes every distribution key of an unbundled input)",
        )
    };
    let required = |key: &str| text(key)?.ok_or_else(|| missing(key));
    let purl_key = keys.purl.unwrap_or("purl");
    let purl_text = purl.ok_or_else(|| missing(purl_key))?;
    let purl: Purl = purl_text.parse()?;
    if !OS_ECOSYSTEMS.contains(&purl.package_url().ty()) || purl.package_url().version().is_none() {
        return Err(Error::invalid(
            format!("`{purl_key}` {purl_text:?}"),
            "is not a distribution package's purl with a version (pkg:deb, pkg:apk, pkg:rpm)",
        ));
    }
    let digest = |key: &str| {
        let text = required(key)?;
        let digest: Digest = text
            .parse()
            .map_err(|e: Error| Error::invalid(format!("`{key}`"), e.to_string()))?;
        if digest.algorithm() != "sha256" {
            return Err(Error::invalid(
                format!("`{key}` {text:?}"),
                "is not a `sha256:<hex>` digest",
            ));
        }
        Ok(digest)
    };
    let release_date = required(keys.release_date)?;
    if release_date.parse::<jiff::Timestamp>().is_err() {
        return Err(Error::invalid(
            format!("`{}` {release_date:?}", keys.release_date),
            "is not an RFC 3339 time",
        ));
    }
    let signer = required(keys.signer)?;
    if signer.is_empty() || !signer.chars().all(|c| matches!(c, '0'..='9' | 'A'..='F')) {
        return Err(Error::invalid(
            format!("`{}` {signer:?}", keys.signer),
            "is not an uppercase hex key fingerprint",
        ));
    }
    if keys.purl.is_some() && patches.is_none() {
        return Err(missing(keys.patches));
    }
    Ok(Some(Distribution {
        purl,
        source_name: required(keys.source_name)?,
        source_version: required(keys.source_version)?,
        deb: digest(keys.deb)?,
        packages: digest(keys.packages)?,
        release: digest(keys.release)?,
        release_date,
        signer,
        patches: patches.unwrap_or_default(),
        path: required(keys.path)?,
    }))
}

/// The purl of an OS package, after the purl spec's type definitions:
/// `pkg:deb/<id>/<name>@<version>?arch=..&distro=<id>-<version_id>`,
/// `pkg:apk/<id>/...` alike, and for RPM the version without its epoch,
/// which goes in the `epoch` qualifier the rpm type defines. `distro` is
/// `<ID>-<VERSION_ID>` (or the `ID` alone), as
/// `OsRelease::from_purl_distro` reads it back; `None` for an image
/// without os-release (its packages then cannot be matched to a release's
/// records, which the vulnerability check reports).
pub fn os_purl(
    ecosystem: &str,
    id: &str,
    distro: Option<&str>,
    name: &str,
    version: &str,
    arch: Option<&str>,
) -> Result<Purl> {
    let mut qualifiers: Vec<(&str, &str)> = distro.map(|d| ("distro", d)).into_iter().collect();
    if let Some(arch) = arch {
        qualifiers.push(("arch", arch));
    }
    let (version, epoch) = match ecosystem {
        "rpm" => match version.split_once(':') {
            Some((epoch, rest)) => (rest, Some(epoch)),
            None => (version, None),
        },
        "deb" | "apk" => (version, None),
        other => {
            return Err(Error::invalid(
                format!("purl of {other} package {name:?}"),
                "is not an OS package ecosystem (deb, apk, rpm)",
            ))
        }
    };
    if let Some(epoch) = epoch {
        qualifiers.push(("epoch", epoch));
    }
    Purl::build(ecosystem, Some(id), name, Some(version), &qualifiers)
}

/// The DigestSet key of a vendored directory's hash (Go's h1 dirhash, hex).
pub const DIR_HASH: &str = "dirHash";

/// Whether what the lockfile declares is what is on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Match {
    /// Declared, vendored, and every check holds.
    Match,
    /// Declared and vendored, but a check fails; `reason` names the file.
    Mismatch {
        /// What does not match, and where.
        reason: String,
    },
    /// Declared but not vendored in this tree (fetched at build time).
    NotVendored,
}

impl Match {
    /// Its name in evidence (the `match` annotation, the `vouch:match`
    /// property): `match`, `mismatch` or `not-vendored`.
    pub fn name(&self) -> &'static str {
        match self {
            Match::Match => "match",
            Match::Mismatch { .. } => "mismatch",
            Match::NotVendored => "not-vendored",
        }
    }

    /// A short word for tables.
    pub fn word(&self) -> &'static str {
        match self {
            Match::Match => "match",
            Match::Mismatch { .. } => "MISMATCH",
            Match::NotVendored => "not-vendored",
        }
    }

    /// Reads a status from its [`Match::name`] and, for a mismatch, its
    /// reason, which vouch always records (`reason_key` names it).
    fn read(name: &str, reason: Option<String>, reason_key: &str) -> Result<Self> {
        match name {
            "match" => Ok(Match::Match),
            "mismatch" => Ok(Match::Mismatch {
                reason: reason.ok_or_else(|| {
                    Error::invalid(format!("`{reason_key}`"), "is missing for a mismatch")
                })?,
            }),
            "not-vendored" => Ok(Match::NotVendored),
            other => Err(Error::invalid(
                format!("match status {other:?}"),
                "is not match, mismatch or not-vendored",
            )),
        }
    }
}

/// One observed digest, `<key>:<value>` (`dirHash:<hex>`, `sha256:<hex>`),
/// valid as an in-toto DigestSet entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    algorithm: String,
    value: String,
}

impl Digest {
    /// A digest; its value is checked as a DigestSet checks it (known hex
    /// algorithms: lowercase hex of the right length).
    pub fn new(algorithm: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        let (algorithm, value) = (algorithm.into(), value.into());
        if algorithm.is_empty() || !algorithm.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                format!("digest algorithm {algorithm:?}"),
                "is not a DigestSet key (ASCII letters and digits)",
            ));
        }
        DigestSet::try_from(BTreeMap::from([(algorithm.clone(), value.clone())]))?;
        Ok(Digest { algorithm, value })
    }

    /// The DigestSet key: `dirHash`, `sha256`, ...
    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    /// The value (hex for the algorithms vouch writes).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The CycloneDX hash algorithm of a file digest; `None` for a
    /// `dirHash` and anything else CycloneDX has no name for.
    fn cyclonedx(&self) -> Option<HashAlg> {
        match self.algorithm.as_str() {
            "sha1" => Some(HashAlg::Sha1),
            "sha256" => Some(HashAlg::Sha256),
            "sha384" => Some(HashAlg::Sha384),
            "sha512" => Some(HashAlg::Sha512),
            _ => None,
        }
    }
}

/// Written as its `<key>:<value>` text.
impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.value)
    }
}

impl FromStr for Digest {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let (algorithm, value) = s
            .split_once(':')
            .ok_or_else(|| Error::invalid(format!("digest {s:?}"), "is not `<key>:<value>`"))?;
        Digest::new(algorithm, value)
    }
}

/// A package URL: valid for the `packageurl` crate, kept in the spelling
/// it was written in.
///
/// Evidence is signed, so a purl read back must be written back as it
/// was; comparisons of packages go through [`Purl::package_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    text: String,
    parsed: PackageUrl<'static>,
}

/// Percent-encodes `text` as vouch writes a purl's namespace segments,
/// name and version: every byte but ASCII letters, digits and `-._~`
/// (the URL-safe form used for the SPDX document namespace as well).
pub fn percent_encode(text: &str) -> String {
    encode(text, b"")
}

/// Percent-encodes `text` as vouch writes purl components: every byte but
/// ASCII letters, digits, `-._~` and those in `keep`.
fn encode(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Purl {
    /// Builds a purl with `packageurl` (which applies the type's rules:
    /// a lower-cased npm, PyPI or GitHub name, no namespace for Cargo or
    /// PyPI, ...) and writes it as vouch always has: the namespace
    /// segments, the name and the version with every byte but ASCII
    /// letters, digits and `-._~` percent-encoded (`@scope` is `%40scope`,
    /// `+` is `%2B`), qualifiers sorted by key with their values encoded
    /// alike but for `:` and `/` (as the purl spec's own
    /// `download_url=https://…` example).
    pub fn build(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
        qualifiers: &[(&str, &str)],
    ) -> Result<Self> {
        let bad = |e: packageurl::Error| {
            Error::invalid(format!("purl of {ty} package {name:?}"), e.to_string())
        };
        let mut parsed = PackageUrl::new(ty.to_string(), name.to_string()).map_err(bad)?;
        if let Some(namespace) = namespace {
            parsed.with_namespace(namespace.to_string()).map_err(bad)?;
        }
        if let Some(version) = version {
            parsed.with_version(version.to_string()).map_err(bad)?;
        }
        for (key, value) in qualifiers {
            parsed
                .add_qualifier(key.to_string(), value.to_string())
                .map_err(bad)?;
        }
        parsed.validate().map_err(bad)?;
        let mut text = format!("pkg:{}/", parsed.ty());
        if let Some(namespace) = parsed.namespace() {
            for segment in namespace.split('/') {
                text.push_str(&encode(segment, b""));
                text.push('/');
            }
        }
        text.push_str(&encode(parsed.name(), b""));
        if let Some(version) = parsed.version() {
            text.push('@');
            text.push_str(&encode(version, b""));
        }
        let mut pairs: Vec<(&str, &str)> = parsed
            .qualifiers()
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        pairs.sort();
        for (i, (key, value)) in pairs.into_iter().enumerate() {
            text.push(if i == 0 { '?' } else { '&' });
            text.push_str(key);
            text.push('=');
            text.push_str(&encode(value, b":/"));
        }
        Ok(Purl { text, parsed })
    }

    /// The purl as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed purl: its type, namespace, name and version, decoded
    /// and canonical for the type.
    pub fn package_url(&self) -> &PackageUrl<'static> {
        &self.parsed
    }

    /// The canonical form `packageurl` writes (the SBOMs' spelling).
    pub fn canonical(&self) -> String {
        self.parsed.to_string()
    }
}

/// Written as it was spelt ([`Purl::as_str`]).
impl Serialize for Purl {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl FromStr for Purl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let parsed = PackageUrl::from_str(s)
            .map_err(|e| Error::invalid(format!("purl {s:?}"), e.to_string()))?;
        Ok(Purl {
            text: s.to_string(),
            parsed,
        })
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One input as evidence records it.
///
/// Written by `vouch attest` with every field it knows; read back from a
/// `resolvedDependencies` entry (which must carry the annotations vouch
/// always writes) or a CycloneDX component (vouch's, with its `vouch:`
/// properties, or another producer's, with only what CycloneDX itself
/// says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRecord {
    /// The package name (crate, npm package, Go module path, Bazel repository).
    pub name: String,
    /// vouch's ecosystem name, or the purl type for another producer's
    /// component (`unknown` without one).
    pub ecosystem: String,
    /// The pinned version, when recorded.
    pub version: Option<String>,
    /// Its package URL, when it has one.
    pub purl: Option<Purl>,
    /// Where it comes from (registry page, git URL, archive URL), when recorded.
    pub origin: Option<String>,
    /// What the lockfile declares, in its own notation (`sha256:<hex>`, an
    /// SRI string, Go's `h1:<base64>`).
    pub declared: Option<String>,
    /// What was observed on disk.
    pub observed: Vec<Digest>,
    /// How the two compare, when recorded.
    pub status: Option<Match>,
    /// Where it is vendored, relative to the project.
    pub path: Option<String>,
    /// Its licence, as the metadata gives it.
    pub license: Option<String>,
    /// Its CPE name.
    pub cpe: Option<String>,
    /// Its ecosystem's categories.
    pub categories: Vec<String>,
    /// Local patches, as project paths.
    pub patches: Vec<String>,
    /// Whether a criticality rule marked it.
    pub critical: bool,
    /// Why: one `<rule>: <reason>` per rule.
    pub critical_reasons: Vec<String>,
    /// Where an OS package was found (ecosystems `deb`, `apk`, `rpm`).
    pub os: Option<OsOrigin>,
    /// The distribution package a project input was unbundled onto, with
    /// its verified chain of custody; `None` for a vendored input.
    pub distribution: Option<Distribution>,
}

/// Reads the annotations of one resolved dependency, naming the key in
/// every error.
struct Annotations<'a>(&'a Map<String, Value>);

impl Annotations<'_> {
    fn wrong(key: &str, wanted: &str) -> Error {
        Error::invalid(format!("annotation `{key}`"), format!("is not {wanted}"))
    }

    fn missing(key: &str) -> Error {
        Error::invalid(
            format!("annotation `{key}`"),
            "is missing (vouch writes it for every input)",
        )
    }

    fn text(&self, key: &str) -> Result<Option<String>> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Self::wrong(key, "a string")),
        }
    }

    fn required_text(&self, key: &str) -> Result<String> {
        self.text(key)?.ok_or_else(|| Self::missing(key))
    }

    fn list(&self, key: &str) -> Result<Vec<String>> {
        match self.0.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| Self::wrong(key, "a list of strings"))
                })
                .collect(),
            Some(_) => Err(Self::wrong(key, "a list of strings")),
        }
    }
}

/// Critical reasons given for an input not marked critical: a
/// contradiction, refused.
fn check_critical(critical: bool, reasons: &[String], key: &str) -> Result<()> {
    if !critical && !reasons.is_empty() {
        return Err(Error::invalid(
            format!("`{key}`"),
            "lists reasons for an input not marked critical",
        ));
    }
    Ok(())
}

/// `text`, or `None` when empty (the writer's "no purl").
fn purl_of(text: &str) -> Result<Option<Purl>> {
    if text.is_empty() {
        Ok(None)
    } else {
        text.parse().map(Some)
    }
}

impl InputRecord {
    /// The record as a `resolvedDependencies` entry: `name`, `uri` (its
    /// origin), `digest` (the observed digest, when there is exactly one)
    /// and the [`annotation`]s, in the order docs/provenance.md lists them.
    pub fn to_resource_descriptor(&self) -> ResourceDescriptor {
        use annotation as key;
        let mut a = Map::new();
        a.insert(key::ECOSYSTEM.into(), json!(self.ecosystem));
        a.insert(
            key::VERSION.into(),
            json!(self.version.as_deref().unwrap_or("")),
        );
        a.insert(
            key::PURL.into(),
            json!(self.purl.as_ref().map_or("", Purl::as_str)),
        );
        let observed = (!self.observed.is_empty()).then(|| self.observed_text());
        let optional = [
            (key::DECLARED, &self.declared),
            (key::OBSERVED, &observed),
            (key::PATH, &self.path),
            (key::LICENSE, &self.license),
            (key::CPE, &self.cpe),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                a.insert(key.into(), json!(value));
            }
        }
        let status = self.status.as_ref().unwrap_or(&Match::NotVendored);
        a.insert(key::MATCH.into(), json!(status.name()));
        if let Match::Mismatch { reason } = status {
            a.insert(key::MISMATCH_REASON.into(), json!(reason));
        }
        if !self.categories.is_empty() {
            a.insert(key::CATEGORIES.into(), json!(self.categories));
        }
        if !self.patches.is_empty() {
            a.insert(key::PATCHES.into(), json!(self.patches));
        }
        a.insert(key::CRITICAL.into(), json!(self.critical));
        if self.critical {
            a.insert(key::CRITICAL_REASONS.into(), json!(self.critical_reasons));
        }
        if let Some(os) = &self.os {
            a.insert(key::SOURCE_NAME.into(), json!(os.source_name));
            a.insert(key::SOURCE_VERSION.into(), json!(os.source_version));
            a.insert(key::LAYER.into(), json!(os.layer));
            a.insert(key::DATABASE.into(), json!(os.database));
            a.insert(key::THIRD_PARTY.into(), json!(os.third_party));
        }
        if let Some(d) = &self.distribution {
            a.insert(key::DISTRIBUTION_PURL.into(), json!(d.purl.as_str()));
            a.insert(key::DISTRIBUTION_SOURCE_NAME.into(), json!(d.source_name));
            a.insert(
                key::DISTRIBUTION_SOURCE_VERSION.into(),
                json!(d.source_version),
            );
            a.insert(key::DISTRIBUTION_DEB.into(), json!(d.deb.to_string()));
            a.insert(
                key::DISTRIBUTION_PACKAGES.into(),
                json!(d.packages.to_string()),
            );
            a.insert(
                key::DISTRIBUTION_RELEASE.into(),
                json!(d.release.to_string()),
            );
            a.insert(key::DISTRIBUTION_RELEASE_DATE.into(), json!(d.release_date));
            a.insert(key::DISTRIBUTION_SIGNER.into(), json!(d.signer));
            a.insert(key::DISTRIBUTION_PATCHES.into(), json!(d.patches));
            a.insert(key::DISTRIBUTION_PATH.into(), json!(d.path));
        }
        let digest = match self.observed.as_slice() {
            [one] => {
                DigestSet::try_from(BTreeMap::from([(one.algorithm.clone(), one.value.clone())]))
                    .ok()
            }
            _ => None,
        };
        ResourceDescriptor {
            name: Some(self.name.clone()),
            uri: self.origin.clone(),
            digest,
            content: None,
            download_location: None,
            media_type: None,
            annotations: a,
        }
    }

    /// The observed digests as the annotation writes them: joined by `,`.
    pub fn observed_text(&self) -> String {
        self.observed
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The facts with no CycloneDX or SPDX field of their own, as
    /// ([`property`] name, value), in the order written: CycloneDX
    /// properties, SPDX comment lines.
    pub fn facts(&self) -> Vec<(&'static str, String)> {
        let status = self.status.as_ref().unwrap_or(&Match::NotVendored);
        let mut facts = vec![
            (property::ECOSYSTEM, self.ecosystem.clone()),
            (property::MATCH, status.name().into()),
        ];
        if let Match::Mismatch { reason } = status {
            facts.push((property::MISMATCH_REASON, reason.clone()));
        }
        facts.push((property::CRITICAL, self.critical.to_string()));
        for reason in &self.critical_reasons {
            facts.push((property::CRITICAL_REASON, reason.clone()));
        }
        for category in &self.categories {
            facts.push((property::CATEGORY, category.clone()));
        }
        if let Some(path) = &self.path {
            facts.push((property::PATH, path.clone()));
        }
        if let Some(declared) = &self.declared {
            facts.push((property::DECLARED, declared.clone()));
        }
        if let Some(dir_hash) = self.observed.iter().find(|d| d.algorithm == DIR_HASH) {
            facts.push((property::OBSERVED_DIRHASH, dir_hash.value.clone()));
        }
        if let Some(os) = &self.os {
            facts.push((property::SOURCE_NAME, os.source_name.clone()));
            facts.push((property::SOURCE_VERSION, os.source_version.clone()));
            facts.push((property::LAYER, os.layer.clone()));
            facts.push((property::DATABASE, os.database.clone()));
            facts.push((property::THIRD_PARTY, os.third_party.to_string()));
        }
        if let Some(d) = &self.distribution {
            let p = &DISTRIBUTION_PROPERTIES;
            let texts = [
                d.source_name.clone(),
                d.source_version.clone(),
                d.deb.to_string(),
                d.packages.to_string(),
                d.release.to_string(),
                d.release_date.clone(),
                d.signer.clone(),
                d.path.clone(),
            ];
            facts.extend(p.texts().into_iter().zip(texts));
            for patch in &d.patches {
                facts.push((p.patches, patch.clone()));
            }
        }
        facts
    }

    /// The record as a CycloneDX library component: name, version, purl
    /// (in canonical form), CPE (completed to CPE 2.3 where it is one),
    /// the observed file digests as hashes, its origin as an external
    /// reference (`vcs` for git URLs; none when it is unknown or only the
    /// purl), its licence by name, its patches as
    /// `pedigree.patches` and the [`InputRecord::facts`] as properties.
    /// The `bom-ref`, a licence that is an SPDX expression and the hashes
    /// read from the declaration are the SBOM builder's to add.
    pub fn to_component(&self) -> Component {
        let mut c = Component::new(ComponentType::Library, &self.name);
        c.version = self.version.clone().filter(|v| !v.is_empty());
        c.purl = self.purl.as_ref().map(Purl::canonical);
        c.cpe = self.cpe.as_deref().map(|cpe| {
            ExternalRef::cpe23(cpe).map_or_else(|_| cpe.to_string(), |r| r.reference_locator)
        });
        c.hashes = self
            .observed
            .iter()
            .filter_map(|d| {
                Some(Hash {
                    alg: d.cyclonedx()?,
                    content: d.value.clone(),
                })
            })
            .collect();
        c.hashes.sort();
        c.hashes.dedup();
        c.licenses = self
            .license
            .iter()
            .map(|name| LicenseChoice::License {
                license: NamedLicense { name: name.clone() },
            })
            .collect();
        // An origin that is only the purl (the provenance's stand-in for
        // "unknown") is no place to fetch from.
        c.external_references = self
            .origin
            .as_deref()
            .filter(|origin| Some(*origin) != self.purl.as_ref().map(Purl::as_str))
            .and_then(external_reference)
            .into_iter()
            .collect();
        let patch = |url: String| Patch {
            kind: PatchType::Unofficial,
            diff: Diff { url },
        };
        let mut patches: Vec<Patch> = self.patches.iter().cloned().map(patch).collect();
        let mut ancestors = Vec::new();
        if let Some(d) = &self.distribution {
            // The component is what the build uses: the distribution's
            // build, named and identified as its package, derived from the
            // upstream component (its one ancestor) by its patches, which
            // are not the upstream maintainers' (`unofficial`).
            let mut upstream = Component::new(ComponentType::Library, &self.name);
            upstream.version = c.version.take();
            upstream.purl = c.purl.take();
            upstream.external_references = std::mem::take(&mut c.external_references);
            ancestors.push(upstream);
            c.name = d.package().to_string();
            c.version = Some(d.version().to_string());
            c.purl = Some(d.purl.canonical());
            patches.extend(
                d.patches
                    .iter()
                    .map(|name| patch(Distribution::patch_url(name))),
            );
        }
        if !patches.is_empty() || !ancestors.is_empty() {
            c.pedigree = Some(Pedigree { ancestors, patches });
        }
        c.properties = self
            .facts()
            .into_iter()
            .map(|(name, value)| Property::new(name, value))
            .collect();
        c
    }

    /// Reads one CycloneDX component (its own fields; nested components
    /// are the caller's to walk). `None` for a component without a name,
    /// which names no input.
    ///
    /// A component with any `vouch:` property is vouch's and must carry
    /// `vouch:ecosystem`, `vouch:match` and `vouch:critical` (`true` or
    /// `false`); another producer's gets its purl type as ecosystem and
    /// neither status nor criticality. The observed digests are its
    /// hashes (algorithm lower-cased without `-`: `sha256`), then its
    /// `vouch:observed-dirhash`.
    pub fn from_component(component: &Value) -> Result<Option<Self>> {
        let wire = ComponentWire::deserialize(component)
            .map_err(|e| Error::invalid("CycloneDX component", e.to_string()))?;
        let Some(name) = wire.name else {
            return Ok(None);
        };
        let what =
            |e: Error| Error::invalid(format!("CycloneDX component {name:?}"), e.to_string());
        let props: Vec<(&str, &str)> = wire
            .properties
            .iter()
            .filter_map(|p| Some((p.name.as_str(), p.value.as_deref()?)))
            .collect();
        let one = |key: &str| props.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        let all = |key: &str| -> Vec<String> {
            props
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
                .collect()
        };
        let purl = match &wire.purl {
            Some(text) => purl_of(text).map_err(what)?,
            None => None,
        };
        let vouch = wire.properties.iter().any(|p| p.name.starts_with("vouch:"));
        let (ecosystem, status, critical) = if vouch {
            let required = |key: &str| {
                one(key).ok_or_else(|| {
                    what(Error::invalid(
                        format!("property `{key}`"),
                        "is missing (vouch writes it for every input)",
                    ))
                })
            };
            let ecosystem = required(property::ECOSYSTEM)?.to_string();
            let status = Match::read(
                required(property::MATCH)?,
                one(property::MISMATCH_REASON).map(str::to_string),
                property::MISMATCH_REASON,
            )
            .map_err(what)?;
            let critical = match required(property::CRITICAL)? {
                "true" => true,
                "false" => false,
                other => {
                    return Err(what(Error::invalid(
                        format!("property `{}` {other:?}", property::CRITICAL),
                        "is not true or false",
                    )))
                }
            };
            (ecosystem, Some(status), critical)
        } else {
            let ty = purl.as_ref().map(|p| p.package_url().ty().to_string());
            (ty.unwrap_or_else(|| "unknown".into()), None, false)
        };
        let critical_reasons = all(property::CRITICAL_REASON);
        check_critical(critical, &critical_reasons, property::CRITICAL_REASON).map_err(what)?;
        // Another producer's component (syft's `pkg:deb`) carries no
        // vouch properties: no origin to read.
        let os = if !vouch {
            None
        } else {
            os_origin(
                &ecosystem,
                |key| Ok(one(key).map(str::to_string)),
                |key| match one(key) {
                    None => Ok(None),
                    Some("true") => Ok(Some(true)),
                    Some("false") => Ok(Some(false)),
                    Some(other) => Err(Error::invalid(
                        format!("property `{key}` {other:?}"),
                        "is not true or false",
                    )),
                },
                property::SOURCE_NAME,
                property::SOURCE_VERSION,
                property::LAYER,
                property::DATABASE,
                property::THIRD_PARTY,
            )
            .map_err(what)?
        };
        // An unbundled input's component is the distribution's build, its
        // upstream identity the one ancestor (see `to_component`).
        let distribution = if !vouch {
            None
        } else {
            let patches = all(property::DISTRIBUTION_PATCH);
            read_distribution(
                &ecosystem,
                &DISTRIBUTION_PROPERTIES,
                |key| Ok(one(key).map(str::to_string)),
                wire.purl.clone(),
                (!patches.is_empty()).then_some(patches),
            )
            .map_err(what)?
        };
        let mut pedigree = wire.pedigree.unwrap_or_default();
        let (name, version, purl, references) = match &distribution {
            None => (name.clone(), wire.version, purl, wire.external_references),
            Some(_) => match pedigree.ancestors.as_mut_slice() {
                [AncestorWire {
                    name: Some(upstream),
                    version,
                    purl,
                    external_references,
                }] => (
                    upstream.clone(),
                    version.clone(),
                    purl.as_deref()
                        .map(purl_of)
                        .transpose()
                        .map_err(what)?
                        .flatten(),
                    std::mem::take(external_references),
                ),
                _ => {
                    return Err(what(Error::invalid(
                        "`pedigree.ancestors`",
                        "does not name the upstream component, once, with its name \
                         (vouch writes it for every unbundled input)",
                    )))
                }
            },
        };
        let distribution_patches: Vec<String> = distribution
            .iter()
            .flat_map(|d| d.patches.iter().map(|p| Distribution::patch_url(p)))
            .collect();
        let mut observed = Vec::new();
        for hash in &wire.hashes {
            let algorithm = hash.alg.to_lowercase().replace('-', "");
            observed.push(Digest::new(algorithm, hash.content.to_lowercase()).map_err(what)?);
        }
        if let Some(dir_hash) = one(property::OBSERVED_DIRHASH) {
            observed.push(Digest::new(DIR_HASH, dir_hash).map_err(what)?);
        }
        let origin = references
            .iter()
            .find(|r| matches!(r.kind.as_str(), "distribution" | "vcs"))
            .map(|r| r.url.clone());
        Ok(Some(InputRecord {
            ecosystem,
            version,
            purl,
            origin,
            declared: one(property::DECLARED).map(str::to_string),
            observed,
            status,
            path: one(property::PATH).map(str::to_string),
            license: wire.licenses.into_iter().find_map(|l| {
                l.expression
                    .or_else(|| l.license.and_then(|n| n.id.or(n.name)))
            }),
            cpe: wire.cpe.or(one(property::CPE).map(str::to_string)),
            categories: all(property::CATEGORY),
            patches: pedigree
                .patches
                .into_iter()
                .filter_map(|p| p.diff?.url)
                .filter(|url| !distribution_patches.contains(url))
                .collect(),
            critical,
            critical_reasons,
            os,
            distribution,
            name,
        }))
    }
}

/// Reads a `resolvedDependencies` entry vouch wrote: it must have a name
/// and the annotations vouch writes for every input (`ecosystem`,
/// `version`, `purl`, `match`, `critical`), each of its type; a known
/// annotation of the wrong type or value is refused, never read as absent.
/// The observed digests are those of the `observed` annotation, then any
/// other of the `digest` set.
impl TryFrom<&ResourceDescriptor> for InputRecord {
    type Error = Error;

    fn try_from(d: &ResourceDescriptor) -> Result<Self> {
        use annotation as key;
        let name = d
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| Error::invalid("resolved dependency", "has no name"))?;
        let what =
            |e: Error| Error::invalid(format!("resolved dependency {name:?}"), e.to_string());
        let read = || -> Result<InputRecord> {
            let a = Annotations(&d.annotations);
            let mut observed: Vec<Digest> = match a.text(key::OBSERVED)? {
                Some(text) => text
                    .split(',')
                    .map(|d| d.trim().parse())
                    .collect::<Result<_>>()?,
                None => Vec::new(),
            };
            for (algorithm, value) in d.digest.iter().flat_map(DigestSet::iter) {
                let digest = Digest::new(algorithm, value)?;
                if !observed.contains(&digest) {
                    observed.push(digest);
                }
            }
            let status = Match::read(
                &a.required_text(key::MATCH)?,
                a.text(key::MISMATCH_REASON)?,
                key::MISMATCH_REASON,
            )?;
            let critical = match d.annotations.get(key::CRITICAL) {
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(Annotations::wrong(key::CRITICAL, "true or false")),
                None => return Err(Annotations::missing(key::CRITICAL)),
            };
            let critical_reasons = a.list(key::CRITICAL_REASONS)?;
            check_critical(critical, &critical_reasons, key::CRITICAL_REASONS)?;
            let ecosystem = a.required_text(key::ECOSYSTEM)?;
            let os = os_origin(
                &ecosystem,
                |k| a.text(k),
                |k| match d.annotations.get(k) {
                    None => Ok(None),
                    Some(Value::Bool(b)) => Ok(Some(*b)),
                    Some(_) => Err(Annotations::wrong(k, "true or false")),
                },
                key::SOURCE_NAME,
                key::SOURCE_VERSION,
                key::LAYER,
                key::DATABASE,
                key::THIRD_PARTY,
            )?;
            let distribution = read_distribution(
                &ecosystem,
                &DISTRIBUTION_ANNOTATIONS,
                |k| a.text(k),
                a.text(key::DISTRIBUTION_PURL)?,
                match d.annotations.get(key::DISTRIBUTION_PATCHES) {
                    None => None,
                    Some(_) => Some(a.list(key::DISTRIBUTION_PATCHES)?),
                },
            )?;
            Ok(InputRecord {
                name: name.clone(),
                ecosystem,
                version: Some(a.required_text(key::VERSION)?),
                purl: purl_of(&a.required_text(key::PURL)?)?,
                origin: d.uri.clone(),
                declared: a.text(key::DECLARED)?,
                observed,
                status: Some(status),
                path: a.text(key::PATH)?,
                license: a.text(key::LICENSE)?,
                cpe: a.text(key::CPE)?,
                categories: a.list(key::CATEGORIES)?,
                patches: a.list(key::PATCHES)?,
                critical,
                critical_reasons,
                os,
                distribution,
            })
        };
        read().map_err(what)
    }
}

/// Reads an [`OsOrigin`] through `text` and `flag` under the given keys
/// (annotations or properties): required, all of it, for an OS ecosystem
/// (an OS package without its source is not matched to its distribution's
/// records, so a missing one is an error, not a silent gap); refused for
/// any other, whose record these keys do not describe.
#[allow(clippy::too_many_arguments)]
fn os_origin(
    ecosystem: &str,
    text: impl Fn(&str) -> Result<Option<String>>,
    flag: impl Fn(&str) -> Result<Option<bool>>,
    source_name: &str,
    source_version: &str,
    layer: &str,
    database: &str,
    third_party: &str,
) -> Result<Option<OsOrigin>> {
    let os = OS_ECOSYSTEMS.contains(&ecosystem);
    let missing = |key: &str| {
        Error::invalid(
            format!("`{key}`"),
            format!("is missing (vouch writes it for every {ecosystem} package)"),
        )
    };
    if !os {
        for key in [source_name, source_version, layer, database, third_party] {
            if text(key).ok().flatten().is_some() || flag(key).ok().flatten().is_some() {
                return Err(Error::invalid(
                    format!("`{key}`"),
                    format!("is given for a {ecosystem} input, not an OS package"),
                ));
            }
        }
        return Ok(None);
    }
    let required = |key: &str| text(key)?.ok_or_else(|| missing(key));
    Ok(Some(OsOrigin {
        source_name: required(source_name)?,
        source_version: required(source_version)?,
        layer: required(layer)?,
        database: required(database)?,
        third_party: flag(third_party)?.ok_or_else(|| missing(third_party))?,
    }))
}

/// `uri` as an external reference, if it is one a consumer can follow: not
/// empty, and without characters an IRI cannot hold.
fn external_reference(uri: &str) -> Option<ExternalReference> {
    let unusable = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
    };
    if uri.is_empty() || uri.contains(unusable) {
        return None;
    }
    let kind = if uri.starts_with("git+") || uri.starts_with("git://") || uri.ends_with(".git") {
        ExternalReferenceType::Vcs
    } else {
        ExternalReferenceType::Distribution
    };
    Some(ExternalReference {
        kind,
        url: uri.into(),
    })
}

/// What of a CycloneDX component names an input: the fields vouch writes,
/// read from any producer. Unknown fields are ignored; a known one of the
/// wrong type is an error.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ComponentWire {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    cpe: Option<String>,
    #[serde(default)]
    hashes: Vec<HashWire>,
    #[serde(default)]
    licenses: Vec<LicenseWire>,
    #[serde(default)]
    external_references: Vec<ExternalReferenceWire>,
    #[serde(default)]
    pedigree: Option<PedigreeWire>,
    #[serde(default)]
    properties: Vec<PropertyWire>,
}

#[derive(Deserialize)]
struct HashWire {
    alg: String,
    content: String,
}

#[derive(Deserialize)]
struct ExternalReferenceWire {
    #[serde(rename = "type")]
    kind: String,
    url: String,
}

#[derive(Default, Deserialize)]
struct PedigreeWire {
    #[serde(default)]
    ancestors: Vec<AncestorWire>,
    #[serde(default)]
    patches: Vec<PatchWire>,
}

/// The upstream identity of a distribution's build: its ancestor's name,
/// version, purl and where upstream publishes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AncestorWire {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    external_references: Vec<ExternalReferenceWire>,
}

#[derive(Deserialize)]
struct PatchWire {
    #[serde(default)]
    diff: Option<DiffWire>,
}

#[derive(Deserialize)]
struct DiffWire {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct LicenseWire {
    #[serde(default)]
    expression: Option<String>,
    #[serde(default)]
    license: Option<NamedLicenseWire>,
}

#[derive(Deserialize)]
struct NamedLicenseWire {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct PropertyWire {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
