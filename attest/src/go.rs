//! Go modules: `go.mod` and `go.sum` against `vendor/modules.txt` and the
//! packages `go mod vendor` copied under `vendor/`.
//!
//! Every module `vendor/modules.txt` lists (`# <module> <version>`) is an
//! input; without a `vendor/` directory, every `require` of `go.mod` is one,
//! not vendored. What is declared is go.sum's `h1:` hash of the module zip
//! (of the replacement, when go.mod replaces the module by another module
//! version): the upstream claim, which the checksum database also vouches
//! for.
//!
//! That hash cannot be recomputed from `vendor/`. `go mod vendor` copies only
//! the packages the build imports, and of those it leaves out `_test.go`
//! files, `testdata/`-style subdirectories, `go.mod` and `go.sum`, and every
//! package nothing imports; the zip the `h1` covers had them all. So the
//! observed digest is the directory hash (`dirHash`, Go's `h1` algorithm as
//! hex) of `vendor/<module path>`: it records exactly what was built,
//! without files of a module vendored beneath it (`vendor/a/b` holds module
//! `a/b`, not module `a`).
//!
//! What is checked is what the go command's own vendor consistency check
//! and go.sum can tell: a module missing from go.sum; a modules.txt version
//! other than go.mod's `require`; a replacement other than go.mod's
//! `replace`; a replacement by a local directory, which no upstream hash
//! covers; a vendored module or package whose directory is missing; and a
//! go.mod requirement that modules.txt does not list.
//!
//! A module replaced, consistently in go.mod and modules.txt, by an
//! absolute directory outside the project (`vouch unbundle --write` onto a
//! distribution's `/usr/share/gocode/src/<module>`) is an input all the
//! same, with its upstream identity: not vendored, the directory in
//! [`Input::provided`] (never read here) and its vendored copy, which the
//! build reads, as its `path`. The caller proves the directory's chain of
//! custody and that the copy holds its files. A relative directory, or
//! one inside the project, stays a local replacement.
//!
//! The formats are read as the go command writes them (`go mod vendor`:
//! `src/cmd/go/internal/modcmd/vendor.go`; `go.sum`:
//! `src/cmd/go/internal/modfetch/fetch.go`; `go.mod`: the
//! `golang.org/x/mod/modfile` lexer), and a line that does not parse is an
//! error naming the file and line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::input;
use crate::tree::{dir_hash, excerpt, join_inside, outside, Listing, Root};
use crate::{Ecosystem, Error, Input, Match, Result};

const GO_MOD: &str = "go.mod";
const GO_SUM: &str = "go.sum";
const VENDOR: &str = "vendor";
const MODULES_TXT: &str = "vendor/modules.txt";
/// The module proxy the go command uses by default (`GOPROXY`).
const PROXY: &str = "https://proxy.golang.org";
/// The go.mod directives the go command knows (Go 1.25); like the go
/// command, vouch refuses any other rather than guess what it means.
const DIRECTIVES: &[&str] = &[
    "module",
    "go",
    "toolchain",
    "godebug",
    "require",
    "exclude",
    "replace",
    "retract",
    "tool",
    "ignore",
];

/// The Go ecosystem.
pub struct Go;

/// What a `replace` directive puts in place of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replacement {
    /// Another module version: fetched, and checked against go.sum, like
    /// any module.
    Module {
        /// Its module path.
        path: String,
        /// Its version.
        version: String,
    },
    /// A directory on disk (`./fork`, `../lib`, `/abs`): no version, no
    /// go.sum entry, nothing upstream to check it against.
    Dir(String),
}

impl fmt::Display for Replacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Replacement::Module { path, version } => write!(f, "{path} {version}"),
            Replacement::Dir(dir) => write!(f, "{dir}"),
        }
    }
}

/// A `require` directive of go.mod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Require {
    /// The module path.
    pub path: String,
    /// The minimum version required, which Go 1.17+ go.mod files keep
    /// equal to the selected one for every module that provides packages.
    pub version: String,
    /// Marked `// indirect`: no package of the main module imports it.
    pub indirect: bool,
}

/// A `replace` directive of go.mod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    /// The module path replaced.
    pub path: String,
    /// The version replaced; `None` replaces every version.
    pub version: Option<String>,
    /// What replaces it.
    pub with: Replacement,
}

/// What vouch reads of a go.mod: the main module, its requirements and
/// replacements. Other directives (`go`, `toolchain`, `exclude`, `retract`,
/// ...) are recognised and have no bearing on what is vendored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoMod {
    /// The main module's path.
    pub module: String,
    /// Every `require`, in file order, from single lines and blocks.
    pub require: Vec<Require>,
    /// Every `replace`, in file order, from single lines and blocks.
    pub replace: Vec<Replace>,
}

impl GoMod {
    /// The replacement the go command applies to `path` at `version`: a
    /// `replace` naming that version wins over one naming the path alone.
    pub fn replacement(&self, path: &str, version: &str) -> Option<&Replacement> {
        let for_version = |wanted: Option<&str>| {
            self.replace
                .iter()
                .find(|r| r.path == path && r.version.as_deref() == wanted)
        };
        for_version(Some(version))
            .or_else(|| for_version(None))
            .map(|r| &r.with)
    }
}

/// One module of `vendor/modules.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendoredModule {
    /// The module path, as the packages are imported (and vendored).
    pub path: String,
    /// Its version; `None` on a line recording a replacement of every
    /// version (`# path => ...`), which `go mod vendor` appends at the end.
    pub version: Option<String>,
    /// Its replacement (`=> ...`), as go.mod gave it.
    pub replacement: Option<Replacement>,
    /// Marked `## explicit`: go.mod requires it.
    pub explicit: bool,
    /// The packages vendored from it, each under `vendor/<package>`.
    pub packages: Vec<String>,
}

/// `vendor/modules.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModulesTxt {
    /// Written by `go work vendor` for a workspace (`## workspace`).
    pub workspace: bool,
    /// The module lines, in file order, with what follows each.
    pub modules: Vec<VendoredModule>,
}

