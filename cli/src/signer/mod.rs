//! Who signs: one [`Signer`] over key files, PKCS#11 tokens, AWS KMS keys
//! and keyless (Sigstore) signing, so that `sign`, `attest`, `vex attach`,
//! `sign-blob` and `osv push` do not know which one they were given.
//!
//! A long-lived key, wherever it is kept, signs raw bytes through
//! [`KeySigner`] (`vouch_evidence::keys::Signer`): [`Keyed`] wraps one,
//! checks each signature it returns against the key's public half (a token
//! or a KMS answering with another key's signature fails here, before
//! anything is written), and bundles it. A keyless signer has no
//! long-lived key: it bundles a short-lived certificate, a transparency-log
//! entry and timestamps instead, so [`Signer::key`] is `None` and what
//! only a key can sign (legacy cosign layers, in-toto links) is refused.

use std::fmt;
use std::path::PathBuf;

use anyhow::{bail, Result};
use async_trait::async_trait;
use vouch_evidence::bundle::Bundle;
use vouch_evidence::keys::{PublicKey, Signer as KeySigner};

use crate::files::load_private_key;

pub mod keyless;
pub mod kms;
pub mod pkcs11;

/// Signs evidence into Sigstore bundles; see the module documentation.
#[async_trait]
pub trait Signer: Send + Sync {
    /// Who signs, for messages: `key <id>` for a long-lived key, the
    /// certificate's identity for a keyless signature.
    fn label(&self) -> String;
    /// The long-lived key behind the signer, for what only a key can sign
    /// (legacy cosign layers, in-toto links); `None` when keyless.
    fn key(&self) -> Option<&dyn KeySigner>;
    /// Signs `payload` as a DSSE envelope of `payload_type`, in a bundle
    /// v0.3, checked before it is returned.
    async fn sign_dsse(&self, payload_type: &str, payload: &[u8]) -> Result<Bundle>;
    /// Signs `artifact`'s bytes (a `messageSignature` bundle with its
    /// SHA-256), checked before it is returned.
    async fn sign_message(&self, artifact: &[u8]) -> Result<Bundle>;
}

/// Where a long-lived signing key is kept, as `--key` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A PEM private key file (PKCS#8, or cosign's encrypted format).
    File(PathBuf),
    /// A key on a PKCS#11 token: an RFC 7512 `pkcs11:` URI.
    Pkcs11(String),
    /// An AWS KMS key: `awskms:///ARN`, `awskms:///alias/NAME`, or with an
    /// endpoint, `awskms://HOST:PORT/ARN`.
    AwsKms(String),
}

/// Key stores cosign names that nothing on a test machine can run, so
/// vouch does not claim them yet (the README lists them).
const UNSUPPORTED_SCHEMES: [(&str, &str); 3] = [
    ("gcpkms://", "Google Cloud KMS"),
    ("azurekms://", "Azure Key Vault"),
    ("hashivault://", "HashiCorp Vault"),
];

impl KeyRef {
    /// Reads `--key`: a `pkcs11:` or `awskms://` URI, else a file path.
    pub fn parse(text: &str) -> Result<Self> {
        if let Some((_, name)) = UNSUPPORTED_SCHEMES
            .iter()
            .find(|(scheme, _)| text.starts_with(scheme))
        {
            bail!(
                "--key {text:?}: {name} keys are not supported yet (supported: key files, \
                 pkcs11: and awskms:// URIs, and --keyless)"
            );
        }
        if text.starts_with("pkcs11:") {
            Ok(KeyRef::Pkcs11(text.to_string()))
        } else if text.starts_with("awskms://") {
            Ok(KeyRef::AwsKms(text.to_string()))
        } else {
            Ok(KeyRef::File(PathBuf::from(text)))
        }
    }
}

impl fmt::Display for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRef::File(path) => write!(f, "{}", path.display()),
            // A `pin-value` never reaches a message.
            KeyRef::Pkcs11(uri) => f.write_str(&pkcs11::redact(uri)),
            KeyRef::AwsKms(uri) => f.write_str(uri),
        }
    }
}

/// What opening a key in a store may need beside its name.
#[derive(Debug, Clone, Default)]
pub struct KeyOptions {
    /// `--pin-file`: the PKCS#11 user PIN.
    pub pin_file: Option<PathBuf>,
}

