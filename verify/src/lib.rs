//! Check-time verification.
//!
//! Like `evidence`, this crate does no I/O of its own: callers hand it
//! bundle bytes, artifact bytes (or a reader, or a digest), keys and a
//! trusted root. It verifies Sigstore bundles signed with a managed key or
//! keyless (a Fulcio certificate whose identity the caller admits); policies
//! build on the same entry points.
//! Policies are parsed from bytes and built with the files they name read
//! by the caller ([`policy::parse`], [`policy::build`]); OSV databases
//! arrive as parsed records. Reading them is `vouch-load`'s job.
#![forbid(unsafe_code)]

pub mod attestation;
pub mod bundle;
pub mod diff;
mod error;
pub mod evaluate;
pub mod identity;
pub mod image;
pub mod legacy;
pub mod openpgp;
pub mod os;
pub mod policy;
#[cfg(test)]
mod testdata;
pub mod vulns;

pub use error::Error;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
