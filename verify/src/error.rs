//! The error type of the verify crate.

/// Why a verification could not be carried out or did not hold.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The evidence itself is malformed or a signature is wrong.
    #[error(transparent)]
    Evidence(#[from] vouch_evidence::Error),
    /// The trusted root document could not be used.
    #[error("invalid trusted root: {0}")]
    TrustedRoot(String),
    /// The bundle is of the kind the caller did not ask to verify.
    #[error("{0}")]
    WrongMaterial(&'static str),
    /// The bundle is valid but does not describe this artifact.
    #[error("artifact mismatch: {0}")]
    ArtifactMismatch(String),
    /// The artifact was given in a form this bundle cannot be checked with.
    #[error("unsupported artifact input: {0}")]
    UnsupportedArtifact(&'static str),
    /// The Sigstore verifier rejected the bundle (signature, transparency
    /// log entry, timestamps, artifact binding).
    ///
    /// Kept as text: the verifier's messages already include their causes,
    /// and a source chain would print each of them twice.
    #[error("bundle does not verify: {0}")]
    Sigstore(String),
}

impl From<sigstore_verify::Error> for Error {
    fn from(err: sigstore_verify::Error) -> Self {
        Error::Sigstore(err.to_string())
    }
}
