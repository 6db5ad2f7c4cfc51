//! DSSE envelope JSON (`Envelope::from_json`): what a registry's tag writer
//! or a signer hands `vouch verify` as an attestation layer.
//!
//! Beyond "no panic": a parsed envelope re-serialises to JSON that parses
//! back to the same envelope and the same bytes, and verifying its fuzzed
//! signatures against a real key fails cleanly.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vouch_evidence::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use vouch_evidence::keys::PublicKey;

fn keys() -> &'static [PublicKey] {
    static KEYS: OnceLock<Vec<PublicKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        vec![
            PublicKey::from_pem(include_str!("../../testdata/dsse/spec-example.pub"))
                .expect("the DSSE spec's example key parses"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = Envelope::from_json(data) else {
        return;
    };
    let json = envelope.to_json();
    let again = Envelope::from_json(&json).expect("a parsed envelope's JSON parses");
    assert_eq!(again, envelope, "the envelope survives a round trip");
    assert_eq!(again.to_json(), json, "its JSON is stable");
    for threshold in [1, 2] {
        if let Ok(verified) = envelope.verify(IN_TOTO_PAYLOAD_TYPE, keys(), threshold) {
            assert_eq!(verified.payload, envelope.unverified_payload());
            assert!(verified.signers.len() >= threshold);
        }
    }
});
