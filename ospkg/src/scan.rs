//! The scan: from an image's applied layers, its OS (os-release) and every
//! installed package, each with the database that listed it, the layer
//! that last wrote its entry, and whether it is a third party's.

use std::collections::BTreeSet;

use crate::layers::{File, Layers, Revision, RPM_DIRS, STATUS_D};
use crate::os_release::{self, OsRelease};
use crate::{apk, dpkg, rpm, Manager, Package, Result};

/// The OS packages of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// The image's os-release, and the path it was read at; `None` when
    /// the image has neither `etc/os-release` nor `usr/lib/os-release`.
    pub os: Option<(String, OsRelease)>,
    /// Every installed package, in database order (dpkg, apk, rpm).
    pub packages: Vec<Located>,
}

/// One installed package, and where the image records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The package.
    pub package: Package,
    /// The database file that lists it, its path inside the image once
    /// links are resolved (`var/lib/dpkg/status`,
    /// `var/lib/dpkg/status.d/libssl3`, `lib/apk/db/installed`, ...).
    pub database: String,
    /// The digest of the layer that last wrote the package's entry: for a
    /// database shared by all packages, the earliest layer from which its
    /// entry is unchanged through to the top; for a file of its own
    /// (`status.d`), the file's last writer. Tells which layer (base image
    /// or application) brought a vulnerable package in.
    pub layer: String,
    /// Positive evidence that the package is not the distribution's (see
    /// [`third_party`]): the distribution's advisories and VEX must not
    /// answer for it.
    pub third_party: bool,
}

/// Scans the applied `layers`.
pub fn scan(layers: &Layers) -> Result<Scan> {
    let mut os = None;
    for path in os_release::PATHS {
        if let Some(file) = layers.read(path)? {
            os = Some((
                file.path.to_owned(),
                OsRelease::parse(file.path, file.content)?,
            ));
            break;
        }
    }
    let mut packages = Vec::new();
    let os_ref = os.as_ref().map(|(_, os)| os);
    let mut push = |package: Package, database: &str, layer: String| {
        let third_party = third_party(os_ref, &package);
        packages.push(Located {
            package,
            database: database.to_owned(),
            layer,
            third_party,
        });
    };

    if let Some(file) = layers.read("var/lib/dpkg/status")? {
        let text = String::from_utf8_lossy(file.content);
        let entries = dpkg::entries(file.path, &text, false)?;
        let keyed = entries
            .iter()
            .map(|e| (dpkg_key(&e.package), e.text))
            .collect::<Vec<_>>();
        let layers = attribute(file, &keyed, |bytes| {
            let text = String::from_utf8_lossy(bytes);
            let old = dpkg::entries(file.path, &text, false).ok()?;
            Some(
                old.iter()
                    .map(|e| (dpkg_key(&e.package), e.text.to_owned()))
                    .collect(),
            )
        });
        for (entry, layer) in entries.into_iter().zip(layers) {
            push(entry.package, file.path, layer);
        }
    }
    for file in layers.list(STATUS_D)? {
        let layer = last_writer(&file);
        for package in dpkg::status_d(file.path, file.content)? {
            push(package, file.path, layer.clone());
        }
    }

    let mut seen = BTreeSet::new();
    for path in ["lib/apk/db/installed", "usr/lib/apk/db/installed"] {
        let Some(file) = layers.read(path)? else {
            continue;
        };
        if !seen.insert(file.path) {
            continue;
        }
        let text = String::from_utf8_lossy(file.content);
        let entries = apk::entries(file.path, &text)?;
        let keyed = entries
            .iter()
            .map(|e| (e.package.name.clone(), e.text))
            .collect::<Vec<_>>();
        let layers = attribute(file, &keyed, |bytes| {
            let text = String::from_utf8_lossy(bytes);
            let old = apk::entries(file.path, &text).ok()?;
            Some(
                old.iter()
                    .map(|e| (e.package.name.clone(), e.text.to_owned()))
                    .collect(),
            )
        });
        for (entry, layer) in entries.into_iter().zip(layers) {
            push(entry.package, file.path, layer);
        }
    }

    let mut seen = BTreeSet::new();
    for dir in RPM_DIRS {
        for file in layers.list(dir)? {
            if !seen.insert(file.path) {
                continue;
            }
            let found = rpm::packages(file.path, file.content)?;
            let keyed = found
                .iter()
                .map(|p| (rpm_key(p), p.clone()))
                .collect::<Vec<_>>();
            let layers = attribute(file, &keyed, |bytes| {
                let old = rpm::packages(file.path, bytes).ok()?;
                Some(old.into_iter().map(|p| (rpm_key(&p), p)).collect())
            });
            for (package, layer) in found.iter().zip(layers) {
                push(package.clone(), file.path, layer);
            }
        }
    }
    Ok(Scan { os, packages })
}

fn dpkg_key(p: &Package) -> (String, Option<String>) {
    (p.name.clone(), p.architecture.clone())
}

