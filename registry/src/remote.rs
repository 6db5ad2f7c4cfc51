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

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use vouch_evidence::digest::Sha256;

use crate::oci::{Descriptor, ImageIndex, MANIFEST_MEDIA_TYPES, OCI_INDEX};
use crate::reference::normalise_host;
use crate::{Error, Result, Store};

/// Token services trusted for a registry on another host than its own,
/// out of the box: Docker Hub names `auth.docker.io` as its realm, and
/// `docker.io` is the registry of every short image name. Any other is
/// trusted only when configured ([`RemoteOptions::token_hosts`]).
pub const BUILTIN_TOKEN_HOSTS: &[(&str, &str)] = &[("docker.io", "auth.docker.io")];

/// The most redirects followed for one request (reqwest's default).
const MAX_REDIRECTS: usize = 10;

/// The most pages of referrers followed.
const MAX_REFERRER_PAGES: usize = 20;

/// How many times a transient answer (429, 5xx) is retried.
const MAX_RETRIES: u32 = 3;

/// The most bytes of an error body or token response read.
const MAX_SMALL_BODY: u64 = 64 * 1024;

/// A user name and password for a registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password or token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ****)", self.username)
    }
}

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

fn is_loopback(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(name, "localhost" | "[::1]") || name.starts_with("127.")
}

impl RemoteStore {
    /// A client for `host` (`registry.example.com`, `127.0.0.1:5000`).
    pub fn new(host: &str, options: RemoteOptions) -> Result<Self> {
        // reqwest drops `Authorization` when a redirect leaves the host
        // (host or port), but not when it only leaves HTTPS: `https://h:5000`
        // to `http://h:5000` would carry it in clear text. No redirect
        // goes from HTTPS to plain HTTP.
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            let downgrade = attempt.url().scheme() != "https"
                && attempt.previous().iter().any(|u| u.scheme() == "https");
            if downgrade {
                attempt.error("a redirect from HTTPS to plain HTTP is refused")
            } else if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(options.timeout.unwrap_or(Duration::from_secs(30)))
            .redirect(redirects)
            .user_agent(concat!("vouch/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &options.extra_ca_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem).map_err(|e| Error::Invalid {
                what: "CA certificate bundle".into(),
                location: host.into(),
                reason: e.to_string(),
            })? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(|e| Error::Remote {
            location: host.into(),
            reason: e.to_string(),
            said: None,
        })?;
        let key = normalise_host(host);
        let bound = options
            .credentials
            .iter()
            .find(|(bound_to, _)| normalise_host(bound_to) == key);
        let credentials = match bound {
            Some((_, c)) => Some(c.clone()),
            None => docker_config_credentials(host)?,
        };
        let configured = options
            .token_hosts
            .iter()
            .filter(|(registry, _)| normalise_host(registry) == key)
            .flat_map(|(_, hosts)| hosts.iter().cloned());
        let token_hosts = BUILTIN_TOKEN_HOSTS
            .iter()
            .filter(|(registry, _)| *registry == key)
            .map(|(_, token_host)| token_host.to_string())
            .chain(configured)
            .collect();
        Ok(RemoteStore {
            host: host.to_string(),
            http,
            credentials,
            token_hosts,
            scheme: Mutex::new(None),
            may_use_http: options.allow_http || is_loopback(host),
            tokens: Mutex::new(HashMap::new()),
        })
    }

    fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}/v2/{path}", self.host)
    }

    /// Whether `url` is on this registry's host, compared as references
    /// compare hosts ([`normalise_host`]: case, default ports).
    fn on_host(&self, url: &reqwest::Url) -> bool {
        same_host(url, &self.host)
    }

    /// Whether this registry was found to speak plain HTTP (which it may
    /// only where that is allowed).
    fn speaks_http(&self) -> bool {
        *self.scheme.lock().unwrap_or_else(|p| p.into_inner()) == Some("http")
    }

    /// Whether a request to `url` may carry this registry's credentials
    /// or a token got with them: on its host, over HTTPS unless the
    /// registry itself speaks plain HTTP.
    fn may_carry_credentials(&self, url: &reqwest::Url) -> bool {
        self.on_host(url) && (url.scheme() == "https" || self.speaks_http())
    }

    /// Refuses a token service (Bearer realm) that is neither on this
    /// registry's host nor trusted for it, or that is plain HTTP while the
    /// registry is not: nothing is sent there, not even an anonymous token
    /// request (which would let a registry point vouch, and the webhook,
    /// at any address).
    fn check_token_service(&self, realm: &reqwest::Url) -> Result<()> {
        let host = url_host(realm).unwrap_or_default();
        let trusted = self.on_host(realm)
            || self
                .token_hosts
                .iter()
                .any(|token_host| same_host(realm, token_host));
        if !trusted {
            return Err(self.remote_error(format!(
                "authentication failed: its token service {host} is on another host, which is not \
                 trusted for it (--registry-token-host {}={host} trusts it), so nothing was sent there",
                self.host
            )));
        }
        if realm.scheme() != "https" && !(realm.scheme() == "http" && self.speaks_http()) {
            return Err(self.remote_error(format!(
                "authentication failed: its token service {host} is not HTTPS ({}:), so nothing \
                 was sent there in clear text",
                realm.scheme()
            )));
        }
        Ok(())
    }

    /// The scheme to use, found once by pinging `/v2/`: HTTPS, or where
    /// allowed plain HTTP when HTTPS cannot be spoken at all. Any HTTP answer
    /// but a 400 counts (a 429 or 500 then surfaces on the real request); a
    /// 400 is a TLS-only registry's "plain HTTP sent to an HTTPS server".
    async fn scheme(&self) -> Result<&'static str> {
        if let Some(known) = *self.scheme.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(known);
        }
        let https_url = self.url("https", "");
        let chosen = match self.http.get(&https_url).send().await {
            Ok(_) => "https",
            Err(https_err) if self.may_use_http => {
                let http_url = self.url("http", "");
                match self.http.get(&http_url).send().await {
                    // Go's TLS server answers plain HTTP with a 400: that is
                    // a TLS registry, and its HTTPS error is the one to show.
                    Ok(r) if r.status() != StatusCode::BAD_REQUEST => "http",
                    _ => return Err(self.transport_error(&https_url, https_err)),
                }
            }
            Err(e) => return Err(self.transport_error(&https_url, e)),
        };
        *self.scheme.lock().unwrap_or_else(|p| p.into_inner()) = Some(chosen);
        Ok(chosen)
    }

    /// Sends a request built by `build` for `path` (or an absolute URL),
    /// authenticating on a 401 challenge.
    async fn send(
        &self,
        method: Method,
        path: &str,
        scope: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            self.url(self.scheme().await?, path)
        };
        // Transient answers (429, 5xx) to requests that are safe to repeat
        // are retried a few times; Distribution itself answers 500 to a HEAD
        // that races a tag being rewritten. The last answer is returned.
        let retryable = matches!(method, Method::GET | Method::HEAD | Method::PUT);
        let mut attempt = 0;
        loop {
            let response = self
                .send_authenticated(method.clone(), &url, scope, &build)
                .await?;
            if !(retryable && is_transient(response.status())) || attempt >= MAX_RETRIES {
                return Ok(response);
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
    }

    async fn send_authenticated(
        &self,
        method: Method,
        url: &str,
        scope: &str,
        build: &impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
        let target = reqwest::Url::parse(url)
            .map_err(|e| self.remote_error(format!("bad URL {url:?}: {e}")))?;
        // An upload Location or a Link elsewhere gets no token, and its 401
        // no credentials.
        let ours = self.may_carry_credentials(&target);
        let token = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(scope)
            .cloned()
            .filter(|_| ours);
        let mut request = build(self.http.request(method.clone(), url));
        if let Some(token) = &token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(url, e))?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        // The 401 of a request that left the registry (its URL, or a
        // redirect) is another host's challenge: not answered with this
        // registry's credentials.
        let answered_by = response.url().clone();
        if !ours || !self.may_carry_credentials(&answered_by) {
            return Err(self.remote_error(format!(
                "authentication failed: {} asked for credentials, which are sent to {} only \
                 (over HTTPS unless it speaks plain HTTP)",
                url_host(&answered_by).unwrap_or_default(),
                self.host
            )));
        }
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let authorization = self.authorize(&challenge, scope, response).await?;
        let retried = build(self.http.request(method, url))
            .header(AUTHORIZATION, authorization)
            .send()
            .await
            .map_err(|e| self.transport_error(url, e))?;
        if retried.status() == StatusCode::UNAUTHORIZED {
            let message = error_message(retried).await;
            return Err(self.said_error("authentication failed", message));
        }
        Ok(retried)
    }

    /// Answers a 401 challenge: Basic with the credentials, or a Bearer
    /// token fetched from the realm the challenge names.
    async fn authorize(
        &self,
        challenge: &str,
        scope: &str,
        unauthorized: Response,
    ) -> Result<String> {
        let (kind, params) = parse_challenge(challenge);
        let Some(credentials) = &self.credentials else {
            if kind.eq_ignore_ascii_case("bearer") {
                // Anonymous tokens are common (public repositories).
                return self
                    .bearer_token(&params, scope, None)
                    .await
                    .map(|t| format!("Bearer {t}"));
            }
            let message = error_message(unauthorized).await;
            return Err(self.said_error("authentication failed (no credentials given)", message));
        };
        if kind.eq_ignore_ascii_case("basic") {
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", credentials.username, credentials.password));
            return Ok(format!("Basic {basic}"));
        }
        if kind.eq_ignore_ascii_case("bearer") {
            let token = self.bearer_token(&params, scope, Some(credentials)).await?;
            return Ok(format!("Bearer {token}"));
        }
        Err(self.said_error(
            "authentication failed: unsupported authentication challenge",
            format!("{challenge:?}"),
        ))
    }

    async fn bearer_token(
        &self,
        params: &HashMap<String, String>,
        scope: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String> {
        let realm = params.get("realm").ok_or_else(|| {
            self.remote_error("authentication failed: bearer challenge without a realm")
        })?;
        let realm = reqwest::Url::parse(realm).map_err(|e| {
            self.said_error(
                "authentication failed: the bearer realm is not a URL",
                format!("{realm:?}: {e}"),
            )
        })?;
        self.check_token_service(&realm)?;
        let service_host = url_host(&realm).unwrap_or_default();
        let realm = realm.as_str();
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(service) = params.get("service") {
            query.push(("service", service));
        }
        query.push(("scope", scope));
        let mut request = self.http.get(realm).query(&query);
        if let Some(c) = credentials {
            request = request.basic_auth(&c.username, Some(&c.password));
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(realm, e))?;
        if is_transient(response.status()) {
            return Err(self.status_error("token service", response).await);
        }
        let status = response.status();
        if !status.is_success() {
            let message = error_message(response).await;
            return Err(self.said_error(
                &format!("authentication failed: token service {service_host} refused: {status}"),
                message,
            ));
        }
        let body = read_capped(response, MAX_SMALL_BODY)
            .await
            .map_err(|e| self.transport_error(realm, e))?;
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let token: Token = serde_json::from_slice(&body).map_err(|e| {
            self.said_error(
                &format!("authentication failed: bad token response from {service_host}"),
                e.to_string(),
            )
        })?;
        let token = token.token.or(token.access_token).ok_or_else(|| {
            self.remote_error(format!(
                "authentication failed: token response from {service_host} has no token"
            ))
        })?;
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(scope.to_string(), token.clone());
        Ok(token)
    }

    /// Sends a read request: `None` on 404, an error carrying the
    /// registry's message on any other failure status.
    async fn found(
        &self,
        method: Method,
        path: &str,
        repository: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
        what: &str,
    ) -> Result<Option<Response>> {
        let response = self
            .send(method, path, &scope(repository, false), build)
            .await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(Some(response)),
            _ => Err(self.status_error(what, response).await),
        }
    }

    /// The absolute URL of a `Link: <…>; rel="next"` header, on this host.
    fn next_link(&self, link: &str) -> Option<String> {
        let (target, params) = link.split_once(';')?;
        if !params.contains("rel=\"next\"") && !params.contains("rel=next") {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let scheme = (*self.scheme.lock().unwrap_or_else(|p| p.into_inner()))?;
        let base = reqwest::Url::parse(&format!("{scheme}://{}/", self.host)).ok()?;
        let url = base.join(target).ok()?;
        // Never follow a link to another host.
        self.on_host(&url).then(|| url.to_string())
    }

    fn remote_error(&self, reason: impl Into<String>) -> Error {
        Error::Remote {
            location: self.host.clone(),
            reason: reason.into(),
            said: None,
        }
    }

    /// An error with what the server said (its body) kept apart from
    /// vouch's `reason`.
    fn said_error(&self, reason: &str, said: String) -> Error {
        Error::Remote {
            location: self.host.clone(),
            reason: reason.to_string(),
            said: Some(said),
        }
    }

    /// A request that got no (whole) answer. A timeout, a connection that
    /// cannot be made, and one cut while sending or receiving are
    /// [`Error::Unavailable`]; a request that could not be built or
    /// redirected is not.
    fn transport_error(&self, url: &str, e: reqwest::Error) -> Error {
        let what = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "cannot connect"
        } else {
            "request failed"
        };
        // The source chain says why (TLS, DNS, refused); keep it on one line.
        let mut reason = format!("{what}: {url}");
        let mut source: Option<&dyn std::error::Error> = Some(&e);
        while let Some(s) = source {
            reason.push_str(&format!(": {s}"));
            source = s.source();
        }
        if e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() {
            Error::Unavailable {
                location: self.host.clone(),
                reason,
                said: None,
            }
        } else {
            self.remote_error(reason)
        }
    }

    /// Turns a non-success status into an error carrying the registry's
    /// own message: [`Error::Unavailable`] for 429 and 5xx.
    async fn status_error(&self, what: &str, response: Response) -> Error {
        let status = response.status();
        let message = error_message(response).await;
        self.status_message_error(what, status, message)
    }

    /// [`Self::status_error`] for an answer whose body was already read:
    /// the status is vouch's reason, the body what the registry said.
    fn status_message_error(&self, what: &str, status: StatusCode, message: String) -> Error {
        let reason = format!("{what}: {status}");
        if is_transient(status) {
            Error::Unavailable {
                location: self.host.clone(),
                reason,
                said: Some(message),
            }
        } else {
            self.said_error(&reason, message)
        }
    }
}

