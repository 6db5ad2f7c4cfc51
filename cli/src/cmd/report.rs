//! `vouch report`: one self-contained HTML page for auditors, computed
//! from the same verdict (and, with `--diff`, the same diff) that `vouch
//! verify`, `vouch vulns` and `vouch diff` print; the page itself is
//! [`crate::report`]'s.

use std::path::PathBuf;

use anyhow::Result;
use vouch_evidence::text::Escaped;
use vouch_verify::evaluate::Verdict;
use vouch_verify::policy::PolicySet;

use crate::args::{OsvArgs, RegistryArgs, TrustArgs, TrustedRootArgs};
use crate::clock::now_rfc3339;
use crate::files::{write_atomic, Overwrite};
use crate::judge::Judge;
use crate::report::{render, Header};
use crate::term::note;

/// Arguments of `vouch report`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch report oci:build/layout:app --policy policies/production.yaml -o report.html\n  \
    vouch report registry.example.com/app:1.5 --policy policies/ --osv osv-export.zip \\\n    \
    --diff registry.example.com/app:1.4 -o upgrade.html\n\n\
    The page holds the verdict, who signed what and when, the provenance, the inputs\n\
    (critical ones marked), the findings with their VEX answers and every VEX statement\n\
    read; with --diff, what the upgrade from OLD changes. It is one file with no external\n\
    reference. A denied image gets its report too (exit status 0).")]
pub struct Args {
    /// The image.
    #[arg(value_name = "IMAGE")]
    image: String,
    #[command(flatten)]
    trust: TrustArgs,
    #[command(flatten)]
    osv: OsvArgs,
    /// An older image to show the upgrade diff from.
    #[arg(long, value_name = "OLD")]
    diff: Option<String>,
    /// Where to write the HTML.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    trusted_root: TrustedRootArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Writes the report.
pub async fn run(args: Args) -> Result<()> {
    let judge = Judge::load(&args.trust, &args.osv, &args.trusted_root)?;
    let policies = &judge.policies;
    let (new, old) = match &args.diff {
        Some(old) => {
            let (old, new, diff) = judge.compare(&args.registry, old, &args.image).await?;
            (new, Some((old, diff)))
        }
        None => (
            judge.verdict(&args.registry, &args.image, None).await?,
            None,
        ),
    };
    let header = Header {
        policy_files: policies
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        policy_version: policies.version.to_string(),
        osv: osv_sources(&args, policies, &new),
        generated: now_rfc3339(),
    };
    let html = render(&header, &new, old.as_ref().map(|(v, d)| (v, d)));
    write_atomic(&args.output, html.as_bytes(), 0o644, Overwrite::Yes)?;
    let open = new.findings.iter().filter(|f| !f.answered()).count();
    note!(
        "wrote {}: {}@{} {} ({} finding(s), {open} unanswered)",
        args.output.display(),
        Escaped(&new.image),
        Escaped(&new.digest),
        new.verdict.as_str().to_uppercase(),
        new.findings.len()
    );
    Ok(())
}

/// Where the findings' OSV records came from: `--osv`, else the
/// `vulnerabilities` sections of the policies that matched the image.
fn osv_sources(args: &Args, policies: &PolicySet, v: &Verdict) -> String {
    if let Some(path) = args.osv.path() {
        return format!("{} (--osv, for every matching policy)", path.display());
    }
    let sources: Vec<String> = policies
        .policies
        .iter()
        .filter(|p| v.policies.iter().any(|r| r.name == p.name))
        .filter_map(|p| {
            let section = p.vulnerabilities.as_ref()?;
            Some(format!(
                "policy {}: {} ({} records)",
                p.name,
                section.osv.display(),
                section.database.len()
            ))
        })
        .collect();
    if sources.is_empty() {
        "none: no --osv, and no matching policy has a vulnerabilities section".into()
    } else {
        sources.join("; ")
    }
}
