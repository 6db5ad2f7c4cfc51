//! Tests of the distribution ecosystems: real and real-shaped records of
//! each (testdata/osv-distro/, see its SOURCE.md), matched by the
//! distribution's rule, and the os-release mapping.

use super::*;

fn db() -> Database {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/osv-distro");
    let mut db = Database::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            db.add(&path.display().to_string(), &std::fs::read(&path).unwrap())
                .unwrap();
        }
    }
    assert_eq!((db.len(), db.unmatchable()), (9, 0));
    db
}

fn eco(name: &str) -> Ecosystem {
    Ecosystem::parse(name).unwrap()
}

/// The ids (and fixes) of the records affecting `version`, looking the
/// package up by every name its distribution's rule gives.
fn found(
    db: &Database,
    ecosystem: &str,
    binary: &str,
    source: &str,
    version: &str,
) -> Vec<(String, Vec<String>)> {
    let ecosystem = eco(ecosystem);
    let Ecosystem::Distro(distro, _) = &ecosystem else {
        panic!("{ecosystem} is not a distribution");
    };
    let mut out = Vec::new();
    for name in distro.names_to_match(binary, source) {
        for (record, fixes) in db.lookup(&ecosystem, name, version).unwrap() {
            out.push((record.id.clone(), fixes));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn one(id: &str, fixes: &[&str]) -> Vec<(String, Vec<String>)> {
    vec![(
        id.to_owned(),
        fixes.iter().map(|f| (*f).to_owned()).collect(),
    )]
}

#[test]
fn debian_and_ubuntu_match_by_source_package_in_their_release() {
    let db = db();
    // Debian 12's zlib is unfixed there: every version is affected, found
    // by the source name of the binary package zlib1g.
    let zlib = one("DEBIAN-CVE-2023-45853", &[]);
    assert_eq!(
        found(&db, "Debian:12", "zlib1g", "zlib", "1:1.2.13.dfsg-1"),
        zlib
    );
    assert_eq!(found(&db, "Debian:12", "zlib1g", "zlib", "1:1.3.1-1"), zlib);
    // Not by the binary's own name.
    assert!(db
        .lookup(&eco("Debian:12"), "zlib1g", "1:1.2.13.dfsg-1")
        .unwrap()
        .is_empty());
    // Debian 11's entry has its own fix: 1:1.2.13 is past it there, and
    // its fix is never offered to Debian 12.
    assert!(found(&db, "Debian:11", "zlib1g", "zlib", "1:1.2.13.dfsg-1").is_empty());
    assert_eq!(
        found(
            &db,
            "Debian:11",
            "zlib1g",
            "zlib",
            "1:1.2.11.dfsg-2+deb11u2"
        ),
        one("DEBIAN-CVE-2023-45853", &["1:1.2.11.dfsg-2+deb11u3"])
    );
    // Epochs and `~`: without the epoch 1.3.1 is below 1:1.2.11; a `~`
    // version sorts before its release.
    assert_eq!(
        found(
            &db,
            "Debian:13",
            "zlib1g",
            "zlib",
            "1:1.3.dfsg+really1.3.1-1~bpo1"
        ),
        one("DEBIAN-CVE-2023-45853", &["1:1.3.dfsg+really1.3.1-1"])
    );
    assert!(found(
        &db,
        "Debian:13",
        "zlib1g",
        "zlib",
        "1:1.3.dfsg+really1.3.1-1"
    )
    .is_empty());
    assert_eq!(
        found(&db, "Debian:11", "zlib1g", "zlib", "1.3.1-1").len(),
        1,
        "no epoch is epoch 0, below 1:"
    );
    // The real DSA: Debian 7's nginx, fixed in 1.2.1-2.2+wheezy3.
    assert_eq!(
        found(&db, "Debian:7", "nginx-full", "nginx", "1.2.1-2.2+wheezy2"),
        one("DSA-3029-1", &["1.2.1-2.2+wheezy3"])
    );
    assert!(found(&db, "Debian:7", "nginx-full", "nginx", "1.2.1-2.2+wheezy3").is_empty());
    // Negative controls: another distribution, another release.
    assert!(found(&db, "Ubuntu:22.04:LTS", "zlib1g", "zlib", "1:1.2.13.dfsg-1").is_empty());
    assert!(found(&db, "Debian:8", "nginx-full", "nginx", "1.2.1-2.2+wheezy2").is_empty());

    // Ubuntu's real record for pam: 22.04's fix, and the Pro record of
    // 18.04 (fixed only in ESM).
    assert_eq!(
        found(
            &db,
            "Ubuntu:22.04:LTS",
            "libpam0g",
            "pam",
            "1.4.0-11ubuntu2.3"
        ),
        one("CVE-2024-22365", &["1.4.0-11ubuntu2.4"])
    );
    assert!(found(
        &db,
        "Ubuntu:22.04:LTS",
        "libpam0g",
        "pam",
        "1.4.0-11ubuntu2.4"
    )
    .is_empty());
    assert!(found(
        &db,
        "Ubuntu:Pro:22.04:LTS",
        "libpam0g",
        "pam",
        "1.4.0-11ubuntu2.3"
    )
    .is_empty());
    assert_eq!(
        found(
            &db,
            "Ubuntu:Pro:18.04:LTS",
            "libpam0g",
            "pam",
            "1.1.8-3.6ubuntu2.18.04.6"
        ),
        one("CVE-2024-22365", &["1.1.8-3.6ubuntu2.18.04.6+esm1"])
    );
    assert!(found(
        &db,
        "Ubuntu:Pro:18.04:LTS",
        "libpam0g",
        "pam",
        "1.1.8-3.6ubuntu2.18.04.6+esm1"
    )
    .is_empty());
}

#[test]
fn apk_distributions_match_by_origin() {
    let db = db();
    // The real Alpine record: mariadb-client's origin is mariadb.
    assert_eq!(
        found(
            &db,
            "Alpine:v3.16",
            "mariadb-client",
            "mariadb",
            "10.6.7-r0"
        ),
        one("CVE-2022-27449", &["10.6.8-r0"])
    );
    assert!(found(
        &db,
        "Alpine:v3.16",
        "mariadb-client",
        "mariadb",
        "10.6.8-r0"
    )
    .is_empty());
    assert!(found(
        &db,
        "Alpine:v3.16",
        "mariadb-client",
        "mariadb",
        "10.6.10-r0"
    )
    .is_empty());
    assert!(db
        .lookup(&eco("Alpine:v3.16"), "mariadb-client", "10.6.7-r0")
        .unwrap()
        .is_empty());
    // A release the record does not name.
    assert!(found(
        &db,
        "Alpine:v3.19",
        "mariadb-client",
        "mariadb",
        "10.6.7-r0"
    )
    .is_empty());
    // Wolfi: fixed; Chainguard: last_affected, inclusive.
    assert_eq!(
        found(&db, "Wolfi", "haproxy-3.1", "haproxy-3.1", "3.1.6-r2"),
        one("CGA-0000-0001", &["3.1.7-r0"])
    );
    assert!(found(&db, "Wolfi", "haproxy-3.1", "haproxy-3.1", "3.1.7-r0").is_empty());
    assert_eq!(
        found(&db, "Chainguard", "haproxy-3.1", "haproxy-3.1", "3.1.6-r2").len(),
        1
    );
    assert!(found(&db, "Chainguard", "haproxy-3.1", "haproxy-3.1", "3.1.6-r3").is_empty());
    assert!(found(&db, "Chainguard", "haproxy-3.1", "haproxy-3.1", "3.0.9-r0").is_empty());
    // An apk version apk-tools calls invalid is an error, not "not affected".
    assert!(db.lookup(&eco("Wolfi"), "haproxy-3.1", "3.1.6-r").is_err());
}

#[test]
fn rpm_distributions_match_binary_or_source_rpm_with_epochs() {
    let db = db();
    let rhel9 = "Red Hat:enterprise_linux:9::baseos";
    // The binary the record names; the epoch decides over the version.
    let fix = one("RHSA-0000:0001", &["1:3.0.7-27.el9"]);
    assert_eq!(
        found(&db, rhel9, "openssl-libs", "openssl", "1:3.0.7-24.el9"),
        fix
    );
    assert_eq!(
        found(&db, rhel9, "openssl-libs", "openssl", "3.0.9-1.el9"),
        fix
    );
    assert!(found(&db, rhel9, "openssl-libs", "openssl", "1:3.0.7-27.el9").is_empty());
    assert!(found(&db, rhel9, "openssl-libs", "openssl", "1:3.0.7-27.el9_4").is_empty());
    // openssl-devel is not listed: reached through its source RPM, which
    // the record lists with a purl of arch=src.
    assert_eq!(
        found(&db, rhel9, "openssl-devel", "openssl", "1:3.0.7-24.el9"),
        fix
    );
    // Negative controls: RHEL 8's stream, another stream, another package.
    assert!(found(
        &db,
        "Red Hat:enterprise_linux:9::appstream",
        "openssl-libs",
        "openssl",
        "1:3.0.7-24.el9"
    )
    .is_empty());
    assert_eq!(
        found(
            &db,
            "Red Hat:enterprise_linux:8::baseos",
            "openssl-libs",
            "openssl",
            "1:1.1.1k-9.el8_7"
        ),
        one("RHSA-0000:0001", &["1:1.1.1k-12.el8_9"])
    );
    assert!(found(&db, rhel9, "zlib", "zlib", "1.2.11-40.el9").is_empty());
    // Rocky, Alma, SUSE and openSUSE.
    assert_eq!(
        found(
            &db,
            "Rocky Linux:9",
            "openssl-libs",
            "openssl",
            "1:3.0.7-24.el9"
        )
        .len(),
        1
    );
    assert!(found(
        &db,
        "Rocky Linux:8",
        "openssl-libs",
        "openssl",
        "1:3.0.7-24.el9"
    )
    .is_empty());
    // AlmaLinux's real ALSA-2023:3722 lists openssl's binaries.
    let alsa = one("ALSA-2023:3722", &["1:3.0.7-16.el9_2"]);
    let alma = |v: &str| found(&db, "AlmaLinux:9", "openssl-libs", "openssl", v);
    assert_eq!(alma("1:3.0.7-6.el9_2"), alsa);
    assert_eq!(alma("3.0.9-1.el9"), alsa);
    assert!(alma("1:3.0.7-16.el9_2").is_empty());
    assert!(alma("1:3.0.7-16.el9_2.1").is_empty());
    assert!(found(
        &db,
        "AlmaLinux:8",
        "openssl-libs",
        "openssl",
        "1:3.0.7-6.el9_2"
    )
    .is_empty());
    let sle = "SUSE:Linux Enterprise Module for Basesystem 15 SP5";
    assert_eq!(
        found(&db, sle, "libopenssl3", "openssl-3", "3.0.8-150500.5.14.1"),
        one("SUSE-SU-0000:0001-1", &["3.0.8-150500.5.20.1"])
    );
    assert!(found(&db, sle, "libopenssl3", "openssl-3", "3.0.8-150500.5.20.1").is_empty());
    assert!(found(
        &db,
        "SUSE:Linux Enterprise Module for Basesystem 15 SP4",
        "libopenssl3",
        "openssl-3",
        "3.0.8-150500.5.14.1"
    )
    .is_empty());
    assert_eq!(
        found(
            &db,
            "openSUSE:Leap 15.5",
            "libopenssl3",
            "openssl-3",
            "3.0.8-150500.5.14.1"
        )
        .len(),
        1
    );
}

#[test]
fn bad_distribution_versions_in_records_are_refused_naming_the_field() {
    let bad = r#"{"id":"DSA-1","modified":"2024-01-01T00:00:00Z","affected":[
        {"package":{"ecosystem":"Debian:12","name":"zlib"},
         "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:"}]}]}]}"#;
    let err = Record::from_json("dsa.json", bad.as_bytes())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "invalid OSV record in dsa.json: affected[0].ranges[0].events[1].fixed: \"1:\" is not a valid Debian version: nothing after the colon"
    );
    let bad = bad
        .replace("Debian:12", "Alpine:v3.19")
        .replace("\"1:\"", "\"1.0-r\"");
    let err = Record::from_json("a.json", bad.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("\"1.0-r\" is not a valid apk version"),
        "{err}"
    );
}

