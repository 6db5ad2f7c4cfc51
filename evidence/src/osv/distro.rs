//! The distributions whose OSV records vouch matches: their version
//! orders, which package name their records use, and which of their OSV
//! ecosystems apply to an image, from its os-release.

use super::ecosystem::Ecosystem;
use super::version::Scheme;

/// A distribution family as OSV names it (the part of an ecosystem name
/// before the first `:`), for those whose version order vouch implements.
/// Which version order each uses is osv.dev's (go/osv/ecosystem).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Distro {
    /// `Debian:<major>` ("Debian:12"): dpkg order, source packages.
    Debian,
    /// `Ubuntu:<release>[:LTS]` and `Ubuntu:Pro:<release>:LTS`: dpkg order,
    /// source packages.
    Ubuntu,
    /// `Alpine:v<major>.<minor>`: apk order, origin (source) packages.
    Alpine,
    /// `Wolfi`: apk order, origin packages; one rolling release.
    Wolfi,
    /// `Chainguard`: apk order, origin packages; one rolling release.
    Chainguard,
    /// `Red Hat:<product>:<version>::<stream>`
    /// ("Red Hat:enterprise_linux:9::appstream"): RPM order.
    RedHat,
    /// `SUSE:<product> <version>` ("SUSE:Linux Enterprise Server 15 SP5"):
    /// RPM order.
    Suse,
    /// `openSUSE:<product> <version>` ("openSUSE:Leap 15.5",
    /// "openSUSE:Tumbleweed"): RPM order.
    OpenSuse,
    /// `Rocky Linux:<major>`: RPM order.
    RockyLinux,
    /// `AlmaLinux:<major>`: RPM order.
    AlmaLinux,
    /// `Azure Linux:<version>`: RPM order (no os-release mapping yet).
    AzureLinux,
    /// `Mageia:<version>`: RPM order (no os-release mapping yet).
    Mageia,
    /// `openEuler:<version>`: RPM order (no os-release mapping yet).
    OpenEuler,
}

/// Each family's OSV name and version order.
const FAMILIES: &[(Distro, &str, Scheme)] = &[
    (Distro::Debian, "Debian", Scheme::Dpkg),
    (Distro::Ubuntu, "Ubuntu", Scheme::Dpkg),
    (Distro::Alpine, "Alpine", Scheme::Apk),
    (Distro::Wolfi, "Wolfi", Scheme::Apk),
    (Distro::Chainguard, "Chainguard", Scheme::Apk),
    (Distro::RedHat, "Red Hat", Scheme::Rpm),
    (Distro::Suse, "SUSE", Scheme::Rpm),
    (Distro::OpenSuse, "openSUSE", Scheme::Rpm),
    (Distro::RockyLinux, "Rocky Linux", Scheme::Rpm),
    (Distro::AlmaLinux, "AlmaLinux", Scheme::Rpm),
    (Distro::AzureLinux, "Azure Linux", Scheme::Rpm),
    (Distro::Mageia, "Mageia", Scheme::Rpm),
    (Distro::OpenEuler, "openEuler", Scheme::Rpm),
];

/// The Red Hat Enterprise Linux repositories ("streams") whose records
/// apply to a RHEL (or UBI) image of a major release: the main streams of
/// Red Hat's OSV and CSAF product names (`enterprise_linux:9::appstream`).
/// The EUS, AUS, E4S and TUS streams (`rhel_eus:9.2::appstream`) are left
/// out: they need a subscription the image's os-release does not show, and
/// their fixes are z-stream builds a mainline image does not get.
const RHEL_STREAMS: &[&str] = &[
    "appstream",
    "baseos",
    "crb",
    "highavailability",
    "nfv",
    "realtime",
    "resilientstorage",
    "sap",
    "sap_hana",
    "supplementary",
];

impl Distro {
    /// The family of an OSV ecosystem name's base ("Debian", "Red Hat").
    pub(super) fn from_osv(base: &str) -> Option<Distro> {
        FAMILIES
            .iter()
            .find(|(_, name, _)| *name == base)
            .map(|(d, _, _)| *d)
    }

    /// The version order of its `ECOSYSTEM` ranges.
    pub(super) fn scheme(self) -> Scheme {
        FAMILIES
            .iter()
            .find(|(d, _, _)| *d == self)
            .map_or(Scheme::Rpm, |(_, _, scheme)| *scheme)
    }

    /// The package names to look an installed package up by, in this
    /// family's records, given its binary name and its source name (dpkg's
    /// `Source:`, apk's origin `o:`, the name of RPM's source RPM; the
    /// binary name where the database names no other).
    ///
    /// Debian, Ubuntu, Alpine, Wolfi and Chainguard publish advisories by
    /// source package (`pkg:deb/debian/zlib?arch=source`,
    /// `pkg:apk/alpine/curl?arch=source`): only the source name. The RPM
    /// distributions (Red Hat, SUSE, openSUSE, Rocky Linux, AlmaLinux, ...)
    /// list the binary packages an advisory updates (`apr-util`,
    /// `apr-util-devel`), some records the source RPM (a purl with
    /// `arch=src`): both names, the binary first. Binaries built from one
    /// source RPM share its version, so either name reaches the same fix.
    pub fn names_to_match<'a>(self, binary: &'a str, source: &'a str) -> Vec<&'a str> {
        match self.scheme() {
            Scheme::Rpm if binary != source => vec![binary, source],
            Scheme::Rpm => vec![binary],
            _ => vec![source],
        }
    }
}

