//! Reading the layers of a real Debian image (scripts/debian-test-image.sh:
//! Debian's own packages, mmdebstrap, umoci) back from a real registry
//! with `vouch_registry::image::read_layers`, after `vouch copy` pushed it:
//! layer count, media types, digests against the layout's own manifest,
//! the whiteouts of the second layer, the config's diff_ids against the
//! decompressed layers (GNU tar, gzip and zstd as the oracles of what is
//! inside), platform selection in an index of two platforms, and the
//! dpkg-query oracle over the image's package database.

use crate::common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::debian;
use common::registry::Registry;
use serde_json::{json, Value};
use vouch_evidence::digest::{sha256, Sha256};
use vouch_registry::image::{
    read_layers, Compression, PlatformImage, Platforms, DOCKER_REFERENCE_TYPE, OCI_CONFIG,
};
use vouch_registry::oci::{Descriptor, ImageIndex, Manifest};
use vouch_registry::reference::ImageRef;
use vouch_registry::remote::RemoteOptions;
use vouch_registry::{Error, Limits, Repository};

const GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// The repository `reference` names (a registry's or a layout).
fn open(reference: &str, limits: Limits) -> Repository {
    let image: ImageRef = reference.parse().unwrap();
    vouch_registry::open(&image, &RemoteOptions::default(), limits, false).unwrap()
}

/// The manifest `tag` names in the layout, read from its files.
fn layout_manifest(layout: &Path, tag: &str) -> (Sha256, Value) {
    let blob = |digest: &str| {
        let hex = digest.strip_prefix("sha256:").unwrap();
        std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap()
    };
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let entry = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap();
    let digest = entry["digest"].as_str().unwrap();
    (
        digest.parse().unwrap(),
        serde_json::from_slice(&blob(digest)).unwrap(),
    )
}

