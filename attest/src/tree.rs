//! Reading the project tree: safe paths, parallel hashing, and the
//! directory hash.
//!
//! The directory hash is Go's `h1` dirhash algorithm: SHA-256 over the
//! sorted lines `"<sha256 hex of file>  <path>\n"`, paths relative to the
//! directory with `/` separators. vouch records it as hex (DigestSet key
//! `dirHash`), not base64 as Go does.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use ring::digest::{Algorithm, Context, SHA256};

use crate::{Error, Result};

/// The largest lockfile or metadata file read.
pub const MAX_METADATA_BYTES: u64 = 64 * 1024 * 1024;

/// Bytes read per call while hashing: large reads keep the SHA-256 unit fed
/// and the system calls few.
const READ_CHUNK: usize = 256 * 1024;

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.display().to_string();
    move |error| Error::Io {
        action,
        path,
        error,
    }
}

/// The most characters of a project file's content an error quotes (after
/// escaping): enough to recognise a token, too few to carry a line of a
/// file that is not what it claims to be (a secret, the environment).
const MAX_EXCERPT_CHARS: usize = 40;

/// The most characters of a parser's message an error carries: a serde
/// message may quote a value of the file (`invalid type: string "…"`).
const MAX_PARSER_MESSAGE_CHARS: usize = 160;

/// `text` (content of a project file) as it may be quoted in an error:
/// control characters, quotes and backslashes escaped (Rust's
/// `escape_debug`, so a newline or an escape sequence cannot break the
/// message, whatever prints it: a terminal, JSON, a webhook log), and cut
/// at [`MAX_EXCERPT_CHARS`] with `…`.
pub fn excerpt(text: &str) -> String {
    shorten(text, MAX_EXCERPT_CHARS)
}

/// A parser's message (serde, toml, cargo-lock) as an error may carry it:
/// its first line only (toml's `Display` goes on to quote the whole source
/// line), escaped and cut as [`excerpt`] does, at
/// [`MAX_PARSER_MESSAGE_CHARS`].
pub fn parser_message(message: &dyn std::fmt::Display) -> String {
    let message = cut_quoted(&message.to_string());
    let first = message.lines().next().unwrap_or_default();
    // serde's location (`at line 6 column 3`) is kept whole, after the cut.
    match first.rfind(" at line ") {
        Some(at) => format!(
            "{}{}",
            shorten(&first[..at], MAX_PARSER_MESSAGE_CHARS),
            shorten(&first[at..], MAX_EXCERPT_CHARS)
        ),
        None => shorten(first, MAX_PARSER_MESSAGE_CHARS),
    }
}

/// `message` with each `"…"` or `` `…` `` span it quotes (a value of the
/// file, in serde's `invalid type: string "…"`) cut at
/// [`MAX_EXCERPT_CHARS`]: a parser's message may keep its own words, but
/// quotes no more of the file than [`excerpt`] would.
fn cut_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    let mut quoted = 0;
    let mut escaped = false;
    for c in message.chars() {
        match open {
            // A quote escaped inside the span (`\"`, as Debug writes it)
            // does not close it.
            Some(q) if c == q && !escaped => {
                open = None;
                out.push(c);
            }
            Some(_) => {
                escaped = c == '\\' && !escaped;
                quoted += 1;
                if quoted <= MAX_EXCERPT_CHARS {
                    out.push(c);
                } else if quoted == MAX_EXCERPT_CHARS + 1 {
                    out.push('…');
                }
            }
            None => {
                if c == '"' || c == '`' {
                    open = Some(c);
                    quoted = 0;
                    escaped = false;
                }
                out.push(c);
            }
        }
    }
    out
}

/// A toml error as an error may carry it: where it is (line and column)
/// and what is wrong, without the source line toml's `Display` quotes.
pub fn toml_message(error: &toml::de::Error) -> String {
    let display = error.to_string();
    let location = display
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("TOML parse error ");
    shorten(
        &format!("{}, {location}", error.message().trim_end()),
        MAX_PARSER_MESSAGE_CHARS,
    )
}

/// `text` escaped char by char, stopping before the escaped text passes
/// `max` characters (never in the middle of an escape).
fn shorten(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for c in text.chars() {
        let escaped: String = c.escape_debug().collect();
        let n = escaped.chars().count();
        if count + n > max {
            out.push('…');
            break;
        }
        count += n;
        out.push_str(&escaped);
    }
    out
}

