//! What an upgrade changes: two images' verified evidence side by side.
//!
//! Pure: it compares two [`Verdict`]s (their inputs, findings and VEX
//! statements, all read from verified attestations).
//!
//! - **Inputs** are paired by ecosystem and name. Where a name appears in
//!   several versions (npm nests them), equal versions pair first, then the
//!   rest in version order; what is left is added or removed.
//! - **A version change** is a major, minor or patch bump by the first
//!   release component that differs (`1.2.3` → `1.3.0` is minor), or a
//!   downgrade; versions whose release is not numeric are `other`. Where
//!   vouch orders the input's ecosystem (SemVer for Cargo, npm and Go,
//!   PEP 440 for pip, `Gem::Version` for gems), that order decides which
//!   way it moved: `1.0.0` → `1.0.0-rc.1` (npm) or `2.2.8` → `2.2.8.rc1`
//!   (a gem) is a downgrade to a pre-release, not `other`, and a numeric
//!   reading never calls an upgrade in the ecosystem's order a downgrade.
//! - **A digest that changed while the version stayed the same** is listed
//!   apart: the same declared release now has other bytes, which is what a
//!   silent re-tag or a tampered vendor tree looks like.
//! - **Swaps** (`vouch unbundle`, issue 16): an input of OLD and NEW
//!   paired as above that went from vendored to a distribution's build
//!   (`unbundled`), from one distribution package to another or another
//!   version of it (`distribution-changed`), or back from a distribution's
//!   build to a vendored copy (`rebundled`, a regression: the build no
//!   longer uses what the distribution maintains). A swap explains its
//!   digest change, so a swapped input is not also listed as rehashed.
//! - **Vulnerabilities** are fixed (in OLD, not in NEW) or introduced, by
//!   record id and input name.
//! - **VEX**: a statement answers for the image digest it names, so none of
//!   OLD's answers carries over by itself. Each finding OLD had answered is
//!   listed when NEW still has it unanswered (re-assess and re-issue for
//!   NEW) or no longer has it (the answer is no longer needed).

use std::cmp::Ordering;

use serde::Serialize;

use vouch_evidence::osv::Ecosystem;

use crate::evaluate::Verdict;
use crate::vulns::{Action, Finding, ImageInput};

/// How a version moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// The first release component grew.
    Major,
    /// The second did.
    Minor,
    /// A later one did.
    Patch,
    /// The new version is lower.
    Downgrade,
    /// Not comparable as numeric releases (or only a suffix differs).
    Other,
}

impl std::fmt::Display for Bump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Bump::Major => "major",
            Bump::Minor => "minor",
            Bump::Patch => "patch",
            Bump::Downgrade => "downgrade",
            Bump::Other => "other",
        })
    }
}

/// The numeric release of a version: `v1.2.3-rc.1` → `[1, 2, 3]`.
fn release(version: &str) -> Option<Vec<u64>> {
    let core = version.trim_start_matches('v');
    let core = core.split(['-', '+']).next()?;
    let parts: Option<Vec<u64>> = core
        .split('.')
        .map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect();
    parts.filter(|p| !p.is_empty())
}

/// Classifies the move from `old` to `new` of an input of `ecosystem`:
/// the direction by the ecosystem's own order where vouch has one and both
/// versions parse in it, the size by the numeric release.
pub fn bump(ecosystem: Option<&Ecosystem>, old: &str, new: &str) -> Bump {
    let ordered = ecosystem.and_then(|e| e.compare(old, new).ok());
    match (ordered, numeric_bump(old, new)) {
        (Some(Ordering::Greater), _) => Bump::Downgrade,
        (Some(Ordering::Less), Bump::Downgrade) | (Some(Ordering::Equal), _) => Bump::Other,
        (_, numeric) => numeric,
    }
}

/// Classifies the move from `old` to `new` by their numeric releases alone.
fn numeric_bump(old: &str, new: &str) -> Bump {
    let (Some(a), Some(b)) = (release(old), release(new)) else {
        return Bump::Other;
    };
    let len = a.len().max(b.len());
    for i in 0..len {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        match y.cmp(&x) {
            Ordering::Equal => continue,
            Ordering::Less => return Bump::Downgrade,
            Ordering::Greater => {
                return match i {
                    0 => Bump::Major,
                    1 => Bump::Minor,
                    _ => Bump::Patch,
                }
            }
        }
    }
    Bump::Other
}

