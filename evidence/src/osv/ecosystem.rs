//! OSV ecosystem names, and vouch's own names for them.

use std::fmt;

use serde::{Serialize, Serializer};

use super::distro::Distro;
use super::version::{Query, Scheme};

/// The ecosystem names the OSV schema defines (`validation/schema.json`,
/// `ecosystemWithSuffix`), each of which may carry a `:suffix`.
const OSV_ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpaquita",
    "Alpine",
    "Android",
    "Azure Linux",
    "BellSoft Hardened Containers",
    "Bioconductor",
    "Bitnami",
    "Chainguard",
    "CleanStart",
    "ConanCenter",
    "CRAN",
    "crates.io",
    "Debian",
    "Docker Hardened Images",
    "Echo",
    "FreeBSD",
    "GHC",
    "GIT",
    "GitHub Actions",
    "Go",
    "Hackage",
    "Hex",
    "Julia",
    "Kubernetes",
    "Linux",
    "Mageia",
    "Maven",
    "MinimOS",
    "npm",
    "NuGet",
    "opam",
    "openEuler",
    "openSUSE",
    "OSS-Fuzz",
    "Packagist",
    "Photon OS",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "Root",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "TuxCare",
    "Ubuntu",
    "VSCode",
    "Wolfi",
];

/// An OSV ecosystem name.
///
/// Only names the OSV schema defines are accepted, with an optional
/// `:suffix` ("Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.19"): a record
/// naming an ecosystem no database uses ("cargo", "crates-io", "pip") could
/// never match anything, so it is refused rather than silently ignored. The
/// five language ecosystems whose version order vouch implements have their
/// own variants, the distributions whose order it implements share
/// [`Ecosystem::Distro`]; every other valid name is kept verbatim in
/// [`Ecosystem::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// `crates.io`: Rust crates, SemVer order.
    CratesIo,
    /// `npm`: Node packages, SemVer order.
    Npm,
    /// `PyPI`: Python distributions, PEP 440 order, PEP 503 names.
    PyPI,
    /// `Go`: Go modules, SemVer order with a leading `v`.
    Go,
    /// `RubyGems`: Ruby gems, `Gem::Version` order.
    RubyGems,
    /// A distribution's packages, named with the distribution's release as
    /// OSV spells it ("Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.19",
    /// "Red Hat:enterprise_linux:9::appstream", "Wolfi"): the whole name is
    /// kept, and two names match only when they are equal, so a record of
    /// one release never matches another's packages. Ordered in the
    /// distribution's version order (see [`Distro`]).
    Distro(Distro, String),
    /// Any other OSV ecosystem, with its suffix: matched by `versions[]` only.
    Other(String),
}

impl Ecosystem {
    /// Parses an OSV ecosystem name, refusing names the schema does not
    /// define, so that a typo in a record or a query is an error rather than
    /// a package that never matches.
    pub fn parse(name: &str) -> std::result::Result<Ecosystem, String> {
        match name {
            "crates.io" => return Ok(Ecosystem::CratesIo),
            "npm" => return Ok(Ecosystem::Npm),
            "PyPI" => return Ok(Ecosystem::PyPI),
            "Go" => return Ok(Ecosystem::Go),
            "RubyGems" => return Ok(Ecosystem::RubyGems),
            _ => {}
        }
        let (base, suffix) = match name.split_once(':') {
            Some((base, suffix)) => (base, Some(suffix)),
            None => (name, None),
        };
        if !OSV_ECOSYSTEMS.contains(&base) || suffix == Some("") {
            Err(format!(
                "unknown OSV ecosystem {name:?} (OSV names: crates.io, npm, PyPI, Go, Maven, ...)"
            ))
        } else if let Some(distro) = Distro::from_osv(base) {
            Ok(Ecosystem::Distro(distro, name.to_owned()))
        } else {
            Ok(Ecosystem::Other(name.to_owned()))
        }
    }

