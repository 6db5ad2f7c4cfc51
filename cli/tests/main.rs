#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code
//! The `vouch` command-line integration tests: one test binary, a module a
//! command or concern, run against the real binary, a real registry and the
//! peer oracles. `common` holds the helpers every module shares.
//!
//! Run one module with `cargo test -p vouch-cli --test cli MODULE::`, one
//! test with `cargo test -p vouch-cli --test cli NAME`.

mod attest;
mod cli;
mod common;
mod conformance;
mod cosign_keys;
mod custody;
mod custody_copies;
mod deploy;
mod diff;
mod golden;
mod image;
mod image_layers;
mod inputs_bazel;
mod inputs_bundler;
mod inputs_bzlmod;
mod inputs_cargo;
mod inputs_generic;
mod inputs_go;
mod inputs_npm;
mod inputs_pip;
mod inputs_pylock;
mod inputs_tree;
mod inputs_yarn_pnpm;
mod interop_intoto;
mod interop_sigstore_js;
mod keyless;
mod kms;
mod kustomize;
mod links_intoto;
mod os_demo;
mod os_fixtures;
mod os_image;
mod osv_index;
mod output;
mod package;
mod pkcs11;
mod policy;
mod registry_conformance;
mod registry_e2e;
mod registry_harness;
mod registry_peers;
mod release;
mod report;
mod sbom;
mod sign_blob;
mod sigstore_stack;
mod unbundle;
mod unbundle_e2e;
mod usage;
mod verify;
mod verify_limits;
mod version;
mod vulns;
mod webhook;
