//! The scan: from an image's applied layers, its OS (os-release) and every
//! installed package, each with the database that listed it, the layer
//! that last wrote its entry, and whether it is a third party's.

use std::collections::BTreeSet;

use crate::layers::{File, Layers, Revision, RPM_DIRS, RPM_FILES, STATUS_D};
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
        // One database per directory, as rpm reads one: sqlite (RHEL 9,
        // Fedora), else NDB (SUSE), else BerkeleyDB (RHEL 8 and older); a
        // converted image may keep the old file beside the new.
        let files = layers.list(dir)?;
        let chosen = RPM_FILES.iter().find_map(|name| {
            files
                .iter()
                .find(|f| f.path.rsplit('/').next() == Some(*name))
        });
        if let Some(file) = chosen.copied() {
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

/// Maintainer domains of vendors that publish their own builds for Debian
/// and Ubuntu, taken from real control data: any address there is the
/// vendor's. Only domains no Debian maintainer uses (checked against every
/// maintainer of Debian 12's archive, `maintainers.txt` in the tests):
/// Debian's own packages are maintained at `nvidia.com` and
/// `osrfoundation.org`, for example, so those are no evidence.
const DPKG_VENDOR_DOMAINS: [&str; 2] = [
    // NodeSource's nodejs: `NodeSource Support <support@nodesource.com>`.
    "nodesource.com",
    // Google's Cloud CLI: `Google Cloud CLI Authors
    // <https://code.google.com/p/google-cloud-sdk/>`.
    "code.google.com",
];

/// Vendors' own packaging addresses (after trivy's list of third-party
/// maintainers, pkg/fanal/analyzer/pkg/dpkg/dpkg.go): exact addresses,
/// since their domains' people may also maintain Debian packages.
const DPKG_VENDOR_ADDRESSES: [&str; 10] = [
    "support@docker.com",
    "sapmachine@sap.com",
    "developers@lists.mariadb.org",
    "dev@couchdb.apache.org",
    "info@elastic.co",
    "nginx-packaging@f5.com",
    "support@influxdb.com",
    "support@gitlab.com",
    "contact@grafana.com",
    "info@tailscale.com",
];

/// How the RPM `Vendor` of each distribution's own packages starts, by
/// os-release `ID` (compared without regard to case): a package whose
/// vendor is set and starts with none of these, on an image of that
/// distribution, is a third party's (EPEL's `Fedora Project` on RHEL
/// included: Red Hat publishes no advisories for it). Prefixes rather than
/// whole values, so that a distribution's older spelling (`SUSE LINUX
/// Products GmbH, Nuernberg, Germany` beside `SUSE LLC
/// <https://www.suse.com/>`) is still its own.
const RPM_VENDORS: [(&str, &[&str]); 14] = [
    ("rhel", &["Red Hat"]),
    ("centos", &["CentOS", "Red Hat"]),
    ("fedora", &["Fedora"]),
    ("rocky", &["Rocky"]),
    ("almalinux", &["AlmaLinux"]),
    ("ol", &["Oracle"]),
    ("amzn", &["Amazon"]),
    ("sles", &["SUSE"]),
    ("sle-micro", &["SUSE"]),
    ("opensuse-leap", &["openSUSE", "SUSE"]),
    ("opensuse-tumbleweed", &["openSUSE", "SUSE"]),
    ("opensuse-microos", &["openSUSE", "SUSE"]),
    // CBL-Mariner and its successor Azure Linux: `Microsoft Corporation`
    // (every package of testdata/rpmdb's Mariner 2.0 database).
    ("mariner", &["Microsoft"]),
    ("azurelinux", &["Microsoft"]),
];

/// Whether there is positive evidence that `package` is not the
/// distribution's. Marking a distribution's package third-party would
/// silently hide its advisories, so absent evidence the answer is no:
/// - dpkg: the maintainer's address is a known vendor's
///   ([`DPKG_VENDOR_ADDRESSES`]) or at a known vendor's domain
///   ([`DPKG_VENDOR_DOMAINS`]); Debian's own maintainers use many personal
///   domains, so an unknown domain is no evidence;
/// - rpm: the `Vendor` is set and is not one of the distribution's own
///   (by [`RPM_VENDORS`]' prefixes), on a distribution whose vendors are
///   known;
/// - apk: never (apk records no vendor, and Alpine's maintainers use
///   personal addresses).
pub fn third_party(os: Option<&OsRelease>, package: &Package) -> bool {
    match package.manager {
        Manager::Dpkg => package
            .maintainer
            .as_deref()
            .and_then(address)
            .is_some_and(|address| {
                DPKG_VENDOR_ADDRESSES.contains(&address.as_str())
                    || domain(&address).is_some_and(|domain| {
                        DPKG_VENDOR_DOMAINS
                            .iter()
                            .any(|v| domain == *v || domain.ends_with(&format!(".{v}")))
                    })
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
                .is_some_and(|(_, own)| {
                    let vendor = vendor.to_ascii_lowercase();
                    !vendor.is_empty()
                        && !own
                            .iter()
                            .any(|prefix| vendor.starts_with(&prefix.to_ascii_lowercase()))
                })
        }
        Manager::Apk => false,
    }
}

/// The address in `Name <address>`, lowercased.
fn address(maintainer: &str) -> Option<String> {
    let address = maintainer.rsplit_once('<')?.1.split_once('>')?.0.trim();
    (!address.is_empty()).then(|| address.to_ascii_lowercase())
}

/// An e-mail address's domain, or a URL's host.
fn domain(address: &str) -> Option<&str> {
    let domain = match address.split_once("://") {
        Some((_, rest)) => rest.split(['/', ':']).next()?,
        None => address.rsplit_once('@')?.1,
    };
    (!domain.is_empty()).then_some(domain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::tests::{digest, image, tar, E};
    use crate::layers::{Layers, Limits};

    const BOOKWORM: &[u8] = include_bytes!("../../testdata/ospkg/debian-bookworm/status");
    const OS_RELEASE: &[u8] = include_bytes!("../../testdata/ospkg/debian-bookworm/os-release");
    const NODEJS: &str = include_str!("../../testdata/ospkg/nodesource-nodejs.stanza");
    const TRIVY_APK: &str = include_str!("../../testdata/ospkg/alpine/installed");

    fn package(scan: &Scan, name: &str, arch: &str) -> Located {
        scan.packages
            .iter()
            .find(|l| l.package.name == name && l.package.architecture.as_deref() == Some(arch))
            .unwrap_or_else(|| panic!("{name}:{arch} not found"))
            .clone()
    }

    /// A real Debian base layer (os-release linked as Debian links it),
    /// then an application layer that installs NodeSource's nodejs: dpkg
    /// rewrites the whole status file, yet only nodejs's entry is new.
    #[test]
    fn real_debian_with_nodesource_nodejs() {
        let mut with_node = BOOKWORM.to_vec();
        with_node.extend_from_slice(b"\n");
        with_node.extend_from_slice(NODEJS.as_bytes());
        let (view, d) = image(&[
            tar(&[
                E::File("usr/lib/os-release", OS_RELEASE),
                E::Symlink("etc/os-release", "../usr/lib/os-release"),
                E::File("var/lib/dpkg/status", BOOKWORM),
            ]),
            tar(&[E::File("var/lib/dpkg/status", &with_node)]),
        ]);
        let found = scan(&view).unwrap();
        let (os_path, os) = found.os.clone().unwrap();
        assert_eq!(os_path, "usr/lib/os-release");
        assert_eq!(
            (os.id.as_deref(), os.version_id.as_deref()),
            (Some("debian"), Some("12"))
        );
        assert_eq!(found.packages.len(), 74);
        let node = package(&found, "nodejs", "amd64");
        assert!(node.third_party);
        assert_eq!(node.layer, d[1]);
        assert_eq!(node.database, "var/lib/dpkg/status");
        assert_eq!(node.package.version, "20.20.2-1nodesource1+repack1");
        // Every package of Debian's own is the distribution's, and came
        // with the base layer.
        for located in found.packages.iter().filter(|l| l.package.name != "nodejs") {
            assert!(!located.third_party, "{}", located.package.name);
            assert_eq!(located.layer, d[0], "{}", located.package.name);
        }
        let zlib_i386 = package(&found, "zlib1g", "i386");
        assert_eq!(zlib_i386.package.source_name, "zlib");
    }

    #[test]
    fn a_shared_database_attributes_each_entry_to_its_earliest_unchanged_layer() {
        let a = "Package: a\nStatus: install ok installed\nVersion: 1\n";
        let b1 = "Package: b\nStatus: install ok installed\nVersion: 1\n";
        let b2 = "Package: b\nStatus: install ok installed\nVersion: 2\n";
        let c = "Package: c\nStatus: install ok installed\nVersion: 1\n";
        let status = |stanzas: &[&str]| stanzas.join("\n").into_bytes();
        let (view, d) = image(&[
            tar(&[E::File("var/lib/dpkg/status", &status(&[a, b1]))]),
            tar(&[E::File("var/lib/dpkg/status", &status(&[a, b2, c]))]),
            // Rewritten unchanged (apt ran, installed nothing).
            tar(&[E::File("var/lib/dpkg/status", &status(&[a, b2, c]))]),
            tar(&[E::File("etc/hostname", b"x")]),
        ]);
        let found = scan(&view).unwrap();
        let layers: Vec<(&str, &str)> = found
            .packages
            .iter()
            .map(|l| (l.package.name.as_str(), l.layer.as_str()))
            .collect();
        assert_eq!(
            layers,
            [
                ("a", d[0].as_str()),
                ("b", d[1].as_str()),
                ("c", d[1].as_str())
            ]
        );
        assert!(found.os.is_none());

        // Deleted, then written again: the entries are the new layer's.
        let (view, d) = image(&[
            tar(&[E::File("var/lib/dpkg/status", &status(&[a]))]),
            tar(&[E::File("var/lib/dpkg/.wh.status", b"")]),
            tar(&[E::File("var/lib/dpkg/status", &status(&[a]))]),
        ]);
        let found = scan(&view).unwrap();
        assert_eq!(found.packages[0].layer, d[2]);
    }

    #[test]
    fn distroless_status_d_files_are_their_own_last_writers() {
        let libc = "Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n\
                    Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\n";
        let libssl = "Package: libssl3\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n\
                      Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\n";
        let (view, d) = image(&[
            tar(&[
                E::File("etc/os-release", OS_RELEASE),
                E::File("usr/lib/os-release", b"ID=other\n"),
                E::File("var/lib/dpkg/status.d/libc6", libc.as_bytes()),
                E::File("var/lib/dpkg/status.d/libc6.md5sums", b"00  lib/x\n"),
            ]),
            tar(&[E::File("var/lib/dpkg/status.d/libssl3", libssl.as_bytes())]),
        ]);
        let found = scan(&view).unwrap();
        // etc/os-release wins over usr/lib/os-release.
        assert_eq!(found.os.as_ref().unwrap().1.id.as_deref(), Some("debian"));
        let got: Vec<(&str, &str, &str, &str)> = found
            .packages
            .iter()
            .map(|l| {
                (
                    l.package.name.as_str(),
                    l.package.source_name.as_str(),
                    l.database.as_str(),
                    l.layer.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "libc6",
                    "glibc",
                    "var/lib/dpkg/status.d/libc6",
                    d[0].as_str()
                ),
                (
                    "libssl3",
                    "openssl",
                    "var/lib/dpkg/status.d/libssl3",
                    d[1].as_str()
                ),
            ]
        );
    }

    #[test]
    fn apk_database_with_its_layers() {
        let valid = TRIVY_APK.replace("P:invalidPackageWithoutAVersion\n\n", "");
        let os = b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n";
        let zlib_fixed = valid.replace("V:1.2.8-r2", "V:1.2.8-r3");
        let (view, d) = image(&[
            tar(&[
                E::File("etc/os-release", os),
                E::File("lib/apk/db/installed", valid.as_bytes()),
            ]),
            tar(&[E::File("lib/apk/db/installed", zlib_fixed.as_bytes())]),
        ]);
        let found = scan(&view).unwrap();
        assert_eq!(found.packages.len(), 15);
        for l in &found.packages {
            let expected = if l.package.name == "zlib" {
                &d[1]
            } else {
                &d[0]
            };
            assert_eq!(&l.layer, expected, "{}", l.package.name);
            assert!(!l.third_party);
            assert_eq!(l.package.manager, Manager::Apk);
        }
        // The database refused by apk-tools fails the scan.
        let (view, _) = image(&[tar(&[E::File(
            "lib/apk/db/installed",
            TRIVY_APK.as_bytes(),
        )])]);
        assert!(scan(&view).is_err());
    }

    #[test]
    fn a_malformed_database_fails_the_scan_with_its_path() {
        let (view, _) = image(&[tar(&[E::File(
            "var/lib/dpkg/status",
            b"Package: a\nVersion 1\n",
        )])]);
        assert_eq!(
            scan(&view).unwrap_err().to_string(),
            "malformed dpkg status in var/lib/dpkg/status: line 2: not a `Field: value` line"
        );
        let mut view = Layers::new(Limits::default());
        let blob = b"garbage".repeat(100);
        assert!(view
            .apply(&digest(&blob), crate::layers::tests::TAR, &blob)
            .is_err());
        assert!(scan(&view).is_err());
    }

    fn deb(maintainer: &str) -> Package {
        Package {
            manager: Manager::Dpkg,
            name: "p".into(),
            version: "1".into(),
            architecture: None,
            source_name: "p".into(),
            source_version: "1".into(),
            maintainer: Some(maintainer.into()),
            vendor: None,
            license: None,
            checksum: None,
        }
    }

    /// Every Maintainer of Debian 12's archive (main, updates, security):
    /// none is a third party's.
    #[test]
    fn no_debian_maintainer_is_a_third_party() {
        let debian = OsRelease {
            id: Some("debian".into()),
            ..OsRelease::default()
        };
        let all = include_str!("../../testdata/ospkg/debian-bookworm/maintainers.txt");
        assert!(all.lines().count() > 2000);
        for maintainer in all.lines() {
            assert!(
                !third_party(Some(&debian), &deb(maintainer)),
                "{maintainer}"
            );
        }
    }

    #[test]
    fn third_party_needs_positive_evidence() {
        let debian = OsRelease {
            id: Some("debian".into()),
            ..OsRelease::default()
        };
        for (maintainer, expected) in [
            ("NodeSource Support <support@nodesource.com>", true),
            ("Chris Lea <chl@NodeSource.com>", true),
            (
                "Google Cloud CLI Authors <https://code.google.com/p/google-cloud-sdk/>",
                true,
            ),
            // Debian's own maintainers, at Debian's and at personal domains
            // (real Maintainer fields of Debian 12 packages).
            (
                "GNU Libc Maintainers <debian-glibc@lists.debian.org>",
                false,
            ),
            ("Theodore Y. Ts'o <tytso@mit.edu>", false),
            ("Christopher James Halse Rogers <raof@ubuntu.com>", false),
            ("Jonathan Nieder <jrnieder@gmail.com>", false),
            // Look-alikes are no evidence.
            ("Evil <x@notnodesource.com>", false),
            ("Evil <x@nodesource.com.example>", false),
            ("nodesource.com", false),
            ("", false),
        ] {
            assert_eq!(
                third_party(Some(&debian), &deb(maintainer)),
                expected,
                "{maintainer}"
            );
        }
        let mut no_maintainer = deb("");
        no_maintainer.maintainer = None;
        assert!(!third_party(None, &no_maintainer));

        let rpm = |vendor: Option<&str>| Package {
            manager: Manager::Rpm,
            vendor: vendor.map(str::to_owned),
            maintainer: None,
            ..deb("")
        };
        let rhel = OsRelease {
            id: Some("rhel".into()),
            ..OsRelease::default()
        };
        let unknown = OsRelease {
            id: Some("somedistro".into()),
            ..OsRelease::default()
        };
        assert!(!third_party(Some(&rhel), &rpm(Some("Red Hat, Inc."))));
        let sles = OsRelease {
            id: Some("sles".into()),
            ..OsRelease::default()
        };
        assert!(!third_party(
            Some(&sles),
            &rpm(Some("SUSE LLC <https://www.suse.com/>"))
        ));
        assert!(!third_party(
            Some(&sles),
            &rpm(Some("SUSE LINUX Products GmbH, Nuernberg, Germany"))
        ));
        assert!(third_party(Some(&sles), &rpm(Some("NodeSource"))));
        assert!(third_party(Some(&rhel), &rpm(Some("Fedora Project"))));
        assert!(!third_party(Some(&rhel), &rpm(None)));
        let mariner = OsRelease {
            id: Some("mariner".into()),
            ..OsRelease::default()
        };
        assert!(!third_party(
            Some(&mariner),
            &rpm(Some("Microsoft Corporation"))
        ));
        assert!(third_party(Some(&mariner), &rpm(Some("NodeSource"))));
        assert!(!third_party(Some(&unknown), &rpm(Some("Anyone"))));
        assert!(!third_party(None, &rpm(Some("Anyone"))));
        let apk = Package {
            manager: Manager::Apk,
            ..deb("NodeSource <x@nodesource.com>")
        };
        assert!(!third_party(None, &apk));
    }
}
