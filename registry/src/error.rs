//! The error type of the registry crate.

use std::time::Duration;

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
    /// A registry answered with an error (a 401, 404, 429 or 5xx, a
    /// missing header) or refused what it was asked to do; the registry's
    /// own message is kept, apart from vouch's.
    #[error("registry {location}: {reason}{}", said_suffix(.said))]
    Remote {
        /// The registry host.
        location: String,
        /// What failed, in vouch's words (the request, the status).
        reason: String,
        /// The status of the answer that failed, if one came: what a
        /// caller decides on (a 429 or 5xx is an outage, see
        /// [`Error::is_unavailable`]; a 401 wants credentials).
        status: Option<Status>,
        /// The OCI error codes of its body (`MANIFEST_BLOB_UNKNOWN`, ...),
        /// in order, if it had a distribution error body.
        codes: Vec<ErrorCode>,
        /// What the server said (its error body, cut short), if it said
        /// anything: kept apart from `reason` because it is the remote's
        /// text, not vouch's. A local user sees it; the webhook logs it and
        /// never puts it in a denial ([`Error::without_remote_message`]),
        /// since a server a pod author names may relay another's answer.
        said: Option<String>,
    },
    /// A registry could not be reached in time (timeout, connection
    /// refused or cut): no answer came, which says nothing about the image
    /// or its evidence.
    #[error("registry {location}: {reason}")]
    Unavailable {
        /// The registry host.
        location: String,
        /// What failed, in vouch's words.
        reason: String,
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
    /// Reading one part of an image's filesystem (a platform manifest,
    /// its config, a layer) failed: which image and which part, then why.
    /// A scan reports it whole rather than leave out what it could not
    /// read.
    #[error("{part} of image {image}: {error}")]
    Image {
        /// The image as the user named it.
        image: String,
        /// The part ("layer 2 of 3 sha256:…", "config sha256:…").
        part: String,
        /// Why it could not be read. Part of the message, so not also
        /// `source()`.
        error: Box<Error>,
    },
    /// An image index lists no manifest for the platform asked for.
    #[error("image {image} has no manifest for platform {wanted}; it has: {}", available_list(.available))]
    NoPlatform {
        /// The image as the user named it.
        image: String,
        /// The platform asked for (`linux/amd64`).
        wanted: String,
        /// The platforms it has, attestation manifests left out.
        available: Vec<String>,
    },
    /// The evidence attached to an image is malformed.
    #[error(transparent)]
    Evidence(#[from] vouch_evidence::Error),
}

impl Error {
    /// Whether the registry was unavailable (no answer,
    /// [`Error::Unavailable`]: a timeout, a refused or cut connection; or
    /// an answer whose [`Status`] says it cannot answer now: a 429 or a
    /// 5xx), as opposed to an answer about the request or the content:
    /// refused, missing, malformed, oversized, about another subject or
    /// not matching its digest. Only the former may be waived by a
    /// fail-open admission policy; anyone who can write a tag can cause
    /// the latter.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Unavailable { .. } => true,
            Error::Image { error, .. } => error.is_unavailable(),
            Error::Remote {
                status: Some(status),
                ..
            } => status.is_transient(),
            _ => false,
        }
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
            Error::Image { image, part, error } => {
                format!(
                    "{part} of image {image}: {}",
                    error.without_remote_message()
                )
            }
            other => other.to_string(),
        }
    }
}

/// The platforms of [`Error::NoPlatform`], or "none".
fn available_list(available: &[String]) -> String {
    if available.is_empty() {
        "none".to_string()
    } else {
        available.join(", ")
    }
}

/// `": <said>"` when a server said something, for the message of
/// [`Error::Remote`].
fn said_suffix(said: &Option<String>) -> String {
    said.as_deref()
        .map_or_else(String::new, |s| format!(": {s}"))
}

/// The HTTP status of a registry's answer, by what it means to a caller:
/// credentials wanted (401), refused (403), missing (404), an outage that
/// may pass (429, 5xx, with how long to wait if the registry said), or a
/// request the registry would not take (400, 405: its [`ErrorCode`] says
/// why). Parsed once, where the answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 400: the request (a name, a digest, a manifest) was refused.
    BadRequest,
    /// 401: credentials are wanted, or were refused.
    Unauthorized,
    /// 403: the credentials do not allow it.
    Forbidden,
    /// 404: no such repository, tag, manifest or blob (or no such API).
    NotFound,
    /// 405: the registry does not do this (an API it lacks, a read-only
    /// registry).
    MethodNotAllowed,
    /// 429: too many requests now.
    TooManyRequests {
        /// How long the registry asked to wait (`Retry-After`), if it did.
        retry_after: Option<Duration>,
    },
    /// A 5xx: the registry cannot answer now.
    ServerError {
        /// The status code (500..=599).
        code: u16,
        /// How long the registry asked to wait (`Retry-After`), if it did.
        retry_after: Option<Duration>,
    },
    /// Any other status.
    Other(u16),
}

