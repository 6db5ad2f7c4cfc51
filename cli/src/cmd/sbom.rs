//! `vouch sbom`: the SBOM of a project's inputs, CycloneDX 1.6 or SPDX 2.3
//! JSON, on stdout or into a file.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use vouch_attest::sbom::{self, Subject};

use crate::args::DiscoveryArgs;
use crate::clock::now_rfc3339;
use crate::discovery::discover_classified;
use crate::files::{write_atomic, Overwrite};
use crate::term::note;

/// The SBOM formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// Arguments of `vouch sbom`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch sbom . --format cyclonedx\n  \
    vouch sbom path/to/project --format spdx -o sbom.spdx.json --name my-service\n\n\
    Every input is listed, mismatched ones too (with vouch:match = mismatch):\n\
    the SBOM records what is there; `vouch inputs` is the gate.")]
pub struct Args {
    /// The project directory: its lockfiles and vouch.inputs.yaml are read,
    /// with what they vendor.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The SBOM format.
    #[arg(long, value_enum)]
    format: Format,
    /// Write the SBOM to FILE instead of stdout (replacing it whole).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The name of what the SBOM describes [default: the directory's name].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    #[command(flatten)]
    discovery: DiscoveryArgs,
}

/// Discovers the inputs, builds the SBOM and writes it.
pub fn run(args: Args) -> Result<()> {
    let name = match args.name {
        Some(name) => name,
        None => {
            let canonical = args
                .dir
                .canonicalize()
                .with_context(|| format!("cannot resolve {}", args.dir.display()))?;
            canonical
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .with_context(|| {
                    format!(
                        "{} has no name to give the SBOM: pass --name",
                        canonical.display()
                    )
                })?
        }
    };
    let (inputs, _) = discover_classified(&args.dir, &args.discovery)?;
    let subject = Subject {
        name,
        version: None,
        purl: None,
        digest: None,
    };
    let now = now_rfc3339();
    let (document, what) = match args.format {
        Format::Cyclonedx => (sbom::cyclonedx(&subject, &inputs, &now), "CycloneDX"),
        Format::Spdx => (sbom::spdx(&subject, &inputs, &now), "SPDX"),
    };
    let document = document
        .with_context(|| format!("cannot build the {what} SBOM of {}", args.dir.display()))?;
    let mut bytes = serde_json::to_vec_pretty(&document)?;
    bytes.push(b'\n');
    match &args.output {
        Some(path) => write_atomic(path, &bytes, 0o644, Overwrite::Yes)?,
        None => crate::term::data_stdout().write_all(&bytes)?,
    }
    note!("{what} SBOM of {}: {} inputs", subject.name, inputs.len());
    Ok(())
}
