//! `vouch vex`: write an OpenVEX document answering a finding, and sign it
//! onto the image it speaks of.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use vouch_evidence::digest::DigestSet;
use vouch_evidence::statement::{ResourceDescriptor, Statement};
use vouch_evidence::vex::{self, Document, Justification, Product, Status, OPENVEX_PREDICATE_TYPE};
use vouch_verify::vulns::names_image;

use crate::args::{RegistryArgs, SigningArgs};
use crate::attach::{attach_statement, Format};
use crate::clock::now_rfc3339;
use crate::files::{read_capped, write_atomic, Overwrite, MAX_DOCUMENT_BYTES};
use crate::image::{image_purl, parse_image};
use crate::term::note;
use crate::Misconfigured;

/// Arguments of `vouch vex`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Write an OpenVEX v0.2.0 document with one statement.
    Create(CreateArgs),
    /// Sign an OpenVEX document as an in-toto attestation
    /// (https://openvex.dev/ns/v0.2.0) and store it next to the image.
    Attach(AttachArgs),
}

/// Arguments of `vouch vex create`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch vex create --product oci:build/layout:app --vulnerability CVE-2024-50615 \\\n    \
    --status not_affected --justification vulnerable_code_not_in_execute_path \\\n    \
    --impact \"only parses its own bundled configuration\" \\\n    \
    --subcomponent pkg:github/leethomason/tinyxml2@10.0.0 -o app.vex.json\n\n\
    Statuses: not_affected (needs --justification or --impact), affected (needs --action),\n\
    fixed, under_investigation. Justifications: component_not_present,\n\
    vulnerable_code_not_present, vulnerable_code_not_in_execute_path,\n\
    vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist.")]
pub struct CreateArgs {
    /// The product: an image (`oci:PATH[:TAG]` or a registry reference,
    /// resolved to its digest and written as its purl), an image purl
    /// (`pkg:oci/…@sha256%3A…`) or a digest (`sha256:<hex>`).
    #[arg(long, value_name = "IMAGE|PURL|DIGEST")]
    product: String,
    /// The vulnerability (CVE, GHSA, OSV id); repeatable, one statement
    /// each, all with the same answer.
    #[arg(long, value_name = "ID", required = true)]
    vulnerability: Vec<String>,
    /// not_affected, affected, fixed or under_investigation.
    #[arg(long, value_name = "STATUS")]
    status: String,
    /// Why the product is not affected (with not_affected).
    #[arg(long, value_name = "J")]
    justification: Option<String>,
    /// How the product is (not) impacted, in words.
    #[arg(long, value_name = "TEXT")]
    impact: Option<String>,
    /// What users should do (required with affected).
    #[arg(long, value_name = "TEXT")]
    action: Option<String>,
    /// The input the statement is about, by purl (repeatable); without
    /// one, the statement covers the vulnerability anywhere in the image.
    #[arg(long, value_name = "PURL")]
    subcomponent: Vec<String>,
    /// Who makes the statement.
    #[arg(long, value_name = "NAME", default_value = "vouch")]
    author: String,
    /// When the statements are made (RFC 3339, `2024-11-02T10:00:00Z`):
    /// the document's and every statement's timestamp. Default:
    /// `$SOURCE_DATE_EPOCH` (seconds since 1970) when set, else now.
    #[arg(long, value_name = "RFC3339")]
    timestamp: Option<String>,
    /// Where to write the document.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Arguments of `vouch vex attach`.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  \
    vouch vex attach oci:build/layout:app app.vex.json --key security.key\n\n\
    Every statement must name this image (its digest) among its products: a document\n\
    for another product is refused.")]
pub struct AttachArgs {
    /// The image the document speaks of.
    #[arg(value_name = "IMAGE")]
    image: String,
    /// The OpenVEX document.
    #[arg(value_name = "VEX.json")]
    document: PathBuf,
    #[command(flatten)]
    key: SigningArgs,
    /// bundle: a Sigstore bundle as an OCI 1.1 referrer (default); legacy:
    /// a cosign DSSE layer under the `.att` tag.
    #[arg(long, value_enum, default_value_t = Format::Bundle)]
    format: Format,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Dispatches `vouch vex …`.
pub async fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Create(a) => create(a).await,
        Command::Attach(a) => attach(a).await,
    }
}

