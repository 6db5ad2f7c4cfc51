//! Ruby gems and Debian's `ruby-*` packages (`vouch unbundle`): planned,
//! never swapped. The plan finds the package [`gem::debian_name`] names
//! in the verified package indexes (the archive, not what is installed:
//! nothing is written, so nothing needs to be there), and
//! [`vouch_unbundle::gem`] says how its version stands to the pin and why
//! no swap is written.

use std::path::Path;

use anyhow::{bail, Result};
use vouch_attest::Input;
use vouch_unbundle::{gem, Action};

use super::{Archive, Planned};
use crate::args::AptArgs;

/// Plans the gem inputs among `inputs` (the project is not read again:
/// discovery read the lockfile): each gem's `ruby-<name>` package that a
/// verified index lists, and its version's delta; every step is kept.
pub fn plan(
    _dir: &Path,
    inputs: &[Input],
    archive: &Archive,
    _apt: &AptArgs,
) -> Result<Vec<Planned>> {
    let mut planned = Vec::new();
    for input in inputs.iter().filter(|i| i.ecosystem == "gem") {
        let package = gem::debian_name(&input.name);
        let candidates = archive.candidates(|e| e.package == package);
        planned.push(Planned {
            ecosystem: "gem",
            step: gem::plan(&input.name, &input.version, &candidates),
            target: None,
        });
    }
    Ok(planned)
}

/// Writes nothing: no gem step is ever a swap (see [`gem::NO_MECHANISM`]);
/// a plan that says otherwise is refused.
pub fn write(dir: &Path, planned: &[Planned]) -> Result<()> {
    if let Some(p) = planned
        .iter()
        .find(|p| p.ecosystem == "gem" && p.step.action == Action::Swap)
    {
        bail!(
            "cannot unbundle {} in {}: {}",
            p.step.name,
            dir.display(),
            gem::NO_MECHANISM
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use vouch_unbundle::Delta;

    use super::*;
    use crate::swap::tests::apt;

    /// Debian 12's archive lists ruby-rack (scripts/install-oracles.sh
    /// runs `apt-get update`, so the machine's lists are the archive's;
    /// installing the `ruby` oracle pulls ruby-rack's neighbours, not it).
    #[test]
    fn the_plan_names_the_debian_package_and_keeps_it() {
        let apt = apt(Path::new("/"));
        let archive = Archive::load(&apt, jiff::Timestamp::now()).unwrap();
        let rack = Input::declared("gem", "rack", "2.2.4", "pkg:gem/rack@2.2.4", "");
        let absent = Input::declared("gem", "no-such-gem-xyz", "1.0.0", "", "");
        let planned = plan(Path::new("."), &[rack.clone(), absent], &archive, &apt).unwrap();
        let step = &planned[0].step;
        assert_eq!(step.action, Action::Keep, "{}", step.reason);
        assert_eq!(
            step.package.as_deref(),
            Some("ruby-rack"),
            "{}",
            step.reason
        );
        // Debian 12 packages rack 2.2.x, at least 2.2.6 (2.2.22 today): newer
        // than the pin in RubyGems' order, in the same major series.
        assert_eq!(step.delta, Some(Delta::Newer), "{}", step.reason);
        let packaged = step.upstream_version.as_deref().unwrap();
        assert!(packaged.starts_with("2.2."), "{packaged}");
        assert!(step.reason.ends_with(gem::NO_MECHANISM), "{}", step.reason);
        assert!(planned[0].target.is_none());
        assert_eq!(planned[1].step.package, None);
        write(Path::new("."), &planned).unwrap();
        // A swap is refused, whoever made the plan.
        let mut forged = plan(Path::new("."), &[rack], &archive, &apt).unwrap();
        forged[0].step.action = Action::Swap;
        let err = write(Path::new("."), &forged).unwrap_err();
        assert!(format!("{err:#}").contains("no swap is written"), "{err:#}");
    }
}
