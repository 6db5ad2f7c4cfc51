//! `vouch attest`: discover a project's vendored inputs, build the SBOM(s)
//! and the SLSA provenance, sign them, and attach them to the image.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use vouch_attest::provenance::{self, BuildContext, Source};
use vouch_attest::sbom::{self, Subject};
use vouch_attest::Input;
use vouch_evidence::digest::{sha256, DigestSet};
use vouch_evidence::keys::Signer;
use vouch_evidence::provenance::SLSA_PROVENANCE_V1;
use vouch_evidence::statement::{ResourceDescriptor, Statement};
use vouch_evidence::text::Escaped;

use super::inputs::{discover_classified, mismatches, CriticalArgs, DiscoveryArgs};
use super::sign::Format;
use super::{
    attach_statement, image_purl, load_private_key, now_rfc3339, parse_image, RegistryArgs, Signed,
};
use crate::files::{write_atomic, Overwrite};
use crate::term::note;
use crate::Listed;

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
    vouch attest . --image oci:build/layout:app --key ci.key --dry-run")]
pub struct Args {
    /// The project directory: its lockfiles and vendored trees are read.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The image the evidence is about: `oci:PATH[:TAG]` or a registry
    /// reference. A tag is resolved once; every subject is its digest.
    #[arg(long, value_name = "IMAGE")]
    image: String,
    /// Private key to sign with (PKCS#8 PEM).
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
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
    critical: CriticalArgs,
    #[command(flatten)]
    discovery: DiscoveryArgs,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// The builder identity and invocation id from the CI environment.
fn ci_identity(env: impl Fn(&str) -> Option<String>) -> (Option<String>, Option<String>) {
    if env("GITHUB_ACTIONS").as_deref() == Some("true") {
        let server = env("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
        let builder = env("GITHUB_WORKFLOW_REF").map(|w| format!("{server}/{w}"));
        let invocation = match (env("GITHUB_REPOSITORY"), env("GITHUB_RUN_ID")) {
            (Some(repo), Some(run)) => Some(format!(
                "{server}/{repo}/actions/runs/{run}/attempts/{}",
                env("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into())
            )),
            _ => None,
        };
        return (builder, invocation);
    }
    if env("GITLAB_CI").as_deref() == Some("true") {
        let builder = match (env("CI_SERVER_URL"), env("CI_PROJECT_PATH")) {
            (Some(server), Some(project)) => Some(format!(
                "{server}/{project}/-/blob/{}/{}",
                env("CI_COMMIT_SHA").unwrap_or_default(),
                env("CI_CONFIG_PATH").unwrap_or_else(|| ".gitlab-ci.yml".into())
            )),
            _ => None,
        };
        return (builder, env("CI_JOB_URL"));
    }
    (None, None)
}

/// The project's git source, when it is a checkout and git is installed.
fn git_source(dir: &Path) -> Option<Source> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !text.is_empty()).then_some(text)
    };
    let commit = git(&["rev-parse", "--verify", "HEAD"]);
    let remote = git(&["remote", "get-url", "origin"]);
    if commit.is_none() && remote.is_none() {
        return None;
    }
    Some(Source {
        uri: format!(
            "git+{}",
            remote.unwrap_or_else(|| dir.display().to_string())
        ),
        commit,
        reference: git(&["symbolic-ref", "-q", "HEAD"]),
    })
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
    let key = load_private_key(&args.key)?;
    let image = parse_image(&args.image)?;
    let repo = args.registry.open(&image, false)?;
    let target = repo.resolve(&image).await?;

    let bar = progress(&args.dir);
    let dir = args.dir.clone();
    let critical = args.critical;
    let tree = args.discovery.clone();
    let mut discovery =
        tokio::task::spawn_blocking(move || discover_classified(&dir, &critical, &tree));
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
    let (inputs, rules) = discovered?;
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

