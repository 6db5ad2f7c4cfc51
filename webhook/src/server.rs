//! The HTTPS server: `/validate`, `/mutate`, `/healthz`, `/readyz`,
//! `/metrics`.
//!
//! axum routes the requests; rustls (through tokio-rustls, with `ring`,
//! the stack reqwest already uses) terminates TLS, and hyper serves each
//! connection over HTTP/1.1, which is what the apiserver speaks to
//! webhooks. There is no plain-HTTP listener: the apiserver only calls
//! webhooks over HTTPS, and a review carries the object's full spec.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, RawQuery, Request as HttpRequest, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;
use vouch_evidence::text::Escaped;
use vouch_registry::reference::ImageRef;
use vouch_verify::diff::upgrade_findings;
use vouch_verify::evaluate::Verdict;
use vouch_verify::policy::NoMatch;
use vouch_verify::vulns::Action;

use crate::check::{Checker, Failure, Outcome};
use crate::images::{images, old_images, ImageSite};
use crate::namespaces::Exemptions;
use crate::response::{self, ResponseReview};
use crate::review::{parse, Operation, Request};
use crate::{reload, Error, Result};

/// The largest request body read: the apiserver's own limit on a request
/// (3 MiB), so no object it accepted is refused here, and nothing larger
/// is buffered. Larger bodies are answered 413 before parsing.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// How much of the apiserver's timeout is kept back for the answer to
/// travel back (and for the apiserver's own bookkeeping).
pub const SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// The budget when the request names no `?timeout=`: below the 10 s the
/// deploy manifests configure (`timeoutSeconds: 10`) minus the margin.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(8);

/// The longest timeout the apiserver gives a webhook (`timeoutSeconds`
/// is at most 30): a longer `?timeout=` is taken as this.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30);

/// The shortest budget ever used, whatever the apiserver asks: below it
/// nothing but a cache hit could answer, and a deny is answered anyway.
const MIN_BUDGET: Duration = Duration::from_millis(100);

/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client has to send a whole request, head and body, from
/// the moment its connection is ready for one (accepted, or its previous
/// answer sent); an idle keep-alive connection is closed after as long.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The most images of one review checked at once; the others wait for a
/// turn (within the review's deadline), so that one review cannot take
/// every verification the process allows.
pub const MAX_CHECKS_PER_REVIEW: usize = 2;

/// File descriptors kept back from connections: the registry clients
/// (one connection pool per open repository), the listener, the runtime
/// and the policy files.
const RESERVED_FDS: u64 = 384;

/// How the server answers, besides the checker's settings.
pub struct Settings {
    /// Namespaces allowed without checks.
    pub exemptions: Exemptions,
    /// Whether an image a policy matches is admitted with a warning when
    /// its registry is unavailable (timeout, refused connection, 429,
    /// 5xx) or the deadline passes, instead of refused. Never for
    /// evidence that is missing, malformed or too large.
    pub fail_open: bool,
    /// The budget when the request names no timeout.
    pub default_budget: Duration,
    /// The policy file or directory, polled for changes.
    pub policy_path: PathBuf,
    /// What loading the policies in force read (`vouch_load::policy::load_recorded`):
    /// what is polled.
    pub policy_sources: Vec<vouch_load::Source>,
    /// How often the policy files are polled.
    pub reload_interval: Duration,
    /// The most client connections open at once (lowered to fit the
    /// file-descriptor limit). A new connection past it closes the
    /// oldest one that is not being answered.
    pub max_connections: usize,
}

struct AppState {
    checker: Arc<Checker>,
    config: Settings,
}

