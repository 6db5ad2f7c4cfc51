//! The error type of the registry crate.

use vouch_evidence::digest::Sha256;

/// What can go wrong while reading or writing a store. Every variant says
/// where (the store and repository) and what (the digest or tag).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The image reference cannot be parsed.
    #[error("invalid image reference {reference:?}: {reason}")]
    Reference {
        /// The reference as given.
        reference: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A tag, manifest or blob does not exist.
    #[error("{what} not found in {location}")]
    NotFound {
        /// What was looked for ("tag latest", "blob sha256:…").
        what: String,
        /// The store and repository.
        location: String,
    },
    /// Content does not hash to the digest it was asked for by.
    #[error("{what} from {location} does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch {
        /// "manifest" or "blob".
        what: &'static str,
        /// Where it came from.
        location: String,
        /// The digest asked for.
        expected: Sha256,
        /// The digest of what arrived.
        actual: Sha256,
    },
    /// Content, declared or actual, is larger than the configured limit.
    #[error("{what} in {location} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// What was being read.
        what: String,
        /// Where.
        location: String,
        /// Its (declared or actual) size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// More items than the configured limit (signatures, layers).
    #[error("{what} in {location}: {count} is over the limit of {limit}")]
    TooMany {
        /// What was counted.
        what: String,
        /// Where.
        location: String,
        /// How many there were.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A manifest, index or layout file is not what the OCI specs allow.
    #[error("invalid {what} in {location}: {reason}")]
    Invalid {
        /// What was being parsed.
        what: String,
        /// Where.
        location: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A filesystem operation of the layout backend failed.
    #[error("cannot {action} {path}: {error}")]
    Io {
        /// What was being done ("read", "write", "lock").
        action: &'static str,
        /// The path.
        path: String,
        /// The OS error.
        /// It is part of the message, so it is not also `source()`: an error
        /// chain printed with `{:#}` would show it twice.
        error: std::io::Error,
    },
    /// A registry refused the request or answered with an error that says
    /// something about the request (401, 404, a missing header); the
    /// registry's own message is kept, apart from vouch's.
    #[error("registry {location}: {reason}{}", said_suffix(.said))]
    Remote {
        /// The registry host.
        location: String,
        /// What failed, in vouch's words (the request, the status).
        reason: String,
        /// What the server said (its error body, cut short), if it said
        /// anything: kept apart from `reason` because it is the remote's
        /// text, not vouch's. A local user sees it; the webhook logs it and
        /// never puts it in a denial ([`Error::without_remote_message`]),
        /// since a server a pod author names may relay another's answer.
        said: Option<String>,
    },
    /// A registry could not be reached in time (timeout, connection
    /// refused or cut) or said it cannot answer now (429, 5xx): a failure
    /// of availability, which says nothing about the image or its evidence.
    #[error("registry {location}: {reason}{}", said_suffix(.said))]
    Unavailable {
        /// The registry host.
        location: String,
        /// What failed, in vouch's words.
        reason: String,
        /// What the server said, as in [`Error::Remote`].
        said: Option<String>,
    },
    /// Reading one more manifest or blob would pass the bytes a caller
    /// allowed in all (`Limits::max_read_bytes`): the whole read is
    /// refused, never just the entry that happened to come last.
    #[error("reading {what} from {location} would make {size} bytes read in all, over the limit of {limit}")]
    Budget {
        /// What was about to be read.
        what: String,
        /// Where.
        location: String,
        /// The bytes read in all with it.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Concurrent writers kept replacing an index this writer was updating,
    /// so its write could not be confirmed (the CLI exits 3).
    #[error("gave up updating {what} in {location} after {attempts} attempts: other writers kept replacing it, so the entry may be missing (check with `vouch tree`, then retry)")]
    Contention {
        /// The index being updated.
        what: String,
        /// Where.
        location: String,
        /// How many read-merge-write rounds were tried.
        attempts: usize,
    },
    /// The evidence attached to an image is malformed.
    #[error(transparent)]
    Evidence(#[from] vouch_evidence::Error),
}

impl Error {
    /// Whether the registry was unavailable ([`Error::Unavailable`]: a
    /// timeout, a refused or cut connection, a 429 or a 5xx), as opposed
    /// to an answer about the content: missing, malformed, oversized,
    /// about another subject or not matching its digest. Only the former
    /// may be waived by a fail-open admission policy; anyone who can write
    /// a tag can cause the latter.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unavailable { .. })
    }

    /// The message without what a remote server said: which registry
    /// failed and how (the request, the status, "token service refused"),
    /// for someone who must not read a server's answer (the author of a
    /// pod the webhook reviews: the server may have relayed an internal
    /// page). The whole error, [`Display`](std::fmt::Display), is for the
    /// operator's log and a local user's terminal.
    pub fn without_remote_message(&self) -> String {
        match self {
            Error::Remote {
                location, reason, ..
            }
            | Error::Unavailable {
                location, reason, ..
            } => format!("registry {location}: {reason}"),
            other => other.to_string(),
        }
    }
}

/// `": <said>"` when a server said something, for the messages of
/// [`Error::Remote`] and [`Error::Unavailable`].
fn said_suffix(said: &Option<String>) -> String {
    said.as_deref()
        .map_or_else(String::new, |s| format!(": {s}"))
}
