//! SPDX 2.3 JSON: the subset of the document format vouch writes.
//!
//! Our own serde types (no Rust crate writes SPDX 2.3 JSON and is kept up):
//! the document, its creation info, packages (with checksums, licences,
//! purl and CPE external references) and relationships.
//!
//! What the SPDX tools check beyond the JSON schema is checked here, on
//! construction: an [`SpdxId`] always matches `^SPDXRef-[A-Za-z0-9.-]+$`
//! ([`SpdxIds`] sanitises names into it and de-duplicates them); a
//! [`Document`] has unique ids, relationships between elements that exist,
//! a `DESCRIBES` relationship, an absolute namespace URI without `#`, a
//! `created` time in the SPDX form, and a definition for every
//! `LicenseRef-` it declares; a CPE reference is a well-formed CPE 2.3
//! name ([`ExternalRef::cpe23`]); a download location is a URL the SPDX
//! tools accept, or `NOASSERTION` ([`download_location`]).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::{Error, Result};

/// The in-toto predicate type of an SPDX 2.3 document.
pub const SPDX_PREDICATE_TYPE: &str = "https://spdx.dev/Document/v2.3";

/// The `spdxVersion` vouch writes.
pub const SPDX_VERSION: &str = "SPDX-2.3";

/// The value SPDX uses for "the preparer makes no assertion".
pub const NOASSERTION: &str = "NOASSERTION";

/// The id every document gives itself.
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

/// An SPDX element id: `SPDXRef-` followed by letters, digits, `.` and
/// `-`, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct SpdxId(String);

