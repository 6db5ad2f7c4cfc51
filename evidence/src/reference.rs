//! Image references: `oci:PATH[:TAG]` layouts and registry references.
//!
//! Registry references are parsed and normalised by `oci-spec`'s
//! `Reference` (the grammar of the distribution project), so `nginx`,
//! `docker.io/nginx` and `index.docker.io/library/nginx` are all
//! `docker.io/library/nginx:latest`. A reference with both a tag and a
//! digest is resolved by its digest alone.
//!
//! Every consumer (policy globs, the webhook's verdict cache and open
//! repositories, the registry client) sees one spelling of an image, so
//! that no other spelling of the same image can escape a glob or share
//! another's cache entry:
//!
//! - a registry host is lowercased (DNS names are case-insensitive, and
//!   Docker reads `LOCALHOST:5000/app` as host `localhost:5000`), and the
//!   default ports `:443` (HTTPS) and `:80` (plain HTTP) are dropped
//!   ([`normalise_host`]);
//! - a repository path must be lowercase, as the distribution spec says;
//! - an `oci:` layout path is normalised lexically: `.` components and
//!   repeated `/` go, and `dir/..` pairs cancel, so `oci:trusted/../x` is
//!   `oci:x` ([`normalise_layout_path`]).

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use crate::digest::Sha256;
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
        .map_err(|e: Error| invalid(reference, e.to_string()))
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

/// A registry host as it is matched and cached: lowercased, and without
/// the default port `:443` or `:80` when what is left is still plainly a
/// host (has a `.` or is `localhost`; `registry:443` keeps its port, since
/// `registry/app` would be a Docker Hub repository). Both default ports
/// go because vouch speaks HTTPS first and plain HTTP only where allowed:
/// `host`, `host:443` and (for a plain-HTTP registry) `host:80` are one
/// registry. Policy globs normalise their literal host the same way.
pub fn normalise_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    // The port as a number: `:0443` is port 443 to every client that dials
    // it, so it is spelt `:443` (and then dropped) like any other.
    let (name, port) = match host.rsplit_once(':') {
        Some((name, digits))
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            match digits.parse::<u16>() {
                Ok(port) => (name, port),
                Err(_) => return host,
            }
        }
        _ => return host,
    };
    if matches!(port, 443 | 80) && (name.contains('.') || name == "localhost") {
        name.to_string()
    } else {
        format!("{name}:{port}")
    }
}

/// A registry host written on its own (`--registry-credentials
/// HOST=…`), spelt as the host of a reference to an image on it: through
/// the very parser references go through, so that credentials bound to a
/// host are found under every spelling of it a reference may use
/// (case, `:443`, `index.docker.io` for `docker.io`). A host must name
/// one as a reference's first segment would (a `.` or a port, or
/// `localhost`): `registry` alone would be a Docker Hub repository.
pub fn registry_host(host: &str) -> Result<String, Error> {
    let not_a_host = || {
        invalid(
            host,
            "not a registry host (a host has a `.` or a port, or is `localhost`; no scheme or path)",
        )
    };
    if host.is_empty() || host.contains(['/', '@']) || !names_host(host) {
        return Err(not_a_host());
    }
    match format!("{host}/vouch").parse::<ImageRef>()?.location {
        Location::Registry { host, .. } => Ok(host),
        Location::Layout(_) => Err(not_a_host()),
    }
}

