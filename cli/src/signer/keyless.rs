//! Keyless (Sigstore) signing: `--keyless`.
//!
//! Each signature is made with a fresh P-256 key that lives only in
//! memory. Fulcio certifies it for the OIDC identity of the token the
//! signer presents (with proof of possession), the transparency log
//! (Rekor v1: a `hashedrekord` or `dsse` entry with its inclusion proof,
//! checkpoint and signed entry timestamp; or Rekor v2) records it, and an
//! RFC 3161 timestamp authority dates it when the signing config names
//! one. The protocol is sigstore-rust's `sigstore-sign` (the family of the
//! `sigstore-verify` that `vouch verify` uses); what is vouch's own is
//! where the token comes from, which services are used, the time allowed,
//! and the check of the result.
//!
//! **The token** ([`locate_token`]): `--identity-token TOKEN` or `@FILE`,
//! else GitHub Actions' ID token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`
//! with `&audience=sigstore`, authorised by
//! `ACTIONS_ID_TOKEN_REQUEST_TOKEN`), else GitLab CI's `SIGSTORE_ID_TOKEN`.
//! The first source present is the one used: a GitHub job whose endpoint
//! fails is an error, not a fall back to another identity. There is no
//! browser flow: vouch signs in CI. Whatever is read is capped.
//!
//! **The services** come from a Sigstore `signing_config.json`
//! (`--signing-config`, else the public-good one embedded in
//! sigstore-trust-root).
//!
//! **Verified before use.** A bundle is returned only once it verifies
//! against the trusted root (`--trusted-root`, else the embedded
//! public-good root) with `vouch_verify::bundle::verify_keyless`, the code
//! `vouch verify` runs, and has the shape vouch stores (v0.3, the leaf
//! certificate alone, one log entry with its inclusion proof and
//! checkpoint, a timestamp when a TSA was asked). A service that answers
//! with something else fails the command before anything is written. The
//! signer's [`Signer::label`] is then the certificate's verified identity.
//!
//! **Bounded.** Every request has a timeout, and each signature a
//! deadline, so that a service that is down, refuses or hangs fails the
//! command well within a minute.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use async_trait::async_trait;
use sigstore_sign::oidc::IdentityToken;
use sigstore_sign::rekor::RekorApiVersion;
use sigstore_sign::reqwest;
use sigstore_sign::trust_root::{SigningConfig, SIGSTORE_PRODUCTION_SIGNING_CONFIG};
use sigstore_sign::types::VerificationMaterialContent;
use sigstore_sign::{ConfigError, Service, SigningContext, SigningServices};
use vouch_evidence::bundle::{Bundle, BUNDLE_V03_MEDIA_TYPE};
use vouch_evidence::digest::Sha256;
use vouch_evidence::dsse::IN_TOTO_PAYLOAD_TYPE;
use vouch_evidence::keys::Signer as KeySigner;
use vouch_evidence::statement::Statement;
use vouch_verify::bundle::{
    verify_keyless, Artifact, CertificateIdentity, IdentityPolicy, TrustedRoot,
};

use super::Signer;
use crate::files::{read_capped, MAX_DOCUMENT_BYTES};

/// The largest identity token accepted (a JWT is a few KiB).
pub const MAX_TOKEN_BYTES: u64 = 64 * 1024;
/// The largest answer read from GitHub's ID token endpoint (the token in
/// a small JSON object).
const MAX_TOKEN_RESPONSE_BYTES: u64 = 2 * MAX_TOKEN_BYTES;
/// How long a connection to a service may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request (token, Fulcio, Rekor, TSA) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long one signature (certificate, log entry, timestamp) may take.
const SIGNATURE_DEADLINE: Duration = Duration::from_secs(40);

/// The audience the token is asked for and Fulcio expects.
const AUDIENCE: &str = "sigstore";
/// GitHub Actions' ID token endpoint, when the job may ask for tokens.
pub const GITHUB_URL_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// The bearer token that authorises a request to [`GITHUB_URL_VAR`].
pub const GITHUB_BEARER_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
/// GitLab CI's ID token for audience `sigstore` (an `id_tokens` entry).
pub const GITLAB_VAR: &str = "SIGSTORE_ID_TOKEN";

