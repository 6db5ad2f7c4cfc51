//! pip requirements files (`pip::parse_requirements`): continuations,
//! comments, options, markers, hashes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vouch_attest::pip::parse_requirements;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = parse_requirements(text, Path::new("requirements.txt")) {
        let _ = format!("{parsed:?}");
    }
});
