//! Keys on a PKCS#11 token (an HSM, a smart card, SoftHSM2), named by an
//! RFC 7512 URI as cosign names them:
//! `pkcs11:token=T;object=LABEL?module-path=/usr/lib/softhsm/libsofthsm2.so`.
//!
//! The private key never leaves the token: vouch hashes the message
//! (P-256: SHA-256, then `CKM_ECDSA` over the digest, whose raw `r || s`
//! is re-encoded as the ASN.1 DER Sigstore expects) or hands it whole to
//! the token (Ed25519: `CKM_EDDSA`), and reads the public key from the
//! token's public key object (`CKA_EC_POINT`, its curve checked against
//! `CKA_EC_PARAMS`). `vouch keygen --kms` makes the pair on the token,
//! the private half sensitive and not extractable.
//!
//! The user PIN comes from `--pin-file`, else `VOUCH_PKCS11_PIN`, else the
//! URI's `pin-source` (a file) or `pin-value`; it is never written into a
//! message.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{anyhow, bail, Context as _, Result};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use vouch_evidence::digest::sha256;
use vouch_evidence::keys::{Algorithm, PublicKey, Signer as KeySigner};

use super::KeyOptions;
use crate::files::read_capped;

/// The environment variable that holds the user PIN when `--pin-file` is
/// not given.
pub const PIN_ENV: &str = "VOUCH_PKCS11_PIN";

/// The largest PIN file read (a PIN is a few bytes).
const MAX_PIN_BYTES: u64 = 4096;

/// DER of the OID of NIST P-256 (secp256r1, 1.2.840.10045.3.1.7), the
/// `CKA_EC_PARAMS` of a P-256 key.
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of the OID id-Ed25519 (1.3.101.112), the `CKA_EC_PARAMS` of an
/// Ed25519 key as PKCS#11 3.0 names it.
const ED25519_OID_PARAMS: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// DER PrintableString "edwards25519", the other `CKA_EC_PARAMS` PKCS#11
/// 3.0 allows for Ed25519 (some tokens write it).
const ED25519_NAME_PARAMS: &[u8] = b"\x13\x0cedwards25519";

/// A parsed `pkcs11:` URI: which module, which token, which key, and the
/// PIN it carries, if any.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `module-path`: the PKCS#11 module (shared library) to load.
    pub module_path: PathBuf,
    /// `token`: the token's label.
    pub token: Option<String>,
    /// `serial`: the token's serial number.
    pub serial: Option<String>,
    /// `manufacturer`: the token's manufacturer id.
    pub manufacturer: Option<String>,
    /// `model`: the token's model.
    pub model: Option<String>,
    /// `slot-id`: the slot's number.
    pub slot_id: Option<u64>,
    /// `object`: the key's label (`CKA_LABEL`).
    pub object: Option<Vec<u8>>,
    /// `id`: the key's id (`CKA_ID`), percent-decoded bytes.
    pub id: Option<Vec<u8>>,
    /// `pin-value`: the PIN in the URI itself (visible in process lists).
    pin_value: Option<String>,
    /// `pin-source`: a file holding the PIN (`file:` URI or path).
    pin_source: Option<PathBuf>,
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Uri")
            .field("module_path", &self.module_path)
            .field("token", &self.token)
            .field("slot_id", &self.slot_id)
            .field(
                "object",
                &self.object.as_deref().map(String::from_utf8_lossy),
            )
            .field("id", &self.id.as_deref().map(hex))
            .field("pin_value", &self.pin_value.as_ref().map(|_| "<hidden>"))
            .field("pin_source", &self.pin_source)
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Percent-decodes an RFC 7512 attribute value: every `%` must be followed
/// by two hex digits, and only the characters the RFC's grammar allows
/// may appear unencoded (`query` adds `/ ? |` to the path's set).
fn percent_decode(name: &str, value: &str, query: bool) -> Result<Vec<u8>> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let pair = bytes.get(i + 1..i + 3).unwrap_or_default();
            let decoded = std::str::from_utf8(pair)
                .ok()
                .filter(|p| p.len() == 2 && p.bytes().all(|c| c.is_ascii_hexdigit()))
                .and_then(|p| u8::from_str_radix(p, 16).ok());
            match decoded {
                Some(d) => out.push(d),
                None => bail!("attribute {name}: \"%\" is not followed by two hex digits"),
            }
            i += 3;
            continue;
        }
        let unreserved = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        let extra_path = b":[]@!$'()*+,=&".contains(&b);
        let extra_query = b":[]@!$'()*+,=/?|".contains(&b);
        if !(unreserved || if query { extra_query } else { extra_path }) {
            bail!(
                "attribute {name}: character {:?} must be percent-encoded",
                char::from(b)
            );
        }
        out.push(b);
        i += 1;
    }
    Ok(out)
}

