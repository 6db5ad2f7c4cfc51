//! Check-time verification.
//!
//! Like `evidence`, this crate does no I/O of its own: callers hand it
//! bundle bytes, artifact bytes (or a reader, or a digest), keys and a
//! trusted root. It verifies Sigstore bundles signed with a managed key or
//! keyless (a Fulcio certificate whose identity the caller admits); policies
//! build on the same entry points.
//! The exceptions are [`policy::load`], which reads the policy files (and
//! the keys, trusted roots and OSV databases they name) it is pointed at,
//! and [`vulns::load_database`], both capped in size.
#![forbid(unsafe_code)]

pub mod attestation;
pub mod bundle;
pub mod diff;
mod error;
pub mod evaluate;
pub mod identity;
pub mod image;
pub mod policy;
pub mod vulns;

pub use error::Error;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