impl SpdxId {
    /// Checks `id` against `^SPDXRef-[A-Za-z0-9.-]+$`.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        match id.strip_prefix("SPDXRef-") {
            Some(rest) if !rest.is_empty() && rest.bytes().all(is_id_byte) => Ok(SpdxId(id)),
            _ => Err(Error::invalid(
                format!("SPDXID {id:?}"),
                "must match ^SPDXRef-[A-Za-z0-9.-]+$",
            )),
        }
    }

    /// `SPDXRef-DOCUMENT`, the document's own id.
    pub fn document() -> Self {
        SpdxId(DOCUMENT_ID.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// Hands out unique [`SpdxId`]s made from names, so that packages named
/// `@scope/pkg`, `a_b` or `a b` get valid ids and two packages never share
/// one.
#[derive(Debug)]
pub struct SpdxIds {
    used: BTreeSet<String>,
}

impl Default for SpdxIds {
    fn default() -> Self {
        SpdxIds::new()
    }
}

impl SpdxIds {
    /// An allocator with only `SPDXRef-DOCUMENT` taken.
    pub fn new() -> Self {
        SpdxIds {
            used: BTreeSet::from([DOCUMENT_ID.to_string()]),
        }
    }

    /// `SPDXRef-<hint>`, every byte of `hint` outside `[A-Za-z0-9.-]`
    /// replaced by `-` (an empty hint becomes `-`); when that id is taken,
    /// `-2`, `-3`, … is appended until it is not.
    pub fn allocate(&mut self, hint: &str) -> SpdxId {
        let mut base: String = hint
            .chars()
            .map(|c| {
                if c.is_ascii() && is_id_byte(c as u8) {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        if base.is_empty() {
            base.push('-');
        }
        let base = format!("SPDXRef-{base}");
        let mut id = base.clone();
        let mut n = 1u64;
        while self.used.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.used.insert(id.clone());
        SpdxId(id)
    }
}

/// An SPDX 2.3 document, valid by construction (see [`Document::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: SpdxId,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<Package>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicensingInfo>,
}

impl Document {
    /// A document named `name`, data licence CC0-1.0 (the only one SPDX
    /// allows).
    ///
    /// Refused: a namespace that is not an absolute URI or has a `#`; a
    /// `created` time not written `YYYY-MM-DDThh:mm:ssZ`; no creator; two
    /// packages with one id; a relationship naming an id that is neither
    /// the document nor a package; no `DESCRIBES` from the document; a
    /// `LicenseRef-` in a package's licence with no extracted licensing
    /// info, or one defined twice. The SPDX tools reject each of these.
    pub fn new(
        name: impl Into<String>,
        document_namespace: impl Into<String>,
        creation_info: CreationInfo,
        packages: Vec<Package>,
        relationships: Vec<Relationship>,
        extracted_licensing_infos: Vec<ExtractedLicensingInfo>,
    ) -> Result<Self> {
        let document_namespace = document_namespace.into();
        check_namespace(&document_namespace)?;
        check_created(&creation_info.created)?;
        if creation_info.creators.is_empty() {
            return Err(Error::invalid("SPDX creationInfo", "names no creator"));
        }
        let mut ids = BTreeSet::from([DOCUMENT_ID]);
        for package in &packages {
            if !ids.insert(package.spdx_id.as_str()) {
                return Err(Error::invalid(
                    format!("SPDXID {:?}", package.spdx_id.as_str()),
                    "is used by two elements",
                ));
            }
        }
        for relationship in &relationships {
            for end in [
                &relationship.spdx_element_id,
                &relationship.related_spdx_element,
            ] {
                if !ids.contains(end.as_str()) {
                    return Err(Error::invalid(
                        format!("SPDX relationship {relationship:?}"),
                        format!("names {:?}, which is no element", end.as_str()),
                    ));
                }
            }
        }
        if !relationships.iter().any(|r| {
            r.relationship_type == RelationshipType::Describes
                && r.spdx_element_id.as_str() == DOCUMENT_ID
        }) {
            return Err(Error::invalid(
                "SPDX document",
                "has no DESCRIBES relationship from SPDXRef-DOCUMENT",
            ));
        }
        let mut defined = BTreeSet::new();
        for info in &extracted_licensing_infos {
            if !defined.insert(info.license_id.as_str()) {
                return Err(Error::invalid(
                    format!("SPDX extracted licence {:?}", info.license_id),
                    "is defined twice",
                ));
            }
        }
        for package in &packages {
            for expression in [&package.license_declared, &package.license_concluded] {
                if let Some(undefined) = license_refs(expression).find(|r| !defined.contains(r)) {
                    return Err(Error::invalid(
                        format!("SPDX licence of {:?}", package.spdx_id.as_str()),
                        format!(
                            "uses {undefined}, which hasExtractedLicensingInfos does not define"
                        ),
                    ));
                }
            }
        }
        Ok(Document {
            spdx_version: SPDX_VERSION,
            data_license: "CC0-1.0",
            spdx_id: SpdxId::document(),
            name: name.into(),
            document_namespace,
            creation_info,
            packages,
            relationships,
            has_extracted_licensing_infos: extracted_licensing_infos,
        })
    }
}

/// The `LicenseRef-…` words of a licence expression: each must be
/// defined in the document's `hasExtractedLicensingInfos`.
pub fn license_refs(expression: &str) -> impl Iterator<Item = &str> {
    expression
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|word| word.starts_with("LicenseRef-"))
}

/// An absolute URI (a scheme, then `:`), with no fragment and no spaces.
fn check_namespace(namespace: &str) -> Result<()> {
    let scheme_ok = namespace.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if !scheme_ok || namespace.contains('#') || namespace.contains(char::is_whitespace) {
        return Err(Error::invalid(
            format!("SPDX documentNamespace {namespace:?}"),
            "must be an absolute URI with no `#` and no spaces",
        ));
    }
    Ok(())
}

/// `YYYY-MM-DDThh:mm:ssZ`, the one form SPDX 2.3 allows.
fn check_created(created: &str) -> Result<()> {
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    let ok = created.len() == shape.len()
        && created.bytes().zip(shape).all(|(b, s)| match s {
            b'd' => b.is_ascii_digit(),
            other => b == *other,
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("SPDX created time {created:?}"),
            "must be written YYYY-MM-DDThh:mm:ssZ",
        ))
    }
}

/// Who made the document, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreationInfo {
    /// When, `YYYY-MM-DDThh:mm:ssZ`.
    pub created: String,
    /// Who: `Tool: name-version`, `Organization: …`, `Person: …`.
    pub creators: Vec<String>,
}

/// What a package is, for SPDX consumers that sort by purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Purpose {
    /// A program.
    Application,
    /// A container image.
    Container,
    /// A library or other input.
    Library,
}

