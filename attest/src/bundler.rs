//! Bundler (Ruby): `Gemfile.lock` against `bundle cache`'s `vendor/cache`
//! and the installed `vendor/bundle`.
//!
//! The lockfile is read strictly, line by line, as Bundler writes it: the
//! sources `GEM` (a `remote`), `GIT` (`remote`, `revision`, `branch`,
//! `tag`, `ref`, `glob`, `submodules`) and `PATH` (`remote`, the
//! directory), each with its `specs:` (four spaces: `name (version)` or
//! `name (version-platform)`; six spaces: the gems it depends on), then
//! `PLATFORMS`, `DEPENDENCIES` (`!` for a gem from a `GIT` or `PATH`
//! source), `RUBY VERSION`, `BUNDLED WITH` and, from Bundler 2.5, the
//! `CHECKSUMS` section (`name (version[-platform]) sha256=<hex>`). A line
//! that is none of these, a section Bundler does not write, a
//! `PLUGIN SOURCE` (whose gems come from code vouch does not run), a gem
//! name, version or platform RubyGems would refuse, a spec listed twice and
//! merge-conflict markers are refused with the line number.
//!
//! Every spec of a `GEM` or `GIT` source is an input, one per platform:
//! `pkg:gem/NAME@VERSION`, with `?platform=` for a platform gem (the purl
//! type's qualifier) and `?vcs_url=git+<remote>@<revision>` for a `GIT`
//! one. A `PATH` gem inside the project is the project's own code, not an
//! input; one whose directory leaves the project is an input that is a
//! [`Match::Mismatch`]: the build takes it from where vouch does not read.
//! The dependency graph is the specs' dependency lines, each name resolved
//! to every locked spec of that name (a gem locked for several platforms
//! is depended on in each of them).
//!
//! What is declared is the `CHECKSUMS` entry of the exact name, version
//! and platform: the SHA-256 of the `.gem` file (`sha256:<hex>`). An entry
//! for another platform says nothing of this one.
//!
//! What is observed, and checked:
//! - `vendor/cache/<name>-<version>[-<platform>].gem` (`bundle cache`):
//!   its SHA-256 (`sha256:`), which must equal the declared one where the
//!   lock has one. The `.gem` is a tar of `metadata.gz`, `data.tar.gz` and
//!   `checksums.yaml.gz`: its metadata must name the locked gem, version
//!   and platform (a `.gem` of another gem renamed into place is a
//!   mismatch); the SHA-256 that `checksums.yaml.gz` gives for
//!   `metadata.gz` and `data.tar.gz` must be theirs; a member given twice
//!   is refused; its licence is the metadata's `licenses`. The files of
//!   `data.tar.gz` are hashed, without writing them anywhere.
//! - `vendor/bundle/ruby/<abi>/gems/<name>-<version>[-<platform>]/` (the
//!   `BUNDLE_PATH` of `.bundle/config` when it names a directory inside
//!   the project, else `vendor/bundle`): the directory hash of its files
//!   (`dirHash:`), as npm's installed packages are recorded; its
//!   `specifications/<full name>.gemspec` must exist and its `# stub:`
//!   line (what RubyGems reads to find the gem) must name the locked gem,
//!   version and platform. When the `.gem` is cached too, every file of
//!   its `data.tar.gz` must be installed with the same content (a tampered
//!   or missing file is named), and a file the `.gem` does not have is a
//!   mismatch unless the gem builds native extensions (whose build writes
//!   into the gem's directory: those files are recorded, not checked).
//! - A `GIT` gem: the checkout `bundle cache --all` writes to
//!   `vendor/cache/<repository>-<revision[..12]>/` (without its
//!   `.bundlecache` marker), else the installed checkout
//!   `<BUNDLE_PATH>/ruby/<abi>/bundler/gems/<repository>-<revision[..12]>/`
//!   (without `.git/`): its directory hash. When both are there they must
//!   hold the same files.
//!
//! A `.gem` or installed gem that no spec names is not an input and is not
//! reported (Bundler loads only what the lockfile locks).
//!
//! A `BUNDLE_PATH` outside the project is not read: gems installed there
//! are not checked (their cached `.gem` files still are).
//!
//! Not checked: a `.gem` that is not cached has no digest to compare with
//! the declared one (Bundler checks it when it downloads); the installed
//! `.gemspec` is Ruby code RubyGems runs, of which only the stub line is
//! read; a `GIT` checkout is not traced to its revision (that needs the
//! repository's objects) and has no declared digest; files a native
//! extension's build added to the gem's directory; the signatures of a
//! signed gem (`*.sig` members are ignored).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;
use ring::digest::{Context, SHA256};
use serde_norway::Value;
use vouch_evidence::osv::Ecosystem as OsvEcosystem;

use crate::input;
use crate::license::spdx_expression;
use crate::tree::{dir_hash, excerpt, join_inside, outside, Listing, Root};
use crate::{Ecosystem, Error, Input, Match, Result};

const LOCKFILE: &str = "Gemfile.lock";
/// Where `bundle cache` puts `.gem` files and `GIT` checkouts.
const CACHE: &str = "vendor/cache";
/// Where `bundle install` installs when `.bundle/config` names no path.
const DEFAULT_BUNDLE_PATH: &str = "vendor/bundle";
/// Bundler's local settings.
const BUNDLE_CONFIG: &str = ".bundle/config";
/// The largest compressed `metadata.gz` or `checksums.yaml.gz` read from a
/// `.gem`, and the most each may decompress to.
const MAX_GEM_METADATA: u64 = 16 * 1024 * 1024;
/// The most members a `.gem`'s `data.tar.gz` may have.
const MAX_DATA_ENTRIES: usize = 200_000;
/// The platform of a gem that has none.
const RUBY: &str = "ruby";

/// The Bundler ecosystem (vouch's name `gem`, OSV's `RubyGems`).
pub struct Bundler;

/// The kind of a lockfile source section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `GEM`: a gem server.
    Gem,
    /// `GIT`: a repository at a revision.
    Git,
    /// `PATH`: a local directory.
    Path,
}

/// One source section of the lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Its kind.
    pub kind: SourceKind,
    /// Its `remote:` lines (a server, a repository, a directory).
    pub remotes: Vec<String>,
    /// Its other options (`revision`, `branch`, `tag`, `ref`, `glob`,
    /// `submodules`).
    pub options: BTreeMap<String, String>,
}

/// One locked gem: a `specs:` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The gem's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its platform, `None` for `ruby` (a pure-Ruby gem).
    pub platform: Option<String>,
    /// The index of its source in [`Lockfile::sources`].
    pub source: usize,
    /// The names of the gems it depends on.
    pub dependencies: Vec<String>,
}

impl Spec {
    /// RubyGems' full name: `name-version`, with `-platform` for a
    /// platform gem; the `.gem` file and installed directory are named so.
    pub fn full_name(&self) -> String {
        match &self.platform {
            Some(platform) => format!("{}-{}-{platform}", self.name, self.version),
            None => format!("{}-{}", self.name, self.version),
        }
    }
}

