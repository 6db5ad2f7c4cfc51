//! The chain from `InRelease` to a `.deb`'s files, on the hermetic test
//! archive (testdata/apt, TEST ONLY keys) and on Debian's own
//! bookworm-security release.

use std::collections::BTreeMap;
use std::process::Command;

use crate::{deb, packages, release, Error};

fn testdata(path: &str) -> Vec<u8> {
    let full = format!("{}/../testdata/apt/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn keyring(path: &str) -> Vec<pgp::composed::SignedPublicKey> {
    release::read_keyring(path, &testdata(path)).unwrap_or_else(|e| panic!("{e}"))
}

/// A clock inside the test release's Date .. Valid-Until.
fn clock() -> jiff::Timestamp {
    "2028-01-02T00:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn fingerprint(which: &str) -> String {
    let text = String::from_utf8(testdata("fingerprints.txt")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{which} key: ")))
        .unwrap_or_else(|| panic!("no {which} key"))
        .to_owned()
}

fn verify_test(
    in_release: &[u8],
    keys: &str,
    now: jiff::Timestamp,
) -> crate::Result<release::Release> {
    release::verify("InRelease", in_release, &keyring(keys), now)
}

fn good_release() -> release::Release {
    verify_test(
        &testdata("repo/dists/test/InRelease"),
        "archive-keyring.gpg",
        clock(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

const INDEX: &str = "main/binary-amd64/Packages";

#[test]
fn the_good_chain_verifies_from_in_release_to_each_file() {
    let release = good_release();
    assert_eq!(release.signer, fingerprint("archive"));
    assert_eq!(release.origin.as_deref(), Some("vouch-test"));
    assert_eq!(release.suite.as_deref(), Some("test"));
    assert_eq!(release.codename.as_deref(), Some("test"));
    assert_eq!(
        release.version, None,
        "the test release has no Version field"
    );
    assert_eq!(release.date.to_string(), "2028-01-01T00:00:00Z");
    assert_eq!(
        release.valid_until.map(|t| t.to_string()).as_deref(),
        Some("2028-01-08T00:00:00Z")
    );
    assert_eq!(release.architectures, ["amd64"]);
    assert_eq!(release.components, ["main"]);
    assert_eq!(release.sha256.len(), 3);
    // An armored keyring is read as the binary one.
    let armored = verify_test(
        &testdata("repo/dists/test/InRelease"),
        "archive-keyring.asc",
        clock(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(armored, release);

    // The index, uncompressed and .gz, against the release.
    let plain = testdata(&format!("repo/dists/test/{INDEX}"));
    let index = packages::check_index(&release, INDEX, &plain).unwrap_or_else(|e| panic!("{e}"));
    let gz = testdata(&format!("repo/dists/test/{INDEX}.gz"));
    let from_gz = packages::check_index(&release, &format!("{INDEX}.gz"), &gz)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(index, from_gz);
    let xz = testdata(&format!("repo/dists/test/{INDEX}.xz"));
    let from_xz = packages::check_index(&release, &format!("{INDEX}.xz"), &xz)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(index, from_xz);
    // apt's local lz4 recompression, checked as the uncompressed index.
    let lz4 = testdata("Packages.lz4");
    let from_lz4 = packages::check_index(&release, &format!("{INDEX}.lz4"), &lz4)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(index, from_lz4);
    let entries = packages::parse(INDEX, &index).unwrap_or_else(|e| panic!("{e}"));
    // One .deb per member compression: xz (dpkg-deb's default), gzip,
    // none, zstd.
    assert_eq!(entries.len(), 4);

    // Each .deb against its entry, and its files against dpkg-deb's.
    for entry in &entries {
        let bytes = testdata(&format!("repo/{}", entry.filename));
        deb::check(entry, &entry.filename, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let contents = deb::contents(&entry.filename, &bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            contents.files,
            dpkg_deb_files(&format!(
                "{}/../testdata/apt/repo/{}",
                env!("CARGO_MANIFEST_DIR"),
                entry.filename
            )),
            "{}",
            entry.filename
        );
        assert_eq!(contents.files.len(), 3);
        assert_eq!(
            contents.md5sums.keys().collect::<Vec<_>>(),
            contents.files.keys().collect::<Vec<_>>()
        );
    }
}

/// The oracle: dpkg-deb's own extraction, hashed with sha256sum.
fn dpkg_deb_files(deb: &str) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let status = Command::new("dpkg-deb")
        .arg("--extract")
        .arg(deb)
        .arg(dir.path())
        .status()
        .unwrap_or_else(|e| panic!("dpkg-deb: {e}"));
    assert!(status.success());
    let out = Command::new("sh")
        .arg("-c")
        .arg("find . -type f | sort | xargs sha256sum")
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("sha256sum: {e}"));
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(d, f)| (f.trim_start_matches("./").to_owned(), d.to_owned()))
        .collect()
}

#[test]
fn the_package_fields_are_read() {
    let index = testdata(&format!("repo/dists/test/{INDEX}"));
    let entries = packages::parse(INDEX, &index).unwrap_or_else(|e| panic!("{e}"));
    let foo = &entries[0];
    assert_eq!(foo.package, "librust-foo-dev");
    assert_eq!(foo.version, "1.2.3-1");
    assert_eq!(foo.architecture, "all");
    assert_eq!(
        foo.source,
        Some(("rust-foo".to_owned(), Some("1.2.3-1".to_owned())))
    );
    assert_eq!(
        foo.provides,
        [
            ("librust-foo-1-dev".to_owned(), Some("1.2.3-1".to_owned())),
            ("librust-foo-1.2-dev".to_owned(), Some("1.2.3-1".to_owned())),
        ]
    );
    assert_eq!(foo.filename, "pool/main/librust-foo-dev_1.2.3-1_all.deb");
    assert_eq!(foo.multi_arch.as_deref(), Some("foreign"));
    assert_eq!(
        foo.maintainer.as_deref(),
        Some("vouch TEST ONLY <test@vouch.invalid>")
    );
    // A stanza without what the .deb is checked against is refused, with its line.
    let text = String::from_utf8(index).unwrap_or_default();
    let second = text
        .match_indices("\nSHA256: ")
        .nth(1)
        .map_or(0, |(at, _)| at);
    let cut = format!("{}\nSHA-256: {}", &text[..second], &text[second + 9..]);
    let err = packages::parse(INDEX, cut.as_bytes())
        .map(|_| ())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("line 16: the stanza has no SHA256"),
        "{err}"
    );
    // Only the stanzas asked for are parsed: the broken one is skipped
    // when another is wanted, and refused, at its line, when it is.
    let all = packages::parse(INDEX, text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let broken = all[1].package.clone();
    let others = packages::parse_where(INDEX, cut.as_bytes(), |n| n != broken)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        others,
        all.iter()
            .filter(|e| e.package != broken)
            .cloned()
            .collect::<Vec<_>>()
    );
    let err = packages::parse_where(INDEX, cut.as_bytes(), |n| n == broken)
        .map(|_| ())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("line 16: the stanza has no SHA256"),
        "{err}"
    );
}

#[test]
fn an_in_release_signed_by_another_key_is_refused() {
    let other = verify_test(&testdata("InRelease.other"), "archive-keyring.gpg", clock());
    assert!(matches!(other, Err(Error::Signature { .. })), "{other:?}");
    let err = other.map(|_| ()).unwrap_err().to_string();
    assert!(
        err.contains("no signature verifies under any of the keyring's 1 keys"),
        "{err}"
    );
    let wrong_keyring = verify_test(
        &testdata("repo/dists/test/InRelease"),
        "other-keyring.gpg",
        clock(),
    );
    assert!(matches!(wrong_keyring, Err(Error::Signature { .. })));
    // The same key in the right keyring verifies it: the refusal is the key's.
    let by_other = verify_test(&testdata("InRelease.other"), "other-keyring.gpg", clock())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(by_other.signer, fingerprint("other"));
}

#[test]
fn a_changed_byte_in_the_signed_text_is_refused_but_the_framework_s_forms_are_not() {
    let good = String::from_utf8(testdata("repo/dists/test/InRelease")).unwrap_or_default();
    for changed in [
        good.replacen("Suite: test", "Suite: tesT", 1),
        good.replacen("Components: main", "Components: main contrib", 1),
        // A line added to the signed text, as an attacker would list a file.
        good.replacen(
            "SHA256:\n",
            "SHA256:\n 71c81f7930dd4e578c292e6d9defbfd951f9cdeab190e86e563e88d24272bf18 1 x\n",
            1,
        ),
    ] {
        assert_ne!(changed, good);
        let result = verify_test(changed.as_bytes(), "archive-keyring.gpg", clock());
        assert!(matches!(result, Err(Error::Signature { .. })), "{result:?}");
    }
    // What the cleartext framework says is not signed: trailing spaces and
    // tabs, CRLF line endings, dash-escaping of a line.
    for same in [
        good.replacen("Suite: test\n", "Suite: test \t\n", 1),
        good.replace('\n', "\r\n"),
        good.replacen("Origin: vouch-test", "- Origin: vouch-test", 1),
    ] {
        let release = verify_test(same.as_bytes(), "archive-keyring.gpg", clock())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(release, good_release());
    }
    // Text outside the signed part (before the armor) is refused, not read.
    let prefixed = format!("Suite: evil\n{good}");
    assert!(matches!(
        verify_test(prefixed.as_bytes(), "archive-keyring.gpg", clock()),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn a_release_past_its_valid_until_or_dated_after_the_clock_is_refused() {
    let in_release = testdata("repo/dists/test/InRelease");
    let late: jiff::Timestamp = "2028-01-08T00:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = verify_test(&in_release, "archive-keyring.gpg", late)
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, Error::Stale { .. }), "{err}");
    assert!(
        err.to_string().contains("Valid-Until 2028-01-08T00:00:00Z"),
        "{err}"
    );
    let early: jiff::Timestamp = "2027-12-31T23:59:59Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = verify_test(&in_release, "archive-keyring.gpg", early)
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, Error::Stale { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("Date 2028-01-01T00:00:00Z is after the clock"),
        "{err}"
    );
}

#[test]
fn an_expired_or_revoked_key_is_refused() {
    // The expired key signed while it was valid (2026-12-04) but expired
    // on 2026-12-05: apt refuses a release whose key has expired.
    let expired = verify_test(
        &testdata("InRelease.expired"),
        "expired-keyring.gpg",
        clock(),
    )
    .map(|_| ())
    .unwrap_err();
    assert!(matches!(expired, Error::Signature { .. }), "{expired}");
    assert!(expired.to_string().contains("expired"), "{expired}");
    assert!(
        expired.to_string().contains(&fingerprint("expired")),
        "{expired}"
    );
    // Signed by a subkey that never expires, of a primary key that has:
    // the primary's expiry bounds its subkeys'.
    let expired_primary = verify_test(
        &testdata("InRelease.expired-primary"),
        "expired-primary-keyring.gpg",
        clock(),
    )
    .map(|_| ())
    .unwrap_err();
    assert!(
        matches!(expired_primary, Error::Signature { .. }),
        "{expired_primary}"
    );
    assert!(
        expired_primary
            .to_string()
            .contains("after the key expired"),
        "{expired_primary}"
    );
    let revoked = verify_test(
        &testdata("InRelease.revoked"),
        "revoked-keyring.gpg",
        clock(),
    )
    .map(|_| ())
    .unwrap_err();
    assert!(matches!(revoked, Error::Signature { .. }), "{revoked}");
    assert!(revoked.to_string().contains("revoked"), "{revoked}");
}

#[test]
fn an_index_that_does_not_match_its_release_or_is_unlisted_is_refused_naming_it() {
    let release = good_release();
    let mut index = testdata(&format!("repo/dists/test/{INDEX}"));
    if let Some(byte) = index.iter_mut().find(|b| **b == b'3') {
        *byte = b'4';
    }
    let err = packages::check_index(&release, INDEX, &index)
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, Error::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains(INDEX), "{err}");
    // The .gz bytes checked as the uncompressed path do not match either.
    let gz = testdata(&format!("repo/dists/test/{INDEX}.gz"));
    assert!(matches!(
        packages::check_index(&release, INDEX, &gz),
        Err(Error::Mismatch { .. })
    ));
    let err = packages::check_index(&release, &format!("{INDEX}.lz4"), &lz4(&index))
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, Error::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains(&format!("{INDEX}:")), "{err}");
    let unlisted = "main/binary-arm64/Packages";
    let err = packages::check_index(&release, unlisted, &index)
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, Error::Unlisted { .. }), "{err}");
    assert!(err.to_string().contains(unlisted), "{err}");
}

