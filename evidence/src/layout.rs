//! Classic in-toto layouts (in-toto spec v0.9 `_type: layout`), the keys
//! they name, and DSSE signing as the in-toto reference implementation
//! (in-toto 3.1, securesystemslib 1.x) verifies it.
//!
//! A layout is the project owner's signed description of a supply chain:
//! its steps, who may perform each (`pubkeys`, by key id, with the keys in
//! `keys`), the artifact rules each step's link must satisfy, and the
//! inspections `in-toto-verify` runs itself at verification time.
//!
//! ## Key ids are securesystemslib's
//!
//! in-toto does not use vouch's [`KeyId`](crate::keys::KeyId) (the SHA-256
//! of the SPKI DER). Its key id is the SHA-256 of the OLPC canonical JSON of
//! the securesystemslib key dict `{"keytype", "keyval": {"public"},
//! "scheme"}` ([`KeyDict`]):
//! - ECDSA P-256: keytype `ecdsa`, scheme `ecdsa-sha2-nistp256`, `public`
//!   the SPKI PEM (64-column lines, trailing newline); signatures DER;
//! - Ed25519: keytype and scheme `ed25519`, `public` the 32 raw bytes as
//!   hex; signatures the raw 64 bytes.
//!
//! That id matters twice: in-toto-verify finds a step's link in the file
//! `<step>.<keyid[:8]>.link`, and securesystemslib only tries a DSSE
//! signature against a key whose id equals the signature's `keyid`. So
//! links and layouts are signed with [`sign_envelope`], never with
//! [`Envelope::sign`] (which writes vouch's own key id).
//!
//! ## Artifact rules
//!
//! A [`Rule`] is a list of strings (`["ALLOW", "src/*"]`). Patterns are
//! Python `fnmatch` globs over `/`-separated paths relative to where the
//! artifacts were recorded, in which `*` also matches `/`; a literal path
//! goes through [`glob_escape`] first. Rules consume artifacts from a queue
//! in order, and a terminal `DISALLOW *` fails verification for anything no
//! earlier rule consumed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::digest::sha256;
use crate::dsse::{pae, Envelope, Signature, IN_TOTO_PAYLOAD_TYPE};
use crate::keys::{Algorithm, PublicKey, Signer};
use crate::{Error, Result};

/// The public part of a [`KeyDict`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyVal {
    /// The public key: SPKI PEM for ECDSA, lowercase hex of the raw key for
    /// Ed25519.
    pub public: String,
}

/// A public key as securesystemslib writes it in a layout's `keys`, with
/// the `keyid` in-toto's loaders add to it (in-toto-verify reads the id of
/// an authorised key from there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDict {
    /// The securesystemslib key id (see the module documentation).
    pub keyid: String,
    /// `ecdsa` or `ed25519`.
    pub keytype: String,
    /// `ecdsa-sha2-nistp256` or `ed25519`.
    pub scheme: String,
    /// The key itself.
    pub keyval: KeyVal,
}

/// What the key id is the hash of: the key dict without its id.
#[derive(Serialize)]
struct KeyIdInput<'a> {
    keytype: &'a str,
    keyval: &'a KeyVal,
    scheme: &'a str,
}

impl KeyDict {
    /// The key dict of `key`, as securesystemslib's `SSlibKey.from_crypto`
    /// builds it from the same key, with the same key id.
    pub fn from_public_key(key: &PublicKey) -> Result<Self> {
        let (keytype, scheme, public) = match key.algorithm() {
            Algorithm::EcdsaP256Sha256 => ("ecdsa", "ecdsa-sha2-nistp256", key.to_pem()),
            Algorithm::Ed25519 => {
                // An Ed25519 SPKI ends with the 32 raw key bytes.
                let der = key.spki_der();
                let raw = der.get(der.len().saturating_sub(32)..).unwrap_or_default();
                ("ed25519", "ed25519", hex::encode(raw))
            }
        };
        let keyval = KeyVal { public };
        let mut canonical = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(
            &mut canonical,
            olpc_cjson::CanonicalFormatter::new(),
        );
        KeyIdInput {
            keytype,
            keyval: &keyval,
            scheme,
        }
        .serialize(&mut serializer)
        .map_err(|error| Error::Json {
            what: "securesystemslib key dict",
            error,
        })?;
        Ok(KeyDict {
            keyid: sha256(&canonical).hex(),
            keytype: keytype.into(),
            scheme: scheme.into(),
            keyval,
        })
    }
}

