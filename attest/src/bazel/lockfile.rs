//! `MODULE.bazel.lock`: the hashes of the registry files Bazel read while
//! resolving the module graph, and, in the old format, the graph itself.
//!
//! Read from every version that has them: `lockFileVersion` (an integer),
//! `registryFileHashes` (Bazel 7.2 and later: registry file URL to the
//! SHA-256 hex of its content, or `null`/`"not found"` for a file Bazel
//! looked for and did not find), `selectedYankedVersions` (`name@version`
//! to the yank reason, for versions the user allowed), and `moduleDepGraph`
//! (the older format of Bazel 6 and early 7: every module of the resolved
//! graph with the repository spec Bazel fetches it by).
//! `moduleExtensions` is kept as JSON for the extension readers. Every
//! other field is ignored; a file that is not a JSON object, or a known
//! field of the wrong shape, is refused naming the file.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{Error, Result};

/// What vouch reads of a lockfile.
#[derive(Debug, Default)]
pub(crate) struct Lockfile {
    /// `registryFileHashes`: URL to SHA-256 hex; `None` for a file Bazel
    /// recorded as absent.
    pub registry_file_hashes: BTreeMap<String, Option<String>>,
    /// `selectedYankedVersions`: `name@version` to why it was yanked.
    pub selected_yanked: BTreeMap<String, String>,
    /// `moduleDepGraph` (old lockfiles): `name@version` to the module.
    pub dep_graph: BTreeMap<String, GraphModule>,
    /// `moduleExtensions`, as JSON.
    pub module_extensions: serde_json::Map<String, serde_json::Value>,
}

/// One module of an old lockfile's `moduleDepGraph`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphModule {
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its version.
    #[serde(default)]
    pub version: String,
    /// How Bazel fetches it.
    #[serde(default)]
    pub repo_spec: Option<RepoSpec>,
}

/// A repository spec: the rule and its attributes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RepoSpec {
    /// The rule's name (`http_archive`).
    #[serde(default)]
    pub rule_class_name: String,
    /// Its attributes, as JSON.
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// The raw file: only the fields vouch reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    lock_file_version: i64,
    #[serde(default)]
    registry_file_hashes: BTreeMap<String, Option<String>>,
    #[serde(default)]
    selected_yanked_versions: BTreeMap<String, String>,
    #[serde(default)]
    module_dep_graph: BTreeMap<String, GraphModule>,
    #[serde(default)]
    module_extensions: serde_json::Map<String, serde_json::Value>,
}

/// Parses a lockfile's `text` (`path` names it in errors).
pub(crate) fn parse(text: &str, path: &str) -> Result<Lockfile> {
    let invalid = |reason: String| Error::Invalid {
        what: "MODULE.bazel.lock",
        path: path.to_string(),
        reason,
    };
    let raw: Raw = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let mut hashes = BTreeMap::new();
    for (url, hash) in raw.registry_file_hashes {
        let hash = match hash {
            None => None,
            Some(h) if h == "not found" => None,
            Some(h) => {
                let lower = h.to_ascii_lowercase();
                if lower.len() != 64 || !lower.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid(format!(
                        "registryFileHashes[{url:?}] is {h:?}, not a SHA-256 in hex"
                    )));
                }
                Some(lower)
            }
        };
        hashes.insert(url, hash);
    }
    if raw.lock_file_version < 1 {
        return Err(invalid(format!(
            "lockFileVersion {} is not a version Bazel writes",
            raw.lock_file_version
        )));
    }
    Ok(Lockfile {
        registry_file_hashes: hashes,
        selected_yanked: raw.selected_yanked_versions,
        dep_graph: raw
            .module_dep_graph
            .into_iter()
            .filter(|(key, _)| key != "<root>")
            .collect(),
        module_extensions: raw.module_extensions,
    })
}

