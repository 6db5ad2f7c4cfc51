//! `vouch keygen`: write a new key pair.

use std::path::PathBuf;

use anyhow::{bail, Result};
use vouch_evidence::keys::{Algorithm, PrivateKey, Signer};

use crate::files::{write_atomic, Overwrite};
use crate::term::note;

/// Arguments of `vouch keygen`.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  vouch keygen --out ci          # writes ci.key (mode 0600) and ci.pub"
)]
pub struct Args {
    /// Write PREFIX.key (PKCS#8 PEM private key, mode 0600) and PREFIX.pub (SPKI PEM public key).
    #[arg(long, value_name = "PREFIX")]
    out: PathBuf,
    /// Signature algorithm of the new key.
    #[arg(long, value_name = "ALG", default_value = "ecdsa-p256", value_parser = ["ecdsa-p256", "ed25519"])]
    algorithm: String,
    /// Replace PREFIX.key and PREFIX.pub if they exist.
    #[arg(long)]
    force: bool,
}

/// Generates the key pair and writes both files, or neither.
pub fn run(args: Args) -> Result<()> {
    let algorithm: Algorithm = args.algorithm.parse()?;
    let key_path = with_suffix(&args.out, "key");
    let pub_path = with_suffix(&args.out, "pub");
    let overwrite = if args.force {
        Overwrite::Yes
    } else {
        Overwrite::No
    };
    if overwrite == Overwrite::No {
        for path in [&key_path, &pub_path] {
            if path.exists() {
                bail!(
                    "refusing to overwrite {}: pass --force to replace it",
                    path.display()
                );
            }
        }
    }
    let key = PrivateKey::generate(algorithm)?;
    write_atomic(&key_path, key.to_pkcs8_pem().as_bytes(), 0o600, overwrite)?;
    if let Err(err) = write_atomic(
        &pub_path,
        key.public_key().to_pem().as_bytes(),
        0o644,
        overwrite,
    ) {
        // Do not leave a private key without its public half.
        let _ = std::fs::remove_file(&key_path);
        return Err(err);
    }
    note!("Private key written to {}", key_path.display());
    note!("Public key written to {}", pub_path.display());
    note!("Key id: {} ({algorithm})", key.public_key().key_id());
    Ok(())
}

fn with_suffix(prefix: &std::path::Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}
