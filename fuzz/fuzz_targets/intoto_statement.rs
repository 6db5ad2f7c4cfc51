//! in-toto Statement JSON (`Statement::from_json`): the signed payload of
//! every attestation, read once its envelope verified.
//!
//! Beyond "no panic": a parsed statement has subjects, each with a digest,
//! and re-serialises to JSON that parses back to the same statement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_evidence::statement::Statement;

fuzz_target!(|data: &[u8]| {
    let Ok(statement) = Statement::from_json(data) else {
        return;
    };
    assert!(!statement.subjects().is_empty());
    assert!(statement.subjects().iter().all(|s| s.digest.is_some()));
    let json = statement.to_json();
    let again = Statement::from_json(&json).expect("a parsed statement's JSON parses");
    assert_eq!(again, statement, "the statement survives a round trip");
});
