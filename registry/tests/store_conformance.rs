//! The shared Store conformance suite (`vouch_registry::conformance`) run
//! against the in-memory store, with and without a referrers API, and an
//! OCI layout directory. The CLI's tests run it against real registries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::sync::Arc;

use vouch_registry::conformance;
use vouch_registry::layout::LayoutStore;
use vouch_registry::memory::MemoryStore;
use vouch_registry::{Repository, Store};

async fn run_on(backend: &str, store: Arc<dyn Store>) {
    conformance::run(backend, &move |name, limits| {
        Repository::new(store.clone(), name, limits)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_conforms() {
    run_on("memory", Arc::new(MemoryStore::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_with_referrers_api_conforms() {
    run_on(
        "memory+referrers",
        Arc::new(MemoryStore::with_referrers_api()),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn layout_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    run_on(
        "layout",
        Arc::new(LayoutStore::create(dir.path().join("layout")).unwrap()),
    )
    .await;
}

/// Every local backend: the memory store without and with a referrers API,
/// and a layout.
fn local_backends() -> Vec<(&'static str, Arc<dyn Store>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let layout: Arc<dyn Store> = Arc::new(LayoutStore::create(dir.path().join("layout")).unwrap());
    vec![
        (
            "memory",
            Arc::new(MemoryStore::new()),
            tempfile::tempdir().unwrap(),
        ),
        (
            "memory+referrers",
            Arc::new(MemoryStore::with_referrers_api()),
            tempfile::tempdir().unwrap(),
        ),
        ("layout", layout, dir),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn regression_issue_8_bad_entries_are_skipped_on_every_backend() {
    for (backend, store, _dir) in local_backends() {
        conformance::bad_entries_are_skipped(backend, &move |name, limits| {
            Repository::new(store.clone(), name, limits)
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn regression_issue_8_junk_referrers_are_filtered_before_the_cap() {
    for (backend, store, _dir) in local_backends() {
        conformance::junk_is_filtered_before_the_cap(backend, &move |name, limits| {
            Repository::new(store.clone(), name, limits)
        })
        .await;
    }
}
