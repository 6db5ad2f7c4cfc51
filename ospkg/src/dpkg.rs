//! dpkg's database: `var/lib/dpkg/status` (Debian, Ubuntu) and the
//! distroless `var/lib/dpkg/status.d/*` files (one or more stanzas each).
//!
//! Both are deb822: stanzas of `Field: value` lines separated by blank
//! lines, a line starting with a space or tab continuing the field before
//! it, field names compared without regard to case. A package is listed
//! when its files are on disk: every `Status` dpkg-query -W shows except
//! `config-files` (removed, only its configuration files left), which is
//! what `dpkg-query -W` lists minus those (it hides only `not-installed`,
//! and a stanza without `Status`, which dpkg reads as not installed).
//! Distroless stanzas carry no `Status`: the package is installed.

use crate::{Error, Manager, Package, Result};

/// dpkg's package states (the third word of `Status`), and whether the
/// package's files are on disk in that state.
const STATES: [(&str, bool); 8] = [
    ("not-installed", false),
    ("config-files", false),
    ("half-installed", true),
    ("unpacked", true),
    ("half-configured", true),
    ("triggers-awaited", true),
    ("triggers-pending", true),
    ("installed", true),
];

/// One stanza of a dpkg database: its package, and its text (to tell
/// whether a later layer changed this package's entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The package it describes.
    pub package: Package,
    /// The stanza as written.
    pub text: &'a str,
}

/// The installed packages of `var/lib/dpkg/status` (`bytes`, read at
/// `path` inside the image).
pub fn status(path: &str, bytes: &[u8]) -> Result<Vec<Package>> {
    let text = String::from_utf8_lossy(bytes);
    Ok(entries(path, &text, false)?
        .into_iter()
        .map(|e| e.package)
        .collect())
}

/// The installed packages of one distroless `status.d` file, where a
/// stanza without `Status` is installed.
pub fn status_d(path: &str, bytes: &[u8]) -> Result<Vec<Package>> {
    let text = String::from_utf8_lossy(bytes);
    Ok(entries(path, &text, true)?
        .into_iter()
        .map(|e| e.package)
        .collect())
}

/// The installed packages' entries of a dpkg database `text`; with
/// `distroless`, a stanza without `Status` counts as installed.
pub fn entries<'a>(path: &str, text: &'a str, distroless: bool) -> Result<Vec<Entry<'a>>> {
    let mut out = Vec::new();
    for stanza in stanzas("dpkg status", path, text)? {
        let field = |name: &str| {
            stanza
                .fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        };
        let at = |why: String| Error::Malformed {
            what: "dpkg status",
            path: path.to_owned(),
            why: format!("stanza at line {}: {why}", stanza.line),
        };
        let on_disk = match field("Status") {
            Some(status) => {
                let words: Vec<&str> = status.split_whitespace().collect();
                let [_want, _flag, state] = words[..] else {
                    return Err(at(format!("Status {status:?} is not three words")));
                };
                STATES
                    .iter()
                    .find(|(s, _)| *s == state)
                    .ok_or_else(|| at(format!("unknown package state {state:?}")))?
                    .1
            }
            // dpkg reads a status stanza without Status as not installed.
            None => distroless,
        };
        if !on_disk {
            continue;
        }
        let name = field("Package")
            .filter(|n| !n.is_empty() && !n.contains(char::is_whitespace))
            .ok_or_else(|| at("no valid Package field".into()))?;
        let version = field("Version")
            .filter(|v| !v.is_empty() && !v.contains(char::is_whitespace))
            .ok_or_else(|| at(format!("package {name} has no valid Version")))?;
        let (source_name, source_version) = match field("Source") {
            None | Some("") => (name, version),
            Some(source) => match source.split_once('(') {
                None if !source.contains(char::is_whitespace) => (source, version),
                Some((source, rest)) => {
                    let source = source.trim();
                    let source_version = rest
                        .strip_suffix(')')
                        .map(str::trim)
                        .filter(|v| !v.is_empty() && !v.contains(char::is_whitespace));
                    match source_version {
                        Some(v) if !source.is_empty() && !source.contains(char::is_whitespace) => {
                            (source, v)
                        }
                        _ => return Err(at(format!("Source {source:?} is not `name (version)`"))),
                    }
                }
                None => return Err(at(format!("Source {source:?} is not a package name"))),
            },
        };
        let optional = |name: &str| field(name).filter(|v| !v.is_empty()).map(str::to_owned);
        out.push(Entry {
            package: Package {
                manager: Manager::Dpkg,
                name: name.to_owned(),
                version: version.to_owned(),
                architecture: optional("Architecture"),
                source_name: source_name.to_owned(),
                source_version: source_version.to_owned(),
                maintainer: optional("Maintainer"),
                vendor: None,
                license: None,
                checksum: None,
            },
            text: stanza.text,
        });
    }
    Ok(out)
}

