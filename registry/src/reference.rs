//! Image references: `oci:PATH[:TAG]` layouts and registry references.
//!
//! They are parsed and normalised in `vouch_evidence::reference`, which
//! the verifier reads too without depending on this crate (and its HTTP
//! client); re-exported here under their old paths.

pub use vouch_evidence::reference::*;
