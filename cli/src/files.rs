//! Reading and writing the files commands name, with limits and without
//! ever leaving a half-written file behind.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use vouch_evidence::keys::{cosign, PrivateKey, PublicKey};
use zeroize::Zeroizing;

/// The largest key file read (a PEM key is well under 1 KiB).
pub const MAX_KEY_BYTES: u64 = 64 * 1024;
/// The largest bundle, envelope, statement or trusted root read.
pub const MAX_DOCUMENT_BYTES: u64 = 32 * 1024 * 1024;

/// Reads `path`, refusing files larger than `limit` before reading them.
/// `what` names the file in errors ("bundle", "public key", ...).
pub fn read_capped(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let file =
        File::open(path).with_context(|| format!("cannot open {what} {}", path.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("cannot stat {what} {}", path.display()))?
        .len();
    if len > limit {
        bail!(
            "{what} {} is {len} bytes, more than the limit of {limit}",
            path.display()
        );
    }
    // Counted as read: a file that grows while it is read, or a device
    // whose reported length is 0, stops one byte past the limit.
    match vouch_bounded::read_bounded(file, limit)
        .with_context(|| format!("cannot read {what} {}", path.display()))?
    {
        Some(bytes) => Ok(bytes),
        None => bail!(
            "{what} {} is more than the limit of {limit} bytes",
            path.display()
        ),
    }
}

/// Reads a whole artifact (no limit: the user named it to be hashed).
pub fn read_artifact(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("cannot read artifact {}", path.display()))
}

/// Reads a file that must be UTF-8 text (keys).
pub fn read_text(path: &Path, limit: u64, what: &str) -> Result<String> {
    let bytes = read_capped(path, limit, what)?;
    String::from_utf8(bytes).with_context(|| format!("{what} {} is not UTF-8 text", path.display()))
}

/// How [`write_atomic`] treats an existing file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Replace it.
    Yes,
    /// Fail, leaving it untouched.
    No,
}

/// Writes `bytes` to `path` through a temporary file in the same
/// directory, renamed into place: a reader sees the old file or the whole
/// new one, never a part. The file gets `mode` (Unix permission bits).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32, overwrite: Overwrite) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".vouch-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    set_mode(tmp.as_file(), mode)
        .with_context(|| format!("cannot set mode of {}", path.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    match overwrite {
        Overwrite::Yes => tmp.persist(path).map(drop).map_err(|e| e.error),
        Overwrite::No => tmp.persist_noclobber(path).map(drop).map_err(|e| e.error),
    }
    .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(unix)]
pub(crate) fn set_mode(file: &File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub(crate) fn set_mode(_file: &File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Loads a private key, naming the file on error: a PKCS#8 PEM key, or
/// cosign's encrypted format, whose password comes from `VOUCH_PASSWORD`,
/// `COSIGN_PASSWORD` or the terminal ([`crate::password`]).
pub fn load_private_key(path: &Path) -> Result<PrivateKey> {
    let pem = Zeroizing::new(read_text(path, MAX_KEY_BYTES, "private key")?);
    if cosign::is_encrypted(&pem) {
        let password = crate::password::to_read(path)?;
        return cosign::decrypt(&pem, &password)
            .with_context(|| format!("bad private key in {}", path.display()));
    }
    PrivateKey::from_pkcs8_pem(&pem)
        .with_context(|| format!("bad private key in {}", path.display()))
}

/// Loads an SPKI PEM public key, naming the file on error.
pub fn load_public_key(path: &Path) -> Result<PublicKey> {
    let pem = read_text(path, MAX_KEY_BYTES, "public key")?;
    PublicKey::from_pem(&pem).with_context(|| format!("bad public key in {}", path.display()))
}