/// An input whose version changed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionChange {
    /// The input in OLD.
    pub old: ImageInput,
    /// The input in NEW.
    pub new: ImageInput,
    /// How the version moved.
    pub bump: Bump,
}

/// An input whose observed digest changed under the same version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rehashed {
    /// The input in OLD.
    pub old: ImageInput,
    /// The input in NEW.
    pub new: ImageInput,
}

/// How an input's provider changed between OLD and NEW.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SwapKind {
    /// Vendored in OLD, provided by a distribution package in NEW.
    Unbundled,
    /// Provided by a distribution package in both, but another package,
    /// version or source version of it in NEW.
    DistributionChanged,
    /// Provided by a distribution package in OLD, vendored again in NEW:
    /// a regression worth flagging.
    Rebundled,
}

impl std::fmt::Display for SwapKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SwapKind::Unbundled => "unbundled",
            SwapKind::DistributionChanged => "distribution-changed",
            SwapKind::Rebundled => "rebundled",
        })
    }
}

/// An input whose provider changed: vendored, or which distribution
/// package provides it (see [`SwapKind`]).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Swap {
    /// The input in OLD.
    pub old: ImageInput,
    /// The input in NEW.
    pub new: ImageInput,
    /// Which way it moved.
    pub kind: SwapKind,
}

/// The swap between two paired inputs, if their providers differ: a
/// distribution record present on one side only, or naming another
/// package, version or source version.
fn swap(old: &ImageInput, new: &ImageInput) -> Option<SwapKind> {
    match (&old.distribution, &new.distribution) {
        (None, None) => None,
        (None, Some(_)) => Some(SwapKind::Unbundled),
        (Some(_), None) => Some(SwapKind::Rebundled),
        (Some(a), Some(b)) => (a.purl.package_url() != b.purl.package_url()
            || a.source_name != b.source_name
            || a.source_version != b.source_version)
            .then_some(SwapKind::DistributionChanged),
    }
}

/// A change to the critical set.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CriticalChange {
    /// The input (as in NEW when it is there, else as in OLD).
    pub input: ImageInput,
    /// `added` (new critical input, or newly marked) or `removed`.
    pub change: Change,
}

/// Which way an input crossed the critical set's border.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// It is critical in NEW and was not (or was absent) in OLD.
    Added,
    /// It was critical in OLD and is not (or is absent) in NEW.
    Removed,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Added => "added",
            Change::Removed => "removed",
        })
    }
}

/// A VEX answer of OLD that does not carry over.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaleAnswer {
    /// The finding as OLD had it, with its answer.
    pub finding: Finding,
    /// Why the answer no longer applies.
    pub why: String,
}

/// Everything that differs between OLD and NEW.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    /// OLD's image and digest.
    pub old: String,
    /// NEW's image and digest.
    pub new: String,
    /// Inputs only NEW has.
    pub added: Vec<ImageInput>,
    /// Inputs only OLD has.
    pub removed: Vec<ImageInput>,
    /// Inputs whose version changed.
    pub changed: Vec<VersionChange>,
    /// Inputs whose digest changed while the version did not (and their
    /// provider did not: see `swaps`).
    pub rehashed: Vec<Rehashed>,
    /// Inputs whose provider changed: unbundled onto a distribution's
    /// build, another distribution package, or vendored again. Left out
    /// of the JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub swaps: Vec<Swap>,
    /// Changes to the critical set.
    pub critical: Vec<CriticalChange>,
    /// Findings OLD has and NEW does not.
    pub fixed: Vec<Finding>,
    /// Findings NEW has and OLD did not.
    pub introduced: Vec<Finding>,
    /// OLD's VEX answers that do not carry over.
    pub stale_vex: Vec<StaleAnswer>,
}

impl Diff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.rehashed.is_empty()
            && self.swaps.is_empty()
            && self.critical.is_empty()
            && self.fixed.is_empty()
            && self.introduced.is_empty()
            && self.stale_vex.is_empty()
    }
}

/// Orders two versions of one input: in `ecosystem`'s order when it is
/// given (the caller gives it only when every version of the input parses
/// in it), else by the total key (has a numeric release, the release, the
/// text). Either is a total order, as sorting needs: mixing the two per
/// pair could make a cycle (`2` < `10` by number, `10` < `1z.` < `2` as
/// text).
fn version_order(ecosystem: Option<&Ecosystem>, a: &ImageInput, b: &ImageInput) -> Ordering {
    let (va, vb) = (
        a.version.as_deref().unwrap_or(""),
        b.version.as_deref().unwrap_or(""),
    );
    if let Some(order) = ecosystem.and_then(|e| e.compare(va, vb).ok()) {
        return order.then_with(|| va.cmp(vb));
    }
    let key = |v| {
        let release = release(v);
        (release.is_some(), release, v)
    };
    key(va).cmp(&key(vb))
}

