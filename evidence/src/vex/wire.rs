//! The JSON shapes VEX documents are read from, before validation: the
//! OpenVEX document as producers write it (v0.2, and the pre-0.2 shapes),
//! and the field types both formats share.
//!
//! Every field is optional here, so that a missing one is reported by the
//! conversion with its path (`statements[1].products: is missing`); `null`
//! counts as absent, as Go's `omitempty` writers mean it. Unknown fields
//! are ignored.

use std::fmt;
use std::marker::PhantomData;

use jiff::Timestamp;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use super::{Justification, Status};

/// A JSON object read as `T`. serde would also read a struct from an
/// array of its fields in order, a shape no VEX format has and other
/// readers refuse; this refuses it too, as "expected a JSON object".
pub(super) struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

/// Reads a JSON object, and nothing else, as `T`.
struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

/// A string or a JSON object read as `T`: the pre-0.2 OpenVEX shapes of a
/// vulnerability and a product were plain strings.
pub(super) enum OrString<T> {
    /// The plain-string form.
    String(String),
    /// The object form.
    Object(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrString<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OrStringVisitor(PhantomData))
    }
}

/// Reads a string, or a JSON object as `T`.
struct OrStringVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OrStringVisitor<T> {
    type Value = OrString<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(OrString::String(value.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        ObjectVisitor(PhantomData)
            .visit_map(map)
            .map(OrString::Object)
    }
}

/// An RFC 3339 date-time, as both formats write them; anything else is
/// refused naming the text: `"soon" is not an RFC 3339 date-time: …`.
pub(super) struct Time(pub Timestamp);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map(Time)
            .map_err(|e| de::Error::custom(format!("{text:?} is not an RFC 3339 date-time: {e}")))
    }
}

/// An OpenVEX document's `version`: an integer, or under the pre-0.2
/// context a string holding one (which is all those writers wrote).
pub(super) enum Version {
    /// A JSON integer, not negative.
    Number(u64),
    /// A JSON string, to be read under the pre-0.2 context only.
    Text(String),
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(VersionVisitor)
    }
}

/// The message of every `version` that is no integer of at least 1.
pub(super) const BAD_VERSION: &str = "must be an integer of at least 1";

struct VersionVisitor;

impl Visitor<'_> for VersionVisitor {
    type Value = Version;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer of at least 1")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Version, E> {
        Ok(Version::Number(value))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Version, E> {
        Err(de::Error::custom(BAD_VERSION))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Version, E> {
        Err(de::Error::custom(BAD_VERSION))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Version, E> {
        Ok(Version::Text(value.to_string()))
    }
}

/// An OpenVEX document (OPENVEX-SPEC.md v0.2.0, "Document").
#[derive(serde::Deserialize)]
pub(super) struct Document {
    #[serde(rename = "@context")]
    pub context: Option<String>,
    #[serde(rename = "@id")]
    pub id: Option<String>,
    pub author: Option<String>,
    pub role: Option<String>,
    pub timestamp: Option<Time>,
    pub last_updated: Option<Time>,
    pub version: Option<Version>,
    pub tooling: Option<String>,
    pub statements: Option<Vec<Object<Statement>>>,
}

/// One statement ("Statement"); `subcomponents` is the pre-0.2
/// statement-level list, read (and type-checked) only under that context.
#[derive(serde::Deserialize)]
pub(super) struct Statement {
    pub vulnerability: Option<OrString<Vulnerability>>,
    pub products: Option<Vec<OrString<Product>>>,
    pub subcomponents: Option<serde_json::Value>,
    pub status: Option<Status>,
    pub justification: Option<Justification>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
    pub status_notes: Option<String>,
    pub timestamp: Option<Time>,
    /// Not kept, but a timestamp: checked.
    #[serde(rename = "last_updated")]
    _last_updated: Option<Time>,
    /// Not kept, but a timestamp: checked.
    #[serde(rename = "action_statement_timestamp")]
    _action_statement_timestamp: Option<Time>,
}

/// A statement's vulnerability ("Vulnerability").
#[derive(serde::Deserialize)]
pub(super) struct Vulnerability {
    pub name: Option<String>,
    #[serde(rename = "@id")]
    pub id: Option<String>,
    pub aliases: Option<Vec<String>>,
}

/// A product, with the subcomponents in it ("Product").
#[derive(serde::Deserialize)]
pub(super) struct Product {
    #[serde(rename = "@id")]
    pub id: Option<String>,
    pub identifiers: Option<Object<Identifiers>>,
    pub subcomponents: Option<Vec<Object<Component>>>,
}

/// A subcomponent ("Subcomponent"): identified as a product is.
#[derive(serde::Deserialize)]
pub(super) struct Component {
    #[serde(rename = "@id")]
    pub id: Option<String>,
    pub identifiers: Option<Object<Identifiers>>,
}

/// The identifiers the spec defines for a component.
#[derive(serde::Deserialize)]
pub(super) struct Identifiers {
    pub purl: Option<String>,
    pub cpe23: Option<String>,
    pub cpe22: Option<String>,
}