fn utf8(name: &str, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| anyhow!("attribute {name}: not UTF-8 once decoded"))
}

impl Pkcs11Uri {
    /// Parses `text` (RFC 7512): path attributes `token`, `serial`,
    /// `manufacturer`, `model`, `slot-id`, `object`, `id` and `type`, query
    /// attributes `module-path` (required, absolute), `pin-value` and
    /// `pin-source`. Any other attribute, a repeated one, or a malformed
    /// value is refused by name.
    pub fn parse(text: &str) -> Result<Self> {
        let rest = text
            .strip_prefix("pkcs11:")
            .ok_or_else(|| anyhow!("not a pkcs11: URI"))?;
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let mut uri = Pkcs11Uri {
            module_path: PathBuf::new(),
            token: None,
            serial: None,
            manufacturer: None,
            model: None,
            slot_id: None,
            object: None,
            id: None,
            pin_value: None,
            pin_source: None,
        };
        let mut seen: Vec<String> = Vec::new();
        let mut module_path = None;
        let mut pairs = Vec::new();
        if !path.is_empty() {
            pairs.extend(path.split(';').map(|p| (p, false)));
        }
        if let Some(query) = query {
            if query.is_empty() {
                bail!("empty query after \"?\"");
            }
            pairs.extend(query.split('&').map(|p| (p, true)));
        }
        for (pair, in_query) in pairs {
            let Some((name, value)) = pair.split_once('=') else {
                bail!("attribute {pair:?} has no \"=\" (expected NAME=VALUE)");
            };
            if seen.iter().any(|s| s == name) {
                bail!("attribute {name} is given twice");
            }
            seen.push(name.to_string());
            let decoded = percent_decode(name, value, in_query)?;
            match (name, in_query) {
                ("token", false) => uri.token = Some(utf8(name, decoded)?),
                ("serial", false) => uri.serial = Some(utf8(name, decoded)?),
                ("manufacturer", false) => uri.manufacturer = Some(utf8(name, decoded)?),
                ("model", false) => uri.model = Some(utf8(name, decoded)?),
                ("slot-id", false) => {
                    let text = utf8(name, decoded)?;
                    let id = text
                        .parse::<u64>()
                        .ok()
                        .filter(|_| text.bytes().all(|b| b.is_ascii_digit()));
                    uri.slot_id = Some(id.ok_or_else(|| {
                        anyhow!("attribute slot-id: {text:?} is not a decimal number")
                    })?);
                }
                ("object", false) => uri.object = Some(decoded),
                ("id", false) => uri.id = Some(decoded),
                ("type", false) => {
                    let text = utf8(name, decoded)?;
                    if !matches!(text.as_str(), "private" | "public") {
                        bail!(
                            "attribute type: {text:?} is not a key pair's object \
                             (private or public)"
                        );
                    }
                }
                ("module-path", true) => {
                    let path = PathBuf::from(utf8(name, decoded)?);
                    if !path.is_absolute() {
                        bail!(
                            "attribute module-path: {} is not an absolute path",
                            path.display()
                        );
                    }
                    module_path = Some(path);
                }
                ("pin-value", true) => uri.pin_value = Some(utf8(name, decoded)?),
                ("pin-source", true) => {
                    let text = utf8(name, decoded)?;
                    let file = text.strip_prefix("file:").unwrap_or(&text);
                    // `file:///p` and `file:/p` both name /p.
                    let file = file.strip_prefix("//").unwrap_or(file);
                    if !file.starts_with('/') {
                        bail!(
                            "attribute pin-source: {text:?} is not a file (file:/PATH or an \
                             absolute path)"
                        );
                    }
                    uri.pin_source = Some(PathBuf::from(file));
                }
                (
                    "library-manufacturer"
                    | "library-description"
                    | "library-version"
                    | "slot-description"
                    | "slot-manufacturer",
                    false,
                )
                | ("module-name", true) => {
                    bail!("attribute {name} is not supported (name the module by module-path)")
                }
                (_, false) => bail!(
                    "unknown path attribute {name:?} (known: token, serial, manufacturer, \
                     model, slot-id, object, id, type)"
                ),
                (_, true) => bail!(
                    "unknown query attribute {name:?} (known: module-path, pin-value, pin-source)"
                ),
            }
        }
        if uri.pin_value.is_some() && uri.pin_source.is_some() {
            bail!("pin-value and pin-source are both given: keep one");
        }
        uri.module_path = module_path.ok_or_else(|| {
            anyhow!(
                "no module-path: add ?module-path=/ABSOLUTE/PATH/OF/THE/MODULE.so \
                 (for SoftHSM2, /usr/lib/softhsm/libsofthsm2.so)"
            )
        })?;
        if uri.object.is_none() && uri.id.is_none() {
            bail!("no key named: add object=LABEL (or id=%XX...)");
        }
        Ok(uri)
    }