/// Signs an in-toto link or layout `payload` into a DSSE envelope
/// (payloadType [`IN_TOTO_PAYLOAD_TYPE`]) whose one signature carries the
/// signer's securesystemslib key id, as in-toto-verify requires.
pub fn sign_envelope(payload: &[u8], signer: &dyn Signer) -> Result<Envelope> {
    let keyid = KeyDict::from_public_key(signer.public_key())?.keyid;
    let sig = signer.sign(&pae(IN_TOTO_PAYLOAD_TYPE, payload))?;
    Envelope::from_parts(
        IN_TOTO_PAYLOAD_TYPE.into(),
        payload.to_vec(),
        vec![Signature { keyid, sig }],
    )
}

/// Escapes `path` for use as a literal in an artifact rule pattern: the
/// `fnmatch` metacharacters `*`, `?` and `[` become one-character classes.
pub fn glob_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Which artifacts of another step a `MATCH` rule compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifacts {
    /// Its materials.
    Materials,
    /// Its products.
    Products,
}

/// One artifact rule, as the list of strings in-toto reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rule(Vec<String>);

impl Rule {
    /// `ALLOW <pattern>`: consumes every queued artifact the pattern matches.
    pub fn allow(pattern: impl Into<String>) -> Self {
        Rule(vec!["ALLOW".into(), pattern.into()])
    }

    /// `DISALLOW <pattern>`: fails if any queued artifact matches.
    pub fn disallow(pattern: impl Into<String>) -> Self {
        Rule(vec!["DISALLOW".into(), pattern.into()])
    }

    /// `MATCH <pattern> [IN <prefix>] WITH <artifacts> [IN <prefix>] FROM
    /// <step>`: consumes every queued artifact the pattern matches that has
    /// the same path (under the same literal `prefix`, when given) and the
    /// same digests among `step`'s materials or products. The pattern
    /// applies to the path after the prefix.
    pub fn matching(pattern: &str, prefix: Option<&str>, with: Artifacts, step: &str) -> Self {
        let with = match with {
            Artifacts::Materials => "MATERIALS",
            Artifacts::Products => "PRODUCTS",
        };
        let mut rule = vec!["MATCH".to_string(), pattern.to_string()];
        if let Some(prefix) = prefix {
            rule.extend(["IN".to_string(), prefix.to_string()]);
        }
        rule.extend(["WITH".to_string(), with.to_string()]);
        if let Some(prefix) = prefix {
            rule.extend(["IN".to_string(), prefix.to_string()]);
        }
        rule.extend(["FROM".to_string(), step.to_string()]);
        Rule(rule)
    }
}

/// The `_type` of a [`Step`]: written `"step"`, and nothing else is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepType {
    /// `"step"`.
    #[default]
    #[serde(rename = "step")]
    Step,
}

/// The `_type` of an [`Inspection`]: written `"inspection"`, and nothing
/// else is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum InspectionType {
    /// `"inspection"`.
    #[default]
    #[serde(rename = "inspection")]
    Inspection,
}

/// The `_type` of a [`Layout`]: written `"layout"`, and nothing else is
/// read, so a link cannot pass for a layout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayoutType {
    /// `"layout"`.
    #[default]
    #[serde(rename = "layout")]
    Layout,
}

/// One step of a layout: who performs it, and the rules its links' materials
/// and products must satisfy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Always `"step"`.
    #[serde(rename = "_type")]
    pub type_: StepType,
    /// Its name; its links are `<name>.<keyid[:8]>.link`.
    pub name: String,
    /// Rules for the materials of its links.
    pub expected_materials: Vec<Rule>,
    /// Rules for the products of its links.
    pub expected_products: Vec<Rule>,
    /// The key ids (in the layout's `keys`) allowed to sign its links.
    pub pubkeys: Vec<String>,
    /// The command expected to have run (only compared, with a warning).
    pub expected_command: Vec<String>,
    /// How many distinct authorised keys must have signed a link for it.
    pub threshold: u32,
}

/// An inspection: a command in-toto-verify runs in its working directory,
/// recording every file there as its materials and products, which its
/// rules then check (against the steps' links, typically).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Always `"inspection"`.
    #[serde(rename = "_type")]
    pub type_: InspectionType,
    /// Its name, unique among steps and inspections.
    pub name: String,
    /// Rules for the files found before the command ran.
    pub expected_materials: Vec<Rule>,
    /// Rules for the files found after it ran.
    pub expected_products: Vec<Rule>,
    /// The command, as argv.
    pub run: Vec<String>,
}

