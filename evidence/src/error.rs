//! The one error type of the evidence crate.

use std::fmt;

/// Everything that can go wrong while parsing, signing or verifying evidence.
///
/// Each variant names what was wrong and where (the field, the key, the
/// media type), so that a caller can print it as is after saying which file
/// it came from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not well-formed JSON, or not of the expected shape.
    #[error("malformed JSON in {what}: {error}")]
    Json {
        /// What was being parsed ("DSSE envelope", "in-toto statement", ...).
        what: &'static str,
        /// The parser's own message, with line and column.
        /// It is part of the message, so it is not also `source()`: an error
        /// chain printed with `{:#}` would show it twice.
        error: serde_json::Error,
    },
    /// A field that must be base64 is not, in either alphabet.
    #[error("bad base64 in field `{field}`: {reason}")]
    Base64 {
        /// The JSON field that held the value.
        field: &'static str,
        /// Why the value did not decode.
        reason: String,
    },
    /// A field holds a value the format does not allow.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The thing that is invalid, with its field path where known.
        what: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A DSSE envelope's payloadType is not the one the caller expects.
    #[error("unexpected DSSE payloadType {found:?}: expected {expected:?}")]
    PayloadType {
        /// The payload type the caller asked for.
        expected: String,
        /// The payload type the envelope carries.
        found: String,
    },
    /// Not enough distinct trusted keys signed the envelope.
    #[error("{}", ThresholdMessage { verified: *verified, threshold: *threshold, signatures: *signatures })]
    Threshold {
        /// How many distinct trusted keys produced a valid signature.
        verified: usize,
        /// How many were required.
        threshold: usize,
        /// How many signatures the envelope carries.
        signatures: usize,
    },
    /// A signature did not verify under the given public key.
    #[error("signature does not verify with key {key_id}")]
    BadSignature {
        /// The id of the key that was tried.
        key_id: crate::keys::KeyId,
    },
    /// A key file or key bytes could not be used.
    #[error("not a usable {what}: {reason}")]
    Key {
        /// "private key" or "public key".
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The Sigstore bundle declares a media type this version cannot read.
    #[error("unknown Sigstore bundle media type {0:?} (known: application/vnd.dev.sigstore.bundle.v0.3+json, application/vnd.dev.sigstore.bundle+json;version=0.1, 0.2 or 0.3)")]
    BundleMediaType(String),
    /// An image reference cannot be parsed.
    #[error("invalid image reference {reference:?}: {reason}")]
    Reference {
        /// The reference as given.
        reference: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The cryptographic backend failed to produce a signature.
    #[error("signing failed: {0}")]
    Sign(String),
}

struct ThresholdMessage {
    verified: usize,
    threshold: usize,
    signatures: usize,
}

impl fmt::Display for ThresholdMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.verified == 0 {
            write!(
                f,
                "none of the {} signature(s) verifies with the trusted key(s)",
                self.signatures
            )
        } else {
            write!(
                f,
                "only {} distinct trusted key(s) signed, {} required",
                self.verified, self.threshold
            )
        }
    }
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            what: what.into(),
            reason: reason.into(),
        }
    }
}