/// The host of `url` as registry hosts are compared: [`normalise_host`] of
/// `host:port`, the port the scheme's default when none is written.
fn url_host(url: &reqwest::Url) -> Option<String> {
    let port = url.port_or_known_default()?;
    Some(normalise_host(&format!("{}:{port}", url.host_str()?)))
}

/// Whether `url` is on `host` (`registry.example`, `127.0.0.1:5000`), `host`
/// read with `url`'s scheme, so that default ports compare alike.
fn same_host(url: &reqwest::Url, host: &str) -> bool {
    let Ok(base) = reqwest::Url::parse(&format!("{}://{host}/", url.scheme())) else {
        return false;
    };
    url_host(url).is_some_and(|h| Some(h) == url_host(&base))
}

/// Whether a status says the registry cannot answer now (429, 5xx) rather
/// than something about the request: retried, and [`Error::Unavailable`].
fn is_transient(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// Reads at most `limit + 1` bytes of a body, chunk by chunk.
async fn read_capped(
    mut response: Response,
    limit: u64,
) -> std::result::Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = (limit + 1).saturating_sub(body.len() as u64) as usize;
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() as u64 > limit {
            break;
        }
    }
    Ok(body)
}

/// The registry's error message: the `errors` of a distribution error body,
/// or the start of the body as text.
async fn error_message(response: Response) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    let status = response.status();
    let body = read_capped(response, MAX_SMALL_BODY)
        .await
        .unwrap_or_default();
    if let Ok(parsed) = serde_json::from_slice::<Body>(&body) {
        let parts: Vec<String> = parsed
            .errors
            .iter()
            .map(|e| match (&e.code, &e.message) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (c, m) => c.clone().or(m.clone()).unwrap_or_default(),
            })
            .collect();
        if !parts.is_empty() {
            return parts.join("; ");
        }
    }
    let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
    let text = text.trim();
    if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("no message")
            .to_string()
    } else {
        text.to_string()
    }
}

/// Splits `Bearer realm="…",service="…"` into its scheme and parameters.
fn parse_challenge(challenge: &str) -> (String, HashMap<String, String>) {
    let (kind, rest) = challenge
        .trim()
        .split_once(' ')
        .unwrap_or((challenge.trim(), ""));
    let mut params = HashMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.split_once('"') {
                Some((v, n)) => (v, n),
                None => (quoted, ""),
            }
        } else {
            after.split_once(',').map_or((after, ""), |(v, n)| (v, n))
        };
        params.insert(key.trim().to_ascii_lowercase(), value.to_string());
        rest = next.trim_start_matches([',', ' ']);
    }
    (kind.to_string(), params)
}

/// Credentials for `host` from the docker config: `$REGISTRY_AUTH_FILE`,
/// else `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
fn docker_config_credentials(host: &str) -> Result<Option<Credentials>> {
    let path = if let Some(file) = std::env::var_os("REGISTRY_AUTH_FILE") {
        std::path::PathBuf::from(file)
    } else if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        Path::new(&dir).join("config.json")
    } else if let Some(home) = std::env::var_os("HOME") {
        Path::new(&home).join(".docker/config.json")
    } else {
        return Ok(None);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Io {
                action: "read",
                path: path.display().to_string(),
                error: source,
            })
        }
    };
    credentials_from_config(&bytes, host).map_err(|reason| Error::Invalid {
        what: "docker credentials file".into(),
        location: path.display().to_string(),
        reason,
    })
}