impl Status {
    /// The status of an answer with `code`; `retry_after` (what its
    /// `Retry-After` header asks for) is kept for a 429 or a 5xx.
    pub fn new(code: u16, retry_after: Option<Duration>) -> Status {
        match code {
            400 => Status::BadRequest,
            401 => Status::Unauthorized,
            403 => Status::Forbidden,
            404 => Status::NotFound,
            405 => Status::MethodNotAllowed,
            429 => Status::TooManyRequests { retry_after },
            500..=599 => Status::ServerError { code, retry_after },
            other => Status::Other(other),
        }
    }

    /// The status code.
    pub fn code(self) -> u16 {
        match self {
            Status::BadRequest => 400,
            Status::Unauthorized => 401,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::TooManyRequests { .. } => 429,
            Status::ServerError { code, .. } | Status::Other(code) => code,
        }
    }

    /// Whether the registry cannot answer now (429, 5xx) rather than
    /// answered about the request: such a request is retried, and the
    /// error is an outage ([`Error::is_unavailable`]).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Status::TooManyRequests { .. } | Status::ServerError { .. }
        )
    }
}

/// `404 Not Found`: the code and its reason phrase, as HTTP spells them.
impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match reqwest::StatusCode::from_u16(self.code()) {
            Ok(status) => status.fmt(f),
            Err(_) => self.code().fmt(f),
        }
    }
}

/// An error code of the OCI distribution spec, as a registry's error body
/// (`{"errors":[{"code":…,"message":…}]}`) gives it: what went wrong, in
/// the registry's terms, beside the [`Status`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `BLOB_UNKNOWN`: blob unknown to registry.
    BlobUnknown,
    /// `BLOB_UPLOAD_INVALID`: blob upload invalid.
    BlobUploadInvalid,
    /// `BLOB_UPLOAD_UNKNOWN`: blob upload unknown to registry.
    BlobUploadUnknown,
    /// `DIGEST_INVALID`: provided digest did not match uploaded content.
    DigestInvalid,
    /// `MANIFEST_BLOB_UNKNOWN`: a manifest references a blob unknown to
    /// the registry.
    ManifestBlobUnknown,
    /// `MANIFEST_INVALID`: manifest invalid.
    ManifestInvalid,
    /// `MANIFEST_UNKNOWN`: manifest unknown to registry.
    ManifestUnknown,
    /// `NAME_INVALID`: invalid repository name.
    NameInvalid,
    /// `NAME_UNKNOWN`: repository name not known to registry.
    NameUnknown,
    /// `SIZE_INVALID`: provided length did not match content length.
    SizeInvalid,
    /// `UNAUTHORIZED`: authentication required.
    Unauthorized,
    /// `DENIED`: requested access to the resource is denied.
    Denied,
    /// `UNSUPPORTED`: the operation is unsupported.
    Unsupported,
    /// `TOOMANYREQUESTS`: too many requests.
    TooManyRequests,
    /// A code outside the spec, as the registry spelt it.
    Other(String),
}

