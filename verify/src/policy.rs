//! Admission policies: `kind: ImagePolicy` documents, loaded and validated.
//!
//! A policy is read in two steps. The YAML is parsed into wire types that
//! refuse unknown fields and check each value as it is read (globs,
//! regular expressions, Rego, durations, thresholds), so a mistake is
//! reported with its file, line and field. The wire document is then
//! converted with `TryFrom` into [`ImagePolicy`], checking what spans
//! fields (one kind per authority, unique names, references to
//! authorities that exist) and taking the keys and trusted roots it names.
//! An [`ImagePolicy`] therefore cannot hold an invalid policy, and nothing
//! invalid is ever loaded silently: one bad document fails the whole load.
//!
//! No file is read here. A policy file's bytes are parsed ([`parse`]); the
//! files its policies name (keys, trusted roots, OSV databases) are listed
//! ([`PolicyFile::references`]) for the caller to read (`vouch-load`
//! does, for the CLI and the webhook) into a [`Resolved`]; the set is then
//! built from both ([`build`]).
//!
//! ```yaml
//! apiVersion: vouch.dev/v1alpha1
//! kind: ImagePolicy
//! metadata: {name: production}
//! spec:
//!   mode: enforce                  # or warn; default enforce
//!   images: [{glob: "registry.example.com/team/**"}]
//!   authorities:                   # who is trusted; named
//!     - name: ci
//!       key: {path: keys/ci.pub}   # or {data: "-----BEGIN PUBLIC KEY-----..."}
//!     - name: release
//!       keyless:
//!         trustedRoot: root.json   # optional; default: the public-good root
//!         identities:
//!           - issuer: https://token.actions.githubusercontent.com
//!             subjectRegExp: https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v.*
//!     - name: break-glass
//!       static: fail               # or pass
//!   signatures: {authorities: [ci], threshold: 1}   # optional, see below
//!   attestations:
//!     - name: provenance
//!       predicateType: https://slsa.dev/provenance/v1
//!       authorities: [ci]          # optional; default: any authority
//!       threshold: 1               # distinct signers required; default 1
//!       rego: |
//!         package vouch
//!         deny contains msg if { ... }
//!   vendoredInputs: {requireMatch: true}
//!   maxAge: 720h                   # or 30d, 1h30m
//! ```
//!
//! What each part requires of an image (the evaluator applies it):
//!
//! - **`authorities`** name who may sign. Any one suffices (OR): a
//!   requirement is met when at least `threshold` distinct signers (keys,
//!   or certificate identities) accepted by the authorities it allows have
//!   signed. A `static: pass` authority meets a requirement without
//!   evidence; `static: fail` never does.
//! - **`signatures`** require a signature on the image itself (`vouch sign`,
//!   `cosign sign`). When absent, an image signature is required by any
//!   authority only if the policy has no `attestations`, as with
//!   policy-controller, whose authorities check image signatures unless
//!   they list attestations.
//! - **`attestations`** are each required (AND): a verified attestation of
//!   exactly that predicate type, signed as its `authorities` and
//!   `threshold` say, whose predicate passes its `rego` condition (see
//!   [`rego`]). An attestation of another predicate type never satisfies it.
//! - **`vendoredInputs`** are rules over the vendored inputs in the SLSA
//!   provenance of `vouch attest` (see [`vendored`]): `requireMatch`,
//!   `critical.approved` (entries by name, ecosystem, version, digest, or
//!   `distribution: debian` for an input unbundled onto that
//!   distribution's build), `critical.require: distribution` (every
//!   critical input unbundled with its chain of custody verified; a
//!   critical input still vendored is denied, naming it) and `forbidden`;
//!   a policy with them needs that provenance.
//! - **`maxAge`** bounds the age of every signature and attestation,
//!   measured from its verified signing time.
//! - **`mode: warn`** reports a denial without denying.
//!
//! Several policies that match one image all apply (AND); what happens to
//! an image no policy matches is the caller's [`NoMatch`] choice.
//!
//! A directory of policies may also hold other vouch documents: a
//! `kind: CriticalityRules` document (policies/critical.yaml) is skipped
//! without error. Any other kind or apiVersion is an error.

pub mod glob;
pub mod rego;
pub mod vendor_vex;
pub mod vendored;
pub mod vulnerabilities;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use vouch_evidence::digest::{sha256, Sha256};
use vouch_evidence::keys::PublicKey;
use vouch_evidence::osv::Lookup;
use vouch_evidence::reference::ImageRef;

use crate::bundle::TrustedRoot;
use crate::identity::{Claim, Identities, IdentityMatcher};
use crate::{Error, Result};
pub use glob::ImageGlob;
pub use rego::RegoCondition;
pub use vendor_vex::{PurlPattern, VendorDocument, VendorVex, VexFile};
pub use vendored::{InputEntry, VendoredInputs};
pub use vulnerabilities::Vulnerabilities;

/// The `apiVersion` of every vouch document.
pub const API_VERSION: &str = "vouch.dev/v1alpha1";
/// The `kind` of an admission policy.
pub const KIND: &str = "ImagePolicy";
/// The `kind` of criticality rules, skipped when a directory is loaded.
pub const CRITICALITY_RULES_KIND: &str = "CriticalityRules";
/// The largest policy file read (the loader's cap, checked here again).
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;
/// The largest key or trusted-root file a policy may name (the loader's
/// cap).
pub const MAX_REFERENCED_BYTES: u64 = 4 * 1024 * 1024;
/// The largest `threshold` accepted: far above any real signer count, and
/// low enough that a typo (`threshold: 10000`) is caught at load.
pub const MAX_THRESHOLD: u32 = 100;

// ---------------------------------------------------------------------------
// Values checked as they are read, so that errors carry their line.

/// A value parsed from a YAML string by `T::parse`; a failure is a
/// deserialisation error, which serde_norway marks with the line, column
/// and field path of the value.
#[derive(Debug)]
struct Checked<T>(T);

/// What [`Checked`] parses.
trait ParseField: Sized {
    /// What the value should be, for type errors.
    const EXPECTING: &'static str;
    /// Parses and validates the value.
    fn parse(value: &str) -> std::result::Result<Self, String>;
}