/// Looks `host` up in a docker `config.json` (`auths.<host>.auth`, base64
/// of `user:password`, or `username`/`password`). Docker Hub is filed under
/// `https://index.docker.io/v1/`.
fn credentials_from_config(
    bytes: &[u8],
    host: &str,
) -> std::result::Result<Option<Credentials>, String> {
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(default)]
        auths: HashMap<String, Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        auth: Option<String>,
        username: Option<String>,
        password: Option<String>,
    }
    let config: Config = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let keys: Vec<String> = if host == "docker.io" {
        vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
        ]
    } else {
        vec![
            host.to_string(),
            format!("https://{host}"),
            format!("http://{host}"),
        ]
    };
    let Some(entry) = keys.iter().find_map(|k| config.auths.get(k)) else {
        return Ok(None);
    };
    if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
        return Ok(Some(Credentials {
            username: username.clone(),
            password: password.clone(),
        }));
    }
    let Some(auth) = &entry.auth else {
        return Ok(None);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth)
        .map_err(|e| format!("auth of {host} is not base64: {e}"))?;
    let decoded = String::from_utf8(decoded).map_err(|_| format!("auth of {host} is not UTF-8"))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| format!("auth of {host} is not user:password"))?;
    Ok(Some(Credentials {
        username: username.into(),
        password: password.into(),
    }))
}

fn scope(repository: &str, push: bool) -> String {
    format!(
        "repository:{repository}:{}",
        if push { "pull,push" } else { "pull" }
    )
}

