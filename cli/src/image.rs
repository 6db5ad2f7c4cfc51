//! Naming images: a reference as the user gives it, and an image's purl.

use anyhow::{Context, Result};
use vouch_registry::reference::{ImageRef, Location};

/// Parses an image reference, naming it on error.
pub fn parse_image(reference: &str) -> Result<ImageRef> {
    reference
        .parse()
        .with_context(|| format!("bad image reference {reference:?}"))
}

/// The image's purl (`pkg:oci/<name>@sha256%3A<hex>`, with its
/// repository for a registry image), so that SBOMs describe a container.
pub fn image_purl(location: &Location, hex: &str) -> String {
    match location {
        Location::Registry { host, repository } => {
            let name = repository.rsplit('/').next().unwrap_or(repository);
            format!("pkg:oci/{name}@sha256%3A{hex}?repository_url={host}/{repository}")
        }
        Location::Layout(path) => {
            let name: String = path
                .file_name()
                .map_or("image".into(), |n| n.to_string_lossy().to_lowercase())
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            format!("pkg:oci/{name}@sha256%3A{hex}")
        }
    }
}
