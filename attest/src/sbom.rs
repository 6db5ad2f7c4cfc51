//! SBOMs of a project's inputs: CycloneDX 1.6 and SPDX 2.3 JSON.
//!
//! Both builders are pure: the caller passes the inputs (already
//! discovered, and classified if it wants criticality recorded), what the
//! SBOM is about (a [`Subject`]) and the time. The same subject and inputs
//! give the same document apart from its timestamp: the CycloneDX
//! `serialNumber` and the SPDX `documentNamespace` carry a UUID made from
//! the SHA-256 of the format, vouch's version, the subject and the inputs
//! (see [`document_uuid`]).
//!
//! How an [`Input`] is written:
//!
//! - **Identity.** Its purl, canonicalised by the `packageurl` crate (which
//!   refuses a malformed one: an error naming the input), is the CycloneDX
//!   `bom-ref` and the SPDX `PACKAGE-MANAGER` reference. Two inputs with
//!   one purl (a crate from crates.io and from git) get refs `<purl>` and
//!   `<purl> (2)`; SPDX ids are `SPDXRef-<ecosystem>-<name>-<version>`,
//!   sanitised and de-duplicated by [`SpdxIds`].
//! - **Digests.** `declared` and `observed` are read in their own notations
//!   (`sha256:<hex>` lists, npm's SRI `sha512-<base64>`, turned into hex).
//!   SHA-1/256/384/512 become CycloneDX `hashes` and SPDX `checksums`: the
//!   observed ones always, the declared ones unless the input is a
//!   mismatch (then the declaration is not what is there; it stays in the
//!   `vouch:declared` property). A `dirHash` is not the digest of any file,
//!   so it goes in the `vouch:observed-dirhash` property, never in hashes.
//! - **Licence.** A valid SPDX expression ([`crate::license`]) is a
//!   CycloneDX `expression` and the SPDX `licenseDeclared`, with every
//!   `LicenseRef-` it uses defined in `hasExtractedLicensingInfos`. Other
//!   text is a CycloneDX licence `name`; in SPDX it is never written as an
//!   expression: `licenseDeclared` is `NOASSERTION` and `licenseComments`
//!   quotes it (as for an expression pointing into another document, which
//!   this one does not include). `licenseConcluded` is always
//!   `NOASSERTION`: vouch reads what the metadata declares and concludes
//!   nothing, and `filesAnalyzed` is false.
//! - **Facts with no field of their own** are CycloneDX properties and, in
//!   SPDX, lines of the package `comment`, with the same names:
//!   `vouch:ecosystem`, `vouch:match` (`match`, `mismatch`,
//!   `not-vendored`), `vouch:mismatch-reason`, `vouch:critical` (`true` or
//!   `false`), one `vouch:critical-reason` per reason, one `vouch:category`
//!   per category, `vouch:path`, `vouch:declared` (as the lockfile wrote
//!   it) and `vouch:observed-dirhash`. A mismatched input is still listed:
//!   the SBOM records what is there, `vouch inputs` is the gate.
//! - **Origin.** The `uri` is a CycloneDX external reference (`vcs` for git
//!   URLs, `distribution` otherwise) and the SPDX `downloadLocation` when
//!   it is a URL the SPDX tools accept ([`spdx::download_location`]).
//! - **Patches.** CycloneDX `pedigree.patches` (type `unofficial`, the
//!   patch path as `diff.url`); `vouch:patch` comment lines in SPDX.
//! - **CPE.** The CycloneDX `cpe` and an SPDX `cpe23Type` reference,
//!   completed to 13 fields ([`ExternalRef::cpe23`]); a CPE that is not a
//!   CPE 2.3 name is kept as written in CycloneDX and as a `vouch:cpe`
//!   comment line in SPDX.
//! - **Unbundled inputs** (`vouch unbundle`, [`Input::distribution`]): in
//!   CycloneDX the component is the distribution's build (its package
//!   name, version and purl, also its `bom-ref`), with the upstream
//!   component as its one `pedigree.ancestors` entry and the
//!   distribution's patches in `pedigree.patches` (see
//!   [`InputRecord::to_component`]); in SPDX the input's package stays as
//!   it is and the distribution's build is a package of its own (purl, the
//!   `.deb`'s SHA-256, its source package as `sourceInfo`),
//!   `DESCENDANT_OF` it. Both carry the `vouch:distribution-*` facts.
//! - **Graph.** The subject depends on every input; each input on the
//!   inputs its lockfile names ([`Input::dependencies`]), where they are
//!   inputs of this SBOM: a dependency that is not (a path crate, a
//!   workspace member) is left out rather than left dangling.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{alphabet, Engine as _};
use packageurl::PackageUrl;
use serde::Serialize;
use serde_json::Value;
use vouch_evidence::cyclonedx::{
    self, Bom, Component, ComponentType, Dependency, LicenseChoice, Metadata, NamedLicense, Tools,
};
use vouch_evidence::input::{percent_encode, property, Distribution, InputRecord};
use vouch_evidence::spdx::{
    self, Checksum, CreationInfo, Document, ExternalRef, ExtractedLicensingInfo, Package, Purpose,
    Relationship, RelationshipType, SpdxId, SpdxIds,
};

use crate::license::spdx_expression;
use crate::{Error, Input, Match, Result};

