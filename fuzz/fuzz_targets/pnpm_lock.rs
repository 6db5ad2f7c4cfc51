//! `pnpm-lock.yaml` (`pnpm::locked_inputs`), lockfile 6.x or 9.0: the
//! project's lockfile, whoever last committed to it.
//!
//! Beyond "no panic": every input is an npm package with a purl, and
//! every dependency is the package URL of another input.
#![no_main]

use std::collections::BTreeSet;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vouch_attest::pnpm::locked_inputs;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(inputs) = locked_inputs(text, Path::new("pnpm-lock.yaml")) else {
        return;
    };
    let purls: BTreeSet<&str> = inputs.iter().map(|i| i.purl.as_str()).collect();
    for input in &inputs {
        assert_eq!(input.ecosystem, "npm");
        assert!(input.purl.starts_with("pkg:npm/"), "{}", input.purl);
        for dependency in &input.dependencies {
            assert!(purls.contains(dependency.as_str()), "{dependency}");
        }
    }
});
