//! An image's filesystem as its layers leave it, reduced to the few files a
//! scan reads: the package databases and os-release.
//!
//! The caller hands the layers one at a time, bottom first, each as its
//! digest, media type and compressed bytes, so that only one blob need be
//! in memory. Each layer is a tar archive (plain, gzip or zstd) applied as
//! the OCI image-spec says: `.wh.<name>` deletes `<name>` (and a
//! directory's whole subtree) from the lower layers, `.wh..wh..opq` hides
//! every lower entry under its directory, and a whiteout never hides an
//! entry of its own layer. Only the wanted files' contents are kept, with
//! every symbolic link (they are small, and any of them may sit on the way
//! to a wanted file); for each wanted file the view keeps its history by
//! layer, so that a scan can say which layer last wrote a package's entry.
//!
//! Everything read is capped before it is read ([`Limits`]); entries that
//! climb out of the image root (`..`) are refused; symbolic links resolve
//! inside the image root, absolute ones from it, with a bounded number of
//! hops. After an error the view is poisoned: the image cannot be scanned.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::Arc;

use crate::{Error, Result};

/// The wanted files, by their path in the image (no leading `/`).
const WANTED_FILES: [&str; 5] = [
    "var/lib/dpkg/status",
    "lib/apk/db/installed",
    "usr/lib/apk/db/installed",
    "etc/os-release",
    "usr/lib/os-release",
];

/// dpkg's distroless database: one file per package.
pub const STATUS_D: &str = "var/lib/dpkg/status.d";

/// The directories RPM keeps its database in (`var/lib/rpm` is a link to
/// the second on newer Fedora and SUSE).
pub const RPM_DIRS: [&str; 2] = ["var/lib/rpm", "usr/lib/sysimage/rpm"];

/// The RPM database files: sqlite, NDB (SUSE) and BerkeleyDB.
pub const RPM_FILES: [&str; 3] = ["rpmdb.sqlite", "Packages.db", "Packages"];

/// How many symbolic links one lookup follows before giving up (Linux's
/// own limit is 40).
const MAX_HOPS: usize = 40;

/// The longest path or link target accepted (Linux's `PATH_MAX`).
const MAX_PATH: usize = 4096;

/// The caps applied while the layers are read. Every one is checked before
/// the bytes it counts are held; exceeding one is an [`Error::TooLarge`]
/// naming the layer and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Decompressed bytes of one layer's tar stream: a compression bomb
    /// stops here.
    pub layer_bytes: u64,
    /// Tar entries in one layer.
    pub layer_entries: u64,
    /// Bytes of one wanted file (a package database can be tens of MiB).
    pub file_bytes: u64,
    /// Bytes of all wanted files one layer writes together.
    pub kept_bytes: u64,
    /// Files in dpkg's `status.d` directory.
    pub status_d_files: usize,
    /// Symbolic links kept for the whole image.
    pub links: usize,
}

impl Default for Limits {
    /// Sized for real images: a large layer decompresses to a few GiB and
    /// holds a few hundred thousand entries; Fedora's rpmdb.sqlite is tens
    /// of MiB; a distroless image has a few dozen `status.d` files.
    fn default() -> Self {
        Limits {
            layer_bytes: 8 << 30,
            layer_entries: 2_000_000,
            file_bytes: 256 << 20,
            kept_bytes: 512 << 20,
            status_d_files: 10_000,
            links: 500_000,
        }
    }
}

/// One layer's effect on a wanted file: what it wrote, or that it deleted
/// it (or replaced it with something that is not a regular file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The digest of the layer (`sha256:<hex>`).
    pub layer: String,
    /// The content it wrote; `None` when the layer removed the file.
    pub content: Option<Arc<[u8]>>,
}

/// A wanted file as the layers leave it.
#[derive(Debug, Clone, Copy)]
pub struct File<'a> {
    /// Its path once symbolic links are resolved.
    pub path: &'a str,
    /// Its content.
    pub content: &'a [u8],
    /// Every layer that wrote or removed it, bottom first; the last one
    /// wrote `content`.
    pub history: &'a [Revision],
}

#[derive(Debug, Clone)]
enum Node {
    File(Arc<[u8]>),
    Symlink(String),
}

