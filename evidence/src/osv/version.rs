//! Each ecosystem's version order, and the evaluation of one range.

use std::cmp::Ordering;
use std::str::FromStr;

use super::ecosystem::Ecosystem;
use super::record::{Event, RangeKind};
use super::{apk, dpkg, gem, rpm};

/// A version order vouch implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scheme {
    SemVer,
    Pep440,
    /// Debian's (dpkg), for Debian and Ubuntu.
    Dpkg,
    /// RPM's (rpmvercmp over epoch, version, release).
    Rpm,
    /// apk-tools', for Alpine, Wolfi and Chainguard.
    Apk,
    /// RubyGems' (`Gem::Version`).
    RubyGems,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::SemVer => "SemVer",
            Scheme::Pep440 => "PEP 440",
            Scheme::Dpkg => "Debian",
            Scheme::Rpm => "RPM",
            Scheme::Apk => "apk",
            Scheme::RubyGems => "RubyGems",
        }
    }

    pub(super) fn parse(self, version: &str) -> Option<Version> {
        match self {
            Scheme::SemVer => parse_semver(version).map(Version::Sem),
            Scheme::Pep440 => pep440_rs::Version::from_str(version).ok().map(Version::Pep),
            _ => self.parse_why(version).ok(),
        }
    }

    /// Parses `version`, or says why it is not one in this order (the
    /// distribution orders say which rule it breaks).
    pub(super) fn parse_why(self, version: &str) -> std::result::Result<Version, String> {
        let invalid = || format!("{version:?} is not a valid {} version", self.name());
        match self {
            Scheme::SemVer => parse_semver(version).map(Version::Sem).ok_or_else(invalid),
            Scheme::Pep440 => pep440_rs::Version::from_str(version)
                .map(Version::Pep)
                .map_err(|_| invalid()),
            Scheme::Dpkg => dpkg::Version::parse(version).map(Version::Dpkg),
            Scheme::Rpm => rpm::Version::parse(version).map(Version::Rpm),
            Scheme::Apk => apk::Version::parse(version).map(Version::Apk),
            Scheme::RubyGems => gem::Version::parse(version).map(Version::Gem),
        }
    }
}

/// SemVer, tolerating one leading `v` as Go writes its versions.
fn parse_semver(version: &str) -> Option<semver::Version> {
    semver::Version::parse(version.strip_prefix('v').unwrap_or(version)).ok()
}

/// A parsed version. Versions of different schemes never meet in one
/// comparison; the cross-scheme arm only makes the order total.
#[derive(Debug, Clone)]
pub(super) enum Version {
    Sem(semver::Version),
    Pep(pep440_rs::Version),
    Dpkg(dpkg::Version),
    Rpm(rpm::Version),
    Apk(apk::Version),
    Gem(gem::Version),
}

impl Version {
    /// The rank of the scheme, for the cross-scheme arm.
    fn rank(&self) -> u8 {
        match self {
            Version::Sem(_) => 0,
            Version::Pep(_) => 1,
            Version::Dpkg(_) => 2,
            Version::Rpm(_) => 3,
            Version::Apk(_) => 4,
            Version::Gem(_) => 5,
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            // SemVer precedence ignores build metadata (semver.org §10).
            (Version::Sem(a), Version::Sem(b)) => a.cmp_precedence(b),
            (Version::Pep(a), Version::Pep(b)) => a.cmp(b),
            (Version::Dpkg(a), Version::Dpkg(b)) => a.cmp(b),
            (Version::Rpm(a), Version::Rpm(b)) => a.cmp(b),
            (Version::Apk(a), Version::Apk(b)) => a.cmp(b),
            (Version::Gem(a), Version::Gem(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

order_is_equality!(Version);

/// An event's version: "0" below everything, a limit's "*" above.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Bound {
    Zero,
    At(Version),
    Infinity,
}

impl Bound {
    /// Parses an event's version in `scheme`, with the schema's special
    /// values; the error says why, for the caller to prefix with the field.
    pub(super) fn parse(event: &Event, scheme: Scheme) -> std::result::Result<Bound, String> {
        match event {
            Event::Introduced(v) if v == "0" => return Ok(Bound::Zero),
            Event::Limit(v) if v.contains('*') => return Ok(Bound::Infinity),
            _ => {}
        }
        let (_, v) = event.parts();
        scheme.parse_why(v).map(Bound::At)
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
pub(super) struct Query<'a> {
    raw: &'a str,
    /// The ecosystem's own order, when vouch implements it.
    scheme: Option<Scheme>,
    /// The version in SemVer, for SEMVER ranges (and the ecosystem order of
    /// crates.io, npm and Go).
    semver: Option<Version>,
    /// The version in the ecosystem's own order when that is not SemVer
    /// (PEP 440, RubyGems, Debian, RPM, apk), for its ECOSYSTEM ranges.
    native: Option<Version>,
}

impl<'a> Query<'a> {
    /// Parses `version` in `ecosystem`'s order, failing when it is not a
    /// version there: a typo in an input must not read as "not affected".
    pub(super) fn new(
        ecosystem: &Ecosystem,
        version: &'a str,
    ) -> std::result::Result<Self, String> {
        let scheme = ecosystem.scheme();
        let semver = Scheme::SemVer.parse(version);
        if semver.is_none() && scheme == Some(Scheme::SemVer) {
            Scheme::SemVer.parse_why(version)?;
        }
        let native = match scheme {
            Some(Scheme::SemVer) | None => None,
            Some(scheme) => Some(scheme.parse_why(version)?),
        };
        Ok(Query {
            raw: version,
            scheme,
            semver,
            native,
        })
    }

    /// The order a range is compared in, and the version in it; None when
    /// the range cannot be evaluated for this version (GIT; ECOSYSTEM of an
    /// ecosystem vouch does not order; SEMVER for a version that is not
    /// SemVer, e.g. a PEP 440 pre-release).
    pub(super) fn in_range_order(&self, kind: RangeKind) -> Option<(Scheme, &Version)> {
        let scheme = match kind {
            RangeKind::Semver => Scheme::SemVer,
            RangeKind::Ecosystem => self.scheme?,
            RangeKind::Git => return None,
        };
        let version = match scheme {
            Scheme::SemVer => self.semver.as_ref()?,
            _ => self.native.as_ref()?,
        };
        Some((scheme, version))
    }

    /// Whether `listed` (a `versions[]` entry) is this version: equal in
    /// the ecosystem's order when both parse (so Go's "v1.2.3" is "1.2.3"
    /// and PyPI's "2.0" is "2.0.0"), else the same string.
    pub(super) fn is(&self, listed: &str) -> bool {
        if listed == self.raw {
            return true;
        }
        let mine = match self.scheme {
            Some(Scheme::SemVer) => self.semver.as_ref(),
            Some(_) => self.native.as_ref(),
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
pub(super) fn evaluate(
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