#[test]
fn a_deb_whose_digest_differs_from_its_entry_is_refused() {
    let index = testdata(&format!("repo/dists/test/{INDEX}"));
    let entries = packages::parse(INDEX, &index).unwrap_or_else(|e| panic!("{e}"));
    let entry = &entries[0];
    let mut bytes = testdata(&format!("repo/{}", entry.filename));
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let err = deb::check(entry, &entry.filename, &bytes).unwrap_err();
    assert!(matches!(err, Error::Mismatch { .. }), "{err}");
    assert!(err.to_string().contains(&entry.filename), "{err}");
    // Another package's .deb is not this one.
    let other = testdata(&format!("repo/{}", entries[1].filename));
    assert!(deb::check(entry, &entries[1].filename, &other).is_err());
}

#[test]
fn an_unknown_member_compression_is_named_as_unsupported() {
    let mut bytes = testdata("repo/pool/main/librust-foo-gz-dev_1.2.4-1_all.deb");
    let at = bytes
        .windows(11)
        .position(|w| w == b"data.tar.gz")
        .unwrap_or_else(|| panic!("no data.tar.gz"));
    bytes[at..at + 11].copy_from_slice(b"data.tar.lz");
    let err = deb::contents("x.deb", &bytes).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("data.tar.lz"), "{err}");
    assert!(matches!(
        deb::contents("x.deb", b"!<arch>\nnot a header"),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn debian_s_own_bookworm_security_release_verifies_against_its_keyring() {
    let in_release = testdata("debian/bookworm-security_InRelease");
    // Inside its Date (2026-12-01T19:40Z) .. Valid-Until (2026-12-08T19:40Z).
    let now: jiff::Timestamp = "2026-12-03T00:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let release = verify_test(&in_release, "debian/debian-archive-keyring.gpg", now)
        .unwrap_or_else(|e| panic!("{e}"));
    // Signed by both the 11/bullseye and 12/bookworm security keys (gpgv).
    assert!(
        [
            "AC530D520F2F3269F5E98313A48449044AAD5C5D",
            "05AB90340C0C5E797F44A8C8254CF3B5AEC0A8F0"
        ]
        .contains(&release.signer.as_str()),
        "{}",
        release.signer
    );
    assert_eq!(release.codename.as_deref(), Some("bookworm-security"));
    assert_eq!(release.version.as_deref(), Some("12"));
    assert!(release.components.contains(&"updates/main".to_owned()));
    assert!(release
        .entry("main/binary-amd64/Packages")
        .is_ok_and(|e| e.size == 2_579_986));
    let bookworm_only = verify_test(
        &in_release,
        "debian/debian-archive-bookworm-security-automatic.gpg",
        now,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        bookworm_only.signer,
        "05AB90340C0C5E797F44A8C8254CF3B5AEC0A8F0"
    );
    let stale: jiff::Timestamp = "2026-12-09T00:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        verify_test(&in_release, "debian/debian-archive-keyring.gpg", stale),
        Err(Error::Stale { .. })
    ));
}

