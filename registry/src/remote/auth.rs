//! Authentication: the answer to a 401 challenge (Basic with the
//! registry's own credentials, or a Bearer token from its token service),
//! and the checks that keep credentials, tokens and token requests on the
//! hosts they are bound to.

use std::collections::HashMap;

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Method, RequestBuilder, Response};

use super::credentials::Credentials;
use super::transport::{failure, read_capped, same_host, status_of, url_host, MAX_SMALL_BODY};
use super::{RemoteOptions, RemoteStore};
use crate::error::Status;
use crate::reference::normalise_host;
use crate::{Error, Result};

/// Token services trusted for a registry on another host than its own,
/// out of the box: Docker Hub names `auth.docker.io` as its realm, and
/// `docker.io` is the registry of every short image name. Any other is
/// trusted only when configured ([`RemoteOptions::token_hosts`]).
pub const BUILTIN_TOKEN_HOSTS: &[(&str, &str)] = &[("docker.io", "auth.docker.io")];

/// The hosts besides its own whose token service `host` may name: the
/// [`BUILTIN_TOKEN_HOSTS`] and [`RemoteOptions::token_hosts`] for it.
pub(super) fn token_hosts(host: &str, options: &RemoteOptions) -> Vec<String> {
    let key = normalise_host(host);
    let configured = options
        .token_hosts
        .iter()
        .filter(|(registry, _)| normalise_host(registry) == key)
        .flat_map(|(_, hosts)| hosts.iter().cloned());
    BUILTIN_TOKEN_HOSTS
        .iter()
        .filter(|(registry, _)| *registry == key)
        .map(|(_, token_host)| token_host.to_string())
        .chain(configured)
        .collect()
}

impl RemoteStore {
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

    pub(super) async fn send_authenticated(
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
        if status_of(&response) != Status::Unauthorized {
            return Ok(response);
        }
        // The 401 of a request that left the registry (its URL, or a
        // redirect) is another host's challenge: not answered with this
        // registry's credentials.
        let answered_by = response.url().clone();
        if !ours || !self.may_carry_credentials(&answered_by) {
            return Err(Error::Remote {
                location: self.host.clone(),
                reason: format!(
                    "authentication failed: {} asked for credentials, which are sent to {} only \
                     (over HTTPS unless it speaks plain HTTP)",
                    url_host(&answered_by).unwrap_or_default(),
                    self.host
                ),
                status: Some(Status::Unauthorized),
                codes: Vec::new(),
                said: None,
            });
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
        if status_of(&retried) == Status::Unauthorized {
            let failure = failure(retried).await;
            return Err(self.answer_error("authentication failed", failure));
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
            let failure = failure(unauthorized).await;
            return Err(self.answer_error("authentication failed (no credentials given)", failure));
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
        if !response.status().is_success() {
            let failure = failure(response).await;
            if failure.status.is_transient() {
                return Err(self.failure_error("token service", failure));
            }
            return Err(self.answer_error(
                &format!(
                    "authentication failed: token service {service_host} refused: {}",
                    failure.status
                ),
                failure,
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

pub(super) fn scope(repository: &str, push: bool) -> String {
    format!(
        "repository:{repository}:{}",
        if push { "pull,push" } else { "pull" }
    )
}

#[cfg(test)]
mod tests;