/// A gem's name, version and platform (`None` for `ruby`): what a
/// `CHECKSUMS` entry is for.
pub type GemKey = (String, String, Option<String>);

/// A parsed `Gemfile.lock`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lockfile {
    /// The `GEM`, `GIT` and `PATH` sections, in order.
    pub sources: Vec<Source>,
    /// Every spec of every source, in order.
    pub specs: Vec<Spec>,
    /// `PLATFORMS`.
    pub platforms: Vec<String>,
    /// `DEPENDENCIES`: each name, and whether it is pinned to its source
    /// (`!`).
    pub dependencies: Vec<(String, bool)>,
    /// `RUBY VERSION`, as written (`ruby 3.2.2p53`).
    pub ruby_version: Option<String>,
    /// `BUNDLED WITH`.
    pub bundled_with: Option<String>,
    /// `CHECKSUMS`: the SHA-256 (hex) of each `(name, version, platform)`,
    /// `None` for an entry without one. `None` means the lock has no
    /// `CHECKSUMS` section.
    pub checksums: Option<BTreeMap<GemKey, Option<String>>>,
}

/// Whether `text` is a gem name or platform RubyGems accepts: letters,
/// digits, `.`, `_` and `-` (so it is one path segment, never `.` or `..`).
fn is_gem_word(text: &str) -> bool {
    !text.is_empty()
        && text != "."
        && text != ".."
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The parsing state: which section the line belongs to.
enum Section {
    None,
    Source { specs: bool },
    Platforms,
    Dependencies,
    Ruby,
    Bundled,
    Checksums,
}

/// `name (version[-platform])` with what follows it, split as Bundler's
/// `NAME_VERSION` splits it: the version runs to the first `-`.
fn name_version(text: &str) -> Option<(&str, &str, Option<&str>, &str)> {
    let (name, rest) = text.split_once(" (")?;
    let (inside, after) = rest.split_once(')')?;
    let (version, platform) = match inside.split_once('-') {
        Some((v, p)) => (v, Some(p)),
        None => (inside, None),
    };
    Some((name, version, platform, after))
}

/// Parses a `Gemfile.lock` (`text`; `path` names it in errors).
pub fn parse(text: &str, path: &Path) -> Result<Lockfile> {
    let rubygems = OsvEcosystem::RubyGems;
    let mut lock = Lockfile::default();
    let mut section = Section::None;
    let mut seen = BTreeSet::new();
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let invalid = |why: String| Error::Invalid {
            what: LOCKFILE,
            path: path.display().to_string(),
            reason: format!("line {number}: {why}: \"{}\"", excerpt(raw)),
        };
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        if ["<<<<<<<", "=======", ">>>>>>>", "|||||||"]
            .iter()
            .any(|marker| line.contains(marker))
        {
            return Err(invalid("a merge conflict marker".into()));
        }
        let check_gem = |name: &str, version: &str, platform: Option<&str>| {
            if !is_gem_word(name) {
                return Err(invalid("not a gem name RubyGems accepts".into()));
            }
            rubygems.check_version(version).map_err(&invalid)?;
            if platform.is_some_and(|p| !is_gem_word(p) || p == RUBY) {
                return Err(invalid("not a platform RubyGems writes".into()));
            }
            Ok(())
        };
        if !line.starts_with(' ') {
            section = match line {
                "GEM" | "GIT" | "PATH" => {
                    lock.sources.push(Source {
                        kind: match line {
                            "GEM" => SourceKind::Gem,
                            "GIT" => SourceKind::Git,
                            _ => SourceKind::Path,
                        },
                        remotes: Vec::new(),
                        options: BTreeMap::new(),
                    });
                    Section::Source { specs: false }
                }
                "PLATFORMS" => Section::Platforms,
                "DEPENDENCIES" => Section::Dependencies,
                "RUBY VERSION" => Section::Ruby,
                "BUNDLED WITH" => Section::Bundled,
                "CHECKSUMS" => {
                    lock.checksums.get_or_insert_with(BTreeMap::new);
                    Section::Checksums
                }
                "PLUGIN SOURCE" => {
                    return Err(invalid(
                        "PLUGIN SOURCE is not supported (its gems come from a Bundler plugin)"
                            .into(),
                    ))
                }
                _ => return Err(invalid("not a section Bundler writes".into())),
            };
            continue;
        }
        match &mut section {
            Section::None => return Err(invalid("a line outside any section".into())),
            Section::Source { specs } => {
                if let Some(spec) = line.strip_prefix("    ").filter(|l| !l.starts_with(' ')) {
                    if !*specs {
                        return Err(invalid("a spec before `specs:`".into()));
                    }
                    let (name, version, platform, _) = name_version(spec)
                        .filter(|(.., after)| after.is_empty())
                        .ok_or_else(|| invalid("not a spec `name (version)`".into()))?;
                    check_gem(name, version, platform)?;
                    let key = (
                        name.to_owned(),
                        version.to_owned(),
                        platform.map(str::to_owned),
                    );
                    if !seen.insert(key) {
                        return Err(invalid("this spec is listed twice".into()));
                    }
                    lock.specs.push(Spec {
                        name: name.to_owned(),
                        version: version.to_owned(),
                        platform: platform.map(str::to_owned),
                        source: lock.sources.len() - 1,
                        dependencies: Vec::new(),
                    });
                } else if let Some(dep) =
                    line.strip_prefix("      ").filter(|l| !l.starts_with(' '))
                {
                    let name = match dep.split_once(" (") {
                        Some((name, requirement)) if requirement.ends_with(')') => name,
                        Some(_) => {
                            return Err(invalid("not a dependency `name (requirement)`".into()))
                        }
                        None => dep,
                    };
                    if !is_gem_word(name) {
                        return Err(invalid("not a gem name RubyGems accepts".into()));
                    }
                    let Some(current) = lock.specs.last_mut().filter(|_| *specs) else {
                        return Err(invalid("a dependency line before any spec".into()));
                    };
                    if current.source + 1 != lock.sources.len() {
                        return Err(invalid("a dependency line before any spec".into()));
                    }
                    current.dependencies.push(name.to_owned());
                } else if line == "  specs:" {
                    if *specs {
                        return Err(invalid("a second `specs:`".into()));
                    }
                    *specs = true;
                } else if let Some((key, value)) = line
                    .strip_prefix("  ")
                    .and_then(|l| l.split_once(": "))
                    .filter(|(key, _)| !key.starts_with(' '))
                {
                    if *specs {
                        return Err(invalid("a source option after `specs:`".into()));
                    }
                    let source = lock
                        .sources
                        .last_mut()
                        .ok_or_else(|| invalid("no source".into()))?;
                    let allowed: &[&str] = match source.kind {
                        SourceKind::Gem => &["remote"],
                        SourceKind::Git => &[
                            "remote",
                            "revision",
                            "branch",
                            "tag",
                            "ref",
                            "glob",
                            "submodules",
                        ],
                        SourceKind::Path => &["remote", "glob"],
                    };
                    if !allowed.contains(&key) {
                        return Err(invalid(format!("not an option of this source: {key:?}")));
                    }
                    if value.is_empty() {
                        return Err(invalid("an empty value".into()));
                    }
                    if key == "remote" {
                        source.remotes.push(value.to_owned());
                    } else if source
                        .options
                        .insert(key.to_owned(), value.to_owned())
                        .is_some()
                    {
                        return Err(invalid(format!("a second {key:?}")));
                    }
                } else {
                    return Err(invalid("not a source option, spec or dependency".into()));
                }
            }
            Section::Platforms => {
                let platform = line
                    .strip_prefix("  ")
                    .filter(|p| is_gem_word(p))
                    .ok_or_else(|| invalid("not a platform".into()))?;
                lock.platforms.push(platform.to_owned());
            }
            Section::Dependencies => {
                let dep = line
                    .strip_prefix("  ")
                    .filter(|d| !d.starts_with(' '))
                    .ok_or_else(|| invalid("not a dependency".into()))?;
                let (dep, pinned) = match dep.strip_suffix('!') {
                    Some(dep) => (dep, true),
                    None => (dep, false),
                };
                let name = match dep.split_once(" (") {
                    Some((name, requirement)) if requirement.ends_with(')') => name,
                    Some(_) => return Err(invalid("not a dependency `name (requirement)`".into())),
                    None => dep,
                };
                if !is_gem_word(name) {
                    return Err(invalid("not a gem name RubyGems accepts".into()));
                }
                lock.dependencies.push((name.to_owned(), pinned));
            }
            Section::Ruby => {
                // Indented as Bundler writes it (three spaces before
                // Bundler 4, two since); Bundler strips it.
                let version = Some(line.trim_start())
                    .filter(|v| v.starts_with("ruby ") && !v.contains(char::is_control))
                    .ok_or_else(|| invalid("not a Ruby version `ruby X.Y.Z`".into()))?;
                lock.ruby_version = Some(version.to_owned());
            }
            Section::Bundled => {
                let version = line.trim_start();
                rubygems.check_version(version).map_err(&invalid)?;
                lock.bundled_with = Some(version.to_owned());
            }
            Section::Checksums => {
                let entry = line
                    .strip_prefix("  ")
                    .filter(|e| !e.starts_with(' '))
                    .ok_or_else(|| invalid("not a checksum entry".into()))?;
                let (name, version, platform, after) = name_version(entry).ok_or_else(|| {
                    invalid("not a checksum entry `name (version) sha256=…`".into())
                })?;
                check_gem(name, version, platform)?;
                let mut sha256 = None;
                if !after.is_empty() {
                    let list = after
                        .strip_prefix(' ')
                        .filter(|l| !l.is_empty())
                        .ok_or_else(|| {
                            invalid("not a checksum entry `name (version) sha256=…`".into())
                        })?;
                    for checksum in list.split(',') {
                        let (algorithm, digest) = checksum
                            .split_once('=')
                            .ok_or_else(|| invalid("not a checksum `algorithm=digest`".into()))?;
                        if algorithm != "sha256" {
                            continue;
                        }
                        let hex = sha256_hex(digest).ok_or_else(|| {
                            invalid("not a SHA-256 digest (64 hex digits or base64)".into())
                        })?;
                        if sha256.replace(hex).is_some() {
                            return Err(invalid("two sha256 checksums".into()));
                        }
                    }
                }
                let key = (
                    name.to_owned(),
                    version.to_owned(),
                    platform.map(str::to_owned),
                );
                if let Some(checksums) = lock.checksums.as_mut() {
                    if checksums.insert(key, sha256).is_some() {
                        return Err(invalid("this checksum entry is listed twice".into()));
                    }
                }
            }
        }
    }
    Ok(lock)
}

