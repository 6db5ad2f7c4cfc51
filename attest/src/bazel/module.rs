//! `MODULE.bazel` files, read as Bazel reads them but never run: the
//! directives that say which modules, archives and extension pins a build
//! takes, and Bazel's version order.
//!
//! Read: `module(name, version, compatibility_level)`; `bazel_dep(name,
//! version, repo_name, dev_dependency)`; `single_version_override(module_name,
//! version, registry, patches, patch_strip)`; `multiple_version_override(
//! module_name, versions, registry)`; `archive_override(module_name, urls |
//! url, integrity, strip_prefix, patches, patch_strip)`;
//! `git_override(module_name, remote, commit)`; `local_path_override(
//! module_name, path)`; `include(label)` (Bazel 7.2+); `x = use_extension(bzl,
//! name, dev_dependency)` and every tag called on `x` (`x.module(...)`).
//! Other calls (`use_repo`, `register_toolchains`, repository rules) are
//! accepted and, here, ignored: `http_archive` calls are pins that the
//! WORKSPACE reader reads from the same files.
//!
//! Refused, with the file and line: a statement Bazel refuses (anything but
//! calls and assignments), a directive whose name or version is not a
//! literal string, a second `module()`, two overrides of one module, an
//! `include` of a label that is not in the main repository or that leaves
//! the project, and a value of the wrong type where Bazel checks types.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Component, Path};

use super::starlark::{self, Statement, Value};
use crate::{Error, Result};

/// The file name of a module file, and the suffix an included one must
/// have.
pub(crate) const MODULE_FILE: &str = "MODULE.bazel";

/// One `bazel_dep`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dep {
    /// The module depended on.
    pub name: String,
    /// The version asked for; empty when not given (an override must say).
    pub version: String,
    /// `dev_dependency = True`: ignored unless this is the root module.
    pub dev: bool,
    /// `file:line`.
    pub at: String,
}

/// An override of one module, as the root module declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Override {
    /// `single_version_override`: one version, a registry, patches.
    SingleVersion {
        /// The version every dependency on the module is pinned to; empty
        /// when the override only patches.
        version: String,
        /// Another registry to take the module from.
        registry: Option<String>,
        /// Patch labels, as written.
        patches: Vec<String>,
    },
    /// `multiple_version_override`: these versions may coexist.
    MultipleVersion {
        /// The allowed versions.
        versions: Vec<String>,
    },
    /// `archive_override`: the module's source is this archive.
    Archive {
        /// Its URLs (`urls` and `url`).
        urls: Vec<String>,
        /// Its SRI `integrity`, if given.
        integrity: Option<String>,
        /// Patch labels, as written.
        patches: Vec<String>,
    },
    /// `git_override`: a commit of a git repository.
    Git {
        /// `remote`.
        remote: String,
        /// `commit`; empty when the override names a tag or branch instead.
        commit: String,
    },
    /// `local_path_override`: a directory.
    LocalPath {
        /// `path`, as written.
        path: String,
    },
}

impl Override {
    /// Whether the module's source still comes from a registry.
    pub(crate) fn is_registry(&self) -> bool {
        matches!(
            self,
            Override::SingleVersion { .. } | Override::MultipleVersion { .. }
        )
    }
}

/// One tag of a module extension: `go_deps.module(path = ..., ...)`.
#[derive(Debug, Clone)]
pub(crate) struct Tag {
    /// The `.bzl` file of the extension, as written in `use_extension`.
    pub bzl: String,
    /// The extension's name (`go_deps`, `crate`, `pip`).
    pub extension: String,
    /// The tag (`module`, `from_file`, `from_cargo`, `parse`).
    pub tag: String,
    /// Its keyword arguments.
    pub kwargs: Vec<(String, Value)>,
    /// `file:line`.
    pub at: String,
}

