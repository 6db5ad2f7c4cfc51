//! `vouch unbundle`: plan (and with `--write`, make) the swap of a
//! project's critical vendored inputs for the distribution's builds of the
//! same components, read from the verified apt archive of this machine.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{json, Value};
use vouch_attest::{Input, Match};
use vouch_evidence::text::Escaped;
use vouch_unbundle::{Action, Delta, Step};

use crate::args::{AptArgs, DiscoveryArgs, Output, OutputArgs};
use crate::discovery::discover_classified;
use crate::swap::{self, Archive, Planned};
use crate::term::{self, note};

/// The distributions `vouch unbundle` knows.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distro {
    /// Debian: Rust crates as librust-*-dev, from apt's verified lists.
    Debian,
}

/// Arguments of `vouch unbundle`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  vouch unbundle . --distro debian\n  \
    vouch unbundle . --distro debian --all --output json\n  \
    vouch unbundle . --distro debian --write && cargo build --offline\n\n\
    Exit status: 0 when the plan is made (inputs kept included), 1 on an error \
    (nothing is written then).")]
pub struct Args {
    /// The project directory, as `vouch inputs` reads it.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The distribution whose packages replace the vendored inputs.
    #[arg(long, value_enum)]
    distro: Distro,
    #[command(flatten)]
    apt: AptArgs,
    /// Plan every input, not only the critical ones.
    #[arg(long)]
    all: bool,
    /// Plan only the inputs of this ecosystem (`cargo`, `gem`, `go`, `npm`, `pip`;
    /// repeatable). `--write` swaps one ecosystem at a time, each all or
    /// nothing, so a plan that swaps several needs one run for each.
    #[arg(long, value_name = "ECOSYSTEM")]
    ecosystem: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
    /// Apply the swaps with the package manager's own mechanism (Cargo:
    /// `[patch.crates-io]` in .cargo/config.toml and the lockfile updated by
    /// Cargo, offline); all or nothing. Without it the plan is read-only.
    #[arg(long)]
    write: bool,
    #[command(flatten)]
    discovery: DiscoveryArgs,
}

/// The planner of an ecosystem, `None` when it has none yet.
fn plan_ecosystem(
    ecosystem: &str,
    dir: &Path,
    inputs: &[Input],
    archive: &Archive,
    apt: &AptArgs,
) -> Option<Result<Vec<Planned>>> {
    match ecosystem {
        "cargo" => Some(swap::cargo::plan(dir, inputs, archive, apt)),
        "go" => Some(swap::go::plan(dir, inputs, archive, apt)),
        "gem" => Some(swap::gem::plan(dir, inputs, archive, apt)),
        "npm" => Some(swap::npm::plan(dir, inputs, archive, apt)),
        "pip" => Some(swap::pip::plan(dir, inputs, archive, apt)),
        _ => None,
    }
}

/// Applies an ecosystem's planned swaps.
fn write_ecosystem(ecosystem: &str, dir: &Path, planned: &[Planned]) -> Result<()> {
    match ecosystem {
        "cargo" => swap::cargo::write(dir, planned),
        "go" => swap::go::write(dir, planned),
        "gem" => swap::gem::write(dir, planned),
        "npm" => swap::npm::write(dir, planned),
        "pip" => swap::pip::write(dir, planned),
        _ => Ok(()),
    }
}