/// vouch's version, recorded as the tool that made the SBOM.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What an SBOM is about: the project, or the image built from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// Its name: the project directory's name, or the image reference.
    pub name: String,
    /// Its version, if it has one.
    pub version: Option<String>,
    /// Its purl (`pkg:oci/…` for an image makes it a container).
    pub purl: Option<String>,
    /// Its digest as (algorithm, lowercase hex), e.g. `("sha256", "…")`,
    /// when known (an image's manifest digest).
    pub digest: Option<(String, String)>,
}

/// The CycloneDX 1.6 BOM of `inputs`, about `subject`, made at
/// `timestamp` (RFC 3339), as the JSON predicate of
/// [`vouch_evidence::cyclonedx::CYCLONEDX_PREDICATE_TYPE`]. It is built as
/// a [`Bom`], so its refs and graph are checked.
pub fn cyclonedx(subject: &Subject, inputs: &[Input], timestamp: &str) -> Result<Value> {
    let prepared = prepare(inputs)?;
    let subject_purl = subject_purl(subject)?;
    let subject_digest = subject_digest(subject)?;

    let mut refs = BomRefs::default();
    let subject_kind = match &subject_purl {
        Some((_, ty)) if ty == "oci" || ty == "docker" => ComponentType::Container,
        _ => ComponentType::Application,
    };
    let mut root = Component::new(subject_kind, &subject.name);
    let root_ref = refs.take(
        subject_purl
            .as_ref()
            .map_or(subject.name.as_str(), |(purl, _)| purl.as_str()),
    );
    root.bom_ref = Some(root_ref.clone());
    root.version = subject.version.clone();
    root.purl = subject_purl.map(|(purl, _)| purl);
    root.hashes = subject_digest
        .into_iter()
        .map(|(alg, content)| cyclonedx::Hash {
            alg: alg.cyclonedx(),
            content,
        })
        .collect();

    // An unbundled input's component is the distribution's build
    // (`InputRecord::to_component`): its ref is that package's purl.
    let input_refs: Vec<String> = prepared
        .iter()
        .map(|p| match &p.record.distribution {
            Some(d) => refs.take(&d.purl.canonical()),
            None => refs.take(&p.purl),
        })
        .collect();
    let components = prepared
        .iter()
        .zip(&input_refs)
        .map(|(p, bom_ref)| component(p, bom_ref))
        .collect();

    let mut dependencies = vec![Dependency {
        reference: root_ref,
        depends_on: input_refs.clone(),
    }];
    for (p, bom_ref) in prepared.iter().zip(&input_refs) {
        dependencies.push(Dependency {
            reference: bom_ref.clone(),
            depends_on: p
                .depends_on
                .iter()
                .map(|&j| input_refs[j].clone())
                .collect(),
        });
    }

    let mut tool = Component::new(ComponentType::Application, "vouch");
    tool.version = Some(VERSION.into());
    let metadata = Metadata {
        timestamp: timestamp.into(),
        tools: Tools {
            components: vec![tool],
        },
        component: Some(root),
    };
    let serial = document_uuid("cyclonedx", subject, inputs)?;
    let bom = Bom::new(serial.urn().to_string(), metadata, components, dependencies)?;
    to_json(&bom, "CycloneDX SBOM", subject)
}

/// The SPDX 2.3 document of `inputs`, about `subject`, made at `timestamp`
/// (`YYYY-MM-DDThh:mm:ssZ`, the only form SPDX allows), as the JSON
/// predicate of [`vouch_evidence::spdx::SPDX_PREDICATE_TYPE`]. It is built
/// as a [`Document`], so its ids, relationships and licence references are
/// checked.
pub fn spdx(subject: &Subject, inputs: &[Input], timestamp: &str) -> Result<Value> {
    let prepared = prepare(inputs)?;
    let subject_purl = subject_purl(subject)?;
    let subject_digest = subject_digest(subject)?;

    let mut ids = SpdxIds::new();
    let root_id = ids.allocate(&subject.name);
    let purpose = match &subject_purl {
        Some((_, ty)) if ty == "oci" || ty == "docker" => Purpose::Container,
        _ => Purpose::Application,
    };
    let mut root = Package::new(root_id.clone(), &subject.name, purpose);
    root.version_info = subject.version.clone();
    root.checksums = subject_digest
        .into_iter()
        .map(|(alg, checksum_value)| Checksum {
            algorithm: alg.spdx(),
            checksum_value,
        })
        .collect();
    root.external_refs = subject_purl
        .into_iter()
        .map(|(purl, _)| ExternalRef::purl(purl))
        .collect();

    let input_ids: Vec<SpdxId> = prepared
        .iter()
        .map(|p| {
            let i = p.input;
            ids.allocate(&format!("{}-{}-{}", i.ecosystem, i.name, i.version))
        })
        .collect();
    let mut license_refs = BTreeSet::new();
    let mut packages = vec![root];
    for (p, id) in prepared.iter().zip(&input_ids) {
        packages.push(package(p, id.clone(), &mut license_refs));
    }

    let mut relationships = vec![Relationship {
        spdx_element_id: SpdxId::document(),
        relationship_type: RelationshipType::Describes,
        related_spdx_element: root_id.clone(),
    }];
    for id in &input_ids {
        relationships.push(Relationship {
            spdx_element_id: root_id.clone(),
            relationship_type: RelationshipType::DependsOn,
            related_spdx_element: id.clone(),
        });
    }
    for (p, id) in prepared.iter().zip(&input_ids) {
        for &j in &p.depends_on {
            relationships.push(Relationship {
                spdx_element_id: id.clone(),
                relationship_type: RelationshipType::DependsOn,
                related_spdx_element: input_ids[j].clone(),
            });
        }
    }
    // An unbundled input: the distribution's build that provides it, a
    // package of its own descending from the upstream one.
    for (p, id) in prepared.iter().zip(&input_ids) {
        if let Some(d) = &p.record.distribution {
            let eco = d.purl.package_url().ty();
            let dist_id = ids.allocate(&format!("{eco}-{}-{}", d.package(), d.version()));
            packages.push(distribution_package(d, dist_id.clone()));
            relationships.push(Relationship {
                spdx_element_id: dist_id,
                relationship_type: RelationshipType::DescendantOf,
                related_spdx_element: id.clone(),
            });
        }
    }

    let extracted = license_refs
        .into_iter()
        .map(|license_id: String| ExtractedLicensingInfo {
            name: license_id
                .strip_prefix("LicenseRef-")
                .unwrap_or(&license_id)
                .to_string(),
            extracted_text: "Not included: the package metadata names this licence by \
                             reference only; its text is in the package."
                .into(),
            license_id,
        })
        .collect();
    let uuid = document_uuid("spdx", subject, inputs)?;
    let namespace = format!(
        "https://spdx.org/spdxdocs/vouch-{}-{}",
        percent_encode(&subject.name),
        uuid.hyphenated()
    );
    let creation = CreationInfo {
        created: timestamp.into(),
        creators: vec![format!("Tool: vouch-{VERSION}")],
    };
    let document = Document::new(
        &subject.name,
        namespace,
        creation,
        packages,
        relationships,
        extracted,
    )?;
    to_json(&document, "SPDX SBOM", subject)
}

