//! Reading the filesystem layers of an image, from any [`Store`](crate::Store),
//! for what scans the packages installed in it.
//!
//! The reference is resolved once and everything after is by digest: an
//! index is narrowed to the platform asked for (attestation manifests, such
//! as Docker buildx's `unknown/unknown` entries, are never a platform), the
//! image manifest must be an image (OCI or Docker schema 2, with an image
//! config), and every layer must be a filesystem layer whose declared size
//! is within [`Limits::max_blob_bytes`](crate::Limits) before any layer is
//! fetched; the layer count is capped by [`Limits::max_layers`](crate::Limits)
//! when the manifest is read. Each layer is then fetched, checked against
//! its digest, handed to the caller and dropped, so that one layer at a time
//! is in memory. Nothing in an image is trusted for being there: a tag
//! writer controls every byte of it, and only digests tie it together.

use std::str::FromStr;

use serde::Deserialize;
use vouch_evidence::digest::Sha256;

use crate::oci::{Descriptor, ImageManifest, Manifest, Platform};
use crate::oci::{DOCKER_MANIFEST_LIST, MANIFEST_MEDIA_TYPES, OCI_INDEX};
use crate::reference::ImageRef;
use crate::{Error, Repository, Result};

/// The OCI image config media type.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// The Docker image config media type.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// The annotation Docker buildx puts on the index entries of its
/// attestation manifests (`vnd.docker.reference.type: attestation-manifest`).
pub const DOCKER_REFERENCE_TYPE: &str = "vnd.docker.reference.type";

/// The filesystem layer media types read, with their compression.
const LAYER_TYPES: &[(&str, Compression)] = &[
    ("application/vnd.oci.image.layer.v1.tar", Compression::None),
    (
        "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Gzip,
    ),
    (
        "application/vnd.oci.image.layer.v1.tar+zstd",
        Compression::Zstd,
    ),
    (
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        Compression::Gzip,
    ),
];

/// How a layer's tar is compressed, from its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// A gzip stream.
    Gzip,
    /// A zstd stream.
    Zstd,
}

impl Compression {
    /// The compression of a filesystem layer of `media_type`, or why a
    /// layer of that type is not read. Non-distributable ("foreign") layers
    /// are refused, not skipped: they hold part of the filesystem (Windows
    /// base layers) that a scan would otherwise silently leave out.
    pub fn of_layer(media_type: &str) -> Result<Compression, String> {
        if let Some((_, compression)) = LAYER_TYPES.iter().find(|(t, _)| *t == media_type) {
            return Ok(*compression);
        }
        if media_type.contains("nondistributable") || media_type.contains("foreign") {
            return Err(format!(
                "media type {media_type:?} is a non-distributable layer, which registries do not serve: \
                 its files cannot be read"
            ));
        }
        Err(format!(
            "media type {media_type:?} is not a filesystem layer (OCI tar, tar+gzip, tar+zstd or Docker rootfs.diff.tar.gzip)"
        ))
    }
}

/// Which platforms of an index to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Platforms {
    /// linux/amd64 from an index; a single image manifest whatever its
    /// platform.
    #[default]
    Default,
    /// This platform; a variant-less one matches any variant (`linux/arm64`
    /// matches `linux/arm64/v8`), and a single image manifest must be of it.
    Only(Platform),
    /// Every platform of the index.
    All,
}

impl FromStr for Platforms {
    type Err = String;

    /// `all`, or `os/architecture[/variant]`.
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "all" {
            return Ok(Platforms::All);
        }
        let parts: Vec<&str> = s.split('/').collect();
        let valid =
            |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        match parts.as_slice() {
            [os, arch] | [os, arch, _] if parts.iter().all(valid) => {
                Ok(Platforms::Only(Platform {
                    os: os.to_string(),
                    architecture: arch.to_string(),
                    variant: parts.get(2).map(|v| v.to_string()),
                }))
            }
            _ => Err(format!(
                "invalid platform {s:?}: write os/architecture[/variant] (linux/arm64/v8) or all"
            )),
        }
    }
}

/// linux/amd64, the platform read from an index when none is given.
pub fn default_platform() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    }
}

/// Whether `have` is the platform `want` asks for.
fn platform_matches(want: &Platform, have: &Platform) -> bool {
    want.os == have.os
        && want.architecture == have.architecture
        && (want.variant.is_none() || want.variant == have.variant)
}

