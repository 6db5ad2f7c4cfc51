//! Pipenv: `Pipfile.lock` (JSON, `pipfile-spec` 6), checked against its
//! `Pipfile`.
//!
//! Every section but `_meta` is a category of packages (`default`,
//! `develop`, and Pipenv's custom categories), each a map from name to
//! `{version: "==x", hashes: ["sha256:…"], index, markers, git, ref,
//! editable, path, file}`. A package is an input at its `==` version (a
//! git entry at its `ref`); one listed in several categories at one
//! version is one input with each category. An entry that is not pinned
//! with `==` is a mismatch, as for pip. A `path` entry inside the project
//! (`-e .`) is the project itself, not an input. `index` names one of
//! `_meta.sources`. There is no dependency graph.
//!
//! `_meta.hash.sha256` is Pipenv's hash of the `Pipfile` it locked: the
//! SHA-256 of Python's `json.dumps(data, sort_keys=True,
//! separators=(",", ":"))` over `{"_meta": {"sources", "requires"},
//! "default": packages, "develop": dev-packages, …custom categories}` (a
//! missing `[[source]]` is PyPI's, as Pipenv adds it). Pipenv 2026 writes
//! it over package names PEP 503 normalised, earlier versions over the
//! names as written; either is accepted. When the `Pipfile` is there and
//! neither matches, the Pipfile changed after locking (Pipenv's own
//! `install --deploy` refuses to install then): every input is a
//! mismatch saying so, since what the lock pins is no longer what the
//! project asks for. The checks are otherwise [`super`]'s.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::{discover, inside_project, invalid, lock_hash, Locked, Source};
use crate::pip::normalise;
use crate::tree::{excerpt, parser_message, toml_message, Root};
use crate::{Ecosystem, Input, Result};

/// The lockfile at the project root.
pub const LOCKFILE: &str = "Pipfile.lock";
/// The file it locks.
pub const PIPFILE: &str = "Pipfile";

/// The Pipenv ecosystem (inputs of ecosystem `pip`).
pub struct Pipenv;

#[derive(Deserialize)]
struct Meta {
    hash: Hash,
    #[serde(rename = "pipfile-spec")]
    spec: Option<u64>,
    #[serde(default)]
    sources: Vec<IndexSource>,
}

#[derive(Deserialize)]
struct Hash {
    sha256: String,
}

#[derive(Deserialize)]
struct IndexSource {
    name: String,
    url: String,
}

#[derive(Deserialize)]
struct Entry {
    version: Option<String>,
    #[serde(default)]
    hashes: Vec<String>,
    index: Option<String>,
    git: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    path: Option<String>,
    file: Option<String>,
}

/// A parsed `Pipfile.lock`: its packages and the Pipfile hash it records.
#[derive(Debug)]
pub struct Parsed {
    /// The locked packages (the project's own path entries left out).
    pub locked: Vec<Locked>,
    /// `_meta.hash.sha256`, lower case.
    pub pipfile_hash: String,
}

