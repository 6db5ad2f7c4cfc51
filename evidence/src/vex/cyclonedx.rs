//! The VEX of a CycloneDX BOM (`vulnerabilities[]` with an `analysis`),
//! read into OpenVEX [`Statement`]s: [`from_cyclonedx`].

use std::collections::HashMap;

use jiff::Timestamp;
use serde::de::{Deserialize, Deserializer};
use serde_json::Value;

use super::wire::{Object, Time};
use super::{check_statement, deserialize_label, invalid, read, text, Label};
use super::{Justification, Product, Statement, Status};
use crate::Result;

/// What a CycloneDX VEX error is about.
const CYCLONEDX: &str = "CycloneDX VEX";

/// The VEX statements of a CycloneDX BOM (`bomFormat` CycloneDX,
/// `specVersion` 1.4 or later: `vulnerabilities[]` with an `analysis`),
/// mapped to OpenVEX terms so both formats answer findings alike.
///
/// The mapping follows the correspondence between the CycloneDX and the
/// VEX working group's vocabularies in CISA's "Minimum Requirements for
/// VEX" (April 2023) and CycloneDX's VEX guidance:
///
/// | CycloneDX `analysis.state` | OpenVEX `status` |
/// |---|---|
/// | `not_affected`, `false_positive` | `not_affected` |
/// | `resolved`, `resolved_with_pedigree` | `fixed` |
/// | `exploitable` | `affected` |
/// | `in_triage` | `under_investigation` |
///
/// | CycloneDX `analysis.justification` | OpenVEX `justification` |
/// |---|---|
/// | `code_not_present` | `vulnerable_code_not_present` |
/// | `code_not_reachable` | `vulnerable_code_not_in_execute_path` |
/// | `requires_configuration`, `requires_dependency`, `requires_environment` | `vulnerable_code_cannot_be_controlled_by_adversary` |
/// | `protected_by_compiler`, `protected_at_runtime`, `protected_at_perimeter`, `protected_by_mitigating_control` | `inline_mitigations_already_exist` |
///
/// A vulnerability without `analysis.state` is no VEX statement and is
/// skipped. For the rest:
/// - `id` is the vulnerability, `references[].id` its aliases;
/// - `affects[].ref` is resolved through the `bom-ref`s of the BOM's
///   components and services (nested ones and `metadata.component`
///   included) to the component's purl; a ref that names no component with
///   a purl (a BOM-Link into another BOM, a service) is kept as it is;
/// - `analysis.detail` is the impact statement; `analysis.response[]` and
///   the vulnerability's `recommendation` and `workaround` together make the
///   action statement;
/// - the timestamp is the first there is of `analysis.lastUpdated`,
///   `analysis.firstIssued`, `updated`, `published` and
///   `metadata.timestamp`; with none, the vulnerability is an error;
/// - `status_notes` records the original state and justification, which the
///   mapping coarsens.
///
/// As in OpenVEX, a `not_affected` (or `false_positive`) without a
/// justification or a detail is an error, since it would answer a finding
/// without a reason. A justification on another state is dropped (OpenVEX
/// allows one only with `not_affected`). OpenVEX's "affected needs an
/// action statement" is not enforced: CycloneDX has no such rule, and an
/// affected statement never answers a finding. `affects[].versions` is not
/// read: the statement applies to each affected component as a whole.
///
/// A CycloneDX analysis speaks of components inside what the BOM describes,
/// so each statement's one product is `subject` (for an attestation, the
/// subject it is verified to be about), with the affected components as its
/// subcomponents (a vulnerability that `affects` nothing is an error).
pub fn from_cyclonedx(bom: &Value, subject: &str) -> Result<Vec<Statement>> {
    let Object(root) = read::<Object<Bom>>(bom, CYCLONEDX, "")?;
    let format = root
        .bom_format
        .ok_or_else(|| invalid(CYCLONEDX, "bomFormat", "is missing"))?;
    if format != "CycloneDX" {
        return Err(invalid(
            CYCLONEDX,
            "bomFormat",
            &format!("is {format:?}, expected \"CycloneDX\""),
        ));
    }
    let spec = root
        .spec_version
        .ok_or_else(|| invalid(CYCLONEDX, "specVersion", "is missing"))?;
    let minor = spec
        .strip_prefix("1.")
        .and_then(|m| m.parse::<u32>().ok())
        .filter(|m| *m >= 4);
    if minor.is_none() {
        return Err(invalid(
            CYCLONEDX,
            "specVersion",
            &format!("is {spec:?}: VEX needs CycloneDX 1.4 or later"),
        ));
    }
    let bom_time = root.metadata.and_then(|Object(m)| m.timestamp).map(|t| t.0);
    let purls = bom_ref_purls(bom);
    let mut statements = Vec::new();
    for (i, v) in root.vulnerabilities.unwrap_or_default().iter().enumerate() {
        let path = format!("vulnerabilities[{i}]");
        // A vulnerability without an analysis state is a finding, not a
        // statement: only its analysis is read, the rest is not ours.
        let Object(probe) = read::<Object<Probe>>(v, CYCLONEDX, &path)?;
        if probe.analysis.and_then(|Object(a)| a.state).is_none() {
            continue;
        }
        let Object(vulnerability) = read::<Object<Vulnerability>>(v, CYCLONEDX, &path)?;
        statements.push(statement(vulnerability, &path, &purls, bom_time, subject)?);
    }
    Ok(statements)
}