/// What one tar entry does to the view.
#[derive(Debug)]
enum Change {
    File(Arc<[u8]>),
    Symlink(String),
    HardLink(String),
    /// Something not kept (a directory, device, or unwanted file) replaces
    /// what was at this path; `subtree` when it also hides what was below.
    Replace {
        subtree: bool,
    },
}

#[derive(Debug, Default)]
struct Changes {
    whiteouts: Vec<String>,
    opaques: Vec<String>,
    entries: Vec<(String, Change)>,
    /// A link entry at a wanted path: its target may be in this layer.
    wanted_link: bool,
}

/// The view of an image's wanted files as its layers are applied.
#[derive(Debug, Default)]
pub struct Layers {
    limits: Limits,
    nodes: BTreeMap<String, Node>,
    history: BTreeMap<String, Vec<Revision>>,
    digests: Vec<String>,
    links: usize,
    poisoned: bool,
}

impl Layers {
    /// An empty image, read under `limits`.
    pub fn new(limits: Limits) -> Self {
        Layers {
            limits,
            ..Layers::default()
        }
    }

    /// The digests of the layers applied so far, bottom first.
    pub fn digests(&self) -> &[String] {
        &self.digests
    }

    /// Applies the next layer: `digest` is its `sha256:<hex>` digest (the
    /// blob is checked against it), `media_type` its OCI or Docker media
    /// type, `blob` its compressed bytes.
    pub fn apply(&mut self, digest: &str, media_type: &str, blob: &[u8]) -> Result<()> {
        if self.poisoned {
            return Err(layer_error(
                digest,
                "an earlier layer failed: the image cannot be read",
            ));
        }
        let result = self.apply_inner(digest, media_type, blob);
        if result.is_err() {
            self.poisoned = true;
        }
        result
    }

    fn apply_inner(&mut self, digest: &str, media_type: &str, blob: &[u8]) -> Result<()> {
        check_digest(digest, blob)?;
        let compression = compression(media_type).ok_or_else(|| Error::Malformed {
            what: "layer",
            path: format!("layer {digest}"),
            why: format!("unknown media type {media_type:?}"),
        })?;
        let wanted = self.wanted();
        let changes = self.walk(digest, compression, blob, true, &|p| wanted.contains(p))?;
        for path in &changes.whiteouts {
            self.remove(digest, path, true, true);
        }
        for dir in &changes.opaques {
            self.remove(digest, dir, false, true);
        }
        let pending = self.apply_entries(digest, changes.entries)?;
        // A wanted link whose target this layer wrote before the link made
        // it wanted, or a hard link to a file not kept: read the layer
        // again for exactly those files.
        let mut needed: BTreeSet<String> = pending.iter().map(|(_, t)| t.clone()).collect();
        if changes.wanted_link {
            needed.extend(WANTED_FILES.iter().filter_map(|p| {
                let resolved = self.resolve(p).ok()?;
                (resolved != *p && !self.nodes.contains_key(&resolved)).then_some(resolved)
            }));
        }
        if !needed.is_empty() {
            let second = self.walk(digest, compression, blob, false, &|p| needed.contains(p))?;
            let found: Vec<(String, Change)> = second
                .entries
                .into_iter()
                .filter(|(p, c)| matches!(c, Change::File(_)) && needed.contains(p))
                .collect();
            self.apply_entries(digest, found)?;
            let unresolved = self.apply_entries(
                digest,
                pending
                    .into_iter()
                    .map(|(p, t)| (p, Change::HardLink(t)))
                    .collect(),
            )?;
            if let Some((path, target)) = unresolved.first() {
                return Err(Error::Malformed {
                    what: "layer",
                    path: format!("{path} in layer {digest}"),
                    why: format!(
                        "hard link to {target}, which no layer up to this one holds as a file"
                    ),
                });
            }
        }
        let status_d = self.list(STATUS_D)?.len();
        if status_d > self.limits.status_d_files {
            return Err(Error::TooLarge {
                what: "files",
                path: format!("{STATUS_D} after layer {digest}"),
                limit: self.limits.status_d_files as u64,
            });
        }
        self.digests.push(digest.to_owned());
        Ok(())
    }

