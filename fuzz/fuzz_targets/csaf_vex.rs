//! CSAF 2.0 VEX documents (`vex::Csaf::from_json`): what a distribution
//! vendor publishes, read from a policy's `vulnerabilities.vendorVex`
//! directory.
//!
//! Beyond "no panic": every statement names a product, carries the
//! document's time, and answers `not_affected` only with a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_evidence::vex::{Csaf, Status};

fuzz_target!(|data: &[u8]| {
    let Ok(csaf) = Csaf::from_json(data) else {
        return;
    };
    for s in &csaf.statements {
        assert!(!s.products.is_empty(), "a statement names a product");
        assert_eq!(s.timestamp, csaf.timestamp, "the document's time");
        if s.status == Status::NotAffected {
            assert!(
                s.justification.is_some() || s.impact_statement.is_some(),
                "not_affected needs a reason"
            );
        } else {
            assert!(
                s.justification.is_none(),
                "a justification only with not_affected"
            );
        }
    }
});
