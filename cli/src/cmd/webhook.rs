//! `vouch webhook`: the Kubernetes admission webhook server, and `vouch
//! webhook certs`, which makes its TLS certificates.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use base64::Engine as _;
use vouch_registry::Limits;
use vouch_verify::policy::NoMatch;
use vouch_webhook::check::{Checker, CheckerConfig, Opener};
use vouch_webhook::namespaces::{Exemptions, DEFAULT_EXEMPT};
use vouch_webhook::server::{self, Settings, DEFAULT_BUDGET};

use crate::args::{PolicyArgs, RegistryArgs, TrustedRootArgs};
use crate::files::{read_capped, write_atomic, Overwrite, MAX_KEY_BYTES};
use crate::outcome::Misconfigured;
use crate::term::note;

/// Arguments of `vouch webhook`.
#[derive(clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  \
    vouch webhook certs --service vouch-webhook --namespace vouch-system --out certs/\n  \
    vouch webhook --policy /etc/vouch/policies --tls-cert certs/tls.crt --tls-key certs/tls.key\n\n\
    Registry credentials come from $REGISTRY_AUTH_FILE or $DOCKER_CONFIG/config.json (a\n\
    mounted docker config Secret), or --registry-credentials HOST=USER:@FILE, each sent to\n\
    its own registry only. Policies are reloaded when the files change; an invalid change\n\
    keeps the previous set."
)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Generate a CA and a serving certificate for the webhook's Service,
    /// and print the caBundle for the webhook configurations.
    Certs(CertsArgs),
}

/// Arguments of the server.
#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// The serving certificate chain (PEM).
    #[arg(long, value_name = "FILE", required = true)]
    tls_cert: Option<PathBuf>,
    /// The serving certificate's private key (PEM, PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", required = true)]
    tls_key: Option<PathBuf>,
    /// The address to listen on (port 0 picks a free port, printed on stderr).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    listen: String,
    /// A namespace admitted without checks; repeat for several. Default: kube-system.
    #[arg(long, value_name = "NS")]
    exempt_namespace: Vec<String>,
    /// Admit with a warning an image a policy matches when its registry is
    /// unavailable (timeout, refused connection, 429, 5xx) instead of
    /// refusing it. Missing, malformed or oversized evidence is always refused.
    #[arg(long)]
    fail_open: bool,
    /// Refuse image references without a digest in /validate (pin them with /mutate).
    #[arg(long)]
    require_digest: bool,
    /// How long a verdict is reused, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    cache_ttl: u64,
    /// The most verdicts kept in the cache.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    cache_size: u64,
    /// How often the policy files are checked for changes, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3)]
    reload_interval: u64,
    /// What an image no policy matches gets: deny, allow or warn.
    #[arg(long, value_name = "ACTION", default_value = "deny")]
    no_match: NoMatch,
    #[command(flatten)]
    trusted_root: TrustedRootArgs,
    /// The most bytes of manifests and blobs read to verify one image;
    /// evidence past it is refused unread.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    max_evidence_bytes: u64,
    /// The most images verified at once (cache misses), in all reviews.
    #[arg(long, value_name = "N", default_value_t = 3)]
    max_verifications: usize,
    /// The most client connections open at once (lowered to fit the
    /// file-descriptor limit); past it, the oldest one not being answered
    /// is closed.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Arguments of `vouch webhook certs`.
#[derive(clap::Args)]
struct CertsArgs {
    /// The webhook's Service name.
    #[arg(long, value_name = "SVC")]
    service: String,
    /// The Service's namespace.
    #[arg(long, value_name = "NS")]
    namespace: String,
    /// The directory to write ca.crt, tls.crt and tls.key (0600) into; created if missing.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Runs the server, or `certs`.
pub async fn run(args: Args) -> Result<()> {
    match args.command {
        Some(Sub::Certs(certs)) => write_certs(&certs),
        None => serve(args.serve).await,
    }
}

fn required<'a>(value: &'a Option<PathBuf>, flag: &str) -> Result<&'a Path> {
    value
        .as_deref()
        .ok_or_else(|| Misconfigured::Usage(format!("{flag} is required")).into())
}

