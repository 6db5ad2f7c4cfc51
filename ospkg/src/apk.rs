//! apk's database, `lib/apk/db/installed` (Alpine, Wolfi, Chainguard):
//! one record per installed package, each line `X:value` with a one-letter
//! key. vouch reads `P` (name), `V` (version), `A` (architecture), `o`
//! (origin: the source package), `m` (maintainer), `L` (licence) and `C`
//! (the package's checksum); the other keys (file lists, dependencies,
//! ...) are skipped.
//! It reads the file as apk-tools' own loader does (`apk_db_index_read`):
//! any line that is not `X:...` (a blank one, normally) ends a record, a
//! key given twice keeps its last value, and a record without `P` or `V`
//! fails the whole database ("Installed database load failed").

use crate::{Error, Manager, Package, Result};

/// One record of the database: its package and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The package it describes.
    pub package: Package,
    /// The record as written.
    pub text: &'a str,
}

/// The installed packages of an apk database (`bytes`, read at `path`).
pub fn installed(path: &str, bytes: &[u8]) -> Result<Vec<Package>> {
    let text = String::from_utf8_lossy(bytes);
    Ok(entries(path, &text)?
        .into_iter()
        .map(|e| e.package)
        .collect())
}

/// The records of an apk database `text`.
pub fn entries<'a>(path: &str, text: &'a str) -> Result<Vec<Entry<'a>>> {
    let mut out = Vec::new();
    let mut record: Option<(Record<'a>, usize, usize)> = None;
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let bytes = line.as_bytes();
        if bytes.len() < 2 || bytes[1] != b':' {
            if let Some((r, from, first)) = record.take() {
                out.push(r.finish(path, &text[from..start], first)?);
            }
            continue;
        }
        let (r, _, _) = record.get_or_insert_with(|| (Record::default(), start, n + 1));
        let value = &line[2..];
        let slot = match bytes[0] {
            b'P' => &mut r.name,
            b'V' => &mut r.version,
            b'A' => &mut r.arch,
            b'o' => &mut r.origin,
            b'm' => &mut r.maintainer,
            b'L' => &mut r.license,
            b'C' => &mut r.checksum,
            _ => continue,
        };
        *slot = Some(value);
    }
    if let Some((r, from, first)) = record {
        out.push(r.finish(path, &text[from..], first)?);
    }
    Ok(out)
}

#[derive(Default)]
struct Record<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    origin: Option<&'a str>,
    maintainer: Option<&'a str>,
    license: Option<&'a str>,
    checksum: Option<&'a str>,
}