/// What one module's `MODULE.bazel` (with the files it includes) declares.
#[derive(Debug, Clone, Default)]
pub(crate) struct ModuleFile {
    /// `module(name = ...)`.
    pub name: Option<String>,
    /// `module(version = ...)`.
    pub version: String,
    /// Every `bazel_dep`, in order.
    pub deps: Vec<Dep>,
    /// Overrides by module name, with where each is declared.
    pub overrides: BTreeMap<String, (Override, String)>,
    /// Extension tags, in order.
    pub tags: Vec<Tag>,
    /// Included files, as root-relative paths, with where each is included.
    pub includes: Vec<(String, String)>,
}

/// Whether `name` is a module name Bazel accepts:
/// `[a-z]([a-z0-9._-]*[a-z0-9])?`.
fn valid_module_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    matches!(bytes.first(), Some(b'a'..=b'z'))
        && matches!(bytes.last(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes
            .iter()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
}

/// Checks a module version as Bazel spells them (empty, or
/// `RELEASE[-PRERELEASE][+BUILD]` of letters, digits, `_` and
/// `.`-separated non-empty identifiers); the error says why not.
fn check_version(version: &str) -> std::result::Result<(), &'static str> {
    if version.is_empty() {
        return Ok(());
    }
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (release, prerelease) = match rest.split_once('-') {
        Some((release, pre)) => (release, Some(pre)),
        None => (rest, None),
    };
    let identifiers_ok = |part: &str, dash: bool| {
        part.split('.').all(|id| {
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || (dash && b == b'-'))
        })
    };
    if identifiers_ok(release, false)
        && prerelease.is_none_or(|p| identifiers_ok(p, true))
        && build.is_none_or(|b| identifiers_ok(b, true))
    {
        Ok(())
    } else {
        Err("is not a Bazel module version (letters, digits and `_` in `.`-separated identifiers, `-` and `+` parts)")
    }
}

/// The error for `file` at `line`.
fn invalid(file: &str, line: usize, reason: impl Into<String>) -> Error {
    Error::Invalid {
        what: "MODULE.bazel",
        path: file.to_string(),
        reason: format!("line {line}: {}", reason.into()),
    }
}

/// Looks a keyword argument up.
fn kwarg<'v>(statement: &'v Statement, key: &str) -> Option<&'v Value> {
    statement
        .kwargs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Reads one module file's `text` (`file`, its root-relative path or a
