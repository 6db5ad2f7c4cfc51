//! `vouch inputs`: every vendored or pinned input of a project, declared
//! against observed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use vouch_evidence::text::Escaped;

use crate::args::{AptArgs, DiscoveryArgs, Output, OutputArgs};
use crate::discovery::{discover_classified, mismatches};
use crate::outcome::Listed;
use crate::term::{self, note};

/// Arguments of `vouch inputs`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  vouch inputs .\n  vouch inputs path/to/project --output json")]
pub struct Args {
    /// The project directory: its Cargo.lock, go.mod/go.sum/vendor/modules.txt,
    /// package-lock.json, yarn.lock (with .yarn/cache), pnpm-lock.yaml,
    /// requirements.txt, poetry.lock, uv.lock, Pipfile.lock (with a
    /// wheelhouse and .venv), Gemfile.lock (with vendor/cache and
    /// vendor/bundle), Bazel WORKSPACE/.bzl files, MODULE.bazel and
    /// MODULE.bazel.lock (with registry-mirror/), and vouch.inputs.yaml are
    /// read, with what they vendor or install.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
    /// Exit 0 even when a vendored input does not match its declaration.
    #[arg(long)]
    allow_mismatch: bool,
    #[command(flatten)]
    discovery: DiscoveryArgs,
    /// Where an input provided by a distribution package (a `[patch]`
    /// onto its installed files) is traced to its signed archive.
    #[command(flatten)]
    apt: AptArgs,
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
    let (mut inputs, _) = discover_classified(&args.dir, &args.discovery)?;
    crate::custody::verify(&mut inputs, &args.dir, &args.apt, jiff::Timestamp::now())?;
    match args.output.output {
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
    let provided = inputs.iter().filter(|i| i.distribution.is_some()).count();
    let vendored = inputs
        .iter()
        .filter(|i| i.observed.is_some() && i.distribution.is_none())
        .count();
    let critical = inputs.iter().filter(|i| i.is_critical()).count();
    let provided = match provided {
        0 => String::new(),
        n => format!(", {n} provided by the distribution (chain of custody verified)"),
    };
    note!(
        "{} inputs, {vendored} vendored and checked{provided}, {} mismatched, {critical} critical",
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
