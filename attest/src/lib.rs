//! Build-time discovery: every vendored or pinned input of a project, what
//! its lockfile declares, what is actually on disk, and whether they match.
//!
//! Each ecosystem is one module behind the [`Ecosystem`] trait. Parsing is
//! done on bytes; the only I/O is reading the project tree, through
//! [`tree`], which refuses paths that leave it. Hashing runs in parallel
//! across cores.
#![forbid(unsafe_code)]

pub mod bazel;
pub mod cargo;
pub mod critical;
mod error;
pub mod generic;
pub mod go;
pub mod input;
pub mod license;
pub mod links;
pub mod npm;
pub mod pip;
pub mod provenance;
pub mod sbom;
pub mod tree;

use std::path::Path;

pub use error::Error;
pub use input::{Input, Match};

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One package ecosystem: how to find its lockfile and vendored inputs.
pub trait Ecosystem: Send + Sync {
    /// Its name, as recorded on each input (`cargo`, `npm`, ...).
    fn name(&self) -> &'static str;
    /// Whether the project at `root` uses this ecosystem.
    fn detect(&self, root: &Path) -> bool;
    /// Every input the project declares, checked against what is on disk.
    fn discover(&self, root: &Path) -> Result<Vec<Input>>;
}

/// Every ecosystem vouch knows.
pub fn ecosystems() -> Vec<Box<dyn Ecosystem>> {
    vec![
        Box::new(bazel::Bazel),
        Box::new(cargo::Cargo),
        Box::new(generic::Generic),
        Box::new(go::Go),
        Box::new(npm::Npm),
        Box::new(pip::Pip),
    ]
}

/// Discovers the inputs of every ecosystem the project at `root` uses,
/// sorted by ecosystem, name and version.
///
/// A `root` that is missing or not a directory is an error, not a project
/// with no inputs: a mistyped path must not attest an empty tree.
pub fn discover(root: &Path) -> Result<Vec<Input>> {
    let not_read = |error| Error::Io {
        action: "read the project directory",
        path: root.display().to_string(),
        error,
    };
    let meta = std::fs::metadata(root).map_err(not_read)?;
    if !meta.is_dir() {
        return Err(not_read(std::io::ErrorKind::NotADirectory.into()));
    }
    let mut inputs = Vec::new();
    for ecosystem in ecosystems() {
        if ecosystem.detect(root) {
            inputs.extend(ecosystem.discover(root)?);
        }
    }
    inputs.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version).cmp(&(b.ecosystem, &b.name, &b.version))
    });
    Ok(inputs)
}
