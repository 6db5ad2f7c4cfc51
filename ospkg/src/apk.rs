//! apk's database, `lib/apk/db/installed` (Alpine, Wolfi, Chainguard):
//! one record per installed package, each line `X:value` with a one-letter
//! key. vouch reads `P` (name), `V` (version), `A` (architecture), `o`
//! (origin: the source package), `m` (maintainer) and `L` (licence); the
//! other keys (`C` checksum, file lists, dependencies, ...) are skipped.
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
            },
            text,
        })
    }
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
        let text = "C:Q1abc=\nP:a\nV:1-r0\nL:MIT BSD\nZ:x\n\nP:b\nV:2-r0\n";
        let e = entries("p", text).unwrap();
        assert_eq!(e[0].package.license.as_deref(), Some("MIT BSD"));
        assert_eq!(e[0].text, "C:Q1abc=\nP:a\nV:1-r0\nL:MIT BSD\nZ:x\n");
        assert_eq!(e[1].text, "P:b\nV:2-r0\n");
        assert_eq!(e[1].package.source_name, "b");
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