/// Maps one CycloneDX vulnerability at `path`, one with an analysis state.
fn statement(
    v: Vulnerability,
    path: &str,
    purls: &HashMap<&str, &str>,
    bom_time: Option<Timestamp>,
    subject: &str,
) -> Result<Statement> {
    let at = |field: &str| format!("{path}.{field}");
    let Object(analysis) = v.analysis;
    let state = analysis.state;
    let status = state.status();
    let justification = analysis
        .justification
        .map(AnalysisJustification::openvex)
        .filter(|_| status == Status::NotAffected);
    let impact_statement = text(analysis.detail);
    if status == Status::NotAffected && justification.is_none() && impact_statement.is_none() {
        return Err(invalid(
            CYCLONEDX,
            path,
            &format!(
                "analysis state {} needs a justification or a detail",
                state.label()
            ),
        ));
    }

    let responses: Vec<&str> = analysis
        .response
        .unwrap_or_default()
        .into_iter()
        .map(Response::label)
        .collect();
    let mut actions = Vec::new();
    if !responses.is_empty() {
        actions.push(format!("response: {}", responses.join(", ")));
    }
    for (key, value) in [
        ("recommendation", v.recommendation),
        ("workaround", v.workaround),
    ] {
        if let Some(text) = text(value) {
            actions.push(format!("{key}: {text}"));
        }
    }

    let mut components: Vec<String> = Vec::new();
    for (a, Object(affects)) in v.affects.unwrap_or_default().into_iter().enumerate() {
        let reference = affects
            .reference
            .ok_or_else(|| invalid(CYCLONEDX, &format!("{path}.affects[{a}].ref"), "is missing"))?;
        let id = purls
            .get(reference.as_str())
            .map_or(reference.as_str(), |purl| purl);
        if !components.iter().any(|c| c == id) {
            components.push(id.to_string());
        }
    }

    let timestamp = [
        analysis.last_updated,
        analysis.first_issued,
        v.updated,
        v.published,
    ]
    .into_iter()
    .flatten()
    .map(|t| t.0)
    .next()
    .or(bom_time)
    .ok_or_else(|| {
        invalid(
            CYCLONEDX,
            path,
            "has no timestamp: none of analysis.lastUpdated, analysis.firstIssued, updated, \
             published or metadata.timestamp is set",
        )
    })?;

    let vulnerability = v.id.unwrap_or_default();
    if vulnerability.trim().is_empty() {
        return Err(invalid(CYCLONEDX, &at("id"), "is missing or empty"));
    }
    if components.is_empty() {
        return Err(invalid(
            CYCLONEDX,
            &at("affects"),
            "is missing or empty: a VEX statement needs a product",
        ));
    }
    let aliases = v
        .references
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(r, Object(reference))| {
            reference.id.ok_or_else(|| {
                invalid(
                    CYCLONEDX,
                    &format!("{path}.references[{r}].id"),
                    "is missing",
                )
            })
        })
        .collect::<Result<_>>()?;
    let statement = Statement {
        vulnerability,
        aliases,
        products: vec![Product {
            id: subject.to_string(),
            subcomponents: components,
        }],
        status,
        justification,
        impact_statement,
        action_statement: (!actions.is_empty()).then(|| actions.join("; ")),
        status_notes: Some(match analysis.justification {
            Some(j) => format!(
                "CycloneDX analysis state {}, justification {}",
                state.label(),
                j.label()
            ),
            None => format!("CycloneDX analysis state {}", state.label()),
        }),
        timestamp,
    };
    check_statement(&statement, path, CYCLONEDX)?;
    Ok(statement)
}

