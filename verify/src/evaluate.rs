//! Policy evaluation: the verdict on one image, from the evidence attached
//! to it and the policies that match it.
//!
//! Nothing here fetches: the caller resolves the image to a digest once,
//! lists its attachments (both storage formats) and passes them in with a
//! clock and the default trusted root. For every matching policy:
//!
//! 1. Each attachment is verified against each of the policy's key and
//!    keyless authorities. Only what verifies is used after this, and only
//!    through its verified bytes; what fails is listed with the reason.
//! 2. A verified item with a signed time (a verified log or timestamp
//!    time; for attestations, the signed predicate's own time: provenance
//!    `metadata.finishedOn`, CycloneDX `metadata.timestamp`, SPDX
//!    `creationInfo.created`, OpenVEX `timestamp`) more than
//!    [`MAX_CLOCK_SKEW`] in the future is not used at all. With `maxAge`, a
//!    verified item counts only if it carries a signed time no older than
//!    that. The unsigned `created` annotation is never trusted for this.
//! 3. The image-signature requirement, each required attestation (exact
//!    predicate type, from the named authorities, enough distinct signers,
//!    Rego condition), and the `vendoredInputs` rules over the newest
//!    trusted provenance are checked. A `static` authority answers without
//!    evidence.
//! 4. The inputs (for `vendoredInputs`, the vulnerability gate and reports)
//!    are read only from a provenance or CycloneDX SBOM that the policy
//!    trusts for them ([`ImagePolicy::input_authorities`]): one signed as
//!    the policy's attestation requirement for its predicate type says
//!    (its authorities, its threshold), or by an authority of
//!    `inputsFrom`; never one signed only by an authority trusted for VEX.
//!    Findings are answered only by the VEX statements of
//!    [`ImagePolicy::vex_authorities`], signed no longer ago than
//!    `vulnerabilities.vexMaxAge`.
//!
//! Every matching policy must pass (AND). A failing `warn` policy admits the
//! image with a warning; a failing `enforce` policy denies it. An image no
//! policy matches gets the caller's [`NoMatch`] answer.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use vouch_evidence::attachment::{
    Attachment, Evidence, Format, Ignored, Kind, COSIGN_SIGN_PREDICATE_TYPE,
};
use vouch_evidence::cyclonedx::CYCLONEDX_PREDICATE_TYPE;
use vouch_evidence::digest::Sha256;
use vouch_evidence::osv::Lookup;
use vouch_evidence::provenance::SLSA_PROVENANCE_V1;
use vouch_evidence::reference::ImageRef;
use vouch_evidence::statement::Statement;
use vouch_evidence::vex;

use crate::attestation::{statement_about, verify_attestation};
use crate::bundle::{verify_keyless, Artifact, TrustedRoot};
use crate::image::verify_signature;
use crate::legacy;
use crate::policy::{
    is_cyclonedx, is_provenance, AttestationRequirement, AuthorityKind, ImagePolicy, Mode, NoMatch,
    PolicySet, Signers, StaticAction, VendoredInputs, Vulnerabilities,
};
use crate::vulns::{self, Action, Finding, ImageInput, VexSource};
use crate::{Error, Result};

/// What the evaluation needs besides the evidence.
pub struct Context<'a> {
    /// Now, for `maxAge`.
    pub now: jiff::Timestamp,
    /// The trusted root for keyless authorities that name none, and for
    /// keyed bundles with log entries or timestamps.
    pub default_root: &'a TrustedRoot,
    /// What an image no policy matches gets.
    pub no_match: NoMatch,
    /// An OSV database given by the caller (`--osv`): it replaces the
    /// database of every `vulnerabilities` section, and gives policies
    /// without one a report-only section (findings listed, never denying).
    pub osv: Option<(&'a Path, &'a Arc<dyn Lookup>)>,
    /// The image's OS packages as the caller read them from its layers
    /// (`vouch vulns IMAGE`): content the digest pins, so known without
    /// signed evidence. The vulnerability gate checks them beside the
    /// verified inputs, each once (a package the evidence also lists is
    /// the evidence's, marked as read from both). Empty for admission,
    /// which judges the signed evidence alone.
    pub scanned: &'a [ImageInput],
}

/// The verdict on one image.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// The image as given.
    pub image: String,
    /// The manifest digest everything was checked against.
    pub digest: String,
    /// `allow` or `deny`.
    pub verdict: Decision,
    /// Why it is denied: each failing `enforce` policy with its failing
    /// requirements, or no matching policy under `deny`.
    pub denials: Vec<String>,
    /// Why it is allowed with reservations: failing `warn` policies, or no
    /// matching policy under `warn`.
    pub warnings: Vec<String>,
    /// Every matching policy's result.
    pub policies: Vec<PolicyResult>,
    /// Every attachment found, and what became of it.
    pub evidence: Vec<EvidenceNote>,
    /// The vendored inputs, from the newest verified provenance (else
    /// CycloneDX SBOM) of the first matching policy that has one.
    pub inputs: Vec<ImageInput>,
    /// Which attestation the inputs were read from, and who signed it.
    pub inputs_from: Option<String>,
    /// Every vulnerability finding of every matching policy with a
    /// `vulnerabilities` section (or `--osv`), with its answer or its
    /// absence; one per record and input, with the strictest action.
    pub findings: Vec<Finding>,
    /// Every VEX statement read from verified attestations, trusted or not.
    pub vex: Vec<VexSource>,
    /// The build the newest verified provenance describes.
    pub provenance: Option<ProvenanceSummary>,
}

impl Verdict {
    /// Whether the image is admitted.
    pub fn allowed(&self) -> bool {
        self.verdict == Decision::Allow
    }
}

/// Whether an image is admitted: the one word of a [`Verdict`], `allow` or
/// `deny` in JSON and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Admitted (perhaps with warnings).
    Allow,
    /// Refused.
    Deny,
}

impl Decision {
    /// `allow` or `deny`, as the JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One policy's result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyResult {
    /// `metadata.name`.
    pub name: String,
    /// The file it came from.
    pub source: String,
    /// `enforce` or `warn`.
    pub mode: Mode,
    /// Whether every requirement passed.
    pub passed: bool,
    /// Each requirement, in policy order.
    pub requirements: Vec<RequirementResult>,
    /// What admits the image with reservations (vulnerabilities in
    /// non-critical inputs, unreadable VEX documents).
    pub warnings: Vec<String>,
    /// The vulnerability findings, when the policy has the gate.
    pub findings: Vec<Finding>,
    /// Why the inputs could not be checked for vulnerabilities at all (no
    /// verified inputs, an unreadable version): never a clean bill.
    pub vulnerability_error: Option<String>,
    /// The policy's `vulnerabilities.upgrade` action, when it has the gate:
    /// what the webhook does when an UPDATE brings a new unanswered
    /// critical finding.
    pub upgrade: Option<Action>,
}

/// One requirement's result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequirementResult {
    /// What was required (`signature`, `attestation provenance`,
    /// `vendoredInputs`).
    pub requirement: String,
    /// Whether it holds.
    pub passed: bool,
    /// Why (or why not).
    pub reason: String,
    /// Who satisfied it: `<authority>: key <id>` or `<authority>: <identity>`.
    pub satisfied_by: Vec<String>,
}

/// One attachment and what became of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceNote {
    /// `signature` or `attestation`.
    #[serde(serialize_with = "kind_name")]
    pub kind: Kind,
    /// `bundle` or `legacy`.
    #[serde(serialize_with = "format_name")]
    pub format: Format,
    /// The predicate type it declares (unverified until `verifiedBy`).
    pub predicate_type: Option<String>,
    /// The referrer manifest or legacy layer digest.
    pub digest: String,
    /// The authorities it verified under, per policy: `<policy>/<authority>`.
    pub verified_by: Vec<String>,
    /// Why it was not used, per policy, when it verified under none.
    pub ignored: Vec<String>,
    /// Who signed it, for each authority it verified under:
    /// `<policy>/<authority>: <key id or identity>`.
    pub signers: Vec<String>,
    /// The newest signed time it carries (a verified log or timestamp
    /// time, or the signed predicate's own time), when it has one.
    pub signed_at: Option<String>,
    /// When the attachment says it was made (the unsigned `created`
    /// annotation; for display only).
    pub created: Option<String>,
}

