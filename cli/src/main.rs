//! `vouch`: sign and verify supply-chain evidence.
//!
//! This binary only parses arguments, builds what a command needs and
//! dispatches to one function per command. The exit code is decided here,
//! in [`main`], and nowhere else: from the command's [`Outcome`], or from
//! the type of its error.

mod args;
mod attach;
mod clock;
mod cmd;
mod custody;
mod deadline;
mod discovery;
mod files;
mod findings;
mod image;
mod judge;
mod os;
mod outcome;
mod password;
mod report;
mod signer;
mod swap;
mod term;
#[cfg(test)]
mod version;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use vouch_evidence::text::escape;

use deadline::Deadline;
use outcome::{Listed, Misconfigured, Outcome};

/// Sign images and the evidence of what went into them; check both before an image runs.
///
/// In CI, where the image is built: `vouch inputs DIR` checks every vendored
/// or pinned input against what its lockfile declares, and `vouch attest DIR
/// --image IMAGE --key KEY` signs SLSA provenance and SBOMs of them onto the
/// image. `vouch unbundle DIR --distro debian` first swaps the critical
/// vendored inputs for the distribution's maintained builds of them.
///
/// At admission, before an image runs: `vouch verify IMAGE --policy FILE|DIR`
/// allows or denies it, with the reasons; `vouch webhook` does the same for a
/// Kubernetes cluster, as its admission webhook; `vouch policy check`
/// validates the policies first.
///
/// For audit, of an image already built: `vouch tree` lists what it carries
/// and `vouch verify` what of it verifies; `vouch vulns` lists the known
/// vulnerabilities of its inputs, with their VEX answers; `vouch diff OLD NEW`
/// shows what an upgrade changes; `vouch report` writes it all on one HTML
/// page for auditors.
///
/// Exit status: 0 allowed (or done), 1 denied or failed, 2 misconfigured (a
/// usage error, an invalid policy or trusted root), 3 written but unconfirmed
/// (see `vouch sign --help`).
#[derive(Parser)]
// `-V` prints the version alone; `--version` adds the commit and the state
// of the tree it was built from (cli/build.rs, src/version.rs).
#[command(name = "vouch", version, long_version = env!("VOUCH_LONG_VERSION"))]
#[command(propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Where to start: `bash scripts/demo.sh` in the source tree runs every \
    workflow end to end in a temporary directory; `vouch keygen --out ci` makes a first key. \
    `vouch COMMAND --help` tells more of each; `vouch completions SHELL` and `vouch man` \
    write shell completions and the manual page."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Stop the command, as failed, if it has not finished this long after
    /// it started (`90s`, `10m`, `1h30m`); default: no overall deadline,
    /// only each registry request's (--registry-timeout). Not for `webhook`,
    /// which bounds each review by the apiserver's timeout.
    // Listed in each command's help where it was before `completions` and
    // `man` were added: clap numbers it after the commands otherwise.
    #[arg(long, global = true, value_name = "DURATION", value_parser = deadline::parse)]
    #[arg(display_order = 18)]
    timeout: Option<deadline::Timeout>,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a key pair for signing (like `cosign generate-key-pair`).
    Keygen(cmd::keygen::Args),
    /// Print the public key of a signing key: a file, a PKCS#11 key or a KMS key.
    PublicKey(cmd::public_key::Args),
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
    /// Build the on-disk index of an OSV export (`osv index`), and push or pull it as a signed OCI artifact.
    Osv(cmd::osv::Args),
    /// Compare two images' evidence: inputs bumped, added, removed or re-hashed; vulnerabilities fixed and introduced.
    Diff(cmd::diff::Args),
    /// Write one self-contained HTML report on an image for auditors.
    Report(cmd::report::Args),
    /// Plan (and with --write make) the swap of critical vendored inputs for the distribution's packages.
    Unbundle(cmd::unbundle::Args),
    /// The Kubernetes admission webhook: verify every image before it runs
    /// (`vouch webhook certs` makes its TLS certificates).
    Webhook(cmd::webhook::Args),
    /// Write the shell completion script for bash, zsh or fish.
    Completions(cmd::completions::Args),
    /// Write vouch's manual page (roff) on standard output.
    Man(cmd::man::Args),
}

/// Runs the command `name`, within `--timeout` if given.
fn run(cli: Cli, name: &str) -> anyhow::Result<Outcome> {
    let Some(timeout) = cli.timeout else {
        return dispatch(cli.command, None);
    };
    if matches!(cli.command, Command::Webhook(_)) {
        return Err(Misconfigured::Usage(
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

/// Runs one command. `vouch verify` decides, and may deny; every other
/// command either does what it was asked (allowed) or fails.
fn dispatch(command: Command, deadline: Option<&Deadline>) -> anyhow::Result<Outcome> {
    let done = |result: anyhow::Result<()>| result.map(|()| Outcome::Allowed);
    match command {
        // On a runtime: a key store's client (AWS KMS) is asynchronous.
        Command::Keygen(args) => done(block_on(async { cmd::keygen::run(args) }, deadline)),
        Command::PublicKey(args) => done(block_on(async { cmd::public_key::run(args) }, deadline)),
        Command::SignBlob(args) => done(block_on(cmd::sign_blob::run(args), deadline)),
        Command::VerifyBundle(args) => done(cmd::verify_bundle::run(args)),
        Command::Sign(args) => done(block_on(cmd::sign::run(args), deadline)),
        Command::Tree(args) => done(block_on(cmd::tree::run(args), deadline)),
        Command::VerifyImage(args) => done(block_on(cmd::verify_image::run(args), deadline)),
        Command::Copy(args) => done(block_on(cmd::copy::run(args), deadline)),
        Command::Inputs(args) => done(cmd::inputs::run(args)),
        Command::Sbom(args) => done(block_on(cmd::sbom::run(args), deadline)),
        Command::Attest(args) => done(block_on(cmd::attest::run(args), deadline)),
        Command::Layout(args) => done(cmd::layout::run(args)),
        Command::Policy(args) => done(cmd::policy::run(args)),
        Command::Verify(args) => block_on(cmd::verify::run(args), deadline),
        Command::Vulns(args) => done(block_on(cmd::vulns::run(args), deadline)),
        Command::Vex(args) => done(block_on(cmd::vex::run(args), deadline)),
        Command::Osv(args) => done(block_on(cmd::osv::run(args), deadline)),
        Command::Diff(args) => done(block_on(cmd::diff::run(args), deadline)),
        Command::Report(args) => done(block_on(cmd::report::run(args), deadline)),
        Command::Unbundle(args) => done(cmd::unbundle::run(args)),
        Command::Webhook(args) => done(block_on(cmd::webhook::run(args), deadline)),
        Command::Completions(args) => done(cmd::completions::run(args, Cli::command())),
        Command::Man(args) => done(cmd::man::run(args, Cli::command())),
    }
}

/// Runs a registry command on a runtime of its own, stopped at its next
/// `.await` once `deadline` passes.
fn block_on<T>(
    future: impl std::future::Future<Output = anyhow::Result<T>>,
    deadline: Option<&Deadline>,
) -> anyhow::Result<T> {
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
        Ok(Outcome::Allowed) => ExitCode::SUCCESS,
        Ok(Outcome::Denied(what)) => {
            let _ = writeln!(term::text_stderr(), "vouch: denied: {}", escape(&what));
            ExitCode::FAILURE
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definitions_are_consistent() {
        // Every flag id a `conflicts_with`, `requires` or `mut_arg` names
        // exists in each command that flattens it, and no two flags clash.
        Cli::command().debug_assert();
    }
}