/// Where the identity token was found, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// `--identity-token TOKEN`.
    Flag,
    /// `--identity-token @FILE`.
    File(PathBuf),
    /// GitHub Actions' ID token endpoint.
    GitHubActions,
    /// GitLab CI's `SIGSTORE_ID_TOKEN`.
    GitLab,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Flag => f.write_str("--identity-token"),
            TokenSource::File(path) => write!(f, "--identity-token @{}", path.display()),
            TokenSource::GitHubActions => write!(f, "GitHub Actions ({GITHUB_URL_VAR})"),
            TokenSource::GitLab => write!(f, "GitLab CI ({GITLAB_VAR})"),
        }
    }
}

/// The token source [`locate_token`] found, not yet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenLocation {
    /// The token itself, as given.
    Literal(String),
    /// A file holding the token.
    File(PathBuf),
    /// GitHub Actions' endpoint and the bearer token that authorises it.
    GitHubActions {
        /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
        url: String,
        /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
        bearer: String,
    },
    /// The token from `SIGSTORE_ID_TOKEN`.
    GitLab(String),
}

/// The first token source present, in order: the flag (`TOKEN` or
/// `@FILE`), GitHub Actions (both variables), GitLab CI. `env` reads an
/// environment variable (an empty value counts as unset). None is an error
/// naming all three, and half of GitHub's pair is an error naming the
/// missing one (a job without `permissions: id-token: write`).
pub fn locate_token(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<TokenLocation> {
    if let Some(flag) = flag {
        return Ok(match flag.strip_prefix('@') {
            Some(path) => TokenLocation::File(PathBuf::from(path)),
            None => TokenLocation::Literal(flag.to_string()),
        });
    }
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    match (var(GITHUB_URL_VAR), var(GITHUB_BEARER_VAR)) {
        (Some(url), Some(bearer)) => return Ok(TokenLocation::GitHubActions { url, bearer }),
        (Some(_), None) | (None, Some(_)) => {
            let (set, unset) = if var(GITHUB_URL_VAR).is_some() {
                (GITHUB_URL_VAR, GITHUB_BEARER_VAR)
            } else {
                (GITHUB_BEARER_VAR, GITHUB_URL_VAR)
            };
            bail!(
                "--keyless: {set} is set but {unset} is not: a GitHub Actions job needs \
                 `permissions: id-token: write` to get an identity token"
            );
        }
        (None, None) => {}
    }
    if let Some(token) = var(GITLAB_VAR) {
        return Ok(TokenLocation::GitLab(token));
    }
    bail!(
        "--keyless needs an OIDC identity token, and none was found: give \
         --identity-token TOKEN or @FILE, or run in GitHub Actions with `permissions: \
         id-token: write` ({GITHUB_URL_VAR} and {GITHUB_BEARER_VAR}), or in GitLab CI with an \
         `id_tokens` entry {GITLAB_VAR} (aud: sigstore)"
    )
}

/// Reads the token `location` names: the file (capped), or GitHub's
/// endpoint through `client` (answer capped).
pub async fn read_token(
    location: TokenLocation,
    client: &reqwest::Client,
) -> Result<(String, TokenSource)> {
    let (raw, source) = match location {
        TokenLocation::Literal(token) => (token, TokenSource::Flag),
        TokenLocation::File(path) => {
            let bytes = read_capped(&path, MAX_TOKEN_BYTES, "identity token file")?;
            let text = String::from_utf8(bytes)
                .map_err(|_| anyhow!("identity token file {} is not UTF-8", path.display()))?;
            (text, TokenSource::File(path))
        }
        TokenLocation::GitHubActions { url, bearer } => (
            github_token(&url, &bearer, client).await?,
            TokenSource::GitHubActions,
        ),
        TokenLocation::GitLab(token) => (token, TokenSource::GitLab),
    };
    let token = raw.trim().to_string();
    if token.is_empty() {
        bail!("the identity token from {source} is empty");
    }
    if token.len() as u64 > MAX_TOKEN_BYTES {
        bail!("the identity token from {source} is larger than {MAX_TOKEN_BYTES} bytes: not a JWT");
    }
    Ok((token, source))
}

/// Asks GitHub Actions' ID token endpoint for a token of audience
/// `sigstore`.
async fn github_token(url: &str, bearer: &str, client: &reqwest::Client) -> Result<String> {
    let separator = if url.contains('?') { '&' } else { '?' };
    let request = format!("{url}{separator}audience={AUDIENCE}");
    let failed = || format!("cannot get an identity token from GitHub Actions ({GITHUB_URL_VAR})");
    let mut response = client
        .get(&request)
        .header(reqwest::header::AUTHORIZATION, format!("bearer {bearer}"))
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .with_context(failed)?;
    let status = response.status();
    if !status.is_success() {
        return Err(anyhow!("the endpoint answered HTTP {status}")).with_context(failed);
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_TOKEN_RESPONSE_BYTES)
    {
        return Err(anyhow!(
            "the answer is larger than {MAX_TOKEN_RESPONSE_BYTES} bytes"
        ))
        .with_context(failed);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.with_context(failed)? {
        body.extend_from_slice(&chunk);
        if body.len() as u64 > MAX_TOKEN_RESPONSE_BYTES {
            return Err(anyhow!(
                "the answer is larger than {MAX_TOKEN_RESPONSE_BYTES} bytes"
            ))
            .with_context(failed);
        }
    }
    let answer: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| anyhow!("the answer is not JSON: {e}"))
        .with_context(failed)?;
    match answer.get("value").and_then(serde_json::Value::as_str) {
        Some(token) => Ok(token.to_string()),
        None => Err(anyhow!("the answer is not {{\"value\": TOKEN}}")).with_context(failed),
    }
}

/// The services a signing config names, as sigstore-sign selects them
/// (Rekor v2 before v1; the selectors it cannot satisfy with one service
/// refused), and without a timestamp authority when the config names
/// none: a Rekor v1 entry's signed entry timestamp then dates the
/// signature (Rekor v2 has none, so it still needs a TSA).
pub fn select_services(config: &SigningConfig) -> Result<SigningServices> {
    let services = match SigningServices::from_signing_config(config) {
        Ok(services) => services,
        Err(sigstore_sign::Error::Config(ConfigError::MissingService(Service::Tsa))) => {
            // sigstore-sign checks the selectors, then Fulcio and Rekor,
            // before the TSA: both are there.
            let fulcio = config
                .fulcio_url()
                .ok_or(ConfigError::MissingService(Service::Fulcio))?;
            let rekor = config
                .rekor_url(None)
                .ok_or(ConfigError::MissingService(Service::Rekor))?;
            let version = RekorApiVersion::from_major(rekor.major_api_version).ok_or(
                ConfigError::UnsupportedRekorVersion(rekor.major_api_version),
            )?;
            SigningServices::new(&fulcio.url, &rekor.url).with_rekor(&rekor.url, version)
        }
        Err(e) => return Err(e.into()),
    };
    services.validate()?;
    Ok(services)
}

/// Reads a signing config: `path`, else the embedded public-good one.
pub fn load_signing_config(path: Option<&Path>) -> Result<SigningConfig> {
    let Some(path) = path else {
        return Ok(SigningConfig::from_json(
            SIGSTORE_PRODUCTION_SIGNING_CONFIG,
        )?);
    };
    let bytes = read_capped(path, MAX_DOCUMENT_BYTES, "signing config")?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| anyhow!("signing config {} is not UTF-8", path.display()))?;
    SigningConfig::from_json(text)
        .map_err(|e| anyhow!("invalid signing config in {}: {e}", path.display()))
}

