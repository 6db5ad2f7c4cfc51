//! npm packages in Debian: the JavaScript team packages `N` as
//! `node-<N>` (`@types/ms` -> `node-types-ms`, lowercased, `_` written
//! `-`), installed under `/usr/share/nodejs/<N>`; a package that bundles
//! others says so with `Provides: node-<M> (= <version>)`, and installs
//! them under `/usr/share/nodejs/<M>` too. Debian's version carries the
//! upstream one before any `+` (`2.1.3+~cs0.7.31-3` bundles components
//! after `+~cs`).
//!
//! A swap keeps npm's version contract when Debian's version satisfies
//! every range the project's packages state for the one it replaces (the
//! lockfile's `dependencies`, `optionalDependencies` and
//! `peerDependencies` of each dependent, and the root `package.json`'s),
//! by node-semver's rules.

use nodejs_semver::{Range, Version};

use crate::{debian_upstream, Action, Candidate, Delta, Step};

/// The Debian package name for npm package `name`.
pub fn package_name(name: &str) -> String {
    let bare = name.trim_start_matches('@').replace(['/', '_'], "-");
    format!("node-{}", bare.to_ascii_lowercase())
}

/// The upstream version a Debian version of a Node package carries
/// (`1.4.0-7` -> `1.4.0`, `2.1.3+~cs0.7.31-3` -> `2.1.3`, `1:2.0.0~rc.1-1`
/// -> `2.0.0-rc.1`). A `Provides` version (`0.7.31`) reads the same.
pub fn upstream_version(debian: &str) -> Option<Version> {
    let upstream = debian_upstream(debian);
    let upstream = upstream.split('+').next().unwrap_or(upstream);
    let version: Version = upstream.replace('~', "-").parse().ok()?;
    Some(version)
}

