//! The RPM and apk package databases of the real fixtures (testdata/rpmdb,
//! testdata/ospkg/alpine; see their SOURCE.md) through the real binary:
//! each packed here into a one-layer image (a tar built with the `tar`
//! crate, gzip-compressed, as an `oci:` layout; the SLES one also pushed to
//! a real registry) at the path its distribution keeps it, beside an
//! os-release of that distribution. `vouch sbom` (CycloneDX and SPDX, each
//! through its validator) and `vouch attest --os-packages` (the signed
//! provenance and SBOMs) must list exactly what each database's oracle
//! lists: `rpm --dbpath` run now for sqlite and BerkeleyDB, the `rpm -qa`
//! go-rpmdb recorded for NDB, trivy's expected listing for apk. `vouch
//! vulns --osv` (testdata/osv-os-fixtures, as a directory and as an index)
//! matches each release's records, with negative controls, and says that
//! CBL-Mariner has no OSV ecosystem. A second layer in which rpm installs a
//! package into the Mariner database checks the layer attribution and the
//! third-party mark.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::registry::{layout_image_with_layers, Registry};
use common::{
    assert_fails_with, assert_ok, bundle_of_referrer, finding, layout_layers, property, read_json,
    root, s, statement_of, tempdir, Fixture,
};
use serde_json::Value;

#[path = "../../tests/oracles/rpm_qa.rs"]
mod rpm_qa;

/// One package as the oracles list it: name, version (`[epoch:]version-
/// release` for RPM, apk's `1.2.3-r0`), architecture, and its source as
/// the ecosystem spells it: the source RPM's file name for RPM (rpm's
/// `SOURCERPM`), the origin for apk (`o`).
type Listed = (String, String, String, String);

/// A fixture database, the image that holds it, and its oracle.
struct OsFixture {
    /// The layout tag of its image.
    tag: &'static str,
    /// The database file, under testdata/.
    database: &'static str,
    /// Where its distribution keeps the database in an image.
    path: &'static str,
    /// Its distribution's os-release, under testdata/ (authored, see
    /// SOURCE.md).
    os_release: &'static str,
    /// Where the distribution keeps its os-release: `etc/os-release`, or
    /// `usr/lib/os-release` with `etc/os-release` linked to it.
    os_release_path: &'static str,
    /// Directory links the distribution ships (`var/lib/rpm` on SUSE).
    links: &'static [(&'static str, &'static str)],
    /// `rpm` or `apk`.
    ecosystem: &'static str,
    /// The purl's namespace vouch must write: the vendor's, as its VEX
    /// names its packages.
    namespace: &'static str,
    /// The purl's `distro` qualifier vouch must write.
    distro: &'static str,
    /// How many packages its oracle lists (a check that the oracle ran).
    count: usize,
}

/// CBL-Mariner 2.0's sqlite database (rpm 4.16 and later).
const SQLITE: OsFixture = OsFixture {
    tag: "mariner",
    database: "rpmdb/sqlite-cbl-mariner-2.0/rpmdb.sqlite",
    path: "var/lib/rpm/rpmdb.sqlite",
    os_release: "rpmdb/sqlite-cbl-mariner-2.0/os-release",
    os_release_path: "etc/os-release",
    links: &[],
    ecosystem: "rpm",
    namespace: "mariner",
    distro: "mariner-2.0",
    count: 129,
};

/// SUSE BCI minimal 15.3's NDB database: SUSE keeps it in
/// `/usr/lib/sysimage/rpm`, with `/var/lib/rpm` a link to it.
const NDB: OsFixture = OsFixture {
    tag: "sles",
    database: "rpmdb/ndb-sle15-bci/Packages.db",
    path: "usr/lib/sysimage/rpm/Packages.db",
    os_release: "rpmdb/ndb-sle15-bci/os-release",
    os_release_path: "usr/lib/os-release",
    links: &[("var/lib/rpm", "../../usr/lib/sysimage/rpm")],
    ecosystem: "rpm",
    namespace: "suse",
    distro: "sles-15.3",
    count: 35,
};