/// Runs `program args` with `input` on stdin; its stdout.
fn pipe(program: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} (scripts/install-oracles.sh): {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let out = std::thread::scope(|s| {
        s.spawn(move || stdin.write_all(input).unwrap());
        child.wait_with_output().unwrap()
    });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A layer's tar, decompressed by gzip or zstd.
fn untar(compression: Compression, bytes: &[u8]) -> Vec<u8> {
    match compression {
        Compression::None => bytes.to_vec(),
        Compression::Gzip => pipe("gzip", &["-dc"], bytes),
        Compression::Zstd => pipe("zstd", &["-dcq"], bytes),
    }
}

/// What GNU tar reads in a layer: its entry names, and the content of
/// `var/lib/dpkg/status` if it holds one.
struct LayerTar {
    diff_id: Sha256,
    names: Vec<String>,
    status: Option<Vec<u8>>,
}

fn layer_tar(compression: Compression, bytes: &[u8]) -> LayerTar {
    let tar = untar(compression, bytes);
    let names: Vec<String> = String::from_utf8(pipe("tar", &["-tf", "-"], &tar))
        .unwrap()
        .lines()
        .map(|l| l.trim_start_matches("./").to_string())
        .collect();
    let status = names
        .iter()
        .any(|n| n == "var/lib/dpkg/status")
        .then(|| pipe("tar", &["-xOf", "-", "var/lib/dpkg/status"], &tar));
    LayerTar {
        diff_id: sha256(&tar),
        names,
        status,
    }
}

/// Reads `reference` for `platforms`, keeping what each layer's tar holds.
async fn read(
    repo: &Repository,
    reference: &str,
    platforms: &Platforms,
) -> Result<(Vec<PlatformImage>, Vec<(String, String, LayerTar)>), Error> {
    let mut layers = Vec::new();
    let images = read_layers(
        repo,
        &reference.parse().unwrap(),
        platforms,
        |image, layer| {
            layers.push((
                image.platform.to_string(),
                layer.descriptor.media_type.clone(),
                layer_tar(layer.compression, &layer.bytes),
            ));
            Ok::<_, Error>(())
        },
    )
    .await?;
    Ok((images, layers))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debian_image_layers_read_back_from_a_real_registry() {
    let image = debian::image();
    let registry = Registry::plain();
    let reference = image.push(&registry);
    let (manifest_digest, manifest) = layout_manifest(&image.layout(), debian::TAG);
    let repo = open(&reference, Limits::default());

    let (images, layers) = read(&repo, &reference, &Platforms::Default).await.unwrap();
    assert_eq!(images.len(), 1);
    let amd64 = &images[0];
    assert_eq!(amd64.platform.to_string(), "linux/amd64");
    assert_eq!(amd64.manifest.digest, manifest_digest);
    assert_eq!(
        amd64.config.digest.to_string(),
        manifest["config"]["digest"].as_str().unwrap()
    );
    // Two layers, gzip then zstd, with the layout's digests and sizes.
    let expected: Vec<(String, String, u64)> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["mediaType"].as_str().unwrap().to_string(),
                l["digest"].as_str().unwrap().to_string(),
                l["size"].as_u64().unwrap(),
            )
        })
        .collect();
    let got: Vec<(String, String, u64)> = amd64
        .layers
        .iter()
        .map(|l| (l.media_type.clone(), l.digest.to_string(), l.size))
        .collect();
    assert_eq!(got, expected);
    let types: Vec<&str> = layers.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(types, [GZIP, ZSTD]);
    // The config's diff_ids are the digests of the tars inside.
    let diff_ids: Vec<Sha256> = layers.iter().map(|(_, _, t)| t.diff_id).collect();
    assert_eq!(diff_ids, amd64.diff_ids);

    let (base, top) = (&layers[0].2, &layers[1].2);
    // The base has sensible-utils; the second layer removes it with
    // whiteouts (its files and its doc directory) and installs less.
    assert!(base.names.contains(&"usr/bin/sensible-editor".to_string()));
    for whiteout in [
        "usr/bin/.wh.sensible-editor",
        "usr/bin/.wh.sensible-pager",
        "usr/share/doc/.wh.sensible-utils",
    ] {
        assert!(
            top.names.contains(&whiteout.to_string()),
            "{whiteout} missing from layer 2: {:?}",
            top.names
        );
    }
    assert!(top.names.contains(&"usr/bin/less".to_string()));
    assert!(!base.names.contains(&"usr/bin/less".to_string()));
    // The second layer's dpkg status is the final database, which the
    // oracle reads; the base's still lists sensible-utils.
    let final_status = std::fs::read(image.admindir().join("status")).unwrap();
    assert_eq!(top.status.as_deref(), Some(&final_status[..]));
    let base_status = String::from_utf8(base.status.clone().unwrap()).unwrap();
    assert!(base_status.contains("\nPackage: sensible-utils\n"));
    assert!(!base_status.contains("\nPackage: less\n"));

    // The same image read from its layout: the same layers.
    let local = open(&image.reference(debian::TAG), Limits::default());
    let (from_layout, _) = read(&local, &image.reference(debian::TAG), &Platforms::Default)
        .await
        .unwrap();
    assert_eq!(from_layout, images);

    // The base layer is over a 10 MB limit: refused before it is read,
    // naming the image, the layer and the limit.
    let small = open(
        &reference,
        Limits {
            max_blob_bytes: 10_000_000,
            ..Limits::default()
        },
    );
    let err = read(&small, &reference, &Platforms::Default)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains(&format!("image {reference}")), "{err}");
    assert!(
        err.contains(&format!("layer 1 of 2 {}", expected[0].1)),
        "{err}"
    );
    assert!(err.contains("over the limit of 10000000"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_of_two_platforms_is_read_per_platform_and_with_all() {
    let image = debian::image();
    let registry = Registry::plain();
    let reference = image.push(&registry);
    let repo = open(&reference, Limits::default());

    // An arm64/v8 image of the same layers (its config says so), and a
    // buildx attestation manifest, in one index with the amd64 image.
    let amd64 = repo.resolve(&reference.parse().unwrap()).await.unwrap();
    let Manifest::Image(manifest) = repo.manifest(&amd64.digest).await.unwrap().manifest else {
        panic!("not an image manifest")
    };
    let mut config: Value =
        serde_json::from_slice(&repo.blob(&manifest.config).await.unwrap()).unwrap();
    config["architecture"] = json!("arm64");
    config["variant"] = json!("v8");
    let mut arm = manifest.clone();
    arm.config = repo
        .put_blob(OCI_CONFIG, &serde_json::to_vec(&config).unwrap())
        .await
        .unwrap();
    let arm64 = repo
        .put_manifest(&Manifest::Image(arm), None)
        .await
        .unwrap();
    let mut attestation = manifest.clone();
    attestation.layers = vec![repo
        .put_blob("application/vnd.in-toto+json", b"{}")
        .await
        .unwrap()];
    let attestation = repo
        .put_manifest(&Manifest::Image(attestation), None)
        .await
        .unwrap();
    let entry = |d: &Descriptor, platform: &str, annotations: BTreeMap<String, String>| {
        let Platforms::Only(platform) = platform.parse().unwrap() else {
            panic!()
        };
        Descriptor {
            platform: Some(platform),
            annotations,
            ..d.clone()
        }
    };
    let mut index = ImageIndex::empty();
    index.manifests = vec![
        entry(&amd64, "linux/amd64", BTreeMap::new()),
        entry(
            &attestation,
            "unknown/unknown",
            [(
                DOCKER_REFERENCE_TYPE.to_string(),
                "attestation-manifest".to_string(),
            )]
            .into(),
        ),
        entry(&arm64, "linux/arm64/v8", BTreeMap::new()),
    ];
    repo.put_manifest(&Manifest::Index(index), Some("multi"))
        .await
        .unwrap();
    let multi = registry.reference("debian", "multi");

    let platforms_read = |images: &[PlatformImage]| -> Vec<(String, Sha256)> {
        images
            .iter()
            .map(|i| (i.platform.to_string(), i.manifest.digest))
            .collect()
    };
    let (images, layers) = read(&repo, &multi, &Platforms::Default).await.unwrap();
    assert_eq!(
        platforms_read(&images),
        [("linux/amd64".to_string(), amd64.digest)]
    );
    assert_eq!(layers.len(), 2);
    let (images, layers) = read(&repo, &multi, &"linux/arm64".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        platforms_read(&images),
        [("linux/arm64/v8".to_string(), arm64.digest)]
    );
    assert_eq!(images[0].layers, manifest.layers);
    assert!(layers.iter().all(|(p, _, _)| p == "linux/arm64/v8"));
    let (images, layers) = read(&repo, &multi, &Platforms::All).await.unwrap();
    assert_eq!(
        platforms_read(&images),
        [
            ("linux/amd64".to_string(), amd64.digest),
            ("linux/arm64/v8".to_string(), arm64.digest)
        ]
    );
    let order: Vec<(&str, &str)> = layers
        .iter()
        .map(|(p, t, _)| (p.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("linux/amd64", GZIP),
            ("linux/amd64", ZSTD),
            ("linux/arm64/v8", GZIP),
            ("linux/arm64/v8", ZSTD)
        ]
    );
    let err = read(&repo, &multi, &"linux/riscv64".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "image {multi} has no manifest for platform linux/riscv64; it has: linux/amd64, linux/arm64/v8"
        )
    );
}

#[test]
fn dpkg_query_lists_what_the_debian_image_has_installed() {
    let image = debian::image();
    assert!(image.os_release().contains("VERSION_ID=\"12\""));
    let all = debian::dpkg_query(&image.admindir());
    let installed = debian::installed(&image.admindir());
    assert_eq!(installed, all, "every entry of a fresh image is installed");
    let find = |name: &str| installed.iter().find(|p| p.name == name);
    // Installed by the second layer, purged by it.
    let less = find("less").unwrap();
    assert_eq!(
        (less.source.as_str(), less.architecture.as_str()),
        ("less", "amd64")
    );
    assert!(find("sensible-utils").is_none());
    // A binary whose source has another name: zlib1g from zlib.
    let zlib = find("zlib1g").unwrap();
    assert_eq!(zlib.source, "zlib");
    assert_eq!(zlib.source_version, zlib.version);
    assert!(zlib.version.starts_with("1:"), "an epoch: {}", zlib.version);
    // The essential set: dpkg, libc6, base-files, each from Debian.
    for name in ["dpkg", "libc6", "base-files", "bash", "coreutils"] {
        let p = find(name).unwrap_or_else(|| panic!("{name} not installed"));
        assert!(!p.version.is_empty() && !p.maintainer.is_empty(), "{p:?}");
    }
    assert!(installed.len() > 50, "{}", installed.len());
    // The base layer's database still has sensible-utils and no less: the
    // oracle answers for the final image only.
    let dir = common::tempdir();
    let (_, base) = layout_manifest(&image.layout(), debian::BASE_TAG);
    let layer = base["layers"][0]["digest"].as_str().unwrap();
    let bytes = std::fs::read(
        image
            .layout()
            .join("blobs/sha256")
            .join(layer.strip_prefix("sha256:").unwrap()),
    )
    .unwrap();
    let status = layer_tar(Compression::Gzip, &bytes).status.unwrap();
    std::fs::write(dir.path().join("status"), status).unwrap();
    let base = debian::installed(dir.path());
    assert!(base.iter().any(|p| p.name == "sensible-utils"));
    assert!(!base.iter().any(|p| p.name == "less"));
    assert_eq!(base.len(), installed.len(), "one package out, one in");
}