/// Reads a PEM certificate chain and private key into a rustls server
/// configuration (TLS 1.2 and 1.3, HTTP/1.1 by ALPN).
pub fn tls_config(cert_pem: &[u8], key_pem: &[u8], where_: &str) -> Result<Arc<ServerConfig>> {
    let invalid = |what: &str, reason: String| Error::Config {
        what: format!("{what} in {where_}"),
        reason,
    };
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| invalid("TLS certificate", e.to_string()))?;
    if certs.is_empty() {
        return Err(invalid("TLS certificate", "no CERTIFICATE block".into()));
    }
    let key =
        PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| invalid("TLS key", e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("TLS settings", e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid("TLS certificate and key", e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The routes, for [`serve`].
fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(read_whole))
        .with_state(state)
}

/// One client connection, as the server tracks it.
struct Link {
    /// When the connection was last ready for a request: accepted, or its
    /// previous answer sent. The whole next request is due
    /// [`REQUEST_TIMEOUT`] after it.
    ready: Mutex<Instant>,
    /// Whether a request read whole is being answered: such a connection
    /// is not closed to make room.
    busy: AtomicBool,
}

/// Marks a connection busy while it lives, then ready again.
struct Answering(Arc<Link>);

impl Drop for Answering {
    fn drop(&mut self) {
        *self.0.ready.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.0.busy.store(false, Ordering::SeqCst);
    }
}

/// Reads the body of every request whole, within its deadline, before
/// the handler runs; the connection counts as busy until the answer.
async fn read_whole(
    link: Option<Extension<Arc<Link>>>,
    request: HttpRequest,
    next: Next,
) -> Response {
    let ready = link.as_ref().map_or_else(Instant::now, |l| {
        *l.ready.lock().unwrap_or_else(|p| p.into_inner())
    });
    let (parts, body) = request.into_parts();
    let too_large = || {
        let message = format!(
            "vouch: error: the request body is over {MAX_BODY_BYTES} bytes, or was cut off\n"
        );
        (StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
    };
    // A declared length over the cap is refused before any of the body is
    // read (nor `100 Continue` sent), so the client reads the answer
    // rather than a reset of the connection it is still writing to.
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    let read = tokio::time::timeout_at(
        ready + REQUEST_TIMEOUT,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return too_large(),
        Err(_) => {
            let message = format!(
                "vouch: error: the request did not arrive whole within {} s\n",
                REQUEST_TIMEOUT.as_secs()
            );
            let mut answer = (StatusCode::REQUEST_TIMEOUT, message).into_response();
            answer.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            return answer;
        }
    };
    let _answering = link.map(|Extension(link)| {
        link.busy.store(true, Ordering::SeqCst);
        Answering(link)
    });
    next.run(HttpRequest::from_parts(parts, Body::from(bytes)))
        .await
}

/// The open client connections, oldest first, each with the handle that
/// closes it.
#[derive(Default)]
struct Connections {
    open: Mutex<BTreeMap<u64, (Arc<Link>, AbortHandle)>>,
    next: AtomicU64,
}

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, (Arc<Link>, AbortHandle)>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Forgets a connection when its task ends, however it ends.
struct Forget(Arc<Connections>, u64);

impl Drop for Forget {
    fn drop(&mut self) {
        self.0.lock().remove(&self.1);
    }
}

/// `requested`, lowered to fit the process's file-descriptor limit (whose
/// soft value is first raised to the hard one, as Go programs do), with
/// [`RESERVED_FDS`] kept back, or half of it when the limit is smaller.
fn connection_cap(requested: usize) -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
        limit = getrlimit(Resource::Nofile);
    }
    let fds = limit.current.unwrap_or(u64::MAX);
    let room = fds.saturating_sub(RESERVED_FDS).max(fds / 2).max(1);
    requested.clamp(1, usize::try_from(room).unwrap_or(usize::MAX))
}

