//! AWS KMS keys (`--key awskms://…`): the private key never leaves KMS.
//!
//! The URI is cosign's: `awskms:///KEY` or `awskms://HOST:PORT/KEY`, where
//! KEY is a key ARN, an alias ARN, a key id or `alias/NAME`, and an
//! authority is an HTTPS endpoint to use instead of AWS's. Without one,
//! `AWS_ENDPOINT_URL_KMS` or `AWS_ENDPOINT_URL` may name the endpoint.
//! Credentials and region come from the AWS SDK's usual chain
//! (environment, shared config and credentials files and their profiles,
//! web identity, credential processes, container and instance metadata);
//! an ARN's own region overrides the configured one, since the key lives
//! there.
//!
//! Opening a key reads its public key once (`GetPublicKey`) and refuses
//! anything but an `ECC_NIST_P256` `SIGN_VERIFY` key. Each signature is
//! `Sign` with `ECDSA_SHA_256` over the SHA-256 of the message
//! (`MessageType=DIGEST`): vouch's messages (DSSE envelopes of SBOMs) can
//! exceed the 4,096 bytes KMS takes raw. AWS KMS's Ed25519 keys
//! (`ECC_NIST_EDWARDS25519`) are refused: pure Ed25519 signs only raw
//! messages of up to 4,096 bytes there, and its pre-hashed form (Ed25519ph)
//! is not the Ed25519 vouch and Sigstore verify.
//!
//! Every call is bounded: a connection must open within
//! [`CONNECT_TIMEOUT`], and an operation with its retries must finish
//! within [`OPERATION_TIMEOUT`].

use std::future::Future;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};
use aws_sdk_kms::Client;
use tokio::runtime::{Handle, RuntimeFlavor};
use vouch_evidence::digest::sha256;
use vouch_evidence::keys::{Algorithm, PublicKey, Signer as KeySigner};

/// How long a connection to KMS (or to a credentials source) may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one KMS operation may take, all its retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one attempt of an operation may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The URI scheme of an AWS KMS key.
const SCHEME: &str = "awskms://";

/// An `awskms://` URI, read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KmsUri {
    /// The endpoint the authority names (`https://HOST:PORT`), if any.
    endpoint: Option<String>,
    /// What KMS calls `KeyId`: an ARN, a key id, or `alias/NAME`.
    key_id: String,
    /// The region an ARN names.
    region: Option<String>,
}

impl KmsUri {
    fn parse(uri: &str) -> Result<Self> {
        let Some(rest) = uri.strip_prefix(SCHEME) else {
            bail!("{uri:?} is not an {SCHEME} URI");
        };
        let Some((authority, key_id)) = rest.split_once('/') else {
            bail!(
                "{uri:?} names no key: expected awskms:///ARN, awskms:///alias/NAME \
                 or awskms://HOST:PORT/ARN"
            );
        };
        if key_id.is_empty() || key_id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            bail!(
                "{uri:?} names no key: expected awskms:///ARN, awskms:///alias/NAME \
                 or awskms://HOST:PORT/ARN"
            );
        }
        if authority.contains(['@', '?', '#']) || authority.chars().any(char::is_whitespace) {
            bail!("{uri:?}: the endpoint {authority:?} is not HOST or HOST:PORT");
        }
        let region = match key_id.strip_prefix("arn:") {
            Some(arn) => {
                // arn:PARTITION:kms:REGION:ACCOUNT:key/ID or …:alias/NAME
                let parts: Vec<&str> = arn.splitn(5, ':').collect();
                match parts.as_slice() {
                    [_, "kms", region, _, resource]
                        if !region.is_empty()
                            && (resource.starts_with("key/") || resource.starts_with("alias/")) =>
                    {
                        Some((*region).to_string())
                    }
                    _ => bail!(
                        "{uri:?}: {key_id:?} is not a KMS key or alias ARN \
                         (arn:aws:kms:REGION:ACCOUNT:key/ID or …:alias/NAME)"
                    ),
                }
            }
            None => None,
        };
        Ok(KmsUri {
            endpoint: (!authority.is_empty()).then(|| format!("https://{authority}")),
            key_id: key_id.to_string(),
            region,
        })
    }

    /// The alias name (`alias/NAME`) when the key is named by an alias or
    /// an alias ARN.
    fn alias(&self) -> Option<&str> {
        if self.key_id.starts_with("alias/") {
            return Some(&self.key_id);
        }
        let (_, resource) = self.key_id.strip_prefix("arn:")?.rsplit_once(':')?;
        resource.starts_with("alias/").then_some(resource)
    }
}

