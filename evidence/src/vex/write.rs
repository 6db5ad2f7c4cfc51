//! The OpenVEX JSON vouch writes ([`Document::to_json`]), and the
//! content-derived `@id` of the documents it makes
//! ([`Document::derive_id`]).

use serde::Serialize;
use serde_json::Value;

use super::{Document, Justification, Status, OPENVEX_CONTEXT};

/// Where the `@id` of a document made by [`Document::new`] lives; the rest
/// is the SHA-256 of the document's content (see [`Document::derive_id`]).
const ID_PREFIX: &str = "https://vouch.dev/vex/";

impl Document {
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
#[path = "write_tests.rs"]
mod tests;