/// One package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// Its id.
    #[serde(rename = "SPDXID")]
    pub spdx_id: SpdxId,
    /// Its name.
    pub name: String,
    /// Its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_info: Option<String>,
    /// Where it is downloaded from, or `NOASSERTION` (see
    /// [`download_location`]).
    pub download_location: String,
    /// Always false: vouch lists packages, not their files.
    pub files_analyzed: bool,
    /// Digests of its archives or files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checksums: Vec<Checksum>,
    /// The licence the preparer concluded, or `NOASSERTION`.
    pub license_concluded: String,
    /// The licence the package's metadata declares, or `NOASSERTION`.
    pub license_declared: String,
    /// Why a licence is `NOASSERTION`, with the text the metadata gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_comments: Option<String>,
    /// Copyright text; vouch does not read it, so `NOASSERTION`.
    pub copyright_text: String,
    /// Its purl and CPE.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_refs: Vec<ExternalRef>,
    /// Where it comes from, in words (SPDX 2.3 7.19, "source
    /// information"): the source package a distribution built it from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_info: Option<String>,
    /// What vouch found about it that SPDX has no field for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What it is.
    pub primary_package_purpose: Purpose,
}

impl Package {
    /// A package with an id, a name and a purpose; no version, no
    /// download location, no licence (each `NOASSERTION`). The caller sets
    /// the fields it knows.
    pub fn new(spdx_id: SpdxId, name: impl Into<String>, purpose: Purpose) -> Self {
        Package {
            spdx_id,
            name: name.into(),
            version_info: None,
            download_location: NOASSERTION.into(),
            files_analyzed: false,
            checksums: Vec::new(),
            license_concluded: NOASSERTION.into(),
            license_declared: NOASSERTION.into(),
            license_comments: None,
            copyright_text: NOASSERTION.into(),
            external_refs: Vec::new(),
            source_info: None,
            comment: None,
            primary_package_purpose: purpose,
        }
    }
}

/// `uri` as an SPDX download location when the SPDX tools would accept it:
/// `[git+|hg+|svn+|bzr+]scheme://host[:port][/…]` with a scheme of `http`,
/// `https`, `ftp`, `sftp`, `ssh`, `git` or `svn` and a host with a dot
/// and an alphabetic top-level label; otherwise `NOASSERTION` (an empty
/// origin, a local path, a bare name).
pub fn download_location(uri: &str) -> String {
    fn accepted(uri: &str) -> bool {
        if uri.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return false;
        }
        let rest = ["git+", "hg+", "svn+", "bzr+"]
            .iter()
            .find_map(|vcs| uri.strip_prefix(vcs))
            .unwrap_or(uri);
        let Some((scheme, rest)) = rest.split_once("://") else {
            return false;
        };
        let scheme = scheme.to_ascii_lowercase();
        if !["http", "https", "ftp", "sftp", "ssh", "git", "svn"].contains(&scheme.as_str()) {
            return false;
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = match host_port.rsplit_once(':') {
            Some((host, port))
                if port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok() =>
            {
                host
            }
            Some(_) => return false,
            None => host_port,
        };
        let labels: Vec<&str> = host.split('.').collect();
        labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
    }
    if accepted(uri) {
        uri.to_string()
    } else {
        NOASSERTION.to_string()
    }
}

/// A checksum algorithm, spelt as SPDX spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChecksumAlgorithm {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// One checksum of a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checksum {
    /// The algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// The digest, lowercase hex.
    pub checksum_value: String,
}

/// The categories of external reference vouch writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum ReferenceCategory {
    /// A package manager's coordinates (the purl).
    PackageManager,
    /// A security identifier (the CPE).
    Security,
}

/// A purl or CPE of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalRef {
    /// Its category.
    pub reference_category: ReferenceCategory,
    /// Its type: `purl` or `cpe23Type`.
    pub reference_type: &'static str,
    /// The purl or CPE itself.
    pub reference_locator: String,
}

