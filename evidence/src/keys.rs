//! Keys and signers: ECDSA P-256 with SHA-256 (the default) and Ed25519.
//!
//! Private keys are read and written as PKCS#8 PEM (`PRIVATE KEY`), public
//! keys as SPKI PEM (`PUBLIC KEY`): the forms cosign, OpenSSL, the Python
//! `cryptography` package and Node's `crypto` all read. cosign's
//! password-encrypted private keys are read and written by [`cosign`].
//!
//! A key's id is the lowercase hex SHA-256 of its SPKI DER encoding. Its
//! base64 form is the Sigstore bundle's `publicKey.hint`, as cosign and
//! sigstore-python compute it, so one key has one id everywhere.

use std::fmt;
use std::str::FromStr;

use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair as _};
use spki::der::asn1::{AnyRef, BitStringRef, ObjectIdentifier};
use spki::der::pem::LineEnding;
use spki::der::{Decode as _, Encode as _};
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};

use crate::digest::{sha256, Sha256};
use crate::encoding::encode_b64;
use crate::{Error, Result};

pub mod cosign;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// A signature algorithm vouch can sign and verify with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA over NIST P-256 with SHA-256; signatures are ASN.1 DER. The
    /// default, because every Sigstore client verifies it.
    EcdsaP256Sha256,
    /// Ed25519 (pure, no pre-hash).
    Ed25519,
}

impl Algorithm {
    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EcdsaP256Sha256 => "ecdsa-p256",
            Algorithm::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ecdsa-p256" => Ok(Algorithm::EcdsaP256Sha256),
            "ed25519" => Ok(Algorithm::Ed25519),
            other => Err(Error::invalid(
                format!("algorithm {other:?}"),
                "expected ecdsa-p256 or ed25519",
            )),
        }
    }
}

/// A key's id: the SHA-256 of its SPKI DER encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(Sha256);

impl KeyId {
    /// The Sigstore bundle `publicKey.hint` form: standard base64 of the
    /// 32 digest bytes.
    pub fn hint(&self) -> String {
        encode_b64(&self.0 .0)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.hex())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A public key that signatures can be verified against.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    algorithm: Algorithm,
    spki_der: Vec<u8>,
    /// The raw key: an uncompressed SEC1 point or 32 Ed25519 bytes.
    raw: Vec<u8>,
    id: KeyId,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} {})", self.algorithm, self.id)
    }
}

fn key_err(what: &'static str, reason: impl Into<String>) -> Error {
    Error::Key {
        what,
        reason: reason.into(),
    }
}

impl PublicKey {
    /// Parses an SPKI `PUBLIC KEY` PEM block.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let (label, der) = spki::der::pem::decode_vec(pem.trim().as_bytes())
            .map_err(|e| key_err("public key", format!("not PEM: {e}")))?;
        if label != "PUBLIC KEY" {
            return Err(key_err(
                "public key",
                format!("PEM label is {label:?}, expected \"PUBLIC KEY\""),
            ));
        }
        Self::from_spki_der(&der)
    }

    /// Parses a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let info = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| key_err("public key", format!("not a SubjectPublicKeyInfo: {e}")))?;
        let raw = info
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| key_err("public key", "key bit string has unused bits"))?;
        let algorithm = algorithm_of(&info.algorithm, "public key")?;
        match algorithm {
            Algorithm::EcdsaP256Sha256 if raw.len() != 65 || raw[0] != 0x04 => {
                return Err(key_err(
                    "public key",
                    "P-256 point is not in uncompressed form (65 bytes starting 0x04)",
                ))
            }
            Algorithm::Ed25519 if raw.len() != 32 => {
                return Err(key_err(
                    "public key",
                    format!("Ed25519 key is {} bytes, expected 32", raw.len()),
                ))
            }
            _ => {}
        }
        Ok(PublicKey {
            algorithm,
            spki_der: der.to_vec(),
            raw: raw.to_vec(),
            id: KeyId(sha256(der)),
        })
    }

    /// Builds the key from its raw form: an uncompressed SEC1 point (65
    /// bytes, `0x04 || x || y`) for P-256, the 32 key bytes for Ed25519.
    /// Key stores that hand out only the raw key (a PKCS#11 token's
    /// `CKA_EC_POINT`) use this; the point is checked as a key file's is.
    pub fn from_raw(algorithm: Algorithm, raw: &[u8]) -> Result<Self> {
        let (oid, params) = match algorithm {
            Algorithm::EcdsaP256Sha256 => (ID_EC_PUBLIC_KEY, Some(AnyRef::from(&SECP256R1))),
            Algorithm::Ed25519 => (ID_ED25519, None),
        };
        let info = SubjectPublicKeyInfoRef {
            algorithm: AlgorithmIdentifierRef {
                oid,
                parameters: params,
            },
            subject_public_key: BitStringRef::from_bytes(raw)
                .map_err(|e| key_err("public key", e.to_string()))?,
        };
        let der = info
            .to_der()
            .map_err(|e| key_err("public key", e.to_string()))?;
        Self::from_spki_der(&der)
    }

    /// The SPKI `PUBLIC KEY` PEM encoding.
    pub fn to_pem(&self) -> String {
        // Encoding DER bytes we produced or validated as PEM cannot fail.
        spki::der::pem::encode_string("PUBLIC KEY", LineEnding::LF, &self.spki_der)
            .unwrap_or_default()
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key id (SHA-256 of the SPKI DER).
    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// Verifies `signature` over `message`.
    ///
    /// ECDSA signatures are ASN.1 DER as Sigstore writes them; the 64-byte
    /// fixed (r‖s) form the DSSE spec's own test vector uses is accepted too.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let ok = match self.algorithm {
            Algorithm::EcdsaP256Sha256 => {
                let der = sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_ASN1, &self.raw);
                der.verify(message, signature).is_ok()
                    || (signature.len() == 64
                        && sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, &self.raw)
                            .verify(message, signature)
                            .is_ok())
            }
            Algorithm::Ed25519 => sig::UnparsedPublicKey::new(&sig::ED25519, &self.raw)
                .verify(message, signature)
                .is_ok(),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::BadSignature { key_id: self.id })
        }
    }
}

