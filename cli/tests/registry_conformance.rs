//! The shared Store conformance suite run against the remote backend and
//! real Distribution 2.8 registries: plain HTTP on loopback, and TLS (a
//! generated CA) with htpasswd Basic authentication.

use crate::common;

use std::sync::Arc;

use common::registry::Registry;
use vouch_registry::conformance;
use vouch_registry::remote::{Credentials, RemoteOptions, RemoteStore};
use vouch_registry::{Repository, Store};

async fn run_on(backend: &str, registry: &Registry, options: RemoteOptions) {
    let store: Arc<dyn Store> = Arc::new(RemoteStore::new(&registry.host, options).unwrap());
    conformance::run(backend, &move |name, limits| {
        Repository::new(store.clone(), name, limits)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn remote_store_conforms_on_a_plain_registry() {
    let registry = Registry::plain();
    run_on("remote (plain)", &registry, RemoteOptions::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn remote_store_conforms_on_a_tls_registry_with_basic_auth() {
    let registry = Registry::secure();
    let options = RemoteOptions {
        extra_ca_pem: Some(std::fs::read(registry.ca_pem.as_ref().unwrap()).unwrap()),
        credentials: [(
            registry.host.clone(),
            Credentials {
                username: registry.username.clone().unwrap(),
                password: registry.password.clone().unwrap(),
            },
        )]
        .into(),
        ..RemoteOptions::default()
    };
    run_on("remote (TLS + Basic auth)", &registry, options).await;
}
