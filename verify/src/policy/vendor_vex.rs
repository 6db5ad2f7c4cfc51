//! `vulnerabilities.vendorVex`: the VEX a distribution vendor publishes
//! (Red Hat's and SUSE's CSAF VEX, Ubuntu's OpenVEX), trusted only for the
//! packages of that vendor's namespace.
//!
//! ```yaml
//! vulnerabilities:
//!   osv: osv/
//!   vendorVex:
//!     - name: redhat
//!       path: vex/redhat/            # every .json below, read by the loader
//!       key: keys/redhat.asc         # optional: an armored OpenPGP public key;
//!                                    # then each file needs <file>.asc beside it
//!       answersFor: ["pkg:rpm/redhat/*"]
//! ```
//!
//! A vendor's statement answers a finding only in an OS package input
//! (ecosystem `deb`, `apk` or `rpm`) whose purl one of the source's
//! `answersFor` patterns matches, and only when the statement's product
//! names that package (see [`crate::vulns::answer_vendor`]). A pattern is
//! a purl prefix with an anchored trailing `*`, or a whole purl without
//! one, and names at least a type and a namespace: `pkg:rpm/redhat/*`
//! (every Red Hat RPM), `pkg:deb/ubuntu/openssl*`; `*`, `pkg:*` or
//! `pkg:rpm/*` (every vendor's RPMs) are refused, as is `pkg:rpm/red*`,
//! which would also match a `redfoo` namespace.
//!
//! With a `key`, every file must carry a detached armored OpenPGP
//! signature `<file>.asc` (as CSAF providers publish them) that verifies
//! over the file's exact bytes under that key, with a binary-document
//! signature: a text signature would accept other line endings. A file
//! that does not verify, or has no signature, fails the policy's load,
//! naming the file. Without a key the files are trusted as the policy
//! directory is.

use std::fmt;
use std::path::PathBuf;

use packageurl::PackageUrl;
use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::packet::SignatureType;
use serde::Deserialize;
use serde_json::Value;
use vouch_evidence::vex;

/// The most VEX files one source may hold (the loader's cap, and ours).
pub const MAX_VENDOR_VEX_FILES: usize = 100_000;
/// The largest VEX file read (real per-CVE files reach a few MiB for the
/// kernel).
pub const MAX_VENDOR_VEX_BYTES: u64 = 32 * 1024 * 1024;
/// The most bytes read from one source's files together: a policy names
/// the documents it needs (the CVEs of its images' packages), not a
/// vendor's whole archive.
pub const MAX_VENDOR_VEX_TOTAL_BYTES: u64 = 512 * 1024 * 1024;

/// The wire form of one `vendorVex` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct WireVendorVex {
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) key: Option<String>,
    answers_for: Vec<String>,
}

/// One file of a vendor VEX directory, as the loader read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexFile {
    /// Its path.
    pub path: PathBuf,
    /// Its exact bytes.
    pub bytes: Vec<u8>,
    /// The bytes of `<path>.asc`, when there is one.
    pub signature: Option<Vec<u8>>,
}

/// A `answersFor` pattern: a purl prefix (with a trailing `*`) or a whole
/// purl, naming at least a type and a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlPattern {
    text: String,
    /// The text before the `*`, when it has one.
    prefix: Option<String>,
}

impl PurlPattern {
    /// Parses and checks a pattern (see the module documentation).
    pub fn parse(text: &str) -> Result<PurlPattern, String> {
        let (head, wildcard) = match text.strip_suffix('*') {
            Some(head) => (head, true),
            None => (text, false),
        };
        if head.contains('*') {
            return Err(format!(
                "{text:?}: `*` is allowed only at the end of a pattern"
            ));
        }
        let rest = head.strip_prefix("pkg:").ok_or_else(|| {
            format!("{text:?} is no purl pattern: it must start with `pkg:<type>/<namespace>/`")
        })?;
        let mut parts = rest.splitn(3, '/');
        let ty = parts.next().unwrap_or_default();
        let namespace = parts.next().unwrap_or_default();
        let named = parts.next().is_some();
        let lower = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
        };
        if ty.is_empty() || namespace.is_empty() || !named || !lower(ty) || !lower(namespace) {
            return Err(format!(
                "{text:?} names no type and namespace: a vendor answers only inside its own \
                 namespace, so a pattern starts with `pkg:<type>/<namespace>/` in lower case \
                 (`pkg:rpm/redhat/*`)"
            ));
        }
        Ok(PurlPattern {
            text: text.to_string(),
            prefix: wildcard.then(|| head.to_string()),
        })
    }

    /// Whether it matches the package `purl`: read as `pkg:type/namespace/
    /// name@version?qualifiers`, type and namespace in lower case.
    pub fn matches(&self, purl: &PackageUrl<'_>) -> bool {
        let Some(namespace) = purl.namespace() else {
            return false;
        };
        let package = format!(
            "pkg:{}/{}/{}",
            purl.ty().to_ascii_lowercase(),
            namespace.to_ascii_lowercase(),
            purl.name()
        );
        match &self.prefix {
            Some(prefix) => {
                let mut full = package;
                if let Some(version) = purl.version() {
                    full = format!("{full}@{version}");
                }
                full.starts_with(prefix.as_str())
            }
            None => package == self.text,
        }
    }
}

