//! pip: `requirements.txt` pinned with `==` and `--hash`, against a
//! wheelhouse of downloaded distributions.
//!
//! The requirements file is read as pip reads it: `\` continues a line, `#`
//! at the start of a line or after white space starts a comment, options
//! come after the requirement (`--hash=sha256:<hex>`, one or more), and
//! option lines are honoured where they matter here: `-r` files are
//! followed, `-f`/`--find-links` names the wheelhouse, `-e` VCS checkouts
//! are inputs. Environment markers are not evaluated: every requirement is
//! an input, whatever the platform. Names are compared PEP 503 normalised
//! (lower case, runs of `-`, `_`, `.` as one `-`).
//!
//! Every requirement must be pinned (one `==` or `===` clause, no `.*`) and
//! carry at least one `--hash`, as pip's hash-checking mode demands. One
//! that is not is a [`Match::Mismatch`], not [`Match::NotVendored`]:
//! not-vendored means "declared exactly, fetched at build time", which is
//! safe to pass; an unpinned or unhashed requirement lets the build take
//! whatever the index serves, which is the supply-chain finding vouch
//! exists to report (and pip itself refuses it under `--require-hashes`).
//!
//! The wheelhouse is every local directory a `--find-links` option names
//! (relative to its requirements file; URLs are indexes and ignored), else
//! `wheelhouse/`. As with pip's `--find-links`, only its top level is
//! read. A file belongs to a requirement when its distribution name and
//! version are the requirement's: wheels `name-version(-build)-py-abi-plat.whl`,
//! sdists `name-version.tar.gz` or `.zip`. Every such file's SHA-256 must
//! be one of the requirement's hashes; with none, the requirement is
//! not vendored. Files no requirement names are not inputs and are not
//! reported (pip in hash-checking mode installs nothing unlisted).
//!
//! On each [`Input`], `declared` is every `--hash` of the requirement,
//! sorted, as `algorithm:hex` joined with `,` (pip-compile writes one per
//! published file, and any of them is a valid match, so the first alone
//! would be arbitrary); `observed` is the SHA-256 of every matching file,
//! sorted and deduplicated, as `sha256:hex` joined with `,`; `path` the
//! matching files, relative to the project root, joined the same way.
//!
//! The licence comes from the distribution's own metadata: a wheel's
//! `<name>.dist-info/METADATA`, an sdist's `<name>-<version>/PKG-INFO`
//! (scanning at most [`MAX_SDIST_SCAN`] decompressed bytes of a `.tar.gz`,
//! as tar has no index). In order: `License-Expression` (PEP 639); else
//! the one `License ::` classifier, when there is exactly one and it names
//! a single licence and version (`MIT License`, `GNU General Public License
//! v3 or later (GPLv3+)`; not `BSD License` or `Apache Software License`,
//! which do not say which); else the `License` field when it is, in full,
//! an SPDX expression (usually one identifier such as `MIT`). Free text is
//! never recorded (see [`crate::license`]). The first matching file with a
//! licence gives it. A file that is not a readable archive has no licence;
//! that is not an error, since its hash is what is checked. The
//! requirements file has no dependency graph, so none is recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::input;
use crate::license::spdx_expression;
use crate::tree::{excerpt, join_inside, Root};
use crate::{Ecosystem, Error, Input, Match, Result};

/// The requirements file at the project root.
const REQUIREMENTS: &str = "requirements.txt";
/// The wheelhouse when no `--find-links` names one.
pub(crate) const WHEELHOUSE: &str = "wheelhouse";
/// The most requirements files followed through `-r`.
const MAX_REQUIREMENT_FILES: usize = 256;
/// The hash algorithms pip accepts in `--hash`, with their hex lengths.
const HASHES: [(&str, usize); 3] = [("sha256", 64), ("sha384", 96), ("sha512", 128)];
/// PEP 440 comparison operators, longest first.
const OPERATORS: [&str; 8] = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"];
/// The largest `METADATA` or `PKG-INFO` read from a distribution.
const MAX_DIST_METADATA: u64 = 4 * 1024 * 1024;
/// The most decompressed bytes of a `.tar.gz` sdist read looking for its
/// `PKG-INFO`.
pub const MAX_SDIST_SCAN: u64 = 64 * 1024 * 1024;
/// The `License ::` trove classifiers that name one licence and version,
/// with its SPDX identifier. Classifiers that leave the version or variant
/// open (`BSD License`, `Apache Software License`, `GNU General Public
/// License v2 (GPLv2)`: only, or or-later?) are left out on purpose.
const CLASSIFIERS: [(&str, &str); 38] = [
    ("Attribution Assurance License", "AAL"),
    ("Blue Oak Model License (BlueOak-1.0.0)", "BlueOak-1.0.0"),
    ("Boost Software License 1.0 (BSL-1.0)", "BSL-1.0"),
    (
        "CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)",
        "CECILL-2.1",
    ),
    ("CMU License (MIT-CMU)", "MIT-CMU"),
    (
        "Common Development and Distribution License 1.0 (CDDL-1.0)",
        "CDDL-1.0",
    ),
    ("Eclipse Public License 1.0 (EPL-1.0)", "EPL-1.0"),
    ("Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
    (
        "Educational Community License, Version 2.0 (ECL-2.0)",
        "ECL-2.0",
    ),
    ("European Union Public Licence 1.0 (EUPL 1.0)", "EUPL-1.0"),
    ("European Union Public Licence 1.1 (EUPL 1.1)", "EUPL-1.1"),
    ("European Union Public Licence 1.2 (EUPL 1.2)", "EUPL-1.2"),
    (
        "GNU Affero General Public License v3 or later (AGPLv3+)",
        "AGPL-3.0-or-later",
    ),
    (
        "GNU General Public License v2 or later (GPLv2+)",
        "GPL-2.0-or-later",
    ),
    (
        "GNU General Public License v3 or later (GPLv3+)",
        "GPL-3.0-or-later",
    ),
    (
        "GNU Lesser General Public License v2 or later (LGPLv2+)",
        "LGPL-2.0-or-later",
    ),
    (
        "GNU Lesser General Public License v3 or later (LGPLv3+)",
        "LGPL-3.0-or-later",
    ),
    ("ISC License (ISCL)", "ISC"),
    ("MIT License", "MIT"),
    ("MIT No Attribution License (MIT-0)", "MIT-0"),
    ("MirOS License (MirOS)", "MirOS"),
    ("Motosoto License", "Motosoto"),
    ("Mozilla Public License 1.0 (MPL)", "MPL-1.0"),
    ("Mozilla Public License 1.1 (MPL 1.1)", "MPL-1.1"),
    ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
    (
        "Mulan Permissive Software License v2 (MulanPSL-2.0)",
        "MulanPSL-2.0",
    ),
    ("NASA Open Source Agreement v1.3 (NASA-1.3)", "NASA-1.3"),
    ("Nokia Open Source License", "Nokia"),
    ("Open Software License 3.0 (OSL-3.0)", "OSL-3.0"),
    ("PostgreSQL License", "PostgreSQL"),
    ("Python License (CNRI Python License)", "CNRI-Python"),
    ("Python Software Foundation License", "PSF-2.0"),
    ("SIL Open Font License 1.1 (OFL-1.1)", "OFL-1.1"),
    ("Sleepycat License", "Sleepycat"),
    ("The Unlicense (Unlicense)", "Unlicense"),
    ("Universal Permissive License (UPL)", "UPL-1.0"),
    ("University of Illinois/NCSA Open Source License", "NCSA"),
    ("Zero-Clause BSD (0BSD)", "0BSD"),
];

/// The pip ecosystem.
pub struct Pip;

/// One requirements file, parsed: what [`parse_requirements`] returns.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RequirementsFile {
    /// Its requirements, in order.
    requirements: Vec<Requirement>,
    /// The `-r` files it includes, as written.
    includes: Vec<String>,
    /// The `--find-links` values, as written.
    find_links: Vec<String>,
}

