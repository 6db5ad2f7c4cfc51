//! CycloneDX 1.6 JSON: the subset of the BOM format vouch writes.
//!
//! The `cyclonedx-bom` crate (0.8, the newest) writes specs 1.3 to 1.5
//! only, so these are our own serde types, covering exactly what vouch
//! emits: metadata (timestamp, tool, the subject), components with their
//! purls, hashes, licences, external references, properties and patches,
//! and the dependency graph.
//!
//! A [`Bom`] is built by [`Bom::new`], which checks what the JSON schema
//! cannot: every `bom-ref` is unique, and the dependency graph names only
//! refs that exist, each once. The field values themselves (purls, licence
//! expressions) are the caller's to validate.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::{Error, Result};

/// The in-toto predicate type of a CycloneDX 1.6 BOM.
pub const CYCLONEDX_PREDICATE_TYPE: &str = "https://cyclonedx.org/bom/v1.6";

/// The `specVersion` vouch writes.
pub const SPEC_VERSION: &str = "1.6";

/// A CycloneDX BOM, valid by construction (see [`Bom::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
}

impl Bom {
    /// A BOM, version 1, with `serial_number` (`urn:uuid:<lowercase
    /// uuid>`, as the schema's pattern requires).
    ///
    /// Refused: a malformed serial number, a `bom-ref` used twice (by the
    /// metadata component or the components), a dependency entry for a ref
    /// that does not exist or given twice, and a `dependsOn` naming a ref
    /// that does not exist. Consumers resolve the graph by these refs, so a
    /// dangling or ambiguous one would silently lose an edge.
    pub fn new(
        serial_number: String,
        metadata: Metadata,
        components: Vec<Component>,
        dependencies: Vec<Dependency>,
    ) -> Result<Self> {
        check_serial_number(&serial_number)?;
        let mut refs = BTreeSet::new();
        for bom_ref in metadata
            .component
            .iter()
            .chain(&components)
            .filter_map(|c| c.bom_ref.as_deref())
        {
            if !refs.insert(bom_ref) {
                return Err(Error::invalid(
                    format!("CycloneDX bom-ref {bom_ref:?}"),
                    "is used by two components",
                ));
            }
        }
        let mut listed = BTreeSet::new();
        for dependency in &dependencies {
            let what = || format!("CycloneDX dependency {:?}", dependency.reference);
            if !refs.contains(dependency.reference.as_str()) {
                return Err(Error::invalid(what(), "names no component"));
            }
            if !listed.insert(dependency.reference.as_str()) {
                return Err(Error::invalid(what(), "is listed twice"));
            }
            if let Some(missing) = dependency
                .depends_on
                .iter()
                .find(|r| !refs.contains(r.as_str()))
            {
                return Err(Error::invalid(
                    what(),
                    format!("depends on {missing:?}, which names no component"),
                ));
            }
        }
        Ok(Bom {
            bom_format: "CycloneDX",
            spec_version: SPEC_VERSION,
            serial_number,
            version: 1,
            metadata,
            components,
            dependencies,
        })
    }
}

/// Checks `urn:uuid:` followed by a lowercase 8-4-4-4-12 hex UUID.
fn check_serial_number(serial: &str) -> Result<()> {
    let bad = || {
        Error::invalid(
            format!("CycloneDX serialNumber {serial:?}"),
            "must be urn:uuid: and a lowercase hex UUID (8-4-4-4-12)",
        )
    };
    let uuid = serial.strip_prefix("urn:uuid:").ok_or_else(bad)?;
    let groups: Vec<&str> = uuid.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let hex = groups
        .iter()
        .all(|g| g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    if lengths == [8, 4, 4, 4, 12] && hex {
        Ok(())
    } else {
        Err(bad())
    }
}

/// The BOM's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// When the BOM was made (RFC 3339).
    pub timestamp: String,
    /// The tools that made it.
    pub tools: Tools,
    /// What the BOM describes: the project or the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
}

/// The tools that made the BOM, in the 1.5+ form (components, not the
/// deprecated legacy array).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tools {
    /// Each tool, as a component (type `application`).
    pub components: Vec<Component>,
}

/// The kind of a component: the values vouch uses of the spec's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentType {
    /// A program: a tool, or a project that is built into one.
    Application,
    /// A container image.
    Container,
    /// A library or other reusable input.
    Library,
}

