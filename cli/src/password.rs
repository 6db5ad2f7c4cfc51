//! The password of an encrypted private key (cosign's format): from
//! `VOUCH_PASSWORD`, else `COSIGN_PASSWORD` (so that a pipeline moving from
//! cosign keeps its secret), else typed at a terminal.
//!
//! A variable that is set counts even when empty (cosign reads an empty
//! `COSIGN_PASSWORD` as the empty password). Without either variable and
//! without a terminal on standard input, nothing is prompted for: a CI job
//! would hang or read garbage, so it is an error naming both variables.

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

/// The variable vouch reads first.
pub const VOUCH_PASSWORD: &str = "VOUCH_PASSWORD";
/// cosign's variable, read when `VOUCH_PASSWORD` is not set.
pub const COSIGN_PASSWORD: &str = "COSIGN_PASSWORD";

/// A password, wiped from memory when dropped.
pub type Password = Zeroizing<Vec<u8>>;

fn from_env() -> Option<Password> {
    [VOUCH_PASSWORD, COSIGN_PASSWORD]
        .iter()
        .find_map(std::env::var_os)
        .map(|value: OsString| Zeroizing::new(value.into_encoded_bytes()))
}

fn prompt(text: &str) -> Result<Password> {
    let typed = Zeroizing::new(
        rpassword::prompt_password(text).context("cannot read the password from the terminal")?,
    );
    Ok(Zeroizing::new(typed.as_bytes().to_vec()))
}

fn no_terminal(path: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "{} is encrypted and no password was given: set {VOUCH_PASSWORD} (or {COSIGN_PASSWORD}), \
         or run on a terminal to be asked for it",
        path.display()
    )
}

/// The password that opens the encrypted key `path`.
pub fn to_read(path: &Path) -> Result<Password> {
    if let Some(password) = from_env() {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal(path));
    }
    prompt(&format!("Password for {}: ", path.display()))
}

/// The password a new encrypted key `path` is written with; typed twice at
/// a terminal. An empty password is refused: it would only look protected.
pub fn to_write(path: &Path) -> Result<Password> {
    let password = match from_env() {
        Some(password) => password,
        None => {
            if !std::io::stdin().is_terminal() {
                return Err(no_terminal(path));
            }
            let first = prompt(&format!("Password for the new key {}: ", path.display()))?;
            let again = prompt("The same password again: ")?;
            if first != again {
                bail!("the two passwords differ; nothing was written");
            }
            first
        }
    };
    if password.is_empty() {
        bail!(
            "an empty password does not protect {}: choose one, or leave out --encrypt \
             for an unencrypted key",
            path.display()
        );
    }
    Ok(password)
}