/// An `oci:` layout path normalised lexically: `.` components, repeated
/// and trailing `/` dropped, and each `dir/..` pair removed (`..` at the
/// root stays at the root; leading `..` of a relative path are kept). The
/// empty result is `.`. Lexical, so that matching never depends on the
/// file system: the image is then read from the normalised path too, so
/// what a glob matched is what is read.
pub fn normalise_layout_path(path: &str) -> PathBuf {
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for component in Path::new(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => {
                out.pop();
                depth -= 1;
            }
            Component::ParentDir if out.has_root() => {}
            Component::ParentDir => out.push(".."),
            Component::Normal(name) => {
                out.push(name);
                depth += 1;
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Whether the first segment of a reference names a registry host, as
/// Docker decides: it has a `.` or a `:`, is `localhost`, or is not all
/// lowercase (a repository never has an upper case letter).
fn names_host(first: &str) -> bool {
    first.contains(['.', ':']) || first == "localhost" || first.to_ascii_lowercase() != first
}

/// `s` with its registry host normalised ([`normalise_host`]), before
/// `oci-spec` reads it, so that its Docker Hub rules see the lowercase
/// host (`DOCKER.IO/nginx` is `docker.io/library/nginx`).
fn with_normal_host<'a>(s: &'a str) -> Result<std::borrow::Cow<'a, str>, Error> {
    let Some((first, rest)) = s.split_once('/') else {
        return Ok(s.into());
    };
    if !names_host(first) {
        return Ok(s.into());
    }
    let host = normalise_host(first);
    if !names_host(&host) {
        return Err(invalid(
            s,
            format!(
                "{first:?} is neither a lowercase repository path nor a registry host \
                 (a host has a `.` or a port, or is `localhost`)"
            ),
        ));
    }
    Ok(if host == first {
        s.into()
    } else {
        format!("{host}/{rest}").into()
    })
}

/// The repository path of a reference whose host is already normalised:
/// without the host, the tag and the digest.
fn repository_part(reference: &str) -> &str {
    let name = reference.split('@').next().unwrap_or(reference);
    let name = match (name.rfind(':'), name.rfind('/')) {
        (Some(colon), slash) if slash.is_none_or(|slash| colon > slash) => &name[..colon],
        _ => name,
    };
    match name.split_once('/') {
        Some((first, rest)) if names_host(first) => rest,
        _ => name,
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
        let normal = with_normal_host(s)?;
        let parsed = oci_spec::distribution::Reference::from_str(&normal).map_err(|e| {
            if repository_part(&normal).contains(|c: char| c.is_ascii_uppercase()) {
                invalid(
                    s,
                    "a repository path must be lowercase, as the distribution spec requires",
                )
            } else {
                invalid(s, e.to_string())
            }
        })?;
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
/// the path ends at the first `:` or `@`, and is normalised
/// ([`normalise_layout_path`]).
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
        location: Location::Layout(normalise_layout_path(path)),
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
    fn registry_hosts_are_spelt_as_in_references() {
        for (written, host) in [
            ("Registry.Example:443", "registry.example"),
            ("index.docker.io", "docker.io"),
            ("DOCKER.IO", "docker.io"),
            ("127.0.0.1:5000", "127.0.0.1:5000"),
            ("localhost:0080", "localhost"),
        ] {
            assert_eq!(registry_host(written).unwrap(), host, "{written}");
            let image: ImageRef = format!("{written}/app").parse().unwrap();
            let Location::Registry { host: of_image, .. } = image.location else {
                panic!("{written}")
            };
            assert_eq!(of_image, host, "{written}");
        }
        // An IPv6 literal is no reference's host either (the distribution
        // grammar has none), so no credentials are bound to one.
        for bad in [
            "",
            "registry",
            "https://r.example",
            "r.example/x",
            "oci:x",
            "u@r.example",
            "[::1]:5000",
        ] {
            assert!(registry_host(bad).is_err(), "{bad}");
        }
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
    fn hosts_are_lowercased_and_default_ports_dropped() {
        for (s, expected) in [
            (
                "LOCALHOST:5055/team/evil",
                "localhost:5055/team/evil:latest",
            ),
            ("LOCALHOST/team/app", "localhost/team/app:latest"),
            (
                "Registry.Example.COM:443/team/app:V1",
                "registry.example.com/team/app:V1",
            ),
            (
                "registry.example.com:80/team/app",
                "registry.example.com/team/app:latest",
            ),
            ("localhost:443/app", "localhost/app:latest"),
            ("DOCKER.IO/nginx", "docker.io/library/nginx:latest"),
            ("docker.io:443/nginx", "docker.io/library/nginx:latest"),
            (
                "INDEX.DOCKER.IO/library/nginx",
                "docker.io/library/nginx:latest",
            ),
            // Without its port this would be a Docker Hub namespace: kept.
            ("registry:443/app", "registry:443/app:latest"),
            ("127.0.0.1:5000/app", "127.0.0.1:5000/app:latest"),
            ("127.0.0.1:8443/app", "127.0.0.1:8443/app:latest"),
        ] {
            assert_eq!(remote(s), expected, "{s}");
        }
    }

    #[test]
    fn regression_issue_8_a_port_with_leading_zeros_names_the_same_registry() {
        // Clients dial `:0443` as port 443: the same registry, one spelling.
        for (s, expected) in [
            (
                "registry.example.com:0443/team/app",
                "registry.example.com/team/app:latest",
            ),
            ("localhost:00080/app", "localhost/app:latest"),
            ("localhost:05055/app", "localhost:5055/app:latest"),
            ("registry:0443/app", "registry:443/app:latest"),
        ] {
            assert_eq!(remote(s), expected, "{s}");
        }
        let err = "Registry/app".parse::<ImageRef>().unwrap_err().to_string();
        assert!(
            err.contains("neither a lowercase repository path nor a registry host"),
            "{err}"
        );
        let err = "localhost:5055/Team/app"
            .parse::<ImageRef>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("a repository path must be lowercase"), "{err}");
    }

    #[test]
    fn layout_paths_are_normalised_lexically() {
        for (s, expected) in [
            ("oci:trusted/../x", "x"),
            ("oci:./a//b/", "a/b"),
            ("oci:a/./b/../c:v1", "a/c"),
            ("oci:/../x", "/x"),
            ("oci:../x", "../x"),
            ("oci:a/../../x", "../x"),
            ("oci:a/..", "."),
        ] {
            let r: ImageRef = s.parse().unwrap();
            assert_eq!(r.location, Location::Layout(expected.into()), "{s}");
        }
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
