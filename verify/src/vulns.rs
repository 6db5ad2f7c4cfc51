//! Vulnerability findings over an image's attested inputs, and the VEX
//! statements that answer them.
//!
//! Pure, like the rest of the crate: the inputs
//! come from a verified predicate (SLSA provenance as `vouch attest` writes
//! it, or a CycloneDX SBOM), the records from an OSV database or index
//! ([`Lookup`]), the
//! answers from verified OpenVEX or CycloneDX VEX statements.
//!
//! **Matching.** An input with a package ecosystem (cargo, npm, pip, go,
//! from its `ecosystem` annotation or its purl type) is looked up by
//! ecosystem and name, and compared in that ecosystem's version order
//! (SemVer; PEP 440 for PyPI). An input without one (Bazel archives,
//! inputs declared by hand) is matched through its source repository (a
//! `pkg:github/…` purl, or a GitHub or GitLab URL as its origin) against
//! records whose GIT ranges name that repository and whose `versions` list
//! its version, and through its CPE (Bazel metadata, `cpe` in
//! vouch.inputs.yaml) against the CPEs osv.dev's NVD-derived records carry
//! on their ranges. Withdrawn records never match; records that alias each
//! other are one finding.
//!
//! **Unknown versions.** An input whose version cannot be read (none
//! recorded, not a version in its ecosystem's order, or not the version its
//! purl or CPE names) cannot be matched, so it can never be a clean bill:
//! it is a finding of its own, [`VERSION_UNKNOWN`], which no VEX statement
//! answers and which calls for what an unanswered finding in that input
//! calls for, whatever its severity threshold.
//!
//! **Answers.** A VEX statement answers a finding when
//! - its product names this image: its `@id` carries the image's digest
//!   (`pkg:oci/app@sha256%3A<hex>`, `sha256:<hex>`, `<ref>@sha256:<hex>`);
//! - its vulnerability is the finding's id or one of the record's aliases
//!   (a CVE answers the GHSA that aliases it, and the reverse), or the one
//!   id the record is derived from (a CVE answers the `DEBIAN-CVE-*`
//!   record whose only `upstream` it is; see [`Finding::ids`]);
//! - it names no subcomponents, or one of them is the input's purl
//!   (qualifiers ignored; a purl without a version names every version).
//!
//! Of the statements from **trusted** authorities that apply, and signed
//! no longer ago than the policy's `vexMaxAge` (an answer must be renewed,
//! so that a revocation hidden by whoever writes the image's tags brings
//! back an old answer for a bounded time only), the one with the newest
//! timestamp (its own, else its document's) decides; on a tie,
//! a status that does not clear the finding (`affected`,
//! `under_investigation`) wins, so that equal-time disagreement fails
//! closed. `not_affected` and `fixed` answer the finding; the others leave
//! it open. Statements from other signers are listed with the finding,
//! never used.

use packageurl::PackageUrl;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vouch_evidence::digest::Sha256;
use vouch_evidence::input::{Distribution, InputRecord, Match, Purl};
use vouch_evidence::osv::{cpe_names_other_version, Ecosystem, Lookup, Severity};
use vouch_evidence::statement::ResourceDescriptor;
use vouch_evidence::vex;

use crate::policy::{VendorDocument, VendorVex};

/// One vendored input of an image, as its attested evidence records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageInput {
    /// The package name (crate, npm package, module path, repository).
    pub name: String,
    /// The pinned version, when recorded.
    pub version: Option<String>,
    /// vouch's ecosystem name (`cargo`, `npm`, `pip`, `go`, `bazel`,
    /// `generic`), or the purl type for SBOMs from other producers.
    pub ecosystem: String,
    /// Its package URL, when recorded.
    pub purl: Option<String>,
    /// Where it comes from, when recorded.
    pub uri: Option<String>,
    /// Whether a criticality rule marked it.
    pub critical: bool,
    /// Why: one `<rule>: <reason>` per rule.
    pub critical_reasons: Vec<String>,
    /// The observed digests, `<key>:<hex>`.
    pub digests: Vec<String>,
    /// Its CPE name, when recorded (Bazel repository metadata, or the
    /// `cpe` of an input declared by hand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    /// Whether what is on disk matched its declaration when it was
    /// attested, when recorded: written as `match` (`match`, `mismatch` or
    /// `not-vendored`) and, with a mismatch, `mismatchReason`.
    #[serde(flatten)]
    pub status: Option<Recorded>,
    /// An OS package's origin in the image (ecosystems `deb`, `apk`,
    /// `rpm`), with where vouch read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<crate::os::OsInput>,
    /// The distribution package a project input was unbundled onto
    /// (`vouch unbundle`), with its verified chain of custody: the input is
    /// matched as that package ([`crate::os`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Distribution>,
}

/// A recorded [`Match`], in the JSON shape of the provenance annotations
/// it was read from: `match` by its name, then `mismatchReason` when it
/// is a mismatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded(pub Match);

impl Serialize for Recorded {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("match", self.0.name())?;
        if let Match::Mismatch { reason } = &self.0 {
            map.serialize_entry("mismatchReason", reason)?;
        }
        map.end()
    }
}

/// `name version (ecosystem)`, for messages.
pub(crate) fn label(name: &str, version: Option<&str>, ecosystem: &str) -> String {
    format!("{name} {} ({ecosystem})", version.unwrap_or("?"))
}

/// The inputs as verdicts show them: what the evidence records, with the
/// observed digests as `<key>:<hex>` and the status by its name.
impl From<InputRecord> for ImageInput {
    fn from(r: InputRecord) -> Self {
        ImageInput {
            status: r.status.map(Recorded),
            digests: r.observed.iter().map(ToString::to_string).collect(),
            purl: r.purl.map(|p| p.to_string()),
            name: r.name,
            version: r.version,
            ecosystem: r.ecosystem,
            uri: r.origin,
            critical: r.critical,
            critical_reasons: r.critical_reasons,
            cpe: r.cpe,
            os: r
                .os
                .map(|o| crate::os::OsInput::new(o, crate::os::FROM_EVIDENCE)),
            distribution: r.distribution,
        }
    }
}

impl ImageInput {
    /// The recorded status's name (`match`, `mismatch`, `not-vendored`).
    pub fn matched(&self) -> Option<&'static str> {
        self.status.as_ref().map(|s| s.0.name())
    }

    /// With a mismatch: which file or field differs.
    pub fn mismatch_reason(&self) -> Option<&str> {
        match &self.status {
            Some(Recorded(Match::Mismatch { reason })) => Some(reason),
            _ => None,
        }
    }

    /// The version its findings are about: the distribution package's
    /// (`1.0.25-1`) for an input unbundled onto one, whose records and
    /// fixed versions are the distribution's; else its own (`?` when not
    /// recorded).
    pub fn matched_version(&self) -> &str {
        match &self.distribution {
            Some(d) => d.version(),
            None => self.version.as_deref().unwrap_or("?"),
        }
    }

    /// `name version (ecosystem)`, for messages.
    pub fn label(&self) -> String {
        label(&self.name, self.version.as_deref(), &self.ecosystem)
    }

    /// Its purl, parsed; `None` when it has none or it is malformed.
    fn package_url(&self) -> Option<PackageUrl<'static>> {
        let purl: Purl = self.purl.as_deref()?.parse().ok()?;
        Some(purl.package_url().clone())
    }

    /// The OSV ecosystem it is looked up in, if any.
    pub(crate) fn osv_ecosystem(&self) -> Option<Ecosystem> {
        Ecosystem::from_vouch(&self.ecosystem)
            .or_else(|| Ecosystem::from_purl_type(self.package_url()?.ty()))
    }

    /// The source repository URL (`https://github.com/<owner>/<repo>`)
    /// for records with GIT ranges, from a `pkg:github`/`pkg:gitlab` purl
    /// or a GitHub/GitLab origin URL.
    fn repository(&self) -> Option<String> {
        if let Some(purl) = self.package_url() {
            let host = match purl.ty() {
                "github" => "github.com",
                "gitlab" => "gitlab.com",
                _ => "",
            };
            if !host.is_empty() {
                let path = match purl.namespace() {
                    Some(namespace) => format!("{namespace}/{}", purl.name()),
                    None => purl.name().to_string(),
                };
                return Some(format!("https://{host}/{}", path.to_lowercase()));
            }
        }
        let uri = self.uri.as_deref()?;
        let rest = uri.strip_prefix("git+").unwrap_or(uri).split_once("://")?.1;
        let mut parts = rest.split('/');
        let host = parts.next()?.to_lowercase();
        if host != "github.com" && host != "gitlab.com" {
            return None;
        }
        let owner = parts.next()?;
        let repo = parts.next()?.trim_end_matches(".git");
        (!owner.is_empty() && !repo.is_empty())
            .then(|| format!("https://{host}/{owner}/{repo}").to_lowercase())
    }
}

/// The records of a verified SLSA provenance predicate as `vouch attest`
/// writes it (docs/provenance.md): one per resolved dependency, each read
/// through [`InputRecord`], so that an entry missing an annotation vouch
/// always writes, or holding one of the wrong type, is an error rather
/// than an input read as "not critical" or "matching".
pub fn records_from_provenance(predicate: &Value) -> std::result::Result<Vec<InputRecord>, String> {
    let list = predicate
        .pointer("/buildDefinition/resolvedDependencies")
        .and_then(Value::as_array)
        .ok_or("the provenance has no buildDefinition.resolvedDependencies list")?;
    list.iter()
        .enumerate()
        .map(|(i, dep)| {
            let at = |e: &dyn std::fmt::Display| format!("resolvedDependencies[{i}]: {e}");
            let descriptor = ResourceDescriptor::deserialize(dep).map_err(|e| at(&e))?;
            InputRecord::try_from(&descriptor).map_err(|e| at(&e))
        })
        .collect()
}

/// The inputs of a verified SLSA provenance predicate (see
/// [`records_from_provenance`]).
pub fn inputs_from_provenance(predicate: &Value) -> std::result::Result<Vec<ImageInput>, String> {
    Ok(inputs_from_records(records_from_provenance(predicate)?))
}

/// The inputs of records as a provenance holds them (read from one, or
/// about to be written to one, as `vouch vulns DIR` does): each has a purl,
/// empty when the input has none, as the provenance records it.
pub fn inputs_from_records(records: impl IntoIterator<Item = InputRecord>) -> Vec<ImageInput> {
    records
        .into_iter()
        .map(|r| {
            let mut input = ImageInput::from(r);
            input.purl.get_or_insert_with(String::new);
            input
        })
        .collect()
}

/// The inputs of a verified CycloneDX SBOM predicate: every component
/// (nested ones too) with a name, read through [`InputRecord`]: with
/// vouch's `vouch:` properties where present (then all that vouch always
/// writes), and the purl type as the ecosystem otherwise, so that SBOMs
/// from other producers can be scanned as well.
pub fn inputs_from_cyclonedx(predicate: &Value) -> std::result::Result<Vec<ImageInput>, String> {
    let components = predicate
        .get("components")
        .and_then(Value::as_array)
        .ok_or("the CycloneDX BOM has no components list")?;
    let mut inputs = Vec::new();
    let mut stack: Vec<&Value> = components.iter().rev().collect();
    while let Some(c) = stack.pop() {
        if inputs.len() >= MAX_INPUTS {
            return Err(format!("the BOM lists more than {MAX_INPUTS} components"));
        }
        if let Some(nested) = c.get("components").and_then(Value::as_array) {
            stack.extend(nested.iter().rev());
        }
        if let Some(record) = InputRecord::from_component(c).map_err(|e| e.to_string())? {
            inputs.push(ImageInput::from(record));
        }
    }
    Ok(inputs)
}

