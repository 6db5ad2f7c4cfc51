//! `vouch copy`: an image with everything attached to it, between a
//! registry and a layout directory.

use anyhow::{bail, Result};
use vouch_registry::copy::copy_image;

use crate::args::RegistryArgs;
use crate::image::parse_image;
use crate::term::note;

/// Arguments of `vouch copy`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch copy registry.example.com/team/app:v1 oci:audit/app:v1\n  \
    vouch copy oci:audit/app:v1 registry.internal/team/app:v1")]
pub struct Args {
    /// The image to copy.
    #[arg(value_name = "SRC")]
    src: String,
    /// Where to copy it (a layout directory is created if missing); its tag
    /// defaults to the source's.
    #[arg(value_name = "DST")]
    dst: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Copies the image by digest, then its signatures and attestations.
pub async fn run(args: Args) -> Result<()> {
    let src = parse_image(&args.src)?;
    let dst = parse_image(&args.dst)?;
    if dst.digest.is_some() {
        bail!("destination {dst} names a digest: name a tag (or nothing) instead");
    }
    // --registry-username/--registry-password are the destination's (a
    // registry written to), the source's only when it is the one registry.
    args.registry.log_in_to(&dst);
    let src_repo = args.registry.open(&src, false)?;
    // The source is resolved before the destination is opened, which
    // creates a missing layout: a copy that cannot start writes nothing.
    let image = src_repo.resolve(&src).await?;
    let dst_repo = args.registry.open(&dst, true)?;
    let tag = dst.tag.as_deref().or(src.tag.as_deref());
    let report = copy_image(&src_repo, &dst_repo, &image.digest, tag).await?;
    for skipped in &report.skipped {
        note!(
            "vouch: warning: not copied: {}",
            vouch_evidence::text::Escaped(skipped)
        );
    }
    note!(
        "Copied {}@{} to {}: {} manifests, {} blobs, {} attachments",
        src.location,
        image.digest,
        dst,
        report.manifests,
        report.blobs,
        report.attachments
    );
    Ok(())
}