    /// The key as messages name it: its label, else its id in hex.
    fn key_name(&self) -> String {
        match (&self.object, &self.id) {
            (Some(label), _) => format!("labelled {:?}", String::from_utf8_lossy(label)),
            (None, Some(id)) => format!("with id {}", hex(id)),
            (None, None) => "(unnamed)".to_string(),
        }
    }
}

/// Reads the user PIN: `--pin-file`, else `VOUCH_PKCS11_PIN`, else the
/// URI's `pin-source`, else its `pin-value`. A trailing newline in a file
/// is dropped.
fn user_pin(uri: &Pkcs11Uri, options: &KeyOptions) -> Result<AuthPin> {
    let from_file = |path: &Path, what: &str| -> Result<AuthPin> {
        let bytes = read_capped(path, MAX_PIN_BYTES, what)?;
        let mut text = String::from_utf8(bytes)
            .map_err(|_| anyhow!("{what} {} is not UTF-8 text", path.display()))?;
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        if text.is_empty() {
            bail!("{what} {} is empty", path.display());
        }
        Ok(AuthPin::from(text))
    };
    if let Some(path) = &options.pin_file {
        return from_file(path, "PIN file (--pin-file)");
    }
    if let Ok(pin) = std::env::var(PIN_ENV) {
        if pin.is_empty() {
            bail!("{PIN_ENV} is set but empty");
        }
        return Ok(AuthPin::from(pin));
    }
    if let Some(path) = &uri.pin_source {
        return from_file(path, "PIN file (pin-source)");
    }
    if let Some(pin) = &uri.pin_value {
        return Ok(AuthPin::from(pin.clone()));
    }
    bail!("no PIN: pass --pin-file FILE or set {PIN_ENV}")
}

/// Loads the module the URI names and initializes it.
fn load_module(uri: &Pkcs11Uri) -> Result<Pkcs11> {
    let path = &uri.module_path;
    if !path.exists() {
        bail!("PKCS#11 module {}: no such file", path.display());
    }
    let context = Pkcs11::new(path).map_err(|e| match e {
        P11Error::MissingSymbol(symbol) => anyhow!(
            "{} is not a PKCS#11 module (it has no {symbol})",
            path.display()
        ),
        P11Error::LibraryLoading(e) => anyhow!(
            "{} is not a PKCS#11 module: it cannot be loaded ({e})",
            path.display()
        ),
        other => anyhow!("PKCS#11 module {}: {other}", path.display()),
    })?;
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(P11Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => Ok(context),
        Err(e) => bail!(
            "PKCS#11 module {}: C_Initialize failed: {e}",
            path.display()
        ),
    }
}

