//! Criticality: which inputs are held to stricter rules, and why.
//!
//! The hybrid approach: most vendored inputs are "normal", but some are
//! critical because of what they are (TLS, compression, protocol and data
//! parsers, regex engines), because of where they sit (Envoy's
//! `use_category` `dataplane_core` / `controlplane`: code handling
//! untrusted input), or because the project says so. Rules live in YAML;
//! the shipped set is `policies/critical.yaml`, embedded in the binary and
//! documented there, and a project extends it with its own
//! [`PROJECT_FILE`].
//!
//! Each source of reasons is a [`Signal`]. The rules are one; the
//! vulnerability history of an input (a poor security record) plugs in as
//! another through the same trait, without touching discovery or the rules.

use std::path::Path;

use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::Deserialize;

use crate::tree::{parser_message, read_metadata, Root};
use crate::{Error, Input, Result};

/// The project's own criticality file, at its root: more rules and an
/// explicit list of critical inputs.
pub const PROJECT_FILE: &str = "vouch.critical.yaml";

/// The shipped rules, `policies/critical.yaml`.
const SHIPPED: &str = include_str!("../../policies/critical.yaml");

const API_VERSION: &str = "vouch.dev/v1alpha1";
const KIND: &str = "CriticalityRules";

/// A source of criticality reasons for an input. The rules are one; the
/// vulnerability-history signal is meant to be another.
pub trait Signal {
    /// Why `input` is critical, one reason per match; empty when it is not.
    fn reasons(&self, input: &Input) -> Vec<String>;
}