/// A classic in-toto layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Always `"layout"`.
    #[serde(rename = "_type")]
    pub type_: LayoutType,
    /// When it stops being valid, `YYYY-MM-DDTHH:MM:SSZ` (UTC), the only
    /// form in-toto accepts.
    pub expires: String,
    /// A human-readable description.
    pub readme: String,
    /// The functionaries' public keys, by securesystemslib key id.
    pub keys: BTreeMap<String, KeyDict>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The inspections, run in order after the steps are checked.
    pub inspect: Vec<Inspection>,
}

/// Whether `expires` has in-toto's form `YYYY-MM-DDTHH:MM:SSZ`.
fn is_expiry(expires: &str) -> bool {
    let bytes = expires.as_bytes();
    bytes.len() == 20
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'Z',
            _ => b.is_ascii_digit(),
        })
}

impl Layout {
    /// Checks what in-toto would refuse or silently misread: the expiry
    /// format, names unique across steps and inspections, thresholds of at
    /// least 1, and every authorised key id present in `keys`.
    pub fn validate(&self) -> Result<()> {
        if !is_expiry(&self.expires) {
            return Err(Error::invalid(
                format!("layout expires {:?}", self.expires),
                "must be YYYY-MM-DDTHH:MM:SSZ (UTC)",
            ));
        }
        let mut names = BTreeSet::new();
        let all = self
            .steps
            .iter()
            .map(|s| &s.name)
            .chain(self.inspect.iter().map(|i| &i.name));
        for name in all {
            if !names.insert(name) {
                return Err(Error::invalid(
                    format!("layout step {name:?}"),
                    "another step or inspection has the same name",
                ));
            }
        }
        for step in &self.steps {
            if step.threshold == 0 {
                return Err(Error::invalid(
                    format!("layout step {:?}", step.name),
                    "threshold must be at least 1",
                ));
            }
            if let Some(missing) = step.pubkeys.iter().find(|k| !self.keys.contains_key(*k)) {
                return Err(Error::invalid(
                    format!("layout step {:?}", step.name),
                    format!("authorises key {missing}, which is not in the layout's keys"),
                ));
            }
        }
        Ok(())
    }

