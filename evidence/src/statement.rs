//! in-toto Statement v1 with ResourceDescriptor and DigestSet.
//!
//! A [`Statement`] can only be built by validation, so one in hand has the
//! right `_type`, at least one subject, and well-formed digests. The
//! predicate stays untyped JSON here, with its type URI kept beside it;
//! typed predicates are layered on top.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::DigestSet;
use crate::{Error, Result};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of the older Statement v0.1, still written by cosign `attest`.
/// It is read, never written.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceDescriptorWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    download_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    annotations: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An in-toto ResourceDescriptor: a subject, a dependency, a byproduct.
///
/// At least one of `uri`, `digest` or `content` is present, as the spec
/// requires; a digest, when present, is a valid [`DigestSet`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ResourceDescriptorWire", into = "ResourceDescriptorWire")]
pub struct ResourceDescriptor {
    /// A name for the resource, such as a file path or a purl.
    pub name: Option<String>,
    /// Where the resource comes from.
    pub uri: Option<String>,
    /// The resource's digests.
    pub digest: Option<DigestSet>,
    /// The resource's content, base64 as on the wire.
    pub content: Option<String>,
    /// Where the resource can be downloaded.
    pub download_location: Option<String>,
    /// The resource's media type.
    pub media_type: Option<String>,
    /// Free-form annotations.
    pub annotations: serde_json::Map<String, serde_json::Value>,
}

impl ResourceDescriptor {
    /// A descriptor with a name and a digest: the shape of a subject.
    pub fn named(name: impl Into<String>, digest: DigestSet) -> Self {
        ResourceDescriptor {
            name: Some(name.into()),
            uri: None,
            digest: Some(digest),
            content: None,
            download_location: None,
            media_type: None,
            annotations: serde_json::Map::new(),
        }
    }
}

impl TryFrom<ResourceDescriptorWire> for ResourceDescriptor {
    type Error = Error;

    fn try_from(w: ResourceDescriptorWire) -> Result<Self> {
        if w.uri.is_none() && w.digest.is_none() && w.content.is_none() {
            return Err(Error::invalid(
                "resource descriptor",
                "needs at least one of `uri`, `digest` or `content`",
            ));
        }
        Ok(ResourceDescriptor {
            digest: w.digest.map(DigestSet::try_from).transpose()?,
            name: w.name,
            uri: w.uri,
            content: w.content,
            download_location: w.download_location,
            media_type: w.media_type,
            annotations: w.annotations.unwrap_or_default(),
        })
    }
}

