//! One module per command, each with its `Args` and a `run` function.

pub mod attest;
pub mod copy;
pub mod inputs;
pub mod keygen;
pub mod layout;
pub mod policy;
pub mod sbom;
pub mod sign;
pub mod sign_blob;
pub mod tree;
pub mod verify;
pub mod verify_bundle;
pub mod verify_image;
pub mod webhook;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vouch_evidence::keys::{PrivateKey, PublicKey};
use vouch_registry::reference::ImageRef;
use vouch_registry::remote::{Credentials, RemoteOptions};
use vouch_registry::{Limits, Repository};

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
    /// Largest blob read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_blob_bytes)]
    max_blob_bytes: u64,
}

impl RegistryArgs {
    /// Opens the repository of `image`; a layout is created if `create`.
    pub fn open(&self, image: &ImageRef, create: bool) -> Result<Repository> {
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
        let limits = Limits {
            max_attachments: self.max_attachments,
            max_layers: self.max_layers,
            max_blob_bytes: self.max_blob_bytes,
            ..Limits::default()
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