/// The most inputs read from one predicate.
pub const MAX_INPUTS: usize = 100_000;

/// What a finding calls for, by the policy's gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Denies the image.
    Deny,
    /// Admits it with a warning.
    Warn,
    /// Reported only.
    Ignore,
}

impl std::str::FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "deny" => Ok(Action::Deny),
            "warn" => Ok(Action::Warn),
            "ignore" => Ok(Action::Ignore),
            _ => Err(format!("{s:?} is not one of deny, warn, ignore")),
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::Deny => "deny",
            Action::Warn => "warn",
            Action::Ignore => "ignore",
        })
    }
}

/// A VEX statement that came with the image, and who signed it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VexSource {
    /// The statement.
    pub statement: vex::Statement,
    /// `<authority>: <signer>`.
    pub signer: String,
    /// Whether the signer is one of the policy's VEX authorities.
    pub trusted: bool,
    /// The document's `@id` (OpenVEX) or the BOM's serial number.
    pub document: String,
    /// The newest signed time of the attestation it came from (a verified
    /// log or timestamp time, or the document's own signed time): what
    /// `vexMaxAge` is measured from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<jiff::Timestamp>,
}

/// The answer a finding got.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// The deciding statement's status.
    pub status: vex::Status,
    /// Its justification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<vex::Justification>,
    /// Its impact statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<String>,
    /// Its action statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Who signed it.
    pub by: String,
    /// When it was made.
    pub timestamp: String,
    /// The document it came from.
    pub document: String,
    /// The `vulnerabilities.vendorVex` source that answered, when a
    /// distribution vendor's VEX did (then `document` is that document's
    /// id, and `file` the file it was read from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// The vendor VEX file the answer was read from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// One record affecting one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The OSV id.
    pub id: String,
    /// Its aliases (CVE, GHSA, ...).
    pub aliases: Vec<String>,
    /// The ids its record is derived from (OSV `upstream`: the CVE of a
    /// distribution's `DEBIAN-CVE-*`), which VEX statements may name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<String>,
    /// One line on what it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Its severity; `None` when the record gives none.
    pub severity: Option<Severity>,
    /// Its highest CVSS base score, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The input it affects.
    pub input: ImageInput,
    /// The versions (or commits) that fix it, as the record lists them.
    pub fixed: Vec<String>,
    /// The trusted VEX statement that decides it, if any.
    pub answer: Option<Answer>,
    /// Statements about it that were not used, with why.
    pub ignored_vex: Vec<String>,
    /// What the gate makes of it (set by [`Gate::apply`]).
    pub action: Action,
}

impl Finding {
    /// Whether it is the [`VERSION_UNKNOWN`] finding of an input whose
    /// version cannot be read (its `summary` says why).
    pub fn version_unknown(&self) -> bool {
        self.id == VERSION_UNKNOWN
    }

    /// Whether a trusted `not_affected` or `fixed` statement answers it.
    pub fn answered(&self) -> bool {
        self.answer
            .as_ref()
            .is_some_and(|a| matches!(a.status, vex::Status::NotAffected | vex::Status::Fixed))
    }

    /// Every id a VEX statement may name it by: its id, its aliases and
    /// its upstream id when it has exactly one (`DEBIAN-CVE-*` derived
    /// from its CVE). A record derived from several (an `RHSA` or `DSA`
    /// fixing many CVEs) is answered by none of them: a statement about one
    /// CVE says nothing of the others it tracks.
    pub fn ids(&self) -> Vec<String> {
        let upstream = match self.upstream.as_slice() {
            [one] => Some(one),
            _ => None,
        };
        std::iter::once(&self.id)
            .chain(&self.aliases)
            .chain(upstream)
            .cloned()
            .collect()
    }

    /// The finding's identity across images: record id and input name.
    pub fn key(&self) -> (String, String) {
        (self.id.clone(), self.input.name.clone())
    }
}

/// The id of the finding an input whose version cannot be read gets.
pub const VERSION_UNKNOWN: &str = "version-unknown";

/// The purl of an input split into its name (`type/namespace/name`,
/// decoded) and its version, when it names one.
fn purl_name_and_version(purl: &str) -> Option<(String, Option<String>)> {
    let purl: Purl = purl.parse().ok()?;
    let p = purl.package_url();
    let name = match p.namespace() {
        Some(namespace) => format!("{}/{namespace}/{}", p.ty(), p.name()),
        None => format!("{}/{}", p.ty(), p.name()),
    };
    Some((name, p.version().map(str::to_string)))
}

/// The version of `input` as it is matched, or why it cannot be read.
fn readable_version(input: &ImageInput) -> std::result::Result<&str, String> {
    let version = input
        .version
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or("no version is recorded")?;
    let ecosystem = input.osv_ecosystem();
    if let Some(purl) = &input.purl {
        let (name, named) =
            purl_name_and_version(purl).ok_or_else(|| format!("its purl {purl:?} is malformed"))?;
        // A package purl naming another package (a Go module replaced by
        // another) says nothing of this one's version.
        let same_package = match &ecosystem {
            Some(e) => name.split_once('/').is_some_and(|(_, n)| {
                e.normalize_name(n).to_lowercase() == e.normalize_name(&input.name).to_lowercase()
            }),
            None => true,
        };
        if let Some(named) = named.filter(|n| same_package && n != version) {
            return Err(format!(
                "its version {version:?} is not the version {named:?} its purl {purl} names"
            ));
        }
    }
    if let Some(cpe) = input
        .cpe
        .as_deref()
        .filter(|c| cpe_names_other_version(c, version))
    {
        return Err(format!(
            "its version {version:?} is not the version its CPE {cpe} names"
        ));
    }
    if let Some(ecosystem) = &ecosystem {
        ecosystem.check_version(version)?;
    }
    Ok(version)
}

/// The [`VERSION_UNKNOWN`] finding of an input (`what`: "input", "OS
/// package") that cannot be checked, saying why.
fn unchecked(input: &ImageInput, what: &str, why: &str) -> Finding {
    Finding {
        id: VERSION_UNKNOWN.into(),
        aliases: Vec::new(),
        upstream: Vec::new(),
        summary: Some(format!(
            "{what} {} cannot be checked for vulnerabilities: {why}",
            input.label()
        )),
        severity: None,
        score: None,
        input: input.clone(),
        fixed: Vec::new(),
        answer: None,
        ignored_vex: Vec::new(),
        action: Action::Ignore,
    }
}

/// Every record of `db` affecting one of `inputs`, and a
/// [`VERSION_UNKNOWN`] finding for each input whose version cannot be read
/// (see the module documentation). An error is a record that cannot be
/// evaluated.
pub fn scan(db: &dyn Lookup, inputs: &[ImageInput]) -> std::result::Result<Vec<Finding>, String> {
    let mut findings = Vec::new();
    for input in inputs {
        // An OS package, and a project input unbundled onto a
        // distribution's package, are matched as that distribution package
        // (its release's records, by source package), never by the
        // upstream ecosystem's: the distribution's verdict, backported
        // fixes included, is what counts for the build it ships.
        let distribution = match (&input.os, &input.distribution) {
            (Some(os), _) => Some(("OS package", crate::os::lookup(db, input, os))),
            (None, Some(d)) => Some((
                "distribution package of input",
                crate::os::lookup_distribution(db, input, d),
            )),
            (None, None) => None,
        };
        let version = match distribution
            .as_ref()
            .map_or_else(|| readable_version(input), |_| Ok(""))
        {
            Ok(version) => version,
            Err(why) => {
                findings.push(unchecked(input, "input", &why));
                continue;
            }
        };
        let matches = match (distribution, input.osv_ecosystem()) {
            (Some((_, Ok(matches))), _) => matches,
            (Some((what, Err(why))), _) => {
                findings.push(unchecked(input, what, &why));
                continue;
            }
            (None, Some(ecosystem)) => db
                .lookup(&ecosystem, &input.name, version)
                .map_err(|e| format!("input {}: {e}", input.label()))?,
            (None, None) => {
                let mut found = match input.repository() {
                    Some(repo) => db.lookup_repo(&repo, version),
                    None => Ok(Vec::new()),
                }
                .map_err(|e| format!("input {}: {e}", input.label()))?;
                if let Some(cpe) = &input.cpe {
                    let by_cpe = db
                        .lookup_cpe(cpe, version)
                        .map_err(|e| format!("input {}: {e}", input.label()))?;
                    for (record, fixed) in by_cpe {
                        if !found.iter().any(|(r, _)| r.id == record.id) {
                            found.push((record, fixed));
                        }
                    }
                }
                found
            }
        };
        let first = findings.len();
        for (record, fixed) in matches {
            // Records that alias each other (a RUSTSEC and its GHSA) are
            // one finding, under the first id, with every alias and the
            // higher severity.
            let same = findings[first..].iter_mut().find(|f: &&mut Finding| {
                f.id == record.id
                    || f.aliases.contains(&record.id)
                    || record.aliases.contains(&f.id)
            });
            if let Some(f) = same {
                // The stricter rating of the two stands.
                f.severity = f.severity.max(record.severity);
                f.score = match (f.score, record.score.as_ref().map(|(s, _)| *s)) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                for alias in std::iter::once(&record.id).chain(&record.aliases) {
                    if *alias != f.id && !f.aliases.contains(alias) {
                        f.aliases.push(alias.clone());
                    }
                }
                for id in &record.upstream {
                    if !f.upstream.contains(id) {
                        f.upstream.push(id.clone());
                    }
                }
                continue;
            }
            findings.push(Finding {
                id: record.id.clone(),
                aliases: record.aliases.clone(),
                upstream: record.upstream.clone(),
                summary: record.summary.clone(),
                severity: record.severity,
                score: record.score.as_ref().map(|(s, _)| *s),
                input: input.clone(),
                fixed,
                answer: None,
                ignored_vex: Vec::new(),
                action: Action::Ignore,
            });
        }
    }
    findings.sort_by(|a, b| {
        (b.severity, &a.input.name, &a.id).cmp(&(a.severity, &b.input.name, &b.id))
    });
    Ok(findings)
}

/// The sha256 hex digests an `@id` names (`sha256:<hex>` or the purl
/// form `sha256%3A<hex>`).
fn digests_named(id: &str) -> Vec<String> {
    let lower = id.to_ascii_lowercase();
    let mut found = Vec::new();
    for marker in ["sha256:", "sha256%3a"] {
        let mut rest = lower.as_str();
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            if hex.len() == 64 {
                found.push(hex);
            }
        }
    }
    found
}

/// Whether `product` names the image with digest `image`.
pub fn names_image(product: &str, image: &Sha256) -> bool {
    digests_named(product).contains(&image.hex())
}