impl<'a> Record<'a> {
    fn finish(self, path: &str, text: &'a str, line: usize) -> Result<Entry<'a>> {
        let valid =
            |v: Option<&'a str>| v.filter(|v| !v.is_empty() && !v.contains(char::is_whitespace));
        let malformed = |why: &str| Error::Malformed {
            what: "apk database",
            path: path.to_owned(),
            why: format!("record at line {line}: {why}"),
        };
        let name = valid(self.name).ok_or_else(|| malformed("no valid P (name)"))?;
        let version = valid(self.version)
            .ok_or_else(|| malformed(&format!("package {name} has no valid V (version)")))?;
        let optional = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(str::to_owned);
        let checksum = match self.checksum.filter(|c| !c.is_empty()) {
            Some(c) => Some(checksum(c).ok_or_else(|| {
                malformed(&format!(
                    "package {name} has a C (checksum) that is neither Q1/Q2 and base64 of a \
                     SHA-1/SHA-256 nor the hex of an MD5: {c:?}"
                ))
            })?),
            None => None,
        };
        Ok(Entry {
            package: Package {
                manager: Manager::Apk,
                name: name.to_owned(),
                version: version.to_owned(),
                architecture: optional(self.arch),
                source_name: valid(self.origin).unwrap_or(name).to_owned(),
                source_version: version.to_owned(),
                maintainer: optional(self.maintainer),
                vendor: None,
                license: optional(self.license),
                checksum,
            },
            text,
        })
    }
}

/// An apk checksum in DigestSet notation, as apk-tools reads it
/// (`apk_blob_pull_csum`): `Q1` and base64 of a SHA-1, `Q2` and base64
/// of a SHA-256, else the hex of an MD5 (old databases).
fn checksum(text: &str) -> Option<String> {
    use base64::Engine as _;
    let (algorithm, len, bytes) = match text.get(..2) {
        Some("Q1") => ("sha1", 20, base64_of(&text[2..])?),
        Some("Q2") => ("sha256", 32, base64_of(&text[2..])?),
        _ => ("md5", 16, hex::decode(text).ok()?),
    };
    fn base64_of(text: &str) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD.decode(text).ok()
    }
    (bytes.len() == len).then(|| format!("{algorithm}:{}", hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRIVY: &str = include_str!("../../testdata/ospkg/alpine/installed");
    const TRIVY_EXPECTED: &str = include_str!("../../testdata/ospkg/alpine/expected.tsv");

    /// trivy's fixture holds one record with no version, which apk-tools
    /// refuses to load: so does vouch, naming it.
    #[test]
    fn a_record_without_version_fails_the_database() {
        let err = installed("lib/apk/db/installed", TRIVY.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed apk database in lib/apk/db/installed: record at line 23: \
             package invalidPackageWithoutAVersion has no valid V (version)"
        );
    }

    /// The rest of trivy's fixture against trivy's own expected listing
    /// (`pkgs` in pkg/fanal/analyzer/pkg/apk/apk_test.go, as
    /// testdata/ospkg/alpine/expected.tsv: name, version, source name and
    /// version, architecture, maintainer; the CLI tests read it too).
    #[test]
    fn trivy_fixture_matches_trivys_expected_packages() {
        let valid = TRIVY.replace("P:invalidPackageWithoutAVersion\n\n", "");
        assert_ne!(valid, TRIVY);
        let got: Vec<String> = installed("lib/apk/db/installed", valid.as_bytes())
            .unwrap()
            .into_iter()
            .map(|p| {
                [
                    p.name,
                    p.version,
                    p.source_name,
                    p.source_version,
                    p.architecture.unwrap_or_default(),
                    p.maintainer.unwrap_or_default(),
                ]
                .join("\t")
            })
            .collect();
        let expected: Vec<&str> = TRIVY_EXPECTED.lines().collect();
        assert_eq!(expected.len(), 15);
        assert_eq!(got, expected);
    }

    #[test]
    fn licence_and_record_text() {
        let text = "C:Q11otALzX1d1D0kVawy06IairTXS0=\nP:a\nV:1-r0\nL:MIT BSD\nZ:x\n\nP:b\nV:2-r0\n";
        let e = entries("p", text).unwrap();
        assert_eq!(e[0].package.license.as_deref(), Some("MIT BSD"));
        assert_eq!(
            e[0].text,
            "C:Q11otALzX1d1D0kVawy06IairTXS0=\nP:a\nV:1-r0\nL:MIT BSD\nZ:x\n"
        );
        assert_eq!(e[1].text, "P:b\nV:2-r0\n");
        assert_eq!(e[1].package.source_name, "b");
    }

    /// The `C:` checksums of trivy's fixture against trivy's expected
    /// `Digest`s (the same `pkgs`, in order).
    #[test]
    fn checksums_match_trivys_expected_digests() {
        let valid = TRIVY.replace("P:invalidPackageWithoutAVersion\n\n", "");
        let got: Vec<String> = installed("lib/apk/db/installed", valid.as_bytes())
            .unwrap()
            .into_iter()
            .map(|p| p.checksum.unwrap())
            .collect();
        let expected = [
            "sha1:d68b402f35f57750f49156b0cb4e886a2ad35d2d",
            "sha1:ca124719267cd0bedc2f4cb850a286ac13f0ad44",
            "sha1:a214896150411d72dd1fafdb32d1c6c4855cccfa",
            "sha1:4def7ffaee6aeba700c1d62570326f75cbb8fa25",
            "sha1:efd04d34d40aa8eb331480127364c27a8ba760ef",
            "sha1:65c860ff8f103b664f40ba849a3f5a51c69c8beb",
            "sha1:7120f337e93b2b4c44e0f5f31a15b60dc678ca14",
            "sha1:0990c0acd62b4175818c3a4cc60ed11f14e23bd8",
            "sha1:f9bab817c5ad93e92a6218bc0f7596b657c02d90",
            "sha1:608aa1dd39eff7bc6615d3e5e33383750f8f5ecc",
            "sha1:9055bc7afd76cf2672198042f72fc4a5ed4fa961",
            "sha1:e6242ac29589c8a84a4b179b491ea7c29fce66a9",
            "sha1:1464946c3a5f0dd5a67ca1af930fc17af7a74474",
            "sha1:f0bf315ec54828188910e4a665c00bc48bdbdd7d",
            "sha1:593154f80c440685448e0f52479725d7bc9b678d",
        ];
        assert_eq!(got, expected);
        // Other spellings apk-tools reads, and what it refuses.
        assert_eq!(
            checksum("0123456789abcdef0123456789abcdef").as_deref(),
            Some("md5:0123456789abcdef0123456789abcdef")
        );
        let sha256 = format!("Q2{}", "A".repeat(43) + "=");
        assert_eq!(
            checksum(&sha256).as_deref(),
            Some(format!("sha256:{}", "0".repeat(64)).as_str())
        );
        for bad in ["Q1abc=", "Q1", "Q3AAAA", "0123", "Q1!!!!"] {
            assert_eq!(checksum(bad), None, "{bad}");
        }
        let e = entries("p", "C:Q1abc=\nP:a\nV:1-r0\n").unwrap_err();
        assert!(
            e.to_string().contains("package a has a C (checksum)"),
            "{e}"
        );
    }

    #[test]
    fn records_without_name_or_version_are_refused() {
        let cases = [
            // A line that is not `X:` ends the record, as in apk-tools.
            (
                "P:a\nnot a line\nV:1\n",
                "record at line 1: package a has no valid V (version)",
            ),
            ("V:1\nA:x86_64\n", "record at line 1: no valid P (name)"),
            ("P:a b\nV:1\n", "record at line 1: no valid P (name)"),
        ];
        for (text, why) in cases {
            let err = installed("lib/apk/db/installed", text.as_bytes()).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("malformed apk database in lib/apk/db/installed: {why}")
            );
        }
        assert!(installed("x", b"").unwrap().is_empty());
        // The last of a repeated key wins, as in apk-tools.
        let p = installed("x", b"P:a\nP:b\nV:1\nx\nP:c\nV:2").unwrap();
        let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["b", "c"]);
        // The last of a repeated key wins, as in apk-tools.
        let p = installed("x", b"P:a\nP:b\nV:1\nx\nP:c\nV:2").unwrap();
        let names: Vec<&str> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["b", "c"]);
    }
}
