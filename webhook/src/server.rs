//! The HTTPS server: `/validate`, `/mutate`, `/healthz`, `/readyz`,
//! `/metrics`.
//!
//! axum routes the requests; rustls (through tokio-rustls, with `ring`,
//! the stack reqwest already uses) terminates TLS, and hyper serves each
//! connection over HTTP/1.1, which is what the apiserver speaks to
//! webhooks. There is no plain-HTTP listener: the apiserver only calls
//! webhooks over HTTPS, and a review carries the object's full spec.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;
use vouch_verify::diff::upgrade_findings;
use vouch_verify::vulns::Action;

use crate::check::{Checker, Outcome};
use crate::images::{images, old_images, ImageSite};
use crate::namespaces::Exemptions;
use crate::response::{self, ResponseReview};
use crate::review::{parse, Request};
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

/// The shortest budget ever used, whatever the apiserver asks: below it
/// nothing but a cache hit could answer, and a deny is answered anyway.
const MIN_BUDGET: Duration = Duration::from_millis(100);

/// How long a client has to finish the TLS handshake, and to send its
/// request headers.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How the server answers, besides the checker's settings.
pub struct Settings {
    /// Namespaces allowed without checks.
    pub exemptions: Exemptions,
    /// Whether a failure to verify (registry down, deadline) admits the
    /// object with a warning instead of refusing it.
    pub fail_open: bool,
    /// The budget when the request names no timeout.
    pub default_budget: Duration,
    /// The policy file or directory, polled for changes.
    pub policy_path: PathBuf,
    /// How often the policy files are polled.
    pub reload_interval: Duration,
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

/// The routes, for [`serve`] (and for tests that call them without TLS).
fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves HTTPS on `listener` until the process ends, and polls the
/// policy files for changes meanwhile.
///
/// A connection that fails (handshake refused, client gone) is dropped
/// and logged; it never stops the server.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    checker: Arc<Checker>,
    config: Settings,
) -> Result<()> {
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(reload::watch(
        checker.clone(),
        config.policy_path.clone(),
        config.reload_interval,
    ));
    let app = router(Arc::new(AppState { checker, config }));
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(source) => {
                // EMFILE and the like: back off instead of spinning.
                eprintln!("vouch webhook: accept on {address}: {source}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    eprintln!("vouch webhook: TLS handshake with {peer}: {e}");
                    return;
                }
                Err(_) => return,
            };
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HANDSHAKE_TIMEOUT)
                .serve_connection(TokioIo::new(tls), service)
                .await;
            if let Err(e) = served {
                if !e.is_incomplete_message() {
                    eprintln!("vouch webhook: connection from {peer}: {e}");
                }
            }
        });
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
/// `10s`) minus [`SAFETY_MARGIN`], else `default`.
pub fn budget(query: Option<&str>, default: Duration) -> Duration {
    let timeout = query.and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "timeout")
            .and_then(|(_, v)| go_duration(v))
    });
    match timeout {
        Some(t) => t.saturating_sub(SAFETY_MARGIN).max(MIN_BUDGET),
        None => default,
    }
}

