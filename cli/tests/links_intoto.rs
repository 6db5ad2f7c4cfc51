//! Classic in-toto links per vendored input (`vouch_attest::links::links`,
//! what `vouch attest --links` writes) and the layout of `vouch layout`,
//! checked by the in-toto reference implementation's `in-toto-verify`
//! (in-toto 3.1) as the oracle: it accepts the pristine tree, and rejects a
//! changed or added vendored file, links by another key, the layout under
//! another key, and an expired layout.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{assert_fails_with, assert_ok, keygen_with, run_vouch, tempdir, venv_bin, Fixture};
use vouch_attest::links::{layout, links};
use vouch_attest::tree::dir_hash;
use vouch_attest::Root;
use vouch_evidence::keys::{PrivateKey, PublicKey};

/// A project of its own (`src/`, a build file) vendoring zlib's sources
/// under `third_party/zlib/` and an archive, both declared in
/// vouch.inputs.yaml with the digests they have.
fn project(d: &Path) {
    fs::create_dir_all(d.join("src")).unwrap();
    fs::write(d.join("src/main.c"), b"int main(void) { return 0; }\n").unwrap();
    fs::write(d.join("Makefile"), b"all:\n\tcc src/main.c\n").unwrap();
    let zlib = d.join("third_party/zlib");
    fs::create_dir_all(zlib.join("contrib/minizip")).unwrap();
    fs::write(zlib.join("zlib.h"), b"#define ZLIB_VERSION \"1.3.1\"\n").unwrap();
    fs::write(
        zlib.join("adler32.c"),
        b"uLong adler32(void) { return 1; }\n",
    )
    .unwrap();
    fs::write(zlib.join("contrib/minizip/zip.c"), b"int zip;\n").unwrap();
    fs::write(
        d.join("third_party/libfoo-2.0.tar.gz"),
        [0x1f, 0x8b, 8, 0, 1, 2, 3],
    )
    .unwrap();
    let root = Root::new(d).unwrap();
    let listed = root.files(&zlib).unwrap();
    let zlib_hash = dir_hash(&root.hash_dirs(&[(zlib, listed)]).unwrap()[0]);
    let archive_hash = root
        .hash_file(&d.join("third_party/libfoo-2.0.tar.gz"))
        .unwrap();
    fs::write(
        d.join("vouch.inputs.yaml"),
        format!(
            "inputs:\n\
             - {{name: zlib, version: 1.3.1, uri: https://zlib.net/zlib-1.3.1.tar.gz, \
                 path: third_party/zlib, dirHash: {zlib_hash}}}\n\
             - {{name: libfoo, version: '2.0', uri: https://example.com/libfoo-2.0.tar.gz, \
                 path: third_party/libfoo-2.0.tar.gz, sha256: {archive_hash}}}\n"
        ),
    )
    .unwrap();
}

/// The project, and beside it (outside the tree in-toto-verify hashes) the
/// owner, functionary and stranger keys of `algorithm`, the layout written
/// by `vouch layout`, and the functionary's links in `links/`.
fn setup(algorithm: &str) -> Fixture {
    let f = Fixture::new().with_project_from(project);
    for who in ["owner", "functionary", "stranger"] {
        keygen_with(f.dir(), who, algorithm);
    }
    let out = run_vouch(
        f.dir(),
        &format!(
            "layout --key owner.key --functionary functionary.pub -o root.layout {}",
            f.project.display()
        ),
    );
    assert_ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 step(s), one per vendored input"),
        "{stderr}"
    );
    write_links(&f, "functionary", "links");
    f
}

/// The private key `WHO.key` of the fixture.
fn key(f: &Fixture, who: &str) -> PrivateKey {
    PrivateKey::from_pkcs8_pem(&fs::read_to_string(f.dir().join(format!("{who}.key"))).unwrap())
        .unwrap()
}

/// Writes the links `who` signs into `dir` of the fixture, and returns
/// their file names.
fn write_links(f: &Fixture, who: &str, dir: &str) -> Vec<String> {
    let root = Root::new(&f.project).unwrap();
    let inputs = vouch_attest::discover(&root).unwrap();
    let written = links(&root, &inputs, &key(f, who)).unwrap();
    let dir = f.dir().join(dir);
    fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in &written {
        fs::write(dir.join(name), bytes).unwrap();
    }
    written.into_iter().map(|(name, _)| name).collect()
}

/// Runs in-toto-verify from the project root, with the fixture's files
/// `layout`, `layout_key` and `link_dir`.
fn in_toto_verify(f: &Fixture, layout: &str, layout_key: &str, link_dir: &str) -> Output {
    venv_bin("in-toto-verify")
        .current_dir(&f.project)
        .arg("--layout")
        .arg(f.dir().join(layout))
        .arg("--verification-keys")
        .arg(f.dir().join(layout_key))
        .arg("--link-dir")
        .arg(f.dir().join(link_dir))
        .output()
        .unwrap()
}

/// Asserts that in-toto-verify rejected the supply chain (exit 1), with
/// every one of `needles` in its output.
fn assert_rejected(out: &Output, needles: &[&str]) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "expected rejection: {text}");
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} not in: {text}");
    }
}

