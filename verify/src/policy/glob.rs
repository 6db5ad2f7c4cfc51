//! Image globs: which images a policy applies to.
//!
//! A glob is matched, whole-string, against the normalised repository of a
//! reference, `host/repository` with its tag and digest stripped
//! (`docker.io/library/nginx`, `ghcr.io/org/app`):
//!
//! - `*` (and `?`, `[...]`) match within one path segment and never `/`, so
//!   `ghcr.io/org/*` matches `ghcr.io/org/app` but not `ghcr.io/org/a/b`;
//! - `**` matches any number of whole segments: `ghcr.io/org/**` matches
//!   `ghcr.io/org/a` and `ghcr.io/org/a/b` (not `ghcr.io/org` itself), and
//!   `**` alone matches every registry image;
//! - `{a,b}` is an alternation.
//!
//! The glob is normalised the way Docker normalises a reference, so that
//! `nginx`, `docker.io/nginx` and `index.docker.io/library/nginx` are the
//! same glob: a first segment with a `.` or `:`, or `localhost`, is a
//! registry host (`index.docker.io` is `docker.io`); with no host the
//! registry is `docker.io`; a Docker Hub repository of one segment is in
//! `library/`. A glob whose first segment is a wildcard (`**`, `*/app`) has
//! no host to normalise and is matched as written against `host/repository`.
//!
//! The host is lowercased and a default port (`:443`, `:80`) dropped, as
//! [`ImageRef`] does for references
//! ([`vouch_evidence::reference::normalise_host`]), so that
//! `LOCALHOST:5000/app` and `localhost:5000/app` are one image to every
//! glob.
//!
//! Images in an OCI layout directory (`oci:PATH`) have no registry: only a
//! glob written `oci:PATTERN` applies to them, matched against the layout
//! path normalised lexically as references are
//! ([`vouch_evidence::reference::normalise_layout_path`]: no `.`, no
//! `dir/..`), with the same `*` and `**`; so `oci:trusted/../x` is the
//! image `oci:x`, which `oci:trusted/**` does not match.
//!
//! Matching is by globset, with `literal_separator` making `*` stop at `/`.

use std::fmt;

use globset::{GlobBuilder, GlobMatcher};
use vouch_evidence::reference::{normalise_host, normalise_layout_path, ImageRef, Location};

/// The characters that make a path segment a pattern rather than a literal.
const WILDCARDS: &[char] = &['*', '?', '[', ']', '{', '}'];

/// A validated image glob.
#[derive(Debug, Clone)]
pub struct ImageGlob {
    /// The glob as the policy wrote it.
    written: String,
    /// What it matches: registry images or layout directories.
    scope: Scope,
    /// The normalised pattern (what `policy check` shows).
    normalised: String,
    matcher: GlobMatcher,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Registry,
    Layout,
}

impl ImageGlob {
    /// Validates and normalises `glob`. The error says what is wrong with
    /// it; the caller adds the file and field.
    pub fn new(glob: &str) -> Result<Self, String> {
        if glob.is_empty() || glob.trim() != glob || glob.contains(char::is_whitespace) {
            return Err(format!("glob {glob:?} is empty or contains white space"));
        }
        if glob.contains('@') {
            return Err(format!(
                "glob {glob:?} names a digest: globs match repositories, tags and digests are stripped"
            ));
        }
        let (scope, normalised) = match glob.strip_prefix("oci:") {
            Some(path) => (
                Scope::Layout,
                normalise_layout_path(path).to_string_lossy().into_owned(),
            ),
            None => (Scope::Registry, normalise(glob)?),
        };
        if normalised
            .split('/')
            .any(|seg| seg.contains("**") && seg != "**")
        {
            return Err(format!(
                "glob {glob:?} uses `**` inside a path segment: `**` must be a whole segment \
                 (`a/**/b`); use `*` within a segment"
            ));
        }
        if normalised.is_empty() {
            return Err(format!("glob {glob:?} matches nothing"));
        }
        let matcher = GlobBuilder::new(&normalised)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("glob {glob:?} is not a valid glob: {}", e.kind()))?
            .compile_matcher();
        Ok(ImageGlob {
            written: glob.to_string(),
            scope,
            normalised,
            matcher,
        })
    }

    /// The glob as written in the policy.
    pub fn as_written(&self) -> &str {
        &self.written
    }

    /// Whether `image` is one this glob names.
    pub fn matches(&self, image: &ImageRef) -> bool {
        match (&image.location, self.scope) {
            (Location::Registry { host, repository }, Scope::Registry) => {
                self.matcher.is_match(format!("{host}/{repository}"))
            }
            (Location::Layout(path), Scope::Layout) => self.matcher.is_match(path),
            _ => false,
        }
    }
}