/// The fields of an image's os-release (`/etc/os-release`, else
/// `/usr/lib/os-release`) that say which distribution release it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OsRelease<'a> {
    /// `ID` ("debian", "ubuntu", "alpine", "rhel", "rocky", "almalinux",
    /// "sles", "opensuse-leap", "opensuse-tumbleweed", "wolfi",
    /// "chainguard").
    pub id: &'a str,
    /// `VERSION_ID` ("12", "22.04", "3.19.1", "9.3", "15.5"), if present.
    pub version_id: Option<&'a str>,
    /// `ID_LIKE`, only to name the parent in the error for a derivative:
    /// its own `VERSION_ID` is not its parent's release, so it is not
    /// mapped to the parent's records.
    pub id_like: Option<&'a str>,
}

/// The `<major>` and `<minor>` of a `VERSION_ID` made of dot-separated
/// numbers ("9.3" -> (9, Some(3)), "12" -> (12, None)).
fn major_minor(version_id: &str) -> Option<(u32, Option<u32>)> {
    let mut parts = version_id.split('.');
    let number = |p: &str| {
        (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let major = number(parts.next()?)?;
    let minor = match parts.next() {
        Some(p) => Some(number(p)?),
        None => None,
    };
    parts.all(|p| number(p).is_some()).then_some((major, minor))
}

impl<'a> OsRelease<'a> {
    /// The os-release an OS package's purl names in its `distro`
    /// qualifier, as vouch writes it (`<ID>-<VERSION_ID>`: `debian-12`,
    /// `ubuntu-22.04`, `opensuse-leap-15.5`, `wolfi-20230201`), so that an
    /// input known by its purl finds its ecosystems: split at the last `-`
    /// when what follows starts with a digit (a `VERSION_ID` has no `-`, an
    /// `ID` may: `opensuse-tumbleweed`, `sle-micro`); otherwise the whole is
    /// the `ID`, without a release.
    pub fn from_purl_distro(distro: &'a str) -> OsRelease<'a> {
        match distro.rsplit_once('-') {
            Some((id, version_id)) if version_id.starts_with(|c: char| c.is_ascii_digit()) => {
                OsRelease {
                    id,
                    version_id: Some(version_id),
                    id_like: None,
                }
            }
            _ => OsRelease {
                id: distro,
                version_id: None,
                id_like: None,
            },
        }
    }

    /// The OSV ecosystems whose records apply to packages of this
    /// release, each to be looked up with [`Distro::names_to_match`]; an
    /// error the caller can show when the distribution or its release is
    /// unknown or missing, never a wildcard that would match every
    /// release's records:
    ///
    /// - `debian` 12 -> `Debian:12` (testing and sid have no `VERSION_ID`
    ///   and no OSV release: an error);
    /// - `ubuntu` 22.04 -> `Ubuntu:22.04:LTS` and `Ubuntu:Pro:22.04:LTS`;
    ///   24.10 -> `Ubuntu:24.10`. Ubuntu Pro records cover the ESM pockets
    ///   (esm-infra, esm-apps): for an LTS release they are the only
    ///   records of its universe packages and, once standard support ends,
    ///   of all its packages, and an image without Pro is affected by
    ///   them until it has the ESM fix; so they apply to every LTS image.
    ///   (The converse is left to the caller: a package already updated from
    ///   an ESM pocket, its version carrying `esm`, is fixed per the Pro
    ///   record but still inside an unfixed standard record's range.)
    ///   The FIPS records (`Ubuntu:Pro:FIPS...`) are about the FIPS builds
    ///   of a few packages, which an os-release does not show: left out;
    /// - `alpine` 3.19.1 -> `Alpine:v3.19` (edge, `3.21.0_alpha...`, has no
    ///   OSV release: an error);
    /// - `wolfi` -> `Wolfi`, `chainguard` -> `Chainguard` (rolling: no
    ///   release);
    /// - `rhel` 9.3 -> `Red Hat:enterprise_linux:9::<stream>` for each main
    ///   stream (BaseOS, AppStream, CRB, ...; see `RHEL_STREAMS`);
    /// - `rocky` 9.3 -> `Rocky Linux:9`, `almalinux` 9.3 -> `AlmaLinux:9`;
    /// - `sles` 15.5 -> `SUSE:Linux Enterprise Server 15 SP5` and the
    ///   modules its packages come from (`Basesystem`, `Server
    ///   Applications`), 15 -> `... 15`; `sle-micro` 5.5 ->
    ///   `SUSE:Linux Enterprise Micro 5.5`;
    /// - `opensuse-leap` 15.5 -> `openSUSE:Leap 15.5`,
    ///   `opensuse-tumbleweed` -> `openSUSE:Tumbleweed`.
    pub fn ecosystems(&self) -> Result<(Distro, Vec<Ecosystem>), String> {
        let id = self.id;
        let what = match self.version_id {
            Some(v) => format!("{id} {v}"),
            None => format!("{id} (no VERSION_ID)"),
        };
        let no_release = |why: &str| Err(format!("no OSV release for os-release {what}: {why}"));
        let numbers = self.version_id.and_then(major_minor);
        let (distro, names): (Distro, Vec<String>) = match id {
            "debian" => match numbers {
                Some((major, None)) => (Distro::Debian, vec![format!("Debian:{major}")]),
                _ => return no_release("Debian's VERSION_ID is its major release (12)"),
            },
            "ubuntu" => match (numbers, self.version_id) {
                (Some((year, Some(month))), Some(v)) => {
                    if month == 4 && year % 2 == 0 {
                        let lts = vec![format!("Ubuntu:{v}:LTS"), format!("Ubuntu:Pro:{v}:LTS")];
                        (Distro::Ubuntu, lts)
                    } else {
                        (Distro::Ubuntu, vec![format!("Ubuntu:{v}")])
                    }
                }
                _ => return no_release("Ubuntu's VERSION_ID is its release (22.04)"),
            },
            "alpine" => {
                let release = self.version_id.filter(|v| !v.contains('_'));
                match release.map(|v| v.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")) {
                    Some(mm) if matches!(major_minor(&mm), Some((_, Some(_)))) => {
                        (Distro::Alpine, vec![format!("Alpine:v{mm}")])
                    }
                    _ => {
                        return no_release(
                            "Alpine's releases are <major>.<minor>[.<patch>]; edge has none",
                        )
                    }
                }
            }
            "wolfi" => (Distro::Wolfi, vec!["Wolfi".to_owned()]),
            "chainguard" => (Distro::Chainguard, vec!["Chainguard".to_owned()]),
            "rhel" => match numbers {
                Some((major, _)) => (
                    Distro::RedHat,
                    RHEL_STREAMS
                        .iter()
                        .map(|s| format!("Red Hat:enterprise_linux:{major}::{s}"))
                        .collect(),
                ),
                None => return no_release("RHEL's VERSION_ID is <major>.<minor> (9.3)"),
            },
            "rocky" | "almalinux" => {
                let (distro, name) = if id == "rocky" {
                    (Distro::RockyLinux, "Rocky Linux")
                } else {
                    (Distro::AlmaLinux, "AlmaLinux")
                };
                match numbers {
                    Some((major, _)) => (distro, vec![format!("{name}:{major}")]),
                    None => return no_release("the VERSION_ID is <major>.<minor> (9.3)"),
                }
            }
            "sles" => {
                let release = match numbers {
                    Some((major, None | Some(0))) => major.to_string(),
                    Some((major, Some(sp))) => format!("{major} SP{sp}"),
                    None => {
                        return no_release("SLES's VERSION_ID is <major>.<service pack> (15.5)")
                    }
                };
                let products = [
                    "Server",
                    "Module for Basesystem",
                    "Module for Server Applications",
                ];
                let names = products
                    .iter()
                    .map(|p| format!("SUSE:Linux Enterprise {p} {release}"))
                    .collect();
                (Distro::Suse, names)
            }
            "sle-micro" => match (numbers, self.version_id) {
                (Some((_, Some(_))), Some(v)) => (
                    Distro::Suse,
                    vec![format!("SUSE:Linux Enterprise Micro {v}")],
                ),
                _ => return no_release("SLE Micro's VERSION_ID is <major>.<minor> (5.5)"),
            },
            "opensuse-leap" => match (numbers, self.version_id) {
                (Some((_, Some(_))), Some(v)) => {
                    (Distro::OpenSuse, vec![format!("openSUSE:Leap {v}")])
                }
                _ => return no_release("openSUSE Leap's VERSION_ID is <major>.<minor> (15.5)"),
            },
            "opensuse-tumbleweed" => (Distro::OpenSuse, vec!["openSUSE:Tumbleweed".to_owned()]),
            _ => {
                let like = self
                    .id_like
                    .map(|l| {
                        format!(" (ID_LIKE {l:?}: a derivative's releases are not its parent's)")
                    })
                    .unwrap_or_default();
                return Err(format!(
                    "no OSV ecosystem for os-release ID {id:?}{like}: vouch knows debian, ubuntu, \
                     alpine, wolfi, chainguard, rhel, rocky, almalinux, sles, sle-micro, \
                     opensuse-leap and opensuse-tumbleweed"
                ));
            }
        };
        let ecosystems = names
            .iter()
            .map(|n| Ecosystem::parse(n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((distro, ecosystems))
    }
}
