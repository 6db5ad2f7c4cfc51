//! Go modules onto Debian's `golang-*-dev` packages (`vouch unbundle`):
//! the plan reads go.mod and `vendor/modules.txt` and asks
//! [`vouch_unbundle::go`] which package carries each module; the swap
//! writes a `replace <module> <version> => <distro-root>/usr/share/gocode/src/<module>`
//! directive, marks the module replaced in `vendor/modules.txt` as `go mod
//! vendor` would (`# <module> <version> => <dir>`), and puts Debian's files
//! in the vendored package directories, so that `go build -mod=vendor`
//! (which reads only `vendor/`) builds Debian's code and its vendor
//! consistency check passes.
//!
//! Debian's gocode directories usually have no go.mod. The go command
//! reads a directory replacement's go.mod only when it loads the module
//! graph (`-mod=mod`, `-mod=readonly`, `go mod tidy`, `go mod vendor`);
//! in vendor mode, the default when `vendor/modules.txt` exists, it reads
//! none, so the swap builds as is, and re-vendoring needs the Debian
//! directory to gain a go.mod (which vouch never writes into the
//! distribution's tree).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use vouch_attest::go::{parse_go_mod, parse_modules_txt, GoMod, ModulesTxt};
use vouch_attest::Input;
use vouch_unbundle::{go, Action, Candidate, Step};

use super::journal::all_or_nothing;
use super::{installed, installed_versions, not_installed, swaps, Archive, Planned, Target};
use crate::args::AptArgs;
use crate::files::read_text;

/// Where Debian's Go packages install module sources.
pub(crate) const GOCODE: &str = "/usr/share/gocode/src";
/// The largest go.mod or modules.txt read.
const MAX_MANIFEST: u64 = 16 << 20;
/// The largest source file copied from the distribution.
const MAX_SOURCE: u64 = 64 << 20;

/// A project's go.mod (text and parsed) and, when it vendors,
/// `vendor/modules.txt` (text and parsed).
struct Project {
    go_mod_text: String,
    go_mod: GoMod,
    modules: Option<(String, ModulesTxt)>,
}

/// go.mod and, when the project vendors, `vendor/modules.txt`.
fn read_project(dir: &Path) -> Result<Project> {
    let go_mod_path = dir.join("go.mod");
    let text = read_text(&go_mod_path, MAX_MANIFEST, "go.mod")?;
    let go_mod = parse_go_mod(&text, &go_mod_path)?;
    let modules_path = dir.join("vendor/modules.txt");
    let modules = if modules_path.is_file() {
        let text = read_text(&modules_path, MAX_MANIFEST, "vendor/modules.txt")?;
        let parsed = parse_modules_txt(&text, &modules_path)?;
        Some((text, parsed))
    } else {
        None
    };
    Ok(Project {
        go_mod_text: text,
        go_mod,
        modules,
    })
}

/// The packages of module `module` the build takes from `vendor/`.
fn vendored_packages<'a>(
    modules: &'a ModulesTxt,
    module: &str,
    version: &str,
) -> Option<&'a [String]> {
    modules
        .modules
        .iter()
        .find(|m| m.path == module && m.version.as_deref() == Some(version))
        .map(|m| m.packages.as_slice())
}

/// The source files of one package directory as `go mod vendor` copies
/// them: regular files, not `_test.go`, go.mod or go.sum.
fn package_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with("_test.go") || name == "go.mod" || name == "go.sum" {
            continue;
        }
        // Follows symlinks: Debian links some files into place.
        if fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Plans the Go inputs among `inputs` of the project in `dir` against the
