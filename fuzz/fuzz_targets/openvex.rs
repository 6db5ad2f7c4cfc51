//! OpenVEX documents (`vex::Document::from_json`): what a VEX author
//! signs, and `vouch vex` reads from a file.
//!
//! Beyond "no panic": a parsed document writes OpenVEX JSON that parses
//! back to the same document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_evidence::vex::Document;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = Document::from_json(data) else {
        return;
    };
    assert!(!document.statements.is_empty());
    let json = document.to_json();
    let again = Document::from_json(&json).expect("a parsed document's JSON parses");
    assert_eq!(again, document, "the document survives a round trip");
    let _ = document.derive_id();
});
