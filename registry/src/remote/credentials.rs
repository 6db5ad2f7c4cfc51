//! Credentials and the host each is bound to: those given for the
//! registry's host, else its own entry in the docker config
//! (`$REGISTRY_AUTH_FILE`, `$DOCKER_CONFIG/config.json`,
//! `~/.docker/config.json`); never another registry's.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;

use super::RemoteOptions;
use crate::reference::normalise_host;
use crate::{Error, Result};

/// A user name and password for a registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password or token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ****)", self.username)
    }
}

/// The credentials of `host`: those [`RemoteOptions::credentials`] binds
/// to it (however its host is spelt), else its own from the docker config.
pub(super) fn bound(host: &str, options: &RemoteOptions) -> Result<Option<Credentials>> {
    let key = normalise_host(host);
    let bound = options
        .credentials
        .iter()
        .find(|(bound_to, _)| normalise_host(bound_to) == key);
    match bound {
        Some((_, c)) => Ok(Some(c.clone())),
        None => docker_config_credentials(host),
    }
}

/// Credentials for `host` from the docker config: `$REGISTRY_AUTH_FILE`,
/// else `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
fn docker_config_credentials(host: &str) -> Result<Option<Credentials>> {
    let path = if let Some(file) = std::env::var_os("REGISTRY_AUTH_FILE") {
        std::path::PathBuf::from(file)
    } else if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        Path::new(&dir).join("config.json")
    } else if let Some(home) = std::env::var_os("HOME") {
        Path::new(&home).join(".docker/config.json")
    } else {
        return Ok(None);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Io {
                action: "read",
                path: path.display().to_string(),
                error: source,
            })
        }
    };
    credentials_from_config(&bytes, host).map_err(|reason| Error::Invalid {
        what: "docker credentials file".into(),
        location: path.display().to_string(),
        reason,
    })
}

/// Looks `host` up in a docker `config.json` (`auths.<host>.auth`, base64
/// of `user:password`, or `username`/`password`). Docker Hub is filed under
/// `https://index.docker.io/v1/`.
fn credentials_from_config(
    bytes: &[u8],
    host: &str,
) -> std::result::Result<Option<Credentials>, String> {
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(default)]
        auths: HashMap<String, Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        auth: Option<String>,
        username: Option<String>,
        password: Option<String>,
    }
    let config: Config = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let keys: Vec<String> = if host == "docker.io" {
        vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
        ]
    } else {
        vec![
            host.to_string(),
            format!("https://{host}"),
            format!("http://{host}"),
        ]
    };
    let Some(entry) = keys.iter().find_map(|k| config.auths.get(k)) else {
        return Ok(None);
    };
    if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
        return Ok(Some(Credentials {
            username: username.clone(),
            password: password.clone(),
        }));
    }
    let Some(auth) = &entry.auth else {
        return Ok(None);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth)
        .map_err(|e| format!("auth of {host} is not base64: {e}"))?;
    let decoded = String::from_utf8(decoded).map_err(|_| format!("auth of {host} is not UTF-8"))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| format!("auth of {host} is not user:password"))?;
    Ok(Some(Credentials {
        username: username.into(),
        password: password.into(),
    }))
}

#[cfg(test)]
mod tests;