/// `document` as JSON; `what` names it in the (unexpected) error.
fn to_json(document: &impl Serialize, what: &'static str, subject: &Subject) -> Result<Value> {
    serde_json::to_value(document).map_err(|e| Error::Invalid {
        what,
        path: format!("subject {}", subject.name),
        reason: e.to_string(),
    })
}

/// A UUID naming one SBOM: the first 128 bits of the SHA-256 of the
/// format, vouch's version, the subject and the inputs (as JSON), with the
/// version and variant bits of an RFC 9562 version 8 UUID.
///
/// Version 8 is the one RFC 9562 reserves for custom, e.g. hash-based,
/// UUIDs (its appendix B.2 builds one from SHA-256). Version 5 would claim
/// SHA-1 over a namespace and name, which this is not. Being derived from
/// the content, the same tree gives the same serial number and namespace,
/// and any change to it (an input, a digest, the vouch version that
/// decides the mapping) gives another.
fn document_uuid(format: &str, subject: &Subject, inputs: &[Input]) -> Result<uuid::Uuid> {
    let content =
        serde_json::to_vec(&(format, VERSION, subject, inputs)).map_err(|e| Error::Invalid {
            what: "SBOM content",
            path: subject.name.clone(),
            reason: e.to_string(),
        })?;
    let digest = vouch_evidence::digest::sha256(&content);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.0[..16]);
    Ok(uuid::Builder::from_custom_bytes(bytes).into_uuid())
}

/// A hash algorithm both formats know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Alg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Alg {
    /// From its in-toto / SRI name (`sha256`), in any case.
    fn named(name: &str) -> Option<Alg> {
        match name.to_ascii_lowercase().as_str() {
            "sha1" => Some(Alg::Sha1),
            "sha256" => Some(Alg::Sha256),
            "sha384" => Some(Alg::Sha384),
            "sha512" => Some(Alg::Sha512),
            _ => None,
        }
    }

    /// Its digest length in bytes.
    fn len(self) -> usize {
        match self {
            Alg::Sha1 => 20,
            Alg::Sha256 => 32,
            Alg::Sha384 => 48,
            Alg::Sha512 => 64,
        }
    }

    fn cyclonedx(self) -> cyclonedx::HashAlg {
        match self {
            Alg::Sha1 => cyclonedx::HashAlg::Sha1,
            Alg::Sha256 => cyclonedx::HashAlg::Sha256,
            Alg::Sha384 => cyclonedx::HashAlg::Sha384,
            Alg::Sha512 => cyclonedx::HashAlg::Sha512,
        }
    }

    fn spdx(self) -> spdx::ChecksumAlgorithm {
        match self {
            Alg::Sha1 => spdx::ChecksumAlgorithm::Sha1,
            Alg::Sha256 => spdx::ChecksumAlgorithm::Sha256,
            Alg::Sha384 => spdx::ChecksumAlgorithm::Sha384,
            Alg::Sha512 => spdx::ChecksumAlgorithm::Sha512,
        }
    }
}

/// `value` as lowercase hex if it is hex of `alg`'s length.
fn hex_of(alg: Alg, value: &str) -> Option<String> {
    (value.len() == alg.len() * 2 && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| value.to_ascii_lowercase())
}

/// SRI base64: the standard alphabet, padding optional.
const SRI_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The file digests in a declared or observed string.
#[derive(Default)]
struct Digests {
    /// File digests, as (algorithm, lowercase hex).
    hashes: BTreeSet<(Alg, String)>,
}

/// Reads `<alg>:<hex>` and SRI `<alg>-<base64>[?options]` file digests, separated
/// by `,` or white space. Tokens of other algorithms, or malformed ones,
/// are skipped: they stay readable in `vouch:declared`.
fn digests(text: &str) -> Digests {
    let mut out = Digests::default();
    for token in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
    {
        if let Some((name, value)) = token.split_once(':') {
            // A `dirHash` is no file digest: the record's property.
            if let Some(alg) = Alg::named(name) {
                if let Some(hex) = hex_of(alg, value) {
                    out.hashes.insert((alg, hex));
                }
            }
        } else if let Some((name, value)) = token.split_once('-') {
            let Some(alg) = Alg::named(name) else {
                continue;
            };
            let b64 = value.split('?').next().unwrap_or(value);
            if let Ok(bytes) = SRI_BASE64.decode(b64) {
                if bytes.len() == alg.len() {
                    out.hashes.insert((alg, hex::encode(bytes)));
                }
            }
        }
    }
    out
}