/// registry file's name, names it in messages) into `into`. `root_module`
/// says whether it is the root module's, which alone may `include` and
/// override.
pub(crate) fn read(text: &str, file: &str, root_module: bool, into: &mut ModuleFile) -> Result<()> {
    let statements = starlark::statements(text).map_err(|e| invalid(file, e.line, e.message))?;
    let mut proxies: BTreeMap<String, (String, String)> = BTreeMap::new();
    for s in &statements {
        let line = s.line;
        let at = format!("{file}:{line}");
        let err = |reason: String| invalid(file, line, reason);
        if let Some(why) = &s.splat {
            return Err(err(format!("a call with {why}, which vouch cannot read")));
        }
        let string = |key: &str, required: bool| -> Result<Option<String>> {
            match kwarg(s, key) {
                Some(Value::Str(v)) => Ok(Some(v.clone())),
                Some(Value::None) | None if !required => Ok(None),
                None => Err(err(format!("`{}` needs `{key}`", s.callee.join(".")))),
                Some(other) => Err(err(format!(
                    "`{key}` of `{}` is {}, not a literal string",
                    s.callee.join("."),
                    other.describe()
                ))),
            }
        };
        let boolean = |key: &str| -> Result<bool> {
            match kwarg(s, key) {
                None => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(other) => Err(err(format!("`{key}` is {}, not a bool", other.describe()))),
            }
        };
        let strings = |key: &str| -> Result<Vec<String>> {
            match kwarg(s, key) {
                None | Some(Value::None) => Ok(Vec::new()),
                Some(Value::List(items) | Value::Tuple(items)) => items
                    .iter()
                    .map(|item| match item {
                        Value::Str(v) => Ok(v.clone()),
                        other => Err(err(format!(
                            "`{key}` holds {}, not a literal string",
                            other.describe()
                        ))),
                    })
                    .collect(),
                Some(other) => Err(err(format!(
                    "`{key}` is {}, not a list of strings",
                    other.describe()
                ))),
            }
        };
        // Names and versions become registry paths
        // (`modules/<name>/<version>/source.json`): only what Bazel itself
        // accepts gets that far.
        let name = |key: &str, required: bool| -> Result<Option<String>> {
            let value = string(key, required)?;
            match value.as_deref() {
                Some(v) if (required || !v.is_empty()) && !valid_module_name(v) => Err(err(
                    format!("`{key}` {v:?} is not a Bazel module name ([a-z][a-z0-9._-]*)"),
                )),
                _ => Ok(value),
            }
        };
        let version = |key: &str| -> Result<String> {
            let v = string(key, false)?.unwrap_or_default();
            check_version(&v).map_err(|why| err(format!("`{key}` {v:?} {why}")))?;
            Ok(v)
        };
        let callee: Vec<&str> = s.callee.iter().map(String::as_str).collect();
        match callee.as_slice() {
            ["module"] => {
                if into.name.is_some() {
                    return Err(err("a second `module()`".into()));
                }
                into.name = Some(name("name", false)?.unwrap_or_default());
                into.version = version("version")?;
                // Read for its shape only: vouch does not check
                // compatibility levels.
                if let Some(other) =
                    kwarg(s, "compatibility_level").filter(|level| !matches!(level, Value::Int(_)))
                {
                    return Err(err(format!(
                        "`compatibility_level` is {}, not an integer",
                        other.describe()
                    )));
                }
            }
            ["bazel_dep"] => {
                string("repo_name", false)?; // its shape only
                into.deps.push(Dep {
                    name: name("name", true)?.unwrap_or_default(),
                    version: version("version")?,
                    dev: boolean("dev_dependency")?,
                    at,
                })
            }
            [kind @ ("single_version_override"
            | "multiple_version_override"
            | "archive_override"
            | "git_override"
            | "local_path_override")] => {
                if !root_module {
                    continue; // Bazel ignores overrides of non-root modules
                }
                let name = name("module_name", true)?.unwrap_or_default();
                let value = match *kind {
                    "single_version_override" => Override::SingleVersion {
                        version: version("version")?,
                        registry: string("registry", false)?,
                        patches: strings("patches")?,
                    },
                    "multiple_version_override" => {
                        let versions = strings("versions")?;
                        for v in &versions {
                            check_version(v)
                                .map_err(|why| err(format!("`versions` {v:?} {why}")))?;
                        }
                        Override::MultipleVersion { versions }
                    }
                    "archive_override" => {
                        let mut urls = match kwarg(s, "urls") {
                            // `urls` may be one string.
                            Some(Value::Str(url)) => vec![url.clone()],
                            _ => strings("urls")?,
                        };
                        urls.extend(string("url", false)?);
                        string("strip_prefix", false)?; // its shape only
                        Override::Archive {
                            urls,
                            integrity: string("integrity", false)?,
                            patches: strings("patches")?,
                        }
                    }
                    "git_override" => Override::Git {
                        remote: string("remote", true)?.unwrap_or_default(),
                        commit: string("commit", false)?.unwrap_or_default(),
                    },
                    _ => Override::LocalPath {
                        path: string("path", true)?.unwrap_or_default(),
                    },
                };
                if let Some((_, first)) = into.overrides.get(&name) {
                    return Err(err(format!(
                        "a second override of module {name:?} (the first is at {first})"
                    )));
                }
                into.overrides.insert(name, (value, at));
            }
            ["include"] => {
                if !root_module {
                    return Err(err("`include` is only allowed in the root module".into()));
                }
                let label = match s.positional.as_slice() {
                    [Value::Str(label)] => label.clone(),
                    _ => string("label", true)?.unwrap_or_default(),
                };
                into.includes.push((include_path(&label).map_err(err)?, at));
            }
            ["use_extension"] => {
                let Some(proxy) = &s.assigned else {
                    continue;
                };
                let positional: Vec<Option<&str>> = s
                    .positional
                    .iter()
                    .map(|v| match v {
                        Value::Str(text) => Some(text.as_str()),
                        _ => None,
                    })
                    .collect();
                let bzl = match positional.first() {
                    Some(Some(bzl)) => bzl.to_string(),
                    _ => string("extension_bzl_file", true)?.unwrap_or_default(),
                };
                let name = match positional.get(1) {
                    Some(Some(name)) => name.to_string(),
                    _ => string("extension_name", true)?.unwrap_or_default(),
                };
                proxies.insert(proxy.clone(), (bzl, name));
            }
            [proxy, tag] => {
                let Some((bzl, extension)) = proxies.get(*proxy) else {
                    continue;
                };
                into.tags.push(Tag {
                    bzl: bzl.clone(),
                    extension: extension.clone(),
                    tag: (*tag).to_string(),
                    kwargs: s.kwargs.clone(),
                    at,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The root-relative path of a file `include`d by the root module: a label
/// of the main repository (`//pkg:file.MODULE.bazel`, `:file.MODULE.bazel`)
/// whose name ends in `.MODULE.bazel`, and which stays inside the project.
pub(crate) fn include_path(label: &str) -> Result<String, String> {
    let main = label
        .strip_prefix("@@//")
        .or_else(|| label.strip_prefix("@//"))
        .or_else(|| label.strip_prefix("//"));
    let body = match (main, label.strip_prefix(':')) {
        (Some(body), _) => body.to_string(),
        (None, Some(target)) => format!(":{target}"),
        (None, None) => {
            return Err(format!(
                "include({label:?}): only a label of the main repository (`//pkg:file`) can \
                 be included"
            ))
        }
    };
    let path = match body.split_once(':') {
        Some(("", target)) => target.to_string(),
        Some((package, target)) => format!("{package}/{target}"),
        None => {
            let last = body.rsplit('/').next().unwrap_or(&body);
            format!("{body}/{last}")
        }
    };
    if !path.ends_with(".MODULE.bazel") {
        return Err(format!(
            "include({label:?}): an included file's name must end in `.MODULE.bazel`"
        ));
    }
    label_inside(label, &path)?;
    Ok(path)
}

/// Refuses a path from `label` that is empty, absolute or climbs with
/// `..`: it would leave the project.
pub(crate) fn label_inside(label: &str, path: &str) -> Result<(), String> {
    let safe = !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if safe {
        Ok(())
    } else {
        Err(format!(
            "{label:?} names {path:?}, which leaves the project: vouch reads only inside it"
        ))
    }
}

/// The root-relative path of a file label of the main repository
/// (`//:go.mod`, `@//python:requirements.txt`, `:x`); `Ok(None)` for a
/// label of another repository, which is not in the project; an error for
/// one that would leave the project.
pub(crate) fn file_label(label: &str) -> Result<Option<String>, String> {
    let main = label
        .strip_prefix("@@//")
        .or_else(|| label.strip_prefix("@//"))
        .or_else(|| label.strip_prefix("//"));
    let body = match main {
        Some(body) => body,
        None if label.starts_with('@') => return Ok(None),
        None => label.strip_prefix(':').unwrap_or(label),
    };
    let path = match body.split_once(':') {
        Some(("", target)) => target.to_string(),
        Some((package, target)) => format!("{package}/{target}"),
        None if main.is_some() => {
            let last = body.rsplit('/').next().unwrap_or(body);
            format!("{body}/{last}")
        }
        None => body.to_string(),
    };
    label_inside(label, &path)?;
    Ok(Some(path))
}

// ------------------------------------------------------------ versions --

/// One identifier of a version: digits compare as numbers and sort before
/// letters, as in Bazel's `Version`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identifier(String);

impl Identifier {
    fn digits(&self) -> bool {
        !self.0.is_empty() && self.0.bytes().all(|b| b.is_ascii_digit())
    }
}

impl Ord for Identifier {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.digits(), other.digits()) {
            (true, true) => {
                let a = self.0.trim_start_matches('0');
                let b = other.0.trim_start_matches('0');
                a.len().cmp(&b.len()).then_with(|| a.cmp(b))
            }
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => self.0.cmp(&other.0),
        }
    }
}

impl PartialOrd for Identifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two module versions as Bazel does
/// (`com.google.devtools.build.lib.bazel.bzlmod.Version`): the empty version
/// (a non-registry override) is highest; then the release part
/// (dot-separated identifiers, compared in turn, a prefix lower); then a
/// version without a prerelease (`-rc1`) above one with, prereleases
/// compared likewise; build metadata (`+...`) is ignored.
pub(crate) fn compare_versions(a: &str, b: &str) -> Ordering {
    fn split(v: &str) -> (Vec<Identifier>, Option<Vec<Identifier>>) {
        let v = v.split('+').next().unwrap_or(v);
        let (release, pre) = match v.split_once('-') {
            Some((release, pre)) => (release, Some(pre)),
            None => (v, None),
        };
        let ids = |s: &str| s.split('.').map(|p| Identifier(p.to_string())).collect();
        (ids(release), pre.map(ids))
    }
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (ra, pa) = split(a);
    let (rb, pb) = split(b);
    ra.cmp(&rb).then_with(|| match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(&y),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ModuleFile> {
        let mut m = ModuleFile::default();
        read(text, "MODULE.bazel", true, &mut m).map(|()| m)
    }

    #[test]
    fn every_directive_is_read() {
        let m = parse(
            "\"\"\"doc\"\"\"\n\
             module(name = \"root\", version = \"1.0\", compatibility_level = 2)\n\
             V = \"1.3.1\"\n\
             bazel_dep(name = \"zlib\", version = V)\n\
             bazel_dep(name = \"rules_go\", version = \"0.50.0\", repo_name = \"io_bazel_rules_go\")\n\
             bazel_dep(name = \"gtest\", version = \"1.15\", dev_dependency = True)\n\
             single_version_override(module_name = \"zlib\", version = \"1.3.1.bcr.1\", patches = [\"//:z.patch\"], patch_strip = 1)\n\
             multiple_version_override(module_name = \"abseil\", versions = [\"1\", \"2\"])\n\
             archive_override(module_name = \"a\", urls = [\"https://e.com/a.tgz\"], integrity = \"sha256-x\", strip_prefix = \"a-1\", patches = [\":p.patch\"])\n\
             git_override(module_name = \"g\", remote = \"https://e.com/g.git\", commit = \"abc\")\n\
             local_path_override(module_name = \"l\", path = \"third_party/l\")\n\
             include(\"//bazel:deps.MODULE.bazel\")\n\
             go_deps = use_extension(\"@gazelle//:extensions.bzl\", \"go_deps\", dev_dependency = True)\n\
             go_deps.module(path = \"example.com/m\", version = \"v1.0.0\", sum = \"h1:abc=\")\n\
             use_repo(go_deps, \"com_example_m\")\n\
             register_toolchains(\"//:all\")\n",
        )
        .unwrap();
        assert_eq!(m.name.as_deref(), Some("root"));
        assert_eq!(m.deps.len(), 3);
        assert_eq!(m.deps[0].version, "1.3.1");
        assert_eq!(m.deps[0].at, "MODULE.bazel:4");
        assert!(m.deps[2].dev && !m.deps[1].dev);
        assert_eq!(
            m.overrides["zlib"].0,
            Override::SingleVersion {
                version: "1.3.1.bcr.1".into(),
                registry: None,
                patches: vec!["//:z.patch".into()]
            }
        );
        assert!(
            matches!(&m.overrides["abseil"].0, Override::MultipleVersion { versions } if versions.len() == 2)
        );
        assert_eq!(
            m.overrides["a"].0,
            Override::Archive {
                urls: vec!["https://e.com/a.tgz".into()],
                integrity: Some("sha256-x".into()),
                patches: vec![":p.patch".into()]
            }
        );
        assert!(matches!(&m.overrides["g"].0, Override::Git { commit, .. } if commit == "abc"));
        assert!(
            matches!(&m.overrides["l"].0, Override::LocalPath { path } if path == "third_party/l")
        );
        assert_eq!(
            m.includes,
            vec![(
                "bazel/deps.MODULE.bazel".to_string(),
                "MODULE.bazel:12".to_string()
            )]
        );
        assert_eq!(m.tags.len(), 1);
        assert_eq!(m.tags[0].extension, "go_deps");
        assert_eq!(m.tags[0].tag, "module");
        assert_eq!(m.tags[0].at, "MODULE.bazel:14");
    }

    #[test]
    fn malformed_files_are_refused_with_the_line() {
        for (text, needle) in [
            ("bazel_dep(name = \"a\", version = \"1\")\nif x:\n  pass\n", "line 2:"),
            ("def f():\n  pass\n", "line 1: `def` is not allowed"),
            ("bazel_dep(name = NAME)\n", "line 1: `name` of `bazel_dep` is `NAME`"),
            ("bazel_dep(version = \"1\")\n", "line 1: `bazel_dep` needs `name`"),
            ("module(name = \"a\")\nmodule(name = \"b\")\n", "line 2: a second `module()`"),
            (
                "git_override(module_name = \"a\", remote = \"r\")\nlocal_path_override(module_name = \"a\", path = \"p\")\n",
                "line 2: a second override of module \"a\" (the first is at MODULE.bazel:1)",
            ),
            ("bazel_dep(name = \"a\", dev_dependency = \"yes\")\n", "not a bool"),
            ("bazel_dep(**KW)\n", "which vouch cannot read"),
            ("bazel_dep(name = \"a\"\n", "line 1: the `(` opened here is never closed"),
            ("include(\"@other//:x.MODULE.bazel\")\n", "only a label of the main repository"),
            ("include(\"//:x.bzl\")\n", "must end in `.MODULE.bazel`"),
            ("include(\"//../up:x.MODULE.bazel\")\n", "leaves the project"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(
                e.contains("invalid MODULE.bazel in MODULE.bazel") && e.contains(needle),
                "{text:?}: {e}"
            );
        }
        // A non-root module may not include; its overrides are ignored.
        let mut m = ModuleFile::default();
        let e = read("include(\"//:a.MODULE.bazel\")\n", "reg", false, &mut m).unwrap_err();
        assert!(
            e.to_string().contains("only allowed in the root module"),
            "{e}"
        );
        read(
            "git_override(module_name = \"a\", remote = \"r\")\n",
            "reg",
            false,
            &mut m,
        )
        .unwrap();
        assert!(m.overrides.is_empty());
    }

    #[test]
    fn archive_override_urls_may_be_one_string() {
        let m = parse(
            "archive_override(module_name = \"b\", urls = \"https://e.com/b.tgz\", url = \"https://m.com/b.tgz\")\n",
        )
        .unwrap();
        assert!(
            matches!(&m.overrides["b"].0, Override::Archive { urls, integrity: None, .. }
            if urls == &["https://e.com/b.tgz", "https://m.com/b.tgz"])
        );
    }

    #[test]
    fn expression_statements_are_read_for_their_syntax() {
        // rules_java's registry MODULE.bazel registers toolchains in a
        // comprehension; Bazel accepts it.
        let m = parse(
            "JDKS = [\"11\", \"17\"]\n\
             [register_toolchains(\"@remotejdk\" + v + \"//:all\") for v in JDKS]\n\
             bazel_dep(name = \"a\", version = \"1\")\n",
        )
        .unwrap();
        assert_eq!(m.deps.len(), 1);
        let e = parse("[x for x in]\n").unwrap_err().to_string();
        assert!(e.contains("line 1: expected an expression"), "{e}");
    }

    /// Names and versions become registry paths: an empty name (found by
    /// the `bzlmod` fuzz target) or one that climbs out of the registry
    /// is refused with its line, as Bazel refuses it.
    #[test]
    fn module_names_and_versions_are_bazels_issue_18() {
        for bad in [
            "bazel_dep(name = \"\")\n",
            "bazel_dep(name = \"../../etc\", version = \"1\")\n",
            "bazel_dep(name = \"Zlib\", version = \"1\")\n",
            "bazel_dep(name = \"zlib\", version = \"../1\")\n",
            "bazel_dep(name = \"zlib\", version = \"1..2\")\n",
            "bazel_dep(name = \"zlib\", version = \"1/2\")\n",
            "single_version_override(module_name = \"a/b\", version = \"1\")\n",
            "multiple_version_override(module_name = \"a\", versions = [\"1\", \"..\"])\n",
            "module(name = \"x/y\")\n",
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(
                e.contains("line 1") && e.contains("Bazel module"),
                "{bad}: {e}"
            );
        }
        for good in [
            "module(name = \"\")\n",
            "bazel_dep(name = \"abseil-cpp\", version = \"20240116.1\")\n",
            "bazel_dep(name = \"zlib\", version = \"1.3.1.bcr.5\")\n",
            "bazel_dep(name = \"boringssl\", version = \"0.0.0-20240530-2db0eb3\")\n",
            "bazel_dep(name = \"protobuf\", version = \"29.0-rc2+build.1\")\n",
            "bazel_dep(name = \"rules_rust\")\n",
        ] {
            assert!(parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn no_truncation_of_real_files_panics() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/projects");
        for file in [
            "bzlmod-engflow/MODULE.bazel",
            "bzlmod-examples/MODULE.bazel",
            "bzlmod-examples/registry-mirror/bcr.bazel.build/modules/rules_java/7.1.0/MODULE.bazel",
        ] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            assert!(parse(&text).is_ok(), "{file}");
            for end in (0..text.len())
                .step_by(5)
                .filter(|i| text.is_char_boundary(*i))
            {
                let _ = parse(&text[..end]);
            }
        }
        let lock = std::fs::read_to_string(dir.join("bzlmod-examples/MODULE.bazel.lock")).unwrap();
        for end in (0..lock.len())
            .step_by(97)
            .filter(|i| lock.is_char_boundary(*i))
        {
            assert!(super::super::lockfile::parse(&lock[..end], "lock").is_err());
        }
        assert!(super::super::lockfile::parse(&lock, "lock").is_ok());
    }

    #[test]
    fn labels_are_paths_inside_the_project() {
        assert_eq!(file_label("//:go.mod").unwrap().as_deref(), Some("go.mod"));
        assert_eq!(
            file_label("@//python:requirements_lock.txt")
                .unwrap()
                .as_deref(),
            Some("python/requirements_lock.txt")
        );
        assert_eq!(file_label("@@//a/b").unwrap().as_deref(), Some("a/b/b"));
        assert_eq!(file_label("@rules_x//:Cargo.lock").unwrap(), None);
        assert!(file_label("//../../etc:passwd")
            .unwrap_err()
            .contains("leaves the project"));
        assert!(file_label("///etc:passwd").is_err());
        assert_eq!(
            include_path(":deps.MODULE.bazel").unwrap(),
            "deps.MODULE.bazel"
        );
        assert!(include_path("//a/..:x.MODULE.bazel").is_err());
    }

    #[test]
    fn versions_compare_as_bazel_does() {
        use Ordering::*;
        for (a, b, want) in [
            ("1.2.3", "1.2.3", Equal),
            ("1.10", "1.9", Greater),
            ("1.2", "1.2.0", Less),
            ("1.2.3-rc1", "1.2.3", Less),
            ("1.2.3-rc.2", "1.2.3-rc.10", Less),
            ("1.2.3-rc2", "1.2.3-rc10", Greater),
            ("1.3.1.bcr.1", "1.3.1", Greater),
            ("1.3.1.bcr.2", "1.3.1.bcr.10", Less),
            ("20240116.1", "20230802.0.bcr.1", Greater),
            ("", "99", Greater),
            ("1.0+build", "1.0", Equal),
            ("1.a", "1.1", Greater),
            ("007", "7", Equal),
        ] {
            assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
        }
    }
}