impl EvidenceNote {
    /// The note on an entry the listing skipped as unreadable (a referrer
    /// of another subject, a layer that is no bundle): it counts for
    /// nothing, under every policy, and `ignored` says why, prefixed
    /// `unreadable: `.
    pub fn unreadable(entry: &Ignored) -> Self {
        EvidenceNote {
            kind: entry.kind,
            format: entry.format,
            predicate_type: entry.predicate_type.clone(),
            digest: entry.digest.to_string(),
            verified_by: Vec::new(),
            ignored: vec![format!("unreadable: {}", entry.reason)],
            signers: Vec::new(),
            signed_at: None,
            created: None,
        }
    }
}

/// Writes an attachment's [`Kind`] as its name (`signature`, `attestation`).
fn kind_name<S: Serializer>(kind: &Kind, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(kind.name())
}

/// Writes an attachment's [`Format`] as its name (`bundle`, `legacy`).
fn format_name<S: Serializer>(
    format: &Format,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(format.name())
}

/// The build that the newest verified provenance describes, for reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvenanceSummary {
    /// `runDetails.builder.id`.
    pub builder_id: Option<String>,
    /// `buildDefinition.buildType`.
    pub build_type: Option<String>,
    /// `runDetails.metadata.invocationId`.
    pub invocation_id: Option<String>,
    /// `runDetails.metadata.startedOn`.
    pub started_on: Option<String>,
    /// `runDetails.metadata.finishedOn`.
    pub finished_on: Option<String>,
    /// `buildDefinition.externalParameters.source`: `uri` and git commit.
    pub source: Option<String>,
    /// Who signed it.
    pub signed_by: String,
}

/// One attachment verified under one authority.
struct Verified {
    index: usize,
    authority: String,
    signer: String,
    statement: Option<Statement>,
    /// Its newest signed time, if it has one.
    signed_at: Option<jiff::Timestamp>,
}

/// How far in the future a signed time may be (clock skew between the
/// signer, the log and this verifier). Anything later is refused: a
/// signed time in the year 2999 would never grow older than `maxAge` or
/// `vexMaxAge`, and would win every newest-of choice.
pub const MAX_CLOCK_SKEW: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// A signed time inside a verified predicate, by predicate type.
fn predicate_time(statement: &Statement) -> Option<jiff::Timestamp> {
    let predicate = statement.predicate()?;
    let pointer = match statement.predicate_type() {
        SLSA_PROVENANCE_V1 => "/runDetails/metadata/finishedOn",
        t if t.starts_with("https://cyclonedx.org/bom") => "/metadata/timestamp",
        t if t.starts_with("https://spdx.dev/Document") => "/creationInfo/created",
        t if vex::is_predicate_type(t) => "/timestamp",
        _ => return None,
    };
    predicate.pointer(pointer)?.as_str()?.parse().ok()
}

/// What one authority established about one attachment: the signer's
/// label, the statement (attestations), and the signed times.
type Checked = (String, Option<Statement>, Vec<jiff::Timestamp>);

/// Verifies `attachment` under one authority; the signer's label and, for
/// an attestation, the statement.
fn verify_one(
    attachment: &Attachment,
    digest: &Sha256,
    kind: &AuthorityKind,
    default_root: &TrustedRoot,
) -> Result<Option<Checked>> {
    match kind {
        AuthorityKind::Static(_) => Ok(None),
        AuthorityKind::Key(k) => {
            let signer = format!("key {}", k.key.key_id());
            match attachment.kind {
                Kind::Signature => {
                    verify_signature(attachment, digest, &k.key, default_root)?;
                    Ok(Some((signer, None, Vec::new())))
                }
                Kind::Attestation => {
                    let verified = verify_attestation(attachment, digest, &k.key, default_root)?;
                    let times = predicate_time(&verified.statement).into_iter().collect();
                    Ok(Some((signer, Some(verified.statement), times)))
                }
            }
        }
        AuthorityKind::Keyless(k) => {
            let root = k
                .trusted_root
                .as_ref()
                .map_or(default_root, |r| r.root.as_ref());
            let Evidence::Bundle(bundle) = &attachment.evidence else {
                // A legacy `.sig` or `.att` layer, verified as the bundle
                // its keyless annotations stand for.
                let legacy = legacy::verify_keyless_layer(attachment, digest, root, &k.identities)?;
                return Ok(Some((
                    legacy.verification.identity.to_string(),
                    legacy.statement,
                    legacy.verification.signing_times,
                )));
            };
            let verified = verify_keyless(bundle, Artifact::Digest(*digest), root, &k.identities)?;
            let payload = verified.payload.ok_or(Error::WrongMaterial(
                "a message-signature bundle does not say which image it signs",
            ))?;
            let statement = statement_about(&payload, digest)?;
            let signer = verified.identity.to_string();
            match attachment.kind {
                Kind::Signature if statement.predicate_type() != COSIGN_SIGN_PREDICATE_TYPE => {
                    Err(Error::ArtifactMismatch(format!(
                        "signed statement is of predicate type {:?}, not an image signature",
                        statement.predicate_type()
                    )))
                }
                Kind::Signature => Ok(Some((signer, None, verified.signing_times))),
                Kind::Attestation => Ok(Some((signer, Some(statement), verified.signing_times))),
            }
        }
    }
}

fn static_answer(policy: &ImagePolicy, names: &[String]) -> Option<StaticAction> {
    let actions: Vec<StaticAction> = names
        .iter()
        .filter_map(|n| match policy.authority(n).map(|a| &a.kind) {
            Some(AuthorityKind::Static(action)) => Some(*action),
            _ => None,
        })
        .collect();
    if actions.contains(&StaticAction::Pass) {
        Some(StaticAction::Pass)
    } else if actions.contains(&StaticAction::Fail) {
        Some(StaticAction::Fail)
    } else {
        None
    }
}

/// Distinct signers among `items`, as labels.
fn distinct_signers<'a>(items: impl Iterator<Item = &'a Verified>) -> Vec<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut labels = Vec::new();
    for item in items {
        if !seen.contains(&item.signer.as_str()) {
            seen.push(&item.signer);
            labels.push(format!("{}: {}", item.authority, item.signer));
        }
    }
    labels
}

fn threshold_result(
    requirement: String,
    signers: &Signers,
    found: Vec<String>,
    what: &str,
    extra: &[String],
) -> RequirementResult {
    let needed = signers.threshold.get() as usize;
    let passed = found.len() >= needed;
    let mut reason = if passed {
        format!(
            "{} verified {what} from {}",
            found.len(),
            signers.authorities.join(", ")
        )
    } else if found.is_empty() {
        format!("no verified {what} from {}", signers.authorities.join(", "))
    } else {
        format!(
            "{} distinct signer(s) of {what}, {needed} required",
            found.len()
        )
    };
    if !passed && !extra.is_empty() {
        reason.push_str(&format!(" ({})", extra.join("; ")));
    }
    RequirementResult {
        requirement,
        passed,
        reason,
        satisfied_by: if passed { found } else { Vec::new() },
    }
}

fn attestation_requirement(
    policy: &ImagePolicy,
    requirement: &AttestationRequirement,
    verified: &[Verified],
) -> RequirementResult {
    let label = format!("attestation {}", requirement.name);
    let signers = &requirement.signers;
    match static_answer(policy, &signers.authorities) {
        Some(StaticAction::Pass) => {
            return RequirementResult {
                requirement: label,
                passed: true,
                reason: "a static pass authority".into(),
                satisfied_by: Vec::new(),
            }
        }
        Some(StaticAction::Fail) | None => {}
    }
    let mut notes = Vec::new();
    let mut other_types = Vec::new();
    let passing: Vec<&Verified> = verified
        .iter()
        .filter(|v| signers.authorities.contains(&v.authority))
        .filter(|v| {
            let Some(statement) = &v.statement else {
                return false;
            };
            if statement.predicate_type() != requirement.predicate_type {
                other_types.push(statement.predicate_type().to_string());
                return false;
            }
            let predicate = statement.predicate().cloned().unwrap_or_default();
            match requirement.evaluate_rego(&predicate) {
                Ok(denials) if denials.is_empty() => true,
                Ok(denials) => {
                    notes.extend(denials.into_iter().map(|d| format!("rego: {d}")));
                    false
                }
                Err(e) => {
                    notes.push(e.to_string());
                    false
                }
            }
        })
        .collect();
    if passing.is_empty() && !other_types.is_empty() && notes.is_empty() {
        other_types.sort();
        other_types.dedup();
        notes.push(format!(
            "verified attestations of other predicate types do not count: {}",
            other_types.join(", ")
        ));
    }
    threshold_result(
        label,
        signers,
        distinct_signers(passing.into_iter()),
        &format!("{} attestation(s)", requirement.predicate_type),
        &notes,
    )
}

