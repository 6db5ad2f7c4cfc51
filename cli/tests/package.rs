//! vouch's Debian package (scripts/package-deb.sh, cargo-deb) from the
//! release binary: its control fields against dpkg-shlibdeps, its files
//! against what the binary itself writes, byte-identical rebuilds, and a
//! real `dpkg -i` on this machine of which the installed `vouch` runs, then
//! `dpkg -r`.

use crate::common;
use crate::version::expected_long_version;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

fn script() -> PathBuf {
    common::root().join("scripts/package-deb.sh")
}

/// `bash scripts/package-deb.sh ARGS` under `umask`, with no
/// SOURCE_DATE_EPOCH of the environment (the script's own default, the
/// commit's time, is what is tested).
fn package_deb(umask: &str, args: &[&Path]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!("umask {umask} && exec bash \"$0\" \"$@\""))
        .arg(script())
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH");
    cmd.output().unwrap()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        common::stderr(&out)
    );
    common::stdout(&out)
}

fn arch() -> String {
    run(Command::new("dpkg").arg("--print-architecture"))
        .trim()
        .to_owned()
}

fn commit_time() -> u64 {
    let root = common::root();
    run(Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["log", "-1", "--format=%ct"]))
    .trim()
    .parse()
    .unwrap()
}

/// The expected file name of the package.
fn deb_name() -> String {
    format!("vouch_{}_{}.deb", env!("CARGO_PKG_VERSION"), arch())
}

/// Two packages of the release binary, made once for the tests of this
/// module: under umask 022 and 077, in two directories.
fn packages() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static PACKAGES: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    PACKAGES.get_or_init(|| {
        let dir = common::tempdir();
        let binary = common::release_vouch();
        let make = |umask: &str, name: &str| {
            let out = dir.path().join(name);
            let made = package_deb(
                umask,
                &[Path::new("--binary"), &binary, Path::new("--out"), &out],
            );
            common::assert_ok(&made);
            let deb = out.join(deb_name());
            // The script prints the path of the package, and nothing else.
            assert_eq!(common::stdout(&made), format!("{}\n", deb.display()));
            assert!(deb.is_file());
            // Nothing left beside it (its staging directory is gone).
            let left: Vec<_> = fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(left.len(), 1, "{left:?}");
            deb
        };
        let first = make("022", "first");
        let second = make("077", "second");
        (dir, first, second)
    })
}

/// The control fields of `deb` (`dpkg-deb --field`), continuation lines
/// joined to their field.
fn fields(deb: &Path) -> BTreeMap<String, String> {
    let text = run(Command::new("dpkg-deb").arg("--field").arg(deb));
    let mut fields = BTreeMap::new();
    let mut last = String::new();
    // One stanza, closed by an empty line.
    for line in text.lines().take_while(|line| !line.is_empty()) {
        if line.starts_with(' ') {
            let value: &mut String = fields.get_mut(&last).unwrap();
            value.push('\n');
            value.push_str(line);
        } else {
            let (name, value) = line.split_once(": ").unwrap();
            last = name.to_owned();
            fields.insert(last.clone(), value.to_owned());
        }
    }
    fields
}

/// A dependency list as a set of `name (constraint)` entries.
fn dependency_set(list: &str) -> BTreeSet<String> {
    list.split(',').map(|dep| dep.trim().to_owned()).collect()
}

/// What dpkg-shlibdeps says `binary` depends on.
fn shlibdeps(binary: &Path) -> BTreeSet<String> {
    let dir = common::tempdir();
    fs::create_dir(dir.path().join("debian")).unwrap();
    fs::write(dir.path().join("debian/control"), "").unwrap();
    let out = run(Command::new("dpkg-shlibdeps")
        .current_dir(dir.path())
        .arg("-O")
        .arg(binary));
    let line = out
        .lines()
        .find_map(|line| line.strip_prefix("shlibs:Depends="))
        .unwrap();
    dependency_set(line)
}

fn release_output(args: &[&str]) -> Vec<u8> {
    let out = Command::new(common::release_vouch())
        .args(args)
        .output()
        .unwrap();
    common::assert_ok(&out);
    out.stdout
}

