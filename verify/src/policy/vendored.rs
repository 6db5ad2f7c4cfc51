//! `vendoredInputs`: rules over the vendored inputs recorded in the SLSA
//! provenance that `vouch attest` writes (docs/provenance.md).
//!
//! ```yaml
//! vendoredInputs:
//!   requireMatch: true          # no input may be recorded as `mismatch`
//!   critical:
//!     require: distribution     # each critical input is unbundled (below)
//!     approved:                 # each critical input must match an entry
//!       - {name: zlib, version: "1.3.1", digest: "sha256:<hex>"}
//!       - {name: flate2, distribution: debian}
//!   forbidden:                  # no input may match an entry
//!     - {name: left-pad}
//! ```
//!
//! An entry matches an input when every field it gives equals the input's:
//! `name` (required), `ecosystem` and `version` (the `ecosystem` and
//! `version` annotations), `digest` (`<key>:<hex>`, one of the input's
//! observed digests as recorded in its `observed` annotation or its
//! `digest` set), and `distribution` (approved entries only: the input is
//! unbundled onto a package of that distribution, the namespace of its
//! `distributionPurl`, `debian` in `pkg:deb/debian/…`, and its chain of
//! custody holds: `match` is `match`). `critical` means the input's
//! `critical` annotation is `true`. An empty `approved` list admits no
//! critical input at all.
//!
//! `critical.require: distribution` requires every critical project input
//! to be unbundled (`vouch unbundle`): recorded with a distribution
//! package (the `distribution*` annotations, docs/provenance.md) whose
//! chain of custody `vouch attest` verified (`match` is `match`). A
//! critical input still vendored is denied, naming it; so is one whose
//! distribution record says the chain broke (`mismatch`). An image's OS
//! packages are the distribution's own and outside the rule.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;
use vouch_evidence::input::{Distribution, InputRecord, Match};

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
    approved: Option<Vec<WireEntry>>,
    require: Option<Require>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEntry {
    name: String,
    ecosystem: Option<String>,
    version: Option<String>,
    digest: Option<String>,
    distribution: Option<String>,
}

/// What `critical.require` asks of every critical project input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Require {
    /// Unbundled onto a distribution's package, with its chain of custody
    /// verified.
    Distribution,
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
    /// The distribution the input must be unbundled onto (`debian`, the
    /// namespace of its distribution purl), when the entry names one
    /// (approved entries only).
    pub distribution: Option<String>,
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
        if let Some(distribution) = &self.distribution {
            write!(f, " from {distribution}")?;
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
    /// When set, what every critical project input must be
    /// (`critical.require`).
    pub require_critical: Option<Require>,
    /// No input may match any of these entries.
    pub forbidden: Vec<InputEntry>,
}

fn entry(field: &str, wire: WireEntry, digest_allowed: bool) -> Result<InputEntry, String> {
    if wire.name.trim().is_empty() {
        return Err(format!("{field}: an entry needs a `name`"));
    }
    if let Some(distribution) = &wire.distribution {
        if !digest_allowed {
            return Err(format!(
                "{field}: {}: `distribution` is for approved entries",
                wire.name
            ));
        }
        if distribution.is_empty()
            || !distribution
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!(
                "{field}: {}: distribution {distribution:?} is not a distribution id \
                 (lowercase, as os-release's ID and the purl namespace: debian)",
                wire.name
            ));
        }
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
        distribution: wire.distribution,
    })
}

impl TryFrom<WireVendored> for VendoredInputs {
    type Error = String;

