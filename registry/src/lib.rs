//! Where evidence lives next to an image.
//!
//! One small [`Store`] trait with a few required methods, and several
//! backends: an OCI image layout directory (`oci:PATH[:TAG]`, the embedded
//! default that needs no server), an in-memory store for tests, and (later)
//! a remote registry. Everything that must hold for every backend (digests
//! checked, sizes and counts capped, manifests parsed once) is done once, in
//! [`Repository`], on top of the trait; [`attach`] writes and reads
//! signatures and attestations in the Sigstore-bundle referrer and legacy
//! cosign formats over any backend.
#![forbid(unsafe_code)]

pub mod attach;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod copy;
mod error;
pub mod image;
pub mod layout;
pub mod memory;
pub mod oci;
pub mod reference;
pub mod remote;
mod repository;
mod store;

pub use error::{Error, ErrorCode, Status};

use std::sync::Arc;

/// Opens the repository `image` lives in: its layout directory (created
/// when `create` is set and it does not exist) or its registry repository.
pub fn open(
    image: &reference::ImageRef,
    options: &remote::RemoteOptions,
    limits: Limits,
    create: bool,
) -> Result<Repository> {
    match &image.location {
        reference::Location::Layout(path) => {
            let store = if create {
                layout::LayoutStore::create(path)?
            } else {
                layout::LayoutStore::open(path)?
            };
            Ok(Repository::new(Arc::new(store), "", limits))
        }
        reference::Location::Registry { host, repository } => {
            let store = remote::RemoteStore::new(host, options.clone())?;
            Ok(Repository::new(Arc::new(store), repository.clone(), limits))
        }
    }
}
pub use repository::{Limits, Repository};
pub use store::{Store, TagLock};

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