/// The verified attestations of the predicate types `wanted` accepts that
/// may supply the inputs (see [`ImagePolicy::input_authorities`]): from
/// one of the policy's input authorities and, without `inputsFrom`, of the
/// predicate type of an attestation requirement, from its authorities,
/// with the same predicate signed by as many distinct signers as its
/// threshold: a single signer of a two-signer requirement supplies no
/// inputs on its own. Its Rego condition is not applied here: a
/// provenance that fails it fails the requirement, which denies, and its
/// inputs still explain the denial (`vendoredInputs`, reports).
fn input_sources<'a>(
    policy: &ImagePolicy,
    verified: &'a [Verified],
    wanted: fn(&str) -> bool,
) -> Vec<&'a Verified> {
    let trusted = |v: &Verified| policy.input_authorities.contains(&v.authority);
    if policy.inputs_from.is_some() {
        return verified
            .iter()
            .filter(|v| trusted(v))
            .filter(|v| {
                v.statement
                    .as_ref()
                    .is_some_and(|s| wanted(s.predicate_type()))
            })
            .collect();
    }
    let mut sources: Vec<&Verified> = Vec::new();
    for requirement in &policy.attestations {
        if !wanted(&requirement.predicate_type) {
            continue;
        }
        let allowed: Vec<&Verified> = verified
            .iter()
            .filter(|v| trusted(v) && requirement.signers.authorities.contains(&v.authority))
            .filter(|v| {
                v.statement
                    .as_ref()
                    .is_some_and(|s| s.predicate_type() == requirement.predicate_type)
            })
            .collect();
        for v in &allowed {
            let signed_alike = allowed
                .iter()
                .copied()
                .filter(|o| predicate_of(o) == predicate_of(v));
            let enough = distinct_signers(signed_alike).len()
                >= requirement.signers.threshold.get() as usize;
            if enough && !sources.iter().any(|s| std::ptr::eq(*s, *v)) {
                sources.push(v);
            }
        }
    }
    sources
}

/// The predicate of a verified attestation.
fn predicate_of(v: &Verified) -> Option<&serde_json::Value> {
    v.statement.as_ref().and_then(Statement::predicate)
}

/// Of `candidates`, those that carry the newest signed time (several when
/// times tie), with their statements.
fn newest<'a>(candidates: &[&'a Verified]) -> Vec<(&'a Verified, &'a Statement)> {
    let newest = candidates.iter().map(|v| v.signed_at).max();
    candidates
        .iter()
        .filter(|v| Some(v.signed_at) == newest)
        .filter_map(|v| v.statement.as_ref().map(|s| (*v, s)))
        .collect()
}

/// Why no inputs could be read: there is no trusted provenance.
fn no_trusted_inputs(policy: &ImagePolicy, what: &str) -> String {
    if policy.input_authorities.is_empty() {
        format!(
            "no trusted provenance: the policy names no authority whose {what} supplies the \
             inputs (an attestation requirement naming its authorities, or inputsFrom)"
        )
    } else if policy.inputs_from.is_some() {
        format!(
            "no trusted provenance: no verified {what} from {} (inputsFrom)",
            policy.input_authorities.join(", ")
        )
    } else {
        format!(
            "no trusted provenance: no verified {what} signed as its attestation requirement \
             says (by {}, up to its threshold)",
            policy.input_authorities.join(", ")
        )
    }
}

/// The `vendoredInputs` rules over the newest trusted provenance (see
/// [`input_sources`]). Signed times have whole-second precision: when
/// several provenances share the newest time, each must meet the rules.
fn vendored_requirement(
    policy: &ImagePolicy,
    rules: &VendoredInputs,
    sources: &[&Verified],
) -> RequirementResult {
    let provenances = newest(sources);
    if provenances.is_empty() {
        return RequirementResult {
            requirement: "vendoredInputs".into(),
            passed: false,
            reason: no_trusted_inputs(policy, "SLSA provenance"),
            satisfied_by: Vec::new(),
        };
    }
    let mut reasons = Vec::new();
    let mut by = Vec::new();
    for (v, statement) in &provenances {
        reasons.extend(rules.evaluate(&statement.predicate().cloned().unwrap_or_default()));
        let label = format!("{}: {}", v.authority, v.signer);
        if !by.contains(&label) {
            by.push(label);
        }
    }
    reasons.dedup();
    RequirementResult {
        requirement: "vendoredInputs".into(),
        passed: reasons.is_empty(),
        reason: if reasons.is_empty() {
            "the newest verified provenance meets the rules".into()
        } else {
            reasons.join("; ")
        },
        satisfied_by: if reasons.is_empty() { by } else { Vec::new() },
    }
}

/// The inputs of an image as one policy's verified evidence records them.
struct InputsRead {
    inputs: Vec<ImageInput>,
    from: String,
    provenance: Option<ProvenanceSummary>,
}