impl ExternalRef {
    /// A `PACKAGE-MANAGER` `purl` reference. The purl is the caller's to
    /// validate (vouch uses the `packageurl` crate).
    pub fn purl(purl: impl Into<String>) -> Self {
        ExternalRef {
            reference_category: ReferenceCategory::PackageManager,
            reference_type: "purl",
            reference_locator: purl.into(),
        }
    }

    /// A `SECURITY` `cpe23Type` reference.
    ///
    /// A CPE 2.3 formatted string has 13 `:`-separated fields. Envoy and
    /// others write it shortened (`cpe:2.3:a:haxx:libcurl:*`); the missing
    /// trailing fields mean ANY, so they are filled with `*`, the spelling
    /// the SPDX tools require. Refused: no `cpe:2.3:` prefix, a part other
    /// than `a`, `h`, `o`, `*` or `-`, more than 13 fields, and an empty
    /// field or one with characters CPE 2.3 does not allow unescaped.
    pub fn cpe23(cpe: &str) -> Result<Self> {
        let bad = |reason: &str| Error::invalid(format!("CPE {cpe:?}"), reason.to_string());
        let rest = cpe
            .strip_prefix("cpe:2.3:")
            .ok_or_else(|| bad("does not start with cpe:2.3:"))?;
        let fields = split_cpe(rest);
        if fields.len() > 11 {
            return Err(bad("has more than 13 fields"));
        }
        if !matches!(fields.first().copied(), Some("a" | "h" | "o" | "*" | "-")) {
            return Err(bad("its part is not a, h, o, * or -"));
        }
        if let Some(field) = fields.iter().skip(1).find(|f| !cpe_field_ok(f)) {
            return Err(bad(&format!(
                "field {field:?} is empty or has a character CPE 2.3 does not allow"
            )));
        }
        let mut full = format!("cpe:2.3:{rest}");
        for _ in fields.len()..11 {
            full.push_str(":*");
        }
        Ok(ExternalRef {
            reference_category: ReferenceCategory::Security,
            reference_type: "cpe23Type",
            reference_locator: full,
        })
    }
}

/// Splits CPE fields on `:` not escaped by `\`.
fn split_cpe(text: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ':' => {
                fields.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(&text[start..]);
    fields
}

/// One CPE 2.3 field: `*`, `-`, or letters, digits, `-._` and `\`-escaped
/// punctuation, with `?`/`*` wildcards only at the ends.
fn cpe_field_ok(field: &str) -> bool {
    if field == "*" || field == "-" {
        return true;
    }
    let inner = field.trim_start_matches('?');
    let inner = inner.strip_prefix('*').unwrap_or(inner);
    let trimmed = inner.trim_end_matches('?');
    let inner = if trimmed.len() < inner.len() {
        trimmed
    } else {
        // A trailing `*` is a wildcard unless it is escaped.
        match inner.strip_suffix('*') {
            Some(body) if !body.ends_with('\\') || body.ends_with("\\\\") => body,
            _ => inner,
        }
    };
    if inner.is_empty() {
        return false;
    }
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(p) if p.is_ascii_punctuation() => {}
                _ => return false,
            },
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') => {}
            _ => return false,
        }
    }
    true
}

/// The relationship types vouch writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RelationshipType {
    /// The document describes the subject package.
    Describes,
    /// One package depends on another.
    DependsOn,
    /// One package is a later package of the same lineage as another
    /// (SPDX 2.3: "same lineage but postdates"): a distribution's build of
    /// an upstream package.
    DescendantOf,
}

/// A relationship between two elements.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    /// The element the relationship is about.
    pub spdx_element_id: SpdxId,
    /// The relationship.
    pub relationship_type: RelationshipType,
    /// The element it relates to.
    pub related_spdx_element: SpdxId,
}

