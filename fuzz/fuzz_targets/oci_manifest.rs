//! OCI image manifests and indexes, and Docker manifests and lists
//! (`Manifest::parse`), under every `Content-Type` a registry may give:
//! what a tag writer controls.
//!
//! Beyond "no panic": a parsed manifest re-serialises to JSON that parses
//! back to the same manifest, with a stable digest, and a referrer
//! descriptor records the digest and size of the bytes as fetched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_evidence::digest::sha256;
use vouch_registry::oci::{
    referrer_descriptor, to_json, Manifest, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX,
    OCI_MANIFEST,
};

const CONTENT_TYPES: [Option<&str>; 6] = [
    None,
    Some(OCI_MANIFEST),
    Some(OCI_INDEX),
    Some(DOCKER_MANIFEST),
    Some(DOCKER_MANIFEST_LIST),
    Some("application/octet-stream"),
];

fn json(manifest: &Manifest) -> Vec<u8> {
    match manifest {
        Manifest::Image(m) => to_json(m),
        Manifest::Index(i) => to_json(i),
    }
}

fuzz_target!(|data: &[u8]| {
    for content_type in CONTENT_TYPES {
        let Ok(manifest) = Manifest::parse(data, content_type) else {
            continue;
        };
        let bytes = json(&manifest);
        let again = Manifest::parse(&bytes, Some(manifest.media_type()))
            .expect("a parsed manifest's JSON parses");
        assert_eq!(again, manifest, "the manifest survives a round trip");
        assert_eq!(
            sha256(&json(&again)),
            sha256(&bytes),
            "its digest is stable"
        );
        if let Manifest::Image(image) = &manifest {
            let descriptor = referrer_descriptor(data, image);
            assert_eq!(descriptor.digest, sha256(data));
            assert_eq!(descriptor.size, data.len() as u64);
        }
    }
});