/// verified `archive`: each module's carrier, the version rule, then the
/// installed directory `<distro-root>/usr/share/gocode/src/<module>` must
/// hold every package the build takes from `vendor/`.
pub fn plan(
    dir: &Path,
    inputs: &[Input],
    archive: &Archive,
    apt: &AptArgs,
) -> Result<Vec<Planned>> {
    let inputs: Vec<&Input> = inputs.iter().filter(|i| i.ecosystem == "go").collect();
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let Project {
        go_mod, modules, ..
    } = read_project(dir)?;
    let versions = installed_versions(apt)?;
    let mut planned = Vec::new();
    for input in inputs {
        let (module, version) = (input.name.as_str(), input.version.as_str());
        let mut candidates =
            archive.candidates(|e| go::carries(&e.package, e.homepage.as_deref(), module));
        // An installed package is weighed at its installed version.
        let unlisted = unlisted(&mut candidates, &versions);
        let step = go::plan(module, version, &candidates);
        let (step, target) = match (step.action, unlisted) {
            (Action::Keep, Some(reason)) if step.package.is_none() => (step.kept(reason), None),
            (Action::Swap, _) => confirm(step, &go_mod, modules.as_ref().map(|m| &m.1), apt),
            _ => (step, None),
        };
        planned.push(Planned {
            ecosystem: "go",
            step,
            target,
        });
    }
    Ok(planned)
}

/// Drops the candidates of installed packages at another version than the
/// installed one; when that leaves none, why (the installed version is in
/// no verified index).
pub(super) fn unlisted(
    candidates: &mut Vec<Candidate>,
    versions: &BTreeMap<String, String>,
) -> Option<String> {
    let before = candidates.clone();
    candidates.retain(|c| versions.get(&c.package).is_none_or(|v| *v == c.version));
    if !candidates.is_empty() {
        return None;
    }
    before.iter().find_map(|c| {
        versions.get(&c.package).map(|v| {
            format!(
                "{} {v} is installed, but no verified package index lists that version",
                c.package
            )
        })
    })
}

/// A swap the plan chose, checked against the project and the installed
/// tree: kept, saying why, when go.mod already replaces the module, when
/// it is not vendored, when the package is not installed or lacks a
/// package the build uses.
fn confirm(
    step: Step,
    go_mod: &GoMod,
    modules: Option<&ModulesTxt>,
    apt: &AptArgs,
) -> (Step, Option<Target>) {
    let module = step.name.clone();
    let package = step.package.clone().unwrap_or_default();
    if let Some(with) = go_mod.replacement(&module, &step.version) {
        let reason = format!("go.mod already replaces it by {with}");
        return (step.kept(reason), None);
    }
    let Some(packages) = modules.and_then(|m| vendored_packages(m, &module, &step.version)) else {
        let reason = "it is not vendored (vendor/modules.txt does not list it): the swap \
                      rewrites the vendor tree `go mod vendor` made"
            .to_string();
        return (step.kept(reason), None);
    };
    let dir = installed(apt, &Path::new(GOCODE).join(&module));
    if !dir.is_dir() {
        let reason = not_installed(&package, &dir);
        return (step.kept(reason), None);
    }
    for p in packages {
        let rel = p
            .strip_prefix(module.as_str())
            .unwrap_or("")
            .trim_start_matches('/');
        let from = dir.join(rel);
        let has_go = package_files(&from)
            .map(|files| {
                files
                    .iter()
                    .any(|f| f.extension().is_some_and(|e| e == "go"))
            })
            .unwrap_or(false);
        if !has_go {
            let reason = format!(
                "the build uses package {p}, which {package} does not install ({} has no Go file)",
                from.display()
            );
            return (step.kept(reason), None);
        }
    }
    let target = Target {
        dir,
        package,
        version: step.package_version.clone().unwrap_or_default(),
    };
    (step, Some(target))
}

/// The files to put in one vendored package directory: name and bytes.
type Files = Vec<(PathBuf, Vec<u8>)>;

/// Whether a directory can stand unquoted in go.mod and modules.txt.
fn plain_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.contains("//")
        && path.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | '~' | '@')
        })
}