impl<'de, T: ParseField> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: ParseField> Visitor<'_> for V<T> {
            type Value = Checked<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Checked<T>, E> {
                T::parse(v).map(Checked).map_err(E::custom)
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

impl ParseField for ImageGlob {
    const EXPECTING: &'static str = "an image glob";
    fn parse(value: &str) -> std::result::Result<Self, String> {
        ImageGlob::new(value)
    }
}

/// A regular expression claim (`issuerRegExp`, `subjectRegExp`).
struct RegExpClaim(Claim);

impl ParseField for RegExpClaim {
    const EXPECTING: &'static str = "a regular expression";
    fn parse(value: &str) -> std::result::Result<Self, String> {
        Claim::regexp(value)
            .map(RegExpClaim)
            .map_err(|e| format!("invalid regular expression: {e}"))
    }
}

impl ParseField for RegoCondition {
    const EXPECTING: &'static str = "a Rego module";
    fn parse(value: &str) -> std::result::Result<Self, String> {
        RegoCondition::compile("rego", value)
    }
}

/// A positive duration: `maxAge`, `vulnerabilities.vexMaxAge`.
#[derive(Debug)]
struct Age(jiff::SignedDuration);

impl ParseField for Age {
    const EXPECTING: &'static str = "a duration such as 720h or 30d";
    fn parse(value: &str) -> std::result::Result<Self, String> {
        parse_duration(value).map(Age)
    }
}

/// Parses a positive duration, `720h`, `30d`, `1h30m`, `2w`, `90s` or ISO
/// 8601 `PT10M` (a day is 24 hours; months and years are refused, having
/// no fixed length): the one spelling of durations in policies (`maxAge`)
/// and on the command line (`--timeout`), so that both read alike.
pub fn parse_duration(value: &str) -> std::result::Result<jiff::SignedDuration, String> {
    let span: jiff::Span = value
        .parse()
        .map_err(|e| format!("{value:?} is not a duration like 720h or 30d: {e}"))?;
    let duration = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| format!("{value:?} has no fixed length: {e}"))?;
    if duration <= jiff::SignedDuration::ZERO {
        return Err(format!("{value:?} must be positive"));
    }
    Ok(duration)
}

/// A `threshold`: 1 to [`MAX_THRESHOLD`]. Zero or a negative count would
/// be met by no signature at all (bad input 9), so it is refused at load.
struct Threshold(NonZeroU32);

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Threshold;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a whole number from 1 to {MAX_THRESHOLD}")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Threshold, E> {
                u32::try_from(v)
                    .ok()
                    .filter(|n| *n <= MAX_THRESHOLD)
                    .and_then(NonZeroU32::new)
                    .map(Threshold)
                    .ok_or_else(|| {
                        E::custom(format!(
                            "threshold {v} is out of range: it must be at least 1 (and at most \
                             {MAX_THRESHOLD})"
                        ))
                    })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Threshold, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
        d.deserialize_i64(V)
    }
}

// ---------------------------------------------------------------------------
// Wire types.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    api_version: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireDocument {
    /// Checked from the [`Header`] before the document is parsed.
    #[serde(rename = "apiVersion")]
    _api_version: de::IgnoredAny,
    /// Likewise.
    #[serde(rename = "kind")]
    _kind: de::IgnoredAny,
    metadata: WireMetadata,
    spec: WireSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMetadata {
    name: String,
    /// Accepted for Kubernetes-style documents; not used.
    #[serde(default, rename = "labels")]
    _labels: std::collections::BTreeMap<String, String>,
    /// Accepted for Kubernetes-style documents; not used.
    #[serde(default, rename = "annotations")]
    _annotations: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireSpec {
    #[serde(default)]
    mode: Mode,
    images: Vec<WireImage>,
    #[serde(default)]
    authorities: Vec<WireAuthority>,
    signatures: Option<WireSignatures>,
    #[serde(default)]
    attestations: Vec<WireAttestation>,
    vendored_inputs: Option<vendored::WireVendored>,
    vulnerabilities: Option<vulnerabilities::WireVulnerabilities>,
    inputs_from: Option<Vec<String>>,
    max_age: Option<Checked<Age>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireImage {
    glob: Checked<ImageGlob>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireAuthority {
    name: String,
    key: Option<WireKey>,
    keyless: Option<WireKeyless>,
    #[serde(rename = "static")]
    static_: Option<StaticAction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireKey {
    path: Option<String>,
    data: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireKeyless {
    trusted_root: Option<String>,
    identities: Vec<WireIdentity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireIdentity {
    issuer: Option<String>,
    issuer_reg_exp: Option<Checked<RegExpClaim>>,
    subject: Option<String>,
    subject_reg_exp: Option<Checked<RegExpClaim>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSignatures {
    authorities: Option<Vec<String>>,
    threshold: Option<Threshold>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireAttestation {
    name: String,
    predicate_type: String,
    authorities: Option<Vec<String>>,
    threshold: Option<Threshold>,
    rego: Option<Checked<RegoCondition>>,
}

// ---------------------------------------------------------------------------
// Validated types.

/// What a policy does when it denies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deny the image (the default).
    #[default]
    Enforce,
    /// Admit it, reporting what would have denied it.
    Warn,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
        })
    }
}

/// The fixed answer of a `static` authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StaticAction {
    /// Met without evidence (an allow-list entry).
    Pass,
    /// Never met (a block-list entry).
    Fail,
}

/// What happens to an image that no policy matches; the caller (CLI flag,
/// webhook configuration) chooses, and the safe default is to deny.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NoMatch {
    /// Deny it (the default: an unlisted image is not trusted).
    #[default]
    Deny,
    /// Admit it.
    Allow,
    /// Admit it with a warning.
    Warn,
}

impl FromStr for NoMatch {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "deny" => Ok(NoMatch::Deny),
            "allow" => Ok(NoMatch::Allow),
            "warn" => Ok(NoMatch::Warn),
            _ => Err(format!("{s:?} is not one of deny, allow, warn")),
        }
    }
}

impl fmt::Display for NoMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoMatch::Deny => "deny",
            NoMatch::Allow => "allow",
            NoMatch::Warn => "warn",
        })
    }
}

/// A public key an authority trusts, with where the policy took it from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KeyAuthority {
    /// The key.
    pub key: PublicKey,
    /// The resolved file it was read from, or `None` when inline (`data`).
    pub path: Option<PathBuf>,
}

/// A trusted root named by a keyless authority.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PolicyRoot {
    /// The resolved file.
    pub path: PathBuf,
    /// Its contents, parsed.
    pub root: Arc<TrustedRoot>,
}

/// Keyless (Fulcio certificate) signers an authority trusts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KeylessAuthority {
    /// The root to verify against; `None` means the default root: the
    /// embedded Sigstore public-good root, or the one the caller was given
    /// (`vouch verify --trusted-root`).
    pub trusted_root: Option<PolicyRoot>,
    /// The identities, any one of which may sign.
    pub identities: Identities,
}