/// RHEL 8's BerkeleyDB database (libuuid 2.32.1-42.el8_8: RHEL 8.8).
const BDB: OsFixture = OsFixture {
    tag: "rhel",
    database: "rpmdb/bdb-libuuid/Packages",
    path: "var/lib/rpm/Packages",
    os_release: "rpmdb/bdb-libuuid/os-release",
    os_release_path: "usr/lib/os-release",
    links: &[],
    ecosystem: "rpm",
    namespace: "redhat",
    distro: "rhel-8.8",
    count: 1,
};

/// trivy's apk database, without its record that has no version (see
/// [`database`]).
const APK: OsFixture = OsFixture {
    tag: "alpine",
    database: "ospkg/alpine/installed",
    path: "lib/apk/db/installed",
    os_release: "ospkg/alpine/os-release",
    os_release_path: "etc/os-release",
    links: &[],
    ecosystem: "apk",
    namespace: "alpine",
    distro: "alpine-3.4.6",
    count: 15,
};

/// trivy's record without a version, which apk-tools refuses to load.
const NO_VERSION: &str = "P:invalidPackageWithoutAVersion\n\n";

fn testdata(rel: &str) -> PathBuf {
    root().join("testdata").join(rel)
}

/// The database as the fixture's image holds it: the committed file, but
/// for apk without the record apk-tools refuses (see
/// [`an_apk_record_without_a_version_fails_the_scan_as_it_fails_apk`]).
fn database(fixture: &OsFixture) -> Vec<u8> {
    let bytes = fs::read(testdata(fixture.database)).unwrap();
    if fixture.ecosystem != "apk" {
        return bytes;
    }
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.matches(NO_VERSION).count(), 1);
    text.replace(NO_VERSION, "").into_bytes()
}

/// The first four tab-separated fields of `line` (name, version, arch,
/// source RPM in rpm's query format and go-rpmdb's recorded listing).
fn first_four(line: &str) -> Listed {
    let f: Vec<&str> = line.split('\t').collect();
    assert!(f.len() >= 4, "{line:?}");
    (f[0].into(), f[1].into(), f[2].into(), f[3].into())
}

/// What the fixture's oracle lists, sorted (a multiset: duplicates kept).
fn oracle(fixture: &OsFixture) -> Vec<Listed> {
    let file = testdata(fixture.database);
    let mut listed: Vec<Listed> = match fixture.tag {
        "mariner" => rpm_qa::rpm_lists(&file, "rpmdb.sqlite", "sqlite")
            .iter()
            .map(|l| first_four(l))
            .collect(),
        "rhel" => rpm_qa::rpm_lists(&file, "Packages", "bdb_ro")
            .iter()
            .map(|l| first_four(l))
            .collect(),
        // Debian's rpm has no NDB backend: go-rpmdb's recorded `rpm -qa`
        // of the image the file came from.
        "sles" => fs::read_to_string(testdata("rpmdb/ndb-sle15-bci/expected.tsv"))
            .unwrap()
            .lines()
            .map(first_four)
            .collect(),
        // trivy's expected listing: name, version, source name, source
        // version, arch, maintainer. Its source versions are the versions.
        "alpine" => fs::read_to_string(testdata("ospkg/alpine/expected.tsv"))
            .unwrap()
            .lines()
            .map(|line| {
                let f: Vec<&str> = line.split('\t').collect();
                assert_eq!(f[1], f[3], "{line}");
                (f[0].into(), f[1].into(), f[4].into(), f[2].into())
            })
            .collect(),
        other => panic!("no oracle for {other}"),
    };
    listed.sort();
    assert_eq!(listed.len(), fixture.count, "the oracle of {}", fixture.tag);
    listed
}

