//! The data vouch signs and checks.
//!
//! This crate is pure: it takes bytes, keys and (later) a clock, and never
//! touches the network or walks the filesystem. That keeps every format
//! parser fuzzable and every test deterministic.
//!
//! - [`dsse`]: DSSE envelopes (PAE, signing, threshold verification).
//! - [`statement`]: in-toto Statement v1, ResourceDescriptor and DigestSet.
//! - [`keys`]: ECDSA P-256 and Ed25519 keys and the [`keys::Signer`] trait.
//! - [`bundle`]: Sigstore bundles v0.1–v0.3, and keyed v0.3 bundle signing.
//! - [`cyclonedx`], [`spdx`]: the SBOM predicates, CycloneDX 1.6 and SPDX 2.3 JSON.
//! - [`link`] and [`layout`]: classic in-toto links and layouts, signed as
//!   the in-toto reference implementation verifies them.
//! - [`provenance`]: the SLSA Provenance v1 predicate.
//! - [`input`]: one input as the provenance and the SBOMs record it
//!   ([`input::InputRecord`]), with every annotation and property key
//!   spelt once, and package URLs ([`input::Purl`]).
//! - [`osv`]: OSV vulnerability records and an in-memory database that
//!   answers "is this package version affected, and what fixes it?" in each
//!   ecosystem's own version order.
//! - [`vex`]: OpenVEX v0.2.0 documents and the VEX of CycloneDX BOMs, read
//!   into the same validated statements.
//! - [`reference`] and [`attachment`]: image references and the signatures
//!   and attestations stored next to an image, as values (the registry
//!   crate reads and writes them).
//! - [`text`]: escaping text from outside (controls, bidi overrides)
//!   before it is shown on a terminal, in a table, a log line or an error.
//!
//! Wire types (the JSON shapes) are parsed first and then converted into
//! validated types that cannot hold an invalid envelope or statement.
#![forbid(unsafe_code)]

pub mod attachment;
pub mod bundle;
pub mod cyclonedx;
pub mod digest;
pub mod dsse;
mod encoding;
mod error;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod input;
pub mod json;
pub mod keys;
pub mod layout;
pub mod link;
pub mod osv;
pub mod provenance;
pub mod reference;
pub mod spdx;
pub mod statement;
pub mod text;
pub mod vex;

pub use error::Error;

/// The SBOM predicate types side by side, for callers choosing between the
/// two formats.
pub mod sbom {
    pub use crate::cyclonedx::CYCLONEDX_PREDICATE_TYPE;
    pub use crate::spdx::SPDX_PREDICATE_TYPE;
}

/// The result type of every fallible function in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