/// A Go `time.Duration` string as the apiserver writes it (`10s`, `1m30s`,
/// `500ms`); `None` if it is anything else.
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
        total += Duration::try_from_secs_f64(value * scale).ok()?;
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
        (StatusCode::BAD_REQUEST, format!("vouch: error: {e}\n")).into_response()
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
            Err((StatusCode::BAD_REQUEST, format!("vouch: error: {e}\n")).into_response())
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
    let deadline = tokio::time::Instant::now() + budget;
    // One check per distinct reference, all at once.
    let mut distinct: BTreeMap<String, &ImageSite> = BTreeMap::new();
    for site in &sites {
        distinct.entry(site.reference.to_string()).or_insert(site);
    }
    let upgrades = upgrades(&state, &request, &sites);
    let mut to_check: BTreeMap<String, &ImageSite> = distinct.clone();
    for upgrade in upgrades.iter().flatten() {
        to_check
            .entry(upgrade.old.reference.to_string())
            .or_insert(&upgrade.old);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (name, site) in &to_check {
        let checker = state.checker.clone();
        let image = site.reference.clone();
        let name = name.clone();
        tasks.spawn(async move { (name, checker.check(image, deadline, budget).await) });
    }
    let mut outcomes = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((name, outcome)) => {
                outcomes.insert(name, outcome);
            }
            Err(e) => {
                state.checker.metrics.request("validate", "error");
                let message = format!("vouch: internal error verifying images: {e}");
                return json(&response::deny(&request.uid, 500, &message));
            }
        }
    }
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
            Some(Outcome::Refused(why)) => denials.push(format!("{shown}: {why}")),
            Some(Outcome::Failed { reason, deadline }) => {
                late |= deadline;
                failures.push(format!("{shown}: {reason}"));
            }
            None => failures.push(format!("{shown}: not checked")),
        }
    }
    match upgrades {
        Ok(upgrades) => {
            for Upgrade { new, old } in upgrades {
                let (shown, old) = (&new.image, old.reference.to_string());
                match (outcomes.get(&new.reference.to_string()), outcomes.get(&old)) {
                    (Some(Outcome::Verdict(n)), Some(Outcome::Verdict(o))) => {
                        for (action, message) in upgrade_findings(o, n) {
                            match action {
                                Action::Deny => denials.push(format!("{shown}: {message}")),
                                Action::Warn => warnings.push(format!("{shown}: {message}")),
                                Action::Ignore => {}
                            }
                        }
                    }
                    // The new image's own failure is reported above.
                    (Some(Outcome::Verdict(_)), other) => failures.push(format!(
                        "{shown}: the upgrade rule needs the verdict on the old image {old}: {}",
                        match other {
                            Some(Outcome::Refused(why)) => why.clone(),
                            Some(Outcome::Failed { reason, .. }) => reason.clone(),
                            _ => "not checked".to_string(),
                        }
                    )),
                    _ => {}
                }
            }
        }
        Err(why) => failures.push(why),
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

/// A container that an UPDATE moves to another image.
struct Upgrade<'a> {
    /// The image it runs now.
    new: &'a ImageSite,
    /// The image the old object ran at the same position in the pod spec.
    old: ImageSite,
}

/// The containers an UPDATE moves to another image, when a policy has an
/// `upgrade` rule (none otherwise).
fn upgrades<'a>(
    state: &AppState,
    request: &Request,
    sites: &'a [ImageSite],
) -> std::result::Result<Vec<Upgrade<'a>>, String> {
    let ruled = state.checker.policies().policies.iter().any(|p| {
        p.vulnerabilities
            .as_ref()
            .is_some_and(|v| v.upgrade != Action::Ignore)
    });
    if !ruled {
        return Ok(Vec::new());
    }
    let old = old_images(request)
        .map_err(|e| format!("the upgrade rule cannot read the old object's images: {e}"))?;
    Ok(sites
        .iter()
        .filter_map(|new| {
            let before = old.iter().find(|o| o.pointer == new.pointer)?;
            (before.reference.to_string() != new.reference.to_string()).then(|| Upgrade {
                new,
                old: before.clone(),
            })
        })
        .collect())
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
    let deadline = tokio::time::Instant::now() + budget;
    // Each distinct tag is resolved exactly once, all at once.
    let mut tags: BTreeMap<String, &ImageSite> = BTreeMap::new();
    for site in sites.iter().filter(|s| s.reference.digest.is_none()) {
        tags.entry(site.reference.to_string()).or_insert(site);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (name, site) in &tags {
        let checker = state.checker.clone();
        let image = site.reference.clone();
        let name = name.clone();
        tasks.spawn(async move {
            let digest = checker.resolve_by(&image, deadline, budget).await;
            (name, digest)
        });
    }
    let mut digests = BTreeMap::new();
    let mut failures = Vec::new();
    let mut late = false;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((name, Ok(digest))) => {
                digests.insert(name, digest);
            }
            Ok((_, Err((reason, deadline)))) => {
                late |= deadline;
                failures.push(reason);
            }
            Err(e) => failures.push(format!("internal error resolving a tag: {e}")),
        }
    }
    let uid = &request.uid;
    let answer = if failures.is_empty() {
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
    eprintln!(
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
            budget(Some("dryRun=All&timeout=1m30s"), default),
            Duration::from_secs(89)
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
}
