//! Classic in-toto links (in-toto spec v0.9 `_type: link`), as the in-toto
//! reference implementation reads them.
//!
//! A link is a functionary's signed record of one supply-chain step: the
//! files it used (`materials`) and the files it left (`products`), each
//! with its digests. vouch writes one per vendored input, with the input's
//! files as products, so that `in-toto-verify` can check a layout against
//! them. Links travel in DSSE envelopes (payloadType
//! [`crate::dsse::IN_TOTO_PAYLOAD_TYPE`]), signed with
//! [`crate::layout::sign_envelope`] so that the signature carries the key id
//! in-toto looks for.
//!
//! The file a link is stored in is named `<step>.<keyid[:8]>.link`
//! ([`Link::file_name`]): in-toto-verify finds a step's links by that name,
//! for each key the layout authorises for the step.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The digests of one artifact, by algorithm (`{"sha256": "<hex>"}`): the
/// in-toto `HASHDICT`.
pub type HashDict = BTreeMap<String, String>;

/// The `_type` of a [`Link`]: written `"link"`, and nothing else is read,
/// so a layout cannot pass for a link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkType {
    /// `"link"`.
    #[default]
    #[serde(rename = "link")]
    Link,
}

/// A classic in-toto link.
///
/// The opaque `byproducts` (in-toto-run puts the command's stdout, stderr and
/// return value there) and `environment` are kept as free-form JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Always `"link"`.
    #[serde(rename = "_type")]
    pub type_: LinkType,
    /// The step (or inspection) this link is evidence for.
    pub name: String,
    /// The command that performed the step, as argv; empty when the step
    /// was not a command (vouch's vendoring links).
    #[serde(default)]
    pub command: Vec<String>,
    /// The files the step used, by path.
    #[serde(default)]
    pub materials: BTreeMap<String, HashDict>,
    /// The files the step produced, by path.
    #[serde(default)]
    pub products: BTreeMap<String, HashDict>,
    /// What the command left besides files.
    #[serde(default)]
    pub byproducts: serde_json::Map<String, serde_json::Value>,
    /// Where it ran.
    #[serde(default)]
    pub environment: serde_json::Map<String, serde_json::Value>,
}

impl Link {
    /// A link for step `name` whose products are `products` (path to
    /// SHA-256 hex), with no materials, command, byproducts or environment:
    /// the record of files that are there, not of a command that made them.
    pub fn of_products(name: impl Into<String>, products: BTreeMap<String, String>) -> Self {
        Link {
            type_: LinkType::Link,
            name: name.into(),
            command: Vec::new(),
            materials: BTreeMap::new(),
            products: products
                .into_iter()
                .map(|(path, hex)| (path, HashDict::from([("sha256".to_string(), hex)])))
                .collect(),
            byproducts: serde_json::Map::new(),
            environment: serde_json::Map::new(),
        }
    }

    /// The JSON payload to sign.
    pub fn to_json(&self) -> Vec<u8> {
        // Strings and maps of strings always serialize.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The file name in-toto-verify looks for: `<step>.<keyid[:8]>.link`,
    /// `keyid` being the signer's securesystemslib key id
    /// ([`crate::layout::KeyDict::keyid`]).
    pub fn file_name(step: &str, keyid: &str) -> String {
        let prefix: String = keyid.chars().take(8).collect();
        format!("{step}.{prefix}.link")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_in_toto_reads_it() {
        let link = Link::of_products(
            "vendor-zlib",
            BTreeMap::from([("third_party/zlib/zlib.h".to_string(), "ab".repeat(32))]),
        );
        let json: serde_json::Value = serde_json::from_slice(&link.to_json()).unwrap();
        assert_eq!(json["_type"], "link");
        assert_eq!(json["name"], "vendor-zlib");
        assert_eq!(json["command"], serde_json::json!([]));
        assert_eq!(json["materials"], serde_json::json!({}));
        assert_eq!(
            json["products"]["third_party/zlib/zlib.h"]["sha256"],
            "ab".repeat(32)
        );
        assert_eq!(json["byproducts"], serde_json::json!({}));
        assert_eq!(json["environment"], serde_json::json!({}));
        let back: Link = serde_json::from_slice(&link.to_json()).unwrap();
        assert_eq!(back, link);
    }

    #[test]
    fn reads_only_links() {
        let layout = br#"{"_type":"layout","name":"x"}"#;
        assert!(serde_json::from_slice::<Link>(layout).is_err());
        let untyped = br#"{"name":"x"}"#;
        assert!(serde_json::from_slice::<Link>(untyped).is_err());
        let link = br#"{"_type":"link","name":"x"}"#;
        assert_eq!(serde_json::from_slice::<Link>(link).unwrap().name, "x");
    }

    #[test]
    fn file_names_carry_eight_keyid_characters() {
        assert_eq!(
            Link::file_name("vendor-zlib", "2f9c4662c9410d72"),
            "vendor-zlib.2f9c4662.link"
        );
    }
}
