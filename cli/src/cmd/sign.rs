//! `vouch sign`: sign an image's manifest digest and store the signature
//! next to it.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use vouch_registry::attach;
use vouch_registry::oci::{Descriptor, Manifest};

use crate::args::{RegistryArgs, SigningArgs};
use crate::attach::{legacy_key, sign_image, Format};
use crate::clock::now_rfc3339;
use crate::image::parse_image;
use crate::term::note;

/// Arguments of `vouch sign`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch sign oci:build/layout:v1 --key ci.key\n  \
    vouch sign registry.example.com/team/app:v1 --key ci.key --format legacy -a build=42\n  \
    vouch sign registry.example.com/team/app:v1 --key ci.key --recursive   # index and each platform\n  \
    vouch sign registry.example.com/team/app:v1 --keyless   # in GitHub Actions or GitLab CI")]
pub struct Args {
    /// The image: `oci:PATH[:TAG]` or a registry reference. A tag is resolved
    /// once; the signature is over the manifest digest.
    #[arg(value_name = "IMAGE")]
    image: String,
    #[command(flatten)]
    key: SigningArgs,
    /// Storage format.
    #[arg(long, value_enum, default_value_t = Format::Bundle)]
    format: Format,
    /// Annotation to sign along (KEY=VALUE; repeatable): in the statement's
    /// subject, or the simple-signing `optional` section.
    #[arg(long = "annotation", short = 'a', value_name = "KEY=VALUE")]
    annotations: Vec<String>,
    /// For an image index, also sign each platform manifest.
    #[arg(long)]
    recursive: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

fn parse_annotations(raw: &[String]) -> Result<BTreeMap<String, String>> {
    raw.iter()
        .map(|a| match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("bad --annotation {a:?}: expected KEY=VALUE"),
        })
        .collect()
}

/// The simple-signing payload cosign signs, byte for byte as Go's
/// `json.Marshal` writes it (keys sorted, compact).
fn simple_signing_payload(
    reference: &str,
    target: &Descriptor,
    annotations: &BTreeMap<String, String>,
) -> Vec<u8> {
    let optional = if annotations.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::json!(annotations)
    };
    let payload = serde_json::json!({
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": target.digest.to_string()},
            "type": "cosign container image signature",
        },
        "optional": optional,
    });
    serde_json::to_vec(&payload).unwrap_or_default()
}

/// A target's signature, made before anything is attached.
enum Signature {
    /// A bundle, for a referrer.
    Bundle(vouch_evidence::bundle::Bundle),
    /// A simple-signing payload and its signature, for a legacy layer.
    Legacy(Vec<u8>, Vec<u8>),
}

/// Signs the image (and with --recursive its platform manifests).
pub async fn run(args: Args) -> Result<()> {
    let signer = args.key.signer().await?;
    if args.format == Format::Legacy {
        legacy_key(&*signer)?;
    }
    let annotations = parse_annotations(&args.annotations)?;
    let image = parse_image(&args.image)?;
    let repo = args.registry.open(&image, false)?;
    let root = repo.resolve(&image).await?;
    let mut targets = vec![root.clone()];
    if args.recursive {
        match repo.manifest(&root.digest).await?.manifest {
            Manifest::Index(index) => {
                targets.extend(index.distinct_manifests().into_iter().cloned());
            }
            Manifest::Image(_) => bail!("--recursive: {image} is a single image, not an index"),
        }
    }
    // Every target is signed before anything is attached: a signer that
    // fails part-way leaves the image as it was.
    let mut signed = Vec::with_capacity(targets.len());
    for target in &targets {
        signed.push(match args.format {
            Format::Bundle => {
                Signature::Bundle(sign_image(&*signer, &target.digest, &annotations).await?)
            }
            Format::Legacy => {
                let payload =
                    simple_signing_payload(&image.location.to_string(), target, &annotations);
                let signature = legacy_key(&*signer)?.sign(&payload)?;
                Signature::Legacy(payload, signature)
            }
        });
    }
    let created = now_rfc3339();
    for (target, signature) in targets.iter().zip(&signed) {
        match signature {
            Signature::Bundle(bundle) => {
                attach::attach_bundle(&repo, target, bundle, &created, &BTreeMap::new()).await?;
            }
            Signature::Legacy(payload, signature) => {
                attach::attach_legacy_signature(&repo, &target.digest, payload, signature).await?;
            }
        }
        note!(
            "Signed {}@{} ({}, {})",
            image.location,
            target.digest,
            match args.format {
                Format::Bundle => "bundle",
                Format::Legacy => "legacy",
            },
            signer.label()
        );
    }
    Ok(())
}
