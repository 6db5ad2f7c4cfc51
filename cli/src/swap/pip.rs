//! Python distributions and Debian's `python3-*` packages (`vouch
//! unbundle`): planned, never swapped. The plan finds the package whose
//! installed `<name>-<version>.dist-info` (or `.egg-info`) under
//! `<distro-root>/usr/lib/python3/dist-packages` names the distribution
//! (dpkg's file lists say which package installed it, dpkg's status which
//! version), and [`vouch_unbundle::pip`] says how its version stands to
//! the pin and why no swap is written: pip has no sound mechanism for it
//! (see that module and docs/decisions.md). The inputs of `poetry.lock`,
//! `uv.lock` and `Pipfile.lock` are ecosystem `pip` too, planned the same
//! way, and never written either: no lockfile is edited.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use vouch_attest::Input;
use vouch_unbundle::{pip, Action, Candidate, Step};

use super::{installed, installed_versions, Archive, Planned};
use crate::args::AptArgs;
use crate::files::read_capped;

/// Where Debian's Python 3 packages install distributions.
const DIST_PACKAGES: &str = "/usr/lib/python3/dist-packages";
/// The largest dpkg file list read.
const MAX_DPKG_FILE: u64 = 256 << 20;

/// Per normalised distribution name: the metadata directory's name and
/// the version it gives, from the installed dist-packages.
fn installed_dists(apt: &AptArgs) -> Result<BTreeMap<String, (String, String)>> {
    let dir = installed(apt, Path::new(DIST_PACKAGES));
    let mut out = BTreeMap::new();
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(out); // nothing installed there
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some((dist, version)) = pip::dist_info(&name) {
            out.insert(dist, (name, version));
        }
    }
    Ok(out)
}

/// The installed package whose dpkg file list holds
/// `/usr/lib/python3/dist-packages/<metadata>`, with its installed version.
fn owner(apt: &AptArgs, metadata: &str) -> Result<Option<(String, String)>> {
    let info = installed(apt, Path::new("/var/lib/dpkg/info"));
    let wanted = format!("{DIST_PACKAGES}/{metadata}");
    let Ok(entries) = fs::read_dir(&info) else {
        return Ok(None);
    };
    let mut package = None;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", info.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name
            .strip_suffix(".list")
            .filter(|s| s.starts_with("python3-"))
        else {
            continue;
        };
        let list = read_capped(&entry.path(), MAX_DPKG_FILE, "dpkg file list")?;
        if String::from_utf8_lossy(&list).lines().any(|l| l == wanted) {
            package = Some(stem.split(':').next().unwrap_or(stem).to_string());
            break;
        }
    }
    let Some(package) = package else {
        return Ok(None);
    };
    Ok(installed_versions(apt)?
        .remove(&package)
        .map(|version| (package, version)))
}

/// Plans the pip inputs among `inputs` (the project's directory is not
/// read: the requirements were, by discovery): each distribution's
/// installed `python3-*` package, if any, and its version's delta; every
/// step is kept. A package installed at a version no verified index lists
/// is named as such.
pub fn plan(
    _dir: &Path,
    inputs: &[Input],
    archive: &Archive,
    apt: &AptArgs,
) -> Result<Vec<Planned>> {
    let inputs: Vec<&Input> = inputs.iter().filter(|i| i.ecosystem == "pip").collect();
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let dists = installed_dists(apt)?;
    let mut planned = Vec::new();
    for input in inputs {
        let mut candidates = Vec::new();
        let mut unlisted = None;
        if let Some((metadata, upstream)) = dists.get(&pip::normalize(&input.name)) {
            if let Some((package, version)) = owner(apt, metadata)? {
                let listed = archive
                    .packages()
                    .any(|(_, e)| e.package == package && e.version == version);
                if listed {
                    candidates.push((Candidate { package, version }, upstream.clone()));
                } else {
                    unlisted = Some(format!(
                        "{package} {version} is installed, but no verified package index lists it"
                    ));
                }
            }
        }
        let step = pip::plan(&input.name, &input.version, &candidates);
        let step = match unlisted {
            Some(reason) => Step { reason, ..step },
            None => step,
        };
        planned.push(Planned {
            ecosystem: "pip",
            step,
            target: None,
        });
    }
    Ok(planned)
}

/// Writes nothing: no pip step is ever a swap (see [`pip::NO_MECHANISM`]);
/// a plan that says otherwise is refused.
pub fn write(dir: &Path, planned: &[Planned]) -> Result<()> {
    if let Some(p) = planned
        .iter()
        .find(|p| p.ecosystem == "pip" && p.step.action == Action::Swap)
    {
        bail!(
            "cannot unbundle {} in {}: {}",
            p.step.name,
            dir.display(),
            pip::NO_MECHANISM
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use vouch_unbundle::Delta;

    use super::*;
    use crate::swap::tests::apt;

    /// python3-six is installed on this machine (Debian 12's 1.16.0-4,
    /// `six-1.16.0.egg-info`; scripts/install-oracles.sh installs it).
    #[test]
    fn the_plan_names_the_installed_package_and_keeps_it() {
        let apt = apt(Path::new("/"));
        let archive = Archive::load(&apt, jiff::Timestamp::now()).unwrap();
        let mut six = Input::declared("pip", "six", "1.16.0", "", "");
        six.path = Some("wheelhouse/six-1.16.0-py2.py3-none-any.whl".into());
        let absent = Input::declared("pip", "left-pad-py", "1.0.0", "", "");
        let planned = plan(Path::new("."), &[six.clone(), absent], &archive, &apt).unwrap();
        let step = &planned[0].step;
        assert_eq!(
            (step.action, step.delta),
            (Action::Keep, Some(Delta::Same)),
            "{}",
            step.reason
        );
        assert_eq!(step.package.as_deref(), Some("python3-six"));
        assert_eq!(step.upstream_version.as_deref(), Some("1.16.0"));
        assert!(step.reason.ends_with(pip::NO_MECHANISM), "{}", step.reason);
        assert!(planned[0].target.is_none());
        assert_eq!(planned[1].step.package, None);
        write(Path::new("."), &planned).unwrap();
        // A swap is refused, whoever made the plan.
        let mut forged = plan(Path::new("."), &[six], &archive, &apt).unwrap();
        forged[0].step.action = Action::Swap;
        let err = write(Path::new("."), &forged).unwrap_err();
        assert!(format!("{err:#}").contains("no swap is written"), "{err:#}");
    }
}