    /// Reads one layer's tar stream, keeping the entries `keep` wants (and
    /// every link, and whatever replaces something kept); the `first` read
    /// of a layer counts its links against the cap.
    fn walk(
        &self,
        digest: &str,
        compression: Compression,
        blob: &[u8],
        first: bool,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Changes> {
        let exceeded = Rc::new(Cell::new(false));
        let stream: Box<dyn Read + '_> = match compression {
            Compression::None => Box::new(blob),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(blob)),
            Compression::Zstd => Box::new(ZstdFrames::new(blob)),
        };
        let capped = Capped {
            inner: stream,
            left: self.limits.layer_bytes,
            exceeded: Rc::clone(&exceeded),
        };
        let limits = self.limits;
        let io_error = |e: io::Error| {
            if exceeded.get() {
                Error::TooLarge {
                    what: "decompressed bytes",
                    path: format!("layer {digest}"),
                    limit: limits.layer_bytes,
                }
            } else {
                layer_error(digest, &format!("not a readable tar stream: {e}"))
            }
        };
        let mut archive = tar::Archive::new(capped);
        let mut changes = Changes::default();
        let mut entries: u64 = 0;
        let mut kept: u64 = 0;
        let mut links: usize = self.links;
        for entry in archive.entries().map_err(io_error)? {
            let mut entry = entry.map_err(io_error)?;
            entries += 1;
            if entries > limits.layer_entries {
                return Err(Error::TooLarge {
                    what: "tar entries",
                    path: format!("layer {digest}"),
                    limit: limits.layer_entries,
                });
            }
            let raw = entry.path_bytes().into_owned();
            // Names that are not UTF-8 cannot be, or lead to, a wanted file.
            let Ok(raw) = String::from_utf8(raw) else {
                continue;
            };
            let Some(path) = normalise(&raw).map_err(|why| Error::Malformed {
                what: "layer entry",
                path: format!("{raw:?} in layer {digest}"),
                why,
            })?
            else {
                continue;
            };
            // The entry lands where its directory resolves to through the
            // lower layers' links, as containerd and Docker extract it.
            let (parent, name) = match path.rsplit_once('/') {
                Some((parent, name)) => (self.resolve(parent)?, name.to_owned()),
                None => (String::new(), path.clone()),
            };
            let (parent, name) = (parent.as_str(), name.as_str());
            let path = join(parent, name);
            if let Some(hidden) = name.strip_prefix(".wh.") {
                if hidden == ".wh..opq" {
                    changes.opaques.push(parent.to_owned());
                } else if hidden.starts_with(".wh.") {
                    // aufs's own bookkeeping (`.wh..wh.plnk`, ...): no file.
                } else if hidden.is_empty() || hidden == "." || hidden == ".." {
                    return Err(Error::Malformed {
                        what: "layer entry",
                        path: format!("{path} in layer {digest}"),
                        why: "a whiteout that names no file".into(),
                    });
                } else {
                    changes.whiteouts.push(join(parent, hidden));
                }
                continue;
            }
            let kind = entry.header().entry_type();
            let change = if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let target = String::from_utf8(target)
                    .ok()
                    .filter(|t| !t.is_empty() && t.len() <= MAX_PATH && !t.contains('\0'))
                    .ok_or_else(|| Error::Malformed {
                        what: "layer entry",
                        path: format!("{path} in layer {digest}"),
                        why: "a link whose target is empty, too long or not UTF-8".into(),
                    })?;
                if kind.is_symlink() {
                    links += usize::from(first);
                    if links > limits.links {
                        return Err(Error::TooLarge {
                            what: "symbolic links",
                            path: format!("the image up to layer {digest}"),
                            limit: limits.links as u64,
                        });
                    }
                    changes.wanted_link |= keep(&path);
                    Change::Symlink(target)
                } else {
                    let target = normalise(&target)
                        .map_err(|why| Error::Malformed {
                            what: "layer entry",
                            path: format!("{path} in layer {digest}"),
                            why: format!("hard link target: {why}"),
                        })?
                        .ok_or_else(|| Error::Malformed {
                            what: "layer entry",
                            path: format!("{path} in layer {digest}"),
                            why: "a hard link to the image root".into(),
                        })?;
                    let target = match target.rsplit_once('/') {
                        Some((dir, base)) => join(&self.resolve(dir)?, base),
                        None => target,
                    };
                    if keep(&path) {
                        changes.wanted_link = true;
                        Change::HardLink(target)
                    } else if self.holds(&path) {
                        Change::Replace { subtree: true }
                    } else {
                        continue;
                    }
                }
            } else if kind.is_file() || kind.is_gnu_sparse() || kind == tar::EntryType::Continuous {
                if keep(&path) || matches!(self.nodes.get(&path), Some(Node::File(_))) {
                    let size = entry.header().size().map_err(io_error)?;
                    let too_large = |what| Error::TooLarge {
                        what,
                        path: format!("{path} in layer {digest}"),
                        limit: limits.file_bytes,
                    };
                    if size > limits.file_bytes {
                        return Err(too_large("bytes"));
                    }
                    kept += size;
                    if kept > limits.kept_bytes {
                        return Err(Error::TooLarge {
                            what: "bytes of wanted files",
                            path: format!("layer {digest}"),
                            limit: limits.kept_bytes,
                        });
                    }
                    // The header's size is the writer's claim: reserve at
                    // most 1 MiB before the bytes are there.
                    let mut content =
                        Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
                    (&mut entry)
                        .take(limits.file_bytes + 1)
                        .read_to_end(&mut content)
                        .map_err(io_error)?;
                    if content.len() as u64 > limits.file_bytes {
                        return Err(too_large("bytes"));
                    }
                    Change::File(content.into())
                } else if self.holds(&path) {
                    Change::Replace { subtree: true }
                } else {
                    continue;
                }
            } else if kind.is_dir() {
                if self.nodes.contains_key(&path) {
                    Change::Replace { subtree: false }
                } else {
                    continue;
                }
            } else if kind.is_pax_global_extensions() {
                continue;
            } else if self.holds(&path) {
                Change::Replace { subtree: true }
            } else {
                continue;
            };
            changes.entries.push((path, change));
        }
        Ok(changes)
    }

    /// Applies entries in order; returns the hard links (path, target)
    /// whose target is not held.
    fn apply_entries(
        &mut self,
        digest: &str,
        entries: Vec<(String, Change)>,
    ) -> Result<Vec<(String, String)>> {
        let mut pending = Vec::new();
        for (path, change) in entries {
            let node = match change {
                Change::File(content) => Node::File(content),
                Change::Symlink(target) => Node::Symlink(target),
                Change::HardLink(target) => match self.nodes.get(&target) {
                    Some(node) => node.clone(),
                    None => {
                        pending.push((path, target));
                        continue;
                    }
                },
                Change::Replace { subtree } => {
                    self.remove(digest, &path, true, subtree);
                    continue;
                }
            };
            self.remove(digest, &path, false, true);
            if let Node::Symlink(_) = node {
                self.links += 1;
            }
            let previous = self.nodes.insert(path.clone(), node.clone());
            if let Some(Node::Symlink(_)) = previous {
                self.links -= 1;
            }
            match node {
                Node::File(content) => self.record(digest, &path, Some(content)),
                Node::Symlink(_) => {
                    if let Some(Node::File(_)) = previous {
                        self.record(digest, &path, None);
                    }
                }
            }
        }
        if self.links > self.limits.links {
            return Err(Error::TooLarge {
                what: "symbolic links",
                path: format!("the image up to layer {digest}"),
                limit: self.limits.links as u64,
            });
        }
        Ok(pending)
    }

    /// Removes `path` itself (if `itself`) and everything under it (if
    /// `subtree`), recording the removal of each kept file.
    fn remove(&mut self, digest: &str, path: &str, itself: bool, subtree: bool) {
        let mut gone = Vec::new();
        if itself && self.nodes.contains_key(path) {
            gone.push(path.to_owned());
        }
        if subtree {
            let prefix = if path.is_empty() {
                String::new()
            } else {
                format!("{path}/")
            };
            gone.extend(
                self.nodes
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, _)| k.clone()),
            );
        }
        for path in gone {
            match self.nodes.remove(&path) {
                Some(Node::File(_)) => self.record(digest, &path, None),
                Some(Node::Symlink(_)) => self.links -= 1,
                None => {}
            }
        }
    }

    fn record(&mut self, digest: &str, path: &str, content: Option<Arc<[u8]>>) {
        let revisions = self.history.entry(path.to_owned()).or_default();
        let revision = Revision {
            layer: digest.to_owned(),
            content,
        };
        match revisions.last_mut() {
            Some(last) if last.layer == digest => *last = revision,
            _ => revisions.push(revision),
        }
    }

    /// Whether something is held at `path` or below it.
    fn holds(&self, path: &str) -> bool {
        self.nodes.contains_key(path) || {
            let prefix = format!("{path}/");
            self.nodes
                .range(prefix.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&prefix))
        }
    }

    /// The paths a layer's entries are kept at: the wanted paths, and where
    /// the links held now lead them.
    fn wanted(&self) -> Wanted {
        let mut files: BTreeSet<String> = WANTED_FILES.iter().map(|s| (*s).to_owned()).collect();
        files.extend(
            WANTED_FILES
                .iter()
                .filter_map(|p| self.resolve(p).ok())
                .filter(|p| !p.is_empty()),
        );
        let mut dirs: Vec<(String, bool)> = vec![(STATUS_D.to_owned(), true)];
        dirs.extend(RPM_DIRS.iter().map(|d| ((*d).to_owned(), false)));
        let resolved: Vec<(String, bool)> = dirs
            .iter()
            .filter_map(|(d, s)| self.resolve(d).ok().map(|r| (r, *s)))
            .collect();
        dirs.extend(resolved);
        Wanted { files, dirs }
    }

    /// Resolves the symbolic links on the way to `path` (the last one
    /// included), inside the image root.
    pub fn resolve(&self, path: &str) -> Result<String> {
        let mut todo: Vec<&str> = path.rsplit('/').collect();
        // The path resolved so far, grown and cut in place: each step costs
        // its component's length, whatever the links add.
        let mut out = String::new();
        let mut hops = 0;
        while let Some(component) = todo.pop() {
            match component {
                "" | "." => continue,
                ".." => {
                    out.truncate(out.rfind('/').unwrap_or(0));
                    continue;
                }
                _ => {}
            }
            let before = out.len();
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(component);
            if let Some(Node::Symlink(target)) = self.nodes.get(&out) {
                hops += 1;
                if hops > MAX_HOPS {
                    return Err(Error::Malformed {
                        what: "symbolic links",
                        path: path.to_owned(),
                        why: format!("more than {MAX_HOPS} links on the way (a loop?)"),
                    });
                }
                out.truncate(if target.starts_with('/') { 0 } else { before });
                todo.extend(target.rsplit('/'));
            }
        }
        Ok(out)
    }

    fn usable(&self, path: &str) -> Result<()> {
        if self.poisoned {
            return Err(Error::Malformed {
                what: "image",
                path: path.to_owned(),
                why: "a layer failed to apply".into(),
            });
        }
        Ok(())
    }

    /// The wanted file at `path` (links resolved), if the image has one.
    pub fn read(&self, path: &str) -> Result<Option<File<'_>>> {
        self.usable(path)?;
        let resolved = self.resolve(path)?;
        Ok(match self.nodes.get_key_value(&resolved) {
            Some((key, Node::File(content))) => Some(File {
                path: key,
                content,
                history: self.history.get(key).map_or(&[], Vec::as_slice),
            }),
            _ => None,
        })
    }

    /// The files directly in the wanted directory `dir` (links resolved),
    /// by name; for dpkg's `status.d`, without its `*.md5sums` files.
    pub fn list(&self, dir: &str) -> Result<Vec<File<'_>>> {
        self.usable(dir)?;
        let resolved = self.resolve(dir)?;
        let prefix = if resolved.is_empty() {
            String::new()
        } else {
            format!("{resolved}/")
        };
        let mut files = Vec::new();
        for (key, _) in self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
        {
            let name = &key[prefix.len()..];
            if name.contains('/') || !wanted_in(dir == STATUS_D, name) {
                continue;
            }
            if let Some(file) = self.read(key)? {
                files.push(file);
            }
        }
        Ok(files)
    }
}

