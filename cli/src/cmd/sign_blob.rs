//! `vouch sign-blob`: sign a file or an in-toto statement into a bundle.

use std::path::PathBuf;

use anyhow::{Context, Result};
use vouch_evidence::digest::sha256;
use vouch_evidence::dsse::IN_TOTO_PAYLOAD_TYPE;
use vouch_evidence::statement::Statement;
use vouch_verify::image::signed_evidence_kind;

use crate::args::SigningArgs;
use crate::files::{read_artifact, read_capped, write_atomic, Overwrite, MAX_DOCUMENT_BYTES};
use crate::term::note;

/// Arguments of `vouch sign-blob`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch sign-blob --key ci.key --bundle app.tar.sigstore.json app.tar\n  \
    vouch sign-blob --in-toto --key ci.key --bundle prov.sigstore.json statement.json\n  \
    vouch sign-blob --keyless --identity-token @token.jwt --bundle app.tar.sigstore.json app.tar")]
pub struct Args {
    #[command(flatten)]
    key: SigningArgs,
    /// Where to write the Sigstore bundle (v0.3 JSON).
    #[arg(long, value_name = "OUT")]
    bundle: PathBuf,
    /// FILE is an in-toto statement: sign it as a DSSE envelope
    /// (payloadType application/vnd.in-toto+json) instead of signing its bytes.
    #[arg(long)]
    in_toto: bool,
    /// The file to sign, or with --in-toto the statement.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// Signs and writes the bundle.
pub async fn run(args: Args) -> Result<()> {
    let signer = args.key.signer().await?;
    let bundle = if args.in_toto {
        let bytes = read_capped(&args.file, MAX_DOCUMENT_BYTES, "in-toto statement")?;
        // Validate, then sign the exact bytes given: what is verified later is
        // byte for byte what the user wrote.
        Statement::from_json(&bytes)
            .with_context(|| format!("bad in-toto statement in {}", args.file.display()))?;
        signer.sign_dsse(IN_TOTO_PAYLOAD_TYPE, &bytes).await?
    } else {
        let bytes = read_artifact(&args.file)?;
        if let Some(kind) = signed_evidence_kind(&bytes) {
            anyhow::bail!(
                "refusing to sign {}: it is {kind}; a blob signature over it would pass for \
                 image evidence signed by this key (use `vouch sign` or `vouch attest`, and \
                 keep one key per purpose)",
                args.file.display()
            );
        }
        note!("Signing {} ({})", args.file.display(), sha256(&bytes));
        signer.sign_message(&bytes).await?
    };
    write_atomic(&args.bundle, &bundle.to_json(), 0o644, Overwrite::Yes)?;
    note!(
        "Wrote bundle to {} ({})",
        args.bundle.display(),
        signer.label()
    );
    Ok(())
}
