//! The OS packages of an image (ecosystems `deb`, `apk`, `rpm`) against
//! their distribution's OSV records: looked up in the ecosystems of the
//! release their purl's `distro` qualifier names, by the names the
//! distribution publishes advisories under (the source package for Debian,
//! Ubuntu and the apk distributions), with that name's version.

use serde::Serialize;
use vouch_evidence::input::OsOrigin;
use vouch_evidence::input::Purl;
use vouch_evidence::osv::{Database, OsRelease, Record};

use crate::vulns::ImageInput;

/// Where an OS package of an image was found: what a finding shows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OsInput {
    /// The source package it was built from.
    pub source_name: String,
    /// The source package's version.
    pub source_version: String,
    /// The digest of the layer that last wrote its database entry.
    pub layer: String,
    /// The database that lists it.
    pub database: String,
    /// A third party's package: never matched to distribution records.
    pub third_party: bool,
    /// Where vouch read it: `image` (the image's filesystem, scanned by
    /// this run) or `evidence` (the attested provenance or SBOM).
    pub from: &'static str,
}

impl OsInput {
    /// The origin as evidence records it, read from `from`.
    pub fn new(origin: OsOrigin, from: &'static str) -> Self {
        OsInput {
            source_name: origin.source_name,
            source_version: origin.source_version,
            layer: origin.layer,
            database: origin.database,
            third_party: origin.third_party,
            from,
        }
    }
}

/// The records of `db` that affect the OS package `input`, each with its
/// fixes; `Err(why)` when it cannot be checked (no purl, no `distro`, a
/// distribution or release vouch has no OSV ecosystem for), which the
/// caller reports as a version-unknown finding rather than silence. A
/// third party's package matches nothing: its distribution's records are
/// about the distribution's own build of that name.
pub(crate) fn lookup<'d>(
    db: &'d Database,
    input: &ImageInput,
    os: &OsInput,
) -> Result<Vec<(&'d Record, Vec<String>)>, String> {
    if os.third_party {
        return Ok(Vec::new());
    }
    let version = input
        .version
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or("no version is recorded")?;
    let purl: Purl = input
        .purl
        .as_deref()
        .ok_or("it has no purl naming its distribution")?
        .parse()
        .map_err(|e| format!("its purl is malformed: {e}"))?;
    let distro = purl
        .package_url()
        .qualifiers()
        .iter()
        .find(|(k, _)| k.as_ref() == "distro")
        .map(|(_, v)| v.to_string())
        .ok_or_else(|| format!("its purl {purl} has no distro qualifier"))?;
    let (family, ecosystems) = OsRelease::from_purl_distro(&distro).ecosystems()?;
    let mut found: Vec<(&Record, Vec<String>)> = Vec::new();
    for ecosystem in &ecosystems {
        for name in family.names_to_match(&input.name, &os.source_name) {
            // The source name's records are by source version (a binNMU
            // `1.2-3+b1` is source `1.2-3`), the binary's by its own.
            let version = if name == os.source_name {
                &os.source_version
            } else {
                version
            };
            for (record, fixes) in db.lookup(ecosystem, name, version)? {
                if !found.iter().any(|(r, _)| r.id == record.id) {
                    found.push((record, fixes));
                }
            }
        }
    }
    Ok(found)
}
