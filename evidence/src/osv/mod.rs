//! OSV vulnerability records, validated, and matched with each ecosystem's
//! own version order.
//!
//! [OSV](https://ossf.github.io/osv-schema/) is the one format every
//! advisory database vouch reads exports (GitHub, RustSec, PyPA, the Go
//! vulnerability database, osv.dev itself). A record is parsed in two steps:
//! the JSON shape first (wire types, unknown fields allowed because the
//! schema grows), then a validation pass that produces [`Record`], whose
//! event versions are known to parse in the order they will be compared in.
//! A record that would only fail at match time is refused at load time,
//! naming the file and the field, so a bad database is noticed once rather
//! than as a scan that silently matches nothing.
//!
//! Version order, per the schema's `affected[].ranges[].type`:
//! - `SEMVER` ranges always compare SemVer 2.0 precedence (build metadata
//!   ignored; a leading `v` tolerated, as Go writes versions);
//! - `ECOSYSTEM` ranges compare in the package's ecosystem order: SemVer for
//!   crates.io, npm and Go (Go pseudo-versions are SemVer prereleases and
//!   order correctly), PEP 440 for PyPI, `Gem::Version`'s for RubyGems
//!   (checked against Ruby's own), dpkg's for Debian and Ubuntu,
//!   RPM's for Red Hat, SUSE, openSUSE, Rocky Linux, AlmaLinux (and Azure
//!   Linux, Mageia, openEuler), apk's for Alpine, Wolfi and Chainguard
//!   ([`Distro`]; each checked against the distribution's own tool). Other
//!   ecosystems have orders vouch does not implement (Maven, NuGet, ...):
//!   their `ECOSYSTEM` ranges are ignored and only `versions[]` membership
//!   (the exact string) matches, which is what osv.dev's expanded
//!   `versions[]` lists are for;
//! - `GIT` ranges need the repository's commit graph, which vouch does not
//!   have: [`Record::affects`] ignores them, and [`Record::affects_repo`]
//!   matches inputs without a package ecosystem by repository and tag via
//!   the record's `versions[]`, and [`Record::affects_cpe`] matches them
//!   by the CPE osv.dev's NVD conversion attaches to the range.
//!
//! Pure: bytes in, answers out; reading a directory or a zip is the
//! caller's business.
//!
//! The module's parts: [`Ecosystem`] names and [`Severity`] bands; the
//! distributions ([`Distro`]: which names their records use, which of their
//! ecosystems an image's [`OsRelease`] selects) and their version orders
//! (`dpkg`, `rpm`, `apk`); the
//! JSON shape (`wire`) and the validated [`Record`]; each ecosystem's
//! version order and the evaluation of ranges (`version`); how
//! repositories and CPEs are compared (`names`); and the indexed
//! [`Database`].

/// Implements `PartialOrd`, `PartialEq` and `Eq` from a version type's
/// `Ord`: two versions are equal when their order says so (dpkg's `1.0`
/// and `1.00`, RPM's `1.01` and `1.1`), whatever their spelling.
macro_rules! order_is_equality {
    ($version:ty) => {
        impl PartialOrd for $version {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl PartialEq for $version {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == std::cmp::Ordering::Equal
            }
        }

        impl Eq for $version {}
    };
}

mod apk;
mod database;
mod distro;
mod dpkg;
mod ecosystem;
mod gem;
mod lookup;
mod names;
mod record;
mod rpm;
mod severity;
mod version;
mod wire;

pub use database::Database;
pub use distro::{Distro, OsRelease};
pub use ecosystem::Ecosystem;
pub use lookup::{
    cpe_key, index_keys, package_key, repo_key, select_cpe, select_package, select_repo, Found,
    Lookup,
};
pub use names::cpe_names_other_version;
pub use record::{Affected, Event, Package, Range, RangeKind, Record};
pub use severity::Severity;

#[cfg(test)]
mod distro_tests;
#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;