/// What kind of trust an authority is.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthorityKind {
    /// Signatures verifiable with a public key.
    Key(KeyAuthority),
    /// Keyless signatures by one of a list of identities.
    Keyless(KeylessAuthority),
    /// A fixed answer.
    Static(StaticAction),
}

/// A named authority.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Authority {
    /// Its name, unique within the policy.
    pub name: String,
    /// What it trusts.
    pub kind: AuthorityKind,
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.name)?;
        match &self.kind {
            AuthorityKind::Key(k) => {
                write!(f, "key {} {}", k.key.algorithm(), k.key.key_id())?;
                if let Some(path) = &k.path {
                    write!(f, " ({})", path.display())?;
                }
                Ok(())
            }
            AuthorityKind::Keyless(k) => {
                let ids: Vec<String> = k
                    .identities
                    .matchers()
                    .iter()
                    .map(|m| m.to_string())
                    .collect();
                write!(f, "keyless, {}", ids.join("; "))?;
                match &k.trusted_root {
                    Some(root) => write!(f, " (trusted root {})", root.path.display()),
                    None => f.write_str(" (default trusted root)"),
                }
            }
            AuthorityKind::Static(StaticAction::Pass) => f.write_str("static pass"),
            AuthorityKind::Static(StaticAction::Fail) => f.write_str("static fail"),
        }
    }
}

/// Which authorities may meet a requirement, and how many distinct signers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Signers {
    /// Names of authorities of the policy (all exist); any one suffices.
    pub authorities: Vec<String>,
    /// How many distinct signers (keys or certificate identities) must
    /// have signed; at least 1.
    pub threshold: NonZeroU32,
}

impl fmt::Display for Signers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "signed by any of [{}]", self.authorities.join(", "))?;
        if self.threshold.get() > 1 {
            write!(f, ", {} distinct signers", self.threshold)?;
        }
        Ok(())
    }
}

/// A required attestation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AttestationRequirement {
    /// Its name, unique within the policy.
    pub name: String,
    /// The predicate type it must have, exactly.
    pub predicate_type: String,
    /// Who must have signed it.
    pub signers: Signers,
    /// A condition on its predicate.
    pub rego: Option<RegoCondition>,
}

impl AttestationRequirement {
    /// Evaluates the Rego condition over a verified predicate and returns
    /// its denial messages (empty: the condition holds, or there is none).
    /// `input` is the predicate (see [`rego`]).
    pub fn evaluate_rego(&self, predicate: &serde_json::Value) -> Result<Vec<String>> {
        match &self.rego {
            None => Ok(Vec::new()),
            Some(condition) => condition.evaluate(predicate).map_err(|reason| Error::Rego {
                attestation: self.name.clone(),
                reason,
            }),
        }
    }
}

/// A validated admission policy.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImagePolicy {
    /// `metadata.name`, unique within a [`PolicySet`].
    pub name: String,
    /// The file it was read from.
    pub source: PathBuf,
    /// Enforce or warn.
    pub mode: Mode,
    /// The images it applies to (any glob).
    pub images: Vec<ImageGlob>,
    /// The trusted authorities, in policy order.
    pub authorities: Vec<Authority>,
    /// The image-signature requirement, if any (see the module docs for
    /// when it is implied).
    pub signatures: Option<Signers>,
    /// The required attestations.
    pub attestations: Vec<AttestationRequirement>,
    /// Rules over the provenance's vendored inputs.
    pub vendored_inputs: Option<VendoredInputs>,
    /// The vulnerability gate.
    pub vulnerabilities: Option<Vulnerabilities>,
    /// `inputsFrom` as written: the authorities whose verified provenance
    /// or CycloneDX SBOM supplies the inputs, instead of those the
    /// attestation requirements of those predicate types name.
    pub inputs_from: Option<Vec<String>>,
    /// Who may supply the inputs that `vendoredInputs` and the
    /// vulnerability gate read (see [`ImagePolicy::input_authorities`] for
    /// the rule). Empty: no one, and both deny.
    pub input_authorities: Vec<String>,
    /// Whose VEX statements answer findings (see
    /// [`ImagePolicy::input_authorities`] for the rule).
    pub vex_authorities: Vec<String>,
    /// The oldest a signature or attestation may be.
    pub max_age: Option<jiff::SignedDuration>,
}

/// Whether an attestation of `predicate_type` records an image's inputs:
/// SLSA provenance v1, or a CycloneDX SBOM.
pub fn records_inputs(predicate_type: &str) -> bool {
    is_provenance(predicate_type) || is_cyclonedx(predicate_type)
}

/// Whether `predicate_type` is SLSA provenance v1.
pub fn is_provenance(predicate_type: &str) -> bool {
    predicate_type == vouch_evidence::provenance::SLSA_PROVENANCE_V1
}

/// Whether `predicate_type` is a CycloneDX BOM's (any version).
pub fn is_cyclonedx(predicate_type: &str) -> bool {
    predicate_type.starts_with("https://cyclonedx.org/bom")
}

impl ImagePolicy {
    /// Whether this policy applies to `image`.
    pub fn matches(&self, image: &ImageRef) -> bool {
        self.images.iter().any(|g| g.matches(image))
    }

    /// The authority called `name`.
    pub fn authority(&self, name: &str) -> Option<&Authority> {
        self.authorities.iter().find(|a| a.name == name)
    }

    /// Who supplies the inputs and who answers findings, from what the
    /// policy names, so that neither job falls to an authority trusted for
    /// the other only:
    ///
    /// - the inputs come from `inputsFrom` when given, else from the
    ///   authorities of the attestation requirements for SLSA provenance
    ///   or a CycloneDX SBOM (each attestation then used must be signed as
    ///   its requirement says: its authorities, its threshold);
    /// - an authority named in `vexAuthorities` never supplies inputs,
    ///   unless it is also named for them (in `inputsFrom`, or in a
    ///   requirement's `authorities`): a default "any authority" does not
    ///   count;
    /// - without `vexAuthorities`, findings are answered by every key or
    ///   keyless authority that does not supply inputs: the signer of a
    ///   provenance does not answer its findings unless named for both.
    ///
    /// Returns (input authorities, VEX authorities).
    fn split_trust(
        &self,
        named_inputs: &[String],
        all_inputs: &[String],
        named_vex: Option<&[String]>,
    ) -> (Vec<String>, Vec<String>) {
        let named_vex_only =
            |a: &String| named_vex.is_some_and(|v| v.contains(a)) && !named_inputs.contains(a);
        let inputs: Vec<String> = all_inputs
            .iter()
            .filter(|a| !named_vex_only(a))
            .cloned()
            .collect();
        let vex = match named_vex {
            Some(list) => list.to_vec(),
            None => self
                .authorities
                .iter()
                .filter(|a| !matches!(a.kind, AuthorityKind::Static(_)))
                .map(|a| a.name.clone())
                .filter(|a| !inputs.contains(a))
                .collect(),
        };
        (inputs, vex)
    }
}