async fn serve(args: ServeArgs) -> Result<()> {
    let policy_path = args.policy.path()?.to_path_buf();
    let cert_path = required(&args.tls_cert, "--tls-cert")?;
    let key_path = required(&args.tls_key, "--tls-key")?;
    let mut policy_sources = Vec::new();
    let policies = args.policy.load_recorded(&mut policy_sources)?;
    let root = args.trusted_root.load()?;
    // The serving certificate and key, files the user configured.
    let tls = || -> Result<_> {
        let cert = read_capped(cert_path, MAX_KEY_BYTES, "TLS certificate")?;
        let key = read_capped(key_path, MAX_KEY_BYTES, "TLS key")?;
        let where_ = format!("{} and {}", cert_path.display(), key_path.display());
        Ok(server::tls_config(&cert, &key, &where_)?)
    };
    let tls = tls().map_err(Misconfigured::invalid)?;

    let exemptions = if args.exempt_namespace.is_empty() {
        Exemptions::new(DEFAULT_EXEMPT.iter().copied())
    } else {
        Exemptions::new(args.exempt_namespace)
    };
    if args.registry.has_login() {
        // Pods name the registries; credentials without a host would go to
        // whichever registry a pod author names first.
        return Err(Misconfigured::Usage(
            "--registry-username/--registry-password name no registry, and the webhook reads \
             the registries pods name: bind pull credentials to their registry with \
             --registry-credentials HOST=USER:@FILE or a docker config ($REGISTRY_AUTH_FILE)"
                .into(),
        )
        .into());
    }
    let limits = Limits {
        max_read_bytes: args.max_evidence_bytes,
        ..args.registry.limits()
    };
    let registry = Arc::new(args.registry);
    let open: Opener = Arc::new(move |image| {
        registry
            .open_with(image, false, limits)
            .map_err(|e| format!("{e:#}"))
    });
    let version = policies.version;
    let checker = Arc::new(Checker::new(
        CheckerConfig {
            open,
            root,
            no_match: args.no_match,
            require_digest: args.require_digest,
            cache_ttl: Duration::from_secs(args.cache_ttl),
            cache_capacity: args.cache_size,
            max_verifications: args.max_verifications.max(1),
        },
        policies,
    ));
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    note!(
        "vouch webhook: listening on https://{address} (policy set {version}; exempt: {})",
        exemptions.namespaces().collect::<Vec<_>>().join(", ")
    );
    server::serve(
        listener,
        tls,
        checker,
        Settings {
            exemptions,
            fail_open: args.fail_open,
            default_budget: DEFAULT_BUDGET,
            policy_path,
            policy_sources,
            reload_interval: Duration::from_secs(args.reload_interval.max(1)),
            max_connections: args.max_connections.max(1),
        },
    )
    .await?;
    Ok(())
}

fn write_certs(args: &CertsArgs) -> Result<()> {
    let generated = vouch_webhook::certs::generate(&args.service, &args.namespace)
        .map_err(Misconfigured::invalid)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    // Re-running rotates: every file is replaced whole, the key never
    // readable by others.
    for (name, text, mode) in [
        ("ca.crt", &generated.ca_pem, 0o644),
        ("tls.crt", &generated.cert_pem, 0o644),
        ("tls.key", &generated.key_pem, 0o600),
    ] {
        write_atomic(&args.out.join(name), text.as_bytes(), mode, Overwrite::Yes)?;
    }
    note!(
        "vouch webhook certs: wrote ca.crt, tls.crt and tls.key for {} in {}",
        generated.names.join(", "),
        args.out.display()
    );
    writeln!(
        crate::term::data_stdout(),
        "{}",
        base64::engine::general_purpose::STANDARD.encode(generated.ca_pem)
    )?;
    Ok(())
}