/// The one slot whose token the URI names.
fn find_slot(context: &Pkcs11, uri: &Pkcs11Uri) -> Result<(Slot, String)> {
    let module = uri.module_path.display();
    // Initialized tokens only: SoftHSM2 always offers an empty one.
    let slots = context
        .get_slots_with_initialized_token()
        .with_context(|| format!("PKCS#11 module {module}: cannot list its slots"))?;
    let mut labels = Vec::new();
    let mut matching = Vec::new();
    for slot in slots {
        let info = context
            .get_token_info(slot)
            .with_context(|| format!("PKCS#11 module {module}: cannot read slot {}", slot.id()))?;
        let label = info.label().trim_end().to_string();
        labels.push(label.clone());
        let matches = uri.slot_id.is_none_or(|id| id == slot.id())
            && uri.token.as_deref().is_none_or(|t| t == label)
            && uri
                .serial
                .as_deref()
                .is_none_or(|s| s == info.serial_number().trim_end())
            && uri
                .manufacturer
                .as_deref()
                .is_none_or(|m| m == info.manufacturer_id().trim_end())
            && uri
                .model
                .as_deref()
                .is_none_or(|m| m == info.model().trim_end());
        if matches {
            matching.push((slot, label));
        }
    }
    let wanted = match (&uri.token, uri.slot_id) {
        (Some(token), _) => format!("labelled {token:?}"),
        (None, Some(id)) => format!("in slot {id}"),
        (None, None) => "(any)".to_string(),
    };
    match matching.len() {
        0 => bail!(
            "no token {wanted} in PKCS#11 module {module} (its tokens: {})",
            if labels.is_empty() {
                "none".to_string()
            } else {
                labels
                    .iter()
                    .map(|l| format!("{l:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        1 => Ok(matching.remove(0)),
        n => bail!(
            "{n} tokens {wanted} in PKCS#11 module {module}: name one by token=, serial= \
             or slot-id="
        ),
    }
}

/// Opens a session on the token and logs the user in; a wrong PIN is said
/// as such (the PIN itself never is).
fn login(
    context: &Pkcs11,
    slot: Slot,
    token: &str,
    pin: &AuthPin,
    read_write: bool,
) -> Result<Session> {
    let session = if read_write {
        context.open_rw_session(slot)
    } else {
        context.open_ro_session(slot)
    }
    .with_context(|| format!("token {token:?}: cannot open a session"))?;
    match session.login(UserType::User, Some(pin)) {
        Ok(()) | Err(P11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
        Err(P11Error::Pkcs11(RvError::PinIncorrect, _)) => {
            bail!("token {token:?}: wrong PIN (CKR_PIN_INCORRECT)")
        }
        Err(P11Error::Pkcs11(RvError::PinLocked, _)) => {
            bail!("token {token:?}: the user PIN is locked (CKR_PIN_LOCKED)")
        }
        Err(P11Error::Pkcs11(RvError::PinLenRange, _)) => {
            bail!("token {token:?}: wrong PIN, not a length the token accepts (CKR_PIN_LEN_RANGE)")
        }
        Err(P11Error::Pkcs11(RvError::UserPinNotInitialized, _)) => {
            bail!("token {token:?}: its user PIN is not initialized")
        }
        Err(e) => bail!("token {token:?}: login failed: {e}"),
    }
}

/// The template that finds the URI's key among objects of `class`.
fn key_template(uri: &Pkcs11Uri, class: ObjectClass) -> Vec<Attribute> {
    let mut template = vec![Attribute::Class(class)];
    if let Some(label) = &uri.object {
        template.push(Attribute::Label(label.clone()));
    }
    if let Some(id) = &uri.id {
        template.push(Attribute::Id(id.clone()));
    }
    template
}

/// The one object of `class` the URI names.
fn find_one(
    session: &Session,
    uri: &Pkcs11Uri,
    token: &str,
    class: ObjectClass,
    what: &str,
) -> Result<ObjectHandle> {
    let mut found = session
        .find_objects(&key_template(uri, class))
        .with_context(|| format!("token {token:?}: cannot search its objects"))?;
    match found.len() {
        0 => bail!("token {token:?}: no {what} {}", uri.key_name()),
        1 => Ok(found.remove(0)),
        n => bail!(
            "token {token:?}: {n} {what}s {}: the URI names no single key \
             (add id=, or relabel one)",
            uri.key_name()
        ),
    }
}

fn attribute<T>(
    session: &Session,
    object: ObjectHandle,
    kind: AttributeType,
    pick: impl Fn(&Attribute) -> Option<T>,
    context: impl Fn() -> String,
) -> Result<T> {
    let attributes = session
        .get_attributes(object, &[kind])
        .with_context(|| format!("{}: cannot read {kind}", context()))?;
    attributes
        .iter()
        .find_map(pick)
        .ok_or_else(|| anyhow!("{}: the token does not give its {kind}", context()))
}

/// The algorithm of a key, from its `CKA_KEY_TYPE` and `CKA_EC_PARAMS`.
fn algorithm_of(
    session: &Session,
    object: ObjectHandle,
    name: &dyn Fn() -> String,
) -> Result<Algorithm> {
    let key_type = attribute(
        session,
        object,
        AttributeType::KeyType,
        |a| match a {
            Attribute::KeyType(t) => Some(*t),
            _ => None,
        },
        name,
    )?;
    if key_type != KeyType::EC && key_type != KeyType::EC_EDWARDS {
        bail!(
            "{}: a {key_type} key, not P-256 or Ed25519 (vouch signs with those only)",
            name()
        );
    }
    let params = attribute(
        session,
        object,
        AttributeType::EcParams,
        |a| match a {
            Attribute::EcParams(p) => Some(p.clone()),
            _ => None,
        },
        name,
    )?;
    match (key_type == KeyType::EC, params.as_slice()) {
        (true, P256_PARAMS) => Ok(Algorithm::EcdsaP256Sha256),
        (false, ED25519_OID_PARAMS | ED25519_NAME_PARAMS) => Ok(Algorithm::Ed25519),
        (_, other) => bail!(
            "{}: a {key_type} key on another curve (CKA_EC_PARAMS {}), not P-256 or Ed25519",
            name(),
            hex(other)
        ),
    }
}

/// The raw public key in a `CKA_EC_POINT`: a DER OCTET STRING holding the
/// point (PKCS#11), or the bare point some tokens give.
fn unwrap_ec_point(algorithm: Algorithm, value: &[u8]) -> Result<Vec<u8>> {
    let raw_len = match algorithm {
        Algorithm::EcdsaP256Sha256 => 65,
        Algorithm::Ed25519 => 32,
    };
    match value {
        [0x04, len, rest @ ..] if usize::from(*len) == rest.len() && rest.len() == raw_len => {
            Ok(rest.to_vec())
        }
        bare if bare.len() == raw_len => Ok(bare.to_vec()),
        _ => bail!(
            "CKA_EC_POINT is {} bytes, not a {algorithm} point (an OCTET STRING of {raw_len} bytes)",
            value.len()
        ),
    }
}

/// Reads the public key of the key pair whose private half is `private`:
/// the public key object with the same label and id.
fn public_key_of(
    session: &Session,
    uri: &Pkcs11Uri,
    token: &str,
    algorithm: Algorithm,
) -> Result<PublicKey> {
    let object = find_one(session, uri, token, ObjectClass::PUBLIC_KEY, "public key")?;
    let name = || format!("token {token:?}: public key {}", uri.key_name());
    let public_algorithm = algorithm_of(session, object, &name)?;
    if public_algorithm != algorithm {
        bail!(
            "{}: a {public_algorithm} key, but its private key is {algorithm}",
            name()
        );
    }
    let point = attribute(
        session,
        object,
        AttributeType::EcPoint,
        |a| match a {
            Attribute::EcPoint(p) => Some(p.clone()),
            _ => None,
        },
        name,
    )?;
    let raw = unwrap_ec_point(algorithm, &point).with_context(name)?;
    PublicKey::from_raw(algorithm, &raw).with_context(name)
}

/// A key pair on a PKCS#11 token, used through one logged-in session.
pub struct Pkcs11Key {
    // The session holds the module loaded; a Session is Send, not Sync.
    session: Mutex<Session>,
    private: ObjectHandle,
    public: PublicKey,
    name: String,
}

impl fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pkcs11Key({} {:?})", self.name, self.public)
    }
}

/// Opens the key `uri` names, logged in with the PIN `options` give.
pub fn open(uri: &str, options: &KeyOptions) -> Result<Pkcs11Key> {
    let parsed = Pkcs11Uri::parse(uri).map_err(|e| anyhow!("{e} in pkcs11 URI {}", redact(uri)))?;
    let pin = user_pin(&parsed, options)?;
    let context = load_module(&parsed)?;
    let (slot, token) = find_slot(&context, &parsed)?;
    let session = login(&context, slot, &token, &pin, false)?;
    let private = find_one(
        &session,
        &parsed,
        &token,
        ObjectClass::PRIVATE_KEY,
        "private key",
    )?;
    let name = format!("token {token:?}: private key {}", parsed.key_name());
    let algorithm = algorithm_of(&session, private, &|| name.clone())?;
    let public = public_key_of(&session, &parsed, &token, algorithm)?;
    Ok(Pkcs11Key {
        session: Mutex::new(session),
        private,
        public,
        name,
    })
}

/// Makes a new key pair of `algorithm` on the token `uri` names, under its
/// `object` label (and `id`, else a random one): the private key stays on
/// the token, sensitive and not extractable. Refuses when an object with
/// that label or id exists. Returns the public key.
pub fn generate(uri: &str, algorithm: Algorithm, options: &KeyOptions) -> Result<PublicKey> {
    let parsed = Pkcs11Uri::parse(uri).map_err(|e| anyhow!("{e} in pkcs11 URI {}", redact(uri)))?;
    let Some(label) = parsed.object.clone() else {
        bail!(
            "no object=LABEL in pkcs11 URI {}: a new key needs a label",
            redact(uri)
        );
    };
    let pin = user_pin(&parsed, options)?;
    let context = load_module(&parsed)?;
    let (slot, token) = find_slot(&context, &parsed)?;
    let (mechanism, params) = match algorithm {
        Algorithm::EcdsaP256Sha256 => (MechanismType::ECC_KEY_PAIR_GEN, P256_PARAMS),
        Algorithm::Ed25519 => (MechanismType::ECC_EDWARDS_KEY_PAIR_GEN, ED25519_OID_PARAMS),
    };
    let sign_mechanism = match algorithm {
        Algorithm::EcdsaP256Sha256 => MechanismType::ECDSA,
        Algorithm::Ed25519 => MechanismType::EDDSA,
    };
    let mechanisms = context
        .get_mechanism_list(slot)
        .with_context(|| format!("token {token:?}: cannot list its mechanisms"))?;
    for needed in [mechanism, sign_mechanism] {
        if !mechanisms.contains(&needed) {
            bail!("token {token:?} cannot make {algorithm} keys: it has no {needed}");
        }
    }
    let session = login(&context, slot, &token, &pin, true)?;
    let taken = |template: &[Attribute]| -> Result<bool> {
        Ok(!session
            .find_objects(template)
            .with_context(|| format!("token {token:?}: cannot search its objects"))?
            .is_empty())
    };
    if taken(&[Attribute::Label(label.clone())])? {
        bail!(
            "token {token:?}: a key labelled {:?} exists already; vouch does not replace it \
             (choose another object=)",
            String::from_utf8_lossy(&label)
        );
    }
    let id = match &parsed.id {
        Some(id) => {
            if taken(&[Attribute::Id(id.clone())])? {
                bail!(
                    "token {token:?}: an object with id {} exists already",
                    hex(id)
                );
            }
            id.clone()
        }
        None => session
            .generate_random_vec(16)
            .with_context(|| format!("token {token:?}: cannot draw a key id"))?,
    };
    let public_template = [
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::EcParams(params.to_vec()),
        Attribute::Label(label.clone()),
        Attribute::Id(id.clone()),
    ];
    let private_template = [
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        // A signing key only: no decryption, unwrapping or key agreement.
        Attribute::Decrypt(false),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
        Attribute::Label(label.clone()),
        Attribute::Id(id.clone()),
    ];
    let generation = match algorithm {
        Algorithm::EcdsaP256Sha256 => Mechanism::EccKeyPairGen,
        Algorithm::Ed25519 => Mechanism::EccEdwardsKeyPairGen,
    };
    session
        .generate_key_pair(&generation, &public_template, &private_template)
        .with_context(|| format!("token {token:?}: cannot make a {algorithm} key pair"))?;
    let named = Pkcs11Uri {
        object: Some(label),
        id: Some(id),
        ..parsed
    };
    public_key_of(&session, &named, &token, algorithm)
}

/// The URI as messages show it: every query value but `module-path`
/// (a `pin-value`, or a misspelt one) is replaced by `<hidden>`, and so is
/// a `pin-value` put among the path attributes.
pub fn redact(uri: &str) -> String {
    let hide = |pair: &str, keep: bool| match pair.split_once('=') {
        Some((name, _)) if !keep || name == "pin-value" => format!("{name}=<hidden>"),
        _ => pair.to_string(),
    };
    let (path, query) = match uri.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (uri, None),
    };
    let path: Vec<String> = path.split(';').map(|p| hide(p, true)).collect();
    let mut out = path.join(";");
    if let Some(query) = query {
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some(("module-path", _)) => pair.to_string(),
                _ => hide(pair, false),
            })
            .collect();
        out.push('?');
        out.push_str(&query.join("&"));
    }
    out
}

