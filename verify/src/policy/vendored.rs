//! `vendoredInputs`: rules over the vendored inputs recorded in the SLSA
//! provenance that `vouch attest` writes (docs/provenance.md).
//!
//! ```yaml
//! vendoredInputs:
//!   requireMatch: true          # no input may be recorded as `mismatch`
//!   critical:
//!     approved:                 # each critical input must match an entry
//!       - {name: zlib, version: "1.3.1", digest: "sha256:<hex>"}
//!   forbidden:                  # no input may match an entry
//!     - {name: left-pad}
//! ```
//!
//! An entry matches an input when every field it gives equals the input's:
//! `name` (required), `ecosystem` and `version` (the `ecosystem` and
//! `version` annotations), and `digest` (`<key>:<hex>`, one of the input's
//! observed digests as recorded in its `observed` annotation or its
//! `digest` set). `critical` means the input's `critical` annotation is
//! `true`. An empty `approved` list admits no critical input at all.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;
use vouch_evidence::input::{InputRecord, Match};

use crate::vulns::{label, records_from_provenance};

/// The wire form of `vendoredInputs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct WireVendored {
    #[serde(default)]
    require_match: bool,
    critical: Option<WireCritical>,
    #[serde(default)]
    forbidden: Vec<WireEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireCritical {
    approved: Vec<WireEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEntry {
    name: String,
    ecosystem: Option<String>,
    version: Option<String>,
    digest: Option<String>,
}

/// One entry of an `approved` or `forbidden` list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InputEntry {
    /// The input's name (crate, module path, Bazel repository, ...).
    pub name: String,
    /// Its ecosystem (`cargo`, `go`, ...), when the entry names one.
    pub ecosystem: Option<String>,
    /// Its exact version, when the entry names one.
    pub version: Option<String>,
    /// An observed digest, `<key>:<hex>`, when the entry names one
    /// (approved entries only).
    pub digest: Option<String>,
}

impl fmt::Display for InputEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(version) = &self.version {
            write!(f, " {version}")?;
        }
        if let Some(ecosystem) = &self.ecosystem {
            write!(f, " ({ecosystem})")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, " {digest}")?;
        }
        Ok(())
    }
}

/// The validated `vendoredInputs` rules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VendoredInputs {
    /// Every input's observed digest must match what its lockfile declares.
    pub require_match: bool,
    /// When set, every critical input must match one of these entries.
    pub approved_critical: Option<Vec<InputEntry>>,
    /// No input may match any of these entries.
    pub forbidden: Vec<InputEntry>,
}

fn entry(field: &str, wire: WireEntry, digest_allowed: bool) -> Result<InputEntry, String> {
    if wire.name.trim().is_empty() {
        return Err(format!("{field}: an entry needs a `name`"));
    }
    if let Some(digest) = &wire.digest {
        if !digest_allowed {
            return Err(format!(
                "{field}: {}: `digest` is for approved entries; forbid a name or version",
                wire.name
            ));
        }
        let valid = digest.split_once(':').is_some_and(|(key, hex)| {
            !key.is_empty()
                && key.chars().all(|c| c.is_ascii_alphanumeric())
                && !hex.is_empty()
                && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
        });
        if !valid {
            return Err(format!(
                "{field}: {}: digest {digest:?} is not `<key>:<lowercase hex>` (e.g. sha256:…, dirHash:…)",
                wire.name
            ));
        }
    }
    Ok(InputEntry {
        name: wire.name,
        ecosystem: wire.ecosystem,
        version: wire.version,
        digest: wire.digest,
    })
}

impl TryFrom<WireVendored> for VendoredInputs {
    type Error = String;

