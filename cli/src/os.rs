//! An image's OS packages: its layers read from the store its reference
//! names (`registry::image::read_layers`, one layer in memory at a time),
//! applied in order to `ospkg::layers::Layers`, then scanned
//! (`ospkg::scan`): for `vouch sbom IMAGE`, `vouch vulns IMAGE` and
//! `vouch attest --image`.

use std::collections::HashMap;

use anyhow::{Context, Result};
use vouch_attest::Input;
use vouch_evidence::digest::Sha256;
use vouch_evidence::reference::ImageRef;
use vouch_ospkg::layers::{Layers, Limits};
use vouch_registry::image::{read_layers, Platforms};

use vouch_verify::os::FROM_IMAGE;
use vouch_verify::vulns::{inputs_from_records, ImageInput};

use crate::args::{DiscoveryArgs, RegistryArgs};
use crate::discovery::classify_os;

/// One platform's OS packages, as inputs.
pub struct PlatformPackages {
    /// Its OS packages (ecosystems `deb`, `apk`, `rpm`), unclassified.
    pub inputs: Vec<Input>,
}

/// The OS packages of `image`, for each platform `platforms` selects,
/// and the digest the reference resolved to (the manifest or index every
/// platform was read from: a tag is resolved once).
pub async fn packages(
    registry: &RegistryArgs,
    image: &ImageRef,
    platforms: &Platforms,
) -> Result<(Sha256, Vec<PlatformPackages>)> {
    let repo = registry.open(image, false)?;
    let root = repo
        .resolve(image)
        .await
        .with_context(|| format!("cannot resolve {image}"))?;
    let pinned = image.pinned(root.digest);
    let mut applied: HashMap<Sha256, Layers> = HashMap::new();
    let images = read_layers::<anyhow::Error, _>(&repo, &pinned, platforms, |platform, layer| {
        let layers = applied
            .entry(platform.manifest.digest)
            .or_insert_with(|| Layers::new(Limits::default()));
        let digest = layer.descriptor.digest.to_string();
        layers
            .apply(&digest, &layer.descriptor.media_type, &layer.bytes)
            .with_context(|| format!("cannot read layer {digest} of {image}"))
    })
    .await
    .with_context(|| format!("cannot read the layers of {image}"))?;
    let mut out = Vec::new();
    for image_read in images {
        let layers = applied.get(&image_read.manifest.digest);
        // An image without layers has no packages.
        let inputs = match layers {
            Some(layers) => {
                let scan = vouch_ospkg::scan::scan(layers).with_context(|| {
                    format!(
                        "cannot read the OS packages of {image} ({})",
                        image_read.manifest.digest
                    )
                })?;
                vouch_attest::os::inputs(&scan)?
            }
            None => Vec::new(),
        };
        out.push(PlatformPackages { inputs });
    }
    Ok((root.digest, out))
}

/// What `vouch vulns IMAGE` reads of an image's own content: its OS
/// packages on these platforms, marked critical by these rules.
pub struct Scan<'a> {
    /// The platforms of an index to read.
    pub platforms: Platforms,
    /// The criticality rules (the shipped ones and `--critical-rules`).
    pub discovery: &'a DiscoveryArgs,
}

/// The OS packages of `image` (every platform `scan` selects) as inputs to
/// match, critical ones marked, each marked as read from the image; and
/// the digest the reference resolved to.
pub async fn image_inputs(
    registry: &RegistryArgs,
    image: &ImageRef,
    scan: &Scan<'_>,
) -> Result<(Sha256, Vec<ImageInput>)> {
    let (digest, platforms) = packages(registry, image, &scan.platforms).await?;
    let mut inputs: Vec<Input> = platforms.into_iter().flat_map(|p| p.inputs).collect();
    classify_os(&mut inputs, scan.discovery, None)?;
    let records = inputs
        .iter()
        .map(Input::record)
        .collect::<Result<Vec<_>, _>>()?;
    let mut inputs = inputs_from_records(records);
    for input in &mut inputs {
        if let Some(os) = &mut input.os {
            os.from = FROM_IMAGE;
        }
    }
    inputs.dedup();
    Ok((digest, inputs))
}
