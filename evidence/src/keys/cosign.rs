//! cosign's encrypted private keys: PEM `ENCRYPTED SIGSTORE PRIVATE KEY`
//! (what cosign writes today) or `ENCRYPTED COSIGN PRIVATE KEY` (older
//! cosign), read and written so that a key moves between cosign and vouch
//! without being decrypted to disk.
//!
//! The PEM body is the JSON document of go-securesystemslib's `encrypted`
//! package, which cosign's `pkg/cosign/keys.go` uses:
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<b64>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<b64>"},
//!  "ciphertext":"<b64>"}
//! ```
//!
//! The password goes through scrypt (N, r, p and salt from the file) to a
//! 32-byte key, which opens the NaCl secretbox (XSalsa20-Poly1305, 24-byte
//! nonce); inside is the key's PKCS#8 DER, as `x509.MarshalPKCS8PrivateKey`
//! wrote it.
//!
//! The file chooses the scrypt parameters, so a hostile file could ask for
//! gigabytes of memory or hours of work before the password is even
//! checked: parameters above [`MAX_LOG_N`], [`MAX_R`] and [`MAX_P`] are
//! refused before any work is done. The limits admit every set
//! go-securesystemslib writes (N = 2^15, 2^16 or 2^17 with r = 8, p = 1).

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use crypto_secretbox::XSalsa20Poly1305;
use ring::rand::{SecureRandom as _, SystemRandom};
use spki::der::pem::LineEnding;

use super::{key_err, PrivateKey};
use crate::encoding::{decode_b64, encode_b64};
use crate::Result;

/// The PEM label cosign writes today (and vouch writes).
pub const SIGSTORE_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The PEM label older cosign releases wrote; still read.
pub const COSIGN_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// The largest scrypt cost exponent read: N ≤ 2^17 (131072), the
/// strongest set go-securesystemslib writes. With r ≤ 8 that is at most
/// 128 MiB of memory.
pub const MAX_LOG_N: u8 = 17;
/// The largest scrypt block size read (go-securesystemslib always writes 8).
pub const MAX_R: u32 = 8;
/// The largest scrypt parallelism read (go-securesystemslib always writes
/// 1); vouch runs the lanes one after another, so p multiplies the time.
pub const MAX_P: u32 = 4;

/// cosign's default parameters (go-securesystemslib's `Standard`), which
/// vouch writes: N = 2^16, r = 8, p = 1 (64 MiB, well under a second).
const WRITE_LOG_N: u8 = 16;
const WRITE_R: u32 = 8;
const WRITE_P: u32 = 1;

const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;
/// A salt longer than this is not a salt but an attempt to make scrypt's
/// first PBKDF2 pass expensive.
const MAX_SALT_LEN: usize = 1024;

const KDF_SCRYPT: &str = "scrypt";
const CIPHER_SECRETBOX: &str = "nacl/secretbox";
const WHAT: &str = "encrypted private key";

