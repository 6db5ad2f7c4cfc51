//! One module per command, each with its `Args` and a `run` function.

pub mod keygen;
pub mod sign_blob;
pub mod verify_bundle;

use std::path::Path;

use anyhow::{Context, Result};
use vouch_evidence::keys::{PrivateKey, PublicKey};

use crate::files::{read_text, MAX_KEY_BYTES};

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
