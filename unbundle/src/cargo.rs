//! Cargo crates in Debian: Debian's Rust team packages crate `C` as
//! `librust-C-dev` (the name lowercased, `_` written `-`), and a second,
//! semver-incompatible version beside it as `librust-C-<major>-dev` (or
//! `librust-C-0.<minor>-dev`), each shipping the crate's source under
//! `/usr/share/cargo/registry/C-<version>/`. Feature packages
//! (`librust-C+std-dev`) only pull in dependencies and carry no source.
//!
//! A swap keeps Cargo's version contract (semver, "caret" compatibility)
//! when Debian's version is in the locked version's compatible range
//! (same major; same minor for `0.x`; same patch for `0.0.x`) and meets
//! every requirement the project's crates state for it (their
//! `Cargo.toml` dependency entries). Without those requirements it must
//! not be older than the lock: the lock pins the newest version every
//! dependent accepted, and an older one may lack what a dependent needs.

use semver::{Version, VersionReq};

use crate::{debian_upstream, Action, Candidate, Delta, Step};

pub use vouch_evidence::input::{carries_crate as carries, crate_package_name as package_name};

/// The upstream version a Debian version carries: without its epoch
/// (`1:`) and Debian revision (`-1`, `-1+b1`), with Debian's `~` for a
/// semver pre-release (`1.0.0~rc.1`) read back as `-`; `+dfsg` and the
/// like parse as build metadata, which semver ignores in comparisons.
pub fn upstream_version(debian: &str) -> Option<Version> {
    Version::parse(&debian_upstream(debian).replace('~', "-")).ok()
}

/// The part of a version that semver compatibility keeps fixed.
fn compatible(a: &Version, b: &Version) -> bool {
    match (a.major, a.minor) {
        (0, 0) => b.major == 0 && b.minor == 0 && a.patch == b.patch,
        (0, minor) => b.major == 0 && b.minor == minor,
        (major, _) => b.major == major,
    }
}

/// The plan for crate `name` locked at `locked`, required by the
/// project's crates as `requirements` (empty when they are not known; those
/// the locked version does not meet are another copy's and are ignored),
/// given the distribution's packages: the newest carrier in the locked
/// version's compatible range, swapped when it meets every requirement
/// (or, with none known, is not older than the lock); else why not.
pub fn plan(
    name: &str,
    locked: &str,
    requirements: &[VersionReq],
    candidates: &[Candidate],
) -> Step {
    let keep = |reason: String| Step::keep(name, locked, reason);
    let Ok(lock) = Version::parse(locked) else {
        return keep(format!(
            "the locked version {locked:?} is not a semver version"
        ));
    };
    // A requirement the locked version does not meet does not bind this
    // copy: it is another, semver-incompatible copy's (both locked side by
    // side), or a dependency's dev-dependency, which Cargo never resolves.
    let requirements: Vec<&VersionReq> = requirements.iter().filter(|r| r.matches(&lock)).collect();
    let carriers: Vec<(&Candidate, Version)> = candidates
        .iter()
        .filter(|c| carries(&c.package, name))
        .filter_map(|c| upstream_version(&c.version).map(|v| (c, v)))
        .collect();
    if carriers.is_empty() {
        return keep(format!(
            "no package carries the crate (looked for {} and versioned {}-N-dev)",
            package_name(name),
            package_name(name).trim_end_matches("-dev")
        ));
    }
    let best = carriers
        .iter()
        .filter(|(_, v)| compatible(&lock, v))
        .max_by(|(_, a), (_, b)| a.cmp_precedence(b));
    let Some((candidate, upstream)) = best else {
        let mut found: Vec<String> = carriers
            .iter()
            .map(|(c, v)| format!("{} {v}", c.package))
            .collect();
        found.sort();
        found.dedup();
        return Step {
            delta: Some(Delta::Incompatible),
            ..keep(format!(
                "no packaged version is semver-compatible with {lock}: {}",
                found.join(", ")
            ))
        };
    };
    let delta = Delta::of(upstream.cmp_precedence(&lock));
    let unmet: Vec<String> = requirements
        .iter()
        .filter(|r| !r.matches(upstream))
        .map(ToString::to_string)
        .collect();
    let package = &candidate.package;
    let (action, reason) = if !unmet.is_empty() {
        (
            Action::Keep,
            format!(
                "{package} carries {upstream}, which the project's requirement(s) {} exclude",
                unmet.join(", ")
            ),
        )
    } else {
        match delta {
            Delta::Same => (
                Action::Swap,
                format!("{package} carries {upstream}, the locked version"),
            ),
            Delta::Older if requirements.is_empty() => (
                Action::Keep,
                format!(
                    "{package} carries {upstream}, older than the locked {lock}, and no \
                     requirement of the project's crates is known to allow it"
                ),
            ),
            _ => (
                Action::Swap,
                format!(
                    "{package} carries {upstream}, semver-compatible with the locked {lock}{}",
                    if requirements.is_empty() {
                        String::new()
                    } else {
                        " and every requirement of the project's crates".to_string()
                    }
                ),
            ),
        }
    };
    Step::weighed(
        name,
        locked,
        candidate,
        upstream.to_string(),
        delta,
        action,
        reason,
    )
}

