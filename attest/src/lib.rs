//! Build-time discovery: every vendored or pinned input of a project, what
//! its lockfile declares, what is actually on disk, and whether they match.
//!
//! Each ecosystem is one module behind the [`Ecosystem`] trait. Parsing is
//! done on bytes; the only I/O is reading the project tree, through
//! [`tree`], which refuses paths that leave it. Hashing runs in parallel
//! across cores.
#![forbid(unsafe_code)]

pub mod assemble;
pub mod bazel;
pub mod bundler;
pub mod cargo;
pub mod critical;
mod error;
pub mod generic;
pub mod go;
pub mod input;
pub mod license;
pub mod links;
pub mod npm;
pub mod os;
pub mod pip;
pub mod pnpm;
pub mod provenance;
pub mod pylock;
pub mod sbom;
pub mod tree;
pub mod yarn;

pub use error::Error;
pub use input::{Input, Match};
pub use tree::Root;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One package ecosystem: how to find its lockfile and vendored inputs.
pub trait Ecosystem: Send + Sync {
    /// Its name, as recorded on each input (`cargo`, `npm`, ...).
    fn name(&self) -> &'static str;
    /// Whether the project at `root` uses this ecosystem.
    fn detect(&self, root: &Root) -> bool;
    /// Every input the project declares, checked against what is on disk:
    /// every file it reads is read through `root`, so nothing outside the
    /// project is read.
    fn discover(&self, root: &Root) -> Result<Vec<Input>>;
}

/// Every ecosystem vouch knows.
pub fn ecosystems() -> Vec<Box<dyn Ecosystem>> {
    vec![
        Box::new(bazel::Bazel),
        Box::new(bundler::Bundler),
        Box::new(cargo::Cargo),
        Box::new(generic::Generic),
        Box::new(go::Go),
        Box::new(npm::Npm),
        Box::new(pip::Pip),
        Box::new(pnpm::Pnpm),
        Box::new(pylock::Pipenv),
        Box::new(pylock::Poetry),
        Box::new(pylock::Uv),
        Box::new(yarn::Yarn),
    ]
}

/// Discovers the inputs of every ecosystem the project at `root` uses,
/// sorted by ecosystem, name and version. [`Root::new`] has refused a root
/// that is missing or not a directory.
pub fn discover(root: &Root) -> Result<Vec<Input>> {
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