/// The changes between `old` and `new`.
pub fn diff(old: &Verdict, new: &Verdict) -> Diff {
    let mut out = Diff {
        old: format!("{}@{}", old.image, old.digest),
        new: format!("{}@{}", new.image, new.digest),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        rehashed: Vec::new(),
        swaps: Vec::new(),
        critical: Vec::new(),
        fixed: Vec::new(),
        introduced: Vec::new(),
        stale_vex: Vec::new(),
    };
    let mut names: Vec<(&str, &str)> = old
        .inputs
        .iter()
        .chain(&new.inputs)
        .map(|i| (i.ecosystem.as_str(), i.name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    for (ecosystem, name) in names {
        let of = |v: &'_ Verdict| -> Vec<ImageInput> {
            v.inputs
                .iter()
                .filter(|i| i.ecosystem == ecosystem && i.name == name)
                .cloned()
                .collect()
        };
        let (mut before, mut after) = (of(old), of(new));
        // The ecosystem's order, when every version on both sides parses
        // in it; else the fallback for all of them.
        let order = before
            .first()
            .and_then(ImageInput::osv_ecosystem)
            .filter(|e| {
                before
                    .iter()
                    .chain(&after)
                    .all(|i| e.check_version(i.version.as_deref().unwrap_or("")).is_ok())
            });
        before.sort_by(|a, b| version_order(order.as_ref(), a, b));
        after.sort_by(|a, b| version_order(order.as_ref(), a, b));
        // Equal versions pair first.
        let mut pairs = Vec::new();
        before.retain(
            |b| match after.iter().position(|a| a.version == b.version) {
                Some(at) => {
                    pairs.push((b.clone(), after.remove(at)));
                    false
                }
                None => true,
            },
        );
        let unpaired = before.len().min(after.len());
        let rest_before = before.split_off(unpaired);
        let rest_after = after.split_off(unpaired);
        pairs.extend(before.into_iter().zip(after));
        for (o, n) in pairs {
            let swapped = swap(&o, &n);
            if o.version != n.version {
                out.changed.push(VersionChange {
                    bump: bump(
                        order.as_ref(),
                        o.version.as_deref().unwrap_or(""),
                        n.version.as_deref().unwrap_or(""),
                    ),
                    old: o.clone(),
                    new: n.clone(),
                });
            } else if swapped.is_none()
                && !o.digests.is_empty()
                && !n.digests.is_empty()
                && o.digests != n.digests
            {
                out.rehashed.push(Rehashed {
                    old: o.clone(),
                    new: n.clone(),
                });
            }
            if let Some(kind) = swapped {
                out.swaps.push(Swap {
                    old: o.clone(),
                    new: n.clone(),
                    kind,
                });
            }
            if o.critical != n.critical {
                out.critical.push(CriticalChange {
                    change: if n.critical {
                        Change::Added
                    } else {
                        Change::Removed
                    },
                    input: n,
                });
            }
        }
        // What is left unpaired was removed (before) or added (after).
        for (rest, change, list) in [
            (rest_before, Change::Removed, &mut out.removed),
            (rest_after, Change::Added, &mut out.added),
        ] {
            for input in rest {
                if input.critical {
                    out.critical.push(CriticalChange {
                        input: input.clone(),
                        change,
                    });
                }
                list.push(input);
            }
        }
    }
    // The findings of `a` that `b` does not have.
    let only_in = |a: &Verdict, b: &Verdict| -> Vec<Finding> {
        a.findings
            .iter()
            .filter(|f| !b.findings.iter().any(|o| o.key() == f.key()))
            .cloned()
            .collect()
    };
    out.fixed = only_in(old, new);
    out.introduced = only_in(new, old);
    for f in old.findings.iter().filter(|f| f.answered()) {
        let why = match new.findings.iter().find(|n| n.key() == f.key()) {
            Some(n) if n.answered() => continue,
            Some(n) => format!(
                "NEW still has {} in {} and no trusted answer: the statement answered for OLD's digest only; re-assess and re-issue it for NEW",
                n.id,
                n.input.label()
            ),
            None => format!(
                "no longer needed: NEW is not affected by {} through {}",
                f.id, f.input.name
            ),
        };
        out.stale_vex.push(StaleAnswer {
            finding: f.clone(),
            why,
        });
    }
    out
}

/// The upgrade rule (`vulnerabilities.upgrade`): for each policy of NEW
/// with an upgrade action, each unanswered finding in a critical input
/// that counts under its gate and that no image of the old object (`old`,
/// every one the old object ran) had unanswered, with the action and a
/// message. A finding an old image had answered counts as new here: its
/// answer was for that image's digest.
pub fn upgrade_findings(old: &[&Verdict], new: &Verdict) -> Vec<(Action, String)> {
    let open_in_old = |f: &Finding| {
        old.iter()
            .flat_map(|v| &v.findings)
            .any(|o| o.key() == f.key() && o.input.critical && !o.answered())
    };
    let from = match old {
        [] => "nothing verified".to_string(),
        _ => old
            .iter()
            .map(|v| format!("{}@{}", v.image, v.digest))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mut out = Vec::new();
    for policy in &new.policies {
        let Some(action) = policy.upgrade.filter(|a| *a != Action::Ignore) else {
            continue;
        };
        for f in &policy.findings {
            if f.input.critical && !f.answered() && f.action != Action::Ignore && !open_in_old(f) {
                out.push((
                    action,
                    format!(
                        "policy {}: the upgrade from {from} brings {} ({}) in critical input {}, unanswered",
                        policy.name,
                        f.id,
                        f.severity.map_or("no severity".to_string(), |s| s.to_string()),
                        f.input.label()
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_are_classified_by_the_first_differing_release_component() {
        let bump = |a, b| bump(None, a, b);
        assert_eq!(bump("1.2.3", "2.0.0"), Bump::Major);
        assert_eq!(bump("1.2.3", "1.3.0"), Bump::Minor);
        assert_eq!(bump("1.2.3", "1.2.4"), Bump::Patch);
        assert_eq!(bump("v0.3.6", "v0.3.7"), Bump::Patch);
        assert_eq!(bump("2.32.0", "2.31.0"), Bump::Downgrade);
        assert_eq!(bump("1.3", "1.3.1"), Bump::Patch);
        assert_eq!(bump("1.0.0-rc.1", "1.0.0"), Bump::Other);
        assert_eq!(bump("abc", "1.0"), Bump::Other);
    }

    #[test]
    fn a_downgrade_to_a_pre_release_is_a_downgrade_in_the_ecosystems_order_issue_18() {
        let eco = |name: &str| Ecosystem::from_vouch(name);
        // Numerically these look like no move at all ("other"); in each
        // ecosystem's order the new version is older.
        for (ecosystem, old, new) in [
            ("npm", "1.0.0", "1.0.0-rc.1"),
            ("cargo", "0.9.1", "0.9.1-alpha"),
            ("gem", "2.2.8", "2.2.8.rc1"),
            ("gem", "1.0", "1.0.a"),
            ("pip", "1.0", "1.0rc1"),
            ("pip", "1.0.post1", "1.0"),
        ] {
            assert_eq!(bump(None, old, new), Bump::Other, "{old} -> {new}");
            assert_eq!(
                bump(eco(ecosystem).as_ref(), old, new),
                Bump::Downgrade,
                "{ecosystem}: {old} -> {new}"
            );
        }
        // The size of an upgrade is still the numeric one.
        assert_eq!(bump(eco("gem").as_ref(), "2.2.8", "3.0.9"), Bump::Major);
        assert_eq!(bump(eco("pip").as_ref(), "1.0rc1", "1.0"), Bump::Other);
        // A version the ecosystem does not parse falls back to numbers.
        assert_eq!(bump(eco("npm").as_ref(), "2.32", "2.31"), Bump::Downgrade);
        // An upgrade in the ecosystem's order is never a downgrade: PEP 440
        // epochs outrank the release.
        assert_eq!(bump(eco("pip").as_ref(), "2.0", "1!1.0"), Bump::Other);
        assert_eq!(bump(None, "2.0", "1!1.0"), Bump::Downgrade);
    }

    /// A cargo input `name` 1.0.0 with observed `digest`, unbundled onto
    /// Debian's `librust-<name>-dev` `deb_version` when given.
    /// Sorting needs a total order, whatever versions a verdict holds: the
    /// fallback order is transitive over numeric, non-numeric and mixed
    /// versions (`2` < `10` by number, while `10` < `1z.` < `2` as text),
    /// and so is the ecosystem's order over versions that all parse.
    #[test]
    fn version_orders_are_total_issue_18() {
        let at = |v: &str| ImageInput {
            version: Some(v.into()),
            ..input("x", "sha256:00", None)
        };
        let check = |ecosystem: Option<&Ecosystem>, versions: &[&str]| {
            let all: Vec<ImageInput> = versions.iter().map(|v| at(v)).collect();
            for a in &all {
                for b in &all {
                    for c in &all {
                        let (ab, bc) = (
                            version_order(ecosystem, a, b),
                            version_order(ecosystem, b, c),
                        );
                        if ab == Ordering::Less && bc == Ordering::Less {
                            assert_eq!(
                                version_order(ecosystem, a, c),
                                Ordering::Less,
                                "{:?} {:?} {:?}",
                                a.version,
                                b.version,
                                c.version
                            );
                        }
                    }
                }
            }
        };
        check(
            None,
            &["2", "10", "1z.", "abc", "", "1.0.0-rc.1", "v0.3.7", "1!1.0"],
        );
        let pip = Ecosystem::from_vouch("pip");
        check(
            pip.as_ref(),
            &["2.0", "1!1.0", "1.0rc1", "1.0", "1.0.post1", "10"],
        );
    }

    fn input(name: &str, digest: &str, deb_version: Option<&str>) -> ImageInput {
        use vouch_evidence::fixtures;
        ImageInput {
            name: name.into(),
            version: Some("1.0.0".into()),
            ecosystem: "cargo".into(),
            purl: Some(format!("pkg:cargo/{name}@1.0.0")),
            uri: None,
            critical: true,
            critical_reasons: vec!["compression: parser".into()],
            digests: vec![digest.into()],
            cpe: None,
            status: None,
            os: None,
            distribution: deb_version.map(|v| {
                fixtures::distribution(
                    fixtures::debian_12(&format!("librust-{name}-dev"), v),
                    &format!("rust-{name}"),
                    &[],
                )
            }),
        }
    }

    fn verdict(inputs: Vec<ImageInput>) -> Verdict {
        Verdict {
            image: "oci:layout:app".into(),
            digest: "sha256:ab".into(),
            verdict: crate::evaluate::Decision::Allow,
            denials: Vec::new(),
            warnings: Vec::new(),
            policies: Vec::new(),
            evidence: Vec::new(),
            inputs,
            inputs_from: None,
            findings: Vec::new(),
            vex: Vec::new(),
            provenance: None,
        }
    }

    #[test]
    fn swaps_are_listed_each_way_and_explain_their_digest_change() {
        let old = verdict(vec![
            input("flate2", "dirHash:aa", None),
            input("miniz", "dirHash:cc", Some("1.0.0-1")),
            input("adler", "dirHash:dd", Some("1.0.0-2")),
            input("crc32fast", "dirHash:ee", Some("1.0.0-1")),
        ]);
        let new = verdict(vec![
            input("flate2", "dirHash:bb", Some("1.0.0-1")),
            input("miniz", "dirHash:cc", Some("1.0.0-1+deb12u1")),
            input("adler", "dirHash:ff", None),
            input("crc32fast", "dirHash:ee", Some("1.0.0-1")),
        ]);
        let d = diff(&old, &new);
        let swaps: Vec<(&str, SwapKind)> = d
            .swaps
            .iter()
            .map(|s| (s.new.name.as_str(), s.kind))
            .collect();
        assert_eq!(
            swaps,
            [
                ("adler", SwapKind::Rebundled),
                ("flate2", SwapKind::Unbundled),
                ("miniz", SwapKind::DistributionChanged),
            ]
        );
        assert!(d.rehashed.is_empty(), "{:?}", d.rehashed);
        assert!(d.changed.is_empty() && !d.is_empty());
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["swaps"][0]["kind"], "rebundled");
        // Control: the same provider with other bytes is still rehashed,
        // and no swap at all leaves the JSON as it was.
        let d = diff(
            &verdict(vec![input("crc32fast", "dirHash:ee", Some("1.0.0-1"))]),
            &verdict(vec![input("crc32fast", "dirHash:ef", Some("1.0.0-1"))]),
        );
        assert!(d.swaps.is_empty());
        assert_eq!(d.rehashed.len(), 1);
        assert!(serde_json::to_value(&d).unwrap().get("swaps").is_none());
    }
}
