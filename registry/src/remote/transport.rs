//! The HTTP side of a registry: the client (TLS roots, timeouts, the
//! redirect policy), the scheme found once, requests sent with retries,
//! bodies read within their caps, and the errors made of answers and of
//! requests that got none.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, Response, StatusCode};

use super::{RemoteOptions, RemoteStore};
use crate::error::{ErrorCode, Status};
use crate::reference::normalise_host;
use crate::{Error, Result};

/// The most redirects followed for one request (reqwest's default).
const MAX_REDIRECTS: usize = 10;

/// How many times a transient answer (429, 5xx) is retried.
pub(super) const MAX_RETRIES: u32 = 3;

/// The most bytes of an error body or token response read.
pub(super) const MAX_SMALL_BODY: u64 = 64 * 1024;

/// Whether `host` is a loopback address, which may be spoken to over plain
/// HTTP without `--allow-http-registry`.
pub(super) fn is_loopback(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(name, "localhost" | "[::1]") || name.starts_with("127.")
}

/// The HTTP client for `host`: its timeouts, the extra CA certificates,
/// and a redirect policy that never goes from HTTPS to plain HTTP.
pub(super) fn client(host: &str, options: &RemoteOptions) -> Result<reqwest::Client> {
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
    builder.build().map_err(|e| Error::Remote {
        location: host.into(),
        reason: e.to_string(),
        status: None,
        codes: Vec::new(),
        said: None,
    })
}

impl RemoteStore {
    pub(super) fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}/v2/{path}", self.host)
    }

    /// Whether `url` is on this registry's host, compared as references
    /// compare hosts ([`normalise_host`]: case, default ports).
    pub(super) fn on_host(&self, url: &reqwest::Url) -> bool {
        same_host(url, &self.host)
    }

    /// Whether this registry was found to speak plain HTTP (which it may
    /// only where that is allowed).
    pub(super) fn speaks_http(&self) -> bool {
        *self.scheme.lock().unwrap_or_else(|p| p.into_inner()) == Some("http")
    }

    /// The scheme to use, found once by pinging `/v2/`: HTTPS, or where
    /// allowed plain HTTP when HTTPS cannot be spoken at all. Any HTTP answer
    /// but a 400 counts (a 429 or 500 then surfaces on the real request); a
    /// 400 is a TLS-only registry's "plain HTTP sent to an HTTPS server".
    pub(super) async fn scheme(&self) -> Result<&'static str> {
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
                    Ok(r) if status_of(&r) != Status::BadRequest => "http",
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
    pub(super) async fn send(
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
            if !(retryable && status_of(&response).is_transient()) || attempt >= MAX_RETRIES {
                return Ok(response);
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
    }

    pub(super) fn remote_error(&self, reason: impl Into<String>) -> Error {
        Error::Remote {
            location: self.host.clone(),
            reason: reason.into(),
            status: None,
            codes: Vec::new(),
            said: None,
        }
    }

    /// An error with what the server said (its body) kept apart from
    /// vouch's `reason`.
    pub(super) fn said_error(&self, reason: &str, said: String) -> Error {
        Error::Remote {
            location: self.host.clone(),
            reason: reason.to_string(),
            status: None,
            codes: Vec::new(),
            said: Some(said),
        }
    }

    /// An error made of a failing answer: vouch's `reason`, the answer's
    /// typed status and codes, and what it said.
    pub(super) fn answer_error(&self, reason: &str, failure: Failure) -> Error {
        Error::Remote {
            location: self.host.clone(),
            reason: reason.to_string(),
            status: Some(failure.status),
            codes: failure.codes,
            said: Some(failure.said),
        }
    }

    /// A request that got no (whole) answer. A timeout, a connection that
    /// cannot be made, and one cut while sending or receiving are
    /// [`Error::Unavailable`]; a request that could not be built or
    /// redirected is not.
    pub(super) fn transport_error(&self, url: &str, e: reqwest::Error) -> Error {
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
            }
        } else {
            self.remote_error(reason)
        }
    }

    /// Turns a non-success status into an error carrying the registry's
    /// own message (an outage, [`Error::is_unavailable`], for 429 and 5xx).
    pub(super) async fn status_error(&self, what: &str, response: Response) -> Error {
        let failure = failure(response).await;
        self.failure_error(what, failure)
    }

    /// [`Self::status_error`] for an answer whose body was already read:
    /// the status is vouch's reason, the body what the registry said.
    pub(super) fn failure_error(&self, what: &str, failure: Failure) -> Error {
        self.answer_error(&format!("{what}: {}", failure.status), failure)
    }
}