impl fmt::Display for PurlPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The statements of one VEX document of a vendor source.
#[derive(Debug, Clone)]
pub struct VendorDocument {
    /// The file it was read from.
    pub file: PathBuf,
    /// Its id: CSAF `document.tracking.id`, OpenVEX `@id`.
    pub id: String,
    /// Its statements.
    pub statements: Vec<vex::Statement>,
}

/// A validated `vendorVex` entry, with its documents read and (with a
/// key) verified.
#[derive(Debug, Clone)]
pub struct VendorVex {
    /// Its name, shown with every answer it gives.
    pub name: String,
    /// The directory its documents were read from.
    pub path: PathBuf,
    /// The key its files are verified with, when one is named.
    pub key: Option<PathBuf>,
    /// The packages it may answer for.
    pub answers_for: Vec<PurlPattern>,
    /// Its documents.
    pub documents: Vec<VendorDocument>,
}

impl VendorVex {
    /// Validates `wire` (at `at`, for messages) with the files the loader
    /// read from its directory and the bytes of its key file.
    pub(crate) fn new(
        at: &str,
        wire: WireVendorVex,
        path: PathBuf,
        key: Option<(PathBuf, Vec<u8>)>,
        files: &[VexFile],
    ) -> Result<VendorVex, String> {
        if wire.name.trim().is_empty() {
            return Err(format!("{at}.name: a vendor VEX source needs a name"));
        }
        if wire.answers_for.is_empty() {
            return Err(format!(
                "{at}.answersFor: list the purl patterns this vendor answers for \
                 (`pkg:rpm/redhat/*`); an empty list answers nothing"
            ));
        }
        let answers_for = wire
            .answers_for
            .iter()
            .enumerate()
            .map(|(i, p)| PurlPattern::parse(p).map_err(|e| format!("{at}.answersFor[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let public = match &key {
            Some((key_path, bytes)) => Some(
                read_key(bytes).map_err(|e| format!("{at}.key: {}: {e}", key_path.display()))?,
            ),
            None => None,
        };
        if files.len() > MAX_VENDOR_VEX_FILES {
            return Err(format!(
                "{at}.path: {} holds more than {MAX_VENDOR_VEX_FILES} VEX files",
                path.display()
            ));
        }
        let mut documents = Vec::with_capacity(files.len());
        for file in files {
            let name = file.path.display();
            if let Some(public) = &public {
                let signature = file.signature.as_deref().ok_or_else(|| {
                    format!("{at}: {name} has no signature {name}.asc, and a key is named")
                })?;
                verify_detached(public, signature, &file.bytes)
                    .map_err(|e| format!("{at}: {name}.asc {e}"))?;
            }
            let (id, statements) =
                read_document(&file.bytes).map_err(|e| format!("{at}: {name}: {e}"))?;
            documents.push(VendorDocument {
                file: file.path.clone(),
                id,
                statements,
            });
        }
        Ok(VendorVex {
            name: wire.name,
            path,
            key: key.map(|(p, _)| p),
            answers_for,
            documents,
        })
    }
}

/// A VEX document's id and statements: a CSAF document (it has a
/// `document` object) or an OpenVEX one.
fn read_document(bytes: &[u8]) -> Result<(String, Vec<vex::Statement>), vouch_evidence::Error> {
    let probe: Option<Value> = serde_json::from_slice(bytes).ok();
    if probe.as_ref().and_then(|v| v.get("document")).is_some() {
        let csaf = vex::Csaf::from_json(bytes)?;
        Ok((csaf.id, csaf.statements))
    } else {
        let document = vex::Document::from_json(bytes)?;
        Ok((document.id, document.statements))
    }
}

/// An armored OpenPGP public key (a transferable public key), its
/// self-signatures and subkey bindings checked.
fn read_key(bytes: &[u8]) -> Result<SignedPublicKey, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "is not armored OpenPGP text".to_string())?;
    let (key, _) = SignedPublicKey::from_string(text)
        .map_err(|e| format!("is no armored OpenPGP public key: {e}"))?;
    key.verify_bindings()
        .map_err(|e| format!("its self-signatures do not verify: {e}"))?;
    Ok(key)
}