impl fmt::Display for ImagePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} ({}, {})",
            self.name,
            self.mode,
            self.source.display()
        )?;
        let images: Vec<String> = self.images.iter().map(ToString::to_string).collect();
        writeln!(f, "  images: {}", images.join(", "))?;
        for authority in &self.authorities {
            writeln!(f, "  authority {authority}")?;
        }
        match &self.signatures {
            Some(s) => writeln!(f, "  requires an image signature {s}")?,
            None => writeln!(f, "  requires no image signature")?,
        }
        for a in &self.attestations {
            write!(
                f,
                "  requires attestation {}: {}, {}",
                a.name, a.predicate_type, a.signers
            )?;
            if a.rego.is_some() {
                f.write_str(", with a Rego condition")?;
            }
            writeln!(f)?;
        }
        if let Some(v) = &self.vendored_inputs {
            writeln!(f, "  vendored inputs: {v}")?;
        }
        if self.input_authorities.is_empty() {
            if self.vendored_inputs.is_some() || self.vulnerabilities.is_some() {
                writeln!(
                    f,
                    "  inputs from: no authority (vendoredInputs and the vulnerability gate deny: \
                     no trusted provenance)"
                )?;
            }
        } else {
            write!(
                f,
                "  inputs from: provenance or CycloneDX SBOM signed by any of [{}]",
                self.input_authorities.join(", ")
            )?;
            if self.inputs_from.is_none() {
                f.write_str(", as its attestation requirement says")?;
            }
            writeln!(f)?;
        }
        if let Some(v) = &self.vulnerabilities {
            writeln!(f, "  vulnerabilities: {v}")?;
            if self.vex_authorities.is_empty() {
                writeln!(
                    f,
                    "  VEX trusted from no authority: every finding stays open"
                )?;
            } else {
                writeln!(f, "  VEX trusted from {}", self.vex_authorities.join(", "))?;
            }
        }
        if let Some(age) = &self.max_age {
            writeln!(f, "  max age: {age:#}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Conversion.

/// A wire document with the file it came from: what key and root paths are
/// resolved against, and where referenced bytes are recorded for the
/// [`PolicySet::version`].
struct Located<'a> {
    wire: WireDocument,
    refs: Refs<'a>,
}

/// Takes the files a policy names, relative to the policy file, from what
/// the caller read.
struct Refs<'a> {
    file: &'a Path,
    referenced: &'a mut Vec<Vec<u8>>,
    resolved: &'a Resolved,
}

/// An OSV database the caller loaded (`--osv`) to stand for every
/// `vulnerabilities.osv` of the policies. Their own paths are then not
/// read: a large export is read once, not once more per policy.
#[derive(Debug, Clone)]
pub struct GivenOsv {
    /// Where it was read from, as the caller named it.
    pub path: PathBuf,
    /// The records: an in-memory database or an on-disk index.
    pub database: Arc<dyn Lookup>,
    /// The digest over the records, which joins the policy set's version.
    pub digest: Sha256,
}

/// A file a policy names, for the caller to read before the set is built
/// ([`PolicyFile::references`]): resolved against the policy file's
/// directory, as [`Resolved`] is looked up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// A key or trusted-root file, read whole (at most
    /// [`MAX_REFERENCED_BYTES`]).
    File(PathBuf),
    /// An OSV database: a directory of records or an export zip.
    Osv(PathBuf),
    /// A `vulnerabilities.vendorVex` directory: every `.json` file below
    /// it (at most [`vendor_vex::MAX_VENDOR_VEX_FILES`], each at most
    /// [`vendor_vex::MAX_VENDOR_VEX_BYTES`]), with the `<file>.asc` beside
    /// each when there is one.
    VendorVex(PathBuf),
}

/// An OSV database or index as loaded, with the digest over its records.
pub type Loaded = (Arc<dyn Lookup>, Sha256);

/// What the caller read for the files policies name, by resolved path:
/// each key or trusted-root file's bytes, each OSV database's records and
/// digest, or why it could not be read (the reason is reported under the
/// field that named it). A database several policies name may be given
/// once per path, sharing one [`Arc`]. A file the policies name that is
/// not here is an error of the policy that names it.
#[derive(Debug, Default)]
pub struct Resolved {
    files: HashMap<PathBuf, std::result::Result<Vec<u8>, String>>,
    databases: HashMap<PathBuf, std::result::Result<Loaded, String>>,
    vendor_vex: HashMap<PathBuf, std::result::Result<Vec<VexFile>, String>>,
    /// The caller's OSV database, standing for every policy's own.
    given: Option<GivenOsv>,
}

impl Resolved {
    /// Nothing read yet; `osv`, when given, stands for every policy's
    /// `vulnerabilities.osv`, whose own paths then need not be read.
    pub fn new(osv: Option<GivenOsv>) -> Resolved {
        Resolved {
            given: osv,
            ..Resolved::default()
        }
    }

    /// Whether a database given by the caller stands for the policies' own.
    pub fn has_given_osv(&self) -> bool {
        self.given.is_some()
    }

    /// Whether `reference` has been read (or tried).
    pub fn contains(&self, reference: &Reference) -> bool {
        match reference {
            Reference::File(path) => self.files.contains_key(path),
            Reference::Osv(path) => self.databases.contains_key(path),
            Reference::VendorVex(path) => self.vendor_vex.contains_key(path),
        }
    }

    /// Records what reading the key or trusted-root file `path` gave.
    pub fn insert_file(&mut self, path: PathBuf, read: std::result::Result<Vec<u8>, String>) {
        self.files.insert(path, read);
    }

    /// Records what reading the vendor VEX directory `path` gave: its
    /// files, in name order, or why they could not be read.
    pub fn insert_vendor_vex(
        &mut self,
        path: PathBuf,
        read: std::result::Result<Vec<VexFile>, String>,
    ) {
        self.vendor_vex.insert(path, read);
    }