#[test]
fn in_toto_verify_accepts_the_links_and_rejects_a_changed_vendored_file() {
    for algorithm in ["ecdsa-p256", "ed25519"] {
        let s = setup(algorithm);
        let p = &s.project;
        // Links are named <step>.<keyid[:8]>.link.
        let mut names: Vec<String> = fs::read_dir(s.dir().join("links"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names[0].starts_with("vendor-libfoo.") && names[1].starts_with("vendor-zlib."));
        assert_ok(&in_toto_verify(&s, "root.layout", "owner.pub", "links"));

        // The project's own files are not inputs: changing one is allowed.
        fs::write(p.join("src/main.c"), b"int main(void) { return 1; }\n").unwrap();
        fs::write(p.join("NEWS"), b"new\n").unwrap();
        assert_ok(&in_toto_verify(&s, "root.layout", "owner.pub", "links"));

        // One byte of one vendored file changed: rejected, naming the file.
        let zip = p.join("third_party/zlib/contrib/minizip/zip.c");
        fs::write(&zip, b"int zap;\n").unwrap();
        assert_rejected(
            &in_toto_verify(&s, "root.layout", "owner.pub", "links"),
            &[
                "DISALLOW third_party/zlib/*",
                "third_party/zlib/contrib/minizip/zip.c",
            ],
        );
        fs::write(&zip, b"int zip;\n").unwrap();
        assert_ok(&in_toto_verify(&s, "root.layout", "owner.pub", "links"));

        // A vendored file (not a directory) changed.
        let archive = p.join("third_party/libfoo-2.0.tar.gz");
        fs::write(&archive, [0x1f, 0x8b, 8, 0, 1, 2, 4]).unwrap();
        assert_rejected(
            &in_toto_verify(&s, "root.layout", "owner.pub", "links"),
            &["third_party/libfoo-2.0.tar.gz"],
        );
        fs::write(&archive, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();

        // A file slipped into a vendored directory.
        fs::write(p.join("third_party/zlib/backdoor.c"), b"evil\n").unwrap();
        assert_rejected(
            &in_toto_verify(&s, "root.layout", "owner.pub", "links"),
            &["third_party/zlib/backdoor.c"],
        );
    }
}

#[test]
fn in_toto_verify_rejects_links_or_layouts_under_other_keys() {
    let s = setup("ecdsa-p256");
    assert_ok(&in_toto_verify(&s, "root.layout", "owner.pub", "links"));

    // Links signed by a key the layout does not authorise, under the file
    // names of the functionary's links: their signatures do not verify.
    let names = write_links(&s, "stranger", "stranger-links");
    let ours: Vec<String> = {
        let mut v: Vec<String> = fs::read_dir(s.dir().join("links"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    fs::create_dir_all(s.dir().join("forged")).unwrap();
    let mut names = names;
    names.sort();
    for (theirs, ours) in names.iter().zip(&ours) {
        fs::copy(
            s.dir().join("stranger-links").join(theirs),
            s.dir().join("forged").join(ours),
        )
        .unwrap();
    }
    assert_rejected(
        &in_toto_verify(&s, "root.layout", "owner.pub", "forged"),
        &["ThresholdVerificationError"],
    );
    // Under their own names, in-toto-verify does not even find them.
    assert_rejected(
        &in_toto_verify(&s, "root.layout", "owner.pub", "stranger-links"),
        &["LinkNotFoundError"],
    );

    // The layout checked against a key that did not sign it.
    assert_rejected(
        &in_toto_verify(&s, "root.layout", "stranger.pub", "links"),
        &["SignatureVerificationError"],
    );

    // An expired layout (written through the library: the CLI refuses a
    // past expiry).
    let inputs = vouch_attest::discover(&Root::new(&s.project).unwrap()).unwrap();
    let functionary =
        PublicKey::from_pem(&fs::read_to_string(s.dir().join("functionary.pub")).unwrap()).unwrap();
    let expired = layout(
        &inputs,
        &key(&s, "owner"),
        &functionary,
        "2001-01-01T00:00:00Z",
    )
    .unwrap();
    fs::write(s.dir().join("expired.layout"), expired).unwrap();
    assert_rejected(
        &in_toto_verify(&s, "expired.layout", "owner.pub", "links"),
        &["LayoutExpiredError"],
    );
}

#[test]
fn vouch_layout_refuses_what_would_check_nothing_or_be_expired() {
    let s = setup("ed25519");
    let w = s.dir();
    let empty = tempdir();
    fs::write(empty.path().join("vouch.inputs.yaml"), "inputs: []\n").unwrap();
    assert_fails_with(
        &run_vouch(
            w,
            &format!(
                "layout --key owner.key --functionary functionary.pub -o x.layout {}",
                empty.path().display()
            ),
        ),
        "no input is vendored",
    );
    let dir = &s.project.display().to_string();
    for (expires, needle) in [
        ("2001-01-01", "is not in the future"),
        ("someday", "is neither a span"),
    ] {
        assert_fails_with(
            &run_vouch(
                w,
                &format!(
                    "layout --key owner.key --functionary functionary.pub -o x.layout --expires {expires} {dir}"
                ),
            ),
            needle,
        );
    }
    // The functionary's public key where the owner's private key belongs.
    assert_fails_with(
        &run_vouch(
            w,
            &format!(
                "layout --key functionary.pub --functionary functionary.pub -o x.layout {dir}"
            ),
        ),
        "functionary.pub",
    );
    assert!(!w.join("x.layout").exists());
}
