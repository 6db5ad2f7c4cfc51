//! `vouch public-key`: print the public half of a signing key, wherever it
//! is kept.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use crate::signer::{open_key, KeyOptions, KeyRef};

/// Arguments of `vouch public-key`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch public-key --key ci.key > ci.pub\n  \
    vouch public-key --key 'pkcs11:token=ci;object=signer?module-path=/usr/lib/softhsm/libsofthsm2.so' --pin-file pin\n  \
    vouch public-key --key awskms:///alias/ci-signer")]
pub struct Args {
    /// The key: a PEM private key file (PKCS#8 or cosign's encrypted
    /// format), a `pkcs11:` URI or an `awskms://` URI.
    #[arg(long, value_name = "KEY")]
    key: String,
    /// The PKCS#11 user PIN, in this file (else VOUCH_PKCS11_PIN).
    #[arg(long, value_name = "FILE")]
    pin_file: Option<PathBuf>,
}

/// Prints the SPKI PEM public key on standard output.
pub fn run(args: Args) -> Result<()> {
    let key = KeyRef::parse(&args.key)?;
    let options = KeyOptions {
        pin_file: args.pin_file,
    };
    let signer = open_key(&key, &options)?;
    crate::term::data_stdout().write_all(signer.public_key().to_pem().as_bytes())?;
    Ok(())
}
