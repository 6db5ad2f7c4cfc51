//! The OS packages of an image as inputs: what `ospkg`'s scan of its
//! layers found (dpkg, apk, RPM databases), each an [`Input`] of ecosystem
//! `deb`, `apk` or `rpm` with its purl (`pkg:deb/debian/zlib1g@...?
//! arch=amd64&distro=debian-12`), its source package, the layer that
//! wrote its entry and its database, so that the criticality rules, the
//! SBOMs, the provenance and the vulnerability gate treat it like any other
//! input. Nothing is vendored: its status is `not-vendored` (nothing
//! declared to compare), which the vendored-input rules leave alone.

use vouch_evidence::input::{os_purl, OsOrigin};
use vouch_ospkg::scan::Scan;
use vouch_ospkg::Manager;

use crate::{Input, Result};

/// vouch's ecosystem name for a package manager's packages.
pub fn ecosystem(manager: Manager) -> &'static str {
    match manager {
        Manager::Dpkg => "deb",
        Manager::Apk => "apk",
        Manager::Rpm => "rpm",
    }
}

/// Every package of `scan` as an input, in the scan's order. The purl's
/// namespace is the os-release `ID` (`unknown` without one) and its
/// `distro` qualifier `<ID>-<VERSION_ID>` (the `ID` alone without a
/// `VERSION_ID`, none without os-release).
pub fn inputs(scan: &Scan) -> Result<Vec<Input>> {
    let release = scan.os.as_ref().map(|(_, release)| release);
    let id = release.and_then(|r| r.id.as_deref());
    let distro = id.map(|id| match release.and_then(|r| r.version_id.as_deref()) {
        Some(version_id) => format!("{id}-{version_id}"),
        None => id.to_string(),
    });
    scan.packages
        .iter()
        .map(|located| {
            let p = &located.package;
            let ecosystem = ecosystem(p.manager);
            let purl = os_purl(
                ecosystem,
                id.unwrap_or("unknown"),
                distro.as_deref(),
                &p.name,
                &p.version,
                p.architecture.as_deref(),
            )?;
            let mut input = Input::declared(ecosystem, &p.name, &p.version, purl.as_str(), "");
            input.license = p.license.clone();
            input.declared = p.checksum.clone();
            input.os = Some(OsOrigin {
                source_name: p.source_name.clone(),
                source_version: p.source_version.clone(),
                layer: located.layer.clone(),
                database: located.database.clone(),
                third_party: located.third_party,
            });
            Ok(input)
        })
        .collect()
}