impl fmt::Display for ImageGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope {
            Scope::Registry if self.normalised != self.written => {
                write!(f, "{} (as {})", self.written, self.normalised)
            }
            _ => f.write_str(&self.written),
        }
    }
}

/// Docker's normalisation, applied to the literal head of a glob.
fn normalise(glob: &str) -> Result<String, String> {
    if glob == "**" {
        // Every registry image.
        return Ok(glob.to_string());
    }
    let Some((first, rest)) = glob.split_once('/') else {
        // `nginx`, `ngin*`: a Docker Hub official image.
        return Ok(format!("docker.io/library/{glob}"));
    };
    if first.contains(WILDCARDS) {
        // `**`, `*/app`, `*.example.com/...`: no literal host to normalise
        // beyond its case and default port.
        check_repository(glob, rest)?;
        return Ok(format!("{}/{rest}", normalise_host(first)));
    }
    let is_host = first.contains('.') || first.contains(':') || first == "localhost";
    let host = normalise_host(first);
    let (host, repository) = if is_host || host == "localhost" {
        if host == "index.docker.io" {
            ("docker.io", rest)
        } else {
            (host.as_str(), rest)
        }
    } else {
        ("docker.io", glob)
    };
    check_repository(glob, repository)?;
    if host == "docker.io" && !repository.contains('/') {
        Ok(format!("docker.io/library/{repository}"))
    } else {
        Ok(format!("{host}/{repository}"))
    }
}