/// `path` with `.` and `..` resolved lexically (never through the file
/// system).
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The directory `path` (absolute, or relative to the project's root)
/// names, absolute and lexically normal, when it lies outside the project:
/// where a `[patch]`, a `replace` or a `file:` dependency has the build
/// take an input from (a distribution's installed package). Never
/// resolved through the file system: discovery does not leave the
/// project. `None` for a directory inside it, which is the project's own.
pub(crate) fn outside(root: &Root, path: &str) -> Option<String> {
    let dir = normal(&root.canonical().join(path));
    (!dir.starts_with(root.canonical())).then(|| dir.display().to_string())
}

/// Joins a relative path from a lockfile or metadata file onto `root`,
/// refusing absolute paths and `..`.
pub fn join_inside(root: &Path, relative: &str) -> Result<PathBuf> {
    let path = Path::new(relative);
    for component in path.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err(Error::OutsideTree {
                    path: relative.into(),
                    reason: "contains `..`".into(),
                })
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Error::OutsideTree {
                    path: relative.into(),
                    reason: "is absolute".into(),
                })
            }
        }
    }
    Ok(root.join(path))
}

/// The largest vendored file hashed unless the caller sets another limit
/// ([`Root::with_max_file_bytes`], `--max-file-bytes` of `vouch attest` and `vouch inputs`): 4 GiB,
/// above any real source archive, yet a sparse 100 GB file is refused at
/// once instead of holding a CI job for minutes.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// The project tree being attested, and the one place that decides whether
/// a path discovery opens is inside it.
///
/// Every lockfile, metadata file, vendored directory and vendored file an
/// ecosystem reads is opened through a `Root`: the path is resolved
/// (symlinks, `..`, symlinked intermediate directories) and must land
/// inside the root's own resolved path, so a tree cannot make vouch read,
/// hash or sign a file outside it. The root itself may be a symlink: it is
/// resolved once, here.
#[derive(Debug, Clone)]
pub struct Root {
    /// The root as the caller named it: joined onto for messages and
    /// relative paths.
    path: PathBuf,
    /// The root, resolved: what every resolved path must start with.
    canonical: PathBuf,
    /// The largest vendored file [`Root::hash_dirs`] and
    /// [`Root::hash_file`] hash.
    max_file_bytes: u64,
}

/// What a vendored directory holds, as [`Root::vendored`] finds it.
#[derive(Debug)]
pub enum Listing {
    /// Nothing is there, or it is not a directory.
    Missing,
    /// Its regular files, as [`Root::files`] lists them.
    Files(Vec<String>),
    /// It cannot be attested as it is (it, or a file in it, resolves
    /// outside the project; a file name the directory hash cannot carry):
    /// the reason, naming the path, for the input's mismatch. Nothing in it
    /// was read.
    Refused(String),
}

impl Root {
    /// The project at `path`, which must be a directory: a mistyped path
    /// must not attest an empty tree.
    pub fn new(path: &Path) -> Result<Root> {
        let not_read = |error| Error::Io {
            action: "read the project directory",
            path: path.display().to_string(),
            error,
        };
        let meta = std::fs::metadata(path).map_err(not_read)?;
        if !meta.is_dir() {
            return Err(not_read(ErrorKind::NotADirectory.into()));
        }
        let canonical = path.canonicalize().map_err(io("resolve", path))?;
        Ok(Root {
            path: path.to_path_buf(),
            canonical,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        })
    }

    /// The same root with another limit on the size of one vendored file
    /// hashed (default [`DEFAULT_MAX_FILE_BYTES`]).
    pub fn with_max_file_bytes(self, max_file_bytes: u64) -> Root {
        Root {
            max_file_bytes,
            ..self
        }
    }

    /// The root as the caller named it, to join relative paths onto.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The root, resolved: where it really is, to tell a path inside the
    /// project from one outside.
    pub(crate) fn canonical(&self) -> &Path {
        &self.canonical
    }

    /// Whether anything is at `relative` (a file, a directory, a fifo, a
    /// symlink, dangling or not). Ecosystems detect their lockfiles with
    /// it, so that a lockfile that is not a regular file inside the
    /// project (a symlink to `/dev/null` or out of the tree) is an error
    /// when it is read, not an ecosystem silently left out of the
    /// attestation.
    pub fn has(&self, relative: &str) -> bool {
        std::fs::symlink_metadata(self.path.join(relative)).is_ok()
    }

    /// `full` relative to the root, for messages (as is when it is not
    /// under it).
    fn shown(&self, full: &Path) -> String {
        full.strip_prefix(&self.path)
            .unwrap_or(full)
            .display()
            .to_string()
    }

    /// Where `full` (a path under [`Root::path`]) really is: `None` when
    /// nothing is there; refused when it resolves outside the project,
    /// before anything is read from it. A symlink loop is an error from
    /// the resolution, not a hang.
    pub fn resolve(&self, full: &Path) -> Result<Option<PathBuf>> {
        if std::fs::symlink_metadata(full).is_err() {
            return Ok(None);
        }
        let resolved = full.canonicalize().map_err(io("resolve", full))?;
        if !resolved.starts_with(&self.canonical) {
            // The target is not named: it is the attacker's choice of
            // path, and a mismatch reason is signed into the provenance.
            return Err(Error::OutsideTree {
                path: self.shown(full),
                reason: "resolves outside the project (through a symlink)".into(),
            });
        }
        Ok(Some(resolved))
    }

