//! The error type of the loader.

/// Why policies or an OSV database could not be loaded. The messages are
/// those of the verifier's own errors where the verifier finds the
/// mistake, so that a caller sees one wording whoever found it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A policy file is unreadable or invalid (`invalid policy in ...`),
    /// or the verifier refused what was read.
    #[error(transparent)]
    Verify(#[from] vouch_verify::Error),
    /// An OSV database could not be read (the records' own errors name
    /// their file and field).
    #[error("invalid OSV database {path}: {reason}")]
    Osv {
        /// The directory or zip.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An OSV record is malformed (its message names its file and field).
    #[error(transparent)]
    Evidence(#[from] vouch_evidence::Error),
}