#[derive(Serialize, Deserialize)]
struct Document {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: Params,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct Params {
    #[serde(rename = "N")]
    n: u64,
    r: u64,
    p: u64,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

/// Whether `pem` is one of cosign's encrypted private keys (by its PEM
/// label), so that a caller knows to ask for a password before
/// [`decrypt`]. Leading white space is ignored, as PEM readers do.
pub fn is_encrypted(pem: &str) -> bool {
    let text = pem.trim_start();
    [SIGSTORE_LABEL, COSIGN_LABEL]
        .iter()
        .any(|label| text.starts_with(&format!("-----BEGIN {label}-----")))
}

/// Decrypts a cosign encrypted private key with `password` and parses the
/// PKCS#8 key inside.
///
/// A wrong password and a changed file cannot be told apart (the secretbox
/// authenticates both): either is the error "wrong password or corrupted
/// key". KDF parameters above the limits are refused before scrypt runs.
pub fn decrypt(pem: &str, password: &[u8]) -> Result<PrivateKey> {
    let der = decrypt_pkcs8(pem, password)?;
    if is_sec1(&der) {
        return Err(key_err(
            WHAT,
            "the password is right, but the key inside is SEC1 (\"EC PRIVATE KEY\"), \
             not PKCS#8; cosign does not read it either",
        ));
    }
    PrivateKey::from_pkcs8_der(&der)
}

/// Decrypts a cosign encrypted private key with `password` and returns the
/// plaintext (the key's PKCS#8 DER), wiped from memory when dropped.
pub fn decrypt_pkcs8(pem: &str, password: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let (label, body) = spki::der::pem::decode_vec(pem.trim().as_bytes())
        .map_err(|e| key_err(WHAT, format!("not PEM: {e}")))?;
    if label != SIGSTORE_LABEL && label != COSIGN_LABEL {
        return Err(key_err(
            WHAT,
            format!("PEM label is {label:?}, expected {SIGSTORE_LABEL:?} or {COSIGN_LABEL:?}"),
        ));
    }
    let doc: Document = serde_json::from_slice(&body)
        .map_err(|e| key_err(WHAT, format!("the PEM body is not cosign's JSON: {e}")))?;
    if doc.kdf.name != KDF_SCRYPT {
        return Err(key_err(
            WHAT,
            format!("kdf {:?} is not supported (only \"scrypt\")", doc.kdf.name),
        ));
    }
    if doc.cipher.name != CIPHER_SECRETBOX {
        return Err(key_err(
            WHAT,
            format!(
                "cipher {:?} is not supported (only \"nacl/secretbox\")",
                doc.cipher.name
            ),
        ));
    }
    let params = scrypt_params(&doc.kdf.params)?;
    let salt = decode_b64("kdf.salt", &doc.kdf.salt)?;
    if salt.is_empty() || salt.len() > MAX_SALT_LEN {
        return Err(key_err(
            WHAT,
            format!(
                "kdf salt is {} bytes, expected 1 to {MAX_SALT_LEN}",
                salt.len()
            ),
        ));
    }
    let nonce = decode_b64("cipher.nonce", &doc.cipher.nonce)?;
    if nonce.len() != NONCE_LEN {
        return Err(key_err(
            WHAT,
            format!(
                "secretbox nonce is {} bytes, expected {NONCE_LEN}",
                nonce.len()
            ),
        ));
    }
    let ciphertext = decode_b64("ciphertext", &doc.ciphertext)?;
    let key = derive(password, &salt, &params)?;
    let cipher = XSalsa20Poly1305::new(crypto_secretbox::Key::from_slice(&key[..]));
    cipher
        .decrypt(crypto_secretbox::Nonce::from_slice(&nonce), &ciphertext[..])
        .map(Zeroizing::new)
        .map_err(|_| key_err(WHAT, "wrong password or corrupted key"))
}

/// Encrypts `key` with `password` in cosign's format, with cosign's
/// default scrypt parameters (N = 65536, r = 8, p = 1), a fresh random
/// salt and nonce, under the PEM label `ENCRYPTED SIGSTORE PRIVATE KEY`.
pub fn encrypt(key: &PrivateKey, password: &[u8]) -> Result<String> {
    let rng = SystemRandom::new();
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut salt)
        .and_then(|()| rng.fill(&mut nonce))
        .map_err(|_| key_err(WHAT, "the system's random source failed"))?;
    encrypt_with(&key.pkcs8, password, WRITE_LOG_N, &salt, &nonce)
}

/// Builds the PEM from its parts (tests pin the salt, nonce and N).
fn encrypt_with(
    pkcs8: &[u8],
    password: &[u8],
    log_n: u8,
    salt: &[u8],
    nonce: &[u8; NONCE_LEN],
) -> Result<String> {
    let wanted = Params {
        n: 1u64 << log_n,
        r: u64::from(WRITE_R),
        p: u64::from(WRITE_P),
    };
    let key = derive(password, salt, &scrypt_params(&wanted)?)?;
    let cipher = XSalsa20Poly1305::new(crypto_secretbox::Key::from_slice(&key[..]));
    let ciphertext = cipher
        .encrypt(crypto_secretbox::Nonce::from_slice(nonce), pkcs8)
        .map_err(|_| key_err(WHAT, "secretbox encryption failed"))?;
    let doc = Document {
        kdf: Kdf {
            name: KDF_SCRYPT.into(),
            params: wanted,
            salt: encode_b64(salt),
        },
        cipher: Cipher {
            name: CIPHER_SECRETBOX.into(),
            nonce: encode_b64(nonce),
        },
        ciphertext: encode_b64(&ciphertext),
    };
    let json = serde_json::to_vec(&doc).map_err(|e| key_err(WHAT, e.to_string()))?;
    spki::der::pem::encode_string(SIGSTORE_LABEL, LineEnding::LF, &json)
        .map_err(|e| key_err(WHAT, e.to_string()))
}

/// Checks the file's scrypt parameters against the limits, naming them.
fn scrypt_params(params: &Params) -> Result<scrypt::Params> {
    let Params { n, r, p } = *params;
    let limit = || {
        format!(
            "scrypt parameters N={n}, r={r}, p={p} are over vouch's limit \
             (N ≤ 2^{MAX_LOG_N} = {}, r ≤ {MAX_R}, p ≤ {MAX_P}: at most 128 MiB of memory); \
             a key file that asks for more is refused",
            1u64 << MAX_LOG_N
        )
    };
    if n > 1u64 << MAX_LOG_N || r > u64::from(MAX_R) || p > u64::from(MAX_P) {
        return Err(key_err(WHAT, limit()));
    }
    if n < 2 || !n.is_power_of_two() || r == 0 || p == 0 {
        return Err(key_err(
            WHAT,
            format!(
                "scrypt parameters N={n}, r={r}, p={p} are invalid \
                 (N a power of two ≥ 2, r ≥ 1, p ≥ 1)"
            ),
        ));
    }
    // Bounded above, so the casts are exact.
    let log_n = n.trailing_zeros() as u8;
    scrypt::Params::new(log_n, r as u32, p as u32, KEY_LEN).map_err(|e| {
        key_err(
            WHAT,
            format!("scrypt parameters N={n}, r={r}, p={p} are invalid: {e}"),
        )
    })
}

fn derive(
    password: &[u8],
    salt: &[u8],
    params: &scrypt::Params,
) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(password, salt, params, &mut key[..])
        .map_err(|e| key_err(WHAT, format!("scrypt failed: {e}")))?;
    Ok(key)
}