/// Whether an index entry is an attestation manifest rather than a
/// platform's image: Docker buildx marks them with an annotation and the
/// platform `unknown/unknown`.
pub fn is_attestation(entry: &Descriptor) -> bool {
    entry
        .annotations
        .get(DOCKER_REFERENCE_TYPE)
        .is_some_and(|t| t == "attestation-manifest")
        || entry
            .platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
}

/// One platform's image, whose layers were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformImage {
    /// Its platform, as its config says.
    pub platform: Platform,
    /// Its image manifest.
    pub manifest: Descriptor,
    /// Its config blob.
    pub config: Descriptor,
    /// Its layers, bottom first.
    pub layers: Vec<Descriptor>,
    /// The digests of the uncompressed layers, as the config lists them,
    /// one per layer: what a reader that decompresses may check.
    pub diff_ids: Vec<Sha256>,
}

/// One layer, fetched and checked against its digest.
#[derive(Debug)]
pub struct Layer<'a> {
    /// Its position, 0 for the bottom layer.
    pub index: usize,
    /// Its descriptor in the manifest.
    pub descriptor: &'a Descriptor,
    /// How its tar is compressed.
    pub compression: Compression,
    /// Its bytes, as stored (compressed).
    pub bytes: Vec<u8>,
}

/// The part of an image config read here.
#[derive(Deserialize)]
struct ConfigWire {
    architecture: String,
    os: String,
    #[serde(default)]
    variant: Option<String>,
    rootfs: RootFsWire,
}

#[derive(Deserialize)]
struct RootFsWire {
    #[serde(rename = "type")]
    kind: String,
    diff_ids: Vec<Sha256>,
}

