//! `vouch sign-blob` signs blobs, never what would pass for image evidence.

use crate::common;

use std::fs;
use std::path::Path;

use common::registry::layout_image;
use common::{assert_fails_with, assert_ok, read_json, tempdir, vouch_in};
use serde_json::Value;
use vouch_evidence::digest::sha256;

/// The descriptor in the layout's `index.json` tagged `tag`.
fn tagged<'a>(index: &'a mut Value, tag: &str) -> &'a mut Value {
    index["manifests"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|d| d["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap()
}

fn blob_path(layout: &Path, digest: &str) -> std::path::PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.strip_prefix("sha256:").unwrap())
}

/// The attack of finding 5: whoever may have a blob signed by the CI key
/// hands it a simple-signing payload for an unsigned image, and places the
/// signature in the image's legacy `.sig` layer. The CI key must not have
/// signed it, and the image must stay unverified.
#[test]
fn regression_issue_8_sign_blob_is_not_a_signing_oracle() {
    let tmp = tempdir();
    let dir = tmp.path();
    let layout = dir.join("layout");
    let digest = layout_image(&layout, "v1");
    assert_ok(&vouch_in(dir, &["keygen", "--out", "ci"]));
    assert_ok(&vouch_in(dir, &["keygen", "--out", "attacker"]));
    // The attacker's own legacy signature gives the `.sig` layout and the
    // exact simple-signing payload for this image.
    assert_ok(&vouch_in(
        dir,
        &[
            "sign",
            "oci:layout:v1",
            "--key",
            "attacker.key",
            "--format",
            "legacy",
        ],
    ));
    let sig_tag = format!("{}.sig", digest.replace(':', "-"));
    let mut index = read_json(&layout.join("index.json"));
    let manifest_digest = tagged(&mut index, &sig_tag)["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let mut manifest = read_json(&blob_path(&layout, &manifest_digest));
    let payload_digest = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    fs::copy(
        blob_path(&layout, &payload_digest),
        dir.join("payload.json"),
    )
    .unwrap();

    // The oracle: the CI key signs whatever blob it is given.
    let signed = vouch_in(
        dir,
        &[
            "sign-blob",
            "--key",
            "ci.key",
            "--bundle",
            "forged.json",
            "payload.json",
        ],
    );
    if signed.status.success() {
        let bundle = read_json(&dir.join("forged.json"));
        // Both are standard base64 of the raw signature.
        manifest["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"] =
            bundle["messageSignature"]["signature"].clone();
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let forged = sha256(&bytes).to_string();
        fs::write(blob_path(&layout, &forged), &bytes).unwrap();
        let entry = tagged(&mut index, &sig_tag);
        entry["digest"] = forged.into();
        entry["size"] = bytes.len().into();
        fs::write(
            layout.join("index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
    }
    let verified = vouch_in(dir, &["verify-image", "oci:layout:v1", "--key", "ci.pub"]);
    assert!(
        !verified.status.success(),
        "an image the CI key never signed verified under it: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert_fails_with(&signed, "cosign simple-signing payload");
    assert!(!dir.join("forged.json").exists(), "nothing is written");

    // The same for a DSSE pre-authentication encoding, the bytes a legacy
    // `.att` envelope's signature is over.
    let pae = vouch_evidence::dsse::pae("application/vnd.in-toto+json", b"{}");
    fs::write(dir.join("pae.bin"), pae).unwrap();
    let out = vouch_in(
        dir,
        &[
            "sign-blob",
            "--key",
            "ci.key",
            "--bundle",
            "pae.json",
            "pae.bin",
        ],
    );
    assert_fails_with(&out, "DSSE pre-authentication encoding");
    assert!(!dir.join("pae.json").exists());

    // Control: an ordinary blob is signed and verifies.
    fs::write(dir.join("app.tar"), b"release artifact\n").unwrap();
    assert_ok(&vouch_in(
        dir,
        &[
            "sign-blob",
            "--key",
            "ci.key",
            "--bundle",
            "app.json",
            "app.tar",
        ],
    ));
    assert_ok(&vouch_in(
        dir,
        &[
            "verify-bundle",
            "--bundle",
            "app.json",
            "--key",
            "ci.pub",
            "app.tar",
        ],
    ));
}