    /// Records what loading the OSV database at `path` gave: its records
    /// and the digest over them, which joins the set's version.
    pub fn insert_osv(&mut self, path: PathBuf, loaded: std::result::Result<Loaded, String>) {
        self.databases.insert(path, loaded);
    }
}

/// `relative` as named in `file`: against the file's directory.
fn resolve(file: &Path, relative: &str) -> PathBuf {
    match file.parent() {
        Some(dir) => dir.join(relative),
        None => PathBuf::from(relative),
    }
}

/// Appends `part` to the bytes a policy set's version is the digest of,
/// length first, so that no two different lists of parts hash alike.
fn push_part(canonical: &mut Vec<u8>, part: &[u8]) {
    canonical.extend_from_slice(&(part.len() as u64).to_be_bytes());
    canonical.extend_from_slice(part);
}

/// The reason a file the caller did not read stands for.
fn not_read(path: &Path) -> String {
    format!("{} was not read", path.display())
}

impl Refs<'_> {
    fn read(&mut self, relative: &str) -> std::result::Result<(PathBuf, Vec<u8>), String> {
        let path = resolve(self.file, relative);
        let bytes = match self.resolved.files.get(&path) {
            Some(read) => read.clone()?,
            None => return Err(not_read(&path)),
        };
        self.referenced.push(bytes.clone());
        Ok((path, bytes))
    }

    /// The OSV database a `vulnerabilities` section names; its digest
    /// joins the policy set's version.
    fn osv(&mut self, relative: &str) -> std::result::Result<(PathBuf, Arc<dyn Lookup>), String> {
        if let Some(given) = &self.resolved.given {
            self.referenced.push(given.digest.0.to_vec());
            return Ok((given.path.clone(), given.database.clone()));
        }
        let path = resolve(self.file, relative);
        let (database, digest) = match self.resolved.databases.get(&path) {
            Some(loaded) => loaded.clone(),
            None => Err(not_read(&path)),
        }
        .map_err(|e| format!("spec.vulnerabilities.osv: {e}"))?;
        self.referenced.push(digest.0.to_vec());
        Ok((path, database))
    }

    /// The vendor VEX sources of a `vulnerabilities` section, their key
    /// and files read; every file's bytes and signature join the policy
    /// set's version.
    fn vendor_vex(
        &mut self,
        wire: Vec<vendor_vex::WireVendorVex>,
    ) -> std::result::Result<Vec<VendorVex>, String> {
        let mut names = Vec::new();
        let mut sources = Vec::with_capacity(wire.len());
        for (i, entry) in wire.into_iter().enumerate() {
            let at = format!("spec.vulnerabilities.vendorVex[{i}] ({})", entry.name);
            if names.contains(&entry.name) {
                return Err(format!(
                    "{at}: vendor VEX name {:?} is used twice",
                    entry.name
                ));
            }
            names.push(entry.name.clone());
            let key = match &entry.key {
                Some(relative) => Some(self.read(relative).map_err(|e| format!("{at}.key: {e}"))?),
                None => None,
            };
            let path = resolve(self.file, &entry.path);
            let files = match self.resolved.vendor_vex.get(&path) {
                Some(read) => read.clone(),
                None => Err(not_read(&path)),
            }
            .map_err(|e| format!("{at}.path: {e}"))?;
            for file in &files {
                self.referenced.push(file.bytes.clone());
                self.referenced
                    .push(file.signature.clone().unwrap_or_default());
            }
            sources.push(VendorVex::new(&at, entry, path, key, &files)?);
        }
        Ok(sources)
    }

    fn authority(
        &mut self,
        at: &str,
        wire: WireAuthority,
    ) -> std::result::Result<Authority, String> {
        let kind = match (wire.key, wire.keyless, wire.static_) {
            (Some(key), None, None) => AuthorityKind::Key(self.key(at, key)?),
            (None, Some(keyless), None) => AuthorityKind::Keyless(self.keyless(at, keyless)?),
            (None, None, Some(action)) => AuthorityKind::Static(action),
            _ => {
                return Err(format!(
                    "{at}: an authority has exactly one of `key`, `keyless` or `static`"
                ))
            }
        };
        Ok(Authority {
            name: wire.name,
            kind,
        })
    }

    fn key(&mut self, at: &str, key: WireKey) -> std::result::Result<KeyAuthority, String> {
        let (pem, path) = match (key.path, key.data) {
            (Some(relative), None) => {
                let (path, bytes) = self.read(&relative).map_err(|e| format!("{at}.key: {e}"))?;
                let pem = String::from_utf8(bytes)
                    .map_err(|_| format!("{at}.key: {} is not PEM text", path.display()))?;
                (pem, Some(path))
            }
            (None, Some(data)) => (data, None),
            _ => return Err(format!("{at}.key: give exactly one of `path` or `data`")),
        };
        let key = PublicKey::from_pem(&pem).map_err(|e| format!("{at}.key: {e}"))?;
        Ok(KeyAuthority { key, path })
    }

    fn keyless(
        &mut self,
        at: &str,
        keyless: WireKeyless,
    ) -> std::result::Result<KeylessAuthority, String> {
        let trusted_root = match keyless.trusted_root {
            Some(relative) => {
                let (path, bytes) = self
                    .read(&relative)
                    .map_err(|e| format!("{at}.keyless.trustedRoot: {e}"))?;
                let root = TrustedRoot::from_json(&bytes)
                    .map_err(|e| format!("{at}.keyless.trustedRoot: {}: {e}", path.display()))?;
                Some(PolicyRoot {
                    path,
                    root: Arc::new(root),
                })
            }
            None => None,
        };
        let matchers = keyless
            .identities
            .into_iter()
            .enumerate()
            .map(|(i, id)| identity(&format!("{at}.keyless.identities[{i}]"), id))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let identities = Identities::new(matchers).ok_or_else(|| {
            format!(
                "{at}.keyless.identities: list at least one identity; an empty list trusts no one"
            )
        })?;
        Ok(KeylessAuthority {
            trusted_root,
            identities,
        })
    }
}

fn identity(at: &str, wire: WireIdentity) -> std::result::Result<IdentityMatcher, String> {
    let issuer = match (wire.issuer, wire.issuer_reg_exp) {
        (Some(exact), None) => Claim::exact(exact),
        (None, Some(Checked(RegExpClaim(claim)))) => claim,
        _ => {
            return Err(format!(
                "{at}: give exactly one of `issuer` or `issuerRegExp`"
            ))
        }
    };
    let subject = match (wire.subject, wire.subject_reg_exp) {
        (Some(exact), None) => Claim::exact(exact),
        (None, Some(Checked(RegExpClaim(claim)))) => claim,
        _ => {
            return Err(format!(
                "{at}: give exactly one of `subject` or `subjectRegExp`"
            ))
        }
    };
    Ok(IdentityMatcher { issuer, subject })
}

