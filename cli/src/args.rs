//! The flags several commands take, each defined once (with its help
//! text) as a struct that commands `#[command(flatten)]`, and loaded by
//! one function: the policy, whose evidence to trust, the OSV records, the
//! trusted root, the signing key, the output format, how a project is
//! discovered and the registry flags ([`RegistryArgs`]).
//!
//! What these flags name is the user's configuration: a file that cannot
//! be used is [`Misconfigured`] (exit 2), decided here, once per flag.

mod registry;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vouch_load::Source;
use vouch_verify::bundle::TrustedRoot;
use vouch_verify::policy::{GivenOsv, PolicySet};

pub use registry::RegistryArgs;

use crate::files::{load_public_key, read_capped, MAX_DOCUMENT_BYTES};
use crate::judge::warn_ignored;
use crate::outcome::Misconfigured;
use crate::signer::keyless::{load_signing_config, select_services, Keyless};
use crate::signer::{open_key, KeyOptions, KeyRef, Keyed, Signer};

/// `--policy`: the admission policies. Required by `verify` and `webhook`
/// (unless a subcommand is given); [`TrustArgs`] makes it optional, for
/// `vulns`, `diff` and `report` take it or `--key`.
#[derive(clap::Args, Debug)]
pub struct PolicyArgs {
    /// An ImagePolicy file, or a directory of them (*.yaml, *.yml): its
    /// authorities verify the evidence, its vexAuthorities answer findings.
    #[arg(long, value_name = "FILE|DIR", required = true)]
    policy: Option<PathBuf>,
}

impl PolicyArgs {
    /// The path given; a command that requires it has had clap check it.
    pub fn path(&self) -> Result<&Path> {
        self.policy
            .as_deref()
            .ok_or_else(|| Misconfigured::Usage("--policy is required".into()).into())
    }

    /// Loads the policies; an invalid one is a configuration error.
    pub fn load(&self) -> Result<PolicySet> {
        self.load_with_osv(None)
    }

    /// Loads the policies, `osv` standing for each one's
    /// `vulnerabilities.osv`.
    fn load_with_osv(&self, osv: Option<&GivenOsv>) -> Result<PolicySet> {
        let set = vouch_load::policy::load_with_osv(self.path()?, osv.cloned())
            .map_err(Misconfigured::invalid)?;
        warn_ignored(&set);
        Ok(set)
    }

    /// Loads the policies as [`PolicyArgs::load`] does, recording in
    /// `sources` every file the load read: what `vouch webhook` polls to
    /// reload them.
    pub fn load_recorded(&self, sources: &mut Vec<Source>) -> Result<PolicySet> {
        let set = vouch_load::policy::load_recorded(self.path()?, None, sources)
            .map_err(Misconfigured::invalid)?;
        warn_ignored(&set);
        Ok(set)
    }
}

/// Whose evidence to trust, for `vouch vulns`, `diff` and `report`: an
/// ImagePolicy, or keys.
#[derive(clap::Args)]
#[command(mut_arg("policy", |policy| policy.required(false)))]
pub struct TrustArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// Instead of a policy: a public key (PEM) whose attestations are
    /// trusted, provenance, SBOM and VEX alike; repeatable. The verdict then
    /// requires a verified provenance from one of them.
    #[arg(long, value_name = "KEY", conflicts_with = "policy")]
    key: Vec<PathBuf>,
}

impl TrustArgs {
    /// Whether either was given.
    pub fn given(&self) -> bool {
        self.policy.policy.is_some() || !self.key.is_empty()
    }

    /// The policy set: the policy's, or the keys' (`PolicySet::from_keys`),
    /// with a label for messages (the `--policy` path or the `--key` flags).
    pub fn load(&self, osv: Option<&GivenOsv>) -> Result<(PolicySet, String)> {
        if let Some(policy) = &self.policy.policy {
            let set = self.policy.load_with_osv(osv)?;
            return Ok((set, policy.display().to_string()));
        }
        if self.key.is_empty() {
            return Err(Misconfigured::Usage(
                "say whose evidence to trust: --policy FILE|DIR, or --key KEY (repeatable)".into(),
            )
            .into());
        }
        let mut keys = Vec::new();
        for path in &self.key {
            let key = load_public_key(path).map_err(Misconfigured::invalid)?;
            let name = path
                .file_stem()
                .map_or("key".into(), |s| s.to_string_lossy().into_owned());
            keys.push((name, key));
        }
        let set = PolicySet::from_keys(keys, self.key.clone()).map_err(Misconfigured::invalid)?;
        let label = self
            .key
            .iter()
            .map(|k| format!("--key {}", k.display()))
            .collect::<Vec<_>>()
            .join(" ");
        Ok((set, label))
    }
}