    /// Opens the regular file `full` for reading, after
    /// [`Root::resolve`]; `what` names it in errors.
    fn open(&self, full: &Path, what: &'static str) -> Result<File> {
        let Some(resolved) = self.resolve(full)? else {
            return Err(io("read", full)(ErrorKind::NotFound.into()));
        };
        open_regular(&resolved, full, what, true)
    }

    /// Reads a lockfile or metadata file (`what` names it in errors): only
    /// a regular file inside the project, and no more than
    /// [`MAX_METADATA_BYTES`] of it, counted as read (a device or a file in
    /// `/proc` reports no true length).
    pub fn read_metadata(&self, full: &Path, what: &'static str) -> Result<String> {
        read_open(self.open(full, what)?, full, what)
    }

    /// Every regular file under `dir`, as sorted `/`-separated relative
    /// paths, `dir` itself resolved inside the project first. A symlink
    /// whose target leaves `dir` is refused; one that stays inside is
    /// listed as the file it points to. A fifo, socket or device is
    /// refused: it has no content to attest, and opening a fifo would
    /// block. A name the directory hash cannot carry is refused
    /// ([`Error::FileName`]).
    pub fn files(&self, dir: &Path) -> Result<Vec<String>> {
        if self.resolve(dir)?.is_none() {
            return Err(io("walk", dir)(ErrorKind::NotFound.into()));
        }
        files(dir)
    }

    /// What the vendored directory `dir` holds: [`Root::files`], with the
    /// refusals that are about this one input (it, or a file in it, leaves
    /// the project; a name the directory hash cannot carry) given as a
    /// mismatch reason rather than an error, so the other inputs are still
    /// checked and the input is reported, not hashed.
    pub fn vendored(&self, dir: &Path) -> Result<Listing> {
        let resolved = match self.resolve(dir) {
            Ok(Some(resolved)) => resolved,
            Ok(None) => return Ok(Listing::Missing),
            Err(e @ Error::OutsideTree { .. }) => return Ok(Listing::Refused(e.to_string())),
            Err(e) => return Err(e),
        };
        if !resolved.is_dir() {
            return Ok(Listing::Missing);
        }
        match files(dir) {
            Ok(found) => Ok(Listing::Files(found)),
            Err(e @ (Error::OutsideTree { .. } | Error::FileName { .. })) => {
                Ok(Listing::Refused(e.to_string()))
            }
            Err(e) => Err(e),
        }
    }

    /// The largest vendored file this root hashes or reads
    /// ([`Root::with_max_file_bytes`]): also the bound on what an archive
    /// read through [`Root::open_vendored`] may decompress to.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// Opens the vendored file `full` to read it whole (an archive whose
    /// members are checked, such as a `.gem`): resolved inside the project
    /// first, a regular file, and no larger than the root's file size
    /// limit by its `fstat` size. The caller counts what it reads against
    /// [`Root::max_file_bytes`], as a file may grow after the check.
    pub fn open_vendored(&self, full: &Path) -> Result<File> {
        let Some(resolved) = self.resolve(full)? else {
            return Err(io("open", full)(ErrorKind::NotFound.into()));
        };
        let shown = PathBuf::from(self.shown(full));
        let file = open_regular(&resolved, &shown, "vendored file", true)?;
        let size = file.metadata().map_err(io("stat", &shown))?.len();
        if size > self.max_file_bytes {
            return Err(Error::TooLarge {
                path: shown.display().to_string(),
                size: format!("{size} bytes"),
                max: self.max_file_bytes,
            });
        }
        Ok(file)
    }

    /// The SHA-256 (hex) of the vendored file `full`, resolved inside the
    /// project first, and refused over the root's file size limit.
    pub fn hash_file(&self, full: &Path) -> Result<String> {
        self.hash_file_with(full, &SHA256)
    }

    /// [`Root::hash_file`] with another digest (an SRI pin's SHA-384 or
    /// SHA-512).
    pub fn hash_file_with(&self, full: &Path, algorithm: &'static Algorithm) -> Result<String> {
        let Some(resolved) = self.resolve(full)? else {
            return Err(io("open", full)(ErrorKind::NotFound.into()));
        };
        let shown = PathBuf::from(self.shown(full));
        hash_file(&resolved, &shown, self.max_file_bytes, algorithm)
    }