/// An ECDSA P-256 key held in AWS KMS, as a [`KeySigner`].
pub struct KmsKey {
    uri: String,
    key: KmsUri,
    client: Client,
    handle: Handle,
    public: PublicKey,
}

impl std::fmt::Debug for KmsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KmsKey({} {:?})", self.uri, self.public)
    }
}

/// Opens the KMS key `uri` names and reads its public key.
pub fn open(uri: &str) -> Result<KmsKey> {
    let key = KmsUri::parse(uri)?;
    let handle = runtime(uri)?;
    let client = block_on(&handle, connect(uri, &key))?;
    let public = block_on(&handle, public_key(uri, &client, &key.key_id))?;
    Ok(KmsKey {
        uri: uri.to_string(),
        key,
        client,
        handle,
        public,
    })
}

/// `vouch keygen --kms awskms:///alias/NAME`: creates an `ECC_NIST_P256`
/// `SIGN_VERIFY` key and the alias NAME for it, refusing an alias that
/// exists, and returns the new key's public key.
pub fn generate(uri: &str, algorithm: Algorithm) -> Result<PublicKey> {
    let key = KmsUri::parse(uri)?;
    if algorithm != Algorithm::EcdsaP256Sha256 {
        bail!(
            "--kms {uri}: AWS KMS keys are ecdsa-p256 here, not {algorithm}: KMS's Ed25519 \
             keys sign only raw messages of up to 4,096 bytes (vouch's envelopes can be \
             larger), and their pre-hashed form (Ed25519ph) is not the Ed25519 vouch verifies"
        );
    }
    let Some(alias) = key.alias() else {
        bail!(
            "--kms {uri}: name the new key by an alias, awskms:///alias/NAME \
             (KMS chooses a new key's id and ARN)"
        );
    };
    let alias = alias.to_string();
    let handle = runtime(uri)?;
    let client = block_on(&handle, connect(uri, &key))?;
    block_on(&handle, async {
        match client.describe_key().key_id(&alias).send().await {
            Ok(_) => bail!(
                "--kms {uri}: the alias {alias} exists in AWS KMS already; \
                 choose another name, or use it with --key {uri}"
            ),
            Err(SdkError::ServiceError(e)) if e.err().is_not_found_exception() => {}
            Err(err) => return Err(explain(uri, "DescribeKey", err)),
        }
        let created = client
            .create_key()
            .key_spec(KeySpec::EccNistP256)
            .key_usage(KeyUsageType::SignVerify)
            .description("vouch signing key (vouch keygen --kms)")
            .send()
            .await
            .map_err(|err| explain(uri, "CreateKey", err))?;
        let key_id = created
            .key_metadata()
            .map(|m| m.key_id().to_string())
            .ok_or_else(|| anyhow!("--kms {uri}: KMS created a key but did not say its id"))?;
        if let Err(err) = client
            .create_alias()
            .alias_name(&alias)
            .target_key_id(&key_id)
            .send()
            .await
        {
            let why = explain(uri, "CreateAlias", err);
            // Do not leave an unnamed key behind (KMS deletes it after the
            // shortest waiting period it allows).
            let _ = client
                .schedule_key_deletion()
                .key_id(&key_id)
                .pending_window_in_days(7)
                .send()
                .await;
            return Err(why.context(format!(
                "the new key {key_id} could not be named {alias} and is scheduled for deletion"
            )));
        }
        public_key(uri, &client, &key_id).await
    })
}

/// The multi-thread runtime every command runs in.
fn runtime(uri: &str) -> Result<Handle> {
    let handle = Handle::try_current()
        .map_err(|_| anyhow!("{uri}: AWS KMS needs an async runtime, and none is running"))?;
    if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
        bail!("{uri}: AWS KMS needs a multi-thread async runtime");
    }
    Ok(handle)
}

