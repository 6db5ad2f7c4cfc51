//! Digests: the in-toto DigestSet and `sha256:<hex>` digest strings.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The SHA-256 digest of `bytes`, computed once here for the whole project.
pub fn sha256(bytes: &[u8]) -> Sha256 {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    Sha256(out)
}

/// A SHA-256 digest.
///
/// Written as `sha256:<64 lowercase hex>` where a digest stands alone (OCI,
/// the conformance CLI), and as bare hex inside a DigestSet.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// The lowercase hex form, without the `sha256:` prefix.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Sha256 {
    type Err = Error;

    /// Parses `sha256:<64 lowercase hex>`; anything else is an error that
    /// says which part is wrong.
    fn from_str(s: &str) -> Result<Self> {
        let hex_part = s
            .strip_prefix("sha256:")
            .ok_or_else(|| Error::invalid(format!("digest {s:?}"), "must start with `sha256:`"))?;
        check_hex(&format!("digest {s:?}"), hex_part, &[64])?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out)
            .map_err(|e| Error::invalid(format!("digest {s:?}"), e.to_string()))?;
        Ok(Sha256(out))
    }
}

/// Written and read as `sha256:<hex>`, the OCI descriptor form.
impl Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Known hex digest algorithms and the lengths (in hex characters) they allow.
///
/// The names are those of the in-toto DigestSet spec. Algorithms not listed
/// here (`dirHash`, `goModuleH1`, ...) are accepted with any non-empty value,
/// because their encodings are not hex.
const HEX_ALGORITHMS: &[(&str, &[usize])] = &[
    ("sha224", &[56]),
    ("sha256", &[64]),
    ("sha384", &[96]),
    ("sha512", &[128]),
    ("sha512_224", &[56]),
    ("sha512_256", &[64]),
    ("sha3_224", &[56]),
    ("sha3_256", &[64]),
    ("sha3_384", &[96]),
    ("sha3_512", &[128]),
    ("sha1", &[40]),
    ("md5", &[32]),
    ("gitCommit", &[40, 64]),
    ("gitTree", &[40, 64]),
    ("gitBlob", &[40, 64]),
    ("gitTag", &[40, 64]),
];

fn check_hex(what: &str, value: &str, lengths: &[usize]) -> Result<()> {
    if !lengths.contains(&value.len()) {
        let want: Vec<String> = lengths.iter().map(|l| l.to_string()).collect();
        return Err(Error::invalid(
            what,
            format!(
                "has {} hex characters, expected {}",
                value.len(),
                want.join(" or ")
            ),
        ));
    }
    if let Some(c) = value.chars().find(|c| !matches!(c, '0'..='9' | 'a'..='f')) {
        return Err(Error::invalid(
            what,
            format!("contains {c:?}: digests are lowercase hex"),
        ));
    }
    Ok(())
}

/// An in-toto DigestSet: algorithm name to digest value, validated.
///
/// Known hex algorithms must be lowercase hex of exactly the right length, so
/// that two spellings of one digest can never compare unequal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, String>",
    into = "BTreeMap<String, String>"
)]
pub struct DigestSet(BTreeMap<String, String>);

impl DigestSet {
    /// A DigestSet holding one SHA-256 digest.
    pub fn from_sha256(digest: Sha256) -> Self {
        DigestSet(BTreeMap::from([("sha256".to_string(), digest.hex())]))
    }

    /// The value for `algorithm`, if present.
    pub fn get(&self, algorithm: &str) -> Option<&str> {
        self.0.get(algorithm).map(String::as_str)
    }

    /// The SHA-256 digest, if present.
    pub fn sha256(&self) -> Option<Sha256> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(self.get("sha256")?, &mut out).ok()?;
        Some(Sha256(out))
    }

    /// Every (algorithm, value) pair, sorted by algorithm.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl TryFrom<BTreeMap<String, String>> for DigestSet {
    type Error = Error;

    fn try_from(map: BTreeMap<String, String>) -> Result<Self> {
        if map.is_empty() {
            return Err(Error::invalid("digest set", "is empty"));
        }
        for (algorithm, value) in &map {
            let what = format!("{algorithm} digest");
            match HEX_ALGORITHMS.iter().find(|(name, _)| name == algorithm) {
                Some((_, lengths)) => check_hex(&what, value, lengths)?,
                None if value.is_empty() => return Err(Error::invalid(what, "is empty")),
                None => {}
            }
        }
        Ok(DigestSet(map))
    }
}

impl From<DigestSet> for BTreeMap<String, String> {
    fn from(set: DigestSet) -> Self {
        set.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_hello() {
        assert_eq!(
            sha256(b"hello").to_string(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
    }

    #[test]
    fn parses_digest_strings_and_names_what_is_wrong() {
        let good = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        assert_eq!(good.parse::<Sha256>().unwrap().to_string(), good);
        let short = "sha256:2cf24dba";
        let err = short.parse::<Sha256>().unwrap_err().to_string();
        assert!(err.contains("8 hex characters, expected 64"), "{err}");
        let err = "sha512:00".parse::<Sha256>().unwrap_err().to_string();
        assert!(err.contains("must start with `sha256:`"), "{err}");
        let upper = good.to_uppercase().replace("SHA256", "sha256");
        let err = upper.parse::<Sha256>().unwrap_err().to_string();
        assert!(err.contains("lowercase hex"), "{err}");
    }

    #[test]
    fn sha256_serializes_as_a_prefixed_string() {
        let d = sha256(b"hello");
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{d}\""));
        assert_eq!(serde_json::from_str::<Sha256>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Sha256>("\"sha512:00\"").is_err());
    }

    #[test]
    fn digest_set_validates_known_algorithms() {
        let ok: DigestSet = serde_json::from_str(
            r#"{"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","goModuleH1":"h1:abc="}"#,
        )
        .unwrap();
        assert!(ok.sha256().is_some());
        for (json, needle) in [
            (r#"{}"#, "is empty"),
            (r#"{"sha256":"abc"}"#, "3 hex characters, expected 64"),
            (
                r#"{"sha512":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}"#,
                "expected 128",
            ),
            (
                r#"{"sha1":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
                "lowercase hex",
            ),
            (r#"{"dirHash":""}"#, "dirHash digest: is empty"),
        ] {
            let err = serde_json::from_str::<DigestSet>(json)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{json}: {err}");
        }
    }
}