/// Whether `der` is a SEC1 ECPrivateKey (version 1 then an OCTET STRING)
/// rather than a PKCS#8 PrivateKeyInfo (version 0 or 1 then a SEQUENCE).
fn is_sec1(der: &[u8]) -> bool {
    use spki::der::asn1::{OctetStringRef, UintRef};
    use spki::der::{Decode as _, Reader as _, SliceReader};
    let Ok(mut outer) = SliceReader::new(der) else {
        return false;
    };
    outer
        .sequence(|seq| {
            let version = UintRef::decode(seq)?;
            let _ = OctetStringRef::decode(seq)?;
            let _ = seq.read_slice(seq.remaining_len())?;
            Ok(version.as_bytes() == [1])
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Algorithm, Signer as _};

    /// cosign's `pkg/cosign/keys_test.go` vectors (password "hello"),
    /// copied to testdata/cosign-keys/ (SOURCE.md there).
    const SIGSTORE_KEY: &str = include_str!("../../../testdata/cosign-keys/sigstore.key");
    const COSIGN_KEY: &str = include_str!("../../../testdata/cosign-keys/cosign.key");
    const COSIGN_SEC1_KEY: &str = include_str!("../../../testdata/cosign-keys/cosign-sec1.key");
    const PASSWORD: &[u8] = b"hello";

    fn body(pem: &str) -> (String, serde_json::Value) {
        let (label, body) = spki::der::pem::decode_vec(pem.trim().as_bytes()).unwrap();
        (label.to_string(), serde_json::from_slice(&body).unwrap())
    }

    fn rewrap(label: &str, doc: &serde_json::Value) -> String {
        let json = serde_json::to_vec(doc).unwrap();
        spki::der::pem::encode_string(label, LineEnding::LF, &json).unwrap()
    }

    fn err(pem: &str, password: &[u8]) -> String {
        decrypt(pem, password).unwrap_err().to_string()
    }

    #[test]
    fn cosign_test_keys_of_both_labels_decrypt_sign_and_verify() {
        for pem in [SIGSTORE_KEY, COSIGN_KEY] {
            assert!(is_encrypted(pem));
            let key = decrypt(pem, PASSWORD).unwrap();
            assert_eq!(key.public_key().algorithm(), Algorithm::EcdsaP256Sha256);
            let signature = key.sign(b"artifact").unwrap();
            key.public_key().verify(b"artifact", &signature).unwrap();
            assert!(key.public_key().verify(b"other", &signature).is_err());
        }
        assert!(!is_encrypted(
            &PrivateKey::generate(Algorithm::Ed25519)
                .unwrap()
                .to_pkcs8_pem()
        ));
    }

    #[test]
    fn the_sec1_key_cosign_refuses_is_refused_with_the_reason() {
        // cosign's own test expects "use ParseECPrivateKey instead" here.
        let e = err(COSIGN_SEC1_KEY, PASSWORD);
        assert!(e.contains("SEC1") && e.contains("password is right"), "{e}");
    }

    #[test]
    fn wrong_password_is_an_error_saying_so() {
        for pem in [SIGSTORE_KEY, COSIGN_KEY] {
            for password in [&b"wrong"[..], b"", b"hello "] {
                let e = err(pem, password);
                assert!(e.contains("wrong password or corrupted key"), "{e}");
            }
        }
    }

    #[test]
    fn a_changed_ciphertext_byte_nonce_or_salt_is_refused() {
        let (label, doc) = body(SIGSTORE_KEY);
        for (field, pointer) in [
            ("ciphertext", "/ciphertext"),
            ("salt", "/kdf/salt"),
            ("nonce", "/cipher/nonce"),
        ] {
            let original = doc.pointer(pointer).unwrap().as_str().unwrap();
            let mut bytes = decode_b64("test", original).unwrap();
            for i in [0, bytes.len() / 2, bytes.len() - 1] {
                bytes[i] ^= 0x01;
                let mut changed = doc.clone();
                *changed.pointer_mut(pointer).unwrap() = encode_b64(&bytes).into();
                let pem = rewrap(&label, &changed);
                let e = err(&pem, PASSWORD);
                assert!(
                    e.contains("wrong password or corrupted key"),
                    "{field}[{i}]: {e}"
                );
                bytes[i] ^= 0x01;
            }
        }
        // The unchanged document still decrypts once re-wrapped.
        decrypt(&rewrap(&label, &doc), PASSWORD).unwrap();
    }

    #[test]
    fn regression_issue_17_hostile_kdf_parameters_are_refused_before_scrypt_runs() {
        let (label, doc) = body(SIGSTORE_KEY);
        // Each of these would take gigabytes or hours if scrypt ran.
        for (n, r, p) in [
            (1u64 << 18, 8, 1),
            (1u64 << 30, 8, 1),
            (u64::MAX, 8, 1),
            (1u64 << 16, 9, 1),
            (1u64 << 16, 1 << 20, 1),
            (1u64 << 16, 8, 5),
            (1u64 << 16, 8, 1 << 30),
        ] {
            let mut hostile = doc.clone();
            hostile["kdf"]["params"] = serde_json::json!({"N": n, "r": r, "p": p});
            let start = std::time::Instant::now();
            let e = err(&rewrap(&label, &hostile), PASSWORD);
            assert!(
                e.contains("over vouch's limit") && e.contains("N ≤ 2^17 = 131072"),
                "{n} {r} {p}: {e}"
            );
            assert!(start.elapsed() < std::time::Duration::from_secs(2));
        }
        for (n, r, p) in [
            (0u64, 8, 1),
            (3, 8, 1),
            (1000, 8, 1),
            (1024, 0, 1),
            (1024, 8, 0),
        ] {
            let mut bad = doc.clone();
            bad["kdf"]["params"] = serde_json::json!({"N": n, "r": r, "p": p});
            let e = err(&rewrap(&label, &bad), PASSWORD);
            assert!(e.contains("are invalid"), "{n} {r} {p}: {e}");
        }
        // A negative or fractional parameter is not a number scrypt takes.
        let mut bad = doc.clone();
        bad["kdf"]["params"]["N"] = serde_json::json!(-65536);
        assert!(err(&rewrap(&label, &bad), PASSWORD).contains("not cosign's JSON"));
        // A huge salt is refused too (it would feed PBKDF2 a large input).
        let mut salty = doc.clone();
        salty["kdf"]["salt"] = encode_b64(&[0u8; 4096]).into();
        let e = err(&rewrap(&label, &salty), PASSWORD);
        assert!(e.contains("kdf salt is 4096 bytes"), "{e}");
    }

    #[test]
    fn other_kdfs_ciphers_labels_and_shapes_are_refused_by_name() {
        let (label, doc) = body(SIGSTORE_KEY);
        let mut other = doc.clone();
        other["kdf"]["name"] = "argon2".into();
        assert!(err(&rewrap(&label, &other), PASSWORD).contains("kdf \"argon2\""));
        let mut other = doc.clone();
        other["cipher"]["name"] = "aes-gcm".into();
        assert!(err(&rewrap(&label, &other), PASSWORD).contains("cipher \"aes-gcm\""));
        let mut other = doc.clone();
        other["cipher"]["nonce"] = encode_b64(&[0u8; 12]).into();
        assert!(err(&rewrap(&label, &other), PASSWORD).contains("nonce is 12 bytes"));
        let e = err(&rewrap("ENCRYPTED PRIVATE KEY", &doc), PASSWORD);
        assert!(e.contains("PEM label is \"ENCRYPTED PRIVATE KEY\""), "{e}");
        let e = err(&rewrap(&label, &serde_json::json!({"kdf": 1})), PASSWORD);
        assert!(e.contains("not cosign's JSON"), "{e}");
        assert!(err("garbage", PASSWORD).contains("not PEM"));
    }

    #[test]
    fn written_keys_read_back_in_cosigns_shape() {
        for alg in [Algorithm::EcdsaP256Sha256, Algorithm::Ed25519] {
            let key = PrivateKey::generate(alg).unwrap();
            let pem = encrypt(&key, b"s3cret").unwrap();
            assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
            let (_, doc) = body(&pem);
            assert_eq!(doc["kdf"]["name"], "scrypt");
            assert_eq!(
                doc["kdf"]["params"],
                serde_json::json!({"N": 65536, "r": 8, "p": 1})
            );
            assert_eq!(
                decode_b64("s", doc["kdf"]["salt"].as_str().unwrap())
                    .unwrap()
                    .len(),
                32
            );
            assert_eq!(doc["cipher"]["name"], "nacl/secretbox");
            let back = decrypt(&pem, b"s3cret").unwrap();
            assert_eq!(back.public_key(), key.public_key());
            assert_eq!(&decrypt_pkcs8(&pem, b"s3cret").unwrap()[..], &key.pkcs8[..]);
            assert!(err(&pem, b"s3cre").contains("wrong password"));
            // Two encryptions of one key share neither salt nor nonce.
            let (_, again) = body(&encrypt(&key, b"s3cret").unwrap());
            assert_ne!(again["kdf"]["salt"], doc["kdf"]["salt"]);
            assert_ne!(again["cipher"]["nonce"], doc["cipher"]["nonce"]);
        }
    }

    #[test]
    fn the_json_is_byte_for_byte_what_go_securesystemslib_writes() {
        // Field order and compact form of Go's json.Marshal of its structs.
        let key = PrivateKey::generate(Algorithm::EcdsaP256Sha256).unwrap();
        let pem = encrypt_with(&key.pkcs8, b"pw", 10, &[7u8; 32], &[9u8; 24]).unwrap();
        let (_, raw) = spki::der::pem::decode_vec(pem.as_bytes()).unwrap();
        let text = String::from_utf8(raw).unwrap();
        let prefix = format!(
            "{{\"kdf\":{{\"name\":\"scrypt\",\"params\":{{\"N\":1024,\"r\":8,\"p\":1}},\"salt\":\"{}\"}},\"cipher\":{{\"name\":\"nacl/secretbox\",\"nonce\":\"{}\"}},\"ciphertext\":\"",
            encode_b64(&[7u8; 32]),
            encode_b64(&[9u8; 24])
        );
        assert!(text.starts_with(&prefix), "{text}");
        // The cosign vector's own JSON has that shape too.
        let (_, vector) = spki::der::pem::decode_vec(SIGSTORE_KEY.trim().as_bytes()).unwrap();
        assert!(String::from_utf8(vector).unwrap().starts_with(
            "{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":32768,\"r\":8,\"p\":1},\"salt\":\""
        ));
    }
}
