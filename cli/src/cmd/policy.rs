//! `vouch policy check FILE|DIR...`: validates admission policies before
//! they are used, and shows what each one requires.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};

/// Work with admission policies (`kind: ImagePolicy`).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Validate policy files or directories; print what each policy requires.
    ///
    /// Every `.yaml` and `.yml` file of a directory is read (in any case),
    /// with a warning for each other file; `kind: CriticalityRules`
    /// documents are skipped. Exit status 0 when
    /// all are valid, 1 otherwise, with each error's file and line.
    Check(CheckArgs),
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Policy files or directories.
    #[arg(required = true, value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
}

/// Runs `vouch policy ...`.
pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> Result<()> {
    let mut out = crate::term::text_stdout();
    let mut failed = 0usize;
    for path in &args.paths {
        match vouch_load::policy::load(path) {
            Ok(set) => {
                crate::judge::warn_ignored(&set);
                for policy in &set.policies {
                    write!(out, "{policy}")?;
                }
                for (file, kind) in &set.skipped {
                    writeln!(
                        out,
                        "skipped {} (kind: {})",
                        file.display(),
                        vouch_evidence::text::Escaped(kind)
                    )?;
                }
                writeln!(out, "{}: valid, version {}", path.display(), set.version)?;
            }
            Err(err) => {
                failed += 1;
                // Each invalid path is reported; the summary goes through main.
                out.flush()?;
                // One line, as `main` prints errors.
                writeln!(
                    crate::term::text_stderr(),
                    "vouch: error: {}",
                    vouch_evidence::text::Escaped(&err)
                )?;
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} policy paths are invalid", args.paths.len());
    }
    Ok(())
}