/// Runs `future` to completion from sync code: inside a runtime worker
/// through `block_in_place`, elsewhere (a plain thread) directly.
fn block_on<F: Future>(handle: &Handle, future: F) -> F::Output {
    if Handle::try_current().is_ok() {
        tokio::task::block_in_place(|| handle.block_on(future))
    } else {
        handle.block_on(future)
    }
}

/// Loads the SDK configuration (credentials, region, endpoint, timeouts)
/// and checks that there are credentials, so that their absence is said
/// as such rather than as a failed request.
async fn connect(uri: &str, key: &KmsUri) -> Result<Client> {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(ATTEMPT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::v2026_01_12()).timeout_config(timeouts);
    if let Some(region) = &key.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &key.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let config: SdkConfig = tokio::time::timeout(OPERATION_TIMEOUT, loader.load())
        .await
        .map_err(|_| {
            anyhow!(
                "{uri}: the AWS configuration (region, credentials) could not be read within {}s",
                OPERATION_TIMEOUT.as_secs()
            )
        })?;
    if config.region().is_none() {
        bail!(
            "{uri}: no AWS region: set AWS_REGION (or a profile's region), \
             or name the key by its ARN"
        );
    }
    let Some(credentials) = config.credentials_provider() else {
        bail!("{uri}: no AWS credentials provider");
    };
    use aws_sdk_kms::config::ProvideCredentials as _;
    match tokio::time::timeout(OPERATION_TIMEOUT, credentials.provide_credentials()).await {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => bail!(
            "{uri}: no AWS credentials found (looked in the environment, the shared config \
             and credentials files, web identity, container and instance metadata): {}",
            DisplayErrorContext(err)
        ),
        Err(_) => bail!(
            "{uri}: looking for AWS credentials took more than {}s",
            OPERATION_TIMEOUT.as_secs()
        ),
    }
    Ok(Client::new(&config))
}

/// `GetPublicKey`: the key's SPKI, after checking it is an
/// `ECC_NIST_P256` `SIGN_VERIFY` key that signs with `ECDSA_SHA_256`.
async fn public_key(uri: &str, client: &Client, key_id: &str) -> Result<PublicKey> {
    let out = client
        .get_public_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|err| explain(uri, "GetPublicKey", err))?;
    // `KeySpec`; older services (and emulators) send only its deprecated
    // twin `CustomerMasterKeySpec`, which carries the same names.
    let spec = out
        .key_spec()
        .map(|s| s.as_str().to_string())
        .or_else(|| {
            #[allow(deprecated)]
            out.customer_master_key_spec()
                .map(|s| s.as_str().to_string())
        })
        .unwrap_or_else(|| "(none given)".to_string());
    if spec != KeySpec::EccNistP256.as_str() {
        bail!(
            "{uri}: the KMS key's spec is {spec}; vouch signs with ECC_NIST_P256 \
             (ECDSA P-256) keys only"
        );
    }
    let usage = out
        .key_usage()
        .map(|u| u.as_str().to_string())
        .unwrap_or_else(|| "(none given)".to_string());
    if usage != KeyUsageType::SignVerify.as_str() {
        bail!("{uri}: the KMS key's usage is {usage}, not SIGN_VERIFY");
    }
    if !out
        .signing_algorithms()
        .contains(&SigningAlgorithmSpec::EcdsaSha256)
    {
        bail!("{uri}: the KMS key does not sign with ECDSA_SHA_256");
    }
    let Some(der) = out.public_key() else {
        bail!("{uri}: KMS returned no public key");
    };
    let public = PublicKey::from_spki_der(der.as_ref())
        .map_err(|err| anyhow!("{uri}: the public key KMS returned: {err}"))?;
    if public.algorithm() != Algorithm::EcdsaP256Sha256 {
        bail!(
            "{uri}: KMS returned a {} public key for an ECC_NIST_P256 key",
            public.algorithm()
        );
    }
    Ok(public)
}