/// Whether a subcomponent `@id` names `input`: the same package (type,
/// namespace and name, as `packageurl` reads them) and the same version,
/// or any version when the subcomponent names none. Qualifiers and
/// subpaths are ignored. An unbundled input is named by either of its
/// purls: upstream (`pkg:cargo/flate2@1.0.25`) or its distribution
/// package's (`pkg:deb/debian/librust-flate2-dev@1.0.25-1`).
fn names_input(sub: &str, input: &ImageInput) -> bool {
    let Ok(sub) = sub.parse::<Purl>() else {
        return false;
    };
    let sub = sub.package_url();
    let distribution = input.distribution.as_ref().map(|d| d.purl.package_url());
    input.package_url().iter().chain(distribution).any(|purl| {
        (sub.ty(), sub.namespace(), sub.name()) == (purl.ty(), purl.namespace(), purl.name())
            && sub.version().is_none_or(|v| Some(v) == purl.version())
    })
}

/// Sets each finding's answer from the statements that apply to it (see
/// the module documentation for the rule). A [`VERSION_UNKNOWN`] finding
/// is never answered: no statement can say an unknown version is not
/// affected. A trusted statement counts only while its attestation's
/// signed time is no older than `max_age` at `now`, and only when its own
/// timestamp is not more than [`crate::evaluate::MAX_CLOCK_SKEW`] in the
/// future (it would win every newest-first choice).
pub fn answer(
    findings: &mut [Finding],
    sources: &[VexSource],
    image: &Sha256,
    now: jiff::Timestamp,
    max_age: jiff::SignedDuration,
) {
    let oldest = now - max_age;
    let latest = now + crate::evaluate::MAX_CLOCK_SKEW;
    for finding in findings.iter_mut().filter(|f| !f.version_unknown()) {
        let ids = finding.ids();
        let mut best: Option<&VexSource> = None;
        for source in sources {
            let s = &source.statement;
            let about = ids.contains(&s.vulnerability) || s.aliases.iter().any(|a| ids.contains(a));
            if !about {
                continue;
            }
            let applies = s.products.iter().any(|p| {
                names_image(&p.id, image)
                    && (p.subcomponents.is_empty()
                        || p.subcomponents
                            .iter()
                            .any(|sub| names_input(sub, &finding.input)))
            });
            if !applies {
                continue;
            }
            if !source.trusted {
                finding.ignored_vex.push(format!(
                    "{} from {} ({}): not a trusted VEX authority",
                    s.status, source.signer, source.document
                ));
                continue;
            }
            let stale = match source.signed_at {
                None => Some("it has no signed time".to_string()),
                Some(at) if at < oldest => Some(format!(
                    "signed {at}, longer ago than vexMaxAge {max_age:#}"
                )),
                Some(_) if s.timestamp > latest => {
                    Some(format!("its timestamp {} is in the future", s.timestamp))
                }
                Some(_) => None,
            };
            if let Some(why) = stale {
                finding.ignored_vex.push(format!(
                    "{} from {} ({}): {why}",
                    s.status, source.signer, source.document
                ));
                continue;
            }
            let clears = |s: &vex::Statement| {
                matches!(s.status, vex::Status::NotAffected | vex::Status::Fixed)
            };
            best = match best {
                None => Some(source),
                Some(current) => {
                    let (a, b) = (&current.statement, s);
                    if b.timestamp > a.timestamp
                        || (b.timestamp == a.timestamp && clears(a) && !clears(b))
                    {
                        finding.ignored_vex.push(superseded(current));
                        Some(source)
                    } else {
                        finding.ignored_vex.push(superseded(source));
                        Some(current)
                    }
                }
            };
        }
        finding.answer = best.map(|source| {
            let s = &source.statement;
            Answer {
                status: s.status,
                justification: s.justification,
                impact: s.impact_statement.clone(),
                action: s.action_statement.clone(),
                by: source.signer.clone(),
                timestamp: s.timestamp.to_string(),
                document: source.document.clone(),
                vendor: None,
                file: None,
            }
        });
    }
}

/// vouch's ecosystems of OS packages, whose inputs vendor VEX may answer.
pub const OS_ECOSYSTEMS: [&str; 3] = ["deb", "apk", "rpm"];

/// Answers findings in OS packages from the distribution vendors' VEX
/// (`vulnerabilities.vendorVex`), after [`answer`] has applied the image's
/// own. A vendor statement applies to a finding when
/// - it is about one of the finding's [`Finding::ids`];
/// - the finding's input is an OS package (ecosystem `deb`, `apk` or
///   `rpm`, with a purl of that type), or a project input unbundled onto a
///   distribution's package (then compared by that package's purl): never
///   a vendored project input;
/// - the input's purl matches one of the source's `answersFor` patterns;
/// - the statement's product names the package: its subcomponents when it
///   has some (a CSAF relationship's component), else its id, compared as
///   purls ([`purl_names_package`]);
/// - a relationship's platform (the product's id) is the package's release
///   ([`platform_names_release`]): Red Hat answers per RHEL release, SUSE
///   per service pack, in one document.
///
/// A statement that names the package but fails the first two scoping
/// rules is listed in `ignored_vex` with why, never used. Of the
/// statements that apply and the image's own answer, the newest decides,
/// and on a tie one that does not clear the finding, as in [`answer`]; a
/// statement dated more than [`crate::evaluate::MAX_CLOCK_SKEW`] after
/// `now` is not used (it would win every such choice). Vendor files are
/// verified when the policy is loaded, so no `vexMaxAge` applies to them:
/// they are as current as the policy's copy.
pub fn answer_vendor(findings: &mut [Finding], vendors: &[VendorVex], now: jiff::Timestamp) {
    use std::collections::HashMap;
    if vendors.is_empty() {
        return;
    }
    // The statements by vulnerability id and alias, built once.
    let mut by_id: HashMap<&str, Vec<(&VendorVex, &VendorDocument, &vex::Statement)>> =
        HashMap::new();
    for vendor in vendors {
        for document in &vendor.documents {
            for s in &document.statements {
                for id in std::iter::once(&s.vulnerability).chain(&s.aliases) {
                    by_id.entry(id).or_default().push((vendor, document, s));
                }
            }
        }
    }
    let clears = |s: vex::Status| matches!(s, vex::Status::NotAffected | vex::Status::Fixed);
    let latest = now + crate::evaluate::MAX_CLOCK_SKEW;
    for finding in findings.iter_mut().filter(|f| !f.version_unknown()) {
        // An unbundled input is matched as its distribution package, so
        // the distribution's VEX answers it as that package.
        let (purl, os_package) = match &finding.input.distribution {
            Some(d) => (d.purl.package_url().clone(), true),
            None => {
                let Some(purl) = finding.input.package_url() else {
                    continue;
                };
                let os_package = OS_ECOSYSTEMS.contains(&finding.input.ecosystem.as_str())
                    && purl.ty() == finding.input.ecosystem;
                (purl, os_package)
            }
        };
        let mut seen: Vec<*const vex::Statement> = Vec::new();
        let mut best: Option<(&VendorVex, &VendorDocument, &vex::Statement)> = None;
        for id in finding.ids() {
            for &(vendor, document, s) in by_id.get(id.as_str()).into_iter().flatten() {
                if seen.contains(&(s as *const _)) {
                    continue;
                }
                seen.push(s);
                let named = |p: &&vex::Product| {
                    if p.subcomponents.is_empty() {
                        purl_names_package(&p.id, &purl)
                    } else {
                        p.subcomponents.iter().any(|c| purl_names_package(c, &purl))
                    }
                };
                let mut platforms = s.products.iter().filter(named).peekable();
                if platforms.peek().is_none() {
                    continue;
                }
                let mut others = Vec::new();
                let on_this_release = platforms.any(|p| {
                    let on = p.subcomponents.is_empty() || platform_names_release(&p.id, &purl);
                    if !on {
                        others.push(p.id.as_str());
                    }
                    on
                });
                if !on_this_release {
                    finding.ignored_vex.push(format!(
                        "{} from vendor VEX {} ({}): about {} on {}, not on this image's release ({})",
                        s.status,
                        vendor.name,
                        document.id,
                        purl.name(),
                        others.join(", "),
                        distro_of(&purl).unwrap_or("no distro qualifier")
                    ));
                    continue;
                }
                let why = if !os_package {
                    Some("the input is not an OS package".to_string())
                } else if !vendor.answers_for.iter().any(|p| p.matches(&purl)) {
                    let patterns: Vec<String> =
                        vendor.answers_for.iter().map(ToString::to_string).collect();
                    Some(format!(
                        "{} is outside its answersFor ({})",
                        finding.input.purl.as_deref().unwrap_or_default(),
                        patterns.join(", ")
                    ))
                } else if s.timestamp > latest {
                    Some(format!("its timestamp {} is in the future", s.timestamp))
                } else {
                    None
                };
                if let Some(why) = why {
                    finding.ignored_vex.push(format!(
                        "{} from vendor VEX {} ({}): {why}",
                        s.status, vendor.name, document.id
                    ));
                    continue;
                }
                best = match best {
                    Some(current)
                        if !(s.timestamp > current.2.timestamp
                            || (s.timestamp == current.2.timestamp
                                && clears(current.2.status)
                                && !clears(s.status))) =>
                    {
                        finding
                            .ignored_vex
                            .push(vendor_superseded(vendor, document, s));
                        Some(current)
                    }
                    Some(current) => {
                        finding
                            .ignored_vex
                            .push(vendor_superseded(current.0, current.1, current.2));
                        Some((vendor, document, s))
                    }
                    None => Some((vendor, document, s)),
                };
            }
        }
        let Some((vendor, document, s)) = best else {
            continue;
        };
        // The image's own answer, when newer (or as new and not clearing),
        // stands.
        if let Some(own) = &finding.answer {
            let own_time: Option<jiff::Timestamp> = own.timestamp.parse().ok();
            let keep = own_time.is_none_or(|t| {
                t > s.timestamp || (t == s.timestamp && clears(s.status) && !clears(own.status))
            });
            if keep {
                finding
                    .ignored_vex
                    .push(vendor_superseded(vendor, document, s));
                continue;
            }
            finding.ignored_vex.push(format!(
                "{} from {} ({}, {}): superseded by a newer statement",
                own.status, own.by, own.document, own.timestamp
            ));
        }
        finding.answer = Some(Answer {
            status: s.status,
            justification: s.justification,
            impact: s.impact_statement.clone(),
            action: s.action_statement.clone(),
            by: format!("vendor VEX {}", vendor.name),
            timestamp: s.timestamp.to_string(),
            document: document.id.clone(),
            vendor: Some(vendor.name.clone()),
            file: Some(document.file.display().to_string()),
        });
    }
}

fn vendor_superseded(vendor: &VendorVex, document: &VendorDocument, s: &vex::Statement) -> String {
    format!(
        "{} from vendor VEX {} ({}, {}): superseded by a newer statement",
        s.status, vendor.name, document.id, s.timestamp
    )
}