/// A licence used as `LicenseRef-…`, defined in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractedLicensingInfo {
    /// `LicenseRef-…`.
    pub license_id: String,
    /// The licence text, or a note of where it is when it was not read.
    pub extracted_text: String,
    /// A name for it.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creation() -> CreationInfo {
        CreationInfo {
            created: "2025-01-02T03:04:05Z".into(),
            creators: vec!["Tool: vouch-0.1.0".into()],
        }
    }

    fn rel(a: &SpdxId, t: RelationshipType, b: &SpdxId) -> Relationship {
        Relationship {
            spdx_element_id: a.clone(),
            relationship_type: t,
            related_spdx_element: b.clone(),
        }
    }

    const NS: &str = "https://spdx.org/spdxdocs/vouch-app-0f3a1b2c-3d4e-8f50-a162-738495a6b7c8";

    #[test]
    fn ids_are_sanitised_into_the_alphabet_and_deduplicated() {
        let mut ids = SpdxIds::new();
        let a = ids.allocate("npm-@scope/pkg_x-1.0.0+build");
        assert_eq!(a.as_str(), "SPDXRef-npm--scope-pkg-x-1.0.0-build");
        assert_eq!(
            ids.allocate("npm-@scope/pkg_x-1.0.0+build").as_str(),
            "SPDXRef-npm--scope-pkg-x-1.0.0-build-2"
        );
        assert_eq!(
            ids.allocate("npm--scope-pkg-x-1.0.0-build").as_str(),
            "SPDXRef-npm--scope-pkg-x-1.0.0-build-3"
        );
        assert_eq!(ids.allocate("DOCUMENT").as_str(), "SPDXRef-DOCUMENT-2");
        assert_eq!(ids.allocate("").as_str(), "SPDXRef--");
        assert_eq!(ids.allocate("ünï").as_str(), "SPDXRef--n-");
        for id in [
            "SPDXRef-",
            "SPDXRef-a_b",
            "SPDXRef-a b",
            "spdxref-a",
            "SPDXRef-ü",
        ] {
            assert!(SpdxId::new(id).is_err(), "{id}");
        }
        assert_eq!(
            SpdxId::new("SPDXRef-a.b-C1").unwrap().as_str(),
            "SPDXRef-a.b-C1"
        );
    }

    #[test]
    fn a_valid_document_serialises_with_the_spec_fields() {
        let mut ids = SpdxIds::new();
        let app = ids.allocate("app");
        let lib = ids.allocate("lib");
        let mut package = Package::new(lib.clone(), "lib", Purpose::Library);
        package.license_declared = "MIT OR LicenseRef-x".into();
        package
            .external_refs
            .push(ExternalRef::purl("pkg:cargo/lib@1.0.0"));
        package.checksums.push(Checksum {
            algorithm: ChecksumAlgorithm::Sha256,
            checksum_value: "ab".repeat(32),
        });
        let doc = Document::new(
            "app",
            NS,
            creation(),
            vec![
                Package::new(app.clone(), "app", Purpose::Application),
                package,
            ],
            vec![
                rel(&SpdxId::document(), RelationshipType::Describes, &app),
                rel(&app, RelationshipType::DependsOn, &lib),
            ],
            vec![ExtractedLicensingInfo {
                license_id: "LicenseRef-x".into(),
                extracted_text: "x".into(),
                name: "x".into(),
            }],
        )
        .unwrap();
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["spdxVersion"], "SPDX-2.3");
        assert_eq!(json["dataLicense"], "CC0-1.0");
        assert_eq!(json["SPDXID"], "SPDXRef-DOCUMENT");
        let p = &json["packages"][1];
        assert_eq!(p["SPDXID"], "SPDXRef-lib");
        assert_eq!(p["filesAnalyzed"], false);
        assert_eq!(p["downloadLocation"], "NOASSERTION");
        assert_eq!(p["checksums"][0]["algorithm"], "SHA256");
        assert_eq!(p["externalRefs"][0]["referenceCategory"], "PACKAGE-MANAGER");
        assert_eq!(p["externalRefs"][0]["referenceType"], "purl");
        assert_eq!(p["primaryPackagePurpose"], "LIBRARY");
        assert_eq!(json["relationships"][0]["relationshipType"], "DESCRIBES");
        assert_eq!(json["relationships"][1]["relationshipType"], "DEPENDS_ON");
        assert_eq!(
            json["hasExtractedLicensingInfos"][0]["licenseId"],
            "LicenseRef-x"
        );
    }

    #[test]
    fn inconsistent_documents_are_refused() {
        let mut ids = SpdxIds::new();
        let app = ids.allocate("app");
        let ghost = ids.allocate("ghost");
        let describes = rel(&SpdxId::document(), RelationshipType::Describes, &app);
        let pkg = || Package::new(app.clone(), "app", Purpose::Application);
        let refused = |ns: &str, created: &str, packages: Vec<Package>, rels: Vec<Relationship>| {
            let mut info = creation();
            info.created = created.into();
            Document::new("app", ns, info, packages, rels, vec![])
                .unwrap_err()
                .to_string()
        };
        let ok_time = "2025-01-02T03:04:05Z";
        let e = refused("no-scheme", ok_time, vec![pkg()], vec![describes.clone()]);
        assert!(e.contains("documentNamespace"), "{e}");
        let e = refused(
            &format!("{NS}#x"),
            ok_time,
            vec![pkg()],
            vec![describes.clone()],
        );
        assert!(e.contains("documentNamespace"), "{e}");
        let e = refused(
            NS,
            "2025-01-02T03:04:05.123Z",
            vec![pkg()],
            vec![describes.clone()],
        );
        assert!(e.contains("created time"), "{e}");
        let e = refused(NS, ok_time, vec![pkg(), pkg()], vec![describes.clone()]);
        assert!(e.contains("used by two elements"), "{e}");
        let e = refused(
            NS,
            ok_time,
            vec![pkg()],
            vec![
                describes.clone(),
                rel(&app, RelationshipType::DependsOn, &ghost),
            ],
        );
        assert!(e.contains("SPDXRef-ghost"), "{e}");
        let e = refused(NS, ok_time, vec![pkg()], vec![]);
        assert!(e.contains("DESCRIBES"), "{e}");
        let mut licensed = pkg();
        licensed.license_declared = "(MIT OR LicenseRef-y)".into();
        let e = refused(NS, ok_time, vec![licensed], vec![describes.clone()]);
        assert!(e.contains("LicenseRef-y"), "{e}");
        // Control: the same document without a fault is accepted.
        Document::new("app", NS, creation(), vec![pkg()], vec![describes], vec![]).unwrap();
    }

    #[test]
    fn download_locations_are_urls_the_spdx_tools_accept_or_noassertion() {
        for ok in [
            "https://crates.io/crates/serde/1.0.0",
            "https://registry.npmjs.org/@scope/a/-/a-1.0.0.tgz",
            "git+https://github.com/x/y?branch=main#0123abc",
            "https://user@example.com:8443/x",
            "ftp://ftp.gnu.org/gnu/x.tar.gz",
        ] {
            assert_eq!(download_location(ok), ok);
        }
        for bad in [
            "",
            "u",
            "third_party/zlib",
            "file:///tmp/x",
            "https://localhost/x",
            "https://127.0.0.1/x",
            "https://example.com:99999/x",
            "https://exa mple.com/x",
        ] {
            assert_eq!(download_location(bad), NOASSERTION, "{bad}");
        }
    }

    #[test]
    fn cpes_are_completed_to_13_fields_and_checked() {
        let full = |cpe: &str| ExternalRef::cpe23(cpe).unwrap().reference_locator;
        assert_eq!(
            full("cpe:2.3:a:haxx:libcurl:*"),
            "cpe:2.3:a:haxx:libcurl:*:*:*:*:*:*:*:*"
        );
        let complete = "cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*";
        assert_eq!(full(complete), complete);
        assert_eq!(
            full("cpe:2.3:a:a\\:b:c:*"),
            "cpe:2.3:a:a\\:b:c:*:*:*:*:*:*:*:*"
        );
        for bad in [
            "cpe:/a:haxx:libcurl",
            "cpe:2.3:x:haxx:libcurl",
            "cpe:2.3:a:haxx::*",
            "cpe:2.3:a:ha xx:libcurl",
            "cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*:*",
        ] {
            assert!(ExternalRef::cpe23(bad).is_err(), "{bad}");
        }
    }
}
