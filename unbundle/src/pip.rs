//! Python distributions in Debian: the Python team packages them as
//! `python3-*`, named after the import name rather than the distribution
//! (`PyYAML` is `python3-yaml`), so a distribution is found by the
//! `.dist-info` (or `.egg-info`) directory its package installs under
//! `/usr/lib/python3/dist-packages`: `<name>-<version>.dist-info`.
//!
//! Every step is kept: pip has no sound mechanism to take a requirement
//! from a distribution's installed tree. Hash-checking mode
//! (`--require-hashes`), which vouch's pip inputs are, accepts only
//! archives whose hashes the requirements list, and dist-packages holds
//! none; a venv with `--system-site-packages` exposes every installed
//! `python3-*` package, not the one swapped, and nothing in the project
//! then records which; constraints files narrow versions and cannot point
//! at an installed directory. The plan still says which package carries
//! each input and how its version (PEP 440) stands to the pin, which is
//! the assessment a vendor needs to make the swap by other means.

use std::str::FromStr;

use pep440_rs::Version;

use crate::{Action, Candidate, Delta, Step};

/// Why no pip step is swapped, in the plan's words.
pub const NO_MECHANISM: &str = "pip cannot take a hash-pinned requirement from an installed \
     tree (--require-hashes accepts only listed archives; --system-site-packages exposes every \
     python3-* package, not this one), so no swap is written";

/// A distribution name PEP 503-normalised: lowercase, every run of `-`,
/// `_` and `.` one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The distribution name (normalised) and version a metadata directory's
/// name gives: `PyYAML-6.0.dist-info`, `six-1.16.0.egg-info`,
/// `python_apt-2.6.0.egg-info`. Wheels escape `-` in the name as `_`, so
/// the version is what follows the last `-`.
pub fn dist_info(dir_name: &str) -> Option<(String, String)> {
    let stem = dir_name
        .strip_suffix(".dist-info")
        .or_else(|| dir_name.strip_suffix(".egg-info"))?;
    let (name, version) = stem.rsplit_once('-')?;
    let version = version.split_once("-py").map_or(version, |(v, _)| v);
    (!name.is_empty() && Version::from_str(version).is_ok())
        .then(|| (normalize(name), version.to_string()))
}

/// The plan for distribution `name` pinned at `locked`, given the
/// packages whose installed metadata names it (each with the upstream
/// version that metadata gives): the package and the PEP 440 delta,
/// always kept, with [`NO_MECHANISM`] as why.
pub fn plan(name: &str, locked: &str, candidates: &[(Candidate, String)]) -> Step {
    let keep = |reason: String| Step::keep(name, locked, reason);
    let Ok(lock) = Version::from_str(locked) else {
        return keep(format!(
            "the pinned version {locked:?} is not a PEP 440 version"
        ));
    };
    let best = candidates
        .iter()
        .filter_map(|(c, v)| Version::from_str(v).ok().map(|v| (c, v)))
        .max_by(|(_, a), (_, b)| a.cmp(b));
    let Some((candidate, upstream)) = best else {
        return keep(format!(
            "no installed python3-* package has a {}-<version>.dist-info under \
             /usr/lib/python3/dist-packages",
            normalize(name)
        ));
    };
    let delta = if upstream.release().first() != lock.release().first() {
        Delta::Incompatible
    } else {
        Delta::of(upstream.cmp(&lock))
    };
    Step::weighed(
        name,
        locked,
        candidate,
        upstream.to_string(),
        delta,
        Action::Keep,
        format!("{} carries {upstream}; {NO_MECHANISM}", candidate.package),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_metadata_directories() {
        assert_eq!(normalize("PyYAML"), "pyyaml");
        assert_eq!(normalize("zope.interface"), "zope-interface");
        assert_eq!(normalize("a__b-.c"), "a-b-c");
        // Real directories of Debian 12's python3-six, python3-yaml,
        // python3-apt and python3-setuptools.
        assert_eq!(
            dist_info("six-1.16.0.egg-info"),
            Some(("six".into(), "1.16.0".into()))
        );
        assert_eq!(
            dist_info("PyYAML-6.0.egg-info"),
            Some(("pyyaml".into(), "6.0".into()))
        );
        assert_eq!(
            dist_info("python_apt-2.6.0.egg-info"),
            Some(("python-apt".into(), "2.6.0".into()))
        );
        assert_eq!(
            dist_info("setuptools-66.1.1.egg-info"),
            Some(("setuptools".into(), "66.1.1".into()))
        );
        assert_eq!(
            dist_info("idna-3.3.dist-info"),
            Some(("idna".into(), "3.3".into()))
        );
        assert_eq!(dist_info("six.py"), None);
        assert_eq!(dist_info("noversion.dist-info"), None);
    }

    #[test]
    fn every_step_is_kept_with_the_delta_and_why() {
        let six = [(
            Candidate {
                package: "python3-six".into(),
                version: "1.16.0-4".into(),
            },
            "1.16.0".to_string(),
        )];
        let same = plan("six", "1.16.0", &six);
        assert_eq!((same.action, same.delta), (Action::Keep, Some(Delta::Same)));
        assert_eq!(same.package.as_deref(), Some("python3-six"));
        assert_eq!(same.package_version.as_deref(), Some("1.16.0-4"));
        assert!(same.reason.ends_with(NO_MECHANISM), "{}", same.reason);
        assert_eq!(plan("six", "1.17.0", &six).delta, Some(Delta::Older));
        assert_eq!(plan("six", "1.15.0", &six).delta, Some(Delta::Newer));
        assert_eq!(plan("six", "2.0.0", &six).delta, Some(Delta::Incompatible));
        let none = plan("requests", "2.31.0", &[]);
        assert_eq!((none.action, none.package), (Action::Keep, None));
        assert!(
            none.reason.contains("requests-<version>.dist-info"),
            "{}",
            none.reason
        );
        assert_eq!(plan("six", "not a version", &six).action, Action::Keep);
    }
}