fn os(id: &str, version_id: Option<&str>) -> Result<Vec<String>, String> {
    let release = OsRelease {
        id,
        version_id,
        id_like: None,
    };
    release
        .ecosystems()
        .map(|(_, ecosystems)| ecosystems.iter().map(|e| e.to_string()).collect())
}

#[test]
fn os_release_to_ecosystems() {
    assert_eq!(os("debian", Some("12")).unwrap(), ["Debian:12"]);
    assert_eq!(
        os("ubuntu", Some("22.04")).unwrap(),
        ["Ubuntu:22.04:LTS", "Ubuntu:Pro:22.04:LTS"]
    );
    assert_eq!(os("ubuntu", Some("24.10")).unwrap(), ["Ubuntu:24.10"]);
    assert_eq!(os("alpine", Some("3.19.1")).unwrap(), ["Alpine:v3.19"]);
    assert_eq!(os("alpine", Some("3.20")).unwrap(), ["Alpine:v3.20"]);
    assert_eq!(os("rocky", Some("9.3")).unwrap(), ["Rocky Linux:9"]);
    assert_eq!(os("almalinux", Some("9.3")).unwrap(), ["AlmaLinux:9"]);
    let rhel = os("rhel", Some("9.3")).unwrap();
    assert!(rhel.contains(&"Red Hat:enterprise_linux:9::baseos".to_owned()));
    assert!(rhel.contains(&"Red Hat:enterprise_linux:9::appstream".to_owned()));
    assert!(rhel
        .iter()
        .all(|e| e.starts_with("Red Hat:enterprise_linux:9::")));
    assert_eq!(
        os("sles", Some("15.5")).unwrap(),
        [
            "SUSE:Linux Enterprise Server 15 SP5",
            "SUSE:Linux Enterprise Module for Basesystem 15 SP5",
            "SUSE:Linux Enterprise Module for Server Applications 15 SP5"
        ]
    );
    assert_eq!(
        os("opensuse-leap", Some("15.5")).unwrap(),
        ["openSUSE:Leap 15.5"]
    );
    assert_eq!(
        os("opensuse-tumbleweed", Some("20240101")).unwrap(),
        ["openSUSE:Tumbleweed"]
    );
    assert_eq!(os("wolfi", Some("20230201")).unwrap(), ["Wolfi"]);
    assert_eq!(os("chainguard", None).unwrap(), ["Chainguard"]);
    // Unknown or missing releases are errors, never a wildcard.
    for (id, v) in [
        ("debian", None),
        ("debian", Some("12.5")),
        ("ubuntu", Some("jammy")),
        ("alpine", Some("3.21.0_alpha20240807")),
        ("alpine", Some("3")),
        ("rhel", None),
        ("rocky", Some("")),
        ("sles", Some("15-SP5")),
    ] {
        let err = os(id, v).unwrap_err();
        assert!(err.starts_with("no OSV release for os-release"), "{err}");
    }
    let mint = OsRelease {
        id: "linuxmint",
        version_id: Some("21.3"),
        id_like: Some("ubuntu debian"),
    };
    let err = mint.ecosystems().unwrap_err();
    assert!(
        err.starts_with(
            "no OSV ecosystem for os-release ID \"linuxmint\" (ID_LIKE \"ubuntu debian\""
        ),
        "{err}"
    );
    assert!(os("", None).unwrap_err().contains("ID \"\""));
}

