//! `vouch verify`: the admission decision, for auditors and policy authors:
//! every image against every matching policy, with the reasons.

use std::io::Write;

use anyhow::Result;
use vouch_evidence::text::Escaped;
use vouch_verify::evaluate::{Context as EvalContext, Verdict};
use vouch_verify::policy::NoMatch;

use crate::args::{Output, OutputArgs, PolicyArgs, RegistryArgs, TrustedRootArgs};
use crate::findings::answered_line;
use crate::judge::verdict;
use crate::outcome::Outcome;
use crate::term;

/// Arguments of `vouch verify`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    vouch verify oci:build/layout:app --policy policies/production.yaml\n  \
    vouch verify registry.example.com/team/app:v1 --policy policies/ --output json\n\n\
    Exit status: 0 when every image is allowed, 1 when any is denied, 2 on a usage or\n\
    configuration error (an invalid policy or trusted root).")]
pub struct Args {
    /// The images: `oci:PATH[:TAG]` or registry references. Each tag is
    /// resolved once; everything is checked against that digest.
    #[arg(value_name = "IMAGE", required = true)]
    images: Vec<String>,
    #[command(flatten)]
    policy: PolicyArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    trusted_root: TrustedRootArgs,
    /// What an image no policy matches gets: deny, allow or warn.
    #[arg(long, value_name = "ACTION", default_value = "deny")]
    no_match: NoMatch,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Prints one verdict as text; every string in it may come from evidence
/// or a policy, and is escaped whole.
fn print_table(out: &mut impl Write, verdict: &Verdict) -> std::io::Result<()> {
    writeln!(
        out,
        "{}@{}: {}",
        Escaped(&verdict.image),
        Escaped(&verdict.digest),
        Escaped(verdict.verdict.as_str().to_uppercase())
    )?;
    for denial in &verdict.denials {
        writeln!(out, "  denied: {}", Escaped(denial))?;
    }
    for warning in &verdict.warnings {
        writeln!(out, "  warning: {}", Escaped(warning))?;
    }
    for policy in &verdict.policies {
        writeln!(
            out,
            "  policy {} ({}, {}): {}",
            Escaped(&policy.name),
            Escaped(&policy.mode),
            Escaped(&policy.source),
            if policy.passed { "pass" } else { "FAIL" }
        )?;
        for r in &policy.requirements {
            writeln!(
                out,
                "    {:<4} {}: {}",
                if r.passed { "ok" } else { "FAIL" },
                Escaped(&r.requirement),
                Escaped(&r.reason)
            )?;
            for who in &r.satisfied_by {
                writeln!(out, "           by {}", Escaped(who))?;
            }
        }
    }
    for line in verdict.findings.iter().filter_map(answered_line) {
        writeln!(out, "  answered {}", Escaped(line))?;
    }
    for e in &verdict.evidence {
        let what = format!(
            "{} {} {}",
            e.kind.name(),
            e.format.name(),
            e.predicate_type.as_deref().unwrap_or("-")
        );
        if e.verified_by.is_empty() {
            let why = if e.ignored.is_empty() {
                "no authority of a matching policy applies".to_string()
            } else {
                e.ignored.join("; ")
            };
            writeln!(out, "  ignored  {}: {}", Escaped(what), Escaped(why))?;
        } else {
            writeln!(
                out,
                "  verified {} ({})",
                Escaped(what),
                Escaped(e.verified_by.join(", "))
            )?;
        }
    }
    Ok(())
}

/// Verifies each image; any denied image makes the outcome a denial.
pub async fn run(args: Args) -> Result<Outcome> {
    let policies = args.policy.load()?;
    let root = args.trusted_root.load()?;
    let mut verdicts = Vec::new();
    for reference in &args.images {
        let context = EvalContext {
            now: jiff::Timestamp::now(),
            default_root: &root,
            no_match: args.no_match,
            osv: None,
            scanned: &[],
        };
        verdicts.push(verdict(&policies, &args.registry, reference, &context, None).await?);
    }
    match args.output.output {
        Output::Json => writeln!(
            term::data_stdout(),
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "policySetVersion": policies.version.to_string(),
                "images": verdicts,
            }))?
        )?,
        Output::Table => {
            let mut out = term::text_stdout();
            for verdict in &verdicts {
                print_table(&mut out, verdict)?;
            }
        }
    }
    let denied: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.allowed())
        .map(|v| format!("{} ({})", Escaped(&v.image), Escaped(v.denials.join("; "))))
        .collect();
    if !denied.is_empty() {
        return Ok(Outcome::Denied(denied.join(", ")));
    }
    Ok(Outcome::Allowed)
}