/// One component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: ComponentType,
    /// Its reference in the dependency graph; unique in the BOM.
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    /// Its name.
    pub name: String,
    /// Its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Its package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Its CPE (2.2 or 2.3), for vulnerability matching.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    /// Digests of the component's files or archives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    /// Its licence (one entry: an expression, or a named licence).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<LicenseChoice>,
    /// Where it comes from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    /// Local patches on top of the upstream source; for a distribution's
    /// build, the upstream component it derives from and the
    /// distribution's patches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pedigree: Option<Pedigree>,
    /// Facts with no field of their own (`vouch:…`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

impl Component {
    /// A component with a kind and a name and nothing else yet; the caller
    /// sets the fields it knows.
    pub fn new(kind: ComponentType, name: impl Into<String>) -> Self {
        Component {
            kind,
            bom_ref: None,
            name: name.into(),
            version: None,
            purl: None,
            cpe: None,
            hashes: Vec::new(),
            licenses: Vec::new(),
            external_references: Vec::new(),
            pedigree: None,
            properties: Vec::new(),
        }
    }
}

/// A hash algorithm, spelt as the spec spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum HashAlg {
    /// SHA-1 (npm's older `integrity`).
    #[serde(rename = "SHA-1")]
    Sha1,
    /// SHA-256.
    #[serde(rename = "SHA-256")]
    Sha256,
    /// SHA-384.
    #[serde(rename = "SHA-384")]
    Sha384,
    /// SHA-512 (npm's `integrity`).
    #[serde(rename = "SHA-512")]
    Sha512,
}

/// One digest of a component.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Hash {
    /// The algorithm.
    pub alg: HashAlg,
    /// The digest, lowercase hex.
    pub content: String,
}

/// A component's licence: an SPDX expression, or a licence known only by
/// name. The schema allows one expression, or any number of licences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LicenseChoice {
    /// A valid SPDX licence expression.
    Expression {
        /// The expression, e.g. `MIT OR Apache-2.0`.
        expression: String,
    },
    /// A licence that is not (or not known to be) an SPDX expression.
    License {
        /// The licence.
        license: NamedLicense,
    },
}

/// A licence given by name only, as the metadata wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedLicense {
    /// The name, as written.
    pub name: String,
}

/// The kinds of external reference vouch writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExternalReferenceType {
    /// A source repository (git URL).
    Vcs,
    /// Where the released artefact is downloaded from.
    Distribution,
}

/// A link to where the component comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalReference {
    /// What kind of place it is.
    #[serde(rename = "type")]
    pub kind: ExternalReferenceType,
    /// The URL.
    pub url: String,
}

/// A name/value fact. Names may repeat (one `vouch:critical` per reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Property {
    /// The name, namespaced (`vouch:…`).
    pub name: String,
    /// The value.
    pub value: String,
}

impl Property {
    /// A property from a name and a value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Property {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// How a component differs from its upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pedigree {
    /// The components it is derived from: for a distribution's build of
    /// an upstream package (an unbundled input), the upstream component.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<Component>,
    /// The patches applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch>,
}

/// The kinds of patch vouch writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatchType {
    /// A local patch, not (or not yet) accepted upstream.
    Unofficial,
}

/// One patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Patch {
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: PatchType,
    /// Where the diff is.
    pub diff: Diff,
}

/// Where a patch's diff is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// Its location: a path relative to the project root, or a URL.
    pub url: String,
}