/// One requirement line.
#[derive(Debug, PartialEq, Eq)]
struct Requirement {
    /// The PEP 503 normalised name.
    name: String,
    /// How it is pinned.
    pin: Pin,
    /// Its `--hash` values as `algorithm:hex` (lower case), sorted, unique.
    hashes: Vec<String>,
    /// The line it starts on.
    line: usize,
}

/// What a requirement pins.
#[derive(Debug, PartialEq, Eq)]
enum Pin {
    /// One `==` (or `===`) version.
    Exact(String),
    /// Anything else: a range, `!=`, a wildcard, or nothing (as written,
    /// white space removed).
    Loose(String),
    /// A direct reference, `name @ url`.
    Url(String),
    /// An editable VCS checkout, `-e git+…`.
    Editable(String),
}

/// PEP 503 normalisation: lower case, each run of `-`, `_`, `.` one `-`.
pub(crate) fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Cuts a comment: `#` at the start or after white space, to the end.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// The logical lines of a requirements file with their first line number:
/// continuations joined, comments cut, blank lines dropped. As pip's
/// `join_lines`, a comment-only line ends a continuation.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut joined: Vec<(usize, String)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let comment_only = line.trim_start().starts_with('#');
        match line.strip_suffix('\\') {
            Some(body) if !comment_only => {
                pending
                    .get_or_insert_with(|| (i + 1, String::new()))
                    .1
                    .push_str(body);
            }
            _ => match pending.take() {
                Some((first, mut text)) => {
                    if comment_only {
                        text.push(' ');
                    }
                    text.push_str(line);
                    joined.push((first, text));
                }
                None => joined.push((i + 1, line.to_string())),
            },
        }
    }
    joined.extend(pending);
    joined
        .into_iter()
        .filter_map(|(number, text)| {
            let text = strip_comment(&text).trim();
            (!text.is_empty()).then(|| (number, text.to_string()))
        })
        .collect()
}

/// Splits an option line into the option and its value: `-fX`, `-f X`,
/// `--find-links X`, `--find-links=X`.
fn split_option(line: &str) -> (&str, Option<&str>) {
    let mut tokens = line.split_whitespace();
    let first = tokens.next().unwrap_or("");
    let next = tokens.next();
    let (option, value) = if first.starts_with("--") {
        match first.split_once('=') {
            Some((option, value)) => (option, Some(value)),
            None => (first, next),
        }
    } else if first.len() > 2 && first.is_char_boundary(2) {
        (&first[..2], Some(&first[2..]))
    } else {
        (first, next)
    };
    (option, value.filter(|v| !v.is_empty()))
}

/// One `--hash` value, checked and lower-cased (also a lockfile's
/// `sha256:<hex>` hash: Poetry, uv and Pipfile.lock write them so).
pub(crate) fn hash(value: &str) -> Result<String, String> {
    let invalid = || {
        format!(
            "`--hash={}` is not `<algorithm>:<hex>` with sha256, sha384 or sha512",
            excerpt(value)
        )
    };
    let (algorithm, hex) = value.split_once(':').ok_or_else(invalid)?;
    let algorithm = algorithm.to_ascii_lowercase();
    let known = HASHES
        .iter()
        .any(|(name, len)| *name == algorithm && hex.len() == *len);
    if !known || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    Ok(format!("{algorithm}:{}", hex.to_ascii_lowercase()))
}

