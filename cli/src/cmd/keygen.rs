//! `vouch keygen`: write a new key pair.

use std::path::PathBuf;

use anyhow::{bail, Result};
use vouch_evidence::keys::{cosign, Algorithm, PrivateKey, Signer};
use zeroize::Zeroizing;

use crate::files::{write_atomic, Overwrite};
use crate::signer::{generate_in_store, KeyOptions, KeyRef};
use crate::term::note;

/// Arguments of `vouch keygen`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch keygen --out ci          # writes ci.key (mode 0600) and ci.pub\n  \
    VOUCH_PASSWORD=... vouch keygen --encrypt --out ci   # ci.key encrypted as cosign does\n  \
    vouch keygen --kms 'pkcs11:token=ci;object=signer?module-path=/usr/lib/softhsm/libsofthsm2.so' --pin-file pin --out ci   # ci.pub only\n  \
    vouch keygen --kms awskms:///alias/ci-signer   # prints the public key")]
pub struct Args {
    /// Write PREFIX.key (PKCS#8 PEM private key, mode 0600; with --encrypt,
    /// cosign's encrypted format) and PREFIX.pub (SPKI PEM public key); with
    /// --kms, PREFIX.pub only.
    #[arg(long, value_name = "PREFIX", required_unless_present = "kms")]
    out: Option<PathBuf>,
    /// Create the key in this store instead (a `pkcs11:` or `awskms://`
    /// URI, as `--key` names it): the private key never leaves it, and the
    /// public key is written to PREFIX.pub, or printed without --out.
    #[arg(long, value_name = "URI")]
    kms: Option<String>,
    /// The PKCS#11 user PIN, in this file (a trailing newline is
    /// dropped). Else the environment variable VOUCH_PKCS11_PIN, else the
    /// URI's `pin-source` file or `pin-value` (cosign's form; a PIN in
    /// the URI shows in process lists and shell history).
    #[arg(long, value_name = "FILE", requires = "kms")]
    pin_file: Option<PathBuf>,
    /// Encrypt PREFIX.key with a password, in cosign's format (PEM
    /// `ENCRYPTED SIGSTORE PRIVATE KEY`, scrypt and NaCl secretbox), which
    /// cosign reads too. The password comes from VOUCH_PASSWORD, else
    /// COSIGN_PASSWORD, else is asked for twice on the terminal.
    #[arg(long, conflicts_with = "kms")]
    encrypt: bool,
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
    let overwrite = if args.force {
        Overwrite::Yes
    } else {
        Overwrite::No
    };
    if let Some(uri) = &args.kms {
        return in_store(&args, uri, algorithm, overwrite);
    }
    let Some(out) = &args.out else {
        bail!("say where to write the key: --out PREFIX");
    };
    let key_path = with_suffix(out, "key");
    let pub_path = with_suffix(out, "pub");
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
    let pem = Zeroizing::new(if args.encrypt {
        let password = crate::password::to_write(&key_path)?;
        cosign::encrypt(&key, &password)?
    } else {
        key.to_pkcs8_pem()
    });
    write_atomic(&key_path, pem.as_bytes(), 0o600, overwrite)?;
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
    if args.encrypt {
        note!(
            "Private key written to {} (encrypted, cosign's format)",
            key_path.display()
        );
    } else {
        note!("Private key written to {}", key_path.display());
    }
    note!("Public key written to {}", pub_path.display());
    note!("Key id: {} ({algorithm})", key.public_key().key_id());
    Ok(())
}

/// `--kms`: the key is made in its store; only the public half is
/// written (to PREFIX.pub) or printed.
fn in_store(args: &Args, uri: &str, algorithm: Algorithm, overwrite: Overwrite) -> Result<()> {
    let key = KeyRef::parse(uri)?;
    let pub_path = args.out.as_deref().map(|out| with_suffix(out, "pub"));
    if let (Some(path), Overwrite::No) = (&pub_path, overwrite) {
        if path.exists() {
            bail!(
                "refusing to overwrite {}: pass --force to replace it",
                path.display()
            );
        }
    }
    let options = KeyOptions {
        pin_file: args.pin_file.clone(),
    };
    let public = generate_in_store(&key, algorithm, &options)?;
    match &pub_path {
        Some(path) => {
            write_atomic(path, public.to_pem().as_bytes(), 0o644, overwrite)?;
            note!("Public key written to {}", path.display());
        }
        None => {
            use std::io::Write as _;
            crate::term::data_stdout().write_all(public.to_pem().as_bytes())?;
        }
    }
    note!("Key id: {} ({algorithm}), in {key}", public.key_id());
    Ok(())
}

fn with_suffix(prefix: &std::path::Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}