/// Checks an armored detached signature over `content`: a binary-document
/// signature by the primary key or one of its bound signing subkeys, valid
/// when it was made (see [`valid_when_signed`]).
fn verify_detached(key: &SignedPublicKey, signature: &[u8], content: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(signature).map_err(|_| "is not armored text".to_string())?;
    let (signature, _) = DetachedSignature::from_string(text)
        .map_err(|e| format!("is no armored OpenPGP signature: {e}"))?;
    let signature = &signature.signature;
    if signature.typ() != Some(SignatureType::Binary) {
        return Err(
            "is not a binary-document signature, so it does not cover the exact bytes".into(),
        );
    }
    crate::openpgp::verify_signature(key, signature, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A committed test file (testdata/vendor-vex).
    fn testdata(path: &str) -> Vec<u8> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/vendor-vex/");
        std::fs::read(format!("{root}{path}")).unwrap()
    }

    fn wire(answers_for: &[&str]) -> WireVendorVex {
        WireVendorVex {
            name: "redhat".into(),
            path: "redhat/".into(),
            key: Some("keys/vendor.asc".into()),
            answers_for: answers_for.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn file(signature: Option<Vec<u8>>) -> VexFile {
        VexFile {
            path: "vex/redhat/cve-2025-29087.json".into(),
            bytes: testdata("redhat/cve-2025-29087.json"),
            signature,
        }
    }

    fn load(key: &str, files: &[VexFile]) -> Result<VendorVex, String> {
        VendorVex::new(
            "spec.vulnerabilities.vendorVex[0] (redhat)",
            wire(&["pkg:rpm/redhat/*"]),
            "vex/redhat".into(),
            Some(("keys/vendor.asc".into(), testdata(key))),
            files,
        )
    }

    #[test]
    fn a_file_signed_by_gpg_with_the_named_key_is_read() {
        let good = file(Some(testdata("redhat/cve-2025-29087.json.asc")));
        let vendor = load("keys/vendor.asc", &[good]).unwrap();
        assert_eq!(vendor.documents.len(), 1);
        assert_eq!(vendor.documents[0].id, "CVE-2025-29087");
        assert_eq!(vendor.documents[0].statements.len(), 85);
    }

    #[test]
    fn an_unsigned_wrongly_signed_or_changed_file_fails_the_load_naming_it() {
        let missing = load("keys/vendor.asc", &[file(None)]).unwrap_err();
        assert_eq!(
            missing,
            "spec.vulnerabilities.vendorVex[0] (redhat): vex/redhat/cve-2025-29087.json has no \
             signature vex/redhat/cve-2025-29087.json.asc, and a key is named"
        );
        let other = file(Some(testdata("wrong/cve-2025-29087.json.asc")));
        let e = load("keys/vendor.asc", &[other]).unwrap_err();
        assert!(
            e.ends_with(
                "vex/redhat/cve-2025-29087.json.asc does not verify over the file's bytes with \
                 the named key"
            ),
            "{e}"
        );
        // The right signature under another key.
        let good = file(Some(testdata("redhat/cve-2025-29087.json.asc")));
        let e = load("keys/other.asc", std::slice::from_ref(&good)).unwrap_err();
        assert!(e.contains("does not verify"), "{e}");
        // One byte changed.
        let mut changed = good;
        changed.bytes.push(b'\n');
        let e = load("keys/vendor.asc", &[changed]).unwrap_err();
        assert!(e.contains("does not verify"), "{e}");
        // Not a signature at all, and not a key.
        let e = load("keys/vendor.asc", &[file(Some(b"hello".to_vec()))]).unwrap_err();
        assert!(e.contains("is no armored OpenPGP signature"), "{e}");
        let e = load("redhat/cve-2025-29087.json.asc", &[]).unwrap_err();
        assert!(
            e.starts_with(
                "spec.vulnerabilities.vendorVex[0] (redhat).key: keys/vendor.asc: is no armored \
                 OpenPGP public key"
            ),
            "{e}"
        );
    }

    #[test]
    fn regression_issue_15_a_revoked_or_expired_vendor_key_verifies_only_what_it_could_sign() {
        let check = |key: &str, signature: &str| {
            let signed = file(Some(testdata(&format!("lifecycle/{signature}.json.asc"))));
            load(&format!("lifecycle/{key}.asc"), &[signed]).map(|v| v.documents.len())
        };
        // Compromised: nothing it ever signed is believed (an attacker
        // holding it dates a signature as they like).
        for when in ["before", "after"] {
            let e = check("compromised", &format!("compromised-{when}-revocation")).unwrap_err();
            assert!(e.contains("by a revoked key: the key is revoked since 2025-01-02T00:00:00Z (KeyCompromised)"), "{e}");
        }
        // Superseded: what it signed before the revocation stands.
        assert_eq!(check("superseded", "superseded-before-revocation"), Ok(1));
        let e = check("superseded", "superseded-after-revocation").unwrap_err();
        assert!(
            e.contains("was made at 2025-01-03T00:00:00Z by a revoked key"),
            "{e}"
        );
        // Expired on 2025-01-02T12:00:00Z (a day and a half after it was made).
        assert_eq!(check("expiring", "expiring-before-expiry"), Ok(1));
        let e = check("expiring", "expiring-after-expiry").unwrap_err();
        assert!(
            e.contains(
                "was made at 2025-01-03T00:00:00Z after the key expired (2025-01-02T12:00:00Z)"
            ),
            "{e}"
        );
    }

    #[test]
    fn without_a_key_signatures_are_not_required() {
        let mut w = wire(&["pkg:rpm/redhat/*"]);
        w.key = None;
        let vendor = VendorVex::new("at", w, "vex/redhat".into(), None, &[file(None)]).unwrap();
        assert_eq!(vendor.documents[0].statements.len(), 85);
    }

    #[test]
    fn patterns_name_a_type_and_namespace_and_anchor_their_star() {
        for bad in [
            "*",
            "pkg:*",
            "pkg:rpm/*",
            "pkg:rpm/red*",
            "pkg:rpm/redhat",
            "pkg:rpm//*",
            "rpm/redhat/*",
            "pkg:rpm/*/openssl",
            "pkg:rpm/redhat/*ssl",
            "pkg:RPM/redhat/*",
        ] {
            assert!(PurlPattern::parse(bad).is_err(), "{bad}");
        }
        let e = PurlPattern::parse("pkg:rpm/*").unwrap_err();
        assert!(e.contains("names no type and namespace"), "{e}");
        let purl = |s: &str| PackageUrl::from_str(s).unwrap();
        use std::str::FromStr;
        let all = PurlPattern::parse("pkg:rpm/redhat/*").unwrap();
        assert!(all.matches(&purl("pkg:rpm/redhat/openssl@3.0.7-27.el9?arch=x86_64")));
        assert!(all.matches(&purl("pkg:rpm/RedHat/openssl")));
        assert!(!all.matches(&purl("pkg:rpm/redhatx/openssl@1")));
        assert!(!all.matches(&purl("pkg:rpm/fedora/openssl@1")));
        assert!(!all.matches(&purl("pkg:deb/redhat/openssl@1")));
        assert!(!all.matches(&purl("pkg:rpm/openssl@1")));
        let prefix = PurlPattern::parse("pkg:deb/ubuntu/openssl*").unwrap();
        assert!(prefix.matches(&purl("pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.15")));
        assert!(prefix.matches(&purl("pkg:deb/ubuntu/openssl-dev@3.0.2")));
        assert!(!prefix.matches(&purl("pkg:deb/ubuntu/libssl3@3.0.2")));
        let exact = PurlPattern::parse("pkg:deb/ubuntu/openssl").unwrap();
        assert!(exact.matches(&purl("pkg:deb/ubuntu/openssl@3.0.2")));
        assert!(!exact.matches(&purl("pkg:deb/ubuntu/openssl-dev@3.0.2")));
    }
}