/// Checks that every name in `named` is an authority; `None` means all.
fn signers(
    at: &str,
    names: &[String],
    named: Option<Vec<String>>,
    threshold: Option<Threshold>,
) -> std::result::Result<Signers, String> {
    let authorities = match named {
        None => names.to_vec(),
        Some(list) => {
            if list.is_empty() {
                return Err(format!(
                    "{at}.authorities: an empty list admits no one; omit it to allow any authority"
                ));
            }
            if let Some(missing) = list.iter().find(|n| !names.contains(n)) {
                return Err(format!(
                    "{at}.authorities: {missing:?} is not an authority of this policy (have: {})",
                    names.join(", ")
                ));
            }
            list
        }
    };
    Ok(Signers {
        authorities,
        threshold: threshold.map_or(NonZeroU32::MIN, |t| t.0),
    })
}

fn unique(at: &str, what: &str, names: &[&str]) -> std::result::Result<(), String> {
    let mut seen = BTreeSet::new();
    for (i, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(format!("{at}[{i}]: a {what} needs a non-empty `name`"));
        }
        if !seen.insert(*name) {
            return Err(format!("{at}[{i}]: {what} name {name:?} is used twice"));
        }
    }
    Ok(())
}

impl TryFrom<Located<'_>> for ImagePolicy {
    type Error = String;

    fn try_from(located: Located<'_>) -> std::result::Result<Self, String> {
        let Located { wire, mut refs } = located;
        let WireDocument { metadata, spec, .. } = wire;
        if metadata.name.trim().is_empty() {
            return Err("metadata.name: a policy needs a name".into());
        }
        if spec.images.is_empty() {
            return Err(
                "spec.images: list at least one glob; a policy must say which images it applies to"
                    .into(),
            );
        }
        if spec.authorities.is_empty() {
            return Err("spec.authorities: list at least one authority (a `static: pass` one to admit without evidence)".into());
        }
        let authority_names: Vec<&str> = spec.authorities.iter().map(|a| a.name.as_str()).collect();
        unique("spec.authorities", "authority", &authority_names)?;
        let attestation_names: Vec<&str> =
            spec.attestations.iter().map(|a| a.name.as_str()).collect();
        unique("spec.attestations", "attestation", &attestation_names)?;

        let mut authorities = Vec::with_capacity(spec.authorities.len());
        for (i, wire) in spec.authorities.into_iter().enumerate() {
            let at = format!("spec.authorities[{i}] ({})", wire.name);
            authorities.push(refs.authority(&at, wire)?);
        }
        let names: Vec<String> = authorities.iter().map(|a| a.name.clone()).collect();

        let mut attestations = Vec::with_capacity(spec.attestations.len());
        // Whether each requirement names its authorities (not "any").
        let attestation_named: Vec<bool> = spec
            .attestations
            .iter()
            .map(|a| a.authorities.is_some())
            .collect();
        for (i, wire) in spec.attestations.into_iter().enumerate() {
            let at = format!("spec.attestations[{i}] ({})", wire.name);
            if wire.predicate_type.trim().is_empty() {
                return Err(format!(
                    "{at}.predicateType: name the predicate type required"
                ));
            }
            attestations.push(AttestationRequirement {
                signers: signers(&at, &names, wire.authorities, wire.threshold)?,
                name: wire.name,
                predicate_type: wire.predicate_type,
                rego: wire.rego.map(|c| c.0),
            });
        }
        let signatures = match spec.signatures {
            Some(s) => Some(signers(
                "spec.signatures",
                &names,
                s.authorities,
                s.threshold,
            )?),
            None if attestations.is_empty() => {
                Some(signers("spec.signatures", &names, None, None)?)
            }
            None => None,
        };
        let vendored_inputs = spec
            .vendored_inputs
            .map(VendoredInputs::try_from)
            .transpose()?;
        let keyed: Vec<String> = authorities
            .iter()
            .filter(|a| !matches!(a.kind, AuthorityKind::Static(_)))
            .map(|a| a.name.clone())
            .collect();
        // A list of authorities that sign, checked; `empty` is the error
        // of an empty one.
        let signing = |at: &str, list: Vec<String>, empty: &str| {
            if list.is_empty() {
                return Err(format!("{at}: {empty}"));
            }
            if let Some(s) = list.iter().find(|n| !names.contains(n)) {
                return Err(format!(
                    "{at}: {s:?} is not an authority of this policy (have: {})",
                    names.join(", ")
                ));
            }
            if let Some(s) = list.iter().find(|n| !keyed.contains(n)) {
                return Err(format!(
                    "{at}: {s:?} is a static authority; it signs nothing"
                ));
            }
            Ok(list)
        };
        let inputs_from = spec
            .inputs_from
            .map(|list| {
                signing(
                    "spec.inputsFrom",
                    list,
                    "an empty list trusts no provenance; omit it to take the inputs from what \
                     the attestation requirements admit",
                )
            })
            .transpose()?;
        let mut vex_named = None;
        let vulnerabilities = match spec.vulnerabilities {
            Some(mut wire) => {
                vex_named = wire
                    .vex_authorities
                    .take()
                    .map(|list| {
                        signing(
                            "spec.vulnerabilities.vexAuthorities",
                            list,
                            "an empty list trusts no VEX statement; omit it to trust every \
                             authority that does not supply the inputs",
                        )
                    })
                    .transpose()?;
                let (path, database) = refs.osv(&wire.osv)?;
                let vendor = refs.vendor_vex(wire.vendor_vex.take().unwrap_or_default())?;
                Some(Vulnerabilities::new(wire, path, database, vendor)?)
            }
            None => None,
        };
        // Who is named for the inputs, and who may supply them at all.
        let (named_inputs, all_inputs) = match &inputs_from {
            Some(list) => (list.clone(), list.clone()),
            None => {
                let mut named = Vec::new();
                let mut all = Vec::new();
                for (wire, requirement) in attestation_named.iter().zip(&attestations) {
                    if !records_inputs(&requirement.predicate_type) {
                        continue;
                    }
                    for a in &requirement.signers.authorities {
                        if *wire && !named.contains(a) {
                            named.push(a.clone());
                        }
                        if !all.contains(a) && keyed.contains(a) {
                            all.push(a.clone());
                        }
                    }
                }
                (named, all)
            }
        };
        let mut policy = ImagePolicy {
            name: metadata.name,
            source: refs.file.to_path_buf(),
            mode: spec.mode,
            images: spec.images.into_iter().map(|i| i.glob.0).collect(),
            authorities,
            signatures,
            attestations,
            vendored_inputs,
            vulnerabilities,
            inputs_from,
            input_authorities: Vec::new(),
            vex_authorities: Vec::new(),
            max_age: spec.max_age.map(|m| m.0 .0),
        };
        (policy.input_authorities, policy.vex_authorities) =
            policy.split_trust(&named_inputs, &all_inputs, vex_named.as_deref());
        Ok(policy)
    }
}

