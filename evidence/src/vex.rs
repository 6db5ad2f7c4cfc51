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

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Error, Result};

/// The in-toto predicate type of an OpenVEX v0.2.0 document, the one vouch
/// writes (`vouch vex attach`).
pub const OPENVEX_PREDICATE_TYPE: &str = "https://openvex.dev/ns/v0.2.0";

/// The unversioned predicate URI some producers use (cosign's
/// `--type openvex`); read, never written.
pub const OPENVEX_PREDICATE_TYPE_UNVERSIONED: &str = "https://openvex.dev/ns";

/// The `@context` vouch writes in an OpenVEX document.
pub const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// Where the `@id` of a document made by [`Document::new`] lives; the rest
/// is the SHA-256 of the document's content (see [`Document::derive_id`]).
const ID_PREFIX: &str = "https://vouch.dev/vex/";

/// What an OpenVEX error is about, as [`Error::Invalid`] prints it.
const OPENVEX: &str = "OpenVEX document";

/// What a CycloneDX VEX error is about.
const CYCLONEDX: &str = "CycloneDX VEX";

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
        label(&Status::ALL, Status::as_str, s, "status")
            .map_err(|reason| Error::invalid("VEX status", reason))
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
        label(
            &Justification::ALL,
            Justification::as_str,
            s,
            "justification",
        )
        .map_err(|reason| Error::invalid("VEX justification", reason))
    }
}

/// Finds the item of `all` whose label is `value`; else says which labels
/// there are.
fn label<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    value: &str,
    kind: &str,
) -> std::result::Result<T, String> {
    all.iter()
        .copied()
        .find(|item| name(*item) == value)
        .ok_or_else(|| {
            let known: Vec<&str> = all.iter().map(|item| name(*item)).collect();
            format!(
                "unknown {kind} {value:?} (expected one of: {})",
                known.join(", ")
            )
        })
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

/// An OpenVEX v0.2.0 document, valid by construction ([`Document::from_json`],
/// [`Document::new`]).
///
/// Its serde [`Serialize`] is vouch's own view (for `--output json`); the
/// OpenVEX wire form is [`Document::to_json`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    /// `@id`: the IRI naming the document.
    pub id: String,
    /// Who makes the statements, ideally an IRI or an email address; the
    /// spec asks that it be tied to the signature.
    pub author: String,
    /// The author's role.
    pub role: Option<String>,
    /// When the document was issued.
    pub timestamp: Timestamp,
    /// When it was last changed.
    pub last_updated: Option<Timestamp>,
    /// The document's version, at least 1, incremented on every change.
    pub version: u64,
    /// What made the document.
    pub tooling: Option<String>,
    /// The statements; never empty.
    pub statements: Vec<Statement>,
}

impl Document {
    /// Parses and validates an OpenVEX document.
    ///
    /// `@context` must be an OpenVEX v0.2 context:
    /// `https://openvex.dev/ns/v0.2.N`, or the unversioned
    /// `https://openvex.dev/ns`. Under the unversioned one the pre-0.2 shapes
    /// are read too (a plain-string `vulnerability` and `products`, and a
    /// statement-level `subcomponents` list applying to every product), as
    /// the spec wrote them before OPEV-0014/0015. Required: `@id`, `author`,
    /// `timestamp`, `version` >= 1, and at least one statement. Per
    /// statement: a non-empty vulnerability name, at least one product,
    /// `not_affected` with a `justification` or an `impact_statement`,
    /// `affected` with an `action_statement`, and a `justification` only with
    /// `not_affected`. A blank text field counts as absent. A repeated key
    /// anywhere is refused (see [`crate::json`]).
    ///
    /// Every error names the field path:
    /// `invalid OpenVEX document: statements[1]: status not_affected needs a
    /// justification or an impact_statement`.
    pub fn from_json(bytes: &[u8]) -> Result<Document> {
        crate::json::check_unique_keys(bytes, OPENVEX)?;
        let value: Value = serde_json::from_slice(bytes).map_err(|error| Error::Json {
            what: OPENVEX,
            error,
        })?;
        Document::from_predicate(&value)
    }

    /// Reads the predicate of an in-toto statement of either OpenVEX
    /// predicate type (see [`is_predicate_type`]): the predicate is the
    /// document itself, validated as by [`Document::from_json`].
    pub fn from_predicate(predicate: &Value) -> Result<Document> {
        let root = Obj::new(OPENVEX, String::new(), predicate)?;
        let legacy = check_context(&root)?;
        let id = root.req_str("@id")?.to_string();
        let author = root.req_str("author")?.to_string();
        let timestamp = root.req_time("timestamp")?;
        let version = match root.get("version") {
            None => return Err(root.err("version", "is missing")),
            // Pre-0.2 writers spelt the version as a string.
            Some(Value::String(v)) if legacy => v.parse().ok(),
            Some(v) => v.as_u64(),
        }
        .ok_or_else(|| root.err("version", "must be an integer of at least 1"))?;
        let statements = root
            .req_array("statements")?
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let s = Obj::new(OPENVEX, root.item_path("statements", i), s)?;
                statement(&s, legacy, timestamp)
            })
            .collect::<Result<Vec<_>>>()?;
        let document = Document {
            id,
            author,
            role: root.opt_text("role")?,
            timestamp,
            last_updated: root.opt_time("last_updated")?,
            version,
            tooling: root.opt_text("tooling")?,
            statements,
        };
        document.validate()?;
        Ok(document)
    }

    /// Builds the document `vouch vex create` writes: version 1, issued at
    /// `timestamp` by `author`, with `@id` set to [`Document::derive_id`]
    /// (so the same content always gets the same id). Blank text fields are
    /// dropped, then the document is validated exactly as
    /// [`Document::from_json`] validates, with the same messages.
    ///
    /// The fields are public: a caller that changes one afterwards (a
    /// `role`, `tooling`) should set `id` from `derive_id` again.
    pub fn new(
        author: String,
        timestamp: Timestamp,
        statements: Vec<Statement>,
    ) -> Result<Document> {
        let statements = statements
            .into_iter()
            .map(|mut s| {
                for text in [
                    &mut s.impact_statement,
                    &mut s.action_statement,
                    &mut s.status_notes,
                ] {
                    if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
                        *text = None;
                    }
                }
                s
            })
            .collect();
        let mut document = Document {
            id: String::new(),
            author,
            role: None,
            timestamp,
            last_updated: None,
            version: 1,
            tooling: None,
            statements,
        };
        document.id = document.derive_id();
        document.validate()?;
        Ok(document)
    }

    /// `https://vouch.dev/vex/<hex>`, where `<hex>` is the SHA-256 of the
    /// document's OpenVEX JSON without `@id`, in OLPC canonical form (sorted
    /// keys, no spaces): a deterministic id, the same for the same content
    /// whoever computes it.
    pub fn derive_id(&self) -> String {
        let mut canonical = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(
            &mut canonical,
            olpc_cjson::CanonicalFormatter::new(),
        );
        if self.wire(false).serialize(&mut serializer).is_err() {
            // Unreachable: writing to a Vec does not fail, and the document
            // holds no floats, the one thing canonical JSON refuses. Hash
            // the plain form rather than nothing.
            canonical = serde_json::to_vec(&self.wire(false)).unwrap_or_default();
        }
        format!("{ID_PREFIX}{}", crate::digest::sha256(&canonical).hex())
    }

    /// The document as OpenVEX writes it, indented, with a final newline:
    /// `@context` ([`OPENVEX_CONTEXT`]), `@id`, `author`, `role`?,
    /// `timestamp`, `last_updated`?, `version`, `tooling`?, `statements[]`
    /// each with `vulnerability` (`name`, `aliases`?), `products[]` (`@id`,
    /// `subcomponents[]`? of `{"@id"}`), `status`, `justification`?,
    /// `impact_statement`?, `action_statement`?, `status_notes`?, and
    /// `timestamp` only where it differs from the document's. Optional
    /// fields are omitted when absent; timestamps are RFC 3339 in UTC, with
    /// seconds (and a fraction only when there is one).
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(&self.wire(true)).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// The same JSON as [`Document::to_json`] as a value, for the predicate
    /// of an in-toto statement.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self.wire(true)).unwrap_or_default()
    }

    /// The wire form, with or without `@id`.
    fn wire(&self, with_id: bool) -> DocumentOut<'_> {
        DocumentOut {
            context: OPENVEX_CONTEXT,
            id: with_id.then_some(self.id.as_str()),
            author: &self.author,
            role: self.role.as_deref(),
            timestamp: self.timestamp.to_string(),
            last_updated: self.last_updated.map(|t| t.to_string()),
            version: self.version,
            tooling: self.tooling.as_deref(),
            statements: self
                .statements
                .iter()
                .map(|s| StatementOut {
                    vulnerability: VulnerabilityOut {
                        name: &s.vulnerability,
                        aliases: &s.aliases,
                    },
                    products: s
                        .products
                        .iter()
                        .map(|p| ProductOut {
                            id: &p.id,
                            subcomponents: p
                                .subcomponents
                                .iter()
                                .map(|id| ComponentOut { id })
                                .collect(),
                        })
                        .collect(),
                    status: s.status,
                    justification: s.justification,
                    impact_statement: s.impact_statement.as_deref(),
                    action_statement: s.action_statement.as_deref(),
                    status_notes: s.status_notes.as_deref(),
                    timestamp: (s.timestamp != self.timestamp).then(|| s.timestamp.to_string()),
                })
                .collect(),
        }
    }

    /// The rules a complete document obeys, shared by parsing and building.
    fn validate(&self) -> Result<()> {
        let bad = |path: &str, reason: &str| invalid(OPENVEX, path, reason);
        if self.id.trim().is_empty() {
            return Err(bad("@id", "is empty"));
        }
        if self.author.trim().is_empty() {
            return Err(bad("author", "is empty"));
        }
        if self.version == 0 {
            return Err(bad("version", "must be an integer of at least 1"));
        }
        if self.statements.is_empty() {
            return Err(bad("statements", "is empty: a document needs a statement"));
        }
        for (i, s) in self.statements.iter().enumerate() {
            let path = format!("statements[{i}]");
            check_statement(s, &path, OPENVEX)?;
            if let Some(justification) = s.justification {
                if s.status != Status::NotAffected {
                    return Err(bad(
                        &path,
                        &format!(
                            "justification {justification} is only allowed with status \
                             not_affected, not {}",
                            s.status
                        ),
                    ));
                }
            }
            if s.status == Status::NotAffected
                && s.justification.is_none()
                && s.impact_statement.is_none()
            {
                return Err(bad(
                    &path,
                    "status not_affected needs a justification or an impact_statement",
                ));
            }
            if s.status == Status::Affected && s.action_statement.is_none() {
                return Err(bad(&path, "status affected needs an action_statement"));
            }
        }
        Ok(())
    }
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

