//! npm `@sigstore/verify` (sigstore-js) as an oracle: it verifies the keyed
//! bundles `vouch sign-blob` writes, offline, with a TrustMaterial holding
//! our public key and thresholds of 0.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{assert_ok, oracle_script, run_vouch, tempdir};

fn sigstore_js(dir: &Path, bundle: &str, artifact: &str) -> Output {
    oracle_script("sigstore_verify.mjs")
        .current_dir(dir)
        .args([bundle, artifact, "k.pub"])
        .output()
        .unwrap()
}

fn statement(dir: &Path) {
    let digest = vouch_evidence::digest::sha256(b"artifact\n").hex();
    let st = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"a.txt","digest":{{"sha256":"{digest}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{{}}}}"#
    );
    fs::write(dir.join("st.json"), st).unwrap();
}

#[test]
fn sigstore_js_verifies_ecdsa_message_signature_bundle() {
    let dir = tempdir();
    let d = dir.path();
    assert_ok(&run_vouch(d, "keygen --out k"));
    fs::write(d.join("a.txt"), b"artifact\n").unwrap();
    assert_ok(&run_vouch(
        d,
        "sign-blob --key k.key --bundle a.sig.json a.txt",
    ));
    assert_ok(&sigstore_js(d, "a.sig.json", "a.txt"));
    // Negative control: the oracle rejects another artifact.
    fs::write(d.join("b.txt"), b"another\n").unwrap();
    assert_eq!(sigstore_js(d, "a.sig.json", "b.txt").status.code(), Some(1));
}

#[test]
fn sigstore_js_verifies_ecdsa_and_ed25519_dsse_bundles() {
    for alg in ["ecdsa-p256", "ed25519"] {
        let dir = tempdir();
        let d = dir.path();
        assert_ok(&run_vouch(d, &format!("keygen --out k --algorithm {alg}")));
        statement(d);
        assert_ok(&run_vouch(
            d,
            "sign-blob --in-toto --key k.key --bundle st.sig.json st.json",
        ));
        let out = sigstore_js(d, "st.sig.json", "-");
        assert_ok(&out);

        // Negative control: a bundle whose envelope payload was swapped.
        let mut bundle: serde_json::Value =
            serde_json::from_slice(&fs::read(d.join("st.sig.json")).unwrap()).unwrap();
        bundle["dsseEnvelope"]["payload"] = "e30=".into();
        fs::write(d.join("forged.json"), serde_json::to_vec(&bundle).unwrap()).unwrap();
        assert_eq!(
            sigstore_js(d, "forged.json", "-").status.code(),
            Some(1),
            "{alg}: oracle accepted a forgery"
        );
    }
}
