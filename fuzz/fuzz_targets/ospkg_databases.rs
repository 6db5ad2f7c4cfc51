//! The OS package databases and os-release (`ospkg::dpkg`, `ospkg::apk`,
//! `ospkg::os_release`): files inside an image, written by whoever built it.
//!
//! Beyond "no panic": every package listed has a non-empty name, version,
//! source name and source version without whitespace (they go into purls
//! and version comparisons).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_ospkg::{apk, dpkg, os_release::OsRelease, Package};

fn check(packages: &[Package]) {
    for p in packages {
        for field in [&p.name, &p.version, &p.source_name, &p.source_version] {
            assert!(
                !field.is_empty() && !field.contains(char::is_whitespace),
                "{p:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(packages) = dpkg::status("var/lib/dpkg/status", data) {
        check(&packages);
    }
    if let Ok(packages) = dpkg::status_d("var/lib/dpkg/status.d/p", data) {
        check(&packages);
    }
    if let Ok(packages) = apk::installed("lib/apk/db/installed", data) {
        check(&packages);
    }
    let _ = OsRelease::parse("etc/os-release", data);
});
