//! `vouch man`: the manual page, in roff, generated from the same
//! definitions as `--help` (clap_mangen): what vouch does, its global
//! flags, every command with what it is for.

use std::io::Write;

use anyhow::Result;

use crate::term;

/// Arguments of `vouch man`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch man | man -l -\n  \
    vouch man > /usr/local/share/man/man1/vouch.1")]
pub struct Args {}

/// Writes the page for `command` (vouch's whole command line) on standard
/// output.
pub fn run(_args: Args, command: clap::Command) -> Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    term::data_stdout().write_all(&page)?;
    Ok(())
}