/// The plan for npm package `name` locked at `locked`, whose dependents
/// state `ranges` (each `(dependent, range)`), given the packages that
/// carry it (by name or `Provides`, with the version they carry): the
/// newest that satisfies every range, swapped; else why not.
pub fn plan(
    name: &str,
    locked: &str,
    ranges: &[(String, String)],
    candidates: &[Candidate],
) -> Step {
    let keep = |reason: String| Step::keep(name, locked, reason);
    let Ok(lock) = locked.parse::<Version>() else {
        return keep(format!(
            "the locked version {locked:?} is not a semver version"
        ));
    };
    let mut parsed = Vec::new();
    for (dependent, text) in ranges {
        match text.parse::<Range>() {
            Ok(range) => parsed.push((dependent, text, range)),
            Err(_) => {
                return keep(format!(
                    "{dependent} requires it as {text:?}, which is not a semver range \
                     (an alias, a URL or a path): the project chose its source"
                ))
            }
        }
    }
    if parsed.is_empty() {
        return keep("no package of the project depends on it (extraneous)".to_string());
    }
    let carriers: Vec<(&Candidate, Version)> = candidates
        .iter()
        .filter_map(|c| upstream_version(&c.version).map(|v| (c, v)))
        .collect();
    let Some((newest, newest_version)) = carriers.iter().max_by(|(_, a), (_, b)| a.cmp(b)) else {
        return keep(format!(
            "no package carries it (looked for {} and a Provides of it)",
            package_name(name)
        ));
    };
    let fits = |v: &Version| parsed.iter().all(|(_, _, r)| r.satisfies(v));
    let Some((candidate, upstream)) = carriers
        .iter()
        .filter(|(_, v)| fits(v))
        .max_by(|(_, a), (_, b)| a.cmp(b))
    else {
        let unmet: Vec<String> = parsed
            .iter()
            .filter(|(_, _, r)| !r.satisfies(newest_version))
            .map(|(d, t, _)| format!("{d} ({t})"))
            .collect();
        return Step::weighed(
            name,
            locked,
            newest,
            newest_version.to_string(),
            Delta::Incompatible,
            Action::Keep,
            format!(
                "{} carries {newest_version}, outside the range of {}",
                newest.package,
                unmet.join(", ")
            ),
        );
    };
    let delta = Delta::of(upstream.cmp(&lock));
    Step::weighed(
        name,
        locked,
        candidate,
        upstream.to_string(),
        delta,
        Action::Swap,
        format!(
            "{} carries {upstream}{}, within every dependent's range",
            candidate.package,
            if delta == Delta::Same {
                ", the locked version"
            } else {
                ""
            }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real stanzas of Debian 12's `main/binary-amd64/Packages` (bookworm,
    /// as apt downloaded it on 2026-12-04): a package's own version, or
    /// the version a `Provides: node-<x> (= <v>)` gives.
    fn bookworm(name: &str) -> Vec<Candidate> {
        [
            ("once", "node-once", "1.4.0-7"),
            ("wrappy", "node-wrappy", "1.0.2-3"),
            ("ms", "node-ms", "2.1.3+~cs0.7.31-3"),
            ("@types/ms", "node-ms", "0.7.31"),
            ("lodash.debounce", "node-lodash-packages", "4.17.21"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n == name)
        .map(|(_, package, version)| Candidate {
            package: package.into(),
            version: version.into(),
        })
        .collect()
    }

    fn ranges(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(d, r)| ((*d).to_string(), (*r).to_string()))
            .collect()
    }

    #[test]
    fn debian_names_and_versions() {
        assert_eq!(package_name("once"), "node-once");
        assert_eq!(package_name("@types/ms"), "node-types-ms");
        assert_eq!(package_name("string_decoder"), "node-string-decoder");
        assert_eq!(package_name("lodash.debounce"), "node-lodash.debounce");
        let v = |s: &str| upstream_version(s).map(|v| v.to_string());
        assert_eq!(v("1.4.0-7").as_deref(), Some("1.4.0"));
        assert_eq!(v("2.1.3+~cs0.7.31-3").as_deref(), Some("2.1.3"));
        assert_eq!(v("0.7.31").as_deref(), Some("0.7.31"));
        assert_eq!(v("1:2.0.0~rc.1-1").as_deref(), Some("2.0.0-rc.1"));
        assert_eq!(v("git20230101"), None);
    }

    #[test]
    fn the_plan_needs_every_dependents_range() {
        let step = |name: &str, locked: &str, r: &[(&str, &str)]| {
            plan(name, locked, &ranges(r), &bookworm(name))
        };
        let same = step(
            "once",
            "1.4.0",
            &[("", "^1.4.0"), ("node_modules/glob", "^1.3.0")],
        );
        assert_eq!((same.action, same.delta), (Action::Swap, Some(Delta::Same)));
        assert_eq!(same.package.as_deref(), Some("node-once"));
        // Older than the lock but inside every range: npm itself could
        // have chosen it.
        let older = step("ms", "2.1.3", &[("node_modules/debug", "2.1.2 - 2.1.3")]);
        assert_eq!(
            (older.action, older.delta),
            (Action::Swap, Some(Delta::Same))
        );
        let newer = step("wrappy", "1.0.1", &[("node_modules/once", "1")]);
        assert_eq!(
            (newer.action, newer.delta),
            (Action::Swap, Some(Delta::Newer))
        );
        // One dependent's range excludes Debian's version: kept, naming it.
        let out = step(
            "ms",
            "2.0.0",
            &[("node_modules/a", "^2.0.0"), ("node_modules/b", "2.0.0")],
        );
        assert_eq!(
            (out.action, out.delta),
            (Action::Keep, Some(Delta::Incompatible))
        );
        assert_eq!(
            out.reason,
            "node-ms carries 2.1.3, outside the range of node_modules/b (2.0.0)"
        );
        // A bundled module, by its Provides version.
        let bundled = step("@types/ms", "0.7.31", &[("", "^0.7.0")]);
        assert_eq!(bundled.action, Action::Swap);
        assert_eq!(bundled.upstream_version.as_deref(), Some("0.7.31"));
        // No package; a range that is no range; no dependent.
        assert_eq!(
            step("left-pad", "1.3.0", &[("", "^1.3.0")]).action,
            Action::Keep
        );
        let alias = step("once", "1.4.0", &[("", "npm:other@^1")]);
        assert_eq!(alias.action, Action::Keep);
        assert!(
            alias.reason.contains("not a semver range"),
            "{}",
            alias.reason
        );
        assert_eq!(step("once", "1.4.0", &[]).action, Action::Keep);
    }
}