/// Keeps a swap the distribution's build cannot serve for want of
/// features: `enabled` are the features the project's crates enable on the
/// crate, `offered` the ones the distribution's `Cargo.toml` defines (its
/// `[features]` and optional dependencies). Debian drops some upstream
/// features (flate2's `zlib-ng`, for one), and Cargo refuses a dependency
/// that asks for a feature its source lacks.
pub fn require_features<'a>(
    step: Step,
    enabled: impl IntoIterator<Item = &'a str>,
    offered: &std::collections::BTreeSet<String>,
) -> Step {
    if step.action != Action::Swap {
        return step;
    }
    let mut missing: Vec<&str> = enabled
        .into_iter()
        .filter(|f| *f != "default" && !offered.contains(*f))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        return step;
    }
    let package = step.package.as_deref().unwrap_or("the package");
    let reason = format!(
        "feature(s) missing from {package}: {} (enabled by the project's crates)",
        missing.join(", ")
    );
    step.kept(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real stanzas of Debian 12's `main/binary-amd64/Packages` (bookworm,
    /// as apt downloaded it on 2026-12-03): name and version of each
    /// package carrying, or named like a carrier of, these crates.
    fn bookworm() -> Vec<Candidate> {
        [
            ("librust-flate2-dev", "1.0.25-1"),
            ("librust-nom-dev", "7.1.1-1"),
            ("librust-nom-4-dev", "4.2.3-3"),
            ("librust-nom+std-dev", "7.1.1-1"),
            ("librust-nom-derive-dev", "0.10.0-1"),
            ("librust-nom-4+std-dev", "4.2.3-3"),
            ("librust-serde-json-dev", "1.0.87-1"),
            ("librust-miniz-oxide-dev", "0.6.2-1"),
            ("librust-flexiber-dev", "0.1.0-1+b1"),
        ]
        .into_iter()
        .map(|(package, version)| Candidate {
            package: package.into(),
            version: version.into(),
        })
        .collect()
    }

    #[test]
    fn debian_names_and_carriers() {
        assert_eq!(package_name("serde_json"), "librust-serde-json-dev");
        assert_eq!(package_name("Inflector"), "librust-inflector-dev");
        assert!(carries("librust-nom-dev", "nom"));
        assert!(carries("librust-nom-4-dev", "nom"));
        assert!(carries("librust-miniz-oxide-0.6-dev", "miniz_oxide"));
        assert!(!carries("librust-nom+std-dev", "nom"));
        assert!(!carries("librust-nom-4+std-dev", "nom"));
        assert!(!carries("librust-nom-derive-dev", "nom"));
        assert!(!carries("librust-nom-dev", "nom-derive"));
        assert!(!carries("librust-nom--dev", "nom"));
    }

    #[test]
    fn upstream_versions_drop_epoch_and_revision() {
        let v = |s: &str| upstream_version(s).map(|v| v.to_string());
        assert_eq!(v("1.0.25-1").as_deref(), Some("1.0.25"));
        assert_eq!(v("0.1.0-1+b1").as_deref(), Some("0.1.0"));
        assert_eq!(v("1:2.0.0-3").as_deref(), Some("2.0.0"));
        assert_eq!(v("1.0.0~rc.1-2").as_deref(), Some("1.0.0-rc.1"));
        assert_eq!(v("0.4.3+dfsg-1").as_deref(), Some("0.4.3+dfsg"));
        assert_eq!(v("2023.1-1"), None);
    }

    #[test]
    fn the_plan_swaps_within_the_compatible_range_and_says_why_not() {
        let step = |name: &str, locked: &str| plan(name, locked, &[], &bookworm());
        // The locked version, and an older lock Debian's newer patch serves.
        let same = step("flate2", "1.0.25");
        assert_eq!((same.action, same.delta), (Action::Swap, Some(Delta::Same)));
        assert_eq!(same.package.as_deref(), Some("librust-flate2-dev"));
        let newer = step("flate2", "1.0.20");
        assert_eq!(
            (newer.action, newer.delta),
            (Action::Swap, Some(Delta::Newer))
        );
        // Debian's is older than the lock: kept, saying so.
        let older = step("flate2", "1.0.28");
        assert_eq!(
            (older.action, older.delta),
            (Action::Keep, Some(Delta::Older))
        );
        assert!(
            older.reason.contains("older than the locked 1.0.28"),
            "{}",
            older.reason
        );
        // nom 4 is the versioned package; nom 5 has none.
        let four = step("nom", "4.2.0");
        assert_eq!(four.package.as_deref(), Some("librust-nom-4-dev"));
        assert_eq!(four.action, Action::Swap);
        let five = step("nom", "5.1.2");
        assert_eq!(
            (five.action, five.delta),
            (Action::Keep, Some(Delta::Incompatible))
        );
        assert_eq!(
            five.reason,
            "no packaged version is semver-compatible with 5.1.2: librust-nom-4-dev 4.2.3, librust-nom-dev 7.1.1"
        );
        // 0.x: the minor is the major.
        assert_eq!(step("miniz_oxide", "0.6.1").action, Action::Swap);
        assert_eq!(
            step("miniz_oxide", "0.7.1").delta,
            Some(Delta::Incompatible)
        );
        assert_eq!(step("serde_json", "1.0.87").action, Action::Swap);
        // No package at all; a lock that is no version.
        let none = step("tinyxml-rs", "1.0.0");
        assert_eq!((none.action, none.delta), (Action::Keep, None));
        assert!(
            none.reason.contains("librust-tinyxml-rs-dev"),
            "{}",
            none.reason
        );
        assert_eq!(step("flate2", "latest").action, Action::Keep);
    }

    #[test]
    fn requirements_bind_only_the_copy_they_select() {
        let req = |s: &str| VersionReq::parse(s).unwrap();
        // Debian's 1.0.25 is older than the lock, but the project's crates
        // accept it: swapped. A requirement of another copy (`=0.4`) or a
        // dev-dependency never resolved is not this copy's.
        let older = plan(
            "flate2",
            "1.0.28",
            &[req("1.0.20"), req("0.4")],
            &bookworm(),
        );
        assert_eq!(
            (older.action, older.delta),
            (Action::Swap, Some(Delta::Older))
        );
        // A requirement the lock meets and Debian's version does not.
        let unmet = plan("flate2", "1.0.28", &[req(">=1.0.26")], &bookworm());
        assert_eq!(unmet.action, Action::Keep);
        assert!(unmet.reason.contains(">=1.0.26"), "{}", unmet.reason);
    }

    #[test]
    fn a_feature_the_package_lacks_keeps_the_input() {
        let offered = ["default", "rust_backend", "zlib"].map(String::from).into();
        let swap = plan("flate2", "1.0.25", &[], &bookworm());
        let kept = require_features(swap.clone(), ["zlib-ng", "zlib", "default"], &offered);
        assert_eq!(kept.action, Action::Keep);
        assert_eq!(
            kept.reason,
            "feature(s) missing from librust-flate2-dev: zlib-ng (enabled by the project's crates)"
        );
        assert_eq!(
            require_features(swap, ["zlib"], &offered).action,
            Action::Swap
        );
    }
}
