//! `Cargo.lock` (`cargo::locked_inputs`): the project's lockfile, whoever
//! last committed to it.
//!
//! Beyond "no panic": every input is a crate with a package URL, and a
//! declared checksum is a `sha256:` one.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vouch_attest::cargo::locked_inputs;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(inputs) = locked_inputs(text, Path::new("Cargo.lock")) else {
        return;
    };
    for input in &inputs {
        assert_eq!(input.ecosystem, "cargo");
        assert!(input.purl.starts_with("pkg:cargo/"), "{}", input.purl);
        if let Some(declared) = &input.declared {
            assert!(declared.starts_with("sha256:"), "{declared}");
        }
    }
});