/// Says why a KMS call failed: the service's answer by name, or the
/// endpoint that could not be reached or did not answer in time.
fn explain<E, R>(uri: &str, operation: &str, err: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("unknown error");
            let message = e.message().unwrap_or("");
            let what = match code {
                "NotFoundException" => "no such key or alias in AWS KMS",
                "AccessDeniedException" => "access denied by AWS KMS",
                "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "InvalidSignatureException"
                | "ExpiredTokenException"
                | "IncompleteSignature" => "AWS KMS refused the credentials",
                "DisabledException" => "the KMS key is disabled",
                "KMSInvalidStateException" => {
                    "the KMS key is not in a usable state (pending deletion or import?)"
                }
                "InvalidKeyUsageException" => "the KMS key cannot be used to sign",
                _ => "AWS KMS refused the request",
            };
            anyhow!("{uri}: {what} ({operation}: {code}: {message})")
        }
        SdkError::TimeoutError(_) => anyhow!(
            "{uri}: AWS KMS did not answer {operation} within {}s",
            OPERATION_TIMEOUT.as_secs()
        ),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => anyhow!(
            "{uri}: AWS KMS did not answer {operation} in time ({})",
            DisplayErrorContext(&err)
        ),
        SdkError::DispatchFailure(failure) if failure.is_io() => anyhow!(
            "{uri}: cannot reach AWS KMS for {operation}: {}",
            DisplayErrorContext(&err)
        ),
        _ => anyhow!("{uri}: {operation} failed: {}", DisplayErrorContext(&err)),
    }
}

impl KeySigner for KmsKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// `Sign` with `ECDSA_SHA_256` over the message's SHA-256
    /// (`MessageType=DIGEST`): the ASN.1 DER signature of the message.
    fn sign(&self, message: &[u8]) -> vouch_evidence::Result<Vec<u8>> {
        let digest = sha256(message);
        let request = self
            .client
            .sign()
            .key_id(&self.key.key_id)
            .message(Blob::new(digest.0.to_vec()))
            .message_type(MessageType::Digest)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send();
        let out = block_on(&self.handle, request).map_err(|err| {
            vouch_evidence::Error::Sign(format!("{:#}", explain(&self.uri, "Sign", err)))
        })?;
        let signature = out.signature().ok_or_else(|| {
            vouch_evidence::Error::Sign(format!("{}: KMS returned no signature", self.uri))
        })?;
        Ok(signature.as_ref().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_read_as_cosign_writes_them() {
        let alias = KmsUri::parse("awskms:///alias/ci").unwrap();
        assert_eq!(alias.endpoint, None);
        assert_eq!(alias.key_id, "alias/ci");
        assert_eq!(alias.alias(), Some("alias/ci"));
        assert_eq!(alias.region, None);

        let arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let by_arn = KmsUri::parse(&format!("awskms:///{arn}")).unwrap();
        assert_eq!(by_arn.key_id, arn);
        assert_eq!(by_arn.region.as_deref(), Some("eu-west-1"));
        assert_eq!(by_arn.alias(), None);

        let endpoint = KmsUri::parse(&format!("awskms://localhost:4566/{arn}")).unwrap();
        assert_eq!(endpoint.endpoint.as_deref(), Some("https://localhost:4566"));
        assert_eq!(endpoint.key_id, arn);

        let alias_arn =
            KmsUri::parse("awskms:///arn:aws-cn:kms:cn-north-1:111122223333:alias/ci").unwrap();
        assert_eq!(alias_arn.region.as_deref(), Some("cn-north-1"));
        assert_eq!(alias_arn.alias(), Some("alias/ci"));
    }

    #[test]
    fn malformed_uris_are_refused_by_what_is_wrong() {
        for (uri, says) in [
            ("awskms://", "names no key"),
            ("awskms:///", "names no key"),
            ("awskms://host:1", "names no key"),
            ("awskms:///alias/a b", "names no key"),
            ("awskms://user@host/alias/x", "not HOST or HOST:PORT"),
            (
                "awskms:///arn:aws:s3:::bucket",
                "not a KMS key or alias ARN",
            ),
            (
                "awskms:///arn:aws:kms::1:key/x",
                "not a KMS key or alias ARN",
            ),
        ] {
            let err = KmsUri::parse(uri).unwrap_err().to_string();
            assert!(err.contains(says), "{uri}: {err}");
        }
    }
}
