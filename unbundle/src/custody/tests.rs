//! The chain of custody on the static signed test archive (testdata/apt,
//! TEST ONLY keys, a fixed clock inside its Date .. Valid-Until), with an
//! authored installed directory holding what librust-foo-dev 1.2.3-1
//! installs (the bytes testdata/apt/generate.sh wrote into it).

use md5::Digest as _;

use super::*;

const INDEX: &str = "main/binary-amd64/Packages";
const DIR: &str = "usr/share/cargo/registry/foo-1.2.3";

fn testdata(path: &str) -> Vec<u8> {
    let full = format!("{}/../testdata/apt/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn sha256(bytes: &[u8]) -> String {
    vouch_evidence::digest::sha256(bytes).hex()
}

fn md5(bytes: &[u8]) -> String {
    hex_lower(&md5::Md5::digest(bytes))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What one test checks: every link as read, each test breaking one.
struct Fixture {
    release: Release,
    release_sha256: String,
    index_sha256: String,
    entry: Entry,
    deb: Vec<u8>,
    installed: Installed,
    dpkg_md5sums: BTreeMap<String, String>,
}

impl Fixture {
    fn new() -> Fixture {
        let in_release = testdata("repo/dists/test/InRelease");
        let keyring = vouch_apt::release::read_keyring(
            "archive-keyring.gpg",
            &testdata("archive-keyring.gpg"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let clock: jiff::Timestamp = "2028-01-02T00:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut release = vouch_apt::release::verify("InRelease", &in_release, &keyring, clock)
            .unwrap_or_else(|e| panic!("{e}"));
        // The static test release has no Version field (a real Debian
        // release has: `12.15`); the tests of the identity give it one,
        // and one test shows what its absence does.
        assert_eq!(release.version, None);
        release.version = Some("12.15".into());
        let index = testdata(&format!("repo/dists/test/{INDEX}"));
        let plain = vouch_apt::packages::check_index(&release, INDEX, &index)
            .unwrap_or_else(|e| panic!("{e}"));
        let entry = vouch_apt::packages::parse(INDEX, &plain)
            .unwrap_or_else(|e| panic!("{e}"))
            .remove(0);
        assert_eq!(entry.package, "librust-foo-dev");
        let deb = testdata(&format!("repo/{}", entry.filename));
        let mut fixture = Fixture {
            release,
            release_sha256: sha256(&in_release),
            index_sha256: sha256(&plain),
            entry,
            deb,
            installed: Installed {
                dir: DIR.into(),
                ..Installed::default()
            },
            dpkg_md5sums: BTreeMap::new(),
        };
        // The installed directory, as dpkg unpacked it, and dpkg's record.
        for (name, bytes) in [
            (
                "Cargo.toml",
                &b"[package]\nname = \"foo\"\nversion = \"1.2.3\"\nedition = \"2021\"\n"[..],
            ),
            ("src/lib.rs", b"pub fn foo() -> u32 {\n    42\n}\n"),
            (
                ".cargo-checksum.json",
                b"{\"package\":\"Could not get crate checksum\",\"files\":{}}\n",
            ),
        ] {
            fixture.put(name, bytes);
            fixture
                .dpkg_md5sums
                .insert(format!("{DIR}/{name}"), md5(bytes));
        }
        fixture
    }

    /// Writes `bytes` as the file `name` of the installed directory.
    fn put(&mut self, name: &str, bytes: &[u8]) {
        self.installed.files.insert(
            format!("{DIR}/{name}"),
            OnDisk {
                sha256: sha256(bytes),
                md5: md5(bytes),
            },
        );
    }

    fn check(&self) -> Result<Distribution, Break> {
        custody(&Chain {
            release: &self.release,
            release_path: "lists/test_InRelease",
            release_sha256: &self.release_sha256,
            index_path: INDEX,
            index_sha256: &self.index_sha256,
            entry: &self.entry,
            deb_path: "debs/librust-foo-dev_1.2.3-1_all.deb",
            deb: &self.deb,
            installed: &self.installed,
            dpkg_md5sums: &self.dpkg_md5sums,
        })
    }

    /// The break, as its message.
    fn broken(&self) -> String {
        match self.check() {
            Ok(d) => panic!("the chain verified: {d:?}"),
            Err(e) => e.to_string(),
        }
    }
}

#[test]
fn the_good_chain_gives_the_distribution_identity() {
    let fixture = Fixture::new();
    let d = fixture.check().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        d.purl.to_string(),
        "pkg:deb/debian/librust-foo-dev@1.2.3-1?arch=all&distro=debian-12"
    );
    assert_eq!(
        (d.source_name.as_str(), d.source_version.as_str()),
        ("rust-foo", "1.2.3-1")
    );
    assert_eq!(
        d.deb.to_string(),
        "sha256:5c80efebe1c4a3f5a6fd335de78ef07b54f30336904a55a5dd7d4d11069c751a"
    );
    assert_eq!(d.deb.value(), sha256(&fixture.deb));
    // What testdata/apt/repo/dists/test/Release lists for the index.
    assert_eq!(
        d.packages.to_string(),
        "sha256:23d2eca009af8bce6a7fd8e17f31ff380632cc96d7ba54d5380ec50ab5be42c0"
    );
    assert_eq!(d.release.value(), fixture.release_sha256);
    assert_eq!(d.release_date, "2028-01-01T00:00:00Z");
    let fingerprints = String::from_utf8(testdata("fingerprints.txt")).unwrap_or_default();
    assert!(
        fingerprints.contains(&format!("archive key: {}", d.signer)),
        "{}",
        d.signer
    );
    assert!(d.patches.is_empty(), "the test package ships no series");
    assert_eq!(d.path, format!("/{DIR}"));
}

#[test]
fn an_edited_file_is_named() {
    let mut fixture = Fixture::new();
    fixture.put("src/lib.rs", b"pub fn foo() -> u32 {\n    43\n}\n");
    assert_eq!(
        fixture.broken(),
        format!("{DIR}/src/lib.rs differs from librust-foo-dev 1.2.3-1's .deb")
    );
}

#[test]
fn a_file_the_deb_does_not_install_is_named() {
    let mut fixture = Fixture::new();
    fixture.put("build.rs", b"fn main() {}\n");
    assert_eq!(
        fixture.broken(),
        format!("{DIR}/build.rs is not in librust-foo-dev 1.2.3-1's .deb")
    );
}

#[test]
fn a_missing_file_is_named() {
    let mut fixture = Fixture::new();
    fixture.installed.files.remove(&format!("{DIR}/Cargo.toml"));
    assert_eq!(
        fixture.broken(),
        format!("{DIR}/Cargo.toml of librust-foo-dev 1.2.3-1's .deb is missing")
    );
}

#[test]
fn a_symbolic_link_is_named_and_never_followed() {
    let mut fixture = Fixture::new();
    fixture.installed.others.push(format!("{DIR}/src/extra.rs"));
    assert_eq!(
        fixture.broken(),
        format!(
            "{DIR}/src/extra.rs is not a regular file (the .deb's digests vouch only for \
             regular files)"
        )
    );
}

#[test]
fn dpkg_md5sums_that_disagree_are_named() {
    let mut fixture = Fixture::new();
    let path = format!("{DIR}/src/lib.rs");
    // dpkg's record edited (as one would to hide an edited file).
    fixture.dpkg_md5sums.insert(path.clone(), "0".repeat(32));
    let err = fixture.broken();
    assert!(
        err.starts_with(&format!(
            "dpkg's md5sums for {path} disagree with the .deb's"
        )),
        "{err}"
    );
    // dpkg lists nothing for the file.
    fixture.dpkg_md5sums.remove(&path);
    let err = fixture.broken();
    assert!(
        err.starts_with(&format!("dpkg's md5sums for {path} disagree")),
        "{err}"
    );
}

#[test]
fn a_deb_whose_bytes_differ_is_named() {
    let mut fixture = Fixture::new();
    let last = fixture.deb.len() - 1;
    fixture.deb[last] ^= 1;
    let err = fixture.broken();
    assert!(
        err.starts_with("digest mismatch in debs/librust-foo-dev_1.2.3-1_all.deb: the index lists librust-foo-dev 1.2.3-1 as sha256:5c80"),
        "{err}"
    );
}

#[test]
fn an_index_the_release_does_not_list_is_named() {
    let mut fixture = Fixture::new();
    fixture.index_sha256 = "0".repeat(64);
    let err = fixture.broken();
    assert!(
        err.starts_with(&format!(
            "index {INDEX} is not the one lists/test_InRelease lists: the release lists sha256:23d2"
        )),
        "{err}"
    );
}

#[test]
fn a_release_without_version_cannot_name_the_distribution() {
    let mut fixture = Fixture::new();
    fixture.release.version = None;
    assert_eq!(
        fixture.broken(),
        "lists/test_InRelease has no Version field: the distribution release cannot be named"
    );
    // A security suite's `12` names it as well as a point release's `12.15`.
    fixture.release.version = Some("12".into());
    let d = fixture.check().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        d.purl.to_string().ends_with("distro=debian-12"),
        "{}",
        d.purl
    );
}

#[test]
fn another_package_s_deb_is_not_the_directory_s() {
    let mut fixture = Fixture::new();
    let index = testdata(&format!("repo/dists/test/{INDEX}"));
    let gz = vouch_apt::packages::parse(INDEX, &index)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|e| e.package == "librust-foo-gz-dev")
        .unwrap_or_else(|| panic!("no gz package"));
    fixture.deb = testdata(&format!("repo/{}", gz.filename));
    fixture.entry = gz;
    assert_eq!(
        fixture.broken(),
        format!("librust-foo-gz-dev 1.2.4-1's .deb installs no file under {DIR}")
    );
}

#[test]
fn the_file_count_is_capped() {
    let mut fixture = Fixture::new();
    for n in 0..=MAX_FILES {
        fixture.put(&format!("gen/{n}.rs"), b"");
    }
    assert_eq!(
        fixture.check().map(|_| ()),
        Err(Break::TooMany {
            what: format!("the files under {DIR}"),
            limit: MAX_FILES
        })
    );
}

/// A `.deb` built here with dpkg-deb (authored, TEST ONLY): a crate
/// directory with Debian's `debian/patches/series`, its entry as an index
/// would list it (no `Source` field), and the fixture around it.
fn patched_fixture(series: &[u8]) -> Fixture {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = work.path().join("pkg");
    let files: [(&str, &[u8]); 2] = [
        (
            "Cargo.toml",
            b"[package]\nname = \"foo\"\nversion = \"1.2.3\"\n",
        ),
        (SERIES, series),
    ];
    let mut md5sums = String::new();
    for (name, bytes) in files {
        let path = root.join(DIR).join(name);
        std::fs::create_dir_all(path.parent().unwrap_or(&root)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        md5sums.push_str(&format!("{}  {DIR}/{name}\n", md5(bytes)));
    }
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        root.join("DEBIAN/control"),
        "Package: librust-foo-dev\nVersion: 1.2.3-2\nArchitecture: all\n\
         Maintainer: vouch TEST ONLY <test@vouch.invalid>\nDescription: TEST ONLY\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(root.join("DEBIAN/md5sums"), &md5sums).unwrap_or_else(|e| panic!("{e}"));
    let deb_path = work.path().join("foo.deb");
    let status = std::process::Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&root)
        .arg(&deb_path)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("dpkg-deb: {e}"));
    assert!(status.success());
    let deb = std::fs::read(&deb_path).unwrap_or_else(|e| panic!("{e}"));
    let mut fixture = Fixture::new();
    fixture.entry = Entry {
        package: "librust-foo-dev".into(),
        version: "1.2.3-2".into(),
        architecture: "all".into(),
        source: None,
        provides: Vec::new(),
        filename: "pool/main/librust-foo-dev_1.2.3-2_all.deb".into(),
        size: deb.len() as u64,
        sha256: sha256(&deb),
        multi_arch: None,
        maintainer: None,
        homepage: None,
    };
    fixture.deb = deb;
    fixture.installed.files.clear();
    fixture.dpkg_md5sums.clear();
    for (name, bytes) in files {
        fixture.put(name, bytes);
        fixture
            .dpkg_md5sums
            .insert(format!("{DIR}/{name}"), md5(bytes));
    }
    fixture.installed.series = Some(series.to_vec());
    fixture
}

#[test]
fn the_patches_are_the_signed_series_in_order() {
    let series =
        b"# applied in order\nb-first.patch\n\nfix-build.patch -p1\na-last.patch # trailing\n";
    let fixture = patched_fixture(series);
    let d = fixture.check().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        d.patches,
        ["b-first.patch", "fix-build.patch", "a-last.patch"]
    );
    // Without a Source field the source package is the binary one.
    assert_eq!(
        (d.source_name.as_str(), d.source_version.as_str()),
        ("librust-foo-dev", "1.2.3-2")
    );
    // A series handed over that is not the file checked: named.
    let mut other = patched_fixture(series);
    other.installed.series = Some(b"other.patch\n".to_vec());
    assert_eq!(
        other.broken(),
        format!("{DIR}/{SERIES} differs from librust-foo-dev 1.2.3-2's .deb")
    );
}
