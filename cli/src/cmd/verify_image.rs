//! `vouch verify-image`: is this image signed by this key?

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use vouch_registry::attach::{self, Kind};
use vouch_verify::bundle::TrustedRoot;
use vouch_verify::image::verify_signature;

use crate::args::{RegistryArgs, TrustedRootArgs};
use crate::files::{load_public_key, read_capped, MAX_DOCUMENT_BYTES};
use crate::image::parse_image;
use crate::term::note;

/// Arguments of `vouch verify-image`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  vouch verify-image oci:build/layout:v1 --key ci.pub\n  vouch verify-image registry.example.com/team/app@sha256:<hex> --key ci.pub"
)]
pub struct Args {
    /// The image: `oci:PATH[:TAG]` or a registry reference.
    #[arg(value_name = "IMAGE")]
    image: String,
    /// Public key (SPKI PEM) a signature must verify with.
    #[arg(long, value_name = "PUB")]
    key: PathBuf,
    #[command(flatten)]
    trusted_root: TrustedRootArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Succeeds when at least one signature attached to the image's digest
/// verifies with the key; reports every one it tried.
pub async fn run(args: Args) -> Result<()> {
    let key = load_public_key(&args.key)?;
    let root = match args.trusted_root.path() {
        Some(path) => {
            TrustedRoot::from_json(&read_capped(path, MAX_DOCUMENT_BYTES, "trusted root")?)
                .with_context(|| format!("in {}", path.display()))?
        }
        None => TrustedRoot::public_good()?,
    };
    let image = parse_image(&args.image)?;
    let repo = args.registry.open(&image, false)?;
    let resolved = repo.resolve(&image).await?;
    let listing = attach::list(&repo, &resolved.digest, None).await?;
    let mut verified = 0;
    let mut failures: Vec<String> = listing
        .ignored
        .iter()
        .filter(|i| i.kind == Kind::Signature)
        .map(|i| format!("{} signature {}: {}", i.format.name(), i.digest, i.reason))
        .collect();
    for a in listing
        .attachments
        .iter()
        .filter(|a| a.kind == Kind::Signature)
    {
        let format = a.format.name();
        match verify_signature(a, &resolved.digest, &key, &root) {
            Ok(()) => {
                verified += 1;
                note!(
                    "Verified: {format} signature {} by key {}",
                    a.digest,
                    key.key_id()
                );
            }
            Err(e) => failures.push(format!("{format} signature {}: {e}", a.digest)),
        }
    }
    if verified == 0 {
        if failures.is_empty() {
            bail!(
                "no signature is attached to {}@{}",
                image.location,
                resolved.digest
            );
        }
        bail!(
            "no signature on {}@{} verifies with key {}: {}",
            image.location,
            resolved.digest,
            key.key_id(),
            failures.join("; ")
        );
    }
    writeln!(
        crate::term::text_stdout(),
        "{}@{}",
        image.location,
        resolved.digest
    )?;
    Ok(())
}