/// Serves HTTPS on `listener` until the process ends, and polls the
/// policy files for changes meanwhile.
///
/// A connection that fails (handshake refused, client gone) is dropped
/// and logged; it never stops the server. Each has [`HANDSHAKE_TIMEOUT`]
/// for its TLS handshake and [`REQUEST_TIMEOUT`] for each request; at
/// most [`Settings::max_connections`] (fitted to the file-descriptor
/// limit) are open at once, and a new one past that closes the oldest
/// connection that is not being answered, so that slow or idle clients
/// cannot keep a real review out.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    checker: Arc<Checker>,
    mut config: Settings,
) -> Result<()> {
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(reload::watch(
        checker.clone(),
        config.policy_path.clone(),
        std::mem::take(&mut config.policy_sources),
        config.reload_interval,
    ));
    let cap = connection_cap(config.max_connections);
    log_line!("vouch webhook: at most {cap} connections at once");
    let app = router(Arc::new(AppState {
        checker: checker.clone(),
        config,
    }));
    let acceptor = TlsAcceptor::from(tls);
    let connections = Arc::new(Connections::default());
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(source) => {
                // EMFILE and the like: back off instead of spinning.
                log_line!("vouch webhook: accept on {address}: {source}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let mut open = connections.lock();
        if open.len() >= cap {
            let idle = open
                .iter()
                .find(|(_, (link, _))| !link.busy.load(Ordering::SeqCst))
                .map(|(id, _)| *id);
            match idle.and_then(|id| open.remove(&id)) {
                Some((_, oldest)) => {
                    oldest.abort();
                    checker.metrics.connection_shed();
                }
                // Every connection is being answered: this one waits for
                // none of them.
                None => continue,
            }
        }
        let id = connections.next.fetch_add(1, Ordering::SeqCst);
        let link = Arc::new(Link {
            ready: Mutex::new(Instant::now()),
            busy: AtomicBool::new(false),
        });
        let forget = Forget(connections.clone(), id);
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(app.clone().layer(Extension(link.clone())));
        let ready = link.clone();
        let task = tokio::spawn(async move {
            let _forget = forget;
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    log_line!("vouch webhook: TLS handshake with {peer}: {e}");
                    return;
                }
                Err(_) => return,
            };
            *ready.ready.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(REQUEST_TIMEOUT)
                .serve_connection(TokioIo::new(tls), service)
                .await;
            if let Err(e) = served {
                if !e.is_incomplete_message() && !e.is_timeout() {
                    log_line!("vouch webhook: connection from {peer}: {e}");
                }
            }
        });
        open.insert(id, (link, task.abort_handle()));
    }
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let version = state.checker.policies().version.to_string();
    (StatusCode::OK, format!("ready: policy set {version}\n")).into_response()
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.checker.metrics.render(),
    )
        .into_response()
}

/// The request's budget: the apiserver's `?timeout=` (a Go duration,
/// `10s`), at most [`MAX_TIMEOUT`], minus [`SAFETY_MARGIN`]; `default`
/// when there is none or it is not a duration.
pub fn budget(query: Option<&str>, default: Duration) -> Duration {
    let timeout = query.and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "timeout")
            .and_then(|(_, v)| go_duration(v))
    });
    match timeout {
        Some(t) => t
            .min(MAX_TIMEOUT)
            .saturating_sub(SAFETY_MARGIN)
            .max(MIN_BUDGET),
        None => default,
    }
}

/// A Go `time.Duration` string as the apiserver writes it (`10s`, `1m30s`,
/// `500ms`), saturating at `Duration::MAX`; `None` if it is anything else.
fn go_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        // Digits and dots only, so never negative: too long saturates.
        let part = Duration::try_from_secs_f64(value * scale).unwrap_or(Duration::MAX);
        total = total.saturating_add(part);
    }
    Some(total)
}

