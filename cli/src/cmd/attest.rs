//! `vouch attest`: discover a project's vendored inputs, build the SBOM(s)
//! and the SLSA provenance, sign them, and attach them to the image.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use vouch_attest::assemble::{self, assemble, Identity, Links, Request};
use vouch_attest::Input;
use vouch_evidence::text::Escaped;

use crate::args::{AptArgs, DiscoveryArgs, PlatformArgs, RegistryArgs, SigningArgs};
use crate::attach::{attach_signed, legacy_key, sign_statement, Format};
use crate::clock::now_rfc3339;
use crate::discovery::{classify_os, discover_classified, mismatches};
use crate::files::{write_atomic, Overwrite};
use crate::image::{image_purl, parse_image};
use crate::outcome::Listed;
use crate::term::note;

/// An SBOM format to attest.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON (predicate https://cyclonedx.org/bom/v1.6).
    Cyclonedx,
    /// SPDX 2.3 JSON (predicate https://spdx.dev/Document/v2.3).
    Spdx,
    /// No SBOM: the provenance alone.
    None,
}

/// Arguments of `vouch attest`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch attest . --image oci:build/layout:app --key ci.key\n  \
    vouch attest . --image registry.example.com/team/app:v1 --key ci.key --sbom cyclonedx,spdx --links links/\n  \
    vouch attest . --image oci:build/layout:app --key ci.key --dry-run\n  \
    vouch attest . --image oci:build/layout:app --key ci.key --os-packages --all-platforms\n  \
    vouch attest . --image registry.example.com/team/app:v1 --keyless   # in GitHub Actions or GitLab CI")]
pub struct Args {
    /// The project directory: its lockfiles and vendored trees are read.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The image the evidence is about: `oci:PATH[:TAG]` or a registry
    /// reference. A tag is resolved once; every subject is its digest.
    #[arg(long, value_name = "IMAGE")]
    image: String,
    #[command(flatten)]
    key: SigningArgs,
    /// SBOM formats to attest besides the provenance (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "cyclonedx")]
    sbom: Vec<SbomFormat>,
    /// Also write one DSSE-signed classic in-toto link per vendored input
    /// into this directory (for `in-toto-verify` with `vouch layout`).
    #[arg(long, value_name = "DIR")]
    links: Option<PathBuf>,
    /// Do everything but attach: resolve the image, build and sign the
    /// evidence, print the summary, and push nothing.
    #[arg(long)]
    dry_run: bool,
    /// Storage format of the attestations.
    #[arg(long, value_enum, default_value_t = Format::Bundle)]
    format: Format,
    /// `builder.id` of the provenance. Default: the CI workflow identity
    /// (GitHub Actions, GitLab CI), else https://vouch.dev/builders/local.
    #[arg(long, value_name = "URI")]
    builder_id: Option<String>,
    /// Attest even when a vendored input does not match its declaration;
    /// the mismatch is recorded in the provenance and the SBOM.
    #[arg(long)]
    allow_mismatch: bool,
    #[command(flatten)]
    discovery: DiscoveryArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Also record the image's OS packages (its dpkg, apk and RPM
    /// databases, read from its layers) in the provenance and the SBOMs.
    #[arg(long)]
    os_packages: bool,
    /// Which platforms' OS packages are recorded (with --os-packages).
    #[command(flatten)]
    platforms: PlatformArgs,
    /// Where an input provided by a distribution package (a `[patch]`
    /// onto its installed files) is traced to its signed archive; the
    /// verified chain is recorded with the input.
    #[command(flatten)]
    apt: AptArgs,
}

/// A progress line on stderr while discovery hashes the tree, when stderr
/// is a terminal: files and bytes hashed so far, and the rate.
fn progress(dir: &Path) -> Option<indicatif::ProgressBar> {
    if !crate::term::stderr_is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} hashing {prefix}: {msg} files, {bytes} ({binary_bytes_per_sec}), {elapsed}",
        )
        .ok()?,
    );
    bar.set_prefix(dir.display().to_string());
    bar.set_message("0");
    bar.enable_steady_tick(Duration::from_millis(100));
    Some(bar)
}