/// A tar archive (`tar` crate, ustar headers) of `files` and `links`,
/// each parent directory first, as image builders write a layer.
fn layer_tar(files: &[(&str, &[u8])], links: &[(&str, &str)]) -> Vec<u8> {
    let mut dirs: Vec<String> = files
        .iter()
        .map(|(p, _)| *p)
        .chain(links.iter().map(|(p, _)| *p))
        .flat_map(|p| {
            let parts: Vec<&str> = p.split('/').collect();
            (1..parts.len())
                .map(|n| parts[..n].join("/"))
                .collect::<Vec<_>>()
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut tar = tar::Builder::new(Vec::new());
    let header = |kind: tar::EntryType, mode: u32, size: u64| {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(0);
        h
    };
    for dir in &dirs {
        let mut h = header(tar::EntryType::Directory, 0o755, 0);
        tar.append_data(&mut h, format!("{dir}/"), std::io::empty())
            .unwrap();
    }
    for (path, content) in files {
        let mut h = header(tar::EntryType::Regular, 0o644, content.len() as u64);
        tar.append_data(&mut h, path, *content).unwrap();
    }
    for (path, target) in links {
        let mut h = header(tar::EntryType::Symlink, 0o777, 0);
        tar.append_link(&mut h, path, target).unwrap();
    }
    tar.into_inner().unwrap()
}

/// The fixture's image in a fresh layout under `dir`, holding `database`
/// at the fixture's path: `oci:DIR/layout:TAG`, and the layout.
fn image_with(fixture: &OsFixture, dir: &Path, database: &[u8]) -> (String, PathBuf) {
    let os_release = fs::read(testdata(fixture.os_release)).unwrap();
    let mut links: Vec<(&str, &str)> = fixture.links.to_vec();
    if fixture.os_release_path != "etc/os-release" {
        links.push(("etc/os-release", "../usr/lib/os-release"));
    }
    let tar = layer_tar(
        &[
            (fixture.os_release_path, &os_release),
            (fixture.path, database),
        ],
        &links,
    );
    let layout = dir.join("layout");
    layout_image_with_layers(&layout, fixture.tag, &[tar]);
    (format!("oci:{}:{}", layout.display(), fixture.tag), layout)
}

/// [`image_with`] the fixture's database as its distribution would hold
/// it ([`database`]).
fn image(fixture: &OsFixture, dir: &Path) -> (String, PathBuf) {
    image_with(fixture, dir, &database(fixture))
}

/// A purl's qualifier `key`.
fn qualifier<'a>(purl: &'a str, key: &str) -> Option<&'a str> {
    let query = purl.split_once('?')?.1;
    query
        .split('&')
        .find_map(|q| q.strip_prefix(key)?.strip_prefix('='))
}

/// The source as the oracle spells it, from what vouch records: the
/// source RPM's file name for RPM, the origin for apk (whose source
/// version must be the version).
fn source(fixture: &OsFixture, version: &str, name: &str, source_version: &str) -> String {
    if fixture.ecosystem == "rpm" {
        rpm_qa::source_rpm(name, source_version)
    } else {
        assert_eq!(source_version, version, "apk source version of {name}");
        name.to_string()
    }
}

/// The purl's checks every listing shares: the ecosystem's type, the
/// vendor's namespace, the release's `distro`, and the epoch (RPM) as its own
/// qualifier. Returns the architecture it names, `(none)` (as rpm prints
/// it) for a package without one (rpm's `gpg-pubkey` entries).
fn check_purl(fixture: &OsFixture, purl: &str, version: &str) -> String {
    assert!(
        purl.starts_with(&format!("pkg:{}/{}/", fixture.ecosystem, fixture.namespace)),
        "{purl}"
    );
    assert_eq!(qualifier(purl, "distro"), Some(fixture.distro), "{purl}");
    assert_eq!(
        qualifier(purl, "epoch"),
        version.split_once(':').map(|(e, _)| e),
        "{purl}"
    );
    qualifier(purl, "arch").unwrap_or("(none)").to_string()
}

