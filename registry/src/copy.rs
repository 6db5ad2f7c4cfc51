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

use std::collections::HashSet;

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

/// What one copy has written to the destination so far, by digest, so that
/// a manifest or blob named many times (an index listing one child 30
/// times, at every level; referrers sharing the empty config blob) is
/// fetched and written once.
#[derive(Default)]
struct Copied {
    manifests: HashSet<Sha256>,
    blobs: HashSet<Sha256>,
}

/// An index whose entries are being copied, before it: the next entry to
/// look at.
struct Pending {
    fetched: FetchedManifest,
    next: usize,
}

/// One copy from `src` to `dst`: what it moved, and what it has written.
struct Copy<'a> {
    src: &'a Repository,
    dst: &'a Repository,
    report: CopyReport,
    copied: Copied,
}

impl Copy<'_> {
    /// Copies `root` and all it references, children before parents, each
    /// distinct manifest and blob once. The walk keeps its own stack, one
    /// entry per index above the manifest at hand, so that no chain of
    /// nested indexes can overflow the thread's; a manifest with more
    /// indexes above it than [`crate::Limits::max_index_depth`] is refused
    /// before it is fetched.
    async fn copy_tree(&mut self, root: FetchedManifest) -> Result<()> {
        if self.copied.manifests.contains(&root.descriptor.digest) {
            return Ok(());
        }
        let mut stack = vec![Pending {
            fetched: root,
            next: 0,
        }];
        while let Some(top) = stack.last_mut() {
            let entry = match &top.fetched.manifest {
                Manifest::Index(index) => index.manifests.get(top.next).map(|d| d.digest),
                Manifest::Image(_) => None,
            };
            top.next += 1;
            let Some(digest) = entry else {
                if let Some(done) = stack.pop() {
                    self.copy_one(&done.fetched).await?;
                }
                continue;
            };
            if self.copied.manifests.contains(&digest) {
                continue;
            }
            // Every manifest on the stack has entries, so is an index.
            self.src.check_index_depth(&digest, stack.len())?;
            let fetched = self.src.manifest(&digest).await?;
            stack.push(Pending { fetched, next: 0 });
        }
        Ok(())
    }

    /// Copies the blobs of a manifest (whose entries, for an index, are
    /// already copied), then it.
    async fn copy_one(&mut self, fetched: &FetchedManifest) -> Result<()> {
        if let Manifest::Image(m) = &fetched.manifest {
            for blob in std::iter::once(&m.config).chain(&m.layers) {
                self.copy_blob(blob).await?;
            }
        }
        self.dst
            .put_manifest_bytes(&fetched.bytes, &fetched.descriptor.media_type, None)
            .await?;
        self.copied.manifests.insert(fetched.descriptor.digest);
        self.report.manifests += 1;
        Ok(())
    }

    /// Copies one blob, unless this copy already has.
    async fn copy_blob(&mut self, blob: &Descriptor) -> Result<()> {
        if self.copied.blobs.contains(&blob.digest) {
            return Ok(());
        }
        let bytes = self.src.blob(blob).await?;
        self.dst.put_blob(&blob.media_type, &bytes).await?;
        self.copied.blobs.insert(blob.digest);
        self.report.blobs += 1;
        Ok(())
    }

    /// Copies one referrer of `subject` listed at the source, which must
    /// name `subject`.
    async fn copy_referrer(&mut self, subject: &Sha256, entry: &Descriptor) -> Result<()> {
        let fetched = self.src.described_manifest(entry).await?;
        let named = match &fetched.manifest {
            Manifest::Image(m) => m.subject.as_ref(),
            Manifest::Index(i) => i.subject.as_ref(),
        };
        if named.map(|s| s.digest) != Some(*subject) {
            return Err(Error::Invalid {
                what: format!("referrer {}", entry.digest),
                location: self.src.location(),
                reason: format!("does not name {subject} as its subject"),
            });
        }
        self.copy_tree(fetched).await
    }

    /// Copies the referrers and legacy signature and attestation layers of
    /// `subject`, merged into the destination's.
    async fn copy_attachments(&mut self, subject: &Sha256) -> Result<()> {
        let (src, dst) = (self.src, self.dst);
        let mut ignored = Vec::new();
        let listed = referrers(src, subject, &mut ignored).await?;
        self.report
            .skipped
            .extend(ignored.into_iter().map(|i| i.reason));
        src.check_count(&format!("referrers of {subject}"), listed.len())?;
        let mut carried = Vec::new();
        for entry in listed {
            let copied = self.copy_referrer(subject, &entry).await;
            if skip_unreadable(&mut self.report, copied)?.is_some() {
                carried.push(entry);
            }
        }
        register_referrers(dst, subject, &carried).await?;
        self.report.attachments += carried.len();
        for legacy in [
            legacy_signature_tag(subject),
            legacy_attestation_tag(subject),
        ] {
            let listed = match read_tag(src, Tagged::Legacy, &legacy).await? {
                TagRead::Absent => continue,
                TagRead::Unreadable(_, e) => {
                    self.report.skipped.push(e.to_string());
                    continue;
                }
                TagRead::Read(layers) => layers,
            };
            src.check_count(&format!("layers of {legacy}"), listed.len())?;
            let mut layers = Vec::new();
            for layer in listed {
                let copied = self.copy_blob(&layer).await;
                if skip_unreadable(&mut self.report, copied)?.is_some() {
                    layers.push(layer);
                }
            }
            append_legacy_layers(dst, &legacy, &layers).await?;
            self.report.attachments += layers.len();
        }
        Ok(())
    }
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
/// its entries), merged into what `dst` already holds. Blobs go before
/// the manifests that name them, entries before their index, and the tag
/// last of all: a copy stopped part-way (an error, `--timeout`) leaves
/// content the destination can collect, never a tag naming an image whose
/// content or signatures are missing.
pub async fn copy_image(
    src: &Repository,
    dst: &Repository,
    image: &Sha256,
    tag: Option<&str>,
) -> Result<CopyReport> {
    let mut copy = Copy {
        src,
        dst,
        report: CopyReport::default(),
        copied: Copied::default(),
    };
    let root = src.manifest(image).await?;
    copy.copy_tree(root.clone()).await?;
    let mut subjects = vec![*image];
    if let Manifest::Index(index) = &root.manifest {
        subjects.extend(index.distinct_manifests().into_iter().map(|d| d.digest));
    }
    for subject in &subjects {
        copy.copy_attachments(subject).await?;
    }
    if let Some(tag) = tag {
        dst.put_manifest_bytes(&root.bytes, &root.descriptor.media_type, Some(tag))
            .await?;
    }
    Ok(copy.report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::attach::attach_legacy_signature;
    use crate::conformance::push_image;
    use crate::memory::hooked::{Hooked, StoreHook};
    use crate::memory::MemoryStore;
    use crate::oci::ImageIndex;
    use crate::{Limits, Store};

    /// stub: an injected fault. Writes fail, as to a registry that went
    /// away, once `left` of them have been made: a copy stopped at that
    /// point (by an error or its deadline).
    struct FailsAfter {
        left: AtomicUsize,
    }

    impl StoreHook for FailsAfter {
        fn before_write(&self, inner: &MemoryStore) -> Result<()> {
            self.left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .map(drop)
                .map_err(|_| Error::Unavailable {
                    location: inner.location(),
                    reason: "gone (injected fault)".into(),
                })
        }
    }

    #[tokio::test]
    async fn regression_issue_9_a_copy_stopped_part_way_leaves_no_tag() {
        // An index of one image, signed (legacy format) at both levels.
        let src = Repository::new(Arc::new(MemoryStore::new()), "app", Limits::default());
        let image = push_image(&src, "image", b"layer").await;
        let index = ImageIndex {
            manifests: vec![image.clone()],
            ..ImageIndex::empty()
        };
        let index = src
            .put_manifest(&Manifest::Index(index), None)
            .await
            .unwrap();
        for subject in [&index.digest, &image.digest] {
            attach_legacy_signature(&src, subject, b"payload", b"signature")
                .await
                .unwrap();
        }
        // Stopped after each number of writes in turn: no tag, until the
        // copy is whole.
        for writes in 0.. {
            let store = Arc::new(Hooked {
                inner: MemoryStore::new(),
                hook: FailsAfter {
                    left: AtomicUsize::new(writes),
                },
            });
            let dst = Repository::new(store.clone(), "app", Limits::default());
            let copied = copy_image(&src, &dst, &index.digest, Some("v1")).await;
            let tagged = store.inner.resolve_tag("app", "v1").await.unwrap();
            match copied {
                Err(e) => assert!(tagged.is_none(), "tagged after {writes} writes, then: {e}"),
                Ok(report) => {
                    assert_eq!(tagged.map(|d| d.digest), Some(index.digest));
                    assert_eq!(report.attachments, 2, "{report:?}");
                    break;
                }
            }
        }
    }
}