/// Reads the layers of `image` in `repo`, for the platforms `platforms`
/// selects: calls `on_layer` with each platform's image and each of its
/// layers in order, bottom first, and returns the images read. Every
/// selected platform's manifest, config and layer descriptors are checked
/// (types, sizes, counts) before the first layer is fetched, and each layer's bytes are checked against
/// its digest before `on_layer` sees them. The first error stops the read,
/// `on_layer`'s included; registry errors name the image and the part
/// (manifest, config, layer) that failed.
pub async fn read_layers<E, F>(
    repo: &Repository,
    image: &ImageRef,
    platforms: &Platforms,
    mut on_layer: F,
) -> Result<Vec<PlatformImage>, E>
where
    E: From<Error>,
    F: FnMut(&PlatformImage, Layer<'_>) -> Result<(), E>,
{
    let name = image.to_string();
    let root = repo.resolve(image).await.map_err(|e| Error::Image {
        image: name.clone(),
        part: "manifest".into(),
        error: Box::new(e),
    })?;
    let mut read = Vec::new();
    for (entry_platform, fetched) in select(repo, &name, root, platforms).await? {
        read.push(checked_image(repo, &name, &entry_platform, platforms, fetched).await?);
    }
    for image in &read {
        let count = image.layers.len();
        for (index, descriptor) in image.layers.iter().enumerate() {
            let part = || format!("layer {} of {count} {}", index + 1, descriptor.digest);
            let bytes = repo.blob(descriptor).await.map_err(|e| Error::Image {
                image: name.clone(),
                part: part(),
                error: Box::new(e),
            })?;
            let compression = Compression::of_layer(&descriptor.media_type)
                .map_err(|reason| invalid(&name, part(), repo, reason))?;
            on_layer(
                image,
                Layer {
                    index,
                    descriptor,
                    compression,
                    bytes,
                },
            )?;
        }
    }
    Ok(read)
}

/// An [`Error::Image`] around an [`Error::Invalid`] of `part`.
fn invalid(image: &str, part: String, repo: &Repository, reason: String) -> Error {
    Error::Image {
        image: image.to_string(),
        part: part.clone(),
        error: Box::new(Error::Invalid {
            what: part,
            location: repo.location(),
            reason,
        }),
    }
}

/// The image manifests `platforms` selects under `root`, with the platform
/// their index entry gives (none for a root image manifest), in index
/// order. Nested indexes are walked within [`crate::Limits::max_index_depth`],
/// with a stack of their own; only the entries selected are fetched.
async fn select(
    repo: &Repository,
    image: &str,
    root: Descriptor,
    platforms: &Platforms,
) -> Result<Vec<(Option<Platform>, (Descriptor, ImageManifest))>> {
    let in_image = |part: String| {
        let image = image.to_string();
        move |e: Error| Error::Image {
            image,
            part,
            error: Box::new(e),
        }
    };
    let want = match platforms {
        Platforms::All => None,
        Platforms::Only(p) => Some(p.clone()),
        Platforms::Default => Some(default_platform()),
    };
    let mut chosen = Vec::new();
    let mut available = Vec::new();
    let mut root_is_index = false;
    // Manifests to read, last first, with the number of indexes above them.
    let mut stack = vec![(root, 0usize)];
    while let Some((descriptor, depth)) = stack.pop() {
        let part = format!("manifest {}", descriptor.digest);
        repo.check_index_depth(&descriptor.digest, depth)
            .map_err(in_image(part.clone()))?;
        if !MANIFEST_MEDIA_TYPES.contains(&descriptor.media_type.as_str()) {
            return Err(invalid(
                image,
                part,
                repo,
                format!(
                    "media type {:?} is not an image manifest or index (OCI or Docker schema 2)",
                    descriptor.media_type
                ),
            ));
        }
        let fetched = repo
            .described_manifest(&descriptor)
            .await
            .map_err(in_image(part))?;
        match fetched.manifest {
            Manifest::Image(manifest) => {
                chosen.push((descriptor.platform.clone(), (fetched.descriptor, manifest)))
            }
            Manifest::Index(index) => {
                root_is_index |= depth == 0;
                for entry in index.distinct_manifests().into_iter().rev() {
                    if is_attestation(entry) {
                        continue;
                    }
                    let nested =
                        matches!(entry.media_type.as_str(), OCI_INDEX | DOCKER_MANIFEST_LIST);
                    if !nested {
                        available.push(
                            entry
                                .platform
                                .as_ref()
                                .map_or_else(|| "(no platform)".to_string(), |p| p.to_string()),
                        );
                    }
                    let wanted = match (&want, &entry.platform) {
                        (None, _) => true,
                        (Some(want), Some(have)) => platform_matches(want, have),
                        (Some(_), None) => false,
                    };
                    if nested || wanted {
                        stack.push((entry.clone(), depth + 1));
                    }
                }
            }
        }
    }
    if root_is_index && chosen.is_empty() {
        // Even for `all`: an index of attestations alone has no filesystem,
        // and reading nothing must not look like an empty image.
        available.reverse();
        return Err(Error::NoPlatform {
            image: image.to_string(),
            wanted: want.map_or_else(|| "any".to_string(), |p| p.to_string()),
            available,
        });
    }
    if root_is_index && want.is_some() {
        // One platform: the first entry for it, as `docker pull` takes.
        chosen.truncate(1);
    }
    Ok(chosen)
}

/// Checks a selected image manifest before any of its layers is read: an
/// image config (fetched, checked, parsed), of the platform its index entry
/// or `platforms` says, with one diff_id per layer, and every layer a
/// filesystem layer within the size limit.
async fn checked_image(
    repo: &Repository,
    image: &str,
    entry_platform: &Option<Platform>,
    platforms: &Platforms,
    (descriptor, manifest): (Descriptor, ImageManifest),
) -> Result<PlatformImage> {
    let digest = descriptor.digest;
    let config = manifest.config;
    if config.media_type != OCI_CONFIG && config.media_type != DOCKER_CONFIG {
        return Err(invalid(
            image,
            format!("manifest {digest}"),
            repo,
            format!(
                "its config is of media type {:?}: an artifact, not an image (whose config is {OCI_CONFIG} or {DOCKER_CONFIG})",
                config.media_type
            ),
        ));
    }
    let max = repo.limits().max_blob_bytes;
    let count = manifest.layers.len();
    for (index, layer) in manifest.layers.iter().enumerate() {
        let part = || format!("layer {} of {count} {}", index + 1, layer.digest);
        Compression::of_layer(&layer.media_type)
            .map_err(|reason| invalid(image, part(), repo, reason))?;
        if layer.size > max {
            return Err(Error::Image {
                image: image.to_string(),
                part: part(),
                error: Box::new(Error::TooLarge {
                    what: format!("layer {}", layer.digest),
                    location: repo.location(),
                    size: layer.size,
                    limit: max,
                }),
            });
        }
    }
    let part = format!("config {}", config.digest);
    let bytes = repo.blob(&config).await.map_err(|e| Error::Image {
        image: image.to_string(),
        part: part.clone(),
        error: Box::new(e),
    })?;
    let wire: ConfigWire = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(image, part.clone(), repo, e.to_string()))?;
    if wire.rootfs.kind != "layers" || wire.rootfs.diff_ids.len() != count {
        return Err(invalid(
            image,
            part,
            repo,
            format!(
                "its rootfs is {:?} with {} diff_ids, for {count} layers in manifest {digest}",
                wire.rootfs.kind,
                wire.rootfs.diff_ids.len()
            ),
        ));
    }
    let platform = Platform {
        os: wire.os,
        architecture: wire.architecture,
        variant: wire.variant,
    };
    // The platform the index entry (or the caller, for a lone manifest)
    // claims must be the config's: a scan reports the platform it read.
    let claimed = match (entry_platform, platforms) {
        (Some(entry), _) => Some(entry),
        (None, Platforms::Only(want)) => Some(want),
        (None, _) => None,
    };
    if let Some(claimed) = claimed {
        if !platform_matches(claimed, &platform) {
            return Err(match entry_platform {
                Some(_) => invalid(
                    image,
                    part,
                    repo,
                    format!("it is for {platform}, but its index entry says {claimed}"),
                ),
                None => Error::NoPlatform {
                    image: image.to_string(),
                    wanted: claimed.to_string(),
                    available: vec![platform.to_string()],
                },
            });
        }
    }
    Ok(PlatformImage {
        platform,
        manifest: descriptor,
        config,
        layers: manifest.layers,
        diff_ids: wire.rootfs.diff_ids,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use serde_json::json;
    use vouch_evidence::digest::sha256;

    use super::*;
    use crate::memory::MemoryStore;
    use crate::oci::{ImageIndex, EMPTY_JSON, OCI_MANIFEST};
    use crate::reference::Location;
    use crate::{Limits, Store};

    const TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    const DOCKER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// A memory store, and its repository `app` with `limits`.
    fn repo(limits: Limits) -> (Arc<MemoryStore>, Repository) {
        let store = Arc::new(MemoryStore::new());
        let repo = Repository::new(store.clone() as Arc<dyn Store>, "app", limits);
        (store, repo)
    }

    fn platform(s: &str) -> Platform {
        match s.parse::<Platforms>() {
            Ok(Platforms::Only(p)) => p,
            other => panic!("{s}: {other:?}"),
        }
    }

    fn tagged(tag: &str) -> ImageRef {
        ImageRef {
            location: Location::Registry {
                host: "memory".into(),
                repository: "app".into(),
            },
            tag: Some(tag.into()),
            digest: None,
        }
    }

    /// Stores a config for `platform` listing `diff_ids` diff_ids.
    async fn config(repo: &Repository, platform: &str, diff_ids: usize) -> Descriptor {
        let p = self::platform(platform);
        let ids: Vec<String> = (0..diff_ids)
            .map(|i| sha256(format!("diff {i}").as_bytes()).to_string())
            .collect();
        let config = json!({
            "architecture": p.architecture, "os": p.os, "variant": p.variant,
            "rootfs": {"type": "layers", "diff_ids": ids},
        });
        repo.put_blob(OCI_CONFIG, &serde_json::to_vec(&config).unwrap())
            .await
            .unwrap()
    }

    /// Stores an image manifest; returns its descriptor, as an index entry
    /// for `platform` if given.
    async fn manifest(
        repo: &Repository,
        config: Descriptor,
        layers: Vec<Descriptor>,
        platform: Option<&str>,
        tag: Option<&str>,
    ) -> Descriptor {
        let manifest = ImageManifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.into()),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: BTreeMap::new(),
        };
        let mut d = repo
            .put_manifest(&Manifest::Image(manifest), tag)
            .await
            .unwrap();
        d.platform = platform.map(self::platform);
        d
    }

    /// Stores an image of `platform` with `layers` (media type, content).
    async fn image(repo: &Repository, platform: &str, layers: &[(&str, &[u8])]) -> Descriptor {
        let mut descriptors = Vec::new();
        for (media_type, content) in layers {
            descriptors.push(repo.put_blob(media_type, content).await.unwrap());
        }
        let config = config(repo, platform, layers.len()).await;
        manifest(repo, config, descriptors, Some(platform), None).await
    }

    async fn index(repo: &Repository, entries: Vec<Descriptor>, tag: Option<&str>) -> Descriptor {
        let mut index = ImageIndex::empty();
        index.manifests = entries;
        repo.put_manifest(&Manifest::Index(index), tag)
            .await
            .unwrap()
    }

    /// What a read handed to the callback: platform, layer index,
    /// compression, bytes.
    type Seen = Vec<(String, usize, Compression, Vec<u8>)>;

    async fn read(
        repo: &Repository,
        tag: &str,
        platforms: &str,
    ) -> (Result<Vec<PlatformImage>>, Seen) {
        let platforms = match platforms {
            "" => Platforms::Default,
            p => p.parse().unwrap(),
        };
        let mut seen = Vec::new();
        let result = read_layers(repo, &tagged(tag), &platforms, |image, layer| {
            seen.push((
                image.platform.to_string(),
                layer.index,
                layer.compression,
                layer.bytes,
            ));
            Ok::<_, Error>(())
        })
        .await;
        (result, seen)
    }

    /// A buildx-style index: linux/amd64 (gzip, zstd), linux/arm64/v8
    /// (Docker gzip), and an attestation manifest whose in-toto layer is
    /// no filesystem layer (so reading it would fail).
    async fn multi_platform(repo: &Repository) {
        let amd64 = image(
            repo,
            "linux/amd64",
            &[(GZIP, b"amd64 base"), (ZSTD, b"amd64 top")],
        )
        .await;
        let arm64 = image(repo, "linux/arm64/v8", &[(DOCKER_GZIP, b"arm64 base")]).await;
        let statement = repo
            .put_blob("application/vnd.in-toto+json", b"{}")
            .await
            .unwrap();
        let mut attestation = manifest(
            repo,
            config(repo, "unknown/unknown", 1).await,
            vec![statement],
            Some("unknown/unknown"),
            None,
        )
        .await;
        attestation
            .annotations
            .insert(DOCKER_REFERENCE_TYPE.into(), "attestation-manifest".into());
        attestation.annotations.insert(
            "vnd.docker.reference.digest".into(),
            amd64.digest.to_string(),
        );
        index(repo, vec![amd64, arm64, attestation], Some("multi")).await;
    }

    /// The entries of the index tagged `tag`.
    async fn images_of(repo: &Repository, tag: &str) -> Vec<Descriptor> {
        match repo.tagged(tag).await.unwrap().unwrap().manifest {
            Manifest::Index(index) => index.manifests,
            Manifest::Image(_) => panic!("{tag} is not an index"),
        }
    }

    #[tokio::test]
    async fn reads_the_platform_asked_for_and_skips_attestation_manifests() {
        let (_, repo) = repo(Limits::default());
        multi_platform(&repo).await;

        let (images, seen) = read(&repo, "multi", "").await;
        let images = images.unwrap();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].platform.to_string(), "linux/amd64");
        assert_eq!(images[0].layers.len(), 2);
        assert_eq!(images[0].diff_ids.len(), 2);
        let config = repo.blob(&images[0].config).await.unwrap();
        assert!(String::from_utf8(config).unwrap().contains("amd64"));
        assert_eq!(
            seen,
            vec![
                (
                    "linux/amd64".into(),
                    0,
                    Compression::Gzip,
                    b"amd64 base".to_vec()
                ),
                (
                    "linux/amd64".into(),
                    1,
                    Compression::Zstd,
                    b"amd64 top".to_vec()
                ),
            ]
        );

        // A variant-less platform matches the entry with a variant.
        let (images, seen) = read(&repo, "multi", "linux/arm64").await;
        assert_eq!(images.unwrap()[0].platform.to_string(), "linux/arm64/v8");
        assert_eq!(
            seen,
            vec![(
                "linux/arm64/v8".into(),
                0,
                Compression::Gzip,
                b"arm64 base".to_vec()
            )]
        );

        let (images, seen) = read(&repo, "multi", "all").await;
        let platforms: Vec<String> = images
            .unwrap()
            .iter()
            .map(|i| i.platform.to_string())
            .collect();
        assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
        assert_eq!(seen.len(), 3);

        // An index of attestations alone has no platform, even for `all`;
        // the annotation alone marks one.
        let mut entry = images_of(&repo, "multi").await[2].clone();
        entry.platform = None;
        assert!(is_attestation(&entry));
        index(&repo, vec![entry], Some("attestations")).await;
        let (err, _) = read(&repo, "attestations", "all").await;
        assert_eq!(
            err.unwrap_err().to_string(),
            "image memory/app:attestations has no manifest for platform any; it has: none"
        );

        let (err, seen) = read(&repo, "multi", "linux/s390x").await;
        let err = err.unwrap_err();
        assert!(matches!(err, Error::NoPlatform { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "image memory/app:multi has no manifest for platform linux/s390x; it has: linux/amd64, linux/arm64/v8"
        );
        assert!(seen.is_empty());
    }

    #[tokio::test]
    async fn docker_schema_2_images_and_manifest_lists_are_read() {
        let (_, repo) = repo(Limits::default());
        let layer = repo.put_blob(DOCKER_GZIP, b"docker layer").await.unwrap();
        let config = json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [sha256(b"tar").to_string()]},
        });
        let config = repo
            .put_blob(DOCKER_CONFIG, &serde_json::to_vec(&config).unwrap())
            .await
            .unwrap();
        let manifest = json!({
            "schemaVersion": 2, "mediaType": crate::oci::DOCKER_MANIFEST,
            "config": config, "layers": [layer],
        });
        let mut entry = repo
            .put_manifest_bytes(
                &serde_json::to_vec(&manifest).unwrap(),
                crate::oci::DOCKER_MANIFEST,
                None,
            )
            .await
            .unwrap();
        entry.platform = Some(default_platform());
        let list = json!({
            "schemaVersion": 2, "mediaType": DOCKER_MANIFEST_LIST, "manifests": [entry],
        });
        repo.put_manifest_bytes(
            &serde_json::to_vec(&list).unwrap(),
            DOCKER_MANIFEST_LIST,
            Some("docker"),
        )
        .await
        .unwrap();
        let (images, seen) = read(&repo, "docker", "").await;
        let images = images.unwrap();
        assert_eq!(images[0].manifest.digest, entry.digest);
        assert_eq!(images[0].config.media_type, DOCKER_CONFIG);
        assert_eq!(
            seen,
            vec![(
                "linux/amd64".into(),
                0,
                Compression::Gzip,
                b"docker layer".to_vec()
            )]
        );
    }

    #[tokio::test]
    async fn a_layer_over_the_size_limit_is_refused_before_any_layer_is_fetched() {
        let (_, repo) = repo(Limits {
            max_blob_bytes: 100,
            ..Limits::default()
        });
        let small = repo.put_blob(GZIP, b"small").await.unwrap();
        // Declared at a terabyte and never stored: fetching it would fail
        // with "not found", so only a check before fetching passes.
        let mut huge = Descriptor::of(GZIP, b"huge");
        huge.size = 1 << 40;
        let config = config(&repo, "linux/amd64", 2).await;
        manifest(&repo, config, vec![small, huge.clone()], None, Some("big")).await;
        let (err, seen) = read(&repo, "big", "").await;
        let err = err.unwrap_err();
        let Error::Image { error, part, .. } = &err else {
            panic!("{err}")
        };
        assert!(
            matches!(
                **error,
                Error::TooLarge {
                    size: 1_099_511_627_776,
                    limit: 100,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(part, &format!("layer 2 of 2 {}", huge.digest));
        assert!(err.to_string().contains("image memory/app:big"), "{err}");
        assert!(err.to_string().contains("over the limit of 100"), "{err}");
        assert!(seen.is_empty(), "a layer was read before the check");
    }

    #[tokio::test]
    async fn every_platform_is_checked_before_any_layer_is_fetched() {
        let (_, repo) = repo(Limits::default());
        let good = image(&repo, "linux/amd64", &[(GZIP, b"fine")]).await;
        let bad = image(&repo, "linux/arm64", &[(TAR, b"x"), ("text/plain", b"y")]).await;
        index(&repo, vec![good, bad], Some("half")).await;
        let (err, seen) = read(&repo, "half", "all").await;
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("\"text/plain\" is not a filesystem layer"));
        assert!(
            seen.is_empty(),
            "linux/amd64 was read before linux/arm64 was checked"
        );
        let (images, _) = read(&repo, "half", "").await;
        assert_eq!(images.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn layers_over_the_count_limit_are_refused_before_any_is_fetched() {
        let (_, repo) = repo(Limits {
            max_layers: 2,
            ..Limits::default()
        });
        let layers: Vec<Descriptor> = (0..3)
            .map(|i| Descriptor::of(GZIP, format!("never stored {i}").as_bytes()))
            .collect();
        let config = config(&repo, "linux/amd64", 3).await;
        manifest(&repo, config, layers, None, Some("many")).await;
        let (err, seen) = read(&repo, "many", "").await;
        assert_too_many(err.unwrap_err(), 3, 2);
        assert!(seen.is_empty());
    }

    /// `err` is an image's `TooMany` of `count` against `limit`.
    fn assert_too_many(err: Error, count: usize, limit: usize) {
        let Error::Image { error, .. } = &err else {
            panic!("{err}")
        };
        assert!(
            matches!(**error, Error::TooMany { count: c, limit: l, .. } if c == count && l == limit),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_layer_whose_bytes_do_not_match_its_digest_is_refused() {
        let (store, repo) = repo(Limits::default());
        let good = repo.put_blob(GZIP, b"layer one").await.unwrap();
        let claimed = Descriptor::of(ZSTD, b"layer AAAA");
        // The store serves other bytes, of the same length, under the digest.
        store
            .push_blob("app", &claimed.digest, b"layer BBBB")
            .await
            .unwrap();
        let config = config(&repo, "linux/amd64", 2).await;
        manifest(
            &repo,
            config,
            vec![good, claimed.clone()],
            None,
            Some("forged"),
        )
        .await;
        let (err, seen) = read(&repo, "forged", "").await;
        let err = err.unwrap_err();
        let Error::Image { error, part, .. } = &err else {
            panic!("{err}")
        };
        assert!(
            matches!(**error, Error::DigestMismatch { expected, actual, .. }
                if expected == claimed.digest && actual == sha256(b"layer BBBB")),
            "{err}"
        );
        assert_eq!(part, &format!("layer 2 of 2 {}", claimed.digest));
        // The first layer was handed over; the forged one never was.
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].3, b"layer one");
    }

    #[tokio::test]
    async fn what_is_not_an_image_is_refused_with_its_media_type_named() {
        let (_, repo) = repo(Limits::default());
        // An artifact: a Sigstore bundle's manifest has the empty config.
        let layer = repo.put_blob(TAR, b"x").await.unwrap();
        let empty = repo.put_blob(EMPTY_JSON, b"{}").await.unwrap();
        manifest(&repo, empty, vec![layer.clone()], None, Some("artifact")).await;
        // A layer that is no filesystem, and a non-distributable one.
        let statement = repo
            .put_blob("application/vnd.in-toto+json", b"{}")
            .await
            .unwrap();
        let config1 = config(&repo, "linux/amd64", 1).await;
        manifest(
            &repo,
            config1.clone(),
            vec![statement],
            None,
            Some("intoto"),
        )
        .await;
        let foreign = repo
            .put_blob(
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                b"windows",
            )
            .await
            .unwrap();
        manifest(&repo, config1, vec![foreign], None, Some("foreign")).await;
        // An index entry of a manifest type vouch does not read.
        let mut schema1 = Descriptor::of(
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            b"{}",
        );
        schema1.platform = Some(default_platform());
        index(&repo, vec![schema1], Some("schema1")).await;

        for (tag, needle) in [
            ("artifact", "its config is of media type \"application/vnd.oci.empty.v1+json\""),
            ("intoto", "media type \"application/vnd.in-toto+json\" is not a filesystem layer"),
            ("foreign", "is a non-distributable layer"),
            ("schema1", "\"application/vnd.docker.distribution.manifest.v1+prettyjws\" is not an image manifest"),
        ] {
            let (err, seen) = read(&repo, tag, "").await;
            let err = err.unwrap_err();
            assert!(matches!(err, Error::Image { .. }), "{tag}: {err}");
            assert!(err.to_string().contains(needle), "{tag}: {err}");
            assert!(err.to_string().contains(&format!("image memory/app:{tag}")), "{err}");
            assert!(seen.is_empty(), "{tag}");
        }
    }

    #[tokio::test]
    async fn nested_indexes_are_walked_within_the_depth_limit() {
        let (store, repo) = repo(Limits::default());
        let amd64 = image(&repo, "linux/amd64", &[(GZIP, b"nested")]).await;
        let inner = index(&repo, vec![amd64], None).await;
        index(&repo, vec![inner], Some("nested")).await;
        let (images, seen) = read(&repo, "nested", "").await;
        assert_eq!(images.unwrap().len(), 1);
        assert_eq!(seen[0].3, b"nested");

        let shallow = Repository::new(
            store as Arc<dyn Store>,
            "app",
            Limits {
                max_index_depth: 1,
                ..Limits::default()
            },
        );
        let (err, seen) = read(&shallow, "nested", "").await;
        assert_too_many(err.unwrap_err(), 2, 1);
        assert!(seen.is_empty());
    }

    #[tokio::test]
    async fn a_lone_manifest_is_read_whatever_its_platform_unless_one_is_asked() {
        let (_, repo) = repo(Limits::default());
        let arm = image(&repo, "linux/arm64/v8", &[(GZIP, b"arm")]).await;
        let mut bare = arm.clone();
        bare.platform = None;
        let manifest = repo.manifest(&bare.digest).await.unwrap();
        repo.put_manifest(&manifest.manifest, Some("arm"))
            .await
            .unwrap();
        let (images, _) = read(&repo, "arm", "").await;
        assert_eq!(images.unwrap()[0].platform.to_string(), "linux/arm64/v8");
        let (images, _) = read(&repo, "arm", "all").await;
        assert_eq!(images.unwrap().len(), 1);
        let (err, seen) = read(&repo, "arm", "linux/amd64").await;
        let err = err.unwrap_err();
        assert_eq!(
            err.to_string(),
            "image memory/app:arm has no manifest for platform linux/amd64; it has: linux/arm64/v8"
        );
        assert!(seen.is_empty());
    }

    #[tokio::test]
    async fn the_config_must_agree_with_the_manifest_and_its_index_entry() {
        let (_, repo) = repo(Limits::default());
        // One diff_id for two layers.
        let layers = vec![
            repo.put_blob(GZIP, b"one").await.unwrap(),
            repo.put_blob(GZIP, b"two").await.unwrap(),
        ];
        let config1 = config(&repo, "linux/amd64", 1).await;
        manifest(&repo, config1, layers, None, Some("short")).await;
        let (err, seen) = read(&repo, "short", "").await;
        let err = err.unwrap_err().to_string();
        assert!(err.contains("with 1 diff_ids, for 2 layers"), "{err}");
        assert!(seen.is_empty());
        // An index entry saying amd64 for an arm64 image.
        let mut lying = image(&repo, "linux/arm64", &[(GZIP, b"arm")]).await;
        lying.platform = Some(default_platform());
        index(&repo, vec![lying], Some("lying")).await;
        let (err, seen) = read(&repo, "lying", "").await;
        let err = err.unwrap_err().to_string();
        assert!(
            err.contains("it is for linux/arm64, but its index entry says linux/amd64"),
            "{err}"
        );
        assert!(seen.is_empty());
    }

    #[tokio::test]
    async fn the_callers_error_stops_the_read() {
        let (_, repo) = repo(Limits::default());
        multi_platform(&repo).await;
        let mut calls = 0;
        let result = read_layers(&repo, &tagged("multi"), &Platforms::All, |_, _| {
            calls += 1;
            Err(Error::Invalid {
                what: "layer".into(),
                location: "test".into(),
                reason: "scan failed".into(),
            })
        })
        .await;
        assert!(result.unwrap_err().to_string().contains("scan failed"));
        assert_eq!(calls, 1);
    }

    #[test]
    fn platforms_parse() {
        assert_eq!("all".parse::<Platforms>(), Ok(Platforms::All));
        assert_eq!(platform("linux/arm/v7").variant.as_deref(), Some("v7"));
        assert_eq!(platform("linux/amd64").to_string(), "linux/amd64");
        for bad in [
            "",
            "linux",
            "linux/",
            "/amd64",
            "linux/amd64/v8/x",
            "linux/am d64",
        ] {
            let err = bad.parse::<Platforms>().unwrap_err();
            assert!(err.contains("os/architecture[/variant]"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_wrapped_outage_is_still_an_outage() {
        let outage = Error::Image {
            image: "x".into(),
            part: "layer".into(),
            error: Box::new(Error::Unavailable {
                location: "r".into(),
                reason: "timeout".into(),
            }),
        };
        assert!(outage.is_unavailable());
    }
}
