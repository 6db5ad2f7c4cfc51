//! A remote OCI registry, spoken to over the distribution API.
//!
//! This is a small client on `reqwest` (rustls) rather than `oci-client`,
//! because `oci-client` reads manifests and error bodies whole, with no
//! limit; here every body is read in chunks and cut off past its limit, as
//! the [`Store`] contract requires. It does what vouch needs and no more:
//! HEAD/GET/PUT manifests, GET blobs, monolithic blob upload, the referrers
//! API, and Basic and Bearer-token authentication.
//!
//! HTTPS is used unless the host is a loopback address or the caller allows
//! plain HTTP; even then HTTPS is tried first, as docker does.
//!
//! Credentials are bound to the registry host they were given for, and
//! everything that carries them (Basic credentials, a Bearer token got
//! with them, a token request) goes to that host only, over HTTPS unless
//! the registry itself speaks plain HTTP where allowed: a token service
//! (Bearer realm) on another host is asked only when it is trusted for the
//! registry ([`RemoteOptions::token_hosts`], [`BUILTIN_TOKEN_HOSTS`]);
//! an upload `Location` or a `Link` on another host gets no credentials;
//! a redirect never goes from HTTPS to plain HTTP, and reqwest drops the
//! `Authorization` header of one that leaves the host, whose 401 is then
//! not answered.
//!
//! `transport` is the HTTP side (client, TLS, redirects, caps, retries,
//! the typed [`Status`](crate::Status) and
//! [`ErrorCode`](crate::ErrorCode) of a failing answer), `auth`
//! the 401 challenge flow and the token-service host checks,
//! `credentials` the binding of credentials to hosts and the docker
//! config, and `store` the [`Store`](crate::Store) operations.

mod auth;
mod credentials;
mod store;
#[cfg(test)]
mod stub;
mod transport;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

pub use auth::BUILTIN_TOKEN_HOSTS;
pub use credentials::Credentials;

use crate::Result;

/// How to reach registries: shared by every registry a command opens, so
/// credentials are kept by the host they are bound to and each registry
/// takes only its own.
#[derive(Debug, Clone, Default)]
pub struct RemoteOptions {
    /// Allow plain HTTP to a non-loopback host (`--allow-http-registry`).
    pub allow_http: bool,
    /// Extra CA certificates (PEM) to trust besides the public roots.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Credentials by the registry host they are bound to, spelt as
    /// [`crate::reference::registry_host`] spells it. A registry named
    /// here gets these; any other gets its own from the docker config, if
    /// it has some there; none ever gets another's.
    pub credentials: BTreeMap<String, Credentials>,
    /// Hosts each registry (by host, spelt as for `credentials`) may name
    /// as its token service (Bearer realm) besides its own host and the
    /// [`BUILTIN_TOKEN_HOSTS`]: a realm anywhere else is never asked, with
    /// credentials or without, so a registry cannot make vouch send them,
    /// or a request, to a host of its choosing.
    pub token_hosts: BTreeMap<String, Vec<String>>,
    /// The timeout of each request (default 30 s).
    pub timeout: Option<Duration>,
}

/// A registry host.
pub struct RemoteStore {
    host: String,
    http: reqwest::Client,
    /// This registry's own credentials, never another's.
    credentials: Option<Credentials>,
    /// The hosts besides its own whose token service it may name.
    token_hosts: Vec<String>,
    /// `https` or `http`, once known.
    scheme: Mutex<Option<&'static str>>,
    may_use_http: bool,
    /// Bearer tokens by scope.
    tokens: Mutex<HashMap<String, String>>,
}

impl RemoteStore {
    /// A client for `host` (`registry.example.com`, `127.0.0.1:5000`).
    pub fn new(host: &str, options: RemoteOptions) -> Result<Self> {
        let http = transport::client(host, &options)?;
        let credentials = credentials::bound(host, &options)?;
        let token_hosts = auth::token_hosts(host, &options);
        Ok(RemoteStore {
            host: host.to_string(),
            http,
            credentials,
            token_hosts,
            scheme: Mutex::new(None),
            may_use_http: options.allow_http || transport::is_loopback(host),
            tokens: Mutex::new(HashMap::new()),
        })
    }
}
