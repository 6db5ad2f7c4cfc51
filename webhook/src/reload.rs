//! Hot reload of the policies: what the policy set was loaded from (a
//! mounted ConfigMap) is polled, and a changed set is loaded and put in
//! force.
//!
//! What is polled is everything the load read, as it recorded it
//! ([`Source`]): the policy files and the directory's listing,
//! and every file a policy names (keys, trusted roots) by its content, so
//! that a key replaced in place takes effect within one interval like an
//! edited policy; the OSV databases by the name, size and modification
//! time of each record file, so that new advisories take effect without a
//! policy change while a large export is read only when that listing
//! changes.
//!
//! Polling rather than `notify`: a ConfigMap volume is updated by
//! swapping a `..data` symlink, which inotify reports on the directory
//! only, late, or (on some filesystems and in containers) not at all; a
//! content hash every few seconds is cheap (a few KiB of YAML and keys)
//! and sees every change, whatever the filesystem.
//!
//! A changed set that does not load keeps the previous one in force; the
//! reason goes to stderr and to the reload failure counter, and loading is
//! not tried again until something that attempt read changes.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use vouch_load::policy;
use vouch_load::Source;

use crate::check::Checker;

/// Whether any of `sources` holds something else than when it was read
/// (a read error counts as a change: loading again says what is wrong).
async fn changed(sources: &[Source]) -> bool {
    let sources = sources.to_vec();
    tokio::task::spawn_blocking(move || sources.iter().any(Source::changed))
        .await
        .unwrap_or(true)
}

/// Polls what the checker's policies were loaded from (under `path`; what
/// that load read is `sources`) every `interval`, and reloads them when it
/// changes. Runs until the process ends.
pub async fn watch(checker: Arc<Checker>, path: PathBuf, sources: Vec<Source>, interval: Duration) {
    let mut watched = sources;
    loop {
        tokio::time::sleep(interval).await;
        if !changed(&watched).await {
            continue;
        }
        let loading = path.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            let mut sources = Vec::new();
            let set = policy::load_recorded(&loading, None, &mut sources);
            (set, sources)
        })
        .await;
        match loaded {
            Ok((Ok(set), sources)) => {
                watched = sources;
                for warning in set.warnings() {
                    log_line!("vouch: warning: {warning}");
                }
                let version = set.version;
                checker.replace_policies(set);
                checker.metrics.reload(true);
                log_line!(
                    "vouch webhook: policies reloaded from {}: version {version}",
                    path.display()
                );
            }
            Ok((Err(e), sources)) => {
                watched = sources;
                checker.metrics.reload(false);
                log_line!(
                    "vouch: error: {e}; keeping version {}",
                    checker.policies().version
                );
            }
            Err(e) => {
                checker.metrics.reload(false);
                log_line!(
                    "vouch: error: policy reload from {}: {e}; keeping version {}",
                    path.display(),
                    checker.policies().version
                );
            }
        }
    }
}