/// Checks `@context`; true when it is the unversioned context, under which
/// the pre-0.2 shapes are read too.
fn check_context(root: &Obj<'_>) -> Result<bool> {
    let context = root.req_str("@context")?;
    let rest = context.strip_prefix(OPENVEX_PREDICATE_TYPE_UNVERSIONED);
    let patch = rest.and_then(|r| r.strip_prefix("/v0.2."));
    match (rest, patch) {
        (Some(""), _) => Ok(true),
        (_, Some(n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => Ok(false),
        _ => Err(root.err(
            "@context",
            format!(
                "{context:?} is not an OpenVEX v0.2 context (expected {OPENVEX_CONTEXT}, a \
                 later v0.2.x, or {OPENVEX_PREDICATE_TYPE_UNVERSIONED})"
            ),
        )),
    }
}

/// Reads one OpenVEX statement (not yet validated: see
/// [`Document::validate`]).
fn statement(s: &Obj<'_>, legacy: bool, document_time: Timestamp) -> Result<Statement> {
    let (vulnerability, aliases) = match s.get("vulnerability") {
        None => return Err(s.err("vulnerability", "is missing")),
        Some(Value::String(name)) if legacy => (name.clone(), Vec::new()),
        Some(v) => {
            let v = Obj::new(OPENVEX, s.path_of("vulnerability"), v)?;
            let name = match v.opt_str("name")? {
                Some(name) => name,
                None => v.opt_str("@id")?.unwrap_or_default(),
            };
            (name.to_string(), v.strings("aliases")?)
        }
    };
    let mut products = s
        .req_array("products")?
        .iter()
        .enumerate()
        .map(|(i, p)| product(p, s.item_path("products", i), legacy))
        .collect::<Result<Vec<_>>>()?;
    if legacy {
        // Before v0.2, subcomponents were listed once per statement.
        let shared = s.strings("subcomponents")?;
        for product in &mut products {
            product.subcomponents.extend(shared.iter().cloned());
        }
    }
    let status = s.req_str("status")?;
    let status = label(&Status::ALL, Status::as_str, status, "status")
        .map_err(|reason| s.err("status", reason))?;
    let justification = s
        .opt_str("justification")?
        .map(|j| {
            label(
                &Justification::ALL,
                Justification::as_str,
                j,
                "justification",
            )
            .map_err(|reason| s.err("justification", reason))
        })
        .transpose()?;
    s.opt_time("last_updated")?;
    s.opt_time("action_statement_timestamp")?;
    Ok(Statement {
        vulnerability,
        aliases,
        products,
        status,
        justification,
        impact_statement: s.opt_text("impact_statement")?,
        action_statement: s.opt_text("action_statement")?,
        status_notes: s.opt_text("status_notes")?,
        timestamp: s.opt_time("timestamp")?.unwrap_or(document_time),
    })
}

/// Reads a product and its subcomponents.
fn product(value: &Value, path: String, legacy: bool) -> Result<Product> {
    if let (Value::String(id), true) = (value, legacy) {
        return Ok(Product {
            id: id.clone(),
            subcomponents: Vec::new(),
        });
    }
    let p = Obj::new(OPENVEX, path, value)?;
    let subcomponents = match p.opt_array("subcomponents")? {
        None => Vec::new(),
        Some(items) => items
            .iter()
            .enumerate()
            .map(|(i, c)| component_id(&Obj::new(OPENVEX, p.item_path("subcomponents", i), c)?))
            .collect::<Result<_>>()?,
    };
    Ok(Product {
        id: component_id(&p)?,
        subcomponents,
    })
}

/// A component's identifier: its `@id`, else its `identifiers` `purl`,
/// `cpe23` or `cpe22`, the ones the spec defines. The schema requires one
/// of `@id` and `identifiers`.
fn component_id(c: &Obj<'_>) -> Result<String> {
    if let Some(id) = c.opt_str("@id")? {
        return Ok(id.to_string());
    }
    if let Some(identifiers) = c.opt_object("identifiers")? {
        for key in ["purl", "cpe23", "cpe22"] {
            if let Some(id) = identifiers.opt_str(key)? {
                return Ok(id.to_string());
            }
        }
    }
    Err(invalid(
        OPENVEX,
        &c.path,
        "has no @id and no identifiers (purl, cpe23 or cpe22)",
    ))
}

/// The CycloneDX analysis states, and the OpenVEX status each maps to.
const CYCLONEDX_STATES: [(&str, Status); 6] = [
    ("not_affected", Status::NotAffected),
    ("false_positive", Status::NotAffected),
    ("resolved", Status::Fixed),
    ("resolved_with_pedigree", Status::Fixed),
    ("exploitable", Status::Affected),
    ("in_triage", Status::UnderInvestigation),
];

/// The CycloneDX analysis justifications, and the OpenVEX justification
/// each maps to.
const CYCLONEDX_JUSTIFICATIONS: [(&str, Justification); 9] = [
    ("code_not_present", Justification::VulnerableCodeNotPresent),
    (
        "code_not_reachable",
        Justification::VulnerableCodeNotInExecutePath,
    ),
    (
        "requires_configuration",
        Justification::VulnerableCodeCannotBeControlledByAdversary,
    ),
    (
        "requires_dependency",
        Justification::VulnerableCodeCannotBeControlledByAdversary,
    ),
    (
        "requires_environment",
        Justification::VulnerableCodeCannotBeControlledByAdversary,
    ),
    (
        "protected_by_compiler",
        Justification::InlineMitigationsAlreadyExist,
    ),
    (
        "protected_at_runtime",
        Justification::InlineMitigationsAlreadyExist,
    ),
    (
        "protected_at_perimeter",
        Justification::InlineMitigationsAlreadyExist,
    ),
    (
        "protected_by_mitigating_control",
        Justification::InlineMitigationsAlreadyExist,
    ),
];

/// The CycloneDX analysis responses.
const CYCLONEDX_RESPONSES: [&str; 5] = [
    "can_not_fix",
    "will_not_fix",
    "update",
    "rollback",
    "workaround_available",
];

/// Looks `value` up in a CycloneDX enumeration, naming all of it on a miss.
fn cyclonedx_label<T: Copy>(
    table: &[(&str, T)],
    value: &str,
    kind: &str,
) -> std::result::Result<T, String> {
    table
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, item)| *item)
        .ok_or_else(|| {
            let known: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
            format!(
                "unknown {kind} {value:?} (expected one of: {})",
                known.join(", ")
            )
        })
}

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
    let root = Obj::new(CYCLONEDX, String::new(), bom)?;
    let format = root.req_str("bomFormat")?;
    if format != "CycloneDX" {
        return Err(root.err(
            "bomFormat",
            format!("is {format:?}, expected \"CycloneDX\""),
        ));
    }
    let spec = root.req_str("specVersion")?;
    let minor = spec
        .strip_prefix("1.")
        .and_then(|m| m.parse::<u32>().ok())
        .filter(|m| *m >= 4);
    if minor.is_none() {
        return Err(root.err(
            "specVersion",
            format!("is {spec:?}: VEX needs CycloneDX 1.4 or later"),
        ));
    }
    let metadata = root.opt_object("metadata")?;
    let bom_time = match &metadata {
        Some(m) => m.opt_time("timestamp")?,
        None => None,
    };
    let purls = bom_ref_purls(bom);
    let mut statements = Vec::new();
    for (i, v) in root
        .opt_array("vulnerabilities")?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let v = Obj::new(CYCLONEDX, root.item_path("vulnerabilities", i), v)?;
        if let Some(statement) = cyclonedx_statement(&v, &purls, bom_time, subject)? {
            statements.push(statement);
        }
    }
    Ok(statements)
}