fn count_by_ecosystem(inputs: &[Input]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in inputs {
        *counts.entry(i.ecosystem).or_default() += 1;
    }
    counts
        .iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Discovers, builds, signs and attaches; prints a one-screen summary.
pub async fn run(args: Args) -> Result<()> {
    let started_on = now_rfc3339();
    let signer = args.key.signer().await?;
    // What only a long-lived key can sign is refused before any work.
    let link_key = match &args.links {
        Some(_) => Some(signer.key().ok_or_else(|| {
            anyhow::anyhow!(
                "--links needs a key (--key): in-toto links are checked against a layout's \
                 public keys, and a keyless signer has none"
            )
        })?),
        None => None,
    };
    if args.format == Format::Legacy {
        legacy_key(&*signer)?;
    }
    let image = parse_image(&args.image)?;
    let repo = args.registry.open(&image, false)?;
    let target = repo.resolve(&image).await?;

    let bar = progress(&args.dir);
    let dir = args.dir.clone();
    let tree = args.discovery.clone();
    let apt = args.apt.clone();
    let mut discovery = tokio::task::spawn_blocking(move || {
        let (mut inputs, rules) = discover_classified(&dir, &tree)?;
        crate::custody::verify(&mut inputs, &dir, &apt, jiff::Timestamp::now())?;
        Ok::<_, anyhow::Error>((inputs, rules))
    });
    let discovered = loop {
        tokio::select! {
            done = &mut discovery => break done?,
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                if let Some(bar) = &bar {
                    let (files, bytes) = vouch_attest::tree::hashed();
                    bar.set_message(files.to_string());
                    bar.set_position(bytes);
                }
            }
        }
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let (mut inputs, rules) = discovered?;
    // With --os-packages, the image's OS packages (its dpkg, apk, RPM
    // databases), read from the resolved digest's layers, are recorded and
    // signed with the rest.
    if args.os_packages {
        let (_, platforms) = crate::os::packages(
            &args.registry,
            &image.pinned(target.digest),
            &args.platforms.platforms(),
        )
        .await?;
        let mut os_inputs: Vec<Input> = Vec::new();
        for input in platforms.into_iter().flat_map(|p| p.inputs) {
            if !os_inputs.iter().any(|i| i.purl == input.purl) {
                os_inputs.push(input);
            }
        }
        classify_os(&mut os_inputs, &args.discovery, Some(&args.dir))?;
        inputs.extend(os_inputs);
    }
    let mismatched = mismatches(&inputs);
    if !mismatched.is_empty() && !args.allow_mismatch {
        return Err(Listed {
            head: format!(
                "refusing to attest {}: vendored inputs do not match their declarations (--allow-mismatch records them anyway)",
                args.dir.display()
            ),
            items: mismatched,
        }
        .into());
    }

    // Links are built with the rest, before anything is attached, so that
    // a failure leaves the registry untouched.
    let root = match &args.links {
        Some(_) => Some(
            vouch_attest::Root::new(&args.dir)?.with_max_file_bytes(args.discovery.max_file_bytes),
        ),
        None => None,
    };
    let sboms: Vec<assemble::SbomFormat> = args
        .sbom
        .iter()
        .filter_map(|format| match format {
            SbomFormat::Cyclonedx => Some(assemble::SbomFormat::CycloneDx),
            SbomFormat::Spdx => Some(assemble::SbomFormat::Spdx),
            SbomFormat::None => None,
        })
        .collect();
    let evidence = assemble(&Request {
        project: &args.dir,
        inputs: &inputs,
        rules,
        image: assemble::Image {
            reference: args.image.clone(),
            name: image.location.to_string(),
            tag: image.tag.clone(),
            purl: image_purl(&image.location, &target.digest.hex()),
            digest: target.digest,
        },
        started_on,
        finished_on: now_rfc3339(),
        builder_id: args.builder_id.clone(),
        ci: Identity::from_ci(|name| std::env::var(name).ok()),
        source: assemble::git_source(&args.dir),
        sboms: &sboms,
        links: root
            .as_ref()
            .zip(link_key)
            .map(|(root, signer)| Links { root, signer }),
    })?;
    let links = evidence.links;

    let mut stored = Vec::new();
    if !args.dry_run {
        // Every statement is signed before any is attached: a signer that
        // fails part-way (a keyless service down) leaves the image as it was.
        let mut signed = Vec::with_capacity(evidence.statements.len());
        for unsigned in &evidence.statements {
            signed.push(
                sign_statement(
                    &*signer,
                    args.format,
                    unsigned.predicate_type,
                    &unsigned.statement,
                )
                .await?,
            );
        }
        let created = now_rfc3339();
        for statement in &signed {
            stored.push(attach_signed(&repo, &target, statement, &created).await?);
        }
        if let Some(dir) = &args.links {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for (name, bytes) in &links {
                write_atomic(&dir.join(name), bytes, 0o644, Overwrite::Yes)?;
            }
        }
    }

    // The summary.
    let verb = if args.dry_run {
        "Would attest"
    } else {
        "Attested"
    };
    let critical: Vec<&Input> = inputs.iter().filter(|i| i.is_critical()).collect();
    let vendored = inputs.iter().filter(|i| i.observed.is_some()).count();
    let mut out = format!(
        "{verb} {}@{} with {}\n  inputs      {} ({}); {vendored} vendored, {} mismatched\n  critical    {}",
        image.location,
        target.digest,
        signer.label(),
        inputs.len(),
        count_by_ecosystem(&inputs),
        mismatched.len(),
        critical.len(),
    );
    if !critical.is_empty() {
        let names: Vec<String> = critical
            .iter()
            .take(8)
            .map(|i| format!("{} {}", Escaped(&i.name), Escaped(&i.version)))
            .collect();
        let more = critical.len().saturating_sub(names.len());
        out.push_str(&format!(": {}", names.join(", ")));
        if more > 0 {
            out.push_str(&format!(", and {more} more"));
        }
    }
    for (i, signed) in evidence.statements.iter().enumerate() {
        let label = if i == 0 { "provenance" } else { "sbom" };
        let at = match stored.get(i) {
            Some(Some(digest)) => format!(" -> referrer {digest}"),
            Some(None) => " -> .att tag".to_string(),
            None => String::new(),
        };
        out.push_str(&format!("\n  {label:<11} {}{at}", signed.predicate_type));
    }
    if let Some(dir) = &args.links {
        out.push_str(&format!(
            "\n  links       {} link files {} {}",
            links.len(),
            if args.dry_run { "for" } else { "in" },
            dir.display()
        ));
    }
    note!("{out}");
    Ok(())
}
