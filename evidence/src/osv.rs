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
//!   order correctly), PEP 440 for PyPI. Other ecosystems have orders vouch
//!   does not implement (Debian, RPM, Maven, ...): their `ECOSYSTEM` ranges
//!   are ignored and only `versions[]` membership (the exact string)
//!   matches, which is what osv.dev's expanded `versions[]` lists are for;
//! - `GIT` ranges need the repository's commit graph, which vouch does not
//!   have: [`Record::affects`] ignores them, and [`Record::affects_repo`]
//!   matches inputs without a package ecosystem by repository and tag via
//!   the record's `versions[]`, and [`Record::affects_cpe`] matches them
//!   by the CPE osv.dev's NVD conversion attaches to the range.
//!
//! Pure: bytes in, answers out; reading a directory or a zip is the
//! caller's business.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use crate::{Error, Result};

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
/// four ecosystems whose version order vouch implements have their own
/// variants; every other valid name is kept verbatim in [`Ecosystem::Other`].
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
            _ => {}
        }
        let (base, suffix) = match name.split_once(':') {
            Some((base, suffix)) => (base, Some(suffix)),
            None => (name, None),
        };
        if OSV_ECOSYSTEMS.contains(&base) && suffix != Some("") {
            Ok(Ecosystem::Other(name.to_owned()))
        } else {
            Err(format!(
                "unknown OSV ecosystem {name:?} (OSV names: crates.io, npm, PyPI, Go, Maven, ...)"
            ))
        }
    }

    /// The name as OSV spells it: "crates.io", "npm", "PyPI", "Go", or the
    /// other name with its suffix.
    pub fn as_str(&self) -> &str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
            Ecosystem::Other(name) => name,
        }
    }

    /// From vouch's own ecosystem names as recorded in inputs ("cargo",
    /// "npm", "pip", "go"), so that attested inputs can be looked up; None
    /// for "bazel", "generic" and anything unknown, which have no OSV
    /// package ecosystem (see [`Record::affects_repo`]).
    pub fn from_vouch(name: &str) -> Option<Ecosystem> {
        match name {
            "cargo" => Some(Ecosystem::CratesIo),
            "npm" => Some(Ecosystem::Npm),
            "pip" => Some(Ecosystem::PyPI),
            "go" => Some(Ecosystem::Go),
            _ => None,
        }
    }

    /// From a purl type ("cargo", "npm", "pypi", "golang"), so that inputs
    /// known only by their purl (SBOM components) can be looked up; None
    /// for other types.
    pub fn from_purl_type(t: &str) -> Option<Ecosystem> {
        match t {
            "cargo" => Some(Ecosystem::CratesIo),
            "npm" => Some(Ecosystem::Npm),
            "pypi" => Some(Ecosystem::PyPI),
            "golang" => Some(Ecosystem::Go),
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

    /// The version order of `ECOSYSTEM` ranges of this ecosystem, if vouch
    /// implements it.
    fn scheme(&self) -> Option<Scheme> {
        match self {
            Ecosystem::CratesIo | Ecosystem::Npm | Ecosystem::Go => Some(Scheme::SemVer),
            Ecosystem::PyPI => Some(Scheme::Pep440),
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

/// Qualitative severity, ordered None < Low < Medium < High < Critical, so
/// that a policy threshold is a comparison.
///
/// Parsed from the lowercase names and from GHSA's `MODERATE` (= Medium),
/// case-insensitively, because GHSA records carry that word in
/// `database_specific.severity`; displayed lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Severity {
    /// CVSS 0.0: no impact.
    None,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9 (GHSA: MODERATE).
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// The CVSS v3/v4 qualitative band of a base score: 0 none, 0.1–3.9 low,
    /// 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical. A score that is not
    /// a number is None rather than a guess.
    pub fn from_score(score: f64) -> Severity {
        if score.is_nan() {
            return Severity::None;
        }
        cvss::v3::Score::new(score).severity().into()
    }

    /// The lowercase name, as displayed and serialised.
    fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl From<cvss::Severity> for Severity {
    fn from(severity: cvss::Severity) -> Self {
        match severity {
            cvss::Severity::None => Severity::None,
            cvss::Severity::Low => Severity::Low,
            cvss::Severity::Medium => Severity::Medium,
            cvss::Severity::High => Severity::High,
            cvss::Severity::Critical => Severity::Critical,
        }
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Severity::None),
            "low" => Ok(Severity::Low),
            "medium" | "moderate" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity {s:?} (known: none, low, medium or moderate, high, critical)"
            )),
        }
    }
}

impl TryFrom<String> for Severity {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, String> {
        s.parse()
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validated OSV record: what a scan reports and what matching needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// The record's id, e.g. "RUSTSEC-2021-0003" or "GHSA-43w2-9j62-hq99".
    pub id: String,
    /// Other ids of the same vulnerability (CVE, GHSA, ...), which VEX
    /// statements may name instead of `id`.
    pub aliases: Vec<String>,
    /// `summary`, else the first non-blank line of `details` cut to 200
    /// characters: one line for a table.
    pub summary: Option<String>,
    /// When the record last changed (RFC 3339; required by the schema):
    /// of two records with one id, the later one is kept.
    pub modified: String,
    /// When the record was published (RFC 3339), if it says.
    pub published: Option<String>,
    /// When the record was withdrawn (RFC 3339); a withdrawn record never
    /// affects anything.
    pub withdrawn: Option<String>,
    /// The affected packages, ranges and versions.
    pub affected: Vec<Affected>,
    /// The highest CVSS base score among the record's and its affected
    /// entries' `severity[]` that parses, with its vector. CVSS v3 and v4
    /// vectors are preferred; a CVSS v2 vector is used only when there is
    /// no v3 or v4 one, because v2 scores run on another scale.
    pub score: Option<(f64, String)>,
    /// The qualitative severity: the band of `score` in its own CVSS
    /// version's scale when there is a score, else the record's
    /// `database_specific.severity` (GHSA: LOW, MODERATE, HIGH, CRITICAL),
    /// else None: unknown, which callers treat as their policy says.
    pub severity: Option<Severity>,
    /// `references[].url`, for reports.
    pub references: Vec<String>,
}

/// One `affected[]` entry: a package (or, for C/C++ records, none) and the
/// versions of it the vulnerability affects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Affected {
    /// The package; absent in records that only give GIT ranges.
    pub package: Option<Package>,
    /// The affected ranges.
    pub ranges: Vec<Range>,
    /// Versions affected, enumerated; compared as strings for ecosystems
    /// whose order vouch does not implement.
    pub versions: Vec<String>,
}

/// The package an `affected[]` entry is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Package {
    /// Its OSV ecosystem.
    pub ecosystem: Ecosystem,
    /// Its name as the record spells it (compare with
    /// [`Ecosystem::normalize_name`]).
    pub name: String,
    /// Its purl without a version, when the record gives one.
    pub purl: Option<String>,
}

/// How the versions of a range's events are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeKind {
    /// `SEMVER`: SemVer 2.0 precedence, whatever the ecosystem.
    Semver,
    /// `ECOSYSTEM`: the package ecosystem's own order.
    Ecosystem,
    /// `GIT`: commit ids in `repo`'s history.
    Git,
}

/// One `affected[].ranges[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Range {
    /// The range's `type`.
    #[serde(rename = "type")]
    pub kind: RangeKind,
    /// The repository of a GIT range (required for those).
    pub repo: Option<String>,
    /// The events, in record order; at least one is an `introduced`.
    pub events: Vec<Event>,
    /// The CPEs the record's producer attached to this range
    /// (`database_specific.cpe`, osv.dev's NVD conversion), as written, so
    /// that C/C++ inputs known by a CPE can be matched
    /// ([`Record::affects_cpe`]). `database_specific` is free-form in the
    /// schema, so a `cpe` that is not a string or an array of strings is
    /// ignored (empty here), not an error.
    pub cpes: Vec<String>,
}

/// One event of a range: a version where the affected state changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Affected from this version on (inclusive); "0" is before every version.
    Introduced(String),
    /// Not affected from this version on: the fix.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// Nothing at or above this version is in the range; "*" is infinity.
    Limit(String),
}

impl Event {
    /// The event's field name and version.
    fn parts(&self) -> (&'static str, &str) {
        match self {
            Event::Introduced(v) => ("introduced", v),
            Event::Fixed(v) => ("fixed", v),
            Event::LastAffected(v) => ("last_affected", v),
            Event::Limit(v) => ("limit", v),
        }
    }
}

/// The JSON shapes, as the schema writes them. Lists may be `null`.
mod wire {
    use serde::{Deserialize, Deserializer};

    use super::RangeKind;

    fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de> + Default,
    {
        Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
    }

    #[derive(Deserialize)]
    pub(super) struct Record {
        pub id: String,
        pub modified: String,
        #[serde(default)]
        pub published: Option<String>,
        #[serde(default)]
        pub withdrawn: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub aliases: Vec<String>,
        #[serde(default)]
        pub summary: Option<String>,
        #[serde(default)]
        pub details: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        pub severity: Vec<Severity>,
        #[serde(default, deserialize_with = "nullable")]
        pub affected: Vec<Affected>,
        #[serde(default, deserialize_with = "nullable")]
        pub references: Vec<Reference>,
        #[serde(default)]
        pub database_specific: Option<DatabaseSpecific>,
    }

    #[derive(Deserialize)]
    pub(super) struct Severity {
        #[serde(rename = "type")]
        pub kind: String,
        pub score: String,
    }

    /// Only the GHSA severity word is read; its type is not fixed across
    /// databases, so it is kept as a value and used only when a string.
    #[derive(Deserialize)]
    pub(super) struct DatabaseSpecific {
        #[serde(default)]
        pub severity: Option<serde_json::Value>,
    }

    #[derive(Deserialize)]
    pub(super) struct Affected {
        #[serde(default)]
        pub package: Option<Package>,
        #[serde(default, deserialize_with = "nullable")]
        pub severity: Vec<Severity>,
        #[serde(default, deserialize_with = "nullable")]
        pub ranges: Vec<Range>,
        #[serde(default, deserialize_with = "nullable")]
        pub versions: Vec<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct Package {
        pub ecosystem: String,
        pub name: String,
        #[serde(default)]
        pub purl: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct Range {
        #[serde(rename = "type")]
        pub kind: RangeKind,
        #[serde(default)]
        pub repo: Option<String>,
        pub events: Vec<Event>,
        /// Free-form by the schema: kept as a value and read leniently.
        #[serde(default)]
        pub database_specific: Option<serde_json::Value>,
    }

    #[derive(Deserialize)]
    pub(super) struct Event {
        #[serde(default)]
        pub introduced: Option<String>,
        #[serde(default)]
        pub fixed: Option<String>,
        #[serde(default)]
        pub last_affected: Option<String>,
        #[serde(default)]
        pub limit: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct Reference {
        pub url: String,
    }
}

/// A version order vouch implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    SemVer,
    Pep440,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::SemVer => "SemVer",
            Scheme::Pep440 => "PEP 440",
        }
    }