    /// Hashes every listed file of every directory, in parallel across
    /// cores. Returns, per directory, a map from relative path to SHA-256
    /// hex. The lists must come from [`Root::files`] or [`Root::vendored`],
    /// which resolved each directory inside the project and each file
    /// inside its directory; a file over the root's size limit stops the
    /// whole hashing with an error naming it.
    ///
    /// The files of all directories form one flat list of jobs, so one
    /// large directory is spread over every core like the rest. Only
    /// digests travel back from the workers; the maps are then built from
    /// the callers' own (usually sorted) file lists.
    pub fn hash_dirs(
        &self,
        dirs: &[(PathBuf, Vec<String>)],
    ) -> Result<Vec<BTreeMap<String, String>>> {
        let jobs: Vec<(&Path, &str)> = dirs
            .iter()
            .flat_map(|(dir, files)| files.iter().map(move |f| (dir.as_path(), f.as_str())))
            .collect();
        let digests: Vec<String> = jobs
            .par_iter()
            .map(|(dir, file)| {
                let full = join_inside(dir, file)?;
                let shown = PathBuf::from(self.shown(&full));
                hash_file(&full, &shown, self.max_file_bytes, &SHA256)
            })
            .collect::<Result<_>>()?;
        let mut digests = digests.into_iter();
        Ok(dirs
            .iter()
            .map(|(_, files)| {
                files
                    .iter()
                    .cloned()
                    .zip(digests.by_ref().take(files.len()))
                    .collect()
            })
            .collect())
    }
}

/// Reads a metadata file that is not part of a project tree (a rules file
/// the user named): a regular file, no more than [`MAX_METADATA_BYTES`]
/// counted as read.
pub fn read_metadata(path: &Path, what: &'static str) -> Result<String> {
    read_open(open_regular(path, path, what, false)?, path, what)
}

/// Reads an open metadata file to its end under [`MAX_METADATA_BYTES`],
/// as UTF-8 text.
fn read_open(file: File, path: &Path, what: &'static str) -> Result<String> {
    let invalid = |reason: String| Error::Invalid {
        what,
        path: path.display().to_string(),
        reason,
    };
    let bytes = vouch_bounded::read_bounded(file, MAX_METADATA_BYTES)
        .map_err(io("read", path))?
        .ok_or_else(|| invalid(format!("over the limit of {MAX_METADATA_BYTES} bytes")))?;
    String::from_utf8(bytes).map_err(|_| invalid("not UTF-8 text".into()))
}

/// Opens `resolved` (`shown` in messages) for reading if it is a regular
/// file, checked on the open file itself, without blocking on a fifo
/// ([`vouch_bounded::open_regular`]); with `no_follow`, a symlink
/// put in place of the resolved path since it was resolved is refused.
fn open_regular(
    resolved: &Path,
    shown: &Path,
    what: &'static str,
    no_follow: bool,
) -> Result<File> {
    vouch_bounded::open_regular(resolved, std::fs::OpenOptions::new().read(true), no_follow)
        .map_err(|error| match error.kind() {
            ErrorKind::InvalidInput => Error::Invalid {
                what,
                path: shown.display().to_string(),
                reason: format!(
                    "{error} (a directory, fifo, socket or device has no content to read)"
                ),
            },
            _ => io("open", shown)(error),
        })
}

/// Every regular file under `dir` (see [`Root::files`], which resolves
/// `dir` inside the project first).
fn files(dir: &Path) -> Result<Vec<String>> {
    let canonical_root = dir.canonicalize().map_err(io("resolve", dir))?;
    let mut found = Vec::new();
    // Sorted so that, of several bad entries, the same one is reported on
    // every run.
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| Error::Io {
            action: "walk",
            path: dir.display().to_string(),
            error: e.into(),
        })?;
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(dir)
            .map_err(|e| Error::OutsideTree {
                path: entry.path().display().to_string(),
                reason: e.to_string(),
            })?;
        let name = slash_path(entry.path(), relative)?;
        if file_type.is_symlink() {
            let target = entry
                .path()
                .canonicalize()
                .map_err(io("resolve", entry.path()))?;
            if !target.starts_with(&canonical_root) {
                return Err(Error::OutsideTree {
                    path: entry.path().display().to_string(),
                    reason: format!("is a symlink that resolves outside {}", dir.display()),
                });
            }
            let target_type = std::fs::metadata(&target)
                .map_err(io("stat", &target))?
                .file_type();
            if target_type.is_dir() {
                continue; // its files are listed where they really are
            }
            if !target_type.is_file() {
                return Err(not_regular(entry.path()));
            }
        } else if !file_type.is_file() {
            return Err(not_regular(entry.path()));
        }
        found.push(name);
    }
    // Byte order of the whole path (Go's dirhash order), which the walk's
    // per-directory order is not: `a.rs` sorts before `a/b.rs`.
    found.sort_unstable();
    Ok(found)
}

fn not_regular(path: &Path) -> Error {
    Error::Invalid {
        what: "vendored file",
        path: path.display().to_string(),
        reason: "not a regular file, directory or symlink (a fifo, socket or device)".into(),
    }
}

