//! In-process timing of keyed DSSE bundle verification, for bench/verify.sh.
//!
//!   cargo bench -p vouch-verify --bench verify_bundle -- BUNDLE PUBLIC_KEY SHA256_DIGEST N REPS
//!
//! Parses the bundle and key once, then times REPS repetitions of N calls to
//! `verify_with_key` (DSSE signature, statement parse, subject binding) and
//! prints one JSON object in the shape bench/peer_loop.{py,mjs} print:
//! median/min/max ms per verification. It first checks that a forged
//! payload is rejected, so it never times a verifier that accepts anything.
//! No timing is asserted anywhere.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    clippy::disallowed_macros
)] // bench driver

use std::time::Instant;

use vouch_evidence::bundle::Bundle;
use vouch_evidence::keys::PublicKey;
use vouch_verify::bundle::{verify_with_key, Artifact, TrustedRoot};

fn main() {
    // cargo bench appends `--bench`; keep only our positional arguments.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [bundle, key, digest, n, reps] = args.as_slice() else {
        eprintln!("usage: verify_bundle BUNDLE PUBLIC_KEY SHA256_DIGEST N REPS");
        std::process::exit(2);
    };
    let bundle_json = std::fs::read(bundle).unwrap();
    let bundle = Bundle::from_json(&bundle_json).unwrap();
    let key = PublicKey::from_pem(&std::fs::read_to_string(key).unwrap()).unwrap();
    let digest = Artifact::Digest(digest.parse().unwrap());
    let (n, reps): (usize, usize) = (n.parse().unwrap(), reps.parse().unwrap());
    let root = TrustedRoot::public_good().unwrap();

    // Negative control: flip a bit of the payload; it must not verify.
    let mut forged: serde_json::Value = serde_json::from_slice(&bundle_json).unwrap();
    let payload = forged["dsseEnvelope"]["payload"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = if payload.starts_with('e') {
        payload.replacen('e', "f", 1)
    } else {
        format!("e{}", &payload[1..])
    };
    forged["dsseEnvelope"]["payload"] = flipped.into();
    let forged = Bundle::from_json(&serde_json::to_vec(&forged).unwrap()).unwrap();
    assert!(
        verify_with_key(&forged, digest, &key, &root).is_err(),
        "forged bundle verified"
    );

    let payload_bytes = verify_with_key(&bundle, digest, &key, &root)
        .unwrap()
        .payload
        .unwrap()
        .payload
        .len();
    let rep = |count: usize| {
        let start = Instant::now();
        for _ in 0..count {
            verify_with_key(&bundle, digest, &key, &root).unwrap();
        }
        start.elapsed().as_secs_f64() * 1e3 / count as f64
    };
    rep((n / 10).max(1)); // warm-up, discarded
    let mut per_op: Vec<f64> = (0..reps).map(|_| rep(n)).collect();
    per_op.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "tool": "vouch verify_with_key",
            "payload_bytes": payload_bytes,
            "n": n, "reps": reps,
            "median_ms": per_op[per_op.len() / 2],
            "min_ms": per_op[0], "max_ms": per_op[per_op.len() - 1],
        })
    );
}
