//! `vouch verify`: the admission decision, for auditors and policy authors:
//! every image against every matching policy, with the reasons.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use vouch_evidence::text::Escaped;
use vouch_registry::attach;
use vouch_registry::reference::ImageRef;
use vouch_verify::bundle::TrustedRoot;
use vouch_verify::evaluate::{evaluate, Context as EvalContext, EvidenceNote, Verdict};
use vouch_verify::policy::{GivenOsv, NoMatch, PolicySet};

use super::tree::Output;
use super::{parse_image, RegistryArgs};
use crate::files::{read_capped, MAX_DOCUMENT_BYTES};
use crate::term::{self, note};
use crate::Misconfigured;

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
    /// An ImagePolicy file, or a directory of them (*.yaml, *.yml).
    #[arg(long, value_name = "FILE|DIR")]
    policy: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Trusted root (trusted_root.json) for keyless authorities that name
    /// none, and for log entries of keyed bundles; default: the embedded
    /// Sigstore public-good root. Works offline.
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
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
        Escaped(verdict.verdict.to_uppercase())
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
    for e in &verdict.evidence {
        let what = format!(
            "{} {} {}",
            e.kind,
            e.format,
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

/// The trusted root in `path` (`--trusted-root`), else the embedded
/// Sigstore public-good root; shared with `vouch webhook` so that both
/// trust the same authorities. An unreadable or invalid file is a
/// configuration error (exit 2).
pub fn trusted_root(path: Option<&Path>) -> Result<TrustedRoot> {
    Ok(match path {
        Some(path) => {
            let bytes = read_capped(path, MAX_DOCUMENT_BYTES, "trusted root")
                .map_err(|e| Misconfigured(format!("{e:#}")))?;
            TrustedRoot::from_json(&bytes)
                .map_err(|e| Misconfigured(format!("{e} in {}", path.display())))?
        }
        None => TrustedRoot::public_good()?,
    })
}

/// Resolves `reference` once, lists its evidence, and evaluates it; shared
/// by every command that judges an image (verify, vulns, diff, report).
pub async fn verdict(
    policies: &PolicySet,
    registry: &RegistryArgs,
    reference: &str,
    context: &EvalContext<'_>,
) -> Result<Verdict> {
    let image = parse_image(reference)?;
    let repo = registry.open(&image, false)?;
    let target = repo.resolve(&image).await?;
    let listing = attach::list(&repo, &target.digest, None)
        .await
        .with_context(|| format!("cannot read the evidence of {reference}"))?;
    // The verdict carries the digest apart: the image is shown without it,
    // so that `image@digest` names it once.
    let shown = ImageRef {
        digest: None,
        ..image
    };
    let mut verdict = evaluate(
        policies,
        &shown,
        &target.digest,
        &listing.attachments,
        context,
    );
    // What could not be read counted for nothing; the notes say why.
    verdict
        .evidence
        .extend(listing.ignored.iter().map(EvidenceNote::unreadable));
    Ok(verdict)
}

/// Whose evidence to trust, for `vouch vulns`, `diff` and `report`: an
/// ImagePolicy, or keys.
#[derive(clap::Args)]
pub struct TrustArgs {
    /// The ImagePolicy (file or directory) whose authorities verify the
    /// evidence and whose vexAuthorities answer findings.
    #[arg(long, value_name = "FILE|DIR", conflicts_with = "key")]
    policy: Option<PathBuf>,
    /// Instead of a policy: a public key (PEM) whose attestations are
    /// trusted, provenance, SBOM and VEX alike; repeatable. The verdict then
    /// requires a verified provenance from one of them.
    #[arg(long, value_name = "KEY")]
    key: Vec<PathBuf>,
}

impl TrustArgs {
    /// Whether either was given.
    pub fn given(&self) -> bool {
        self.policy.is_some() || !self.key.is_empty()
    }

    /// The policy set: the policy's, or the keys' (`PolicySet::from_keys`).
    fn load(&self, osv: Option<&GivenOsv>) -> Result<(PolicySet, String)> {
        if let Some(policy) = &self.policy {
            let set = vouch_load::policy::load_with_osv(policy, osv.cloned())
                .map_err(|e| Misconfigured(e.to_string()))?;
            warn_ignored(&set);
            return Ok((set, policy.display().to_string()));
        }
        if self.key.is_empty() {
            return Err(Misconfigured(
                "say whose evidence to trust: --policy FILE|DIR, or --key KEY (repeatable)".into(),
            )
            .into());
        }
        let mut keys = Vec::new();
        for path in &self.key {
            let key = super::load_public_key(path).map_err(|e| Misconfigured(format!("{e:#}")))?;
            let name = path
                .file_stem()
                .map_or("key".into(), |s| s.to_string_lossy().into_owned());
            keys.push((name, key));
        }
        let set = PolicySet::from_keys(keys, self.key.clone())
            .map_err(|e| Misconfigured(e.to_string()))?;
        let label = self
            .key
            .iter()
            .map(|k| format!("--key {}", k.display()))
            .collect::<Vec<_>>()
            .join(" ");
        Ok((set, label))
    }
}

/// Everything needed to judge images the way `vouch verify` does: the
/// policies, the trusted root and the `--osv` override, loaded once; what
/// `vouch vulns`, `diff` and `report` build on.
pub struct Judge {
    /// The policies, as `--policy` names them (or `--key` makes them).
    pub policies: PolicySet,
    /// The `--policy` path or the `--key` flags, for messages.
    pub trust: String,
    root: TrustedRoot,
    /// The `--osv` records: every policy's own `vulnerabilities.osv` is
    /// not read, and a policy without that section reports with these.
    pub osv: Option<GivenOsv>,
}

impl Judge {
    /// Loads the policies, the trusted root and the OSV records; each
    /// invalid one is a configuration error (exit 2).
    pub fn load(trust: &TrustArgs, osv: Option<&Path>, trusted: Option<&Path>) -> Result<Judge> {
        let osv = osv.map(super::vulns::load_osv).transpose()?;
        let (policies, label) = trust.load(osv.as_ref())?;
        Ok(Judge {
            policies,
            trust: label,
            root: trusted_root(trusted)?,
            osv,
        })
    }

    /// Whether any OSV records apply: `--osv`, or a policy's
    /// `vulnerabilities` section.
    pub fn has_osv(&self) -> bool {
        self.osv.is_some()
            || self
                .policies
                .policies
                .iter()
                .any(|p| p.vulnerabilities.is_some())
    }

    /// The verdict on `reference` (an image with no matching policy is
    /// denied).
    pub async fn verdict(&self, registry: &RegistryArgs, reference: &str) -> Result<Verdict> {
        let context = EvalContext {
            now: jiff::Timestamp::now(),
            default_root: &self.root,
            no_match: NoMatch::Deny,
            osv: self.osv.as_ref().map(|g| (g.path.as_path(), &g.database)),
        };
        verdict(&self.policies, registry, reference, &context).await
    }

    /// The verdict on `reference`, which must have verified inputs (a
    /// provenance or CycloneDX SBOM) to compare or match.
    pub async fn inputs(&self, registry: &RegistryArgs, reference: &str) -> Result<Verdict> {
        let v = self.verdict(registry, reference).await?;
        if v.inputs_from.is_none() {
            bail!(
                "no verified inputs in {reference}: no provenance or CycloneDX SBOM of it verifies under {} (see `vouch verify`)",
                self.trust
            );
        }
        Ok(v)
    }
}

/// Loads the policies of `--policy`; an invalid one is a configuration
/// error (exit 2).
pub fn load_policies(path: &Path) -> Result<PolicySet> {
    let set = vouch_load::policy::load(path).map_err(|e| Misconfigured(e.to_string()))?;
    warn_ignored(&set);
    Ok(set)
}

/// Warns on stderr about each file of a policy directory that was not
/// read (`strict.json`), which is no error but may be a mistake.
pub fn warn_ignored(set: &PolicySet) {
    for warning in set.warnings() {
        note!("vouch: warning: {}", Escaped(warning));
    }
}

/// Verifies each image; denied images make the exit status 1.
pub async fn run(args: Args) -> Result<()> {
    let policies = load_policies(&args.policy)?;
    let root = trusted_root(args.trusted_root.as_deref())?;
    let mut verdicts = Vec::new();
    for reference in &args.images {
        let context = EvalContext {
            now: jiff::Timestamp::now(),
            default_root: &root,
            no_match: args.no_match,
            osv: None,
        };
        verdicts.push(verdict(&policies, &args.registry, reference, &context).await?);
    }
    match args.output {
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
        bail!("denied: {}", denied.join(", "));
    }
    Ok(())
}
