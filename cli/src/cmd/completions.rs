//! `vouch completions SHELL`: the shell completion script, generated from
//! the same flag definitions as `--help` (clap_complete), so that it never
//! lags behind a new flag.

use std::io::Write;

use anyhow::Result;
use clap_complete::Shell;

use crate::term;

/// A shell vouch writes completions for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Bash: source the script, or put it in bash-completion's directory.
    Bash,
    /// Zsh: put the script, named `_vouch`, in a directory of `$fpath`.
    Zsh,
    /// Fish: put the script in ~/.config/fish/completions/vouch.fish.
    Fish,
}

/// Arguments of `vouch completions`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    source <(vouch completions bash)\n  \
    vouch completions bash > ~/.local/share/bash-completion/completions/vouch\n  \
    vouch completions zsh > \"${fpath[1]}/_vouch\"\n  \
    vouch completions fish > ~/.config/fish/completions/vouch.fish")]
pub struct Args {
    /// The shell.
    #[arg(value_enum, value_name = "SHELL")]
    shell: Target,
}

/// Writes the script for `command` (vouch's whole command line) on
/// standard output.
pub fn run(args: Args, mut command: clap::Command) -> Result<()> {
    let shell = match args.shell {
        Target::Bash => Shell::Bash,
        Target::Zsh => Shell::Zsh,
        Target::Fish => Shell::Fish,
    };
    // Built whole, then written: clap_complete panics on a failed write,
    // and a closed stdout is no error (`vouch completions bash | head`).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "vouch", &mut script);
    term::data_stdout().write_all(&script)?;
    Ok(())
}
