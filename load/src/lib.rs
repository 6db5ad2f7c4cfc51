//! Reading what vouch's policies name, for the CLI and the webhook.
//!
//! `vouch-verify` takes bytes and never reads a file; this crate reads
//! them for it, capped in size: a policy file or directory
//! ([`policy::load`]), then the keys, trusted roots and OSV databases its
//! policies name (each read once, a database several policies name held
//! once), handed to `vouch_verify::policy::build` as a
//! `vouch_verify::policy::Resolved`; and OSV databases as downloaded, a
//! directory of records or an export zip ([`osv::load_database`]), or the
//! on-disk index built from one ([`index`]), told apart by content
//! ([`osv::open`]). Every
//! file a load read is recorded as a [`Source`], so that a watcher (the
//! webhook's hot reload) can tell when loading again may give another set.
#![forbid(unsafe_code)]

mod error;
pub mod index;
pub mod osv;
pub mod policy;
mod source;

pub use error::Error;
pub use source::{Source, SourceKind};

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