fn rpm_key(p: &Package) -> (String, String, Option<String>) {
    (p.name.clone(), p.version.clone(), p.architecture.clone())
}

fn last_writer(file: &File<'_>) -> String {
    file.history
        .last()
        .map(|r| r.layer.clone())
        .unwrap_or_default()
}

/// For each entry of the database's current content (`current`, by key),
/// the earliest layer from which that entry is unchanged through to the
/// top. `parse` reads an older revision (`None` if it cannot: the chain
/// stops there).
fn attribute<K: Ord, E, O>(
    file: File<'_>,
    current: &[(K, E)],
    parse: impl Fn(&[u8]) -> Option<Vec<(K, O)>>,
) -> Vec<String>
where
    E: PartialEq<O>,
{
    let top = last_writer(&file);
    let mut layers: Vec<String> = vec![top; current.len()];
    let mut open: Vec<bool> = vec![true; current.len()];
    // The last revision is the current content; walk down from the one
    // below it.
    let below = file.history.len().saturating_sub(1);
    for Revision { layer, content } in file.history[..below].iter().rev() {
        let old = content.as_deref().and_then(&parse).unwrap_or_default();
        let mut any = false;
        for (i, (key, entry)) in current.iter().enumerate() {
            if !open[i] {
                continue;
            }
            if old.iter().any(|(k, e)| k == key && entry == e) {
                layers[i] = layer.clone();
                any = true;
            } else {
                open[i] = false;
            }
        }
        if !any {
            break;
        }
    }
    layers
}

/// Maintainer addresses of vendors that publish their own builds for
/// Debian and Ubuntu: a package maintained at one of these domains is not
/// the distribution's. Each is taken from a real package's control data.
const DPKG_VENDOR_DOMAINS: [&str; 2] = [
    // NodeSource's nodejs: `Maintainer: NodeSource Support <support@nodesource.com>`.
    "nodesource.com",
    // Google's Cloud CLI: `Maintainer: Google Cloud CLI Authors
    // <https://code.google.com/p/google-cloud-sdk/>`.
    "code.google.com",
];

/// RPM `Vendor` values of each distribution's own packages, by os-release
/// `ID`: a package whose vendor is set and is none of these, on an image
/// of that distribution, is a third party's (EPEL's `Fedora Project` on
/// RHEL included: Red Hat does not publish advisories for it).
const RPM_VENDORS: [(&str, &[&str]); 11] = [
    ("rhel", &["Red Hat, Inc."]),
    ("centos", &["CentOS", "Red Hat, Inc."]),
    ("fedora", &["Fedora Project"]),
    ("rocky", &["Rocky Enterprise Software Foundation"]),
    ("almalinux", &["AlmaLinux"]),
    ("ol", &["Oracle America"]),
    ("amzn", &["Amazon Linux", "Amazon.com"]),
    ("sles", &["SUSE LLC <https://www.suse.com/>"]),
    ("sle-micro", &["SUSE LLC <https://www.suse.com/>"]),
    (
        "opensuse-leap",
        &["openSUSE", "SUSE LLC <https://www.suse.com/>"],
    ),
    ("opensuse-tumbleweed", &["openSUSE"]),
];

/// Whether there is positive evidence that `package` is not the
/// distribution's. Marking a distribution's package third-party would
/// silently hide its advisories, so absent evidence the answer is no:
/// - dpkg: the maintainer's address is at a known vendor's domain
///   ([`DPKG_VENDOR_DOMAINS`]); Debian's own maintainers use many
///   personal domains, so an unknown domain is no evidence;
/// - rpm: the `Vendor` is set and is not one of the distribution's own
///   ([`RPM_VENDORS`]), on a distribution whose vendors are known;
/// - apk: never (apk records no vendor, and Alpine's maintainers use
///   personal addresses).
pub fn third_party(os: Option<&OsRelease>, package: &Package) -> bool {
    match package.manager {
        Manager::Dpkg => package
            .maintainer
            .as_deref()
            .and_then(address_domain)
            .is_some_and(|domain| {
                DPKG_VENDOR_DOMAINS
                    .iter()
                    .any(|v| domain == *v || domain.ends_with(&format!(".{v}")))
            }),
        Manager::Rpm => {
            let Some(vendor) = package.vendor.as_deref().map(str::trim) else {
                return false;
            };
            let Some(id) = os.and_then(|os| os.id.as_deref()) else {
                return false;
            };
            RPM_VENDORS
                .iter()
                .find(|(d, _)| *d == id)
                .is_some_and(|(_, own)| !vendor.is_empty() && !own.contains(&vendor))
        }
        Manager::Apk => false,
    }
}

/// The domain of the address in `Name <address>`: an e-mail address's
/// part after `@`, or a URL's host; lowercased.
fn address_domain(maintainer: &str) -> Option<String> {
    let address = maintainer.rsplit_once('<')?.1.split_once('>')?.0.trim();
    let domain = match address.split_once("://") {
        Some((_, rest)) => rest.split(['/', ':']).next()?,
        None => address.rsplit_once('@')?.1,
    };
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}