    fn parse(self, version: &str) -> Option<Version> {
        match self {
            Scheme::SemVer => parse_semver(version).map(Version::Sem),
            Scheme::Pep440 => pep440_rs::Version::from_str(version).ok().map(Version::Pep),
        }
    }

    fn invalid(self, version: &str) -> String {
        format!("{version:?} is not a valid {} version", self.name())
    }
}

/// SemVer, tolerating one leading `v` as Go writes its versions.
fn parse_semver(version: &str) -> Option<semver::Version> {
    semver::Version::parse(version.strip_prefix('v').unwrap_or(version)).ok()
}

/// A parsed version. Versions of different schemes never meet in one
/// comparison; the cross-scheme arms only make the order total.
#[derive(Debug, Clone)]
enum Version {
    Sem(semver::Version),
    Pep(pep440_rs::Version),
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            // SemVer precedence ignores build metadata (semver.org §10).
            (Version::Sem(a), Version::Sem(b)) => a.cmp_precedence(b),
            (Version::Pep(a), Version::Pep(b)) => a.cmp(b),
            (Version::Sem(_), Version::Pep(_)) => Ordering::Less,
            (Version::Pep(_), Version::Sem(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// An event's version: "0" below everything, a limit's "*" above.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Bound {
    Zero,
    At(Version),
    Infinity,
}

impl Bound {
    /// Parses an event's version in `scheme`, with the schema's special
    /// values; the error says why, for the caller to prefix with the field.
    fn parse(event: &Event, scheme: Scheme) -> std::result::Result<Bound, String> {
        match event {
            Event::Introduced(v) if v == "0" => return Ok(Bound::Zero),
            Event::Limit(v) if v.contains('*') => return Ok(Bound::Infinity),
            _ => {}
        }
        let (_, v) = event.parts();
        scheme
            .parse(v)
            .map(Bound::At)
            .ok_or_else(|| scheme.invalid(v))
    }

    /// `v < self`.
    fn above(&self, v: &Version) -> bool {
        match self {
            Bound::Zero => false,
            Bound::At(b) => v < b,
            Bound::Infinity => true,
        }
    }

    /// `v > self`.
    fn below(&self, v: &Version) -> bool {
        match self {
            Bound::Zero => true,
            Bound::At(b) => v > b,
            Bound::Infinity => false,
        }
    }
}

/// A version being looked up, parsed once in each order a range may need.
struct Query<'a> {
    raw: &'a str,
    /// The ecosystem's own order, when vouch implements it.
    scheme: Option<Scheme>,
    /// The version in SemVer, for SEMVER ranges (and the ecosystem order of
    /// crates.io, npm and Go).
    semver: Option<Version>,
    /// The version in PEP 440, for PyPI's ECOSYSTEM ranges.
    pep440: Option<Version>,
}

impl<'a> Query<'a> {
    /// Parses `version` in `ecosystem`'s order, failing when it is not a
    /// version there: a typo in an input must not read as "not affected".
    fn new(ecosystem: &Ecosystem, version: &'a str) -> std::result::Result<Self, String> {
        let scheme = ecosystem.scheme();
        let semver = Scheme::SemVer.parse(version);
        let pep440 = match scheme {
            Some(Scheme::Pep440) => Some(
                Scheme::Pep440
                    .parse(version)
                    .ok_or_else(|| Scheme::Pep440.invalid(version))?,
            ),
            Some(Scheme::SemVer) if semver.is_none() => {
                return Err(Scheme::SemVer.invalid(version));
            }
            _ => None,
        };
        Ok(Query {
            raw: version,
            scheme,
            semver,
            pep440,
        })
    }

    /// The order a range is compared in, and the version in it; None when
    /// the range cannot be evaluated for this version (GIT; ECOSYSTEM of an
    /// ecosystem vouch does not order; SEMVER for a version that is not
    /// SemVer, e.g. a PEP 440 pre-release).
    fn in_range_order(&self, kind: RangeKind) -> Option<(Scheme, &Version)> {
        let scheme = match kind {
            RangeKind::Semver => Scheme::SemVer,
            RangeKind::Ecosystem => self.scheme?,
            RangeKind::Git => return None,
        };
        let version = match scheme {
            Scheme::SemVer => self.semver.as_ref()?,
            Scheme::Pep440 => self.pep440.as_ref()?,
        };
        Some((scheme, version))
    }

    /// Whether `listed` (a `versions[]` entry) is this version: equal in
    /// the ecosystem's order when both parse (so Go's "v1.2.3" is "1.2.3"
    /// and PyPI's "2.0" is "2.0.0"), else the same string.
    fn is(&self, listed: &str) -> bool {
        if listed == self.raw {
            return true;
        }
        let mine = match self.scheme {
            Some(Scheme::SemVer) => self.semver.as_ref(),
            Some(Scheme::Pep440) => self.pep440.as_ref(),
            None => None,
        };
        match (self.scheme, mine) {
            (Some(scheme), Some(mine)) => scheme.parse(listed).is_some_and(|l| &l == mine),
            _ => false,
        }
    }
}

/// Evaluates one range for `v`, per the schema's "Evaluation" pseudo-code:
/// outside every limit is not affected; otherwise walk the events sorted by
/// version ("0" first; at one version an `introduced` before the others, so
/// an empty `[x, x)` stays empty), `introduced` <= v sets affected, `fixed`
/// <= v or `last_affected` < v clears it. Returns whether `v` is affected
/// and the `fixed` versions above `v` (the upgrades that fix it), or the
/// field-relative path and reason of an event that does not parse.
fn evaluate(
    events: &[Event],
    scheme: Scheme,
    v: &Version,
) -> std::result::Result<(bool, Vec<(Version, String)>), String> {
    let mut bounds = Vec::with_capacity(events.len());
    for (k, event) in events.iter().enumerate() {
        let bound = Bound::parse(event, scheme)
            .map_err(|why| format!("events[{k}].{}: {why}", event.parts().0))?;
        bounds.push((event, bound));
    }
    let mut limits = bounds
        .iter()
        .filter(|(event, _)| matches!(event, Event::Limit(_)))
        .peekable();
    let before_limits = limits.peek().is_none() || limits.any(|(_, limit)| limit.above(v));
    let mut fixes = Vec::new();
    for (event, bound) in &bounds {
        if let (Event::Fixed(raw), Bound::At(fixed)) = (event, bound) {
            if fixed > v {
                fixes.push((fixed.clone(), raw.clone()));
            }
        }
    }
    if !before_limits {
        return Ok((false, fixes));
    }
    bounds.sort_by(|(a, x), (b, y)| {
        x.cmp(y).then_with(|| {
            let rank = |e: &Event| u8::from(!matches!(e, Event::Introduced(_)));
            rank(a).cmp(&rank(b))
        })
    });
    let mut affected = false;
    for (event, bound) in &bounds {
        match event {
            Event::Introduced(_) if !bound.above(v) => affected = true,
            Event::Fixed(_) if !bound.above(v) => affected = false,
            Event::LastAffected(_) if bound.below(v) => affected = false,
            _ => {}
        }
    }
    Ok((affected, fixes))
}

/// A repository URL as compared: lowercase, without scheme (http or
/// https), trailing "/" or ".git".
fn normalize_repo(repo: &str) -> String {
    let lower = repo.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    rest.trim_end_matches('/').to_owned()
}

/// A version or tag as compared with `versions[]` entries of ranges vouch
/// cannot order (GIT): without one leading "v", so tag "v1.3" is "1.3".
/// Whether `cpe` names a concrete version that is not `version` (compared
/// as [`Record::affects_cpe`] does, a leading "v" ignored): the two
/// statements of an input's version disagree, and no record can match it
/// by that CPE.
pub fn cpe_names_other_version(cpe: &str, version: &str) -> bool {
    parse_cpe(cpe)
        .and_then(|c| c.version)
        .is_some_and(|named| bare_version(&named) != bare_version(version))
}

fn bare_version(version: &str) -> &str {
    version.strip_prefix('v').unwrap_or(version)
}

/// The CPEs of a range's `database_specific.cpe`: a string, or an array of
/// strings; anything else (absent, another type, an array holding a
/// non-string) is none, because `database_specific` is free-form.
fn range_cpes(database_specific: Option<&serde_json::Value>) -> Vec<String> {
    match database_specific.and_then(|d| d.get("cpe")) {
        Some(serde_json::Value::String(cpe)) => vec![cpe.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A CPE reduced for matching: `part:vendor:product`, lowercased and
/// unquoted, with the version it names when it names one.
#[derive(Debug, PartialEq, Eq)]
struct CpeName {
    /// `part:vendor:product`, the index key.
    key: String,
    /// The version field when concrete (not ANY `*`/empty, not NA `-`).
    version: Option<String>,
}

/// Reduces a CPE 2.3 formatted string (`cpe:2.3:a:vendor:product:version:
/// ...`, fields split at unescaped ":", "\" quoting removed) or a CPE 2.2
/// URI (`cpe:/a:vendor:product:version...`, "%xx" decoded) to a
/// [`CpeName`]. None for anything else, and for a part other than a, o or
/// h or a vendor or product that is empty or a wildcard, since such a CPE
/// names no one product and must never match.
fn parse_cpe(cpe: &str) -> Option<CpeName> {
    let lower = cpe.trim().to_lowercase();
    let fields: Vec<String> = if let Some(rest) = lower.strip_prefix("cpe:2.3:") {
        let mut fields = vec![String::new()];
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => fields.last_mut()?.push(chars.next()?),
                ':' => fields.push(String::new()),
                c => fields.last_mut()?.push(c),
            }
        }
        fields
    } else if let Some(rest) = lower.strip_prefix("cpe:/") {
        rest.split(':').map(percent_decode).collect::<Option<_>>()?
    } else {
        return None;
    };
    let [part, vendor, product, rest @ ..] = fields.as_slice() else {
        return None;
    };
    let names_one = |f: &str| !f.is_empty() && !f.contains(['*', '?']) && f != "-";
    if !matches!(part.as_str(), "a" | "o" | "h") || !names_one(vendor) || !names_one(product) {
        return None;
    }
    let version = rest
        .first()
        .filter(|v| !v.is_empty() && *v != "*" && *v != "-")
        .cloned();
    Some(CpeName {
        key: format!("{part}:{vendor}:{product}"),
        version,
    })
}

/// Decodes "%xx" escapes (of a CPE 2.2 URI component, or a purl
/// segment); None when one is not two hex digits or the bytes are not
/// UTF-8.
pub fn percent_decode(field: &str) -> Option<String> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Checks an RFC 3339 timestamp field.
fn timestamp(field: &str, value: &str) -> std::result::Result<jiff::Timestamp, String> {
    value
        .parse::<jiff::Timestamp>()
        .map_err(|_| format!("{field}: {value:?} is not an RFC 3339 timestamp"))
}

/// The first non-blank line of `details`, cut to 200 characters.
fn first_line(details: &str) -> Option<String> {
    let line = details.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.chars().take(200).collect())
}

/// The best CVSS score among `severities`: the highest v3/v4 one, else the
/// highest v2 one, with its severity in its own version's scale.
fn best_score<'a>(
    severities: impl Iterator<Item = &'a wire::Severity>,
) -> Option<(f64, String, Severity)> {
    let mut best: Option<(bool, f64, String, Severity)> = None;
    for s in severities {
        if !matches!(s.kind.as_str(), "CVSS_V2" | "CVSS_V3" | "CVSS_V4") {
            continue;
        }
        let Ok(vector) = s.score.trim().parse::<cvss::Cvss>() else {
            continue;
        };
        let modern = !matches!(vector, cvss::Cvss::CvssV20(_));
        let score = vector.score();
        let better = match &best {
            None => true,
            Some((best_modern, best_score, ..)) => {
                (modern, score).partial_cmp(&(*best_modern, *best_score)) == Some(Ordering::Greater)
            }
        };
        if better {
            best = Some((modern, score, s.score.clone(), vector.severity().into()));
        }
    }
    best.map(|(_, score, vector, severity)| (score, vector, severity))
}