#[test]
fn the_purl_distro_qualifier_names_the_os_release() {
    for (distro, id, version_id, ecosystem) in [
        ("debian-12", "debian", Some("12"), "Debian:12"),
        ("ubuntu-22.04", "ubuntu", Some("22.04"), "Ubuntu:22.04:LTS"),
        ("alpine-3.19.1", "alpine", Some("3.19.1"), "Alpine:v3.19"),
        (
            "opensuse-leap-15.5",
            "opensuse-leap",
            Some("15.5"),
            "openSUSE:Leap 15.5",
        ),
        (
            "opensuse-tumbleweed",
            "opensuse-tumbleweed",
            None,
            "openSUSE:Tumbleweed",
        ),
        (
            "sle-micro-5.5",
            "sle-micro",
            Some("5.5"),
            "SUSE:Linux Enterprise Micro 5.5",
        ),
        ("wolfi-20230201", "wolfi", Some("20230201"), "Wolfi"),
        ("chainguard", "chainguard", None, "Chainguard"),
    ] {
        let release = OsRelease::from_purl_distro(distro);
        assert_eq!(
            (release.id, release.version_id),
            (id, version_id),
            "{distro}"
        );
        let (_, ecosystems) = release.ecosystems().unwrap();
        assert_eq!(ecosystems[0].as_str(), ecosystem, "{distro}");
    }
    // A release-less Debian is an error, not every Debian release.
    assert!(OsRelease::from_purl_distro("debian").ecosystems().is_err());
}