fn invalid(what: &'static str, file: &Path, line: usize, reason: String) -> Error {
    Error::Invalid {
        what,
        path: file.display().to_string(),
        reason: format!("line {line}: {reason}"),
    }
}

/// Whether `v` reads as a module version (`v1.2.3`, `v0.0.0-2024...-abc`,
/// `v2.0.0+incompatible`).
fn is_version(v: &str) -> bool {
    let mut chars = v.chars();
    chars.next() == Some('v') && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Whether a replacement target is a directory rather than a module path,
/// by the rule of the go command (`modfile.IsDirectoryPath`), which accepts
/// Unix and Windows spellings alike since go.mod files move between systems.
fn is_dir_path(p: &str) -> bool {
    let b = p.as_bytes();
    p == "."
        || p == ".."
        || ["./", ".\\", "../", "..\\", "/", "\\"]
            .iter()
            .any(|prefix| p.starts_with(prefix))
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// Splits one go.mod line into tokens and its trailing `//` comment, as the
/// go.mod lexer does: `(`, `)`, `[`, `]`, `{`, `}` and `,` stand alone;
/// `"..."` and `` `...` `` are quoted strings; `//` starts a comment, even
/// inside a word.
fn tokens(line: &str) -> std::result::Result<(Vec<String>, Option<&str>), String> {
    let mut out = Vec::new();
    let mut rest = line;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else {
            return Ok((out, None));
        };
        if let Some(comment) = rest.strip_prefix("//") {
            return Ok((out, Some(comment.trim())));
        }
        match c {
            '(' | ')' | '[' | ']' | '{' | '}' | ',' => {
                out.push(c.to_string());
                rest = &rest[1..];
            }
            '`' => {
                let end = rest[1..]
                    .find('`')
                    .ok_or("unterminated raw string (`...`)")?;
                out.push(rest[1..=end].to_string());
                rest = &rest[end + 2..];
            }
            '"' => {
                let mut value = String::new();
                let mut chars = rest.char_indices().skip(1);
                let end = loop {
                    match chars.next() {
                        None => return Err("unterminated quoted string".into()),
                        Some((i, '"')) => break i,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, e @ ('"' | '\\'))) => value.push(e),
                            _ => {
                                return Err(
                                    "unsupported escape in quoted string (only \\\" and \\\\)"
                                        .into(),
                                )
                            }
                        },
                        Some((_, ch)) => value.push(ch),
                    }
                };
                out.push(value);
                rest = &rest[end + 1..];
            }
            _ => {
                let end = rest
                    .char_indices()
                    .find(|&(i, ch)| {
                        ch.is_whitespace()
                            || matches!(ch, '(' | ')' | '[' | ']' | '{' | '}' | ',')
                            || rest[i..].starts_with("//")
                    })
                    .map_or(rest.len(), |(i, _)| i);
                out.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
}

/// Whether a `require` line's comment marks it indirect: `// indirect`, or
/// `// indirect; ...` with more after it, as the go command reads it.
fn is_indirect(comment: Option<&str>) -> bool {
    let fields: Vec<&str> = comment.unwrap_or("").split_whitespace().collect();
    matches!(fields.as_slice(), ["indirect"] | ["indirect;", ..])
}

fn parse_replace(args: &[String]) -> std::result::Result<Replace, String> {
    const USAGE: &str = "usage: replace module/path [v1.2.3] => other/module v1.4 \
                         or replace module/path [v1.2.3] => ../local/directory";
    let arrow = args.iter().position(|a| a == "=>").ok_or(USAGE)?;
    let (old, new) = (&args[..arrow], &args[arrow + 1..]);
    let (path, version) = match old {
        [path] => (path.clone(), None),
        [path, version] if is_version(version) => (path.clone(), Some(version.clone())),
        _ => return Err(USAGE.into()),
    };
    let with = match new {
        [dir] if is_dir_path(dir) => Replacement::Dir(dir.clone()),
        [module] => {
            return Err(format!(
                "replacement module {} without version must be a directory path \
                 (rooted or starting with ./ or ../)",
                excerpt(module)
            ))
        }
        [dir, _] if is_dir_path(dir) => {
            return Err(format!(
                "replacement directory {} must not have a version",
                excerpt(dir)
            ))
        }
        [path, version] if is_version(version) => Replacement::Module {
            path: path.clone(),
            version: version.clone(),
        },
        _ => return Err(USAGE.into()),
    };
    Ok(Replace {
        path,
        version,
        with,
    })
}

/// Parses a go.mod (`file` names it in errors): its `module`, and every
/// `require` and `replace`, single-line or in a `( ... )` block.
pub fn parse_go_mod(text: &str, file: &Path) -> Result<GoMod> {
    let err = |line: usize, reason: String| invalid(GO_MOD, file, line, reason);
    let mut module = None;
    let mut require = Vec::new();
    let mut replace = Vec::new();
    let mut block: Option<(String, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let (words, comment) = tokens(raw).map_err(|reason| err(n, reason))?;
        let Some(first) = words.first() else { continue };
        let (verb, args) = match &block {
            Some(_) if first == ")" => {
                if let Some(extra) = words.get(1) {
                    return Err(err(n, format!("unexpected `{}` after `)`", excerpt(extra))));
                }
                block = None;
                continue;
            }
            Some((verb, _)) => (verb.clone(), &words[..]),
            None => (first.clone(), &words[1..]),
        };
        if !DIRECTIVES.contains(&verb.as_str()) {
            return Err(err(n, format!("unknown directive `{}`", excerpt(&verb))));
        }
        if block.is_none() && args.first().map(String::as_str) == Some("(") {
            if let Some(extra) = args.get(1) {
                return Err(err(n, format!("unexpected `{}` after `(`", excerpt(extra))));
            }
            block = Some((verb, n));
            continue;
        }
        match verb.as_str() {
            "module" => match args {
                [path] => module = Some(path.clone()),
                _ => return Err(err(n, "usage: module module/path".into())),
            },
            "require" => match args {
                [path, version] if is_version(version) => require.push(Require {
                    path: path.clone(),
                    version: version.clone(),
                    indirect: is_indirect(comment),
                }),
                _ => return Err(err(n, "usage: require module/path v1.2.3".into())),
            },
            "replace" => replace.push(parse_replace(args).map_err(|reason| err(n, reason))?),
            _ => {} // no bearing on what is vendored
        }
    }
    if let Some((verb, n)) = block {
        return Err(err(n, format!("the `{verb} (` block is never closed")));
    }
    let module = module.ok_or_else(|| Error::Invalid {
        what: GO_MOD,
        path: file.display().to_string(),
        reason: "no `module` directive".into(),
    })?;
    Ok(GoMod {
        module,
        require,
        replace,
    })
}

/// Parses a go.sum (`file` names it in errors): per module path and
/// version, the `h1:` hashes of its zip, in file order. Every line must be
/// `<module> <version>[/go.mod] <hash>`; `/go.mod` lines (the hash of the
/// module's go.mod alone) and hashes of other algorithms are skipped, as
/// the go command skips algorithms it does not know.
pub fn parse_go_sum(text: &str, file: &Path) -> Result<BTreeMap<(String, String), Vec<String>>> {
    let mut hashes: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            [] => {}
            [_, version, _] if version.ends_with("/go.mod") => {}
            [path, version, hash] => {
                if hash.starts_with("h1:") {
                    hashes
                        .entry((path.to_string(), version.to_string()))
                        .or_default()
                        .push(hash.to_string());
                }
            }
            fields => {
                return Err(invalid(
                    GO_SUM,
                    file,
                    i + 1,
                    format!(
                        "{} fields, expected `<module> <version>[/go.mod] <hash>`",
                        fields.len()
                    ),
                ))
            }
        }
    }
    Ok(hashes)
}