    fn try_from(wire: WireVendored) -> Result<Self, String> {
        let approved_critical = wire
            .critical
            .map(|c| {
                c.approved
                    .into_iter()
                    .map(|e| entry("spec.vendoredInputs.critical.approved", e, true))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let forbidden = wire
            .forbidden
            .into_iter()
            .map(|e| entry("spec.vendoredInputs.forbidden", e, false))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VendoredInputs {
            require_match: wire.require_match,
            approved_critical,
            forbidden,
        })
    }
}

impl fmt::Display for VendoredInputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.require_match {
            parts.push("every input matches its lockfile".to_string());
        }
        if let Some(approved) = &self.approved_critical {
            parts.push(format!(
                "critical inputs approved: [{}]",
                approved
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !self.forbidden.is_empty() {
            parts.push(format!(
                "forbidden: [{}]",
                self.forbidden
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if parts.is_empty() {
            parts.push("no rules".into());
        }
        f.write_str(&parts.join("; "))
    }
}

impl InputEntry {
    /// Whether `input` is this entry: every field the entry gives equals
    /// the input's.
    fn is(&self, input: &InputRecord) -> bool {
        self.name == input.name
            && self
                .ecosystem
                .as_deref()
                .is_none_or(|e| input.ecosystem == e)
            && self
                .version
                .as_deref()
                .is_none_or(|v| input.version.as_deref() == Some(v))
            && self
                .digest
                .as_ref()
                .is_none_or(|d| input.observed.iter().any(|o| o.to_string() == *d))
    }
}

impl VendoredInputs {
    /// Checks the rules against a verified SLSA provenance predicate as
    /// `vouch attest` writes it, and returns one reason per violation
    /// (empty: the rules hold). A predicate without the dependency list, or
    /// with an entry that is not an input record as vouch writes it (an
    /// annotation missing or of the wrong type), is itself a violation:
    /// the rules cannot be checked on it.
    pub fn evaluate(&self, predicate: &Value) -> Vec<String> {
        let inputs = match records_from_provenance(predicate) {
            Ok(inputs) => inputs,
            Err(reason) => return vec![reason],
        };
        let mut reasons = Vec::new();
        for input in &inputs {
            let label = || label(&input.name, input.version.as_deref(), &input.ecosystem);
            // `forbidden` applies to every input; `requireMatch` and
            // `critical.approved` are about the project's vendored inputs,
            // not an image's OS packages (nothing declared to match, no
            // build to approve: the vulnerability gate covers them).
            let vendored = input.os.is_none();
            if let (true, true, Some(Match::Mismatch { reason })) =
                (vendored, self.require_match, &input.status)
            {
                reasons.push(format!(
                    "input {} does not match its lockfile: {reason}",
                    label()
                ));
            }
            if let Some(approved) = &self.approved_critical {
                if vendored && input.critical && !approved.iter().any(|e| e.is(input)) {
                    reasons.push(format!(
                        "critical input {} (observed {}) is not on the approved list",
                        label(),
                        if input.observed.is_empty() {
                            "nothing".to_string()
                        } else {
                            input
                                .observed
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ));
                }
            }
            if let Some(entry) = self.forbidden.iter().find(|e| e.is(input)) {
                reasons.push(format!("input {} is forbidden ({entry})", label()));
            }
        }
        reasons
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(yaml: &str) -> VendoredInputs {
        let wire: WireVendored = serde_norway::from_str(yaml).unwrap();
        VendoredInputs::try_from(wire).unwrap()
    }

    /// `sha256:<AA…>`, the observed digest of zlib.
    fn zlib_digest() -> String {
        format!("sha256:{}", "aa".repeat(32))
    }

    fn provenance() -> Value {
        json!({"buildDefinition": {"resolvedDependencies": [
            {"name": "zlib", "digest": {"sha256": "aa".repeat(32)},
             "annotations": {"ecosystem": "bazel", "version": "1.3.1", "match": "match",
                             "purl": "pkg:generic/zlib@1.3.1",
                             "observed": zlib_digest(), "critical": true,
                             "criticalReasons": ["compression: parser"]}},
            {"name": "serde", "digest": {"dirHash": "bb"},
             "annotations": {"ecosystem": "cargo", "version": "1.0.0", "match": "mismatch",
                             "purl": "pkg:cargo/serde@1.0.0",
                             "mismatchReason": "src/lib.rs differs", "critical": false}},
        ]}})
    }

    #[test]
    fn approved_critical_input_passes_and_an_unapproved_one_is_named() {
        let ok = rules(&format!(
            "critical: {{approved: [{{name: zlib, version: '1.3.1', digest: '{}'}}]}}",
            zlib_digest()
        ));
        assert!(ok.evaluate(&provenance()).is_empty());
        let other = rules("critical: {approved: [{name: zlib, digest: 'sha256:cc'}]}");
        let reasons = other.evaluate(&provenance());
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].contains("critical input zlib 1.3.1 (bazel)"),
            "{reasons:?}"
        );
        assert!(reasons[0].contains(&zlib_digest()), "{reasons:?}");
    }

    #[test]
    fn os_packages_are_outside_approval_but_not_outside_forbidden() {
        let purl = "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12";
        let with_libc = json!({"buildDefinition": {"resolvedDependencies": [
            {"name": "libc6", "uri": purl,
             "annotations": {"ecosystem": "deb", "version": "2.36-9", "match": "not-vendored",
                             "purl": purl, "critical": true,
                             "criticalReasons": ["system-libraries: libc"],
                             "sourceName": "glibc", "sourceVersion": "2.36-9",
                             "layer": "sha256:00", "database": "var/lib/dpkg/status",
                             "thirdParty": false}},
        ]}});
        // An approval list for the project's vendored inputs does not deny
        // the image's critical OS packages.
        let approved = rules("critical: {approved: [{name: zlib}]}");
        assert!(approved.evaluate(&with_libc).is_empty());
        let forbidden = rules("forbidden: [{name: libc6}]");
        let reasons = forbidden.evaluate(&with_libc);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].contains("libc6 2.36-9 (deb) is forbidden"),
            "{reasons:?}"
        );
    }

    #[test]
    fn require_match_names_the_mismatch() {
        assert!(rules("requireMatch: false")
            .evaluate(&provenance())
            .is_empty());
        let reasons = rules("requireMatch: true").evaluate(&provenance());
        assert_eq!(
            reasons,
            ["input serde 1.0.0 (cargo) does not match its lockfile: src/lib.rs differs"]
        );
    }

    #[test]
    fn forbidden_inputs_are_named() {
        let reasons = rules("forbidden: [{name: serde, version: '1.0.0'}]").evaluate(&provenance());
        assert_eq!(reasons.len(), 1);
        assert!(
            reasons[0].contains("serde 1.0.0 (cargo) is forbidden"),
            "{reasons:?}"
        );
        assert!(rules("forbidden: [{name: serde, version: '2.0.0'}]")
            .evaluate(&provenance())
            .is_empty());
    }

    #[test]
    fn a_predicate_without_dependencies_fails() {
        let reasons = rules("requireMatch: true").evaluate(&json!({"buildDefinition": {}}));
        assert!(reasons[0].contains("resolvedDependencies"), "{reasons:?}");
    }

    #[test]
    fn bad_entries_are_refused() {
        let wire: WireVendored =
            serde_norway::from_str("critical: {approved: [{name: z, digest: 'SHA256:AA'}]}")
                .unwrap();
        assert!(VendoredInputs::try_from(wire)
            .unwrap_err()
            .contains("not `<key>:<lowercase hex>`"));
        let wire: WireVendored =
            serde_norway::from_str("forbidden: [{name: z, digest: 'sha256:aa'}]").unwrap();
        assert!(VendoredInputs::try_from(wire)
            .unwrap_err()
            .contains("approved entries"));
        let wire: WireVendored = serde_norway::from_str("forbidden: [{name: ''}]").unwrap();
        assert!(VendoredInputs::try_from(wire)
            .unwrap_err()
            .contains("needs a `name`"));
    }
}
