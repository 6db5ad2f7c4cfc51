//! Discovering a project's inputs as `vouch inputs`, `sbom`, `attest` and
//! `vulns` all do: every ecosystem, classified by the criticality rules
//! the flags name.

use std::path::Path;

use anyhow::{Context, Result};
use vouch_attest::critical::{self, Rules, PROJECT_FILE};
use vouch_attest::{Input, Match, Root};

use crate::args::{CriticalArgs, DiscoveryArgs};

/// Discovers the inputs of `dir` and marks the critical ones. Returns them
/// with the names of the rule sources in force, for the provenance.
pub fn discover_classified(
    dir: &Path,
    discovery: &DiscoveryArgs,
) -> Result<(Vec<Input>, Vec<String>)> {
    let critical = &discovery.critical;
    let root = Root::new(dir)
        .with_context(|| format!("cannot discover the inputs of {}", dir.display()))?
        .with_max_file_bytes(discovery.max_file_bytes);
    let (rules, sources) = rules(critical, Some(&root))?;
    let mut inputs = vouch_attest::discover(&root)
        .with_context(|| format!("cannot discover the inputs of {}", dir.display()))?;
    critical::classify(&mut inputs, &[&rules]);
    Ok((inputs, sources))
}

/// The rules in force and the names of their sources: the shipped ones
/// (unless left out), the project's vouch.critical.yaml when there is a
/// project, and the `--critical-rules` files.
fn rules(critical: &CriticalArgs, project: Option<&Root>) -> Result<(Rules, Vec<String>)> {
    let (mut rules, mut sources) = base_rules(critical)?;
    if let Some(root) = project {
        rules.add_project(root)?;
        if root.has(PROJECT_FILE) {
            sources.push(PROJECT_FILE.into());
        }
    }
    for file in &critical.files {
        rules.add_file(file)?;
        sources.push(file.display().to_string());
    }
    Ok((rules, sources))
}

/// The shipped rules (unless left out) and the sources in force.
fn base_rules(critical: &CriticalArgs) -> Result<(Rules, Vec<String>)> {
    if critical.no_default_critical_rules {
        Ok((Rules::empty(), Vec::new()))
    } else {
        Ok((
            Rules::shipped()?,
            vec!["policies/critical.yaml (shipped)".into()],
        ))
    }
}

/// Marks the critical OS packages of an image by the same rules as the
/// project's inputs: the shipped ones (their system-libraries rule), the
/// project's vouch.critical.yaml when `project` names one (`vouch attest`),
/// and the `--critical-rules` files.
pub fn classify_os(
    inputs: &mut [Input],
    discovery: &DiscoveryArgs,
    project: Option<&Path>,
) -> Result<()> {
    let root = match project {
        Some(dir) => Some(
            Root::new(dir)
                .with_context(|| format!("cannot read the criticality rules of {}", dir.display()))?
                .with_max_file_bytes(discovery.max_file_bytes),
        ),
        None => None,
    };
    let (rules, _) = rules(&discovery.critical, root.as_ref())?;
    critical::classify(inputs, &[&rules]);
    Ok(())
}

/// The inputs that do not match their declarations, one line each (for a
/// [`Listed`] error, which shows each escaped).
pub fn mismatches(inputs: &[Input]) -> Vec<String> {
    inputs
        .iter()
        .filter_map(|i| match &i.status {
            Match::Mismatch { reason } => Some(format!(
                "{} {} ({}): {reason}",
                i.name, i.version, i.ecosystem
            )),
            _ => None,
        })
        .collect()
}
