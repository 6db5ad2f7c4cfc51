//! Check-time verification.
//!
//! Like `evidence`, this crate does no I/O of its own: callers hand it
//! bundle bytes, artifact bytes (or a reader, or a digest), keys and a
//! trusted root. Today it verifies Sigstore bundles signed with a managed
//! key; policies and keyless identities build on the same entry points.
#![forbid(unsafe_code)]

pub mod bundle;
mod error;
pub mod image;

pub use error::Error;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