/// `relative` (the path of `full` under the directory being listed) as the
/// `/`-separated name the directory hash carries, refusing a name it cannot
/// carry unambiguously. Each line of the hash is `"<sha256>  <name>\n"`: a
/// name holding a newline could forge a second line (`{a.c, b.c}` and one
/// file named `"a.c\n<sha256 of b.c>  b.c"` would hash alike), so it is
/// refused, as Go's dirhash refuses it. A name that is not UTF-8 would be
/// carried lossily (two different names as one `U+FFFD`), so it is refused
/// too. Where `/` is already the separator (every real vendored tree), the
/// path is taken as is, with no per-component work.
fn slash_path(full: &Path, relative: &Path) -> Result<String> {
    let refuse = |reason: &str| Error::FileName {
        path: full.display().to_string().escape_debug().to_string(),
        reason: reason.into(),
    };
    let Some(text) = relative.to_str() else {
        return Err(refuse("is not UTF-8"));
    };
    let name = if std::path::MAIN_SEPARATOR == '/' {
        text.to_owned()
    } else {
        let parts: Vec<&str> = relative
            .components()
            .filter_map(|c| c.as_os_str().to_str())
            .collect();
        parts.join("/")
    };
    if name.contains('\n') {
        return Err(refuse("contains a newline"));
    }
    Ok(name)
}

thread_local! {
    /// Each hashing thread's read buffer, [`READ_CHUNK`] bytes, allocated
    /// and zeroed once per thread rather than once per file: no file's
    /// contents outlive its hashing, and memory stays flat in the size of
    /// the tree.
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The digest (hex; SHA-256 for vendored trees) of one file.
///
/// This is the hot path of discovery, so it costs as few system calls as it
/// can: one open, one `fstat` on the open file (not a second lookup of the
/// path), then reads of up to [`READ_CHUNK`] into the thread's reused
/// buffer, and a close. Each read asks for one byte more than `fstat` says
/// is left, so a file that has not changed since is read to its end in one
/// short read, without the extra read that would only return 0. A file
/// that grew meanwhile is read on to its real end. The SHA-256 is ring's,
/// which uses the CPU's SHA extensions where it has them (see
/// docs/decisions.md, "Hashing").
///
/// `path` is opened (`shown` in messages) only if it is a regular file, and
/// hashed only up to `max` bytes: one whose `fstat` size is over `max` is
/// refused before a byte is read (a sparse 100 GB file fails at once), and
/// the bytes read are counted too, so a file that grows past `max` while
/// it is read is refused as well.
fn hash_file(path: &Path, shown: &Path, max: u64, algorithm: &'static Algorithm) -> Result<String> {
    let mut file = open_regular(path, shown, "vendored file", false)?;
    HASHED_FILES.fetch_add(1, Ordering::Relaxed);
    let mut left = file.metadata().map_err(io("stat", shown))?.len();
    let too_large = |size: String| Error::TooLarge {
        path: shown.display().to_string(),
        size,
        max,
    };
    if left > max {
        return Err(too_large(format!("{left} bytes")));
    }
    let mut total: u64 = 0;
    READ_BUFFER.with_borrow_mut(|buffer| {
        if buffer.len() < READ_CHUNK {
            buffer.resize(READ_CHUNK, 0);
        }
        let mut context = Context::new(algorithm);
        loop {
            let want = left.saturating_add(1).min(READ_CHUNK as u64) as usize;
            let n = match file.read(&mut buffer[..want]) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(io("read", shown)(e)),
            };
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > max {
                return Err(too_large("more bytes than that, read".into()));
            }
            context.update(&buffer[..n]);
            HASHED_BYTES.fetch_add(n as u64, Ordering::Relaxed);
            // A short read at the size fstat gave is the end of the file.
            if n < want && n as u64 >= left {
                break;
            }
            // Past that size (a whole number of chunks, or a file that grew
            // since), read on in whole chunks until a read returns 0.
            left = match left.checked_sub(n as u64) {
                Some(rest) if rest > 0 => rest,
                _ => u64::MAX,
            };
        }
        Ok(hex::encode(context.finish()))
    })
}

/// Files and bytes hashed so far by this process, for progress display:
/// discovery runs in one call, and a caller on another thread polls these.
static HASHED_FILES: AtomicU64 = AtomicU64::new(0);
static HASHED_BYTES: AtomicU64 = AtomicU64::new(0);

/// How many files and bytes [`hash_file`] has hashed in this process so
/// far. Only for progress display: it counts, it never decides anything.
pub fn hashed() -> (u64, u64) {
    (
        HASHED_FILES.load(Ordering::Relaxed),
        HASHED_BYTES.load(Ordering::Relaxed),
    )
}