    fn try_from(wire: WireVendored) -> Result<Self, String> {
        let (approved, require_critical) = match wire.critical {
            Some(WireCritical {
                approved: None,
                require: None,
            }) => {
                return Err(
                    "spec.vendoredInputs.critical: give `approved`, `require` or both".into(),
                )
            }
            Some(c) => (c.approved, c.require),
            None => (None, None),
        };
        let approved_critical = approved
            .map(|approved| {
                approved
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
            require_critical,
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
        if self.require_critical == Some(Require::Distribution) {
            parts.push(
                "every critical input provided by the distribution, chain of custody verified"
                    .to_string(),
            );
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
            && self.distribution.as_deref().is_none_or(|want| {
                input.status == Some(Match::Match)
                    && input.distribution.as_ref().is_some_and(|d| {
                        d.purl.package_url().namespace() == Some(want) && builds(d, input)
                    })
            })
    }
}

/// Whether distribution build `d` is a build of `input` itself, not of
/// another crate or version (a Cargo input: Debian's package for the
/// crate, installed in that version's directory; other ecosystems' names
/// are the record's word).
fn builds(d: &Distribution, input: &InputRecord) -> bool {
    input.ecosystem != "cargo"
        || d.builds_crate(&input.name, input.version.as_deref().unwrap_or_default())
}

/// Why `input`, a critical project input, does not meet
/// `require: distribution`; `None` when it does: unbundled onto a
/// distribution package, with its chain of custody verified (`match`).
fn not_from_distribution(input: &InputRecord, label: &str) -> Option<String> {
    match (&input.distribution, &input.status) {
        (Some(d), Some(Match::Match)) if !builds(d, input) => Some(format!(
            "critical input {label} is recorded as provided by {} {} ({}), which is not its \
             build of {} {}",
            d.package(),
            d.version(),
            d.path,
            input.name,
            input.version.as_deref().unwrap_or_default()
        )),
        (Some(_), Some(Match::Match)) => None,
        (Some(d), status) => Some(format!(
            "critical input {label} is provided by {} {} but its chain of custody does not hold: {}",
            d.package(),
            d.version(),
            match status {
                Some(Match::Mismatch { reason }) => reason.as_str(),
                _ => "not recorded as verified",
            }
        )),
        (None, Some(Match::NotVendored)) => Some(format!(
            "critical input {label} is fetched at build time, not provided by the distribution"
        )),
        (None, _) => Some(format!(
            "critical input {label} is vendored, not provided by the distribution"
        )),
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
            if let (true, true, Some(Require::Distribution)) =
                (vendored, input.critical, self.require_critical)
            {
                reasons.extend(not_from_distribution(input, &label()));
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

    /// flate2 as a critical cargo input: vendored (`None`), or unbundled
    /// onto `distro`'s build with the chain of custody recorded as `status`.
    fn flate2(distro: Option<&str>, status: Match) -> Value {
        use vouch_evidence::fixtures;
        use vouch_evidence::input::os_purl;
        let record = InputRecord {
            status: Some(status),
            path: distro.is_none().then(|| "vendor/flate2".into()),
            distribution: distro.map(|id| {
                let purl = os_purl(
                    "deb",
                    id,
                    Some(&format!("{id}-12")),
                    "librust-flate2-dev",
                    "1.0.25-1",
                    Some("all"),
                );
                let mut d = fixtures::distribution(purl.unwrap(), "rust-flate2", &[]);
                d.path = "/usr/share/cargo/registry/flate2-1.0.25".into();
                d
            }),
            ..fixtures::cargo_input("flate2", "1.0.25")
        };
        serde_json::to_value(record.to_resource_descriptor()).unwrap()
    }

    fn with(deps: &[Value]) -> Value {
        json!({"buildDefinition": {"resolvedDependencies": deps}})
    }

    #[test]
    fn require_distribution_denies_a_vendored_critical_input_naming_it() {
        let rules = rules("critical: {require: distribution}");
        let vendored = flate2(None, Match::Match);
        assert_eq!(
            rules.evaluate(&with(&[vendored])),
            ["critical input flate2 1.0.25 (cargo) is vendored, not provided by the distribution"]
        );
        let fetched = flate2(None, Match::NotVendored);
        assert_eq!(
            rules.evaluate(&with(&[fetched])),
            [
                "critical input flate2 1.0.25 (cargo) is fetched at build time, not provided by \
              the distribution"
            ]
        );
        // Unbundled with its chain verified: allowed.
        assert!(rules
            .evaluate(&with(&[flate2(Some("debian"), Match::Match)]))
            .is_empty());
        // A normal input may stay vendored; an image's OS packages are
        // the distribution's own.
        let mut normal = flate2(None, Match::Match);
        normal["annotations"]["critical"] = json!(false);
        normal["annotations"]
            .as_object_mut()
            .unwrap()
            .remove("criticalReasons");
        assert!(rules.evaluate(&with(&[normal])).is_empty());
        let purl = "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12";
        let libc = json!({"name": "libc6", "uri": purl,
            "annotations": {"ecosystem": "deb", "version": "2.36-9", "match": "not-vendored",
                            "purl": purl, "critical": true,
                            "criticalReasons": ["system-libraries: libc"],
                            "sourceName": "glibc", "sourceVersion": "2.36-9",
                            "layer": "sha256:00", "database": "var/lib/dpkg/status",
                            "thirdParty": false}});
        assert!(rules.evaluate(&with(&[libc])).is_empty());
        assert_eq!(
            rules.to_string(),
            "every critical input provided by the distribution, chain of custody verified"
        );
    }

    #[test]
    fn regression_issue_16_require_distribution_denies_a_broken_chain_of_custody() {
        let rules = rules("critical: {require: distribution}");
        let broken = flate2(
            Some("debian"),
            Match::Mismatch {
                reason: "/usr/share/cargo/registry/flate2-1.0.25/src/lib.rs differs from the .deb"
                    .into(),
            },
        );
        assert_eq!(
            rules.evaluate(&with(&[broken])),
            [
                "critical input flate2 1.0.25 (cargo) is provided by librust-flate2-dev 1.0.25-1 \
              but its chain of custody does not hold: \
              /usr/share/cargo/registry/flate2-1.0.25/src/lib.rs differs from the .deb"
            ]
        );
        // A record claiming a distribution without its chain is no record.
        let mut partial = flate2(Some("debian"), Match::Match);
        partial["annotations"]
            .as_object_mut()
            .unwrap()
            .remove("distributionSigner");
        let reasons = rules.evaluate(&with(&[partial]));
        assert!(reasons[0].contains("distributionSigner"), "{reasons:?}");
    }

    /// A distribution record is about the input it is attached to: Debian's
    /// build of another crate (its chain verified, but of a directory the
    /// build does not take this crate from), or of another version, does
    /// not make this input "provided by the distribution".
    #[test]
    fn regression_issue_16_a_distribution_record_of_another_crate_or_version_is_refused() {
        use vouch_evidence::input::os_purl;
        let of = |package: &str, version: &str, path: &str| {
            let mut record = flate2(Some("debian"), Match::Match);
            let d = record["annotations"].as_object_mut().unwrap();
            let purl = os_purl(
                "deb",
                "debian",
                Some("debian-12"),
                package,
                version,
                Some("all"),
            )
            .unwrap();
            d.insert("distributionPurl".into(), json!(purl.to_string()));
            d.insert("distributionPath".into(), json!(path));
            record
        };
        let require = rules("critical: {require: distribution}");
        let approved = rules("critical: {approved: [{name: flate2, distribution: debian}]}");
        for other in [
            of(
                "librust-miniz-oxide-dev",
                "0.7.1-1",
                "/usr/share/cargo/registry/miniz_oxide-0.7.1",
            ),
            of(
                "librust-flate2-dev",
                "1.0.24-1",
                "/usr/share/cargo/registry/flate2-1.0.24",
            ),
            of(
                "librust-flate2-dev",
                "1.0.25-1",
                "/usr/share/cargo/registry/miniz_oxide-0.7.1",
            ),
        ] {
            let reasons = require.evaluate(&with(std::slice::from_ref(&other)));
            assert_eq!(reasons.len(), 1, "{other}: {reasons:?}");
            assert!(
                reasons[0].contains("critical input flate2 1.0.25 (cargo)")
                    && reasons[0].contains("not its build of flate2 1.0.25"),
                "{reasons:?}"
            );
            assert_eq!(approved.evaluate(&with(&[other])).len(), 1);
        }
        // Debian's own builds of it: the plain and the versioned package.
        for package in ["librust-flate2-dev", "librust-flate2-1-dev"] {
            let own = of(
                package,
                "1.0.25-1",
                "/usr/share/cargo/registry/flate2-1.0.25",
            );
            assert!(require
                .evaluate(&with(std::slice::from_ref(&own)))
                .is_empty());
            assert!(approved.evaluate(&with(&[own])).is_empty());
        }
    }

    #[test]
    fn approved_entries_with_a_distribution_match_only_its_verified_builds() {
        let rules = rules("critical: {approved: [{name: flate2, distribution: debian}]}");
        assert!(rules
            .evaluate(&with(&[flate2(Some("debian"), Match::Match)]))
            .is_empty());
        for other in [
            flate2(None, Match::Match),
            flate2(Some("ubuntu"), Match::Match),
            flate2(Some("debian"), Match::Mismatch { reason: "x".into() }),
        ] {
            let reasons = rules.evaluate(&with(&[other]));
            assert_eq!(reasons.len(), 1, "{reasons:?}");
            assert!(
                reasons[0].contains("critical input flate2 1.0.25 (cargo)"),
                "{reasons:?}"
            );
        }
        assert_eq!(
            rules.to_string(),
            "critical inputs approved: [flate2 from debian]"
        );
    }

    #[test]
    fn bad_entries_are_refused() {
        for (yaml, needle) in [
            ("critical: {}", "give `approved`, `require` or both"),
            ("critical: {require: vendored}", "unknown variant"),
            (
                "forbidden: [{name: z, distribution: debian}]",
                "approved entries",
            ),
            (
                "critical: {approved: [{name: z, distribution: Debian}]}",
                "not a distribution id",
            ),
        ] {
            let err = match serde_norway::from_str::<WireVendored>(yaml) {
                Ok(wire) => VendoredInputs::try_from(wire).unwrap_err(),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(needle), "{yaml}: {err}");
        }
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