/// Re-encodes a fixed-width ECDSA signature (`r || s`, 32 bytes each, as
/// PKCS#11 returns it) as the ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }`
/// Sigstore bundles carry.
fn ecdsa_fixed_to_der(fixed: &[u8]) -> Option<Vec<u8>> {
    if fixed.len() != 64 {
        return None;
    }
    let integer = |bytes: &[u8]| -> Vec<u8> {
        let start = bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(bytes.len() - 1);
        let trimmed = &bytes[start..];
        let mut out = vec![0x02];
        let pad = trimmed[0] & 0x80 != 0;
        out.push((trimmed.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(trimmed);
        out
    };
    let (r, s) = fixed.split_at(32);
    let mut body = integer(r);
    body.extend(integer(s));
    // At most 2 * (2 + 33) = 70 bytes: a short-form length.
    let mut der = vec![0x30, body.len() as u8];
    der.extend(body);
    Some(der)
}

impl KeySigner for Pkcs11Key {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> vouch_evidence::Result<Vec<u8>> {
        let session = self
            .session
            .lock()
            .map_err(|_| vouch_evidence::Error::Sign(format!("{}: session poisoned", self.name)))?;
        let failed = |e: P11Error| vouch_evidence::Error::Sign(format!("{}: {e}", self.name));
        match self.public.algorithm() {
            Algorithm::EcdsaP256Sha256 => {
                let digest = sha256(message);
                let fixed = session
                    .sign(&Mechanism::Ecdsa, self.private, &digest.0)
                    .map_err(failed)?;
                ecdsa_fixed_to_der(&fixed).ok_or_else(|| {
                    vouch_evidence::Error::Sign(format!(
                        "{}: the token returned a {}-byte ECDSA signature, not 64",
                        self.name,
                        fixed.len()
                    ))
                })
            }
            Algorithm::Ed25519 => session
                .sign(
                    &Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
                    self.private,
                    message,
                )
                .map_err(failed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOFTHSM: &str = "module-path=/usr/lib/softhsm/libsofthsm2.so";

    #[test]
    fn cosign_uris_are_read() {
        let uri = Pkcs11Uri::parse(&format!("pkcs11:token=ci;object=signer?{SOFTHSM}")).unwrap();
        assert_eq!(uri.token.as_deref(), Some("ci"));
        assert_eq!(uri.object.as_deref(), Some(&b"signer"[..]));
        assert_eq!(
            uri.module_path,
            PathBuf::from("/usr/lib/softhsm/libsofthsm2.so")
        );
        let uri = Pkcs11Uri::parse(&format!(
            "pkcs11:slot-id=17;id=%01%ab;object=my%20key;type=private?{SOFTHSM}&pin-value=12%3B4"
        ))
        .unwrap();
        assert_eq!(uri.slot_id, Some(17));
        assert_eq!(uri.id.as_deref(), Some(&[0x01, 0xab][..]));
        assert_eq!(uri.object.as_deref(), Some(&b"my key"[..]));
        assert_eq!(uri.pin_value.as_deref(), Some("12;4"));
        assert!(!format!("{uri:?}").contains("12;4"));
        let uri = Pkcs11Uri::parse(&format!(
            "pkcs11:token=t;object=k?{SOFTHSM}&pin-source=file:///run/pin"
        ))
        .unwrap();
        assert_eq!(uri.pin_source, Some(PathBuf::from("/run/pin")));
    }

    #[test]
    fn unknown_repeated_and_malformed_attributes_are_refused_by_name() {
        for (uri, needle) in [
            (
                "pkcs11:token=t;object=k;colour=red?M",
                "unknown path attribute \"colour\"",
            ),
            (
                "pkcs11:token=t;object=k?M&pin=1",
                "unknown query attribute \"pin\"",
            ),
            (
                "pkcs11:token=t;object=k;object=j?M",
                "attribute object is given twice",
            ),
            (
                "pkcs11:token=t;object=k%2?M",
                "attribute object: \"%\" is not followed",
            ),
            (
                "pkcs11:token=t;object=k%zz?M",
                "attribute object: \"%\" is not followed",
            ),
            (
                "pkcs11:token=t;object=a b?M",
                "attribute object: character ' '",
            ),
            (
                "pkcs11:token=t;slot-id=-1;object=k?M",
                "slot-id: \"-1\" is not a decimal",
            ),
            (
                "pkcs11:token=t;slot-id=+1;object=k?M",
                "slot-id: \"+1\" is not a decimal",
            ),
            (
                "pkcs11:token=t;object?M",
                "attribute \"object\" has no \"=\"",
            ),
            (
                "pkcs11:token=t;object=k;type=cert?M",
                "attribute type: \"cert\"",
            ),
            (
                "pkcs11:token=t;object=k?module-path=lib.so",
                "module-path: lib.so is not an absolute",
            ),
            ("pkcs11:token=t;object=k", "no module-path"),
            ("pkcs11:token=t?M", "no key named"),
            (
                "pkcs11:token=t;object=k?M&module-name=softhsm2",
                "module-name is not supported",
            ),
            (
                "pkcs11:token=t;object=k?M&pin-value=1&pin-source=/p",
                "both given",
            ),
            (
                "pkcs11:token=t;object=k?M&pin-source=pin.txt",
                "pin-source: \"pin.txt\"",
            ),
            ("pkcs11:token=t%ff;object=k?M", "attribute token: not UTF-8"),
        ] {
            let uri = uri.replace("?M", &format!("?{SOFTHSM}"));
            let err = Pkcs11Uri::parse(&uri).unwrap_err().to_string();
            assert!(err.contains(needle), "{uri}: {err}");
        }
    }

    #[test]
    fn a_pin_value_is_redacted_from_messages() {
        assert_eq!(
            redact("pkcs11:token=t;object=k?module-path=/m.so&pin-value=1234"),
            "pkcs11:token=t;object=k?module-path=/m.so&pin-value=<hidden>"
        );
        assert_eq!(
            redact("pkcs11:token=t;pin-value=1234;object=k?module-path=/m.so&pin_value=1234"),
            "pkcs11:token=t;pin-value=<hidden>;object=k?module-path=/m.so&pin_value=<hidden>"
        );
    }

    #[test]
    fn fixed_ecdsa_signatures_become_der() {
        // High bit set in r (padded), leading zeros in s (trimmed).
        let mut fixed = vec![0x80; 32];
        fixed.extend([0u8; 31]);
        fixed.push(0x05);
        let der = ecdsa_fixed_to_der(&fixed).unwrap();
        let mut expected = vec![0x30, 38, 0x02, 33, 0x00];
        expected.extend([0x80; 32]);
        expected.extend([0x02, 1, 0x05]);
        assert_eq!(der, expected);
        assert!(ecdsa_fixed_to_der(&[0; 63]).is_none());
    }

    #[test]
    fn ec_points_are_unwrapped_from_their_octet_string() {
        let mut point = vec![0x04];
        point.extend([7u8; 64]);
        let mut wrapped = vec![0x04, 65];
        wrapped.extend(&point);
        assert_eq!(
            unwrap_ec_point(Algorithm::EcdsaP256Sha256, &wrapped).unwrap(),
            point
        );
        assert_eq!(
            unwrap_ec_point(Algorithm::EcdsaP256Sha256, &point).unwrap(),
            point
        );
        let mut ed = vec![0x04, 32];
        ed.extend([9u8; 32]);
        assert_eq!(unwrap_ec_point(Algorithm::Ed25519, &ed).unwrap(), [9u8; 32]);
        assert!(unwrap_ec_point(Algorithm::Ed25519, &wrapped).is_err());
    }
}