/// The HTTP client every request goes through: a timeout on each
/// connection and request.
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("vouch/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build the HTTP client for keyless signing")
}

/// Any verified identity: the signer checks its own bundles for validity;
/// who may sign is the verifier's policy.
struct AnyIdentity;

impl IdentityPolicy for AnyIdentity {
    fn admits(&self, _found: &CertificateIdentity) -> bool {
        true
    }

    fn expected(&self) -> String {
        "any identity".into()
    }
}

/// A keyless [`Signer`]; see the module documentation.
pub struct Keyless {
    signer: sigstore_sign::Signer,
    services: SigningServices,
    root: TrustedRoot,
    source: TokenSource,
    /// What the token claims (subject, issuer), unverified: the label until
    /// a certificate is verified.
    claimed: (String, String),
    /// The identity of the first verified certificate; every later one
    /// must be the same.
    identity: Mutex<Option<CertificateIdentity>>,
}

impl Keyless {
    /// A signer on `services` for the identity token `flag` names (the
    /// `--identity-token` value), else the CI's ([`locate_token`]):
    /// finding and reading the token is done here, before any work.
    pub async fn new(
        services: SigningServices,
        root: TrustedRoot,
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let client = http_client()?;
        let location = locate_token(flag, env)?;
        let (token, source) = read_token(location, &client).await?;
        Self::with_token(services, root, &token, source, client)
    }