/// The host of `url` as registry hosts are compared: [`normalise_host`] of
/// `host:port`, the port the scheme's default when none is written.
pub(super) fn url_host(url: &reqwest::Url) -> Option<String> {
    let port = url.port_or_known_default()?;
    Some(normalise_host(&format!("{}:{port}", url.host_str()?)))
}

/// Whether `url` is on `host` (`registry.example`, `127.0.0.1:5000`), `host`
/// read with `url`'s scheme, so that default ports compare alike.
pub(super) fn same_host(url: &reqwest::Url, host: &str) -> bool {
    let Ok(base) = reqwest::Url::parse(&format!("{}://{host}/", url.scheme())) else {
        return false;
    };
    url_host(url).is_some_and(|h| Some(h) == url_host(&base))
}

/// Reads at most `limit + 1` bytes of a body, chunk by chunk.
pub(super) async fn read_capped(
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

/// A failing answer, read once: what a caller decides on (its status and
/// OCI error codes) and what it said (the `errors` of a distribution error
/// body, or the start of the body as text).
pub(super) struct Failure {
    /// Its status.
    pub(super) status: Status,
    /// The codes of its error body, in order.
    pub(super) codes: Vec<ErrorCode>,
    /// The registry's message.
    pub(super) said: String,
}

/// The [`Status`] of an answer, with what its `Retry-After` asks for.
pub(super) fn status_of(response: &Response) -> Status {
    let retry_after = header(response.headers(), RETRY_AFTER.as_str())
        .and_then(|value| retry_after(value, jiff::Timestamp::now()));
    Status::new(response.status().as_u16(), retry_after)
}

/// How long a `Retry-After` header (`120`, or an HTTP date) asks to wait
/// from `now`; none for anything else, zero for a date already past.
fn retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().ok().map(Duration::from_secs);
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    Some(now.duration_until(at).try_into().unwrap_or(Duration::ZERO))
}

/// Reads a failing answer (its body within [`MAX_SMALL_BODY`]) into a
/// [`Failure`].
pub(super) async fn failure(response: Response) -> Failure {
    let status = status_of(&response);
    let body = read_capped(response, MAX_SMALL_BODY)
        .await
        .unwrap_or_default();
    failure_of(status, &body)
}

/// The [`Failure`] of an answer with `status` and `body`: the codes and
/// messages of a distribution error body, or the start of the body as
/// text (the status's reason phrase when it is empty).
fn failure_of(status: Status, body: &[u8]) -> Failure {
    #[derive(serde::Deserialize)]
    struct Body {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    if let Ok(parsed) = serde_json::from_slice::<Body>(body) {
        let parts: Vec<String> = parsed
            .errors
            .iter()
            .map(|e| match (&e.code, &e.message) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (c, m) => c.clone().or(m.clone()).unwrap_or_default(),
            })
            .collect();
        if !parts.is_empty() {
            let codes = parsed
                .errors
                .iter()
                .filter_map(|e| e.code.as_deref().map(ErrorCode::parse))
                .collect();
            return Failure {
                status,
                codes,
                said: parts.join("; "),
            };
        }
    }
    let text: String = String::from_utf8_lossy(body).chars().take(200).collect();
    let text = text.trim();
    let said = if text.is_empty() {
        StatusCode::from_u16(status.code())
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no message")
            .to_string()
    } else {
        text.to_string()
    };
    Failure {
        status,
        codes: Vec::new(),
        said,
    }
}

pub(super) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests;