async fn create(args: CreateArgs) -> Result<()> {
    let product = if args.product.starts_with("pkg:") || args.product.starts_with("sha256:") {
        args.product.clone()
    } else {
        let image = parse_image(&args.product)?;
        let repo = args.registry.open(&image, false)?;
        let target = repo.resolve(&image).await?;
        image_purl(&image.location, &target.digest.hex())
    };
    let status: Status = args
        .status
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid --status: {e}"))?;
    let justification = args
        .justification
        .as_deref()
        .map(str::parse::<Justification>)
        .transpose()
        .map_err(|e| anyhow::anyhow!("invalid --justification: {e}"))?;
    let timestamp = made_at(
        args.timestamp.as_deref(),
        std::env::var_os("SOURCE_DATE_EPOCH").as_deref(),
    )?;
    let statements = args
        .vulnerability
        .into_iter()
        .map(|vulnerability| vex::Statement {
            vulnerability,
            aliases: Vec::new(),
            products: vec![Product {
                id: product.clone(),
                subcomponents: args.subcomponent.clone(),
            }],
            status,
            justification,
            impact_statement: args.impact.clone(),
            action_statement: args.action.clone(),
            status_notes: None,
            timestamp,
        })
        .collect();
    let document = Document::new(args.author, timestamp, statements)
        .context("refusing to write an invalid VEX document")?;
    write_atomic(&args.output, &document.to_json(), 0o644, Overwrite::Yes)?;
    note!(
        "Wrote {} ({}, {} statement(s))",
        args.output.display(),
        document.id,
        document.statements.len()
    );
    Ok(())
}

/// When a document is made: `--timestamp`, else `SOURCE_DATE_EPOCH` (as
/// reproducible-builds tools read it, so that a rebuild writes the same
/// document), else now, in whole seconds. A value that does not parse is
/// a usage error, never replaced by the clock.
fn made_at(flag: Option<&str>, epoch: Option<&std::ffi::OsStr>) -> Result<jiff::Timestamp> {
    if let Some(text) = flag {
        return text.parse().map_err(|e| {
            Misconfigured::Usage(format!(
                "invalid --timestamp {text:?}: {e} (expected RFC 3339, like 2024-11-02T10:00:00Z)"
            ))
            .into()
        });
    }
    if let Some(epoch) = epoch {
        let text = epoch.to_string_lossy();
        return text
            .parse::<i64>()
            .ok()
            .and_then(|seconds| jiff::Timestamp::from_second(seconds).ok())
            .ok_or_else(|| {
                Misconfigured::Usage(format!(
                    "invalid SOURCE_DATE_EPOCH {text:?}: expected whole seconds since 1970-01-01"
                ))
                .into()
            });
    }
    Ok(jiff::Timestamp::now().round(jiff::Unit::Second)?)
}

async fn attach(args: AttachArgs) -> Result<()> {
    let bytes = read_capped(&args.document, MAX_DOCUMENT_BYTES, "VEX document")?;
    let document = Document::from_json(&bytes)
        .map_err(|e| anyhow::anyhow!("invalid VEX document in {}: {e}", args.document.display()))?;
    let signer = args.key.signer().await?;
    let image = parse_image(&args.image)?;
    let repo = args.registry.open(&image, false)?;
    let target = repo.resolve(&image).await?;
    for (i, statement) in document.statements.iter().enumerate() {
        if !statement
            .products
            .iter()
            .any(|p| names_image(&p.id, &target.digest))
        {
            let named: Vec<&str> = statement.products.iter().map(|p| p.id.as_str()).collect();
            bail!(
                "VEX document for another product in {}: statements[{i}] ({}) names {}, not {}@{}",
                args.document.display(),
                statement.vulnerability,
                named.join(", "),
                image.location,
                target.digest
            );
        }
    }
    let subject = ResourceDescriptor::named(
        image.location.to_string(),
        DigestSet::from_sha256(target.digest),
    );
    // The document as written, unknown fields and all: what was reviewed
    // is what gets signed.
    let predicate: serde_json::Value = serde_json::from_slice(&bytes)?;
    let statement = Statement::new(vec![subject], OPENVEX_PREDICATE_TYPE, predicate)?.to_json();
    let stored = attach_statement(
        &repo,
        &target,
        &*signer,
        args.format,
        &now_rfc3339(),
        OPENVEX_PREDICATE_TYPE,
        &statement,
    )
    .await?;
    note!(
        "Attached VEX {} ({} statement(s)) to {}@{} with {}{}",
        document.id,
        document.statements.len(),
        image.location,
        target.digest,
        signer.label(),
        stored.map_or(" -> .att tag".into(), |d| format!(" -> referrer {d}"))
    );
    Ok(())
}
