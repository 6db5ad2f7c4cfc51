//! OpenPGP signature checks shared by the policies that trust a vendor's
//! key (`vendorVex`) and by `vouch-apt` (a Debian archive's `InRelease`):
//! a signature verifies under a key's primary key or a bound signing
//! subkey, and that (sub)key was neither expired nor revoked when the
//! signature was made.

use pgp::composed::SignedPublicKey;
use pgp::packet::{Signature, SignatureType};
use pgp::types::KeyDetails as _;

/// Checks `signature` over `content` (the exact bytes, or for a text
/// signature the text as the signer hashed it) under `key`: by the
/// primary key or one of its bound signing subkeys, valid when it was
/// made (see [`valid_when_signed`]). The caller checks the signature's
/// type. The error says why, to follow the name of what was signed.
pub fn verify_signature(
    key: &SignedPublicKey,
    signature: &Signature,
    content: &[u8],
) -> Result<(), String> {
    let made = signature
        .created()
        .ok_or("has no creation time, so the key's validity then cannot be told")?;
    check(key, signature, content, made)
}

/// [`verify_signature`], and the (sub)key that made it is still neither
/// expired nor revoked at `now`: how apt (gpgv) judges a release, which
/// must be signed by a key valid today.
pub fn verify_signature_now(
    key: &SignedPublicKey,
    signature: &Signature,
    content: &[u8],
    now: pgp::types::Timestamp,
) -> Result<(), String> {
    verify_signature(key, signature, content)?;
    check(key, signature, content, now).map_err(|e| {
        let e = e.replacen("was made at", "is checked at", 1);
        format!("{e}, so it is no longer valid")
    })
}

/// The signature verifies under `key` or a bound signing subkey, and that
/// (sub)key was valid at `made`.
fn check(
    key: &SignedPublicKey,
    signature: &Signature,
    content: &[u8],
    made: pgp::types::Timestamp,
) -> Result<(), String> {
    // The primary key, valid when it signed: by its newest self-signature
    // and its revocations.
    let primary_valid = || {
        let self_signatures = key
            .details
            .users
            .iter()
            .flat_map(|u| &u.signatures)
            .chain(&key.details.direct_signatures);
        valid_when_signed(
            "the key",
            key.primary_key.created_at(),
            newest(self_signatures),
            &key.details.revocation_signatures,
            made,
        )
    };
    if signature.verify(&key.primary_key, content).is_ok() {
        return primary_valid();
    }
    for sub in &key.public_subkeys {
        if signature.verify(&sub.key, content).is_ok() {
            let (revocations, bindings): (Vec<_>, Vec<_>) = sub
                .signatures
                .iter()
                .partition(|s| s.typ() == Some(SignatureType::SubkeyRevocation));
            let binding = newest(bindings.into_iter());
            if !binding.is_some_and(|b| b.key_flags().sign()) {
                return Err("was made by a subkey not bound for signing".into());
            }
            let revocations: Vec<_> = revocations.into_iter().cloned().collect();
            valid_when_signed(
                "its signing subkey",
                sub.key.created_at(),
                binding,
                &revocations,
                made,
            )?;
            // The primary key's own expiry bounds its subkeys'.
            return primary_valid();
        }
    }
    Err("does not verify over the file's bytes with the named key".into())
}

/// The newest of `signatures` by creation time.
fn newest<'a>(signatures: impl Iterator<Item = &'a Signature>) -> Option<&'a Signature> {
    signatures.max_by_key(|s| s.created().map(|t| t.as_secs()))
}

/// Whether a (sub)key created at `created` could sign at `made`: not
/// expired then by its newest self-signature's key expiration time, and
/// not revoked. A revocation saying the key was superseded or retired
/// stops the signatures made after it; any other (compromised, or no
/// reason) stops every signature, since an attacker holding the key can
/// date one as they like. The revocations and self-signatures were
/// checked when the key was read (`verify_bindings`).
fn valid_when_signed(
    what: &str,
    created: pgp::types::Timestamp,
    self_signature: Option<&Signature>,
    revocations: &[Signature],
    made: pgp::types::Timestamp,
) -> Result<(), String> {
    use pgp::packet::RevocationCode;
    let at = |t: pgp::types::Timestamp| {
        jiff::Timestamp::from_second(i64::from(t.as_secs()))
            .map_or_else(|_| t.as_secs().to_string(), |t| t.to_string())
    };
    for revocation in revocations {
        let soft = matches!(
            revocation.revocation_reason_code(),
            Some(RevocationCode::KeySuperseded | RevocationCode::KeyRetired)
        );
        let revoked = revocation.created().map(|t| t.as_secs());
        if !soft || revoked.is_none_or(|r| r <= made.as_secs()) {
            return Err(format!(
                "was made at {} by a revoked key: {what} is revoked{} ({})",
                at(made),
                revocation
                    .created()
                    .map_or(String::new(), |t| format!(" since {}", at(t))),
                revocation
                    .revocation_reason_code()
                    .map_or("no reason given".to_string(), |c| format!("{c:?}"))
            ));
        }
    }
    let lifetime = self_signature
        .and_then(|s| s.key_expiration_time())
        .map(|d| d.as_secs())
        .filter(|d| *d > 0);
    if let Some(lifetime) = lifetime {
        let expires = u64::from(created.as_secs()) + u64::from(lifetime);
        if u64::from(made.as_secs()) >= expires {
            return Err(format!(
                "was made at {} after {what} expired ({})",
                at(made),
                jiff::Timestamp::from_second(expires as i64)
                    .map_or_else(|_| expires.to_string(), |t| t.to_string())
            ));
        }
    }
    Ok(())
}