/// Plans, prints, and writes when asked.
pub fn run(args: Args) -> Result<()> {
    let Distro::Debian = args.distro;
    let (inputs, _) = discover_classified(&args.dir, &args.discovery)?;
    let archive = Archive::load(&args.apt, jiff::Timestamp::now())?;
    let selected = inputs.into_iter().filter(|i| {
        (args.all || i.is_critical())
            && (args.ecosystem.is_empty() || args.ecosystem.iter().any(|e| e == i.ecosystem))
    });
    let plans = plan_all(&args.dir, selected, &archive, &args.apt)?;
    let all: Vec<&Planned> = plans.iter().flat_map(|(_, p)| p).collect();
    match args.output.output {
        Output::Json => writeln!(
            term::data_stdout(),
            "{}",
            serde_json::to_string_pretty(&document(&archive, &all)?)?
        )?,
        Output::Table => table(&archive, &all)?,
    }
    if args.write {
        swap::npm::refuse_foreign(&args.dir, &all)?;
        let swaps = all.iter().filter(|p| p.step.action == Action::Swap).count();
        // Each writer is all or nothing for its own package manager; a
        // failure in the second would leave the first's swap written, so
        // one run swaps one ecosystem.
        let swapping: Vec<&str> = plans
            .iter()
            .filter(|(_, planned)| planned.iter().any(|p| p.step.action == Action::Swap))
            .map(|(ecosystem, _)| *ecosystem)
            .collect();
        if let [_, _, ..] = swapping[..] {
            anyhow::bail!(
                "cannot unbundle {}: the plan swaps inputs of {} ecosystems ({}); --write \
                 swaps one at a time, all or nothing: run it with --ecosystem {} first, \
                 then each other; nothing was written",
                args.dir.display(),
                swapping.len(),
                swapping.join(", "),
                swapping[0]
            );
        }
        for (ecosystem, planned) in &plans {
            write_ecosystem(ecosystem, &args.dir, planned)?;
        }
        note!(
            "unbundle: {swaps} input(s) swapped in {}",
            args.dir.display()
        );
    }
    Ok(())
}

/// The plan of each ecosystem's `inputs`: those already provided say so,
/// the others go to their ecosystem's planner, or are kept when it has
/// none yet.
fn plan_all(
    dir: &Path,
    inputs: impl Iterator<Item = Input>,
    archive: &Archive,
    apt: &AptArgs,
) -> Result<Vec<(&'static str, Vec<Planned>)>> {
    let mut by_ecosystem: BTreeMap<&'static str, Vec<Input>> = BTreeMap::new();
    for input in inputs {
        by_ecosystem.entry(input.ecosystem).or_default().push(input);
    }
    let mut plans: Vec<(&'static str, Vec<Planned>)> = Vec::new();
    for (ecosystem, inputs) in by_ecosystem {
        let (mut provided, open): (Vec<Input>, Vec<Input>) =
            inputs.into_iter().partition(|i| i.provided.is_some());
        // Provided only when the directory's chain of custody holds: a
        // patch onto any other directory is not the distribution's build.
        crate::custody::verify(&mut provided, dir, apt, jiff::Timestamp::now())?;
        let mut planned: Vec<Planned> = provided
            .iter()
            .map(|i| Planned {
                ecosystem,
                step: provided_step(i),
                target: None,
            })
            .collect();
        match plan_ecosystem(ecosystem, dir, &open, archive, apt) {
            Some(result) => planned.extend(result?),
            None => planned.extend(open.iter().map(|i| Planned {
                ecosystem,
                step: step(i, Action::Keep, format!("no planner for {ecosystem} yet")),
                target: None,
            })),
        }
        plans.push((ecosystem, planned));
    }
    Ok(plans)
}

/// The step of an input patched onto a directory outside the project,
/// whose chain of custody [`crate::custody::verify`] checked: provided
/// (with the package, version and patches the chain names) only when the
/// chain holds; otherwise kept, saying why, since a patch onto any other
/// directory is not the distribution's build.
fn provided_step(input: &Input) -> Step {
    let dir = input.provided.as_deref().unwrap_or_default();
    match (&input.status, &input.distribution) {
        (Match::Match, Some(d)) => {
            let mut step = step(
                input,
                Action::Provided,
                format!(
                    "already provided by {dir} ({} {}), chain of custody verified",
                    d.package(),
                    d.version()
                ),
            );
            step.package = Some(d.package().to_string());
            step.package_version = Some(d.version().to_string());
            step.patches = d.patches.clone();
            step
        }
        (Match::Mismatch { reason }, _) => step(
            input,
            Action::Keep,
            format!("patched onto {dir}, which is not provided: {reason}"),
        ),
        _ => step(
            input,
            Action::Keep,
            format!("patched onto {dir}, whose chain of custody was not verified"),
        ),
    }
}

/// A step with no package: provided already, or no planner.
fn step(input: &Input, action: Action, reason: String) -> Step {
    Step {
        action,
        ..Step::keep(&input.name, &input.version, reason)
    }
}

/// The kind of reason a step was kept for, for the summary.
fn why_kept(step: &Step) -> String {
    let reason = step.reason.as_str();
    let has_package = step.package.is_some();
    if step.delta == Some(Delta::Incompatible) {
        "no semver-compatible version packaged".into()
    } else if reason.starts_with("not installed") {
        "package not installed".into()
    } else if reason.starts_with("feature(s) missing") {
        "features missing from the package".into()
    } else if has_package && reason.contains("exclude") {
        "packaged version excluded by the project's requirements".into()
    } else if has_package && step.delta == Some(Delta::Older) {
        "packaged version older than the lock".into()
    } else if reason.starts_with("no package carries") {
        "no package carries it".into()
    } else if reason.starts_with("not from crates.io") {
        "not from crates.io".into()
    } else {
        reason.into()
    }
}

/// The plan's counts, and the kept inputs grouped by why.
struct Summary<'a> {
    swap: usize,
    keep: usize,
    provided: usize,
    kept: BTreeMap<String, Vec<&'a Step>>,
}

