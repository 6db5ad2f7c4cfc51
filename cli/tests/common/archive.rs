//! A hermetic, signed apt archive built at test time, laid out as apt
//! leaves one on a machine, with the packages installed under a
//! distribution root as dpkg installs them.
//!
//! [`Builder`] takes releases of [`Package`]s and [`Builder::build`]
//! makes, under one directory:
//! - `lists/`: apt's lists directory, one `<host>_<path>_dists_<suite>_InRelease`
//!   and `..._main_binary-amd64_Packages` per release. The `Release` is
//!   dated now (a minute back), valid for a week, and `gpg --clearsign`ed
//!   by the archive key or, for [`Signer::Other`], by another key that the
//!   keyring does not hold;
//! - `keyring.gpg`: the archive key (`gpg --export`), the only one;
//! - `debs/`: every package's `.deb` (`dpkg-deb --build`, xz), named as
//!   apt's cache names them (`<name>_<version>_<arch>.deb`);
//! - `root/`: the installed packages (`dpkg-deb -x`) with dpkg's database:
//!   `var/lib/dpkg/status` stanzas, `info/<name>.list` and
//!   `info/<name>.md5sums` as dpkg writes them.
//!
//! The keys are generated (ed25519) in a temporary GNUPGHOME, whose agent
//! is stopped once everything is signed. [`Archive::apt_args`] gives the
//! flags (`--apt-lists`, `--keyring`, `--debs`, `--distro-root`) that point
//! vouch at it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::assert_ok;

/// One binary package: its control fields and its files.
pub struct Package {
    /// `Package`.
    pub name: String,
    /// `Version`, as Debian spells it (`1.2.5-1`).
    pub version: String,
    /// `Architecture` (`all`, `amd64`).
    pub arch: String,
    /// `Source`, when it is not the binary package's name.
    pub source: Option<String>,
    /// Its data files: paths relative to `/` (`usr/share/...`) and bytes.
    pub files: Vec<(String, Vec<u8>)>,
    /// Whether it is installed under the distribution root.
    pub installed: bool,
}

impl Package {
    /// A package with no files yet, to be installed.
    pub fn new(name: &str, version: &str, arch: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            arch: arch.into(),
            source: None,
            files: Vec::new(),
            installed: true,
        }
    }

    /// Debian's package of Rust crate `krate` at `upstream` (Debian
    /// revision `-1`), as the Rust team ships one: the source under
    /// `usr/share/cargo/registry/<crate>-<upstream>/` with `manifest` as
    /// its Cargo.toml, a `src/lib.rs`, the `.cargo-checksum.json` Debian
    /// writes ("Could not get crate checksum", no files) and, when
    /// `patches` are given, `debian/patches/series` naming them; built
    /// from source `rust-<crate>`.
    pub fn rust_crate(krate: &str, upstream: &str, manifest: &str, patches: &[&str]) -> Package {
        let name = format!("librust-{}-dev", krate.replace('_', "-"));
        let dir = format!("usr/share/cargo/registry/{krate}-{upstream}");
        let mut package = Package::new(&name, &format!("{upstream}-1"), "all")
            .source(&format!("rust-{}", krate.replace('_', "-")))
            .file(&format!("{dir}/Cargo.toml"), manifest.as_bytes())
            .file(
                &format!("{dir}/src/lib.rs"),
                b"pub fn answer() -> u32 {\n    42\n}\n",
            )
            .file(
                &format!("{dir}/.cargo-checksum.json"),
                b"{\"package\":\"Could not get crate checksum\",\"files\":{}}\n",
            );
        if !patches.is_empty() {
            let series: String = patches.iter().map(|p| format!("{p}\n")).collect();
            package = package.file(&format!("{dir}/debian/patches/series"), series.as_bytes());
            for p in patches {
                package = package.file(&format!("{dir}/debian/patches/{p}"), b"--- a\n+++ b\n");
            }
        }
        package
    }

    /// Adds a data file.
    pub fn file(mut self, path: &str, bytes: &[u8]) -> Package {
        self.files.push((path.into(), bytes.to_vec()));
        self
    }

    /// Sets `Source`.
    pub fn source(mut self, source: &str) -> Package {
        self.source = Some(source.into());
        self
    }

    /// The `Source: ...` line of its stanzas, empty without one.
    fn source_field(&self) -> String {
        self.source
            .as_ref()
            .map_or_else(String::new, |s| format!("Source: {s}\n"))
    }

    /// Leaves it out of the distribution root (in the archive only).
    pub fn not_installed(mut self) -> Package {
        self.installed = false;
        self
    }
}

/// Which key signs a release.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The archive key, the one the keyring holds.
    Archive,
    /// Another key, not in the keyring: its release must be refused.
    Other,
}

