//! `Gemfile.lock` (`bundler::locked_inputs`): the project's lockfile,
//! whoever last committed to it.
//!
//! Beyond "no panic": every input is a gem, its purl names it, and every
//! dependency resolves to the package URL of another input; a declared
//! digest is a SHA-256 in hex.
#![no_main]

use std::collections::BTreeSet;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vouch_attest::bundler::locked_inputs;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(locked) = locked_inputs(text, Path::new("Gemfile.lock")) else {
        return;
    };
    let purls: BTreeSet<&str> = locked.iter().map(|l| l.input.purl.as_str()).collect();
    for l in &locked {
        assert_eq!(l.input.ecosystem, "gem");
        assert!(
            l.input
                .purl
                .starts_with(&format!("pkg:gem/{}@", l.input.name)),
            "{}",
            l.input.purl
        );
        for dependency in &l.input.dependencies {
            assert!(purls.contains(dependency.as_str()), "{dependency}");
        }
        if let Some(declared) = &l.input.declared {
            let hex = declared.strip_prefix("sha256:").unwrap();
            assert!(hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
});