fn provenance_summary(predicate: &serde_json::Value, signed_by: String) -> ProvenanceSummary {
    let text = |pointer: &str| {
        predicate
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    let source = text("/buildDefinition/externalParameters/source/uri").map(|uri| {
        match text("/buildDefinition/externalParameters/source/digest/gitCommit") {
            Some(commit) => format!("{uri}@{commit}"),
            None => uri,
        }
    });
    ProvenanceSummary {
        builder_id: text("/runDetails/builder/id"),
        build_type: text("/buildDefinition/buildType"),
        invocation_id: text("/runDetails/metadata/invocationId"),
        started_on: text("/runDetails/metadata/startedOn"),
        finished_on: text("/runDetails/metadata/finishedOn"),
        source,
        signed_by,
    }
}

/// The inputs from the newest trusted provenance, else the newest trusted
/// CycloneDX SBOM (see [`input_sources`]).
fn read_inputs(
    policy: &ImagePolicy,
    verified: &[Verified],
) -> std::result::Result<Option<InputsRead>, String> {
    /// Which predicate types, named how, read by what.
    type Source = (
        fn(&str) -> bool,
        &'static str,
        fn(&serde_json::Value) -> std::result::Result<Vec<ImageInput>, String>,
    );
    let sources: [Source; 2] = [
        (is_provenance, "provenance", vulns::inputs_from_provenance),
        (is_cyclonedx, "CycloneDX SBOM", vulns::inputs_from_cyclonedx),
    ];
    for (wanted, what, read) in sources {
        let candidates = input_sources(policy, verified, wanted);
        if let Some((v, statement)) = newest(&candidates).first() {
            let predicate = statement.predicate().cloned().unwrap_or_default();
            let inputs = read(&predicate).map_err(|e| format!("the verified {what}: {e}"))?;
            let signer = format!("{}: {}", v.authority, v.signer);
            return Ok(Some(InputsRead {
                inputs,
                from: format!("{what} signed by {signer}"),
                provenance: (statement.predicate_type() == SLSA_PROVENANCE_V1)
                    .then(|| provenance_summary(&predicate, signer)),
            }));
        }
    }
    Ok(None)
}

/// The VEX statements of every verified OpenVEX attestation and every
/// verified CycloneDX BOM with `vulnerabilities`, once per attachment,
/// trusted when one authority that verified it is a VEX authority; with a
/// note for each document that could not be read.
///
/// A CycloneDX analysis speaks of components of the BOM's own subject:
/// here `image`, which the attestation is verified to be about.
fn vex_sources(
    verified: &[Verified],
    trusted: &[String],
    image: &Sha256,
) -> (Vec<VexSource>, Vec<String>) {
    let mut sources = Vec::new();
    let mut notes = Vec::new();
    let mut seen: Vec<usize> = Vec::new();
    for v in verified {
        let Some(statement) = &v.statement else {
            continue;
        };
        let predicate_type = statement.predicate_type();
        let predicate = statement.predicate().cloned().unwrap_or_default();
        let cyclonedx = predicate_type == CYCLONEDX_PREDICATE_TYPE
            && predicate.get("vulnerabilities").is_some();
        if (!vex::is_predicate_type(predicate_type) && !cyclonedx) || seen.contains(&v.index) {
            continue;
        }
        seen.push(v.index);
        let chosen = verified
            .iter()
            .filter(|o| o.index == v.index)
            .find(|o| trusted.contains(&o.authority))
            .unwrap_or(v);
        let is_trusted = trusted.contains(&chosen.authority);
        let signer = format!("{}: {}", chosen.authority, chosen.signer);
        let read = if cyclonedx {
            vex::from_cyclonedx(&predicate, &image.to_string()).map(|statements| {
                let id = predicate
                    .get("serialNumber")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("CycloneDX BOM")
                    .to_string();
                (id, statements)
            })
        } else {
            vex::Document::from_predicate(&predicate).map(|d| (d.id, d.statements))
        };
        match read {
            Ok((document, statements)) => {
                sources.extend(statements.into_iter().map(|statement| VexSource {
                    statement,
                    signer: signer.clone(),
                    trusted: is_trusted,
                    document: document.clone(),
                    signed_at: chosen.signed_at,
                }))
            }
            Err(e) => notes.push(format!("VEX attestation from {signer} is unreadable: {e}")),
        }
    }
    (sources, notes)
}

/// What the vulnerability gate made of one policy's evidence.
struct Gated {
    /// Why the inputs could not be checked at all.
    error: Option<String>,
    requirement: Option<RequirementResult>,
    findings: Vec<Finding>,
    warnings: Vec<String>,
}

fn vulnerability_gate(
    policy: &ImagePolicy,
    section: &Vulnerabilities,
    inputs: &std::result::Result<Option<InputsRead>, String>,
    sources: &[VexSource],
    digest: &Sha256,
    now: jiff::Timestamp,
    scanned: &[ImageInput],
) -> Gated {
    let report_only = policy.vulnerabilities.is_none();
    let fail = |reason: String| Gated {
        error: Some(reason.clone()),
        requirement: (!report_only).then(|| RequirementResult {
            requirement: "vulnerabilities".into(),
            passed: false,
            reason,
            satisfied_by: Vec::new(),
        }),
        findings: Vec::new(),
        warnings: Vec::new(),
    };
    let read = match inputs {
        Ok(Some(read)) => read,
        Ok(None) => {
            return fail(no_trusted_inputs(
                policy,
                "SLSA provenance or CycloneDX SBOM",
            ))
        }
        Err(e) => return fail(e.clone()),
    };
    let checked = with_scanned(&read.inputs, scanned);
    let mut findings = match vulns::scan(section.database.as_ref(), &checked) {
        Ok(findings) => findings,
        Err(e) => {
            return fail(format!(
                "{e}: the inputs cannot be checked for vulnerabilities"
            ))
        }
    };
    vulns::answer(&mut findings, sources, digest, now, section.vex_max_age);
    vulns::answer_vendor(&mut findings, &section.vendor_vex, now);
    section.gate.apply(&mut findings);
    let describe = |f: &Finding| match &f.summary {
        Some(why) if f.version_unknown() => format!("{}: {why}", f.id),
        _ => format!(
            "{} ({}) in {}input {}",
            f.id,
            f.severity
                .map_or("no severity".to_string(), |s| s.to_string()),
            if f.input.critical { "critical " } else { "" },
            f.input.label(),
        ),
    };
    let denied: Vec<String> = findings
        .iter()
        .filter(|f| f.action == Action::Deny)
        .map(describe)
        .collect();
    let warnings: Vec<String> = findings
        .iter()
        .filter(|f| f.action == Action::Warn)
        .map(|f| format!("unanswered vulnerability {}", describe(f)))
        .collect();
    let answered = findings.iter().filter(|f| f.answered()).count();
    let requirement = (!report_only).then(|| RequirementResult {
        requirement: "vulnerabilities".into(),
        passed: denied.is_empty(),
        reason: if denied.is_empty() {
            format!(
                "{} finding(s) in {} inputs ({}{}): {answered} answered by trusted VEX, {} warned, none unanswered that denies",
                findings.len(),
                checked.len(),
                read.from,
                scanned_note(read.inputs.len(), checked.len()),
                warnings.len()
            )
        } else {
            format!(
                "unanswered at or above {}: {}",
                section.gate.threshold,
                denied.join(", ")
            )
        },
        satisfied_by: Vec::new(),
    });
    Gated {
        error: None,
        requirement,
        findings,
        warnings,
    }
}

/// The verified inputs and, after them, each OS package read from the
/// image's layers that they do not list (same ecosystem, name, version
/// and purl); one they do list is kept as the evidence records it, marked
/// as read from both.
fn with_scanned(verified: &[ImageInput], scanned: &[ImageInput]) -> Vec<ImageInput> {
    let same = |a: &ImageInput, b: &ImageInput| {
        a.ecosystem == b.ecosystem && a.name == b.name && a.version == b.version && a.purl == b.purl
    };
    let mut all = verified.to_vec();
    for input in scanned {
        if let Some(known) = all[..verified.len()].iter_mut().find(|v| same(v, input)) {
            if let Some(os) = &mut known.os {
                os.from = crate::os::FROM_BOTH;
            }
        } else if !all.iter().any(|v| same(v, input)) {
            all.push(input.clone());
        }
    }
    all
}

/// How many OS packages the image's layers added to the verified inputs,
/// for the gate's reason (nothing when they added none).
fn scanned_note(verified: usize, checked: usize) -> String {
    match checked - verified {
        0 => String::new(),
        added => format!(", and {added} OS package(s) read from the image's layers alone"),
    }
}

/// One policy's result, with the inputs and VEX statements it read.
struct Evaluated {
    result: PolicyResult,
    inputs: Option<InputsRead>,
    vex: Vec<VexSource>,
}

fn evaluate_policy(
    policy: &ImagePolicy,
    digest: &Sha256,
    attachments: &[Attachment],
    context: &Context<'_>,
    notes: &mut [EvidenceNote],
) -> Evaluated {
    let mut verified: Vec<Verified> = Vec::new();
    for (index, attachment) in attachments.iter().enumerate() {
        let mut reasons = Vec::new();
        let mut used = false;
        for authority in &policy.authorities {
            match verify_one(attachment, digest, &authority.kind, context.default_root) {
                Ok(None) => {}
                Ok(Some((signer, statement, signed_times))) => {
                    let latest = context.now + MAX_CLOCK_SKEW;
                    if let Some(future) = signed_times.iter().find(|t| **t > latest) {
                        reasons.push(format!(
                            "{}: signed time {future} is in the future (more than {:#} from now)",
                            authority.name, MAX_CLOCK_SKEW
                        ));
                        continue;
                    }
                    if let Some(max_age) = policy.max_age {
                        let oldest = context.now - max_age;
                        if !signed_times.iter().any(|t| *t >= oldest) {
                            reasons.push(format!(
                                "{}: older than maxAge {max_age:#}, or no signed time to tell",
                                authority.name
                            ));
                            continue;
                        }
                    }
                    let note = &mut notes[index];
                    note.verified_by
                        .push(format!("{}/{}", policy.name, authority.name));
                    note.signers
                        .push(format!("{}/{}: {signer}", policy.name, authority.name));
                    if let Some(newest) = signed_times.iter().max() {
                        let known = note
                            .signed_at
                            .as_deref()
                            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
                        if known.is_none_or(|t| t < *newest) {
                            note.signed_at = Some(newest.to_string());
                        }
                    }
                    used = true;
                    verified.push(Verified {
                        index,
                        authority: authority.name.clone(),
                        signer,
                        statement,
                        signed_at: signed_times.iter().max().copied(),
                    });
                }
                Err(e) => reasons.push(format!("{}: {e}", authority.name)),
            }
        }
        if !used && !reasons.is_empty() {
            notes[index]
                .ignored
                .push(format!("{}: {}", policy.name, reasons.join("; ")));
        }
    }

    let mut requirements = Vec::new();
    if let Some(signers) = &policy.signatures {
        let result = match static_answer(policy, &signers.authorities) {
            Some(StaticAction::Pass) => RequirementResult {
                requirement: "signature".into(),
                passed: true,
                reason: "a static pass authority".into(),
                satisfied_by: Vec::new(),
            },
            _ => threshold_result(
                "signature".into(),
                signers,
                distinct_signers(verified.iter().filter(|v| {
                    attachments[v.index].kind == Kind::Signature
                        && signers.authorities.contains(&v.authority)
                })),
                "image signature(s)",
                &[],
            ),
        };
        requirements.push(result);
    }
    for requirement in &policy.attestations {
        requirements.push(attestation_requirement(policy, requirement, &verified));
    }
    if let Some(rules) = &policy.vendored_inputs {
        let provenances = input_sources(policy, &verified, is_provenance);
        requirements.push(vendored_requirement(policy, rules, &provenances));
    }
    let inputs = read_inputs(policy, &verified);
    let section: Option<Cow<'_, Vulnerabilities>> = match (&policy.vulnerabilities, context.osv) {
        (Some(v), None) => Some(Cow::Borrowed(v)),
        (Some(v), Some((path, db))) => {
            let mut v = v.clone();
            v.osv = path.to_path_buf();
            v.database = Arc::clone(db);
            Some(Cow::Owned(v))
        }
        (None, Some((path, db))) => Some(Cow::Owned(Vulnerabilities::report_only(
            path.to_path_buf(),
            Arc::clone(db),
        ))),
        (None, None) => None,
    };
    let mut warnings = Vec::new();
    let mut findings = Vec::new();
    let mut vex = Vec::new();
    let mut vulnerability_error = None;
    if let Some(section) = &section {
        let (sources, unreadable) = vex_sources(&verified, &policy.vex_authorities, digest);
        warnings.extend(unreadable);
        let gated = vulnerability_gate(
            policy,
            section,
            &inputs,
            &sources,
            digest,
            context.now,
            context.scanned,
        );
        requirements.extend(gated.requirement);
        vulnerability_error = gated.error;
        warnings.extend(gated.warnings);
        findings = gated.findings;
        vex = sources;
    }
    let static_fail = policy
        .authorities
        .iter()
        .any(|a| matches!(a.kind, AuthorityKind::Static(StaticAction::Fail)))
        && policy
            .authorities
            .iter()
            .all(|a| matches!(a.kind, AuthorityKind::Static(_)));
    if static_fail {
        requirements.push(RequirementResult {
            requirement: "authorities".into(),
            passed: false,
            reason: "a static fail authority".into(),
            satisfied_by: Vec::new(),
        });
    }
    Evaluated {
        result: PolicyResult {
            name: policy.name.clone(),
            source: policy.source.display().to_string(),
            mode: policy.mode,
            passed: requirements.iter().all(|r| r.passed),
            requirements,
            warnings,
            findings,
            vulnerability_error,
            upgrade: policy.vulnerabilities.as_ref().map(|v| v.upgrade),
        },
        inputs: inputs.ok().flatten(),
        vex,
    }
}

