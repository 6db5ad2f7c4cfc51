//! The JSON shapes of OSV records, as the schema writes them. Lists may
//! be `null`.

use serde::{Deserialize, Deserializer};

use super::RangeKind;

fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Deserialize)]
pub(super) struct Record {
    pub id: String,
    pub modified: String,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub aliases: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub upstream: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub severity: Vec<Severity>,
    #[serde(default, deserialize_with = "nullable")]
    pub affected: Vec<Affected>,
    #[serde(default, deserialize_with = "nullable")]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub database_specific: Option<DatabaseSpecific>,
}

#[derive(Deserialize)]
pub(super) struct Severity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// Only the GHSA severity word is read; its type is not fixed across
/// databases, so it is kept as a value and used only when a string.
#[derive(Deserialize)]
pub(super) struct DatabaseSpecific {
    #[serde(default)]
    pub severity: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub(super) struct Affected {
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default, deserialize_with = "nullable")]
    pub severity: Vec<Severity>,
    #[serde(default, deserialize_with = "nullable")]
    pub ranges: Vec<Range>,
    #[serde(default, deserialize_with = "nullable")]
    pub versions: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct Package {
    pub ecosystem: String,
    pub name: String,
    #[serde(default)]
    pub purl: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Range {
    #[serde(rename = "type")]
    pub kind: RangeKind,
    #[serde(default)]
    pub repo: Option<String>,
    pub events: Vec<Event>,
    /// Free-form by the schema: kept as a value and read leniently.
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
pub(super) struct Event {
    #[serde(default)]
    pub introduced: Option<String>,
    #[serde(default)]
    pub fixed: Option<String>,
    #[serde(default)]
    pub last_affected: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Reference {
    pub url: String,
}
