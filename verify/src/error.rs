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
    /// A public key stands where a keyless bundle's signing certificate
    /// belongs. Named apart from an unreadable certificate because it is
    /// what a key smuggled into a keyless bundle looks like.
    #[error(
        "the bundle holds a public key where its signing certificate belongs: a keyless \
         bundle must carry its Fulcio certificate (a key-signed bundle has a publicKey hint \
         and is verified with the key)"
    )]
    PublicKeyAsCertificate,
    /// The signing certificate cannot be read, or lacks a claim that keyless
    /// verification needs (its subject or OIDC issuer).
    #[error("unusable signing certificate: {0}")]
    Certificate(String),
    /// The bundle verified, but its signer is not one the caller admits.
    #[error("certificate identity mismatch: expected {expected}, found {found}")]
    IdentityMismatch {
        /// What the caller's identity policy admits.
        expected: String,
        /// The verified certificate's identity (boxed: it is three strings).
        found: Box<crate::bundle::CertificateIdentity>,
    },
    /// A policy file is unreadable or invalid: nothing of it is loaded.
    /// `reason` starts with `line N:` for YAML errors and names the field.
    #[error("invalid policy in {path}: {reason}")]
    Policy {
        /// The policy file (or directory).
        path: String,
        /// What is wrong, and where in the file.
        reason: String,
    },
    /// A policy's Rego condition could not be evaluated on a predicate
    /// (a runtime error, or its time limit); the requirement is not met.
    #[error("the Rego condition of attestation {attestation} failed: {reason}")]
    Rego {
        /// The attestation requirement's name.
        attestation: String,
        /// regorus's message.
        reason: String,
    },
    /// A legacy cosign layer signed keyless cannot be turned into the
    /// bundle it stands for: a missing or malformed annotation (the Rekor
    /// bundle above all, without which there is no log entry), or a Rekor
    /// entry kind that is not verified. Nothing weaker is tried instead.
    #[error("legacy keyless layer: {0}")]
    LegacyKeyless(String),
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