/// Parses a `Pipfile.lock` (`path` names it in errors: the line for JSON
/// syntax, the section and package for the rest).
pub fn parse(text: &str, path: &Path, root: &Root) -> Result<Parsed> {
    let bad = |reason: String| invalid("Pipfile.lock", path, reason);
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(parser_message(&e)))?;
    let serde_json::Value::Object(sections) = value else {
        return Err(bad("not a JSON object".into()));
    };
    let meta = sections
        .get("_meta")
        .ok_or_else(|| bad("no `_meta`".into()))?;
    let meta =
        Meta::deserialize(meta).map_err(|e| bad(format!("_meta: {}", parser_message(&e))))?;
    if meta.spec.is_some_and(|spec| spec != 6) {
        return Err(bad(format!(
            "_meta.pipfile-spec {} is not the one vouch reads (6)",
            meta.spec.unwrap_or_default()
        )));
    }
    let indexes: BTreeMap<&str, &str> = meta
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.url.as_str()))
        .collect();
    // (name, version) -> package, to merge one pinned in several sections.
    let mut packages: BTreeMap<(String, String), Locked> = BTreeMap::new();
    for (section, entries) in &sections {
        if section == "_meta" {
            continue;
        }
        let entries = BTreeMap::<String, Entry>::deserialize(entries)
            .map_err(|e| bad(format!("{}: {}", excerpt(section), parser_message(&e))))?;
        for (written, entry) in entries {
            let name = normalise(&written);
            let whose = || format!("{}.{}", excerpt(section), excerpt(&written));
            if name.is_empty() {
                return Err(bad(format!("{}: a package with no name", whose())));
            }
            let local = entry.path.as_ref().or(entry.file.as_ref());
            if local.is_some_and(|p| !p.contains("://") && inside_project(root, p)) {
                continue; // the project itself
            }
            let (version, source) = if let Some(url) = &entry.git {
                let reference = entry.reference.clone().unwrap_or_default();
                let commit = (reference.len() == 40
                    && reference.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| reference.clone());
                let version = entry
                    .version
                    .as_deref()
                    .and_then(|v| v.strip_prefix("=="))
                    .map_or(reference, str::to_string);
                (
                    version,
                    Source::Git {
                        url: url.clone(),
                        commit,
                    },
                )
            } else {
                let pinned = entry
                    .version
                    .as_deref()
                    .and_then(|v| v.strip_prefix("===").or_else(|| v.strip_prefix("==")))
                    .filter(|v| !v.is_empty() && !v.contains([',', '*', '<', '>', '!', '~']));
                let Some(version) = pinned else {
                    return Err(bad(format!(
                        "{}: version {} is not pinned with `==`",
                        whose(),
                        excerpt(entry.version.as_deref().unwrap_or("(none)"))
                    )));
                };
                let source = match (local, &entry.index) {
                    (Some(local), _) => {
                        if local.contains("://") {
                            Source::Url(local.clone())
                        } else {
                            Source::Path(local.clone())
                        }
                    }
                    (None, Some(index)) => Source::Index(
                        indexes
                            .get(index.as_str())
                            .map_or_else(|| index.clone(), |url| (*url).to_string()),
                    ),
                    (None, None) => Source::Index(String::new()),
                };
                (version.trim().to_string(), source)
            };
            let mut hashes = Vec::new();
            for hash in &entry.hashes {
                hashes.push(lock_hash(hash).map_err(|r| bad(format!("{}: {r}", whose())))?);
            }
            hashes.sort();
            hashes.dedup();
            let package = packages
                .entry((name.clone(), version.clone()))
                .or_insert_with(|| Locked {
                    name,
                    version,
                    hashes: Vec::new(),
                    source,
                    dependencies: Vec::new(),
                    categories: Vec::new(),
                });
            // Pipenv writes the same hashes in each section; should they
            // differ, every one of them is declared.
            package.hashes.extend(hashes);
            package.hashes.sort();
            package.hashes.dedup();
            package.categories.push(section.clone());
        }
    }
    Ok(Parsed {
        locked: packages.into_values().collect(),
        pipfile_hash: meta.hash.sha256.to_ascii_lowercase(),
    })
}

/// Writes `value` as Python's `json.dumps(value, sort_keys=True,
/// separators=(",", ":"))` does (`ensure_ascii`: every character past
/// ASCII as `\uXXXX`, astral ones as surrogate pairs).
pub(super) fn python_json(value: &toml::Value, out: &mut String) {
    match value {
        toml::Value::String(s) => python_string(s, out),
        toml::Value::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        toml::Value::Float(f) => python_float(*f, out),
        toml::Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        // Pipenv cannot hash a date (json.dumps refuses it); as a string
        // it simply will not match.
        toml::Value::Datetime(d) => python_string(&d.to_string(), out),
        toml::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                python_json(item, out);
            }
            out.push(']');
        }
        toml::Value::Table(table) => {
            let sorted: BTreeMap<&String, &toml::Value> = table.iter().collect();
            python_object(sorted.into_iter().map(|(k, v)| (k.as_str(), v)), out);
        }
    }
}

