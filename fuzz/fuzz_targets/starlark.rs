//! Starlark (`bazel::read_pins`): a `WORKSPACE`, `MODULE.bazel` or `.bzl`
//! file, read by a literal-only parser with capped nesting and evaluation.
//! Whoever edits the build files controls it.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vouch_attest::bazel::read_pins;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(pins) = read_pins(text, "WORKSPACE", Path::new("WORKSPACE")) {
        let _ = format!("{pins:?}");
    }
});
