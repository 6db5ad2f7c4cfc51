//! One RPM header as rpmdb stores it (`ospkg::rpm::header::package`): the
//! blob comes from an image's package database, which anyone who can push
//! an image writes.
//!
//! Beyond "no panic": a header that parses has a version of the shape
//! `[epoch:]version-release`, and a source version that keeps its epoch.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_ospkg::rpm::header;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = header::package("fuzz", 0, data) {
        assert!(p.version.contains('-'), "version {:?}", p.version);
        let epoch = |v: &str| v.split_once(':').map(|(e, _)| e.to_owned());
        assert_eq!(epoch(&p.version), epoch(&p.source_version));
    }
});