fn algorithm_of(alg: &AlgorithmIdentifierRef<'_>, what: &'static str) -> Result<Algorithm> {
    if alg.oid == ID_ED25519 {
        return Ok(Algorithm::Ed25519);
    }
    if alg.oid == ID_EC_PUBLIC_KEY {
        let curve = alg
            .parameters_oid()
            .map_err(|_| key_err(what, "EC key names no curve"))?;
        if curve == SECP256R1 {
            return Ok(Algorithm::EcdsaP256Sha256);
        }
        return Err(key_err(
            what,
            format!("EC curve {curve} is not supported (only P-256, 1.2.840.10045.3.1.7)"),
        ));
    }
    Err(key_err(
        what,
        format!(
            "algorithm {} is not supported (ECDSA P-256 or Ed25519)",
            alg.oid
        ),
    ))
}

/// Anything that can sign: a key in memory today, a KMS or hardware key later.
///
/// Callers only ever see this trait, so adding a backend does not touch them.
pub trait Signer: Send + Sync {
    /// The public half, used for key ids and bundle hints.
    fn public_key(&self) -> &PublicKey;
    /// Signs `message` (the whole message, not a pre-hash).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>>;
}

enum Pair {
    Ecdsa(sig::EcdsaKeyPair),
    Ed25519(sig::Ed25519KeyPair),
}

/// A private key held in memory, with its PKCS#8 encoding.
pub struct PrivateKey {
    pair: Pair,
    pkcs8: Vec<u8>,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({:?})", self.public)
    }
}

impl Drop for PrivateKey {
    /// Wipes the PKCS#8 copy of the key (ring keeps its own, which it does
    /// not expose).
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.pkcs8);
    }
}

impl PrivateKey {
    /// Generates a new key pair from the system's secure random source.
    pub fn generate(algorithm: Algorithm) -> Result<Self> {
        let rng = SystemRandom::new();
        let doc = match algorithm {
            Algorithm::EcdsaP256Sha256 => {
                sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            }
            Algorithm::Ed25519 => sig::Ed25519KeyPair::generate_pkcs8(&rng),
        }
        .map_err(|_| key_err("private key", "key generation failed"))?;
        Self::from_pkcs8_der(doc.as_ref())
    }

    /// Parses a PKCS#8 `PRIVATE KEY` PEM block (unencrypted).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self> {
        let (label, der) = spki::der::pem::decode_vec(pem.trim().as_bytes())
            .map_err(|e| key_err("private key", format!("not PEM: {e}")))?;
        match label {
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "PUBLIC KEY" => Err(key_err(
                "private key",
                "this is a public key (PEM label \"PUBLIC KEY\")",
            )),
            "EC PRIVATE KEY" => Err(key_err(
                "private key",
                "SEC1 \"EC PRIVATE KEY\" is not read; convert it with `openssl pkcs8 -topk8 -nocrypt`",
            )),
            other => Err(key_err(
                "private key",
                format!("PEM label is {other:?}, expected \"PRIVATE KEY\" (unencrypted PKCS#8)"),
            )),
        }
    }

    /// Parses a DER PKCS#8 PrivateKeyInfo (v1 or v2).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfo::try_from(der)
            .map_err(|e| key_err("private key", format!("not PKCS#8: {e}")))?;
        let algorithm = algorithm_of(&info.algorithm, "private key")?;
        let pair = match algorithm {
            Algorithm::EcdsaP256Sha256 => Pair::Ecdsa(
                sig::EcdsaKeyPair::from_pkcs8(
                    &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
                    der,
                    &SystemRandom::new(),
                )
                .map_err(|e| key_err("private key", format!("P-256 key rejected: {e}")))?,
            ),
            Algorithm::Ed25519 => Pair::Ed25519(
                sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                    .map_err(|e| key_err("private key", format!("Ed25519 key rejected: {e}")))?,
            ),
        };
        let raw = match &pair {
            Pair::Ecdsa(p) => p.public_key().as_ref().to_vec(),
            Pair::Ed25519(p) => p.public_key().as_ref().to_vec(),
        };
        // ring writes Ed25519 keys as PKCS#8 v2 (with the public key), which
        // OpenSSL 3 reads but Python's `cryptography` does not; keep the v1
        // form of RFC 8410 that every peer reads.
        let pkcs8 = match algorithm {
            Algorithm::Ed25519 => pkcs8::PrivateKeyInfo {
                public_key: None,
                ..info
            }
            .to_der()
            .map_err(|e| key_err("private key", e.to_string()))?,
            Algorithm::EcdsaP256Sha256 => der.to_vec(),
        };
        Ok(PrivateKey {
            public: PublicKey::from_raw(algorithm, &raw)?,
            pair,
            pkcs8,
        })
    }

    /// The PKCS#8 `PRIVATE KEY` PEM encoding.
    pub fn to_pkcs8_pem(&self) -> String {
        spki::der::pem::encode_string("PRIVATE KEY", LineEnding::LF, &self.pkcs8)
            .unwrap_or_default()
    }
}