/// Adds every signal's reasons to each input's `critical` list, without
/// duplicates. Inputs no signal marks stay normal.
pub fn classify(inputs: &mut [Input], signals: &[&dyn Signal]) {
    for input in inputs.iter_mut() {
        for signal in signals {
            for reason in signal.reasons(input) {
                if !input.critical.contains(&reason) {
                    input.critical.push(reason);
                }
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RulesFile {
    api_version: String,
    kind: String,
    #[serde(default)]
    rules: Vec<RuleWire>,
    #[serde(default)]
    inputs: Vec<ExplicitWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleWire {
    name: String,
    reason: String,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    purls: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    ecosystems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplicitWire {
    name: String,
    #[serde(default)]
    ecosystem: Option<String>,
    #[serde(default)]
    version: Option<String>,
    reason: String,
}

/// One compiled rule.
struct Rule {
    name: String,
    reason: String,
    names: Vec<GlobMatcher>,
    purls: Vec<GlobMatcher>,
    categories: Vec<GlobMatcher>,
    ecosystems: Vec<String>,
}

impl Rule {
    fn matches(&self, input: &Input) -> bool {
        if !self.ecosystems.is_empty() && !self.ecosystems.iter().any(|e| e == input.ecosystem) {
            return false;
        }
        let name = input.name.to_lowercase();
        // An OS package matches by its binary or its source package name
        // (`libssl3` and `openssl`).
        let source = input.os.as_ref().map(|o| o.source_name.to_lowercase());
        self.names
            .iter()
            .any(|g| g.is_match(&name) || source.as_ref().is_some_and(|s| g.is_match(s)))
            || self.purls.iter().any(|g| g.is_match(&input.purl))
            || input
                .categories
                .iter()
                .any(|c| self.categories.iter().any(|g| g.is_match(c)))
    }
}

/// One entry of an explicit list.
struct Explicit {
    name: String,
    ecosystem: Option<String>,
    version: Option<String>,
    reason: String,
    source: String,
}

/// A validated set of criticality rules and explicit entries, from one or
/// more files. Built only by parsing, so every glob in it compiled.
pub struct Rules {
    rules: Vec<Rule>,
    explicit: Vec<Explicit>,
}

fn compile(
    source: &str,
    rule: &str,
    field: &str,
    pattern: &str,
    lower: bool,
) -> Result<GlobMatcher> {
    let invalid = |reason: String| Error::Invalid {
        what: "criticality rule",
        path: source.to_string(),
        reason: format!("rule {rule:?} {field} pattern {pattern:?}: {reason}"),
    };
    if pattern.is_empty() {
        return Err(invalid("is empty".into()));
    }
    let pattern = if lower {
        pattern.to_lowercase()
    } else {
        pattern.to_string()
    };
    // Whole-string match; `*` crosses `/` (Go module paths, purls).
    let glob: Glob = GlobBuilder::new(&pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map_err(|e| invalid(e.kind().to_string()))?;
    Ok(glob.compile_matcher())
}

impl Rules {
    /// No rules at all: every input is normal.
    pub fn empty() -> Self {
        Rules {
            rules: Vec::new(),
            explicit: Vec::new(),
        }
    }

    /// The shipped rules, `policies/critical.yaml`.
    pub fn shipped() -> Result<Self> {
        let mut rules = Rules::empty();
        rules.add_yaml(SHIPPED, "policies/critical.yaml (shipped)")?;
        Ok(rules)
    }

    /// Adds the rules and explicit entries of one YAML document; `source`
    /// names it in errors. Unknown fields, a wrong `kind`, an empty rule and
    /// a bad glob are errors naming the file (and line, for YAML errors).
    pub fn add_yaml(&mut self, text: &str, source: &str) -> Result<()> {
        let invalid = |reason: String| Error::Invalid {
            what: "criticality rules",
            path: source.to_string(),
            reason,
        };
        let file: RulesFile =
            serde_norway::from_str(text).map_err(|e| invalid(parser_message(&e)))?;
        if file.api_version != API_VERSION || file.kind != KIND {
            return Err(invalid(format!(
                "apiVersion/kind is {}/{}, expected {API_VERSION}/{KIND}",
                file.api_version, file.kind
            )));
        }
        for wire in file.rules {
            if wire.name.is_empty() || wire.reason.is_empty() {
                return Err(invalid("a rule needs a `name` and a `reason`".into()));
            }
            if wire.names.is_empty() && wire.purls.is_empty() && wire.categories.is_empty() {
                return Err(invalid(format!(
                    "rule {:?} has no `names`, `purls` or `categories`: it would match nothing",
                    wire.name
                )));
            }
            let globs =
                |field: &str, patterns: &[String], lower: bool| -> Result<Vec<GlobMatcher>> {
                    patterns
                        .iter()
                        .map(|p| compile(source, &wire.name, field, p, lower))
                        .collect()
                };
            self.rules.push(Rule {
                names: globs("names", &wire.names, true)?,
                purls: globs("purls", &wire.purls, false)?,
                categories: globs("categories", &wire.categories, false)?,
                ecosystems: wire.ecosystems,
                name: wire.name,
                reason: wire.reason,
            });
        }
        for wire in file.inputs {
            if wire.name.is_empty() || wire.reason.is_empty() {
                return Err(invalid(
                    "an `inputs` entry needs a `name` and a `reason`".into(),
                ));
            }
            self.explicit.push(Explicit {
                name: wire.name,
                ecosystem: wire.ecosystem,
                version: wire.version,
                reason: wire.reason,
                source: source.to_string(),
            });
        }
        Ok(())
    }

    /// Adds a rules file from disk (read capped).
    pub fn add_file(&mut self, path: &Path) -> Result<()> {
        let text = read_metadata(path, "criticality rules")?;
        self.add_yaml(&text, &path.display().to_string())
    }

    /// Adds the project's [`PROJECT_FILE`] when there is one, read
    /// through the root: inside the project, a regular file.
    pub fn add_project(&mut self, root: &Root) -> Result<()> {
        let path = root.path().join(PROJECT_FILE);
        if root.has(PROJECT_FILE) {
            let text = root.read_metadata(&path, "criticality rules")?;
            self.add_yaml(&text, &path.display().to_string())?;
        }
        Ok(())
    }
}

impl Signal for Rules {
    fn reasons(&self, input: &Input) -> Vec<String> {
        let by_rule = self
            .rules
            .iter()
            .filter(|r| r.matches(input))
            .map(|r| format!("{}: {}", r.name, r.reason));
        let listed = self
            .explicit
            .iter()
            .filter(|e| {
                e.name == input.name
                    && e.ecosystem.as_deref().is_none_or(|x| x == input.ecosystem)
                    && e.version.as_deref().is_none_or(|v| v == input.version)
            })
            .map(|e| format!("explicit: {} (listed in {})", e.reason, e.source));
        by_rule.chain(listed).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(ecosystem: &'static str, name: &str, categories: &[&str]) -> Input {
        let mut i = Input::declared(
            ecosystem,
            name,
            "1.0.0",
            format!("pkg:{ecosystem}/{name}@1.0.0"),
            "https://example.com",
        );
        i.categories = categories.iter().map(|c| c.to_string()).collect();
        i
    }

    fn reasons(rules: &Rules, i: &Input) -> Vec<String> {
        rules.reasons(i)
    }

    #[test]
    fn shipped_rules_mark_system_and_parser_libraries_and_leave_the_rest_normal() {
        let rules = Rules::shipped().unwrap();
        for (eco, name) in [
            ("cargo", "ring"),
            ("cargo", "libz-sys"),
            ("bazel", "com_github_madler_zlib"),
            ("bazel", "com_github_nghttp2_nghttp2"),
            ("bazel", "com_googlesource_code_re2"),
            ("npm", "js-yaml"),
            ("go", "golang.org/x/net"),
            ("go", "gopkg.in/yaml.v3"),
            ("pip", "PyYAML"),
            ("generic", "OpenSSL"),
        ] {
            assert!(
                !reasons(&rules, &input(eco, name, &[])).is_empty(),
                "{eco} {name}"
            );
        }
        for (eco, name) in [
            ("cargo", "anyhow"),
            ("npm", "left-pad"),
            ("cargo", "ringbuf"),
        ] {
            assert!(
                reasons(&rules, &input(eco, name, &[])).is_empty(),
                "{eco} {name}"
            );
        }
        let dataplane = input("bazel", "com_github_foo", &["dataplane_core"]);
        let r = reasons(&rules, &dataplane);
        assert_eq!(r.len(), 1);
        assert!(r[0].starts_with("envoy-untrusted-input:"), "{r:?}");
        assert!(reasons(&rules, &input("bazel", "com_github_foo", &["test_only"])).is_empty());
    }

    #[test]
    fn project_rules_extend_with_an_explicit_list_and_ecosystem_restriction() {
        let mut rules = Rules::empty();
        rules
            .add_yaml(
                "apiVersion: vouch.dev/v1alpha1\nkind: CriticalityRules\n\
                 rules:\n  - name: ours\n    reason: parses uploads\n    names: [uploader*]\n    ecosystems: [npm]\n\
                 inputs:\n  - name: libfoo\n    version: '2.0'\n    reason: signs releases\n",
                "vouch.critical.yaml",
            )
            .unwrap();
        assert_eq!(rules.reasons(&input("npm", "uploader-core", &[])).len(), 1);
        assert!(rules
            .reasons(&input("cargo", "uploader-core", &[]))
            .is_empty());
        let mut foo = input("generic", "libfoo", &[]);
        assert!(
            rules.reasons(&foo).is_empty(),
            "version 1.0.0 is not listed"
        );
        foo.version = "2.0".into();
        assert_eq!(
            rules.reasons(&foo),
            ["explicit: signs releases (listed in vouch.critical.yaml)"]
        );
    }

    #[test]
    fn classify_adds_each_reason_once() {
        let rules = Rules::shipped().unwrap();
        let mut inputs = vec![input("cargo", "ring", &[]), input("cargo", "anyhow", &[])];
        classify(&mut inputs, &[&rules, &rules]);
        assert_eq!(inputs[0].critical.len(), 1);
        assert!(inputs[0].is_critical());
        assert!(!inputs[1].is_critical());
    }

    #[test]
    fn bad_rules_are_errors_naming_the_problem() {
        let head = "apiVersion: vouch.dev/v1alpha1\nkind: CriticalityRules\n";
        for (body, needle) in [
            (
                "rules:\n  - name: x\n    reason: y\n    names: ['[z']\n",
                "pattern \"[z\"",
            ),
            (
                "rules:\n  - name: x\n    reason: y\n",
                "would match nothing",
            ),
            (
                "rules:\n  - name: x\n    reason: y\n    nmes: [a]\n",
                "unknown field `nmes`",
            ),
            ("inputs:\n  - name: x\n", "missing field `reason`"),
        ] {
            let err = Rules::empty()
                .add_yaml(&format!("{head}{body}"), "rules.yaml")
                .err()
                .unwrap()
                .to_string();
            assert!(err.contains("rules.yaml") && err.contains(needle), "{err}");
        }
        let err = Rules::empty()
            .add_yaml("apiVersion: v1\nkind: ImagePolicy\n", "p.yaml")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("expected vouch.dev/v1alpha1/CriticalityRules"),
            "{err}"
        );
    }
}