    /// A signer for `token` (from `source`) on `services`.
    pub fn with_token(
        services: SigningServices,
        root: TrustedRoot,
        token: &str,
        source: TokenSource,
        client: reqwest::Client,
    ) -> Result<Self> {
        let token = IdentityToken::from_jwt(token)
            .map_err(|e| anyhow!("the identity token from {source} is not a JWT: {e}"))?;
        if token.is_expired() {
            bail!(
                "the identity token from {source} expired at {} (for {:?} from issuer {:?})",
                token.expiration(),
                token.subject(),
                token.issuer()
            );
        }
        let claimed = (token.identity().to_string(), token.issuer().to_string());
        let signer = SigningContext::new(services.clone())
            .with_http_client(client)
            .signer(token);
        Ok(Keyless {
            signer,
            services,
            root,
            source,
            claimed,
            identity: Mutex::new(None),
        })
    }

    /// The services, as one phrase for messages.
    fn where_(&self) -> String {
        let s = &self.services;
        let mut text = format!(
            "Fulcio {}, Rekor v{} {}",
            s.fulcio_url(),
            s.rekor_api_version().major(),
            s.rekor_url()
        );
        if let Some(tsa) = s.tsa_url() {
            text.push_str(&format!(", TSA {tsa}"));
        }
        text
    }

    /// Runs one signature under [`SIGNATURE_DEADLINE`], naming the
    /// service that failed.
    async fn run(
        &self,
        signing: impl std::future::Future<Output = sigstore_sign::Result<sigstore_sign::types::Bundle>>,
    ) -> Result<sigstore_sign::types::Bundle> {
        let s = &self.services;
        let result = tokio::time::timeout(SIGNATURE_DEADLINE, signing)
            .await
            .map_err(|_| {
                anyhow!(
                    "keyless signing took longer than {} s ({})",
                    SIGNATURE_DEADLINE.as_secs(),
                    self.where_()
                )
            })?;
        result.map_err(|e| match e {
            sigstore_sign::Error::Fulcio(e) => anyhow!(
                "Fulcio at {} issued no certificate for the identity token from {}: {e}",
                s.fulcio_url(),
                self.source
            ),
            sigstore_sign::Error::Rekor(e) => anyhow!(
                "the transparency log (Rekor v{}) at {} did not log the signature: {e}",
                s.rekor_api_version().major(),
                s.rekor_url()
            ),
            sigstore_sign::Error::Tsa(e) => anyhow!(
                "the timestamp authority at {} gave no timestamp: {e}",
                s.tsa_url().unwrap_or_default()
            ),
            other => anyhow!("keyless signing failed ({}): {other}", self.where_()),
        })
    }

    /// Checks what the services returned before it is used: the shape
    /// vouch stores, then verification against the trusted root (over
    /// `artifact`, and for DSSE the exact payload asked for), then one
    /// identity for every signature of the run.
    fn check(
        &self,
        signed: sigstore_sign::types::Bundle,
        artifact: Artifact<'_>,
        dsse: Option<(&str, &[u8])>,
    ) -> Result<Bundle> {
        let untrusted = || {
            format!(
                "the keyless bundle from {} is not trusted; nothing was written",
                self.where_()
            )
        };
        let json = serde_json::to_vec(&signed).context("cannot serialise the bundle")?;
        let bundle = Bundle::from_json(&json).with_context(untrusted)?;
        self.check_shape(&bundle).with_context(untrusted)?;
        let verified =
            verify_keyless(&bundle, artifact, &self.root, &AnyIdentity).with_context(|| {
                format!(
                    "{}: it does not verify against the trusted root",
                    untrusted()
                )
            })?;
        if self.services.tsa_url().is_some() && verified.timestamps == 0 {
            return Err(anyhow!("it has no verified RFC 3161 timestamp")).with_context(untrusted);
        }
        if let Some((payload_type, payload)) = dsse {
            match &verified.payload {
                Some(v) if v.payload_type == payload_type && v.payload == payload => {}
                _ => {
                    return Err(anyhow!("it does not sign the payload it was given"))
                        .with_context(untrusted)
                }
            }
        }
        let mut identity = self
            .identity
            .lock()
            .map_err(|_| anyhow!("keyless signer state poisoned"))?;
        match identity.as_ref() {
            Some(first) if *first != verified.identity => {
                return Err(anyhow!(
                    "its certificate names {}, an earlier one of this run {first}",
                    verified.identity
                ))
                .with_context(untrusted);
            }
            Some(_) => {}
            None => *identity = Some(verified.identity),
        }
        Ok(bundle)
    }

