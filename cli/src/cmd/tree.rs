//! `vouch tree`: what is attached to an image.

use std::io::Write;

use anyhow::Result;
use vouch_evidence::text::Escaped;
use vouch_registry::attach::{self, Attachment, Evidence, Ignored};
use vouch_registry::oci::{Descriptor, Manifest};

use crate::args::{Output, OutputArgs, RegistryArgs};
use crate::image::parse_image;
use crate::term;

/// Arguments of `vouch tree`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  vouch tree oci:build/layout:v1\n  vouch tree registry.example.com/team/app:v1 --output json"
)]
pub struct Args {
    /// The image: `oci:PATH[:TAG]` or a registry reference.
    #[arg(value_name = "IMAGE")]
    image: String,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

fn key_of(a: &Attachment) -> Option<String> {
    match &a.evidence {
        Evidence::Bundle(b) => b.public_key_hint().map(|h| format!("hint:{h}")),
        Evidence::Dsse(e) => e
            .signatures()
            .first()
            .map(|s| s.keyid.clone())
            .filter(|k| !k.is_empty()),
        Evidence::SimpleSigning { .. } => None,
    }
}

fn json_of(subject: &Descriptor, a: &Attachment) -> serde_json::Value {
    serde_json::json!({
        "subject": subject.digest.to_string(),
        "kind": a.kind.name(),
        "format": a.format.name(),
        "predicateType": a.predicate_type,
        "key": key_of(a),
        "created": a.created,
        "digest": a.digest.to_string(),
    })
}

/// An entry that could not be read, with why (its kind and predicate type
/// as it declares them).
fn json_of_ignored(subject: &Descriptor, i: &Ignored) -> serde_json::Value {
    serde_json::json!({
        "subject": subject.digest.to_string(),
        "kind": i.kind.name(),
        "format": i.format.name(),
        "predicateType": i.predicate_type,
        "digest": i.digest.to_string(),
        "reason": i.reason,
    })
}

/// Lists the attachments of the image and, for an index, of each platform
/// manifest.
pub async fn run(args: Args) -> Result<()> {
    let image = parse_image(&args.image)?;
    let repo = args.registry.open(&image, false)?;
    let root = repo.resolve(&image).await?;
    let mut subjects = vec![root.clone()];
    if let Manifest::Index(index) = repo.manifest(&root.digest).await?.manifest {
        subjects.extend(index.distinct_manifests().into_iter().cloned());
    }
    let mut found = Vec::new();
    for subject in &subjects {
        found.push((subject, attach::list(&repo, &subject.digest, None).await?));
    }
    match args.output.output {
        Output::Json => {
            let attachments: Vec<serde_json::Value> = found
                .iter()
                .flat_map(|(s, list)| list.attachments.iter().map(|a| json_of(s, a)))
                .collect();
            let ignored: Vec<serde_json::Value> = found
                .iter()
                .flat_map(|(s, list)| list.ignored.iter().map(|i| json_of_ignored(s, i)))
                .collect();
            let doc = serde_json::json!({
                "image": image.location.to_string(),
                "digest": root.digest.to_string(),
                "attachments": attachments,
                "ignored": ignored,
            });
            writeln!(
                term::data_stdout(),
                "{}",
                serde_json::to_string_pretty(&doc)?
            )?;
        }
        Output::Table => {
            // Platforms, predicate types, key ids, dates and reasons come
            // from the registry and the evidence: each is escaped.
            let mut out = term::text_stdout();
            for (subject, list) in &found {
                let platform = subject
                    .platform
                    .as_ref()
                    .map(|p| format!(" ({}/{})", p.os, p.architecture))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}@{}{}",
                    Escaped(&image.location),
                    subject.digest,
                    Escaped(platform)
                )?;
                if list.attachments.is_empty() && list.ignored.is_empty() {
                    writeln!(out, "  (nothing attached)")?;
                }
                for a in &list.attachments {
                    let v = json_of(subject, a);
                    let field = |k: &str| Escaped(v[k].as_str().unwrap_or("-").to_string());
                    writeln!(
                        out,
                        "  {:<12} {:<7} {:<40} {:<52} {}",
                        field("kind"),
                        field("format"),
                        field("predicateType"),
                        field("key"),
                        field("created")
                    )?;
                }
                for i in &list.ignored {
                    writeln!(
                        out,
                        "  ignored      {:<7} {}: {}",
                        i.format.name(),
                        i.digest,
                        Escaped(&i.reason)
                    )?;
                }
            }
        }
    }
    Ok(())
}
