//! VEX: the answers to vulnerability findings, in OpenVEX v0.2.0 and in
//! CycloneDX.
//!
//! A scanner reports every vulnerability whose affected range contains an
//! input's version; most of them sit in code the product cannot reach. A VEX
//! statement is the supplier's signed answer for one vulnerability in one or
//! more products: `not_affected` (and why), `affected` (and what to do),
//! `fixed` or `under_investigation`. vouch reads them to answer findings and
//! writes them with `vouch vex create`.
//!
//! [`Document`] is an OpenVEX document (<https://github.com/openvex/spec>,
//! OPENVEX-SPEC.md v0.2.0), valid by construction: whether parsed by
//! [`Document::from_json`] or built by [`Document::new`], it holds only
//! statements the spec calls complete, with the two rules of the CISA
//! minimum requirements that matter most to a gate enforced: a
//! `not_affected` statement carries a `justification` or an
//! `impact_statement`, and an `affected` one an `action_statement`. Every
//! statement carries its own timestamp, inherited from the document when it
//! has none (the spec's inheritance flow), so statements from different
//! documents can be ordered.
//!
//! [`from_cyclonedx`] reads the VEX of a CycloneDX BOM (`vulnerabilities[]`
//! with an `analysis`) into the same [`Statement`]s, so both formats answer
//! findings alike.
//!
//! Parsing is strict about what vouch uses and lenient about the rest:
//! fields the spec defines but vouch does not use (`supplier`, `hashes`,
//! statement `@id` and `version`, …) are type-checked where they are
//! timestamps and otherwise ignored, as are unknown fields.
//!
//! Both formats are read in two steps, as everywhere in this crate: the
//! JSON shape into wire types (`vex/wire.rs`, and the CycloneDX ones in
//! `vex/cyclonedx.rs`) through `serde_path_to_error`, so that a field of
//! the wrong type is named by its path; then those into the validated
//! [`Statement`]s, which checks what the shapes cannot say.
//!
//! - `openvex.rs`: [`Document`], read and validated;
//! - `write.rs`: the OpenVEX JSON vouch writes, and the content-derived `@id`;
//! - `cyclonedx.rs`: [`from_cyclonedx`], the VEX of a CycloneDX BOM.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::de::{self, Deserialize, Deserializer};
use serde::Serialize;
use serde_json::Value;

use crate::{Error, Result};

mod csaf;
mod cyclonedx;
mod openvex;
mod wire;
mod write;

pub use csaf::Csaf;
pub use cyclonedx::from_cyclonedx;
pub use openvex::Document;

/// The in-toto predicate type of an OpenVEX v0.2.0 document, the one vouch
/// writes (`vouch vex attach`).
pub const OPENVEX_PREDICATE_TYPE: &str = "https://openvex.dev/ns/v0.2.0";

/// The unversioned predicate URI some producers use (cosign's
/// `--type openvex`); read, never written.
pub const OPENVEX_PREDICATE_TYPE_UNVERSIONED: &str = "https://openvex.dev/ns";

/// The `@context` vouch writes in an OpenVEX document.
pub const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// Whether `predicate_type` is one of the two OpenVEX predicate types vouch
/// reads ([`OPENVEX_PREDICATE_TYPE`] or
/// [`OPENVEX_PREDICATE_TYPE_UNVERSIONED`]), so callers listing attestations
/// need not compare against both themselves.
pub fn is_predicate_type(predicate_type: &str) -> bool {
    predicate_type == OPENVEX_PREDICATE_TYPE || predicate_type == OPENVEX_PREDICATE_TYPE_UNVERSIONED
}

/// The impact of a vulnerability on a product: one of the four VEX status
/// labels, spelt in JSON and by [`Display`](fmt::Display) and
/// [`FromStr`] as the spec spells them (`not_affected`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No remediation is needed: the product cannot be exploited through
    /// this vulnerability. Needs a justification or an impact statement.
    NotAffected,
    /// The product is exploitable; the statement says what to do about it
    /// (its action statement, required).
    Affected,
    /// These product versions contain a fix.
    Fixed,
    /// Not known yet; further statements will follow.
    UnderInvestigation,
}

