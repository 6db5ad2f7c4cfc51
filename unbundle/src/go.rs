//! Go modules in Debian: the Go team packages module `M` as a
//! `golang-*-dev` package that installs its source under
//! `/usr/share/gocode/src/M`. The package is named by dh-make-golang's
//! rule (`github.com/pkg/errors` -> `golang-github-pkg-errors-dev`,
//! `golang.org/x/net` -> `golang-golang-x-net-dev`, `gopkg.in/yaml.v3` ->
//! `golang-gopkg-yaml.v3-dev`, `go.uber.org/zap` -> `golang-go.uber-zap-dev`);
//! the `Packages` index rarely says which import path a package installs,
//! but its `Homepage` often names the module.
//!
//! A swap keeps Go's version contract when Debian's module is the same
//! module major (the path's `/vN`, or `+incompatible`'s major) and not
//! older than the version go.mod selects: minimal version selection never
//! builds below a requirement, and the import compatibility rule makes a
//! newer version of the same major a drop-in. Debian spells snapshots of
//! untagged commits `0.0~git20220731.a90be44`, which stands to a
//! pseudo-version (`v0.0.0-20220731123456-a90be44abcde`) by its commit.

use std::cmp::Ordering;

use semver::{Prerelease, Version};

use crate::{debian_upstream, Action, Candidate, Delta, Step};

/// The Debian package name dh-make-golang gives module `module`'s library
/// package: the host abbreviated (`github.com` -> `github`, `golang.org`
/// -> `golang`, `google.golang.org` -> `google`, `gopkg.in` -> `gopkg`, an
/// unknown host without its last label), the path's segments joined by
/// `-`, lowercased, `_` written `-`.
pub fn package_name(module: &str) -> String {
    let mut parts: Vec<&str> = module.split('/').collect();
    let host = match parts[0] {
        "github.com" => "github".to_string(),
        "code.google.com" => "googlecode".to_string(),
        "cloud.google.com" => "googlecloud".to_string(),
        "gopkg.in" => "gopkg".to_string(),
        "golang.org" => "golang".to_string(),
        "google.golang.org" => "google".to_string(),
        "bitbucket.org" => "bitbucket".to_string(),
        "go4.org" => "go4".to_string(),
        "sigs.k8s.io" => "k8s-sigs".to_string(),
        other => other
            .rsplit_once('.')
            .map_or(other, |(rest, _tld)| rest)
            .to_string(),
    };
    parts[0] = &host;
    let joined = parts.join("-").to_ascii_lowercase().replace('_', "-");
    let name: String = joined
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
        .collect();
    format!("golang-{}-dev", name.trim_matches('-'))
}

/// Whether a package's `Homepage` names module `module`
/// (`https://github.com/pkg/errors`, `https://godoc.org/google.golang.org/grpc`,
/// `https://pkg.go.dev/golang.org/x/net`), case-insensitively, ignoring
/// the scheme, a trailing `/` and `.git`.
pub fn homepage_names(homepage: &str, module: &str) -> bool {
    let rest = homepage
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let rest = rest
        .strip_prefix("godoc.org/")
        .or_else(|| rest.strip_prefix("pkg.go.dev/"))
        .unwrap_or(rest);
    let rest = rest.trim_end_matches('/').trim_end_matches(".git");
    rest.eq_ignore_ascii_case(module)
}

/// Whether package `package` (with `homepage`, when the index gives one)
/// may carry module `module`: named by Debian's rule, or a `golang-*-dev`
/// package whose homepage names the module (a program built from the
/// module, such as `cobra`, shares its homepage and carries no source).
/// Only a candidate: the installed directory under
/// `/usr/share/gocode/src/<module>` confirms it.
pub fn carries(package: &str, homepage: Option<&str>, module: &str) -> bool {
    package == package_name(module)
        || (package.starts_with("golang-")
            && package.ends_with("-dev")
            && homepage.is_some_and(|h| homepage_names(h, module)))
}

/// The major version module path `module` fixes: `N` for a `/vN` suffix
/// (`N >= 2`) or gopkg.in's `.vN`; `None` for a v0/v1 path.
pub fn path_major(module: &str) -> Option<u64> {
    let last = module.rsplit('/').next().unwrap_or(module);
    let digits = if module.starts_with("gopkg.in/") {
        last.rsplit_once(".v").map(|(_, n)| n)
    } else {
        last.strip_prefix('v')
    }?;
    let n: u64 = digits.parse().ok()?;
    (n >= 2 || module.starts_with("gopkg.in/")).then_some(n)
}

