//! CycloneDX BOMs as VEX (`vex::from_cyclonedx`) and as the SBOM inputs
//! `vouch vulns` matches (`vulns::inputs_from_cyclonedx`): the predicate of
//! a signed CycloneDX attestation.
//!
//! Beyond "no panic": every statement speaks of the subject it was read
//! for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vouch_evidence::vex::from_cyclonedx;
use vouch_verify::vulns::inputs_from_cyclonedx;

const SUBJECT: &str = "registry.example.com/team/app@sha256:\
                       0000000000000000000000000000000000000000000000000000000000000000";

fuzz_target!(|data: &[u8]| {
    let Ok(bom) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(statements) = from_cyclonedx(&bom, SUBJECT) {
        for statement in &statements {
            assert!(!statement.products.is_empty());
            assert!(statement.products.iter().all(|p| p.id == SUBJECT));
        }
    }
    let _ = inputs_from_cyclonedx(&bom);
});