/// Parses `vendor/modules.txt` (`file` names it in errors) as `go mod
/// vendor` writes it: `# <module> <version>`, optionally `=> <path>
/// [<version>]`; `# <module> => ...` for a replacement of every version;
/// `## explicit`, `## go 1.21` or `## explicit; go 1.21` after a module; one
/// package per line; and `## workspace` first for `go work vendor`.
pub fn parse_modules_txt(text: &str, file: &Path) -> Result<ModulesTxt> {
    let mut workspace = false;
    let mut modules: Vec<VendoredModule> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let err = |reason: String| invalid(MODULES_TXT, file, i + 1, reason);
        if let Some(annotations) = line.strip_prefix("## ") {
            match modules.last_mut() {
                Some(module) => {
                    // `go 1.21` and annotations of later Go versions have no
                    // bearing on what is vendored.
                    if annotations.split(';').any(|a| a.trim() == "explicit") {
                        module.explicit = true;
                    }
                }
                None if annotations.trim() == "workspace" => workspace = true,
                None => return Err(err(format!("`{}` before any module line", excerpt(line)))),
            }
        } else if let Some(rest) = line.strip_prefix("# ") {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let (path, version, replaced) = match fields.as_slice() {
                [path, "=>", with @ ..] => (*path, None, Some(with)),
                [path, version] if is_version(version) => (*path, Some(*version), None),
                [path, version, "=>", with @ ..] if is_version(version) => {
                    (*path, Some(*version), Some(with))
                }
                _ => {
                    return Err(err(format!(
                        "`{}` is not `# <module> <version> [=> <replacement> [<version>]]`",
                        excerpt(line)
                    )))
                }
            };
            let replacement = match replaced {
                None => None,
                Some([dir]) => Some(Replacement::Dir(dir.to_string())),
                Some([path, version]) if is_version(version) => Some(Replacement::Module {
                    path: path.to_string(),
                    version: version.to_string(),
                }),
                Some(_) => {
                    return Err(err(format!(
                        "`{}` has no replacement `<path>` or `<module> <version>` after `=>`",
                        excerpt(line)
                    )))
                }
            };
            modules.push(VendoredModule {
                path: path.to_string(),
                version: version.map(str::to_string),
                replacement,
                explicit: false,
                packages: Vec::new(),
            });
        } else if !line.trim().is_empty() {
            let package = match line.split_whitespace().collect::<Vec<_>>().as_slice() {
                [package] => package.to_string(),
                _ => return Err(err(format!("`{}` is not one package path", excerpt(line)))),
            };
            let Some(module) = modules.last_mut().filter(|m| m.version.is_some()) else {
                return Err(err(format!(
                    "package {} does not follow a `# <module> <version>` line",
                    excerpt(&package)
                )));
            };
            let inside = package
                .strip_prefix(module.path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            if !inside {
                return Err(err(format!(
                    "package {package} is not in module {}",
                    module.path
                )));
            }
            module.packages.push(package);
        }
    }
    Ok(ModulesTxt { workspace, modules })
}

/// The package URL of module `path` at `version`, by the purl spec's
/// `golang` type: the module path's last segment is the name, the rest the
/// namespace, lowercased (the type is case-insensitive) and percent-encoded
/// segment by segment (`+incompatible` becomes `%2Bincompatible`). It is
/// what syft and osv-scanner emit for modules.
pub fn purl(path: &str, version: &str) -> Result<String> {
    let path = path.to_lowercase();
    let (namespace, name) = match path.rsplit_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, path.as_str()),
    };
    input::purl("golang", namespace, name, Some(version), &[])
}

/// Escapes a module path or version for the module proxy protocol: an
/// upper-case letter becomes `!` and its lower case, so that paths differing
/// only in case stay apart on case-insensitive file systems.
fn proxy_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Where the go command downloads module `path` at `version` by default:
/// the module zip on the Go module proxy, the exact artifact whose `h1` go.sum
/// records (`go mod download -json` reports the same URL's content), so
/// that the input's `uri` and declared digest name the same bytes.
pub fn proxy_uri(path: &str, version: &str) -> String {
    format!(
        "{PROXY}/{}/@v/{}.zip",
        proxy_escape(path),
        proxy_escape(version)
    )
}

