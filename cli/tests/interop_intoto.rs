//! Interop with the Python in-toto reference implementation and
//! securesystemslib, as oracles:
//! - links that `in-toto-run --use-dsse` signs with keys from `vouch keygen`
//!   verify through our DSSE code;
//! - DSSE envelopes we sign verify in securesystemslib.

use crate::common;

use std::fs;
use std::path::Path;

use common::{assert_ok, oracle_script, run_vouch, tempdir, venv_bin};
use vouch_evidence::digest::sha256;
use vouch_evidence::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use vouch_evidence::keys::{Algorithm, PrivateKey, PublicKey, Signer};

fn public_key(dir: &Path, prefix: &str) -> PublicKey {
    PublicKey::from_pem(&fs::read_to_string(dir.join(format!("{prefix}.pub"))).unwrap()).unwrap()
}

#[test]
fn we_verify_links_signed_by_in_toto_run_with_ecdsa_and_ed25519() {
    for alg in ["ecdsa-p256", "ed25519"] {
        let dir = tempdir();
        let d = dir.path();
        assert_ok(&run_vouch(
            d,
            &format!("keygen --out functionary --algorithm {alg}"),
        ));
        assert_ok(&run_vouch(
            d,
            &format!("keygen --out stranger --algorithm {alg}"),
        ));
        fs::write(d.join("src.txt"), b"source\n").unwrap();
        let out = venv_bin("in-toto-run")
            .current_dir(d)
            .args([
                "--step-name",
                "build",
                "--use-dsse",
                "--signing-key",
                "functionary.key",
            ])
            .args([
                "--materials",
                "src.txt",
                "--products",
                "src.txt",
                "--",
                "true",
            ])
            .output()
            .unwrap();
        assert_ok(&out);
        let link_path = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "link"))
            .expect("in-toto-run wrote no link");
        let envelope = Envelope::from_json(&fs::read(&link_path).unwrap()).unwrap();
        let functionary = public_key(d, "functionary");
        let verified = envelope
            .verify(IN_TOTO_PAYLOAD_TYPE, std::slice::from_ref(&functionary), 1)
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.signers, vec![functionary.key_id()]);
        let link: serde_json::Value = serde_json::from_slice(&verified.payload).unwrap();
        assert_eq!(link["_type"], "link");
        assert_eq!(link["name"], "build");
        assert_eq!(
            link["materials"]["src.txt"]["sha256"],
            sha256(b"source\n").hex()
        );

        // The same link does not verify under another key, nor once edited.
        let err = envelope
            .verify(IN_TOTO_PAYLOAD_TYPE, &[public_key(d, "stranger")], 1)
            .unwrap_err();
        assert!(err.to_string().contains("verifies"), "{err}");
        let mut edited: serde_json::Value =
            serde_json::from_slice(&fs::read(&link_path).unwrap()).unwrap();
        let tampered = String::from_utf8(verified.payload.clone())
            .unwrap()
            .replace("\"build\"", "\"evil\"");
        edited["payload"] = vouch_b64(tampered.as_bytes()).into();
        let edited = Envelope::from_json(&serde_json::to_vec(&edited).unwrap()).unwrap();
        assert!(edited
            .verify(IN_TOTO_PAYLOAD_TYPE, &[functionary], 1)
            .is_err());
    }
}

fn vouch_b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn securesystemslib_verifies_envelopes_we_sign_with_ecdsa_and_ed25519() {
    for alg in [Algorithm::EcdsaP256Sha256, Algorithm::Ed25519] {
        let dir = tempdir();
        let d = dir.path();
        let key = PrivateKey::generate(alg).unwrap();
        fs::write(d.join("key.pub"), key.public_key().to_pem()).unwrap();
        let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}}],"predicateType":"https://example.com/p","predicate":{}}"#;
        let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement, &[&key]).unwrap();
        fs::write(d.join("env.json"), envelope.to_json()).unwrap();
        let keyid = key.public_key().key_id().to_string();
        let out = oracle_script("sslib_verify.py")
            .current_dir(d)
            .args(["env.json", "key.pub", &keyid])
            .output()
            .unwrap();
        assert_ok(&out);

        // Negative control: the oracle rejects a payload that was not signed.
        let mut edited: serde_json::Value = serde_json::from_slice(&envelope.to_json()).unwrap();
        edited["payload"] = vouch_b64(b"{}").into();
        fs::write(d.join("edited.json"), serde_json::to_vec(&edited).unwrap()).unwrap();
        let out = oracle_script("sslib_verify.py")
            .current_dir(d)
            .args(["edited.json", "key.pub", &keyid])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{alg}: securesystemslib accepted a forged payload"
        );
    }
}