/// Which paths a layer's entries are kept at.
struct Wanted {
    files: BTreeSet<String>,
    /// A directory, and whether it is `status.d` (else an RPM one).
    dirs: Vec<(String, bool)>,
}

impl Wanted {
    fn contains(&self, path: &str) -> bool {
        if self.files.contains(path) {
            return true;
        }
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        self.dirs
            .iter()
            .any(|(dir, status_d)| dir == parent && wanted_in(*status_d, name))
    }
}

fn wanted_in(status_d: bool, name: &str) -> bool {
    if status_d {
        !name.ends_with(".md5sums")
    } else {
        RPM_FILES.contains(&name)
    }
}

/// A path in a layer, without its leading `/` and `./`, its empty and `.`
/// components; `None` for the root itself; an error for `..`.
fn normalise(raw: &str) -> std::result::Result<Option<String>, String> {
    if raw.len() > MAX_PATH {
        return Err(format!("a path longer than {MAX_PATH} bytes"));
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("a path that climbs with `..`".into()),
            _ if part.contains('\0') => return Err("a NUL byte in a path".into()),
            _ => parts.push(part),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("/")))
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

fn layer_error(digest: &str, why: &str) -> Error {
    Error::Malformed {
        what: "layer",
        path: format!("layer {digest}"),
        why: why.to_owned(),
    }
}

