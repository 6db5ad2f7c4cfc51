//! Copying an image, with everything attached to it, between stores: a
//! registry to a layout directory and back, for air-gapped audits.
//!
//! Manifests are copied byte for byte (so digests, and the signatures over
//! them, hold on the other side), every blob is verified on the way, and
//! referrers are re-registered at the destination in whichever way it
//! supports: its referrers API or the tag-schema fallback index.

use std::future::Future;
use std::pin::Pin;

use vouch_evidence::digest::Sha256;

use crate::attach::{legacy_attestation_tag, legacy_signature_tag, referrers, register_referrer};
use crate::oci::Manifest;
use crate::repository::FetchedManifest;
use crate::{Repository, Result};

/// What a copy moved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Manifests and indexes copied (the image's and its attachments').
    pub manifests: usize,
    /// Blobs copied.
    pub blobs: usize,
    /// Referrers and legacy signature/attestation manifests carried along.
    pub attachments: usize,
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// Copies the manifest `digest` and all it references, children first.
fn copy_tree<'a>(
    src: &'a Repository,
    dst: &'a Repository,
    digest: Sha256,
    report: &'a mut CopyReport,
) -> Boxed<'a, FetchedManifest> {
    Box::pin(async move {
        let fetched = src.manifest(&digest).await?;
        match &fetched.manifest {
            Manifest::Image(m) => {
                for blob in std::iter::once(&m.config).chain(&m.layers) {
                    let bytes = src.blob(blob).await?;
                    dst.put_blob(&blob.media_type, &bytes).await?;
                    report.blobs += 1;
                }
            }
            Manifest::Index(index) => {
                for child in &index.manifests {
                    copy_tree(src, dst, child.digest, report).await?;
                }
            }
        }
        dst.put_manifest_bytes(&fetched.bytes, &fetched.descriptor.media_type, None)
            .await?;
        report.manifests += 1;
        Ok(fetched)
    })
}

/// Copies `image` from `src` to `dst`, tagging it `tag` there, with every
/// signature and attestation attached to it (or, for an index, to any of
/// its platform manifests).
pub async fn copy_image(
    src: &Repository,
    dst: &Repository,
    image: &Sha256,
    tag: Option<&str>,
) -> Result<CopyReport> {
    let mut report = CopyReport::default();
    let fetched = copy_tree(src, dst, *image, &mut report).await?;
    if let Some(tag) = tag {
        dst.put_manifest_bytes(&fetched.bytes, &fetched.descriptor.media_type, Some(tag))
            .await?;
    }
    let mut subjects = vec![*image];
    if let Manifest::Index(index) = &fetched.manifest {
        subjects.extend(index.manifests.iter().map(|d| d.digest));
    }
    for subject in &subjects {
        for entry in referrers(src, subject).await? {
            copy_tree(src, dst, entry.digest, &mut report).await?;
            register_referrer(dst, subject, entry).await?;
            report.attachments += 1;
        }
        for legacy in [
            legacy_signature_tag(subject),
            legacy_attestation_tag(subject),
        ] {
            if let Some(found) = src.resolve_tag(&legacy).await? {
                let copied = copy_tree(src, dst, found.digest, &mut report).await?;
                dst.put_manifest_bytes(&copied.bytes, &copied.descriptor.media_type, Some(&legacy))
                    .await?;
                report.attachments += 1;
            }
        }
    }
    Ok(report)
}