impl Record {
    /// Parses one record. `source` names where the bytes came from (a file
    /// path, a zip member) and every error names it with the field path,
    /// e.g. `invalid OSV record in osv/RUSTSEC-2021-0003.json:
    /// affected[0].ranges[1].events[2].fixed: "1.x.y" is not a valid SemVer
    /// version`.
    ///
    /// Unknown fields are allowed (the schema grows); missing `id` or
    /// `modified` are errors; a repeated key is refused (it would mean two
    /// things to two readers); nesting is capped by serde_json's recursion
    /// limit (128). Validated here so that matching cannot fail later: the
    /// timestamps are RFC 3339; every event version of a SEMVER range is
    /// SemVer (a leading "v" tolerated); ECOSYSTEM-range versions of
    /// crates.io, npm and Go are SemVer and of PyPI PEP 440; "introduced"
    /// may be "0" and "limit" "*"; each event holds exactly one of
    /// introduced, fixed, last_affected, limit; each range has an
    /// `introduced`; a GIT range has a `repo`; ecosystems are OSV names.
    pub fn from_json(source: &str, bytes: &[u8]) -> Result<Record> {
        let fail = |reason: String| Error::invalid(format!("OSV record in {source}"), reason);
        crate::json::check_unique_keys(bytes, "OSV record").map_err(|e| {
            fail(match e {
                Error::Json { error: json, .. } => json.to_string(),
                other => other.to_string(),
            })
        })?;
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let wire: wire::Record =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                fail(if path == "." {
                    inner.to_string()
                } else {
                    format!("{path}: {inner}")
                })
            })?;
        Record::validate(wire).map_err(fail)
    }

    /// Converts the wire shape into a [`Record`], or says which field is
    /// wrong and why.
    fn validate(wire: wire::Record) -> std::result::Result<Record, String> {
        if wire.id.trim().is_empty() {
            return Err("id: is empty".to_owned());
        }
        timestamp("modified", &wire.modified)?;
        if let Some(published) = &wire.published {
            timestamp("published", published)?;
        }
        if let Some(withdrawn) = &wire.withdrawn {
            timestamp("withdrawn", withdrawn)?;
        }
        let mut affected = Vec::with_capacity(wire.affected.len());
        for (i, a) in wire.affected.iter().enumerate() {
            affected.push(Affected::validate(a, i)?);
        }
        let (score, cvss_severity) = match best_score(
            wire.severity
                .iter()
                .chain(wire.affected.iter().flat_map(|a| &a.severity)),
        ) {
            Some((score, vector, severity)) => (Some((score, vector)), Some(severity)),
            None => (None, None),
        };
        let ghsa_severity = wire
            .database_specific
            .as_ref()
            .and_then(|d| d.severity.as_ref())
            .and_then(|s| s.as_str())
            .and_then(|s| s.parse().ok());
        let summary = wire
            .summary
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .or_else(|| wire.details.as_deref().and_then(first_line));
        Ok(Record {
            id: wire.id,
            aliases: wire.aliases,
            summary,
            modified: wire.modified,
            published: wire.published,
            withdrawn: wire.withdrawn,
            affected,
            score,
            severity: cvss_severity.or(ghsa_severity),
            references: wire.references.into_iter().map(|r| r.url).collect(),
        })
    }

    /// Whether `version` of the package (`ecosystem`, `name`; names compared
    /// normalised) is affected per this record, following the OSV
    /// evaluation algorithm (introduced, fixed, last_affected, limit;
    /// `versions[]` membership; GIT ranges ignored).
    ///
    /// Some(the `fixed` versions above `version` listed by the matching
    /// entries' ranges, lowest first, possibly empty) when affected, None
    /// when not. An unparsable `version` is an error naming it, e.g.
    /// `"abc" is not a valid PEP 440 version`. A withdrawn record never
    /// affects anything.
    pub fn affects(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
        version: &str,
    ) -> std::result::Result<Option<Vec<String>>, String> {
        let query = Query::new(ecosystem, version)?;
        self.affects_query(ecosystem, &ecosystem.normalize_name(name), &query)
    }

    /// [`Record::affects`] with the name normalised and the version parsed.
    fn affects_query(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
        query: &Query<'_>,
    ) -> std::result::Result<Option<Vec<String>>, String> {
        if self.withdrawn.is_some() {
            return Ok(None);
        }
        let mut affected = false;
        let mut fixes: Vec<(Version, String)> = Vec::new();
        for (i, entry) in self.affected.iter().enumerate() {
            let Some(package) = &entry.package else {
                continue;
            };
            if package.ecosystem != *ecosystem || ecosystem.normalize_name(&package.name) != name {
                continue;
            }
            let mut hit = entry.versions.iter().any(|listed| query.is(listed));
            let mut entry_fixes = Vec::new();
            for (j, range) in entry.ranges.iter().enumerate() {
                let Some((scheme, v)) = query.in_range_order(range.kind) else {
                    continue;
                };
                let (in_range, range_fixes) = evaluate(&range.events, scheme, v)
                    .map_err(|why| format!("{}: affected[{i}].ranges[{j}].{why}", self.id))?;
                hit |= in_range;
                entry_fixes.extend(range_fixes);
            }
            if hit {
                affected = true;
                fixes.extend(entry_fixes);
            }
        }
        if !affected {
            return Ok(None);
        }
        fixes.sort();
        let mut out: Vec<String> = Vec::with_capacity(fixes.len());
        for (_, raw) in fixes {
            if !out.contains(&raw) {
                out.push(raw);
            }
        }
        Ok(Some(out))
    }

    /// For inputs with no package ecosystem (C/C++ vendored by Bazel or by
    /// hand), which OSV describes by GIT ranges plus the affected tags in
    /// `versions[]`: affected when an `affected[]` entry has a GIT range
    /// whose `repo` is `repo` (compared case-insensitively, ignoring a
    /// trailing ".git" and "/", and http vs https) and its `versions[]`
    /// holds `version` (also with or without a leading "v": tag "v1.3" is
    /// version "1.3"). Returns the `fixed` events of those ranges (commit
    /// ids) as the fix hints. A withdrawn record never affects anything.
    pub fn affects_repo(&self, repo: &str, version: &str) -> Option<Vec<String>> {
        if self.withdrawn.is_some() {
            return None;
        }
        let repo = normalize_repo(repo);
        self.affects_listed(version, |range| {
            range.kind == RangeKind::Git
                && range
                    .repo
                    .as_deref()
                    .is_some_and(|r| normalize_repo(r) == repo)
        })
    }

    /// For inputs with no package ecosystem known by a CPE (C/C++ vendored
    /// by Bazel or by hand), which osv.dev's NVD-derived records describe
    /// by the CPE in a range's `database_specific.cpe` ([`Range::cpes`])
    /// plus the affected tags in `versions[]`: affected when an
    /// `affected[]` entry has a range carrying a CPE with the same
    /// `part:vendor:product` as `cpe` (case-insensitively; CPE 2.3
    /// formatted strings and CPE 2.2 URIs both accepted, anything else never
    /// matches) and its `versions[]` holds `version` (with or without a
    /// leading "v"). When `cpe` names a concrete version (its version field
    /// is not `*`, `-` or empty), it must be `version` too, else nothing
    /// matches: the caller's two statements of the version disagree.
    /// Returns the `fixed` events of those ranges as the fix hints, as
    /// [`Record::affects_repo`] does. A withdrawn record never affects
    /// anything.
    pub fn affects_cpe(&self, cpe: &str, version: &str) -> Option<Vec<String>> {
        if self.withdrawn.is_some() {
            return None;
        }
        let wanted = parse_cpe(cpe)?;
        if let Some(named) = &wanted.version {
            if bare_version(named) != bare_version(version) {
                return None;
            }
        }
        self.affects_listed(version, |range| {
            range
                .cpes
                .iter()
                .any(|c| parse_cpe(c).is_some_and(|c| c.key == wanted.key))
        })
    }

    /// The matching shared by [`Record::affects_repo`] and
    /// [`Record::affects_cpe`]: Some(the deduplicated `fixed` events of the
    /// ranges `names_input` accepts, in record order) when an `affected[]`
    /// entry lists `version` (with or without a leading "v") in
    /// `versions[]` and has such a range; None otherwise.
    fn affects_listed(
        &self,
        version: &str,
        names_input: impl Fn(&Range) -> bool,
    ) -> Option<Vec<String>> {
        let wanted = bare_version(version);
        let mut fixes: Option<Vec<String>> = None;
        for entry in &self.affected {
            if !entry
                .versions
                .iter()
                .any(|listed| bare_version(listed) == wanted)
            {
                continue;
            }
            for range in entry.ranges.iter().filter(|r| names_input(r)) {
                let found = fixes.get_or_insert_with(Vec::new);
                for event in &range.events {
                    if let Event::Fixed(commit) = event {
                        if !found.contains(commit) {
                            found.push(commit.clone());
                        }
                    }
                }
            }
        }
        fixes
    }
}