    // Every statement is about the image manifest, by digest.
    let subject = ResourceDescriptor::named(
        image.location.to_string(),
        DigestSet::from_sha256(target.digest),
    );
    let finished_on = now_rfc3339();
    let (builder_env, invocation_env) = ci_identity(|name| std::env::var(name).ok());
    let builder_id = args
        .builder_id
        .or(builder_env)
        .unwrap_or_else(|| "https://vouch.dev/builders/local".into());
    let invocation_id = invocation_env.unwrap_or_else(|| {
        // Unique per run and reproducible from what the run saw.
        let seed = format!(
            "{started_on} {} {} {}",
            std::process::id(),
            args.image,
            target.digest
        );
        format!(
            "urn:vouch:invocation:{}",
            &sha256(seed.as_bytes()).hex()[..32]
        )
    });
    let context = BuildContext {
        builder_id,
        invocation_id,
        started_on,
        finished_on: finished_on.clone(),
        project: args.dir.display().to_string(),
        image: args.image.clone(),
        source: git_source(&args.dir),
        rules,
    };
    let predicate = provenance::provenance(&context, &inputs)?;
    let mut evidence = vec![Signed {
        predicate_type: SLSA_PROVENANCE_V1.into(),
        statement: Statement::new(
            vec![subject.clone()],
            SLSA_PROVENANCE_V1,
            predicate.to_value(),
        )?
        .to_json(),
    }];
    let sbom_subject = Subject {
        name: image.location.to_string(),
        version: image.tag.clone(),
        purl: Some(image_purl(&image.location, &target.digest.hex())),
        digest: Some(("sha256".into(), target.digest.hex())),
    };
    let mut formats = args.sbom.clone();
    formats.dedup();
    for format in formats {
        let (predicate_type, document) = match format {
            SbomFormat::None => continue,
            SbomFormat::Cyclonedx => (
                vouch_evidence::sbom::CYCLONEDX_PREDICATE_TYPE,
                sbom::cyclonedx(&sbom_subject, &inputs, &finished_on)?,
            ),
            SbomFormat::Spdx => (
                vouch_evidence::sbom::SPDX_PREDICATE_TYPE,
                sbom::spdx(&sbom_subject, &inputs, &finished_on)?,
            ),
        };
        evidence.push(Signed {
            predicate_type: predicate_type.into(),
            statement: Statement::new(vec![subject.clone()], predicate_type, document)?.to_json(),
        });
    }

    // Links are built before anything is attached, so that a failure
    // leaves the registry untouched.
    let links = match &args.links {
        Some(_) => {
            let root = vouch_attest::Root::new(&args.dir)?
                .with_max_file_bytes(args.discovery.max_file_bytes);
            vouch_attest::links::links(&root, &inputs, &key)
                .context("cannot build the in-toto links")?
        }
        None => Vec::new(),
    };

    let mut stored = Vec::new();
    if !args.dry_run {
        let created = now_rfc3339();
        for signed in &evidence {
            let digest =
                attach_statement(&repo, &target, &key, args.format, &created, signed).await?;
            stored.push(digest);
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
        "{verb} {}@{} with key {}\n  inputs      {} ({}); {vendored} vendored, {} mismatched\n  critical    {}",
        image.location,
        target.digest,
        key.public_key().key_id(),
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
    for (i, signed) in evidence.iter().enumerate() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn github_actions_gives_the_workflow_identity_and_run() {
        let (builder, run) = ci_identity(env_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            (
                "GITHUB_WORKFLOW_REF",
                "org/repo/.github/workflows/ci.yml@refs/heads/main",
            ),
            ("GITHUB_REPOSITORY", "org/repo"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "2"),
        ]));
        assert_eq!(
            builder.as_deref(),
            Some("https://github.com/org/repo/.github/workflows/ci.yml@refs/heads/main")
        );
        assert_eq!(
            run.as_deref(),
            Some("https://github.com/org/repo/actions/runs/42/attempts/2")
        );
    }

    #[test]
    fn gitlab_ci_gives_the_pipeline_definition_and_job() {
        let (builder, run) = ci_identity(env_of(&[
            ("GITLAB_CI", "true"),
            ("CI_SERVER_URL", "https://gitlab.com"),
            ("CI_PROJECT_PATH", "org/repo"),
            ("CI_COMMIT_SHA", "abc"),
            ("CI_JOB_URL", "https://gitlab.com/org/repo/-/jobs/7"),
        ]));
        assert_eq!(
            builder.as_deref(),
            Some("https://gitlab.com/org/repo/-/blob/abc/.gitlab-ci.yml")
        );
        assert_eq!(run.as_deref(), Some("https://gitlab.com/org/repo/-/jobs/7"));
        assert_eq!(ci_identity(env_of(&[])), (None, None));
    }
}
