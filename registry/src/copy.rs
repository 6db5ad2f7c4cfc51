//! Copying an image, with everything attached to it, between stores: a
//! registry to a layout directory and back, for air-gapped audits.
//!
//! Manifests are copied byte for byte (so digests, and the signatures over
//! them, hold on the other side), every blob is verified on the way, and
//! referrers are re-registered at the destination in whichever way it
//! supports: its referrers API or the tag-schema fallback index. What the
//! destination already has is kept: referrers and legacy cosign layers are
//! merged into its fallback index and `.sig`/`.att` images, once each.
//! An entry of the source that cannot be read (a referrer of another
//! subject, a missing blob) is skipped and reported, not copied.

use std::future::Future;
use std::pin::Pin;

use vouch_evidence::digest::Sha256;

use crate::attach::{
    append_legacy_layers, is_entry_fault, legacy_attestation_tag, legacy_signature_tag, read_tag,
    referrers, register_referrers, TagRead, Tagged,
};
use crate::oci::{Descriptor, Manifest};
use crate::repository::FetchedManifest;
use crate::{Error, Repository, Result};

/// What a copy moved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Manifests and indexes copied (the image's and its attachments').
    pub manifests: usize,
    /// Blobs copied.
    pub blobs: usize,
    /// Referrers and legacy signature/attestation layers carried along.
    pub attachments: usize,
    /// Entries of the source that could not be read, and why: not copied.
    pub skipped: Vec<String>,
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
        copy_fetched(src, dst, &fetched, report).await?;
        Ok(fetched)
    })
}

/// Copies what the fetched manifest references, children first, then it.
async fn copy_fetched(
    src: &Repository,
    dst: &Repository,
    fetched: &FetchedManifest,
    report: &mut CopyReport,
) -> Result<()> {
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
    Ok(())
}

/// Copies one referrer of `subject` listed at the source, which must name
/// `subject`.
async fn copy_referrer(
    src: &Repository,
    dst: &Repository,
    subject: &Sha256,
    entry: &Descriptor,
    report: &mut CopyReport,
) -> Result<()> {
    let fetched = src.described_manifest(entry).await?;
    let named = match &fetched.manifest {
        Manifest::Image(m) => m.subject.as_ref(),
        Manifest::Index(i) => i.subject.as_ref(),
    };
    if named.map(|s| s.digest) != Some(*subject) {
        return Err(Error::Invalid {
            what: format!("referrer {}", entry.digest),
            location: src.location(),
            reason: format!("does not name {subject} as its subject"),
        });
    }
    copy_fetched(src, dst, &fetched, report).await
}

/// Sorts the outcome of one step on an entry: `Some` when it worked, `None`
/// when the entry is unreadable (recorded in the report); a store that
/// cannot be read fails.
fn skip_unreadable<T>(report: &mut CopyReport, step: Result<T>) -> Result<Option<T>> {
    match step {
        Ok(value) => Ok(Some(value)),
        Err(e) if is_entry_fault(&e) => {
            report.skipped.push(e.to_string());
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Copies `image` from `src` to `dst`, tagging it `tag` there, with every
/// signature and attestation attached to it (or, for an index, to any of
/// its platform manifests), merged into what `dst` already holds.
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
        let mut ignored = Vec::new();
        let listed = referrers(src, subject, &mut ignored).await?;
        report.skipped.extend(ignored.into_iter().map(|i| i.reason));
        src.check_count(&format!("referrers of {subject}"), listed.len())?;
        let mut carried = Vec::new();
        for entry in listed {
            let copied = copy_referrer(src, dst, subject, &entry, &mut report).await;
            if skip_unreadable(&mut report, copied)?.is_some() {
                carried.push(entry);
            }
        }
        register_referrers(dst, subject, &carried).await?;
        report.attachments += carried.len();
        for legacy in [
            legacy_signature_tag(subject),
            legacy_attestation_tag(subject),
        ] {
            let listed = match read_tag(src, Tagged::Legacy, &legacy).await? {
                TagRead::Absent => continue,
                TagRead::Unreadable(_, e) => {
                    report.skipped.push(e.to_string());
                    continue;
                }
                TagRead::Read(layers) => layers,
            };
            src.check_count(&format!("layers of {legacy}"), listed.len())?;
            let mut layers = Vec::new();
            for layer in listed {
                let Some(bytes) = skip_unreadable(&mut report, src.blob(&layer).await)? else {
                    continue;
                };
                dst.put_blob(&layer.media_type, &bytes).await?;
                report.blobs += 1;
                layers.push(layer);
            }
            append_legacy_layers(dst, &legacy, &layers).await?;
            report.attachments += layers.len();
        }
    }
    Ok(report)
}