impl Affected {
    /// Validates `affected[i]`.
    fn validate(wire: &wire::Affected, i: usize) -> std::result::Result<Affected, String> {
        let package = match &wire.package {
            Some(p) => Some(Package {
                ecosystem: Ecosystem::parse(&p.ecosystem)
                    .map_err(|why| format!("affected[{i}].package.ecosystem: {why}"))?,
                name: p.name.clone(),
                purl: p.purl.clone(),
            }),
            None => None,
        };
        let ecosystem_scheme = package.as_ref().and_then(|p| p.ecosystem.scheme());
        let mut ranges = Vec::with_capacity(wire.ranges.len());
        for (j, r) in wire.ranges.iter().enumerate() {
            let at = format!("affected[{i}].ranges[{j}]");
            let mut events = Vec::with_capacity(r.events.len());
            for (k, e) in r.events.iter().enumerate() {
                let set: Vec<Event> = [
                    e.introduced.clone().map(Event::Introduced),
                    e.fixed.clone().map(Event::Fixed),
                    e.last_affected.clone().map(Event::LastAffected),
                    e.limit.clone().map(Event::Limit),
                ]
                .into_iter()
                .flatten()
                .collect();
                let [event] = <[Event; 1]>::try_from(set).map_err(|_| {
                    format!(
                        "{at}.events[{k}]: must hold exactly one of introduced, fixed, \
                         last_affected, limit"
                    )
                })?;
                events.push(event);
            }
            if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
                return Err(format!("{at}.events: has no \"introduced\" event"));
            }
            let scheme = match r.kind {
                RangeKind::Semver => Some(Scheme::SemVer),
                RangeKind::Ecosystem => ecosystem_scheme,
                RangeKind::Git => {
                    if r.repo.as_deref().is_none_or(|repo| repo.trim().is_empty()) {
                        return Err(format!("{at}.repo: a GIT range needs a repo"));
                    }
                    None
                }
            };
            if let Some(scheme) = scheme {
                for (k, event) in events.iter().enumerate() {
                    Bound::parse(event, scheme)
                        .map_err(|why| format!("{at}.events[{k}].{}: {why}", event.parts().0))?;
                }
            }
            ranges.push(Range {
                kind: r.kind,
                repo: r.repo.clone(),
                events,
                cpes: range_cpes(r.database_specific.as_ref()),
            });
        }
        Ok(Affected {
            package,
            ranges,
            versions: wire.versions.clone(),
        })
    }
}

/// An in-memory OSV database: records indexed by (ecosystem, normalised
/// package name), plus the ones with GIT ranges by repository and the ones
/// with range CPEs by `part:vendor:product`, so that a scan of many inputs
/// looks each up directly.
#[derive(Debug, Default)]
pub struct Database {
    /// Live records by id (ordered, so lookups answer in a stable order).
    records: BTreeMap<String, Record>,
    /// Withdrawn ids and their `modified` time.
    withdrawn: BTreeMap<String, jiff::Timestamp>,
    by_package: HashMap<(Ecosystem, String), BTreeSet<String>>,
    by_repo: HashMap<String, BTreeSet<String>>,
    by_cpe: HashMap<String, BTreeSet<String>>,
    /// How many records were dropped as unmatchable (see [`Database::add`]).
    unmatchable: usize,
}

/// The index keys of one record (see [`Database::keys`]).
struct Keys {
    packages: Vec<(Ecosystem, String)>,
    repos: Vec<String>,
    cpes: Vec<String>,
}

/// Files `id` under `key` in one of the database's indexes.
fn index_id<K: std::hash::Hash + Eq>(index: &mut HashMap<K, BTreeSet<String>>, key: K, id: &str) {
    index.entry(key).or_default().insert(id.to_owned());
}

/// Removes `id` from under `key`, dropping the key when no id is left.
fn unindex_id<K: std::hash::Hash + Eq>(
    index: &mut HashMap<K, BTreeSet<String>>,
    key: &K,
    id: &str,
) {
    if let Some(ids) = index.get_mut(key) {
        ids.remove(id);
        if ids.is_empty() {
            index.remove(key);
        }
    }
}

impl Database {
    /// An empty database.
    pub fn new() -> Database {
        Database::default()
    }

    /// Adds one record (parsed with [`Record::from_json`], errors as there).
    ///
    /// Withdrawn records are counted and dropped. Of two records with one
    /// id (the same advisory in two exports), the later `modified` wins,
    /// whether withdrawn or not; on a tie the first one added stays.
    ///
    /// A record that no lookup can ever return is validated, counted
    /// ([`Database::unmatchable`]) and dropped: one whose affected entries
    /// name only ecosystems vouch does not order (Debian, Maven, ...), with
    /// no GIT repository and no CPE. The full OSV export is mostly such
    /// records, and keeping them would cost memory for nothing.
    pub fn add(&mut self, source: &str, bytes: &[u8]) -> Result<()> {
        self.insert(source, Record::from_json(source, bytes)?)
    }

    /// Adds one record already parsed with [`Record::from_json`] (from
    /// `source`), as [`Database::add`] does: so that a loader can parse
    /// records in parallel and add them in a stable order.
    pub fn insert(&mut self, source: &str, record: Record) -> Result<()> {
        let keys = Database::keys(&record);
        let ordered = keys
            .packages
            .iter()
            .any(|(e, _)| !matches!(e, Ecosystem::Other(_)));
        if !ordered && keys.repos.is_empty() && keys.cpes.is_empty() {
            self.unmatchable += 1;
            return Ok(());
        }
        let modified = timestamp("modified", &record.modified)
            .map_err(|why| Error::invalid(format!("OSV record in {source}"), why))?;
        let current = match self.records.get(&record.id) {
            Some(live) => timestamp("modified", &live.modified).ok(),
            None => self.withdrawn.get(&record.id).copied(),
        };
        if current.is_some_and(|current| current >= modified) {
            return Ok(());
        }
        if let Some(old) = self.records.remove(&record.id) {
            self.unindex(&old);
        }
        if record.withdrawn.is_some() {
            self.withdrawn.insert(record.id, modified);
        } else {
            self.withdrawn.remove(&record.id);
            self.index(&record);
            self.records.insert(record.id.clone(), record);
        }
        Ok(())
    }

    /// The index keys of a record: its packages, its GIT repositories and
    /// the `part:vendor:product` of its range CPEs (CPEs that do not parse
    /// can never match, so they are not indexed).
    fn keys(record: &Record) -> Keys {
        let ranges = || record.affected.iter().flat_map(|a| &a.ranges);
        Keys {
            packages: record
                .affected
                .iter()
                .filter_map(|a| a.package.as_ref())
                .map(|p| (p.ecosystem.clone(), p.ecosystem.normalize_name(&p.name)))
                .collect(),
            repos: ranges()
                .filter(|r| r.kind == RangeKind::Git)
                .filter_map(|r| r.repo.as_deref())
                .map(normalize_repo)
                .collect(),
            cpes: ranges()
                .flat_map(|r| &r.cpes)
                .filter_map(|c| parse_cpe(c))
                .map(|c| c.key)
                .collect(),
        }
    }

    fn index(&mut self, record: &Record) {
        let keys = Database::keys(record);
        for key in keys.packages {
            index_id(&mut self.by_package, key, &record.id);
        }
        for key in keys.repos {
            index_id(&mut self.by_repo, key, &record.id);
        }
        for key in keys.cpes {
            index_id(&mut self.by_cpe, key, &record.id);
        }
    }

    fn unindex(&mut self, record: &Record) {
        let keys = Database::keys(record);
        for key in &keys.packages {
            unindex_id(&mut self.by_package, key, &record.id);
        }
        for key in &keys.repos {
            unindex_id(&mut self.by_repo, key, &record.id);
        }
        for key in &keys.cpes {
            unindex_id(&mut self.by_cpe, key, &record.id);
        }
    }

    /// How many live (not withdrawn) records the database holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the database holds no live record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// How many withdrawn records were seen and dropped (one per id), for
    /// a scan's summary line.
    pub fn withdrawn(&self) -> usize {
        self.withdrawn.len()
    }

    /// How many valid records were dropped because no vouch input can
    /// match them (only ecosystems vouch does not order, no repository, no
    /// CPE).
    pub fn unmatchable(&self) -> usize {
        self.unmatchable
    }

    /// Every record affecting that package version, by id, each with its
    /// fix versions as [`Record::affects`] gives them. An unparsable
    /// `version` is an error even when no record names the package, so
    /// that a bad input is reported whatever the database holds.
    pub fn lookup(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
        version: &str,
    ) -> std::result::Result<Vec<(&Record, Vec<String>)>, String> {
        let query = Query::new(ecosystem, version)?;
        let name = ecosystem.normalize_name(name);
        let Some(ids) = self.by_package.get(&(ecosystem.clone(), name.clone())) else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for record in ids.iter().filter_map(|id| self.records.get(id)) {
            if let Some(fixes) = record.affects_query(ecosystem, &name, &query)? {
                found.push((record, fixes));
            }
        }
        Ok(found)
    }