/// A JSON object of `entries`, in the order given.
fn python_object<'a>(entries: impl Iterator<Item = (&'a str, &'a toml::Value)>, out: &mut String) {
    out.push('{');
    for (i, (key, value)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        python_string(key, out);
        out.push(':');
        python_json(value, out);
    }
    out.push('}');
}

/// A string as Python's json module writes it with `ensure_ascii`.
fn python_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A float as Python's `repr` writes it (the shortest round trip; `1.0`,
/// `1e+16`), for the values a Pipfile holds.
fn python_float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        let _ = write!(out, "{f:.1}");
    } else {
        let text = format!("{f:e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) if f.abs() >= 1e16 || f.abs() < 1e-4 => {
                let exponent: i32 = exponent.parse().unwrap_or_default();
                let _ = write!(out, "{mantissa}e{exponent:+03}");
            }
            _ => {
                let _ = write!(out, "{f}");
            }
        }
    }
}

/// Pipenv's hashes of a `Pipfile` (see the module documentation): over
/// the names as written, and PEP 503 normalised.
pub fn pipfile_hashes(text: &str, path: &Path) -> Result<[String; 2]> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| invalid("Pipfile", path, toml_message(&e)))?;
    let default_sources = || {
        let mut pypi = toml::Table::new();
        pypi.insert("name".into(), "pypi".into());
        pypi.insert("url".into(), "https://pypi.org/simple".into());
        pypi.insert("verify_ssl".into(), true.into());
        toml::Value::Array(vec![toml::Value::Table(pypi)])
    };
    let hash = |normalised: bool| {
        let section = |value: Option<&toml::Value>| -> toml::Value {
            match value {
                Some(toml::Value::Table(t)) if normalised => {
                    toml::Value::Table(t.iter().map(|(k, v)| (normalise(k), v.clone())).collect())
                }
                Some(v) => v.clone(),
                None => toml::Value::Table(toml::Table::new()),
            }
        };
        let mut meta = toml::Table::new();
        meta.insert(
            "sources".into(),
            table.get("source").cloned().unwrap_or_else(default_sources),
        );
        meta.insert(
            "requires".into(),
            table
                .get("requires")
                .cloned()
                .unwrap_or_else(|| toml::Value::Table(toml::Table::new())),
        );
        let mut data = toml::Table::new();
        data.insert("_meta".into(), toml::Value::Table(meta));
        data.insert("default".into(), section(table.get("packages")));
        data.insert("develop".into(), section(table.get("dev-packages")));
        const SECTIONS: [&str; 9] = [
            "source",
            "packages",
            "dev-packages",
            "requires",
            "scripts",
            "pipfile",
            "pipenv",
            "default",
            "develop",
        ];
        for (key, value) in &table {
            if !SECTIONS.contains(&key.as_str()) {
                data.insert(key.clone(), section(Some(value)));
            }
        }
        let mut json = String::new();
        python_json(&toml::Value::Table(data), &mut json);
        vouch_evidence::digest::sha256(json.as_bytes()).hex()
    };
    Ok([hash(true), hash(false)])
}

impl Ecosystem for Pipenv {
    fn name(&self) -> &'static str {
        "pip"
    }

    fn detect(&self, root: &Root) -> bool {
        root.has(LOCKFILE)
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        let path = root.path().join(LOCKFILE);
        let text = root.read_metadata(&path, "Pipfile.lock")?;
        let parsed = parse(&text, &path, root)?;
        let stale = if root.has(PIPFILE) {
            let pipfile = root.path().join(PIPFILE);
            let hashes = pipfile_hashes(&root.read_metadata(&pipfile, "Pipfile")?, &pipfile)?;
            (!hashes.contains(&parsed.pipfile_hash)).then(|| {
                format!(
                    "Pipfile.lock is out of date: its _meta.hash.sha256 {} is not the hash of \
                     Pipfile ({}): the Pipfile changed after locking",
                    excerpt(&parsed.pipfile_hash),
                    hashes[0]
                )
            })
        } else {
            None
        };
        discover(root, LOCKFILE, parsed.locked, stale)
    }
}