/// An input's licence as the SBOMs write it.
enum Licence {
    /// A valid SPDX expression, canonical.
    Expression(String),
    /// Anything else, as written.
    Named(String),
}

/// An input, read once for both formats.
struct Prepared<'a> {
    input: &'a Input,
    /// What evidence records of it.
    record: InputRecord,
    /// Its purl, canonical.
    purl: String,
    /// File digests to list as hashes/checksums, sorted.
    hashes: Vec<(Alg, String)>,
    licence: Option<Licence>,
    /// Indices of the inputs it depends on, sorted, without itself.
    depends_on: Vec<usize>,
}

/// `purl`, canonicalised; `whose` names its owner in the error.
fn canonical_purl(purl: &str, whose: impl FnOnce() -> String) -> Result<PackageUrl<'static>> {
    PackageUrl::from_str(purl).map_err(|e| Error::Invalid {
        what: "purl",
        path: whose(),
        reason: format!("{purl:?}: {e}"),
    })
}

/// The subject's purl (canonical) and its type, if it has one.
fn subject_purl(subject: &Subject) -> Result<Option<(String, String)>> {
    subject
        .purl
        .as_deref()
        .map(|purl| {
            let parsed = canonical_purl(purl, || format!("subject {}", subject.name))?;
            Ok((parsed.to_string(), parsed.ty().to_string()))
        })
        .transpose()
}

/// The subject's digest, checked.
fn subject_digest(subject: &Subject) -> Result<Option<(Alg, String)>> {
    let Some((name, value)) = &subject.digest else {
        return Ok(None);
    };
    Alg::named(name)
        .and_then(|alg| Some((alg, hex_of(alg, value)?)))
        .map(Some)
        .ok_or_else(|| Error::Invalid {
            what: "digest",
            path: format!("subject {}", subject.name),
            reason: format!(
                "{name}:{value} is not a SHA-1, SHA-256, SHA-384 or SHA-512 hex digest"
            ),
        })
}

/// Reads every input once: canonical purl, digests, licence, graph edges.
fn prepare(inputs: &[Input]) -> Result<Vec<Prepared<'_>>> {
    let purls: Vec<String> = inputs
        .iter()
        .map(|i| {
            canonical_purl(&i.purl, || {
                format!("input {} {} ({})", i.name, i.version, i.ecosystem)
            })
            .map(|p| p.to_string())
        })
        .collect::<Result<_>>()?;
    // A dependency is named by its purl as its ecosystem spelt it, or in
    // canonical form; the first input with that purl is the one meant.
    let mut by_purl: HashMap<&str, usize> = HashMap::new();
    for (i, (input, canonical)) in inputs.iter().zip(&purls).enumerate() {
        by_purl.entry(canonical.as_str()).or_insert(i);
        by_purl.entry(input.purl.as_str()).or_insert(i);
    }
    let mut prepared = Vec::with_capacity(inputs.len());
    for (i, (input, purl)) in inputs.iter().zip(&purls).enumerate() {
        let observed = input.observed.as_deref().map(digests).unwrap_or_default();
        let mut hashes = observed.hashes;
        if !matches!(input.status, Match::Mismatch { .. }) {
            if let Some(declared) = input.declared.as_deref() {
                hashes.extend(digests(declared).hashes);
            }
        }
        let depends_on: BTreeSet<usize> = input
            .dependencies
            .iter()
            .filter_map(|dep| {
                by_purl.get(dep.as_str()).copied().or_else(|| {
                    let canonical = PackageUrl::from_str(dep).ok()?.to_string();
                    by_purl.get(canonical.as_str()).copied()
                })
            })
            .filter(|&j| j != i)
            .collect();
        let licence = input
            .license
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| match spdx_expression(l) {
                Some(expression) => Licence::Expression(expression),
                None => Licence::Named(l.to_string()),
            });
        prepared.push(Prepared {
            input,
            record: input.record()?,
            purl: purl.clone(),
            hashes: hashes.into_iter().collect(),
            licence,
            depends_on: depends_on.into_iter().collect(),
        });
    }
    Ok(prepared)
}

/// One input as a CycloneDX component: its record's
/// ([`InputRecord::to_component`]), with the `bom-ref`, the hashes read
/// from the declaration too, and the licence as an expression where it is
/// one.
fn component(p: &Prepared, bom_ref: &str) -> Component {
    let mut c = p.record.to_component();
    c.bom_ref = Some(bom_ref.into());
    if p.record.distribution.is_none() {
        c.purl = Some(p.purl.clone());
    }
    c.hashes = p
        .hashes
        .iter()
        .map(|(alg, hex)| cyclonedx::Hash {
            alg: alg.cyclonedx(),
            content: hex.clone(),
        })
        .collect();
    c.licenses = match &p.licence {
        Some(Licence::Expression(expression)) => vec![LicenseChoice::Expression {
            expression: expression.clone(),
        }],
        Some(Licence::Named(name)) => vec![LicenseChoice::License {
            license: NamedLicense { name: name.clone() },
        }],
        None => Vec::new(),
    };
    c
}