fn accept_manifests(request: RequestBuilder) -> RequestBuilder {
    request.header(ACCEPT, MANIFEST_MEDIA_TYPES.join(", "))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[async_trait]
impl Store for RemoteStore {
    fn location(&self) -> String {
        self.host.clone()
    }

    async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Descriptor>> {
        let path = format!("{repository}/manifests/{tag}");
        let what = format!("HEAD {repository}:{tag}");
        let Some(response) = self
            .found(Method::HEAD, &path, repository, accept_manifests, &what)
            .await?
        else {
            return Ok(None);
        };
        let headers = response.headers();
        let digest = header(headers, "docker-content-digest").ok_or_else(|| {
            self.remote_error(format!(
                "HEAD {repository}:{tag} answered without Docker-Content-Digest"
            ))
        })?;
        let digest: Sha256 = digest.parse().map_err(|e: vouch_evidence::Error| {
            self.remote_error(format!("digest of {repository}:{tag}: {e}"))
        })?;
        let media_type = header(headers, CONTENT_TYPE.as_str()).unwrap_or(crate::oci::OCI_MANIFEST);
        let size = header(headers, "content-length")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok(Some(Descriptor {
            media_type: media_type.to_string(),
            digest,
            size,
            artifact_type: None,
            platform: None,
            annotations: Default::default(),
        }))
    }

    async fn fetch_manifest(
        &self,
        repository: &str,
        digest: &Sha256,
        limit: u64,
    ) -> Result<Option<(Vec<u8>, Option<String>)>> {
        let path = format!("{repository}/manifests/{digest}");
        let what = format!("GET manifest {digest}");
        let Some(response) = self
            .found(Method::GET, &path, repository, accept_manifests, &what)
            .await?
        else {
            return Ok(None);
        };
        let content_type = header(response.headers(), CONTENT_TYPE.as_str()).map(str::to_string);
        let body = read_capped(response, limit)
            .await
            .map_err(|e| self.transport_error(&path, e))?;
        Ok(Some((body, content_type)))
    }

    async fn fetch_blob(
        &self,
        repository: &str,
        digest: &Sha256,
        limit: u64,
    ) -> Result<Option<Vec<u8>>> {
        let path = format!("{repository}/blobs/{digest}");
        let what = format!("GET blob {digest}");
        let Some(response) = self
            .found(Method::GET, &path, repository, |r| r, &what)
            .await?
        else {
            return Ok(None);
        };
        if let Some(declared) = response.content_length().filter(|len| *len > limit) {
            // Refused on the declaration, before reading the body.
            return Err(Error::TooLarge {
                what: format!("blob {digest}"),
                location: format!("{}/{repository}", self.host),
                size: declared,
                limit,
            });
        }
        let body = read_capped(response, limit)
            .await
            .map_err(|e| self.transport_error(&path, e))?;
        Ok(Some(body))
    }

    async fn push_blob(&self, repository: &str, digest: &Sha256, content: &[u8]) -> Result<()> {
        let scope = scope(repository, true);
        let exists = self
            .send(
                Method::HEAD,
                &format!("{repository}/blobs/{digest}"),
                &scope,
                |r| r,
            )
            .await?;
        if exists.status().is_success() {
            return Ok(());
        }
        let start = self
            .send(
                Method::POST,
                &format!("{repository}/blobs/uploads/"),
                &scope,
                |r| r.header(reqwest::header::CONTENT_LENGTH, "0"),
            )
            .await?;
        if start.status() != StatusCode::ACCEPTED {
            return Err(self
                .status_error(&format!("start upload of blob {digest}"), start)
                .await);
        }
        let location = header(start.headers(), LOCATION.as_str())
            .ok_or_else(|| self.remote_error("blob upload answered without Location"))?;
        let scheme = self
            .scheme
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or("https");
        let base = reqwest::Url::parse(&format!("{scheme}://{}/", self.host))
            .map_err(|e| self.remote_error(e.to_string()))?;
        let mut url = base
            .join(location)
            .map_err(|e| self.remote_error(format!("bad upload Location: {e}")))?;
        url.query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let body = content.to_vec();
        let done = self
            .send(Method::PUT, url.as_str(), &scope, |r| {
                r.header(CONTENT_TYPE, "application/octet-stream")
                    .body(body.clone())
            })
            .await?;
        if done.status() != StatusCode::CREATED {
            return Err(self
                .status_error(&format!("upload of blob {digest}"), done)
                .await);
        }
        Ok(())
    }

    async fn push_manifest(
        &self,
        repository: &str,
        digest: &Sha256,
        content: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<()> {
        let reference = tag.map_or_else(|| digest.to_string(), str::to_string);
        let body = content.to_vec();
        let mut attempt = 0;
        loop {
            let response = self
                .send(
                    Method::PUT,
                    &format!("{repository}/manifests/{reference}"),
                    &scope(repository, true),
                    |r| r.header(CONTENT_TYPE, media_type).body(body.clone()),
                )
                .await?;
            let status = response.status();
            if status == StatusCode::CREATED {
                return Ok(());
            }
            let message = error_message(response).await;
            // Distribution rewrites a blob's link in a repository in place
            // (truncate, then write) each time the blob is pushed, so a
            // manifest checked while another client pushes one of its blobs
            // again can find the link empty and be refused as naming an
            // unknown blob (distribution/distribution#2077). The blobs were
            // pushed just before, so a few spaced tries ride over the race;
            // a blob that is really missing is still refused.
            let blob_race =
                status == StatusCode::BAD_REQUEST && message.contains("MANIFEST_BLOB_UNKNOWN");
            if !blob_race || attempt >= MAX_RETRIES {
                return Err(self.status_message_error(
                    &format!("push manifest {reference}"),
                    status,
                    message,
                ));
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
    }

    async fn referrers(
        &self,
        repository: &str,
        subject: &Sha256,
        limit: usize,
    ) -> Result<Option<Vec<Descriptor>>> {
        let location = format!("{}/{repository}", self.host);
        let too_many = |count| Error::TooMany {
            what: format!("referrers of {subject}"),
            location: location.clone(),
            count,
            limit,
        };
        let mut found: Vec<Descriptor> = Vec::new();
        let mut next = Some(format!("{repository}/referrers/{subject}"));
        let mut pages = 0;
        // Pages are followed (`Link: <…>; rel="next"`) only while the total
        // stays within the limit, so endless pagination is cut off.
        while let Some(path) = next.take() {
            pages += 1;
            if pages > MAX_REFERRER_PAGES {
                return Err(too_many(found.len() + 1));
            }
            let response = self
                .send(Method::GET, &path, &scope(repository, false), |r| {
                    r.header(ACCEPT, OCI_INDEX)
                })
                .await?;
            match response.status() {
                // No referrers API: the caller uses the tag-schema fallback.
                StatusCode::NOT_FOUND
                | StatusCode::BAD_REQUEST
                | StatusCode::METHOD_NOT_ALLOWED
                    if pages == 1 =>
                {
                    return Ok(None)
                }
                s if !s.is_success() => {
                    return Err(self
                        .status_error(&format!("GET referrers of {subject}"), response)
                        .await)
                }
                _ => {}
            }
            next = header(response.headers(), "link").and_then(|link| self.next_link(link));
            // Each descriptor is well under 1 KiB; allow that much per entry.
            let cap = (limit.saturating_sub(found.len()) as u64 + 1) * 1024 + 4096;
            let body = read_capped(response, cap)
                .await
                .map_err(|e| self.transport_error(&path, e))?;
            if body.len() as u64 > cap {
                return Err(too_many(limit + 1));
            }
            let index: ImageIndex = serde_json::from_slice(&body).map_err(|e| Error::Invalid {
                what: format!("referrers of {subject}"),
                location: location.clone(),
                reason: e.to_string(),
            })?;
            found.extend(index.manifests);
            if found.len() > limit {
                return Err(too_many(found.len()));
            }
        }
        Ok(Some(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn parses_bearer_and_basic_challenges() {
        let (kind, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
        );
        assert_eq!(kind, "Bearer");
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["service"], "registry.example");
        assert_eq!(p["scope"], "repository:a/b:pull");
        let (kind, p) = parse_challenge(r#"Basic realm="vouch-test""#);
        assert_eq!(kind, "Basic");
        assert_eq!(p["realm"], "vouch-test");
    }

    #[test]
    fn reads_docker_config_credentials() {
        let config = br#"{"auths":{"127.0.0.1:5000":{"auth":"dm91Y2g6czNjcmV0"},"https://index.docker.io/v1/":{"username":"u","password":"p"}}}"#;
        let c = credentials_from_config(config, "127.0.0.1:5000")
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("vouch", "s3cret")
        );
        let hub = credentials_from_config(config, "docker.io")
            .unwrap()
            .unwrap();
        assert_eq!(hub.username, "u");
        assert!(credentials_from_config(config, "ghcr.io")
            .unwrap()
            .is_none());
        let err = credentials_from_config(br#"{"auths":{"h":{"auth":"!!"}}}"#, "h").unwrap_err();
        assert!(err.contains("not base64"), "{err}");
    }

    #[test]
    fn follows_next_links_on_the_same_host_only() {
        let store = RemoteStore::new("127.0.0.1:5000", RemoteOptions::default()).unwrap();
        *store.scheme.lock().unwrap() = Some("http");
        assert_eq!(
            store
                .next_link(r#"</v2/app/referrers/sha256:00?n=10&last=x>; rel="next""#)
                .as_deref(),
            Some("http://127.0.0.1:5000/v2/app/referrers/sha256:00?n=10&last=x")
        );
        assert_eq!(
            store.next_link(r#"<https://evil.example/v2/x>; rel="next""#),
            None
        );
        assert_eq!(store.next_link(r#"</v2/app/tags/list>; rel="prev""#), None);
    }

    /// One answer of a [`stub`]: a status, headers, a body.
    #[derive(Clone)]
    struct Answer {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    impl Answer {
        fn with(mut self, name: &'static str, value: impl Into<String>) -> Answer {
            self.headers.push((name, value.into()));
            self
        }
    }

    /// One request a [`stub`] received: over TLS or not, `METHOD /target`,
    /// and its `Authorization` header.
    #[derive(Debug, Clone)]
    struct Seen {
        tls: bool,
        request: String,
        authorization: Option<String>,
    }

    /// What a [`stub`] received, in order.
    type Log = Arc<Mutex<Vec<Seen>>>;

    /// The `Authorization` headers in `log`.
    fn authorizations(log: &Log) -> Vec<String> {
        log.lock()
            .unwrap()
            .iter()
            .filter_map(|s| s.authorization.clone())
            .collect()
    }

    /// stub: a registry (or token service, or upload host) on loopback that
    /// gives `answers` in turn, one a connection, and logs each request.
    /// With `tls` (a certificate and its key, PEM) it speaks HTTPS and plain
    /// HTTP on the one port; without, it closes TLS handshakes, as a plain
    /// server would fail them.
    fn stub(answers: Vec<Answer>, tls: Option<(String, String)>) -> (String, Log) {
        let (listener, host) = listen();
        (host, serve(listener, answers, tls))
    }

    /// A loopback listener and its `host:port`, for a [`stub`] whose
    /// answers name its own host.
    fn listen() -> (std::net::TcpListener, String) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        (listener, host)
    }

    /// [`stub`] on `listener`.
    fn serve(
        listener: std::net::TcpListener,
        answers: Vec<Answer>,
        tls: Option<(String, String)>,
    ) -> Log {
        use tokio_rustls::rustls;
        let log: Log = Arc::default();
        let seen = log.clone();
        let config = tls.map(|(cert, key)| {
            use rustls::pki_types::pem::PemObject;
            let certs =
                vec![rustls::pki_types::CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()];
            let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap();
            Arc::new(config)
        });
        std::thread::spawn(move || {
            let mut answers = answers.into_iter();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut first = [0u8; 1];
                if stream.peek(&mut first).map_or(true, |n| n == 0) {
                    continue;
                }
                let handshake = first[0] == 0x16;
                let served = match (&config, handshake) {
                    (None, true) => continue,
                    (Some(config), true) => {
                        let connection = rustls::ServerConnection::new(config.clone()).unwrap();
                        let mut tls = rustls::StreamOwned::new(connection, stream);
                        serve_one(&mut tls, true, &mut answers, &seen)
                    }
                    (_, false) => serve_one(&mut stream, false, &mut answers, &seen),
                };
                if !served {
                    break;
                }
            }
        });
        log
    }

    /// Reads one request from `stream` and writes the next answer; false
    /// once there is none left.
    fn serve_one(
        stream: &mut (impl std::io::Read + std::io::Write),
        tls: bool,
        answers: &mut impl Iterator<Item = Answer>,
        log: &Log,
    ) -> bool {
        use std::io::{BufRead, BufReader, Read};
        let mut reader = BufReader::new(&mut *stream);
        let (mut line, mut length, mut authorization) = (String::new(), 0, None);
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return true; // a failed handshake, or a probe that hung up
        }
        let request = line.split(' ').take(2).collect::<Vec<_>>().join(" ");
        line.clear();
        while reader.read_line(&mut line).unwrap_or(0) > 2 {
            let lower = line.to_ascii_lowercase();
            if let Some(n) = lower.strip_prefix("content-length:") {
                length = n.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("authorization:") {
                authorization = Some(line["authorization:".len()..].trim().to_string());
            }
            line.clear();
        }
        // The request body is read, so closing does not reset the
        // connection under the answer.
        let _ = reader.by_ref().take(length).read_to_end(&mut Vec::new());
        drop(reader);
        log.lock().unwrap().push(Seen {
            tls,
            request,
            authorization,
        });
        let Some(answer) = answers.next() else {
            return false;
        };
        let mut head = format!(
            "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n",
            answer.status,
            answer.body.len()
        );
        for (name, value) in &answer.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let _ = write!(stream, "{head}\r\n{}", answer.body);
        let _ = stream.flush();
        true
    }

    /// A plain-HTTP [`stub`] that gives `answers` (a status and a body).
    fn scripted(answers: Vec<(u16, &'static str)>) -> String {
        stub(
            answers.into_iter().map(|(s, b)| answer(s, b)).collect(),
            None,
        )
        .0
    }

    /// [`scripted`] answering `n` requests with `status`.
    fn answering(status: u16, n: usize) -> String {
        scripted(vec![(status, "{}"); n])
    }

    #[test]
    fn a_url_is_on_a_host_as_references_spell_it() {
        let on = |url: &str, host: &str| same_host(&reqwest::Url::parse(url).unwrap(), host);
        for (url, host) in [
            ("https://Registry.Example/v2/", "registry.example"),
            ("https://registry.example:443/v2/", "registry.example"),
            ("https://registry.example/v2/", "registry.example:443"),
            ("http://registry.example:80/v2/", "registry.example"),
            ("http://127.0.0.1:5000/x", "127.0.0.1:5000"),
            ("http://2130706433:5000/x", "127.0.0.1:5000"),
            ("https://[::1]:5000/x", "[::1]:5000"),
        ] {
            assert!(on(url, host), "{url} on {host}");
        }
        for (url, host) in [
            ("https://registry.example.evil/v2/", "registry.example"),
            (
                "https://registry.example@evil.example/v2/",
                "registry.example",
            ),
            (
                "https://evil.example#@registry.example/",
                "registry.example",
            ),
            ("https://evil.example/registry.example", "registry.example"),
            ("http://127.0.0.1:5001/x", "127.0.0.1:5000"),
            ("http://127.0.0.1/x", "127.0.0.1:5000"),
            ("https://[::1]:5001/x", "[::1]:5000"),
            ("https://registry.example./v2/", "registry.example"),
        ] {
            assert!(!on(url, host), "{url} on {host}");
        }
    }

    /// `op:s3cret`, the credentials bound to the registry under test.
    const BASIC: &str = "Basic b3A6czNjcmV0";

    /// Options with `op:s3cret` bound to `host` only.
    fn bound_to(host: &str) -> RemoteOptions {
        let credentials = Credentials {
            username: "op".into(),
            password: "s3cret".into(),
        };
        RemoteOptions {
            credentials: [(host.to_string(), credentials)].into(),
            ..RemoteOptions::default()
        }
    }

    fn blob_digest() -> Sha256 {
        crate::oci::Descriptor::of("x", b"x").digest
    }

    #[tokio::test]
    async fn regression_issue_9_a_registry_gets_only_its_own_credentials() {
        let (other, other_log) = stub(
            vec![
                answer(200, "{}"),
                answer(401, "{}").with("WWW-Authenticate", r#"Basic realm="other""#),
            ],
            None,
        );
        let (mine, _) = stub(vec![], None);
        let store = RemoteStore::new(&other, bound_to(&mine)).unwrap();
        let err = store
            .fetch_blob("app", &blob_digest(), 10)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no credentials given"), "{err}");
        assert!(authorizations(&other_log).is_empty());
        // The same host under another spelling is the same registry.
        let (port, _) = stub(vec![], None);
        let port = port.rsplit_once(':').unwrap().1;
        let options = bound_to(&format!("LOCALHOST:{port}"));
        let store = RemoteStore::new(&format!("localhost:{port}"), options).unwrap();
        assert_eq!(store.credentials.as_ref().unwrap().username, "op");
    }

    #[tokio::test]
    async fn regression_issue_9_a_token_service_elsewhere_gets_nothing() {
        let digest = blob_digest();
        // C: a token service that would hand out a token to anyone.
        let (c, c_log) = stub(vec![answer(200, r#"{"token":"t"}"#); 4], None);
        let realm = format!(r#"Bearer realm="http://{c}/token",service="c""#);
        let challenge = |status| answer(status, "{}").with("WWW-Authenticate", realm.clone());

        // The registry names it itself.
        let (a, _) = stub(
            vec![answer(200, "{}"), challenge(401), challenge(401)],
            None,
        );
        let store = RemoteStore::new(&a, bound_to(&a)).unwrap();
        let err = store.fetch_blob("app", &digest, 10).await.unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("token service {c} is on another host")),
            "{err}"
        );
        assert!(err.to_string().contains("--registry-token-host"), "{err}");
        // A refusal, not an outage: the webhook denies it even under
        // --fail-open, which waives only outages.
        assert!(!err.is_unavailable(), "{err}");
        assert!(
            c_log.lock().unwrap().is_empty(),
            "{:?}",
            c_log.lock().unwrap()
        );

        // The registry redirects to B, whose 401 names it.
        let (b, b_log) = stub(vec![challenge(401); 2], None);
        let elsewhere = format!("http://{b}/v2/app/blobs/{digest}");
        let redirect = answer(307, "").with("Location", elsewhere);
        let (a, _) = stub(vec![answer(200, "{}"), redirect.clone(), redirect], None);
        let store = RemoteStore::new(&a, bound_to(&a)).unwrap();
        let err = store.fetch_blob("app", &digest, 10).await.unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("{b} asked for credentials")),
            "{err}"
        );
        assert!(
            c_log.lock().unwrap().is_empty(),
            "{:?}",
            c_log.lock().unwrap()
        );
        assert!(authorizations(&b_log).is_empty());

        // Trusted for the registry, C gets its credentials, and the
        // registry the token.
        let (a, a_log) = stub(
            vec![answer(200, "{}"), challenge(401), answer(200, "x")],
            None,
        );
        let mut options = bound_to(&a);
        options.token_hosts = [(a.clone(), vec![c.clone()])].into();
        let store = RemoteStore::new(&a, options).unwrap();
        assert_eq!(
            store.fetch_blob("app", &digest, 10).await.unwrap().unwrap(),
            b"x"
        );
        assert_eq!(authorizations(&c_log), [BASIC]);
        assert_eq!(authorizations(&a_log), ["Bearer t"]);
    }

    #[tokio::test]
    async fn regression_issue_9_an_upload_location_elsewhere_gets_no_credentials() {
        let digest = blob_digest();
        let (b, b_log) = stub(
            vec![answer(401, "{}").with("WWW-Authenticate", r#"Basic realm="b""#); 2],
            None,
        );
        // The registry's token service is on its own host; its upload
        // Location is on B.
        let (listener, a) = listen();
        let realm = format!(r#"Bearer realm="http://{a}/token""#);
        let a_log = serve(
            listener,
            vec![
                answer(200, "{}"),
                answer(401, "{}").with("WWW-Authenticate", realm),
                answer(200, r#"{"token":"tok"}"#),
                answer(404, ""),
                answer(202, "").with("Location", format!("http://{b}/upload/1?state=x")),
            ],
            None,
        );
        let store = RemoteStore::new(&a, bound_to(&a)).unwrap();
        let err = store.push_blob("app", &digest, b"x").await.unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("{b} asked for credentials")),
            "{err}"
        );
        let b_log = b_log.lock().unwrap().clone();
        assert!(
            b_log[0]
                .request
                .starts_with("PUT /upload/1?state=x&digest="),
            "{b_log:?}"
        );
        assert!(
            b_log.iter().all(|seen| seen.authorization.is_none()),
            "{b_log:?}"
        );
        // The registry itself got the token.
        assert!(authorizations(&a_log).contains(&"Bearer tok".to_string()));
    }

    /// A certificate for 127.0.0.1 and its key (PEM): the stub's and,
    /// as the extra CA, the client's trust anchor.
    fn loopback_certificate() -> (String, String) {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
        (certified.cert.pem(), certified.signing_key.serialize_pem())
    }

    #[tokio::test]
    async fn regression_issue_9_an_http_realm_gets_nothing_from_an_https_registry() {
        let digest = blob_digest();
        let (cert, key) = loopback_certificate();
        let https_options = |a: &str, c: &str| {
            let mut options = bound_to(a);
            options.extra_ca_pem = Some(cert.clone().into_bytes());
            // Trusted, so that only the scheme is in question.
            options.token_hosts = [(a.to_string(), vec![c.to_string()])].into();
            options
        };
        let (c, c_log) = stub(vec![answer(200, r#"{"token":"t"}"#); 2], None);
        let realm = format!(r#"Bearer realm="http://{c}/token""#);
        let (a, a_log) = stub(
            vec![
                answer(200, "{}"),
                answer(401, "{}").with("WWW-Authenticate", realm.clone()),
                answer(401, "{}").with("WWW-Authenticate", realm),
            ],
            Some((cert.clone(), key.clone())),
        );
        let store = RemoteStore::new(&a, https_options(&a, &c)).unwrap();
        let err = store.fetch_blob("app", &digest, 10).await.unwrap_err();
        assert!(err.to_string().contains("is not HTTPS (http:)"), "{err}");
        assert!(
            c_log.lock().unwrap().is_empty(),
            "{:?}",
            c_log.lock().unwrap()
        );
        assert!(a_log.lock().unwrap().iter().all(|seen| seen.tls));

        // Nor does a redirect from HTTPS to plain HTTP on the same port
        // carry the credentials.
        let (listener, a) = listen();
        let plain = format!("http://{a}/v2/app/blobs/{digest}");
        let a_log = serve(
            listener,
            vec![
                answer(200, "{}"),
                answer(401, "{}").with("WWW-Authenticate", r#"Basic realm="a""#),
                answer(307, "").with("Location", plain),
                answer(200, "x"),
            ],
            Some((cert.clone(), key)),
        );
        let store = RemoteStore::new(&a, https_options(&a, &c)).unwrap();
        let err = store.fetch_blob("app", &digest, 10).await.unwrap_err();
        assert!(
            err.to_string().contains("from HTTPS to plain HTTP"),
            "{err}"
        );
        let log = a_log.lock().unwrap().clone();
        assert!(
            log.iter()
                .all(|seen| seen.tls || seen.authorization.is_none()),
            "{log:?}"
        );
        assert!(
            log.iter()
                .any(|seen| seen.authorization.as_deref() == Some(BASIC)),
            "{log:?}"
        );
    }

    #[tokio::test]
    async fn regression_issue_9_what_a_server_said_is_kept_apart() {
        const PAGE: &str = r#"{"errors":[{"code":"DENIED","message":"internal admin page"}]}"#;
        let (a, _) = stub(vec![answer(200, "{}"), answer(403, PAGE)], None);
        let store = RemoteStore::new(&a, RemoteOptions::default()).unwrap();
        let err = store
            .fetch_blob("app", &blob_digest(), 10)
            .await
            .unwrap_err();
        // A local user reads it...
        assert!(err.to_string().contains("internal admin page"), "{err}");
        // ...someone else reads which registry failed, and how.
        let told = err.without_remote_message();
        assert!(!told.contains("internal admin page"), "{told}");
        assert!(told.contains(&format!("registry {a}: GET blob")), "{told}");
        assert!(told.contains("403 Forbidden"), "{told}");
    }

    /// Distribution refuses a manifest as naming an unknown blob while
    /// another client pushes one of its blobs again (the flaky
    /// `concurrent_attaches` conformance check); the push is tried again,
    /// and a blob that stays unknown is still an error that names it.
    #[tokio::test]
    async fn a_manifest_refused_for_a_blob_being_relinked_is_pushed_again() {
        const UNKNOWN: &str =
            r#"{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]}"#;
        let digest = crate::oci::Descriptor::of("x", b"x").digest;
        let push = |answers| async move {
            // The first answer is the scheme probe's.
            let mut all = vec![(200, "{}")];
            all.extend(answers);
            let store = RemoteStore::new(&scripted(all), RemoteOptions::default()).unwrap();
            store
                .push_manifest("app", &digest, b"{}", crate::oci::OCI_MANIFEST, None)
                .await
        };
        push(vec![(400, UNKNOWN), (201, "")]).await.unwrap();
        let err = push(vec![(400, UNKNOWN); 4]).await.unwrap_err();
        assert!(err.to_string().contains("MANIFEST_BLOB_UNKNOWN"), "{err}");
        assert!(!err.is_unavailable(), "{err}");
        // Any other refusal is final at once.
        const INVALID: &str = r#"{"errors":[{"code":"MANIFEST_INVALID","message":"bad"}]}"#;
        let err = push(vec![(400, INVALID), (201, "")]).await.unwrap_err();
        assert!(err.to_string().contains("MANIFEST_INVALID"), "{err}");
    }

    #[tokio::test]
    async fn errors_say_whether_the_registry_was_unavailable() {
        let digest = crate::oci::Descriptor::of("x", b"x").digest;
        let fetch = |host: String| async move {
            let store = RemoteStore::new(&host, RemoteOptions::default()).unwrap();
            store.fetch_blob("app", &digest, 10).await.unwrap_err()
        };
        // 429 and 5xx (after the retries), and a refused connection.
        for status in [429, 503] {
            let err = fetch(answering(status, 8)).await;
            assert!(err.is_unavailable(), "{status}: {err}");
            assert!(err.to_string().contains(&status.to_string()), "{err}");
        }
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let host = closed.local_addr().unwrap().to_string();
        drop(closed);
        let err = fetch(host).await;
        assert!(err.is_unavailable(), "{err}");
        // An answer about the request is not.
        let err = fetch(answering(403, 8)).await;
        assert!(!err.is_unavailable(), "{err}");
        assert!(err.to_string().contains("403"), "{err}");
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1:5000",
            "localhost",
            "localhost:8080",
            "[::1]:5000",
            "127.1.2.3",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["registry.example", "10.0.0.1:5000", "localhost.evil.com"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
