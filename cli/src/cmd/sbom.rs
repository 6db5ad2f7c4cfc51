//! `vouch sbom`: the SBOM of a project's inputs, or of an image's OS
//! packages, CycloneDX 1.6 or SPDX 2.3 JSON, on stdout or into a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vouch_attest::sbom::{self, Subject};

use crate::args::{AptArgs, DiscoveryArgs, PlatformArgs, RegistryArgs};
use crate::clock::now_rfc3339;
use crate::discovery::{classify_os, discover_classified};
use crate::files::{write_atomic, Overwrite};
use crate::image::{image_purl, parse_image};
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
    vouch sbom path/to/project --format spdx -o sbom.spdx.json --name my-service\n  \
    vouch sbom oci:build/layout:app --format cyclonedx --all-platforms\n\n\
    Every input is listed, mismatched ones too (with vouch:match = mismatch):\n\
    the SBOM records what is there; `vouch inputs` is the gate. An image's SBOM lists\n\
    the OS packages its dpkg, apk and RPM databases record, each with its source\n\
    package and the layer that wrote it; the image, by digest, is its subject.")]
pub struct Args {
    /// The project directory (its lockfiles and vouch.inputs.yaml are read,
    /// with what they vendor), or an image (`oci:PATH[:TAG]` or a registry
    /// reference), whose OS packages are read from its layers.
    #[arg(value_name = "DIR|IMAGE")]
    target: String,
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
    #[command(flatten)]
    platforms: PlatformArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Where a project's input provided by a distribution package is
    /// traced to its signed archive.
    #[command(flatten)]
    apt: AptArgs,
}

/// Discovers the inputs (a directory's, or an image's OS packages),
/// builds the SBOM and writes it.
pub async fn run(args: Args) -> Result<()> {
    let dir = Path::new(&args.target);
    let (subject, inputs) = if !args.target.starts_with("oci:") && dir.is_dir() {
        directory(&args, dir)?
    } else {
        image(&args).await?
    };
    let now = now_rfc3339();
    let (document, what) = match args.format {
        Format::Cyclonedx => (sbom::cyclonedx(&subject, &inputs, &now), "CycloneDX"),
        Format::Spdx => (sbom::spdx(&subject, &inputs, &now), "SPDX"),
    };
    let document =
        document.with_context(|| format!("cannot build the {what} SBOM of {}", args.target))?;
    let mut bytes = serde_json::to_vec_pretty(&document)?;
    bytes.push(b'\n');
    match &args.output {
        Some(path) => write_atomic(path, &bytes, 0o644, Overwrite::Yes)?,
        None => crate::term::data_stdout().write_all(&bytes)?,
    }
    note!("{what} SBOM of {}: {} inputs", subject.name, inputs.len());
    Ok(())
}

/// A project directory's discovered inputs, about the directory.
fn directory(args: &Args, dir: &Path) -> Result<(Subject, Vec<vouch_attest::Input>)> {
    let name = match &args.name {
        Some(name) => name.clone(),
        None => {
            let canonical = dir
                .canonicalize()
                .with_context(|| format!("cannot resolve {}", dir.display()))?;
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
    let (mut inputs, _) = discover_classified(dir, &args.discovery)?;
    crate::custody::verify(&mut inputs, dir, &args.apt, jiff::Timestamp::now())?;
    let subject = Subject {
        name,
        version: None,
        purl: None,
        digest: None,
    };
    Ok((subject, inputs))
}

/// An image's OS packages (every selected platform's, each package once),
/// classified, about the image by the digest its reference resolved to.
async fn image(args: &Args) -> Result<(Subject, Vec<vouch_attest::Input>)> {
    let image = parse_image(&args.target)?;
    let (digest, platforms) =
        crate::os::packages(&args.registry, &image, &args.platforms.platforms()).await?;
    let mut inputs: Vec<vouch_attest::Input> = Vec::new();
    for platform in platforms {
        for input in platform.inputs {
            // A package of every platform (`Architecture: all`) is listed once.
            if !inputs.iter().any(|i| i.purl == input.purl) {
                inputs.push(input);
            }
        }
    }
    classify_os(&mut inputs, &args.discovery, None)?;
    let subject = Subject {
        name: args
            .name
            .clone()
            .unwrap_or_else(|| image.location.to_string()),
        version: image.tag.clone(),
        purl: Some(image_purl(&image.location, &digest.hex())),
        digest: Some(("sha256".into(), digest.hex())),
    };
    Ok((subject, inputs))
}