/// Maps one CycloneDX vulnerability; `None` when it has no analysis state.
fn cyclonedx_statement(
    v: &Obj<'_>,
    purls: &HashMap<&str, &str>,
    bom_time: Option<Timestamp>,
    subject: &str,
) -> Result<Option<Statement>> {
    let Some(analysis) = v.opt_object("analysis")? else {
        return Ok(None);
    };
    let Some(state) = analysis.opt_str("state")? else {
        return Ok(None);
    };
    let status = cyclonedx_label(&CYCLONEDX_STATES, state, "analysis state")
        .map_err(|reason| analysis.err("state", reason))?;
    let original = analysis.opt_str("justification")?;
    let justification = original
        .map(|j| {
            cyclonedx_label(&CYCLONEDX_JUSTIFICATIONS, j, "justification")
                .map_err(|reason| analysis.err("justification", reason))
        })
        .transpose()?
        .filter(|_| status == Status::NotAffected);
    let impact_statement = analysis.opt_text("detail")?;
    if status == Status::NotAffected && justification.is_none() && impact_statement.is_none() {
        return Err(invalid(
            CYCLONEDX,
            &v.path,
            &format!("analysis state {state} needs a justification or a detail"),
        ));
    }

    let responses = analysis.strings("response")?;
    for (r, response) in responses.iter().enumerate() {
        if !CYCLONEDX_RESPONSES.contains(&response.as_str()) {
            return Err(invalid(
                CYCLONEDX,
                &analysis.item_path("response", r),
                &format!(
                    "unknown response {response:?} (expected one of: {})",
                    CYCLONEDX_RESPONSES.join(", ")
                ),
            ));
        }
    }
    let mut actions = Vec::new();
    if !responses.is_empty() {
        actions.push(format!("response: {}", responses.join(", ")));
    }
    for key in ["recommendation", "workaround"] {
        if let Some(text) = v.opt_text(key)? {
            actions.push(format!("{key}: {text}"));
        }
    }

    let mut components: Vec<String> = Vec::new();
    for (a, affects) in v
        .opt_array("affects")?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let affects = Obj::new(CYCLONEDX, v.item_path("affects", a), affects)?;
        let reference = affects.req_str("ref")?;
        let id = purls.get(reference).copied().unwrap_or(reference);
        if !components.iter().any(|c| c == id) {
            components.push(id.to_string());
        }
    }

    let mut timestamp = None;
    for (obj, key) in [
        (&analysis, "lastUpdated"),
        (&analysis, "firstIssued"),
        (v, "updated"),
        (v, "published"),
    ] {
        let time = obj.opt_time(key)?;
        timestamp = timestamp.or(time);
    }
    let timestamp = timestamp.or(bom_time).ok_or_else(|| {
        invalid(
            CYCLONEDX,
            &v.path,
            "has no timestamp: none of analysis.lastUpdated, analysis.firstIssued, updated, \
             published or metadata.timestamp is set",
        )
    })?;

    let vulnerability = v.opt_str("id")?.unwrap_or_default();
    if vulnerability.trim().is_empty() {
        return Err(v.err("id", "is missing or empty"));
    }
    if components.is_empty() {
        return Err(v.err(
            "affects",
            "is missing or empty: a VEX statement needs a product",
        ));
    }
    let statement = Statement {
        vulnerability: vulnerability.to_string(),
        aliases: match v.opt_array("references")? {
            None => Vec::new(),
            Some(refs) => refs
                .iter()
                .enumerate()
                .map(|(r, reference)| {
                    let reference = Obj::new(CYCLONEDX, v.item_path("references", r), reference)?;
                    Ok(reference.req_str("id")?.to_string())
                })
                .collect::<Result<_>>()?,
        },
        products: vec![Product {
            id: subject.to_string(),
            subcomponents: components,
        }],
        status,
        justification,
        impact_statement,
        action_statement: (!actions.is_empty()).then(|| actions.join("; ")),
        status_notes: Some(match original {
            Some(j) => format!("CycloneDX analysis state {state}, justification {j}"),
            None => format!("CycloneDX analysis state {state}"),
        }),
        timestamp,
    };
    check_statement(&statement, &v.path, CYCLONEDX)?;
    Ok(Some(statement))
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

/// An [`Error::Invalid`] about `what`, naming the field path first.
fn invalid(what: &'static str, path: &str, reason: &str) -> Error {
    if path.is_empty() {
        Error::invalid(what, reason)
    } else {
        Error::invalid(what, format!("{path}: {reason}"))
    }
}

/// A JSON object being read, with its path for error messages.
struct Obj<'a> {
    what: &'static str,
    path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    /// `value` as an object at `path`, or an error saying it is not one.
    fn new(what: &'static str, path: String, value: &'a Value) -> Result<Self> {
        match value {
            Value::Object(map) => Ok(Obj { what, path, map }),
            _ => Err(invalid(what, &path, "must be a JSON object")),
        }
    }

    /// The path of one of this object's fields.
    fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The path of one item of an array field.
    fn item_path(&self, key: &str, index: usize) -> String {
        format!("{}[{index}]", self.path_of(key))
    }

    /// An error about one field.
    fn err(&self, key: &str, reason: impl fmt::Display) -> Error {
        invalid(self.what, &self.path_of(key), &reason.to_string())
    }

    /// A field; `null` counts as absent, as Go's `omitempty` writers mean it.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn opt_str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.err(key, "must be a string")),
        }
    }

    fn req_str(&self, key: &str) -> Result<&'a str> {
        self.opt_str(key)?
            .ok_or_else(|| self.err(key, "is missing"))
    }

    /// Free text; blank counts as absent.
    fn opt_text(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .opt_str(key)?
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string))
    }

    fn opt_time(&self, key: &str) -> Result<Option<Timestamp>> {
        self.opt_str(key)?
            .map(|s| {
                s.parse::<Timestamp>()
                    .map_err(|e| self.err(key, format!("{s:?} is not an RFC 3339 date-time: {e}")))
            })
            .transpose()
    }

    fn req_time(&self, key: &str) -> Result<Timestamp> {
        self.opt_time(key)?
            .ok_or_else(|| self.err(key, "is missing"))
    }

    fn opt_array(&self, key: &str) -> Result<Option<&'a [Value]>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(self.err(key, "must be an array")),
        }
    }

    fn req_array(&self, key: &str) -> Result<&'a [Value]> {
        self.opt_array(key)?
            .ok_or_else(|| self.err(key, "is missing"))
    }

    fn opt_object(&self, key: &str) -> Result<Option<Obj<'a>>> {
        self.get(key)
            .map(|v| Obj::new(self.what, self.path_of(key), v))
            .transpose()
    }

    /// An optional array of strings.
    fn strings(&self, key: &str) -> Result<Vec<String>> {
        self.opt_array(key)?
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(invalid(
                    self.what,
                    &self.item_path(key, i),
                    "must be a string",
                )),
            })
            .collect()
    }
}

/// The OpenVEX wire form of a [`Document`], fields in the spec's order.
#[derive(Serialize)]
struct DocumentOut<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    author: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_updated: Option<String>,
    version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    tooling: Option<&'a str>,
    statements: Vec<StatementOut<'a>>,
}

