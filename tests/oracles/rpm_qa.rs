//! The RPM oracle: what Debian's rpm 4.18 (`scripts/install-oracles.sh`)
//! lists for a database with `rpm --dbpath DIR -qa`. Shared by the tests
//! that hold vouch's reading against it: ospkg's unit tests
//! (ospkg/src/rpm/oracle.rs) and the CLI's (cli/tests/os_fixtures.rs),
//! each including this file with `#[path]`. This rpm reads sqlite and
//! BerkeleyDB (`bdb_ro`) but has no NDB backend.

use std::path::{Path, PathBuf};
use std::process::Command;

/// rpm's query format for the fields vouch reads, tab-separated: name,
/// `[epoch:]version-release` (the epoch only where there is one), arch,
/// source RPM, vendor, packager, licence; `(none)` where a tag is missing.
pub const QUERY: &str = "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{VENDOR}\t%{PACKAGER}\t%{LICENSE}\n";

/// The source RPM's file name (`util-linux-2.32.1-42.el8_8.src.rpm`) of a
/// source package `name` at `version` (`[epoch:]version-release`; the
/// file name has no epoch).
pub fn source_rpm(name: &str, version: &str) -> String {
    let version = version.split_once(':').map_or(version, |(_, v)| v);
    format!("{name}-{version}.src.rpm")
}

/// rpm's line with a missing SOURCERPM (`gpg-pubkey`) replaced by the
/// package's own name and version, which vouch gives as its source.
fn own_source(line: &str) -> String {
    let mut f: Vec<String> = line.split('\t').map(str::to_owned).collect();
    if f.len() > 3 && f[3] == "(none)" {
        f[3] = source_rpm(&f[0], &f[1]);
    }
    f.join("\t")
}

/// Runs the oracle: `rpm --dbpath DIR ARGS...`, which must succeed; its
/// standard output.
pub fn rpm(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("rpm")
        .arg("--dbpath")
        .arg(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("the oracle `rpm` cannot be run ({e}): install it (scripts/install-oracles.sh)")
        });
    assert!(
        out.status.success(),
        "rpm --dbpath {} {args:?} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What `rpm -qa` lists for the database in `dir`, read with `backend`
/// (`sqlite`, `bdb_ro`): one [`QUERY`] line a package, in rpm's order.
pub fn rpm_qa(dir: &Path, backend: &str) -> Vec<String> {
    rpm(
        dir,
        &[
            "--define",
            &format!("_db_backend {backend}"),
            "-qa",
            "--qf",
            QUERY,
        ],
    )
    .lines()
    .map(own_source)
    .collect()
}

/// What `rpm -qa` lists for the database file `file`, copied into a
/// temporary directory under the name rpm's `backend` expects
/// (`rpmdb.sqlite`, `Packages`).
pub fn rpm_lists(file: &Path, file_name: &str, backend: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(file, dir.path().join(file_name)).unwrap();
    rpm_qa(dir.path(), backend)
}

/// The binary RPM of an authored spec, built under `dir` by `rpmbuild`
/// (Debian's rpm package), for what the fixtures lack: a package with an
/// epoch (`vouch-epoch-test` `3:1.2.3-4.fx`), a third party's vendor
/// (`Example Third Party, Inc.`) and a packager; noarch, no files, so that
/// `rpm -i --justdb --nodeps` records it in any database. Its path.
pub fn epoch_test_rpm(dir: &Path) -> PathBuf {
    let spec = dir.join("vouch-epoch-test.spec");
    std::fs::write(
        &spec,
        "Name: vouch-epoch-test\nEpoch: 3\nVersion: 1.2.3\nRelease: 4.fx\n\
         Summary: test\nLicense: MIT AND (Apache-2.0 OR BSD-3-Clause)\n\
         Vendor: Example Third Party, Inc.\nPackager: Jane Doe <jane@example.invalid>\n\
         BuildArch: noarch\n%description\ntest\n%files\n",
    )
    .unwrap();
    let top = dir.join("rpmbuild");
    let built = Command::new("rpmbuild")
        .args(["--define", &format!("_topdir {}", top.display())])
        .arg("-bb")
        .arg(&spec)
        .output()
        .unwrap_or_else(|e| {
            panic!("rpmbuild (Debian's rpm package) cannot be run ({e}): install it (scripts/install-oracles.sh)")
        });
    assert!(
        built.status.success(),
        "rpmbuild failed: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    top.join("RPMS/noarch/vouch-epoch-test-1.2.3-4.fx.noarch.rpm")
}