/// `--osv`: OSV records given on the command line.
#[derive(clap::Args)]
pub struct OsvArgs {
    /// OSV records: a directory of OSV JSON files, an OSV export zip, or
    /// an index built with `vouch osv index` (told apart by content).
    /// For an image, it stands for the policy's `vulnerabilities.osv`,
    /// which is then not read.
    #[arg(long, value_name = "DIR|ZIP|INDEX")]
    osv: Option<PathBuf>,
}

impl OsvArgs {
    /// The path given, if any.
    pub fn path(&self) -> Option<&Path> {
        self.osv.as_deref()
    }

    /// Loads the records, if given; a bad database is a configuration
    /// error.
    pub fn load(&self) -> Result<Option<GivenOsv>> {
        let Some(path) = self.path() else {
            return Ok(None);
        };
        let (database, digest) = vouch_load::osv::open(path).map_err(Misconfigured::invalid)?;
        Ok(Some(GivenOsv {
            path: path.to_path_buf(),
            database,
            digest,
        }))
    }
}

/// `--trusted-root`: the Sigstore trust anchors.
#[derive(clap::Args)]
pub struct TrustedRootArgs {
    /// Trusted root (trusted_root.json): Fulcio CAs, CT logs, transparency
    /// logs and timestamp authorities; defaults to the embedded Sigstore
    /// public-good root.
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
}

impl TrustedRootArgs {
    /// The path given, if any.
    pub fn path(&self) -> Option<&Path> {
        self.trusted_root.as_deref()
    }

    /// The trusted root given, else the embedded Sigstore public-good
    /// root; `verify`, `vulns`, `diff`, `report` and `webhook` trust the
    /// same authorities through it. An unreadable or invalid file is a
    /// configuration error.
    pub fn load(&self) -> Result<TrustedRoot> {
        let Some(path) = self.path() else {
            return Ok(TrustedRoot::public_good()?);
        };
        let read = || {
            let bytes = read_capped(path, MAX_DOCUMENT_BYTES, "trusted root")?;
            TrustedRoot::from_json(&bytes).map_err(|e| anyhow::anyhow!("{e} in {}", path.display()))
        };
        Ok(read().map_err(Misconfigured::invalid)?)
    }
}

/// `--key` or `--keyless` of the commands that sign.
#[derive(clap::Args)]
pub struct SigningArgs {
    /// The key to sign with: a PEM private key file (PKCS#8 as written by
    /// `vouch keygen`, or cosign's encrypted format), a PKCS#11 key
    /// (`pkcs11:token=T;object=LABEL?module-path=/usr/lib/softhsm/libsofthsm2.so`)
    /// or an AWS KMS key (`awskms:///ARN` or `awskms:///alias/NAME`).
    #[arg(long, value_name = "KEY", required_unless_present = "keyless")]
    key: Option<String>,
    /// Sign keylessly instead: an ephemeral key, a short-lived Sigstore
    /// certificate for the CI's OIDC identity (Fulcio), a transparency-log
    /// entry (Rekor) and an RFC 3161 timestamp, from the services of
    /// --signing-config. The bundle is verified against --trusted-root
    /// before anything is written.
    #[arg(long, conflicts_with = "key")]
    keyless: bool,
    /// Keyless: the OIDC identity token, or @FILE to read it from a file
    /// (better: a command line is visible to other users). Without it,
    /// GitHub Actions' token (ACTIONS_ID_TOKEN_REQUEST_URL and
    /// ACTIONS_ID_TOKEN_REQUEST_TOKEN, with `permissions: id-token:
    /// write`), else GitLab CI's SIGSTORE_ID_TOKEN.
    #[arg(long, value_name = "TOKEN|@FILE", conflicts_with = "key")]
    identity_token: Option<String>,
    /// Keyless: the Sigstore signing config (signing_config.json) naming
    /// Fulcio, Rekor and the timestamp authority; defaults to the embedded
    /// Sigstore public-good config.
    #[arg(long, value_name = "FILE", conflicts_with = "key")]
    signing_config: Option<PathBuf>,
    /// Keyless: the trusted root (trusted_root.json) the new bundle must
    /// verify against before it is used; defaults to the embedded Sigstore
    /// public-good root.
    #[arg(long, value_name = "FILE", conflicts_with = "key")]
    trusted_root: Option<PathBuf>,
    /// The PKCS#11 user PIN, in this file (a trailing newline is
    /// dropped). Else the environment variable VOUCH_PKCS11_PIN, else the
    /// URI's `pin-source` file or `pin-value` (cosign's form; a PIN in
    /// the URI shows in process lists and shell history).
    #[arg(long, value_name = "FILE")]
    pin_file: Option<PathBuf>,
}