    /// Validates the layout and signs it into a DSSE envelope with
    /// [`sign_envelope`].
    pub fn sign(&self, owner: &dyn Signer) -> Result<Envelope> {
        self.validate()?;
        let payload = serde_json::to_vec(self).map_err(|error| Error::Json {
            what: "layout",
            error,
        })?;
        sign_envelope(&payload, owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::PrivateKey;

    /// Key ids securesystemslib 1.x computes (`SSlibKey.from_crypto(key).keyid`)
    /// for the DSSE spec's ECDSA example key and the RFC 8032 TEST 1 Ed25519
    /// key (testdata/dsse/SOURCE.md).
    const SSLIB_ECDSA_KEYID: &str =
        "2f9c4662c9410d724be73522fa0dd06be3e17ce4c9b055b2f196737557650ec2";
    const SSLIB_ED25519_KEYID: &str =
        "74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916";

    #[test]
    fn key_ids_are_securesystemslib_ones() {
        let ecdsa =
            PublicKey::from_pem(include_str!("../../testdata/dsse/spec-example.pub")).unwrap();
        let dict = KeyDict::from_public_key(&ecdsa).unwrap();
        assert_eq!(dict.keyid, SSLIB_ECDSA_KEYID);
        assert_eq!(dict.keytype, "ecdsa");
        assert_eq!(dict.scheme, "ecdsa-sha2-nistp256");
        assert!(dict
            .keyval
            .public
            .starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(dict.keyval.public.ends_with("-----END PUBLIC KEY-----\n"));
        // Not vouch's own id of the same key.
        assert_ne!(dict.keyid, ecdsa.key_id().to_string());

        let raw = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        let ed25519 = PublicKey::from_spki_der(
            &hex::decode(format!("302a300506032b6570032100{raw}")).unwrap(),
        )
        .unwrap();
        let dict = KeyDict::from_public_key(&ed25519).unwrap();
        assert_eq!(dict.keyid, SSLIB_ED25519_KEYID);
        assert_eq!(
            (dict.keytype.as_str(), dict.scheme.as_str()),
            ("ed25519", "ed25519")
        );
        assert_eq!(dict.keyval.public, raw);
    }

    #[test]
    fn envelopes_carry_the_sslib_key_id_and_verify() {
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let env = sign_envelope(br#"{"_type":"link"}"#, &key).unwrap();
        let dict = KeyDict::from_public_key(key.public_key()).unwrap();
        assert_eq!(env.signatures()[0].keyid, dict.keyid);
        assert_eq!(env.payload_type(), IN_TOTO_PAYLOAD_TYPE);
        env.verify(IN_TOTO_PAYLOAD_TYPE, &[key.public_key().clone()], 1)
            .unwrap();
        let other = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        assert!(env
            .verify(IN_TOTO_PAYLOAD_TYPE, &[other.public_key().clone()], 1)
            .is_err());
    }

    #[test]
    fn rules_are_word_lists_in_in_toto_order() {
        let json = |r: Rule| serde_json::to_string(&r).unwrap();
        assert_eq!(json(Rule::allow("a/*")), r#"["ALLOW","a/*"]"#);
        assert_eq!(json(Rule::disallow("*")), r#"["DISALLOW","*"]"#);
        assert_eq!(
            json(Rule::matching(
                "*",
                Some("v/x"),
                Artifacts::Products,
                "vendor-x"
            )),
            r#"["MATCH","*","IN","v/x","WITH","PRODUCTS","IN","v/x","FROM","vendor-x"]"#
        );
        assert_eq!(
            json(Rule::matching("f", None, Artifacts::Materials, "s")),
            r#"["MATCH","f","WITH","MATERIALS","FROM","s"]"#
        );
    }

    #[test]
    fn glob_escape_makes_metacharacters_literal() {
        assert_eq!(glob_escape("a/b.c"), "a/b.c");
        assert_eq!(glob_escape("we[ir]d*?.c"), "we[[]ir]d[*][?].c");
    }

    fn layout() -> (Layout, PrivateKey) {
        let functionary = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let dict = KeyDict::from_public_key(functionary.public_key()).unwrap();
        let layout = Layout {
            type_: LayoutType::Layout,
            expires: "2030-01-01T00:00:00Z".into(),
            readme: String::new(),
            keys: BTreeMap::from([(dict.keyid.clone(), dict.clone())]),
            steps: vec![Step {
                type_: StepType::Step,
                name: "vendor-x".into(),
                expected_materials: vec![Rule::disallow("*")],
                expected_products: vec![Rule::allow("x/*"), Rule::disallow("*")],
                pubkeys: vec![dict.keyid],
                expected_command: Vec::new(),
                threshold: 1,
            }],
            inspect: vec![Inspection {
                type_: InspectionType::Inspection,
                name: "check".into(),
                expected_materials: vec![Rule::disallow("*")],
                expected_products: Vec::new(),
                run: vec!["true".into()],
            }],
        };
        (layout, functionary)
    }

    #[test]
    fn layouts_serialize_with_their_types_and_sign() {
        let (layout, owner) = layout();
        let env = layout.sign(&owner).unwrap();
        let json: serde_json::Value = serde_json::from_slice(
            &env.verify(IN_TOTO_PAYLOAD_TYPE, &[owner.public_key().clone()], 1)
                .unwrap()
                .payload,
        )
        .unwrap();
        assert_eq!(json["_type"], "layout");
        assert_eq!(json["steps"][0]["_type"], "step");
        assert_eq!(json["steps"][0]["threshold"], 1);
        assert_eq!(json["inspect"][0]["_type"], "inspection");
        assert_eq!(json["inspect"][0]["run"][0], "true");
        let keyid = json["steps"][0]["pubkeys"][0].as_str().unwrap();
        assert_eq!(json["keys"][keyid]["keyid"], keyid);
        let back: Layout = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, layout);
        let mut link = json;
        link["_type"] = "link".into();
        assert!(serde_json::from_value::<Layout>(link).is_err());
    }

    #[test]
    fn invalid_layouts_are_refused_before_signing() {
        let (good, owner) = layout();
        let mut cases: Vec<(Layout, &str)> = Vec::new();
        for expires in [
            "2030-01-01",
            "2030-01-01T00:00:00+00:00",
            "2030-01-01 00:00:00Z",
        ] {
            let mut l = good.clone();
            l.expires = expires.into();
            cases.push((l, "must be YYYY-MM-DDTHH:MM:SSZ"));
        }
        let mut l = good.clone();
        l.inspect[0].name = "vendor-x".into();
        cases.push((l, "has the same name"));
        let mut l = good.clone();
        l.steps[0].threshold = 0;
        cases.push((l, "at least 1"));
        let mut l = good.clone();
        l.keys.clear();
        cases.push((l, "not in the layout's keys"));
        for (layout, needle) in cases {
            let err = layout.sign(&owner).unwrap_err().to_string();
            assert!(err.contains(needle), "{needle:?} not in {err}");
        }
    }
}
