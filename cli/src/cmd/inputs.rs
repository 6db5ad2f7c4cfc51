//! `vouch inputs`: every vendored or pinned input of a project, declared
//! against observed.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vouch_attest::critical::{self, Rules, PROJECT_FILE};
use vouch_attest::{Input, Match, Root};
use vouch_evidence::text::Escaped;

use super::tree::Output;
use crate::term::{self, note};
use crate::Listed;

/// Arguments of `vouch inputs`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  vouch inputs .\n  vouch inputs path/to/project --output json")]
pub struct Args {
    /// The project directory: its Cargo.lock, go.mod/go.sum/vendor/modules.txt,
    /// package-lock.json, requirements.txt, Bazel WORKSPACE/MODULE.bazel/.bzl
    /// files and vouch.inputs.yaml are read, with what they vendor.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Exit 0 even when a vendored input does not match its declaration.
    #[arg(long)]
    allow_mismatch: bool,
    #[command(flatten)]
    critical: CriticalArgs,
    #[command(flatten)]
    discovery: DiscoveryArgs,
}

/// How the project tree is read; shared by the commands that discover
/// inputs.
#[derive(clap::Args, Clone)]
pub struct DiscoveryArgs {
    /// The largest vendored file hashed, in bytes (default 4 GiB, above
    /// any real source archive). A larger one (a sparse 100 GB file, say)
    /// is an error naming it, at once, instead of minutes of hashing.
    #[arg(long, value_name = "BYTES", default_value_t = vouch_attest::tree::DEFAULT_MAX_FILE_BYTES)]
    pub max_file_bytes: u64,
}

/// Which criticality rules classify the inputs; shared by the commands
/// that discover them.
#[derive(clap::Args)]
pub struct CriticalArgs {
    /// More criticality rules (YAML, the schema of policies/critical.yaml;
    /// repeatable). They extend the shipped rules and the project's
    /// vouch.critical.yaml.
    #[arg(long = "critical-rules", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Leave out the shipped rules (policies/critical.yaml): only the
    /// project's vouch.critical.yaml and --critical-rules files apply.
    #[arg(long)]
    no_default_critical_rules: bool,
}

/// Discovers the inputs of `dir` and marks the critical ones. Returns them
/// with the names of the rule sources in force, for the provenance.
pub fn discover_classified(
    dir: &Path,
    critical: &CriticalArgs,
    discovery: &DiscoveryArgs,
) -> Result<(Vec<Input>, Vec<String>)> {
    let root = Root::new(dir)
        .with_context(|| format!("cannot discover the inputs of {}", dir.display()))?
        .with_max_file_bytes(discovery.max_file_bytes);
    let mut rules = if critical.no_default_critical_rules {
        Rules::empty()
    } else {
        Rules::shipped()?
    };
    let mut sources: Vec<String> = Vec::new();
    if !critical.no_default_critical_rules {
        sources.push("policies/critical.yaml (shipped)".into());
    }
    rules.add_project(&root)?;
    if root.has(PROJECT_FILE) {
        sources.push(PROJECT_FILE.into());
    }
    for file in &critical.files {
        rules.add_file(file)?;
        sources.push(file.display().to_string());
    }
    let mut inputs = vouch_attest::discover(&root)
        .with_context(|| format!("cannot discover the inputs of {}", dir.display()))?;
    critical::classify(&mut inputs, &[&rules]);
    Ok((inputs, sources))
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

fn short(digest: Option<&str>) -> String {
    match digest {
        // Past the `algorithm:` (or SRI `algorithm-`) prefix.
        Some(d) => d
            .split_once([':', '-'])
            .map_or(d, |(_, v)| v)
            .chars()
            .take(12)
            .collect(),
        None => "-".into(),
    }
}

/// Discovers, prints, and fails on a mismatch unless allowed.
pub fn run(args: Args) -> Result<()> {
    let (inputs, _) = discover_classified(&args.dir, &args.critical, &args.discovery)?;
    match args.output {
        Output::Json => writeln!(
            term::data_stdout(),
            "{}",
            serde_json::to_string_pretty(&inputs)?
        )?,
        Output::Table => {
            let mut out = term::text_stdout();
            writeln!(
                out,
                "{:<32} {:<16} {:<9} {:<12} {:<12} {:<12} CRITICAL",
                "NAME", "VERSION", "ECOSYSTEM", "DECLARED", "OBSERVED", "MATCH"
            )?;
            for i in &inputs {
                // The rule name, before its `: reason`; `-` for normal.
                let critical = match i.critical.as_slice() {
                    [] => "-".to_string(),
                    reasons => reasons
                        .iter()
                        .map(|r| r.split_once(": ").map_or(r.as_str(), |(name, _)| name))
                        .collect::<Vec<_>>()
                        .join(","),
                };
                writeln!(
                    out,
                    "{:<32} {:<16} {:<9} {:<12} {:<12} {:<12} {critical}",
                    Escaped(&i.name),
                    Escaped(&i.version),
                    i.ecosystem,
                    Escaped(short(i.declared.as_deref())),
                    Escaped(short(i.observed.as_deref())),
                    i.status.word(),
                    critical = Escaped(critical)
                )?;
            }
        }
    }
    let mismatches = mismatches(&inputs);
    let vendored = inputs.iter().filter(|i| i.observed.is_some()).count();
    let critical = inputs.iter().filter(|i| i.is_critical()).count();
    note!(
        "{} inputs, {vendored} vendored and checked, {} mismatched, {critical} critical",
        inputs.len(),
        mismatches.len()
    );
    if !mismatches.is_empty() && !args.allow_mismatch {
        return Err(Listed {
            head: "vendored inputs do not match their declarations".into(),
            items: mismatches,
        }
        .into());
    }
    Ok(())
}