/// One input as an SPDX package; the `LicenseRef-`s its licence uses are
/// added to `license_refs`.
fn package(p: &Prepared, id: SpdxId, license_refs: &mut BTreeSet<String>) -> Package {
    let input = p.input;
    let mut package = Package::new(id, &input.name, Purpose::Library);
    package.version_info = (!input.version.is_empty()).then(|| input.version.clone());
    package.download_location = spdx::download_location(&input.uri);
    package.checksums = p
        .hashes
        .iter()
        .map(|(alg, hex)| Checksum {
            algorithm: alg.spdx(),
            checksum_value: hex.clone(),
        })
        .collect();
    match &p.licence {
        Some(Licence::Expression(expression)) => {
            // SPDX 2.3 has no AdditionRef, and a DocumentRef needs the
            // other document, which this one does not reference.
            let foreign = expression
                .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .any(|w| w.starts_with("DocumentRef-") || w.starts_with("AdditionRef-"));
            if foreign {
                package.license_comments = Some(format!(
                    "The package metadata declares {expression:?}, which refers to licences \
                     outside this document."
                ));
            } else {
                license_refs.extend(spdx::license_refs(expression).map(str::to_string));
                package.license_declared = expression.clone();
            }
        }
        Some(Licence::Named(name)) => {
            package.license_comments = Some(format!(
                "The package metadata declares {name:?}, which is not an SPDX licence expression."
            ));
        }
        None => {}
    }
    package
        .external_refs
        .push(ExternalRef::purl(p.purl.clone()));
    let mut lines: Vec<String> = p
        .record
        .facts()
        .into_iter()
        .map(|(name, value)| format!("{name} = {value}"))
        .collect();
    lines.extend(
        input
            .patches
            .iter()
            .map(|patch| format!("{} = {patch}", property::PATCH)),
    );
    if let Some(cpe) = &input.cpe {
        match ExternalRef::cpe23(cpe) {
            Ok(reference) => package.external_refs.push(reference),
            Err(_) => lines.push(format!("{} = {cpe}", property::CPE)),
        }
    }
    package.comment = Some(lines.join("\n"));
    package
}

/// The SPDX package of the distribution's build an unbundled input is
/// provided by: its package name and version, its purl, the `.deb`'s
/// SHA-256 as its checksum (the file the chain of custody verified), and
/// the source package and patches it was built with as its source
/// information.
fn distribution_package(d: &Distribution, id: SpdxId) -> Package {
    let mut package = Package::new(id, d.package(), Purpose::Library);
    package.version_info = Some(d.version().to_string());
    package.checksums = vec![Checksum {
        algorithm: Alg::Sha256.spdx(),
        checksum_value: d.deb.value().to_string(),
    }];
    package
        .external_refs
        .push(ExternalRef::purl(d.purl.canonical()));
    let patches = if d.patches.is_empty() {
        "no patches".to_string()
    } else {
        format!("patches {}", d.patches.join(", "))
    };
    package.source_info = Some(format!(
        "built from source package {} {} with {patches}; installed at {}; \
         release signed by {} on {}",
        d.source_name, d.source_version, d.path, d.signer, d.release_date
    ));
    package
}

/// Hands out unique CycloneDX `bom-ref`s.
#[derive(Default)]
struct BomRefs {
    used: BTreeSet<String>,
}