/// Opens the long-lived key `key` names.
pub fn open_key(key: &KeyRef, options: &KeyOptions) -> Result<Box<dyn KeySigner>> {
    match key {
        KeyRef::File(path) => Ok(Box::new(load_private_key(path)?)),
        KeyRef::Pkcs11(uri) => Ok(Box::new(pkcs11::open(uri, options)?)),
        KeyRef::AwsKms(uri) => Ok(Box::new(kms::open(uri)?)),
    }
}

/// Creates a new key of `algorithm` in the store `key` names and returns
/// its public half (`vouch keygen --kms`).
pub fn generate_in_store(
    key: &KeyRef,
    algorithm: vouch_evidence::keys::Algorithm,
    options: &KeyOptions,
) -> Result<PublicKey> {
    match key {
        KeyRef::File(_) => bail!(
            "--kms {key}: not a key store URI (pkcs11: or awskms://); \
             use --out PREFIX for a key file"
        ),
        KeyRef::Pkcs11(uri) => pkcs11::generate(uri, algorithm, options),
        KeyRef::AwsKms(uri) => kms::generate(uri, algorithm),
    }
}

/// A long-lived key as a [`Signer`], each signature checked against the
/// key's public half before it is used.
pub struct Keyed {
    key: Box<dyn KeySigner>,
}

impl Keyed {
    /// Wraps `key`.
    pub fn new(key: Box<dyn KeySigner>) -> Self {
        Keyed { key }
    }
}

impl KeySigner for Keyed {
    fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// Signs, then verifies the signature with the public key: a store
    /// that signs with another key than the one it reported fails here.
    fn sign(&self, message: &[u8]) -> vouch_evidence::Result<Vec<u8>> {
        let signature = self.key.sign(message)?;
        self.key.public_key().verify(message, &signature)?;
        Ok(signature)
    }
}

#[async_trait]
impl Signer for Keyed {
    fn label(&self) -> String {
        format!("key {}", self.public_key().key_id())
    }

    fn key(&self) -> Option<&dyn KeySigner> {
        Some(self)
    }

    async fn sign_dsse(&self, payload_type: &str, payload: &[u8]) -> Result<Bundle> {
        Ok(Bundle::sign_dsse(self, payload_type, payload)?)
    }

    async fn sign_message(&self, artifact: &[u8]) -> Result<Bundle> {
        Ok(Bundle::sign_message(self, artifact)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_evidence::keys::{Algorithm, PrivateKey};

    #[test]
    fn key_references_are_read_by_scheme() {
        assert_eq!(
            KeyRef::parse("ci.key").unwrap(),
            KeyRef::File("ci.key".into())
        );
        assert_eq!(
            KeyRef::parse("pkcs11:token=t;object=k").unwrap(),
            KeyRef::Pkcs11("pkcs11:token=t;object=k".into())
        );
        assert_eq!(
            KeyRef::parse("awskms:///alias/ci").unwrap(),
            KeyRef::AwsKms("awskms:///alias/ci".into())
        );
        let err = KeyRef::parse("gcpkms://projects/p")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Google Cloud KMS") && err.contains("not supported yet"),
            "{err}"
        );
    }

    /// A store that answers with another key's signature.
    struct Liar {
        claimed: PrivateKey,
        actual: PrivateKey,
    }

    impl KeySigner for Liar {
        fn public_key(&self) -> &PublicKey {
            self.claimed.public_key()
        }
        fn sign(&self, message: &[u8]) -> vouch_evidence::Result<Vec<u8>> {
            self.actual.sign(message)
        }
    }

    #[tokio::test]
    async fn a_signature_by_another_key_than_the_one_reported_is_refused() {
        let liar = Keyed::new(Box::new(Liar {
            claimed: PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap(),
            actual: PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap(),
        }));
        let err = liar
            .sign_message(b"artifact")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not verify with key"), "{err}");
        let honest = Keyed::new(Box::new(PrivateKey::generate(Algorithm::Ed25519).unwrap()));
        honest.sign_dsse("text/plain", b"payload").await.unwrap();
        assert!(honest.label().starts_with("key "));
    }
}