// ---------------------------------------------------------------------------
// Loading.

/// Every policy loaded from a file or directory.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PolicySet {
    /// The policies, in file order then document order.
    pub policies: Vec<ImagePolicy>,
    /// The policy files read, in order.
    pub files: Vec<PathBuf>,
    /// Documents skipped as another vouch kind (criticality rules): file
    /// and kind.
    pub skipped: Vec<(PathBuf, String)>,
    /// Files of a policy directory that were not read: neither a policy
    /// file (`.yaml`, `.yml`) nor a file a policy names. The loader that
    /// listed the directory fills it in; the caller warns about each, so
    /// that a policy saved as `strict.json` is not silently left out.
    pub ignored: Vec<PathBuf>,
    /// SHA-256 over the bytes of every policy file and of every key and
    /// trusted root they name, each length-prefixed, in load order. Two
    /// sets with the same version decide alike, so a verdict cache is
    /// keyed on it (with the image digest).
    pub version: Sha256,
}

impl PolicySet {
    /// The policy set of keys given on the command line instead of a
    /// policy file (`vouch vulns|diff|report --key`): one enforce policy,
    /// `command-line keys`, for every image, whose authorities are the
    /// keys, named as given (`ci` for `ci.pub`), each also answering
    /// findings with its VEX. It requires a verified SLSA provenance from
    /// any of them, and no image signature. `paths` are where the keys
    /// came from, listed as the set's files.
    pub fn from_keys(keys: Vec<(String, PublicKey)>, paths: Vec<PathBuf>) -> Result<PolicySet> {
        let label = || Path::new("--key");
        if keys.is_empty() {
            return Err(invalid(label(), "give at least one key"));
        }
        let mut names: Vec<String> = Vec::new();
        let mut canonical = Vec::new();
        let mut authorities = Vec::new();
        for (name, key) in keys {
            let mut unique = name.clone();
            let mut n = 1;
            while names.contains(&unique) {
                n += 1;
                unique = format!("{name}-{n}");
            }
            names.push(unique.clone());
            let pem = key.to_pem();
            push_part(&mut canonical, pem.as_bytes());
            authorities.push(Authority {
                name: unique,
                kind: AuthorityKind::Key(KeyAuthority { key, path: None }),
            });
        }
        let glob = |g: &str| ImageGlob::new(g).map_err(|e| invalid(label(), e));
        let policy = ImagePolicy {
            name: "command-line keys".into(),
            source: label().to_path_buf(),
            mode: Mode::Enforce,
            images: vec![glob("**")?, glob("oci:**")?, glob("oci:/**")?],
            signatures: None,
            attestations: vec![AttestationRequirement {
                name: "provenance".into(),
                predicate_type: vouch_evidence::provenance::SLSA_PROVENANCE_V1.into(),
                signers: Signers {
                    authorities: names.clone(),
                    threshold: NonZeroU32::MIN,
                },
                rego: None,
            }],
            authorities,
            vendored_inputs: None,
            vulnerabilities: None,
            inputs_from: None,
            input_authorities: names.clone(),
            vex_authorities: names,
            max_age: None,
        };
        Ok(PolicySet {
            policies: vec![policy],
            files: paths,
            skipped: Vec::new(),
            ignored: Vec::new(),
            version: sha256(&canonical),
        })
    }

    /// The policies that apply to `image`; all of them must allow it.
    pub fn matching(&self, image: &ImageRef) -> Vec<&ImagePolicy> {
        self.policies.iter().filter(|p| p.matches(image)).collect()
    }