impl Status {
    /// Every status, in the spec's order (for error messages and tests).
    pub const ALL: [Status; 4] = [
        Status::NotAffected,
        Status::Affected,
        Status::Fixed,
        Status::UnderInvestigation,
    ];

    /// The spec's label.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;

    /// Parses a label; the error lists the four there are.
    fn from_str(s: &str) -> Result<Self> {
        Status::parse(s).map_err(|reason| Error::invalid("VEX status", reason))
    }
}

impl Label for Status {
    const KIND: &'static str = "status";
    const VALUES: &'static [Self] = &Status::ALL;

    fn label(self) -> &'static str {
        self.as_str()
    }
}

impl<'de> Deserialize<'de> for Status {
    /// Reads a label as [`FromStr`] does, the error naming the field path.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserialize_label(deserializer)
    }
}

/// Why a product is `not_affected`: the five machine-readable justification
/// labels of the VEX working group, spelt as the spec spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Justification {
    /// The vulnerable component is not in the product.
    ComponentNotPresent,
    /// The component is there, but not the vulnerable code (built without it).
    VulnerableCodeNotPresent,
    /// The vulnerable code is there but the product never executes it.
    VulnerableCodeNotInExecutePath,
    /// The vulnerable code runs, but an attacker cannot control its input.
    VulnerableCodeCannotBeControlledByAdversary,
    /// Built-in protections that cannot be turned off prevent exploitation.
    InlineMitigationsAlreadyExist,
}

impl Justification {
    /// Every justification, in the spec's order.
    pub const ALL: [Justification; 5] = [
        Justification::ComponentNotPresent,
        Justification::VulnerableCodeNotPresent,
        Justification::VulnerableCodeNotInExecutePath,
        Justification::VulnerableCodeCannotBeControlledByAdversary,
        Justification::InlineMitigationsAlreadyExist,
    ];

    /// The spec's label.
    pub fn as_str(self) -> &'static str {
        match self {
            Justification::ComponentNotPresent => "component_not_present",
            Justification::VulnerableCodeNotPresent => "vulnerable_code_not_present",
            Justification::VulnerableCodeNotInExecutePath => "vulnerable_code_not_in_execute_path",
            Justification::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            Justification::InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
        }
    }
}

impl fmt::Display for Justification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Justification {
    type Err = Error;

    /// Parses a label; the error lists the five there are.
    fn from_str(s: &str) -> Result<Self> {
        Justification::parse(s).map_err(|reason| Error::invalid("VEX justification", reason))
    }
}

impl Label for Justification {
    const KIND: &'static str = "justification";
    const VALUES: &'static [Self] = &Justification::ALL;

    fn label(self) -> &'static str {
        self.as_str()
    }
}

impl<'de> Deserialize<'de> for Justification {
    /// Reads a label as [`FromStr`] does, the error naming the field path.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserialize_label(deserializer)
    }
}

/// A closed vocabulary of a VEX format (OpenVEX's statuses and
/// justifications, CycloneDX's analysis states, justifications and
/// responses), read from its labels with one message for every unknown
/// one: `unknown status "wont_fix" (expected one of: not_affected, …)`.
trait Label: Copy + 'static {
    /// What a value is called in messages.
    const KIND: &'static str;
    /// Every value, in the spec's order.
    const VALUES: &'static [Self];

    /// The spec's label.
    fn label(self) -> &'static str;

    /// The value labelled `value`; else says which labels there are.
    fn parse(value: &str) -> std::result::Result<Self, String> {
        Self::VALUES
            .iter()
            .copied()
            .find(|item| item.label() == value)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::VALUES.iter().map(|item| item.label()).collect();
                format!(
                    "unknown {} {value:?} (expected one of: {})",
                    Self::KIND,
                    known.join(", ")
                )
            })
    }
}

