//! SLSA Provenance v1, the predicate `vouch attest` signs for an image.
//!
//! The wire shape (<https://slsa.dev/spec/v1.0/provenance>) is parsed
//! first and converted into [`Provenance`], which cannot hold a predicate
//! without a `buildType`, a `builder.id`, an object `externalParameters`, or
//! with an invalid resolved dependency. Unknown fields are kept out of the
//! validated type: consumers read only what the spec defines.

use serde::{Deserialize, Serialize};

use crate::statement::ResourceDescriptor;
use crate::{Error, Result};

/// The predicate type of SLSA Provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProvenanceWire {
    build_definition: BuildDefinitionWire,
    run_details: RunDetailsWire,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BuildDefinitionWire {
    build_type: String,
    external_parameters: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    internal_parameters: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    resolved_dependencies: Vec<ResourceDescriptor>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunDetailsWire {
    builder: BuilderWire,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<BuildMetadata>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    byproducts: Vec<ResourceDescriptor>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BuilderWire {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    builder_dependencies: Vec<ResourceDescriptor>,
}

/// `runDetails.metadata`: when and as what invocation the build ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildMetadata {
    /// Identifies this invocation (a CI run URL, or a generated id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// When the build started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<String>,
    /// When the build finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<String>,
}

/// A validated SLSA Provenance v1 predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ProvenanceWire", into = "ProvenanceWire")]
pub struct Provenance {
    build_type: String,
    external_parameters: serde_json::Map<String, serde_json::Value>,
    internal_parameters: Option<serde_json::Map<String, serde_json::Value>>,
    resolved_dependencies: Vec<ResourceDescriptor>,
    builder_id: String,
    metadata: Option<BuildMetadata>,
}

fn object(
    field: &str,
    value: serde_json::Value,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    match value {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(Error::invalid(
            format!("SLSA provenance `{field}`"),
            "must be a JSON object",
        )),
    }
}

impl TryFrom<ProvenanceWire> for Provenance {
    type Error = Error;

    fn try_from(w: ProvenanceWire) -> Result<Self> {
        let definition = w.build_definition;
        if definition.build_type.is_empty() {
            return Err(Error::invalid(
                "SLSA provenance `buildDefinition.buildType`",
                "is empty",
            ));
        }
        if w.run_details.builder.id.is_empty() {
            return Err(Error::invalid(
                "SLSA provenance `runDetails.builder.id`",
                "is empty",
            ));
        }
        Ok(Provenance {
            build_type: definition.build_type,
            external_parameters: object(
                "buildDefinition.externalParameters",
                definition.external_parameters,
            )?,
            internal_parameters: definition
                .internal_parameters
                .map(|v| object("buildDefinition.internalParameters", v))
                .transpose()?,
            resolved_dependencies: definition.resolved_dependencies,
            builder_id: w.run_details.builder.id,
            metadata: w.run_details.metadata,
        })
    }
}

impl From<Provenance> for ProvenanceWire {
    fn from(p: Provenance) -> Self {
        ProvenanceWire {
            build_definition: BuildDefinitionWire {
                build_type: p.build_type,
                external_parameters: serde_json::Value::Object(p.external_parameters),
                internal_parameters: p.internal_parameters.map(serde_json::Value::Object),
                resolved_dependencies: p.resolved_dependencies,
            },
            run_details: RunDetailsWire {
                builder: BuilderWire {
                    id: p.builder_id,
                    version: None,
                    builder_dependencies: Vec::new(),
                },
                metadata: p.metadata,
                byproducts: Vec::new(),
            },
        }
    }
}

impl Provenance {
    /// A new predicate; fails on an empty `build_type` or `builder_id`.
    pub fn new(
        build_type: impl Into<String>,
        external_parameters: serde_json::Map<String, serde_json::Value>,
        internal_parameters: Option<serde_json::Map<String, serde_json::Value>>,
        resolved_dependencies: Vec<ResourceDescriptor>,
        builder_id: impl Into<String>,
        metadata: Option<BuildMetadata>,
    ) -> Result<Self> {
        ProvenanceWire {
            build_definition: BuildDefinitionWire {
                build_type: build_type.into(),
                external_parameters: serde_json::Value::Object(external_parameters),
                internal_parameters: internal_parameters.map(serde_json::Value::Object),
                resolved_dependencies,
            },
            run_details: RunDetailsWire {
                builder: BuilderWire {
                    id: builder_id.into(),
                    version: None,
                    builder_dependencies: Vec::new(),
                },
                metadata,
                byproducts: Vec::new(),
            },
        }
        .try_into()
    }

    /// Parses and validates the predicate of a statement.
    pub fn from_predicate(predicate: &serde_json::Value) -> Result<Self> {
        Provenance::deserialize(predicate)
            .map_err(|e| Error::invalid("SLSA provenance predicate", e.to_string()))
    }

    /// The predicate as JSON, for a [`crate::statement::Statement`].
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// `buildDefinition.buildType`: the URI saying how to read the rest.
    pub fn build_type(&self) -> &str {
        &self.build_type
    }

    /// `buildDefinition.externalParameters`.
    pub fn external_parameters(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.external_parameters
    }

    /// `buildDefinition.internalParameters`, if any.
    pub fn internal_parameters(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.internal_parameters.as_ref()
    }

    /// `buildDefinition.resolvedDependencies`: for vouch, every vendored
    /// input with its observed digest and annotations.
    pub fn resolved_dependencies(&self) -> &[ResourceDescriptor] {
        &self.resolved_dependencies
    }

    /// `runDetails.builder.id`.
    pub fn builder_id(&self) -> &str {
        &self.builder_id
    }

    /// `runDetails.metadata`, if any.
    pub fn metadata(&self) -> Option<&BuildMetadata> {
        self.metadata.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statement::Statement;

    const CONFORMANCE_STATEMENT: &[u8] =
        include_bytes!("../../testdata/intoto/slsa-statement.json");

    #[test]
    fn round_trips_and_keeps_what_the_spec_defines() {
        let p = Provenance::new(
            "https://example.com/build/v1",
            serde_json::json!({"source": {"uri": "git+https://example.com/r"}})
                .as_object()
                .cloned()
                .unwrap(),
            None,
            vec![ResourceDescriptor {
                name: Some("zlib".into()),
                uri: Some("https://zlib.net".into()),
                digest: None,
                content: None,
                download_location: None,
                media_type: None,
                annotations: serde_json::Map::new(),
            }],
            "https://example.com/builder",
            Some(BuildMetadata {
                invocation_id: Some("run-1".into()),
                started_on: Some("2026-01-01T00:00:00Z".into()),
                finished_on: None,
            }),
        )
        .unwrap();
        let back = Provenance::from_predicate(&p.to_value()).unwrap();
        assert_eq!(back, p);
        assert_eq!(
            back.resolved_dependencies()[0].name.as_deref(),
            Some("zlib")
        );
        assert_eq!(
            back.metadata().unwrap().invocation_id.as_deref(),
            Some("run-1")
        );
    }

    #[test]
    fn reads_a_predicate_written_by_others() {
        let st = Statement::from_json(CONFORMANCE_STATEMENT).unwrap();
        let p = Provenance::from_predicate(st.predicate().unwrap()).unwrap();
        assert!(!p.build_type().is_empty());
        assert!(!p.builder_id().is_empty());
    }

    #[test]
    fn invalid_predicates_name_the_field() {
        let base = serde_json::json!({
            "buildDefinition": {"buildType": "t", "externalParameters": {}},
            "runDetails": {"builder": {"id": "b"}}
        });
        assert!(Provenance::from_predicate(&base).is_ok());
        for (pointer, value, needle) in [
            (
                "/buildDefinition/buildType",
                serde_json::json!(""),
                "buildType",
            ),
            (
                "/runDetails/builder/id",
                serde_json::json!(""),
                "builder.id",
            ),
            (
                "/buildDefinition/externalParameters",
                serde_json::json!([1]),
                "externalParameters",
            ),
            (
                "/buildDefinition/resolvedDependencies",
                serde_json::json!([{"name": "x"}]),
                "at least one of",
            ),
        ] {
            let mut bad = base.clone();
            match bad.pointer_mut(pointer) {
                Some(slot) => *slot = value,
                None => {
                    bad["buildDefinition"]["resolvedDependencies"] = value;
                }
            }
            let err = Provenance::from_predicate(&bad).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
    }
}
