//! One OSV record, validated, and what it affects.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::ecosystem::Ecosystem;
use super::names::{bare_version, normalize_repo, parse_cpe, range_cpes};
use super::severity::Severity;
use super::version::{evaluate, Bound, Query, Scheme, Version};
use super::wire;
use crate::{Error, Result};

/// One validated OSV record: what a scan reports and what matching needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// The record's id, e.g. "RUSTSEC-2021-0003" or "GHSA-43w2-9j62-hq99".
    pub id: String,
    /// Other ids of the same vulnerability (CVE, GHSA, ...), which VEX
    /// statements may name instead of `id`.
    pub aliases: Vec<String>,
    /// The ids of the vulnerabilities this record is derived from
    /// (`upstream`: a distribution's `DEBIAN-CVE-*`, `UBUNTU-CVE-*` or
    /// `RHSA-*` names the CVEs it tracks there, not in `aliases`). A VEX
    /// statement about a record's one upstream id answers it too, since
    /// vendors write their VEX by CVE (see `vouch_verify`'s
    /// `Finding::ids`); unlike aliases, they never merge two records into
    /// one finding.
    pub upstream: Vec<String>,
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
    pub(super) fn parts(&self) -> (&'static str, &str) {
        match self {
            Event::Introduced(v) => ("introduced", v),
            Event::Fixed(v) => ("fixed", v),
            Event::LastAffected(v) => ("last_affected", v),
            Event::Limit(v) => ("limit", v),
        }
    }
}

/// Checks an RFC 3339 timestamp field.
pub(super) fn timestamp(field: &str, value: &str) -> std::result::Result<jiff::Timestamp, String> {
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
    /// crates.io, npm and Go are SemVer, of PyPI PEP 440, and of the
    /// distributions ([`super::Distro`]) Debian, RPM or apk versions; "introduced"
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
            upstream: wire.upstream,
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
    pub(super) fn affects_query(
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