/// Maps each `bom-ref` of the BOM's components and services (at any depth,
/// `metadata.component` included) that has a purl to that purl. Shapes that
/// do not fit are not this module's to judge and are passed over.
fn bom_ref_purls(bom: &Value) -> HashMap<&str, &str> {
    let mut purls = HashMap::new();
    let mut pending: Vec<&Value> = Vec::new();
    pending.extend(bom.pointer("/metadata/component"));
    for key in ["components", "services"] {
        pending.extend(bom.get(key).and_then(Value::as_array).into_iter().flatten());
    }
    // An explicit stack: nesting depth is the input's to choose.
    while let Some(item) = pending.pop() {
        if let (Some(bom_ref), Some(purl)) = (
            item.get("bom-ref").and_then(Value::as_str),
            item.get("purl").and_then(Value::as_str),
        ) {
            purls.entry(bom_ref).or_insert(purl);
        }
        for key in ["components", "services"] {
            pending.extend(
                item.get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        }
    }
    purls
}

/// A CycloneDX BOM, as far as its VEX goes. The components and services
/// are read by [`bom_ref_purls`], leniently.
#[derive(serde::Deserialize)]
struct Bom {
    #[serde(rename = "bomFormat")]
    bom_format: Option<String>,
    #[serde(rename = "specVersion")]
    spec_version: Option<String>,
    metadata: Option<Object<Metadata>>,
    /// Each read as a [`Probe`], and as a [`Vulnerability`] only when it
    /// has an analysis state.
    vulnerabilities: Option<Vec<Value>>,
}

/// The BOM's `metadata`.
#[derive(serde::Deserialize)]
struct Metadata {
    timestamp: Option<Time>,
}

/// The part of a vulnerability that says whether it is a VEX statement.
#[derive(serde::Deserialize)]
struct Probe {
    analysis: Option<Object<ProbeAnalysis>>,
}

/// The part of an analysis that says whether it is a VEX statement.
#[derive(serde::Deserialize)]
struct ProbeAnalysis {
    state: Option<AnalysisState>,
}

/// A vulnerability with an analysis state (its [`Probe`] said so): a VEX
/// statement.
#[derive(serde::Deserialize)]
struct Vulnerability {
    id: Option<String>,
    references: Option<Vec<Object<Reference>>>,
    recommendation: Option<String>,
    workaround: Option<String>,
    analysis: Object<Analysis>,
    affects: Option<Vec<Object<Affects>>>,
    updated: Option<Time>,
    published: Option<Time>,
}

/// Another identifier of the same vulnerability.
#[derive(serde::Deserialize)]
struct Reference {
    id: Option<String>,
}

/// The supplier's analysis of a vulnerability.
#[derive(serde::Deserialize)]
struct Analysis {
    state: AnalysisState,
    justification: Option<AnalysisJustification>,
    response: Option<Vec<Response>>,
    detail: Option<String>,
    #[serde(rename = "firstIssued")]
    first_issued: Option<Time>,
    #[serde(rename = "lastUpdated")]
    last_updated: Option<Time>,
}

/// A component (or service) the vulnerability affects, by `bom-ref`.
#[derive(serde::Deserialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: Option<String>,
}

/// The CycloneDX analysis states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnalysisState {
    NotAffected,
    FalsePositive,
    Resolved,
    ResolvedWithPedigree,
    Exploitable,
    InTriage,
}

impl AnalysisState {
    /// The OpenVEX status it maps to.
    fn status(self) -> Status {
        match self {
            AnalysisState::NotAffected | AnalysisState::FalsePositive => Status::NotAffected,
            AnalysisState::Resolved | AnalysisState::ResolvedWithPedigree => Status::Fixed,
            AnalysisState::Exploitable => Status::Affected,
            AnalysisState::InTriage => Status::UnderInvestigation,
        }
    }
}