/// One deb822 stanza: its fields in order (continuation lines joined with
/// `\n`), its text, and the line it starts at.
pub struct Stanza<'a> {
    /// Its fields in order, names as written, values trimmed.
    pub fields: Vec<(&'a str, String)>,
    /// The stanza as written.
    pub text: &'a str,
    /// The line it starts at (1-based).
    pub line: usize,
}

/// The deb822 stanzas of `text` (read at `path`; `what` names the kind of
/// file in errors): shared with `vouch-apt`, which reads apt's `Release`
/// and `Packages` files the same way.
pub fn stanzas<'a>(what: &'static str, path: &str, text: &'a str) -> Result<Vec<Stanza<'a>>> {
    let mut out: Vec<Stanza<'a>> = Vec::new();
    let mut current: Option<(Stanza<'a>, usize)> = None;
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        // Only an empty line ends a stanza: dpkg reads a line of blanks as
        // part of the field before it.
        if line.is_empty() {
            if let Some((mut stanza, from)) = current.take() {
                stanza.text = &text[from..start];
                out.push(stanza);
            }
            continue;
        }
        let malformed = |why: &str| Error::Malformed {
            what,
            path: path.to_owned(),
            why: format!("line {}: {why}", n + 1),
        };
        let (stanza, _) = current.get_or_insert_with(|| {
            (
                Stanza {
                    fields: Vec::new(),
                    text: "",
                    line: n + 1,
                },
                start,
            )
        });
        if line.starts_with([' ', '\t']) {
            let (_, value) = stanza
                .fields
                .last_mut()
                .ok_or_else(|| malformed("a continuation line before any field"))?;
            value.push('\n');
            value.push_str(line);
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed("not a `Field: value` line"))?;
        if name.is_empty() || name.starts_with('-') || name.contains(char::is_whitespace) {
            return Err(malformed(&format!("bad field name {name:?}")));
        }
        if stanza
            .fields
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            return Err(malformed(&format!("field {name} given twice")));
        }
        stanza.fields.push((name, value.trim().to_owned()));
    }
    if let Some((mut stanza, from)) = current {
        stanza.text = &text[from..];
        out.push(stanza);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::process::Command;

    /// `dpkg-query --admindir=DIR -W`, with the fields vouch reads, for the
    /// packages whose files are on disk.
    fn dpkg_query(status: &[u8]) -> BTreeSet<String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("info")).unwrap();
        std::fs::create_dir_all(dir.path().join("updates")).unwrap();
        std::fs::write(dir.path().join("status"), status).unwrap();
        let out = Command::new("dpkg-query")
            .arg(format!("--admindir={}", dir.path().display()))
            .args([
                "-W",
                "-f=${db:Status-Status}\\t${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\t${Maintainer}\\n",
            ])
            .output()
            .expect("dpkg-query runs (it is on every Debian system)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let (state, rest) = l.split_once('\t').unwrap();
                (state != "config-files").then(|| rest.to_owned())
            })
            .collect()
    }

    fn ours(packages: &[Package]) -> BTreeSet<String> {
        packages
            .iter()
            .map(|p| {
                format!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    p.name,
                    p.version,
                    p.architecture.as_deref().unwrap_or(""),
                    p.source_name,
                    p.source_version,
                    p.maintainer.as_deref().unwrap_or("")
                )
            })
            .collect()
    }

    const BOOKWORM: &[u8] = include_bytes!("../../testdata/ospkg/debian-bookworm/status");

    #[test]
    fn real_bookworm_status_matches_dpkg_query() {
        let packages = status("var/lib/dpkg/status", BOOKWORM).unwrap();
        let expected = dpkg_query(BOOKWORM);
        assert_eq!(ours(&packages), expected);
        assert_eq!(packages.len(), 73);
        // Multiarch: zlib1g twice, once per architecture.
        let zlib: Vec<&Package> = packages.iter().filter(|p| p.name == "zlib1g").collect();
        assert_eq!(zlib.len(), 2);
        assert_eq!(zlib[0].source_name, "zlib");
        assert_eq!(zlib[0].version, "1:1.2.13.dfsg-1+deb12u1");
        let arches: BTreeSet<_> = zlib
            .iter()
            .filter_map(|p| p.architecture.as_deref())
            .collect();
        assert_eq!(arches, BTreeSet::from(["amd64", "i386"]));
        let bash = packages.iter().find(|p| p.name == "bash").unwrap();
        assert_eq!(
            (bash.source_name.as_str(), bash.source_version.as_str()),
            ("bash", "5.2.15-2")
        );
        assert_ne!(
            bash.version, bash.source_version,
            "a binNMU: its own version"
        );
    }

    /// Every package state dpkg knows, authored in the status file's real
    /// shape: vouch lists exactly dpkg-query -W's rows, minus config-files.
    #[test]
    fn every_state_matches_dpkg_query() {
        let states = [
            "install ok installed",
            "install ok config-files",
            "deinstall ok config-files",
            "install reinstreq half-installed",
            "install ok unpacked",
            "install ok half-configured",
            "install ok triggers-awaited",
            "install ok triggers-pending",
            "purge ok not-installed",
            "deinstall ok installed",
            "hold ok installed",
        ];
        let mut text = String::new();
        for (i, state) in states.iter().enumerate() {
            text.push_str(&format!(
                "Package: p{i}\nStatus: {state}\nMaintainer: M <m@example.org>\n"
            ));
            if !state.ends_with("not-installed") {
                text.push_str(&format!("Architecture: amd64\nVersion: 1.{i}-1\n"));
            }
            if state.ends_with("config-files") {
                text.push_str(&format!(
                    "Conffiles:\n /etc/p{i} 00000000000000000000000000000000\n"
                ));
            }
            if state.ends_with("triggers-awaited") {
                text.push_str("Triggers-Awaited: p0\n");
            }
            if state.ends_with("triggers-pending") {
                text.push_str("Triggers-Pending: t\n");
            }
            text.push_str("Description: d\n long\n .\n more\n\n");
        }
        // No Status at all: dpkg reads it as not installed.
        text.push_str(
            "Package: nostatus\nVersion: 1\nArchitecture: amd64\nMaintainer: M <m@example.org>\n",
        );
        let packages = status("var/lib/dpkg/status", text.as_bytes()).unwrap();
        assert_eq!(ours(&packages), dpkg_query(text.as_bytes()));
        let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["p0", "p3", "p4", "p5", "p6", "p7", "p9", "p10"]);
    }

    #[test]
    fn source_with_and_without_version() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1-1+b1\nSource: s (1-1)\n\n\
                    Package: b\nstatus: install ok installed\nversion: 2\nsource: t\n\n\
                    Package: c\nStatus: install ok installed\nVersion: 3\n";
        let p = status("s", text.as_bytes()).unwrap();
        let got: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.source_name.as_str(), p.source_version.as_str()))
            .collect();
        assert_eq!(got, [("s", "1-1"), ("t", "2"), ("c", "3")]);
        for bad in ["s (1-1", "s ()", "(1)", "s t"] {
            let text =
                format!("Package: a\nStatus: install ok installed\nVersion: 1\nSource: {bad}\n");
            assert!(status("s", text.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_stanzas_are_refused_with_their_line() {
        let cases = [
            (
                " continuation first\n",
                "line 1: a continuation line before any field",
            ),
            (
                "Package: a\nno colon\n",
                "line 2: not a `Field: value` line",
            ),
            (
                "Package: a\nPackage: b\n",
                "line 2: field Package given twice",
            ),
            (
                "Package: a\nStatus: install ok\n",
                "stanza at line 1: Status \"install ok\" is not three words",
            ),
            (
                "Package: a\nStatus: install ok frobbed\n",
                "stanza at line 1: unknown package state \"frobbed\"",
            ),
            (
                "Package: a\nStatus: install ok installed\n",
                "stanza at line 1: package a has no valid Version",
            ),
            (
                "\n\nVersion: 1\nStatus: install ok installed\n",
                "stanza at line 3: no valid Package field",
            ),
            // dpkg-query refuses comments in its database too.
            ("# c\nPackage: a\n", "line 1: not a `Field: value` line"),
            // A line of blanks continues the field before it, as in dpkg.
            (
                "Package: a\nStatus: install ok installed\nVersion: 1\n  \nPackage: b\n",
                "line 5: field Package given twice",
            ),
            (
                "Package: a\n\n \nPackage: b\n",
                "line 3: a continuation line before any field",
            ),
        ];
        for (text, why) in cases {
            let err = status("var/lib/dpkg/status", text.as_bytes()).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("malformed dpkg status in var/lib/dpkg/status: {why}")
            );
        }
    }

    #[test]
    fn distroless_stanzas_without_status_are_installed() {
        let text =
            "Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n\
                    Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\n";
        let p = status_d("var/lib/dpkg/status.d/libssl3", text.as_bytes()).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].source_name, "openssl");
        assert_eq!(p[0].source_version, "3.0.11-1~deb12u2");
        assert!(status("var/lib/dpkg/status", text.as_bytes())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn entry_text_is_the_whole_stanza() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1\n\n\nPackage: b\r\nStatus: install ok installed\r\nVersion: 2\r\n";
        let e = entries("s", text, false).unwrap();
        assert_eq!(
            e[0].text,
            "Package: a\nStatus: install ok installed\nVersion: 1\n"
        );
        assert_eq!(
            e[1].text,
            "Package: b\r\nStatus: install ok installed\r\nVersion: 2\r\n"
        );
        assert_eq!(e[1].package.version, "2");
    }
}
