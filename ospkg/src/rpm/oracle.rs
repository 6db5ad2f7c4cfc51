//! The committed real databases (testdata/rpmdb/, see its SOURCE.md), read
//! here and by rpm itself (Debian's rpm 4.18, `scripts/install-oracles.sh`):
//! vouch must list exactly what `rpm -qa` lists. This rpm reads sqlite and
//! BerkeleyDB (`bdb_ro`) but has no NDB backend; the NDB fixture is held
//! against the `rpm -qa` listing its source project recorded in the image it
//! came from.

use std::path::{Path, PathBuf};

use super::packages;
use crate::Package;

#[path = "../../../tests/oracles/rpm_qa.rs"]
mod rpm_qa;
use rpm_qa::{rpm, rpm_qa};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/rpmdb")
        .join(rel)
}

fn none(field: &Option<String>) -> &str {
    field.as_deref().unwrap_or("(none)")
}

/// The source RPM's file name as a package's source fields give it back.
fn source_rpm(p: &Package) -> String {
    rpm_qa::source_rpm(&p.source_name, &p.source_version)
}

/// Each package as one line of the oracle's query format.
fn listing(path: &str, bytes: &[u8]) -> Vec<String> {
    packages(path, bytes)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .iter()
        .map(|p| {
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                p.name,
                p.version,
                none(&p.architecture),
                source_rpm(p),
                none(&p.vendor),
                none(&p.maintainer),
                none(&p.license)
            )
        })
        .collect()
}

/// What `rpm --dbpath` lists for the fixture `rel`.
fn rpm_lists(rel: &str, file_name: &str, backend: &str) -> Vec<String> {
    rpm_qa::rpm_lists(&fixture(rel), file_name, backend)
}

fn assert_same(rel: &str, ours: Vec<String>, theirs: Vec<String>) {
    assert!(!theirs.is_empty(), "the oracle lists nothing for {rel}");
    assert_eq!(ours, theirs, "{rel}: vouch (left) and rpm (right) differ");
}

#[test]
fn sqlite_matches_rpm() {
    let rel = "sqlite-cbl-mariner-2.0/rpmdb.sqlite";
    let bytes = std::fs::read(fixture(rel)).unwrap();
    let ours = listing("var/lib/rpm/rpmdb.sqlite", &bytes);
    assert_same(rel, ours, rpm_lists(rel, "rpmdb.sqlite", "sqlite"));
}

#[test]
fn berkeleydb_matches_rpm() {
    let rel = "bdb-libuuid/Packages";
    let bytes = std::fs::read(fixture(rel)).unwrap();
    let ours = listing("var/lib/rpm/Packages", &bytes);
    assert_same(rel, ours, rpm_lists(rel, "Packages", "bdb_ro"));
}

/// NDB: held against go-rpmdb's recorded `rpm -qa` of the SLE 15 BCI image
/// (name, `[epoch:]`version-release, arch, source RPM, vendor, licence).
#[test]
fn ndb_matches_the_recorded_rpm_listing() {
    let bytes = std::fs::read(fixture("ndb-sle15-bci/Packages.db")).unwrap();
    let expected = std::fs::read_to_string(fixture("ndb-sle15-bci/expected.tsv")).unwrap();
    let ours: Vec<String> = packages("var/lib/rpm/Packages.db", &bytes)
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                p.name,
                p.version,
                none(&p.architecture),
                source_rpm(p),
                none(&p.vendor),
                none(&p.license)
            )
        })
        .collect();
    let theirs: Vec<String> = expected.lines().map(str::to_owned).collect();
    assert_same("ndb-sle15-bci/Packages.db", ours, theirs);
}

/// A database rpm itself writes here, for what the fixtures lack: a
/// `gpg-pubkey` pseudo-package (`rpm --import` of Debian's public release
/// key; `rpm -qa` lists it, so vouch does), and a package with an epoch, a
/// third-party vendor and a packager, built by `rpmbuild` from an authored
/// spec and recorded with `rpm -i --justdb`.
#[test]
fn a_database_rpm_writes_with_a_pubkey_and_an_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    std::fs::create_dir(&db).unwrap();
    rpm(&db, &["--initdb"]);
    let key = fixture("generated/debian-bookworm-stable.asc");
    rpm(&db, &["--import", key.to_str().unwrap()]);
    let package = rpm_qa::epoch_test_rpm(tmp.path());
    rpm(
        &db,
        &["-i", "--justdb", "--nodeps", package.to_str().unwrap()],
    );
    let theirs = rpm_qa(&db, "sqlite");
    assert!(
        theirs.iter().any(|l| l.starts_with("gpg-pubkey\t")),
        "{theirs:?}"
    );
    assert!(
        theirs
            .iter()
            .any(|l| l.starts_with("vouch-epoch-test\t3:1.2.3-4.fx\t")),
        "{theirs:?}"
    );
    let bytes = std::fs::read(db.join("rpmdb.sqlite")).unwrap();
    assert_same(
        "a database rpm wrote",
        listing("var/lib/rpm/rpmdb.sqlite", &bytes),
        theirs,
    );
    let ours = packages("var/lib/rpm/rpmdb.sqlite", &bytes).unwrap();
    let epoch = ours.iter().find(|p| p.name == "vouch-epoch-test").unwrap();
    assert_eq!(
        (epoch.source_name.as_str(), epoch.source_version.as_str()),
        ("vouch-epoch-test", "3:1.2.3-4.fx")
    );
}