impl Label for AnalysisState {
    const KIND: &'static str = "analysis state";
    const VALUES: &'static [Self] = &[
        AnalysisState::NotAffected,
        AnalysisState::FalsePositive,
        AnalysisState::Resolved,
        AnalysisState::ResolvedWithPedigree,
        AnalysisState::Exploitable,
        AnalysisState::InTriage,
    ];

    fn label(self) -> &'static str {
        match self {
            AnalysisState::NotAffected => "not_affected",
            AnalysisState::FalsePositive => "false_positive",
            AnalysisState::Resolved => "resolved",
            AnalysisState::ResolvedWithPedigree => "resolved_with_pedigree",
            AnalysisState::Exploitable => "exploitable",
            AnalysisState::InTriage => "in_triage",
        }
    }
}

impl<'de> Deserialize<'de> for AnalysisState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserialize_label(deserializer)
    }
}

/// The CycloneDX analysis justifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnalysisJustification {
    CodeNotPresent,
    CodeNotReachable,
    RequiresConfiguration,
    RequiresDependency,
    RequiresEnvironment,
    ProtectedByCompiler,
    ProtectedAtRuntime,
    ProtectedAtPerimeter,
    ProtectedByMitigatingControl,
}

impl AnalysisJustification {
    /// The OpenVEX justification it maps to.
    fn openvex(self) -> Justification {
        use AnalysisJustification::*;
        match self {
            CodeNotPresent => Justification::VulnerableCodeNotPresent,
            CodeNotReachable => Justification::VulnerableCodeNotInExecutePath,
            RequiresConfiguration | RequiresDependency | RequiresEnvironment => {
                Justification::VulnerableCodeCannotBeControlledByAdversary
            }
            ProtectedByCompiler
            | ProtectedAtRuntime
            | ProtectedAtPerimeter
            | ProtectedByMitigatingControl => Justification::InlineMitigationsAlreadyExist,
        }
    }
}

impl Label for AnalysisJustification {
    const KIND: &'static str = "justification";
    const VALUES: &'static [Self] = &[
        AnalysisJustification::CodeNotPresent,
        AnalysisJustification::CodeNotReachable,
        AnalysisJustification::RequiresConfiguration,
        AnalysisJustification::RequiresDependency,
        AnalysisJustification::RequiresEnvironment,
        AnalysisJustification::ProtectedByCompiler,
        AnalysisJustification::ProtectedAtRuntime,
        AnalysisJustification::ProtectedAtPerimeter,
        AnalysisJustification::ProtectedByMitigatingControl,
    ];

    fn label(self) -> &'static str {
        use AnalysisJustification::*;
        match self {
            CodeNotPresent => "code_not_present",
            CodeNotReachable => "code_not_reachable",
            RequiresConfiguration => "requires_configuration",
            RequiresDependency => "requires_dependency",
            RequiresEnvironment => "requires_environment",
            ProtectedByCompiler => "protected_by_compiler",
            ProtectedAtRuntime => "protected_at_runtime",
            ProtectedAtPerimeter => "protected_at_perimeter",
            ProtectedByMitigatingControl => "protected_by_mitigating_control",
        }
    }
}

impl<'de> Deserialize<'de> for AnalysisJustification {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserialize_label(deserializer)
    }
}

/// The CycloneDX analysis responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Response {
    CanNotFix,
    WillNotFix,
    Update,
    Rollback,
    WorkaroundAvailable,
}

impl Label for Response {
    const KIND: &'static str = "response";
    const VALUES: &'static [Self] = &[
        Response::CanNotFix,
        Response::WillNotFix,
        Response::Update,
        Response::Rollback,
        Response::WorkaroundAvailable,
    ];

    fn label(self) -> &'static str {
        match self {
            Response::CanNotFix => "can_not_fix",
            Response::WillNotFix => "will_not_fix",
            Response::Update => "update",
            Response::Rollback => "rollback",
            Response::WorkaroundAvailable => "workaround_available",
        }
    }
}

impl<'de> Deserialize<'de> for Response {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserialize_label(deserializer)
    }
}

#[cfg(test)]
#[path = "cyclonedx_tests.rs"]
mod tests;