/// A `sha256=` digest as Bundler accepts it (hex, or base64, standard or
/// URL-safe), as lower-case hex.
fn sha256_hex(digest: &str) -> Option<String> {
    use base64::Engine as _;
    if digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(digest.to_ascii_lowercase());
    }
    let standard = digest.replace('-', "+").replace('_', "/");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&standard)
        .ok()
        .or_else(|| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(&standard)
                .ok()
        })?;
    (bytes.len() == 32).then(|| hex::encode(bytes))
}

/// The package URL of a gem: `pkg:gem/NAME@VERSION`, with `platform` and
/// `vcs_url` qualifiers where given.
pub fn purl(
    name: &str,
    version: &str,
    platform: Option<&str>,
    vcs_url: Option<&str>,
) -> Result<String> {
    let mut qualifiers = Vec::new();
    if let Some(platform) = platform {
        qualifiers.push(("platform", platform));
    }
    if let Some(vcs_url) = vcs_url {
        qualifiers.push(("vcs_url", vcs_url));
    }
    input::purl("gem", None, name, Some(version), &qualifiers)
}

/// The repository's base name Bundler names its checkout directories
/// with: the last segment of the remote, without `.git`.
fn repository_base(remote: &str) -> &str {
    let trimmed = remote.trim_end_matches('/');
    let last = trimmed.rsplit(['/', ':']).next().unwrap_or(trimmed);
    last.strip_suffix(".git").unwrap_or(last)
}

/// One input of the lockfile, with what discovery needs to find it.
#[derive(Debug, Clone)]
pub struct Locked {
    /// The input, not yet checked against the disk.
    pub input: Input,
    /// Its spec's full name.
    pub full_name: String,
    /// Its platform, `None` for `ruby`.
    pub platform: Option<String>,
    /// Its source's kind.
    pub kind: SourceKind,
    /// For a `GIT` gem, the checkout's directory name
    /// (`<repository>-<revision[..12]>`); for a `PATH` gem, its directory.
    pub dir: Option<String>,
}