fn json(review: &ResponseReview) -> Response {
    match serde_json::to_vec(review) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The request and its images, or the answer that ends it early: 400 for
/// a malformed review, a deny naming a bad image reference, an allow for
/// an exempt namespace.
#[allow(clippy::result_large_err)] // the Err is the finished HTTP response, built once
fn admit(
    state: &AppState,
    endpoint: &'static str,
    body: &[u8],
) -> std::result::Result<(Request, Vec<ImageSite>), Response> {
    let metrics = &state.checker.metrics;
    let request = parse(body).map_err(|e| {
        metrics.request(endpoint, "error");
        (
            StatusCode::BAD_REQUEST,
            format!("vouch: error: {}\n", Escaped(e)),
        )
            .into_response()
    })?;
    if state.config.exemptions.is_exempt(&request) {
        metrics.request(endpoint, "allow");
        return Err(json(&response::allow(&request.uid, Vec::new())));
    }
    match images(&request) {
        Ok(sites) => Ok((request, sites)),
        Err(e @ Error::Image { .. }) => {
            metrics.request(endpoint, "deny");
            Err(json(&response::deny(&request.uid, 400, &e.to_string())))
        }
        Err(e) => {
            metrics.request(endpoint, "error");
            Err((
                StatusCode::BAD_REQUEST,
                format!("vouch: error: {}\n", Escaped(e)),
            )
                .into_response())
        }
    }
}

/// The key an image is checked under: its repository and digest when it
/// names one (the tag is then ignored), else the reference as normalised.
fn key(image: &ImageRef) -> String {
    match &image.digest {
        Some(digest) => format!("{}@{digest}", image.location),
        None => image.to_string(),
    }
}

/// `check` on each image, at most [`MAX_CHECKS_PER_REVIEW`] at once; the
/// error of a task that did not finish.
async fn bounded<T, F, Fut>(
    images: BTreeMap<String, ImageRef>,
    check: F,
) -> std::result::Result<BTreeMap<String, T>, String>
where
    T: Send + 'static,
    F: Fn(ImageRef) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let mut pending = images.into_iter();
    let mut tasks = tokio::task::JoinSet::new();
    let mut done = BTreeMap::new();
    loop {
        while tasks.len() < MAX_CHECKS_PER_REVIEW {
            let Some((name, image)) = pending.next() else {
                break;
            };
            let checked = check(image);
            tasks.spawn(async move { (name, checked.await) });
        }
        match tasks.join_next().await {
            None => return Ok(done),
            Some(Ok((name, outcome))) => {
                done.insert(name, outcome);
            }
            Some(Err(e)) => return Err(e.to_string()),
        }
    }
}

