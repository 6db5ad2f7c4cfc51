//! One vendored or pinned input, and how its declaration and its files
//! compare.

use serde::Serialize;

/// Whether what the lockfile declares is what is on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Match {
    /// Declared, vendored, and every check holds.
    Match,
    /// Declared and vendored, but a check fails; `reason` names the file.
    Mismatch {
        /// What does not match, and where.
        reason: String,
    },
    /// Declared but not vendored in this tree (fetched at build time).
    NotVendored,
}

impl Match {
    /// Its name in evidence (provenance annotations, SBOM properties):
    /// `match`, `mismatch` or `not-vendored`.
    pub fn name(&self) -> &'static str {
        match self {
            Match::Match => "match",
            Match::Mismatch { .. } => "mismatch",
            Match::NotVendored => "not-vendored",
        }
    }

    /// A short word for tables.
    pub fn word(&self) -> &'static str {
        match self {
            Match::Match => "match",
            Match::Mismatch { .. } => "MISMATCH",
            Match::NotVendored => "not-vendored",
        }
    }
}

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
        }
    }

    /// Whether a criticality rule marked it.
    pub fn is_critical(&self) -> bool {
        !self.critical.is_empty()
    }
}

/// Percent-encodes one purl segment (namespace, name or version) as the
/// purl spec requires: everything but ASCII letters, digits and `-._~`, so
/// that `@scope` becomes `%40scope`.
pub(crate) fn purl_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