/// An input for module `path` at `version`, with its identity taken from
/// what actually supplies the code: the replacement module when go.mod
/// replaces it by one, with that module's go.sum hash; nothing upstream
/// (no uri, no declared hash) for a local directory.
fn module_input(
    path: &str,
    version: &str,
    replacement: Option<&Replacement>,
    go_sum: &BTreeMap<(String, String), Vec<String>>,
) -> Result<Input> {
    let (source_path, source_version) = match replacement {
        Some(Replacement::Module { path, version }) => (path.as_str(), version.as_str()),
        _ => (path, version),
    };
    let uri = match replacement {
        Some(Replacement::Dir(_)) => String::new(),
        _ => proxy_uri(source_path, source_version),
    };
    let mut input = Input::declared("go", path, version, purl(source_path, source_version)?, uri);
    if !matches!(replacement, Some(Replacement::Dir(_))) {
        input.declared = go_sum
            .get(&(source_path.to_string(), source_version.to_string()))
            .map(|hashes| hashes.join(","));
    }
    Ok(input)
}

/// The modules `go_mod` requires, as inputs with no vendor directory:
/// each with its go.sum `h1:` hashes as declared, a replacement by a local
/// directory a mismatch naming `file` (the go.mod, as the project names
/// it). Also what a Bazel `go_deps.from_file` pins.
pub(crate) fn required_inputs(
    go_mod: &GoMod,
    go_sum: &BTreeMap<(String, String), Vec<String>>,
    file: &str,
) -> Result<Vec<Input>> {
    go_mod
        .require
        .iter()
        .map(|r| {
            let replacement = go_mod.replacement(&r.path, &r.version);
            let mut input = module_input(&r.path, &r.version, replacement, go_sum)?;
            if let Some(Replacement::Dir(dir)) = replacement {
                input.status = Match::Mismatch {
                    reason: local_reason(&r.path, dir, file),
                };
            }
            Ok(input)
        })
        .collect()
}

fn local_reason(path: &str, dir: &str, file: &str) -> String {
    format!(
        "{path} is replaced by the local directory {dir} in {file}: \
         a local directory has no upstream digest to check it against"
    )
}

/// The directory outside the project a vendored module is replaced by,
/// when its replacement is an absolute directory there: a distribution's
/// installed package (`vouch unbundle --write`), whose files the vendored
/// copy holds. A relative directory, or one inside the project, is not.
fn provided_dir(root: &Root, module: &VendoredModule) -> Option<String> {
    match &module.replacement {
        Some(Replacement::Dir(dir)) if dir.starts_with('/') => outside(root, dir),
        _ => None,
    }
}

/// The first check a vendored module fails, if any. A module `provided`
/// from outside the project has its go.mod replacement checked like any
/// other, and no go.sum hash to have (it is not the upstream zip).
fn check(
    root: &Path,
    module: &VendoredModule,
    version: &str,
    go_mod: &GoMod,
    declared: bool,
    provided: bool,
) -> Result<Option<String>> {
    let path = &module.path;
    if let Some(Replacement::Dir(dir)) = &module.replacement {
        if !provided {
            return Ok(Some(local_reason(path, dir, MODULES_TXT)));
        }
    }
    match go_mod.require.iter().find(|r| &r.path == path) {
        Some(r) if r.version != version => {
            return Ok(Some(format!(
                "{MODULES_TXT} lists {path} {version}, {GO_MOD} requires {path} {}",
                r.version
            )))
        }
        None if module.explicit => {
            return Ok(Some(format!(
                "{MODULES_TXT} marks {path} {version} explicit, {GO_MOD} does not require it"
            )))
        }
        _ => {}
    }
    let in_go_mod = go_mod.replacement(path, version);
    if in_go_mod != module.replacement.as_ref() {
        let says = |r: Option<&Replacement>| match r {
            Some(r) => format!("replaces it by {r}"),
            None => "does not replace it".into(),
        };
        return Ok(Some(format!(
            "{path} {version}: {MODULES_TXT} {}, {GO_MOD} {}",
            says(module.replacement.as_ref()),
            says(in_go_mod)
        )));
    }
    if module.packages.is_empty() {
        return Ok(None);
    }
    if !declared && !provided {
        let source = match &module.replacement {
            Some(r) => r.to_string(),
            None => format!("{path} {version}"),
        };
        return Ok(Some(format!("{source} has no h1 hash in {GO_SUM}")));
    }
    if !join_inside(root, &format!("{VENDOR}/{path}"))?.is_dir() {
        return Ok(Some(format!(
            "{VENDOR}/{path} is missing, {MODULES_TXT} lists its packages"
        )));
    }
    for package in &module.packages {
        if !join_inside(root, &format!("{VENDOR}/{package}"))?.is_dir() {
            return Ok(Some(format!(
                "{VENDOR}/{package} is missing, {MODULES_TXT} lists package {package} of {path}"
            )));
        }
    }
    Ok(None)
}

/// The files of `vendor/<path>` that belong to module `path`: those under
/// the directory of another vendored module nested in it belong to that one.
fn own_files(path: &str, all: Vec<String>, roots: &[&str]) -> Vec<String> {
    let nested: Vec<String> = roots
        .iter()
        .filter_map(|root| root.strip_prefix(path)?.strip_prefix('/'))
        .map(|sub| format!("{sub}/"))
        .collect();
    all.into_iter()
        .filter(|f| !nested.iter().any(|n| f.starts_with(n.as_str())))
        .collect()
}