/// One node of the dependency graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// The component's `bom-ref`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The `bom-ref`s it depends on directly; empty for a leaf, which the
    /// spec asks to list all the same.
    pub depends_on: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERIAL: &str = "urn:uuid:0f3a1b2c-3d4e-8f50-a162-738495a6b7c8";

    fn component(bom_ref: &str) -> Component {
        let mut c = Component::new(ComponentType::Library, bom_ref);
        c.bom_ref = Some(bom_ref.into());
        c
    }

    fn metadata() -> Metadata {
        Metadata {
            timestamp: "2025-01-02T03:04:05Z".into(),
            tools: Tools {
                components: vec![Component::new(ComponentType::Application, "vouch")],
            },
            component: Some(component("app")),
        }
    }

    fn dep(reference: &str, on: &[&str]) -> Dependency {
        Dependency {
            reference: reference.into(),
            depends_on: on.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_valid_bom_serialises_with_the_spec_fields() {
        let mut a = component("pkg:cargo/a@1.0.0");
        a.hashes.push(Hash {
            alg: HashAlg::Sha256,
            content: "ab".repeat(32),
        });
        a.licenses.push(LicenseChoice::Expression {
            expression: "MIT".into(),
        });
        a.pedigree = Some(Pedigree {
            ancestors: Vec::new(),
            patches: vec![Patch {
                kind: PatchType::Unofficial,
                diff: Diff {
                    url: "patches/a.patch".into(),
                },
            }],
        });
        let bom = Bom::new(
            SERIAL.into(),
            metadata(),
            vec![a],
            vec![
                dep("app", &["pkg:cargo/a@1.0.0"]),
                dep("pkg:cargo/a@1.0.0", &[]),
            ],
        )
        .unwrap();
        let json = serde_json::to_value(&bom).unwrap();
        assert_eq!(json["bomFormat"], "CycloneDX");
        assert_eq!(json["specVersion"], "1.6");
        assert_eq!(json["version"], 1);
        assert_eq!(json["serialNumber"], SERIAL);
        let c = &json["components"][0];
        assert_eq!(c["type"], "library");
        assert_eq!(c["bom-ref"], "pkg:cargo/a@1.0.0");
        assert_eq!(c["hashes"][0]["alg"], "SHA-256");
        assert_eq!(c["licenses"][0]["expression"], "MIT");
        assert_eq!(c["pedigree"]["patches"][0]["type"], "unofficial");
        assert_eq!(
            c["pedigree"]["patches"][0]["diff"]["url"],
            "patches/a.patch"
        );
        assert!(c.get("purl").is_none(), "absent fields are omitted: {c}");
        assert_eq!(json["dependencies"][0]["dependsOn"][0], "pkg:cargo/a@1.0.0");
        assert_eq!(json["dependencies"][1]["dependsOn"], serde_json::json!([]));
        assert_eq!(json["metadata"]["tools"]["components"][0]["name"], "vouch");
    }

    #[test]
    fn duplicate_refs_and_dangling_edges_are_refused() {
        let refused = |components: Vec<Component>, deps: Vec<Dependency>| {
            Bom::new(SERIAL.into(), metadata(), components, deps)
                .unwrap_err()
                .to_string()
        };
        let e = refused(vec![component("a"), component("a")], vec![]);
        assert!(e.contains("\"a\"") && e.contains("two components"), "{e}");
        let e = refused(vec![component("app")], vec![]);
        assert!(e.contains("two components"), "{e}");
        let e = refused(vec![component("a")], vec![dep("b", &[])]);
        assert!(
            e.contains("\"b\"") && e.contains("names no component"),
            "{e}"
        );
        let e = refused(vec![component("a")], vec![dep("a", &["gone"])]);
        assert!(e.contains("depends on \"gone\""), "{e}");
        let e = refused(vec![component("a")], vec![dep("a", &[]), dep("a", &[])]);
        assert!(e.contains("listed twice"), "{e}");
        // Control: the same shapes without the fault are accepted.
        Bom::new(
            SERIAL.into(),
            metadata(),
            vec![component("a"), component("b")],
            vec![dep("a", &["b"]), dep("b", &[])],
        )
        .unwrap();
    }

    #[test]
    fn serial_numbers_must_be_lowercase_uuid_urns() {
        for bad in [
            "0f3a1b2c-3d4e-8f50-a162-738495a6b7c8",
            "urn:uuid:0F3A1B2C-3D4E-8F50-A162-738495A6B7C8",
            "urn:uuid:0f3a1b2c3d4e8f50a162738495a6b7c8",
            "urn:uuid:0f3a1b2c-3d4e-8f50-a162-738495a6b7c",
        ] {
            let e = Bom::new(bad.into(), metadata(), vec![], vec![]).unwrap_err();
            assert!(e.to_string().contains("serialNumber"), "{bad}: {e}");
        }
        Bom::new(SERIAL.into(), metadata(), vec![], vec![]).unwrap();
    }
}