/// Releases to build.
pub struct Builder {
    dir: PathBuf,
    releases: Vec<(String, String, Signer, Vec<Package>)>,
}

/// Starts an archive under `dir`.
pub fn builder(dir: &Path) -> Builder {
    Builder {
        dir: dir.to_path_buf(),
        releases: Vec::new(),
    }
}

/// A built archive: where each part is.
pub struct Archive {
    /// apt's lists directory.
    pub lists: PathBuf,
    /// The archive keyring (binary OpenPGP).
    pub keyring: PathBuf,
    /// The `.deb` files.
    pub debs: PathBuf,
    /// The distribution root the packages are installed under.
    pub root: PathBuf,
    /// Fingerprint (uppercase hex) of the archive key.
    pub archive_key: String,
}

impl Archive {
    /// `--apt-lists L --keyring K --debs D --distro-root R`.
    pub fn apt_args(&self) -> Vec<String> {
        [
            ("--apt-lists", &self.lists),
            ("--keyring", &self.keyring),
            ("--debs", &self.debs),
            ("--distro-root", &self.root),
        ]
        .into_iter()
        .flat_map(|(flag, path)| [flag.to_string(), path.display().to_string()])
        .collect()
    }
}

impl Builder {
    /// Adds a release of `packages`, listed under apt's name for
    /// `host_path` (`deb.example.org_debian`) and `suite`, signed by
    /// `signer`.
    pub fn release(
        mut self,
        host_path: &str,
        suite: &str,
        signer: Signer,
        packages: Vec<Package>,
    ) -> Builder {
        self.releases
            .push((host_path.into(), suite.into(), signer, packages));
        self
    }

    /// Builds everything (see the module's documentation).
    pub fn build(self) -> Archive {
        let dir = &self.dir;
        let gnupg = dir.join("gnupg");
        let (lists, debs, root, work) = (
            dir.join("lists"),
            dir.join("debs"),
            dir.join("root"),
            dir.join("work"),
        );
        for d in [&lists, &debs, &root.join("var/lib/dpkg/info"), &work] {
            fs::create_dir_all(d).unwrap();
        }
        fs::create_dir_all(&gnupg).unwrap();
        set_private(&gnupg);
        let gpg = |args: &[&str]| {
            let out = Command::new("gpg")
                .env("GNUPGHOME", &gnupg)
                .args(["--batch", "--quiet", "--passphrase", ""])
                .args(args)
                .output()
                .unwrap();
            assert_ok(&out);
            out.stdout
        };
        let key = |name: &str| {
            let uid = format!("vouch {name} TEST ONLY <{name}@vouch.invalid>");
            gpg(&["--quick-generate-key", &uid, "ed25519", "sign", "never"]);
            let listed = gpg(&[
                "--with-colons",
                "--list-keys",
                &format!("{name}@vouch.invalid"),
            ]);
            String::from_utf8(listed)
                .unwrap()
                .lines()
                .find_map(|l| {
                    l.strip_prefix("fpr:")
                        .map(|r| r.trim_matches(':').to_string())
                })
                .unwrap()
        };
        let archive_key = key("archive");
        let other_key = key("other");
        let keyring = dir.join("keyring.gpg");
        fs::write(&keyring, gpg(&["--export", &archive_key])).unwrap();
        let now = jiff::Timestamp::now();
        let date = |t: jiff::Timestamp| t.strftime("%a, %d %b %Y %H:%M:%S UTC").to_string();
        let mut status = String::new();
        for (host_path, suite, signer, packages) in &self.releases {
            let mut index = String::new();
            for package in packages {
                let deb = build_deb(&work, &debs, package);
                let bytes = fs::read(&deb).unwrap();
                index.push_str(&format!(
                    "Package: {}\n{}Version: {}\nArchitecture: {}\nMaintainer: vouch TEST ONLY \
                     <test@vouch.invalid>\nFilename: pool/main/{}\nSize: {}\nSHA256: {}\n\
                     Description: authored test package (TEST ONLY)\n\n",
                    package.name,
                    package.source_field(),
                    package.version,
                    package.arch,
                    deb.file_name().unwrap().to_string_lossy(),
                    bytes.len(),
                    vouch_evidence::digest::sha256(&bytes).hex()
                ));
                if package.installed {
                    status.push_str(&install(&work, &root, &deb, package));
                }
            }
            let prefix = format!("{host_path}_dists_{suite}_");
            fs::write(
                lists.join(format!("{prefix}main_binary-amd64_Packages")),
                &index,
            )
            .unwrap();
            let release = format!(
                "Origin: vouch-test\nLabel: vouch-test\nSuite: {suite}\nCodename: {suite}\n\
                 Version: 12.0\nDate: {}\nValid-Until: {}\nArchitectures: amd64\n\
                 Components: main\nDescription: hermetic test archive (TEST ONLY)\nSHA256:\n \
                 {} {:>16} main/binary-amd64/Packages\n",
                date(now - jiff::SignedDuration::from_mins(1)),
                date(now + jiff::SignedDuration::from_hours(24 * 7)),
                vouch_evidence::digest::sha256(index.as_bytes()).hex(),
                index.len()
            );
            let plain = work.join(format!("{prefix}Release"));
            fs::write(&plain, release).unwrap();
            let by = match signer {
                Signer::Archive => &archive_key,
                Signer::Other => &other_key,
            };
            let signed = lists.join(format!("{prefix}InRelease"));
            gpg(&[
                "--yes",
                "--local-user",
                by,
                "--digest-algo",
                "SHA512",
                "--clearsign",
                "--output",
                &signed.display().to_string(),
                &plain.display().to_string(),
            ]);
        }
        fs::write(root.join("var/lib/dpkg/status"), status).unwrap();
        // The secret keys are not needed any more; nor is the agent.
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", &gnupg)
            .args(["--kill", "gpg-agent"])
            .status();
        fs::remove_dir_all(&work).unwrap();
        Archive {
            lists,
            keyring,
            debs,
            root,
            archive_key,
        }
    }
}

