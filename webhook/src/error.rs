//! The error type of the webhook crate.

/// Why a request cannot be reviewed.
///
/// The two variants call for different answers: a [`Error::Malformed`]
/// body is not a review the apiserver would send (the server answers
/// 400), while an [`Error::Image`] is a well-formed review whose object
/// names an image that cannot be admitted (the server answers a deny, so
/// that the user sees why).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is not a readable AdmissionReview v1, or a list in it is
    /// longer than its cap.
    #[error("invalid AdmissionReview in {field}: {reason}")]
    Malformed {
        /// Where: `body`, `request.operation`, `request.object/spec/containers/3/image`.
        field: String,
        /// Why.
        reason: String,
    },
    /// An image reference in the object cannot be parsed, or is not a
    /// registry reference.
    #[error("invalid image reference {image:?} in request.object{pointer}: {reason}")]
    Image {
        /// The JSON pointer of the reference inside the object.
        pointer: String,
        /// The reference as written.
        image: String,
        /// Why.
        reason: String,
    },
    /// The server cannot be set up as configured: an unreadable or
    /// invalid TLS certificate or key, a name a certificate cannot carry.
    /// Raised at start-up only, never while answering a review.
    #[error("invalid {what}: {reason}")]
    Config {
        /// What (`TLS key in /etc/vouch/tls.key`).
        what: String,
        /// Why.
        reason: String,
    },
}

impl Error {
    pub(crate) fn malformed(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Malformed {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
