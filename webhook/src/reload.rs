//! Hot reload of the policies: the policy file or directory (a mounted
//! ConfigMap) is polled, and a changed set is loaded and put in force.
//!
//! Polling rather than `notify`: a ConfigMap volume is updated by
//! swapping a `..data` symlink, which inotify reports on the directory
//! only, late, or (on some filesystems and in containers) not at all; a
//! content hash every few seconds is cheap (a few KiB of YAML) and sees
//! every change, whatever the filesystem.
//!
//! The OSV databases the policies name (`vulnerabilities.osv`) are watched
//! too, by the name, size and modification time of each record file, so
//! that new advisories take effect without a policy change; their contents
//! are read only when that listing changes.
//!
//! A changed set that does not load keeps the previous one in force; the
//! reason goes to stderr and to the reload failure counter, and the same
//! content is not tried again until it changes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use vouch_evidence::digest::{sha256, Sha256};
use vouch_verify::policy;

use crate::check::Checker;

/// A hash of the names and contents of the policy files under `path` (the
/// file itself, or the `*.yaml` and `*.yml` of a directory, as
/// `policy::load` reads them); `None` if nothing can be read.
pub fn fingerprint(path: &Path) -> Option<Sha256> {
    let mut files: Vec<PathBuf> = if path.is_dir() {
        std::fs::read_dir(path)
            .ok()?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    files.sort();
    let mut all = Vec::new();
    for file in files {
        all.extend_from_slice(file.to_string_lossy().as_bytes());
        all.push(0);
        let bytes = std::fs::read(&file).ok()?;
        all.extend_from_slice(&sha256(&bytes).0);
    }
    Some(sha256(&all))
}

/// A hash of the listing of the OSV databases the loaded policies name:
/// each record file's path, size and modification time.
fn databases(checker: &Checker) -> Sha256 {
    let mut all = Vec::new();
    let paths: std::collections::BTreeSet<PathBuf> = checker
        .policies()
        .policies
        .iter()
        .filter_map(|p| p.vulnerabilities.as_ref().map(|v| v.osv.clone()))
        .collect();
    for path in paths {
        for entry in walkdir::WalkDir::new(&path).sort_by_file_name() {
            let Ok(entry) = entry else {
                all.push(1);
                continue;
            };
            all.extend_from_slice(entry.path().to_string_lossy().as_bytes());
            if let Ok(meta) = entry.metadata() {
                all.extend_from_slice(&meta.len().to_be_bytes());
                if let Ok(Ok(at)) = meta
                    .modified()
                    .map(|m| m.duration_since(std::time::UNIX_EPOCH))
                {
                    all.extend_from_slice(&at.as_nanos().to_be_bytes());
                }
            }
            all.push(0);
        }
    }
    sha256(&all)
}

/// Polls `path` (and the OSV databases its policies name) every `interval`
/// and reloads the checker's policies when they change. Runs until the
/// process ends.
pub async fn watch(checker: Arc<Checker>, path: PathBuf, interval: Duration) {
    let mut last = (fingerprint(&path), databases(&checker));
    loop {
        tokio::time::sleep(interval).await;
        let now = (fingerprint(&path), databases(&checker));
        if now == last {
            continue;
        }
        last = now;
        let loading = path.clone();
        let loaded = tokio::task::spawn_blocking(move || policy::load(&loading)).await;
        match loaded {
            Ok(Ok(set)) => {
                let version = set.version;
                checker.replace_policies(set);
                checker.metrics.reload(true);
                eprintln!(
                    "vouch webhook: policies reloaded from {}: version {version}",
                    path.display()
                );
            }
            Ok(Err(e)) => {
                checker.metrics.reload(false);
                eprintln!(
                    "vouch: error: invalid policy in {}: {e}; keeping version {}",
                    path.display(),
                    checker.policies().version
                );
            }
            Err(e) => {
                checker.metrics.reload(false);
                eprintln!(
                    "vouch: error: policy reload from {}: {e}; keeping version {}",
                    path.display(),
                    checker.policies().version
                );
            }
        }
    }
}