/// Applies the Go swaps of `planned` to the project in `dir`: go.mod's
/// `replace` directives, `vendor/modules.txt`'s replacement marks, and
/// every vendored package directory of each swapped module holding
/// Debian's files instead. All or nothing: on any error every file gets
/// its previous bytes back.
pub fn write(dir: &Path, planned: &[Planned]) -> Result<()> {
    let swaps = swaps(planned, "go");
    if swaps.is_empty() {
        return Ok(());
    }
    let Project {
        go_mod_text,
        go_mod,
        modules,
    } = read_project(dir)?;
    let Some((modules_text, modules)) = modules else {
        bail!(
            "cannot unbundle {}: it has no vendor/modules.txt (run `go mod vendor` first)",
            dir.display()
        );
    };
    // Everything is read and checked before the first write.
    let mut replaces = String::new();
    let mut marked: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut copies: Vec<(PathBuf, Files)> = Vec::new();
    for (step, target) in &swaps {
        let (module, version) = (step.name.as_str(), step.version.as_str());
        let shown = target.dir.display().to_string();
        if !plain_path(&shown) {
            bail!("cannot unbundle {module}: the directory {shown:?} is not a plain absolute path");
        }
        if let Some(with) = go_mod.replacement(module, version) {
            bail!("cannot unbundle {module}: go.mod already replaces it by {with}");
        }
        let packages = vendored_packages(&modules, module, version).with_context(|| {
            format!("cannot unbundle {module} {version}: vendor/modules.txt does not list it")
        })?;
        for p in packages {
            let rel = p.strip_prefix(module).unwrap_or("").trim_start_matches('/');
            let mut files = Vec::new();
            for from in package_files(&target.dir.join(rel))? {
                let name = from.file_name().map(PathBuf::from).unwrap_or_default();
                let bytes = crate::files::read_capped(&from, MAX_SOURCE, "Go source file")?;
                files.push((name, bytes));
            }
            copies.push((dir.join("vendor").join(p), files));
        }
        replaces.push_str(&format!("replace {module} {version} => {shown}\n"));
        marked.insert((module.to_string(), version.to_string(), shown));
    }
    let mut new_go_mod = go_mod_text.clone();
    if !new_go_mod.ends_with('\n') {
        new_go_mod.push('\n');
    }
    new_go_mod.push('\n');
    new_go_mod.push_str(&replaces);
    let mut new_modules = String::with_capacity(modules_text.len());
    for line in modules_text.split_inclusive('\n') {
        let fields: Vec<&str> = line
            .strip_prefix("# ")
            .unwrap_or("")
            .split_whitespace()
            .collect();
        match fields.as_slice() {
            [module, version] => {
                match marked.iter().find(|(m, v, _)| m == module && v == version) {
                    Some((_, _, shown)) => {
                        new_modules.push_str(&format!("# {module} {version} => {shown}\n"))
                    }
                    None => new_modules.push_str(line),
                }
            }
            _ => new_modules.push_str(line),
        }
    }
    all_or_nothing(dir, "its files", |journal| {
        journal.write(&dir.join("go.mod"), new_go_mod.as_bytes())?;
        journal.write(&dir.join("vendor/modules.txt"), new_modules.as_bytes())?;
        for (to, files) in &copies {
            for old in package_files(to)? {
                journal.remove(&old)?;
            }
            for (name, bytes) in files {
                journal.write(&to.join(name), bytes)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use vouch_attest::Ecosystem;
    use vouch_unbundle::Delta;

    use super::*;
    use crate::swap::go_npm::{file_names, go};
    use crate::swap::journal::copy_tree;
    use crate::swap::tests::apt;

    /// The authored project (testdata/projects/go-unbundle/SOURCE.md),
    /// copied to a temporary directory.
    fn project() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("project");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/projects/go-unbundle");
        copy_tree(&src, &dir).unwrap();
        (tmp, dir)
    }

    fn input(version: &str) -> Input {
        let mut input = Input::declared("go", "github.com/pkg/errors", version, "", "");
        input.path = Some("vendor/github.com/pkg/errors".into());
        input
    }

    #[test]
    fn the_swap_builds_with_go_build_mod_vendor() {
        let (tmp, dir) = project();
        let apt = apt(Path::new("/"));
        let archive = Archive::load(&apt, jiff::Timestamp::now()).unwrap();
        // The input as discovery finds it.
        let inputs = vouch_attest::go::Go
            .discover(&vouch_attest::Root::new(&dir).unwrap())
            .unwrap();
        assert_eq!(inputs.len(), 1);
        assert_eq!(
            (inputs[0].name.as_str(), inputs[0].version.as_str()),
            ("github.com/pkg/errors", "v0.9.1")
        );
        let planned = plan(&dir, std::slice::from_ref(&inputs[0]), &archive, &apt).unwrap();
        assert_eq!(planned.len(), 1);
        let step = &planned[0].step;
        assert_eq!(
            (step.action, step.delta),
            (Action::Swap, Some(Delta::Same)),
            "{}",
            step.reason
        );
        assert_eq!(
            step.package.as_deref(),
            Some("golang-github-pkg-errors-dev")
        );
        let target = planned[0].target.as_ref().unwrap();
        let debian = Path::new("/usr/share/gocode/src/github.com/pkg/errors");
        assert_eq!(target.dir, debian);
        // A vendored copy that differs from Debian's, and a file Debian does
        // not ship: both give way to Debian's files.
        let vendored = dir.join("vendor/github.com/pkg/errors");
        fs::write(
            vendored.join("stack.go"),
            b"package errors\n// not Debian's\n",
        )
        .unwrap();
        fs::write(vendored.join("LICENSE"), b"upstream licence\n").unwrap();
        write(&dir, &planned).unwrap();

        let go_mod = fs::read_to_string(dir.join("go.mod")).unwrap();
        assert!(
            go_mod.ends_with(
                "\nreplace github.com/pkg/errors v0.9.1 => /usr/share/gocode/src/github.com/pkg/errors\n"
            ),
            "{go_mod}"
        );
        assert_eq!(
            fs::read_to_string(dir.join("vendor/modules.txt")).unwrap(),
            "# github.com/pkg/errors v0.9.1 => /usr/share/gocode/src/github.com/pkg/errors\n\
             ## explicit\ngithub.com/pkg/errors\n"
        );
        let names = file_names(&vendored);
        assert_eq!(names, ["errors.go", "go113.go", "stack.go"]);
        for name in &names {
            assert_eq!(
                fs::read(vendored.join(name)).unwrap(),
                fs::read(debian.join(name)).unwrap(),
                "{name}"
            );
        }
        let built = go(
            &dir,
            tmp.path(),
            &["build", "-mod=vendor", "-o", "hello", "."],
        );
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
        let run = Command::new(dir.join("hello")).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&run.stdout), "wrapped: root\n");
        // The discovery of the swapped project sees the replacement.
        let go_mod = read_project(&dir).unwrap().go_mod;
        assert!(go_mod
            .replacement("github.com/pkg/errors", "v0.9.1")
            .is_some());
    }

    #[test]
    fn another_major_or_a_package_not_installed_is_kept() {
        let (_tmp, dir) = project();
        let empty = tempfile::tempdir().unwrap();
        let apt_here = apt(Path::new("/"));
        let archive = Archive::load(&apt_here, jiff::Timestamp::now()).unwrap();
        // Debian's 0.9.1 is not v2 (+incompatible) of the module.
        let major = plan(&dir, &[input("v2.0.0+incompatible")], &archive, &apt_here).unwrap();
        assert_eq!(
            (major[0].step.action, major[0].step.delta),
            (Action::Keep, Some(Delta::Incompatible))
        );
        assert!(major[0].target.is_none());
        // Under a distribution root where nothing is installed.
        let apt_empty = apt(empty.path());
        let absent = plan(&dir, &[input("v0.9.1")], &archive, &apt_empty).unwrap();
        assert_eq!(absent[0].step.action, Action::Keep);
        assert!(
            absent[0]
                .step
                .reason
                .starts_with("golang-github-pkg-errors-dev is not installed"),
            "{}",
            absent[0].step.reason
        );
        // Nothing to write for kept steps: the project is unchanged.
        let before = fs::read(dir.join("go.mod")).unwrap();
        write(&dir, &absent).unwrap();
        assert_eq!(fs::read(dir.join("go.mod")).unwrap(), before);
    }

    #[test]
    fn an_installed_package_is_weighed_at_its_installed_version() {
        let c = |v: &str| Candidate {
            package: "golang-github-pkg-errors-dev".into(),
            version: v.into(),
        };
        let versions = BTreeMap::from([(
            "golang-github-pkg-errors-dev".to_string(),
            "0.9.1-2".to_string(),
        )]);
        let mut both = vec![c("0.9.1-2"), c("0.9.2-1")];
        assert_eq!(unlisted(&mut both, &versions), None);
        assert_eq!(both, vec![c("0.9.1-2")]);
        let mut newer = vec![c("0.9.2-1")];
        assert_eq!(
            unlisted(&mut newer, &versions).as_deref(),
            Some(
                "golang-github-pkg-errors-dev 0.9.1-2 is installed, but no verified package \
                 index lists that version"
            )
        );
        let mut not_installed = vec![c("0.9.2-1")];
        assert_eq!(unlisted(&mut not_installed, &BTreeMap::new()), None);
        assert_eq!(not_installed.len(), 1);
    }

    /// The project's author controls the vendor tree: a vendored package
    /// directory that is a symbolic link out of the project must not be
    /// emptied and written through (the swap would delete and replace the
    /// files of a directory elsewhere on the machine).
    #[test]
    fn regression_issue_16_a_write_does_not_follow_a_symlinked_vendor_directory() {
        let (tmp, dir) = project();
        let apt = apt(Path::new("/"));
        let archive = Archive::load(&apt, jiff::Timestamp::now()).unwrap();
        let vendored = dir.join("vendor/github.com/pkg/errors");
        let elsewhere = tmp.path().join("elsewhere");
        copy_tree(&vendored, &elsewhere).unwrap();
        fs::write(elsewhere.join("victim.go"), b"package errors\n// mine\n").unwrap();
        fs::remove_dir_all(&vendored).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &vendored).unwrap();
        let before: Vec<(PathBuf, Vec<u8>)> = package_files(&elsewhere)
            .unwrap()
            .into_iter()
            .map(|f| (f.clone(), fs::read(&f).unwrap()))
            .collect();
        let go_mod = fs::read(dir.join("go.mod")).unwrap();
        let planned = plan(&dir, &[input("v0.9.1")], &archive, &apt).unwrap();
        assert_eq!(
            planned[0].step.action,
            Action::Swap,
            "{}",
            planned[0].step.reason
        );
        let err = write(&dir, &planned).unwrap_err();
        assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        let after: Vec<(PathBuf, Vec<u8>)> = package_files(&elsewhere)
            .unwrap()
            .into_iter()
            .map(|f| (f.clone(), fs::read(&f).unwrap()))
            .collect();
        assert_eq!(before, after, "files outside the project were changed");
        assert_eq!(fs::read(dir.join("go.mod")).unwrap(), go_mod);
    }

    #[test]
    fn a_failed_write_restores_every_file() {
        let (tmp, dir) = project();
        let apt = apt(Path::new("/"));
        let archive = Archive::load(&apt, jiff::Timestamp::now()).unwrap();
        let mut planned = plan(&dir, &[input("v0.9.1")], &archive, &apt).unwrap();
        assert_eq!(planned[0].step.action, Action::Swap);
        // A distribution directory with a second package, which modules.txt
        // lists but whose vendored directory is gone: the write fails after
        // go.mod, modules.txt and the first package were written.
        let debian = tmp.path().join("debian");
        copy_tree(&planned[0].target.as_ref().unwrap().dir, &debian).unwrap();
        fs::create_dir(debian.join("internal")).unwrap();
        fs::write(debian.join("internal/internal.go"), b"package internal\n").unwrap();
        planned[0].target.as_mut().unwrap().dir = debian;
        let modules = "# github.com/pkg/errors v0.9.1\n## explicit\ngithub.com/pkg/errors\n\
                       github.com/pkg/errors/internal\n";
        fs::write(dir.join("vendor/modules.txt"), modules).unwrap();
        let stack = dir.join("vendor/github.com/pkg/errors/stack.go");
        fs::write(&stack, b"package errors\n// not Debian's\n").unwrap();
        let go_mod = fs::read(dir.join("go.mod")).unwrap();
        let err = write(&dir, &planned).unwrap_err();
        assert!(
            format!("{err:#}").contains("its files are unchanged"),
            "{err:#}"
        );
        assert_eq!(fs::read(dir.join("go.mod")).unwrap(), go_mod);
        assert_eq!(
            fs::read_to_string(dir.join("vendor/modules.txt")).unwrap(),
            modules
        );
        assert_eq!(
            fs::read(&stack).unwrap(),
            b"package errors\n// not Debian's\n"
        );
    }
}