impl BomRefs {
    /// `want`, or `want (2)`, `want (3)`, … when taken.
    fn take(&mut self, want: &str) -> String {
        let mut candidate = want.to_string();
        let mut n = 1u64;
        while self.used.contains(&candidate) {
            n += 1;
            candidate = format!("{want} ({n})");
        }
        self.used.insert(candidate.clone());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_evidence::spdx::NOASSERTION;

    const TIME: &str = "2025-01-02T03:04:05Z";

    fn input(ecosystem: &'static str, name: &str, version: &str, purl: &str) -> Input {
        Input::declared(ecosystem, name, version, purl, "")
    }

    fn subject() -> Subject {
        Subject {
            name: "app".into(),
            version: Some("1.0.0".into()),
            purl: None,
            digest: None,
        }
    }

    /// A small project: two crates (one depending on the other and on a
    /// crate that is not an input), one npm package, one generic library.
    fn inputs() -> Vec<Input> {
        let mut a = input("cargo", "a", "1.0.0", "pkg:cargo/a@1.0.0");
        a.uri = "https://crates.io/crates/a/1.0.0".into();
        a.declared = Some(format!("sha256:{}", "ab".repeat(32)));
        a.observed = Some(format!("dirHash:{}", "cd".repeat(32)));
        a.status = Match::Match;
        a.path = Some("vendor/a".into());
        a.license = Some("MIT/Apache-2.0".into());
        a.dependencies = vec!["pkg:cargo/b@2.0.0".into(), "pkg:cargo/gone@9.9.9".into()];
        let mut b = input("cargo", "b", "2.0.0", "pkg:cargo/b@2.0.0");
        b.license = Some("LicenseRef-file".into());
        b.critical = vec!["name matches openssl".into()];
        let mut n = input("npm", "@scope/n", "3.0.0", "pkg:npm/%40scope/n@3.0.0");
        n.uri = "https://registry.npmjs.org/@scope/n/-/n-3.0.0.tgz".into();
        // SRI of 64 bytes 0x00..0x3f.
        let bytes: Vec<u8> = (0u8..64).collect();
        n.declared = Some(format!("sha512-{}", SRI_BASE64.encode(&bytes)));
        n.license = Some("SEE LICENSE IN LICENSE.txt".into());
        let mut z = input("generic", "zlib", "1.3.1", "pkg:generic/zlib@1.3.1");
        z.uri = "https://zlib.net/zlib-1.3.1.tar.gz".into();
        z.patches = vec!["patches/zlib.patch".into()];
        z.cpe = Some("cpe:2.3:a:zlib:zlib:*".into());
        z.status = Match::Mismatch {
            reason: "path third_party/zlib has dirHash x".into(),
        };
        z.declared = Some(format!("sha256:{}", "11".repeat(32)));
        z.observed = Some(format!("sha256:{}", "22".repeat(32)));
        vec![a, b, n, z]
    }

    fn cdx_json(subject: &Subject, inputs: &[Input], time: &str) -> Value {
        cyclonedx(subject, inputs, time).unwrap()
    }

    fn spdx_json(subject: &Subject, inputs: &[Input], time: &str) -> Value {
        spdx(subject, inputs, time).unwrap()
    }

    fn property<'a>(component: &'a Value, name: &str) -> Vec<&'a str> {
        component["properties"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"] == name)
            .map(|p| p["value"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn the_same_inputs_give_the_same_documents_and_a_change_another() {
        let (s, i) = (subject(), inputs());
        let a = cdx_json(&s, &i, TIME);
        let b = cdx_json(&s, &i, "2030-01-01T00:00:00Z");
        assert_eq!(a["serialNumber"], b["serialNumber"]);
        assert_ne!(a["metadata"]["timestamp"], b["metadata"]["timestamp"]);
        let serial = a["serialNumber"].as_str().unwrap();
        let uuid = serial.strip_prefix("urn:uuid:").unwrap();
        assert_eq!(&uuid[14..15], "8", "version 8: {uuid}");
        assert!("89ab".contains(&uuid[19..20]), "RFC variant: {uuid}");
        let doc = spdx_json(&s, &i, TIME);
        assert_eq!(doc, spdx_json(&s, &i, TIME));
        let namespace = doc["documentNamespace"].as_str().unwrap();
        assert!(
            namespace.starts_with("https://spdx.org/spdxdocs/vouch-app-"),
            "{namespace}"
        );
        assert!(!namespace.ends_with(uuid), "each format has its own UUID");
        // Negative control: one changed digest changes both identifiers.
        let mut changed = inputs();
        changed[0].observed = Some(format!("dirHash:{}", "ce".repeat(32)));
        assert_ne!(
            cdx_json(&s, &changed, TIME)["serialNumber"],
            a["serialNumber"]
        );
        assert_ne!(
            spdx_json(&s, &changed, TIME)["documentNamespace"],
            doc["documentNamespace"]
        );
    }

    #[test]
    fn components_carry_purls_hashes_licences_properties_and_patches() {
        let bom = cdx_json(&subject(), &inputs(), TIME);
        assert_eq!(bom["specVersion"], "1.6");
        assert_eq!(bom["metadata"]["component"]["type"], "application");
        assert_eq!(bom["metadata"]["component"]["bom-ref"], "app");
        assert_eq!(
            bom["metadata"]["tools"]["components"][0]["version"],
            VERSION
        );
        let c = &bom["components"];
        let a = &c[0];
        assert_eq!(a["bom-ref"], "pkg:cargo/a@1.0.0");
        assert_eq!(a["purl"], "pkg:cargo/a@1.0.0");
        // The declared .crate digest is a hash; the dirHash is a property.
        assert_eq!(
            a["hashes"],
            serde_json::json!([{"alg": "SHA-256", "content": "ab".repeat(32)}])
        );
        assert_eq!(property(a, "vouch:observed-dirhash"), ["cd".repeat(32)]);
        assert_eq!(a["licenses"][0]["expression"], "MIT OR Apache-2.0");
        assert_eq!(a["externalReferences"][0]["type"], "distribution");
        assert_eq!(property(a, "vouch:match"), ["match"]);
        assert_eq!(property(a, "vouch:path"), ["vendor/a"]);
        assert_eq!(property(a, "vouch:critical"), ["false"]);
        let b = &c[1];
        assert_eq!(property(b, "vouch:critical"), ["true"]);
        assert_eq!(
            property(b, "vouch:critical-reason"),
            ["name matches openssl"]
        );
        assert_eq!(property(b, "vouch:match"), ["not-vendored"]);
        let n = &c[2];
        assert_eq!(n["purl"], "pkg:npm/%40scope/n@3.0.0");
        assert_eq!(
            n["licenses"][0]["license"]["name"],
            "SEE LICENSE IN LICENSE.txt"
        );
        let z = &c[3];
        // A mismatch lists what is on disk, not what was declared.
        assert_eq!(
            z["hashes"],
            serde_json::json!([{"alg": "SHA-256", "content": "22".repeat(32)}])
        );
        assert_eq!(
            property(z, "vouch:declared"),
            [format!("sha256:{}", "11".repeat(32))]
        );
        assert_eq!(property(z, "vouch:match"), ["mismatch"]);
        assert_eq!(
            property(z, "vouch:mismatch-reason"),
            ["path third_party/zlib has dirHash x"]
        );
        assert_eq!(z["pedigree"]["patches"][0]["type"], "unofficial");
        assert_eq!(
            z["pedigree"]["patches"][0]["diff"]["url"],
            "patches/zlib.patch"
        );
        assert_eq!(z["cpe"], "cpe:2.3:a:zlib:zlib:*:*:*:*:*:*:*:*");
        assert!(a.get("pedigree").is_none() && a.get("cpe").is_none());
    }

    #[test]
    fn sri_digests_become_hex_and_other_notations_are_read() {
        let bytes: Vec<u8> = (0u8..64).collect();
        let sri = SRI_BASE64.encode(&bytes);
        let unpadded = sri.trim_end_matches('=');
        let sha1 = SRI_BASE64.encode([7u8; 20]);
        let read = digests(&format!(
            "sha512-{unpadded}?opt sha1-{sha1},sha256:{}",
            "AB".repeat(32)
        ));
        assert_eq!(
            read.hashes.into_iter().collect::<Vec<_>>(),
            [
                (Alg::Sha1, "07".repeat(20)),
                (Alg::Sha256, "ab".repeat(32)),
                (Alg::Sha512, hex::encode(&bytes)),
            ]
        );
        let bom = cdx_json(&subject(), &inputs(), TIME);
        assert_eq!(bom["components"][2]["hashes"][0]["alg"], "SHA-512");
        assert_eq!(
            bom["components"][2]["hashes"][0]["content"],
            hex::encode(&bytes)
        );
        // Negative controls: wrong lengths, bad base64, unknown algorithms
        // and dirHash give no file hash.
        let none = digests(&format!(
            "sha512-{} sha256:abc md5:{} sha512-!!! dirHash:{} sha256-{}",
            SRI_BASE64.encode([1u8; 32]),
            "00".repeat(16),
            "cd".repeat(32),
            SRI_BASE64.encode([1u8; 31]),
        ));
        assert!(none.hashes.is_empty());
    }

    #[test]
    fn the_graph_names_only_refs_that_exist() {
        let mut i = inputs();
        // Spelt as the purl spec would not (`@` unencoded): still resolved.
        i[0].dependencies.push("pkg:npm/@scope/n@3.0.0".into());
        i[1].dependencies = vec!["pkg:cargo/b@2.0.0".into()]; // itself
        i[2].dependencies = vec!["pkg:cargo/a@1.0.0".into()];
        let bom = cdx_json(&subject(), &i, TIME);
        let deps = bom["dependencies"].as_array().unwrap();
        let refs: BTreeSet<&str> =
            std::iter::once(bom["metadata"]["component"]["bom-ref"].as_str().unwrap())
                .chain(
                    bom["components"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c["bom-ref"].as_str().unwrap()),
                )
                .collect();
        assert_eq!(deps.len(), refs.len(), "every component is a node");
        for d in deps {
            assert!(refs.contains(d["ref"].as_str().unwrap()));
            for on in d["dependsOn"].as_array().unwrap() {
                assert!(refs.contains(on.as_str().unwrap()), "dangling {on}");
            }
        }
        let on = |r: &str| -> Vec<String> {
            let d = deps.iter().find(|d| d["ref"] == r).unwrap();
            d["dependsOn"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(on("app").len(), 4, "the subject depends on every input");
        // `gone` is not an input: its edge is dropped, the real ones kept.
        assert_eq!(
            on("pkg:cargo/a@1.0.0"),
            ["pkg:cargo/b@2.0.0", "pkg:npm/%40scope/n@3.0.0"]
        );
        assert!(on("pkg:cargo/b@2.0.0").is_empty(), "no self-edge");
        assert_eq!(on("pkg:npm/%40scope/n@3.0.0"), ["pkg:cargo/a@1.0.0"]);

        let doc = spdx_json(&subject(), &i, TIME);
        let ids: BTreeSet<&str> = doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["SPDXID"].as_str().unwrap())
            .collect();
        let rels = doc["relationships"].as_array().unwrap();
        assert_eq!(rels[0]["spdxElementId"], "SPDXRef-DOCUMENT");
        assert_eq!(rels[0]["relationshipType"], "DESCRIBES");
        assert_eq!(rels[0]["relatedSpdxElement"], "SPDXRef-app");
        for r in &rels[1..] {
            assert_eq!(r["relationshipType"], "DEPENDS_ON");
            assert!(ids.contains(r["spdxElementId"].as_str().unwrap()));
            assert!(ids.contains(r["relatedSpdxElement"].as_str().unwrap()));
        }
        assert_eq!(rels.len(), 1 + 4 + 3);
        assert!(rels
            .iter()
            .any(|r| r["spdxElementId"] == "SPDXRef-cargo-a-1.0.0"
                && r["relatedSpdxElement"] == "SPDXRef-cargo-b-2.0.0"));
    }

    #[test]
    fn spdx_ids_are_sanitised_and_unique_and_purls_deduplicated_as_refs() {
        let mut i = inputs();
        // The same crate from two sources: one purl, one name and version.
        let mut twin = i[0].clone();
        twin.uri = "git+https://github.com/x/a#0123".into();
        i.insert(1, twin);
        let doc = spdx_json(&subject(), &i, TIME);
        let ids: Vec<&str> = doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["SPDXID"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "SPDXRef-app",
                "SPDXRef-cargo-a-1.0.0",
                "SPDXRef-cargo-a-1.0.0-2",
                "SPDXRef-cargo-b-2.0.0",
                "SPDXRef-npm--scope-n-3.0.0",
                "SPDXRef-generic-zlib-1.3.1",
            ]
        );
        for id in &ids {
            SpdxId::new(*id).unwrap();
        }
        let bom = cdx_json(&subject(), &i, TIME);
        assert_eq!(bom["components"][0]["bom-ref"], "pkg:cargo/a@1.0.0");
        assert_eq!(bom["components"][1]["bom-ref"], "pkg:cargo/a@1.0.0 (2)");
        assert_eq!(bom["components"][1]["externalReferences"][0]["type"], "vcs");
    }

    #[test]
    fn spdx_packages_carry_checksums_licences_and_references() {
        let doc = spdx_json(&subject(), &inputs(), TIME);
        assert_eq!(doc["spdxVersion"], "SPDX-2.3");
        assert_eq!(
            doc["creationInfo"]["creators"][0],
            format!("Tool: vouch-{VERSION}")
        );
        assert_eq!(doc["creationInfo"]["created"], TIME);
        let p = &doc["packages"];
        assert_eq!(p[0]["primaryPackagePurpose"], "APPLICATION");
        let a = &p[1];
        assert_eq!(a["versionInfo"], "1.0.0");
        assert_eq!(a["downloadLocation"], "https://crates.io/crates/a/1.0.0");
        assert_eq!(
            a["checksums"],
            serde_json::json!([{"algorithm": "SHA256", "checksumValue": "ab".repeat(32)}])
        );
        assert_eq!(a["licenseDeclared"], "MIT OR Apache-2.0");
        assert_eq!(a["licenseConcluded"], NOASSERTION);
        assert_eq!(
            a["externalRefs"][0]["referenceLocator"],
            "pkg:cargo/a@1.0.0"
        );
        let comment = a["comment"].as_str().unwrap();
        assert!(comment.contains("vouch:match = match"), "{comment}");
        assert!(
            comment.contains(&format!("vouch:observed-dirhash = {}", "cd".repeat(32))),
            "{comment}"
        );
        // A LicenseRef is defined; free text is never an expression.
        assert_eq!(p[2]["licenseDeclared"], "LicenseRef-file");
        assert_eq!(
            doc["hasExtractedLicensingInfos"][0]["licenseId"],
            "LicenseRef-file"
        );
        assert!(p[2]["comment"]
            .as_str()
            .unwrap()
            .contains("vouch:critical-reason = name matches openssl"));
        assert_eq!(p[3]["licenseDeclared"], NOASSERTION);
        assert!(p[3]["licenseComments"]
            .as_str()
            .unwrap()
            .contains("SEE LICENSE IN LICENSE.txt"));
        assert_eq!(p[3]["checksums"][0]["algorithm"], "SHA512");
        let z = &p[4];
        assert_eq!(z["externalRefs"][1]["referenceCategory"], "SECURITY");
        assert_eq!(z["externalRefs"][1]["referenceType"], "cpe23Type");
        assert!(z["comment"]
            .as_str()
            .unwrap()
            .contains("vouch:patch = patches/zlib.patch"));
        // An origin that is no URL is NOASSERTION, not an invalid location.
        let mut odd = inputs();
        odd[0].uri = "third_party/a".into();
        odd[0].cpe = Some("not a cpe".into());
        let doc = spdx_json(&subject(), &odd, TIME);
        assert_eq!(doc["packages"][1]["downloadLocation"], NOASSERTION);
        assert!(doc["packages"][1]["comment"]
            .as_str()
            .unwrap()
            .contains("vouch:cpe = not a cpe"));
    }

    #[test]
    fn an_image_subject_is_a_container_with_its_digest() {
        let image = Subject {
            name: "registry.example/app".into(),
            version: None,
            purl: Some(
                "pkg:oci/app@sha256%3A{hex}?repository_url=registry.example"
                    .replace("{hex}", &"ef".repeat(32)),
            ),
            digest: Some(("sha256".into(), "ef".repeat(32))),
        };
        let bom = cdx_json(&image, &inputs(), TIME);
        let root = &bom["metadata"]["component"];
        assert_eq!(root["type"], "container");
        assert_eq!(root["hashes"][0]["content"], "ef".repeat(32));
        assert_eq!(root["bom-ref"], root["purl"]);
        let doc = spdx_json(&image, &inputs(), TIME);
        assert_eq!(doc["packages"][0]["primaryPackagePurpose"], "CONTAINER");
        assert_eq!(
            doc["packages"][0]["checksums"][0]["checksumValue"],
            "ef".repeat(32)
        );
        assert_eq!(doc["packages"][0]["SPDXID"], "SPDXRef-registry.example-app");
    }

    #[test]
    fn bad_purls_digests_and_times_are_errors_naming_them() {
        let mut i = inputs();
        i[1].purl = "pkg:swift/b@2.0.0".into();
        let e = cyclonedx(&subject(), &i, TIME).unwrap_err().to_string();
        assert!(
            e.contains("invalid purl in input b 2.0.0 (cargo)") && e.contains("namespace"),
            "{e}"
        );
        let e = spdx(&subject(), &i, TIME).unwrap_err().to_string();
        assert!(e.contains("input b 2.0.0"), "{e}");
        let mut s = subject();
        s.digest = Some(("sha256".into(), "ab".into()));
        let e = cyclonedx(&s, &inputs(), TIME).unwrap_err().to_string();
        assert!(e.contains("invalid digest in subject app"), "{e}");
        s.digest = Some(("md5".into(), "ab".repeat(16)));
        assert!(spdx(&s, &inputs(), TIME).is_err());
        let e = spdx(&subject(), &inputs(), "2025-01-02T03:04:05.5+01:00")
            .unwrap_err()
            .to_string();
        assert!(e.contains("created time"), "{e}");
        // Control: the same calls with good values succeed.
        s.digest = Some(("sha256".into(), "ab".repeat(32)));
        cyclonedx(&s, &inputs(), TIME).unwrap();
        spdx(&s, &inputs(), TIME).unwrap();
    }
}
