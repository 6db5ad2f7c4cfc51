//! OpenVEX documents: [`Document`], read from the wire shapes of
//! [`super::wire`] and validated, or built by `vouch vex create`.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::wire::{self, Object, OrString};
use super::{check_statement, invalid, read, text, Product, Statement, Status};
use super::{OPENVEX_CONTEXT, OPENVEX_PREDICATE_TYPE_UNVERSIONED};
use crate::{Error, Result};

/// What an OpenVEX error is about, as [`Error::Invalid`] prints it.
pub(super) const OPENVEX: &str = "OpenVEX document";

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
        let Object(wire) = read::<Object<wire::Document>>(predicate, OPENVEX, "")?;
        Document::try_from(wire)
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

impl TryFrom<wire::Document> for Document {
    type Error = Error;

    /// Checks what the shape cannot say: the required fields, the
    /// context, the version, and then every rule of [`Document::validate`].
    fn try_from(wire: wire::Document) -> Result<Document> {
        let missing = |path: &str| invalid(OPENVEX, path, "is missing");
        let legacy = legacy_context(wire.context.as_deref().ok_or_else(|| missing("@context"))?)?;
        let id = wire.id.ok_or_else(|| missing("@id"))?;
        let author = wire.author.ok_or_else(|| missing("author"))?;
        let timestamp = wire.timestamp.ok_or_else(|| missing("timestamp"))?.0;
        let version = match wire.version.ok_or_else(|| missing("version"))? {
            wire::Version::Number(n) => Some(n),
            // Pre-0.2 writers spelt the version as a string.
            wire::Version::Text(v) if legacy => v.parse().ok(),
            wire::Version::Text(_) => None,
        }
        .ok_or_else(|| invalid(OPENVEX, "version", wire::BAD_VERSION))?;
        let statements = wire
            .statements
            .ok_or_else(|| missing("statements"))?
            .into_iter()
            .enumerate()
            .map(|(i, Object(s))| statement(s, &format!("statements[{i}]"), legacy, timestamp))
            .collect::<Result<Vec<_>>>()?;
        let document = Document {
            id,
            author,
            role: text(wire.role),
            timestamp,
            last_updated: wire.last_updated.map(|t| t.0),
            version,
            tooling: text(wire.tooling),
            statements,
        };
        document.validate()?;
        Ok(document)
    }
}

/// Checks `@context`; true when it is the unversioned context, under which
/// the pre-0.2 shapes are read too.
fn legacy_context(context: &str) -> Result<bool> {
    let rest = context.strip_prefix(OPENVEX_PREDICATE_TYPE_UNVERSIONED);
    let patch = rest.and_then(|r| r.strip_prefix("/v0.2."));
    match (rest, patch) {
        (Some(""), _) => Ok(true),
        (_, Some(n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => Ok(false),
        _ => Err(invalid(
            OPENVEX,
            "@context",
            &format!(
                "{context:?} is not an OpenVEX v0.2 context (expected {OPENVEX_CONTEXT}, a \
                 later v0.2.x, or {OPENVEX_PREDICATE_TYPE_UNVERSIONED})"
            ),
        )),
    }
}

/// Converts one statement at `path` (not yet validated: see
/// [`Document::validate`]).
fn statement(
    s: wire::Statement,
    path: &str,
    legacy: bool,
    document_time: Timestamp,
) -> Result<Statement> {
    let at = |field: &str| format!("{path}.{field}");
    let (vulnerability, aliases) = match s.vulnerability {
        None => return Err(invalid(OPENVEX, &at("vulnerability"), "is missing")),
        Some(OrString::String(name)) if legacy => (name, Vec::new()),
        Some(OrString::String(_)) => return Err(not_an_object(&at("vulnerability"))),
        Some(OrString::Object(v)) => (
            v.name.or(v.id).unwrap_or_default(),
            v.aliases.unwrap_or_default(),
        ),
    };
    let mut products = s
        .products
        .ok_or_else(|| invalid(OPENVEX, &at("products"), "is missing"))?
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let path = format!("{path}.products[{i}]");
            match p {
                OrString::String(id) if legacy => Ok(Product {
                    id,
                    subcomponents: Vec::new(),
                }),
                OrString::String(_) => Err(not_an_object(&path)),
                OrString::Object(p) => product(p, &path),
            }
        })
        .collect::<Result<Vec<_>>>()?;
    if legacy {
        // Before v0.2, subcomponents were listed once per statement.
        if let Some(shared) = &s.subcomponents {
            let shared: Vec<String> = read(shared, OPENVEX, &at("subcomponents"))?;
            for product in &mut products {
                product.subcomponents.extend(shared.iter().cloned());
            }
        }
    }
    Ok(Statement {
        vulnerability,
        aliases,
        products,
        status: s
            .status
            .ok_or_else(|| invalid(OPENVEX, &at("status"), "is missing"))?,
        justification: s.justification,
        impact_statement: text(s.impact_statement),
        action_statement: text(s.action_statement),
        status_notes: text(s.status_notes),
        timestamp: s.timestamp.map_or(document_time, |t| t.0),
    })
}

/// The error for a pre-0.2 plain string where v0.2 has an object.
fn not_an_object(path: &str) -> Error {
    invalid(OPENVEX, path, "must be a JSON object")
}

/// Converts a product and its subcomponents.
fn product(p: wire::Product, path: &str) -> Result<Product> {
    let subcomponents = p
        .subcomponents
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, Object(c))| {
            component_id(c.id, c.identifiers, &format!("{path}.subcomponents[{i}]"))
        })
        .collect::<Result<_>>()?;
    Ok(Product {
        id: component_id(p.id, p.identifiers, path)?,
        subcomponents,
    })
}

/// A component's identifier: its `@id`, else its `identifiers` `purl`,
/// `cpe23` or `cpe22`, the ones the spec defines. The schema requires one
/// of `@id` and `identifiers`.
fn component_id(
    id: Option<String>,
    identifiers: Option<Object<wire::Identifiers>>,
    path: &str,
) -> Result<String> {
    let identifiers = identifiers.map(|Object(i)| i);
    id.or_else(|| {
        let i = identifiers?;
        i.purl.or(i.cpe23).or(i.cpe22)
    })
    .ok_or_else(|| {
        invalid(
            OPENVEX,
            path,
            "has no @id and no identifiers (purl, cpe23 or cpe22)",
        )
    })
}

#[cfg(test)]
#[path = "openvex_tests.rs"]
mod tests;
