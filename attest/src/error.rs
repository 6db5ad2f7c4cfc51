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
    /// A vendored file's name that the directory hash cannot carry
    /// unambiguously (a newline, which could forge a second line of the
    /// hash; bytes that are not UTF-8). Go's dirhash refuses the same.
    #[error("refusing vendored file {path}: its name {reason}, which the directory hash cannot carry unambiguously")]
    FileName {
        /// The file, escaped (`\n` for a newline).
        path: String,
        /// What is wrong with its name.
        reason: String,
    },
    /// A vendored file over the size limit (`--max-file-bytes`), refused
    /// before or while it is read rather than hashed for minutes.
    #[error(
        "refusing vendored file {path}: {size}, over the --max-file-bytes limit of {max} bytes"
    )]
    TooLarge {
        /// The file.
        path: String,
        /// How large it is, as found (`fstat` size, or what was read).
        size: String,
        /// The limit in force.
        max: u64,
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
