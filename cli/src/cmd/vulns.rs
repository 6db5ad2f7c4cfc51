//! `vouch vulns`: the known vulnerabilities of an image's attested inputs
//! (or of a project directory's inputs), each with its severity, whether
//! the input is critical, and its VEX answer.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use vouch_evidence::text::Escaped;
use vouch_verify::os::FROM_IMAGE;
use vouch_verify::vulns::{self, Finding, ImageInput};

use crate::args::{
    AptArgs, DiscoveryArgs, OsvArgs, Output, OutputArgs, PlatformArgs, RegistryArgs, TrustArgs,
    TrustedRootArgs,
};
use crate::discovery::discover_classified;
use crate::findings::vex_cell;
use crate::judge::Judge;
use crate::os::{image_inputs, Scan};
use crate::outcome::Misconfigured;
use crate::term;

/// Arguments of `vouch vulns`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch vulns oci:build/layout:app --policy policies/production.yaml\n  \
    vouch vulns oci:build/layout:app --policy policy.yaml --osv osv-export.zip --output json\n  \
    vouch vulns oci:build/layout:app --osv osv/ --key ci.pub --key security.pub\n  \
    vouch vulns oci:build/layout:app --policy policy.yaml --os-packages\n  \
    vouch vulns path/to/project --osv osv/\n  \
    vouch vulns oci:build/layout:app --osv osv/   (no --policy/--key: the image's OS packages)\n\n\
    An image's inputs are read from its provenance (else CycloneDX SBOM) and its VEX answers\n\
    from its OpenVEX attestations, each verified under the policy's authorities; only VEX\n\
    from the policy's vexAuthorities answers a finding. With --os-packages, its OS packages\n\
    are read from its layers too (those of the digest the reference resolved to) and checked\n\
    beside the evidence; each finding's input says where it was read (`os.from`: evidence,\n\
    image or evidence+image; `[image]` in the table for the layers alone). Admission\n\
    (`verify`, the webhook) judges the signed evidence alone: attest with --os-packages to\n\
    gate on them there. A directory is discovered as `vouch inputs` does; it has no VEX.\n\
    Without --policy and --key, an image's content is scanned instead of its evidence: the\n\
    OS packages its dpkg, apk and RPM databases list, matched against their distribution\n\
    release's records (by source package), without VEX.")]
pub struct Args {
    /// An image (`oci:PATH[:TAG]` or a registry reference) or a project
    /// directory.
    #[arg(value_name = "IMAGE|DIR")]
    target: String,
    #[command(flatten)]
    osv: OsvArgs,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    trusted_root: TrustedRootArgs,
    #[command(flatten)]
    discovery: DiscoveryArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// With --policy or --key: also read the image's OS packages (its
    /// dpkg, apk and RPM databases) from its layers and check them beside
    /// the verified evidence. Without trust flags they are all an image's
    /// scan reads.
    #[arg(long)]
    os_packages: bool,
    #[command(flatten)]
    platforms: PlatformArgs,
    /// A directory's inputs provided by a distribution package (`vouch
    /// unbundle`) are traced to its signed archive, as `vouch inputs`
    /// does, and matched as that package.
    #[command(flatten)]
    apt: AptArgs,
}

/// A directory's inputs as the image's evidence would record them: each
/// discovered input's record, as a provenance would hold it, with the
/// distribution identity of each input whose chain of custody verifies
/// (as `vouch attest` records it), so that an unbundled input is matched
/// as the distribution's package here too.
fn directory_inputs(
    dir: &Path,
    discovery: &DiscoveryArgs,
    apt: &AptArgs,
) -> Result<Vec<ImageInput>> {
    let (mut inputs, _) = discover_classified(dir, discovery)?;
    crate::custody::verify(&mut inputs, dir, apt, jiff::Timestamp::now())?;
    let records = inputs
        .iter()
        .map(vouch_attest::Input::record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(vulns::inputs_from_records(records))
}

/// The INPUT cell: the name, marked `[image]` for an OS package read from
/// the image's filesystem by this run (not from its attested evidence),
/// and with the distribution package an unbundled input is matched as.
fn input_cell(input: &ImageInput) -> String {
    match (&input.os, &input.distribution) {
        (Some(os), _) if os.from == FROM_IMAGE => format!("{} [image]", input.name),
        (_, Some(d)) => format!("{} [{}]", input.name, d.package()),
        _ => input.name.clone(),
    }
}

/// Prints the findings as a table.
pub fn print_findings(out: &mut impl Write, findings: &[Finding]) -> std::io::Result<()> {
    if findings.is_empty() {
        return writeln!(out, "no known vulnerabilities");
    }
    writeln!(
        out,
        "{:<20} {:<9} {:>5}  {:<24} {:<12} {:<8} {:<14} {:<6} VEX",
        "ID", "SEVERITY", "SCORE", "INPUT", "VERSION", "CRITICAL", "FIXED", "ACTION"
    )?;
    for f in findings {
        writeln!(
            out,
            "{:<20} {:<9} {:>5}  {:<24} {:<12} {:<8} {:<14} {:<6} {}",
            Escaped(&f.id),
            f.severity.map_or("unknown".into(), |s| s.to_string()),
            f.score.map_or("-".into(), |s| format!("{s:.1}")),
            Escaped(input_cell(&f.input)),
            Escaped(f.input.matched_version()),
            if f.input.critical { "yes" } else { "no" },
            if f.fixed.is_empty() {
                "-".to_string()
            } else {
                Escaped(f.fixed.join(",")).to_string()
            },
            f.action,
            Escaped(vex_cell(f))
        )?;
    }
    let open = findings.iter().filter(|f| !f.answered()).count();
    let critical = findings
        .iter()
        .filter(|f| !f.answered() && f.input.critical)
        .count();
    writeln!(
        out,
        "{} finding(s): {} answered by trusted VEX, {open} unanswered ({critical} in critical inputs)",
        findings.len(),
        findings.len() - open
    )?;
    for f in findings.iter().filter(|f| f.version_unknown()) {
        if let Some(why) = &f.summary {
            writeln!(out, "{}: {}", Escaped(&f.id), Escaped(why))?;
        }
    }
    Ok(())
}

/// Lists the findings of one image or directory.
pub async fn run(args: Args) -> Result<()> {
    let dir = Path::new(&args.target);
    let scan = Scan {
        platforms: args.platforms.platforms(),
        discovery: &args.discovery,
    };
    let (label, findings) = if !args.target.starts_with("oci:") && dir.is_dir() {
        if args.os_packages {
            return Err(Misconfigured::Usage(format!(
                "--os-packages reads an image's layers; {} is a directory",
                dir.display()
            ))
            .into());
        }
        let Some(osv) = args.osv.load()? else {
            return Err(Misconfigured::Usage(
                "a directory is matched against --osv DIR|ZIP; none given".into(),
            )
            .into());
        };
        let db = osv.database;
        let inputs = directory_inputs(dir, &args.discovery, &args.apt)?;
        let findings = vulns::scan(db.as_ref(), &inputs).map_err(|e| {
            anyhow::anyhow!(
                "cannot check the inputs of {} for vulnerabilities: {e}",
                dir.display()
            )
        })?;
        (dir.display().to_string(), findings)
    } else if !args.trust.given() {
        let Some(osv) = args.osv.load()? else {
            return Err(Misconfigured::Usage(format!(
                "an image's OS packages are matched against --osv DIR|ZIP; none given (and its \
                 evidence is read only once verified: pass --policy FILE|DIR or --key KEY to read {})",
                args.target
            ))
            .into());
        };
        let image = crate::image::parse_image(&args.target)?;
        let (_, inputs) = image_inputs(&args.registry, &image, &scan).await?;
        let findings = vulns::scan(osv.database.as_ref(), &inputs).map_err(|e| {
            anyhow::anyhow!(
                "cannot check the OS packages of {} for vulnerabilities: {e}",
                args.target
            )
        })?;
        (args.target.clone(), findings)
    } else {
        let judge = Judge::load(&args.trust, &args.osv, &args.trusted_root)?;
        if !judge.has_osv() {
            return Err(Misconfigured::Usage(format!(
                "no OSV records: give --osv, or a policy with a `vulnerabilities` section ({} has none)",
                judge.trust
            ))
            .into());
        }
        let verdict = judge
            .inputs(
                &args.registry,
                &args.target,
                args.os_packages.then_some(&scan),
            )
            .await?;
        let errors: Vec<String> = verdict
            .policies
            .iter()
            .filter_map(|p| {
                p.vulnerability_error
                    .as_ref()
                    .map(|e| format!("policy {}: {e}", p.name))
            })
            .collect();
        if !errors.is_empty() {
            bail!(
                "cannot check the inputs of {} for vulnerabilities: {}",
                args.target,
                errors.join("; ")
            );
        }
        (
            format!("{}@{}", verdict.image, verdict.digest),
            verdict.findings,
        )
    };
    match args.output.output {
        Output::Json => writeln!(
            term::data_stdout(),
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "target": label,
                "findings": findings,
            }))
            .context("cannot write JSON")?
        )?,
        Output::Table => {
            let mut out = term::text_stdout();
            writeln!(out, "{}", Escaped(label))?;
            print_findings(&mut out, &findings)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_evidence::fixtures;
    use vouch_verify::vulns::Action;

    #[test]
    fn an_unbundled_input_shows_the_distribution_package_and_version_it_was_matched_as() {
        let input = ImageInput::from(vouch_evidence::input::InputRecord {
            distribution: Some(fixtures::distribution(
                fixtures::debian_12("librust-flate2-dev", "1.0.25-1"),
                "rust-flate2",
                &[],
            )),
            ..fixtures::cargo_input("flate2", "1.0.25")
        });
        let finding = Finding {
            id: "DEBIAN-CVE-2099-0001".into(),
            aliases: Vec::new(),
            upstream: Vec::new(),
            summary: None,
            severity: None,
            score: None,
            input: input.clone(),
            fixed: vec!["1.0.25-2".into()],
            answer: None,
            ignored_vex: Vec::new(),
            action: Action::Deny,
        };
        let mut out = Vec::new();
        print_findings(&mut out, &[finding]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert!(
            row.contains("flate2 [librust-flate2-dev] 1.0.25-1"),
            "{text}"
        );
        // A vendored input shows its own version.
        let vendored = ImageInput {
            distribution: None,
            ..input
        };
        assert_eq!(
            (input_cell(&vendored), vendored.matched_version()),
            ("flate2".to_string(), "1.0.25")
        );
    }
}
