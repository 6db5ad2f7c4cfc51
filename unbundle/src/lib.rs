//! The unbundling plan (`vouch unbundle`, issue 16): for each critical
//! vendored input, the distribution package that carries the same upstream
//! component, and whether swapping the vendored copy for it keeps the
//! version contract the project's lockfile records. A distribution vendor
//! keeps the bulk of an application vendored and unbundles only the
//! critical parts onto builds it maintains; this crate decides which parts
//! can be, and says why the others cannot.
//!
//! No I/O: the caller gives the locked inputs and the candidate packages
//! (read from the distribution's verified package index), and gets a plan.
#![forbid(unsafe_code)]

use std::cmp::Ordering;

use serde::Serialize;

pub mod cargo;
pub mod custody;
pub mod gem;
pub mod go;
pub mod npm;
pub mod pip;

/// A binary package of the distribution's index: what the plan needs of
/// one stanza of a `Packages` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The binary package's name (`librust-flate2-dev`).
    pub package: String,
    /// Its version as the distribution spells it (`1.0.25-1`,
    /// `1:2.0~rc1-3+b1`).
    pub version: String,
}

/// The upstream part of a Debian version: without its epoch (`1:`) and
/// its Debian revision (the last `-` and what follows): `1:2.0.0~rc.1-3`
/// is `2.0.0~rc.1`. Each ecosystem then reads what is left by its own
/// rules (`~` for a pre-release, `+` for a repack or a snapshot).
pub fn debian_upstream(debian: &str) -> &str {
    let without_epoch = match debian.split_once(':') {
        Some((epoch, rest)) if epoch.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => debian,
    };
    without_epoch
        .rsplit_once('-')
        .map_or(without_epoch, |(upstream, _revision)| upstream)
}

/// How the distribution's version stands to the locked one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delta {
    /// The same upstream version.
    Same,
    /// Newer, within the locked version's compatible range.
    Newer,
    /// Older, within the compatible range: the project's dependents may
    /// need what the locked version added.
    Older,
    /// Outside the compatible range (another major version, or another
    /// `0.x` minor).
    Incompatible,
}

impl Delta {
    /// The delta of a packaged version that compares to the locked one as
    /// `ordering`, once it is known to lie in the compatible range (each
    /// ecosystem decides [`Delta::Incompatible`] by its own rule first).
    pub fn of(ordering: Ordering) -> Delta {
        match ordering {
            Ordering::Equal => Delta::Same,
            Ordering::Greater => Delta::Newer,
            Ordering::Less => Delta::Older,
        }
    }
}

/// What the plan does with one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Swap the vendored copy for the distribution's package.
    Swap,
    /// Keep the vendored copy; the step's reason says why.
    Keep,
    /// Already taken from the distribution's package (a swap made
    /// earlier): nothing to plan.
    Provided,
}

/// The plan for one input: the package chosen, if any, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The input's name as its ecosystem spells it (`flate2`).
    pub name: String,
    /// Its locked version.
    pub version: String,
    /// The distribution package considered, when one carries it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// That package's version, as the distribution spells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_version: Option<String>,
    /// The upstream version the package carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_version: Option<String>,
    /// How it stands to the locked version, when there is a package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<Delta>,
    /// Swap or keep.
    pub action: Action,
    /// Why, in words a vendor's assessment can quote.
    pub reason: String,
    /// The patches the distribution applies on top of the upstream source
    /// (Debian's `debian/patches/series`, in order), read from the
    /// installed package: what the build will take besides upstream's code.
    pub patches: Vec<String>,
}

impl Step {
    /// A step that keeps input `name` locked at `version`, with no package
    /// considered, saying why: what every planner says when no package
    /// can even be weighed.
    pub fn keep(name: &str, version: &str, reason: String) -> Step {
        Step {
            name: name.to_string(),
            version: version.to_string(),
            package: None,
            package_version: None,
            upstream_version: None,
            delta: None,
            action: Action::Keep,
            reason,
            patches: Vec::new(),
        }
    }

    /// A step for input `name` locked at `version` that weighed
    /// `candidate`, which carries upstream version `upstream`, standing to
    /// the lock as `delta`: what every planner says once it has chosen a
    /// package, swapping or keeping it (`action`) and why. No patches: the
    /// caller reads those from the installed package.
    pub fn weighed(
        name: &str,
        version: &str,
        candidate: &Candidate,
        upstream: String,
        delta: Delta,
        action: Action,
        reason: String,
    ) -> Step {
        Step {
            name: name.to_string(),
            version: version.to_string(),
            package: Some(candidate.package.clone()),
            package_version: Some(candidate.version.clone()),
            upstream_version: Some(upstream),
            delta: Some(delta),
            action,
            reason,
            patches: Vec::new(),
        }
    }

    /// This step kept instead, saying why: the package it weighed stays
    /// named, so that the plan shows what was refused (a check after the
    /// version rule failed: not installed, a feature missing, ...).
    pub fn kept(self, reason: String) -> Step {
        Step {
            action: Action::Keep,
            reason,
            ..self
        }
    }
}
