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

/// The purl namespace of an OS package of the distribution whose
/// os-release `ID` is `id`: the vendor's own, as it names its packages in
/// the VEX it publishes (Red Hat's CSAF `pkg:rpm/redhat/...`; SUSE's
/// `pkg:rpm/suse/...`, for SLES and openSUSE alike; see testdata/csaf), so
/// that its statements and a policy's `answersFor` (`pkg:rpm/redhat/*`)
/// name the packages of its images; else the `ID` itself (`debian`,
/// `ubuntu`, `alpine`, as those vendors write it).
fn namespace(id: &str) -> &str {
    match id {
        "rhel" => "redhat",
        "sles" | "sle-micro" | "opensuse-leap" | "opensuse-tumbleweed" | "opensuse-microos" => {
            "suse"
        }
        other => other,
    }
}

/// Every package of `scan` as an input, in the scan's order. The purl's
/// namespace is the vendor's ([`namespace`]; `unknown` without os-release)
/// and its `distro` qualifier `<ID>-<VERSION_ID>` (the `ID` alone without
/// a `VERSION_ID`, none without os-release), which names the release.
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
                id.map_or("unknown", namespace),
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
