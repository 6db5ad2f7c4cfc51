//! `package-lock.json` (`npm::locked_inputs`): the project's lockfile,
//! whoever last committed to it.
//!
//! Beyond "no panic": each input is the package its key installs, and
//! every dependency resolves to the package URL of another input.
#![no_main]

use std::collections::BTreeSet;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vouch_attest::npm::{locked_inputs, name_of_key};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(inputs) = locked_inputs(text, Path::new("package-lock.json")) else {
        return;
    };
    let purls: BTreeSet<&str> = inputs.iter().map(|(_, i)| i.purl.as_str()).collect();
    for (key, input) in &inputs {
        assert_eq!(name_of_key(key), Some(input.name.as_str()));
        for dependency in &input.dependencies {
            assert!(purls.contains(dependency.as_str()), "{dependency}");
        }
    }
});
