//! One vendored or pinned input, and how its declaration and its files
//! compare.

use serde::Serialize;
use vouch_evidence::input::{Digest, Distribution, InputRecord, OsOrigin, Purl};

pub use vouch_evidence::input::Match;

use crate::{Error, Result};

/// One input of the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    /// The package name.
    pub name: String,
    /// The version (or revision) pinned.
    pub version: String,
    /// The ecosystem (`cargo`, `npm`, ...).
    pub ecosystem: &'static str,
    /// Its package URL.
    pub purl: String,
    /// Where it comes from (registry, git URL).
    pub uri: String,
    /// What the lockfile declares, in its own notation: `sha256:<hex>` for
    /// Cargo, the `sha256:` hashes pip may accept joined with `,`, an SRI
    /// string (`sha512-<base64>`) for npm.
    pub declared: Option<String>,
    /// What is on disk, as `<DigestSet key>:<hex>`: `dirHash:` for a
    /// vendored directory (Cargo, npm), `sha256:` for files (pip; several
    /// files joined with `,`). `None` when not vendored.
    pub observed: Option<String>,
    /// How the two compare.
    #[serde(rename = "match")]
    pub status: Match,
    /// Where it is vendored, relative to the project root.
    pub path: Option<String>,
    /// Its licence, as an SPDX expression where the metadata has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Local patches applied on top of the upstream source, as paths
    /// relative to the project root (Bazel `patches`, vouch.inputs.yaml).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<String>,
    /// Categories its ecosystem gives it, e.g. Envoy's `use_category`
    /// (`dataplane_core`, `controlplane`); criticality rules match on them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Its CPE where the metadata declares one, for vulnerability matching.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    /// The purls of the inputs it depends on directly, where the lockfile
    /// gives the graph: the SBOM's `dependencies`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// Why it is critical: one reason per matching rule. Empty means
    /// "normal". Filled by the criticality rules, not by discovery.
    pub critical: Vec<String>,
    /// Where an OS package of an image was found (ecosystems `deb`, `apk`,
    /// `rpm`); `None` for a project's inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<OsOrigin>,
    /// The directory outside the project that the build takes it from
    /// instead of a vendored copy: a `[patch]` onto a distribution's
    /// installed package (`vouch unbundle --write`). Discovery records the
    /// path and never reads it; the caller verifies the chain of custody
    /// and fills [`Input::distribution`], or marks the input a mismatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provided: Option<String>,
    /// The distribution package it was unbundled onto (`vouch unbundle`),
    /// with the chain of custody verified; filled by the caller that
    /// checked it, never by discovery, which does not leave the project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Distribution>,
}

impl Input {
    /// A declared input with nothing vendored yet: the fields every
    /// ecosystem knows, the rest empty. Discovery fills in the rest.
    pub fn declared(
        ecosystem: &'static str,
        name: impl Into<String>,
        version: impl Into<String>,
        purl: impl Into<String>,
        uri: impl Into<String>,
    ) -> Self {
        Input {
            name: name.into(),
            version: version.into(),
            ecosystem,
            purl: purl.into(),
            uri: uri.into(),
            declared: None,
            observed: None,
            status: Match::NotVendored,
            path: None,
            license: None,
            patches: Vec::new(),
            categories: Vec::new(),
            cpe: None,
            dependencies: Vec::new(),
            critical: Vec::new(),
            os: None,
            provided: None,
            distribution: None,
        }
    }

    /// Whether a criticality rule marked it.
    pub fn is_critical(&self) -> bool {
        !self.critical.is_empty()
    }

    /// What evidence records of it (the provenance's resolved dependency,
    /// the SBOMs' component or package): its origin is its `uri`, else its
    /// purl. A purl or an observed digest that does not parse is an error
    /// naming the input.
    pub fn record(&self) -> Result<InputRecord> {
        let whose = || format!("input {} {} ({})", self.name, self.version, self.ecosystem);
        let purl = match self.purl.as_str() {
            "" => None,
            text => Some(text.parse::<Purl>().map_err(|e| Error::Invalid {
                what: "purl",
                path: whose(),
                reason: format!("{text:?}: {}", reason(e)),
            })?),
        };
        let observed = match self.observed.as_deref() {
            Some(text) => text
                .split(',')
                .map(|d| d.trim().parse::<Digest>())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::Invalid {
                    what: "observed digest",
                    path: whose(),
                    reason: e.to_string(),
                })?,
            None => Vec::new(),
        };
        Ok(InputRecord {
            name: self.name.clone(),
            ecosystem: self.ecosystem.to_string(),
            version: Some(self.version.clone()),
            purl,
            origin: Some(if self.uri.is_empty() {
                self.purl.clone()
            } else {
                self.uri.clone()
            }),
            declared: self.declared.clone(),
            observed,
            status: Some(self.status.clone()),
            path: self.path.clone(),
            license: self.license.clone(),
            cpe: self.cpe.clone(),
            categories: self.categories.clone(),
            patches: self.patches.clone(),
            critical: self.is_critical(),
            critical_reasons: self.critical.clone(),
            os: self.os.clone(),
            distribution: self.distribution.clone(),
        })
    }
}

/// The package URL of a package of purl type `ty`, built with
/// `packageurl` (see [`Purl::build`] for the spelling); an error names the
/// package when its name is empty or its type forbids what it is given.
pub(crate) fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: Option<&str>,
    qualifiers: &[(&str, &str)],
) -> Result<String> {
    Purl::build(ty, namespace, name, version, qualifiers)
        .map(|p| p.to_string())
        .map_err(|e| Error::Invalid {
            what: "purl",
            path: format!("{ty} package {name:?}"),
            reason: reason(e),
        })
}

/// The reason of an evidence error, without its "invalid …" prefix.
fn reason(e: vouch_evidence::Error) -> String {
    match e {
        vouch_evidence::Error::Invalid { reason, .. } => reason,
        other => other.to_string(),
    }
}
