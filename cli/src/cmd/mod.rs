//! One module per command, each with its `Args` and a `run` function.
//! Commands do not import one another: what several share lives outside
//! `cmd/`, in a module named for what it does (`args`, `judge`,
//! `discovery`, `attach`, ...).

pub mod attest;
pub mod completions;
pub mod copy;
pub mod diff;
pub mod inputs;
pub mod keygen;
pub mod layout;
pub mod man;
pub mod osv;
pub mod policy;
pub mod public_key;
pub mod report;
pub mod sbom;
pub mod sign;
pub mod sign_blob;
pub mod tree;
pub mod unbundle;
pub mod verify;
pub mod verify_bundle;
pub mod verify_image;
pub mod vex;
pub mod vulns;
pub mod webhook;