async fn validate(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let (request, sites) = match admit(&state, "validate", &body) {
        Ok(admitted) => admitted,
        Err(answer) => return answer,
    };
    let budget = budget(query.as_deref(), state.config.default_budget);
    let deadline = Instant::now() + budget;
    // One check per distinct image, a few at a time.
    let mut distinct: BTreeMap<String, &ImageSite> = BTreeMap::new();
    for site in &sites {
        distinct.entry(key(&site.reference)).or_insert(site);
    }
    let upgrade = upgrade(&state, &request, &sites);
    let mut to_check: BTreeMap<String, ImageRef> = distinct
        .iter()
        .map(|(name, site)| (name.clone(), site.reference.clone()))
        .collect();
    if let Ok(Some(upgrade)) = &upgrade {
        for old in &upgrade.old {
            to_check
                .entry(key(&old.reference))
                .or_insert_with(|| old.reference.clone());
        }
    }
    let checker = &state.checker;
    let checked = bounded(to_check, |image| {
        checker.clone().check(image, deadline, budget)
    });
    let outcomes = match checked.await {
        Ok(outcomes) => outcomes,
        Err(e) => {
            state.checker.metrics.request("validate", "error");
            let message = format!("vouch: internal error verifying images: {e}");
            return json(&response::deny(&request.uid, 500, &message));
        }
    };
    let (mut denials, mut failures, mut warnings) = (Vec::new(), Vec::new(), Vec::new());
    let mut late = false;
    for (name, site) in &distinct {
        let shown = &site.image;
        match outcomes.get(name) {
            Some(Outcome::Verdict(verdict)) => {
                if !verdict.allowed() {
                    denials.push(format!("{shown}: {}", verdict.denials.join("; ")));
                }
                warnings.extend(verdict.warnings.iter().map(|w| format!("{shown}: {w}")));
            }
            Some(Outcome::Unmatched(no_match)) => {
                let why = format!("{shown}: no policy matches this image");
                match no_match {
                    NoMatch::Deny => denials.push(why),
                    NoMatch::Warn => warnings.push(why),
                    NoMatch::Allow => {}
                }
            }
            Some(Outcome::Failed(Failure::Refused(why))) => denials.push(format!("{shown}: {why}")),
            Some(Outcome::Failed(Failure::Unavailable { reason, deadline })) => {
                late |= deadline;
                failures.push(format!("{shown}: {reason}"));
            }
            None => denials.push(format!("{shown}: not checked")),
        }
    }
    match upgrade {
        Ok(None) => {}
        Ok(Some(Upgrade { new, old })) => {
            // Every image of the old object, once: a finding any of them
            // had unanswered is not new.
            let (mut before, mut unknown) = (Vec::<&Verdict>::new(), Vec::new());
            let mut seen = BTreeSet::new();
            for site in &old {
                let name = key(&site.reference);
                match outcomes.get(&name) {
                    _ if !seen.insert(name.clone()) => {}
                    Some(Outcome::Verdict(verdict)) => before.push(verdict),
                    Some(Outcome::Failed(Failure::Unavailable { reason, deadline })) => {
                        late |= deadline;
                        unknown.push(format!("{}: {reason}", site.image));
                    }
                    // No policy, or evidence refused: it excuses no finding.
                    _ => {}
                }
            }
            if unknown.is_empty() {
                let mut judged = BTreeSet::new();
                for site in new {
                    let name = key(&site.reference);
                    let Some(Outcome::Verdict(after)) = outcomes.get(&name) else {
                        continue; // its own outcome is reported above
                    };
                    if !judged.insert(name) {
                        continue;
                    }
                    for (action, message) in upgrade_findings(&before, after) {
                        let line = format!("{}: {message}", site.image);
                        match action {
                            Action::Deny => denials.push(line),
                            Action::Warn => warnings.push(line),
                            Action::Ignore => {}
                        }
                    }
                }
            } else {
                failures.push(format!(
                    "the upgrade rule needs the verdicts on the images the old object ran: {}",
                    unknown.join("; ")
                ));
            }
        }
        Err(why) => denials.push(why),
    }
    let uid = &request.uid;
    let metrics = &state.checker.metrics;
    let answer = if !denials.is_empty() {
        denials.extend(failures);
        response::deny(
            uid,
            403,
            &format!("vouch denied the object: {}", denials.join(" | ")),
        )
        .with_warnings(warnings)
    } else if failures.is_empty() {
        response::allow(uid, warnings)
    } else if state.config.fail_open {
        warnings.extend(
            failures
                .iter()
                .map(|f| format!("vouch admitted without verification (--fail-open): {f}")),
        );
        response::allow(uid, warnings)
    } else {
        response::deny(
            uid,
            if late { 504 } else { 500 },
            &format!(
                "vouch could not verify the object (fail-closed): {}",
                failures.join(" | ")
            ),
        )
        .with_warnings(warnings)
    };
    metrics.request(
        "validate",
        if answer.response.allowed {
            "allow"
        } else {
            "deny"
        },
    );
    log(&request, "validate", &answer);
    json(&answer)
}

/// What the upgrade rule judges on an UPDATE.
struct Upgrade<'a> {
    /// The images of the new object that the old one did not run under
    /// the same name in the same list (a moved container is not new; a
    /// container added, or another image under a name, is).
    new: Vec<&'a ImageSite>,
    /// Every image the old object ran.
    old: Vec<ImageSite>,
}

