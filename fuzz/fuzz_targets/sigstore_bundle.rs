//! Sigstore bundle JSON (`Bundle::from_json`), then what `vouch verify`
//! does with one: the signing certificate's identity, and verification
//! with a key and keyless against the public-good trusted root, both of
//! which must fail cleanly on a forged bundle.
//!
//! Beyond "no panic": a parsed bundle's content decodes, and the bundle
//! re-serialises to JSON that parses back to the same bundle.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sigstore_types::VerificationMaterialContent;
use vouch_evidence::bundle::Bundle;
use vouch_evidence::keys::PublicKey;
use vouch_verify::bundle::{
    verify_keyless, verify_with_key, Artifact, CertificateIdentity, IdentityPolicy, TrustedRoot,
};

/// The artifact the conformance bundles in the seed corpus sign.
const ARTIFACT: &[u8] = include_bytes!("../fixtures/conformance-a.txt");

/// Admits every signer: the fuzz target exercises verification, not policy.
struct Anyone;

impl IdentityPolicy for Anyone {
    fn admits(&self, _: &CertificateIdentity) -> bool {
        true
    }
    fn expected(&self) -> String {
        "anyone".into()
    }
}

fn fixtures() -> &'static (TrustedRoot, PublicKey) {
    static FIXTURES: OnceLock<(TrustedRoot, PublicKey)> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        (
            TrustedRoot::public_good().expect("the embedded public-good root parses"),
            PublicKey::from_pem(include_str!("../fixtures/conformance-managed-key.pub"))
                .expect("the conformance suite's managed key parses"),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::from_json(data) else {
        return;
    };
    let content = bundle.content().expect("from_json checked the content");
    let again = Bundle::from_json(&bundle.to_json()).expect("a parsed bundle's JSON parses");
    assert_eq!(again, bundle, "the bundle survives a round trip");
    assert_eq!(again.content().ok(), Some(content));

    let certificates: Vec<&[u8]> = match &bundle.wire().verification_material.content {
        VerificationMaterialContent::Certificate(c) => vec![c.raw_bytes.as_bytes()],
        VerificationMaterialContent::X509CertificateChain { certificates } => certificates
            .iter()
            .map(|c| c.raw_bytes.as_bytes())
            .collect(),
        _ => Vec::new(),
    };
    for der in certificates {
        let _ = CertificateIdentity::from_certificate_der(der);
    }
    let (root, key) = fixtures();
    let _ = verify_with_key(&bundle, Artifact::Bytes(ARTIFACT), key, root);
    let _ = verify_keyless(&bundle, Artifact::Bytes(ARTIFACT), root, &Anyone);
});