    /// A v0.3 bundle with the leaf certificate alone and exactly one log
    /// entry carrying its inclusion proof and checkpoint (and, from Rekor
    /// v1, its signed entry timestamp).
    fn check_shape(&self, bundle: &Bundle) -> Result<()> {
        if bundle.media_type() != BUNDLE_V03_MEDIA_TYPE {
            bail!("it is a {} bundle, not v0.3", bundle.media_type());
        }
        let material = &bundle.wire().verification_material;
        if !matches!(
            material.content,
            VerificationMaterialContent::Certificate(_)
        ) {
            bail!("its verification material is not a single leaf certificate");
        }
        let [entry] = material.tlog_entries.as_slice() else {
            bail!(
                "it has {} transparency-log entries, not one",
                material.tlog_entries.len()
            );
        };
        let Some(proof) = &entry.inclusion_proof else {
            bail!("its log entry has no inclusion proof");
        };
        if proof.checkpoint.is_empty() {
            bail!("its log entry's inclusion proof has no checkpoint");
        }
        if self.services.rekor_api_version() == RekorApiVersion::V1
            && entry.inclusion_promise.is_none()
        {
            bail!("its Rekor v1 entry has no signed entry timestamp");
        }
        Ok(())
    }
}

/// The SHA-256 of a subject of the in-toto statement `payload`: what the
/// verifier binds the bundle to.
fn statement_subject(payload: &[u8]) -> Result<Sha256> {
    let statement = Statement::from_json(payload).context("keyless DSSE payload")?;
    statement
        .subjects()
        .iter()
        .find_map(|s| s.digest.as_ref().and_then(|d| d.sha256()))
        .ok_or_else(|| {
            anyhow!("keyless signing needs an in-toto statement with a sha256 subject digest")
        })
}

#[async_trait]
impl Signer for Keyless {
    fn label(&self) -> String {
        match self
            .identity
            .lock()
            .ok()
            .as_deref()
            .and_then(Option::as_ref)
        {
            Some(identity) => format!("keyless {identity}"),
            None => format!(
                "keyless, token from {} for {:?} from issuer {:?} (not yet certified)",
                self.source, self.claimed.0, self.claimed.1
            ),
        }
    }

    fn key(&self) -> Option<&dyn KeySigner> {
        None
    }

    async fn sign_dsse(&self, payload_type: &str, payload: &[u8]) -> Result<Bundle> {
        // sigstore-sign signs in-toto statements alone (its DSSE payload
        // type is fixed), which is all vouch signs as DSSE.
        if payload_type != IN_TOTO_PAYLOAD_TYPE {
            bail!(
                "keyless signing signs in-toto statements ({IN_TOTO_PAYLOAD_TYPE}) only, \
                 not DSSE payloads of type {payload_type:?}"
            );
        }
        // sigstore-sign 0.15.1 logs a DSSE envelope in Rekor v2 as a
        // `hashedrekord` over its PAE, a pairing @sigstore/verify refuses
        // (docs/decisions.md): refused before anything is asked.
        if self.services.rekor_api_version() != RekorApiVersion::V1 {
            bail!(
                "keyless signing of in-toto statements needs a Rekor v1 log, and the signing \
                 config selects Rekor v{} at {}: DSSE entries in Rekor v2 are not supported yet \
                 (give a --signing-config naming a Rekor v1 log)",
                self.services.rekor_api_version().major(),
                self.services.rekor_url()
            );
        }
        let subject = statement_subject(payload)?;
        let signed = self.run(self.signer.sign_raw_statement(payload)).await?;
        self.check(
            signed,
            Artifact::Digest(subject),
            Some((payload_type, payload)),
        )
    }

    async fn sign_message(&self, artifact: &[u8]) -> Result<Bundle> {
        let signed = self.run(self.signer.sign(artifact)).await?;
        self.check(signed, Artifact::Bytes(artifact), None)
    }
}

#[cfg(test)]
mod tests;