/// A version comparable across Go's and Debian's spellings: semver
/// precedence, and the commit of a pseudo-version or Debian snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoVersion {
    /// The version in Go's ordering (a pseudo-version's pre-release
    /// places it before the release it derives from).
    pub version: Version,
    /// The commit (hex prefix) of a pseudo-version or snapshot.
    pub commit: Option<String>,
}

impl GoVersion {
    /// How `self` stands to `other`: by commit when both name one (the
    /// same commit, else by date), else by Go's semver precedence.
    pub fn compare(&self, other: &GoVersion) -> Ordering {
        if let (Some(a), Some(b)) = (&self.commit, &other.commit) {
            let n = a.len().min(b.len());
            if n >= 7 && a[..n].eq_ignore_ascii_case(&b[..n]) {
                return Ordering::Equal;
            }
        }
        self.version.cmp_precedence(&other.version)
    }
}

/// A module version as go.mod spells it (`v0.9.1`, `v2.0.0+incompatible`,
/// `v0.0.0-20220731123456-a90be44abcde`): `+incompatible` dropped, the
/// commit of a pseudo-version kept.
pub fn module_version(v: &str) -> Option<GoVersion> {
    let v = v.strip_prefix('v')?;
    let v = v.strip_suffix("+incompatible").unwrap_or(v);
    let version = Version::parse(v).ok()?;
    // A pseudo-version's pre-release ends `<14-digit time>-<12 hex>`.
    let commit = version
        .pre
        .as_str()
        .rsplit_once('-')
        .filter(|(time, hash)| {
            let time = time.rsplit('.').next().unwrap_or(time);
            time.len() == 14
                && time.bytes().all(|b| b.is_ascii_digit())
                && hash.len() == 12
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|(_, hash)| hash.to_string());
    Some(GoVersion { version, commit })
}

/// The upstream version a Debian version of a Go package carries: without
/// epoch, revision and repack suffixes (`+ds`, `+dfsg`, `+ds1`); a
/// snapshot `X~gitDATE.HASH` (or `X+gitDATE.HASH`, after tag X) read as
/// Go writes a pseudo-version (before X; after X, before X's next patch),
/// with its commit; `~rc1` as a pre-release.
pub fn upstream_version(debian: &str) -> Option<GoVersion> {
    let upstream = debian_upstream(debian);
    let (base, snapshot, after) = if let Some((base, snap)) = upstream.split_once("~git") {
        (base, Some(snap), false)
    } else if let Some((base, snap)) = upstream.split_once("+git") {
        (base, Some(snap), true)
    } else {
        (upstream.split('+').next().unwrap_or(upstream), None, false)
    };
    let (base, pre) = match base.split_once('~') {
        Some((base, pre)) => (base, Some(pre)),
        None => (base, None),
    };
    let mut numbers: Vec<u64> = base
        .split('.')
        .map(|n| n.parse().ok())
        .collect::<Option<_>>()?;
    if numbers.is_empty() || numbers.len() > 3 {
        return None;
    }
    numbers.resize(3, 0);
    let mut version = Version::new(numbers[0], numbers[1], numbers[2]);
    let mut commit = None;
    if let Some(snap) = snapshot {
        // `20220731.a90be44`, `20220731.a90be44+ds`, `20220731`.
        let snap = snap.split('+').next().unwrap_or(snap);
        let (date, hash) = snap.split_once('.').unwrap_or((snap, ""));
        if date.is_empty() || !date.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if after {
            version.patch += 1;
        }
        version.pre = Prerelease::new(&format!("0.{date}")).ok()?;
        commit = (hash.len() >= 7 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| hash.to_ascii_lowercase());
    } else if let Some(pre) = pre {
        version.pre = Prerelease::new(pre).ok()?;
    }
    Some(GoVersion { version, commit })
}

/// Whether a Debian version of `module` is the module major the lock's
/// `locked` version is: `/vN` paths hold major N; v0/v1 paths hold 0 and
/// 1, or the lock's own major for a `+incompatible` version.
fn same_major(module: &str, locked: &GoVersion, debian: &GoVersion) -> bool {
    match path_major(module) {
        Some(n) => debian.version.major == n,
        None if locked.version.major >= 2 => debian.version.major == locked.version.major,
        None => debian.version.major <= 1,
    }
}

/// The plan for module `module` at `locked` (go.mod's version), given the
/// packages that may carry it ([`carries`]): the newest of the same major,
/// swapped when it is not older than the lock.
pub fn plan(module: &str, locked: &str, candidates: &[Candidate]) -> Step {
    let keep = |reason: String| Step::keep(module, locked, reason);
    let Some(lock) = module_version(locked) else {
        return keep(format!(
            "the locked version {locked:?} is not a Go module version"
        ));
    };
    let carriers: Vec<(&Candidate, GoVersion)> = candidates
        .iter()
        .filter_map(|c| upstream_version(&c.version).map(|v| (c, v)))
        .collect();
    if carriers.is_empty() {
        return keep(format!(
            "no package carries the module (looked for {} and a Homepage naming it)",
            package_name(module)
        ));
    }
    let best = carriers
        .iter()
        .filter(|(_, v)| same_major(module, &lock, v))
        .max_by(|(_, a), (_, b)| a.compare(b));
    let Some((candidate, upstream)) = best else {
        let mut found: Vec<String> = carriers
            .iter()
            .map(|(c, _)| format!("{} {}", c.package, c.version))
            .collect();
        found.sort();
        return Step {
            delta: Some(Delta::Incompatible),
            ..keep(format!(
                "no packaged version is the module's major version: {}",
                found.join(", ")
            ))
        };
    };
    let delta = Delta::of(upstream.compare(&lock));
    let package = &candidate.package;
    let shown = &candidate.version;
    let (action, reason) = match delta {
        Delta::Same => (
            Action::Swap,
            format!("{package} {shown} carries the locked {locked}"),
        ),
        Delta::Newer => (
            Action::Swap,
            format!(
                "{package} {shown} is newer than the locked {locked}, in the same major version"
            ),
        ),
        _ => (
            Action::Keep,
            format!(
                "{package} {shown} is older than the locked {locked}: minimal version \
                 selection never builds below a requirement"
            ),
        ),
    };
    Step::weighed(
        module,
        locked,
        candidate,
        upstream.version.to_string(),
        delta,
        action,
        reason,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real stanzas of Debian 12's `main/binary-amd64/Packages` (bookworm,
    /// as apt downloaded it on 2026-12-04): Package, Version and Homepage.
    const BOOKWORM: &[(&str, &str, &str)] = &[
        (
            "golang-github-pkg-errors-dev",
            "0.9.1-2",
            "https://github.com/pkg/errors",
        ),
        (
            "golang-golang-x-net-dev",
            "1:0.7.0+dfsg-1",
            "https://golang.org/x/net",
        ),
        (
            "golang-gopkg-yaml.v3-dev",
            "3.0.1-3",
            "https://gopkg.in/yaml.v3",
        ),
        (
            "golang-google-grpc-dev",
            "1.33.3-2",
            "https://godoc.org/google.golang.org/grpc",
        ),
        (
            "golang-golang-x-sys-dev",
            "0.3.0-1",
            "https://go.googlesource.com/sys",
        ),
        ("cobra", "1.6.1-1", "https://github.com/spf13/cobra"),
        (
            "cobra-cli",
            "1.3.0-3+b5",
            "https://github.com/spf13/cobra-cli",
        ),
        (
            "golang-github-spf13-cobra-dev",
            "1.6.1-1",
            "https://github.com/spf13/cobra",
        ),
    ];

    fn candidates(module: &str) -> Vec<Candidate> {
        BOOKWORM
            .iter()
            .filter(|(p, _, h)| carries(p, Some(h), module))
            .map(|(p, v, _)| Candidate {
                package: (*p).into(),
                version: (*v).into(),
            })
            .collect()
    }

    #[test]
    fn debian_names_and_homepages() {
        assert_eq!(
            package_name("github.com/pkg/errors"),
            "golang-github-pkg-errors-dev"
        );
        assert_eq!(package_name("golang.org/x/net"), "golang-golang-x-net-dev");
        assert_eq!(package_name("gopkg.in/yaml.v3"), "golang-gopkg-yaml.v3-dev");
        assert_eq!(
            package_name("google.golang.org/grpc"),
            "golang-google-grpc-dev"
        );
        assert_eq!(package_name("go.uber.org/zap"), "golang-go.uber-zap-dev");
        assert_eq!(
            package_name("github.com/BurntSushi/toml"),
            "golang-github-burntsushi-toml-dev"
        );
        assert!(homepage_names(
            "https://godoc.org/google.golang.org/grpc",
            "google.golang.org/grpc"
        ));
        assert!(homepage_names(
            "https://github.com/pkg/errors/",
            "github.com/pkg/errors"
        ));
        assert!(!homepage_names(
            "https://github.com/pkg/errors",
            "github.com/pkg/err"
        ));
        assert_eq!(candidates("google.golang.org/grpc").len(), 1);
        // The program built from the module shares its homepage.
        let cobra = candidates("github.com/spf13/cobra");
        assert_eq!(cobra.len(), 1);
        assert_eq!(cobra[0].package, "golang-github-spf13-cobra-dev");
        assert!(candidates("github.com/pkg/errorsx").is_empty());
    }

    #[test]
    fn versions_in_go_and_debian_spellings() {
        let go = |s: &str| module_version(s).map(|v| (v.version.to_string(), v.commit));
        assert_eq!(go("v0.9.1"), Some(("0.9.1".into(), None)));
        assert_eq!(go("v2.0.0+incompatible"), Some(("2.0.0".into(), None)));
        assert_eq!(
            go("v0.0.0-20220731123456-a90be44abcde"),
            Some((
                "0.0.0-20220731123456-a90be44abcde".into(),
                Some("a90be44abcde".into())
            ))
        );
        assert_eq!(go("0.9.1"), None);
        let deb = |s: &str| upstream_version(s).map(|v| (v.version.to_string(), v.commit));
        assert_eq!(deb("0.9.1-2"), Some(("0.9.1".into(), None)));
        assert_eq!(deb("1:0.7.0+dfsg-1"), Some(("0.7.0".into(), None)));
        assert_eq!(deb("3.0.1-3"), Some(("3.0.1".into(), None)));
        assert_eq!(
            deb("0.0~git20220731.a90be44-1"),
            Some(("0.0.0-0.20220731".into(), Some("a90be44".into())))
        );
        assert_eq!(
            deb("1.2.3+git20230101.0123abc+ds-1"),
            Some(("1.2.4-0.20230101".into(), Some("0123abc".into())))
        );
        assert_eq!(deb("2.0~rc1-1"), Some(("2.0.0-rc1".into(), None)));
        assert_eq!(deb("latest"), None);
        // The same commit, whatever the dates' spelling.
        let snap = upstream_version("0.0~git20220731.a90be44-1");
        let pseudo = module_version("v0.0.0-20220731123456-a90be44abcde");
        assert_eq!(
            snap.zip(pseudo).map(|(a, b)| a.compare(&b)),
            Some(Ordering::Equal)
        );
        assert_eq!(path_major("gopkg.in/yaml.v3"), Some(3));
        assert_eq!(path_major("github.com/foo/bar/v2"), Some(2));
        assert_eq!(path_major("github.com/foo/v1"), None);
        assert_eq!(path_major("github.com/pkg/errors"), None);
    }

    #[test]
    fn the_plan_keeps_the_major_and_never_goes_below_the_lock() {
        let step = |module: &str, locked: &str| plan(module, locked, &candidates(module));
        let same = step("github.com/pkg/errors", "v0.9.1");
        assert_eq!((same.action, same.delta), (Action::Swap, Some(Delta::Same)));
        assert_eq!(
            same.package.as_deref(),
            Some("golang-github-pkg-errors-dev")
        );
        assert_eq!(same.upstream_version.as_deref(), Some("0.9.1"));
        let newer = step("github.com/pkg/errors", "v0.8.1");
        assert_eq!(
            (newer.action, newer.delta),
            (Action::Swap, Some(Delta::Newer))
        );
        let older = step("golang.org/x/net", "v0.10.0");
        assert_eq!(
            (older.action, older.delta),
            (Action::Keep, Some(Delta::Older))
        );
        assert!(
            older.reason.contains("older than the locked v0.10.0"),
            "{}",
            older.reason
        );
        // Another major: gopkg.in/yaml.v3 is not yaml.v2's package, and a
        // +incompatible v2 lock is not served by a v0 package.
        assert_eq!(step("gopkg.in/yaml.v3", "v3.0.1").action, Action::Swap);
        let v2 = plan(
            "gopkg.in/yaml.v2",
            "v2.4.0",
            &[Candidate {
                package: "golang-gopkg-yaml.v3-dev".into(),
                version: "3.0.1-3".into(),
            }],
        );
        assert_eq!(
            (v2.action, v2.delta),
            (Action::Keep, Some(Delta::Incompatible))
        );
        let incompatible = step("github.com/pkg/errors", "v2.0.0+incompatible");
        assert_eq!(incompatible.delta, Some(Delta::Incompatible));
        let none = step("github.com/example/none", "v1.0.0");
        assert_eq!((none.action, none.delta), (Action::Keep, None));
        assert!(
            none.reason.contains("golang-github-example-none-dev"),
            "{}",
            none.reason
        );
        assert_eq!(step("github.com/pkg/errors", "0.9.1").action, Action::Keep);
    }
}