/// The digest must be `sha256:` and 64 lowercase hex digits, and match the
/// blob: the layer a package is attributed to is named by it.
fn check_digest(digest: &str, blob: &[u8]) -> Result<()> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
        .ok_or_else(|| layer_error(digest, "not a sha256:<64 lowercase hex> digest"))?;
    let actual = hex::encode(ring::digest::digest(&ring::digest::SHA256, blob));
    if actual != hex {
        return Err(layer_error(
            digest,
            &format!("the blob's digest is sha256:{actual}"),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

/// The layer media types of the OCI image-spec and Docker's manifest v2.
fn compression(media_type: &str) -> Option<Compression> {
    Some(match media_type {
        "application/vnd.oci.image.layer.v1.tar"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar"
        | "application/vnd.docker.image.rootfs.diff.tar" => Compression::None,
        "application/vnd.oci.image.layer.v1.tar+gzip"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        | "application/vnd.docker.image.rootfs.diff.tar.gzip"
        | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => Compression::Gzip,
        "application/vnd.oci.image.layer.v1.tar+zstd"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" => Compression::Zstd,
        _ => return None,
    })
}

/// A reader that fails once more than `left` bytes have come through, and
/// says so in `exceeded` (the tar reader only passes the I/O error on).
struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let allowed = usize::try_from(self.left.min(buf.len() as u64)).unwrap_or(buf.len());
        let n = if allowed == 0 {
            // At the cap: one more byte means the stream is too large.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded.set(true);
            return Err(io::Error::other("decompressed size cap reached"));
        } else {
            self.inner.read(&mut buf[..allowed])?
        };
        self.left -= n as u64;
        Ok(n)
    }
}

/// Every zstd frame of a blob, one after the other (skippable frames
/// skipped), as zstd's own tool decompresses a multi-frame file.
struct ZstdFrames<'a> {
    rest: &'a [u8],
    frame: Option<ruzstd::decoding::StreamingDecoder<&'a [u8], ruzstd::decoding::FrameDecoder>>,
}

impl<'a> ZstdFrames<'a> {
    fn new(blob: &'a [u8]) -> Self {
        ZstdFrames {
            rest: blob,
            frame: None,
        }
    }
}

impl Read for ZstdFrames<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        loop {
            if let Some(frame) = &mut self.frame {
                let n = frame.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                self.rest = frame.get_ref();
                self.frame = None;
            }
            if self.rest.is_empty() {
                return Ok(0);
            }
            match ruzstd::decoding::StreamingDecoder::new(self.rest) {
                Ok(frame) => self.frame = Some(frame),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skip = 8usize.saturating_add(length as usize);
                    if skip > self.rest.len() {
                        return Err(io::Error::other("a truncated skippable zstd frame"));
                    }
                    self.rest = &self.rest[skip..];
                }
                Err(e) => return Err(io::Error::other(format!("zstd: {e}"))),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