    /// What the caller should warn about: each ignored file.
    pub fn warnings(&self) -> Vec<String> {
        self.ignored
            .iter()
            .map(|file| {
                format!(
                    "{} was not read: a policy file's name ends in .yaml or .yml",
                    file.display()
                )
            })
            .collect()
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> Error {
    Error::Policy {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// `line N: why (column C)` from a serde_norway error, whose own text ends
/// with ` at line N column C`.
fn yaml_reason(err: &serde_norway::Error) -> String {
    let text = err.to_string();
    match err.location() {
        Some(at) => {
            let suffix = format!(" at line {} column {}", at.line(), at.column());
            let why = text.strip_suffix(&suffix).unwrap_or(&text);
            format!("line {}: {why} (column {})", at.line(), at.column())
        }
        None => text,
    }
}

/// One policy file, parsed: its documents' wire form, checked field by
/// field, before anything they name is read. What spans fields, and the
/// files they name, are checked when the set is [`build`]t.
#[derive(Debug)]
pub struct PolicyFile {
    path: PathBuf,
    bytes: Vec<u8>,
    documents: Vec<Document>,
    /// The first mistake in the file, if any: reported by [`build`] after
    /// the documents before it are built, so that a set with several
    /// mistakes reports the first one, in file and document order.
    error: Option<Error>,
}

/// One document of a policy file.
#[derive(Debug)]
struct Document {
    /// Its place in the file, from 0, for messages.
    index: usize,
    body: Body,
}

#[derive(Debug)]
enum Body {
    Policy(Box<WireDocument>),
    /// Another vouch kind, skipped (criticality rules).
    Skipped(String),
}

impl fmt::Debug for WireDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireDocument")
            .field("name", &self.metadata.name)
            .finish_non_exhaustive()
    }
}

impl PolicyFile {
    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The files its policies name, in the order they are taken: each
    /// authority's key or trusted root, then the OSV database. The caller
    /// reads them into a [`Resolved`] before it [`build`]s the set.
    pub fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        for document in &self.documents {
            let Body::Policy(wire) = &document.body else {
                continue;
            };
            for authority in &wire.spec.authorities {
                match (&authority.key, &authority.keyless, &authority.static_) {
                    (
                        Some(WireKey {
                            path: Some(path),
                            data: None,
                        }),
                        None,
                        None,
                    ) => out.push(Reference::File(resolve(&self.path, path))),
                    (
                        None,
                        Some(WireKeyless {
                            trusted_root: Some(root),
                            ..
                        }),
                        None,
                    ) => out.push(Reference::File(resolve(&self.path, root))),
                    _ => {}
                }
            }
            if let Some(vulnerabilities) = &wire.spec.vulnerabilities {
                out.push(Reference::Osv(resolve(&self.path, &vulnerabilities.osv)));
                for vendor in vulnerabilities.vendor_vex.iter().flatten() {
                    if let Some(key) = &vendor.key {
                        out.push(Reference::File(resolve(&self.path, key)));
                    }
                    out.push(Reference::VendorVex(resolve(&self.path, &vendor.path)));
                }
            }
        }
        out
    }
}

/// Parses one policy file's bytes (`path` names it in errors, and what its
/// policies name is resolved against it). A file may hold several
/// documents separated by `---`. A mistake is kept in the file and
/// reported when the set is built.
pub fn parse(path: &Path, bytes: Vec<u8>) -> PolicyFile {
    let mut documents = Vec::new();
    let error = parse_documents(path, &bytes, &mut documents).err();
    PolicyFile {
        path: path.to_path_buf(),
        bytes,
        documents,
        error,
    }
}

/// Builds the policy set of `files` (parsed, in load order) with what
/// their policies name (`resolved`); `label` (the file or directory asked
/// for) is named when no file holds a policy. Any invalid document, or no
/// `ImagePolicy` at all, fails the whole set.
pub fn build(label: &Path, files: Vec<PolicyFile>, resolved: &Resolved) -> Result<PolicySet> {
    let mut set = PolicySet {
        policies: Vec::new(),
        files: Vec::new(),
        skipped: Vec::new(),
        ignored: Vec::new(),
        version: sha256(b""),
    };
    let mut canonical = Vec::new();
    for file in files {
        let mut referenced = Vec::new();
        for document in file.documents {
            let wire = match document.body {
                Body::Policy(wire) => *wire,
                Body::Skipped(kind) => {
                    set.skipped.push((file.path.clone(), kind));
                    continue;
                }
            };
            let policy = ImagePolicy::try_from(Located {
                wire,
                refs: Refs {
                    file: &file.path,
                    referenced: &mut referenced,
                    resolved,
                },
            })
            .map_err(|reason| invalid(&file.path, in_document(document.index, reason)))?;
            set.policies.push(policy);
        }
        if let Some(error) = file.error {
            return Err(error);
        }
        for part in std::iter::once(&file.bytes).chain(referenced.iter()) {
            push_part(&mut canonical, part);
        }
        set.files.push(file.path);
    }
    if set.policies.is_empty() {
        return Err(invalid(label, format!("no `kind: {KIND}` document found")));
    }
    let mut seen = BTreeSet::new();
    for policy in &set.policies {
        if !seen.insert(policy.name.as_str()) {
            return Err(invalid(
                &policy.source,
                format!("metadata.name: policy name {:?} is used twice", policy.name),
            ));
        }
    }
    set.version = sha256(&canonical);
    Ok(set)
}

/// The policy set of files already read, with `osv` (when given) standing
/// for every `vulnerabilities.osv` and no other file a policy names read:
/// a key or trusted root given by path is an error. For fuzzing, and for
/// callers that hold the bytes.
pub fn load_bytes(
    label: &Path,
    files: Vec<(PathBuf, Vec<u8>)>,
    osv: Option<GivenOsv>,
) -> Result<PolicySet> {
    let parsed = files
        .into_iter()
        .map(|(path, bytes)| parse(&path, bytes))
        .collect();
    build(label, parsed, &Resolved::new(osv))
}

/// `reason` as said of the document at `index` of its file: the first
/// needs no number.
fn in_document(index: usize, reason: String) -> String {
    if index == 0 {
        reason
    } else {
        format!("document {}: {reason}", index + 1)
    }
}

/// Parses every document of one file into `documents`, up to the first
/// mistake.
fn parse_documents(file: &Path, bytes: &[u8], documents: &mut Vec<Document>) -> Result<()> {
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(invalid(
            file,
            format!("larger than the limit of {MAX_POLICY_BYTES} bytes"),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| invalid(file, format!("not UTF-8: {e}")))?;
    check_flow_nesting(text).map_err(|e| invalid(file, e))?;
    let mut headers = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let header =
            Option::<Header>::deserialize(document).map_err(|e| invalid(file, yaml_reason(&e)))?;
        headers.push(header);
    }
    for (index, (document, header)) in serde_norway::Deserializer::from_str(text)
        .zip(headers)
        .enumerate()
    {
        // An empty document (a trailing `---`) holds nothing.
        let Some(header) = header else { continue };
        let at = |reason: String| in_document(index, reason);
        let api_version = header.api_version.unwrap_or_default();
        let kind = header.kind.unwrap_or_default();
        if api_version != API_VERSION {
            return Err(invalid(
                file,
                at(format!(
                    "apiVersion is {api_version:?}, expected {API_VERSION:?}"
                )),
            ));
        }
        match kind.as_str() {
            KIND => {}
            CRITICALITY_RULES_KIND => {
                documents.push(Document {
                    index,
                    body: Body::Skipped(kind),
                });
                continue;
            }
            _ => {
                return Err(invalid(
                    file,
                    at(format!(
                        "kind is {kind:?}, expected {KIND:?} ({CRITICALITY_RULES_KIND:?} documents are skipped)"
                    )),
                ))
            }
        }
        let wire =
            WireDocument::deserialize(document).map_err(|e| invalid(file, at(yaml_reason(&e))))?;
        documents.push(Document {
            index,
            body: Body::Policy(Box::new(wire)),
        });
    }
    Ok(())
}

/// The deepest bracket nesting a policy file's text may have.
pub const MAX_FLOW_NESTING: usize = 64;

/// Refuses text whose `[` and `{` nest deeper than [`MAX_FLOW_NESTING`],
/// counted over the raw text, before the YAML parser reads it: that parser
/// takes time quadratic in the nesting of flow collections before its own
/// recursion limit applies (a 200 KB file took over a minute). Real
/// policies nest a few levels, Rego conditions included.
fn check_flow_nesting(text: &str) -> std::result::Result<(), String> {
    let mut depth = 0usize;
    for (i, line) in text.lines().enumerate() {
        for b in line.bytes() {
            match b {
                b'[' | b'{' => depth += 1,
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => continue,
            }
            if depth > MAX_FLOW_NESTING {
                return Err(format!(
                    "line {}: brackets nested deeper than {MAX_FLOW_NESTING} levels",
                    i + 1
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
