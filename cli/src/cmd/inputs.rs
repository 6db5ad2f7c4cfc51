//! `vouch inputs`: every vendored or pinned input of a project, declared
//! against observed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use vouch_attest::Match;

use super::tree::Output;

/// Arguments of `vouch inputs`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  vouch inputs .\n  vouch inputs path/to/project --output json")]
pub struct Args {
    /// The project directory: its Cargo.lock, package-lock.json,
    /// requirements.txt and vouch.inputs.yaml are read, with what they vendor.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Exit 0 even when a vendored input does not match its declaration.
    #[arg(long)]
    allow_mismatch: bool,
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
    let inputs = vouch_attest::discover(&args.dir)
        .with_context(|| format!("cannot discover the inputs of {}", args.dir.display()))?;
    let mut out = std::io::stdout().lock();
    match args.output {
        Output::Json => writeln!(out, "{}", serde_json::to_string_pretty(&inputs)?)?,
        Output::Table => {
            writeln!(
                out,
                "{:<32} {:<16} {:<9} {:<12} {:<12} MATCH",
                "NAME", "VERSION", "ECOSYSTEM", "DECLARED", "OBSERVED"
            )?;
            for i in &inputs {
                writeln!(
                    out,
                    "{:<32} {:<16} {:<9} {:<12} {:<12} {}",
                    i.name,
                    i.version,
                    i.ecosystem,
                    short(i.declared.as_deref()),
                    short(i.observed.as_deref()),
                    i.status.word()
                )?;
            }
        }
    }
    let mismatches: Vec<String> = inputs
        .iter()
        .filter_map(|i| match &i.status {
            Match::Mismatch { reason } => Some(format!(
                "{} {} ({}): {reason}",
                i.name, i.version, i.ecosystem
            )),
            _ => None,
        })
        .collect();
    let vendored = inputs.iter().filter(|i| i.observed.is_some()).count();
    eprintln!(
        "{} inputs, {vendored} vendored and checked, {} mismatched",
        inputs.len(),
        mismatches.len()
    );
    if !mismatches.is_empty() && !args.allow_mismatch {
        bail!(
            "vendored inputs do not match their declarations:\n  {}",
            mismatches.join("\n  ")
        );
    }
    Ok(())
}
