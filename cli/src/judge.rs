//! Judging images the way admission does: resolve, list the evidence,
//! evaluate it under the policies. `vouch verify` judges with its own
//! `--no-match`; `vulns`, `diff` and `report` go through [`Judge`], which
//! also requires verified inputs.

use anyhow::{bail, Context, Result};
use vouch_evidence::text::Escaped;
use vouch_registry::attach;
use vouch_registry::reference::ImageRef;
use vouch_verify::bundle::TrustedRoot;
use vouch_verify::diff::{diff, Diff};
use vouch_verify::evaluate::{evaluate, Context as EvalContext, EvidenceNote, Verdict};
use vouch_verify::policy::{GivenOsv, NoMatch, PolicySet};

use crate::args::{OsvArgs, RegistryArgs, TrustArgs, TrustedRootArgs};
use crate::image::parse_image;
use crate::os::{image_inputs, Scan};
use crate::term::note;

/// Resolves `reference` once, lists its evidence, and evaluates it; shared
/// by every command that judges an image (verify, vulns, diff, report).
/// With `scan`, the OS packages of the digest it resolved to (never the
/// tag again, which may have moved) are read from its layers and checked
/// beside its evidence.
pub async fn verdict(
    policies: &PolicySet,
    registry: &RegistryArgs,
    reference: &str,
    context: &EvalContext<'_>,
    scan: Option<&Scan<'_>>,
) -> Result<Verdict> {
    let image = parse_image(reference)?;
    let repo = registry.open(&image, false)?;
    let target = repo.resolve(&image).await?;
    let listing = attach::list(&repo, &target.digest, None)
        .await
        .with_context(|| format!("cannot read the evidence of {reference}"))?;
    let scanned = match scan {
        Some(scan) => {
            let pinned = image.pinned(target.digest);
            image_inputs(registry, &pinned, scan).await?.1
        }
        None => Vec::new(),
    };
    let context = EvalContext {
        scanned: &scanned,
        ..*context
    };
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
        &context,
    );
    // What could not be read counted for nothing; the notes say why.
    verdict
        .evidence
        .extend(listing.ignored.iter().map(EvidenceNote::unreadable));
    Ok(verdict)
}

/// Warns on stderr about each file of a policy directory that was not
/// read (`strict.json`), which is no error but may be a mistake.
pub fn warn_ignored(set: &PolicySet) {
    for warning in set.warnings() {
        note!("vouch: warning: {}", Escaped(warning));
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
    pub fn load(trust: &TrustArgs, osv: &OsvArgs, trusted: &TrustedRootArgs) -> Result<Judge> {
        let osv = osv.load()?;
        let (policies, label) = trust.load(osv.as_ref())?;
        Ok(Judge {
            policies,
            trust: label,
            root: trusted.load()?,
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
    /// denied); with `scan`, its OS packages read from its layers are
    /// checked beside its evidence.
    pub async fn verdict(
        &self,
        registry: &RegistryArgs,
        reference: &str,
        scan: Option<&Scan<'_>>,
    ) -> Result<Verdict> {
        let context = EvalContext {
            now: jiff::Timestamp::now(),
            default_root: &self.root,
            no_match: NoMatch::Deny,
            osv: self.osv.as_ref().map(|g| (g.path.as_path(), &g.database)),
            scanned: &[],
        };
        verdict(&self.policies, registry, reference, &context, scan).await
    }

    /// The verdict on `reference`, which must have verified inputs (a
    /// provenance or CycloneDX SBOM) to compare or match.
    pub async fn inputs(
        &self,
        registry: &RegistryArgs,
        reference: &str,
        scan: Option<&Scan<'_>>,
    ) -> Result<Verdict> {
        let v = self.verdict(registry, reference, scan).await?;
        if v.inputs_from.is_none() {
            bail!(
                "no verified inputs in {reference}: no provenance or CycloneDX SBOM of it verifies under {} (see `vouch verify`)",
                self.trust
            );
        }
        Ok(v)
    }

    /// The verdicts on OLD and NEW and the diff between them, for `diff`
    /// and `report`.
    pub async fn compare(
        &self,
        registry: &RegistryArgs,
        old: &str,
        new: &str,
    ) -> Result<(Verdict, Verdict, Diff)> {
        let old = self.inputs(registry, old, None).await?;
        let new = self.inputs(registry, new, None).await?;
        let d = diff(&old, &new);
        Ok((old, new, d))
    }
}