/// Deserializes a [`Label`] from a JSON string.
fn deserialize_label<'de, D: Deserializer<'de>, T: Label>(
    deserializer: D,
) -> std::result::Result<T, D::Error> {
    let value = String::deserialize(deserializer)?;
    T::parse(&value).map_err(de::Error::custom)
}

/// A product a statement speaks of, and the subcomponents in it where the
/// vulnerability originates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    /// Its identifier: the `@id` (a purl, an image digest, an IRI), else
    /// the first of its `identifiers` `purl`, `cpe23`, `cpe22`.
    pub id: String,
    /// The subcomponents' identifiers, read the same way; usually input
    /// purls.
    pub subcomponents: Vec<String>,
}

/// One VEX statement: a status of one vulnerability in some products, at a
/// point in time. Complete by construction when it comes from this module.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    /// The vulnerability's main identifier (`vulnerability.name`, or its
    /// `@id` when it has no name): a CVE, GHSA or OSV id.
    pub vulnerability: String,
    /// Other identifiers of the same vulnerability (`vulnerability.aliases`),
    /// so that a finding under an alias is answered too.
    pub aliases: Vec<String>,
    /// What the statement speaks of; never empty.
    pub products: Vec<Product>,
    /// The impact.
    pub status: Status,
    /// Why `not_affected`; only with that status.
    pub justification: Option<Justification>,
    /// Free text on why the product is not affected.
    pub impact_statement: Option<String>,
    /// What to do about an `affected` product.
    pub action_statement: Option<String>,
    /// How the status was determined.
    pub status_notes: Option<String>,
    /// The statement's own `timestamp`, else the document's: the spec says a
    /// statement inherits it. Statements about one vulnerability are ordered
    /// by it.
    pub timestamp: Timestamp,
}

/// The checks OpenVEX and CycloneDX statements share: a vulnerability name,
/// at least one product, and no blank identifiers.
fn check_statement(s: &Statement, path: &str, what: &'static str) -> Result<()> {
    if s.vulnerability.trim().is_empty() {
        return Err(invalid(
            what,
            &format!("{path}.vulnerability"),
            "has no name",
        ));
    }
    if let Some(i) = s.aliases.iter().position(|a| a.trim().is_empty()) {
        return Err(invalid(
            what,
            &format!("{path}.vulnerability.aliases[{i}]"),
            "is empty",
        ));
    }
    if s.products.is_empty() {
        return Err(invalid(
            what,
            path,
            "names no product: a statement needs at least one",
        ));
    }
    for (p, product) in s.products.iter().enumerate() {
        if product.id.trim().is_empty() {
            return Err(invalid(
                what,
                &format!("{path}.products[{p}]"),
                "has an empty identifier",
            ));
        }
        if let Some(c) = product
            .subcomponents
            .iter()
            .position(|c| c.trim().is_empty())
        {
            return Err(invalid(
                what,
                &format!("{path}.products[{p}].subcomponents[{c}]"),
                "has an empty identifier",
            ));
        }
    }
    Ok(())
}

/// An [`Error::Invalid`] about `what`, naming the field path first.
fn invalid(what: &'static str, path: &str, reason: &str) -> Error {
    if path.is_empty() {
        Error::invalid(what, reason)
    } else {
        Error::invalid(what, format!("{path}: {reason}"))
    }
}

/// Deserializes `value`, found at `path` in a document about `what`, into
/// the wire type `T`; a value of the wrong shape is an [`Error::Invalid`]
/// naming the full field path (`statements[1].timestamp: "soon" is not an
/// RFC 3339 date-time: …`).
fn read<'de, T: Deserialize<'de>>(value: &'de Value, what: &'static str, path: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let full = match inner.as_str() {
            "." => path.to_string(),
            _ if path.is_empty() => inner,
            _ if inner.starts_with('[') => format!("{path}{inner}"),
            _ => format!("{path}.{inner}"),
        };
        invalid(what, &full, &e.into_inner().to_string())
    })
}

/// Free text as vouch keeps it: blank counts as absent.
fn text(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests;
