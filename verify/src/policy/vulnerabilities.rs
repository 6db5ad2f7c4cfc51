//! `vulnerabilities`: the vulnerability gate over an image's attested
//! inputs (see [`crate::vulns`] for matching and VEX answers).
//!
//! ```yaml
//! vulnerabilities:
//!   osv: osv/                   # OSV records: a directory, an export zip or an
//!                               # index (`vouch osv index`), relative to the
//!                               # policy file
//!   threshold: high             # lowest severity that counts; default high
//!   unknownSeverity: count      # a record with no severity: count (default) or ignore
//!   vexAuthorities: [security]  # whose VEX statements answer findings; default:
//!                               # every key or keyless authority not supplying the inputs
//!   vexMaxAge: 30d              # a VEX answer older than this no longer counts; default 30d
//!   critical: deny              # unanswered finding in a critical input; default deny
//!   normal: warn                # in any other input; default warn
//!   upgrade: deny               # webhook, on UPDATE: deny an image that brings an
//!                               # unanswered critical finding the old one lacked; default ignore
//!   vendorVex:                  # distribution vendors' VEX, see [`super::vendor_vex`]
//!     - {name: redhat, path: vex/redhat/, key: keys/redhat.asc, answersFor: ["pkg:rpm/redhat/*"]}
//! ```
//!
//! A finding counts when its severity is at or above `threshold`. A
//! counting finding that no trusted `not_affected` or `fixed` statement
//! answers calls for `critical` or `normal`, by its input. An untrusted or
//! unsigned VEX statement never answers anything: only attestations that
//! verify under one of the `vexAuthorities` are read (see
//! [`super::ImagePolicy::input_authorities`] for who that is by default).
//!
//! `vexMaxAge` bounds how long an answer stands: a VEX attestation whose
//! signed time (its verified log or timestamp time, or its document's own
//! signed `timestamp`) is older answers nothing. Whoever can write the
//! image's tags can hide an attestation, a newer `affected` among them,
//! and so bring back an older `not_affected`; it then stands for at most
//! `vexMaxAge` after it was signed, and the security team re-signs the
//! answers that still hold.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use vouch_evidence::osv::{Lookup, Severity};

use super::VendorVex;
use crate::vulns::{Action, Gate};

/// How long a VEX answer counts when `vexMaxAge` is not given: 30 days.
pub const DEFAULT_VEX_MAX_AGE: jiff::SignedDuration = jiff::SignedDuration::from_hours(30 * 24);

/// The wire form of `vulnerabilities`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct WireVulnerabilities {
    pub(super) osv: String,
    threshold: Option<String>,
    unknown_severity: Option<String>,
    pub(super) vex_authorities: Option<Vec<String>>,
    pub(super) vendor_vex: Option<Vec<super::vendor_vex::WireVendorVex>>,
    vex_max_age: Option<super::Checked<super::Age>>,
    critical: Option<String>,
    normal: Option<String>,
    upgrade: Option<String>,
}

/// The validated `vulnerabilities` section.
#[derive(Clone)]
#[non_exhaustive]
pub struct Vulnerabilities {
    /// Where the OSV records were read from.
    pub osv: PathBuf,
    /// The records (an in-memory database or an on-disk index), loaded
    /// once with the policy.
    pub database: Arc<dyn Lookup>,
    /// Which findings count, and what they call for.
    pub gate: Gate,
    /// How long a VEX answer counts, from its attestation's signed time.
    pub vex_max_age: jiff::SignedDuration,
    /// What the webhook does on an UPDATE that brings a new unanswered
    /// critical finding.
    pub upgrade: Action,
    /// The distribution vendors' VEX (`vendorVex`), each answering only
    /// for the OS packages of its namespace.
    pub vendor_vex: Vec<VendorVex>,
}

impl fmt::Debug for Vulnerabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vulnerabilities")
            .field("osv", &self.osv)
            .field("records", &self.database.len())
            .field("gate", &self.gate)
            .field("vex_max_age", &self.vex_max_age)
            .field("upgrade", &self.upgrade)
            .field(
                "vendor_vex",
                &self.vendor_vex.iter().map(|v| &v.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl fmt::Display for Vulnerabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} OSV records from {} ({} withdrawn and {} for ecosystems no input has, \
             dropped); findings at or above {} ({} without a severity): {} in critical inputs, \
             {} in others; VEX answers count for {:#}",
            self.database.len(),
            self.osv.display(),
            self.database.withdrawn(),
            self.database.unmatchable(),
            self.gate.threshold,
            if self.gate.unknown_counts {
                "counting those"
            } else {
                "ignoring those"
            },
            self.gate.critical,
            self.gate.normal,
            self.vex_max_age
        )?;
        if self.upgrade != Action::Ignore {
            write!(f, "; on upgrade, a new critical finding: {}", self.upgrade)?;
        }
        for v in &self.vendor_vex {
            let patterns: Vec<String> = v.answers_for.iter().map(ToString::to_string).collect();
            write!(
                f,
                "; vendor VEX {} ({} documents from {}{}) answering for {}",
                v.name,
                v.documents.len(),
                v.path.display(),
                if v.key.is_some() { ", signed" } else { "" },
                patterns.join(", ")
            )?;
        }
        Ok(())
    }
}

fn action(field: &str, value: Option<String>, default: Action) -> Result<Action, String> {
    value.map_or(Ok(default), |v| {
        v.parse()
            .map_err(|e| format!("spec.vulnerabilities.{field}: {e}"))
    })
}

impl Vulnerabilities {
    /// Validates the wire section; `osv` and `database` are what the
    /// policy loader read (`vexAuthorities` is the loader's to check).
    pub(super) fn new(
        wire: WireVulnerabilities,
        osv: PathBuf,
        database: Arc<dyn Lookup>,
        vendor_vex: Vec<VendorVex>,
    ) -> Result<Self, String> {
        let threshold = match wire.threshold {
            Some(t) => t.parse::<Severity>().map_err(|e| {
                format!("spec.vulnerabilities.threshold: {e} (low, medium, high or critical)")
            })?,
            None => Severity::High,
        };
        let unknown_counts = match wire.unknown_severity.as_deref() {
            None | Some("count") => true,
            Some("ignore") => false,
            Some(other) => {
                return Err(format!(
                    "spec.vulnerabilities.unknownSeverity: {other:?} is not one of count, ignore"
                ))
            }
        };
        Ok(Vulnerabilities {
            osv,
            database,
            gate: Gate {
                threshold,
                unknown_counts,
                critical: action("critical", wire.critical, Action::Deny)?,
                normal: action("normal", wire.normal, Action::Warn)?,
            },
            vex_max_age: wire.vex_max_age.map_or(DEFAULT_VEX_MAX_AGE, |a| a.0 .0),
            upgrade: action("upgrade", wire.upgrade, Action::Ignore)?,
            vendor_vex,
        })
    }

    /// The report-only section `--osv` gives policies without one: every
    /// finding listed, none denying or warning.
    pub fn report_only(osv: PathBuf, database: Arc<dyn Lookup>) -> Self {
        Vulnerabilities {
            osv,
            database,
            gate: Gate {
                threshold: Severity::None,
                unknown_counts: true,
                critical: Action::Ignore,
                normal: Action::Ignore,
            },
            vex_max_age: DEFAULT_VEX_MAX_AGE,
            upgrade: Action::Ignore,
            vendor_vex: Vec::new(),
        }
    }
}