    /// The name as OSV spells it: "crates.io", "npm", "PyPI", "Go", "RubyGems", or the
    /// other name with its suffix.
    pub fn as_str(&self) -> &str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Distro(_, name) | Ecosystem::Other(name) => name,
        }
    }

    /// From vouch's own ecosystem names as recorded in inputs ("cargo",
    /// "npm", "pip", "go", "gem"), so that attested inputs can be looked up; None
    /// for "bazel", "generic" and anything unknown, which have no OSV
    /// package ecosystem (see [`Record::affects_repo`]).
    pub fn from_vouch(name: &str) -> Option<Ecosystem> {
        match name {
            "cargo" => Some(Ecosystem::CratesIo),
            "npm" => Some(Ecosystem::Npm),
            "pip" => Some(Ecosystem::PyPI),
            "go" => Some(Ecosystem::Go),
            "gem" => Some(Ecosystem::RubyGems),
            _ => None,
        }
    }

    /// From a purl type ("cargo", "npm", "pypi", "golang", "gem"), so that inputs
    /// known only by their purl (SBOM components) can be looked up; None
    /// for other types.
    pub fn from_purl_type(t: &str) -> Option<Ecosystem> {
        match t {
            "cargo" => Some(Ecosystem::CratesIo),
            "npm" => Some(Ecosystem::Npm),
            "pypi" => Some(Ecosystem::PyPI),
            "golang" => Some(Ecosystem::Go),
            "gem" => Some(Ecosystem::RubyGems),
            _ => None,
        }
    }

    /// The package name as the ecosystem compares it: PyPI names are
    /// normalised per PEP 503 (lowercase, runs of `-`, `_` and `.` become
    /// one `-`), because `Jinja2`, `jinja2` and `jinja_2`... name one
    /// distribution there; Go, npm and crates.io names are compared exactly.
    pub fn normalize_name(&self, name: &str) -> String {
        if *self != Ecosystem::PyPI {
            return name.to_owned();
        }
        let mut out = String::with_capacity(name.len());
        let mut in_separator_run = false;
        for c in name.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !in_separator_run {
                    out.push('-');
                }
                in_separator_run = true;
            } else {
                out.extend(c.to_lowercase());
                in_separator_run = false;
            }
        }
        out
    }

    /// Checks that `version` is a version in this ecosystem's order, as
    /// [`Database::lookup`] parses it: the error says why not (`"abc" is
    /// not a valid PEP 440 version`). Any string is a version of an
    /// ecosystem vouch does not order.
    pub fn check_version(&self, version: &str) -> std::result::Result<(), String> {
        Query::new(self, version).map(|_| ())
    }

    /// Compares two versions in this ecosystem's order (RubyGems'
    /// `Gem::Version` for `RubyGems`, PEP 440 for PyPI, ...), for callers
    /// that weigh one version against another outside a record (`vouch
    /// unbundle`'s plan); the error says which does not parse, or that
    /// vouch does not order this ecosystem.
    pub fn compare(&self, a: &str, b: &str) -> std::result::Result<std::cmp::Ordering, String> {
        let scheme = self
            .scheme()
            .ok_or_else(|| format!("vouch does not order {} versions", self.as_str()))?;
        Ok(scheme.parse_why(a)?.cmp(&scheme.parse_why(b)?))
    }

    /// The version order of `ECOSYSTEM` ranges of this ecosystem, if vouch
    /// implements it.
    pub(super) fn scheme(&self) -> Option<Scheme> {
        match self {
            Ecosystem::CratesIo | Ecosystem::Npm | Ecosystem::Go => Some(Scheme::SemVer),
            Ecosystem::PyPI => Some(Scheme::Pep440),
            Ecosystem::RubyGems => Some(Scheme::RubyGems),
            Ecosystem::Distro(distro, _) => Some(distro.scheme()),
            Ecosystem::Other(_) => None,
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Ecosystem {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