/// What an UPDATE brings, when a policy has an `upgrade` rule and the new
/// object runs an image the old one did not (none otherwise).
fn upgrade<'a>(
    state: &AppState,
    request: &Request,
    sites: &'a [ImageSite],
) -> std::result::Result<Option<Upgrade<'a>>, String> {
    let ruled = state.checker.policies().policies.iter().any(|p| {
        p.vulnerabilities
            .as_ref()
            .is_some_and(|v| v.upgrade != Action::Ignore)
    });
    if !ruled || request.operation != Operation::Update || request.old_object.is_none() {
        return Ok(None);
    }
    let old = old_images(request)
        .map_err(|e| format!("the upgrade rule cannot read the old object's images: {e}"))?;
    let new: Vec<&ImageSite> = sites
        .iter()
        .filter(|site| {
            !old.iter().any(|before| {
                before.owner.1.is_some()
                    && before.owner == site.owner
                    && before.reference.to_string() == site.reference.to_string()
            })
        })
        .collect();
    Ok((!new.is_empty()).then_some(Upgrade { new, old }))
}

async fn mutate(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let (request, sites) = match admit(&state, "mutate", &body) {
        Ok(admitted) => admitted,
        Err(answer) => return answer,
    };
    let budget = budget(query.as_deref(), state.config.default_budget);
    let deadline = Instant::now() + budget;
    // Each distinct tag a policy matches is resolved once, a few at a
    // time; a tag no policy matches is left as written, unread (the
    // validating webhook gives it the --no-match answer).
    let checker = &state.checker;
    let tags: BTreeMap<String, ImageRef> = sites
        .iter()
        .filter(|s| s.reference.digest.is_none() && checker.matched(&s.reference))
        .map(|s| (s.reference.to_string(), s.reference.clone()))
        .collect();
    let resolved = bounded(tags, |image| {
        let checker = checker.clone();
        async move { checker.resolve_by(&image, deadline, budget).await }
    })
    .await;
    let mut digests = BTreeMap::new();
    let (mut refusals, mut failures) = (Vec::new(), Vec::new());
    let mut late = false;
    match resolved {
        Ok(resolved) => {
            for (name, result) in resolved {
                match result {
                    Ok(digest) => {
                        digests.insert(name, digest);
                    }
                    Err(Failure::Refused(reason)) => refusals.push(reason),
                    Err(Failure::Unavailable { reason, deadline }) => {
                        late |= deadline;
                        failures.push(reason);
                    }
                }
            }
        }
        Err(e) => refusals.push(format!("internal error resolving a tag: {e}")),
    }
    let uid = &request.uid;
    let answer = if !refusals.is_empty() {
        refusals.extend(failures);
        response::deny(
            uid,
            403,
            &format!("vouch cannot pin the images: {}", refusals.join(" | ")),
        )
    } else if failures.is_empty() {
        let ops: Vec<_> = sites
            .iter()
            .filter_map(|site| {
                let digest = digests.get(&site.reference.to_string())?;
                response::pin(site, digest)
            })
            .collect();
        response::patch(uid, &ops)
    } else if state.config.fail_open {
        let warnings = failures
            .iter()
            .map(|f| format!("vouch left the tags unpinned (--fail-open): {f}"))
            .collect();
        response::allow(uid, warnings)
    } else {
        response::deny(
            uid,
            if late { 504 } else { 500 },
            &format!(
                "vouch could not pin the images (fail-closed): {}",
                failures.join(" | ")
            ),
        )
    };
    let verdict = match (&answer.response.patch, answer.response.allowed) {
        (Some(_), _) => "patch",
        (None, true) => "allow",
        (None, false) => "deny",
    };
    state.checker.metrics.request("mutate", verdict);
    log(&request, "mutate", &answer);
    json(&answer)
}