/// `bytes` lz4-compressed by the lz4 tool, as apt recompresses its lists.
fn lz4(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = Command::new("lz4")
        .args(["-q", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("lz4: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    out.stdout
}

#[test]
fn a_hard_link_is_listed_with_its_target_s_digest() {
    // Built at test time with dpkg-deb (dpkg is essential on Debian).
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path().join("root");
    let data = root.join("usr/share/cargo/registry/bar-0.1.0");
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        root.join("DEBIAN/control"),
        "Package: bar\nVersion: 0.1.0-1\nArchitecture: all\nMaintainer: t <t@vouch.invalid>\nDescription: test\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(data.join("a.rs"), "fn a() {}\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::hard_link(data.join("a.rs"), data.join("b.rs")).unwrap_or_else(|e| panic!("{e}"));
    let deb = dir.path().join("bar.deb");
    let status = Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zgzip", "--build"])
        .arg(&root)
        .arg(&deb)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("dpkg-deb: {e}"));
    assert!(status.success());
    let bytes = std::fs::read(&deb).unwrap_or_else(|e| panic!("{e}"));
    let contents = deb::contents("bar.deb", &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(contents.files.len(), 2);
    assert_eq!(contents.files, dpkg_deb_files(&deb.to_string_lossy()));
    assert!(contents.md5sums.is_empty());
}