impl Ecosystem for Go {
    fn name(&self) -> &'static str {
        "go"
    }

    fn detect(&self, root: &Root) -> bool {
        root.has(GO_MOD)
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        let go_mod_path = root.path().join(GO_MOD);
        let go_mod = parse_go_mod(&root.read_metadata(&go_mod_path, GO_MOD)?, &go_mod_path)?;
        let go_sum_path = root.path().join(GO_SUM);
        // A module with no dependencies has no go.sum; a go.sum that is
        // there (a symlink out included) is read through the root.
        let go_sum = if root.has(GO_SUM) {
            parse_go_sum(&root.read_metadata(&go_sum_path, GO_SUM)?, &go_sum_path)?
        } else {
            BTreeMap::new()
        };

        if !root.path().join(VENDOR).is_dir() {
            return required_inputs(&go_mod, &go_sum, GO_MOD);
        }

        let txt_path = root.path().join(MODULES_TXT);
        let txt = parse_modules_txt(&root.read_metadata(&txt_path, MODULES_TXT)?, &txt_path)?;
        if txt.workspace {
            return Err(Error::Invalid {
                what: MODULES_TXT,
                path: txt_path.display().to_string(),
                reason: "it vendors a workspace (`go work vendor`); vouch reads one module's \
                         go.mod: run `go mod vendor` in the module"
                    .into(),
            });
        }
        // Modules in the build: those with packages, and those go.mod
        // requires (`## explicit`) even when nothing is imported from them.
        // Other lines only record replacements.
        let modules: Vec<(&VendoredModule, &str)> = txt
            .modules
            .iter()
            .filter_map(|m| Some((m, m.version.as_deref()?)))
            .filter(|(m, _)| m.explicit || !m.packages.is_empty())
            .collect();
        let roots: Vec<&str> = modules
            .iter()
            .filter(|(m, _)| !m.packages.is_empty())
            .map(|(m, _)| m.path.as_str())
            .collect();

        let mut inputs = Vec::with_capacity(modules.len());
        let mut jobs: Vec<(PathBuf, Vec<String>)> = Vec::new();
        let mut hashed_input: Vec<usize> = Vec::new();
        for (module, version) in &modules {
            let provided = provided_dir(root, module);
            // A provided module keeps its upstream identity; its go.sum
            // hash is the upstream zip's, not the distribution's files'.
            let replacement = module.replacement.as_ref().filter(|_| provided.is_none());
            let mut input = module_input(&module.path, version, replacement, &go_sum)?;
            if provided.is_some() {
                input.declared = None;
            }
            let mut reason = check(
                root.path(),
                module,
                version,
                &go_mod,
                input.declared.is_some(),
                provided.is_some(),
            )?;
            let dir = join_inside(root.path(), &format!("{VENDOR}/{}", module.path))?;
            if let Some(provided) = provided.filter(|_| reason.is_none()) {
                // The build reads the vendored copy; the caller checks it
                // file by file against the installed directory.
                match root.vendored(&dir)? {
                    Listing::Files(_) => input.path = Some(format!("{VENDOR}/{}", module.path)),
                    Listing::Refused(refused) => reason = Some(refused),
                    Listing::Missing => {}
                }
                if reason.is_none() {
                    input.provided = Some(provided);
                }
            } else if !module.packages.is_empty() {
                input.status = Match::Match;
                match root.vendored(&dir)? {
                    Listing::Files(all) => {
                        input.path = Some(format!("{VENDOR}/{}", module.path));
                        jobs.push((dir, own_files(&module.path, all, &roots)));
                        hashed_input.push(inputs.len());
                    }
                    // Before any other reason: nothing of it is hashed.
                    Listing::Refused(refused) => reason = Some(refused),
                    Listing::Missing => {}
                }
            }
            if let Some(reason) = reason {
                input.status = Match::Mismatch { reason };
            }
            inputs.push(input);
        }
        for (i, on_disk) in hashed_input.into_iter().zip(root.hash_dirs(&jobs)?) {
            inputs[i].observed = Some(format!("dirHash:{}", dir_hash(&on_disk)));
        }

        for r in &go_mod.require {
            if !modules.iter().any(|(m, _)| m.path == r.path) {
                let replacement = go_mod.replacement(&r.path, &r.version);
                let mut input = module_input(&r.path, &r.version, replacement, &go_sum)?;
                input.status = Match::Mismatch {
                    reason: format!(
                        "{GO_MOD} requires {} {}, {MODULES_TXT} does not list it",
                        r.path, r.version
                    ),
                };
                inputs.push(input);
            }
        }
        Ok(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_mod(text: &str) -> Result<GoMod> {
        parse_go_mod(text, Path::new("/p/go.mod"))
    }

    fn modules_txt(text: &str) -> Result<ModulesTxt> {
        parse_modules_txt(text, Path::new("/p/vendor/modules.txt"))
    }

    fn module(path: &str, version: &str) -> Replacement {
        Replacement::Module {
            path: path.into(),
            version: version.into(),
        }
    }

    #[test]
    fn go_mod_single_lines_blocks_comments_and_quotes() {
        let parsed = go_mod(
            "// a comment\n\
             module \"example.com/m\" // Deprecated: use example.com/m/v2\n\
             \n\
             go 1.22.0\n\
             toolchain go1.22.5\n\
             \n\
             require (\n\
             \t// a comment inside the block\n\
             \tgithub.com/a/b v1.2.3\n\
             \tgolang.org/x/net v0.20.0 // indirect\n\
             \tgolang.org/x/sys v0.16.0 // indirect; kept for a test\n\
             \tgolang.org/x/text v0.14.0 // not indirect\n\
             )\n\
             \n\
             require `example.com/raw` v2.0.0+incompatible\n\
             exclude golang.org/x/net v0.19.0\n\
             retract [v1.0.0, v1.0.5]\n\
             retract (\n\tv0.9.0 // broken\n)\n\
             replace golang.org/x/net => golang.org/x/net v0.21.0\n\
             replace (\n\
             \tgithub.com/a/b v1.2.3 => ./third_party/b\n\
             \tgolang.org/x/text v0.14.0 => example.com/fork/text v0.14.1-0.20240101000000-0123456789ab\n\
             )\n\
             tool golang.org/x/tools/cmd/stringer\n\
             godebug default=go1.21\n\
             ignore ./node_modules\n",
        )
        .unwrap();
        assert_eq!(parsed.module, "example.com/m");
        let required: Vec<(&str, &str, bool)> = parsed
            .require
            .iter()
            .map(|r| (r.path.as_str(), r.version.as_str(), r.indirect))
            .collect();
        assert_eq!(
            required,
            vec![
                ("github.com/a/b", "v1.2.3", false),
                ("golang.org/x/net", "v0.20.0", true),
                ("golang.org/x/sys", "v0.16.0", true),
                ("golang.org/x/text", "v0.14.0", false),
                ("example.com/raw", "v2.0.0+incompatible", false),
            ]
        );
        assert_eq!(parsed.replace.len(), 3);
        assert_eq!(
            parsed.replacement("golang.org/x/net", "v0.20.0"),
            Some(&module("golang.org/x/net", "v0.21.0"))
        );
        assert_eq!(
            parsed.replacement("github.com/a/b", "v1.2.3"),
            Some(&Replacement::Dir("./third_party/b".into()))
        );
        assert_eq!(parsed.replacement("github.com/a/b", "v1.2.4"), None);
        assert_eq!(
            parsed.replacement("golang.org/x/text", "v0.14.0"),
            Some(&module(
                "example.com/fork/text",
                "v0.14.1-0.20240101000000-0123456789ab"
            ))
        );
    }

    #[test]
    fn a_version_specific_replace_wins_over_a_wildcard_one() {
        let parsed = go_mod(
            "module m\nreplace a => b v1.0.0\nreplace a v0.1.0 => ../a\nreplace a v0.2.0 => C:\\src\\a\n",
        )
        .unwrap();
        assert_eq!(
            parsed.replacement("a", "v0.1.0"),
            Some(&Replacement::Dir("../a".into()))
        );
        assert_eq!(
            parsed.replacement("a", "v0.2.0"),
            Some(&Replacement::Dir("C:\\src\\a".into()))
        );
        assert_eq!(
            parsed.replacement("a", "v9.0.0"),
            Some(&module("b", "v1.0.0"))
        );
        assert_eq!(parsed.replacement("b", "v1.0.0"), None);
    }

    #[test]
    fn malformed_go_mod_lines_are_refused_with_file_and_line() {
        let cases = [
            ("module m\nrequire a\n", "line 2: usage: require"),
            ("module m\nrequire a 1.2.3\n", "line 2: usage: require"),
            (
                "module m\n\nrequire (\n a v1.0.0 extra\n)\n",
                "line 4: usage: require",
            ),
            (
                "module m\nrequire (\n a v1.0.0\n",
                "line 2: the `require (` block is never closed",
            ),
            (
                "module m\nreplace a => b\n",
                "line 2: replacement module b without version",
            ),
            (
                "module m\nreplace a => ./b v1.0.0\n",
                "line 2: replacement directory ./b",
            ),
            (
                "module m\nreplace a v1.0.0 b v1.1.0\n",
                "line 2: usage: replace",
            ),
            (
                "module m\nrequires a v1.0.0\n",
                "line 2: unknown directive `requires`",
            ),
            ("module \"m\n", "line 1: unterminated quoted string"),
            (
                "module m\nrequire (\n a v1.0.0\n) x\n",
                "line 4: unexpected `x` after `)`",
            ),
            ("go 1.22\n", "no `module` directive"),
        ];
        for (text, expected) in cases {
            let err = go_mod(text).unwrap_err().to_string();
            assert!(err.starts_with("invalid go.mod in /p/go.mod: "), "{err}");
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        // Control: the same shapes, well formed, parse.
        assert!(go_mod("module m\nrequire (\n a v1.0.0\n)\nreplace a => ./b\n").is_ok());
    }

    #[test]
    fn go_sum_keeps_module_zip_hashes_and_refuses_malformed_lines() {
        let path = Path::new("/p/go.sum");
        let sums = parse_go_sum(
            "github.com/a/b v1.2.3 h1:AAAA=\n\
             github.com/a/b v1.2.3/go.mod h1:BBBB=\n\
             \n\
             github.com/c/d v0.1.0/go.mod h1:CCCC=\n\
             github.com/e/f v0.2.0 h2:future=\n",
            path,
        )
        .unwrap();
        assert_eq!(
            sums.get(&("github.com/a/b".to_string(), "v1.2.3".to_string())),
            Some(&vec!["h1:AAAA=".to_string()])
        );
        // Only a go.mod hash, or only an unknown algorithm: no zip hash.
        assert_eq!(sums.len(), 1, "{sums:?}");
        let err = parse_go_sum("a v1.0.0 h1:AA=\na v1.0.0\n", path)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid go.sum in /p/go.sum: line 2: 2 fields, expected `<module> <version>[/go.mod] <hash>`"
        );
    }

    #[test]
    fn modules_txt_as_go_mod_vendor_writes_it() {
        let txt = modules_txt(
            "## workspace\n\
             # example.com/old v1.0.0 => example.com/new v1.1.0\n\
             ## explicit; go 1.18\n\
             example.com/old\n\
             example.com/old/sub\n\
             # example.com/local v0.0.0-00010101000000-000000000000 => ./local\n\
             ## explicit\n\
             example.com/local\n\
             # golang.org/x/sys v0.16.0\n\
             ## go 1.18\n\
             golang.org/x/sys/unix\n\
             # example.com/unused v1.0.0\n\
             ## explicit; go 1.21\n\
             # example.com/old => example.com/new v1.1.0\n",
        )
        .unwrap();
        assert!(txt.workspace);
        let m = &txt.modules;
        assert_eq!(m.len(), 5);
        assert_eq!(m[0].path, "example.com/old");
        assert_eq!(m[0].version.as_deref(), Some("v1.0.0"));
        assert_eq!(m[0].replacement, Some(module("example.com/new", "v1.1.0")));
        assert!(m[0].explicit);
        assert_eq!(
            m[0].packages,
            vec!["example.com/old", "example.com/old/sub"]
        );
        assert_eq!(m[1].replacement, Some(Replacement::Dir("./local".into())));
        assert!(!m[2].explicit, "`## go 1.18` alone is not explicit");
        assert_eq!(m[2].packages, vec!["golang.org/x/sys/unix"]);
        assert!(m[3].explicit && m[3].packages.is_empty());
        assert_eq!(m[4].version, None);
        assert_eq!(m[4].replacement, Some(module("example.com/new", "v1.1.0")));
        assert!(!modules_txt("# a v1.0.0\na\n").unwrap().workspace);
    }

    #[test]
    fn malformed_modules_txt_lines_are_refused_with_file_and_line() {
        let cases = [
            ("# a\n", "line 1: `# a` is not `# <module> <version>"),
            ("# a v1.0.0 b\n", "line 1: `# a v1.0.0 b` is not"),
            (
                "# a v1.0.0 =>\n",
                "line 1: `# a v1.0.0 =>` has no replacement",
            ),
            (
                "# a v1.0.0 => b c\n",
                "line 1: `# a v1.0.0 => b c` has no replacement",
            ),
            ("a/pkg\n", "line 1: package a/pkg does not follow"),
            (
                "# a v1.0.0\nab/pkg\n",
                "line 2: package ab/pkg is not in module a",
            ),
            ("# a => b v1.0.0\na\n", "line 2: package a does not follow"),
            ("# a v1.0.0\na b\n", "line 2: `a b` is not one package path"),
            (
                "## explicit\n# a v1.0.0\n",
                "line 1: `## explicit` before any module line",
            ),
        ];
        for (text, expected) in cases {
            let err = modules_txt(text).unwrap_err().to_string();
            assert!(
                err.starts_with("invalid vendor/modules.txt in /p/vendor/modules.txt: "),
                "{err}"
            );
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn purls_and_proxy_uris() {
        assert_eq!(
            purl("github.com/BurntSushi/toml", "v1.3.2").unwrap(),
            "pkg:golang/github.com/burntsushi/toml@v1.3.2"
        );
        assert_eq!(
            purl("github.com/docker/docker", "v24.0.7+incompatible").unwrap(),
            "pkg:golang/github.com/docker/docker@v24.0.7%2Bincompatible"
        );
        assert_eq!(
            proxy_uri("github.com/BurntSushi/toml", "v1.3.2"),
            "https://proxy.golang.org/github.com/!burnt!sushi/toml/@v/v1.3.2.zip"
        );
    }

    #[test]
    fn nested_modules_keep_their_own_files() {
        let all = vec![
            "LICENSE".to_string(),
            "http2/h2.go".to_string(),
            "websocket/ws.go".to_string(),
            "websocketx/x.go".to_string(),
        ];
        let roots = [
            "golang.org/x/net",
            "golang.org/x/net/websocket",
            "golang.org/x/netx",
        ];
        assert_eq!(
            own_files("golang.org/x/net", all, &roots),
            vec!["LICENSE", "http2/h2.go", "websocketx/x.go"]
        );
    }

    /// A project vendoring `a` (with packages `a` and `a/sub`) and `b`.
    fn project(d: &Path) {
        std::fs::write(
            d.join("go.mod"),
            "module m\n\ngo 1.22\n\nrequire (\n\ta v1.0.0\n\tb v2.0.0 // indirect\n)\n",
        )
        .unwrap();
        std::fs::write(
            d.join("go.sum"),
            "a v1.0.0 h1:AAAA=\na v1.0.0/go.mod h1:aaaa=\nb v2.0.0 h1:BBBB=\n",
        )
        .unwrap();
        std::fs::create_dir_all(d.join("vendor/a/sub")).unwrap();
        std::fs::create_dir_all(d.join("vendor/b")).unwrap();
        std::fs::write(d.join("vendor/a/a.go"), "package a\n").unwrap();
        std::fs::write(d.join("vendor/a/sub/sub.go"), "package sub\n").unwrap();
        std::fs::write(d.join("vendor/b/b.go"), "package b\n").unwrap();
        std::fs::write(
            d.join("vendor/modules.txt"),
            "# a v1.0.0\n## explicit; go 1.21\na\na/sub\n# b v2.0.0\n## explicit; go 1.21\nb\n",
        )
        .unwrap();
    }

    fn status_of<'a>(inputs: &'a [Input], name: &str) -> &'a Match {
        &inputs.iter().find(|i| i.name == name).unwrap().status
    }

    fn reason_of(inputs: &[Input], name: &str) -> String {
        match status_of(inputs, name) {
            Match::Mismatch { reason } => reason.clone(),
            other => panic!("{name} is {other:?}"),
        }
    }

    #[test]
    fn vendored_modules_are_checked_against_go_mod_and_go_sum() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        project(d);
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(inputs.len(), 2);
        for input in &inputs {
            assert_eq!(input.status, Match::Match, "{input:?}");
        }
        assert_eq!(inputs[0].declared.as_deref(), Some("h1:AAAA="));
        assert_eq!(inputs[0].path.as_deref(), Some("vendor/a"));
        assert_eq!(inputs[0].uri, "https://proxy.golang.org/a/@v/v1.0.0.zip");

        // A package directory goes missing.
        std::fs::remove_dir_all(d.join("vendor/a/sub")).unwrap();
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(
            reason_of(&inputs, "a"),
            "vendor/a/sub is missing, vendor/modules.txt lists package a/sub of a"
        );
        assert_eq!(status_of(&inputs, "b"), &Match::Match);
        // The whole module directory goes missing.
        std::fs::remove_dir_all(d.join("vendor/b")).unwrap();
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(
            reason_of(&inputs, "b"),
            "vendor/b is missing, vendor/modules.txt lists its packages"
        );
        assert_eq!(inputs[1].observed, None);
    }

    #[test]
    fn go_mod_requirements_must_be_vendored_and_explicit_modules_required() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        project(d);
        std::fs::write(
            d.join("go.mod"),
            "module m\nrequire (\n\ta v1.0.0\n\tc v0.1.0\n)\n",
        )
        .unwrap();
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(inputs.len(), 3);
        assert_eq!(status_of(&inputs, "a"), &Match::Match);
        assert_eq!(
            reason_of(&inputs, "b"),
            "vendor/modules.txt marks b v2.0.0 explicit, go.mod does not require it"
        );
        assert_eq!(
            reason_of(&inputs, "c"),
            "go.mod requires c v0.1.0, vendor/modules.txt does not list it"
        );
    }

    #[test]
    fn replacements_must_agree_between_go_mod_and_modules_txt() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        project(d);
        let txt = "# a v1.0.0 => f v1.0.1\n## explicit\na\na/sub\n# b v2.0.0\n## explicit\nb\n";
        std::fs::write(d.join("vendor/modules.txt"), txt).unwrap();
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(
            reason_of(&inputs, "a"),
            "a v1.0.0: vendor/modules.txt replaces it by f v1.0.1, go.mod does not replace it"
        );
        let go_mod = "module m\nrequire (\n\ta v1.0.0\n\tb v2.0.0\n)\nreplace a => f v1.0.1\n";
        std::fs::write(d.join("go.mod"), go_mod).unwrap();
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        // Agreed, but go.sum has no hash of the replacement.
        assert_eq!(reason_of(&inputs, "a"), "f v1.0.1 has no h1 hash in go.sum");
        let a = inputs.iter().find(|i| i.name == "a").unwrap();
        assert_eq!(a.purl, "pkg:golang/f@v1.0.1");
        std::fs::write(d.join("go.sum"), "f v1.0.1 h1:FFFF=\nb v2.0.0 h1:BBBB=\n").unwrap();
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(status_of(&inputs, "a"), &Match::Match);
        assert_eq!(inputs[0].declared.as_deref(), Some("h1:FFFF="));
    }

    #[test]
    fn a_module_replaced_by_an_absolute_directory_outside_is_provided() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        project(d);
        let debian = "/usr/share/gocode/src/a";
        let txt =
            format!("# a v1.0.0 => {debian}\n## explicit\na\na/sub\n# b v2.0.0\n## explicit\nb\n");
        std::fs::write(d.join("vendor/modules.txt"), &txt).unwrap();
        let go_mod = "module m\nrequire (\n\ta v1.0.0\n\tb v2.0.0\n)\n";
        // Consistent in go.mod and modules.txt (a version replace, as
        // `vouch unbundle --write` writes it, and lexically normalised).
        std::fs::write(
            d.join("go.mod"),
            format!("{go_mod}replace a v1.0.0 => /usr/share/gocode/src/x/../a\n"),
        )
        .unwrap();
        std::fs::write(
            d.join("vendor/modules.txt"),
            txt.replace(debian, "/usr/share/gocode/src/x/../a"),
        )
        .unwrap();
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        let a = &inputs[0];
        assert_eq!(a.status, Match::NotVendored, "{a:?}");
        assert_eq!(a.provided.as_deref(), Some(debian));
        assert_eq!(a.path.as_deref(), Some("vendor/a"));
        assert_eq!(a.purl, "pkg:golang/a@v1.0.0");
        assert_eq!(a.uri, "https://proxy.golang.org/a/@v/v1.0.0.zip");
        // go.sum's h1 is the upstream zip's, not the distribution's files'.
        assert_eq!((a.declared.as_deref(), a.observed.as_deref()), (None, None));
        assert_eq!(status_of(&inputs, "b"), &Match::Match);

        // go.mod does not say it: inconsistent, not provided.
        std::fs::write(d.join("vendor/modules.txt"), &txt).unwrap();
        std::fs::write(d.join("go.mod"), go_mod).unwrap();
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(
            reason_of(&inputs, "a"),
            format!(
                "a v1.0.0: vendor/modules.txt replaces it by {debian}, go.mod does not replace it"
            )
        );
        assert_eq!(inputs[0].provided, None);

        // A relative directory, or an absolute one inside the project:
        // the project's own code, flagged as today.
        let inside = d.join("third_party/a").display().to_string();
        for local in ["../a", inside.as_str()] {
            std::fs::write(d.join("vendor/modules.txt"), txt.replace(debian, local)).unwrap();
            std::fs::write(d.join("go.mod"), format!("{go_mod}replace a => {local}\n")).unwrap();
            let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
            assert!(
                reason_of(&inputs, "a")
                    .contains(&format!("replaced by the local directory {local}")),
                "{inputs:?}"
            );
            assert_eq!(inputs[0].provided, None);
        }

        // The vendored copy a symbolic link out of the project: refused.
        std::fs::write(d.join("vendor/modules.txt"), &txt).unwrap();
        std::fs::write(
            d.join("go.mod"),
            format!("{go_mod}replace a v1.0.0 => {debian}\n"),
        )
        .unwrap();
        std::fs::remove_dir_all(d.join("vendor/a")).unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(outside.path().join("sub")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.join("vendor/a")).unwrap();
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        assert!(matches!(status_of(&inputs, "a"), Match::Mismatch { .. }));
        assert_eq!(inputs[0].provided, None);
    }

    #[test]
    fn without_vendor_every_requirement_is_not_vendored_and_local_ones_are_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("go.mod"),
            "module m\nrequire (\n\ta v1.0.0\n\tb v2.0.0\n)\nreplace b => ../b\n",
        )
        .unwrap();
        std::fs::write(d.join("go.sum"), "a v1.0.0 h1:AAAA=\n").unwrap();
        let inputs = Go.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(inputs[0].status, Match::NotVendored);
        assert_eq!(inputs[0].declared.as_deref(), Some("h1:AAAA="));
        assert_eq!(inputs[0].observed, None);
        assert!(reason_of(&inputs, "b").contains("replaced by the local directory ../b in go.mod"));
        assert_eq!(inputs[1].uri, "");
    }

    #[test]
    fn module_paths_may_not_leave_the_tree_and_workspaces_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        project(d);
        std::fs::write(
            d.join("vendor/modules.txt"),
            "# ../../etc v1.0.0\n## explicit\n../../etc\n",
        )
        .unwrap();
        let err = Go.discover(&Root::new(d).unwrap()).unwrap_err().to_string();
        assert!(err.contains("contains `..`"), "{err}");
        std::fs::write(
            d.join("vendor/modules.txt"),
            "## workspace\n# a v1.0.0\na\n",
        )
        .unwrap();
        let err = Go.discover(&Root::new(d).unwrap()).unwrap_err().to_string();
        assert!(err.contains("go work vendor"), "{err}");
    }
}
