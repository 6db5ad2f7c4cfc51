//! The error type of the attest crate.

/// What can stop discovery. A mismatch between a lockfile and the disk is
/// not an error: it is recorded on the input ([`crate::Match`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot {action} {path}: {error}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: String,
        /// The OS error.
        /// It is part of the message, so it is not also `source()`: an error
        /// chain printed with `{:#}` would show it twice.
        error: std::io::Error,
    },
    /// A lockfile or metadata file is malformed.
    #[error("invalid {what} in {path}: {reason}")]
    Invalid {
        /// What was being parsed.
        what: &'static str,
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A path leaves the project tree (`..`, absolute, or a symlink out).
    #[error("refusing {path}: {reason}")]
    OutsideTree {
        /// The offending path.
        path: String,
        /// How it leaves the tree.
        reason: String,
    },
    /// Classic in-toto links or a layout cannot be made for these inputs
    /// (nothing vendored, two inputs that would share a step name).
    #[error("cannot make in-toto {what}: {reason}")]
    InToto {
        /// "links" or "layout".
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// Evidence could not be built (a provenance field, a digest).
    #[error(transparent)]
    Evidence(#[from] vouch_evidence::Error),
}
