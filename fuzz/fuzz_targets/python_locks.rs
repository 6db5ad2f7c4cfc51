//! Python lockfiles and installed metadata (`attest::pylock`): the first
//! byte picks the parser (0 `poetry.lock`, 1 `uv.lock`, 2 `Pipfile.lock`,
//! 3 a `Pipfile`'s hash, else an installed `RECORD`), the rest is its text.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vouch_attest::pylock::{parse_record, pipfile, poetry, uv};
use vouch_attest::Root;

/// The project root the parsers weigh local sources against (no file is
/// read: only whether a path lies inside it).
fn root() -> &'static Root {
    static ROOT: OnceLock<Root> = OnceLock::new();
    ROOT.get_or_init(|| Root::new(Path::new(".")).expect("the working directory"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let path = Path::new("lockfile");
    match which {
        0 => {
            if let Ok(locked) = poetry::parse(text, path, root()) {
                let _ = format!("{locked:?}");
            }
        }
        1 => {
            if let Ok(locked) = uv::parse(text, path, root()) {
                let _ = format!("{locked:?}");
            }
        }
        2 => {
            if let Ok(parsed) = pipfile::parse(text, path, root()) {
                let _ = format!("{parsed:?}");
            }
        }
        3 => {
            let _ = pipfile::pipfile_hashes(text, path);
        }
        _ => {
            if let Ok(rows) = parse_record(text) {
                let _ = format!("{rows:?}");
            }
        }
    }
});
