//! The registry flags (`--registry-*`, `--allow-http-registry`, the read
//! limits): how to reach registries and how much to read from them, for
//! every command that touches an image.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use vouch_registry::reference::{registry_host, ImageRef, Location};
use vouch_registry::remote::{Credentials, RemoteOptions};
use vouch_registry::{Limits, Repository};

use crate::files::{read_capped, read_text, MAX_DOCUMENT_BYTES, MAX_KEY_BYTES};

/// How to reach registries and how much to read from them; shared by every
/// command that touches an image.
#[derive(clap::Args, Debug)]
pub struct RegistryArgs {
    /// Allow plain HTTP to a registry that is not on loopback (loopback
    /// registries may always fall back to HTTP).
    #[arg(long)]
    allow_http_registry: bool,
    /// Extra CA certificates (PEM) to trust for registries, besides the public roots.
    #[arg(long, value_name = "FILE")]
    registry_ca: Option<PathBuf>,
    /// Registry user name, for the registry of the image the command writes
    /// to (`copy`: DST), else of the one image it reads; a command reading
    /// images on several registries refuses it (use --registry-credentials).
    /// Registries without credentials here get theirs from $REGISTRY_AUTH_FILE,
    /// $DOCKER_CONFIG/config.json or ~/.docker/config.json.
    #[arg(long, value_name = "USER", requires = "registry_password")]
    registry_username: Option<String>,
    /// Registry password or token, sent to that registry only.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "VOUCH_REGISTRY_PASSWORD",
        hide_env_values = true,
        requires = "registry_username"
    )]
    registry_password: Option<String>,
    /// Credentials for one registry, sent to that host only: the password
    /// or token is read from FILE. Repeat for several registries.
    #[arg(long, value_name = "HOST=USER:@FILE", value_parser = parse_bound_credentials)]
    registry_credentials: Vec<BoundCredentials>,
    /// A host REGISTRY may name as its token service (Bearer realm), besides
    /// its own host (and auth.docker.io for docker.io); a token service
    /// anywhere else is never contacted. Repeat for several.
    #[arg(long, value_name = "REGISTRY=HOST", value_parser = parse_token_host)]
    registry_token_host: Vec<(String, String)>,
    /// The registry --registry-username is bound to, once known.
    #[arg(skip)]
    login: Mutex<Login>,
    /// Timeout of each registry request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    registry_timeout: u64,
    /// Most signatures and attestations read per image.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_attachments)]
    max_attachments: usize,
    /// Most layers per manifest (and entries per index).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_layers)]
    max_layers: usize,
    /// Most entries listed next to an image (referrers, fallback index
    /// entries, legacy layers) before they are filtered by type.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_referrers)]
    max_referrers: usize,
    /// Largest blob read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_blob_bytes)]
    max_blob_bytes: u64,
    /// Most indexes nested above a manifest (an index of images is one level).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_index_depth)]
    max_index_depth: usize,
}

/// Credentials for one registry (`--registry-credentials HOST=USER:@FILE`).
#[derive(Debug, Clone)]
pub struct BoundCredentials {
    /// The registry host, spelt as references spell it.
    host: String,
    username: String,
    /// The file holding the password or token.
    password_file: PathBuf,
}

/// Parses `HOST=USER:@FILE`. The password is never on the command line,
/// where any user of the machine could read it.
fn parse_bound_credentials(value: &str) -> std::result::Result<BoundCredentials, String> {
    let form = "expected HOST=USER:@FILE, the password or token read from FILE";
    let (host, rest) = value.split_once('=').ok_or(form)?;
    let host = registry_host(host).map_err(|e| e.to_string())?;
    let (username, file) = rest.split_once(":@").ok_or(form)?;
    if username.is_empty() || username.contains(':') || file.is_empty() {
        return Err(format!(
            "{form} (USER neither empty nor with a `:`, FILE not empty)"
        ));
    }
    Ok(BoundCredentials {
        host,
        username: username.to_string(),
        password_file: PathBuf::from(file),
    })
}

/// Parses `REGISTRY=HOST` (`--registry-token-host`).
fn parse_token_host(value: &str) -> std::result::Result<(String, String), String> {
    let (registry, token_host) = value
        .split_once('=')
        .ok_or("expected REGISTRY=HOST, the host of the registry's token service")?;
    let registry = registry_host(registry).map_err(|e| e.to_string())?;
    let token_host = registry_host(token_host).map_err(|e| e.to_string())?;
    Ok((registry, token_host))
}

/// Where `--registry-username`/`--registry-password` go.
#[derive(Debug, Default)]
enum Login {
    /// Not yet known: the first registry opened takes them.
    #[default]
    Unbound,
    /// The registry a command writes to ([`RegistryArgs::log_in_to`]):
    /// other registries it reads simply do not get them.
    Named(String),
    /// The first registry the command opened: a second one is refused, as
    /// the credentials could be meant for either.
    First(String),
}

impl RegistryArgs {
    /// Binds `--registry-username`/`--registry-password` to the registry of
    /// `image`, the one the command writes to, before any registry is
    /// opened: every other registry the command reads gets only its own
    /// credentials (`--registry-credentials`, the docker config).
    pub fn log_in_to(&self, image: &ImageRef) {
        if let Location::Registry { host, .. } = &image.location {
            *self.login.lock().unwrap_or_else(|p| p.into_inner()) = Login::Named(host.clone());
        }
    }