/// The CycloneDX SBOM at `path` passes its validator, and its components
/// of the fixture's ecosystem are exactly the oracle's packages, each
/// attributed to `layer`, from the database at its path; how many
/// components it has in all.
fn check_cyclonedx(fixture: &OsFixture, path: &Path, layer: &str) -> usize {
    common::valid_cyclonedx(path);
    let bom = read_json(path);
    assert_eq!(bom["metadata"]["component"]["type"], "container");
    let components = bom["components"].as_array().unwrap();
    let mut listed: Vec<Listed> = components
        .iter()
        .filter(|c| property(c, "vouch:ecosystem") == fixture.ecosystem)
        .map(|c| {
            let version = c["version"].as_str().unwrap();
            let arch = check_purl(fixture, c["purl"].as_str().unwrap(), version);
            assert_eq!(property(c, "vouch:database"), fixture.path);
            assert_eq!(property(c, "vouch:layer"), layer);
            assert_eq!(property(c, "vouch:third-party"), "false");
            (
                c["name"].as_str().unwrap().to_string(),
                version.to_string(),
                arch,
                source(
                    fixture,
                    version,
                    property(c, "vouch:source-name"),
                    property(c, "vouch:source-version"),
                ),
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        oracle(fixture),
        "{}: CycloneDX (left), the oracle (right)",
        fixture.tag
    );
    components.len()
}

/// The SPDX SBOM at `path` passes its validator, and its packages with a
/// purl of the fixture's ecosystem are exactly the oracle's packages
/// (name, version, architecture).
fn check_spdx(fixture: &OsFixture, path: &Path) {
    common::valid_spdx(path);
    let doc = read_json(path);
    let prefix = format!("pkg:{}/", fixture.ecosystem);
    let mut packages: Vec<(String, String, String)> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let purl = p["externalRefs"]
                .as_array()?
                .iter()
                .filter_map(|r| r["referenceLocator"].as_str())
                .find(|l| l.starts_with(&prefix))?;
            let version = p["versionInfo"].as_str().unwrap();
            Some((
                p["name"].as_str().unwrap().to_string(),
                version.to_string(),
                check_purl(fixture, purl, version),
            ))
        })
        .collect();
    packages.sort();
    let want: Vec<(String, String, String)> = oracle(fixture)
        .into_iter()
        .map(|(n, v, a, _)| (n, v, a))
        .collect();
    assert_eq!(
        packages, want,
        "{}: SPDX (left), the oracle (right)",
        fixture.tag
    );
}

/// `vouch sbom REFERENCE` in both formats ([`check_cyclonedx`],
/// [`check_spdx`]): the image's SBOM lists its OS packages and nothing
/// else.
fn check_sboms(fixture: &OsFixture, reference: &str, layer: &str) {
    let (_d, cdx, spdx) = common::sboms(reference);
    assert_eq!(check_cyclonedx(fixture, &cdx, layer), fixture.count);
    check_spdx(fixture, &spdx);
}

/// Builds the fixture's image and checks its SBOMs from the layout.
fn sboms_from_a_layout(fixture: &OsFixture) {
    let d = tempdir();
    let (reference, layout) = image(fixture, d.path());
    let layers = layout_layers(&layout, fixture.tag);
    check_sboms(fixture, &reference, &layers[0]);
}

#[test]
fn sbom_of_the_sqlite_fixture_lists_what_rpm_lists() {
    sboms_from_a_layout(&SQLITE);
}

#[test]
fn sbom_of_the_berkeleydb_fixture_lists_what_rpm_lists() {
    sboms_from_a_layout(&BDB);
}

#[test]
fn sbom_of_the_apk_fixture_lists_what_trivy_lists() {
    sboms_from_a_layout(&APK);
}

/// SUSE's layout (the database under /usr/lib/sysimage/rpm, /var/lib/rpm
/// a link to it) is read once, from a layout and from a real registry.
#[test]
fn sbom_of_the_ndb_fixture_lists_what_rpm_recorded_from_a_layout_and_a_registry() {
    let d = tempdir();
    let (reference, layout) = image(&NDB, d.path());
    let layers = layout_layers(&layout, NDB.tag);
    check_sboms(&NDB, &reference, &layers[0]);
    let registry = Registry::plain();
    let pushed = registry.reference("sles", "15.3");
    assert_ok(&Fixture::new().run(["copy", &reference, &pushed]));
    check_sboms(&NDB, &pushed, &layers[0]);
}

/// trivy's database as committed holds a record without a version
/// (`P:invalidPackageWithoutAVersion`): apk-tools refuses to load such a
/// database, and so does vouch, naming the record, rather than list the
/// others as if the database were whole. Nothing is written.
#[test]
fn an_apk_record_without_a_version_fails_the_scan_as_it_fails_apk() {
    let d = tempdir();
    let whole = fs::read(testdata(APK.database)).unwrap();
    let (reference, _) = image_with(&APK, d.path(), &whole);
    let f = Fixture::new();
    let out = f.run([
        "sbom",
        &reference,
        "--format",
        "cyclonedx",
        "-o",
        "bom.json",
    ]);
    assert_fails_with(
        &out,
        "malformed apk database in lib/apk/db/installed: record at line 23: \
         package invalidPackageWithoutAVersion has no valid V (version)",
    );
    assert!(!f.dir().join("bom.json").exists());
    let osv = testdata("osv-os-fixtures");
    let out = f.run(["vulns", &reference, "--osv", osv.to_str().unwrap()]);
    assert_fails_with(&out, "invalidPackageWithoutAVersion has no valid V");
}

