//! Signing an in-toto statement and attaching it to an image, in either
//! storage format; for `vouch attest` and `vouch vex attach` (`vouch sign`
//! stores its signatures the same two ways). Signing and attaching are
//! separate steps, so that a command signs everything before it attaches
//! anything: a signer that fails part-way (a keyless service down, a
//! token refused) leaves the image and its attachments as they were.

use std::collections::BTreeMap;

use anyhow::Result;
use vouch_evidence::bundle::Bundle;
use vouch_evidence::digest::{DigestSet, Sha256};
use vouch_evidence::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use vouch_evidence::statement::{ResourceDescriptor, Statement};
use vouch_registry::attach::{self, COSIGN_SIGN_PREDICATE_TYPE};
use vouch_registry::oci::Descriptor;
use vouch_registry::Repository;

use crate::signer::Signer;

/// How the signature is stored.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A Sigstore bundle v0.3 referrer (DSSE statement of predicate type
    /// https://sigstore.dev/cosign/sign/v1, as cosign v3 writes).
    Bundle,
    /// Legacy cosign: a simple-signing layer under tag sha256-<hex>.sig.
    Legacy,
}

/// A statement signed in one storage format, not yet attached: every
/// statement of a command is signed before any is attached, so that a
/// signer failing part-way (a keyless service down) leaves the image as it
/// was.
pub enum Signed {
    /// A Sigstore bundle v0.3, for a referrer.
    Bundle(Bundle),
    /// A DSSE envelope, for a legacy `.att` layer, with the statement's
    /// predicate type.
    Legacy(Envelope, String),
}

/// Signs one in-toto statement (its exact bytes, of `predicate_type`) for
/// `format`.
pub async fn sign_statement(
    signer: &dyn Signer,
    format: Format,
    predicate_type: &str,
    statement: &[u8],
) -> Result<Signed> {
    match format {
        Format::Bundle => Ok(Signed::Bundle(
            signer.sign_dsse(IN_TOTO_PAYLOAD_TYPE, statement).await?,
        )),
        Format::Legacy => {
            let key = legacy_key(signer)?;
            let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement, &[key])?;
            Ok(Signed::Legacy(envelope, predicate_type.to_string()))
        }
    }
}

/// Attaches a signed statement to `target` as a bundle referrer or a
/// legacy `.att` layer; returns the referrer's digest, if stored as a
/// bundle referrer.
pub async fn attach_signed(
    repo: &Repository,
    target: &Descriptor,
    signed: &Signed,
    created: &str,
) -> Result<Option<String>> {
    match signed {
        Signed::Bundle(bundle) => {
            let stored =
                attach::attach_bundle(repo, target, bundle, created, &BTreeMap::new()).await?;
            Ok(Some(stored.digest.to_string()))
        }
        Signed::Legacy(envelope, predicate_type) => {
            attach::attach_legacy_attestation(repo, &target.digest, envelope, predicate_type)
                .await?;
            Ok(None)
        }
    }
}

/// Signs and attaches one in-toto statement (see [`sign_statement`] and
/// [`attach_signed`]).
pub async fn attach_statement(
    repo: &Repository,
    target: &Descriptor,
    signer: &dyn Signer,
    format: Format,
    created: &str,
    predicate_type: &str,
    statement: &[u8],
) -> Result<Option<String>> {
    let signed = sign_statement(signer, format, predicate_type, statement).await?;
    attach_signed(repo, target, &signed, created).await
}

/// Signs the manifest digest `target` as cosign v3 does (a DSSE statement
/// of predicate type https://sigstore.dev/cosign/sign/v1 whose subject is
/// the digest alone, `annotations` in the subject), into a bundle to
/// attach as a referrer of the manifest; for `vouch sign` and `vouch osv
/// push`.
pub async fn sign_image(
    signer: &dyn Signer,
    target: &Sha256,
    annotations: &BTreeMap<String, String>,
) -> Result<Bundle> {
    let subject = ResourceDescriptor {
        name: None,
        uri: None,
        digest: Some(DigestSet::from_sha256(*target)),
        content: None,
        download_location: None,
        media_type: None,
        annotations: annotations
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    };
    let statement = Statement::new(
        vec![subject],
        COSIGN_SIGN_PREDICATE_TYPE,
        serde_json::json!({}),
    )?;
    signer
        .sign_dsse(IN_TOTO_PAYLOAD_TYPE, &statement.to_json())
        .await
}

/// The long-lived key a legacy cosign layer is signed with: a legacy layer
/// has no place for a keyless signer's certificate and log entry as vouch
/// writes them, so keyless evidence is stored as bundles only.
pub fn legacy_key(signer: &dyn Signer) -> Result<&dyn vouch_evidence::keys::Signer> {
    signer.key().ok_or_else(|| {
        anyhow::anyhow!(
            "--format legacy needs a key (--key): keyless signatures are stored as Sigstore \
             bundles (--format bundle)"
        )
    })
}