    /// Whether `--registry-username`/`--registry-password` were given.
    pub fn has_login(&self) -> bool {
        self.registry_username.is_some()
    }

    /// Whether the command-line credentials go to `host`, binding them to
    /// it when it is the first registry opened.
    fn logs_in_to(&self, host: &str) -> Result<bool> {
        if !self.has_login() {
            return Ok(false);
        }
        let mut login = self.login.lock().unwrap_or_else(|p| p.into_inner());
        match &*login {
            Login::Unbound => {
                *login = Login::First(host.to_string());
                Ok(true)
            }
            Login::Named(bound) => Ok(bound == host),
            Login::First(bound) if bound == host => Ok(true),
            Login::First(bound) => bail!(
                "--registry-username/--registry-password are for one registry, and this command \
                 reads {bound} and {host}: give each its own with --registry-credentials \
                 HOST=USER:@FILE (or a docker config)"
            ),
        }
    }

    /// The credentials of `host` and every `--registry-credentials`, each
    /// bound to its host, and the trusted token hosts.
    fn remote_options(&self, host: Option<&str>) -> Result<RemoteOptions> {
        let mut credentials = BTreeMap::new();
        for bound in &self.registry_credentials {
            let text = read_text(&bound.password_file, MAX_KEY_BYTES, "registry password")?;
            let password = text
                .strip_suffix('\n')
                .map(|t| t.strip_suffix('\r').unwrap_or(t))
                .unwrap_or(&text);
            if password.is_empty() {
                bail!(
                    "the registry password for {} in {} is empty",
                    bound.host,
                    bound.password_file.display()
                );
            }
            let fresh = Credentials {
                username: bound.username.clone(),
                password: password.to_string(),
            };
            if credentials.insert(bound.host.clone(), fresh).is_some() {
                bail!("--registry-credentials names {} twice", bound.host);
            }
        }
        if let (Some(host), Some(username), Some(password)) =
            (host, &self.registry_username, &self.registry_password)
        {
            if self.logs_in_to(host)? {
                let given = Credentials {
                    username: username.clone(),
                    password: password.clone(),
                };
                if credentials.insert(host.to_string(), given).is_some() {
                    bail!(
                        "credentials for {host} are given twice (--registry-username and \
                         --registry-credentials)"
                    );
                }
            }
        }
        let mut token_hosts: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (registry, token_host) in &self.registry_token_host {
            token_hosts
                .entry(registry.clone())
                .or_default()
                .push(token_host.clone());
        }
        let extra_ca_pem = match &self.registry_ca {
            Some(path) => Some(read_capped(path, MAX_DOCUMENT_BYTES, "registry CA")?),
            None => None,
        };
        Ok(RemoteOptions {
            allow_http: self.allow_http_registry,
            extra_ca_pem,
            credentials,
            token_hosts,
            timeout: Some(std::time::Duration::from_secs(self.registry_timeout)),
        })
    }

    /// Opens the repository of `image`; a layout is created if `create`.
    pub fn open(&self, image: &ImageRef, create: bool) -> Result<Repository> {
        self.open_with(image, create, self.limits())
    }

    /// The limits the flags set.
    pub fn limits(&self) -> Limits {
        Limits {
            max_attachments: self.max_attachments,
            max_layers: self.max_layers,
            max_blob_bytes: self.max_blob_bytes,
            max_referrers: self.max_referrers,
            max_index_depth: self.max_index_depth,
            ..Limits::default()
        }
    }

    /// [`RegistryArgs::open`] with other `limits` than the flags'.
    pub fn open_with(&self, image: &ImageRef, create: bool, limits: Limits) -> Result<Repository> {
        let host = match &image.location {
            Location::Registry { host, .. } => Some(host.as_str()),
            Location::Layout(_) => None,
        };
        let options = self.remote_options(host)?;
        vouch_registry::open(image, &options, limits, create)
            .with_context(|| format!("cannot open {image}"))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn credentials_name_their_registry_and_a_file() {
        let bound = parse_bound_credentials("Registry.Example:443=ci:@/run/secrets/token").unwrap();
        assert_eq!(bound.host, "registry.example");
        assert_eq!(bound.username, "ci");
        assert_eq!(bound.password_file, Path::new("/run/secrets/token"));
        let hub = parse_bound_credentials("index.docker.io=me:@pw").unwrap();
        assert_eq!(hub.host, "docker.io");
        for bad in [
            "registry.example",
            "registry.example=ci:s3cret",
            "registry.example=ci",
            "registry.example=:@file",
            "registry.example=a:b:@file",
            "registry.example=ci:@",
            "registry=ci:@file",
            "https://registry.example=ci:@file",
        ] {
            assert!(parse_bound_credentials(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_token_host("registry.gitlab.com=GitLab.com").unwrap(),
            ("registry.gitlab.com".to_string(), "gitlab.com".to_string())
        );
        for bad in [
            "registry.gitlab.com",
            "r.example=https://auth.example/token",
            "=a.example",
        ] {
            assert!(parse_token_host(bad).is_err(), "{bad}");
        }
    }
}