impl Signer for PrivateKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        match &self.pair {
            Pair::Ecdsa(p) => p
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| Error::Sign(e.to_string())),
            Pair::Ed25519(p) => Ok(p.sign(message).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_save_load_sign_verify_both_algorithms() {
        for alg in [Algorithm::EcdsaP256Sha256, Algorithm::Ed25519] {
            let key = PrivateKey::generate(alg).unwrap();
            let reloaded = PrivateKey::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
            assert_eq!(reloaded.public_key(), key.public_key());
            let public = PublicKey::from_pem(&key.public_key().to_pem()).unwrap();
            assert_eq!(public.algorithm(), alg);
            let sig = reloaded.sign(b"message").unwrap();
            public.verify(b"message", &sig).unwrap();
            let err = public.verify(b"other", &sig).unwrap_err().to_string();
            assert!(err.contains("does not verify with key"), "{err}");
        }
    }

    #[test]
    fn ed25519_private_keys_are_written_as_pkcs8_v1() {
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let (_, der) = spki::der::pem::decode_vec(key.to_pkcs8_pem().as_bytes()).unwrap();
        // RFC 8410 v1: version 0, no public key, 48 bytes in all.
        assert_eq!(der.len(), 48);
        assert_eq!(
            &der[..16],
            &hex::decode("302e020100300506032b657004220420").unwrap()[..]
        );
    }

    #[test]
    fn key_id_is_sha256_of_spki_and_hint_matches_sigstore() {
        // The conformance suite's managed key and the hint its bundles carry.
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExRRST79+PsrRBnGAI4cMu6Omz2Jh\nfwlMW+gIutNKVRaMyS4rQKvgngc5p8UbLj55pVHhIoAxi/SRgURZI0J3Xw==\n-----END PUBLIC KEY-----\n";
        let key = PublicKey::from_pem(pem).unwrap();
        assert_eq!(
            key.key_id().hint(),
            "TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk="
        );
        assert_eq!(key.key_id().to_string(), sha256(key.spki_der()).hex());
        assert_eq!(key.to_pem(), pem);
    }

    #[test]
    fn rejects_files_that_are_not_keys_with_a_reason() {
        let cases = [
            ("hello world", "not PEM"),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "expected \"PUBLIC KEY\"",
            ),
            (
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                "not a SubjectPublicKeyInfo",
            ),
        ];
        for (text, needle) in cases {
            let err = PublicKey::from_pem(text).unwrap_err().to_string();
            assert!(
                err.contains("not a usable public key") && err.contains(needle),
                "{err}"
            );
        }
        let public = PrivateKey::generate(Algorithm::Ed25519)
            .unwrap()
            .public_key()
            .to_pem();
        let err = PrivateKey::from_pkcs8_pem(&public).unwrap_err().to_string();
        assert!(err.contains("this is a public key"), "{err}");
        let err = PrivateKey::from_pkcs8_pem(
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("openssl pkcs8"), "{err}");
        let err = "rsa".parse::<Algorithm>().unwrap_err().to_string();
        assert!(err.contains("expected ecdsa-p256 or ed25519"), "{err}");
    }

    #[test]
    fn rejects_unsupported_curves() {
        // A P-384 SPKI (secp384r1) from OpenSSL.
        let p384 = "-----BEGIN PUBLIC KEY-----\nMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEaZOSnuqLIo9/dlBHCsIruoS5UlgBvcDW\n8Cbijq/nsx6J7mret+eDoazf8W8+50sCqesfyk6aVA0DJDU24t+l/PnFPL/q9cIH\na9BkoRborZxl4VovhA8WpiEjJCcRGyt5\n-----END PUBLIC KEY-----\n";
        let err = PublicKey::from_pem(p384).unwrap_err().to_string();
        assert!(
            err.contains("1.3.132.0.34") && err.contains("not supported"),
            "{err}"
        );
    }
}
