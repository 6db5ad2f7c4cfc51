//! `vouch`: sign and verify supply-chain evidence.
//!
//! This binary only parses arguments, builds what a command needs and
//! dispatches to one function per command. The exit code is decided here,
//! in [`main`], and nowhere else.

mod cmd;
mod deadline;
mod files;
mod report;
mod term;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use vouch_evidence::text::escape;

use deadline::Deadline;

/// vouch: signs and verifies supply-chain evidence (DSSE, in-toto, Sigstore bundles).
#[derive(Parser)]
#[command(name = "vouch", version, about, long_about = None)]
#[command(propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Stop the command, as failed, if it has not finished this long after
    /// it started (`90s`, `10m`, `1h30m`); default: no overall deadline,
    /// only each registry request's (--registry-timeout). Not for `webhook`,
    /// which bounds each review by the apiserver's timeout.
    #[arg(long, global = true, value_name = "DURATION", value_parser = deadline::parse)]
    timeout: Option<deadline::Timeout>,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a key pair for signing (like `cosign generate-key-pair`).
    Keygen(cmd::keygen::Args),
    /// Sign a file, or an in-toto statement, into a Sigstore bundle.
    SignBlob(cmd::sign_blob::Args),
    /// Verify a Sigstore bundle against a file or a digest.
    VerifyBundle(cmd::verify_bundle::Args),
    /// Sign an image and store the signature next to it (like `cosign sign`).
    Sign(cmd::sign::Args),
    /// List the signatures and attestations attached to an image (like `cosign tree`).
    Tree(cmd::tree::Args),
    /// Check that an image is signed by a key.
    VerifyImage(cmd::verify_image::Args),
    /// Copy an image with its signatures and attestations (like `cosign copy`).
    Copy(cmd::copy::Args),
    /// List every vendored or pinned input, declared against what is on disk.
    Inputs(cmd::inputs::Args),
    /// Write the SBOM of a project's inputs (CycloneDX 1.6 or SPDX 2.3 JSON).
    Sbom(cmd::sbom::Args),
    /// Attest a project's vendored inputs: SBOM and SLSA provenance, signed and attached to the image.
    Attest(cmd::attest::Args),
    /// Write the in-toto layout that checks the per-input links of `attest --links`.
    Layout(cmd::layout::Args),
    /// Work with admission policies: `vouch policy check FILE|DIR...` validates them.
    Policy(cmd::policy::Args),
    /// Verify images against admission policies: signatures, attestations, vendored inputs.
    Verify(cmd::verify::Args),
    /// List the known vulnerabilities of an image's (or a project's) inputs, with their VEX answers.
    Vulns(cmd::vulns::Args),
    /// Write OpenVEX documents (`vex create`) and sign them onto images (`vex attach`).
    Vex(cmd::vex::Args),
    /// Compare two images' evidence: inputs bumped, added, removed or re-hashed; vulnerabilities fixed and introduced.
    Diff(cmd::diff::Args),
    /// Write one self-contained HTML report on an image for auditors.
    Report(cmd::report::Args),
    /// The Kubernetes admission webhook: verify every image before it runs
    /// (`vouch webhook certs` makes its TLS certificates).
    Webhook(cmd::webhook::Args),
}

/// Runs the command `name`, within `--timeout` if given.
fn run(cli: Cli, name: &str) -> anyhow::Result<()> {
    let Some(timeout) = cli.timeout else {
        return dispatch(cli.command, None);
    };
    if matches!(cli.command, Command::Webhook(_)) {
        return Err(Misconfigured(
            "--timeout does not apply to `vouch webhook`: the server runs until stopped, \
             and bounds each review by the apiserver's timeout"
                .into(),
        )
        .into());
    }
    let deadline = Deadline::start(name, timeout);
    let within = deadline.clone();
    deadline.run(move || dispatch(cli.command, Some(&within)))
}

