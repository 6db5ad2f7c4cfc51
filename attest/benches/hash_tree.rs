//! In-process timing of the hashing path alone, for bench/hash.sh.
//!
//!   cargo bench -p vouch-attest --bench hash_tree -- VENDOR_DIR REPS [MIN_BYTES]
//!
//! Every immediate subdirectory of VENDOR_DIR is one directory job, as
//! discovery makes them (one per vendored crate). Its files are listed once
//! with `Root::files` (untimed), keeping only those of at least MIN_BYTES
//! (default 0: all). Then REPS repetitions of `Root::hash_dirs` over all
//! jobs plus `tree::dir_hash` per job are timed, and one JSON object is
//! printed: files, bytes, median/min wall seconds per repetition, MB/s at
//! the median, threads, and CPU seconds (user + system) per repetition.
//!
//! `vouch inputs` also parses lockfiles and metadata, checks and prints; this
//! isolates open/stat/read/SHA-256 over the real tree, so bench/hash.sh can
//! set it against one core's `openssl speed`. Before timing it checks every
//! digest against a SHA-256 of the file read whole, and that a changed byte
//! changes the digest, so it never times a hasher that returns anything.
//! No timing is asserted anywhere.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    clippy::disallowed_macros
)] // bench driver

use std::path::PathBuf;
use std::time::Instant;

use vouch_attest::tree::{dir_hash, join_inside, Root};

/// User + system CPU seconds of this process so far, from /proc/self/stat
/// (fields 14 and 15, in USER_HZ ticks, 100 per second on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The command name (field 2) may hold spaces; fields after it are plain.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

fn main() {
    // cargo bench appends `--bench`; keep only our positional arguments.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let (dir, reps, min_bytes) = match args.as_slice() {
        [dir, reps] => (dir, reps, 0),
        [dir, reps, min] => (dir, reps, min.parse::<u64>().unwrap()),
        _ => {
            eprintln!("usage: hash_tree VENDOR_DIR REPS [MIN_BYTES]");
            std::process::exit(2);
        }
    };
    let reps: usize = reps.parse().unwrap();
    let root = Root::new(std::path::Path::new(dir)).unwrap();
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    let mut bytes = 0u64;
    let jobs: Vec<(PathBuf, Vec<String>)> = subdirs
        .into_iter()
        .map(|d| {
            let kept: Vec<String> = root
                .files(&d)
                .unwrap()
                .into_iter()
                .filter(|f| {
                    let len = std::fs::metadata(join_inside(&d, f).unwrap())
                        .unwrap()
                        .len();
                    bytes += if len >= min_bytes { len } else { 0 };
                    len >= min_bytes
                })
                .collect();
            (d, kept)
        })
        .collect();
    let file_count: usize = jobs.iter().map(|(_, f)| f.len()).sum();
    assert!(
        file_count > 0,
        "no files of at least {min_bytes} bytes under {dir}"
    );

    // Correctness before speed: every digest against the file read whole.
    let hashed = root.hash_dirs(&jobs).unwrap();
    for ((d, listed), digests) in jobs.iter().zip(&hashed) {
        assert_eq!(listed.len(), digests.len());
        for f in listed {
            let content = std::fs::read(join_inside(d, f).unwrap()).unwrap();
            let want = hex::encode(ring::digest::digest(&ring::digest::SHA256, &content));
            assert_eq!(digests[f], want, "{}/{f}", d.display());
        }
    }
    // Negative control: one changed byte, another digest.
    let (d, listed) = jobs.iter().find(|(_, f)| !f.is_empty()).unwrap();
    let mut content = std::fs::read(join_inside(d, &listed[0]).unwrap()).unwrap();
    content.push(b'\n');
    let changed = hex::encode(ring::digest::digest(&ring::digest::SHA256, &content));
    let job = hashed.iter().find(|m| !m.is_empty()).unwrap();
    assert_ne!(job[&listed[0]], changed, "a changed file kept its digest");

    let rep = || {
        let start = Instant::now();
        let hashed = root.hash_dirs(&jobs).unwrap();
        let dir_hashes: Vec<String> = hashed.iter().map(dir_hash).collect();
        assert_eq!(dir_hashes.len(), jobs.len());
        start.elapsed().as_secs_f64()
    };
    rep(); // warm-up, discarded
    let cpu_before = cpu_seconds();
    let mut seconds: Vec<f64> = (0..reps).map(|_| rep()).collect();
    let cpu_per_rep = (cpu_seconds() - cpu_before) / reps as f64;
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    println!(
        "{}",
        serde_json::json!({
            "tool": "vouch_attest::tree::hash_dirs + dir_hash",
            "dir": dir, "min_bytes": min_bytes,
            "jobs": jobs.len(), "files": file_count, "bytes": bytes,
            "reps": reps, "threads": rayon::current_num_threads(),
            "median_s": median, "min_s": seconds[0], "max_s": seconds[seconds.len() - 1],
            "mb_per_s": bytes as f64 / median / 1e6,
            "cpu_s_per_rep": cpu_per_rep,
        })
    );
}