impl From<ResourceDescriptor> for ResourceDescriptorWire {
    fn from(r: ResourceDescriptor) -> Self {
        ResourceDescriptorWire {
            name: r.name,
            uri: r.uri,
            digest: r.digest.map(Into::into),
            content: r.content,
            download_location: r.download_location,
            media_type: r.media_type,
            annotations: (!r.annotations.is_empty()).then_some(r.annotations),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StatementWire {
    #[serde(rename = "_type")]
    type_: String,
    subject: Vec<ResourceDescriptorWire>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    predicate: Option<serde_json::Value>,
}

/// A validated in-toto statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StatementWire", into = "StatementWire")]
pub struct Statement {
    type_: String,
    subjects: Vec<ResourceDescriptor>,
    predicate_type: String,
    predicate: Option<serde_json::Value>,
}

impl TryFrom<StatementWire> for Statement {
    type Error = Error;

    fn try_from(w: StatementWire) -> Result<Self> {
        if w.type_ != STATEMENT_V1 && w.type_ != STATEMENT_V01 {
            return Err(Error::invalid(
                "in-toto statement `_type`",
                format!("is {:?}, expected {STATEMENT_V1:?}", w.type_),
            ));
        }
        if w.subject.is_empty() {
            return Err(Error::invalid("in-toto statement `subject`", "is empty"));
        }
        if w.predicate_type.is_empty() {
            return Err(Error::invalid(
                "in-toto statement `predicateType`",
                "is empty",
            ));
        }
        let subjects = w
            .subject
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let subject = ResourceDescriptor::try_from(s).map_err(|e| {
                    Error::invalid(format!("in-toto statement `subject[{i}]`"), e.to_string())
                })?;
                if subject.digest.is_none() {
                    return Err(Error::invalid(
                        format!("in-toto statement `subject[{i}]`"),
                        "has no digest",
                    ));
                }
                Ok(subject)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Statement {
            type_: w.type_,
            subjects,
            predicate_type: w.predicate_type,
            predicate: w.predicate,
        })
    }
}

impl From<Statement> for StatementWire {
    fn from(s: Statement) -> Self {
        StatementWire {
            type_: s.type_,
            subject: s.subjects.into_iter().map(Into::into).collect(),
            predicate_type: s.predicate_type,
            predicate: s.predicate,
        }
    }
}

impl Statement {
    /// A new v1 statement; fails if `subjects` is empty or lacks digests.
    pub fn new(
        subjects: Vec<ResourceDescriptor>,
        predicate_type: impl Into<String>,
        predicate: serde_json::Value,
    ) -> Result<Self> {
        StatementWire {
            type_: STATEMENT_V1.to_string(),
            subject: subjects.into_iter().map(Into::into).collect(),
            predicate_type: predicate_type.into(),
            predicate: Some(predicate),
        }
        .try_into()
    }

    /// Parses and validates a statement from JSON bytes. A repeated key
    /// anywhere in it is refused: signed bytes must read one way only.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        crate::json::check_unique_keys(bytes, "in-toto statement")?;
        serde_json::from_slice(bytes).map_err(|source| match source.classify() {
            // A validation error surfaces through serde as a data error;
            // keep its text, which already names the field.
            serde_json::error::Category::Data => {
                Error::invalid("in-toto statement", source.to_string())
            }
            _ => Error::Json {
                what: "in-toto statement",
                error: source,
            },
        })
    }

    /// The statement as compact JSON, the bytes that get signed.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The `_type` URI.
    pub fn statement_type(&self) -> &str {
        &self.type_
    }

    /// The subjects; never empty, each with a digest.
    pub fn subjects(&self) -> &[ResourceDescriptor] {
        &self.subjects
    }

    /// The predicate type URI.
    pub fn predicate_type(&self) -> &str {
        &self.predicate_type
    }

    /// The predicate, untyped.
    pub fn predicate(&self) -> Option<&serde_json::Value> {
        self.predicate.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha256;

    const CONFORMANCE_STATEMENT: &[u8] =
        include_bytes!("../../testdata/intoto/slsa-statement.json");

    #[test]
    fn regression_issue_5_duplicate_keys_in_a_signed_statement_are_refused() {
        let twice = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}}],"predicateType":"https://slsa.dev/provenance/v1","predicateType":"https://example.com/other","predicate":{}}"#;
        let err = Statement::from_json(twice).unwrap_err().to_string();
        assert!(err.contains("duplicate key \"predicateType\""), "{err}");
    }

    #[test]
    fn parses_the_conformance_statement_and_round_trips() {
        let st = Statement::from_json(CONFORMANCE_STATEMENT).unwrap();
        assert_eq!(st.predicate_type(), "https://slsa.dev/provenance/v1");
        assert_eq!(st.subjects()[0].name.as_deref(), Some("a.txt"));
        let again = Statement::from_json(&st.to_json()).unwrap();
        assert_eq!(again, st);
    }

    #[test]
    fn new_statement_is_v1() {
        let subject = ResourceDescriptor::named("x", DigestSet::from_sha256(sha256(b"x")));
        let st = Statement::new(
            vec![subject],
            "https://example.com/p",
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(st.statement_type(), STATEMENT_V1);
        assert!(Statement::new(vec![], "t", serde_json::json!({})).is_err());
    }

    #[test]
    fn invalid_statements_name_the_field() {
        let d = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        let cases = [
            (r#"{"_type":"https://in-toto.io/Statement/v9","subject":[{"name":"a","digest":{"sha256":"D"}}],"predicateType":"p"}"#.replace('D', d), "`_type`"),
            (r#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p"}"#.to_string(), "`subject`"),
            (r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","uri":"u"}],"predicateType":"p"}"#.to_string(), "has no digest"),
            (r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"ABC"}}],"predicateType":"p"}"#.to_string(), "sha256 digest"),
            (r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"D"}}],"predicateType":""}"#.replace('D', d), "`predicateType`"),
            (r#"{"_type":"https://in-toto.io/Statement/v1""#.to_string(), "malformed JSON"),
        ];
        for (json, needle) in cases {
            let err = Statement::from_json(json.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{json}: {err}");
        }
    }
}
