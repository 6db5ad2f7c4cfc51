//! Go's `go.sum`, `vendor/modules.txt` and `go.mod` (`go::parse_go_sum`,
//! `go::parse_modules_txt`, `go::parse_go_mod`): the same bytes through
//! each line-based parser, then the lookups and package URLs built on them.
//!
//! Beyond "no panic": every go.sum hash kept is an `h1:` one, and every
//! vendored package lies in its module.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vouch_attest::go::{parse_go_mod, parse_go_sum, parse_modules_txt, proxy_uri, purl};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sums) = parse_go_sum(text, Path::new("go.sum")) {
        assert!(sums.values().flatten().all(|h| h.starts_with("h1:")));
    }
    if let Ok(txt) = parse_modules_txt(text, Path::new("vendor/modules.txt")) {
        for module in &txt.modules {
            for package in &module.packages {
                assert!(package.starts_with(module.path.as_str()), "{package}");
            }
            if let Some(version) = &module.version {
                let _ = (
                    purl(&module.path, version),
                    proxy_uri(&module.path, version),
                );
            }
        }
    }
    if let Ok(go_mod) = parse_go_mod(text, Path::new("go.mod")) {
        for require in &go_mod.require {
            let _ = go_mod.replacement(&require.path, &require.version);
            let _ = purl(&require.path, &require.version);
        }
    }
});