/// What a version specifier (`==1.0`, `>=1,<2`, empty) pins.
fn pin(spec: &str) -> Result<Pin, String> {
    let compact: String = spec.split_whitespace().collect();
    if compact.is_empty() {
        return Ok(Pin::Loose(compact));
    }
    let clauses = compact
        .split(',')
        .map(|clause| {
            OPERATORS
                .iter()
                .find(|op| clause.starts_with(**op))
                .map(|op| (*op, &clause[op.len()..]))
                .ok_or_else(|| format!("cannot read the version specifier `{}`", excerpt(spec)))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(match clauses.as_slice() {
        [(op, version)]
            if matches!(*op, "==" | "===") && !version.is_empty() && !version.ends_with(".*") =>
        {
            Pin::Exact((*version).to_string())
        }
        _ => Pin::Loose(compact),
    })
}

/// Parses one requirement line: `name[extras] spec ; marker --hash=…`.
fn requirement(text: &str, line: usize) -> Result<Requirement, String> {
    // As pip: the requirement is every token before the first option.
    let mut tokens = text.split_whitespace().peekable();
    let mut words = Vec::new();
    while let Some(word) = tokens.next_if(|t| !t.starts_with('-')) {
        words.push(word);
    }
    let spec = words.join(" ");
    let mut hashes = BTreeSet::new();
    while let Some(token) = tokens.next() {
        let value = match token.strip_prefix("--hash") {
            Some("") => tokens.next(),
            Some(rest) => rest.strip_prefix('='),
            None => continue, // other per-requirement options check nothing
        };
        hashes.insert(hash(value.unwrap_or(""))?);
    }
    let name_len = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "`{}` is not a requirement vouch can check (`name==version`)",
            excerpt(&spec)
        ));
    }
    let mut rest = spec[name_len..].trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        let (_, after) = extras
            .split_once(']')
            .ok_or_else(|| format!("unclosed extras in `{}`", excerpt(&spec)))?;
        rest = after.trim_start();
    }
    let pin = match rest.strip_prefix('@') {
        // PEP 508: a marker after a URL needs white space before its `;`.
        Some(url) => {
            let url = url.trim_start();
            let end = url.find(char::is_whitespace).unwrap_or(url.len());
            Pin::Url(url[..end].to_string())
        }
        None => {
            let version = rest.split_once(';').map_or(rest, |(v, _)| v).trim();
            let version = version
                .strip_prefix('(')
                .and_then(|v| v.strip_suffix(')'))
                .unwrap_or(version);
            pin(version)?
        }
    };
    Ok(Requirement {
        name: normalise(name),
        pin,
        hashes: hashes.into_iter().collect(),
        line,
    })
}

/// An editable requirement: an input when it is a VCS or URL checkout
/// (named by its `#egg=` fragment, else by the URL); `None` for a local
/// directory, which is the project itself.
fn editable(value: &str, line: usize) -> Option<Requirement> {
    let remote = value.contains("://")
        || ["git+", "hg+", "svn+", "bzr+"]
            .iter()
            .any(|scheme| value.starts_with(scheme));
    if !remote {
        return None;
    }
    let egg = value.split_once('#').and_then(|(_, fragment)| {
        fragment
            .split('&')
            .find_map(|pair| pair.strip_prefix("egg="))
    });
    Some(Requirement {
        name: egg.map_or_else(|| value.to_string(), normalise),
        pin: Pin::Editable(value.to_string()),
        hashes: Vec::new(),
        line,
    })
}

/// Parses a requirements file; errors name the line.
fn parse(text: &str) -> Result<RequirementsFile, String> {
    let mut parsed = RequirementsFile::default();
    for (line, content) in logical_lines(text) {
        let at = |reason: String| format!("line {line}: {reason}");
        if content.starts_with('-') {
            let (option, value) = split_option(&content);
            let value = || {
                value
                    .map(str::to_string)
                    .ok_or_else(|| at(format!("`{}` needs a value", excerpt(option))))
            };
            match option {
                "-r" | "--requirement" => parsed.includes.push(value()?),
                "-f" | "--find-links" => parsed.find_links.push(value()?),
                "-e" | "--editable" => parsed.requirements.extend(editable(&value()?, line)),
                // Indexes, constraints, install options: nothing to check.
                _ => {}
            }
        } else {
            parsed
                .requirements
                .push(requirement(&content, line).map_err(at)?);
        }
    }
    Ok(parsed)
}

/// Parses the text of a requirements file (`path` names it in errors): its
/// requirements, `-r` includes and `--find-links`, as [`Pip`] reads each
/// file; errors name the line. It exists for that, for fuzzing, and for
/// callers that hold the file's bytes.
pub fn parse_requirements(text: &str, path: &Path) -> Result<RequirementsFile> {
    parse(text).map_err(|reason| Error::Invalid {
        what: "requirements file",
        path: path.display().to_string(),
        reason,
    })
}

/// The inputs a requirements lock declares (`text`; `path` names it in
/// errors, `source` is its root-relative path for reasons), as not
/// vendored, with the same checks as [`Pip`] (unpinned and unhashed
/// requirements are mismatches): for readers that find a lock elsewhere
/// than `requirements.txt`, such as a Bazel `pip.parse` extension. Its `-r`
/// and `--find-links` options are not followed.
pub fn locked_inputs(text: &str, path: &Path, source: &str) -> Result<Vec<Input>> {
    let parsed = parse_requirements(text, path)?;
    let mut inputs = Vec::new();
    for requirement in &parsed.requirements {
        let Pin::Exact(version) = &requirement.pin else {
            inputs.extend(unpinned(requirement, source)?);
            continue;
        };
        let status = match check(requirement, source, &[]) {
            Match::Match => Match::NotVendored,
            unhashed => unhashed,
        };
        let name = &requirement.name;
        inputs.push(Input {
            declared: joined(&requirement.hashes),
            status,
            ..Input::declared(
                "pip",
                name.clone(),
                version.clone(),
                input::purl("pypi", None, name, Some(version), &[])?,
                format!("https://pypi.org/project/{name}/{version}/"),
            )
        });
    }
    Ok(inputs)
}

/// Whether a `-r` or `--find-links` value is a URL rather than a path.
fn is_url(value: &str) -> bool {
    value.contains("://") || value.starts_with("file:")
}

