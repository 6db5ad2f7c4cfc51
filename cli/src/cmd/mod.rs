//! One module per command, each with its `Args` and a `run` function.

pub mod attest;
pub mod copy;
pub mod diff;
pub mod inputs;
pub mod keygen;
pub mod layout;
pub mod policy;
pub mod report;
pub mod sbom;
pub mod sign;
pub mod sign_blob;
pub mod tree;
pub mod verify;
pub mod verify_bundle;
pub mod verify_image;
pub mod vex;
pub mod vulns;
pub mod webhook;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vouch_evidence::bundle::Bundle;
use vouch_evidence::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use vouch_evidence::keys::{PrivateKey, PublicKey};
use vouch_registry::attach;
use vouch_registry::oci::Descriptor;
use vouch_registry::reference::{ImageRef, Location};
use vouch_registry::remote::{Credentials, RemoteOptions};
use vouch_registry::{Limits, Repository};

use self::sign::Format;
use crate::files::{read_capped, read_text, MAX_DOCUMENT_BYTES, MAX_KEY_BYTES};

/// How to reach registries and how much to read from them; shared by every
/// command that touches an image.
#[derive(clap::Args, Debug)]
pub struct RegistryArgs {
    /// Allow plain HTTP to a registry that is not on loopback (loopback
    /// registries may always fall back to HTTP).
    #[arg(long)]
    allow_http_registry: bool,
    /// Extra CA certificates (PEM) to trust for registries, besides the public roots.
    #[arg(long, value_name = "FILE")]
    registry_ca: Option<PathBuf>,
    /// Registry user name; without it, credentials come from $REGISTRY_AUTH_FILE,
    /// $DOCKER_CONFIG/config.json or ~/.docker/config.json.
    #[arg(long, value_name = "USER", requires = "registry_password")]
    registry_username: Option<String>,
    /// Registry password or token.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "VOUCH_REGISTRY_PASSWORD",
        hide_env_values = true,
        requires = "registry_username"
    )]
    registry_password: Option<String>,
    /// Timeout of each registry request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    registry_timeout: u64,
    /// Most signatures and attestations read per image.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_attachments)]
    max_attachments: usize,
    /// Most layers per manifest (and entries per index).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_layers)]
    max_layers: usize,
    /// Most entries listed next to an image (referrers, fallback index
    /// entries, legacy layers) before they are filtered by type.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_referrers)]
    max_referrers: usize,
    /// Largest blob read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_blob_bytes)]
    max_blob_bytes: u64,
    /// Most indexes nested above a manifest (an index of images is one level).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_index_depth)]
    max_index_depth: usize,
}

impl RegistryArgs {
    /// Opens the repository of `image`; a layout is created if `create`.
    pub fn open(&self, image: &ImageRef, create: bool) -> Result<Repository> {
        self.open_with(image, create, self.limits())
    }

    /// The limits the flags set.
    pub fn limits(&self) -> Limits {
        Limits {
            max_attachments: self.max_attachments,
            max_layers: self.max_layers,
            max_blob_bytes: self.max_blob_bytes,
            max_referrers: self.max_referrers,
            max_index_depth: self.max_index_depth,
            ..Limits::default()
        }
    }

    /// [`RegistryArgs::open`] with other `limits` than the flags'.
    pub fn open_with(&self, image: &ImageRef, create: bool, limits: Limits) -> Result<Repository> {
        let extra_ca_pem = match &self.registry_ca {
            Some(path) => Some(read_capped(path, MAX_DOCUMENT_BYTES, "registry CA")?),
            None => None,
        };
        let credentials = match (&self.registry_username, &self.registry_password) {
            (Some(username), Some(password)) => Some(Credentials {
                username: username.clone(),
                password: password.clone(),
            }),
            _ => None,
        };
        let options = RemoteOptions {
            allow_http: self.allow_http_registry,
            extra_ca_pem,
            credentials,
            timeout: Some(std::time::Duration::from_secs(self.registry_timeout)),
        };
        vouch_registry::open(image, &options, limits, create)
            .with_context(|| format!("cannot open {image}"))
    }
}

/// Parses an image reference, naming it on error.
pub fn parse_image(reference: &str) -> Result<ImageRef> {
    reference
        .parse()
        .with_context(|| format!("bad image reference {reference:?}"))
}

/// The current time as RFC 3339, UTC, whole seconds (as cosign writes it).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Loads a PKCS#8 PEM private key, naming the file on error.
pub fn load_private_key(path: &Path) -> Result<PrivateKey> {
    let pem = read_text(path, MAX_KEY_BYTES, "private key")?;
    PrivateKey::from_pkcs8_pem(&pem)
        .with_context(|| format!("bad private key in {}", path.display()))
}

/// Loads an SPKI PEM public key, naming the file on error.
pub fn load_public_key(path: &Path) -> Result<PublicKey> {
    let pem = read_text(path, MAX_KEY_BYTES, "public key")?;
    PublicKey::from_pem(&pem).with_context(|| format!("bad public key in {}", path.display()))
}

/// The image's purl (`pkg:oci/<name>@sha256%3A<hex>`, with its
/// repository for a registry image), so that SBOMs describe a container.
pub fn image_purl(location: &Location, hex: &str) -> String {
    match location {
        Location::Registry { host, repository } => {
            let name = repository.rsplit('/').next().unwrap_or(repository);
            format!("pkg:oci/{name}@sha256%3A{hex}?repository_url={host}/{repository}")
        }
        Location::Layout(path) => {
            let name: String = path
                .file_name()
                .map_or("image".into(), |n| n.to_string_lossy().to_lowercase())
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            format!("pkg:oci/{name}@sha256%3A{hex}")
        }
    }
}

/// One piece of evidence, signed and ready to attach.
pub struct Signed {
    /// The statement's predicate type (the legacy layer's annotation).
    pub predicate_type: String,
    /// The in-toto statement, as signed.
    pub statement: Vec<u8>,
}

/// Signs and attaches one in-toto statement as a bundle referrer or a
/// legacy `.att` layer; returns the referrer's digest, if
/// stored as a bundle referrer.
pub async fn attach_statement(
    repo: &Repository,
    target: &Descriptor,
    key: &PrivateKey,
    format: Format,
    created: &str,
    signed: &Signed,
) -> Result<Option<String>> {
    match format {
        Format::Bundle => {
            let bundle = Bundle::sign_dsse(key, IN_TOTO_PAYLOAD_TYPE, &signed.statement)?;
            let stored =
                attach::attach_bundle(repo, target, &bundle, created, &BTreeMap::new()).await?;
            Ok(Some(stored.digest.to_string()))
        }
        Format::Legacy => {
            let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &signed.statement, &[key])?;
            attach::attach_legacy_attestation(
                repo,
                &target.digest,
                &envelope,
                &signed.predicate_type,
            )
            .await?;
            Ok(None)
        }
    }
}