fn summary<'a>(planned: &[&'a Planned]) -> Summary<'a> {
    let mut s = Summary {
        swap: 0,
        keep: 0,
        provided: 0,
        kept: BTreeMap::new(),
    };
    for p in planned.iter().copied() {
        match p.step.action {
            Action::Swap => s.swap += 1,
            Action::Provided => s.provided += 1,
            Action::Keep => {
                s.keep += 1;
                s.kept.entry(why_kept(&p.step)).or_default().push(&p.step);
            }
        }
    }
    s
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::Swap => "swap",
        Action::Keep => "keep",
        Action::Provided => "provided",
    }
}

fn delta_word(delta: Option<Delta>) -> &'static str {
    match delta {
        None => "-",
        Some(Delta::Same) => "same",
        Some(Delta::Newer) => "newer",
        Some(Delta::Older) => "older",
        Some(Delta::Incompatible) => "incompatible",
    }
}

/// The table, the summary, and the refused releases.
fn table(archive: &Archive, planned: &[&Planned]) -> Result<()> {
    let mut out = term::text_stdout();
    writeln!(
        out,
        "{:<9} {:<24} {:<12} {:<8} {:<40} {:<12} {:<7} REASON",
        "ECOSYSTEM", "NAME", "VERSION", "ACTION", "PACKAGE", "DELTA", "PATCHES"
    )?;
    for p in planned {
        let s = &p.step;
        let package = match (&s.package, &s.package_version) {
            (Some(name), Some(version)) => format!("{name} {version}"),
            _ => "-".into(),
        };
        writeln!(
            out,
            "{:<9} {:<24} {:<12} {:<8} {:<40} {:<12} {:<7} {}",
            p.ecosystem,
            Escaped(&s.name),
            Escaped(&s.version),
            action_word(s.action),
            Escaped(&package),
            delta_word(s.delta),
            s.patches.len(),
            Escaped(&s.reason)
        )?;
    }
    let sum = summary(planned);
    writeln!(
        out,
        "\n{} input(s) planned: {} swappable, {} kept, {} already provided",
        planned.len(),
        sum.swap,
        sum.keep,
        sum.provided
    )?;
    for (why, steps) in &sum.kept {
        let names: Vec<String> = steps
            .iter()
            .map(|s| format!("{} {}", s.name, s.version))
            .collect();
        writeln!(
            out,
            "  kept, {}: {} ({})",
            Escaped(why),
            steps.len(),
            Escaped(&names.join(", "))
        )?;
    }
    let with_patches: Vec<String> = planned
        .iter()
        .filter(|p| p.step.action == Action::Swap && !p.step.patches.is_empty())
        .map(|p| format!("{} ({})", p.step.name, p.step.patches.join(", ")))
        .collect();
    if !with_patches.is_empty() {
        writeln!(
            out,
            "  swaps carrying the distribution's patches: {}",
            Escaped(&with_patches.join("; "))
        )?;
    }
    for r in &archive.releases {
        writeln!(
            out,
            "release {} verified: signed by {}, dated {}",
            r.path.display(),
            r.release.signer,
            r.release.date
        )?;
    }
    for (path, why) in &archive.refused {
        writeln!(
            out,
            "refused {} (its packages were not considered): {}",
            path.display(),
            Escaped(why)
        )?;
    }
    Ok(())
}