/// `vouch attest PROJECT --image IMAGE --key ci.key --os-packages`: the
/// signed provenance (verified with `vouch verify-bundle`) and the signed
/// CycloneDX and SPDX SBOMs record the fixture's packages beside the
/// project's inputs, exactly the oracle's.
#[test]
fn attest_os_packages_signs_what_each_oracle_lists() {
    for fixture in [&SQLITE, &NDB, &BDB, &APK] {
        let f = Fixture::new().with_project().with_key("ci");
        let (reference, layout) = image(fixture, f.dir());
        let layer = layout_layers(&layout, fixture.tag).remove(0);
        let f = f.with_image(&reference);
        assert_ok(&f.attest("ci.key", &["--os-packages", "--sbom", "cyclonedx,spdx"]));
        let tree = f.tree(&reference, &[]);
        let digest = tree["digest"].as_str().unwrap();
        let provenance = tree["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["predicateType"] == "https://slsa.dev/provenance/v1")
            .unwrap_or_else(|| panic!("no provenance in {tree}"));
        let file = f.dir().join("provenance.json");
        let bundle = bundle_of_referrer(&layout, provenance["digest"].as_str().unwrap(), &file);
        assert_ok(&f.run([
            "verify-bundle",
            "--bundle",
            file.to_str().unwrap(),
            "--key",
            "ci.pub",
            digest,
        ]));
        // The signed SBOMs list them too (beside the project's three
        // inputs), and pass their validators.
        let mut sboms = 0;
        for a in tree["attachments"].as_array().unwrap() {
            let kind = a["predicateType"].as_str().unwrap_or_default();
            if !kind.starts_with("https://cyclonedx.org/") && !kind.starts_with("https://spdx.dev/")
            {
                continue;
            }
            let file = f.dir().join("sbom-bundle.json");
            let sbom = statement_of(&bundle_of_referrer(
                &layout,
                a["digest"].as_str().unwrap(),
                &file,
            ));
            let predicate = f.dir().join("sbom.json");
            fs::write(&predicate, sbom["predicate"].to_string()).unwrap();
            if kind.starts_with("https://cyclonedx.org/") {
                assert_eq!(
                    check_cyclonedx(fixture, &predicate, &layer),
                    fixture.count + 3
                );
            } else {
                check_spdx(fixture, &predicate);
            }
            sboms += 1;
        }
        assert_eq!(sboms, 2, "{tree}");
        let statement = statement_of(&bundle);
        let deps = statement["predicate"]["buildDefinition"]["resolvedDependencies"]
            .as_array()
            .unwrap();
        let mut listed: Vec<Listed> = deps
            .iter()
            .filter(|d| d["annotations"]["ecosystem"] == fixture.ecosystem)
            .map(|d| {
                let a = &d["annotations"];
                let version = a["version"].as_str().unwrap();
                let arch = check_purl(fixture, a["purl"].as_str().unwrap(), version);
                assert_eq!(a["database"], fixture.path);
                assert_eq!(a["layer"], layer.as_str());
                assert_eq!(a["thirdParty"], false);
                (
                    d["name"].as_str().unwrap().to_string(),
                    version.to_string(),
                    arch,
                    source(
                        fixture,
                        version,
                        a["sourceName"].as_str().unwrap(),
                        a["sourceVersion"].as_str().unwrap(),
                    ),
                )
            })
            .collect();
        listed.sort();
        assert_eq!(listed, oracle(fixture), "{}", fixture.tag);
        // The project's own inputs are still there.
        assert_eq!(deps.len(), fixture.count + 3, "{}", fixture.tag);
    }
}

/// [`common::vulns_findings`] with testdata/osv-os-fixtures, which must
/// find the same from the directory and from the on-disk index `vouch osv
/// index` builds of it (the distribution ecosystems' names, with their
/// spaces and colons, as index keys).
fn findings(reference: &str) -> (Vec<(String, String)>, Value) {
    let dir = testdata("osv-os-fixtures");
    let (pairs, json) = common::vulns_findings(reference, &dir);
    let d = tempdir();
    let index = d.path().join("osv.idx");
    assert_ok(&Fixture::new().run(["osv", "index", s(&dir), "-o", s(&index)]));
    let (_, indexed) = common::vulns_findings(reference, &index);
    assert_eq!(indexed["findings"], json["findings"], "{reference}");
    (pairs, json)
}

fn pair(id: &str, name: &str) -> (String, String) {
    (id.to_string(), name.to_string())
}

/// SLES 15 SP3 (the NDB fixture): SUSE's records are by binary package, in
/// the release's product ecosystems. libz1 1.2.11-3.21.1 is before SP3's
/// fix (SUSE-SU-0000:0002-1); glibc 2.31-9.3.2 is the fixed version
/// itself (SUSE-SU-0000:0003-1); SP5's and Leap 15.5's record of libz1
/// (SUSE-SU-0000:0004-1), whose fix is later still, is another release's.
#[test]
fn vulns_of_the_ndb_fixture_match_its_sles_release_from_a_layout_and_a_registry() {
    let d = tempdir();
    let (reference, layout) = image(&NDB, d.path());
    let layer = layout_layers(&layout, NDB.tag).remove(0);
    let registry = Registry::plain();
    let pushed = registry.reference("sles", "15.3");
    assert_ok(&Fixture::new().run(["copy", &reference, &pushed]));
    for reference in [&reference, &pushed] {
        let (pairs, json) = findings(reference);
        assert_eq!(pairs, [pair("SUSE-SU-0000:0002-1", "libz1")], "{json}");
        let libz = finding(&json, "SUSE-SU-0000:0002-1", "libz1");
        assert_eq!(libz["fixed"], serde_json::json!(["1.2.11-3.24.1"]));
        assert_eq!(libz["input"]["version"], "1.2.11-3.21.1");
        assert_eq!(libz["input"]["os"]["sourceName"], "zlib");
        assert_eq!(libz["input"]["os"]["from"], "image");
        assert_eq!(libz["input"]["os"]["layer"], layer.as_str());
        // zlib is a system library: critical by the default rules.
        assert_eq!(libz["input"]["critical"], true);
    }
}

/// Alpine 3.4 (the apk fixture): Alpine's records are by origin, so
/// openssl's (ALPINE-CVE-0000-0001, fixed in 1.0.2i-r0) reaches both
/// libcrypto1.0 and libssl1.0 1.0.2h-r1; musl's is fixed at the installed
/// 1.1.14-r10 (ALPINE-CVE-0000-0002); zlib's is Alpine 3.5's
/// (ALPINE-CVE-0000-0003).
#[test]
fn vulns_of_the_apk_fixture_match_its_alpine_release_by_origin() {
    let d = tempdir();
    let (reference, _) = image(&APK, d.path());
    let (pairs, json) = findings(&reference);
    assert_eq!(
        pairs,
        [
            pair("ALPINE-CVE-0000-0001", "libcrypto1.0"),
            pair("ALPINE-CVE-0000-0001", "libssl1.0"),
        ],
        "{json}"
    );
    let ssl = finding(&json, "ALPINE-CVE-0000-0001", "libssl1.0");
    assert_eq!(ssl["fixed"], serde_json::json!(["1.0.2i-r0"]));
    assert_eq!(ssl["input"]["os"]["sourceName"], "openssl");
}

/// RHEL 8.8 (the BerkeleyDB fixture): Red Hat's records name binary
/// packages (libuuid, RHSA-0000:0002, fixed after the installed
/// 2.32.1-42.el8_8) or the source RPM (util-linux, RHSA-0000:0003, fixed
/// in the installed version); RHEL 9's record of libuuid (RHSA-0000:0004)
/// is another release's.
#[test]
fn vulns_of_the_berkeleydb_fixture_match_its_rhel_release() {
    let d = tempdir();
    let (reference, _) = image(&BDB, d.path());
    let (pairs, json) = findings(&reference);
    assert_eq!(pairs, [pair("RHSA-0000:0002", "libuuid")], "{json}");
    let uuid = finding(&json, "RHSA-0000:0002", "libuuid");
    assert_eq!(uuid["fixed"], serde_json::json!(["2.32.1-43.el8_9"]));
    assert_eq!(uuid["input"]["os"]["sourceName"], "util-linux");
}

/// CBL-Mariner 2.0 (the sqlite fixture) has no OSV ecosystem vouch knows:
/// rather than report nothing, each of its packages is a version-unknown
/// finding that says why.
#[test]
fn vulns_of_the_sqlite_fixture_say_mariner_has_no_osv_ecosystem() {
    let d = tempdir();
    let (reference, _) = image(&SQLITE, d.path());
    let (pairs, json) = findings(&reference);
    let mut names: Vec<(String, String)> = oracle(&SQLITE)
        .into_iter()
        .map(|(name, ..)| pair("version-unknown", &name))
        .collect();
    names.sort();
    assert_eq!(pairs, names);
    for f in json["findings"].as_array().unwrap() {
        let summary = f["summary"].as_str().unwrap();
        assert!(
            summary.contains("no OSV ecosystem for os-release ID \"mariner\""),
            "{summary}"
        );
    }
}

/// The Mariner image with a second layer in which rpm itself imports a
/// signing key (Debian's public release key: a `gpg-pubkey` entry, without
/// architecture or source RPM, as every RHEL and Fedora image has) and
/// installs [`rpm_qa::epoch_test_rpm`] into the fixture's database (`rpm -i
/// --justdb`), as a Dockerfile's `RUN tdnf install` does: rpm rewrites the
/// whole sqlite file. Returns the image's reference, its layer digests, and
/// what `rpm -qa` lists of the new database.
fn mariner_with_an_install(dir: &Path) -> (String, Vec<String>, Vec<Listed>) {
    let db = dir.join("db");
    fs::create_dir(&db).unwrap();
    fs::copy(testdata(SQLITE.database), db.join("rpmdb.sqlite")).unwrap();
    let key = testdata("rpmdb/generated/debian-bookworm-stable.asc");
    rpm_qa::rpm(&db, &["--import", s(&key)]);
    let package = rpm_qa::epoch_test_rpm(dir);
    rpm_qa::rpm(
        &db,
        &[
            "--define",
            "_db_backend sqlite",
            "-i",
            "--justdb",
            "--nodeps",
            package.to_str().unwrap(),
        ],
    );
    let mut want: Vec<Listed> = rpm_qa::rpm_qa(&db, "sqlite")
        .iter()
        .map(|l| first_four(l))
        .collect();
    want.sort();
    assert_eq!(want.len(), SQLITE.count + 2);
    let os_release = fs::read(testdata(SQLITE.os_release)).unwrap();
    let base = fs::read(testdata(SQLITE.database)).unwrap();
    let installed = fs::read(db.join("rpmdb.sqlite")).unwrap();
    assert_ne!(base, installed);
    let layout = dir.join("layout");
    layout_image_with_layers(
        &layout,
        SQLITE.tag,
        &[
            layer_tar(
                &[("etc/os-release", &os_release), (SQLITE.path, &base)],
                &[],
            ),
            layer_tar(&[(SQLITE.path, &installed)], &[]),
        ],
    );
    let layers = layout_layers(&layout, SQLITE.tag);
    (
        format!("oci:{}:{}", layout.display(), SQLITE.tag),
        layers,
        want,
    )
}

/// The CycloneDX components of `vouch sbom REFERENCE`.
fn components(reference: &str) -> Vec<Value> {
    let out = Fixture::new().run(["sbom", reference, "--format", "cyclonedx"]);
    assert_ok(&out);
    let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
    bom["components"].as_array().unwrap().clone()
}

/// After the install, vouch lists what `rpm -qa` lists of the new
/// database, the new entries (the package with its epoch, the key)
/// attributed to the second layer and every other, whose entries rpm left
/// unchanged, to the base; its SBOMs pass the validators.
#[test]
fn an_rpm_installed_in_a_second_layer_is_listed_and_attributed_to_it() {
    let d = tempdir();
    let (reference, layers, want) = mariner_with_an_install(d.path());
    assert_eq!(layers.len(), 2);
    let components = components(&reference);
    let mut listed: Vec<Listed> = components
        .iter()
        .map(|c| {
            let version = c["version"].as_str().unwrap();
            let name = c["name"].as_str().unwrap();
            let layer = if ["vouch-epoch-test", "gpg-pubkey"].contains(&name) {
                &layers[1]
            } else {
                &layers[0]
            };
            assert_eq!(property(c, "vouch:layer"), layer, "{name}");
            (
                name.to_string(),
                version.to_string(),
                check_purl(&SQLITE, c["purl"].as_str().unwrap(), version),
                source(
                    &SQLITE,
                    version,
                    property(c, "vouch:source-name"),
                    property(c, "vouch:source-version"),
                ),
            )
        })
        .collect();
    listed.sort();
    assert_eq!(listed, want);
    assert!(listed
        .iter()
        .any(|(n, v, ..)| n == "vouch-epoch-test" && v == "3:1.2.3-4.fx"));
    assert!(listed
        .iter()
        .any(|(n, _, a, _)| n == "gpg-pubkey" && a == "(none)"));
    // Both SBOMs of it pass their validators.
    common::sboms(&reference);
}

/// Every package of CBL-Mariner's own is vendored by `Microsoft
/// Corporation` (all 129 of the fixture's): a package of another vendor
/// on a Mariner image (the installed `Example Third Party, Inc.` one) is a
/// third party's, and says so, as on RHEL or SLES.
#[test]
fn regression_issue_15_a_third_party_rpm_on_mariner_is_marked() {
    let d = tempdir();
    let (reference, _, _) = mariner_with_an_install(d.path());
    let components = components(&reference);
    assert_eq!(components.len(), SQLITE.count + 2);
    for c in &components {
        let third_party = c["name"] == "vouch-epoch-test";
        assert_eq!(
            property(c, "vouch:third-party"),
            third_party.to_string(),
            "{}",
            c["name"]
        );
    }
}

/// Red Hat's VEX names its packages `pkg:rpm/redhat/<name>` (its real
/// CSAF files, testdata/csaf/redhat), and a policy trusts it for
/// `answersFor: ["pkg:rpm/redhat/*"]`: the packages vouch reads from a RHEL
/// image must carry that namespace, else no Red Hat statement ever
/// answers them. The RHEL 8 image's libuuid, attested with
/// `--os-packages`, has RHSA-0000:0002 (alias CVE-2024-28085), which
/// Red Hat's statement (authored, testdata/vendor-vex/redhat-rhel8) says
/// does not affect RHEL 8's libuuid.
#[test]
fn regression_issue_15_red_hat_vex_answers_the_packages_of_a_rhel_image() {
    let policy = r#"apiVersion: vouch.dev/v1alpha1
kind: ImagePolicy
metadata: {name: rhel}
spec:
  images: [{glob: "oci:**"}]
  authorities:
    - name: ci
      key: {path: ci.pub}
  attestations:
    - name: provenance
      predicateType: https://slsa.dev/provenance/v1
      authorities: [ci]
  vulnerabilities:
    osv: osv
    threshold: low
    critical: deny
    normal: warn
    vendorVex:
      - name: redhat
        path: vex/redhat/
        answersFor: ["pkg:rpm/redhat/*"]
"#;
    let f = Fixture::new()
        .with_project()
        .with_key("ci")
        .with_policy(policy);
    common::copy_tree(&testdata("osv-os-fixtures"), &f.dir().join("osv"));
    fs::create_dir(f.dir().join("vex")).unwrap();
    common::copy_tree(
        &testdata("vendor-vex/redhat-rhel8"),
        &f.dir().join("vex/redhat"),
    );
    let (reference, _) = image(&BDB, f.dir());
    let f = f.with_image(&reference);
    assert_ok(&f.attest("ci.key", &["--os-packages"]));
    let out = f.run([
        "vulns",
        &reference,
        "--policy",
        "policy.yaml",
        "--output",
        "json",
    ]);
    assert_ok(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let uuid = finding(&json, "RHSA-0000:0002", "libuuid");
    assert_eq!(uuid["answer"]["vendor"], "redhat", "{uuid}");
    assert_eq!(uuid["answer"]["status"], "not_affected", "{uuid}");
    assert!(
        uuid["input"]["purl"]
            .as_str()
            .unwrap()
            .starts_with("pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?"),
        "{uuid}"
    );
}