/// The inputs a `Gemfile.lock` declares (`text`; `path` names it in
/// errors): every spec of every source (see the module doc), with its
/// purl, where it comes from, its declared checksum and its dependencies.
/// Nothing on disk is looked at. This exists for discovery, for fuzzing,
/// and for callers that hold the lockfile's bytes.
pub fn locked_inputs(text: &str, path: &Path) -> Result<Vec<Locked>> {
    let lock = parse(text, path)?;
    let invalid = |reason: String| Error::Invalid {
        what: LOCKFILE,
        path: path.display().to_string(),
        reason,
    };
    let mut purls: Vec<String> = Vec::with_capacity(lock.specs.len());
    let mut out = Vec::with_capacity(lock.specs.len());
    for spec in &lock.specs {
        let source = &lock.sources[spec.source];
        let remote = source.remotes.first().map(String::as_str);
        let (purl, uri, dir) = match source.kind {
            SourceKind::Gem => {
                let uri = remote.map_or(String::new(), |r| {
                    format!("{}/gems/{}.gem", r.trim_end_matches('/'), spec.full_name())
                });
                (
                    purl(&spec.name, &spec.version, spec.platform.as_deref(), None)?,
                    uri,
                    None,
                )
            }
            SourceKind::Git => {
                let (Some(remote), Some(revision)) = (remote, source.options.get("revision"))
                else {
                    return Err(invalid(format!(
                        "the GIT source of {} has no remote or revision",
                        spec.full_name()
                    )));
                };
                if revision.len() < 12 || !revision.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid(format!(
                        "the GIT source of {} has a revision that is not a commit: \"{}\"",
                        spec.full_name(),
                        excerpt(revision)
                    )));
                }
                let vcs = format!("git+{remote}@{revision}");
                let dir = format!("{}-{}", repository_base(remote), &revision[..12]);
                (
                    purl(
                        &spec.name,
                        &spec.version,
                        spec.platform.as_deref(),
                        Some(&vcs),
                    )?,
                    format!("git+{remote}#{revision}"),
                    Some(dir),
                )
            }
            SourceKind::Path => {
                let Some(remote) = remote else {
                    return Err(invalid(format!(
                        "the PATH source of {} has no remote",
                        spec.full_name()
                    )));
                };
                (
                    purl(&spec.name, &spec.version, spec.platform.as_deref(), None)?,
                    format!("file:{remote}"),
                    Some(remote.to_owned()),
                )
            }
        };
        let mut input = Input::declared("gem", &spec.name, &spec.version, purl.clone(), uri);
        if source.kind == SourceKind::Gem {
            let key = (
                spec.name.clone(),
                spec.version.clone(),
                spec.platform.clone(),
            );
            input.declared = lock
                .checksums
                .as_ref()
                .and_then(|c| c.get(&key).cloned().flatten())
                .map(|hex| format!("sha256:{hex}"));
        }
        purls.push(purl);
        out.push(Locked {
            input,
            full_name: spec.full_name(),
            platform: spec.platform.clone(),
            kind: source.kind,
            dir,
        });
    }
    // Each name's purls (a gem locked for several platforms has several).
    let mut by_name: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
    for (spec, purl) in lock.specs.iter().zip(&purls) {
        by_name.entry(spec.name.as_str()).or_default().push(purl);
    }
    for (spec, locked) in lock.specs.iter().zip(out.iter_mut()) {
        let mut dependencies: Vec<String> = spec
            .dependencies
            .iter()
            .flat_map(|name| by_name.get(name.as_str()).into_iter().flatten())
            .map(|purl| (*purl).clone())
            .collect();
        dependencies.sort();
        dependencies.dedup();
        locked.input.dependencies = dependencies;
    }
    Ok(out)
}

/// A reader that hashes (SHA-256) and counts what passes through it,
/// refusing to read past `max` bytes.
struct Hashing<R> {
    inner: R,
    context: Context,
    read: u64,
    max: u64,
}

impl<R: Read> Hashing<R> {
    fn new(inner: R, max: u64) -> Self {
        Hashing {
            inner,
            context: Context::new(&SHA256),
            read: 0,
            max,
        }
    }