/// The findings of several policies, one per record and input, each with
/// the strictest action any policy gave it.
fn merge_findings<'a>(all: impl Iterator<Item = &'a Finding>) -> Vec<Finding> {
    let rank = |a: Action| match a {
        Action::Deny => 2,
        Action::Warn => 1,
        Action::Ignore => 0,
    };
    let mut merged: Vec<Finding> = Vec::new();
    for f in all {
        match merged.iter_mut().find(|m| m.key() == f.key()) {
            Some(m) if rank(f.action) > rank(m.action) => *m = f.clone(),
            Some(_) => {}
            None => merged.push(f.clone()),
        }
    }
    merged
}

/// The verdict on `image` (pinned to `digest`) given its attachments.
pub fn evaluate(
    policies: &PolicySet,
    image: &ImageRef,
    digest: &Sha256,
    attachments: &[Attachment],
    context: &Context<'_>,
) -> Verdict {
    let mut notes: Vec<EvidenceNote> = attachments
        .iter()
        .map(|a| EvidenceNote {
            kind: a.kind,
            format: a.format,
            predicate_type: a.predicate_type.clone(),
            digest: a.digest.to_string(),
            verified_by: Vec::new(),
            ignored: Vec::new(),
            signers: Vec::new(),
            signed_at: None,
            created: a.created.clone(),
        })
        .collect();
    let matching = policies.matching(image);
    let evaluated: Vec<Evaluated> = matching
        .iter()
        .map(|p| evaluate_policy(p, digest, attachments, context, &mut notes))
        .collect();
    let (inputs, inputs_from, provenance) = evaluated
        .iter()
        .find_map(|e| e.inputs.as_ref())
        .map_or((Vec::new(), None, None), |read| {
            (
                read.inputs.clone(),
                Some(read.from.clone()),
                read.provenance.clone(),
            )
        });
    let findings = merge_findings(evaluated.iter().flat_map(|e| &e.result.findings));
    let mut vex: Vec<VexSource> = Vec::new();
    for source in evaluated.iter().flat_map(|e| &e.vex) {
        if !vex.iter().any(|v| {
            v.document == source.document
                && v.signer == source.signer
                && v.statement == source.statement
        }) {
            vex.push(source.clone());
        }
    }
    let results: Vec<PolicyResult> = evaluated.into_iter().map(|e| e.result).collect();
    let mut warnings = Vec::new();
    let mut denials = Vec::new();
    if matching.is_empty() {
        match context.no_match {
            NoMatch::Deny => denials.push("no policy matches this image".to_string()),
            NoMatch::Allow => {}
            NoMatch::Warn => warnings.push("no policy matches this image".to_string()),
        }
    }
    for (policy, result) in matching.iter().zip(&results) {
        warnings.extend(
            result
                .warnings
                .iter()
                .map(|w| format!("policy {}: {w}", policy.name)),
        );
        if !result.passed {
            let failing = result
                .requirements
                .iter()
                .filter(|r| !r.passed)
                .map(|r| format!("{}: {}", r.requirement, r.reason))
                .collect::<Vec<_>>()
                .join("; ");
            match policy.mode {
                Mode::Enforce => denials.push(format!("policy {}: {failing}", policy.name)),
                Mode::Warn => warnings.push(format!(
                    "policy {} (warn) would deny: {failing}",
                    policy.name
                )),
            }
        }
    }
    Verdict {
        image: image.to_string(),
        digest: digest.to_string(),
        verdict: if denials.is_empty() {
            Decision::Allow
        } else {
            Decision::Deny
        },
        denials,
        warnings,
        policies: results,
        evidence: notes,
        inputs,
        inputs_from,
        findings,
        vex,
        provenance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_evidence::bundle::Bundle;
    use vouch_evidence::digest::sha256;
    use vouch_evidence::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
    use vouch_evidence::keys::{Algorithm, PrivateKey, Signer};

    const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    const GITHUB: &str = "https://token.actions.githubusercontent.com";

    /// The files beside a test policy (in `/policies`), as a loader would
    /// have read them.
    struct Beside(std::cell::RefCell<crate::policy::Resolved>);

    impl Beside {
        fn new() -> Beside {
            Beside(std::cell::RefCell::new(crate::policy::Resolved::new(None)))
        }

        /// `name` holding `bytes`.
        fn write(&self, name: &str, bytes: impl Into<Vec<u8>>) {
            self.0.borrow_mut().insert_file(
                std::path::Path::new("/policies").join(name),
                Ok(bytes.into()),
            );
        }

        /// `osv` holding the tinyxml2 records of testdata/osv.
        fn tinyxml2_osv(&self) {
            let records = crate::testdata::osv(&["CVE-2024-50614.json", "CVE-2024-50615.json"]);
            self.0.borrow_mut().insert_osv(
                "/policies/osv".into(),
                Ok((std::sync::Arc::new(records), sha256(b"tinyxml2"))),
            );
        }
    }

    /// A policy set from YAML, with `ci.pub` beside it holding `key`.
    fn policies(dir: &Beside, key: &PrivateKey, spec: &str) -> PolicySet {
        dir.write("ci.pub", key.public_key().to_pem());
        let path = std::path::Path::new("/policies/policy.yaml");
        let yaml = format!(
            "apiVersion: vouch.dev/v1alpha1\nkind: ImagePolicy\nmetadata: {{name: t}}\nspec:\n  images: [{{glob: \"oci:**\"}}]\n{spec}"
        );
        let file = crate::policy::parse(path, yaml.into_bytes());
        crate::policy::build(path, vec![file], &dir.0.borrow()).unwrap()
    }

    fn provenance(image: &Sha256, finished_on: &str) -> Vec<u8> {
        format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app","digest":{{"sha256":"{}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{{"buildDefinition":{{"buildType":"t","externalParameters":{{}}}},"runDetails":{{"builder":{{"id":"b"}},"metadata":{{"finishedOn":"{finished_on}"}}}}}}}}"#,
            image.hex()
        )
        .into_bytes()
    }

    fn attestation(format: Format, evidence: Evidence) -> Attachment {
        Attachment {
            format,
            kind: Kind::Attestation,
            predicate_type: Some(SLSA_PROVENANCE_V1.into()),
            created: None,
            digest: sha256(b"attachment"),
            evidence,
            keyless: None,
        }
    }

    fn run(set: &PolicySet, digest: &Sha256, attachments: &[Attachment], now: &str) -> Verdict {
        let root = TrustedRoot::public_good().unwrap();
        let image: ImageRef = "oci:layout:app".parse().unwrap();
        evaluate(
            set,
            &image,
            digest,
            attachments,
            &Context {
                now: now.parse().unwrap(),
                default_root: &root,
                no_match: NoMatch::Deny,
                osv: None,
                scanned: &[],
            },
        )
    }

    const KEYED: &str = "  authorities: [{name: ci, key: {path: ci.pub}}]\n  attestations: [{name: provenance, predicateType: \"https://slsa.dev/provenance/v1\", authorities: [ci]}]\n";

    #[test]
    fn regression_issue_5_a_key_carried_by_the_bundle_never_replaces_the_policy_key() {
        let dir = Beside::new();
        let ci = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let mallory = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let set = policies(&dir, &ci, KEYED);
        let image = sha256(b"manifest");
        // Mallory's bundle names Mallory's key (its hint) and verifies with it.
        let bundle = Bundle::sign_dsse(
            &mallory,
            IN_TOTO_PAYLOAD_TYPE,
            &provenance(&image, "2026-01-01T00:00:00Z"),
        )
        .unwrap();
        let verdict = run(
            &set,
            &image,
            &[attestation(Format::Bundle, Evidence::Bundle(bundle))],
            "2026-01-02T00:00:00Z",
        );
        assert!(!verdict.allowed());
        assert!(verdict.evidence[0].verified_by.is_empty());
        assert!(
            verdict.evidence[0].ignored[0].contains("ci:"),
            "{:?}",
            verdict.evidence
        );
        // Control: the same statement signed by the policy's key.
        let bundle = Bundle::sign_dsse(
            &ci,
            IN_TOTO_PAYLOAD_TYPE,
            &provenance(&image, "2026-01-01T00:00:00Z"),
        )
        .unwrap();
        let verdict = run(
            &set,
            &image,
            &[attestation(Format::Bundle, Evidence::Bundle(bundle))],
            "2026-01-02T00:00:00Z",
        );
        assert!(verdict.allowed(), "{:?}", verdict.denials);
    }

    #[test]
    fn regression_issue_5_an_attestation_older_than_max_age_does_not_count() {
        let dir = Beside::new();
        let ci = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let set = policies(&dir, &ci, &format!("{KEYED}  maxAge: 30d\n"));
        let image = sha256(b"manifest");
        let envelope = Envelope::sign(
            IN_TOTO_PAYLOAD_TYPE,
            &provenance(&image, "2026-01-01T00:00:00Z"),
            &[&ci],
        )
        .unwrap();
        let attachments = [attestation(Format::Legacy, Evidence::Dsse(envelope))];
        let fresh = run(&set, &image, &attachments, "2026-01-20T00:00:00Z");
        assert!(fresh.allowed(), "{:?}", fresh.denials);
        let stale = run(&set, &image, &attachments, "2026-02-15T00:00:00Z");
        assert!(!stale.allowed());
        assert!(
            stale.evidence[0].ignored[0].contains("older than maxAge"),
            "{:?}",
            stale.evidence
        );
    }

    #[test]
    fn keyless_authorities_admit_only_their_anchored_identities() {
        let case = crate::bundle::tests::conformance_case("happy-path-intoto-in-dsse-v3");
        let artifact = std::fs::read(case.join("../a.txt")).unwrap();
        let bundle =
            Bundle::from_json(&std::fs::read(case.join("bundle.sigstore.json")).unwrap()).unwrap();
        let subject = sha256(&artifact);
        let attachments = [attestation(Format::Bundle, Evidence::Bundle(bundle))];
        let dir = Beside::new();
        let ci = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let keyless = |subject: &str| {
            format!(
                "  authorities: [{{name: release, keyless: {{identities: [{{issuer: \"{GITHUB}\", {subject}}}]}}}}]\n  attestations: [{{name: provenance, predicateType: \"https://slsa.dev/provenance/v1\", authorities: [release]}}]\n"
            )
        };
        let now = "2026-01-01T00:00:00Z";
        let exact = policies(&dir, &ci, &keyless(&format!("subject: \"{BEACON}\"")));
        let verdict = run(&exact, &subject, &attachments, now);
        assert!(
            verdict.allowed(),
            "{:?} {:?}",
            verdict.denials,
            verdict.evidence
        );
        let by = &verdict.policies[0].requirements[0].satisfied_by[0];
        assert!(by.starts_with("release: ") && by.contains(BEACON), "{by}");

        let pattern = policies(
            &dir,
            &ci,
            &keyless(
                "subjectRegExp: \"https://github.com/sigstore-conformance/.*@refs/heads/main\"",
            ),
        );
        assert!(run(&pattern, &subject, &attachments, now).allowed());
        // Anchored: a pattern matching only a prefix of the identity, or
        // another repository, admits nothing.
        for refused in [
            "subjectRegExp: \"https://github.com/sigstore-conformance\"",
            "subjectRegExp: \"https://github.com/other-org/.*\"",
        ] {
            let set = policies(&dir, &ci, &keyless(refused));
            let verdict = run(&set, &subject, &attachments, now);
            assert!(!verdict.allowed(), "{refused}");
            assert!(
                verdict.evidence[0].ignored[0].contains("release:"),
                "{:?}",
                verdict.evidence
            );
        }
    }

    #[test]
    fn regression_issue_5_one_key_signing_twice_does_not_meet_a_threshold_of_two() {
        let dir = Beside::new();
        let ci = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let second = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        dir.write("second.pub", second.public_key().to_pem());
        let set = policies(
            &dir,
            &ci,
            "  authorities: [{name: ci, key: {path: ci.pub}}, {name: second, key: {path: second.pub}}]\n  attestations: [{name: provenance, predicateType: \"https://slsa.dev/provenance/v1\", authorities: [ci, second], threshold: 2}]\n",
        );
        let image = sha256(b"manifest");
        let statement = provenance(&image, "2026-01-01T00:00:00Z");
        let signed = |keys: &[&dyn Signer]| {
            attestation(
                Format::Legacy,
                Evidence::Dsse(Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &statement, keys).unwrap()),
            )
        };
        let now = "2026-01-02T00:00:00Z";
        // Two signatures by one key in one envelope, and the same again as a
        // second attestation: still one signer.
        let twice = [signed(&[&ci, &ci]), signed(&[&ci])];
        let verdict = run(&set, &image, &twice, now);
        assert!(!verdict.allowed());
        assert!(
            verdict.policies[0].requirements[0]
                .reason
                .contains("1 distinct signer(s)"),
            "{:?}",
            verdict.policies[0].requirements
        );
        // Control: two distinct keys.
        let both = [signed(&[&ci]), signed(&[&second])];
        assert!(run(&set, &image, &both, now).allowed());
    }

    #[test]
    fn static_authorities_and_warn_mode() {
        let dir = Beside::new();
        let ci = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let image = sha256(b"manifest");
        let pass = policies(&dir, &ci, "  authorities: [{name: allow, static: pass}]\n");
        assert!(run(&pass, &image, &[], "2026-01-01T00:00:00Z").allowed());
        let fail = policies(&dir, &ci, "  authorities: [{name: block, static: fail}]\n");
        assert!(!run(&fail, &image, &[], "2026-01-01T00:00:00Z").allowed());
        let warn = policies(&dir, &ci, &format!("  mode: warn\n{KEYED}"));
        let verdict = run(&warn, &image, &[], "2026-01-01T00:00:00Z");
        assert!(verdict.allowed());
        assert!(
            verdict.warnings[0].contains("would deny"),
            "{:?}",
            verdict.warnings
        );
    }

    fn statement(image: &Sha256, predicate_type: &str, predicate: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "app", "digest": {"sha256": image.hex()}}],
            "predicateType": predicate_type,
            "predicate": predicate,
        }))
        .unwrap()
    }

    #[test]
    fn a_verified_cyclonedx_vex_answers_findings_in_the_image_it_is_about() {
        let dir = Beside::new();
        dir.tinyxml2_osv();
        let ci = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let set = policies(
            &dir,
            &ci,
            &format!(
                "{KEYED}  vulnerabilities: {{osv: osv, threshold: medium, vexAuthorities: [ci]}}\n"
            ),
        );
        let image = sha256(b"manifest");
        let purl = "pkg:github/leethomason/tinyxml2@10.0.0";
        let provenance = statement(
            &image,
            SLSA_PROVENANCE_V1,
            serde_json::json!({
                "buildDefinition": {"buildType": "t", "externalParameters": {},
                    "resolvedDependencies": [{"name": "tinyxml2", "uri": "https://github.com/leethomason/tinyxml2/archive/10.0.0.tar.gz",
                        "annotations": {"ecosystem": "generic", "version": "10.0.0", "purl": purl, "critical": true,
                    "match": "not-vendored"}}]},
                "runDetails": {"builder": {"id": "b"}, "metadata": {"finishedOn": "2026-01-01T00:00:00Z"}}}),
        );
        let vulnerability = |id: &str| {
            serde_json::json!({"id": id, "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
                "affects": [{"ref": "tx"}]})
        };
        let vex = statement(
            &image,
            CYCLONEDX_PREDICATE_TYPE,
            serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
                "metadata": {"timestamp": "2026-01-01T00:00:00Z"},
                "components": [{"bom-ref": "tx", "type": "library", "name": "tinyxml2", "version": "10.0.0", "purl": purl}],
                "vulnerabilities": [vulnerability("CVE-2024-50614"), vulnerability("CVE-2024-50615")]}),
        );
        let signed = |bytes: &[u8], predicate_type: &str| Attachment {
            format: Format::Legacy,
            kind: Kind::Attestation,
            predicate_type: Some(predicate_type.into()),
            created: None,
            digest: sha256(bytes),
            evidence: Evidence::Dsse(Envelope::sign(IN_TOTO_PAYLOAD_TYPE, bytes, &[&ci]).unwrap()),
            keyless: None,
        };
        let now = "2026-01-02T00:00:00Z";
        let alone = [signed(&provenance, SLSA_PROVENANCE_V1)];
        let verdict = run(&set, &image, &alone, now);
        assert!(!verdict.allowed(), "{:?}", verdict.findings);
        assert_eq!(verdict.findings.len(), 2);
        let answered = [
            signed(&provenance, SLSA_PROVENANCE_V1),
            signed(&vex, CYCLONEDX_PREDICATE_TYPE),
        ];
        let verdict = run(&set, &image, &answered, now);
        assert!(verdict.allowed(), "{:?}", verdict.denials);
        for f in &verdict.findings {
            let answer = f.answer.as_ref().unwrap();
            assert_eq!(answer.status, vex::Status::NotAffected);
            assert_eq!(
                answer.justification,
                Some(vex::Justification::VulnerableCodeNotInExecutePath)
            );
            assert_eq!(
                answer.document,
                "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
            );
        }
        // The same BOM about another image answers nothing here.
        let other = statement(
            &sha256(b"other"),
            CYCLONEDX_PREDICATE_TYPE,
            serde_json::json!({}),
        );
        assert!(!run(
            &set,
            &image,
            &[
                signed(&provenance, SLSA_PROVENANCE_V1),
                signed(&other, CYCLONEDX_PREDICATE_TYPE)
            ],
            now
        )
        .allowed());
    }

    /// A provenance about `image` finished at `finished_on`, with the
    /// critical input tinyxml2 10.0.0 (two medium CVEs) or no input at all.
    fn tinyxml2_provenance(image: &Sha256, finished_on: &str, with_tinyxml2: bool) -> Vec<u8> {
        let purl = "pkg:github/leethomason/tinyxml2@10.0.0";
        let deps = if with_tinyxml2 {
            serde_json::json!([{"name": "tinyxml2",
                "uri": "https://github.com/leethomason/tinyxml2/archive/10.0.0.tar.gz",
                "annotations": {"ecosystem": "generic", "version": "10.0.0", "purl": purl, "critical": true,
                    "match": "not-vendored"}}])
        } else {
            serde_json::json!([])
        };
        statement(
            image,
            SLSA_PROVENANCE_V1,
            serde_json::json!({
                "buildDefinition": {"buildType": "t", "externalParameters": {}, "resolvedDependencies": deps},
                "runDetails": {"builder": {"id": "b"}, "metadata": {"finishedOn": finished_on}}}),
        )
    }

    /// An OpenVEX document about `image` made at `timestamp`: both
    /// tinyxml2 CVEs have `status`.
    fn tinyxml2_vex(image: &Sha256, timestamp: &str, status: &str) -> Vec<u8> {
        let product = format!("pkg:oci/app@sha256%3A{}", image.hex());
        let statements: Vec<serde_json::Value> = ["CVE-2024-50614", "CVE-2024-50615"]
            .iter()
            .map(|id| {
                let mut s = serde_json::json!({"vulnerability": {"name": id},
                    "products": [{"@id": product}], "status": status});
                match status {
                    "not_affected" => {
                        s["justification"] = "vulnerable_code_not_in_execute_path".into()
                    }
                    _ => s["action_statement"] = "upgrade".into(),
                }
                s
            })
            .collect();
        statement(
            image,
            vex::OPENVEX_PREDICATE_TYPE,
            serde_json::json!({"@context": "https://openvex.dev/ns/v0.2.0",
                "@id": format!("https://example.com/vex/{status}/{timestamp}"),
                "author": "security", "timestamp": timestamp, "version": 1,
                "statements": statements}),
        )
    }

    /// `bytes` signed by `keys` as a legacy DSSE attestation.
    fn signed_by(keys: &[&dyn Signer], bytes: &[u8], predicate_type: &str) -> Attachment {
        Attachment {
            format: Format::Legacy,
            kind: Kind::Attestation,
            predicate_type: Some(predicate_type.into()),
            created: None,
            digest: sha256(bytes),
            evidence: Evidence::Dsse(Envelope::sign(IN_TOTO_PAYLOAD_TYPE, bytes, keys).unwrap()),
            keyless: None,
        }
    }

    /// Authorities `ci`, `security` and `second` (keys written beside the
    /// policy), and the vulnerability gate over tinyxml2's records.
    fn gated(dir: &Beside, keys: &[&PrivateKey; 3], spec: &str) -> PolicySet {
        dir.tinyxml2_osv();
        for (name, key) in ["security", "second"].iter().zip(&keys[1..]) {
            dir.write(&format!("{name}.pub"), key.public_key().to_pem());
        }
        policies(
            dir,
            keys[0],
            &format!(
                "  authorities: [{{name: ci, key: {{path: ci.pub}}}}, {{name: security, key: {{path: security.pub}}}}, {{name: second, key: {{path: second.pub}}}}]\n{spec}"
            ),
        )
    }

    fn keys() -> [PrivateKey; 3] {
        [0, 1, 2].map(|_| PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap())
    }

    /// A provenance requirement naming ci.
    const CI_PROVENANCE: &str =
        "  attestations: [{name: provenance, predicateType: \"https://slsa.dev/provenance/v1\", authorities: [ci]}]\n";

    /// ci's provenance of the image with tinyxml2, finished on 1 January.
    fn ci_tinyxml2(ci: &PrivateKey, image: &Sha256) -> Attachment {
        signed_by(
            &[ci],
            &tinyxml2_provenance(image, "2026-01-01T00:00:00Z", true),
            SLSA_PROVENANCE_V1,
        )
    }

    const GATE: &str =
        "  vulnerabilities: {osv: osv, threshold: medium, vexAuthorities: [security]}\n";

    #[test]
    fn regression_issue_8_inputs_come_only_from_attestations_the_policy_trusts_for_them() {
        let dir = Beside::new();
        let [ci, security, second] = keys();
        let image = sha256(b"manifest");
        let now = "2026-01-02T00:00:00Z";
        // ci's provenance has tinyxml2; a newer one with no inputs at all,
        // signed by the VEX-only security key.
        let real = ci_tinyxml2(&ci, &image);
        let empty = tinyxml2_provenance(&image, "2026-01-01T12:00:00Z", false);
        let forged = signed_by(&[&security], &empty, SLSA_PROVENANCE_V1);
        let vendored = "  vendoredInputs: {forbidden: [{name: tinyxml2}]}\n";
        for attestations in [
            // The provenance requirement names ci; or names no one, and
            // security is named for VEX only.
            CI_PROVENANCE,
            "  attestations: [{name: provenance, predicateType: \"https://slsa.dev/provenance/v1\"}]\n",
        ] {
            let set = gated(&dir, &[&ci, &security, &second], &format!("{attestations}{vendored}{GATE}"));
            let verdict = run(&set, &image, &[real.clone(), forged.clone()], now);
            assert!(!verdict.allowed(), "{attestations}");
            assert_eq!(verdict.findings.len(), 2, "{:?}", verdict.findings);
            assert!(verdict.inputs_from.as_deref().unwrap().contains("signed by ci: key"), "{:?}", verdict.inputs_from);
            let reasons: Vec<&str> = verdict.policies[0].requirements.iter().filter(|r| !r.passed).map(|r| r.requirement.as_str()).collect();
            assert_eq!(reasons, ["vendoredInputs", "vulnerabilities"], "{:?}", verdict.policies[0].requirements);
        }

        // No requirement for a provenance and no inputsFrom: no trusted
        // provenance, whoever signed one.
        let set = gated(
            &dir,
            &[&ci, &security, &second],
            &format!("  signatures: {{authorities: [ci]}}\n{GATE}"),
        );
        let verdict = run(&set, &image, &[real.clone(), forged.clone()], now);
        assert!(!verdict.allowed());
        assert!(verdict.inputs.is_empty());
        let error = verdict.policies[0].vulnerability_error.as_deref().unwrap();
        assert!(
            error.starts_with("no trusted provenance: the policy names no authority"),
            "{error}"
        );
        // inputsFrom names who supplies them.
        let set = gated(
            &dir,
            &[&ci, &security, &second],
            &format!("  signatures: {{authorities: [ci]}}\n  inputsFrom: [ci]\n{GATE}"),
        );
        let verdict = run(&set, &image, &[real.clone(), forged.clone()], now);
        assert_eq!(verdict.findings.len(), 2, "{:?}", verdict.policies);
        // Named for both, security may supply them (its provenance is newer).
        let set = gated(
            &dir,
            &[&ci, &security, &second],
            &format!("  signatures: {{authorities: [ci]}}\n  inputsFrom: [ci, security]\n{GATE}"),
        );
        assert!(run(&set, &image, &[real.clone(), forged.clone()], now)
            .findings
            .is_empty());

        // A two-signer requirement: the provenance both signed supplies the
        // inputs, not a newer one signed by one of them alone.
        let set = gated(
            &dir,
            &[&ci, &security, &second],
            &format!("  attestations: [{{name: provenance, predicateType: \"https://slsa.dev/provenance/v1\", authorities: [ci, second], threshold: 2}}]\n{GATE}"),
        );
        let both = signed_by(
            &[&ci, &second],
            &tinyxml2_provenance(&image, "2026-01-01T00:00:00Z", true),
            SLSA_PROVENANCE_V1,
        );
        let alone = signed_by(&[&ci], &empty, SLSA_PROVENANCE_V1);
        let verdict = run(&set, &image, &[both, alone], now);
        assert!(verdict.policies[0].requirements[0].passed);
        assert_eq!(verdict.findings.len(), 2, "{:?}", verdict.inputs_from);
    }

    #[test]
    fn regression_issue_8_a_vex_answer_stops_counting_after_vex_max_age() {
        let dir = Beside::new();
        let [ci, security, second] = keys();
        let image = sha256(b"manifest");
        let set = gated(
            &dir,
            &[&ci, &security, &second],
            &format!("{CI_PROVENANCE}{GATE}"),
        );
        // security answered not_affected on 1 January; its later `affected`
        // has been removed from the tag index by whoever writes tags.
        let attachments = [
            ci_tinyxml2(&ci, &image),
            signed_by(
                &[&security],
                &tinyxml2_vex(&image, "2026-01-01T00:00:00Z", "not_affected"),
                vex::OPENVEX_PREDICATE_TYPE,
            ),
        ];
        let fresh = run(&set, &image, &attachments, "2026-01-20T00:00:00Z");
        assert!(fresh.allowed(), "{:?}", fresh.denials);
        // Past the default 30 days, the old answer no longer counts.
        let stale = run(&set, &image, &attachments, "2026-02-15T00:00:00Z");
        assert!(!stale.allowed());
        for f in &stale.findings {
            assert!(f.answer.is_none(), "{f:?}");
            assert!(
                f.ignored_vex[0].contains("longer ago than vexMaxAge 720h"),
                "{:?}",
                f.ignored_vex
            );
        }
        // A policy may allow longer.
        let set = gated(
            &dir,
            &[&ci, &security, &second],
            &format!(
                "{CI_PROVENANCE}{}",
                GATE.replace("vexAuthorities", "vexMaxAge: 90d, vexAuthorities")
            ),
        );
        assert!(run(&set, &image, &attachments, "2026-02-15T00:00:00Z").allowed());
    }

    #[test]
    fn regression_issue_8_a_signed_time_in_the_future_is_refused() {
        let dir = Beside::new();
        let [ci, security, second] = keys();
        let image = sha256(b"manifest");
        let now = "2026-01-02T00:00:00Z";
        // maxAge: a provenance "finished" in 2999 never grows old.
        let set = policies(&dir, &ci, &format!("{KEYED}  maxAge: 30d\n"));
        let finished = |time| {
            let envelope =
                Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &provenance(&image, time), &[&ci]).unwrap();
            [attestation(Format::Legacy, Evidence::Dsse(envelope))]
        };
        let verdict = run(&set, &image, &finished("2999-01-01T00:00:00Z"), now);
        assert!(!verdict.allowed());
        assert!(
            verdict.evidence[0].ignored[0]
                .contains("signed time 2999-01-01T00:00:00Z is in the future"),
            "{:?}",
            verdict.evidence
        );
        // Five minutes ahead is clock skew, accepted.
        assert!(run(&set, &image, &finished("2026-01-02T00:05:00Z"), now).allowed());
        // Newest-of: a future-dated provenance with no inputs does not win
        // over the real one, even from the trusted signer.
        let set = gated(
            &dir,
            &[&ci, &security, &second],
            &format!("{CI_PROVENANCE}{GATE}"),
        );
        let attachments = [
            ci_tinyxml2(&ci, &image),
            signed_by(
                &[&ci],
                &tinyxml2_provenance(&image, "2999-01-01T00:00:00Z", false),
                SLSA_PROVENANCE_V1,
            ),
        ];
        let verdict = run(&set, &image, &attachments, now);
        assert!(!verdict.allowed());
        assert_eq!(verdict.findings.len(), 2, "{:?}", verdict.inputs_from);
    }

    #[test]
    fn scanned_os_packages_join_the_verified_inputs_once() {
        let input = |name: &str, version: &str, from: &'static str| ImageInput {
            os: Some(crate::os::OsInput {
                source_name: name.into(),
                source_version: version.into(),
                layer: "sha256:00".into(),
                database: "var/lib/dpkg/status".into(),
                third_party: false,
                from,
            }),
            ..crate::vulns::tests::os_input(
                name,
                version,
                "deb",
                &format!("pkg:deb/debian/{name}@{version}?distro=debian-12"),
            )
        };
        let evidence = [input("zlib1g", "1", crate::os::FROM_EVIDENCE)];
        let scanned = [
            input("zlib1g", "1", crate::os::FROM_IMAGE),
            // Another version than the evidence records: its own input.
            input("zlib1g", "2", crate::os::FROM_IMAGE),
            input("libc6", "2.36", crate::os::FROM_IMAGE),
            input("libc6", "2.36", crate::os::FROM_IMAGE),
        ];
        let all = with_scanned(&evidence, &scanned);
        let seen: Vec<(&str, &str, &str)> = all
            .iter()
            .map(|i| {
                (
                    i.name.as_str(),
                    i.version.as_deref().unwrap(),
                    i.os.as_ref().unwrap().from,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("zlib1g", "1", crate::os::FROM_BOTH),
                ("zlib1g", "2", crate::os::FROM_IMAGE),
                ("libc6", "2.36", crate::os::FROM_IMAGE),
            ]
        );
        assert_eq!(
            scanned_note(1, 3),
            ", and 2 OS package(s) read from the image's layers alone"
        );
        assert_eq!(scanned_note(1, 1), "");
    }
}
