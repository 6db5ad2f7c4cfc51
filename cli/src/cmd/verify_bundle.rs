//! `vouch verify-bundle`: the Sigstore conformance CLI's verify command.
//!
//! The argv is exactly that of the conformance suite's CLI_PROTOCOL.md:
//! `verify-bundle [--staging] --bundle FILE (--key PUB | --certificate-identity ID
//! --certificate-oidc-issuer URL) [--trusted-root FILE] FILE_OR_DIGEST`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use vouch_evidence::bundle::Bundle;
use vouch_evidence::digest::Sha256;
use vouch_verify::bundle::{
    verify_keyless, verify_with_key, Artifact, ExpectedIdentity, TrustedRoot,
};

use crate::args::TrustedRootArgs;
use crate::files::{load_public_key, read_artifact, read_capped, MAX_DOCUMENT_BYTES};
use crate::term::note;

/// Arguments of `vouch verify-bundle`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch verify-bundle --bundle app.tar.sigstore.json --key ci.pub app.tar\n  \
    vouch verify-bundle --bundle prov.sigstore.json --key ci.pub sha256:<hex of the subject>\n  \
    vouch verify-bundle --bundle app.tar.sigstore.json \\\n      \
    --certificate-identity https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0 \\\n      \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com app.tar")]
#[command(group(clap::ArgGroup::new("signer").required(true).args(["key", "certificate_identity"])))]
pub struct Args {
    /// Use the Sigstore staging trusted root instead of production.
    #[arg(long)]
    staging: bool,
    /// The Sigstore bundle to verify.
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
    /// Public key (SPKI PEM) the bundle must be signed with.
    #[arg(long, value_name = "PUB", conflicts_with_all = ["certificate_identity", "certificate_oidc_issuer"])]
    key: Option<PathBuf>,
    /// Keyless: the exact identity (email or URI subject alternative name)
    /// the Fulcio signing certificate must name.
    #[arg(long, value_name = "IDENTITY", requires = "certificate_oidc_issuer")]
    certificate_identity: Option<String>,
    /// Keyless: the exact OIDC issuer the signing certificate must name.
    #[arg(long, value_name = "URL", requires = "certificate_identity")]
    certificate_oidc_issuer: Option<String>,
    #[command(flatten)]
    trusted_root: TrustedRootArgs,
    /// The signed file, or `sha256:<64 hex>` of it (for an in-toto bundle: a subject).
    #[arg(value_name = "FILE_OR_DIGEST")]
    artifact: String,
}

/// Verifies the bundle; any failure is an error, and so a non-zero exit.
pub fn run(args: Args) -> Result<()> {
    let bundle_bytes = read_capped(&args.bundle, MAX_DOCUMENT_BYTES, "bundle")?;
    let bundle = Bundle::from_json(&bundle_bytes)
        .with_context(|| format!("bad bundle in {}", args.bundle.display()))?;
    let root = match (args.trusted_root.path(), args.staging) {
        (Some(path), _) => {
            let bytes = read_capped(path, MAX_DOCUMENT_BYTES, "trusted root")?;
            TrustedRoot::from_json(&bytes).with_context(|| format!("in {}", path.display()))?
        }
        (None, true) => TrustedRoot::public_good_staging()?,
        (None, false) => TrustedRoot::public_good()?,
    };
    let artifact_bytes;
    let artifact = match parse_digest_arg(&args.artifact)? {
        Some(digest) => Artifact::Digest(digest),
        None => {
            artifact_bytes = read_artifact(Path::new(&args.artifact))?;
            Artifact::Bytes(&artifact_bytes)
        }
    };
    let failed = || format!("verification failed for {}", args.bundle.display());
    let (signer, tlog_entries, timestamps) = match (
        &args.key,
        args.certificate_identity,
        args.certificate_oidc_issuer,
    ) {
        (Some(key_path), _, _) => {
            let key = load_public_key(key_path)?;
            let verified = verify_with_key(&bundle, artifact, &key, &root).with_context(failed)?;
            (
                format!("key {}", verified.key_id),
                verified.tlog_entries,
                verified.timestamps,
            )
        }
        (None, Some(subject), Some(issuer)) => {
            let expected = ExpectedIdentity { subject, issuer };
            let verified =
                verify_keyless(&bundle, artifact, &root, &expected).with_context(failed)?;
            (
                verified.identity.to_string(),
                verified.tlog_entries.len(),
                verified.timestamps,
            )
        }
        // clap requires --key or both identity flags.
        _ => bail!("give --key, or --certificate-identity and --certificate-oidc-issuer"),
    };
    note!(
        "Verified OK: {} signed by {}; {tlog_entries} transparency-log entr{} and {timestamps} RFC 3161 timestamp{} verified",
        args.bundle.display(),
        vouch_evidence::text::Escaped(&signer),
        if tlog_entries == 1 { "y" } else { "ies" },
        if timestamps == 1 { "" } else { "s" },
    );
    Ok(())
}

/// The conformance protocol's rule: an argument is a digest when it starts
/// with `sha256:` and is not a path on disk. Such an argument of the wrong
/// length is an error, not a file name.
fn parse_digest_arg(arg: &str) -> Result<Option<Sha256>> {
    if !arg.starts_with("sha256:") || Path::new(arg).exists() {
        return Ok(None);
    }
    let digest = arg.parse().context("bad FILE_OR_DIGEST argument")?;
    Ok(Some(digest))
}