#[derive(Serialize)]
struct StatementOut<'a> {
    vulnerability: VulnerabilityOut<'a>,
    products: Vec<ProductOut<'a>>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<Justification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact_statement: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_statement: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_notes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
}

#[derive(Serialize)]
struct VulnerabilityOut<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    aliases: &'a [String],
}

#[derive(Serialize)]
struct ProductOut<'a> {
    #[serde(rename = "@id")]
    id: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subcomponents: Vec<ComponentOut<'a>>,
}

#[derive(Serialize)]
struct ComponentOut<'a> {
    #[serde(rename = "@id")]
    id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The minimal document of the OpenVEX specification v0.2.0, verbatim:
    /// openvex/spec, OPENVEX-SPEC.md, section "Document" ("Here is a sample
    /// of a minimal OpenVEX document"), commit
    /// d29fab0c81cfea04159436d54c3edc32947039ac.
    const SPEC_MINIMAL: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://openvex.dev/docs/example/vex-9fb3463de1b57",
  "author": "Wolfi J Inkinson",
  "role": "Document Creator",
  "timestamp": "2023-01-08T18:02:03.647787998-06:00",
  "version": 1,
  "statements": [
    {
      "vulnerability": {
        "name": "CVE-2023-12345"
      },
      "products": [
        {"@id": "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"},
        {"@id": "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"}
      ],
      "status": "fixed"
    }
  ]
}"#;

    /// The first document of the same file's "Updating Statements with
    /// Inherited Data", verbatim. (The spec's other full examples, the
    /// second of that section and the log4j one under "Example", are not
    /// well-formed JSON: trailing and missing commas.)
    const SPEC_UPDATING: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://openvex.dev/docs/example/vex-9fb3463de1b57",
  "author": "Wolfi J Inkinson",
  "role": "Document Creator",
  "timestamp": "2023-01-08T18:02:03-06:00",
  "version": 1,
  "statements": [
    {
      "vulnerability": {
        "name": "CVE-2023-12345"
      },
      "products": [
        {"@id": "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"}
      ],
      "status": "under_investigation"
    }
  ]
}"#;

    /// The minimal document of the spec before v0.2 (v0.0.2, commit
    /// 4a0fbbddabd44f40b885be6b26e9dd066a84cf06), verbatim: the unversioned
    /// context with a plain-string vulnerability and products.
    const SPEC_V0_0_2_MINIMAL: &str = r#"{
  "@context": "https://openvex.dev/ns",
  "@id": "https://openvex.dev/docs/example/vex-9fb3463de1b57",
  "author": "Wolfi J Inkinson",
  "role": "Document Creator",
  "timestamp": "2023-01-08T18:02:03.647787998-06:00",
  "version": 1,
  "statements": [
    {
      "vulnerability": "CVE-2023-12345",
      "products": [
        "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7",
        "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"
      ],
      "status": "fixed"
    }
  ]
}"#;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn err(result: Result<impl fmt::Debug>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn the_specs_own_examples_parse() {
        let doc = Document::from_json(SPEC_MINIMAL.as_bytes()).unwrap();
        assert_eq!(doc.id, "https://openvex.dev/docs/example/vex-9fb3463de1b57");
        assert_eq!(doc.author, "Wolfi J Inkinson");
        assert_eq!(doc.role.as_deref(), Some("Document Creator"));
        // -06:00 read as the instant it names.
        assert_eq!(doc.timestamp, ts("2023-01-09T00:02:03.647787998Z"));
        assert_eq!(doc.version, 1);
        assert_eq!(doc.last_updated, None);
        assert_eq!(doc.tooling, None);
        let [s] = &doc.statements[..] else {
            panic!("one statement: {doc:?}")
        };
        assert_eq!(s.vulnerability, "CVE-2023-12345");
        assert!(s.aliases.is_empty());
        let ids: Vec<&str> = s.products.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7",
                "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"
            ]
        );
        assert!(s.products.iter().all(|p| p.subcomponents.is_empty()));
        assert_eq!(s.status, Status::Fixed);
        assert_eq!(s.justification, None);
        assert_eq!(s.timestamp, doc.timestamp, "inherited from the document");

        let doc = Document::from_json(SPEC_UPDATING.as_bytes()).unwrap();
        assert_eq!(doc.statements[0].status, Status::UnderInvestigation);
        assert_eq!(doc.statements[0].timestamp, ts("2023-01-09T00:02:03Z"));

        // Control: the same example made incomplete is refused.
        let incomplete = SPEC_MINIMAL.replace(r#""fixed""#, r#""not_affected""#);
        let e = err(Document::from_json(incomplete.as_bytes()));
        assert_eq!(
            e,
            "invalid OpenVEX document: statements[0]: status not_affected needs a \
             justification or an impact_statement"
        );
    }

    #[test]
    fn pre_0_2_shapes_are_read_under_the_unversioned_context_only() {
        let doc = Document::from_json(SPEC_V0_0_2_MINIMAL.as_bytes()).unwrap();
        let s = &doc.statements[0];
        assert_eq!(s.vulnerability, "CVE-2023-12345");
        assert_eq!(s.products[1].id, "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64");
        assert_eq!(s.status, Status::Fixed);

        // Statement-level subcomponents apply to every product; a string
        // version is read.
        let legacy = json!({
            "@context": "https://openvex.dev/ns",
            "@id": "https://example.com/vex/1",
            "author": "sec@example.com",
            "timestamp": "2023-03-01T10:00:00Z",
            "version": "2",
            "statements": [{
                "vulnerability": "CVE-2020-26235",
                "products": ["pkg:oci/shop", "pkg:oci/cart"],
                "subcomponents": ["pkg:cargo/time@0.1.43"],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path"
            }]
        });
        let doc = Document::from_predicate(&legacy).unwrap();
        assert_eq!(doc.version, 2);
        for product in &doc.statements[0].products {
            assert_eq!(product.subcomponents, ["pkg:cargo/time@0.1.43"]);
        }

        // Control: under the v0.2.0 context those shapes are not OpenVEX.
        let mut current = legacy.clone();
        current["@context"] = json!(OPENVEX_CONTEXT);
        assert_eq!(
            err(Document::from_predicate(&current)),
            "invalid OpenVEX document: version: must be an integer of at least 1"
        );
        current["version"] = json!(2);
        assert_eq!(
            err(Document::from_predicate(&current)),
            "invalid OpenVEX document: statements[0].vulnerability: must be a JSON object"
        );
        current["statements"][0]["vulnerability"] = json!({"name": "CVE-2020-26235"});
        assert_eq!(
            err(Document::from_predicate(&current)),
            "invalid OpenVEX document: statements[0].products[0]: must be a JSON object"
        );
    }

    fn statement(vulnerability: &str, status: Status) -> Statement {
        Statement {
            vulnerability: vulnerability.into(),
            aliases: Vec::new(),
            products: vec![Product {
                id: "pkg:oci/shop@sha256%3A2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
                    .into(),
                subcomponents: Vec::new(),
            }],
            status,
            justification: None,
            impact_statement: None,
            action_statement: None,
            status_notes: None,
            timestamp: ts("2024-05-06T07:08:00Z"),
        }
    }

    fn statements() -> Vec<Statement> {
        let mut not_affected = statement("CVE-2020-26235", Status::NotAffected);
        not_affected.aliases = vec!["RUSTSEC-2020-0071".into(), "GHSA-wcg3-cvx6-7396".into()];
        not_affected.products[0].subcomponents = vec!["pkg:cargo/time@0.1.43".into()];
        not_affected.justification = Some(Justification::VulnerableCodeNotInExecutePath);
        not_affected.impact_statement = Some("localtime_r is never called".into());
        let mut affected = statement("CVE-2022-25883", Status::Affected);
        affected.action_statement = Some("upgrade semver to 7.5.2".into());
        affected.timestamp = ts("2024-05-01T00:00:00.5Z");
        let fixed = statement("GHSA-c2qf-rxjj-qqgw", Status::Fixed);
        let mut triage = statement("CVE-2024-24576", Status::UnderInvestigation);
        triage.status_notes = Some("checking whether Command is used on Windows".into());
        vec![not_affected, affected, fixed, triage]
    }

    #[test]
    fn a_built_document_writes_the_spec_fields_and_reads_back_equal() {
        let doc = Document::new(
            "Security <sec@example.com>".into(),
            ts("2024-05-06T07:08:00Z"),
            statements(),
        )
        .unwrap();
        let bytes = doc.to_json();
        assert_eq!(Document::from_json(&bytes).unwrap(), doc);
        assert!(bytes.ends_with(b"}\n"));

        let json: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json, doc.to_value());
        assert_eq!(json["@context"], "https://openvex.dev/ns/v0.2.0");
        assert_eq!(json["@id"], doc.id.as_str());
        assert_eq!(json["author"], "Security <sec@example.com>");
        assert_eq!(json["timestamp"], "2024-05-06T07:08:00Z", "seconds kept");
        assert_eq!(json["version"], 1);
        for absent in ["role", "last_updated", "tooling"] {
            assert!(json.get(absent).is_none(), "{absent} omitted: {json}");
        }
        let s0 = &json["statements"][0];
        assert_eq!(
            s0["vulnerability"],
            json!({"name": "CVE-2020-26235", "aliases": ["RUSTSEC-2020-0071", "GHSA-wcg3-cvx6-7396"]})
        );
        assert_eq!(
            s0["products"][0]["subcomponents"],
            json!([{"@id": "pkg:cargo/time@0.1.43"}])
        );
        assert!(s0["products"][0]["@id"]
            .as_str()
            .unwrap()
            .starts_with("pkg:oci/shop@"));
        assert_eq!(s0["status"], "not_affected");
        assert_eq!(s0["justification"], "vulnerable_code_not_in_execute_path");
        assert_eq!(s0["impact_statement"], "localtime_r is never called");
        assert!(s0.get("timestamp").is_none(), "inherited, so not repeated");
        let s1 = &json["statements"][1];
        assert_eq!(s1["timestamp"], "2024-05-01T00:00:00.5Z");
        assert_eq!(s1["action_statement"], "upgrade semver to 7.5.2");
        assert!(s1.get("justification").is_none() && s1.get("impact_statement").is_none());
        assert!(json["statements"][2]["vulnerability"]
            .get("aliases")
            .is_none());
        assert!(json["statements"][2]["products"][0]
            .get("subcomponents")
            .is_none());
        assert_eq!(json["statements"][3]["status"], "under_investigation");

        // The spec's field order, @context first.
        let text = String::from_utf8(bytes).unwrap();
        let order: Vec<usize> = [
            "\"@context\"",
            "\"@id\"",
            "\"author\"",
            "\"timestamp\"",
            "\"version\"",
            "\"statements\"",
        ]
        .iter()
        .map(|key| text.find(key).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    #[test]
    fn the_derived_id_is_a_hash_of_the_content() {
        let doc = Document::new(
            "sec@example.com".into(),
            ts("2024-05-06T07:08:00Z"),
            statements(),
        )
        .unwrap();
        let hex = doc.id.strip_prefix("https://vouch.dev/vex/").unwrap();
        assert!(
            hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{hex}"
        );
        assert_eq!(doc.derive_id(), doc.id, "the id does not hash itself");
        let again = Document::new(
            "sec@example.com".into(),
            ts("2024-05-06T07:08:00Z"),
            statements(),
        )
        .unwrap();
        assert_eq!(again.id, doc.id);
        // Control: any change of content changes it.
        let mut changed = statements();
        changed[2].status_notes = Some("shipped in 1.4.1".into());
        let other = Document::new(
            "sec@example.com".into(),
            ts("2024-05-06T07:08:00Z"),
            changed,
        )
        .unwrap();
        assert_ne!(other.id, doc.id);
        let later = Document::new(
            "sec@example.com".into(),
            ts("2024-05-06T07:08:01Z"),
            statements(),
        )
        .unwrap();
        assert_ne!(later.id, doc.id);
    }

    #[test]
    fn new_validates_as_parsing_does() {
        let mut unjustified = statements();
        unjustified[0].justification = None;
        unjustified[0].impact_statement = Some("   ".into());
        let e = err(Document::new(
            "sec@example.com".into(),
            ts("2024-05-06T07:08:00Z"),
            unjustified,
        ));
        assert_eq!(
            e,
            "invalid OpenVEX document: statements[0]: status not_affected needs a \
             justification or an impact_statement"
        );
        let mut no_action = statements();
        no_action[1].action_statement = None;
        let e = err(Document::new(
            "sec@example.com".into(),
            ts("2024-05-06T07:08:00Z"),
            no_action,
        ));
        assert_eq!(
            e,
            "invalid OpenVEX document: statements[1]: status affected needs an action_statement"
        );
        let mut misplaced = statements();
        misplaced[2].justification = Some(Justification::ComponentNotPresent);
        let e = err(Document::new(
            "sec@example.com".into(),
            ts("2024-05-06T07:08:00Z"),
            misplaced,
        ));
        assert!(e.contains("statements[2]: justification component_not_present is only allowed with status not_affected, not fixed"), "{e}");
        let e = err(Document::new(
            "sec@example.com".into(),
            ts("2024-05-06T07:08:00Z"),
            vec![],
        ));
        assert!(e.contains("statements: is empty"), "{e}");
        let e = err(Document::new(
            " ".into(),
            ts("2024-05-06T07:08:00Z"),
            statements(),
        ));
        assert_eq!(e, "invalid OpenVEX document: author: is empty");
        // Blank text is dropped, not written.
        let mut blank = statements();
        blank[3].status_notes = Some(String::new());
        let doc =
            Document::new("sec@example.com".into(), ts("2024-05-06T07:08:00Z"), blank).unwrap();
        assert_eq!(doc.statements[3].status_notes, None);
    }

    /// A valid document with two statements; the bad-input cases break the
    /// second so that the path in the message is checked.
    fn base() -> Value {
        json!({
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.com/vex/shop-1",
            "author": "Shop Security <security@example.com>",
            "role": "Document Creator",
            "timestamp": "2024-02-01T12:00:00Z",
            "last_updated": "2024-02-02T12:00:00Z",
            "version": 3,
            "tooling": "vexctl",
            "statements": [
                {
                    "vulnerability": {"name": "CVE-2022-25883"},
                    "products": [{"@id": "pkg:oci/shop"}],
                    "status": "fixed"
                },
                {
                    "@id": "https://example.com/vex/shop-1#2",
                    "vulnerability": {"@id": "https://nvd.nist.gov/vuln/detail/CVE-2020-26235", "name": "CVE-2020-26235", "description": "Segfault in localtime_r", "aliases": ["RUSTSEC-2020-0071"]},
                    "timestamp": "2024-01-15T09:30:00+01:00",
                    "products": [{
                        "@id": "pkg:oci/shop",
                        "identifiers": {"purl": "pkg:oci/shop"},
                        "hashes": {"sha-256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
                        "subcomponents": [{"@id": "pkg:cargo/time@0.1.43"}]
                    }],
                    "supplier": "Shop",
                    "status": "not_affected",
                    "justification": "vulnerable_code_not_in_execute_path",
                    "impact_statement": "localtime_r is never called",
                    "status_notes": "reviewed by hand"
                }
            ]
        })
    }

    #[test]
    fn a_full_document_reads_every_field() {
        let doc = Document::from_predicate(&base()).unwrap();
        assert_eq!(doc.role.as_deref(), Some("Document Creator"));
        assert_eq!(doc.last_updated, Some(ts("2024-02-02T12:00:00Z")));
        assert_eq!(doc.version, 3);
        assert_eq!(doc.tooling.as_deref(), Some("vexctl"));
        let s = &doc.statements[1];
        assert_eq!(s.vulnerability, "CVE-2020-26235");
        assert_eq!(s.aliases, ["RUSTSEC-2020-0071"]);
        assert_eq!(
            s.products,
            [Product {
                id: "pkg:oci/shop".into(),
                subcomponents: vec!["pkg:cargo/time@0.1.43".into()]
            }]
        );
        assert_eq!(
            s.justification,
            Some(Justification::VulnerableCodeNotInExecutePath)
        );
        assert_eq!(
            s.impact_statement.as_deref(),
            Some("localtime_r is never called")
        );
        assert_eq!(s.status_notes.as_deref(), Some("reviewed by hand"));
        assert_eq!(
            s.timestamp,
            ts("2024-01-15T08:30:00Z"),
            "the statement's own"
        );
        assert_eq!(doc.statements[0].timestamp, doc.timestamp, "the document's");
        // Written and read back, nothing vouch keeps is lost.
        assert_eq!(Document::from_json(&doc.to_json()).unwrap(), doc);

        // Identifiers stand in for a missing @id; a vulnerability @id for a
        // missing name.
        let mut v = base();
        v["statements"][1]["products"] = json!([{
            "identifiers": {"cpe23": "cpe:2.3:a:shop:shop:1.0:*:*:*:*:*:*:*", "purl": "pkg:oci/shop"},
            "subcomponents": [{"identifiers": {"cpe22": "cpe:/a:time:time:0.1.43"}}]
        }]);
        v["statements"][1]["vulnerability"] = json!({"@id": "https://osv.dev/RUSTSEC-2020-0071"});
        let s = &Document::from_predicate(&v).unwrap().statements[1];
        assert_eq!(s.products[0].id, "pkg:oci/shop");
        assert_eq!(s.products[0].subcomponents, ["cpe:/a:time:time:0.1.43"]);
        assert_eq!(s.vulnerability, "https://osv.dev/RUSTSEC-2020-0071");

        // Later v0.2.x contexts are v0.2 too.
        let mut v = base();
        v["@context"] = json!("https://openvex.dev/ns/v0.2.7");
        Document::from_predicate(&v).unwrap();
    }

    #[test]
    fn bad_documents_are_refused_naming_the_field() {
        type Edit = fn(&mut Value);
        let cases: &[(Edit, &str)] = &[
            (
                |v| {
                    let s = v["statements"][1].as_object_mut().unwrap();
                    s.remove("justification");
                    s.remove("impact_statement");
                },
                "statements[1]: status not_affected needs a justification or an impact_statement",
            ),
            (|v| v["statements"][1]["impact_statement"] = json!(""), ""),
            (
                |v| {
                    v["statements"][1]["status"] = json!("affected");
                    v["statements"][1]
                        .as_object_mut()
                        .unwrap()
                        .remove("justification");
                },
                "statements[1]: status affected needs an action_statement",
            ),
            (
                |v| v["statements"][1]["justification"] = json!("not_exploitable"),
                "statements[1].justification: unknown justification \"not_exploitable\" (expected \
                 one of: component_not_present, vulnerable_code_not_present, \
                 vulnerable_code_not_in_execute_path, \
                 vulnerable_code_cannot_be_controlled_by_adversary, \
                 inline_mitigations_already_exist)",
            ),
            (
                |v| v["statements"][1]["status"] = json!("wont_fix"),
                "statements[1].status: unknown status \"wont_fix\" (expected one of: \
                 not_affected, affected, fixed, under_investigation)",
            ),
            (
                |v| v["statements"][1]["status"] = json!("fixed"),
                "statements[1]: justification vulnerable_code_not_in_execute_path is only allowed \
                 with status not_affected, not fixed",
            ),
            (
                |v| {
                    v.as_object_mut().unwrap().remove("@context");
                },
                "@context: is missing",
            ),
            (
                |v| v["@context"] = json!("https://example.com/ns/v0.2.0"),
                "@context: \"https://example.com/ns/v0.2.0\" is not an OpenVEX v0.2 context",
            ),
            (
                |v| v["@context"] = json!("https://openvex.dev/ns/v0.3.0"),
                "is not an OpenVEX v0.2 context",
            ),
            (
                |v| v["@context"] = json!("https://openvex.dev/ns/v0.2."),
                "is not an OpenVEX v0.2 context",
            ),
            (
                |v| {
                    v.as_object_mut().unwrap().remove("timestamp");
                },
                "timestamp: is missing",
            ),
            (
                |v| v["timestamp"] = json!("2024-02-01 noon"),
                "timestamp: \"2024-02-01 noon\" is not an RFC 3339 date-time",
            ),
            (
                |v| v["timestamp"] = json!("2024-02-01T12:00:00"),
                "timestamp: \"2024-02-01T12:00:00\" is not an RFC 3339 date-time",
            ),
            (
                |v| v["last_updated"] = json!(20240202),
                "last_updated: must be a string",
            ),
            (
                |v| v["statements"][1]["timestamp"] = json!("soon"),
                "statements[1].timestamp: \"soon\" is not an RFC 3339 date-time",
            ),
            (
                |v| v["statements"][1]["action_statement_timestamp"] = json!("later"),
                "statements[1].action_statement_timestamp: \"later\" is not",
            ),
            (|v| v["statements"] = json!([]), "statements: is empty"),
            (
                |v| {
                    v.as_object_mut().unwrap().remove("statements");
                },
                "statements: is missing",
            ),
            (
                |v| v["version"] = json!(0),
                "version: must be an integer of at least 1",
            ),
            (
                |v| v["version"] = json!(1.5),
                "version: must be an integer of at least 1",
            ),
            (
                |v| {
                    v.as_object_mut().unwrap().remove("@id");
                },
                "@id: is missing",
            ),
            (|v| v["author"] = json!(""), "author: is empty"),
            (
                |v| v["statements"][1]["products"] = json!([]),
                "statements[1]: names no product",
            ),
            (
                |v| {
                    v["statements"][1]
                        .as_object_mut()
                        .unwrap()
                        .remove("products");
                },
                "statements[1].products: is missing",
            ),
            (
                |v| v["statements"][1]["products"] = json!([{"hashes": {"sha-256": "00"}}]),
                "statements[1].products[0]: has no @id and no identifiers (purl, cpe23 or cpe22)",
            ),
            (
                |v| v["statements"][1]["products"][0]["subcomponents"] = json!([{"@id": ""}]),
                "statements[1].products[0].subcomponents[0]: has an empty identifier",
            ),
            (
                |v| v["statements"][1]["vulnerability"] = json!({"description": "no name"}),
                "statements[1].vulnerability: has no name",
            ),
            (
                |v| v["statements"][1]["vulnerability"]["aliases"] = json!(["GHSA-1", 7]),
                "statements[1].vulnerability.aliases[1]: must be a string",
            ),
            (
                |v| v["statements"][1] = json!("CVE-2020-26235"),
                "statements[1]: must be a JSON object",
            ),
            (
                |v| *v = json!([]),
                "invalid OpenVEX document: must be a JSON object",
            ),
        ];
        Document::from_predicate(&base()).unwrap();
        for (i, (edit, expected)) in cases.iter().enumerate() {
            let mut value = base();
            edit(&mut value);
            if expected.is_empty() {
                // A blank impact statement is no impact statement, but the
                // justification still answers.
                let doc = Document::from_predicate(&value).unwrap();
                assert_eq!(doc.statements[1].impact_statement, None);
                continue;
            }
            let e = err(Document::from_json(&serde_json::to_vec(&value).unwrap()));
            assert!(e.starts_with("invalid OpenVEX document: "), "case {i}: {e}");
            assert!(
                e.contains(expected),
                "case {i}: expected {expected:?} in {e:?}"
            );
        }
    }

    #[test]
    fn malformed_or_ambiguous_json_is_refused() {
        let twice = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","author":"b","timestamp":"2024-02-01T12:00:00Z","version":1,"statements":[]}"#;
        let e = err(Document::from_json(twice));
        assert!(e.contains("duplicate key \"author\""), "{e}");
        let e = err(Document::from_json(b"{\"@context\": "));
        assert!(e.starts_with("malformed JSON in OpenVEX document"), "{e}");
        // Control: the same without the repeat is read as far as the rules.
        let once = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"b","timestamp":"2024-02-01T12:00:00Z","version":1,"statements":[]}"#;
        assert!(err(Document::from_json(once)).contains("statements: is empty"));
    }

    #[test]
    fn no_input_makes_the_reader_panic_or_accept_an_invalid_document() {
        // Replace every field of the base document, at every depth, by
        // values of every JSON type: each result is a valid document that
        // reads back equal, or an error about the OpenVEX document.
        fn paths(value: &Value, at: String, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => map.iter().for_each(|(k, v)| {
                    let path = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    out.push(path.clone());
                    paths(v, path, out);
                }),
                Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
                    let path = format!("{at}/{i}");
                    out.push(path.clone());
                    paths(v, path, out);
                }),
                _ => {}
            }
        }
        let mut all = Vec::new();
        paths(&base(), String::new(), &mut all);
        assert!(all.len() >= 40, "every field of the base: {}", all.len());
        let replacements = [
            json!(null),
            json!(0),
            json!(-1),
            json!(1.5),
            json!(""),
            json!("x"),
            json!(true),
            json!([]),
            json!([null]),
            json!({}),
        ];
        let (mut accepted, mut refused) = (0, 0);
        for path in &all {
            for replacement in &replacements {
                let mut value = base();
                if let Some(slot) = value.pointer_mut(path) {
                    *slot = replacement.clone();
                }
                match Document::from_predicate(&value) {
                    Ok(doc) => {
                        accepted += 1;
                        assert_eq!(Document::from_json(&doc.to_json()).unwrap(), doc, "{path}");
                    }
                    Err(e) => {
                        refused += 1;
                        assert!(
                            e.to_string().starts_with("invalid OpenVEX document: "),
                            "{path}: {e}"
                        );
                    }
                }
            }
        }
        assert!(
            accepted > 0 && refused > 0,
            "{accepted} accepted, {refused} refused"
        );
    }

    #[test]
    fn labels_read_and_print_as_the_spec_spells_them() {
        for status in Status::ALL {
            assert_eq!(status.to_string().parse::<Status>().unwrap(), status);
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        for justification in Justification::ALL {
            assert_eq!(
                justification.to_string().parse::<Justification>().unwrap(),
                justification
            );
            assert_eq!(
                serde_json::to_value(justification).unwrap(),
                justification.as_str()
            );
        }
        assert_eq!(Status::NotAffected.to_string(), "not_affected");
        assert_eq!(
            Justification::VulnerableCodeCannotBeControlledByAdversary.to_string(),
            "vulnerable_code_cannot_be_controlled_by_adversary"
        );
        assert_eq!(
            err("NotAffected".parse::<Status>()),
            "invalid VEX status: unknown status \"NotAffected\" (expected one of: \
             not_affected, affected, fixed, under_investigation)"
        );
        let e = err("code_not_reachable".parse::<Justification>());
        assert!(
            e.contains("unknown justification \"code_not_reachable\""),
            "{e}"
        );
        assert!(
            Justification::ALL.iter().all(|j| e.contains(j.as_str())),
            "{e}"
        );
    }

    #[test]
    fn both_predicate_types_are_openvex() {
        assert!(is_predicate_type("https://openvex.dev/ns/v0.2.0"));
        assert!(is_predicate_type("https://openvex.dev/ns"));
        assert!(!is_predicate_type("https://openvex.dev/ns/"));
        assert!(!is_predicate_type("https://cyclonedx.org/bom/v1.6"));
        let predicate: Value = serde_json::from_str(SPEC_MINIMAL).unwrap();
        assert_eq!(
            Document::from_predicate(&predicate).unwrap(),
            Document::from_json(SPEC_MINIMAL.as_bytes()).unwrap()
        );
    }

    /// The product a CycloneDX VEX in these tests is about.
    const SUBJECT: &str = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    /// A CycloneDX 1.6 VEX BOM as a supplier would publish it: the image and
    /// its components with bom-refs (one nested, one without a purl, a
    /// service), and one analysed vulnerability per state, plus a finding
    /// without analysis and an analysis without a state.
    fn cyclonedx() -> Value {
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
            "version": 4,
            "metadata": {
                "timestamp": "2024-11-02T10:00:00Z",
                "component": {
                    "type": "container",
                    "bom-ref": "shop-image",
                    "name": "shop",
                    "version": "1.4.0",
                    "purl": "pkg:oci/shop@sha256%3A2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
                }
            },
            "components": [
                {
                    "type": "application",
                    "bom-ref": "shop-server",
                    "name": "shop-server",
                    "purl": "pkg:cargo/shop-server@1.4.0",
                    "components": [
                        {"type": "library", "bom-ref": "time-0.1.43", "name": "time", "version": "0.1.43", "purl": "pkg:cargo/time@0.1.43"},
                        {"type": "library", "bom-ref": "libc-0.2.150", "name": "libc", "version": "0.2.150", "purl": "pkg:cargo/libc@0.2.150"}
                    ]
                },
                {"type": "library", "bom-ref": "semver-7.5.1", "name": "semver", "version": "7.5.1", "purl": "pkg:npm/semver@7.5.1"},
                {"type": "library", "bom-ref": "vendored-zlib", "name": "zlib", "version": "1.2.13"}
            ],
            "services": [{"bom-ref": "payments-api", "name": "payments"}],
            "vulnerabilities": [
                {
                    "bom-ref": "v-time",
                    "id": "CVE-2020-26235",
                    "source": {"name": "NVD", "url": "https://nvd.nist.gov/vuln/detail/CVE-2020-26235"},
                    "references": [
                        {"id": "RUSTSEC-2020-0071", "source": {"name": "RustSec", "url": "https://rustsec.org/advisories/RUSTSEC-2020-0071"}},
                        {"id": "GHSA-wcg3-cvx6-7396", "source": {"name": "GitHub", "url": "https://github.com/advisories/GHSA-wcg3-cvx6-7396"}}
                    ],
                    "ratings": [{"severity": "medium", "method": "CVSSv31", "score": 6.2}],
                    "published": "2020-11-22T00:00:00Z",
                    "analysis": {
                        "state": "not_affected",
                        "justification": "code_not_reachable",
                        "response": ["will_not_fix"],
                        "detail": "shop-server never calls the local-offset functions.",
                        "firstIssued": "2024-10-01T08:00:00Z",
                        "lastUpdated": "2024-10-20T08:00:00Z"
                    },
                    "affects": [{"ref": "time-0.1.43"}, {"ref": "time-0.1.43", "versions": [{"version": "0.1.43", "status": "affected"}]}]
                },
                {
                    "id": "CVE-2023-99001",
                    "analysis": {"state": "false_positive", "detail": "The scanner matched the libc crate to glibc."},
                    "updated": "2024-09-01T00:00:00+02:00",
                    "published": "2024-08-01T00:00:00Z",
                    "affects": [{"ref": "libc-0.2.150"}]
                },
                {
                    "id": "CVE-2022-25883",
                    "published": "2023-06-21T05:15:00Z",
                    "analysis": {"state": "resolved"},
                    "affects": [{"ref": "semver-7.5.1"}]
                },
                {
                    "id": "CVE-2022-37434",
                    "analysis": {"state": "resolved_with_pedigree", "justification": "code_not_present"},
                    "affects": [{"ref": "vendored-zlib"}]
                },
                {
                    "id": "CVE-2024-24576",
                    "recommendation": "Upgrade to shop 1.4.1.",
                    "workaround": "Do not pass user input to batch files.",
                    "analysis": {"state": "exploitable", "response": ["update", "workaround_available"], "lastUpdated": "2024-11-01T12:00:00Z"},
                    "affects": [{"ref": "shop-image"}, {"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/3#shop-image"}]
                },
                {
                    "id": "CVE-2024-3094",
                    "analysis": {"state": "in_triage", "firstIssued": "2024-03-30T00:00:00Z"},
                    "affects": [{"ref": "payments-api"}]
                },
                {
                    "id": "CVE-2019-10160",
                    "ratings": [{"severity": "critical"}],
                    "affects": [{"ref": "shop-server"}]
                },
                {
                    "id": "CVE-2019-9999",
                    "analysis": {"justification": "code_not_present"},
                    "affects": [{"ref": "shop-server"}]
                }
            ]
        })
    }

    #[test]
    fn cyclonedx_vex_maps_to_openvex_statements() {
        let statements = from_cyclonedx(&cyclonedx(), SUBJECT).unwrap();
        let ids: Vec<&str> = statements
            .iter()
            .map(|s| s.vulnerability.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "CVE-2020-26235",
                "CVE-2023-99001",
                "CVE-2022-25883",
                "CVE-2022-37434",
                "CVE-2024-24576",
                "CVE-2024-3094"
            ],
            "the finding without analysis and the analysis without state are no statements"
        );
        let product = |ids: &[&str]| {
            vec![Product {
                id: SUBJECT.into(),
                subcomponents: ids.iter().map(|id| id.to_string()).collect(),
            }]
        };

        let time = &statements[0];
        assert_eq!(time.status, Status::NotAffected);
        assert_eq!(
            time.justification,
            Some(Justification::VulnerableCodeNotInExecutePath)
        );
        assert_eq!(time.aliases, ["RUSTSEC-2020-0071", "GHSA-wcg3-cvx6-7396"]);
        assert_eq!(
            time.products,
            product(&["pkg:cargo/time@0.1.43"]),
            "nested ref, once"
        );
        assert_eq!(
            time.impact_statement.as_deref(),
            Some("shop-server never calls the local-offset functions.")
        );
        assert_eq!(
            time.action_statement.as_deref(),
            Some("response: will_not_fix")
        );
        assert_eq!(
            time.status_notes.as_deref(),
            Some("CycloneDX analysis state not_affected, justification code_not_reachable")
        );
        assert_eq!(
            time.timestamp,
            ts("2024-10-20T08:00:00Z"),
            "lastUpdated first"
        );

        let libc = &statements[1];
        assert_eq!(libc.status, Status::NotAffected);
        assert_eq!(libc.justification, None);
        assert_eq!(
            libc.impact_statement.as_deref(),
            Some("The scanner matched the libc crate to glibc.")
        );
        assert_eq!(libc.products, product(&["pkg:cargo/libc@0.2.150"]));
        assert_eq!(
            libc.timestamp,
            ts("2024-08-31T22:00:00Z"),
            "updated before published"
        );

        let semver = &statements[2];
        assert_eq!(semver.status, Status::Fixed);
        assert_eq!(semver.products, product(&["pkg:npm/semver@7.5.1"]));
        assert_eq!(semver.timestamp, ts("2023-06-21T05:15:00Z"), "published");
        assert_eq!(semver.action_statement, None);

        let zlib = &statements[3];
        assert_eq!(zlib.status, Status::Fixed);
        assert_eq!(
            zlib.justification, None,
            "OpenVEX allows one only with not_affected"
        );
        assert_eq!(
            zlib.status_notes.as_deref(),
            Some("CycloneDX analysis state resolved_with_pedigree, justification code_not_present")
        );
        assert_eq!(
            zlib.products,
            product(&["vendored-zlib"]),
            "no purl: the ref itself"
        );
        assert_eq!(
            zlib.timestamp,
            ts("2024-11-02T10:00:00Z"),
            "metadata.timestamp"
        );

        let exploitable = &statements[4];
        assert_eq!(exploitable.status, Status::Affected);
        assert_eq!(
            exploitable.action_statement.as_deref(),
            Some(
                "response: update, workaround_available; recommendation: Upgrade to shop 1.4.1.; \
                 workaround: Do not pass user input to batch files."
            )
        );
        assert_eq!(
            exploitable.products,
            product(&[
                "pkg:oci/shop@sha256%3A2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/3#shop-image",
            ]),
            "metadata.component resolved; a BOM-Link kept as it is"
        );

        let triage = &statements[5];
        assert_eq!(triage.status, Status::UnderInvestigation);
        assert_eq!(
            triage.products,
            product(&["payments-api"]),
            "a service has no purl"
        );
        assert_eq!(triage.timestamp, ts("2024-03-30T00:00:00Z"), "firstIssued");

        // Such statements make an OpenVEX document as they are.
        let doc = Document::new(
            "sec@example.com".into(),
            ts("2024-11-02T10:00:00Z"),
            statements,
        )
        .unwrap();
        assert_eq!(Document::from_json(&doc.to_json()).unwrap(), doc);

        // A BOM without vulnerabilities has no statements.
        let mut sbom = cyclonedx();
        sbom.as_object_mut().unwrap().remove("vulnerabilities");
        assert_eq!(from_cyclonedx(&sbom, SUBJECT).unwrap(), []);
    }

    #[test]
    fn every_cyclonedx_justification_has_its_openvex_counterpart() {
        use Justification::*;
        for (cyclonedx_label, expected) in [
            ("code_not_present", VulnerableCodeNotPresent),
            ("code_not_reachable", VulnerableCodeNotInExecutePath),
            (
                "requires_configuration",
                VulnerableCodeCannotBeControlledByAdversary,
            ),
            (
                "requires_dependency",
                VulnerableCodeCannotBeControlledByAdversary,
            ),
            (
                "requires_environment",
                VulnerableCodeCannotBeControlledByAdversary,
            ),
            ("protected_by_compiler", InlineMitigationsAlreadyExist),
            ("protected_at_runtime", InlineMitigationsAlreadyExist),
            ("protected_at_perimeter", InlineMitigationsAlreadyExist),
            (
                "protected_by_mitigating_control",
                InlineMitigationsAlreadyExist,
            ),
        ] {
            let mut bom = cyclonedx();
            bom["vulnerabilities"][0]["analysis"]["justification"] = json!(cyclonedx_label);
            let statements = from_cyclonedx(&bom, SUBJECT).unwrap();
            assert_eq!(
                statements[0].justification,
                Some(expected),
                "{cyclonedx_label}"
            );
        }
    }

    #[test]
    fn bad_cyclonedx_vex_is_refused_naming_the_field() {
        type Edit = fn(&mut Value);
        let cases: &[(Edit, &str)] = &[
            (
                |v| {
                    let a = v["vulnerabilities"][0]["analysis"].as_object_mut().unwrap();
                    a.remove("justification");
                    a.remove("detail");
                },
                "vulnerabilities[0]: analysis state not_affected needs a justification or a detail",
            ),
            (
                |v| v["vulnerabilities"][1]["analysis"]["detail"] = json!(" "),
                "vulnerabilities[1]: analysis state false_positive needs a justification or a detail",
            ),
            (
                |v| v["vulnerabilities"][2]["analysis"]["state"] = json!("wont_fix"),
                "vulnerabilities[2].analysis.state: unknown analysis state \"wont_fix\" (expected \
                 one of: not_affected, false_positive, resolved, resolved_with_pedigree, \
                 exploitable, in_triage)",
            ),
            (
                |v| v["vulnerabilities"][0]["analysis"]["justification"] = json!("vulnerable_code_not_present"),
                "vulnerabilities[0].analysis.justification: unknown justification \
                 \"vulnerable_code_not_present\" (expected one of: code_not_present, \
                 code_not_reachable, requires_configuration, requires_dependency, \
                 requires_environment, protected_by_compiler, protected_at_runtime, \
                 protected_at_perimeter, protected_by_mitigating_control)",
            ),
            (
                |v| v["vulnerabilities"][4]["analysis"]["response"] = json!(["update", "ignore"]),
                "vulnerabilities[4].analysis.response[1]: unknown response \"ignore\"",
            ),
            (
                |v| {
                    v["metadata"].as_object_mut().unwrap().remove("timestamp");
                },
                "vulnerabilities[3]: has no timestamp: none of analysis.lastUpdated, \
                 analysis.firstIssued, updated, published or metadata.timestamp is set",
            ),
            (
                |v| v["vulnerabilities"][0]["analysis"]["lastUpdated"] = json!("last week"),
                "vulnerabilities[0].analysis.lastUpdated: \"last week\" is not an RFC 3339 date-time",
            ),
            (
                |v| v["metadata"]["timestamp"] = json!("2024-11-02"),
                "metadata.timestamp: \"2024-11-02\" is not an RFC 3339 date-time",
            ),
            (
                |v| {
                    v["vulnerabilities"][2].as_object_mut().unwrap().remove("id");
                },
                "vulnerabilities[2].id: is missing or empty",
            ),
            (
                |v| {
                    v["vulnerabilities"][2].as_object_mut().unwrap().remove("affects");
                },
                "vulnerabilities[2].affects: is missing or empty: a VEX statement needs a product",
            ),
            (
                |v| v["vulnerabilities"][2]["affects"] = json!([{"versions": []}]),
                "vulnerabilities[2].affects[0].ref: is missing",
            ),
            (
                |v| v["vulnerabilities"][0]["references"] = json!([{"source": {"name": "NVD"}}]),
                "vulnerabilities[0].references[0].id: is missing",
            ),
            (
                |v| v["vulnerabilities"][3]["analysis"] = json!("resolved"),
                "vulnerabilities[3].analysis: must be a JSON object",
            ),
            (|v| v["vulnerabilities"] = json!({}), "vulnerabilities: must be an array"),
            (|v| v["bomFormat"] = json!("SPDX"), "bomFormat: is \"SPDX\", expected \"CycloneDX\""),
            (
                |v| v["specVersion"] = json!("1.3"),
                "specVersion: is \"1.3\": VEX needs CycloneDX 1.4 or later",
            ),
            (
                |v| v["specVersion"] = json!("2"),
                "specVersion: is \"2\": VEX needs CycloneDX 1.4 or later",
            ),
            (|v| *v = json!("bom"), "invalid CycloneDX VEX: must be a JSON object"),
        ];
        from_cyclonedx(&cyclonedx(), SUBJECT).unwrap();
        for (i, (edit, expected)) in cases.iter().enumerate() {
            let mut bom = cyclonedx();
            edit(&mut bom);
            let e = err(from_cyclonedx(&bom, SUBJECT));
            assert!(e.starts_with("invalid CycloneDX VEX: "), "case {i}: {e}");
            assert!(
                e.contains(expected),
                "case {i}: expected {expected:?} in {e:?}"
            );
        }
        // Control: 1.4 and 1.5 BOMs carry VEX too, and a later 1.x is read.
        for version in ["1.4", "1.5", "1.7"] {
            let mut bom = cyclonedx();
            bom["specVersion"] = json!(version);
            assert_eq!(from_cyclonedx(&bom, SUBJECT).unwrap().len(), 6, "{version}");
        }
    }
}
