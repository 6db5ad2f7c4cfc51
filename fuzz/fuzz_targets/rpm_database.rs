//! RPM databases (`ospkg::rpm::packages`): sqlite, NDB or BerkeleyDB, told
//! by their magic, from an image anyone can push. Loops in B-trees, overflow
//! chains and slots must end in an error, within the fuzzer's time and
//! memory limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_ospkg::rpm;

fuzz_target!(|data: &[u8]| {
    if let Ok(packages) = rpm::packages("fuzz", data) {
        assert!(packages.len() <= rpm::MAX_PACKAGES);
    }
});
