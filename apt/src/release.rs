//! `InRelease`: a `Release` file in the OpenPGP cleartext signature
//! framework (RFC 9580 §7), verified against the archive keyring.
//!
//! The signature is checked over the text as the framework defines it
//! (dash-escaping undone, trailing spaces and tabs removed from each line,
//! lines ended with CRLF, the last line ending not included), which is
//! what the signer hashed; only the fields of that text are returned, so
//! nothing outside the signed part (armor headers, a second message) is
//! read. As apt does (through gpgv), the key that signed must be neither
//! expired nor revoked when it signed nor at the given clock, and the
//! release must be dated no later than the clock and, with `Valid-Until`,
//! not be past it.

use pgp::composed::{CleartextSignedMessage, Deserializable, SignedPublicKey};
use pgp::packet::SignatureType;
use pgp::types::KeyDetails as _;

use crate::{field, stanzas, Error, Result};

/// Caps: an `InRelease` file (Debian's main one is about 150 KiB) and a
/// keyring (Debian's is about 60 KiB), and the keys a keyring may hold.
pub const MAX_IN_RELEASE: usize = 16 << 20;
/// The largest keyring read.
pub const MAX_KEYRING: usize = 4 << 20;
/// The most keys a keyring may hold.
pub const MAX_KEYS: usize = 256;
/// The most entries of a release's `SHA256:` list.
pub const MAX_FILES: usize = 100_000;

/// One line of a release's `SHA256:` list: a file the release vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Path relative to the release's directory (`main/binary-amd64/Packages`).
    pub path: String,
}

/// A verified release: its fields, its file list and who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// `Origin` (`Debian`).
    pub origin: Option<String>,
    /// `Suite` (`stable`, `oldstable-security`).
    pub suite: Option<String>,
    /// `Codename` (`bookworm`).
    pub codename: Option<String>,
    /// `Version` (`12.15`; `12` for a security suite; none for unstable):
    /// its major number names the distribution release in a purl.
    pub version: Option<String>,
    /// `Date`, when the archive made the release.
    pub date: jiff::Timestamp,
    /// `Valid-Until`, when the release goes stale (security suites set it).
    pub valid_until: Option<jiff::Timestamp>,
    /// `Architectures`.
    pub architectures: Vec<String>,
    /// `Components`.
    pub components: Vec<String>,
    /// The `SHA256:` list.
    pub sha256: Vec<FileEntry>,
    /// Uppercase hex fingerprint of the primary key whose (sub)key signed.
    pub signer: String,
}

impl Release {
    /// The entry for `path` (as the release lists it), or an error naming
    /// the path: an unlisted file is vouched for by nothing.
    pub fn entry(&self, path: &str) -> Result<&FileEntry> {
        self.sha256
            .iter()
            .find(|e| e.path == path)
            .ok_or_else(|| Error::Unlisted {
                path: path.to_owned(),
                why: "the release's SHA256 list does not name it".into(),
            })
    }
}

/// Reads a keyring, binary (`/usr/share/keyrings/*.gpg`) or armored, of
/// one or more public keys, each key's self-signatures checked. `path`
/// names it in errors.
pub fn read_keyring(path: &str, bytes: &[u8]) -> Result<Vec<SignedPublicKey>> {
    let malformed = |why: String| Error::Malformed {
        what: "keyring",
        path: path.to_owned(),
        why,
    };
    if bytes.len() > MAX_KEYRING {
        return Err(Error::TooLarge {
            what: "keyring bytes",
            path: path.to_owned(),
            limit: MAX_KEYRING as u64,
        });
    }
    let (keys, _) = SignedPublicKey::from_reader_many(bytes)
        .map_err(|e| malformed(format!("is no OpenPGP keyring: {e}")))?;
    let mut out = Vec::new();
    for key in keys {
        let mut key = key.map_err(|e| malformed(format!("key {}: {e}", out.len() + 1)))?;
        // Certifications of a user ID by other keys (Debian's keys carry
        // developers' signatures) say nothing here, where the keyring is
        // the trust, and cannot be checked without those keys: dropped,
        // so that only the key's own self-signatures are verified.
        let (fingerprint, id) = (key.fingerprint(), key.legacy_key_id());
        let own = |s: &pgp::packet::Signature| {
            !s.is_certification()
                || s.issuer_fingerprint().contains(&&fingerprint)
                || s.issuer_key_id().contains(&&id)
        };
        for user in &mut key.details.users {
            user.signatures.retain(own);
        }
        for attribute in &mut key.details.user_attributes {
            attribute.signatures.retain(own);
        }
        key.verify_bindings().map_err(|e| {
            malformed(format!(
                "key {:X}: its self-signatures do not verify: {e}",
                key.fingerprint()
            ))
        })?;
        if out.len() == MAX_KEYS {
            return Err(Error::TooLarge {
                what: "keys",
                path: path.to_owned(),
                limit: MAX_KEYS as u64,
            });
        }
        out.push(key);
    }
    if out.is_empty() {
        return Err(malformed("holds no key".into()));
    }
    Ok(out)
}

