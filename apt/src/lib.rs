//! A Debian archive's chain of custody, bytes in, results out: the
//! `InRelease` file's OpenPGP signature against the archive keyring
//! ([`release`]), a `Packages` index against the release's SHA-256 list
//! and its stanzas ([`packages`]), a `.deb` against its index entry and the
//! files it installs ([`deb`]). The caller reads the files and gives the
//! clock; this crate does no I/O, so every break in the chain is a typed
//! [`Error`] naming the file and what failed.
#![forbid(unsafe_code)]

pub mod deb;
pub mod packages;
pub mod release;

/// What failed, and in which file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file is not in the shape its format requires.
    #[error("malformed {what} in {path}: {why}")]
    Malformed {
        /// The format ("InRelease", "Packages", ".deb", ...).
        what: &'static str,
        /// The file, as the caller named it.
        path: String,
        /// Why, with the line or member where known.
        why: String,
    },
    /// The release's signature does not verify under the keyring, or the
    /// key that made it was expired or revoked.
    #[error("signature in {path} refused: {why}")]
    Signature {
        /// The `InRelease` file.
        path: String,
        /// Why.
        why: String,
    },
    /// The release is not valid at the given clock (`Valid-Until` past,
    /// `Date` in the future).
    #[error("stale release in {path}: {why}")]
    Stale {
        /// The `InRelease` file.
        path: String,
        /// Why, with the dates.
        why: String,
    },
    /// A file's SHA-256 or size differs from what the signed chain says.
    #[error("digest mismatch in {path}: {why}")]
    Mismatch {
        /// The file whose bytes do not match.
        path: String,
        /// Expected and actual digest or size.
        why: String,
    },
    /// A path the release (or index) does not list, so nothing vouches
    /// for it.
    #[error("unlisted file {path}: {why}")]
    Unlisted {
        /// The path asked for.
        path: String,
        /// Where it was looked for.
        why: String,
    },
    /// A size or count cap was reached before the data was read whole.
    #[error("too large: {what} in {path} exceeds {limit}")]
    TooLarge {
        /// What was counted.
        what: &'static str,
        /// The file.
        path: String,
        /// The cap.
        limit: u64,
    },
    /// A compression this crate does not read (named, so the caller can
    /// say which member).
    #[error("unsupported compression in {path}: {why}")]
    Unsupported {
        /// The file and member.
        path: String,
        /// Which compression.
        why: String,
    },
}

/// This crate's results.
pub type Result<T> = std::result::Result<T, Error>;

/// The lowercase hex SHA-256 of `bytes`.
fn sha256(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

/// The deb822 stanzas of `text`, read by ospkg's dpkg reader (one reader
/// for every deb822 file), its errors named as `what` in `path`.
fn stanzas<'a>(
    what: &'static str,
    path: &str,
    text: &'a str,
) -> Result<Vec<vouch_ospkg::dpkg::Stanza<'a>>> {
    vouch_ospkg::dpkg::stanzas(what, path, text).map_err(|e| Error::Malformed {
        what,
        path: path.to_owned(),
        why: match e {
            vouch_ospkg::Error::Malformed { why, .. } => why,
            other => other.to_string(),
        },
    })
}

/// Refuses `bytes` (read at `path`) unless their SHA-256 and size are the
/// ones `listed` says (`the release lists`), naming both.
fn same_bytes(path: &str, listed: &str, sha256_hex: &str, size: u64, bytes: &[u8]) -> Result<()> {
    let actual = sha256(bytes);
    if size != bytes.len() as u64 || sha256_hex != actual {
        return Err(Error::Mismatch {
            path: path.to_owned(),
            why: format!(
                "{listed} sha256:{sha256_hex} ({size} bytes), the file is sha256:{actual} ({} bytes)",
                bytes.len()
            ),
        });
    }
    Ok(())
}

/// The xz stream `bytes` (read at `path`) decompressed, stopped with
/// [`Error::TooLarge`] past `cap` bytes. lzma-rs writes rather than
/// reads, so the output is held whole (and capped as it grows).
fn unxz(path: &str, bytes: &[u8], cap: u64) -> Result<Vec<u8>> {
    /// A `Vec` that refuses to grow past its cap.
    struct Capped(Vec<u8>, u64, bool);
    impl std::io::Write for Capped {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if (self.0.len() + buf.len()) as u64 > self.1 {
                self.2 = true;
                return Err(std::io::Error::other("cap"));
            }
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Capped(Vec::new(), cap, false);
    match lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut out) {
        Ok(()) => Ok(out.0),
        Err(_) if out.2 => Err(Error::TooLarge {
            what: "decompressed bytes",
            path: path.to_owned(),
            limit: cap,
        }),
        Err(e) => Err(Error::Malformed {
            what: "xz",
            path: path.to_owned(),
            why: e.to_string(),
        }),
    }
}

/// The value of `name` in a stanza's fields (names compared without
/// regard to case, as deb822 does).
fn field<'s>(fields: &'s [(&str, String)], name: &str) -> Option<&'s str> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests;