impl ErrorCode {
    /// The codes of the spec, as spelt on the wire.
    const SPEC: [(&'static str, ErrorCode); 14] = [
        ("BLOB_UNKNOWN", ErrorCode::BlobUnknown),
        ("BLOB_UPLOAD_INVALID", ErrorCode::BlobUploadInvalid),
        ("BLOB_UPLOAD_UNKNOWN", ErrorCode::BlobUploadUnknown),
        ("DIGEST_INVALID", ErrorCode::DigestInvalid),
        ("MANIFEST_BLOB_UNKNOWN", ErrorCode::ManifestBlobUnknown),
        ("MANIFEST_INVALID", ErrorCode::ManifestInvalid),
        ("MANIFEST_UNKNOWN", ErrorCode::ManifestUnknown),
        ("NAME_INVALID", ErrorCode::NameInvalid),
        ("NAME_UNKNOWN", ErrorCode::NameUnknown),
        ("SIZE_INVALID", ErrorCode::SizeInvalid),
        ("UNAUTHORIZED", ErrorCode::Unauthorized),
        ("DENIED", ErrorCode::Denied),
        ("UNSUPPORTED", ErrorCode::Unsupported),
        ("TOOMANYREQUESTS", ErrorCode::TooManyRequests),
    ];

    /// The code a registry wrote (exactly as the spec spells it, or
    /// [`ErrorCode::Other`]).
    pub fn parse(code: &str) -> ErrorCode {
        Self::SPEC
            .into_iter()
            .find(|(spelt, _)| *spelt == code)
            .map_or_else(|| ErrorCode::Other(code.to_string()), |(_, known)| known)
    }

    /// The code as spelt on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(code) => code,
            known => Self::SPEC
                .iter()
                .find(|(_, c)| c == known)
                .map_or("", |(spelt, _)| *spelt),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_typed_by_what_they_mean() {
        let wait = Some(Duration::from_secs(2));
        for (code, status) in [
            (400, Status::BadRequest),
            (401, Status::Unauthorized),
            (403, Status::Forbidden),
            (404, Status::NotFound),
            (405, Status::MethodNotAllowed),
            (429, Status::TooManyRequests { retry_after: wait }),
            (
                503,
                Status::ServerError {
                    code: 503,
                    retry_after: wait,
                },
            ),
            (409, Status::Other(409)),
            (200, Status::Other(200)),
        ] {
            assert_eq!(Status::new(code, wait), status, "{code}");
            assert_eq!(status.code(), code);
            assert_eq!(status.is_transient(), code == 429 || code >= 500, "{code}");
            // Spelt as HTTP spells it, so messages read as before.
            let http = reqwest::StatusCode::from_u16(code).unwrap();
            assert_eq!(status.to_string(), http.to_string());
        }
        // Retry-After means something only for an outage.
        assert_eq!(Status::new(404, wait), Status::NotFound);
    }

    #[test]
    fn error_codes_are_read_as_the_spec_spells_them() {
        for spelt in [
            "BLOB_UNKNOWN",
            "BLOB_UPLOAD_INVALID",
            "BLOB_UPLOAD_UNKNOWN",
            "DIGEST_INVALID",
            "MANIFEST_BLOB_UNKNOWN",
            "MANIFEST_INVALID",
            "MANIFEST_UNKNOWN",
            "NAME_INVALID",
            "NAME_UNKNOWN",
            "SIZE_INVALID",
            "UNAUTHORIZED",
            "DENIED",
            "UNSUPPORTED",
            "TOOMANYREQUESTS",
        ] {
            let code = ErrorCode::parse(spelt);
            assert!(!matches!(code, ErrorCode::Other(_)), "{spelt}");
            assert_eq!(code.to_string(), spelt);
        }
        assert_eq!(
            ErrorCode::parse("MANIFEST_BLOB_UNKNOWN"),
            ErrorCode::ManifestBlobUnknown
        );
        // Anything else is kept as spelt, never taken for a spec code.
        for other in ["manifest_blob_unknown", "PAGINATION_NUMBER_INVALID", ""] {
            assert_eq!(ErrorCode::parse(other), ErrorCode::Other(other.into()));
            assert_eq!(ErrorCode::parse(other).as_str(), other);
        }
    }

    #[test]
    fn an_outage_is_decided_on_the_status() {
        let answered = |status| Error::Remote {
            location: "registry.example".into(),
            reason: "GET blob".into(),
            status,
            codes: Vec::new(),
            said: Some("internal page".into()),
        };
        for status in [
            Status::TooManyRequests { retry_after: None },
            Status::new(500, None),
            Status::new(503, None),
        ] {
            assert!(answered(Some(status)).is_unavailable(), "{status}");
        }
        for status in [
            Some(Status::Unauthorized),
            Some(Status::Forbidden),
            Some(Status::NotFound),
            Some(Status::BadRequest),
            None,
        ] {
            assert!(!answered(status).is_unavailable(), "{status:?}");
        }
        let unreachable = Error::Unavailable {
            location: "registry.example".into(),
            reason: "cannot connect".into(),
        };
        assert!(unreachable.is_unavailable());
        // Either way the message is the same, and the server's words stay
        // apart.
        let err = answered(Some(Status::new(503, None)));
        assert_eq!(
            err.to_string(),
            "registry registry.example: GET blob: internal page"
        );
        assert_eq!(
            err.without_remote_message(),
            "registry registry.example: GET blob"
        );
    }
}
