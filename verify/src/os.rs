//! The OS packages of an image (ecosystems `deb`, `apk`, `rpm`) against
//! their distribution's OSV records: looked up in the ecosystems of the
//! release their purl's `distro` qualifier names, by the names the
//! distribution publishes advisories under (the source package for Debian,
//! Ubuntu and the apk distributions), with that name's version. A project
//! input unbundled onto a distribution's package (`vouch unbundle`) is
//! looked up the same way, as that package.

use serde::Serialize;
use vouch_evidence::input::{Distribution, OsOrigin, Purl};
use vouch_evidence::osv::{Found, Lookup, OsRelease};

use crate::vulns::ImageInput;

/// [`OsInput::from`] of a package the verified evidence records.
pub const FROM_EVIDENCE: &str = "evidence";
/// [`OsInput::from`] of a package read from the image's layers by this run.
pub const FROM_IMAGE: &str = "image";
/// [`OsInput::from`] of a package both the evidence and the layers list.
pub const FROM_BOTH: &str = "evidence+image";

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
    /// Where vouch read it: [`FROM_IMAGE`] (the image's filesystem,
    /// scanned by this run), [`FROM_EVIDENCE`] (the attested provenance or
    /// SBOM) or [`FROM_BOTH`].
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
    db: &'d dyn Lookup,
    input: &ImageInput,
    os: &OsInput,
) -> Result<Found<'d>, String> {
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
    lookup_package(
        db,
        &purl,
        &input.name,
        version,
        &os.source_name,
        &os.source_version,
    )
}

/// The records of `db` that affect the distribution package a project
/// input was unbundled onto (`vouch unbundle`): the same lookup as an OS
/// package's, by its purl's release, its source package and the
/// distribution's version ordering, so that the distribution's backported
/// fixes count. A record of another crate or version (see
/// [`Distribution::builds_crate`]) is not this input's build: an error, so
/// that the input's own advisories are not dropped for another package's.
pub(crate) fn lookup_distribution<'d>(
    db: &'d dyn Lookup,
    input: &ImageInput,
    distribution: &Distribution,
) -> Result<Found<'d>, String> {
    let version = input.version.as_deref().unwrap_or_default();
    if input.ecosystem == "cargo" && !distribution.builds_crate(&input.name, version) {
        return Err(format!(
            "its distribution record ({} {}, {}) is not its build of {} {version}",
            distribution.package(),
            distribution.version(),
            distribution.path,
            input.name
        ));
    }
    lookup_package(
        db,
        &distribution.purl,
        distribution.package(),
        distribution.version(),
        &distribution.source_name,
        &distribution.source_version,
    )
}