    /// Every record affecting that repository at that version, as
    /// [`Record::affects_repo`] answers, by id.
    pub fn lookup_repo(&self, repo: &str, version: &str) -> Vec<(&Record, Vec<String>)> {
        let Some(ids) = self.by_repo.get(&normalize_repo(repo)) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| self.records.get(id))
            .filter_map(|record| Some((record, record.affects_repo(repo, version)?)))
            .collect()
    }

    /// Every record affecting the product `cpe` names at that version, as
    /// [`Record::affects_cpe`] answers, by id; none for a CPE that does not
    /// parse.
    pub fn lookup_cpe(&self, cpe: &str, version: &str) -> Vec<(&Record, Vec<String>)> {
        let Some(ids) = parse_cpe(cpe).and_then(|c| self.by_cpe.get(&c.key)) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| self.records.get(id))
            .filter_map(|record| Some((record, record.affects_cpe(cpe, version)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record in the OSV shape with one affected entry.
    fn record(affected: &str) -> String {
        format!(
            r#"{{"schema_version":"1.6.0","id":"TEST-1","modified":"2024-01-02T03:04:05Z",
                "aliases":["CVE-2024-0001"],"summary":"a test","affected":[{affected}]}}"#
        )
    }

    fn parse(json: &str) -> Record {
        Record::from_json("test.json", json.as_bytes()).unwrap()
    }

    fn parse_err(json: &str) -> String {
        Record::from_json("osv/test.json", json.as_bytes())
            .unwrap_err()
            .to_string()
    }

    fn crate_range(name: &str, kind: &str, events: &str) -> String {
        format!(
            r#"{{"package":{{"ecosystem":"crates.io","name":"{name}"}},
                "ranges":[{{"type":"{kind}","events":[{events}]}}]}}"#
        )
    }

    fn affected(r: &Record, eco: &Ecosystem, name: &str, v: &str) -> Option<Vec<String>> {
        r.affects(eco, name, v).unwrap()
    }

    #[test]
    fn boundaries_introduced_inclusive_fixed_exclusive_last_affected_inclusive() {
        let fixed = parse(&record(&crate_range(
            "a",
            "SEMVER",
            r#"{"introduced":"1.2.0"},{"fixed":"1.4.0"}"#,
        )));
        let eco = Ecosystem::CratesIo;
        assert_eq!(affected(&fixed, &eco, "a", "1.1.9"), None);
        assert_eq!(
            affected(&fixed, &eco, "a", "1.2.0"),
            Some(vec!["1.4.0".into()])
        );
        assert_eq!(
            affected(&fixed, &eco, "a", "1.3.99"),
            Some(vec!["1.4.0".into()])
        );
        assert_eq!(
            affected(&fixed, &eco, "a", "1.4.0-rc.1"),
            Some(vec!["1.4.0".into()])
        );
        assert_eq!(affected(&fixed, &eco, "a", "1.4.0"), None);
        assert_eq!(affected(&fixed, &eco, "a", "2.0.0"), None);
        // Another package, and another ecosystem, are not affected.
        assert_eq!(affected(&fixed, &eco, "b", "1.3.0"), None);
        assert_eq!(affected(&fixed, &Ecosystem::Npm, "a", "1.3.0"), None);

        let last = parse(&record(&crate_range(
            "a",
            "ECOSYSTEM",
            r#"{"introduced":"0"},{"last_affected":"2.1.214"}"#,
        )));
        assert_eq!(affected(&last, &eco, "a", "0.0.0"), Some(vec![]));
        assert_eq!(affected(&last, &eco, "a", "2.1.214"), Some(vec![]));
        assert_eq!(affected(&last, &eco, "a", "2.1.215"), None);
        // Build metadata does not change precedence.
        assert_eq!(affected(&last, &eco, "a", "2.1.214+local"), Some(vec![]));

        let unfixed = parse(&record(&crate_range(
            "a",
            "SEMVER",
            r#"{"introduced":"0"}"#,
        )));
        assert_eq!(affected(&unfixed, &eco, "a", "0.0.0-alpha"), Some(vec![]));
        assert_eq!(affected(&unfixed, &eco, "a", "99.0.0"), Some(vec![]));

        // A limit bounds the range from above; "*" is infinity.
        let limited = parse(&record(&crate_range(
            "a",
            "SEMVER",
            r#"{"introduced":"1.0.0"},{"limit":"1.5.0"}"#,
        )));
        assert_eq!(affected(&limited, &eco, "a", "1.4.9"), Some(vec![]));
        assert_eq!(affected(&limited, &eco, "a", "1.5.0"), None);
        let star = parse(&record(&crate_range(
            "a",
            "SEMVER",
            r#"{"introduced":"1.0.0"},{"limit":"*"}"#,
        )));
        assert_eq!(affected(&star, &eco, "a", "9.0.0"), Some(vec![]));
        assert_eq!(affected(&star, &eco, "a", "0.9.0"), None);

        // An empty [x, x) range affects nothing, whatever the event order.
        let empty = parse(&record(&crate_range(
            "a",
            "SEMVER",
            r#"{"fixed":"1.0.0"},{"introduced":"1.0.0"}"#,
        )));
        assert_eq!(affected(&empty, &eco, "a", "1.0.0"), None);
    }

    #[test]
    fn several_introduced_fixed_pairs_like_smallvec() {
        // RUSTSEC-2021-0003: 0.6.3..<0.6.14 and 1.0.0..<1.6.1, events unsorted.
        let r = parse(&record(&crate_range(
            "smallvec",
            "SEMVER",
            r#"{"introduced":"1.0.0"},{"fixed":"1.6.1"},{"introduced":"0.6.3"},{"fixed":"0.6.14"}"#,
        )));
        let eco = Ecosystem::CratesIo;
        for (v, want) in [
            ("0.6.2", None),
            ("0.6.3", Some(vec!["0.6.14".to_owned(), "1.6.1".to_owned()])),
            (
                "0.6.13",
                Some(vec!["0.6.14".to_owned(), "1.6.1".to_owned()]),
            ),
            ("0.6.14", None),
            ("0.7.0", None),
            ("1.0.0", Some(vec!["1.6.1".to_owned()])),
            ("1.6.0", Some(vec!["1.6.1".to_owned()])),
            ("1.6.1", None),
            ("2.0.0", None),
        ] {
            assert_eq!(affected(&r, &eco, "smallvec", v), want, "smallvec {v}");
        }
    }

    #[test]
    fn versions_list_membership() {
        // npm: listed versions are affected even outside the ranges.
        let npm = parse(&record(
            r#"{"package":{"ecosystem":"npm","name":"ms"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0.7.1"}]}],
                "versions":["1.0.0"]}"#,
        ));
        assert_eq!(affected(&npm, &Ecosystem::Npm, "ms", "1.0.0"), Some(vec![]));
        assert_eq!(
            affected(&npm, &Ecosystem::Npm, "ms", "0.7.0"),
            Some(vec!["0.7.1".into()])
        );
        assert_eq!(affected(&npm, &Ecosystem::Npm, "ms", "1.0.1"), None);

        // Other ecosystems: versions[] only, by exact string; their
        // ECOSYSTEM ranges are not evaluated.
        let debian = parse(&record(
            r#"{"package":{"ecosystem":"Debian:12","name":"zlib"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.2.13.dfsg-1"}]}],
                "versions":["1:1.2.11.dfsg-2","1:1.2.13.dfsg-0"]}"#,
        ));
        let deb = Ecosystem::parse("Debian:12").unwrap();
        assert_eq!(
            affected(&debian, &deb, "zlib", "1:1.2.11.dfsg-2"),
            Some(vec![])
        );
        assert_eq!(affected(&debian, &deb, "zlib", "1:1.2.12.dfsg-1"), None);
        let other_release = Ecosystem::parse("Debian:11").unwrap();
        assert_eq!(
            affected(&debian, &other_release, "zlib", "1:1.2.11.dfsg-2"),
            None
        );
    }

    #[test]
    fn pep440_order_and_pep503_names() {
        let r = parse(&record(
            r#"{"package":{"ecosystem":"PyPI","name":"Jinja2"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0"},{"fixed":"2.32.0"}]}],
                "versions":["1.9"]}"#,
        ));
        let py = Ecosystem::PyPI;
        let fix = Some(vec!["2.32.0".to_owned()]);
        assert_eq!(affected(&r, &py, "jinja2", "2.32.0rc1"), fix);
        assert_eq!(affected(&r, &py, "jinja2", "2.31.0.post1"), fix);
        assert_eq!(affected(&r, &py, "JINJA2", "2.0"), fix);
        assert_eq!(affected(&r, &py, "jinja2", "2.32.0"), None);
        assert_eq!(affected(&r, &py, "jinja2", "2.32"), None);
        assert_eq!(affected(&r, &py, "jinja2", "2.32.0.post1"), None);
        assert_eq!(affected(&r, &py, "jinja2", "2.0rc1"), None);
        // versions[] compares in PEP 440: "1.9.0" is "1.9".
        assert_eq!(
            affected(&r, &py, "Jinja2", "1.9.0"),
            Some(fix.clone().unwrap())
        );
        assert_eq!(affected(&r, &py, "jinja-2", "2.1"), None, "another name");
        assert_eq!(py.normalize_name("Foo.Bar__baz-_.Qux"), "foo-bar-baz-qux");
        assert_eq!(Ecosystem::Npm.normalize_name("Foo_Bar"), "Foo_Bar");
        assert_eq!(
            r.affects(&py, "jinja2", "abc").unwrap_err(),
            r#""abc" is not a valid PEP 440 version"#
        );
    }

    #[test]
    fn go_v_prefix_and_pseudo_versions() {
        let r = parse(&record(
            r#"{"package":{"ecosystem":"Go","name":"golang.org/x/text"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.3.7"}]}]},
               {"package":{"ecosystem":"Go","name":"golang.org/x/net"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},
                  {"fixed":"0.0.0-20220315160706-3147a52a75dd"}]}]}"#,
        ));
        let go = Ecosystem::Go;
        let text = "golang.org/x/text";
        assert_eq!(
            affected(&r, &go, text, "v0.3.6"),
            Some(vec!["0.3.7".into()])
        );
        assert_eq!(affected(&r, &go, text, "0.3.6"), Some(vec!["0.3.7".into()]));
        assert_eq!(affected(&r, &go, text, "v0.3.7"), None);
        // A pseudo-version on the way to 0.3.7 precedes it.
        assert_eq!(
            affected(&r, &go, text, "v0.3.7-0.20210503000000-aaaaaaaaaaaa"),
            Some(vec!["0.3.7".into()])
        );
        let net = "golang.org/x/net";
        assert!(affected(&r, &go, net, "v0.0.0-20220127200216-cd36cc0744dd").is_some());
        assert_eq!(
            affected(&r, &go, net, "v0.0.0-20220412020605-290c469a71a5"),
            None
        );
        assert_eq!(affected(&r, &go, net, "v0.1.0"), None);
        assert_eq!(
            r.affects(&go, text, "latest").unwrap_err(),
            r#""latest" is not a valid SemVer version"#
        );
    }

    #[test]
    fn withdrawn_records_affect_nothing_and_later_modified_wins() {
        let live = |modified: &str, fixed: &str| {
            format!(
                r#"{{"id":"GHSA-1","modified":"{modified}","affected":[{}]}}"#,
                crate_range(
                    "a",
                    "SEMVER",
                    &format!(r#"{{"introduced":"0"}},{{"fixed":"{fixed}"}}"#)
                )
            )
        };
        let withdrawn = |modified: &str| {
            format!(
                r#"{{"id":"GHSA-1","modified":"{modified}","withdrawn":"{modified}","affected":[{}]}}"#,
                crate_range("a", "SEMVER", r#"{"introduced":"0"}"#)
            )
        };
        let gone = parse(&withdrawn("2024-01-01T00:00:00Z"));
        assert_eq!(affected(&gone, &Ecosystem::CratesIo, "a", "1.0.0"), None);

        let eco = Ecosystem::CratesIo;
        let mut db = Database::new();
        assert!(db.is_empty());
        db.add("1.json", live("2024-01-01T00:00:00Z", "1.0.0").as_bytes())
            .unwrap();
        assert_eq!(db.lookup(&eco, "a", "0.9.0").unwrap()[0].1, vec!["1.0.0"]);
        // A later version of the record replaces it; an older one does not.
        db.add("2.json", live("2024-02-01T00:00:00Z", "2.0.0").as_bytes())
            .unwrap();
        db.add("3.json", live("2023-12-01T00:00:00Z", "3.0.0").as_bytes())
            .unwrap();
        assert_eq!(db.len(), 1);
        let found = db.lookup(&eco, "a", "1.5.0").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, vec!["2.0.0"]);
        // Withdrawn later: dropped and counted.
        db.add("4.json", withdrawn("2024-03-01T00:00:00Z").as_bytes())
            .unwrap();
        assert_eq!((db.len(), db.withdrawn()), (0, 1));
        assert!(db.lookup(&eco, "a", "1.5.0").unwrap().is_empty());
        // An older live copy does not bring it back; a newer one does.
        db.add("5.json", live("2024-02-15T00:00:00Z", "2.0.0").as_bytes())
            .unwrap();
        assert!(db.lookup(&eco, "a", "1.5.0").unwrap().is_empty());
        db.add("6.json", live("2024-04-01T00:00:00Z", "2.5.0").as_bytes())
            .unwrap();
        assert_eq!((db.len(), db.withdrawn()), (1, 0));
        assert_eq!(db.lookup(&eco, "a", "1.5.0").unwrap()[0].1, vec!["2.5.0"]);
        // A bad version is an error even for a package no record names.
        assert_eq!(
            db.lookup(&eco, "unknown", "1.x").unwrap_err(),
            r#""1.x" is not a valid SemVer version"#
        );
        assert!(db.lookup(&eco, "unknown", "1.0.0").unwrap().is_empty());
    }

    #[test]
    fn cvss_vectors_are_scored_and_ghsa_severity_is_the_fallback() {
        let with = |severity: &str, db: &str| {
            parse(&format!(
                r#"{{"id":"X-1","modified":"2024-01-01T00:00:00Z","severity":[{severity}],
                    "database_specific":{{{db}}}}}"#
            ))
        };
        let v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H";
        let r = with(&format!(r#"{{"type":"CVSS_V3","score":"{v31}"}}"#), "");
        assert_eq!(r.score, Some((7.5, v31.to_owned())));
        assert_eq!(r.severity, Some(Severity::High));

        let v40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        let r = with(&format!(r#"{{"type":"CVSS_V4","score":"{v40}"}}"#), "");
        assert_eq!(r.score, Some((9.3, v40.to_owned())));
        assert_eq!(r.severity, Some(Severity::Critical));

        // The highest wins, across the record and its affected entries.
        let r = parse(&format!(
            r#"{{"id":"X-1","modified":"2024-01-01T00:00:00Z",
                "severity":[{{"type":"CVSS_V3","score":"{v31}"}}],
                "affected":[{{"package":{{"ecosystem":"npm","name":"a"}},
                    "severity":[{{"type":"CVSS_V4","score":"{v40}"}}]}}]}}"#
        ));
        assert_eq!(r.score.unwrap().0, 9.3);

        // CVSS v2 is used only without a v3/v4 vector, in its own bands.
        let v2 = "AV:N/AC:L/Au:N/C:C/I:C/A:C";
        let r = with(&format!(r#"{{"type":"CVSS_V2","score":"{v2}"}}"#), "");
        assert_eq!(r.score, Some((10.0, v2.to_owned())));
        assert_eq!(r.severity, Some(Severity::High));
        let r = with(
            &format!(r#"{{"type":"CVSS_V2","score":"{v2}"}},{{"type":"CVSS_V3","score":"{v31}"}}"#),
            "",
        );
        assert_eq!(r.score.unwrap().0, 7.5);

        // GHSA's word when no vector parses; unknown without either.
        let r = with(
            r#"{"type":"CVSS_V3","score":"CVSS:3.1/garbage"}"#,
            r#""severity":"MODERATE""#,
        );
        assert_eq!((r.score, r.severity), (None, Some(Severity::Medium)));
        let r = with(
            r#"{"type":"Ubuntu","score":"high"}"#,
            r#""severity":{"x":1}"#,
        );
        assert_eq!((r.score, r.severity), (None, None));
        // A vector beats the word.
        let r = with(
            &format!(r#"{{"type":"CVSS_V3","score":"{v31}"}}"#),
            r#""severity":"LOW""#,
        );
        assert_eq!(r.severity, Some(Severity::High));
    }

    #[test]
    fn severity_names_order_and_bands() {
        assert_eq!("MODERATE".parse(), Ok(Severity::Medium));
        assert_eq!("Critical".parse(), Ok(Severity::Critical));
        assert_eq!("none".parse(), Ok(Severity::None));
        assert!("severe"
            .parse::<Severity>()
            .unwrap_err()
            .contains("unknown severity \"severe\""));
        assert_eq!(Severity::Medium.to_string(), "medium");
        assert_eq!(serde_json::to_string(&Severity::High).unwrap(), "\"high\"");
        assert_eq!(
            serde_json::from_str::<Severity>("\"MODERATE\"").unwrap(),
            Severity::Medium
        );
        assert!(Severity::None < Severity::Low && Severity::High < Severity::Critical);
        for (score, want) in [
            (0.0, Severity::None),
            (0.1, Severity::Low),
            (3.9, Severity::Low),
            (4.0, Severity::Medium),
            (6.9, Severity::Medium),
            (7.0, Severity::High),
            (8.9, Severity::High),
            (9.0, Severity::Critical),
            (10.0, Severity::Critical),
            (f64::NAN, Severity::None),
        ] {
            assert_eq!(Severity::from_score(score), want, "{score}");
        }
    }

    #[test]
    fn ecosystem_names() {
        for (name, want) in [
            ("crates.io", Ecosystem::CratesIo),
            ("npm", Ecosystem::Npm),
            ("PyPI", Ecosystem::PyPI),
            ("Go", Ecosystem::Go),
            ("Debian:12", Ecosystem::Other("Debian:12".into())),
            (
                "Ubuntu:22.04:LTS",
                Ecosystem::Other("Ubuntu:22.04:LTS".into()),
            ),
            ("Alpine:v3.19", Ecosystem::Other("Alpine:v3.19".into())),
            ("Maven", Ecosystem::Other("Maven".into())),
        ] {
            let parsed = Ecosystem::parse(name).unwrap();
            assert_eq!(parsed, want);
            assert_eq!(parsed.as_str(), name);
            assert_eq!(parsed.to_string(), name);
        }
        for bad in ["cargo", "crates-io", "pip", "pypi", "Debian:", ""] {
            assert_eq!(
                Ecosystem::parse(bad).unwrap_err(),
                format!(
                    "unknown OSV ecosystem {bad:?} (OSV names: crates.io, npm, PyPI, Go, Maven, ...)"
                )
            );
        }
        assert_eq!(Ecosystem::from_vouch("cargo"), Some(Ecosystem::CratesIo));
        assert_eq!(Ecosystem::from_vouch("pip"), Some(Ecosystem::PyPI));
        assert_eq!(Ecosystem::from_vouch("go"), Some(Ecosystem::Go));
        assert_eq!(Ecosystem::from_vouch("npm"), Some(Ecosystem::Npm));
        assert_eq!(Ecosystem::from_vouch("bazel"), None);
        assert_eq!(Ecosystem::from_vouch("generic"), None);
        assert_eq!(Ecosystem::from_purl_type("golang"), Some(Ecosystem::Go));
        assert_eq!(Ecosystem::from_purl_type("pypi"), Some(Ecosystem::PyPI));
        assert_eq!(
            Ecosystem::from_purl_type("cargo"),
            Some(Ecosystem::CratesIo)
        );
        assert_eq!(Ecosystem::from_purl_type("npm"), Some(Ecosystem::Npm));
        assert_eq!(Ecosystem::from_purl_type("github"), None);
    }

    #[test]
    fn fields_read_from_a_record() {
        let r = parse(
            r#"{"id":"GO-1","modified":"0001-01-01T00:00:00Z","published":"2021-10-06T17:51:21Z",
                "aliases":null,"references":[{"type":"FIX","url":"https://go.dev/cl/1"}],
                "details":"\n  Due to improper index calculation, a panic.\nMore.","unknown":{"x":[1]},
                "affected":[{"package":{"ecosystem":"npm","name":"a","purl":"pkg:npm/a"}}]}"#,
        );
        assert_eq!(r.id, "GO-1");
        assert!(r.aliases.is_empty());
        assert_eq!(
            r.summary.as_deref(),
            Some("Due to improper index calculation, a panic.")
        );
        assert_eq!(r.published.as_deref(), Some("2021-10-06T17:51:21Z"));
        assert_eq!(r.references, vec!["https://go.dev/cl/1"]);
        assert_eq!(
            r.affected[0].package.as_ref().unwrap().purl.as_deref(),
            Some("pkg:npm/a")
        );
        let long = format!(
            r#"{{"id":"X","modified":"2024-01-01T00:00:00Z","summary":" ","details":"{}"}}"#,
            "é".repeat(300)
        );
        assert_eq!(parse(&long).summary.unwrap().chars().count(), 200);
        let summary =
            parse(r#"{"id":"X","modified":"2024-01-01T00:00:00Z","summary":"S","details":"D"}"#);
        assert_eq!(summary.summary.as_deref(), Some("S"));
    }

    #[test]
    fn bad_records_are_refused_naming_the_file_and_field() {
        let cases = [
            (
                r#"{"modified":"2024-01-01T00:00:00Z"}"#.to_owned(),
                "invalid OSV record in osv/test.json: missing field `id`",
            ),
            (
                r#"{"id":"X-1"}"#.to_owned(),
                "invalid OSV record in osv/test.json: missing field `modified`",
            ),
            (
                r#"{"id":"X-1","modified":"yesterday"}"#.to_owned(),
                r#"invalid OSV record in osv/test.json: modified: "yesterday" is not an RFC 3339 timestamp"#,
            ),
            (
                record(r#"{"package":{"ecosystem":"cargo","name":"a"}}"#),
                r#"invalid OSV record in osv/test.json: affected[0].package.ecosystem: unknown OSV ecosystem "cargo" (OSV names: crates.io, npm, PyPI, Go, Maven, ...)"#,
            ),
            (
                record(&format!(
                    "{},{}",
                    crate_range("a", "SEMVER", r#"{"introduced":"0"}"#),
                    r#"{"package":{"ecosystem":"crates.io","name":"b"},"ranges":[
                        {"type":"SEMVER","events":[{"introduced":"0"}]},
                        {"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"*"},{"fixed":"1.x.y"}]}]}"#
                )),
                r#"invalid OSV record in osv/test.json: affected[1].ranges[1].events[2].fixed: "1.x.y" is not a valid SemVer version"#,
            ),
            (
                record(
                    r#"{"package":{"ecosystem":"PyPI","name":"a"},
                        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.x"}]}]}"#,
                ),
                r#"invalid OSV record in osv/test.json: affected[0].ranges[0].events[1].fixed: "2.x" is not a valid PEP 440 version"#,
            ),
            (
                record(&crate_range("a", "ECOSYSTEM", r#"{"introduced":"1.0"}"#)),
                r#"affected[0].ranges[0].events[0].introduced: "1.0" is not a valid SemVer version"#,
            ),
            (
                record(&crate_range("a", "SEMVER", r#"{"fixed":"1.0.0"}"#)),
                r#"affected[0].ranges[0].events: has no "introduced" event"#,
            ),
            (
                record(&crate_range("a", "SEMVER", r#"{"introduced":"0","fixed":"1.0.0"}"#)),
                "affected[0].ranges[0].events[0]: must hold exactly one of introduced, fixed, last_affected, limit",
            ),
            (
                record(&crate_range("a", "SEMVER", r#"{}"#)),
                "affected[0].ranges[0].events[0]: must hold exactly one of",
            ),
            (
                record(r#"{"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}"#),
                "affected[0].ranges[0].repo: a GIT range needs a repo",
            ),
            (
                record(&crate_range("a", "RPM", r#"{"introduced":"0"}"#)),
                "affected[0].ranges[0].type: unknown variant `RPM`",
            ),
            (
                r#"{"id":"X-1","id":"X-2","modified":"2024-01-01T00:00:00Z"}"#.to_owned(),
                r#"invalid OSV record in osv/test.json: duplicate key "id""#,
            ),
            (
                format!(
                    r#"{{"id":"X-1","modified":"2024-01-01T00:00:00Z","database_specific":{{"x":{}1{}}}}}"#,
                    "[".repeat(200),
                    "]".repeat(200)
                ),
                "recursion limit exceeded",
            ),
            ("not json".to_owned(), "invalid OSV record in osv/test.json: expected"),
        ];
        for (json, want) in cases {
            let err = parse_err(&json);
            assert!(err.contains(want), "{err}\n  does not contain\n{want}");
        }
        // The negative control: the same shapes, valid, parse.
        parse(&record(&crate_range(
            "a",
            "SEMVER",
            r#"{"introduced":"v1.0.0"},{"limit":"*"},{"fixed":"1.2.3"}"#,
        )));
        parse(&record(
            r#"{"ranges":[{"type":"GIT","repo":"https://github.com/a/b","events":[{"introduced":"0"}]}]}"#,
        ));
    }

    #[test]
    fn git_ranges_match_by_repository_and_tag() {
        let fix = "e5f8d9d3c5a4e6b7a8f9e0d1c2b3a4f5e6d7c8b9";
        let r = parse(&record(&format!(
            r#"{{"ranges":[{{"type":"GIT","repo":"https://github.com/leethomason/tinyxml2",
                  "events":[{{"introduced":"0"}},{{"fixed":"{fix}"}}]}}],
                "versions":["9.0.0","10.0.0","v1.3"]}}"#
        )));
        let want = Some(vec![fix.to_owned()]);
        for repo in [
            "https://github.com/leethomason/tinyxml2",
            "http://github.com/LeeThomason/TinyXML2.git",
            "https://github.com/leethomason/tinyxml2/",
            "https://github.com/leethomason/tinyxml2.git/",
        ] {
            assert_eq!(r.affects_repo(repo, "10.0.0"), want, "{repo}");
        }
        assert_eq!(
            r.affects_repo("https://github.com/leethomason/tinyxml2", "v10.0.0"),
            want
        );
        assert_eq!(
            r.affects_repo("https://github.com/leethomason/tinyxml2", "1.3"),
            want
        );
        assert_eq!(
            r.affects_repo("https://github.com/leethomason/tinyxml2", "11.0.0"),
            None
        );
        assert_eq!(
            r.affects_repo("https://github.com/leethomason/tinyxml", "10.0.0"),
            None
        );
        assert_eq!(
            r.affects_repo("https://gitlab.com/leethomason/tinyxml2", "10.0.0"),
            None
        );
        // GIT ranges play no part in package matching.
        assert_eq!(
            affected(&r, &Ecosystem::CratesIo, "tinyxml2", "10.0.0"),
            None
        );

        let mut db = Database::new();
        db.add(
            "cve.json",
            record(&format!(
                r#"{{"ranges":[{{"type":"GIT","repo":"https://github.com/leethomason/tinyxml2.git",
                  "events":[{{"introduced":"0"}},{{"fixed":"{fix}"}}]}}],"versions":["10.0.0"]}}"#
            ))
            .as_bytes(),
        )
        .unwrap();
        let found = db.lookup_repo("https://GitHub.com/leethomason/tinyxml2", "10.0.0");
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].0.id.as_str(), found[0].1.clone()),
            ("TEST-1", vec![fix.to_owned()])
        );
        assert!(db
            .lookup_repo("https://github.com/leethomason/tinyxml2", "9.0.0")
            .is_empty());
        assert!(db
            .lookup_repo("https://github.com/other/tinyxml2", "10.0.0")
            .is_empty());
    }

    #[test]
    fn cpe_ranges_match_by_part_vendor_product_and_tag() {
        let fix = "e5f8d9d3c5a4e6b7a8f9e0d1c2b3a4f5e6d7c8b9";
        let entry = |cpe: &str| {
            format!(
                r#"{{"ranges":[{{"type":"GIT","repo":"https://github.com/leethomason/tinyxml2",
                  "events":[{{"introduced":"0"}},{{"fixed":"{fix}"}}],
                  "database_specific":{{"cpe":{cpe},"source":"CPE_FIELD"}}}}],
                "versions":["9.0.0","10.0.0","v1.3"]}}"#
            )
        };
        let r = parse(&record(&entry(
            r#""cpe:2.3:a:leethomason:tinyxml2:*:*:*:*:*:*:*:*""#,
        )));
        assert_eq!(
            r.affected[0].ranges[0].cpes,
            ["cpe:2.3:a:leethomason:tinyxml2:*:*:*:*:*:*:*:*"]
        );
        let want = Some(vec![fix.to_owned()]);
        for cpe in [
            "cpe:2.3:a:leethomason:tinyxml2:*:*:*:*:*:*:*:*",
            "CPE:2.3:A:LeeThomason:TinyXML2:-:*:*:*:*:*:*:*",
            "cpe:2.3:a:leethomason:tinyxml2",
            "cpe:/a:leethomason:tinyxml2",
            "cpe:/a:leethomason:tinyxml2:10.0.0",
            "cpe:/a:%6ceethomason:tinyxml2",
            "cpe:2.3:a:leethomason:tinyxml2:10.0.0:*:*:*:*:*:*:*",
            "cpe:2.3:a:leethomason:tinyxml2:v10.0.0:*:*:*:*:*:*:*",
        ] {
            assert_eq!(r.affects_cpe(cpe, "10.0.0"), want, "{cpe}");
        }
        let cpe = "cpe:2.3:a:leethomason:tinyxml2:*:*:*:*:*:*:*:*";
        assert_eq!(r.affects_cpe(cpe, "v10.0.0"), want);
        assert_eq!(r.affects_cpe(cpe, "1.3"), want);
        // Not a listed version.
        assert_eq!(r.affects_cpe(cpe, "10.1.0"), None);
        // Another vendor, product or part; a concrete version that is not
        // the queried one; CPEs that name no one product; not a CPE.
        for cpe in [
            "cpe:2.3:a:tinyxml2_project:tinyxml2:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:leethomason:tinyxml:*:*:*:*:*:*:*:*",
            "cpe:2.3:o:leethomason:tinyxml2:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:leethomason:tinyxml2:9.0.0:*:*:*:*:*:*:*",
            "cpe:/a:leethomason:tinyxml2:9.0.0",
            "cpe:2.3:a:*:tinyxml2:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:leethomason:*:*:*:*:*:*:*:*:*",
            "cpe:2.3:*:leethomason:tinyxml2:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:leethomason",
            "cpe:/a:%zzeethomason:tinyxml2",
            "cpe:/a:%+ceethomason:tinyxml2",
            "cpe:/a:leethomason:tinyxml2%6",
            "leethomason:tinyxml2",
            "a:leethomason:tinyxml2",
            "https://github.com/leethomason/tinyxml2",
            "",
        ] {
            assert_eq!(r.affects_cpe(cpe, "10.0.0"), None, "{cpe}");
        }
        // A repository URL is not a CPE.
        assert_eq!(
            r.affects_cpe("https://github.com/leethomason/tinyxml2", "10.0.0"),
            None
        );

        // An array of CPEs; an escaped ":" stays in its field.
        let r = parse(&record(&entry(
            r#"["cpe:2.3:a:other:thing:*:*:*:*:*:*:*:*","cpe:2.3:a:odd\\:vendor:tinyxml2:*:*:*:*:*:*:*:*"]"#,
        )));
        assert_eq!(r.affected[0].ranges[0].cpes.len(), 2);
        assert_eq!(
            r.affects_cpe("cpe:2.3:a:other:thing:*:*:*:*:*:*:*:*", "9.0.0"),
            want
        );
        assert_eq!(
            r.affects_cpe("cpe:2.3:a:odd\\:vendor:tinyxml2:*:*:*:*:*:*:*:*", "9.0.0"),
            want
        );
        assert_eq!(
            r.affects_cpe("cpe:2.3:a:odd:vendor:*:*:*:*:*:*:*:*", "9.0.0"),
            None
        );

        // A malformed `cpe` is ignored, not an error: the range has none.
        for malformed in [
            "42",
            r#"{"x":1}"#,
            r#"["cpe:2.3:a:leethomason:tinyxml2",7]"#,
            "null",
        ] {
            let r = parse(&record(&entry(malformed)));
            assert!(r.affected[0].ranges[0].cpes.is_empty(), "{malformed}");
            assert_eq!(r.affects_cpe(cpe, "10.0.0"), None, "{malformed}");
            // The record still matches by repository.
            assert_eq!(
                r.affects_repo("https://github.com/leethomason/tinyxml2", "10.0.0"),
                want
            );
        }
        let r = parse(&record(
            r#"{"ranges":[{"type":"GIT","repo":"https://x.org/y","events":[{"introduced":"0"}],
                "database_specific":"free-form"}],"versions":["1.0"]}"#,
        ));
        assert!(r.affected[0].ranges[0].cpes.is_empty());

        // Withdrawn records never match.
        let withdrawn = parse(&record(&entry(&format!("{cpe:?}"))).replacen(
            r#""summary""#,
            r#""withdrawn":"2024-02-01T00:00:00Z","summary""#,
            1,
        ));
        assert!(withdrawn.withdrawn.is_some());
        assert_eq!(withdrawn.affects_cpe(cpe, "10.0.0"), None);

        // The database index: found by any spelling of the product; a later
        // record without the CPE takes the old one out of the index.
        let mut db = Database::new();
        db.add("cve.json", record(&entry(&format!("{cpe:?}"))).as_bytes())
            .unwrap();
        let found = db.lookup_cpe("cpe:/a:LEETHOMASON:tinyxml2", "10.0.0");
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].0.id.as_str(), found[0].1.clone()),
            ("TEST-1", vec![fix.to_owned()])
        );
        assert!(db.lookup_cpe(cpe, "10.1.0").is_empty());
        assert!(db
            .lookup_cpe("cpe:2.3:a:other:tinyxml2:*:*:*:*:*:*:*:*", "10.0.0")
            .is_empty());
        assert!(db.lookup_cpe("not a cpe", "10.0.0").is_empty());
        let later = record(&entry("null")).replace("2024-01-02T03:04:05Z", "2024-03-01T00:00:00Z");
        db.add("cve-later.json", later.as_bytes()).unwrap();
        assert_eq!(db.len(), 1);
        assert!(db.lookup_cpe(cpe, "10.0.0").is_empty());
        assert!(db.by_cpe.is_empty());
    }

    /// The real advisories in testdata/osv/, loaded as a scan loads them.
    #[test]
    fn real_records_from_testdata() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv");
        let mut db = Database::new();
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).unwrap();
                db.add(&path.display().to_string(), &bytes).unwrap();
                files += 1;
            }
        }
        assert!(files >= 10, "{files} records in {}", dir.display());
        assert_eq!(db.withdrawn(), 1, "RUSTSEC-2023-0002 is withdrawn");
        assert_eq!(db.len(), files - 1);

        let ids = |eco: &Ecosystem, name: &str, v: &str| -> Vec<(String, Vec<String>)> {
            db.lookup(eco, name, v)
                .unwrap()
                .into_iter()
                .map(|(r, fixes)| (r.id.clone(), fixes))
                .collect()
        };
        let one = |id: &str, fixes: &[&str]| {
            vec![(
                id.to_owned(),
                fixes.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>(),
            )]
        };
        let cargo = Ecosystem::CratesIo;
        assert_eq!(
            ids(&cargo, "smallvec", "1.6.0"),
            one("RUSTSEC-2021-0003", &["1.6.1"])
        );
        assert_eq!(
            ids(&cargo, "smallvec", "0.6.10"),
            one("RUSTSEC-2021-0003", &["0.6.14", "1.6.1"])
        );
        assert!(ids(&cargo, "smallvec", "1.6.1").is_empty());
        assert!(ids(&cargo, "smallvec", "0.6.2").is_empty());
        assert_eq!(
            ids(&cargo, "regex", "1.5.4"),
            one("GHSA-m5pq-gvj9-9vr8", &["1.5.5"])
        );
        assert!(ids(&cargo, "regex", "1.5.5").is_empty());
        // Withdrawn: git2's record is dropped.
        assert!(ids(&cargo, "git2", "0.15.0").is_empty());

        let npm = Ecosystem::Npm;
        assert_eq!(
            ids(&npm, "debug", "3.2.6"),
            one("GHSA-gxpj-cx7g-858c", &["3.2.7"])
        );
        assert_eq!(
            ids(&npm, "debug", "2.6.8"),
            one("GHSA-gxpj-cx7g-858c", &["2.6.9"])
        );
        assert!(ids(&npm, "debug", "2.6.9").is_empty());
        assert!(ids(&npm, "debug", "4.3.1").is_empty());
        assert_eq!(
            ids(&npm, "minimist", "1.2.5"),
            one("GHSA-xvch-5gv4-984h", &["1.2.6"])
        );
        assert_eq!(
            ids(&npm, "minimist", "0.2.3"),
            one("GHSA-xvch-5gv4-984h", &["0.2.4"])
        );
        assert!(ids(&npm, "minimist", "1.2.6").is_empty());
        assert_eq!(
            ids(&npm, "ms", "0.7.3"),
            one("GHSA-w9mr-4mfr-499f", &["2.0.0"])
        );
        assert!(ids(&npm, "ms", "2.0.0").is_empty());

        let py = Ecosystem::PyPI;
        assert_eq!(
            ids(&py, "IDNA", "3.6"),
            one("GHSA-jjg7-2v4v-x38h", &["3.7"])
        );
        assert!(ids(&py, "idna", "3.7").is_empty());
        assert_eq!(
            ids(&py, "requests", "2.31.0"),
            one("GHSA-9wx4-h78v-vm56", &["2.32.2"])
        );
        assert!(ids(&py, "requests", "2.32.2").is_empty());

        let go = Ecosystem::Go;
        assert_eq!(
            ids(&go, "golang.org/x/text", "v0.3.6"),
            one("GO-2021-0113", &["0.3.7"])
        );
        assert!(ids(&go, "golang.org/x/text", "v0.3.7").is_empty());

        // Severity: the vector, else GHSA's word.
        let minimist = &db.lookup(&npm, "minimist", "1.2.5").unwrap()[0].0;
        assert_eq!(minimist.severity, Some(Severity::Critical));
        let regex = &db.lookup(&cargo, "regex", "1.5.4").unwrap()[0].0;
        assert_eq!(regex.score.as_ref().unwrap().0, 7.5);
        let text = &db.lookup(&go, "golang.org/x/text", "v0.3.6").unwrap()[0].0;
        assert_eq!((text.score.as_ref(), text.severity), (None, None));
        assert_eq!(
            text.summary.as_deref(),
            Some("Out-of-bounds read in golang.org/x/text/language")
        );

        // C/C++ by repository and tag.
        let tinyxml2 = db.lookup_repo("https://github.com/leethomason/tinyxml2.git", "10.0.0");
        let found: Vec<&str> = tinyxml2.iter().map(|(r, _)| r.id.as_str()).collect();
        assert_eq!(found, ["CVE-2024-50614", "CVE-2024-50615"]);
        assert!(db
            .lookup_repo("https://github.com/leethomason/tinyxml2", "11.0.0")
            .is_empty());

        // And by the CPE osv.dev's NVD conversion attaches to the range.
        let nvd = "cpe:2.3:a:tinyxml2_project:tinyxml2:*:*:*:*:*:*:*:*";
        let by_cpe = |cpe: &str, v: &str| -> Vec<String> {
            db.lookup_cpe(cpe, v)
                .into_iter()
                .map(|(r, _)| r.id.clone())
                .collect()
        };
        assert_eq!(by_cpe(nvd, "10.0.0"), ["CVE-2024-50614", "CVE-2024-50615"]);
        assert_eq!(
            by_cpe("cpe:/a:tinyxml2_project:tinyxml2", "v9.0.0"),
            ["CVE-2024-50614", "CVE-2024-50615"]
        );
        assert!(by_cpe(nvd, "10.1.0").is_empty());
        assert!(by_cpe(nvd, "5.0.0").is_empty());
        assert!(by_cpe("cpe:2.3:a:leethomason:tinyxml2:*:*:*:*:*:*:*:*", "10.0.0").is_empty());
        assert!(by_cpe(
            "cpe:2.3:a:tinyxml2_project:tinyxml2:9.0.0:*:*:*:*:*:*:*",
            "10.0.0"
        )
        .is_empty());

        // The deliberately bad records (testdata/osv-bad/) fail naming the
        // file and the field.
        for (file, want) in [
            ("missing-id.json", "missing field `id`"),
            (
                "bad-ecosystem.json",
                r#"affected[0].package.ecosystem: unknown OSV ecosystem "cargo""#,
            ),
            (
                "bad-version.json",
                r#"affected[0].ranges[0].events[1].fixed: "1.x.y" is not a valid SemVer version"#,
            ),
        ] {
            let path = dir.join("../osv-bad").join(file);
            let err = Database::new()
                .add(&path.display().to_string(), &std::fs::read(&path).unwrap())
                .unwrap_err()
                .to_string();
            let head = format!("invalid OSV record in {}: ", path.display());
            assert!(err.starts_with(&head) && err.contains(want), "{err}");
        }
    }

    #[test]
    fn records_no_input_can_match_are_validated_counted_and_dropped() {
        let mut db = Database::new();
        let debian = record(
            r#"{"package":{"ecosystem":"Debian:12","name":"zlib"},"versions":["1:1.2.13.dfsg-1"]}"#,
        );
        db.add("debian.json", debian.as_bytes()).unwrap();
        assert_eq!((db.len(), db.unmatchable()), (0, 1));
        // Still validated: a bad one is an error, not a silent drop.
        let bad = record(r#"{"package":{"ecosystem":"Debain","name":"zlib"}}"#);
        assert!(db.add("bad.json", bad.as_bytes()).is_err());
        // Control: an npm record is kept.
        let npm = record(
            r#"{"package":{"ecosystem":"npm","name":"ms"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}"#,
        );
        db.add("npm.json", npm.as_bytes()).unwrap();
        assert_eq!((db.len(), db.unmatchable()), (1, 1));
    }
}