/// Whether the statement's product identifier `id` names the package
/// `package`, as the purl specification compares purls: the same type and
/// namespace (in lower case) and name; the same version when `id` names
/// one (any version when it does not); and every qualifier `id` names
/// with the same value in `package`. For RPMs the epoch is compared as
/// RPM does, whether it is written in the version (`1:3.0.7-27.el9`, as
/// vouch writes it) or as the purl specification's `epoch` qualifier (as
/// Red Hat writes it), an absent epoch being 0. SUSE's `upstream`
/// qualifier (the source RPM, `openssl-3.src.rpm`) is compared only when
/// the package's purl has one: vouch keeps the source in the input's OS
/// origin, and SUSE's binary names are its own within its namespace.
pub fn purl_names_package(id: &str, package: &PackageUrl<'_>) -> bool {
    let Ok(statement) = id.parse::<Purl>() else {
        return false;
    };
    let statement = statement.package_url();
    let lower = |s: Option<&str>| s.map(str::to_ascii_lowercase);
    if !statement.ty().eq_ignore_ascii_case(package.ty())
        || lower(statement.namespace()) != lower(package.namespace())
        || statement.name() != package.name()
    {
        return false;
    }
    let rpm = package.ty().eq_ignore_ascii_case("rpm");
    if let Some(version) = statement.version() {
        let split = |p: &PackageUrl<'_>, v: &str| -> (String, String) {
            if !rpm {
                return (String::new(), v.to_string());
            }
            let qualifier = p.qualifiers().get("epoch").map(|e| e.to_string());
            match v.split_once(':') {
                Some((epoch, rest)) => (epoch.to_string(), rest.to_string()),
                None => (qualifier.unwrap_or_else(|| "0".into()), v.to_string()),
            }
        };
        let Some(have) = package.version() else {
            return false;
        };
        if split(statement, version) != split(package, have) {
            return false;
        }
    }
    let namespace = lower(package.namespace()).unwrap_or_default();
    statement.qualifiers().iter().all(|(key, value)| {
        (rpm && key == "epoch")
            || (rpm && key == "upstream" && package.qualifiers().get(key).is_none())
            || package.qualifiers().get(key).is_some_and(|v| {
                v == value || (key == "distro" && same_release(&namespace, v, value))
            })
    })
}

/// The `distro` qualifier of an OS package's purl.
fn distro_of<'p>(purl: &'p PackageUrl<'_>) -> Option<&'p str> {
    purl.qualifiers().get("distro").map(|v| v.as_ref())
}

/// Whether the platform of a vendor's CSAF relationship (the product a
/// component is part of, by its purl or CPE) is the release of `package`,
/// as its `distro` qualifier names it: Red Hat's statements are per RHEL
/// major release (`cpe:/o:redhat:enterprise_linux:9`, EUS and the like by
/// minor, `rhel_eus:9.2`), SUSE's per service pack
/// (`cpe:/o:suse:sles:15:sp5`, and the modules SLES is assembled from,
/// `sle-module-basesystem:15:sp5`), openSUSE Leap's per release, Debian's
/// and Ubuntu's per release (`debian_linux:12`, `ubuntu_linux:22.04`). A
/// platform that is no CPE (a purl) names no release: the component
/// decides, as for a product without one. Any other CPE (OpenShift, SUSE
/// CaaS Platform, an unknown vendor), and a package without a `distro`,
/// is not this release: a statement about another product never answers
/// for an image's package.
fn platform_names_release(platform: &str, package: &PackageUrl<'_>) -> bool {
    let Some([vendor, product, cpe_version, update]) = cpe_fields(platform) else {
        return !platform.starts_with("cpe:");
    };
    let Some(distro) = distro_of(package) else {
        return false;
    };
    // Debian's and Ubuntu's releases, spelt by number (NVD writes Debian's
    // `12.0`) or, in the purl, by codename.
    let codenamed = match (vendor.as_str(), product.as_str()) {
        ("debian", "debian_linux") => Some("debian"),
        ("canonical", "ubuntu_linux") => Some("ubuntu"),
        _ => None,
    };
    if let Some(namespace) = codenamed {
        let number = match namespace {
            "debian" => cpe_version.strip_suffix(".0").unwrap_or(&cpe_version),
            _ => &cpe_version,
        };
        return same_release(namespace, distro, number);
    }
    let release = vouch_evidence::osv::OsRelease::from_purl_distro(distro);
    let Some(version) = release.version_id else {
        return false;
    };
    let (product, cpe_version, update) = (product.as_str(), cpe_version.as_str(), update.as_str());
    match (vendor.as_str(), release.id) {
        ("redhat", "rhel")
            if matches!(
                product,
                "enterprise_linux" | "rhel_eus" | "rhel_aus" | "rhel_e4s" | "rhel_tus"
            ) =>
        {
            // `9` names every 9.x; `9.2` names 9.2 alone.
            version == cpe_version
                || (!cpe_version.contains('.')
                    && version
                        .strip_prefix(cpe_version)
                        .is_some_and(|rest| rest.starts_with('.')))
        }
        ("suse", "sles" | "sled" | "sles_sap")
            if matches!(product, "sles" | "sled" | "sles_sap")
                || product.starts_with("sle-module-") =>
        {
            let named = match update.strip_prefix("sp").filter(|n| !n.is_empty()) {
                Some(sp) => format!("{cpe_version}.{sp}"),
                None if matches!(update, "" | "*" | "-") => cpe_version.to_string(),
                None => return false,
            };
            version == named
        }
        ("opensuse", "opensuse-leap") if product == "leap" => version == cpe_version,
        _ => false,
    }
}

/// The vendor, product, version and update of a CPE (2.2 URI
/// `cpe:/o:redhat:enterprise_linux:9::baseos` or 2.3
/// `cpe:2.3:o:redhat:enterprise_linux:9:*:...`) of an operating system
/// or application, lowercased; `None` for anything else.
fn cpe_fields(cpe: &str) -> Option<[String; 4]> {
    let rest = cpe
        .strip_prefix("cpe:2.3:")
        .or_else(|| cpe.strip_prefix("cpe:/"))?;
    let mut fields = rest.split(':').map(str::to_ascii_lowercase);
    if !matches!(fields.next().as_deref(), Some("o" | "a")) {
        return None;
    }
    let mut take = || fields.next().unwrap_or_default();
    let out = [take(), take(), take(), take()];
    (!out[0].is_empty() && !out[1].is_empty() && !out[2].is_empty()).then_some(out)
}

/// Debian's and Ubuntu's release codenames and the `VERSION_ID` each
/// stands for: vendors spell a purl's `distro` qualifier either way
/// (Canonical's VEX writes `distro=focal`, vouch and syft write
/// `distro=ubuntu-20.04`, as the image's os-release gives it).
const CODENAMES: &[(&str, &str, &str)] = &[
    ("debian", "wheezy", "7"),
    ("debian", "jessie", "8"),
    ("debian", "stretch", "9"),
    ("debian", "buster", "10"),
    ("debian", "bullseye", "11"),
    ("debian", "bookworm", "12"),
    ("debian", "trixie", "13"),
    ("debian", "forky", "14"),
    ("ubuntu", "trusty", "14.04"),
    ("ubuntu", "xenial", "16.04"),
    ("ubuntu", "bionic", "18.04"),
    ("ubuntu", "focal", "20.04"),
    ("ubuntu", "jammy", "22.04"),
    ("ubuntu", "mantic", "23.10"),
    ("ubuntu", "noble", "24.04"),
    ("ubuntu", "oracular", "24.10"),
    ("ubuntu", "plucky", "25.04"),
    ("ubuntu", "questing", "25.10"),
];

/// Whether two `distro` qualifiers of a `pkg:deb/<namespace>/...` purl
/// name one release: `debian-12`, `bookworm` and `12` do. Only Debian's
/// and Ubuntu's known releases are equated; anything else must be spelt
/// the same, so an unknown spelling never widens a vendor's answer.
fn same_release(namespace: &str, a: &str, b: &str) -> bool {
    let release = |distro: &str| -> Option<&'static str> {
        let distro = distro.to_ascii_lowercase();
        let bare = distro
            .strip_prefix(namespace)
            .and_then(|rest| rest.strip_prefix('-'))
            .unwrap_or(&distro);
        CODENAMES
            .iter()
            .find(|(ns, codename, version)| {
                *ns == namespace && (bare == *codename || bare == *version)
            })
            .map(|(_, _, version)| *version)
    };
    release(a).is_some_and(|r| Some(r) == release(b))
}

fn superseded(source: &VexSource) -> String {
    format!(
        "{} from {} ({}, {}): superseded by a newer statement",
        source.statement.status, source.signer, source.document, source.statement.timestamp
    )
}

/// The gate's settings: which findings count and what they call for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// The lowest severity that counts.
    pub threshold: Severity,
    /// Whether a record without a severity counts (fail closed) or not.
    pub unknown_counts: bool,
    /// What an unanswered counting finding in a critical input calls for.
    pub critical: Action,
    /// What it calls for in any other input.
    pub normal: Action,
}