#[cfg(unix)]
fn set_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
}

/// Builds `package`'s `.deb` into `debs` (xz, root-owned, with `md5sums`
/// as `dh_md5sums` writes it) and returns its path.
fn build_deb(work: &Path, debs: &Path, package: &Package) -> PathBuf {
    let tree = work.join(format!("{}_{}", package.name, package.version));
    fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    let mut md5sums = String::new();
    for (path, bytes) in &package.files {
        let file = tree.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, bytes).unwrap();
    }
    let mut paths: Vec<&String> = package.files.iter().map(|(p, _)| p).collect();
    paths.sort();
    for path in paths {
        let out = Command::new("md5sum")
            .arg(path)
            .current_dir(&tree)
            .output()
            .unwrap();
        assert_ok(&out);
        md5sums.push_str(&String::from_utf8(out.stdout).unwrap());
    }
    fs::write(tree.join("DEBIAN/md5sums"), md5sums).unwrap();
    fs::write(
        tree.join("DEBIAN/control"),
        format!(
            "Package: {}\n{}Version: {}\nArchitecture: {}\nMaintainer: vouch TEST ONLY \
             <test@vouch.invalid>\nDescription: authored test package (TEST ONLY)\n",
            package.name,
            package.source_field(),
            package.version,
            package.arch
        ),
    )
    .unwrap();
    let deb = debs.join(format!(
        "{}_{}_{}.deb",
        package.name,
        package.version.replace(':', "%3a"),
        package.arch
    ));
    let out = Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(&tree)
        .arg(&deb)
        .output()
        .unwrap();
    assert_ok(&out);
    deb
}

/// Unpacks `deb` under `root` and records it in dpkg's database as dpkg
/// does: `info/<name>.list` (`/.`, then every directory and file) and
/// `info/<name>.md5sums`; returns its `status` stanza.
fn install(work: &Path, root: &Path, deb: &Path, package: &Package) -> String {
    let out = Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(root)
        .output()
        .unwrap();
    assert_ok(&out);
    let mut listed = BTreeSet::new();
    for (path, _) in &package.files {
        let mut at = String::new();
        for part in path.split('/') {
            at.push('/');
            at.push_str(part);
            listed.insert(at.clone());
        }
    }
    let list: String = std::iter::once("/.".to_string())
        .chain(listed)
        .map(|l| format!("{l}\n"))
        .collect();
    let info = root.join("var/lib/dpkg/info");
    fs::write(info.join(format!("{}.list", package.name)), list).unwrap();
    let tree = work.join(format!("{}_{}", package.name, package.version));
    fs::copy(
        tree.join("DEBIAN/md5sums"),
        info.join(format!("{}.md5sums", package.name)),
    )
    .unwrap();
    let size: usize = package.files.iter().map(|(_, b)| b.len()).sum();
    format!(
        "Package: {}\n{}Status: install ok installed\nPriority: optional\nSection: rust\n\
         Installed-Size: {}\nMaintainer: vouch TEST ONLY <test@vouch.invalid>\n\
         Architecture: {}\nVersion: {}\nDescription: authored test package (TEST ONLY)\n\n",
        package.name,
        package.source_field(),
        size.div_ceil(1024),
        package.arch,
        package.version
    )
}
