//! Image references: `oci:PATH[:TAG]` layouts and registry references.
//!
//! Registry references are parsed and normalised by `oci-spec`'s
//! `Reference` (the grammar of the distribution project), so `nginx`,
//! `docker.io/nginx` and `index.docker.io/library/nginx` are all
//! `docker.io/library/nginx:latest`. A reference with both a tag and a
//! digest is resolved by its digest alone.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use vouch_evidence::digest::Sha256;

use crate::Error;

/// The default tag of a reference that names none.
pub const DEFAULT_TAG: &str = "latest";

/// Where an image lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An OCI image layout directory.
    Layout(PathBuf),
    /// A repository in a registry.
    Registry {
        /// The registry host (`docker.io`, `127.0.0.1:5000`).
        host: String,
        /// The repository path (`library/nginx`).
        repository: String,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Layout(path) => write!(f, "oci:{}", path.display()),
            Location::Registry { host, repository } => write!(f, "{host}/{repository}"),
        }
    }
}

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Where the image lives.
    pub location: Location,
    /// The tag, if one was named (registry references default to `latest`).
    pub tag: Option<String>,
    /// The digest, if one was named; it wins over the tag.
    pub digest: Option<Sha256>,
}

impl ImageRef {
    /// The same image, pinned to `digest` (the tag is kept for display).
    pub fn pinned(&self, digest: Sha256) -> ImageRef {
        ImageRef {
            digest: Some(digest),
            ..self.clone()
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.location)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

fn invalid(reference: &str, reason: impl Into<String>) -> Error {
    Error::Reference {
        reference: reference.to_string(),
        reason: reason.into(),
    }
}

fn parse_digest(reference: &str, digest: &str) -> Result<Sha256, Error> {
    if !digest.starts_with("sha256:") {
        return Err(invalid(reference, "only sha256 digests are supported"));
    }
    digest
        .parse()
        .map_err(|e: vouch_evidence::Error| invalid(reference, e.to_string()))
}

/// A tag as the distribution spec allows: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn check_tag(reference: &str, tag: &str) -> Result<(), Error> {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if first_ok && rest_ok && tag.len() <= 128 {
        Ok(())
    } else {
        Err(invalid(
            reference,
            format!("tag {tag:?} is not a valid tag"),
        ))
    }
}

/// Repository path components are lowercase alphanumerics joined by `.`,
/// `_` or `-` (the distribution grammar); `oci-spec` lets uppercase through.
fn check_repository(reference: &str, repository: &str) -> Result<(), Error> {
    let ok = repository.split('/').all(|component| {
        let bytes = component.as_bytes();
        !bytes.is_empty()
            && bytes
                .first()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && bytes
                .last()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && bytes.iter().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-')
            })
    });
    if ok {
        Ok(())
    } else {
        Err(invalid(
            reference,
            format!("repository {repository:?} must be lowercase letters, digits and . _ - between them"),
        ))
    }
}

impl FromStr for ImageRef {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        if let Some(rest) = s.strip_prefix("oci:") {
            return parse_layout(s, rest);
        }
        if s.is_empty() || s.trim() != s {
            return Err(invalid(s, "empty or surrounded by white space"));
        }
        let parsed = oci_spec::distribution::Reference::from_str(s)
            .map_err(|e| invalid(s, e.to_string()))?;
        check_repository(s, parsed.repository())?;
        let digest = parsed.digest().map(|d| parse_digest(s, d)).transpose()?;
        let tag = match (parsed.tag(), &digest) {
            (Some(tag), _) => Some(tag.to_string()),
            (None, None) => Some(DEFAULT_TAG.to_string()),
            (None, Some(_)) => None,
        };
        Ok(ImageRef {
            location: Location::Registry {
                host: parsed.registry().to_string(),
                repository: parsed.repository().to_string(),
            },
            tag,
            digest,
        })
    }
}

/// `oci:PATH`, `oci:PATH:TAG` or `oci:PATH@sha256:…`, as skopeo writes them:
/// the path ends at the first `:` or `@`.
fn parse_layout(whole: &str, rest: &str) -> Result<ImageRef, Error> {
    let (path, tag, digest) = if let Some((path, digest)) = rest.split_once('@') {
        (path, None, Some(parse_digest(whole, digest)?))
    } else if let Some((path, tag)) = rest.split_once(':') {
        check_tag(whole, tag)?;
        (path, Some(tag.to_string()), None)
    } else {
        (rest, None, None)
    };
    if path.is_empty() {
        return Err(invalid(whole, "the layout path is empty"));
    }
    Ok(ImageRef {
        location: Location::Layout(PathBuf::from(path)),
        tag,
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(s: &str) -> String {
        s.parse::<ImageRef>().unwrap().to_string()
    }

    #[test]
    fn docker_hub_spellings_are_one_repository() {
        for s in [
            "nginx",
            "docker.io/nginx",
            "docker.io/library/nginx",
            "index.docker.io/library/nginx",
            "nginx:latest",
        ] {
            assert_eq!(remote(s), "docker.io/library/nginx:latest", "{s}");
        }
        assert_eq!(remote("ghcr.io/org/app:v1"), "ghcr.io/org/app:v1");
        assert_eq!(
            remote("127.0.0.1:5000/team/app"),
            "127.0.0.1:5000/team/app:latest"
        );
    }

    #[test]
    fn digest_wins_and_is_kept() {
        let d = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        let r: ImageRef = format!("ghcr.io/org/app:v1@{d}").parse().unwrap();
        assert_eq!(r.digest.unwrap().to_string(), d);
        assert_eq!(r.tag.as_deref(), Some("v1"));
        let r: ImageRef = format!("ghcr.io/org/app@{d}").parse().unwrap();
        assert_eq!(r.tag, None);
    }

    #[test]
    fn layouts() {
        let r: ImageRef = "oci:/tmp/layout:v1".parse().unwrap();
        assert_eq!(r.location, Location::Layout("/tmp/layout".into()));
        assert_eq!(r.tag.as_deref(), Some("v1"));
        let r: ImageRef = "oci:relative/dir".parse().unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(r.to_string(), "oci:relative/dir");
    }

    #[test]
    fn malformed_references_name_the_problem() {
        for (s, needle) in [
            ("", "empty"),
            ("UPPER/case", "invalid image reference"),
            ("ghcr.io/org/app@sha256:abc", "invalid reference format"),
            ("ghcr.io/org/app@sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e", "only sha256"),
            ("oci:", "layout path is empty"),
            ("oci:/x:bad tag", "not a valid tag"),
            (" nginx", "white space"),
        ] {
            let err = s.parse::<ImageRef>().unwrap_err().to_string();
            assert!(err.contains(needle), "{s:?}: {err}");
        }
    }
}
