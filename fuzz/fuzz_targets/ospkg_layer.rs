//! Image layers (`ospkg::layers::Layers::apply`, then `ospkg::scan::scan`):
//! tar streams from whoever pushed the image, plain, gzip or zstd.
//!
//! The first byte picks the media type; the rest is the layer, applied
//! twice (as a base and as an upper layer, so whiteouts and links meet
//! lower entries) under small caps. Beyond "no panic": a failed layer
//! poisons the view, and every package a scan finds is attributed to one
//! of the layers applied.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_ospkg::layers::{Layers, Limits};

const MEDIA_TYPES: [&str; 3] = [
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, blob)) = data.split_first() else {
        return;
    };
    let media_type = MEDIA_TYPES[usize::from(selector) % MEDIA_TYPES.len()];
    let digest = format!(
        "sha256:{}",
        hex::encode(ring::digest::digest(&ring::digest::SHA256, blob))
    );
    let mut layers = Layers::new(Limits {
        layer_bytes: 16 << 20,
        layer_entries: 10_000,
        file_bytes: 1 << 20,
        kept_bytes: 4 << 20,
        status_d_files: 100,
        links: 1_000,
    });
    for _ in 0..2 {
        if layers.apply(&digest, media_type, blob).is_err() {
            assert!(
                layers.read("etc/os-release").is_err(),
                "a failed layer must poison the view"
            );
            return;
        }
    }
    if let Ok(scan) = vouch_ospkg::scan::scan(&layers) {
        for located in &scan.packages {
            assert_eq!(
                located.layer, digest,
                "a package attributed to no applied layer"
            );
        }
    }
});