/// The directory hash of a set of file digests (Go `h1`, as hex). Each
/// line is built in one reused buffer: no allocation per file.
pub fn dir_hash(files: &BTreeMap<String, String>) -> String {
    let mut context = Context::new(&SHA256);
    let mut line = String::new();
    for (path, digest) in files {
        line.clear();
        line.push_str(digest);
        line.push_str("  ");
        line.push_str(path);
        line.push('\n');
        context.update(line.as_bytes());
    }
    hex::encode(context.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(path: &Path) -> Root {
        Root::new(path).unwrap()
    }

    #[test]
    fn dir_hash_is_go_h1_over_sorted_lines() {
        // Go: dirhash.Hash1 over {"a.txt": "hello"} hashes the single line
        // "<sha256(hello)>  a.txt\n".
        let mut files = BTreeMap::new();
        files.insert(
            "a.txt".to_string(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".to_string(),
        );
        let line = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  a.txt\n";
        assert_eq!(
            dir_hash(&files),
            hex::encode(ring::digest::digest(&SHA256, line.as_bytes()))
        );
    }

    #[test]
    fn paths_may_not_leave_the_tree() {
        let root = Path::new("/project");
        assert!(join_inside(root, "vendor/a/b.rs").is_ok());
        let err = join_inside(root, "../etc/passwd").unwrap_err().to_string();
        assert!(err.contains("contains `..`"), "{err}");
        let err = join_inside(root, "/etc/passwd").unwrap_err().to_string();
        assert!(err.contains("is absolute"), "{err}");
    }

    #[test]
    fn lists_files_sorted_and_refuses_symlinks_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pkg/src")).unwrap();
        std::fs::write(dir.path().join("pkg/src/lib.rs"), b"x").unwrap();
        std::fs::write(dir.path().join("pkg/Cargo.toml"), b"y").unwrap();
        assert_eq!(
            files(&dir.path().join("pkg")).unwrap(),
            vec!["Cargo.toml", "src/lib.rs"]
        );
        let hashed = root(dir.path())
            .hash_dirs(&[(
                dir.path().join("pkg"),
                files(&dir.path().join("pkg")).unwrap(),
            )])
            .unwrap();
        assert_eq!(
            hashed[0]["src/lib.rs"],
            hex::encode(ring::digest::digest(&SHA256, b"x"))
        );
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("pkg/escape")).unwrap();
        let err = files(&dir.path().join("pkg")).unwrap_err().to_string();
        assert!(err.contains("outside"), "{err}");
    }

    #[test]
    fn whole_path_order_not_walk_order() {
        // The walk visits directory `a` (and so `a/b.rs`) before `a.rs`;
        // byte order of the whole path puts `a.rs` ('.' is 0x2e) before
        // `a/b.rs` ('/' is 0x2f), as Go's dirhash does.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/b.rs"), b"1").unwrap();
        std::fs::write(dir.path().join("a.rs"), b"2").unwrap();
        assert_eq!(files(dir.path()).unwrap(), vec!["a.rs", "a/b.rs"]);
    }

    #[test]
    fn hashes_every_byte_at_each_read_boundary() {
        let dir = tempfile::tempdir().unwrap();
        // Largest first: a small file hashed after a large one on the same
        // thread must not pick up the large one's bytes from the reused
        // buffer.
        let sizes = [
            3 * READ_CHUNK + 7,
            2 * READ_CHUNK,
            READ_CHUNK + 1,
            READ_CHUNK,
            READ_CHUNK - 1,
            4096,
            1,
            0,
        ];
        for size in sizes {
            let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let path = dir.path().join(format!("f{size}"));
            std::fs::write(&path, &content).unwrap();
            let expected = hex::encode(ring::digest::digest(&SHA256, &content));
            assert_eq!(
                root(dir.path()).hash_file(&path).unwrap(),
                expected,
                "size {size}"
            );
            if size > 0 {
                // Negative control: the last byte changed, the digest changes,
                // so the tail of every file is read.
                let mut changed = content.clone();
                *changed.last_mut().unwrap() ^= 1;
                std::fs::write(&path, &changed).unwrap();
                assert_ne!(
                    root(dir.path()).hash_file(&path).unwrap(),
                    expected,
                    "size {size}"
                );
            }
        }
        let err = root(dir.path())
            .hash_file(&dir.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot open") && err.contains("missing"),
            "{err}"
        );
    }

    #[test]
    fn hash_dirs_keeps_each_file_with_its_directory() {
        // The same relative names in two directories, with other contents,
        // hashed as one flat parallel job list: each digest must land in
        // its own directory's map.
        let root = tempfile::tempdir().unwrap();
        let mut dirs = Vec::new();
        for (d, tag) in [("one", "1"), ("two", "2"), ("empty", "")] {
            let dir = root.path().join(d);
            std::fs::create_dir(&dir).unwrap();
            if !tag.is_empty() {
                for f in ["a", "b", "c"] {
                    std::fs::write(dir.join(f), format!("{f}{tag}")).unwrap();
                }
            }
            dirs.push((dir.clone(), files(&dir).unwrap()));
        }
        let hashed = super::Root::new(root.path())
            .unwrap()
            .hash_dirs(&dirs)
            .unwrap();
        assert_eq!(hashed.len(), 3);
        for (map, tag) in hashed.iter().zip(["1", "2"]) {
            assert_eq!(map.len(), 3);
            for f in ["a", "b", "c"] {
                let want = hex::encode(ring::digest::digest(
                    &SHA256,
                    format!("{f}{tag}").as_bytes(),
                ));
                assert_eq!(map[f], want, "{f}{tag}");
            }
        }
        assert!(hashed[2].is_empty());
        assert_ne!(dir_hash(&hashed[0]), dir_hash(&hashed[1]));
        // A listed file that is gone is an error naming it, not a skip.
        let gone = vec![(
            root.path().join("one"),
            vec!["a".to_string(), "zz".to_string()],
        )];
        let err = super::Root::new(root.path())
            .unwrap()
            .hash_dirs(&gone)
            .unwrap_err()
            .to_string();
        assert!(err.contains("zz"), "{err}");
    }

    #[test]
    fn refuses_fifos_and_symlinks_to_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ok.rs"), b"x").unwrap();
        std::os::unix::fs::symlink("ok.rs", dir.path().join("link.rs")).unwrap();
        // Negative control: a regular file and a symlink to one inside.
        assert_eq!(files(dir.path()).unwrap(), vec!["link.rs", "ok.rs"]);
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join("z-pipe"))
            .status()
            .unwrap();
        assert!(made.success());
        // Walked before the fifo itself: refused through the symlink.
        std::os::unix::fs::symlink("z-pipe", dir.path().join("a-link")).unwrap();
        let err = files(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("a-link") && err.contains("not a regular file"),
            "{err}"
        );
        std::fs::remove_file(dir.path().join("a-link")).unwrap();
        let err = files(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("z-pipe") && err.contains("not a regular file"),
            "{err}"
        );
        std::fs::remove_file(dir.path().join("z-pipe")).unwrap();
        assert_eq!(files(dir.path()).unwrap(), vec!["link.rs", "ok.rs"]);
    }

    /// A project `p/` beside `outside/` holding a known file.
    fn hostile() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("p");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(&project).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret.txt"), b"secret").unwrap();
        (tmp, project, outside)
    }

    #[test]
    fn regression_issue_9_vendored_directories_resolve_inside_the_root() {
        let (tmp, p, outside) = hostile();
        std::fs::create_dir_all(p.join("vendor/in")).unwrap();
        std::fs::write(p.join("vendor/in/ok.rs"), b"x").unwrap();
        std::os::unix::fs::symlink(&outside, p.join("vendor/out")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), p.join("up")).unwrap();
        std::os::unix::fs::symlink("loop", p.join("loop")).unwrap();
        // A sibling whose name starts with the project's: outside, though
        // its path starts with the same characters.
        std::fs::create_dir_all(tmp.path().join("p2/dir")).unwrap();
        std::os::unix::fs::symlink("../../p2/dir", p.join("vendor/prefix")).unwrap();
        let r = root(&p);
        let refused = |relative: &str| match r.vendored(&p.join(relative)).unwrap() {
            Listing::Refused(reason) => reason,
            other => panic!("{relative}: {other:?}"),
        };
        // The directory itself a symlink out, a symlinked intermediate
        // directory, and `..` after one: refused naming the path.
        for relative in [
            "vendor/out",
            "up/outside",
            "up/p/../outside",
            "vendor/in/../out",
            "vendor/prefix",
        ] {
            let reason = refused(relative);
            assert!(
                reason.contains(relative) && reason.contains("outside the project"),
                "{reason}"
            );
            assert!(!reason.contains("secret"), "{reason}");
        }
        // A symlink loop is an error from the resolution, not a hang.
        let err = r.vendored(&p.join("loop")).unwrap_err().to_string();
        assert!(
            err.contains("cannot resolve") && err.contains("loop"),
            "{err}"
        );
        // Negative controls: inside, and missing.
        assert!(matches!(
            r.vendored(&p.join("vendor/in")).unwrap(),
            Listing::Files(f) if f == ["ok.rs"]
        ));
        assert!(matches!(
            r.vendored(&p.join("vendor/none")).unwrap(),
            Listing::Missing
        ));
        // A root that is itself a symlink is resolved once: what is inside
        // it is inside.
        let alias = tmp.path().join("alias");
        std::os::unix::fs::symlink(&p, &alias).unwrap();
        let through = root(&alias);
        assert!(matches!(
            through.vendored(&alias.join("vendor/in")).unwrap(),
            Listing::Files(_)
        ));
        assert!(matches!(
            through.vendored(&alias.join("vendor/out")).unwrap(),
            Listing::Refused(_)
        ));
        // Root::files refuses what Root::vendored reports.
        let err = r.files(&p.join("vendor/out")).unwrap_err().to_string();
        assert!(err.contains("outside the project"), "{err}");
    }

    #[test]
    fn regression_issue_9_metadata_is_read_only_from_regular_files_inside() {
        let (_tmp, p, outside) = hostile();
        std::fs::write(p.join("ok.lock"), b"fine").unwrap();
        std::os::unix::fs::symlink("ok.lock", p.join("alias.lock")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret.txt"), p.join("out.lock")).unwrap();
        std::os::unix::fs::symlink("/proc/self/environ", p.join("env.lock")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", p.join("zero.lock")).unwrap();
        std::fs::create_dir(p.join("dir.lock")).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(p.join("fifo.lock"))
            .status()
            .unwrap();
        assert!(made.success());
        let r = root(&p);
        let read = |name: &str| r.read_metadata(&p.join(name), "lockfile");
        assert_eq!(read("ok.lock").unwrap(), "fine");
        assert_eq!(read("alias.lock").unwrap(), "fine");
        for name in ["out.lock", "env.lock", "zero.lock"] {
            let err = read(name).unwrap_err().to_string();
            assert_eq!(
                err,
                format!("refusing {name}: resolves outside the project (through a symlink)")
            );
        }
        for name in ["fifo.lock", "dir.lock"] {
            let err = read(name).unwrap_err().to_string();
            assert!(
                err.contains(name) && err.contains("not a regular file"),
                "{err}"
            );
        }
        // The cap counts bytes read: a file over it is refused whatever
        // its reported length (the bound itself is tested in
        // vouch_evidence::bounded on an endless reader).
        let big = std::fs::File::create(p.join("big.lock")).unwrap();
        big.set_len(MAX_METADATA_BYTES + 1).unwrap();
        let err = read("big.lock").unwrap_err().to_string();
        assert!(err.contains("over the limit of 67108864 bytes"), "{err}");
    }

    #[test]
    fn regression_issue_9_names_the_dirhash_cannot_carry_are_refused() {
        // {a.c, b.c} against one file named "a.c\n<sha256(b)>  b.c": the
        // same lines, so the same dirHash, without the refusal.
        let b_sha = hex::encode(ring::digest::digest(&SHA256, b"b"));
        let forged = format!("a.c\n{b_sha}  b.c");
        let (_tmp, p, _) = hostile();
        std::fs::create_dir_all(p.join("m")).unwrap();
        std::fs::write(p.join("m").join(&forged), b"a").unwrap();
        let r = root(&p);
        let reason = match r.vendored(&p.join("m")).unwrap() {
            Listing::Refused(reason) => reason,
            other => panic!("{other:?}"),
        };
        assert!(
            reason.contains("m/a.c\\n") && reason.contains("contains a newline"),
            "{reason}"
        );
        // Not UTF-8: two such names would both be carried as U+FFFD.
        use std::os::unix::ffi::OsStrExt;
        std::fs::remove_file(p.join("m").join(&forged)).unwrap();
        let name = std::ffi::OsStr::from_bytes(b"x\xff.c");
        std::fs::write(p.join("m").join(name), b"a").unwrap();
        let err = r.files(&p.join("m")).unwrap_err().to_string();
        assert!(err.contains("is not UTF-8"), "{err}");
    }

    #[test]
    fn regression_issue_9_files_over_the_size_limit_fail_fast_naming_them() {
        let (_tmp, p, _) = hostile();
        std::fs::create_dir_all(p.join("m")).unwrap();
        std::fs::write(p.join("m/small"), b"12345678").unwrap();
        // Sparse: 100 GB of nothing, refused from its fstat size at once.
        std::fs::File::create(p.join("m/huge"))
            .unwrap()
            .set_len(100 << 30)
            .unwrap();
        let r = root(&p);
        let listed = r.files(&p.join("m")).unwrap();
        let err = r
            .hash_dirs(&[(p.join("m"), listed)])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "refusing vendored file m/huge: 107374182400 bytes, over the --max-file-bytes \
             limit of 4294967296 bytes"
        );
        let small = r.clone().with_max_file_bytes(7);
        let err = small.hash_file(&p.join("m/small")).unwrap_err().to_string();
        assert!(err.contains("m/small: 8 bytes"), "{err}");
        assert!(r
            .with_max_file_bytes(8)
            .hash_file(&p.join("m/small"))
            .is_ok());
    }

    #[test]
    fn regression_issue_9_excerpts_are_short_and_escaped() {
        let secret = format!("TOKEN={}\u{1b}[2J\n", "s".repeat(200));
        let quoted = excerpt(&secret);
        assert!(quoted.chars().count() <= MAX_EXCERPT_CHARS + 1, "{quoted}");
        assert!(quoted.ends_with('…') && !quoted.contains(&"s".repeat(40)));
        assert_eq!(excerpt("a\u{1b}[0m\nb"), "a\\u{1b}[0m\\nb");
        // A serde message keeps its location after the cut.
        let long = format!(
            "invalid type: string \"{}\" at line 3 column 7",
            "s".repeat(300)
        );
        let message = parser_message(&long);
        assert!(message.ends_with(" at line 3 column 7"), "{message}");
        assert!(!message.contains(&"s".repeat(41)), "{message}");
        assert!(message.contains(&"s".repeat(40)), "{message}");
        let escaped = format!("invalid type: string \"a\\\"{}\"", "s".repeat(300));
        assert!(!parser_message(&escaped).contains(&"s".repeat(41)));
        // toml's source line is not quoted.
        let err = "x = \"TOKEN=abc\"\n[[".parse::<toml::Table>().unwrap_err();
        let message = toml_message(&err);
        assert!(!message.contains("TOKEN"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }
}