/// One line per answered review on stderr: who asked what, and the answer.
fn log(request: &Request, endpoint: &str, answer: &ResponseReview) {
    let response = &answer.response;
    let what = match (&response.status, &response.patch) {
        (Some(status), _) => format!("deny {}: {}", status.code, status.message),
        (None, Some(_)) => "allow with patch".to_string(),
        (None, None) => "allow".to_string(),
    };
    log_line!(
        "vouch webhook: {endpoint} {} {:?} {}/{} by {}{}: {what}",
        request.uid,
        request.operation,
        request.namespace.as_deref().unwrap_or("-"),
        request.name.as_deref().unwrap_or("-"),
        request.user_info.username,
        if request.dry_run { " (dry run)" } else { "" },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_the_apiservers_timeout_less_the_margin() {
        let default = DEFAULT_BUDGET;
        assert_eq!(budget(Some("timeout=10s"), default), Duration::from_secs(9));
        assert_eq!(
            budget(Some("dryRun=All&timeout=0m25s"), default),
            Duration::from_secs(24)
        );
        // Past the apiserver's 30 s: 30 s.
        assert_eq!(
            budget(Some("timeout=1m30s"), default),
            Duration::from_secs(29)
        );
        assert_eq!(
            budget(Some("timeout=1500ms"), default),
            Duration::from_millis(500)
        );
        // Shorter than the margin: the floor, never zero.
        assert_eq!(budget(Some("timeout=1s"), default), MIN_BUDGET);
        // Absent or unreadable: the default.
        assert_eq!(budget(None, default), default);
        assert_eq!(budget(Some("timeout=soon"), default), default);
        assert_eq!(budget(Some("timeout=10"), default), default);
        assert_eq!(budget(Some("timeout="), default), default);
    }

    #[test]
    fn regression_issue_8_absurd_timeouts_neither_panic_nor_pass_the_apiservers_cap() {
        let default = DEFAULT_BUDGET;
        let capped = MAX_TIMEOUT - SAFETY_MARGIN;
        for huge in [
            "timeout=9300000000000000000s",
            "timeout=10000000000000000000s10000000000000000000s",
            "timeout=2562047h",
            "timeout=99999999999999999999999s",
            "timeout=31s",
        ] {
            let budget = budget(Some(huge), default);
            assert_eq!(budget, capped, "{huge}");
            // The deadline the handlers compute from it.
            assert!(Instant::now().checked_add(budget).is_some());
        }
        // Not a duration: the default.
        for nonsense in [
            "timeout=1e19s1e19s",
            "timeout=-5s",
            "timeout=NaNs",
            "timeout=infs",
        ] {
            assert_eq!(budget(Some(nonsense), default), default, "{nonsense}");
        }
        assert_eq!(budget(Some("timeout=30s"), default), capped);
    }

    #[test]
    fn one_image_is_checked_once_whatever_its_tag() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let keys: BTreeSet<String> = [
            format!("registry.example/app:v1@{digest}"),
            format!("registry.example/app:v2@{digest}"),
            format!("registry.example/app@{digest}"),
        ]
        .iter()
        .map(|r| key(&r.parse().unwrap()))
        .collect();
        assert_eq!(keys.len(), 1, "{keys:?}");
        // Negative control: tags are their own keys until resolved.
        let tags: BTreeSet<String> = ["registry.example/app:v1", "registry.example/app:v2"]
            .iter()
            .map(|r| key(&r.parse().unwrap()))
            .collect();
        assert_eq!(tags.len(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_review_checks_at_most_a_few_images_at_once() {
        let running = Arc::new(AtomicU64::new(0));
        let most = Arc::new(AtomicU64::new(0));
        let images: BTreeMap<String, ImageRef> = (0..40)
            .map(|i| {
                let image: ImageRef = format!("registry.example/app{i}:v1").parse().unwrap();
                (image.to_string(), image)
            })
            .collect();
        let done = bounded(images, |image| {
            let (running, most) = (running.clone(), most.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                image.to_string()
            }
        })
        .await
        .unwrap();
        assert_eq!(done.len(), 40);
        assert!(done.iter().all(|(name, image)| name == image));
        assert_eq!(most.load(Ordering::SeqCst), MAX_CHECKS_PER_REVIEW as u64);
    }
}
