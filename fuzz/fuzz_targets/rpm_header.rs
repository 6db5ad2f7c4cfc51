//! One RPM header as rpmdb stores it (`ospkg::rpm::header::package`): the
//! blob comes from an image's package database, which anyone who can push
//! an image writes.
//!
//! Beyond "no panic": a header that parses has a version that reads back as
//! `[epoch:]version-release`, and a source version with the same epoch.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_ospkg::rpm::header;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = header::package("fuzz", 0, data) {
        let epoch = |v: &str| {
            let (epoch, vr) = match v.split_once(':') {
                Some((e, vr)) => (Some(e.to_owned()), vr),
                None => (None, v),
            };
            assert!(
                epoch.as_deref().is_none_or(|e| e.parse::<u32>().is_ok()),
                "{v:?}"
            );
            assert_eq!(vr.matches('-').count(), 1, "{v:?}");
            assert!(!vr.contains(':'), "{v:?}");
            epoch
        };
        assert_eq!(epoch(&p.version), epoch(&p.source_version));
    }
});