impl Gate {
    /// Sets each finding's action. A [`VERSION_UNKNOWN`] finding always
    /// counts: the input's vulnerabilities are unknown, of any severity.
    pub fn apply(&self, findings: &mut [Finding]) {
        for f in findings {
            let counts = match f.severity {
                _ if f.version_unknown() => true,
                Some(s) => s >= self.threshold,
                None => self.unknown_counts,
            };
            f.action = if f.answered() || !counts {
                Action::Ignore
            } else if f.input.critical {
                self.critical
            } else {
                self.normal
            };
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;
    use vouch_evidence::osv::Database;

    const IMAGE_HEX: &str = "a9b193e6573a081cff40b6ca3a05f904285092ca8ecaea893bdd28226923194d";

    fn image() -> Sha256 {
        format!("sha256:{IMAGE_HEX}").parse().unwrap()
    }

    /// A digest of the tinyxml2 archive (made up).
    fn tinyxml2_hex() -> String {
        "240a".repeat(16)
    }

    /// The inputs of a provenance listing `deps`, each completed with what
    /// vouch writes for every input and the entry does not give (`uri`,
    /// `match`, `critical`, and an empty `purl`: none), so that a test
    /// names only what it is about.
    fn resolved(deps: serde_json::Value) -> Vec<ImageInput> {
        let mut deps = deps;
        for dep in deps.as_array_mut().unwrap() {
            let dep = dep.as_object_mut().unwrap();
            dep.entry("uri")
                .or_insert(json!("https://example.invalid/input"));
            let a = dep
                .entry("annotations")
                .or_insert(json!({}))
                .as_object_mut()
                .unwrap();
            a.entry("match").or_insert(json!("not-vendored"));
            a.entry("critical").or_insert(json!(false));
            a.entry("purl").or_insert(json!(""));
        }
        inputs_from_provenance(&json!({"buildDefinition": {"resolvedDependencies": deps}})).unwrap()
    }

    fn tinyxml2() -> ImageInput {
        resolved(json!([
            {"name": "tinyxml2", "uri": "https://github.com/leethomason/tinyxml2/archive/10.0.0.tar.gz",
             "digest": {"sha256": tinyxml2_hex()},
             "annotations": {"ecosystem": "generic", "version": "10.0.0",
                             "purl": "pkg:github/leethomason/tinyxml2@10.0.0", "critical": true,
                             "criticalReasons": ["data-format-parsers: parser"]}}]))
        .remove(0)
    }

    fn finding(id: &str, aliases: &[&str]) -> Finding {
        Finding {
            id: id.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            upstream: Vec::new(),
            summary: None,
            severity: Some(Severity::Medium),
            score: Some(6.5),
            input: tinyxml2(),
            fixed: Vec::new(),
            answer: None,
            ignored_vex: Vec::new(),
            action: Action::Ignore,
        }
    }

    fn source(
        vuln: &str,
        product: &str,
        subcomponents: &[&str],
        status: vex::Status,
        at: &str,
        trusted: bool,
    ) -> VexSource {
        VexSource {
            statement: vex::Statement {
                vulnerability: vuln.into(),
                aliases: Vec::new(),
                products: vec![vex::Product {
                    id: product.into(),
                    subcomponents: subcomponents.iter().map(|s| s.to_string()).collect(),
                }],
                status,
                justification: (status == vex::Status::NotAffected)
                    .then_some(vex::Justification::VulnerableCodeNotInExecutePath),
                impact_statement: None,
                action_statement: (status == vex::Status::Affected).then(|| "upgrade".into()),
                status_notes: None,
                timestamp: at.parse().unwrap(),
            },
            signer: if trusted {
                "security: key s"
            } else {
                "ci: key c"
            }
            .into(),
            trusted,
            document: "https://vouch.dev/vex/test".into(),
            signed_at: Some(at.parse().unwrap()),
        }
    }

    /// When the tests answer findings: a few days after their statements.
    const NOW: &str = "2026-03-10T00:00:00Z";

    fn answered_by(sources: &[VexSource], f: Finding) -> Finding {
        let mut findings = vec![f];
        answer(
            &mut findings,
            sources,
            &image(),
            NOW.parse().unwrap(),
            jiff::SignedDuration::from_hours(90 * 24),
        );
        findings.remove(0)
    }

    const PURL: &str =
        "pkg:oci/app@sha256%3Aa9b193e6573a081cff40b6ca3a05f904285092ca8ecaea893bdd28226923194d";

    #[test]
    fn a_trusted_not_affected_statement_for_this_image_answers_by_id_or_alias() {
        let s = source(
            "CVE-2024-50615",
            PURL,
            &[],
            vex::Status::NotAffected,
            "2026-01-01T00:00:00Z",
            true,
        );
        assert!(answered_by(std::slice::from_ref(&s), finding("CVE-2024-50615", &[])).answered());
        assert!(answered_by(
            std::slice::from_ref(&s),
            finding("GHSA-x", &["CVE-2024-50615"])
        )
        .answered());
        // Control: another vulnerability.
        assert!(!answered_by(&[s], finding("CVE-2024-50614", &[])).answered());
    }

    #[test]
    fn regression_issue_15_a_statement_about_the_upstream_cve_answers_a_distribution_record() {
        // Debian's record names its CVE in `upstream`, not in `aliases`.
        let record = vouch_evidence::osv::Record::from_json(
            "DEBIAN-CVE-2023-45853.json",
            include_bytes!("../../testdata/osv-debian-image/DEBIAN-CVE-2023-45853.json"),
        )
        .unwrap();
        assert!(record.aliases.is_empty());
        assert_eq!(record.upstream, ["CVE-2023-45853"]);
        let s = source(
            "CVE-2023-45853",
            PURL,
            &[],
            vex::Status::NotAffected,
            "2026-01-01T00:00:00Z",
            true,
        );
        let debian = Finding {
            upstream: record.upstream.clone(),
            ..finding(&record.id, &[])
        };
        assert!(answered_by(std::slice::from_ref(&s), debian.clone()).answered());
        // Controls: the same record without its upstream id, and another CVE.
        assert!(!answered_by(std::slice::from_ref(&s), finding(&record.id, &[])).answered());
        let other = Finding {
            upstream: vec!["CVE-2023-45854".into()],
            ..finding(&record.id, &[])
        };
        assert!(!answered_by(std::slice::from_ref(&s), other).answered());
        // A record derived from several CVEs (an RHSA fixing two) is not
        // answered by a statement about one of them.
        let advisory = Finding {
            upstream: vec!["CVE-2023-45853".into(), "CVE-2023-45854".into()],
            ..finding("RHSA-0000:0002", &[])
        };
        assert!(!answered_by(&[s], advisory).answered());
        // The upstream id is shown in JSON only when there is one.
        assert_eq!(
            serde_json::to_value(&debian).unwrap()["upstream"][0],
            "CVE-2023-45853"
        );
        assert!(serde_json::to_value(finding("X", &[]))
            .unwrap()
            .get("upstream")
            .is_none());
    }

    #[test]
    fn a_recorded_status_is_written_as_the_provenance_annotations() {
        let mut input = tinyxml2();
        let json = |input: &ImageInput| serde_json::to_value(input).unwrap();
        input.status = None;
        assert!(json(&input).get("match").is_none(), "none recorded");
        input.status = Some(Recorded(Match::Mismatch {
            reason: "file a.c differs".into(),
        }));
        let written = serde_json::to_string(&input).unwrap();
        assert!(
            written.ends_with(r#""match":"mismatch","mismatchReason":"file a.c differs"}"#),
            "{written}"
        );
        input.status = Some(Recorded(Match::NotVendored));
        assert_eq!(json(&input)["match"], "not-vendored");
        assert!(json(&input).get("mismatchReason").is_none());
    }

    #[test]
    fn the_product_must_name_this_image_by_digest() {
        let names = |product: &str| {
            let s = source(
                "CVE-1",
                product,
                &[],
                vex::Status::NotAffected,
                "2026-01-01T00:00:00Z",
                true,
            );
            answered_by(&[s], finding("CVE-1", &[])).answered()
        };
        for product in [
            PURL.to_string(),
            format!("sha256:{IMAGE_HEX}"),
            format!("registry.example/app@sha256:{IMAGE_HEX}"),
        ] {
            assert!(names(&product), "{product}");
        }
        for product in [
            "pkg:oci/app".to_string(),
            format!("sha256:{}", "0".repeat(64)),
            format!("sha256:{}", &IMAGE_HEX[..63]),
        ] {
            assert!(!names(&product), "{product}");
        }
    }

    /// Whether a trusted `not_affected` statement about CVE-1 in this
    /// image, naming the subcomponent `sub`, answers CVE-1 in `input`.
    fn answered_naming(sub: &str, input: ImageInput) -> bool {
        let s = source(
            "CVE-1",
            PURL,
            &[sub],
            vex::Status::NotAffected,
            "2026-01-01T00:00:00Z",
            true,
        );
        let f = Finding {
            input,
            ..finding("CVE-1", &[])
        };
        answered_by(&[s], f).answered()
    }

    #[test]
    fn subcomponents_must_name_the_input_and_a_versionless_purl_names_every_version() {
        let answered = |sub: &str| answered_naming(sub, tinyxml2());
        assert!(answered("pkg:github/leethomason/tinyxml2@10.0.0"));
        assert!(answered("pkg:github/leethomason/tinyxml2"));
        assert!(answered(
            "pkg:github/leethomason/tinyxml2@10.0.0?download_url=x"
        ));
        assert!(!answered("pkg:github/leethomason/tinyxml2@9.0.0"));
        assert!(!answered("pkg:github/other/tinyxml2@10.0.0"));
    }

    #[test]
    fn an_unbundled_input_is_answered_by_either_of_its_purls() {
        use vouch_evidence::fixtures;
        let flate2 = ImageInput {
            name: "flate2".into(),
            version: Some("1.0.25".into()),
            ecosystem: "cargo".into(),
            purl: Some("pkg:cargo/flate2@1.0.25".into()),
            distribution: Some(fixtures::distribution(
                fixtures::debian_12("librust-flate2-dev", "1.0.25-1"),
                "rust-flate2",
                &[],
            )),
            ..tinyxml2()
        };
        let answered = |sub: &str| answered_naming(sub, flate2.clone());
        assert!(answered("pkg:cargo/flate2@1.0.25"));
        assert!(answered("pkg:deb/debian/librust-flate2-dev@1.0.25-1"));
        assert!(answered("pkg:deb/debian/librust-flate2-dev"));
        assert!(!answered("pkg:deb/debian/librust-flate2-dev@1.0.25-2"));
        assert!(!answered("pkg:deb/debian/librust-miniz-oxide-dev@1.0.25-1"));
        // Control: without the distribution record the deb purl names
        // nothing of it.
        let vendored = ImageInput {
            distribution: None,
            ..flate2
        };
        assert!(!answered_naming(
            "pkg:deb/debian/librust-flate2-dev@1.0.25-1",
            vendored
        ));
    }

    #[test]
    fn regression_issue_7_an_untrusted_statement_is_listed_never_used() {
        let s = source(
            "CVE-1",
            PURL,
            &[],
            vex::Status::NotAffected,
            "2026-01-01T00:00:00Z",
            false,
        );
        let f = answered_by(&[s], finding("CVE-1", &[]));
        assert!(!f.answered());
        assert!(
            f.ignored_vex[0].contains("not a trusted VEX authority"),
            "{:?}",
            f.ignored_vex
        );
    }

    #[test]
    fn the_newest_trusted_statement_wins_and_a_tie_fails_closed() {
        let older = source(
            "CVE-1",
            PURL,
            &[],
            vex::Status::NotAffected,
            "2026-01-01T00:00:00Z",
            true,
        );
        let newer = source(
            "CVE-1",
            PURL,
            &[],
            vex::Status::Affected,
            "2026-02-01T00:00:00Z",
            true,
        );
        let f = answered_by(&[older.clone(), newer.clone()], finding("CVE-1", &[]));
        assert_eq!(f.answer.as_ref().unwrap().status, vex::Status::Affected);
        assert!(!f.answered());
        // Order of arrival does not matter.
        let f = answered_by(&[newer, older.clone()], finding("CVE-1", &[]));
        assert!(!f.answered());
        // A newer fixed clears it.
        let fixed = source(
            "CVE-1",
            PURL,
            &[],
            vex::Status::Fixed,
            "2026-03-01T00:00:00Z",
            true,
        );
        assert!(answered_by(&[older.clone(), fixed], finding("CVE-1", &[])).answered());
        // Same second, disagreeing: the one that does not clear wins.
        let tie = source(
            "CVE-1",
            PURL,
            &[],
            vex::Status::UnderInvestigation,
            "2026-01-01T00:00:00Z",
            true,
        );
        assert!(!answered_by(&[older.clone(), tie.clone()], finding("CVE-1", &[])).answered());
        assert!(!answered_by(&[tie, older], finding("CVE-1", &[])).answered());
    }

    #[test]
    fn a_trusted_answer_counts_until_vex_max_age_and_never_from_the_future() {
        let not_affected =
            |at: &str| source("CVE-1", PURL, &[], vex::Status::NotAffected, at, true);
        let at = |now: &str, max_days: i64, s: VexSource| {
            let mut findings = vec![finding("CVE-1", &[])];
            answer(
                &mut findings,
                &[s],
                &image(),
                now.parse().unwrap(),
                jiff::SignedDuration::from_hours(max_days * 24),
            );
            findings.remove(0)
        };
        let s = not_affected("2026-01-01T00:00:00Z");
        assert!(at("2026-01-31T00:00:00Z", 30, s.clone()).answered());
        let stale = at("2026-01-31T00:00:01Z", 30, s.clone());
        assert!(!stale.answered());
        assert!(
            stale.ignored_vex[0].contains("longer ago than vexMaxAge 720h"),
            "{:?}",
            stale.ignored_vex
        );
        // The age is the attestation's signed time, not the statement's.
        let mut renewed = s.clone();
        renewed.signed_at = Some("2026-02-15T00:00:00Z".parse().unwrap());
        assert!(at("2026-03-01T00:00:00Z", 30, renewed).answered());
        let mut unsigned = s;
        unsigned.signed_at = None;
        assert!(!at("2026-01-02T00:00:00Z", 30, unsigned).answered());
        // A statement dated more than five minutes ahead never decides.
        let ahead = not_affected("2026-01-01T00:05:01Z");
        let mut signed_now = ahead.clone();
        signed_now.signed_at = Some("2026-01-01T00:00:00Z".parse().unwrap());
        let f = at("2026-01-01T00:00:00Z", 30, signed_now);
        assert!(!f.answered());
        assert!(
            f.ignored_vex[0].contains("in the future"),
            "{:?}",
            f.ignored_vex
        );
        let mut close = not_affected("2026-01-01T00:05:00Z");
        close.signed_at = Some("2026-01-01T00:00:00Z".parse().unwrap());
        assert!(at("2026-01-01T00:00:00Z", 30, close).answered());
    }

    #[test]
    fn the_gate_denies_critical_warns_normal_and_skips_answered_or_below_threshold() {
        let gate = Gate {
            threshold: Severity::Medium,
            unknown_counts: true,
            critical: Action::Deny,
            normal: Action::Warn,
        };
        let mut normal = finding("CVE-2", &[]);
        normal.input.critical = false;
        let mut low = finding("CVE-3", &[]);
        low.severity = Some(Severity::Low);
        let mut unknown = finding("CVE-4", &[]);
        unknown.severity = None;
        let answered = answered_by(
            &[source(
                "CVE-5",
                PURL,
                &[],
                vex::Status::NotAffected,
                "2026-01-01T00:00:00Z",
                true,
            )],
            finding("CVE-5", &[]),
        );
        let mut all = vec![finding("CVE-1", &[]), normal, low, unknown, answered];
        gate.apply(&mut all);
        let actions: Vec<Action> = all.iter().map(|f| f.action).collect();
        assert_eq!(
            actions,
            [
                Action::Deny,
                Action::Warn,
                Action::Ignore,
                Action::Deny,
                Action::Ignore
            ]
        );
        let lenient = Gate {
            unknown_counts: false,
            ..gate
        };
        lenient.apply(&mut all);
        assert_eq!(all[3].action, Action::Ignore);
    }

    #[test]
    fn inputs_are_read_from_provenance_and_cyclonedx_alike() {
        let input = tinyxml2();
        assert_eq!(input.version.as_deref(), Some("10.0.0"));
        assert!(input.critical);
        assert_eq!(
            input.repository().as_deref(),
            Some("https://github.com/leethomason/tinyxml2")
        );
        let bom = json!({"components": [{"name": "tinyxml2", "version": "10.0.0",
            "purl": "pkg:github/leethomason/tinyxml2@10.0.0",
            "hashes": [{"alg": "SHA-256", "content": tinyxml2_hex()}],
            "properties": [{"name": "vouch:ecosystem", "value": "generic"},
                           {"name": "vouch:match", "value": "not-vendored"},
                           {"name": "vouch:critical", "value": "true"}],
            "components": [{"name": "inner", "version": "1.0.0", "purl": "pkg:cargo/inner@1.0.0"}]}]});
        let read = inputs_from_cyclonedx(&bom).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].digests, [format!("sha256:{}", tinyxml2_hex())]);
        assert!(read[0].critical);
        assert_eq!(read[1].ecosystem, "cargo");
        assert!(inputs_from_provenance(&json!({}))
            .unwrap_err()
            .contains("resolvedDependencies"));
        assert!(inputs_from_cyclonedx(&json!({}))
            .unwrap_err()
            .contains("components"));
    }

    #[test]
    fn regression_issue_8_an_input_whose_version_cannot_be_read_is_a_finding_not_a_clean_bill() {
        let db = crate::testdata::osv(&[]);
        // As the review signed it: a CycloneDX component with a versioned
        // purl and no `version`.
        let component = |extra: serde_json::Value| {
            let mut c = json!({"name": "tinyxml2", "purl": "pkg:github/leethomason/tinyxml2@10.0.0",
                "properties": [{"name": "vouch:ecosystem", "value": "generic"},
                               {"name": "vouch:match", "value": "not-vendored"},
                               {"name": "vouch:critical", "value": "true"}]});
            c.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            inputs_from_cyclonedx(&json!({"components": [c]})).unwrap()
        };
        let gate = Gate {
            threshold: Severity::Critical,
            unknown_counts: false,
            critical: Action::Deny,
            normal: Action::Warn,
        };
        for (extra, why) in [
            (json!({}), "no version is recorded"),
            (json!({"version": ""}), "no version is recorded"),
            (
                json!({"version": "9.0.0"}),
                "its version \"9.0.0\" is not the version \"10.0.0\" its purl",
            ),
            (
                json!({"version": "10.0.0", "cpe": "cpe:2.3:a:leethomason:tinyxml2:9.0.0:*:*:*:*:*:*:*"}),
                "is not the version its CPE",
            ),
        ] {
            let mut findings = scan(&db, &component(extra.clone())).unwrap();
            assert_eq!(findings.len(), 1, "{extra}: {findings:?}");
            let f = &findings[0];
            assert_eq!(f.id, VERSION_UNKNOWN);
            let summary = f.summary.as_deref().unwrap();
            assert!(summary.contains(why), "{extra}: {summary}");
            // It denies like an unanswered finding in a critical input,
            // whatever the threshold, and no VEX statement answers it.
            let vex = source(
                VERSION_UNKNOWN,
                PURL,
                &[],
                vex::Status::NotAffected,
                "2026-01-01T00:00:00Z",
                true,
            );
            answer(
                &mut findings,
                &[vex],
                &image(),
                NOW.parse().unwrap(),
                jiff::SignedDuration::from_hours(90 * 24),
            );
            gate.apply(&mut findings);
            assert!(!findings[0].answered());
            assert_eq!(findings[0].action, Action::Deny, "{extra}");
        }
        // Unparseable in its ecosystem; a normal input warns.
        let inputs = resolved(json!([
            {"name": "idna", "annotations": {"ecosystem": "pip", "version": "not.a.version",
                                             "purl": "pkg:pypi/idna@not.a.version"}}]));
        let mut findings = scan(&db, &inputs).unwrap();
        gate.apply(&mut findings);
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0]
                .summary
                .as_deref()
                .unwrap()
                .contains("\"not.a.version\" is not a valid PEP 440 version"),
            "{findings:?}"
        );
        assert_eq!(findings[0].action, Action::Warn);
        // Controls: the version matching its purl is matched; a Go module
        // replaced by another names the other in its purl.
        let ids: Vec<String> = scan(&db, &component(json!({"version": "10.0.0"})))
            .unwrap()
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(ids, ["CVE-2024-50614", "CVE-2024-50615"]);
        let replaced = resolved(json!([
            {"name": "github.com/a/b", "annotations": {"ecosystem": "go", "version": "v1.0.0",
                                                       "purl": "pkg:golang/github.com/fork/b@v1.2.0"}}]));
        assert!(scan(&db, &replaced).unwrap().is_empty());
        let encoded = resolved(json!([
            {"name": "github.com/docker/docker", "annotations": {"ecosystem": "go",
                "version": "v24.0.7+incompatible",
                "purl": "pkg:golang/github.com/docker/docker@v24.0.7%2Bincompatible"}}]));
        assert!(scan(&db, &encoded).unwrap().is_empty());
    }

    #[test]
    fn the_testdata_database_scans_and_aliased_records_are_one_finding() {
        let db = crate::testdata::osv(&[]);
        let findings = scan(&db, &[tinyxml2()]).unwrap();
        let ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["CVE-2024-50614", "CVE-2024-50615"]);
    }

    #[test]
    fn regression_issue_14_renamed_annotation_key_cannot_switch_the_gate_off() {
        // A critical crate with a critical advisory, and a mismatch, as
        // `vouch attest` records it.
        let mut db = Database::new();
        db.add(
            "a.json",
            br#"{"id":"RUSTSEC-X","modified":"2024-01-01T00:00:00Z",
                "database_specific":{"severity":"CRITICAL"},
                "affected":[{"package":{"ecosystem":"crates.io","name":"smallvec"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.6.1"}]}]}]}"#,
        )
        .unwrap();
        let written = json!({"name": "smallvec", "uri": "https://crates.io/crates/smallvec/1.6.0",
            "annotations": {"ecosystem": "cargo", "version": "1.6.0",
                "purl": "pkg:cargo/smallvec@1.6.0", "match": "mismatch",
                "mismatchReason": "src/lib.rs differs", "critical": true,
                "criticalReasons": ["memory: unsafe code"]}});
        // The writer and the reader spell the keys with the same constants:
        // what is read back is written back as it was.
        let descriptor: ResourceDescriptor = serde_json::from_value(written.clone()).unwrap();
        let record = InputRecord::try_from(&descriptor).unwrap();
        assert_eq!(
            serde_json::to_value(record.to_resource_descriptor()).unwrap(),
            written
        );
        let provenance = |dep: &Value| json!({"buildDefinition": {"resolvedDependencies": [dep]}});
        let gate = Gate {
            threshold: Severity::Low,
            unknown_counts: true,
            critical: Action::Deny,
            normal: Action::Warn,
        };
        let rules = crate::policy::VendoredInputs {
            require_match: true,
            approved_critical: Some(Vec::new()),
            require_critical: None,
            forbidden: Vec::new(),
        };
        // Control: as written, the gate denies and both rules are broken.
        let mut findings =
            scan(&db, &inputs_from_provenance(&provenance(&written)).unwrap()).unwrap();
        gate.apply(&mut findings);
        assert_eq!(findings[0].action, Action::Deny);
        assert_eq!(rules.evaluate(&provenance(&written)).len(), 2);
        // A key renamed on one side (or by another vouch version), or a
        // value of the wrong type: never read as "not critical" or
        // "matching", but refused, naming the key.
        for (key, replacement, needle) in [
            (
                "critical",
                Some(("isCritical", json!(true))),
                "annotation `critical`: is missing",
            ),
            (
                "critical",
                Some(("critical", json!("true"))),
                "annotation `critical`: is not true or false",
            ),
            (
                "match",
                Some(("status", json!("mismatch"))),
                "annotation `match`: is missing",
            ),
            (
                "criticalReasons",
                Some(("criticalReasons", json!("memory"))),
                "`criticalReasons`: is not a list",
            ),
        ] {
            let mut dep = written.clone();
            let annotations = dep["annotations"].as_object_mut().unwrap();
            annotations.remove(key);
            if let Some((new_key, value)) = replacement {
                annotations.insert(new_key.into(), value);
            }
            let err = inputs_from_provenance(&provenance(&dep)).unwrap_err();
            assert!(
                err.contains("resolvedDependencies[0]") && err.contains(needle),
                "{key}: {err}"
            );
            let reasons = rules.evaluate(&provenance(&dep));
            assert!(
                reasons.len() == 1 && reasons[0].contains(needle),
                "{key}: {reasons:?}"
            );
        }
        // The same in a CycloneDX SBOM: vouch's component must say whether
        // the input is critical.
        let component = json!({"name": "smallvec", "version": "1.6.0", "purl": "pkg:cargo/smallvec@1.6.0",
            "properties": [{"name": "vouch:ecosystem", "value": "cargo"},
                           {"name": "vouch:match", "value": "match"},
                           {"name": "vouch:is-critical", "value": "true"}]});
        let err = inputs_from_cyclonedx(&json!({"components": [component]})).unwrap_err();
        assert!(
            err.contains("property `vouch:critical`: is missing"),
            "{err}"
        );
    }

    #[test]
    fn aliased_records_are_one_finding_with_the_higher_severity() {
        let record = |id: &str, alias: &str, severity: &str| {
            format!(
                r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","aliases":["{alias}"],
                    "database_specific":{{"severity":"{severity}"}},
                    "affected":[{{"package":{{"ecosystem":"crates.io","name":"smallvec"}},
                    "ranges":[{{"type":"SEMVER","events":[{{"introduced":"0"}},{{"fixed":"1.6.1"}}]}}]}}]}}"#
            )
        };
        let mut db = Database::new();
        db.add(
            "a.json",
            record("RUSTSEC-X", "GHSA-X", "CRITICAL").as_bytes(),
        )
        .unwrap();
        db.add("b.json", record("GHSA-X", "RUSTSEC-X", "LOW").as_bytes())
            .unwrap();
        let input = resolved(json!([
            {"name": "smallvec", "annotations": {"ecosystem": "cargo", "version": "1.6.0",
                                                 "purl": "pkg:cargo/smallvec@1.6.0"}}]));
        let findings = scan(&db, &input).unwrap();
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].severity, Some(Severity::Critical));
        let mut ids = findings[0].aliases.clone();
        ids.push(findings[0].id.clone());
        ids.sort();
        assert_eq!(ids, ["GHSA-X", "RUSTSEC-X"]);
    }

    // --- vendor VEX (vulnerabilities.vendorVex) ---

    /// A committed file of testdata/vendor-vex.
    fn vendor_testdata(path: &str) -> Vec<u8> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/vendor-vex/");
        std::fs::read(format!("{root}{path}")).unwrap()
    }

    /// An OS package input, as the image scan makes them.
    /// An OS package's input as a finding shows it (no origin recorded).
    pub(crate) fn os_input(name: &str, version: &str, ecosystem: &str, purl: &str) -> ImageInput {
        ImageInput {
            name: name.into(),
            version: Some(version.into()),
            ecosystem: ecosystem.into(),
            purl: Some(purl.into()),
            uri: None,
            critical: false,
            critical_reasons: Vec::new(),
            digests: Vec::new(),
            cpe: None,
            status: None,
            os: None,
            distribution: None,
        }
    }

    fn os_finding(id: &str, input: ImageInput) -> Finding {
        Finding {
            input,
            ..finding(id, &[])
        }
    }

    /// A vendor source answering for `patterns` with the statements of
    /// `file` (testdata/vendor-vex), read as the policy loader reads it.
    fn vendor(name: &str, patterns: &[&str], file: &str) -> VendorVex {
        let bytes = vendor_testdata(file);
        let (id, statements) = if file.starts_with("redhat/") {
            let csaf = vex::Csaf::from_json(&bytes).unwrap();
            (csaf.id, csaf.statements)
        } else {
            let document = vex::Document::from_json(&bytes).unwrap();
            (document.id, document.statements)
        };
        VendorVex {
            name: name.into(),
            path: "vex".into(),
            key: None,
            answers_for: patterns
                .iter()
                .map(|p| crate::policy::PurlPattern::parse(p).unwrap())
                .collect(),
            documents: vec![VendorDocument {
                file: file.into(),
                id,
                statements,
            }],
        }
    }

    /// The time the vendor tests run at: after every committed document.
    fn now() -> jiff::Timestamp {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    fn redhat() -> VendorVex {
        vendor(
            "redhat",
            &["pkg:rpm/redhat/*"],
            "redhat/cve-2025-29087.json",
        )
    }

    /// An RPM Red Hat's file says only "not affected" about (on RHEL 8).
    fn mingw64_sqlite() -> ImageInput {
        os_input(
            "mingw64-sqlite",
            "3.26.0-11.el8",
            "rpm",
            "pkg:rpm/redhat/mingw64-sqlite@3.26.0-11.el8?arch=noarch&distro=rhel-8.10",
        )
    }

    #[test]
    fn regression_issue_15_a_vendor_answers_a_record_derived_from_one_cve_only() {
        // Red Hat's statement about CVE-2025-29087 answers a distribution
        // record derived from that CVE alone, not an advisory derived from
        // it and another CVE.
        let derived = |upstream: &[&str]| Finding {
            upstream: upstream.iter().map(|u| u.to_string()).collect(),
            ..os_finding("RHSA-0000:0003", mingw64_sqlite())
        };
        let mut findings = vec![
            derived(&["CVE-2025-29087"]),
            derived(&["CVE-2025-29087", "CVE-2025-0001"]),
            derived(&[]),
        ];
        answer_vendor(&mut findings, &[redhat()], now());
        assert_eq!(
            findings[0].answer.as_ref().unwrap().vendor.as_deref(),
            Some("redhat")
        );
        assert!(findings[1].answer.is_none());
        assert!(findings[2].answer.is_none());
    }

    #[test]
    fn a_vendor_answers_an_input_unbundled_onto_its_package_but_not_a_vendored_one() {
        let rpm = mingw64_sqlite();
        let vendored = ImageInput {
            name: "sqlite".into(),
            version: Some("3.26.0".into()),
            ecosystem: "generic".into(),
            purl: Some("pkg:generic/sqlite@3.26.0".into()),
            ..rpm.clone()
        };
        let unbundled = ImageInput {
            distribution: Some(vouch_evidence::fixtures::distribution(
                rpm.purl.as_deref().unwrap().parse().unwrap(),
                "mingw-sqlite",
                &[],
            )),
            ..vendored.clone()
        };
        let mut findings = vec![
            os_finding("CVE-2025-29087", unbundled),
            os_finding("CVE-2025-29087", vendored),
        ];
        answer_vendor(&mut findings, &[redhat()], now());
        assert_eq!(
            findings[0].answer.as_ref().unwrap().vendor.as_deref(),
            Some("redhat")
        );
        assert!(findings[1].answer.is_none());
    }

    #[test]
    fn regression_issue_15_red_hats_csaf_vex_answers_its_own_rpm() {
        let mut findings = vec![os_finding("CVE-2025-29087", mingw64_sqlite())];
        answer_vendor(&mut findings, &[redhat()], now());
        let answer = findings[0].answer.clone().unwrap();
        assert_eq!(answer.status, vex::Status::NotAffected);
        assert_eq!(
            answer.justification,
            Some(vex::Justification::VulnerableCodeNotPresent)
        );
        assert_eq!(answer.by, "vendor VEX redhat");
        assert_eq!(answer.vendor.as_deref(), Some("redhat"));
        assert_eq!(answer.document, "CVE-2025-29087");
        assert_eq!(answer.file.as_deref(), Some("redhat/cve-2025-29087.json"));
        assert!(findings[0].answered());
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(json["vendor"], "redhat");
        assert_eq!(json["file"], "redhat/cve-2025-29087.json");
        // A finding under an alias (the record's id is a GHSA) is answered
        // too; another vulnerability is not.
        let mut findings = vec![
            Finding {
                input: mingw64_sqlite(),
                ..finding("GHSA-xxxx", &["CVE-2025-29087"])
            },
            os_finding("CVE-2025-0001", mingw64_sqlite()),
        ];
        answer_vendor(&mut findings, &[redhat()], now());
        assert!(findings[0].answered());
        assert!(findings[1].answer.is_none());
        // Read before its date (2025-09-25), the document is not used.
        let mut findings = vec![os_finding("CVE-2025-29087", mingw64_sqlite())];
        answer_vendor(
            &mut findings,
            &[redhat()],
            "2025-09-01T00:00:00Z".parse().unwrap(),
        );
        assert!(findings[0].answer.is_none());
        assert_eq!(
            findings[0].ignored_vex,
            [
                "not_affected from vendor VEX redhat (CVE-2025-29087): its timestamp \
              2025-09-25T05:58:19Z is in the future"
            ]
        );
    }

    #[test]
    fn regression_issue_15_a_vendor_never_answers_outside_its_namespace_or_for_project_inputs() {
        // The same package name on Debian: Red Hat's statement names a
        // `pkg:rpm/redhat` product, never this one.
        let debian = os_input(
            "lemon",
            "3.40.1-2",
            "deb",
            "pkg:deb/debian/lemon@3.40.1-2?arch=amd64&distro=debian-12",
        );
        // Red Hat signing a statement about a Debian package, and about a
        // project's cargo input, with a pattern that does not cover them.
        let mut document = redhat().documents.remove(0);
        document.statements[0].products = vec![vex::Product {
            id: "pkg:deb/debian/lemon".into(),
            subcomponents: Vec::new(),
        }];
        document.statements[0].status = vex::Status::NotAffected;
        document.statements[0].justification = Some(vex::Justification::ComponentNotPresent);
        let mut cargo_statement = document.statements[0].clone();
        cargo_statement.products[0].id = "pkg:cargo/lemon@1.0.0".into();
        document.statements.push(cargo_statement);
        let overreaching = VendorVex {
            documents: vec![document],
            ..redhat()
        };
        let cargo = os_input("lemon", "1.0.0", "cargo", "pkg:cargo/lemon@1.0.0");
        let mut findings = vec![
            os_finding("CVE-2025-29087", debian.clone()),
            os_finding("CVE-2025-29087", cargo.clone()),
        ];
        answer_vendor(&mut findings, std::slice::from_ref(&overreaching), now());
        assert!(findings[0].answer.is_none());
        assert_eq!(
            findings[0].ignored_vex,
            ["not_affected from vendor VEX redhat (CVE-2025-29087): \
              pkg:deb/debian/lemon@3.40.1-2?arch=amd64&distro=debian-12 is outside its \
              answersFor (pkg:rpm/redhat/*)"]
        );
        assert!(findings[1].answer.is_none());
        assert_eq!(
            findings[1].ignored_vex,
            [
                "not_affected from vendor VEX redhat (CVE-2025-29087): the input is not an OS \
              package"
            ]
        );
        // An input that calls itself an OS package but whose purl is not of
        // that type is not one either.
        let mut findings = vec![os_finding(
            "CVE-2025-29087",
            os_input("lemon", "1.0.0", "rpm", "pkg:cargo/lemon@1.0.0"),
        )];
        answer_vendor(&mut findings, &[overreaching], now());
        assert!(findings[0].answer.is_none());
        // A pattern can never take in every vendor's RPMs, nor a type
        // without namespaces (cargo).
        assert!(crate::policy::PurlPattern::parse("pkg:rpm/*").is_err());
        assert!(crate::policy::PurlPattern::parse("pkg:cargo/*").is_err());
    }

    #[test]
    fn regression_issue_15_a_vendor_answer_counts_on_its_platforms_release_only() {
        // Red Hat says sqlite-libs is not affected on RHEL 8 and 9 and
        // affected on RHEL 10: each image gets its own release's answer.
        let libs = |distro: &str| {
            os_input(
                "sqlite-libs",
                "3.34.1-7.el9_3",
                "rpm",
                &format!("pkg:rpm/redhat/sqlite-libs@3.34.1-7.el9_3?arch=x86_64&distro={distro}"),
            )
        };
        let answered = |distro: &str| {
            let mut findings = vec![os_finding("CVE-2025-29087", libs(distro))];
            answer_vendor(&mut findings, &[redhat()], now());
            findings.pop().unwrap()
        };
        for distro in ["rhel-9.4", "rhel-8.10", "rhel-9"] {
            let f = answered(distro);
            assert_eq!(
                f.answer.unwrap().status,
                vex::Status::NotAffected,
                "{distro}"
            );
        }
        let ten = answered("rhel-10.0");
        assert_eq!(ten.answer.unwrap().status, vex::Status::Affected);
        assert!(ten
            .ignored_vex
            .iter()
            .any(|n| n.contains("not on this image's release (rhel-10.0)")));
        // A release the document says nothing of (RHEL 11), a lookalike
        // (Rocky Linux 9, not Red Hat's build) and a package without a
        // distro get no answer: a statement about another platform never
        // answers for this one.
        for distro in ["rhel-11.0", "rocky-9.4", "rhel"] {
            let f = answered(distro);
            assert!(f.answer.is_none(), "{distro}: {:?}", f.answer);
            assert!(!f.ignored_vex.is_empty(), "{distro}");
        }
        let mut findings = vec![os_finding(
            "CVE-2025-29087",
            os_input(
                "sqlite-libs",
                "3.34.1-7.el9_3",
                "rpm",
                "pkg:rpm/redhat/sqlite-libs@3.34.1-7.el9_3?arch=x86_64",
            ),
        )];
        answer_vendor(&mut findings, &[redhat()], now());
        assert!(findings[0].answer.is_none());
    }

    #[test]
    fn platform_cpes_name_their_release() {
        let package = |distro: &str| {
            format!("pkg:rpm/x/y@1?distro={distro}")
                .parse::<Purl>()
                .unwrap()
        };
        let on = |cpe: &str, distro: &str| {
            platform_names_release(cpe, &package(distro).package_url().clone())
        };
        assert!(on("cpe:/o:redhat:enterprise_linux:9", "rhel-9.4"));
        assert!(on(
            "cpe:/a:redhat:enterprise_linux:9::appstream",
            "rhel-9.4"
        ));
        assert!(on(
            "cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*",
            "rhel-9.2"
        ));
        assert!(!on("cpe:/o:redhat:enterprise_linux:9", "rhel-90.1"));
        assert!(on("cpe:/a:redhat:rhel_eus:9.2::baseos", "rhel-9.2"));
        assert!(!on("cpe:/a:redhat:rhel_eus:9.2::baseos", "rhel-9.4"));
        assert!(!on("cpe:/a:redhat:openshift:4", "rhel-9.4"));
        assert!(on("cpe:/o:suse:sles:15:sp5", "sles-15.5"));
        assert!(on("cpe:/o:suse:sle-module-basesystem:15:sp5", "sles-15.5"));
        assert!(!on("cpe:/o:suse:sles:15:sp5", "sles-15.4"));
        assert!(on("cpe:/o:suse:sles:15", "sles-15"));
        assert!(!on("cpe:/o:suse:caasp:4.0", "sles-15.1"));
        assert!(on("cpe:/o:opensuse:leap:15.5", "opensuse-leap-15.5"));
        assert!(on("cpe:/o:debian:debian_linux:12", "debian-12"));
        assert!(on(
            "cpe:2.3:o:debian:debian_linux:12.0:*:*:*:*:*:*:*",
            "bookworm"
        ));
        assert!(!on("cpe:/o:debian:debian_linux:11", "debian-12"));
        assert!(on("cpe:/o:canonical:ubuntu_linux:22.04", "jammy"));
        assert!(!on("cpe:/o:canonical:ubuntu_linux:22.04", "ubuntu-20.04"));
        assert!(!on("cpe:/o:canonical:ubuntu_linux:22.04", "debian-12"));
        assert!(!on("cpe:/o:opensuse:leap:15.5", "sles-15.5"));
        // A purl platform names no release: the component decides.
        assert!(on("pkg:oci/ubi9", "rhel-9.4"));
        assert!(!on("cpe:/o:redhat", "rhel-9.4"));
    }

    #[test]
    fn a_distro_qualifier_names_a_release_by_codename_or_version_id() {
        assert!(same_release("debian", "debian-12", "bookworm"));
        assert!(same_release("debian", "12", "BOOKWORM"));
        assert!(same_release("ubuntu", "focal", "ubuntu-20.04"));
        assert!(!same_release("ubuntu", "focal", "ubuntu-22.04"));
        assert!(!same_release("ubuntu", "jammy", "debian-12"));
        // Codenames of another distribution are not equated.
        assert!(!same_release("debian", "focal", "ubuntu-20.04"));
        // Unknown releases are only equal as spelt (compared by the caller).
        assert!(!same_release("debian", "sid", "unstable"));
    }

    #[test]
    fn regression_issue_15_ubuntus_openvex_answers_the_exact_package_and_qualifiers() {
        let ubuntu = vendor("ubuntu", &["pkg:deb/ubuntu/*"], "ubuntu/CVE-2025-0395.json");
        let libc = |version: &str, qualifiers: &str| {
            os_input(
                "libc6",
                version,
                "deb",
                &format!("pkg:deb/ubuntu/libc6@{version}?{qualifiers}"),
            )
        };
        let mut findings = vec![
            os_finding(
                "CVE-2025-0395",
                libc("2.31-0ubuntu9.18", "arch=amd64&distro=focal"),
            ),
            // Another architecture than the statements name.
            os_finding(
                "CVE-2025-0395",
                libc("2.31-0ubuntu9.18", "arch=s390x&distro=focal"),
            ),
            // Another version.
            os_finding(
                "CVE-2025-0395",
                libc("2.31-0ubuntu9.17", "arch=amd64&distro=focal"),
            ),
            // Another release, in vouch's spelling and in Ubuntu's.
            os_finding(
                "CVE-2025-0395",
                libc("2.31-0ubuntu9.18", "arch=amd64&distro=ubuntu-22.04"),
            ),
            os_finding(
                "CVE-2025-0395",
                libc("2.31-0ubuntu9.18", "arch=amd64&distro=jammy"),
            ),
            // The same release in vouch's spelling (os-release's
            // VERSION_ID) is answered as Ubuntu's codename is.
            os_finding(
                "CVE-2025-0395",
                libc("2.31-0ubuntu9.18", "arch=amd64&distro=ubuntu-20.04"),
            ),
        ];
        answer_vendor(&mut findings, &[ubuntu, redhat()], now());
        let answer = findings[0].answer.clone().unwrap();
        assert_eq!(answer.status, vex::Status::Fixed);
        assert_eq!(answer.vendor.as_deref(), Some("ubuntu"));
        assert_eq!(
            answer.document,
            "https://github.com/canonical/ubuntu-security-notices/blob/main/vex/cve/2025/CVE-2025-0395"
        );
        let (answered, unanswered) = findings.split_last().unwrap();
        assert_eq!(
            answered.answer.as_ref().map(|a| &a.status),
            Some(&vex::Status::Fixed)
        );
        for f in &unanswered[1..] {
            assert!(f.answer.is_none(), "{:?}", f.input.purl);
        }
    }

    #[test]
    fn the_images_own_newer_answer_stands_against_a_vendors() {
        let mut findings = vec![os_finding("CVE-2025-29087", mingw64_sqlite())];
        findings[0].answer = Some(Answer {
            status: vex::Status::Affected,
            justification: None,
            impact: None,
            action: Some("upgrade".into()),
            by: "security: key".into(),
            timestamp: "2026-01-01T00:00:00Z".into(),
            document: "own".into(),
            vendor: None,
            file: None,
        });
        answer_vendor(&mut findings, &[redhat()], now());
        assert_eq!(findings[0].answer.as_ref().unwrap().document, "own");
        assert!(findings[0].ignored_vex[0].contains("superseded by a newer statement"));
        // An older one of the image's own gives way.
        findings[0].answer.as_mut().unwrap().timestamp = "2025-01-01T00:00:00Z".into();
        findings[0].ignored_vex.clear();
        answer_vendor(&mut findings, &[redhat()], now());
        assert_eq!(
            findings[0].answer.as_ref().unwrap().vendor.as_deref(),
            Some("redhat")
        );
        assert_eq!(
            findings[0].ignored_vex,
            [
                "affected from security: key (own, 2025-01-01T00:00:00Z): superseded by a newer \
              statement"
            ]
        );
    }

    #[test]
    fn suses_upstream_qualifier_is_compared_only_when_the_package_has_one() {
        let package = |s: &str| s.parse::<Purl>().unwrap().package_url().clone();
        // As SUSE's CSAF writes its products (testdata/csaf/suse).
        let suse = "pkg:rpm/suse/libopenssl1_1@1.1.1l-150500.17.25.1?upstream=openssl-1_1.src.rpm";
        let vouch = package(
            "pkg:rpm/suse/libopenssl1_1@1.1.1l-150500.17.25.1?arch=x86_64&distro=sles-15.5",
        );
        assert!(purl_names_package(suse, &vouch));
        let with = |upstream: &str| {
            package(&format!(
                "pkg:rpm/suse/libopenssl1_1@1.1.1l-150500.17.25.1?arch=x86_64&upstream={upstream}"
            ))
        };
        assert!(purl_names_package(suse, &with("openssl-1_1.src.rpm")));
        assert!(!purl_names_package(suse, &with("other.src.rpm")));
        // Only for RPMs, and the rest still counts.
        assert!(!purl_names_package(
            "pkg:rpm/suse/libopenssl1_1@1.1.1l-150500.17.24.1?upstream=openssl-1_1.src.rpm",
            &vouch
        ));
        assert!(!purl_names_package(
            "pkg:deb/debian/zlib1g?upstream=zlib",
            &package("pkg:deb/debian/zlib1g@1?distro=debian-12")
        ));
    }

    #[test]
    fn purls_compare_as_the_purl_specification_says_with_rpm_epochs() {
        let package = |s: &str| s.parse::<Purl>().unwrap().package_url().clone();
        let vouch = package("pkg:rpm/redhat/openssl@1:3.0.7-27.el9?arch=x86_64&distro=rhel-9.4");
        assert!(purl_names_package(
            "pkg:rpm/redhat/openssl@3.0.7-27.el9?arch=x86_64&epoch=1",
            &vouch
        ));
        assert!(purl_names_package(
            "pkg:rpm/redhat/openssl@1:3.0.7-27.el9",
            &vouch
        ));
        assert!(purl_names_package("pkg:rpm/RedHat/openssl", &vouch));
        assert!(!purl_names_package(
            "pkg:rpm/redhat/openssl@3.0.7-27.el9?arch=x86_64",
            &vouch
        ));
        assert!(!purl_names_package(
            "pkg:rpm/redhat/openssl@3.0.7-27.el9?epoch=2",
            &vouch
        ));
        assert!(!purl_names_package(
            "pkg:rpm/redhat/openssl?arch=src",
            &vouch
        ));
        assert!(!purl_names_package("pkg:rpm/redhat/OpenSSL", &vouch));
        assert!(!purl_names_package("pkg:rpm/fedora/openssl", &vouch));
        assert!(!purl_names_package(
            "cpe:/o:redhat:enterprise_linux:9",
            &vouch
        ));
        let no_epoch = package("pkg:rpm/redhat/zlib@1.2.11-40.el9?arch=x86_64");
        assert!(purl_names_package(
            "pkg:rpm/redhat/zlib@0:1.2.11-40.el9",
            &no_epoch
        ));
        assert!(purl_names_package(
            "pkg:rpm/redhat/zlib@1.2.11-40.el9?epoch=0",
            &no_epoch
        ));
        let deb = package("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12");
        assert!(purl_names_package(
            "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1",
            &deb
        ));
        assert!(!purl_names_package(
            "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?epoch=1",
            &deb
        ));
    }
}
