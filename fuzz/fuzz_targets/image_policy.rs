//! ImagePolicy YAML (`policy::load_bytes`): every document of a policy
//! file, with its globs, regexps and Rego, as `vouch verify` and the
//! webhook load it.
//!
//! The file sits in a directory that does not exist, so relative key and
//! trusted-root paths fail to read, and a given (empty) OSV database stands
//! for every `vulnerabilities.osv`, so no database is read from disk.
//! Beyond "no panic": every loaded policy prints, and applies or not to an
//! image without failing.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use vouch_evidence::digest::sha256;
use vouch_evidence::osv::Database;
use vouch_registry::reference::ImageRef;
use vouch_verify::policy::{load_bytes, GivenOsv};

const FILE: &str = "/nonexistent/vouch-fuzz/policy.yaml";

fn image() -> &'static ImageRef {
    static IMAGE: OnceLock<ImageRef> = OnceLock::new();
    IMAGE.get_or_init(|| {
        "registry.example.com/team/app:1.0"
            .parse()
            .expect("the reference parses")
    })
}

fuzz_target!(|data: &[u8]| {
    let osv = GivenOsv {
        path: PathBuf::from("/nonexistent/vouch-fuzz/osv"),
        database: Arc::new(Database::new()),
        digest: sha256(b""),
    };
    let file = PathBuf::from(FILE);
    let Ok(set) = load_bytes(Path::new(FILE), vec![(file, data.to_vec())], Some(osv)) else {
        return;
    };
    assert!(!set.policies.is_empty());
    for policy in &set.policies {
        let _ = policy.to_string();
    }
    let _ = set.matching(image());
});