    /// Reads to the end, then gives the SHA-256 (hex) of everything read.
    fn finish(mut self) -> std::io::Result<String> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok(hex::encode(self.context.finish()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.max {
            return Err(std::io::Error::other(format!(
                "over the limit of {} bytes",
                self.max
            )));
        }
        self.context.update(&buf[..n]);
        Ok(n)
    }
}

/// What a `.gem` holds, as far as vouch checks it.
#[derive(Debug, Default)]
struct GemFile {
    /// The SHA-256 of the `.gem` file.
    sha256: String,
    /// Why it is not the locked gem, or not sound; empty when it is.
    problems: Vec<String>,
    /// The SHA-256 of each regular file of `data.tar.gz`.
    data: BTreeMap<String, String>,
    /// Whether its metadata lists native extensions.
    extensions: bool,
    /// Its licence, as an SPDX expression.
    license: Option<String>,
}

/// The decompressed text of a small gzip member, bounded.
fn gunzip_small(bytes: &[u8]) -> std::io::Result<String> {
    let mut text = String::new();
    let read = GzDecoder::new(bytes)
        .take(MAX_GEM_METADATA + 1)
        .read_to_string(&mut text)?;
    if read as u64 > MAX_GEM_METADATA {
        return Err(std::io::Error::other(format!(
            "decompresses to over {MAX_GEM_METADATA} bytes"
        )));
    }
    Ok(text)
}

/// Reads a member of at most [`MAX_GEM_METADATA`] bytes.
fn read_small(member: impl Read, size: u64) -> std::io::Result<Vec<u8>> {
    if size > MAX_GEM_METADATA {
        return Err(std::io::Error::other(format!(
            "a member of {size} bytes, over {MAX_GEM_METADATA}"
        )));
    }
    let mut bytes = Vec::new();
    member.take(MAX_GEM_METADATA).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A YAML value without its tag (`!ruby/object:Gem::Version`).
fn untagged(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => untagged(&tagged.value),
        other => other,
    }
}

/// A scalar of the gem metadata as text (`version: 1.0` reads as a
/// number in YAML).
fn scalar(value: Option<&Value>) -> Option<String> {
    match untagged(value?) {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The locked gem's identity as the `.gem`'s `metadata.gz` gives it:
/// name, version and platform; its extensions and licence.
fn read_metadata(yaml: &str, spec: &Locked, shown: &str, gem: &mut GemFile) {
    let value: Value = match serde_norway::from_str(yaml) {
        Ok(value) => value,
        Err(e) => {
            gem.problems.push(format!(
                "{shown}: metadata.gz is not a gem specification: {}",
                crate::tree::parser_message(&e)
            ));
            return;
        }
    };
    let spec_value = untagged(&value);
    let name = scalar(spec_value.get("name"));
    let version = spec_value
        .get("version")
        .map(untagged)
        .and_then(|v| scalar(v.get("version")).or_else(|| scalar(Some(v))));
    let platform = scalar(spec_value.get("platform")).unwrap_or_else(|| RUBY.into());
    let locked_platform = spec.platform.as_deref().unwrap_or(RUBY);
    let found = format!(
        "{} {} ({platform})",
        name.as_deref().unwrap_or("<no name>"),
        version.as_deref().unwrap_or("<no version>")
    );
    let locked = format!(
        "{} {} ({locked_platform})",
        spec.input.name, spec.input.version
    );
    let same_version = version.as_deref() == Some(spec.input.version.as_str());
    if name.as_deref() != Some(spec.input.name.as_str())
        || !same_version
        || platform != locked_platform
    {
        gem.problems.push(format!(
            "{shown}: its metadata.gz names {}, Gemfile.lock locks {}",
            excerpt(&found),
            excerpt(&locked)
        ));
    }
    gem.extensions = spec_value
        .get("extensions")
        .map(untagged)
        .and_then(Value::as_sequence)
        .is_some_and(|s| !s.is_empty());
    let licenses: Option<Vec<String>> = spec_value
        .get("licenses")
        .map(untagged)
        .and_then(Value::as_sequence)
        .map(|s| s.iter().filter_map(|l| scalar(Some(l))).collect());
    gem.license = licenses.and_then(|licenses| {
        let expressions: Option<Vec<String>> =
            licenses.iter().map(|l| spdx_expression(l)).collect();
        crate::license::any_of(&expressions?)
    });
}

/// Normalises a member path of `data.tar.gz`: relative, without `.` or
/// `..`; `None` when it is not one RubyGems would install.
fn data_path(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::Normal(part) => parts.push(part.to_str()?),
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    let joined = parts.join("/");
    (!joined.is_empty() && !joined.contains('\n')).then_some(joined)
}

/// Hashes every file of `data.tar.gz` (read from `member`), resolving
/// symlinks and hard links to the file they name within it. Returns the
/// member's own SHA-256, or why it cannot be read.
fn read_data(
    member: impl Read,
    max: u64,
    data: &mut BTreeMap<String, String>,
) -> std::result::Result<String, String> {
    let mut hashing = Hashing::new(member, max);
    let mut links: Vec<(String, String)> = Vec::new();
    {
        let decoder = Hashing::new(GzDecoder::new(&mut hashing), max);
        let mut archive = tar::Archive::new(decoder);
        let entries = archive
            .entries()
            .map_err(|e| e.to_string())?
            // RubyGems writes plain ustar names; GNU long names and PAX
            // headers (which the tar crate would read whole into memory)
            // come through as members that are not files, and are refused.
            .raw(true);
        for (count, entry) in entries.enumerate() {
            if count >= MAX_DATA_ENTRIES {
                return Err(format!("more than {MAX_DATA_ENTRIES} members"));
            }
            let mut entry = entry.map_err(|e| e.to_string())?;
            let raw = entry.path().map_err(|e| e.to_string())?.into_owned();
            let name = data_path(&raw).ok_or_else(|| {
                format!(
                    "a member path leaves the gem: {}",
                    excerpt(&raw.display().to_string())
                )
            })?;
            let kind = entry.header().entry_type();
            if kind.is_dir() {
                continue;
            }
            if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name()
                    .map_err(|e| e.to_string())?
                    .ok_or("a link without a target")?
                    .into_owned();
                let base = if kind.is_symlink() {
                    Path::new(&name)
                        .parent()
                        .unwrap_or(Path::new(""))
                        .join(&target)
                } else {
                    target
                };
                let mut resolved: Vec<&str> = Vec::new();
                for component in base.components() {
                    match component {
                        std::path::Component::Normal(p) => {
                            resolved.push(p.to_str().ok_or("a link target that is not UTF-8")?)
                        }
                        std::path::Component::ParentDir => {
                            resolved.pop().ok_or("a link that leaves the gem")?;
                        }
                        std::path::Component::CurDir => {}
                        _ => return Err("a link that leaves the gem".into()),
                    }
                }
                links.push((name, resolved.join("/")));
                continue;
            }
            if !kind.is_file() {
                return Err(format!("a member that is not a file: {}", excerpt(&name)));
            }
            let mut context = Context::new(&SHA256);
            let mut buffer = [0u8; 64 * 1024];
            loop {
                let n = entry.read(&mut buffer).map_err(|e| e.to_string())?;
                if n == 0 {
                    break;
                }
                context.update(&buffer[..n]);
            }
            if data
                .insert(name.clone(), hex::encode(context.finish()))
                .is_some()
            {
                return Err(format!("the member {} is given twice", excerpt(&name)));
            }
        }
        // The rest of the compressed stream (gzip's trailer, tar padding).
        std::io::copy(&mut archive.into_inner(), &mut std::io::sink())
            .map_err(|e| e.to_string())?;
    }
    for (name, target) in links {
        if let Some(digest) = data.get(&target).cloned() {
            data.insert(name, digest);
        }
    }
    hashing.finish().map_err(|e| e.to_string())
}

/// Reads and checks the cached `.gem` at `full` (`shown` relative to the
/// project) for the locked gem `spec`.
fn read_gem(root: &Root, full: &Path, shown: &str, spec: &Locked) -> Result<GemFile> {
    let file = root.open_vendored(full)?;
    let max = root.max_file_bytes();
    let mut gem = GemFile::default();
    let mut outer = Hashing::new(file, max);
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut data_sha = None;
    let mut seen = BTreeSet::new();
    let broken = {
        let mut archive = tar::Archive::new(&mut outer);
        let mut walk = || -> std::result::Result<(), String> {
            for entry in archive
                .entries()
                .map_err(|e| e.to_string())?
                // RubyGems writes plain ustar names; GNU long names and PAX
                // headers (which the tar crate would read whole into memory)
                // come through as members that are not files, and are refused.
                .raw(true)
            {
                let entry = entry.map_err(|e| e.to_string())?;
                let name = entry
                    .path()
                    .map_err(|e| e.to_string())?
                    .to_string_lossy()
                    .into_owned();
                if !seen.insert(name.clone()) {
                    return Err(format!("the member {} is given twice", excerpt(&name)));
                }
                let size = entry.size();
                match name.as_str() {
                    "metadata.gz" | "checksums.yaml.gz" => {
                        let bytes = read_small(entry, size).map_err(|e| e.to_string())?;
                        members.insert(name, bytes);
                    }
                    "data.tar.gz" => {
                        data_sha = Some(read_data(entry, max, &mut gem.data)?);
                    }
                    _ => {} // signatures (`*.sig`), read past
                }
            }
            Ok(())
        };
        walk().err()
    };
    gem.sha256 = match outer.finish() {
        Ok(sha) => sha,
        Err(e) => {
            return Err(Error::Io {
                action: "read",
                path: shown.to_owned(),
                error: e,
            })
        }
    };
    if let Some(why) = broken {
        gem.problems
            .push(format!("{shown} is not a readable .gem: {why}"));
        return Ok(gem);
    }
    let Some(metadata) = members.get("metadata.gz") else {
        gem.problems.push(format!("{shown} has no metadata.gz"));
        return Ok(gem);
    };
    let Some(data_sha) = data_sha else {
        gem.problems.push(format!("{shown} has no data.tar.gz"));
        return Ok(gem);
    };
    match gunzip_small(metadata) {
        Ok(yaml) => read_metadata(&yaml, spec, shown, &mut gem),
        Err(e) => gem
            .problems
            .push(format!("{shown}: metadata.gz cannot be read: {e}")),
    }
    if let Some(checksums) = members.get("checksums.yaml.gz") {
        let listed: Option<Value> = gunzip_small(checksums)
            .ok()
            .and_then(|yaml| serde_norway::from_str(&yaml).ok());
        let sha = listed.as_ref().and_then(|v| v.get("SHA256"));
        let Some(sha) = sha else {
            gem.problems
                .push(format!("{shown}: checksums.yaml.gz has no SHA256 map"));
            return Ok(gem);
        };
        let metadata_sha = hex::encode(ring::digest::digest(&SHA256, metadata));
        for (member, actual) in [("metadata.gz", &metadata_sha), ("data.tar.gz", &data_sha)] {
            match scalar(sha.get(member)) {
                Some(listed) if listed.eq_ignore_ascii_case(actual) => {}
                Some(_) => gem.problems.push(format!(
                    "{shown}: the SHA-256 of its {member} is not the one its checksums.yaml.gz gives"
                )),
                None => gem.problems.push(format!(
                    "{shown}: checksums.yaml.gz gives no SHA-256 for {member}"
                )),
            }
        }
    }
    Ok(gem)
}

/// The installation directory of the project: `BUNDLE_PATH` of
/// `.bundle/config` when it names a directory inside the project, else
/// `vendor/bundle`.
fn bundle_path(root: &Root) -> Result<Option<String>> {
    let config = root.path().join(BUNDLE_CONFIG);
    if !root.has(BUNDLE_CONFIG) {
        return Ok(Some(DEFAULT_BUNDLE_PATH.into()));
    }
    let text = root.read_metadata(&config, BUNDLE_CONFIG)?;
    let value: Value = serde_norway::from_str(&text).map_err(|e| Error::Invalid {
        what: BUNDLE_CONFIG,
        path: config.display().to_string(),
        reason: crate::tree::parser_message(&e),
    })?;
    match scalar(value.get("BUNDLE_PATH")) {
        None => Ok(Some(DEFAULT_BUNDLE_PATH.into())),
        Some(path) => {
            let relative = path.trim_start_matches("./").trim_end_matches('/');
            Ok(
                (outside(root, relative).is_none() && join_inside(root.path(), relative).is_ok())
                    .then(|| relative.to_owned()),
            )
        }
    }
}

/// Every `<bundle path>/ruby/<abi>` directory, sorted.
fn abi_dirs(root: &Root, bundle: &str) -> Result<Vec<String>> {
    let ruby = join_inside(root.path(), &format!("{bundle}/ruby"))?;
    // Resolved inside the project before its names are listed.
    let Some(ruby) = root.resolve(&ruby)? else {
        return Ok(Vec::new());
    };
    let Ok(entries) = std::fs::read_dir(&ruby) else {
        return Ok(Vec::new());
    };
    let mut dirs: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|name| is_gem_word(name))
        .map(|abi| format!("{bundle}/ruby/{abi}"))
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The `# stub:` line of an installed `.gemspec` names the locked gem:
/// `# stub: <name> <version> <platform> <require paths>`.
fn stub_names(text: &str, name: &str, version: &str, platform: &str) -> bool {
    text.lines().take(8).any(|line| {
        let mut words = line.strip_prefix("# stub: ").unwrap_or("").split(' ');
        words.next() == Some(name)
            && words.next() == Some(version)
            && words.next() == Some(platform)
    })
}

/// Compares the files of an installed gem with its `.gem`'s
/// `data.tar.gz`: the first difference, named.
fn compare_installed(
    installed: &BTreeMap<String, String>,
    gem: &GemFile,
    dir: &str,
    gem_shown: &str,
) -> Option<String> {
    for (file, digest) in &gem.data {
        match installed.get(file) {
            None => return Some(format!("{dir}/{file} is missing (it is in {gem_shown})")),
            Some(found) if found != digest => {
                return Some(format!("{dir}/{file} differs from the one in {gem_shown}"))
            }
            Some(_) => {}
        }
    }
    if !gem.extensions {
        if let Some(extra) = installed.keys().find(|f| !gem.data.contains_key(*f)) {
            return Some(format!("{dir}/{extra} is not in {gem_shown}"));
        }
    }
    None
}

impl Ecosystem for Bundler {
    fn name(&self) -> &'static str {
        "gem"
    }

    fn detect(&self, root: &Root) -> bool {
        root.has(LOCKFILE)
    }

    fn discover(&self, root: &Root) -> Result<Vec<Input>> {
        let lock_path = root.path().join(LOCKFILE);
        let locked = locked_inputs(&root.read_metadata(&lock_path, LOCKFILE)?, &lock_path)?;
        let bundle = bundle_path(root)?;
        let abis = match &bundle {
            Some(bundle) => abi_dirs(root, bundle)?,
            None => Vec::new(),
        };
        let mut inputs = Vec::new();
        for spec in locked {
            let mut input = spec.input.clone();
            match spec.kind {
                SourceKind::Path => {
                    let dir = spec.dir.as_deref().unwrap_or_default();
                    if let Some(away) = outside(root, dir) {
                        input.status = Match::Mismatch {
                            reason: format!(
                                "{LOCKFILE}: the PATH source of {} is {}, outside the project: \
                                 vouch does not read it",
                                spec.full_name,
                                excerpt(&away)
                            ),
                        };
                        inputs.push(input);
                    }
                    // Inside the project: the project's own code.
                }
                SourceKind::Git => {
                    check_git(root, &spec, &abis, &mut input)?;
                    inputs.push(input);
                }
                SourceKind::Gem => {
                    check_gem(root, &spec, &abis, &mut input)?;
                    inputs.push(input);
                }
            }
        }
        Ok(inputs)
    }
}

/// The files of the directory `relative` (inside the project) but those
/// `skip` rejects, hashed; `Ok(None)` when it is not there, `Err(reason)`
/// inside when it cannot be attested.
fn hash_dir(
    root: &Root,
    relative: &str,
    skip: impl Fn(&str) -> bool,
) -> Result<Option<std::result::Result<BTreeMap<String, String>, String>>> {
    let dir = join_inside(root.path(), relative)?;
    match root.vendored(&dir)? {
        Listing::Missing => Ok(None),
        Listing::Refused(reason) => Ok(Some(Err(reason))),
        Listing::Files(files) => {
            let files: Vec<String> = files.into_iter().filter(|f| !skip(f)).collect();
            let mut hashed = root.hash_dirs(&[(dir, files)])?;
            Ok(Some(Ok(hashed.pop().unwrap_or_default())))
        }
    }
}

/// Checks a `GEM` source's gem against its cached `.gem` and installed
/// copies.
fn check_gem(root: &Root, spec: &Locked, abis: &[String], input: &mut Input) -> Result<()> {
    let mut observed = Vec::new();
    let mut paths = Vec::new();
    let mut problems = Vec::new();
    let gem_shown = format!("{CACHE}/{}.gem", spec.full_name);
    let gem_full = join_inside(root.path(), &gem_shown)?;
    let gem = match root.resolve(&gem_full) {
        Ok(Some(_)) => Some(read_gem(root, &gem_full, &gem_shown, spec)?),
        Ok(None) => None,
        Err(e @ Error::OutsideTree { .. }) => {
            problems.push(e.to_string());
            None
        }
        Err(e) => return Err(e),
    };
    if let Some(gem) = &gem {
        observed.push(format!("sha256:{}", gem.sha256));
        paths.push(gem_shown.clone());
        if let Some(declared) = input.declared.as_deref() {
            if declared != format!("sha256:{}", gem.sha256) {
                problems.push(format!(
                    "{gem_shown} has SHA-256 {}, {LOCKFILE}'s CHECKSUMS gives {}",
                    gem.sha256,
                    declared.trim_start_matches("sha256:")
                ));
            }
        }
        problems.extend(gem.problems.iter().cloned());
        if gem.license.is_some() {
            input.license = gem.license.clone();
        }
    }
    let platform = spec.platform.clone().unwrap_or_else(|| RUBY.into());
    for abi in abis {
        let dir = format!("{abi}/gems/{}", spec.full_name);
        let Some(listed) = hash_dir(root, &dir, |_| false)? else {
            continue;
        };
        let files = match listed {
            Ok(files) => files,
            Err(reason) => {
                problems.push(reason);
                continue;
            }
        };
        observed.push(format!("dirHash:{}", dir_hash(&files)));
        paths.push(dir.clone());
        let stub = format!("{abi}/specifications/{}.gemspec", spec.full_name);
        let stub_full = join_inside(root.path(), &stub)?;
        if root.resolve(&stub_full)?.is_none() {
            problems.push(format!("{stub} is missing"));
        } else {
            let text = root.read_metadata(&stub_full, "installed gemspec")?;
            if !stub_names(&text, &input.name, &input.version, &platform) {
                problems.push(format!(
                    "{stub}: its `# stub:` line does not name {} {} ({platform})",
                    input.name, input.version
                ));
            }
        }
        if let Some(gem) = gem.as_ref().filter(|g| g.problems.is_empty()) {
            if let Some(difference) = compare_installed(&files, gem, &dir, &gem_shown) {
                problems.push(difference);
            }
        }
    }
    if !observed.is_empty() {
        input.observed = Some(observed.join(","));
        input.path = Some(paths.join(","));
        input.status = Match::Match;
    }
    if let Some(first) = problems.into_iter().next() {
        input.status = Match::Mismatch { reason: first };
    }
    Ok(())
}

/// Checks a `GIT` source's gem against its cached and installed checkouts.
fn check_git(root: &Root, spec: &Locked, abis: &[String], input: &mut Input) -> Result<()> {
    let Some(name) = spec.dir.as_deref() else {
        return Ok(());
    };
    let cached = format!("{CACHE}/{name}");
    let mut found: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut problems = Vec::new();
    let candidates = std::iter::once((cached, true)).chain(
        abis.iter()
            .map(|abi| (format!("{abi}/bundler/gems/{name}"), false)),
    );
    for (dir, is_cache) in candidates {
        let listed = hash_dir(root, &dir, |f| {
            if is_cache {
                f == ".bundlecache"
            } else {
                f.starts_with(".git/") || f == ".git"
            }
        })?;
        match listed {
            None => {}
            Some(Err(reason)) => problems.push(reason),
            Some(Ok(files)) => found.push((dir, files)),
        }
    }
    if let Some((first_dir, first)) = found.first() {
        input.observed = Some(format!("dirHash:{}", dir_hash(first)));
        input.path = Some(first_dir.clone());
        input.status = Match::Match;
        for (dir, files) in &found[1..] {
            if files != first {
                problems.push(format!("{dir} does not hold the same files as {first_dir}"));
            }
        }
    }
    if let Some(first) = problems.into_iter().next() {
        input.status = Match::Mismatch { reason: first };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gzipped tar of one file at `name`, as `tar` writes it (a GNU
    /// long-name header first when `name` is over 100 bytes).
    fn data_tar_gz(name: &str, body: &[u8]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, body).unwrap();
        builder.into_inner().unwrap().finish().unwrap()
    }

    /// RubyGems writes plain ustar names: a GNU long-name member (whose
    /// name the tar crate would otherwise read whole into memory, however
    /// large) is refused as a member that is not a file.
    #[test]
    fn a_long_name_header_in_data_tar_gz_is_refused_issue_18() {
        let mut data = BTreeMap::new();
        let short = data_tar_gz("lib/a.rb", b"puts 1\n");
        assert!(read_data(short.as_slice(), 1 << 20, &mut data).is_ok());
        assert!(data.contains_key("lib/a.rb"), "{data:?}");
        let long = data_tar_gz(&format!("lib/{}.rb", "a".repeat(120)), b"puts 1\n");
        let err = read_data(long.as_slice(), 1 << 20, &mut BTreeMap::new()).unwrap_err();
        assert!(err.contains("not a file"), "{err}");
    }

    const LOCK: &str = "GIT
  remote: https://github.com/o/gamma.git
  revision: 220d5c7f4dc5cf3383f2eef59577aab9906b627d
  tag: v0.3.0
  specs:
    gamma (0.3.0)

PATH
  remote: local/delta
  specs:
    delta (0.0.1)
      beta

GEM
  remote: https://rubygems.org/
  specs:
    alpha (1.0.0)
      beta (>= 2.0)
      nokogiri (~> 1.16)
    beta (2.1.0)
    nokogiri (1.16.0-x86_64-linux)
      racc (~> 1.4)
    nokogiri (1.16.0-arm64-darwin)
      racc (~> 1.4)
    racc (1.7.3)

PLATFORMS
  arm64-darwin
  x86_64-linux

DEPENDENCIES
  alpha (= 1.0.0)
  delta!
  gamma!

CHECKSUMS
  alpha (1.0.0) sha256=b2546fb3ffcc6eefff5e6be462288c9cb7bb6b0e24c57df5a5fb36b5ddde2b48
  beta (2.1.0)
  nokogiri (1.16.0-arm64-darwin) sha256=647ea847d7bf5122bca2135104bb17eba30eb0cccc4938953c925c33e4dea186
  racc (1.7.3) sha256=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=

RUBY VERSION
   ruby 3.2.2p53

BUNDLED WITH
   2.5.3
";

    fn parsed() -> Lockfile {
        parse(LOCK, Path::new("Gemfile.lock")).unwrap()
    }

    #[test]
    fn every_section_is_read() {
        let lock = parsed();
        assert_eq!(lock.sources.len(), 3);
        assert_eq!(lock.sources[0].kind, SourceKind::Git);
        assert_eq!(lock.sources[0].options["tag"], "v0.3.0");
        assert_eq!(lock.sources[1].remotes, ["local/delta"]);
        assert_eq!(lock.specs.len(), 7);
        assert_eq!(lock.platforms, ["arm64-darwin", "x86_64-linux"]);
        assert_eq!(
            lock.dependencies,
            [
                ("alpha".to_owned(), false),
                ("delta".to_owned(), true),
                ("gamma".to_owned(), true)
            ]
        );
        assert_eq!(lock.ruby_version.as_deref(), Some("ruby 3.2.2p53"));
        assert_eq!(lock.bundled_with.as_deref(), Some("2.5.3"));
        let checksums = lock.checksums.unwrap();
        assert_eq!(checksums.len(), 4);
        assert_eq!(
            checksums[&("beta".into(), "2.1.0".into(), None)],
            None,
            "an entry without a digest"
        );
        // base64 (URL-safe) reads as hex.
        assert_eq!(
            checksums[&("racc".into(), "1.7.3".into(), None)].as_deref(),
            Some("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        );
    }

    #[test]
    fn inputs_purls_and_graph() {
        let locked = locked_inputs(LOCK, Path::new("Gemfile.lock")).unwrap();
        let find = |purl: &str| {
            &locked
                .iter()
                .find(|l| l.input.purl == purl)
                .unwrap_or_else(|| panic!("{purl}: {locked:#?}"))
                .input
        };
        let alpha = find("pkg:gem/alpha@1.0.0");
        assert_eq!(alpha.uri, "https://rubygems.org/gems/alpha-1.0.0.gem");
        assert_eq!(
            alpha.declared.as_deref(),
            Some("sha256:b2546fb3ffcc6eefff5e6be462288c9cb7bb6b0e24c57df5a5fb36b5ddde2b48")
        );
        assert_eq!(
            alpha.dependencies,
            [
                "pkg:gem/beta@2.1.0",
                "pkg:gem/nokogiri@1.16.0?platform=arm64-darwin",
                "pkg:gem/nokogiri@1.16.0?platform=x86_64-linux",
            ]
        );
        let gamma = find(
            "pkg:gem/gamma@0.3.0?vcs_url=git%2Bhttps://github.com/o/gamma.git%40220d5c7f4dc5cf3383f2eef59577aab9906b627d",
        );
        assert_eq!(
            gamma.uri,
            "git+https://github.com/o/gamma.git#220d5c7f4dc5cf3383f2eef59577aab9906b627d"
        );
        let git = locked.iter().find(|l| l.input.name == "gamma").unwrap();
        assert_eq!(git.dir.as_deref(), Some("gamma-220d5c7f4dc5"));
        assert_eq!(find("pkg:gem/beta@2.1.0").declared, None);
    }

    /// A CHECKSUMS entry vouches for its own platform only.
    #[test]
    fn a_checksum_of_another_platform_is_not_declared_issue_18_platform() {
        let locked = locked_inputs(LOCK, Path::new("Gemfile.lock")).unwrap();
        let nokogiri = |platform: &str| {
            locked
                .iter()
                .find(|l| l.input.purl.ends_with(platform))
                .unwrap()
                .input
                .declared
                .clone()
        };
        assert!(nokogiri("arm64-darwin").is_some());
        assert_eq!(nokogiri("x86_64-linux"), None);
    }

    #[test]
    fn malformed_lines_are_refused_with_their_number() {
        for (lock, line, why) in [
            ("GEM\n  remote: x\n  specs:\n    a 1.0\n", 4, "not a spec"),
            (
                "GEM\n  remote: x\n    a (1.0)\n",
                3,
                "a spec before `specs:`",
            ),
            (
                "GEM\n  specs:\n    a (1.0)\n     b\n",
                4,
                "not a source option",
            ),
            (
                "GEM\n  specs:\n    a (v1)\n",
                3,
                "not a valid RubyGems version",
            ),
            ("GEM\n  specs:\n    ../a (1.0)\n", 3, "not a gem name"),
            ("GEM\n  specs:\n    a (1.0-../x)\n", 3, "not a platform"),
            (
                "GEM\n  specs:\n    a (1.0)\n    a (1.0)\n",
                4,
                "listed twice",
            ),
            ("GEM\n  specs:\n      b\n", 3, "before any spec"),
            ("GEM\n  bogus: 1\n", 2, "not an option of this source"),
            ("GEMS\n", 1, "not a section Bundler writes"),
            ("PLUGIN SOURCE\n", 1, "PLUGIN SOURCE is not supported"),
            ("  a\n", 1, "outside any section"),
            ("PLATFORMS\n  x86 64\n", 2, "not a platform"),
            (
                "CHECKSUMS\n  a (1.0) sha256=abc\n",
                2,
                "not a SHA-256 digest",
            ),
            ("CHECKSUMS\n  a (1.0) sha256\n", 2, "algorithm=digest"),
            ("BUNDLED WITH\n   two\n", 2, "not a valid RubyGems version"),
            (
                "BUNDLED WITH\n  2.5.3 x\n",
                2,
                "not a valid RubyGems version",
            ),
            ("RUBY VERSION\n   3.2\n", 2, "not a Ruby version"),
            ("GEM\n<<<<<<< HEAD\n", 2, "merge conflict"),
        ] {
            let err = parse(lock, Path::new("Gemfile.lock"))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!(
                    "invalid Gemfile.lock in Gemfile.lock: line {line}: "
                )),
                "{lock:?}: {err}"
            );
            assert!(err.contains(why), "{lock:?}: {err}");
        }
    }

    #[test]
    fn stub_lines_name_name_version_and_platform() {
        let text = "# -*- encoding: utf-8 -*-\n# stub: natv 1.2.0 x86_64-linux lib\n";
        assert!(stub_names(text, "natv", "1.2.0", "x86_64-linux"));
        assert!(!stub_names(text, "natv", "1.2.0", "ruby"));
        assert!(!stub_names(text, "natv", "1.2", "x86_64-linux"));
        assert!(!stub_names(
            "s.name = \"natv\"",
            "natv",
            "1.2.0",
            "x86_64-linux"
        ));
    }

    /// An installation directory that is a symlink out of the project is
    /// refused before anything in it is listed.
    #[test]
    fn an_installation_leaving_the_project_is_refused_issue_18() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(outside.path().join("3.1.0/gems/beta-2.1.0")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join(LOCKFILE),
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    beta (2.1.0)\n",
        )
        .unwrap();
        std::fs::create_dir_all(d.join("vendor/bundle")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.join("vendor/bundle/ruby")).unwrap();
        let err = Bundler
            .discover(&Root::new(d).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("resolves outside the project"), "{err}");
        // Without the symlink: not installed, not vendored.
        std::fs::remove_file(d.join("vendor/bundle/ruby")).unwrap();
        let inputs = Bundler.discover(&Root::new(d).unwrap()).unwrap();
        assert_eq!(inputs[0].status, Match::NotVendored);
        assert_eq!(inputs[0].uri, "https://rubygems.org/gems/beta-2.1.0.gem");
    }

    #[test]
    fn repository_base_names() {
        assert_eq!(
            repository_base("https://github.com/rails/rails.git"),
            "rails"
        );
        assert_eq!(repository_base("https://github.com/o/r/"), "r");
        assert_eq!(repository_base("git@github.com:o/r.git"), "r");
    }
}
