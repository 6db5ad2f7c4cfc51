//! The admission webhook's pure core.
//!
//! An AdmissionReview `admission.k8s.io/v1` request comes in as bytes
//! ([`review::parse`]); [`images::images`] lists every image reference the
//! object would run, each with the JSON pointer where it sits; the server
//! (not in this crate) verifies them with `vouch-verify` and answers with
//! [`response::allow`], [`response::deny`] or [`response::patch`], whose
//! JSONPatch pins a tag to the digest it was resolved to
//! ([`response::pin`]). [`namespaces::Exemptions`] says which namespaces
//! are not checked at all.
//!
//! The core modules ([`review`], [`images`], [`response`], [`namespaces`])
//! have no policy logic, no network and no clock: every decision about an
//! image is `vouch-verify`'s, so that `vouch verify` and the webhook
//! cannot disagree, and they are testable on recorded requests. The
//! serving modules around them do the I/O: [`server`] (HTTPS, routes,
//! budgets), [`check`] (resolution, verdict cache, single-flight),
//! [`reload`] (policy hot reload), [`metrics`], and [`certs`] (the CA and
//! serving certificate of `vouch webhook certs`).
#![forbid(unsafe_code)]

// First, so that `log_line!` is in scope in every module after it.
#[macro_use]
mod log;
pub mod certs;
pub mod check;
mod error;
pub mod images;
pub mod metrics;
pub mod namespaces;
pub mod reload;
pub mod response;
pub mod review;
pub mod server;
#[cfg(test)]
mod tests;

pub use error::Error;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