fn dispatch(command: Command, deadline: Option<&Deadline>) -> anyhow::Result<()> {
    match command {
        Command::Keygen(args) => cmd::keygen::run(args),
        Command::SignBlob(args) => cmd::sign_blob::run(args),
        Command::VerifyBundle(args) => cmd::verify_bundle::run(args),
        Command::Sign(args) => block_on(cmd::sign::run(args), deadline),
        Command::Tree(args) => block_on(cmd::tree::run(args), deadline),
        Command::VerifyImage(args) => block_on(cmd::verify_image::run(args), deadline),
        Command::Copy(args) => block_on(cmd::copy::run(args), deadline),
        Command::Inputs(args) => cmd::inputs::run(args),
        Command::Sbom(args) => cmd::sbom::run(args),
        Command::Attest(args) => block_on(cmd::attest::run(args), deadline),
        Command::Layout(args) => cmd::layout::run(args),
        Command::Policy(args) => cmd::policy::run(args),
        Command::Verify(args) => block_on(cmd::verify::run(args), deadline),
        Command::Vulns(args) => block_on(cmd::vulns::run(args), deadline),
        Command::Vex(args) => block_on(cmd::vex::run(args), deadline),
        Command::Diff(args) => block_on(cmd::diff::run(args), deadline),
        Command::Report(args) => block_on(cmd::report::run(args), deadline),
        Command::Webhook(args) => block_on(cmd::webhook::run(args), deadline),
    }
}

/// Runs a registry command on a runtime of its own, stopped at its next
/// `.await` once `deadline` passes.
fn block_on(
    future: impl std::future::Future<Output = anyhow::Result<()>>,
    deadline: Option<&Deadline>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let Some((deadline, at)) = deadline.and_then(|d| Some((d, d.at()?))) else {
        return runtime.block_on(future);
    };
    let result = runtime.block_on(async {
        tokio::time::timeout_at(at.into(), future)
            .await
            .unwrap_or_else(|_| Err(deadline.expired()))
    });
    // Past the deadline, tasks left on blocking threads (a lock being
    // waited for) are not waited for.
    runtime.shutdown_background();
    result
}

/// An error in what the user configured (a policy, a trusted root), not in
/// the evidence: it exits 2, like a usage error, so that a script can tell
/// "denied" (1) from "could not decide as asked".
#[derive(Debug)]
pub struct Misconfigured(pub String);

impl std::fmt::Display for Misconfigured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Misconfigured {}

/// An error that lists its items one per line (the inputs that do not
/// match their declarations). [`main`] prints the head and each item on a
/// line of its own, each escaped whole, so that no item can forge another
/// line; every other error is printed on one line.
#[derive(Debug)]
pub struct Listed {
    /// What is wrong, before the list.
    pub head: String,
    /// One line each.
    pub items: Vec<String>,
}

impl std::fmt::Display for Listed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.head)?;
        for item in &self.items {
            write!(f, "\n  {item}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Listed {}

/// The error as shown: `{:#}`, the context chain on one line (what, where,
/// why), escaped whole, for its causes carry strings from registries,
/// projects and evidence, and a newline in one would forge a line of its
/// own; a [`Listed`] error alone keeps its list, item by item.
fn shown(err: &anyhow::Error) -> String {
    match err.downcast_ref::<Listed>() {
        Some(listed) if err.chain().count() == 1 => {
            let mut out = escape(&listed.head).into_owned();
            out.push(':');
            for item in &listed.items {
                out.push_str("\n  ");
                out.push_str(&escape(item));
            }
            out
        }
        _ => escape(&format!("{err:#}")).into_owned(),
    }
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let name = matches.subcommand_name().unwrap_or_default().to_string();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match run(cli, &name) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(term::text_stderr(), "vouch: error: {}", shown(&err));
            if err.chain().any(|cause| cause.is::<Misconfigured>()) {
                ExitCode::from(2)
            } else if err.chain().any(is_unconfirmed) {
                ExitCode::from(3)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// A write that other writers kept undoing, so that whether it stuck could
/// not be confirmed: exit 3, so that a script can tell "retry, then check"
/// from a plain failure.
fn is_unconfirmed(cause: &(dyn std::error::Error + 'static)) -> bool {
    matches!(
        cause.downcast_ref::<vouch_registry::Error>(),
        Some(vouch_registry::Error::Contention { .. })
    )
}

/// A closed stdout (`vouch ... | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
