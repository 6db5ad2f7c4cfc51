//! The OCI image-spec shapes vouch reads and writes: descriptors, image
//! manifests and indexes, and the media types and annotations it uses.
//!
//! These are our own small serde types rather than `oci-spec`'s, because
//! `oci-spec` keeps annotations in a `HashMap`, which serializes in a random
//! order: the same manifest would get a different digest on every write.
//! Here annotations are a `BTreeMap`, so what vouch writes is deterministic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vouch_evidence::digest::{sha256, Sha256};

/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// A Docker v2 schema 2 manifest (read as an image manifest).
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// A Docker v2 manifest list (read as an index).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The OCI empty descriptor's media type; its content is `{}`.
pub const EMPTY_JSON: &str = "application/vnd.oci.empty.v1+json";
/// The content of the empty descriptor.
pub const EMPTY_JSON_CONTENT: &[u8] = b"{}";
/// The layout annotation that names a tag.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The creation time annotation (RFC 3339).
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";

/// Every manifest media type vouch accepts, for `Accept` headers.
pub const MANIFEST_MEDIA_TYPES: &[&str] = &[
    OCI_MANIFEST,
    OCI_INDEX,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
];

/// A platform, as in an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// Operating system (`linux`).
    pub os: String,
    /// CPU variant (`v8`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    /// `os/architecture[/variant]`, as `docker --platform` writes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// An OCI content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The media type of the referenced content.
    pub media_type: String,
    /// Its digest (only SHA-256 is accepted).
    pub digest: Sha256,
    /// Its size in bytes.
    pub size: u64,
    /// The artifact type, for artifact manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The platform, for index entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// The descriptor of `content` with `media_type`.
    pub fn of(media_type: &str, content: &[u8]) -> Self {
        Descriptor {
            media_type: media_type.to_string(),
            digest: sha256(content),
            size: content.len() as u64,
            artifact_type: None,
            platform: None,
            annotations: BTreeMap::new(),
        }
    }
}

/// An OCI image manifest (also read from Docker v2 manifests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// The manifest's own media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The artifact type, for artifact manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (OCI 1.1 referrers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image index (also read from Docker manifest lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    pub schema_version: u32,
    /// The index's own media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The artifact type, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The manifests it lists.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// The manifest this one refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl ImageIndex {
    /// An empty OCI index.
    pub fn empty() -> Self {
        ImageIndex {
            schema_version: 2,
            media_type: Some(OCI_INDEX.to_string()),
            artifact_type: None,
            manifests: Vec::new(),
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// Its entries, each digest once (the first entry naming it), in
    /// order. An index may list one manifest many times, and whatever is
    /// done per entry (copy it, list or sign what is attached to it) is
    /// then done once per manifest, not once per listing of it.
    pub fn distinct_manifests(&self) -> Vec<&Descriptor> {
        let mut seen = std::collections::HashSet::new();
        self.manifests
            .iter()
            .filter(|d| seen.insert(d.digest))
            .collect()
    }
}

/// A parsed manifest or index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    /// An image (or artifact) manifest.
    Image(ImageManifest),
    /// An index of manifests.
    Index(ImageIndex),
}

impl Manifest {
    /// Parses manifest bytes, telling an index from an image manifest by its
    /// `mediaType`, or else by the `Content-Type` the store gave, or else by
    /// its shape (`manifests` versus `layers`).
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Self, String> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Head {
            media_type: Option<String>,
            manifests: Option<serde_json::Value>,
        }
        let head: Head = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let media_type = head.media_type.as_deref().or(content_type);
        let is_index = match media_type {
            Some(OCI_INDEX | DOCKER_MANIFEST_LIST) => true,
            Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
            Some(other) if head.media_type.is_some() => {
                return Err(format!("unsupported manifest media type {other:?}"))
            }
            _ => head.manifests.is_some(),
        };
        if is_index {
            serde_json::from_slice(bytes).map(Manifest::Index)
        } else {
            serde_json::from_slice(bytes).map(Manifest::Image)
        }
        .map_err(|e| e.to_string())
    }

    /// The media type to store it under.
    pub fn media_type(&self) -> &str {
        match self {
            Manifest::Image(m) => m.media_type.as_deref().unwrap_or(OCI_MANIFEST),
            Manifest::Index(i) => i.media_type.as_deref().unwrap_or(OCI_INDEX),
        }
    }
}

/// The descriptor the referrers API (and its tag-schema fallback index)
/// lists for a manifest with a subject: the manifest's digest and size, its
/// artifact type (or else its config's media type), and its annotations.
pub fn referrer_descriptor(bytes: &[u8], manifest: &ImageManifest) -> Descriptor {
    let mut descriptor = Descriptor::of(
        manifest.media_type.as_deref().unwrap_or(OCI_MANIFEST),
        bytes,
    );
    descriptor.artifact_type = Some(
        manifest
            .artifact_type
            .clone()
            .unwrap_or_else(|| manifest.config.media_type.clone()),
    );
    descriptor.annotations = manifest.annotations.clone();
    descriptor
}

/// Serializes a manifest or index as compact JSON, deterministic.
pub fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_index_and_manifest_by_media_type_and_shape() {
        let d = sha256(b"x");
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"{EMPTY_JSON}","digest":"{d}","size":2}},"layers":[]}}"#
        );
        assert!(matches!(
            Manifest::parse(manifest.as_bytes(), None),
            Ok(Manifest::Image(_))
        ));
        let index = r#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(matches!(
            Manifest::parse(index.as_bytes(), None),
            Ok(Manifest::Index(_))
        ));
        let odd = r#"{"schemaVersion":2,"mediaType":"text/plain"}"#;
        assert!(Manifest::parse(odd.as_bytes(), None)
            .unwrap_err()
            .contains("text/plain"));
        let bad_digest =
            r#"{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:00","size":1}]}"#;
        assert!(Manifest::parse(bad_digest.as_bytes(), None).is_err());
    }

    #[test]
    fn serialization_is_deterministic() {
        let mut a = Descriptor::of(EMPTY_JSON, EMPTY_JSON_CONTENT);
        a.annotations.insert("z".into(), "1".into());
        a.annotations.insert("a".into(), "2".into());
        let json = String::from_utf8(to_json(&a)).unwrap();
        assert!(
            json.find("\"a\"").unwrap() < json.find("\"z\"").unwrap(),
            "{json}"
        );
        assert_eq!(
            a.digest.to_string(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