/// `relative` (a `/`-separated path from a requirements file) resolved
/// against `dir` (that file's directory, relative to the root), lexically.
/// An absolute path, or one that climbs above the root, is left for
/// [`join_inside`] to refuse.
fn resolve(dir: &str, relative: &str) -> String {
    if Path::new(relative).is_absolute() {
        return relative.to_string();
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

/// The directory of a root-relative, `/`-separated file path.
fn parent(file: &str) -> &str {
    file.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Reads `requirements.txt` and every file it includes with `-r`. Returns
/// each file's root-relative path with its parse.
fn read_requirements(root: &Root) -> Result<Vec<(String, RequirementsFile)>> {
    let mut queue = vec![REQUIREMENTS.to_string()];
    let mut seen = BTreeSet::new();
    let mut read = Vec::new();
    while let Some(relative) = queue.pop() {
        if !seen.insert(relative.clone()) {
            continue; // pip would recurse forever; once is enough
        }
        let path = join_inside(root.path(), &relative)?;
        if seen.len() > MAX_REQUIREMENT_FILES {
            return Err(Error::Invalid {
                what: "requirements file",
                path: path.display().to_string(),
                reason: format!("more than {MAX_REQUIREMENT_FILES} files included with -r"),
            });
        }
        let parsed = parse_requirements(&root.read_metadata(&path, "requirements file")?, &path)?;
        for include in &parsed.includes {
            if is_url(include) {
                return Err(Error::Invalid {
                    what: "requirements file",
                    path: path.display().to_string(),
                    reason: format!(
                        "-r {}: a remote requirements file cannot be checked",
                        excerpt(include)
                    ),
                });
            }
            queue.push(resolve(parent(&relative), include));
        }
        read.push((relative, parsed));
    }
    Ok(read)
}

/// One wheelhouse directory: its root-relative path, its path, and the
/// names of the files at its top level.
pub(crate) struct Wheelhouse {
    /// Its path relative to the project root, `/`-separated.
    pub(crate) relative: String,
    /// Its path under the root.
    pub(crate) path: PathBuf,
    /// The names of the files at its top level.
    pub(crate) names: Vec<String>,
}

/// The wheelhouse at `relative` (root-relative): `None` when nothing is
/// there or it is not a directory (as pip skips a missing `--find-links`
/// directory); refused when it resolves outside the project, since it
/// holds many inputs. Only its top level is listed, as pip reads it.
pub(crate) fn wheelhouse(root: &Root, relative: &str) -> Result<Option<Wheelhouse>> {
    let path = join_inside(root.path(), relative)?;
    if !path.is_dir() {
        return Ok(None);
    }
    let names = root
        .files(&path)?
        .into_iter()
        .filter(|f| !f.contains('/'))
        .collect();
    Ok(Some(Wheelhouse {
        relative: relative.to_string(),
        path,
        names,
    }))
}

/// Lists the wheelhouse directories: the local `--find-links` ones, else
/// `wheelhouse/`. Missing directories are skipped (as pip does); one that
/// resolves outside the project is refused.
fn wheelhouses(root: &Root, read: &[(String, RequirementsFile)]) -> Result<Vec<Wheelhouse>> {
    let mut dirs: BTreeSet<String> = read
        .iter()
        .flat_map(|(file, parsed)| {
            parsed
                .find_links
                .iter()
                .filter(|link| !is_url(link))
                .map(|link| resolve(parent(file), link))
        })
        .collect();
    if dirs.is_empty() {
        dirs.insert(WHEELHOUSE.to_string());
    }
    let mut found = Vec::new();
    for relative in dirs {
        // A wheelhouse holds many inputs: one that leaves the project is
        // an error, not one input's mismatch.
        found.extend(wheelhouse(root, &relative)?);
    }
    Ok(found)
}

/// Whether `file` is a distribution of `name` (normalised) at `version`.
pub(crate) fn is_distribution(file: &str, name: &str, version: &str) -> bool {
    let same_version = |v: &str| v.eq_ignore_ascii_case(version);
    if let Some(stem) = file.strip_suffix(".whl") {
        let fields: Vec<&str> = stem.split('-').collect();
        return matches!(fields.len(), 5 | 6)
            && normalise(fields[0]) == name
            && same_version(fields[1]);
    }
    [".tar.gz", ".zip"].iter().any(|ext| {
        file.strip_suffix(ext)
            .and_then(|stem| stem.rsplit_once('-'))
            .is_some_and(|(n, v)| normalise(n) == name && same_version(v))
    })
}

/// Compares a pinned requirement's hashes with its files on disk
/// (root-relative path and SHA-256 hex each).
fn check(requirement: &Requirement, source: &str, on_disk: &[(String, String)]) -> Match {
    if requirement.hashes.is_empty() {
        return Match::Mismatch {
            reason: format!(
                "not hashed: {source}:{} has no --hash, so pip cannot check what it downloads",
                requirement.line
            ),
        };
    }
    for (file, digest) in on_disk {
        let expected = format!("sha256:{digest}");
        if !requirement.hashes.contains(&expected) {
            return Match::Mismatch {
                reason: format!(
                    "{file} has sha256 {digest}, not one of the {} --hash values of {source}:{}",
                    requirement.hashes.len(),
                    requirement.line
                ),
            };
        }
    }
    Match::Match
}

/// The input of a requirement that is not pinned to one version; `None`
/// for one that is.
fn unpinned(requirement: &Requirement, source: &str) -> Result<Option<Input>> {
    let at = format!("{source}:{}", requirement.line);
    let name = &requirement.name;
    let hashed = !requirement.hashes.is_empty();
    let pypi = || input::purl("pypi", None, name, None, &[]);
    let (version, purl, uri, status) = match &requirement.pin {
        Pin::Exact(_) => return Ok(None),
        Pin::Loose(spec) => {
            let given = if spec.is_empty() { "no version" } else { spec };
            let also = if hashed { "" } else { " and has no --hash" };
            (
                spec.clone(),
                pypi()?,
                format!("https://pypi.org/project/{name}/"),
                Match::Mismatch {
                    reason: format!("not pinned: {at} gives {given}, not `==<version>`{also}"),
                },
            )
        }
        // pip checks the hash of a direct reference when it downloads it.
        Pin::Url(url) => (
            String::new(),
            pypi()?,
            url.clone(),
            if hashed {
                Match::NotVendored
            } else {
                Match::Mismatch {
                    reason: format!("not hashed: {at} references {url} with no --hash"),
                }
            },
        ),
        Pin::Editable(url) => (
            String::new(),
            // Named by its URL when it has no `#egg=`: no package URL then.
            if name.contains(['/', ':']) {
                String::new()
            } else {
                pypi()?
            },
            url.clone(),
            Match::Mismatch {
                reason: format!("not hashed: {at} is an editable checkout, which pip cannot hash"),
            },
        ),
    };
    Ok(Some(Input {
        declared: joined(&requirement.hashes),
        status,
        ..Input::declared("pip", name.clone(), version, purl, uri)
    }))
}

/// Items joined with `,`, or `None` when there are none.
pub(crate) fn joined<S: AsRef<str>>(items: &[S]) -> Option<String> {
    (!items.is_empty()).then(|| {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// The licence core metadata (`METADATA`, `PKG-INFO`) declares, as an
/// SPDX expression: `License-Expression`, else the single unambiguous
/// `License ::` classifier, else a `License` field that is an SPDX
/// expression. Only the header is read, up to the first blank line.
pub(crate) fn metadata_license(text: &str) -> Option<String> {
    // RFC 822 style: `Name: value`, continued on lines that start with
    // white space (metadata 1.x writes a multi-line `Description` so, its
    // blank lines as white space); an empty line ends the header.
    let mut fields: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim(), value.trim().to_string()));
        }
    }
    let field = |wanted: &str| -> Vec<&str> {
        fields
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.as_str())
            .collect()
    };
    if let Some(expression) = field("License-Expression")
        .into_iter()
        .find_map(spdx_expression)
    {
        return Some(expression);
    }
    let licenses: Vec<&str> = field("Classifier")
        .into_iter()
        .filter_map(|c| c.strip_prefix("License :: "))
        .filter(|c| *c != "OSI Approved")
        .collect();
    if let [one] = licenses.as_slice() {
        let known = one.strip_prefix("OSI Approved :: ").and_then(|name| {
            CLASSIFIERS
                .iter()
                .find(|(classifier, _)| *classifier == name)
        });
        if let Some((_, id)) = known {
            return Some((*id).to_string());
        }
    }
    field("License")
        .into_iter()
        .filter(|value| !value.contains('\n'))
        .find_map(spdx_expression)
}

/// Reads an archive member of the `size` its header gives as text,
/// refusing one over [`MAX_DIST_METADATA`] and reading no more than that
/// whatever the header says.
fn read_member(member: impl Read, size: u64) -> Option<String> {
    if size > MAX_DIST_METADATA {
        return None;
    }
    let mut text = String::new();
    member
        .take(MAX_DIST_METADATA)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// Whether `member` is `<dir>/<file>` with `dir` one level deep and ending
/// in `suffix`.
fn is_top_level(member: &str, suffix: &str, file: &str) -> bool {
    member
        .strip_suffix(file)
        .and_then(|dir| dir.strip_suffix('/'))
        .is_some_and(|dir| !dir.is_empty() && !dir.contains('/') && dir.ends_with(suffix))
}

/// The core metadata of the distribution at `path`: a wheel's
/// `*.dist-info/METADATA`, an sdist's top-level `PKG-INFO`. `None` when
/// the file is not a readable archive or has none.
pub(crate) fn distribution_metadata(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let file = File::open(path).ok()?;
    if name.ends_with(".whl") || name.ends_with(".zip") {
        let (suffix, wanted) = if name.ends_with(".whl") {
            (".dist-info", "METADATA")
        } else {
            ("", "PKG-INFO")
        };
        return zip_member(file, suffix, wanted);
    }
    // A .tar.gz sdist: tar has no index, so read until PKG-INFO, capped.
    let stream = flate2::read::GzDecoder::new(file).take(MAX_SDIST_SCAN);
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries().ok()? {
        let entry = entry.ok()?;
        let wanted = {
            let path = entry.path().ok()?;
            let member = path.to_str()?;
            is_top_level(member.strip_prefix("./").unwrap_or(member), "", "PKG-INFO")
        };
        if wanted {
            let size = entry.size();
            return read_member(entry, size);
        }
    }
    None
}

/// The `RECORD` of the wheel at `path` (its top-level
/// `*.dist-info/RECORD`), read as [`distribution_metadata`] reads
/// `METADATA`: `None` when the file is not a readable wheel or has none.
/// An installed distribution's `RECORD` is compared with it (see
/// [`crate::pylock`]).
pub(crate) fn wheel_record(path: &Path) -> Option<String> {
    zip_member(File::open(path).ok()?, ".dist-info", "RECORD")
}

/// The top-level `<dir ending in suffix>/<wanted>` member of the zip
/// archive `file`, read capped; `None` when it is not a zip or has none.
fn zip_member(file: File, suffix: &str, wanted: &str) -> Option<String> {
    let mut archive = zip::ZipArchive::new(file).ok()?;
    let index = archive
        .file_names_raw()
        .position(|raw| std::str::from_utf8(raw).is_ok_and(|m| is_top_level(m, suffix, wanted)))?;
    let member = archive.by_index(index).ok()?;
    let size = member.size();
    read_member(member, size)
}

impl Ecosystem for Pip {
    fn name(&self) -> &'static str {
        "pip"
    }

    fn detect(&self, root: &Root) -> bool {
        root.has(REQUIREMENTS)
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        let read = read_requirements(root)?;
        let houses = wheelhouses(root, &read)?;
        // The files of each pinned requirement: (wheelhouse, name) pairs.
        let mut wanted: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); houses.len()];
        let mut matched: BTreeMap<(usize, usize), Vec<(usize, &str)>> = BTreeMap::new();
        for (f, (_, parsed)) in read.iter().enumerate() {
            for (r, requirement) in parsed.requirements.iter().enumerate() {
                let Pin::Exact(version) = &requirement.pin else {
                    continue;
                };
                let files: Vec<(usize, &str)> = houses
                    .iter()
                    .enumerate()
                    .flat_map(|(h, house)| {
                        house
                            .names
                            .iter()
                            .filter(|n| is_distribution(n, &requirement.name, version))
                            .map(move |n| (h, n.as_str()))
                    })
                    .collect();
                for (h, name) in &files {
                    wanted[*h].insert(name);
                }
                matched.insert((f, r), files);
            }
        }
        let jobs: Vec<(PathBuf, Vec<String>)> = houses
            .iter()
            .zip(&wanted)
            .map(|(house, names)| {
                (
                    house.path.clone(),
                    names.iter().map(|n| n.to_string()).collect(),
                )
            })
            .collect();
        let hashed = root.hash_dirs(&jobs)?;
        let mut inputs = Vec::new();
        // Per vendored input: its index and its files, to read the licence.
        let mut vendored: Vec<(usize, Vec<PathBuf>)> = Vec::new();
        for (f, (source, parsed)) in read.iter().enumerate() {
            for (r, requirement) in parsed.requirements.iter().enumerate() {
                let Pin::Exact(version) = &requirement.pin else {
                    inputs.extend(unpinned(requirement, source)?);
                    continue;
                };
                let mut on_disk: Vec<(String, String)> = Vec::new();
                let mut full: Vec<PathBuf> = Vec::new();
                for (h, file) in matched.remove(&(f, r)).unwrap_or_default() {
                    let Some(digest) = hashed[h].get(file) else {
                        continue;
                    };
                    full.push(houses[h].path.join(file));
                    let relative = &houses[h].relative;
                    let path = if relative.is_empty() {
                        file.to_string()
                    } else {
                        format!("{relative}/{file}")
                    };
                    on_disk.push((path, digest.clone()));
                }
                on_disk.sort();
                let (observed, status, path) = if on_disk.is_empty() {
                    let status = match check(requirement, source, &on_disk) {
                        Match::Match => Match::NotVendored,
                        unhashed => unhashed,
                    };
                    (None, status, None)
                } else {
                    let digests: BTreeSet<String> =
                        on_disk.iter().map(|(_, d)| format!("sha256:{d}")).collect();
                    let digests: Vec<String> = digests.into_iter().collect();
                    let paths: Vec<&str> = on_disk.iter().map(|(p, _)| p.as_str()).collect();
                    (
                        joined(&digests),
                        check(requirement, source, &on_disk),
                        joined(&paths),
                    )
                };
                let name = &requirement.name;
                if !full.is_empty() {
                    full.sort();
                    vendored.push((inputs.len(), full));
                }
                inputs.push(Input {
                    declared: joined(&requirement.hashes),
                    observed,
                    status,
                    path,
                    ..Input::declared(
                        "pip",
                        name.clone(),
                        version.clone(),
                        input::purl("pypi", None, name, Some(version), &[])?,
                        format!("https://pypi.org/project/{name}/{version}/"),
                    )
                });
            }
        }
        let licenses: Vec<(usize, Option<String>)> = vendored
            .into_par_iter()
            .map(|(i, files)| {
                let license = files.iter().find_map(|file| {
                    distribution_metadata(file)
                        .as_deref()
                        .and_then(metadata_license)
                });
                (i, license)
            })
            .collect();
        for (i, license) in licenses {
            inputs[i].license = license;
        }
        Ok(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

    fn exact(name: &str, version: &str, hashes: &[&str], line: usize) -> Requirement {
        Requirement {
            name: name.into(),
            pin: Pin::Exact(version.into()),
            hashes: hashes.iter().map(|h| h.to_string()).collect(),
            line,
        }
    }

    #[test]
    fn names_are_pep_503_normalised() {
        assert_eq!(normalise("Django"), "django");
        assert_eq!(normalise("typing_extensions"), "typing-extensions");
        assert_eq!(normalise("Zope.Interface"), "zope-interface");
        assert_eq!(normalise("a-_.-b__c"), "a-b-c");
        assert_eq!(normalise("ruamel.yaml.clib"), "ruamel-yaml-clib");
    }

    #[test]
    fn pip_compile_output_with_continuations_and_comments() {
        let text = format!(
            "#\n# This file is autogenerated by pip-compile\n#\n\n\
             Six==1.16.0 \\\n    --hash=sha256:{A} \\\n    --hash=sha256:{B}\n    # via -r requirements.in\n\
             idna==3.7 --hash=sha256:{A}  # trailing comment\n"
        );
        let parsed = parse(&text).unwrap();
        assert_eq!(
            parsed.requirements,
            vec![
                exact(
                    "six",
                    "1.16.0",
                    &[
                        &format!("sha256:{A}"),
                        &format!("sha256:{}", B.to_lowercase())
                    ],
                    5
                ),
                exact("idna", "3.7", &[&format!("sha256:{A}")], 9),
            ]
        );
    }

    #[test]
    fn a_comment_line_ends_a_continuation_and_hash_in_urls_is_kept() {
        // pip's join_lines: the comment-only line ends the logical line.
        let text = format!("six==1.16.0 \\\n# a comment\n--hash=sha256:{A}\n");
        assert_eq!(
            parse(&text).unwrap().requirements,
            vec![exact("six", "1.16.0", &[], 1)]
        );
        let lines = logical_lines("pkg @ https://h/p.whl#sha256=abc # note\n");
        assert_eq!(lines, vec![(1, "pkg @ https://h/p.whl#sha256=abc".into())]);
    }

    #[test]
    fn markers_extras_and_spacing() {
        let text = format!(
            "requests[security,socks] == 2.32.3 ; python_version >= \"3.8\" \\\n  --hash sha256:{A}\n\
             Foo.Bar (==1.0)\n\
             tomli==2.0.1; python_version < \"3.11\" --hash=SHA256:{A}\n"
        );
        let parsed = parse(&text).unwrap();
        assert_eq!(
            parsed.requirements,
            vec![
                exact("requests", "2.32.3", &[&format!("sha256:{A}")], 1),
                exact("foo-bar", "1.0", &[], 3),
                exact("tomli", "2.0.1", &[&format!("sha256:{A}")], 4),
            ]
        );
    }

    #[test]
    fn only_a_single_equality_pins() {
        assert_eq!(pin("==1.0").unwrap(), Pin::Exact("1.0".into()));
        assert_eq!(pin("=== 1.0").unwrap(), Pin::Exact("1.0".into()));
        assert_eq!(pin("==1.*").unwrap(), Pin::Loose("==1.*".into()));
        assert_eq!(pin(">=1, <2").unwrap(), Pin::Loose(">=1,<2".into()));
        assert_eq!(
            pin("==1.0,!=1.1").unwrap(),
            Pin::Loose("==1.0,!=1.1".into())
        );
        assert_eq!(pin("").unwrap(), Pin::Loose(String::new()));
        assert!(pin("1.0").is_err());
    }

    #[test]
    fn options_direct_references_and_editables() {
        let text = "--index-url https://pypi.org/simple\n\
                    -f ./wheels\n--find-links=vendor/more\n-r base.txt\n-c constraints.txt\n\
                    -e .\n-e git+https://github.com/o/r.git@abc#egg=My_Pkg\n\
                    pkg @ https://example.com/pkg-1.0.whl ; python_version > \"3\"\n";
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.find_links, vec!["./wheels", "vendor/more"]);
        assert_eq!(parsed.includes, vec!["base.txt"]);
        assert_eq!(
            parsed.requirements,
            vec![
                Requirement {
                    name: "my-pkg".into(),
                    pin: Pin::Editable("git+https://github.com/o/r.git@abc#egg=My_Pkg".into()),
                    hashes: vec![],
                    line: 7,
                },
                Requirement {
                    name: "pkg".into(),
                    pin: Pin::Url("https://example.com/pkg-1.0.whl".into()),
                    hashes: vec![],
                    line: 8,
                },
            ]
        );
    }

    #[test]
    fn malformed_lines_are_refused_with_their_number() {
        for (text, needle) in [
            ("six==1.16.0 --hash=md5:abc\n", "line 1: `--hash=md5:abc`"),
            (
                "six==1.16.0 --hash=sha256:abc\n",
                "is not `<algorithm>:<hex>`",
            ),
            ("\n\nsix==1.16.0 --hash\n", "line 3:"),
            ("./local/pkg\n", "not a requirement vouch can check"),
            ("six[x==1\n", "unclosed extras"),
            ("six ~ 1\n", "cannot read the version specifier"),
            ("-r\n", "`-r` needs a value"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn distribution_files_are_matched_by_normalised_name_and_version() {
        let name = "typing-extensions";
        assert!(is_distribution(
            "typing_extensions-4.12.2-py3-none-any.whl",
            name,
            "4.12.2"
        ));
        assert!(is_distribution(
            "typing_extensions-4.12.2-1-cp311-cp311-manylinux_2_17_x86_64.whl",
            name,
            "4.12.2"
        ));
        assert!(!is_distribution(
            "typing_extensions-4.12.1-py3-none-any.whl",
            name,
            "4.12.2"
        ));
        assert!(is_distribution(
            "typing-extensions-4.12.2.tar.gz",
            name,
            "4.12.2"
        ));
        assert!(is_distribution(
            "Typing.Extensions-4.12.2.zip",
            name,
            "4.12.2"
        ));
        assert!(!is_distribution(
            "typing_extensions-4.12.2.tar.bz2",
            name,
            "4.12.2"
        ));
        assert!(!is_distribution(
            "typing_extensions-4.12.2.whl",
            name,
            "4.12.2"
        ));
        assert!(!is_distribution(
            "six-4.12.2-py3-none-any.whl",
            name,
            "4.12.2"
        ));
    }

    #[test]
    fn include_and_find_links_paths_resolve_against_their_file() {
        assert_eq!(resolve("", "./wheelhouse"), "wheelhouse");
        assert_eq!(resolve("reqs", "../base.txt"), "base.txt");
        assert_eq!(resolve("reqs", "dev/x.txt"), "reqs/dev/x.txt");
        assert_eq!(resolve("", "../out"), "../out");
        assert_eq!(resolve("reqs", "/etc/x"), "/etc/x");
        assert!(join_inside(Path::new("/p"), &resolve("", "../out")).is_err());
    }

    #[test]
    fn discovers_a_wheelhouse_and_flags_unpinned_and_unhashed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("reqs/wheels")).unwrap();
        std::fs::write(d.join("reqs/wheels/good-1.0-py3-none-any.whl"), b"good").unwrap();
        std::fs::write(d.join("reqs/wheels/bad-2.0-py3-none-any.whl"), b"bad").unwrap();
        let good = vouch_evidence::digest::sha256(b"good").hex();
        std::fs::write(
            d.join("requirements.txt"),
            format!(
                "-r reqs/more.txt\ngood==1.0 --hash=sha256:{good} --hash=sha256:{A}\n\
                 bad==2.0 --hash=sha256:{A}\nabsent==3.0 --hash=sha256:{A}\n\
                 loose>=1\nbare==1.0\n"
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("reqs/more.txt"),
            "--find-links wheels\n-r ../requirements.txt\n",
        )
        .unwrap();
        let inputs = Pip.discover(&Root::new(d).unwrap()).unwrap();
        let by_name: BTreeMap<&str, &Input> = inputs.iter().map(|i| (i.name.as_str(), i)).collect();
        assert_eq!(by_name.len(), 5);
        assert_eq!(by_name["good"].status, Match::Match);
        assert_eq!(
            by_name["good"].observed.as_deref(),
            Some(format!("sha256:{good}").as_str())
        );
        assert_eq!(
            by_name["good"].path.as_deref(),
            Some("reqs/wheels/good-1.0-py3-none-any.whl")
        );
        assert_eq!(by_name["good"].purl, "pkg:pypi/good@1.0");
        let Match::Mismatch { reason } = &by_name["bad"].status else {
            panic!("{:?}", by_name["bad"]);
        };
        assert!(
            reason.starts_with("reqs/wheels/bad-2.0-py3-none-any.whl has sha256 "),
            "{reason}"
        );
        assert_eq!(by_name["absent"].status, Match::NotVendored);
        assert!(matches!(&by_name["loose"].status,
            Match::Mismatch { reason } if reason.contains("not pinned")));
        assert!(matches!(&by_name["bare"].status,
            Match::Mismatch { reason } if reason.contains("not hashed")));
    }

    #[test]
    fn licences_come_from_the_expression_one_clear_classifier_or_an_spdx_field() {
        let metadata =
            |headers: &str| format!("Metadata-Version: 2.1\nName: x\n{headers}\n\nLicense: MIT\n");
        for (headers, expected) in [
            // PEP 639 first, whatever else is there.
            (
                "License-Expression: MIT OR Apache-2.0\nLicense: BSD\n\
                 Classifier: License :: OSI Approved :: ISC License (ISCL)",
                Some("MIT OR Apache-2.0"),
            ),
            (
                "Classifier: Programming Language :: Python\n\
                 Classifier: License :: OSI Approved :: MIT License\nLicense: UNKNOWN",
                Some("MIT"),
            ),
            (
                "Classifier: License :: OSI Approved\n\
                 Classifier: License :: OSI Approved :: Python Software Foundation License",
                Some("PSF-2.0"),
            ),
            // Ambiguous classifiers give way to an SPDX `License` field...
            (
                "License: BSD-3-Clause\nClassifier: License :: OSI Approved :: BSD License",
                Some("BSD-3-Clause"),
            ),
            (
                "Classifier: License :: OSI Approved :: MIT License\n\
                 Classifier: License :: OSI Approved :: Apache Software License\nLicense: Apache-2.0",
                Some("Apache-2.0"),
            ),
            // ...and to nothing when it is free text.
            (
                "Classifier: License :: OSI Approved :: Apache Software License\n\
                 License: Apache License, Version 2.0",
                None,
            ),
            (
                "License: MIT License\n\n        Copyright (c) someone",
                None,
            ),
            ("License: MIT\n        Permission is hereby granted", None),
            ("License: UNKNOWN", None),
            // Metadata 1.x: a multi-line description before the classifiers.
            (
                "License: UNKNOWN\nDescription: six\n        \n        more text\n        \n\
                 Classifier: License :: OSI Approved :: MIT License",
                Some("MIT"),
            ),
            // Headers end at the first blank line.
            ("Summary: s", None),
        ] {
            assert_eq!(
                metadata_license(&metadata(headers)).as_deref(),
                expected,
                "{headers}"
            );
        }
    }

    #[test]
    fn every_mapped_classifier_is_an_spdx_identifier() {
        for (classifier, id) in CLASSIFIERS {
            assert_eq!(spdx_expression(id).as_deref(), Some(id), "{classifier}");
        }
    }

    /// A wheel (a zip) holding `files`.
    fn wheel(path: &Path, files: &[(&str, &str)]) {
        let mut writer = zip::ZipWriter::new(File::create(path).unwrap());
        for (name, text) in files {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut writer, text.as_bytes()).unwrap();
        }
        writer.finish().unwrap();
    }

    /// An sdist (a .tar.gz) holding `files`.
    fn sdist(path: &Path, files: &[(&str, &str)]) {
        let gz = flate2::write::GzEncoder::new(
            File::create(path).unwrap(),
            flate2::Compression::default(),
        );
        let mut builder = tar::Builder::new(gz);
        for (name, text) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, name, text.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
    }

    #[test]
    fn wheel_and_sdist_metadata_give_the_licence() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("wheelhouse")).unwrap();
        let mit = "Metadata-Version: 2.1\nName: w\nLicense-Expression: MIT\n\n";
        wheel(
            &d.join("wheelhouse/w-1.0-py3-none-any.whl"),
            &[
                ("w/__init__.py", ""),
                // Not the top-level dist-info: ignored.
                (
                    "w/x.dist-info/METADATA",
                    "License-Expression: GPL-3.0-only\n",
                ),
                ("w-1.0.dist-info/METADATA", mit),
            ],
        );
        sdist(
            &d.join("wheelhouse/s-2.0.tar.gz"),
            &[
                ("s-2.0/setup.py", ""),
                ("s-2.0/tests/PKG-INFO", "License: GPL-3.0-only\n"),
                ("s-2.0/PKG-INFO", "Metadata-Version: 1.2\nLicense: ISC\n"),
            ],
        );
        wheel(
            &d.join("wheelhouse/z-3.0.zip"),
            &[("z-3.0/PKG-INFO", "License: 0BSD\n")],
        );
        std::fs::write(d.join("wheelhouse/n-4.0-py3-none-any.whl"), b"not a zip").unwrap();
        let mut requirements = String::new();
        for (name, version, file) in [
            ("w", "1.0", "w-1.0-py3-none-any.whl"),
            ("s", "2.0", "s-2.0.tar.gz"),
            ("z", "3.0", "z-3.0.zip"),
            ("n", "4.0", "n-4.0-py3-none-any.whl"),
        ] {
            let bytes = std::fs::read(d.join("wheelhouse").join(file)).unwrap();
            let hash = vouch_evidence::digest::sha256(&bytes).hex();
            requirements.push_str(&format!("{name}=={version} --hash=sha256:{hash}\n"));
        }
        std::fs::write(d.join("requirements.txt"), requirements).unwrap();
        let inputs = Pip.discover(&Root::new(d).unwrap()).unwrap();
        let licences: Vec<(&str, &Match, Option<&str>)> = inputs
            .iter()
            .map(|i| (i.name.as_str(), &i.status, i.license.as_deref()))
            .collect();
        assert_eq!(
            licences,
            [
                ("w", &Match::Match, Some("MIT")),
                ("s", &Match::Match, Some("ISC")),
                ("z", &Match::Match, Some("0BSD")),
                // Not an archive: its hash matches, its licence is unknown.
                ("n", &Match::Match, None),
            ]
        );
        assert!(inputs.iter().all(|i| i.dependencies.is_empty()));
    }
}