impl Lockfile {
    /// The registries whose files the lockfile records, in the order their
    /// URLs first appear (the prefix before `/modules/` or
    /// `/bazel_registry.json`).
    pub(crate) fn registries(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for url in self.registry_file_hashes.keys() {
            let base = url
                .split_once("/modules/")
                .map(|(b, _)| b)
                .or_else(|| url.strip_suffix("/bazel_registry.json"));
            if let Some(base) = base {
                if !out.iter().any(|r| r == base) {
                    out.push(base.to_string());
                }
            }
        }
        out
    }

    /// Every `(registry, name, version)` whose `file` (`MODULE.bazel`,
    /// `source.json`) the lockfile records with a hash.
    pub(crate) fn recorded(&self, file: &str) -> Vec<(String, String, String)> {
        self.registry_file_hashes
            .iter()
            .filter(|(_, hash)| hash.is_some())
            .filter_map(|(url, _)| {
                let (registry, rest) = url.split_once("/modules/")?;
                let mut parts = rest.split('/');
                let (name, version, last) = (parts.next()?, parts.next()?, parts.next()?);
                (last == file && parts.next().is_none())
                    .then(|| (registry.to_string(), name.to_string(), version.to_string()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "8a28e4aff06ee60aed2a8c281907fb8bcbf3b753c91fb5a5c57da3215d5b3497";

    #[test]
    fn reads_hashes_yanked_and_the_old_graph() {
        let text = format!(
            r#"{{"lockFileVersion": 13,
               "registryFileHashes": {{
                 "https://bcr.bazel.build/bazel_registry.json": "{H}",
                 "https://bcr.bazel.build/modules/zlib/1.3.1/MODULE.bazel": "{H}",
                 "https://bcr.bazel.build/modules/zlib/1.3.1/source.json": "{H}",
                 "https://bcr.bazel.build/modules/zlib/1.2/source.json": null,
                 "https://example.com/reg/modules/envoy/1.0/MODULE.bazel": "not found"
               }},
               "selectedYankedVersions": {{"a@1.0": "CVE"}},
               "moduleExtensions": {{}}
            }}"#
        );
        let lock = parse(&text, "MODULE.bazel.lock").unwrap();
        assert_eq!(
            lock.registries(),
            vec!["https://bcr.bazel.build", "https://example.com/reg"]
        );
        assert_eq!(
            lock.recorded("source.json"),
            vec![(
                "https://bcr.bazel.build".to_string(),
                "zlib".to_string(),
                "1.3.1".to_string()
            )]
        );
        assert_eq!(lock.selected_yanked["a@1.0"], "CVE");

        let old = r#"{"lockFileVersion": 3, "moduleDepGraph": {
            "<root>": {"name": "r", "version": ""},
            "zlib@1.3": {"name": "zlib", "version": "1.3", "repoSpec": {
               "ruleClassName": "http_archive",
               "attributes": {"urls": ["https://e.com/z.tgz"], "integrity": "sha256-x"}}}}}"#;
        let lock = parse(old, "MODULE.bazel.lock").unwrap();
        assert_eq!(lock.dep_graph.len(), 1);
        let zlib = &lock.dep_graph["zlib@1.3"];
        assert_eq!(
            zlib.repo_spec.as_ref().unwrap().rule_class_name,
            "http_archive"
        );
    }

    #[test]
    fn malformed_lockfiles_are_refused() {
        for (text, needle) in [
            ("[]", "invalid length 0"),
            ("3", "invalid type"),
            ("{}", "missing field `lockFileVersion`"),
            (
                r#"{"lockFileVersion": 13, "registryFileHashes": {"u": "abc"}}"#,
                "registryFileHashes[\"u\"] is \"abc\", not a SHA-256",
            ),
            (
                r#"{"lockFileVersion": 13, "registryFileHashes": []}"#,
                "invalid type",
            ),
        ] {
            let e = parse(text, "MODULE.bazel.lock").unwrap_err().to_string();
            assert!(
                e.contains("invalid MODULE.bazel.lock in MODULE.bazel.lock") && e.contains(needle),
                "{text}: {e}"
            );
        }
    }
}