#[test]
fn package_deb_fields_name_vouch_and_the_dependencies_dpkg_shlibdeps_finds() {
    let (_, deb, _) = packages();
    let fields = fields(deb);
    assert_eq!(fields["Package"], "vouch");
    assert_eq!(fields["Version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(fields["Architecture"], arch());
    assert_eq!(fields["Section"], "utils");
    assert_eq!(fields["Priority"], "optional");
    assert!(fields["Maintainer"].contains('<'), "{fields:?}");
    let description = &fields["Description"];
    let synopsis = description.lines().next().unwrap();
    assert!(synopsis.starts_with("Sign container images"), "{synopsis}");
    assert!(synopsis.len() < 80, "{synopsis}");
    assert!(description.contains("admission webhook"), "{description}");
    // The whole Depends field is dpkg-shlibdeps' answer for the binary
    // (libgcc-s1 included, which cargo-deb alone would drop).
    let depends = dependency_set(&fields["Depends"]);
    assert_eq!(depends, shlibdeps(&common::release_vouch()));
    let names: BTreeSet<&str> = depends
        .iter()
        .map(|dep| dep.split(' ').next().unwrap())
        .collect();
    assert!(
        names.contains("libc6") && names.contains("libgcc-s1"),
        "{depends:?}"
    );
}

#[test]
fn package_deb_holds_the_binary_its_manual_its_completions_and_copyright_under_usr_only() {
    let (_, deb, _) = packages();
    let listing = run(Command::new("dpkg-deb").arg("--contents").arg(deb));
    let mut files = BTreeSet::new();
    for line in listing.lines() {
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(columns[1], "0/0", "owned by root: {line}");
        let path = columns[5];
        assert!(path.starts_with("./usr/"), "a file outside /usr: {line}");
        if !columns[0].starts_with('d') {
            files.insert(path.trim_start_matches('.').to_owned());
        }
    }
    let expected: BTreeSet<String> = [
        "/usr/bin/vouch",
        "/usr/share/man/man1/vouch.1.gz",
        "/usr/share/bash-completion/completions/vouch",
        "/usr/share/zsh/vendor-completions/_vouch",
        "/usr/share/fish/vendor_completions.d/vouch.fish",
        "/usr/share/doc/vouch/copyright",
    ]
    .map(String::from)
    .into();
    assert_eq!(files, expected);

    let tree = common::tempdir();
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(tree.path()));
    let file = |path: &str| tree.path().join(path.trim_start_matches('/'));
    // The binary as built (not stripped, not rebuilt), executable.
    assert_eq!(
        fs::read(file("/usr/bin/vouch")).unwrap(),
        fs::read(common::release_vouch()).unwrap()
    );
    let mode = fs::metadata(file("/usr/bin/vouch"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
    // The manual page and completions are what this binary writes.
    let mut page = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(file("/usr/share/man/man1/vouch.1.gz")).unwrap())
        .read_to_end(&mut page)
        .unwrap();
    assert_eq!(page, release_output(&["man"]));
    for (shell, path) in [
        ("bash", "/usr/share/bash-completion/completions/vouch"),
        ("zsh", "/usr/share/zsh/vendor-completions/_vouch"),
        ("fish", "/usr/share/fish/vendor_completions.d/vouch.fish"),
    ] {
        assert_eq!(
            fs::read(file(path)).unwrap(),
            release_output(&["completions", shell]),
            "{shell}"
        );
        let mode = fs::metadata(file(path)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "{path}");
    }
    // The workspace's licence, named as Debian's copyright format names it.
    let manifest: toml::Table = fs::read_to_string(common::root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let license = manifest["workspace"]["package"]["license"]
        .as_str()
        .unwrap();
    let copyright = fs::read_to_string(file("/usr/share/doc/vouch/copyright")).unwrap();
    assert!(
        copyright.contains(&format!("License: {license}")),
        "{copyright}"
    );
    assert!(
        copyright.contains("/usr/share/common-licenses/Apache-2.0"),
        "{copyright}"
    );
    // Every file dated by the commit (SOURCE_DATE_EPOCH's default).
    let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(commit_time());
    for path in &expected {
        assert_eq!(
            fs::metadata(file(path)).unwrap().modified().unwrap(),
            epoch,
            "{path}"
        );
    }
}

#[test]
fn package_deb_twice_gives_the_same_bytes() {
    // Made in two directories, under two umasks, at two times.
    let (_, first, second) = packages();
    assert_ne!(first, second);
    assert!(
        fs::read(first).unwrap() == fs::read(second).unwrap(),
        "{} and {} differ",
        first.display(),
        second.display()
    );
}

#[test]
fn package_deb_refuses_a_missing_or_foreign_binary_and_writes_nothing() {
    let dir = common::tempdir();
    let out = dir.path().join("out");
    let missing = dir.path().join("no-such-vouch");
    let made = package_deb(
        "022",
        &[Path::new("--binary"), &missing, Path::new("--out"), &out],
    );
    common::assert_fails_with(
        &made,
        &format!(
            "the binary {} in package-deb.sh: does not exist",
            missing.display()
        ),
    );
    assert!(common::stdout(&made).is_empty());
    assert!(!out.exists(), "nothing written");
    // An executable that is not vouch cannot be packaged as vouch.
    let made = package_deb(
        "022",
        &[
            Path::new("--binary"),
            Path::new("/bin/true"),
            Path::new("--out"),
            &out,
        ],
    );
    common::assert_fails_with(
        &made,
        "the binary /bin/true in package-deb.sh: `-V` says \"\"",
    );
    assert!(!out.exists(), "nothing written");
}

/// `program` as root: itself when the tests run as root (CI), else through
/// `sudo -n` (which fails, and so fails the test, without a password).
fn as_root(program: &str) -> Command {
    let uid = run(Command::new("id").arg("-u"));
    if uid.trim() == "0" {
        Command::new(program)
    } else {
        let mut cmd = Command::new("sudo");
        cmd.args(["-n", program]);
        cmd
    }
}

/// `dpkg ARGS` as root, retried while another dpkg or apt holds its lock
/// (the dpkg of Debian 12 has no `--lock-timeout`): up to two minutes.
fn dpkg(args: &[&str]) -> Output {
    let mut tries = 0;
    loop {
        let out = as_root("dpkg").args(args).output().unwrap();
        let locked = common::stderr(&out).contains("lock");
        if out.status.success() || !locked || tries == 60 {
            return out;
        }
        tries += 1;
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// Removes the package when the install test ends, passed or not.
struct Removal;

impl Drop for Removal {
    fn drop(&mut self) {
        let _ = dpkg(&["-r", "vouch"]);
    }
}

#[test]
fn package_deb_installs_with_dpkg_runs_and_removes() {
    let (_, deb, _) = packages();
    // Never overwrite a vouch that some other install put there.
    let bin = Path::new("/usr/bin/vouch");
    if bin.exists() {
        let owner = Command::new("dpkg")
            .args(["-S", "/usr/bin/vouch"])
            .output()
            .unwrap();
        assert!(
            common::stdout(&owner).starts_with("vouch: "),
            "/usr/bin/vouch exists and is not the vouch package's: refusing to overwrite it"
        );
    }
    let removal = Removal;
    let installed = dpkg(&["-i", deb.to_str().unwrap()]);
    common::assert_ok(&installed);
    let status = run(Command::new("dpkg").args(["-s", "vouch"]));
    assert!(status.contains("Status: install ok installed"), "{status}");
    assert!(
        status.contains(&format!("Version: {}", env!("CARGO_PKG_VERSION"))),
        "{status}"
    );

    // The installed binary runs and names the commit of this checkout.
    let version = run(Command::new(bin).arg("--version"));
    assert_eq!(version.trim_end(), expected_long_version());
    // Its manual page is where man looks, and renders.
    let found = run(Command::new("man").args(["-w", "vouch"]));
    assert_eq!(found.trim(), "/usr/share/man/man1/vouch.1.gz");
    let page = run(Command::new("man")
        .args(["-l", "/usr/share/man/man1/vouch.1.gz"])
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100"));
    assert!(page.contains("NAME") && page.contains("vouch"), "{page}");
    assert!(page.contains("verify"), "{page}");
    // bash picks its completions up from the installed script.
    let complete = run(Command::new("bash")
        .arg("-c")
        .arg("source /usr/share/bash-completion/completions/vouch && complete -p vouch"));
    assert!(complete.contains("vouch"), "{complete}");

    drop(removal);
    assert!(!bin.exists(), "dpkg -r left /usr/bin/vouch");
    assert!(!Path::new("/usr/share/man/man1/vouch.1.gz").exists());
    let status = Command::new("dpkg").args(["-s", "vouch"]).output().unwrap();
    let said = format!("{}{}", common::stdout(&status), common::stderr(&status));
    assert!(
        !status.status.success() || !said.contains("install ok installed"),
        "{said}"
    );
}