impl SigningArgs {
    /// The signer the flags name: the key opened in its store, or a
    /// keyless signer with its services and identity.
    pub async fn signer(&self) -> Result<Box<dyn Signer>> {
        let Some(key) = &self.key else {
            return Ok(Box::new(self.keyless().await?));
        };
        let key = KeyRef::parse(key)?;
        let options = KeyOptions {
            pin_file: self.pin_file.clone(),
        };
        Ok(Box::new(Keyed::new(open_key(&key, &options)?)))
    }

    /// The keyless signer: the trusted root and signing config given (an
    /// unusable file, or a config naming no usable services, is
    /// [`Misconfigured`]), the identity token found.
    async fn keyless(&self) -> Result<Keyless> {
        let root = TrustedRootArgs {
            trusted_root: self.trusted_root.clone(),
        }
        .load()?;
        let path = self.signing_config.as_deref();
        let services = load_signing_config(path)
            .and_then(|config| {
                select_services(&config).with_context(|| {
                    format!(
                        "cannot sign keylessly with the signing config {}",
                        path.map_or("(embedded public-good)".into(), |p| p.display().to_string())
                    )
                })
            })
            .map_err(Misconfigured::invalid)?;
        Keyless::new(services, root, self.identity_token.as_deref(), &|name| {
            std::env::var(name).ok()
        })
        .await
    }
}

/// Output format of the commands that print a table or JSON.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// A human-readable tree.
    Table,
    /// JSON, one document.
    Json,
}

/// `--output`.
#[derive(clap::Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// How the project tree is read and its inputs classified; shared by the
/// commands that discover inputs (`inputs`, `sbom`, `attest`, `vulns`).
#[derive(clap::Args, Clone)]
pub struct DiscoveryArgs {
    #[command(flatten)]
    pub critical: CriticalArgs,
    /// The largest vendored file hashed, in bytes (default 4 GiB, above
    /// any real source archive). A larger one (a sparse 100 GB file, say)
    /// is an error naming it, at once, instead of minutes of hashing.
    #[arg(long, value_name = "BYTES", default_value_t = vouch_attest::tree::DEFAULT_MAX_FILE_BYTES)]
    pub max_file_bytes: u64,
}

/// Which criticality rules classify the inputs (part of
/// [`DiscoveryArgs`]).
#[derive(clap::Args, Clone)]
pub struct CriticalArgs {
    /// More criticality rules (YAML, the schema of policies/critical.yaml;
    /// repeatable). They extend the shipped rules and the project's
    /// vouch.critical.yaml.
    #[arg(long = "critical-rules", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Leave out the shipped rules (policies/critical.yaml): only the
    /// project's vouch.critical.yaml and --critical-rules files apply.
    #[arg(long)]
    pub no_default_critical_rules: bool,
}

/// `--platform` and `--all-platforms`: which platforms of an image index
/// the OS packages are read from (`sbom`, `vulns`, `attest` of an image).
#[derive(clap::Args, Clone, Debug)]
pub struct PlatformArgs {
    /// Read this platform of an index, OS/ARCH[/VARIANT] (a single-platform
    /// image must be of it) [default: linux/amd64 from an index].
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT]",
        conflicts_with = "all_platforms"
    )]
    pub platform: Option<vouch_registry::image::Platforms>,
    /// Read every platform of an index.
    #[arg(long)]
    pub all_platforms: bool,
}

impl PlatformArgs {
    /// The platforms selected.
    pub fn platforms(&self) -> vouch_registry::image::Platforms {
        match (&self.platform, self.all_platforms) {
            (_, true) => vouch_registry::image::Platforms::All,
            (Some(p), false) => p.clone(),
            (None, false) => vouch_registry::image::Platforms::Default,
        }
    }
}

/// Where the distribution's archive metadata, packages and installed files
/// are read from (`unbundle`, and `attest` of an unbundled project). All
/// local: the chain of custody is checked without network.
#[derive(clap::Args, Clone, Debug)]
pub struct AptArgs {
    /// apt's lists directory: the `*_InRelease` files and the `Packages`
    /// indexes apt fetched with them (`apt-get update` fills it).
    #[arg(long, value_name = "DIR", default_value = "/var/lib/apt/lists")]
    pub apt_lists: PathBuf,
    /// The archive keyring every release must be signed by (binary or
    /// armored OpenPGP keys).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/usr/share/keyrings/debian-archive-keyring.gpg"
    )]
    pub keyring: PathBuf,
    /// Where the `.deb` files are (apt's archive cache, where
    /// `apt-get install --download-only` and `apt-get download` put them).
    #[arg(long, value_name = "DIR", default_value = "/var/cache/apt/archives")]
    pub debs: PathBuf,
    /// The root the distribution's packages are installed under, with
    /// dpkg's database at ROOT/var/lib/dpkg (a chroot or an unpacked tree
    /// instead of this machine).
    #[arg(long, value_name = "ROOT", default_value = "/")]
    pub distro_root: PathBuf,
}