/// The JSON document (see docs/unbundle.md).
fn document(archive: &Archive, planned: &[&Planned]) -> Result<Value> {
    let releases: Vec<Value> = archive
        .releases
        .iter()
        .map(|r| {
            json!({
                "path": r.path,
                "sha256": r.sha256,
                "origin": r.release.origin,
                "suite": r.release.suite,
                "codename": r.release.codename,
                "date": r.release.date.to_string(),
                "validUntil": r.release.valid_until.map(|t| t.to_string()),
                "signer": r.release.signer,
            })
        })
        .collect();
    let refused: Vec<Value> = archive
        .refused
        .iter()
        .map(|(path, why)| json!({"path": path, "reason": why}))
        .collect();
    let mut steps = Vec::new();
    for p in planned {
        let mut step = serde_json::to_value(&p.step)?;
        step["ecosystem"] = json!(p.ecosystem);
        if let Some(t) = &p.target {
            step["target"] = json!({"dir": t.dir, "package": t.package, "version": t.version});
            step["listed"] = listed(archive, &t.package, &t.version);
        }
        steps.push(step);
    }
    let sum = summary(planned);
    let kept: Vec<Value> = sum
        .kept
        .iter()
        .map(|(why, steps)| {
            json!({
                "reason": why,
                "inputs": steps.iter().map(|s| format!("{} {}", s.name, s.version)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({
        "distro": "debian",
        "releases": releases,
        "refused": refused,
        "steps": steps,
        "summary": {
            "inputs": planned.len(),
            "swap": sum.swap,
            "keep": sum.keep,
            "provided": sum.provided,
            "kept": kept,
        },
    }))
}

/// Where the archive lists a package: the verified release and index, with
/// the index's digest, and the `.deb`'s architecture and digest.
fn listed(archive: &Archive, package: &str, version: &str) -> Value {
    archive
        .packages()
        .find(|(_, e)| e.package == package && e.version == version)
        .map_or(Value::Null, |(index, entry)| {
            json!({
                "release": archive.releases[index.release].path,
                "index": index.path,
                "indexSha256": index.sha256,
                "architecture": entry.architecture,
                "debSha256": entry.sha256,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provided_input_is_reported_and_an_ecosystem_without_planner_kept() {
        let mut swapped =
            Input::declared("cargo", "flate2", "1.0.25", "pkg:cargo/flate2@1.0.25", "");
        swapped.provided = Some("/usr/share/cargo/registry/flate2-1.0.25".into());
        let other = Input::declared("generic", "zlib", "1.3", "", "");
        let archive = Archive {
            releases: Vec::new(),
            indexes: Vec::new(),
            refused: Vec::new(),
        };
        let apt = AptArgs {
            apt_lists: PathBuf::from("/nonexistent"),
            keyring: PathBuf::from("/nonexistent"),
            debs: PathBuf::from("/nonexistent"),
            distro_root: PathBuf::from("/nonexistent"),
        };
        let plans = plan_all(
            Path::new("/nonexistent"),
            [other].into_iter(),
            &archive,
            &apt,
        )
        .unwrap();
        let steps: Vec<(&str, &str, Action, &str)> = plans
            .iter()
            .flat_map(|(_, p)| p)
            .map(|p| {
                (
                    p.ecosystem,
                    p.step.name.as_str(),
                    p.step.action,
                    p.step.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(
            steps,
            [(
                "generic",
                "zlib",
                Action::Keep,
                "no planner for generic yet"
            )]
        );
        // A provided input is "provided" only once its chain of custody is
        // verified (cli/tests/unbundle.rs): without dpkg's database and a
        // keyring to verify it with, the plan is an error, never an
        // unverified "provided".
        let err = plan_all(
            Path::new("/nonexistent"),
            [swapped].into_iter(),
            &archive,
            &apt,
        )
        .err()
        .expect("nothing to verify with: an error");
        assert!(
            format!("{err:#}").contains("cannot open dpkg status /nonexistent/"),
            "{err:#}"
        );
    }
}
