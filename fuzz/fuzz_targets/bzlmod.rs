//! Bazel modules (`bazel::module_dependencies`, `bazel::lockfile_pins`):
//! the first byte picks the reader (even: a root `MODULE.bazel`, odd: a
//! `MODULE.bazel.lock`), the rest is its text. Whoever edits the project
//! controls both.
//!
//! Beyond "no panic": every registry file hash is 64 hex digits, and every
//! pin is a `go` module or a `cargo` crate with a name and a version.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_attest::bazel::{lockfile_pins, module_dependencies};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if which % 2 == 0 {
        if let Ok(deps) = module_dependencies(text) {
            for (name, _) in &deps {
                assert!(!name.is_empty());
            }
        }
    } else if let Ok((hashes, pins)) = lockfile_pins(text) {
        for hex in hashes.values().flatten() {
            assert_eq!(hex.len(), 64, "{hex}");
            assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{hex}");
        }
        for pin in &pins {
            assert!(["go", "cargo"].contains(&pin.ecosystem), "{pin:?}");
            assert!(!pin.name.is_empty() && !pin.version.is_empty(), "{pin:?}");
        }
    }
});