/// Verifies `in_release` (read at `path`) against `keyring` at `now` and
/// returns its fields. Refused: no signature by a key of the keyring; a
/// key expired or revoked when it signed or at `now`; a `Date` after
/// `now`; a `Valid-Until` at or before `now`.
pub fn verify(
    path: &str,
    in_release: &[u8],
    keyring: &[SignedPublicKey],
    now: jiff::Timestamp,
) -> Result<Release> {
    let malformed = |why: String| Error::Malformed {
        what: "InRelease",
        path: path.to_owned(),
        why,
    };
    let refused = |why: String| Error::Signature {
        path: path.to_owned(),
        why,
    };
    if in_release.len() > MAX_IN_RELEASE {
        return Err(Error::TooLarge {
            what: "InRelease bytes",
            path: path.to_owned(),
            limit: MAX_IN_RELEASE as u64,
        });
    }
    let text = std::str::from_utf8(in_release).map_err(|e| malformed(format!("not UTF-8: {e}")))?;
    let (message, _) = CleartextSignedMessage::from_string(text)
        .map_err(|e| malformed(format!("is no OpenPGP cleartext-signed message: {e}")))?;
    let signed = message.signed_text();
    let clock = pgp::types::Timestamp::from_secs(
        u32::try_from(now.as_second()).map_err(|_| refused(format!("clock {now} out of range")))?,
    );
    let mut why = Vec::new();
    let mut signer = None;
    'signatures: for signature in message.signatures() {
        if signature.typ() != Some(SignatureType::Text) {
            why.push("a signature that is not a text signature".to_string());
            continue;
        }
        for key in keyring {
            match vouch_verify::openpgp::verify_signature_now(
                key,
                signature,
                signed.as_bytes(),
                clock,
            ) {
                Ok(()) => {
                    signer = Some(format!("{:X}", key.fingerprint()));
                    break 'signatures;
                }
                // A key that is not the signer says nothing; a signer's
                // refusal (expired, revoked) is the reason.
                Err(e) if e.starts_with("does not verify") => {}
                Err(e) => why.push(format!("key {:X}: {e}", key.fingerprint())),
            }
        }
    }
    let Some(signer) = signer else {
        if why.is_empty() {
            why.push(format!(
                "no signature verifies under any of the keyring's {} keys",
                keyring.len()
            ));
        }
        return Err(refused(why.join("; ")));
    };
    // The fields are read from the signed text only (CRLF as hashed).
    let signed = signed.replace("\r\n", "\n");
    let stanzas = stanzas("InRelease", path, &signed)?;
    let [stanza] = stanzas.as_slice() else {
        return Err(malformed(format!(
            "the signed text holds {} stanzas, not one",
            stanzas.len()
        )));
    };
    let fields = &stanza.fields;
    let text = |name: &str| field(fields, name).map(str::to_owned);
    let words = |name: &str| {
        field(fields, name)
            .map(|v| v.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let date_of = |name: &str| -> Result<Option<jiff::Timestamp>> {
        field(fields, name)
            .map(|v| parse_date(v).map_err(|why| malformed(format!("{name}: {why}"))))
            .transpose()
    };
    let date = date_of("Date")?.ok_or_else(|| malformed("no Date field".into()))?;
    let valid_until = date_of("Valid-Until")?;
    let stale = |why: String| Error::Stale {
        path: path.to_owned(),
        why,
    };
    if date > now {
        return Err(stale(format!("its Date {date} is after the clock {now}")));
    }
    if let Some(until) = valid_until {
        if until <= now {
            return Err(stale(format!(
                "it expired at its Valid-Until {until}, before the clock {now}"
            )));
        }
    }
    let mut sha256 = Vec::new();
    for (n, line) in field(fields, "SHA256")
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
    {
        if n == MAX_FILES {
            return Err(Error::TooLarge {
                what: "SHA256 entries",
                path: path.to_owned(),
                limit: MAX_FILES as u64,
            });
        }
        let bad = || malformed(format!("SHA256 entry {}: {line:?}", n + 1));
        let mut parts = line.split_whitespace();
        let (Some(digest), Some(size), Some(file), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        sha256.push(FileEntry {
            sha256: digest.to_ascii_lowercase(),
            size: size.parse().map_err(|_| bad())?,
            path: file.to_owned(),
        });
    }
    Ok(Release {
        origin: text("Origin"),
        suite: text("Suite"),
        codename: text("Codename"),
        version: text("Version"),
        date,
        valid_until,
        architectures: words("Architectures"),
        components: words("Components"),
        sha256,
        signer,
    })
}

/// A release date as the archive writes it (RFC 2822 with the zone
/// `UTC`: `Sat, 01 Jan 2028 00:00:00 UTC`).
fn parse_date(value: &str) -> std::result::Result<jiff::Timestamp, String> {
    let bare = value
        .strip_suffix(" UTC")
        .or_else(|| value.strip_suffix(" GMT"))
        .or_else(|| value.strip_suffix(" +0000"))
        .ok_or_else(|| format!("{value:?} is not a UTC date"))?;
    jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S", bare)
        .and_then(|t| t.to_datetime())
        .and_then(|t| t.to_zoned(jiff::tz::TimeZone::UTC))
        .map(|z| z.timestamp())
        .map_err(|e| format!("{value:?} is not a date: {e}"))
}