/// The records of `db` that affect the distribution package `name`
/// `version` with purl `purl`, built from `source_name` `source_version`:
/// looked up in the OSV ecosystems of the release its `distro` qualifier
/// names, under the names the distribution publishes advisories by.
fn lookup_package<'d>(
    db: &'d dyn Lookup,
    purl: &Purl,
    name: &str,
    version: &str,
    source_name: &str,
    source_version: &str,
) -> Result<Found<'d>, String> {
    let distro = purl
        .package_url()
        .qualifiers()
        .iter()
        .find(|(k, _)| k.as_ref() == "distro")
        .map(|(_, v)| v.to_string())
        .ok_or_else(|| format!("its purl {purl} has no distro qualifier"))?;
    let (family, ecosystems) = OsRelease::from_purl_distro(&distro).ecosystems()?;
    let mut found: Found<'d> = Vec::new();
    for ecosystem in &ecosystems {
        for each in family.names_to_match(name, source_name) {
            // The source name's records are by source version (a binNMU
            // `1.2-3+b1` is source `1.2-3`), the binary's by its own.
            let version = if each == source_name {
                source_version
            } else {
                version
            };
            for (record, fixes) in db.lookup(ecosystem, each, version)? {
                if !found.iter().any(|(r, _)| r.id == record.id) {
                    found.push((record, fixes));
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use vouch_evidence::fixtures;
    use vouch_evidence::input::{os_purl, InputRecord, Match};
    use vouch_evidence::osv::Database;

    use super::*;
    use crate::vulns::{inputs_from_records, scan, VERSION_UNKNOWN};

    /// A Debian record of source `pkg` in `ecosystem`, fixed in `fixed`.
    fn db() -> Database {
        let mut db = Database::new();
        for (id, name, ecosystem, fixed) in [
            ("DEBIAN-CVE-1", "zlib", "Debian:12", "1:1.2.13.dfsg-2"),
            ("DEBIAN-CVE-2", "zlib", "Debian:11", "1:1.2.13.dfsg-2"),
            ("DEBIAN-CVE-3", "nodejs", "Debian:12", "99"),
            ("DEBIAN-CVE-4", "gcc-12", "Debian:12", "12.2.0-14+deb12u2"),
        ] {
            let record = format!(
                r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":
                {{"ecosystem":"{ecosystem}","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM",
                "events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
            );
            db.add(&format!("{id}.json"), record.as_bytes()).unwrap();
        }
        db
    }

    /// A deb package of `distro` as `vouch attest --image` records it.
    fn deb(name: &str, version: &str, source: (&str, &str), distro: &str) -> InputRecord {
        let purl = os_purl("deb", "debian", Some(distro), name, version, Some("amd64")).unwrap();
        InputRecord {
            name: name.into(),
            ecosystem: "deb".into(),
            version: Some(version.into()),
            origin: Some(purl.to_string()),
            purl: Some(purl),
            declared: None,
            observed: Vec::new(),
            status: Some(Match::NotVendored),
            path: None,
            license: None,
            cpe: None,
            categories: Vec::new(),
            patches: Vec::new(),
            critical: false,
            critical_reasons: Vec::new(),
            os: Some(OsOrigin {
                source_name: source.0.into(),
                source_version: source.1.into(),
                layer: "sha256:00".into(),
                database: "var/lib/dpkg/status".into(),
                third_party: false,
            }),
            distribution: None,
        }
    }

    fn ids(records: Vec<InputRecord>) -> Vec<(String, String)> {
        let inputs = inputs_from_records(records);
        scan(&db(), &inputs)
            .unwrap()
            .into_iter()
            .map(|f| (f.id, f.input.name))
            .collect()
    }

    #[test]
    fn debian_packages_match_their_release_by_source_name_and_source_version() {
        let zlib = deb(
            "zlib1g",
            "1:1.2.13.dfsg-1",
            ("zlib", "1:1.2.13.dfsg-1"),
            "debian-12",
        );
        assert_eq!(ids(vec![zlib]), [("DEBIAN-CVE-1".into(), "zlib1g".into())]);
        // (DEBIAN-CVE-2, zlib in Debian:11, does not cross releases.)
        // The source version is compared, not the binary's (a binNMU's
        // `+b1` is the binary's alone): versions chosen so that comparing
        // the binary's would give the opposite answer each time.
        let fixed_source = deb(
            "libgcc-s1",
            "12.2.0-14+deb12u1+b1",
            ("gcc-12", "12.2.0-14+deb12u2"),
            "debian-12",
        );
        assert!(ids(vec![fixed_source]).is_empty());
        let binnmu = deb(
            "libgcc-s1",
            "12.2.0-14+deb12u2+b1",
            ("gcc-12", "12.2.0-14+deb12u1"),
            "debian-12",
        );
        assert_eq!(
            ids(vec![binnmu]),
            [("DEBIAN-CVE-4".into(), "libgcc-s1".into())]
        );
    }

    #[test]
    fn a_third_party_package_matches_no_distribution_record() {
        let mut node = deb(
            "nodejs",
            "18.0.0-1nodesource1",
            ("nodejs", "18.0.0-1nodesource1"),
            "debian-12",
        );
        assert_eq!(ids(vec![node.clone()]).len(), 1);
        node.os.as_mut().unwrap().third_party = true;
        assert!(ids(vec![node]).is_empty());
    }

    #[test]
    fn an_unknown_or_missing_distro_is_a_version_unknown_finding() {
        for distro in ["debian", "mystery-1"] {
            let zlib = deb(
                "zlib1g",
                "1:1.2.13.dfsg-1",
                ("zlib", "1:1.2.13.dfsg-1"),
                distro,
            );
            let findings = scan(&db(), &inputs_from_records(vec![zlib])).unwrap();
            assert_eq!(findings.len(), 1, "{distro}");
            assert_eq!(findings[0].id, VERSION_UNKNOWN);
            let why = findings[0].summary.as_deref().unwrap();
            assert!(why.contains("OS package zlib1g"), "{why}");
        }
        let mut no_distro = deb(
            "zlib1g",
            "1:1.2.13.dfsg-1",
            ("zlib", "1:1.2.13.dfsg-1"),
            "x",
        );
        no_distro.purl =
            Some(os_purl("deb", "debian", None, "zlib1g", "1:1.2.13.dfsg-1", None).unwrap());
        let findings = scan(&db(), &inputs_from_records(vec![no_distro])).unwrap();
        assert_eq!(findings[0].id, VERSION_UNKNOWN);
        assert!(findings[0]
            .summary
            .as_deref()
            .unwrap()
            .contains("no distro qualifier"));
    }

    /// flate2 1.0.25 as a critical cargo input: vendored, or unbundled
    /// onto Debian 12's build from source `rust-flate2` `source_version`.
    fn flate2(source_version: Option<&str>) -> InputRecord {
        InputRecord {
            distribution: source_version.map(|v| {
                fixtures::distribution(
                    fixtures::debian_12("librust-flate2-dev", v),
                    "rust-flate2",
                    &["fix-cve.patch"],
                )
            }),
            ..fixtures::cargo_input("flate2", "1.0.25")
        }
    }

    /// The upstream advisory (crates.io, fixed upstream in 1.0.26) and
    /// Debian's record of the same CVE against its source package, whose
    /// fix Debian backported into its revision `1.0.25-2`.
    fn flate2_db() -> Database {
        let mut db = Database::new();
        for (id, ecosystem, name, fixed) in [
            ("RUSTSEC-2099-0001", "crates.io", "flate2", "1.0.26"),
            (
                "DEBIAN-CVE-2099-0001",
                "Debian:12",
                "rust-flate2",
                "1.0.25-2",
            ),
        ] {
            let record = format!(
                r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2099-0001"],
                "affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"{name}"}},
                "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
            );
            db.add(&format!("{id}.json"), record.as_bytes()).unwrap();
        }
        db
    }

    #[test]
    fn an_unbundled_input_is_matched_as_its_distribution_source_package() {
        let found = |record: InputRecord| -> Vec<String> {
            scan(&flate2_db(), &inputs_from_records(vec![record]))
                .unwrap()
                .into_iter()
                .map(|f| f.id)
                .collect()
        };
        // Vendored, the upstream advisory applies.
        assert_eq!(found(flate2(None)), ["RUSTSEC-2099-0001"]);
        // Debian's build with the fix backported: not reported, though
        // upstream calls 1.0.25 affected; the distribution's verdict counts.
        assert!(found(flate2(Some("1.0.25-2"))).is_empty());
        // Debian's build before the fix, in Debian's version ordering.
        assert_eq!(found(flate2(Some("1.0.25-1"))), ["DEBIAN-CVE-2099-0001"]);
        assert_eq!(
            found(flate2(Some("1.0.25-1+deb12u1~bpo"))),
            ["DEBIAN-CVE-2099-0001"]
        );
        // A release vouch has no records for is a finding, not a clean bill.
        let mut unknown = flate2(Some("1.0.25-2"));
        unknown.distribution.as_mut().unwrap().purl = os_purl(
            "deb",
            "debian",
            Some("mystery-1"),
            "librust-flate2-dev",
            "1.0.25-2",
            None,
        )
        .unwrap();
        let findings = scan(&flate2_db(), &inputs_from_records(vec![unknown])).unwrap();
        assert_eq!(findings[0].id, VERSION_UNKNOWN);
        let why = findings[0].summary.as_deref().unwrap();
        assert!(
            why.contains("distribution package of input flate2 1.0.25 (cargo)"),
            "{why}"
        );
    }

    /// A distribution record of another crate (or version) does not stand
    /// for this input: matching it as that package would drop the input's
    /// own advisories. It is a finding, never a clean bill.
    #[test]
    fn regression_issue_16_a_distribution_record_of_another_crate_drops_no_advisory() {
        let mut other = flate2(Some("1.0.25-2"));
        let d = other.distribution.as_mut().unwrap();
        d.purl = fixtures::debian_12("librust-miniz-oxide-dev", "1.0.25-2");
        d.path = "/usr/share/cargo/registry/miniz_oxide-1.0.25".into();
        let findings = scan(&flate2_db(), &inputs_from_records(vec![other])).unwrap();
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].id, VERSION_UNKNOWN);
        let why = findings[0].summary.as_deref().unwrap();
        assert!(why.contains("not its build"), "{why}");
        // Its own build: matched as Debian's (the fix backported).
        assert!(scan(
            &flate2_db(),
            &inputs_from_records(vec![flate2(Some("1.0.25-2"))])
        )
        .unwrap()
        .is_empty());
    }
}