/// A repository pattern may hold what a repository may (lowercase letters,
/// digits, `.`, `_`, `-`, `/`) and glob syntax; a `:` (a tag) or an upper
/// case letter could never match and is refused.
fn check_repository(glob: &str, repository: &str) -> Result<(), String> {
    let bad = repository.chars().find(|c| {
        !(c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || matches!(c, '.' | '_' | '-' | '/' | ',' | '!' | '^' | '\\')
            || WILDCARDS.contains(c))
    });
    match bad {
        Some(':') => Err(format!(
            "glob {glob:?} names a tag: globs match repositories, tags and digests are stripped"
        )),
        Some(c) => Err(format!(
            "glob {glob:?} has {c:?} in its repository, which no repository contains \
             (lowercase letters, digits, `.`, `_`, `-` and `/` only)"
        )),
        None if repository.is_empty() || repository.split('/').any(str::is_empty) => {
            Err(format!("glob {glob:?} has an empty path segment"))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(glob: &str, reference: &str) -> bool {
        let image: ImageRef = reference.parse().unwrap();
        ImageGlob::new(glob).unwrap().matches(&image)
    }

    #[test]
    fn star_matches_one_segment_only() {
        assert!(matches("ghcr.io/org/*", "ghcr.io/org/app"));
        assert!(matches("ghcr.io/org/*", "ghcr.io/org/app:v1"));
        assert!(!matches("ghcr.io/org/*", "ghcr.io/org/a/b"));
        assert!(!matches("ghcr.io/org/*", "ghcr.io.evil.com/org/x"));
        assert!(!matches("ghcr.io/org/*", "ghcr.io/org"));
        assert!(!matches("ghcr.io/org/*", "evil.com/ghcr.io/org/x"));
        assert!(matches("ghcr.io/org/app-*", "ghcr.io/org/app-web"));
        assert!(!matches("ghcr.io/org/app-*", "ghcr.io/org/app-web/x"));
    }

    #[test]
    fn double_star_matches_across_segments() {
        let glob = "registry.example.com/team/**";
        assert!(matches(glob, "registry.example.com/team/app"));
        assert!(matches(glob, "registry.example.com/team/a/b/c:1"));
        assert!(!matches(glob, "registry.example.com/team"));
        assert!(!matches(glob, "registry.example.com/teamevil/app"));
        assert!(!matches(glob, "registry.example.com.evil/team/app"));
        assert!(matches("**", "ghcr.io/a/b/c"));
        assert!(matches("**", "nginx"));
        assert!(matches("ghcr.io/**/app", "ghcr.io/org/sub/app"));
        assert!(!matches("ghcr.io/**/app", "ghcr.io/org/sub/app2"));
    }

    #[test]
    fn docker_hub_spellings_match_alike() {
        let refs = [
            "nginx",
            "docker.io/nginx",
            "index.docker.io/library/nginx",
            "nginx:1.27",
        ];
        for glob in [
            "nginx",
            "docker.io/nginx",
            "index.docker.io/library/nginx",
            "docker.io/library/nginx",
        ] {
            for reference in refs {
                assert!(matches(glob, reference), "{glob} vs {reference}");
            }
            assert!(!matches(glob, "ghcr.io/library/nginx"), "{glob}");
            assert!(!matches(glob, "docker.io/someone/nginx"), "{glob}");
        }
        assert!(matches("someone/*", "docker.io/someone/app"));
        assert!(!matches("someone/*", "docker.io/library/app"));
        assert!(matches("docker.io/*", "redis"));
        assert!(!matches("docker.io/*", "someone/redis"));
    }

    #[test]
    fn layouts_match_only_oci_globs() {
        assert!(matches("oci:build/**", "oci:build/image:v1"));
        assert!(matches("oci:build/*", "oci:./build/image"));
        assert!(!matches("oci:build/*", "oci:other/image"));
        assert!(!matches("**", "oci:build/image"));
        assert!(!matches("oci:**", "build.example.com/image"));
    }

    #[test]
    fn regression_issue_8_a_registry_host_matches_whatever_its_case_and_default_port() {
        // The escape: with `--no-match allow`, an upper-case spelling of the
        // host matched no policy.
        for reference in [
            "LOCALHOST:5055/team/evil",
            "localhost:5055/team/evil",
            "LocalHost:5055/team/evil:v1",
        ] {
            assert!(matches("localhost:5055/**", reference), "{reference}");
            assert!(matches("LOCALHOST:5055/**", reference), "{reference}");
        }
        for reference in [
            "Registry.Example.com/team/app",
            "registry.example.com:443/team/app",
            "REGISTRY.EXAMPLE.COM:80/team/app",
        ] {
            assert!(
                matches("registry.example.com/team/**", reference),
                "{reference}"
            );
            assert!(
                matches("registry.example.com:443/team/**", reference),
                "{reference}"
            );
            assert!(matches("*.example.com/team/*", reference), "{reference}");
        }
        // Another port is another registry.
        assert!(!matches(
            "registry.example.com/team/**",
            "registry.example.com:5000/team/app"
        ));
    }

    #[test]
    fn regression_issue_8_a_layout_path_climbing_out_of_a_glob_does_not_match_it() {
        assert!(!matches("oci:trusted/**", "oci:trusted/../x"));
        assert!(!matches("oci:trusted/**", "oci:trusted/a/../../x:v1"));
        assert!(matches("oci:x", "oci:trusted/../x"));
        assert!(matches("oci:trusted/**", "oci:./trusted/./a/b/../c"));
        assert!(matches("oci:./trusted/a/../**", "oci:trusted/b"));
    }

    #[test]
    fn bad_globs_are_refused_with_a_reason() {
        // Bad input 8 (globs).
        for (glob, why) in [
            ("ghcr.io/org/[z-a]", "not a valid glob"),
            ("ghcr.io/org/{a,b", "not a valid glob"),
            ("ghcr.io/org/a**", "inside a path segment"),
            ("ghcr.io/org/app:v1", "names a tag"),
            ("ghcr.io/org/app@sha256:abc", "names a digest"),
            ("ghcr.io/Org/*", "'O'"),
            ("ghcr.io//x", "empty path segment"),
            ("", "empty"),
            ("a b", "white space"),
        ] {
            let err = ImageGlob::new(glob).unwrap_err();
            assert!(err.contains(why), "{glob}: {err}");
        }
        assert!(ImageGlob::new("ghcr.io/org/{a,b}").is_ok());
    }
}
